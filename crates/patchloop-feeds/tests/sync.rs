//! Sync against a real HTTP server on loopback serving a bucket-like tree
//! built from ../shared/data/osv: `<eco>/all.zip`, `<eco>/modified_id.csv`,
//! `<eco>/<ID>.json`, a KEV catalog with ETag/Last-Modified and an EPSS
//! `.csv.gz` in the published format.

mod support;

use std::time::Duration;

use patchloop_feeds::fetch::FetchOptions;
use patchloop_feeds::sync::Action;
use patchloop_feeds::{
    AdvisoryStore, ImportOptions, NoProgress, SqliteStore, SyncOptions, SyncReport, sync,
};
use patchloop_model::Ecosystem;
use support::server::{Fail, Resource, Server};
use support::*;

const KEV_ETAG: &str = "\"kev-v1\"";
const KEV_LM: &str = "Mon, 25 Aug 2025 17:04:19 GMT";
const EPSS_ETAG: &str = "\"epss-2025-08-25\"";

/// Publish one ecosystem's records as the OSV bucket does.
fn publish(server: &Server, eco: &str, recs: &[(String, Vec<u8>)]) {
    let entries: Vec<(String, Vec<u8>)> = recs
        .iter()
        .map(|(id, b)| (format!("{id}.json"), b.clone()))
        .collect();
    server.put(&format!("/{eco}/all.zip"), zip_of(&entries));
    server.put(&format!("/{eco}/modified_id.csv"), modified_id_csv(recs));
    for (id, b) in recs {
        server.put(&format!("/{eco}/{id}.json"), b.clone());
    }
}

fn options(server: &Server, ecosystems: &[&str], now: &str) -> SyncOptions {
    SyncOptions {
        osv_url: server.base.clone(),
        kev_url: server.url("/kev/known_exploited_vulnerabilities.json"),
        epss_url: server.url("/epss/epss_scores-current.csv.gz"),
        ecosystems: ecosystems.iter().map(|s| s.to_string()).collect(),
        fetch: FetchOptions {
            timeout: Duration::from_secs(10),
            retries: 1,
            backoff: Duration::from_millis(10),
            ..FetchOptions::default()
        },
        import: ImportOptions {
            now_us: patchloop_feeds::timefmt::parse_us(now).unwrap(),
            ..ImportOptions::default()
        },
        ..SyncOptions::default()
    }
}

fn action(r: &SyncReport, source: &str) -> Action {
    let s = r.sources.iter().find(|s| s.source == source).unwrap();
    assert!(s.error.is_none(), "{source}: {:?}", s.error);
    s.action
}

fn record_hits(server: &Server, eco: &str) -> Vec<String> {
    let mut v: Vec<String> = server
        .all_hits()
        .into_iter()
        .filter(|(p, _)| p.starts_with(&format!("/{eco}/")) && p.ends_with(".json"))
        .flat_map(|(p, n)| std::iter::repeat_n(p, n))
        .collect();
    v.sort();
    v
}

#[test]
fn full_then_incremental_fetches_exactly_the_changes() {
    let Some(osv) = patchloop_testdata::shared_data("osv") else {
        return;
    };
    let Some(kev) = patchloop_testdata::shared_data("kev/known_exploited_vulnerabilities.json")
    else {
        return;
    };
    let server = Server::start();
    let mut pypi = records(&osv.join("PyPI"));
    let crates = records(&osv.join("crates.io"));
    publish(&server, "PyPI", &pypi);
    publish(&server, "crates.io", &crates);
    server.put_resource(
        "/kev/known_exploited_vulnerabilities.json",
        Resource {
            body: std::fs::read(&kev).unwrap(),
            etag: Some(KEV_ETAG.into()),
            last_modified: Some(KEV_LM.into()),
            fail: None,
        },
    );
    server.put_resource(
        "/epss/epss_scores-current.csv.gz",
        Resource {
            body: epss_gz(
                "2025-08-25T12:55:00Z",
                &[
                    ("CVE-2023-4863", 0.93794, 0.99862),
                    ("CVE-2020-11651", 0.97453, 0.99974),
                ],
            ),
            etag: Some(EPSS_ETAG.into()),
            last_modified: None,
            fail: None,
        },
    );

    let (_dir, mut store) = temp_store();
    // 1. First sync: full downloads.
    let r = sync(
        &mut store,
        &options(&server, &["PyPI", "crates.io"], "2025-09-01T00:00:00Z"),
        &NoProgress,
    );
    assert_eq!(action(&r, "osv/PyPI"), Action::Full);
    assert_eq!(action(&r, "osv/crates.io"), Action::Full);
    assert_eq!(action(&r, "kev"), Action::Full);
    assert_eq!(action(&r, "epss"), Action::Full);
    assert_eq!(server.hits("/PyPI/all.zip"), 1);
    assert_eq!(server.hits("/crates.io/all.zip"), 1);
    assert!(
        record_hits(&server, "PyPI").is_empty(),
        "no single records on a full sync"
    );
    let st = store.status().unwrap();
    assert_eq!(st.advisories, 2661 + 1206);
    assert_eq!(st.kev_entries, 1404);
    assert_eq!(st.epss_scores, 2);
    assert_eq!(st.epss_score_date.as_deref(), Some("2025-08-25T12:55:00Z"));
    let by: Vec<(String, String, u64, u64)> = st
        .by_source_ecosystem
        .iter()
        .map(|e| {
            (
                e.source.clone(),
                e.ecosystem.clone(),
                e.advisories,
                e.withdrawn,
            )
        })
        .collect();
    assert_eq!(
        by,
        vec![
            ("osv/PyPI".into(), "PyPI".into(), 2661, 10),
            ("osv/crates.io".into(), "crates.io".into(), 1206, 13)
        ]
    );
    let e = store.epss("CVE-2023-4863").unwrap().unwrap();
    assert_eq!((e.epss, e.model_version.as_str()), (0.93794, "v2025.03.14"));

    // 2. Upstream changes: one record modified, one added, one withdrawn.
    let modified_id = "PYSEC-2020-102";
    let withdrawn_id = "PYSEC-2021-59";
    let added_id = "PYSEC-2099-1";
    let i = pypi.iter().position(|(id, _)| id == modified_id).unwrap();
    pypi[i].1 = edit(&pypi[i].1, |v| {
        v["modified"] = "2025-09-02T10:00:00Z".into();
        v["summary"] = "updated upstream".into();
    });
    let j = pypi
        .iter()
        .position(|(id, _)| id == withdrawn_id)
        .expect("record to withdraw");
    pypi[j].1 = edit(&pypi[j].1, |v| {
        v["modified"] = "2025-09-02T11:00:00Z".into();
        v["withdrawn"] = "2025-09-02T11:00:00Z".into();
    });
    let new = edit(&pypi[i].1, |v| {
        v["id"] = added_id.into();
        v["aliases"] = serde_json::json!(["CVE-2099-0001"]);
        v["modified"] = "2025-09-02T12:00:00Z".into();
    });
    pypi.push((added_id.to_string(), new));
    publish(&server, "PyPI", &pypi);
    server.reset_counts();

    let withdrawn_pkg = {
        let a = store.get(withdrawn_id).unwrap().unwrap();
        let p = a.affected[0].package.clone().unwrap();
        assert!(
            store
                .advisories_for_package(&p.ecosystem, &p.name)
                .unwrap()
                .iter()
                .any(|x| x.id == withdrawn_id)
        );
        p
    };

    let r = sync(
        &mut store,
        &options(&server, &["PyPI", "crates.io"], "2025-09-03T00:00:00Z"),
        &NoProgress,
    );
    assert_eq!(action(&r, "osv/PyPI"), Action::Incremental);
    assert_eq!(action(&r, "osv/crates.io"), Action::NotModified);
    let p = r.sources.iter().find(|s| s.source == "osv/PyPI").unwrap();
    let c = p.records.unwrap();
    assert_eq!(
        (c.inserted, c.updated, c.unchanged, c.skipped),
        (1, 2, 0, 0)
    );
    assert_eq!(p.fetched, 3);
    // Exactly the three changed records were fetched, once each; no archive.
    assert_eq!(
        record_hits(&server, "PyPI"),
        vec![
            format!("/PyPI/{modified_id}.json"),
            format!("/PyPI/{withdrawn_id}.json"),
            format!("/PyPI/{added_id}.json"),
        ]
    );
    assert_eq!(server.hits("/PyPI/all.zip"), 0);
    assert_eq!(server.hits("/PyPI/modified_id.csv"), 1);
    assert_eq!(server.hits("/crates.io/all.zip"), 0);
    assert!(record_hits(&server, "crates.io").is_empty());
    assert_eq!(
        store.get(modified_id).unwrap().unwrap().summary.as_deref(),
        Some("updated upstream")
    );
    assert!(store.get(withdrawn_id).unwrap().unwrap().is_withdrawn());
    assert!(
        store
            .advisories_for_package(&withdrawn_pkg.ecosystem, &withdrawn_pkg.name)
            .unwrap()
            .iter()
            .all(|x| x.id != withdrawn_id)
    );
    assert!(
        store
            .aliases_of("CVE-2099-0001")
            .unwrap()
            .contains(&added_id.to_string())
    );
    assert_eq!(store.status().unwrap().advisories, 2661 + 1206 + 1);
    // KEV and EPSS: conditional requests answered 304.
    assert_eq!(action(&r, "kev"), Action::NotModified);
    assert_eq!(action(&r, "epss"), Action::NotModified);
    assert_eq!(server.not_modified(), 2);
    let kev_req = server
        .log()
        .into_iter()
        .find(|l| l.0 == "/kev/known_exploited_vulnerabilities.json")
        .unwrap();
    assert_eq!(kev_req.1.as_deref(), Some(KEV_ETAG));
    assert_eq!(kev_req.2.as_deref(), Some(KEV_LM));
    let kev_state = store.source_state("kev").unwrap().unwrap();
    assert_eq!(
        kev_state.last_sync_us,
        patchloop_feeds::timefmt::parse_us("2025-09-03T00:00:00Z")
    );

    // 3. Nothing changed: no record fetched.
    server.reset_counts();
    let r = sync(
        &mut store,
        &options(&server, &["PyPI"], "2025-09-04T00:00:00Z"),
        &NoProgress,
    );
    assert_eq!(action(&r, "osv/PyPI"), Action::NotModified);
    assert!(record_hits(&server, "PyPI").is_empty());

    // 4. A network error mid-sync leaves the previous data intact.
    let before = store.status().unwrap();
    let i = pypi.iter().position(|(id, _)| id == modified_id).unwrap();
    pypi[i].1 = edit(&pypi[i].1, |v| {
        v["modified"] = "2025-09-05T10:00:00Z".into();
        v["summary"] = "must not be stored".into();
    });
    let k = pypi
        .iter()
        .position(|(id, _)| id == "PYSEC-2014-2")
        .unwrap();
    pypi[k].1 = edit(&pypi[k].1, |v| {
        v["modified"] = "2025-09-05T11:00:00Z".into();
    });
    publish(&server, "PyPI", &pypi);
    let body_len = pypi[k].1.len();
    server.set_fail(
        "/PyPI/PYSEC-2014-2.json",
        Some(Fail::CutAfter(body_len / 2)),
    );
    server.reset_counts();
    let r = sync(
        &mut store,
        &options(&server, &["PyPI"], "2025-09-06T00:00:00Z"),
        &NoProgress,
    );
    let p = r.sources.iter().find(|s| s.source == "osv/PyPI").unwrap();
    assert_eq!(p.action, Action::Failed);
    let err = p.error.clone().unwrap();
    assert!(
        err.contains("PYSEC-2014-2.json") && err.contains("cut short"),
        "{err}"
    );
    assert_eq!(server.hits("/PyPI/PYSEC-2014-2.json"), 2, "one retry");
    assert_eq!(
        store.get(modified_id).unwrap().unwrap().summary.as_deref(),
        Some("updated upstream")
    );
    let after = store.status().unwrap();
    assert_eq!(after.by_source_ecosystem, before.by_source_ecosystem);
    assert_eq!(
        store
            .source_state("osv/PyPI")
            .unwrap()
            .unwrap()
            .watermark
            .as_deref(),
        Some("2025-09-02T12:00:00Z")
    );
    // The failure is transient: the next sync picks both changes up.
    server.set_fail("/PyPI/PYSEC-2014-2.json", None);
    let r = sync(
        &mut store,
        &options(&server, &["PyPI"], "2025-09-07T00:00:00Z"),
        &NoProgress,
    );
    assert_eq!(action(&r, "osv/PyPI"), Action::Incremental);
    assert_eq!(r.sources[0].fetched, 2);
    assert_eq!(
        store.get(modified_id).unwrap().unwrap().summary.as_deref(),
        Some("must not be stored")
    );
}

#[test]
fn failed_full_download_and_server_errors_leave_store_untouched() {
    let Some(osv) = patchloop_testdata::shared_data("osv/crates.io") else {
        return;
    };
    let server = Server::start();
    let recs = records(&osv);
    publish(&server, "crates.io", &recs);
    let zip_len = server_body_len(&recs);
    server.set_fail("/crates.io/all.zip", Some(Fail::CutAfter(zip_len / 3)));
    server.put_resource(
        "/kev/known_exploited_vulnerabilities.json",
        Resource {
            fail: Some(Fail::Status(503)),
            ..Resource::default()
        },
    );
    let (_dir, mut store) = temp_store();
    let mut o = options(&server, &["crates.io"], "2025-09-01T00:00:00Z");
    o.epss = false;
    let r = sync(&mut store, &o, &NoProgress);
    assert!(r.failed());
    for s in &r.sources {
        assert_eq!(s.action, Action::Failed, "{}", s.source);
    }
    assert!(r.sources[1].error.as_ref().unwrap().contains("HTTP 503"));
    assert_eq!(server.hits("/crates.io/all.zip"), 2);
    let st = store.status().unwrap();
    assert_eq!((st.advisories, st.kev_entries), (0, 0));
    assert!(st.sources.is_empty());
    // 404 is not retried.
    let mut o = options(&server, &["NoSuchEcosystem"], "2025-09-01T00:00:00Z");
    o.kev = false;
    o.epss = false;
    let r = sync(&mut store, &o, &NoProgress);
    assert!(r.sources[0].error.as_ref().unwrap().contains("404"));
    assert_eq!(server.hits("/NoSuchEcosystem/all.zip"), 1);
}

fn server_body_len(recs: &[(String, Vec<u8>)]) -> usize {
    let entries: Vec<(String, Vec<u8>)> = recs
        .iter()
        .map(|(id, b)| (format!("{id}.json"), b.clone()))
        .collect();
    zip_of(&entries).len()
}

/// A mirror can be a local directory in the bucket layout.
#[test]
fn syncs_from_a_local_mirror_directory() {
    let Some(osv) = patchloop_testdata::shared_data("osv/crates.io") else {
        return;
    };
    let mirror = tempfile::tempdir().unwrap();
    let mut recs = records(&osv);
    let eco_dir = mirror.path().join("crates.io");
    std::fs::create_dir_all(&eco_dir).unwrap();
    let write = |recs: &[(String, Vec<u8>)]| {
        let entries: Vec<(String, Vec<u8>)> = recs
            .iter()
            .map(|(id, b)| (format!("{id}.json"), b.clone()))
            .collect();
        std::fs::write(eco_dir.join("all.zip"), zip_of(&entries)).unwrap();
        std::fs::write(eco_dir.join("modified_id.csv"), modified_id_csv(recs)).unwrap();
        for (id, b) in recs {
            std::fs::write(eco_dir.join(format!("{id}.json")), b).unwrap();
        }
    };
    write(&recs);
    let (_dir, mut store) = temp_store();
    let mut o = SyncOptions {
        osv_url: mirror.path().display().to_string(),
        ecosystems: vec!["crates.io".into()],
        kev: false,
        epss: false,
        ..SyncOptions::default()
    };
    let r = sync(&mut store, &o, &NoProgress);
    assert_eq!(action(&r, "osv/crates.io"), Action::Full);
    assert_eq!(store.status().unwrap().advisories, 1206);
    recs[0].1 = edit(&recs[0].1, |v| {
        v["modified"] = "2099-01-01T00:00:00Z".into()
    });
    write(&recs);
    o.osv_url = format!("file://{}", mirror.path().display());
    let r = sync(&mut store, &o, &NoProgress);
    assert_eq!(action(&r, "osv/crates.io"), Action::Incremental);
    assert_eq!(r.sources[0].fetched, 1);
    let id = &recs[0].0;
    assert_eq!(
        store.get(id).unwrap().unwrap().modified,
        "2099-01-01T00:00:00Z"
    );
    let _ = Ecosystem::CRATES_IO;
    let _: Option<&SqliteStore> = None;
}
