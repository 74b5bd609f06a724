//! Matching with a real store: hand-written OSV records imported into a
//! temporary SQLite store, packages as the inventory produces them.

use std::path::PathBuf;

use patchloop_feeds::{ImportOptions, NoProgress, OpenMode, SqliteStore, import_paths};
use patchloop_match::{ScanOptions, scan};
use patchloop_model::{
    Category, DatabaseInfo, Ecosystem, Inventory, Package, Relation, Root, ScanReport,
    SeverityLevel, SourceFile,
};
use patchloop_risk::Policy;
use serde_json::{Value, json};

fn record(id: &str, eco: &str, name: &str, events: Value) -> Value {
    json!({
        "id": id,
        "modified": "2024-01-01T00:00:00Z",
        "summary": format!("{id} summary"),
        "affected": [{
            "package": {"ecosystem": eco, "name": name},
            "ranges": [{"type": "ECOSYSTEM", "events": events}]
        }]
    })
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: SqliteStore,
}

fn store(records: &[Value]) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let recs = dir.path().join("records");
    std::fs::create_dir(&recs).unwrap();
    for (i, r) in records.iter().enumerate() {
        std::fs::write(recs.join(format!("{i}.json")), r.to_string()).unwrap();
    }
    let db = dir.path().join("a.db");
    let mut s = SqliteStore::open(&db, OpenMode::ReadWrite).unwrap();
    let rep = import_paths(&mut s, &[recs], &ImportOptions::default(), &NoProgress).unwrap();
    assert_eq!(rep.records.inserted as usize, records.len(), "{rep:?}");
    Fixture {
        _dir: dir,
        store: s,
    }
}

fn source(path: &str, eco: Ecosystem, pkgs: &[(&str, &str)]) -> SourceFile {
    let mut s = SourceFile::new(path, "test", eco.clone());
    for (i, (n, v)) in pkgs.iter().enumerate() {
        s.packages.push(
            Package::new(eco.clone(), *n, *v)
                .with_location(path, Some(i as u32 + 1))
                .with_relation(Relation::Direct),
        );
    }
    s
}

fn run(f: &Fixture, sources: Vec<SourceFile>, policy: &Policy, today: &str) -> ScanReport {
    let inv = Inventory {
        sources,
        diagnostics: vec![],
        target: None,
    };
    scan(
        &inv,
        &f.store,
        policy,
        DatabaseInfo::default(),
        &ScanOptions {
            today: today.into(),
            ..ScanOptions::default()
        },
    )
    .unwrap()
}

fn ids(r: &ScanReport) -> Vec<(String, String, String)> {
    r.findings
        .iter()
        .map(|f| {
            (
                f.id.clone(),
                f.package.name.clone(),
                f.package.version.clone(),
            )
        })
        .collect()
}

#[test]
fn names_are_compared_the_ecosystems_way() {
    let f = store(&[
        record(
            "PYSEC-1",
            "PyPI",
            "Django-REST_framework",
            json!([{"introduced": "0"}, {"fixed": "3.0"}]),
        ),
        record(
            "GHSA-nuget-0001",
            "NuGet",
            "Newtonsoft.Json",
            json!([{"introduced": "0"}, {"fixed": "13.0.1"}]),
        ),
        record(
            "GHSA-pack-0001",
            "Packagist",
            "Dompdf/Dompdf",
            json!([{"introduced": "0"}, {"fixed": "2.0.0"}]),
        ),
        record(
            "GHSA-mvn-0001",
            "Maven",
            "org.apache.logging.log4j:log4j-core",
            json!([{"introduced": "2.0"}, {"fixed": "2.15.0"}]),
        ),
        record(
            "GO-1",
            "Go",
            "github.com/BurntSushi/toml",
            json!([{"introduced": "0"}, {"fixed": "1.2.0"}]),
        ),
    ]);
    let sources = vec![
        source(
            "requirements.txt",
            Ecosystem::PYPI,
            &[
                ("django.rest.framework", "2.4"),
                ("django-rest-framework", "3.0"),
            ],
        ),
        source(
            "packages.lock.json",
            Ecosystem::NUGET,
            &[("newtonsoft.json", "12.0.3")],
        ),
        source(
            "composer.lock",
            Ecosystem::PACKAGIST,
            &[("dompdf/dompdf", "1.2.0")],
        ),
        source(
            "pom.xml",
            Ecosystem::MAVEN,
            &[
                ("org.apache.logging.log4j:log4j-core", "2.14.1"),
                // Same artifact id, other group: must not match.
                ("org.other:log4j-core", "2.14.1"),
            ],
        ),
        source(
            "go.mod",
            Ecosystem::GO,
            &[
                ("github.com/BurntSushi/toml", "v1.1.0"),
                // Go module paths are case-sensitive.
                ("github.com/burntsushi/toml", "v1.1.0"),
            ],
        ),
    ];
    let r = run(&f, sources, &Policy::default(), "2026-01-01");
    let mut got = ids(&r);
    got.sort();
    assert_eq!(
        got,
        vec![
            (
                "GHSA-mvn-0001".into(),
                "org.apache.logging.log4j:log4j-core".into(),
                "2.14.1".into()
            ),
            (
                "GHSA-nuget-0001".into(),
                "newtonsoft.json".into(),
                "12.0.3".into()
            ),
            (
                "GHSA-pack-0001".into(),
                "dompdf/dompdf".into(),
                "1.2.0".into()
            ),
            (
                "GO-1".into(),
                "github.com/BurntSushi/toml".into(),
                "v1.1.0".into()
            ),
            (
                "PYSEC-1".into(),
                "django.rest.framework".into(),
                "2.4".into()
            ),
        ]
    );
    let py = r.findings.iter().find(|x| x.id == "PYSEC-1").unwrap();
    assert_eq!(py.fixed.as_deref(), Some("3.0"));
    assert_eq!(py.occurrences[0].path, "requirements.txt");
    assert_eq!(py.occurrences[0].line, Some(1));
}

#[test]
fn aliases_merge_into_one_finding_and_withdrawn_never_match() {
    let mut a = record(
        "RUSTSEC-2099-0001",
        "crates.io",
        "tokio",
        json!([{"introduced": "0"}, {"fixed": "1.8.4"}]),
    );
    a["aliases"] = json!(["CVE-2099-1", "GHSA-aaaa-bbbb-cccc"]);
    let mut b = record(
        "GHSA-aaaa-bbbb-cccc",
        "crates.io",
        "tokio",
        json!([{"introduced": "0"}, {"fixed": "1.8.2"}]),
    );
    b["aliases"] = json!(["CVE-2099-1"]);
    b["severity"] =
        json!([{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]);
    let mut w = record(
        "RUSTSEC-2099-0002",
        "crates.io",
        "tokio",
        json!([{"introduced": "0"}]),
    );
    w["withdrawn"] = json!("2024-02-01T00:00:00Z");
    let f = store(&[a, b, w]);
    let r = run(
        &f,
        vec![source(
            "Cargo.lock",
            Ecosystem::CRATES_IO,
            &[("tokio", "1.8.0")],
        )],
        &Policy::default(),
        "2026-01-01",
    );
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let x = &r.findings[0];
    assert_eq!(x.id, "RUSTSEC-2099-0001");
    assert_eq!(x.aliases, vec!["CVE-2099-1", "GHSA-aaaa-bbbb-cccc"]);
    assert_eq!(x.records, vec!["RUSTSEC-2099-0001", "GHSA-aaaa-bbbb-cccc"]);
    // The fix of both records: the higher of the two nearest fixes.
    assert_eq!(x.fixed.as_deref(), Some("1.8.4"));
    // Severity from the alias record's vector.
    assert_eq!(x.severity.level, SeverityLevel::Critical);
    assert_eq!(x.severity.source.as_deref(), Some("GHSA-aaaa-bbbb-cccc"));
    assert_eq!(r.summary.vulnerabilities, 1);
    assert_eq!(
        r.summary.by_severity.get(&SeverityLevel::Critical),
        Some(&1)
    );
}

#[test]
fn informational_advisories_have_their_own_category() {
    let mut u = record(
        "RUSTSEC-2099-0003",
        "crates.io",
        "ansi_term",
        json!([{"introduced": "0.0.0-0"}]),
    );
    u["affected"][0]["database_specific"] = json!({"informational": "unmaintained"});
    let fixed = record(
        "RUSTSEC-2099-0004",
        "crates.io",
        "smallvec",
        json!([{"introduced": "0.0.0-0"}, {"fixed": "1.6.1-0"}]),
    );
    let f = store(&[u, fixed]);
    let r = run(
        &f,
        vec![source(
            "Cargo.lock",
            Ecosystem::CRATES_IO,
            &[("ansi_term", "0.12.1"), ("smallvec", "1.6.0")],
        )],
        &Policy::default(),
        "2026-01-01",
    );
    assert_eq!(r.findings.len(), 2);
    let v = &r.findings[0];
    assert_eq!(v.category, Category::Vulnerability);
    // RustSec's `fixed: "1.6.1-0"` is shown as the release users pick.
    assert_eq!(v.fixed.as_deref(), Some("1.6.1"));
    let i = &r.findings[1];
    assert_eq!(i.category, Category::Informational);
    assert_eq!(i.informational.as_deref(), Some("unmaintained"));
    assert_eq!(r.summary.informational, 1);
    assert_eq!(r.summary.vulnerabilities, 1);
}

#[test]
fn ignores_suppress_expire_and_report_unmatched() {
    let mut a = record(
        "PYSEC-2099-1",
        "PyPI",
        "jinja2",
        json!([{"introduced": "0"}, {"fixed": "3.1.3"}]),
    );
    a["aliases"] = json!(["CVE-2099-7"]);
    let b = record(
        "PYSEC-2099-2",
        "PyPI",
        "jinja2",
        json!([{"introduced": "0"}, {"fixed": "3.1.4"}]),
    );
    let f = store(&[a, b]);
    let policy = Policy::parse(
        "patchloop.toml",
        r#"
[[ignore]]
id = "CVE-2099-7"
reason = "autoescape is on everywhere"
expires = 2026-06-30

[[ignore]]
id = "PYSEC-2099-2"
package = "jinja2"
reason = "old"
expires = 2025-12-31

[[ignore]]
id = "PYSEC-0000-0"
reason = "gone"
expires = 2027-01-01
"#,
    )
    .unwrap();
    let r = run(
        &f,
        vec![source(
            "requirements.txt",
            Ecosystem::PYPI,
            &[("Jinja2", "3.1.2")],
        )],
        &policy,
        "2026-01-15",
    );
    assert_eq!(r.findings.len(), 2);
    let s = r.findings.iter().find(|x| x.id == "PYSEC-2099-1").unwrap();
    let sup = s
        .suppressed
        .as_ref()
        .expect("suppressed through its CVE alias");
    assert_eq!(sup.rule, "patchloop.toml:2");
    assert_eq!(sup.reason, "autoescape is on everywhere");
    let e = r.findings.iter().find(|x| x.id == "PYSEC-2099-2").unwrap();
    assert!(
        e.suppressed.is_none(),
        "an expired ignore no longer suppresses"
    );
    let kinds: Vec<(&str, &str)> = r
        .policy
        .iter()
        .map(|n| (n.kind.as_str(), n.id.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("expired-ignore", "PYSEC-2099-2"),
            ("unmatched-ignore", "PYSEC-0000-0")
        ]
    );
    assert_eq!(r.summary.suppressed, 1);
    assert_eq!(r.summary.vulnerabilities, 1);
    // The day after the first rule's expiry it stops suppressing too.
    let r = run(
        &f,
        vec![source(
            "requirements.txt",
            Ecosystem::PYPI,
            &[("Jinja2", "3.1.2")],
        )],
        &policy,
        "2026-07-01",
    );
    assert_eq!(r.summary.suppressed, 0);
    assert_eq!(r.policy.len(), 3);
}

#[test]
fn bad_versions_are_reported_and_the_scan_goes_on() {
    let f = store(&[
        record(
            "RUSTSEC-2099-9",
            "crates.io",
            "hyper",
            json!([{"introduced": "0"}, {"fixed": "not a version!"}, {"fixed": "0.14.10"}]),
        ),
        record(
            "RUSTSEC-2099-10",
            "crates.io",
            "h2",
            json!([{"introduced": "0"}, {"fixed": "0.3.24"}]),
        ),
        record(
            "PYSEC-2099-11",
            "PyPI",
            "requests",
            json!([{"introduced": "0"}, {"fixed": "2.31.0"}]),
        ),
    ]);
    let r = run(
        &f,
        vec![
            source(
                "Cargo.lock",
                Ecosystem::CRATES_IO,
                &[("hyper", "0.14.9"), ("h2", "%%garbage%%")],
            ),
            // Not PEP 440: ordered by the legacy rules osv.dev uses (below
            // every PEP 440 version), matched, and warned about.
            source(
                "requirements.txt",
                Ecosystem::PYPI,
                &[("requests", "dev-branch")],
            ),
        ],
        &Policy::default(),
        "2026-01-01",
    );
    assert_eq!(
        ids(&r),
        vec![
            (
                "PYSEC-2099-11".into(),
                "requests".into(),
                "dev-branch".into()
            ),
            ("RUSTSEC-2099-9".into(), "hyper".into(), "0.14.9".into()),
        ]
    );
    assert_eq!(r.findings[1].fixed.as_deref(), Some("0.14.10"));
    assert_eq!(r.summary.unmatched, 1);
    let msgs: Vec<String> = r.diagnostics.iter().map(|d| d.to_string()).collect();
    assert!(
        msgs.iter()
            .any(|m| m.contains("advisory RUSTSEC-2099-9") && m.contains("not a version!")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.contains("Cargo.lock:2") && m.contains("%%garbage%%")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.contains("requirements.txt:1") && m.contains("legacy")),
        "{msgs:?}"
    );
}

#[test]
fn dependency_paths_and_occurrences_across_files() {
    let f = store(&[record(
        "GHSA-npm-0001",
        "npm",
        "minimist",
        json!([{"introduced": "0"}, {"fixed": "1.2.6"}]),
    )]);
    let mut s = SourceFile::new("app/package-lock.json", "package-lock", Ecosystem::NPM);
    let mut mkdirp = Package::new(Ecosystem::NPM, "mkdirp", "0.5.5")
        .with_location("app/package-lock.json", Some(10))
        .with_relation(Relation::Direct);
    let minimist = Package::new(Ecosystem::NPM, "minimist", "1.2.5")
        .with_location("app/package-lock.json", Some(20))
        .with_relation(Relation::Transitive);
    mkdirp.dependencies.push(minimist.id.clone());
    s.roots.push(Root {
        name: "app".into(),
        version: "1.0.0".into(),
        path: None,
        dependencies: vec![mkdirp.id.clone()],
    });
    s.packages = vec![mkdirp, minimist];
    let other = source(
        "web/package-lock.json",
        Ecosystem::NPM,
        &[("minimist", "1.2.5")],
    );
    let r = run(&f, vec![s, other], &Policy::default(), "2026-01-01");
    assert_eq!(r.findings.len(), 1);
    let x = &r.findings[0];
    assert_eq!(x.occurrences.len(), 2);
    assert_eq!(x.occurrences[0].path, "app/package-lock.json");
    assert_eq!(x.occurrences[0].line, Some(20));
    assert_eq!(
        x.occurrences[0].paths,
        vec![vec![
            "mkdirp@0.5.5".to_string(),
            "minimist@1.2.5".to_string()
        ]]
    );
    assert_eq!(x.occurrences[1].relation, Relation::Direct);
    assert_eq!(r.summary.vulnerable_packages, 1);
}

#[test]
fn unknown_ecosystems_and_unpinned_packages_are_counted_not_guessed() {
    let f = store(&[record(
        "X-1",
        "ConanCenter",
        "zlib",
        json!([{"introduced": "0"}]),
    )]);
    let mut s = source(
        "conan.lock",
        Ecosystem::parse("ConanCenter"),
        &[("zlib", "1.2.11")],
    );
    s.packages.push(Package::unpinned(
        Ecosystem::parse("ConanCenter"),
        "openssl",
        patchloop_model::Resolution::Requirement {
            spec: ">=1.1".into(),
        },
    ));
    let r = run(&f, vec![s], &Policy::default(), "2026-01-01");
    assert!(r.findings.is_empty());
    assert_eq!(r.summary.unmatched, 1);
    assert_eq!(r.summary.unpinned, 1);
    assert!(
        r.diagnostics
            .iter()
            .any(|d| d.path == "ecosystem ConanCenter"),
        "{:?}",
        r.diagnostics
    );
}

#[test]
fn real_pypi_and_go_records_match_real_lockfiles() {
    // The whole shared OSV corpus against the corpus lockfiles: the scan
    // must run cleanly and find known vulnerabilities.
    let (Some(osv), Some(lockfiles)) = (
        patchloop_testdata::shared_data("osv"),
        patchloop_testdata::shared_data("lockfiles"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut s = SqliteStore::open(&dir.path().join("a.db"), OpenMode::ReadWrite).unwrap();
    import_paths(&mut s, &[osv], &ImportOptions::default(), &NoProgress).unwrap();
    let inv = patchloop_inventory::inventory(
        &[PathBuf::from(&lockfiles)],
        &patchloop_inventory::Options::default(),
    )
    .unwrap();
    let r = scan(
        &inv,
        &s,
        &Policy::default(),
        DatabaseInfo::default(),
        &ScanOptions::default(),
    )
    .unwrap();
    // Every finding's package really is in an inventory file, with a line.
    for f in &r.findings {
        assert!(!f.occurrences.is_empty());
        assert!(f.records.iter().all(|id| !id.is_empty()));
    }
    let ecos: std::collections::BTreeSet<String> = r
        .findings
        .iter()
        .map(|f| f.package.ecosystem.to_string())
        .collect();
    assert!(
        ecos.contains("crates.io") && ecos.contains("Go"),
        "{ecos:?}"
    );
    // Go's record GO-2022-0603 (gopkg.in/yaml.v2 < 2.2.8 etc.) style check:
    // every Go finding's version is below its fixed version.
    for f in r
        .findings
        .iter()
        .filter(|f| f.package.ecosystem == Ecosystem::GO)
    {
        if let Some(fx) = &f.fixed {
            let s = patchloop_version::Scheme::Go;
            assert_eq!(
                s.compare(&f.package.version, fx).unwrap(),
                std::cmp::Ordering::Less,
                "{} {} fixed {fx}",
                f.id,
                f.package.version
            );
        }
    }
}

#[test]
fn malformed_vectors_leave_unknown_severity_with_a_warning() {
    let mut r = record(
        "PYSEC-2099-20",
        "PyPI",
        "pillow",
        json!([{"introduced": "0"}, {"fixed": "10.0.0"}]),
    );
    r["severity"] = json!([{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N"}]);
    let f = store(&[r]);
    let rep = run(
        &f,
        vec![source(
            "requirements.txt",
            Ecosystem::PYPI,
            &[("Pillow", "9.0.0")],
        )],
        &Policy::default(),
        "2026-01-01",
    );
    assert_eq!(rep.findings.len(), 1);
    assert_eq!(rep.findings[0].severity.level, SeverityLevel::Unknown);
    assert!(
        rep.diagnostics
            .iter()
            .any(|d| d.path == "advisory PYSEC-2099-20" && d.message.contains("missing")),
        "{:?}",
        rep.diagnostics
    );
}
