//! The placement cycle after a shortlist: a referral of one person to one offer, the states
//! it moves through, who may move it, and the documented reason codes for its endings and
//! for the retention checks after a hire. Pure rules; the store applies them inside its
//! transactions.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// Where a referral stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferralState {
    /// Proposed by the unit or office, not yet sent to the employer.
    Proposed,
    /// Sent to the employer (skierowanie).
    SentToEmployer,
    /// The employer invited the person to an interview.
    Interview,
    /// Hired: the person took the job (ends the referral; outcomes follow).
    Hired,
    /// Declined by the person or by the employer, with a reason code.
    Declined,
    /// Withdrawn by the referring side.
    Withdrawn,
    /// Nothing happened for the configured number of days.
    Expired,
}

impl ReferralState {
    /// Every state, in the order of the path.
    pub const ALL: [ReferralState; 7] = [
        ReferralState::Proposed,
        ReferralState::SentToEmployer,
        ReferralState::Interview,
        ReferralState::Hired,
        ReferralState::Declined,
        ReferralState::Withdrawn,
        ReferralState::Expired,
    ];

    /// Stable name, as stored and on the wire's documentation.
    pub fn name(self) -> &'static str {
        match self {
            ReferralState::Proposed => "proposed",
            ReferralState::SentToEmployer => "sent_to_employer",
            ReferralState::Interview => "interview",
            ReferralState::Hired => "hired",
            ReferralState::Declined => "declined",
            ReferralState::Withdrawn => "withdrawn",
            ReferralState::Expired => "expired",
        }
    }

    /// The state of a stored name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.name() == name)
    }

    /// Still moving: it reserves the named coach's hours and can still be moved on.
    pub fn is_open(self) -> bool {
        matches!(self, ReferralState::Proposed | ReferralState::SentToEmployer | ReferralState::Interview)
    }

    /// The states a referral in this state may move to.
    pub fn next_states(self) -> &'static [ReferralState] {
        use ReferralState::*;
        match self {
            Proposed => &[SentToEmployer, Declined, Withdrawn, Expired],
            SentToEmployer => &[Interview, Hired, Declined, Withdrawn, Expired],
            Interview => &[Hired, Declined, Withdrawn, Expired],
            Hired | Declined | Withdrawn | Expired => &[],
        }
    }
}

impl fmt::Display for ReferralState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Who is acting, as the placement rules see the caller's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// An employer's or job board's system (reports its own decisions).
    Partner,
    /// A reintegration unit.
    Unit,
    /// A labour office.
    LabourOffice,
    /// An administrator.
    Admin,
    /// Pomost itself (expiry, erasure).
    System,
}

/// Who ended a declined referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclinedBy {
    /// The person turned the job down.
    Person,
    /// The employer turned the person down.
    Employer,
}

impl DeclinedBy {
    /// Stable name.
    pub fn name(self) -> &'static str {
        match self {
            DeclinedBy::Person => "person",
            DeclinedBy::Employer => "employer",
        }
    }

    /// The side of a stored name.
    pub fn from_name(name: &str) -> Option<Self> {
        [DeclinedBy::Person, DeclinedBy::Employer].into_iter().find(|side| side.name() == name)
    }
}

/// Reason codes for a referral declined by the person.
pub const PERSON_DECLINE_REASONS: &[(&str, &str)] = &[
    ("person_not_interested", "the person is not interested in the job"),
    ("person_unavailable", "the person is not available (other job, training, care duties)"),
    ("person_health", "the person's health does not allow it now"),
    ("person_commute", "the commute is too hard for the person"),
    ("person_conditions", "pay, hours or contract do not suit the person"),
    ("person_other", "another reason given by the person"),
];

/// Reason codes for a referral declined by the employer.
pub const EMPLOYER_DECLINE_REASONS: &[(&str, &str)] = &[
    ("employer_position_filled", "the position was filled"),
    ("employer_qualifications", "the employer found the qualifications or experience short"),
    ("employer_no_show", "the person did not come to the interview"),
    ("employer_accommodation", "the employer cannot provide a needed accommodation"),
    ("employer_other", "another reason given by the employer"),
];

/// Reason codes for a withdrawn referral.
pub const WITHDRAW_REASONS: &[(&str, &str)] = &[
    ("unit_decision", "the unit or office decided to withdraw"),
    ("offer_withdrawn", "the employer withdrew the offer"),
    ("duplicate", "the referral was made twice"),
    ("participant_erased", "the person's data was erased"),
    ("other", "another reason"),
];

/// Reason codes for leaving a job found at a retention check.
pub const LEAVE_REASONS: &[(&str, &str)] = &[
    ("resigned", "the person resigned"),
    ("dismissed", "the employer ended the employment"),
    ("contract_ended", "a fixed-term contract ended and was not renewed"),
    ("health", "health reasons"),
    ("moved", "the person moved away"),
    ("other", "another reason"),
];

/// A move of a referral to another state, as asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// The state to move to.
    pub to: ReferralState,
    /// For declined: who declined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declined_by: Option<DeclinedBy>,
    /// Reason code (required for declined and withdrawn, from the documented lists).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// Why a transition is refused before the store looks at the referral's state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The input is malformed (unknown reason code, missing side).
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The caller's role may not make this move.
    #[error("{0}")]
    NotAllowed(String),
}

impl Transition {
    /// Checks the reason code against the documented list for the target state, and that
    /// `actor` may make the move; the state machine itself is checked by [`Transition::from`].
    pub fn check(&self, actor: Actor) -> Result<(), TransitionError> {
        let invalid = |field: &str, reason: String| TransitionError::Invalid(ValidationError::new(field, reason));
        let listed = |list: &[(&str, &str)]| list.iter().any(|(code, _)| *code == self.reason);
        let codes = |list: &[(&str, &str)]| list.iter().map(|(code, _)| *code).collect::<Vec<_>>().join(", ");
        match self.to {
            ReferralState::Declined => {
                let list = match self.declined_by {
                    Some(DeclinedBy::Person) => PERSON_DECLINE_REASONS,
                    Some(DeclinedBy::Employer) => EMPLOYER_DECLINE_REASONS,
                    None => {
                        return Err(invalid("declined_by", "is required when declining (person or employer)".into()));
                    }
                };
                if !listed(list) {
                    return Err(invalid(
                        "reason",
                        format!("{} is not a documented reason; one of {}", crate::quote(&self.reason), codes(list)),
                    ));
                }
            }
            ReferralState::Withdrawn => {
                if !listed(WITHDRAW_REASONS) {
                    return Err(invalid(
                        "reason",
                        format!(
                            "{} is not a documented reason; one of {}",
                            crate::quote(&self.reason),
                            codes(WITHDRAW_REASONS)
                        ),
                    ));
                }
            }
            _ => {
                if self.declined_by.is_some() {
                    return Err(invalid("declined_by", format!("is only for declined, not {}", self.to)));
                }
                if !self.reason.is_empty() {
                    return Err(invalid("reason", format!("is only for declined and withdrawn, not {}", self.to)));
                }
            }
        }
        let allowed = match (actor, self.to) {
            (Actor::System | Actor::Admin, _) => true,
            (_, ReferralState::Proposed) => false,
            (_, ReferralState::Expired) => false,
            (Actor::Unit | Actor::LabourOffice, _) => true,
            // Employers' systems report their own decisions only.
            (Actor::Partner, ReferralState::Interview | ReferralState::Hired) => true,
            (Actor::Partner, ReferralState::Declined) => self.declined_by == Some(DeclinedBy::Employer),
            (Actor::Partner, _) => false,
        };
        if !allowed {
            return Err(TransitionError::NotAllowed(format!(
                "the caller's role may not move a referral to {}",
                self.to
            )));
        }
        Ok(())
    }

    /// Whether a referral in `from` may move to this transition's state.
    pub fn allowed_from(&self, from: ReferralState) -> bool {
        from.next_states().contains(&self.to)
    }
}

/// A retention check after a hire: months after the start of work.
pub const CHECK_MONTHS: [u32; 3] = [1, 3, 6];

/// What a retention check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Retention {
    /// Still employed there.
    Employed,
    /// Left the job (with a reason code).
    Left,
    /// Not known (the unit could not find out).
    Unknown,
}

impl Retention {
    /// Stable name.
    pub fn name(self) -> &'static str {
        match self {
            Retention::Employed => "employed",
            Retention::Left => "left",
            Retention::Unknown => "unknown",
        }
    }

    /// The value of a stored name.
    pub fn from_name(name: &str) -> Option<Self> {
        [Retention::Employed, Retention::Left, Retention::Unknown].into_iter().find(|value| value.name() == name)
    }
}

/// Checks a retention check's month and reason code.
pub fn check_outcome(month: u32, retention: Retention, reason: &str) -> Result<(), ValidationError> {
    if !CHECK_MONTHS.contains(&month) {
        return Err(ValidationError::new("month", format!("must be 1, 3 or 6, not {month}")));
    }
    match retention {
        Retention::Left if !LEAVE_REASONS.iter().any(|(code, _)| *code == reason) => {
            let codes = LEAVE_REASONS.iter().map(|(code, _)| *code).collect::<Vec<_>>().join(", ");
            Err(ValidationError::new(
                "reason",
                format!("{} is not a documented reason for leaving; one of {codes}", crate::quote(reason)),
            ))
        }
        Retention::Employed | Retention::Unknown if !reason.is_empty() => {
            Err(ValidationError::new("reason", "is only for left"))
        }
        _ => Ok(()),
    }
}

/// The groups a referred person belonged to when referred, for outcome statistics; gone
/// (`None` on the referral) once the person's data is erased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralGroup {
    /// Stage on the adaptation path.
    pub stage: crate::Stage,
    /// Degree on the disability certificate.
    pub degree: crate::DisabilityDegree,
    /// 50 or older (false where no year of birth is recorded).
    pub age_50_plus: bool,
    /// Registered 12 months or more.
    pub long_term: bool,
    /// Gender, where recorded.
    #[serde(default)]
    pub gender: Option<crate::Gender>,
}

/// One recorded transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralEvent {
    /// The state before (none for the creation).
    pub from: Option<ReferralState>,
    /// The state after.
    pub to: ReferralState,
    /// When, ms since the epoch.
    pub at_ms: i64,
    /// Name of the caller's API key ("pomost" for the system).
    pub caller: String,
    /// The caller's role.
    pub role: String,
    /// For declined: who declined.
    pub declined_by: Option<DeclinedBy>,
    /// Reason code, where the state takes one.
    pub reason: String,
}

/// A referral of one person to one offer, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Referral {
    /// Id given by Pomost (`ref-` and a number).
    pub id: String,
    /// The person; `None` once their data is erased.
    pub participant: Option<crate::ParticipantId>,
    /// The offer.
    pub offer: crate::OfferKey,
    /// The employer's name when referred.
    pub employer: String,
    /// The person's unit when referred.
    pub unit_id: String,
    /// The job coach named, if any.
    pub coach: Option<crate::CoachId>,
    /// Weekly hours of that coach the referral holds while `reserved`.
    pub coach_hours: f32,
    /// The coach hours are held now (open referral, or a hire inside its adaptation period).
    pub reserved: bool,
    /// Where it stands.
    pub state: ReferralState,
    /// For declined: who declined.
    pub declined_by: Option<DeclinedBy>,
    /// Reason code of the ending, if any.
    pub reason: String,
    /// For hires: the first day of work.
    pub start_date: Option<time::Date>,
    /// For hires: the last day the coach hours stay reserved (end of the adaptation period).
    pub reserved_until: Option<time::Date>,
    /// Created, ms since the epoch.
    pub created_ms: i64,
    /// Last transition, ms since the epoch.
    pub updated_ms: i64,
    /// The person's groups when referred; `None` after erasure.
    pub group: Option<ReferralGroup>,
    /// Every transition, oldest first (filled where asked for).
    pub history: Vec<ReferralEvent>,
}

/// A retention check as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeCheck {
    /// The hire's referral.
    pub referral_id: String,
    /// 1, 3 or 6 months after the start of work.
    pub month: u32,
    /// What was found.
    pub retention: Retention,
    /// For left: the reason code.
    pub reason: String,
    /// Recorded, ms since the epoch.
    pub recorded_ms: i64,
    /// Name of the caller's API key.
    pub caller: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to(state: ReferralState) -> Transition {
        Transition { to: state, declined_by: None, reason: String::new() }
    }

    #[test]
    fn the_path_moves_forward_and_ends() {
        assert!(to(ReferralState::SentToEmployer).allowed_from(ReferralState::Proposed));
        assert!(to(ReferralState::Hired).allowed_from(ReferralState::Interview));
        assert!(to(ReferralState::Hired).allowed_from(ReferralState::SentToEmployer));
        assert!(!to(ReferralState::Hired).allowed_from(ReferralState::Proposed));
        assert!(!to(ReferralState::Interview).allowed_from(ReferralState::Hired));
        for end in [ReferralState::Hired, ReferralState::Declined, ReferralState::Withdrawn, ReferralState::Expired] {
            assert!(end.next_states().is_empty() && !end.is_open());
        }
    }

    #[test]
    fn declining_needs_a_side_and_a_listed_reason() {
        let mut declined = to(ReferralState::Declined);
        assert!(matches!(declined.check(Actor::Unit), Err(TransitionError::Invalid(_))));
        declined.declined_by = Some(DeclinedBy::Employer);
        declined.reason = "person_health".into();
        assert!(matches!(declined.check(Actor::Unit), Err(TransitionError::Invalid(_))));
        declined.reason = "employer_no_show".into();
        assert!(declined.check(Actor::Unit).is_ok());
        assert!(declined.check(Actor::Partner).is_ok());
        declined.declined_by = Some(DeclinedBy::Person);
        declined.reason = "person_health".into();
        assert!(matches!(declined.check(Actor::Partner), Err(TransitionError::NotAllowed(_))));
    }

    #[test]
    fn roles_are_checked() {
        assert!(matches!(to(ReferralState::SentToEmployer).check(Actor::Partner), Err(TransitionError::NotAllowed(_))));
        assert!(to(ReferralState::Hired).check(Actor::Partner).is_ok());
        assert!(matches!(to(ReferralState::Expired).check(Actor::LabourOffice), Err(TransitionError::NotAllowed(_))));
        assert!(to(ReferralState::Expired).check(Actor::System).is_ok());
        let mut withdrawn = to(ReferralState::Withdrawn);
        withdrawn.reason = "duplicate".into();
        assert!(withdrawn.check(Actor::Unit).is_ok());
        assert!(matches!(withdrawn.check(Actor::Partner), Err(TransitionError::NotAllowed(_))));
    }

    #[test]
    fn outcomes_take_listed_months_and_reasons() {
        assert!(check_outcome(1, Retention::Employed, "").is_ok());
        assert!(check_outcome(2, Retention::Employed, "").is_err());
        assert!(check_outcome(6, Retention::Left, "resigned").is_ok());
        assert!(check_outcome(6, Retention::Left, "").is_err());
        assert!(check_outcome(3, Retention::Unknown, "resigned").is_err());
    }
}
