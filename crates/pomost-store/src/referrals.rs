//! Referrals, their transitions and retention checks, the same on both backends. Everything that
//! must not be double-booked (a coach's free hours, an offer's positions, one open referral
//! per person and offer) is decided here, inside the writing transaction, so two racing
//! requests give exactly one winner.

use pomost_domain::{
    CoachId, DeclinedBy, DisabilityDegree, JobCoach, Offer, OfferKey, OutcomeCheck, Participant, ParticipantId,
    Referral, ReferralEvent, ReferralGroup, ReferralState, Retention, Stage, Transition,
};
use time::{Date, Duration};

use crate::error::StoreError;
use crate::model::{ChangeKey, ChangeOp};
use crate::records::load;
use crate::sql::{Row, Tx, values};

/// Who acts and when, for the referral's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// Name of the caller's API key ("pomost" for the system).
    pub caller: String,
    /// The caller's role.
    pub role: String,
    /// When, ms since the epoch.
    pub at_ms: i64,
    /// The day it happens on (decides validity, expiry and due checks).
    pub today: Date,
}

/// A referral to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReferral {
    /// The person.
    pub participant: ParticipantId,
    /// The offer.
    pub offer: OfferKey,
    /// The job coach to accompany the person, whose hours the referral reserves.
    pub coach: Option<CoachId>,
    /// Repeating a request with the same key returns the first answer.
    pub idempotency_key: Option<String>,
}

/// A transition to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralMove {
    /// The referral.
    pub id: String,
    /// Where to.
    pub transition: Transition,
    /// For hires: the first day of work (default: the stamp's day).
    pub start_date: Option<Date>,
    /// Repeating a request with the same key is a no-op that returns the referral.
    pub idempotency_key: Option<String>,
    /// Adaptation weeks a hire reserves the coach for when the offer states none.
    pub default_adaptation_weeks: u32,
}

/// Which referrals to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReferralQuery {
    /// Only this unit's.
    pub unit_id: Option<String>,
    /// Only for this offer.
    pub offer: Option<OfferKey>,
    /// Only this person's.
    pub participant: Option<ParticipantId>,
    /// Only open ones (proposed, sent, interview).
    pub open_only: bool,
    /// Referrals numbered above this (paging).
    pub after: u64,
    /// At most this many.
    pub limit: usize,
}

/// What a referral write did: the referral as it is now, its change sequence (0 when a
/// repeated request changed nothing), and whether it was a repeat.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferralWrite {
    /// The referral after the write.
    pub referral: Referral,
    /// The change sequence number of the write; 0 for a repeat.
    pub seq: u64,
    /// The same idempotency key was seen before: nothing changed.
    pub replayed: bool,
}

pub(crate) const MIGRATION: &str = "CREATE TABLE referrals (
        number INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        participant_id TEXT,
        offer_source TEXT NOT NULL,
        offer_external_id TEXT NOT NULL,
        employer TEXT NOT NULL,
        unit_id TEXT NOT NULL,
        coach_id TEXT,
        coach_hours REAL NOT NULL,
        reserved INTEGER NOT NULL,
        state TEXT NOT NULL,
        declined_by TEXT,
        reason TEXT NOT NULL DEFAULT '',
        start_date TEXT,
        reserved_until TEXT,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL,
        stage INTEGER,
        degree INTEGER,
        age_50_plus INTEGER,
        long_term INTEGER
    );
    CREATE INDEX referrals_participant ON referrals (participant_id);
    CREATE INDEX referrals_offer ON referrals (offer_source, offer_external_id, state);
    CREATE INDEX referrals_coach ON referrals (coach_id, reserved);
    CREATE INDEX referrals_unit ON referrals (unit_id, number);
    CREATE INDEX referrals_state ON referrals (state, updated_ms);
    CREATE TABLE referral_events (
        event INTEGER PRIMARY KEY AUTOINCREMENT,
        referral_id TEXT NOT NULL,
        from_state TEXT,
        to_state TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        caller TEXT NOT NULL,
        role TEXT NOT NULL,
        declined_by TEXT,
        reason TEXT NOT NULL DEFAULT '',
        idempotency_key TEXT UNIQUE
    );
    CREATE INDEX referral_events_referral ON referral_events (referral_id, event);
    CREATE TABLE outcomes (
        referral_id TEXT NOT NULL,
        month INTEGER NOT NULL,
        retention TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        recorded_ms INTEGER NOT NULL,
        caller TEXT NOT NULL,
        PRIMARY KEY (referral_id, month)
    );";

/// Adds the referred person's gender (where recorded) to the groups kept on a referral.
pub(crate) const GENDER_MIGRATION: &str = "ALTER TABLE referrals ADD COLUMN gender INTEGER";

const COLUMNS: &str = "id, participant_id, offer_source, offer_external_id, employer, unit_id, coach_id, coach_hours, \
                       reserved, state, declined_by, reason, start_date, reserved_until, created_ms, updated_ms, stage, \
                       degree, age_50_plus, long_term, gender";

fn precondition(message: String) -> StoreError {
    StoreError::Precondition(message)
}

fn bad(what: &str, detail: impl Into<String>) -> StoreError {
    StoreError::Decode { what: what.to_owned(), detail: detail.into() }
}

fn parse_date(text: Option<String>) -> Result<Option<Date>, StoreError> {
    text.map(|text| {
        Date::parse(&text, &time::format_description::well_known::Iso8601::DATE)
            .map_err(|error| bad("referral date", error.to_string()))
    })
    .transpose()
}

fn small(row: &Row, index: usize) -> Result<Option<u8>, StoreError> {
    row.opt_int(index)?
        .map(|value| u8::try_from(value).map_err(|_| bad("referral group", value.to_string())))
        .transpose()
}

fn read_row(row: &Row) -> Result<Referral, StoreError> {
    let state = row.text(9)?;
    let group = match (small(row, 16)?, small(row, 17)?) {
        (Some(stage), Some(degree)) => Some(ReferralGroup {
            stage: Stage::from_rank(stage).ok_or_else(|| bad("referral stage", stage.to_string()))?,
            degree: DisabilityDegree::from_code(degree).ok_or_else(|| bad("referral degree", degree.to_string()))?,
            age_50_plus: row.opt_int(18)?.unwrap_or(0) != 0,
            long_term: row.opt_int(19)?.unwrap_or(0) != 0,
            gender: small(row, 20)?.and_then(pomost_domain::Gender::from_code),
        }),
        _ => None,
    };
    Ok(Referral {
        id: row.text(0)?,
        participant: row
            .opt_text(1)?
            .map(|id| ParticipantId::new(id).map_err(|error| bad("referral participant", error.to_string())))
            .transpose()?,
        offer: OfferKey { source: row.text(2)?, external_id: row.text(3)? },
        employer: row.text(4)?,
        unit_id: row.text(5)?,
        coach: row
            .opt_text(6)?
            .map(|id| CoachId::new(id).map_err(|error| bad("referral coach", error.to_string())))
            .transpose()?,
        coach_hours: row.real(7)? as f32,
        reserved: row.int(8)? != 0,
        state: ReferralState::from_name(&state).ok_or_else(|| bad("referral state", state))?,
        declined_by: row.opt_text(10)?.as_deref().and_then(DeclinedBy::from_name),
        reason: row.text(11)?,
        start_date: parse_date(row.opt_text(12)?)?,
        reserved_until: parse_date(row.opt_text(13)?)?,
        created_ms: row.int(14)?,
        updated_ms: row.int(15)?,
        group,
        history: Vec::new(),
    })
}

/// A referral by id, with its history when `history` is set.
pub(crate) fn get(tx: &dyn Tx, id: &str, history: bool) -> Result<Option<Referral>, StoreError> {
    let Some(row) = tx.row(&format!("SELECT {COLUMNS} FROM referrals WHERE id = ?1"), values![id])? else {
        return Ok(None);
    };
    let mut referral = read_row(&row)?;
    if history {
        referral.history = tx
            .rows(
                "SELECT from_state, to_state, at_ms, caller, role, declined_by, reason FROM referral_events
                 WHERE referral_id = ?1 ORDER BY event",
                values![id],
            )?
            .iter()
            .map(|row| {
                let to = row.text(1)?;
                Ok(ReferralEvent {
                    from: row.opt_text(0)?.as_deref().and_then(ReferralState::from_name),
                    to: ReferralState::from_name(&to).ok_or_else(|| bad("event state", to))?,
                    at_ms: row.int(2)?,
                    caller: row.text(3)?,
                    role: row.text(4)?,
                    declined_by: row.opt_text(5)?.as_deref().and_then(DeclinedBy::from_name),
                    reason: row.text(6)?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
    }
    Ok(Some(referral))
}

/// Referrals matching `query`, by number.
pub(crate) fn list(tx: &dyn Tx, query: &ReferralQuery) -> Result<Vec<Referral>, StoreError> {
    let mut sql = format!("SELECT {COLUMNS} FROM referrals WHERE number > ?1");
    let mut params: Vec<crate::sql::Value> = vec![(query.after as i64).into()];
    let mut push = |clause: &str, value: crate::sql::Value| {
        params.push(value);
        sql.push_str(&format!(" AND {clause} ?{}", params.len()));
    };
    if let Some(unit) = &query.unit_id {
        push("unit_id =", unit.into());
    }
    if let Some(offer) = &query.offer {
        push("offer_source =", (&offer.source).into());
        push("offer_external_id =", (&offer.external_id).into());
    }
    if let Some(participant) = &query.participant {
        push("participant_id =", participant.as_str().into());
    }
    if query.open_only {
        sql.push_str(" AND state IN ('proposed', 'sent_to_employer', 'interview')");
    }
    params.push((query.limit as i64).into());
    sql.push_str(&format!(" ORDER BY number LIMIT ?{}", params.len()));
    tx.rows(&sql, &params)?.iter().map(read_row).collect()
}

/// Calls `visit` with every referral (no history), by number.
pub(crate) fn for_each(
    tx: &dyn Tx,
    only_held: bool,
    visit: &mut dyn FnMut(Referral) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let filter = if only_held { "WHERE reserved = 1 OR state = 'hired'" } else { "" };
    tx.each_row(&format!("SELECT {COLUMNS} FROM referrals {filter} ORDER BY number"), &[], &mut |row| {
        visit(read_row(&row)?)
    })
}

/// Every retention check.
pub(crate) fn outcomes(tx: &dyn Tx) -> Result<Vec<OutcomeCheck>, StoreError> {
    tx.rows(
        "SELECT referral_id, month, retention, reason, recorded_ms, caller FROM outcomes ORDER BY referral_id, month",
        &[],
    )?
    .iter()
    .map(|row| {
        let retention = row.text(2)?;
        Ok(OutcomeCheck {
            referral_id: row.text(0)?,
            month: u32::try_from(row.int(1)?).map_err(|_| bad("outcome month", "out of range"))?,
            retention: Retention::from_name(&retention).ok_or_else(|| bad("retention", retention))?,
            reason: row.text(3)?,
            recorded_ms: row.int(4)?,
            caller: row.text(5)?,
        })
    })
    .collect()
}

fn offer_in(tx: &dyn Tx, key: &OfferKey) -> Result<Option<Offer>, StoreError> {
    crate::records::offer(tx, key)
}

/// Hires made through Pomost for an offer.
fn hires(tx: &dyn Tx, key: &OfferKey) -> Result<u32, StoreError> {
    let row = tx.row(
        "SELECT count(*) FROM referrals WHERE offer_source = ?1 AND offer_external_id = ?2 AND state = 'hired'",
        values![&key.source, &key.external_id],
    )?;
    Ok(row.map(|row| row.int(0)).transpose()?.unwrap_or(0) as u32)
}

/// Fails unless the offer has a position no hire took yet.
fn check_position(tx: &dyn Tx, offer: &Offer) -> Result<(), StoreError> {
    let taken = hires(tx, &offer.key)?;
    if taken >= offer.positions {
        return Err(precondition(format!(
            "offer {} has no open position left ({} position(s), {taken} taken by hires)",
            offer.key, offer.positions
        )));
    }
    Ok(())
}

/// Fails unless the coach has `hours` free after what is committed and reserved.
fn check_coach_hours(tx: &dyn Tx, coach: &JobCoach, hours: f32) -> Result<(), StoreError> {
    let row = tx
        .row(
            "SELECT COALESCE(SUM(coach_hours), 0), count(*) FROM referrals WHERE coach_id = ?1 AND reserved = 1",
            values![coach.id.as_str()],
        )?
        .ok_or_else(|| bad("coach reservations", "no row"))?;
    let (reserved, count) = (row.real(0)?, row.int(1)?);
    let free = f64::from(coach.weekly_capacity_hours) - f64::from(coach.committed_hours) - reserved;
    if free + 1e-4 < f64::from(hours) {
        return Err(precondition(format!(
            "job coach {} has {:.1} h/week free ({} h capacity, {} h committed, {reserved:.1} h reserved by {count} \
             referral(s)); this referral needs {hours} h",
            coach.id,
            free.max(0.0),
            coach.weekly_capacity_hours,
            coach.committed_hours
        )));
    }
    Ok(())
}

fn insert_event(
    tx: &dyn Tx,
    id: &str,
    from: Option<ReferralState>,
    transition: &Transition,
    stamp: &Stamp,
    key: Option<&str>,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO referral_events (referral_id, from_state, to_state, at_ms, caller, role, declined_by, reason,
         idempotency_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        values![
            id,
            from.map(ReferralState::name),
            transition.to.name(),
            stamp.at_ms,
            &stamp.caller,
            &stamp.role,
            transition.declined_by.map(DeclinedBy::name),
            &transition.reason,
            key
        ],
    )?;
    Ok(())
}

/// The referral and state a key was used for, if it was.
fn seen_key(tx: &dyn Tx, key: Option<&str>) -> Result<Option<(String, ReferralState)>, StoreError> {
    let Some(key) = key else { return Ok(None) };
    let Some(row) =
        tx.row("SELECT referral_id, to_state FROM referral_events WHERE idempotency_key = ?1", values![key])?
    else {
        return Ok(None);
    };
    Ok(ReferralState::from_name(&row.text(1)?).map(|state| (row.text(0).unwrap_or_default(), state)))
}

fn key_reused(key: &str, id: &str, state: ReferralState) -> StoreError {
    StoreError::Invalid(pomost_domain::ValidationError::new(
        "idempotency_key",
        format!("{} was used for another request (referral {id} to {state})", pomost_domain::quote(key)),
    ))
}

/// Makes a referral (state proposed), reserving the named coach's hours.
pub(crate) fn create(tx: &dyn Tx, new: &NewReferral, stamp: &Stamp) -> Result<ReferralWrite, StoreError> {
    let key = new.idempotency_key.as_deref();
    if let Some((id, state)) = seen_key(tx, key)? {
        let referral = get(tx, &id, true)?.ok_or_else(|| StoreError::NotFound(format!("referral {id}")))?;
        let same = state == ReferralState::Proposed
            && referral.participant.as_ref() == Some(&new.participant)
            && referral.offer == new.offer;
        if !same {
            return Err(key_reused(key.unwrap_or_default(), &id, state));
        }
        return Ok(ReferralWrite { referral, seq: 0, replayed: true });
    }
    let participant: Participant = load(
        tx,
        "SELECT data, checksum FROM participants WHERE id = ?1",
        values![new.participant.as_str()],
        &format!("participant {}", new.participant),
    )?
    .ok_or_else(|| StoreError::NotFound(format!("participant {} is not registered", new.participant)))?;
    let offer =
        offer_in(tx, &new.offer)?.ok_or_else(|| StoreError::NotFound(format!("offer {} is not stored", new.offer)))?;
    if !(offer.valid_from <= stamp.today && stamp.today <= offer.valid_until) {
        return Err(precondition(format!(
            "offer {} is not open on {} (open {} to {})",
            offer.key, stamp.today, offer.valid_from, offer.valid_until
        )));
    }
    check_position(tx, &offer)?;
    let open = tx.row(
        "SELECT id FROM referrals WHERE participant_id = ?1 AND offer_source = ?2 AND offer_external_id = ?3
         AND state IN ('proposed', 'sent_to_employer', 'interview')",
        values![new.participant.as_str(), &offer.key.source, &offer.key.external_id],
    )?;
    if let Some(open) = open {
        return Err(precondition(format!(
            "participant {} already has an open referral to offer {}: {}",
            new.participant,
            offer.key,
            open.text(0)?
        )));
    }
    let hours = if new.coach.is_some() { participant.coach_hours_per_week } else { 0.0 };
    if let Some(coach_id) = &new.coach {
        let coach: JobCoach = load(
            tx,
            "SELECT data, checksum FROM coaches WHERE id = ?1",
            values![coach_id.as_str()],
            &format!("coach {coach_id}"),
        )?
        .ok_or_else(|| StoreError::NotFound(format!("job coach {coach_id} is not registered")))?;
        check_coach_hours(tx, &coach, hours)?;
    }
    let number = tx
        .row("SELECT COALESCE(MAX(number), 0) + 1 FROM referrals", &[])?
        .map(|row| row.int(0))
        .transpose()?
        .unwrap_or(1);
    let id = format!("ref-{number}");
    tx.execute(
        &format!(
            "INSERT INTO referrals (number, {COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, NULL, '', \
             NULL, NULL, ?12, ?12, ?13, ?14, ?15, ?16, ?17)"
        ),
        values![
            number,
            id.as_str(),
            participant.id.as_str(),
            &offer.key.source,
            &offer.key.external_id,
            &offer.employer.name,
            &participant.unit_id,
            new.coach.as_ref().map(CoachId::as_str),
            f64::from(hours),
            hours > 0.0,
            ReferralState::Proposed.name(),
            stamp.at_ms,
            participant.stage.rank(),
            participant.disability.degree.code(),
            participant.is_50_plus(stamp.today.year()),
            participant.is_long_term(stamp.today),
            participant.gender.map(|gender| pomost_domain::Gender::code(Some(gender))),
        ],
    )?;
    let created = Transition { to: ReferralState::Proposed, declined_by: None, reason: String::new() };
    insert_event(tx, &id, None, &created, stamp, key)?;
    let seq = tx.record_change(ChangeOp::Upsert, &ChangeKey::Referral(id.clone()))?;
    let referral = get(tx, &id, true)?.ok_or_else(|| StoreError::NotFound(format!("referral {id}")))?;
    Ok(ReferralWrite { referral, seq, replayed: false })
}

/// Moves a referral along its path (the state machine, positions and reservations checked).
pub(crate) fn transition(tx: &dyn Tx, step: &ReferralMove, stamp: &Stamp) -> Result<ReferralWrite, StoreError> {
    let key = step.idempotency_key.as_deref();
    if let Some((id, state)) = seen_key(tx, key)? {
        if id != step.id || state != step.transition.to {
            return Err(key_reused(key.unwrap_or_default(), &id, state));
        }
        let referral = get(tx, &id, true)?.ok_or_else(|| StoreError::NotFound(format!("referral {id}")))?;
        return Ok(ReferralWrite { referral, seq: 0, replayed: true });
    }
    let referral = get(tx, &step.id, false)?
        .ok_or_else(|| StoreError::NotFound(format!("referral {} does not exist", step.id)))?;
    let to = step.transition.to;
    if !step.transition.allowed_from(referral.state) {
        let next: Vec<&str> = referral.state.next_states().iter().map(|state| state.name()).collect();
        let options = if next.is_empty() { "none: it has ended".to_owned() } else { next.join(", ") };
        return Err(precondition(format!(
            "referral {} is {}; it cannot move to {to} (it can move to: {options})",
            referral.id, referral.state
        )));
    }
    let (mut reserved, mut start, mut until) = (referral.reserved && to.is_open(), None, None);
    if to == ReferralState::Hired {
        let offer = offer_in(tx, &referral.offer)?
            .ok_or_else(|| precondition(format!("offer {} is no longer stored", referral.offer)))?;
        check_position(tx, &offer)?;
        let first_day = step.start_date.unwrap_or(stamp.today);
        let weeks =
            if offer.adaptation_weeks > 0 { u32::from(offer.adaptation_weeks) } else { step.default_adaptation_weeks };
        let last_day = first_day + Duration::weeks(i64::from(weeks)) - Duration::days(1);
        reserved = referral.reserved && last_day >= stamp.today;
        start = Some(first_day);
        until = Some(last_day);
    }
    tx.execute(
        "UPDATE referrals SET state = ?2, declined_by = ?3, reason = ?4, reserved = ?5, start_date = ?6,
         reserved_until = ?7, updated_ms = ?8 WHERE id = ?1",
        values![
            referral.id.as_str(),
            to.name(),
            step.transition.declined_by.map(DeclinedBy::name),
            &step.transition.reason,
            reserved,
            start.map(|day| day.to_string()),
            until.map(|day| day.to_string()),
            stamp.at_ms,
        ],
    )?;
    insert_event(tx, &referral.id, Some(referral.state), &step.transition, stamp, key)?;
    let seq = tx.record_change(ChangeOp::Upsert, &ChangeKey::Referral(referral.id.clone()))?;
    let referral = get(tx, &referral.id, true)?.ok_or_else(|| StoreError::NotFound(format!("referral {}", step.id)))?;
    Ok(ReferralWrite { referral, seq, replayed: false })
}

/// Expires open referrals untouched since `stale_before_ms` and releases the coach hours of
/// hires whose adaptation period ended before `stamp.today`; the changes it recorded.
pub(crate) fn sweep(tx: &dyn Tx, stale_before_ms: i64, stamp: &Stamp) -> Result<Vec<(u64, String)>, StoreError> {
    let stale = tx.rows(
        "SELECT id, state FROM referrals WHERE state IN ('proposed', 'sent_to_employer', 'interview')
         AND updated_ms < ?1 ORDER BY number",
        values![stale_before_ms],
    )?;
    let mut changes = Vec::new();
    let expired = Transition { to: ReferralState::Expired, declined_by: None, reason: String::new() };
    for row in stale {
        let (id, state) = (row.text(0)?, row.text(1)?);
        tx.execute(
            "UPDATE referrals SET state = 'expired', reserved = 0, updated_ms = ?2 WHERE id = ?1",
            values![id.as_str(), stamp.at_ms],
        )?;
        insert_event(tx, &id, ReferralState::from_name(&state), &expired, stamp, None)?;
        changes.push((tx.record_change(ChangeOp::Upsert, &ChangeKey::Referral(id.clone()))?, id));
    }
    let ended = tx.rows(
        "SELECT id FROM referrals WHERE state = 'hired' AND reserved = 1 AND reserved_until < ?1 ORDER BY number",
        values![stamp.today.to_string()],
    )?;
    for row in ended {
        let id = row.text(0)?;
        tx.execute("UPDATE referrals SET reserved = 0 WHERE id = ?1", values![id.as_str()])?;
        changes.push((tx.record_change(ChangeOp::Upsert, &ChangeKey::Referral(id.clone()))?, id));
    }
    Ok(changes)
}

/// Erasure of a participant's referrals: open ones are withdrawn (releasing their coach
/// hours), and every one loses the person's id and groups; the changes it recorded.
pub(crate) fn erase_participant(
    tx: &dyn Tx,
    participant: &ParticipantId,
    stamp: &Stamp,
) -> Result<Vec<(u64, String)>, StoreError> {
    let rows = tx.rows(
        "SELECT id, state FROM referrals WHERE participant_id = ?1 ORDER BY number",
        values![participant.as_str()],
    )?;
    let withdrawn =
        Transition { to: ReferralState::Withdrawn, declined_by: None, reason: "participant_erased".to_owned() };
    let mut changes = Vec::new();
    for row in rows {
        let id = row.text(0)?;
        let state = ReferralState::from_name(&row.text(1)?);
        if state.is_some_and(ReferralState::is_open) {
            tx.execute(
                "UPDATE referrals SET state = 'withdrawn', reason = 'participant_erased', reserved = 0,
                 updated_ms = ?2 WHERE id = ?1",
                values![id.as_str(), stamp.at_ms],
            )?;
            insert_event(tx, &id, state, &withdrawn, stamp, None)?;
        }
        tx.execute(
            "UPDATE referrals SET participant_id = NULL, stage = NULL, degree = NULL, age_50_plus = NULL,
             long_term = NULL, gender = NULL WHERE id = ?1",
            values![id.as_str()],
        )?;
        changes.push((tx.record_change(ChangeOp::Upsert, &ChangeKey::Referral(id.clone()))?, id));
    }
    Ok(changes)
}

/// Records (or corrects) a retention check of a hire once it is due.
pub(crate) fn record_outcome(tx: &dyn Tx, check: &OutcomeCheck, stamp: &Stamp) -> Result<OutcomeCheck, StoreError> {
    let referral = get(tx, &check.referral_id, false)?
        .ok_or_else(|| StoreError::NotFound(format!("referral {} does not exist", check.referral_id)))?;
    let Some(start) = referral.start_date.filter(|_| referral.state == ReferralState::Hired) else {
        return Err(precondition(format!(
            "referral {} is {}; retention is checked only after a hire",
            referral.id, referral.state
        )));
    };
    let due = start + Duration::days(30 * i64::from(check.month));
    if stamp.today < due - Duration::days(7) {
        return Err(precondition(format!(
            "the {}-month check of referral {} is due on {due} (work started {start})",
            check.month, referral.id
        )));
    }
    tx.execute(
        "INSERT INTO outcomes (referral_id, month, retention, reason, recorded_ms, caller)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (referral_id, month) DO UPDATE SET retention = excluded.retention,
         reason = excluded.reason, recorded_ms = excluded.recorded_ms, caller = excluded.caller",
        values![&check.referral_id, check.month, check.retention.name(), &check.reason, stamp.at_ms, &stamp.caller],
    )?;
    Ok(OutcomeCheck { recorded_ms: stamp.at_ms, caller: stamp.caller.clone(), ..check.clone() })
}
