//! The placement cycle in the engine: referrals (made, moved, listed, swept), retention
//! checks, and the matches a watching unit is sent for each new or changed offer. Every
//! write is committed by the store (which decides capacity and positions inside its
//! transaction), handed to the read models through the change feed, and audited.

use std::time::Duration;

use pomost_domain::{Actor, OutcomeCheck, Referral, Transition, TransitionError, ValidationError};
use pomost_scoring::{Candidate, ShortlistRequest};
use pomost_store::{
    AuditAction, AuditResult, Caller, ChangeKey, NewReferral, ReferralMove, ReferralQuery, ReferralWrite, Stamp,
};
use time::Date;

use crate::engine::{Engine, with_open_positions};
use crate::error::EngineError;
use crate::follow::{Applied, Record};
use crate::ranking::entry;
use crate::request::Requester;

/// Rules of the placement cycle an operator sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlacementOptions {
    /// Weeks a hire keeps the coach's hours reserved when the offer states no adaptation
    /// period.
    pub default_adaptation_weeks: u32,
    /// An open referral untouched this many days expires (releasing its coach hours).
    pub referral_expiry_days: u32,
    /// Outcome statistics hide any cell with fewer people than this.
    pub min_cell_size: u32,
}

impl Default for PlacementOptions {
    fn default() -> Self {
        Self { default_adaptation_weeks: 12, referral_expiry_days: 30, min_cell_size: 10 }
    }
}

/// Most referrals one list returns.
pub const MAX_REFERRALS_LISTED: usize = 1_000;

/// The stamp of Pomost's own moves (expiry, erasure), now.
pub(crate) fn system_stamp() -> Stamp {
    let now = time::OffsetDateTime::now_utc();
    Stamp {
        caller: "pomost".into(),
        role: "system".into(),
        at_ms: (now.unix_timestamp_nanos() / 1_000_000) as i64,
        today: now.date(),
    }
}

/// How the placement rules see a caller's role.
fn actor(caller: &Caller) -> Actor {
    match caller.role.as_str() {
        "partner" => Actor::Partner,
        "unit" => Actor::Unit,
        "labour_office" => Actor::LabourOffice,
        _ => Actor::Admin,
    }
}

fn stamp(who: &Requester, today: Date) -> Stamp {
    Stamp { caller: who.caller.name.clone(), role: who.caller.role.clone(), at_ms: who.at_ms, today }
}

/// A watching unit's standing request.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchRequest {
    /// The unit (or labour office) whose registered people are matched.
    pub unit_id: String,
    /// Only people scoring at least this are sent.
    pub min_score: f32,
    /// At most this many people per offer.
    pub k: usize,
}

/// One offer's matches for a watching unit, at the change that made the offer searchable.
#[derive(Debug, Clone)]
pub struct OfferMatches {
    /// The change sequence number (resume after it).
    pub seq: u64,
    /// The offer as ranked (positions less hires).
    pub offer: pomost_domain::Offer,
    /// The unit's people scoring at least the threshold, best first, explained.
    pub candidates: Vec<Candidate>,
    /// The audit entry written for this push.
    pub request_id: String,
    /// Scoring policy version used.
    pub policy_version: String,
}

impl Engine {
    /// Hands the read models a referral change (and waits until the pool has it, so the
    /// next ranking sees the reservation).
    fn referral_followed(&self, write: &ReferralWrite) {
        if write.seq == 0 {
            return;
        }
        self.followed(vec![Applied {
            seq: write.seq,
            key: ChangeKey::Referral(write.referral.id.clone()),
            record: Some(Record::Referral(write.referral.clone())),
        }]);
        self.pool_sees(write.seq);
    }

    /// Audits a referral move or a retention check of `referral`.
    fn audit_referral(
        &self,
        who: &Requester,
        action: AuditAction,
        referral: &Referral,
        request: serde_json::Value,
    ) -> Result<(), EngineError> {
        self.audit(entry(
            who,
            action,
            Some(referral.offer.clone()),
            referral.participant.clone(),
            request,
            Vec::new(),
            &self.policy().version,
        ))
    }

    /// Refers a person to an offer (proposed), reserving the named coach's hours; audited.
    pub fn create_referral(
        &self,
        who: &Requester,
        new: &NewReferral,
        today: Date,
    ) -> Result<ReferralWrite, EngineError> {
        let actor = actor(&who.caller);
        if actor == Actor::Partner {
            return Err(EngineError::Denied("partner systems cannot make referrals".into()));
        }
        self.disk.before_write()?;
        let write = self.disk.observe(self.store.create_referral(new, &stamp(who, today)))?;
        self.referral_followed(&write);
        if !write.replayed {
            let request = serde_json::json!({
                "referral_id": write.referral.id,
                "to": "proposed",
                "coach_id": new.coach.as_ref().map(|coach| coach.to_string()),
                "idempotency_key": new.idempotency_key,
            });
            self.audit_referral(who, AuditAction::Referral, &write.referral, request)?;
        }
        Ok(write)
    }

    /// Moves a referral along its path; audited. A repeat with the same idempotency key
    /// changes nothing and answers the referral as it is.
    pub fn transition_referral(
        &self,
        who: &Requester,
        id: &str,
        transition: Transition,
        start_date: Option<Date>,
        idempotency_key: Option<String>,
        today: Date,
    ) -> Result<ReferralWrite, EngineError> {
        transition.check(actor(&who.caller)).map_err(|error| match error {
            TransitionError::Invalid(error) => EngineError::Invalid(error),
            TransitionError::NotAllowed(message) => EngineError::Denied(message),
        })?;
        if let Some(start) = start_date
            && (start < today - time::Duration::days(400) || start > today + time::Duration::days(180))
        {
            return Err(EngineError::Invalid(ValidationError::new(
                "start_date",
                format!("{start} is more than 400 days before or 180 days after {today}"),
            )));
        }
        if start_date.is_some() && transition.to != pomost_domain::ReferralState::Hired {
            return Err(EngineError::Invalid(ValidationError::new("start_date", "is only for hired")));
        }
        let step = ReferralMove {
            id: id.to_owned(),
            transition: transition.clone(),
            start_date,
            idempotency_key: idempotency_key.clone(),
            default_adaptation_weeks: self.placement.default_adaptation_weeks,
        };
        self.disk.before_write()?;
        let write = self.disk.observe(self.store.transition_referral(&step, &stamp(who, today)))?;
        self.referral_followed(&write);
        if !write.replayed {
            let request = serde_json::json!({
                "referral_id": id,
                "to": transition.to.name(),
                "declined_by": transition.declined_by.map(pomost_domain::DeclinedBy::name),
                "reason": transition.reason,
                "start_date": start_date.map(|day| day.to_string()),
                "idempotency_key": idempotency_key,
            });
            self.audit_referral(who, AuditAction::Referral, &write.referral, request)?;
        }
        Ok(write)
    }

    /// A referral with its history.
    pub fn referral(&self, id: &str) -> Result<Referral, EngineError> {
        self.store.referral(id)?.ok_or_else(|| EngineError::NotFound(format!("referral {id} does not exist")))
    }

    /// Referrals matching `query` (at most [`MAX_REFERRALS_LISTED`]).
    pub fn referrals(&self, query: &ReferralQuery) -> Result<Vec<Referral>, EngineError> {
        if query.limit > MAX_REFERRALS_LISTED {
            return Err(EngineError::Invalid(ValidationError::new(
                "limit",
                format!("{} is over the bound of {MAX_REFERRALS_LISTED}", query.limit),
            )));
        }
        Ok(self.store.referrals(query)?)
    }

    /// Records (or corrects) a retention check after a hire; audited.
    pub fn record_outcome(
        &self,
        who: &Requester,
        check: &OutcomeCheck,
        today: Date,
    ) -> Result<OutcomeCheck, EngineError> {
        pomost_domain::check_outcome(check.month, check.retention, &check.reason)?;
        if actor(&who.caller) == Actor::Partner {
            return Err(EngineError::Denied("partner systems cannot record retention checks".into()));
        }
        self.disk.before_write()?;
        let recorded = self.disk.observe(self.store.record_outcome(check, &stamp(who, today)))?;
        let referral = self.referral(&check.referral_id)?;
        let request = serde_json::json!({
            "referral_id": check.referral_id,
            "month": check.month,
            "retention": check.retention.name(),
            "reason": check.reason,
        });
        self.audit_referral(who, AuditAction::Outcome, &referral, request)?;
        Ok(recorded)
    }

    /// Expires stale open referrals and releases the coach hours of hires past their
    /// adaptation period (run at start and periodically); how many changed.
    pub fn sweep_referrals(&self) -> Result<usize, EngineError> {
        let stamp = system_stamp();
        let stale_before = stamp.at_ms - i64::from(self.placement.referral_expiry_days) * 86_400_000;
        let changed = self.disk.observe(self.store.sweep_referrals(stale_before, &stamp))?;
        let mut changes = Vec::with_capacity(changed.len());
        for (seq, id) in &changed {
            let record = self.store.referral(id)?.map(Record::Referral);
            changes.push(Applied { seq: *seq, key: ChangeKey::Referral(id.clone()), record });
        }
        if let Some(last) = changes.last().map(|change| change.seq) {
            self.followed(changes);
            self.pool_sees(last);
            tracing::info!(changed = changed.len(), "expired stale referrals and released ended reservations");
        }
        Ok(changed.len())
    }

    /// The last change searches (and so watches) see.
    pub fn searchable_seq(&self) -> u64 {
        self.index.checkpoint()
    }

    /// The placement rules in force.
    pub fn placement_options(&self) -> PlacementOptions {
        self.placement
    }

    /// Offers made searchable after change `after`, each ranked for one unit's people:
    /// waits up to `wait` for the index to make a change searchable, then returns the
    /// matches (each audited) and the sequence checked up to (resume after it). An offer
    /// changed again later is sent at its later change only; a deleted or closed offer, or
    /// one nobody in the unit reaches the threshold for, sends nothing.
    pub fn watch_step(
        &self,
        who: &Requester,
        request: &WatchRequest,
        after: u64,
        wait: Duration,
        today: Date,
    ) -> Result<(Vec<OfferMatches>, u64), EngineError> {
        const BATCH: usize = 500;
        let mut searchable = self.index.checkpoint();
        if searchable <= after {
            self.index.wait_for(after + 1, wait);
            searchable = self.index.checkpoint();
        }
        if searchable <= after {
            return Ok((Vec::new(), after));
        }
        let changes = self.store.changes_after(after, BATCH)?;
        let mut checked = after;
        let mut found = Vec::new();
        for change in changes {
            if change.seq > searchable {
                break;
            }
            checked = change.seq;
            let ChangeKey::Offer(key) = &change.key else { continue };
            let Some((offer, last_written)) = self.store.offer_with_seq(key)? else { continue };
            if last_written != change.seq {
                continue;
            }
            if let Some(matches) = self.unit_matches(who, request, change.seq, &offer, today)? {
                found.push(matches);
            }
        }
        Ok((found, checked))
    }

    fn unit_matches(
        &self,
        who: &Requester,
        request: &WatchRequest,
        seq: u64,
        offer: &pomost_domain::Offer,
        today: Date,
    ) -> Result<Option<OfferMatches>, EngineError> {
        let (offer, shortlist) = {
            let pool = self.pool();
            let offer = with_open_positions(&pool, offer);
            let shortlist = pool.shortlist_of_unit(
                self.policy(),
                &ShortlistRequest { offer: &offer, k: request.k, today },
                &request.unit_id,
            )?;
            (offer, shortlist)
        };
        let candidates: Vec<Candidate> =
            shortlist.candidates.into_iter().filter(|candidate| candidate.score >= request.min_score).collect();
        if candidates.is_empty() {
            return Ok(None);
        }
        // Each push is its own audit entry: the watch's id with the change, pushed now.
        let push = Requester {
            request_id: format!("{}-{seq}", who.request_id),
            at_ms: system_stamp().at_ms,
            caller: who.caller.clone(),
        };
        let request_id = push.request_id.clone();
        self.audit(entry(
            &push,
            AuditAction::WatchMatches,
            Some(offer.key.clone()),
            None,
            serde_json::json!({
                "unit_id": request.unit_id,
                "min_score": request.min_score,
                "k": request.k,
                "seq": seq,
                "as_of": today.to_string(),
            }),
            candidates
                .iter()
                .map(|candidate| AuditResult { id: candidate.participant_id.to_string(), score: candidate.score })
                .collect(),
            &shortlist.policy_version,
        ))?;
        Ok(Some(OfferMatches { seq, offer, candidates, request_id, policy_version: shortlist.policy_version }))
    }
}
