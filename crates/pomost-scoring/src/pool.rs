//! The participant pool: compact records grouped by grid cell and commute band, an id table, skills and
//! coaches. Inserts, updates and removals touch one bucket; nothing is rebuilt.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};
use pomost_domain::{CoachId, JobCoach, MAX_COMMUTE_KM, Offer, Participant, ParticipantId, Referral, SkillRelatedness};

use crate::arena::BucketArena;
use crate::coaches::CoachBook;
use crate::error::ScoringError;
use crate::extras::SlotExtras;
use crate::grid::{BUCKET_COUNT, bucket_of};
use crate::placements::{Hires, UnitMembers};
use crate::record::{
    OCCUPATIONS_MORE, OccupationClaim, ParticipantRecord, TableSkills, claim_table, claims_in, occupation_claims,
    skill_table, skill_table_len, unpack_claim,
};
use crate::skills::SkillBook;

/// Where a slot's record lives: its bucket (cell and commute band) and its index there.
#[derive(Debug, Clone, Copy)]
struct RecordPlace {
    bucket: u32,
    index: u32,
}

const FREE: RecordPlace = RecordPlace { bucket: u32::MAX, index: u32::MAX };

/// Everyone who can be ranked, laid out for scanning.
///
/// Exists so a shortlist over a million people reads a few megabytes of nearby records
/// instead of walking domain objects: each participant is a 64-byte record stored in the
/// bucket of its grid cell and commute-limit band (all buckets in one vector, in order); a
/// slot number ties the record to its id.
pub struct ParticipantPool {
    /// Records by bucket: by grid cell, and within a cell by commute-limit band
    /// (`grid::bucket_of`), all in one vector in bucket order.
    pub(crate) records: BucketArena<ParticipantRecord>,
    /// Per bucket, the longest commute limit any record put there had (never lowered by a
    /// removal, so always an upper bound): a regional scan passes over a bucket that cannot
    /// reach the workplace.
    pub(crate) bucket_reach: Vec<f32>,
    places: Vec<RecordPlace>,
    ids: Vec<Option<ParticipantId>>,
    by_id: HashTable<u32>,
    hasher: DefaultHashBuilder,
    free_slots: Vec<u32>,
    /// All skills of the people with more than their record holds, by slot
    /// ([`skill_table`]).
    pub(crate) overflow: SlotExtras<u16>,
    /// Every wanted and past occupation of the people with more than the two their record
    /// holds, by slot ([`claim_table`]).
    occupations: SlotExtras<u16>,
    pub(crate) skills: SkillBook,
    pub(crate) coaches: CoachBook,
    /// Offer positions taken by hires.
    pub(crate) hires: Hires,
    /// Each unit's members.
    pub(crate) units: UnitMembers,
    /// People per whole kilometre of commute limit (rounded up), to know the widest reach.
    commute_histogram: Vec<u32>,
    len: usize,
}

/// The pool's records laid out anew for scanning, made under a read lock
/// ([`ParticipantPool::scan_layout`]) and put in place under the write lock; with where
/// each slot's record is in it, when any record changed its place in its bucket.
#[derive(Debug)]
pub struct ScanLayout(crate::arena::Layout<ParticipantRecord>, Option<Vec<RecordPlace>>, Extras);

/// The skills and occupations beside the records, laid out in the records' order.
type Extras = (SlotExtras<u16>, SlotExtras<u16>);

/// Sizes of the pool, for operators and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoolStats {
    /// Participants held.
    pub participants: usize,
    /// Job coaches held.
    pub coaches: usize,
    /// Distinct skills known.
    pub skills: usize,
    /// Bytes held by records, the slot and id tables and the overflow skills, excluding the
    /// id strings' own heap bytes.
    pub bytes_excluding_strings: usize,
    /// Weekly hours of every job coach together.
    pub coach_capacity_hours: f64,
    /// Of those, the hours already committed to people or reserved by referrals.
    pub coach_committed_hours: f64,
}

impl ParticipantPool {
    /// An empty pool that gives partial credit by `relatedness`.
    pub fn new(relatedness: &SkillRelatedness) -> Result<Self, ScoringError> {
        Ok(Self {
            records: BucketArena::new(BUCKET_COUNT),
            bucket_reach: vec![0.0; BUCKET_COUNT],
            places: Vec::new(),
            ids: Vec::new(),
            by_id: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
            free_slots: Vec::new(),
            overflow: SlotExtras::default(),
            // A record keeps where its claims start in the bits below the flag.
            occupations: SlotExtras::with_limit(OCCUPATIONS_MORE),
            skills: SkillBook::new(relatedness)?,
            coaches: CoachBook::default(),
            hires: Hires::default(),
            units: UnitMembers::default(),
            commute_histogram: vec![0; MAX_COMMUTE_KM as usize + 2],
            len: 0,
        })
    }

    /// A pool holding `participants`; the first invalid one stops the build.
    pub fn build(
        relatedness: &SkillRelatedness,
        participants: impl IntoIterator<Item = Participant>,
        coaches: impl IntoIterator<Item = JobCoach>,
    ) -> Result<Self, ScoringError> {
        let mut pool = ParticipantPool::new(relatedness)?;
        let participants = participants.into_iter();
        let (lower, _) = participants.size_hint();
        pool.places.reserve(lower);
        pool.ids.reserve(lower);
        pool.by_id.reserve(lower, |_| 0);
        for participant in participants {
            pool.upsert_participant(&participant)?;
        }
        pool.coaches.upsert_many(coaches)?;
        pool.shrink_to_fit();
        Ok(pool)
    }

    /// Adds a participant or replaces the one with the same id (read, not taken: the record
    /// is packed from it, and only the id is kept).
    pub fn upsert_participant(&mut self, participant: &Participant) -> Result<(), ScoringError> {
        participant.check()?;
        // Build the record before touching the pool, so a refusal leaves it as it was.
        let (mut record, overflow) = ParticipantRecord::from_participant(participant, 0, &mut self.skills)?;
        let claims = occupation_claims(participant);
        let overflow_count = overflow.as_ref().map_or(0, |skills| skill_table_len(skills.len()));
        if !self.overflow.can_take(overflow_count) || !self.occupations.can_take(claims.len()) {
            return Err(ScoringError::ParticipantCapacity(self.len));
        }
        let mut moved = false;
        let slot = match self.slot_of(&participant.id) {
            Some(slot) => {
                moved |= self.detach(slot);
                slot
            }
            None => self.new_slot(participant.id.clone())?,
        };
        record.slot = slot;
        self.units.join(slot, &participant.unit_id);
        moved |= self.set_extras(&mut record, overflow.as_deref().unwrap_or_default(), &claims);
        self.attach(record);
        if moved {
            self.place_extras();
        }
        Ok(())
    }

    /// Removes a participant (erasure); false if the id was not in the pool.
    pub fn remove_participant(&mut self, id: &ParticipantId) -> bool {
        let Some(slot) = self.slot_of(id) else { return false };
        if self.detach(slot) {
            self.place_extras();
        }
        self.units.leave(slot);
        self.forget_slot(slot);
        true
    }

    /// Whether a participant is in the pool.
    pub fn contains(&self, id: &ParticipantId) -> bool {
        self.slot_of(id).is_some()
    }

    /// Adds a job coach or replaces the one with the same id.
    pub fn upsert_coach(&mut self, coach: JobCoach) -> Result<(), ScoringError> {
        self.coaches.upsert(coach)
    }

    /// Adds or replaces several coaches at once (one index rebuild); the first invalid one
    /// stops it before anything changes.
    pub fn upsert_coaches(&mut self, coaches: impl IntoIterator<Item = JobCoach>) -> Result<(), ScoringError> {
        self.coaches.upsert_many(coaches)
    }

    /// Removes a job coach; false if unknown.
    pub fn remove_coach(&mut self, id: &CoachId) -> bool {
        self.coaches.remove(id)
    }

    /// Records a coach's committed hours (a cheap in-place change).
    pub fn set_coach_committed_hours(&mut self, id: &CoachId, hours: f32) -> Result<(), ScoringError> {
        self.coaches.set_committed_hours(id, hours)
    }

    /// Applies what a referral holds now: its coach hours (released when it no longer
    /// reserves them) and, for a hire, one of the offer's positions. Idempotent.
    pub fn apply_referral(&mut self, referral: &Referral) {
        if let Some(coach) = &referral.coach {
            let hours = if referral.reserved { referral.coach_hours } else { 0.0 };
            self.coaches.reserve(&referral.id, coach, hours);
        }
        self.hires.apply(referral);
    }

    /// The offer's positions not yet taken by hires made through Pomost.
    pub fn open_positions(&self, offer: &Offer) -> u32 {
        self.hires.open_positions(offer)
    }

    /// A coach by id.
    pub fn coach(&self, id: &CoachId) -> Option<&JobCoach> {
        self.coaches.by_id(id)
    }

    /// Number of participants.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the pool holds nobody.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The longest commute limit anyone in the pool has, km: how far a regional scan reaches.
    pub fn widest_commute_km(&self) -> f32 {
        self.commute_histogram.iter().rposition(|count| *count > 0).map_or(0.0, |km| km as f32)
    }

    /// Sizes and memory, for operators and the benchmarks.
    pub fn stats(&self) -> PoolStats {
        let record_bytes = self.records.bytes() + self.bucket_reach.capacity() * size_of::<f32>();
        let overflow_bytes = self.overflow.bytes() + self.occupations.bytes();
        let table_bytes = self.places.capacity() * size_of::<RecordPlace>()
            + self.ids.capacity() * size_of::<Option<ParticipantId>>()
            + self.by_id.capacity() * (size_of::<u32>() + 1)
            + self.free_slots.capacity() * 4;
        let (coach_capacity_hours, coach_committed_hours) = self.coaches.hours();
        PoolStats {
            coach_capacity_hours,
            coach_committed_hours,
            participants: self.len,
            coaches: self.coaches.len(),
            skills: self.skills.len(),
            bytes_excluding_strings: record_bytes + overflow_bytes + table_bytes + self.units.bytes(),
        }
    }

    /// Releases spare capacity after a bulk build, orders each bucket by registration (a
    /// scan passes over blocks of recent registrations once its list's threshold is above
    /// what their waiting time allows) and lays the records out bucket after bucket (a scan
    /// then reads one forward stream).
    pub fn shrink_to_fit(&mut self) {
        if self.records.sort_buckets() {
            let places = &mut self.places;
            self.records.for_each(|bucket, index, record| place(places, bucket, index, record));
        }
        self.records.compact();
        (self.overflow, self.occupations) = self.extras_in_order(|visit| self.records.for_each(visit));
        self.overflow.shrink_to_fit();
        self.occupations.shrink_to_fit();
        self.place_extras();
        self.places.shrink_to_fit();
        self.ids.shrink_to_fit();
    }

    /// The skills and occupations beside the records laid out in the order `each_record`
    /// visits the records (the arena's or a new layout's `for_each`).
    fn extras_in_order(&self, each_record: impl FnOnce(&mut dyn FnMut(usize, u32, &ParticipantRecord))) -> Extras {
        let mut slots = Vec::new();
        each_record(&mut |_, _, record| {
            if record.has_extras() {
                slots.push(record.slot);
            }
        });
        (self.overflow.laid_out(slots.iter().copied()), self.occupations.laid_out(slots.iter().copied()))
    }

    /// Whether records have moved out of bucket order since they were last laid out, or
    /// out of registration order within their buckets (more than one in sixteen): a bucket
    /// that outgrows its place moves to the end of the records, and a national scan then
    /// reads them less in order; a record added or changed goes to the end of its bucket,
    /// and the block it lands in is bounded by its registration. The engine lays them out
    /// again with [`ParticipantPool::scan_layout`] while its change feed is quiet.
    pub fn scan_layout_stale(&self) -> bool {
        self.records.out_of_order()
    }

    /// The records laid out bucket after bucket again, each bucket ordered by registration
    /// and with a quarter of slack (a copy of every record: tens of milliseconds for a
    /// million), made from a shared borrow so it can be made under a read lock; see
    /// [`ParticipantPool::install_scan_layout`].
    pub fn scan_layout(&self) -> ScanLayout {
        let mut layout = self.records.layout_with_slack();
        let places = layout.reordered().then(|| {
            let mut places = self.places.clone();
            layout.for_each(|bucket, index, record| place(&mut places, bucket, index, record));
            places
        });
        let extras = self.extras_in_order(|visit| layout.for_each(visit));
        layout.change_each(|record| note_extras_place(record, &extras.0, &extras.1));
        ScanLayout(layout, places, extras)
    }

    /// Puts a [`ParticipantPool::scan_layout`] in place if the pool has not changed since it
    /// was made; whether it did (if not, nothing changed). The replaced records are left in
    /// `layout`: drop it after letting go of the pool's lock.
    pub fn install_scan_layout(&mut self, layout: &mut ScanLayout) -> bool {
        let installed = self.records.install(&mut layout.0);
        if let (true, Some(places)) = (installed, &mut layout.1) {
            std::mem::swap(&mut self.places, places);
        }
        if installed {
            // Every change of a slot's extras changes the records too, so they are as
            // current as the records installed.
            std::mem::swap(&mut self.overflow, &mut layout.2.0);
            std::mem::swap(&mut self.occupations, &mut layout.2.1);
        }
        installed
    }

    /// The ids by slot, for ranked candidates to look theirs up only when needed.
    pub(crate) fn ids(&self) -> &[Option<ParticipantId>] {
        &self.ids
    }

    pub(crate) fn id_of_slot(&self, slot: u32) -> &ParticipantId {
        id_in(&self.ids, slot)
    }

    pub(crate) fn record_of(&self, id: &ParticipantId) -> Option<&ParticipantRecord> {
        Some(self.record_of_slot(self.slot_of(id)?))
    }

    pub(crate) fn record_of_slot(&self, slot: u32) -> &ParticipantRecord {
        let place = self.places[slot as usize];
        self.records.get(place.bucket as usize, place.index)
    }

    /// Every occupation claim of a record: inline, or all from the table when there are more.
    pub(crate) fn occupations(&self, record: &ParticipantRecord) -> impl Iterator<Item = OccupationClaim> + '_ {
        let more = record.more_occupations();
        let table = if more { self.claims_beside(record) } else { &[] };
        let inline = if more { [0, 0] } else { [record.occupations & 0x3fff, (record.occupations >> 14) & 0x3fff] };
        table.iter().map(|&packed| u32::from(packed)).chain(inline).filter_map(unpack_claim)
    }

    /// Whether a scan may fetch the skills beside the records ahead
    /// ([`ParticipantPool::prefetch_skills_beside`]): when more than one person in eight
    /// has them. Fetching costs a test per person and pays only when many are read (a
    /// national list over people with nine skills each 11.3 ms against 13.7 ms without;
    /// over the generated world, where few have them, 5% slower with).
    #[inline]
    pub(crate) fn fetch_skills_ahead(&self) -> bool {
        self.overflow.slots() * 8 > self.len
    }

    /// Starts fetching a record's skills past what it holds (as a scan selects a block's
    /// eligible, before the skills bound reads them for each), so that their cache misses
    /// overlap instead of following each other.
    #[inline]
    pub(crate) fn prefetch_skills_beside(&self, record: &ParticipantRecord) {
        if record.overflows() {
            self.overflow.prefetch_at(record.overflow_at(), skill_table_len(usize::from(record.skill_count)));
        }
    }

    /// Starts fetching a record's occupation claims past the two it holds, for a person
    /// the scan will score (only the score reads them, so a scan fetches them for the few
    /// whose skills bound passes rather than for everyone eligible: four claims each, a
    /// national list 6.6–7.7 ms against 8.1–8.3 ms).
    #[inline]
    pub(crate) fn prefetch_claims(&self, record: &ParticipantRecord) {
        self.occupations.prefetch_at(record.occupations_at(), CLAIMS_FETCHED);
    }

    /// All skills of an overflowing record in the pool (none for others), read where the
    /// record says they are (for a scan: no look-up by slot).
    #[inline]
    pub(crate) fn skills_beside(&self, record: &ParticipantRecord) -> TableSkills<'_> {
        if !record.overflows() {
            return TableSkills::new(&[], 0);
        }
        let count = usize::from(record.skill_count);
        let table = self.overflow.items_at(record.overflow_at(), skill_table_len(count));
        debug_assert_eq!(table, self.overflow.get(record.slot), "the record knows where its skills are");
        TableSkills::new(table, count)
    }

    /// The packed claims of a record with [`OCCUPATIONS_MORE`], read where the record says
    /// they are (the last one marked: [`claim_table`]).
    #[inline]
    fn claims_beside(&self, record: &ParticipantRecord) -> &[u16] {
        let claims = claims_in(self.occupations.items_from(record.occupations_at(), MAX_CLAIMS));
        debug_assert_eq!(claims, self.occupations.get(record.slot), "the record knows where its claims are");
        claims
    }

    /// Gives `slot` (of `record`) its skills past the record and its claims past two in
    /// the tables, and tells the record where; whether other records' moved.
    #[must_use = "other records' skills and claims may have moved"]
    fn set_extras(&mut self, record: &mut ParticipantRecord, skills: &[(u16, u8)], claims: &[OccupationClaim]) -> bool {
        let slot = record.slot;
        let mut moved = false;
        if claims.len() > 2 {
            moved |= self.occupations.set(slot, &claim_table(claims));
            record.set_occupations_at(self.occupations.start(slot));
        }
        if !skills.is_empty() {
            moved |= self.overflow.set(slot, &skill_table(skills));
            record.set_overflow_at(self.overflow.start(slot));
        }
        moved
    }

    /// Tells every record with extras where they are now (after they moved).
    pub(crate) fn place_extras(&mut self) {
        let (overflow, occupations) = (&self.overflow, &self.occupations);
        self.records.change_each(|record| note_extras_place(record, overflow, occupations));
    }

    /// The numbers of the skills a record claims (inline or overflowing), ascending and
    /// each once (as a person's skill credits are compiled).
    pub(crate) fn skill_numbers(&self, record: &ParticipantRecord) -> Vec<u16> {
        let mut numbers: Vec<u16> = if record.overflows() {
            self.skills_beside(record).numbers().to_vec()
        } else {
            record.inline_skills().map(|(skill, _)| skill).collect()
        };
        numbers.sort_unstable();
        numbers.dedup();
        numbers
    }

    fn slot_of(&self, id: &ParticipantId) -> Option<u32> {
        let hash = self.hasher.hash_one(id);
        self.by_id.find(hash, |slot| self.ids[*slot as usize].as_ref() == Some(id)).copied()
    }

    /// Rebuilds the id index from every slot's id, inserting in the order of the table's
    /// buckets (a restore of a million ids would otherwise miss the cache on every insert).
    pub(crate) fn index_ids(&mut self) {
        let hashed: Vec<(u64, u32)> = self
            .ids
            .iter()
            .enumerate()
            .filter_map(|(slot, id)| id.as_ref().map(|id| (self.hasher.hash_one(id), slot as u32)))
            .collect();
        self.by_id = HashTable::with_capacity(hashed.len());
        // The table's bucket of a hash is its low bits; its bucket count is a power of two
        // of at least 8/7 of the capacity.
        let mask = (hashed.len() * 8 / 7).max(1).next_power_of_two() as u64 - 1;
        let (ids, hasher) = (&self.ids, &self.hasher);
        for (hash, slot) in in_bucket_order(&hashed, mask) {
            self.by_id.insert_unique(hash, slot, |slot| match &ids[*slot as usize] {
                Some(id) => hasher.hash_one(id),
                None => 0,
            });
        }
    }

    /// A slot for `id` without entering it in the id index (see [`Self::index_ids`]).
    pub(crate) fn new_slot_unindexed(&mut self, id: ParticipantId) -> Result<u32, ScoringError> {
        let slot = u32::try_from(self.ids.len()).map_err(|_| ScoringError::ParticipantCapacity(self.len))?;
        self.ids.push(Some(id));
        self.places.push(FREE);
        Ok(slot)
    }

    fn new_slot(&mut self, id: ParticipantId) -> Result<u32, ScoringError> {
        let hash = self.hasher.hash_one(&id);
        let slot = match self.free_slots.pop() {
            Some(slot) => {
                self.ids[slot as usize] = Some(id);
                slot
            }
            None => self.new_slot_unindexed(id)?,
        };
        let (ids, hasher) = (&self.ids, &self.hasher);
        self.by_id.insert_unique(hash, slot, |slot| match &ids[*slot as usize] {
            Some(id) => hasher.hash_one(id),
            None => 0,
        });
        Ok(slot)
    }

    fn forget_slot(&mut self, slot: u32) {
        if let Some(id) = self.ids[slot as usize].take() {
            let hash = self.hasher.hash_one(&id);
            if let Ok(entry) = self.by_id.find_entry(hash, |candidate| *candidate == slot) {
                entry.remove();
            }
            self.free_slots.push(slot);
        }
    }

    fn attach(&mut self, record: ParticipantRecord) {
        let bucket = bucket_of(record.lat, record.lon, record.max_commute_km);
        let reach = &mut self.bucket_reach[bucket];
        *reach = reach.max(record.max_commute_km);
        let index = self.records.push(bucket, record);
        self.places[record.slot as usize] = RecordPlace { bucket: bucket as u32, index };
        self.commute_histogram[commute_bucket(record.max_commute_km)] += 1;
        self.len += 1;
        self.records.tidy();
    }

    /// Takes a slot's record out of its bucket, keeping the slot and id; whether other
    /// records' skills or claims moved ([`ParticipantPool::place_extras`] is due).
    #[must_use = "other records' skills and claims may have moved"]
    fn detach(&mut self, slot: u32) -> bool {
        let place = self.places[slot as usize];
        if place.bucket == FREE.bucket {
            return false;
        }
        let (removed, moved) = self.records.swap_remove(place.bucket as usize, place.index);
        if let Some(moved) = moved {
            self.places[moved.slot as usize] = place;
        }
        self.places[slot as usize] = FREE;
        self.commute_histogram[commute_bucket(removed.max_commute_km)] -= 1;
        let moved = self.overflow.remove(slot) | self.occupations.remove(slot);
        self.len -= 1;
        moved
    }
}

/// Notes in `record` where the skills table `overflow` and the claims table `occupations`
/// hold its skills and claims, if they do.
fn note_extras_place(record: &mut ParticipantRecord, overflow: &SlotExtras<u16>, occupations: &SlotExtras<u16>) {
    if record.overflows() {
        record.set_overflow_at(overflow.start(record.slot));
    }
    if record.more_occupations() {
        record.set_occupations_at(occupations.start(record.slot));
    }
}

/// Claims a person can have at most (wanted and past).
pub(crate) const MAX_CLAIMS: usize = 2 * pomost_domain::MAX_PARTICIPANT_OCCUPATIONS;

/// Claims fetched ahead from where a record's claims start (a cache line holds 32).
const CLAIMS_FETCHED: usize = 4;

/// Notes in `places` that `record` is item `index` of `bucket`.
fn place(places: &mut [RecordPlace], bucket: usize, index: u32, record: &ParticipantRecord) {
    places[record.slot as usize] = RecordPlace { bucket: bucket as u32, index };
}

fn commute_bucket(km: f32) -> usize {
    (km.ceil().max(0.0) as usize).min(MAX_COMMUTE_KM as usize + 1)
}

#[path = "pool_snapshot.rs"]
mod snapshot;

/// The id of a live `slot` in a pool's id table (records only point at live slots).
pub(crate) fn id_in(ids: &[Option<ParticipantId>], slot: u32) -> &ParticipantId {
    match &ids[slot as usize] {
        Some(id) => id,
        None => unreachable!("records only point at live slots"),
    }
}

/// `hashed` grouped by the high bits of their table bucket (`hash & mask`) in one counting
/// pass: inserted in this order, a million ids walk the table forward a few buckets apart,
/// as a full sort by bucket would have them, for a fraction of a sort's work.
fn in_bucket_order(hashed: &[(u64, u32)], mask: u64) -> Vec<(u64, u32)> {
    const BIN_BITS: u32 = 16;
    let shift = (u64::BITS - mask.leading_zeros()).saturating_sub(BIN_BITS);
    let bin = |hash: u64| ((hash & mask) >> shift) as usize;
    let mut next = vec![0usize; (1 << BIN_BITS) + 1];
    for &(hash, _) in hashed {
        next[bin(hash) + 1] += 1;
    }
    for index in 1..next.len() {
        next[index] += next[index - 1];
    }
    let mut ordered = vec![(0, 0); hashed.len()];
    for &(hash, slot) in hashed {
        ordered[next[bin(hash)]] = (hash, slot);
        next[bin(hash)] += 1;
    }
    ordered
}

#[cfg(test)]
#[path = "pool_tests.rs"]
mod tests;
