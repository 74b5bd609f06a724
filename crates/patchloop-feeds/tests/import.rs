//! Import of the real shared data: ../shared/data/osv (crates.io, PyPI,
//! Go: 8,158 records), osv-ghsa-sample (106) and the KEV catalog.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use patchloop_feeds::{AdvisoryStore, SqliteStore};
use patchloop_model::Ecosystem;
use serde_json::Value;
use support::*;

struct Data {
    osv: PathBuf,
    ghsa: PathBuf,
    kev: PathBuf,
}

fn data() -> Option<Data> {
    Some(Data {
        osv: patchloop_testdata::shared_data("osv")?,
        ghsa: patchloop_testdata::shared_data("osv-ghsa-sample")?,
        kev: patchloop_testdata::shared_data("kev/known_exploited_vulnerabilities.json")?,
    })
}

fn by_source(store: &SqliteStore) -> BTreeMap<String, (u64, u64)> {
    store
        .status()
        .unwrap()
        .by_source_ecosystem
        .into_iter()
        .map(|e| (e.ecosystem, (e.advisories, e.withdrawn)))
        .collect()
}

#[test]
fn imports_all_shared_data_with_exact_counts() {
    let Some(d) = data() else { return };
    let (_dir, mut store) = temp_store();
    let rep = import(&mut store, &[d.osv.clone(), d.ghsa.clone(), d.kev.clone()]);
    assert!(
        rep.warnings.is_empty(),
        "{:?}",
        &rep.warnings[..rep.warnings.len().min(5)]
    );
    assert_eq!(rep.records.inserted, 8158 + 106);
    assert_eq!(rep.records.skipped, 0);
    assert_eq!(rep.kev.unwrap().inserted, 1404);

    // Counts and withdrawn per ecosystem, as the data README states.
    let counts = by_source(&store);
    let want: BTreeMap<String, (u64, u64)> = [
        ("crates.io", (1206, 13)),
        ("PyPI", (2661, 10)),
        ("Go", (4291, 17)),
        ("npm", (55, 0)),
        ("RubyGems", (18, 0)),
        ("Packagist", (15, 0)),
        ("Maven", (13, 0)),
        ("NuGet", (5, 0)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    // Withdrawn in the GHSA sample: computed from the files themselves.
    let mut want = want;
    for (eco, (_, w)) in want.iter_mut() {
        if matches!(
            eco.as_str(),
            "npm" | "RubyGems" | "Packagist" | "Maven" | "NuGet"
        ) {
            *w = records(&d.ghsa.join(eco))
                .iter()
                .filter(|(_, b)| {
                    serde_json::from_slice::<Value>(b).unwrap()["withdrawn"].is_string()
                })
                .count() as u64;
        }
    }
    assert_eq!(counts, want);

    let st = store.status().unwrap();
    assert_eq!(st.advisories, 8264);
    assert_eq!(st.kev_entries, 1404);
    assert_eq!(st.kev_catalog_version.as_deref(), Some("2025.08.25"));

    // Aliases and CVEs, computed independently from the raw JSON.
    let mut cves = BTreeSet::new();
    let mut alias_rows = 0u64;
    let mut with_cve: BTreeMap<String, u64> = BTreeMap::new();
    let folders = ["crates.io", "PyPI", "Go"]
        .map(|e| (e, d.osv.join(e)))
        .into_iter()
        .chain(["npm", "RubyGems", "Packagist", "Maven", "NuGet"].map(|e| (e, d.ghsa.join(e))));
    for (eco, dir) in folders {
        for (_, b) in records(&dir) {
            let v: Value = serde_json::from_slice(&b).unwrap();
            let id = v["id"].as_str().unwrap();
            let aliases: BTreeSet<&str> = v["aliases"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .filter(|a| *a != id)
                        .collect()
                })
                .unwrap_or_default();
            alias_rows += aliases.len() as u64;
            if aliases.iter().any(|a| a.starts_with("CVE-")) {
                *with_cve.entry(eco.to_string()).or_default() += 1;
            }
            cves.extend(
                aliases
                    .iter()
                    .filter(|a| a.starts_with("CVE-"))
                    .map(|s| s.to_string()),
            );
        }
    }
    // The data README: records with a CVE alias per ecosystem.
    assert_eq!(with_cve["crates.io"], 521);
    assert_eq!(with_cve["PyPI"], 2648);
    assert_eq!(with_cve["Go"], 3894);
    assert_eq!(st.aliases, alias_rows);
    assert_eq!(st.cves, cves.len() as u64);

    // One vulnerability, several ids: RUSTSEC-2023-0060/0061 ↔ CVE-2023-4863 (in KEV).
    let group = store.aliases_of("RUSTSEC-2023-0060").unwrap();
    for id in ["RUSTSEC-2023-0060", "RUSTSEC-2023-0061", "CVE-2023-4863"] {
        assert!(group.contains(&id.to_string()), "{id} not in {group:?}");
    }
    assert_eq!(store.aliases_of("CVE-2023-4863").unwrap(), group);
    assert_eq!(store.aliases_of("RUSTSEC-2023-0061").unwrap(), group);
    let kev = store
        .kev("CVE-2023-4863")
        .unwrap()
        .expect("CVE-2023-4863 in KEV");
    assert_eq!(kev.cve, "CVE-2023-4863");
    assert!(!kev.date_added.is_empty() && !kev.due_date.is_empty());
    // PyPI: CVE-2020-11651 (PYSEC-2020-102) is in KEV.
    let g = store.aliases_of("PYSEC-2020-102").unwrap();
    assert!(g.contains(&"CVE-2020-11651".to_string()), "{g:?}");
    assert!(store.kev("CVE-2020-11651").unwrap().is_some());
    // CVEs of KEV that the OSV data names, per the README: 1 + 6 + 2.
    let kev_hits: Vec<String> = cves
        .iter()
        .filter(|c| store.kev(c).unwrap().is_some())
        .cloned()
        .collect();
    for c in [
        "CVE-2023-4863",
        "CVE-2020-11651",
        "CVE-2020-0601",
        "CVE-2025-24016",
    ] {
        assert!(kev_hits.contains(&c.to_string()), "{c}");
    }
    assert!(store.aliases_of("NOPE-1").unwrap().is_empty());

    // Withdrawn records are stored but never match.
    for eco in ["crates.io", "PyPI", "Go"] {
        for (_, b) in records(&d.osv.join(eco)) {
            let v: Value = serde_json::from_slice(&b).unwrap();
            if !v["withdrawn"].is_string() {
                continue;
            }
            let id = v["id"].as_str().unwrap();
            let stored = store.get(id).unwrap().expect("withdrawn record stored");
            assert!(stored.is_withdrawn());
            for a in v["affected"].as_array().into_iter().flatten() {
                let p = &a["package"];
                let eco = Ecosystem::parse(p["ecosystem"].as_str().unwrap());
                let found = store
                    .advisories_for_package(&eco, p["name"].as_str().unwrap())
                    .unwrap();
                assert!(found.iter().all(|f| f.id != id), "withdrawn {id} matched");
            }
        }
    }
}

/// A sample of records, field by field against the raw JSON.
#[test]
fn records_round_trip_field_by_field() {
    let Some(d) = data() else { return };
    let (_dir, mut store) = temp_store();
    import(&mut store, &[d.osv.clone(), d.ghsa.clone()]);
    let mut files = patchloop_testdata::files_under(&d.osv);
    files.extend(patchloop_testdata::files_under(&d.ghsa));
    let mut checked = 0;
    for (i, f) in files.iter().enumerate() {
        let named = f.file_stem().unwrap().to_string_lossy();
        let special = [
            "RUSTSEC-2023-0060",
            "PYSEC-2022-42969",
            "GHSA-gcx4-mw62-g8wm",
            "GHSA-56gj-mvh6-rp75",
            "GHSA-crjr-9rc5-ghw8",
        ]
        .contains(&named.as_ref());
        if i % 53 != 0 && !special {
            continue;
        }
        let bytes = std::fs::read(f).unwrap();
        let raw: Value = serde_json::from_slice(&bytes).unwrap();
        let id = raw["id"].as_str().unwrap();
        // Lossless: the stored bytes are the file's bytes.
        assert_eq!(store.get_raw(id).unwrap().unwrap(), bytes, "{id}");
        let a = store.get(id).unwrap().unwrap();
        let s = |v: &Value| v.as_str().map(String::from);
        let strs = |v: &Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default()
        };
        assert_eq!(a.id, id);
        assert_eq!(Some(a.modified.clone()), s(&raw["modified"]));
        assert_eq!(a.published, s(&raw["published"]));
        assert_eq!(a.withdrawn, s(&raw["withdrawn"]));
        assert_eq!(a.summary, s(&raw["summary"]));
        assert_eq!(a.details, s(&raw["details"]));
        assert_eq!(a.schema_version, s(&raw["schema_version"]));
        assert_eq!(a.aliases, strs(&raw["aliases"]));
        assert_eq!(a.related, strs(&raw["related"]));
        assert_eq!(a.upstream, strs(&raw["upstream"]));
        assert_eq!(
            a.database_specific.as_ref(),
            raw.get("database_specific"),
            "{id}"
        );
        let sev = raw["severity"].as_array().cloned().unwrap_or_default();
        assert_eq!(a.severity.len(), sev.len());
        for (x, y) in a.severity.iter().zip(&sev) {
            assert_eq!(Some(x.kind.clone()), s(&y["type"]));
            assert_eq!(Some(x.score.clone()), s(&y["score"]));
        }
        let refs = raw["references"].as_array().cloned().unwrap_or_default();
        assert_eq!(a.references.len(), refs.len());
        for (x, y) in a.references.iter().zip(&refs) {
            assert_eq!(Some(x.kind.clone()), s(&y["type"]));
            assert_eq!(Some(x.url.clone()), s(&y["url"]));
        }
        let credits = raw["credits"].as_array().cloned().unwrap_or_default();
        assert_eq!(a.credits.len(), credits.len());
        for (x, y) in a.credits.iter().zip(&credits) {
            assert_eq!(Some(x.name.clone()), s(&y["name"]));
            assert_eq!(x.contact, strs(&y["contact"]));
        }
        let aff = raw["affected"].as_array().cloned().unwrap_or_default();
        assert_eq!(a.affected.len(), aff.len(), "{id}");
        for (x, y) in a.affected.iter().zip(&aff) {
            let p = x.package.as_ref().unwrap();
            assert_eq!(Some(p.ecosystem.to_string()), s(&y["package"]["ecosystem"]));
            assert_eq!(Some(p.name.clone()), s(&y["package"]["name"]));
            assert_eq!(p.purl, s(&y["package"]["purl"]));
            assert_eq!(x.versions, strs(&y["versions"]));
            assert_eq!(x.ecosystem_specific.as_ref(), y.get("ecosystem_specific"));
            assert_eq!(x.database_specific.as_ref(), y.get("database_specific"));
            let ranges = y["ranges"].as_array().cloned().unwrap_or_default();
            assert_eq!(x.ranges.len(), ranges.len());
            for (r, q) in x.ranges.iter().zip(&ranges) {
                assert_eq!(Some(r.kind.as_str().to_string()), s(&q["type"]));
                assert_eq!(r.repo, s(&q["repo"]));
                let ev = q["events"].as_array().unwrap();
                assert_eq!(r.events.len(), ev.len());
                for (e, f) in r.events.iter().zip(ev) {
                    assert_eq!(f[e.key()].as_str(), Some(e.version()), "{id}");
                }
            }
            // The package lookup finds this record (unless withdrawn), and the
            // compact per-package entries agree with the full record.
            let eco = &p.ecosystem;
            let found = store.advisories_for_package(eco, &p.name).unwrap();
            assert_eq!(found.iter().any(|f| f.id == id), !a.is_withdrawn(), "{id}");
            let compact = store.affected_for_package(eco, &p.name).unwrap();
            if !a.is_withdrawn() {
                // What matching reads of the entry: package, ranges,
                // versions and the informational kind.
                let c = compact.iter().find(|c| c.id == id).unwrap();
                let info = |e: &patchloop_model::Affected| {
                    e.database_specific
                        .as_ref()
                        .and_then(|d| d.get("informational"))
                        .filter(|v| !v.is_null())
                        .cloned()
                };
                assert!(
                    c.affected.iter().any(|e| e.package == x.package
                        && e.ranges == x.ranges
                        && e.versions == x.versions
                        && info(e) == info(x)
                        && e.severity.is_empty()
                        && e.ecosystem_specific.is_none()),
                    "{id}"
                );
            }
        }
        checked += 1;
    }
    assert!(checked > 150, "{checked}");
}

#[test]
fn reimport_is_unchanged_and_newer_modified_wins() {
    let Some(d) = data() else { return };
    let (dir, mut store) = temp_store();
    let crates = d.osv.join("crates.io");
    let first = import(&mut store, &[crates.clone(), d.kev.clone()]);
    assert_eq!(first.records.inserted, 1206);
    let again = import(&mut store, &[crates.clone(), d.kev.clone()]);
    assert_eq!(again.records.inserted + again.records.updated, 0);
    assert_eq!(again.records.unchanged, 1206);
    let k = again.kev.unwrap();
    assert_eq!(
        (k.inserted, k.updated, k.removed, k.unchanged),
        (0, 0, 0, 1404)
    );

    // A newer `modified` replaces the record; an older one does not.
    let orig = std::fs::read(crates.join("RUSTSEC-2023-0060.json")).unwrap();
    let newer = edit(&orig, |v| {
        v["modified"] = "2099-01-01T00:00:00Z".into();
        v["summary"] = "changed summary".into();
        v["aliases"] = serde_json::json!(["CVE-2023-4863", "GHSA-new-alias"]);
    });
    let older = edit(&orig, |v| {
        v["modified"] = "2001-01-01T00:00:00Z".into();
        v["summary"] = "old summary".into();
    });
    let nf = dir.path().join("newer.json");
    let of = dir.path().join("older.json");
    std::fs::write(&nf, &newer).unwrap();
    std::fs::write(&of, &older).unwrap();
    let r = import(&mut store, std::slice::from_ref(&nf));
    assert_eq!((r.records.updated, r.records.inserted), (1, 0));
    let a = store.get("RUSTSEC-2023-0060").unwrap().unwrap();
    assert_eq!(a.summary.as_deref(), Some("changed summary"));
    assert!(
        store
            .aliases_of("GHSA-new-alias")
            .unwrap()
            .contains(&"RUSTSEC-2023-0060".to_string())
    );
    let r = import(&mut store, &[of]);
    assert_eq!((r.records.unchanged, r.records.updated), (1, 0));
    assert_eq!(
        store
            .get("RUSTSEC-2023-0060")
            .unwrap()
            .unwrap()
            .summary
            .as_deref(),
        Some("changed summary")
    );
    // Same `modified` again: unchanged.
    let r = import(&mut store, &[nf]);
    assert_eq!(r.records.unchanged, 1);
    assert_eq!(count(&store), 1206);
}

/// Lookups normalize names the ecosystem's way.
#[test]
fn lookup_normalizes_names() {
    let Some(d) = data() else { return };
    let (_dir, mut store) = temp_store();
    import(&mut store, &[d.osv.join("PyPI"), d.ghsa.join("NuGet")]);
    let exact = store
        .advisories_for_package(&Ecosystem::PYPI, "django")
        .unwrap();
    assert!(exact.len() > 50, "{}", exact.len());
    let folded = store
        .advisories_for_package(&Ecosystem::PYPI, "Django")
        .unwrap();
    assert_eq!(exact, folded);
    let nj = store
        .advisories_for_package(&Ecosystem::NUGET, "newtonsoft.json")
        .unwrap();
    assert!(nj.iter().any(|a| a.id == "GHSA-5crp-9r3c-p9vr"));
    assert!(
        store
            .advisories_for_package(&Ecosystem::NPM, "django")
            .unwrap()
            .is_empty()
    );
}

/// Names preloaded on a read-only handle are exactly what a query gives,
/// handed over once; a writable handle keeps nothing (an import through it
/// could change them).
#[test]
fn preloaded_names_equal_queried_names() {
    use patchloop_feeds::OpenMode;
    let Some(d) = data() else { return };
    let (dir, mut store) = temp_store();
    import(&mut store, &[d.osv.join("crates.io")]);
    let queried = store
        .names_with_advisories(&Ecosystem::CRATES_IO)
        .unwrap()
        .unwrap();
    assert!(queried.contains("openssl"), "{}", queried.len());
    store.preload_names(&Ecosystem::CRATES_IO).unwrap();
    assert_eq!(
        store.names_with_advisories(&Ecosystem::CRATES_IO).unwrap(),
        Some(queried.clone())
    );
    let path = store.path().to_path_buf();
    drop(store);
    let ro = SqliteStore::open(&path, OpenMode::ReadOnly).unwrap();
    ro.preload_names(&Ecosystem::CRATES_IO).unwrap();
    ro.preload_names(&Ecosystem::PYPI).unwrap();
    assert_eq!(
        ro.names_with_advisories(&Ecosystem::CRATES_IO).unwrap(),
        Some(queried.clone())
    );
    // Handed over once; the next call queries again, with the same answer.
    assert_eq!(
        ro.names_with_advisories(&Ecosystem::CRATES_IO).unwrap(),
        Some(queried)
    );
    assert_eq!(
        ro.names_with_advisories(&Ecosystem::PYPI).unwrap(),
        Some(Default::default())
    );
    drop(dir);
}

/// A read-only handle prepared for a scan answers KEV lookups as a query
/// would: none while the table is empty (without asking), the entry once
/// the catalog is imported.
#[test]
fn prepared_read_only_handles_answer_kev_as_queried() {
    use patchloop_feeds::OpenMode;
    let Some(d) = data() else { return };
    let (dir, mut store) = temp_store();
    import(&mut store, &[d.osv.join("crates.io")]);
    let path = store.path().to_path_buf();
    let ro = SqliteStore::open(&path, OpenMode::ReadOnly).unwrap();
    ro.prepare_scan().unwrap();
    assert!(ro.kev("CVE-2023-4863").unwrap().is_none());
    assert!(ro.epss("CVE-2023-4863").unwrap().is_none());
    drop(ro);
    import(&mut store, std::slice::from_ref(&d.kev));
    let ro = SqliteStore::open(&path, OpenMode::ReadOnly).unwrap();
    ro.prepare_scan().unwrap();
    assert_eq!(
        ro.kev("CVE-2023-4863").unwrap().map(|k| k.cve),
        Some("CVE-2023-4863".to_string())
    );
    assert_eq!(
        ro.kev("CVE-2023-4863").unwrap().map(|k| k.cve),
        store.kev("CVE-2023-4863").unwrap().map(|k| k.cve)
    );
    drop(dir);
}

/// The head a scan reads equals the head of the full record, for every
/// real record; stores written by schema v1 (no head column) are read
/// read-only as they are, and migrated (heads filled) when opened for
/// writing.
#[test]
fn heads_equal_full_records_and_v1_stores_migrate() {
    let Some(d) = data() else { return };
    let (dir, mut store) = temp_store();
    import(&mut store, &[d.osv.clone(), d.ghsa.clone()]);
    let ids: Vec<String> = records(&d.osv)
        .into_iter()
        .chain(records(&d.ghsa))
        .map(|(id, _)| id)
        .collect();
    let check = |store: &SqliteStore| {
        let mut with_refs = 0;
        for id in &ids {
            let full = store.get(id).unwrap().unwrap();
            let head = store.get_head(id).unwrap().unwrap();
            assert_eq!(head, full.head(), "{id}");
            // What the scan uses survives; the bulk does not.
            assert_eq!(head.aliases, full.aliases, "{id}");
            assert!(head.affected.iter().all(|a| a.ranges.is_empty()), "{id}");
            with_refs += usize::from(!head.references.is_empty());
        }
        assert!(with_refs > ids.len() / 2, "{with_refs} of {}", ids.len());
    };
    check(&store);
    let path = store.path().to_path_buf();
    drop(store);

    // Turn it into a v1 store: no head column, no v3 tables,
    // schema_version 1.
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "ALTER TABLE advisories DROP COLUMN head;
             DROP TABLE alias_groups;
             DROP TABLE ecosystem_names;
             UPDATE schema_meta SET value = '1' WHERE key = 'schema_version';",
        )
        .unwrap();
    }
    let ro = SqliteStore::open(&path, patchloop_feeds::OpenMode::ReadOnly).unwrap();
    check(&ro);
    drop(ro);
    let rw = SqliteStore::open(&path, patchloop_feeds::OpenMode::ReadWrite).unwrap();
    drop(rw);
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        let (v, nulls): (String, i64) = c
            .query_row(
                "SELECT (SELECT value FROM schema_meta WHERE key = 'schema_version'),
                        (SELECT COUNT(*) FROM advisories WHERE head IS NULL)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((v.as_str(), nulls), ("3", 0));
    }
    let ro = SqliteStore::open(&path, patchloop_feeds::OpenMode::ReadOnly).unwrap();
    check(&ro);
    drop(dir);
}
