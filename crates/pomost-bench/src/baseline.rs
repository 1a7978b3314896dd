//! `pomost-bench baseline`: the same generated dataset in Pomost and in PostgreSQL with
//! PostGIS, the same shortlists asked of both, timed side by side in one run.
//!
//! The SQL side is what an office's IT team would write: participants with a geography
//! column under a GiST index, skills and occupations in their own tables under B-tree
//! indexes, coaches with their areas, and one query per offer that applies the same hard
//! constraints (commute, consent, the legal working-time limits, night work, stage,
//! accommodations, a coach with free hours whose area covers the workplace or the home) and
//! orders by a weighted score built from the same policy weights, top 50. It does not
//! credit related skills (Pomost's skill relatedness table has no SQL counterpart an IT
//! team would have), and it returns no exclusion counts, no explanation and no audit entry:
//! it does less than Pomost does. The overlap of the two top-50 lists is reported so a
//! reader can see the two answer the same question.
//!
//! The query reads each eligible person's skills and occupations through B-tree indexes on
//! the participant id. A first version joined skill scores aggregated over the whole table:
//! at 1,000,000 participants the planner, expecting one eligible row, chose nested loops and
//! one regional list ran for minutes; with hash joins forced it took 2.1 s, this form 0.8 s.
//! JIT is off in `benches/postgres/start.sh` for the same reason a DBA would turn it off
//! here: compiling this query cost about 0.4 s more than it saved.

use std::time::Instant;

use bytes::Bytes;
use futures_util::SinkExt;
use pomost::convert;
use pomost::proto::matching_service_client::MatchingServiceClient;
use pomost::proto::{ShortlistRequest, shortlist_request};
use pomost_domain::{DisabilityDegree, JobCoach, Offer, Participant, Workplace};
use pomost_scoring::{Factor, ScoringPolicy};
use pomost_store::throwaway::ThrowawayPostgres;
use pomost_synth::Synth;
use serde::{Deserialize, Serialize};
use tokio_postgres::{Client, NoTls};

use crate::run::{RunOptions, connect, load, start_server};

/// What to measure.
#[derive(Debug, Clone)]
pub struct BaselineOptions {
    /// Dataset and server.
    pub run: RunOptions,
    /// PostgreSQL to load into; without one, `benches/postgres/start.sh` starts one.
    pub pg_url: Option<String>,
    /// Times each regional offer is asked (50 offers).
    pub regional_rounds: usize,
    /// Times the national offer is asked.
    pub national_rounds: usize,
}

/// Latencies of one kind of shortlist on one side, milliseconds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Timings {
    /// Requests timed.
    pub requests: usize,
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile (the largest below 100 requests).
    pub p99_ms: f64,
    /// Mean.
    pub mean_ms: f64,
}

impl Timings {
    fn of(mut samples: Vec<f64>) -> Self {
        samples.sort_by(f64::total_cmp);
        let at = |quantile: f64| {
            samples.get(((samples.len() as f64 * quantile).ceil() as usize).saturating_sub(1)).copied().unwrap_or(0.0)
        };
        Self {
            requests: samples.len(),
            p50_ms: at(0.5),
            p99_ms: at(0.99),
            mean_ms: samples.iter().sum::<f64>() / samples.len().max(1) as f64,
        }
    }
}

/// One kind of offer, both sides.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SideBySide {
    /// Pomost through gRPC (one request in flight).
    pub pomost: Timings,
    /// PostgreSQL + PostGIS (one query in flight).
    pub postgres: Timings,
    /// PostgreSQL's median over Pomost's.
    pub ratio_p50: f64,
    /// Share of PostgreSQL's top 50 that is also in Pomost's, averaged over the offers.
    pub overlap: f64,
}

/// The figures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BaselineResult {
    /// Commit measured.
    pub commit: String,
    /// Participants in both.
    pub participants: usize,
    /// Coaches in both.
    pub coaches: usize,
    /// `select version()` of the server.
    pub postgres_version: String,
    /// Seconds to load and index the dataset in PostgreSQL.
    pub postgres_load_seconds: f64,
    /// On-site offers (50 of them, each workplace in a real powiat).
    pub regional: SideBySide,
    /// A remote offer open to the whole country.
    pub national: SideBySide,
}

impl BaselineResult {
    /// A summary to print.
    pub fn markdown(&self) -> String {
        let row = |name: &str, side: &SideBySide| {
            format!(
                "| {name} | {:.2} ms | {:.2} ms | {:.1} ms | {:.1} ms | {:.0}× | {:.0}% |",
                side.pomost.p50_ms,
                side.pomost.p99_ms,
                side.postgres.p50_ms,
                side.postgres.p99_ms,
                side.ratio_p50,
                side.overlap * 100.0
            )
        };
        format!(
            "baseline: {} participants, {} coaches, commit {}; {} (loaded and indexed in {:.0} s)\n\n\
             | top-50 shortlist | Pomost p50 | Pomost p99 | PostgreSQL p50 | PostgreSQL p99 | ratio (p50) | same people |\n\
             |---|---|---|---|---|---|---|\n{}\n{}",
            self.participants,
            self.coaches,
            self.commit,
            self.postgres_version,
            self.postgres_load_seconds,
            row("regional (50 on-site offers)", &self.regional),
            row("national (remote)", &self.national),
        )
    }
}

/// Whether PostgreSQL and PostGIS are installed here (the start script would otherwise
/// install them, which needs root and the package registry).
pub use pomost_store::throwaway::postgres_installed;

const SCHEMA: &str = "
drop table if exists participant_skills, participant_occupations, participants, coach_areas, coaches;
create table participants (
    id text primary key,
    home geography(Point, 4326) not null,
    home_teryt text not null,
    max_commute_km real not null,
    available_hours real not null,
    coach_hours real not null,
    night_ok boolean not null,
    consent boolean not null,
    exempt boolean not null,
    degree smallint not null,
    stage smallint not null,
    acc_required integer not null,
    preferred_contracts integer not null,
    registered_since date not null
);
create table participant_skills (participant_id text not null, skill text not null, level smallint);
create table participant_occupations (participant_id text not null, code text not null, kind smallint not null);
create table coaches (
    id text primary key,
    centre geography(Point, 4326),
    radius_km real not null,
    supported integer not null,
    free_hours real not null
);
create table coach_areas (coach_id text not null, teryt text not null);
";

const INDEXES: &str = "
create index participants_home on participants using gist (home);
create index participants_stage on participants (stage);
create index participant_skills_person on participant_skills (participant_id, skill);
create index participant_occupations_person on participant_occupations (participant_id);
create index coaches_centre on coaches using gist (centre);
create index coach_areas_coach on coach_areas (coach_id);
create index coach_areas_teryt on coach_areas (teryt);
analyze;
";

/// Loads the dataset with COPY and builds the indexes.
async fn load_postgres(client: &Client, people: &[Participant], coaches: &[JobCoach]) -> Result<f64, String> {
    let started = Instant::now();
    client.batch_execute(SCHEMA).await.map_err(|error| error.to_string())?;
    let mut rows = String::new();
    let mut skills = String::new();
    let mut occupations = String::new();
    for person in people {
        let point = person.home.point;
        rows.push_str(&format!(
            "{}\tSRID=4326;POINT({} {})\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            person.id,
            point.lon(),
            point.lat(),
            person.home.teryt,
            person.max_commute_km,
            person.available_hours_per_week,
            person.coach_hours_per_week,
            person.night_shifts_ok,
            person.consent_to_matching,
            person.disability.working_time_exemption,
            person.disability.degree.code(),
            person.stage.rank(),
            person.accommodations_required.as_u16(),
            person.preferred_contracts.as_u8(),
            person.registered_since,
        ));
        for claim in &person.skills {
            let level = claim.level.map_or("\\N".to_owned(), |level| level.get().to_string());
            skills.push_str(&format!("{}\t{}\t{level}\n", person.id, claim.skill));
        }
        for code in &person.wanted_occupations {
            occupations.push_str(&format!("{}\t{code}\t1\n", person.id));
        }
        for past in &person.past_occupations {
            occupations.push_str(&format!("{}\t{}\t{}\n", person.id, past.code, if past.years >= 1.0 { 2 } else { 3 }));
        }
    }
    copy(client, "participants", rows).await?;
    copy(client, "participant_skills", skills).await?;
    copy(client, "participant_occupations", occupations).await?;
    let mut rows = String::new();
    let mut areas = String::new();
    for coach in coaches {
        let centre = coach
            .area
            .centre
            .map_or("\\N".to_owned(), |point| format!("SRID=4326;POINT({} {})", point.lon(), point.lat()));
        rows.push_str(&format!(
            "{}\t{centre}\t{}\t{}\t{}\n",
            coach.id,
            coach.area.radius_km,
            coach.accommodations_supported.as_u16(),
            coach.free_hours()
        ));
        for teryt in &coach.area.teryt {
            areas.push_str(&format!("{}\t{teryt}\n", coach.id));
        }
    }
    copy(client, "coaches", rows).await?;
    copy(client, "coach_areas", areas).await?;
    client.batch_execute(INDEXES).await.map_err(|error| error.to_string())?;
    Ok(started.elapsed().as_secs_f64())
}

async fn copy(client: &Client, table: &str, rows: String) -> Result<(), String> {
    let sink = client.copy_in(&format!("copy {table} from stdin")).await.map_err(|error| error.to_string())?;
    let mut sink = std::pin::pin!(sink);
    let bytes = Bytes::from(rows);
    for start in (0..bytes.len()).step_by(8 << 20) {
        sink.send(bytes.slice(start..(start + (8 << 20)).min(bytes.len()))).await.map_err(|error| error.to_string())?;
    }
    sink.as_mut().finish().await.map_err(|error| format!("copy {table}: {error}"))?;
    Ok(())
}

/// The shortlist query, with the policy's weights and constants written in (the way a team
/// writes a query for its own policy). Parameters: $1 workplace as WKT (null for remote),
/// $2 remote, $3–$5 requirement skills, weights (must-haves doubled) and minimum levels
/// (0 for none), $6 degrees the working-time rule forbids, $7 night work, $8 lowest stage
/// accepted, $9 accommodations the offer provides, $10 sum of requirement weights, $11 KZiS
/// code ('' for none), $12 workplace TERYT, $13 accepts an external coach, $14 the widest
/// commute of anyone (km), $15 employer mentor, $16 stage preferred, $17 prefers
/// readiness, $18 weekly hours, $19 contract bit, $20 the day of the list.
fn shortlist_sql(policy: &ScoringPolicy) -> String {
    let weight = |factor: Factor| policy.weights.get(factor);
    format!(
        "
with req(skill, weight, min_level) as (
    select * from unnest($3::text[], $4::real[], $5::int[])
),
site_coaches as materialized (
    select c.id, c.free_hours, c.supported from coaches c
    where $13::boolean and not $2::boolean and (
        ST_DWithin(c.centre, ST_GeogFromText($1::text), c.radius_km * 1000)
        or exists (select 1 from coach_areas a where a.coach_id = c.id and $12::text like a.teryt || '%'))
),
eligible as (
    select p.id, p.stage, p.available_hours, p.preferred_contracts, p.registered_since,
        case when $2::boolean then 0 else ST_Distance(p.home, ST_GeogFromText($1::text)) / 1000 end as km
    from participants p
    where p.consent
        and ($2::boolean or (ST_DWithin(p.home, ST_GeogFromText($1::text), $14::float8 * 1000)
            and ST_DWithin(p.home, ST_GeogFromText($1::text), p.max_commute_km * 1000)))
        and (p.exempt or p.degree <> all($6::smallint[]))
        and (not $7::boolean or p.night_ok)
        and p.stage >= $8::smallint
        and (
            ((p.acc_required & ~$9::integer) = 0 and p.coach_hours = 0)
            or (not $2::boolean and exists (
                select 1 from site_coaches s
                where s.free_hours >= case when p.coach_hours > 0 then p.coach_hours else {support} end
                    and (s.supported & (p.acc_required & ~$9::integer)) = (p.acc_required & ~$9::integer)))
            or ($2::boolean and $13::boolean and exists (
                select 1 from coaches c
                where c.free_hours >= case when p.coach_hours > 0 then p.coach_hours else {support} end
                    and (c.supported & (p.acc_required & ~$9::integer)) = (p.acc_required & ~$9::integer)
                    and (ST_DWithin(c.centre, p.home, c.radius_km * 1000)
                        or exists (select 1 from coach_areas a where a.coach_id = c.id and p.home_teryt like a.teryt || '%'))))
            or ((p.acc_required & ~$9::integer) = 0 and $15::boolean)
        )
),
scored as (
    select e.id,
        {w_skills} * case when $10::real = 0 then 1.0 else least(coalesce((
            select sum(r.weight * coalesce((
                select max(case when r.min_level = 0 then 1.0
                                when s.level is null then {unassessed}
                                when s.level >= r.min_level then 1.0
                                else s.level::real / r.min_level end)
                from participant_skills s where s.participant_id = e.id and s.skill = r.skill), 0))
            from req r) / $10::real, 0), 1.0) end
        + {w_occupation} * coalesce((
            select max(case when o.code = $11::text then 1.0
                            when left(o.code, 4) = left($11::text, 4) then {unit}
                            when left(o.code, 3) = left($11::text, 3) then {minor}
                            when left(o.code, 2) = left($11::text, 2) then {sub_major}
                            else 0 end
                       * case when o.kind = 3 then {short} else 1.0 end)
            from participant_occupations o where o.participant_id = e.id and $11::text <> ''), 0)
        + {w_stage} * case when not $17::boolean or e.stage >= $16::smallint then 1.0
                           else greatest(0, 1 - ($16::smallint - e.stage) * {gap}) end
        + {w_coach} + {w_accommodations}
        + {w_commute} * {half} / ({half} + e.km)
        + {w_preferences} * (0.5 * least(e.available_hours / $18::real, 1.0)
            + 0.5 * case when e.preferred_contracts = 0 or (e.preferred_contracts & $19::integer) <> 0 then 1.0 else 0.0 end)
        + {w_waiting} * least(greatest(($20::text::date - e.registered_since) / 30.44 / {full_months}, 0), 1.0) as score
    from eligible e
)
select id from scored order by score desc, id limit 50
",
        support = policy.accommodation_support_hours,
        unassessed = policy.unassessed_level_credit,
        unit = policy.occupation_unit_group_credit,
        minor = policy.occupation_minor_group_credit,
        sub_major = policy.occupation_sub_major_group_credit,
        short = policy.short_experience_share,
        gap = policy.stage_gap_penalty,
        half = policy.commute_half_km,
        full_months = policy.waiting_full_months,
        w_skills = weight(Factor::Skills),
        w_occupation = weight(Factor::Occupation),
        w_stage = weight(Factor::Stage),
        w_coach = weight(Factor::Coach),
        w_accommodations = weight(Factor::Accommodations),
        w_commute = weight(Factor::Commute),
        w_preferences = weight(Factor::Preferences),
        w_waiting = weight(Factor::Waiting),
    )
}

/// Runs the shortlist query for one offer; the ids best first.
async fn sql_shortlist(
    client: &Client,
    statement: &tokio_postgres::Statement,
    policy: &ScoringPolicy,
    offer: &Offer,
    widest_km: f32,
    today: time::Date,
) -> Result<Vec<String>, String> {
    let (workplace, teryt, remote) = match &offer.workplace {
        Workplace::OnSite(location) => (
            Some(format!("SRID=4326;POINT({} {})", location.point.lon(), location.point.lat())),
            location.teryt.to_string(),
            false,
        ),
        Workplace::Remote => (None, String::new(), true),
    };
    let requirements = offer
        .required_skills
        .iter()
        .map(|requirement| (requirement, policy.must_have_multiplier))
        .chain(offer.nice_to_have_skills.iter().map(|requirement| (requirement, 1.0)));
    let (mut skills, mut weights, mut levels) = (Vec::new(), Vec::new(), Vec::new());
    for (requirement, multiplier) in requirements {
        skills.push(requirement.skill.to_string());
        weights.push(requirement.weight * multiplier);
        levels.push(requirement.min_level.map_or(0i32, |level| i32::from(level.get())));
    }
    let forbidden: Vec<i16> = DisabilityDegree::ALL
        .into_iter()
        .filter(|degree| !pomost_domain::rules::working_time_violations(*degree, false, offer).is_empty())
        .map(|degree| i16::from(degree.code()))
        .collect();
    let lowest = i16::from(pomost_domain::rules::lowest_stage_accepted(
        offer.min_stage,
        offer.adaptation_weeks,
        policy.adaptation_weeks_per_stage,
    ));
    let weight_sum: f32 = weights.iter().sum();
    let provided = i32::from(offer.accommodations_provided.as_u16());
    let min_stage = i16::from(offer.min_stage.rank());
    let contract_bit = 1i32 << (offer.contract_type as u8);
    let today = time::Date::to_string(&today);
    let rows = client
        .query(
            statement,
            &[
                &workplace,
                &remote,
                &skills,
                &weights,
                &levels,
                &forbidden,
                &offer.night_work,
                &lowest,
                &provided,
                &weight_sum,
                &offer.occupation_code,
                &teryt,
                &offer.accepts_external_coach,
                &f64::from(widest_km),
                &offer.employer_mentor,
                &min_stage,
                &offer.prefers_readiness,
                &offer.weekly_hours,
                &contract_bit,
                &today,
            ],
        )
        .await
        .map_err(|error| format!("shortlist query: {error}"))?;
    Ok(rows.iter().map(|row| row.get::<_, String>(0)).collect())
}

/// Pomost's shortlist through gRPC; the ids best first.
async fn pomost_shortlist(
    client: &mut MatchingServiceClient<tonic::transport::Channel>,
    offer: &Offer,
    today: time::Date,
) -> Result<Vec<String>, String> {
    let reply = client
        .shortlist(ShortlistRequest {
            offer: Some(shortlist_request::Offer::OfferKey(convert::offer_key_to_wire(&offer.key))),
            k: 50,
            as_of: today.to_string(),
            ..Default::default()
        })
        .await
        .map_err(|status| status.to_string())?;
    Ok(reply.into_inner().candidates.into_iter().map(|candidate| candidate.participant_id).collect())
}

/// Times both sides on the same offers, one request in flight: every Pomost request first,
/// then every query (alternating would let each side's working set evict the other's from
/// the caches, which neither meets when it runs alone).
async fn side_by_side(
    grpc: &mut MatchingServiceClient<tonic::transport::Channel>,
    sql: (&Client, &tokio_postgres::Statement),
    policy: &ScoringPolicy,
    offers: &[Offer],
    rounds: usize,
    widest_km: f32,
    today: time::Date,
) -> Result<SideBySide, String> {
    let (mut fast, mut slow, mut ours) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        for offer in offers {
            let started = Instant::now();
            let list = pomost_shortlist(grpc, offer, today).await?;
            fast.push(started.elapsed().as_secs_f64() * 1e3);
            if round == 0 {
                ours.push(list);
            }
        }
    }
    let mut overlaps = Vec::new();
    for round in 0..rounds {
        for (offer, ours) in offers.iter().zip(&ours) {
            let started = Instant::now();
            let theirs = sql_shortlist(sql.0, sql.1, policy, offer, widest_km, today).await?;
            slow.push(started.elapsed().as_secs_f64() * 1e3);
            if round == 0 && !theirs.is_empty() {
                let same = theirs.iter().filter(|id| ours.contains(id)).count();
                overlaps.push(same as f64 / theirs.len() as f64);
            }
        }
    }
    let pomost = Timings::of(fast);
    let postgres = Timings::of(slow);
    Ok(SideBySide {
        ratio_p50: postgres.p50_ms / pomost.p50_ms.max(f64::EPSILON),
        overlap: overlaps.iter().sum::<f64>() / overlaps.len().max(1) as f64,
        pomost,
        postgres,
    })
}

/// Loads the dataset into both, then times the same shortlists on each.
pub async fn measure(options: BaselineOptions) -> Result<BaselineResult, String> {
    let today = time::OffsetDateTime::now_utc().date();
    let (url, _started) = match &options.pg_url {
        Some(url) => (url.clone(), None),
        None => {
            // Settings a DBA would give this machine (benches/postgres/start.sh).
            let started = tokio::task::block_in_place(|| ThrowawayPostgres::start_with("4GB"))?;
            (started.url("pomost_baseline"), Some(started))
        }
    };
    let (client, connection) = tokio_postgres::connect(&url, NoTls).await.map_err(|error| format!("{url}: {error}"))?;
    tokio::spawn(connection);
    let postgres_version: String =
        client.query_one("select version()", &[]).await.map_err(|error| error.to_string())?.get(0);

    let mut server = start_server(&options.run)?;
    let channel = connect(server.addr()).await?;
    load(&channel, &options.run, today, &[], &[]).await?;

    let synth = Synth::new(options.run.seed, today);
    let people: Vec<Participant> = synth.participants(options.run.participants).collect();
    let coaches: Vec<JobCoach> = synth.coaches(options.run.coaches).collect();
    let widest_km = people.iter().map(|person| person.max_commute_km).fold(0.0, f32::max);
    let postgres_load_seconds = load_postgres(&client, &people, &coaches).await?;
    eprintln!("PostgreSQL: loaded and indexed in {postgres_load_seconds:.1} s");
    drop(people);

    let policy = ScoringPolicy::default();
    let statement = client.prepare(&shortlist_sql(&policy)).await.map_err(|error| error.to_string())?;
    let mut regional = vec![synth.regional_offer()];
    regional.extend(
        synth
            .offers(options.run.offers.min(2_000))
            .filter(|offer| offer.location().is_some() && offer.is_open_on(today))
            .take(49),
    );
    let mut grpc = MatchingServiceClient::new(channel.clone());
    let sql = (&client, &statement);
    // One untimed round warms both (PostgreSQL's buffers, Pomost's pool pages).
    side_by_side(&mut grpc, sql, &policy, &regional, 1, widest_km, today).await?;
    let regional = side_by_side(&mut grpc, sql, &policy, &regional, options.regional_rounds, widest_km, today).await?;
    eprintln!(
        "regional: Pomost p50 {:.2} ms, PostgreSQL p50 {:.1} ms",
        regional.pomost.p50_ms, regional.postgres.p50_ms
    );
    let national_offer = [synth.remote_offer()];
    let national =
        side_by_side(&mut grpc, sql, &policy, &national_offer, options.national_rounds, widest_km, today).await?;
    server.stop();
    Ok(BaselineResult {
        commit: options.run.commit.clone(),
        participants: options.run.participants,
        coaches: options.run.coaches,
        postgres_version,
        postgres_load_seconds,
        regional,
        national,
    })
}
