//! Writes `data/derived-skills.tsv.gz`: for each KZiS occupation ESCO links no skill to,
//! the skills (ESCO labels and local skills) found in its official description, ESCO's
//! description and its unit group's summary and tasks. Run from the repository root after
//! `scripts/build-taxonomy.py`:
//!
//!     cargo run --release -p pomost-taxonomy --bin derive-skills

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use pomost_taxonomy::{Vocabulary, kzis, occupation_texts};

fn main() -> std::io::Result<()> {
    let vocabulary = Vocabulary::shipped();
    let mut texts: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for text in occupation_texts() {
        if !text.source.is_name() {
            texts.entry(text.code.as_str()).or_default().push(text.text.as_str());
        }
    }
    let mut lines = Vec::new();
    let (mut covered, mut empty) = (0, 0);
    for code in kzis().occupations() {
        if vocabulary.skills().has_occupation(code) {
            continue;
        }
        let own = texts.get(code.as_str()).into_iter().flatten();
        let unit = texts.get(&code[..4]).into_iter().flatten();
        let found: BTreeSet<String> = own
            .chain(unit)
            .flat_map(|text| vocabulary.extract_skills(text))
            .filter_map(|skill| vocabulary.skills().get(&skill.id).map(|known| known.id.clone()))
            .collect();
        if found.is_empty() {
            empty += 1;
        } else {
            covered += 1;
        }
        lines.extend(found.into_iter().map(|id| format!("{code}\t{id}\n")));
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/derived-skills.tsv.gz");
    let mut out = flate2::write::GzEncoder::new(std::fs::File::create(path)?, flate2::Compression::best());
    for line in &lines {
        out.write_all(line.as_bytes())?;
    }
    out.finish()?;
    eprintln!("{} links for {covered} occupations ({empty} with none found); wrote {path}", lines.len());
    Ok(())
}
