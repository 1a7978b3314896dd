//! Ranking quality: recall@10 and nDCG@10 of planted good matches.

/// Share of the relevant ids found in the first 10 of `ranked`.
pub fn recall_at_10(ranked: &[String], relevant: &[String]) -> f64 {
    if relevant.is_empty() {
        return 1.0;
    }
    let found = ranked.iter().take(10).filter(|id| relevant.contains(id)).count();
    found as f64 / relevant.len().min(10) as f64
}

/// Normalised discounted cumulative gain at 10 with binary relevance.
pub fn ndcg_at_10(ranked: &[String], relevant: &[String]) -> f64 {
    let gain = |position: usize| 1.0 / ((position + 2) as f64).log2();
    let dcg: f64 = ranked
        .iter()
        .take(10)
        .enumerate()
        .filter(|(_, id)| relevant.contains(id))
        .map(|(position, _)| gain(position))
        .sum();
    let ideal: f64 = (0..relevant.len().min(10)).map(gain).sum();
    if ideal == 0.0 { 1.0 } else { dcg / ideal }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|id| (*id).to_owned()).collect()
    }

    #[test]
    fn perfect_partial_and_empty_rankings() {
        let relevant = ids(&["a", "b"]);
        assert_eq!(recall_at_10(&ids(&["a", "b", "c"]), &relevant), 1.0);
        assert!((ndcg_at_10(&ids(&["a", "b", "c"]), &relevant) - 1.0).abs() < 1e-12);
        assert_eq!(recall_at_10(&ids(&["c", "a"]), &relevant), 0.5);
        let swapped = ndcg_at_10(&ids(&["c", "a", "b"]), &relevant);
        assert!(swapped < 1.0 && swapped > 0.5, "{swapped}");
        assert_eq!(recall_at_10(&ids(&["c", "d"]), &relevant), 0.0);
        assert_eq!(ndcg_at_10(&ids(&["c", "d"]), &relevant), 0.0);
    }
}
