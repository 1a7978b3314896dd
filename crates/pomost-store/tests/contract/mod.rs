//! What every store backend must do, written once and run by each backend's tests (the
//! embedded SQLite store in tests/sqlite.rs, PostgreSQL in tests/postgres.rs). Each test
//! gets `open`, which opens the same storage again each time it is called.

#![allow(clippy::unwrap_used, dead_code)]

use pomost_domain::{OfferKey, Participant, ParticipantId};
use pomost_store::{
    AuditAction, AuditEntry, AuditQuery, AuditResult, Caller, ChangeKey, ChangeOp, Stamp, Store, StoreError,
    WriteOutcome,
};
use pomost_synth::Synth;
use time::macros::date;

/// Opens the same storage each time it is called.
pub type Open<'a> = &'a dyn Fn() -> Box<dyn Store>;

/// A contract test.
pub type ContractTest = fn(Open);

/// An audit entry of `k` results, numbered by `index`.
pub fn audit_entry(index: usize, at_ms: i64, k: usize) -> AuditEntry {
    AuditEntry {
        request_id: uuid_like(index),
        at_ms,
        caller: Caller { name: "pup-krakow".into(), role: "labour_office".into() },
        action: AuditAction::Shortlist,
        offer: Some(OfferKey { source: "board".into(), external_id: format!("o-{}", index % 7) }),
        participant: None,
        request: serde_json::json!({
            "offer_key": { "source": "board", "external_id": format!("o-{}", index % 7) },
            "k": k,
            "as_of": "2026-11-30"
        }),
        results: (0..k)
            .map(|rank| AuditResult {
                id: format!("p-2a-{:07}", (index * 7_919 + rank * 104_729) % 5_000),
                score: 0.93 - rank as f32 * 0.0011 - (index % 13) as f32 * 0.0001,
            })
            .collect(),
        policy_version: "2026-11.1".into(),
        vocabulary_version: "kzis2023-test".into(),
    }
}

/// A request id like the service's, from `index`.
pub fn uuid_like(index: usize) -> String {
    format!("0193a1b2-c3d4-7e5f-8a9b-{index:012x}")
}

pub fn synth() -> Synth {
    Synth::new(3, date!(2026 - 11 - 24))
}

pub fn stamp(at_ms: i64) -> Stamp {
    Stamp { caller: "test".into(), role: "unit".into(), at_ms, today: date!(2026 - 11 - 24) }
}

pub fn written(outcome: WriteOutcome) -> u64 {
    match outcome {
        WriteOutcome::Written { seq } => seq,
        other => panic!("expected a write, got {other:?}"),
    }
}

/// See the test of the same name in each backend's tests.
pub fn entities_round_trip_and_survive_reopening(open: Open) {
    let participant = synth().participant(1);
    let coach = synth().coach(1);
    let offer = synth().offer(1);
    {
        let store = open();
        assert_eq!(written(store.upsert_participant(&participant).unwrap()), 1);
        assert_eq!(written(store.upsert_coach(&coach).unwrap()), 2);
        assert_eq!(written(store.upsert_offer(&offer).unwrap()), 3);
    }
    let store = open();
    assert_eq!(store.participant(&participant.id).unwrap(), Some(participant.clone()));
    assert_eq!(store.coach(&coach.id).unwrap(), Some(coach.clone()));
    assert_eq!(store.coaches().unwrap(), vec![coach]);
    assert_eq!(store.offer(&offer.key).unwrap(), Some(offer));
    assert_eq!(store.last_seq().unwrap(), 3);
    assert_eq!(store.participant_count().unwrap(), 1);
    let mut seen = Vec::new();
    store
        .for_each_participant(&mut |participant| {
            seen.push(participant);
            Ok(())
        })
        .unwrap();
    assert_eq!(seen, vec![participant.clone()]);
    assert_eq!(store.participant(&ParticipantId::new("nobody").unwrap()).unwrap(), None);
    // Read many at once, in order, a missing one as None.
    let nobody = ParticipantId::new("nobody").unwrap();
    assert_eq!(
        store.participants_by_id(&[nobody.clone(), participant.id.clone(), nobody]).unwrap(),
        vec![None, Some(participant.clone()), None]
    );
    let missing = OfferKey { source: "board".into(), external_id: "gone".into() };
    let offer = synth().offer(1);
    assert_eq!(store.offers_by_key(&[offer.key.clone(), missing]).unwrap(), vec![Some(offer), None]);
}

/// See the test of the same name in each backend's tests.
pub fn upserts_are_idempotent_and_offers_versioned(open: Open) {
    let store = open();
    let participant = synth().participant(2);
    assert_eq!(written(store.upsert_participant(&participant).unwrap()), 1);
    assert_eq!(store.upsert_participant(&participant).unwrap(), WriteOutcome::Unchanged);
    let mut moved = participant.clone();
    moved.max_commute_km = 3.0;
    assert_eq!(written(store.upsert_participant(&moved).unwrap()), 2);

    let mut offer = synth().offer(2);
    offer.version = 5;
    assert_eq!(written(store.upsert_offer(&offer).unwrap()), 3);
    assert_eq!(store.upsert_offer(&offer).unwrap(), WriteOutcome::Stale { stored_version: 5 });
    let mut older = offer.clone();
    older.version = 4;
    older.title = "Stara wersja".into();
    assert_eq!(store.upsert_offer(&older).unwrap(), WriteOutcome::Stale { stored_version: 5 });
    let mut newer = offer.clone();
    newer.version = 6;
    newer.positions = 9;
    assert_eq!(written(store.upsert_offer(&newer).unwrap()), 4);
    assert_eq!(store.offer(&offer.key).unwrap().unwrap().positions, 9);
    assert_eq!(store.last_seq().unwrap(), 4);
}

/// See the test of the same name in each backend's tests.
pub fn invalid_records_and_failed_batches_write_nothing(open: Open) {
    let store = open();
    let mut broken = synth().participant(3);
    broken.available_hours_per_week = 0.0;
    let error = store.upsert_participant(&broken).unwrap_err();
    assert_eq!(error.to_string(), "participant.available_hours_per_week: must be more than 0");
    let mut batch: Vec<Participant> = synth().participants(10).collect();
    batch.push(broken);
    assert!(store.upsert_participants(&batch).is_err());
    assert_eq!(store.last_seq().unwrap(), 0);
    assert_eq!(store.participant_count().unwrap(), 0);
    assert_eq!(store.participant(&batch[0].id).unwrap(), None);
    let good = store.upsert_participants(&batch[..10]).unwrap();
    assert_eq!(good.iter().map(|outcome| written(*outcome)).collect::<Vec<_>>(), (1..=10).collect::<Vec<_>>());
}

/// See the test of the same name in each backend's tests.
pub fn change_feed_returns_exactly_the_later_changes_in_order(open: Open) {
    let store = open();
    let people: Vec<Participant> = synth().participants(5).collect();
    store.upsert_participants(&people).unwrap();
    let offer = synth().offer(9);
    store.upsert_offer(&offer).unwrap();
    store.delete_participant(&people[1].id, &stamp(0)).unwrap();
    store.delete_offer(&offer.key).unwrap();
    let all = store.changes_after(0, 100).unwrap();
    assert_eq!(all.iter().map(|change| change.seq).collect::<Vec<_>>(), (1..=8).collect::<Vec<_>>());
    assert_eq!(all[5].key, ChangeKey::Offer(offer.key.clone()));
    assert_eq!((all[6].op, &all[6].key), (ChangeOp::Delete, &ChangeKey::Participant(people[1].id.clone())));
    assert_eq!(all[7].op, ChangeOp::Delete);
    let later = store.changes_after(5, 2).unwrap();
    assert_eq!(later.iter().map(|change| change.seq).collect::<Vec<_>>(), vec![6, 7]);
    assert!(store.changes_after(8, 10).unwrap().is_empty());
    assert_eq!(store.delete_offer(&offer.key).unwrap(), None, "deleting twice is a no-op");
}

/// See the test of the same name in each backend's tests.
pub fn audit_lists_by_time_caller_and_offer(open: Open) {
    let store = open();
    let offer_a = OfferKey { source: "board".into(), external_id: "a".into() };
    let offer_b = OfferKey { source: "board".into(), external_id: "b".into() };
    for (index, (caller, offer)) in
        [("pup-krakow", &offer_a), ("pup-kielce", &offer_a), ("pup-krakow", &offer_b)].into_iter().enumerate()
    {
        store
            .append_audit(&AuditEntry {
                request_id: format!("r-{index}"),
                at_ms: 1_000 * (index as i64 + 1),
                caller: Caller { name: caller.into(), role: "labour_office".into() },
                action: AuditAction::Shortlist,
                offer: Some(offer.clone()),
                participant: None,
                request: serde_json::json!({"k": 5}),
                results: vec![AuditResult { id: "p-1".into(), score: 0.5 }],
                policy_version: "2026-11.1".into(),
                vocabulary_version: String::new(),
            })
            .unwrap();
    }
    let ids = |query: AuditQuery| -> Vec<String> {
        store
            .list_audit(&AuditQuery { limit: 100, ..query })
            .unwrap()
            .into_iter()
            .map(|(_, entry)| entry.request_id)
            .collect()
    };
    assert_eq!(ids(AuditQuery::default()), ["r-0", "r-1", "r-2"]);
    assert_eq!(ids(AuditQuery { caller: Some("pup-krakow".into()), ..Default::default() }), ["r-0", "r-2"]);
    assert_eq!(ids(AuditQuery { offer: Some(offer_a), ..Default::default() }), ["r-0", "r-1"]);
    assert_eq!(ids(AuditQuery { from_ms: Some(2_000), until_ms: Some(3_000), ..Default::default() }), ["r-1"]);
    assert_eq!(ids(AuditQuery { after_entry: Some(2), ..Default::default() }), ["r-2"]);
    let first = store.list_audit(&AuditQuery { limit: 1, ..Default::default() }).unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].1.results, vec![AuditResult { id: "p-1".into(), score: 0.5 }]);
}

/// See the test of the same name in each backend's tests.
pub fn referrals_hold_coach_hours_expire_when_stale_and_follow_the_feed(open: Open) {
    use pomost_domain::{CoachId, ReferralState, Transition};
    use pomost_store::{NewReferral, ReferralMove, ReferralQuery};
    let store = open();
    let mut person = synth().participant(1);
    person.coach_hours_per_week = 6.0;
    let mut coach = synth().coach(1);
    coach.weekly_capacity_hours = 10.0;
    coach.committed_hours = 2.0;
    let mut offer = synth().offer(1);
    offer.valid_from = date!(2026 - 11 - 01);
    offer.valid_until = date!(2026 - 12 - 31);
    offer.positions = 1;
    store.upsert_participant(&person).unwrap();
    store.upsert_coach(&coach).unwrap();
    store.upsert_offer(&offer).unwrap();
    let new = NewReferral {
        participant: person.id.clone(),
        offer: offer.key.clone(),
        coach: Some(coach.id.clone()),
        idempotency_key: None,
    };
    let made = store.create_referral(&new, &stamp(1_000)).unwrap();
    assert!(made.referral.reserved && made.referral.group.is_some());
    assert!(person.gender.is_some(), "the synthetic person has a recorded gender");
    assert_eq!(made.referral.group.as_ref().and_then(|group| group.gender), person.gender, "kept with the referral");
    let change = store.changes_after(made.seq - 1, 10).unwrap();
    assert_eq!(change[0].key, ChangeKey::Referral(made.referral.id.clone()));
    // 2 committed + 6 reserved of 10: another 6-hour person does not fit.
    let mut other = synth().participant(2);
    other.coach_hours_per_week = 6.0;
    store.upsert_participant(&other).unwrap();
    let refused = store.create_referral(&NewReferral { participant: other.id.clone(), ..new.clone() }, &stamp(2_000));
    assert!(matches!(refused, Err(StoreError::Precondition(message)) if message.contains("2.0 h/week free")));
    assert!(matches!(
        store.create_referral(
            &NewReferral { participant: other.id.clone(), coach: Some(CoachId::new("nobody").unwrap()), ..new.clone() },
            &stamp(2_000)
        ),
        Err(StoreError::NotFound(_))
    ));

    let stale = store.sweep_referrals(1_500, &stamp(3_000)).unwrap();
    assert_eq!(stale.len(), 1, "untouched since 1,000: expired");
    let expired = store.referral(&made.referral.id).unwrap().unwrap();
    assert_eq!(expired.state, ReferralState::Expired);
    assert!(!expired.reserved);
    assert_eq!(expired.history.len(), 2);
    assert!(
        store.create_referral(&NewReferral { participant: other.id.clone(), ..new.clone() }, &stamp(4_000)).is_ok()
    );
    let sent = Transition { to: ReferralState::SentToEmployer, declined_by: None, reason: String::new() };
    let step = ReferralMove {
        id: made.referral.id.clone(),
        transition: sent,
        start_date: None,
        idempotency_key: None,
        default_adaptation_weeks: 12,
    };
    assert!(
        matches!(store.transition_referral(&step, &stamp(5_000)), Err(StoreError::Precondition(message)) if message.contains("is expired"))
    );
    let open_ones = store.referrals(&ReferralQuery { open_only: true, limit: 10, ..Default::default() }).unwrap();
    assert_eq!(open_ones.len(), 1);
    let reopened = {
        drop(store);
        open()
    };
    assert_eq!(reopened.referrals(&ReferralQuery { limit: 10, ..Default::default() }).unwrap().len(), 2);
}

/// A batch (over a thousand records, with repeats and records already stored) has the same
/// outcomes and the same stored state as writing its records one at a time.
pub fn batches_match_writing_one_at_a_time(open: Open) {
    let store = open();
    let people: Vec<Participant> = synth().participants(1_500).collect();
    store.upsert_participants(&people[..700]).unwrap();
    let mut batch: Vec<Participant> = people.clone();
    let mut moved = people[3].clone();
    moved.max_commute_km = 2.5;
    batch.push(people[2].clone()); // a repeat, unchanged
    batch.push(moved.clone()); // a repeat, changed: both written, the last one stays
    let outcomes = store.upsert_participants(&batch).unwrap();
    let first_seq = 701;
    let mut expected = vec![WriteOutcome::Unchanged; 700];
    expected.extend((0..800).map(|index| WriteOutcome::Written { seq: first_seq + index }));
    expected.push(WriteOutcome::Unchanged);
    expected.push(WriteOutcome::Written { seq: first_seq + 800 });
    assert_eq!(outcomes, expected);
    assert_eq!(store.participant(&moved.id).unwrap(), Some(moved.clone()));
    assert_eq!(store.participant(&people[1_499].id).unwrap(), Some(people[1_499].clone()));
    let feed = store.changes_after(700, 10_000).unwrap();
    assert_eq!(feed.len(), 801);
    for (index, change) in feed.iter().take(800).enumerate() {
        assert_eq!(
            (change.seq, &change.key),
            (first_seq + index as u64, &ChangeKey::Participant(people[700 + index].id.clone()))
        );
    }
    assert_eq!(feed.last().unwrap().key, ChangeKey::Participant(moved.id.clone()));
    assert_eq!(feed[0].key, ChangeKey::Participant(people[700].id.clone()));
    assert_eq!(store.last_seq().unwrap(), 1_501);
    let mut coaches: Vec<_> = (0..3).map(|index| synth().coach(index)).collect();
    coaches.push(coaches[0].clone());
    let written = store.upsert_coaches(&coaches).unwrap();
    assert_eq!(written[3], WriteOutcome::Unchanged);
    assert_eq!(store.coaches().unwrap().len(), 3);
}

/// A batch of offers (over a thousand, with stored, stale and repeated ones) has the same
/// outcomes and stored versions as writing them one at a time.
pub fn offer_batches_match_writing_one_at_a_time(open: Open) {
    let store = open();
    let mut offers: Vec<_> = (0..1_200).map(|index| synth().offer(index)).collect();
    for offer in &mut offers {
        offer.version = 5;
    }
    store.upsert_offers(&offers[..600]).unwrap();
    let mut batch = offers.clone();
    let mut newer = offers[10].clone();
    newer.version = 7;
    newer.positions = 4;
    let mut older = offers[700].clone();
    older.version = 3;
    batch[20].version = 9; // a stored offer, newer: written
    batch.push(newer.clone()); // written after its first copy in this batch (stale, version 5)
    batch.push(older); // older than its copy earlier in this batch
    batch.push(offers[1_100].clone()); // the same version again: stale
    let outcomes = store.upsert_offers(&batch).unwrap();
    let mut expected = vec![WriteOutcome::Stale { stored_version: 5 }; 600];
    expected[20] = WriteOutcome::Written { seq: 601 };
    expected.extend((0..600).map(|index| WriteOutcome::Written { seq: 602 + index }));
    expected.push(WriteOutcome::Written { seq: 1_202 });
    expected.push(WriteOutcome::Stale { stored_version: 5 });
    expected.push(WriteOutcome::Stale { stored_version: 5 });
    assert_eq!(outcomes, expected);
    assert_eq!(store.offer(&newer.key).unwrap(), Some(newer.clone()));
    assert_eq!(store.offer(&offers[20].key).unwrap().unwrap().version, 9);
    assert_eq!(store.offer_with_seq(&newer.key).unwrap().unwrap().1, 1_202);
    assert_eq!(store.last_seq().unwrap(), 1_202);
    let mut broken = offers[0].clone();
    broken.weekly_hours = 0.0;
    let before = store.last_seq().unwrap();
    assert!(store.upsert_offers(&[offers[1_199].clone(), broken]).is_err());
    assert_eq!(store.last_seq().unwrap(), before, "an invalid offer writes none of its batch");
    // Read back by key across a chunk boundary, newest first, with misses and repeats in
    // between: each in its own place.
    let missing = OfferKey { source: "board".into(), external_id: "gone".into() };
    let mut keys: Vec<OfferKey> = offers.iter().rev().map(|offer| offer.key.clone()).collect();
    keys.insert(999, missing.clone());
    keys.insert(3, offers[0].key.clone());
    keys.push(missing);
    let read = store.offers_by_key(&keys).unwrap();
    assert_eq!(read.len(), keys.len());
    for (key, found) in keys.iter().zip(&read) {
        match found {
            Some(offer) => assert_eq!(&offer.key, key),
            None => assert_eq!(key.external_id, "gone"),
        }
    }
    assert_eq!(read[3].as_ref().unwrap(), &store.offer(&offers[0].key).unwrap().unwrap());
}

/// Eight threads appending audit entries at once: every entry kept, numbered once.
pub fn audit_group_commits_from_many_threads_lose_nothing(open: Open) {
    let store: std::sync::Arc<dyn Store> = std::sync::Arc::from(open());
    let threads: Vec<_> = (0..8)
        .map(|thread| {
            let store = store.clone();
            std::thread::spawn(move || {
                (0..50)
                    .map(|i| store.append_audit(&audit_entry(thread * 1000 + i, 5_000, 10)).unwrap())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut numbers: Vec<u64> = threads.into_iter().flat_map(|thread| thread.join().unwrap()).collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), 400);
    let listed = store.list_audit(&AuditQuery { limit: 1_000, ..Default::default() }).unwrap();
    assert_eq!(listed.len(), 400);
    for (_, entry) in &listed {
        let index = usize::from_str_radix(entry.request_id.rsplit('-').next().unwrap(), 16).unwrap();
        assert_eq!(entry, &audit_entry(index, 5_000, 10));
    }
}

/// See the test of the same name in each backend's tests.
pub fn exposure_days_sum_whole_days_by_unit_and_name_unsummed_ones(open: Open) {
    use pomost_store::{DAY_MS, ListGroups};
    let day = 20_000;
    let figures = |region: Option<&str>, eligible: Vec<u64>, exposure: Vec<f64>| ListGroups {
        region: region.map(str::to_owned),
        eligible,
        exposure,
    };
    let entry = |index: usize, at_ms: i64, groups: serde_json::Value| AuditEntry {
        request: serde_json::json!({ "k": 5, "groups": groups }),
        ..audit_entry(index, at_ms, 3)
    };
    let krakow = figures(Some("1261011"), vec![10, 2], vec![1.5, 0.25]);
    let wroclaw = figures(Some("0264011"), vec![4, 0], vec![0.5, 0.0]);
    let remote = figures(Some(""), vec![1, 1], vec![0.125, 0.125]);
    let store = open();
    let entries = [
        entry(1, day * DAY_MS, krakow.to_json()),
        entry(2, day * DAY_MS + 17, krakow.to_json()),
        entry(3, (day + 1) * DAY_MS - 1, wroclaw.to_json()),
        entry(4, (day + 1) * DAY_MS, remote.to_json()),
        AuditEntry { action: AuditAction::RecommendOffers, ..entry(5, (day + 1) * DAY_MS, krakow.to_json()) },
        entry(6, (day + 2) * DAY_MS + 5, krakow.to_json()),
        entry(7, (day + 2) * DAY_MS + 6, figures(None, vec![9, 9], vec![1.0, 1.0]).to_json()),
    ];
    for entry in &entries {
        store.append_audit(entry).unwrap();
    }
    let check = |store: &dyn Store| {
        let all = store.exposure_days(day, day + 3, None).unwrap();
        assert_eq!(all.unsummed_days, [day + 2], "a list that does not say where its workplace was");
        assert_eq!(all.lists, 4, "{all:?}");
        assert_eq!(all.eligible, [25, 5]);
        assert_eq!(all.exposure, [3.625, 0.625]);
        let lists =
            |from: i64, until: i64, region: Option<&str>| store.exposure_days(from, until, region).unwrap().lists;
        assert_eq!(lists(day, day + 3, Some("12")), 2);
        assert_eq!(lists(day, day + 3, Some("1261011")), 2);
        assert_eq!(lists(day, day + 3, Some("02")), 1);
        assert_eq!(lists(day, day + 3, Some("14")), 0);
        assert_eq!(lists(day + 1, day + 2, None), 1, "remote work counts everywhere");
        assert_eq!(lists(day + 1, day + 2, Some("12")), 0, "and in no unit");
        assert_eq!(lists(day + 3, day + 400, None), 0);
        let only_day = store.exposure_days(day, day + 1, Some("12")).unwrap();
        assert_eq!((only_day.lists, only_day.eligible.as_slice()), (2, [20, 4].as_slice()));
        assert!(only_day.unsummed_days.is_empty());
    };
    check(store.as_ref());
    drop(store);
    check(open().as_ref());
}
