//! `pomost audit exposure`: the exposure audit of a stopped service's data directory or of
//! the demo, printed as a table (the engine computes it and audits that it ran).

use std::path::Path;

use pomost_engine::{EXPOSURE_DEPTHS, Engine, ExposureReport, FLAG_BELOW, Requester};

/// Runs the audit and prints it; returns whether any group is flagged.
pub fn run(
    data_dir: Option<&Path>,
    demo: Option<u64>,
    as_of: Option<&str>,
    policy: Option<&Path>,
) -> Result<bool, String> {
    let as_of = match as_of {
        Some(text) => crate::convert::parse_date("as_of", text).map_err(|error| error.to_string())?,
        None => time::OffsetDateTime::now_utc().date(),
    };
    let policy = match policy {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|error| format!("{}: {error}", path.display()))?;
            pomost_scoring::ScoringPolicy::from_toml_str(&text)
                .map_err(|error| format!("{}: {error}", path.display()))?
        }
        None => pomost_scoring::ScoringPolicy::default(),
    };
    let temporary = tempdir_for_demo(demo.is_some())?;
    let dir = match (data_dir, &temporary) {
        (Some(dir), None) => dir.to_owned(),
        (None, Some(temporary)) => temporary.clone(),
        _ => return Err("give --data-dir DIR or --demo".into()),
    };
    if demo.is_none() && !dir.join(pomost_store::DATABASE_FILE).exists() {
        return Err(format!("{} holds no Pomost database", dir.display()));
    }
    let settings = crate::config::Settings::load(
        &[],
        &crate::config::Overrides { data_dir: Some(dir.clone()), ..Default::default() },
    )?;
    let mut options = crate::engine_options(&settings);
    options.reserve_bytes = 0;
    let engine = Engine::open(&options, policy, &pomost_taxonomy::relatedness()).map_err(|error| error.to_string())?;
    if let Some(population_seed) = demo {
        crate::demo::seed_with(&engine, as_of, population_seed).map_err(|error| error.to_string())?;
        engine.wait_for_read_models(std::time::Duration::from_secs(120));
        engine.flush().map_err(|error| error.to_string())?;
    }
    let who = Requester {
        caller: pomost_store::Caller { name: "pomost audit exposure".into(), role: "admin".into() },
        request_id: uuid::Uuid::now_v7().to_string(),
        at_ms: (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64,
    };
    let report = engine.exposure_audit(&who, as_of).map_err(|error| error.to_string())?;
    print!("{}", table(&report));
    if let Some(temporary) = temporary {
        drop(engine);
        let _ = std::fs::remove_dir_all(temporary);
    }
    Ok(report.groups.iter().any(|group| group.flagged))
}

fn tempdir_for_demo(demo: bool) -> Result<Option<std::path::PathBuf>, String> {
    if !demo {
        return Ok(None);
    }
    let dir = std::env::temp_dir().join(format!("pomost-exposure-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).map_err(|error| format!("{}: {error}", dir.display()))?;
    Ok(Some(dir))
}

/// The report as a table a person reads.
pub fn table(report: &ExposureReport) -> String {
    let [short, long] = EXPOSURE_DEPTHS;
    let mut out = format!(
        "exposure audit: {} open offers ({} preferring readiness, left out of stage groups), policy {}\n\
         {:<36} {:>9} {:>10} {:>10} {:>9} {:>9}\n",
        report.offers,
        report.offers_preferring_readiness,
        report.policy_version,
        "group",
        "eligible",
        format!("exp top{short}"),
        format!("exp top{long}"),
        format!("ratio{short}"),
        format!("ratio{long}"),
    );
    for group in &report.groups {
        out.push_str(&format!(
            "{:<36} {:>8.1}% {:>9.1}% {:>9.1}% {:>9.2} {:>9.2}{}\n",
            group.group,
            group.eligible_share * 100.0,
            group.exposure_share[0] * 100.0,
            group.exposure_share[1] * 100.0,
            group.ratio[0],
            group.ratio[1],
            if group.flagged { format!("  < {FLAG_BELOW}") } else { String::new() }
        ));
    }
    out
}
