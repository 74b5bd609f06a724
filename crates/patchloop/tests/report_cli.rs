//! `patchloop report` and `ledger export -f html|intoto` through the real
//! binary, on a ledger written with the library (same state and key files
//! as the binary uses) plus an approval made by the binary.

use assert_cmd::Command;
use patchloop_ledger::intoto::{Envelope, verify_envelope};
use patchloop_ledger::ledger::{Key, Ledger};
use predicates::prelude::*;
use serde_json::{Value, json};

const NOW: &str = "2026-03-10T12:00:00Z";

fn cmd(dir: &tempfile::TempDir) -> Command {
    let mut c = Command::cargo_bin("patchloop").unwrap();
    c.env("PATCHLOOP_STATE", dir.path().join("state.db"))
        .env("PATCHLOOP_LEDGER_KEY", dir.path().join("keys/ledger.key"))
        .env("PATCHLOOP_NOW", NOW)
        .env_remove("PATCHLOOP_CONFIG")
        .current_dir(dir.path());
    c
}

fn found(ids: &[&str], name: &str, version: &str, prio: &str, due: &str) -> Value {
    json!({
        "ids": ids,
        "package": {"ecosystem": "npm", "name": name, "version": version,
                    "purl": format!("pkg:npm/{name}@{version}")},
        "priority": prio, "due": due, "severity": "high", "suppressed": null,
    })
}

/// express (act, fixed in a day), lodash (attend, fixed late), requests
/// (act, open and overdue); a second project with one open finding.
fn seed(d: &tempfile::TempDir) -> Key {
    let key = Key::load_or_create(&d.path().join("keys/ledger.key")).unwrap();
    let mut l = Ledger::open(&d.path().join("state.db")).unwrap();
    let mut add = |t: &str, kind: &str, patch: &str, project: &str, actor: &str, data: Value| {
        l.append(&key, t, kind, patch, project, actor, data)
            .unwrap();
    };
    add(
        "2026-03-01T09:00:00Z",
        "discovered",
        "GHSA-aaaa/express",
        "shop",
        "patchloop",
        found(&["GHSA-aaaa"], "express", "4.17.1", "act", "2026-03-03"),
    );
    add(
        "2026-03-01T09:00:00Z",
        "discovered",
        "CVE-2026-0002/lodash",
        "shop",
        "patchloop",
        found(
            &["CVE-2026-0002"],
            "lodash",
            "4.17.20",
            "attend",
            "2026-03-04",
        ),
    );
    add(
        "2026-03-02T09:00:00Z",
        "discovered",
        "CVE-2026-0004/requests",
        "shop",
        "patchloop",
        found(&["CVE-2026-0004"], "requests", "2.0.0", "act", "2026-03-05"),
    );
    add(
        "2026-03-02T09:00:00Z",
        "discovered",
        "CVE-2026-0009/left-pad",
        "blog",
        "patchloop",
        found(
            &["CVE-2026-0009"],
            "left-pad",
            "1.0.0",
            "track",
            "2026-05-01",
        ),
    );
    add(
        "2026-03-02T08:00:00Z",
        "approved",
        "npm-express",
        "shop",
        "alice",
        json!({"note": "<b>go</b>"}),
    );
    add(
        "2026-03-02T08:30:00Z",
        "tested",
        "npm-express",
        "shop",
        "ci",
        json!({"command": "npm test", "outcome": "passed", "duration_secs": 3}),
    );
    add(
        "2026-03-02T09:00:00Z",
        "applied",
        "npm-express",
        "shop",
        "patchloop",
        json!({
            "branch": "patchloop/npm-express", "commit": "0123456789abcdef0123456789abcdef01234567",
            "changes": [{"ecosystem": "npm", "package": "express", "from": "4.17.1", "to": "4.19.2",
                         "fixes": ["GHSA-aaaa"], "file": "package-lock.json"}],
            "fixes": ["GHSA-aaaa"],
        }),
    );
    add(
        "2026-03-07T09:00:00Z",
        "applied",
        "npm-lodash",
        "shop",
        "patchloop",
        json!({
            "changes": [{"ecosystem": "npm", "package": "lodash", "from": "4.17.20", "to": "4.17.21",
                         "fixes": ["CVE-2026-0002"], "file": "package-lock.json"}],
        }),
    );
    key
}

#[test]
fn report_counts_open_overdue_ttr_and_sla() {
    let d = tempfile::tempdir().unwrap();
    seed(&d);
    // An approval through the binary joins the same ledger.
    cmd(&d)
        .args(["approve", "npm-lodash", "--by", "bob", "--project", "shop"])
        .assert()
        .success();

    let out = cmd(&d)
        .args(["report", "--project", "shop", "-f", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["schema"], "patchloop.report/v1");
    assert_eq!(j["project"], "shop");
    assert_eq!(j["now"], NOW);
    assert_eq!(j["ledger"]["verified"], true);
    let act = &j["priorities"][0];
    assert_eq!(act["priority"], "act");
    assert_eq!(
        (act["open"].as_u64(), act["overdue"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(act["within_sla_pct"], 100.0);
    assert_eq!(act["ttr_median_days"], 1.0);
    let attend = &j["priorities"][1];
    assert_eq!(
        (attend["late"].as_u64(), attend["within_sla_pct"].as_f64()),
        (Some(1), Some(0.0))
    );
    assert_eq!(attend["ttr_max_days"], 6.0);
    assert_eq!(j["total"]["within_sla_pct"], 50.0);
    assert_eq!(j["total"]["ttr_median_days"], 3.5);
    assert_eq!(
        j["open_by_day"].as_array().unwrap().len(),
        10,
        "2026-03-01 .. 2026-03-10"
    );

    cmd(&d)
        .args(["report", "--project", "shop"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("patchloop report: project shop, as of 2026-03-10T12:00:00Z")
                .and(predicate::str::contains("OVERDUE"))
                .and(predicate::str::contains("CVE-2026-0004"))
                .and(predicate::str::contains("left-pad").not()),
        );
    cmd(&d)
        .args(["report", "--project", "shop", "-f", "markdown"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("| act | 1 | 1 | 1 | 1 | 0 | 0 | 100.0% | 1.0 d | 1.0 d |")
                .and(predicate::str::contains(
                    "| all | 1 | 1 | 2 | 1 | 1 | 0 | 50.0% | 3.5 d | 6.0 d |",
                )),
        );
    // Every project by default.
    cmd(&d)
        .args(["report"])
        .assert()
        .success()
        .stdout(predicate::str::contains("all projects").and(predicate::str::contains("left-pad")));
    cmd(&d)
        .args(["report", "--project", "nope"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "no ledger record for project nope",
        ));
}

#[test]
fn html_report_and_export_are_the_same_page() {
    let d = tempfile::tempdir().unwrap();
    seed(&d);
    cmd(&d)
        .args(["report", "-f", "html", "-o", "r.html"])
        .assert()
        .success();
    let page = std::fs::read_to_string(d.path().join("r.html")).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("default-src 'none'"));
    assert!(page.contains("&lt;b&gt;go&lt;/b&gt;"));
    assert!(!page.contains("<b>go"));
    let out = cmd(&d)
        .args(["ledger", "export", "-f", "html"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), page);
}

#[test]
fn intoto_export_is_a_signed_statement() {
    let d = tempfile::tempdir().unwrap();
    let key = seed(&d);
    let out = cmd(&d)
        .args(["ledger", "export", "-f", "intoto", "--patch", "npm-express"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let env: Envelope = serde_json::from_slice(&out.stdout).unwrap();
    let st = verify_envelope(&env, &key.public_hex()).unwrap();
    assert_eq!(st["subject"][0]["name"], "pkg:npm/express@4.19.2");
    assert_eq!(
        st["subject"][0]["digest"]["gitCommit"],
        "0123456789abcdef0123456789abcdef01234567"
    );
    assert_eq!(st["predicate"]["approvals"][0]["note"], "<b>go</b>");
    assert_eq!(st["predicate"]["testOutcome"], "passed");
    // Written to a file too, identical (deterministic).
    cmd(&d)
        .args([
            "ledger",
            "export",
            "-f",
            "intoto",
            "--patch",
            "npm-express",
            "-o",
            "e.json",
        ])
        .assert()
        .success();
    assert_eq!(std::fs::read(d.path().join("e.json")).unwrap(), out.stdout);

    cmd(&d)
        .args(["ledger", "export", "-f", "intoto"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--patch"));
    cmd(&d)
        .args(["ledger", "export", "--patch", "npm-express"])
        .assert()
        .code(2);
    cmd(&d)
        .args(["ledger", "export", "-f", "intoto", "--patch", "nothing"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "no ledger record for patch nothing",
        ));
}
