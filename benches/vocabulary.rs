//! The vocabulary's costs: loading it at start, suggesting occupations for and extracting
//! skills from a 1,500-character advertisement, and typeahead. Prints its figures; run with
//! `cargo bench --bench vocabulary`.

use std::time::{Duration, Instant};

use pomost_taxonomy::Vocabulary;

/// A job advertisement of about 1,500 characters, written for this benchmark.
const AD_TITLE: &str = "Magazynier / Magazynierka - operator wózka widłowego";
const AD_BODY: &str = "Firma logistyczna z wieloletnim doświadczeniem w dystrybucji artykułów spożywczych \
poszukuje osób na stanowisko magazyniera w centrum dystrybucyjnym pod Krakowem. Zakres obowiązków: przyjmowanie \
dostaw i kontrola ilościowa oraz jakościowa towaru, rozładunek i załadunek samochodów, kompletowanie zamówień \
zgodnie z dokumentacją, obsługa wózka widłowego i wózka paletowego, obsługa skanera i systemu magazynowego WMS, \
prowadzenie dokumentacji magazynowej, dbanie o porządek w strefie składowania, udział w inwentaryzacjach. \
Wymagania: uprawnienia UDT na wózki widłowe, doświadczenie w pracy w magazynie mile widziane, gotowość do pracy \
w systemie dwuzmianowym, sumienność, dokładność i umiejętność pracy w zespole, podstawowa obsługa komputera. \
Oferujemy: umowę o pracę na pełen etat, wynagrodzenie zasadnicze oraz premię za wydajność, dofinansowanie do \
karty sportowej i prywatnej opieki medycznej, szkolenia stanowiskowe i wsparcie opiekuna w okresie wdrożenia, \
stabilne zatrudnienie w rozwijającej się firmie, darmowy parking i dojazd autobusem pracowniczym. Zapraszamy \
również osoby z orzeczeniem o niepełnosprawności - stanowisko jest przystosowane, zapewniamy dostępną toaletę \
i możliwość dodatkowych przerw. Osoby zainteresowane prosimy o przesłanie CV przez formularz aplikacyjny. \
Skontaktujemy się z wybranymi kandydatami. Praca od zaraz. Wymiar czasu pracy: 40 godzin \
tygodniowo, od poniedziałku do piątku, w godzinach 6-14 lub 14-22.";

fn percentile(sorted: &[Duration], share: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * share).round() as usize]
}

fn timed(runs: usize, mut work: impl FnMut()) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            work();
            started.elapsed()
        })
        .collect();
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.99))
}

fn main() {
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    let started = Instant::now();
    let vocabulary = Vocabulary::shipped();
    pomost_taxonomy::occupation_model();
    let first_word = pomost_text::lemmatizer().term("magazynierzy");
    let cold = started.elapsed();
    let (rebuild, _) = timed(5, || {
        std::hint::black_box(Vocabulary::shipped());
    });
    println!(
        "load: {:.0} ms at start (KZiS, ESCO skills, extractor, typeahead, suggester, lemma map; {first_word}), \
         {:.0} ms to rebuild the vocabulary alone",
        cold.as_secs_f64() * 1e3,
        rebuild.as_secs_f64() * 1e3
    );
    let text = format!("{AD_TITLE}\n{AD_BODY}");
    println!("advertisement: {} characters", text.chars().count());
    let (p50, p99) = timed(2_000, || {
        std::hint::black_box(vocabulary.suggest_occupations(AD_TITLE, AD_BODY, 5));
    });
    let best = vocabulary.suggest_occupations(AD_TITLE, AD_BODY, 1);
    println!(
        "suggest occupations: p50 {:.3} ms, p99 {:.3} ms (best: {} {})",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        best[0].code,
        best[0].label
    );
    let (p50, p99) = timed(2_000, || {
        std::hint::black_box(vocabulary.extract_skills(&text));
    });
    println!(
        "extract skills: p50 {:.3} ms, p99 {:.3} ms ({} skills found)",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        vocabulary.extract_skills(&text).len()
    );
    let prefixes =
        ["m", "ma", "mag", "magaz", "sprz", "sprzat", "kel", "opiek", "woz wid", "obsl kas", "pielegn", "spaw"];
    let mut times = Vec::new();
    for _ in 0..500 {
        for prefix in prefixes {
            let started = Instant::now();
            std::hint::black_box(vocabulary.suggest_terms(prefix, 10));
            times.push(started.elapsed());
        }
    }
    times.sort();
    println!(
        "suggest terms ({} prefixes of 1 to 7 letters): p50 {:.1} µs, p99 {:.1} µs",
        prefixes.len(),
        percentile(&times, 0.5).as_secs_f64() * 1e6,
        percentile(&times, 0.99).as_secs_f64() * 1e6
    );
}
