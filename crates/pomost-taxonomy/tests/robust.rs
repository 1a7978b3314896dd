//! Any text a client sends goes through the vocabulary without a panic, and what comes back
//! points into that text.

#![allow(clippy::unwrap_used, missing_docs)]

use pomost_taxonomy::{Vocabulary, split_title};
use proptest::prelude::*;

fn vocabulary() -> &'static Vocabulary {
    static SHARED: std::sync::OnceLock<Vocabulary> = std::sync::OnceLock::new();
    SHARED.get_or_init(Vocabulary::shipped)
}

/// Polish words, their inflections, punctuation, digits and arbitrary Unicode mixed.
fn text() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        Just("magazynierzy".to_owned()),
        Just("obsługa".to_owned()),
        Just("wózków".to_owned()),
        Just("widłowych".to_owned()),
        Just("Kelnerka".to_owned()),
        Just("zmywanie".to_owned()),
        Just("naczyń".to_owned()),
        Just("ŻÓŁĆ".to_owned()),
        Just("İstanbul".to_owned()),
        "[0-9]{1,6}",
        "[.,;:!?\\n\\t -]{1,3}",
        any::<String>(),
        "\\PC{1,12}",
    ];
    prop::collection::vec(word, 0..40).prop_map(|words| words.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_text_is_understood_without_a_panic(text in text()) {
        let vocabulary = vocabulary();
        let (title, description) = split_title(&text);
        let suggestions = vocabulary.suggest_occupations(&title, &description, 5);
        prop_assert!(suggestions.len() <= 5);
        prop_assert!(suggestions.windows(2).all(|pair| pair[0].score >= pair[1].score));
        for suggestion in &suggestions {
            prop_assert!(vocabulary.kzis().is_occupation(&suggestion.code));
        }
        for skill in vocabulary.extract_skills(&text) {
            let (start, end) = skill.span;
            prop_assert!(start < end && end <= text.len());
            prop_assert!(text.is_char_boundary(start) && text.is_char_boundary(end));
            prop_assert!(vocabulary.skills().get(&skill.id).is_some());
        }
        prop_assert!(vocabulary.suggest_terms(&text, 10).len() <= 10);
        let _ = vocabulary.check_occupation("code", &text);
    }
}
