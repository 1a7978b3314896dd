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
    let builder = TextAnalyzer::builder(SimpleTokenizer::default()).filter(RemoveLongFilter::limit(64));
    match analysis {
        TextAnalysis::Lemmas => builder.filter(PolishTerms).build(),
        TextAnalysis::LightStem => builder.filter(LightStem).build(),
    }
}

/// Token filter of the light stemmer alone: fold, then strip endings.
#[derive(Debug, Clone, Copy)]
pub struct LightStem;

impl TokenFilter for LightStem {
    type Tokenizer<T: Tokenizer> = LightStemFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> Self::Tokenizer<T> {
        LightStemFilter { inner: tokenizer }
    }
}

/// The tokenizer a [`LightStem`] wraps around.
#[derive(Debug, Clone)]
pub struct LightStemFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for LightStemFilter<T> {
    type TokenStream<'a> = LightStemStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        LightStemStream { tail: self.inner.token_stream(text), folded: String::new() }
    }
}

/// The stream of light-stemmed tokens.
#[derive(Debug)]
pub struct LightStemStream<T> {
    tail: T,
    folded: String,
}

impl<T: TokenStream> TokenStream for LightStemStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        pomost_text::fold_into(&token.text, &mut self.folded);
        token.text.clear();
        token.text.push_str(pomost_text::light_stem(&self.folded));
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// Token filter turning each word into its term.
#[derive(Debug, Clone, Copy)]
pub struct PolishTerms;

impl TokenFilter for PolishTerms {
    type Tokenizer<T: Tokenizer> = PolishTermsFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> Self::Tokenizer<T> {
        PolishTermsFilter { inner: tokenizer }
    }
}

/// The tokenizer a [`PolishTerms`] wraps around.
#[derive(Debug, Clone)]
pub struct PolishTermsFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for PolishTermsFilter<T> {
    type TokenStream<'a> = PolishTermsStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        PolishTermsStream {
            tail: self.inner.token_stream(text),
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
        self.lemmas.term_into(&token.text, &mut self.scratch, &mut self.term);
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
