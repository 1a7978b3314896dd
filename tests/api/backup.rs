//! Online backup under write load: every offer acknowledged before the backup began is in
//! a service started on the restored directory, and found by search (the index is rebuilt).

use std::sync::{Arc, Mutex};

use pomost::proto::{OfferKey, SearchOffersRequest, UpsertOfferRequest};

use crate::fixtures::{TODAY, TestServer, regional_offer, settings};

fn numbered_offer(number: u32) -> pomost::proto::Offer {
    let mut offer = regional_offer();
    let key = offer.key.as_mut().unwrap();
    key.external_id = format!("backup-{number}");
    offer.title = format!("Pracownik utrzymania czystości {}", 700_000 + number);
    offer
}

#[tokio::test]
async fn a_backup_taken_under_writes_restores_every_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let server = TestServer::start(settings(&data_dir)).await;
    let acknowledged: Arc<Mutex<Vec<u32>>> = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (mut offers, acknowledged, stop) = (server.offers(), acknowledged.clone(), stop.clone());
        tokio::spawn(async move {
            let mut number = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                offers.upsert_offer(UpsertOfferRequest { offer: Some(numbered_offer(number)) }).await.unwrap();
                acknowledged.lock().unwrap().push(number);
                number += 1;
            }
        })
    };
    while acknowledged.lock().unwrap().len() < 50 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let before: Vec<u32> = acknowledged.lock().unwrap().clone();
    let file = dir.path().join("backup.tar.gz");
    let (from, to) = (data_dir.clone(), file.clone());
    let (info, bytes) =
        tokio::task::spawn_blocking(move || pomost::backup::create(&from, &to, "2026-11.3")).await.unwrap().unwrap();
    while acknowledged.lock().unwrap().len() < before.len() + 20 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.await.unwrap();
    server.stop().await;
    assert!(bytes > 0 && info.last_seq >= before.len() as u64, "{info:?}");
    assert!(info.vocabulary_version.starts_with("kzis2023"), "{info:?}");

    let restored_dir = dir.path().join("restored");
    pomost::backup::restore(&file, &restored_dir).unwrap();
    assert!(!restored_dir.join(pomost_engine::INDEX_DIR).exists(), "the index is rebuilt, not restored");
    let restored = TestServer::start(settings(&restored_dir)).await;
    let mut offers = restored.offers();
    for number in &before {
        let key = OfferKey { source: "synth".into(), external_id: format!("backup-{number}") };
        offers.get_offer(key).await.unwrap_or_else(|status| panic!("offer {number} lost: {status:?}"));
    }
    for number in before.iter().step_by(7) {
        let found = offers
            .search_offers(SearchOffersRequest {
                text: format!("{}", 700_000 + number),
                open_on: TODAY.into(),
                limit: 5,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(
            found.hits.iter().any(|hit| hit
                .offer
                .as_ref()
                .and_then(|offer| offer.key.as_ref())
                .is_some_and(|key| key.external_id == format!("backup-{number}"))),
            "offer {number} not searchable after restore"
        );
    }
    restored.stop().await;
}
