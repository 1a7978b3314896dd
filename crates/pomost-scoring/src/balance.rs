//! Which people of a ranked window fill a list's places so that every group's count stays
//! within its bounds at the least loss of total score, solved exactly as a small
//! mixed-integer programme (branch and bound on the LP relaxation, `microlp`).
//!
//! Bounds can contradict each other (overlapping groups, a tolerance narrower than one
//! place, too few members in the window), so they are soft: the choice first minimises the
//! places by which groups miss their bounds, then maximises the total score. A miss costs
//! more than any total score can gain (scores are at most 1 each), so no score is ever
//! bought with a wider miss.

use microlp::{ComparisonOp, OptimizationDirection, SolveOptions, SolveOutcome, TerminationReason, Variable};

use crate::groups::{GROUP_NAMES, Memberships};

/// Branch-and-bound nodes explored at most (deterministic, unlike a time limit); the best
/// choice found by then is used, never one worse than the plain ranking.
const NODE_LIMIT: u64 = 5_000;

/// How many members of a group the list may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bounds {
    /// At least this many.
    pub(crate) floor: usize,
    /// At most this many.
    pub(crate) ceiling: usize,
}

/// Places by which the chosen miss the bounds (short of a floor or over a ceiling).
pub(crate) fn misses(chosen: &[bool], memberships: &[Memberships], bounds: &[Bounds]) -> usize {
    let mut counts = vec![0usize; bounds.len()];
    for (index, _) in chosen.iter().enumerate().filter(|(_, chosen)| **chosen) {
        for group in memberships[index].iter().filter(|group| **group < bounds.len()) {
            counts[*group] += 1;
        }
    }
    counts
        .iter()
        .zip(bounds)
        .map(|(count, bounds)| bounds.floor.saturating_sub(*count) + count.saturating_sub(bounds.ceiling))
        .sum()
}

/// The choice of `places` of the candidates (`scores` best first, each with its groups):
/// fewest misses, then highest total score; and whether it is proven to be that. Starts from
/// the plain ranking (the first `places`).
pub(crate) fn balanced_choice(
    scores: &[f64],
    memberships: &[Memberships],
    bounds: &[Bounds],
    places: usize,
) -> (Vec<bool>, bool) {
    let plain: Vec<bool> = (0..scores.len()).map(|index| index < places).collect();
    if misses(&plain, memberships, bounds) == 0 {
        return (plain, true);
    }
    let miss_cost = places as f64 + 1.0;
    let mut model = microlp::Problem::new(OptimizationDirection::Maximize);
    let picks: Vec<Variable> = scores.iter().map(|score| model.add_binary_var(*score)).collect();
    let all: Vec<(Variable, f64)> = picks.iter().map(|pick| (*pick, 1.0)).collect();
    model.add_constraint(all.as_slice(), ComparisonOp::Eq, places as f64);
    let mut warm: Vec<(Variable, f64)> =
        picks.iter().zip(&plain).map(|(pick, on)| (*pick, if *on { 1.0 } else { 0.0 })).collect();
    for (group, bounds) in bounds.iter().enumerate().take(GROUP_NAMES.len()) {
        let members: Vec<(Variable, f64)> = (0..scores.len())
            .filter(|index| memberships[*index].contains(&group))
            .map(|index| (picks[index], 1.0))
            .collect();
        let in_plain = (0..places.min(scores.len())).filter(|index| memberships[*index].contains(&group)).count();
        if bounds.floor > 0 {
            let short = model.add_var(-miss_cost, (0.0, f64::INFINITY));
            let mut row = members.clone();
            row.push((short, 1.0));
            model.add_constraint(row.as_slice(), ComparisonOp::Ge, bounds.floor as f64);
            warm.push((short, bounds.floor.saturating_sub(in_plain) as f64));
        }
        if bounds.ceiling < places && !members.is_empty() {
            let over = model.add_var(-miss_cost, (0.0, f64::INFINITY));
            let mut row = members;
            row.push((over, -1.0));
            model.add_constraint(row.as_slice(), ComparisonOp::Le, bounds.ceiling as f64);
            warm.push((over, in_plain.saturating_sub(bounds.ceiling) as f64));
        }
    }
    let mut options = SolveOptions::default();
    options.node_limit = Some(NODE_LIMIT);
    options.warm_start = Some(warm);
    let Ok(SolveOutcome::Solution(solution)) = model.solve_with(options) else { return (plain, false) };
    let chosen: Vec<bool> = picks.iter().map(|pick| solution.var_value(*pick) > 0.5).collect();
    let total = |chosen: &[bool]| -> f64 {
        let score: f64 = scores.iter().zip(chosen).filter(|(_, on)| **on).map(|(score, _)| score).sum();
        score - miss_cost * misses(chosen, memberships, bounds) as f64
    };
    if chosen.iter().filter(|on| **on).count() != places || total(&chosen) < total(&plain) {
        return (plain, false);
    }
    (chosen, solution.termination_reason() == TerminationReason::ProvenOptimal)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The best choice by trying every one: fewest misses, then highest score.
    fn brute_force(scores: &[f64], memberships: &[Memberships], bounds: &[Bounds], places: usize) -> (usize, f64) {
        let mut best = (usize::MAX, f64::MIN);
        for mask in 0u32..(1 << scores.len()) {
            if mask.count_ones() as usize != places {
                continue;
            }
            let chosen: Vec<bool> = (0..scores.len()).map(|index| mask & (1 << index) != 0).collect();
            let missed = misses(&chosen, memberships, bounds);
            let score: f64 = scores.iter().zip(&chosen).filter(|(_, on)| **on).map(|(score, _)| score).sum();
            if missed < best.0 || (missed == best.0 && score > best.1) {
                best = (missed, score);
            }
        }
        best
    }

    fn instance() -> impl Strategy<Value = (Vec<f64>, Vec<Memberships>, Vec<Bounds>, usize)> {
        (4usize..11).prop_flat_map(|people| {
            (
                prop::collection::vec(0.0f64..1.0, people),
                prop::collection::vec((0usize..2, prop::bool::ANY), people),
                prop::collection::vec((0usize..4, 0usize..5), 4),
                1usize..people,
            )
                .prop_map(|(mut scores, groups, bounds, places)| {
                    scores.sort_by(|a, b| b.total_cmp(a));
                    // Groups 0–1 partition people, group 2 is a subset, group 3 overlaps
                    // both (as degrees, 50+ and long-term registration do).
                    let memberships = groups
                        .iter()
                        .map(|(part, in_subset)| {
                            let subset = if *in_subset { 2 } else { usize::MAX };
                            let overlap = if *in_subset || *part == 1 { 3 } else { usize::MAX };
                            [*part, subset, overlap, usize::MAX, usize::MAX]
                        })
                        .collect();
                    let bounds = bounds
                        .into_iter()
                        .map(|(floor, ceiling)| Bounds { floor, ceiling })
                        .chain(std::iter::repeat_n(Bounds { floor: 0, ceiling: usize::MAX }, GROUP_NAMES.len() - 4))
                        .collect();
                    (scores, memberships, bounds, places)
                })
        })
    }

    proptest! {
        #[test]
        fn the_choice_misses_least_and_then_scores_most((scores, memberships, bounds, places) in instance()) {
            let (chosen, optimal) = balanced_choice(&scores, &memberships, &bounds, places);
            prop_assert!(optimal);
            prop_assert_eq!(chosen.iter().filter(|on| **on).count(), places);
            let (fewest, best) = brute_force(&scores, &memberships, &bounds, places);
            prop_assert_eq!(misses(&chosen, &memberships, &bounds), fewest);
            let score: f64 = scores.iter().zip(&chosen).filter(|(_, on)| **on).map(|(score, _)| score).sum();
            prop_assert!((score - best).abs() < 1e-6, "{score} vs {best}");
        }
    }

    #[test]
    fn a_ranking_within_its_bounds_is_kept_as_it_is() {
        let memberships = vec![[0, usize::MAX, usize::MAX, usize::MAX, usize::MAX]; 4];
        let bounds = vec![Bounds { floor: 0, ceiling: 4 }; GROUP_NAMES.len()];
        let (chosen, optimal) = balanced_choice(&[0.9, 0.8, 0.7, 0.6], &memberships, &bounds, 2);
        assert_eq!((chosen, optimal), (vec![true, true, false, false], true));
    }
}
