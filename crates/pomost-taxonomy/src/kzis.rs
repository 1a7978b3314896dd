//! KZiS 2023, the Polish classification of occupations and specialisations: every code (1
//! to 6 digits) with its official name. A code's parents are its prefixes (1, 2, 3 and 4
//! digits: major, sub-major, minor and unit group).

use std::collections::{BTreeMap, HashMap};

/// The classification.
#[derive(Debug, Clone, Default)]
pub struct Kzis {
    /// Names by code: looked up for every explained candidate (a hash probe; the ordered
    /// map's dozen string comparisons cost about a thousand instructions a name).
    names: HashMap<String, String>,
    /// Every code, in order (the prefix search of [`Kzis::nearest_occupations`]).
    codes: Vec<String>,
    occupations: Vec<String>,
}

impl Kzis {
    /// Parses `code<TAB>name` lines.
    pub fn parse(text: &str) -> Self {
        let ordered: BTreeMap<String, String> = text
            .lines()
            .filter_map(|line| line.split_once('\t'))
            .filter(|(code, name)| !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty())
            .map(|(code, name)| (code.to_owned(), name.to_owned()))
            .collect();
        let codes: Vec<String> = ordered.keys().cloned().collect();
        let occupations = codes.iter().filter(|code| code.len() == 6).cloned().collect();
        Self { names: ordered.into_iter().collect(), codes, occupations }
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
            let start = self.codes.partition_point(|code| code.as_str() < prefix);
            for code in self.codes[start..]
                .iter()
                .take_while(|candidate| candidate.starts_with(prefix))
                .filter(|candidate| candidate.len() == 6)
            {
                if found.len() == limit {
                    return found;
                }
                if !found.iter().any(|(known, _)| *known == code.as_str())
                    && let Some(name) = self.names.get(code)
                {
                    found.push((code.as_str(), name.as_str()));
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::Kzis;

    #[test]
    fn names_and_nearest_occupations_by_longest_shared_prefix_then_code_order() {
        let kzis = Kzis::parse(
            "9\tPracownicy przy pracach prostych\n91\tPomoce domowe\n9112\tSprzątacze\n911201\tPokojowa\n\
             911290\tPozostali sprzątacze\n912101\tPraczka ręczna\n811101\tGórnik\nx\tnot a code\n",
        );
        assert_eq!(kzis.name("9112"), Some("Sprzątacze"));
        assert_eq!(kzis.name("x"), None);
        assert_eq!(kzis.occupations(), ["811101", "911201", "911290", "912101"]);
        assert!(kzis.is_occupation("911201") && !kzis.is_occupation("9112"));
        assert_eq!(
            kzis.nearest_occupations("911299", 3),
            [("911290", "Pozostali sprzątacze"), ("911201", "Pokojowa"), ("912101", "Praczka ręczna")]
        );
        assert_eq!(kzis.nearest_occupations("81", 5), [("811101", "Górnik")]);
        assert!(kzis.nearest_occupations("", 3).is_empty());
    }
}
