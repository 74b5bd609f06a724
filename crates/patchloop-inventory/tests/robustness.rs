//! Every parser survives hostile input: truncated, mutated and
//! wrong-format versions of the real corpus give `Ok` or a `ParseError`,
//! never a panic. (Coverage-guided fuzzing lives in `fuzz/`; this is the
//! deterministic part that runs in every CI build.)

use patchloop_inventory::walk::detect_path;
use patchloop_inventory::{Format, parse_bytes};
use patchloop_testdata::{files_under, shared_data};

/// Deterministic xorshift so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn corpus() -> Vec<(std::path::PathBuf, Format, Vec<u8>)> {
    let Some(dir) = shared_data("lockfiles") else {
        return Vec::new();
    };
    files_under(&dir)
        .into_iter()
        .filter_map(|p| {
            let f = detect_path(&p)?;
            let bytes = std::fs::read(&p).ok()?;
            Some((p, f, bytes))
        })
        .collect()
}

fn check(format: Format, what: &str, bytes: &[u8]) {
    let r = std::panic::catch_unwind(|| {
        let _ = parse_bytes(format, "fuzz-input", bytes);
    });
    assert!(r.is_ok(), "{} parser panicked on {what}", format.id());
}

#[test]
fn truncations_never_panic() {
    let mut rng = Rng(0x9e3779b97f4a7c15);
    for (path, format, bytes) in corpus() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for _ in 0..12 {
            let at = rng.below(bytes.len());
            check(format, &format!("{name} truncated at {at}"), &bytes[..at]);
        }
        check(format, &format!("{name} empty"), b"");
    }
}

#[test]
fn mutations_never_panic() {
    let mut rng = Rng(0x2545f4914f6cdd1d);
    let interesting: &[&[u8]] = &[
        b"\"",
        b"{",
        b"}",
        b"[",
        b"]",
        b"\n",
        b"\\",
        b"(",
        b")",
        b":",
        b"=",
        b"@",
        b"#",
        b"/",
        b"\xff",
        b"\xe2\x82",
        b"0",
        b"-",
        b"${",
        b"<",
        b">",
        b"&",
    ];
    for (path, format, bytes) in corpus() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for i in 0..12 {
            let mut m = bytes.clone();
            for _ in 0..(1 + rng.below(8)) {
                let at = rng.below(m.len());
                match rng.below(3) {
                    0 => {
                        let ins = interesting[rng.below(interesting.len())];
                        m.splice(at..at, ins.iter().copied());
                    }
                    1 => {
                        let end = (at + 1 + rng.below(64)).min(m.len());
                        m.drain(at..end);
                    }
                    _ => {
                        if let Some(b) = m.get_mut(at) {
                            *b = rng.next() as u8;
                        }
                    }
                }
            }
            check(format, &format!("{name} mutation #{i}"), &m);
        }
    }
}

#[test]
fn wrong_format_never_panics() {
    for (path, _, bytes) in corpus() {
        let head = &bytes[..bytes.len().min(8192)];
        for f in Format::ALL {
            check(*f, &format!("{} read as {}", path.display(), f.id()), head);
        }
    }
}

#[test]
fn deep_nesting_never_panics() {
    let depth = 100_000;
    let inputs: Vec<Vec<u8>> = vec![
        [b"[".repeat(depth), b"]".repeat(depth)].concat(),
        [b"{\"a\":".repeat(depth), b"1".to_vec(), b"}".repeat(depth)].concat(),
        b"<a>".repeat(depth),
        b"- ".repeat(depth),
        b"a: [".repeat(depth),
        [b"%{\"a\" => {".repeat(depth), b"}".repeat(depth)].concat(),
        b"-r requirements.txt\n".repeat(1000),
    ];
    for f in Format::ALL {
        for (i, inp) in inputs.iter().enumerate() {
            check(*f, &format!("deep input #{i}"), inp);
        }
    }
}

/// `Format::ecosystem` (used to warm the advisory store while files are
/// parsed) names the ecosystem every parser of that format reports.
#[test]
fn format_ecosystems_match_what_the_parsers_report() {
    let files = corpus();
    assert!(files.len() >= 20 || shared_data("lockfiles").is_none());
    for (path, format, bytes) in files {
        let Ok(parsed) = parse_bytes(format, "x", &bytes) else {
            continue;
        };
        let Some(eco) = format.ecosystem() else {
            continue;
        };
        assert_eq!(
            parsed.source.ecosystem.kind,
            eco.kind,
            "{} ({})",
            path.display(),
            format.id()
        );
        for p in &parsed.source.packages {
            assert_eq!(p.ecosystem.kind, eco.kind, "{} {}", path.display(), p.name);
        }
    }
}
