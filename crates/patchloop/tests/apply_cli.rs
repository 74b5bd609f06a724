//! `patchloop apply` through the real binary: a git repository with a
//! vulnerable requirements.txt pin in a temp dir, a store imported with
//! `patchloop db import`; plan-and-apply by id, a plan file and standard
//! input, dry runs, refusals and exit codes. (The package-manager drivers
//! are tested end to end in patchloop-remedy's apply_e2e.)

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{Value, json};

const NOW: &str = "2026-03-02T10:00:00Z";

struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn app(&self) -> PathBuf {
        self.dir.path().join("app")
    }
    fn env(&self, c: &mut Command) {
        let gitconfig = self.dir.path().join("gitconfig");
        c.env_remove("NO_COLOR")
            .env("PATCHLOOP_NOW", NOW)
            .env("PATCHLOOP_CONFIG", self.dir.path().join("no-config.toml"))
            .env("PATCHLOOP_DB", self.dir.path().join("store/advisories.db"))
            .env("GIT_CONFIG_GLOBAL", gitconfig)
            .env("GIT_CONFIG_NOSYSTEM", "1");
    }
    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("patchloop").unwrap();
        self.env(&mut c);
        c.current_dir(self.dir.path());
        c
    }
    fn git(&self, args: &[&str]) -> String {
        let mut c = Command::new("git");
        self.env(&mut c);
        let out = c.current_dir(self.app()).args(args).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim_end().to_string()
    }
    fn apply(&self, args: &[&str]) -> std::process::Output {
        let mut c = self.cmd();
        c.arg("apply").args(args).arg("--no-state");
        c.output().unwrap()
    }
}

fn project() -> Project {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gitconfig"), "").unwrap();
    let p = Project { dir };
    let app = p.app();
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(app.join("requirements.txt"), "requests==2.0.0  # http\n").unwrap();
    std::fs::write(
        app.join("patchloop.toml"),
        "[apply]\ntest_command = \"grep -qx 'requests==2.31.0  # http' requirements.txt\"\n",
    )
    .unwrap();
    p.git(&["init", "-q", "-b", "main"]);
    p.git(&["add", "-A"]);
    p.git(&[
        "-c",
        "user.name=D",
        "-c",
        "user.email=d@e.invalid",
        "commit",
        "-qm",
        "app",
    ]);
    let recs = p.dir.path().join("records");
    std::fs::create_dir_all(&recs).unwrap();
    let rec = json!({
        "id": "PYSEC-2099-1", "modified": "2025-01-01T00:00:00Z",
        "aliases": ["CVE-2099-0001"],
        "affected": [{"package": {"ecosystem": "PyPI", "name": "requests"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.31.0"}]}]}]
    });
    std::fs::write(recs.join("r.json"), rec.to_string()).unwrap();
    p.cmd()
        .args(["-q", "db", "import"])
        .arg(&recs)
        .assert()
        .success();
    p
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn plan_and_apply_by_alias_json_report_and_exit_codes() {
    let p = project();
    let head = p.git(&["rev-parse", "HEAD"]);
    let app = p.app().display().to_string();
    // Unknown id: usage error.
    let out = p.apply(&[&app, "--id", "CVE-2000-1", "--offline"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("no group of the plan fixes it"));
    // By alias, JSON.
    let out = p.apply(&[&app, "--id", "CVE-2099-0001", "--offline", "-f", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let j = json_of(&out);
    assert_eq!(j["schema"], "patchloop.apply/v1");
    assert_eq!(j["base_branch"], "main");
    assert_eq!(j["base_commit"], head);
    let g = &j["groups"][0];
    assert_eq!(g["branch"], "patchloop/pypi-requests");
    assert_eq!(g["outcome"], "applied");
    assert_eq!(g["branch_kept"], true);
    assert_eq!(g["test"]["outcome"], "passed");
    assert_eq!(g["test"]["exit_code"], 0);
    assert_eq!(g["test"]["log_sha256"].as_str().unwrap().len(), 64);
    assert!(Path::new(g["log"].as_str().unwrap()).is_file());
    assert_eq!(j["summary"]["applied"], 1);
    assert_eq!(
        p.git(&["show", "patchloop/pypi-requests:requirements.txt"]),
        "requests==2.31.0  # http"
    );
    assert_eq!(p.git(&["rev-parse", "HEAD"]), head);
    assert_eq!(p.git(&["status", "--porcelain"]), "");
    // Again: the branch exists → refused, exit 1; the table says why.
    let out = p.apply(&[&app, "--offline"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("refused") && table.contains("--force"),
        "{table}"
    );
}

#[test]
fn plan_file_stdin_dry_run_push_and_detached_head() {
    let p = project();
    let plan = p.dir.path().join("plan.json");
    let mut c = p.cmd();
    c.args(["plan", "app", "--offline", "--no-state", "-f", "json", "-o"])
        .arg(&plan);
    c.assert().success();
    // A plan file, dry run, Markdown: nothing is made.
    let out = p.apply(&["plan.json", "--dry-run", "-f", "markdown"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.contains("| `patchloop/pypi-requests` | planned |"),
        "{md}"
    );
    assert_eq!(p.git(&["branch", "--list", "patchloop/*"]), "");
    // From standard input, one group picked.
    let mut c = p.cmd();
    c.args([
        "apply",
        "--plan",
        "-",
        "--group",
        "pypi-requests",
        "-f",
        "json",
    ])
    .write_stdin(std::fs::read(&plan).unwrap());
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json_of(&out)["groups"][0]["outcome"], "applied");
    // Unknown group, not a plan, --push: usage errors.
    let out = p.apply(&["plan.json", "--group", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no group of the plan has the id nope"));
    std::fs::write(p.dir.path().join("other.json"), "{\"schema\": \"x\"}").unwrap();
    let out = p.apply(&["other.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is not a patchloop plan"),
        "{}",
        stderr(&out)
    );
    // --push without a remote: the branch is made, the push fails with
    // git's reason (exit 2), nothing of the user's is touched.
    let out = p.apply(&["plan.json", "--push", "--force"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("origin"), "{}", stderr(&out));
    // Detached HEAD: exit 2, a clear message.
    p.git(&["checkout", "-q", "--detach"]);
    let out = p.apply(&["plan.json", "--force"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("HEAD is detached"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn apply_records_the_patch_in_the_ledger_and_needs_approvals_by_policy() {
    let p = project();
    let app = p.app().display().to_string();
    let ledger_json = || -> Value {
        let out = p
            .cmd()
            .env("PATCHLOOP_STATE", p.dir.path().join("store/state.db"))
            .args(["ledger", "list", "-f", "json"])
            .output()
            .unwrap();
        json_of(&out)
    };
    // Every priority needs one approval: nothing is applied without it.
    std::fs::write(
        p.app().join("patchloop.toml"),
        "[apply]\ntest_command = \"grep -qx 'requests==2.31.0  # http' requirements.txt\"\n\n[approvals]\nact = 1\nattend = 1\ntrack_star = 1\ntrack = 1\n",
    )
    .unwrap();
    p.git(&[
        "-c",
        "user.name=D",
        "-c",
        "user.email=d@e.invalid",
        "commit",
        "-qam",
        "policy",
    ]);
    let out = p.apply(&[&app, "--offline"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("needs 1 approval(s), has 0"),
        "{}",
        stderr(&out)
    );
    assert!(p.git(&["branch", "--list", "patchloop/*"]).is_empty());
    p.cmd()
        .env("PATCHLOOP_STATE", p.dir.path().join("store/state.db"))
        .args(["approve", "pypi-requests", "--by", "alice"])
        .assert()
        .success();
    let out = p.apply(&[&app, "--offline"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let recs = ledger_json();
    let kinds: Vec<&str> = recs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["approved", "planned", "tested", "applied"]);
    let applied = &recs[3];
    assert_eq!(applied["patch"], "pypi-requests");
    assert_eq!(applied["data"]["branch"], "patchloop/pypi-requests");
    assert_eq!(
        applied["data"]["commit"],
        p.git(&["rev-parse", "patchloop/pypi-requests"])
    );
    assert_eq!(applied["data"]["changes"][0]["to"], "2.31.0");
    assert_eq!(applied["data"]["changes"][0]["fixes"][0], "PYSEC-2099-1");
    assert_eq!(recs[2]["data"]["outcome"], "passed");
    p.cmd()
        .env("PATCHLOOP_STATE", p.dir.path().join("store/state.db"))
        .args(["ledger", "verify"])
        .assert()
        .success();
}

#[path = "../../patchloop-remedy/tests/support/mod.rs"]
mod support;

#[test]
fn push_opens_a_pull_request_with_evidence_and_automerge() {
    use support::{Reply, Server};
    const GT: &str = "/api/v1/repos/acme/shop";
    let p = project();
    let app = p.app().display().to_string();
    // A bare repository as the remote.
    let origin = p.dir.path().join("origin.git");
    let out = std::process::Command::new("git")
        .args(["init", "-q", "--bare", "-b", "main"])
        .arg(&origin)
        .output()
        .unwrap();
    assert!(out.status.success());
    p.git(&["remote", "add", "origin", origin.to_str().unwrap()]);
    std::fs::write(
        p.app().join("patchloop.toml"),
        "[apply]\ntest_command = \"grep -qx 'requests==2.31.0  # http' requirements.txt\"\nautomerge = [\"minor\"]\nautomerge_priorities = [\"act\", \"attend\", \"track*\", \"track\"]\n",
    )
    .unwrap();
    p.git(&[
        "-c",
        "user.name=D",
        "-c",
        "user.email=d@e.invalid",
        "commit",
        "-qam",
        "policy",
    ]);
    let s = Server::start();
    let pull = |n: u64| {
        json!({"number": n, "html_url": format!("{}/acme/shop/pulls/{n}", s.base), "state": "open",
               "merged": false, "head": {"ref": "patchloop/pypi-requests", "sha": "0123abcd"}, "labels": []})
    };
    s.on(
        "GET",
        &format!("{GT}/pulls"),
        vec![Reply::json(200, json!([]))],
    );
    s.on(
        "GET",
        &format!("{GT}/labels"),
        vec![Reply::json(
            200,
            json!([{"id": 1, "name": "security"}, {"id": 2, "name": "patchloop"}]),
        )],
    );
    s.on(
        "POST",
        &format!("{GT}/pulls"),
        vec![Reply::json(201, pull(7))],
    );
    s.on(
        "GET",
        &format!("{GT}/pulls/7"),
        vec![Reply::json(200, pull(7))],
    );
    s.on(
        "POST",
        &format!("{GT}/pulls/7/merge"),
        vec![Reply {
            status: 200,
            headers: vec![],
            body: String::new(),
        }],
    );
    let mut c = p.cmd();
    c.env("GITEA_TOKEN", "t0ken-secret")
        .args([
            "apply",
            &app,
            "--offline",
            "--no-state",
            "--push",
            "--forge",
            "gitea",
        ])
        .arg("--forge-url")
        .arg(format!("{}/acme/shop", s.base))
        .arg("--forge-api")
        .arg(format!("{}/api/v1", s.base));
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("automerge enabled"),
        "{}",
        stderr(&out)
    );
    // The branch is on the remote.
    let remote_head = std::process::Command::new("git")
        .arg("--git-dir")
        .arg(&origin)
        .args(["rev-parse", "patchloop/pypi-requests"])
        .output()
        .unwrap();
    assert!(remote_head.status.success());
    assert_eq!(
        String::from_utf8_lossy(&remote_head.stdout).trim(),
        p.git(&["rev-parse", "patchloop/pypi-requests"])
    );
    let create = &s.requests_to("POST", &format!("{GT}/pulls"))[0];
    assert_eq!(create.header("authorization"), Some("token t0ken-secret"));
    let b = create.json();
    assert_eq!(b["head"], "patchloop/pypi-requests");
    assert_eq!(b["base"], "main");
    let body = b["body"].as_str().unwrap();
    assert!(
        body.contains("PYSEC-2099-1") && body.contains("passed"),
        "{body}"
    );
    let merge = s.requests_to("POST", &format!("{GT}/pulls/7/merge"))[0].json();
    assert_eq!(merge["merge_when_checks_succeed"], true);
    assert!(!stderr(&out).contains("t0ken-secret"));
}

/// The full loop from the CLI: scan → plan → approve → apply (tested) →
/// promote → verify → close; then a second cycle that ends in a rollback.
/// The ledger verifies and the HTML report shows both.
#[test]
fn full_cycle_and_a_rollback_through_the_ledger() {
    let p = project();
    let app = p.app().display().to_string();
    let state = p.dir.path().join("store/state.db");
    let policy = p.app().join("patchloop.toml");
    std::fs::write(
        &policy,
        "[project]\nname = \"shop\"\n\n[apply]\ntest_command = \"grep -q 'requests==2.31.0' requirements.txt\"\n\n[[environment]]\nname = \"canary\"\nsoak = \"1h\"\nchecks = [{ command = \"true\" }]\n\n[[environment]]\nname = \"prod\"\nchecks = [{ command = \"test ! -f BROKEN\" }]\nrollback_on_failure = true\n\n[approvals]\nact = 1\nattend = 1\ntrack_star = 1\ntrack = 1\n",
    )
    .unwrap();
    p.git(&[
        "-c",
        "user.name=D",
        "-c",
        "user.email=d@e.invalid",
        "commit",
        "-qam",
        "policy",
    ]);
    let run = |now: &str, args: &[&str]| -> std::process::Output {
        let mut c = p.cmd();
        c.env("PATCHLOOP_NOW", now)
            .env("PATCHLOOP_STATE", &state)
            .args(args);
        c.output().unwrap()
    };
    let ok = |now: &str, args: &[&str]| {
        let out = run(now, args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            stderr(&out)
        );
        out
    };
    let pol = policy.to_str().unwrap();
    // Cycle 1.
    run(
        "2026-03-01T09:00:00Z",
        &["scan", &app, "--record", "-o", "/dev/null"],
    );
    ok(
        "2026-03-01T09:05:00Z",
        &["plan", &app, "--offline", "-f", "json", "-o", "plan.json"],
    );
    ok(
        "2026-03-01T09:10:00Z",
        &[
            "approve",
            "pypi-requests",
            "--by",
            "alice",
            "--project",
            "shop",
        ],
    );
    ok(
        "2026-03-01T09:20:00Z",
        &["apply", "--plan", "plan.json", &app],
    );
    // Merge the patch branch: what gets deployed.
    p.git(&[
        "-c",
        "user.name=D",
        "-c",
        "user.email=d@e.invalid",
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "merge fix",
        "patchloop/pypi-requests",
    ]);
    ok(
        "2026-03-01T10:00:00Z",
        &[
            "promote",
            "pypi-requests",
            "--to",
            "canary",
            "--by",
            "alice",
            "--policy",
            pol,
        ],
    );
    ok(
        "2026-03-01T10:05:00Z",
        &[
            "verify",
            "pypi-requests",
            "--env",
            "canary",
            "--repo",
            &app,
            "--policy",
            pol,
        ],
    );
    let early = run(
        "2026-03-01T10:30:00Z",
        &["promote", "pypi-requests", "--to", "prod", "--policy", pol],
    );
    assert_eq!(
        early.status.code(),
        Some(1),
        "soak time not over: {}",
        stderr(&early)
    );
    ok(
        "2026-03-01T11:30:00Z",
        &["promote", "pypi-requests", "--to", "prod", "--policy", pol],
    );
    ok(
        "2026-03-01T11:35:00Z",
        &[
            "verify",
            "pypi-requests",
            "--env",
            "prod",
            "--repo",
            &app,
            "--policy",
            pol,
        ],
    );
    ok(
        "2026-03-01T12:00:00Z",
        &["close", "pypi-requests", "--by", "alice"],
    );
    // Cycle 2: a new vulnerability in the fixed version; the prod check
    // fails and the patch is rolled back, keeping unrelated work.
    let recs = p.dir.path().join("records2");
    std::fs::create_dir_all(&recs).unwrap();
    std::fs::write(
        recs.join("r.json"),
        json!({"id": "PYSEC-2099-2", "modified": "2026-03-02T00:00:00Z",
               "affected": [{"package": {"ecosystem": "PyPI", "name": "requests"},
                             "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.31.0"}, {"fixed": "2.32.0"}]}]}]})
        .to_string(),
    )
    .unwrap();
    ok(
        "2026-03-02T08:00:00Z",
        &["-q", "db", "import", recs.to_str().unwrap()],
    );
    std::fs::write(p.app().join("NOTES.md"), "unrelated work\n").unwrap();
    p.git(&["add", "NOTES.md"]);
    p.git(&[
        "-c",
        "user.name=D",
        "-c",
        "user.email=d@e.invalid",
        "commit",
        "-qm",
        "notes",
    ]);
    std::fs::write(
        p.app().join("patchloop.toml"),
        std::fs::read_to_string(&policy)
            .unwrap()
            .replace("grep -q 'requests==2.31.0'", "grep -q 'requests==2.32.0'"),
    )
    .unwrap();
    p.git(&[
        "-c",
        "user.name=D",
        "-c",
        "user.email=d@e.invalid",
        "commit",
        "-qam",
        "policy 2",
    ]);
    run(
        "2026-03-02T09:00:00Z",
        &["scan", &app, "--record", "-o", "/dev/null"],
    );
    ok(
        "2026-03-02T09:05:00Z",
        &["plan", &app, "--offline", "-f", "json", "-o", "plan2.json"],
    );
    ok(
        "2026-03-02T09:10:00Z",
        &[
            "approve",
            "pypi-requests",
            "--by",
            "bob",
            "--project",
            "shop",
        ],
    );
    ok(
        "2026-03-02T09:20:00Z",
        &["apply", "--plan", "plan2.json", &app, "--force"],
    );
    p.git(&[
        "-c",
        "user.name=D",
        "-c",
        "user.email=d@e.invalid",
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "merge fix 2",
        "patchloop/pypi-requests",
    ]);
    assert!(p.git(&["show", "HEAD:requirements.txt"]).contains("2.32.0"));
    ok(
        "2026-03-02T10:00:00Z",
        &[
            "promote",
            "pypi-requests",
            "--to",
            "canary",
            "--policy",
            pol,
        ],
    );
    ok(
        "2026-03-02T11:30:00Z",
        &["promote", "pypi-requests", "--to", "prod", "--policy", pol],
    );
    // The deployment breaks.
    std::fs::write(p.app().join("BROKEN"), "").unwrap();
    p.git(&["add", "BROKEN"]);
    p.git(&[
        "-c",
        "user.name=D",
        "-c",
        "user.email=d@e.invalid",
        "commit",
        "-qm",
        "deploy marker",
    ]);
    let v = run(
        "2026-03-02T11:35:00Z",
        &[
            "verify",
            "pypi-requests",
            "--env",
            "prod",
            "--repo",
            &app,
            "--policy",
            pol,
        ],
    );
    assert_eq!(v.status.code(), Some(1), "{}", stderr(&v));
    let said = format!("{}{}", String::from_utf8_lossy(&v.stdout), stderr(&v));
    // Rolled back: requirements back to 2.31.0, unrelated commits kept.
    assert!(
        p.git(&["show", "HEAD:requirements.txt"]).contains("2.31.0"),
        "{said}"
    );
    assert_eq!(p.git(&["show", "HEAD:NOTES.md"]), "unrelated work");
    // The ledger verifies and holds both cycles.
    ok("2026-03-02T12:00:00Z", &["ledger", "verify"]);
    let out = ok(
        "2026-03-02T12:00:00Z",
        &["ledger", "show", "pypi-requests", "-f", "json"],
    );
    let recs = json_of(&out);
    let kinds: Vec<&str> = recs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    for k in [
        "approved",
        "planned",
        "tested",
        "applied",
        "promoted",
        "verified",
        "closed",
        "rolled-back",
    ] {
        assert!(kinds.contains(&k), "{k} missing in {kinds:?}");
    }
    let html = ok("2026-03-02T12:00:00Z", &["report", "-f", "html"]);
    let html = String::from_utf8_lossy(&html.stdout);
    assert!(
        html.contains("pypi-requests") && html.contains("<svg"),
        "HTML report"
    );
    assert!(html.contains("rolled"), "the rollback shows in the report");
}
