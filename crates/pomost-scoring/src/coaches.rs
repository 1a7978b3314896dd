//! Job coaches in a small index by TERYT unit and grid cell, with capacity kept in place.

use std::collections::HashMap;

use pomost_domain::{CoachId, JobCoach};

use crate::error::ScoringError;
use crate::grid::{CELL_COUNT, Origin, cell_of, cells_within};
use crate::record::{pack_teryt, packed_prefix};

/// A coach as scoring reads it.
#[derive(Debug, Clone)]
pub(crate) struct CoachEntry {
    pub(crate) coach: JobCoach,
    pub(crate) supported: u16,
    pub(crate) centre: Option<Origin>,
    pub(crate) teryt: Vec<u32>,
    /// Weekly hours held by referrals (open ones, and hires in their adaptation period).
    pub(crate) reserved: f32,
}

impl CoachEntry {
    fn new(coach: JobCoach) -> Self {
        let centre = coach.area.centre.map(|point| Origin::new(point.lat() as f32, point.lon() as f32));
        let teryt = coach.area.teryt.iter().map(|code| pack_teryt(*code)).collect();
        // A stored record from before the split may list a workplace accommodation; it never
        // counts as covered by a person.
        let supported = (coach.accommodations_supported & pomost_domain::PERSONAL_ACCOMMODATIONS).as_u16();
        Self { supported, centre, teryt, coach, reserved: 0.0 }
    }

    /// Hours the coach can still take on: capacity less what the unit committed and what
    /// referrals reserved.
    pub(crate) fn free_hours(&self) -> f32 {
        (self.coach.free_hours() - self.reserved).max(0.0)
    }

    /// Whether the coach's area covers a place, and the distance from the area's centre
    /// when it has one.
    #[inline]
    pub(crate) fn covers(&self, lat: f32, lon: f32, packed_teryt: u32) -> Option<Option<f32>> {
        let distance = self.centre.map(|centre| centre.distance_km(lat, lon));
        let by_radius = distance.is_some_and(|distance| distance <= self.coach.area.radius_km);
        let by_teryt = self.teryt.iter().any(|area| packed_prefix(packed_teryt, area >> 29) == Some(*area));
        (by_radius || by_teryt).then_some(distance)
    }
}

/// What the scan asks of a coach for each person who needs one, packed apart from the
/// entry (whose strings and lists span several cache lines): the free hours and the
/// accommodations the coach supports.
#[derive(Debug, Clone, Copy, Default)]
struct Capacity {
    free_hours: f32,
    supported: u16,
}

impl Capacity {
    fn of(entry: &CoachEntry) -> Self {
        Self { free_hours: entry.free_hours(), supported: entry.supported }
    }
}

/// All coaches with lookups by place. Indexes are rebuilt when a coach is added or removed
/// (thousands of coaches, milliseconds); capacity changes write in place.
#[derive(Debug, Default)]
pub(crate) struct CoachBook {
    entries: Vec<CoachEntry>,
    /// [`Capacity`] of each entry, by the same index.
    capacity: Vec<Capacity>,
    by_id: HashMap<CoachId, u32>,
    /// Coaches by the TERYT units they serve (a fast hash: the scan asks it per person).
    by_teryt: hashbrown::HashMap<u32, Vec<u32>>,
    /// Coaches whose radius reaches each grid cell, by cell number (empty until a coach
    /// with a radius exists).
    by_cell: Vec<Vec<u32>>,
    /// Referrals holding each coach's hours: (referral id, hours), by coach.
    reservations: HashMap<CoachId, Vec<(String, f32)>>,
}

impl CoachBook {
    pub(crate) fn upsert(&mut self, coach: JobCoach) -> Result<(), ScoringError> {
        self.upsert_many(std::iter::once(coach))
    }

    /// Adds or replaces several coaches and rebuilds the place index once; the first invalid
    /// coach stops it before anything changes.
    pub(crate) fn upsert_many(&mut self, coaches: impl IntoIterator<Item = JobCoach>) -> Result<(), ScoringError> {
        let coaches = coaches.into_iter().map(JobCoach::validated).collect::<Result<Vec<_>, _>>()?;
        for coach in coaches {
            self.insert_entry(coach);
        }
        self.rebuild_place_index();
        Ok(())
    }

    fn insert_entry(&mut self, coach: JobCoach) {
        let mut entry = CoachEntry::new(coach);
        entry.reserved = self.reserved_hours(&entry.coach.id);
        match self.by_id.get(&entry.coach.id) {
            Some(&index) => {
                self.capacity[index as usize] = Capacity::of(&entry);
                self.entries[index as usize] = entry;
            }
            None => {
                self.by_id.insert(entry.coach.id.clone(), self.entries.len() as u32);
                self.capacity.push(Capacity::of(&entry));
                self.entries.push(entry);
            }
        }
    }

    fn reserved_hours(&self, coach: &CoachId) -> f32 {
        self.reservations.get(coach).map_or(0.0, |held| held.iter().map(|(_, hours)| hours).sum())
    }

    /// Sets what one referral holds of a coach (`hours` 0 releases it); a coach not
    /// registered (yet) keeps the reservation for when they are.
    pub(crate) fn reserve(&mut self, referral: &str, coach: &CoachId, hours: f32) {
        let held = self.reservations.entry(coach.clone()).or_default();
        held.retain(|(id, _)| id != referral);
        if hours > 0.0 {
            held.push((referral.to_owned(), hours));
        }
        if held.is_empty() {
            self.reservations.remove(coach);
        }
        let total = self.reserved_hours(coach);
        if let Some(&index) = self.by_id.get(coach) {
            self.entries[index as usize].reserved = total;
            self.capacity[index as usize] = Capacity::of(&self.entries[index as usize]);
        }
    }

    /// The referrals holding a coach's hours, with their hours.
    pub(crate) fn reservations_of(&self, coach: &CoachId) -> &[(String, f32)] {
        self.reservations.get(coach).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn remove(&mut self, id: &CoachId) -> bool {
        let Some(index) = self.by_id.remove(id) else { return false };
        self.entries.swap_remove(index as usize);
        self.capacity.swap_remove(index as usize);
        if let Some(moved) = self.entries.get(index as usize) {
            self.by_id.insert(moved.coach.id.clone(), index);
        }
        self.rebuild_place_index();
        true
    }

    pub(crate) fn set_committed_hours(&mut self, id: &CoachId, hours: f32) -> Result<(), ScoringError> {
        let index = *self.by_id.get(id).ok_or_else(|| ScoringError::UnknownCoach(id.to_string()))?;
        let entry = &mut self.entries[index as usize];
        let mut updated = entry.coach.clone();
        updated.committed_hours = hours;
        entry.coach = updated.validated()?;
        self.capacity[index as usize] = Capacity::of(entry);
        Ok(())
    }

    /// Accommodations some coach with free hours can provide: a need outside this set can
    /// be turned down without looking at any coach.
    pub(crate) fn coverable(&self) -> u16 {
        self.entries.iter().filter(|entry| entry.free_hours() > 0.0).fold(0, |set, entry| set | entry.supported)
    }

    /// Whether the coach has `hours` free and supports every `uncovered` accommodation
    /// (read from the packed table, so a scan asking it per person stays in cache).
    #[inline]
    pub(crate) fn qualifies(&self, index: u32, hours: f32, uncovered: u16) -> bool {
        let capacity = self.capacity[index as usize];
        capacity.free_hours >= hours && capacity.supported & uncovered == uncovered
    }

    pub(crate) fn get(&self, index: u32) -> &CoachEntry {
        &self.entries[index as usize]
    }

    pub(crate) fn by_id(&self, id: &CoachId) -> Option<&JobCoach> {
        self.by_id.get(id).map(|index| &self.entries[*index as usize].coach)
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Weekly hours over every coach: capacity, and committed to people already.
    pub(crate) fn hours(&self) -> (f64, f64) {
        self.entries.iter().fold((0.0, 0.0), |(capacity, committed), entry| {
            (
                capacity + f64::from(entry.coach.weekly_capacity_hours),
                committed + f64::from(entry.coach.committed_hours + entry.reserved),
            )
        })
    }

    fn rebuild_place_index(&mut self) {
        self.by_teryt.clear();
        self.by_cell.clear();
        let mut cells = Vec::new();
        for (index, entry) in self.entries.iter().enumerate() {
            for area in &entry.teryt {
                self.by_teryt.entry(*area).or_default().push(index as u32);
            }
            if let Some(centre) = entry.centre {
                cells_within(centre.lat, centre.lon, entry.coach.area.radius_km, &mut cells);
                if self.by_cell.is_empty() {
                    self.by_cell = vec![Vec::new(); CELL_COUNT];
                }
                for cell in &cells {
                    self.by_cell[*cell as usize].push(index as u32);
                }
            }
        }
    }

    /// Whether `accept` holds for some coach who serves a TERYT unit the place lies in.
    #[inline]
    pub(crate) fn any_serving_unit(&self, packed_teryt: u32, mut accept: impl FnMut(u32) -> bool) -> bool {
        for len in [2, 4, 6, 7] {
            let Some(prefix) = packed_prefix(packed_teryt, len) else { break };
            for &index in self.by_teryt.get(&prefix).map(Vec::as_slice).unwrap_or_default() {
                if accept(index) {
                    return true;
                }
            }
        }
        false
    }

    /// Whether `accept` holds for some coach whose radius (or unit) covers the place, among
    /// those whose radius reaches its grid cell.
    #[inline]
    pub(crate) fn any_in_radius(
        &self,
        lat: f32,
        lon: f32,
        packed_teryt: u32,
        mut accept: impl FnMut(u32) -> bool,
    ) -> bool {
        self.by_cell
            .get(cell_of(lat, lon))
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .any(|&index| accept(index) && self.entries[index as usize].covers(lat, lon, packed_teryt).is_some())
    }

    /// Calls `visit(index, distance from the coach's centre)` for each coach whose area covers
    /// the place. A coach may be visited twice (by unit and by radius); callers keep the best.
    #[inline]
    pub(crate) fn for_each_covering(
        &self,
        lat: f32,
        lon: f32,
        packed_teryt: u32,
        mut visit: impl FnMut(u32, Option<f32>),
    ) {
        for len in [2, 4, 6, 7] {
            let Some(prefix) = packed_prefix(packed_teryt, len) else { break };
            for &index in self.by_teryt.get(&prefix).map(Vec::as_slice).unwrap_or_default() {
                if let Some(distance) = self.entries[index as usize].covers(lat, lon, packed_teryt) {
                    visit(index, distance);
                }
            }
        }
        for &index in self.by_cell.get(cell_of(lat, lon)).map(Vec::as_slice).unwrap_or_default() {
            if let Some(distance) = self.entries[index as usize].covers(lat, lon, packed_teryt) {
                visit(index, distance);
            }
        }
    }
}

/// How well a coach fits, in [0, 1]: half spare capacity after taking the person on, a
/// quarter the share of still-open preferred accommodations the coach provides, a quarter
/// closeness to the centre of the coach's area (0.5 for areas given by TERYT units only).
/// With `hours` 0 and nothing open it is the best the coach can reach for anyone.
#[inline]
pub(crate) fn coach_quality(entry: &CoachEntry, hours: f32, preferred_open: u16, distance: Option<f32>) -> f32 {
    let capacity = entry.coach.weekly_capacity_hours.max(f32::EPSILON);
    let headroom = ((entry.free_hours() - hours) / capacity).clamp(0.0, 1.0);
    let coverage = share(preferred_open & entry.supported, preferred_open);
    let proximity = match distance {
        Some(distance) => (1.0 - distance / entry.coach.area.radius_km.max(f32::EPSILON)).clamp(0.0, 1.0),
        None => 0.5,
    };
    0.5 * headroom + 0.25 * coverage + 0.25 * proximity
}

/// Share of `of` that `met` holds, 1 when `of` is empty.
#[inline]
fn share(met: u16, of: u16) -> f32 {
    if of == 0 { 1.0 } else { met.count_ones() as f32 / of.count_ones() as f32 }
}

/// Slots of a [`UnitCoachMemo`]: a power of two.
const MEMO_SLOTS: usize = 1024;

/// One remembered answer: the question (the home's packed TERYT code, the hours, the
/// accommodations to support) and whether a coach serving one of the home's units could
/// give them. `teryt` 0 (no packed code is 0) marks an empty slot, which no question meets.
#[derive(Debug, Clone, Copy, Default)]
struct MemoSlot {
    teryt: u32,
    hours: u32,
    uncovered: u16,
    answer: bool,
}

/// The answers of [`CoachBook::any_serving_unit`] for the coach hours a person needs,
/// remembered for one scan (coach capacity does not change while a scan holds the pool).
///
/// Exists for remote work, where the coach must serve the person's home: a national scan
/// asked the coaches of the home's voivodeship, powiat and gmina for each of a few hundred
/// thousand people, and people of one gmina with the same need share the answer. Direct-
/// mapped: a question that lands on another's slot replaces it. The slots are made at the
/// first question, so a scan that asks none (every on-site offer) allocates nothing.
#[derive(Default)]
pub(crate) struct UnitCoachMemo {
    slots: Vec<MemoSlot>,
}

impl UnitCoachMemo {
    /// Whether some coach serving a unit of `packed_teryt` qualifies for `hours` and
    /// `uncovered` in `book`: remembered, or asked and remembered.
    #[inline]
    pub(crate) fn any_serving_unit(&mut self, book: &CoachBook, packed_teryt: u32, hours: f32, uncovered: u16) -> bool {
        if self.slots.is_empty() {
            self.slots = vec![MemoSlot::default(); MEMO_SLOTS];
        }
        let hours_bits = hours.to_bits();
        let mixed = packed_teryt ^ hours_bits.rotate_left(11) ^ u32::from(uncovered).rotate_left(23);
        let slot = &mut self.slots[(mixed.wrapping_mul(0x9e37_79b1) >> 22) as usize & (MEMO_SLOTS - 1)];
        if slot.teryt == packed_teryt && slot.hours == hours_bits && slot.uncovered == uncovered {
            return slot.answer;
        }
        let answer = book.any_serving_unit(packed_teryt, |index| book.qualifies(index, hours, uncovered));
        *slot = MemoSlot { teryt: packed_teryt, hours: hours_bits, uncovered, answer };
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Remembered answers are the book's answers, for questions that share slots too.
    #[test]
    fn the_memo_answers_as_the_book_does() {
        let mut book = CoachBook::default();
        let coaches: Vec<JobCoach> = (0..40)
            .map(|number| {
                let mut coach = crate::fixtures::coach(&format!("C{number}"));
                coach.weekly_capacity_hours = (number % 7) as f32 * 2.0;
                coach.area.teryt =
                    vec![pomost_domain::TerytCode::parse(["12", "1261", "1465", "1465011"][number % 4]).unwrap()];
                coach
            })
            .collect();
        book.upsert_many(coaches).unwrap();
        let homes = ["1261011", "1465011", "1465028", "0201011", "1206"]
            .map(|code| pack_teryt(pomost_domain::TerytCode::parse(code).unwrap()));
        let mut memo = UnitCoachMemo::default();
        for round in 0..3 {
            for (step, &home) in homes.iter().enumerate() {
                for hours in [0.5f32, 2.0, 6.0, 11.0, 13.0] {
                    for uncovered in [0u16, 1, 2, 4, 6] {
                        let expected = book.any_serving_unit(home, |index| book.qualifies(index, hours, uncovered));
                        let remembered = memo.any_serving_unit(&book, home, hours, uncovered);
                        assert_eq!(remembered, expected, "round {round}, home {step}, {hours} h, {uncovered:b}");
                    }
                }
            }
        }
        assert!(homes.iter().any(|&home| memo.any_serving_unit(&book, home, 2.0, 0)), "some coach qualifies");
        assert!(!memo.any_serving_unit(&book, homes[3], 0.5, 0), "nobody serves 02");
    }
}
