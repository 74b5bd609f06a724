//! in-toto Statement v1 per patch, in a DSSE envelope signed with the
//! ledger key (docs/ledger.md, "in-toto statements").
//!
//! - `subject`: the packages the patch changed, each named by its purl at
//!   the new version. Digest: `{"gitCommit": <commit>}` when the `applied`
//!   record names the commit (40 or 64 hex digits), the commit being the
//!   artifact that carries the change; otherwise `{"sha256": <SHA-256 of
//!   the canonical JSON of the change object as recorded>}`. One algorithm
//!   per subject: the two digests would identify different artifacts, and
//!   in-toto treats the entries of a digest set as alternatives.
//!   Subjects come from the last `applied` record with changes, else from
//!   the last `planned` one; a patch with neither has no subject and no
//!   statement.
//! - `predicateType`: [`PREDICATE_TYPE`]; the predicate summarises the
//!   patch's records: the vulnerabilities and findings it fixes, the
//!   changes, approvals, tests, deployments (promoted, verified,
//!   rolled-back), and the ledger records (seq, kind, time, hash) with the
//!   ledger's head and verification result, so that the statement can be
//!   checked against the ledger.
//! - Envelope: DSSE v1, `payloadType` [`PAYLOAD_TYPE`], the payload is the
//!   statement's canonical JSON, the signature is Ed25519 over
//!   [`pae`]`(payloadType, payload)`, `keyid` the public key (hex; a hint
//!   only: [`verify_envelope`] never trusts it).

use std::collections::BTreeSet;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::ledger::{Key, Record, canonical, verify_signature};
use crate::remediation::{analyze, parse_time, str_field, strings};

pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
pub const PREDICATE_TYPE: &str = "https://patchloop.dev/patch/v1";
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

#[derive(Debug, thiserror::Error)]
pub enum IntotoError {
    #[error("no ledger record for patch {0}")]
    NoPatch(String),
    #[error(
        "patch {0} has no applied (or planned) record listing changes: an in-toto statement needs a subject"
    )]
    NoSubject(String),
    #[error("not a valid envelope: {0}")]
    Envelope(String),
    #[error("no signature of the envelope verifies with key {0}")]
    Signature(String),
}

/// A DSSE envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// Base64 (standard, padded) of the serialized statement.
    pub payload: String,
    pub signatures: Vec<EnvelopeSignature>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    #[serde(default)]
    pub keyid: String,
    /// Base64 of the raw signature.
    pub sig: String,
}

/// DSSE pre-authentication encoding:
/// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII
/// decimal bytes.
pub fn pae(payload_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn is_git_hash(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn rec_ref(r: &Record) -> Value {
    json!({"seq": r.seq, "kind": r.kind, "time": r.time, "actor": r.actor, "hash": r.hash})
}

/// The in-toto statement for `patch`, from the whole ledger (`records`, in
/// storage order). A function of the records only.
pub fn statement(records: &[Record], patch: &str) -> Result<Value, IntotoError> {
    let own: Vec<&Record> = records.iter().filter(|r| r.patch == patch).collect();
    let Some(first) = own.first() else {
        return Err(IntotoError::NoPatch(patch.to_string()));
    };
    let project = first.project.clone();
    // "Now" = the last record: everything recorded is in.
    let now = records
        .iter()
        .filter_map(|r| parse_time(&r.time))
        .max()
        .unwrap_or(0);
    let analysis = analyze(records, Some(&project), now);
    let timeline = analysis.patches.iter().find(|p| p.patch == patch);
    let findings: Vec<&crate::remediation::Finding> = analysis
        .findings
        .iter()
        .filter(|f| timeline.is_some_and(|t| t.findings.contains(&f.key)))
        .collect();

    let source = own
        .iter()
        .rev()
        .find(|r| {
            r.kind == "applied"
                && r.data
                    .get("changes")
                    .and_then(Value::as_array)
                    .is_some_and(|c| !c.is_empty())
        })
        .or_else(|| {
            own.iter().rev().find(|r| {
                r.kind == "planned"
                    && r.data
                        .get("changes")
                        .and_then(Value::as_array)
                        .is_some_and(|c| !c.is_empty())
            })
        });
    let Some(source) = source else {
        return Err(IntotoError::NoSubject(patch.to_string()));
    };
    let changes: Vec<Value> = source
        .data
        .get("changes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let commit = str_field(&source.data, "commit")
        .filter(|c| source.kind == "applied" && is_git_hash(c))
        .map(str::to_ascii_lowercase);
    let mut seen = BTreeSet::new();
    let mut subject = Vec::new();
    for c in &changes {
        let Some(name) = subject_name(c, &findings) else {
            continue;
        };
        let digest = match &commit {
            Some(h) => json!({"gitCommit": h}),
            None => json!({"sha256": sha256_hex(canonical(c).as_bytes())}),
        };
        if seen.insert((name.clone(), canonical(&digest))) {
            subject.push(json!({"name": name, "digest": digest}));
        }
    }
    if subject.is_empty() {
        return Err(IntotoError::NoSubject(patch.to_string()));
    }

    let mut fixes = BTreeSet::new();
    for r in &own {
        fixes.extend(crate::remediation::fixed_ids(&r.data));
    }
    for f in &findings {
        fixes.extend(f.ids.iter().cloned());
    }
    let approvals: Vec<Value> = own
        .iter()
        .filter(|r| r.kind == "approved" || r.kind == "rejected")
        .map(|r| {
            json!({
                "decision": r.kind,
                "actor": r.actor,
                "time": r.time,
                "note": r.data.get("note").cloned().unwrap_or(Value::Null),
                "record": r.hash,
            })
        })
        .collect();
    let tests: Vec<Value> = own
        .iter()
        .filter(|r| r.kind == "tested")
        .map(|r| {
            let g = |k: &str| r.data.get(k).cloned().unwrap_or(Value::Null);
            json!({
                "outcome": g("outcome"),
                "command": g("command"),
                "durationSecs": g("duration_secs"),
                "logSha256": g("log_sha256"),
                "actor": r.actor,
                "time": r.time,
                "record": r.hash,
            })
        })
        .collect();
    let deployments: Vec<Value> = own
        .iter()
        .filter(|r| matches!(r.kind.as_str(), "promoted" | "verified" | "rolled-back"))
        .map(|r| {
            json!({
                "event": r.kind,
                "actor": r.actor,
                "time": r.time,
                "data": r.data,
                "record": r.hash,
            })
        })
        .collect();
    let mut keys: Vec<&str> = own.iter().map(|r| r.key.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    let applied = own.iter().rev().find(|r| r.kind == "applied");
    let predicate = json!({
        "patch": patch,
        "project": project,
        "status": own.last().map(|r| r.kind.clone()),
        "fixes": fixes,
        "findings": findings.iter().map(|f| json!({
            "key": f.key,
            "ids": f.ids,
            "purl": f.purl,
            "priority": f.priority,
            "severity": f.severity,
            "due": f.due,
            "discovered": f.discovered,
            "remediated": f.remediated.as_ref().map(|r| r.time.clone()),
            "withinSla": f.remediated.as_ref().and_then(|r| r.within_sla),
            "record": f.discovered_hash,
        })).collect::<Vec<_>>(),
        "changes": changes,
        "branch": applied.and_then(|r| str_field(&r.data, "branch")),
        "commit": applied.and_then(|r| str_field(&r.data, "commit")),
        "approvals": approvals,
        "tests": tests,
        "testOutcome": own.iter().rev().find(|r| r.kind == "tested").and_then(|r| str_field(&r.data, "outcome")),
        "deployments": deployments,
        "ledger": {
            "records": own.iter().map(|r| rec_ref(r)).collect::<Vec<_>>(),
            "findingRecords": findings.iter().map(|f| json!({"seq": f.discovered_seq, "hash": f.discovered_hash})).collect::<Vec<_>>(),
            "head": analysis.ledger.head,
            "verified": analysis.ledger.verified,
            "keys": keys,
        },
    });
    Ok(json!({
        "_type": STATEMENT_TYPE,
        "subject": subject,
        "predicateType": PREDICATE_TYPE,
        "predicate": predicate,
    }))
}

/// A change's package at its new version, as a purl.
fn subject_name(c: &Value, findings: &[&crate::remediation::Finding]) -> Option<String> {
    let package = str_field(c, "package")?;
    let to = str_field(c, "to")?;
    let eco = str_field(c, "ecosystem").map(str::to_string).or_else(|| {
        findings
            .iter()
            .find(|f| f.package == package && !f.ecosystem.is_empty())
            .map(|f| f.ecosystem.clone())
    })?;
    Some(patchloop_model::purl_for(
        &patchloop_model::Ecosystem::parse(&eco),
        package,
        to,
    ))
}

/// Sign a statement: a DSSE envelope over its canonical JSON.
pub fn sign(statement: &Value, key: &Key) -> Envelope {
    let body = canonical(statement);
    let sig = key.sign_bytes(&pae(PAYLOAD_TYPE, body.as_bytes()));
    let b64 = base64::engine::general_purpose::STANDARD;
    Envelope {
        payload_type: PAYLOAD_TYPE.to_string(),
        payload: b64.encode(body.as_bytes()),
        signatures: vec![EnvelopeSignature {
            keyid: key.public_hex(),
            sig: b64.encode(sig),
        }],
    }
}

/// The signed statement of `patch` (see [`statement`]).
pub fn envelope(records: &[Record], patch: &str, key: &Key) -> Result<Envelope, IntotoError> {
    Ok(sign(&statement(records, patch)?, key))
}

fn decode(s: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};
    STANDARD.decode(s).or_else(|_| URL_SAFE.decode(s)).ok()
}

/// Check an envelope: its payload type is in-toto, one of its signatures
/// verifies over the PAE with `public_key_hex` (the `keyid` is ignored),
/// and the payload is an in-toto Statement v1. Returns the statement.
pub fn verify_envelope(envelope: &Envelope, public_key_hex: &str) -> Result<Value, IntotoError> {
    if envelope.payload_type != PAYLOAD_TYPE {
        return Err(IntotoError::Envelope(format!(
            "payloadType is {:?}, not {PAYLOAD_TYPE}",
            envelope.payload_type
        )));
    }
    let body = decode(&envelope.payload)
        .ok_or_else(|| IntotoError::Envelope("payload is not base64".into()))?;
    let msg = pae(&envelope.payload_type, &body);
    let key = public_key_hex.trim().to_ascii_lowercase();
    let ok = envelope
        .signatures
        .iter()
        .any(|s| decode(&s.sig).is_some_and(|sig| verify_signature(&key, &msg, &hex(&sig))));
    if !ok {
        return Err(IntotoError::Signature(key));
    }
    let v: Value = serde_json::from_slice(&body)
        .map_err(|e| IntotoError::Envelope(format!("payload is not JSON: {e}")))?;
    if v.get("_type").and_then(Value::as_str) != Some(STATEMENT_TYPE) {
        return Err(IntotoError::Envelope(format!(
            "payload is not an in-toto statement ({STATEMENT_TYPE})"
        )));
    }
    if strings(v.get("predicateType")).is_empty() {
        return Err(IntotoError::Envelope(
            "statement without predicateType".into(),
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_definition() {
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
    }
}
