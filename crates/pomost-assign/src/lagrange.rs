//! Proving a large component optimal when coaches' hours bind, without branching over it.
//!
//! The coaches' hours are moved into the objective (Lagrangian relaxation): each coach gets a
//! price per hour, each pair's score is lowered by the hours it needs times the cheapest
//! price among its coaches, and what is left is the flow problem, solved exactly with the
//! offers' prices as its dual. Subgradient steps move the coaches' prices toward the least
//! bound; each relaxed solution, given coaches, is also a candidate answer. Then every pair
//! (and every coach of a pair) whose bound when forced in cannot beat the best answer is left
//! out (reduced-cost fixing). What remains is usually a few small components: those are
//! solved exactly by the caller's own method, and the best of the two is the optimum.

use std::time::Instant;

use crate::{Choice, Problem, Support, coaches::give_coaches, flow, total};

/// Two totals closer than this are the same total (the flow rounds scores to 1e-9).
pub(crate) const TOLERANCE: f64 = 1e-9;

/// Subgradient steps at most per component.
const STEPS: usize = 30;

/// Steps without a better bound after which the search stops.
const PATIENCE: usize = 6;

/// The first subgradient step's share of the gap between the bound and the best answer.
const STEP_SIZE: f64 = 0.01;

/// The least Lagrangian bound found, with the prices that give it.
pub(crate) struct Relaxed {
    /// An upper bound of the component's best total under every bound, coaches' hours too.
    pub bound: f64,
    /// Price per hour of each coach (by coach index).
    penalty: Vec<f64>,
    /// Each offer's price (by offer index).
    offer_price: Vec<f64>,
    /// Each pair's person's price (by position in the component's pair list).
    person_price: Vec<f64>,
}

/// The component's pairs with each person numbered from 0, for dense per-person arrays.
struct Local<'a> {
    problem: &'a Problem,
    pairs: &'a [usize],
    person: Vec<usize>,
    people: usize,
    offers: Vec<u32>,
    coaches: Vec<u32>,
}

impl<'a> Local<'a> {
    fn new(problem: &'a Problem, pairs: &'a [usize]) -> Self {
        let mut numbers = std::collections::HashMap::new();
        let person = pairs
            .iter()
            .map(|index| {
                let next = numbers.len();
                *numbers.entry(problem.pairs[*index].person).or_insert(next)
            })
            .collect();
        let mut offers: Vec<u32> = pairs.iter().map(|index| problem.pairs[*index].offer).collect();
        offers.sort_unstable();
        offers.dedup();
        let mut coaches: Vec<u32> = pairs
            .iter()
            .flat_map(|index| match &problem.pairs[*index].support {
                Support::Coach { coaches, .. } => coaches.as_slice(),
                Support::None => &[],
            })
            .copied()
            .collect();
        coaches.sort_unstable();
        coaches.dedup();
        Self { problem, pairs, person, people: numbers.len(), offers, coaches }
    }

    /// The pair's score less its hours at its cheapest coach's price, and that coach (among
    /// the coaches with as many free hours as the pair needs: no other can ever take it).
    fn effective(&self, position: usize, penalty: &[f64]) -> (f64, Option<u32>) {
        let pair = &self.problem.pairs[self.pairs[position]];
        match &pair.support {
            Support::None => (pair.score, None),
            Support::Coach { hours, coaches } => {
                let fits = |coach: &u32| self.problem.coach_hours[*coach as usize] + 1e-9 >= *hours;
                let cheapest = coaches.iter().copied().filter(fits).min_by(|a, b| {
                    let (a_price, b_price) = (penalty[*a as usize], penalty[*b as usize]);
                    let (a_free, b_free) =
                        (self.problem.coach_hours[*a as usize], self.problem.coach_hours[*b as usize]);
                    a_price.total_cmp(&b_price).then(b_free.total_cmp(&a_free)).then(a.cmp(b))
                });
                match cheapest {
                    Some(coach) => (pair.score - hours * penalty[coach as usize], Some(coach)),
                    None => (f64::NEG_INFINITY, None),
                }
            }
        }
    }
}

/// Relaxes the coaches' hours over the component's `pairs`, improving `best` (a feasible
/// answer and its total) with every relaxed solution that can be given coaches; the least
/// bound found. Stops early once the bound meets the best answer, or at the deadline.
pub(crate) fn relax(
    problem: &Problem,
    pairs: &[usize],
    best: &mut (Vec<Choice>, f64),
    deadline: Option<Instant>,
) -> Relaxed {
    let local = Local::new(problem, pairs);
    let positions: Vec<u32> = problem.offers.iter().map(|offer| offer.positions).collect();
    let mut penalty = vec![0.0; problem.coach_hours.len()];
    let mut least: Option<Relaxed> = None;
    let mut step_size = STEP_SIZE;
    let mut since_better = 0;
    let mut effective = vec![(0.0, None); pairs.len()];
    let mut list = Vec::with_capacity(pairs.len());
    let mut positions_of = Vec::with_capacity(pairs.len());
    for _ in 0..STEPS {
        list.clear();
        positions_of.clear();
        for (position, slot) in effective.iter_mut().enumerate() {
            *slot = local.effective(position, &penalty);
            if slot.0 > 0.0 {
                let pair = &problem.pairs[pairs[position]];
                list.push((pair.person, pair.offer, slot.0));
                positions_of.push(position);
            }
        }
        let matching = flow::max_weight_matching(&list, &positions);
        let mut person_price = vec![0.0f64; local.people];
        for (position, (score, _)) in effective.iter().enumerate() {
            let offer = problem.pairs[pairs[position]].offer as usize;
            let person = &mut person_price[local.person[position]];
            *person = person.max(score - matching.prices[offer]);
        }
        let bound = person_price.iter().sum::<f64>()
            + local
                .offers
                .iter()
                .map(|offer| f64::from(positions[*offer as usize]) * matching.prices[*offer as usize])
                .sum::<f64>()
            + local
                .coaches
                .iter()
                .map(|coach| penalty[*coach as usize] * problem.coach_hours[*coach as usize])
                .sum::<f64>();
        if least.as_ref().is_none_or(|least| bound < least.bound) {
            least = Some(Relaxed {
                bound,
                penalty: penalty.clone(),
                offer_price: matching.prices.clone(),
                person_price: (0..pairs.len()).map(|position| person_price[local.person[position]]).collect(),
            });
            since_better = 0;
        } else {
            since_better += 1;
            if since_better % 3 == 0 {
                step_size /= 2.0;
            }
        }
        // The relaxed solution as an answer: coaches given where they can be; where they
        // cannot, the relaxed problem solved again without the pairs left out.
        let mut chosen: Vec<Choice> = matching.chosen.iter().map(|at| (pairs[positions_of[*at]], None)).collect();
        let unplaced = give_coaches(problem, &mut chosen);
        if !unplaced.is_empty() {
            let dropped: std::collections::HashSet<usize> = unplaced.into_iter().collect();
            let kept: Vec<usize> = (0..list.len()).filter(|at| !dropped.contains(&pairs[positions_of[*at]])).collect();
            let again: Vec<(u32, u32, f64)> = kept.iter().map(|at| list[*at]).collect();
            chosen = flow::max_weight_matching(&again, &positions)
                .chosen
                .iter()
                .map(|at| (pairs[positions_of[kept[*at]]], None))
                .collect();
            let unplaced: std::collections::HashSet<usize> = give_coaches(problem, &mut chosen).into_iter().collect();
            chosen.retain(|(index, _)| !unplaced.contains(index));
        }
        let found = total(problem, &chosen);
        if found > best.1 {
            *best = (chosen, found);
        }
        let least_bound = least.as_ref().map_or(f64::INFINITY, |least| least.bound);
        if least_bound - best.1 <= TOLERANCE
            || since_better >= PATIENCE
            || deadline.is_some_and(|at| Instant::now() >= at)
        {
            break;
        }
        // Subgradient: each coach's hours used by the relaxed solution less their hours.
        // Where a pair's cheapest coaches tie, its hours go to the one with most left: any
        // of them is a subgradient, and a spread one moves the prices less erratically.
        let mut used = vec![0.0; problem.coach_hours.len()];
        for at in &matching.chosen {
            let position = positions_of[*at];
            if let (Some(cheapest), Support::Coach { hours, coaches }) =
                (effective[position].1, &problem.pairs[pairs[position]].support)
            {
                let price = penalty[cheapest as usize];
                let coach = coaches
                    .iter()
                    .copied()
                    .filter(|coach| penalty[*coach as usize] <= price)
                    .max_by(|a, b| {
                        let left = |coach: u32| problem.coach_hours[coach as usize] - used[coach as usize];
                        left(*a).total_cmp(&left(*b)).then(b.cmp(a))
                    })
                    .unwrap_or(cheapest);
                used[coach as usize] += hours;
            }
        }
        let mut gradient: Vec<(u32, f64)> = Vec::with_capacity(local.coaches.len());
        for &coach in &local.coaches {
            let excess = used[coach as usize] - problem.coach_hours[coach as usize];
            if excess > 0.0 || penalty[coach as usize] > 0.0 {
                gradient.push((coach, excess));
            }
        }
        let norm: f64 = gradient.iter().map(|(_, excess)| excess * excess).sum();
        if norm <= 0.0 {
            break;
        }
        let step = step_size * (bound - best.1).max(TOLERANCE) / norm;
        for (coach, excess) in gradient {
            let price = &mut penalty[coach as usize];
            *price = (*price + step * excess).max(0.0);
        }
    }
    least.expect("at least one step is taken")
}

/// The pairs worth keeping once `relaxed` is known and `best` is a feasible total: each
/// pair's position in `pairs` with the coaches it may still use (`None` for a pair that
/// needs none). A coach is dropped from a pair when they have fewer free hours than it
/// needs, and a pair or coach when, forced into the answer, the relaxation's bound says it
/// cannot beat `best`.
pub(crate) fn worth_keeping(
    problem: &Problem,
    pairs: &[usize],
    relaxed: &Relaxed,
    best: f64,
) -> Vec<(usize, Option<Vec<u32>>)> {
    let mut kept = Vec::new();
    for (position, index) in pairs.iter().enumerate() {
        let pair = &problem.pairs[*index];
        let prices = relaxed.person_price[position] + relaxed.offer_price[pair.offer as usize];
        let beats = |score: f64| relaxed.bound - (prices - score) > best + TOLERANCE;
        match &pair.support {
            Support::None => {
                if beats(pair.score) {
                    kept.push((position, None));
                }
            }
            Support::Coach { hours, coaches } => {
                let coaches: Vec<u32> = coaches
                    .iter()
                    .copied()
                    .filter(|coach| problem.coach_hours[*coach as usize] + 1e-9 >= *hours)
                    .filter(|coach| beats(pair.score - hours * relaxed.penalty[*coach as usize]))
                    .collect();
                if !coaches.is_empty() {
                    kept.push((position, Some(coaches)));
                }
            }
        }
    }
    kept
}
