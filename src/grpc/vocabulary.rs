use pomost_taxonomy::TermKind;
use tonic::{Request, Response, Status};

use super::support::{Shared, blocking};
use crate::convert;
use crate::proto::vocabulary_service_server::VocabularyService;
use crate::proto::{
    ExtractSkillsRequest, ExtractSkillsResponse, GetVocabularyRequest, SuggestOccupationsRequest,
    SuggestOccupationsResponse, SuggestTermsRequest, SuggestTermsResponse, VocabularyInfo, VocabularyTerm,
};

/// VocabularyService over the engine's vocabulary.
pub struct VocabularyApi(pub Shared);

/// Where the vocabulary comes from, for GetVocabulary.
const ATTRIBUTION: &str = "KZiS 2023 (regulation of the minister responsible for labour; ministry occupation \
    descriptions); Statistics Poland job-title thesaurus; ESCO © European Union (Commission Decision 2011/833/EU); \
    collected by M. Beręsewicz and R. Pater, RepOD, doi:10.18150/SX0E7G (2024); Polish morphology: Morfologik \
    2.1 PoliMorf © 2016 Marcin Miłkowski, BSD licence";

/// The title and description a suggestion reads: the caller's title, or the one found in
/// the text ([`pomost_taxonomy::split_title`]).
fn title_and_description(title: &str, text: &str) -> (String, String) {
    if title.trim().is_empty() { pomost_taxonomy::split_title(text) } else { (title.to_owned(), text.to_owned()) }
}

fn wire_kind(kind: TermKind) -> crate::proto::TermKind {
    match kind {
        TermKind::Occupation => crate::proto::TermKind::Occupation,
        TermKind::JobTitle => crate::proto::TermKind::JobTitle,
        TermKind::Skill => crate::proto::TermKind::Skill,
    }
}

#[tonic::async_trait]
impl VocabularyService for VocabularyApi {
    async fn suggest_occupations(
        &self,
        request: Request<SuggestOccupationsRequest>,
    ) -> Result<Response<SuggestOccupationsResponse>, Status> {
        let SuggestOccupationsRequest { text, k, title } = request.into_inner();
        let k = if k == 0 { 5 } else { k as usize };
        let engine = self.0.engine()?;
        let response = blocking(move || {
            let vocabulary = engine.vocabulary();
            let (title, description) = title_and_description(&title, &text);
            Ok(SuggestOccupationsResponse {
                suggestions: vocabulary
                    .suggest_occupations(&title, &description, k)
                    .into_iter()
                    .map(convert::occupation_suggestion)
                    .collect(),
                vocabulary_version: vocabulary.version().to_owned(),
            })
        })
        .await?;
        Ok(Response::new(response))
    }

    async fn extract_skills(
        &self,
        request: Request<ExtractSkillsRequest>,
    ) -> Result<Response<ExtractSkillsResponse>, Status> {
        let ExtractSkillsRequest { text } = request.into_inner();
        let engine = self.0.engine()?;
        let response = blocking(move || {
            let vocabulary = engine.vocabulary();
            Ok(ExtractSkillsResponse {
                skills: vocabulary
                    .extract_skills(&text)
                    .into_iter()
                    .map(|skill| convert::extracted_skill(skill, &text))
                    .collect(),
                vocabulary_version: vocabulary.version().to_owned(),
            })
        })
        .await?;
        Ok(Response::new(response))
    }

    async fn suggest_terms(
        &self,
        request: Request<SuggestTermsRequest>,
    ) -> Result<Response<SuggestTermsResponse>, Status> {
        let SuggestTermsRequest { prefix, k, kinds } = request.into_inner();
        let k = if k == 0 { 10 } else { k as usize };
        let kinds: Vec<i32> = kinds.into_iter().filter(|kind| *kind != 0).collect();
        let engine = self.0.engine()?;
        // A typeahead answer takes microseconds: no need to leave the reactor.
        let vocabulary = engine.vocabulary();
        let wanted = |kind: TermKind| kinds.is_empty() || kinds.contains(&(wire_kind(kind) as i32));
        let fetch = if kinds.is_empty() { k } else { k * 8 };
        let terms = vocabulary
            .suggest_terms(&prefix, fetch)
            .into_iter()
            .filter(|term| wanted(term.kind))
            .take(k)
            .map(|term| VocabularyTerm {
                kind: wire_kind(term.kind) as i32,
                id: term.id.clone(),
                label: term.label.clone(),
            })
            .collect();
        Ok(Response::new(SuggestTermsResponse { terms }))
    }

    async fn get_vocabulary(
        &self,
        _request: Request<GetVocabularyRequest>,
    ) -> Result<Response<VocabularyInfo>, Status> {
        let engine = self.0.engine()?;
        let vocabulary = engine.vocabulary();
        let kzis = vocabulary.kzis();
        let skills = vocabulary.skills();
        Ok(Response::new(VocabularyInfo {
            version: vocabulary.version().to_owned(),
            occupations: kzis.occupations().len() as u32,
            skills: skills.all().len() as u32,
            occupations_with_skills: kzis.occupations().iter().filter(|code| skills.has_usable_skills(code)).count()
                as u32,
            occupations_with_linked_skills: kzis.occupations().iter().filter(|code| skills.has_occupation(code)).count()
                as u32,
            terms: vocabulary.term_count() as u32,
            attribution: ATTRIBUTION.to_owned(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_first_line_is_the_title() {
        assert_eq!(
            title_and_description("", "Magazynier\nPraca w magazynie"),
            ("Magazynier".into(), "Praca w magazynie".into())
        );
        assert_eq!(title_and_description("", "Kelnerka"), ("Kelnerka".into(), String::new()));
        let long = "słowo ".repeat(100);
        assert_eq!(title_and_description("", &long).1, long.trim());
        assert_eq!(title_and_description("Kucharz", "opis"), ("Kucharz".into(), "opis".into()));
    }
}
