//! Giving the chosen pairs their job coaches: each coach-needing pair one of the coaches who
//! could accompany it, no coach beyond their free hours. Hours are not divisible, so this is
//! a packing problem; a quick rule places nearly every batch, and where it leaves a pair
//! out, the coaches that pair could have had (and every coach linked to them through the
//! chosen pairs) are packed again by an exhaustive search with a work limit. A pair is left
//! out only when that search proves no packing exists, or gives up.

use std::collections::{BTreeMap, HashMap};

use crate::{Choice, Components, Problem, Support};

/// Search steps per cluster of coaches before the exhaustive packing gives up.
const PACKING_STEPS: u32 = 200_000;

/// Most pairs in a cluster the exhaustive packing takes on (it recurses once per pair).
const PACKING_ITEMS: usize = 2_000;

/// Gives each chosen coach-needing pair a coach (see the module); the pairs that got none.
pub(crate) fn give_coaches(problem: &Problem, chosen: &mut [Choice]) -> Vec<usize> {
    let needing: Vec<usize> = (0..chosen.len())
        .filter(|position| matches!(problem.pairs[chosen[*position].0].support, Support::Coach { .. }))
        .collect();
    let mut unplaced = quick_rule(problem, chosen, &needing);
    if unplaced.is_empty() {
        return unplaced;
    }
    for cluster in clusters(problem, chosen, &needing, &unplaced) {
        if let Some(coaches) = pack(problem, chosen, &cluster) {
            for (position, coach) in cluster.iter().zip(coaches) {
                chosen[*position].1 = Some(coach);
            }
        }
    }
    unplaced.retain(|position| chosen[*position].1.is_none());
    unplaced.into_iter().map(|position| chosen[position].0).collect()
}

fn needs<'a>(problem: &'a Problem, chosen: &[Choice], position: usize) -> (f64, &'a [u32]) {
    match &problem.pairs[chosen[position].0].support {
        Support::Coach { hours, coaches } => (*hours, coaches),
        Support::None => (0.0, &[]),
    }
}

/// Fewest options first, each to the coach with most hours left; the positions (in
/// `chosen`) of the pairs that found no coach, their coach cleared.
fn quick_rule(problem: &Problem, chosen: &mut [Choice], needing: &[usize]) -> Vec<usize> {
    let mut left: HashMap<u32, f64> = HashMap::new();
    let mut order = needing.to_vec();
    order.sort_by_key(|position| (needs(problem, chosen, *position).1.len(), chosen[*position].0));
    let mut unplaced = Vec::new();
    for position in order {
        let (hours, coaches) = needs(problem, chosen, position);
        let best = coaches
            .iter()
            .map(|coach| (*coach, *left.entry(*coach).or_insert(problem.coach_hours[*coach as usize])))
            .filter(|(_, free)| *free + 1e-9 >= hours)
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        match best {
            Some((coach, free)) => {
                left.insert(coach, free - hours);
                chosen[position].1 = Some(coach);
            }
            None => {
                chosen[position].1 = None;
                unplaced.push(position);
            }
        }
    }
    unplaced
}

/// The positions of the coach-needing pairs linked, through coaches they could share, to a
/// pair left out; one list per group of linked coaches.
fn clusters(problem: &Problem, chosen: &[Choice], needing: &[usize], unplaced: &[usize]) -> Vec<Vec<usize>> {
    let mut linked = Components::new(problem.coach_hours.len());
    let first_coach = |position: usize| needs(problem, chosen, position).1.first().map(|coach| *coach as usize);
    for &position in needing {
        let Some(first) = first_coach(position) else { continue };
        for &coach in needs(problem, chosen, position).1 {
            linked.join(first, coach as usize);
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = unplaced
        .iter()
        .filter_map(|position| first_coach(*position))
        .map(|coach| (linked.find(coach), Vec::new()))
        .collect();
    for &position in needing {
        if let Some(group) = first_coach(position).and_then(|coach| groups.get_mut(&linked.find(coach))) {
            group.push(position);
        }
    }
    groups.into_values().collect()
}

/// A coach for every pair at `cluster` (positions in `chosen`) within the coaches' free
/// hours, by exhaustive search (largest needs first, each tried at the coach it fits
/// tightest first); none when there is no such packing or the search gave up.
fn pack(problem: &Problem, chosen: &[Choice], cluster: &[usize]) -> Option<Vec<u32>> {
    if cluster.len() > PACKING_ITEMS {
        return None;
    }
    let mut order: Vec<usize> = (0..cluster.len()).collect();
    order.sort_by(|a, b| {
        let (a_hours, a_coaches) = needs(problem, chosen, cluster[*a]);
        let (b_hours, b_coaches) = needs(problem, chosen, cluster[*b]);
        b_hours.total_cmp(&a_hours).then(a_coaches.len().cmp(&b_coaches.len())).then(a.cmp(b))
    });
    let items: Vec<(f64, &[u32])> = order.iter().map(|at| needs(problem, chosen, cluster[*at])).collect();
    let mut left: HashMap<u32, f64> = HashMap::new();
    for (_, coaches) in &items {
        for coach in *coaches {
            left.insert(*coach, problem.coach_hours[*coach as usize]);
        }
    }
    // What the items from each place on still need, against what all coaches have left.
    let mut still_needed: Vec<f64> = vec![0.0; items.len() + 1];
    for at in (0..items.len()).rev() {
        still_needed[at] = still_needed[at + 1] + items[at].0;
    }
    let mut search =
        Search { total_left: left.values().sum(), left, still_needed, given: vec![0u32; items.len()], steps: 0 };
    search.place(&items, 0).then(|| {
        let mut coaches = vec![0; cluster.len()];
        for (at, coach) in order.iter().zip(search.given) {
            coaches[*at] = coach;
        }
        coaches
    })
}

/// The state of the exhaustive packing.
struct Search {
    /// Hours each coach has left.
    left: HashMap<u32, f64>,
    /// Their sum.
    total_left: f64,
    /// What the items from each place on need together.
    still_needed: Vec<f64>,
    /// The coach given to each item so far.
    given: Vec<u32>,
    steps: u32,
}

impl Search {
    /// Places the items from `at` on; whether all found a coach.
    fn place(&mut self, items: &[(f64, &[u32])], at: usize) -> bool {
        if at == items.len() {
            return true;
        }
        self.steps += 1;
        if self.steps > PACKING_STEPS || self.total_left + 1e-9 < self.still_needed[at] {
            return false;
        }
        let (hours, coaches) = items[at];
        let mut options: Vec<(f64, u32)> = coaches
            .iter()
            .filter_map(|coach| self.left.get(coach).map(|free| (*free, *coach)))
            .filter(|(free, _)| *free + 1e-9 >= hours)
            .collect();
        options.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (free, coach) in options {
            self.left.insert(coach, free - hours);
            self.total_left -= hours;
            self.given[at] = coach;
            if self.place(items, at + 1) {
                return true;
            }
            self.left.insert(coach, free);
            self.total_left += hours;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{OfferSlot, Pair};

    /// Six coaches of one unit and eleven chosen people (taken from a 100,000-person batch):
    /// the quick rule leaves the last one out, though a packing exists.
    fn crowded_unit(extra_hours: f64) -> (Problem, Vec<Choice>) {
        let all = vec![0, 1, 2, 3, 4, 5];
        let needs: Vec<(f64, Vec<u32>)> = vec![
            (10.0, vec![1, 0, 2, 3]),
            (3.0, all.clone()),
            (7.0, vec![0, 1, 2, 3]),
            (6.0, vec![1, 0, 2, 3, 4]),
            (9.0, vec![1, 0, 2, 3]),
            (2.0, vec![3]),
            (9.0, vec![0, 1, 2, 3]),
            (4.0, all.clone()),
            (5.0, all.clone()),
            (3.0, all.clone()),
            (4.0 + extra_hours, all),
        ];
        let pairs = needs
            .into_iter()
            .enumerate()
            .map(|(person, (hours, coaches))| Pair {
                person: person as u32,
                offer: 0,
                score: 0.5,
                support: Support::Coach { hours, coaches },
            })
            .collect::<Vec<_>>();
        let chosen = (0..pairs.len()).map(|index| (index, None)).collect();
        let problem = Problem {
            offers: vec![OfferSlot { positions: 11 }],
            coach_hours: vec![14.0, 16.0, 12.0, 15.0, 6.0, 5.0],
            pairs,
        };
        (problem, chosen)
    }

    #[test]
    fn a_packing_the_quick_rule_misses_is_found() {
        let (problem, mut chosen) = crowded_unit(0.0);
        let mut quick = chosen.clone();
        let needing: Vec<usize> = (0..quick.len()).collect();
        assert!(!quick_rule(&problem, &mut quick, &needing).is_empty(), "the example no longer needs the search");
        assert!(give_coaches(&problem, &mut chosen).is_empty());
        assert!(crate::verify(&problem, &chosen).is_ok(), "{:?}", crate::verify(&problem, &chosen));
    }

    #[test]
    fn more_hours_than_the_coaches_have_leaves_a_pair_out_within_every_coach_hours() {
        // 62 h asked of 68 free, then 69 asked: no packing exists.
        let (problem, mut chosen) = crowded_unit(7.0);
        let unplaced = give_coaches(&problem, &mut chosen);
        assert_eq!(unplaced.len(), 1);
        chosen.retain(|(index, _)| !unplaced.contains(index));
        assert!(crate::verify(&problem, &chosen).is_ok(), "{:?}", crate::verify(&problem, &chosen));
    }
}
