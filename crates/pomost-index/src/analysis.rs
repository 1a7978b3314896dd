//! Polish text analysis for the offer index: split into words, then each word becomes its
//! Pomost term (folded to ASCII, then its lemma in the Morfologik dictionary, or its light
//! stem when the dictionary does not know it; see `pomost-text`). So "pracownicy" meets
//! "pracownik", "magazynierzy" meets "magazynier", "kelnerka" meets "kelner" and
//! "sprzątania" meets "sprzątanie", typed with or without Polish letters.

use pomost_text::{Lemmatizer, lemmatizer};

use crate::options::TextAnalysis;
use tantivy::tokenizer::{RemoveLongFilter, SimpleTokenizer, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer};

/// Name under which the analyzer is registered with the index (a new name whenever the
/// terms it makes change, so an older index is rebuilt).
pub const POLISH: &str = "pl_morfologik";

/// The analyzer for Polish job texts.
pub fn polish_analyzer() -> TextAnalyzer {
    analyzer(TextAnalysis::Lemmas)
}

/// An analyzer of either kind.
pub fn analyzer(analysis: TextAnalysis) -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(64))
        .filter(PolishTerms { analysis })
        .build()
}

/// Token filter turning each word into its term: its lemma (light stem when unknown), or
/// with [`TextAnalysis::LightStem`] only the folded light stem.
#[derive(Debug, Clone, Copy)]
pub struct PolishTerms {
    analysis: TextAnalysis,
}

impl TokenFilter for PolishTerms {
    type Tokenizer<T: Tokenizer> = PolishTermsFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> Self::Tokenizer<T> {
        PolishTermsFilter { inner: tokenizer, analysis: self.analysis }
    }
}

/// The tokenizer a [`PolishTerms`] wraps around.
#[derive(Debug, Clone)]
pub struct PolishTermsFilter<T> {
    inner: T,
    analysis: TextAnalysis,
}

impl<T: Tokenizer> Tokenizer for PolishTermsFilter<T> {
    type TokenStream<'a> = PolishTermsStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        PolishTermsStream {
            tail: self.inner.token_stream(text),
            analysis: self.analysis,
            lemmas: lemmatizer(),
            scratch: String::new(),
            term: String::new(),
        }
    }
}

/// The stream of terms.
#[derive(Debug)]
pub struct PolishTermsStream<T> {
    tail: T,
    analysis: TextAnalysis,
    lemmas: &'static Lemmatizer,
    scratch: String,
    term: String,
}

impl<T: TokenStream> TokenStream for PolishTermsStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        match self.analysis {
            TextAnalysis::Lemmas => self.lemmas.term_into(&token.text, &mut self.scratch, &mut self.term),
            TextAnalysis::LightStem => {
                pomost_text::fold_into(&token.text, &mut self.scratch);
                self.term.clear();
                self.term.push_str(pomost_text::light_stem(&self.scratch));
            }
        }
        std::mem::swap(&mut token.text, &mut self.term);
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        let mut analyzer = polish_analyzer();
        let mut stream = analyzer.token_stream(text);
        let mut terms = Vec::new();
        while stream.advance() {
            terms.push(stream.token().text.clone());
        }
        terms
    }

    fn same_term(a: &str, b: &str) {
        assert_eq!(terms(a), terms(b), "{a} / {b}");
    }

    #[test]
    fn inflected_forms_meet() {
        for form in ["sprzątanie", "sprzatanie", "sprzątania", "sprzątaniem", "sprzątaniu", "SPRZĄTANIE"] {
            same_term(form, "sprzątanie");
        }
        for form in ["magazynie", "magazynu", "magazyny", "magazynów", "magazynem"] {
            same_term(form, "magazyn");
        }
        same_term("terenów zielonych", "tereny zielone");
        same_term("kuchennej", "kuchenna");
        same_term("opieki", "opieka");
        same_term("pracownicy magazynu", "pracownik magazyn");
        same_term("magazynierzy", "magazynier");
        same_term("kelnerka", "kelnerów");
        same_term("sprzedawczyni", "sprzedawcy");
    }

    #[test]
    fn unknown_words_are_stemmed_lightly() {
        same_term("developera", "developer");
        assert_eq!(terms("Łódź, ul. Żółta 5"), ["lodz", "ul", "zolty", "5"]);
    }
}
