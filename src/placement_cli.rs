//! The caseworker's placement commands: `pomost refer`, `pomost referrals` (a table of open
//! referrals, or `referrals move`), `pomost outcomes` (the statistics table, or `outcomes
//! record`), and `pomost watch` (new matches as they come, resuming after a disconnect).

use std::time::Duration;

use tokio_stream::StreamExt;

use crate::client::{CliError, Client, parse_offer_key};
use crate::proto::placement_service_client::PlacementServiceClient;
use crate::proto::{
    CreateReferralRequest, GetOutcomeStatsRequest, ListReferralsRequest, MoveReferralRequest, OutcomeDimension,
    RecordOutcomeRequest, Referral, ReferralState, Retention, WatchMatchesRequest,
};

fn service(client: &Client) -> PlacementServiceClient<tonic::transport::Channel> {
    PlacementServiceClient::new(client.channel())
}

fn usage(message: String) -> CliError {
    CliError { code: 2, message }
}

/// The state's name as the API documents it (`REFERRAL_STATE_SENT_TO_EMPLOYER` is
/// `sent_to_employer`).
fn state_name(state: ReferralState) -> String {
    state.as_str_name().trim_start_matches("REFERRAL_STATE_").to_ascii_lowercase()
}

/// A state a caseworker may move a referral to, by its name (`sent` is short for
/// `sent_to_employer`).
fn parse_state(text: &str) -> Result<ReferralState, CliError> {
    let wanted = if text == "sent" { "sent_to_employer" } else { text };
    ReferralState::from_str_name(&format!("REFERRAL_STATE_{}", wanted.to_ascii_uppercase()))
        .filter(|state| !matches!(state, ReferralState::Unspecified | ReferralState::Proposed | ReferralState::Expired))
        .ok_or_else(|| usage(format!("--to {text:?}: one of sent, interview, hired, declined, withdrawn")))
}

fn line(referral: &Referral, today_ms: i64) {
    let key = referral.offer_key.as_ref().map(|key| format!("{}/{}", key.source, key.external_id)).unwrap_or_default();
    let days = (today_ms - referral.updated_ms).max(0) / 86_400_000;
    let coach = if referral.coach_id.is_empty() {
        "-".to_owned()
    } else {
        format!(
            "{} ({} h{})",
            referral.coach_id,
            referral.coach_hours,
            if referral.reserved { "" } else { ", released" }
        )
    };
    println!(
        "{:<10} {:<18} {:>4}  {:<20} {:<32} {:<16} {}",
        referral.id,
        state_name(referral.state()),
        days,
        if referral.participant_id.is_empty() { "(erased)" } else { &referral.participant_id },
        key,
        referral.unit_id,
        coach
    );
}

fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// `pomost refer`: refers a person to an offer, optionally with a job coach.
pub async fn refer(
    client: &Client,
    participant: String,
    offer: &str,
    coach: Option<String>,
    idempotency_key: Option<String>,
) -> Result<(), CliError> {
    let request = CreateReferralRequest {
        participant_id: participant,
        offer_key: Some(parse_offer_key(offer)?),
        coach_id: coach.unwrap_or_default(),
        idempotency_key: idempotency_key.unwrap_or_default(),
    };
    let reply = service(client).create_referral(client.request(request)).await?.into_inner();
    let referral = reply.referral.unwrap_or_default();
    let held = if referral.reserved {
        format!(", {} h/week of {} reserved", referral.coach_hours, referral.coach_id)
    } else {
        String::new()
    };
    let again = if reply.replayed { " (already made with this key)" } else { "" };
    println!("{} {}{held}{again}", referral.id, state_name(referral.state()));
    Ok(())
}

/// `pomost referrals move`: moves a referral along its path.
pub async fn move_referral(
    client: &Client,
    id: String,
    to: &str,
    declined_by: Option<String>,
    reason: Option<String>,
    start_date: Option<String>,
) -> Result<(), CliError> {
    let request = MoveReferralRequest {
        referral_id: id,
        to: parse_state(to)? as i32,
        declined_by: declined_by.unwrap_or_default(),
        reason: reason.unwrap_or_default(),
        start_date: start_date.unwrap_or_default(),
        idempotency_key: String::new(),
    };
    let reply = service(client).move_referral(client.request(request)).await?.into_inner();
    let referral = reply.referral.unwrap_or_default();
    let until = if referral.reserved_until.is_empty() {
        String::new()
    } else {
        format!(" (coach hours held until {})", referral.reserved_until)
    };
    println!("{} {}{until}", referral.id, state_name(referral.state()));
    Ok(())
}

/// `pomost referrals`: a table of referrals (open ones unless `all`), with their age in days
/// since the last move.
pub async fn referrals(
    client: &Client,
    unit: Option<String>,
    offer: Option<String>,
    participant: Option<String>,
    all: bool,
) -> Result<(), CliError> {
    let mut request = ListReferralsRequest {
        unit_id: unit.unwrap_or_default(),
        offer_key: offer.as_deref().map(parse_offer_key).transpose()?,
        participant_id: participant.unwrap_or_default(),
        open_only: !all,
        after: 0,
        limit: 1_000,
    };
    println!(
        "{:<10} {:<18} {:>4}  {:<20} {:<32} {:<16} coach",
        "referral", "state", "days", "participant", "offer", "unit"
    );
    let now = now_ms();
    let mut count = 0;
    loop {
        let reply = service(client).list_referrals(client.request(request.clone())).await?.into_inner();
        for referral in &reply.referrals {
            line(referral, now);
        }
        count += reply.referrals.len();
        if reply.next_after == 0 {
            break;
        }
        request.after = reply.next_after;
    }
    println!("{count} referral(s)");
    Ok(())
}

/// `pomost outcomes record`: records a retention check.
pub async fn record_outcome(
    client: &Client,
    id: String,
    month: u32,
    retention: &str,
    reason: Option<String>,
) -> Result<(), CliError> {
    let retention = match retention {
        "employed" => Retention::Employed,
        "left" => Retention::Left,
        "unknown" => Retention::Unknown,
        other => return Err(usage(format!("--retention {other:?}: one of employed, left, unknown"))),
    };
    let request = RecordOutcomeRequest {
        referral_id: id,
        month,
        retention: retention as i32,
        reason: reason.unwrap_or_default(),
    };
    let reply = service(client).record_outcome(client.request(request)).await?.into_inner();
    println!("{} month {}: {:?}", reply.referral_id, reply.month, reply.retention());
    Ok(())
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or("-".to_owned(), |rate| format!("{:.0}%", rate * 100.0))
}

/// `pomost outcomes`: placement and retention rates as a table.
pub async fn outcomes(client: &Client, by: &str, unit: Option<String>, min_cell_size: u32) -> Result<(), CliError> {
    let dimension = match by {
        "offer" => OutcomeDimension::Offer,
        "employer" => OutcomeDimension::Employer,
        "unit" => OutcomeDimension::Unit,
        "stage" => OutcomeDimension::Stage,
        "group" => OutcomeDimension::Group,
        other => return Err(usage(format!("--by {other:?}: one of offer, employer, unit, stage, group"))),
    };
    let request = GetOutcomeStatsRequest {
        dimension: dimension as i32,
        unit_id: unit.unwrap_or_default(),
        min_cell_size,
        ..Default::default()
    };
    let stats = service(client).get_outcome_stats(client.request(request)).await?.into_inner();
    println!(
        "{:<40} {:>9} {:>6} {:>9} {:>8} {:>8} {:>8}",
        by, "referrals", "hires", "placed", "kept 1m", "kept 3m", "kept 6m"
    );
    for row in &stats.rows {
        if row.suppressed {
            println!("{:<40} {:>9}", row.key, format!("(fewer than {} people: not shown)", stats.min_cell_size));
            continue;
        }
        let kept =
            |month: u32| percent(row.retention.iter().find(|cell| cell.month == month).and_then(|cell| cell.rate));
        println!(
            "{:<40} {:>9} {:>6} {:>9} {:>8} {:>8} {:>8}",
            row.key,
            row.referrals,
            row.hires,
            percent(row.placement_rate),
            kept(1),
            kept(3),
            kept(6)
        );
    }
    println!(
        "{} referral(s); cells under {} people suppressed; retention shown where hires reach that size",
        stats.referrals, stats.min_cell_size
    );
    Ok(())
}

/// `pomost watch`: prints each new match as it arrives; after a disconnect it resumes from
/// the last sequence it saw, so nothing is missed or shown twice. Runs until interrupted.
pub async fn watch(client: &Client, unit: String, min_score: f32, k: u32, after: u64) -> Result<(), CliError> {
    let mut cursor = after;
    let mut backoff = Duration::from_millis(500);
    loop {
        let request = WatchMatchesRequest { unit_id: unit.clone(), min_score, k, after_seq: cursor };
        let stream = match service(client).watch_matches(client.request(request)).await {
            Ok(reply) => reply.into_inner(),
            Err(status) if status.code() == tonic::Code::Unavailable => {
                eprintln!(
                    "pomost: {}; retrying in {} ms (resume after {cursor})",
                    status.message(),
                    backoff.as_millis()
                );
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(30));
                continue;
            }
            Err(status) => return Err(status.into()),
        };
        let mut stream = stream;
        while let Some(event) = stream.next().await {
            let event = match event {
                Ok(event) => event,
                Err(status) => {
                    eprintln!("pomost: the watch ended ({}); resuming after {cursor}", status.message());
                    break;
                }
            };
            backoff = Duration::from_millis(500);
            if event.heartbeat {
                if cursor == 0 {
                    println!("watching unit {unit} from change {}", event.seq);
                }
                cursor = cursor.max(event.seq);
                continue;
            }
            cursor = event.seq;
            let offer = event.offer.unwrap_or_default();
            let key = offer.key.map(|key| format!("{}/{}", key.source, key.external_id)).unwrap_or_default();
            println!(
                "[{}] {key} {:?} ({} position(s)) — audit {}",
                event.seq, offer.title, offer.positions, event.request_id
            );
            for candidate in &event.candidates {
                let coach = if candidate.suggested_coach_id.is_empty() {
                    String::new()
                } else {
                    format!(", coach {}", candidate.suggested_coach_id)
                };
                println!("    {:<24} {:.3}{coach}", candidate.participant_id, candidate.score);
            }
        }
        tokio::time::sleep(backoff).await;
    }
}

/// The offer keys of an `assign` batch: from a file (one SOURCE/EXTERNAL_ID per line, `#`
/// comments) or every on-site offer open today in a TERYT region (searched page by page).
async fn batch_offers(
    client: &Client,
    file: Option<&std::path::Path>,
    region: Option<&str>,
) -> Result<Vec<crate::proto::OfferKey>, CliError> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .map_err(|error| CliError { code: 1, message: format!("{}: {error}", path.display()) })?;
        return text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(parse_offer_key)
            .collect();
    }
    let Some(region) = region else {
        return Err(usage("give --offers FILE or --region TERYT".into()));
    };
    let mut offers = crate::proto::offer_service_client::OfferServiceClient::new(client.channel());
    let mut keys = Vec::new();
    let mut cursor = String::new();
    loop {
        let request = crate::proto::SearchOffersRequest {
            region: region.to_owned(),
            remote: 2,
            limit: 1_000,
            cursor: cursor.clone(),
            ..Default::default()
        };
        let page = offers.search_offers(client.request(request)).await?.into_inner();
        keys.extend(page.hits.into_iter().filter_map(|hit| hit.offer.and_then(|offer| offer.key)));
        if page.next_cursor.is_empty() || keys.len() >= 5_000 {
            break;
        }
        cursor = page.next_cursor;
    }
    keys.truncate(5_000);
    Ok(keys)
}

/// `pomost assign`: many people on many offers at once; prints each offer's people with
/// their coaches, then who was left out and why.
pub async fn assign(
    client: &Client,
    file: Option<std::path::PathBuf>,
    region: Option<String>,
    unit: Option<String>,
    per_position: u32,
    propose: bool,
) -> Result<(), CliError> {
    let offer_keys = batch_offers(client, file.as_deref(), region.as_deref()).await?;
    if offer_keys.is_empty() {
        return Err(CliError { code: 1, message: "no open offers to assign".into() });
    }
    let request = crate::proto::AssignBatchRequest {
        offer_keys,
        unit_id: unit.unwrap_or_default(),
        candidates_per_position: per_position,
        as_of: String::new(),
        propose_referrals: propose,
    };
    let answer = crate::proto::matching_service_client::MatchingServiceClient::new(client.channel())
        .max_decoding_message_size(256 << 20)
        .assign_batch(client.request(request))
        .await?
        .into_inner();
    let mut current = String::new();
    for pair in &answer.assignments {
        let key = pair.offer_key.as_ref().map(|key| format!("{}/{}", key.source, key.external_id)).unwrap_or_default();
        if key != current {
            println!("{key}");
            current = key;
        }
        let candidate = pair.candidate.clone().unwrap_or_default();
        let coach = if candidate.suggested_coach_id.is_empty() {
            String::new()
        } else {
            format!("  coach {}", candidate.suggested_coach_id)
        };
        let referral = match (pair.referral_id.is_empty(), pair.referral_error.is_empty()) {
            (false, _) => format!("  {}", pair.referral_id),
            (true, false) => format!("  (no referral: {})", pair.referral_error),
            _ => String::new(),
        };
        println!("    {:<24} {:.3}{coach}{referral}", candidate.participant_id, candidate.score);
    }
    let mut reasons: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for left in &answer.unassigned {
        *reasons.entry(left.reason.as_str()).or_default() += 1;
    }
    let quality = if answer.optimal {
        "optimal".to_owned()
    } else {
        format!(
            "within {:.3}% of the best possible",
            (1.0 - answer.total_score / answer.score_bound.max(f64::EPSILON)) * 100.0
        )
    };
    println!(
        "{} people placed, total score {:.2} ({quality}); {} candidates left out: {:?}; {} offer(s) closed; audit {}",
        answer.assignments.len(),
        answer.total_score,
        answer.unassigned.len(),
        reasons,
        answer.closed_offers.len(),
        answer.request_id
    );
    Ok(())
}

/// Milliseconds since the epoch at the start of a day given as YYYY-MM-DD.
fn day_ms(flag: &str, text: Option<String>) -> Result<i64, CliError> {
    let Some(text) = text else { return Ok(0) };
    let day = crate::convert::parse_date(flag, &text).map_err(|error| usage(error.to_string()))?;
    Ok(day.midnight().assume_utc().unix_timestamp() * 1_000)
}

/// `pomost audit report`: the exposure report as a table; exits 3 when a group is flagged.
pub async fn exposure_report(
    client: &Client,
    from: Option<String>,
    until: Option<String>,
    region: String,
    min_cell_size: u32,
) -> Result<(), CliError> {
    let request = crate::proto::GetExposureReportRequest {
        from_ms: day_ms("--from", from)?,
        until_ms: day_ms("--until", until)?,
        region,
        min_cell_size,
    };
    let report = crate::proto::matching_service_client::MatchingServiceClient::new(client.channel())
        .get_exposure_report(client.request(request))
        .await?
        .into_inner();
    println!("{:<30} {:>9} {:>9} {:>7} {:>10} {:>8}", "group", "pool", "attention", "ratio", "referrals", "hires");
    let percent = |share: Option<f64>| share.map_or("-".to_owned(), |share| format!("{:.1}%", share * 100.0));
    let mut flagged = 0;
    for group in &report.groups {
        if group.suppressed {
            println!("{:<30} (fewer than {} people: not shown)", group.group, report.min_cell_size);
            continue;
        }
        flagged += usize::from(group.flagged);
        println!(
            "{:<30} {:>9} {:>9} {:>7.2} {:>10} {:>8}{}",
            group.group,
            percent(Some(group.pool_share)),
            percent(Some(group.exposure_share)),
            group.ratio,
            percent(group.referral_share),
            percent(group.hire_share),
            if group.flagged { "  FLAGGED (under 0.8)" } else { "" }
        );
    }
    println!(
        "{} shortlists ({} without group figures), {} referrals, {} hires",
        report.shortlists, report.shortlists_without_groups, report.referrals, report.hires
    );
    if flagged > 0 {
        return Err(CliError { code: 3, message: format!("{flagged} group(s) under four fifths of their pool share") });
    }
    Ok(())
}
