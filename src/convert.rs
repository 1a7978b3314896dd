//! Wire ↔ domain conversions, in one place and exhaustive: every wire field is destructured
//! by name, so a new proto field fails to compile until it is mapped here.

use pomost_domain::{
    Accommodation, AccommodationSet, CoachArea, CoachId, ContractSet, ContractType, Disability, DisabilityCause,
    DisabilityDegree, Employer, Gender, GeoPoint, JobCoach, Location, Offer, OfferKey, Participant, ParticipantId,
    PastOccupation, SkillClaim, SkillId, SkillLevel, SkillRequirement, Stage, TerytCode, UnitKind, ValidationError,
    Workplace,
};
use time::Date;
use time::macros::format_description;

use crate::proto;

type Result<T> = std::result::Result<T, ValidationError>;

fn at(path: &str) -> impl Fn(ValidationError) -> ValidationError + '_ {
    move |error| error.under(path)
}

/// Parses an ISO date (`2026-11-24`).
pub fn parse_date(path: &str, text: &str) -> Result<Date> {
    Date::parse(text, format_description!("[year]-[month]-[day]"))
        .map_err(|_| ValidationError::new(path, format!("{} is not a date (YYYY-MM-DD)", pomost_domain::quote(text))))
}

/// Formats a date as ISO.
pub fn format_date(date: Date) -> String {
    date.to_string()
}

fn stage(path: &str, value: i32) -> Result<Stage> {
    match proto::Stage::try_from(value) {
        Ok(proto::Stage::Unspecified) | Err(_) => Err(ValidationError::new(path, "must name a stage")),
        Ok(stage) => Ok(Stage::ALL[stage as usize - 1]),
    }
}

fn stage_to_wire(stage: Stage) -> i32 {
    i32::from(stage.rank()) + 1
}

fn degree(path: &str, value: i32) -> Result<DisabilityDegree> {
    proto::DisabilityDegree::try_from(value)
        .ok()
        .and_then(|degree| DisabilityDegree::from_code(degree as u8))
        .ok_or_else(|| ValidationError::new(path, format!("{value} is not a degree")))
}

fn gender(path: &str, value: i32) -> Result<Option<Gender>> {
    match proto::Gender::try_from(value) {
        Ok(proto::Gender::Unspecified) => Ok(None),
        Ok(proto::Gender::Woman) => Ok(Some(Gender::Woman)),
        Ok(proto::Gender::Man) => Ok(Some(Gender::Man)),
        Err(_) => Err(ValidationError::new(path, format!("{value} is not a gender"))),
    }
}

fn gender_to_wire(gender: Option<Gender>) -> i32 {
    i32::from(Gender::code(gender))
}

/// Wire numbers 1.. in `Accommodation::ALL_KNOWN` order.
const ACCOMMODATIONS: [Accommodation; 13] = Accommodation::ALL_KNOWN;

const CONTRACTS: [ContractType; 7] = [
    ContractType::EmploymentContract,
    ContractType::CivilContract,
    ContractType::SocialEmployment,
    ContractType::Internship,
    ContractType::InterventionWorks,
    ContractType::PublicWorks,
    ContractType::SupportedEmployment,
];

const UNITS: [UnitKind; 7] = [
    UnitKind::Cis,
    UnitKind::Kis,
    UnitKind::Wtz,
    UnitKind::Zaz,
    UnitKind::Pup,
    UnitKind::SocialCooperative,
    UnitKind::Other,
];

fn from_table<T: Copy>(path: &str, table: &[T], value: i32, what: &str) -> Result<T> {
    usize::try_from(value)
        .ok()
        .and_then(|index| index.checked_sub(1))
        .and_then(|index| table.get(index).copied())
        .ok_or_else(|| ValidationError::new(path, format!("{value} is not a valid {what}")))
}

fn to_table<T: PartialEq + Copy>(table: &[T], value: T) -> i32 {
    table.iter().position(|candidate| *candidate == value).map_or(0, |index| index as i32 + 1)
}

/// Accommodations from wire enum numbers.
pub fn accommodations(path: &str, values: &[i32]) -> Result<AccommodationSet> {
    values.iter().enumerate().try_fold(AccommodationSet::empty(), |set, (index, value)| {
        // The item's path is written only for an error: formatting it for every valid item
        // was a tenth of a bulk load's decoding.
        let accommodation = from_table("", &ACCOMMODATIONS, *value, "accommodation")
            .map_err(|error| error.under(&format!("{path}[{index}]")))?;
        Ok(set | accommodation)
    })
}

/// Wire enum numbers of accommodations.
pub fn accommodations_to_wire(set: AccommodationSet) -> Vec<i32> {
    set.iter().map(|accommodation| to_table(&ACCOMMODATIONS, accommodation)).collect()
}

/// Who covers one of a person's accommodations, as the wire says it.
pub fn cover_to_wire(cover: &pomost_scoring::AccommodationCover) -> proto::AccommodationCover {
    use pomost_scoring::CoveredBy;
    let need = if cover.required { "required" } else { "preferred" };
    let (covered_by, coach_id, who) = match &cover.covered_by {
        CoveredBy::Offer => ("offer", String::new(), "the workplace (the offer provides it)".to_owned()),
        CoveredBy::Coach(id) => ("coach", id.to_string(), format!("the job coach {id}")),
        CoveredBy::Nobody => ("nobody", String::new(), "nobody on this offer".to_owned()),
    };
    proto::AccommodationCover {
        accommodation: to_table(&ACCOMMODATIONS, cover.accommodation),
        required: cover.required,
        covered_by: covered_by.into(),
        coach_id,
        label: format!("{} ({need}): {who}", cover.accommodation.label()),
    }
}

/// A contract type from its wire number.
pub fn contract(path: &str, value: i32) -> Result<ContractType> {
    from_table(path, &CONTRACTS, value, "contract type")
}

/// Contract types from wire numbers.
pub fn contracts(path: &str, values: &[i32]) -> Result<ContractSet> {
    values.iter().enumerate().try_fold(ContractSet::empty(), |set, (index, value)| {
        Ok(set | contract("", *value).map_err(|error| error.under(&format!("{path}[{index}]")))?)
    })
}

fn contracts_to_wire(set: ContractSet) -> Vec<i32> {
    set.iter().map(|contract| to_table(&CONTRACTS, contract)).collect()
}

fn location(path: &str, wire: Option<proto::Location>) -> Result<Location> {
    let proto::Location { teryt, lat, lon } = wire.ok_or_else(|| ValidationError::new(path, "is required"))?;
    Ok(Location {
        teryt: TerytCode::parse(&teryt).map_err(|error| error.under(&format!("{path}.teryt")))?,
        point: GeoPoint::new(lat, lon).map_err(at(path))?,
    })
}

fn location_to_wire(location: &Location) -> proto::Location {
    proto::Location { teryt: location.teryt.to_string(), lat: location.point.lat(), lon: location.point.lon() }
}

fn level(path: &str, value: u32) -> Result<Option<SkillLevel>> {
    if value == 0 {
        return Ok(None);
    }
    let small =
        u8::try_from(value).map_err(|_| ValidationError::new(path, format!("{value} is not a level in 1..=3")))?;
    SkillLevel::new(small).map(Some).map_err(at(path))
}

fn requirements(path: &str, wire: Vec<proto::SkillRequirement>) -> Result<Vec<SkillRequirement>> {
    wire.into_iter()
        .enumerate()
        .map(|(index, proto::SkillRequirement { skill, min_level, weight })| {
            let item = |error: ValidationError| error.under(&format!("{path}[{index}]"));
            Ok(SkillRequirement {
                skill: SkillId::new(skill).map_err(|error| item(error.under("skill")))?,
                min_level: level("min_level", min_level).map_err(item)?,
                weight: if weight == 0.0 { 1.0 } else { weight },
            })
        })
        .collect()
}

fn requirements_to_wire(list: &[SkillRequirement]) -> Vec<proto::SkillRequirement> {
    list.iter()
        .map(|requirement| proto::SkillRequirement {
            skill: requirement.skill.to_string(),
            min_level: requirement.min_level.map_or(0, |level| u32::from(level.get())),
            weight: requirement.weight,
        })
        .collect()
}

/// The offer key from the wire.
pub fn offer_key(path: &str, wire: Option<proto::OfferKey>) -> Result<OfferKey> {
    let proto::OfferKey { source, external_id } = wire.ok_or_else(|| ValidationError::new(path, "is required"))?;
    if source.is_empty() {
        return Err(ValidationError::new(format!("{path}.source"), "must not be empty"));
    }
    if external_id.is_empty() {
        return Err(ValidationError::new(format!("{path}.external_id"), "must not be empty"));
    }
    Ok(OfferKey { source, external_id })
}

/// The wire form of an offer key.
pub fn offer_key_to_wire(key: &OfferKey) -> proto::OfferKey {
    proto::OfferKey { source: key.source.clone(), external_id: key.external_id.clone() }
}

/// A validated domain offer from the wire; errors name `offer.<field>`.
pub fn offer(wire: proto::Offer) -> Result<Offer> {
    let proto::Offer {
        key,
        version,
        employer_name,
        employer_social_economy,
        title,
        description,
        occupation_code,
        required_skills,
        nice_to_have_skills,
        workplace,
        weekly_hours,
        daily_hours,
        night_work,
        overtime,
        guarding_work,
        contract_type,
        positions,
        valid_from,
        valid_until,
        accommodations_provided,
        min_stage,
        adaptation_weeks,
        employer_mentor,
        accepts_external_coach,
        prefers_readiness,
        // Output only: Pomost decides what it suggested.
        occupation_suggested: _,
        skills_suggested: _,
    } = wire;
    let workplace = match workplace {
        Some(proto::offer::Workplace::OnSite(place)) => Workplace::OnSite(location("offer.on_site", Some(place))?),
        Some(proto::offer::Workplace::Remote(true)) => Workplace::Remote,
        Some(proto::offer::Workplace::Remote(false)) | None => {
            return Err(ValidationError::new("offer.workplace", "set on_site or remote = true"));
        }
    };
    let adaptation_weeks = u8::try_from(adaptation_weeks)
        .map_err(|_| ValidationError::new("offer.adaptation_weeks", format!("{adaptation_weeks} is over 52")))?;
    Offer {
        key: offer_key("offer.key", key)?,
        version,
        employer: Employer { name: employer_name, social_economy: employer_social_economy },
        title,
        description,
        occupation_code,
        occupation_suggested: false,
        required_skills: requirements("offer.required_skills", required_skills)?,
        nice_to_have_skills: requirements("offer.nice_to_have_skills", nice_to_have_skills)?,
        skills_suggested: false,
        workplace,
        weekly_hours,
        daily_hours,
        night_work,
        overtime,
        guarding_work,
        contract_type: contract("offer.contract_type", contract_type)?,
        positions,
        valid_from: parse_date("offer.valid_from", &valid_from)?,
        valid_until: parse_date("offer.valid_until", &valid_until)?,
        accommodations_provided: accommodations("offer.accommodations_provided", &accommodations_provided)?,
        min_stage: stage("offer.min_stage", min_stage)?,
        adaptation_weeks,
        employer_mentor,
        accepts_external_coach,
        prefers_readiness,
    }
    .validated()
}

/// The wire form of an offer.
pub fn offer_to_wire(offer: &Offer) -> proto::Offer {
    proto::Offer {
        key: Some(offer_key_to_wire(&offer.key)),
        version: offer.version,
        employer_name: offer.employer.name.clone(),
        employer_social_economy: offer.employer.social_economy,
        title: offer.title.clone(),
        description: offer.description.clone(),
        occupation_code: offer.occupation_code.clone(),
        occupation_suggested: offer.occupation_suggested,
        required_skills: requirements_to_wire(&offer.required_skills),
        nice_to_have_skills: requirements_to_wire(&offer.nice_to_have_skills),
        skills_suggested: offer.skills_suggested,
        workplace: Some(match &offer.workplace {
            Workplace::OnSite(place) => proto::offer::Workplace::OnSite(location_to_wire(place)),
            Workplace::Remote => proto::offer::Workplace::Remote(true),
        }),
        weekly_hours: offer.weekly_hours,
        daily_hours: offer.daily_hours,
        night_work: offer.night_work,
        overtime: offer.overtime,
        guarding_work: offer.guarding_work,
        contract_type: to_table(&CONTRACTS, offer.contract_type),
        positions: offer.positions,
        valid_from: format_date(offer.valid_from),
        valid_until: format_date(offer.valid_until),
        accommodations_provided: accommodations_to_wire(offer.accommodations_provided),
        min_stage: stage_to_wire(offer.min_stage),
        adaptation_weeks: u32::from(offer.adaptation_weeks),
        employer_mentor: offer.employer_mentor,
        accepts_external_coach: offer.accepts_external_coach,
        prefers_readiness: offer.prefers_readiness,
    }
}

fn causes(path: &str, symbols: Vec<String>) -> Result<Vec<DisabilityCause>> {
    symbols
        .iter()
        .enumerate()
        .map(|(index, symbol)| {
            DisabilityCause::ALL.into_iter().find(|cause| cause.symbol() == symbol).ok_or_else(|| {
                ValidationError::new(
                    format!("{path}[{index}]"),
                    format!("{} is not a cause symbol (01-U … 12-C)", pomost_domain::quote(symbol)),
                )
            })
        })
        .collect()
}

/// A validated domain participant from the wire; errors name `participant.<field>`.
pub fn participant(wire: proto::Participant) -> Result<Participant> {
    let proto::Participant {
        id,
        unit,
        unit_id,
        skills,
        stage: wire_stage,
        disability,
        accommodations_required,
        accommodations_preferred,
        coach_hours_per_week,
        home,
        max_commute_km,
        available_hours_per_week,
        night_shifts_ok,
        preferred_contracts,
        registered_since,
        consent_to_matching,
        past_occupations,
        wanted_occupations,
        birth_year,
        gender: wire_gender,
    } = wire;
    let proto::Disability { degree: wire_degree, cause_symbols, working_time_exemption } =
        disability.unwrap_or_default();
    let skills = skills
        .into_iter()
        .enumerate()
        .map(|(index, proto::SkillClaim { skill, level: wire_level })| {
            let item = |error: ValidationError| error.under(&format!("participant.skills[{index}]"));
            Ok(SkillClaim {
                skill: SkillId::new(skill).map_err(|error| item(error.under("skill")))?,
                level: level("level", wire_level).map_err(item)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Participant {
        id: ParticipantId::new(id).map_err(at("participant.id"))?,
        unit: from_table("participant.unit", &UNITS, unit, "unit kind")?,
        unit_id,
        skills,
        stage: stage("participant.stage", wire_stage)?,
        disability: Disability {
            degree: degree("participant.disability.degree", wire_degree)?,
            causes: causes("participant.disability.cause_symbols", cause_symbols)?,
            working_time_exemption,
        },
        accommodations_required: accommodations("participant.accommodations_required", &accommodations_required)?,
        accommodations_preferred: accommodations("participant.accommodations_preferred", &accommodations_preferred)?,
        coach_hours_per_week,
        home: location("participant.home", home)?,
        max_commute_km,
        available_hours_per_week,
        night_shifts_ok,
        preferred_contracts: contracts("participant.preferred_contracts", &preferred_contracts)?,
        registered_since: parse_date("participant.registered_since", &registered_since)?,
        consent_to_matching,
        past_occupations: past_occupations
            .into_iter()
            .map(|proto::PastOccupation { code, years }| PastOccupation { code, years })
            .collect(),
        wanted_occupations,
        birth_year: match birth_year {
            0 => None,
            year => Some(u16::try_from(year).map_err(|_| {
                ValidationError::new("participant.birth_year", format!("{year} is not between 1900 and 2100"))
            })?),
        },
        gender: gender("participant.gender", wire_gender)?,
    }
    .validated()
}

/// The wire form of a shortlist candidate, taken by value: a list's explanations move into
/// the answer instead of being copied string by string.
pub fn candidate_to_wire(candidate: pomost_scoring::Candidate) -> proto::Candidate {
    proto::Candidate {
        participant_id: candidate.participant_id.to_string(),
        score: candidate.score,
        factors: candidate.factors.into_iter().map(factor_to_wire).collect(),
        suggested_coach_id: candidate.suggested_coach.as_ref().map(ToString::to_string).unwrap_or_default(),
        employer_mentor: candidate.employer_mentor,
        distance_km: candidate.distance_km.unwrap_or(0.0),
    }
}

/// The wire form of a participant.
pub fn participant_to_wire(participant: &Participant) -> proto::Participant {
    proto::Participant {
        id: participant.id.to_string(),
        unit: to_table(&UNITS, participant.unit),
        unit_id: participant.unit_id.clone(),
        skills: participant
            .skills
            .iter()
            .map(|claim| proto::SkillClaim {
                skill: claim.skill.to_string(),
                level: claim.level.map_or(0, |level| u32::from(level.get())),
            })
            .collect(),
        stage: stage_to_wire(participant.stage),
        disability: Some(proto::Disability {
            degree: i32::from(participant.disability.degree.code()),
            cause_symbols: participant.disability.causes.iter().map(|cause| cause.symbol().to_owned()).collect(),
            working_time_exemption: participant.disability.working_time_exemption,
        }),
        accommodations_required: accommodations_to_wire(participant.accommodations_required),
        accommodations_preferred: accommodations_to_wire(participant.accommodations_preferred),
        coach_hours_per_week: participant.coach_hours_per_week,
        home: Some(location_to_wire(&participant.home)),
        max_commute_km: participant.max_commute_km,
        available_hours_per_week: participant.available_hours_per_week,
        night_shifts_ok: participant.night_shifts_ok,
        preferred_contracts: contracts_to_wire(participant.preferred_contracts),
        registered_since: format_date(participant.registered_since),
        consent_to_matching: participant.consent_to_matching,
        past_occupations: participant
            .past_occupations
            .iter()
            .map(|past| proto::PastOccupation { code: past.code.clone(), years: past.years })
            .collect(),
        wanted_occupations: participant.wanted_occupations.clone(),
        birth_year: participant.birth_year.map_or(0, u32::from),
        gender: gender_to_wire(participant.gender),
    }
}

/// A validated job coach from the wire; errors name `coach.<field>`.
pub fn coach(wire: proto::JobCoach) -> Result<JobCoach> {
    let proto::JobCoach {
        id,
        unit,
        unit_id,
        area_teryt,
        area_centre,
        area_radius_km,
        specialisations,
        accommodations_supported,
        weekly_capacity_hours,
        committed_hours,
    } = wire;
    let teryt = area_teryt
        .iter()
        .enumerate()
        .map(|(index, code)| TerytCode::parse(code).map_err(at(&format!("coach.area_teryt[{index}]"))))
        .collect::<Result<Vec<_>>>()?;
    let centre = area_centre
        .map(|proto::GeoPoint { lat, lon }| GeoPoint::new(lat, lon).map_err(at("coach.area_centre")))
        .transpose()?;
    JobCoach {
        id: CoachId::new(id).map_err(at("coach.id"))?,
        unit: from_table("coach.unit", &UNITS, unit, "unit kind")?,
        unit_id,
        area: CoachArea { teryt, centre, radius_km: area_radius_km },
        specialisations: causes("coach.specialisations", specialisations)?,
        accommodations_supported: accommodations("coach.accommodations_supported", &accommodations_supported)?,
        weekly_capacity_hours,
        committed_hours,
    }
    .validated()
}

/// The wire form of a job coach.
pub fn coach_to_wire(coach: &JobCoach) -> proto::JobCoach {
    proto::JobCoach {
        id: coach.id.to_string(),
        unit: to_table(&UNITS, coach.unit),
        unit_id: coach.unit_id.clone(),
        area_teryt: coach.area.teryt.iter().map(ToString::to_string).collect(),
        area_centre: coach.area.centre.map(|point| proto::GeoPoint { lat: point.lat(), lon: point.lon() }),
        area_radius_km: coach.area.radius_km,
        specialisations: coach.specialisations.iter().map(|cause| cause.symbol().to_owned()).collect(),
        accommodations_supported: accommodations_to_wire(coach.accommodations_supported),
        weekly_capacity_hours: coach.weekly_capacity_hours,
        committed_hours: coach.committed_hours,
    }
}

/// The wire form of a factor score, taken by value (its detail text moves).
pub fn factor_to_wire(score: pomost_scoring::FactorScore) -> proto::FactorScore {
    proto::FactorScore {
        factor: score.factor.name().to_owned(),
        value: score.value,
        weight: score.weight,
        contribution: score.contribution,
        detail: score.detail,
    }
}

/// The stage for a wire number, where 0 means "no filter".
pub fn optional_stage(path: &str, value: i32) -> Result<Option<Stage>> {
    if value == 0 { Ok(None) } else { stage(path, value).map(Some) }
}

/// The wire form of a suggested occupation.
pub fn occupation_suggestion(suggestion: pomost_taxonomy::OccupationSuggestion) -> proto::OccupationSuggestion {
    proto::OccupationSuggestion { code: suggestion.code, label: suggestion.label, score: suggestion.score }
}

/// The wire form of a skill found in `text`.
pub fn extracted_skill(skill: pomost_taxonomy::FoundSkill, text: &str) -> proto::ExtractedSkill {
    let (start, end) = skill.span;
    proto::ExtractedSkill {
        matched: text.get(start..end).unwrap_or_default().to_owned(),
        skill: skill.id,
        label: skill.label,
        start: start as u32,
        end: end as u32,
    }
}

#[cfg(test)]
mod tests {
    use pomost_synth::Synth;
    use time::macros::date;

    use super::*;

    #[test]
    fn domain_records_survive_the_wire() {
        let synth = Synth::new(4, date!(2026 - 11 - 24));
        for index in 0..300 {
            let participant = synth.participant(index);
            assert_eq!(super::participant(participant_to_wire(&participant)).unwrap(), participant);
            let offer = synth.offer(index);
            assert_eq!(super::offer(offer_to_wire(&offer)).unwrap(), offer);
            let coach = synth.coach(index);
            assert_eq!(super::coach(coach_to_wire(&coach)).unwrap(), coach);
        }
    }

    #[test]
    fn errors_name_wire_fields() {
        let synth = Synth::new(4, date!(2026 - 11 - 24));
        let mut wire = offer_to_wire(&synth.offer(1));
        wire.weekly_hours = 90.0;
        assert_eq!(super::offer(wire.clone()).unwrap_err().to_string(), "offer.weekly_hours: 90 is over 84");
        wire.weekly_hours = 40.0;
        wire.valid_from = "jutro".into();
        assert_eq!(super::offer(wire.clone()).unwrap_err().field, "offer.valid_from");
        wire.valid_from = "2026-11-01".into();
        wire.accommodations_provided = vec![1, 99];
        assert_eq!(super::offer(wire).unwrap_err().field, "offer.accommodations_provided[1]");
        let mut person = participant_to_wire(&synth.participant(1));
        person.stage = 0;
        assert_eq!(super::participant(person.clone()).unwrap_err().to_string(), "participant.stage: must name a stage");
        person.stage = 2;
        person.home.as_mut().unwrap().teryt = "99".into();
        assert_eq!(super::participant(person.clone()).unwrap_err().field, "participant.home.teryt");
        person.home.as_mut().unwrap().teryt = "1261".into();
        person.gender = 7;
        assert_eq!(
            super::participant(person.clone()).unwrap_err().to_string(),
            "participant.gender: 7 is not a gender"
        );
        person.gender = 0;
        person.skills[0].level = 9;
        assert_eq!(super::participant(person.clone()).unwrap_err().field, "participant.skills[0].level");
        person.skills[0].level = 1;
        person.skills[0].skill = String::new();
        assert_eq!(super::participant(person.clone()).unwrap_err().field, "participant.skills[0].skill");
        person.skills[0].skill = "pl:sprzatanie".into();
        person.preferred_contracts = vec![1, 42];
        assert_eq!(super::participant(person).unwrap_err().field, "participant.preferred_contracts[1]");
    }
}
