//! What describes each occupation, as shipped: its name, job titles people use (GUS
//! thesaurus), ESCO names and descriptions, the ministry's description, and its unit
//! group's summary and tasks. The vocabulary that occupation suggestion learns from and
//! that covers the occupations ESCO links no skills to.

use crate::occupations::Example;

/// Where a text comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The official KZiS name.
    Name,
    /// A job title from the GUS thesaurus.
    Title,
    /// ESCO's Polish name.
    EscoName,
    /// An ESCO alternative name.
    EscoAlt,
    /// The ministry's description of the occupation.
    Description,
    /// ESCO's description.
    EscoDescription,
    /// The unit group's summary (4-digit code).
    UnitSummary,
    /// The unit group's typical tasks (4-digit code).
    UnitTasks,
}

impl Source {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "name" => Source::Name,
            "title" => Source::Title,
            "esco-name" => Source::EscoName,
            "esco-alt" => Source::EscoAlt,
            "description" => Source::Description,
            "esco-description" => Source::EscoDescription,
            "unit-summary" => Source::UnitSummary,
            "unit-tasks" => Source::UnitTasks,
            _ => return None,
        })
    }

    /// Whether the text names the job (rather than describing the work).
    pub fn is_name(self) -> bool {
        matches!(self, Source::Name | Source::Title | Source::EscoName | Source::EscoAlt)
    }
}

/// One text about a code.
#[derive(Debug, Clone)]
pub struct OccupationText {
    /// KZiS code (6 digits, or 4 for unit-group texts).
    pub code: String,
    /// Where it comes from.
    pub source: Source,
    /// The text.
    pub text: String,
}

/// Parses `code<TAB>source<TAB>text` lines.
pub fn parse_texts(text: &str) -> Vec<OccupationText> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.splitn(3, '\t');
            let (code, source, text) = (fields.next()?, fields.next()?, fields.next()?);
            Some(OccupationText { code: code.to_owned(), source: Source::parse(source)?, text: text.to_owned() })
        })
        .collect()
}

/// How much each kind of vocabulary text counts when learning, against one advertisement.
#[derive(Debug, Clone, Copy)]
pub struct VocabularyWeights {
    /// A name or job title.
    pub name: f32,
    /// A description of the occupation.
    pub description: f32,
    /// The unit group's summary or tasks, given to each of its occupations.
    pub unit: f32,
}

impl Default for VocabularyWeights {
    fn default() -> Self {
        Self { name: 1.0, description: 1.0, unit: 1.0 }
    }
}

/// The vocabulary as training examples for the occupations in `occupations`.
pub fn vocabulary_examples(
    texts: &[OccupationText],
    occupations: &[String],
    weights: VocabularyWeights,
) -> Vec<Example> {
    let mut examples = Vec::new();
    for text in texts {
        let (title, description, weight) = match text.source {
            source if source.is_name() => (text.text.clone(), String::new(), weights.name),
            Source::Description | Source::EscoDescription => (String::new(), text.text.clone(), weights.description),
            _ => (String::new(), text.text.clone(), weights.unit),
        };
        if text.code.len() == 6 {
            examples.push(Example { code: text.code.clone(), title, description, weight });
        } else {
            for code in occupations.iter().filter(|code| code.starts_with(&text.code)) {
                examples.push(Example {
                    code: code.clone(),
                    title: title.clone(),
                    description: description.clone(),
                    weight,
                });
            }
        }
    }
    examples
}
