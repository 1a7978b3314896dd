//! Recently read offers kept decoded in memory, as a read model of the change feed.
//!
//! A recommendation reads its fifty candidate offers, a search its page of hits, a shortlist
//! its offer; from the store each one costs a B-tree probe, a checksum and a JSON decode
//! (about 10 µs an offer at 200,000 offers, half a millisecond for a recommendation). The
//! cache keeps the most recently used offers (a bounded LRU, `store.offer_cache` entries,
//! about 1.1 KB each).
//!
//! It never answers with an offer older than the store's:
//! - the follower replaces or drops a cached offer with every change to it, in feed order;
//! - a reader fills in what it read from the store only if no offer change was applied
//!   while it read (a generation counter, compared and filled under one lock), so a record
//!   read before a change can never land after the change was applied;
//! - while the cache has not applied every change this process knows was written, readers
//!   go to the store instead (a write answered a moment ago is read back as written).

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use lru::LruCache;
use pomost_domain::{Offer, OfferKey};
use pomost_store::ChangeKey;

use crate::error::EngineError;
use crate::follow::{Applied, ReadModel, Record};

/// Offers kept when the configuration does not say.
pub const DEFAULT_OFFER_CACHE: usize = 200_000;

/// Counts an operator reads from the metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OfferCacheStats {
    /// Offers held now.
    pub entries: u64,
    /// Most offers held (0: the cache is off).
    pub capacity: u64,
    /// Offers served from memory since start.
    pub hits: u64,
    /// Offers read from the store since start (not held, or the cache was behind).
    pub misses: u64,
}

struct Entries {
    offers: Option<LruCache<OfferKey, Arc<Offer>>>,
    /// Moves with every applied batch that touched an offer.
    generation: u64,
}

/// The cache (see the module documentation).
pub struct OfferCache {
    entries: Mutex<Entries>,
    applied: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// What a lookup found, and what filling in after a store read needs.
pub(crate) struct Lookup {
    /// Per key asked, the cached offer.
    pub found: Vec<Option<Arc<Offer>>>,
    generation: u64,
}

impl OfferCache {
    /// A cache of at most `capacity` offers (0: off) that has applied the feed up to `applied`.
    pub fn new(capacity: usize, applied: u64) -> Self {
        Self {
            entries: Mutex::new(Entries { offers: NonZeroUsize::new(capacity).map(LruCache::new), generation: 0 }),
            applied: AtomicU64::new(applied),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The last change applied.
    pub fn applied(&self) -> u64 {
        self.applied.load(Ordering::Acquire)
    }

    /// The cached offers for `keys`, in order (`None` where not held).
    pub(crate) fn lookup(&self, keys: &[OfferKey]) -> Lookup {
        let mut entries = self.lock();
        let generation = entries.generation;
        let found: Vec<Option<Arc<Offer>>> = match entries.offers.as_mut() {
            Some(offers) => keys.iter().map(|key| offers.get(key).cloned()).collect(),
            None => vec![None; keys.len()],
        };
        drop(entries);
        let hits = found.iter().filter(|offer| offer.is_some()).count() as u64;
        self.hits.fetch_add(hits, Ordering::Relaxed);
        self.misses.fetch_add(keys.len() as u64 - hits, Ordering::Relaxed);
        Lookup { found, generation }
    }

    /// Keeps offers read from the store after `lookup`, unless an offer change was applied
    /// since (then the read may predate it, and nothing is kept).
    pub(crate) fn fill<'a>(&self, lookup: &Lookup, read: impl IntoIterator<Item = &'a Arc<Offer>>) {
        let mut entries = self.lock();
        if entries.generation != lookup.generation {
            return;
        }
        if let Some(offers) = entries.offers.as_mut() {
            for offer in read {
                offers.put(offer.key.clone(), offer.clone());
            }
        }
    }

    /// Counts a read that went to the store because the cache was behind.
    pub(crate) fn bypassed(&self, offers: usize) {
        self.misses.fetch_add(offers as u64, Ordering::Relaxed);
    }

    /// Counts for the metrics.
    pub fn stats(&self) -> OfferCacheStats {
        let entries = self.lock();
        let (held, capacity) = entries.offers.as_ref().map_or((0, 0), |offers| (offers.len(), offers.cap().get()));
        OfferCacheStats {
            entries: held as u64,
            capacity: capacity as u64,
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}

impl ReadModel for OfferCache {
    fn name(&self) -> &'static str {
        "offer_cache"
    }

    fn apply(&self, batch: Vec<Arc<Applied>>, up_to: u64) -> Result<(), EngineError> {
        let mut entries = self.lock();
        let mut touched = false;
        if let Some(offers) = entries.offers.as_mut() {
            for change in &batch {
                let ChangeKey::Offer(key) = &change.key else { continue };
                touched = true;
                match &change.record {
                    // Replaced where held (not promoted); an offer nobody read is not added.
                    Some(Record::Offer(offer)) => {
                        if let Some(held) = offers.peek_mut(key) {
                            *held = Arc::new(offer.clone());
                        }
                    }
                    _ => {
                        offers.pop(key);
                    }
                }
            }
        }
        if touched {
            entries.generation += 1;
        }
        // Raised under the lock, so a reader that sees the cache current sees its entries too.
        self.applied.fetch_max(up_to, Ordering::AcqRel);
        Ok(())
    }

    fn durable_seq(&self) -> u64 {
        self.applied()
    }

    fn wants(&self, key: &ChangeKey) -> bool {
        matches!(key, ChangeKey::Offer(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(id: &str, title: &str) -> Offer {
        let mut offer = pomost_synth::Synth::new(3, time::macros::date!(2026 - 11 - 24))
            .offers(1)
            .next()
            .expect("a synthetic offer");
        offer.key.external_id = id.into();
        offer.title = title.into();
        offer
    }

    fn change(seq: u64, offer: &Offer, deleted: bool) -> Arc<Applied> {
        Arc::new(Applied {
            seq,
            key: ChangeKey::Offer(offer.key.clone()),
            record: (!deleted).then(|| Record::Offer(offer.clone())),
        })
    }

    #[test]
    fn a_filled_offer_is_served_and_follows_its_changes() {
        let cache = OfferCache::new(10, 0);
        let first = offer("a", "Kucharz");
        let lookup = cache.lookup(std::slice::from_ref(&first.key));
        assert!(lookup.found[0].is_none());
        cache.fill(&lookup, &[Arc::new(first.clone())]);
        assert_eq!(cache.lookup(std::slice::from_ref(&first.key)).found[0].as_deref(), Some(&first));

        let renamed = offer("a", "Pomoc kuchenna");
        cache.apply(vec![change(1, &renamed, false)], 1).unwrap();
        assert_eq!(cache.lookup(std::slice::from_ref(&first.key)).found[0].as_deref(), Some(&renamed));
        cache.apply(vec![change(2, &renamed, true)], 2).unwrap();
        assert!(cache.lookup(std::slice::from_ref(&first.key)).found[0].is_none());
        assert_eq!(cache.applied(), 2);
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses, stats.entries), (2, 2, 0));
    }

    #[test]
    fn a_read_that_a_change_overtook_is_not_kept() {
        let cache = OfferCache::new(10, 0);
        let old = offer("a", "Kucharz");
        let lookup = cache.lookup(std::slice::from_ref(&old.key));
        // The offer changes (and the change is applied) while the reader holds the old copy.
        cache.apply(vec![change(1, &offer("a", "Pomoc kuchenna"), false)], 1).unwrap();
        cache.fill(&lookup, &[Arc::new(old.clone())]);
        assert!(cache.lookup(std::slice::from_ref(&old.key)).found[0].is_none());
    }

    #[test]
    fn the_least_recently_used_offer_goes_first_and_a_changed_offer_is_not_added() {
        let cache = OfferCache::new(2, 0);
        let offers: Vec<Offer> = ["a", "b", "c"].iter().map(|id| offer(id, "Magazynier")).collect();
        let keys: Vec<OfferKey> = offers.iter().map(|offer| offer.key.clone()).collect();
        let lookup = cache.lookup(&keys[..2]);
        cache.fill(&lookup, &[Arc::new(offers[0].clone()), Arc::new(offers[1].clone())]);
        cache.lookup(&keys[..1]);
        let lookup = cache.lookup(&keys[2..]);
        cache.fill(&lookup, &[Arc::new(offers[2].clone())]);
        let held: Vec<bool> = cache.lookup(&keys).found.iter().map(Option::is_some).collect();
        assert_eq!(held, [true, false, true]);

        let off = OfferCache::new(0, 0);
        off.apply(vec![change(1, &offers[0], false)], 1).unwrap();
        let lookup = off.lookup(&keys[..1]);
        off.fill(&lookup, &[Arc::new(offers[0].clone())]);
        assert!(off.lookup(&keys[..1]).found[0].is_none());
        assert_eq!(off.stats().capacity, 0);
        assert_eq!(off.applied(), 1);
    }
}
