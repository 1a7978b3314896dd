//! What does not fit a person's record (skills past the eighth, occupations past the
//! second), by slot, in one flat vector.
//!
//! A scan reads these for every eligible person who has them. Kept in a hash map of boxed
//! slices, each read hashed the slot, probed the table and followed a pointer: three
//! cache misses a person, and a national list over people with nine skills took six times
//! as long as over people with eight. Here the items are a slice of one vector, laid out in
//! the order the scan meets the people ([`SlotExtras::laid_out`], at each layout of the
//! records). A slot's span (eight bytes a slot) says where; a record keeps a copy of its
//! start ([`SlotExtras::start`]), so a scan reads, and fetches ahead
//! ([`SlotExtras::prefetch_at`]), the items alone: the spans by slot are a cache miss a
//! person in a scan's order.

use mem_prefetch::prefetch_read_data;

/// Where one slot's items are in [`SlotExtras::items`]; `len` 0 for none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Span {
    start: u32,
    len: u32,
}

/// Variable-length extras of pool slots (see the module doc). A replaced or removed slot's
/// items stay in the vector until there are as many stale items as live ones (and at least
/// [`MIN_STALE_TO_COMPACT`]); then the live ones are copied together again, in slot order.
#[derive(Debug, Clone)]
pub(crate) struct SlotExtras<T> {
    spans: Vec<Span>,
    items: Vec<T>,
    live: usize,
    /// Slots with items.
    slots: usize,
    /// Every [`SlotExtras::start`] stays below this.
    limit: u32,
}

/// Stale items below this never cause a compaction (a small pool would otherwise copy its
/// few extras at every other change).
const MIN_STALE_TO_COMPACT: usize = 4_096;

/// The bytes of a cache line on the machines the scan runs on.
const CACHE_LINE: usize = 64;

impl<T> Default for SlotExtras<T> {
    fn default() -> Self {
        Self::with_limit(u32::MAX)
    }
}

impl<T> SlotExtras<T> {
    /// Extras whose items always start below `limit` (for a start kept in fewer bits).
    pub(crate) fn with_limit(limit: u32) -> Self {
        Self { spans: Vec::new(), items: Vec::new(), live: 0, slots: 0, limit }
    }
}

impl<T: Copy> SlotExtras<T> {
    /// The items of `slot` (empty when it has none).
    #[inline]
    pub(crate) fn get(&self, slot: u32) -> &[T] {
        match self.spans.get(slot as usize) {
            Some(span) => self.items.get(span.start as usize..(span.start + span.len) as usize).unwrap_or_default(),
            None => &[],
        }
    }

    /// Whether `count` more items fit below the table's limit with room for stale ones
    /// (checked before a pool change, so a refusal leaves the pool as it was).
    pub(crate) fn can_take(&self, count: usize) -> bool {
        self.live.saturating_add(count) <= self.limit as usize / 2
    }

    /// Where the items of `slot` start (0 when it has none): a record may keep this to
    /// read its items without the span ([`SlotExtras::items_at`]); it stays true until a
    /// change that reports other slots' items moved.
    pub(crate) fn start(&self, slot: u32) -> u32 {
        self.spans.get(slot as usize).map_or(0, |span| span.start)
    }

    /// The `len` items from `start` (a [`SlotExtras::start`]; empty if out of range).
    #[inline]
    pub(crate) fn items_at(&self, start: u32, len: usize) -> &[T] {
        self.items.get(start as usize..start as usize + len).unwrap_or_default()
    }

    /// At most `len` items from `start` (fewer at the end of the table).
    #[inline]
    pub(crate) fn items_from(&self, start: u32, len: usize) -> &[T] {
        let items = self.items.get(start as usize..).unwrap_or_default();
        &items[..len.min(items.len())]
    }

    /// Gives `slot` these items (none: removes its items); whether other slots' items
    /// moved (every [`SlotExtras::start`] known before is then stale). The caller checked
    /// [`SlotExtras::can_take`].
    #[must_use = "other slots' items may have moved"]
    pub(crate) fn set(&mut self, slot: u32, items: &[T]) -> bool {
        let mut moved = self.remove(slot);
        if items.is_empty() {
            return moved;
        }
        if self.items.len() + items.len() > self.limit as usize {
            self.compact();
            moved = true;
        }
        let index = slot as usize;
        if self.spans.len() <= index {
            self.spans.resize(index + 1, Span::default());
        }
        self.spans[index] = Span { start: self.items.len() as u32, len: items.len() as u32 };
        self.items.extend_from_slice(items);
        self.live += items.len();
        self.slots += 1;
        moved
    }

    /// Forgets the items of `slot`; whether other slots' items moved (see
    /// [`SlotExtras::set`]).
    #[must_use = "other slots' items may have moved"]
    pub(crate) fn remove(&mut self, slot: u32) -> bool {
        if let Some(span) = self.spans.get_mut(slot as usize)
            && span.len > 0
        {
            self.live -= span.len as usize;
            self.slots -= 1;
            *span = Span::default();
        }
        let stale = self.items.len() - self.live;
        let compact = stale >= MIN_STALE_TO_COMPACT && stale > self.live;
        if compact {
            self.compact();
        }
        compact
    }

    /// Copies the live items together, in slot order.
    fn compact(&mut self) {
        *self = self.laid_out(std::iter::empty());
    }

    /// The same extras with the items laid out in the order of `slots` (the order a scan
    /// meets the people in), then any slot not named, so a scan reads them as one forward
    /// stream. Made from a shared borrow (under a read lock).
    pub(crate) fn laid_out(&self, slots: impl IntoIterator<Item = u32>) -> Self {
        let mut spans = vec![Span::default(); self.spans.len()];
        let mut items = Vec::with_capacity(self.live);
        let mut copy = |slot: usize| {
            let (span, new) = (self.spans[slot], &mut spans[slot]);
            if span.len > 0 && new.len == 0 {
                *new = Span { start: items.len() as u32, len: span.len };
                items.extend_from_slice(&self.items[span.start as usize..(span.start + span.len) as usize]);
            }
        };
        for slot in slots.into_iter().map(|slot| slot as usize).filter(|&slot| slot < self.spans.len()) {
            copy(slot);
        }
        (0..self.spans.len()).for_each(copy);
        Self { spans, items, live: self.live, slots: self.slots, limit: self.limit }
    }

    /// How many slots have items.
    pub(crate) fn slots(&self) -> usize {
        self.slots
    }

    /// Whether no slot has items.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Items held, stale ones included (for tests of the compaction).
    #[cfg(test)]
    pub(crate) fn items_len(&self) -> usize {
        self.items.len()
    }

    /// Items of live slots.
    #[cfg(test)]
    pub(crate) fn live_len(&self) -> usize {
        self.live
    }

    /// Bytes held (spans and items, spare capacity included).
    pub(crate) fn bytes(&self) -> usize {
        self.spans.capacity() * size_of::<Span>() + self.items.capacity() * size_of::<T>()
    }

    /// Drops stale items and spare capacity (after a bulk build).
    pub(crate) fn shrink_to_fit(&mut self) {
        if self.items.len() > self.live {
            self.compact();
        }
        self.items.shrink_to_fit();
        let used = self.spans.iter().rposition(|span| span.len > 0).map_or(0, |last| last + 1);
        self.spans.truncate(used);
        self.spans.shrink_to_fit();
    }

    /// Starts fetching at most `len` items from `start` ([`SlotExtras::start`]): every
    /// cache line they touch (a person's items often cross a line; thirty skills span two
    /// or three).
    #[inline]
    pub(crate) fn prefetch_at(&self, start: u32, len: usize) {
        let items = self.items_from(start, len);
        // Items one line apart, and the last: each line once or twice.
        let step = (CACHE_LINE / size_of::<T>().max(1)).max(1);
        for item in items.iter().step_by(step).chain(items.last()) {
            prefetch_read_data::<_, 3>(item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn set_replace_remove_and_compact() {
        let mut extras = SlotExtras::default();
        assert_eq!(extras.get(7), &[] as &[u16]);
        assert!(!extras.set(3, &[1u16, 2, 3]));
        assert!(!extras.set(1, &[9]));
        assert_eq!(extras.get(3), [1, 2, 3]);
        assert_eq!(extras.get(1), [9]);
        assert_eq!(extras.items_at(extras.start(1), 1), [9]);
        assert!(!extras.set(3, &[4, 5]));
        assert_eq!(extras.get(3), [4, 5]);
        assert!(!extras.set(1, &[]));
        assert_eq!(extras.get(1), &[] as &[u16]);
        extras.shrink_to_fit();
        assert_eq!(extras.items, [4, 5], "stale items dropped");
        assert_eq!(extras.get(3), [4, 5]);
        assert_eq!(extras.items_at(extras.start(3), 2), [4, 5]);
        assert_eq!(extras.items_at(7, 2), &[] as &[u16], "out of range reads nothing");
        assert!(!extras.remove(3));
        assert!(extras.is_empty());
    }

    #[test]
    fn laid_out_in_the_order_asked_then_the_rest() {
        let mut extras = SlotExtras::default();
        for (slot, items) in [(0, &[1u16][..]), (2, &[2, 2]), (5, &[5]), (2, &[3, 3, 3])] {
            assert!(!extras.set(slot, items));
        }
        let laid = extras.laid_out([5, 9, 2]);
        assert_eq!(laid.items, [5, 3, 3, 3, 1], "5 and 2 as asked, 9 has none, then 0");
        for slot in 0..10 {
            assert_eq!(laid.get(slot), extras.get(slot));
        }
        assert_eq!(laid.live, extras.live);
    }

    proptest! {
        /// Any run of sets and removals reads back as a map of slot to items would,
        /// compactions included; a start read before a change that says nothing moved
        /// still reads the slot's items (by start, as a record keeps it).
        #[test]
        fn reads_back_as_a_map(changes in prop::collection::vec((0u32..40, prop::collection::vec(any::<u16>(), 0..5000)), 1..60)) {
            let mut extras = SlotExtras::default();
            let mut expected: std::collections::HashMap<u32, Vec<u16>> = Default::default();
            for (slot, items) in changes {
                let starts: Vec<(u32, u32)> = expected.keys().map(|&slot| (slot, extras.start(slot))).collect();
                let moved = extras.set(slot, &items);
                expected.insert(slot, items);
                for (slot, items) in &expected {
                    prop_assert_eq!(extras.get(*slot), &items[..]);
                    prop_assert_eq!(extras.items_at(extras.start(*slot), items.len()), &items[..]);
                }
                if !moved {
                    for (other, start) in starts.into_iter().filter(|&(other, _)| other != slot) {
                        let items = &expected[&other];
                        prop_assert_eq!(extras.items_at(start, items.len()), &items[..]);
                    }
                }
                prop_assert!(extras.items.len() - extras.live <= extras.live.max(MIN_STALE_TO_COMPACT));
                prop_assert_eq!(extras.slots(), expected.values().filter(|items| !items.is_empty()).count());
            }
        }
    }
}
