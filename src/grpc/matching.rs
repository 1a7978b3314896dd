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
        let ShortlistRequest { offer, k, as_of: as_of_text, representative, tolerance } = request.into_inner();
        let representative = representative.then_some(if tolerance == 0.0 { 0.1 } else { tolerance });
        let offer = match offer {
            Some(shortlist_request::Offer::OfferKey(key)) => offer_ref(Some(key), None)?,
            Some(shortlist_request::Offer::InlineOffer(offer)) => offer_ref(None, Some(offer))?,
            None => offer_ref(None, None)?,
        };
        let day = as_of("as_of", &as_of_text)?;
        let engine = self.0.engine()?;
        let request_id = who.request_id.clone();
        let (offer_key, shortlist, changes) = self
            .0
            .ranked_and_recorded(move |cancel| engine.shortlist_ranked(&who, offer, k, day, representative, cancel))
            .await?;
        tracing::info!(offer = %offer_key, returned = shortlist.candidates.len(), %request_id, "shortlist");
        Ok(Response::new(ShortlistResponse {
            request_id,
            policy_version: shortlist.policy_version,
            candidates: shortlist.candidates.into_iter().map(convert::candidate_to_wire).collect(),
            exclusions: shortlist
                .excluded
                .non_zero()
                .map(|(reason, count)| ExclusionCount { reason: reason.name().into(), count })
                .collect(),
            eligible: shortlist.eligible,
            pool_size: shortlist.pool_size,
            reranked: changes
                .into_iter()
                .map(|change| crate::proto::RerankChange {
                    added_participant_id: change.added.to_string(),
                    removed_participant_id: change.removed.to_string(),
                    group: change.group,
                    score_loss: change.score_loss,
                })
                .collect(),
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
        let recommendations =
            self.0.ranked_and_recorded(move |_| engine.recommend_ranked(&who, &id, k, &text, day)).await?;
        Ok(Response::new(RecommendOffersResponse {
            request_id,
            policy_version: self.0.engine()?.policy().version.clone(),
            recommendations: recommendations
                .into_iter()
                .map(|item| Recommendation {
                    offer: Some(convert::offer_to_wire(&item.offer)),
                    score: item.explanation.score.unwrap_or(0.0),
                    factors: item.explanation.factors.into_iter().map(convert::factor_to_wire).collect(),
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
        let explanation = self.0.ranked_and_recorded(move |_| engine.explain_ranked(&who, &id, offer, day)).await?;
        Ok(Response::new(ExplainMatchResponse {
            request_id,
            policy_version: explanation.policy_version,
            eligible: explanation.score.is_some(),
            score: explanation.score.unwrap_or(0.0),
            factors: explanation.factors.into_iter().map(convert::factor_to_wire).collect(),
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

    async fn assign_batch(
        &self,
        request: Request<crate::proto::AssignBatchRequest>,
    ) -> Result<Response<crate::proto::AssignBatchResponse>, Status> {
        let who = requester(&request);
        let budget = crate::edge::request_budget(
            &request.metadata().clone().into_headers(),
            std::time::Duration::from_millis(self.0.limits.request_timeout_ms),
        );
        let crate::proto::AssignBatchRequest {
            offer_keys,
            unit_id,
            candidates_per_position,
            as_of: as_of_text,
            propose_referrals,
        } = request.into_inner();
        let offers = offer_keys
            .into_iter()
            .enumerate()
            .map(|(index, key)| convert::offer_key(&format!("offer_keys[{index}]"), Some(key)).map_err(invalid))
            .collect::<Result<Vec<_>, _>>()?;
        let today = as_of("as_of", &as_of_text)?;
        let batch = pomost_engine::BatchRequest {
            offers,
            unit: (!unit_id.is_empty()).then_some(unit_id),
            per_position: candidates_per_position as usize,
            today,
            // Two thirds of the request's time (the client's deadline or the server's limit)
            // for finding candidates and solving, counted from now; the rest for the answer.
            deadline: std::time::Instant::now() + budget * 2 / 3,
        };
        let engine = self.0.engine()?;
        let request_id = who.request_id.clone();
        let (answer, referrals) = self
            .0
            .ranked(move || {
                let answer = engine.assign_batch(&who, &batch)?;
                let mut referrals = Vec::new();
                if propose_referrals {
                    for pair in &answer.assigned {
                        let new = pomost_store::NewReferral {
                            participant: pair.candidate.participant_id.clone(),
                            offer: pair.offer.clone(),
                            coach: pair.candidate.suggested_coach.clone(),
                            idempotency_key: Some(format!("{}:{}", who.request_id, pair.candidate.participant_id)),
                        };
                        referrals.push(match engine.create_referral(&who, &new, super::support::today()) {
                            Ok(write) => Ok(write.referral.id),
                            Err(error) => Err(error.to_string()),
                        });
                    }
                }
                Ok((answer, referrals))
            })
            .await?;
        tracing::info!(
            assigned = answer.assigned.len(),
            left_out = answer.unassigned.len(),
            optimal = answer.optimal,
            %request_id,
            "batch assignment"
        );
        Ok(Response::new(crate::proto::AssignBatchResponse {
            request_id,
            policy_version: answer.policy_version,
            assignments: answer
                .assigned
                .into_iter()
                .enumerate()
                .map(|(index, pair)| {
                    let referral = referrals.get(index);
                    crate::proto::BatchPair {
                        offer_key: Some(convert::offer_key_to_wire(&pair.offer)),
                        candidate: Some(convert::candidate_to_wire(pair.candidate)),
                        referral_id: referral.and_then(|made| made.as_ref().ok()).cloned().unwrap_or_default(),
                        referral_error: referral.and_then(|made| made.as_ref().err()).cloned().unwrap_or_default(),
                    }
                })
                .collect(),
            unassigned: answer
                .unassigned
                .into_iter()
                .map(|left| crate::proto::LeftOut {
                    participant_id: left.participant.to_string(),
                    offers_eligible: left.offers_eligible as u32,
                    reason: left.reason.into(),
                    detail: left.detail,
                })
                .collect(),
            total_score: answer.total_score,
            optimal: answer.optimal,
            score_bound: answer.score_bound,
            components: answer.components as u32,
            candidate_pairs: answer.candidate_pairs as u64,
            closed_offers: answer.closed.iter().map(convert::offer_key_to_wire).collect(),
        }))
    }

    async fn get_exposure_report(
        &self,
        request: Request<crate::proto::GetExposureReportRequest>,
    ) -> Result<Response<crate::proto::ExposureReport>, Status> {
        let crate::proto::GetExposureReportRequest { from_ms, until_ms, region, min_cell_size } = request.into_inner();
        let region = if region.is_empty() {
            None
        } else {
            Some(pomost_domain::TerytCode::parse(&region).map_err(|error| invalid(error.under("region")))?)
        };
        let query = pomost_engine::ExposureQuery { from_ms, until_ms, region, min_cell_size };
        let engine = self.0.engine()?;
        let report = super::support::blocking(move || engine.exposure_report(&query)).await?;
        Ok(Response::new(crate::proto::ExposureReport {
            shortlists: report.shortlists,
            shortlists_without_groups: report.shortlists_without_groups,
            referrals: report.referrals,
            hires: report.hires,
            min_cell_size: report.min_cell_size,
            groups: report
                .rows
                .into_iter()
                .map(|row| crate::proto::ExposureGroup {
                    group: row.group.into(),
                    suppressed: row.suppressed,
                    pool_share: row.pool_share,
                    exposure_share: row.exposure_share,
                    ratio: row.ratio,
                    flagged: row.flagged,
                    referral_share: row.referral_share,
                    hire_share: row.hire_share,
                })
                .collect(),
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
