//! Tests of `pool.rs`, in their own file so the module they test and the fixtures
//! they use never import each other.

use pomost_domain::{ParticipantId, SkillClaim};

use crate::fixtures::{TODAY, coach, krakow, offer, person, pool, skill};
use crate::policy::ScoringPolicy;
use crate::reasons::ExclusionReason;
use crate::shortlist::ShortlistRequest;

fn shortlist_ids(pool: &super::ParticipantPool) -> Vec<String> {
    pool.shortlist(&ScoringPolicy::default(), &ShortlistRequest { offer: &offer(), k: 10, today: TODAY })
        .unwrap()
        .candidates
        .into_iter()
        .map(|candidate| candidate.participant_id.to_string())
        .collect()
}

#[test]
fn upsert_replaces_and_remove_erases() {
    let mut pool = pool(vec![person("a"), person("b"), person("c")], vec![]);
    assert_eq!(pool.len(), 3);
    let mut moved = person("b");
    moved.home = krakow(50.0);
    pool.upsert_participant(&moved).unwrap();
    assert_eq!(pool.len(), 3);
    assert_eq!(shortlist_ids(&pool), ["a", "c"]);
    assert!(pool.remove_participant(&ParticipantId::new("a").unwrap()));
    assert!(!pool.remove_participant(&ParticipantId::new("a").unwrap()));
    assert_eq!(shortlist_ids(&pool), ["c"]);
    assert!(!pool.contains(&ParticipantId::new("a").unwrap()));
    pool.upsert_participant(&person("d")).unwrap();
    assert_eq!(shortlist_ids(&pool), ["c", "d"]);
    assert_eq!(pool.len(), 3);
}

#[test]
fn invalid_participant_leaves_the_pool_unchanged() {
    let mut pool = pool(vec![person("a")], vec![]);
    let mut broken = person("a");
    broken.max_commute_km = 1000.0;
    let error = pool.upsert_participant(&broken).unwrap_err();
    assert_eq!(error.to_string(), "participant.max_commute_km: 1000 is over 300");
    assert_eq!(shortlist_ids(&pool), ["a"]);
}

#[test]
fn many_skills_overflow_and_still_score() {
    let mut skilled = person("a");
    skilled.skills = (0..12).map(|index| SkillClaim { skill: skill(&format!("s{index}")), level: None }).collect();
    skilled.skills.push(SkillClaim { skill: skill("cleaning"), level: None });
    let mut pool = pool(vec![skilled], vec![]);
    let explanation =
        pool.explain(&ScoringPolicy::default(), &ParticipantId::new("a").unwrap(), &offer(), TODAY).unwrap();
    assert_eq!(explanation.factors[0].value, 1.0);
    pool.upsert_participant(&person("a")).unwrap();
    assert!(pool.overflow.is_empty(), "replacing drops the overflow entry");
}

#[test]
fn coach_capacity_changes_in_place() {
    let mut supported = person("a");
    supported.coach_hours_per_week = 6.0;
    let mut pool = pool(vec![supported], vec![coach("c-1")]);
    assert_eq!(shortlist_ids(&pool), ["a"]);
    let id = pomost_domain::CoachId::new("c-1").unwrap();
    pool.set_coach_committed_hours(&id, 18.0).unwrap();
    let list =
        pool.shortlist(&ScoringPolicy::default(), &ShortlistRequest { offer: &offer(), k: 10, today: TODAY }).unwrap();
    assert_eq!(list.excluded[ExclusionReason::NoJobCoach], 1);
    assert!(pool.set_coach_committed_hours(&id, 25.0).is_err(), "over capacity");
    pool.set_coach_committed_hours(&id, 0.0).unwrap();
    assert_eq!(shortlist_ids(&pool), ["a"]);
    assert!(pool.remove_coach(&id));
    assert!(shortlist_ids(&pool).is_empty());
}

#[test]
fn widest_commute_follows_inserts_and_removals() {
    let mut long = person("long");
    long.max_commute_km = 80.5;
    let mut pool = pool(vec![person("a"), long], vec![]);
    assert_eq!(pool.widest_commute_km(), 81.0);
    pool.remove_participant(&ParticipantId::new("long").unwrap());
    assert_eq!(pool.widest_commute_km(), 20.0);
}

#[test]
fn stats_count_bytes() {
    let pool = pool((0..100).map(|index| person(&format!("p{index}"))).collect(), vec![coach("c")]);
    let stats = pool.stats();
    assert_eq!((stats.participants, stats.coaches), (100, 1));
    assert!(stats.bytes_excluding_strings >= 100 * size_of::<crate::record::ParticipantRecord>());
}

#[test]
fn laying_records_out_again_keeps_every_list() {
    // A pool built in bulk is laid out; people added after it move their buckets to the end.
    let mut pool = pool((0..40).map(|index| person(&format!("p-{index:02}"))).collect(), vec![]);
    assert!(!pool.scan_layout_stale());
    for index in 40..60 {
        let mut later = person(&format!("p-{index:02}"));
        later.home = krakow(f64::from(index % 7));
        pool.upsert_participant(&later).unwrap();
    }
    assert!(pool.scan_layout_stale(), "the Kraków bucket outgrew its place");
    let before = shortlist_ids(&pool);
    let explained = pool.explain(&ScoringPolicy::default(), &ParticipantId::new("p-45").unwrap(), &offer(), TODAY);
    let mut stale = pool.scan_layout();
    pool.upsert_participant(&person("p-60")).unwrap();
    assert!(!pool.install_scan_layout(&mut stale), "made before a change");
    assert!(pool.remove_participant(&ParticipantId::new("p-60").unwrap()));
    let mut layout = pool.scan_layout();
    assert!(pool.install_scan_layout(&mut layout));
    assert!(!pool.scan_layout_stale());
    assert_eq!(shortlist_ids(&pool), before);
    let again = pool.explain(&ScoringPolicy::default(), &ParticipantId::new("p-45").unwrap(), &offer(), TODAY);
    assert_eq!(again, explained);
    assert_eq!(pool.len(), 60);
}

/// Whether every bucket is ordered by registration, each block's bound exact.
fn ordered_by_registration(pool: &super::ParticipantPool) -> bool {
    (0..pool.records.bucket_count()).all(|bucket| {
        let records = pool.records.bucket(bucket);
        let least: Vec<i32> = records
            .chunks(crate::arena::BLOCK)
            .map(|block| block.iter().map(|record| record.registered_day).min().unwrap())
            .collect();
        records.is_sorted_by_key(|record| record.registered_day) && pool.records.block_least(bucket) == least
    })
}

#[test]
fn people_added_out_of_registration_order_are_ordered_again_by_the_next_layout() {
    // Built in bulk: ordered. Then people registered ever earlier join the same buckets,
    // each behind someone registered later, and one of the first changes.
    let mut pool = pool((0..90).map(|index| person(&format!("p-{index:03}"))).collect(), vec![]);
    assert!(ordered_by_registration(&pool) && !pool.scan_layout_stale());
    for index in 90..120 {
        let mut earlier = person(&format!("p-{index:03}"));
        earlier.registered_since = TODAY - time::Duration::days(400 + 10 * index);
        earlier.home = krakow((index % 2) as f64);
        pool.upsert_participant(&earlier).unwrap();
    }
    let mut changed = person("p-007");
    changed.registered_since = TODAY - time::Duration::days(3000);
    pool.upsert_participant(&changed).unwrap();
    assert!(!ordered_by_registration(&pool));
    assert!(pool.scan_layout_stale(), "a third of the people are out of order");
    let policy = ScoringPolicy::default();
    let explain_all = |pool: &super::ParticipantPool| -> Vec<_> {
        (0..120)
            .map(|index| pool.explain(&policy, &ParticipantId::new(format!("p-{index:03}")).unwrap(), &offer(), TODAY))
            .collect()
    };
    let (before, list) = (explain_all(&pool), shortlist_ids(&pool));
    let mut layout = pool.scan_layout();
    assert!(pool.install_scan_layout(&mut layout));
    assert!(ordered_by_registration(&pool) && !pool.scan_layout_stale());
    // Every record is found where the layout put it.
    assert_eq!(explain_all(&pool), before);
    assert_eq!(shortlist_ids(&pool), list);
}

#[test]
fn ids_are_indexed_in_the_order_of_their_buckets_high_bits() {
    let hashed: Vec<(u64, u32)> =
        (0..50_000u32).map(|slot| (u64::from(slot).wrapping_mul(0x9e37_79b9_7f4a_7c15), slot)).collect();
    for mask in [(1u64 << 21) - 1, (1 << 16) - 1, 7, 0] {
        let ordered = super::in_bucket_order(&hashed, mask);
        let mut slots: Vec<u32> = ordered.iter().map(|&(_, slot)| slot).collect();
        slots.sort_unstable();
        assert_eq!(slots, (0..50_000).collect::<Vec<_>>(), "every id once");
        let shift = (64 - mask.leading_zeros()).saturating_sub(16);
        assert!(ordered.windows(2).all(|pair| (pair[0].0 & mask) >> shift <= (pair[1].0 & mask) >> shift));
        assert!(ordered.iter().all(|&(hash, slot)| hashed[slot as usize].0 == hash), "hashes stay with their slots");
    }
}

/// Person `n` with `fillers` unrelated skills around the offer's (at a position that moves
/// with `n`, its level too) and `claims` occupation claims, the offer's own code among
/// them at a moving position when `matching`.
fn claimant(n: usize, fillers: usize, claims: usize, matching: bool) -> pomost_domain::Participant {
    let mut person = person(&format!("p{n}"));
    let level = pomost_domain::SkillLevel::new(1 + (n % 3) as u8).ok();
    let mut skills: Vec<SkillClaim> =
        (0..fillers).map(|index| SkillClaim { skill: skill(&format!("s{}", (n + index) % 40)), level: None }).collect();
    skills.insert(n % (fillers + 1), SkillClaim { skill: skill("cleaning"), level });
    person.skills = skills;
    let others = ["921401", "611303", "911290", "912103", "932914"];
    let mut codes: Vec<&str> = others.iter().cycle().skip(n % others.len()).take(claims).copied().collect();
    if matching && claims > 0 {
        codes[n % claims] = "911207";
    }
    for (index, code) in codes.into_iter().enumerate() {
        if index % 2 == 0 {
            person.wanted_occupations.push(code.into());
        } else {
            person.past_occupations.push(pomost_domain::PastOccupation { code: code.into(), years: 2.0 });
        }
    }
    person
}

fn factors_of(pool: &super::ParticipantPool, id: &ParticipantId) -> Vec<crate::factors::FactorScore> {
    pool.explain(&ScoringPolicy::default(), id, &offer(), TODAY).unwrap().factors
}

/// Skills and occupations past what a record holds live in tables beside the records; after
/// many replacements and removals (the tables compact themselves) everyone still scores as
/// in a pool built afresh, and as with only the skill and claim that count.
#[test]
fn skills_and_occupations_past_the_record_survive_changes_and_count_in_full() {
    let mut changed = pool((0..1_200).map(|n| claimant(n, 8 + n % 12, 3 + n % 3, n % 2 == 0)).collect(), vec![]);
    let mut people: Vec<pomost_domain::Participant> = Vec::new();
    // Two rounds of changes leave more stale items than live ones: the tables compact
    // (the items move, and the records must learn where theirs went).
    let (mut compactions, mut claims_compactions) = (0, 0);
    for round in 0..2 {
        people.clear();
        for n in 0..1_200 {
            let id = ParticipantId::new(format!("p{n}")).unwrap();
            let items_before = (changed.overflow.items_len(), changed.occupations.items_len());
            match (n + round) % 5 {
                0 => {
                    changed.remove_participant(&id);
                }
                1 => {
                    // Back to what fits the record.
                    let person = claimant(n, 2, 2, true);
                    changed.upsert_participant(&person).unwrap();
                    people.push(person);
                }
                _ => {
                    let person = claimant(n, 9 + (n * 7 + round) % 30, 3 + (n * 3) % 4, n % 3 != 0);
                    changed.upsert_participant(&person).unwrap();
                    people.push(person);
                }
            }
            compactions += usize::from(changed.overflow.items_len() < items_before.0);
            claims_compactions += usize::from(changed.occupations.items_len() < items_before.1);
        }
        scores_as_built_afresh(&changed, &people);
    }
    assert!(compactions > 0, "the changes compacted the skills table");
    assert!(claims_compactions > 0, "the changes compacted the claims table");
    // A layout made before a change is not installed; one made after is, with the extras
    // laid out in the records' order.
    let mut stale = changed.scan_layout();
    let last = claimant(1_199, 20, 5, true);
    changed.upsert_participant(&last).unwrap();
    *people.last_mut().unwrap() = last;
    assert!(!changed.install_scan_layout(&mut stale));
    scores_as_built_afresh(&changed, &people);
    let mut layout = changed.scan_layout();
    assert!(changed.install_scan_layout(&mut layout));
    scores_as_built_afresh(&changed, &people);
    assert!(changed.overflow.items_len() < 2 * changed.overflow.live_len() + 4_096, "stale items are dropped");
}

/// Everyone in `changed` scores as in a pool built afresh from `people`, and as with only
/// the skill and the claim that count.
fn scores_as_built_afresh(changed: &super::ParticipantPool, people: &[pomost_domain::Participant]) {
    let fresh = pool(people.to_vec(), vec![]);
    for (index, person) in people.iter().enumerate() {
        let factors = factors_of(changed, &person.id);
        assert_eq!(factors, factors_of(&fresh, &person.id), "{}", person.id);
        if person.skills.len() <= 8 || index % 7 != 0 {
            continue;
        }
        // Only the offer's skill earns skill credit: the same person with just that one.
        let mut plain = person.clone();
        plain.skills.retain(|claim| claim.skill == skill("cleaning"));
        assert_eq!(factors[0].value, factors_of(&pool(vec![plain], vec![]), &person.id)[0].value, "{}", person.id);
        // The occupation factor is the best of the claims, each alone (held in the record).
        let alone = |wanted: Vec<String>, past: Vec<pomost_domain::PastOccupation>| {
            let mut single = person.clone();
            (single.wanted_occupations, single.past_occupations) = (wanted, past);
            factors_of(&pool(vec![single], vec![]), &person.id)[1].value
        };
        let best = person
            .wanted_occupations
            .iter()
            .map(|code| alone(vec![code.clone()], Vec::new()))
            .chain(person.past_occupations.iter().map(|past| alone(Vec::new(), vec![past.clone()])))
            .fold(0.0f32, f32::max);
        assert_eq!(factors[1].value, best, "occupation of {}", person.id);
    }
}
