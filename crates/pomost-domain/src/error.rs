use std::fmt;

/// Why a record was rejected: the path of the offending field (`offer.weekly_hours`,
/// `participant.skills[2].level`) and a reason a person can read.
///
/// Exists so every layer (constructors, the pool, later the gRPC edge) reports bad input the
/// same way, and an integrator sees exactly which field to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationError {
    /// Dotted field path, with `[i]` for list positions.
    pub field: String,
    /// Lower-case reason without a trailing period.
    pub reason: String,
}

impl ValidationError {
    /// A rejection of `field` for `reason`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { field: field.into(), reason: reason.into() }
    }

    /// The same error nested under a parent path (`skills[0]` becomes `participant.skills[0]`).
    pub fn under(self, parent: &str) -> Self {
        let field = if self.field.is_empty() {
            parent.to_owned()
        } else if self.field.starts_with('[') {
            format!("{parent}{}", self.field)
        } else {
            format!("{parent}.{}", self.field)
        };
        Self { field, reason: self.reason }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() { f.write_str(&self.reason) } else { write!(f, "{}: {}", self.field, self.reason) }
    }
}

/// Upper bound of weekly hours any record may state (12 h a day, 7 days a week); beyond it a
/// value is a data-entry error, not a job.
pub const MAX_WEEKLY_HOURS: f32 = 84.0;

/// Longest piece of a client's input an error message quotes, in characters.
pub const MAX_QUOTE_CHARS: usize = 64;

/// A client's text as an error message quotes it: in quotes, escaped, and cut to
/// [`MAX_QUOTE_CHARS`] characters with "…" so no input can make an error message long.
pub fn quote(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(MAX_QUOTE_CHARS).collect();
    let cut = if chars.next().is_some() { "…" } else { "" };
    format!("{:?}{cut}", head)
}

/// Checks that a number of hours is finite and within `0..=max`.
pub(crate) fn check_hours(field: &str, hours: f32, max: f32) -> Result<(), ValidationError> {
    if !hours.is_finite() {
        return Err(ValidationError::new(field, "must be a finite number"));
    }
    if hours < 0.0 {
        return Err(ValidationError::new(field, format!("{hours} is negative")));
    }
    if hours > max {
        return Err(ValidationError::new(field, format!("{hours} is over {max}")));
    }
    Ok(())
}

/// Checks the shape of a KZiS occupation code: 6 digits (whether the classification has it
/// is the vocabulary's check).
pub(crate) fn check_occupation_code(field: &str, code: &str) -> Result<(), ValidationError> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValidationError::new(field, format!("{} is not a 6-digit KZiS code", quote(code))));
    }
    Ok(())
}

/// Checks that an identifier is non-empty, short and printable.
pub(crate) fn check_id(field: &str, id: &str) -> Result<(), ValidationError> {
    if id.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if id.len() > 128 {
        return Err(ValidationError::new(field, "is longer than 128 bytes"));
    }
    if id.chars().any(char::is_control) {
        return Err(ValidationError::new(field, "contains control characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nests_paths() {
        let error = ValidationError::new("level", "4 is over 3").under("skills[2]").under("participant");
        assert_eq!(error.to_string(), "participant.skills[2].level: 4 is over 3");
        let error = ValidationError::new("[1]", "duplicate").under("skills");
        assert_eq!(error.field, "skills[1]");
    }

    #[test]
    fn quotes_are_short() {
        assert_eq!(quote("abc"), "\"abc\"");
        let long = "x".repeat(10_000);
        assert_eq!(quote(&long).chars().count(), MAX_QUOTE_CHARS + 3);
        assert!(quote(&long).ends_with('…'));
        assert_eq!(quote("ą\n"), "\"ą\\n\"");
    }

    #[test]
    fn hours_bounds() {
        assert!(check_hours("h", 40.0, 84.0).is_ok());
        assert_eq!(
            check_hours("offer.weekly_hours", 90.0, 84.0).unwrap_err().to_string(),
            "offer.weekly_hours: 90 is over 84"
        );
        assert!(check_hours("h", f32::NAN, 84.0).is_err());
        assert!(check_hours("h", -1.0, 84.0).is_err());
    }
}
