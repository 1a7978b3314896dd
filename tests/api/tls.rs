use std::time::Duration;

use pomost::proto::GetScoringPolicyRequest;
use pomost::proto::matching_service_client::MatchingServiceClient;
use tonic::transport::{Certificate, Channel, ClientTlsConfig};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::fixtures::settings;

#[tokio::test]
async fn tls_serves_with_the_configured_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_pem = certified.cert.pem();
    std::fs::write(dir.path().join("cert.pem"), &cert_pem).unwrap();
    std::fs::write(dir.path().join("key.pem"), certified.signing_key.serialize_pem()).unwrap();
    let mut settings = settings(&dir.path().join("data"));
    settings.tls.cert_path = dir.path().join("cert.pem");
    settings.tls.key_path = dir.path().join("key.pem");
    let listener = tokio::net::TcpListener::bind(settings.listen).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(pomost::server::run(settings, listener, async {
        let _ = stopped.await;
    }));

    let tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(&cert_pem)).domain_name("localhost");
    let channel = Channel::from_shared(format!("https://localhost:{port}"))
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut serving = false;
    for _ in 0..200 {
        let reply =
            HealthClient::new(channel.clone()).check(HealthCheckRequest { service: String::new() }).await.unwrap();
        if reply.into_inner().status() == ServingStatus::Serving {
            serving = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(serving);
    let policy = MatchingServiceClient::new(channel).get_scoring_policy(GetScoringPolicyRequest {}).await.unwrap();
    assert_eq!(policy.into_inner().version, "2026-11.3");

    let plain = Channel::from_shared(format!("http://127.0.0.1:{port}")).unwrap().connect().await;
    if let Ok(plain) = plain {
        let answer = HealthClient::new(plain).check(HealthCheckRequest { service: String::new() }).await;
        assert!(answer.is_err(), "a plaintext client must not get an answer from a TLS server");
    }
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
