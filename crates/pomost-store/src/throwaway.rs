//! A throwaway PostgreSQL server for the tests and the benchmark harness: a cluster in a
//! temporary directory, started by `benches/postgres/start.sh` (which installs Debian's
//! packages when missing) on a free loopback port, stopped and removed on drop. Each test
//! takes a database of its own with [`ThrowawayPostgres::database`].

use std::path::{Path, PathBuf};
use std::process::Command;

/// The scripts that start and stop the cluster.
const SCRIPTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../benches/postgres");

/// A running throwaway cluster (see the module documentation).
pub struct ThrowawayPostgres {
    dir: PathBuf,
    port: u16,
    shared_buffers: String,
    /// A directory with `server.crt` and `server.key` when the server speaks TLS.
    tls: Option<PathBuf>,
}

/// Whether Debian's PostgreSQL (with PostGIS, which start.sh loads) is installed here.
pub fn postgres_installed() -> bool {
    let any = |pattern: &str, leaf: &str| {
        std::fs::read_dir(pattern)
            .map(|entries| entries.flatten().any(|entry| entry.path().join(leaf).exists()))
            .unwrap_or(false)
    };
    any("/usr/lib/postgresql", "bin/initdb") && any("/usr/share/postgresql", "extension/postgis.control")
}

fn run(mut command: Command) -> Result<String, String> {
    let output = command.output().map_err(|error| format!("cannot run {command:?}: {error}"))?;
    if !output.status.success() {
        return Err(format!("{command:?} failed: {}", String::from_utf8_lossy(&output.stderr)));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

impl ThrowawayPostgres {
    /// Starts a small cluster (128 MB of shared buffers) for tests.
    pub fn start() -> Result<Self, String> {
        Self::start_with("128MB")
    }

    /// Starts a cluster in a new temporary directory on a free port with this much
    /// shared memory for buffers (PostgreSQL's `shared_buffers`, e.g. "4GB").
    pub fn start_with(shared_buffers: &str) -> Result<Self, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map_err(|error| format!("no free port: {error}"))?
            .port();
        let dir = std::env::temp_dir().join(format!("pomost-pg-{}-{port}", std::process::id()));
        let cluster = Self { dir, port, shared_buffers: shared_buffers.to_owned(), tls: None };
        cluster.start_server()?;
        Ok(cluster)
    }

    /// Starts the server again after [`ThrowawayPostgres::stop_server`] (same data).
    pub fn start_server(&self) -> Result<(), String> {
        let mut command = Command::new("bash");
        command
            .arg(Path::new(SCRIPTS).join("start.sh"))
            .arg(&self.dir)
            .arg(self.port.to_string())
            .env("PG_SHARED_BUFFERS", &self.shared_buffers);
        if let Some(tls) = &self.tls {
            command.env("PG_SSL_DIR", tls);
        }
        run(command).map(|_| ())
    }

    /// Restarts the server speaking TLS (as well as plain connections) with this
    /// certificate and key (PEM).
    pub fn restart_with_tls(&mut self, cert_pem: &str, key_pem: &str) -> Result<(), String> {
        let tls = self.dir.with_extension("tls");
        std::fs::create_dir_all(&tls).map_err(|error| error.to_string())?;
        std::fs::write(tls.join("server.crt"), cert_pem).map_err(|error| error.to_string())?;
        std::fs::write(tls.join("server.key"), key_pem).map_err(|error| error.to_string())?;
        self.tls = Some(tls);
        self.stop_server()?;
        self.start_server()
    }

    /// Stops the server, keeping its data (to test an outage).
    pub fn stop_server(&self) -> Result<(), String> {
        let mut command = Command::new("bash");
        command.arg(Path::new(SCRIPTS).join("stop.sh")).arg(&self.dir).arg("keep");
        run(command).map(|_| ())
    }

    /// The URL of a new, empty database called `name`.
    pub fn database(&self, name: &str) -> Result<String, String> {
        let admin = format!("postgres://postgres@127.0.0.1:{}/postgres", self.port);
        let mut client =
            postgres::Client::connect(&admin, postgres::NoTls).map_err(|error| format!("{admin}: {error}"))?;
        for statement in [format!("DROP DATABASE IF EXISTS {name}"), format!("CREATE DATABASE {name}")] {
            client.batch_execute(&statement).map_err(|error| {
                let detail = error.as_db_error().map_or_else(|| error.to_string(), |db| db.message().to_owned());
                format!("{statement}: {detail}")
            })?;
        }
        Ok(self.url(name))
    }

    /// The URL of an existing database (start.sh creates `pomost_baseline`, with PostGIS).
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for ThrowawayPostgres {
    fn drop(&mut self) {
        if let Some(tls) = &self.tls {
            let _ = std::fs::remove_dir_all(tls);
        }
        let mut command = Command::new("bash");
        command.arg(Path::new(SCRIPTS).join("stop.sh")).arg(&self.dir);
        let _ = command.output();
    }
}
