//! Polish text analysis: split on non-alphanumerics, lower-case, fold diacritics to ASCII
//! (so "sprzatanie" meets "sprzątanie"), then strip inflectional endings with a light
//! stemmer (so "sprzątania" and "sprzątaniem" meet "sprzątanie", "magazynie" meets
//! "magazyn").
//!
//! Why our own stemmer: the Polish stemmer in `tantivy-stemmers` (Yarovoy's) over-stems
//! common words into different stems ("sprzątanie" → "sprzat" but "sprzątania" → "sprz",
//! "starszych" → "r"), so inflected forms often miss each other. A light stemmer that only
//! removes case and number endings, keeping a stem of at least three letters, matches
//! inflected forms of the job vocabulary reliably; its rules and their tests are below.

use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, Token, TokenFilter, TokenStream,
    Tokenizer,
};

/// Name under which the analyzer is registered with the index.
pub const POLISH: &str = "pl_light";

/// The analyzer for Polish job texts.
pub fn polish_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(64))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(PolishLightStemmer)
        .build()
}

/// Endings removed by the stemmer, on ASCII-folded lower-case words, longest first: verbal
/// nouns (-anie, -enie and their cases), noun and adjective case endings.
const ENDINGS: &[&str] = &[
    "aniami", "eniami", "aniach", "eniach", "osciami", "osciach", "aniem", "eniem", "aniom", "eniom", "owych", "owymi",
    "owego", "owemu", "ania", "enia", "aniu", "eniu", "anie", "enie", "osci", "owej", "owym", "owa", "owe", "owi",
    "ami", "ach", "ego", "emu", "ymi", "imi", "ych", "ich", "iem", "ow", "om", "ej", "ym", "im", "em", "ie", "ia",
    "iu", "a", "e", "i", "o", "u", "y",
];

/// Shortest stem the stemmer leaves.
const MIN_STEM: usize = 3;

/// Strips the longest listed ending that leaves a stem of at least [`MIN_STEM`] letters.
pub fn light_stem(word: &str) -> &str {
    if !word.is_ascii() {
        return word;
    }
    for ending in ENDINGS {
        if word.len() >= ending.len() + MIN_STEM && word.ends_with(ending) {
            return &word[..word.len() - ending.len()];
        }
    }
    word
}

/// Token filter applying [`light_stem`].
#[derive(Debug, Clone, Copy)]
pub struct PolishLightStemmer;

impl TokenFilter for PolishLightStemmer {
    type Tokenizer<T: Tokenizer> = PolishLightStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> Self::Tokenizer<T> {
        PolishLightStemmerFilter { inner: tokenizer }
    }
}

/// The tokenizer a [`PolishLightStemmer`] wraps around.
#[derive(Debug, Clone)]
pub struct PolishLightStemmerFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for PolishLightStemmerFilter<T> {
    type TokenStream<'a> = PolishLightStemmerStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        PolishLightStemmerStream { tail: self.inner.token_stream(text) }
    }
}

/// The stream of stemmed tokens.
#[derive(Debug)]
pub struct PolishLightStemmerStream<T> {
    tail: T,
}

impl<T: TokenStream> TokenStream for PolishLightStemmerStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        let stemmed_len = light_stem(&token.text).len();
        token.text.truncate(stemmed_len);
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
        same_term("pranie", "prania");
        same_term("pracownika", "pracownik");
    }

    #[test]
    fn short_words_keep_their_ending() {
        assert_eq!(light_stem("pomoc"), "pomoc");
        assert_eq!(light_stem("dom"), "dom");
        assert_eq!(light_stem("kasa"), "kas");
        assert_eq!(light_stem("dane"), light_stem("danych"));
        assert_eq!(terms("Łódź, ul. Żółta 5"), ["lodz", "ul", "zolt", "5"]);
    }
}
