//! Shared machinery of the differential tests `diff_{maven,rubygems,debian,rpm}`:
//! deterministic pair generation, one batch run of the reference tool, and
//! the comparison with our implementation.
#![allow(dead_code)]

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Minimum number of pairs every differential test must check.
pub const MIN_PAIRS: usize = 10_000;

/// splitmix64: small, deterministic, good enough to pick pairs.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform-ish in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    /// One of `items` (string tables).
    pub fn s<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

/// True when running under CI (`CI=true`).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// A reference tool is missing: fail under CI, otherwise print a visible
/// notice (the caller then returns).
pub fn tool_missing(what: &str) {
    let msg = format!("reference tool missing: {what} (install with .ci/install-refs-ver2)");
    if in_ci() {
        panic!("{msg}: required under CI=true");
    }
    eprintln!("SKIPPED: {msg}");
}

/// Whether `cmd --version`-like probe runs successfully.
pub fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Directory of the committed reference scripts.
pub fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("reference")
}

/// Every version string in the OSV files below `shared/data/<rel>` whose
/// `affected[].package.ecosystem` is `ecosystem`: range events
/// (`introduced`, `fixed`, `last_affected`, `limit`) and `versions` lists.
/// `None` when the data is absent (outside CI).
pub fn osv_versions(rel: &str, ecosystem: &str) -> Option<Vec<String>> {
    let dir = patchloop_testdata::shared_data(rel)?;
    let mut out = BTreeSet::new();
    for file in patchloop_testdata::files_under(&dir) {
        if file.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read advisory");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("advisory JSON");
        let Some(affected) = doc["affected"].as_array() else {
            continue;
        };
        for a in affected {
            if a["package"]["ecosystem"].as_str() != Some(ecosystem) {
                continue;
            }
            for r in a["ranges"].as_array().into_iter().flatten() {
                for e in r["events"].as_array().into_iter().flatten() {
                    for key in ["introduced", "fixed", "last_affected", "limit"] {
                        if let Some(v) = e[key].as_str() {
                            out.insert(v.to_string());
                        }
                    }
                }
            }
            for v in a["versions"].as_array().into_iter().flatten() {
                if let Some(v) = v.as_str() {
                    out.insert(v.to_string());
                }
            }
        }
    }
    Some(out.into_iter().collect())
}

/// Deterministic pairs over `versions`: every pair among the first
/// `all_pairs_of` versions, each version against itself, neighbours in
/// sorted order, then random pairs until `total`. Versions containing
/// white space are dropped (the batch format is `A B` per line).
pub fn make_pairs(
    versions: &[String],
    seed: u64,
    all_pairs_of: usize,
    total: usize,
) -> Vec<(String, String)> {
    let vs: Vec<&String> = versions
        .iter()
        .filter(|v| !v.is_empty() && !v.chars().any(char::is_whitespace))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(vs.len() >= 2, "too few versions to pair");
    let mut rng = Rng::new(seed);
    let mut pairs = Vec::with_capacity(total);
    let head = &vs[..vs.len().min(all_pairs_of)];
    for a in head {
        for b in head {
            pairs.push(((*a).clone(), (*b).clone()));
        }
    }
    for v in &vs {
        pairs.push(((*v).clone(), (*v).clone()));
    }
    for w in vs.windows(2) {
        pairs.push((w[0].clone(), w[1].clone()));
    }
    while pairs.len() < total {
        let a = *rng.pick(&vs);
        let b = *rng.pick(&vs);
        pairs.push((a.clone(), b.clone()));
    }
    pairs
}

/// Write the pairs to a temporary file, run `cmd` once with it on stdin
/// and return one output line per pair.
pub fn run_reference(mut cmd: Command, pairs: &[(String, String)]) -> Vec<String> {
    let mut input = tempfile::NamedTempFile::new().expect("temp file");
    for (a, b) in pairs {
        assert!(!a.contains([' ', '\n']) && !b.contains([' ', '\n']));
        writeln!(input, "{a} {b}").expect("write pairs");
    }
    input.flush().expect("flush pairs");
    let stdin = std::fs::File::open(input.path()).expect("reopen pairs");
    let out = cmd
        .stdin(stdin)
        .stderr(Stdio::inherit())
        .output()
        .expect("run reference");
    assert!(out.status.success(), "reference failed: {:?}", out.status);
    let text = String::from_utf8(out.stdout).expect("reference output is UTF-8");
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    assert_eq!(
        lines.len(),
        pairs.len(),
        "reference printed {} lines for {} pairs",
        lines.len(),
        pairs.len()
    );
    lines
}

/// Our answer in the reference's vocabulary.
pub fn verdict<E>(r: Result<Ordering, E>) -> &'static str {
    match r {
        Err(_) => "ERR",
        Ok(Ordering::Less) => "-1",
        Ok(Ordering::Equal) => "0",
        Ok(Ordering::Greater) => "1",
    }
}

/// Compare every pair with the reference's lines; panic listing the first
/// 20 disagreements. Returns the number of pairs checked.
pub fn assert_agree<E>(
    scheme: &str,
    pairs: &[(String, String)],
    reference: &[String],
    ours: impl Fn(&str, &str) -> Result<Ordering, E>,
) -> usize {
    let mut bad = Vec::new();
    let mut errs = 0;
    for ((a, b), want) in pairs.iter().zip(reference) {
        let got = verdict(ours(a, b));
        if got == "ERR" {
            errs += 1;
        }
        if got != want.trim() {
            bad.push(format!("  {a:?} vs {b:?}: reference {want}, ours {got}"));
        }
    }
    if !bad.is_empty() {
        let shown: Vec<&String> = bad.iter().take(20).collect();
        panic!(
            "{scheme}: {} of {} pairs disagree with the reference; first {}:\n{}",
            bad.len(),
            pairs.len(),
            shown.len(),
            shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    assert!(
        pairs.len() >= MIN_PAIRS,
        "{scheme}: only {} pairs",
        pairs.len()
    );
    println!(
        "{scheme}: {} pairs agree with the reference ({errs} rejected by both)",
        pairs.len()
    );
    pairs.len()
}
