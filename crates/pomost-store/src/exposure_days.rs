//! Daily sums of the shortlists' group figures, kept beside the audit entries in the same
//! transaction, so an exposure report over a month reads a few thousand rows instead of
//! decoding every entry of the month (millions at a busy office's rate), and still works
//! for days whose entries were archived.
//!
//! One row per UTC day, workplace TERYT unit and group: (day, region, group) → eligible
//! people and attention. Group numbers are positions in the figures' arrays (the scoring
//! crate's group order, which only grows at its end); two more rows per day and unit:
//! [`LISTS`] counts the lists summed, and [`UNSUMMED`] (under region `''`) counts the
//! shortlist entries of a day that could not be summed, because they were written before
//! lists kept their workplace's unit (or before this table existed). A report reads those
//! days' entries instead.

use std::collections::BTreeMap;

use pomost_domain::Workplace;

use crate::audit::{AuditAction, AuditEntry};

/// Milliseconds in a UTC day: the unit the sums are kept in.
pub const DAY_MS: i64 = 86_400_000;

/// Group number of the row counting the lists summed.
pub(crate) const LISTS: i64 = -1;
/// Group number of the row counting a day's entries that could not be summed.
pub(crate) const UNSUMMED: i64 = -2;

/// A shortlist's group figures as its audit entry keeps them (`request.groups`): written by
/// the engine with [`ListGroups::to_json`], read back here and by the exposure report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListGroups {
    /// TERYT code of the offer's workplace when the list was made, empty for remote work;
    /// `None` for lists written before it was kept.
    pub region: Option<String>,
    /// Eligible people per group.
    pub eligible: Vec<u64>,
    /// Attention the returned list gave each group.
    pub exposure: Vec<f64>,
}

impl ListGroups {
    /// The figures of a shortlist entry; `None` for other entries and for shortlists made
    /// before figures were kept.
    pub fn of(entry: &AuditEntry) -> Option<Self> {
        if entry.action != AuditAction::Shortlist {
            return None;
        }
        let groups = &entry.request["groups"];
        let eligible = groups["eligible"].as_array()?.iter().map(|value| value.as_u64().unwrap_or(0)).collect();
        let exposure = groups["exposure"].as_array()?.iter().map(|value| value.as_f64().unwrap_or(0.0)).collect();
        let region = groups["region"].as_str().map(str::to_owned);
        Some(Self { region, eligible, exposure })
    }

    /// The JSON kept in the entry's request under `groups`. Attention is rounded to a
    /// thousandth: enough for shares, and it keeps entries short.
    pub fn to_json(&self) -> serde_json::Value {
        let rounded: Vec<f64> = self.exposure.iter().map(|value| (value * 1000.0).round() / 1000.0).collect();
        let mut json = serde_json::json!({ "eligible": self.eligible, "exposure": rounded });
        if let Some(region) = &self.region {
            json["region"] = region.clone().into();
        }
        json
    }

    /// Whether the list's workplace lies in `region` (see [`region_matches`]). `None` when
    /// the entry does not say where its workplace was.
    pub fn in_region(&self, region: Option<&str>) -> Option<bool> {
        Some(region_matches(self.region.as_deref()?, region))
    }
}

/// The region a workplace counts under: its TERYT code, empty for remote work.
pub fn workplace_region(workplace: &Workplace) -> String {
    match workplace {
        Workplace::OnSite(location) => location.teryt.to_string(),
        Workplace::Remote => String::new(),
    }
}

/// Whether a workplace region (see [`workplace_region`]) lies in `region`, a TERYT prefix;
/// `None` is everywhere, remote work included, which lies in no unit.
pub fn region_matches(workplace: &str, region: Option<&str>) -> bool {
    match region {
        None => true,
        Some(prefix) => !workplace.is_empty() && workplace.starts_with(prefix),
    }
}

/// Sums over whole UTC days (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExposureDays {
    /// Lists summed.
    pub lists: u64,
    /// Eligible people per group, summed over the lists.
    pub eligible: Vec<u64>,
    /// Attention per group, summed over the lists.
    pub exposure: Vec<f64>,
    /// Days in the range left out of the sums, because some of their shortlist entries could
    /// not be summed: the report reads those days' entries instead.
    pub unsummed_days: Vec<i64>,
}

/// The UTC day of a time in ms since the epoch.
fn day_of(at_ms: i64) -> i64 {
    at_ms.div_euclid(DAY_MS)
}

/// What a batch of entries adds to the day sums: (day, region, group) → (eligible, attention),
/// in key order (so concurrent writers update shared rows in one order and never deadlock).
pub(crate) fn day_sums(entries: &[&AuditEntry]) -> BTreeMap<(i64, String, i64), (i64, f64)> {
    let mut sums: BTreeMap<(i64, String, i64), (i64, f64)> = BTreeMap::new();
    for entry in entries.iter().filter(|entry| entry.action == AuditAction::Shortlist) {
        let day = day_of(entry.at_ms);
        let Some(ListGroups { region: Some(region), eligible, exposure }) = ListGroups::of(entry) else {
            sums.entry((day, String::new(), UNSUMMED)).or_default().0 += 1;
            continue;
        };
        sums.entry((day, region.clone(), LISTS)).or_default().0 += 1;
        for (group, people) in eligible.iter().enumerate() {
            sums.entry((day, region.clone(), group as i64)).or_default().0 += *people as i64;
        }
        for (group, attention) in exposure.iter().enumerate() {
            sums.entry((day, region.clone(), group as i64)).or_default().1 += attention;
        }
    }
    sums
}

/// Adds one summed row (group, eligible, attention) to `days`.
pub(crate) fn add_row(days: &mut ExposureDays, group: i64, eligible: i64, attention: f64) {
    if group == LISTS {
        days.lists += eligible as u64;
        return;
    }
    let Ok(group) = usize::try_from(group) else { return };
    if days.eligible.len() <= group {
        days.eligible.resize(group + 1, 0);
        days.exposure.resize(group + 1, 0.0);
    }
    days.eligible[group] += eligible as u64;
    days.exposure[group] += attention;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Caller;

    fn shortlist(at_ms: i64, groups: serde_json::Value) -> AuditEntry {
        AuditEntry {
            request_id: "r".into(),
            at_ms,
            caller: Caller { name: "office".into(), role: "labour_office".into() },
            action: AuditAction::Shortlist,
            offer: None,
            participant: None,
            request: serde_json::json!({ "groups": groups }),
            results: Vec::new(),
            policy_version: "p".into(),
            vocabulary_version: String::new(),
        }
    }

    #[test]
    fn figures_round_trip_through_the_entry_json() {
        let figures = ListGroups { region: Some("1261011".into()), eligible: vec![3, 1], exposure: vec![1.23456, 0.5] };
        let entry = shortlist(0, figures.to_json());
        let read = ListGroups::of(&entry).unwrap();
        assert_eq!(read.region.as_deref(), Some("1261011"));
        assert_eq!(read.eligible, vec![3, 1]);
        assert_eq!(read.exposure, vec![1.235, 0.5]);
        assert_eq!(read.in_region(Some("12")), Some(true));
        assert_eq!(read.in_region(Some("14")), Some(false));
        assert_eq!(read.in_region(None), Some(true));
        let remote = ListGroups { region: Some(String::new()), ..read.clone() };
        assert_eq!(remote.in_region(Some("12")), Some(false), "remote work lies in no unit");
        assert_eq!(remote.in_region(None), Some(true));
        assert_eq!(ListGroups { region: None, ..read }.in_region(None), None);
    }

    #[test]
    fn a_batch_sums_by_day_and_unit_and_counts_what_it_cannot_sum() {
        let krakow = ListGroups { region: Some("1261011".into()), eligible: vec![2, 1], exposure: vec![1.0, 0.5] };
        let day = 20_000 * DAY_MS;
        let entries = [
            shortlist(day + 5, krakow.to_json()),
            shortlist(day + DAY_MS - 1, krakow.to_json()),
            shortlist(day + DAY_MS, krakow.to_json()),
            shortlist(day + 7, serde_json::json!({ "eligible": [1], "exposure": [1.0] })),
            shortlist(day + 8, serde_json::Value::Null),
        ];
        let sums = day_sums(&entries.iter().collect::<Vec<_>>());
        let region = "1261011".to_owned();
        assert_eq!(sums[&(20_000, region.clone(), LISTS)], (2, 0.0));
        assert_eq!(sums[&(20_000, region.clone(), 0)], (4, 2.0));
        assert_eq!(sums[&(20_000, region.clone(), 1)], (2, 1.0));
        assert_eq!(sums[&(20_001, region, LISTS)], (1, 0.0));
        assert_eq!(sums[&(20_000, String::new(), UNSUMMED)], (2, 0.0), "no unit, or no figures at all");
        assert_eq!(sums.len(), 7);
    }
}
