//! The vocabulary Pomost ships and speaks: KZiS 2023 occupations, ESCO skills in Polish
//! linked to them, the job titles people use, and the occupation suggester learned from
//! them and from hand-coded advertisements. Built by `scripts/build-taxonomy.py` and
//! `pomost-bench occupations train`, embedded in the binary (never read from disk at run
//! time); see `data/README.md` for sources and terms. Also the skill groups of reintegration
//! work that the synthetic data and the default relatedness table use.

mod esco;
mod extract;
mod features;
mod kzis;
mod occupations;
mod skills;
mod terms;
mod texts;
mod vocabulary;

pub use esco::{ImportCounts, ImportError, LABEL_ID_PREFIX, Skill, Skills, label_skill_id};
pub use extract::{FoundSkill, SkillExtractor};
pub use features::{FieldWeights, document_terms, text_terms};
pub use kzis::Kzis;
pub use occupations::{Example, ModelError, OccupationModel, ScoreParams, Suggestion, TrainParams, split_title};
pub use skills::{LOCAL_SKILL_LABELS, SKILL_GROUPS, SkillGroup, local_label, local_relatedness, skill_id};
pub use terms::{Term, TermIndex, TermKind};
pub use texts::{OccupationText, Source, VocabularyWeights, parse_texts, vocabulary_examples};

pub use vocabulary::{
    OFFER_OCCUPATION_SUGGESTIONS, OFFER_SKILLS_FOUND, OccupationSuggestion, OfferSuggestions, Vocabulary,
};

use std::io::Read;

use pomost_domain::{SkillCluster, SkillId, SkillRelatedness};
use std::sync::OnceLock;

/// The version of the shipped vocabulary: sources and the suggester's training. Reported by
/// the API and recorded in every audit entry.
pub const TAXONOMY_VERSION: &str = "kzis2023-esco1.1-pl.2026-11.1";

static KZIS: &str = include_str!("../data/kzis.tsv");
static TEXTS_GZ: &[u8] = include_bytes!("../data/occupation-texts.tsv.gz");
static SKILLS_GZ: &[u8] = include_bytes!("../data/esco-skills.tsv.gz");
static MODEL_GZ: &[u8] = include_bytes!("../data/occupation-model.bin.gz");
static DERIVED_GZ: &[u8] = include_bytes!("../data/derived-skills.tsv.gz");

fn gunzip(bytes: &[u8]) -> String {
    let mut text = String::new();
    // The shipped files are written by the build script and checked by tests; a broken one
    // is a build bug, not an input.
    #[allow(clippy::expect_used)]
    flate2::read::GzDecoder::new(bytes).read_to_string(&mut text).expect("shipped taxonomy file is valid gzip UTF-8");
    text
}

/// The shipped KZiS classification.
pub fn kzis() -> &'static Kzis {
    static SHARED: OnceLock<Kzis> = OnceLock::new();
    SHARED.get_or_init(|| Kzis::parse(KZIS))
}

/// The shipped occupation texts.
pub fn occupation_texts() -> &'static [OccupationText] {
    static SHARED: OnceLock<Vec<OccupationText>> = OnceLock::new();
    SHARED.get_or_init(|| parse_texts(&gunzip(TEXTS_GZ)))
}

/// The shipped occupation suggester.
pub fn occupation_model() -> &'static OccupationModel {
    static SHARED: OnceLock<OccupationModel> = OnceLock::new();
    SHARED.get_or_init(|| {
        // Written by `pomost-bench occupations train` and read back by a test below.
        #[allow(clippy::expect_used)]
        OccupationModel::read(&mut flate2::read::GzDecoder::new(MODEL_GZ)).expect("shipped occupation model is valid")
    })
}

/// Credit a skill earns towards another that ESCO links to the same occupation.
pub const SAME_OCCUPATION_SIMILARITY: f32 = 0.5;
/// Credit a skill earns towards another linked to an occupation of the same unit group.
pub const SAME_UNIT_GROUP_SIMILARITY: f32 = 0.3;

/// The default relatedness table: the local skill groups, and the taxonomy's clusters:
/// the skills of one occupation (ESCO links, and the local skills whose group names the
/// occupation) earn each other [`SAME_OCCUPATION_SIMILARITY`], those of one unit group
/// [`SAME_UNIT_GROUP_SIMILARITY`].
pub fn relatedness() -> SkillRelatedness {
    let mut table = local_relatedness();
    let skills = shipped();
    let mut by_occupation: std::collections::BTreeMap<&str, Vec<SkillId>> = std::collections::BTreeMap::new();
    for (code, members) in skills.occupations() {
        by_occupation.entry(code).or_default().extend(members.filter_map(|skill| SkillId::new(&skill.id).ok()));
    }
    for members in by_occupation.values_mut() {
        members.sort();
        members.dedup();
    }
    let mut by_unit: std::collections::BTreeMap<&str, Vec<SkillId>> = std::collections::BTreeMap::new();
    for (code, members) in &by_occupation {
        by_unit.entry(&code[..4]).or_default().extend(members.iter().cloned());
    }
    for (code, members) in &by_occupation {
        if members.len() > 1 {
            table.clusters.push(SkillCluster {
                name: format!("occupation {code}"),
                similarity: SAME_OCCUPATION_SIMILARITY,
                skills: members.clone(),
            });
        }
    }
    for (code, mut members) in by_unit {
        members.sort();
        members.dedup();
        if members.len() > 1 {
            table.clusters.push(SkillCluster {
                name: format!("unit group {code}"),
                similarity: SAME_UNIT_GROUP_SIMILARITY,
                skills: members,
            });
        }
    }
    table
}

/// The Polish label of a shipped skill id (ESCO label-derived or local), for explanations.
pub fn shipped_skill_label(id: &str) -> Option<&'static str> {
    shipped().get(id).map(|skill| skill.label.as_str())
}

/// The shipped ESCO skills (label-derived ids) plus the local skills of reintegration work,
/// parsed once per process.
fn shipped() -> &'static Skills {
    static SHARED: OnceLock<Skills> = OnceLock::new();
    SHARED.get_or_init(|| {
        let mut skills = Skills::parse_links(&gunzip(SKILLS_GZ));
        for group in SKILL_GROUPS {
            for id in group.skills {
                skills.add_local(id, &local_label(id), group.occupations);
            }
        }
        skills.add_derived_links(&gunzip(DERIVED_GZ));
        skills
    })
}

/// A copy of the shipped skills, for a vocabulary to merge an imported release into.
pub fn shipped_skills() -> Skills {
    shipped().clone()
}

#[cfg(test)]
mod shipped_tests {
    use super::*;

    #[test]
    fn shipped_vocabulary_is_complete() {
        let kzis = kzis();
        assert_eq!(kzis.occupations().len(), 2912);
        assert_eq!(kzis.name("911207"), Some("Pracownik utrzymania czystości (sprzątaczka)"));
        assert!(kzis.is_occupation("432103"));
        assert!(!kzis.is_occupation("4321"));
        assert!(!kzis.is_occupation("999999"));
        let skills = shipped_skills();
        let esco = skills.all().iter().filter(|skill| skill.id.starts_with(LABEL_ID_PREFIX)).count();
        assert_eq!(esco, 7627, "every ESCO label has its own id");
        assert!(occupation_texts().len() > 14_000);
        let model = occupation_model();
        assert_eq!(model.codes().len(), 2912);
        let best =
            model.suggest("Magazynierzy", "kompletowanie zamówień, obsługa wózka widłowego", 5, ScoreParams::default());
        assert_eq!(&best[0].code[..4], "4321", "{best:?}");
        let best = model.suggest("Kelnerka", "obsługa gości restauracji", 5, ScoreParams::default());
        assert_eq!(&best[0].code[..4], "5131", "{best:?}");
        for group in SKILL_GROUPS {
            for code in group.occupations {
                assert!(kzis.is_occupation(code), "{code}");
            }
        }
    }
}
