//! The demo dataset behind `pomost serve --demo`: a seeded synthetic world across the regions
//! in our material, plus hand-written showcase cases a newcomer can query by name.
//!
//! Showcase ids (all in Kraków unless said otherwise):
//! - offer `demo/zielony-zakatek`: a social cooperative for green-area upkeep, cleaning and
//!   minor renovations, with an adaptation period, a mentor and external coaches welcome;
//! - offer `demo/magazyn-nocny`: warehouse night shifts, which nobody with a disability
//!   certificate may get without a physician's consent;
//! - participant `demo-wtz-anna`: from a WTZ, ready for a first job with a job coach;
//! - participant `demo-gluchy-marek`: deaf, needs Polish Sign Language;
//! - participant `demo-50plus-jan`: 58, long-term unemployed, registered for four years;
//! - participant `demo-noc-ewa`: a certificate of light degree and no physician's consent,
//!   accepts nights — excluded from the night shifts by the working-time rule;
//! - coach `demo-trener-pjm`: a job coach who signs PJM.

use pomost_domain::{
    Accommodation, AccommodationSet, CoachArea, CoachId, ContractSet, ContractType, Disability, DisabilityCause,
    DisabilityDegree, Employer, GeoPoint, JobCoach, Location, Offer, OfferKey, Participant, ParticipantId,
    PastOccupation, SkillClaim, SkillLevel, SkillRequirement, Stage, TerytCode, UnitKind, Workplace,
};
use pomost_synth::{Synth, skill_id};
use time::{Date, Duration};

use crate::engine::Engine;
use crate::error::ServiceError;

/// Size of the synthetic part of the demo.
const DEMO_PARTICIPANTS: usize = 20_000;
const DEMO_COACHES: usize = 400;
const DEMO_OFFERS: usize = 2_000;
/// The seed of the demo's synthetic population.
pub const DEMO_SEED: u64 = 2026;

/// What seeding did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoOutcome {
    /// The demo dataset was written.
    Seeded {
        /// Participants written.
        participants: usize,
        /// Offers written.
        offers: usize,
    },
    /// The data directory already held data; nothing was written.
    AlreadyHadData,
}

fn krakow(north_km: f64, east_km: f64) -> Location {
    Location {
        teryt: teryt("1261"),
        point: GeoPoint::new(50.0614 + north_km / 111.2, 19.9366 + east_km / 71.5).unwrap_or_else(|_| unreachable!()),
    }
}

fn teryt(code: &str) -> TerytCode {
    TerytCode::parse(code).unwrap_or_else(|_| unreachable!("fixed demo code {code}"))
}

fn id(text: &str) -> ParticipantId {
    ParticipantId::new(text).unwrap_or_else(|_| unreachable!("fixed demo id {text}"))
}

fn claim(code: &str, level: u8) -> SkillClaim {
    SkillClaim { skill: skill_id(code), level: SkillLevel::new(level).ok() }
}

fn requirement(code: &str, weight: f32) -> SkillRequirement {
    SkillRequirement { skill: skill_id(code), min_level: None, weight }
}

fn person(identifier: &str, unit: UnitKind, today: Date) -> Participant {
    Participant {
        id: id(identifier),
        unit,
        unit_id: "demo-krakow".into(),
        skills: vec![],
        stage: Stage::SupportedOpenMarket,
        disability: Disability::default(),
        accommodations_required: AccommodationSet::empty(),
        accommodations_preferred: AccommodationSet::empty(),
        coach_hours_per_week: 0.0,
        home: krakow(0.0, 0.0),
        max_commute_km: 15.0,
        available_hours_per_week: 40.0,
        night_shifts_ok: false,
        preferred_contracts: ContractSet::empty(),
        registered_since: today - Duration::days(200),
        consent_to_matching: true,
        past_occupations: Vec::new(),
        wanted_occupations: Vec::new(),
        birth_year: None,
        gender: None,
    }
}

/// The hand-written showcase participants.
pub fn showcase_participants(today: Date) -> Vec<Participant> {
    let mut anna = person("demo-wtz-anna", UnitKind::Wtz, today);
    anna.skills =
        vec![claim("pl:utrzymanie-zieleni", 2), claim("pl:koszenie-trawnikow", 2), claim("pl:sprzatanie-obiektow", 1)];
    anna.stage = Stage::ShelteredEmployment;
    anna.disability = Disability {
        degree: DisabilityDegree::Moderate,
        causes: vec![DisabilityCause::Intellectual],
        working_time_exemption: false,
    };
    anna.accommodations_required = Accommodation::EasyReadInstructions.into();
    anna.accommodations_preferred = Accommodation::ExtraBreaks.into();
    anna.coach_hours_per_week = 8.0;
    anna.available_hours_per_week = 30.0;
    anna.home = krakow(2.0, -3.0);
    // Wants to work in green areas (KZiS 921401, pomocniczy robotnik konserwacji terenów zieleni).
    anna.wanted_occupations = vec!["921401".into()];

    let mut marek = person("demo-gluchy-marek", UnitKind::Cis, today);
    marek.skills = vec![claim("pl:drobne-naprawy", 3), claim("pl:malowanie-scian", 2)];
    marek.disability = Disability {
        degree: DisabilityDegree::Light,
        causes: vec![DisabilityCause::HearingSpeech],
        working_time_exemption: false,
    };
    marek.accommodations_required = Accommodation::PolishSignLanguage.into();
    marek.home = krakow(-3.0, 4.0);
    marek.max_commute_km = 20.0;

    let mut jan = person("demo-50plus-jan", UnitKind::Pup, today);
    jan.skills =
        vec![claim("pl:sprzatanie-biur", 3), claim("pl:kompletowanie-zamowien", 2), claim("pl:wozek-widlowy", 2)];
    jan.stage = Stage::OpenMarket;
    jan.registered_since = today - Duration::days(4 * 365);
    jan.home = krakow(5.0, 2.0);
    jan.max_commute_km = 25.0;
    jan.night_shifts_ok = true;
    jan.preferred_contracts = ContractType::EmploymentContract.into();
    // Twenty years as a warehouseman (KZiS 432103 Magazynier), a year as an office cleaner.
    jan.past_occupations = vec![
        PastOccupation { code: "432103".into(), years: 20.0 },
        PastOccupation { code: "911207".into(), years: 1.0 },
    ];

    let mut ewa = person("demo-noc-ewa", UnitKind::Zaz, today);
    ewa.skills = vec![claim("pl:kompletowanie-zamowien", 3), claim("pl:pakowanie", 3)];
    ewa.disability = Disability {
        degree: DisabilityDegree::Light,
        causes: vec![DisabilityCause::Motor],
        working_time_exemption: false,
    };
    ewa.night_shifts_ok = true;
    ewa.home = krakow(1.0, 6.0);
    vec![anna, marek, jan, ewa]
}

/// The hand-written showcase offers.
pub fn showcase_offers(today: Date) -> Vec<Offer> {
    let cooperative = Offer {
        key: OfferKey { source: "demo".into(), external_id: "zielony-zakatek".into() },
        version: 1,
        employer: Employer { name: "Spółdzielnia Socjalna Zielony Zakątek".into(), social_economy: true },
        title: "Utrzymanie terenów zielonych, sprzątanie i drobne remonty".into(),
        description: "Spółdzielnia socjalna zatrudni do pielęgnacji zieleni osiedlowej, sprzątania klatek \
                      schodowych i drobnych napraw. Zapewniamy opiekuna i okres adaptacyjny."
            .into(),
        occupation_code: "921401".into(),
        occupation_suggested: false,
        required_skills: vec![requirement("pl:utrzymanie-zieleni", 2.0)],
        nice_to_have_skills: vec![requirement("pl:sprzatanie-obiektow", 1.0), requirement("pl:drobne-naprawy", 1.0)],
        skills_suggested: false,
        workplace: Workplace::OnSite(krakow(1.0, 1.0)),
        weekly_hours: 30.0,
        daily_hours: 6.0,
        night_work: false,
        overtime: false,
        guarding_work: false,
        contract_type: ContractType::EmploymentContract,
        positions: 3,
        valid_from: today - Duration::days(7),
        valid_until: today + Duration::days(60),
        accommodations_provided: Accommodation::ExtraBreaks | Accommodation::FlexibleHours,
        min_stage: Stage::SupportedOpenMarket,
        adaptation_weeks: 8,
        employer_mentor: true,
        accepts_external_coach: true,
        prefers_readiness: false,
    };
    let night = Offer {
        key: OfferKey { source: "demo".into(), external_id: "magazyn-nocny".into() },
        version: 1,
        employer: Employer { name: "Centrum Logistyczne Małopolska".into(), social_economy: false },
        title: "Magazynier na zmiany nocne".into(),
        description: "Kompletowanie zamówień i pakowanie w magazynie, praca w nocy.".into(),
        occupation_code: "432103".into(),
        occupation_suggested: false,
        required_skills: vec![requirement("pl:kompletowanie-zamowien", 2.0)],
        nice_to_have_skills: vec![requirement("pl:pakowanie", 1.0)],
        skills_suggested: false,
        workplace: Workplace::OnSite(krakow(3.0, 5.0)),
        weekly_hours: 40.0,
        daily_hours: 8.0,
        night_work: true,
        overtime: false,
        guarding_work: false,
        contract_type: ContractType::EmploymentContract,
        positions: 5,
        valid_from: today - Duration::days(3),
        valid_until: today + Duration::days(45),
        accommodations_provided: AccommodationSet::empty(),
        min_stage: Stage::SupportedOpenMarket,
        adaptation_weeks: 0,
        employer_mentor: false,
        accepts_external_coach: true,
        prefers_readiness: false,
    };
    vec![cooperative, night]
}

/// The showcase coach who signs PJM.
pub fn showcase_coach() -> JobCoach {
    JobCoach {
        id: CoachId::new("demo-trener-pjm").unwrap_or_else(|_| unreachable!()),
        unit: UnitKind::Zaz,
        unit_id: "demo-krakow".into(),
        area: CoachArea { teryt: vec![teryt("1261"), teryt("1206")], centre: None, radius_km: 0.0 },
        specialisations: vec![DisabilityCause::HearingSpeech],
        accommodations_supported: Accommodation::PolishSignLanguage | Accommodation::EasyReadInstructions,
        weekly_capacity_hours: 30.0,
        committed_hours: 10.0,
    }
}

/// Writes the demo dataset through the engine (store, pool and index), unless the data
/// directory already holds data.
pub fn seed(engine: &Engine, today: Date) -> Result<DemoOutcome, ServiceError> {
    seed_with(engine, today, DEMO_SEED)
}

/// [`seed`] with another synthetic population (the showcase cases stay the same), e.g. to
/// see whether an audit's figure is the population's or the ranking's.
pub fn seed_with(engine: &Engine, today: Date, population_seed: u64) -> Result<DemoOutcome, ServiceError> {
    if !engine.is_empty()? {
        return Ok(DemoOutcome::AlreadyHadData);
    }
    let synth = Synth::new(population_seed, today);
    let mut people: Vec<Participant> = synth.participants(DEMO_PARTICIPANTS).collect();
    people.extend(showcase_participants(today));
    for batch in people.chunks(5_000) {
        engine.upsert_participants(batch.to_vec())?;
    }
    for coach in synth.coaches(DEMO_COACHES).chain(std::iter::once(showcase_coach())) {
        engine.upsert_coach(coach)?;
    }
    let mut offers: Vec<Offer> = synth.offers(DEMO_OFFERS).collect();
    offers.extend(showcase_offers(today));
    for batch in offers.chunks(1_000) {
        engine.upsert_offers(batch)?;
    }
    engine.flush()?;
    Ok(DemoOutcome::Seeded { participants: people.len(), offers: offers.len() })
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn showcase_records_are_valid() {
        let today = date!(2026 - 11 - 24);
        for participant in showcase_participants(today) {
            participant.validated().unwrap();
        }
        for offer in showcase_offers(today) {
            offer.validated().unwrap();
        }
        showcase_coach().validated().unwrap();
    }
}
