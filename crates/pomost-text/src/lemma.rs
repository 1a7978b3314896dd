//! Lemmas from the Morfologik Polish dictionary (BSD licence; see `data/README.md`),
//! compiled by `build-lemmas` into a finite-state map that ships inside the binary: every
//! inflected form of 300k Polish lemmas (4.35M forms, 7.0M keys with folded spellings) in
//! about 6 MB, opened without copying or parsing at start.

use std::sync::OnceLock;

use fst::Map;

use crate::fold::fold_into;
use crate::stem::light_stem;

static FORMS: &[u8] = include_bytes!("../data/lemmas.fst");
static ENDINGS: &str = include_str!("../data/lemma-endings.txt");

/// The shipped lemma map.
pub struct Lemmatizer {
    forms: Map<&'static [u8]>,
    endings: Vec<&'static str>,
}

impl std::fmt::Debug for Lemmatizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lemmatizer").field("forms", &self.forms.len()).finish()
    }
}

/// The one lemmatizer of the process (the map is `'static`, so it is built once).
pub fn lemmatizer() -> &'static Lemmatizer {
    static SHARED: OnceLock<Lemmatizer> = OnceLock::new();
    SHARED.get_or_init(|| {
        // The map was built and checked by `build-lemmas`; a build that shipped a broken
        // one is a bug no input can cause.
        #[allow(clippy::expect_used)]
        let forms = Map::new(FORMS).expect("the shipped lemma map is a valid fst");
        Lemmatizer { forms, endings: ENDINGS.lines().collect() }
    })
}

impl Lemmatizer {
    /// How many word forms the map knows.
    pub fn forms(&self) -> usize {
        self.forms.len()
    }

    /// Writes the folded lemma of a lower-case `word` (with or without Polish letters) into
    /// `out` and says whether the dictionary knew the word.
    pub fn lemma_into(&self, word: &str, out: &mut String) -> bool {
        out.clear();
        let Some(value) = self.forms.get(word) else { return false };
        let cut = (value & 0xff) as usize;
        let ending = self.endings.get((value >> 8) as usize).copied().unwrap_or("");
        let keep = word.len().saturating_sub(cut);
        if !word.is_char_boundary(keep) {
            return false;
        }
        out.push_str(&word[..keep]);
        out.push_str(ending);
        true
    }

    /// The term a word stands for everywhere in Pomost: folded, then its dictionary lemma,
    /// or for an unknown word its light stem. `scratch` is reused between calls.
    pub fn term_into(&self, word: &str, scratch: &mut String, out: &mut String) {
        // The word as written first ("myć" is not "myc"), then folded (a query typed
        // without Polish letters), then the light stem.
        scratch.clear();
        scratch.extend(word.chars().flat_map(char::to_lowercase));
        if self.lemma_into(scratch, out) {
            return;
        }
        fold_into(word, scratch);
        if !self.lemma_into(scratch, out) {
            out.clear();
            out.push_str(light_stem(scratch));
        }
    }

    /// [`Lemmatizer::term_into`] with fresh strings.
    pub fn term(&self, word: &str) -> String {
        let (mut scratch, mut out) = (String::new(), String::new());
        self.term_into(word, &mut scratch, &mut out);
        out
    }
}

/// The words of `text` with their byte offsets: maximal runs of letters and digits.
pub fn words(text: &str) -> Words<'_> {
    Words { text, at: 0 }
}

/// Iterator returned by [`words`].
#[derive(Debug, Clone)]
pub struct Words<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Iterator for Words<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let rest = &self.text[self.at..];
        let start = self.at + rest.find(char::is_alphanumeric)?;
        let tail = &self.text[start..];
        let end = start + tail.find(|c: char| !c.is_alphanumeric()).unwrap_or(tail.len());
        self.at = end;
        Some((start, &self.text[start..end]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &str, b: &str) {
        let lemmas = lemmatizer();
        assert_eq!(lemmas.term(a), lemmas.term(b), "{a} / {b}");
    }

    #[test]
    fn inflected_forms_meet_their_lemma() {
        for form in ["pracownicy", "pracowników", "pracownikowi", "pracownica", "pracownice", "PRACOWNIKA"] {
            same(form, "pracownik");
        }
        for form in ["magazynierzy", "magazynierów", "magazynierka", "magazynierki"] {
            same(form, "magazynier");
        }
        for form in ["sprzątania", "sprzątaniem", "sprzatanie", "sprzątaniu"] {
            same(form, "sprzątanie");
        }
        same("kelnerka", "kelner");
        same("kelnerek", "kelnerów");
        same("sprzedawczyni", "sprzedawca");
        same("sprzedawczynie", "sprzedawców");
        same("kucharka", "kucharz");
        same("opiekunka", "opiekun");
        same("księgowa", "księgowy");
        same("księgowej", "księgowych");
        same("pielęgniarki", "pielęgniarz");
        same("zielonych", "zielony");
        same("zielona", "zielone");
        same("specjalistka", "specjalista");
        same("kierowniczki", "kierowników");
        same("mycia", "mycie");
        same("sprzataczki", "sprzątaczka");
    }

    #[test]
    fn unknown_words_fall_back_to_the_light_stem() {
        let lemmas = lemmatizer();
        assert_eq!(lemmas.term("developera"), lemmas.term("developer"));
        assert!(lemmas.forms() > 4_000_000);
    }

    #[test]
    fn words_are_runs_of_letters_and_digits() {
        let found: Vec<&str> = words("Pomoc kuchenna, 1/2 etatu; Łódź").map(|(_, w)| w).collect();
        assert_eq!(found, ["Pomoc", "kuchenna", "1", "2", "etatu", "Łódź"]);
    }
}
