//! A real server on an ephemeral port with a temporary data directory, and clients for it.

use std::path::Path;
use std::time::Duration;

use pomost::config::{Overrides, Settings};
use pomost::proto::audit_service_client::AuditServiceClient;
use pomost::proto::matching_service_client::MatchingServiceClient;
use pomost::proto::offer_service_client::OfferServiceClient;
use pomost::proto::participant_service_client::ParticipantServiceClient;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

pub const TODAY: &str = "2026-11-24";

pub fn today() -> time::Date {
    time::macros::date!(2026 - 11 - 24)
}

/// A running server.
pub struct TestServer {
    pub channel: Channel,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), String>>>,
}

/// Settings for a test server over `data_dir`.
pub fn settings(data_dir: &Path) -> Settings {
    let overrides = Overrides {
        listen: Some("127.0.0.1:0".into()),
        data_dir: Some(data_dir.to_owned()),
        log_json: false,
        demo: false,
    };
    let mut settings = Settings::load(&[], &overrides).unwrap();
    settings.index.commit_interval_ms = 20;
    settings.store.synchronous = pomost_store::Synchronous::Normal;
    settings
}

impl TestServer {
    /// Starts a server and waits until health says SERVING.
    pub async fn start(settings: Settings) -> TestServer {
        let listener = tokio::net::TcpListener::bind(settings.listen).await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(pomost::server::run(settings, listener, async {
            let _ = stopped.await;
        }));
        let channel = Channel::from_shared(format!("http://{address}")).unwrap().connect().await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        if task.is_finished() {
            panic!("the server stopped at start: {:?}", task.await);
        }
        let server = TestServer { channel, stop: Some(stop), task: Some(task) };
        server.wait_serving().await;
        server
    }

    pub async fn health(&self) -> ServingStatus {
        let reply =
            HealthClient::new(self.channel.clone()).check(HealthCheckRequest { service: String::new() }).await.unwrap();
        reply.into_inner().status()
    }

    async fn wait_serving(&self) {
        for _ in 0..600 {
            if self.health().await == ServingStatus::Serving {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("server did not become SERVING");
    }

    /// Stops the server and waits for it to drain and close the store.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }

    pub fn offers(&self) -> OfferServiceClient<Channel> {
        OfferServiceClient::new(self.channel.clone())
    }

    pub fn participants(&self) -> ParticipantServiceClient<Channel> {
        ParticipantServiceClient::new(self.channel.clone())
    }

    pub fn matching(&self) -> MatchingServiceClient<Channel> {
        MatchingServiceClient::new(self.channel.clone())
    }

    pub fn audit(&self) -> AuditServiceClient<Channel> {
        AuditServiceClient::new(self.channel.clone())
    }

    pub fn vocabulary(&self) -> pomost::proto::vocabulary_service_client::VocabularyServiceClient<Channel> {
        pomost::proto::vocabulary_service_client::VocabularyServiceClient::new(self.channel.clone())
    }
}

/// Synthetic participants moved into Kraków, so the regional offer has candidates.
pub fn krakow_participants(count: usize) -> Vec<pomost_domain::Participant> {
    pomost_synth::Synth::new(21, today())
        .participants(count)
        .map(|mut person| {
            let lat = 50.06 + (person.home.point.lat() - 52.0) * 0.05;
            let lon = 19.94 + (person.home.point.lon() - 19.5) * 0.05;
            person.home = pomost_domain::Location {
                teryt: pomost_domain::TerytCode::parse("1261").unwrap(),
                point: pomost_domain::GeoPoint::new(lat, lon).unwrap(),
            };
            person.max_commute_km = 30.0;
            person
        })
        .collect()
}

/// The synthetic regional offer in Kraków as a wire message.
pub fn regional_offer() -> pomost::proto::Offer {
    let mut offer = pomost_synth::Synth::new(21, today()).regional_offer();
    offer.title = "Sprzątanie biur w Krakowie".into();
    offer.adaptation_weeks = 16;
    pomost::convert::offer_to_wire(&offer)
}
