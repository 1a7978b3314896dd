//! `pomost check --data-dir DIR`: the full integrity check of a stopped service's data.
//! Every participant, coach and offer is decoded, checksummed and validated, every change
//! and audit entry decoded; each damaged one is printed by its key.

use std::io::Write;
use std::path::Path;

use pomost_store::{SqliteOptions, SqliteStore, Store};

/// Runs the check, printing to `out`; returns how many items are damaged.
pub fn run(data_dir: &Path, out: &mut dyn Write) -> Result<u64, String> {
    let database = data_dir.join(pomost_store::DATABASE_FILE);
    if !database.exists() {
        return Err(format!("{} holds no Pomost database ({} is missing)", data_dir.display(), database.display()));
    }
    let store = SqliteStore::open(data_dir, SqliteOptions { check_integrity: false, ..SqliteOptions::default() })
        .map_err(|error| error.to_string())?;
    let mut lines = Vec::new();
    let counts = store
        .verify(&mut |damage| lines.push(format!("damaged: {}: {}", damage.what, damage.detail)))
        .map_err(|error| error.to_string())?;
    for line in &lines {
        writeln!(out, "{line}").map_err(|error| error.to_string())?;
    }
    writeln!(
        out,
        "checked {} records, {} changes, {} audit entries in {}: {}",
        counts.records,
        counts.changes,
        counts.audit_entries,
        data_dir.display(),
        if counts.damaged == 0 { "no damage".to_owned() } else { format!("{} damaged", counts.damaged) }
    )
    .map_err(|error| error.to_string())?;
    Ok(counts.damaged)
}
