//! The light stemmer: what a word the dictionary does not know falls back to (English IT
//! titles, brand names, new words). It strips only case and number endings and keeps a stem
//! of at least three letters, so inflected forms of one unknown word still meet.

/// Endings removed, on folded lower-case words, longest first: verbal nouns (-anie, -enie
/// and their cases), noun and adjective case endings.
const ENDINGS: &[&str] = &[
    "aniami", "eniami", "aniach", "eniach", "osciami", "osciach", "aniem", "eniem", "aniom", "eniom", "owych", "owymi",
    "owego", "owemu", "ania", "enia", "aniu", "eniu", "anie", "enie", "osci", "owej", "owym", "owa", "owe", "owi",
    "ami", "ach", "ego", "emu", "ymi", "imi", "ych", "ich", "iem", "ow", "om", "ej", "ym", "im", "em", "ie", "ia",
    "iu", "a", "e", "i", "o", "u", "y",
];

/// Shortest stem the stemmer leaves.
const MIN_STEM: usize = 3;

/// Strips the longest listed ending that leaves a stem of at least [`MIN_STEM`] letters;
/// a word with letters outside ASCII is left whole.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_words_keep_their_ending() {
        assert_eq!(light_stem("pomoc"), "pomoc");
        assert_eq!(light_stem("dom"), "dom");
        assert_eq!(light_stem("kasa"), "kas");
        assert_eq!(light_stem("developera"), light_stem("developer"));
    }
}
