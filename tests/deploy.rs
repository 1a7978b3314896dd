//! The deployment files say what the service accepts: the ConfigMap's configuration and the
//! Secret's keys load together, the probes use gRPC health on the served port, and the
//! container runs the binary's real flags.

#![allow(clippy::unwrap_used, missing_docs)]

use std::path::Path;

use pomost::config::{Overrides, Settings};

fn read(relative: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)).unwrap()
}

/// The block scalar under `key: |` in a manifest, with its indentation removed.
fn block(manifest: &str, key: &str) -> String {
    let mut lines = manifest.lines().skip_while(|line| line.trim() != format!("{key}: |"));
    let header = lines.next().unwrap_or_else(|| panic!("{key} not found"));
    let indent = header.len() - header.trim_start().len() + 2;
    lines
        .take_while(|line| line.trim().is_empty() || line.len() - line.trim_start().len() >= indent)
        .map(|line| line.get(indent..).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn configmap_and_secret_load_as_settings() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("pomost.toml");
    let keys = dir.path().join("keys.toml");
    std::fs::write(&config, block(&read("deploy/kubernetes/configmap.yaml"), "pomost.toml")).unwrap();
    std::fs::write(&keys, block(&read("deploy/kubernetes/secret.yaml"), "keys.toml")).unwrap();
    let settings = Settings::load(&[&config, &keys], &Overrides::default()).unwrap();
    assert_eq!(settings.listen.port(), 50051);
    assert_eq!(settings.data_dir, Path::new("/data"));
    assert_eq!(settings.auth.keys.len(), 4);
    assert!(!settings.auth.dev_mode);
}

#[test]
fn probes_ports_and_mounts_agree() {
    let deployment = read("deploy/kubernetes/deployment.yaml");
    assert_eq!(
        deployment.matches("grpc:\n              port: 50051").count(),
        3,
        "startup, readiness and liveness probes"
    );
    assert!(deployment.contains("containerPort: 50051"));
    assert!(
        deployment.contains("claimName: pomost-data")
            && read("deploy/kubernetes/pvc.yaml").contains("name: pomost-data")
    );
    assert!(
        deployment.contains("name: pomost-config")
            && read("deploy/kubernetes/configmap.yaml").contains("name: pomost-config")
    );
    assert!(
        deployment.contains("secretName: pomost-keys")
            && read("deploy/kubernetes/secret.yaml").contains("name: pomost-keys")
    );
    assert!(deployment.contains(r#"args: ["--config", "/etc/pomost/pomost.toml,/etc/pomost-keys/keys.toml"]"#));
    let dockerfile = read("deploy/Dockerfile");
    assert!(dockerfile.contains(r#"ENTRYPOINT ["/usr/local/bin/pomost", "serve"]"#));
    assert!(dockerfile.contains("COPY deploy/pomost.toml /etc/pomost/pomost.toml"));
}

/// Metric names the service exposes (tests/api/metrics.rs checks them on a live server).
const EXPOSED: &[&str] = &[
    "pomost_grpc_requests_total",
    "pomost_grpc_request_duration_seconds_bucket",
    "pomost_grpc_requests_in_flight",
    "pomost_read_model_failures",
    "pomost_state",
    "up",
];

/// The metric names a PromQL expression reads.
fn metrics_in(expr: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut word = String::new();
    for c in expr.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            if (word.starts_with("pomost_") || word == "up") && (c == '{' || c == '[' || c == ')' || c == ' ') {
                names.push(word.clone());
            }
            word.clear();
        }
    }
    names
}

#[test]
fn monitoring_reads_only_metrics_the_service_exposes_and_the_manifests_carry_it() {
    let dashboard: serde_json::Value = serde_json::from_str(&read("deploy/grafana/pomost-dashboard.json")).unwrap();
    let panels = dashboard["panels"].as_array().unwrap();
    assert!(panels.len() >= 10);
    let alerts = read("deploy/prometheus/alerts.yml");
    let mut expressions: Vec<String> = panels
        .iter()
        .flat_map(|panel| panel["targets"].as_array().unwrap().iter())
        .map(|target| target["expr"].as_str().unwrap().to_owned())
        .collect();
    expressions.extend(alerts.lines().filter_map(|line| line.trim().strip_prefix("expr: ")).map(str::to_owned));
    expressions.extend(
        alerts.lines().filter(|line| line.contains("rate(") || line.contains("histogram_quantile")).map(str::to_owned),
    );
    for expr in &expressions {
        for name in metrics_in(expr) {
            assert!(EXPOSED.contains(&name.as_str()), "{name} in {expr:?} is not exposed");
        }
    }
    let monitoring = read("deploy/kubernetes/monitoring.yaml");
    assert_eq!(block(&monitoring, "pomost-alerts.yml").trim_end(), alerts.trim_end());
    assert_eq!(
        block(&monitoring, "pomost-dashboard.json").trim_end(),
        read("deploy/grafana/pomost-dashboard.json").trim_end()
    );
    let deployment = read("deploy/kubernetes/deployment.yaml");
    assert!(deployment.contains("prometheus.io/port: \"9464\"") && deployment.contains("containerPort: 9464"));
    assert!(block(&read("deploy/kubernetes/configmap.yaml"), "pomost.toml").contains("listen = \"0.0.0.0:9464\""));

    let prometheus_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/prometheus");
    match std::process::Command::new("promtool")
        .args(["check", "config", "prometheus.yml"])
        .current_dir(&prometheus_dir)
        .output()
    {
        Ok(output) => assert!(
            output.status.success(),
            "promtool check config failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(error) => eprintln!("SKIPPED promtool check config/rules: promtool is not installed ({error})"),
    }
}

#[test]
fn replica_manifests_follow_one_database_and_stay_available() {
    let deployment = read("deploy/kubernetes/replicas/deployment.yaml");
    assert!(deployment.contains("replicas: 3") && deployment.contains("maxUnavailable: 0"));
    // Readiness follows the change feed: MatchingService is NOT_SERVING while this replica lags.
    assert!(deployment.contains("grpc:\n              port: 50051\n              service: pomost.v1.MatchingService"));
    assert!(deployment.contains("name: POMOST_STORE__URL") && deployment.contains("name: pomost-postgres"));
    assert!(read("deploy/kubernetes/replicas/postgres-secret.yaml").contains("name: pomost-postgres"));
    let pdb = read("deploy/kubernetes/replicas/pdb.yaml");
    assert!(pdb.contains("kind: PodDisruptionBudget") && pdb.contains("minAvailable: 2"));
    assert!(
        pdb.contains("app.kubernetes.io/name: pomost")
            && read("deploy/kubernetes/service.yaml").contains("app.kubernetes.io/name: pomost")
    );

    // The variable the manifests set is the setting the service reads: the real binary
    // tries that database (none listens on port 1) and says so.
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_pomost"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("POMOST_STORE__URL", "postgres://pomost@127.0.0.1:1/pomost")
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(said.contains("database unavailable") && said.contains("127.0.0.1:1/pomost"), "{said}");
    let compose = read("deploy/compose/compose.yaml");
    assert!(compose.contains("POMOST_STORE__URL: postgres://pomost:pomost@postgres:5432/pomost"));
    assert!(compose.contains("pomost-a:") && compose.contains("pomost-b:"));
}
