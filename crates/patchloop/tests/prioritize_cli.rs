//! Prioritization through the real binary: KEV and EPSS imported with
//! `db import`, a policy file, first-seen state across runs, `explain`,
//! `--fail-on-priority`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::{Value, json};

struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn app(&self) -> PathBuf {
        self.dir.path().join("app")
    }
    fn cmd(&self, now: &str) -> Command {
        let mut c = Command::cargo_bin("patchloop").unwrap();
        c.env_remove("NO_COLOR")
            .env("PATCHLOOP_NOW", now)
            .env("PATCHLOOP_CONFIG", self.path().join("no-config.toml"))
            .env("PATCHLOOP_DB", self.path().join("store/advisories.db"))
            .env_remove("PATCHLOOP_STATE")
            .current_dir(self.path());
        c
    }
    fn scan_json(&self, now: &str, args: &[&str]) -> (Option<i32>, Value) {
        let out = self
            .cmd(now)
            .args(["scan", "-f", "json", "--max-age", "1000d"])
            .arg(self.app())
            .args(args)
            .output()
            .unwrap();
        let v = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code(), v)
    }
}

fn finding<'a>(j: &'a Value, id: &str) -> &'a Value {
    j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {j:#}"))
}

/// npm project: express 4.17.1 (in KEV through its CVE), qs 6.5.2 (EPSS
/// only), eslint 8.0.0 as a dev dependency.
fn project() -> Project {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(
        app.join("package-lock.json"),
        json!({
            "name": "app", "version": "1.0.0", "lockfileVersion": 3,
            "packages": {
                "": {"name": "app", "version": "1.0.0",
                     "dependencies": {"express": "^4.17.1"},
                     "devDependencies": {"eslint": "^8.0.0"}},
                "node_modules/express": {"version": "4.17.1", "dependencies": {"qs": "6.5.2"}},
                "node_modules/qs": {"version": "6.5.2"},
                "node_modules/eslint": {"version": "8.0.0", "dev": true}
            }
        })
        .to_string(),
    )
    .unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let rec = |id: &str, cve: &str, name: &str, fixed: &str, vector: &str| {
        json!({
            "id": id, "modified": "2026-01-01T00:00:00Z", "aliases": [cve],
            "summary": format!("bug in {name}"),
            "severity": [{"type": "CVSS_V3", "score": vector}],
            "affected": [{"package": {"ecosystem": "npm", "name": name},
                          "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": fixed}]}]}]
        })
    };
    let crit = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    for r in [
        rec(
            "GHSA-aaaa-0000-0001",
            "CVE-2099-0001",
            "express",
            "4.17.3",
            crit,
        ),
        rec("GHSA-aaaa-0000-0002", "CVE-2099-0002", "qs", "6.5.3", crit),
        rec(
            "GHSA-aaaa-0000-0003",
            "CVE-2099-0003",
            "eslint",
            "8.1.0",
            crit,
        ),
    ] {
        std::fs::write(
            data.join(format!("{}.json", r["id"].as_str().unwrap())),
            r.to_string(),
        )
        .unwrap();
    }
    std::fs::write(
        data.join("kev.json"),
        json!({
            "title": "CISA Catalog of Known Exploited Vulnerabilities",
            "catalogVersion": "2099.01.01", "dateReleased": "2026-02-01T00:00:00.000Z", "count": 1,
            "vulnerabilities": [{
                "cveID": "CVE-2099-0001", "vendorProject": "expressjs", "product": "express",
                "vulnerabilityName": "Express RCE", "dateAdded": "2026-02-01",
                "shortDescription": "x", "requiredAction": "Apply updates per vendor instructions.",
                "dueDate": "2026-02-22", "knownRansomwareCampaignUse": "Known", "notes": "", "cwes": []
            }]
        })
        .to_string(),
    )
    .unwrap();
    std::fs::write(
        data.join("epss.csv"),
        "#model_version:v2025.03.14,score_date:2026-02-28T00:00:00+0000\ncve,epss,percentile\nCVE-2099-0002,0.42000,0.99100\nCVE-2099-0003,0.00100,0.20000\n",
    )
    .unwrap();
    std::fs::write(
        app.join("patchloop.toml"),
        "[project]\nname = \"shop\"\n\n[context]\ncriticality = \"high\"\nexposure = \"internet-facing\"\n",
    )
    .unwrap();
    let p = Project { dir };
    p.cmd("2026-03-01T00:00:00Z")
        .args(["-q", "db", "import"])
        .arg(&data)
        .assert()
        .success();
    p
}

#[test]
fn findings_carry_priority_signals_and_due_dates() {
    let p = project();
    let (code, j) = p.scan_json("2026-03-01T00:00:00Z", &[]);
    assert_eq!(code, Some(1));
    let e = finding(&j, "GHSA-aaaa-0000-0001");
    assert_eq!(e["exploitation"]["kev"][0]["cve"], "CVE-2099-0001");
    assert_eq!(e["exploitation"]["kev"][0]["known_ransomware"], true);
    let r = &e["risk"];
    // KEV (active), internet-facing (open), automatable, high impact: row 70.
    assert_eq!(r["priority"], "act");
    assert_eq!(r["ssvc"]["row"], 70);
    // First seen today: Act = 2 days; the KEV due date (2026-02-22) is
    // earlier and wins, so it is already overdue.
    assert_eq!(r["due"], "2026-02-22");
    assert_eq!(r["overdue"], true);
    let q = finding(&j, "GHSA-aaaa-0000-0002");
    assert_eq!(q["exploitation"]["epss"]["probability"], 0.42);
    assert_eq!(q["risk"]["ssvc"]["exploitation"], "public poc");
    assert_eq!(q["risk"]["priority"], "attend");
    assert_eq!(q["risk"]["due"], "2026-03-15");
    let d = finding(&j, "GHSA-aaaa-0000-0003");
    assert_eq!(d["risk"]["ssvc"]["exposure"], "small");
    assert_eq!(d["risk"]["priority"], "track");
    // Ordered by priority.
    let order: Vec<&str> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        vec![
            "GHSA-aaaa-0000-0001",
            "GHSA-aaaa-0000-0002",
            "GHSA-aaaa-0000-0003"
        ]
    );
    assert_eq!(j["summary"]["by_priority"]["act"], 1);
    assert_eq!(j["summary"]["overdue"], 1);
}

#[test]
fn first_seen_is_kept_across_runs_and_clocks_run_out() {
    let p = project();
    let (_, j) = p.scan_json("2026-03-01T00:00:00Z", &[]);
    assert_eq!(
        finding(&j, "GHSA-aaaa-0000-0002")["risk"]["first_seen"],
        "2026-03-01"
    );
    // 20 days later the Attend SLA (14 days) has run out.
    let (_, j) = p.scan_json("2026-03-21T00:00:00Z", &[]);
    let q = &finding(&j, "GHSA-aaaa-0000-0002")["risk"];
    assert_eq!(q["first_seen"], "2026-03-01");
    assert_eq!(q["overdue"], true);
    // --no-state: every finding is new today.
    let (_, j) = p.scan_json("2026-03-21T00:00:00Z", &["--no-state"]);
    assert_eq!(
        finding(&j, "GHSA-aaaa-0000-0002")["risk"]["first_seen"],
        "2026-03-21"
    );
    assert!(p.path().join("store/state.db").is_file());
}

#[test]
fn fail_on_priority_gates_on_decisions() {
    let p = project();
    let code = |args: &[&str]| {
        p.cmd("2026-03-01T00:00:00Z")
            .args(["scan", "-o", "/dev/null"])
            .arg(p.app())
            .args(args)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(code(&["--fail-on-priority", "act"]), Some(1));
    // Without the KEV finding only attend and track remain.
    std::fs::write(
        p.app().join("patchloop.toml"),
        "[context]\ncriticality = \"high\"\nexposure = \"internet-facing\"\n\n[[vex]]\nid = \"CVE-2099-0001\"\nstatus = \"not_affected\"\njustification = \"vulnerable_code_not_in_execute_path\"\nstatement = \"the router is not used\"\nexpires = 2026-12-31\n",
    )
    .unwrap();
    assert_eq!(code(&["--fail-on-priority", "act"]), Some(0));
    assert_eq!(code(&["--fail-on-priority", "attend"]), Some(1));
    assert_eq!(code(&["--fail-on-priority", "track*"]), Some(1));
    // Both gates: severity too.
    assert_eq!(
        code(&["--fail-on-priority", "act", "--fail-on", "critical"]),
        Some(1)
    );
    p.cmd("2026-03-01T00:00:00Z")
        .args(["scan", "--fail-on-priority", "urgent"])
        .arg(p.app())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "expected act, attend, track* or track",
        ));
}

#[test]
fn explain_names_every_signal_and_its_source() {
    let p = project();
    let out = p
        .cmd("2026-03-01T00:00:00Z")
        .args(["explain", "CVE-2099-0001"])
        .arg(p.app())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = String::from_utf8_lossy(&out.stdout);
    for want in [
        "GHSA-aaaa-0000-0001 in express 4.17.1",
        "decision: act",
        "deployer table row 70",
        "CISA KEV catalog",
        "CVE-2099-0001 added 2026-02-01, due 2026-02-22, known ransomware use",
        "patchloop.toml:5",
        "environmental CVSS",
        "CISA KEV due date",
    ] {
        assert!(t.contains(want), "missing {want:?} in\n{t}");
    }
    // explain does not record state.
    assert!(
        !p.path().join("store/state.db").exists() || {
            let (_, j) = p.scan_json("2026-03-05T00:00:00Z", &[]);
            finding(&j, "GHSA-aaaa-0000-0001")["risk"]["first_seen"] == "2026-03-05"
        }
    );
    let out = p
        .cmd("2026-03-01T00:00:00Z")
        .args(["explain", "-f", "json", "GHSA-aaaa-0000-0002"])
        .arg(p.app())
        .output()
        .unwrap();
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j[0]["risk"]["ssvc"]["exploitation"], "public poc");
    p.cmd("2026-03-01T00:00:00Z")
        .args(["explain", "CVE-1999-0001"])
        .arg(p.app())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not found in this project"));
}

#[test]
fn policy_errors_name_file_line_and_key() {
    let p = project();
    std::fs::write(
        p.app().join("patchloop.toml"),
        "[context]\ncriticality = \"high\"\nexposur = \"internal\"\n",
    )
    .unwrap();
    p.cmd("2026-03-01T00:00:00Z")
        .arg("scan")
        .arg(p.app())
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("patchloop.toml:3").and(predicate::str::contains("exposur")),
        );
}

#[test]
fn record_writes_discovered_events_once() {
    let p = project();
    let key = p.path().join("ledger.key");
    let run = |now: &str| {
        p.cmd(now)
            .env("PATCHLOOP_LEDGER_KEY", &key)
            .args(["scan", "--record", "-o", "/dev/null", "--max-age", "1000d"])
            .arg(p.app())
            .assert()
            .code(1);
    };
    run("2026-03-01T00:00:00Z");
    run("2026-03-02T00:00:00Z");
    let out = p
        .cmd("2026-03-02T00:00:00Z")
        .env("PATCHLOOP_STATE", p.path().join("store/state.db"))
        .env("PATCHLOOP_LEDGER_KEY", &key)
        .args(["ledger", "list", "-f", "json"])
        .output()
        .unwrap();
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let recs = j.as_array().unwrap();
    assert_eq!(
        recs.len(),
        3,
        "one discovered record per finding, first scan only"
    );
    assert!(
        recs.iter()
            .all(|r| r["kind"] == "discovered" && r["project"] == "shop")
    );
    let e = recs
        .iter()
        .find(|r| r["patch"] == "GHSA-aaaa-0000-0001/express")
        .unwrap();
    assert_eq!(e["data"]["priority"], "act");
    assert_eq!(e["time"], "2026-03-01T00:00:00Z");
    p.cmd("2026-03-02T00:00:00Z")
        .env("PATCHLOOP_STATE", p.path().join("store/state.db"))
        .env("PATCHLOOP_LEDGER_KEY", &key)
        .args(["ledger", "verify"])
        .assert()
        .success();
}
