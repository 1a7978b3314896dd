//! The `pomost` binary as a user runs it: offline simulation, and the client commands
//! against `pomost serve --demo` (the README's commands, as printed there).

#![allow(clippy::unwrap_used, missing_docs)]

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn pomost(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pomost")).args(args).output().expect("the pomost binary runs")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[test]
fn simulate_prints_an_explained_shortlist() {
    let output = pomost(&["simulate", "--participants", "20000", "--coaches", "200", "--k", "5"]);
    assert!(output.status.success(), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("pool: 20000 participants, 200 coaches"), "{stdout}");
    assert!(stdout.contains("offer synth/regional-krakow"), "{stdout}");
    assert!(stdout.contains("excluded, commute_too_far:"), "{stdout}");
    assert!(stdout.lines().any(|line| line.trim_start().starts_with("5  p-")), "five ranked lines: {stdout}");
}

#[test]
fn simulate_json_is_the_shortlist() {
    let output =
        pomost(&["simulate", "--participants", "5000", "--coaches", "100", "--offer", "remote", "--k", "3", "--json"]);
    assert!(output.status.success(), "{}", text(&output));
    let shortlist: serde_json::Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    assert_eq!(shortlist["candidates"].as_array().map(Vec::len), Some(3));
    assert_eq!(shortlist["pool_size"], 5000);
    let factors = &shortlist["candidates"][0]["factors"];
    assert_eq!(factors.as_array().map(Vec::len), Some(8));
}

#[test]
fn bad_arguments_fail_with_usage() {
    let output = pomost(&["simulate", "--offer", "everywhere"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("invalid value"));
    let output = pomost(&["shortlist", "--offer", "no-slash", "--addr", "http://127.0.0.1:9"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
}

#[test]
fn hash_key_prints_the_sha256() {
    let output = pomost(&["hash-key", "secret"]);
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"
    );
}

/// `pomost serve --demo` on a free port with a fresh data directory.
struct DemoServer {
    child: Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl DemoServer {
    fn start() -> Self {
        Self::start_in(tempfile::tempdir().unwrap())
    }

    /// The demo server on an existing data directory.
    fn start_in(dir: tempfile::TempDir) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_pomost"))
            .args(["serve", "--demo", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Self { child, address: format!("http://127.0.0.1:{port}"), _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(120);
        while !server.run(&["shortlist", "--offer", "demo/zielony-zakatek", "--k", "1"]).status.success() {
            assert!(Instant::now() < deadline, "demo server did not come up");
            std::thread::sleep(Duration::from_millis(200));
        }
        server
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_pomost")).env("POMOST_ADDR", &self.address).args(args).output().unwrap()
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_readme_commands_work_against_the_demo() {
    let server = DemoServer::start();

    let output = server.run(&["shortlist", "--offer", "demo/zielony-zakatek"]);
    assert!(output.status.success(), "{}", text(&output));
    let listing = String::from_utf8_lossy(&output.stdout);
    assert!(listing.contains("shortlist for demo/zielony-zakatek"), "{listing}");
    assert!(
        listing.contains("occupation 921401 Pomocniczy robotnik konserwacji terenów zieleni"),
        "the offer's occupation with its KZiS name: {listing}"
    );
    assert!(listing.contains("excluded, commute_too_far:"), "{listing}");
    assert!(listing.lines().filter(|line| line.contains("skills ")).count() == 20, "{listing}");

    let output = server.run(&["explain", "--participant", "demo-noc-ewa", "--offer", "demo/magazyn-nocny"]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("night work"), "{}", text(&output));

    let output = server.run(&["explain", "--participant", "demo-gluchy-marek", "--offer", "demo/zielony-zakatek"]);
    assert!(String::from_utf8_lossy(&output.stdout).contains("is eligible"), "{}", text(&output));

    let output = server.run(&["explain", "--participant", "demo-wtz-anna", "--offer", "demo/zielony-zakatek"]);
    assert!(String::from_utf8_lossy(&output.stdout).contains("is eligible"), "{}", text(&output));

    let output = server.run(&["recommend", "--participant", "demo-50plus-jan"]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("  1  "), "{}", text(&output));

    let dir = tempfile::tempdir().unwrap();
    let offers = dir.path().join("offers.ndjson");
    let synth = pomost_synth::Synth::new(99, time::OffsetDateTime::now_utc().date());
    let mut lines: Vec<String> = synth.offers(3).map(|offer| serde_json::to_string(&offer).unwrap()).collect();
    let mut bad = synth.offer(4);
    bad.weekly_hours = 90.0;
    lines.push(serde_json::to_string(&bad).unwrap());
    std::fs::write(&offers, lines.join("\n")).unwrap();
    let output = server.run(&["offers", "push", offers.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(text(&output).contains("4 rows, 3 written, 0 unchanged or stale, 1 rejected"), "{}", text(&output));
    assert!(text(&output).contains("line 4: offer.weekly_hours: 90 is over 84"), "{}", text(&output));

    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/examples/offers.ndjson");
    let output = server.run(&["offers", "push", examples]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("2 rows, 2 written"), "{}", text(&output));
    let output = server.run(&["shortlist", "--offer", "pup-krakow/PUP-2026-0001", "--k", "5"]);
    assert!(output.status.success(), "{}", text(&output));

    let people = dir.path().join("people.csv");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/examples/participants.csv"), &people).unwrap();
    let output = server.run(&["participants", "import", people.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(text(&output).contains("3 rows, 2 written, 0 unchanged or stale, 1 rejected"), "{}", text(&output));
    assert!(text(&output).contains("line 3: participant.max_commute_km: 500 is over 300"), "{}", text(&output));

    let output =
        server.run(&["occupations", "suggest", "Magazynierka\nKompletowanie zamówień w magazynie, obsługa skanera"]);
    assert!(output.status.success(), "{}", text(&output));
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.lines().nth(1).is_some_and(|line| line.starts_with("4321")), "{table}");
    assert!(table.contains("Magazynier"), "{table}");

    let ad = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/examples/ad.txt");
    let output = server.run(&["skills", "extract", ad]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("pl:zmywanie"), "{}", text(&output));
    assert!(text(&output).contains("\"zmywanie naczyń\""), "{}", text(&output));
    let output = server.run(&[
        "occupations",
        "suggest",
        "Kelnerka\nObsługa gości restauracji, przyjmowanie zamówień, obsługa kasy fiskalnej",
    ]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).lines().nth(1).is_some_and(|line| line.starts_with("5131")),
        "{}",
        text(&output)
    );

    let coaches = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/examples/coaches.csv");
    let output = server.run(&["coaches", "import", coaches]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(text(&output).contains("3 rows, 2 written, 0 unchanged or stale, 1 rejected"), "{}", text(&output));
    assert!(text(&output).contains("line 3: "), "{}", text(&output));
    // A spreadsheet's export: semicolons, and Windows-1250 letters on the second line.
    let export = dir.path().join("export.csv");
    let header = std::fs::read_to_string(coaches).unwrap().lines().next().unwrap().replace(',', ";");
    std::fs::write(&export, format!("{header}\n")).unwrap();
    let output = server.run(&["coaches", "import", export.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(text(&output).contains("CSV header is separated by ';'"), "{}", text(&output));
    let mut bytes = std::fs::read(coaches).unwrap();
    let second_line = bytes.iter().position(|&byte| byte == b'\n').unwrap() + 1;
    bytes.splice(second_line..second_line, b"w-\xb3\xf3d\x9f,".iter().copied());
    std::fs::write(&export, bytes).unwrap();
    let output = server.run(&["coaches", "import", export.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(text(&output).contains("line 2 is not UTF-8"), "{}", text(&output));
    let header = std::fs::read_to_string(coaches).unwrap().lines().next().unwrap().to_owned();
    std::fs::write(&export, format!("{header}\ncsv-trener-ola,zaz,zaz-wieliczka,,\"49,99\",20.06,30,,,20,\n")).unwrap();
    let output = server.run(&["coaches", "import", export.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(
        text(&output).contains(r#"line 2: centre_lat: "49,99" is not a number (the decimal mark is a point: "49.99")"#),
        "{}",
        text(&output)
    );
    let people_rows = std::fs::read_to_string(&people).unwrap();
    let dotted = people_rows.lines().take(2).collect::<Vec<_>>().join("\n").replace("2025-02-01", "01.02.2025");
    std::fs::write(&export, dotted).unwrap();
    let output = server.run(&["participants", "import", export.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(
        text(&output).contains(r#"line 2: registered_since: "01.02.2025" is not a date written YYYY-MM-DD"#),
        "{}",
        text(&output)
    );

    let output = server.run(&["audit", "size"]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("bytes per entry"), "{}", text(&output));
    assert!(text(&output).contains("retention        none"), "{}", text(&output));

    let output = server.run(&["audit"]);
    assert!(output.status.success(), "{}", text(&output));
    let audit = String::from_utf8_lossy(&output.stdout);
    assert!(
        audit.contains("shortlist") && audit.contains("explain_match") && audit.contains("recommend_offers"),
        "{audit}"
    );
}

#[test]
fn check_names_each_damaged_record_and_exits_non_zero() {
    use pomost_store::Store;
    let dir = tempfile::tempdir().unwrap();
    let synth = pomost_synth::Synth::new(5, time::OffsetDateTime::now_utc().date());
    let mut person = synth.participant(5_000);
    person.unit_id = "check-marker-unit-41".into();
    {
        let store = pomost_store::SqliteStore::open(dir.path(), pomost_store::SqliteOptions::default()).unwrap();
        store.upsert_participant(&person).unwrap();
        store.upsert_participants(&synth.participants(50).collect::<Vec<_>>()).unwrap();
        store.upsert_offers(&synth.offers(20).collect::<Vec<_>>()).unwrap();
    }
    let data_dir = dir.path().to_str().unwrap();
    let output = pomost(&["check", "--data-dir", data_dir]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("checked 71 records") && text(&output).contains("no damage"), "{}", text(&output));

    let path = dir.path().join("pomost.sqlite3");
    let mut bytes = std::fs::read(&path).unwrap();
    let marker = b"check-marker-unit-41";
    let at = bytes.windows(marker.len()).position(|window| window == marker).unwrap();
    bytes[at..at + marker.len()].copy_from_slice(b"check-marker-unit-99");
    std::fs::write(&path, bytes).unwrap();
    let output = pomost(&["check", "--data-dir", data_dir]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        text(&output).contains(&format!("damaged: participant {}: checksum mismatch", person.id)),
        "{}",
        text(&output)
    );
    assert!(text(&output).contains("1 damaged"), "{}", text(&output));

    let output = pomost(&["check", "--data-dir", dir.path().join("nothing-here").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
}

#[test]
fn exposure_audit_prints_each_group_of_a_data_directory() {
    use pomost_store::Store;
    let dir = tempfile::tempdir().unwrap();
    let today = time::OffsetDateTime::now_utc().date();
    let synth = pomost_synth::Synth::new(8, today);
    {
        let store = pomost_store::SqliteStore::open(dir.path(), pomost_store::SqliteOptions::default()).unwrap();
        store.upsert_participants(&synth.participants(2_000).collect::<Vec<_>>()).unwrap();
        let offers: Vec<_> = synth.offers(30).filter(|offer| offer.is_open_on(today)).collect();
        assert!(!offers.is_empty());
        store.upsert_offers(&offers).unwrap();
    }
    let output = pomost(&["audit", "exposure", "--data-dir", dir.path().to_str().unwrap()]);
    assert!(matches!(output.status.code(), Some(0 | 3)), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("exposure audit: "), "{stdout}");
    assert!(stdout.contains("policy 2026-11.3"), "{stdout}");
    for group in ["needs a job coach", "certificate: severe", "stage: social activation"] {
        assert!(stdout.contains(group), "{group} missing: {stdout}");
    }
    let output = pomost(&["audit", "exposure", "--seed", "3", "--data-dir", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "a population seed goes with --demo only: {}", text(&output));
    // The audit is itself audited.
    let store = pomost_store::SqliteStore::open(dir.path(), pomost_store::SqliteOptions::default()).unwrap();
    let entries = store.list_audit(&pomost_store::AuditQuery { limit: 10, ..Default::default() }).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].1.action, pomost_store::AuditAction::ExposureAudit);
}

#[test]
fn an_imported_esco_release_gives_skills_their_uris() {
    let dir = tempfile::tempdir().unwrap();
    let release = dir.path().join("skills_pl.csv");
    std::fs::write(
        &release,
        "conceptType,conceptUri,skillType,reuseLevel,preferredLabel,altLabels,description\n\
         KnowledgeSkillCompetence,http://data.europa.eu/esco/skill/test-1,skill/competence,sector-specific,\
         lutować elementy elektroniczne,\"lutowanie elementów\nlutowanie płytek\",Łączenie elementów lutem.\n\
         KnowledgeSkillCompetence,http://data.europa.eu/esco/skill/test-2,skill/competence,cross-sector,\
         spawać światłowody w terenie,,\n",
    )
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let output = pomost(&["skills", "import", release.to_str().unwrap(), "--data-dir", data.path().to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("imported 2 ESCO skills (1 matched shipped labels, 1 new)"), "{}", text(&output));
    let output = pomost(&["skills", "import", "/nonexistent.csv", "--data-dir", data.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    std::fs::write(dir.path().join("bad.csv"), "uri,label\nx,y\n").unwrap();
    let bad = dir.path().join("bad.csv");
    let output = pomost(&["skills", "import", bad.to_str().unwrap(), "--data-dir", data.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(text(&output).contains("conceptUri"), "{}", text(&output));

    let server = DemoServer::start_in(data);
    let ad = dir.path().join("ad.txt");
    std::fs::write(&ad, "Monter: lutowanie płytek drukowanych, spawanie światłowodów w terenie.").unwrap();
    let output = server.run(&["skills", "extract", ad.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("http://data.europa.eu/esco/skill/test-1"), "{}", text(&output));
    assert!(text(&output).contains("http://data.europa.eu/esco/skill/test-2"), "{}", text(&output));
}

#[test]
fn a_caseworker_refers_moves_lists_and_watches() {
    let server = DemoServer::start();
    let output = server.run(&[
        "refer",
        "--participant",
        "demo-wtz-anna",
        "--offer",
        "demo/zielony-zakatek",
        "--coach",
        "demo-trener-pjm",
    ]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("ref-1 proposed, 8 h/week of demo-trener-pjm reserved"), "{}", text(&output));
    let output = server.run(&["referrals", "move", "ref-1", "--to", "sent"]);
    assert!(text(&output).contains("ref-1 sent_to_employer"), "{}", text(&output));
    let output = server.run(&["referrals", "move", "ref-1", "--to", "proposed"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let output = server.run(&["referrals", "--unit", "demo-krakow"]);
    assert!(output.status.success(), "{}", text(&output));
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(
        table.lines().any(|line| line.starts_with("ref-1")
            && line.contains("sent_to_employer")
            && line.contains("demo-wtz-anna")),
        "{table}"
    );
    let output = server.run(&["outcomes", "--by", "unit"]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("demo-krakow") && text(&output).contains("not shown"), "{}", text(&output));

    let output = server.run(&["assign", "--region", "1261"]);
    assert!(output.status.success(), "{}", text(&output));
    let assigned = String::from_utf8_lossy(&output.stdout);
    assert!(
        assigned.contains("people placed, total score")
            && assigned.lines().any(|line| line.contains('/') && !line.starts_with(' ')),
        "{assigned}"
    );

    let output = server.run(&["audit", "report", "--region", "12"]);
    assert!(matches!(output.status.code(), Some(0 | 3)), "{}", text(&output));
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(report.contains("certificate: none") && report.contains("shortlists ("), "{report}");

    let mut watch = Command::new(env!("CARGO_BIN_EXE_pomost"))
        .env("POMOST_ADDR", &server.address)
        .args(["watch", "--unit", "demo-krakow", "--k", "3"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (lines, received) = std::sync::mpsc::channel();
    let stdout = watch.stdout.take().unwrap();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let started = received.recv_timeout(Duration::from_secs(30)).unwrap();
    assert!(started.starts_with("watching unit demo-krakow"), "{started}");
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/examples/offers.ndjson");
    assert!(server.run(&["offers", "push", examples]).status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    while !seen.iter().any(|line: &String| line.starts_with('[') && line.contains("pup-krakow/")) {
        let left = deadline.saturating_duration_since(Instant::now());
        match received.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => panic!("no match pushed within 30 s: {seen:?}"),
        }
    }
    let _ = watch.kill();
    let _ = watch.wait();
}
