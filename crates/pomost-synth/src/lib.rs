//! Seeded, deterministic synthetic data with realistic Polish distributions: participants,
//! job offers and job coaches placed in real powiats, with skills typical of reintegration
//! work. Used by tests, benchmarks and the demo.
//!
//! Every entity is drawn from its own RNG stream (seed, kind, index), so the first n
//! participants are the same whether you ask for n or for a million.

mod places;

use pomost_domain::{
    Accommodation, AccommodationSet, CoachArea, CoachId, ContractSet, ContractType, Disability, DisabilityCause,
    DisabilityDegree, Employer, Gender, GeoPoint, JobCoach, Location, Offer, OfferKey, Participant, ParticipantId,
    PastOccupation, SkillClaim, SkillId, SkillLevel, SkillRequirement, Stage, TerytCode, UnitKind, Workplace,
};
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::{Date, Duration};

pub use places::{POWIATS, Powiat, powiat_by_teryt};
pub use pomost_taxonomy::{SKILL_GROUPS, SkillGroup, relatedness, skill_id};

const KIND_PARTICIPANT: u64 = 1;
const KIND_COACH: u64 = 2;
const KIND_OFFER: u64 = 3;
/// A separate stream for work history, so adding it left every other drawn value as it was.
const KIND_HISTORY: u64 = 4;
/// A separate stream for the ESCO skills drawn from the taxonomy, for the same reason.
const KIND_ESCO: u64 = 5;
/// Years of birth: their own stream, so adding them changed no earlier draw.
const KIND_BIRTH: u64 = 6;
/// Stream of a participant's gender (drawn apart, so adding it moved no other value).
const KIND_GENDER: u64 = 7;

/// The ESCO skills (label-derived ids) the shipped taxonomy links to each occupation.
fn esco_skills_of(code: &str) -> &'static [SkillId] {
    static BY_OCCUPATION: std::sync::OnceLock<std::collections::HashMap<String, Vec<SkillId>>> =
        std::sync::OnceLock::new();
    BY_OCCUPATION
        .get_or_init(|| {
            let skills = pomost_taxonomy::shipped_skills();
            let mut by_occupation: std::collections::HashMap<String, Vec<SkillId>> = std::collections::HashMap::new();
            for skill in skills.all().iter().filter(|skill| skill.id.starts_with(pomost_taxonomy::LABEL_ID_PREFIX)) {
                for code in &skill.occupations {
                    if let Ok(id) = SkillId::new(&skill.id) {
                        by_occupation.entry(code.clone()).or_default().push(id);
                    }
                }
            }
            for ids in by_occupation.values_mut() {
                ids.sort();
            }
            by_occupation
        })
        .get(code)
        .map_or(&[], Vec::as_slice)
}

/// Up to `most` distinct ESCO skills of an occupation.
fn draw_esco(rng: &mut ChaCha8Rng, code: &str, most: usize) -> Vec<SkillId> {
    let pool = esco_skills_of(code);
    let mut drawn: Vec<SkillId> = pool.sample(rng, most.min(pool.len())).cloned().collect();
    drawn.sort();
    drawn
}

/// The generator: a seed and the day the synthetic world is seen from.
#[derive(Debug, Clone, Copy)]
pub struct Synth {
    seed: u64,
    today: Date,
}

impl Synth {
    /// A generator for `seed`, with validity and waiting times relative to `today`.
    pub fn new(seed: u64, today: Date) -> Self {
        Self { seed, today }
    }

    /// The day the data is relative to.
    pub fn today(&self) -> Date {
        self.today
    }

    fn rng(&self, kind: u64, index: u64) -> ChaCha8Rng {
        let mixed =
            self.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (kind << 56) ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03);
        ChaCha8Rng::seed_from_u64(mixed)
    }

    /// Participants number `0..count`.
    pub fn participants(self, count: usize) -> impl Iterator<Item = Participant> {
        (0..count).map(move |index| self.participant(index))
    }

    /// Job coaches number `0..count`.
    pub fn coaches(self, count: usize) -> impl Iterator<Item = JobCoach> {
        (0..count).map(move |index| self.coach(index))
    }

    /// Offers number `0..count`.
    pub fn offers(self, count: usize) -> impl Iterator<Item = Offer> {
        (0..count).map(move |index| self.offer(index))
    }

    /// Participant number `index`.
    pub fn participant(&self, index: usize) -> Participant {
        let mut rng = self.rng(KIND_PARTICIPANT, index as u64);
        let unit = *weighted(
            &mut rng,
            &[
                (UnitKind::Cis, 30),
                (UnitKind::Kis, 15),
                (UnitKind::Wtz, 10),
                (UnitKind::Zaz, 10),
                (UnitKind::Pup, 25),
                (UnitKind::SocialCooperative, 5),
                (UnitKind::Other, 5),
            ],
        );
        let stage = stage_for(&mut rng, unit);
        let disability = disability_for(&mut rng, unit);
        let certified = disability.degree != DisabilityDegree::None;
        let (accommodations_required, accommodations_preferred) = accommodations_for(&mut rng, &disability);
        let coach_hours_per_week = if rng.random_bool(if certified { 0.45 } else { 0.08 }) {
            f32::from(rng.random_range(2u8..=10))
        } else {
            0.0
        };
        let powiat = pick_powiat(&mut rng);
        let home = jittered(&mut rng, powiat, 0.12);
        let registered_since = self.today - Duration::days(rng.random_range(0..1500));
        let mut skills = skills_for(&mut rng);
        let (past_occupations, wanted_occupations) = history_for(&mut self.rng(KIND_HISTORY, index as u64), &skills);
        // Half the people also hold one or two ESCO skills of an occupation of their own.
        let mut esco = self.rng(KIND_ESCO, index as u64);
        if esco.random_bool(0.5)
            && let Some(code) = wanted_occupations.first().or(past_occupations.first().map(|past| &past.code))
        {
            let count = esco.random_range(1..=2);
            for skill in draw_esco(&mut esco, code, count) {
                let level = esco.random_bool(0.5).then(|| valid(SkillLevel::new(esco.random_range(1..=3))));
                skills.push(SkillClaim { skill, level });
            }
        }
        Participant {
            id: valid(ParticipantId::new(format!("p-{:x}-{index:07}", self.seed))),
            unit,
            unit_id: format!("{}-{}", unit_code(unit), powiat.teryt),
            skills,
            stage,
            disability,
            accommodations_required,
            accommodations_preferred,
            coach_hours_per_week,
            home,
            max_commute_km: *[5.0f32, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0].choose(&mut rng).unwrap_or(&20.0),
            available_hours_per_week: *[20.0f32, 30.0, 35.0, 40.0].choose(&mut rng).unwrap_or(&40.0),
            night_shifts_ok: rng.random_bool(0.2),
            preferred_contracts: contract_preferences(&mut rng),
            registered_since,
            consent_to_matching: rng.random_bool(0.95),
            past_occupations,
            wanted_occupations,
            birth_year: self.birth_year(index),
            gender: self.gender(index),
        }
    }

    /// Gender of participant `index`, from its own stream (so no other drawn value moves):
    /// a little over half women among those recorded (as among the registered unemployed),
    /// one in ten not recorded.
    fn gender(&self, index: usize) -> Option<Gender> {
        let mut rng = self.rng(KIND_GENDER, index as u64);
        rng.random_bool(0.9).then(|| if rng.random_bool(0.53) { Gender::Woman } else { Gender::Man })
    }

    /// A year of birth for participant `index` (ages 18–64; one in ten not recorded).
    fn birth_year(&self, index: usize) -> Option<u16> {
        let mut rng = self.rng(KIND_BIRTH, index as u64);
        let age = rng.random_range(18..=64);
        rng.random_bool(0.9).then(|| (self.today.year() - age) as u16)
    }

    /// Job coach number `index`.
    pub fn coach(&self, index: usize) -> JobCoach {
        let mut rng = self.rng(KIND_COACH, index as u64);
        let powiat = pick_powiat(&mut rng);
        let unit = *[UnitKind::Cis, UnitKind::Zaz, UnitKind::Wtz, UnitKind::Other]
            .choose(&mut rng)
            .unwrap_or(&UnitKind::Other);
        let area = if rng.random_bool(0.5) {
            CoachArea { teryt: vec![valid(TerytCode::parse(powiat.teryt))], centre: None, radius_km: 0.0 }
        } else {
            CoachArea {
                teryt: Vec::new(),
                centre: Some(valid(GeoPoint::new(powiat.lat, powiat.lon))),
                radius_km: f32::from(rng.random_range(15u8..=60)),
            }
        };
        let mut supported = AccommodationSet::empty();
        for (accommodation, probability) in [
            (Accommodation::PolishSignLanguage, 0.15),
            (Accommodation::EasyReadInstructions, 0.5),
            (Accommodation::AssistiveTechnology, 0.2),
            (Accommodation::JobSiteSupport, 0.3),
        ] {
            if rng.random_bool(probability) {
                supported |= accommodation;
            }
        }
        let mut specialisations: Vec<DisabilityCause> = Vec::new();
        if supported.contains(Accommodation::PolishSignLanguage) {
            specialisations.push(DisabilityCause::HearingSpeech);
        }
        if rng.random_bool(0.5) {
            specialisations.push(
                *[DisabilityCause::Intellectual, DisabilityCause::Mental, DisabilityCause::Developmental]
                    .choose(&mut rng)
                    .unwrap_or(&DisabilityCause::Intellectual),
            );
        }
        let weekly_capacity_hours = f32::from(rng.random_range(20u8..=40));
        let committed_hours = (weekly_capacity_hours * rng.random_range(0.0f32..1.0)).floor();
        JobCoach {
            id: valid(CoachId::new(format!("c-{:x}-{index:05}", self.seed))),
            unit,
            unit_id: format!("{}-{}", unit_code(unit), powiat.teryt),
            area,
            specialisations,
            accommodations_supported: supported,
            weekly_capacity_hours,
            committed_hours,
        }
    }

    /// Offer number `index`: on site in a powiat, or remote office work one time in ten.
    pub fn offer(&self, index: usize) -> Offer {
        let mut rng = self.rng(KIND_OFFER, index as u64);
        let group = SKILL_GROUPS.choose(&mut rng).unwrap_or(&SKILL_GROUPS[0]);
        let remote = group.name == "office" && rng.random_bool(0.5);
        let workplace = if remote {
            Workplace::Remote
        } else {
            let powiat = pick_powiat(&mut rng);
            Workplace::OnSite(jittered(&mut rng, powiat, 0.08))
        };
        let mut offer = self.base_offer(&mut rng, index, group, workplace);
        offer.guarding_work = group.name == "security" && rng.random_bool(0.5);
        // Half the offers also name an ESCO skill of their occupation as nice to have.
        let mut esco = self.rng(KIND_ESCO, index as u64 | 1 << 63);
        if esco.random_bool(0.5) {
            offer.nice_to_have_skills.extend(
                draw_esco(&mut esco, &offer.occupation_code, 1).into_iter().map(|skill| SkillRequirement {
                    skill,
                    min_level: None,
                    weight: 1.0,
                }),
            );
        }
        offer
    }

    /// A typical regional offer in Kraków: cleaning and green areas, 35 h, commute matters.
    pub fn regional_offer(&self) -> Offer {
        let mut rng = self.rng(KIND_OFFER, u64::MAX);
        let krakow = powiat_by_teryt("1261").unwrap_or(&POWIATS[0]);
        let group = &SKILL_GROUPS[1];
        let workplace = Workplace::OnSite(jittered(&mut rng, krakow, 0.02));
        let mut offer = self.base_offer(&mut rng, 0, group, workplace);
        offer.key.external_id = "regional-krakow".into();
        offer.weekly_hours = 35.0;
        offer.daily_hours = 7.0;
        offer.night_work = false;
        offer.overtime = false;
        offer.positions = 3;
        offer.valid_until = self.today + Duration::days(60);
        offer.valid_from = self.today - Duration::days(5);
        offer
    }

    /// A remote data-entry offer open to the whole country.
    pub fn remote_offer(&self) -> Offer {
        let mut rng = self.rng(KIND_OFFER, u64::MAX - 1);
        let group = SKILL_GROUPS.iter().find(|group| group.name == "office").unwrap_or(&SKILL_GROUPS[0]);
        let mut offer = self.base_offer(&mut rng, 0, group, Workplace::Remote);
        offer.key.external_id = "remote-national".into();
        offer.weekly_hours = 30.0;
        offer.daily_hours = 6.0;
        offer.night_work = false;
        offer.overtime = false;
        offer.positions = 10;
        offer.valid_until = self.today + Duration::days(60);
        offer.valid_from = self.today - Duration::days(5);
        offer
    }

    fn base_offer(&self, rng: &mut ChaCha8Rng, index: usize, group: &SkillGroup, workplace: Workplace) -> Offer {
        let mut shuffled: Vec<&str> = group.skills.to_vec();
        for position in (1..shuffled.len()).rev() {
            shuffled.swap(position, rng.random_range(0..=position));
        }
        let must_count = rng.random_range(1..=2.min(shuffled.len()));
        let nice_count = rng.random_range(0..=(shuffled.len() - must_count).min(2));
        let requirement = |rng: &mut ChaCha8Rng, code: &str| SkillRequirement {
            skill: skill_id(code),
            min_level: rng.random_bool(0.3).then(|| valid(SkillLevel::new(rng.random_range(1..=2)))),
            weight: *[1.0f32, 1.0, 2.0].choose(rng).unwrap_or(&1.0),
        };
        let required_skills = shuffled[..must_count].iter().map(|code| requirement(rng, code)).collect();
        let nice_to_have_skills =
            shuffled[must_count..must_count + nice_count].iter().map(|code| requirement(rng, code)).collect();
        let weekly_hours = *[20.0f32, 30.0, 35.0, 40.0, 40.0].choose(rng).unwrap_or(&40.0);
        let social_economy = rng.random_bool(0.25);
        let employer_name = if social_economy {
            *EMPLOYERS_SOCIAL.choose(rng).unwrap_or(&EMPLOYERS_SOCIAL[0])
        } else {
            *EMPLOYERS_OPEN.choose(rng).unwrap_or(&EMPLOYERS_OPEN[0])
        };
        let mut provided = AccommodationSet::empty();
        for (accommodation, probability) in [
            (Accommodation::StepFreeAccess, 0.4),
            (Accommodation::AccessibleToilet, 0.3),
            (Accommodation::AdaptedWorkstation, 0.15),
            (Accommodation::ExtraBreaks, 0.3),
            (Accommodation::FlexibleHours, 0.2),
            (Accommodation::QuietWorkspace, 0.15),
            (Accommodation::EasyReadInstructions, 0.15),
            (Accommodation::PolishSignLanguage, 0.03),
        ] {
            if rng.random_bool(probability) {
                provided |= accommodation;
            }
        }
        if matches!(workplace, Workplace::Remote) {
            provided |= Accommodation::RemoteWork;
        }
        let title = *group.titles.choose(rng).unwrap_or(&"Pracownik");
        Offer {
            key: OfferKey { source: "synth".into(), external_id: format!("o-{:x}-{index:07}", self.seed) },
            version: 1,
            employer: Employer { name: employer_name.to_owned(), social_economy },
            title: title.to_owned(),
            description: format!("{title}. Praca w zespole, wdrożenie na stanowisku, umowa zgodnie z ofertą."),
            occupation_code: (*group.occupations.choose(rng).unwrap_or(&"911207")).to_owned(),
            occupation_suggested: false,
            required_skills,
            nice_to_have_skills,
            skills_suggested: false,
            workplace,
            weekly_hours,
            daily_hours: (weekly_hours / 5.0).max(4.0),
            night_work: rng.random_bool(0.08),
            overtime: rng.random_bool(0.08),
            guarding_work: false,
            contract_type: *weighted(
                rng,
                &[
                    (ContractType::EmploymentContract, 45),
                    (ContractType::CivilContract, 10),
                    (ContractType::SocialEmployment, 10),
                    (ContractType::Internship, 10),
                    (ContractType::InterventionWorks, 10),
                    (ContractType::PublicWorks, 5),
                    (ContractType::SupportedEmployment, 10),
                ],
            ),
            positions: rng.random_range(1..=5),
            valid_from: self.today - Duration::days(rng.random_range(0..30)),
            valid_until: self.today + Duration::days(rng.random_range(7..90)),
            accommodations_provided: provided,
            min_stage: *weighted(
                rng,
                &[
                    (Stage::VocationalTraining, 15),
                    (Stage::ShelteredEmployment, 30),
                    (Stage::SupportedOpenMarket, 35),
                    (Stage::OpenMarket, 20),
                ],
            ),
            adaptation_weeks: *[0u8, 0, 8, 16].choose(rng).unwrap_or(&0),
            employer_mentor: rng.random_bool(0.3),
            accepts_external_coach: rng.random_bool(0.75),
            prefers_readiness: false,
        }
    }
}

const EMPLOYERS_SOCIAL: &[&str] = &[
    "Spółdzielnia Socjalna Zielony Zakątek",
    "Spółdzielnia Socjalna Czysty Dom",
    "ZAZ Pracownia Nadziei",
    "Kawiarnia Społeczna Pod Mostem",
    "Spółdzielnia Socjalna Remont Plus",
];

const EMPLOYERS_OPEN: &[&str] = &[
    "Zakład Gospodarki Komunalnej",
    "Hotel Wawel Park",
    "Centrum Logistyczne Mazowsze",
    "Szwalnia Moda Sp. z o.o.",
    "Dom Pomocy Społecznej",
    "Pralnia Przemysłowa Biel",
    "Biuro Rachunkowe Rachmistrz",
    "Agencja Ochrony Strażnik",
];

/// Unwraps a value the generator built from its fixed lists; those lists are checked by tests.
fn valid<T, E: std::fmt::Display>(result: Result<T, E>) -> T {
    match result {
        Ok(value) => value,
        Err(error) => unreachable!("generator produced an invalid value: {error}"),
    }
}

fn weighted<'a, T>(rng: &mut ChaCha8Rng, choices: &'a [(T, u32)]) -> &'a T {
    let total: u32 = choices.iter().map(|(_, weight)| weight).sum();
    let mut roll = rng.random_range(0..total);
    for (choice, weight) in choices {
        if roll < *weight {
            return choice;
        }
        roll -= weight;
    }
    &choices[choices.len() - 1].0
}

fn pick_powiat(rng: &mut ChaCha8Rng) -> &'static Powiat {
    let total: u32 = POWIATS.iter().map(|powiat| powiat.population_k).sum();
    let mut roll = rng.random_range(0..total);
    for powiat in POWIATS {
        if roll < powiat.population_k {
            return powiat;
        }
        roll -= powiat.population_k;
    }
    &POWIATS[0]
}

/// A location near a powiat's seat (about ±`spread`° latitude), tagged with the powiat code.
fn jittered(rng: &mut ChaCha8Rng, powiat: &Powiat, spread: f64) -> Location {
    let lat = powiat.lat + rng.random_range(-spread..spread);
    let lon = powiat.lon + rng.random_range(-spread * 1.6..spread * 1.6);
    Location { teryt: valid(TerytCode::parse(powiat.teryt)), point: valid(GeoPoint::new(lat, lon)) }
}

fn unit_code(unit: UnitKind) -> &'static str {
    match unit {
        UnitKind::Cis => "cis",
        UnitKind::Kis => "kis",
        UnitKind::Wtz => "wtz",
        UnitKind::Zaz => "zaz",
        UnitKind::Pup => "pup",
        UnitKind::SocialCooperative => "coop",
        UnitKind::Other => "ngo",
    }
}

fn stage_for(rng: &mut ChaCha8Rng, unit: UnitKind) -> Stage {
    let choices: &[(Stage, u32)] = match unit {
        UnitKind::Kis | UnitKind::Wtz => {
            &[(Stage::SocialActivation, 70), (Stage::VocationalTraining, 25), (Stage::ShelteredEmployment, 5)]
        }
        UnitKind::Cis => {
            &[(Stage::VocationalTraining, 60), (Stage::ShelteredEmployment, 25), (Stage::SupportedOpenMarket, 15)]
        }
        UnitKind::Zaz | UnitKind::SocialCooperative => {
            &[(Stage::ShelteredEmployment, 60), (Stage::SupportedOpenMarket, 35), (Stage::OpenMarket, 5)]
        }
        UnitKind::Pup | UnitKind::Other => {
            &[(Stage::VocationalTraining, 15), (Stage::SupportedOpenMarket, 45), (Stage::OpenMarket, 40)]
        }
    };
    *weighted(rng, choices)
}

fn disability_for(rng: &mut ChaCha8Rng, unit: UnitKind) -> Disability {
    let certified_share = match unit {
        UnitKind::Wtz | UnitKind::Zaz => 0.95,
        UnitKind::SocialCooperative => 0.4,
        _ => 0.2,
    };
    if !rng.random_bool(certified_share) {
        return Disability::default();
    }
    let degree = *weighted(
        rng,
        &[(DisabilityDegree::Light, 40), (DisabilityDegree::Moderate, 40), (DisabilityDegree::Severe, 20)],
    );
    let mut causes = vec![*DisabilityCause::ALL.choose(rng).unwrap_or(&DisabilityCause::Other)];
    if rng.random_bool(0.2) {
        let second = *DisabilityCause::ALL.choose(rng).unwrap_or(&DisabilityCause::Other);
        if !causes.contains(&second) {
            causes.push(second);
        }
    }
    Disability { degree, causes, working_time_exemption: rng.random_bool(0.1) }
}

/// Needs follow the person's situation, as a unit would record them: a deaf person (03-L)
/// usually needs Polish Sign Language, a person with a motor disability step-free access.
fn accommodations_for(rng: &mut ChaCha8Rng, disability: &Disability) -> (AccommodationSet, AccommodationSet) {
    let mut required = AccommodationSet::empty();
    let mut preferred = AccommodationSet::empty();
    for cause in &disability.causes {
        let need = match cause {
            DisabilityCause::HearingSpeech => Some(Accommodation::PolishSignLanguage),
            DisabilityCause::Motor => Some(Accommodation::StepFreeAccess),
            DisabilityCause::Sight => Some(Accommodation::AssistiveTechnology),
            DisabilityCause::Intellectual | DisabilityCause::Developmental => Some(Accommodation::EasyReadInstructions),
            DisabilityCause::Mental => Some(Accommodation::QuietWorkspace),
            _ => None,
        };
        if let Some(need) = need {
            if rng.random_bool(0.6) {
                required |= need;
            } else {
                preferred |= need;
            }
        }
    }
    for (accommodation, probability) in [
        (Accommodation::ExtraBreaks, 0.15),
        (Accommodation::FlexibleHours, 0.15),
        (Accommodation::AccessibleTransport, 0.05),
    ] {
        if rng.random_bool(probability) && !required.contains(accommodation) {
            preferred |= accommodation;
        }
    }
    (required, preferred - required)
}

/// Work history drawn the same way for everyone, whatever their stage or certificate: half
/// the people worked in an occupation of their first skill's group (0.5 to 10 years), 60%
/// name one they want (their group's, or another group's one time in four).
fn history_for(rng: &mut ChaCha8Rng, skills: &[SkillClaim]) -> (Vec<PastOccupation>, Vec<String>) {
    let own = skills
        .first()
        .and_then(|claim| SKILL_GROUPS.iter().find(|group| group.skills.contains(&claim.skill.as_str())))
        .unwrap_or(&SKILL_GROUPS[0]);
    let mut past = Vec::new();
    if rng.random_bool(0.5) {
        let code = own.occupations.choose(rng).unwrap_or(&own.occupations[0]);
        past.push(PastOccupation { code: (*code).to_owned(), years: f32::from(rng.random_range(1u8..=20)) / 2.0 });
    }
    let mut wanted = Vec::new();
    if rng.random_bool(0.6) {
        let group = if rng.random_bool(0.75) { own } else { SKILL_GROUPS.choose(rng).unwrap_or(own) };
        wanted.push((*group.occupations.choose(rng).unwrap_or(&group.occupations[0])).to_owned());
    }
    (past, wanted)
}

fn skills_for(rng: &mut ChaCha8Rng) -> Vec<SkillClaim> {
    let count = rng.random_range(1..=5);
    let home_group = SKILL_GROUPS.choose(rng).unwrap_or(&SKILL_GROUPS[0]);
    let mut claims: Vec<SkillClaim> = Vec::with_capacity(count);
    for _ in 0..count {
        let group = if rng.random_bool(0.65) { home_group } else { SKILL_GROUPS.choose(rng).unwrap_or(home_group) };
        let skill = skill_id(group.skills.choose(rng).unwrap_or(&group.skills[0]));
        if claims.iter().any(|claim| claim.skill == skill) {
            continue;
        }
        let level = rng.random_bool(0.7).then(|| valid(SkillLevel::new(rng.random_range(1..=3))));
        claims.push(SkillClaim { skill, level });
    }
    claims
}

fn contract_preferences(rng: &mut ChaCha8Rng) -> ContractSet {
    let mut preferred = ContractSet::empty();
    if rng.random_bool(0.5) {
        preferred |= ContractType::EmploymentContract;
    }
    if rng.random_bool(0.2) {
        preferred |= *[ContractType::SocialEmployment, ContractType::SupportedEmployment, ContractType::Internship]
            .choose(rng)
            .unwrap_or(&ContractType::SupportedEmployment);
    }
    preferred
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn deterministic_and_valid() {
        let synth = Synth::new(7, date!(2026 - 11 - 24));
        let first: Vec<Participant> = synth.participants(20_000).collect();
        let again: Vec<Participant> = synth.participants(20_000).collect();
        assert_eq!(first, again);
        assert_eq!(synth.participant(123), first[123]);
        for participant in first {
            participant.validated().unwrap();
        }
        for coach in synth.coaches(200) {
            coach.validated().unwrap();
        }
        for offer in synth.offers(500) {
            offer.validated().unwrap();
        }
        synth.regional_offer().validated().unwrap();
        synth.remote_offer().validated().unwrap();
    }

    #[test]
    fn different_seeds_differ() {
        let today = date!(2026 - 11 - 24);
        assert_ne!(Synth::new(1, today).participant(0), Synth::new(2, today).participant(0));
    }

    #[test]
    fn distributions_are_plausible() {
        let synth = Synth::new(11, date!(2026 - 11 - 24));
        let people: Vec<Participant> = synth.participants(5000).collect();
        let certified = people.iter().filter(|person| person.has_certificate()).count();
        let consenting = people.iter().filter(|person| person.consent_to_matching).count();
        let in_warsaw = people.iter().filter(|person| person.home.teryt.to_string() == "1465").count();
        assert!((800..2500).contains(&certified), "{certified}");
        assert!(consenting > 4600, "{consenting}");
        assert!((400..1100).contains(&in_warsaw), "{in_warsaw}");
    }
}
