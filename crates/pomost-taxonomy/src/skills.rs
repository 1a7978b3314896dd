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
        occupations: &["815302", "753105"],
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
        occupations: &["411001", "413201"],
    },
    SkillGroup {
        name: "security",
        skills: &["pl:dozor-obiektow", "pl:portiernia"],
        titles: &["Dozorca", "Portier", "Pracownik ochrony mienia"],
        occupations: &["541307", "962905"],
    },
];

/// The default relatedness table: same group earns 0.5, plus a few explicit
/// pairs across groups.
pub fn relatedness() -> SkillRelatedness {
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
        let table = relatedness().validated().unwrap();
        assert_eq!(table.similarity(&skill_id("pl:pranie"), &skill_id("pl:prasowanie")), 0.5);
        for group in SKILL_GROUPS {
            for code in group.occupations {
                assert_eq!(code.len(), 6);
            }
        }
    }
}
