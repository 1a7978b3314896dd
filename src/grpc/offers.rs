use pomost_domain::ValidationError;
use pomost_index::SearchQuery;
use pomost_store::WriteOutcome;
use tonic::{Request, Response, Status, Streaming};

use super::support::{Shared, Upload, as_of, blocking, bulk_items, invalid, written};
use crate::convert;
use crate::error::ServiceError;
use crate::proto::offer_service_server::OfferService;
use crate::proto::{
    DeleteResult, Offer, OfferHit, OfferKey, SearchOffersRequest, SearchOffersResponse, UpsertOfferRequest,
    UpsertOffersResponse, WriteResult,
};
use pomost_taxonomy::OfferSuggestions;

/// OfferService over the engine.
pub struct OfferApi(pub Shared);

/// The wire form of a write outcome.
pub(crate) fn write_result(outcome: WriteOutcome) -> WriteResult {
    use crate::proto::WriteOutcome as Wire;
    let (outcome, seq, stored_version) = match outcome {
        WriteOutcome::Written { seq } => (Wire::Written, seq, 0),
        WriteOutcome::Unchanged => (Wire::Unchanged, 0, 0),
        WriteOutcome::Stale { stored_version } => (Wire::Stale, 0, stored_version),
    };
    WriteResult { outcome: outcome as i32, seq, stored_version, ..WriteResult::default() }
}

/// The wire form of an offer write with what Pomost filled in.
fn offer_write_result(outcome: WriteOutcome, suggestions: OfferSuggestions, text: &str) -> WriteResult {
    WriteResult {
        suggested_occupations: suggestions.occupations.into_iter().map(convert::occupation_suggestion).collect(),
        suggested_skills: suggestions.skills.into_iter().map(|skill| convert::extracted_skill(skill, text)).collect(),
        ..write_result(outcome)
    }
}

/// Offers checked against the vocabulary and completed from their text, each with its
/// position; those that fail are returned apart with the reason.
type Prepared = (Vec<(u32, pomost_domain::Offer, OfferSuggestions)>, Vec<(u32, ValidationError)>);

fn prepare(vocabulary: &pomost_taxonomy::Vocabulary, offers: Vec<(u32, pomost_domain::Offer)>) -> Prepared {
    let (mut good, mut bad) = (Vec::with_capacity(offers.len()), Vec::new());
    for (index, mut offer) in offers {
        match vocabulary.prepare_offer(&mut offer) {
            Ok(suggestions) => good.push((index, offer, suggestions)),
            Err(error) => bad.push((index, error)),
        }
    }
    (good, bad)
}

/// The text skills were found in (their spans point into it).
fn offer_text(offer: &pomost_domain::Offer) -> String {
    format!("{}\n{}", offer.title, offer.description)
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
        let (outcome, suggestions, text) = blocking(move || {
            let mut offer = offer;
            let suggestions = engine.vocabulary().prepare_offer(&mut offer).map_err(ServiceError::Invalid)?;
            let outcomes = engine.upsert_offers(std::slice::from_ref(&offer))?;
            Ok((outcomes[0], suggestions, offer_text(&offer)))
        })
        .await?;
        Ok(Response::new(offer_write_result(outcome, suggestions, &text)))
    }

    async fn upsert_offers(
        &self,
        request: Request<Streaming<UpsertOfferRequest>>,
    ) -> Result<Response<UpsertOffersResponse>, Status> {
        let upload = Upload::read(request.into_inner(), self.0.limits.max_batch, "UpsertOffers", request_offer).await?;
        let engine = self.0.engine()?;
        let accepted = upload.accepted;
        let (prepared, late, outcomes) = blocking(move || {
            let (prepared, late) = prepare(engine.vocabulary(), accepted);
            let offers: Vec<pomost_domain::Offer> = prepared.iter().map(|(_, offer, _)| offer.clone()).collect();
            let outcomes = engine.upsert_offers(&offers)?;
            let prepared: Vec<(u32, String, OfferSuggestions)> = prepared
                .into_iter()
                .map(|(index, offer, suggestions)| (index, offer_text(&offer), suggestions))
                .collect();
            Ok((prepared, late, outcomes))
        })
        .await?;
        let written = written(&outcomes);
        let mut rejected_items = upload.rejected;
        rejected_items.extend(late);
        let rejected = rejected_items.len() as u32;
        let items = bulk_items(
            rejected_items,
            prepared
                .into_iter()
                .zip(outcomes)
                .map(|((index, text, suggestions), outcome)| (index, offer_write_result(outcome, suggestions, &text))),
        );
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
        let (total, offers, next) = self.0.ranked(move || engine.search_offers(&query)).await?;
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
