//! The exposure report: for a period and a region, each group's share of position-weighted
//! shortlist attention against its share of the eligible pool, and its share of referrals
//! and hires. Computed from the audit entries (each shortlist's group aggregates, recorded
//! when it was made) and the referral records; nothing is ranked again.

use pomost_domain::{ReferralState, TerytCode};
use pomost_scoring::{GROUP_NAMES, referral_groups};
use pomost_store::{AuditAction, AuditQuery, DAY_MS, ListGroups, region_matches, workplace_region};

use crate::engine::Engine;
use crate::error::EngineError;

/// Share of attention under this fraction of the pool share is flagged (four fifths).
pub const FOUR_FIFTHS: f64 = 0.8;

/// What to report on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExposureQuery {
    /// From this time, ms since the epoch (0: no bound).
    pub from_ms: i64,
    /// Before this time, ms since the epoch (0: no bound).
    pub until_ms: i64,
    /// Only offers whose workplace lies in this TERYT unit; `None` for every offer
    /// (remote ones included).
    pub region: Option<TerytCode>,
    /// Suppress groups with fewer people than this (never below the configured minimum).
    pub min_cell_size: u32,
}

/// One group's row.
#[derive(Debug, Clone, PartialEq)]
pub struct ExposureRow {
    /// The group.
    pub group: &'static str,
    /// Too few people: every figure withheld.
    pub suppressed: bool,
    /// Share of the eligible pool (over all lists, each eligible person once per list).
    pub pool_share: f64,
    /// Share of position-weighted attention in the returned lists.
    pub exposure_share: f64,
    /// exposure_share / pool_share.
    pub ratio: f64,
    /// Under four fifths.
    pub flagged: bool,
    /// Share of the period's referrals (among referrals whose groups are kept); `None` when
    /// fewer than the minimum of the group's people were referred.
    pub referral_share: Option<f64>,
    /// Share of the period's hires; `None` under the minimum.
    pub hire_share: Option<f64>,
}

/// The report.
#[derive(Debug, Clone, PartialEq)]
pub struct ExposureReportResult {
    /// Shortlists counted.
    pub shortlists: u64,
    /// Shortlists in the period without group aggregates (made before they were recorded).
    pub shortlists_without_groups: u64,
    /// Referrals and hires counted.
    pub referrals: u64,
    /// Hires among them.
    pub hires: u64,
    /// The minimum group size applied.
    pub min_cell_size: u32,
    /// One row per group.
    pub rows: Vec<ExposureRow>,
}

/// Number of groups.
const GROUPS: usize = GROUP_NAMES.len();

/// Shortlist figures summed over the period.
struct Sums {
    eligible: [u64; GROUPS],
    exposure: [f64; GROUPS],
    /// Lists with figures.
    lists: u64,
    /// Lists made before figures were kept.
    without: u64,
}

impl Sums {
    fn add(&mut self, eligible: &[u64], exposure: &[f64]) {
        for (sum, value) in self.eligible.iter_mut().zip(eligible) {
            *sum += value;
        }
        for (sum, value) in self.exposure.iter_mut().zip(exposure) {
            *sum += value;
        }
    }
}

/// Whether each offer's workplace lies in the region, as the offer is now (for entries and
/// referrals that do not say where it was).
type RegionCache = std::collections::HashMap<pomost_domain::OfferKey, bool>;

impl Engine {
    fn offer_in_region(
        &self,
        key: &pomost_domain::OfferKey,
        region: Option<&str>,
        cache: &mut RegionCache,
    ) -> Result<bool, pomost_store::StoreError> {
        if let Some(inside) = cache.get(key) {
            return Ok(*inside);
        }
        let inside =
            self.store.offer(key)?.is_some_and(|offer| region_matches(&workplace_region(&offer.workplace), region));
        cache.insert(key.clone(), inside);
        Ok(inside)
    }

    /// The period's shortlist figures: whole UTC days from the store's daily sums, the
    /// period's partial first and last days and any day with unsummed entries from the
    /// entries themselves.
    fn shortlist_sums(
        &self,
        query: &ExposureQuery,
        region: Option<&str>,
        cache: &mut RegionCache,
    ) -> Result<Sums, EngineError> {
        let mut sums = Sums { eligible: [0; GROUPS], exposure: [0.0; GROUPS], lists: 0, without: 0 };
        let from_ms = query.from_ms.max(0);
        let first_day = from_ms.div_euclid(DAY_MS) + i64::from(from_ms.rem_euclid(DAY_MS) > 0);
        let end_day = if query.until_ms > 0 { query.until_ms.div_euclid(DAY_MS) } else { i64::MAX / DAY_MS };
        let mut spans = Vec::new();
        if first_day >= end_day {
            spans.push((from_ms, query.until_ms));
        } else {
            if from_ms < first_day * DAY_MS {
                spans.push((from_ms, first_day * DAY_MS));
            }
            let days = self.store.exposure_days(first_day, end_day, region)?;
            sums.lists += days.lists;
            sums.add(&days.eligible, &days.exposure);
            spans.extend(days.unsummed_days.iter().map(|day| (day * DAY_MS, (day + 1) * DAY_MS)));
            if query.until_ms > end_day * DAY_MS {
                spans.push((end_day * DAY_MS, query.until_ms));
            }
        }
        for (from_ms, until_ms) in spans {
            self.sum_entries(from_ms, until_ms, region, cache, &mut sums)?;
        }
        Ok(sums)
    }

    /// Adds the figures of the shortlist entries from `from_ms` until `until_ms` (0: no end).
    fn sum_entries(
        &self,
        from_ms: i64,
        until_ms: i64,
        region: Option<&str>,
        cache: &mut RegionCache,
        sums: &mut Sums,
    ) -> Result<(), EngineError> {
        let mut after = None;
        loop {
            let page = self.list_audit(&AuditQuery {
                from_ms: (from_ms > 0).then_some(from_ms),
                until_ms: (until_ms > 0).then_some(until_ms),
                after_entry: after,
                limit: 10_000,
                ..AuditQuery::default()
            })?;
            let Some((last, _)) = page.last() else { return Ok(()) };
            after = Some(*last);
            for (_, entry) in &page {
                if entry.action != AuditAction::Shortlist {
                    continue;
                }
                let Some(key) = &entry.offer else { continue };
                let figures = ListGroups::of(entry);
                let inside = match figures.as_ref().and_then(|figures| figures.in_region(region)) {
                    Some(inside) => inside,
                    None => self.offer_in_region(key, region, cache)?,
                };
                match figures {
                    _ if !inside => {}
                    Some(figures) => {
                        sums.lists += 1;
                        sums.add(&figures.eligible, &figures.exposure);
                    }
                    None => sums.without += 1,
                }
            }
        }
    }

    /// The exposure report (see the module documentation).
    pub fn exposure_report(&self, query: &ExposureQuery) -> Result<ExposureReportResult, EngineError> {
        let invalid =
            |field: &str, reason: &str| EngineError::Invalid(pomost_domain::ValidationError::new(field, reason));
        if query.from_ms < 0 {
            return Err(invalid("from_ms", "is before 1970 (0 means no bound)"));
        }
        if query.until_ms < 0 {
            return Err(invalid("until_ms", "is before 1970 (0 means no bound)"));
        }
        if query.until_ms > 0 && query.until_ms <= query.from_ms {
            return Err(invalid("until_ms", "is not after from_ms: the period is empty"));
        }
        let minimum = query.min_cell_size.max(self.placement_options().min_cell_size);
        let mut regions = RegionCache::default();
        let region = query.region.map(|region| region.to_string());
        let region = region.as_deref();
        let Sums { eligible, exposure, lists, without } = self.shortlist_sums(query, region, &mut regions)?;
        let shortlists = lists + without;
        // Certificate degrees partition the eligible, so their sums are the totals.
        let eligible_total: u64 = eligible[..4].iter().sum();
        let exposure_total: f64 = exposure[..4].iter().sum();
        let (mut referred, mut hired) = ([0u64; GROUPS], [0u64; GROUPS]);
        let (mut referrals, mut hires) = (0u64, 0u64);
        // The period's referrals first: the store reads them under its reader, so where each
        // offer lies is looked up only after the walk.
        let mut in_period = Vec::new();
        self.store.for_each_referral(false, &mut |referral| {
            let made_in_period =
                referral.created_ms >= query.from_ms && (query.until_ms == 0 || referral.created_ms < query.until_ms);
            if made_in_period && referral.group.is_some() {
                in_period.push((
                    referral.offer.clone(),
                    referral.state == ReferralState::Hired,
                    referral.group.as_ref().map(referral_groups).unwrap_or_default(),
                ));
            }
            Ok(())
        })?;
        for (offer, is_hire, groups) in in_period {
            if !self.offer_in_region(&offer, region, &mut regions)? {
                continue;
            }
            referrals += 1;
            hires += u64::from(is_hire);
            for group in groups {
                referred[group] += 1;
                hired[group] += u64::from(is_hire);
            }
        }
        let share = |part: f64, whole: f64| if whole > 0.0 { part / whole } else { 0.0 };
        let rows = GROUP_NAMES
            .iter()
            .enumerate()
            .map(|(group, name)| {
                // Lists count a person once each; the size test asks for the eligible count of
                // the average list, so a group seen in many lists is not mistaken for a large one.
                let per_list = eligible[group].checked_div(lists).unwrap_or(0);
                let suppressed = per_list < u64::from(minimum);
                if suppressed {
                    return ExposureRow {
                        group: name,
                        suppressed: true,
                        pool_share: 0.0,
                        exposure_share: 0.0,
                        ratio: 0.0,
                        flagged: false,
                        referral_share: None,
                        hire_share: None,
                    };
                }
                let pool_share = share(eligible[group] as f64, eligible_total as f64);
                let exposure_share = share(exposure[group], exposure_total);
                let ratio = share(exposure_share, pool_share);
                ExposureRow {
                    group: name,
                    suppressed: false,
                    pool_share,
                    exposure_share,
                    ratio,
                    flagged: pool_share > 0.0 && ratio < FOUR_FIFTHS,
                    referral_share: (referred[group] >= u64::from(minimum))
                        .then(|| share(referred[group] as f64, referrals as f64)),
                    hire_share: (hired[group] >= u64::from(minimum)).then(|| share(hired[group] as f64, hires as f64)),
                }
            })
            .collect();
        Ok(ExposureReportResult {
            shortlists,
            shortlists_without_groups: without,
            referrals,
            hires,
            min_cell_size: minimum,
            rows,
        })
    }
}
