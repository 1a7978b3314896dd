use std::ops::{Index, IndexMut};

use serde::{Deserialize, Serialize};

/// Why a person cannot be matched to an offer. Listed in precedence order: a shortlist counts
/// each excluded person once, under the first reason they meet in this order (distance comes
/// first so the spatial index can count people it never visits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExclusionReason {
    /// The offer has expired, is not open yet, or has no open positions.
    OfferClosed,
    /// The workplace is beyond the person's commute limit.
    CommuteTooFar,
    /// The person has not consented to matching.
    NoConsent,
    /// The legal working-time norms for people with a disability certificate (Act of
    /// 27 August 1997, art. 15–16) forbid the offer's hours, night work or overtime.
    WorkingTimeLimit,
    /// The offer includes night work and the person does not accept night shifts.
    NightWorkNotAccepted,
    /// The person's stage is below what the offer accepts, beyond its adaptation period.
    StageTooLow,
    /// A required accommodation is neither provided nor coverable by an available coach.
    AccommodationNotCovered,
    /// A job coach is needed, none with free capacity covers the workplace, and there is no
    /// employer mentor.
    NoJobCoach,
}

impl ExclusionReason {
    /// All reasons in precedence order.
    pub const ALL: [ExclusionReason; 8] = [
        ExclusionReason::OfferClosed,
        ExclusionReason::CommuteTooFar,
        ExclusionReason::NoConsent,
        ExclusionReason::WorkingTimeLimit,
        ExclusionReason::NightWorkNotAccepted,
        ExclusionReason::StageTooLow,
        ExclusionReason::AccommodationNotCovered,
        ExclusionReason::NoJobCoach,
    ];

    /// Stable snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            ExclusionReason::OfferClosed => "offer_closed",
            ExclusionReason::CommuteTooFar => "commute_too_far",
            ExclusionReason::NoConsent => "no_consent",
            ExclusionReason::WorkingTimeLimit => "working_time_limit",
            ExclusionReason::NightWorkNotAccepted => "night_work_not_accepted",
            ExclusionReason::StageTooLow => "stage_too_low",
            ExclusionReason::AccommodationNotCovered => "accommodation_not_covered",
            ExclusionReason::NoJobCoach => "no_job_coach",
        }
    }

    pub(crate) fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// How many people were excluded for each reason (each person once, under the first reason).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExclusionCounts([u64; 8]);

impl ExclusionCounts {
    /// Total people excluded.
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// Reasons with a non-zero count, in precedence order.
    pub fn non_zero(&self) -> impl Iterator<Item = (ExclusionReason, u64)> + '_ {
        ExclusionReason::ALL.into_iter().map(|reason| (reason, self[reason])).filter(|(_, count)| *count > 0)
    }

    pub(crate) fn merge(&mut self, other: &ExclusionCounts) {
        for (mine, theirs) in self.0.iter_mut().zip(other.0) {
            *mine += theirs;
        }
    }
}

impl Index<ExclusionReason> for ExclusionCounts {
    type Output = u64;
    fn index(&self, reason: ExclusionReason) -> &u64 {
        &self.0[reason as usize]
    }
}

impl IndexMut<ExclusionReason> for ExclusionCounts {
    fn index_mut(&mut self, reason: ExclusionReason) -> &mut u64 {
        &mut self.0[reason as usize]
    }
}

/// A set of reasons, one bit each, in precedence order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ReasonSet(pub(crate) u8);

impl ReasonSet {
    pub(crate) fn insert(&mut self, reason: ExclusionReason) {
        self.0 |= reason.bit();
    }

    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The first reason in precedence order.
    pub(crate) fn first(self) -> Option<ExclusionReason> {
        ExclusionReason::ALL.get(self.0.trailing_zeros() as usize).copied()
    }

    /// The set of just its first reason.
    pub(crate) fn only_first(self) -> ReasonSet {
        ReasonSet(self.0 & self.0.wrapping_neg())
    }

    pub(crate) fn contains(self, reason: ExclusionReason) -> bool {
        self.0 & reason.bit() != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_follows_precedence() {
        let mut set = ReasonSet::default();
        assert_eq!(set.first(), None);
        set.insert(ExclusionReason::NoJobCoach);
        set.insert(ExclusionReason::NoConsent);
        assert_eq!(set.first(), Some(ExclusionReason::NoConsent));
        assert!(set.contains(ExclusionReason::NoJobCoach));
        assert!(!set.contains(ExclusionReason::StageTooLow));
    }
}
