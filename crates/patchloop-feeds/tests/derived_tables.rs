//! What schema v3 keeps up to date at every write: after every write, the
//! alias group the store gives for each id equals the connected component
//! computed here from the records as written (an independent union of
//! their alias lists), and the package names it gives for each ecosystem
//! equal the names the written records' `affected` entries hold. Writes
//! merge groups, split them, grow one past the walk's size guard and
//! shrink it back, and move records between packages and ecosystems; a
//! large batch takes the rebuild path.

use std::collections::{BTreeMap, BTreeSet};

use patchloop_feeds::record::prepare;
use patchloop_feeds::{AdvisoryStore, OpenMode, SqliteStore};

/// xorshift64*: a fixed sequence, so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A package: (ecosystem, name).
type Pkg = (&'static str, &'static str);

fn record(id: &str, aliases: &[String], packages: &[Pkg], version: u32) -> Vec<u8> {
    let affected: Vec<serde_json::Value> = packages
        .iter()
        .map(|(e, n)| serde_json::json!({"package": {"ecosystem": e, "name": n}, "versions": ["1.0.0"]}))
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "id": id,
        "modified": format!("2024-01-01T00:00:00.{version:06}Z"),
        "aliases": aliases,
        "affected": affected,
    }))
    .unwrap()
}

/// The records as written: id → aliases.
type Written = BTreeMap<String, Vec<String>>;

/// The records' packages as written: id → packages.
type Packages = BTreeMap<String, Vec<Pkg>>;

const PACKAGES: [Pkg; 6] = [
    ("crates.io", "serde"),
    ("crates.io", "tokio"),
    ("crates.io", "x"),
    ("PyPI", "requests"),
    ("PyPI", "django"),
    ("Go", "golang.org/x/net"),
];

/// Every id's group: the ids connected to it through the written alias
/// lists, each with whether it is a record.
fn components(written: &Written) -> BTreeMap<String, Vec<(String, Option<bool>)>> {
    let mut adj: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (id, aliases) in written {
        adj.entry(id).or_default();
        for a in aliases {
            adj.entry(id).or_default().insert(a);
            adj.entry(a).or_default().insert(id);
        }
    }
    let mut out = BTreeMap::new();
    for start in adj.keys() {
        if out.contains_key(*start) {
            continue;
        }
        let mut seen: BTreeSet<&str> = BTreeSet::from([*start]);
        let mut todo = vec![*start];
        while let Some(x) = todo.pop() {
            for y in &adj[x] {
                if seen.insert(y) {
                    todo.push(y);
                }
            }
        }
        let group: Vec<(String, Option<bool>)> = seen
            .iter()
            .map(|i| (i.to_string(), Some(written.contains_key(*i))))
            .collect();
        for i in &seen {
            out.insert(i.to_string(), group.clone());
        }
    }
    out
}

fn write(store: &mut SqliteStore, batch: &[(String, Vec<String>)], version: u32) {
    write_with(store, batch, &Packages::new(), version)
}

fn write_with(
    store: &mut SqliteStore,
    batch: &[(String, Vec<String>)],
    packages: &Packages,
    version: u32,
) {
    let mut w = store.writer().unwrap();
    for (id, aliases) in batch {
        let pkgs = packages
            .get(id)
            .map(Vec::as_slice)
            .unwrap_or(&[("crates.io", "x")]);
        let rec = prepare(&record(id, aliases, pkgs, version), "test", "test", 1 << 20).unwrap();
        w.put_advisory(&rec).unwrap();
    }
    w.commit().unwrap();
}

fn stored_rows(path: &std::path::Path) -> i64 {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM alias_groups", [], |r| r.get(0))
        .unwrap()
}

/// Every id the test ever used gets the oracle's group (an unknown id:
/// none); every ecosystem the names of the written records (a record
/// without listed packages has `x` of crates.io).
fn check_with(
    store: &SqliteStore,
    written: &Written,
    packages: &Packages,
    ids: &BTreeSet<String>,
    when: &str,
) {
    let want = components(written);
    for id in ids {
        let got = store.alias_group(id).unwrap();
        let expected = want.get(id).cloned().unwrap_or_default();
        assert_eq!(got, expected, "{when}: group of {id}");
    }
    for eco in ["crates.io", "PyPI", "Go"] {
        let expected: BTreeSet<String> = written
            .keys()
            .flat_map(|id| {
                packages
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| vec![("crates.io", "x")])
            })
            .filter(|(e, _)| *e == eco)
            .map(|(_, n)| n.to_string())
            .collect();
        let ecosystem: patchloop_model::Ecosystem = eco.parse().unwrap();
        let got: BTreeSet<String> = store
            .names_with_advisories(&ecosystem)
            .unwrap()
            .unwrap_or_default()
            .into_iter()
            .collect();
        assert_eq!(got, expected, "{when}: names of {eco}");
    }
}

#[test]
fn groups_and_names_equal_the_written_records_after_every_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let mut store = SqliteStore::open(&path, OpenMode::ReadWrite).unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let records: Vec<String> = (0..40).map(|i| format!("REC-{i:02}")).collect();
    let cves: Vec<String> = (0..25).map(|i| format!("CVE-2024-{i:04}")).collect();
    let mut ids: BTreeSet<String> = records.iter().chain(&cves).cloned().collect();
    ids.insert("NOT-KNOWN-1".into());
    let mut written = Written::new();
    let mut packages = Packages::new();
    let mut version = 0;
    // Random rounds: records written and rewritten with new alias lists
    // (groups merge, and split when an alias goes away).
    for round in 0..60 {
        version += 1;
        let mut batch = Vec::new();
        for _ in 0..1 + rng.below(5) {
            let id = records[rng.below(records.len())].clone();
            let mut aliases: Vec<String> = (0..rng.below(4))
                .map(|_| {
                    if rng.below(4) == 0 {
                        records[rng.below(records.len())].clone()
                    } else {
                        cves[rng.below(cves.len())].clone()
                    }
                })
                .filter(|a| *a != id)
                .collect();
            aliases.sort();
            aliases.dedup();
            written.insert(id.clone(), aliases.clone());
            let mut pkgs: Vec<Pkg> = (0..1 + rng.below(2))
                .map(|_| PACKAGES[rng.below(PACKAGES.len())])
                .collect();
            pkgs.sort();
            pkgs.dedup();
            packages.insert(id.clone(), pkgs);
            batch.retain(|(b, _): &(String, Vec<String>)| *b != id);
            batch.push((id, aliases));
        }
        write_with(&mut store, &batch, &packages, version);
        check_with(&store, &written, &packages, &ids, &format!("round {round}"));
    }

    // A record whose package is its ecosystem's only one of that name
    // moves to another ecosystem alone: the first one loses the name.
    for pkgs in [
        vec![("Go", "example.com/mover")],
        vec![("PyPI", "mover")],
        vec![("crates.io", "x")],
    ] {
        version += 1;
        packages.insert("MOVER".into(), pkgs);
        written.insert("MOVER".into(), Vec::new());
        ids.insert("MOVER".into());
        write_with(
            &mut store,
            &[("MOVER".to_string(), Vec::new())],
            &packages,
            version,
        );
        check_with(&store, &written, &packages, &ids, "move");
    }

    // Groups the table does not hold are walked, with the same answer:
    // an alias with a line break, ids too long to list for every record
    // (80 records of 250-byte ids: 20 KB per row), a damaged row.
    version += 1;
    let odd = vec![("ODD-1".to_string(), vec!["CVE-2024-9999\nX".to_string()])];
    let long: Vec<(String, Vec<String>)> = (0..80)
        .map(|i| {
            (
                format!("LONG-{i:02}-{}", "x".repeat(240)),
                vec!["SHARED-LONG".to_string()],
            )
        })
        .collect();
    let batch: Vec<(String, Vec<String>)> = odd.into_iter().chain(long).collect();
    let before = stored_rows(&path);
    write(&mut store, &batch, version);
    assert_eq!(stored_rows(&path), before, "neither group is stored");
    for (id, aliases) in batch {
        ids.insert(id.clone());
        ids.extend(aliases.iter().cloned());
        written.insert(id, aliases);
    }
    check_with(&store, &written, &packages, &ids, "unstored groups");
    let damaged = written
        .keys()
        .find(|k| k.starts_with("REC-"))
        .unwrap()
        .clone();
    let changed = rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "UPDATE alias_groups SET members = 'é' || members WHERE id = ?1",
            [&damaged],
        )
        .unwrap();
    assert_eq!(changed, 1);
    check_with(&store, &written, &packages, &ids, "damaged row");

    // A chain of 300 records (601 ids) outgrows the walk's guard of 512
    // ids: none of its records keeps a stored group, and asking for one
    // walks (and stops at the guard, as before stored groups).
    version += 1;
    let chain: Vec<(String, Vec<String>)> = (0..300)
        .map(|i| {
            (
                format!("CHAIN-{i:03}"),
                vec![format!("LINK-{i:03}"), format!("LINK-{:03}", i + 1)],
            )
        })
        .collect();
    let before = stored_rows(&path);
    write(&mut store, &chain, version);
    assert_eq!(stored_rows(&path), before, "no row for the chain's records");
    assert_eq!(store.alias_group("CHAIN-000").unwrap().len(), 512);
    // Cut in the middle: two groups of 150 records (301 ids each), stored.
    version += 1;
    write(
        &mut store,
        &[("CHAIN-150".to_string(), vec!["LINK-151".to_string()])],
        version,
    );
    for (id, aliases) in chain {
        written.insert(id, aliases);
    }
    written.insert("CHAIN-150".into(), vec!["LINK-151".into()]);
    ids.extend(written.keys().cloned());
    ids.extend(written.values().flatten().cloned());
    assert_eq!(stored_rows(&path), before + 300);
    check_with(&store, &written, &packages, &ids, "chain cut");

    // A batch of 1,100 records (2,200 ids) takes the rebuild path.
    version += 1;
    let batch: Vec<(String, Vec<String>)> = (0..1100)
        .map(|i| (format!("BULK-{i:04}"), vec![format!("GHSA-{:04}", i / 2)]))
        .collect();
    for (id, aliases) in &batch {
        written.insert(id.clone(), aliases.clone());
        ids.insert(id.clone());
        ids.extend(aliases.iter().cloned());
    }
    write(&mut store, &batch, version);
    check_with(&store, &written, &packages, &ids, "bulk");

    // Read-only handles read the same groups; so do handles on a v2
    // store (no `alias_groups` table yet), by walking.
    drop(store);
    let ro = SqliteStore::open(&path, OpenMode::ReadOnly).unwrap();
    check_with(&ro, &written, &packages, &ids, "read-only");
    drop(ro);
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(
            "DROP TABLE alias_groups;
             DROP TABLE ecosystem_names;
             UPDATE schema_meta SET value = '2' WHERE key = 'schema_version';",
        )
        .unwrap();
    let ro = SqliteStore::open(&path, OpenMode::ReadOnly).unwrap();
    check_with(&ro, &written, &packages, &ids, "v2 read-only");
    drop(ro);
    // Opened for writing, the v2 store migrates and fills every group it
    // can hold (all but those of ODD-1 and the 80 LONG records).
    let rw = SqliteStore::open(&path, OpenMode::ReadWrite).unwrap();
    assert_eq!(stored_rows(&path), written.len() as i64 - 81);
    check_with(&rw, &written, &packages, &ids, "migrated");
}
