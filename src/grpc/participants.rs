use pomost_domain::{CoachId, ParticipantId};
use tonic::{Request, Response, Status, Streaming};

use super::offers::write_result;
use super::support::{Shared, Upload, blocking, bulk_items, invalid, written};
use crate::convert;
use crate::proto::participant_service_server::ParticipantService;
use crate::proto::{
    DeleteResult, JobCoach, JobCoachRef, Participant, ParticipantRef, UpsertJobCoachesResponse,
    UpsertParticipantsResponse, WriteResult,
};

/// ParticipantService over the engine.
pub struct ParticipantApi(pub Shared);

fn participant_id(id: String) -> Result<ParticipantId, Status> {
    ParticipantId::new(id).map_err(|error| invalid(error.under("id")))
}

fn coach_id(id: String) -> Result<CoachId, Status> {
    CoachId::new(id).map_err(|error| invalid(error.under("id")))
}

fn deleted(seq: Option<u64>) -> DeleteResult {
    DeleteResult { deleted: seq.is_some(), seq: seq.unwrap_or(0) }
}

/// A participant from the wire, valid and speaking the vocabulary (known skill ids).
fn checked_participant(
    engine: &crate::engine::Engine,
    wire: Participant,
) -> Result<pomost_domain::Participant, pomost_domain::ValidationError> {
    let participant = convert::participant(wire)?;
    engine.vocabulary().check_participant(&participant)?;
    Ok(participant)
}

#[tonic::async_trait]
impl ParticipantService for ParticipantApi {
    async fn upsert_participant(&self, request: Request<Participant>) -> Result<Response<WriteResult>, Status> {
        let engine = self.0.engine()?;
        let participant = checked_participant(&engine, request.into_inner()).map_err(invalid)?;
        let outcome = blocking(move || engine.upsert_participant(participant)).await?;
        Ok(Response::new(write_result(outcome)))
    }

    async fn upsert_participants(
        &self,
        request: Request<Streaming<Participant>>,
    ) -> Result<Response<UpsertParticipantsResponse>, Status> {
        let engine = self.0.engine()?;
        let upload = Upload::read(request.into_inner(), self.0.limits.max_batch, "UpsertParticipants", |wire| {
            checked_participant(&engine, wire)
        })
        .await?;
        let (positions, good): (Vec<u32>, Vec<_>) = upload.accepted.into_iter().unzip();
        let outcomes = blocking(move || {
            let mut outcomes = Vec::with_capacity(good.len());
            let mut people = good.into_iter();
            loop {
                let batch: Vec<_> = people.by_ref().take(5_000).collect();
                if batch.is_empty() {
                    return Ok(outcomes);
                }
                outcomes.extend(engine.upsert_participants(batch)?);
            }
        })
        .await?;
        let written = written(&outcomes);
        let rejected = upload.rejected.len() as u32;
        let items = bulk_items(
            upload.rejected,
            positions.into_iter().zip(outcomes).map(|(index, outcome)| (index, write_result(outcome))),
        );
        Ok(Response::new(UpsertParticipantsResponse {
            unchanged: upload.count - written - rejected,
            written,
            rejected,
            items,
        }))
    }

    async fn get_participant(&self, request: Request<ParticipantRef>) -> Result<Response<Participant>, Status> {
        let id = participant_id(request.into_inner().id)?;
        let engine = self.0.engine()?;
        let participant = blocking(move || engine.participant(&id)).await?;
        Ok(Response::new(convert::participant_to_wire(&participant)))
    }

    async fn delete_participant(&self, request: Request<ParticipantRef>) -> Result<Response<DeleteResult>, Status> {
        let id = participant_id(request.into_inner().id)?;
        let engine = self.0.engine()?;
        Ok(Response::new(deleted(blocking(move || engine.delete_participant(&id)).await?)))
    }

    async fn upsert_job_coach(&self, request: Request<JobCoach>) -> Result<Response<WriteResult>, Status> {
        let coach = convert::coach(request.into_inner()).map_err(invalid)?;
        let engine = self.0.engine()?;
        let outcome = blocking(move || engine.upsert_coach(coach)).await?;
        Ok(Response::new(write_result(outcome)))
    }

    async fn upsert_job_coaches(
        &self,
        request: Request<Streaming<JobCoach>>,
    ) -> Result<Response<UpsertJobCoachesResponse>, Status> {
        let upload =
            Upload::read(request.into_inner(), self.0.limits.max_batch, "UpsertJobCoaches", convert::coach).await?;
        let (positions, good): (Vec<u32>, Vec<_>) = upload.accepted.into_iter().unzip();
        let engine = self.0.engine()?;
        let outcomes = blocking(move || engine.upsert_coaches(&good)).await?;
        let written = written(&outcomes);
        let rejected = upload.rejected.len() as u32;
        let items = bulk_items(
            upload.rejected,
            positions.into_iter().zip(outcomes).map(|(index, outcome)| (index, write_result(outcome))),
        );
        Ok(Response::new(UpsertJobCoachesResponse {
            unchanged: upload.count - written - rejected,
            written,
            rejected,
            items,
        }))
    }

    async fn get_job_coach(&self, request: Request<JobCoachRef>) -> Result<Response<JobCoach>, Status> {
        let id = coach_id(request.into_inner().id)?;
        let engine = self.0.engine()?;
        let coach = blocking(move || engine.coach(&id)).await?;
        Ok(Response::new(convert::coach_to_wire(&coach)))
    }

    async fn delete_job_coach(&self, request: Request<JobCoachRef>) -> Result<Response<DeleteResult>, Status> {
        let id = coach_id(request.into_inner().id)?;
        let engine = self.0.engine()?;
        Ok(Response::new(deleted(blocking(move || engine.delete_coach(&id)).await?)))
    }
}
