//! The compact participant record the scan reads: one cache line, no pointers.

use pomost_domain::{Participant, TerytCode};

use crate::context::simple_index;
use crate::error::ScoringError;
use crate::skills::SkillBook;

/// Skills kept inside the record; people with more keep all of theirs in the pool's
/// overflow table.
pub(crate) const INLINE_SKILLS: usize = 8;

/// All skills of a person with more than [`INLINE_SKILLS`]: (skill number, level).
pub(crate) type OverflowSkills = Box<[(u16, u8)]>;

/// Skill levels (two bits each) in a word of a [`skill_table`].
const LEVELS_PER_WORD: usize = 8;

/// A person's skills as the pool's table holds them past the record: the numbers, then
/// their levels two bits each, eight to a word. The skills bound of a scan reads the
/// numbers alone, two bytes a skill (nine skills fit a cache line, which nine pairs of a
/// number and a level, four bytes each with padding, crossed every other time).
pub(crate) fn skill_table(skills: &[(u16, u8)]) -> Vec<u16> {
    let mut table: Vec<u16> = skills.iter().map(|&(number, _)| number).collect();
    table.resize(skill_table_len(skills.len()), 0);
    for (index, &(_, level)) in skills.iter().enumerate() {
        table[skills.len() + index / LEVELS_PER_WORD] |= u16::from(level & 3) << (2 * (index % LEVELS_PER_WORD));
    }
    table
}

/// The length of the [`skill_table`] of `count` skills.
pub(crate) fn skill_table_len(count: usize) -> usize {
    count + count.div_ceil(LEVELS_PER_WORD)
}

/// The skills of a [`skill_table`] (empty when the table is not as long as the count says).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TableSkills<'a> {
    numbers: &'a [u16],
    levels: &'a [u16],
}

impl<'a> TableSkills<'a> {
    /// The skills of `table`, which holds `count` of them.
    #[inline]
    pub(crate) fn new(table: &'a [u16], count: usize) -> Self {
        if table.len() != skill_table_len(count) {
            return Self { numbers: &[], levels: &[] };
        }
        let (numbers, levels) = table.split_at(count);
        Self { numbers, levels }
    }

    /// The skill numbers, in the person's order.
    #[inline]
    pub(crate) fn numbers(&self) -> &'a [u16] {
        self.numbers
    }

    /// Each skill's number and level (0 unassessed).
    #[inline]
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u16, u8)> + 'a {
        let levels = self.levels;
        self.numbers.iter().enumerate().map(move |(index, &number)| {
            let word = levels.get(index / LEVELS_PER_WORD).copied().unwrap_or(0);
            (number, ((word >> (2 * (index % LEVELS_PER_WORD))) & 3) as u8)
        })
    }
}

pub(crate) const FLAG_CONSENT: u8 = 1;
pub(crate) const FLAG_NIGHT_OK: u8 = 2;
pub(crate) const FLAG_EXEMPT: u8 = 4;
/// Bits 3–7 of the flags: the year the person turns 50, as an offset from
/// [`TURNS_50_BASE`] (0 for earlier years, 31 for later ones or no recorded year of birth),
/// so the scan counts the 50+ group without leaving the record.
pub(crate) const TURNS_50_SHIFT: u8 = 3;
/// The year offset 0 of [`TURNS_50_SHIFT`] stands for.
pub(crate) const TURNS_50_BASE: i32 = 2020;

/// The flag bits of the year a person turns 50.
fn turns_50_bits(birth_year: Option<u16>) -> u8 {
    let offset = birth_year.map_or(31, |year| (i32::from(year) + 50 - TURNS_50_BASE).clamp(0, 31));
    (offset as u8) << TURNS_50_SHIFT
}

/// Whether the record's person is 50 or older in `year` (never without a recorded year of
/// birth; exact for the years 2020 to 2050).
#[inline]
pub(crate) fn is_50_plus(flags: u8, year: i32) -> bool {
    let offset = i32::from(flags >> TURNS_50_SHIFT);
    offset < 31 && TURNS_50_BASE + offset <= year
}
/// Set in [`ParticipantRecord::occupations`] when the person has more than the two claims
/// held inline (all of them are in the pool's occupation table, and the bits below say
/// where: [`ParticipantRecord::occupations_at`]).
pub(crate) const OCCUPATIONS_MORE: u32 = 1 << 28;

/// Set in the last of a person's claims in the pool's occupation table (packed by
/// [`pack_claim`] in the bits below), so that a record need not keep their count.
pub(crate) const CLAIM_LAST: u16 = 1 << 15;

/// A person's claims as the pool's occupation table holds them: packed, the last marked.
pub(crate) fn claim_table(claims: &[OccupationClaim]) -> Vec<u16> {
    let mut table: Vec<u16> = claims.iter().map(|claim| pack_claim(claim) as u16).collect();
    if let Some(last) = table.last_mut() {
        *last |= CLAIM_LAST;
    }
    table
}

/// The claims at the start of `table` up to the one marked last (see [`claim_table`]).
pub(crate) fn claims_in(table: &[u16]) -> &[u16] {
    let len = table.iter().position(|&packed| packed & CLAIM_LAST != 0).map_or(0, |last| last + 1);
    &table[..len]
}

/// The KZiS occupation codes as numbers, in order: a claim's 12-bit index points here.
pub(crate) fn occupation_codes() -> &'static [u32] {
    static CODES: std::sync::OnceLock<Vec<u32>> = std::sync::OnceLock::new();
    CODES.get_or_init(|| pomost_taxonomy::kzis().occupations().iter().filter_map(|code| code.parse().ok()).collect())
}

/// A claim in 14 bits: the kind (1 wanted, 2 past for a year or more, 3 past for less) in
/// bits 12–13 and the code's index in bits 0–11.
pub(crate) fn pack_claim(claim: &OccupationClaim) -> u32 {
    let kind = match claim.kind {
        ClaimKind::Wanted => 1,
        ClaimKind::Experienced => 2,
        ClaimKind::Short => 3,
    };
    (kind << 12) | u32::from(claim.index)
}

/// The claim packed in 14 bits, if any.
pub(crate) fn unpack_claim(packed: u32) -> Option<OccupationClaim> {
    let kind = match (packed >> 12) & 3 {
        1 => ClaimKind::Wanted,
        2 => ClaimKind::Experienced,
        3 => ClaimKind::Short,
        _ => return None,
    };
    Some(OccupationClaim { index: (packed & 0xfff) as u16, kind })
}

/// The inline occupations of a record: the first two claims, or [`OCCUPATIONS_MORE`] when
/// there are others (then all of them are in the pool's table).
pub(crate) fn pack_occupations(claims: &[OccupationClaim]) -> u32 {
    if claims.len() > 2 {
        return OCCUPATIONS_MORE;
    }
    let first = claims.first().map_or(0, pack_claim);
    let second = claims.get(1).map_or(0, pack_claim);
    first | (second << 14)
}

/// What a claim says of the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClaimKind {
    /// An occupation the person wants.
    Wanted,
    /// One they worked in for a year or more.
    Experienced,
    /// One they worked in for less than a year (earns the policy's share of its credit).
    Short,
}

/// A wanted or past occupation, compiled: the index of its KZiS code in
/// [`occupation_codes`] and what kind of claim it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OccupationClaim {
    pub(crate) index: u16,
    pub(crate) kind: ClaimKind,
}

impl OccupationClaim {
    /// The KZiS code as a number.
    pub(crate) fn code(self) -> u32 {
        occupation_codes().get(usize::from(self.index)).copied().unwrap_or(0)
    }
}

/// The compiled occupations of a participant (codes outside KZiS 2023 are left out).
pub(crate) fn occupation_claims(participant: &Participant) -> Vec<OccupationClaim> {
    let wanted = participant.wanted_occupations.iter().map(|code| (code, ClaimKind::Wanted));
    let past = participant
        .past_occupations
        .iter()
        .map(|past| (&past.code, if past.years >= 1.0 { ClaimKind::Experienced } else { ClaimKind::Short }));
    wanted
        .chain(past)
        .filter_map(|(code, kind)| {
            let index = occupation_codes().binary_search(&code.parse().ok()?).ok()?;
            Some(OccupationClaim { index: index as u16, kind })
        })
        .collect()
}

/// Everything scoring reads about a participant, laid out for scanning (64 bytes, one cache
/// line, aligned to one: a record across two lines costs two fetches, and a scan's
/// prefetch of a record asks for its first line only). The certificate degree is here
/// only for the legal working-time rule; cause symbols are not.
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C, align(64))]
pub(crate) struct ParticipantRecord {
    pub(crate) lat: f32,
    pub(crate) lon: f32,
    pub(crate) max_commute_km: f32,
    pub(crate) available_hours: f32,
    pub(crate) coach_hours: f32,
    /// Index into the pool's id and overflow tables.
    pub(crate) slot: u32,
    /// Julian day of registration.
    pub(crate) registered_day: i32,
    /// Home TERYT code packed by [`pack_teryt`].
    pub(crate) home_teryt: u32,
    pub(crate) accommodations_required: u16,
    pub(crate) accommodations_preferred: u16,
    pub(crate) stage: u8,
    pub(crate) degree: u8,
    pub(crate) flags: u8,
    pub(crate) preferred_contracts: u8,
    pub(crate) skill_count: u8,
    /// Gender code ([`pomost_domain::Gender::code`]), for the exposure groups only.
    pub(crate) gender: u8,
    /// Two bits per inline skill: 0 unassessed, else the level.
    pub(crate) skill_levels: u16,
    /// The skills, when they fit; else the first two hold where the pool keeps them
    /// ([`ParticipantRecord::overflow_at`]).
    pub(crate) skills: [u16; INLINE_SKILLS],
    /// Wanted and past occupations, packed by [`pack_occupations`] (0: none); with
    /// [`OCCUPATIONS_MORE`], where the pool holds them ([`ParticipantRecord::occupations_at`]).
    pub(crate) occupations: u32,
}

const _: () = assert!(std::mem::size_of::<ParticipantRecord>() <= 64);

impl ParticipantRecord {
    /// The record of a validated participant, interning its skills; the second value holds
    /// all skills when they do not fit inline.
    pub(crate) fn from_participant(
        participant: &Participant,
        slot: u32,
        book: &mut SkillBook,
    ) -> Result<(Self, Option<OverflowSkills>), ScoringError> {
        let mut skills = Vec::with_capacity(participant.skills.len());
        for claim in &participant.skills {
            let level = claim.level.map_or(0, |level| level.get());
            skills.push((book.intern(&claim.skill)?, level));
        }
        let mut record = ParticipantRecord {
            lat: participant.home.point.lat() as f32,
            lon: participant.home.point.lon() as f32,
            max_commute_km: participant.max_commute_km,
            available_hours: participant.available_hours_per_week,
            coach_hours: participant.coach_hours_per_week,
            slot,
            registered_day: participant.registered_since.to_julian_day(),
            home_teryt: pack_teryt(participant.home.teryt),
            accommodations_required: participant.accommodations_required.as_u16(),
            accommodations_preferred: participant.accommodations_preferred.as_u16(),
            stage: participant.stage.rank(),
            degree: participant.disability.degree.code(),
            flags: flag(participant.consent_to_matching, FLAG_CONSENT)
                | flag(participant.night_shifts_ok, FLAG_NIGHT_OK)
                | flag(participant.disability.working_time_exemption, FLAG_EXEMPT)
                | turns_50_bits(participant.birth_year),
            preferred_contracts: participant.preferred_contracts.as_u8(),
            skill_count: skills.len().min(usize::from(u8::MAX)) as u8,
            gender: pomost_domain::Gender::code(participant.gender),
            skill_levels: 0,
            skills: [0; INLINE_SKILLS],
            occupations: pack_occupations(&occupation_claims(participant)),
        };
        if skills.len() > INLINE_SKILLS {
            return Ok((record, Some(skills.into_boxed_slice())));
        }
        for (position, (skill, level)) in skills.into_iter().enumerate() {
            record.skills[position] = skill;
            record.skill_levels |= u16::from(level & 3) << (2 * position);
        }
        Ok((record, None))
    }

    /// Whether the person needs a job coach at a workplace that provides `provided`: coach
    /// hours of their own, or a required accommodation the workplace does not provide.
    #[inline]
    pub(crate) fn needs_coach(&self, provided: u16) -> bool {
        (self.coach_hours > 0.0) | (self.accommodations_required & !provided != 0)
    }

    /// Skills held inline, with levels; empty when they overflow.
    #[inline]
    pub(crate) fn inline_skills(&self) -> impl Iterator<Item = (u16, u8)> + '_ {
        let count = self.inline_skill_numbers().len();
        (0..count).map(move |position| (self.skills[position], ((self.skill_levels >> (2 * position)) & 3) as u8))
    }

    /// The numbers of [`ParticipantRecord::inline_skills`], without the levels (what the
    /// scan's skills bound reads).
    #[inline]
    pub(crate) fn inline_skill_numbers(&self) -> &[u16] {
        let count = if usize::from(self.skill_count) > INLINE_SKILLS { 0 } else { usize::from(self.skill_count) };
        &self.skills[..count]
    }

    /// Whether the pool holds skills or occupations of this person beside the record (the
    /// people whose extras are laid out in the records' order).
    #[inline]
    pub(crate) fn has_extras(&self) -> bool {
        self.overflows() | self.more_occupations()
    }

    #[inline]
    pub(crate) fn overflows(&self) -> bool {
        usize::from(self.skill_count) > INLINE_SKILLS
    }

    /// Where the pool's table of overflowing skills holds this record's (its
    /// [`SlotExtras::start`](crate::extras::SlotExtras::start)), kept in the skill slots
    /// the record does not use: a scan reads the skills without looking up the slot's
    /// span, a cache miss a person (the spans are by slot, the people in a scan's order
    /// are not). The pool sets it whenever the skills move.
    #[inline]
    pub(crate) fn overflow_at(&self) -> u32 {
        u32::from(self.skills[0]) | (u32::from(self.skills[1]) << 16)
    }

    /// Sets [`ParticipantRecord::overflow_at`] (of a record whose skills overflow).
    pub(crate) fn set_overflow_at(&mut self, start: u32) {
        debug_assert!(self.overflows());
        self.skills[0] = start as u16;
        self.skills[1] = (start >> 16) as u16;
    }

    /// The inline skills as stored, without [`ParticipantRecord::overflow_at`] (which
    /// holds only while the pool's table stays as it is).
    pub(crate) fn stored_skills(&self) -> [u16; INLINE_SKILLS] {
        if self.overflows() { [0; INLINE_SKILLS] } else { self.skills }
    }

    /// Whether the person's claims are in the pool's occupation table.
    #[inline]
    pub(crate) fn more_occupations(&self) -> bool {
        self.occupations & OCCUPATIONS_MORE != 0
    }

    /// Where the pool's occupation table holds this record's claims (of a record with
    /// [`OCCUPATIONS_MORE`]), for the reason [`ParticipantRecord::overflow_at`] is kept.
    #[inline]
    pub(crate) fn occupations_at(&self) -> u32 {
        self.occupations & (OCCUPATIONS_MORE - 1)
    }

    /// Sets [`ParticipantRecord::occupations_at`] (below [`OCCUPATIONS_MORE`]).
    pub(crate) fn set_occupations_at(&mut self, start: u32) {
        debug_assert!(self.more_occupations() && start < OCCUPATIONS_MORE);
        self.occupations = OCCUPATIONS_MORE | (start & (OCCUPATIONS_MORE - 1));
    }

    /// The occupations as stored, without [`ParticipantRecord::occupations_at`].
    pub(crate) fn stored_occupations(&self) -> u32 {
        if self.more_occupations() { OCCUPATIONS_MORE } else { self.occupations }
    }
}

/// A record's key beside it in the pool's arena is its [`simple_index`]: where a scan of a
/// bucket nobody in it can fail the commute of (every remote offer's bucket, and a regional
/// offer's buckets well inside their commute band) learns who fails a simple constraint
/// without reading their record.
impl crate::arena::Keyed for ParticipantRecord {
    type Key = u8;

    #[inline]
    fn key(&self) -> u8 {
        // The index has 8 bits (3 of flags, 2 of degree, 3 of stage).
        simple_index(self.flags, self.degree, self.stage) as u8
    }

    type Reach = HomeReach;

    /// Where the person lives and how far they will commute: a regional scan tests the
    /// commute of a bucket's people from these alone, twelve bytes a person instead of a
    /// record's sixty-four (two in three people a regional list meets live in buckets
    /// whose commute is not decided for all of them at once).
    #[inline]
    fn reach(&self) -> HomeReach {
        HomeReach { lat: self.lat, lon: self.lon, max_commute_km: self.max_commute_km }
    }

    /// The registration day: buckets ordered by it hold people of like waiting time in a
    /// block, and a block's earliest registration bounds the waiting factor of all of them.
    #[inline]
    fn sort_key(&self) -> i32 {
        self.registered_day
    }
}

/// A record's home and commute limit, copied beside it in the pool's arena (see
/// [`crate::arena::Keyed::reach`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct HomeReach {
    pub(crate) lat: f32,
    pub(crate) lon: f32,
    pub(crate) max_commute_km: f32,
}

fn flag(on: bool, bit: u8) -> u8 {
    if on { bit } else { 0 }
}

/// Packs a TERYT code in 32 bits: the length in the top 3 bits, the digits below.
pub(crate) fn pack_teryt(code: TerytCode) -> u32 {
    (u32::from(code.len()) << 29) | code.digits()
}

/// The packed prefix of `len` digits of a packed code, if the code is that long.
#[inline]
pub(crate) fn packed_prefix(packed: u32, len: u32) -> Option<u32> {
    let own_len = packed >> 29;
    if len > own_len {
        return None;
    }
    let digits = packed & ((1 << 29) - 1);
    // Constant divisors, so each is a multiplication (the scan asks this per person).
    let prefix = match own_len - len {
        0 => digits,
        1 => digits / 10,
        2 => digits / 100,
        3 => digits / 1_000,
        4 => digits / 10_000,
        5 => digits / 100_000,
        6 => digits / 1_000_000,
        shift => digits / 10u32.pow(shift),
    };
    Some((len << 29) | prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skill_tables_read_back_numbers_and_levels() {
        for count in 9..=64usize {
            let skills: Vec<(u16, u8)> =
                (0..count).map(|index| ((index * 977 % 65_000) as u16, ((index * 7 + count) % 4) as u8)).collect();
            let table = skill_table(&skills);
            assert_eq!(table.len(), skill_table_len(count));
            let read = TableSkills::new(&table, count);
            assert_eq!(read.iter().collect::<Vec<_>>(), skills, "{count} skills");
            assert_eq!(read.numbers(), skills.iter().map(|&(number, _)| number).collect::<Vec<_>>());
            // A table of another length reads as none (never another person's skills).
            assert_eq!(TableSkills::new(&table[1..], count).iter().count(), 0);
            assert_eq!(TableSkills::new(&table, count + 1).numbers(), &[] as &[u16]);
        }
    }

    #[test]
    fn claim_tables_end_at_the_marked_claim() {
        let claims: Vec<OccupationClaim> = (0..5)
            .map(|index| OccupationClaim {
                index: 100 + index,
                kind: [ClaimKind::Wanted, ClaimKind::Short][usize::from(index % 2)],
            })
            .collect();
        let mut table = claim_table(&claims);
        table.extend(claim_table(&claims[..3]));
        let first = claims_in(&table);
        assert_eq!(first.len(), 5);
        let read: Vec<OccupationClaim> =
            first.iter().filter_map(|&packed| unpack_claim(u32::from(packed & !CLAIM_LAST))).collect();
        assert_eq!(read, claims);
        assert_eq!(claims_in(&table[5..]).len(), 3);
        assert_eq!(claims_in(&[]).len(), 0);
    }

    #[test]
    fn record_fits_a_cache_line() {
        assert!(std::mem::size_of::<ParticipantRecord>() <= 64);
    }

    #[test]
    fn packed_prefixes_match_code_prefixes() {
        let code = TerytCode::parse("1465011").unwrap();
        for len in [2u8, 4, 6, 7] {
            let expected = code.truncate(len).map(pack_teryt);
            assert_eq!(packed_prefix(pack_teryt(code), u32::from(len)), expected);
        }
        assert_eq!(packed_prefix(pack_teryt(TerytCode::parse("0264").unwrap()), 6), None);
    }
}
