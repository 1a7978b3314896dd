//! Small hand-built records for unit tests: one person, one offer, one coach in Kraków,
//! each eligible for the others until a test changes a field.

use pomost_domain::{
    Accommodation, AccommodationSet, CoachArea, CoachId, ContractSet, ContractType, Disability, Employer, GeoPoint,
    JobCoach, Location, Offer, OfferKey, Participant, ParticipantId, SkillClaim, SkillId, SkillLevel, SkillRelatedness,
    SkillRequirement, Stage, TerytCode, UnitKind, Workplace,
};
use time::Date;
use time::macros::date;

use crate::explain::Explanation;
use crate::policy::ScoringPolicy;
use crate::pool::ParticipantPool;

pub(crate) const TODAY: Date = date!(2026 - 11 - 24);

pub(crate) fn skill(code: &str) -> SkillId {
    SkillId::new(code).unwrap()
}

/// Kraków, shifted `north_km` to the north.
pub(crate) fn krakow(north_km: f64) -> Location {
    Location {
        teryt: TerytCode::parse("1261").unwrap(),
        point: GeoPoint::new(50.06 + north_km / 111.195, 19.94).unwrap(),
    }
}

pub(crate) fn person(id: &str) -> Participant {
    Participant {
        id: ParticipantId::new(id).unwrap(),
        unit: UnitKind::Cis,
        unit_id: "cis-krakow".into(),
        skills: vec![SkillClaim { skill: skill("cleaning"), level: Some(SkillLevel::new(2).unwrap()) }],
        stage: Stage::SupportedOpenMarket,
        disability: Disability::default(),
        accommodations_required: AccommodationSet::empty(),
        accommodations_preferred: AccommodationSet::empty(),
        coach_hours_per_week: 0.0,
        home: krakow(0.0),
        max_commute_km: 20.0,
        available_hours_per_week: 40.0,
        night_shifts_ok: false,
        preferred_contracts: ContractSet::empty(),
        registered_since: date!(2025 - 11 - 24),
        consent_to_matching: true,
        past_occupations: Vec::new(),
        wanted_occupations: Vec::new(),
        birth_year: None,
        gender: None,
    }
}

pub(crate) fn offer() -> Offer {
    Offer {
        key: OfferKey { source: "test".into(), external_id: "o-1".into() },
        version: 1,
        employer: Employer { name: "Spółdzielnia Socjalna Czysty Dom".into(), social_economy: true },
        title: "Pracownik utrzymania czystości".into(),
        description: String::new(),
        occupation_code: "911207".into(),
        occupation_suggested: false,
        required_skills: vec![SkillRequirement { skill: skill("cleaning"), min_level: None, weight: 1.0 }],
        nice_to_have_skills: vec![],
        skills_suggested: false,
        workplace: Workplace::OnSite(krakow(0.0)),
        weekly_hours: 40.0,
        daily_hours: 8.0,
        night_work: false,
        overtime: false,
        guarding_work: false,
        contract_type: ContractType::EmploymentContract,
        positions: 2,
        valid_from: date!(2026 - 11 - 01),
        valid_until: date!(2026 - 12 - 31),
        accommodations_provided: AccommodationSet::empty(),
        min_stage: Stage::ShelteredEmployment,
        adaptation_weeks: 0,
        employer_mentor: false,
        accepts_external_coach: true,
        prefers_readiness: false,
    }
}

pub(crate) fn coach(id: &str) -> JobCoach {
    JobCoach {
        id: CoachId::new(id).unwrap(),
        unit: UnitKind::Zaz,
        unit_id: "zaz-krakow".into(),
        area: CoachArea { teryt: vec![TerytCode::parse("1261").unwrap()], centre: None, radius_km: 0.0 },
        specialisations: vec![],
        accommodations_supported: Accommodation::PolishSignLanguage.into(),
        weekly_capacity_hours: 20.0,
        committed_hours: 0.0,
    }
}

pub(crate) fn relatedness() -> SkillRelatedness {
    let mut table = SkillRelatedness { group_similarity: 0.5, ..Default::default() };
    table.groups.insert(skill("cleaning"), "care".into());
    table.groups.insert(skill("laundry"), "care".into());
    table
}

pub(crate) fn pool(people: Vec<Participant>, coaches: Vec<JobCoach>) -> ParticipantPool {
    ParticipantPool::build(&relatedness(), people, coaches).unwrap()
}

/// Explains one person alone in a pool (with `coaches`) against `offer`.
pub(crate) fn explain_one(person: Participant, coaches: Vec<JobCoach>, offer: &Offer) -> Explanation {
    let id = person.id.clone();
    pool(vec![person], coaches).explain(&ScoringPolicy::default(), &id, offer, TODAY).unwrap()
}
