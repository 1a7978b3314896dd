use pomost_domain::{Offer, ParticipantId, ValidationError};
use pomost_store::{AuditAction, AuditEntry, AuditResult};
use tonic::{Request, Response, Status};

use super::{Shared, as_of, blocking, blocking_cancellable, bounded_k, caller, invalid, request_id};
use crate::convert;
use crate::engine::Engine;
use crate::proto::matching_service_server::MatchingService;
use crate::proto::{
    Candidate, ExclusionCount, ExplainMatchRequest, ExplainMatchResponse, FailedConstraint, GetScoringPolicyRequest,
    RecommendOffersRequest, RecommendOffersResponse, Recommendation, ScoringPolicy, ShortlistRequest,
    ShortlistResponse, explain_match_request, shortlist_request,
};

/// MatchingService over the engine; every ranking is audited before it is returned.
pub struct MatchingApi(pub Shared);

/// Where a request's offer comes from.
enum OfferSource {
    Stored(pomost_domain::OfferKey),
    Inline(Box<Offer>),
}

impl OfferSource {
    fn resolve(self, engine: &Engine) -> Result<Offer, crate::error::ServiceError> {
        match self {
            OfferSource::Stored(key) => engine.offer(&key),
            OfferSource::Inline(offer) => Ok(*offer),
        }
    }

    fn audit_json(&self) -> serde_json::Value {
        match self {
            OfferSource::Stored(key) => serde_json::json!({ "offer_key": key }),
            OfferSource::Inline(offer) => serde_json::json!({ "inline_offer": offer }),
        }
    }
}

fn offer_source(
    key: Option<crate::proto::OfferKey>,
    inline: Option<crate::proto::Offer>,
) -> Result<OfferSource, Status> {
    match (key, inline) {
        (Some(key), None) => Ok(OfferSource::Stored(convert::offer_key("offer_key", Some(key)).map_err(invalid)?)),
        (None, Some(offer)) => Ok(OfferSource::Inline(Box::new(convert::offer(offer).map_err(invalid)?))),
        _ => Err(invalid(ValidationError::new("offer", "give offer_key or inline_offer"))),
    }
}

#[tonic::async_trait]
impl MatchingService for MatchingApi {
    async fn shortlist(&self, request: Request<ShortlistRequest>) -> Result<Response<ShortlistResponse>, Status> {
        let caller = caller(&request);
        let ShortlistRequest { offer, k, as_of: as_of_text } = request.into_inner();
        let source = match offer {
            Some(shortlist_request::Offer::OfferKey(key)) => offer_source(Some(key), None)?,
            Some(shortlist_request::Offer::InlineOffer(offer)) => offer_source(None, Some(offer))?,
            None => offer_source(None, None)?,
        };
        let k = bounded_k(k, 20, &self.0.limits)?;
        let day = as_of("as_of", &as_of_text)?;
        let engine = self.0.engine()?;
        let request_id = request_id();
        let at_ms = crate::edge::current_arrival_ms();
        let audit_id = request_id.clone();
        let (offer_key, shortlist) = blocking_cancellable(move |cancel| {
            let mut request_json = source.audit_json();
            let offer = source.resolve(&engine)?;
            let shortlist = engine.shortlist(&offer, k, day, cancel)?;
            request_json["k"] = k.into();
            request_json["as_of"] = day.to_string().into();
            engine.audit(&AuditEntry {
                request_id: audit_id,
                at_ms,
                caller: pomost_store::Caller { name: caller.name, role: caller.role.name().into() },
                action: AuditAction::Shortlist,
                offer: Some(offer.key.clone()),
                participant: None,
                request: request_json,
                results: shortlist
                    .candidates
                    .iter()
                    .map(|candidate| AuditResult { id: candidate.participant_id.to_string(), score: candidate.score })
                    .collect(),
                policy_version: shortlist.policy_version.clone(),
            })?;
            Ok((offer.key, shortlist))
        })
        .await?;
        tracing::info!(offer = %offer_key, k, returned = shortlist.candidates.len(), %request_id, "shortlist");
        Ok(Response::new(ShortlistResponse {
            request_id,
            policy_version: shortlist.policy_version,
            candidates: shortlist
                .candidates
                .iter()
                .map(|candidate| Candidate {
                    participant_id: candidate.participant_id.to_string(),
                    score: candidate.score,
                    factors: candidate.factors.iter().map(convert::factor_to_wire).collect(),
                    suggested_coach_id: candidate.suggested_coach.as_ref().map(ToString::to_string).unwrap_or_default(),
                    employer_mentor: candidate.employer_mentor,
                    distance_km: candidate.distance_km.unwrap_or(0.0),
                })
                .collect(),
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
        let caller = caller(&request);
        let RecommendOffersRequest { participant_id, k, text, as_of: as_of_text } = request.into_inner();
        let id = ParticipantId::new(participant_id).map_err(|error| invalid(error.under("participant_id")))?;
        let k = bounded_k(k, 10, &self.0.limits)?;
        let day = as_of("as_of", &as_of_text)?;
        let engine = self.0.engine()?;
        let request_id = request_id();
        let at_ms = crate::edge::current_arrival_ms();
        let audit_id = request_id.clone();
        let recommendations = blocking(move || {
            let recommendations = engine.recommend(&id, k, &text, day)?;
            engine.audit(&AuditEntry {
                request_id: audit_id,
                at_ms,
                caller: pomost_store::Caller { name: caller.name, role: caller.role.name().into() },
                action: AuditAction::RecommendOffers,
                offer: None,
                participant: Some(id),
                request: serde_json::json!({ "k": k, "text": text, "as_of": day.to_string() }),
                results: recommendations
                    .iter()
                    .map(|item| AuditResult {
                        id: item.offer.key.to_string(),
                        score: item.explanation.score.unwrap_or(0.0),
                    })
                    .collect(),
                policy_version: engine.policy().version.clone(),
            })?;
            Ok(recommendations)
        })
        .await?;
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
        let caller = caller(&request);
        let ExplainMatchRequest { participant_id, offer, as_of: as_of_text } = request.into_inner();
        let id = ParticipantId::new(participant_id).map_err(|error| invalid(error.under("participant_id")))?;
        let source = match offer {
            Some(explain_match_request::Offer::OfferKey(key)) => offer_source(Some(key), None)?,
            Some(explain_match_request::Offer::InlineOffer(offer)) => offer_source(None, Some(offer))?,
            None => offer_source(None, None)?,
        };
        let day = as_of("as_of", &as_of_text)?;
        let engine = self.0.engine()?;
        let request_id = request_id();
        let at_ms = crate::edge::current_arrival_ms();
        let audit_id = request_id.clone();
        let explanation = blocking(move || {
            let mut request_json = source.audit_json();
            let offer = source.resolve(&engine)?;
            let explanation = engine.explain(&id, &offer, day)?;
            request_json["as_of"] = day.to_string().into();
            engine.audit(&AuditEntry {
                request_id: audit_id,
                at_ms,
                caller: pomost_store::Caller { name: caller.name, role: caller.role.name().into() },
                action: AuditAction::ExplainMatch,
                offer: Some(offer.key.clone()),
                participant: Some(id.clone()),
                request: request_json,
                results: explanation.score.map(|score| AuditResult { id: id.to_string(), score }).into_iter().collect(),
                policy_version: explanation.policy_version.clone(),
            })?;
            Ok(explanation)
        })
        .await?;
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
