//! The ledger detects every kind of tampering with its stored data:
//! modified, deleted, inserted and reordered records, forged signatures,
//! records signed by an untrusted key. The attacker here has the SQLite
//! file: triggers are dropped first, as anyone with write access could.

use patchloop_ledger::ledger::{Key, Ledger, Record, verify_records};
use rusqlite::{Connection, params};
use serde_json::json;

struct Fixture {
    dir: tempfile::TempDir,
    key: Key,
}

impl Fixture {
    fn db(&self) -> std::path::PathBuf {
        self.dir.path().join("state.db")
    }
    fn raw(&self) -> Connection {
        let c = Connection::open(self.db()).unwrap();
        c.execute_batch("DROP TRIGGER ledger_no_update; DROP TRIGGER ledger_no_delete;")
            .unwrap();
        c
    }
    fn verify(&self) -> patchloop_ledger::ledger::Verification {
        Ledger::open(&self.db())
            .unwrap()
            .verify(&[self.key.public_hex()])
            .unwrap()
    }
}

/// Five records: a patch from discovery to application.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let key = Key::load_or_create(&dir.path().join("ledger.key")).unwrap();
    let mut l = Ledger::open(&dir.path().join("state.db")).unwrap();
    for (i, kind) in ["discovered", "planned", "approved", "tested", "applied"]
        .iter()
        .enumerate()
    {
        l.append(
            &key,
            &format!("2026-03-0{}T10:00:00Z", i + 1),
            kind,
            "npm-express",
            "shop",
            if *kind == "approved" {
                "alice"
            } else {
                "patchloop"
            },
            json!({"step": i, "ids": ["GHSA-0001"]}),
        )
        .unwrap();
    }
    Fixture { dir, key }
}

#[test]
fn an_untouched_ledger_verifies() {
    let f = fixture();
    let v = f.verify();
    assert_eq!(v.failure, None);
    assert_eq!(v.records, 5);
    assert_eq!(v.keys, vec![f.key.public_hex()]);
    // The triggers refuse changes through SQL.
    let c = Connection::open(f.db()).unwrap();
    assert!(
        c.execute("UPDATE ledger SET actor = 'mallory' WHERE seq = 3", [])
            .is_err()
    );
    assert!(c.execute("DELETE FROM ledger WHERE seq = 3", []).is_err());
}

#[test]
fn a_modified_record_is_named() {
    let f = fixture();
    f.raw()
        .execute("UPDATE ledger SET actor = 'mallory' WHERE seq = 3", [])
        .unwrap();
    let fail = f.verify().failure.unwrap();
    assert_eq!((fail.position, fail.seq), (3, 3));
    assert!(fail.reason.contains("modified"), "{}", fail.reason);
    // Data too.
    let f = fixture();
    f.raw()
        .execute(
            "UPDATE ledger SET data = '{\"ids\":[\"GHSA-9999\"],\"step\":3}' WHERE seq = 4",
            [],
        )
        .unwrap();
    assert_eq!(f.verify().failure.unwrap().seq, 4);
}

#[test]
fn a_deleted_record_is_named() {
    let f = fixture();
    f.raw()
        .execute("DELETE FROM ledger WHERE seq = 2", [])
        .unwrap();
    let fail = f.verify().failure.unwrap();
    assert_eq!(fail.seq, 3);
    assert!(fail.reason.contains("deleted"), "{}", fail.reason);
    // Deleting the last record: the remaining chain is valid, but the head
    // changed: callers compare it with a head they recorded (export,
    // in-toto statements). Here: the head is record 4's hash.
    let f = fixture();
    let head4 = Ledger::open(&f.db()).unwrap().records().unwrap()[3]
        .hash
        .clone();
    f.raw()
        .execute("DELETE FROM ledger WHERE seq = 5", [])
        .unwrap();
    let v = f.verify();
    assert_eq!(v.failure, None);
    assert_eq!(v.head, head4);
}

#[test]
fn an_inserted_record_is_named() {
    let f = fixture();
    // A forged record signed with another key, linked after record 2,
    // shifted in: records 3.. move up by one.
    let mallory = Key::load_or_create(&f.dir.path().join("mallory.key")).unwrap();
    let recs = Ledger::open(&f.db()).unwrap().records().unwrap();
    let c = f.raw();
    for seq in (3..=5).rev() {
        c.execute(
            "UPDATE ledger SET seq = seq + 1 WHERE seq = ?1",
            params![seq],
        )
        .unwrap();
    }
    let mut forged = Record {
        seq: 3,
        time: "2026-03-02T12:00:00Z".into(),
        kind: "approved".into(),
        patch: "npm-express".into(),
        project: "shop".into(),
        actor: "mallory".into(),
        data: json!({}),
        prev: recs[1].hash.clone(),
        key: mallory.public_hex(),
        hash: String::new(),
        signature: String::new(),
    };
    forged.hash = patchloop_ledger::ledger::record_hash(&forged);
    forged.signature = mallory.sign(forged.hash.as_bytes());
    c.execute(
        "INSERT INTO ledger (seq, time, kind, patch, project, actor, data, prev, key, hash, signature)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, '{}', ?7, ?8, ?9, ?10)",
        params![
            forged.seq,
            forged.time,
            forged.kind,
            forged.patch,
            forged.project,
            forged.actor,
            forged.prev,
            forged.key,
            forged.hash,
            forged.signature
        ],
    )
    .unwrap();
    let fail = f.verify().failure.unwrap();
    assert_eq!(fail.position, 3);
    assert!(fail.reason.contains("untrusted key"), "{}", fail.reason);
    // Without a trusted-key list the forged record itself is valid, but the
    // record after it no longer fits.
    let v = Ledger::open(&f.db()).unwrap().verify(&[]).unwrap();
    let fail = v.failure.unwrap();
    assert_eq!(fail.position, 4);
}

#[test]
fn reordered_records_are_named() {
    // In the database: swap the sequence numbers of records 2 and 3.
    let f = fixture();
    let c = f.raw();
    c.execute("UPDATE ledger SET seq = 100 WHERE seq = 2", [])
        .unwrap();
    c.execute("UPDATE ledger SET seq = 2 WHERE seq = 3", [])
        .unwrap();
    c.execute("UPDATE ledger SET seq = 3 WHERE seq = 100", [])
        .unwrap();
    let fail = f.verify().failure.unwrap();
    assert_eq!(fail.position, 2);
    // In an export: lines swapped as they are.
    let f = fixture();
    let mut recs = Ledger::open(&f.db()).unwrap().records().unwrap();
    recs.swap(1, 2);
    let v = verify_records(&recs, &[f.key.public_hex()]);
    let fail = v.failure.unwrap();
    assert_eq!(fail.position, 2);
    assert!(
        fail.reason.contains("reordered") || fail.reason.contains("deleted"),
        "{}",
        fail.reason
    );
}

#[test]
fn a_forged_signature_is_named() {
    let f = fixture();
    f.raw()
        .execute(
            "UPDATE ledger SET signature = ?1 WHERE seq = 5",
            params!["00".repeat(64)],
        )
        .unwrap();
    let fail = f.verify().failure.unwrap();
    assert_eq!(fail.seq, 5);
    assert!(fail.reason.contains("signature"), "{}", fail.reason);
}
