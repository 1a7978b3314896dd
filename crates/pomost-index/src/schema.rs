//! The offer schema and the mapping from a domain offer to a tantivy document.

use pomost_domain::{DisabilityDegree, Offer, OfferKey, Workplace, rules};
use tantivy::TantivyDocument;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, NumericOptions, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use crate::analysis::POLISH;

/// Separator between source and external id in the key term (a control character, which
/// validated ids never contain).
const KEY_SEPARATOR: char = '\u{1f}';

/// Height of a [`place_cell`], degrees (about 11 km).
pub(crate) const CELL_LAT: f64 = 0.1;
/// Width of a [`place_cell`], degrees (about 10 km in Poland).
pub(crate) const CELL_LON: f64 = 0.15;
/// Cells in a row of the world grid.
const CELL_COLUMNS: u64 = (360.0 / CELL_LON) as u64 + 1;

/// The row and column of the world grid a point falls in.
pub(crate) fn cell_row_col(lat: f64, lon: f64) -> (u64, u64) {
    let row = ((lat + 90.0) / CELL_LAT).floor().max(0.0) as u64;
    let col = (((lon + 180.0) / CELL_LON).floor().max(0.0) as u64).min(CELL_COLUMNS - 1);
    (row, col)
}

/// The number of a row and column's cell.
pub(crate) fn cell_number(row: u64, col: u64) -> u64 {
    row * CELL_COLUMNS + col
}

/// The cell of a point on a fixed world grid of [`CELL_LAT`] × [`CELL_LON`] degrees.
pub(crate) fn place_cell(lat: f64, lon: f64) -> u64 {
    let (row, col) = cell_row_col(lat, lon);
    cell_number(row, col)
}

/// Handles to every field of the offer schema.
#[derive(Debug, Clone)]
pub(crate) struct OfferFields {
    pub(crate) key: Field,
    pub(crate) source: Field,
    pub(crate) external_id: Field,
    pub(crate) version: Field,
    pub(crate) seq: Field,
    pub(crate) title: Field,
    pub(crate) description: Field,
    pub(crate) skills_text: Field,
    pub(crate) skills: Field,
    pub(crate) region: Field,
    pub(crate) remote: Field,
    pub(crate) lat: Field,
    pub(crate) lon: Field,
    /// The workplace's cell of [`place_cell`]'s grid (on-site offers only): a term the
    /// candidates of a person are found by, instead of scanning every offer's coordinates.
    pub(crate) cell: Field,
    pub(crate) weekly_hours: Field,
    pub(crate) night_work: Field,
    pub(crate) contract_type: Field,
    pub(crate) accommodations: Field,
    pub(crate) valid_from: Field,
    pub(crate) valid_until: Field,
    pub(crate) positions: Field,
    /// The lowest stage the offer accepts (`rules::lowest_stage_accepted` with the
    /// policy's weeks per stage), so a person's stage is one range, not a union of cases.
    pub(crate) lowest_stage: Field,
    /// Each certificate degree whose legal working-time norms the offer keeps (or that has
    /// none), for people without an exemption: one term, not a union of conditions.
    pub(crate) legal_for: Field,
    /// The weeks per stage `lowest_stage` was computed with (in its field name, so another
    /// setting is another schema and the index is rebuilt).
    weeks_per_stage: u8,
}

impl OfferFields {
    pub(crate) fn schema(weeks_per_stage: u8) -> (Schema, OfferFields) {
        let mut builder = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(POLISH)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let filter = NumericOptions::default().set_indexed().set_fast();
        let fields = OfferFields {
            key: builder.add_text_field("key", STRING | STORED | FAST),
            source: builder.add_text_field("source", STRING | STORED),
            external_id: builder.add_text_field("external_id", STRING | STORED),
            version: builder.add_u64_field("version", STORED | FAST),
            seq: builder.add_u64_field("seq", FAST),
            title: builder.add_text_field("title", text.clone()),
            description: builder.add_text_field("description", text.clone()),
            skills_text: builder.add_text_field("skills_text", text),
            skills: builder.add_text_field("skills", STRING),
            region: builder.add_text_field("region", STRING),
            remote: builder.add_u64_field("remote", filter.clone()),
            lat: builder.add_f64_field("lat", filter.clone()),
            lon: builder.add_f64_field("lon", filter.clone()),
            cell: builder.add_u64_field("cell", INDEXED),
            weekly_hours: builder.add_f64_field("weekly_hours", filter.clone()),
            night_work: builder.add_u64_field("night_work", filter.clone()),
            contract_type: builder.add_u64_field("contract_type", filter.clone()),
            accommodations: builder.add_u64_field("accommodations", INDEXED),
            valid_from: builder.add_i64_field("valid_from", filter.clone()),
            valid_until: builder.add_i64_field("valid_until", filter.clone()),
            positions: builder.add_u64_field("positions", filter.clone()),
            lowest_stage: builder
                .add_u64_field(&format!("lowest_stage_at_{weeks_per_stage}_weeks_per_stage"), filter.clone()),
            legal_for: builder.add_u64_field("legal_for_degree", INDEXED),
            weeks_per_stage,
        };
        (builder.build(), fields)
    }

    /// The document for an offer applied at change `seq`: facts only (the stated minimum
    /// stage and the adaptation weeks, never what a policy derives from them).
    pub(crate) fn document(&self, offer: &Offer, seq: u64) -> TantivyDocument {
        let mut document = TantivyDocument::default();
        document.add_text(self.key, key_text(&offer.key));
        document.add_text(self.source, &offer.key.source);
        document.add_text(self.external_id, &offer.key.external_id);
        document.add_u64(self.version, offer.version);
        document.add_u64(self.seq, seq);
        document.add_text(self.title, &offer.title);
        document.add_text(self.description, &offer.description);
        for requirement in offer.required_skills.iter().chain(&offer.nice_to_have_skills) {
            document.add_text(self.skills_text, requirement.skill.as_str());
            document.add_text(self.skills, requirement.skill.as_str());
        }
        match &offer.workplace {
            Workplace::OnSite(location) => {
                let code = location.teryt;
                for len in [2, 4, 6, 7] {
                    if let Some(prefix) = code.truncate(len) {
                        document.add_text(self.region, prefix.to_string());
                    }
                }
                document.add_u64(self.remote, 0);
                document.add_f64(self.lat, location.point.lat());
                document.add_f64(self.lon, location.point.lon());
                document.add_u64(self.cell, place_cell(location.point.lat(), location.point.lon()));
            }
            Workplace::Remote => document.add_u64(self.remote, 1),
        }
        document.add_f64(self.weekly_hours, f64::from(offer.weekly_hours));
        document.add_u64(self.night_work, u64::from(offer.night_work));
        document.add_u64(self.contract_type, offer.contract_type as u64);
        for accommodation in offer.accommodations_provided {
            document.add_u64(self.accommodations, accommodation as u64);
        }
        document.add_i64(self.valid_from, i64::from(offer.valid_from.to_julian_day()));
        document.add_i64(self.valid_until, i64::from(offer.valid_until.to_julian_day()));
        document.add_u64(self.positions, u64::from(offer.positions));
        let lowest = rules::lowest_stage_accepted(offer.min_stage, offer.adaptation_weeks, self.weeks_per_stage);
        document.add_u64(self.lowest_stage, u64::from(lowest));
        for degree in DisabilityDegree::ALL {
            if rules::working_time_violations(degree, false, offer).is_empty() {
                document.add_u64(self.legal_for, u64::from(degree.code()));
            }
        }
        document
    }
}

/// The single term that identifies an offer in the index.
pub(crate) fn key_text(key: &OfferKey) -> String {
    format!("{}{KEY_SEPARATOR}{}", key.source, key.external_id)
}

/// The key of [`key_text`]'s term (`None` for text that is not one).
pub(crate) fn key_of_text(text: &str) -> Option<OfferKey> {
    let (source, external_id) = text.split_once(KEY_SEPARATOR)?;
    Some(OfferKey { source: source.to_owned(), external_id: external_id.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_term_reads_back_as_its_key() {
        let key = OfferKey { source: "praca.gov.pl".into(), external_id: "CBOP/2026/77-x".into() };
        assert_eq!(key_of_text(&key_text(&key)), Some(key));
        assert_eq!(key_of_text("no separator"), None);
    }
}
