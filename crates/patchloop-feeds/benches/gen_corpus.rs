//! A generator of realistic synthetic OSV records, for the scale benchmark
//! (500,000 records), the kill-mid-import test and the lookup benchmark.
//!
//! The mix follows the public OSV data: ecosystem shares close to the
//! osv.dev bucket, a few packages with many advisories and a long tail
//! (log-uniform popularity), CVE and GHSA aliases, 300–2,000 characters of
//! details, CVSS vectors, ECOSYSTEM/SEMVER ranges, explicit version lists
//! on a fifth of the entries, references and database_specific. Output is
//! deterministic for a given seed. Used as a module by
//! `examples/gen_corpus.rs`, `benches/lookup.rs` and the CLI tests.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;

/// xorshift64*: small, deterministic, good enough for test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

/// (ecosystem, id prefix, share in percent, distinct packages)
pub const ECOSYSTEMS: &[(&str, &str, u64, u64)] = &[
    ("npm", "GHSA", 30, 40_000),
    ("PyPI", "PYSEC", 12, 12_000),
    ("Maven", "GHSA", 12, 15_000),
    ("Go", "GO", 10, 8_000),
    ("Debian:12", "DSA", 10, 6_000),
    ("Ubuntu:22.04:LTS", "UBUNTU-CVE", 8, 6_000),
    ("Packagist", "GHSA", 5, 5_000),
    ("crates.io", "RUSTSEC", 3, 3_000),
    ("RubyGems", "GHSA", 3, 3_000),
    ("NuGet", "GHSA", 3, 3_000),
    ("Alpine:v3.20", "ALPINE-CVE", 2, 2_000),
    ("Hex", "GHSA", 1, 800),
    ("Pub", "GHSA", 1, 800),
];

const WORDS: &[&str] = &[
    "a",
    "the",
    "in",
    "of",
    "allows",
    "remote",
    "attackers",
    "to",
    "cause",
    "denial",
    "service",
    "via",
    "crafted",
    "request",
    "buffer",
    "overflow",
    "when",
    "parsing",
    "input",
    "headers",
    "memory",
    "exhaustion",
    "arbitrary",
    "code",
    "execution",
    "cross-site",
    "scripting",
    "path",
    "traversal",
    "prototype",
    "pollution",
    "deserialization",
    "untrusted",
    "data",
    "function",
    "versions",
    "prior",
    "affected",
    "users",
    "should",
    "upgrade",
    "patched",
    "release",
    "issue",
    "vulnerability",
    "library",
    "package",
    "server",
    "client",
    "validation",
    "missing",
    "improper",
];

const REF_TYPES: &[&str] = &["ADVISORY", "WEB", "FIX", "PACKAGE", "REPORT", "ARTICLE"];
const SEVERITIES: &[&str] = &["LOW", "MODERATE", "HIGH", "CRITICAL"];

fn sentence(r: &mut Rng, min_chars: usize) -> String {
    let mut s = String::with_capacity(min_chars + 16);
    while s.len() < min_chars {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(r.pick(WORDS));
    }
    s
}

fn date(r: &mut Rng, from_year: u64) -> (u64, String) {
    let y = from_year + r.below(2026 - from_year);
    let m = 1 + r.below(12);
    let d = 1 + r.below(28);
    let (h, mi, s) = (r.below(24), r.below(60), r.below(60));
    (y, format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"))
}

fn package_name(r: &mut Rng, eco: &str, pool: u64) -> String {
    // Log-uniform rank: a few packages get many advisories.
    let rank = ((pool as f64).powf(r.f64()) as u64).min(pool - 1);
    match eco {
        "Maven" => format!("org.example{}:artifact-{rank}", rank % 97),
        "Go" => format!("github.com/org{}/module-{rank}", rank % 211),
        "Packagist" => format!("vendor{}/package-{rank}", rank % 89),
        "NuGet" => format!("Example.Package{rank}"),
        _ => format!("package-{rank}"),
    }
}

fn version(r: &mut Rng) -> String {
    format!("{}.{}.{}", r.below(12), r.below(30), r.below(20))
}

/// Record number `i` of the corpus with this seed: (ecosystem, id, JSON).
pub fn record(seed: u64, i: u64) -> (&'static str, String, Vec<u8>) {
    let mut r = Rng::new(seed ^ i.wrapping_mul(0x5851_F42D_4C95_7F2D));
    let mut pick = r.below(100);
    let mut eco = ECOSYSTEMS[0];
    for e in ECOSYSTEMS {
        if pick < e.2 {
            eco = *e;
            break;
        }
        pick -= e.2;
    }
    let (name, prefix, _, pool) = eco;
    let (year, published) = date(&mut r, 2015);
    let (_, mut modified) = date(&mut r, year);
    if modified < published {
        modified = published.clone();
    }
    let id = if prefix == "GHSA" {
        let a = |r: &mut Rng| {
            (0..4)
                .map(|_| b"23456789cfghjmpqrvwx"[r.below(20) as usize] as char)
                .collect::<String>()
        };
        let (x, y) = (a(&mut r), a(&mut r));
        format!("GHSA-{x}-{y}-{i:05x}")
    } else {
        format!("{prefix}-{year}-{i}")
    };
    let mut aliases = Vec::new();
    if r.chance(0.8) {
        aliases.push(format!("CVE-{year}-{}", 10_000 + i));
    }
    if prefix != "GHSA" && r.chance(0.5) {
        aliases.push(format!("GHSA-x{i}-alias"));
    }
    let mut affected = Vec::new();
    for _ in 0..1 + r.below(3) * u64::from(r.chance(0.3)) {
        let pkg = package_name(&mut r, name, pool);
        let kind = if matches!(name, "Go" | "crates.io") {
            "SEMVER"
        } else {
            "ECOSYSTEM"
        };
        let intro = if r.chance(0.5) {
            "0".to_string()
        } else {
            version(&mut r)
        };
        let mut events = vec![serde_json::json!({"introduced": intro})];
        if r.chance(0.9) {
            events.push(serde_json::json!({"fixed": version(&mut r)}));
        }
        let mut a = serde_json::json!({
            "package": {"ecosystem": name, "name": pkg, "purl": format!("pkg:generic/{pkg}")},
            "ranges": [{"type": kind, "events": events}],
            "database_specific": {"source": format!("https://example.invalid/{id}.json")},
        });
        if r.chance(0.2) {
            let n = 5 + r.below(55);
            a["versions"] = (0..n).map(|_| version(&mut r)).collect::<Vec<_>>().into();
        }
        affected.push(a);
    }
    let details_len = 300 + r.below(1700) as usize;
    let summary_len = 40 + r.below(60) as usize;
    let mut v = serde_json::json!({
        "schema_version": "1.6.0",
        "id": id,
        "modified": modified,
        "published": published,
        "aliases": aliases,
        "summary": sentence(&mut r, summary_len),
        "details": sentence(&mut r, details_len),
        "affected": affected,
        "references": (0..2 + r.below(5)).map(|k| serde_json::json!({
            "type": r.pick(REF_TYPES),
            "url": format!("https://example.invalid/{}/{id}/{k}", name.to_lowercase()),
        })).collect::<Vec<_>>(),
        "database_specific": {
            "severity": r.pick(SEVERITIES),
            "cwe_ids": [format!("CWE-{}", 20 + r.below(900))],
            "github_reviewed": r.chance(0.7),
        },
    });
    if r.chance(0.6) {
        v["severity"] = serde_json::json!([{
            "type": "CVSS_V3",
            "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        }]);
    }
    if r.chance(0.004) {
        v["withdrawn"] = modified.clone().into();
    }
    (name, id, serde_json::to_vec_pretty(&v).unwrap())
}

/// Write `n` records as per-ecosystem `<dir>/<ecosystem>/all.zip` exports.
/// Returns the number of records per ecosystem.
pub fn write_bucket(dir: &Path, n: u64, seed: u64) -> std::io::Result<Vec<(String, u64)>> {
    let mut writers: std::collections::BTreeMap<&str, (zip::ZipWriter<std::fs::File>, u64)> =
        Default::default();
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1));
    for i in 0..n {
        let (eco, id, json) = record(seed, i);
        if !writers.contains_key(eco) {
            let d = dir.join(eco);
            std::fs::create_dir_all(&d)?;
            let f = std::fs::File::create(d.join("all.zip"))?;
            writers.insert(eco, (zip::ZipWriter::new(f), 0));
        }
        let (w, c) = writers.get_mut(eco).unwrap();
        w.start_file(format!("{id}.json"), opts)
            .map_err(std::io::Error::other)?;
        w.write_all(&json)?;
        *c += 1;
    }
    let mut out = Vec::new();
    for (eco, (w, c)) in writers {
        w.finish().map_err(std::io::Error::other)?;
        out.push((eco.to_string(), c));
    }
    Ok(out)
}
