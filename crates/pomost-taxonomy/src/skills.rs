//! Skills typical of reintegration work, in groups that earn each other partial credit:
//! the default relatedness table of the service.

use pomost_domain::{SkillId, SkillRelatedness};

/// A group of related skills with the job titles and occupation codes that use them.
#[derive(Debug, Clone, Copy)]
pub struct SkillGroup {
    /// Group name in the relatedness table.
    pub name: &'static str,
    /// Local skill codes.
    pub skills: &'static [&'static str],
    /// Typical job titles (Polish).
    pub titles: &'static [&'static str],
    /// KZiS occupation codes (6 digits; first 4 the ISCO-08 unit group).
    pub occupations: &'static [&'static str],
}

/// The skill groups of reintegration work.
pub const SKILL_GROUPS: &[SkillGroup] = &[
    SkillGroup {
        name: "green_areas",
        skills: &["pl:utrzymanie-zieleni", "pl:koszenie-trawnikow", "pl:pielegnacja-drzew", "pl:nasadzenia"],
        titles: &["Pracownik utrzymania terenów zielonych", "Ogrodnik pomocnik", "Konserwator zieleni miejskiej"],
        occupations: &["921401", "611303"],
    },
    SkillGroup {
        name: "cleaning",
        skills: &["pl:sprzatanie-biur", "pl:sprzatanie-obiektow", "pl:mycie-okien", "pl:dezynfekcja"],
        titles: &["Sprzątaczka biurowa", "Pracownik utrzymania czystości", "Pomoc w sprzątaniu obiektów"],
        occupations: &["911207", "911290"],
    },
    SkillGroup {
        name: "renovation",
        skills: &["pl:malowanie-scian", "pl:glazurowanie", "pl:drobne-naprawy", "pl:gipsowanie"],
        titles: &["Pracownik remontowy", "Malarz pomocnik", "Złota rączka w spółdzielni"],
        occupations: &["713102", "931301"],
    },
    SkillGroup {
        name: "catering",
        skills: &["pl:przygotowanie-posilkow", "pl:zmywanie", "pl:obsluga-kuchni", "pl:wypiek-pieczywa"],
        titles: &["Pomoc kuchenna", "Kucharz w stołówce", "Pracownik kawiarni społecznej"],
        occupations: &["941201", "512001"],
    },
    SkillGroup {
        name: "care",
        skills: &["pl:opieka-nad-osobami-starszymi", "pl:asystencja-osobista", "pl:pomoc-domowa"],
        titles: &["Opiekunka osób starszych", "Asystent osoby niepełnosprawnej", "Pomoc domowa"],
        occupations: &["532201", "911101"],
    },
    SkillGroup {
        name: "warehouse_production",
        skills: &[
            "pl:kompletowanie-zamowien",
            "pl:pakowanie",
            "pl:polprodukty",
            "pl:montaz-prosty",
            "pl:wozek-widlowy",
        ],
        titles: &["Magazynier", "Pracownik produkcji półproduktów", "Pakowacz", "Operator wózka widłowego"],
        occupations: &["432103", "932101", "834401"],
    },
    SkillGroup {
        name: "sewing",
        skills: &["pl:szycie-maszynowe", "pl:krawiectwo-naprawy", "pl:haftowanie"],
        titles: &["Szwaczka", "Krawiec w pracowni społecznej"],
        occupations: &["815301", "753105"],
    },
    SkillGroup {
        name: "laundry",
        skills: &["pl:pranie", "pl:prasowanie", "pl:obsluga-pralnicy"],
        titles: &["Pracownik pralni", "Prasowaczka"],
        occupations: &["912101", "912102"],
    },
    SkillGroup {
        name: "office",
        skills: &["pl:wprowadzanie-danych", "pl:obsluga-biura", "pl:archiwizacja", "pl:obsluga-komputera"],
        titles: &["Pracownik wsparcia biura", "Operator wprowadzania danych", "Archiwista pomocniczy"],
        occupations: &["411003", "413201"],
    },
    SkillGroup {
        name: "security",
        skills: &["pl:dozor-obiektow", "pl:portiernia"],
        titles: &["Dozorca", "Portier", "Pracownik ochrony mienia"],
        occupations: &["541307", "962902"],
    },
];

/// Polish labels of the local skills of reintegration work (ids `pl:…`, which predate the
/// ESCO vocabulary and stay valid beside it).
pub const LOCAL_SKILL_LABELS: &[(&str, &str)] = &[
    ("pl:archiwizacja", "archiwizacja dokumentów"),
    ("pl:asystencja-osobista", "asystencja osobista"),
    ("pl:dezynfekcja", "dezynfekcja pomieszczeń"),
    ("pl:dozor-obiektow", "dozór obiektów"),
    ("pl:drobne-naprawy", "drobne naprawy"),
    ("pl:gipsowanie", "gipsowanie"),
    ("pl:glazurowanie", "układanie glazury"),
    ("pl:haftowanie", "haftowanie"),
    ("pl:kompletowanie-zamowien", "kompletowanie zamówień"),
    ("pl:koszenie-trawnikow", "koszenie trawników"),
    ("pl:krawiectwo-naprawy", "naprawy krawieckie"),
    ("pl:malowanie-scian", "malowanie ścian"),
    ("pl:montaz-prosty", "prosty montaż"),
    ("pl:mycie-okien", "mycie okien"),
    ("pl:nasadzenia", "nasadzenia roślin"),
    ("pl:obsluga-biura", "obsługa biura"),
    ("pl:obsluga-komputera", "obsługa komputera"),
    ("pl:obsluga-kuchni", "obsługa kuchni"),
    ("pl:obsluga-pralnicy", "obsługa pralnicy"),
    ("pl:opieka-nad-osobami-starszymi", "opieka nad osobami starszymi"),
    ("pl:pakowanie", "pakowanie"),
    ("pl:pielegnacja-drzew", "pielęgnacja drzew"),
    ("pl:polprodukty", "wytwarzanie półproduktów"),
    ("pl:pomoc-domowa", "pomoc domowa"),
    ("pl:portiernia", "obsługa portierni"),
    ("pl:pranie", "pranie"),
    ("pl:prasowanie", "prasowanie"),
    ("pl:przygotowanie-posilkow", "przygotowanie posiłków"),
    ("pl:sprzatanie-biur", "sprzątanie biur"),
    ("pl:sprzatanie-obiektow", "sprzątanie obiektów"),
    ("pl:szycie-maszynowe", "szycie maszynowe"),
    ("pl:utrzymanie-zieleni", "utrzymanie terenów zielonych"),
    ("pl:wozek-widlowy", "obsługa wózka widłowego"),
    ("pl:wprowadzanie-danych", "wprowadzanie danych"),
    ("pl:wypiek-pieczywa", "wypiek pieczywa"),
    ("pl:zmywanie", "zmywanie naczyń"),
];

/// The label of a local skill id (the id itself when it has none).
pub fn local_label(id: &str) -> String {
    LOCAL_SKILL_LABELS
        .iter()
        .find(|(known, _)| *known == id)
        .map_or_else(|| id.to_owned(), |(_, label)| (*label).to_owned())
}

/// The relatedness of the local skills alone: same group earns 0.5, plus a few explicit
/// pairs across groups ([`crate::relatedness`] adds the ESCO clusters).
pub fn local_relatedness() -> SkillRelatedness {
    let mut table = SkillRelatedness { group_similarity: 0.5, ..Default::default() };
    for group in SKILL_GROUPS {
        for skill in group.skills {
            table.groups.insert(skill_id(skill), group.name.to_owned());
        }
    }
    let pairs = [
        ("pl:sprzatanie-obiektow", "pl:pranie", 0.3),
        ("pl:pomoc-domowa", "pl:sprzatanie-biur", 0.4),
        ("pl:obsluga-kuchni", "pl:zmywanie", 0.8),
        ("pl:szycie-maszynowe", "pl:krawiectwo-naprawy", 0.7),
        ("pl:portiernia", "pl:obsluga-biura", 0.3),
    ];
    table.pairs = pairs.iter().map(|(a, b, similarity)| (skill_id(a), skill_id(b), *similarity)).collect();
    table
}

/// A skill id from the fixed list; the list is checked by a test.
pub fn skill_id(code: &str) -> SkillId {
    match SkillId::new(code) {
        Ok(id) => id,
        Err(error) => unreachable!("fixed skill list holds {code:?}: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_valid() {
        let table = local_relatedness().validated().unwrap();
        assert_eq!(table.similarity(&skill_id("pl:pranie"), &skill_id("pl:prasowanie")), 0.5);
        for group in SKILL_GROUPS {
            for code in group.occupations {
                assert_eq!(code.len(), 6);
            }
            for id in group.skills {
                assert_ne!(local_label(id), *id, "{id} has a label");
            }
        }
    }
}
