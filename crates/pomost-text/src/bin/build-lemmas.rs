//! Builds the shipped lemma map from a dump of the Morfologik Polish dictionary
//! (`scripts/build-morphology.sh` makes the dump: one `form<TAB>lemma<TAB>tags` line per
//! reading). Writes `lemmas.fst` (folded form → how to make its lemma: bytes to cut off the
//! end and the number of the ending to append) and `lemma-endings.txt` (those endings, one
//! a line) into the output directory.
//!
//! Choices made here, so every reader of the map gets the same answer:
//! - a form with several readings takes the lemma of its adjective reading, then noun, then
//!   verbal noun, then the rest (adjectives first, so a substantivised adjective such as
//!   "zielony" or "księgowa" keeps one lemma across its whole paradigm), ties to the lemma
//!   equal to the form, then the shorter, then the alphabetically first;
//! - a feminine job title whose masculine counterpart is a personal masculine noun in the
//!   dictionary ("kelnerka" → "kelner", "sprzedawczyni" → "sprzedawca", "pracownica" →
//!   "pracownik") takes the masculine lemma, so either finds both;
//! - keys are forms lower-cased as written, plus their ASCII-folded spelling where that is
//!   not itself a word; lemmas are stored folded, as every Pomost term is.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::error::Error;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;

use pomost_text::fold;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(dump), Some(out)) = (args.next(), args.next()) else {
        return Err("usage: build-lemmas DUMP.tsv OUT_DIR".into());
    };
    let readings = read_dump(&dump)?;
    let masculine = masculine_persons(&readings);
    let canonical = feminine_to_masculine(&readings, &masculine);
    eprintln!("{} readings, {} feminine titles mapped to masculine", readings.len(), canonical.len());

    // Best reading per form as written (lower case), then per folded form for the forms
    // whose folded spelling is not itself a word: "myć" keeps its own reading under its own
    // key, and "sprzataczka" (typed without Polish letters) finds "sprzątaczka".
    let mut best: HashMap<String, (u8, String)> = HashMap::new();
    for reading in &readings {
        let lemma = fold(canonical.get(&reading.lemma).unwrap_or(&reading.lemma));
        offer(&mut best, reading.form.clone(), (reading.rank, lemma));
    }
    let mut folded: HashMap<String, (u8, String)> = HashMap::new();
    for (form, reading) in &best {
        let key = fold(form);
        if key != *form && !best.contains_key(&key) {
            offer(&mut folded, key, reading.clone());
        }
    }
    best.extend(folded);
    // Each form stores how to turn it into its lemma: cut so many bytes off the end, then
    // append one of a short list of endings. Inflection repeats the same few thousand
    // pairs, so the values share as well as the keys do.
    let mut endings: BTreeMap<String, u64> = BTreeMap::new();
    let mut forms: Vec<(&String, (usize, String))> = best
        .iter()
        .map(|(form, (_, lemma))| {
            let common = form.bytes().zip(lemma.bytes()).take_while(|(a, b)| a == b).count();
            (form, (form.len() - common, lemma[common..].to_string()))
        })
        .collect();
    for (_, (_, ending)) in &forms {
        endings.entry(ending.clone()).or_insert(0);
    }
    for (id, value) in endings.values_mut().enumerate() {
        *value = id as u64;
    }
    let out = PathBuf::from(out);
    let mut list = BufWriter::new(File::create(out.join("lemma-endings.txt"))?);
    for ending in endings.keys() {
        writeln!(list, "{ending}")?;
    }
    list.flush()?;
    forms.sort_unstable();
    let mut builder = fst::MapBuilder::new(BufWriter::new(File::create(out.join("lemmas.fst"))?))?;
    for (form, (cut, ending)) in &forms {
        if *cut > 255 {
            continue;
        }
        builder.insert(form, (endings[ending] << 8) | *cut as u64)?;
    }
    builder.finish()?;
    let lemmas: HashSet<&String> = best.values().map(|(_, lemma)| lemma).collect();
    eprintln!("{} endings", endings.len());
    eprintln!("{} forms, {} lemmas", best.len(), lemmas.len());
    Ok(())
}

struct Reading {
    form: String,
    lemma: String,
    /// 0 adjective, 1 noun, 2 verbal noun, 3 anything else.
    rank: u8,
    personal_masculine_noun: bool,
    feminine_noun: bool,
}

fn read_dump(path: &str) -> Result<Vec<Reading>, Box<dyn Error>> {
    let mut readings = Vec::new();
    for line in BufReader::new(File::open(path)?).lines() {
        let line = line?;
        let mut fields = line.split('\t');
        let (Some(form), Some(lemma), Some(tags)) = (fields.next(), fields.next(), fields.next()) else { continue };
        if form.is_empty() || lemma.is_empty() {
            continue;
        }
        let first = tags.split(['+', '|']).next().unwrap_or("");
        let rank = match first.split(':').next().unwrap_or("") {
            "adj" => 0,
            "subst" | "depr" => 1,
            "ger" => 2,
            _ => 3,
        };
        let readings_of = |pattern: &str| {
            tags.split(['+', '|'])
                .any(|tag| tag.starts_with("subst") && tag.split(':').any(|part| part.split('.').any(|p| p == pattern)))
        };
        readings.push(Reading {
            form: form.to_lowercase(),
            lemma: lemma.to_lowercase(),
            rank,
            personal_masculine_noun: readings_of("m1") && form == lemma,
            feminine_noun: readings_of("f") && form == lemma,
        });
    }
    Ok(readings)
}

fn masculine_persons(readings: &[Reading]) -> HashSet<String> {
    readings.iter().filter(|r| r.personal_masculine_noun).map(|r| r.lemma.clone()).collect()
}

/// Feminine nouns (in their dictionary form) whose masculine counterpart exists.
fn feminine_to_masculine(readings: &[Reading], masculine: &HashSet<String>) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for reading in readings.iter().filter(|r| r.feminine_noun) {
        let lemma = &reading.lemma;
        if let Some(found) = masculine_candidates(lemma).into_iter().find(|c| masculine.contains(c)) {
            map.insert(lemma.clone(), found);
        }
    }
    map
}

/// Masculine forms a feminine job title may come from, most likely first.
fn masculine_candidates(feminine: &str) -> Vec<String> {
    let mut candidates = Vec::new();
    let strip = |suffix: &str| feminine.strip_suffix(suffix).filter(|stem| stem.chars().count() >= 2);
    if let Some(stem) = strip("czyni") {
        candidates.push(format!("{stem}ca"));
    }
    if let Some(stem) = strip("yni").or_else(|| strip("ini")) {
        candidates.push(stem.to_string());
    }
    if let Some(stem) = strip("iczka") {
        candidates.push(format!("{stem}ik"));
    }
    if let Some(stem) = strip("ica") {
        candidates.push(format!("{stem}ik"));
        candidates.push(format!("{stem}ic"));
    }
    if let Some(stem) = strip("ka") {
        candidates.push(stem.to_string());
        candidates.push(format!("{stem}z"));
        candidates.push(format!("{stem}a"));
        if let Some(short) = stem.strip_suffix('c') {
            candidates.push(format!("{short}ec"));
        }
    }
    if let Some(stem) = strip("owa") {
        candidates.push(format!("{stem}owy"));
    }
    if let Some(stem) = strip("na") {
        candidates.push(format!("{stem}ny"));
    }
    candidates
}

/// Keeps `candidate` for `form` if it is better than what is there.
fn offer(best: &mut HashMap<String, (u8, String)>, form: String, candidate: (u8, String)) {
    match best.get_mut(&form) {
        Some(current) if !better(&candidate, current, &form) => {}
        Some(current) => *current = candidate,
        None => {
            best.insert(form, candidate);
        }
    }
}

/// Whether `candidate` is a better reading than `current` for `form`.
fn better(candidate: &(u8, String), current: &(u8, String), form: &str) -> bool {
    let key = |(rank, lemma): &(u8, String)| (*rank, lemma != form, lemma.chars().count(), lemma.clone());
    key(candidate) < key(current)
}
