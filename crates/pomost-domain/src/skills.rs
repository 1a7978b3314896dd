//! Skills: canonical ids, levels, requirements, and the relatedness table that gives partial
//! credit for a neighbouring skill.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// Canonical skill id: an ESCO URI or a local code (`pl:sprzatanie`). Free-text labels from
/// partners are normalised to these before they reach the domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SkillId(String);

impl SkillId {
    /// A skill id: non-empty, at most 256 bytes, no whitespace or control characters.
    pub fn new(id: impl Into<String>) -> Result<Self, ValidationError> {
        let id = id.into();
        if id.is_empty() {
            return Err(ValidationError::new("", "skill id must not be empty"));
        }
        if id.len() > 256 {
            return Err(ValidationError::new("", "skill id is longer than 256 bytes"));
        }
        if id.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ValidationError::new("", format!("skill id {} contains whitespace", crate::error::quote(&id))));
        }
        Ok(Self(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SkillId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for SkillId {
    type Error = ValidationError;
    fn try_from(id: String) -> Result<Self, Self::Error> {
        SkillId::new(id)
    }
}

impl From<SkillId> for String {
    fn from(id: SkillId) -> Self {
        id.0
    }
}

/// Skill level 1 (basic), 2 (independent) or 3 (advanced).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct SkillLevel(u8);

impl SkillLevel {
    /// A level in 1..=3.
    pub fn new(level: u8) -> Result<Self, ValidationError> {
        if (1..=3).contains(&level) {
            Ok(Self(level))
        } else {
            Err(ValidationError::new("", format!("{level} is not a level in 1..=3")))
        }
    }

    /// The level as a number.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for SkillLevel {
    type Error = ValidationError;
    fn try_from(level: u8) -> Result<Self, Self::Error> {
        SkillLevel::new(level)
    }
}

impl From<SkillLevel> for u8 {
    fn from(level: SkillLevel) -> Self {
        level.0
    }
}

/// A skill a participant has, with an optional level.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SkillClaim {
    /// Which skill.
    pub skill: SkillId,
    /// How well, if assessed.
    #[serde(default)]
    pub level: Option<SkillLevel>,
}

/// A skill an offer asks for, with the lowest level it wants and a relative weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkillRequirement {
    /// Which skill.
    pub skill: SkillId,
    /// Lowest level wanted; a lower level earns partial credit.
    #[serde(default)]
    pub min_level: Option<SkillLevel>,
    /// Relative weight among the offer's skills, in (0, 10].
    #[serde(default = "default_weight")]
    pub weight: f32,
}

fn default_weight() -> f32 {
    1.0
}

impl SkillRequirement {
    pub(crate) fn validate(&self) -> Result<(), ValidationError> {
        if !self.weight.is_finite() || self.weight <= 0.0 || self.weight > 10.0 {
            return Err(ValidationError::new("weight", format!("{} is not in (0, 10]", self.weight)));
        }
        Ok(())
    }
}

/// Which skills are near each other, for partial credit: skills in the same broader group
/// earn `group_similarity`; explicit pairs earn their own similarity (which wins over the
/// group's). Serde so a deployment can load its own table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SkillRelatedness {
    /// Skill → broader group name (e.g. an ESCO skill group).
    #[serde(default)]
    pub groups: HashMap<SkillId, String>,
    /// Credit in [0, 1] for two different skills of the same group.
    #[serde(default)]
    pub group_similarity: f32,
    /// Explicit symmetric pairs with a similarity in [0, 1].
    #[serde(default)]
    pub pairs: Vec<(SkillId, SkillId, f32)>,
    /// Sets of skills that earn each other partial credit, a skill in any number of them:
    /// e.g. the skills ESCO links to one occupation, or to one unit group.
    #[serde(default)]
    pub clusters: Vec<SkillCluster>,
}

/// Skills that earn each other a partial credit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkillCluster {
    /// What binds them (e.g. `occupation 432103`).
    pub name: String,
    /// Credit in [0, 1] one member earns towards another.
    pub similarity: f32,
    /// The members.
    pub skills: Vec<SkillId>,
}

impl SkillRelatedness {
    /// Checks the similarities are in [0, 1].
    pub fn validated(self) -> Result<Self, ValidationError> {
        if !(0.0..=1.0).contains(&self.group_similarity) {
            return Err(ValidationError::new("relatedness.group_similarity", "must be in [0, 1]"));
        }
        for (index, cluster) in self.clusters.iter().enumerate() {
            if !(0.0..=1.0).contains(&cluster.similarity) {
                return Err(ValidationError::new(
                    format!("relatedness.clusters[{index}].similarity"),
                    "must be in [0, 1]",
                ));
            }
        }
        for (index, (_, _, similarity)) in self.pairs.iter().enumerate() {
            if !(0.0..=1.0).contains(similarity) {
                return Err(ValidationError::new(
                    format!("relatedness.pairs[{index}]"),
                    "similarity must be in [0, 1]",
                ));
            }
        }
        Ok(self)
    }

    /// Credit in [0, 1] that skill `have` earns towards skill `want`: 1 for the same skill,
    /// then the best of an explicit pair, the shared group and the shared clusters.
    pub fn similarity(&self, want: &SkillId, have: &SkillId) -> f32 {
        if want == have {
            return 1.0;
        }
        let mut best = 0.0f32;
        if let (Some(a), Some(b)) = (self.groups.get(want), self.groups.get(have))
            && a == b
        {
            best = self.group_similarity;
        }
        for (a, b, similarity) in &self.pairs {
            if (a == want && b == have) || (a == have && b == want) {
                best = best.max(*similarity);
            }
        }
        for cluster in &self.clusters {
            if cluster.similarity > best && cluster.skills.contains(want) && cluster.skills.contains(have) {
                best = cluster.similarity;
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str) -> SkillId {
        SkillId::new(text).unwrap()
    }

    #[test]
    fn ids_and_levels() {
        assert!(SkillId::new("").is_err());
        assert!(SkillId::new("has space").is_err());
        assert!(SkillLevel::new(0).is_err());
        assert!(SkillLevel::new(4).is_err());
        assert_eq!(SkillLevel::new(2).unwrap().get(), 2);
    }

    #[test]
    fn similarity_prefers_pairs_over_groups() {
        let mut relatedness = SkillRelatedness { group_similarity: 0.4, ..Default::default() };
        relatedness.groups.insert(id("a"), "g".into());
        relatedness.groups.insert(id("b"), "g".into());
        relatedness.groups.insert(id("c"), "h".into());
        relatedness.pairs.push((id("a"), id("c"), 0.7));
        assert_eq!(relatedness.similarity(&id("a"), &id("a")), 1.0);
        assert_eq!(relatedness.similarity(&id("a"), &id("b")), 0.4);
        assert_eq!(relatedness.similarity(&id("c"), &id("a")), 0.7);
        assert_eq!(relatedness.similarity(&id("b"), &id("c")), 0.0);
    }
}
