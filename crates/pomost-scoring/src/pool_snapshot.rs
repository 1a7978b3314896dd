//! The pool as bytes, so a planned restart takes it back in a fraction of a second instead
//! of decoding and checking every stored participant again.
//!
//! What it holds: every participant's compact record (without its slot), id, unit, and the
//! skills and occupations that do not fit the record; the skill numbering the records use;
//! the change-feed position the pool reflects. Coaches and referrals are not in it (the
//! store has few of them and they come from the store as at any start). A CRC-32 over
//! everything closes it; any change to what a record means bumps [`FORMAT`].

use pomost_domain::{ParticipantId, SkillId, SkillRelatedness};

use super::MAX_CLAIMS;
use super::ParticipantPool;
use crate::error::ScoringError;
use crate::record::{ParticipantRecord, occupation_codes, pack_claim, unpack_claim};

const MAGIC: &[u8; 8] = b"POMOSTPS";
/// The layout version; a snapshot of another is not read.
const FORMAT: u32 = 2;

/// A fingerprint of the occupation list the records' claims index into (it is built into
/// the binary; another build may hold another list).
fn occupations_fingerprint() -> u64 {
    occupation_codes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325u64, |hash, code| (hash ^ u64::from(*code)).wrapping_mul(0x0100_0000_01b3))
}

fn unusable(reason: impl Into<String>) -> ScoringError {
    ScoringError::Snapshot(reason.into())
}

impl ParticipantPool {
    /// The pool's participants as bytes, with `seq`, the change-feed position the pool
    /// reflects (see [`ParticipantPool::from_snapshot`]).
    pub fn snapshot(&self, seq: u64) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len * 96 + 1024);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT.to_le_bytes());
        out.extend_from_slice(&seq.to_le_bytes());
        out.extend_from_slice(&occupations_fingerprint().to_le_bytes());
        let skills = self.skills.ids();
        out.extend_from_slice(&(skills.len() as u32).to_le_bytes());
        for skill in skills {
            put_text(&mut out, skill.as_str());
        }
        let units = self.units.names();
        out.extend_from_slice(&(units.len() as u32).to_le_bytes());
        for unit in &units {
            put_text(&mut out, unit);
        }
        out.extend_from_slice(&(self.len as u64).to_le_bytes());
        for bucket in 0..self.records.bucket_count() {
            for record in self.records.bucket(bucket) {
                self.put_participant(&mut out, record);
            }
        }
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    fn put_participant(&self, out: &mut Vec<u8>, record: &ParticipantRecord) {
        put_text(out, self.id_of_slot(record.slot).as_str());
        out.extend_from_slice(&self.units.unit_of(record.slot).to_le_bytes());
        for value in [record.lat, record.lon, record.max_commute_km, record.available_hours, record.coach_hours] {
            out.extend_from_slice(&value.to_le_bytes());
        }
        out.extend_from_slice(&record.registered_day.to_le_bytes());
        out.extend_from_slice(&record.home_teryt.to_le_bytes());
        out.extend_from_slice(&record.accommodations_required.to_le_bytes());
        out.extend_from_slice(&record.accommodations_preferred.to_le_bytes());
        out.extend_from_slice(&[
            record.stage,
            record.degree,
            record.flags,
            record.preferred_contracts,
            record.skill_count,
            record.gender,
        ]);
        out.extend_from_slice(&record.skill_levels.to_le_bytes());
        for skill in record.stored_skills() {
            out.extend_from_slice(&skill.to_le_bytes());
        }
        out.extend_from_slice(&record.stored_occupations().to_le_bytes());
        if record.overflows() {
            let skills = self.skills_beside(record);
            out.extend_from_slice(&(skills.numbers().len() as u32).to_le_bytes());
            for (skill, level) in skills.iter() {
                out.extend_from_slice(&skill.to_le_bytes());
                out.push(level);
            }
        }
        if record.more_occupations() {
            let claims: Vec<_> = self.occupations(record).collect();
            out.extend_from_slice(&(claims.len() as u32).to_le_bytes());
            for claim in claims {
                out.extend_from_slice(&(pack_claim(&claim) as u16).to_le_bytes());
            }
        }
    }

    /// The pool a [`ParticipantPool::snapshot`] holds, with its change-feed position.
    /// Refused (nothing half-built is returned) when the bytes are damaged or of another
    /// format, or were written with another skill relatedness or occupation list than
    /// `relatedness` and this build's: the records' numbers would then mean other skills.
    pub fn from_snapshot(relatedness: &SkillRelatedness, bytes: &[u8]) -> Result<(Self, u64), ScoringError> {
        let Some((body, crc)) = bytes.split_last_chunk::<4>() else {
            return Err(unusable("shorter than its checksum"));
        };
        if crc32fast::hash(body) != u32::from_le_bytes(*crc) {
            return Err(unusable("checksum mismatch (damaged or cut short)"));
        }
        let mut input = Reader { bytes: body };
        if input.take(MAGIC.len())? != MAGIC {
            return Err(unusable("not a pool snapshot"));
        }
        let format = input.u32()?;
        if format != FORMAT {
            return Err(unusable(format!("format {format}, this build reads {FORMAT}")));
        }
        let seq = input.u64()?;
        if input.u64()? != occupations_fingerprint() {
            return Err(unusable("written with another occupation list"));
        }
        let mut pool = ParticipantPool::new(relatedness)?;
        let skill_count = input.u32()? as usize;
        for number in 0..skill_count {
            let skill = SkillId::new(input.text()?).map_err(|error| unusable(error.to_string()))?;
            if usize::from(pool.skills.intern(&skill)?) != number {
                return Err(unusable("written with another skill relatedness"));
            }
        }
        if pool.skills.len() != skill_count {
            return Err(unusable("written with another skill relatedness"));
        }
        let unit_count = input.u32()? as usize;
        let units: Vec<u32> =
            (0..unit_count).map(|_| Ok(pool.units.number(input.text()?))).collect::<Result<_, ScoringError>>()?;
        let count = usize::try_from(input.u64()?).map_err(|_| unusable("participant count"))?;
        pool.places.reserve(count);
        pool.ids.reserve(count);
        pool.records.reserve_in_order(count);
        for _ in 0..count {
            pool.restore_participant(&mut input, &units)?;
        }
        pool.index_ids();
        if !input.bytes.is_empty() {
            return Err(unusable("bytes after the last participant"));
        }
        pool.shrink_to_fit();
        Ok((pool, seq))
    }

    /// Adds the next participant of `input`; `units` maps the snapshot's unit numbers to the
    /// pool's.
    fn restore_participant(&mut self, input: &mut Reader, units: &[u32]) -> Result<(), ScoringError> {
        let id = ParticipantId::new(input.text()?).map_err(|error| unusable(error.to_string()))?;
        let unit = *units.get(input.u32()? as usize).ok_or_else(|| unusable("unit number out of range"))?;
        let [lat, lon, max_commute_km, available_hours, coach_hours] = [(); 5].map(|()| input.f32());
        let mut record = ParticipantRecord {
            lat: lat?,
            lon: lon?,
            max_commute_km: max_commute_km?,
            available_hours: available_hours?,
            coach_hours: coach_hours?,
            slot: 0,
            registered_day: input.u32()? as i32,
            home_teryt: input.u32()?,
            accommodations_required: input.u16()?,
            accommodations_preferred: input.u16()?,
            stage: input.u8()?,
            degree: input.u8()?,
            flags: input.u8()?,
            preferred_contracts: input.u8()?,
            skill_count: input.u8()?,
            gender: input.u8()?,
            skill_levels: input.u16()?,
            skills: [0; crate::record::INLINE_SKILLS],
            occupations: 0,
        };
        for skill in &mut record.skills {
            *skill = input.u16()?;
        }
        record.occupations = input.u32()?;
        let overflow = if record.overflows() {
            let count = input.u32()? as usize;
            // The record's count says how many a scan reads.
            if count != usize::from(record.skill_count) {
                return Err(unusable("skill count"));
            }
            let skills =
                (0..count).map(|_| Ok((input.u16()?, input.u8()?))).collect::<Result<Vec<_>, ScoringError>>()?;
            Some(skills.into_boxed_slice())
        } else {
            None
        };
        let claims = if record.more_occupations() {
            let count = input.u32()? as usize;
            // More than the record holds, and no more than a person can have.
            if !(3..=MAX_CLAIMS).contains(&count) {
                return Err(unusable("occupation claims"));
            }
            let claims = (0..count)
                .map(|_| unpack_claim(u32::from(input.u16()?)).ok_or_else(|| unusable("occupation claim")))
                .collect::<Result<Vec<_>, ScoringError>>()?;
            Some(claims.into_boxed_slice())
        } else {
            None
        };
        // Ids are not checked for repeats (a probe per person): the writer holds each once,
        // the checksum guards the bytes, and the engine compares the count with the store's.
        let slot = self.new_slot_unindexed(id)?;
        record.slot = slot;
        self.units.join_number(slot, unit);
        let moved = self.set_extras(
            &mut record,
            overflow.as_deref().unwrap_or_default(),
            claims.as_deref().unwrap_or_default(),
        );
        self.attach(record);
        if moved {
            self.place_extras();
        }
        Ok(())
    }
}

fn put_text(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(&(text.len() as u32).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
}

/// Reads the snapshot's little-endian fields in order; running out is an error.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, count: usize) -> Result<&'a [u8], ScoringError> {
        if self.bytes.len() < count {
            return Err(unusable("cut short"));
        }
        let (taken, rest) = self.bytes.split_at(count);
        self.bytes = rest;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ScoringError> {
        let mut array = [0; N];
        array.copy_from_slice(self.take(N)?);
        Ok(array)
    }

    fn u8(&mut self) -> Result<u8, ScoringError> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16, ScoringError> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, ScoringError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, ScoringError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    fn f32(&mut self) -> Result<f32, ScoringError> {
        Ok(f32::from_le_bytes(self.array()?))
    }

    fn text(&mut self) -> Result<&'a str, ScoringError> {
        let length = self.u32()? as usize;
        std::str::from_utf8(self.take(length)?).map_err(|_| unusable("text is not UTF-8"))
    }
}

#[cfg(test)]
mod tests {
    use pomost_domain::{PastOccupation, SkillClaim, SkillLevel};

    use super::*;
    use crate::fixtures::{TODAY, coach, offer, person};
    use crate::policy::ScoringPolicy;
    use crate::shortlist::ShortlistRequest;

    fn varied_people() -> Vec<pomost_domain::Participant> {
        let mut people: Vec<_> = (0..40).map(|index| person(&format!("p-{index:02}"))).collect();
        let mut many_skills = person("many-skills");
        many_skills.skills = (0..11)
            .map(|index| SkillClaim {
                skill: SkillId::new(format!("pl:umiejetnosc-{index}")).unwrap(),
                level: SkillLevel::new(1 + index % 3).ok(),
            })
            .collect();
        let mut many_occupations = person("many-occupations");
        many_occupations.wanted_occupations = vec!["911207".into(), "921401".into()];
        many_occupations.past_occupations = vec![PastOccupation { code: "611303".into(), years: 0.5 }];
        many_occupations.unit_id = "cis-2".into();
        people.push(many_skills);
        people.push(many_occupations);
        people
    }

    fn pool_of(people: Vec<pomost_domain::Participant>) -> ParticipantPool {
        ParticipantPool::build(&SkillRelatedness::default(), people, vec![coach("c-1")]).unwrap()
    }

    #[test]
    fn a_restored_pool_ranks_and_explains_as_the_original() {
        let original = pool_of(varied_people());
        let (mut restored, seq) =
            ParticipantPool::from_snapshot(&SkillRelatedness::default(), &original.snapshot(42)).unwrap();
        assert_eq!(seq, 42);
        restored.upsert_coach(coach("c-1")).unwrap();
        assert_eq!(restored.len(), original.len());
        let policy = ScoringPolicy::default();
        let request = ShortlistRequest { offer: &offer(), k: 100, today: TODAY };
        assert_eq!(restored.shortlist(&policy, &request).unwrap(), original.shortlist(&policy, &request).unwrap());
        for id in ["many-skills", "many-occupations", "p-07"] {
            let id = ParticipantId::new(id).unwrap();
            assert_eq!(
                restored.explain(&policy, &id, &offer(), TODAY).unwrap(),
                original.explain(&policy, &id, &offer(), TODAY).unwrap()
            );
        }
        let unit =
            |pool: &ParticipantPool| pool.shortlist_of_unit(&policy, &request, "cis-2").unwrap().candidates.len();
        assert_eq!(unit(&restored), 1);
        assert_eq!(unit(&original), 1);
    }

    /// A snapshot whose bytes are whole (checksum made again) but whose counts of skills or
    /// claims past the record disagree with the record is refused: a scan reads as many as
    /// the record says, where the record says.
    #[test]
    fn counts_past_the_record_that_disagree_with_it_are_refused() {
        let bytes = pool_of(varied_people()).snapshot(7);
        let body = &bytes[..bytes.len() - 4];
        // Where a person's fields start: just after the id's text.
        let after_id = |id: &str| {
            let text = [&(id.len() as u32).to_le_bytes()[..], id.as_bytes()].concat();
            body.windows(text.len()).position(|window| window == text).unwrap() + text.len()
        };
        // The unit, five floats, the registration day, the TERYT code and two accommodation
        // sets come before the byte of the skill count; then one byte, the levels, eight
        // inline skills and the occupations field; then the count of skills past the record
        // (of someone whose skills fit it: the count of claims).
        let skill_count_at = after_id("many-skills") + 4 + 20 + 4 + 4 + 2 + 2 + 4;
        let claims_count_at = after_id("many-occupations") + 4 + 20 + 4 + 4 + 2 + 2 + 6 + 2 + 16 + 4;
        let rewritten = |at: usize, value: &[u8]| {
            let mut body = body.to_vec();
            body[at..at + value.len()].copy_from_slice(value);
            let crc = crc32fast::hash(&body);
            body.extend_from_slice(&crc.to_le_bytes());
            body
        };
        assert_eq!(body[skill_count_at], 11, "the count found where it is written");
        assert_eq!(body[claims_count_at..claims_count_at + 4], 3u32.to_le_bytes(), "the claims found");
        assert!(ParticipantPool::from_snapshot(&SkillRelatedness::default(), &rewritten(0, &body[..1])).is_ok());
        for (bad, why) in [
            (rewritten(skill_count_at, &[12]), "skill count"),
            (rewritten(claims_count_at, &2u32.to_le_bytes()), "occupation claims"),
            (rewritten(claims_count_at, &(MAX_CLAIMS as u32 + 1).to_le_bytes()), "occupation claims"),
        ] {
            let error = ParticipantPool::from_snapshot(&SkillRelatedness::default(), &bad).map(|_| ()).unwrap_err();
            assert!(matches!(error, ScoringError::Snapshot(_)) && error.to_string().contains(why), "{error}");
        }
    }

    #[test]
    fn damaged_cut_or_foreign_snapshots_are_refused() {
        let bytes = pool_of(varied_people()).snapshot(7);
        let mut flipped = bytes.clone();
        flipped[bytes.len() / 2] ^= 1;
        for bad in [&flipped[..], &bytes[..bytes.len() - 1], &bytes[..3], b"POMOSTPS not really"] {
            let error = ParticipantPool::from_snapshot(&SkillRelatedness::default(), bad).map(|_| ()).unwrap_err();
            assert!(matches!(error, ScoringError::Snapshot(_)), "{error}");
        }
        let mut other = SkillRelatedness { group_similarity: 0.5, ..Default::default() };
        other.groups.insert(SkillId::new("pl:inna").unwrap(), "inna".into());
        let error = ParticipantPool::from_snapshot(&other, &bytes).map(|_| ()).unwrap_err();
        assert!(error.to_string().contains("relatedness"), "{error}");
    }
}
