//! The edges: bounds on every request field (probed from the descriptors), deadlines,
//! oversize and undecodable bodies, long input in error messages, request ids, a full
//! database, a busy database, deep search paging, and the role matrix.

use std::collections::BTreeMap;
use std::time::Duration;

use pomost::auth::{Role, hash_key};
use pomost::config::ApiKey;
use pomost::convert;
use pomost::proto::{
    JobCoachRef, OfferKey, ParticipantRef, SearchOffersRequest, ShortlistRequest, UpsertOfferRequest, shortlist_request,
};
use prost::Message;
use prost_reflect::{DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, Value};
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::fixtures::{TODAY, TestServer, krakow_participants, regional_offer, settings};
use crate::raw::{call, methods, path};

/// The bounds file: a field's bound by full name, and the defaults.
struct Bounds {
    string: u64,
    repeated: u64,
    fields: BTreeMap<String, u64>,
}

fn bounds() -> Bounds {
    let table: toml::Table = pomost::bounds::BOUNDS_TOML.parse().unwrap();
    let default = table["default"].as_table().unwrap();
    Bounds {
        string: default["string"].as_integer().unwrap() as u64,
        repeated: default["repeated"].as_integer().unwrap() as u64,
        fields: table["field"]
            .as_table()
            .unwrap()
            .iter()
            .map(|(name, value)| (name.clone(), value.as_integer().unwrap() as u64))
            .collect(),
    }
}

/// One probe: a field path from the request's root and the value to put there, and
/// whether the answer must be INVALID_ARGUMENT naming the field.
struct Probe {
    path: Vec<FieldDescriptor>,
    value: Value,
    must_refuse: bool,
}

fn extremes(kind: &Kind) -> Vec<Value> {
    match kind {
        Kind::Double => {
            vec![Value::F64(f64::MAX), Value::F64(-f64::MAX), Value::F64(f64::NAN), Value::F64(f64::INFINITY)]
        }
        Kind::Float => {
            vec![Value::F32(f32::MAX), Value::F32(-f32::MAX), Value::F32(f32::NAN), Value::F32(f32::NEG_INFINITY)]
        }
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => vec![Value::I32(i32::MAX), Value::I32(i32::MIN)],
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => vec![Value::I64(i64::MAX), Value::I64(i64::MIN)],
        Kind::Uint32 | Kind::Fixed32 => vec![Value::U32(u32::MAX)],
        Kind::Uint64 | Kind::Fixed64 => vec![Value::U64(u64::MAX)],
        Kind::Enum(_) => vec![Value::EnumNumber(i32::MAX), Value::EnumNumber(-1)],
        _ => Vec::new(),
    }
}

fn probes(message: &MessageDescriptor, prefix: &[FieldDescriptor], bounds: &Bounds, out: &mut Vec<Probe>) {
    if prefix.len() > 4 {
        return;
    }
    for field in message.fields() {
        let mut path = prefix.to_vec();
        path.push(field.clone());
        let bound = bounds.fields.get(field.full_name()).copied();
        if field.is_map() {
            continue;
        }
        if field.is_list() {
            let count = bound.unwrap_or(bounds.repeated) as usize + 1;
            let item = match field.kind() {
                Kind::String => Value::String("x".into()),
                Kind::Bytes => Value::Bytes(Default::default()),
                Kind::Message(inner) => Value::Message(DynamicMessage::new(inner)),
                Kind::Enum(_) => Value::EnumNumber(1),
                Kind::Bool => Value::Bool(false),
                other => Value::default_value(&other),
            };
            out.push(Probe { path: path.clone(), value: Value::List(vec![item; count]), must_refuse: true });
            if field.kind() == Kind::String {
                let long = Value::String("x".repeat(bounds.string as usize + 1));
                out.push(Probe { path: path.clone(), value: Value::List(vec![long]), must_refuse: true });
            }
            if let Kind::Message(inner) = field.kind() {
                // One item, probed inside.
                let mut inner_probes = Vec::new();
                probes(&inner, &[], bounds, &mut inner_probes);
                for probe in inner_probes {
                    let mut item = DynamicMessage::new(inner.clone());
                    set(&mut item, &probe.path, probe.value);
                    out.push(Probe {
                        path: path.clone(),
                        value: Value::List(vec![Value::Message(item)]),
                        must_refuse: probe.must_refuse,
                    });
                }
            }
            continue;
        }
        match field.kind() {
            Kind::String => {
                let length = bound.unwrap_or(bounds.string) as usize + 1;
                out.push(Probe { path, value: Value::String("ł".repeat(length / 2 + 1)), must_refuse: true });
            }
            Kind::Bytes => {
                let length = bound.unwrap_or(bounds.string) as usize + 1;
                out.push(Probe { path, value: Value::Bytes(vec![0; length].into()), must_refuse: true });
            }
            Kind::Message(inner) => probes(&inner, &path, bounds, out),
            kind => {
                for value in extremes(&kind) {
                    out.push(Probe { path: path.clone(), value, must_refuse: false });
                }
            }
        }
    }
}

fn set(message: &mut DynamicMessage, path: &[FieldDescriptor], value: Value) {
    let (last, parents) = path.split_last().unwrap();
    let mut current = message;
    for field in parents {
        let Value::Message(inner) = current.get_field_mut(field) else { panic!("{} is not a message", field.name()) };
        current = inner;
    }
    current.set_field(last, value);
}

async fn alive(server: &TestServer) {
    assert_eq!(server.health().await, ServingStatus::Serving);
}

#[tokio::test]
async fn every_request_field_past_its_bound_gets_a_clean_status() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(settings(dir.path())).await;
    let bounds = bounds();
    let mut probed = 0;
    for method in methods() {
        let mut list = Vec::new();
        probes(&method.input(), &[], &bounds, &mut list);
        for probe in list {
            let mut message = DynamicMessage::new(method.input());
            let name: Vec<&str> = probe.path.iter().map(FieldDescriptor::name).collect();
            let name = name.join(".");
            set(&mut message, &probe.path, probe.value);
            let (answer, request_id) = call(&server.channel, &method, message.encode_to_vec(), None).await;
            let what = format!("{} {name}", path(&method));
            assert!(request_id.is_some(), "{what}: no x-request-id");
            match answer {
                Ok(_) => assert!(!probe.must_refuse, "{what}: accepted past its bound"),
                Err(status) => {
                    assert!(
                        !matches!(status.code(), Code::Internal | Code::Unknown | Code::Unavailable | Code::DataLoss),
                        "{what}: {status:?}"
                    );
                    assert!(status.message().len() <= 400, "{what}: a message of {} bytes", status.message().len());
                    if probe.must_refuse {
                        assert_eq!(status.code(), Code::InvalidArgument, "{what}: {}", status.message());
                        let field = probe.path.last().unwrap().name();
                        assert!(status.message().contains(field), "{what}: {}", status.message());
                        assert!(status.message().contains("bound"), "{what}: {}", status.message());
                    }
                }
            }
            probed += 1;
        }
    }
    assert!(probed > 200, "only {probed} probes");
    alive(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn garbage_long_input_and_oversize_messages_get_codes_a_client_can_act_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings(dir.path());
    settings.limits.max_message_bytes = 8 * 1024;
    let server = TestServer::start(settings).await;
    let upsert = methods().into_iter().find(|method| method.name() == "UpsertOffer").unwrap();
    let (answer, request_id) = call(&server.channel, &upsert, vec![0xff, 0xff, 0xff, 0x07], None).await;
    let status = answer.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(request_id.is_some_and(|id| id.len() == 36));

    let mut offer = regional_offer();
    offer.description = "opis ".repeat(3_000);
    let status = server.offers().upsert_offer(UpsertOfferRequest { offer: Some(offer) }).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");

    let status = server.participants().get_participant(ParticipantRef { id: "x".repeat(65_536) }).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "over the message size: {status:?}");
    let status = server.participants().get_participant(ParticipantRef { id: "x".repeat(5_000) }).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.message(), "id: is 5000 bytes long, over the bound of 128");
    let region = "9".repeat(100);
    let status = server
        .offers()
        .search_offers(SearchOffersRequest { region: region.clone(), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(!status.message().contains(&region), "quotes at most 64 characters: {}", status.message());
    assert!(status.message().chars().count() < 140, "{}", status.message());
    alive(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn deadlines_answer_deadline_exceeded_and_a_late_write_is_not_applied() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(settings(dir.path())).await;
    let mut client = server.offers();
    let (mut applied, mut refused, mut client_gave_up) = (0, 0, 0);
    let mut refused_keys = Vec::new();
    // At least 60 attempts, and on until some deadline was hit (a fast machine acknowledges
    // most writes within 1–4 ms; half a millisecond then still expires on the server).
    for attempt in 0..600 {
        if attempt >= 60 && refused > 0 {
            break;
        }
        let mut offer = regional_offer();
        offer.key.as_mut().unwrap().external_id = format!("deadline-{attempt}");
        let key = offer.key.clone().unwrap();
        let mut request = tonic::Request::new(UpsertOfferRequest { offer: Some(offer) });
        request.set_timeout(Duration::from_micros([1_000, 2_000, 4_000, 500][attempt % 4]));
        match client.upsert_offer(request).await {
            Ok(_) => {
                applied += 1;
                client.get_offer(key).await.expect("an acknowledged write is stored");
            }
            // tonic's client keeps its own timer and reports CANCELLED when it fires first;
            // then the client never saw the server's answer.
            Err(status) if status.code() == Code::Cancelled && std::error::Error::source(&status).is_some() => {
                client_gave_up += 1
            }
            Err(status) => {
                assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
                refused += 1;
                refused_keys.push(key);
            }
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for key in refused_keys {
        let status = client.get_offer(key.clone()).await.unwrap_err();
        assert_eq!(status.code(), Code::NotFound, "{key:?} was answered DEADLINE_EXCEEDED yet stored");
    }
    eprintln!("0.5–4 ms deadlines: {applied} applied, {refused} refused, {client_gave_up} given up by the client");
    assert!(refused > 0, "no deadline was ever hit");
    server.stop().await;

    // The server's own request timeout: DEADLINE_EXCEEDED too, never CANCELLED.
    let mut seeded = settings(dir.path());
    let server = TestServer::start(seeded.clone()).await;
    let mut participants = server.participants();
    let people: Vec<_> = krakow_participants(3_000).iter().map(convert::participant_to_wire).collect();
    participants.upsert_participants(tokio_stream::iter(people)).await.unwrap();
    let offer = regional_offer();
    server.offers().upsert_offer(UpsertOfferRequest { offer: Some(offer.clone()) }).await.unwrap();
    server.stop().await;
    seeded.limits.request_timeout_ms = 1;
    let server = TestServer::start(seeded).await;
    let mut timed_out = 0;
    for _ in 0..20 {
        let request = ShortlistRequest {
            offer: Some(shortlist_request::Offer::OfferKey(offer.key.clone().unwrap())),
            k: 50,
            as_of: TODAY.into(),
            ..Default::default()
        };
        match server.matching().shortlist(request).await {
            Ok(_) => {}
            Err(status) if status.code() == Code::Cancelled && std::error::Error::source(&status).is_some() => {}
            Err(status) => {
                assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
                timed_out += 1;
            }
        }
    }
    assert!(timed_out > 0, "a 1 ms server timeout never fired");
    server.stop().await;
}

async fn service_health(server: &TestServer, service: &str) -> ServingStatus {
    HealthClient::new(server.channel.clone())
        .check(HealthCheckRequest { service: service.into() })
        .await
        .unwrap()
        .into_inner()
        .status()
}

/// Health as soon as it shows `expected` (it is updated by a background task, so give it a
/// moment), or what it shows after 5 s.
async fn settled_health(server: &TestServer, service: &str, expected: ServingStatus) -> ServingStatus {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let status = service_health(server, service).await;
        if status == expected || std::time::Instant::now() > deadline {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_full_database_refuses_writes_turns_write_health_off_and_keeps_shortlists() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings(dir.path());
    settings.store.max_db_bytes = 512 * 1024;
    settings.store.reserve_bytes = 1 << 20;
    let server = TestServer::start(settings).await;
    let mut participants = server.participants();
    let people: Vec<_> = krakow_participants(50).iter().map(convert::participant_to_wire).collect();
    participants.upsert_participants(tokio_stream::iter(people)).await.unwrap();
    let mut offers = server.offers();
    let mut stored: Vec<OfferKey> = Vec::new();
    let status = loop {
        let mut offer = regional_offer();
        offer.key.as_mut().unwrap().external_id = format!("full-{}", stored.len());
        let key = offer.key.clone().unwrap();
        match offers.upsert_offer(UpsertOfferRequest { offer: Some(offer) }).await {
            Ok(_) => stored.push(key),
            Err(status) => break status,
        }
        assert!(stored.len() < 5_000, "the cap was never reached");
    };
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(status.message().contains(&dir.path().display().to_string()), "{}", status.message());
    assert_eq!(
        settled_health(&server, "pomost.v1.OfferService", ServingStatus::NotServing).await,
        ServingStatus::NotServing
    );
    assert_eq!(
        settled_health(&server, "pomost.v1.ParticipantService", ServingStatus::NotServing).await,
        ServingStatus::NotServing
    );
    assert_eq!(
        settled_health(&server, "pomost.v1.MatchingService", ServingStatus::Serving).await,
        ServingStatus::Serving
    );
    let request = ShortlistRequest {
        offer: Some(shortlist_request::Offer::OfferKey(stored[0].clone())),
        k: 10,
        as_of: TODAY.into(),
        ..Default::default()
    };
    let list = server.matching().shortlist(request).await.expect("shortlists and their audit keep working");
    assert!(!list.into_inner().candidates.is_empty());
    for key in &stored[..stored.len() / 2] {
        offers.delete_offer(key.clone()).await.unwrap();
    }
    let mut offer = regional_offer();
    offer.key.as_mut().unwrap().external_id = "after-room".into();
    offers.upsert_offer(UpsertOfferRequest { offer: Some(offer) }).await.expect("writes work again with room");
    assert_eq!(settled_health(&server, "pomost.v1.OfferService", ServingStatus::Serving).await, ServingStatus::Serving);
    server.stop().await;
}

#[tokio::test]
async fn a_database_locked_elsewhere_gives_unavailable_then_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings(dir.path());
    settings.store.busy_timeout_ms = 150;
    let server = TestServer::start(settings).await;
    let person = convert::participant_to_wire(&krakow_participants(1)[0]);
    let other = rusqlite::Connection::open(dir.path().join("pomost.sqlite3")).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let status = server.participants().upsert_participant(person.clone()).await.unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(status.message().contains("busy"), "{}", status.message());
    other.execute_batch("ROLLBACK").unwrap();
    server.participants().upsert_participant(person).await.unwrap();
    server.stop().await;
}

/// With `synchronous = full` a write is answered once the log holding it is synced. When a
/// sync fails the store refuses writes until restarted (a later sync could hide the hole a
/// failed one left): the client gets UNAVAILABLE naming the log, shortlists go on, and after
/// a restart every acknowledged write is there and writes work again.
#[tokio::test]
async fn a_failed_log_sync_refuses_writes_until_restart_and_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings(dir.path());
    settings.store.synchronous = pomost_store::Synchronous::Full;
    let server = TestServer::start(settings.clone()).await;
    let people: Vec<_> = krakow_participants(20).iter().map(convert::participant_to_wire).collect();
    server.participants().upsert_participants(tokio_stream::iter(people)).await.unwrap();
    let mut offers = server.offers();
    let kept = regional_offer();
    offers.upsert_offer(UpsertOfferRequest { offer: Some(kept.clone()) }).await.unwrap();
    std::fs::remove_file(dir.path().join("pomost.sqlite3-wal")).unwrap();
    for index in 0..2 {
        let mut offer = regional_offer();
        offer.key.as_mut().unwrap().external_id = format!("unsynced-{index}");
        let status = offers.upsert_offer(UpsertOfferRequest { offer: Some(offer) }).await.unwrap_err();
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
        assert!(status.message().contains("write-ahead log"), "{}", status.message());
    }
    let request = ShortlistRequest {
        offer: Some(shortlist_request::Offer::OfferKey(kept.key.clone().unwrap())),
        k: 10,
        as_of: TODAY.into(),
        ..Default::default()
    };
    server.matching().shortlist(request).await.expect("reads and their audit go on");
    server.stop().await;

    let server = TestServer::start(settings).await;
    let stored = server.offers().get_offer(kept.key.clone().unwrap()).await.expect("the acknowledged offer survived");
    assert_eq!(stored.into_inner().title, kept.title);
    let mut offer = regional_offer();
    offer.key.as_mut().unwrap().external_id = "after-restart".into();
    server.offers().upsert_offer(UpsertOfferRequest { offer: Some(offer) }).await.expect("writes work again");
    server.stop().await;
}

#[tokio::test]
async fn search_pages_deeply_with_a_cursor_and_bounds_the_offset() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(settings(dir.path())).await;
    let mut offers = server.offers();
    for index in 0..45 {
        let mut offer = regional_offer();
        offer.key.as_mut().unwrap().external_id = format!("page-{index}");
        offers.upsert_offer(UpsertOfferRequest { offer: Some(offer) }).await.unwrap();
    }
    let query =
        SearchOffersRequest { text: "sprzątanie".into(), open_on: TODAY.into(), limit: 10, ..Default::default() };
    for _ in 0..200 {
        if offers.search_offers(query.clone()).await.unwrap().into_inner().total == 45 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut cursor = String::new();
    for _ in 0..60 {
        let mut page = SearchOffersRequest { cursor: cursor.clone(), ..query.clone() };
        if page.cursor.is_empty() && !seen.is_empty() {
            break;
        }
        page.offset = 0;
        let reply = offers.search_offers(page).await.unwrap().into_inner();
        for hit in &reply.hits {
            assert!(seen.insert(hit.offer.as_ref().unwrap().key.clone().unwrap().external_id), "a hit came twice");
        }
        if reply.next_cursor.is_empty() {
            break;
        }
        cursor = reply.next_cursor;
    }
    assert_eq!(seen.len(), 45);
    let status = offers.search_offers(SearchOffersRequest { offset: 5_000, ..query.clone() }).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.message(), "offset: 5000 is over the bound of 1000");
    let status = offers.search_offers(SearchOffersRequest { cursor: "v1.zz".into(), ..query }).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    server.stop().await;
}

/// The documented role matrix (README, "The API"): who may call each method.
fn documented(method: &str) -> &'static [Role] {
    use Role::{Admin, LabourOffice, Partner, Unit};
    match method {
        "/pomost.v1.OfferService/UpsertOffer"
        | "/pomost.v1.OfferService/UpsertOffers"
        | "/pomost.v1.OfferService/DeleteOffer" => &[Partner, Admin],
        "/pomost.v1.OfferService/GetOffer" | "/pomost.v1.OfferService/SearchOffers" => {
            &[Partner, Unit, LabourOffice, Admin]
        }
        "/pomost.v1.ParticipantService/GetParticipant" | "/pomost.v1.ParticipantService/GetJobCoach" => {
            &[Unit, LabourOffice, Admin]
        }
        "/pomost.v1.ParticipantService/UpsertParticipant"
        | "/pomost.v1.ParticipantService/UpsertParticipants"
        | "/pomost.v1.ParticipantService/DeleteParticipant"
        | "/pomost.v1.ParticipantService/UpsertJobCoach"
        | "/pomost.v1.ParticipantService/UpsertJobCoaches"
        | "/pomost.v1.ParticipantService/DeleteJobCoach" => &[Unit, Admin],
        "/pomost.v1.MatchingService/GetScoringPolicy" => &[Partner, Unit, LabourOffice, Admin],
        "/pomost.v1.MatchingService/Shortlist"
        | "/pomost.v1.MatchingService/GetExposureReport"
        | "/pomost.v1.MatchingService/RecommendOffers"
        | "/pomost.v1.MatchingService/ExplainMatch" => &[LabourOffice, Admin],
        "/pomost.v1.AuditService/ListAudit" | "/pomost.v1.AuditService/GetAuditStats" => &[Admin],
        "/pomost.v1.VocabularyService/SuggestOccupations"
        | "/pomost.v1.VocabularyService/ExtractSkills"
        | "/pomost.v1.VocabularyService/SuggestTerms"
        | "/pomost.v1.VocabularyService/GetVocabulary" => &[Partner, Unit, LabourOffice, Admin],
        "/pomost.v1.PlacementService/MoveReferral" => &[Partner, Unit, LabourOffice, Admin],
        "/pomost.v1.PlacementService/CreateReferral"
        | "/pomost.v1.PlacementService/GetReferral"
        | "/pomost.v1.PlacementService/ListReferrals"
        | "/pomost.v1.PlacementService/RecordOutcome"
        | "/pomost.v1.PlacementService/GetOutcomeStats"
        | "/pomost.v1.PlacementService/WatchMatches"
        | "/pomost.v1.MatchingService/AssignBatch" => &[Unit, LabourOffice, Admin],
        // Not documented yet: nobody, admin included.
        _ => &[],
    }
}

#[tokio::test]
async fn every_method_of_every_service_follows_the_documented_role_matrix() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings(dir.path());
    settings.auth.dev_mode = false;
    let roles = [Role::Partner, Role::Unit, Role::LabourOffice, Role::Admin];
    settings.auth.keys = roles
        .iter()
        .map(|role| ApiKey { name: role.name().into(), role: *role, sha256: hash_key(&format!("key-{}", role.name())) })
        .collect();
    let server = TestServer::start(settings).await;
    let all = methods();
    assert!(all.len() >= 18);
    for method in &all {
        let name = path(method);
        for role in roles {
            let (answer, _) = call(&server.channel, method, Vec::new(), Some(&format!("key-{}", role.name()))).await;
            let denied = matches!(&answer, Err(status) if status.code() == Code::PermissionDenied);
            let allowed = documented(&name).contains(&role);
            assert_eq!(!denied, allowed, "{name} for {}: {answer:?}", role.name());
            assert!(!matches!(&answer, Err(status) if status.code() == Code::Unauthenticated), "{name}");
        }
        let (answer, _) = call(&server.channel, method, Vec::new(), None).await;
        assert_eq!(answer.unwrap_err().code(), Code::Unauthenticated, "{name} without a key");
    }
    // A method nobody listed is refused to everyone, admin included.
    let auth = pomost::auth::Auth::new(&pomost::config::AuthSettings {
        dev_mode: false,
        keys: vec![ApiKey { name: "ops".into(), role: Role::Admin, sha256: hash_key("k") }],
    });
    let mut headers = http::HeaderMap::new();
    headers.insert(http::header::AUTHORIZATION, "Bearer k".parse().unwrap());
    let status = auth.check("/pomost.v1.MatchingService/SomethingNew", &headers).unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    for (method, _) in pomost::auth::ROLE_TABLE {
        assert!(all.iter().any(|known| path(known) == *method), "{method} is in the role table but not the proto");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_coach_covers_only_what_a_person_can_and_explanations_say_who_covers_what() {
    use pomost_domain::{Accommodation, CoachArea, TerytCode};
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(settings(dir.path())).await;
    let mut coach = pomost_synth::Synth::new(21, crate::fixtures::today()).coach(3);
    coach.area = CoachArea { teryt: vec![TerytCode::parse("12").unwrap()], centre: None, radius_km: 0.0 };
    coach.weekly_capacity_hours = 30.0;
    coach.committed_hours = 0.0;
    coach.accommodations_supported = Accommodation::PolishSignLanguage.into();
    let mut wire = convert::coach_to_wire(&coach);
    wire.accommodations_supported.push(1); // step-free access: only a workplace provides it
    let status = server.participants().upsert_job_coach(wire.clone()).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().starts_with("coach.accommodations_supported["), "{}", status.message());
    assert!(status.message().contains("step-free access is provided by a workplace"), "{}", status.message());
    server.participants().upsert_job_coach(convert::coach_to_wire(&coach)).await.unwrap();
    assert!(server.participants().get_job_coach(JobCoachRef { id: wire.id.clone() }).await.is_ok());

    let mut person = krakow_participants(1).remove(0);
    person.consent_to_matching = true;
    person.disability = Default::default();
    person.stage = pomost_domain::Stage::OpenMarket;
    person.night_shifts_ok = true;
    person.coach_hours_per_week = 0.0;
    person.accommodations_required = Accommodation::PolishSignLanguage | Accommodation::StepFreeAccess;
    person.accommodations_preferred = Accommodation::QuietWorkspace.into();
    server.participants().upsert_participant(convert::participant_to_wire(&person)).await.unwrap();
    let mut offer = regional_offer();
    offer.accepts_external_coach = true;
    offer.accommodations_provided = vec![1];
    let request = pomost::proto::ExplainMatchRequest {
        participant_id: person.id.to_string(),
        offer: Some(pomost::proto::explain_match_request::Offer::InlineOffer(offer.clone())),
        as_of: TODAY.into(),
    };
    let reply = server.matching().explain_match(request.clone()).await.unwrap().into_inner();
    assert!(reply.eligible, "{:?}", reply.failed);
    let covers: Vec<(bool, String, String)> = reply
        .accommodations
        .iter()
        .map(|cover| (cover.required, cover.covered_by.clone(), cover.coach_id.clone()))
        .collect();
    assert_eq!(
        covers,
        vec![
            (true, "offer".to_owned(), String::new()),
            (true, "coach".to_owned(), coach.id.to_string()),
            (false, "nobody".to_owned(), String::new()),
        ]
    );
    assert!(reply.accommodations[1].label.starts_with("Polish Sign Language (required): the job coach"));
    // Without the workplace's step-free access no coach can stand in.
    offer.accommodations_provided.clear();
    let request = pomost::proto::ExplainMatchRequest {
        offer: Some(pomost::proto::explain_match_request::Offer::InlineOffer(offer)),
        ..request
    };
    let reply = server.matching().explain_match(request).await.unwrap().into_inner();
    assert!(!reply.eligible);
    assert!(reply.failed.iter().any(|failed| failed.reason == "accommodation_not_covered"));
    server.stop().await;
}

/// `x-pomost-min-seq` on one process: a reached sequence is served at once, an offer's
/// write is searchable when the header says so, a sequence no write made is UNAVAILABLE
/// after the bounded wait, and a malformed one is INVALID_ARGUMENT.
#[tokio::test]
async fn a_minimum_sequence_is_waited_for_bounded_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(settings(dir.path())).await;
    let mut offers = server.offers();
    let mut offer = regional_offer();
    offer.key.as_mut().unwrap().external_id = "min-seq".into();
    let seq = offers.upsert_offer(UpsertOfferRequest { offer: Some(offer.clone()) }).await.unwrap().into_inner().seq;
    let with = |value: &str| {
        let mut request =
            tonic::Request::new(SearchOffersRequest { open_on: TODAY.into(), limit: 50, ..Default::default() });
        request.metadata_mut().insert(pomost::edge::MIN_SEQ_HEADER, value.parse().unwrap());
        request
    };
    // The index commits on its interval; with the header the search waits for it.
    let found = offers.search_offers(with(&seq.to_string())).await.unwrap().into_inner();
    assert!(found.hits.iter().any(|hit| hit.offer.as_ref().and_then(|o| o.key.as_ref()) == offer.key.as_ref()));
    let started = std::time::Instant::now();
    let status = offers.search_offers(with(&(seq + 1_000).to_string())).await.unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(status.message().contains(&format!("needs change {}", seq + 1_000)), "{}", status.message());
    assert!(started.elapsed() >= pomost::edge::MIN_SEQ_WAIT && started.elapsed() < Duration::from_secs(10));
    let status = offers.search_offers(with("soon")).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
}
