//! The vocabulary through the real server: suggestions, extraction, typeahead, validation
//! of codes and skill ids, and offers completed from their text.

use pomost::proto::{
    ExtractSkillsRequest, GetVocabularyRequest, ListAuditRequest, SkillRequirement, SuggestOccupationsRequest,
    SuggestTermsRequest, TermKind, UpsertOfferRequest, WriteOutcome,
};
use tonic::Code;

use crate::fixtures::{TestServer, regional_offer, settings};

const AD: &str = "Magazynier - operator wózka widłowego\n\
    Zakres obowiązków: przyjmowanie i wydawanie towaru, kompletowanie zamówień, obsługa wózka widłowego, \
    prowadzenie dokumentacji magazynowej. Wymagania: uprawnienia UDT na wózki widłowe, doświadczenie w pracy \
    w magazynie, gotowość do pracy zmianowej. Oferujemy umowę o pracę, szkolenia i pracę w stabilnej firmie.";

#[tokio::test]
async fn occupations_skills_and_terms_are_suggested_with_labels() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(settings(dir.path())).await;
    let mut vocabulary = server.vocabulary();

    let reply = vocabulary
        .suggest_occupations(SuggestOccupationsRequest { text: AD.into(), k: 5, title: String::new() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reply.suggestions.len(), 5);
    assert!(
        reply.suggestions.iter().take(2).any(|s| s.code.starts_with("4321") || s.code.starts_with("8344")),
        "{:?}",
        reply.suggestions
    );
    assert!(reply.suggestions.windows(2).all(|pair| pair[0].score >= pair[1].score));
    assert!(reply.suggestions.iter().all(|s| !s.label.is_empty() && s.code.len() == 6));
    assert!(!reply.vocabulary_version.is_empty());

    let reply = vocabulary.extract_skills(ExtractSkillsRequest { text: AD.into() }).await.unwrap().into_inner();
    let forklift = reply.skills.iter().find(|skill| skill.skill == "pl:wozek-widlowy").expect("forklift found");
    assert_eq!(forklift.label, "obsługa wózka widłowego");
    assert_eq!(&AD[forklift.start as usize..forklift.end as usize], forklift.matched);
    assert!(reply.skills.iter().any(|skill| skill.skill == "pl:kompletowanie-zamowien"));

    let reply = vocabulary
        .suggest_terms(SuggestTermsRequest { prefix: "sprzataczk".into(), k: 5, kinds: vec![] })
        .await
        .unwrap()
        .into_inner();
    assert!(!reply.terms.is_empty());
    assert!(reply.terms.iter().all(|term| term.label.to_lowercase().contains("sprzątaczk")), "{:?}", reply.terms);
    let reply = vocabulary
        .suggest_terms(SuggestTermsRequest { prefix: "kel".into(), k: 5, kinds: vec![TermKind::Occupation as i32] })
        .await
        .unwrap()
        .into_inner();
    assert!(reply.terms.iter().all(|term| term.kind() == TermKind::Occupation));
    assert!(reply.terms.iter().any(|term| term.id == "513101"), "{:?}", reply.terms);

    let info = vocabulary.get_vocabulary(GetVocabularyRequest {}).await.unwrap().into_inner();
    assert_eq!(info.occupations, 2912);
    assert!(info.skills > 7_600 && info.occupations_with_linked_skills >= 557, "{info:?}");
    assert!(info.occupations_with_skills > 2_800, "{info:?}");
    assert!(info.attribution.contains("ESCO"));

    let status = vocabulary
        .suggest_occupations(SuggestOccupationsRequest { text: String::new(), k: 51, title: String::new() })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    server.stop().await;
}

#[tokio::test]
async fn offers_are_checked_against_the_vocabulary_and_completed_from_their_text() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(settings(dir.path())).await;
    let mut offers = server.offers();

    // A code that is not a KZiS 2023 occupation: refused with the nearest ones.
    let mut offer = regional_offer();
    offer.occupation_code = "911299".into();
    let status = offers.upsert_offer(UpsertOfferRequest { offer: Some(offer.clone()) }).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status
            .message()
            .starts_with("offer.occupation_code: \"911299\" is not a KZiS 2023 occupation code; nearest: 911290 "),
        "{}",
        status.message()
    );

    // An unknown skill id: refused with labels near it.
    offer.occupation_code = "911207".into();
    offer.required_skills = vec![SkillRequirement { skill: "x:mycie-okien".into(), min_level: 0, weight: 1.0 }];
    let status = offers.upsert_offer(UpsertOfferRequest { offer: Some(offer.clone()) }).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status
            .message()
            .starts_with("offer.required_skills[0].skill: \"x:mycie-okien\" is not a known skill id; nearest: "),
        "{}",
        status.message()
    );

    // No code and no skills: suggested from the text, stored as suggested.
    offer.occupation_code = String::new();
    offer.required_skills.clear();
    offer.nice_to_have_skills.clear();
    offer.title = "Sprzątaczka biurowa".into();
    offer.description = "Sprzątanie biur i mycie okien w biurowcu, dezynfekcja powierzchni.".into();
    let written = offers.upsert_offer(UpsertOfferRequest { offer: Some(offer.clone()) }).await.unwrap().into_inner();
    assert_eq!(written.outcome(), WriteOutcome::Written);
    let best = written.suggested_occupations.first().expect("an occupation suggested");
    assert!(best.code.starts_with("9112"), "{:?}", written.suggested_occupations);
    assert!(
        written.suggested_skills.iter().any(|skill| skill.skill == "pl:sprzatanie-biur"),
        "{:?}",
        written.suggested_skills
    );
    let stored = offers.get_offer(offer.key.clone().unwrap()).await.unwrap().into_inner();
    assert_eq!(stored.occupation_code, best.code);
    assert!(stored.occupation_suggested && stored.skills_suggested);
    assert!(stored.nice_to_have_skills.iter().any(|skill| skill.skill == "pl:sprzatanie-biur"));
    assert!(stored.required_skills.is_empty());

    // The partner's own values win on the next version.
    offer.version += 1;
    offer.occupation_code = "911290".into();
    offer.required_skills = vec![SkillRequirement { skill: "pl:mycie-okien".into(), min_level: 0, weight: 1.0 }];
    let written = offers.upsert_offer(UpsertOfferRequest { offer: Some(offer.clone()) }).await.unwrap().into_inner();
    assert!(written.suggested_occupations.is_empty() && written.suggested_skills.is_empty());
    let stored = offers.get_offer(offer.key.clone().unwrap()).await.unwrap().into_inner();
    assert_eq!(stored.occupation_code, "911290");
    assert!(!stored.occupation_suggested && !stored.skills_suggested);
    assert!(stored.nice_to_have_skills.is_empty());

    // A participant with an unknown skill is refused too.
    let mut person = pomost::convert::participant_to_wire(&crate::fixtures::krakow_participants(1)[0]);
    person.skills[0].skill = "x:lutowanie".into();
    let status = server.participants().upsert_participant(person).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().starts_with("participant.skills[0].skill: \"x:lutowanie\" is not a known skill id"),
        "{}",
        status.message()
    );

    // Work history and wanted occupations: checked against KZiS, scored and explained with labels.
    let mut person = pomost::convert::participant_to_wire(&crate::fixtures::krakow_participants(1)[0]);
    person.wanted_occupations = vec!["911299".into()];
    let status = server.participants().upsert_participant(person.clone()).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status
            .message()
            .starts_with("participant.wanted_occupations[0]: \"911299\" is not a KZiS 2023 occupation code"),
        "{}",
        status.message()
    );
    person.wanted_occupations = vec!["911290".into()];
    person.past_occupations = vec![pomost::proto::PastOccupation { code: "432103".into(), years: 2.0 }];
    server.participants().upsert_participant(person.clone()).await.unwrap();
    let stored = server
        .participants()
        .get_participant(pomost::proto::ParticipantRef { id: person.id.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stored.wanted_occupations, ["911290"]);
    assert_eq!(stored.past_occupations[0].code, "432103");
    let explanation = server
        .matching()
        .explain_match(pomost::proto::ExplainMatchRequest {
            participant_id: person.id.clone(),
            offer: Some(pomost::proto::explain_match_request::Offer::OfferKey(offer.key.clone().unwrap())),
            as_of: crate::fixtures::TODAY.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let occupation =
        explanation.factors.iter().find(|factor| factor.factor == "occupation").expect("occupation factor");
    assert_eq!(occupation.value, 1.0, "{occupation:?}");
    assert!(
        occupation.detail.contains("wanted occupation 911290 Pozostałe pomoce i sprzątaczki"),
        "{}",
        occupation.detail
    );

    // Rankings record the vocabulary version in the audit.
    server.matching().shortlist(crate::shortlist_for(offer.key.clone().unwrap(), 5)).await.unwrap();
    let entries = server.audit().list_audit(ListAuditRequest::default()).await.unwrap().into_inner().entries;
    assert!(entries.iter().all(|entry| entry.vocabulary_version.starts_with("kzis2023")), "{entries:?}");
    server.stop().await;
}
