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
