//! KZiS 2023, the Polish classification of occupations and specialisations: every code (1
//! to 6 digits) with its official name. A code's parents are its prefixes (1, 2, 3 and 4
//! digits: major, sub-major, minor and unit group).

use std::collections::BTreeMap;

/// The classification.
#[derive(Debug, Clone, Default)]
pub struct Kzis {
    names: BTreeMap<String, String>,
    occupations: Vec<String>,
}

impl Kzis {
    /// Parses `code<TAB>name` lines.
    pub fn parse(text: &str) -> Self {
        let names: BTreeMap<String, String> = text
            .lines()
            .filter_map(|line| line.split_once('\t'))
            .filter(|(code, name)| !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty())
            .map(|(code, name)| (code.to_owned(), name.to_owned()))
            .collect();
        let occupations = names.keys().filter(|code| code.len() == 6).cloned().collect();
        Self { names, occupations }
    }

    /// The official name of any code.
    pub fn name(&self, code: &str) -> Option<&str> {
        self.names.get(code).map(String::as_str)
    }

    /// Whether `code` is a 6-digit occupation of the classification.
    pub fn is_occupation(&self, code: &str) -> bool {
        code.len() == 6 && self.names.contains_key(code)
    }

    /// Every 6-digit occupation code, in order.
    pub fn occupations(&self) -> &[String] {
        &self.occupations
    }

    /// How many codes of every level.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether the classification is empty (never for the shipped one).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Up to `limit` occupations nearest to a code that is not one: those sharing the longest
    /// prefix with it (its unit group, then minor group...), in code order within a level.
    pub fn nearest_occupations(&self, code: &str, limit: usize) -> Vec<(&str, &str)> {
        let digits: String = code.chars().filter(char::is_ascii_digit).take(6).collect();
        let mut found: Vec<(&str, &str)> = Vec::new();
        for prefix_len in (1..=digits.len().min(5)).rev() {
            let prefix = &digits[..prefix_len];
            for (code, name) in self
                .names
                .range(prefix.to_owned()..)
                .take_while(|(candidate, _)| candidate.starts_with(prefix))
                .filter(|(candidate, _)| candidate.len() == 6)
            {
                if found.len() == limit {
                    return found;
                }
                if !found.iter().any(|(known, _)| *known == code.as_str()) {
                    found.push((code.as_str(), name.as_str()));
                }
            }
        }
        found
    }
}
