//! `patchloop db import|sync|status` through the real binary: exit codes,
//! JSON reports, staleness, killing an import mid-way, reading while an
//! import runs, and sync against a loopback HTTP server.

#[path = "../../patchloop-feeds/benches/gen_corpus.rs"]
mod gen_corpus;
#[path = "../../patchloop-feeds/tests/support/server.rs"]
mod server;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use patchloop_feeds::{AdvisoryStore, OpenMode, SqliteStore};
use patchloop_model::Ecosystem;
use predicates::prelude::*;
use serde_json::Value;

fn patchloop(db: &Path) -> Command {
    let mut c = Command::cargo_bin("patchloop").unwrap();
    c.env_remove("NO_COLOR")
        .env_remove("PATCHLOOP_NOW")
        .env_remove("PATCHLOOP_OSV_URL")
        .env_remove("PATCHLOOP_KEV_URL")
        .env_remove("PATCHLOOP_EPSS_URL")
        .env("PATCHLOOP_CONFIG", db.with_extension("no-config.toml"))
        .env("PATCHLOOP_DB", db);
    c
}

fn shared(rel: &str) -> Option<PathBuf> {
    patchloop_testdata::shared_data(rel)
}

fn status_json(db: &Path, now: &str) -> Value {
    let out = patchloop(db)
        .args(["db", "status", "--format", "json"])
        .env("PATCHLOOP_NOW", now)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn import_status_and_staleness() {
    let Some(crates) = shared("osv/crates.io") else {
        return;
    };
    let Some(kev) = shared("kev/known_exploited_vulnerabilities.json") else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let db = d.path().join("adv.db");
    let out = patchloop(&db)
        .args(["db", "import", "--format", "json"])
        .arg(&crates)
        .arg(&kev)
        .env("PATCHLOOP_NOW", "2025-09-01T00:00:00Z")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rep: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rep["records"]["inserted"], 1206);
    assert_eq!(rep["kev"]["inserted"], 1404);
    assert_eq!(rep["committed"], true);

    // Fresh: no warning.
    let out = patchloop(&db)
        .args(["db", "status", "--format", "json"])
        .env("PATCHLOOP_NOW", "2025-09-02T00:00:00Z")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("older than"));
    let st: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(st["schema"], "patchloop.db-status/v1");
    assert_eq!(st["advisories"], 1206);
    assert_eq!(st["withdrawn"], 13);
    assert_eq!(st["kev_entries"], 1404);
    assert_eq!(st["kev_catalog_version"], "2025.08.25");
    assert_eq!(st["by_source_ecosystem"][0]["ecosystem"], "crates.io");
    assert_eq!(st["data_age_secs"], 86_400);
    assert_eq!(st["staleness"]["stale"], false);
    let src: Vec<&str> = st["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(src, ["kev", "osv/crates.io"]);
    assert_eq!(st["sources"][0]["last_import"], "2025-09-01T00:00:00Z");

    // Ten days later: stale, warned on stderr and in the JSON.
    let out = patchloop(&db)
        .args(["db", "status", "-f", "json"])
        .env("PATCHLOOP_NOW", "2025-09-11T00:00:00Z")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: advisory data is older than 3d"),
        "{err}"
    );
    let st: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(st["staleness"]["stale"], true);
    assert_eq!(st["data_age_secs"], 10 * 86_400);
    // The gate and the threshold.
    patchloop(&db)
        .args(["db", "status", "--fail-if-stale"])
        .env("PATCHLOOP_NOW", "2025-09-11T00:00:00Z")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("STALE"));
    patchloop(&db)
        .args(["db", "status", "--max-age", "30d", "--fail-if-stale"])
        .env("PATCHLOOP_NOW", "2025-09-11T00:00:00Z")
        .assert()
        .code(0)
        .stderr(predicate::str::contains("older than").not());
    // The configured maximum applies too.
    std::fs::write(
        db.with_extension("no-config.toml"),
        "[feeds]\nmax_age = \"20d\"\n",
    )
    .unwrap();
    patchloop(&db)
        .args(["db", "status", "--fail-if-stale"])
        .env("PATCHLOOP_NOW", "2025-09-11T00:00:00Z")
        .assert()
        .code(0);
    // --output writes the report to a file.
    let report = d.path().join("status.json");
    patchloop(&db)
        .args(["db", "status", "-f", "json", "-o"])
        .arg(&report)
        .assert()
        .success()
        .stdout("");
    let v: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(v["advisories"], 1206);

    // Importing again changes nothing.
    patchloop(&db)
        .args(["db", "import"])
        .arg(&crates)
        .assert()
        .success()
        .stderr(predicate::str::contains("1206 unchanged"));
}

#[test]
fn exit_codes_and_errors() {
    let d = tempfile::tempdir().unwrap();
    let db = d.path().join("adv.db");
    // Missing database: an empty report and a warning, exit 0 (1 with the gate).
    patchloop(&db)
        .args(["db", "status"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("does not exist yet"))
        .stderr(predicate::str::contains("is empty"));
    assert!(!db.exists(), "status must not create the database");
    patchloop(&db)
        .args(["db", "status", "--fail-if-stale"])
        .assert()
        .code(1);
    // Help on every db command; usage errors.
    for args in [
        vec!["db", "--help"],
        vec!["db", "import", "--help"],
        vec!["db", "sync", "--help"],
        vec!["db", "status", "--help"],
        vec!["help", "db"],
    ] {
        patchloop(&db)
            .args(&args)
            .assert()
            .code(0)
            .stdout(predicate::str::contains("Usage"));
    }
    patchloop(&db).args(["db"]).assert().code(2);
    patchloop(&db).args(["db", "import"]).assert().code(2);
    patchloop(&db)
        .args(["db", "status", "--max-age", "soon"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--max-age"));
    patchloop(&db)
        .args(["db", "status"])
        .env("PATCHLOOP_NOW", "yesterday")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("PATCHLOOP_NOW"));
    // Input errors name the file.
    patchloop(&db)
        .args(["db", "import"])
        .arg(d.path().join("nope.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nope.json"));
    let junk = d.path().join("junk.bin");
    std::fs::write(&junk, b"\x00\x01\x02").unwrap();
    patchloop(&db)
        .args(["db", "import"])
        .arg(&junk)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("junk.bin").and(predicate::str::contains("cannot tell")));
    // Malformed records: warnings naming the file, the rest imported (exit
    // 0); with --strict nothing is imported (exit 2).
    let src = d.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(
        src.join("GOOD-1.json"),
        br#"{"id":"GOOD-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"x"}}]}"#,
    )
    .unwrap();
    std::fs::write(src.join("broken.json"), br#"{"id":"BAD-1","#).unwrap();
    patchloop(&db)
        .args(["db", "import", "--strict"])
        .arg(&src)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("broken.json")
                .and(predicate::str::contains("nothing was imported")),
        );
    let s = SqliteStore::open(&db, OpenMode::ReadOnly).unwrap();
    assert_eq!(s.status().unwrap().advisories, 0);
    drop(s);
    patchloop(&db)
        .args(["db", "import"])
        .arg(&src)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("warning:").and(predicate::str::contains("broken.json")));
    let s = SqliteStore::open(&db, OpenMode::ReadOnly).unwrap();
    assert_eq!(s.status().unwrap().advisories, 1);
    // A database file that is not ours.
    let other = d.path().join("other.db");
    std::fs::write(&other, b"this is not sqlite at all, just text....................................................................").unwrap();
    patchloop(&other)
        .args(["db", "status"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("other.db"));
}

/// Kill `patchloop db import` in the middle of a large import: the store
/// opens and holds exactly the previous data. While the import runs, a
/// reader (`db status`, a package lookup) works.
#[test]
fn killed_import_leaves_previous_data_and_readers_work() {
    let Some(crates) = shared("osv/crates.io") else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    let db = d.path().join("adv.db");
    patchloop(&db)
        .args(["db", "import", "-q"])
        .arg(&crates)
        .assert()
        .success();
    let corpus = d.path().join("corpus");
    let n = 30_000;
    gen_corpus::write_bucket(&corpus, n, 7).unwrap();

    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("patchloop"))
        .args(["-v", "db", "import"])
        .arg(&corpus)
        .env("PATCHLOOP_DB", &db)
        .env("PATCHLOOP_CONFIG", d.path().join("none.toml"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the import is well under way (it reports every 10,000 records).
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen = Vec::new();
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("import never reported progress: {seen:#?}"));
        let done = line.contains("10000 records read");
        seen.push(line);
        if done {
            break;
        }
    }
    // A reader while the import runs: status and a lookup see the old data.
    let st = status_json(&db, "2030-01-01T00:00:00Z");
    assert_eq!(st["advisories"], 1206);
    let reader = SqliteStore::open(&db, OpenMode::ReadOnly).unwrap();
    let hits = reader
        .advisories_for_package(&Ecosystem::CRATES_IO, "libwebp-sys")
        .unwrap();
    assert!(hits.iter().any(|a| a.id == "RUSTSEC-2023-0061"), "{hits:?}");
    drop(reader);

    assert!(
        child.try_wait().unwrap().is_none(),
        "import finished before it was killed: {seen:#?}"
    );
    child.kill().unwrap();
    child.wait().unwrap();

    let store = SqliteStore::open(&db, OpenMode::ReadOnly).unwrap();
    let st = store.status().unwrap();
    assert_eq!(
        st.advisories, 1206,
        "a killed import must not leave partial data"
    );
    let names: Vec<&str> = st
        .by_source_ecosystem
        .iter()
        .map(|e| e.ecosystem.as_str())
        .collect();
    assert_eq!(names, ["crates.io"]);
    assert!(store.get("RUSTSEC-2023-0060").unwrap().is_some());
    drop(store);

    // The same import run to the end adds the whole corpus.
    patchloop(&db)
        .args(["db", "import", "-q"])
        .arg(&corpus)
        .assert()
        .success();
    let st = status_json(&db, "2030-01-01T00:00:00Z");
    assert_eq!(st["advisories"], 1206 + n);
}

fn epss_gz(date: &str) -> Vec<u8> {
    use std::io::Write;
    let text = format!(
        "#model_version:v2025.03.14,score_date:{date}\ncve,epss,percentile\nCVE-2023-4863,0.93794,0.99862\n"
    );
    let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    g.write_all(text.as_bytes()).unwrap();
    g.finish().unwrap()
}

fn zip_dir(dir: &Path) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default();
    for p in patchloop_testdata::files_under(dir) {
        w.start_file(p.file_name().unwrap().to_string_lossy(), o)
            .unwrap();
        w.write_all(&std::fs::read(&p).unwrap()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// `db sync` end to end: the ecosystems come from the project's inventory,
/// feeds from flags/env pointing at a loopback server; the second run is
/// incremental / 304.
#[test]
fn sync_through_the_binary() {
    let Some(crates) = shared("osv/crates.io") else {
        return;
    };
    let Some(kev) = shared("kev/known_exploited_vulnerabilities.json") else {
        return;
    };
    let srv = server::Server::start();
    srv.put("/crates.io/all.zip", zip_dir(&crates));
    srv.put(
        "/crates.io/modified_id.csv",
        b"2020-01-01T00:00:00Z,RUSTSEC-2016-0001\n".to_vec(),
    );
    srv.put("/PyPI/all.zip", Vec::new());
    srv.put_resource(
        "/kev.json",
        server::Resource {
            body: std::fs::read(&kev).unwrap(),
            etag: Some("\"k1\"".into()),
            ..Default::default()
        },
    );
    srv.put_resource(
        "/epss.csv.gz",
        server::Resource {
            body: epss_gz("2025-08-25T12:55:00Z"),
            last_modified: Some("Mon, 25 Aug 2025 13:00:00 GMT".into()),
            ..Default::default()
        },
    );
    let d = tempfile::tempdir().unwrap();
    let db = d.path().join("adv.db");
    let project = d.path().join("project");
    std::fs::create_dir(&project).unwrap();
    std::fs::write(
        project.join("Cargo.lock"),
        "version = 3\n\n[[package]]\nname = \"smallvec\"\nversion = \"0.6.9\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    )
    .unwrap();
    let run = |now: &str| {
        let out = patchloop(&db)
            .args(["db", "sync", "--format", "json", "--kev-url"])
            .arg(srv.url("/kev.json"))
            .arg(&project)
            .env("PATCHLOOP_OSV_URL", &srv.base)
            .env("PATCHLOOP_EPSS_URL", srv.url("/epss.csv.gz"))
            .env("PATCHLOOP_NOW", now)
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        (
            out.status.code(),
            v,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, v, err) = run("2025-09-01T00:00:00Z");
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("ecosystems from the inventory: crates.io"),
        "{err}"
    );
    let actions: Vec<(String, String)> = v["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["source"].as_str().unwrap().into(),
                s["action"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("osv/crates.io".to_string(), "full".to_string()),
            ("kev".into(), "full".into()),
            ("epss".into(), "full".into())
        ]
    );
    assert_eq!(v["sources"][0]["records"]["inserted"], 1206);
    assert_eq!(
        srv.hits("/PyPI/all.zip"),
        0,
        "only the inventory's ecosystems"
    );
    let (code, v, _) = run("2025-09-02T00:00:00Z");
    assert_eq!(code, Some(0));
    for s in v["sources"].as_array().unwrap() {
        assert_eq!(s["action"], "not-modified", "{s}");
    }
    assert_eq!(srv.not_modified(), 2);
    assert_eq!(srv.hits("/crates.io/all.zip"), 1);
    let st = status_json(&db, "2025-09-02T00:00:00Z");
    assert_eq!(st["epss_scores"], 1);
    assert_eq!(st["epss_score_date"], "2025-08-25T12:55:00Z");
    assert_eq!(st["staleness"]["stale"], false);
    let kev_src = st["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "kev")
        .unwrap();
    assert_eq!(kev_src["last_sync"], "2025-09-02T00:00:00Z");
    assert_eq!(kev_src["etag"], "\"k1\"");

    // A failing source: exit 2, the error names the URL, the others sync.
    srv.set_fail("/kev.json", Some(server::Fail::Status(500)));
    let out = patchloop(&db)
        .args([
            "db",
            "sync",
            "--no-epss",
            "--retries",
            "0",
            "-e",
            "crates.io",
            "--kev-url",
        ])
        .arg(srv.url("/kev.json"))
        .env("PATCHLOOP_OSV_URL", &srv.base)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("kev.json") && err.contains("HTTP 500") && err.contains("previous data kept"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("osv/crates.io"));
}
