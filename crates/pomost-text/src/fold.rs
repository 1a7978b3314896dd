//! Lower-casing and diacritic folding, the one normal form every lookup uses: a query typed
//! without Polish letters ("sprzataczka") meets a text written with them ("sprzątaczka").

/// Folds one lower-case character to ASCII where it is a Polish (or common Latin) letter
/// with a diacritic; other characters stay as they are.
pub fn fold_char(c: char) -> char {
    match c {
        'ą' | 'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => 'a',
        'ć' | 'č' | 'ç' => 'c',
        'ę' | 'é' | 'è' | 'ê' | 'ë' | 'ě' => 'e',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'ł' => 'l',
        'ń' | 'ñ' | 'ň' => 'n',
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
        'ś' | 'š' => 's',
        'ź' | 'ż' | 'ž' => 'z',
        'ú' | 'ù' | 'û' | 'ü' | 'ů' => 'u',
        'ý' | 'ÿ' => 'y',
        'ř' => 'r',
        'ď' => 'd',
        'ť' => 't',
        other => other,
    }
}

/// Appends the lower-cased, folded form of `word` to `out` (cleared first).
pub fn fold_into(word: &str, out: &mut String) {
    out.clear();
    for c in word.chars() {
        for lower in c.to_lowercase() {
            out.push(fold_char(lower));
        }
    }
}

/// The lower-cased, folded form of `word`.
pub fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    fold_into(word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polish_letters_fold_to_ascii() {
        assert_eq!(fold("Sprzątaczka"), "sprzataczka");
        assert_eq!(fold("ŻÓŁĆ gęślą JAŹŃ"), "zolc gesla jazn");
        assert_eq!(fold("kelner"), "kelner");
    }
}
