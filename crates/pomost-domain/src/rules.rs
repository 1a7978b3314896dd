//! Every eligibility rule, once, as functions of facts (and of the policy's numbers where
//! the policy decides). The scoring crate, the offer index's queries and the explanations
//! all ask these; none keeps a copy.

use crate::offer::Offer;
use crate::vocab::{DisabilityDegree, Stage};

/// The legal working-time norms for a person with a disability certificate (Act of 27
/// August 1997 on vocational and social rehabilitation, art. 15): at most these hours a
/// day and a week, no night work, no overtime.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorkingTimeNorms {
    /// Hours a day.
    pub daily_hours: f32,
    /// Hours a week.
    pub weekly_hours: f32,
}

/// The norms for a certificate degree: any degree 8 h a day and 40 h a week; moderate or
/// severe 7 h and 35 h. `None` without a certificate.
pub fn working_time_norms(degree: DisabilityDegree) -> Option<WorkingTimeNorms> {
    match degree {
        DisabilityDegree::None => None,
        DisabilityDegree::Light => Some(WorkingTimeNorms { daily_hours: 8.0, weekly_hours: 40.0 }),
        DisabilityDegree::Moderate | DisabilityDegree::Severe => {
            Some(WorkingTimeNorms { daily_hours: 7.0, weekly_hours: 35.0 })
        }
    }
}

/// Whether the norms bind this person on this kind of work: a certificate, no physician's
/// consent lifting them (art. 16), and not guarding work (to which they do not apply).
pub fn working_time_norms_apply(
    degree: DisabilityDegree,
    exemption: bool,
    guarding_work: bool,
) -> Option<WorkingTimeNorms> {
    if exemption || guarding_work { None } else { working_time_norms(degree) }
}

/// One way an offer breaks the working-time norms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WorkingTimeViolation {
    /// More hours a week than the norm.
    WeeklyHours {
        /// What the offer needs.
        needed: f32,
        /// The norm.
        limit: f32,
    },
    /// More hours a day than the norm.
    DailyHours {
        /// What the offer needs.
        needed: f32,
        /// The norm.
        limit: f32,
    },
    /// Night work.
    NightWork,
    /// Overtime.
    Overtime,
}

impl std::fmt::Display for WorkingTimeViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WorkingTimeViolation::WeeklyHours { needed, limit } => {
                write!(f, "offer needs {needed} h/week; the legal limit for this person is {limit} h/week")
            }
            WorkingTimeViolation::DailyHours { needed, limit } => {
                write!(f, "offer needs {needed} h/day; the legal limit for this person is {limit} h/day")
            }
            WorkingTimeViolation::NightWork => f.write_str(
                "offer includes night work, which the law does not allow for a person with a disability certificate \
                 without a physician's consent",
            ),
            WorkingTimeViolation::Overtime => f.write_str(
                "offer includes overtime, which the law does not allow for a person with a disability certificate \
                 without a physician's consent",
            ),
        }
    }
}

/// Every way `offer` breaks the norms for a person with `degree` and (no) `exemption`;
/// empty when it breaks none or they do not apply.
pub fn working_time_violations(degree: DisabilityDegree, exemption: bool, offer: &Offer) -> Vec<WorkingTimeViolation> {
    let Some(norms) = working_time_norms_apply(degree, exemption, offer.guarding_work) else { return Vec::new() };
    let mut violations = Vec::new();
    if offer.weekly_hours > norms.weekly_hours {
        violations.push(WorkingTimeViolation::WeeklyHours { needed: offer.weekly_hours, limit: norms.weekly_hours });
    }
    if offer.daily_hours > norms.daily_hours {
        violations.push(WorkingTimeViolation::DailyHours { needed: offer.daily_hours, limit: norms.daily_hours });
    }
    if offer.night_work {
        violations.push(WorkingTimeViolation::NightWork);
    }
    if offer.overtime {
        violations.push(WorkingTimeViolation::Overtime);
    }
    violations
}

/// Stages an adaptation period bridges below the offer's stated minimum: one per
/// `weeks_per_stage` full weeks (a policy number).
pub fn stages_bridged(adaptation_weeks: u8, weeks_per_stage: u8) -> u8 {
    adaptation_weeks / weeks_per_stage.max(1)
}

/// The lowest stage (rank) an offer accepts: its stated minimum, less what its adaptation
/// period bridges.
pub fn lowest_stage_accepted(min_stage: Stage, adaptation_weeks: u8, weeks_per_stage: u8) -> u8 {
    min_stage.rank().saturating_sub(stages_bridged(adaptation_weeks, weeks_per_stage))
}

/// The fewest adaptation weeks with which an offer stating `min_stage` accepts a person at
/// `stage`: 0 when the stage is enough already.
pub fn adaptation_weeks_needed(min_stage: Stage, stage: Stage, weeks_per_stage: u8) -> u32 {
    u32::from(min_stage.rank().saturating_sub(stage.rank())) * u32::from(weeks_per_stage.max(1))
}

/// Whether a person at `stage` is accepted by an offer stating `min_stage` with
/// `adaptation_weeks` of adaptation period.
pub fn stage_accepted(stage: Stage, min_stage: Stage, adaptation_weeks: u8, weeks_per_stage: u8) -> bool {
    stage.rank() >= lowest_stage_accepted(min_stage, adaptation_weeks, weeks_per_stage)
}

/// Whether a workplace `distance_km` away is within a person's commute limit.
pub fn within_commute(distance_km: f64, max_commute_km: f32) -> bool {
    distance_km <= f64::from(max_commute_km)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_rules_agree_with_each_other() {
        for weeks_per_stage in 1..=12 {
            for weeks in 0..=60u8 {
                for min in Stage::ALL {
                    for stage in Stage::ALL {
                        let accepted = stage_accepted(stage, min, weeks, weeks_per_stage);
                        let needed = adaptation_weeks_needed(min, stage, weeks_per_stage);
                        assert_eq!(accepted, u32::from(weeks) >= needed, "{min:?} {stage:?} {weeks} {weeks_per_stage}");
                    }
                }
            }
        }
    }

    #[test]
    fn norms_by_degree() {
        assert_eq!(working_time_norms(DisabilityDegree::None), None);
        assert_eq!(working_time_norms(DisabilityDegree::Light).unwrap().weekly_hours, 40.0);
        assert_eq!(working_time_norms(DisabilityDegree::Severe).unwrap().daily_hours, 7.0);
        assert!(working_time_norms_apply(DisabilityDegree::Severe, true, false).is_none());
        assert!(working_time_norms_apply(DisabilityDegree::Severe, false, true).is_none());
    }
}
