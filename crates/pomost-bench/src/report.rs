//! The report: docs/benchmarks/README.md with SVG charts drawn by plotters, from one or more
//! run results.

use std::fmt::Write;
use std::path::Path;

use plotters::prelude::*;

use crate::results::RunResult;

type Failure = Box<dyn std::error::Error>;

/// A percentile's label and how to read it.
type Percentile = (&'static str, fn(&crate::results::Latency) -> f64);

const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

fn workload_names(run: &RunResult) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for result in &run.workloads {
        if !names.contains(&result.workload) {
            names.push(result.workload.clone());
        }
    }
    names
}

/// Latency percentiles per workload at the highest concurrency of a run.
fn latency_chart(run: &RunResult, path: &Path) -> Result<(), Failure> {
    let names = workload_names(run);
    let concurrency = run.workloads.iter().map(|result| result.concurrency).max().unwrap_or(1);
    let rows: Vec<_> = names
        .iter()
        .filter_map(|name| {
            run.workloads.iter().find(|result| &result.workload == name && result.concurrency == concurrency)
        })
        .collect();
    let top = rows.iter().map(|result| result.latency.p999_ms).fold(1.0, f64::max) * 1.1;
    let root = SVGBackend::new(path, (800, 420)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("Latency by workload, concurrency {concurrency} (ms, log scale)"), ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(-0.5f64..(rows.len() as f64 - 0.5), (0.05f64..top).log_scale())?;
    chart
        .configure_mesh()
        .x_labels(rows.len())
        .x_label_formatter(&|x| category_label(*x, |index| rows.get(index).map(|row| row.workload.clone())))
        .y_desc("ms")
        .draw()?;
    let series: [Percentile; 4] =
        [("p50", |l| l.p50_ms), ("p90", |l| l.p90_ms), ("p99", |l| l.p99_ms), ("p99.9", |l| l.p999_ms)];
    for (index, (label, value)) in series.iter().enumerate() {
        let color = COLORS[index];
        let points: Vec<(f64, f64)> =
            rows.iter().enumerate().map(|(x, row)| (x as f64, value(&row.latency).max(0.05))).collect();
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
            .label(*label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
        chart.draw_series(points.into_iter().map(|point| Circle::new(point, 3, color.filled())))?;
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
    root.present()?;
    Ok(())
}

/// Throughput against concurrency, one line per workload.
fn throughput_chart(run: &RunResult, path: &Path) -> Result<(), Failure> {
    let names = workload_names(run);
    let top = run.workloads.iter().map(|result| result.throughput).fold(1.0, f64::max) * 1.15;
    let most = run.workloads.iter().map(|result| result.concurrency).max().unwrap_or(1) as f64;
    let root = SVGBackend::new(path, (800, 420)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Throughput against concurrency (requests/s; ingest: offers/s; log scale)", ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d((1f64..most.max(2.0)).log_scale(), (1f64..top).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("concurrent requests")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_desc("per second")
        .draw()?;
    for (index, name) in names.iter().enumerate() {
        let color = COLORS[index % COLORS.len()];
        let points: Vec<(f64, f64)> = run
            .workloads
            .iter()
            .filter(|result| &result.workload == name)
            .map(|result| (result.concurrency as f64, result.throughput.max(1.0)))
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
        chart.draw_series(points.into_iter().map(|point| Circle::new(point, 3, color.filled())))?;
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
    root.present()?;
    Ok(())
}

/// Shortlist latency (p50, one client) against pool size, across runs.
fn pool_size_chart(runs: &[RunResult], path: &Path) -> Result<(), Failure> {
    let mut sized: Vec<&RunResult> = runs.iter().collect();
    sized.sort_by_key(|run| run.participants);
    let least = sized.first().map_or(1, |run| run.participants.max(1)) as f64;
    let most = sized.last().map_or(10, |run| run.participants.max(10)) as f64;
    let point = |run: &RunResult, workload: &str| {
        let smallest =
            run.workloads.iter().filter(|result| result.workload == workload).map(|result| result.concurrency).min()?;
        run.workloads
            .iter()
            .find(|result| result.workload == workload && result.concurrency == smallest)
            .map(|result| (run.participants as f64, result.latency.p50_ms.max(0.01)))
    };
    let top = sized
        .iter()
        .flat_map(|run| [point(run, "shortlist_regional"), point(run, "shortlist_national")])
        .flatten()
        .map(|(_, ms)| ms)
        .fold(1.0, f64::max)
        * 1.5;
    let root = SVGBackend::new(path, (800, 420)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Shortlist latency against pool size (p50, one client, ms; log-log)", ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d((least * 0.8..most * 1.25).log_scale(), (0.05f64..top).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("participants in the pool")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_desc("ms")
        .draw()?;
    for (index, workload) in ["shortlist_regional", "shortlist_national"].into_iter().enumerate() {
        let color = COLORS[index];
        let points: Vec<(f64, f64)> = sized.iter().filter_map(|run| point(run, workload)).collect();
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
            .label(workload)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
        chart.draw_series(points.into_iter().map(|point| Circle::new(point, 3, color.filled())))?;
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
    root.present()?;
    Ok(())
}

/// Writes README.md and the charts into `out` from the runs.
pub fn write(runs: &[RunResult], out: &Path) -> Result<(), Failure> {
    if runs.is_empty() {
        return Err("no results to report".into());
    }
    std::fs::create_dir_all(out)?;
    let largest = runs.iter().max_by_key(|run| run.participants).unwrap_or(&runs[0]);
    latency_chart(largest, &out.join("latency.svg"))?;
    throughput_chart(largest, &out.join("throughput.svg"))?;
    pool_size_chart(runs, &out.join("pool-size.svg"))?;
    let mut text = String::new();
    let mut commits: Vec<&str> = runs.iter().map(|run| run.commit.as_str()).collect();
    commits.dedup();
    let _ = writeln!(text, "# Pomost benchmark report\n");
    let _ = writeln!(
        text,
        "Measured end to end through gRPC on loopback by `pomost-bench` on {} — the 2-core \
         development machine, the same kind CI runs on — at commit {}, on {}. The server and the \
         harness share the machine's cores.\n",
        largest.machine,
        commits.iter().map(|commit| format!("`{commit}`")).collect::<Vec<_>>().join(", "),
        largest.date
    );
    let _ = writeln!(text, "Regenerate: see \"Benchmarks\" in the repository README.\n");
    let _ = writeln!(text, "![latency](latency.svg)\n\n![throughput](throughput.svg)\n\n![pool size](pool-size.svg)\n");
    let mut ordered: Vec<&RunResult> = runs.iter().collect();
    ordered.sort_by_key(|run| std::cmp::Reverse(run.participants));
    for run in ordered {
        let _ = writeln!(text, "## {} participants, {} offers\n", run.participants, run.offers);
        let _ = writeln!(text, "{}", run.markdown());
    }
    let _ = writeln!(
        text,
        "## What the workloads do\n\n\
         - `shortlist_regional`: Shortlist k=50 for on-site offers across the country (rotating over 50).\n\
         - `shortlist_national`: Shortlist k=50 for a remote offer open to everyone.\n\
         - `recommend`: RecommendOffers k=10 for participants picked across the pool.\n\
         - `search`: SearchOffers with text, a region, a weekly-hours cap and no night work.\n\
         - `mixed`: four regional shortlists for every new offer pushed with UpsertOffer.\n\
         - `ingest`: UpsertOffers streams of 500 new offers; throughput counts offers. The writes go \
         at the pace the offer index takes them: beyond `index.max_behind_changes` (100,000) \
         changes behind, a write waits.\n\
         - Push-to-searchable: 30 single offers, each searched for until found, right after the \
         ingest; the first waits for the index to catch up on what the ingest left it (within \
         that bound), the rest for one group commit.\n\n\
         Ranking quality: 20 offers each ask for a rare combination of three skills at level 3; five \
         planted people per offer fit exactly and live next door, beside ten decoys identical but for \
         their skills (five with all three at level 1, five with only two). recall@10 is the share of \
         the planted in the top 10, nDCG@10 rewards them ranking first; a change that weighs skills \
         or levels worse lowers both."
    );
    let others = [
        ("baseline.md", "the same shortlists against PostgreSQL + PostGIS on the same data (`pomost-bench baseline`)"),
        (
            "replicas.md",
            "one and two replicas on one PostgreSQL: throughput, write-to-visible, cold start (`pomost-bench replicas`)",
        ),
        ("placement.md", "the placement cycle: push to match, referrals, coach hours (`pomost-bench placement`)"),
        ("assign.md", "batch assignment against greedy shortlisting (`pomost-bench assign`)"),
        ("exposure.md", "who the rankings pass over (`pomost audit exposure --demo`)"),
    ];
    let present: Vec<_> = others.iter().filter(|(file, _)| out.join(file).exists()).collect();
    if !present.is_empty() {
        let _ = writeln!(text, "\n## Other reports here\n");
        for (file, what) in present {
            let _ = writeln!(text, "- [{file}]({file}): {what}");
        }
    }
    std::fs::write(out.join("README.md"), text)?;
    Ok(())
}

/// The label at `x` on a chart whose categories sit at 0, 1, 2…: the category's name on its
/// tick, nothing between ticks.
fn category_label(x: f64, name: impl Fn(usize) -> Option<String>) -> String {
    let index = x.round();
    if (x - index).abs() < 0.01 && index >= 0.0 { name(index as usize).unwrap_or_default() } else { String::new() }
}

/// The baseline's medians as bars on a log scale: Pomost and PostgreSQL side by side for
/// the regional and the national shortlist, each pair with its ratio.
pub fn baseline_chart(result: &crate::baseline::BaselineResult, path: &Path) -> Result<(), Failure> {
    let kinds = [("regional", &result.regional), ("national", &result.national)];
    let top = kinds.iter().map(|(_, side)| side.postgres.p50_ms.max(side.pomost.p50_ms)).fold(1.0, f64::max) * 3.0;
    let root = SVGBackend::new(path, (800, 420)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("Top-50 shortlist, {} participants: median ms (log scale)", result.participants),
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(-0.5f64..(kinds.len() as f64 - 0.5), (0.1f64..top).log_scale())?;
    chart
        .configure_mesh()
        .x_labels(kinds.len())
        .x_label_formatter(&|x| category_label(*x, |index| kinds.get(index).map(|(name, _)| (*name).to_owned())))
        .y_desc("ms")
        .draw()?;
    let bars = [("Pomost (gRPC)", 0, -0.3), ("PostgreSQL + PostGIS", 1, 0.02)];
    for (label, color_index, offset) in bars {
        let color = COLORS[color_index];
        chart
            .draw_series(kinds.iter().enumerate().map(|(x, (_, side))| {
                let value = if color_index == 0 { side.pomost.p50_ms } else { side.postgres.p50_ms };
                Rectangle::new([(x as f64 + offset, 0.1), (x as f64 + offset + 0.28, value.max(0.1))], color.filled())
            }))?
            .label(label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], color.filled()));
    }
    for (x, (_, side)) in kinds.iter().enumerate() {
        chart.draw_series(std::iter::once(Text::new(
            format!("{:.0}×", side.ratio_p50),
            (x as f64 - 0.05, side.postgres.p50_ms * 1.4),
            ("sans-serif", 16),
        )))?;
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
    root.present()?;
    Ok(())
}

/// The exposure report's chart: each group's ratio of exposure share to pool share, with
/// the four-fifths line under which a group is flagged (suppressed groups left out).
pub fn exposure_chart(groups: &[crate::soak::ExposureShare], path: &Path) -> Result<(), Failure> {
    let shown: Vec<&crate::soak::ExposureShare> = groups.iter().filter(|group| !group.suppressed).collect();
    let rows = shown.len().max(1) as f64;
    let right = shown.iter().map(|group| group.ratio + 0.1).fold(1.4, f64::max);
    let root = SVGBackend::new(path, (900, 120 + 28 * shown.len() as u32)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Exposure share / eligible-pool share per group (flagged under 0.8)", ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(330)
        .build_cartesian_2d(0.0f64..right, -0.5f64..(rows - 0.5))?;
    chart
        .configure_mesh()
        .y_labels(shown.len())
        .y_label_formatter(&|y| {
            category_label(*y, |index| {
                shown.get(index).map(|group| format!("{} ({:.1}% of pool)", group.group, 100.0 * group.pool_share))
            })
        })
        .x_desc("ratio")
        .draw()?;
    chart.draw_series(shown.iter().enumerate().map(|(y, group)| {
        let color = if group.flagged { COLORS[1] } else { COLORS[0] };
        Rectangle::new([(0.0, y as f64 - 0.35), (group.ratio.min(right), y as f64 + 0.35)], color.filled())
    }))?;
    for (x, style) in [(0.8, COLORS[1].stroke_width(2)), (1.0, BLACK.stroke_width(1))] {
        chart.draw_series(std::iter::once(PathElement::new(vec![(x, -0.5), (x, rows - 0.5)], style)))?;
    }
    root.present()?;
    Ok(())
}
