//! Bounded selection of the best k candidates: by score, ties to the smaller participant id.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use ordered_float::OrderedFloat;
use pomost_domain::ParticipantId;

/// A scored candidate; `Ord` puts the better one greater.
///
/// The id is looked up in the pool's table only when two scores tie (and for the final
/// list): it lives far from the record, and fetching it for everyone who passed a list's
/// threshold was a cache miss each, about a tenth of a regional scan's time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ranked<'a> {
    pub(crate) score: OrderedFloat<f32>,
    pub(crate) slot: u32,
    /// The pool's ids by slot (the record's slot is live, so its id is there).
    pub(crate) ids: &'a [Option<ParticipantId>],
}

impl<'a> Ranked<'a> {
    /// The candidate's participant id.
    pub(crate) fn id(&self) -> &'a ParticipantId {
        crate::pool::id_in(self.ids, self.slot)
    }
}

impl Ord for Ranked<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score.cmp(&other.score).then_with(|| other.id().cmp(self.id()))
    }
}

impl PartialOrd for Ranked<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ranked<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ranked<'_> {}

/// The best `k` seen so far, kept in a min-heap of size k (the root is the worst kept).
#[derive(Debug)]
pub(crate) struct TopK<'a> {
    k: usize,
    heap: BinaryHeap<Reverse<Ranked<'a>>>,
}

impl<'a> TopK<'a> {
    pub(crate) fn new(k: usize) -> Self {
        Self { k, heap: BinaryHeap::with_capacity(k.min(4096) + 1) }
    }

    /// The score a newcomer must beat (or tie with a smaller id) once the heap is full.
    #[inline]
    pub(crate) fn threshold(&self) -> Option<f32> {
        if self.heap.len() < self.k { None } else { self.heap.peek().map(|worst| worst.0.score.0) }
    }

    /// Whether the list holds nobody whatever comes (k is 0): a scan then only counts.
    #[inline]
    pub(crate) fn keeps_nobody(&self) -> bool {
        self.k == 0
    }

    #[inline]
    pub(crate) fn offer(&mut self, candidate: Ranked<'a>) {
        if self.heap.len() < self.k {
            self.heap.push(Reverse(candidate));
        } else if let Some(mut worst) = self.heap.peek_mut()
            && candidate > worst.0
        {
            *worst = Reverse(candidate);
        }
    }

    pub(crate) fn merge(&mut self, other: TopK<'a>) {
        for Reverse(candidate) in other.heap {
            self.offer(candidate);
        }
    }

    /// The kept candidates, best first.
    pub(crate) fn into_sorted(self) -> Vec<Ranked<'a>> {
        let mut ranked: Vec<Ranked<'a>> = self.heap.into_iter().map(|Reverse(candidate)| candidate).collect();
        ranked.sort_by(|a, b| b.cmp(a));
        ranked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_best_k_with_id_tie_break() {
        let ids: Vec<Option<ParticipantId>> =
            ["d", "a", "c", "b"].iter().map(|id| Some(ParticipantId::new(*id).unwrap())).collect();
        let scores = [0.5f32, 0.9, 0.5, 0.1];
        let mut top = TopK::new(3);
        for (slot, score) in scores.into_iter().enumerate() {
            top.offer(Ranked { score: OrderedFloat(score), slot: slot as u32, ids: &ids });
        }
        let order: Vec<&str> = top.into_sorted().iter().map(|ranked| ranked.id().as_str()).collect();
        assert_eq!(order, ["a", "c", "d"]);
    }

    #[test]
    fn zero_k_keeps_nothing() {
        let ids = [Some(ParticipantId::new("a").unwrap())];
        let mut top = TopK::new(0);
        top.offer(Ranked { score: OrderedFloat(1.0), slot: 0, ids: &ids });
        assert!(top.into_sorted().is_empty());
    }
}
