//! Criterion benchmarks of the scan on data shaped unlike the synthetic world's: people
//! with more skills than a record holds (nine; twelve of their own trades; thirty across
//! trades) and with four occupation claims, 1,000,000 of them, a regional (Kraków) and a
//! national (remote) top-50 each. Real registers hold such people; the generated world
//! holds few. Then the generated world's people asked by offers unlike the synthetic
//! ones: twelve skill requirements, or none. Run with `cargo bench --bench shapes`;
//! `POMOST_BENCH_PARTICIPANTS` sets the pool's size.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use pomost_domain::{Offer, Participant, PastOccupation, SkillClaim, SkillLevel, SkillRequirement};
use pomost_scoring::{ParticipantPool, ScoringPolicy, ShortlistRequest};
use pomost_synth::{SKILL_GROUPS, Synth, skill_id};
use time::macros::date;

/// The allocator the server runs with (see `benches/scoring.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn participants_wanted() -> usize {
    std::env::var("POMOST_BENCH_PARTICIPANTS").ok().and_then(|text| text.parse().ok()).unwrap_or(1_000_000)
}

/// Adds skills to `person` from `from` (starting at `start`, every `step`-th) until they
/// hold `count`.
fn add_skills(person: &mut Participant, from: &[&str], start: usize, step: usize, count: usize) {
    let mut next = start;
    while person.skills.len() < count && next < start + step * from.len() * 2 {
        let skill = skill_id(from[next % from.len()]);
        if !person.skills.iter().any(|claim| claim.skill == skill) {
            person.skills.push(SkillClaim { skill, level: None });
        }
        next += step;
    }
}

/// What a shape draws from: every skill of the synthetic trades, and the occupation codes
/// the generated people want.
struct Drawn<'a> {
    skills: &'a [&'a str],
    codes: &'a [String],
}

type Shape = fn(usize, &mut Participant, &Drawn);

/// What an offer shape does to the synthetic offer.
type OfferShape = fn(Offer) -> Offer;

fn shapes(criterion: &mut Criterion) {
    let today = date!(2026 - 11 - 24);
    let synth = Synth::new(7, today);
    let relatedness = pomost_synth::relatedness();
    let generated: Vec<Participant> = synth.participants(participants_wanted()).collect();
    let coaches: Vec<_> = synth.coaches(5_000).collect();
    let mut codes: Vec<String> = generated.iter().flat_map(|person| person.wanted_occupations.clone()).collect();
    codes.sort();
    codes.dedup();
    let all_skills: Vec<&str> = SKILL_GROUPS.iter().flat_map(|group| group.skills.iter().copied()).collect();
    let policy = ScoringPolicy::default();
    let (regional, remote) = (synth.regional_offer(), synth.remote_offer());
    let shapes: [(&str, Shape); 4] = [
        ("nine_skills", |index, person, drawn| add_skills(person, drawn.skills, index * 31, 17, 9)),
        ("twelve_skills_of_their_trades", |index, person, _| {
            let first = person.skills.first().map(|claim| claim.skill.clone());
            let own = SKILL_GROUPS
                .iter()
                .find(|group| group.skills.iter().any(|skill| Some(skill_id(skill)) == first))
                .unwrap_or(&SKILL_GROUPS[0]);
            add_skills(person, own.skills, index, 1, 8);
            add_skills(person, SKILL_GROUPS[index % SKILL_GROUPS.len()].skills, index, 1, 12);
        }),
        ("thirty_skills", |index, person, drawn| add_skills(person, drawn.skills, index, 13, 30)),
        ("four_occupations", |index, person, drawn| {
            let code = |step: usize| drawn.codes[(index * step + step) % drawn.codes.len()].clone();
            person.wanted_occupations = vec![code(1), code(7)];
            person.wanted_occupations.dedup();
            person.past_occupations = [(code(13), 2.0), (code(17), 0.5)]
                .into_iter()
                .filter(|(code, _)| !person.wanted_occupations.contains(code))
                .map(|(code, years)| PastOccupation { code, years })
                .collect();
            person.past_occupations.dedup_by(|a, b| a.code == b.code);
        }),
    ];
    let drawn = Drawn { skills: &all_skills, codes: &codes };
    let mut group = criterion.benchmark_group("shapes_1m");
    group.sample_size(20);
    for (name, shape) in shapes {
        let mut people = generated.clone();
        for (index, person) in people.iter_mut().enumerate() {
            shape(index, person, &drawn);
        }
        let pool = ParticipantPool::build(&relatedness, people, coaches.clone()).expect("valid data");
        for (kind, offer) in [("regional", &regional), ("national", &remote)] {
            group.bench_function(format!("{name}/{kind}_k50"), |bencher| {
                let request = ShortlistRequest { offer, k: 50, today };
                bencher.iter(|| black_box(pool.shortlist(&policy, &request).expect("valid offer")));
            });
        }
    }
    group.finish();
}

/// The generated world's people asked by offers unlike the synthetic ones: twelve skill
/// requirements from three trades (some with a minimum level), and none at all (skills
/// then decide nothing, so many people tie).
fn offer_shapes(criterion: &mut Criterion) {
    let today = date!(2026 - 11 - 24);
    let synth = Synth::new(7, today);
    let relatedness = pomost_synth::relatedness();
    let people: Vec<Participant> = synth.participants(participants_wanted()).collect();
    let coaches: Vec<_> = synth.coaches(5_000).collect();
    let pool = ParticipantPool::build(&relatedness, people, coaches).expect("valid data");
    let policy = ScoringPolicy::default();
    let twelve = |mut offer: Offer| {
        let skills = SKILL_GROUPS.iter().take(3).flat_map(|group| group.skills.iter().take(4));
        let requirements: Vec<SkillRequirement> = skills
            .enumerate()
            .map(|(index, code)| SkillRequirement {
                skill: skill_id(code),
                min_level: (index % 3 == 0).then(|| SkillLevel::new(2).expect("a valid level")),
                weight: 1.0 + (index % 2) as f32,
            })
            .collect();
        offer.required_skills = requirements[..4].to_vec();
        offer.nice_to_have_skills = requirements[4..].to_vec();
        offer
    };
    let none = |mut offer: Offer| {
        offer.required_skills.clear();
        offer.nice_to_have_skills.clear();
        offer
    };
    let shapes: [(&str, OfferShape); 2] = [("twelve_requirements", twelve), ("no_skills", none)];
    let mut group = criterion.benchmark_group("offer_shapes_1m");
    group.sample_size(20);
    for (name, shape) in shapes {
        for (kind, offer) in [("regional", synth.regional_offer()), ("national", synth.remote_offer())] {
            let offer = shape(offer);
            group.bench_function(format!("{name}/{kind}_k50"), |bencher| {
                let request = ShortlistRequest { offer: &offer, k: 50, today };
                bencher.iter(|| black_box(pool.shortlist(&policy, &request).expect("valid offer")));
            });
        }
    }
    group.finish();
}

criterion_group!(benches, shapes, offer_shapes);
criterion_main!(benches);
