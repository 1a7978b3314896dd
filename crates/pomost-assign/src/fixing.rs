//! Proving a large component optimal when coaches' hours bind, without branching over it:
//! leave out every pair that cannot be in a better answer than the best one known, and solve
//! what is left, which usually falls apart into small components.
//!
//! The flow problem without the coaches' hours (but without the coaches who could never
//! take a pair: fewer free hours than it needs) bounds every answer, and its dual (a price
//! for each offer and each person) bounds every answer that takes a given pair: the bound
//! less the pair's reduced cost. A pair whose bound so lowered cannot beat the best answer
//! is left out (reduced-cost fixing). The better of the best answer and the optimum of the
//! smaller problem is the optimum of the component.
//!
//! (Moving the coaches' hours into the objective with prices found by subgradient steps,
//! the Lagrangian relaxation, was tried: on the batches measured its least bound was the
//! one without prices, so it is not done.)

use crate::{Problem, Support, flow};

/// Two totals closer than this are the same total (the flow rounds scores to 1e-9).
pub(crate) const TOLERANCE: f64 = 1e-9;

/// A coach can take a pair only with as many free hours as it needs.
fn fits(problem: &Problem, coach: u32, hours: f64) -> bool {
    problem.coach_hours[coach as usize] + 1e-9 >= hours
}

/// The bound over a component and the dual that proves it.
pub(crate) struct Dual {
    /// An upper bound of the component's best total under every limit.
    pub bound: f64,
    /// Each offer's price (by offer index).
    offer_price: Vec<f64>,
    /// Each pair's person's price (by position in the component's pair list).
    person_price: Vec<f64>,
}

/// The flow bound over the component's `pairs` that some coach could take, with its dual.
pub(crate) fn dual(problem: &Problem, pairs: &[usize]) -> Dual {
    let takeable = |index: usize| match &problem.pairs[index].support {
        Support::None => true,
        Support::Coach { hours, coaches } => coaches.iter().any(|coach| fits(problem, *coach, *hours)),
    };
    let list: Vec<(u32, u32, f64)> = pairs
        .iter()
        .filter(|index| takeable(**index))
        .map(|index| &problem.pairs[*index])
        .map(|pair| (pair.person, pair.offer, pair.score))
        .collect();
    let positions: Vec<u32> = problem.offers.iter().map(|offer| offer.positions).collect();
    let prices = flow::max_weight_matching(&list, &positions).prices;
    // Each person's price: their best pair's score less its offer's price (or 0), which
    // makes the prices a feasible dual whatever the flow's own potentials were.
    let mut people: std::collections::HashMap<u32, f64> = std::collections::HashMap::new();
    let mut offers: Vec<u32> = Vec::new();
    for index in pairs {
        let pair = &problem.pairs[*index];
        offers.push(pair.offer);
        let surplus = if takeable(*index) { pair.score - prices[pair.offer as usize] } else { 0.0 };
        let price = people.entry(pair.person).or_insert(0.0);
        *price = price.max(surplus);
    }
    offers.sort_unstable();
    offers.dedup();
    let bound = people.values().sum::<f64>()
        + offers.iter().map(|offer| f64::from(positions[*offer as usize]) * prices[*offer as usize]).sum::<f64>();
    let person_price = pairs.iter().map(|index| people[&problem.pairs[*index].person]).collect();
    Dual { bound, offer_price: prices, person_price }
}

/// The pairs worth keeping once `dual` is known and `best` is a feasible total: each pair's
/// position in `pairs` with the coaches it may still use (`None` for a pair that needs
/// none). A coach is dropped from a pair when they have fewer free hours than it needs, and
/// a pair when, forced into the answer, the dual's bound says it cannot beat `best`.
pub(crate) fn worth_keeping(
    problem: &Problem,
    pairs: &[usize],
    dual: &Dual,
    best: f64,
) -> Vec<(usize, Option<Vec<u32>>)> {
    let mut kept = Vec::new();
    for (position, index) in pairs.iter().enumerate() {
        let pair = &problem.pairs[*index];
        let reduced_cost = dual.person_price[position] + dual.offer_price[pair.offer as usize] - pair.score;
        if dual.bound - reduced_cost <= best + TOLERANCE {
            continue;
        }
        match &pair.support {
            Support::None => kept.push((position, None)),
            Support::Coach { hours, coaches } => {
                let coaches: Vec<u32> = coaches.iter().copied().filter(|coach| fits(problem, *coach, *hours)).collect();
                if !coaches.is_empty() {
                    kept.push((position, Some(coaches)));
                }
            }
        }
    }
    kept
}
