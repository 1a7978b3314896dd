//! The groups an exposure report compares, counted while a shortlist is made: how many of
//! the eligible people belong to each, and how much position-weighted attention the returned
//! list gives each. Only these aggregates leave the scan (they go into the audit entry), so
//! the report never re-ranks and the audit never holds a person's groups.

use serde::{Deserialize, Serialize};

use crate::record::ParticipantRecord;

/// The groups, in report order.
pub const GROUP_NAMES: [&str; 11] = [
    "certificate: none",
    "certificate: light",
    "certificate: moderate",
    "certificate: severe",
    "age 50+",
    "registered 12+ months",
    "stage: social activation",
    "stage: vocational training",
    "stage: sheltered employment",
    "stage: supported open market",
    "stage: open market",
];

/// Per group: eligible people, and the returned list's attention (a place r weighs
/// 1/log2(1 + r)).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupTally {
    /// Eligible people per group ([`GROUP_NAMES`] order).
    pub eligible: [u64; 11],
    /// Attention given to each group by the returned list.
    pub exposure: [f64; 11],
    /// Eligible people in all.
    pub eligible_total: u64,
    /// Attention of the whole list (the sum of its places' weights).
    pub exposure_total: f64,
}

/// The groups a record belongs to, as indexes into [`GROUP_NAMES`].
#[inline]
pub(crate) fn groups_of(
    record: &ParticipantRecord,
    birth_year: u16,
    today_julian: i32,
    year: i32,
) -> [Option<usize>; 4] {
    let age_50 = birth_year != 0 && year - i32::from(birth_year) >= 50;
    let long_term = today_julian - record.registered_day >= 365;
    [
        Some(usize::from(record.degree.min(3))),
        age_50.then_some(4),
        long_term.then_some(5),
        Some(6 + usize::from(record.stage.min(4))),
    ]
}

impl GroupTally {
    /// Counts one eligible person.
    #[inline]
    pub(crate) fn count_eligible(&mut self, groups: [Option<usize>; 4]) {
        self.eligible_total += 1;
        for group in groups.into_iter().flatten() {
            self.eligible[group] += 1;
        }
    }

    /// Adds the attention of place `rank` (from 1) to the person's groups.
    pub(crate) fn count_place(&mut self, rank: usize, groups: [Option<usize>; 4]) {
        let weight = 1.0 / (1.0 + rank as f64).log2();
        self.exposure_total += weight;
        for group in groups.into_iter().flatten() {
            self.exposure[group] += weight;
        }
    }

    pub(crate) fn merge(&mut self, other: &GroupTally) {
        self.eligible_total += other.eligible_total;
        for (mine, theirs) in self.eligible.iter_mut().zip(other.eligible) {
            *mine += theirs;
        }
    }
}
