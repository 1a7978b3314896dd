use pomost::auth::{Role, hash_key};
use pomost::config::ApiKey;
use pomost::proto::{GetScoringPolicyRequest, ListAuditRequest, UpsertOfferRequest};
use tonic::Code;
use tonic::metadata::MetadataValue;

use crate::fixtures::{TestServer, regional_offer, settings};

fn with_key<T>(message: T, key: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", MetadataValue::try_from(format!("Bearer {key}")).unwrap());
    request
}

#[tokio::test]
async fn keys_and_roles_are_checked_per_method() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings(dir.path());
    settings.auth.dev_mode = false;
    settings.auth.keys = vec![
        ApiKey { name: "board".into(), role: Role::Partner, sha256: hash_key("partner-key") },
        ApiKey { name: "pup-krakow".into(), role: Role::LabourOffice, sha256: hash_key("office-key") },
        ApiKey { name: "ops".into(), role: Role::Admin, sha256: hash_key("admin-key") },
    ];
    let server = TestServer::start(settings).await;
    let offer = || UpsertOfferRequest { offer: Some(regional_offer()) };

    let status = server.offers().upsert_offer(offer()).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    let status = server.offers().upsert_offer(with_key(offer(), "nope")).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    let status = server.offers().upsert_offer(with_key(offer(), "office-key")).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    server.offers().upsert_offer(with_key(offer(), "partner-key")).await.unwrap();

    server.matching().get_scoring_policy(with_key(GetScoringPolicyRequest {}, "partner-key")).await.unwrap();
    let status = server.audit().list_audit(with_key(ListAuditRequest::default(), "office-key")).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    server.audit().list_audit(with_key(ListAuditRequest::default(), "admin-key")).await.unwrap();
    assert_eq!(
        server.health().await,
        tonic_health::pb::health_check_response::ServingStatus::Serving,
        "health needs no key"
    );
    server.stop().await;
}
