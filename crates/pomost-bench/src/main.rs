//! `pomost-bench`: measures Pomost end to end through gRPC and writes the report.
//!
//! - `pomost-bench run --quick` (under two minutes) or `run` (the full dataset: 1,000,000
//!   participants, 200,000 offers, 5,000 coaches) starts the `pomost` binary on a fresh data
//!   directory (or uses `--addr`), loads a seeded dataset through the gRPC APIs, runs every
//!   workload at each concurrency, and writes JSON plus a Markdown summary.
//! - `pomost-bench report RESULT.json… --out docs/benchmarks` writes the report with charts.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pomost_bench::report;
use pomost_bench::results::RunResult;
use pomost_bench::run::{self, RunOptions};
use pomost_bench::soak::{self, SoakOptions};

/// End-to-end benchmark harness of Pomost.
#[derive(Debug, Parser)]
#[command(name = "pomost-bench", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Load a dataset and run the workloads.
    Run {
        /// The small preset: 20,000 participants, 5,000 offers, 500 coaches, 3 s per step.
        #[arg(long)]
        quick: bool,
        /// The `pomost` binary to start on a fresh data directory.
        #[arg(long, default_value = "target/release/pomost")]
        server: PathBuf,
        /// Use a running server at this address instead of starting one.
        #[arg(long)]
        addr: Option<String>,
        /// Participants (default 1,000,000; quick 20,000).
        #[arg(long)]
        participants: Option<usize>,
        /// Offers (default 200,000; quick 5,000).
        #[arg(long)]
        offers: Option<usize>,
        /// Coaches (default 5,000; quick 500).
        #[arg(long)]
        coaches: Option<usize>,
        /// Seconds per workload and concurrency (default 10; quick 3).
        #[arg(long)]
        seconds: Option<f64>,
        /// Concurrency levels, comma-separated (default 1,16,64; quick 1,16).
        #[arg(long, value_delimiter = ',')]
        concurrency: Vec<usize>,
        /// Dataset seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Only these workloads, comma-separated (default: all but upsert_offer; none only loads):
        /// shortlist_regional, shortlist_national, recommend, search, mixed, ingest, upsert_offer (one
        /// new offer per call).
        #[arg(long, value_delimiter = ',')]
        workloads: Vec<String>,
        /// Where to write the JSON result.
        #[arg(long, default_value = "bench-result.json")]
        out: PathBuf,
    },
    /// Many clients for minutes, a share writing: write latency and data-directory growth.
    Soak {
        /// The `pomost` binary to start (with a fresh data directory).
        #[arg(long, default_value = "target/release/pomost")]
        server: PathBuf,
        /// Participants to load.
        #[arg(long, default_value_t = 100_000)]
        participants: usize,
        /// Offers to load.
        #[arg(long, default_value_t = 20_000)]
        offers: usize,
        /// Coaches to load.
        #[arg(long, default_value_t = 1_000)]
        coaches: usize,
        /// Clients in flight.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Seconds to run.
        #[arg(long, default_value_t = 300.0)]
        seconds: f64,
        /// Every n-th request of a client is a write (4: a quarter).
        #[arg(long, default_value_t = 4)]
        write_every: usize,
        /// Dataset seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Where to write the JSON result.
        #[arg(long, default_value = "soak-result.json")]
        out: PathBuf,
    },
    /// The exposure report over a month of audit: from the daily sums, with partial days,
    /// and read from the entries only.
    ExposureMonth {
        /// The `pomost` binary to start.
        #[arg(long, default_value = "target/release/pomost")]
        server: PathBuf,
        /// Shortlists audited a day.
        #[arg(long, default_value_t = 20_000)]
        lists_per_day: usize,
        /// Days.
        #[arg(long, default_value_t = 30)]
        days: i64,
        /// Where to write the JSON result.
        #[arg(long, default_value = "exposure-month.json")]
        out: PathBuf,
    },
    /// AssignBatch on a loaded dataset against greedy one-offer-at-a-time shortlisting:
    /// time, total score, people placed, coach hours over capacity.
    Assign {
        /// The `pomost` binary to start (with a fresh data directory).
        #[arg(long, default_value = "target/release/pomost")]
        server: PathBuf,
        /// Participants to load.
        #[arg(long, default_value_t = 100_000)]
        participants: usize,
        /// Offers to load (all of them form the batch).
        #[arg(long, default_value_t = 2_000)]
        offers: usize,
        /// Coaches to load.
        #[arg(long, default_value_t = 1_000)]
        coaches: usize,
        /// Candidates per open position.
        #[arg(long, default_value_t = 5)]
        per_position: u32,
        /// Also solve with this many per position (the cost of the restriction).
        #[arg(long)]
        wide: Option<u32>,
        /// Share of each coach's free hours left free (the rest committed elsewhere), for
        /// batches where coaches' hours bind.
        #[arg(long, default_value_t = 1.0)]
        coach_hours: f64,
        /// Load into and measure a server already running at this address (with a fresh
        /// data directory) instead of starting one.
        #[arg(long)]
        addr: Option<String>,
        /// Dataset seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Where to write the JSON result.
        #[arg(long, default_value = "assign-result.json")]
        out: PathBuf,
    },
    /// The same dataset in Pomost and in PostgreSQL with PostGIS, the same top-50 shortlists
    /// asked of both, timed side by side (PostgreSQL started by benches/postgres/start.sh
    /// unless --pg-url is given).
    Baseline {
        /// The `pomost` binary to start (with a fresh data directory).
        #[arg(long, default_value = "target/release/pomost")]
        server: PathBuf,
        /// Participants to load into both.
        #[arg(long, default_value_t = 1_000_000)]
        participants: usize,
        /// Offers to load into Pomost (the 50 regional offers are among the first 2,000).
        #[arg(long, default_value_t = 2_000)]
        offers: usize,
        /// Coaches to load into both.
        #[arg(long, default_value_t = 5_000)]
        coaches: usize,
        /// A PostgreSQL (with PostGIS available) to load into instead of starting one.
        #[arg(long)]
        pg_url: Option<String>,
        /// Times each of the 50 regional offers is asked of each side.
        #[arg(long, default_value_t = 2)]
        regional_rounds: usize,
        /// Times the national offer is asked of each side.
        #[arg(long, default_value_t = 10)]
        national_rounds: usize,
        /// Dataset seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Where to write the JSON result.
        #[arg(long, default_value = "baseline-result.json")]
        out: PathBuf,
    },
    /// Replicas on one PostgreSQL: shortlist and write throughput with one and two
    /// replicas, write-to-visible latency across them, a replica's cold start (a throwaway
    /// PostgreSQL is started by benches/postgres/start.sh unless --pg-url is given).
    Replicas {
        /// The `pomost` binary to start (each replica with a fresh data directory).
        #[arg(long, default_value = "target/release/pomost")]
        server: PathBuf,
        /// Participants to load.
        #[arg(long, default_value_t = 1_000_000)]
        participants: usize,
        /// Offers to load.
        #[arg(long, default_value_t = 2_000)]
        offers: usize,
        /// Coaches to load.
        #[arg(long, default_value_t = 5_000)]
        coaches: usize,
        /// Requests in flight in each step, over all replicas.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Seconds per step.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// Write-to-visible samples.
        #[arg(long, default_value_t = 300)]
        samples: usize,
        /// An empty PostgreSQL database to use instead of starting one.
        #[arg(long)]
        pg_url: Option<String>,
        /// Dataset seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Where to write the JSON result.
        #[arg(long, default_value = "replicas-result.json")]
        out: PathBuf,
    },
    /// The placement cycle: push-to-match latency at watching units, referral throughput,
    /// and coach over-commitment in a simulated month with reservations off and on.
    Placement {
        /// The `pomost` binary to start (with a fresh data directory).
        #[arg(long, default_value = "target/release/pomost")]
        server: PathBuf,
        /// Participants to load.
        #[arg(long, default_value_t = 1_000_000)]
        participants: usize,
        /// Coaches to load.
        #[arg(long, default_value_t = 5_000)]
        coaches: usize,
        /// Offers to load before measuring.
        #[arg(long, default_value_t = 2_000)]
        offers: usize,
        /// Units holding a watch.
        #[arg(long, default_value_t = 20)]
        watchers: usize,
        /// Offers pushed for the watch latency.
        #[arg(long, default_value_t = 200)]
        pushes: usize,
        /// Referrals made and moved for the throughput.
        #[arg(long, default_value_t = 5_000)]
        referrals: usize,
        /// Clients in flight for the throughput.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// New offers in the simulated month.
        #[arg(long, default_value_t = 1_000)]
        month_offers: usize,
        /// Dataset seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Where to write the JSON result.
        #[arg(long, default_value = "placement-result.json")]
        out: PathBuf,
    },
    /// Occupation suggestion: measure on the held-out fifth of hand-coded advertisements,
    /// tune on another fifth, or train the shipped model on all of them.
    Occupations {
        /// The hand-coded advertisements (code,title,description,portal).
        #[arg(long, default_value = "../shared/taxonomy/job-ads-hand-coded.csv")]
        ads: PathBuf,
        /// What to do.
        #[arg(value_enum, default_value_t = OccupationsMode::Eval)]
        mode: OccupationsMode,
        /// Where `train` writes the model.
        #[arg(long, default_value = "crates/pomost-taxonomy/data/occupation-model.bin.gz")]
        out: PathBuf,
    },
    /// Offer search on inflected Polish queries: recall@10 and empty answers, with the
    /// light stemmer (before) and the Morfologik lemmas (after).
    SearchRecall {
        /// The queries (code, form, query).
        #[arg(long, default_value = "benches/data/inflected-queries.tsv")]
        queries: PathBuf,
    },
    /// Turn results into docs/benchmarks/README.md with SVG charts.
    Report {
        /// Result files from `run` (a `baseline` result gets its chart).
        #[arg(required = true)]
        results: Vec<PathBuf>,
        /// Output directory.
        #[arg(long, default_value = "docs/benchmarks")]
        out: PathBuf,
    },
}

/// What `occupations` does.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum OccupationsMode {
    /// Train on four fifths, measure on the held-out fifth.
    Eval,
    /// Try settings on the tuning fifth.
    Tune,
    /// Train on every advertisement and write the shipped model.
    Train,
}

fn occupations(ads: &std::path::Path, mode: OccupationsMode, out: &std::path::Path) -> Result<(), String> {
    use pomost_bench::occupations as occ;
    let ads = occ::read_ads(ads)?;
    let settings = occ::Settings::default();
    match mode {
        OccupationsMode::Tune => occ::tune(&ads),
        OccupationsMode::Eval => {
            let fit: Vec<&occ::Ad> = ads.iter().filter(|ad| occ::fifth(ad) != 0).collect();
            let test: Vec<&occ::Ad> = ads.iter().filter(|ad| occ::fifth(ad) == 0).collect();
            let started = std::time::Instant::now();
            let model = occ::train(&fit, &settings);
            println!("trained on {} ads and the vocabulary in {:.1} s", fit.len(), started.elapsed().as_secs_f64());
            println!("held-out {}", occ::summary(&occ::evaluate(&model, &test, settings.score, false)));
            println!(
                "held-out, title and description sent as one line: {}",
                occ::summary(&occ::evaluate(&model, &test, settings.score, true))
            );
        }
        OccupationsMode::Train => {
            let all: Vec<&occ::Ad> = ads.iter().collect();
            let model = occ::train(&all, &settings);
            let file = std::fs::File::create(out).map_err(|error| format!("{}: {error}", out.display()))?;
            let mut gz = flate2::write::GzEncoder::new(std::io::BufWriter::new(file), flate2::Compression::best());
            model.write(&mut gz).map_err(|error| error.to_string())?;
            gz.finish().map_err(|error| error.to_string())?;
            println!("wrote {} ({} occupations, trained on {} ads)", out.display(), model.codes().len(), all.len());
        }
    }
    Ok(())
}

fn commit() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".into())
}

/// The dataset and server of a measurement that is not a timed workload run: the `pomost`
/// binary to start (unless `addr` names a running server), the dataset's sizes
/// (participants, offers, coaches), the concurrency it uses and the seed.
fn one_measurement(
    server: PathBuf,
    addr: Option<String>,
    (participants, offers, coaches): (usize, usize, usize),
    concurrency: usize,
    seed: u64,
) -> RunOptions {
    RunOptions {
        server: if addr.is_some() { None } else { Some(server) },
        addr,
        participants,
        offers,
        coaches,
        seconds: 0.0,
        concurrency: vec![concurrency],
        seed,
        commit: commit(),
        workloads: Vec::new(),
    }
}

/// Runs a measurement on a multi-threaded runtime, prints its summary and writes its JSON.
fn measure<T: serde::Serialize>(
    work: impl std::future::Future<Output = Result<T, String>>,
    summary: impl Fn(&T) -> String,
    out: &std::path::Path,
) -> ExitCode {
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| error.to_string())
        .and_then(|runtime| runtime.block_on(work));
    let written = result.and_then(|result| {
        println!("{}", summary(&result));
        let json = serde_json::to_string_pretty(&result).map_err(|error| error.to_string())?;
        std::fs::write(out, json).map_err(|error| format!("{}: {error}", out.display()))
    });
    match written {
        Ok(()) => {
            println!("wrote {}", out.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("pomost-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Run {
            quick,
            server,
            addr,
            participants,
            offers,
            coaches,
            seconds,
            concurrency,
            seed,
            workloads,
            out,
        } => {
            let options = RunOptions {
                server: if addr.is_some() { None } else { Some(server) },
                addr,
                participants: participants.unwrap_or(if quick { 20_000 } else { 1_000_000 }),
                offers: offers.unwrap_or(if quick { 5_000 } else { 200_000 }),
                coaches: coaches.unwrap_or(if quick { 500 } else { 5_000 }),
                seconds: seconds.unwrap_or(if quick { 3.0 } else { 10.0 }),
                concurrency: if concurrency.is_empty() {
                    if quick { vec![1, 16] } else { vec![1, 16, 64] }
                } else {
                    concurrency
                },
                seed,
                commit: commit(),
                workloads,
            };
            measure(run::run(options), |result| result.markdown(), &out)
        }
        Command::Soak { server, participants, offers, coaches, concurrency, seconds, write_every, seed, out } => {
            let options = SoakOptions {
                run: RunOptions {
                    server: Some(server),
                    addr: None,
                    participants,
                    offers,
                    coaches,
                    seconds,
                    concurrency: vec![concurrency],
                    seed,
                    commit: commit(),
                    workloads: Vec::new(),
                },
                concurrency,
                seconds,
                write_every,
                sample_seconds: 60.0,
            };
            // The exposure report's chart goes beside the JSON.
            let chart = out.with_extension("svg");
            measure(
                soak::soak(options),
                |result| {
                    if !result.exposure.is_empty() {
                        match report::exposure_chart(&result.exposure, &chart) {
                            Ok(()) => println!("wrote {}", chart.display()),
                            Err(error) => eprintln!("pomost-bench: {}: {error}", chart.display()),
                        }
                    }
                    result.markdown()
                },
                &out,
            )
        }
        Command::ExposureMonth { server, lists_per_day, days, out } => {
            let options = pomost_bench::exposure_month::MonthOptions { server, lists_per_day, days, commit: commit() };
            measure(
                pomost_bench::exposure_month::measure(options),
                pomost_bench::exposure_month::MonthResult::markdown,
                &out,
            )
        }
        Command::Assign { server, participants, offers, coaches, per_position, wide, coach_hours, addr, seed, out } => {
            let options = pomost_bench::assign::AssignOptions {
                run: one_measurement(server, addr, (participants, offers, coaches), 1, seed),
                per_position,
                wide_per_position: wide,
                coach_hours_share: coach_hours,
            };
            measure(pomost_bench::assign::measure(options), |result| result.markdown(), &out)
        }
        Command::Replicas {
            server,
            participants,
            offers,
            coaches,
            concurrency,
            seconds,
            samples,
            pg_url,
            seed,
            out,
        } => {
            let mut run = one_measurement(server, None, (participants, offers, coaches), concurrency, seed);
            run.seconds = seconds;
            let options = pomost_bench::replicas::ReplicaOptions { run, pg_url, samples };
            measure(pomost_bench::replicas::measure(options), pomost_bench::replicas::ReplicaResult::markdown, &out)
        }
        Command::Baseline {
            server,
            participants,
            offers,
            coaches,
            pg_url,
            regional_rounds,
            national_rounds,
            seed,
            out,
        } => {
            let options = pomost_bench::baseline::BaselineOptions {
                run: one_measurement(server, None, (participants, offers, coaches), 1, seed),
                pg_url,
                regional_rounds,
                national_rounds,
            };
            // The chart goes beside the JSON (baseline-1m.json → baseline-1m.svg).
            let chart = out.with_extension("svg");
            measure(
                pomost_bench::baseline::measure(options),
                |result| {
                    match report::baseline_chart(result, &chart) {
                        Ok(()) => println!("wrote {}", chart.display()),
                        Err(error) => eprintln!("pomost-bench: {}: {error}", chart.display()),
                    }
                    result.markdown()
                },
                &out,
            )
        }
        Command::Placement {
            server,
            participants,
            coaches,
            offers,
            watchers,
            pushes,
            referrals,
            concurrency,
            month_offers,
            seed,
            out,
        } => {
            let options = pomost_bench::placement::PlacementOptions {
                run: one_measurement(server, None, (participants, offers, coaches), concurrency, seed),
                watchers,
                pushes,
                referrals,
                concurrency,
                month_offers,
            };
            measure(pomost_bench::placement::measure(options), |result| result.markdown(), &out)
        }
        Command::Occupations { ads, mode, out } => match occupations(&ads, mode, &out) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("pomost-bench: {error}");
                ExitCode::FAILURE
            }
        },
        Command::SearchRecall { queries } => {
            let today = time::OffsetDateTime::now_utc().date();
            let result = pomost_bench::search_recall::read_queries(&queries)
                .and_then(|queries| pomost_bench::search_recall::measure(&queries, today));
            match result {
                Ok(rows) => {
                    println!(
                        "{:<28} {:<10} {:>7} {:>10} {:>9}",
                        "analyzer", "form", "queries", "recall@10", "no result"
                    );
                    for (analyzer, form, recall) in rows {
                        println!(
                            "{analyzer:<28} {form:<10} {:>7} {:>9.1}% {:>8.1}%",
                            recall.queries,
                            recall.recall_at_10 * 100.0,
                            recall.zero_results * 100.0
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("pomost-bench: {error}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Report { results, out } => {
            let mut runs: Vec<RunResult> = Vec::new();
            for path in &results {
                match std::fs::read_to_string(path)
                    .map_err(|error| error.to_string())
                    .and_then(|text| serde_json::from_str(&text).map_err(|error| error.to_string()))
                {
                    Ok(run) => runs.push(run),
                    Err(error) => {
                        // A baseline result gets its chart beside the report.
                        let baseline = std::fs::read_to_string(path).ok().and_then(|text| {
                            serde_json::from_str::<pomost_bench::baseline::BaselineResult>(&text).ok()
                        });
                        let chart = out.join(path.with_extension("svg").file_name().unwrap_or_default());
                        match baseline.map(|baseline| report::baseline_chart(&baseline, &chart)) {
                            Some(Ok(())) => println!("wrote {}", chart.display()),
                            _ => {
                                eprintln!("pomost-bench: {}: {error}", path.display());
                                return ExitCode::FAILURE;
                            }
                        }
                    }
                }
            }
            match report::write(&runs, &out) {
                Ok(()) => {
                    println!("wrote {}", out.join("README.md").display());
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("pomost-bench: {error}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
