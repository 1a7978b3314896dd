//! Optional representative re-ranking of a shortlist: keep each group's share of the top k
//! within a tolerance of its share of the eligible people, at the least loss of total
//! score, and say which places changed and why. Off unless a request asks for it.
//!
//! Greedy by smallest loss: while some group has fewer members in the top k than its floor
//! (eligible share minus the tolerance, times k), the best-scoring member of that group
//! below the cut replaces the lowest-scoring person in the top k whose leaving keeps every
//! group at or above its floor. Each swap is reported with the group it served and the
//! score it cost.

use std::sync::atomic::AtomicBool;

use pomost_domain::ParticipantId;
use serde::{Deserialize, Serialize};

use crate::error::ScoringError;
use crate::groups::{GROUP_NAMES, Memberships, groups_of};
use crate::policy::ScoringPolicy;
use crate::pool::ParticipantPool;
use crate::shortlist::{Shortlist, ShortlistRequest};

/// Candidates looked at below the cut, per place of the list.
const DEPTH: usize = 4;
/// Largest tolerance a request may give.
pub const MAX_TOLERANCE: f32 = 0.5;

/// One place the re-ranking changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RerankChange {
    /// The person brought into the list.
    pub added: ParticipantId,
    /// The person they replaced.
    pub removed: ParticipantId,
    /// The group whose share was short.
    pub group: String,
    /// Score of the person removed minus score of the person added.
    pub score_loss: f32,
}

impl ParticipantPool {
    /// [`ParticipantPool::shortlist_until`], then re-ranked so each group's share of the top
    /// k stays within `tolerance` of its eligible share (see the module documentation).
    pub fn representative_shortlist(
        &self,
        policy: &ScoringPolicy,
        request: &ShortlistRequest,
        tolerance: f32,
        cancel: &AtomicBool,
    ) -> Result<(Shortlist, Vec<RerankChange>), ScoringError> {
        let k = request.k;
        let wide = ShortlistRequest { k: k.saturating_mul(DEPTH).max(k), ..*request };
        let mut list = self.shortlist_until(policy, &wide, cancel)?;
        let today = request.today.to_julian_day();
        let year = request.today.year();
        let memberships: Vec<Memberships> = list
            .candidates
            .iter()
            .map(|candidate| {
                self.record_of(&candidate.participant_id).map_or([usize::MAX; 5], |r| groups_of(r, today, year))
            })
            .collect();
        let member = |index: usize, group: usize| memberships[index].contains(&group);
        let shown = k.min(list.candidates.len());
        let floors: Vec<usize> = (0..GROUP_NAMES.len())
            .map(|group| {
                let share = list.groups.eligible[group] as f64 / list.groups.eligible_total.max(1) as f64;
                let floor = ((share - f64::from(tolerance)) * shown as f64).ceil().max(0.0) as usize;
                floor.min((0..list.candidates.len()).filter(|index| member(*index, group)).count())
            })
            .collect();
        let mut chosen: Vec<bool> = (0..list.candidates.len()).map(|index| index < shown).collect();
        let count =
            |chosen: &[bool], group: usize| (0..chosen.len()).filter(|i| chosen[*i] && member(*i, group)).count();
        let mut changes = Vec::new();
        let mut stuck = vec![false; GROUP_NAMES.len()];
        for _ in 0..shown.saturating_mul(GROUP_NAMES.len()) {
            // The group furthest below its floor (ties to the report's order).
            let short = (0..GROUP_NAMES.len())
                .filter(|group| !stuck[*group] && count(&chosen, *group) < floors[*group])
                .max_by_key(|group| (floors[*group] - count(&chosen, *group), usize::MAX - group));
            let Some(group) = short else { break };
            let incoming = (0..list.candidates.len()).find(|index| !chosen[*index] && member(*index, group));
            // The lowest-scoring person whose leaving keeps every other group at its floor.
            let outgoing = incoming.and_then(|incoming| {
                (0..list.candidates.len()).rev().find(|index| {
                    chosen[*index]
                        && !member(*index, group)
                        && memberships[*index]
                            .iter()
                            .filter(|other| **other < GROUP_NAMES.len())
                            .all(|other| member(incoming, *other) || count(&chosen, *other) > floors[*other])
                })
            });
            let (Some(incoming), Some(outgoing)) = (incoming, outgoing) else {
                stuck[group] = true;
                continue;
            };
            chosen[incoming] = true;
            chosen[outgoing] = false;
            changes.push(RerankChange {
                added: list.candidates[incoming].participant_id.clone(),
                removed: list.candidates[outgoing].participant_id.clone(),
                group: GROUP_NAMES[group].to_owned(),
                score_loss: list.candidates[outgoing].score - list.candidates[incoming].score,
            });
        }
        // Keep the chosen in score order, and count the attention the returned list gives.
        let kept: Vec<usize> = (0..list.candidates.len()).filter(|index| chosen[*index]).collect();
        list.groups.exposure = [0.0; GROUP_NAMES.len()];
        list.groups.exposure_total = 0.0;
        for (place, index) in kept.iter().enumerate() {
            list.groups.count_place(place + 1, memberships[*index]);
        }
        let mut candidates = std::mem::take(&mut list.candidates);
        let mut position = 0;
        candidates.retain(|_| {
            let keep = chosen[position];
            position += 1;
            keep
        });
        list.candidates = candidates;
        Ok((list, changes))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use pomost_domain::DisabilityDegree;

    use crate::fixtures::{TODAY, krakow, offer, person, pool};
    use crate::policy::ScoringPolicy;
    use crate::shortlist::ShortlistRequest;

    #[test]
    fn a_short_group_gets_its_floor_at_the_least_loss() {
        // Ten people; the three with a certificate live furthest away (lowest scores).
        let people: Vec<_> = (0..10)
            .map(|index| {
                let mut someone = person(&format!("p-{index:02}"));
                someone.home = krakow(index as f64 * 1.5);
                if index >= 7 {
                    someone.disability.degree = DisabilityDegree::Light;
                }
                someone
            })
            .collect();
        let pool = pool(people, vec![]);
        let request = ShortlistRequest { offer: &offer(), k: 5, today: TODAY };
        let plain = pool.shortlist(&ScoringPolicy::default(), &request).unwrap();
        assert!(plain.candidates.iter().all(|candidate| candidate.participant_id.as_str() < "p-07"));
        let (list, changes) =
            pool.representative_shortlist(&ScoringPolicy::default(), &request, 0.1, &AtomicBool::new(false)).unwrap();
        // 30% of the eligible have a light certificate; 5 places × (0.3 − 0.1) rounds up to 1.
        assert_eq!(list.candidates.len(), 5);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].added.as_str(), "p-07", "the best-scoring member of the short group");
        assert_eq!(changes[0].removed.as_str(), "p-04", "the lowest-scoring person of the list");
        assert_eq!(changes[0].group, "certificate: light");
        assert!(changes[0].score_loss >= 0.0);
        assert!(list.candidates.windows(2).all(|pair| pair[0].score >= pair[1].score));
        let (_, none) =
            pool.representative_shortlist(&ScoringPolicy::default(), &request, 0.5, &AtomicBool::new(false)).unwrap();
        assert!(none.is_empty(), "a loose tolerance changes nothing");
    }
}
