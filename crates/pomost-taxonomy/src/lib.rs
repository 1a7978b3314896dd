//! The production vocabulary of Pomost: what the server ships and scores with. Today the
//! skill groups of reintegration work (with their job titles and KZiS occupation codes)
//! and the default skill relatedness table built from them; the synthetic-data crate draws
//! its world from here, never the other way round.

mod skills;

pub use skills::{SKILL_GROUPS, SkillGroup, relatedness, skill_id};
