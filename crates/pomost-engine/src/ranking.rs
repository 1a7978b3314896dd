//! The ranking policy: every ranking request — Shortlist, RecommendOffers, ExplainMatch,
//! and every one to come — goes through here, end to end: defaults and limits, the offer
//! it is about, scoring, and the audit entry (one builder), written and durable before the
//! result is returned. There is no public way to rank without an audit entry: a ranking
//! comes back as [`AwaitingAudit`], whose answer only [`Engine::record`] gives out, after
//! writing its entry. The two steps are apart so that the server's ranking workers (one
//! per core) rank and hand the wait for the entry's sync to another thread. A shortlist
//! alone on the cores writes its entry as soon as the list is ranked, while the other
//! cores explain the candidates, and comes back with the entry already written.

use pomost_domain::{Offer, OfferKey, ParticipantId, ValidationError};
use pomost_scoring::{Explanation, GroupTally, ScanControl, Shortlist};
use pomost_store::{AuditAction, AuditEntry, AuditResult, ListGroups};
use time::Date;

use crate::engine::{Engine, Recommendation};
use crate::error::EngineError;
use crate::request::{OfferRef, Requester};

/// `k` with its default (for 0), refused above the bound.
fn resolve_k(k: u32, default: usize, max: usize) -> Result<usize, EngineError> {
    let k = if k == 0 { default } else { k as usize };
    if k > max {
        return Err(EngineError::Invalid(ValidationError::new("k", format!("{k} is over the bound of {max}"))));
    }
    Ok(k)
}

/// The one audit entry builder (rankings, referrals, outcomes, watches, batches).
pub(crate) fn entry(
    who: &Requester,
    action: AuditAction,
    offer: Option<OfferKey>,
    participant: Option<ParticipantId>,
    request: serde_json::Value,
    results: Vec<AuditResult>,
    policy_version: &str,
) -> AuditEntry {
    AuditEntry {
        request_id: who.request_id.clone(),
        at_ms: who.at_ms,
        caller: who.caller.clone(),
        action,
        offer,
        participant,
        request,
        results,
        policy_version: policy_version.to_owned(),
        vocabulary_version: String::new(),
    }
}

/// A ranking's answer held back until its audit entry is durable. Ranking is work for a
/// core; writing the entry is mostly waiting for a sync, which should not hold a core's
/// worker, so the two can run on different threads. [`Engine::record`] writes the entry and
/// gives the answer out; nothing else can.
#[must_use = "a ranking's answer is given out only by Engine::record, once its audit entry is written"]
#[derive(Debug)]
pub struct AwaitingAudit<T> {
    answer: T,
    /// `None` when the entry was already written while the answer was made (a lone
    /// shortlist writes it while its candidates are explained).
    entry: Option<AuditEntry>,
}

/// A shortlist with its offer's key and the places a representative re-ranking changed.
pub type RankedShortlist = (OfferKey, Shortlist, Vec<pomost_scoring::RerankChange>);

impl Engine {
    /// Writes a ranking's audit entry (durable when this returns), then gives its answer.
    pub fn record<T>(&self, ranked: AwaitingAudit<T>) -> Result<T, EngineError> {
        if let Some(entry) = ranked.entry {
            self.audit(entry)?;
        }
        Ok(ranked.answer)
    }

    fn resolve(&self, offer: OfferRef) -> Result<Offer, EngineError> {
        match offer {
            OfferRef::Stored(key) => self.cached_offer(&key),
            OfferRef::Inline(offer) => Ok(*offer),
        }
    }

    /// A ranked, explained shortlist of participants for an offer (with the offer's key),
    /// audited before it is returned. `k` 0 means the default; `control` says whether the
    /// scan spreads over every core and stops it when nobody waits any more.
    pub fn shortlist(
        &self,
        who: &Requester,
        offer: OfferRef,
        k: u32,
        as_of: Date,
        control: &ScanControl,
    ) -> Result<(OfferKey, Shortlist), EngineError> {
        let (key, shortlist, _) = self.record(self.shortlist_ranked(who, offer, k, as_of, None, control)?)?;
        Ok((key, shortlist))
    }

    /// [`Engine::shortlist`], optionally re-ranked so each group's share of the list stays
    /// within `representative` (a tolerance, 0 to 0.5) of its eligible share; the places the
    /// re-ranking changed come back with the list and go into the audit entry, which
    /// [`Engine::record`] writes before giving the list out.
    pub fn shortlist_ranked(
        &self,
        who: &Requester,
        offer: OfferRef,
        k: u32,
        as_of: Date,
        representative: Option<f32>,
        control: &ScanControl,
    ) -> Result<AwaitingAudit<RankedShortlist>, EngineError> {
        let k = resolve_k(k, self.limits.default_shortlist_k, self.limits.max_k)?;
        if let Some(tolerance) = representative
            && !(0.0..=pomost_scoring::MAX_TOLERANCE).contains(&tolerance)
        {
            return Err(EngineError::Invalid(ValidationError::new(
                "tolerance",
                format!("{tolerance} is not between 0 and {}", pomost_scoring::MAX_TOLERANCE),
            )));
        }
        let mut request = offer.audit_json();
        let offer = self.resolve(offer)?;
        request["k"] = k.into();
        request["as_of"] = as_of.to_string().into();
        let shortlist_entry = |mut request: serde_json::Value,
                               ranked: &[(&ParticipantId, f32)],
                               groups: &GroupTally| {
            // Aggregates only (eligible people and attention per group, and where the
            // workplace is), for the exposure report.
            request["groups"] = ListGroups {
                region: Some(pomost_store::workplace_region(&offer.workplace)),
                eligible: groups.eligible.to_vec(),
                exposure: groups.exposure.to_vec(),
            }
            .to_json();
            let results = ranked.iter().map(|(id, score)| AuditResult { id: id.to_string(), score: *score }).collect();
            entry(who, AuditAction::Shortlist, Some(offer.key.clone()), None, request, results, &self.policy().version)
        };
        if representative.is_none() && control.spreads() {
            // A request alone on the cores: its entry is written (SQLite's commit, about
            // three quarters of it the sync) while the other cores explain the candidates.
            // The debug line says where the time went: the entry usually takes longer than
            // the explanations, so it ends the list.
            let started = std::time::Instant::now();
            let (shortlist, (written, ranked_at, audited_at)) =
                self.rank_participants_alongside(&offer, k, as_of, control, |list| {
                    let ranked_at = started.elapsed();
                    let written = self.audit(shortlist_entry(request, &list.ranked, list.groups));
                    (written, ranked_at, started.elapsed())
                })?;
            tracing::debug!(
                ranked_us = ranked_at.as_micros() as u64,
                audit_us = (audited_at - ranked_at).as_micros() as u64,
                done_us = started.elapsed().as_micros() as u64,
                "lone shortlist: entry written while explaining"
            );
            written?;
            return Ok(AwaitingAudit { answer: (offer.key, shortlist, Vec::new()), entry: None });
        }
        let (shortlist, changes) = self.rank_participants(&offer, k, as_of, representative, control)?;
        if let Some(tolerance) = representative {
            request["representative"] = serde_json::json!({ "tolerance": tolerance, "changes": changes });
        }
        let ranked: Vec<(&ParticipantId, f32)> =
            shortlist.candidates.iter().map(|candidate| (&candidate.participant_id, candidate.score)).collect();
        let entry = shortlist_entry(request, &ranked, &shortlist.groups);
        Ok(AwaitingAudit { answer: (offer.key, shortlist, changes), entry: Some(entry) })
    }

    /// Offers recommended to a participant, best first, audited before they are returned.
    pub fn recommend(
        &self,
        who: &Requester,
        participant: &ParticipantId,
        k: u32,
        text: &str,
        as_of: Date,
    ) -> Result<Vec<Recommendation>, EngineError> {
        self.record(self.recommend_ranked(who, participant, k, text, as_of)?)
    }

    /// [`Engine::recommend`] up to its audit entry, which [`Engine::record`] writes.
    pub fn recommend_ranked(
        &self,
        who: &Requester,
        participant: &ParticipantId,
        k: u32,
        text: &str,
        as_of: Date,
    ) -> Result<AwaitingAudit<Vec<Recommendation>>, EngineError> {
        let k = resolve_k(k, self.limits.default_recommend_k, self.limits.max_k)?;
        let recommendations = self.rank_offers(participant, k, text, as_of)?;
        let results = recommendations
            .iter()
            .map(|item| AuditResult { id: item.offer.key.to_string(), score: item.explanation.score.unwrap_or(0.0) })
            .collect();
        let entry = entry(
            who,
            AuditAction::RecommendOffers,
            None,
            Some(participant.clone()),
            serde_json::json!({ "k": k, "text": text, "as_of": as_of.to_string() }),
            results,
            &self.policy().version,
        );
        Ok(AwaitingAudit { answer: recommendations, entry: Some(entry) })
    }

    /// One participant explained against one offer, audited before it is returned.
    pub fn explain(
        &self,
        who: &Requester,
        participant: &ParticipantId,
        offer: OfferRef,
        as_of: Date,
    ) -> Result<Explanation, EngineError> {
        self.record(self.explain_ranked(who, participant, offer, as_of)?)
    }

    /// [`Engine::explain`] up to its audit entry, which [`Engine::record`] writes.
    pub fn explain_ranked(
        &self,
        who: &Requester,
        participant: &ParticipantId,
        offer: OfferRef,
        as_of: Date,
    ) -> Result<AwaitingAudit<Explanation>, EngineError> {
        let mut request = offer.audit_json();
        let offer = self.resolve(offer)?;
        let explanation = self.explain_pair(participant, &offer, as_of)?;
        request["as_of"] = as_of.to_string().into();
        let results =
            explanation.score.map(|score| AuditResult { id: participant.to_string(), score }).into_iter().collect();
        let entry = entry(
            who,
            AuditAction::ExplainMatch,
            Some(offer.key.clone()),
            Some(participant.clone()),
            request,
            results,
            &explanation.policy_version,
        );
        Ok(AwaitingAudit { answer: explanation, entry: Some(entry) })
    }
}
