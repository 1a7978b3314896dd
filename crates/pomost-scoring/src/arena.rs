//! The records of every bucket in one vector, bucket after bucket.
//!
//! A national scan visits every bucket in order. With one heap allocation per bucket (tens
//! of records each, scattered by the allocator) the hardware prefetcher started over at
//! every bucket, and the scan waited on memory; with the buckets laid end to end it reads
//! one forward stream. Inserts and removals still touch one bucket: a full bucket moves to
//! a region twice its size (a freed region of that size, or the end of the vector), and
//! once as many records have moved as the arena holds, [`BucketArena::tidy`] lays every
//! bucket out in order again, with a quarter of slack each.
//!
//! Beside each item the arena keeps its [`Keyed::Key`] and its [`Keyed::Reach`], each in a
//! vector laid out the same way ([`Sides`]): what a scan can decide from without reading the
//! item (for a participant, the byte that says which of an offer's simple constraints they
//! fail, sixty-four to a cache line, and where they live and how far they can commute).
//!
//! For each block of [`BLOCK`] items of a bucket it keeps the least [`Keyed::sort_key`]
//! (or a lower number, after removals), and [`BucketArena::sort_buckets`] orders each
//! bucket by it: a scan bounds what a whole block can reach from that one number (for
//! participants, the earliest registration bounds the waiting factor of everyone in the
//! block) and passes over blocks that cannot reach its list.

/// An item with a small summary of the fields a scan may decide from, kept beside it.
pub(crate) trait Keyed: Copy {
    /// The copy.
    type Key: Copy + std::fmt::Debug;
    /// The item's key; a pure function of the item.
    fn key(&self) -> Self::Key;
    /// A second, larger summary, kept apart so a scan reading only keys reads them densely.
    type Reach: Copy + std::fmt::Debug;
    /// The item's reach; a pure function of the item.
    fn reach(&self) -> Self::Reach;
    /// The number buckets are ordered by ([`BucketArena::sort_buckets`]) and of which each
    /// block keeps its least ([`BucketArena::block_least`]).
    fn sort_key(&self) -> i32;
}

/// Items per block of a bucket: a scan takes a bucket in blocks of this many, and the
/// arena keeps one [`Keyed::sort_key`] bound per block.
pub(crate) const BLOCK: usize = 64;

/// Where one bucket's records live in the arena's vector.
#[derive(Debug, Clone, Copy, Default)]
struct Region {
    start: usize,
    len: u32,
    cap: u32,
}

/// A freed stretch of the vector, reusable by a bucket that needs at most `cap` items.
#[derive(Debug, Clone, Copy)]
struct Hole {
    start: usize,
    cap: u32,
}

/// Number of size classes of holes: class c holds holes of 2^c items or more.
const CLASSES: usize = 33;

/// Fixed-count buckets of `Copy` items stored in one vector (see the module doc).
#[derive(Debug, Clone)]
pub(crate) struct BucketArena<T: Keyed> {
    items: Vec<T>,
    /// `items[i].key()` and `items[i].reach()` at every `i` (spare capacity included).
    sides: Sides<T>,
    regions: Vec<Region>,
    /// Per bucket, per block of [`BLOCK`] items: at most the least sort key in the block
    /// (exact after [`BucketArena::sort_buckets`]; a removal leaves it as it was).
    least: Vec<Vec<i32>>,
    holes: Vec<Vec<Hole>>,
    live: usize,
    /// Items put out of [`Keyed::sort_key`] order (pushed after a later key, or moved into
    /// a removed item's place) since the buckets were last ordered.
    unsorted: usize,
    /// Items moved by regrowing buckets since the buckets were last laid out in order.
    moved: usize,
    /// Counts changes, so a layout made from an older state is not installed.
    version: u64,
    /// Set by [`BucketArena::reserve_in_order`] until the next [`BucketArena::compact`]:
    /// buckets are being filled one after another, so they grow by exactly one item.
    in_order: bool,
}

/// The arena's items laid out anew, made while others could read it
/// ([`BucketArena::layout_with_slack`]).
#[derive(Debug)]
pub(crate) struct Layout<T: Keyed> {
    items: Vec<T>,
    sides: Sides<T>,
    regions: Vec<Region>,
    /// Each bucket ordered by [`Keyed::sort_key`], with its blocks' least keys, when the
    /// layout was made so; then whether any item changed its place in its bucket.
    ordered: Option<(Vec<Vec<i32>>, bool)>,
    version: u64,
}

impl<T: Keyed> Layout<T> {
    /// Whether an item has another index in its bucket than before (the owner's record of
    /// where each item is must follow).
    pub(crate) fn reordered(&self) -> bool {
        self.ordered.as_ref().is_some_and(|(_, reordered)| *reordered)
    }

    /// Every item with its bucket and index in the layout.
    pub(crate) fn for_each(&self, visit: impl FnMut(usize, u32, &T)) {
        for_each_item(&self.items, &self.regions, visit);
    }

    /// [`BucketArena::change_each`] over the layout's items.
    pub(crate) fn change_each(&mut self, change: impl FnMut(&mut T)) {
        change_each_item(&mut self.items, &self.regions, change);
    }
}

/// Every item of `regions` with its bucket and index there.
fn for_each_item<T>(items: &[T], regions: &[Region], mut visit: impl FnMut(usize, u32, &T)) {
    for (bucket, region) in regions.iter().enumerate() {
        for (index, item) in items[region.start..region.start + region.len as usize].iter().enumerate() {
            visit(bucket, index as u32, item);
        }
    }
}

/// `change` applied to every item of `regions` in place.
fn change_each_item<T: Keyed>(items: &mut [T], regions: &[Region], mut change: impl FnMut(&mut T)) {
    for region in regions {
        for item in &mut items[region.start..region.start + region.len as usize] {
            let sort_key = item.sort_key();
            change(item);
            debug_assert_eq!(item.sort_key(), sort_key, "a change in place keeps the order");
        }
    }
}

/// What the arena keeps beside its items, slot for slot: each one's key and reach.
#[derive(Debug, Clone)]
struct Sides<T: Keyed> {
    keys: Vec<T::Key>,
    reaches: Vec<T::Reach>,
}

impl<T: Keyed> Sides<T> {
    fn with_capacity(capacity: usize) -> Self {
        Self { keys: Vec::with_capacity(capacity), reaches: Vec::with_capacity(capacity) }
    }

    fn bytes(&self) -> usize {
        self.keys.capacity() * size_of::<T::Key>() + self.reaches.capacity() * size_of::<T::Reach>()
    }

    fn reserve_exact(&mut self, additional: usize) {
        self.keys.reserve_exact(additional);
        self.reaches.reserve_exact(additional);
    }

    fn shrink_to_fit(&mut self) {
        self.keys.shrink_to_fit();
        self.reaches.shrink_to_fit();
    }

    /// Sets slot `at` to `item`'s.
    fn set(&mut self, at: usize, item: &T) {
        self.keys[at] = item.key();
        self.reaches[at] = item.reach();
    }

    /// Copies slot `from` over slot `to`.
    fn copy(&mut self, from: usize, to: usize) {
        self.keys[to] = self.keys[from];
        self.reaches[to] = self.reaches[from];
    }

    fn copy_within(&mut self, from: std::ops::Range<usize>, to: usize) {
        self.keys.copy_within(from.clone(), to);
        self.reaches.copy_within(from, to);
    }

    /// Grows or shrinks to `len` slots, new ones set to `filler`'s.
    fn resize(&mut self, len: usize, filler: &T) {
        self.keys.resize(len, filler.key());
        self.reaches.resize(len, filler.reach());
    }

    /// Appends slots `range` of `other`.
    fn extend_from(&mut self, other: &Self, range: std::ops::Range<usize>) {
        self.keys.extend_from_slice(&other.keys[range.clone()]);
        self.reaches.extend_from_slice(&other.reaches[range]);
    }

    /// Sets the slots from `start` on to those of `items`.
    fn refresh(&mut self, start: usize, items: &[T]) {
        for (at, item) in (start..).zip(items) {
            self.set(at, item);
        }
    }
}

/// Orders one bucket's `items`, which start at slot `start` of `sides`, by
/// [`Keyed::sort_key`] (equal keys keep their order), with their sides; whether any item
/// moved.
fn order_bucket<T: Keyed>(items: &mut [T], sides: &mut Sides<T>, start: usize) -> bool {
    if items.is_sorted_by_key(Keyed::sort_key) {
        return false;
    }
    items.sort_by_key(Keyed::sort_key);
    sides.refresh(start, items);
    true
}

impl<T: Keyed> BucketArena<T> {
    /// An arena of `buckets` empty buckets.
    pub(crate) fn new(buckets: usize) -> Self {
        Self {
            items: Vec::new(),
            sides: Sides::with_capacity(0),
            regions: vec![Region::default(); buckets],
            least: vec![Vec::new(); buckets],
            holes: vec![Vec::new(); CLASSES],
            live: 0,
            unsorted: 0,
            moved: 0,
            version: 0,
            in_order: false,
        }
    }

    /// Number of buckets.
    pub(crate) fn bucket_count(&self) -> usize {
        self.regions.len()
    }

    /// The items of one bucket.
    #[inline]
    pub(crate) fn bucket(&self, bucket: usize) -> &[T] {
        let region = self.regions[bucket];
        &self.items[region.start..region.start + region.len as usize]
    }

    /// The keys of one bucket's items, in the same order.
    #[inline]
    pub(crate) fn keys(&self, bucket: usize) -> &[T::Key] {
        let region = self.regions[bucket];
        &self.sides.keys[region.start..region.start + region.len as usize]
    }

    /// The reaches of one bucket's items, in the same order.
    #[inline]
    pub(crate) fn reaches(&self, bucket: usize) -> &[T::Reach] {
        let region = self.regions[bucket];
        &self.sides.reaches[region.start..region.start + region.len as usize]
    }

    /// For each block of [`BLOCK`] items of `bucket`, in order: a number no item of the
    /// block has a smaller [`Keyed::sort_key`] than.
    #[inline]
    pub(crate) fn block_least(&self, bucket: usize) -> &[i32] {
        &self.least[bucket]
    }

    /// Every item with its bucket and index.
    pub(crate) fn for_each(&self, visit: impl FnMut(usize, u32, &T)) {
        for_each_item(&self.items, &self.regions, visit);
    }

    /// Changes every item in place; `change` must leave what the arena keeps beside or
    /// orders by ([`Keyed`]) as it was.
    pub(crate) fn change_each(&mut self, change: impl FnMut(&mut T)) {
        change_each_item(&mut self.items, &self.regions, change);
    }

    /// Item `index` of `bucket`.
    #[inline]
    pub(crate) fn get(&self, bucket: usize, index: u32) -> &T {
        &self.bucket(bucket)[index as usize]
    }

    /// Bytes the arena holds, spare capacity included.
    pub(crate) fn bytes(&self) -> usize {
        self.items.capacity() * size_of::<T>()
            + self.sides.bytes()
            + self.regions.capacity() * size_of::<Region>()
            + self.least.iter().map(|least| least.capacity() * size_of::<i32>()).sum::<usize>()
            + self.least.capacity() * size_of::<Vec<i32>>()
            + self.holes.iter().map(|class| class.capacity() * size_of::<Hole>()).sum::<usize>()
    }

    /// Room for `additional` more items about to be pushed bucket after bucket (a restore):
    /// until the next [`BucketArena::compact`], a bucket at the end of the vector grows by
    /// exactly one item, so the buckets end up laid out in order with no slack and
    /// `compact` has nothing to copy. (Pushed in any other order, buckets double as they
    /// grow: one item at a time, the bucket last at the end would be left full when another
    /// follows it, and move on its next push.)
    pub(crate) fn reserve_in_order(&mut self, additional: usize) {
        self.items.reserve_exact(additional);
        self.sides.reserve_exact(additional);
        self.in_order = true;
    }

    /// Appends `item` to `bucket`; its index there.
    pub(crate) fn push(&mut self, bucket: usize, item: T) -> u32 {
        self.version += 1;
        let region = self.regions[bucket];
        if region.len == region.cap {
            self.regrow(bucket, item);
        }
        let region = &mut self.regions[bucket];
        if region.len > 0 && self.items[region.start + region.len as usize - 1].sort_key() > item.sort_key() {
            self.unsorted += 1;
        }
        self.items[region.start + region.len as usize] = item;
        self.sides.set(region.start + region.len as usize, &item);
        region.len += 1;
        self.live += 1;
        let index = region.len - 1;
        lower_least(&mut self.least[bucket], index, item.sort_key());
        index
    }

    /// Removes item `index` of `bucket`, moving the bucket's last item into its place: the
    /// removed item, and the moved one when there was one.
    pub(crate) fn swap_remove(&mut self, bucket: usize, index: u32) -> (T, Option<T>) {
        let region = &mut self.regions[bucket];
        assert!(index < region.len, "index {index} beyond a bucket of {}", region.len);
        self.version += 1;
        let (at, last) = (region.start + index as usize, region.start + region.len as usize - 1);
        let removed = self.items[at];
        self.items[at] = self.items[last];
        self.sides.copy(last, at);
        region.len -= 1;
        self.live -= 1;
        let least = &mut self.least[bucket];
        least.truncate((region.len as usize).div_ceil(BLOCK));
        let moved = (at != last).then(|| self.items[at]);
        if let Some(moved) = moved {
            lower_least(least, index, moved.sort_key());
            self.unsorted += 1;
        }
        (removed, moved)
    }

    /// Orders every bucket by [`Keyed::sort_key`] (equal keys keep their order) and makes
    /// each block's least exact; whether any item moved (then their indexes changed).
    pub(crate) fn sort_buckets(&mut self) -> bool {
        self.version += 1;
        let mut moved = false;
        for (region, least) in self.regions.iter().zip(&mut self.least) {
            let range = region.start..region.start + region.len as usize;
            moved |= order_bucket(&mut self.items[range.clone()], &mut self.sides, range.start);
            *least = least_of_blocks(&self.items[range]);
        }
        self.unsorted = 0;
        moved
    }

    /// Lays every bucket out in order again once as many items have moved as the arena
    /// holds (so the work is at most one copy per move), leaving each bucket a quarter of
    /// slack so the next inserts do not move it at once.
    pub(crate) fn tidy(&mut self) {
        if self.moved > self.live.max(1024) {
            self.lay_out(with_slack);
        }
    }

    /// Whether more than one item in sixteen has moved since the buckets were last laid
    /// out in order (between [`BucketArena::tidy`]'s layouts, up to all of them may have),
    /// or has been put out of [`Keyed::sort_key`] order since the buckets were last ordered.
    pub(crate) fn out_of_order(&self) -> bool {
        self.moved > self.live / 16 || self.unsorted > self.live / 16
    }

    /// Lays every bucket out in order with no slack (after a bulk build or a restore). A
    /// restore that filled the buckets one after another into reserved room is already laid
    /// out so, and is not copied again.
    pub(crate) fn compact(&mut self) {
        self.in_order = false;
        if self.is_compact() {
            self.items.shrink_to_fit();
            self.sides.shrink_to_fit();
            self.holes.iter_mut().for_each(Vec::clear);
            self.moved = 0;
        } else {
            self.lay_out(|len| len);
        }
    }

    /// Whether the buckets lie end to end in bucket order, each exactly as large as it
    /// holds: what [`BucketArena::compact`] would lay out.
    fn is_compact(&self) -> bool {
        let mut end = 0;
        for region in self.regions.iter().filter(|region| region.cap > 0) {
            if region.start != end || region.cap != region.len {
                return false;
            }
            end += region.cap as usize;
        }
        end == self.items.len()
    }

    fn lay_out(&mut self, capacity_for: impl Fn(u32) -> u32) {
        let mut layout = self.laid_out(capacity_for, false);
        self.install(&mut layout);
    }

    /// Every bucket laid out in order and ordered by [`Keyed::sort_key`] (as
    /// [`BucketArena::sort_buckets`] orders them), each with a quarter of slack, made from
    /// a shared borrow (readers go on meanwhile); [`BucketArena::install`] puts it in place.
    pub(crate) fn layout_with_slack(&self) -> Layout<T> {
        self.laid_out(with_slack, true)
    }

    /// Puts `layout` in place if nothing changed since it was made; whether it did. The
    /// replaced items are left in `layout`, to be dropped outside any lock.
    pub(crate) fn install(&mut self, layout: &mut Layout<T>) -> bool {
        if layout.version != self.version {
            return false;
        }
        std::mem::swap(&mut self.items, &mut layout.items);
        std::mem::swap(&mut self.sides, &mut layout.sides);
        std::mem::swap(&mut self.regions, &mut layout.regions);
        if let Some((least, _)) = &mut layout.ordered {
            std::mem::swap(&mut self.least, least);
            self.unsorted = 0;
        }
        self.holes.iter_mut().for_each(Vec::clear);
        self.moved = 0;
        self.version += 1;
        true
    }

    /// The buckets laid out anew with `capacity_for` their length each, and each ordered
    /// when `order`.
    fn laid_out(&self, capacity_for: impl Fn(u32) -> u32, order: bool) -> Layout<T> {
        let total: usize = self.regions.iter().map(|region| capacity_for(region.len) as usize).sum();
        let mut items = Vec::with_capacity(total);
        let mut sides = Sides::with_capacity(total);
        let mut regions = Vec::with_capacity(self.regions.len());
        let (mut least, mut reordered) = (Vec::with_capacity(if order { self.regions.len() } else { 0 }), false);
        for region in &self.regions {
            let start = items.len();
            let range = region.start..region.start + region.len as usize;
            items.extend_from_slice(&self.items[range.clone()]);
            sides.extend_from(&self.sides, range.clone());
            if order {
                reordered |= order_bucket(&mut items[start..], &mut sides, start);
                least.push(least_of_blocks(&items[start..]));
            }
            let cap = capacity_for(region.len);
            if region.len > 0 {
                let last = range.end - 1;
                items.resize(start + cap as usize, self.items[last]);
                sides.resize(start + cap as usize, &self.items[last]);
            }
            regions.push(Region { start, len: region.len, cap: if region.len == 0 { 0 } else { cap } });
        }
        Layout { items, sides, regions, ordered: order.then_some((least, reordered)), version: self.version }
    }

    /// Moves a full bucket to a region twice its size; `filler` pads new capacity. The last
    /// region grows where it is; while buckets are filled in order
    /// ([`BucketArena::reserve_in_order`]) by one item, and an empty bucket starts at the
    /// end of the vector with room for one (the vector's own doubling keeps that
    /// amortised), so no item is copied.
    fn regrow(&mut self, bucket: usize, filler: T) {
        let old = self.regions[bucket];
        // A bucket never holds more items than there are u32 slots, so this never saturates.
        let want = old.cap.saturating_mul(2).max(4);
        let last = old.cap > 0 && old.start + old.cap as usize == self.items.len();
        if last || (self.in_order && old.cap == 0) {
            let start = if last { old.start } else { self.items.len() };
            let cap = if self.in_order { old.cap + 1 } else { want };
            self.items.resize(start + cap as usize, filler);
            self.sides.resize(start + cap as usize, &filler);
            self.regions[bucket] = Region { start, len: old.len, cap };
            return;
        }
        let new = self.take_hole(want).unwrap_or_else(|| {
            let start = self.items.len();
            self.items.resize(start + want as usize, filler);
            self.sides.resize(start + want as usize, &filler);
            Hole { start, cap: want }
        });
        self.items.copy_within(old.start..old.start + old.len as usize, new.start);
        self.sides.copy_within(old.start..old.start + old.len as usize, new.start);
        if old.cap > 0 {
            self.holes[class_of(old.cap)].push(Hole { start: old.start, cap: old.cap });
        }
        self.moved += old.len as usize;
        self.regions[bucket] = Region { start: new.start, len: old.len, cap: new.cap };
    }

    /// A freed region of at least `want` items, if one is kept.
    fn take_hole(&mut self, want: u32) -> Option<Hole> {
        let class = class_of(want.checked_next_power_of_two()?);
        self.holes.get_mut(class)?.pop()
    }
}

/// The least sort key of each block of `items`.
fn least_of_blocks<T: Keyed>(items: &[T]) -> Vec<i32> {
    items.chunks(BLOCK).map(|block| block.iter().map(Keyed::sort_key).min().unwrap_or(i32::MAX)).collect()
}

/// Lowers the least of the block holding item `index` to `sort_key`, opening the block's
/// entry when the item is its first.
fn lower_least(least: &mut Vec<i32>, index: u32, sort_key: i32) {
    let block = index as usize / BLOCK;
    match least.get_mut(block) {
        Some(bound) => *bound = (*bound).min(sort_key),
        None => least.push(sort_key),
    }
}

/// The room a bucket of `len` items gets when the buckets are laid out with slack: a
/// quarter more, so the next inserts do not move it at once.
fn with_slack(len: u32) -> u32 {
    len + len / 4
}

/// The class of a hole of `cap` items: floor(log2(cap)).
fn class_of(cap: u32) -> usize {
    (u32::BITS - 1 - cap.leading_zeros()) as usize
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{BucketArena, Keyed};

    /// A key that differs from the item, so a key left behind by a move shows.
    impl Keyed for u32 {
        type Key = u64;
        fn key(&self) -> u64 {
            u64::from(*self) * 3 + 1
        }
        type Reach = i64;
        fn reach(&self) -> i64 {
            -i64::from(*self)
        }
        fn sort_key(&self) -> i32 {
            (*self % 37) as i32 - 18
        }
    }

    /// Every block of every bucket has a least entry no item of the block is below, exact
    /// where `exact`.
    fn check_least(arena: &BucketArena<u32>, exact: bool) {
        for bucket in 0..arena.bucket_count() {
            let blocks: Vec<&[u32]> = arena.bucket(bucket).chunks(super::BLOCK).collect();
            let least = arena.block_least(bucket);
            assert_eq!(least.len(), blocks.len(), "blocks of bucket {bucket}");
            for (block, &bound) in blocks.iter().zip(least) {
                let min = block.iter().map(Keyed::sort_key).min().unwrap();
                assert!(bound <= min, "bucket {bucket}: bound {bound} above the least {min}");
                assert!(!exact || bound == min, "bucket {bucket}: bound {bound} not the least {min}");
            }
        }
    }

    /// Pushes and removes on the arena and on one vector per bucket, tidying now and then:
    /// every bucket holds the same items in the same order, and the indexes agree.
    fn matches_vectors(operations: &[(u8, u8, bool)], buckets: usize) {
        let mut arena = BucketArena::new(buckets);
        if operations.len() % 2 == 1 {
            // Announced as in order, pushed in any: still correct, only not compact.
            arena.reserve_in_order(operations.len());
        }
        let mut reference: Vec<Vec<u32>> = vec![Vec::new(); buckets];
        for (step, &(bucket, pick, insert)) in operations.iter().enumerate() {
            let bucket = usize::from(bucket) % buckets;
            if insert || reference[bucket].is_empty() {
                let index = arena.push(bucket, step as u32);
                assert_eq!(index as usize, reference[bucket].len());
                reference[bucket].push(step as u32);
            } else {
                let index = usize::from(pick) % reference[bucket].len();
                let (removed, moved) = arena.swap_remove(bucket, index as u32);
                assert_eq!(removed, reference[bucket].swap_remove(index));
                assert_eq!(moved, reference[bucket].get(index).copied());
            }
            match step % 97 {
                0 => arena.compact(),
                50 => arena.lay_out(super::with_slack),
                _ => arena.tidy(),
            }
            if step % 131 == 70 {
                let mut layout = arena.layout_with_slack();
                assert!(arena.install(&mut layout));
                assert!(!arena.out_of_order());
                check_least(&arena, true);
                for (bucket, items) in reference.iter_mut().enumerate() {
                    items.sort_by_key(Keyed::sort_key);
                    assert_eq!(arena.bucket(bucket), &items[..], "bucket {bucket} laid out in order");
                }
            }
            if step % 131 == 7 {
                arena.sort_buckets();
                check_least(&arena, true);
                for (bucket, items) in reference.iter_mut().enumerate() {
                    items.sort_by_key(Keyed::sort_key);
                    assert_eq!(arena.bucket(bucket), &items[..], "bucket {bucket} sorted");
                }
            }
        }
        check_least(&arena, false);
        for (bucket, items) in reference.iter().enumerate() {
            assert_eq!(arena.bucket(bucket), &items[..], "bucket {bucket}");
            let keys: Vec<u64> = items.iter().map(Keyed::key).collect();
            assert_eq!(arena.keys(bucket), &keys[..], "keys of bucket {bucket}");
            let reaches: Vec<i64> = items.iter().map(Keyed::reach).collect();
            assert_eq!(arena.reaches(bucket), &reaches[..], "reaches of bucket {bucket}");
        }
        assert_eq!(arena.sides.keys.len(), arena.items.len());
        assert_eq!(arena.sides.reaches.len(), arena.items.len());
        assert_eq!(arena.live, reference.iter().map(Vec::len).sum::<usize>());
    }

    proptest! {
        #[test]
        fn behaves_as_one_vector_per_bucket(
            operations in proptest::collection::vec((any::<u8>(), any::<u8>(), prop::bool::weighted(0.7)), 0..600),
            buckets in 1usize..12,
        ) {
            matches_vectors(&operations, buckets);
        }
    }

    #[test]
    fn freed_regions_are_reused_and_tidy_restores_order() {
        let mut arena = BucketArena::new(3);
        for item in 0..4 {
            arena.push(0, item);
            arena.push(1, 10 + item);
        }
        let before = arena.items.len();
        arena.push(0, 4); // bucket 0 moves to the end; its 4 slots become a hole
        arena.push(2, 20); // bucket 2 takes that hole instead of growing the vector
        assert_eq!(arena.items.len(), before + 8);
        assert_eq!(arena.bucket(2), [20]);
        arena.compact();
        assert_eq!(arena.items, [0, 1, 2, 3, 4, 10, 11, 12, 13, 20]);
        assert_eq!(arena.bucket(0), [0, 1, 2, 3, 4]);
    }

    #[test]
    fn a_layout_made_before_a_change_is_not_installed() {
        let mut arena = BucketArena::new(2);
        arena.push(0, 1);
        let mut stale = arena.layout_with_slack();
        arena.push(1, 2);
        assert!(!arena.install(&mut stale));
        let mut fresh = arena.layout_with_slack();
        assert!(arena.install(&mut fresh));
        assert_eq!(fresh.items.len(), 8, "the replaced items are left in the layout");
        assert_eq!((arena.bucket(0), arena.bucket(1)), (&[1][..], &[2][..]));
    }

    #[test]
    fn the_last_bucket_grows_in_place() {
        let mut arena = BucketArena::new(2);
        for item in 0..4 {
            arena.push(0, item);
        }
        for item in 1..100 {
            arena.push(1, item);
        }
        assert_eq!(arena.moved, 0, "bucket 1 was last, it never moved");
        assert_eq!(arena.items.len(), 4 + 128, "the last bucket doubles where it is");
        arena.push(0, 4); // bucket 0 is full and not last: it moves
        assert_eq!(arena.moved, 4);
        assert_eq!(arena.bucket(0), [0, 1, 2, 3, 4]);
        assert_eq!(arena.bucket(1), (1..100).collect::<Vec<_>>());
    }

    #[test]
    fn buckets_filled_in_order_into_reserved_room_are_compact_without_a_copy() {
        let mut arena = BucketArena::new(4);
        arena.reserve_in_order(10);
        let address = arena.items.as_ptr();
        for (bucket, item) in [(0, 1), (0, 2), (0, 3), (2, 4), (3, 5), (3, 6), (3, 7), (3, 8), (3, 9), (3, 10)] {
            arena.push(bucket, item);
        }
        assert!(arena.is_compact());
        arena.compact();
        assert_eq!(arena.items.as_ptr(), address, "neither grown nor laid out again");
        assert_eq!(arena.items, (1..=10).collect::<Vec<_>>());
        assert_eq!((arena.bucket(0), arena.bucket(1), arena.bucket(2)), (&[1, 2, 3][..], &[][..], &[4][..]));
        arena.push(1, 11); // out of order: a new bucket takes room for four at the end
        arena.push(0, 12); // a full bucket not last moves
        assert_eq!(arena.items.len(), 10 + 4 + 6);
        assert!(!arena.is_compact());
        arena.compact();
        assert_eq!(arena.items, [1, 2, 3, 12, 11, 4, 5, 6, 7, 8, 9, 10]);
    }

    #[test]
    fn tidy_waits_until_as_many_items_moved_as_are_held() {
        let mut arena = BucketArena::new(2);
        for item in 0..2000u32 {
            arena.push((item % 2) as usize, item);
        }
        arena.moved = 1999;
        arena.tidy();
        assert_eq!(arena.moved, 1999, "not yet");
        arena.moved = 2001;
        arena.tidy();
        assert_eq!(arena.moved, 0);
        assert_eq!(arena.items.len(), 2 * (1000 + 250), "a quarter of slack per bucket");
        assert_eq!(arena.bucket(1).len(), 1000);
    }
}
