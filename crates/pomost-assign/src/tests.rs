//! The solver against brute-force enumeration (an independent, exact oracle) on random
//! small instances, and the capacities of every answer.

use proptest::prelude::*;
use proptest::strategy::ValueTree;

use super::*;

/// The best total over every way to choose pairs and coaches (tiny instances only).
fn brute_force(problem: &Problem) -> f64 {
    fn walk(problem: &Problem, index: usize, chosen: &mut Vec<(usize, Option<u32>)>, best: &mut f64) {
        if index == problem.pairs.len() {
            if verify(problem, chosen).is_ok() {
                let total: f64 = chosen.iter().map(|(pair, _)| problem.pairs[*pair].score).sum();
                *best = best.max(total);
            }
            return;
        }
        walk(problem, index + 1, chosen, best);
        let options: Vec<Option<u32>> = match &problem.pairs[index].support {
            Support::None => vec![None],
            Support::Coach { coaches, .. } => coaches.iter().map(|coach| Some(*coach)).collect(),
        };
        for option in options {
            chosen.push((index, option));
            walk(problem, index + 1, chosen, best);
            chosen.pop();
        }
    }
    let mut best = 0.0;
    walk(problem, 0, &mut Vec::new(), &mut best);
    best
}

fn instance() -> impl Strategy<Value = Problem> {
    (1usize..=3, 1u32..=5, 0usize..=2).prop_flat_map(|(offers, people, coaches)| {
        let offer_slots = proptest::collection::vec(0u32..=2, offers);
        let hours = proptest::collection::vec(0u32..=12, coaches);
        let pair = (
            0..people,
            0..offers as u32,
            0u32..=100,
            proptest::option::of((2u32..=8, proptest::collection::vec(0..coaches.max(1) as u32, 0..=2))),
        );
        let pairs = proptest::collection::vec(pair, 0..=8);
        (offer_slots, hours, pairs).prop_map(move |(slots, hours, pairs)| {
            let mut seen = std::collections::HashSet::new();
            Problem {
                offers: slots.into_iter().map(|positions| OfferSlot { positions }).collect(),
                coach_hours: hours.into_iter().map(f64::from).collect(),
                pairs: pairs
                    .into_iter()
                    .filter(|(person, offer, _, _)| seen.insert((*person, *offer)))
                    .map(|(person, offer, score, need)| Pair {
                        person,
                        offer,
                        score: f64::from(score) / 100.0,
                        support: match need {
                            Some((hours, mut options)) if coaches > 0 => {
                                options.sort_unstable();
                                options.dedup();
                                Support::Coach { hours: f64::from(hours), coaches: options }
                            }
                            _ => Support::None,
                        },
                    })
                    .collect(),
            }
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn the_solver_finds_the_optimum_and_keeps_every_bound(problem in instance()) {
        let assignment = solve(&problem, None).unwrap();
        prop_assert!(assignment.optimal);
        prop_assert!(verify(&problem, &assignment.chosen).is_ok(), "{:?}", verify(&problem, &assignment.chosen));
        let best = brute_force(&problem);
        prop_assert!((assignment.total - best).abs() < 1e-6, "solver {} vs brute force {best}", assignment.total);
    }
}

#[test]
fn a_coach_with_room_for_one_goes_to_the_better_total() {
    // Two people each need 6 h of the one coach (8 h free); offer 0 has two positions.
    let problem = Problem {
        offers: vec![OfferSlot { positions: 2 }, OfferSlot { positions: 1 }],
        coach_hours: vec![8.0],
        pairs: vec![
            Pair { person: 1, offer: 0, score: 0.9, support: Support::Coach { hours: 6.0, coaches: vec![0] } },
            Pair { person: 2, offer: 0, score: 0.8, support: Support::Coach { hours: 6.0, coaches: vec![0] } },
            Pair { person: 2, offer: 1, score: 0.5, support: Support::None },
            Pair { person: 3, offer: 1, score: 0.4, support: Support::None },
        ],
    };
    let assignment = solve(&problem, None).unwrap();
    assert_eq!(assignment.chosen, vec![(0, Some(0)), (2, None)]);
    assert!((assignment.total - 1.4).abs() < 1e-9);
    assert_eq!(assignment.components, 1);
}

#[test]
fn separate_regions_are_separate_components_and_bad_input_is_refused() {
    let problem = Problem {
        offers: vec![OfferSlot { positions: 1 }, OfferSlot { positions: 1 }],
        coach_hours: vec![],
        pairs: vec![
            Pair { person: 1, offer: 0, score: 0.5, support: Support::None },
            Pair { person: 2, offer: 1, score: 0.5, support: Support::None },
        ],
    };
    assert_eq!(solve(&problem, None).unwrap().components, 2);
    let mut bad = problem.clone();
    bad.pairs[0].offer = 7;
    assert!(matches!(solve(&bad, None), Err(AssignError::Invalid(_))));
    bad.pairs[0].offer = 0;
    bad.pairs[0].score = f64::NAN;
    assert!(matches!(solve(&bad, None), Err(AssignError::Invalid(_))));
}

/// The optimum of a batch without coaches by the MIP solver alone (for checking the flow on
/// instances too big to enumerate).
fn mip_optimum(problem: &Problem) -> f64 {
    let pairs: Vec<usize> = (0..problem.pairs.len()).collect();
    let (found, optimal) = mip_component(problem, &pairs, None, &[]).unwrap();
    assert!(optimal);
    total(problem, &found.unwrap())
}

fn larger() -> impl Strategy<Value = Problem> {
    (proptest::collection::vec(0u32..=4, 8), proptest::collection::vec((0u32..30, 0u32..8, 0u32..=1000), 0..=120))
        .prop_map(|(slots, pairs)| {
            let mut seen = std::collections::HashSet::new();
            Problem {
                offers: slots.into_iter().map(|positions| OfferSlot { positions }).collect(),
                coach_hours: Vec::new(),
                pairs: pairs
                    .into_iter()
                    .filter(|(person, offer, _)| seen.insert((*person, *offer)))
                    .map(|(person, offer, score)| Pair {
                        person,
                        offer,
                        score: f64::from(score) / 1000.0,
                        support: Support::None,
                    })
                    .collect(),
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn the_flow_matches_the_mip_optimum_on_larger_batches(problem in larger()) {
        let assignment = solve(&problem, None).unwrap();
        prop_assert!(assignment.optimal);
        prop_assert!(verify(&problem, &assignment.chosen).is_ok());
        let best = mip_optimum(&problem);
        prop_assert!((assignment.total - best).abs() < 1e-6, "flow {} vs MIP {best}", assignment.total);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// The route for components too large for branch and bound (neighbourhoods, the
    /// Lagrangian bound, fixing, the smaller problem), forced on small batches: never an
    /// infeasible answer, never a total above the optimum or a bound below it, and a claim
    /// of optimality only for the optimum.
    #[test]
    fn the_large_component_route_is_honest(problem in instance()) {
        let assignment = solve_limited(&problem, None, Limits { mip_pairs: 0, depth: 0 }).unwrap();
        prop_assert!(verify(&problem, &assignment.chosen).is_ok(), "{:?}", verify(&problem, &assignment.chosen));
        let best = brute_force(&problem);
        prop_assert!(assignment.total <= best + 1e-6, "total {} above the optimum {best}", assignment.total);
        prop_assert!(assignment.bound >= best - 1e-6, "bound {} below the optimum {best}", assignment.bound);
        if assignment.optimal {
            prop_assert!((assignment.total - best).abs() < 1e-6, "claimed optimal {} vs {best}", assignment.total);
        }
    }
}

#[test]
fn the_large_component_route_proves_most_small_batches_optimal() {
    // Batches where coaches' hours bind, solved by the large-component route: it must prove
    // (and reach) the optimum on nearly all, or it is not doing its work.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut binding, mut proven) = (0, 0);
    for _ in 0..400 {
        let problem = instance().new_tree(&mut runner).unwrap().current();
        let everything: Vec<usize> = (0..problem.pairs.len()).collect();
        let mut wanted = flow_choices(&problem, &everything);
        if give_coaches(&problem, &mut wanted).is_empty() {
            continue;
        }
        binding += 1;
        let assignment = solve_limited(&problem, None, Limits { mip_pairs: 0, depth: 0 }).unwrap();
        if assignment.optimal {
            assert!((assignment.total - brute_force(&problem)).abs() < 1e-6);
            proven += 1;
        }
    }
    assert!(binding >= 20, "only {binding} batches where hours bind");
    assert!(proven * 10 >= binding * 9, "proven optimal {proven} of {binding}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Every set of needs that fits in a coach's hours keeps every counting cut, and a cut
    /// is only made where the hours alone would let fractions beyond it.
    #[test]
    fn counting_cuts_keep_every_packing_that_fits(
        needs in proptest::collection::vec(1u32..=12, 1..=9),
        free in 0u32..=30,
    ) {
        let uses: Vec<(usize, f64)> = needs.iter().enumerate().map(|(at, hours)| (at, f64::from(*hours))).collect();
        let free = f64::from(free);
        let cuts = count_cuts(&uses, free);
        for subset in 0u32..(1 << uses.len()) {
            let taken = |at: usize| subset & (1 << at) != 0;
            let hours: f64 = uses.iter().filter(|(at, _)| taken(*at)).map(|(_, hours)| hours).sum();
            if hours > free {
                continue;
            }
            for (ways, most) in &cuts {
                let count = ways.iter().filter(|(at, _)| taken(*at)).count();
                prop_assert!(count as f64 <= *most, "{count} of {ways:?} fit in {free} h, cut says {most}");
            }
        }
        for (ways, most) in &cuts {
            let least = ways.iter().map(|(_, hours)| *hours).fold(f64::INFINITY, f64::min);
            prop_assert!(*most < free / least, "cut {most} over {ways:?} adds nothing at {free} h");
        }
    }
}

#[test]
fn a_coach_with_five_hours_takes_one_of_three_who_need_four_or_more_between_them() {
    let uses = [(0usize, 4.0), (1, 4.0), (2, 2.0)];
    let cuts = count_cuts(&uses, 5.0);
    assert!(cuts.iter().any(|(ways, most)| ways.len() == 3 && *most == 1.0), "{cuts:?}");
}
