//! Shared helpers for the differential tests: version corpora from the OSV
//! data, a seeded generator, pair selection and running a reference tool
//! once over a whole batch.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// splitmix64: tiny, deterministic, good enough to pick pairs.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
    pub fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// True when running under CI (`CI=true`), where a missing reference tool
/// must fail the test instead of skipping it.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Skip (outside CI) or fail (under CI) because a reference is missing.
/// Returns `None` so callers can `return` on it.
pub fn missing<T>(what: &str) -> Option<T> {
    let msg = format!("reference tool missing: {what} (run .ci/install-refs-ver1)");
    if under_ci() {
        panic!("{msg}: required under CI=true");
    }
    eprintln!("SKIPPED: {msg}");
    None
}

/// Every version string in the OSV files below `rel` (relative to the
/// shared data): range events (`introduced`, `fixed`, `last_affected`,
/// `limit`) of ranges whose type is in `range_types`, plus `versions`
/// lists when `with_lists`. Sorted and de-duplicated.
pub fn osv_versions(rel: &str, range_types: &[&str], with_lists: bool) -> Option<Vec<String>> {
    let dir = patchloop_testdata::shared_data(rel)?;
    let mut out = BTreeSet::new();
    for file in patchloop_testdata::files_under(&dir) {
        if file.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read OSV file");
        let doc: Value = serde_json::from_str(&text).expect("OSV JSON");
        for aff in doc["affected"].as_array().into_iter().flatten() {
            for range in aff["ranges"].as_array().into_iter().flatten() {
                let ty = range["type"].as_str().unwrap_or("");
                if !range_types.contains(&ty) {
                    continue;
                }
                for ev in range["events"].as_array().into_iter().flatten() {
                    for key in ["introduced", "fixed", "last_affected", "limit"] {
                        if let Some(v) = ev[key].as_str() {
                            out.insert(v.to_string());
                        }
                    }
                }
            }
            if with_lists {
                for v in aff["versions"].as_array().into_iter().flatten() {
                    if let Some(v) = v.as_str() {
                        out.insert(v.to_string());
                    }
                }
            }
        }
    }
    Some(out.into_iter().collect())
}

/// Deterministic pairs over `corpus` (real versions) and `edge` (generated
/// edge cases): neighbours in sorted order, identities, each edge case
/// against a few others and a few real versions, then seeded random pairs
/// (85% real versions) until `total` is reached.
pub fn make_pairs(
    corpus: &[String],
    edge: &[String],
    total: usize,
    seed: u64,
) -> Vec<(String, String)> {
    let mut rng = Rng::new(seed);
    let mut pairs = Vec::with_capacity(total);
    for w in corpus.windows(2) {
        pairs.push((w[0].clone(), w[1].clone()));
    }
    for (i, a) in edge.iter().enumerate() {
        pairs.push((a.clone(), a.clone()));
        // each edge case against a few others and a few real versions
        for _ in 0..4 {
            pairs.push((a.clone(), rng.pick(edge)));
        }
        if !corpus.is_empty() {
            for _ in 0..2 {
                let b = rng.pick(corpus);
                if i % 2 == 0 {
                    pairs.push((a.clone(), b));
                } else {
                    pairs.push((b, a.clone()));
                }
            }
        }
    }
    for w in edge.windows(2) {
        pairs.push((w[0].clone(), w[1].clone()));
    }
    while pairs.len() < total && !(corpus.is_empty() && edge.is_empty()) {
        let side = |rng: &mut Rng| {
            if edge.is_empty() || (!corpus.is_empty() && rng.chance(85)) {
                rng.pick(corpus)
            } else {
                rng.pick(edge)
            }
        };
        let a = side(&mut rng);
        let b = side(&mut rng);
        pairs.push((a, b));
    }
    pairs
}

pub fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("reference")
}

/// Writes the pairs, one JSON array `["a","b"]` per line, to a temp file,
/// runs `cmd FILE` once, and returns one output token per pair. `None`
/// (after [`missing`]) when the command cannot be started or exits with
/// status 3 (the scripts' "dependency missing" code).
pub fn run_reference(
    mut cmd: Command,
    scheme: &str,
    pairs: &[(String, String)],
) -> Option<Vec<String>> {
    let path = std::env::temp_dir().join(format!(
        "patchloop-diff-{scheme}-{}-{:?}.jsonl",
        std::process::id(),
        std::thread::current().id()
    ));
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("temp file"));
        for (a, b) in pairs {
            serde_json::to_writer(&mut f, &[a, b]).expect("write pair");
            f.write_all(b"\n").expect("write pair");
        }
        f.flush().expect("flush");
    }
    cmd.arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = match cmd.output() {
        Ok(o) => o,
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            return missing(&format!("{cmd:?}: {e}"));
        }
    };
    let _ = std::fs::remove_file(&path);
    if out.status.code() == Some(3) {
        return missing(&format!(
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    assert!(
        out.status.success(),
        "reference {cmd:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<String> = String::from_utf8(out.stdout)
        .expect("reference output is UTF-8")
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(lines.len(), pairs.len(), "one reference answer per pair");
    Some(lines)
}

/// Renders an ordering like the references do.
pub fn ord_token(o: std::cmp::Ordering) -> &'static str {
    match o {
        std::cmp::Ordering::Less => "-1",
        std::cmp::Ordering::Equal => "0",
        std::cmp::Ordering::Greater => "1",
    }
}

/// Collects disagreements and fails with the first 20.
#[derive(Default)]
pub struct Report {
    pub compared: usize,
    pub disagreements: Vec<String>,
}

impl Report {
    pub fn disagree(&mut self, a: &str, b: &str, ours: &str, reference: &str) {
        self.disagreements.push(format!(
            "{a:?} vs {b:?}: ours {ours}, reference {reference}"
        ));
    }
    pub fn finish(&self, scheme: &str, extra: &str) {
        eprintln!(
            "{scheme}: {} pairs compared, {} disagreements{extra}",
            self.compared,
            self.disagreements.len()
        );
        if !self.disagreements.is_empty() {
            let first: Vec<&String> = self.disagreements.iter().take(20).collect();
            panic!(
                "{scheme}: {} disagreements with the reference; first 20:\n{}",
                self.disagreements.len(),
                first
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
}
