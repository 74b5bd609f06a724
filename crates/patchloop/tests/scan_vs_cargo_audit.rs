//! `patchloop scan` finds exactly what cargo-audit finds, on the real
//! Cargo.lock files of ../shared/data and on a synthetic one made of edge
//! cases (tests/fixtures/cargo-audit/edge-cases__Cargo.lock).
//!
//! cargo-audit's findings are fixtures written by
//! bench/scan-vs-cargo-audit.sh (header: cargo-audit version and command),
//! one line per `<kind> <advisory> <crate> <version>`; kind is
//! `vulnerability`, `unmaintained`, `unsound` or `notice`. This test runs
//! the real binary on each lockfile with a fresh store imported from the
//! same advisory database in OSV form (../shared/data/osv/crates.io) and
//! reduces its findings the same way: each matched record of a finding is
//! one line, with that record's own kind (one finding can merge aliased
//! records of different kinds), and the finding's own category must be
//! what its records say. docs/scan.md ("Accuracy against cargo-audit")
//! explains the cases.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn patchloop(db: &Path) -> Command {
    let mut c = Command::cargo_bin("patchloop").unwrap();
    c.env_remove("PATCHLOOP_NOW")
        .env("PATCHLOOP_CONFIG", db.with_extension("no-config.toml"))
        .env("PATCHLOOP_DB", db);
    c
}

type Line = (String, String, String, String);

fn fixture_lines(path: &Path) -> BTreeSet<Line> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(f.len(), 4, "{}: bad line {l:?}", path.display());
            (f[0].into(), f[1].into(), f[2].into(), f[3].into())
        })
        .collect()
}

/// `vulnerability` or the record's informational kind for this crate.
fn record_kind(osv: &Path, record: &str, krate: &str) -> String {
    let text = std::fs::read_to_string(osv.join(format!("{record}.json")))
        .unwrap_or_else(|e| panic!("{record}: {e}"));
    let r: Value = serde_json::from_str(&text).unwrap();
    r["affected"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["package"]["name"] == krate)
        .and_then(|a| a["database_specific"]["informational"].as_str())
        .unwrap_or("vulnerability")
        .to_string()
}

/// The scan's findings as fixture lines, and the findings whose category
/// disagrees with their records.
fn scan_lines(db: &Path, osv: &Path, lock: &Path) -> (BTreeSet<Line>, Vec<String>) {
    let out = patchloop(db)
        .args(["scan", "--format", "json", "--fail-on", "none"])
        .args(["--max-age", "100000d"])
        .arg(lock)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}: {}",
        lock.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let rep: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (mut lines, mut problems) = (BTreeSet::new(), Vec::new());
    for f in rep["findings"].as_array().unwrap() {
        let name = f["package"]["name"].as_str().unwrap();
        let version = f["package"]["version"].as_str().unwrap();
        let shown = match f["category"].as_str().unwrap() {
            "vulnerability" => "vulnerability",
            _ => f["informational"].as_str().unwrap_or("informational"),
        };
        let mut kinds = Vec::new();
        for rec in f["records"].as_array().unwrap() {
            let rec = rec.as_str().unwrap();
            let kind = record_kind(osv, rec, name);
            lines.insert((kind.clone(), rec.into(), name.into(), version.into()));
            kinds.push((rec, kind));
        }
        // A vulnerability when any record is one, else the primary's kind.
        let want = if kinds.iter().any(|(_, k)| k == "vulnerability") {
            "vulnerability"
        } else {
            kinds
                .iter()
                .find(|(r, _)| *r == f["id"])
                .map(|(_, k)| k.as_str())
                .unwrap_or("?")
        };
        if want != shown {
            problems.push(format!(
                "{}: finding {} {name} {version} is shown as {shown}, its records say {want} ({kinds:?})",
                lock.display(),
                f["id"]
            ));
        }
    }
    (lines, problems)
}

#[test]
fn scan_finds_what_cargo_audit_finds() {
    let Some(osv) = patchloop_testdata::shared_data("osv/crates.io") else {
        return;
    };
    let Some(lockfiles) = patchloop_testdata::shared_data("lockfiles/crates.io") else {
        return;
    };
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cargo-audit");
    let d = tempfile::tempdir().unwrap();
    let db = d.path().join("adv.db");
    let out = patchloop(&db)
        .args(["-q", "db", "import", "-o", "/dev/null"])
        .arg(&osv)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut checked = Vec::new();
    let mut failures = Vec::new();
    for fixture in patchloop_testdata::files_under(&fixtures) {
        let Some(lock_name) = fixture
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".txt"))
        else {
            continue;
        };
        // The synthetic lockfile lives beside its fixture; the real ones
        // are read from the shared data.
        let lock = [fixtures.join(lock_name), lockfiles.join(lock_name)]
            .into_iter()
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("no lockfile {lock_name} for {}", fixture.display()));
        let want = fixture_lines(&fixture);
        let (got, problems) = scan_lines(&db, &osv, &lock);
        failures.extend(problems);
        for l in want.difference(&got) {
            failures.push(format!("{lock_name}: only cargo-audit: {l:?}"));
        }
        for l in got.difference(&want) {
            failures.push(format!("{lock_name}: only patchloop: {l:?}"));
        }
        checked.push((lock_name.to_string(), want.len()));
    }
    // Every real Cargo.lock has its fixture, plus the edge cases.
    let real = patchloop_testdata::files_under(&lockfiles).len();
    assert_eq!(checked.len(), real + 1, "fixtures checked: {checked:?}");
    assert!(
        checked.iter().all(|(_, n)| *n > 0),
        "an empty fixture proves nothing: {checked:?}"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
