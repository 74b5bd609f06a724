//! Fix planning against a real store (records imported into SQLite) and a
//! registry answering from a fixed table of published versions (what a
//! registry server would return; the HTTP clients have their own tests).

use std::collections::HashMap;

use patchloop_feeds::{ImportOptions, NoProgress, OpenMode, SqliteStore, import_paths};
use patchloop_model::{
    Category, DatabaseInfo, Ecosystem, Exploitation, Finding, FindingPackage, Inventory,
    Occurrence, Package, Relation, Root, SCAN_SCHEMA, ScanReport, Scope, SeverityInfo, SourceFile,
    Strategy, Summary, UpdateType,
};
use patchloop_remedy::plan::{Grouping, PlanOptions, plan};
use patchloop_remedy::registry::{
    Dep, DepKind, NoRegistry, Origin, RegistryError, VersionInfo, VersionSource, Versions,
};
use serde_json::{Value, json};

/// A published version: (version, yanked, dependency requirements).
type Published<'a> = (&'a str, bool, &'a [(&'a str, &'a str)]);

/// Published versions per (ecosystem, name), with dependency requirements.
#[derive(Default)]
struct Table(HashMap<(String, String), Vec<VersionInfo>>);

impl Table {
    fn add(&mut self, eco: &str, name: &str, versions: &[Published<'_>]) {
        self.0.insert(
            (eco.to_string(), name.to_string()),
            versions
                .iter()
                .map(|(v, yanked, deps)| VersionInfo {
                    version: v.to_string(),
                    yanked: *yanked,
                    published: None,
                    deps: Some(
                        deps.iter()
                            .map(|(n, r)| Dep {
                                name: n.to_string(),
                                req: r.to_string(),
                                kind: DepKind::Normal,
                            })
                            .collect(),
                    ),
                })
                .collect(),
        );
    }
}

impl VersionSource for Table {
    fn versions(&self, ecosystem: &Ecosystem, name: &str) -> Result<Versions, RegistryError> {
        self.0
            .get(&(ecosystem.to_string(), name.to_string()))
            .map(|v| Versions {
                versions: v.clone(),
                origin: Origin::Registry,
                stale: false,
            })
            .ok_or_else(|| RegistryError::Unavailable {
                url: format!("test://{ecosystem}/{name}"),
                reason: "connection refused".into(),
            })
    }
}

fn record(id: &str, eco: &str, name: &str, events: Value) -> Value {
    json!({
        "id": id, "modified": "2024-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": eco, "name": name},
                      "ranges": [{"type": "SEMVER", "events": events}]}]
    })
}

fn store(records: &[Value]) -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let recs = dir.path().join("r");
    std::fs::create_dir(&recs).unwrap();
    for (i, r) in records.iter().enumerate() {
        std::fs::write(recs.join(format!("{i}.json")), r.to_string()).unwrap();
    }
    let mut s = SqliteStore::open(&dir.path().join("a.db"), OpenMode::ReadWrite).unwrap();
    import_paths(&mut s, &[recs], &ImportOptions::default(), &NoProgress).unwrap();
    (dir, s)
}

/// Cargo.lock: app → hyper 0.14.9 → h2 0.3.10; app → smallvec 1.6.0.
fn inventory() -> Inventory {
    let eco = Ecosystem::CRATES_IO;
    let mut s = SourceFile::new("Cargo.lock", "cargo-lock", eco.clone());
    let h2 = Package::new(eco.clone(), "h2", "0.3.10")
        .with_location("Cargo.lock", Some(10))
        .with_relation(Relation::Transitive);
    let mut hyper = Package::new(eco.clone(), "hyper", "0.14.9")
        .with_location("Cargo.lock", Some(20))
        .with_relation(Relation::Direct);
    hyper.dependencies.push(h2.id.clone());
    let smallvec = Package::new(eco.clone(), "smallvec", "1.6.0")
        .with_location("Cargo.lock", Some(30))
        .with_relation(Relation::Direct);
    s.roots.push(Root {
        name: "app".into(),
        version: "0.1.0".into(),
        path: None,
        dependencies: vec![hyper.id.clone(), smallvec.id.clone()],
    });
    s.packages = vec![h2, hyper, smallvec];
    Inventory {
        sources: vec![s],
        diagnostics: vec![],
        target: None,
    }
}

fn finding(id: &str, name: &str, version: &str, relation: Relation) -> Finding {
    Finding {
        id: id.into(),
        aliases: vec![],
        records: vec![id.into()],
        category: Category::Vulnerability,
        informational: None,
        summary: None,
        package: FindingPackage {
            ecosystem: Ecosystem::CRATES_IO,
            name: name.into(),
            version: version.into(),
            purl: format!("pkg:cargo/{name}@{version}"),
        },
        occurrences: vec![Occurrence {
            path: "Cargo.lock".into(),
            line: Some(10),
            relation,
            scope: Scope::Runtime,
            paths: vec![],
        }],
        fixed: None,
        severity: SeverityInfo::default(),
        url: None,
        published: None,
        modified: None,
        suppressed: None,
        exploitation: Exploitation::default(),
        risk: None,
        distro: None,
    }
}

fn report(findings: Vec<Finding>) -> ScanReport {
    ScanReport {
        schema: SCAN_SCHEMA.into(),
        generator: "t".into(),
        database: DatabaseInfo::default(),
        summary: Summary::default(),
        findings,
        policy: vec![],
        diagnostics: vec![],
    }
}

fn opts(grouping: Grouping) -> PlanOptions {
    PlanOptions {
        grouping,
        today: "2026-01-01".into(),
        paths: vec![".".into()],
        generator: "t".into(),
        cooldown_days: 0,
    }
}

#[test]
fn lowest_version_free_of_every_advisory_and_skips_yanked_and_prereleases() {
    // smallvec: A fixed in 1.6.1, but B affects 1.6.1..1.6.3; 1.6.4 yanked;
    // 1.7.0-rc.1 pre-release: the plan must pick 1.6.5.
    let (_d, st) = store(&[
        record(
            "RUSTSEC-1",
            "crates.io",
            "smallvec",
            json!([{"introduced": "0"}, {"fixed": "1.6.1"}]),
        ),
        record(
            "RUSTSEC-2",
            "crates.io",
            "smallvec",
            json!([{"introduced": "1.6.1"}, {"fixed": "1.6.4"}]),
        ),
    ]);
    let mut t = Table::default();
    t.add(
        "crates.io",
        "smallvec",
        &[
            ("1.5.0", false, &[]),
            ("1.6.0", false, &[]),
            ("1.6.1", false, &[]),
            ("1.6.3", false, &[]),
            ("1.6.4", true, &[]),
            ("1.7.0-rc.1", false, &[]),
            ("1.6.5", false, &[]),
            ("2.0.0", false, &[]),
        ],
    );
    let r = report(vec![finding(
        "RUSTSEC-1",
        "smallvec",
        "1.6.0",
        Relation::Direct,
    )]);
    let p = plan(&r, &inventory(), &st, &t, &opts(Grouping::Package)).unwrap();
    assert_eq!(p.groups.len(), 1);
    let c = &p.groups[0].changes[0];
    assert_eq!((c.from.as_str(), c.to.as_str()), ("1.6.0", "1.6.5"));
    assert_eq!(c.update, UpdateType::Patch);
    assert_eq!(c.strategy, Strategy::LockfileUpdate);
    assert_eq!(c.within_range, Some(true));
    assert_eq!(c.action, "cargo update -p smallvec@1.6.0 --precise 1.6.5");
    assert_eq!(c.versions_from, "registry");
    assert_eq!(p.groups[0].branch, "patchloop/crates.io-smallvec");
}

#[test]
fn transitive_fix_bumps_the_parent_whose_requirement_blocks_it() {
    let (_d, st) = store(&[record(
        "RUSTSEC-3",
        "crates.io",
        "h2",
        json!([{"introduced": "0"}, {"fixed": "0.4.2"}]),
    )]);
    let mut t = Table::default();
    t.add(
        "crates.io",
        "h2",
        &[
            ("0.3.10", false, &[]),
            ("0.3.26", false, &[]),
            ("0.4.2", false, &[]),
        ],
    );
    // hyper 0.14.x requires h2 ^0.3; hyper 1.1.0 requires h2 ^0.4.
    t.add(
        "crates.io",
        "hyper",
        &[
            ("0.14.9", false, &[("h2", "^0.3.9")]),
            ("0.14.30", false, &[("h2", "^0.3.24")]),
            ("1.0.0", false, &[("h2", "=0.4.0")]),
            ("1.1.0", false, &[("h2", "^0.4.2")]),
        ],
    );
    let r = report(vec![finding(
        "RUSTSEC-3",
        "h2",
        "0.3.10",
        Relation::Transitive,
    )]);
    let p = plan(&r, &inventory(), &st, &t, &opts(Grouping::Package)).unwrap();
    let c = &p.groups[0].changes[0];
    assert_eq!(c.to, "0.4.2");
    assert_eq!(c.strategy, Strategy::BumpParent);
    let pb = c.parent.as_ref().unwrap();
    assert_eq!(
        (pb.package.as_str(), pb.from.as_str(), pb.to.as_str()),
        ("hyper", "0.14.9", "1.1.0")
    );
    assert!(c.risk_note.contains("0.x"), "{}", c.risk_note);

    // When the parent's requirement allows the fix: a lockfile update.
    let (_d2, st2) = store(&[record(
        "RUSTSEC-4",
        "crates.io",
        "h2",
        json!([{"introduced": "0"}, {"fixed": "0.3.26"}]),
    )]);
    let r = report(vec![finding(
        "RUSTSEC-4",
        "h2",
        "0.3.10",
        Relation::Transitive,
    )]);
    let p = plan(&r, &inventory(), &st2, &t, &opts(Grouping::Package)).unwrap();
    let c = &p.groups[0].changes[0];
    assert_eq!(
        (c.to.as_str(), c.strategy),
        ("0.3.26", Strategy::LockfileUpdate)
    );
    assert_eq!(c.within_range, Some(true));
}

#[test]
fn offline_falls_back_to_advisory_fixed_versions_and_reports_unfixable() {
    let (_d, st) = store(&[
        record(
            "RUSTSEC-5",
            "crates.io",
            "smallvec",
            json!([{"introduced": "0"}, {"fixed": "1.6.1-0"}]),
        ),
        record(
            "RUSTSEC-6",
            "crates.io",
            "hyper",
            json!([{"introduced": "0"}]),
        ),
    ]);
    let r = report(vec![
        finding("RUSTSEC-5", "smallvec", "1.6.0", Relation::Direct),
        finding("RUSTSEC-6", "hyper", "0.14.9", Relation::Direct),
    ]);
    let p = plan(&r, &inventory(), &st, &NoRegistry, &opts(Grouping::All)).unwrap();
    assert_eq!(p.groups.len(), 1);
    assert_eq!(p.groups[0].id, "security-fixes");
    let c = &p.groups[0].changes[0];
    assert_eq!(
        (c.to.as_str(), c.versions_from.as_str()),
        ("1.6.1", "advisories")
    );
    assert_eq!(p.unfixable.len(), 1);
    assert_eq!(p.unfixable[0].id, "RUSTSEC-6");
    assert!(
        p.unfixable[0].reason.contains("no fix"),
        "{}",
        p.unfixable[0].reason
    );
    // A registry that does not answer: a warning, then the same fallback.
    let p = plan(
        &r,
        &inventory(),
        &st,
        &Table::default(),
        &opts(Grouping::All),
    )
    .unwrap();
    assert_eq!(p.groups[0].changes[0].to, "1.6.1");
    assert!(
        p.diagnostics
            .iter()
            .any(|d| d.message.contains("connection refused")),
        "{:?}",
        p.diagnostics
    );
}

#[test]
fn grouping_per_vulnerability_and_priority_order() {
    let (_d, st) = store(&[
        record(
            "RUSTSEC-7",
            "crates.io",
            "smallvec",
            json!([{"introduced": "0"}, {"fixed": "1.6.1"}]),
        ),
        record(
            "RUSTSEC-8",
            "crates.io",
            "smallvec",
            json!([{"introduced": "0"}, {"fixed": "1.6.1"}]),
        ),
        record(
            "RUSTSEC-9",
            "crates.io",
            "hyper",
            json!([{"introduced": "0"}, {"fixed": "0.14.10"}]),
        ),
    ]);
    let mut a = finding("RUSTSEC-7", "smallvec", "1.6.0", Relation::Direct);
    let mut b = finding("RUSTSEC-8", "smallvec", "1.6.0", Relation::Direct);
    let mut c = finding("RUSTSEC-9", "hyper", "0.14.9", Relation::Direct);
    let risk = |p: patchloop_model::Priority, due: &str| {
        let mut r = patchloop_model::RiskAssessment {
            priority: p,
            score: 50,
            ssvc: patchloop_model::SsvcDecision {
                exploitation: "none".into(),
                exposure: "open".into(),
                automatable: "yes".into(),
                human_impact: "high".into(),
                decision: p,
                row: 0,
            },
            context: patchloop_model::ContextInfo {
                criticality: "high".into(),
                exposure: "internet-facing".into(),
                environment: "prod".into(),
                source: "default".into(),
            },
            environmental: None,
            first_seen: "2026-01-01".into(),
            due: due.into(),
            due_reason: String::new(),
            overdue: false,
            applied: vec![],
            signals: vec![],
        };
        r.score = 60;
        Some(r)
    };
    a.risk = risk(patchloop_model::Priority::Track, "2026-04-01");
    b.risk = risk(patchloop_model::Priority::Attend, "2026-01-15");
    c.risk = risk(patchloop_model::Priority::Act, "2026-01-03");
    let r = report(vec![a, b, c]);
    let p = plan(
        &r,
        &inventory(),
        &st,
        &NoRegistry,
        &opts(Grouping::Vulnerability),
    )
    .unwrap();
    let ids: Vec<&str> = p.groups.iter().map(|g| g.id.as_str()).collect();
    // The smallvec change fixes both its vulnerabilities and goes to the
    // group of the most urgent one; groups are ordered by priority.
    assert_eq!(ids, vec!["rustsec-9", "rustsec-8"]);
    assert_eq!(p.groups[1].fixes, vec!["RUSTSEC-7", "RUSTSEC-8"]);
    assert_eq!(p.groups[0].due.as_deref(), Some("2026-01-03"));
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["schema"], "patchloop.plan/v1");
    assert_eq!(
        json["groups"][0]["changes"][0]["strategy"],
        "lockfile-update"
    );
}
