//! `pomost simulate`: the ranking run offline on a seeded synthetic world, to see what a
//! shortlist looks like and how fast it is made, without a server or data.

use std::time::Instant;

use clap::ValueEnum;
use pomost_domain::Offer;
use pomost_scoring::{ParticipantPool, ScoringPolicy, Shortlist, ShortlistRequest};
use pomost_synth::Synth;
use time::Date;
use time::macros::date;

/// Which synthetic offer to shortlist for.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OfferChoice {
    /// Cleaning work in Kraków (commute matters).
    Regional,
    /// Remote data entry open to the whole country.
    Remote,
}

/// Options of `pomost simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Participants to generate.
    #[arg(long, default_value_t = 100_000)]
    participants: usize,
    /// Job coaches to generate.
    #[arg(long, default_value_t = 5_000)]
    coaches: usize,
    /// Seed of the synthetic world.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Which offer to shortlist for.
    #[arg(long, value_enum, default_value_t = OfferChoice::Regional)]
    offer: OfferChoice,
    /// How many candidates to show.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Print the shortlist as JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// The day synthetic worlds are seen from, fixed so runs are repeatable.
const SYNTH_TODAY: Date = date!(2026 - 11 - 24);

/// Builds the synthetic pool and prints (or emits as JSON) one shortlist.
pub fn simulate(args: &SimulateArgs) -> Result<(), String> {
    let synth = Synth::new(args.seed, SYNTH_TODAY);
    let started = Instant::now();
    let pool = ParticipantPool::build(
        &pomost_synth::relatedness(),
        synth.participants(args.participants),
        synth.coaches(args.coaches),
    )
    .map_err(|error| error.to_string())?;
    let built_in = started.elapsed();
    let offer = match args.offer {
        OfferChoice::Regional => synth.regional_offer(),
        OfferChoice::Remote => synth.remote_offer(),
    };
    let policy = ScoringPolicy::default();
    let started = Instant::now();
    let shortlist = pool
        .shortlist(&policy, &ShortlistRequest { offer: &offer, k: args.k, today: SYNTH_TODAY })
        .map_err(|error| error.to_string())?;
    let ranked_in = started.elapsed();
    if args.json {
        let json = serde_json::to_string_pretty(&shortlist).map_err(|error| error.to_string())?;
        println!("{json}");
        return Ok(());
    }
    let stats = pool.stats();
    println!(
        "pool: {} participants, {} coaches, {} skills; built in {:.2?}; {:.0} bytes/participant excluding strings",
        stats.participants,
        stats.coaches,
        stats.skills,
        built_in,
        stats.bytes_excluding_strings as f64 / stats.participants.max(1) as f64
    );
    print_shortlist(&offer, &shortlist);
    println!("ranked in {ranked_in:.2?}");
    Ok(())
}

fn print_shortlist(offer: &Offer, shortlist: &Shortlist) {
    println!("offer {}: {} ({}), policy {}", offer.key, offer.title, offer.employer.name, shortlist.policy_version);
    println!("{:>3}  {:<22} {:>6}  {:<14} factors (value × weight)", "#", "participant", "score", "coach");
    for (rank, candidate) in shortlist.candidates.iter().enumerate() {
        let coach = match (&candidate.suggested_coach, candidate.employer_mentor) {
            (Some(coach), _) => coach.to_string(),
            (None, true) => "employer mentor".to_owned(),
            (None, false) => "-".to_owned(),
        };
        let factors: Vec<String> = candidate
            .factors
            .iter()
            .map(|factor| format!("{} {:.2}×{:.2}", factor.factor.name(), factor.value, factor.weight))
            .collect();
        println!(
            "{:>3}  {:<22} {:>6.3}  {:<14} {}",
            rank + 1,
            candidate.participant_id,
            candidate.score,
            coach,
            factors.join(", ")
        );
    }
    println!("eligible: {} of {}", shortlist.eligible, shortlist.pool_size);
    for (reason, count) in shortlist.excluded.non_zero() {
        println!("excluded, {}: {count}", reason.name());
    }
}
