//! Improving a feasible answer where coaches' hours bind, one small neighbourhood at a time.
//!
//! Where the flow optimum asks more hours of a group of coaches than they have, the repaired
//! answer drops whichever pair the packing left out, not the pair whose loss costs least.
//! Around each pair left out, the neighbourhood is:
//! - the offers whose chosen people need any of that pair's coaches (and the pair's own);
//! - every candidate of those offers who is not placed elsewhere;
//! - their pairs.
//!
//! Everything outside stays as it is (its positions, people and coach hours taken). The
//! neighbourhood goes to branch and bound for at most [`NEIGHBOURHOOD_MS`], and the best
//! answer found by then is kept if it is better. The current answer is feasible in it, so
//! the result is never worse.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Instant;

use crate::{Choice, MAX_MIP_PAIRS, OfferSlot, Pair, Problem, Support, mip_component, total, verify};

/// Time for one neighbourhood's branch and bound; the best found by then is kept.
const NEIGHBOURHOOD_MS: u64 = 300;

/// Improves `best` (a feasible answer over the component's `pairs`, and its total) around
/// each pair of `overloaded` (pairs of the flow optimum `wanted` that found no coach).
pub(crate) fn improve(
    problem: &Problem,
    pairs: &[usize],
    wanted: &[Choice],
    overloaded: &[usize],
    best: &mut (Vec<Choice>, f64),
    deadline: Option<Instant>,
) {
    let mut covered: HashSet<u32> = HashSet::new();
    for &index in overloaded {
        if deadline.is_some_and(|at| Instant::now() >= at) {
            return;
        }
        let Support::Coach { coaches, .. } = &problem.pairs[index].support else { continue };
        if coaches.iter().all(|coach| covered.contains(coach)) {
            continue;
        }
        let group: HashSet<u32> = coaches.iter().copied().collect();
        covered.extend(group.iter().copied());
        let mut offers: BTreeSet<u32> = wanted
            .iter()
            .map(|(index, _)| &problem.pairs[*index])
            .filter(|pair| needs_any(pair, &group))
            .map(|pair| pair.offer)
            .collect();
        offers.insert(problem.pairs[index].offer);
        solve_around(problem, pairs, &offers, best, deadline);
    }
}

fn needs_any(pair: &Pair, group: &HashSet<u32>) -> bool {
    matches!(&pair.support, Support::Coach { coaches, .. } if coaches.iter().any(|coach| group.contains(coach)))
}

/// Solves the neighbourhood of `offers` exactly and keeps the result if it is better.
fn solve_around(
    problem: &Problem,
    pairs: &[usize],
    offers: &BTreeSet<u32>,
    best: &mut (Vec<Choice>, f64),
    deadline: Option<Instant>,
) {
    let placed: HashMap<u32, u32> =
        best.0.iter().map(|(index, _)| (problem.pairs[*index].person, problem.pairs[*index].offer)).collect();
    let free =
        |pair: &Pair| offers.contains(&pair.offer) && placed.get(&pair.person).is_none_or(|at| offers.contains(at));
    let inside: Vec<usize> = pairs.iter().copied().filter(|index| free(&problem.pairs[*index])).collect();
    if inside.len() > MAX_MIP_PAIRS {
        return;
    }
    // The hours the answer outside the neighbourhood keeps.
    let mut hours_left = problem.coach_hours.clone();
    let (kept, replaced): (Vec<Choice>, Vec<Choice>) =
        best.0.iter().partition(|(index, _)| !offers.contains(&problem.pairs[*index].offer));
    for (index, coach) in &kept {
        if let (Some(coach), Support::Coach { hours, .. }) = (coach, &problem.pairs[*index].support) {
            hours_left[*coach as usize] = (hours_left[*coach as usize] - hours).max(0.0);
        }
    }
    let local = Problem {
        offers: problem
            .offers
            .iter()
            .enumerate()
            .map(|(offer, slot)| OfferSlot {
                positions: if offers.contains(&(offer as u32)) { slot.positions } else { 0 },
            })
            .collect(),
        coach_hours: hours_left,
        pairs: inside.iter().map(|index| problem.pairs[*index].clone()).collect(),
    };
    let at: HashMap<usize, usize> = inside.iter().enumerate().map(|(local, index)| (*index, local)).collect();
    let Some(start) =
        replaced.iter().map(|(index, coach)| at.get(index).map(|at| (*at, *coach))).collect::<Option<Vec<Choice>>>()
    else {
        return;
    };
    let everything: Vec<usize> = (0..local.pairs.len()).collect();
    let cap = Instant::now() + std::time::Duration::from_millis(NEIGHBOURHOOD_MS);
    let limit = Some(deadline.map_or(cap, |at| at.min(cap)));
    let Ok((Some(found), _)) = mip_component(&local, &everything, limit, &start) else { return };
    if total(&local, &found) > total(&local, &start) + crate::fixing::TOLERANCE && verify(&local, &found).is_ok() {
        let mut next = kept;
        next.extend(found.into_iter().map(|(local, coach)| (inside[local], coach)));
        next.sort_unstable();
        let sum = total(problem, &next);
        *best = (next, sum);
    }
}
