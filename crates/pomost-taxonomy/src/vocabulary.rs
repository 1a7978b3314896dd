//! The vocabulary as the service uses it: what it validates against, what it suggests and
//! extracts, and what labels explanations show. One value per server, built at start from
//! what the binary ships plus, where an operator imported one, a full ESCO release.

use pomost_domain::{Offer, Participant, SkillId, SkillRelatedness, SkillRequirement, ValidationError};
use pomost_text::fold;

use crate::esco::{ImportCounts, ImportError, Skills};
use crate::extract::{FoundSkill, SkillExtractor};
use crate::kzis::Kzis;
use crate::occupations::ScoreParams;
use crate::terms::{Term, TermIndex, TermKind};
use crate::texts::Source;
use crate::{TAXONOMY_VERSION, kzis, occupation_model, occupation_texts, shipped_skills};

/// Suggestions offered when an offer's occupation code is missing: at most this many.
pub const OFFER_OCCUPATION_SUGGESTIONS: usize = 3;
/// Most skills taken from an offer's text.
pub const OFFER_SKILLS_FOUND: usize = 10;

/// One suggested occupation with its label.
#[derive(Debug, Clone, PartialEq)]
pub struct OccupationSuggestion {
    /// KZiS code.
    pub code: String,
    /// Official name.
    pub label: String,
    /// Score; higher is better.
    pub score: f32,
}

/// What Pomost filled in on an offer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OfferSuggestions {
    /// The occupations suggested (the first was stored) when the partner gave no code.
    pub occupations: Vec<OccupationSuggestion>,
    /// The skills found in the text and stored when the partner gave none.
    pub skills: Vec<FoundSkill>,
}

/// The service's vocabulary.
#[derive(Debug)]
pub struct Vocabulary {
    version: String,
    skills: Skills,
    extractor: SkillExtractor,
    terms: TermIndex,
}

impl Vocabulary {
    /// What the binary ships.
    pub fn shipped() -> Self {
        Self::from_skills(shipped_skills(), TAXONOMY_VERSION.to_owned())
    }

    /// What the binary ships merged with an ESCO CSV release of the skills pillar.
    pub fn with_esco_release(release: impl std::io::Read) -> Result<(Self, ImportCounts), ImportError> {
        let mut skills = shipped_skills();
        let counts = skills.import_esco_csv(release)?;
        let version = format!("{TAXONOMY_VERSION}+esco-import.{}", counts.rows);
        Ok((Self::from_skills(skills, version), counts))
    }

    fn from_skills(skills: Skills, version: String) -> Self {
        let kzis = kzis();
        let occupations = kzis.occupations().iter().filter_map(|code| {
            Some(Term { kind: TermKind::Occupation, id: code.clone(), label: kzis.name(code)?.to_owned() })
        });
        let titles = occupation_texts()
            .iter()
            .filter(|text| text.code.len() == 6 && text.source.is_name() && text.source != Source::Name)
            .map(|text| Term { kind: TermKind::JobTitle, id: text.code.clone(), label: text.text.clone() });
        let skill_terms = skills.all().iter().flat_map(|skill| {
            std::iter::once(&skill.label).chain(&skill.alt_labels).map(|label| Term {
                kind: TermKind::Skill,
                id: skill.canonical_id().to_owned(),
                label: label.clone(),
            })
        });
        let terms = TermIndex::new(occupations.chain(titles).chain(skill_terms).collect::<Vec<_>>());
        let extractor = SkillExtractor::new(&skills);
        Self { version, skills, extractor, terms }
    }

    /// Admits the skill ids an operator's relatedness table names (their labels are the ids
    /// until a vocabulary names them), so a configured table's skills can be used.
    pub fn admit_skills(&mut self, relatedness: &SkillRelatedness) {
        let ids = relatedness.groups.keys().chain(relatedness.pairs.iter().flat_map(|(a, b, _)| [a, b]));
        for id in ids {
            if self.skills.get(id.as_str()).is_none() {
                self.skills.add_local(id.as_str(), id.as_str(), &[]);
            }
        }
    }

    /// Sources and training of this vocabulary; reported by the API, kept in the audit.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// KZiS 2023.
    pub fn kzis(&self) -> &'static Kzis {
        kzis()
    }

    /// The skills.
    pub fn skills(&self) -> &Skills {
        &self.skills
    }

    /// How many typeahead terms.
    pub fn term_count(&self) -> usize {
        self.terms.len()
    }

    /// The Polish label of a skill id.
    pub fn skill_label(&self, id: &str) -> Option<&str> {
        self.skills.get(id).map(|skill| skill.label.as_str())
    }

    /// Up to `k` occupations for a text (title first, if it has one), best first.
    pub fn suggest_occupations(&self, title: &str, description: &str, k: usize) -> Vec<OccupationSuggestion> {
        occupation_model()
            .suggest(title, description, k, ScoreParams::default())
            .into_iter()
            .map(|suggestion| OccupationSuggestion {
                label: kzis().name(&suggestion.code).unwrap_or_default().to_owned(),
                code: suggestion.code,
                score: suggestion.score,
            })
            .collect()
    }

    /// Skills named in `text`.
    pub fn extract_skills(&self, text: &str) -> Vec<FoundSkill> {
        self.extractor.extract(&self.skills, text)
    }

    /// Typeahead: up to `k` terms in which every word of `prefix` begins a word.
    pub fn suggest_terms(&self, prefix: &str, k: usize) -> Vec<&Term> {
        self.terms.suggest(prefix, k)
    }

    /// Checks that `code` is a KZiS 2023 occupation; the error names up to three nearest.
    pub fn check_occupation(&self, field: &str, code: &str) -> Result<(), ValidationError> {
        if kzis().is_occupation(code) {
            return Ok(());
        }
        let nearest: Vec<String> =
            kzis().nearest_occupations(code, 3).into_iter().map(|(code, name)| format!("{code} {name}")).collect();
        let hint = if nearest.is_empty() { String::new() } else { format!("; nearest: {}", nearest.join("; ")) };
        Err(ValidationError::new(
            field,
            format!("{} is not a KZiS 2023 occupation code{hint}", pomost_domain::quote(code)),
        ))
    }

    /// Checks that `id` is a known skill; the error names up to three nearest labels.
    pub fn check_skill(&self, field: &str, id: &SkillId) -> Result<(), ValidationError> {
        if self.skills.get(id.as_str()).is_some() {
            return Ok(());
        }
        let nearest = self.nearest_skills(id.as_str(), 3);
        let hint = if nearest.is_empty() { String::new() } else { format!("; nearest: {}", nearest.join("; ")) };
        Err(ValidationError::new(field, format!("{} is not a known skill id{hint}", pomost_domain::quote(id.as_str()))))
    }

    /// Skills whose labels share the most words with the readable part of an unknown id
    /// (after its last `:` or `/`, with `-` and `_` as spaces), as `id label`.
    fn nearest_skills(&self, id: &str, limit: usize) -> Vec<String> {
        let readable = id.rsplit([':', '/']).next().unwrap_or(id).replace(['-', '_'], " ");
        let words: Vec<String> =
            fold(&readable).split_whitespace().filter(|w| w.len() >= 3).map(|w| w.chars().take(5).collect()).collect();
        if words.is_empty() {
            return Vec::new();
        }
        let mut scored: Vec<(usize, usize, &str, &str)> = self
            .skills
            .all()
            .iter()
            .filter_map(|skill| {
                let label = fold(&skill.label);
                let shared =
                    words.iter().filter(|w| label.split_whitespace().any(|l| l.starts_with(w.as_str()))).count();
                (shared > 0).then_some((shared, skill.label.len(), skill.id.as_str(), skill.label.as_str()))
            })
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(b.2)));
        scored.into_iter().take(limit).map(|(_, _, id, label)| format!("{id} {label}")).collect()
    }

    /// Checks an offer against the vocabulary and fills what the partner left out: with no
    /// occupation code, the best suggestion from the title and description (marked as
    /// suggested); with no skills at all, those found in the text as nice-to-have (marked as
    /// suggested). A partner-given value is never replaced.
    pub fn prepare_offer(&self, offer: &mut Offer) -> Result<OfferSuggestions, ValidationError> {
        let mut suggestions = OfferSuggestions::default();
        offer.occupation_suggested = false;
        offer.skills_suggested = false;
        if offer.occupation_code.is_empty() {
            suggestions.occupations =
                self.suggest_occupations(&offer.title, &offer.description, OFFER_OCCUPATION_SUGGESTIONS);
            let Some(best) = suggestions.occupations.first() else {
                return Err(ValidationError::new(
                    "offer.occupation_code",
                    "is empty and no occupation could be suggested from the title and description",
                ));
            };
            offer.occupation_code = best.code.clone();
            offer.occupation_suggested = true;
        } else {
            self.check_occupation("offer.occupation_code", &offer.occupation_code)?;
        }
        for (list, name) in
            [(&offer.required_skills, "required_skills"), (&offer.nice_to_have_skills, "nice_to_have_skills")]
        {
            for (index, requirement) in list.iter().enumerate() {
                self.check_skill("", &requirement.skill)
                    .map_err(|error| error.under(&format!("offer.{name}[{index}].skill")))?;
            }
        }
        if offer.required_skills.is_empty() && offer.nice_to_have_skills.is_empty() {
            let text = format!("{}\n{}", offer.title, offer.description);
            let mut found = self.extract_skills(&text);
            found.truncate(OFFER_SKILLS_FOUND);
            offer.nice_to_have_skills = found
                .iter()
                .filter_map(|skill| SkillId::new(&skill.id).ok())
                .map(|skill| SkillRequirement { skill, min_level: None, weight: 1.0 })
                .collect();
            offer.skills_suggested = !offer.nice_to_have_skills.is_empty();
            suggestions.skills = found;
        }
        Ok(suggestions)
    }

    /// Checks a participant's skills and occupations against the vocabulary.
    /// Field paths are spelled out only for an error: this runs for every person of a bulk
    /// load, and formatting each path up front cost more than the look-ups.
    pub fn check_participant(&self, participant: &Participant) -> Result<(), ValidationError> {
        for (index, past) in participant.past_occupations.iter().enumerate() {
            self.check_occupation("", &past.code)
                .map_err(|error| error.under(&format!("participant.past_occupations[{index}].code")))?;
        }
        for (index, code) in participant.wanted_occupations.iter().enumerate() {
            self.check_occupation("", code)
                .map_err(|error| error.under(&format!("participant.wanted_occupations[{index}]")))?;
        }
        for (index, claim) in participant.skills.iter().enumerate() {
            self.check_skill("", &claim.skill)
                .map_err(|error| error.under(&format!("participant.skills[{index}].skill")))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::label_skill_id;

    #[test]
    fn occupation_codes_are_checked_with_hints() {
        let vocabulary = Vocabulary::shipped();
        assert!(vocabulary.check_occupation("offer.occupation_code", "432103").is_ok());
        let error = vocabulary.check_occupation("offer.occupation_code", "432199").unwrap_err();
        assert_eq!(error.field, "offer.occupation_code");
        assert!(
            error.reason.contains("\"432199\" is not a KZiS 2023 occupation code; nearest: 432190 "),
            "{}",
            error.reason
        );
        let skill = SkillId::new("x:lutowanie").unwrap();
        let error = vocabulary.check_skill("skills[0].skill", &skill).unwrap_err();
        assert!(error.reason.starts_with("\"x:lutowanie\" is not a known skill id; nearest: "), "{}", error.reason);
        assert!(error.reason.contains("lutowa"), "{}", error.reason);
        let known = SkillId::new(label_skill_id("przygotowywać wózki serwisowe")).unwrap();
        assert!(vocabulary.check_skill("skill", &known).is_ok());
        assert!(vocabulary.check_skill("skill", &SkillId::new("pl:pranie").unwrap()).is_ok());
    }

    #[test]
    fn terms_and_extraction_cover_the_vocabulary() {
        let vocabulary = Vocabulary::shipped();
        let found = vocabulary.suggest_terms("sprzat", 5);
        assert!(!found.is_empty());
        assert!(found.iter().all(|term| fold(&term.label).contains("sprzat")));
        let skills = vocabulary.extract_skills("Obsługa wózka widłowego, kompletowanie zamówień w magazynie.");
        let ids: Vec<&str> = skills.iter().map(|skill| skill.id.as_str()).collect();
        assert_eq!(ids, ["pl:wozek-widlowy", "pl:kompletowanie-zamowien"]);
        let skills = vocabulary.extract_skills("Wymagamy umiejętności obsługi kasy fiskalnej i obsługi klienta.");
        assert!(!skills.is_empty(), "ESCO labels are found too");
        assert!(skills.iter().all(|skill| skill.id.starts_with("esco-pl:")), "{skills:?}");
        assert_eq!(vocabulary.suggest_occupations("Kelnerka", "obsługa gości", 3)[0].code[..4], *"5131");
    }
}
