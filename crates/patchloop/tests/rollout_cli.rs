//! Rollout through the real binary: rings, soak times, approvals, forced
//! promotions, deployment checks (command, HTTP, SBOM re-scan) and a
//! rollback that reverts the applied commit in a real git repository.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command as Std;

use assert_cmd::Command;
use patchloop_ledger::ledger::{Key, Ledger};
use predicates::prelude::*;
use serde_json::{Value, json};

const T0: &str = "2026-03-01T12:00:00Z";

fn cmd(dir: &Path, now: &str) -> Command {
    let mut c = Command::cargo_bin("patchloop").unwrap();
    c.env("PATCHLOOP_STATE", dir.join("state.db"))
        .env("PATCHLOOP_LEDGER_KEY", dir.join("keys/ledger.key"))
        .env("PATCHLOOP_NOW", now)
        .env("USER", "tester")
        .env_remove("PATCHLOOP_POLICY")
        .current_dir(dir);
    c
}

fn git(repo: &Path, args: &[&str]) -> String {
    let o = Std::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .env("GIT_AUTHOR_DATE", "2026-03-01T10:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-03-01T10:00:00Z")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

fn commit_file(repo: &Path, file: &str, text: &str, msg: &str) -> String {
    std::fs::write(repo.join(file), text).unwrap();
    git(repo, &["add", file]);
    git(repo, &["commit", "-q", "-m", msg]);
    git(repo, &["rev-parse", "HEAD"])
}

fn pkg(v: &str) -> String {
    format!(
        "{{\n  \"name\": \"shop\",\n  \"dependencies\": {{\n    \"express\": \"{v}\"\n  }}\n}}\n"
    )
}

fn bom(path: &Path, v: &str) {
    std::fs::write(
        path,
        format!(
            r#"{{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{{"type":"library","name":"express","version":"{v}","purl":"pkg:npm/express@{v}"}}]}}"#
        ),
    )
    .unwrap();
}

/// A loopback HTTP server: `/ok` answers 200, anything else 503.
fn server() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 1024];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let req = String::from_utf8_lossy(&buf);
            let status = if req.starts_with("GET /ok ") {
                "200 OK"
            } else {
                "503 Service Unavailable"
            };
            let _ = s.write_all(
                format!("HTTP/1.1 {status}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                    .as_bytes(),
            );
        }
    });
    port
}

fn policy(port: u16, command: &str, path: &str, rescan: &str) -> String {
    format!(
        r#"[project]
name = "shop"

[[environment]]
name = "canary"
soak = "1d"
checks = [
  {{ command = "{command}", timeout = 10 }},
  {{ http = "http://127.0.0.1:{port}{path}", expect_status = 200, timeout = 10 }},
  {{ rescan = "{rescan}" }},
]
rollback_on_failure = true

[[environment]]
name = "prod"
soak = "0s"

[approvals]
act = 1
prod = 2
"#
    )
}

fn ledger_json(dir: &Path, patch: &str) -> Vec<Value> {
    let out = cmd(dir, T0)
        .args(["ledger", "show", patch, "-f", "json"])
        .output()
        .unwrap();
    serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap()
}

#[test]
fn promote_verify_and_roll_back() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let repo = dir.join("repo");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["config", "user.email", "t@example.invalid"]);
    git(&repo, &["config", "user.name", "t"]);
    git(&repo, &["config", "commit.gpgsign", "false"]);
    commit_file(&repo, "package.json", &pkg("4.17.1"), "base");
    let applied = commit_file(&repo, "package.json", &pkg("4.19.2"), "express 4.19.2");
    commit_file(&repo, "NOTES.md", "unrelated\n", "unrelated later change");

    // The `applied` record, as `patchloop apply` writes it.
    {
        let key = Key::load_or_create(&dir.join("keys/ledger.key")).unwrap();
        let mut l = Ledger::open(&dir.join("state.db")).unwrap();
        l.append(
            &key,
            "2026-03-01T11:00:00Z",
            "applied",
            "npm-express",
            "shop",
            "patchloop",
            json!({
                "branch": "patchloop/npm-express",
                "commit": applied,
                "priority": "act",
                "changes": [{"ecosystem": "npm", "package": "express", "from": "4.17.1",
                             "to": "4.19.2", "fixes": ["CVE-2024-29041"]}],
            }),
        )
        .unwrap();
    }
    let port = server();
    std::fs::write(
        dir.join("patchloop.toml"),
        policy(port, "true", "/ok", "deployed.cdx.json"),
    )
    .unwrap();
    bom(&dir.join("deployed.cdx.json"), "4.19.2");

    // Ring order, then approvals.
    cmd(dir, T0)
        .args(["promote", "npm-express", "--to", "prod"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("promote to canary first"));
    cmd(dir, T0)
        .args(["promote", "npm-express", "--to", "canary"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("1 approval(s) needed"));
    cmd(dir, T0)
        .args(["promote", "npm-express", "--to", "staging"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("canary → prod"));
    cmd(dir, T0)
        .args(["approve", "npm-express", "--by", "a"])
        .assert()
        .success();
    cmd(dir, T0)
        .args(["promote", "npm-express", "--to", "canary", "--note", "go"])
        .assert()
        .success()
        .stdout(predicate::str::contains("promoted npm-express to canary"));

    // Soak time of canary: 1d.
    let t1 = "2026-03-01T13:00:00Z";
    cmd(dir, t1)
        .args(["promote", "npm-express", "--to", "prod"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("soak time of canary"));
    // --force overrides the soak time, never the approvals (prod needs 2).
    cmd(dir, t1)
        .args(["promote", "npm-express", "--to", "prod", "--force"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "2 approval(s) needed to promote to prod, 1 given (a)",
        ));
    cmd(dir, t1)
        .args(["approve", "npm-express", "--by", "b"])
        .assert()
        .success();
    cmd(dir, t1)
        .args([
            "promote",
            "npm-express",
            "--to",
            "prod",
            "--force",
            "--by",
            "ops",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("(forced)"));
    cmd(dir, "2026-03-02T12:00:01Z")
        .args(["promote", "npm-express", "--to", "prod"])
        .assert()
        .success();
    let recs = ledger_json(dir, "npm-express");
    let promoted: Vec<&Value> = recs.iter().filter(|r| r["kind"] == "promoted").collect();
    assert_eq!(promoted.len(), 3);
    assert_eq!(promoted[0]["data"]["env"], "canary");
    assert_eq!(promoted[0]["data"]["forced"], false);
    assert_eq!(promoted[0]["data"]["note"], "go");
    assert_eq!(promoted[0]["actor"], "tester");
    assert_eq!(promoted[1]["data"]["env"], "prod");
    assert_eq!(promoted[1]["data"]["forced"], true);
    assert_eq!(promoted[1]["actor"], "ops");
    assert!(
        promoted[1]["data"]["overridden"]
            .as_str()
            .unwrap()
            .contains("has not passed")
    );
    assert_eq!(promoted[2]["data"]["forced"], false);
    assert_eq!(promoted[2]["data"]["approvers"], json!(["a", "b"]));

    // Verification that passes: command, HTTP 200, the SBOM has 4.19.2.
    cmd(dir, T0)
        .args(["verify", "npm-express", "--env", "canary", "--repo", "repo"])
        .assert()
        .success()
        .stdout(predicate::str::contains("3 check(s) passed"));
    let v = ledger_json(dir, "npm-express")
        .into_iter()
        .rfind(|r| r["kind"] == "verified")
        .unwrap();
    assert_eq!(v["data"]["env"], "canary");
    assert_eq!(v["data"]["ok"], true);
    let kinds: Vec<&str> = v["data"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["command", "http", "rescan"]);
    assert!(v["data"]["checks"][0]["duration_secs"].is_number());
    assert_eq!(v["data"]["checks"][1]["detail"], "HTTP 200");

    // A dirty working tree: rollback refuses and nothing is lost.
    std::fs::write(repo.join("NOTES.md"), "work in progress\n").unwrap();
    cmd(dir, T0)
        .args(["rollback", "npm-express", "--repo", "repo"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("uncommitted changes"));
    assert_eq!(
        std::fs::read_to_string(repo.join("NOTES.md")).unwrap(),
        "work in progress\n"
    );
    git(&repo, &["checkout", "--", "NOTES.md"]);

    // Failing checks (exit 1, HTTP 503, old version deployed): the ring
    // rolls back, the unrelated later commit stays.
    std::fs::write(
        dir.join("failing.toml"),
        policy(port, "false", "/down", "old.cdx.json"),
    )
    .unwrap();
    bom(&dir.join("old.cdx.json"), "4.17.1");
    let head_before = git(&repo, &["rev-parse", "HEAD"]);
    cmd(dir, T0)
        .args([
            "verify",
            "npm-express",
            "--env",
            "canary",
            "--policy",
            "failing.toml",
            "--repo",
            "repo",
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAIL command false: exit 1"))
        .stdout(predicate::str::contains("HTTP 503, expected 200"))
        .stdout(predicate::str::contains(
            "express 4.17.1 deployed, expected 4.19.2 or later (still vulnerable to CVE-2024-29041)",
        ))
        .stdout(predicate::str::contains("rolled back npm-express: reverted"));
    assert_eq!(
        std::fs::read_to_string(repo.join("package.json")).unwrap(),
        pkg("4.17.1")
    );
    assert_eq!(
        std::fs::read_to_string(repo.join("NOTES.md")).unwrap(),
        "unrelated\n"
    );
    assert_eq!(git(&repo, &["rev-parse", "HEAD~1"]), head_before);
    let revert = git(&repo, &["rev-parse", "HEAD"]);
    let recs = ledger_json(dir, "npm-express");
    let failed = recs.iter().rfind(|r| r["kind"] == "verified").unwrap();
    assert_eq!(failed["data"]["ok"], false);
    assert!(
        failed["data"]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["ok"] == false)
    );
    let rb = recs.iter().rfind(|r| r["kind"] == "rolled-back").unwrap();
    assert_eq!(rb["data"]["reverted_commit"], applied.as_str());
    assert_eq!(rb["data"]["revert_commit"], revert.as_str());
    assert!(
        rb["data"]["reason"]
            .as_str()
            .unwrap()
            .contains("verification in canary failed")
    );
    // A second rollback does nothing.
    cmd(dir, T0)
        .args(["rollback", "npm-express", "--repo", "repo"])
        .assert()
        .success()
        .stdout(predicate::str::contains("already rolled back"));
    assert_eq!(git(&repo, &["rev-parse", "HEAD"]), revert);
    // After a rollback, no promotion from canary.
    cmd(dir, "2026-04-01T00:00:00Z")
        .args(["promote", "npm-express", "--to", "prod"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("rolled back"));

    // A patch that was never merged: nothing to revert in main.
    git(&repo, &["checkout", "-q", "-b", "patchloop/npm-lodash"]);
    let side = commit_file(&repo, "lodash.txt", "4.17.21\n", "lodash 4.17.21");
    git(&repo, &["checkout", "-q", "main"]);
    {
        let key = Key::load_or_create(&dir.join("keys/ledger.key")).unwrap();
        let mut l = Ledger::open(&dir.join("state.db")).unwrap();
        l.append(
            &key,
            T0,
            "applied",
            "npm-lodash",
            "shop",
            "patchloop",
            json!({"branch": "patchloop/npm-lodash", "commit": side, "changes": []}),
        )
        .unwrap();
    }
    cmd(dir, T0)
        .args([
            "rollback",
            "npm-lodash",
            "--repo",
            "repo",
            "--reason",
            "not needed",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing to revert"));
    assert_eq!(git(&repo, &["rev-parse", "HEAD"]), revert);
    let rb = ledger_json(dir, "npm-lodash")
        .into_iter()
        .rfind(|r| r["kind"] == "rolled-back")
        .unwrap();
    assert_eq!(rb["data"]["outcome"], "not-in-branch");
    assert_eq!(rb["data"]["revert_commit"], Value::Null);
    assert_eq!(rb["data"]["reason"], "not needed");
    cmd(dir, T0)
        .args(["rollback", "npm-nothing", "--repo", "repo"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no `applied` record"));

    // The whole cycle is in the ledger, and the ledger verifies.
    cmd(dir, T0)
        .args(["ledger", "verify"])
        .assert()
        .success()
        .stdout(predicate::str::contains("ledger OK"));
    let kinds: Vec<String> = ledger_json(dir, "npm-express")
        .iter()
        .map(|r| r["kind"].as_str().unwrap().to_string())
        .collect();
    for k in ["applied", "approved", "promoted", "verified", "rolled-back"] {
        assert!(kinds.iter().any(|x| x == k), "{k} missing in {kinds:?}");
    }
    cmd(dir, T0)
        .args(["ledger", "show", "npm-express"])
        .assert()
        .success()
        .stdout(predicate::str::contains("rolled-back"));
}

#[test]
fn conflicting_revert_is_aborted() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let repo = dir.join("repo");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["config", "user.email", "t@example.invalid"]);
    git(&repo, &["config", "user.name", "t"]);
    git(&repo, &["config", "commit.gpgsign", "false"]);
    commit_file(&repo, "package.json", &pkg("4.17.1"), "base");
    let applied = commit_file(&repo, "package.json", &pkg("4.19.2"), "express 4.19.2");
    // A later change of the same line.
    commit_file(&repo, "package.json", &pkg("4.21.0"), "express 4.21.0");
    let head = git(&repo, &["rev-parse", "HEAD"]);
    {
        let key = Key::load_or_create(&dir.join("keys/ledger.key")).unwrap();
        let mut l = Ledger::open(&dir.join("state.db")).unwrap();
        l.append(
            &key,
            T0,
            "applied",
            "npm-express",
            "shop",
            "patchloop",
            json!({"branch": "patchloop/npm-express", "commit": applied}),
        )
        .unwrap();
    }
    cmd(dir, T0)
        .args(["rollback", "npm-express", "--repo", "repo"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("the revert was aborted"));
    assert_eq!(git(&repo, &["rev-parse", "HEAD"]), head);
    assert_eq!(git(&repo, &["status", "--porcelain"]), "");
    assert_eq!(
        std::fs::read_to_string(repo.join("package.json")).unwrap(),
        pkg("4.21.0")
    );
    assert!(
        !ledger_json(dir, "npm-express")
            .iter()
            .any(|r| r["kind"] == "rolled-back")
    );
}
