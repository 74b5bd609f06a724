//! The patch ledger: an append-only, hash-chained, Ed25519-signed log of
//! every lifecycle event of every patch (docs/ledger.md).
//!
//! A record is canonical JSON (keys sorted, no insignificant whitespace)
//! of `{seq, time, kind, patch, project, actor, data, prev, key}`; its
//! `hash` is SHA-256 of those bytes, `prev` is the previous record's hash
//! (64 zeros for the first), and `signature` is Ed25519 over the hash, by
//! the key whose public half is `key` (hex). `verify` recomputes all of it
//! and names the first record that does not fit: modified, deleted,
//! inserted or reordered records all break a hash or a link.

use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The hash before the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Lifecycle events.
pub const KINDS: &[&str] = &[
    "discovered",
    "prioritized",
    "planned",
    "approved",
    "rejected",
    "tested",
    "applied",
    "promoted",
    "verified",
    "rolled-back",
    "exception-granted",
    "closed",
];

/// Ledger errors.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("ledger {path}: {source}")]
    Db {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("signing key {path}: {reason}")]
    Key { path: PathBuf, reason: String },
    #[error("unknown event kind {0:?} (one of: {kinds})", kinds = KINDS.join(", "))]
    Kind(String),
    #[error("ledger record {seq}: {reason}")]
    Corrupt { seq: i64, reason: String },
}

/// One ledger record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub seq: i64,
    /// RFC 3339 UTC.
    pub time: String,
    pub kind: String,
    /// The patch id (plan group id, e.g. `npm-express`).
    pub patch: String,
    pub project: String,
    /// Who or what made the event (`patchloop`, a user name).
    pub actor: String,
    pub data: Value,
    pub prev: String,
    /// The signer's public key (hex).
    pub key: String,
    pub hash: String,
    pub signature: String,
}

/// Canonical JSON: object keys sorted at every level, compact.
pub fn canonical(v: &Value) -> String {
    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(k).unwrap_or_default());
                    out.push(':');
                    write(&m[k.as_str()], out);
                }
                out.push('}');
            }
            Value::Array(a) => {
                out.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(x, out);
                }
                out.push(']');
            }
            other => out.push_str(&serde_json::to_string(other).unwrap_or_default()),
        }
    }
    let mut s = String::new();
    write(v, &mut s);
    s
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The signed body of a record (everything but `hash` and `signature`).
pub fn body(r: &Record) -> Value {
    serde_json::json!({
        "seq": r.seq,
        "time": r.time,
        "kind": r.kind,
        "patch": r.patch,
        "project": r.project,
        "actor": r.actor,
        "data": r.data,
        "prev": r.prev,
        "key": r.key,
    })
}

/// SHA-256 (hex) of a record's canonical body.
pub fn record_hash(r: &Record) -> String {
    hex(&Sha256::digest(canonical(&body(r)).as_bytes()))
}

/// The user's signing key: 32 secret bytes (hex) in a file, created on
/// first use with mode 0600.
pub struct Key {
    signing: SigningKey,
    pub path: PathBuf,
}

impl Key {
    pub fn load_or_create(path: &Path) -> Result<Key, LedgerError> {
        let err = |reason: String| LedgerError::Key {
            path: path.to_path_buf(),
            reason,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes = unhex(text.trim()).ok_or_else(|| err("not a hex key".into()))?;
                let arr: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| err("a key is 32 bytes (64 hex digits)".into()))?;
                Ok(Key {
                    signing: SigningKey::from_bytes(&arr),
                    path: path.to_path_buf(),
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut secret = [0u8; 32];
                getrandom::getrandom(&mut secret).map_err(|e| err(e.to_string()))?;
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
                }
                let tmp = path.with_extension("tmp");
                {
                    use std::io::Write;
                    let mut o = std::fs::OpenOptions::new();
                    o.write(true).create_new(true);
                    #[cfg(unix)]
                    {
                        use std::os::unix::fs::OpenOptionsExt;
                        o.mode(0o600);
                    }
                    let _ = std::fs::remove_file(&tmp);
                    let mut f = o.open(&tmp).map_err(|e| err(e.to_string()))?;
                    f.write_all(format!("{}\n", hex(&secret)).as_bytes())
                        .map_err(|e| err(e.to_string()))?;
                    f.sync_all().map_err(|e| err(e.to_string()))?;
                }
                std::fs::rename(&tmp, path).map_err(|e| err(e.to_string()))?;
                Ok(Key {
                    signing: SigningKey::from_bytes(&secret),
                    path: path.to_path_buf(),
                })
            }
            Err(e) => Err(err(e.to_string())),
        }
    }

    /// The public key (hex).
    pub fn public_hex(&self) -> String {
        hex(self.signing.verifying_key().as_bytes())
    }

    pub fn sign(&self, msg: &[u8]) -> String {
        hex(&self.sign_bytes(msg))
    }

    /// The Ed25519 signature of `msg`, raw (64 bytes).
    pub fn sign_bytes(&self, msg: &[u8]) -> [u8; 64] {
        self.signing.sign(msg).to_bytes()
    }
}

/// Verify an Ed25519 signature (hex) over `msg` by `public` (hex).
pub fn verify_signature(public: &str, msg: &[u8], signature: &str) -> bool {
    let (Some(pk), Some(sig)) = (unhex(public), unhex(signature)) else {
        return false;
    };
    let (Ok(pk), Ok(sig)) = (<[u8; 32]>::try_from(pk), <[u8; 64]>::try_from(sig)) else {
        return false;
    };
    let Ok(vk) = VerifyingKey::from_bytes(&pk) else {
        return false;
    };
    vk.verify(msg, &Signature::from_bytes(&sig)).is_ok()
}

/// The ledger, in the lifecycle store's SQLite file.
pub struct Ledger {
    conn: Connection,
    path: PathBuf,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS ledger (
    seq        INTEGER PRIMARY KEY,
    time       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    patch      TEXT NOT NULL,
    project    TEXT NOT NULL,
    actor      TEXT NOT NULL,
    data       TEXT NOT NULL,
    prev       TEXT NOT NULL,
    key        TEXT NOT NULL,
    hash       TEXT NOT NULL,
    signature  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_by_patch ON ledger (patch, seq);
CREATE TRIGGER IF NOT EXISTS ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS ledger_no_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
";

/// The first record that does not verify, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyFailure {
    /// The position (1-based) of the record in storage order.
    pub position: usize,
    pub seq: i64,
    pub reason: String,
}

/// Result of `verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub records: usize,
    pub keys: Vec<String>,
    /// The hash of the last record (the ledger's head).
    pub head: String,
    pub failure: Option<VerifyFailure>,
}

impl Ledger {
    pub fn open(path: &Path) -> Result<Ledger, LedgerError> {
        let err = |source| LedgerError::Db {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            let _ = std::fs::create_dir_all(dir);
        }
        let conn = crate::state::connect(path).map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(Ledger {
            conn,
            path: path.to_path_buf(),
        })
    }

    fn err(&self, source: rusqlite::Error) -> LedgerError {
        LedgerError::Db {
            path: self.path.clone(),
            source,
        }
    }

    /// Append one signed record (in one transaction: the chain stays
    /// consistent under concurrent writers).
    #[allow(clippy::too_many_arguments)]
    pub fn append(
        &mut self,
        key: &Key,
        time: &str,
        kind: &str,
        patch: &str,
        project: &str,
        actor: &str,
        data: Value,
    ) -> Result<Record, LedgerError> {
        if !KINDS.contains(&kind) {
            return Err(LedgerError::Kind(kind.to_string()));
        }
        let path = self.path.clone();
        let err = |source| LedgerError::Db {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(err)?;
        let last: Option<(i64, String)> = tx
            .query_row(
                "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(err)?;
        let (seq, prev) = match last {
            Some((s, h)) => (s + 1, h),
            None => (1, GENESIS.to_string()),
        };
        let mut rec = Record {
            seq,
            time: time.to_string(),
            kind: kind.to_string(),
            patch: patch.to_string(),
            project: project.to_string(),
            actor: actor.to_string(),
            data,
            prev,
            key: key.public_hex(),
            hash: String::new(),
            signature: String::new(),
        };
        rec.hash = record_hash(&rec);
        rec.signature = key.sign(rec.hash.as_bytes());
        tx.execute(
            "INSERT INTO ledger (seq, time, kind, patch, project, actor, data, prev, key, hash, signature)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                rec.seq,
                rec.time,
                rec.kind,
                rec.patch,
                rec.project,
                rec.actor,
                canonical(&rec.data),
                rec.prev,
                rec.key,
                rec.hash,
                rec.signature
            ],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(rec)
    }

    /// Every record in storage order (rowid), as stored.
    pub fn records(&self) -> Result<Vec<Record>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT seq, time, kind, patch, project, actor, data, prev, key, hash, signature
                 FROM ledger ORDER BY rowid",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, String>(9)?,
                    r.get::<_, String>(10)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, time, kind, patch, project, actor, data, prev, key, hash, signature) =
                row.map_err(|e| self.err(e))?;
            let data: Value = serde_json::from_str(&data).map_err(|e| LedgerError::Corrupt {
                seq,
                reason: format!("data is not JSON: {e}"),
            })?;
            out.push(Record {
                seq,
                time,
                kind,
                patch,
                project,
                actor,
                data,
                prev,
                key,
                hash,
                signature,
            });
        }
        Ok(out)
    }

    /// The records of one patch, in order.
    pub fn patch(&self, patch: &str) -> Result<Vec<Record>, LedgerError> {
        Ok(self
            .records()?
            .into_iter()
            .filter(|r| r.patch == patch)
            .collect())
    }

    /// Check every hash, link, sequence number and signature; name the
    /// first record that fails. `trusted`: public keys (hex) allowed to
    /// sign; empty means every key that signed is reported and accepted.
    pub fn verify(&self, trusted: &[String]) -> Result<Verification, LedgerError> {
        let records = match self.records() {
            Ok(r) => r,
            Err(LedgerError::Corrupt { seq, reason }) => {
                return Ok(Verification {
                    records: 0,
                    keys: vec![],
                    head: String::new(),
                    failure: Some(VerifyFailure {
                        position: 0,
                        seq,
                        reason,
                    }),
                });
            }
            Err(e) => return Err(e),
        };
        Ok(verify_records(&records, trusted))
    }
}

/// Verify a sequence of records (as stored or as exported).
pub fn verify_records(records: &[Record], trusted: &[String]) -> Verification {
    let mut keys: Vec<String> = Vec::new();
    let mut prev = GENESIS.to_string();
    let mut failure = None;
    for (i, r) in records.iter().enumerate() {
        let fail = |reason: String| VerifyFailure {
            position: i + 1,
            seq: r.seq,
            reason,
        };
        let expected_seq = i as i64 + 1;
        let computed = record_hash(r);
        let reason = if computed != r.hash {
            Some(format!(
                "record {} was modified: its content hashes to {}…, not the stored {}…",
                r.seq,
                &computed[..12],
                r.hash.get(..12).unwrap_or(&r.hash)
            ))
        } else if r.prev != prev {
            Some(if r.seq > expected_seq {
                format!(
                    "record {} follows record {}: record(s) {}..{} were deleted",
                    r.seq,
                    expected_seq - 1,
                    expected_seq,
                    r.seq - 1
                )
            } else if r.seq < expected_seq {
                format!(
                    "record {} appears at position {}: records were reordered or duplicated",
                    r.seq,
                    i + 1
                )
            } else {
                format!(
                    "record {} does not link to the record before it: a record was inserted, deleted or reordered here",
                    r.seq
                )
            })
        } else if r.seq != expected_seq {
            Some(format!(
                "record at position {} has sequence number {}",
                i + 1,
                r.seq
            ))
        } else if !verify_signature(&r.key, r.hash.as_bytes(), &r.signature) {
            Some(format!("record {} has an invalid signature", r.seq))
        } else if !trusted.is_empty() && !trusted.contains(&r.key) {
            Some(format!(
                "record {} is signed by an untrusted key {}…",
                r.seq,
                r.key.get(..16).unwrap_or(&r.key)
            ))
        } else {
            None
        };
        if let Some(reason) = reason {
            failure = Some(fail(reason));
            break;
        }
        if !keys.contains(&r.key) {
            keys.push(r.key.clone());
        }
        prev = r.hash.clone();
    }
    Verification {
        records: records.len(),
        keys,
        head: records.last().map(|r| r.hash.clone()).unwrap_or_default(),
        failure,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_sorts_keys_recursively() {
        let v = serde_json::json!({"b": 1, "a": {"d": [1, {"z": 1, "y": 2}], "c": "x"}});
        assert_eq!(
            canonical(&v),
            r#"{"a":{"c":"x","d":[1,{"y":2,"z":1}]},"b":1}"#
        );
    }

    #[test]
    fn signatures_round_trip() {
        let d = tempfile::tempdir().unwrap();
        let k = Key::load_or_create(&d.path().join("k/key")).unwrap();
        let again = Key::load_or_create(&d.path().join("k/key")).unwrap();
        assert_eq!(k.public_hex(), again.public_hex());
        let s = k.sign(b"hello");
        assert!(verify_signature(&k.public_hex(), b"hello", &s));
        assert!(!verify_signature(&k.public_hex(), b"hellO", &s));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(d.path().join("k/key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
