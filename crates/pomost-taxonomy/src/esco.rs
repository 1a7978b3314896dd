//! ESCO skills and knowledge in Polish, linked to KZiS occupations, and the import of a full
//! ESCO CSV release.
//!
//! Skill ids are stable and derived from the label alone, so any copy of Pomost gives a
//! label the same id: `esco-pl:` followed by the 12 hex digits of the top 48 bits of the
//! 64-bit FNV-1a hash of the label lower-cased and folded to ASCII (the `pomost-text` fold).
//! A test checks that no two shipped labels share an id. When an operator imports an ESCO
//! release, a skill whose Polish preferred or alternative label matches gains its
//! `conceptUri` as a second id; the label-derived id keeps working.

use std::collections::HashMap;

use pomost_text::fold;

/// The prefix of label-derived skill ids.
pub const LABEL_ID_PREFIX: &str = "esco-pl:";

/// The id a Polish ESCO label stands for.
pub fn label_skill_id(label: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in fold(label.trim()).bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{LABEL_ID_PREFIX}{:012x}", hash >> 16)
}

/// One skill of the vocabulary.
#[derive(Debug, Clone, PartialEq)]
pub struct Skill {
    /// The label-derived id.
    pub id: String,
    /// The ESCO concept URI, once a release is imported.
    pub uri: Option<String>,
    /// Polish preferred label.
    pub label: String,
    /// Polish alternative labels (from an imported release).
    pub alt_labels: Vec<String>,
    /// KZiS occupations ESCO links it to.
    pub occupations: Vec<String>,
}

impl Skill {
    /// The id Pomost answers with: the ESCO URI once a release gave one, else the
    /// label-derived id (both are accepted on input).
    pub fn canonical_id(&self) -> &str {
        self.uri.as_deref().unwrap_or(&self.id)
    }
}

/// The skill pillar Pomost knows.
#[derive(Debug, Clone, Default)]
pub struct Skills {
    skills: Vec<Skill>,
    by_id: HashMap<String, usize>,
    by_occupation: HashMap<String, Vec<usize>>,
    /// For occupations ESCO links no skill to: skills found in their official texts.
    derived: HashMap<String, Vec<usize>>,
}

impl Skills {
    /// Parses `code<TAB>label` lines (the shipped `esco-skills.tsv.gz`).
    pub fn parse_links(text: &str) -> Self {
        let mut skills = Self::default();
        for (code, label) in text.lines().filter_map(|line| line.split_once('\t')) {
            let index = skills.intern(label);
            let skill = &mut skills.skills[index];
            if !skill.occupations.iter().any(|known| known == code) {
                skill.occupations.push(code.to_owned());
                skills.by_occupation.entry(code.to_owned()).or_default().push(index);
            }
        }
        skills
    }

    fn intern(&mut self, label: &str) -> usize {
        let id = label_skill_id(label);
        if let Some(&index) = self.by_id.get(&id) {
            return index;
        }
        let index = self.skills.len();
        self.skills.push(Skill {
            id: id.clone(),
            uri: None,
            label: label.to_owned(),
            alt_labels: Vec::new(),
            occupations: Vec::new(),
        });
        self.by_id.insert(id, index);
        index
    }

    /// Every skill.
    pub fn all(&self) -> &[Skill] {
        &self.skills
    }

    /// The skill with this id (label-derived or URI).
    pub fn get(&self, id: &str) -> Option<&Skill> {
        self.by_id.get(id).map(|&index| &self.skills[index])
    }

    /// Whether ESCO (or a local group) links any skill to `code`.
    pub fn has_occupation(&self, code: &str) -> bool {
        self.by_occupation.contains_key(code)
    }

    /// Whether `code` has skills at all, linked or found in its texts.
    pub fn has_usable_skills(&self, code: &str) -> bool {
        self.by_occupation.contains_key(code) || self.derived.contains_key(code)
    }

    /// Every occupation with skills and the skills, linked ones where there are any.
    pub fn occupations(&self) -> impl Iterator<Item = (&str, impl Iterator<Item = &Skill>)> {
        let linked = self.by_occupation.iter();
        let derived = self.derived.iter().filter(|(code, _)| !self.by_occupation.contains_key(*code));
        linked.chain(derived).map(|(code, members)| (code.as_str(), members.iter().map(|&index| &self.skills[index])))
    }

    /// Adds `code<TAB>skill id` lines of skills found in occupations' texts (the shipped
    /// `derived-skills.tsv.gz`); unknown ids are skipped.
    pub fn add_derived_links(&mut self, text: &str) {
        for (code, id) in text.lines().filter_map(|line| line.split_once('\t')) {
            if let Some(&index) = self.by_id.get(id) {
                let members = self.derived.entry(code.to_owned()).or_default();
                if !members.contains(&index) {
                    members.push(index);
                }
            }
        }
    }

    /// Adds a skill of Pomost's own (outside ESCO) under a fixed id.
    pub fn add_local(&mut self, id: &str, label: &str, occupations: &[&str]) {
        let index = self.skills.len();
        self.skills.push(Skill {
            id: id.to_owned(),
            uri: None,
            label: label.to_owned(),
            alt_labels: Vec::new(),
            occupations: occupations.iter().map(|code| (*code).to_owned()).collect(),
        });
        self.by_id.insert(id.to_owned(), index);
        for code in occupations {
            self.by_occupation.entry((*code).to_owned()).or_default().push(index);
        }
    }

    /// Merges an ESCO CSV release of the skills pillar (columns `conceptUri`,
    /// `preferredLabel`, `altLabels`; Polish labels; alternative labels one a line): known
    /// labels gain their URI and alternative labels, new ones are added. Returns how many
    /// rows were read, matched and added.
    pub fn import_esco_csv(&mut self, csv_text: impl std::io::Read) -> Result<ImportCounts, ImportError> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(csv_text);
        let headers = reader.headers().map_err(|error| ImportError::Csv(error.to_string()))?.clone();
        let column = |name: &str| {
            headers.iter().position(|header| header == name).ok_or_else(|| ImportError::MissingColumn(name.to_owned()))
        };
        let (uri_at, label_at, alt_at) = (column("conceptUri")?, column("preferredLabel")?, column("altLabels")?);
        let mut counts = ImportCounts::default();
        for record in reader.records() {
            let record = record.map_err(|error| ImportError::Csv(error.to_string()))?;
            let (Some(uri), Some(label)) = (record.get(uri_at), record.get(label_at)) else { continue };
            let (uri, label) = (uri.trim(), label.trim());
            if uri.is_empty() || label.is_empty() {
                continue;
            }
            counts.rows += 1;
            let known = self.by_id.contains_key(&label_skill_id(label));
            let index = self.intern(label);
            if known {
                counts.matched += 1;
            } else {
                counts.added += 1;
            }
            let alt: Vec<String> = record
                .get(alt_at)
                .unwrap_or("")
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(str::to_owned)
                .collect();
            let skill = &mut self.skills[index];
            skill.uri = Some(uri.to_owned());
            skill.alt_labels = alt;
            self.by_id.insert(uri.to_owned(), index);
        }
        Ok(counts)
    }
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    /// Rows with a URI and a label.
    pub rows: usize,
    /// Rows whose label Pomost already knew.
    pub matched: usize,
    /// Rows added as new skills.
    pub added: usize,
}

/// Why an ESCO file could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// The file lacks a column the format has.
    #[error("the ESCO file has no {0:?} column (expected conceptUri, preferredLabel, altLabels)")]
    MissingColumn(String),
    /// The file is not CSV.
    #[error("the ESCO file is not valid CSV: {0}")]
    Csv(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_the_folded_label() {
        assert_eq!(label_skill_id("obsługiwać wózek widłowy"), label_skill_id("Obslugiwac wozek widlowy "));
        assert_ne!(label_skill_id("pakowanie"), label_skill_id("pranie"));
        assert!(label_skill_id("x").starts_with("esco-pl:"));
        assert_eq!(label_skill_id("x").len(), "esco-pl:".len() + 12);
    }

    #[test]
    fn an_esco_release_adds_uris_and_new_skills() {
        let mut skills = Skills::parse_links("932101\tpakować towary\n432103\tpakować towary\n");
        let fixture = "conceptUri,skillType,preferredLabel,altLabels\n\
            http://data.europa.eu/esco/skill/1,skill/competence,pakować towary,\"pakowanie towarów\nzapakować towary\"\n\
            http://data.europa.eu/esco/skill/2,skill/competence,obsługiwać wózek widłowy,\n";
        let counts = skills.import_esco_csv(fixture.as_bytes()).unwrap();
        assert_eq!(counts, ImportCounts { rows: 2, matched: 1, added: 1 });
        let packing = skills.get("http://data.europa.eu/esco/skill/1").unwrap();
        assert_eq!(packing.id, label_skill_id("pakować towary"));
        assert_eq!(packing.alt_labels, ["pakowanie towarów", "zapakować towary"]);
        assert_eq!(packing.occupations, ["932101", "432103"]);
        assert!(skills.get(&label_skill_id("obsługiwać wózek widłowy")).is_some());
        assert!(matches!(skills.import_esco_csv("uri,label\n".as_bytes()), Err(ImportError::MissingColumn(_))));
    }
}
