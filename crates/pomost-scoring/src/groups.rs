//! The groups an exposure report compares, counted while a shortlist is made: how many of
//! the eligible people belong to each, and how much position-weighted attention the returned
//! list gives each. Only these aggregates leave the scan (they go into the audit entry), so
//! the report never re-ranks and the audit never holds a person's groups.

use pomost_domain::{Gender, ReferralGroup};
use serde::{Deserialize, Serialize};

use crate::record::ParticipantRecord;

/// The groups, in report order. Audit entries keep figures by position in this list, so
/// groups are only ever added at its end.
pub const GROUP_NAMES: [&str; 13] = [
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
    "women (where recorded)",
    "men (where recorded)",
];

/// Number of groups.
const GROUPS: usize = GROUP_NAMES.len();

/// Where the stage groups sit in [`GROUP_NAMES`]: stage rank r is `STAGE_GROUPS.start + r`.
pub const STAGE_GROUPS: std::ops::Range<usize> = 6..11;

/// The groups (indexes into [`GROUP_NAMES`]) of a referred person as their referral keeps
/// them, for the outcome and exposure statistics.
pub fn referral_groups(group: &ReferralGroup) -> Vec<usize> {
    let mut groups = vec![usize::from(group.degree.code().min(3))];
    if group.age_50_plus {
        groups.push(4);
    }
    if group.long_term {
        groups.push(5);
    }
    groups.push(STAGE_GROUPS.start + usize::from(group.stage.rank()));
    groups.extend(gender_group(Gender::code(group.gender)));
    groups
}

/// The groups one person belongs to: indexes into [`GROUP_NAMES`], `usize::MAX` for each
/// kind of group the person is in none of.
pub(crate) type Memberships = [usize; 5];

/// The group index of a gender code (1 woman, 2 man); `None` when not recorded.
fn gender_group(code: u8) -> Option<usize> {
    match code {
        1 => Some(11),
        2 => Some(12),
        _ => None,
    }
}

/// Per group: eligible people, and the returned list's attention (a place r weighs
/// 1/log2(1 + r)).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupTally {
    /// Eligible people per group ([`GROUP_NAMES`] order).
    pub eligible: [u64; GROUPS],
    /// Attention given to each group by the returned list.
    pub exposure: [f64; GROUPS],
    /// Eligible people in all.
    pub eligible_total: u64,
    /// Attention of the whole list (the sum of its places' weights).
    pub exposure_total: f64,
}

/// The groups a record belongs to, as indexes into [`GROUP_NAMES`] (`usize::MAX` for a
/// group the person is not in).
#[inline]
pub(crate) fn groups_of(record: &ParticipantRecord, today_julian: i32, year: i32) -> Memberships {
    let age_50 = crate::record::is_50_plus(record.flags, year);
    let long_term = today_julian - record.registered_day >= 365;
    [
        usize::from(record.degree.min(3)),
        if age_50 { 4 } else { usize::MAX },
        if long_term { 5 } else { usize::MAX },
        STAGE_GROUPS.start + usize::from(record.stage.min(4)),
        gender_group(record.gender).unwrap_or(usize::MAX),
    ]
}

/// The day and year tests of [`groups_of`] (50+, a year or longer without work) as bounds
/// fixed for one list: a comparison per person each.
#[derive(Clone, Copy)]
pub(crate) struct GroupCutoffs {
    /// A record's flag byte below this marks a person 50 or older in the list's year
    /// ([`crate::record::is_50_plus`]: the year offset sits in the top bits).
    flags_below_50: u32,
    /// Registered on this Julian day or before: a year or longer without work.
    registered_by: i32,
}

impl GroupCutoffs {
    pub(crate) fn new(today_julian: i32, year: i32) -> Self {
        let last_offset = (year - crate::record::TURNS_50_BASE).clamp(-1, 30);
        GroupCutoffs {
            flags_below_50: ((last_offset + 1) as u32) << crate::record::TURNS_50_SHIFT,
            registered_by: today_julian - 365,
        }
    }
}

/// The eligible counts of a [`GroupTally`] as a scan gathers them: by the record's key
/// (whose bits hold the certificate degree and the stage, [`crate::context::simple_index`])
/// and by gender code, so that an eligible person costs four adds instead of seven; turned
/// into the tally's counts once per list.
#[derive(Clone)]
pub(crate) struct EligibleTally {
    by_key: [u64; 256],
    by_gender: [u64; 4],
    age_50: u64,
    long_term: u64,
}

impl Default for EligibleTally {
    fn default() -> Self {
        EligibleTally { by_key: [0; 256], by_gender: [0; 4], age_50: 0, long_term: 0 }
    }
}

impl EligibleTally {
    /// Counts one eligible person, whose record's key is `key`.
    #[inline]
    pub(crate) fn count(&mut self, record: &ParticipantRecord, key: u8, cutoffs: GroupCutoffs) {
        debug_assert_eq!(usize::from(key), crate::context::simple_index(record.flags, record.degree, record.stage));
        debug_assert!(record.degree <= 3, "a validated certificate degree");
        self.by_key[usize::from(key)] += 1;
        self.by_gender[usize::from(record.gender.min(3))] += 1;
        self.age_50 += u64::from(u32::from(record.flags) < cutoffs.flags_below_50);
        self.long_term += u64::from(record.registered_day <= cutoffs.registered_by);
    }

    /// Adds another worker's counts (a spread scan's workers each keep their own).
    pub(crate) fn merge(&mut self, other: &EligibleTally) {
        for (mine, theirs) in self.by_key.iter_mut().zip(other.by_key) {
            *mine += theirs;
        }
        for (mine, theirs) in self.by_gender.iter_mut().zip(other.by_gender) {
            *mine += theirs;
        }
        self.age_50 += other.age_50;
        self.long_term += other.long_term;
    }

    /// The counts as a [`GroupTally`] holds them (no attention yet).
    pub(crate) fn tally(&self) -> GroupTally {
        let mut tally = GroupTally::default();
        for (key, &count) in self.by_key.iter().enumerate() {
            let (_, degree, stage) = crate::context::simple_fields(key);
            tally.eligible_total += count;
            tally.eligible[usize::from(degree)] += count;
            tally.eligible[STAGE_GROUPS.start + usize::from(stage.min(4))] += count;
        }
        tally.eligible[4] = self.age_50;
        tally.eligible[5] = self.long_term;
        tally.eligible[11] = self.by_gender[1];
        tally.eligible[12] = self.by_gender[2];
        tally
    }
}

impl GroupTally {
    /// Adds the attention of place `rank` (from 1) to the person's groups.
    pub(crate) fn count_place(&mut self, rank: usize, groups: Memberships) {
        let weight = 1.0 / (1.0 + rank as f64).log2();
        self.exposure_total += weight;
        for group in groups.into_iter().filter(|group| *group < GROUP_NAMES.len()) {
            self.exposure[group] += weight;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{EligibleTally, GROUP_NAMES, GroupCutoffs, GroupTally, groups_of};
    use crate::record::{ParticipantRecord, is_50_plus};

    /// Counting by key and gender and expanding once gives the counts of every person's
    /// groups added one by one, over every degree, stage up to beyond the path, flag byte
    /// pattern, gender code and registration around a year back.
    #[test]
    fn an_eligible_tally_counts_each_persons_groups() {
        let (today, year) = (2_461_000, 2026);
        let cutoffs = GroupCutoffs::new(today, year);
        let (mut by_key, mut one_by_one) = (EligibleTally::default(), GroupTally::default());
        let mut record = ParticipantRecord {
            lat: 50.0,
            lon: 20.0,
            max_commute_km: 30.0,
            available_hours: 40.0,
            coach_hours: 0.0,
            slot: 0,
            registered_day: 0,
            home_teryt: 0,
            accommodations_required: 0,
            accommodations_preferred: 0,
            stage: 0,
            degree: 0,
            flags: 0,
            preferred_contracts: 0,
            skill_count: 0,
            gender: 0,
            skill_levels: 0,
            skills: Default::default(),
            occupations: 0,
        };
        for (step, flags) in (0..=255u8).step_by(3).enumerate() {
            record.flags = flags;
            record.degree = (step % 4) as u8;
            record.stage = (step % 10) as u8;
            record.gender = (step % 5) as u8;
            record.registered_day = today - 360 - (step as i32 % 11);
            let key = crate::context::simple_index(record.flags, record.degree, record.stage) as u8;
            by_key.count(&record, key, cutoffs);
            one_by_one.eligible_total += 1;
            for group in groups_of(&record, today, year).into_iter().filter(|group| *group < GROUP_NAMES.len()) {
                one_by_one.eligible[group] += 1;
            }
        }
        let tally = by_key.tally();
        assert_eq!((tally.eligible, tally.eligible_total), (one_by_one.eligible, one_by_one.eligible_total));
        assert!(tally.eligible.iter().all(|&count| count > 0), "every group met: {:?}", tally.eligible);
    }

    /// The bounds sort people into the 50+ and long-term groups as the tests they replace,
    /// for every flag byte, years around the packed range and days around a year back.
    #[test]
    fn group_cutoffs_agree_with_the_tests_they_replace() {
        let today = 2_461_000;
        for year in 2000..2070 {
            let cutoffs = GroupCutoffs::new(today, year);
            for flags in 0..=255u8 {
                assert_eq!(u32::from(flags) < cutoffs.flags_below_50, is_50_plus(flags, year), "{flags} in {year}");
            }
        }
        let cutoffs = GroupCutoffs::new(today, 2026);
        for registered in today - 800..today + 10 {
            assert_eq!(registered <= cutoffs.registered_by, today - registered >= 365, "{registered}");
        }
    }
}
