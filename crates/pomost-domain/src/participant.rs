use std::fmt;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::error::ValidationError;
use crate::error::{check_hours, check_id, check_occupation_code};
use crate::geo::Location;
use crate::skills::SkillClaim;
use crate::vocab::{AccommodationSet, ContractSet, DisabilityCause, DisabilityDegree, Gender, Stage, UnitKind};

/// Longest commute a participant may state, in kilometres.
pub const MAX_COMMUTE_KM: f32 = 300.0;
/// Most skills one participant may list.
pub const MAX_PARTICIPANT_SKILLS: usize = 64;
/// Most job-coach hours a week a participant may need.
pub const MAX_COACH_HOURS: f32 = 40.0;

/// Pseudonymous participant id assigned by the reintegration unit; never a PESEL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ParticipantId(String);

impl ParticipantId {
    /// An id: non-empty, at most 128 bytes, no control characters, and not 11 digits (the
    /// shape of a PESEL, which must never be used as an id).
    pub fn new(id: impl Into<String>) -> Result<Self, ValidationError> {
        let id = id.into();
        check_id("", &id)?;
        if id.len() == 11 && id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValidationError::new("", "looks like a PESEL; use a pseudonymous id"));
        }
        Ok(Self(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ParticipantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ParticipantId {
    type Error = ValidationError;
    fn try_from(id: String) -> Result<Self, Self::Error> {
        ParticipantId::new(id)
    }
}

impl From<ParticipantId> for String {
    fn from(id: ParticipantId) -> Self {
        id.0
    }
}

/// What the disability certificate says, plus a physician's working-time exemption.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disability {
    /// Degree on the certificate; `None` without one.
    #[serde(default)]
    pub degree: DisabilityDegree,
    /// Cause symbols, for the unit's own use; scoring never reads them.
    #[serde(default)]
    pub causes: Vec<DisabilityCause>,
    /// A physician consented, at the person's request, to working time beyond the norms of
    /// art. 15 of the 1997 Act (zgoda lekarza).
    #[serde(default)]
    pub working_time_exemption: bool,
}

/// A person on a reintegration path, as registered by their unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Participant {
    /// Pseudonymous id.
    pub id: ParticipantId,
    /// Kind of the owning unit.
    pub unit: UnitKind,
    /// Id of the owning unit.
    pub unit_id: String,
    /// Skills the person has.
    #[serde(default)]
    pub skills: Vec<SkillClaim>,
    /// Current stage on the adaptation path.
    pub stage: Stage,
    /// Certificate data and exemption.
    #[serde(default)]
    pub disability: Disability,
    /// Accommodations without which the person cannot take a job (hard).
    #[serde(default)]
    pub accommodations_required: AccommodationSet,
    /// Accommodations that would help (soft).
    #[serde(default)]
    pub accommodations_preferred: AccommodationSet,
    /// Job-coach support needed, hours a week; 0 if none.
    #[serde(default)]
    pub coach_hours_per_week: f32,
    /// Where the person lives.
    pub home: Location,
    /// Longest commute the person can make, km.
    pub max_commute_km: f32,
    /// Hours a week the person is available for.
    pub available_hours_per_week: f32,
    /// Whether night shifts are acceptable to the person.
    #[serde(default)]
    pub night_shifts_ok: bool,
    /// Contract types the person prefers; empty means no preference.
    #[serde(default)]
    pub preferred_contracts: ContractSet,
    /// Registered (as unemployed or with the unit) since.
    pub registered_since: Date,
    /// Consent to being matched; without it the person is never ranked.
    pub consent_to_matching: bool,
    /// Occupations the person has worked in (KZiS codes with years).
    #[serde(default)]
    pub past_occupations: Vec<PastOccupation>,
    /// Occupations the person wants to work in (KZiS codes).
    #[serde(default)]
    pub wanted_occupations: Vec<String>,
    /// Year of birth, where the unit records it (only the year: enough for the 50+ group of
    /// outcome and exposure statistics, never read by scoring).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_year: Option<u16>,
    /// Gender, where the unit records it: read by outcome and exposure statistics (the
    /// women and men groups), never by scoring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
}

/// Earliest and latest year of birth a record may state.
pub const BIRTH_YEARS: std::ops::RangeInclusive<u16> = 1900..=2100;

/// Most past or wanted occupations a participant lists.
pub const MAX_PARTICIPANT_OCCUPATIONS: usize = 10;
/// Most years of work in one occupation.
pub const MAX_OCCUPATION_YEARS: f32 = 60.0;

/// An occupation a person worked in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PastOccupation {
    /// KZiS occupation code, 6 digits.
    pub code: String,
    /// Years worked in it.
    pub years: f32,
}

impl Participant {
    /// The record if every field is valid, else the first problem with its field path.
    pub fn validated(self) -> Result<Self, ValidationError> {
        self.check()?;
        Ok(self)
    }

    /// Checks every field without taking (or copying) the record; errors name
    /// `participant.<field>`.
    pub fn check(&self) -> Result<(), ValidationError> {
        self.validate().map_err(|error| error.under("participant"))
    }

    fn validate(&self) -> Result<(), ValidationError> {
        check_id("unit_id", &self.unit_id)?;
        if self.skills.len() > MAX_PARTICIPANT_SKILLS {
            return Err(ValidationError::new(
                "skills",
                format!("{} skills is over {MAX_PARTICIPANT_SKILLS}", self.skills.len()),
            ));
        }
        // At most 64 skills: comparing each with those before it costs less than hashing
        // them into a set (this runs for every person of a bulk load).
        for (index, claim) in self.skills.iter().enumerate() {
            if self.skills[..index].iter().any(|earlier| earlier.skill == claim.skill) {
                return Err(ValidationError::new(
                    format!("skills[{index}].skill"),
                    format!("{} is listed twice", crate::error::quote(claim.skill.as_str())),
                ));
            }
        }
        if self.disability.degree == DisabilityDegree::None && !self.disability.causes.is_empty() {
            return Err(ValidationError::new("disability.causes", "cause symbols need a certificate degree"));
        }
        let both = self.accommodations_required & self.accommodations_preferred;
        if !both.is_empty() {
            return Err(ValidationError::new(
                "accommodations_preferred",
                "repeats an accommodation that is already required",
            ));
        }
        self.validate_occupations()?;
        if let Some(year) = self.birth_year
            && !BIRTH_YEARS.contains(&year)
        {
            return Err(ValidationError::new("birth_year", format!("{year} is not between 1900 and 2100")));
        }
        check_hours("coach_hours_per_week", self.coach_hours_per_week, MAX_COACH_HOURS)?;
        check_hours("max_commute_km", self.max_commute_km, MAX_COMMUTE_KM)?;
        check_hours("available_hours_per_week", self.available_hours_per_week, crate::error::MAX_WEEKLY_HOURS)?;
        if self.available_hours_per_week == 0.0 {
            return Err(ValidationError::new("available_hours_per_week", "must be more than 0"));
        }
        Ok(())
    }

    fn validate_occupations(&self) -> Result<(), ValidationError> {
        for (name, count) in
            [("past_occupations", self.past_occupations.len()), ("wanted_occupations", self.wanted_occupations.len())]
        {
            if count > MAX_PARTICIPANT_OCCUPATIONS {
                return Err(ValidationError::new(
                    name,
                    format!("{count} occupations is over {MAX_PARTICIPANT_OCCUPATIONS}"),
                ));
            }
        }
        // Paths are formatted only for an error (this runs for every person of a bulk load).
        for (index, past) in self.past_occupations.iter().enumerate() {
            check_occupation_code("", &past.code)
                .map_err(|error| error.under(&format!("past_occupations[{index}].code")))?;
            check_hours("", past.years, MAX_OCCUPATION_YEARS)
                .map_err(|error| error.under(&format!("past_occupations[{index}].years")))?;
        }
        for (index, code) in self.wanted_occupations.iter().enumerate() {
            check_occupation_code("", code).map_err(|error| error.under(&format!("wanted_occupations[{index}]")))?;
        }
        Ok(())
    }

    /// Whether the person is 50 or older in `year` (false where no year of birth is recorded).
    pub fn is_50_plus(&self, year: i32) -> bool {
        self.birth_year.is_some_and(|born| year - i32::from(born) >= 50)
    }

    /// Whether the person has been registered for 12 months or more on `day`.
    pub fn is_long_term(&self, day: Date) -> bool {
        (day - self.registered_since).whole_days() >= 365
    }

    /// Whether the person holds a disability certificate of any degree.
    pub fn has_certificate(&self) -> bool {
        self.disability.degree != DisabilityDegree::None
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;
    use crate::geo::{GeoPoint, TerytCode};
    use crate::skills::{SkillId, SkillLevel};
    use crate::vocab::Accommodation;

    fn participant() -> Participant {
        Participant {
            id: ParticipantId::new("cis-krk-0001").unwrap(),
            unit: UnitKind::Cis,
            unit_id: "cis-krakow".into(),
            skills: vec![SkillClaim {
                skill: SkillId::new("pl:sprzatanie").unwrap(),
                level: Some(SkillLevel::new(2).unwrap()),
            }],
            stage: Stage::VocationalTraining,
            disability: Disability::default(),
            accommodations_required: AccommodationSet::empty(),
            accommodations_preferred: AccommodationSet::empty(),
            coach_hours_per_week: 0.0,
            home: Location { teryt: TerytCode::parse("1261").unwrap(), point: GeoPoint::new(50.06, 19.94).unwrap() },
            max_commute_km: 20.0,
            available_hours_per_week: 40.0,
            night_shifts_ok: false,
            preferred_contracts: ContractSet::empty(),
            registered_since: date!(2024 - 03 - 01),
            consent_to_matching: true,
            past_occupations: Vec::new(),
            wanted_occupations: Vec::new(),
            birth_year: None,
            gender: None,
        }
    }

    #[test]
    fn valid_participant_passes() {
        assert!(participant().validated().is_ok());
    }

    fn ok_past() -> PastOccupation {
        PastOccupation { code: "432103".into(), years: 2.0 }
    }

    #[test]
    fn errors_name_the_field() {
        type Case = (fn(&mut Participant), &'static str);
        let cases: Vec<Case> = vec![
            (|p| p.max_commute_km = 500.0, "participant.max_commute_km: 500 is over 300"),
            (|p| p.coach_hours_per_week = -2.0, "participant.coach_hours_per_week: -2 is negative"),
            (|p| p.available_hours_per_week = 0.0, "participant.available_hours_per_week: must be more than 0"),
            (|p| p.skills.push(p.skills[0].clone()), "participant.skills[1].skill: \"pl:sprzatanie\" is listed twice"),
            (
                |p| p.disability.causes.push(DisabilityCause::Motor),
                "participant.disability.causes: cause symbols need a certificate degree",
            ),
            (
                |p| {
                    p.accommodations_required = Accommodation::QuietWorkspace.into();
                    p.accommodations_preferred = Accommodation::QuietWorkspace.into();
                },
                "participant.accommodations_preferred: repeats an accommodation that is already required",
            ),
            (
                |p| p.past_occupations = vec![ok_past(), PastOccupation { code: "4321".into(), years: 1.0 }],
                "participant.past_occupations[1].code: \"4321\" is not a 6-digit KZiS code",
            ),
            (
                |p| p.past_occupations = vec![ok_past(), PastOccupation { code: "432103".into(), years: -1.0 }],
                "participant.past_occupations[1].years: -1 is negative",
            ),
            (
                |p| p.wanted_occupations = vec!["432103".into(), "43210x".into()],
                "participant.wanted_occupations[1]: \"43210x\" is not a 6-digit KZiS code",
            ),
        ];
        for (change, expected) in cases {
            let mut bad = participant();
            change(&mut bad);
            assert_eq!(bad.validated().unwrap_err().to_string(), expected);
        }
    }

    #[test]
    fn pesel_is_not_an_id() {
        assert!(ParticipantId::new("85010112345").is_err());
        assert!(ParticipantId::new("p-85010112345").is_ok());
    }
}
