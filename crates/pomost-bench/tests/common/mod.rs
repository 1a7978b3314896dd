//! What the harness tests share: the service in this process.

use pomost::config::{Overrides, Settings};

/// The service in this process on a free port with a fresh data directory: the directory
/// (kept while the test runs), the address, the stop signal and the server task.
pub async fn in_process_server() -> (
    tempfile::TempDir,
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<(), String>>,
) {
    let data = tempfile::tempdir().unwrap();
    let overrides = Overrides {
        listen: Some("127.0.0.1:0".into()),
        data_dir: Some(data.path().to_owned()),
        ..Overrides::default()
    };
    let mut settings = Settings::load(&[], &overrides).unwrap();
    settings.store.synchronous = pomost_store::Synchronous::Normal;
    let listener = tokio::net::TcpListener::bind(settings.listen).await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(pomost::server::run(settings, listener, async {
        let _ = stopped.await;
    }));
    (data, address, stop, server)
}
