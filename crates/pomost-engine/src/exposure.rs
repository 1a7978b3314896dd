//! The exposure audit: does any group of people get less of the rankings' attention than
//! its share of the people who pass every hard constraint? Every open stored offer is
//! ranked in full; a place r in a list is worth 1/log2(1 + r) of attention. For each offer
//! a group's fair share of that offer's top-5 (top-20) attention is its share of that
//! offer's eligible people; summed over offers, the attention a group got is set against
//! the attention it would have got by those shares. (Comparing with the group's share of
//! all eligible pairs instead would count against a group merely for being eligible for
//! crowded offers.) A ratio under 0.8 (the four-fifths rule) is flagged. Stage groups are measured only on offers that state no preference for
//! readiness (on the others, readiness is allowed to count). The audit itself is audited:
//! one entry records who ran it and over how many offers.

use pomost_scoring::ScanControl;
use std::collections::HashMap;

use pomost_domain::{DisabilityDegree, Offer, Participant, ParticipantId, Stage};
use pomost_index::SearchQuery;
use pomost_store::{AuditAction, AuditEntry};
use time::Date;

use crate::engine::Engine;
use crate::error::EngineError;
use crate::request::Requester;

/// The two depths of a list the audit looks at.
pub const EXPOSURE_DEPTHS: [usize; 2] = [5, 20];
/// Ratios under this are flagged (the four-fifths rule).
pub const FLAG_BELOW: f64 = 0.8;

/// One group's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupExposure {
    /// The group, e.g. `needs a job coach`, `certificate: moderate`, `stage: WTZ/KIS …`.
    pub group: String,
    /// Eligible (person, offer) pairs of the group.
    pub eligible_pairs: u64,
    /// The group's fair share of top-20 attention: its share of each offer's eligible
    /// people, weighted by the attention each offer's list gives.
    pub eligible_share: f64,
    /// Its share of the position-weighted attention in the top 5 and the top 20.
    pub exposure_share: [f64; 2],
    /// `exposure_share / eligible_share` for the top 5 and the top 20 (1 is proportional).
    pub ratio: [f64; 2],
    /// Either ratio is under [`FLAG_BELOW`].
    pub flagged: bool,
}

/// What the audit found.
#[derive(Debug, Clone, PartialEq)]
pub struct ExposureReport {
    /// Open offers ranked.
    pub offers: u64,
    /// Of those, offers that state a preference for readiness (left out of stage groups).
    pub offers_preferring_readiness: u64,
    /// Every group, need-linked groups first, then stages.
    pub groups: Vec<GroupExposure>,
    /// The policy version the rankings used.
    pub policy_version: String,
}

/// The groups a person belongs to (need-linked ones; stage is counted apart).
fn need_groups(person: &Participant) -> Vec<&'static str> {
    let mut groups = Vec::new();
    if person.coach_hours_per_week > 0.0 {
        groups.push("needs a job coach");
    }
    if !person.accommodations_required.is_empty() {
        groups.push("requires an accommodation");
    }
    if !person.accommodations_preferred.is_empty() {
        groups.push("prefers an accommodation");
    }
    groups.push(match person.disability.degree {
        DisabilityDegree::None => "no disability certificate",
        DisabilityDegree::Light => "certificate: light",
        DisabilityDegree::Moderate => "certificate: moderate",
        DisabilityDegree::Severe => "certificate: severe",
    });
    groups
}

/// A person's need-linked groups and their stage group.
type PersonGroups = (Vec<String>, String);

/// Sums for one kind of group.
#[derive(Default)]
struct Tally {
    eligible: HashMap<String, u64>,
    exposure: [HashMap<String, f64>; 2],
    /// The attention each group would have had at its share of each offer's eligible.
    fair: [HashMap<String, f64>; 2],
    exposure_total: [f64; 2],
}

impl Tally {
    /// One offer's full ranking: the groups of each eligible person, best first.
    fn add(&mut self, ranked: &[Vec<String>]) {
        if ranked.is_empty() {
            return;
        }
        let mut counts: HashMap<&String, u64> = HashMap::new();
        for groups in ranked {
            for group in groups {
                *counts.entry(group).or_default() += 1;
                *self.eligible.entry(group.clone()).or_default() += 1;
            }
        }
        for (depth_index, depth) in EXPOSURE_DEPTHS.iter().enumerate() {
            let mut offered = 0.0;
            for (place, groups) in ranked.iter().enumerate().take(*depth) {
                let weight = 1.0 / ((place + 2) as f64).log2();
                offered += weight;
                for group in groups {
                    *self.exposure[depth_index].entry(group.clone()).or_default() += weight;
                }
            }
            self.exposure_total[depth_index] += offered;
            for (group, count) in &counts {
                *self.fair[depth_index].entry((*group).clone()).or_default() +=
                    offered * *count as f64 / ranked.len() as f64;
            }
        }
    }

    fn groups(&self, order: &[String]) -> Vec<GroupExposure> {
        order
            .iter()
            .filter_map(|group| {
                let eligible_pairs = *self.eligible.get(group)?;
                let total = |depth: usize| self.exposure_total[depth].max(f64::MIN_POSITIVE);
                let exposure_share =
                    [0, 1].map(|depth| self.exposure[depth].get(group).copied().unwrap_or(0.0) / total(depth));
                let fair_share = [0, 1].map(|depth| self.fair[depth].get(group).copied().unwrap_or(0.0) / total(depth));
                let eligible_share = fair_share[1];
                let ratio = [0, 1].map(|depth| exposure_share[depth] / fair_share[depth].max(f64::MIN_POSITIVE));
                Some(GroupExposure {
                    group: group.clone(),
                    eligible_pairs,
                    eligible_share,
                    exposure_share,
                    ratio,
                    flagged: ratio.iter().any(|ratio| *ratio < FLAG_BELOW),
                })
            })
            .collect()
    }
}

impl Engine {
    /// Every open offer stored on `as_of`, found through the index page by page.
    fn open_offers(&self, as_of: Date) -> Result<Vec<Offer>, EngineError> {
        let mut offers = Vec::new();
        let mut query = SearchQuery::text("", as_of);
        query.limit = 1_000;
        loop {
            let (_, page, next) = self.search_offers(&query)?;
            offers.extend(page.into_iter().map(|(offer, _)| offer));
            match next {
                Some(cursor) => query.after = Some(cursor),
                None => return Ok(offers),
            }
        }
    }

    /// Runs the exposure audit over every open offer (see the module documentation) and
    /// records that it ran in the audit log.
    pub fn exposure_audit(&self, who: &Requester, as_of: Date) -> Result<ExposureReport, EngineError> {
        let mut people: HashMap<ParticipantId, PersonGroups> = HashMap::new();
        self.for_each_participant(&mut |person| {
            let groups = need_groups(&person).into_iter().map(str::to_owned).collect();
            people.insert(person.id.clone(), (groups, format!("stage: {}", person.stage.label())));
        })?;
        let offers = self.open_offers(as_of)?;
        let (mut needs, mut stages) = (Tally::default(), Tally::default());
        let mut preferring = 0;
        let everyone = people.len().max(1);
        let control = ScanControl::new();
        for offer in &offers {
            let (list, _) = self.rank_participants(offer, everyone, as_of, None, &control)?;
            let groups_of = |pick: &dyn Fn(&PersonGroups) -> Vec<String>| -> Vec<Vec<String>> {
                list.candidates
                    .iter()
                    .map(|candidate| people.get(&candidate.participant_id).map(pick).unwrap_or_default())
                    .collect()
            };
            needs.add(&groups_of(&|(groups, _)| groups.clone()));
            if offer.prefers_readiness {
                preferring += 1;
            } else {
                stages.add(&groups_of(&|(_, stage)| vec![stage.clone()]));
            }
        }
        let need_order: Vec<String> = [
            "needs a job coach",
            "requires an accommodation",
            "prefers an accommodation",
            "no disability certificate",
            "certificate: light",
            "certificate: moderate",
            "certificate: severe",
        ]
        .map(str::to_owned)
        .to_vec();
        let stage_order: Vec<String> = Stage::ALL.iter().map(|stage| format!("stage: {}", stage.label())).collect();
        let mut groups = needs.groups(&need_order);
        groups.extend(stages.groups(&stage_order));
        let report = ExposureReport {
            offers: offers.len() as u64,
            offers_preferring_readiness: preferring,
            groups,
            policy_version: self.policy().version.clone(),
        };
        self.audit(AuditEntry {
            request_id: who.request_id.clone(),
            at_ms: who.at_ms,
            caller: who.caller.clone(),
            action: AuditAction::ExposureAudit,
            offer: None,
            participant: None,
            request: serde_json::json!({
                "as_of": as_of.to_string(),
                "offers": report.offers,
                "flagged": report.groups.iter().filter(|group| group.flagged).map(|group| group.group.clone()).collect::<Vec<_>>(),
            }),
            results: Vec::new(),
            policy_version: report.policy_version.clone(),
            vocabulary_version: String::new(),
        })?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranked(groups: &[&[&str]]) -> Vec<Vec<String>> {
        groups.iter().map(|person| person.iter().map(|group| (*group).to_owned()).collect()).collect()
    }

    #[test]
    fn a_group_ranked_last_everywhere_is_flagged_and_a_fair_one_is_not() {
        let mut tally = Tally::default();
        // Half the eligible people need a coach; they always come after the others.
        let offer: Vec<&[&str]> =
            (0..40).map(|place| if place < 20 { &["other"][..] } else { &["coach"][..] }).collect();
        tally.add(&ranked(&offer));
        tally.add(&ranked(&offer));
        let groups = tally.groups(&["coach".to_owned(), "other".to_owned()]);
        assert_eq!(groups[0].eligible_pairs, 40);
        assert!((groups[0].eligible_share - 0.5).abs() < 1e-9);
        assert_eq!(groups[0].ratio, [0.0, 0.0]);
        assert!(groups[0].flagged);
        assert!((groups[1].ratio[1] - 2.0).abs() < 1e-9);

        let mut fair = Tally::default();
        let alternating: Vec<&[&str]> =
            (0..40).map(|place| if place % 2 == 0 { &["a"][..] } else { &["b"][..] }).collect();
        fair.add(&ranked(&alternating));
        let reversed: Vec<&[&str]> =
            (0..40).map(|place| if place % 2 == 0 { &["b"][..] } else { &["a"][..] }).collect();
        fair.add(&ranked(&reversed));
        for group in fair.groups(&["a".to_owned(), "b".to_owned()]) {
            assert!((group.ratio[1] - 1.0).abs() < 1e-9, "{group:?}");
            assert!(!group.flagged);
        }
    }

    #[test]
    fn fair_shares_follow_each_offers_own_pool() {
        // Group x is 1 of 2 eligible on a short list and 1 of 100 on a crowded one: a neutral
        // ranking that puts x in the middle of each gives a ratio near 1, not below.
        let mut tally = Tally::default();
        tally.add(&ranked(&[&["y"], &["x"]]));
        let crowded: Vec<&[&str]> = (0..100).map(|place| if place == 50 { &["x"][..] } else { &["y"][..] }).collect();
        tally.add(&ranked(&crowded));
        let groups = tally.groups(&["x".to_owned()]);
        assert_eq!(groups[0].eligible_pairs, 2);
        assert!(groups[0].ratio[0] > 0.5, "{:?}", groups[0]);
    }
}
