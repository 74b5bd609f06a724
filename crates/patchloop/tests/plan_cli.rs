//! `patchloop plan` through the real binary (offline: candidate versions
//! from the advisories).

use assert_cmd::Command;
use serde_json::{Value, json};

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(
        app.join("package-lock.json"),
        json!({
            "name": "app", "version": "1.0.0", "lockfileVersion": 3,
            "packages": {
                "": {"name": "app", "version": "1.0.0", "dependencies": {"express": "^4.17.1", "left-pad": "1.0.0"}},
                "node_modules/express": {"version": "4.17.1", "dependencies": {"qs": "6.5.2"}},
                "node_modules/qs": {"version": "6.5.2"},
                "node_modules/left-pad": {"version": "1.0.0"}
            }
        })
        .to_string(),
    )
    .unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let rec = |id: &str, name: &str, events: Value| {
        json!({"id": id, "modified": "2026-01-01T00:00:00Z",
               "affected": [{"package": {"ecosystem": "npm", "name": name},
                             "ranges": [{"type": "SEMVER", "events": events}]}]})
    };
    for r in [
        rec(
            "GHSA-0001",
            "express",
            json!([{"introduced": "0"}, {"fixed": "4.17.3"}]),
        ),
        // A second advisory affects 4.17.3..4.18.1: the plan must go to 4.18.2.
        rec(
            "GHSA-0002",
            "express",
            json!([{"introduced": "4.17.3"}, {"fixed": "4.18.2"}]),
        ),
        rec(
            "GHSA-0003",
            "qs",
            json!([{"introduced": "0"}, {"fixed": "7.0.0"}]),
        ),
        rec("GHSA-0004", "left-pad", json!([{"introduced": "0"}])),
    ] {
        std::fs::write(
            data.join(format!("{}.json", r["id"].as_str().unwrap())),
            r.to_string(),
        )
        .unwrap();
    }
    let mut c = Command::cargo_bin("patchloop").unwrap();
    c.env("PATCHLOOP_DB", dir.path().join("db/a.db"))
        .env("PATCHLOOP_CONFIG", dir.path().join("none.toml"))
        .args(["-q", "db", "import"])
        .arg(&data)
        .assert()
        .success();
    dir
}

fn plan(dir: &tempfile::TempDir, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("patchloop")
        .unwrap()
        .env("PATCHLOOP_DB", dir.path().join("db/a.db"))
        .env("PATCHLOOP_CONFIG", dir.path().join("none.toml"))
        .env("PATCHLOOP_NOW", "2026-03-01T00:00:00Z")
        .current_dir(dir.path())
        .args(["plan", "app", "--offline", "--no-state"])
        .args(args)
        .output()
        .unwrap()
}

/// `plan -f json` asking the loopback npm registry `srv` (exit 0): the
/// report and what was written on stderr.
fn online_plan_json(dir: &tempfile::TempDir, srv: &server::Server) -> (Value, String) {
    let out = Command::cargo_bin("patchloop")
        .unwrap()
        .env("PATCHLOOP_DB", dir.path().join("db/a.db"))
        .env("PATCHLOOP_CONFIG", dir.path().join("none.toml"))
        .env("PATCHLOOP_NOW", "2026-03-01T00:00:00Z")
        .env("PATCHLOOP_CACHE_DIR", dir.path().join("cache"))
        .env("PATCHLOOP_REGISTRY_NPM_URL", srv.url(""))
        .current_dir(dir.path())
        .args(["plan", "app", "--no-state", "-f", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        serde_json::from_slice(&out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn offline_plan_json() {
    let d = setup();
    let out = plan(&d, &["-f", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["schema"], "patchloop.plan/v1");
    let change = |pkg: &str| -> Value {
        j["groups"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["changes"].as_array().unwrap().clone())
            .find(|c| c["package"] == pkg)
            .unwrap_or_else(|| panic!("{pkg} not planned: {j:#}"))
    };
    let e = change("express");
    assert_eq!(
        e["to"], "4.18.2",
        "skips the version another advisory affects"
    );
    assert_eq!(e["update"], "minor");
    assert_eq!(e["strategy"], "lockfile-update");
    assert_eq!(e["versions_from"], "advisories");
    let q = change("qs");
    assert_eq!(q["to"], "7.0.0");
    assert_eq!(q["update"], "major");
    assert_eq!(q["relation"], "transitive");
    assert_eq!(q["strategy"], "override");
    assert!(q["action"].as_str().unwrap().contains("overrides"));
    assert_eq!(j["unfixable"][0]["id"], "GHSA-0004");
    assert_eq!(j["unfixable"][0]["package"], "left-pad");
}

#[test]
fn table_and_markdown() {
    let d = setup();
    let out = plan(&d, &[]);
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(t.contains("patchloop/npm-express"), "{t}");
    assert!(t.contains("No fix available"), "{t}");
    let out = plan(&d, &["-f", "markdown", "--group", "all"]);
    let m = String::from_utf8_lossy(&out.stdout);
    assert!(m.contains("#### `patchloop/security-fixes`"), "{m}");
    assert!(m.contains("| express | 4.17.1 | 4.18.2 | minor |"), "{m}");
}

#[path = "../../patchloop-feeds/tests/support/server.rs"]
mod server;

/// npm packument with versions and their dependency requirements.
fn packument(name: &str, versions: &[(&str, &[(&str, &str)])]) -> Vec<u8> {
    let mut vs = serde_json::Map::new();
    for (v, deps) in versions {
        let d: serde_json::Map<String, Value> = deps
            .iter()
            .map(|(n, r)| (n.to_string(), Value::String(r.to_string())))
            .collect();
        vs.insert(
            v.to_string(),
            json!({"name": name, "version": v, "dependencies": d}),
        );
    }
    json!({"name": name, "versions": vs})
        .to_string()
        .into_bytes()
}

#[test]
fn plan_asks_the_registry_and_bumps_the_parent() {
    let d = setup();
    let srv = server::Server::start();
    srv.put(
        "/express",
        packument(
            "express",
            &[
                ("4.17.1", &[("qs", "6.5.2")]),
                ("4.17.3", &[("qs", "6.5.3")]),
                ("4.18.2", &[("qs", "6.11.0")]),
                ("4.18.3", &[("qs", "^7.0.0")]),
                ("5.0.0-beta.1", &[]),
            ],
        ),
    );
    srv.put(
        "/qs",
        packument(
            "qs",
            &[
                ("6.5.2", &[]),
                ("6.5.3", &[]),
                ("6.11.0", &[]),
                ("7.0.0", &[]),
                ("7.0.1", &[]),
            ],
        ),
    );
    srv.put(
        "/left-pad",
        packument("left-pad", &[("1.0.0", &[]), ("1.3.0", &[])]),
    );
    let (j, _) = online_plan_json(&d, &srv);
    let change = |pkg: &str| -> Value {
        j["groups"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["changes"].as_array().unwrap().clone())
            .find(|c| c["package"] == pkg)
            .unwrap_or_else(|| panic!("{pkg} not planned: {j:#}"))
    };
    let e = change("express");
    assert_eq!(e["to"], "4.18.2");
    assert_eq!(e["versions_from"], "registry");
    // qs 6.5.2 → 7.0.0 (lowest free of GHSA-0003); express 4.17.1 pins qs
    // 6.5.2: bump express to 4.18.3, the first whose requirement allows 7.0.0.
    let q = change("qs");
    assert_eq!(q["to"], "7.0.0");
    assert_eq!(q["strategy"], "bump-parent");
    assert_eq!(
        q["parent"],
        json!({"package": "express", "from": "4.17.1", "to": "4.18.3"})
    );
    // left-pad: every version is affected (introduced 0, no fix): unfixable
    // with the registry's answer as the reason.
    assert!(
        j["unfixable"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("registry"),
        "{j:#}"
    );
    assert_eq!(
        srv.hits("/express"),
        1,
        "one request per package (then cache)"
    );
}

#[test]
fn cooldown_days_in_the_project_policy_holds_back_a_new_parent_release() {
    let d = setup();
    std::fs::write(
        d.path().join("app/patchloop.toml"),
        "[apply]\ncooldown_days = 7\n",
    )
    .unwrap();
    let srv = server::Server::start();
    // A full packument: express 4.18.3 (the parent release that allows the
    // fixed qs) was published the day before PATCHLOOP_NOW.
    let mut express: Value = serde_json::from_slice(&packument(
        "express",
        &[
            ("4.17.1", &[("qs", "6.5.2")]),
            ("4.18.2", &[("qs", "6.11.0")]),
            ("4.18.3", &[("qs", "^7.0.0")]),
        ],
    ))
    .unwrap();
    express["time"] = json!({"4.17.1": "2019-05-26T00:00:00.000Z",
                             "4.18.2": "2022-10-08T00:00:00.000Z",
                             "4.18.3": "2026-02-28T12:00:00.000Z"});
    srv.put("/express", express.to_string().into_bytes());
    srv.put(
        "/qs",
        packument("qs", &[("6.5.2", &[]), ("6.11.0", &[]), ("7.0.0", &[])]),
    );
    srv.put("/left-pad", packument("left-pad", &[("1.0.0", &[])]));
    let (j, stderr) = online_plan_json(&d, &srv);
    let q = j["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["changes"].as_array().unwrap().clone())
        .find(|c| c["package"] == "qs")
        .unwrap();
    // Without the cooldown this is a bump of express to 4.18.3 (the test
    // above); with it, an override of qs.
    assert_eq!(q["strategy"], "override", "{q:#}");
    assert!(
        q["action"].as_str().unwrap().starts_with(
            "express 4.18.3 allows qs 7.0.0 but was published 1 day(s) ago (cooldown_days = 7)"
        ),
        "{q:#}"
    );
    assert!(
        stderr.contains("not chosen as a parent bump yet"),
        "{stderr}"
    );
}
