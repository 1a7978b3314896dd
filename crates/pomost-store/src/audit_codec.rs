//! The compact body of an audit row: the request's parameters and every returned id and
//! score, exactly (scores are f32 bit patterns, not rounded).
//!
//! Layout (integers LEB128 varints, signed ones zig-zag coded, "packed" = a bit width
//! followed by every value in exactly that many bits):
//! `version=1, flags, [k], [as_of − day of at_ms], [extra JSON length, bytes], count,
//! smallest id number, packed sorted id differences, packed order (Lehmer code), first
//! score bits, packed (previous bits − bits), CRC-32 (4 bytes, little end)`.
//! Flags: 1 = `k` present, 2 = `as_of` present, 4 = other request fields as JSON, 8 = a
//! shortlist's group figures (after the JSON: 11 eligible counts, then 11 attention values
//! in thousandths, all varints). The
//! request's `offer_key` is not repeated when it equals the row's offer. Shortlists are
//! sorted by score, so consecutive bit patterns are close and their differences short.

use pomost_domain::OfferKey;
use serde_json::{Map, Value};

use crate::audit::AuditEntry;

const VERSION: u8 = 1;
const HAS_K: u64 = 1;
const HAS_AS_OF: u64 = 2;
const HAS_EXTRA: u64 = 4;
const HAS_GROUPS: u64 = 8;
/// Groups in a shortlist's group figures.
const GROUPS: usize = 11;

/// A shortlist's group figures as varint-ready numbers, when they have the shape the
/// ranking writes (11 counts, 11 attention values rounded to thousandths).
fn compact_groups(groups: &Value) -> Option<Vec<u64>> {
    let object = groups.as_object()?;
    if object.len() != 2 {
        return None;
    }
    let eligible = object.get("eligible")?.as_array()?;
    let exposure = object.get("exposure")?.as_array()?;
    if eligible.len() != GROUPS || exposure.len() != GROUPS {
        return None;
    }
    let mut numbers = Vec::with_capacity(2 * GROUPS);
    for value in eligible {
        numbers.push(value.as_u64()?);
    }
    for value in exposure {
        let value = value.as_f64()?;
        let thousandths = (value * 1000.0).round();
        if !(0.0..=1e15).contains(&thousandths) || thousandths / 1000.0 != value {
            return None;
        }
        numbers.push(thousandths as u64);
    }
    Some(numbers)
}
const MS_PER_DAY: i64 = 86_400_000;

/// A decoded body.
pub(crate) struct Body {
    /// The request as it was audited.
    pub(crate) request: Value,
    /// Dictionary numbers of the returned ids, in order.
    pub(crate) result_ids: Vec<i64>,
    /// Their scores.
    pub(crate) scores: Vec<f32>,
}

fn put(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_part = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_part + 2) / 5 + 1;
    let month = if month_part < 10 { month_part + 3 } else { month_part - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn format_day(days: i64) -> String {
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Days since the epoch of a canonical `YYYY-MM-DD` text (one that formats back the same).
fn parse_day(text: &str) -> Option<i64> {
    let mut parts = text.split('-');
    let (year, month, day) = (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
    if parts.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    (format_day(days) == text).then_some(days)
}

fn offer_json(key: &OfferKey) -> Value {
    serde_json::json!({ "source": key.source, "external_id": key.external_id })
}

/// Encodes an entry's request and results; `ids` are the results' dictionary numbers.
pub(crate) fn encode_body(entry: &AuditEntry, ids: &[i64]) -> Vec<u8> {
    let mut request = match &entry.request {
        Value::Object(map) => map.clone(),
        Value::Null => Map::new(),
        other => Map::from_iter([("request".to_owned(), other.clone())]),
    };
    if let Some(offer) = &entry.offer
        && request.get("offer_key") == Some(&offer_json(offer))
    {
        request.remove("offer_key");
    }
    let k = request.get("k").and_then(Value::as_u64);
    if k.is_some() {
        request.remove("k");
    }
    let as_of = request.get("as_of").and_then(Value::as_str).and_then(parse_day);
    if as_of.is_some() {
        request.remove("as_of");
    }
    let groups = request.get("groups").and_then(compact_groups);
    if groups.is_some() {
        request.remove("groups");
    }
    let mut flags = 0;
    flags |= if groups.is_some() { HAS_GROUPS } else { 0 };
    flags |= if k.is_some() { HAS_K } else { 0 };
    flags |= if as_of.is_some() { HAS_AS_OF } else { 0 };
    flags |= if request.is_empty() { 0 } else { HAS_EXTRA };
    let mut out = Vec::with_capacity(16 + ids.len() * 5);
    out.push(VERSION);
    put(&mut out, flags);
    if let Some(k) = k {
        put(&mut out, k);
    }
    if let Some(days) = as_of {
        put(&mut out, zigzag(days - entry.at_ms.div_euclid(MS_PER_DAY)));
    }
    if !request.is_empty() {
        let text = Value::Object(request).to_string();
        put(&mut out, text.len() as u64);
        out.extend_from_slice(text.as_bytes());
    }
    for number in groups.iter().flatten() {
        put(&mut out, *number);
    }
    put_ids(&mut out, ids);
    put_scores(&mut out, entry.results.iter().map(|result| result.score));
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Bits needed for a number below `bound`.
fn bits_below(bound: usize) -> u32 {
    if bound <= 1 { 0 } else { usize::BITS - (bound - 1).leading_zeros() }
}

/// Appends values in exactly `bits` bits each (little-endian bit order).
struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    buffer: u64,
    filled: u32,
}

impl<'a> BitWriter<'a> {
    fn new(out: &'a mut Vec<u8>) -> Self {
        Self { out, buffer: 0, filled: 0 }
    }

    fn write(&mut self, value: u64, bits: u32) {
        if bits == 0 {
            return;
        }
        let mut value = value;
        let mut left = bits;
        while left > 0 {
            let take = left.min(32);
            let part = value & ((1u64 << take) - 1);
            self.buffer |= part << self.filled;
            self.filled += take;
            value = if take == 64 { 0 } else { value >> take };
            left -= take;
            while self.filled >= 8 {
                self.out.push(self.buffer as u8);
                self.buffer >>= 8;
                self.filled -= 8;
            }
        }
    }

    fn finish(self) {
        if self.filled > 0 {
            self.out.push(self.buffer as u8);
        }
    }
}

fn bit_length(value: u64) -> u32 {
    u64::BITS - value.leading_zeros()
}

/// Writes `values` packed: their common bit width as one byte, then each in that width.
fn put_packed(out: &mut Vec<u8>, values: &[u64]) {
    let bits = values.iter().map(|value| bit_length(*value)).max().unwrap_or(0);
    out.push(bits as u8);
    let mut writer = BitWriter::new(out);
    for value in values {
        writer.write(*value, bits);
    }
    writer.finish();
}

/// Writes id numbers as their sorted differences plus the order they came in (a Lehmer
/// code, each digit in as few bits as its range needs): names first seen together get
/// neighbouring numbers, so the differences are short.
fn put_ids(out: &mut Vec<u8>, ids: &[i64]) {
    put(out, ids.len() as u64);
    let mut sorted: Vec<i64> = ids.to_vec();
    sorted.sort_unstable();
    let Some(first) = sorted.first().copied() else { return };
    put(out, first as u64);
    let gaps: Vec<u64> = sorted.windows(2).map(|pair| (pair[1] - pair[0]) as u64).collect();
    put_packed(out, &gaps);
    let mut writer = BitWriter::new(out);
    for id in ids {
        let bits = bits_below(sorted.len());
        let digit = sorted.binary_search(id).unwrap_or(0);
        sorted.remove(digit);
        writer.write(digit as u64, bits);
    }
    writer.finish();
}

/// Writes scores: the first one's bits, whether they only go down (a ranking), then the
/// packed differences down the list (plain when they only go down, zig-zag otherwise).
fn put_scores(out: &mut Vec<u8>, scores: impl Iterator<Item = f32>) {
    let bits: Vec<i64> = scores.map(|score| i64::from(score.to_bits())).collect();
    let Some(first) = bits.first() else { return };
    put(out, *first as u64);
    let descending = bits.windows(2).all(|pair| pair[0] >= pair[1]);
    out.push(u8::from(descending));
    let differences: Vec<u64> = bits
        .windows(2)
        .map(|pair| if descending { (pair[0] - pair[1]) as u64 } else { zigzag(pair[0] - pair[1]) })
        .collect();
    put_packed(out, &differences);
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn varint(&mut self) -> Result<u64, &'static str> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.bytes.get(self.at).ok_or("body ends inside a number")?;
            self.at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("number too long")
    }

    /// Reads `count` values of `bits` bits each, starting at the next whole byte.
    fn bits(&mut self, count: usize, bits: u32) -> Result<Vec<u64>, &'static str> {
        let mut values = Vec::with_capacity(count);
        let (mut buffer, mut filled) = (0u128, 0u32);
        for _ in 0..count {
            while filled < bits {
                buffer |= u128::from(self.take(1)?[0]) << filled;
                filled += 8;
            }
            values.push((buffer & ((1u128 << bits) - 1)) as u64);
            buffer >>= bits;
            filled -= bits;
        }
        Ok(values)
    }

    fn packed(&mut self, count: usize) -> Result<Vec<u64>, &'static str> {
        let bits = u32::from(self.take(1)?[0]);
        if bits > 64 {
            return Err("bit width over 64");
        }
        self.bits(count, bits)
    }

    fn ids(&mut self) -> Result<Vec<i64>, &'static str> {
        let count = usize::try_from(self.varint()?).map_err(|_| "count too large")?;
        if count > self.bytes.len() {
            return Err("count larger than the body");
        }
        if count == 0 {
            return Ok(Vec::new());
        }
        let mut previous = i64::try_from(self.varint()?).map_err(|_| "id number too large")?;
        let mut sorted = vec![previous];
        for gap in self.packed(count - 1)? {
            previous = previous.checked_add_unsigned(gap).ok_or("id number too large")?;
            sorted.push(previous);
        }
        let mut ids = Vec::with_capacity(count);
        // Each order digit is in its own width: read them one by one.
        let (mut buffer, mut filled) = (0u64, 0u32);
        while !sorted.is_empty() {
            let bits = bits_below(sorted.len());
            while filled < bits {
                buffer |= u64::from(self.take(1)?[0]) << filled;
                filled += 8;
            }
            let digit = (buffer & ((1u64 << bits) - 1)) as usize;
            buffer >>= bits;
            filled -= bits;
            if digit >= sorted.len() {
                return Err("order digit out of range");
            }
            ids.push(sorted.remove(digit));
        }
        Ok(ids)
    }

    fn scores(&mut self, count: usize) -> Result<Vec<f32>, &'static str> {
        if count == 0 {
            return Ok(Vec::new());
        }
        let mut bits = i64::try_from(self.varint()?).map_err(|_| "score too large")?;
        let mut scores = Vec::with_capacity(count);
        scores.push(f32::from_bits(u32::try_from(bits).map_err(|_| "score out of range")?));
        let descending = match self.take(1)?[0] {
            0 => false,
            1 => true,
            _ => return Err("unknown score order"),
        };
        for difference in self.packed(count - 1)? {
            let difference = if descending {
                i64::try_from(difference).map_err(|_| "score difference too large")?
            } else {
                unzigzag(difference)
            };
            bits = bits.checked_sub(difference).ok_or("score out of range")?;
            scores.push(f32::from_bits(u32::try_from(bits).map_err(|_| "score out of range")?));
        }
        Ok(scores)
    }

    fn take(&mut self, length: usize) -> Result<&[u8], &'static str> {
        let end = self.at.checked_add(length).filter(|end| *end <= self.bytes.len()).ok_or("body too short")?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }
}

/// Decodes a body written by [`encode_body`], checking its CRC.
pub(crate) fn decode_body(bytes: &[u8], at_ms: i64, offer: Option<&OfferKey>) -> Result<Body, &'static str> {
    let split = bytes.len().checked_sub(4).ok_or("body too short")?;
    let (content, crc) = bytes.split_at(split);
    let stored = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
    if crc32fast::hash(content) != stored {
        return Err("checksum mismatch");
    }
    let mut reader = Reader { bytes: content, at: 0 };
    if reader.take(1)? != [VERSION] {
        return Err("unknown body version");
    }
    let flags = reader.varint()?;
    let mut request = Map::new();
    if flags & HAS_K != 0 {
        request.insert("k".into(), reader.varint()?.into());
    }
    if flags & HAS_AS_OF != 0 {
        let days = at_ms.div_euclid(MS_PER_DAY) + unzigzag(reader.varint()?);
        request.insert("as_of".into(), format_day(days).into());
    }
    if flags & HAS_EXTRA != 0 {
        let length = usize::try_from(reader.varint()?).map_err(|_| "length too large")?;
        let extra: Value = serde_json::from_slice(reader.take(length)?).map_err(|_| "request is not JSON")?;
        let Value::Object(extra) = extra else { return Err("request is not an object") };
        request.extend(extra);
    }
    if flags & HAS_GROUPS != 0 {
        let mut eligible = Vec::with_capacity(GROUPS);
        for _ in 0..GROUPS {
            eligible.push(Value::from(reader.varint()?));
        }
        let mut exposure = Vec::with_capacity(GROUPS);
        for _ in 0..GROUPS {
            exposure.push(Value::from(reader.varint()? as f64 / 1000.0));
        }
        request.insert("groups".into(), serde_json::json!({ "eligible": eligible, "exposure": exposure }));
    }
    if let Some(offer) = offer
        && !request.contains_key("offer_key")
        && !request.contains_key("inline_offer")
    {
        request.insert("offer_key".into(), offer_json(offer));
    }
    let result_ids = reader.ids()?;
    let count = result_ids.len();
    let scores = reader.scores(count)?;
    if reader.at != content.len() {
        return Err("trailing bytes");
    }
    Ok(Body { request: Value::Object(request), result_ids, scores })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{AuditAction, AuditResult, Caller};

    fn entry(request: Value, scores: &[f32]) -> AuditEntry {
        AuditEntry {
            request_id: "r".into(),
            at_ms: 1_764_460_800_000,
            caller: Caller { name: "pup".into(), role: "labour_office".into() },
            action: AuditAction::Shortlist,
            offer: Some(OfferKey { source: "s".into(), external_id: "e".into() }),
            participant: None,
            request,
            results: scores
                .iter()
                .enumerate()
                .map(|(i, score)| AuditResult { id: i.to_string(), score: *score })
                .collect(),
            policy_version: "v".into(),
            vocabulary_version: String::new(),
        }
    }

    #[test]
    fn group_figures_round_trip_in_a_few_bytes() {
        let groups = serde_json::json!({
            "eligible": [120, 3, 9, 1, 40, 77, 0, 5, 30, 60, 38],
            "exposure": [2.131, 0.5, 0.0, 0.0, 1.262, 1.893, 0.0, 0.0, 0.631, 1.5, 1.0],
        });
        let request = serde_json::json!({ "k": 20, "as_of": "2025-11-30", "groups": groups });
        let audited = entry(request.clone(), &[0.9, 0.8]);
        let body = encode_body(&audited, &[4, 7]);
        let decoded = decode_body(&body, audited.at_ms, audited.offer.as_ref()).unwrap();
        assert_eq!(decoded.request["groups"], groups);
        let as_json =
            encode_body(&entry(serde_json::json!({ "k": 20, "note": groups.to_string() }), &[0.9, 0.8]), &[4, 7]);
        assert!(body.len() * 2 < as_json.len(), "{} bytes against {} as JSON", body.len(), as_json.len());
        // Figures of another shape stay JSON and come back unchanged.
        let odd = serde_json::json!({ "k": 20, "groups": { "eligible": [1, 2] } });
        let odd_body = encode_body(&entry(odd.clone(), &[0.5]), &[1]);
        assert_eq!(decode_body(&odd_body, audited.at_ms, None).unwrap().request["groups"], odd["groups"]);
    }

    #[test]
    fn days_round_trip() {
        for days in [-1, 0, 1, 20_422, 2_932_896] {
            assert_eq!(parse_day(&format_day(days)), Some(days), "{days}");
        }
        assert_eq!(parse_day("2026-11-30"), Some(20_787));
        assert_eq!(parse_day("2026-02-30"), None);
        assert_eq!(parse_day("26-11-30"), None);
    }

    #[test]
    fn bodies_round_trip_exactly() {
        let request = serde_json::json!({
            "offer_key": { "source": "s", "external_id": "e" }, "k": 50, "as_of": "2026-12-01", "text": "x"
        });
        let scores = [0.9, 0.8999, 0.5, 0.5, f32::MIN_POSITIVE, 0.0, 3.25];
        let entry = entry(request.clone(), &scores);
        let ids: Vec<i64> = vec![7000, 3, 1000, 3, 999_999, 0, 42];
        let body = encode_body(&entry, &ids);
        let decoded = decode_body(&body, entry.at_ms, entry.offer.as_ref()).unwrap();
        assert_eq!(decoded.request, request);
        assert_eq!(decoded.result_ids, ids);
        assert_eq!(decoded.scores.iter().map(|s| s.to_bits()).collect::<Vec<_>>(), scores.map(f32::to_bits).to_vec());
        let mut damaged = body.clone();
        damaged[3] ^= 0x10;
        assert!(decode_body(&damaged, entry.at_ms, entry.offer.as_ref()).is_err());
    }

    #[test]
    fn random_bodies_round_trip_exactly() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..500 {
            let count = (next() % 120) as usize;
            let scores: Vec<f32> = (0..count).map(|_| f32::from_bits((next() % 0x7f80_0000) as u32)).collect();
            let ids: Vec<i64> = (0..count).map(|_| (next() % 3_000_000) as i64).collect();
            let request = serde_json::json!({ "k": next() % 1000, "as_of": "2026-01-31", "text": "ł" });
            let entry = entry(request.clone(), &scores);
            let body = encode_body(&entry, &ids);
            let decoded = decode_body(&body, entry.at_ms, None).unwrap();
            assert_eq!(decoded.result_ids, ids);
            assert_eq!(
                decoded.scores.iter().map(|s| s.to_bits()).collect::<Vec<_>>(),
                scores.iter().map(|s| s.to_bits()).collect::<Vec<_>>()
            );
            assert_eq!(decoded.request, request);
            for cut in [0, 1, body.len() / 2, body.len().saturating_sub(1)] {
                assert!(decode_body(&body[..cut], entry.at_ms, None).is_err(), "a cut body never decodes");
            }
        }
    }

    #[test]
    fn a_shortlist_of_fifty_is_small() {
        // Neighbouring scores of a top 50 differ by about a thousandth.
        let scores: Vec<f32> = (0..50).map(|i| 0.93 - i as f32 * 0.001).collect();
        let entry = entry(
            serde_json::json!({ "offer_key": { "source": "s", "external_id": "e" }, "k": 50, "as_of": "2026-11-30" }),
            &scores,
        );
        let ids: Vec<i64> = (0..50).map(|i| 90_000 + i * 37).collect();
        let body = encode_body(&entry, &ids);
        assert!(body.len() < 200, "{} bytes", body.len());
    }
}
