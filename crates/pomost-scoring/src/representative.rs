//! Optional representative re-ranking of a shortlist: keep each group's share of the top k
//! within a tolerance of its share of the eligible people, at the least loss of total
//! score, and say which places changed and why. Off unless a request asks for it.
//!
//! Each group may hold between (eligible share − tolerance) × k, rounded up, and (eligible
//! share + tolerance) × k, rounded down, of the k places. The places are chosen from a
//! ranking four times as deep, exactly (see [`crate::balance`]): fewest places by which
//! groups miss those bounds, then the highest total score. Each change is reported as the
//! person brought in, the person left out, the group it serves and the score it cost.

use pomost_domain::ParticipantId;
use serde::{Deserialize, Serialize};

use crate::balance::{Bounds, balanced_choice};
use crate::error::ScoringError;
use crate::groups::{GROUP_NAMES, Memberships, groups_of};
use crate::policy::ScoringPolicy;
use crate::pool::ParticipantPool;
use crate::shortlist::{Candidate, Shortlist, ShortlistRequest};

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
    /// The group the change serves: one the person brought in belongs to that the plain
    /// ranking left short of its share, else one the person left out belongs to that it gave
    /// too many places.
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
        control: &crate::ScanControl,
    ) -> Result<(Shortlist, Vec<RerankChange>), ScoringError> {
        let k = request.k;
        let wide = ShortlistRequest { k: k.saturating_mul(DEPTH).max(k), ..*request };
        let mut list = self.shortlist_until(policy, &wide, control)?;
        let today = request.today.to_julian_day();
        let year = request.today.year();
        let memberships: Vec<Memberships> = list
            .candidates
            .iter()
            .map(|candidate| {
                self.record_of(&candidate.participant_id).map_or([usize::MAX; 5], |r| groups_of(r, today, year))
            })
            .collect();
        let shown = k.min(list.candidates.len());
        let bounds: Vec<Bounds> = (0..GROUP_NAMES.len())
            .map(|group| {
                let share = list.groups.eligible[group] as f64 / list.groups.eligible_total.max(1) as f64;
                let tolerance = f64::from(tolerance);
                Bounds {
                    floor: ((share - tolerance) * shown as f64).ceil().max(0.0) as usize,
                    ceiling: ((share + tolerance) * shown as f64).floor().max(0.0) as usize,
                }
            })
            .collect();
        let scores: Vec<f64> = list.candidates.iter().map(|candidate| f64::from(candidate.score)).collect();
        let (chosen, _) = balanced_choice(&scores, &memberships, &bounds, shown);
        let changes = describe_changes(&list.candidates, &memberships, &bounds, &chosen, shown);
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

/// The places the choice changed: the people it brought in, best first, each paired with
/// one it left out, lowest first, and the group the change serves (one the person brought
/// in belongs to that the plain ranking left short, else one the person left out belongs to
/// that it had too many of).
fn describe_changes(
    candidates: &[Candidate],
    memberships: &[Memberships],
    bounds: &[Bounds],
    chosen: &[bool],
    shown: usize,
) -> Vec<RerankChange> {
    let in_plain = |group: usize| (0..shown).filter(|index| memberships[*index].contains(&group)).count();
    let counts: Vec<usize> = (0..bounds.len()).map(in_plain).collect();
    let short = |group: &usize| *group < bounds.len() && counts[*group] < bounds[*group].floor;
    let over = |group: &usize| *group < bounds.len() && counts[*group] > bounds[*group].ceiling;
    let name = |group: Option<&usize>| group.map_or("the groups' bounds together", |group| GROUP_NAMES[*group]);
    let added = (shown..candidates.len()).filter(|index| chosen[*index]);
    let removed = (0..shown).rev().filter(|index| !chosen[*index]);
    added
        .zip(removed)
        .map(|(added, removed)| {
            let served = memberships[added]
                .iter()
                .find(|group| short(group))
                .or_else(|| memberships[removed].iter().find(|group| over(group)));
            RerankChange {
                added: candidates[added].participant_id.clone(),
                removed: candidates[removed].participant_id.clone(),
                group: name(served).to_owned(),
                score_loss: candidates[removed].score - candidates[added].score,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {

    use pomost_domain::DisabilityDegree;

    use crate::fixtures::{TODAY, krakow, offer, person, pool};
    use crate::policy::ScoringPolicy;
    use crate::shortlist::ShortlistRequest;

    /// Ten people p-00 … p-09, each living further away than the one before (so scoring
    /// lower), changed by `adjust`.
    fn ten_by_distance(adjust: impl Fn(usize, &mut pomost_domain::Participant)) -> crate::pool::ParticipantPool {
        let people = (0..10)
            .map(|index| {
                let mut someone = person(&format!("p-{index:02}"));
                someone.home = krakow(index as f64 * 1.5);
                adjust(index, &mut someone);
                someone
            })
            .collect();
        pool(people, vec![])
    }

    #[test]
    fn a_short_group_gets_its_floor_at_the_least_loss() {
        // Ten people; the three with a certificate live furthest away (lowest scores).
        let pool = ten_by_distance(|index, someone| {
            if index >= 7 {
                someone.disability.degree = DisabilityDegree::Light;
            }
        });
        let request = ShortlistRequest { offer: &offer(), k: 5, today: TODAY };
        let plain = pool.shortlist(&ScoringPolicy::default(), &request).unwrap();
        assert!(plain.candidates.iter().all(|candidate| candidate.participant_id.as_str() < "p-07"));
        let (list, changes) = pool
            .representative_shortlist(&ScoringPolicy::default(), &request, 0.1, &crate::ScanControl::new())
            .unwrap();
        // 30% of the eligible have a light certificate; 5 places × (0.3 − 0.1) rounds up to 1.
        assert_eq!(list.candidates.len(), 5);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].added.as_str(), "p-07", "the best-scoring member of the short group");
        assert_eq!(changes[0].removed.as_str(), "p-04", "the lowest-scoring person of the list");
        assert_eq!(changes[0].group, "certificate: light");
        assert!(changes[0].score_loss >= 0.0);
        assert!(list.candidates.windows(2).all(|pair| pair[0].score >= pair[1].score));
        let (_, none) = pool
            .representative_shortlist(&ScoringPolicy::default(), &request, 0.5, &crate::ScanControl::new())
            .unwrap();
        assert!(none.is_empty(), "a loose tolerance changes nothing");
    }

    #[test]
    fn a_group_over_its_share_gives_up_places_though_no_group_is_short() {
        // Ten people; the two aged 50+ score highest. 50+ is 20% of the eligible, so with a
        // tolerance of 0.1 it may hold at most 30% of 5 places, rounded down: one.
        let pool = ten_by_distance(|index, someone| someone.birth_year = (index < 2).then_some(1960));
        let request = ShortlistRequest { offer: &offer(), k: 5, today: TODAY };
        let (list, changes) = pool
            .representative_shortlist(&ScoringPolicy::default(), &request, 0.1, &crate::ScanControl::new())
            .unwrap();
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!((changes[0].added.as_str(), changes[0].removed.as_str()), ("p-05", "p-01"));
        assert_eq!(changes[0].group, "age 50+", "the group that had too many places");
        let ids: Vec<&str> = list.candidates.iter().map(|candidate| candidate.participant_id.as_str()).collect();
        assert_eq!(ids, ["p-00", "p-02", "p-03", "p-04", "p-05"]);
    }
}
