//! The harness against a real in-process server: a tiny run measures every workload without
//! errors, finds every planted match, and its result becomes a report with charts.

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::in_process_server;
use pomost_bench::report;
use pomost_bench::run::{RunOptions, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tiny_run_measures_everything_and_reports() {
    let (_data, address, stop, server) = in_process_server().await;

    let options = RunOptions {
        addr: Some(format!("http://{address}")),
        server: None,
        participants: 600,
        offers: 300,
        coaches: 20,
        seconds: 0.3,
        concurrency: vec![1, 2],
        seed: 5,
        commit: "test".into(),
        workloads: Vec::new(),
    };
    let result = run(options).await.unwrap();
    assert_eq!(result.workloads.len(), 12, "six workloads at two concurrency levels");
    for workload in &result.workloads {
        assert!(workload.requests > 0, "{} sent nothing", workload.workload);
        assert!(workload.errors.is_empty(), "{}: {:?}", workload.workload, workload.errors);
        assert!(workload.latency.p50_ms > 0.0 && workload.latency.p50_ms <= workload.latency.max_ms);
    }
    assert_eq!(result.quality.recall_at_10, 1.0, "every planted match is in its top 10");
    assert!(result.quality.ndcg_at_10 > 0.99);
    assert!(result.push_to_searchable.p50_ms > 0.0);
    assert!(result.rss_before_mib.is_none(), "no RSS for a server the harness did not start");

    let out = tempfile::tempdir().unwrap();
    report::write(std::slice::from_ref(&result), out.path()).unwrap();
    let readme = std::fs::read_to_string(out.path().join("README.md")).unwrap();
    assert!(readme.contains("at commit `test`"), "{readme}");
    assert!(readme.contains("| shortlist_regional | 1 |"), "{readme}");
    for chart in ["latency.svg", "throughput.svg", "pool-size.svg"] {
        let svg = std::fs::read_to_string(out.path().join(chart)).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("<text"), "{chart}");
    }
    let json = serde_json::to_string(&result).unwrap();
    assert_eq!(serde_json::from_str::<pomost_bench::results::RunResult>(&json).unwrap(), result);

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tiny_assign_run_places_people_within_every_coach_capacity() {
    let (_data, address, stop, server) = in_process_server().await;
    let options = pomost_bench::assign::AssignOptions {
        run: RunOptions {
            addr: Some(format!("http://{address}")),
            server: None,
            participants: 3_000,
            offers: 60,
            coaches: 30,
            seconds: 0.0,
            concurrency: vec![1],
            seed: 7,
            commit: "test".into(),
            workloads: Vec::new(),
        },
        per_position: 5,
        wide_per_position: Some(20),
        // Half the coaches' hours, so that they bind and the solve must respect them.
        coach_hours_share: 0.5,
    };
    let result = pomost_bench::assign::measure(options).await.unwrap();
    assert!(result.batch.people_placed > 0 && result.greedy.people_placed > 0);
    assert_eq!(result.batch.coaches_over, 0, "{:?}", result.batch);
    let (_, wide) = result.wide.as_ref().unwrap();
    assert_eq!(wide.coaches_over, 0, "{wide:?}");
    if result.batch.optimal && wide.optimal {
        assert!(wide.total_score + 1e-6 >= result.batch.total_score, "more candidates never lower the optimum");
    }
    assert!(result.batch.total_score <= result.batch.bound + 1e-6);
    assert!(wide.total_score <= wide.bound + 1e-6);
    let text = result.markdown();
    assert!(text.contains("greedy shortlists") && text.contains("coaches left 50% of their free hours"), "{text}");
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

#[test]
fn the_exposure_chart_names_each_shown_group_and_marks_the_flagged() {
    use pomost_bench::soak::ExposureShare;
    let group = |name: &str, ratio: f64, flagged: bool, suppressed: bool| ExposureShare {
        group: name.into(),
        pool_share: 0.2,
        exposure_share: 0.2 * ratio,
        ratio,
        flagged,
        suppressed,
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("exposure.svg");
    let groups = [
        group("certificate: severe", 1.05, false, false),
        group("stage: social activation", 0.7, true, false),
        group("too small to show", 0.1, true, true),
    ];
    pomost_bench::report::exposure_chart(&groups, &path).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.contains("certificate: severe (20.0% of pool)") && svg.contains("stage: social activation"));
    assert!(!svg.contains("too small to show"), "a suppressed group is not drawn");
    // The flagged bar takes the second colour (the first is the unflagged one).
    assert!(svg.matches("#FF7F0E").count() >= 2, "flagged bar and four-fifths line");
}
