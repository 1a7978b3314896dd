//! `pomost-bench search-recall`: offer search on inflected Polish queries. One offer per
//! KZiS occupation (its name as the title, the ministry's description as the text) is
//! indexed in memory twice, once with each analyzer; each query of
//! `benches/data/inflected-queries.tsv` (plural, genitive plural and feminine forms of the
//! title's words) should find the offer of its occupation among the first ten.

use std::collections::HashMap;
use std::path::Path;

use pomost_index::{IndexOptions, OfferIndex, SearchQuery, TextAnalysis};
use pomost_taxonomy::{Source, kzis, occupation_texts};
use time::Date;

/// One query and the occupation whose offer it should find.
#[derive(Debug, Clone)]
pub struct Query {
    /// KZiS code of the target offer.
    pub code: String,
    /// plural, genitive or feminine.
    pub form: String,
    /// The query text.
    pub text: String,
}

/// Reads `code<TAB>form<TAB>query` lines (`#` comments).
pub fn read_queries(path: &Path) -> Result<Vec<Query>, String> {
    let text = std::fs::read_to_string(path).map_err(|error| format!("{}: {error}", path.display()))?;
    Ok(text
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let mut fields = line.splitn(3, '\t');
            Some(Query { code: fields.next()?.into(), form: fields.next()?.into(), text: fields.next()?.into() })
        })
        .collect())
}

/// Recall and empty answers for one analyzer and one kind of form.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Recall {
    /// Queries.
    pub queries: usize,
    /// Share whose target was among the first ten.
    pub recall_at_10: f64,
    /// Share with no result at all.
    pub zero_results: f64,
}

fn offers(today: Date) -> Vec<pomost_domain::Offer> {
    let descriptions: HashMap<&str, &str> = occupation_texts()
        .iter()
        .filter(|text| text.source == Source::Description)
        .map(|text| (text.code.as_str(), text.text.as_str()))
        .collect();
    let template = pomost_synth::Synth::new(7, today).regional_offer();
    kzis()
        .occupations()
        .iter()
        .map(|code| {
            let mut offer = template.clone();
            offer.key.external_id = code.clone();
            offer.occupation_code = code.clone();
            offer.title = kzis().name(code).unwrap_or_default().to_owned();
            offer.description =
                descriptions.get(code.as_str()).map(|text| text.chars().take(600).collect()).unwrap_or_default();
            offer.required_skills.clear();
            offer.nice_to_have_skills.clear();
            offer
        })
        .collect()
}

/// Measures both analyzers on `queries`: per analyzer, per form and overall.
pub fn measure(queries: &[Query], today: Date) -> Result<Vec<(String, String, Recall)>, String> {
    let offers = offers(today);
    let mut rows = Vec::new();
    for (name, analysis) in
        [("light stemmer (before)", TextAnalysis::LightStem), ("Morfologik lemmas (after)", TextAnalysis::Lemmas)]
    {
        let index = OfferIndex::in_memory(IndexOptions { text_analysis: analysis, ..IndexOptions::default() })
            .map_err(|error| error.to_string())?;
        for (seq, offer) in offers.iter().enumerate() {
            index.upsert(offer, seq as u64 + 1).map_err(|error| error.to_string())?;
        }
        index.flush().map_err(|error| error.to_string())?;
        let mut by_form: HashMap<String, (usize, usize, usize)> = HashMap::new();
        for query in queries {
            let mut search = SearchQuery::text(query.text.clone(), today);
            search.limit = 10;
            let page = index.search(&search).map_err(|error| error.to_string())?;
            let found = page.hits.iter().any(|hit| hit.key.external_id == query.code);
            for form in [query.form.as_str(), "all"] {
                let entry = by_form.entry(form.to_owned()).or_default();
                entry.0 += 1;
                entry.1 += usize::from(found);
                entry.2 += usize::from(page.hits.is_empty());
            }
        }
        let mut forms: Vec<_> = by_form.into_iter().collect();
        forms.sort();
        for (form, (count, found, empty)) in forms {
            let share = |n: usize| n as f64 / count.max(1) as f64;
            rows.push((
                name.to_owned(),
                form,
                Recall { queries: count, recall_at_10: share(found), zero_results: share(empty) },
            ));
        }
    }
    Ok(rows)
}
