//! The `pomost` client commands: a labour office, a unit or a partner system talking to a
//! running service over gRPC. Scripts can rely on the exit codes: 0 done, 1 failed (nothing
//! or not everything could be done: connection, server or file error), 2 wrong usage, 3 done
//! with some rows rejected (listed on stderr with their line and reason).

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use pomost_domain::{JobCoach, Offer, Participant};
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;

use crate::convert;
use crate::proto::audit_service_client::AuditServiceClient;
use crate::proto::matching_service_client::MatchingServiceClient;
use crate::proto::offer_service_client::OfferServiceClient;
use crate::proto::participant_service_client::ParticipantServiceClient;
use crate::proto::vocabulary_service_client::VocabularyServiceClient;
use crate::proto::{
    ExplainMatchRequest, FactorScore, ListAuditRequest, OfferKey, RecommendOffersRequest, ShortlistRequest,
    UpsertOfferRequest, explain_match_request, shortlist_request,
};

/// Why a command did not fully succeed, with its exit code.
#[derive(Debug)]
pub struct CliError {
    /// Process exit code.
    pub code: u8,
    /// What to tell the user.
    pub message: String,
}

impl CliError {
    fn failed(message: impl Into<String>) -> Self {
        Self { code: 1, message: message.into() }
    }

    fn partial(message: impl Into<String>) -> Self {
        Self { code: 3, message: message.into() }
    }
}

impl From<tonic::Status> for CliError {
    fn from(status: tonic::Status) -> Self {
        CliError::failed(format!("{:?}: {}", status.code(), status.message()))
    }
}

/// Where the service is and which key to use.
#[derive(Debug, Clone, clap::Args)]
pub struct Connection {
    /// Service address.
    #[arg(long, env = "POMOST_ADDR", default_value = "http://127.0.0.1:50051", global = true)]
    pub addr: String,
    /// API key (bearer token); not needed against a dev-mode server.
    #[arg(long, env = "POMOST_API_KEY", hide_env_values = true, global = true)]
    pub key: Option<String>,
}

/// A connected client.
pub struct Client {
    channel: Channel,
    key: Option<MetadataValue<tonic::metadata::Ascii>>,
}

impl Client {
    /// Connects to the service.
    pub async fn connect(connection: &Connection) -> Result<Self, CliError> {
        let endpoint = Channel::from_shared(connection.addr.clone())
            .map_err(|error| CliError { code: 2, message: format!("--addr {}: {error}", connection.addr) })?;
        let channel = endpoint
            .connect()
            .await
            .map_err(|error| CliError::failed(format!("cannot connect to {}: {error}", connection.addr)))?;
        let key = connection
            .key
            .as_ref()
            .map(|key| MetadataValue::try_from(format!("Bearer {key}")))
            .transpose()
            .map_err(|_| CliError { code: 2, message: "--key holds characters not allowed in a header".into() })?;
        Ok(Self { channel, key })
    }

    /// The connection, for service clients of other modules.
    pub(crate) fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// A request carrying the API key.
    pub(crate) fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        if let Some(key) = &self.key {
            request.metadata_mut().insert("authorization", key.clone());
        }
        request
    }
}

/// Parses `SOURCE/EXTERNAL_ID`.
pub fn parse_offer_key(text: &str) -> Result<OfferKey, CliError> {
    match text.split_once('/') {
        Some((source, external_id)) if !source.is_empty() && !external_id.is_empty() => {
            Ok(OfferKey { source: source.into(), external_id: external_id.into() })
        }
        _ => Err(CliError { code: 2, message: format!("--offer {text:?}: expected SOURCE/EXTERNAL_ID") }),
    }
}

fn factors_line(factors: &[FactorScore]) -> String {
    factors
        .iter()
        .map(|factor| format!("{} {:.2}×{:.2}", factor.factor, factor.value, factor.weight))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `pomost shortlist`: prints a table with the factor breakdown and the exclusion counts.
pub async fn shortlist(client: &Client, offer: &str, k: u32, as_of: String, json: bool) -> Result<(), CliError> {
    let key = parse_offer_key(offer)?;
    let request = ShortlistRequest {
        offer: Some(shortlist_request::Offer::OfferKey(key.clone())),
        k,
        as_of,
        ..Default::default()
    };
    let reply =
        MatchingServiceClient::new(client.channel.clone()).shortlist(client.request(request)).await?.into_inner();
    if json {
        let value = serde_json::json!({
            "request_id": reply.request_id,
            "policy_version": reply.policy_version,
            "eligible": reply.eligible,
            "pool_size": reply.pool_size,
            "candidates": reply.candidates.iter().map(|candidate| serde_json::json!({
                "participant_id": candidate.participant_id,
                "score": candidate.score,
                "suggested_coach_id": candidate.suggested_coach_id,
                "employer_mentor": candidate.employer_mentor,
                "factors": candidate.factors.iter().map(|factor| serde_json::json!({
                    "factor": factor.factor, "value": factor.value, "weight": factor.weight,
                    "contribution": factor.contribution, "detail": factor.detail,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "exclusions": reply.exclusions.iter().map(|count| (count.reason.clone(), count.count)).collect::<std::collections::BTreeMap<_, _>>(),
        });
        println!("{value:#}");
        return Ok(());
    }
    println!(
        "shortlist for {}/{} (policy {}, audit request {})",
        key.source, key.external_id, reply.policy_version, reply.request_id
    );
    // The offer's occupation with its KZiS name (read with the same key; a caller whose role
    // may not read offers just does not see this line).
    if let Ok(offer) = OfferServiceClient::new(client.channel.clone()).get_offer(client.request(key.clone())).await {
        let offer = offer.into_inner();
        let name = pomost_taxonomy::kzis().name(&offer.occupation_code).unwrap_or("not in KZiS 2023");
        let suggested = if offer.occupation_suggested { ", suggested by Pomost" } else { "" };
        println!("offer: {} — occupation {} {name}{suggested}", offer.title, offer.occupation_code);
    }
    println!("{:>3}  {:<22} {:>6}  {:<18} factors (value × weight)", "#", "participant", "score", "coach");
    for (rank, candidate) in reply.candidates.iter().enumerate() {
        let coach = if !candidate.suggested_coach_id.is_empty() {
            candidate.suggested_coach_id.clone()
        } else if candidate.employer_mentor {
            "employer mentor".into()
        } else {
            "-".into()
        };
        println!(
            "{:>3}  {:<22} {:>6.3}  {:<18} {}",
            rank + 1,
            candidate.participant_id,
            candidate.score,
            coach,
            factors_line(&candidate.factors)
        );
    }
    println!("eligible: {} of {}", reply.eligible, reply.pool_size);
    for count in &reply.exclusions {
        println!("excluded, {}: {}", count.reason, count.count);
    }
    Ok(())
}

/// `pomost recommend`: offers for a participant.
pub async fn recommend(
    client: &Client,
    participant: String,
    k: u32,
    text: String,
    as_of: String,
) -> Result<(), CliError> {
    let request = RecommendOffersRequest { participant_id: participant.clone(), k, text, as_of };
    let reply = MatchingServiceClient::new(client.channel.clone())
        .recommend_offers(client.request(request))
        .await?
        .into_inner();
    println!("offers for {participant} (policy {}, audit request {})", reply.policy_version, reply.request_id);
    for (rank, recommendation) in reply.recommendations.iter().enumerate() {
        let offer = recommendation.offer.clone().unwrap_or_default();
        let key = offer.key.unwrap_or_default();
        println!(
            "{:>3}  {:<32} {:>6.3}  {} — {}",
            rank + 1,
            format!("{}/{}", key.source, key.external_id),
            recommendation.score,
            offer.title,
            offer.employer_name
        );
    }
    if reply.recommendations.is_empty() {
        println!("no open offer fits this person now");
    }
    Ok(())
}

/// `pomost explain`: one participant against one offer.
pub async fn explain(client: &Client, participant: String, offer: &str, as_of: String) -> Result<(), CliError> {
    let key = parse_offer_key(offer)?;
    let request = ExplainMatchRequest {
        participant_id: participant.clone(),
        offer: Some(explain_match_request::Offer::OfferKey(key.clone())),
        as_of,
    };
    let reply =
        MatchingServiceClient::new(client.channel.clone()).explain_match(client.request(request)).await?.into_inner();
    if reply.eligible {
        println!("{participant} is eligible for {}/{}: score {:.3}", key.source, key.external_id, reply.score);
    } else {
        println!("{participant} is not on the list for {}/{}:", key.source, key.external_id);
        for failed in &reply.failed {
            println!("  - {} ({})", failed.message, failed.reason);
        }
    }
    for factor in &reply.factors {
        println!(
            "  {:<15} {:.2} × {:.2} = {:.3}  {}",
            factor.factor, factor.value, factor.weight, factor.contribution, factor.detail
        );
    }
    Ok(())
}

/// A line of an input file that could not be used.
#[derive(Debug)]
struct Rejected {
    line: usize,
    reason: String,
}

fn report(what: &str, total: usize, written: usize, unchanged: usize, rejected: &[Rejected]) -> Result<(), CliError> {
    println!("{what}: {total} rows, {written} written, {unchanged} unchanged or stale, {} rejected", rejected.len());
    for row in rejected {
        eprintln!("line {}: {}", row.line, row.reason);
    }
    if rejected.is_empty() {
        Ok(())
    } else {
        Err(CliError::partial(format!("{} of {total} rows rejected", rejected.len())))
    }
}

fn progress(length: usize) -> ProgressBar {
    let bar = ProgressBar::new(length as u64);
    if let Ok(style) = ProgressStyle::default_bar().template("{bar:40} {pos}/{len} {per_sec} eta {eta}") {
        bar.set_style(style);
    }
    bar
}

/// Reads JSON records: a JSON array, or one object per line (NDJSON). Returns (line, record)
/// pairs and the lines that failed to parse.
fn read_json_records<T: serde::de::DeserializeOwned>(text: &str) -> ReadRows<T> {
    let mut good = Vec::new();
    let mut rejected = Vec::new();
    if text.trim_start().starts_with('[') {
        match serde_json::from_str::<Vec<serde_json::Value>>(text) {
            Ok(values) => {
                for (index, value) in values.into_iter().enumerate() {
                    match record_from_value(value) {
                        Ok(record) => good.push((index + 1, record)),
                        Err(reason) => rejected.push(Rejected { line: index + 1, reason }),
                    }
                }
            }
            Err(error) => rejected.push(Rejected { line: error.line(), reason: error.to_string() }),
        }
        return (good, rejected);
    }
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match record_from_line(line) {
            Ok(record) => good.push((index + 1, record)),
            Err(reason) => rejected.push(Rejected { line: index + 1, reason }),
        }
    }
    (good, rejected)
}

/// A record from its JSON form; an error names the field it is about (`home.teryt: …`),
/// which serde_json's own errors leave out.
fn record_from_value<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|error| error.to_string())
}

/// [`record_from_value`] for one line of NDJSON, nothing after the record.
fn record_from_line<T: serde::de::DeserializeOwned>(line: &str) -> Result<T, String> {
    let mut deserializer = serde_json::Deserializer::from_str(line);
    let record = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| error.to_string())?;
    deserializer.end().map_err(|error| error.to_string())?;
    Ok(record)
}

/// A record from the JSON form a CSV row was put in; an error names the CSV column
/// (`teryt: …` for `home.teryt`): `renamed` pairs a field path with the column it came
/// from, any other field is its column's namesake.
fn record_from_csv_value<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
    renamed: &[(&str, &str)],
) -> Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let field = path.split('[').next().unwrap_or_default();
        let column = renamed
            .iter()
            .find(|(prefix, _)| field.starts_with(prefix))
            .map_or_else(|| field.split('.').next().unwrap_or_default(), |(_, column)| column);
        match column {
            "" => error.inner().to_string(),
            column => format!("{column}: {}", error.inner()),
        }
    })
}

fn read_file(path: &Path) -> Result<String, CliError> {
    let bytes = std::fs::read(path).map_err(|error| CliError::failed(format!("{}: {error}", path.display())))?;
    utf8_text(bytes).map_err(|reason| CliError::failed(format!("{}: {reason}", path.display())))
}

/// The file's text, or where it stops being UTF-8: a spreadsheet saved as plain "CSV" on a
/// Polish Windows writes Windows-1250, whose letters (ł, ó, ż) are not UTF-8, and the
/// person fixing the file needs the line.
fn utf8_text(bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|error| {
        let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|&&byte| byte == b'\n').count() + 1;
        format!("line {line} is not UTF-8 text (a spreadsheet exports it with \"CSV UTF-8\"; Windows-1250 is not read)")
    })
}

/// `pomost offers push FILE`: JSON array or NDJSON of offers, sent through UpsertOffers.
pub async fn push_offers(client: &Client, path: &Path) -> Result<(), CliError> {
    let (valid, mut rejected) = validated_rows(read_json_records::<Offer>(&read_file(path)?), Offer::validated);
    let total = valid.len() + rejected.len();
    let bar = progress(valid.len());
    let (mut written, mut unchanged) = (0, 0);
    let mut service = OfferServiceClient::new(client.channel.clone());
    for chunk in valid.chunks(1_000) {
        let items: Vec<UpsertOfferRequest> =
            chunk.iter().map(|(_, offer)| UpsertOfferRequest { offer: Some(convert::offer_to_wire(offer)) }).collect();
        let reply = service.upsert_offers(client.request(tokio_stream::iter(items))).await?.into_inner();
        written += reply.written as usize;
        unchanged += reply.unchanged_or_stale as usize;
        note_rejected(reply.items, chunk, &mut rejected);
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    rejected.sort_by_key(|row| row.line);
    report(&format!("offers from {}", path.display()), total, written, unchanged, &rejected)
}

/// Columns of the participants CSV, in order.
pub const CSV_COLUMNS: &[&str] = &[
    "id",
    "unit",
    "unit_id",
    "stage",
    "skills",
    "degree",
    "cause_symbols",
    "working_time_exemption",
    "accommodations_required",
    "accommodations_preferred",
    "coach_hours_per_week",
    "teryt",
    "lat",
    "lon",
    "max_commute_km",
    "available_hours_per_week",
    "night_shifts_ok",
    "preferred_contracts",
    "registered_since",
    "consent_to_matching",
];

/// Columns a participants CSV may add after [`CSV_COLUMNS`]: past occupations as
/// `code=years` and wanted occupations as codes (KZiS 2023), `;`-separated, then the year of
/// birth, then the gender (`K` or `woman`, `M` or `man`); each empty when not recorded.
pub const CSV_OCCUPATION_COLUMNS: &[&str] = &["past_occupations", "wanted_occupations", "birth_year", "gender"];

/// A CSV gender cell: the register's K/M, or the API's words; empty when not recorded.
fn csv_gender(text: &str) -> Result<serde_json::Value, String> {
    match text.trim().to_lowercase().as_str() {
        "" => Ok(serde_json::Value::Null),
        "k" | "woman" | "kobieta" => Ok("woman".into()),
        "m" | "man" | "mężczyzna" => Ok("man".into()),
        other => Err(format!("gender: {other:?} is not K, M, woman or man (leave it empty when not recorded)")),
    }
}

fn csv_past_occupations(text: &str) -> Result<Vec<serde_json::Value>, String> {
    text.split(';')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| match item.split_once('=') {
            Some((code, years)) => {
                Ok(serde_json::json!({ "code": code.trim(), "years": csv_number("past_occupations", years)? }))
            }
            None => Err(format!("past_occupations: {item:?} is not CODE=YEARS")),
        })
        .collect()
}

fn csv_list(text: &str) -> Vec<serde_json::Value> {
    text.split(';').map(str::trim).filter(|item| !item.is_empty()).map(serde_json::Value::from).collect()
}

/// A yes/no cell: English or Polish words, 1 or 0, or what a Polish spreadsheet writes for
/// its logical values (PRAWDA, FAŁSZ); empty is no.
fn csv_bool(column: &str, text: &str) -> Result<bool, String> {
    match text.trim().to_lowercase().as_str() {
        "true" | "yes" | "tak" | "prawda" | "1" => Ok(true),
        "false" | "no" | "nie" | "fałsz" | "0" | "" => Ok(false),
        other => Err(format!("{column}: {other:?} is not true or false")),
    }
}

/// A date cell, which must be written as ISO 8601 has it (a Polish register writes
/// 01.02.2025; the error says which form is read).
fn csv_date<'a>(column: &str, text: &'a str) -> Result<&'a str, String> {
    let text = text.trim();
    match time::Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")) {
        Ok(_) => Ok(text),
        Err(_) => Err(format!("{column}: {text:?} is not a date written YYYY-MM-DD")),
    }
}

fn csv_number(column: &str, text: &str) -> Result<serde_json::Value, String> {
    let number: f64 = text.trim().parse().map_err(|_| {
        // A Polish spreadsheet writes a decimal comma; the file must carry a point.
        let pointed = text.trim().replacen(',', ".", 1);
        match pointed.parse::<f64>() {
            Ok(_) => format!("{column}: {text:?} is not a number (the decimal mark is a point: {pointed:?})"),
            Err(_) => format!("{column}: {text:?} is not a number"),
        }
    })?;
    serde_json::Number::from_f64(number)
        .map(serde_json::Value::Number)
        .ok_or_else(|| format!("{column}: {text:?} is not finite"))
}

/// One CSV row as a participant, through the domain's own JSON shape.
fn participant_from_csv(row: &csv::StringRecord) -> Result<Participant, String> {
    let field = |name: &str| {
        let position = CSV_COLUMNS.iter().chain(CSV_OCCUPATION_COLUMNS).position(|column| column == &name);
        row.get(position.unwrap_or(usize::MAX)).unwrap_or("")
    };
    let skills: Vec<serde_json::Value> = field("skills")
        .split(';')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| match item.rsplit_once('=') {
            Some((skill, level)) => Ok(serde_json::json!({ "skill": skill, "level": level.parse::<u8>().map_err(|_| format!("skills: level {level:?} is not 1, 2 or 3"))? })),
            None => Ok(serde_json::json!({ "skill": item })),
        })
        .collect::<Result<_, String>>()?;
    let degree = if field("degree").trim().is_empty() { "none" } else { field("degree").trim() };
    let value = serde_json::json!({
        "id": field("id"),
        "unit": field("unit"),
        "unit_id": field("unit_id"),
        "skills": skills,
        "stage": field("stage"),
        "disability": {
            "degree": degree,
            "causes": csv_list(field("cause_symbols")),
            "working_time_exemption": csv_bool("working_time_exemption", field("working_time_exemption"))?,
        },
        "accommodations_required": csv_list(field("accommodations_required")),
        "accommodations_preferred": csv_list(field("accommodations_preferred")),
        "coach_hours_per_week": csv_number("coach_hours_per_week", if field("coach_hours_per_week").is_empty() { "0" } else { field("coach_hours_per_week") })?,
        "home": { "teryt": field("teryt"), "point": { "lat": csv_number("lat", field("lat"))?, "lon": csv_number("lon", field("lon"))? } },
        "max_commute_km": csv_number("max_commute_km", field("max_commute_km"))?,
        "available_hours_per_week": csv_number("available_hours_per_week", field("available_hours_per_week"))?,
        "night_shifts_ok": csv_bool("night_shifts_ok", field("night_shifts_ok"))?,
        "preferred_contracts": csv_list(field("preferred_contracts")),
        "registered_since": csv_date("registered_since", field("registered_since"))?,
        "consent_to_matching": csv_bool("consent_to_matching", field("consent_to_matching"))?,
        "past_occupations": csv_past_occupations(field("past_occupations"))?,
        "wanted_occupations": csv_list(field("wanted_occupations")),
        "birth_year": match field("birth_year").trim() {
            "" => serde_json::Value::Null,
            year => serde_json::Value::from(year.parse::<u16>().map_err(|_| format!("birth_year: {year:?} is not a year"))?),
        },
        "gender": csv_gender(field("gender"))?,
    });
    let participant: Participant = record_from_csv_value(
        value,
        &[
            ("home.point.lat", "lat"),
            ("home.point.lon", "lon"),
            ("home.teryt", "teryt"),
            ("disability.degree", "degree"),
            ("disability.causes", "cause_symbols"),
            ("disability.working_time_exemption", "working_time_exemption"),
        ],
    )?;
    participant.validated().map_err(|error| error.to_string())
}

/// Rows that parsed (with their line) and rows that did not.
type ReadRows<T> = (Vec<(usize, T)>, Vec<Rejected>);

/// The rows that pass their own validation; the others join the rejected ones.
fn validated_rows<T>(
    (rows, mut rejected): ReadRows<T>,
    validate: impl Fn(T) -> Result<T, pomost_domain::ValidationError>,
) -> ReadRows<T> {
    let mut valid = Vec::with_capacity(rows.len());
    for (line, row) in rows {
        match validate(row) {
            Ok(row) => valid.push((line, row)),
            Err(error) => rejected.push(Rejected { line, reason: error.to_string() }),
        }
    }
    (valid, rejected)
}

/// The rows of a CSV whose header is one of `headers` (else `usage` says what it must be),
/// each turned into a record by `parse`.
fn read_csv_rows<T>(
    text: &str,
    headers: &[&[&str]],
    usage: &str,
    parse: impl Fn(&csv::StringRecord) -> Result<T, String>,
) -> Result<ReadRows<T>, CliError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let header = reader.headers().map_err(|error| CliError::failed(format!("CSV header: {error}")))?.clone();
    let header: Vec<&str> = header.iter().map(str::trim).collect();
    if !headers.iter().any(|accepted| header == *accepted) {
        let widest = headers.iter().max_by_key(|accepted| accepted.len()).copied().unwrap_or_default();
        return Err(CliError::failed(format!("CSV header {}; it must be: {usage}", header_mismatch(&header, widest))));
    }
    let (mut good, mut rejected) = (Vec::new(), Vec::new());
    for (index, row) in reader.records().enumerate() {
        let line = index + 2;
        match row.map_err(|error| error.to_string()).and_then(|row| parse(&row)) {
            Ok(record) => good.push((line, record)),
            Err(reason) => rejected.push(Rejected { line, reason }),
        }
    }
    Ok((good, rejected))
}

/// Where a CSV header parts from `expected` (the longest header accepted), said so that the
/// column to fix can be found: a spreadsheet export separated by semicolons (Excel's
/// default where the decimal mark is a comma, as in Poland), a column missing, renamed or
/// out of order, or one too many.
fn header_mismatch(header: &[&str], expected: &[&str]) -> String {
    if header.iter().all(|column| column.is_empty()) {
        return "is missing (the file is empty or starts with a blank line)".into();
    }
    if let [only] = header
        && only.contains(';')
    {
        return "is separated by ';': columns are separated by ',' (';' separates the items of a list within a column)"
            .into();
    }
    match header.iter().zip(expected).position(|(found, wanted)| found != wanted) {
        Some(index) => format!("has {:?} as column {} where {:?} belongs", header[index], index + 1, expected[index]),
        None if header.len() < expected.len() => {
            format!("ends after column {}, before {:?}", header.len(), expected[header.len()])
        }
        None => format!("has {:?} as column {}, past the last", header[expected.len()], expected.len() + 1),
    }
}

/// Adds the items a bulk stream refused to `rejected`, each by the line it came from.
fn note_rejected<T>(items: Vec<crate::proto::BulkItem>, chunk: &[(usize, T)], rejected: &mut Vec<Rejected>) {
    for item in items {
        if let Some(error) = item.error {
            let line = chunk.get(item.index as usize).map_or(0, |(line, _)| *line);
            rejected.push(Rejected { line, reason: format!("{}: {}", error.field, error.reason) });
        }
    }
}

fn read_participants_csv(text: &str) -> Result<ReadRows<Participant>, CliError> {
    let with_occupations: Vec<&str> = CSV_COLUMNS.iter().chain(&CSV_OCCUPATION_COLUMNS[..2]).copied().collect();
    let with_birth_year: Vec<&str> = CSV_COLUMNS.iter().chain(&CSV_OCCUPATION_COLUMNS[..3]).copied().collect();
    let with_gender: Vec<&str> = CSV_COLUMNS.iter().chain(CSV_OCCUPATION_COLUMNS).copied().collect();
    let usage = format!("{} (optionally followed by ,{})", CSV_COLUMNS.join(","), CSV_OCCUPATION_COLUMNS.join(","));
    read_csv_rows(text, &[CSV_COLUMNS, &with_occupations, &with_birth_year, &with_gender], &usage, participant_from_csv)
}

/// `pomost participants import FILE`: CSV (`.csv`, columns [`CSV_COLUMNS`]) or NDJSON.
pub async fn import_participants(client: &Client, path: &Path) -> Result<(), CliError> {
    let text = read_file(path)?;
    let is_csv = path.extension().is_some_and(|extension| extension.eq_ignore_ascii_case("csv"));
    let (records, mut rejected) = if is_csv {
        read_participants_csv(&text)?
    } else {
        validated_rows(read_json_records::<Participant>(&text), Participant::validated)
    };
    let total = records.len() + rejected.len();
    let bar = progress(records.len());
    let (mut written, mut unchanged) = (0, 0);
    let mut service = ParticipantServiceClient::new(client.channel.clone()).max_encoding_message_size(256 << 20);
    for chunk in records.chunks(1_000) {
        let items: Vec<crate::proto::Participant> =
            chunk.iter().map(|(_, participant)| convert::participant_to_wire(participant)).collect();
        let reply = service.upsert_participants(client.request(tokio_stream::iter(items))).await?.into_inner();
        written += reply.written as usize;
        unchanged += reply.unchanged as usize;
        note_rejected(reply.items, chunk, &mut rejected);
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    rejected.sort_by_key(|row| row.line);
    report(&format!("participants from {}", path.display()), total, written, unchanged, &rejected)
}

/// `pomost audit size`: the audit log's size, entries, retention and archives.
pub async fn audit_size(client: &Client) -> Result<(), CliError> {
    let request = crate::proto::GetAuditStatsRequest {};
    let stats =
        AuditServiceClient::new(client.channel.clone()).get_audit_stats(client.request(request)).await?.into_inner();
    let day = |ms: i64| {
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .map(|at| at.date().to_string())
            .unwrap_or_default()
    };
    let mb = |bytes: u64| bytes as f64 / 1e6;
    println!("entries          {}", stats.entries);
    println!(
        "on disk          {:.1} MB ({:.1} MB of it free pages, reused)",
        mb(stats.bytes_on_disk),
        mb(stats.free_bytes)
    );
    if stats.entries > 0 {
        println!("oldest / newest  {} / {}", day(stats.oldest_ms), day(stats.newest_ms));
        println!("bytes per entry  {:.0}", (stats.bytes_on_disk - stats.free_bytes) as f64 / stats.entries as f64);
    }
    match stats.retention_days {
        0 => println!("retention        none: entries stay in the log"),
        days => println!("retention        {days} days, then archived to audit-archive/"),
    }
    println!("archives         {} files, {:.1} MB", stats.archive_files, mb(stats.archive_bytes));
    Ok(())
}

/// `pomost audit`: recent audit entries.
pub async fn audit(client: &Client, caller: String, offer: Option<String>, limit: u32) -> Result<(), CliError> {
    let offer_key = offer.as_deref().map(parse_offer_key).transpose()?;
    let request = ListAuditRequest { caller, offer_key, limit, ..Default::default() };
    let reply = AuditServiceClient::new(client.channel.clone()).list_audit(client.request(request)).await?.into_inner();
    println!("{:>6}  {:<24} {:<16} {:<17} {:<34} results", "entry", "time (UTC)", "caller", "action", "subject");
    for entry in &reply.entries {
        let time = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(entry.at_ms) * 1_000_000)
            .map(|at| format!("{} {:02}:{:02}:{:02}", at.date(), at.hour(), at.minute(), at.second()))
            .unwrap_or_default();
        let subject = match (&entry.offer_key, entry.participant_id.is_empty()) {
            (Some(key), true) => format!("{}/{}", key.source, key.external_id),
            (Some(key), false) => format!("{} @ {}/{}", entry.participant_id, key.source, key.external_id),
            (None, _) => entry.participant_id.clone(),
        };
        let top: Vec<String> =
            entry.results.iter().take(3).map(|result| format!("{} {:.3}", result.id, result.score)).collect();
        println!(
            "{:>6}  {:<24} {:<16} {:<17} {:<34} {} of {}",
            entry.entry,
            time,
            entry.caller_name,
            entry.action,
            subject,
            top.join(", "),
            entry.results.len()
        );
    }
    println!("{} entries", reply.entries.len());
    Ok(())
}

/// `pomost occupations suggest`: the best occupations for a text, as a table.
pub async fn suggest_occupations(client: &Client, text: String, k: u32) -> Result<(), CliError> {
    let request = crate::proto::SuggestOccupationsRequest { text, k, title: String::new() };
    let reply = VocabularyServiceClient::new(client.channel.clone())
        .suggest_occupations(client.request(request))
        .await?
        .into_inner();
    if reply.suggestions.is_empty() {
        return Err(CliError::failed("no word of the text is in the vocabulary"));
    }
    println!("{:<8} {:>6}  occupation (KZiS 2023)", "code", "score");
    for suggestion in reply.suggestions {
        println!("{:<8} {:>6.3}  {}", suggestion.code, suggestion.score, suggestion.label);
    }
    println!("vocabulary {}", reply.vocabulary_version);
    Ok(())
}

/// `pomost skills extract`: the skills a text file names, as a table.
pub async fn extract_skills(client: &Client, file: &Path) -> Result<(), CliError> {
    let text = if file == Path::new("-") {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|error| CliError::failed(format!("standard input: {error}")))?;
        text
    } else {
        std::fs::read_to_string(file).map_err(|error| CliError::failed(format!("{}: {error}", file.display())))?
    };
    let request = crate::proto::ExtractSkillsRequest { text };
    let reply = VocabularyServiceClient::new(client.channel.clone())
        .extract_skills(client.request(request))
        .await?
        .into_inner();
    println!("{:<22} {:<40} in the text", "skill", "label");
    for skill in &reply.skills {
        println!(
            "{:<22} {:<40} \"{}\" (bytes {}..{})",
            skill.skill, skill.label, skill.matched, skill.start, skill.end
        );
    }
    println!("{} skills; vocabulary {}", reply.skills.len(), reply.vocabulary_version);
    Ok(())
}

/// Columns of the job coaches CSV, in order. Lists are `;`-separated; an area is TERYT
/// units (`area_teryt`), or a centre and a radius, or both.
pub const COACH_CSV_COLUMNS: &[&str] = &[
    "id",
    "unit",
    "unit_id",
    "area_teryt",
    "centre_lat",
    "centre_lon",
    "radius_km",
    "specialisations",
    "accommodations_supported",
    "weekly_capacity_hours",
    "committed_hours",
];

/// One CSV row as a job coach, through the domain's own JSON shape.
fn coach_from_csv(row: &csv::StringRecord) -> Result<JobCoach, String> {
    let field = |name: &str| {
        row.get(COACH_CSV_COLUMNS.iter().position(|column| column == &name).unwrap_or(usize::MAX)).unwrap_or("").trim()
    };
    let centre = match (field("centre_lat"), field("centre_lon")) {
        ("", "") => serde_json::Value::Null,
        (lat, lon) => {
            serde_json::json!({ "lat": csv_number("centre_lat", lat)?, "lon": csv_number("centre_lon", lon)? })
        }
    };
    let or_zero = |name: &str| if field(name).is_empty() { "0" } else { field(name) };
    let value = serde_json::json!({
        "id": field("id"),
        "unit": field("unit"),
        "unit_id": field("unit_id"),
        "area": { "teryt": csv_list(field("area_teryt")), "centre": centre, "radius_km": csv_number("radius_km", or_zero("radius_km"))? },
        "specialisations": csv_list(field("specialisations")),
        "accommodations_supported": csv_list(field("accommodations_supported")),
        "weekly_capacity_hours": csv_number("weekly_capacity_hours", field("weekly_capacity_hours"))?,
        "committed_hours": csv_number("committed_hours", or_zero("committed_hours"))?,
    });
    let coach: JobCoach = record_from_csv_value(
        value,
        &[
            ("area.teryt", "area_teryt"),
            ("area.centre.lon", "centre_lon"),
            ("area.centre", "centre_lat"),
            ("area.radius_km", "radius_km"),
        ],
    )?;
    coach.validated().map_err(|error| error.to_string())
}

/// `pomost coaches import FILE`: CSV (`.csv`, columns [`COACH_CSV_COLUMNS`]) or NDJSON, in
/// bulk streams of 5,000.
pub async fn import_coaches(client: &Client, path: &Path) -> Result<(), CliError> {
    let text = read_file(path)?;
    let is_csv = path.extension().is_some_and(|extension| extension.eq_ignore_ascii_case("csv"));
    let (records, mut rejected) = if is_csv {
        read_csv_rows(&text, &[COACH_CSV_COLUMNS], &COACH_CSV_COLUMNS.join(","), coach_from_csv)?
    } else {
        validated_rows(read_json_records::<JobCoach>(&text), JobCoach::validated)
    };
    let total = records.len() + rejected.len();
    let (mut written, mut unchanged) = (0, 0);
    let mut service = ParticipantServiceClient::new(client.channel.clone()).max_encoding_message_size(256 << 20);
    for chunk in records.chunks(5_000) {
        let items: Vec<crate::proto::JobCoach> = chunk.iter().map(|(_, coach)| convert::coach_to_wire(coach)).collect();
        let reply = service.upsert_job_coaches(client.request(tokio_stream::iter(items))).await?.into_inner();
        written += reply.written as usize;
        unchanged += reply.unchanged as usize;
        note_rejected(reply.items, chunk, &mut rejected);
    }
    rejected.sort_by_key(|row| row.line);
    report(&format!("job coaches from {}", path.display()), total, written, unchanged, &rejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_participants_csv_reads_with_its_optional_columns() {
        let text = include_str!("../docs/examples/participants.csv");
        let (rows, rejected) = read_participants_csv(text).unwrap_or_else(|error| panic!("{}", error.message));
        assert_eq!((rows.len(), rejected.len()), (2, 1), "the second row is invalid on purpose");
        let ola = &rows[0].1;
        assert_eq!(ola.birth_year, Some(1968));
        assert_eq!(ola.wanted_occupations, ["911207"]);
        assert_eq!(
            (ola.gender, rows[1].1.gender),
            (Some(pomost_domain::Gender::Woman), Some(pomost_domain::Gender::Man))
        );
        let without_last = |text: &str| -> String {
            text.lines().map(|line| line.rsplit_once(',').map_or(line, |(head, _)| head)).collect::<Vec<_>>().join("\n")
        };
        let (rows, _) = read_participants_csv(&without_last(text)).unwrap_or_else(|error| panic!("{}", error.message));
        assert_eq!((rows[0].1.gender, rows[0].1.birth_year), (None, Some(1968)), "the gender column is optional");
        let (rows, _) = read_participants_csv(&without_last(&without_last(text)))
            .unwrap_or_else(|error| panic!("{}", error.message));
        assert_eq!(rows[0].1.birth_year, None, "so is the year of birth");
    }

    #[test]
    fn a_file_that_is_not_utf8_is_refused_with_its_line() {
        assert_eq!(utf8_text("id\nżółw\n".as_bytes().to_vec()).unwrap(), "id\nżółw\n");
        // "łódź" in Windows-1250 on the third line.
        let reason = utf8_text(b"id\nanna\n\xb3\xf3d\x9f\n".to_vec()).unwrap_err();
        assert!(reason.starts_with("line 3 is not UTF-8"), "{reason}");
    }

    #[test]
    fn a_wrong_csv_header_names_the_column_to_fix() {
        let expected: &[&str] = &["id", "unit", "unit_id", "area_teryt"];
        let said = |header: &[&str]| header_mismatch(header, expected);
        assert!(said(&["id;unit;unit_id;area_teryt"]).starts_with("is separated by ';'"));
        assert_eq!(
            said(&["id", "unit", "area_teryt", "unit_id"]),
            r#"has "area_teryt" as column 3 where "unit_id" belongs"#
        );
        assert_eq!(said(&["id", "unit"]), r#"ends after column 2, before "unit_id""#);
        assert!(said(&[]).starts_with("is missing"));
        assert_eq!(said(&["id", "unit", "unit_id", "area_teryt", "note"]), r#"has "note" as column 5, past the last"#);
        let text = "id,unit,unit_id,teryt\na,cis,b,1261\n";
        let Err(error) = read_csv_rows(text, &[expected], &expected.join(","), |_| Ok(())) else {
            panic!("a header with a renamed column was taken");
        };
        assert_eq!(
            error.message,
            r#"CSV header has "teryt" as column 4 where "area_teryt" belongs; it must be: id,unit,unit_id,area_teryt"#
        );
    }

    #[test]
    fn a_decimal_comma_is_refused_with_the_point_it_needs() {
        assert_eq!(csv_number("lat", " 49.99 ").unwrap(), serde_json::json!(49.99));
        assert_eq!(
            csv_number("lat", "49,99").unwrap_err(),
            r#"lat: "49,99" is not a number (the decimal mark is a point: "49.99")"#
        );
        assert_eq!(csv_number("lat", "north").unwrap_err(), r#"lat: "north" is not a number"#);
        assert_eq!(csv_number("lat", "NaN").unwrap_err(), r#"lat: "NaN" is not finite"#);
    }

    #[test]
    fn a_yes_no_cell_reads_a_polish_spreadsheet_s_logical_values() {
        for yes in ["true", "TAK", " 1 ", "PRAWDA", "Yes"] {
            assert_eq!(csv_bool("consent_to_matching", yes), Ok(true), "{yes}");
        }
        for no in ["false", "Nie", "0", "", "FAŁSZ", "fałsz"] {
            assert_eq!(csv_bool("consent_to_matching", no), Ok(false), "{no}");
        }
        assert!(csv_bool("consent_to_matching", "maybe").unwrap_err().starts_with("consent_to_matching: "));
    }

    #[test]
    fn a_row_the_domain_refuses_is_refused_with_its_column() {
        let text = include_str!("../docs/examples/participants.csv");
        let header = text.lines().next().unwrap();
        let row = text.lines().nth(1).unwrap();
        let reason = |row: String| {
            let (rows, rejected) = read_participants_csv(&format!("{header}\n{row}\n")).unwrap();
            assert!(rows.is_empty(), "{row}");
            rejected[0].reason.clone()
        };
        assert_eq!(
            reason(row.replace("2025-02-01", "01.02.2025")),
            r#"registered_since: "01.02.2025" is not a date written YYYY-MM-DD"#
        );
        assert!(reason(row.replace("2025-02-01", "2025-02-30")).starts_with("registered_since: "));
        assert!(reason(row.replace(",1261,", ",9999,")).starts_with("teryt: "));
        assert!(reason(row.replace("supported_open_market", "wsparcie")).starts_with("stage: unknown variant"));
        assert!(reason(row.replace(",none,", ",ciezki,")).starts_with("degree: "));
        assert!(reason(row.replace(",extra_breaks,", ",przerwy,")).starts_with("accommodations_preferred: "));

        let coaches = include_str!("../docs/examples/coaches.csv");
        let header = coaches.lines().next().unwrap();
        let row = coaches.lines().nth(1).unwrap().replace("1261;1206", "1261;99");
        let (_, rejected) =
            read_csv_rows(&format!("{header}\n{row}\n"), &[COACH_CSV_COLUMNS], "", coach_from_csv).unwrap();
        assert!(rejected[0].reason.starts_with("area_teryt: "), "{}", rejected[0].reason);
    }

    #[test]
    fn a_json_record_the_domain_refuses_is_refused_with_its_field() {
        let line = r#"{"id":"c","unit":"cis","unit_id":"u","area":{"teryt":["99"]},"weekly_capacity_hours":10}"#;
        let (_, rejected) = read_json_records::<JobCoach>(line);
        assert!(rejected[0].reason.starts_with("area.teryt[0]: "), "{}", rejected[0].reason);
        let (_, rejected) = read_json_records::<JobCoach>(&format!("[{line}]"));
        assert!(rejected[0].reason.starts_with("area.teryt[0]: "), "{}", rejected[0].reason);
        let valid = line.replace("99", "1261");
        let (good, rejected) = read_json_records::<JobCoach>(&format!("{valid}\n{valid} 1"));
        assert_eq!(good.len(), 1, "{rejected:?}");
        assert!(rejected[0].reason.starts_with("trailing characters"), "{}", rejected[0].reason);
    }

    #[test]
    fn a_gender_cell_takes_the_register_codes_and_refuses_anything_else() {
        assert_eq!(csv_gender(" k ").unwrap(), "woman");
        assert_eq!(csv_gender("Mężczyzna").unwrap(), "man");
        assert_eq!(csv_gender("").unwrap(), serde_json::Value::Null);
        assert!(csv_gender("x").unwrap_err().contains("gender"));
    }
}
