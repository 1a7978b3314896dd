use serde::{Deserialize, Serialize};

/// A scored aspect of a match. Each lies in [0, 1] and is multiplied by its policy weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Factor {
    /// Weighted coverage of must-have and nice-to-have skills, with partial credit for
    /// related skills and lower levels.
    Skills,
    /// The person's wanted or past occupations against the offer's KZiS code: the same
    /// occupation, then the same unit group, minor group or sub-major group, with
    /// decreasing credit.
    Occupation,
    /// The person's stage against the offer's minimum (1 at or above it).
    Stage,
    /// How well job-coach support is secured (1 when none is needed).
    Coach,
    /// Share of preferred accommodations the offer or the coach provides (1 when none).
    Accommodations,
    /// Decay with commute distance (1 for remote work).
    Commute,
    /// Hours available against hours offered, and the preferred contract type.
    Preferences,
    /// Months since registration, up to the policy's cap.
    Waiting,
}

impl Factor {
    /// All factors in the order they are reported.
    pub const ALL: [Factor; 8] = [
        Factor::Skills,
        Factor::Occupation,
        Factor::Stage,
        Factor::Coach,
        Factor::Accommodations,
        Factor::Commute,
        Factor::Preferences,
        Factor::Waiting,
    ];

    /// Stable snake_case name, as in the policy file.
    pub fn name(self) -> &'static str {
        match self {
            Factor::Skills => "skills",
            Factor::Occupation => "occupation",
            Factor::Stage => "stage",
            Factor::Coach => "coach",
            Factor::Accommodations => "accommodations",
            Factor::Commute => "commute",
            Factor::Preferences => "preferences",
            Factor::Waiting => "waiting",
        }
    }
}

/// One factor of one candidate: its value, its weight and what it added to the total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactorScore {
    /// Which factor.
    pub factor: Factor,
    /// Value in [0, 1].
    pub value: f32,
    /// Weight from the policy.
    pub weight: f32,
    /// `value * weight`.
    pub contribution: f32,
    /// What produced the value, in words a caseworker can read.
    pub detail: String,
}
