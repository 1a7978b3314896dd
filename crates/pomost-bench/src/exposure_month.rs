//! The exposure report over a month of audit.
//!
//! `pomost-bench exposure-month` writes a month of shortlist audit entries into a fresh
//! data directory (`lists_per_day` a day, each with 50 results, spread over as many
//! workplace units as Poland has gminas, so every unit has lists every day: the daily sums
//! then hold as many rows as a month at any higher rate would), starts the server on it and
//! times GetExposureReport through gRPC for the month, a week, one voivodeship, and the
//! month with bounds that are not UTC midnights (whose partial days are read entry by
//! entry). Then it removes the daily sums, as in an audit log from before them, restarts
//! the server and times the month again, now read entirely from the entries.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use pomost::proto::GetExposureReportRequest;
use pomost::proto::matching_service_client::MatchingServiceClient;
use pomost_store::{
    AuditAction, AuditEntry, AuditResult, Caller, DAY_MS, ListGroups, SqliteOptions, SqliteStore, Store,
};
use serde::{Deserialize, Serialize};

use crate::run::{connect, spawn_server};

/// Gminas in Poland (TERYT, 2024): the most workplace units a month's lists can name.
const UNITS: usize = 2_477;
/// Groups a list keeps figures for.
const GROUPS: usize = pomost_scoring::GROUP_NAMES.len();
/// Results in each list.
const RESULTS: usize = 50;
/// Times each report is asked; the median is kept.
const REPEATS: usize = 5;

/// What to measure.
#[derive(Debug, Clone)]
pub struct MonthOptions {
    /// The `pomost` binary.
    pub server: PathBuf,
    /// Shortlists audited per day.
    pub lists_per_day: usize,
    /// Days in the period.
    pub days: i64,
    /// Commit measured.
    pub commit: String,
}

/// What it measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthResult {
    /// Commit measured.
    pub commit: String,
    /// Days audited.
    pub days: i64,
    /// Shortlists audited per day.
    pub lists_per_day: usize,
    /// Workplace units the lists name.
    pub units: usize,
    /// Seconds writing the entries took (8 writers, group commit).
    pub write_seconds: f64,
    /// Report over the whole month from the daily sums, ms (median).
    pub month_ms: f64,
    /// Report over one week, ms.
    pub week_ms: f64,
    /// Report over the month for one voivodeship, ms.
    pub voivodeship_ms: f64,
    /// Report over the month from 06:00 on its first day until 18:00 on its last (the two
    /// partial days read entry by entry), ms.
    pub unaligned_ms: f64,
    /// Report over the month read entirely from the entries (the daily sums removed), ms.
    pub entries_only_ms: f64,
    /// Shortlists the month's report counted.
    pub shortlists: u64,
}

impl MonthResult {
    /// A Markdown summary.
    pub fn markdown(&self) -> String {
        let entries = self.lists_per_day as f64 * self.days as f64;
        let per_entry_us = self.entries_only_ms * 1000.0 / entries;
        format!(
            "# Exposure report over a month of audit\n\n\
             Commit {}: {} days × {} shortlists a day ({} entries, k = {RESULTS}) over {} workplace units; \
             written in {:.1} s.\n\n\
             | report | ms |\n|---|---:|\n\
             | month, whole UTC days (daily sums) | {:.1} |\n\
             | one week | {:.1} |\n\
             | month, one voivodeship | {:.1} |\n\
             | month, 06:00 first day to 18:00 last day (two partial days read from entries) | {:.1} |\n\
             | month read from the entries only (as before the sums) | {:.1} |\n\n\
             Reading entries costs {per_entry_us:.1} µs each; the daily sums cost the same at any rate, \
             since every unit already has lists every day.\n",
            self.commit,
            self.days,
            self.lists_per_day,
            entries as u64,
            self.units,
            self.write_seconds,
            self.month_ms,
            self.week_ms,
            self.voivodeship_ms,
            self.unaligned_ms,
            self.entries_only_ms,
        )
    }
}

/// Workplace unit codes: each powiat's code with gmina numbers, `UNITS` in all.
fn units() -> Vec<String> {
    let powiats = pomost_synth::POWIATS;
    (0..UNITS)
        .map(|index| format!("{}{:02}1", powiats[index % powiats.len()].teryt, index / powiats.len() + 1))
        .collect()
}

/// One list's audit entry: figures of the size a regional list has.
fn entry(index: usize, at_ms: i64, region: &str) -> AuditEntry {
    let spread = |group: usize| (index * 7_919 + group * 104_729) % 97;
    let eligible: Vec<u64> = (0..GROUPS).map(|group| 200 + spread(group) as u64 * 13).collect();
    let exposure: Vec<f64> = (0..GROUPS).map(|group| 0.5 + spread(group) as f64 / 40.0).collect();
    let figures = ListGroups { region: Some(region.to_owned()), eligible, exposure };
    AuditEntry {
        request_id: format!("bench-{index}"),
        at_ms,
        caller: Caller { name: "pup-bench".into(), role: "labour_office".into() },
        action: AuditAction::Shortlist,
        offer: Some(pomost_domain::OfferKey { source: "bench".into(), external_id: format!("o-{}", index % 20_000) }),
        participant: None,
        request: serde_json::json!({ "k": RESULTS, "groups": figures.to_json() }),
        results: (0..RESULTS)
            .map(|rank| AuditResult {
                id: format!("p-{:07}", (index * 31 + rank * 7_001) % 1_000_000),
                score: 0.9 - rank as f32 * 0.001,
            })
            .collect(),
        policy_version: "bench".into(),
        vocabulary_version: String::new(),
    }
}

/// Writes the month into `dir` with 8 writers; seconds taken.
fn write_month(dir: &std::path::Path, options: &MonthOptions, first_day: i64) -> Result<f64, String> {
    let store = Arc::new(
        SqliteStore::open(dir, SqliteOptions { synchronous: pomost_store::Synchronous::Normal, ..Default::default() })
            .map_err(|error| error.to_string())?,
    );
    let units = Arc::new(units());
    let total = options.lists_per_day * options.days as usize;
    let (per_day, started) = (options.lists_per_day, Instant::now());
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let (store, units) = (store.clone(), units.clone());
            std::thread::spawn(move || -> Result<(), String> {
                for index in (writer..total).step_by(8) {
                    let (day, within) = ((index / per_day) as i64, (index % per_day) as i64);
                    let at_ms = (first_day + day) * DAY_MS + within * DAY_MS / per_day as i64;
                    store
                        .append_audit(&entry(index, at_ms, &units[index % units.len()]))
                        .map_err(|error| error.to_string())?;
                }
                Ok(())
            })
        })
        .collect();
    for writer in writers {
        writer.join().map_err(|_| "a writer panicked".to_owned())??;
    }
    Ok(started.elapsed().as_secs_f64())
}

/// Median ms of `REPEATS` reports; and the last report's shortlist count.
async fn time_report(
    client: &mut MatchingServiceClient<tonic::transport::Channel>,
    request: GetExposureReportRequest,
) -> Result<(f64, u64), String> {
    let mut times = Vec::new();
    let mut shortlists = 0;
    for _ in 0..REPEATS {
        let started = Instant::now();
        let report =
            client.get_exposure_report(request.clone()).await.map_err(|status| status.to_string())?.into_inner();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        shortlists = report.shortlists;
    }
    times.sort_by(f64::total_cmp);
    Ok((times[times.len() / 2], shortlists))
}

/// Runs the measurement (see the module documentation).
pub async fn measure(options: MonthOptions) -> Result<MonthResult, String> {
    let data = tempfile::tempdir().map_err(|error| error.to_string())?;
    let first_day = 20_393; // 2025-11-01
    let write_seconds = {
        let (dir, options) = (data.path().to_owned(), options.clone());
        tokio::task::spawn_blocking(move || write_month(&dir, &options, first_day))
            .await
            .map_err(|error| error.to_string())??
    };
    eprintln!("wrote {} days × {} lists in {write_seconds:.1} s", options.days, options.lists_per_day);
    let (from_ms, until_ms) = (first_day * DAY_MS, (first_day + options.days) * DAY_MS);
    let month = GetExposureReportRequest { from_ms, until_ms, ..Default::default() };
    let dir = data.path().to_owned();
    let mut server = spawn_server(&options.server, data, None)?;
    let mut client = MatchingServiceClient::new(connect(server.addr()).await?);
    let (month_ms, shortlists) = time_report(&mut client, month.clone()).await?;
    let expected = options.lists_per_day as u64 * options.days as u64;
    if shortlists != expected {
        return Err(format!("the month's report counted {shortlists} shortlists, not {expected}"));
    }
    let (week_ms, _) =
        time_report(&mut client, GetExposureReportRequest { until_ms: from_ms + 7 * DAY_MS, ..month.clone() }).await?;
    let (voivodeship_ms, _) =
        time_report(&mut client, GetExposureReportRequest { region: "12".into(), ..month.clone() }).await?;
    let hour = DAY_MS / 24;
    let unaligned =
        GetExposureReportRequest { from_ms: from_ms + 6 * hour, until_ms: until_ms - 6 * hour, ..month.clone() };
    let (unaligned_ms, _) = time_report(&mut client, unaligned).await?;
    server.stop();
    // As an audit log from before the sums: the next start marks every audited day unsummed.
    let audit = rusqlite::Connection::open(dir.join(pomost_store::AUDIT_FILE)).map_err(|error| error.to_string())?;
    audit.execute_batch("DROP TABLE exposure_days").map_err(|error| error.to_string())?;
    drop(audit);
    let data = server.take_data().ok_or("the server's data directory is gone")?;
    let server = spawn_server(&options.server, data, None)?;
    let mut client = MatchingServiceClient::new(connect(server.addr()).await?);
    let (entries_only_ms, counted) = time_report(&mut client, month).await?;
    if counted != expected {
        return Err(format!("read from entries, the month's report counted {counted} shortlists, not {expected}"));
    }
    Ok(MonthResult {
        commit: options.commit,
        days: options.days,
        lists_per_day: options.lists_per_day,
        units: UNITS,
        write_seconds,
        month_ms,
        week_ms,
        voivodeship_ms,
        unaligned_ms,
        entries_only_ms,
        shortlists,
    })
}
