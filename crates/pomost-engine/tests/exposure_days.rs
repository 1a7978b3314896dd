//! The exposure report reads whole days from the store's daily sums and the rest from the
//! audit entries; whichever way it reads, it reports what the entries themselves say.

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use pomost_domain::{Offer, Workplace};
use pomost_engine::{Engine, EngineOptions, ExposureQuery, ExposureReportResult, OfferRef, Requester, ScanControl};
use pomost_store::{AuditAction, AuditQuery, Caller, DAY_MS, ListGroups};
use time::macros::date;

const GROUPS: usize = pomost_scoring::GROUP_NAMES.len();

fn open_engine(dir: &std::path::Path) -> Engine {
    let options = EngineOptions {
        placement: pomost_engine::PlacementOptions { min_cell_size: 1, ..Default::default() },
        ..common::test_options(dir)
    };
    Engine::open(&options, pomost_scoring::ScoringPolicy::default(), &pomost_taxonomy::relatedness()).unwrap()
}

/// The report's shortlist figures computed straight from the audit entries.
fn from_entries(engine: &Engine, offers: &[Offer], query: &ExposureQuery) -> (u64, Vec<(f64, f64)>) {
    let entries = engine.list_audit(&AuditQuery { limit: 10_000, ..Default::default() }).unwrap();
    let (mut lists, mut eligible, mut exposure) = (0, [0u64; GROUPS], [0f64; GROUPS]);
    for (_, entry) in entries.iter().filter(|(_, entry)| entry.action == AuditAction::Shortlist) {
        let in_period = entry.at_ms >= query.from_ms && (query.until_ms == 0 || entry.at_ms < query.until_ms);
        let offer = offers.iter().find(|offer| Some(&offer.key) == entry.offer.as_ref()).unwrap();
        let in_region = match (&query.region, &offer.workplace) {
            (None, _) => true,
            (Some(region), Workplace::OnSite(place)) => place.teryt.to_string().starts_with(&region.to_string()),
            (Some(_), Workplace::Remote) => false,
        };
        if !in_period || !in_region {
            continue;
        }
        let figures = ListGroups::of(entry).unwrap();
        lists += 1;
        for group in 0..GROUPS {
            eligible[group] += figures.eligible[group];
            exposure[group] += figures.exposure[group];
        }
    }
    let (pool, attention): (u64, f64) = (eligible[..4].iter().sum(), exposure[..4].iter().sum());
    let share = |part: f64, whole: f64| if whole > 0.0 { part / whole } else { 0.0 };
    (
        lists,
        (0..11).map(|group| (share(eligible[group] as f64, pool as f64), share(exposure[group], attention))).collect(),
    )
}

fn assert_same(report: &ExposureReportResult, expected: &(u64, Vec<(f64, f64)>), what: &str) {
    assert_eq!(report.shortlists, expected.0, "{what}");
    assert_eq!(report.shortlists_without_groups, 0, "{what}");
    for (row, (pool, attention)) in report.rows.iter().zip(&expected.1) {
        if row.suppressed {
            continue;
        }
        assert!((row.pool_share - pool).abs() < 1e-9, "{what}: {row:?} vs {pool}");
        assert!((row.exposure_share - attention).abs() < 1e-9, "{what}: {row:?} vs {attention}");
    }
}

#[test]
fn the_report_from_daily_sums_equals_the_report_from_the_entries() {
    let dir = tempfile::tempdir().unwrap();
    let today = date!(2026 - 11 - 24);
    let synth = pomost_synth::Synth::new(11, today);
    let offers: Vec<Offer> = vec![synth.regional_offer(), synth.offer(3), synth.offer(8), synth.remote_offer()];
    let day0 = 20_400 * DAY_MS;
    {
        let engine = open_engine(dir.path());
        engine
            .upsert_participants(pomost_synth::Synth::new(11, today).participants(3_000).collect::<Vec<_>>())
            .unwrap();
        engine.upsert_offers(&offers).unwrap();
        // Lists every five hours for six days, each offer in turn.
        for index in 0..29 {
            let who = Requester {
                caller: Caller { name: "pup".into(), role: "labour_office".into() },
                request_id: format!("s-{index}"),
                at_ms: day0 + index * 5 * 3_600_000 + 1_234,
            };
            let offer = &offers[index as usize % offers.len()];
            engine.shortlist(&who, OfferRef::Stored(offer.key.clone()), 20, today, &ScanControl::new()).unwrap();
        }
    }
    let hour = 3_600_000;
    let region = |offer: &Offer| match &offer.workplace {
        Workplace::OnSite(place) => Some(place.teryt),
        Workplace::Remote => None,
    };
    let voivodeship = region(&offers[0]).map(|teryt| teryt.to_string()[..2].parse().unwrap());
    let mut queries = Vec::new();
    for (from_ms, until_ms) in [
        (0, 0),
        (day0, day0 + 6 * DAY_MS),
        (day0 + 7 * hour, day0 + 3 * DAY_MS + 4 * hour),
        (day0 + DAY_MS + hour, day0 + DAY_MS + 20 * hour),
        (day0 + 2 * DAY_MS, 0),
        (day0 + 10 * DAY_MS, 0),
    ] {
        for region in [None, region(&offers[0]), voivodeship, region(&offers[1])] {
            queries.push(ExposureQuery { from_ms, until_ms, region, min_cell_size: 0 });
        }
    }
    let engine = open_engine(dir.path());
    let expected: Vec<_> = queries.iter().map(|query| from_entries(&engine, &offers, query)).collect();
    assert!(expected[0].0 == 29 && expected.iter().any(|(lists, _)| *lists > 0 && *lists < 29));
    for (query, expected) in queries.iter().zip(&expected) {
        assert_same(&engine.exposure_report(query).unwrap(), expected, &format!("{query:?}"));
    }
    drop(engine);
    // Without the sums (an audit log from before them), every day is read entry by entry.
    let audit = rusqlite::Connection::open(dir.path().join(pomost_store::AUDIT_FILE)).unwrap();
    audit.execute_batch("DROP TABLE exposure_days").unwrap();
    drop(audit);
    let engine = open_engine(dir.path());
    for (query, expected) in queries.iter().zip(&expected) {
        assert_same(&engine.exposure_report(query).unwrap(), expected, &format!("read from entries: {query:?}"));
    }
}
