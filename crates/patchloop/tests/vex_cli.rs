//! VEX through the real binary: OpenVEX export valid against the OpenVEX
//! 0.2 schema, CycloneDX VEX valid against CycloneDX 1.6, and `scan --vex`
//! applying an OpenVEX document.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{Value, json};

fn cmd(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("patchloop").unwrap();
    c.env("PATCHLOOP_DB", dir.join("db/a.db"))
        .env("PATCHLOOP_STATE", dir.join("db/state.db"))
        .env("PATCHLOOP_CONFIG", dir.join("none.toml"))
        .env("PATCHLOOP_NOW", "2026-03-01T00:00:00Z")
        .current_dir(dir);
    c
}

fn setup() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let app = d.path().join("app");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(
        app.join("package-lock.json"),
        json!({"name": "app", "version": "1.0.0", "lockfileVersion": 3, "packages": {
            "": {"name": "app", "version": "1.0.0", "dependencies": {"express": "^4.17.1", "qs": "6.5.2"}},
            "node_modules/express": {"version": "4.17.1"},
            "node_modules/qs": {"version": "6.5.2"}}})
        .to_string(),
    )
    .unwrap();
    let data = d.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    for (id, cve, name, fixed) in [
        ("GHSA-aaaa-0000-0001", "CVE-2099-0001", "express", "4.17.3"),
        ("GHSA-aaaa-0000-0002", "CVE-2099-0002", "qs", "6.5.3"),
    ] {
        std::fs::write(
            data.join(format!("{id}.json")),
            json!({"id": id, "modified": "2026-01-01T00:00:00Z", "aliases": [cve],
                   "summary": format!("bug in {name}"),
                   "affected": [{"package": {"ecosystem": "npm", "name": name},
                                 "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": fixed}]}]}]})
            .to_string(),
        )
        .unwrap();
    }
    std::fs::write(
        app.join("patchloop.toml"),
        "[project]\nname = \"shop\"\n\n[[vex]]\nid = \"CVE-2099-0002\"\npackage = \"qs\"\nstatus = \"not_affected\"\njustification = \"vulnerable_code_not_in_execute_path\"\nstatement = \"qs only parses our own query strings\"\nexpires = 2026-12-31\n",
    )
    .unwrap();
    cmd(d.path())
        .args(["-q", "db", "import"])
        .arg(&data)
        .assert()
        .success();
    d
}

fn validate(script: &str, args: &[PathBuf]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../patchloop-ledger/tests");
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    match std::process::Command::new("python3")
        .arg(dir.join(script))
        .args(args)
        .output()
    {
        Ok(o) if o.status.code() == Some(3) => {
            assert!(!ci, "validator unavailable under CI=true");
            eprintln!("SKIPPED: {}", String::from_utf8_lossy(&o.stderr));
        }
        Ok(o) => assert!(
            o.status.success(),
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => {
            assert!(!ci, "python3 unavailable under CI=true: {e}");
            eprintln!("SKIPPED: python3: {e}");
        }
    }
}

#[test]
fn openvex_export_is_valid_and_round_trips_through_scan() {
    let d = setup();
    let out_path = d.path().join("app.openvex.json");
    cmd(d.path())
        .args([
            "vex",
            "export",
            "app",
            "--author",
            "security@shop.example",
            "-o",
        ])
        .arg(&out_path)
        .assert()
        .success();
    let doc: Value = serde_json::from_slice(&std::fs::read(&out_path).unwrap()).unwrap();
    assert_eq!(doc["@context"], "https://openvex.dev/ns/v0.2.0");
    assert_eq!(doc["author"], "security@shop.example");
    let st = |name: &str| -> Value {
        doc["statements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["vulnerability"]["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} missing in {doc:#}"))
    };
    let e = st("GHSA-aaaa-0000-0001");
    assert_eq!(e["status"], "affected");
    assert_eq!(e["products"][0]["@id"], "pkg:npm/express@4.17.1");
    let action = e["action_statement"].as_str().unwrap();
    assert!(
        action.starts_with("Update express from 4.17.1 to 4.17.3 or later (priority"),
        "{action}"
    );
    let q = st("GHSA-aaaa-0000-0002");
    assert_eq!(q["status"], "not_affected");
    assert_eq!(q["justification"], "vulnerable_code_not_in_execute_path");
    assert!(
        q.get("impact_statement").is_none(),
        "justification XOR impact statement"
    );
    let schema = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../patchloop-ledger/tests/schemas/openvex_json_schema_0.2.0.json");
    validate("validate_sarif.py", &[schema, out_path.clone()]);

    // Without the policy's VEX rule qs is active; with the exported
    // document as --vex input it is suppressed again.
    std::fs::remove_file(d.path().join("app/patchloop.toml")).unwrap();
    let scan = |extra: &[&str]| -> Value {
        let o = cmd(d.path())
            .args([
                "scan",
                "app",
                "-f",
                "json",
                "--fail-on",
                "none",
                "--max-age",
                "1000d",
            ])
            .args(extra)
            .output()
            .unwrap();
        serde_json::from_slice(&o.stdout).unwrap()
    };
    assert_eq!(scan(&[])["summary"]["suppressed"], 0);
    let j = scan(&["--vex", out_path.to_str().unwrap()]);
    assert_eq!(j["summary"]["suppressed"], 1);
    let qs = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["package"]["name"] == "qs")
        .unwrap()
        .clone();
    assert!(
        qs["suppressed"]["reason"]
            .as_str()
            .unwrap()
            .contains("not_affected")
    );
    assert!(
        qs["suppressed"]["rule"]
            .as_str()
            .unwrap()
            .contains("statement")
    );
}

#[test]
fn cyclonedx_vex_export_is_valid() {
    let d = setup();
    let out_path = d.path().join("app.vex.cdx.json");
    cmd(d.path())
        .args(["vex", "export", "app", "-f", "cyclonedx", "-o"])
        .arg(&out_path)
        .assert()
        .success();
    let doc: Value = serde_json::from_slice(&std::fs::read(&out_path).unwrap()).unwrap();
    let q = doc["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "GHSA-aaaa-0000-0002")
        .unwrap()
        .clone();
    assert_eq!(q["analysis"]["state"], "not_affected");
    assert_eq!(q["analysis"]["justification"], "code_not_reachable");
    validate("validate_cyclonedx.py", &[out_path]);
}

#[test]
fn malformed_openvex_input_names_the_file() {
    let d = setup();
    std::fs::write(
        d.path().join("bad.json"),
        "{\"@context\": \"https://openvex.dev/ns/v0.2.0\",\n \"statements\": 3}",
    )
    .unwrap();
    let o = cmd(d.path())
        .args(["scan", "app", "--vex", "bad.json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.json") && err.contains("OpenVEX"), "{err}");
}
