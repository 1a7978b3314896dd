//! Online backup and restore of a data directory. `pomost backup` copies the store and the
//! audit log through SQLite's backup API while the service runs and writes (see
//! `pomost_store::snapshot`) into one gzip tar with a `backup.json` naming what it holds;
//! `pomost restore` unpacks one into an empty directory after checking every record. The
//! offer index is not backed up: a service started on a restored directory rebuilds it from
//! the store. The service can also take backups on a schedule (`[backup]`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

/// What a backup holds besides the databases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupInfo {
    /// Format of the archive.
    pub format: u32,
    /// When it was taken (RFC 3339, UTC).
    pub created_at: String,
    /// The Pomost build that took it.
    pub pomost_version: String,
    /// The store's last change sequence number in the copy.
    pub last_seq: u64,
    /// The scoring policy in force.
    pub policy_version: String,
    /// The vocabulary in force.
    pub vocabulary_version: String,
}

const INFO_FILE: &str = "backup.json";
const FORMAT: u32 = 1;

/// Takes a backup of `data_dir` into `to` (a `.tar.gz`, written whole or not at all).
pub fn create(data_dir: &Path, to: &Path, policy_version: &str) -> Result<(BackupInfo, u64), String> {
    let started = Instant::now();
    let work = tempfile::Builder::new()
        .prefix(".pomost-backup-")
        .tempdir_in(to.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new(".")))
        .map_err(|error| format!("{}: {error}", to.display()))?;
    let snapshot = pomost_store::snapshot(data_dir, work.path()).map_err(|error| error.to_string())?;
    let vocabulary = pomost_engine::load_vocabulary(data_dir).map_err(|error| error.to_string())?;
    let info = BackupInfo {
        format: FORMAT,
        created_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        pomost_version: env!("CARGO_PKG_VERSION").to_owned(),
        last_seq: snapshot.last_seq,
        policy_version: policy_version.to_owned(),
        vocabulary_version: vocabulary.version().to_owned(),
    };
    let partial = to.with_extension("partial");
    let write = || -> std::io::Result<u64> {
        let file = std::fs::File::create(&partial)?;
        let gz = flate2::write::GzEncoder::new(std::io::BufWriter::new(file), flate2::Compression::fast());
        let mut archive = tar::Builder::new(gz);
        let json = serde_json::to_vec_pretty(&info).map_err(std::io::Error::other)?;
        let mut header = tar::Header::new_gnu();
        header.set_size(json.len() as u64);
        header.set_mode(0o600);
        header.set_cksum();
        archive.append_data(&mut header, INFO_FILE, json.as_slice())?;
        for file in &snapshot.files {
            let name = file.file_name().unwrap_or_default();
            archive.append_path_with_name(file, name)?;
        }
        let gz = archive.into_inner()?;
        let mut out = gz.finish()?;
        out.flush()?;
        let file = out.into_inner().map_err(|error| error.into_error())?;
        file.sync_all()?;
        std::fs::rename(&partial, to)?;
        if let Some(parent) = to.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            std::fs::File::open(parent)?.sync_all()?;
        }
        Ok(std::fs::metadata(to)?.len())
    };
    let bytes = write().map_err(|error| {
        let _ = std::fs::remove_file(&partial);
        format!("{}: {error}", to.display())
    })?;
    tracing::info!(
        file = %to.display(),
        bytes,
        last_seq = info.last_seq,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "backup written"
    );
    Ok((info, bytes))
}

/// Unpacks a backup into `data_dir`, which must be empty or absent; every record and audit
/// entry is checked before the files are put in place.
pub fn restore(from: &Path, data_dir: &Path) -> Result<BackupInfo, String> {
    if data_dir.exists()
        && std::fs::read_dir(data_dir).map_err(|error| format!("{}: {error}", data_dir.display()))?.next().is_some()
    {
        return Err(format!("{} is not empty; restore into a new directory", data_dir.display()));
    }
    std::fs::create_dir_all(data_dir).map_err(|error| format!("{}: {error}", data_dir.display()))?;
    let work = tempfile::Builder::new()
        .prefix(".pomost-restore-")
        .tempdir_in(data_dir)
        .map_err(|error| format!("{}: {error}", data_dir.display()))?;
    let file = std::fs::File::open(from).map_err(|error| format!("{}: {error}", from.display()))?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(std::io::BufReader::new(file)));
    let mut info: Option<BackupInfo> = None;
    let mut unpacked: Vec<PathBuf> = Vec::new();
    for entry in archive.entries().map_err(|error| format!("{}: {error}", from.display()))? {
        let mut entry = entry.map_err(|error| format!("{}: {error}", from.display()))?;
        let name = entry.path().map_err(|error| format!("{}: {error}", from.display()))?.to_string_lossy().into_owned();
        match name.as_str() {
            INFO_FILE => {
                info = Some(serde_json::from_reader(&mut entry).map_err(|error| format!("{INFO_FILE}: {error}"))?);
            }
            pomost_store::DATABASE_FILE | pomost_store::AUDIT_FILE => {
                let target = work.path().join(&name);
                entry.unpack(&target).map_err(|error| format!("{name}: {error}"))?;
                unpacked.push(target);
            }
            other => return Err(format!("{}: unexpected entry {other:?}; not a Pomost backup", from.display())),
        }
    }
    let info = info.ok_or_else(|| format!("{}: no {INFO_FILE}; not a Pomost backup", from.display()))?;
    if info.format != FORMAT {
        return Err(format!("{}: backup format {} is not {FORMAT}", from.display(), info.format));
    }
    if !unpacked.iter().any(|path| path.ends_with(pomost_store::DATABASE_FILE)) {
        return Err(format!("{}: holds no store", from.display()));
    }
    let store = pomost_store::SqliteStore::open(work.path(), pomost_store::SqliteOptions::default())
        .map_err(|error| error.to_string())?;
    let mut damaged = Vec::new();
    let counts =
        pomost_store::Store::verify(&store, &mut |damage| damaged.push(format!("{}: {}", damage.what, damage.detail)))
            .map_err(|error| error.to_string())?;
    drop(store);
    if let Some(first) = damaged.first() {
        return Err(format!("{}: {} damaged item(s), first {first}", from.display(), damaged.len()));
    }
    for entry in std::fs::read_dir(work.path()).map_err(|error| error.to_string())? {
        let path = entry.map_err(|error| error.to_string())?.path();
        let name = path.file_name().unwrap_or_default().to_owned();
        std::fs::rename(&path, data_dir.join(name)).map_err(|error| format!("{}: {error}", data_dir.display()))?;
    }
    tracing::info!(records = counts.records, audit_entries = counts.audit_entries, "backup restored");
    Ok(info)
}

/// The backups in `dir` taken by the schedule, oldest first.
fn scheduled_backups(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("pomost-backup-") && name.ends_with(".tar.gz"))
        })
        .collect();
    found.sort();
    found
}

/// One scheduled backup into `dir`, then the oldest removed beyond `keep`.
pub fn scheduled(data_dir: &Path, dir: &Path, keep: usize, policy_version: &str) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|error| format!("{}: {error}", dir.display()))?;
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    let file = dir.join(format!("pomost-backup-{stamp:020}.tar.gz"));
    create(data_dir, &file, policy_version)?;
    let all = scheduled_backups(dir);
    for old in all.iter().take(all.len().saturating_sub(keep.max(1))) {
        match std::fs::remove_file(old) {
            Ok(()) => tracing::info!(file = %old.display(), "old backup removed (backup.keep)"),
            Err(error) => tracing::warn!(file = %old.display(), %error, "old backup not removed"),
        }
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduled_backups_keep_the_newest_and_restore_checks_its_input() {
        let data = tempfile::tempdir().unwrap();
        drop(pomost_store::SqliteStore::open(data.path(), pomost_store::SqliteOptions::default()).unwrap());
        let backups = tempfile::tempdir().unwrap();
        for _ in 0..3 {
            scheduled(data.path(), backups.path(), 2, "2026-11.3").unwrap();
        }
        let kept = scheduled_backups(backups.path());
        assert_eq!(kept.len(), 2);
        let restored = tempfile::tempdir().unwrap();
        let info = restore(&kept[1], &restored.path().join("new")).unwrap();
        assert_eq!(info.policy_version, "2026-11.3");
        assert!(restored.path().join("new").join(pomost_store::DATABASE_FILE).exists());
        let error = restore(&kept[1], &restored.path().join("new")).unwrap_err();
        assert!(error.contains("is not empty"), "{error}");
        let garbage = backups.path().join("garbage.tar.gz");
        std::fs::write(&garbage, b"not an archive").unwrap();
        assert!(restore(&garbage, &restored.path().join("other")).is_err());
    }
}
