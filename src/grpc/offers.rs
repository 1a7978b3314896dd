use pomost_domain::ValidationError;
use pomost_index::SearchQuery;
use pomost_store::WriteOutcome;
use tonic::{Request, Response, Status, Streaming};

use super::support::{Shared, Upload, as_of, blocking, invalid, written};
use crate::convert;
use crate::proto::offer_service_server::OfferService;
use crate::proto::{
    DeleteResult, ItemError, Offer, OfferHit, OfferKey, SearchOffersRequest, SearchOffersResponse, UpsertOfferRequest,
    UpsertOffersItem, UpsertOffersResponse, WriteResult,
};

/// OfferService over the engine.
pub struct OfferApi(pub Shared);

/// The wire form of a write outcome.
pub(crate) fn write_result(outcome: WriteOutcome) -> WriteResult {
    use crate::proto::WriteOutcome as Wire;
    match outcome {
        WriteOutcome::Written { seq } => WriteResult { outcome: Wire::Written as i32, seq, stored_version: 0 },
        WriteOutcome::Unchanged => WriteResult { outcome: Wire::Unchanged as i32, seq: 0, stored_version: 0 },
        WriteOutcome::Stale { stored_version } => WriteResult { outcome: Wire::Stale as i32, seq: 0, stored_version },
    }
}

fn request_offer(request: UpsertOfferRequest) -> Result<pomost_domain::Offer, ValidationError> {
    let UpsertOfferRequest { offer } = request;
    convert::offer(offer.ok_or_else(|| ValidationError::new("offer", "is required"))?)
}

#[tonic::async_trait]
impl OfferService for OfferApi {
    async fn upsert_offer(&self, request: Request<UpsertOfferRequest>) -> Result<Response<WriteResult>, Status> {
        let offer = request_offer(request.into_inner()).map_err(invalid)?;
        let engine = self.0.engine()?;
        let outcomes = blocking(move || engine.upsert_offers(std::slice::from_ref(&offer))).await?;
        Ok(Response::new(write_result(outcomes[0])))
    }

    async fn upsert_offers(
        &self,
        request: Request<Streaming<UpsertOfferRequest>>,
    ) -> Result<Response<UpsertOffersResponse>, Status> {
        let upload = Upload::read(request.into_inner(), self.0.limits.max_batch, "UpsertOffers", request_offer).await?;
        let (positions, good): (Vec<u32>, Vec<_>) = upload.accepted.into_iter().unzip();
        let engine = self.0.engine()?;
        let outcomes = blocking(move || engine.upsert_offers(&good)).await?;
        let written = written(&outcomes);
        let rejected = upload.rejected.len() as u32;
        let mut items: Vec<UpsertOffersItem> = upload
            .rejected
            .into_iter()
            .map(|(index, error)| UpsertOffersItem {
                index,
                result: None,
                error: Some(ItemError { field: error.field, reason: error.reason }),
            })
            .collect();
        items.extend(positions.into_iter().zip(outcomes).map(|(index, outcome)| UpsertOffersItem {
            index,
            result: Some(write_result(outcome)),
            error: None,
        }));
        items.sort_by_key(|item| item.index);
        Ok(Response::new(UpsertOffersResponse {
            unchanged_or_stale: upload.count - written - rejected,
            written,
            rejected,
            items,
        }))
    }

    async fn delete_offer(&self, request: Request<OfferKey>) -> Result<Response<DeleteResult>, Status> {
        let key = convert::offer_key("key", Some(request.into_inner())).map_err(invalid)?;
        let engine = self.0.engine()?;
        let seq = blocking(move || engine.delete_offer(&key)).await?;
        Ok(Response::new(DeleteResult { deleted: seq.is_some(), seq: seq.unwrap_or(0) }))
    }

    async fn get_offer(&self, request: Request<OfferKey>) -> Result<Response<Offer>, Status> {
        let key = convert::offer_key("key", Some(request.into_inner())).map_err(invalid)?;
        let engine = self.0.engine()?;
        let offer = blocking(move || engine.offer(&key)).await?;
        Ok(Response::new(convert::offer_to_wire(&offer)))
    }

    async fn search_offers(
        &self,
        request: Request<SearchOffersRequest>,
    ) -> Result<Response<SearchOffersResponse>, Status> {
        let SearchOffersRequest {
            text,
            region,
            remote,
            contract_types,
            max_weekly_hours,
            exclude_night_work,
            accommodations,
            stage,
            open_on,
            offset,
            limit,
            cursor,
        } = request.into_inner();
        let mut query = SearchQuery::text(text, as_of("open_on", &open_on)?);
        if !region.is_empty() {
            query.region =
                Some(pomost_domain::TerytCode::parse(&region).map_err(|error| invalid(error.under("region")))?);
        }
        query.remote = match remote {
            0 => None,
            1 => Some(true),
            2 => Some(false),
            other => return Err(invalid(ValidationError::new("remote", format!("{other} is not 0, 1 or 2")))),
        };
        query.contract_types = convert::contracts("contract_types", &contract_types).map_err(invalid)?;
        query.max_weekly_hours = (max_weekly_hours > 0.0).then_some(max_weekly_hours);
        query.exclude_night_work = exclude_night_work;
        query.accommodations = convert::accommodations("accommodations", &accommodations).map_err(invalid)?;
        query.stage = convert::optional_stage("stage", stage).map_err(invalid)?;
        // offset and limit are bounded by proto/bounds.toml before this handler runs.
        query.offset = offset as usize;
        query.limit = if limit == 0 { 20 } else { limit as usize };
        if !cursor.is_empty() {
            if offset != 0 {
                return Err(invalid(ValidationError::new("cursor", "give a cursor or an offset, not both")));
            }
            query.after = Some(pomost_index::SearchCursor::decode(&cursor).ok_or_else(|| {
                invalid(ValidationError::new("cursor", "is not a cursor from a previous page's next_cursor"))
            })?);
        }
        let engine = self.0.engine()?;
        let (total, offers, next) = blocking(move || engine.search_offers(&query)).await?;
        Ok(Response::new(SearchOffersResponse {
            next_cursor: next.map(|cursor| cursor.encode()).unwrap_or_default(),
            total,
            hits: offers
                .into_iter()
                .map(|(offer, score)| OfferHit { offer: Some(convert::offer_to_wire(&offer)), score })
                .collect(),
        }))
    }
}
