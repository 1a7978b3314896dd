use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;
use crate::error::{check_hours, check_id};
use crate::geo::{GeoPoint, Location, TerytCode};
use crate::vocab::{AccommodationSet, DisabilityCause, UnitKind};

/// Largest service radius a coach may state, km.
pub const MAX_COACH_RADIUS_KM: f32 = 300.0;
/// Most weekly hours a coach may have.
pub const MAX_COACH_CAPACITY_HOURS: f32 = 60.0;

/// Job-coach id assigned by the unit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CoachId(String);

impl CoachId {
    /// An id: non-empty, at most 128 bytes, no control characters.
    pub fn new(id: impl Into<String>) -> Result<Self, ValidationError> {
        let id = id.into();
        check_id("", &id)?;
        Ok(Self(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CoachId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for CoachId {
    type Error = ValidationError;
    fn try_from(id: String) -> Result<Self, Self::Error> {
        CoachId::new(id)
    }
}

impl From<CoachId> for String {
    fn from(id: CoachId) -> Self {
        id.0
    }
}

/// Where a coach works: listed TERYT units, and/or a radius around a centre.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CoachArea {
    /// Voivodeships, powiats or gminas served.
    #[serde(default)]
    pub teryt: Vec<TerytCode>,
    /// Centre of a served circle.
    #[serde(default)]
    pub centre: Option<GeoPoint>,
    /// Radius of the served circle, km (used with `centre`).
    #[serde(default)]
    pub radius_km: f32,
}

impl CoachArea {
    /// Whether a workplace at `place` lies in the area.
    pub fn covers(&self, place: &Location) -> bool {
        self.teryt.iter().any(|area| place.teryt.is_within(*area))
            || self.centre.is_some_and(|centre| centre.distance_km(place.point) <= f64::from(self.radius_km))
    }

    fn validate(&self) -> Result<(), ValidationError> {
        if self.teryt.is_empty() && self.centre.is_none() {
            return Err(ValidationError::new("", "needs TERYT units or a centre with a radius"));
        }
        check_hours("radius_km", self.radius_km, MAX_COACH_RADIUS_KM)?;
        if self.centre.is_some() && self.radius_km == 0.0 {
            return Err(ValidationError::new("radius_km", "must be more than 0 with a centre"));
        }
        Ok(())
    }
}

/// A job coach (trener pracy) who accompanies people into workplaces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobCoach {
    /// Coach id.
    pub id: CoachId,
    /// Kind of the employing unit.
    pub unit: UnitKind,
    /// Id of the employing unit.
    pub unit_id: String,
    /// Area served.
    pub area: CoachArea,
    /// Cause symbols the coach specialises in, for the unit's planning; scoring never reads
    /// them (it matches needs through `accommodations_supported`).
    #[serde(default)]
    pub specialisations: Vec<DisabilityCause>,
    /// Accommodations the coach can provide in person (e.g. Polish Sign Language, easy-read).
    #[serde(default)]
    pub accommodations_supported: AccommodationSet,
    /// Weekly capacity, hours.
    pub weekly_capacity_hours: f32,
    /// Hours already committed to other people.
    #[serde(default)]
    pub committed_hours: f32,
}

impl JobCoach {
    /// The record if every field is valid, else the first problem with its field path.
    pub fn validated(self) -> Result<Self, ValidationError> {
        self.validate().map_err(|error| error.under("coach"))?;
        Ok(self)
    }

    fn validate(&self) -> Result<(), ValidationError> {
        check_id("unit_id", &self.unit_id)?;
        self.area.validate().map_err(|error| error.under("area"))?;
        for (index, accommodation) in self.accommodations_supported.iter().enumerate() {
            if accommodation.kind() == crate::vocab::AccommodationKind::Workplace {
                return Err(ValidationError::new(
                    format!("accommodations_supported[{index}]"),
                    format!(
                        "{} is provided by a workplace, not a person; a coach can cover only Polish Sign Language, \
                         easy-read instructions, job-site support or assistive-technology set-up",
                        accommodation.label()
                    ),
                ));
            }
        }
        check_hours("weekly_capacity_hours", self.weekly_capacity_hours, MAX_COACH_CAPACITY_HOURS)?;
        check_hours("committed_hours", self.committed_hours, MAX_COACH_CAPACITY_HOURS)?;
        if self.committed_hours > self.weekly_capacity_hours {
            return Err(ValidationError::new(
                "committed_hours",
                format!("{} is over the capacity of {}", self.committed_hours, self.weekly_capacity_hours),
            ));
        }
        Ok(())
    }

    /// Hours a week still free.
    pub fn free_hours(&self) -> f32 {
        (self.weekly_capacity_hours - self.committed_hours).max(0.0)
    }
}
