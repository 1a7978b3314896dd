//! The roles an API key can have; configuration names them and the auth table checks them.

use serde::Deserialize;

/// What a key may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Partner systems: push and read offers.
    Partner,
    /// Reintegration units: participants and coaches, offer reads.
    Unit,
    /// Labour offices: matching and reads.
    LabourOffice,
    /// Everything, including the audit log.
    Admin,
}

impl Role {
    /// Stable name, as in configuration and the audit log.
    pub fn name(self) -> &'static str {
        match self {
            Role::Partner => "partner",
            Role::Unit => "unit",
            Role::LabourOffice => "labour_office",
            Role::Admin => "admin",
        }
    }
}
