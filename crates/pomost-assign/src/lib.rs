//! Exact batch assignment: given candidate pairs (a person, an offer, the pair's score, and
//! which job coaches could accompany the person there for how many hours), choose the pairs
//! that maximise the total score so that each offer gets at most its open positions, each
//! person at most one offer, and each coach at most their free hours.
//!
//! Positions and one-offer-per-person alone are a transportation problem; the coaches' hours
//! make it a mixed-integer programme (a person's hours are not divisible among coaches).
//! The batch is split into connected components (offers far apart share neither people nor
//! coaches). Each is first solved without the coaches' hours as a maximum-weight b-matching
//! (min-cost flow: exact and fast); when the coaches can then be given out within their
//! hours (a packing, searched exhaustively where a quick rule fails), that is the optimum.
//! Where they cannot:
//! - a component of up to [`MAX_MIP_PAIRS`] pairs is solved by branch and bound on the LP
//!   relaxation (the `microlp` crate, with counting cuts for each coach's hours),
//!   warm-started from the best repaired flow solution;
//! - a larger one is improved by branch and bound around each group of overloaded coaches,
//!   then every pair that the flow's dual shows cannot beat that answer is left out, and
//!   what is left (usually small components) is solved the same way, a few rounds at most.
//!
//! If that does not prove the answer optimal, or the time limit ends a search, the best
//! answer found is returned with an upper bound. Pure: no I/O, no clock but the optional
//! time limit.

use std::time::{Duration, Instant};

use coaches::give_coaches;

mod coaches;
mod fixing;
mod flow;
mod neighbourhood;

use std::collections::HashMap;

use microlp::{ComparisonOp, OptimizationDirection, SolveOptions, SolveOutcome, TerminationReason, Variable};

/// An offer in the batch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OfferSlot {
    /// Positions still open.
    pub positions: u32,
}

/// What a pair needs from a job coach.
#[derive(Debug, Clone, PartialEq)]
pub enum Support {
    /// Nothing (no need, or the employer's mentor meets it).
    None,
    /// `hours` a week of one of `coaches` (indexes into [`Problem::coach_hours`]).
    Coach {
        /// Weekly hours the person needs.
        hours: f64,
        /// Coaches who could accompany the person at this workplace.
        coaches: Vec<u32>,
    },
}

/// A candidate pair.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    /// The person (any number the caller uses; equal numbers are one person).
    pub person: u32,
    /// Index into [`Problem::offers`].
    pub offer: u32,
    /// The pair's score (higher is better; non-negative).
    pub score: f64,
    /// What the pair needs from a coach.
    pub support: Support,
}

/// The whole batch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Problem {
    /// The offers.
    pub offers: Vec<OfferSlot>,
    /// Each coach's free weekly hours.
    pub coach_hours: Vec<f64>,
    /// The candidate pairs.
    pub pairs: Vec<Pair>,
}

/// Largest component (candidate pairs) solved by branch and bound when coaches' hours bind;
/// beyond it the repaired flow solution is returned with its bound.
pub const MAX_MIP_PAIRS: usize = 4_000;

/// A chosen pair (index into [`Problem::pairs`]) with the coach chosen for it.
pub type Choice = (usize, Option<u32>);

/// The chosen pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// Chosen pairs (index into [`Problem::pairs`]) with the coach chosen for them.
    pub chosen: Vec<(usize, Option<u32>)>,
    /// Sum of the chosen pairs' scores.
    pub total: f64,
    /// Every component was solved to proven optimality (false when the time limit cut a
    /// search short; the best assignment found is returned).
    pub optimal: bool,
    /// Independent sub-problems solved.
    pub components: usize,
    /// An upper bound of the best total (the best total without the coaches' hours);
    /// equal to `total` when no coach's hours bind.
    pub bound: f64,
}

/// Why a batch cannot be solved.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AssignError {
    /// The input refers to something that is not there, or holds a bad number.
    #[error("{0}")]
    Invalid(String),
    /// The solver failed (a bug or a numerically hopeless instance).
    #[error("the solver failed: {0}")]
    Solver(String),
}

fn check(problem: &Problem) -> Result<(), AssignError> {
    let bad = |message: String| Err(AssignError::Invalid(message));
    for (index, hours) in problem.coach_hours.iter().enumerate() {
        if !hours.is_finite() || *hours < 0.0 {
            return bad(format!("coach {index}: free hours {hours} is not a number of 0 or more"));
        }
    }
    for (index, pair) in problem.pairs.iter().enumerate() {
        if pair.offer as usize >= problem.offers.len() {
            return bad(format!("pair {index}: offer {} is not in the batch", pair.offer));
        }
        if !pair.score.is_finite() || pair.score < 0.0 {
            return bad(format!("pair {index}: score {} is not a number of 0 or more", pair.score));
        }
        if let Support::Coach { hours, coaches } = &pair.support {
            if !hours.is_finite() || *hours < 0.0 {
                return bad(format!("pair {index}: hours {hours} is not a number of 0 or more"));
            }
            if let Some(coach) = coaches.iter().find(|coach| **coach as usize >= problem.coach_hours.len()) {
                return bad(format!("pair {index}: coach {coach} is not in the batch"));
            }
        }
    }
    Ok(())
}

/// Union-find over people, offers and coaches, to split the batch into components.
struct Components {
    parent: Vec<usize>,
}

impl Components {
    fn new(size: usize) -> Self {
        Self { parent: (0..size).collect() }
    }

    fn find(&mut self, mut node: usize) -> usize {
        while self.parent[node] != node {
            self.parent[node] = self.parent[self.parent[node]];
            node = self.parent[node];
        }
        node
    }

    fn join(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.parent[a.max(b)] = a.min(b);
        }
    }
}

/// Groups pair indexes by connected component (people, offers and coaches they share).
fn components(problem: &Problem) -> Vec<Vec<usize>> {
    let mut people: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
    for pair in &problem.pairs {
        let next = people.len();
        people.entry(pair.person).or_insert(next);
    }
    let offers = problem.offers.len();
    let coaches = problem.coach_hours.len();
    let mut sets = Components::new(offers + coaches + people.len());
    for pair in &problem.pairs {
        let person = offers + coaches + people[&pair.person];
        sets.join(person, pair.offer as usize);
        if let Support::Coach { coaches: options, .. } = &pair.support {
            for coach in options {
                sets.join(person, offers + *coach as usize);
            }
        }
    }
    let mut groups: std::collections::BTreeMap<usize, Vec<usize>> = std::collections::BTreeMap::new();
    for (index, pair) in problem.pairs.iter().enumerate() {
        groups.entry(sets.find(pair.offer as usize)).or_default().push(index);
    }
    groups.into_values().collect()
}

fn total(problem: &Problem, chosen: &[Choice]) -> f64 {
    chosen.iter().map(|(index, _)| problem.pairs[*index].score).sum()
}

/// The flow optimum without coach hours over `pairs`, as choices without coaches.
fn flow_choices(problem: &Problem, pairs: &[usize]) -> Vec<Choice> {
    let list: Vec<(u32, u32, f64)> =
        pairs.iter().map(|index| &problem.pairs[*index]).map(|pair| (pair.person, pair.offer, pair.score)).collect();
    let positions: Vec<u32> = problem.offers.iter().map(|offer| offer.positions).collect();
    flow::max_weight_matching(&list, &positions).chosen.into_iter().map(|position| (pairs[position], None)).collect()
}

/// How far the solve may go: components up to `mip_pairs` pairs go to branch and bound,
/// larger ones to the proof by fixing (`prove_large`), at nesting `depth`.
#[derive(Debug, Clone, Copy)]
struct Limits {
    mip_pairs: usize,
    depth: u32,
}

/// How many times the proof by fixing may hand its smaller problem on to another one. Each
/// round improves the answer around the coaches that the smaller problem's flow optimum
/// overloads, so it can leave out more; it stops sooner when a round leaves out less than a
/// tenth of the pairs (measured: the next round then leaves out about as little again, and
/// costs seconds).
const MAX_DEPTH: u32 = 4;

impl Default for Limits {
    fn default() -> Self {
        Self { mip_pairs: MAX_MIP_PAIRS, depth: 0 }
    }
}

/// Solves one component: the flow optimum when the coaches fit it (proven optimal), else
/// the best repaired flow solution improved by branch and bound (small components) or by
/// the proof by fixing (large ones); with the component's bound.
fn solve_component(
    problem: &Problem,
    pairs: &[usize],
    deadline: Option<Instant>,
    limits: Limits,
) -> Result<(Vec<Choice>, bool, f64), AssignError> {
    let mut chosen = flow_choices(problem, pairs);
    let bound = total(problem, &chosen);
    let mut unplaced = give_coaches(problem, &mut chosen);
    if unplaced.is_empty() {
        return Ok((chosen, true, bound));
    }
    let (wanted, overloaded) = (chosen.clone(), unplaced.clone());
    // Repair: drop the pairs no coach could take and solve again, a few rounds; keep the
    // best feasible solution as the warm start of what follows.
    let mut allowed: Vec<usize> = pairs.to_vec();
    let dropped: std::collections::HashSet<usize> = unplaced.iter().copied().collect();
    let mut best: Vec<Choice> = chosen.iter().filter(|(index, _)| !dropped.contains(index)).copied().collect();
    for _ in 0..5 {
        let dropped: std::collections::HashSet<usize> = unplaced.iter().copied().collect();
        allowed.retain(|index| !dropped.contains(index));
        let mut next = flow_choices(problem, &allowed);
        unplaced = give_coaches(problem, &mut next);
        let dropped: std::collections::HashSet<usize> = unplaced.iter().copied().collect();
        next.retain(|(index, _)| !dropped.contains(index));
        if total(problem, &next) > total(problem, &best) {
            best = next;
        }
        if unplaced.is_empty() {
            break;
        }
    }
    if pairs.len() > limits.mip_pairs {
        let best = (best.clone(), total(problem, &best));
        return prove_large(problem, pairs, deadline, limits, best, bound, (&wanted, &overloaded));
    }
    let (found, optimal) = mip_component(problem, pairs, deadline, &best)?;
    match found {
        Some(found) if total(problem, &found) + 1e-9 >= total(problem, &best) => Ok((found, optimal, bound)),
        _ => Ok((best, false, bound)),
    }
}

/// A component too large for branch and bound: the answer improved around the overloaded
/// coaches (`wanted` is the flow optimum, `overloaded` its pairs that found no coach), then
/// the pairs that could still beat it solved as a problem of their own (it usually falls
/// apart into small components); the better of the two, proven optimal when the smaller
/// problem was solved to optimality or its bound does not beat the answer.
fn prove_large(
    problem: &Problem,
    pairs: &[usize],
    deadline: Option<Instant>,
    limits: Limits,
    mut incumbent: (Vec<Choice>, f64),
    flow_bound: f64,
    (wanted, overloaded): (&[Choice], &[usize]),
) -> Result<(Vec<Choice>, bool, f64), AssignError> {
    if limits.depth >= MAX_DEPTH {
        return Ok((incumbent.0, false, flow_bound));
    }
    // A third of the time left goes to improving the answer around the overloaded coaches.
    let improving_until = deadline.map(|at| {
        let now = Instant::now();
        now + at.saturating_duration_since(now) / 3
    });
    neighbourhood::improve(problem, pairs, wanted, overloaded, &mut incumbent, improving_until);
    let dual = fixing::dual(problem, pairs);
    let bound = flow_bound.min(dual.bound);
    if dual.bound - incumbent.1 <= fixing::TOLERANCE {
        return Ok((incumbent.0, true, bound));
    }
    let kept = fixing::worth_keeping(problem, pairs, &dual, incumbent.1);
    // A round that leaves out little makes a next round no smaller: stop there.
    if kept.len() * 10 > pairs.len() * 9 || deadline.is_some_and(|at| Instant::now() >= at) {
        return Ok((incumbent.0, false, bound));
    }
    let reduced = Problem {
        offers: problem.offers.clone(),
        coach_hours: problem.coach_hours.clone(),
        pairs: kept
            .iter()
            .map(|(position, coaches)| {
                let pair = &problem.pairs[pairs[*position]];
                let support = match (&pair.support, coaches) {
                    (Support::Coach { hours, .. }, Some(coaches)) => {
                        Support::Coach { hours: *hours, coaches: coaches.clone() }
                    }
                    _ => Support::None,
                };
                Pair { support, ..*pair }
            })
            .collect(),
    };
    let inner = solve_limited(&reduced, deadline, Limits { depth: limits.depth + 1, mip_pairs: MAX_MIP_PAIRS })?;
    let bound = bound.min(inner.bound.max(incumbent.1));
    if inner.total > incumbent.1 {
        let chosen = inner.chosen.iter().map(|(index, coach)| (pairs[kept[*index].0], *coach)).collect();
        Ok((chosen, inner.optimal, bound))
    } else {
        Ok((incumbent.0, inner.bound <= incumbent.1 + fixing::TOLERANCE, bound))
    }
}

/// Counting cuts for one coach's hours (`uses`: each way to use them and its hours; `free`
/// their hours): for each size of need, the ways needing at least that many hours can be
/// taken at most as often as the smallest of them fit together. They are implied by the
/// hours for whole choices, not for fractional ones, so they tighten branch and bound's
/// relaxation (the hours alone let a coach with 5 h take 1.25 people who need 4 h).
fn count_cuts<T: Copy>(uses: &[(T, f64)], free: f64) -> Vec<(Vec<(T, f64)>, f64)> {
    let mut sorted: Vec<(T, f64)> = uses.to_vec();
    sorted.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut cuts = Vec::new();
    let mut start = 0;
    while start < sorted.len() {
        let from = &sorted[start..];
        let mut room = free + 1e-9;
        let most = from.iter().take_while(|(_, hours)| {
            room -= hours;
            room >= 0.0
        });
        let most = most.count();
        // Only where the hours alone would let fractions go beyond it.
        if most < from.len() && (most as f64) + 1e-9 < free / from[0].1 {
            cuts.push((from.to_vec(), most as f64));
        }
        let hours = sorted[start].1;
        while start < sorted.len() && sorted[start].1 <= hours {
            start += 1;
        }
    }
    cuts
}

/// Solves one component as a MIP, warm-started from `start`; the assignment found (none
/// when time ran out first) and whether it is proven optimal.
fn mip_component(
    problem: &Problem,
    pairs: &[usize],
    deadline: Option<Instant>,
    start: &[Choice],
) -> Result<(Option<Vec<Choice>>, bool), AssignError> {
    let mut model = microlp::Problem::new(OptimizationDirection::Maximize);
    let mut chosen: Vec<Variable> = Vec::with_capacity(pairs.len());
    // (pair, coach, variable) for each way a coach-needing pair can be met.
    let mut ways: Vec<(usize, u32, Variable)> = Vec::new();
    let mut by_person: std::collections::BTreeMap<u32, Vec<Variable>> = Default::default();
    let mut by_offer: std::collections::BTreeMap<u32, Vec<Variable>> = Default::default();
    let mut by_coach: std::collections::BTreeMap<u32, Vec<(Variable, f64)>> = Default::default();
    for &index in pairs {
        let pair = &problem.pairs[index];
        let variable = model.add_binary_var(pair.score);
        chosen.push(variable);
        by_person.entry(pair.person).or_default().push(variable);
        by_offer.entry(pair.offer).or_default().push(variable);
        if let Support::Coach { hours, coaches } = &pair.support {
            let mut met = vec![(variable, -1.0)];
            for &coach in coaches {
                let way = model.add_binary_var(0.0);
                ways.push((index, coach, way));
                met.push((way, 1.0));
                by_coach.entry(coach).or_default().push((way, *hours));
            }
            // Chosen exactly when one of its coaches is chosen for it.
            model.add_constraint(met.as_slice(), ComparisonOp::Eq, 0.0);
        }
    }
    for variables in by_person.values().filter(|variables| variables.len() > 1) {
        let sum: Vec<(Variable, f64)> = variables.iter().map(|variable| (*variable, 1.0)).collect();
        model.add_constraint(sum.as_slice(), ComparisonOp::Le, 1.0);
    }
    for (offer, variables) in &by_offer {
        let positions = f64::from(problem.offers[*offer as usize].positions);
        if (variables.len() as f64) > positions {
            let sum: Vec<(Variable, f64)> = variables.iter().map(|variable| (*variable, 1.0)).collect();
            model.add_constraint(sum.as_slice(), ComparisonOp::Le, positions);
        }
    }
    for (coach, uses) in &by_coach {
        let free = problem.coach_hours[*coach as usize];
        if uses.iter().map(|(_, hours)| hours).sum::<f64>() > free {
            model.add_constraint(uses.as_slice(), ComparisonOp::Le, free);
            for (ways, most) in count_cuts(uses, free) {
                let ways: Vec<(Variable, f64)> = ways.into_iter().map(|(way, _)| (way, 1.0)).collect();
                model.add_constraint(ways.as_slice(), ComparisonOp::Le, most);
            }
        }
    }
    let mut options = SolveOptions::default();
    options.time_limit = deadline.map(|at| at.saturating_duration_since(Instant::now()));
    let given: HashMap<usize, Option<u32>> = start.iter().copied().collect();
    let mut warm = Vec::with_capacity(chosen.len() + ways.len());
    for (position, index) in pairs.iter().enumerate() {
        warm.push((chosen[position], if given.contains_key(index) { 1.0 } else { 0.0 }));
    }
    for (pair, coach, way) in &ways {
        let on = given.get(pair).is_some_and(|given| *given == Some(*coach));
        warm.push((*way, if on { 1.0 } else { 0.0 }));
    }
    options.warm_start = Some(warm);
    let outcome = model.solve_with(options).map_err(|error| AssignError::Solver(error.to_string()))?;
    let SolveOutcome::Solution(solution) = outcome else {
        return Ok((None, false));
    };
    let optimal = solution.termination_reason() == TerminationReason::ProvenOptimal;
    let mut picked = Vec::new();
    for (position, &index) in pairs.iter().enumerate() {
        if solution.var_value(chosen[position]) > 0.5 {
            let coach = ways
                .iter()
                .find(|(pair, _, way)| *pair == index && solution.var_value(*way) > 0.5)
                .map(|(_, coach, _)| *coach);
            picked.push((index, coach));
        }
    }
    Ok((Some(picked), optimal))
}

/// The assignment of highest total score (see the crate documentation); with a time limit,
/// the best found when it ran out, marked not optimal.
pub fn solve(problem: &Problem, time_limit: Option<Duration>) -> Result<Assignment, AssignError> {
    check(problem)?;
    let deadline = time_limit.map(|limit| Instant::now() + limit);
    solve_limited(problem, deadline, Limits::default())
}

fn solve_limited(problem: &Problem, deadline: Option<Instant>, limits: Limits) -> Result<Assignment, AssignError> {
    let groups = components(problem);
    let mut assignment =
        Assignment { chosen: Vec::new(), total: 0.0, optimal: true, components: groups.len(), bound: 0.0 };
    for group in &groups {
        let (picked, optimal, bound) = solve_component(problem, group, deadline, limits)?;
        assignment.optimal &= optimal;
        assignment.bound += if optimal { total(problem, &picked) } else { bound };
        assignment.total += picked.iter().map(|(index, _)| problem.pairs[*index].score).sum::<f64>();
        assignment.chosen.extend(picked);
    }
    assignment.chosen.sort_unstable();
    Ok(assignment)
}

/// Checks that an assignment keeps every position, person and coach bound; the first
/// breach, in words (for tests and the service's own assertion).
pub fn verify(problem: &Problem, chosen: &[(usize, Option<u32>)]) -> Result<(), String> {
    let mut per_offer = vec![0u32; problem.offers.len()];
    let mut per_coach = vec![0.0f64; problem.coach_hours.len()];
    let mut people = std::collections::HashSet::new();
    for &(index, coach) in chosen {
        let pair = problem.pairs.get(index).ok_or(format!("pair {index} does not exist"))?;
        if !people.insert(pair.person) {
            return Err(format!("person {} is assigned twice", pair.person));
        }
        per_offer[pair.offer as usize] += 1;
        match (&pair.support, coach) {
            (Support::None, None) => {}
            (Support::Coach { hours, coaches }, Some(coach)) if coaches.contains(&coach) => {
                per_coach[coach as usize] += hours;
            }
            (support, coach) => return Err(format!("pair {index} needs {support:?} but got coach {coach:?}")),
        }
    }
    for (offer, count) in per_offer.iter().enumerate() {
        if *count > problem.offers[offer].positions {
            return Err(format!("offer {offer}: {count} people for {} positions", problem.offers[offer].positions));
        }
    }
    for (coach, hours) in per_coach.iter().enumerate() {
        if *hours > problem.coach_hours[coach] + 1e-6 {
            return Err(format!("coach {coach}: {hours} h for {} free", problem.coach_hours[coach]));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
