//! The soak: many clients for minutes, a share of them writing, to measure what a busy day
//! does to write latency and to the data directory (the audit log above all).
//!
//! `pomost-bench soak` starts the server on a fresh data directory, loads a dataset, then
//! runs `concurrency` clients for `seconds`: every `write_every`-th request of a client is
//! an offer upsert, the rest are regional shortlists (k = 50, each audited). It samples the
//! data directory's size every `sample_seconds` and reports write and shortlist latency
//! separately and the directory's growth per minute.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use pomost::proto::matching_service_client::MatchingServiceClient;
use pomost::proto::offer_service_client::OfferServiceClient;
use pomost::proto::{ShortlistRequest, UpsertOfferRequest, shortlist_request};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::results::Latency;
use crate::run::{RunOptions, connect, context, fresh_offer, load, start_server};

/// What to soak.
#[derive(Debug, Clone)]
pub struct SoakOptions {
    /// Dataset and server, as for a run (its `seconds` and `concurrency` are unused).
    pub run: RunOptions,
    /// Clients in flight.
    pub concurrency: usize,
    /// How long, seconds.
    pub seconds: f64,
    /// Every n-th request of a client writes (4: a quarter writes).
    pub write_every: usize,
    /// Seconds between size samples.
    pub sample_seconds: f64,
}

/// One sample of the data directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SizeSample {
    /// Seconds since the soak began.
    pub at_seconds: f64,
    /// Bytes under the data directory.
    pub data_dir_bytes: u64,
    /// Bytes of the audit log's own files (`audit.sqlite3*`; 0 where the audit lives in
    /// the main database, as before it had its own file).
    pub audit_bytes: u64,
}

/// What a soak measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SoakResult {
    /// Commit measured.
    pub commit: String,
    /// Clients in flight.
    pub concurrency: usize,
    /// Seconds run.
    pub seconds: f64,
    /// Writes answered OK.
    pub writes: u64,
    /// Shortlists answered OK.
    pub shortlists: u64,
    /// Write latency.
    pub write_latency: Latency,
    /// Shortlist latency.
    pub shortlist_latency: Latency,
    /// Errors by status code.
    pub errors: std::collections::BTreeMap<String, u64>,
    /// Size samples.
    pub samples: Vec<SizeSample>,
    /// Growth of the data directory, MB (10^6 bytes) per minute, first to last sample.
    pub growth_mb_per_minute: f64,
    /// Growth of the audit log's files, MB per minute.
    pub audit_growth_mb_per_minute: f64,
    /// Shortlists answered per second.
    pub shortlists_per_second: f64,
    /// Seconds the exposure report over the whole soak's audit took (after the load).
    #[serde(default)]
    pub exposure_report_seconds: f64,
    /// That report's groups (for its chart).
    #[serde(default)]
    pub exposure: Vec<ExposureShare>,
}

/// One group of the exposure report: its share of the eligible pool and of the lists'
/// position-weighted attention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExposureShare {
    /// The group's name.
    pub group: String,
    /// Share of the eligible pool.
    pub pool_share: f64,
    /// Share of position-weighted attention.
    pub exposure_share: f64,
    /// exposure_share / pool_share.
    pub ratio: f64,
    /// Under four fifths.
    pub flagged: bool,
    /// Too few people: figures withheld.
    pub suppressed: bool,
}

impl SoakResult {
    /// A Markdown summary.
    pub fn markdown(&self) -> String {
        format!(
            "| clients | seconds | writes/s | write p50 | write p99 | shortlists/s | shortlist p50 | shortlist p99 | data dir growth | audit growth | errors |\n\
             |---|---|---|---|---|---|---|---|---|---|---|\n\
             | {} | {:.0} | {:.0} | {:.1} ms | {:.1} ms | {:.0} | {:.1} ms | {:.1} ms | {:.1} MB/min | {:.1} MB/min | {:?} |",
            self.concurrency,
            self.seconds,
            self.writes as f64 / self.seconds,
            self.write_latency.p50_ms,
            self.write_latency.p99_ms,
            self.shortlists_per_second,
            self.shortlist_latency.p50_ms,
            self.shortlist_latency.p99_ms,
            self.growth_mb_per_minute,
            self.audit_growth_mb_per_minute,
            self.errors,
        )
    }
}

/// Bytes of every file under `dir`.
fn size_of(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(metadata) if metadata.is_dir() => size_of(&entry.path()),
            Ok(metadata) => metadata.len(),
            Err(_) => 0,
        })
        .sum()
}

fn histogram() -> Arc<Mutex<Histogram<u64>>> {
    Arc::new(Mutex::new(Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).unwrap_or_else(|_| unreachable!())))
}

/// Runs the soak.
pub async fn soak(options: SoakOptions) -> Result<SoakResult, String> {
    let today = time::OffsetDateTime::now_utc().date();
    let mut server = start_server(&options.run)?;
    let channel = connect(server.addr()).await?;
    load(&channel, &options.run, today, &[], &[]).await?;
    let context = Arc::new(context(channel.clone(), &options.run, today));
    let data_dir = server.data_dir().map(Path::to_owned);
    let (writes_hist, reads_hist) = (histogram(), histogram());
    let errors = Arc::new(Mutex::new(std::collections::BTreeMap::<String, u64>::new()));
    let (writes, shortlists) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(options.seconds);
    let mut workers = Vec::new();
    for worker in 0..options.concurrency {
        let (context, writes_hist, reads_hist, errors) =
            (context.clone(), writes_hist.clone(), reads_hist.clone(), errors.clone());
        let (writes, shortlists) = (writes.clone(), shortlists.clone());
        let write_every = options.write_every.max(1);
        workers.push(tokio::spawn(async move {
            let mut matching = MatchingServiceClient::new(context.channel.clone());
            let mut offers = OfferServiceClient::new(context.channel.clone());
            let mut round = worker;
            while Instant::now() < deadline {
                let sent = Instant::now();
                let is_write = round % write_every == write_every - 1;
                let answer = if is_write {
                    let offer = fresh_offer(&context);
                    offers
                        .upsert_offer(UpsertOfferRequest { offer: Some(pomost::convert::offer_to_wire(&offer)) })
                        .await
                        .map(|_| ())
                } else {
                    let key = context.regional[(worker * 31 + round) % context.regional.len()].clone();
                    let request = ShortlistRequest {
                        offer: Some(shortlist_request::Offer::OfferKey(key)),
                        k: 50,
                        as_of: context.today.to_string(),
                        ..Default::default()
                    };
                    matching.shortlist(request).await.map(|_| ())
                };
                let micros = sent.elapsed().as_micros().clamp(1, 600_000_000) as u64;
                match answer {
                    Ok(()) if is_write => {
                        let _ = writes_hist.lock().await.record(micros);
                        writes.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(()) => {
                        let _ = reads_hist.lock().await.record(micros);
                        shortlists.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(status) => *errors.lock().await.entry(format!("{:?}", status.code())).or_default() += 1,
                }
                round += 1;
            }
        }));
    }
    let mut samples = Vec::new();
    let sample = |samples: &mut Vec<SizeSample>| {
        if let Some(dir) = &data_dir {
            let audit_bytes = ["audit.sqlite3", "audit.sqlite3-wal"]
                .iter()
                .map(|name| std::fs::metadata(dir.join(name)).map(|metadata| metadata.len()).unwrap_or(0))
                .sum();
            samples.push(SizeSample {
                at_seconds: started.elapsed().as_secs_f64(),
                data_dir_bytes: size_of(dir),
                audit_bytes,
            });
        }
    };
    sample(&mut samples);
    while Instant::now() < deadline {
        let next =
            Duration::from_secs_f64(options.sample_seconds).min(deadline.saturating_duration_since(Instant::now()));
        tokio::time::sleep(next).await;
        sample(&mut samples);
        if let Some(last) = samples.last() {
            eprintln!(
                "{:>6.0} s  data dir {:>8.1} MB  audit {:>8.1} MB  writes {}  shortlists {}",
                last.at_seconds,
                last.data_dir_bytes as f64 / 1e6,
                last.audit_bytes as f64 / 1e6,
                writes.load(Ordering::Relaxed),
                shortlists.load(Ordering::Relaxed)
            );
        }
    }
    for worker in workers {
        let _ = worker.await;
    }
    let seconds = started.elapsed().as_secs_f64();
    // The exposure report over everything the soak audited (read from the audit, no ranking).
    let report_started = Instant::now();
    let report = pomost::proto::matching_service_client::MatchingServiceClient::new(channel.clone())
        .get_exposure_report(pomost::proto::GetExposureReportRequest::default())
        .await
        .map_err(|status| status.to_string())?
        .into_inner();
    let exposure_report_seconds = report_started.elapsed().as_secs_f64();
    eprintln!("exposure report over {} shortlists: {exposure_report_seconds:.2} s", report.shortlists);
    server.stop();
    let per_minute = |bytes: fn(&SizeSample) -> u64| match (samples.first(), samples.last()) {
        (Some(first), Some(last)) if last.at_seconds > first.at_seconds => {
            (bytes(last) as f64 - bytes(first) as f64) / 1e6 / ((last.at_seconds - first.at_seconds) / 60.0)
        }
        _ => 0.0,
    };
    let growth_mb_per_minute = per_minute(|sample| sample.data_dir_bytes);
    let audit_growth_mb_per_minute = per_minute(|sample| sample.audit_bytes);
    let shortlists = shortlists.load(Ordering::Relaxed);
    let result = SoakResult {
        commit: options.run.commit.clone(),
        concurrency: options.concurrency,
        seconds,
        writes: writes.load(Ordering::Relaxed),
        shortlists,
        write_latency: Latency::from_micros(&*writes_hist.lock().await),
        shortlist_latency: Latency::from_micros(&*reads_hist.lock().await),
        errors: errors.lock().await.clone(),
        samples,
        growth_mb_per_minute,
        audit_growth_mb_per_minute,
        shortlists_per_second: shortlists as f64 / seconds,
        exposure_report_seconds,
        exposure: report
            .groups
            .iter()
            .map(|group| ExposureShare {
                group: group.group.clone(),
                pool_share: group.pool_share,
                exposure_share: group.exposure_share,
                ratio: group.ratio,
                flagged: group.flagged,
                suppressed: group.suppressed,
            })
            .collect(),
    };
    Ok(result)
}
