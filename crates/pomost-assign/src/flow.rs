//! Maximum-weight b-matching of people to offers (positions, one offer per person, coach
//! hours ignored), exact, by the Hungarian method with potentials, one person at a time:
//! each person joins the assignment through the cheapest augmenting path from them (a
//! Dijkstra search over reduced costs that stops at the first offer with a free position,
//! or at "not placed", which costs nothing). People far apart never meet in a search, so a
//! country-wide batch costs little more than its regions.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// Score units per 1.0 of score (integer costs keep the search exact).
const SCALE: f64 = 1e9;

/// A maximum-weight b-matching and the offers' prices that prove it.
pub(crate) struct Matching {
    /// The chosen pairs (indexes into the input), ascending.
    pub chosen: Vec<usize>,
    /// Each offer's dual price in score units (0 or more; 0 for offers no pair names). With
    /// each person's price taken as their best pair's score less its offer's price (or 0),
    /// the prices are a feasible dual whose value is close to the matching's total; any such
    /// dual bounds every matching, so callers use it as a bound whatever its quality.
    pub prices: Vec<f64>,
}

/// A maximum-weight b-matching (see [`Matching`]): `pairs` are (person, offer, score),
/// `positions` each offer's bound. Deterministic for the same input.
pub(crate) fn max_weight_matching(pairs: &[(u32, u32, f64)], positions: &[u32]) -> Matching {
    let mut people: HashMap<u32, usize> = HashMap::new();
    let mut edges: Vec<Vec<(usize, i64, usize)>> = Vec::new();
    for (index, (person, offer, score)) in pairs.iter().enumerate() {
        let next = people.len();
        let local = *people.entry(*person).or_insert(next);
        if local == edges.len() {
            edges.push(Vec::new());
        }
        edges[local].push((*offer as usize, -((score * SCALE).round() as i64), index));
    }
    let count = edges.len();
    let offers = positions.len();
    // Nodes: people 0..count, offers count..count+offers, "not placed" last (free always).
    let unplaced = count + offers;
    let nodes = unplaced + 1;
    let mut potential = vec![0i64; nodes];
    // Each person's edge in use: (offer node, cost, pair), or the unplaced node.
    let mut used: Vec<Option<(usize, i64, usize)>> = vec![None; count];
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); offers];
    let mut distance = vec![i64::MAX; nodes];
    // How a node was reached: (from node, the edge's cost and pair for a person → offer).
    let mut parent: Vec<(usize, i64, usize)> = vec![(usize::MAX, 0, usize::MAX); nodes];
    let mut settled = vec![false; nodes];
    let mut touched: Vec<usize> = Vec::new();
    for person in 0..count {
        // The newcomer's potential keeps every reduced cost from them non-negative.
        potential[person] = edges[person]
            .iter()
            .map(|(offer, cost, _)| potential[count + offer] - cost)
            .fold(potential[unplaced], i64::max);
        for &node in &touched {
            distance[node] = i64::MAX;
            settled[node] = false;
            parent[node] = (usize::MAX, 0, usize::MAX);
        }
        touched.clear();
        distance[person] = 0;
        touched.push(person);
        let mut heap = BinaryHeap::new();
        heap.push(Reverse((0i64, person)));
        let mut reached = None;
        while let Some(Reverse((dist, node))) = heap.pop() {
            if settled[node] || dist > distance[node] {
                continue;
            }
            settled[node] = true;
            let mut relax =
                |to: usize, reduced: i64, via: (usize, i64, usize), heap: &mut BinaryHeap<Reverse<(i64, usize)>>| {
                    let next = dist + reduced;
                    if !settled[to] && next < distance[to] {
                        if distance[to] == i64::MAX {
                            touched.push(to);
                        }
                        distance[to] = next;
                        parent[to] = via;
                        heap.push(Reverse((next, to)));
                    }
                };
            if node < count {
                for &(offer, cost, pair) in &edges[node] {
                    if used[node].is_some_and(|(current, _, _)| current == count + offer) {
                        continue;
                    }
                    let to = count + offer;
                    relax(to, cost + potential[node] - potential[to], (node, cost, pair), &mut heap);
                }
                // Leaving the assignment (or, for the newcomer, staying out) costs nothing.
                if used[node].is_some() || node == person {
                    relax(unplaced, potential[node] - potential[unplaced], (node, 0, usize::MAX), &mut heap);
                }
            } else if node == unplaced || members[node - count].len() < positions[node - count] as usize {
                reached = Some(node);
                break;
            } else {
                // A full offer: continue through the people holding its positions.
                for &holder in &members[node - count] {
                    let (_, cost, _) = used[holder].unwrap_or((node, 0, usize::MAX));
                    relax(holder, -cost + potential[node] - potential[holder], (node, 0, usize::MAX), &mut heap);
                }
            }
        }
        let Some(end) = reached else { continue };
        let shift = distance[end];
        for &node in &touched {
            if settled[node] {
                potential[node] += distance[node] - shift;
            }
        }
        // Augment: walk back from the end, moving each person to the offer they lead to.
        let mut node = end;
        loop {
            let (from, cost, pair) = parent[node];
            if from == usize::MAX {
                break;
            }
            if from < count {
                // from (a person) now takes `node` (an offer, or unplaced).
                if let Some((old, _, _)) = used[from]
                    && old < unplaced
                {
                    members[old - count].retain(|member| *member != from);
                }
                used[from] = if node == unplaced { None } else { Some((node, cost, pair)) };
                if node < unplaced {
                    members[node - count].push(from);
                }
                if from == person {
                    break;
                }
            }
            node = from;
        }
    }
    let mut chosen: Vec<usize> = used.iter().filter_map(|edge| edge.map(|(_, _, pair)| pair)).collect();
    chosen.sort_unstable();
    let mut named = vec![false; offers];
    for (_, offer, _) in pairs {
        named[*offer as usize] = true;
    }
    let prices = (0..offers)
        .map(|offer| match named[offer] {
            true => (potential[unplaced] - potential[count + offer]).max(0) as f64 / SCALE,
            false => 0.0,
        })
        .collect();
    Matching { chosen, prices }
}
