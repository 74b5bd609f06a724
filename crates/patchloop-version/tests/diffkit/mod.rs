//! Shared kit of the differential tests (`diff_*.rs`, `nuget_corpus.rs`):
//! version corpora from the OSV data, a seeded generator, deterministic
//! pair selection, one batch run of a reference tool, and the comparison
//! with our implementation.
//!
//! A missing reference tool fails the test under `CI=true` and otherwise
//! prints a visible `SKIPPED: ...` notice so the test can return.
#![allow(dead_code)]

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// Minimum number of pairs every differential test must check.
pub const MIN_PAIRS: usize = 10_000;

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
    /// Uniform-ish in `0..n`; 0 when `n == 0`.
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
    /// A copy of one of `items` (a `&str` of a string table, a `String` of
    /// a corpus).
    pub fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// True when running under CI (`CI=true`, or `CI=1` as
/// `patchloop_testdata` also accepts), where a missing reference tool
/// must fail the test instead of skipping it.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A reference tool is missing: panics under CI, otherwise prints a
/// visible `SKIPPED: ...` notice (the caller then returns).
pub fn missing(what: &str) {
    let msg = format!(
        "reference tool missing: {what} \
         (install with .ci/install-refs-ver1 and .ci/install-refs-ver2)"
    );
    if under_ci() {
        panic!("{msg}: required under CI=true");
    }
    eprintln!("SKIPPED: {msg}");
}

/// Whether `program args...` (a `--version`-like probe) runs successfully.
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

/// Which versions of the OSV records [`osv_versions`] collects.
#[derive(Clone, Copy)]
pub struct Osv<'a> {
    ecosystem: Option<&'a str>,
    range_types: Option<&'a [&'a str]>,
    lists: bool,
}

impl<'a> Osv<'a> {
    /// Range events of the ranges of these types (`SEMVER`, `ECOSYSTEM`),
    /// whatever the ecosystem; no `versions` lists (see [`Osv::with_lists`]).
    pub fn ranges(types: &'a [&'a str]) -> Self {
        Osv {
            ecosystem: None,
            range_types: Some(types),
            lists: false,
        }
    }
    /// Every range event and `versions` list of the `affected[]` entries
    /// whose `package.ecosystem` is `name`.
    pub fn ecosystem(name: &'a str) -> Self {
        Osv {
            ecosystem: Some(name),
            range_types: None,
            lists: true,
        }
    }
    /// Also the `versions` lists.
    pub fn with_lists(self) -> Self {
        Osv {
            lists: true,
            ..self
        }
    }
}

/// Every version string in the OSV files below `shared/data/<rel>` that
/// `select` asks for: range events (`introduced`, `fixed`,
/// `last_affected`, `limit`) and, if selected, `versions` lists. Sorted and
/// de-duplicated. `None` when the data is absent (outside CI).
pub fn osv_versions(rel: &str, select: Osv) -> Option<Vec<String>> {
    let dir = patchloop_testdata::shared_data(rel)?;
    let mut out = BTreeSet::new();
    for file in patchloop_testdata::files_under(&dir) {
        if file.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read OSV file");
        let doc: Value = serde_json::from_str(&text).expect("OSV JSON");
        for aff in doc["affected"].as_array().into_iter().flatten() {
            if select
                .ecosystem
                .is_some_and(|e| aff["package"]["ecosystem"].as_str() != Some(e))
            {
                continue;
            }
            for range in aff["ranges"].as_array().into_iter().flatten() {
                let ty = range["type"].as_str().unwrap_or("");
                if select.range_types.is_some_and(|t| !t.contains(&ty)) {
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
            if select.lists {
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
pub fn edge_case_pairs(
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

/// Deterministic pairs over `versions` (sorted and de-duplicated first,
/// versions that are empty or contain white space dropped): every pair
/// among the first `all_pairs_of` versions, each version against itself,
/// neighbours in sorted order, then seeded random pairs until `total`.
pub fn dense_pairs(
    versions: &[String],
    all_pairs_of: usize,
    total: usize,
    seed: u64,
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
        let a = rng.pick(&vs);
        let b = rng.pick(&vs);
        pairs.push((a.clone(), b.clone()));
    }
    pairs
}

/// How a reference script takes its batch of pairs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Batch {
    /// A file, named as the last argument, with one JSON array `["a","b"]`
    /// per line: white space and any Unicode survive.
    JsonLinesFile,
    /// Standard input, one `a b` pair per line (versions without spaces or
    /// newlines).
    SpacedStdin,
}

/// Writes the pairs to a temp file in the `batch` format, runs `cmd` once
/// over it and returns one output line per pair. `None` (after
/// [`missing`]) when the command cannot be started or exits with status 3
/// (the scripts' "dependency missing" code).
pub fn run_reference(
    mut cmd: Command,
    batch: Batch,
    pairs: &[(String, String)],
) -> Option<Vec<String>> {
    let mut input = tempfile::NamedTempFile::new().expect("temp file");
    {
        let mut f = std::io::BufWriter::new(input.as_file_mut());
        for (a, b) in pairs {
            match batch {
                Batch::JsonLinesFile => {
                    serde_json::to_writer(&mut f, &[a, b]).expect("write pair");
                    f.write_all(b"\n").expect("write pair");
                }
                Batch::SpacedStdin => {
                    assert!(!a.contains([' ', '\n']) && !b.contains([' ', '\n']));
                    writeln!(f, "{a} {b}").expect("write pair");
                }
            }
        }
        f.flush().expect("flush pairs");
    }
    match batch {
        Batch::JsonLinesFile => cmd.arg(input.path()).stdin(Stdio::null()),
        Batch::SpacedStdin => cmd.stdin(input.reopen().expect("reopen pairs")),
    };
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let out = match cmd.output() {
        Ok(o) => o,
        Err(e) => {
            missing(&format!("{cmd:?}: {e}"));
            return None;
        }
    };
    if out.status.code() == Some(3) {
        missing(&format!(
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
        return None;
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
    assert_eq!(
        lines.len(),
        pairs.len(),
        "reference printed {} lines for {} pairs",
        lines.len(),
        pairs.len()
    );
    Some(lines)
}

/// Renders an ordering like the references do.
pub fn ord_token(o: Ordering) -> &'static str {
    match o {
        Ordering::Less => "-1",
        Ordering::Equal => "0",
        Ordering::Greater => "1",
    }
}

/// Our answer for a pair in the references' vocabulary: `-1`/`0`/`1` by
/// `cmp` when both sides parse, otherwise `ERR`.
pub fn verdict<T, E>(
    a: Result<T, E>,
    b: Result<T, E>,
    cmp: impl FnOnce(&T, &T) -> Ordering,
) -> &'static str {
    match (a, b) {
        (Ok(x), Ok(y)) => ord_token(cmp(&x, &y)),
        _ => "ERR",
    }
}

/// Collects the disagreements of a comparison run.
#[derive(Default)]
pub struct Report {
    pub compared: usize,
    pub disagreements: Vec<String>,
}

impl Report {
    pub fn disagree(&mut self, a: &str, b: &str, ours: &str, reference: &str) {
        self.disagreements.push(format!(
            "  {a:?} vs {b:?}: ours {ours}, reference {reference}"
        ));
    }

    /// Prints `<scheme>: N pairs compared, D disagreements<extra>`; then
    /// fails listing the first 20 disagreements, if any, and fails when
    /// fewer than [`MIN_PAIRS`] pairs were compared.
    pub fn finish(&self, scheme: &str, extra: &str) {
        println!(
            "{scheme}: {} pairs compared, {} disagreements{extra}",
            self.compared,
            self.disagreements.len()
        );
        if !self.disagreements.is_empty() {
            let shown = &self.disagreements[..self.disagreements.len().min(20)];
            panic!(
                "{scheme}: {} of {} pairs disagree with the reference; first {}:\n{}",
                self.disagreements.len(),
                self.compared,
                shown.len(),
                shown.join("\n")
            );
        }
        assert!(
            self.compared >= MIN_PAIRS,
            "{scheme}: only {} pairs",
            self.compared
        );
    }
}

/// Compares every pair's `ours` answer (see [`verdict`]) with the
/// reference's line (trimmed) and finishes the [`Report`] with the number
/// rejected by both.
pub fn assert_agree(
    scheme: &str,
    pairs: &[(String, String)],
    reference: &[String],
    ours: impl Fn(&str, &str) -> &'static str,
) {
    let mut report = Report::default();
    let mut rejected = 0;
    for ((a, b), want) in pairs.iter().zip(reference) {
        report.compared += 1;
        let got = ours(a, b);
        if got == "ERR" {
            rejected += 1;
        }
        if got != want.trim() {
            report.disagree(a, b, got, want);
        }
    }
    report.finish(scheme, &format!(" ({rejected} rejected by both)"));
}
