//! Turning the bytes of one OSV record into what the store writes: the
//! parsed index fields plus the original bytes, compressed.

use patchloop_model::{Advisory, Ecosystem};
use std::cell::RefCell;

use crate::normalize::{ecosystem_key, name_key};
use crate::timefmt::parse_us;

/// Longest summary kept in the index column (the full text stays in the
/// raw record).
pub const SUMMARY_MAX: usize = 1024;
/// Longest id accepted.
pub const ID_MAX: usize = 256;

/// One `affected` package entry as indexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AffectedKey {
    /// Full OSV ecosystem string (`PyPI`, `Debian:12`).
    pub ecosystem: String,
    pub name: String,
    /// Normalized name ([`crate::normalize::name_key`]).
    pub name_key: String,
    pub purl: Option<String>,
    /// What [`crate::AdvisoryStore::affected_for_package`] returns of the
    /// `affected` entry ([`match_part`]), compact JSON, packed ([`pack`]).
    pub entry: Vec<u8>,
}

/// An OSV record ready to be written.
#[derive(Debug, Clone)]
pub struct PreparedAdvisory {
    pub id: String,
    pub modified: String,
    pub modified_us: i64,
    pub published: Option<String>,
    pub withdrawn: Option<String>,
    pub summary: Option<String>,
    /// Ecosystem of the first affected package (`""` when none).
    pub ecosystem: String,
    /// `osv/<ecosystem>` for synced records, `import` for imports.
    pub source: String,
    /// File (and zip entry) or URL it was read from.
    pub origin: String,
    /// The original bytes, as stored ([`pack`]).
    pub raw_zstd: Vec<u8>,
    pub raw_len: usize,
    /// The record's [`Advisory::head`] as stored ([`pack`]): what a scan
    /// reads of it.
    pub head: Vec<u8>,
    pub affected: Vec<AffectedKey>,
    /// Other ids of the same vulnerability (deduplicated, without `id`).
    pub aliases: Vec<String>,
}

/// Parse and index one record. The error is the reason it is skipped.
pub fn prepare(
    bytes: &[u8],
    source: &str,
    origin: &str,
    max_bytes: u64,
) -> Result<PreparedAdvisory, String> {
    if bytes.len() as u64 > max_bytes {
        return Err(format!(
            "record is {} bytes, over the limit of {max_bytes}",
            bytes.len()
        ));
    }
    let adv: Advisory =
        serde_json::from_slice(bytes).map_err(|e| format!("invalid OSV record: {e}"))?;
    let id = adv.id.trim();
    if id.is_empty() {
        return Err("record has an empty `id`".into());
    }
    if id.len() > ID_MAX || id.chars().any(char::is_control) {
        return Err(format!(
            "record id {:?} is not a usable id (too long or control characters)",
            truncate(id, 64)
        ));
    }
    let modified_us = parse_us(&adv.modified).ok_or_else(|| {
        if adv.modified.is_empty() {
            format!("{id}: required field `modified` is missing")
        } else {
            format!(
                "{id}: `modified` {:?} is not a timestamp",
                truncate(&adv.modified, 64)
            )
        }
    })?;
    let mut affected = Vec::with_capacity(adv.affected.len());
    for a in &adv.affected {
        let Some(p) = &a.package else { continue };
        // A package named only by its purl is indexed under the purl's
        // ecosystem and name (the ecosystem's spelling: `group:artifact`
        // for Maven, `vendor/name` for Composer, ...).
        let from_purl;
        let (eco, name): (&Ecosystem, &str) = if p.name.trim().is_empty() {
            match p.purl.as_deref().map(patchloop_model::parse_purl) {
                Some(Ok(parts)) => {
                    from_purl = parts;
                    let eco = if p.ecosystem.to_string().is_empty() {
                        &from_purl.ecosystem
                    } else {
                        &p.ecosystem
                    };
                    (eco, from_purl.name.as_str())
                }
                _ => continue,
            }
        } else {
            (&p.ecosystem, p.name.as_str())
        };
        affected.push(AffectedKey {
            ecosystem: ecosystem_key(eco),
            name: name.to_string(),
            name_key: name_key(eco, name).into_owned(),
            purl: p.purl.clone(),
            entry: pack(&serde_json::to_vec(&match_part(a)).map_err(|e| format!("{id}: {e}"))?),
        });
    }
    let mut aliases: Vec<String> = adv
        .aliases
        .iter()
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty() && a != id && a.len() <= ID_MAX)
        .collect();
    aliases.sort();
    aliases.dedup();
    let ecosystem = adv
        .affected
        .iter()
        .find_map(|a| a.package.as_ref())
        .map(|p| ecosystem_key(&p.ecosystem))
        .unwrap_or_default();
    Ok(PreparedAdvisory {
        id: id.to_string(),
        modified: adv.modified.clone(),
        modified_us,
        published: adv.published.clone(),
        withdrawn: adv
            .is_withdrawn()
            .then(|| adv.withdrawn.clone().unwrap_or_default()),
        summary: adv
            .summary
            .as_deref()
            .map(|s| truncate(s, SUMMARY_MAX).to_string()),
        ecosystem,
        source: source.to_string(),
        origin: origin.to_string(),
        raw_zstd: pack(bytes),
        raw_len: bytes.len(),
        head: pack(&serde_json::to_vec(&adv.head()).map_err(|e| format!("{id}: {e}"))?),
        affected,
        aliases,
    })
}

/// What the store keeps of an `affected` entry for package lookups: what
/// matching and fix planning read (the package, ranges, versions and
/// RustSec's `database_specific.informational`). The rest stays in the
/// whole record. RustSec's entries carry `affects.functions` lists, CVSS
/// vectors and categories; skipping them when decoding was a quarter of a
/// lookup's JSON work.
pub fn match_part(a: &patchloop_model::Affected) -> patchloop_model::Affected {
    patchloop_model::Affected {
        package: a.package.clone(),
        severity: Vec::new(),
        ranges: a.ranges.clone(),
        versions: a.versions.clone(),
        ecosystem_specific: None,
        database_specific: informational_only(
            a.database_specific
                .as_ref()
                .and_then(|d| d.get("informational"))
                .cloned(),
        ),
    }
}

/// The `database_specific` a lookup keeps of an entry: RustSec's
/// `informational` kind alone, when it is set.
pub(crate) fn informational_only(v: Option<serde_json::Value>) -> Option<serde_json::Value> {
    v.filter(|v| !v.is_null())
        .map(|v| serde_json::json!({ "informational": v }))
}

/// Below this size a stored record or entry is kept as plain JSON: zstd
/// saves about a third on such small documents but costs a table setup
/// per frame on every read, which dominated `scan`'s store lookups
/// (docs/performance.md, "Scan").
const PLAIN_MAX: usize = 1024;

/// zstd frames start with this magic; stored JSON starts with `{`.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// What is stored for a record or an affected entry: the JSON itself
/// when it is small or does not compress by at least a quarter, else a
/// zstd frame ([`compress`]). [`unpack`] tells them apart by the first
/// bytes.
pub fn pack(json: &[u8]) -> Vec<u8> {
    if json.len() <= PLAIN_MAX {
        return json.to_vec();
    }
    let z = compress(json);
    if z.is_empty() || z.len() * 4 > json.len() * 3 {
        json.to_vec()
    } else {
        z
    }
}

/// The JSON of what [`pack`] stored (older stores hold zstd frames only;
/// both read the same).
pub fn unpack(stored: &[u8], len_hint: usize) -> std::io::Result<std::borrow::Cow<'_, [u8]>> {
    if stored.starts_with(&ZSTD_MAGIC) {
        return decompress(stored, len_hint).map(std::borrow::Cow::Owned);
    }
    match stored.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{' | b'[') => Ok(std::borrow::Cow::Borrowed(stored)),
        _ => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stored value is neither JSON nor a zstd frame",
        )),
    }
}

/// Compress a stored record or entry: a zstd frame (with its content
/// size). The compression context is reused per thread; zstd sizes its
/// tables to the input, so small records cost little to set up (deflate
/// implementations clear 64–256 KiB of tables per call, which dominated
/// import time: see docs/performance.md).
pub fn compress(bytes: &[u8]) -> Vec<u8> {
    thread_local! {
        static COMPRESSOR: RefCell<Option<zstd::bulk::Compressor<'static>>> =
            RefCell::new(zstd::bulk::Compressor::new(LEVEL).ok());
    }
    COMPRESSOR
        .with(|c| c.borrow_mut().as_mut().and_then(|c| c.compress(bytes).ok()))
        .or_else(|| zstd::bulk::compress(bytes, LEVEL).ok())
        .unwrap_or_default()
}

/// zstd level for stored records (see docs/performance.md).
const LEVEL: i32 = 3;

/// Decompress what [`compress`] made. `len_hint` is the expected size
/// (the frame's own content size is used when present).
pub fn decompress(bytes: &[u8], len_hint: usize) -> std::io::Result<Vec<u8>> {
    thread_local! {
        static DECOMPRESSOR: RefCell<Option<zstd::bulk::Decompressor<'static>>> =
            RefCell::new(zstd::bulk::Decompressor::new().ok());
    }
    let size = match zstd::zstd_safe::get_frame_content_size(bytes) {
        Ok(Some(n)) if n <= MAX_DECOMPRESSED => n as usize,
        Ok(Some(n)) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("stored frame claims {n} bytes"),
            ));
        }
        _ => len_hint.max(1 << 16),
    };
    DECOMPRESSOR.with(|d| match d.borrow_mut().as_mut() {
        Some(d) => d.decompress(bytes, size),
        None => zstd::bulk::decompress(bytes, size),
    })
}

/// Largest decompressed size accepted from the store.
const MAX_DECOMPRESSED: u64 = 1 << 31;

/// Cut `s` to at most `max` bytes at a character boundary.
pub fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepares_and_round_trips() {
        let j = br#"{"id":"GHSA-x","modified":"2024-01-02T03:04:05Z","aliases":["CVE-1","GHSA-x","CVE-1"],
            "affected":[{"package":{"ecosystem":"PyPI","name":"Django_Rest"},"versions":["1.0"]},
                        {"ranges":[{"type":"GIT","repo":"r","events":[{"introduced":"0"}]}]}],
            "summary":"s"}"#;
        let p = prepare(j, "import", "f.json", 1 << 20).unwrap();
        assert_eq!(p.aliases, vec!["CVE-1"]);
        assert_eq!(p.affected.len(), 1);
        assert_eq!(p.affected[0].name_key, "django-rest");
        assert_eq!(p.ecosystem, "PyPI");
        // Small: kept as it is.
        assert_eq!(p.raw_zstd, j.to_vec());
        assert_eq!(unpack(&p.raw_zstd, p.raw_len).unwrap().as_ref(), j);
        let head: Advisory = serde_json::from_slice(&unpack(&p.head, 0).unwrap()).unwrap();
        assert_eq!(head.summary.as_deref(), Some("s"));
        assert!(head.affected.is_empty());
        // Large and repetitive: compressed, and read back the same.
        let big = serde_json::to_vec(&serde_json::json!({
            "id": "X", "modified": "2024-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "npm", "name": "a"},
                          "versions": (0..500).map(|i| format!("1.0.{i}")).collect::<Vec<_>>()}]
        }))
        .unwrap();
        let packed = pack(&big);
        assert!(packed.starts_with(&ZSTD_MAGIC) && packed.len() < big.len() / 2);
        assert_eq!(unpack(&packed, 0).unwrap().as_ref(), &big[..]);
        // Incompressible: kept as it is.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let noise: Vec<u8> = std::iter::once(b'{')
            .chain((0..4000).map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 56) as u8
            }))
            .collect();
        assert!(
            pack(&noise) == noise,
            "incompressible input was not kept as is"
        );
        assert!(unpack(b"garbage", 0).is_err());
        // Reused state: many records in a row, big and small, round-trip.
        for n in [0usize, 1, 100, 70_000, 3, 1 << 20] {
            let data: Vec<u8> = (0..n).map(|i| (i % 251) as u8 ^ (i / 7) as u8).collect();
            let c = compress(&data);
            assert_eq!(decompress(&c, 0).unwrap(), data, "{n}");
            assert_eq!(decompress(&c, n).unwrap(), data, "{n}");
        }
        assert!(decompress(&compress(b"hello world hello world")[..5], 0).is_err());
    }

    #[test]
    fn rejects_with_reasons() {
        assert!(prepare(b"{}", "i", "o", 100).unwrap_err().contains("id"));
        assert!(
            prepare(br#"{"id":"X"}"#, "i", "o", 100)
                .unwrap_err()
                .contains("modified")
        );
        assert!(prepare(b"\xff\xfe", "i", "o", 100).is_err());
        assert!(prepare(br#"{"id":"X","summary":"\ud800"}"#, "i", "o", 100).is_err());
        assert!(
            prepare(&[b' '; 200], "i", "o", 100)
                .unwrap_err()
                .contains("limit")
        );
        let long = truncate("ééé", 3);
        assert_eq!(long, "é");
    }

    #[test]
    fn purl_only_packages_are_indexed_by_the_purl() {
        let j = r#"{"id":"X-9","modified":"2024-01-01T00:00:00Z","affected":[
            {"package":{"ecosystem":"Maven","name":"","purl":"pkg:maven/org.apache.commons/commons-text"},
             "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"1.5"},{"fixed":"1.10.0"}]}]},
            {"package":{"ecosystem":"PyPI","name":"","purl":"not a purl"}}]}"#;
        let p = prepare(j.as_bytes(), "import", "f.json", 1 << 20).unwrap();
        assert_eq!(p.affected.len(), 1);
        assert_eq!(p.affected[0].ecosystem, "Maven");
        assert_eq!(p.affected[0].name_key, "org.apache.commons:commons-text");
    }
}
