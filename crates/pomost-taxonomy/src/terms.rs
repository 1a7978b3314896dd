//! Typeahead over the vocabulary: a prefix of any word of an occupation name, a job title or
//! a skill label finds it, with or without Polish letters. Every word of every label sits in
//! one sorted list; a prefix is a binary search and a walk over its range.

use pomost_text::fold;

/// What a term names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TermKind {
    /// A KZiS occupation (id: its code).
    Occupation,
    /// A job title people use for an occupation (id: the occupation's code).
    JobTitle,
    /// A skill (id: the skill id).
    Skill,
}

/// One term of the vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// What it names.
    pub kind: TermKind,
    /// Code or skill id.
    pub id: String,
    /// The label as written.
    pub label: String,
}

/// The typeahead index.
#[derive(Debug, Clone, Default)]
pub struct TermIndex {
    terms: Vec<Term>,
    /// Folded words of each term.
    words: Vec<Vec<String>>,
    /// (folded word, term) sorted by word.
    postings: Vec<(String, u32)>,
}

/// Longest prefix range walked for one query word; a one-letter prefix of a common letter
/// stops here and ranks what it saw.
const MAX_WALK: usize = 20_000;

impl TermIndex {
    /// Indexes `terms` (duplicates of kind, id and folded words are dropped).
    pub fn new(terms: impl IntoIterator<Item = Term>) -> Self {
        let mut index = Self::default();
        let mut seen = std::collections::HashSet::new();
        for term in terms {
            let folded = fold(&term.label);
            let words: Vec<String> =
                folded.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_owned).collect();
            if words.is_empty() || !seen.insert((term.kind, term.id.clone(), words.clone())) {
                continue;
            }
            let at = index.terms.len() as u32;
            for word in &words {
                index.postings.push((word.clone(), at));
            }
            index.terms.push(term);
            index.words.push(words);
        }
        index.postings.sort_unstable();
        index.postings.dedup();
        index
    }

    /// How many terms.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Up to `k` terms in which every word of `query` begins some word; best first: the
    /// label's first word matching the query's first word, then shorter labels, then
    /// occupations before job titles before skills, then alphabetical.
    pub fn suggest(&self, query: &str, k: usize) -> Vec<&Term> {
        let query = fold(query);
        let words: Vec<&str> = query.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
        if words.is_empty() || k == 0 {
            return Vec::new();
        }
        // Walk the narrowest range; check the other words on each candidate.
        let ranges: Vec<&[(String, u32)]> = words.iter().map(|word| self.range(word)).collect();
        let Some(narrowest) = ranges.iter().min_by_key(|range| range.len()) else { return Vec::new() };
        let mut candidates: Vec<u32> = narrowest.iter().take(MAX_WALK).map(|(_, term)| *term).collect();
        candidates.sort_unstable();
        candidates.dedup();
        let mut ranked: Vec<(bool, usize, TermKind, &str, u32)> = candidates
            .into_iter()
            .filter(|&term| {
                let term_words = &self.words[term as usize];
                words.iter().all(|word| term_words.iter().any(|w| w.starts_with(word)))
            })
            .map(|term| {
                let t = &self.terms[term as usize];
                let leads = self.words[term as usize].first().is_some_and(|first| first.starts_with(words[0]));
                (!leads, t.label.chars().count(), t.kind, t.label.as_str(), term)
            })
            .collect();
        ranked.sort_unstable();
        ranked.into_iter().take(k).map(|(.., term)| &self.terms[term as usize]).collect()
    }

    fn range(&self, prefix: &str) -> &[(String, u32)] {
        let start = self.postings.partition_point(|(word, _)| word.as_str() < prefix);
        let len = self.postings[start..].partition_point(|(word, _)| word.starts_with(prefix));
        &self.postings[start..start + len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(kind: TermKind, id: &str, label: &str) -> Term {
        Term { kind, id: id.into(), label: label.into() }
    }

    #[test]
    fn prefixes_of_any_word_find_terms() {
        let index = TermIndex::new([
            term(TermKind::Occupation, "432103", "Magazynier"),
            term(TermKind::JobTitle, "432103", "Pracownik magazynu"),
            term(TermKind::Skill, "s1", "obsługiwać wózek widłowy"),
            term(TermKind::Occupation, "513101", "Kelner"),
            term(TermKind::JobTitle, "432103", "pracownik  magazynu"),
        ]);
        assert_eq!(index.len(), 4, "duplicate label dropped");
        let found: Vec<&str> = index.suggest("magaz", 10).iter().map(|t| t.label.as_str()).collect();
        assert_eq!(found, ["Magazynier", "Pracownik magazynu"]);
        assert_eq!(index.suggest("WOZ", 10)[0].id, "s1");
        assert_eq!(index.suggest("wóz wid", 10)[0].id, "s1");
        assert!(index.suggest("wóz kel", 10).is_empty());
        assert!(index.suggest("  ", 10).is_empty());
        assert_eq!(index.suggest("k", 1).len(), 1);
    }
}
