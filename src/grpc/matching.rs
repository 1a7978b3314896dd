use pomost_domain::{ParticipantId, ValidationError};
use pomost_engine::OfferRef;
use tonic::{Request, Response, Status};

use super::support::{Shared, as_of, invalid, requester};
use crate::convert;
use crate::proto::matching_service_server::MatchingService;
use crate::proto::{
    ExclusionCount, ExplainMatchRequest, ExplainMatchResponse, FailedConstraint, GetScoringPolicyRequest,
    RecommendOffersRequest, RecommendOffersResponse, Recommendation, ScoringPolicy, ShortlistRequest,
    ShortlistResponse, explain_match_request, shortlist_request,
};

/// MatchingService over the engine; every ranking is audited before it is returned.
pub struct MatchingApi(pub Shared);

/// The offer a request names, stored or inline.
fn offer_ref(key: Option<crate::proto::OfferKey>, inline: Option<crate::proto::Offer>) -> Result<OfferRef, Status> {
    match (key, inline) {
        (Some(key), None) => Ok(OfferRef::Stored(convert::offer_key("offer_key", Some(key)).map_err(invalid)?)),
        (None, Some(offer)) => Ok(OfferRef::Inline(Box::new(convert::offer(offer).map_err(invalid)?))),
        _ => Err(invalid(ValidationError::new("offer", "give offer_key or inline_offer"))),
    }
}

#[tonic::async_trait]
impl MatchingService for MatchingApi {
    async fn shortlist(&self, request: Request<ShortlistRequest>) -> Result<Response<ShortlistResponse>, Status> {
        let who = requester(&request);
        let ShortlistRequest { offer, k, as_of: as_of_text } = request.into_inner();
        let offer = match offer {
            Some(shortlist_request::Offer::OfferKey(key)) => offer_ref(Some(key), None)?,
            Some(shortlist_request::Offer::InlineOffer(offer)) => offer_ref(None, Some(offer))?,
            None => offer_ref(None, None)?,
        };
        let day = as_of("as_of", &as_of_text)?;
        let engine = self.0.engine()?;
        let request_id = who.request_id.clone();
        let (offer_key, shortlist) =
            self.0.ranked_cancellable(move |cancel| engine.shortlist(&who, offer, k, day, cancel)).await?;
        tracing::info!(offer = %offer_key, returned = shortlist.candidates.len(), %request_id, "shortlist");
        Ok(Response::new(ShortlistResponse {
            request_id,
            policy_version: shortlist.policy_version,
            candidates: shortlist.candidates.iter().map(convert::candidate_to_wire).collect(),
            exclusions: shortlist
                .excluded
                .non_zero()
                .map(|(reason, count)| ExclusionCount { reason: reason.name().into(), count })
                .collect(),
            eligible: shortlist.eligible,
            pool_size: shortlist.pool_size,
        }))
    }

    async fn recommend_offers(
        &self,
        request: Request<RecommendOffersRequest>,
    ) -> Result<Response<RecommendOffersResponse>, Status> {
        let who = requester(&request);
        let RecommendOffersRequest { participant_id, k, text, as_of: as_of_text } = request.into_inner();
        let id = ParticipantId::new(participant_id).map_err(|error| invalid(error.under("participant_id")))?;
        let day = as_of("as_of", &as_of_text)?;
        let engine = self.0.engine()?;
        let request_id = who.request_id.clone();
        let recommendations = self.0.ranked(move || engine.recommend(&who, &id, k, &text, day)).await?;
        Ok(Response::new(RecommendOffersResponse {
            request_id,
            policy_version: self.0.engine()?.policy().version.clone(),
            recommendations: recommendations
                .into_iter()
                .map(|item| Recommendation {
                    offer: Some(convert::offer_to_wire(&item.offer)),
                    score: item.explanation.score.unwrap_or(0.0),
                    factors: item.explanation.factors.iter().map(convert::factor_to_wire).collect(),
                    suggested_coach_id: item.explanation.suggested_coach.map(|id| id.to_string()).unwrap_or_default(),
                })
                .collect(),
        }))
    }

    async fn explain_match(
        &self,
        request: Request<ExplainMatchRequest>,
    ) -> Result<Response<ExplainMatchResponse>, Status> {
        let who = requester(&request);
        let ExplainMatchRequest { participant_id, offer, as_of: as_of_text } = request.into_inner();
        let id = ParticipantId::new(participant_id).map_err(|error| invalid(error.under("participant_id")))?;
        let offer = match offer {
            Some(explain_match_request::Offer::OfferKey(key)) => offer_ref(Some(key), None)?,
            Some(explain_match_request::Offer::InlineOffer(offer)) => offer_ref(None, Some(offer))?,
            None => offer_ref(None, None)?,
        };
        let day = as_of("as_of", &as_of_text)?;
        let engine = self.0.engine()?;
        let request_id = who.request_id.clone();
        let explanation = self.0.ranked(move || engine.explain(&who, &id, offer, day)).await?;
        Ok(Response::new(ExplainMatchResponse {
            request_id,
            policy_version: explanation.policy_version,
            eligible: explanation.score.is_some(),
            score: explanation.score.unwrap_or(0.0),
            factors: explanation.factors.iter().map(convert::factor_to_wire).collect(),
            failed: explanation
                .failed
                .into_iter()
                .map(|failed| FailedConstraint { reason: failed.reason.name().into(), message: failed.message })
                .collect(),
            suggested_coach_id: explanation.suggested_coach.map(|id| id.to_string()).unwrap_or_default(),
            employer_mentor: explanation.employer_mentor,
            accommodations: explanation.accommodations.iter().map(convert::cover_to_wire).collect(),
        }))
    }

    async fn get_scoring_policy(
        &self,
        _request: Request<GetScoringPolicyRequest>,
    ) -> Result<Response<ScoringPolicy>, Status> {
        let engine = self.0.engine()?;
        let policy = engine.policy();
        Ok(Response::new(ScoringPolicy {
            version: policy.version.clone(),
            weights: pomost_scoring::Factor::ALL
                .iter()
                .map(|factor| (factor.name().to_owned(), policy.weights.get(*factor)))
                .collect(),
            toml: toml_of(policy),
            vocabulary_version: engine.vocabulary().version().to_owned(),
        }))
    }
}

fn toml_of(policy: &pomost_scoring::ScoringPolicy) -> String {
    // The policy derives Serialize; TOML is what operators edit.
    match toml::to_string(policy) {
        Ok(text) => text,
        Err(error) => format!("# policy could not be rendered: {error}"),
    }
}
