//! `pomost skills import`: brings a full ESCO release of the skills pillar into a data
//! directory, checked before anything is written and written whole or not at all.

use std::io::Write;
use std::path::Path;

use pomost_engine::ESCO_IMPORT_FILE;
use pomost_taxonomy::Vocabulary;

/// Checks `file` is an ESCO skills CSV, then places it where the service reads it at start.
pub fn import_esco(file: &Path, data_dir: &Path) -> Result<String, String> {
    let bytes = std::fs::read(file).map_err(|error| format!("{}: {error}", file.display()))?;
    let (vocabulary, counts) =
        Vocabulary::with_esco_release(bytes.as_slice()).map_err(|error| format!("{}: {error}", file.display()))?;
    if counts.rows == 0 {
        return Err(format!("{}: no skill with a conceptUri and a preferredLabel", file.display()));
    }
    let target = data_dir.join(ESCO_IMPORT_FILE);
    let dir = target.parent().unwrap_or(data_dir);
    std::fs::create_dir_all(dir).map_err(|error| format!("{}: {error}", dir.display()))?;
    let temporary = target.with_extension("csv.partial");
    let write = || -> std::io::Result<()> {
        let mut out = std::fs::File::create(&temporary)?;
        out.write_all(&bytes)?;
        out.sync_all()?;
        std::fs::rename(&temporary, &target)?;
        std::fs::File::open(dir)?.sync_all()
    };
    write().map_err(|error| {
        let _ = std::fs::remove_file(&temporary);
        format!("{}: {error}", target.display())
    })?;
    Ok(format!(
        "imported {} ESCO skills ({} matched shipped labels, {} new) into {}; vocabulary {} from the next start",
        counts.rows,
        counts.matched,
        counts.added,
        target.display(),
        vocabulary.version()
    ))
}
