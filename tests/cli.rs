//! The `pomost` binary as a user runs it.

use std::process::Command;

fn pomost(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pomost")).args(args).output().expect("the pomost binary runs")
}

#[test]
fn simulate_prints_an_explained_shortlist() {
    let output = pomost(&["simulate", "--participants", "20000", "--coaches", "200", "--k", "5"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("pool: 20000 participants, 200 coaches"), "{text}");
    assert!(text.contains("offer synth/regional-krakow"), "{text}");
    assert!(text.contains("excluded, commute_too_far:"), "{text}");
    assert!(text.lines().any(|line| line.trim_start().starts_with("5  p-")), "five ranked lines: {text}");
}

#[test]
fn simulate_json_is_the_shortlist() {
    let output =
        pomost(&["simulate", "--participants", "5000", "--coaches", "100", "--offer", "remote", "--k", "3", "--json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let shortlist: serde_json::Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    assert_eq!(shortlist["candidates"].as_array().map(Vec::len), Some(3));
    assert_eq!(shortlist["pool_size"], 5000);
    assert!(shortlist["policy_version"].as_str().is_some_and(|version| !version.is_empty()));
    let factors = &shortlist["candidates"][0]["factors"];
    assert_eq!(factors.as_array().map(Vec::len), Some(7));
}

#[test]
fn bad_arguments_fail_with_usage() {
    let output = pomost(&["simulate", "--offer", "everywhere"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("invalid value"));
}
