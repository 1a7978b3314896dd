//! Closed vocabularies shared by participants, offers and coaches.

use std::fmt;

use enumset::{EnumSet, EnumSetType};
use serde::{Deserialize, Serialize};

/// A stage on the adaptation path (ścieżka reintegracji), ordered from furthest to nearest to
/// independent work. The order matters: an offer states the lowest stage it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Aktywizacja społeczna: social activation (KIS, WTZ).
    SocialActivation = 0,
    /// Szkolenie zawodowe i zatrudnienie socjalne: vocational training, social employment (CIS).
    VocationalTraining = 1,
    /// Zatrudnienie chronione lub w ekonomii społecznej: sheltered or social-economy
    /// employment (ZAZ, social cooperative).
    ShelteredEmployment = 2,
    /// Otwarty rynek ze wsparciem: open market with a job coach or an adaptation period.
    SupportedOpenMarket = 3,
    /// Otwarty rynek samodzielnie: open market, independent.
    OpenMarket = 4,
}

impl Stage {
    /// All stages in path order.
    pub const ALL: [Stage; 5] = [
        Stage::SocialActivation,
        Stage::VocationalTraining,
        Stage::ShelteredEmployment,
        Stage::SupportedOpenMarket,
        Stage::OpenMarket,
    ];

    /// Position on the path, 0 for social activation up to 4 for the open market.
    pub fn rank(self) -> u8 {
        self as u8
    }

    /// The stage at a path position, if there is one.
    pub fn from_rank(rank: u8) -> Option<Stage> {
        Stage::ALL.get(usize::from(rank)).copied()
    }

    /// Words a caseworker reads.
    pub fn label(self) -> &'static str {
        match self {
            Stage::SocialActivation => "social activation",
            Stage::VocationalTraining => "vocational training / social employment",
            Stage::ShelteredEmployment => "sheltered or social-economy employment",
            Stage::SupportedOpenMarket => "open market with support",
            Stage::OpenMarket => "open market, independent",
        }
    }
}

/// Degree of disability on the certificate (stopień niepełnosprawności). Used by scoring only
/// for the legal working-time rule; it never changes a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisabilityDegree {
    /// No certificate.
    #[default]
    None = 0,
    /// Lekki stopień.
    Light = 1,
    /// Umiarkowany stopień.
    Moderate = 2,
    /// Znaczny stopień.
    Severe = 3,
}

impl DisabilityDegree {
    /// All degrees, from none to severe.
    pub const ALL: [DisabilityDegree; 4] =
        [DisabilityDegree::None, DisabilityDegree::Light, DisabilityDegree::Moderate, DisabilityDegree::Severe];

    /// Compact code for the pool (0–3).
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The degree for a compact code.
    pub fn from_code(code: u8) -> Option<DisabilityDegree> {
        DisabilityDegree::ALL.get(usize::from(code)).copied()
    }
}

/// Gender as the unit records it (płeć: K or M in a labour office's register), where it
/// does. Only outcome and exposure statistics read it (are women passed over?); scoring
/// never does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    /// Kobieta.
    Woman = 1,
    /// Mężczyzna.
    Man = 2,
}

impl Gender {
    /// Compact code for the pool: 0 not recorded, 1 woman, 2 man.
    pub fn code(gender: Option<Gender>) -> u8 {
        gender.map_or(0, |gender| gender as u8)
    }

    /// The gender of a compact code (`None` for 0 and unknown codes).
    pub fn from_code(code: u8) -> Option<Gender> {
        match code {
            1 => Some(Gender::Woman),
            2 => Some(Gender::Man),
            _ => None,
        }
    }
}

/// Cause symbol on the certificate (symbol przyczyny niepełnosprawności). Stored for the
/// reintegration unit's own work; scoring never reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DisabilityCause {
    /// 01-U: upośledzenie umysłowe (intellectual disability).
    #[serde(rename = "01-U")]
    Intellectual,
    /// 02-P: choroby psychiczne (mental illness).
    #[serde(rename = "02-P")]
    Mental,
    /// 03-L: zaburzenia głosu, mowy i choroby słuchu (voice, speech, hearing).
    #[serde(rename = "03-L")]
    HearingSpeech,
    /// 04-O: choroby narządu wzroku (sight).
    #[serde(rename = "04-O")]
    Sight,
    /// 05-R: upośledzenie narządu ruchu (motor).
    #[serde(rename = "05-R")]
    Motor,
    /// 06-E: epilepsja.
    #[serde(rename = "06-E")]
    Epilepsy,
    /// 07-S: choroby układu oddechowego i krążenia (respiratory, circulatory).
    #[serde(rename = "07-S")]
    RespiratoryCirculatory,
    /// 08-T: choroby układu pokarmowego (digestive).
    #[serde(rename = "08-T")]
    Digestive,
    /// 09-M: choroby układu moczowo-płciowego (genitourinary).
    #[serde(rename = "09-M")]
    Genitourinary,
    /// 10-N: choroby neurologiczne (neurological).
    #[serde(rename = "10-N")]
    Neurological,
    /// 11-I: inne (other).
    #[serde(rename = "11-I")]
    Other,
    /// 12-C: całościowe zaburzenia rozwojowe (pervasive developmental disorders).
    #[serde(rename = "12-C")]
    Developmental,
}

impl DisabilityCause {
    /// All twelve symbols in register order.
    pub const ALL: [DisabilityCause; 12] = [
        DisabilityCause::Intellectual,
        DisabilityCause::Mental,
        DisabilityCause::HearingSpeech,
        DisabilityCause::Sight,
        DisabilityCause::Motor,
        DisabilityCause::Epilepsy,
        DisabilityCause::RespiratoryCirculatory,
        DisabilityCause::Digestive,
        DisabilityCause::Genitourinary,
        DisabilityCause::Neurological,
        DisabilityCause::Other,
        DisabilityCause::Developmental,
    ];

    /// The official symbol, e.g. `03-L`.
    pub fn symbol(self) -> &'static str {
        ["01-U", "02-P", "03-L", "04-O", "05-R", "06-E", "07-S", "08-T", "09-M", "10-N", "11-I", "12-C"][self as usize]
    }
}

impl fmt::Display for DisabilityCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// A workplace accommodation (racjonalne usprawnienie). A closed list so offers and needs
/// meet on the same words; extend it by adding variants at the end.
#[derive(Debug, Hash, PartialOrd, Ord, Serialize, Deserialize, EnumSetType)]
#[serde(rename_all = "snake_case")]
#[enumset(serialize_repr = "list")]
pub enum Accommodation {
    /// Dostęp bez barier architektonicznych.
    StepFreeAccess,
    /// Przystosowane stanowisko pracy.
    AdaptedWorkstation,
    /// Toaleta dostosowana.
    AccessibleToilet,
    /// Polski język migowy (PJM).
    PolishSignLanguage,
    /// Technologie wspomagające, czytnik ekranu.
    AssistiveTechnology,
    /// Instrukcje w tekście łatwym do czytania (ETR).
    EasyReadInstructions,
    /// Ciche miejsce pracy.
    QuietWorkspace,
    /// Dodatkowe przerwy.
    ExtraBreaks,
    /// Elastyczne godziny.
    FlexibleHours,
    /// Skrócony czas pracy.
    ReducedHours,
    /// Praca zdalna.
    RemoteWork,
    /// Dostępny transport lub parking.
    AccessibleTransport,
    /// Wsparcie i nadzór na stanowisku pracy (a person beside the worker on site).
    JobSiteSupport,
}

impl Accommodation {
    /// Every accommodation, in declaration order (also the order of the wire enum's numbers
    /// 1.., so it never changes, only grows at the end).
    pub const ALL_KNOWN: [Accommodation; 13] = [
        Accommodation::StepFreeAccess,
        Accommodation::AdaptedWorkstation,
        Accommodation::AccessibleToilet,
        Accommodation::PolishSignLanguage,
        Accommodation::AssistiveTechnology,
        Accommodation::EasyReadInstructions,
        Accommodation::QuietWorkspace,
        Accommodation::ExtraBreaks,
        Accommodation::FlexibleHours,
        Accommodation::ReducedHours,
        Accommodation::RemoteWork,
        Accommodation::AccessibleTransport,
        Accommodation::JobSiteSupport,
    ];
}

/// Who can provide an accommodation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccommodationKind {
    /// Only the workplace: the building, the workstation, the hours, the employer's rules.
    Workplace,
    /// A person can bring it: a job coach who signs, explains, supervises or sets up.
    Personal,
}

impl Accommodation {
    /// Words a caseworker reads.
    pub fn label(self) -> &'static str {
        match self {
            Accommodation::StepFreeAccess => "step-free access",
            Accommodation::AdaptedWorkstation => "adapted workstation",
            Accommodation::AccessibleToilet => "accessible toilet",
            Accommodation::PolishSignLanguage => "Polish Sign Language",
            Accommodation::AssistiveTechnology => "assistive technology / screen reader",
            Accommodation::EasyReadInstructions => "easy-read instructions",
            Accommodation::QuietWorkspace => "quiet workspace",
            Accommodation::ExtraBreaks => "extra breaks",
            Accommodation::FlexibleHours => "flexible hours",
            Accommodation::ReducedHours => "reduced hours",
            Accommodation::RemoteWork => "remote work",
            Accommodation::AccessibleTransport => "accessible transport or parking",
            Accommodation::JobSiteSupport => "job-site support or supervision",
        }
    }

    /// The Polish term, for labels next to the English one.
    pub fn label_pl(self) -> &'static str {
        match self {
            Accommodation::StepFreeAccess => "dostęp bez barier architektonicznych",
            Accommodation::AdaptedWorkstation => "przystosowane stanowisko pracy",
            Accommodation::AccessibleToilet => "dostępna toaleta",
            Accommodation::PolishSignLanguage => "polski język migowy",
            Accommodation::AssistiveTechnology => "technologie wspomagające",
            Accommodation::EasyReadInstructions => "instrukcje w tekście łatwym do czytania",
            Accommodation::QuietWorkspace => "ciche miejsce pracy",
            Accommodation::ExtraBreaks => "dodatkowe przerwy",
            Accommodation::FlexibleHours => "elastyczne godziny pracy",
            Accommodation::ReducedHours => "skrócony czas pracy",
            Accommodation::RemoteWork => "praca zdalna",
            Accommodation::AccessibleTransport => "dostępny transport lub parking",
            Accommodation::JobSiteSupport => "wsparcie i nadzór na stanowisku pracy",
        }
    }

    /// Who can provide it. A coach can sign, supervise or explain; only the workplace can
    /// be step-free, so a coach record never covers a workplace accommodation.
    pub fn kind(self) -> AccommodationKind {
        if PERSONAL_ACCOMMODATIONS.contains(self) { AccommodationKind::Personal } else { AccommodationKind::Workplace }
    }
}

/// The accommodations a person (a job coach) can provide; every other one only a workplace.
pub const PERSONAL_ACCOMMODATIONS: AccommodationSet = enumset::enum_set!(
    Accommodation::PolishSignLanguage
        | Accommodation::EasyReadInstructions
        | Accommodation::JobSiteSupport
        | Accommodation::AssistiveTechnology
);

/// A set of accommodations, one bit each.
pub type AccommodationSet = EnumSet<Accommodation>;

/// Form of employment or activation (forma zatrudnienia).
#[derive(Debug, Hash, PartialOrd, Ord, Serialize, Deserialize, EnumSetType)]
#[serde(rename_all = "snake_case")]
#[enumset(serialize_repr = "list")]
pub enum ContractType {
    /// Umowa o pracę.
    EmploymentContract,
    /// Umowa cywilnoprawna (zlecenie, o dzieło).
    CivilContract,
    /// Zatrudnienie socjalne (CIS).
    SocialEmployment,
    /// Staż.
    Internship,
    /// Prace interwencyjne.
    InterventionWorks,
    /// Roboty publiczne.
    PublicWorks,
    /// Zatrudnienie wspomagane.
    SupportedEmployment,
}

impl ContractType {
    /// Words a caseworker reads.
    pub fn label(self) -> &'static str {
        match self {
            ContractType::EmploymentContract => "employment contract",
            ContractType::CivilContract => "civil contract",
            ContractType::SocialEmployment => "social employment",
            ContractType::Internship => "internship (staż)",
            ContractType::InterventionWorks => "intervention works",
            ContractType::PublicWorks => "public works",
            ContractType::SupportedEmployment => "supported employment",
        }
    }
}

/// A set of contract types, one bit each.
pub type ContractSet = EnumSet<ContractType>;

/// Kind of unit that registers a participant or employs a coach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// Centrum Integracji Społecznej.
    Cis,
    /// Klub Integracji Społecznej.
    Kis,
    /// Warsztat Terapii Zajęciowej.
    Wtz,
    /// Zakład Aktywności Zawodowej.
    Zaz,
    /// Powiatowy Urząd Pracy.
    Pup,
    /// Spółdzielnia socjalna.
    SocialCooperative,
    /// Any other unit (NGO, MOPS, …).
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_order_and_rank() {
        assert!(Stage::SocialActivation < Stage::OpenMarket);
        for stage in Stage::ALL {
            assert_eq!(Stage::from_rank(stage.rank()), Some(stage));
        }
        assert_eq!(Stage::from_rank(5), None);
    }

    #[test]
    fn sets_serialize_as_lists() {
        let set = Accommodation::PolishSignLanguage | Accommodation::ExtraBreaks;
        let json = serde_json::to_string(&set).unwrap();
        assert_eq!(json, r#"["polish_sign_language","extra_breaks"]"#);
        let back: AccommodationSet = serde_json::from_str(&json).unwrap();
        assert_eq!(back, set);
    }

    #[test]
    fn cause_symbols() {
        assert_eq!(DisabilityCause::HearingSpeech.symbol(), "03-L");
        assert_eq!(DisabilityCause::Developmental.to_string(), "12-C");
        let parsed: DisabilityCause = serde_json::from_str("\"05-R\"").unwrap();
        assert_eq!(parsed, DisabilityCause::Motor);
    }
}
