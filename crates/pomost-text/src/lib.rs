//! Polish text for Pomost, pure Rust with no I/O: folding, the Morfologik lemma map and
//! the light stemmer every analyzer (search, occupation suggestion, skill extraction)
//! shares, so a word means the same thing everywhere.

mod fold;

pub use fold::{fold, fold_char, fold_into};
mod lemma;
mod stem;

pub use lemma::{Lemmatizer, Words, lemmatizer, words};
pub use stem::light_stem;
