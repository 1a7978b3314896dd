//! The `pomost` command: `serve` runs the gRPC service; the client commands (`shortlist`,
//! `recommend`, `explain`, `offers push`, `participants import`, `audit`, `refer`,
//! `referrals`, `outcomes`, `watch`) call a running service; `hash-key` prints what to put in the configuration for an API key; `simulate`
//! runs the ranking offline on synthetic data.
//!
//! Exit codes: 0 done, 1 failed, 2 wrong usage, 3 done with some rows rejected.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pomost::client::{self, CliError, Client, Connection};
use pomost::config::{Overrides, Settings};
use pomost::placement_cli;
use pomost::simulate::{SimulateArgs, simulate};

/// mimalloc instead of glibc's allocator: a shortlist's explanations are built on a ranking
/// thread and freed on a tokio thread, and glibc's per-thread arenas spent about a tenth of
/// the server's CPU in `malloc`, `free` and `malloc_consolidate` on that traffic (see the
/// README's benchmark table for the before and after).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Pomost: ranked, explained shortlists of people in reintegration for job offers.
#[derive(Debug, Parser)]
#[command(name = "pomost", version, about)]
struct Cli {
    #[command(flatten)]
    connection: Connection,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gRPC service (defaults: 127.0.0.1:50051, data in ./data, dev mode without keys).
    Serve {
        /// TOML configuration files, later ones override earlier ones (see
        /// config/default.toml for every option); repeat the flag or separate with commas.
        #[arg(long, env = "POMOST_CONFIG", value_delimiter = ',')]
        config: Vec<PathBuf>,
        /// Listen address, e.g. 127.0.0.1:50051.
        #[arg(long)]
        listen: Option<String>,
        /// Data directory.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Log JSON lines.
        #[arg(long)]
        log_json: bool,
        /// Seed the demo dataset when the data directory is empty.
        #[arg(long)]
        demo: bool,
    },
    /// Ranked, explained shortlist of participants for a stored offer.
    Shortlist {
        /// The offer, as SOURCE/EXTERNAL_ID.
        #[arg(long)]
        offer: String,
        /// How many candidates (0: the service's default of 20).
        #[arg(long, default_value_t = 20)]
        k: u32,
        /// Day the list is made for (YYYY-MM-DD); today if omitted.
        #[arg(long, default_value = "")]
        as_of: String,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Offers recommended to a participant.
    Recommend {
        /// Participant id.
        #[arg(long)]
        participant: String,
        /// How many offers.
        #[arg(long, default_value_t = 10)]
        k: u32,
        /// Words to narrow the offers.
        #[arg(long, default_value = "")]
        text: String,
        /// Day (YYYY-MM-DD); today if omitted.
        #[arg(long, default_value = "")]
        as_of: String,
    },
    /// One participant against one offer: every factor, or every reason they are not listed.
    Explain {
        /// Participant id.
        #[arg(long)]
        participant: String,
        /// The offer, as SOURCE/EXTERNAL_ID.
        #[arg(long)]
        offer: String,
        /// Day (YYYY-MM-DD); today if omitted.
        #[arg(long, default_value = "")]
        as_of: String,
    },
    /// Job offers.
    Offers {
        #[command(subcommand)]
        command: OffersCommand,
    },
    /// Participants.
    Participants {
        #[command(subcommand)]
        command: ParticipantsCommand,
    },
    /// Job coaches.
    Coaches {
        #[command(subcommand)]
        command: CoachesCommand,
    },
    /// Refer a participant to an offer (proposed), optionally with a job coach whose hours
    /// the referral reserves.
    Refer {
        /// Participant id.
        #[arg(long)]
        participant: String,
        /// The offer, as SOURCE/EXTERNAL_ID.
        #[arg(long)]
        offer: String,
        /// Job coach to accompany the person (e.g. the shortlist's suggested coach).
        #[arg(long)]
        coach: Option<String>,
        /// Repeating the command with the same key makes no second referral.
        #[arg(long)]
        idempotency_key: Option<String>,
    },
    /// Open referrals as a table (state, days since the last move); `referrals move` moves one.
    Referrals {
        #[command(subcommand)]
        what: Option<ReferralsCommand>,
        /// Only this unit's.
        #[arg(long)]
        unit: Option<String>,
        /// Only for this offer, as SOURCE/EXTERNAL_ID.
        #[arg(long)]
        offer: Option<String>,
        /// Only this participant's.
        #[arg(long)]
        participant: Option<String>,
        /// Ended referrals too.
        #[arg(long)]
        all: bool,
    },
    /// Placement and retention rates as a table; `outcomes record` records a retention check.
    Outcomes {
        #[command(subcommand)]
        what: Option<OutcomesCommand>,
        /// Rows: offer, employer, unit, stage or group.
        #[arg(long, default_value = "offer")]
        by: String,
        /// Only this unit's referrals.
        #[arg(long)]
        unit: Option<String>,
        /// Hide cells with fewer people (never below the service's minimum).
        #[arg(long, default_value_t = 0)]
        min_cell: u32,
    },
    /// Many people on many offers at once (the exact batch assignment under positions and
    /// job coaches' hours); prints each offer's people and who was left out and why.
    Assign {
        /// A file of SOURCE/EXTERNAL_ID lines.
        #[arg(long, conflicts_with = "region")]
        offers: Option<PathBuf>,
        /// Every on-site offer open today in this TERYT region (2, 4, 6 or 7 digits).
        #[arg(long)]
        region: Option<String>,
        /// Only this unit's people.
        #[arg(long)]
        unit: Option<String>,
        /// Candidates per open position (0: the service's 5).
        #[arg(long, default_value_t = 0)]
        per_position: u32,
        /// Also make each assigned pair a proposed referral.
        #[arg(long)]
        propose: bool,
    },
    /// New matches for a unit's people as offers arrive (runs until interrupted; resumes by
    /// itself after a disconnect).
    Watch {
        /// The unit (or labour office) id.
        #[arg(long)]
        unit: String,
        /// Only people scoring at least this.
        #[arg(long, default_value_t = 0.0)]
        min_score: f32,
        /// At most this many people per offer.
        #[arg(long, default_value_t = 10)]
        k: u32,
        /// Resume after this change sequence number (0: from now).
        #[arg(long, default_value_t = 0)]
        after: u64,
    },
    /// KZiS 2023 occupations.
    Occupations {
        #[command(subcommand)]
        command: OccupationsCommand,
    },
    /// Skills (ESCO in Polish and the local skills of reintegration work).
    Skills {
        #[command(subcommand)]
        command: SkillsCommand,
    },
    /// Recent entries of the audit log (admin key); `audit size` for its size on disk.
    Audit {
        #[command(subcommand)]
        what: Option<AuditCommand>,
        /// Only this API key name.
        #[arg(long, default_value = "")]
        caller: String,
        /// Only this offer, as SOURCE/EXTERNAL_ID.
        #[arg(long)]
        offer: Option<String>,
        /// At most this many entries.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Full integrity check of a data directory (the service must be stopped): decodes and
    /// checksums every record, change and audit entry; prints each damaged key; exits 1 if
    /// any is damaged.
    Check {
        /// Data directory.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
    },
    /// Online backup while the service runs and writes: a consistent copy of the store and
    /// the audit log (SQLite's backup API) in one .tar.gz with the policy and vocabulary
    /// versions; the offer index is rebuilt on restore.
    Backup {
        /// Data directory of the (running or stopped) service.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
        /// The backup file to write (.tar.gz).
        #[arg(long)]
        to: PathBuf,
        /// The scoring policy TOML the service runs with, to record its version; the
        /// built-in policy if omitted.
        #[arg(long)]
        policy: Option<PathBuf>,
    },
    /// Restore a backup into a new (empty) data directory, checking every record first.
    Restore {
        /// The backup file (.tar.gz).
        #[arg(long)]
        from: PathBuf,
        /// The data directory to create.
        #[arg(long)]
        data_dir: PathBuf,
    },
    /// Print the SHA-256 of an API key, for [[auth.keys]] in the configuration.
    HashKey {
        /// The bearer token.
        token: String,
    },
    /// Build a synthetic pool and print a shortlist with its explanation.
    Simulate(SimulateArgs),
}

#[derive(Debug, Subcommand)]
enum CoachesCommand {
    /// Register job coaches in bulk from CSV (`.csv`) or NDJSON (exit 3 when rows are
    /// rejected, each named with its line).
    Import {
        /// The file.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum OccupationsCommand {
    /// The occupations that best fit a text (an offer's title, then its description).
    Suggest {
        /// The text; its first line is read as the title when short.
        text: String,
        /// How many suggestions.
        #[arg(long, default_value_t = 5)]
        k: u32,
    },
}

#[derive(Debug, Subcommand)]
enum SkillsCommand {
    /// The skills a text file names, with where.
    Extract {
        /// A UTF-8 text file (e.g. a job advertisement); `-` reads standard input.
        file: PathBuf,
    },
    /// Import a full ESCO release of the skills pillar (CSV with conceptUri, preferredLabel,
    /// altLabels; Polish) into a data directory: skills gain their URIs as ids, new ones
    /// are added. The service reads it at its next start.
    Import {
        /// The ESCO CSV file (e.g. skills_pl.csv).
        file: PathBuf,
        /// Data directory.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// The audit log's size on disk, its entries, retention and archives.
    Size,
    /// Exposure audit, offline: rank every open offer of a data directory (service stopped)
    /// or of the demo, and compare each group's share of ranking attention in the top 5 and
    /// top 20 with its share of eligible people; ratios under 0.8 are flagged (exit 3).
    Exposure {
        /// Data directory to audit.
        #[arg(long, conflicts_with = "demo")]
        data_dir: Option<PathBuf>,
        /// Audit the demo dataset (built in a temporary directory).
        #[arg(long)]
        demo: bool,
        /// With --demo: another synthetic population (the demo's is 2026).
        #[arg(long)]
        seed: Option<u64>,
        /// Day the offers must be open on (YYYY-MM-DD); today if omitted.
        #[arg(long)]
        as_of: Option<String>,
        /// A scoring policy TOML file; the built-in policy if omitted.
        #[arg(long)]
        policy: Option<PathBuf>,
    },
    /// Exposure report of a running service, from its audit and referral records (no
    /// re-ranking): each group's share of shortlist attention against its share of the
    /// eligible pool, and of referrals and hires; under four fifths flagged (exit 3).
    Report {
        /// From this day (YYYY-MM-DD, UTC); no bound if omitted.
        #[arg(long)]
        from: Option<String>,
        /// Before this day (YYYY-MM-DD, UTC); no bound if omitted.
        #[arg(long)]
        until: Option<String>,
        /// Only offers in this TERYT unit.
        #[arg(long, default_value = "")]
        region: String,
        /// Hide groups with fewer people (never below the service's minimum).
        #[arg(long, default_value_t = 0)]
        min_cell: u32,
    },
}

#[derive(Debug, Subcommand)]
enum ReferralsCommand {
    /// Move a referral: sent, interview, hired, declined (with --declined-by and --reason)
    /// or withdrawn (with --reason).
    Move {
        /// The referral id (ref-N).
        id: String,
        /// Where to.
        #[arg(long)]
        to: String,
        /// For declined: person or employer.
        #[arg(long)]
        declined_by: Option<String>,
        /// Reason code (see the API's MoveReferralRequest for the lists).
        #[arg(long)]
        reason: Option<String>,
        /// For hired: first day of work (YYYY-MM-DD).
        #[arg(long)]
        start_date: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum OutcomesCommand {
    /// Record the 1-, 3- or 6-month retention check of a hire.
    Record {
        /// The hire's referral id.
        id: String,
        /// 1, 3 or 6.
        #[arg(long)]
        month: u32,
        /// employed, left or unknown.
        #[arg(long)]
        retention: String,
        /// For left: resigned, dismissed, contract_ended, health, moved, other.
        #[arg(long)]
        reason: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum OffersCommand {
    /// Push offers from a JSON array or NDJSON file (one offer per line).
    Push {
        /// The file.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum ParticipantsCommand {
    /// Import participants from CSV (.csv) or NDJSON; see the README for the CSV columns.
    Import {
        /// The file.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let connection = cli.connection;
    let result = match cli.command {
        Command::Serve { config, listen, data_dir, log_json, demo } => {
            serve(config, Overrides { listen, data_dir, log_json, demo })
        }
        Command::HashKey { token } => {
            println!("{}", pomost::auth::hash_key(&token));
            Ok(())
        }
        Command::Simulate(args) => simulate(&args),
        Command::Audit { what: Some(AuditCommand::Exposure { data_dir, demo, seed, as_of, policy }), .. } => {
            if seed.is_some() && !demo {
                eprintln!("pomost: --seed goes with --demo (it picks the demo's synthetic population)");
                return ExitCode::from(2);
            }
            let demo = demo.then(|| seed.unwrap_or(pomost::demo::DEMO_SEED));
            return match pomost::exposure::run(data_dir.as_deref(), demo, as_of.as_deref(), policy.as_deref()) {
                Ok(false) => ExitCode::SUCCESS,
                Ok(true) => ExitCode::from(3),
                Err(message) => {
                    eprintln!("pomost: {message}");
                    ExitCode::FAILURE
                }
            };
        }
        Command::Skills { command: SkillsCommand::Import { file, data_dir } } => {
            return match pomost::vocabulary::import_esco(&file, &data_dir) {
                Ok(summary) => {
                    println!("{summary}");
                    ExitCode::SUCCESS
                }
                Err(message) => {
                    eprintln!("pomost: {message}");
                    ExitCode::FAILURE
                }
            };
        }
        Command::Backup { data_dir, to, policy } => {
            let policy = match policy {
                Some(path) => {
                    std::fs::read_to_string(&path).map_err(|error| format!("{}: {error}", path.display())).and_then(
                        |text| pomost_scoring::ScoringPolicy::from_toml_str(&text).map_err(|error| error.to_string()),
                    )
                }
                None => Ok(pomost_scoring::ScoringPolicy::default()),
            };
            return match policy.and_then(|policy| pomost::backup::create(&data_dir, &to, &policy.version)) {
                Ok((info, bytes)) => {
                    println!(
                        "backup {}: {:.1} MB, changes up to {}, policy {}, vocabulary {}",
                        to.display(),
                        bytes as f64 / 1e6,
                        info.last_seq,
                        info.policy_version,
                        info.vocabulary_version
                    );
                    ExitCode::SUCCESS
                }
                Err(message) => {
                    eprintln!("pomost: {message}");
                    ExitCode::FAILURE
                }
            };
        }
        Command::Restore { from, data_dir } => {
            return match pomost::backup::restore(&from, &data_dir) {
                Ok(info) => {
                    println!(
                        "restored {} into {} (taken {}, changes up to {}); the offer index is rebuilt at the next start",
                        from.display(),
                        data_dir.display(),
                        info.created_at,
                        info.last_seq
                    );
                    ExitCode::SUCCESS
                }
                Err(message) => {
                    eprintln!("pomost: {message}");
                    ExitCode::FAILURE
                }
            };
        }
        Command::Check { data_dir } => {
            return match pomost::check::run(&data_dir, &mut std::io::stdout()) {
                Ok(0) => ExitCode::SUCCESS,
                Ok(_) => ExitCode::FAILURE,
                Err(message) => {
                    eprintln!("pomost: {message}");
                    ExitCode::FAILURE
                }
            };
        }
        client_command => {
            return match run_client(&connection, client_command) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("pomost: {}", error.message);
                    ExitCode::from(error.code)
                }
            };
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("pomost: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run_client(connection: &Connection, command: Command) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| CliError { code: 1, message: error.to_string() })?;
    runtime.block_on(async move {
        let client = Client::connect(connection).await?;
        match command {
            Command::Shortlist { offer, k, as_of, json } => client::shortlist(&client, &offer, k, as_of, json).await,
            Command::Recommend { participant, k, text, as_of } => {
                client::recommend(&client, participant, k, text, as_of).await
            }
            Command::Explain { participant, offer, as_of } => {
                client::explain(&client, participant, &offer, as_of).await
            }
            Command::Offers { command: OffersCommand::Push { file } } => client::push_offers(&client, &file).await,
            Command::Participants { command: ParticipantsCommand::Import { file } } => {
                client::import_participants(&client, &file).await
            }
            Command::Audit { what: Some(AuditCommand::Size), .. } => client::audit_size(&client).await,
            Command::Audit { what: Some(AuditCommand::Report { from, until, region, min_cell }), .. } => {
                placement_cli::exposure_report(&client, from, until, region, min_cell).await
            }
            Command::Coaches { command: CoachesCommand::Import { file } } => {
                client::import_coaches(&client, &file).await
            }
            Command::Occupations { command: OccupationsCommand::Suggest { text, k } } => {
                client::suggest_occupations(&client, text, k).await
            }
            Command::Skills { command: SkillsCommand::Extract { file } } => {
                client::extract_skills(&client, &file).await
            }
            Command::Skills { command: SkillsCommand::Import { .. } } => unreachable!("handled before connecting"),
            Command::Audit { what: Some(AuditCommand::Exposure { .. }), .. } => {
                unreachable!("handled before connecting")
            }
            Command::Audit { what: None, caller, offer, limit } => client::audit(&client, caller, offer, limit).await,
            Command::Refer { participant, offer, coach, idempotency_key } => {
                placement_cli::refer(&client, participant, &offer, coach, idempotency_key).await
            }
            Command::Referrals {
                what: Some(ReferralsCommand::Move { id, to, declined_by, reason, start_date }),
                ..
            } => placement_cli::move_referral(&client, id, &to, declined_by, reason, start_date).await,
            Command::Referrals { what: None, unit, offer, participant, all } => {
                placement_cli::referrals(&client, unit, offer, participant, all).await
            }
            Command::Outcomes { what: Some(OutcomesCommand::Record { id, month, retention, reason }), .. } => {
                placement_cli::record_outcome(&client, id, month, &retention, reason).await
            }
            Command::Outcomes { what: None, by, unit, min_cell } => {
                placement_cli::outcomes(&client, &by, unit, min_cell).await
            }
            Command::Assign { offers, region, unit, per_position, propose } => {
                placement_cli::assign(&client, offers, region, unit, per_position, propose).await
            }
            Command::Watch { unit, min_score, k, after } => {
                placement_cli::watch(&client, unit, min_score, k, after).await
            }
            Command::Serve { .. }
            | Command::HashKey { .. }
            | Command::Simulate(_)
            | Command::Check { .. }
            | Command::Backup { .. }
            | Command::Restore { .. } => {
                unreachable!("handled before connecting")
            }
        }
    })
}

fn serve(config: Vec<PathBuf>, overrides: Overrides) -> Result<(), String> {
    let files: Vec<&std::path::Path> = config.iter().map(PathBuf::as_path).collect();
    let settings = Settings::load(&files, &overrides)?;
    let runtime = tokio::runtime::Runtime::new().map_err(|error| error.to_string())?;
    let tracing = {
        let _inside = runtime.enter();
        pomost::traces::init(&settings)?
    };
    let served = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .map_err(|error| format!("cannot listen on {}: {error}", settings.listen))?;
        pomost::server::run(settings, listener, shutdown_signal()).await
    });
    {
        // The exporter flushes on its own thread through the runtime's channel.
        let _inside = runtime.enter();
        drop(tracing);
    }
    served
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
