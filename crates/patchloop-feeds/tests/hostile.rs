//! Bad and hostile input: malformed records, truncated archives, zip
//! bombs, too many entries, path-traversal entry names, non-UTF-8 and huge
//! fields. Each gives a clear warning or error, never a crash, and never
//! changes data it should not.

mod support;

use std::path::Path;

use patchloop_feeds::{AdvisoryStore, FeedError, ImportOptions, Limits, NoProgress, import_paths};
use support::*;

fn rec(id: &str, modified: &str) -> Vec<u8> {
    format!(
        r#"{{"id":"{id}","modified":"{modified}","aliases":["CVE-2024-0001"],
            "affected":[{{"package":{{"ecosystem":"npm","name":"left-pad"}},
            "ranges":[{{"type":"SEMVER","events":[{{"introduced":"0"}},{{"fixed":"1.3.0"}}]}}]}}]}}"#
    )
    .into_bytes()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn malformed_records_are_skipped_with_named_warnings() {
    let (dir, mut store) = temp_store();
    let src = dir.path().join("in");
    std::fs::create_dir_all(src.join("sub")).unwrap();
    write(&src, "GOOD-1.json", &rec("GOOD-1", "2024-01-01T00:00:00Z"));
    write(
        &src.join("sub"),
        "GOOD-2.json",
        &rec("GOOD-2", "2024-01-01T00:00:00Z"),
    );
    write(
        &src,
        "truncated.json",
        br#"{"id":"BAD-1","modified":"2024-01"#,
    );
    write(&src, "nomod.json", br#"{"id":"BAD-2"}"#);
    write(
        &src,
        "badts.json",
        br#"{"id":"BAD-3","modified":"last tuesday"}"#,
    );
    write(
        &src,
        "latin1.json",
        b"{\"id\":\"BAD-4\",\"modified\":\"2024-01-01T00:00:00Z\",\"summary\":\"caf\xe9\"}",
    );
    write(
        &src,
        "surrogate.json",
        br#"{"id":"BAD-5","modified":"2024-01-01T00:00:00Z","summary":"\ud800"}"#,
    );
    write(&src, "event.json", br#"{"id":"BAD-6","modified":"2024-01-01T00:00:00Z","affected":[{"ranges":[{"type":"SEMVER","events":[{"fixed":"1","introduced":"0"}]}]}]}"#);
    write(&src, "binary.json", &[0u8, 159, 146, 150, 255]);
    write(&src, "notes.txt", b"ignored: not a record");
    // A JSON array of records: one good, one bad.
    write(
        &src,
        "array.json",
        format!(
            "[{}, {{\"id\": 5}}]",
            String::from_utf8(rec("GOOD-3", "2024-01-01T00:00:00Z")).unwrap()
        )
        .as_bytes(),
    );
    let rep = import(&mut store, std::slice::from_ref(&src));
    assert_eq!(rep.records.inserted, 3, "{:#?}", rep.warnings);
    assert_eq!(rep.records.skipped, 8, "{:#?}", rep.warnings);
    let text: Vec<String> = rep.warnings.iter().map(|w| w.to_string()).collect();
    let has = |file: &str, why: &str| {
        assert!(
            text.iter().any(|t| t.contains(file) && t.contains(why)),
            "no warning for {file} mentioning {why:?}: {text:#?}"
        )
    };
    has("truncated.json", "EOF");
    has("nomod.json", "`modified` is missing");
    has("badts.json", "not a timestamp");
    has("latin1.json", "invalid OSV record");
    has("surrogate.json", "surrogate");
    has("event.json", "more than one key");
    has("binary.json", "not");
    has("array.json", "[1]");
    assert!(store.get("GOOD-2").unwrap().is_some());
    assert!(store.get("GOOD-3").unwrap().is_some());
}

#[test]
fn huge_fields_are_bounded_and_never_crash() {
    let (dir, mut store) = temp_store();
    // A 2 MiB summary and a 50,000-entry versions list: stored (under the
    // record limit), the summary column is cut, the raw record is whole.
    let big = format!(
        r#"{{"id":"BIG-1","modified":"2024-01-01T00:00:00Z","summary":"{}","affected":[{{"package":{{"ecosystem":"PyPI","name":"x"}},"versions":[{}]}}]}}"#,
        "é".repeat(1 << 20),
        (0..50_000)
            .map(|i| format!("\"1.{i}\""))
            .collect::<Vec<_>>()
            .join(",")
    );
    let p = write(dir.path(), "big.json", big.as_bytes());
    // Over the record limit: skipped with a reason.
    let huge = format!(
        r#"{{"id":"HUGE-1","modified":"2024-01-01T00:00:00Z","details":"{}"}}"#,
        "x".repeat(5 << 20)
    );
    let q = write(dir.path(), "huge.json", huge.as_bytes());
    let opts = ImportOptions {
        limits: Limits {
            max_record_bytes: 4 << 20,
            ..Limits::default()
        },
        ..ImportOptions::default()
    };
    let rep = import_paths(&mut store, &[p, q], &opts, &NoProgress).unwrap();
    assert_eq!((rep.records.inserted, rep.records.skipped), (1, 1));
    assert!(
        rep.warnings[0].to_string().contains("over the limit"),
        "{}",
        rep.warnings[0]
    );
    let a = store.get("BIG-1").unwrap().unwrap();
    assert_eq!(a.summary.unwrap().len(), 2 << 20);
    assert_eq!(a.affected[0].versions.len(), 50_000);
    let hits = store
        .affected_for_package(&patchloop_model::Ecosystem::PYPI, "X")
        .unwrap();
    assert_eq!(hits[0].affected[0].versions.len(), 50_000);
}

#[test]
fn zip_limits_bombs_and_traversal_names() {
    let (dir, mut store) = temp_store();
    // Previous data, which no failed import may touch.
    let base = write(
        dir.path(),
        "base.json",
        &rec("BASE-1", "2024-01-01T00:00:00Z"),
    );
    import(&mut store, &[base]);

    // Path traversal, absolute names, a bomb-like entry, a non-JSON entry,
    // next to good records.
    let bomb = format!(
        r#"{{"id":"BOMB-1","modified":"2024-01-01T00:00:00Z","details":"{}"}}"#,
        " ".repeat(8 << 20)
    );
    let entries = vec![
        (
            "GOOD-1.json".to_string(),
            rec("GOOD-1", "2024-01-01T00:00:00Z"),
        ),
        (
            "../../evil.json".to_string(),
            rec("EVIL-1", "2024-01-01T00:00:00Z"),
        ),
        (
            "/etc/evil.json".to_string(),
            rec("EVIL-2", "2024-01-01T00:00:00Z"),
        ),
        (
            "C:\\evil.json".to_string(),
            rec("EVIL-3", "2024-01-01T00:00:00Z"),
        ),
        ("bomb.json".to_string(), bomb.into_bytes()),
        ("README.md".to_string(), b"hello".to_vec()),
        (
            "GOOD-2.json".to_string(),
            rec("GOOD-2", "2024-01-01T00:00:00Z"),
        ),
    ];
    let z = write(dir.path(), "all.zip", &zip_of(&entries));
    let rep = import(&mut store, std::slice::from_ref(&z));
    assert_eq!(rep.records.inserted, 2, "{:#?}", rep.warnings);
    let text: Vec<String> = rep.warnings.iter().map(|w| w.to_string()).collect();
    for (entry, why) in [
        ("../../evil.json", "path traversal"),
        ("/etc/evil.json", "absolute path"),
        ("C:\\evil.json", "absolute path"),
        ("bomb.json", "zip bomb"),
        ("README.md", "not a .json"),
    ] {
        assert!(
            text.iter()
                .any(|t| t.contains("all.zip") && t.contains(entry) && t.contains(why)),
            "{entry}: {text:#?}"
        );
    }
    assert!(!dir.path().parent().unwrap().join("evil.json").exists());
    for id in ["EVIL-1", "EVIL-2", "EVIL-3", "BOMB-1"] {
        assert!(store.get(id).unwrap().is_none(), "{id}");
    }

    // Too many entries: an error, and nothing of that import is kept.
    let many: Vec<(String, Vec<u8>)> = (0..11)
        .map(|i| {
            (
                format!("M-{i}.json"),
                rec(&format!("M-{i}"), "2024-01-01T00:00:00Z"),
            )
        })
        .collect();
    let m = write(dir.path(), "many.zip", &zip_of(&many));
    let extra = write(
        dir.path(),
        "extra.json",
        &rec("EXTRA-1", "2024-01-01T00:00:00Z"),
    );
    let opts = ImportOptions {
        limits: Limits {
            max_zip_entries: 10,
            ..Limits::default()
        },
        ..ImportOptions::default()
    };
    let err =
        import_paths(&mut store, &[extra.clone(), m.clone()], &opts, &NoProgress).unwrap_err();
    assert!(matches!(err, FeedError::Limit { .. }), "{err}");
    assert!(
        err.to_string().contains("many.zip") && err.to_string().contains("11 entries"),
        "{err}"
    );
    assert!(
        store.get("EXTRA-1").unwrap().is_none(),
        "import is all or nothing"
    );
    // Too much data in total.
    let opts = ImportOptions {
        limits: Limits {
            max_zip_total_bytes: 1000,
            ..Limits::default()
        },
        ..ImportOptions::default()
    };
    let err = import_paths(&mut store, std::slice::from_ref(&m), &opts, &NoProgress).unwrap_err();
    assert!(err.to_string().contains("uncompressed (limit)"), "{err}");

    // A truncated archive (cut download).
    let full = std::fs::read(&m).unwrap();
    let t = write(dir.path(), "truncated.zip", &full[..full.len() * 2 / 3]);
    let err = import_paths(&mut store, &[t], &ImportOptions::default(), &NoProgress).unwrap_err();
    assert!(matches!(err, FeedError::BadZip { .. }), "{err}");
    assert!(err.to_string().contains("truncated.zip"), "{err}");

    // A corrupted entry (flipped bytes in the compressed data): that entry
    // is skipped, the others are read.
    let mut bad = zip_of(&many[..3]);
    let pos = bad
        .windows(9)
        .position(|w| w == b"M-1.json\x00")
        .unwrap_or(0);
    let _ = pos;
    let second_local = find_nth(&bad, b"PK\x03\x04", 1).unwrap();
    for b in &mut bad[second_local + 40..second_local + 60] {
        *b ^= 0x5a;
    }
    let c = write(dir.path(), "corrupt.zip", &bad);
    let rep = import(&mut store, &[c]);
    assert_eq!(rep.records.inserted, 2, "{:#?}", rep.warnings);
    assert!(
        rep.warnings
            .iter()
            .any(|w| w.entry.as_deref() == Some("M-1.json")),
        "{:#?}",
        rep.warnings
    );

    // The store still holds exactly the earlier data plus what succeeded.
    let mut ids: Vec<String> = ["BASE-1", "GOOD-1", "GOOD-2", "M-0", "M-2"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    ids.sort();
    assert_eq!(count(&store), ids.len() as u64);
    for id in ids {
        assert!(store.get(&id).unwrap().is_some(), "{id}");
    }
}

fn find_nth(hay: &[u8], needle: &[u8], n: usize) -> Option<usize> {
    hay.windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .nth(n)
        .map(|(i, _)| i)
}

#[test]
fn kev_and_epss_detected_by_content_and_older_epss_is_a_no_op() {
    let (dir, mut store) = temp_store();
    let kev = write(
        dir.path(),
        "catalog.json",
        br#"{"title":"t","catalogVersion":"2025.01.01","dateReleased":"2025-01-01T00:00:00Z","count":2,
            "vulnerabilities":[{"cveID":"CVE-2024-0001","vendorProject":"v","product":"p","vulnerabilityName":"n",
              "dateAdded":"2025-01-01","shortDescription":"s","requiredAction":"a","dueDate":"2025-01-22",
              "knownRansomwareCampaignUse":"Known","notes":"","cwes":[]},
              {"cveID":null}]}"#,
    );
    let e1 = write(
        dir.path(),
        "scores.csv.gz",
        &epss_gz(
            "2025-08-25T12:55:00Z",
            &[("CVE-2024-0001", 0.5, 0.9), ("CVE-2024-0002", 0.1, 0.2)],
        ),
    );
    let old = write(
        dir.path(),
        "old.csv",
        b"#model_version:v2023.03.01,score_date:2024-01-01T00:00:00Z\ncve,epss,percentile\nCVE-2024-0001,0.01,0.02\n",
    );
    let bad = write(dir.path(), "bad.csv", b"#model_version:v1\nfoo,bar\n1,2\n");
    let rep = import(&mut store, &[kev, e1.clone()]);
    assert_eq!(rep.kev.unwrap().inserted, 1);
    assert!(
        rep.warnings
            .iter()
            .any(|w| w.reason.contains("vulnerabilities[1]"))
    );
    assert_eq!(rep.epss.unwrap().inserted, 2);
    let k = store.kev("CVE-2024-0001").unwrap().unwrap();
    assert!(k.ransomware());
    assert_eq!(
        store.epss("CVE-2024-0002").unwrap().unwrap().percentile,
        0.2
    );
    // Older scores do not replace newer ones.
    let rep = import(&mut store, &[old]);
    assert!(
        rep.warnings[0].reason.contains("older"),
        "{:?}",
        rep.warnings
    );
    assert_eq!(store.epss("CVE-2024-0001").unwrap().unwrap().epss, 0.5);
    // Same file again: unchanged.
    let rep = import(&mut store, &[e1]);
    assert_eq!(rep.epss.unwrap().unchanged, 2);
    let err = import_paths(&mut store, &[bad], &ImportOptions::default(), &NoProgress).unwrap_err();
    assert!(
        err.to_string().contains("bad.csv") && err.to_string().contains("header"),
        "{err}"
    );
    let unknown = write(dir.path(), "x.bin", b"\x00\x01garbage");
    let err = import_paths(
        &mut store,
        &[unknown],
        &ImportOptions::default(),
        &NoProgress,
    )
    .unwrap_err();
    assert!(matches!(err, FeedError::UnknownInput { .. }), "{err}");
    let err = import_paths(
        &mut store,
        &[dir.path().join("missing.json")],
        &ImportOptions::default(),
        &NoProgress,
    )
    .unwrap_err();
    assert!(err.to_string().contains("missing.json"), "{err}");
}

/// Unknown ecosystems are stored and reported, never rejected.
#[test]
fn open_ecosystem_set() {
    let (dir, mut store) = temp_store();
    let r = br#"[{"id":"UBUNTU-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Ubuntu:22.04:LTS","name":"openssl"}}]},
                {"id":"OPAM-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"opam","name":"lwt"}}]},
                {"id":"AZ-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Azure Linux","name":"curl"}}]}]"#;
    let p = write(dir.path(), "mixed.json", r);
    let rep = import(&mut store, &[p]);
    assert_eq!(rep.records.inserted, 3);
    let st = store.status().unwrap();
    let ecos: Vec<&str> = st
        .by_source_ecosystem
        .iter()
        .map(|e| e.ecosystem.as_str())
        .collect();
    assert_eq!(ecos, ["Azure Linux", "Ubuntu:22.04:LTS", "opam"]);
    use patchloop_model::Ecosystem;
    let hit = store
        .advisories_for_package(&Ecosystem::parse("Ubuntu:22.04:LTS"), "openssl")
        .unwrap();
    assert_eq!(hit[0].id, "UBUNTU-1");
    assert!(
        store
            .advisories_for_package(&Ecosystem::parse("Ubuntu:20.04:LTS"), "openssl")
            .unwrap()
            .is_empty()
    );
}

/// A full disk in the middle of an import: an error that says so, and the
/// previous data intact and usable.
#[test]
fn disk_full_mid_import_keeps_previous_data() {
    let (dir, mut store) = temp_store();
    let base = write(
        dir.path(),
        "base.json",
        &rec("BASE-1", "2024-01-01T00:00:00Z"),
    );
    import(&mut store, &[base]);
    let before = std::fs::metadata(dir.path().join("advisories.db"))
        .unwrap()
        .len();
    // 3,000 records of ~3 KB each need far more than 200 KB more.
    let many: Vec<(String, Vec<u8>)> = (0..3000)
        .map(|i| {
            let mut r = rec(&format!("BIG-{i}"), "2024-01-01T00:00:00Z");
            let pad = format!(
                ",\"details\":\"{}\"}}",
                "lorem ipsum dolor sit amet ".repeat(100) + &i.to_string()
            );
            r.pop();
            r.extend_from_slice(pad.as_bytes());
            (format!("BIG-{i}.json"), r)
        })
        .collect();
    let z = write(dir.path(), "big.zip", &zip_of(&many));
    store.limit_size(before + 200 * 1024).unwrap();
    let err = import_paths(
        &mut store,
        std::slice::from_ref(&z),
        &ImportOptions::default(),
        &NoProgress,
    )
    .unwrap_err();
    assert!(err.to_string().contains("full"), "{err}");
    assert_eq!(count(&store), 1);
    assert!(store.get("BASE-1").unwrap().is_some());
    assert!(store.get("BIG-0").unwrap().is_none());
    // With room again, the same import succeeds.
    store.limit_size(1 << 40).unwrap();
    let rep = import(&mut store, &[z]);
    assert_eq!(rep.records.inserted, 3000);
}
