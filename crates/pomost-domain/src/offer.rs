use std::fmt;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::error::{MAX_WEEKLY_HOURS, ValidationError};
use crate::error::{check_hours, check_id};
use crate::geo::Location;
use crate::skills::SkillRequirement;
use crate::vocab::{AccommodationSet, ContractType, Stage};

/// Most skills (must-have and nice-to-have together) one offer may list; keeps per-request
/// scoring state on the stack.
pub const MAX_OFFER_SKILLS: usize = 32;
/// Longest adaptation period an offer may state, weeks.
pub const MAX_ADAPTATION_WEEKS: u8 = 52;

/// Identity of an offer: the partner system that sent it and its id there.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OfferKey {
    /// Partner system (job board, employer, regional registry).
    pub source: String,
    /// The offer's id in that system.
    pub external_id: String,
}

impl fmt::Display for OfferKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.source, self.external_id)
    }
}

/// Who offers the job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Employer {
    /// Name of the employer.
    pub name: String,
    /// A social-economy entity (spółdzielnia socjalna, ZAZ, PES).
    #[serde(default)]
    pub social_economy: bool,
}

/// Where the work is done.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Workplace {
    /// At a place, reached by commuting.
    OnSite(Location),
    /// From home; no commute.
    Remote,
}

/// A job offer pushed by a partner system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    /// Source and external id.
    pub key: OfferKey,
    /// Partner's version; a newer one replaces an older one.
    pub version: u64,
    /// Who offers the job.
    pub employer: Employer,
    /// Job title.
    pub title: String,
    /// Description in Polish.
    #[serde(default)]
    pub description: String,
    /// KZiS occupation code, 6 digits (first 4 are the ISCO-08 unit group). Empty on input
    /// asks Pomost to suggest one from the title and description.
    pub occupation_code: String,
    /// The occupation code was suggested by Pomost from the offer's text, not given by the
    /// partner (a partner-given code always wins).
    #[serde(default)]
    pub occupation_suggested: bool,
    /// Skills the job needs.
    #[serde(default)]
    pub required_skills: Vec<SkillRequirement>,
    /// Skills that help.
    #[serde(default)]
    pub nice_to_have_skills: Vec<SkillRequirement>,
    /// The nice-to-have skills were found by Pomost in the offer's text because the partner
    /// gave none (a partner-given skill list always wins).
    #[serde(default)]
    pub skills_suggested: bool,
    /// Where the work is done.
    pub workplace: Workplace,
    /// Hours a week.
    pub weekly_hours: f32,
    /// Longest working day, hours.
    pub daily_hours: f32,
    /// Includes night work (praca w porze nocnej).
    #[serde(default)]
    pub night_work: bool,
    /// Includes overtime (praca w godzinach nadliczbowych).
    #[serde(default)]
    pub overtime: bool,
    /// Guarding work (pilnowanie), to which the disability working-time norms do not apply.
    #[serde(default)]
    pub guarding_work: bool,
    /// Form of employment.
    pub contract_type: ContractType,
    /// Open positions; 0 means filled.
    pub positions: u32,
    /// First day the offer is open.
    pub valid_from: Date,
    /// Last day the offer is open.
    pub valid_until: Date,
    /// Accommodations the employer provides.
    #[serde(default)]
    pub accommodations_provided: AccommodationSet,
    /// Lowest stage the employer accepts.
    pub min_stage: Stage,
    /// Adaptation period offered, weeks; each 8 weeks bridge one stage below `min_stage`.
    #[serde(default)]
    pub adaptation_weeks: u8,
    /// The employer names a mentor at the workplace (opiekun), who can stand in for a coach.
    #[serde(default)]
    pub employer_mentor: bool,
    /// An external job coach may accompany the person at work.
    #[serde(default)]
    pub accepts_external_coach: bool,
    /// The employer states a preference for people nearer the open market among the stages
    /// it accepts. Without it every accepted stage ranks alike on the stage factor.
    #[serde(default)]
    pub prefers_readiness: bool,
}

impl Offer {
    /// The record if every field is valid, else the first problem with its field path.
    pub fn validated(self) -> Result<Self, ValidationError> {
        self.check()?;
        Ok(self)
    }

    /// Checks every field without taking the record; errors name `offer.<field>`.
    pub fn check(&self) -> Result<(), ValidationError> {
        self.validate().map_err(|error| error.under("offer"))
    }

    fn validate(&self) -> Result<(), ValidationError> {
        check_id("key.source", &self.key.source)?;
        check_id("key.external_id", &self.key.external_id)?;
        check_text("employer.name", &self.employer.name, 300)?;
        check_text("title", &self.title, 300)?;
        if self.description.len() > 20_000 {
            return Err(ValidationError::new("description", "is longer than 20000 bytes"));
        }
        if !self.occupation_code.is_empty() {
            crate::error::check_occupation_code("occupation_code", &self.occupation_code)?;
        }
        self.validate_skills()?;
        check_hours("weekly_hours", self.weekly_hours, MAX_WEEKLY_HOURS)?;
        check_hours("daily_hours", self.daily_hours, 24.0)?;
        if self.weekly_hours == 0.0 {
            return Err(ValidationError::new("weekly_hours", "must be more than 0"));
        }
        if self.daily_hours == 0.0 {
            return Err(ValidationError::new("daily_hours", "must be more than 0"));
        }
        if self.daily_hours > self.weekly_hours {
            return Err(ValidationError::new("daily_hours", "is more than the weekly hours"));
        }
        if self.valid_until < self.valid_from {
            return Err(ValidationError::new(
                "valid_until",
                format!("{} is before valid_from {}", self.valid_until, self.valid_from),
            ));
        }
        if self.adaptation_weeks > MAX_ADAPTATION_WEEKS {
            return Err(ValidationError::new(
                "adaptation_weeks",
                format!("{} is over {MAX_ADAPTATION_WEEKS}", self.adaptation_weeks),
            ));
        }
        Ok(())
    }

    fn validate_skills(&self) -> Result<(), ValidationError> {
        let total = self.required_skills.len() + self.nice_to_have_skills.len();
        if total > MAX_OFFER_SKILLS {
            return Err(ValidationError::new(
                "required_skills",
                format!("{total} skills in all is over {MAX_OFFER_SKILLS}"),
            ));
        }
        let all = || self.required_skills.iter().chain(&self.nice_to_have_skills);
        for (position, requirement) in all().enumerate() {
            let path = || match position.checked_sub(self.required_skills.len()) {
                None => format!("required_skills[{position}]"),
                Some(index) => format!("nice_to_have_skills[{index}]"),
            };
            requirement.validate().map_err(|error| error.under(&path()))?;
            // At most MAX_OFFER_SKILLS: comparing with those before costs less than hashing
            // (a recommendation checks dozens of offers).
            if all().take(position).any(|earlier| earlier.skill == requirement.skill) {
                return Err(ValidationError::new(
                    format!("{}.skill", path()),
                    format!("{} is listed twice", crate::error::quote(requirement.skill.as_str())),
                ));
            }
        }
        Ok(())
    }

    /// Whether the offer takes people on `day`: within its validity and with a position open.
    pub fn is_open_on(&self, day: Date) -> bool {
        self.positions > 0 && self.valid_from <= day && day <= self.valid_until
    }

    /// The on-site location, if the job is not remote.
    pub fn location(&self) -> Option<&Location> {
        match &self.workplace {
            Workplace::OnSite(location) => Some(location),
            Workplace::Remote => None,
        }
    }
}

fn check_text(field: &str, text: &str, max: usize) -> Result<(), ValidationError> {
    if text.trim().is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if text.len() > max {
        return Err(ValidationError::new(field, format!("is longer than {max} bytes")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;
    use crate::geo::{GeoPoint, TerytCode};
    use crate::skills::SkillId;

    fn offer() -> Offer {
        Offer {
            key: OfferKey { source: "pup-krakow".into(), external_id: "A-1".into() },
            version: 1,
            employer: Employer { name: "Spółdzielnia Socjalna Zielony Zakątek".into(), social_economy: true },
            title: "Pracownik utrzymania terenów zielonych".into(),
            description: String::new(),
            occupation_code: "921401".into(),
            occupation_suggested: false,
            required_skills: vec![SkillRequirement {
                skill: SkillId::new("pl:zielen").unwrap(),
                min_level: None,
                weight: 1.0,
            }],
            nice_to_have_skills: vec![],
            skills_suggested: false,
            workplace: Workplace::OnSite(Location {
                teryt: TerytCode::parse("1261").unwrap(),
                point: GeoPoint::new(50.06, 19.94).unwrap(),
            }),
            weekly_hours: 40.0,
            daily_hours: 8.0,
            night_work: false,
            overtime: false,
            guarding_work: false,
            contract_type: ContractType::EmploymentContract,
            positions: 2,
            valid_from: date!(2026 - 11 - 01),
            valid_until: date!(2026 - 12 - 31),
            accommodations_provided: AccommodationSet::empty(),
            min_stage: Stage::ShelteredEmployment,
            adaptation_weeks: 0,
            employer_mentor: false,
            accepts_external_coach: true,
            prefers_readiness: false,
        }
    }

    #[test]
    fn valid_offer_passes() {
        assert!(offer().validated().is_ok());
    }

    #[test]
    fn errors_name_the_field() {
        type Case = (fn(&mut Offer), &'static str);
        let cases: Vec<Case> = vec![
            (|o| o.weekly_hours = 90.0, "offer.weekly_hours: 90 is over 84"),
            (|o| o.daily_hours = 0.0, "offer.daily_hours: must be more than 0"),
            (|o| o.occupation_code = "92140".into(), "offer.occupation_code: \"92140\" is not a 6-digit KZiS code"),
            (|o| o.title = " ".into(), "offer.title: must not be empty"),
            (|o| o.key.source = String::new(), "offer.key.source: must not be empty"),
            (|o| o.required_skills[0].weight = 0.0, "offer.required_skills[0].weight: 0 is not in (0, 10]"),
            (
                |o| o.nice_to_have_skills = o.required_skills.clone(),
                "offer.nice_to_have_skills[0].skill: \"pl:zielen\" is listed twice",
            ),
            (
                |o| o.valid_until = date!(2026 - 10 - 01),
                "offer.valid_until: 2026-10-01 is before valid_from 2026-11-01",
            ),
            (|o| o.adaptation_weeks = 60, "offer.adaptation_weeks: 60 is over 52"),
        ];
        for (change, expected) in cases {
            let mut bad = offer();
            change(&mut bad);
            assert_eq!(bad.validated().unwrap_err().to_string(), expected);
        }
    }

    #[test]
    fn open_on() {
        let mut open = offer();
        assert!(open.is_open_on(date!(2026 - 11 - 24)));
        assert!(!open.is_open_on(date!(2027 - 01 - 01)));
        open.positions = 0;
        assert!(!open.is_open_on(date!(2026 - 11 - 24)));
    }

    #[test]
    fn serde_round_trip() {
        let json = serde_json::to_string(&offer()).unwrap();
        let back: Offer = serde_json::from_str(&json).unwrap();
        assert_eq!(back, offer());
    }
}
