//! `pomost-bench replicas`: Pomost replicas on one PostgreSQL (issue 18). Loads the seeded
//! dataset through one replica, then measures with one and with two replicas serving:
//! regional shortlists and single offer writes (throughput and latency at a fixed total
//! concurrency, split evenly over the replicas), how long a write acknowledged by one
//! replica takes to be visible at the other (its sequence passed as `x-pomost-min-seq`),
//! and a replica's cold start to SERVING on the loaded database.
//!
//! Everything runs on this machine: PostgreSQL and both replicas share its cores, so the
//! two-replica figures show the cost of following the feed and sharing one database, not
//! the capacity two machines would add.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use hdrhistogram::Histogram;
use pomost::convert;
use pomost::proto::matching_service_client::MatchingServiceClient;
use pomost::proto::participant_service_client::ParticipantServiceClient;
use pomost::proto::{ExplainMatchRequest, explain_match_request};
use pomost_store::throwaway::ThrowawayPostgres;
use serde::{Deserialize, Serialize};

use crate::results::{Latency, WorkloadResult};
use crate::run::{RunOptions, Workload, connect, context, load, run_workload, start_server_on};

/// What to measure.
#[derive(Debug, Clone)]
pub struct ReplicaOptions {
    /// The dataset, the binary and the seconds per step (`concurrency[0]` is the total
    /// requests in flight, split over the replicas).
    pub run: RunOptions,
    /// A PostgreSQL database to use instead of starting a throwaway cluster.
    pub pg_url: Option<String>,
    /// Write-to-visible samples.
    pub samples: usize,
}

/// One workload with one or two replicas serving.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReplicaStep {
    /// Replicas serving.
    pub replicas: usize,
    /// Workload name.
    pub workload: String,
    /// Requests per second over all replicas.
    pub throughput: f64,
    /// Each replica's share, in replica order.
    pub per_replica: Vec<WorkloadResult>,
}

/// Everything measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReplicaResult {
    /// Commit measured.
    pub commit: String,
    /// The machine.
    pub machine: String,
    /// Participants, offers and coaches loaded.
    pub participants: usize,
    /// Offers loaded.
    pub offers: usize,
    /// Coaches loaded.
    pub coaches: usize,
    /// Requests in flight in every step (over all replicas).
    pub concurrency: usize,
    /// Seconds to load the dataset through the first replica.
    pub load_seconds: f64,
    /// Seconds from starting the second replica to its SERVING (pool loaded from the
    /// database, index built from the change feed).
    pub cold_start_seconds: f64,
    /// The workloads with one and with two replicas.
    pub steps: Vec<ReplicaStep>,
    /// From a write's answer at one replica to its visibility at the other.
    pub write_to_visible: Latency,
}

impl ReplicaResult {
    /// A Markdown summary.
    pub fn markdown(&self) -> String {
        let mut text = format!(
            "## Replicas on one PostgreSQL ({} participants, {} offers, {} coaches; {} in flight; {})\n\n\
             Load through one replica: {:.1} s. Cold start of a second replica to SERVING: {:.1} s.\n\
             Write acknowledged at one replica → visible at the other: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms.\n\n\
             | workload | replicas | throughput /s | p50 ms (each) | p99 ms (each) |\n|---|---|---|---|---|\n",
            self.participants,
            self.offers,
            self.coaches,
            self.concurrency,
            self.machine,
            self.load_seconds,
            self.cold_start_seconds,
            self.write_to_visible.p50_ms,
            self.write_to_visible.p99_ms,
            self.write_to_visible.max_ms,
        );
        for step in &self.steps {
            let each = |pick: fn(&WorkloadResult) -> f64| {
                step.per_replica.iter().map(|result| format!("{:.2}", pick(result))).collect::<Vec<_>>().join(" / ")
            };
            text.push_str(&format!(
                "| {} | {} | {:.0} | {} | {} |\n",
                step.workload,
                step.replicas,
                step.throughput,
                each(|result| result.latency.p50_ms),
                each(|result| result.latency.p99_ms)
            ));
        }
        text
    }
}

/// Runs `workload` on each context at once, the concurrency split evenly.
async fn step(
    contexts: &[Arc<crate::run::Context>],
    workload: Workload,
    concurrency: usize,
    seconds: f64,
) -> Result<ReplicaStep, String> {
    let share = (concurrency / contexts.len()).max(1);
    let runs: Vec<_> =
        contexts.iter().map(|context| tokio::spawn(run_workload(context.clone(), workload, share, seconds))).collect();
    let mut per_replica = Vec::with_capacity(runs.len());
    for run in runs {
        per_replica.push(run.await.map_err(|error| format!("a workload task failed: {error}"))?);
    }
    let throughput = per_replica.iter().map(|result| result.throughput).sum();
    for result in &per_replica {
        eprintln!(
            "{:>14} replicas={} c={:<3} {:>8.0}/s p50 {:>7.2} ms p99 {:>7.2} ms errors {:?}",
            result.workload,
            contexts.len(),
            share,
            result.throughput,
            result.latency.p50_ms,
            result.latency.p99_ms,
            result.errors
        );
    }
    let workload = per_replica.first().map(|result| result.workload.clone()).unwrap_or_default();
    Ok(ReplicaStep { replicas: contexts.len(), workload, throughput, per_replica })
}

/// Writes a new participant at `from` and times until `to` answers a read that must see it.
async fn write_to_visible(
    from: &tonic::transport::Channel,
    to: &tonic::transport::Channel,
    context: &crate::run::Context,
    samples: usize,
) -> Result<Latency, String> {
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).map_err(|error| error.to_string())?;
    let mut writer = ParticipantServiceClient::new(from.clone());
    let mut reader = MatchingServiceClient::new(to.clone());
    let offer = context.synth.regional_offer();
    for sample in 0..samples {
        let person = context.synth.participant(50_000_000 + sample);
        let seq = writer
            .upsert_participant(convert::participant_to_wire(&person))
            .await
            .map_err(|status| status.to_string())?
            .into_inner()
            .seq;
        let acknowledged = Instant::now();
        let mut request = tonic::Request::new(ExplainMatchRequest {
            participant_id: person.id.to_string(),
            offer: Some(explain_match_request::Offer::InlineOffer(convert::offer_to_wire(&offer))),
            as_of: context.today.to_string(),
        });
        request
            .metadata_mut()
            .insert(pomost::edge::MIN_SEQ_HEADER, seq.to_string().parse().map_err(|_| "sequence header".to_owned())?);
        reader.explain_match(request).await.map_err(|status| status.to_string())?;
        let _ = histogram.record(acknowledged.elapsed().as_micros().clamp(1, 600_000_000) as u64);
    }
    Ok(Latency::from_micros(&histogram))
}

/// Runs the measurement.
pub async fn measure(options: ReplicaOptions) -> Result<ReplicaResult, String> {
    let today = time::OffsetDateTime::now_utc().date();
    let (url, _cluster) = match &options.pg_url {
        Some(url) => (url.clone(), None),
        None => {
            let cluster = tokio::task::block_in_place(|| ThrowawayPostgres::start_with("4GB"))?;
            let url = tokio::task::block_in_place(|| cluster.database("pomost_replicas"))?;
            (url, Some(cluster))
        }
    };
    let run = &options.run;
    let concurrency = run.concurrency.first().copied().unwrap_or(16);
    let first = start_server_on(run, Some(&url))?;
    let channel_a = connect(first.addr()).await?;
    let load_seconds = load(&channel_a, run, today, &[], &[]).await?.as_secs_f64();
    eprintln!("loaded through one replica in {load_seconds:.1} s");

    let context_a = Arc::new(context(channel_a.clone(), run, today));
    let mut steps = Vec::new();
    for workload in [Workload::ShortlistRegional, Workload::UpsertOffer] {
        steps.push(step(std::slice::from_ref(&context_a), workload, concurrency, run.seconds).await?);
    }

    let started = Instant::now();
    let second = start_server_on(run, Some(&url))?;
    let channel_b = connect(second.addr()).await?;
    let cold_start_seconds = started.elapsed().as_secs_f64();
    eprintln!("second replica SERVING after {cold_start_seconds:.1} s");
    let context_b = Arc::new(context(channel_b.clone(), run, today));
    // Distinct fresh offers at each replica.
    context_b.fresh.store(1_000_000_000, Ordering::Relaxed);
    let both = [context_a.clone(), context_b.clone()];
    for workload in [Workload::ShortlistRegional, Workload::UpsertOffer] {
        steps.push(step(&both, workload, concurrency, run.seconds).await?);
    }
    let write_to_visible = write_to_visible(&channel_a, &channel_b, &context_a, options.samples).await?;
    drop((first, second));
    Ok(ReplicaResult {
        commit: run.commit.clone(),
        machine: crate::run::machine(),
        participants: run.participants,
        offers: run.offers,
        coaches: run.coaches,
        concurrency,
        load_seconds,
        cold_start_seconds,
        steps,
        write_to_visible,
    })
}
