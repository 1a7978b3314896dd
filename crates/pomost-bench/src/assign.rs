//! `pomost-bench assign`: AssignBatch through gRPC on a loaded dataset, against greedy
//! one-offer-at-a-time shortlisting on the same offers, and the cost of restricting the
//! exact solve to each offer's top candidates.
//!
//! Greedy is what an office does with shortlists alone: offer by offer, it takes the top
//! people of the shortlist who are not placed yet, each with the coach the shortlist
//! suggests (a shortlist does not know which coaches the batch already used).

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use pomost::convert;
use pomost::proto::matching_service_client::MatchingServiceClient;
use pomost::proto::participant_service_client::ParticipantServiceClient;
use pomost::proto::{AssignBatchRequest, OfferKey, ShortlistRequest, shortlist_request};
use pomost_synth::Synth;
use serde::Serialize;
use tonic::transport::Channel;

use crate::run::{RunOptions, connect, load, start_server};

/// What to measure.
#[derive(Debug, Clone)]
pub struct AssignOptions {
    /// Dataset and server.
    pub run: RunOptions,
    /// Candidates per position for the headline solve.
    pub per_position: u32,
    /// Also solve with this many per position, to measure what the restriction costs.
    pub wide_per_position: Option<u32>,
    /// Share of each coach's free hours left free (the rest committed elsewhere), to
    /// measure batches where coaches' hours bind; 1 keeps the dataset as generated.
    pub coach_hours_share: f64,
}

/// One way of placing people.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Placing {
    /// Seconds it took through gRPC.
    pub seconds: f64,
    /// Sum of the placed pairs' scores.
    pub total_score: f64,
    /// People placed.
    pub people_placed: usize,
    /// Coaches given more hours than they had free.
    pub coaches_over: usize,
    /// Hours given beyond free capacity, summed over coaches.
    pub hours_over: f64,
    /// Candidate pairs the solve considered (AssignBatch only).
    pub candidate_pairs: u64,
    /// Independent sub-problems (AssignBatch only).
    pub components: u32,
    /// Proven optimal on the candidate graph (AssignBatch only).
    pub optimal: bool,
    /// Upper bound of the best total on the candidate graph (AssignBatch only).
    pub bound: f64,
}

/// The figures.
#[derive(Debug, Clone, Serialize)]
pub struct AssignResult {
    /// Commit measured.
    pub commit: String,
    /// Participants loaded.
    pub participants: usize,
    /// Offers in the batch.
    pub offers: usize,
    /// Open positions of those offers.
    pub positions: u64,
    /// Candidates per position of the headline solve.
    pub per_position: u32,
    /// Share of each coach's generated free hours left free.
    pub coach_hours_share: f64,
    /// The headline solve.
    pub batch: Placing,
    /// The wide solve, if asked for.
    pub wide: Option<(u32, Placing)>,
    /// Greedy one-offer-at-a-time shortlisting.
    pub greedy: Placing,
}

impl AssignResult {
    /// A summary to print.
    pub fn markdown(&self) -> String {
        let row = |name: &str, placing: &Placing| {
            format!(
                "| {name} | {:.2} s | {:.1} | {} | {} coaches, {:.0} h/week | {} | {} |",
                placing.seconds,
                placing.total_score,
                placing.people_placed,
                placing.coaches_over,
                placing.hours_over,
                placing.candidate_pairs,
                if placing.optimal {
                    "yes".to_owned()
                } else if placing.bound > 0.0 {
                    format!("within {:.3}%", (1.0 - placing.total_score / placing.bound) * 100.0)
                } else {
                    "-".to_owned()
                }
            )
        };
        let hours = match self.coach_hours_share < 1.0 {
            true => format!(", coaches left {:.0}% of their free hours", self.coach_hours_share * 100.0),
            false => String::new(),
        };
        let mut text = format!(
            "assign: {} offers ({} open positions) over {} participants{hours}, commit {}\n\n\
             | method | time | total score | people placed | over coach capacity | candidate pairs | optimal |\n\
             |---|---|---|---|---|---|---|\n{}\n{}",
            self.offers,
            self.positions,
            self.participants,
            self.commit,
            row(&format!("AssignBatch ({} per position)", self.per_position), &self.batch),
            row("greedy shortlists", &self.greedy)
        );
        if let Some((wide, placing)) = &self.wide {
            text.push('\n');
            text.push_str(&row(&format!("AssignBatch ({wide} per position)"), placing));
            let gap = 1.0 - self.batch.total_score / placing.total_score.max(f64::EPSILON);
            text.push_str(&format!(
                "\n\nrestricting to {} per position costs {:.3}% of the total",
                self.per_position,
                gap * 100.0
            ));
        }
        text
    }
}

/// The dataset's coaches with `share` of their free hours left free (rounded down to whole
/// hours) and the rest committed.
fn with_hours_share(synth: &Synth, count: usize, share: f64) -> Vec<pomost_domain::JobCoach> {
    synth
        .coaches(count)
        .map(|mut coach| {
            if share < 1.0 {
                let free = (f64::from(coach.free_hours()) * share.max(0.0)).floor() as f32;
                coach.committed_hours = coach.weekly_capacity_hours - free;
            }
            coach
        })
        .collect()
}

/// Hours over free capacity, from the hours each coach was given.
fn over(given: &HashMap<String, f64>, free: &HashMap<String, f32>) -> (usize, f64) {
    given.iter().fold((0, 0.0), |(count, hours), (coach, used)| {
        let free = f64::from(free.get(coach).copied().unwrap_or(0.0));
        if *used > free + 1e-6 { (count + 1, hours + used - free) } else { (count, hours) }
    })
}

async fn batch(
    channel: &Channel,
    keys: &[OfferKey],
    per_position: u32,
    needs: &HashMap<String, f32>,
    free: &HashMap<String, f32>,
) -> Result<Placing, String> {
    let started = Instant::now();
    let answer = MatchingServiceClient::new(channel.clone())
        .max_decoding_message_size(512 << 20)
        .assign_batch(AssignBatchRequest {
            offer_keys: keys.to_vec(),
            candidates_per_position: per_position,
            ..Default::default()
        })
        .await
        .map_err(|status| status.to_string())?
        .into_inner();
    let seconds = started.elapsed().as_secs_f64();
    let mut given: HashMap<String, f64> = HashMap::new();
    for pair in &answer.assignments {
        let candidate = pair.candidate.clone().unwrap_or_default();
        if !candidate.suggested_coach_id.is_empty() {
            *given.entry(candidate.suggested_coach_id).or_default() +=
                f64::from(needs.get(&candidate.participant_id).copied().unwrap_or(0.0));
        }
    }
    let (coaches_over, hours_over) = over(&given, free);
    Ok(Placing {
        seconds,
        total_score: answer.total_score,
        people_placed: answer.assignments.len(),
        coaches_over,
        hours_over,
        candidate_pairs: answer.candidate_pairs,
        components: answer.components,
        optimal: answer.optimal,
        bound: answer.score_bound,
    })
}

async fn greedy(
    channel: &Channel,
    keys: &[OfferKey],
    positions: &HashMap<OfferKey, u32>,
    needs: &HashMap<String, f32>,
    free: &HashMap<String, f32>,
) -> Result<Placing, String> {
    let started = Instant::now();
    let mut matching = MatchingServiceClient::new(channel.clone());
    let mut placed: HashSet<String> = HashSet::new();
    let mut given: HashMap<String, f64> = HashMap::new();
    let mut total = 0.0;
    for key in keys {
        let open = positions.get(key).copied().unwrap_or(0);
        if open == 0 {
            continue;
        }
        let request = ShortlistRequest {
            offer: Some(shortlist_request::Offer::OfferKey(key.clone())),
            k: (open * 5).min(500),
            as_of: String::new(),
            ..Default::default()
        };
        let Ok(list) = matching.shortlist(request).await else { continue };
        let mut taken = 0;
        for candidate in list.into_inner().candidates {
            if taken == open {
                break;
            }
            if !placed.insert(candidate.participant_id.clone()) {
                continue;
            }
            taken += 1;
            total += f64::from(candidate.score);
            if !candidate.suggested_coach_id.is_empty() {
                *given.entry(candidate.suggested_coach_id).or_default() +=
                    f64::from(needs.get(&candidate.participant_id).copied().unwrap_or(0.0));
            }
        }
    }
    let (coaches_over, hours_over) = over(&given, free);
    Ok(Placing {
        seconds: started.elapsed().as_secs_f64(),
        total_score: total,
        people_placed: placed.len(),
        coaches_over,
        hours_over,
        ..Placing::default()
    })
}

/// Loads the dataset and runs the solves and the greedy baseline.
pub async fn measure(options: AssignOptions) -> Result<AssignResult, String> {
    let today = time::OffsetDateTime::now_utc().date();
    let mut server = start_server(&options.run)?;
    let channel = connect(server.addr()).await?;
    load(&channel, &options.run, today, &[], &[]).await?;
    let synth = Synth::new(options.run.seed, today);
    let offers: Vec<pomost_domain::Offer> = synth.offers(options.run.offers).collect();
    let keys: Vec<OfferKey> = offers.iter().map(|offer| convert::offer_key_to_wire(&offer.key)).collect();
    let positions: HashMap<OfferKey, u32> = offers
        .iter()
        .map(|offer| {
            (convert::offer_key_to_wire(&offer.key), if offer.is_open_on(today) { offer.positions } else { 0 })
        })
        .collect();
    let coaches = with_hours_share(&synth, options.run.coaches, options.coach_hours_share);
    if options.coach_hours_share < 1.0 {
        let wire: Vec<_> = coaches.iter().map(convert::coach_to_wire).collect();
        let reply = ParticipantServiceClient::new(channel.clone())
            .upsert_job_coaches(tokio_stream::iter(wire))
            .await
            .map_err(|status| status.to_string())?
            .into_inner();
        if reply.rejected > 0 {
            return Err(format!("{} coaches rejected when their hours were cut", reply.rejected));
        }
    }
    let free: HashMap<String, f32> = coaches.iter().map(|coach| (coach.id.to_string(), coach.free_hours())).collect();
    let needs: HashMap<String, f32> = synth
        .participants(options.run.participants)
        .filter(|person| person.coach_hours_per_week > 0.0)
        .map(|person| (person.id.to_string(), person.coach_hours_per_week))
        .collect();
    let headline = batch(&channel, &keys, options.per_position, &needs, &free).await?;
    eprintln!("AssignBatch: {:.2} s, total {:.1}", headline.seconds, headline.total_score);
    let wide = match options.wide_per_position {
        Some(wide) => Some((wide, batch(&channel, &keys, wide, &needs, &free).await?)),
        None => None,
    };
    let greedy = greedy(&channel, &keys, &positions, &needs, &free).await?;
    server.stop();
    Ok(AssignResult {
        commit: options.run.commit.clone(),
        participants: options.run.participants,
        offers: keys.len(),
        positions: positions.values().map(|open| u64::from(*open)).sum(),
        per_position: options.per_position,
        coach_hours_share: options.coach_hours_share,
        batch: headline,
        wide,
        greedy,
    })
}
