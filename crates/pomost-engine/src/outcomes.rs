//! Placement and retention rates by offer, employer, unit, stage and participant group,
//! computed from the referral and retention-check records. A cell with fewer people than
//! the minimum is suppressed (no counts, no rates), and retention is shown only where the
//! hires reach the minimum too, so no person can be singled out.

use std::collections::BTreeMap;

use pomost_domain::{CHECK_MONTHS, OutcomeCheck, Referral, ReferralState, Retention};

use crate::engine::Engine;
use crate::error::EngineError;

/// What the rows of a statistic are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeDimension {
    /// One row per offer.
    Offer,
    /// One row per employer name.
    Employer,
    /// One row per referring unit.
    Unit,
    /// One row per stage on the adaptation path when referred.
    Stage,
    /// One row per participant group (certificate degree, 50+, registered 12+ months); a
    /// person counts in each group they belong to.
    Group,
}

/// Retention at one check.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RetentionCell {
    /// Months after the start of work.
    pub month: u32,
    /// Checks recorded.
    pub recorded: u64,
    /// Still employed.
    pub employed: u64,
    /// Left the job.
    pub left: u64,
    /// Not known.
    pub unknown: u64,
    /// Employed over employed and left (unknown excluded); `None` when nothing is known.
    pub rate: Option<f64>,
}

/// One row of the statistic.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeRow {
    /// The offer, employer, unit, stage or group.
    pub key: String,
    /// Fewer people than the minimum: every figure below is withheld (zero).
    pub suppressed: bool,
    /// Referrals made.
    pub referrals: u64,
    /// Of those, hires.
    pub hires: u64,
    /// Hires over ended referrals (hired, declined, withdrawn, expired); `None` before any
    /// ended.
    pub placement_rate: Option<f64>,
    /// Retention at 1, 3 and 6 months; empty when the hires are under the minimum.
    pub retention: Vec<RetentionCell>,
}

/// The statistic.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeStats {
    /// What the rows are.
    pub dimension: OutcomeDimension,
    /// The minimum cell size applied.
    pub min_cell_size: u32,
    /// Rows with figures, by key; suppressed rows are listed with zeros.
    pub rows: Vec<OutcomeRow>,
    /// Referrals counted in all.
    pub referrals: u64,
}

#[derive(Default)]
struct Tally {
    people: std::collections::HashSet<String>,
    referrals: u64,
    ended: u64,
    hires: u64,
    checks: [[u64; 3]; 3],
}

/// The row keys a referral counts under.
fn keys(referral: &Referral, dimension: OutcomeDimension) -> Vec<String> {
    match dimension {
        OutcomeDimension::Offer => vec![referral.offer.to_string()],
        OutcomeDimension::Employer => vec![referral.employer.clone()],
        OutcomeDimension::Unit => vec![referral.unit_id.clone()],
        OutcomeDimension::Stage => {
            vec![
                referral
                    .group
                    .as_ref()
                    .map_or("not recorded (erased)".to_owned(), |group| group.stage.label().to_owned()),
            ]
        }
        OutcomeDimension::Group => match &referral.group {
            None => vec!["not recorded (erased)".to_owned()],
            Some(group) => pomost_scoring::referral_groups(group)
                .into_iter()
                .filter(|group| !pomost_scoring::STAGE_GROUPS.contains(group))
                .map(|group| pomost_scoring::GROUP_NAMES[group].to_owned())
                .collect(),
        },
    }
}

/// The statistic over `referrals` and `checks`.
pub fn outcome_stats(
    referrals: &[Referral],
    checks: &[OutcomeCheck],
    dimension: OutcomeDimension,
    min_cell_size: u32,
) -> OutcomeStats {
    let by_referral: std::collections::HashMap<&str, Vec<&OutcomeCheck>> =
        checks.iter().fold(Default::default(), |mut map, check| {
            map.entry(check.referral_id.as_str()).or_default().push(check);
            map
        });
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    for referral in referrals {
        for key in keys(referral, dimension) {
            let tally = tallies.entry(key).or_default();
            // People, not referrals, decide whether a cell may be shown; an erased person
            // counts as one of their own.
            tally.people.insert(referral.participant.as_ref().map_or_else(|| referral.id.clone(), |id| id.to_string()));
            tally.referrals += 1;
            if !referral.state.is_open() {
                tally.ended += 1;
            }
            if referral.state == ReferralState::Hired {
                tally.hires += 1;
                for check in by_referral.get(referral.id.as_str()).into_iter().flatten() {
                    let Some(month) = CHECK_MONTHS.iter().position(|month| *month == check.month) else { continue };
                    let column = match check.retention {
                        Retention::Employed => 0,
                        Retention::Left => 1,
                        Retention::Unknown => 2,
                    };
                    tally.checks[month][column] += 1;
                }
            }
        }
    }
    let minimum = u64::from(min_cell_size);
    let rows = tallies
        .into_iter()
        .map(|(key, tally)| {
            if (tally.people.len() as u64) < minimum {
                return OutcomeRow {
                    key,
                    suppressed: true,
                    referrals: 0,
                    hires: 0,
                    placement_rate: None,
                    retention: Vec::new(),
                };
            }
            let retention = if tally.hires >= minimum {
                CHECK_MONTHS
                    .iter()
                    .zip(tally.checks)
                    .map(|(month, [employed, left, unknown])| RetentionCell {
                        month: *month,
                        recorded: employed + left + unknown,
                        employed,
                        left,
                        unknown,
                        rate: (employed + left > 0).then(|| employed as f64 / (employed + left) as f64),
                    })
                    .collect()
            } else {
                Vec::new()
            };
            OutcomeRow {
                key,
                suppressed: false,
                referrals: tally.referrals,
                hires: tally.hires,
                placement_rate: (tally.ended > 0).then(|| tally.hires as f64 / tally.ended as f64),
                retention,
            }
        })
        .collect();
    OutcomeStats { dimension, min_cell_size, rows, referrals: referrals.len() as u64 }
}

impl Engine {
    /// Placement and retention rates by `dimension` over referrals made from `from_ms` to
    /// `until_ms` (0: no bound), optionally one unit's; cells under `min_cell_size` (never
    /// below the configured minimum) are suppressed.
    pub fn outcome_stats(
        &self,
        dimension: OutcomeDimension,
        unit_id: Option<&str>,
        from_ms: i64,
        until_ms: i64,
        min_cell_size: u32,
    ) -> Result<OutcomeStats, EngineError> {
        let minimum = min_cell_size.max(self.placement_options().min_cell_size);
        let mut referrals = Vec::new();
        self.store.for_each_referral(false, &mut |referral| {
            let in_period = referral.created_ms >= from_ms && (until_ms == 0 || referral.created_ms < until_ms);
            if in_period && unit_id.is_none_or(|unit| referral.unit_id == unit) {
                referrals.push(referral);
            }
            Ok(())
        })?;
        let checks = self.store.outcomes()?;
        Ok(outcome_stats(&referrals, &checks, dimension, minimum))
    }
}

#[cfg(test)]
mod tests {
    use pomost_domain::{DisabilityDegree, OfferKey, ParticipantId, ReferralGroup, Stage};

    use super::*;

    fn referral(number: usize, state: ReferralState, degree: DisabilityDegree) -> Referral {
        Referral {
            id: format!("ref-{number}"),
            participant: Some(ParticipantId::new(format!("p-{number}")).unwrap()),
            offer: OfferKey { source: "s".into(), external_id: "o".into() },
            employer: "E".into(),
            unit_id: "u".into(),
            coach: None,
            coach_hours: 0.0,
            reserved: false,
            state,
            declined_by: None,
            reason: String::new(),
            start_date: None,
            reserved_until: None,
            created_ms: 0,
            updated_ms: 0,
            group: Some(ReferralGroup {
                stage: Stage::OpenMarket,
                degree,
                age_50_plus: false,
                long_term: false,
                gender: None,
            }),
            history: Vec::new(),
        }
    }

    #[test]
    fn small_cells_are_suppressed_and_rates_count_ended_referrals() {
        let mut referrals: Vec<Referral> = (0..12)
            .map(|n| {
                referral(n, if n < 6 { ReferralState::Hired } else { ReferralState::Declined }, DisabilityDegree::None)
            })
            .collect();
        referrals.push(referral(100, ReferralState::Proposed, DisabilityDegree::None));
        referrals.extend((200..203).map(|n| referral(n, ReferralState::Hired, DisabilityDegree::Severe)));
        let checks: Vec<OutcomeCheck> = (0..6)
            .map(|n| OutcomeCheck {
                referral_id: format!("ref-{n}"),
                month: 1,
                retention: if n < 3 { Retention::Employed } else { Retention::Left },
                reason: String::new(),
                recorded_ms: 0,
                caller: "x".into(),
            })
            .collect();
        let stats = outcome_stats(&referrals, &checks, OutcomeDimension::Group, 5);
        let none = stats.rows.iter().find(|row| row.key == "certificate: none").unwrap();
        assert!(!none.suppressed);
        assert_eq!((none.referrals, none.hires), (13, 6));
        assert_eq!(none.placement_rate, Some(0.5));
        assert_eq!(none.retention[0].rate, Some(0.5));
        let severe = stats.rows.iter().find(|row| row.key == "certificate: severe").unwrap();
        assert!(severe.suppressed && severe.referrals == 0 && severe.placement_rate.is_none());
        let strict = outcome_stats(&referrals, &checks, OutcomeDimension::Group, 10);
        let none = strict.rows.iter().find(|row| row.key == "certificate: none").unwrap();
        assert!(!none.suppressed && none.retention.is_empty(), "6 hires are under 10: retention withheld");
    }
}
