//! What a text says, as weighted terms: the words of a title and of a description turned
//! into Pomost terms (lemmas, see `pomost-text`), title words and title word pairs kept
//! apart from description words because a title says far more about the occupation.

use std::collections::HashMap;

use pomost_text::{Lemmatizer, lemmatizer, words};

/// Marks a title word.
pub const TITLE: char = 't';
/// Marks a pair of neighbouring title words.
pub const TITLE_PAIR: char = 'p';
/// Marks a description word.
pub const BODY: char = 'd';

/// Terms of a document with raw weights (before idf), keyed `<kind>|<term>`.
#[derive(Debug, Clone, Default)]
pub struct TermCounts {
    /// Term → weight.
    pub terms: HashMap<String, f32>,
}

/// How much each kind of term counts.
#[derive(Debug, Clone, Copy)]
pub struct FieldWeights {
    /// A title word.
    pub title: f32,
    /// A pair of title words.
    pub title_pair: f32,
    /// A description word (1 + ln of its count).
    pub body: f32,
}

impl Default for FieldWeights {
    fn default() -> Self {
        Self { title: 3.0, title_pair: 2.0, body: 1.0 }
    }
}

/// The terms of `text`, skipping numbers and one-letter words, with each one's position.
pub fn text_terms(lemmas: &Lemmatizer, text: &str) -> Vec<String> {
    let (mut scratch, mut out) = (String::new(), String::new());
    let mut terms = Vec::new();
    for (_, word) in words(text) {
        if word.chars().count() < 2 || word.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        lemmas.term_into(word, &mut scratch, &mut out);
        terms.push(out.clone());
    }
    terms
}

/// The weighted terms of a document with a title and a description.
pub fn document_terms(title: &str, description: &str, weights: FieldWeights) -> TermCounts {
    let lemmas = lemmatizer();
    let mut counts = TermCounts::default();
    let title_terms = text_terms(lemmas, title);
    for term in &title_terms {
        counts.terms.insert(format!("{TITLE}|{term}"), weights.title);
    }
    for pair in title_terms.windows(2) {
        counts.terms.insert(format!("{TITLE_PAIR}|{}_{}", pair[0], pair[1]), weights.title_pair);
    }
    let mut body: HashMap<String, u32> = HashMap::new();
    for term in text_terms(lemmas, description) {
        *body.entry(term).or_default() += 1;
    }
    for (term, count) in body {
        counts.terms.insert(format!("{BODY}|{term}"), weights.body * (1.0 + (count as f32).ln()));
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_words_pairs_and_body_words_are_apart() {
        let counts =
            document_terms("Pracownicy magazynu", "Magazyn, magazyn i pakowanie 24/7", FieldWeights::default());
        assert_eq!(counts.terms.get("t|pracownik"), Some(&3.0));
        assert_eq!(counts.terms.get("p|pracownik_magazyn"), Some(&2.0));
        let magazyn = counts.terms["d|magazyn"];
        assert!((magazyn - (1.0 + 2f32.ln())).abs() < 1e-6);
        assert!(!counts.terms.keys().any(|key| key.ends_with("|24") || key.ends_with("|i")));
    }
}
