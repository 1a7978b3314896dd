//! The versioned scoring policy: factor weights and the thresholds that shape each factor.

use serde::{Deserialize, Serialize};

use crate::error::ScoringError;
use crate::factors::Factor;

/// Weight of each factor in the total score. A total lies in [0, sum of weights].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactorWeights {
    /// Weighted coverage of the offer's skills.
    pub skills: f32,
    /// Wanted or past occupation against the offer's (0 in policy files that predate it).
    #[serde(default)]
    pub occupation: f32,
    /// How well the person's stage fits the offer's minimum.
    pub stage: f32,
    /// How well job-coach support is secured.
    pub coach: f32,
    /// Share of preferred accommodations met.
    pub accommodations: f32,
    /// Decay with commute distance.
    pub commute: f32,
    /// Hours and contract type the person prefers.
    pub preferences: f32,
    /// Small boost for people waiting longest.
    pub waiting: f32,
}

impl FactorWeights {
    /// The weight of one factor.
    pub fn get(&self, factor: Factor) -> f32 {
        match factor {
            Factor::Skills => self.skills,
            Factor::Occupation => self.occupation,
            Factor::Stage => self.stage,
            Factor::Coach => self.coach,
            Factor::Accommodations => self.accommodations,
            Factor::Commute => self.commute,
            Factor::Preferences => self.preferences,
            Factor::Waiting => self.waiting,
        }
    }

    /// Sum of all weights: the highest total a candidate can reach.
    pub fn sum(&self) -> f32 {
        Factor::ALL.iter().map(|factor| self.get(*factor)).sum()
    }
}

/// Weights and thresholds of the ranking, with a version every result names.
///
/// Exists so a change to the ranking is a reviewed change of one document, and an audited
/// shortlist can always be traced to the exact rules that produced it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoringPolicy {
    /// Version label, e.g. `2026-11.1`.
    pub version: String,
    /// Factor weights.
    pub weights: FactorWeights,
    /// How many times a must-have skill counts against a nice-to-have one.
    pub must_have_multiplier: f32,
    /// Credit for a skill with no assessed level when the offer wants a minimum level.
    pub unassessed_level_credit: f32,
    /// Weeks of adaptation period that bridge one stage below the offer's minimum.
    pub adaptation_weeks_per_stage: u8,
    /// Stage-fit lost per stage below the offer's minimum (when bridged).
    pub stage_gap_penalty: f32,
    /// Distance at which the commute factor falls to one half, km.
    pub commute_half_km: f32,
    /// Months of waiting at which the waiting-time boost is full.
    pub waiting_full_months: f32,
    /// Coach hours a week assumed when a coach is needed only to provide an accommodation.
    pub accommodation_support_hours: f32,
    /// Occupation credit for the offer's unit group (4 digits) rather than its occupation.
    #[serde(default = "default_unit_group_credit")]
    pub occupation_unit_group_credit: f32,
    /// Occupation credit for the offer's minor group (3 digits).
    #[serde(default = "default_minor_group_credit")]
    pub occupation_minor_group_credit: f32,
    /// Occupation credit for the offer's sub-major group (2 digits).
    #[serde(default = "default_sub_major_group_credit")]
    pub occupation_sub_major_group_credit: f32,
    /// Share of that credit a past occupation of less than a year earns (a wanted
    /// occupation or a year or more earns all of it).
    #[serde(default = "default_short_experience_share")]
    pub short_experience_share: f32,
}

fn default_unit_group_credit() -> f32 {
    0.6
}

fn default_minor_group_credit() -> f32 {
    0.4
}

fn default_sub_major_group_credit() -> f32 {
    0.2
}

fn default_short_experience_share() -> f32 {
    0.75
}

/// The policy compiled into the binary, used when no file is configured.
pub const DEFAULT_POLICY_TOML: &str = include_str!("default_policy.toml");

impl Default for ScoringPolicy {
    fn default() -> Self {
        match ScoringPolicy::from_toml_str(DEFAULT_POLICY_TOML) {
            Ok(policy) => policy,
            Err(error) => unreachable!("the embedded default policy is checked by a unit test: {error}"),
        }
    }
}

impl ScoringPolicy {
    /// Parses and validates a policy written in TOML.
    pub fn from_toml_str(text: &str) -> Result<Self, ScoringError> {
        let policy: ScoringPolicy = toml::from_str(text).map_err(|error| ScoringError::Policy(error.to_string()))?;
        policy.validated()
    }

    /// The policy if every weight and threshold is usable.
    pub fn validated(self) -> Result<Self, ScoringError> {
        let invalid = |field: &str, reason: &str| Err(ScoringError::Policy(format!("{field}: {reason}")));
        if self.version.trim().is_empty() {
            return invalid("version", "must not be empty");
        }
        for factor in Factor::ALL {
            let weight = self.weights.get(factor);
            if !weight.is_finite() || !(0.0..=100.0).contains(&weight) {
                return invalid(&format!("weights.{}", factor.name()), "must be in [0, 100]");
            }
        }
        if self.weights.sum() <= 0.0 {
            return invalid("weights", "at least one weight must be above 0");
        }
        if !(1.0..=10.0).contains(&self.must_have_multiplier) {
            return invalid("must_have_multiplier", "must be in [1, 10]");
        }
        if !(0.0..=1.0).contains(&self.unassessed_level_credit) {
            return invalid("unassessed_level_credit", "must be in [0, 1]");
        }
        if self.adaptation_weeks_per_stage == 0 {
            return invalid("adaptation_weeks_per_stage", "must be at least 1");
        }
        if !(0.0..=1.0).contains(&self.stage_gap_penalty) {
            return invalid("stage_gap_penalty", "must be in [0, 1]");
        }
        if !self.commute_half_km.is_finite() || self.commute_half_km <= 0.0 {
            return invalid("commute_half_km", "must be above 0");
        }
        if !self.waiting_full_months.is_finite() || self.waiting_full_months <= 0.0 {
            return invalid("waiting_full_months", "must be above 0");
        }
        if !(0.0..=40.0).contains(&self.accommodation_support_hours) {
            return invalid("accommodation_support_hours", "must be in [0, 40]");
        }
        for (field, value) in [
            ("occupation_unit_group_credit", self.occupation_unit_group_credit),
            ("occupation_minor_group_credit", self.occupation_minor_group_credit),
            ("occupation_sub_major_group_credit", self.occupation_sub_major_group_credit),
            ("short_experience_share", self.short_experience_share),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return invalid(field, "must be in [0, 1]");
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_parses_and_sums_to_one() {
        let policy = ScoringPolicy::from_toml_str(DEFAULT_POLICY_TOML).unwrap();
        assert!((policy.weights.sum() - 1.0).abs() < 1e-6);
        assert_eq!(policy, ScoringPolicy::default());
    }

    #[test]
    fn rejects_bad_policies() {
        let bad_weight = DEFAULT_POLICY_TOML.replace("skills = 0.35", "skills = -1.0");
        let error = ScoringPolicy::from_toml_str(&bad_weight).unwrap_err().to_string();
        assert!(error.contains("weights.skills"), "{error}");
        let unknown = format!("{DEFAULT_POLICY_TOML}\nsurprise = 1\n");
        assert!(ScoringPolicy::from_toml_str(&unknown).is_err());
        let zero = DEFAULT_POLICY_TOML.replace("adaptation_weeks_per_stage = 8", "adaptation_weeks_per_stage = 0");
        assert!(ScoringPolicy::from_toml_str(&zero).is_err());
    }
}
