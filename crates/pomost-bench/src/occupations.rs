//! `pomost-bench occupations`: trains the occupation suggester from the shipped vocabulary
//! and hand-coded advertisements, and measures it on a fifth of the advertisements that
//! training never sees (chosen by a hash of each advertisement's text, so the split is the
//! same on every machine and for every order of the file).

use std::path::Path;
use std::time::Instant;

use pomost_taxonomy::{
    Example, FieldWeights, OccupationModel, ScoreParams, TrainParams, VocabularyWeights, kzis, occupation_texts,
    vocabulary_examples,
};

/// One hand-coded advertisement.
#[derive(Debug, Clone)]
pub struct Ad {
    /// Expert's KZiS code.
    pub code: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
}

/// Reads the `code,title,description,portal` file.
pub fn read_ads(path: &Path) -> Result<Vec<Ad>, String> {
    let mut reader = csv::Reader::from_path(path).map_err(|error| format!("{}: {error}", path.display()))?;
    let mut ads = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|error| format!("{}: {error}", path.display()))?;
        let (Some(code), Some(title), Some(description)) = (record.get(0), record.get(1), record.get(2)) else {
            continue;
        };
        if code.len() == 6 {
            ads.push(Ad { code: code.to_owned(), title: title.to_owned(), description: description.to_owned() });
        }
    }
    Ok(ads)
}

/// Which fifth an advertisement falls in: 0 is the test split, never trained or tuned on;
/// 1 is the tuning split.
pub fn fifth(ad: &Ad) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in ad.title.bytes().chain([b'\n']).chain(ad.description.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash % 5
}

/// Every number training and scoring take.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Training.
    pub train: TrainParams,
    /// Scoring.
    pub score: ScoreParams,
    /// Vocabulary texts' weights.
    pub vocabulary: VocabularyWeights,
    /// An advertisement's weight.
    pub ad_weight: f32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            train: TrainParams::default(),
            score: ScoreParams::default(),
            vocabulary: VocabularyWeights::default(),
            ad_weight: 1.0,
        }
    }
}

/// Trains on the vocabulary and `ads`.
pub fn train(ads: &[&Ad], settings: &Settings) -> OccupationModel {
    let kzis = kzis();
    let mut examples = vocabulary_examples(occupation_texts(), kzis.occupations(), settings.vocabulary);
    examples.extend(ads.iter().filter(|ad| kzis.is_occupation(&ad.code)).map(|ad| Example {
        code: ad.code.clone(),
        title: ad.title.clone(),
        description: ad.description.clone(),
        weight: settings.ad_weight,
    }));
    OccupationModel::train(&examples, settings.train)
}

/// Accuracy and speed on a test set.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Accuracy {
    /// Advertisements measured.
    pub ads: usize,
    /// Best suggestion right at 6 digits.
    pub top1_6: f64,
    /// Best suggestion right at 4 digits.
    pub top1_4: f64,
    /// Any of the best five right at 6 digits.
    pub top5_6: f64,
    /// Any of the best five right at 4 digits.
    pub top5_4: f64,
    /// Median time per advertisement, one thread, ms.
    pub p50_ms: f64,
    /// 99th percentile time per advertisement, ms.
    pub p99_ms: f64,
}

/// Measures `model` on `ads`; `untitled` sends each as one line (title and description
/// joined by a space), as a client without a separate title would.
pub fn evaluate(model: &OccupationModel, ads: &[&Ad], score: ScoreParams, untitled: bool) -> Accuracy {
    let (mut top1_6, mut top1_4, mut top5_6, mut top5_4) = (0usize, 0usize, 0usize, 0usize);
    let mut times = Vec::with_capacity(ads.len());
    for ad in ads {
        let started = Instant::now();
        let suggestions = if untitled {
            let (title, description) = pomost_taxonomy::split_title(&format!("{} {}", ad.title, ad.description));
            model.suggest(&title, &description, 5, score)
        } else {
            model.suggest(&ad.title, &ad.description, 5, score)
        };
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        let at =
            |n: usize, digits: usize| suggestions.iter().take(n).any(|s| s.code.get(..digits) == ad.code.get(..digits));
        top1_6 += usize::from(at(1, 6));
        top1_4 += usize::from(at(1, 4));
        top5_6 += usize::from(at(5, 6));
        top5_4 += usize::from(at(5, 4));
    }
    times.sort_unstable_by(f64::total_cmp);
    let share = |count: usize| count as f64 / ads.len().max(1) as f64;
    let pick = |q: f64| times.get(((times.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(0.0);
    Accuracy {
        ads: ads.len(),
        top1_6: share(top1_6),
        top1_4: share(top1_4),
        top5_6: share(top5_6),
        top5_4: share(top5_4),
        p50_ms: pick(0.5),
        p99_ms: pick(0.99),
    }
}

/// One line of a result.
pub fn summary(accuracy: &Accuracy) -> String {
    format!(
        "{} ads: top-1 {:.1}% at 6 digits, {:.1}% at 4; top-5 {:.1}% at 6, {:.1}% at 4; p50 {:.2} ms, p99 {:.2} ms",
        accuracy.ads,
        accuracy.top1_6 * 100.0,
        accuracy.top1_4 * 100.0,
        accuracy.top5_6 * 100.0,
        accuracy.top5_4 * 100.0,
        accuracy.p50_ms,
        accuracy.p99_ms
    )
}

/// Tries a grid of settings, training on fifths 2 to 4 and measuring on fifth 1 (the test
/// fifth 0 stays unseen), and prints each.
pub fn tune(ads: &[Ad]) {
    let fit: Vec<&Ad> = ads.iter().filter(|ad| fifth(ad) >= 2).collect();
    let check: Vec<&Ad> = ads.iter().filter(|ad| fifth(ad) == 1).collect();
    let base = Settings::default();
    let mut grid = vec![("default".to_owned(), base)];
    for title in [2.0, 4.0, 6.0] {
        let mut s = base;
        s.train.fields = FieldWeights { title, ..base.train.fields };
        grid.push((format!("title {title}"), s));
    }
    for pair in [0.0, 1.0, 4.0] {
        let mut s = base;
        s.train.fields.title_pair = pair;
        grid.push((format!("pair {pair}"), s));
    }
    for boost in [0.0, 0.15, 0.5] {
        let mut s = base;
        s.score.unit_group_boost = boost;
        grid.push((format!("group boost {boost}"), s));
    }
    for (name, vocabulary) in [
        ("vocab names 3", VocabularyWeights { name: 3.0, ..base.vocabulary }),
        ("vocab names 0.3", VocabularyWeights { name: 0.3, ..base.vocabulary }),
        ("vocab desc 0.1 unit 0.1", VocabularyWeights { description: 0.1, unit: 0.1, ..base.vocabulary }),
        ("vocab desc 1 unit 1", VocabularyWeights { description: 1.0, unit: 1.0, ..base.vocabulary }),
    ] {
        grid.push((name.to_owned(), Settings { vocabulary, ..base }));
    }
    for terms in [150, 1000] {
        let mut s = base;
        s.train.terms_per_code = terms;
        grid.push((format!("terms {terms}"), s));
    }
    for (name, settings) in grid {
        let model = train(&fit, &settings);
        println!("{name:28} {}", summary(&evaluate(&model, &check, settings.score, false)));
    }
}
