//! The ledger through the real binary: approvals, listing, exports that
//! verify, and tampering detected with exit 1.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn cmd(dir: &tempfile::TempDir) -> Command {
    let mut c = Command::cargo_bin("patchloop").unwrap();
    c.env("PATCHLOOP_STATE", dir.path().join("state.db"))
        .env("PATCHLOOP_LEDGER_KEY", dir.path().join("keys/ledger.key"))
        .env("PATCHLOOP_NOW", "2026-03-01T12:00:00Z")
        .current_dir(dir.path());
    c
}

#[test]
fn approvals_are_signed_listed_exported_and_verified() {
    let d = tempfile::tempdir().unwrap();
    cmd(&d)
        .args([
            "approve",
            "npm-express",
            "--by",
            "alice",
            "--note",
            "urgent: KEV",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "approved npm-express by alice (ledger record 1)",
        ));
    cmd(&d)
        .args(["reject", "crates.io-h2", "--by", "bob", "--project", "shop"])
        .assert()
        .success();
    assert!(
        d.path().join("keys/ledger.key").is_file(),
        "key created on first use"
    );
    let out = cmd(&d)
        .args(["ledger", "list", "-f", "json"])
        .output()
        .unwrap();
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j[0]["kind"], "approved");
    assert_eq!(j[0]["actor"], "alice");
    assert_eq!(j[0]["time"], "2026-03-01T12:00:00Z");
    assert_eq!(j[0]["data"]["note"], "urgent: KEV");
    assert_eq!(j[1]["project"], "shop");
    assert_eq!(j[1]["prev"], j[0]["hash"]);
    cmd(&d)
        .args(["ledger", "show", "crates.io-h2"])
        .assert()
        .success()
        .stdout(predicate::str::contains("rejected"));
    cmd(&d).args(["ledger", "show", "nothing"]).assert().code(1);
    cmd(&d)
        .args(["ledger", "verify"])
        .assert()
        .success()
        .stdout(predicate::str::contains("ledger OK: 2 records"));
    // A JSON Lines export verifies on its own; a reordered copy does not.
    let out = cmd(&d).args(["ledger", "export"]).output().unwrap();
    let jsonl = String::from_utf8(out.stdout).unwrap();
    std::fs::write(d.path().join("l.jsonl"), &jsonl).unwrap();
    cmd(&d)
        .args(["ledger", "verify", "--file", "l.jsonl"])
        .assert()
        .success();
    let lines: Vec<&str> = jsonl.lines().collect();
    std::fs::write(
        d.path().join("bad.jsonl"),
        format!("{}\n{}\n", lines[1], lines[0]),
    )
    .unwrap();
    cmd(&d)
        .args(["ledger", "verify", "--file", "bad.jsonl"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("position 1"));
    // CSV and Markdown exports.
    cmd(&d)
        .args(["ledger", "export", "-f", "csv"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "seq,time,kind,patch,project,actor,data,prev,hash,key,signature\n",
        ));
    cmd(&d)
        .args(["ledger", "export", "-f", "markdown"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "| 1 | 2026-03-01T12:00:00Z | approved | npm-express | alice |",
        ));
}

#[test]
fn tampering_and_a_wrong_head_fail_verification() {
    let d = tempfile::tempdir().unwrap();
    for who in ["alice", "bob", "carol"] {
        cmd(&d)
            .args(["approve", "p1", "--by", who])
            .assert()
            .success();
    }
    let out = cmd(&d)
        .args(["ledger", "list", "-f", "json"])
        .output()
        .unwrap();
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let head = j[2]["hash"].as_str().unwrap().to_string();
    cmd(&d)
        .args(["ledger", "verify", "--head", &head])
        .assert()
        .success();
    cmd(&d)
        .args(["ledger", "verify", "--head", &"ab".repeat(32)])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("removed from the end"));
    let c = rusqlite::Connection::open(d.path().join("state.db")).unwrap();
    c.execute_batch(
        "DROP TRIGGER ledger_no_update; UPDATE ledger SET actor = 'mallory' WHERE seq = 2;",
    )
    .unwrap();
    cmd(&d)
        .args(["ledger", "verify"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("record 2").and(predicate::str::contains("modified")));
    // Another signer's key is not trusted unless named.
    let other = tempfile::tempdir().unwrap();
    cmd(&d)
        .env("PATCHLOOP_LEDGER_KEY", other.path().join("k"))
        .args(["ledger", "verify"])
        .assert()
        .code(1);
}

#[test]
fn exceptions_are_recorded_with_owner_reason_and_expiry() {
    let d = tempfile::tempdir().unwrap();
    cmd(&d)
        .args([
            "exception",
            "CVE-2099-1",
            "--package",
            "qs",
            "--owner",
            "carol",
            "--reason",
            "not reachable",
            "--expires",
            "2026-06-30",
            "--project",
            "shop",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("[[ignore]]"));
    cmd(&d)
        .args([
            "exception",
            "CVE-2099-1",
            "--owner",
            "carol",
            "--reason",
            "x",
            "--expires",
            "2026-02-30",
        ])
        .assert()
        .code(2);
    let out = cmd(&d)
        .args(["ledger", "list", "-f", "json"])
        .output()
        .unwrap();
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j.as_array().unwrap().len(), 1);
    assert_eq!(j[0]["kind"], "exception-granted");
    assert_eq!(j[0]["patch"], "CVE-2099-1/qs");
    assert_eq!(j[0]["actor"], "carol");
    assert_eq!(j[0]["data"]["expires"], "2026-06-30");
    assert_eq!(j[0]["data"]["reason"], "not reachable");
}
