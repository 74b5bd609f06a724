//! Reporting on the ledger: remediation numbers, the HTML report and
//! in-toto statements, from a realistic history appended through
//! `Ledger::append` (ten days, two projects, a rollback, a suppressed
//! finding, hostile text) with a fixed "now".

use base64::Engine as _;
use patchloop_ledger::html;
use patchloop_ledger::intoto::{self, IntotoError};
use patchloop_ledger::ledger::{Key, Ledger, Record, canonical};
use patchloop_ledger::remediation::{PrioritySummary, analyze, parse_time};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const NOW: &str = "2026-03-10T12:00:00Z";
const HOSTILE_NOTE: &str = "<script>alert(\"x\")</script> & 'q'";
const HOSTILE_ACTOR: &str = "mallory\"><img src=x onerror=alert(1)>";
const COMMIT: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

struct History {
    _dir: tempfile::TempDir,
    key: Key,
    records: Vec<Record>,
}

fn discovered(
    ids: &[&str],
    eco: &str,
    name: &str,
    version: &str,
    prio: Value,
    due: Value,
) -> Value {
    json!({
        "ids": ids,
        "package": {"ecosystem": eco, "name": name, "version": version,
                    "purl": format!("pkg:{}/{name}@{version}", eco.to_lowercase())},
        "files": ["lock"],
        "severity": "high",
        "fixed": "9.9.9",
        "priority": prio,
        "risk_score": 50,
        "due": due,
        "suppressed": null,
    })
}

fn change(eco: &str, pkg: &str, from: &str, to: &str, fixes: &[&str]) -> Value {
    json!({"ecosystem": eco, "package": pkg, "from": from, "to": to, "fixes": fixes, "file": "lock"})
}

fn history() -> History {
    let dir = tempfile::tempdir().unwrap();
    let kp = dir.path().join("ledger.key");
    std::fs::write(&kp, format!("{}\n", "07".repeat(32))).unwrap();
    let key = Key::load_or_create(&kp).unwrap();
    let mut l = Ledger::open(&dir.path().join("state.db")).unwrap();
    let mut add = |time: &str, kind: &str, patch: &str, project: &str, actor: &str, data: Value| {
        l.append(&key, time, kind, patch, project, actor, data)
            .unwrap();
    };
    let p = "shop";
    // Day 1: three findings.
    add(
        "2026-03-01T09:00:00Z",
        "discovered",
        "GHSA-aaaa/express",
        p,
        "patchloop",
        discovered(
            &["GHSA-aaaa", "CVE-2026-0001"],
            "npm",
            "express",
            "4.17.1",
            json!("act"),
            json!("2026-03-03"),
        ),
    );
    add(
        "2026-03-01T09:00:00Z",
        "discovered",
        "CVE-2026-0002/lodash",
        p,
        "patchloop",
        discovered(
            &["CVE-2026-0002"],
            "npm",
            "lodash",
            "4.17.20",
            json!("attend"),
            json!("2026-03-08"),
        ),
    );
    add(
        "2026-03-01T09:00:00Z",
        "discovered",
        "CVE-2026-0003/h2",
        p,
        "patchloop",
        discovered(
            &["CVE-2026-0003"],
            "crates.io",
            "h2",
            "0.3.1",
            json!("track"),
            Value::Null,
        ),
    );
    // Another project, never fixed.
    add(
        "2026-03-02T07:00:00Z",
        "discovered",
        "CVE-2026-0009/left-pad",
        "blog",
        "patchloop",
        discovered(
            &["CVE-2026-0009"],
            "npm",
            "left-pad",
            "1.0.0",
            json!("act"),
            json!("2026-03-04"),
        ),
    );
    // Day 2: express approved, tested, applied, promoted; verified on day 3.
    add(
        "2026-03-02T08:00:00Z",
        "approved",
        "npm-express",
        p,
        "alice",
        json!({"note": "urgent: KEV"}),
    );
    add(
        "2026-03-02T09:00:00Z",
        "tested",
        "npm-express",
        p,
        "ci",
        json!({"command": "npm test", "outcome": "passed", "duration_secs": 42, "log_sha256": "ab".repeat(32)}),
    );
    add(
        "2026-03-02T10:00:00Z",
        "applied",
        "npm-express",
        p,
        "patchloop",
        json!({
            "branch": "patchloop/npm-express", "commit": COMMIT,
            "changes": [change("npm", "express", "4.17.1", "4.19.2", &["GHSA-aaaa"])],
            "fixes": ["GHSA-aaaa", "CVE-2026-0001"],
        }),
    );
    add(
        "2026-03-02T12:00:00Z",
        "promoted",
        "npm-express",
        p,
        "alice",
        json!({"environment": "staging"}),
    );
    // Day 3: two more findings.
    add(
        "2026-03-03T08:00:00Z",
        "verified",
        "npm-express",
        p,
        "patchloop",
        json!({"environment": "production", "outcome": "passed"}),
    );
    add(
        "2026-03-03T10:00:00Z",
        "discovered",
        "CVE-2026-0004/requests",
        p,
        "patchloop",
        discovered(
            &["CVE-2026-0004"],
            "PyPI",
            "requests",
            "2.0.0",
            json!("act"),
            json!("2026-03-05"),
        ),
    );
    add(
        "2026-03-03T10:00:00Z",
        "discovered",
        "CVE-2026-0005/minimist",
        p,
        "patchloop",
        discovered(
            &["CVE-2026-0005"],
            "npm",
            "minimist",
            "1.2.0",
            json!("track*"),
            json!("2026-04-01"),
        ),
    );
    // Day 4: a suppressed finding; requests planned and approved (hostile
    // text); lodash approved and its first test fails.
    let mut sup = discovered(
        &["CVE-2026-0006"],
        "npm",
        "vendored",
        "1.0.0",
        json!("attend"),
        json!("2026-03-05"),
    );
    sup["suppressed"] = json!("not reachable");
    add(
        "2026-03-04T08:00:00Z",
        "discovered",
        "CVE-2026-0006/vendored",
        p,
        "patchloop",
        sup,
    );
    add(
        "2026-03-04T09:00:00Z",
        "planned",
        "pypi-requests",
        p,
        "patchloop",
        json!({
            "changes": [change("PyPI", "requests", "2.0.0", "2.31.0", &["CVE-2026-0004"])],
            "fixes": ["CVE-2026-0004"],
        }),
    );
    add(
        "2026-03-04T10:00:00Z",
        "approved",
        "pypi-requests",
        p,
        HOSTILE_ACTOR,
        json!({"note": HOSTILE_NOTE}),
    );
    add(
        "2026-03-04T10:30:00Z",
        "approved",
        "npm-lodash",
        p,
        "bob",
        json!({"note": null}),
    );
    add(
        "2026-03-04T11:00:00Z",
        "tested",
        "npm-lodash",
        p,
        "ci",
        json!({"command": "npm test", "outcome": "failed", "duration_secs": 10}),
    );
    // Day 5: passes, applied (no commit recorded).
    add(
        "2026-03-05T11:00:00Z",
        "tested",
        "npm-lodash",
        p,
        "ci",
        json!({"command": "npm test", "outcome": "passed", "duration_secs": 12}),
    );
    let lodash_applied = json!({
        "branch": "patchloop/npm-lodash",
        "changes": [change("npm", "lodash", "4.17.20", "4.17.21", &["CVE-2026-0002"])],
        "fixes": ["CVE-2026-0002"],
    });
    add(
        "2026-03-05T12:00:00Z",
        "applied",
        "npm-lodash",
        p,
        "patchloop",
        lodash_applied.clone(),
    );
    // Day 6: rolled back.
    add(
        "2026-03-06T09:00:00Z",
        "rolled-back",
        "npm-lodash",
        p,
        "bob",
        json!({"reason": "checkout broke"}),
    );
    // Day 7: h2 closed directly (package removed).
    add(
        "2026-03-07T09:00:00Z",
        "closed",
        "CVE-2026-0003/h2",
        p,
        "carol",
        json!({"fixes": ["CVE-2026-0003"]}),
    );
    // Day 9: lodash applied again, after its due date.
    add(
        "2026-03-09T09:00:00Z",
        "applied",
        "npm-lodash",
        p,
        "patchloop",
        lodash_applied,
    );
    // After "now": left out of the numbers.
    add(
        "2026-03-11T09:00:00Z",
        "closed",
        "CVE-2026-0004/requests",
        p,
        "carol",
        json!({"fixes": ["CVE-2026-0004"]}),
    );
    let records = l.records().unwrap();
    History {
        _dir: dir,
        key,
        records,
    }
}

fn now() -> i64 {
    parse_time(NOW).unwrap()
}

fn prio<'a>(ps: &'a [PrioritySummary], p: &str) -> &'a PrioritySummary {
    ps.iter().find(|s| s.priority == p).unwrap()
}

#[test]
fn remediation_numbers() {
    let h = history();
    let a = analyze(&h.records, Some("shop"), now());
    assert_eq!(
        a.records,
        h.records.len() - 2,
        "blog and the future record left out"
    );
    assert!(a.ledger.verified);
    assert_eq!(a.ledger.head, h.records.last().unwrap().hash);

    let act = prio(&a.priorities, "act");
    assert_eq!(
        (
            act.open,
            act.overdue,
            act.remediated,
            act.within_sla,
            act.late
        ),
        (1, 1, 1, 1, 0)
    );
    assert_eq!(act.within_sla_pct, Some(100.0));
    // express: 2026-03-01T09:00 → 2026-03-02T10:00 = 25 h.
    assert_eq!(act.ttr_median_days, Some(1.04));
    assert_eq!(act.ttr_max_days, Some(1.04));

    let attend = prio(&a.priorities, "attend");
    // lodash: remediated on day 9, due day 8; the suppressed finding does
    // not count.
    assert_eq!(
        (
            attend.open,
            attend.remediated,
            attend.within_sla,
            attend.late
        ),
        (0, 1, 0, 1)
    );
    assert_eq!(attend.within_sla_pct, Some(0.0));
    assert_eq!(
        attend.ttr_median_days,
        Some(8.0),
        "measured to the re-application"
    );

    let star = prio(&a.priorities, "track*");
    assert_eq!((star.open, star.overdue, star.remediated), (1, 0, 0));
    assert_eq!(star.ttr_median_days, None);

    let track = prio(&a.priorities, "track");
    assert_eq!(
        (track.remediated, track.no_due, track.within_sla_pct),
        (1, 1, None)
    );
    assert_eq!(track.ttr_max_days, Some(6.0));

    let t = &a.total;
    assert_eq!(
        (
            t.open,
            t.overdue,
            t.remediated,
            t.within_sla,
            t.late,
            t.no_due
        ),
        (2, 1, 3, 1, 1, 1)
    );
    assert_eq!(t.within_sla_pct, Some(50.0));
    assert_eq!((t.ttr_median_days, t.ttr_max_days), (Some(6.0), Some(8.0)));

    // Open per day, [act, attend, track*, track, none].
    let days: Vec<(&str, [usize; 5])> = a
        .open_by_day
        .iter()
        .map(|d| (d.date.as_str(), d.open))
        .collect();
    assert_eq!(
        days,
        vec![
            ("2026-03-01", [1, 1, 0, 1, 0]),
            ("2026-03-02", [0, 1, 0, 1, 0]),
            ("2026-03-03", [1, 1, 1, 1, 0]),
            ("2026-03-04", [1, 1, 1, 1, 0]),
            ("2026-03-05", [1, 0, 1, 1, 0]),
            ("2026-03-06", [1, 1, 1, 1, 0]),
            ("2026-03-07", [1, 1, 1, 0, 0]),
            ("2026-03-08", [1, 1, 1, 0, 0]),
            ("2026-03-09", [1, 0, 1, 0, 0]),
            ("2026-03-10", [1, 0, 1, 0, 0]),
        ]
    );

    let open: Vec<(&str, bool, Option<&str>)> = a
        .open_findings()
        .iter()
        .map(|f| (f.key.as_str(), f.overdue, f.patch.as_deref()))
        .collect();
    assert_eq!(
        open,
        vec![
            ("CVE-2026-0004/requests", true, Some("pypi-requests")),
            ("CVE-2026-0005/minimist", false, None),
        ]
    );
    let lodash = a.findings.iter().find(|f| f.package == "lodash").unwrap();
    assert_eq!(lodash.reopened, 1);
    assert_eq!(lodash.remediated.as_ref().unwrap().within_sla, Some(false));

    // Timelines, most urgent first.
    let patches: Vec<(&str, &str, &str)> = a
        .patches
        .iter()
        .map(|p| (p.patch.as_str(), p.priority.as_str(), p.status.as_str()))
        .collect();
    assert_eq!(
        patches,
        vec![
            ("npm-express", "act", "verified"),
            ("pypi-requests", "act", "approved"),
            ("npm-lodash", "attend", "applied"),
            ("CVE-2026-0003/h2", "track", "closed"),
        ]
    );
    let express: Vec<&str> = a.patches[0]
        .events
        .iter()
        .map(|e| e.kind.as_str())
        .collect();
    assert_eq!(
        express,
        [
            "discovered",
            "approved",
            "tested",
            "applied",
            "promoted",
            "verified"
        ]
    );
    let lodash_tests: Vec<Option<&str>> = a.patches[2]
        .events
        .iter()
        .filter(|e| e.kind == "tested")
        .map(|e| e.outcome.as_deref())
        .collect();
    assert_eq!(lodash_tests, [Some("failed"), Some("passed")]);

    // All projects: the blog finding is open and overdue too.
    let all = analyze(&h.records, None, now());
    assert_eq!(
        (
            prio(&all.priorities, "act").open,
            prio(&all.priorities, "act").overdue
        ),
        (2, 2)
    );
    // An earlier "now" shows the past: on the morning of day 5 nothing is
    // overdue yet (requests is due that day) and only express is fixed.
    let past = analyze(
        &h.records,
        Some("shop"),
        parse_time("2026-03-05T08:00:00Z").unwrap(),
    );
    assert_eq!(
        (past.total.open, past.total.overdue, past.total.remediated),
        (4, 0, 1)
    );
}

#[test]
fn odd_records_never_break_the_numbers() {
    let d = tempfile::tempdir().unwrap();
    let key = Key::load_or_create(&d.path().join("k")).unwrap();
    let mut l = Ledger::open(&d.path().join("s.db")).unwrap();
    for (time, kind, patch, data) in [
        (
            "2026-03-01T00:00:00Z",
            "discovered",
            "X-1/pkg",
            json!("not an object"),
        ),
        (
            "2026-03-01T00:00:00Z",
            "discovered",
            "nopkg",
            json!({"priority": "urgent!", "due": "someday"}),
        ),
        ("garbage", "discovered", "Y-1/other", json!({})),
        (
            "2026-03-02T00:00:00Z",
            "applied",
            "p",
            json!({"changes": "none", "fixes": 3}),
        ),
        (
            "2026-03-02T00:00:00Z",
            "closed",
            "p2",
            json!({"fixes": ["X-1"]}),
        ),
        ("2026-03-03T00:00:00Z", "rolled-back", "p2", Value::Null),
        ("2026-03-03T00:00:00Z", "tested", "p", json!([1, 2])),
    ] {
        l.append(&key, time, kind, patch, "proj", "someone", data)
            .unwrap();
    }
    let recs = l.records().unwrap();
    let a = analyze(&recs, None, parse_time("2026-03-04T00:00:00Z").unwrap());
    assert_eq!(a.skipped, 1);
    assert_eq!(a.findings.len(), 2);
    assert!(a.findings.iter().all(|f| f.priority == "none"));
    // X-1 closed then reopened by the rollback of p2.
    let x = a.findings.iter().find(|f| f.key == "X-1/pkg").unwrap();
    assert!(x.is_open());
    assert_eq!(x.reopened, 1);
    assert_eq!(a.total.open, 2);
    let page = html::render(&recs, None, parse_time("2026-03-04T00:00:00Z").unwrap());
    assert!(page.contains("1 skipped"));
    // Empty ledger.
    let page = html::render(&[], None, 0);
    assert!(page.contains("No records."));
}

#[test]
fn html_report_is_escaped_self_contained_and_deterministic() {
    let h = history();
    let page = html::render(&h.records, Some("shop"), now());
    assert_eq!(page, html::render(&h.records, Some("shop"), now()));
    assert!(page.starts_with("<!DOCTYPE html>"));

    // Hostile text is escaped wherever it appears.
    assert!(!page.contains("<script"), "no script element at all");
    assert!(!page.contains("<img"));
    assert!(page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;"));
    assert!(page.contains("mallory&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));

    // Nothing loads: no src/href attributes, no imports, a CSP that
    // forbids all but the one stylesheet, pinned by its hash.
    // (Every `<` in the page starts a tag written by the report: record
    // text is escaped.)
    let tags: Vec<&str> = page
        .split('<')
        .skip(1)
        .map(|t| t.split('>').next().unwrap())
        .collect();
    for t in &tags {
        let name = t.split([' ', '/']).next().unwrap();
        assert!(
            ![
                "script",
                "link",
                "iframe",
                "object",
                "embed",
                "img",
                "image",
                "use",
                "a",
                "foreignObject"
            ]
            .contains(&name),
            "<{t}>"
        );
        for attr in [" src=", " href=", " xlink:href=", " style=", " on"] {
            assert!(!t.contains(attr), "<{t}>");
        }
    }
    for bad in ["@import", "url("] {
        assert!(!page.contains(bad), "{bad}");
    }
    let css = page
        .split_once("<style>")
        .unwrap()
        .1
        .split_once("</style>")
        .unwrap()
        .0;
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(css.as_bytes()));
    assert!(page.contains(&format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'sha256-{hash}';"
    )));
    assert!(page.find("Content-Security-Policy").unwrap() < page.find("<style>").unwrap());

    // The three charts and the numbers.
    assert_eq!(page.matches("<svg class=\"chart\"").count(), 3);
    assert!(page.contains(
        "<tr><td>2026-03-06</td><td class=\"n\">1</td><td class=\"n\">1</td><td class=\"n\">1</td><td class=\"n\">1</td><td class=\"n\">0</td><td class=\"n\">4</td></tr>"
    ));
    assert!(page.contains("median 1.0 d · max 1.0 d (n=1)"));
    assert!(page.contains("0 on time · 1 late · 0 overdue · 0.0% within SLA"));
    assert!(page.contains("<span class=\"bad\">OVERDUE</span>"));
    assert!(page.contains("Open findings (2)"));
    assert!(page.contains("Patches (4)"));
    assert!(page.contains("rolled-back"));

    // Ledger integrity: head and key.
    assert!(page.contains("Ledger verified: 22 records"));
    assert!(page.contains(&h.records.last().unwrap().hash));
    assert!(page.contains(&h.key.public_hex()));
    // Other projects' findings are not in a project's report.
    assert!(!page.contains("left-pad"));
    assert!(html::render(&h.records, None, now()).contains("left-pad"));

    // A modified record shows as a failed verification.
    let mut bad = h.records.clone();
    bad[4].actor = "eve".into();
    let page = html::render(&bad, Some("shop"), now());
    assert!(
        page.contains("Ledger verification FAILED at record 5 (position 5): record 5 was modified")
    );
}

#[test]
fn intoto_statement_round_trips_and_tampering_fails() {
    let h = history();
    let env = intoto::envelope(&h.records, "npm-express", &h.key).unwrap();
    assert_eq!(
        env,
        intoto::envelope(&h.records, "npm-express", &h.key).unwrap(),
        "deterministic"
    );
    assert_eq!(env.payload_type, "application/vnd.in-toto+json");
    assert_eq!(env.signatures[0].keyid, h.key.public_hex());
    let st = intoto::verify_envelope(&env, &h.key.public_hex()).unwrap();
    assert_eq!(st["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(st["predicateType"], "https://patchloop.dev/patch/v1");
    assert_eq!(
        st["subject"],
        json!([{"name": "pkg:npm/express@4.19.2", "digest": {"gitCommit": COMMIT}}])
    );
    let p = &st["predicate"];
    assert_eq!(p["patch"], "npm-express");
    assert_eq!(p["status"], "verified");
    assert_eq!(p["fixes"], json!(["CVE-2026-0001", "GHSA-aaaa"]));
    assert_eq!(p["findings"][0]["key"], "GHSA-aaaa/express");
    assert_eq!(p["findings"][0]["withinSla"], true);
    assert_eq!(p["approvals"][0]["actor"], "alice");
    assert_eq!(p["testOutcome"], "passed");
    assert_eq!(p["tests"][0]["durationSecs"], 42);
    let deployments: Vec<&str> = p["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["event"].as_str().unwrap())
        .collect();
    assert_eq!(deployments, ["promoted", "verified"]);
    assert_eq!(p["ledger"]["head"], h.records.last().unwrap().hash);
    assert_eq!(p["ledger"]["verified"], true);
    assert_eq!(p["ledger"]["records"].as_array().unwrap().len(), 5);
    // The payload is the statement's canonical JSON.
    let b64 = base64::engine::general_purpose::STANDARD;
    let body = b64.decode(&env.payload).unwrap();
    assert_eq!(String::from_utf8(body.clone()).unwrap(), canonical(&st));

    // Without a commit: the digest is the SHA-256 of the canonical change.
    let lodash = intoto::statement(&h.records, "npm-lodash").unwrap();
    let ch = change("npm", "lodash", "4.17.20", "4.17.21", &["CVE-2026-0002"]);
    assert_eq!(
        lodash["subject"][0],
        json!({"name": "pkg:npm/lodash@4.17.21", "digest": {"sha256": format!("{:x}", Sha256::digest(canonical(&ch).as_bytes()))}})
    );
    let events: Vec<&str> = lodash["predicate"]["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["rolled-back"]);
    assert_eq!(lodash["predicate"]["testOutcome"], "passed");
    // Planned only: the subject comes from the plan.
    let req = intoto::statement(&h.records, "pypi-requests").unwrap();
    assert_eq!(req["subject"][0]["name"], "pkg:pypi/requests@2.31.0");
    assert_eq!(req["predicate"]["approvals"][0]["note"], HOSTILE_NOTE);
    // No record, no change.
    assert!(matches!(
        intoto::statement(&h.records, "nothing"),
        Err(IntotoError::NoPatch(_))
    ));
    assert!(matches!(
        intoto::statement(&h.records, "CVE-2026-0003/h2"),
        Err(IntotoError::NoSubject(_))
    ));

    // Tampering: payload, signature, payload type, key.
    let pk = h.key.public_hex();
    let mut t = env.clone();
    let forged = String::from_utf8(body).unwrap().replace("alice", "alicf");
    t.payload = b64.encode(forged);
    assert!(matches!(
        intoto::verify_envelope(&t, &pk),
        Err(IntotoError::Signature(_))
    ));
    let mut t = env.clone();
    let mut sig = b64.decode(&t.signatures[0].sig).unwrap();
    sig[10] ^= 1;
    t.signatures[0].sig = b64.encode(sig);
    assert!(intoto::verify_envelope(&t, &pk).is_err());
    let mut t = env.clone();
    t.payload_type = "application/json".into();
    assert!(intoto::verify_envelope(&t, &pk).is_err());
    let other = Key::load_or_create(&h._dir.path().join("other.key")).unwrap();
    assert!(intoto::verify_envelope(&env, &other.public_hex()).is_err());
    // The keyid is only a hint: a wrong one does not matter.
    let mut t = env.clone();
    t.signatures[0].keyid = "whatever".into();
    assert!(intoto::verify_envelope(&t, &pk).is_ok());
    // A statement signed by the other key does not verify with ours.
    let t = intoto::sign(&st, &other);
    assert!(intoto::verify_envelope(&t, &pk).is_err());
    assert!(intoto::verify_envelope(&t, &other.public_hex()).is_ok());
}
