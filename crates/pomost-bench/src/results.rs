//! What a run measured, as JSON (for the report) and as a Markdown summary.

use std::collections::BTreeMap;
use std::fmt::Write;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

impl Latency {
    /// Percentiles of a histogram recorded in microseconds.
    pub fn from_micros(histogram: &Histogram<u64>) -> Self {
        let ms = |value: u64| value as f64 / 1_000.0;
        Self {
            p50_ms: ms(histogram.value_at_quantile(0.5)),
            p90_ms: ms(histogram.value_at_quantile(0.9)),
            p99_ms: ms(histogram.value_at_quantile(0.99)),
            p999_ms: ms(histogram.value_at_quantile(0.999)),
            max_ms: ms(histogram.max()),
        }
    }
}

/// One workload at one concurrency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadResult {
    /// Workload name.
    pub workload: String,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// How long it ran, seconds.
    pub seconds: f64,
    /// Successful requests.
    pub requests: u64,
    /// Successful requests per second (items per second for ingest).
    pub throughput: f64,
    /// Latency of successful requests.
    pub latency: Latency,
    /// Failed requests by gRPC status code.
    pub errors: BTreeMap<String, u64>,
}

/// The ranking-quality check on planted matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    /// Offers with planted good matches.
    pub offers: usize,
    /// Planted good matches per offer.
    pub planted_per_offer: usize,
    /// Share of planted matches in the top 10, averaged over offers.
    pub recall_at_10: f64,
    /// nDCG@10 with the planted matches as the relevant people, averaged over offers.
    pub ndcg_at_10: f64,
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// Commit of the measured code.
    pub commit: String,
    /// Where it ran (cores, memory) and when.
    pub machine: String,
    /// UTC date of the run.
    pub date: String,
    /// Participants loaded.
    pub participants: usize,
    /// Offers loaded.
    pub offers: usize,
    /// Coaches loaded.
    pub coaches: usize,
    /// Seconds spent loading participants, coaches and offers through gRPC, until the last
    /// offer is searchable (since 2026-12-07 without generating the synthetic data and
    /// putting it in wire form, about 2 s for 1,000,000 people).
    pub load_seconds: f64,
    /// Server resident memory before loading and after the run, MiB (None when the harness did
    /// not start the server).
    pub rss_before_mib: Option<f64>,
    /// See `rss_before_mib`.
    pub rss_after_mib: Option<f64>,
    /// Every workload at every concurrency.
    pub workloads: Vec<WorkloadResult>,
    /// Latency from an UpsertOffer reply until SearchOffers finds the offer.
    pub push_to_searchable: Latency,
    /// Ranking quality.
    pub quality: Quality,
}

impl RunResult {
    /// A Markdown summary.
    pub fn markdown(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "Run of commit `{}` on {} ({}): {} participants, {} offers, {} coaches loaded in {:.1} s.\n",
            self.commit, self.machine, self.date, self.participants, self.offers, self.coaches, self.load_seconds
        );
        let _ = writeln!(
            text,
            "| workload | concurrency | throughput/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors |"
        );
        let _ = writeln!(text, "|---|---:|---:|---:|---:|---:|---:|---:|---|");
        for result in &self.workloads {
            let errors: Vec<String> = result.errors.iter().map(|(code, count)| format!("{code}: {count}")).collect();
            let _ = writeln!(
                text,
                "| {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {} |",
                result.workload,
                result.concurrency,
                result.throughput,
                result.latency.p50_ms,
                result.latency.p90_ms,
                result.latency.p99_ms,
                result.latency.p999_ms,
                result.latency.max_ms,
                if errors.is_empty() { "none".to_owned() } else { errors.join(", ") }
            );
        }
        let _ = writeln!(
            text,
            "\nPush-to-searchable: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms.",
            self.push_to_searchable.p50_ms, self.push_to_searchable.p99_ms, self.push_to_searchable.max_ms
        );
        let rss = |value: Option<f64>| value.map_or("not measured".to_owned(), |mib| format!("{mib:.0} MiB"));
        let _ = writeln!(
            text,
            "Server RSS: {} before loading, {} after the run.",
            rss(self.rss_before_mib),
            rss(self.rss_after_mib)
        );
        let _ = writeln!(
            text,
            "Ranking quality on {} offers with {} planted matches each: recall@10 {:.3}, nDCG@10 {:.3}.",
            self.quality.offers, self.quality.planted_per_offer, self.quality.recall_at_10, self.quality.ndcg_at_10
        );
        text
    }
}
