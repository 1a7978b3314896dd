//! PlacementService: referrals, retention checks, outcome statistics and the match watch.

use std::pin::Pin;
use std::time::Duration;

use pomost_domain::{CoachId, DeclinedBy, OutcomeCheck, ParticipantId, Referral, ReferralState, Retention};
use pomost_engine::{OutcomeDimension, WatchRequest};
use pomost_store::{NewReferral, ReferralQuery, ReferralWrite};
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use super::support::{Shared, blocking, invalid, requester, today};
use crate::convert;
use crate::proto::placement_service_server::PlacementService;
use crate::proto::{
    self, CreateReferralRequest, GetOutcomeStatsRequest, ListReferralsRequest, ListReferralsResponse, MatchEvent,
    MoveReferralRequest, RecordOutcomeRequest, ReferralRef, ReferralResponse, WatchMatchesRequest,
};

/// PlacementService over the engine.
pub struct PlacementApi(pub Shared);

/// How long a watch waits for a new searchable change before it sends a heartbeat.
const HEARTBEAT: Duration = Duration::from_secs(5);
/// Matches a watch may have sent but the client not yet read.
const WATCH_BUFFER: usize = 64;

const STATES: [(i32, ReferralState); 7] = [
    (1, ReferralState::Proposed),
    (2, ReferralState::SentToEmployer),
    (3, ReferralState::Interview),
    (4, ReferralState::Hired),
    (5, ReferralState::Declined),
    (6, ReferralState::Withdrawn),
    (7, ReferralState::Expired),
];

fn state_to_wire(state: ReferralState) -> i32 {
    STATES.iter().find(|(_, known)| *known == state).map_or(0, |(number, _)| *number)
}

fn state_from_wire(value: i32) -> Result<ReferralState, Status> {
    STATES
        .iter()
        .find(|(number, _)| *number == value)
        .map(|(_, state)| *state)
        .ok_or_else(|| invalid(pomost_domain::ValidationError::new("to", format!("{value} is not a referral state"))))
}

fn retention_to_wire(retention: Retention) -> i32 {
    match retention {
        Retention::Employed => 1,
        Retention::Left => 2,
        Retention::Unknown => 3,
    }
}

fn optional_key(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

fn referral_to_wire(referral: &Referral) -> proto::Referral {
    proto::Referral {
        id: referral.id.clone(),
        participant_id: referral.participant.as_ref().map(ToString::to_string).unwrap_or_default(),
        offer_key: Some(convert::offer_key_to_wire(&referral.offer)),
        employer_name: referral.employer.clone(),
        unit_id: referral.unit_id.clone(),
        coach_id: referral.coach.as_ref().map(ToString::to_string).unwrap_or_default(),
        coach_hours: referral.coach_hours,
        reserved: referral.reserved,
        state: state_to_wire(referral.state),
        declined_by: referral.declined_by.map(|side| side.name().to_owned()).unwrap_or_default(),
        reason: referral.reason.clone(),
        start_date: referral.start_date.map(convert::format_date).unwrap_or_default(),
        reserved_until: referral.reserved_until.map(convert::format_date).unwrap_or_default(),
        created_ms: referral.created_ms,
        updated_ms: referral.updated_ms,
        history: referral
            .history
            .iter()
            .map(|event| proto::ReferralEvent {
                from: event.from.map_or(0, state_to_wire),
                to: state_to_wire(event.to),
                at_ms: event.at_ms,
                caller: event.caller.clone(),
                role: event.role.clone(),
                declined_by: event.declined_by.map(|side| side.name().to_owned()).unwrap_or_default(),
                reason: event.reason.clone(),
            })
            .collect(),
    }
}

fn write_to_wire(write: ReferralWrite, request_id: String) -> ReferralResponse {
    ReferralResponse {
        referral: Some(referral_to_wire(&write.referral)),
        seq: write.seq,
        replayed: write.replayed,
        request_id,
    }
}

/// The number of a referral id (`ref-12` is 12), for paging.
fn referral_number(id: &str) -> u64 {
    id.strip_prefix("ref-").and_then(|number| number.parse().ok()).unwrap_or(0)
}

fn dimension(value: i32) -> Result<OutcomeDimension, Status> {
    Ok(match value {
        1 => OutcomeDimension::Offer,
        2 => OutcomeDimension::Employer,
        3 => OutcomeDimension::Unit,
        4 => OutcomeDimension::Stage,
        5 => OutcomeDimension::Group,
        other => {
            return Err(invalid(pomost_domain::ValidationError::new(
                "dimension",
                format!("{other} is not a dimension (offer, employer, unit, stage or group)"),
            )));
        }
    })
}

fn dimension_to_wire(dimension: OutcomeDimension) -> i32 {
    match dimension {
        OutcomeDimension::Offer => 1,
        OutcomeDimension::Employer => 2,
        OutcomeDimension::Unit => 3,
        OutcomeDimension::Stage => 4,
        OutcomeDimension::Group => 5,
    }
}

fn participant_id(path: &str, value: String) -> Result<ParticipantId, Status> {
    ParticipantId::new(value).map_err(|error| invalid(error.under(path)))
}

/// Resolves once the server begins to shut down.
async fn stopped(stopping: &mut tokio::sync::watch::Receiver<bool>) {
    loop {
        if *stopping.borrow_and_update() {
            return;
        }
        if stopping.changed().await.is_err() {
            return;
        }
    }
}

#[tonic::async_trait]
impl PlacementService for PlacementApi {
    async fn create_referral(
        &self,
        request: Request<CreateReferralRequest>,
    ) -> Result<Response<ReferralResponse>, Status> {
        let who = requester(&request);
        let CreateReferralRequest { participant_id: participant, offer_key, coach_id, idempotency_key } =
            request.into_inner();
        let new = NewReferral {
            participant: participant_id("participant_id", participant)?,
            offer: convert::offer_key("offer_key", offer_key).map_err(invalid)?,
            coach: optional_key(coach_id)
                .map(|id| CoachId::new(id).map_err(|error| invalid(error.under("coach_id"))))
                .transpose()?,
            idempotency_key: optional_key(idempotency_key),
        };
        let engine = self.0.engine()?;
        let request_id = who.request_id.clone();
        let write = blocking(move || engine.create_referral(&who, &new, today())).await?;
        tracing::info!(referral = %write.referral.id, replayed = write.replayed, "referral made");
        Ok(Response::new(write_to_wire(write, request_id)))
    }

    async fn move_referral(&self, request: Request<MoveReferralRequest>) -> Result<Response<ReferralResponse>, Status> {
        let who = requester(&request);
        let MoveReferralRequest { referral_id, to, declined_by, reason, start_date, idempotency_key } =
            request.into_inner();
        let declined_by = match declined_by.as_str() {
            "" => None,
            name => Some(DeclinedBy::from_name(name).ok_or_else(|| {
                invalid(pomost_domain::ValidationError::new(
                    "declined_by",
                    format!("{} is neither person nor employer", pomost_domain::quote(name)),
                ))
            })?),
        };
        let transition = pomost_domain::Transition { to: state_from_wire(to)?, declined_by, reason };
        let start = optional_key(start_date)
            .map(|text| convert::parse_date("start_date", &text).map_err(invalid))
            .transpose()?;
        let engine = self.0.engine()?;
        let request_id = who.request_id.clone();
        let write = blocking(move || {
            engine.transition_referral(&who, &referral_id, transition, start, optional_key(idempotency_key), today())
        })
        .await?;
        tracing::info!(referral = %write.referral.id, state = %write.referral.state, replayed = write.replayed, "referral moved");
        Ok(Response::new(write_to_wire(write, request_id)))
    }

    async fn get_referral(&self, request: Request<ReferralRef>) -> Result<Response<proto::Referral>, Status> {
        let id = request.into_inner().id;
        let engine = self.0.engine()?;
        let referral = blocking(move || engine.referral(&id)).await?;
        Ok(Response::new(referral_to_wire(&referral)))
    }

    async fn list_referrals(
        &self,
        request: Request<ListReferralsRequest>,
    ) -> Result<Response<ListReferralsResponse>, Status> {
        let ListReferralsRequest { unit_id, offer_key, participant_id: participant, open_only, after, limit } =
            request.into_inner();
        let limit = if limit == 0 { 100 } else { limit as usize };
        let query = ReferralQuery {
            unit_id: optional_key(unit_id),
            offer: offer_key.map(|key| convert::offer_key("offer_key", Some(key)).map_err(invalid)).transpose()?,
            participant: optional_key(participant).map(|id| participant_id("participant_id", id)).transpose()?,
            open_only,
            after,
            limit,
        };
        let engine = self.0.engine()?;
        let referrals = blocking(move || engine.referrals(&query)).await?;
        let next_after = if referrals.len() == limit {
            referrals.last().map_or(0, |referral| referral_number(&referral.id))
        } else {
            0
        };
        Ok(Response::new(ListReferralsResponse {
            referrals: referrals.iter().map(referral_to_wire).collect(),
            next_after,
        }))
    }

    async fn record_outcome(
        &self,
        request: Request<RecordOutcomeRequest>,
    ) -> Result<Response<proto::OutcomeCheck>, Status> {
        let who = requester(&request);
        let RecordOutcomeRequest { referral_id, month, retention, reason } = request.into_inner();
        let retention = match retention {
            1 => Retention::Employed,
            2 => Retention::Left,
            3 => Retention::Unknown,
            other => {
                return Err(invalid(pomost_domain::ValidationError::new(
                    "retention",
                    format!("{other} is not employed, left or unknown"),
                )));
            }
        };
        let check = OutcomeCheck { referral_id, month, retention, reason, recorded_ms: 0, caller: String::new() };
        let engine = self.0.engine()?;
        let recorded = blocking(move || engine.record_outcome(&who, &check, today())).await?;
        Ok(Response::new(proto::OutcomeCheck {
            referral_id: recorded.referral_id,
            month: recorded.month,
            retention: retention_to_wire(recorded.retention),
            reason: recorded.reason,
            recorded_ms: recorded.recorded_ms,
            caller: recorded.caller,
        }))
    }

    async fn get_outcome_stats(
        &self,
        request: Request<GetOutcomeStatsRequest>,
    ) -> Result<Response<proto::OutcomeStats>, Status> {
        let GetOutcomeStatsRequest { dimension: wire_dimension, unit_id, from_ms, until_ms, min_cell_size } =
            request.into_inner();
        let dimension = dimension(wire_dimension)?;
        let engine = self.0.engine()?;
        let stats = blocking(move || {
            engine.outcome_stats(dimension, optional_key(unit_id).as_deref(), from_ms, until_ms, min_cell_size)
        })
        .await?;
        Ok(Response::new(proto::OutcomeStats {
            dimension: dimension_to_wire(stats.dimension),
            min_cell_size: stats.min_cell_size,
            referrals: stats.referrals,
            rows: stats
                .rows
                .into_iter()
                .map(|row| proto::OutcomeRow {
                    key: row.key,
                    suppressed: row.suppressed,
                    referrals: row.referrals,
                    hires: row.hires,
                    placement_rate: row.placement_rate,
                    retention: row
                        .retention
                        .into_iter()
                        .map(|cell| proto::RetentionCell {
                            month: cell.month,
                            recorded: cell.recorded,
                            employed: cell.employed,
                            left: cell.left,
                            unknown: cell.unknown,
                            rate: cell.rate,
                        })
                        .collect(),
                })
                .collect(),
        }))
    }

    type WatchMatchesStream = Pin<Box<dyn Stream<Item = Result<MatchEvent, Status>> + Send>>;

    async fn watch_matches(
        &self,
        request: Request<WatchMatchesRequest>,
    ) -> Result<Response<Self::WatchMatchesStream>, Status> {
        let who = requester(&request);
        let WatchMatchesRequest { unit_id, min_score, k, after_seq } = request.into_inner();
        if unit_id.is_empty() {
            return Err(invalid(pomost_domain::ValidationError::new("unit_id", "is required")));
        }
        let k = if k == 0 { 10 } else { k as usize };
        if k > self.0.limits.max_k {
            return Err(invalid(pomost_domain::ValidationError::new(
                "k",
                format!("{k} is over the bound of {}", self.0.limits.max_k),
            )));
        }
        if !min_score.is_finite() || min_score < 0.0 {
            return Err(invalid(pomost_domain::ValidationError::new("min_score", "must be a number of 0 or more")));
        }
        let engine = self.0.engine()?;
        let start = if after_seq == 0 {
            let engine = engine.clone();
            blocking(move || Ok(engine.searchable_seq())).await?
        } else {
            after_seq
        };
        let watch = WatchRequest { unit_id, min_score, k };
        tracing::info!(unit = %watch.unit_id, after = start, caller = %who.caller.name, "watch started");
        let (sender, receiver) = tokio::sync::mpsc::channel::<Result<MatchEvent, Status>>(WATCH_BUFFER);
        let mut stopping = self.0.stopping.clone();
        tokio::spawn(async move {
            let mut cursor = start;
            // The first message tells the client where it starts.
            let hello = MatchEvent { seq: cursor, heartbeat: true, ..Default::default() };
            if sender.send(Ok(hello)).await.is_err() {
                return;
            }
            loop {
                let engine = engine.clone();
                let who = who.clone();
                let watch = watch.clone();
                let step =
                    tokio::task::spawn_blocking(move || engine.watch_step(&who, &watch, cursor, HEARTBEAT, today()));
                let step = tokio::select! {
                    step = step => step,
                    _ = stopped(&mut stopping) => {
                        let _ = sender
                            .send(Err(Status::unavailable(format!(
                                "the server is shutting down; resume with after_seq = {cursor}"
                            ))))
                            .await;
                        return;
                    }
                };
                let (found, checked) = match step {
                    Ok(Ok(step)) => step,
                    Ok(Err(error)) => {
                        let _ = sender.send(Err(crate::error::status(error))).await;
                        return;
                    }
                    Err(error) => {
                        let _ = sender.send(Err(Status::internal(error.to_string()))).await;
                        return;
                    }
                };
                for matches in found {
                    let event = MatchEvent {
                        seq: matches.seq,
                        heartbeat: false,
                        offer: Some(convert::offer_to_wire(&matches.offer)),
                        candidates: matches.candidates.into_iter().map(convert::candidate_to_wire).collect(),
                        request_id: matches.request_id,
                        policy_version: matches.policy_version,
                    };
                    if sender.send(Ok(event)).await.is_err() {
                        return;
                    }
                }
                if checked == cursor {
                    // Nothing became searchable for a while: say where the watch stands (and
                    // learn whether the client is still there).
                    let beat = MatchEvent { seq: cursor, heartbeat: true, ..Default::default() };
                    if sender.send(Ok(beat)).await.is_err() {
                        return;
                    }
                }
                cursor = checked;
            }
        });
        Ok(Response::new(Box::pin(tokio_stream::wrappers::ReceiverStream::new(receiver))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_and_unknown_ones_are_refused() {
        for state in ReferralState::ALL {
            assert_eq!(state_from_wire(state_to_wire(state)).unwrap(), state);
        }
        assert!(state_from_wire(0).is_err());
        assert!(state_from_wire(99).is_err());
        assert_eq!(referral_number("ref-42"), 42);
    }
}
