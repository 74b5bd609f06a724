//! Differential test: `patchloop_risk::cvss::scores` vs Red Hat's `cvss`
//! library 3.6 from PyPI (tests/reference/cvss_ref.py), over
//! - every CVSS vector in the shared OSV data (`osv/` and
//!   `osv-ghsa-sample/`: record and affected-entry `severity[]`),
//! - seeded random valid vectors, at least 10,000 distinct ones per
//!   version (v2.0, v3.0, v3.1, v4.0), many with temporal/threat,
//!   environmental and supplemental metrics, `X`/`ND` values included,
//! - hand-written invalid and edge vectors, plus seeded mutations of valid
//!   ones (metric dropped, repeated, bad value, wrong case, prefix changed,
//!   stray separators, reordered, ...).
//!
//! Compared: Ok/Err, version, base score, base rating, and for v2/v3 the
//! temporal and environmental scores, exactly (one decimal). Where the
//! library leaves a v2 temporal or environmental score undefined (no
//! metric of that group given), patchloop must give the score of the
//! previous stage (temporal = base, environmental = temporal), as its
//! documentation says. The one deliberate deviation (docs/cvss.md):
//! patchloop ignores whitespace around a vector; such vectors are checked
//! against the reference's answer for the trimmed vector.
//!
//! Reference missing (python3 or the `cvss` module): skipped with a
//! notice, or a failure under `CI=true` (install: .ci/install-refs-cvss).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use patchloop_model::SeverityLevel;
use patchloop_risk::cvss::{CvssScores, CvssVersion, scores};

const SEED: u64 = 0x00c7_55d1;
/// Distinct random valid vectors per CVSS version.
const PER_VERSION: usize = 12_000;
/// Seeded mutations of valid vectors per CVSS version.
const MUTATIONS: usize = 1_500;

/// `severity[]` entries of type CVSS_V2/V3/V4 in the shared data, records
/// and affected entries together, as measured: `osv/` (crates.io 360 V3 +
/// 57 V4, PyPI 202 V3, Go none) and `osv-ghsa-sample/` (96 V3 + 7 V4).
/// None sits in an affected entry and none is V2.
const OSV_VECTORS: usize = 619;
const GHSA_VECTORS: usize = 103;
/// The same 722 by version.
const OSV_BY_VERSION: [(&str, usize); 3] = [("v3.0", 45), ("v3.1", 613), ("v4.0", 64)];

/// splitmix64: tiny and deterministic.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

type Metrics = &'static [(&'static str, &'static [&'static str])];

const V2_BASE: Metrics = &[
    ("AV", &["L", "A", "N"]),
    ("AC", &["H", "M", "L"]),
    ("Au", &["M", "S", "N"]),
    ("C", &["N", "P", "C"]),
    ("I", &["N", "P", "C"]),
    ("A", &["N", "P", "C"]),
];
const V2_TEMPORAL: Metrics = &[
    ("E", &["U", "POC", "F", "H", "ND"]),
    ("RL", &["OF", "TF", "W", "U", "ND"]),
    ("RC", &["UC", "UR", "C", "ND"]),
];
const V2_ENV: Metrics = &[
    ("CDP", &["N", "L", "LM", "MH", "H", "ND"]),
    ("TD", &["N", "L", "M", "H", "ND"]),
    ("CR", &["L", "M", "H", "ND"]),
    ("IR", &["L", "M", "H", "ND"]),
    ("AR", &["L", "M", "H", "ND"]),
];
const V3_BASE: Metrics = &[
    ("AV", &["N", "A", "L", "P"]),
    ("AC", &["L", "H"]),
    ("PR", &["N", "L", "H"]),
    ("UI", &["N", "R"]),
    ("S", &["U", "C"]),
    ("C", &["H", "L", "N"]),
    ("I", &["H", "L", "N"]),
    ("A", &["H", "L", "N"]),
];
const V3_TEMPORAL: Metrics = &[
    ("E", &["X", "H", "F", "P", "U"]),
    ("RL", &["X", "U", "W", "T", "O"]),
    ("RC", &["X", "C", "R", "U"]),
];
const V3_ENV: Metrics = &[
    ("CR", &["X", "H", "M", "L"]),
    ("IR", &["X", "H", "M", "L"]),
    ("AR", &["X", "H", "M", "L"]),
    ("MAV", &["X", "N", "A", "L", "P"]),
    ("MAC", &["X", "L", "H"]),
    ("MPR", &["X", "N", "L", "H"]),
    ("MUI", &["X", "N", "R"]),
    ("MS", &["X", "U", "C"]),
    ("MC", &["X", "H", "L", "N"]),
    ("MI", &["X", "H", "L", "N"]),
    ("MA", &["X", "H", "L", "N"]),
];
const V4_BASE: Metrics = &[
    ("AV", &["N", "A", "L", "P"]),
    ("AC", &["L", "H"]),
    ("AT", &["N", "P"]),
    ("PR", &["N", "L", "H"]),
    ("UI", &["N", "P", "A"]),
    ("VC", &["H", "L", "N"]),
    ("VI", &["H", "L", "N"]),
    ("VA", &["H", "L", "N"]),
    ("SC", &["H", "L", "N"]),
    ("SI", &["H", "L", "N"]),
    ("SA", &["H", "L", "N"]),
];
const V4_THREAT: Metrics = &[("E", &["X", "A", "P", "U"])];
const V4_ENV: Metrics = &[
    ("CR", &["X", "H", "M", "L"]),
    ("IR", &["X", "H", "M", "L"]),
    ("AR", &["X", "H", "M", "L"]),
    ("MAV", &["X", "N", "A", "L", "P"]),
    ("MAC", &["X", "L", "H"]),
    ("MAT", &["X", "N", "P"]),
    ("MPR", &["X", "N", "L", "H"]),
    ("MUI", &["X", "N", "P", "A"]),
    ("MVC", &["X", "H", "L", "N"]),
    ("MVI", &["X", "H", "L", "N"]),
    ("MVA", &["X", "H", "L", "N"]),
    ("MSC", &["X", "H", "L", "N"]),
    ("MSI", &["X", "S", "H", "L", "N"]),
    ("MSA", &["X", "S", "H", "L", "N"]),
];
const V4_SUPPLEMENTAL: Metrics = &[
    ("S", &["X", "N", "P"]),
    ("AU", &["X", "N", "Y"]),
    ("R", &["X", "A", "U", "I"]),
    ("V", &["X", "D", "C"]),
    ("RE", &["X", "L", "M", "H"]),
    ("U", &["X", "Clear", "Green", "Amber", "Red"]),
];

/// All metrics of `base`; each optional group with probability
/// `group_pct`, and then each of its metrics with probability `metric_pct`.
/// Spec order.
fn gen_metrics(
    rng: &mut Rng,
    base: Metrics,
    optional: &[Metrics],
    group_pct: usize,
    metric_pct: usize,
) -> Vec<String> {
    let mut out: Vec<String> = base
        .iter()
        .map(|(k, vals)| format!("{k}:{}", rng.pick(vals)))
        .collect();
    for group in optional {
        if !rng.chance(group_pct) {
            continue;
        }
        for (k, vals) in group.iter() {
            if rng.chance(metric_pct) {
                out.push(format!("{k}:{}", rng.pick(vals)));
            }
        }
    }
    out
}

fn gen_v2(rng: &mut Rng) -> String {
    let body = gen_metrics(rng, V2_BASE, &[V2_TEMPORAL, V2_ENV], 50, 60).join("/");
    // The three notations in use: bare (OSV), NVD's parentheses, and the
    // `CVSS:2.0/` prefix some tools write.
    match rng.below(10) {
        0 => format!("({body})"),
        1 => format!("CVSS:2.0/{body}"),
        _ => body,
    }
}

fn gen_v3(rng: &mut Rng, minor: u8) -> String {
    let m = gen_metrics(rng, V3_BASE, &[V3_TEMPORAL, V3_ENV], 50, 50);
    format!("CVSS:3.{minor}/{}", m.join("/"))
}

fn gen_v4(rng: &mut Rng) -> String {
    let m = gen_metrics(rng, V4_BASE, &[V4_THREAT, V4_ENV, V4_SUPPLEMENTAL], 45, 40);
    format!("CVSS:4.0/{}", m.join("/"))
}

/// Number of metrics in a generated vector (prefix and parentheses aside).
fn metric_count(v: &str) -> usize {
    v.trim_start_matches('(')
        .split('/')
        .filter(|p| !p.starts_with("CVSS:"))
        .count()
}

/// `n` distinct vectors from the generator `g`.
fn distinct(rng: &mut Rng, n: usize, mut g: impl FnMut(&mut Rng) -> String) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(n);
    let mut tries = 0;
    while out.len() < n {
        tries += 1;
        assert!(tries < n * 20, "generator cannot make {n} distinct vectors");
        let v = g(rng);
        if seen.insert(v.clone()) {
            out.push(v);
        }
    }
    out
}

/// One random change that usually makes a valid vector invalid (or, for
/// reordering and `X` values, keeps it valid): both sides must agree.
fn mutate(rng: &mut Rng, v: &str) -> String {
    let (prefix, body) = match v.strip_prefix("CVSS:") {
        Some(rest) => {
            let (ver, body) = rest.split_once('/').unwrap();
            (format!("CVSS:{ver}/"), body.to_string())
        }
        None => (String::new(), v.to_string()),
    };
    let mut parts: Vec<String> = body.split('/').map(str::to_string).collect();
    let i = rng.below(parts.len());
    let junk = [
        "X", "ND", "", "Z", "n", "h", "NN", "0", "S", "M", "POC", "Clear", "clear", "RED", "A",
    ];
    match rng.below(14) {
        0 => {
            parts.remove(i);
        }
        1 => {
            let p = parts[i].clone();
            parts.push(p);
        }
        2 => {
            let (k, _) = parts[i].split_once(':').unwrap();
            parts[i] = format!("{k}:{}", rng.pick(&junk));
        }
        3 => parts[i] = parts[i].to_lowercase(),
        4 => {
            let (k, val) = parts[i].split_once(':').unwrap();
            parts[i] = format!("{}:{val}", k.to_lowercase());
        }
        5 => {
            let j = rng.below(parts.len());
            parts.swap(i, j);
        }
        6 => parts.insert(i, String::new()),
        7 => parts.insert(
            i,
            format!("{}:{}", rng.pick(&["ZZ", "CVSS", "M", "E"]), "X"),
        ),
        8 => parts[i] = parts[i].replace(':', ""),
        9 => parts[i] = format!("{}:X", parts[i]),
        10 => parts.reverse(),
        11 => {
            let other = rng.pick(&["", "CVSS:3.0/", "CVSS:3.1/", "CVSS:4.0/", "CVSS:2.0/"]);
            return format!("{other}{}", parts.join("/"));
        }
        12 => return format!("{prefix}{}/", parts.join("/")),
        _ => {
            let other = rng.pick(&["CVSS:3.2/", "CVSS:4.1/", "CVSS:3/", "cvss:3.1/", "CVSS3.1/"]);
            return format!("{other}{}", parts.join("/"));
        }
    }
    format!("{prefix}{}", parts.join("/"))
}

const V2_OK: &str = "AV:N/AC:L/Au:N/C:P/I:P/A:P";
const V3_OK: &str = "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
const V4_OK: &str = "AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";

/// Hand-written invalid and edge vectors.
fn edge_cases() -> Vec<String> {
    let mut out: Vec<String> = [
        "",
        " ",
        "garbage",
        "/",
        ":",
        "CVSS",
        "CVSS:",
        "CVSS:3.1",
        "CVSS:3.1/",
        "CVSS:4.0/",
        "CVSS:2.0/",
        "()",
        "AV:N",
        // missing metric
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",
        "CVSS:3.0/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N",
        "CVSS:4.0/AV:N/AC:L/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "AV:N/AC:L/Au:N/C:P/I:P",
        "AV:N/AC:L/C:P/I:P/A:P",
        "CVSS:3.1/E:F/RL:O/RC:C",
        // duplicate metric
        "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:H",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:F/E:F",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:X/E:X",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AV:L",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/SA:N",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A/E:A",
        "AV:N/AC:L/Au:N/C:P/I:P/A:P/AV:N",
        "AV:N/AC:L/Au:N/C:P/I:P/A:P/E:F/E:F",
        "CVSS:3.1/CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/CVSS:3.1",
        "CVSS:4.0/CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        // bad value
        "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:X/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:ND",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/MAV:X",
        "CVSS:3.1/AV:n/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/av:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/e:f",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ms:x",
        "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:POC",
        "CVSS:4.0/AV:X/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/MSI:S/MSA:S",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/MSC:S",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:clear",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:RED",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:Red",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:F",
        "CVSS:4.0/av:n/ac:l/at:n/pr:n/ui:n/vc:h/vi:h/va:h/sc:n/si:n/sa:n",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/RL:O",
        "AV:N/AC:L/Au:N/C:P/I:P/A:X",
        "AV:N/AC:L/Au:N/C:P/I:P/A:ND",
        "AV:N/AC:L/Au:N/C:P/I:P/A:P/E:X",
        "AV:N/AC:L/Au:N/C:P/I:P/A:P/E:P",
        "AV:N/AC:L/Au:N/C:P/I:P/A:P/CDP:M",
        "AV:N/AC:L/Au:N/C:P/I:P/A:P/MAV:N",
        "AV:n/AC:L/Au:N/C:P/I:P/A:P",
        "AV:N/AC:L/AU:N/C:P/I:P/A:P",
        "av:N/AC:L/Au:N/C:P/I:P/A:P",
        // wrong prefix / version
        "CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.10/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:4.1/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "CVSS:4/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "cvss:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1:AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:1.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",
        "CVSS:3.1/AV:N/AC:L/Au:N/C:P/I:P/A:P",
        "CVSS:4.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "CVSS:2.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "CVSS:3.1/(AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H)",
        // v2 wrappers
        "((AV:N/AC:L/Au:N/C:P/I:P/A:P))",
        "(AV:N/AC:L/Au:N/C:P/I:P/A:P",
        "AV:N/AC:L/Au:N/C:P/I:P/A:P)",
        "(CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P)",
        "CVSS:2.0/(AV:N/AC:L/Au:N/C:P/I:P/A:P)",
        "CVSS:2.0/CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",
        "(CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H)",
        "(CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N)",
        "(CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P/E:F/CDP:H)",
        "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P/CVSS:2.0",
        "(AV:N/AC:L/Au:N/C:P/I:P/A:P)(AV:N/AC:L/Au:N/C:P/I:P/A:P)",
        "( AV:N/AC:L/Au:N/C:P/I:P/A:P )",
        // separators
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/",
        "CVSS:3.1//AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N//AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV=N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N,AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/:",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:N",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/",
        "CVSS:4.0//AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "AV:N/AC:L/Au:N/C:P/I:P/A:P/",
        "/AV:N/AC:L/Au:N/C:P/I:P/A:P",
        "AV:N//AC:L/Au:N/C:P/I:P/A:P",
        "AV:N/AC:L/Au:N/C:P/I:P/A:P/ZZ:N",
        // not ASCII
        "CVSS:3.1/AV:Ｎ/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\u{200b}",
        "\u{feff}CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\0",
        // valid, unusual: any order, X everywhere, extremes
        "CVSS:3.1/A:H/I:H/C:H/S:U/UI:N/PR:N/AC:L/AV:N",
        "CVSS:3.1/E:F/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:X/RL:X/RC:X/CR:X/IR:X/AR:X/MAV:X/MAC:X/MPR:X/MUI:X/MS:X/MC:X/MI:X/MA:X",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:X/RL:X/RC:X/CR:X/IR:X/AR:X/MAV:X/MAC:X/MPR:X/MUI:X/MS:X/MC:X/MI:X/MA:X",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
        "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N",
        "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:C/C:N/I:N/A:N/MC:H",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/MC:N/MI:N/MA:N",
        "CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N",
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N",
        "CVSS:4.0/AC:L/AV:N/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/S:X/AU:X/R:X/V:X/RE:X/U:X",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:Red/E:A",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/CR:X/IR:X/AR:X/MAV:X/MAC:X/MAT:X/MPR:X/MUI:X/MVC:X/MVI:X/MVA:X/MSC:X/MSI:X/MSA:X",
        "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/MSI:S/MSA:S",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/MVC:H",
        "AV:N/AC:L/Au:N/C:C/I:C/A:C",
        "AV:L/AC:H/Au:M/C:N/I:N/A:N",
        "AV:L/AC:H/Au:M/C:N/I:N/A:N/CDP:H/TD:H",
        "AV:N/AC:L/Au:N/C:P/I:P/A:P/E:ND/RL:ND/RC:ND",
        "AV:N/AC:L/Au:N/C:P/I:P/A:P/CDP:ND/TD:ND/CR:ND/IR:ND/AR:ND",
        "A:P/I:P/C:P/Au:N/AC:L/AV:N",
        "CVSS:2.0/AV:N/AC:L/Au:N/C:C/I:C/A:C/E:F/RL:OF/RC:C/CDP:H/TD:H/CR:M/IR:M/AR:L",
        "(AV:N/AC:L/Au:N/C:N/I:N/A:C/E:F/RL:OF/RC:C/CDP:H/TD:H/CR:M/IR:M/AR:H)",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Surrounding whitespace (the one deliberate deviation) on each version.
    for v in [
        V2_OK.to_string(),
        format!("CVSS:3.0/{V3_OK}"),
        format!("CVSS:3.1/{V3_OK}"),
        format!("CVSS:4.0/{V4_OK}"),
    ] {
        for (a, b) in [(" ", ""), ("", " "), ("\t", "\t"), ("", "\r"), ("  ", "  ")] {
            out.push(format!("{a}{v}{b}"));
        }
    }
    out
}

/// What the reference said about one vector.
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    Err(String),
    /// version, base, temporal, environmental (None: undefined), rating
    Scores(CvssVersion, String, Option<String>, Option<String>, String),
}

fn parse_answer(line: &str) -> Answer {
    let f: Vec<&str> = line.split('\t').collect();
    let opt = |s: &str| (s != "-").then(|| s.to_string());
    let version = match f[0] {
        "ERR" => return Answer::Err(f[1..].join(" ")),
        "V2" => CvssVersion::V2,
        "V30" => CvssVersion::V30,
        "V31" => CvssVersion::V31,
        "V40" => {
            assert_eq!(f.len(), 3, "reference line {line:?}");
            return Answer::Scores(CvssVersion::V40, f[1].into(), None, None, f[2].into());
        }
        other => panic!("reference line {line:?}: unknown tag {other:?}"),
    };
    assert_eq!(f.len(), 5, "reference line {line:?}");
    Answer::Scores(version, f[1].into(), opt(f[2]), opt(f[3]), f[4].into())
}

fn rating(l: SeverityLevel) -> &'static str {
    match l {
        SeverityLevel::None => "None",
        SeverityLevel::Low => "Low",
        SeverityLevel::Medium => "Medium",
        SeverityLevel::High => "High",
        SeverityLevel::Critical => "Critical",
        SeverityLevel::Unknown => "Unknown",
    }
}

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Runs the reference once over all vectors. `None` (after a notice, or a
/// panic under CI) when python3 or the library is missing.
fn reference(vectors: &[String]) -> Option<Vec<Answer>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/cvss_ref.py");
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let missing = |what: String| {
        let msg = format!("reference missing: {what} (run .ci/install-refs-cvss)");
        if under_ci() {
            panic!("{msg}: required under CI=true");
        }
        eprintln!("SKIPPED: {msg}");
    };
    let mut child = match Command::new(&python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            missing(format!("{python}: {e}"));
            return None;
        }
    };
    let mut input = String::new();
    for v in vectors {
        assert!(!v.contains('\n'), "vector with a line break: {v:?}");
        input.push_str(v);
        input.push('\n');
    }
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("run reference");
    // A broken pipe here means the script exited early; its status says why.
    let _ = writer.join().expect("writer thread");
    if out.status.code() == Some(3) {
        missing(String::from_utf8_lossy(&out.stderr).trim().to_string());
        return None;
    }
    assert!(
        out.status.success(),
        "reference failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("reference output is UTF-8");
    let answers: Vec<Answer> = text.lines().map(parse_answer).collect();
    assert_eq!(
        answers.len(),
        vectors.len(),
        "one reference answer per vector"
    );
    Some(answers)
}

/// A score as the reference prints it, when `ours` is exactly that value.
fn same_score(ours: f64, reference: &str) -> bool {
    reference.parse::<f64>().is_ok_and(|r| r == ours)
}

/// Compares one vector; `Err` describes the disagreement.
fn compare(ours: &Result<CvssScores, String>, reference: &Answer) -> Result<(), String> {
    let (s, (version, base, temporal, env, level)) = match (ours, reference) {
        (Err(_), Answer::Err(_)) => return Ok(()),
        (Ok(s), Answer::Err(e)) => {
            return Err(format!("ours Ok({s:?}), reference rejects: {e}"));
        }
        (Err(e), Answer::Scores(..)) => {
            return Err(format!("ours Err({e}), reference {reference:?}"));
        }
        (Ok(s), Answer::Scores(v, b, t, e, l)) => (s, (v, b, t, e, l)),
    };
    let mut bad = Vec::new();
    if s.version != *version {
        bad.push("version");
    }
    if !same_score(s.base, base) {
        bad.push("base");
    }
    if rating(s.level) != level {
        bad.push("rating");
    }
    if *version == CvssVersion::V40 {
        if s.temporal.is_some() || s.environmental.is_some() {
            bad.push("v4 temporal/environmental");
        }
    } else {
        // Undefined in the reference: the previous stage's score.
        let t = temporal.clone().unwrap_or_else(|| base.clone());
        let e = env.clone().unwrap_or_else(|| t.clone());
        if !s.temporal.is_some_and(|x| same_score(x, &t)) {
            bad.push("temporal");
        }
        if !s.environmental.is_some_and(|x| same_score(x, &e)) {
            bad.push("environmental");
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} differ: ours {s:?}, reference {reference:?}",
            bad.join(", ")
        ))
    }
}

/// One vector to compare, and the summary line it counts in.
struct Case {
    label: String,
    vector: String,
    /// What the reference is asked (the vector itself, or trimmed).
    asked: String,
}

/// The label of a valid vector's version, for the summary.
fn version_label(v: CvssVersion) -> &'static str {
    match v {
        CvssVersion::V2 => "v2.0",
        CvssVersion::V30 => "v3.0",
        CvssVersion::V31 => "v3.1",
        CvssVersion::V40 => "v4.0",
    }
}

/// Runs the comparison and prints the summary; panics on any disagreement.
fn run(name: &str, cases: &[Case]) -> Option<BTreeMap<String, (usize, usize)>> {
    let asked: Vec<String> = cases.iter().map(|c| c.asked.clone()).collect();
    let answers = reference(&asked)?;
    // label -> (compared, reference rejected)
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut disagreements = Vec::new();
    for (c, a) in cases.iter().zip(&answers) {
        let ours = scores(&c.vector);
        let e = counts.entry(c.label.clone()).or_default();
        e.0 += 1;
        if matches!(a, Answer::Err(_)) {
            e.1 += 1;
        }
        if let Err(d) = compare(&ours, a) {
            disagreements.push(format!("[{}] {:?}: {d}", c.label, c.vector));
        }
    }
    for (label, (n, rejected)) in &counts {
        eprintln!(
            "diff_cvss {name}: {label}: {n} vectors compared ({rejected} rejected by the reference)"
        );
    }
    eprintln!(
        "diff_cvss {name}: {} vectors, {} disagreements (reference: Red Hat cvss 3.6)",
        cases.len(),
        disagreements.len()
    );
    assert!(
        disagreements.is_empty(),
        "{name}: {} disagreements with the reference; first 30:\n{}",
        disagreements.len(),
        disagreements
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    Some(counts)
}

/// Every `severity[].score` of a CVSS type in an OSV file: the record's
/// and each affected entry's.
fn osv_vectors(dir: &Path, out: &mut Vec<(String, String)>) {
    for file in patchloop_testdata::files_under(dir) {
        if file.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read OSV file");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("OSV JSON");
        let record = doc["severity"].as_array().into_iter().flatten();
        let affected = doc["affected"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|a| a["severity"].as_array().into_iter().flatten());
        for s in record.chain(affected) {
            let ty = s["type"].as_str().unwrap_or("");
            if matches!(ty, "CVSS_V2" | "CVSS_V3" | "CVSS_V4") {
                let score = s["score"].as_str().expect("severity score is a string");
                out.push((ty.to_string(), score.to_string()));
            }
        }
    }
}

#[test]
fn osv_vectors_agree() {
    let Some(osv) = patchloop_testdata::shared_data("osv") else {
        return;
    };
    let Some(ghsa) = patchloop_testdata::shared_data("osv-ghsa-sample") else {
        return;
    };
    let mut found = Vec::new();
    osv_vectors(&osv, &mut found);
    let from_osv = found.len();
    osv_vectors(&ghsa, &mut found);
    assert_eq!(
        (from_osv, found.len() - from_osv),
        (OSV_VECTORS, GHSA_VECTORS),
        "CVSS vectors in osv/ and osv-ghsa-sample/"
    );
    // Every real vector is valid and its version is its OSV type's.
    let mut cases = Vec::new();
    for (ty, v) in &found {
        let s = scores(v).unwrap_or_else(|e| panic!("{v:?}: {e}"));
        assert_eq!(s.version.osv_type(), ty, "{v:?}");
        cases.push(Case {
            label: format!("osv {}", version_label(s.version)),
            vector: v.clone(),
            asked: v.clone(),
        });
    }
    let Some(counts) = run("osv", &cases) else {
        return;
    };
    let by_version: Vec<(&str, usize)> = OSV_BY_VERSION
        .iter()
        .map(|(label, _)| {
            (
                *label,
                counts.get(&format!("osv {label}")).map_or(0, |c| c.0),
            )
        })
        .collect();
    assert_eq!(by_version, OSV_BY_VERSION, "OSV vectors by version");
    let rejected: usize = counts.values().map(|c| c.1).sum();
    assert_eq!(rejected, 0, "the reference rejects no real vector");
}

#[test]
fn random_valid_vectors_agree() {
    let mut rng = Rng(SEED);
    let sets = [
        ("v2.0", distinct(&mut rng, PER_VERSION, gen_v2)),
        ("v3.0", distinct(&mut rng, PER_VERSION, |r| gen_v3(r, 0))),
        ("v3.1", distinct(&mut rng, PER_VERSION, |r| gen_v3(r, 1))),
        ("v4.0", distinct(&mut rng, PER_VERSION, gen_v4)),
    ];
    let mut cases = Vec::new();
    for (label, vectors) in &sets {
        // A good share carries temporal/threat, environmental or
        // supplemental metrics.
        let base = if *label == "v4.0" {
            11
        } else if *label == "v2.0" {
            6
        } else {
            8
        };
        let extended = vectors.iter().filter(|v| metric_count(v) > base).count();
        assert!(
            extended * 3 > vectors.len(),
            "{label}: only {extended} vectors with optional metrics"
        );
        eprintln!(
            "diff_cvss random: {label}: {extended} of {} vectors with optional metrics",
            vectors.len()
        );
        for v in vectors {
            cases.push(Case {
                label: format!("random {label}"),
                vector: v.clone(),
                asked: v.clone(),
            });
        }
    }
    let Some(counts) = run("random", &cases) else {
        return;
    };
    for (label, _) in &sets {
        let (n, rejected) = counts[&format!("random {label}")];
        assert!(n >= 10_000, "{label}: {n} vectors");
        assert_eq!(rejected, 0, "{label}: generated vectors are valid");
    }
    // The versions are the ones generated.
    for (label, vectors) in &sets {
        for v in vectors.iter().take(100) {
            assert_eq!(version_label(scores(v).unwrap().version), *label, "{v:?}");
        }
    }
}

#[test]
fn invalid_and_edge_vectors_agree() {
    let mut cases = Vec::new();
    for v in edge_cases() {
        let trimmed = v.trim();
        let label = if trimmed == v {
            "edge"
        } else {
            "edge, surrounding whitespace (vs trimmed)"
        };
        cases.push(Case {
            label: label.into(),
            asked: trimmed.to_string(),
            vector: v,
        });
    }
    let mut rng = Rng(SEED ^ 0x5eed);
    for (label, g) in [
        ("v2.0", &gen_v2 as &dyn Fn(&mut Rng) -> String),
        ("v3.0", &|r: &mut Rng| gen_v3(r, 0)),
        ("v3.1", &|r: &mut Rng| gen_v3(r, 1)),
        ("v4.0", &gen_v4),
    ] {
        for _ in 0..MUTATIONS {
            let v = g(&mut rng);
            let m = mutate(&mut rng, &v);
            if m.trim() != m {
                continue;
            }
            cases.push(Case {
                label: format!("mutated {label}"),
                vector: m.clone(),
                asked: m,
            });
        }
    }
    let Some(counts) = run("invalid/edge", &cases) else {
        return;
    };
    // Most mutations must really be invalid, or the test proves little.
    for label in ["v2.0", "v3.0", "v3.1", "v4.0"] {
        let (n, rejected) = counts[&format!("mutated {label}")];
        assert!(
            rejected * 2 > n,
            "mutated {label}: only {rejected} of {n} rejected"
        );
    }
}
