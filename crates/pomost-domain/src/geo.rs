use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// Mean Earth radius used for great-circle distances.
const EARTH_RADIUS_KM: f64 = 6371.0088;

/// A WGS84 point. Exists so coordinates are checked once (finite, in range) and distances are
/// computed one way everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawPoint", into = "RawPoint")]
pub struct GeoPoint {
    lat: f64,
    lon: f64,
}

#[derive(Serialize, Deserialize)]
struct RawPoint {
    lat: f64,
    lon: f64,
}

impl TryFrom<RawPoint> for GeoPoint {
    type Error = ValidationError;
    fn try_from(raw: RawPoint) -> Result<Self, Self::Error> {
        GeoPoint::new(raw.lat, raw.lon)
    }
}

impl From<GeoPoint> for RawPoint {
    fn from(point: GeoPoint) -> Self {
        RawPoint { lat: point.lat, lon: point.lon }
    }
}

impl GeoPoint {
    /// A point from latitude and longitude in degrees; rejects non-finite or out-of-range values.
    pub fn new(lat: f64, lon: f64) -> Result<Self, ValidationError> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(ValidationError::new("lat", format!("{lat} is not a latitude in [-90, 90]")));
        }
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err(ValidationError::new("lon", format!("{lon} is not a longitude in [-180, 180]")));
        }
        Ok(Self { lat, lon })
    }

    /// Latitude in degrees.
    pub fn lat(self) -> f64 {
        self.lat
    }

    /// Longitude in degrees.
    pub fn lon(self) -> f64 {
        self.lon
    }

    /// Great-circle (haversine) distance in kilometres.
    pub fn distance_km(self, other: GeoPoint) -> f64 {
        let (lat1, lat2) = (self.lat.to_radians(), other.lat.to_radians());
        let dlat = lat2 - lat1;
        let dlon = (other.lon - self.lon).to_radians();
        let a = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
    }
}

/// A code of the Polish territorial register TERYT: 2 digits for a voivodeship, 4 for a
/// powiat, 6 or 7 for a gmina (the 7th digit is the gmina type). Kept as a number and a
/// length so it is `Copy`, compact in the pool, and prefix checks are arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TerytCode {
    digits: u32,
    len: u8,
}

impl TerytCode {
    /// Parses a code; rejects anything but 2, 4, 6 or 7 digits starting with a voivodeship
    /// code (02, 04, …, 32).
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let len = text.len();
        if !matches!(len, 2 | 4 | 6 | 7) || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValidationError::new(
                "",
                format!("{} is not a TERYT code (2, 4, 6 or 7 digits)", crate::error::quote(text)),
            ));
        }
        let digits: u32 = text
            .parse()
            .map_err(|_| ValidationError::new("", format!("{} is not a number", crate::error::quote(text))))?;
        let voivodeship = digits / 10u32.pow(len as u32 - 2);
        if !(2..=32).contains(&voivodeship) || !voivodeship.is_multiple_of(2) {
            return Err(ValidationError::new(
                "",
                format!("{} does not start with a voivodeship code (02, 04, …, 32)", crate::error::quote(text)),
            ));
        }
        Ok(Self { digits, len: len as u8 })
    }

    /// The digits as a number (leading zeros dropped: `0264` is 264).
    pub fn digits(self) -> u32 {
        self.digits
    }

    /// Number of digits (2, 4, 6 or 7).
    pub fn len(self) -> u8 {
        self.len
    }

    /// Always false: a code has at least two digits. Present for API symmetry with `len`.
    pub fn is_empty(self) -> bool {
        false
    }

    /// The code cut to `len` digits (the voivodeship of a powiat, …); `None` if longer than self.
    pub fn truncate(self, len: u8) -> Option<TerytCode> {
        if len > self.len || !matches!(len, 2 | 4 | 6 | 7) {
            return None;
        }
        Some(TerytCode { digits: self.digits / 10u32.pow(u32::from(self.len - len)), len })
    }

    /// Whether this code lies within `area` (area is a prefix of self, or equal).
    pub fn is_within(self, area: TerytCode) -> bool {
        self.truncate(area.len) == Some(area)
    }

    /// The powiat part as a number (e.g. 1465 for Warsaw), if the code is at least that long.
    pub fn powiat_number(self) -> Option<u16> {
        self.truncate(4).map(|code| code.digits as u16)
    }
}

impl fmt::Display for TerytCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:0width$}", self.digits, width = self.len as usize)
    }
}

impl FromStr for TerytCode {
    type Err = ValidationError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        TerytCode::parse(text)
    }
}

impl TryFrom<String> for TerytCode {
    type Error = ValidationError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        TerytCode::parse(&text)
    }
}

impl From<TerytCode> for String {
    fn from(code: TerytCode) -> Self {
        code.to_string()
    }
}

/// A place: its TERYT code (for administrative filters) and coordinates (for distances).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// Administrative unit of the place.
    pub teryt: TerytCode,
    /// Coordinates of the place.
    pub point: GeoPoint,
}

impl Location {
    /// Distance to another location in kilometres.
    pub fn distance_km(&self, other: &Location) -> f64 {
        self.point.distance_km(other.point)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teryt_parse_and_prefix() {
        let warsaw = TerytCode::parse("1465011").unwrap();
        assert_eq!(warsaw.to_string(), "1465011");
        assert_eq!(warsaw.powiat_number(), Some(1465));
        assert!(warsaw.is_within(TerytCode::parse("14").unwrap()));
        assert!(warsaw.is_within(TerytCode::parse("1465").unwrap()));
        assert!(!warsaw.is_within(TerytCode::parse("1261").unwrap()));
        assert_eq!(TerytCode::parse("0201").unwrap().to_string(), "0201");
        for bad in ["", "1", "146", "14x5", "0101", "3401", "12345678"] {
            assert!(TerytCode::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn teryt_serde_round_trip() {
        let code: TerytCode = serde_json::from_str("\"0264\"").unwrap();
        assert_eq!(serde_json::to_string(&code).unwrap(), "\"0264\"");
        assert!(serde_json::from_str::<TerytCode>("\"99\"").is_err());
    }

    #[test]
    fn distances() {
        let warsaw = GeoPoint::new(52.2297, 21.0122).unwrap();
        let krakow = GeoPoint::new(50.0647, 19.9450).unwrap();
        let km = warsaw.distance_km(krakow);
        assert!((km - 252.0).abs() < 3.0, "{km}");
        assert_eq!(warsaw.distance_km(warsaw), 0.0);
        assert!(GeoPoint::new(91.0, 0.0).is_err());
        assert!(GeoPoint::new(0.0, f64::NAN).is_err());
    }
}
