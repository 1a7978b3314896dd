//! Skills found in free text: a skill label is found where all of its content words occur
//! close together in the text, word forms compared by a key that survives Polish
//! inflection and the verb/noun alternation of ESCO labels ("obsługiwać wózek widłowy"
//! is found in "obsługa wózków widłowych"): the word's lemma with an infinitive or
//! verbal-noun ending cut, or else a final vowel ("obsługa" and "obsługiwać" both give
//! "obslug", while "informacja" and "informatyka" stay apart).

use std::collections::HashMap;

use pomost_text::{lemmatizer, words};

use crate::esco::Skills;

/// Words that carry no skill on their own (folded).
const FUNCTION_WORDS: &[&str] = &[
    "a", "i", "w", "we", "z", "ze", "na", "do", "od", "po", "o", "u", "oraz", "lub", "albo", "dla", "przy", "pod",
    "nad", "za", "jak", "się", "sie", "ich", "jego", "jej", "to", "ten", "ta", "te", "inny", "różny", "rozny",
];

/// One skill found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundSkill {
    /// The skill id.
    pub id: String,
    /// Its Polish label.
    pub label: String,
    /// Byte range of the words that matched in the text.
    pub span: (usize, usize),
}

/// The key a word is compared by, or `None` for a function word or a number.
fn word_key(word: &str, scratch: &mut String, out: &mut String) -> Option<String> {
    if word.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    lemmatizer().term_into(word, scratch, out);
    if out.chars().count() < 2 || FUNCTION_WORDS.contains(&out.as_str()) {
        return None;
    }
    let stem = VERBAL_ENDINGS
        .iter()
        .find_map(|ending| out.strip_suffix(ending).filter(|stem| stem.len() >= 2))
        .or_else(|| out.strip_suffix(['a', 'e', 'o', 'y', 'i']).filter(|stem| stem.len() >= 4))
        .unwrap_or(out);
    Some(stem.to_owned())
}

/// Endings of infinitives and verbal nouns (folded), longest first, cut before the key is
/// taken so "myć" meets "mycie" and "kompletować" meets "kompletowanie".
const VERBAL_ENDINGS: &[&str] = &[
    "owanie", "ywanie", "iwanie", "awanie", "anie", "enie", "cie", "owac", "ywac", "iwac", "awac", "ac", "ic", "yc",
    "ec", "c",
];

struct Pattern {
    skill: usize,
    keys: Vec<String>,
}

/// Finds the labels of a skill vocabulary in texts.
pub struct SkillExtractor {
    patterns: Vec<Pattern>,
    /// Rarest key of each pattern → patterns.
    by_anchor: HashMap<String, Vec<usize>>,
}

impl std::fmt::Debug for SkillExtractor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SkillExtractor").field("patterns", &self.patterns.len()).finish()
    }
}

impl SkillExtractor {
    /// Patterns for every label (and alternative label) of `skills`.
    pub fn new(skills: &Skills) -> Self {
        let (mut scratch, mut out) = (String::new(), String::new());
        let mut patterns = Vec::new();
        for (index, skill) in skills.all().iter().enumerate() {
            for label in std::iter::once(&skill.label).chain(&skill.alt_labels) {
                let keys: Vec<String> =
                    words(label).filter_map(|(_, word)| word_key(word, &mut scratch, &mut out)).collect();
                if !keys.is_empty() && keys.len() <= 6 {
                    patterns.push(Pattern { skill: index, keys });
                }
            }
        }
        let mut frequency: HashMap<&str, usize> = HashMap::new();
        for pattern in &patterns {
            for key in &pattern.keys {
                *frequency.entry(key.as_str()).or_default() += 1;
            }
        }
        let mut by_anchor: HashMap<String, Vec<usize>> = HashMap::new();
        for (index, pattern) in patterns.iter().enumerate() {
            if let Some(anchor) = pattern.keys.iter().min_by_key(|key| (frequency[key.as_str()], key.as_str())) {
                by_anchor.entry(anchor.clone()).or_default().push(index);
            }
        }
        Self { patterns, by_anchor }
    }

    /// The skills whose label occurs in `text`, in order of first occurrence, each once; a
    /// label whose words all lie inside a longer found label's words is left out.
    pub fn extract(&self, skills: &Skills, text: &str) -> Vec<FoundSkill> {
        let (mut scratch, mut out) = (String::new(), String::new());
        let tokens: Vec<(String, usize, usize)> = words(text)
            .filter_map(|(at, word)| word_key(word, &mut scratch, &mut out).map(|key| (key, at, at + word.len())))
            .collect();
        let mut found: Vec<(usize, usize, usize, usize)> = Vec::new(); // (first token, last token, pattern len, skill)
        for (position, (key, _, _)) in tokens.iter().enumerate() {
            let Some(candidates) = self.by_anchor.get(key) else { continue };
            for &candidate in candidates {
                let pattern = &self.patterns[candidate];
                let window = pattern.keys.len() + 2;
                let from = position.saturating_sub(window);
                let to = (position + window + 1).min(tokens.len());
                let mut matched = Vec::with_capacity(pattern.keys.len());
                for key in &pattern.keys {
                    match (from..to).find(|&at| &tokens[at].0 == key && !matched.contains(&at)) {
                        Some(at) => matched.push(at),
                        None => break,
                    }
                }
                if matched.len() == pattern.keys.len() {
                    let first = matched.iter().copied().min().unwrap_or(position);
                    let last = matched.iter().copied().max().unwrap_or(position);
                    found.push((first, last, pattern.keys.len(), pattern.skill));
                }
            }
        }
        // Longer labels first, so a label inside a longer one can be dropped.
        found.sort_by_key(|&(first, last, len, skill)| (std::cmp::Reverse(len), first, last, skill));
        let mut kept: Vec<(usize, usize, usize, usize)> = Vec::new();
        for (first, last, len, skill) in found {
            let known = kept.iter().any(|&(_, _, _, other)| other == skill);
            let inside = kept.iter().any(|&(f, l, longer, _)| f <= first && last <= l && longer > len);
            if !known && !inside {
                kept.push((first, last, len, skill));
            }
        }
        kept.sort_by_key(|&(first, last, _, skill)| (first, last, skill));
        kept.into_iter()
            .map(|(first, last, _, skill)| FoundSkill {
                id: skills.all()[skill].canonical_id().to_owned(),
                label: skills.all()[skill].label.clone(),
                span: (tokens[first].1, tokens[last].2),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_found_through_inflection() {
        let skills = Skills::parse_links(
            "432103\tobsługiwać wózek widłowy\n432103\tkompletowanie zamówień\n911207\tmyć okna\n432103\twózek\n",
        );
        let extractor = SkillExtractor::new(&skills);
        let text =
            "Zakres obowiązków: obsługa wózków widłowych, kompletowanie zamówień klientów. Mile widziane mycie okien.";
        let found = extractor.extract(&skills, text);
        let labels: Vec<&str> = found.iter().map(|skill| skill.label.as_str()).collect();
        assert_eq!(labels, ["obsługiwać wózek widłowy", "kompletowanie zamówień", "myć okna"]);
        assert_eq!(&text[found[0].span.0..found[0].span.1], "obsługa wózków widłowych");
        assert!(extractor.extract(&skills, "sprzedaż kosmetyków").is_empty());
    }
}
