//! Differential test: our dpkg ordering against libdpkg's
//! `dpkg_version_compare` (tests/reference/dpkg_ref.c, built here with the
//! system C compiler against libdpkg-dev), cross-checked on a few hundred
//! pairs against `dpkg --compare-versions` itself.

mod diffkit;

use std::process::{Command, Stdio};

use diffkit::{
    Batch, Rng, assert_agree, dense_pairs, missing, reference_dir, run_reference, runs, verdict,
};
use patchloop_version::debian;

const SEED: u64 = 0xDEB1_A2E5;

/// Real Debian versions: every `Version:` and `Source: x (version)` of
/// this machine's dpkg database.
fn installed_versions() -> Vec<String> {
    let Ok(status) = std::fs::read_to_string("/var/lib/dpkg/status") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for line in status.lines() {
        if let Some(v) = line.strip_prefix("Version: ") {
            out.push(v.trim().to_string());
        } else if let Some(src) = line.strip_prefix("Source: ")
            && let Some((_, rest)) = src.split_once(" (")
            && let Some(v) = rest.strip_suffix(')')
        {
            out.push(v.to_string());
        }
    }
    out
}

const EPOCHS: &[&str] = &[
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "0:",
    "1:",
    "2:",
    "10:",
    "00:",
    "+1:",
    "-0:",
    "2147483647:",
];
/// Epochs that libdpkg rejects (used rarely).
const BAD_EPOCHS: &[&str] = &["-1:", "2147483648:", "99999999999:", ":", "a:", "1a:"];
const UPSTREAMS: &[&str] = &[
    "1.0",
    "1.0~rc1",
    "1.0~~",
    "1.0~",
    "1.0+dfsg",
    "1.0a",
    "1.0.0",
    "1.00",
    "01.0",
    "1.0+",
    "1.0.",
    "0.0~git20230123.b2528b0",
    "2.36",
    "2.3",
    "2.30",
    "1.2.3~beta1",
    "1",
    "0",
    "00",
    "a1",
    "A1",
    "1:2",
    "1.0-rc1",
    "ü1",
    "1.é",
    "1_0",
    "1,0",
    "99999999999999999999999",
    "18446744073709551616",
    "18446744073709551615",
    "1.18446744073709551617",
    "3.0.0+really2.9",
    "1.0+b1",
    "~",
    "~~1",
    "1~a",
    "1~A",
    "1.a",
    "1.Z",
    "1.0ubuntu1",
    "5.10.0",
    "9.1",
    "0.16.1",
];
const REVISIONS: &[&str] = &[
    "",
    "",
    "",
    "-1",
    "-0",
    "-00",
    "-1ubuntu1",
    "-1~deb12u1",
    "-1+deb12u1",
    "-1+b1",
    "-1.1",
    "-0ubuntu0.22.04.1",
    "-a",
    "-~",
    "-1-2",
    "-2",
    "-10",
    "-9",
    "-1build1",
    "-1~bpo11+1",
    "-1.é",
];
const TOKENS: &[&str] = &[
    "0",
    "1",
    "2",
    "9",
    "10",
    "007",
    "123456789012345678901234",
    ".",
    "+",
    "~",
    "~~",
    "-",
    ":",
    "a",
    "b",
    "z",
    "A",
    "Z",
    "rc",
    "beta",
    "git",
    "dfsg",
    "é",
    "_",
    "%",
];

fn generated(rng: &mut Rng) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..2500 {
        let mut v = String::new();
        if rng.chance(3) {
            v.push_str(rng.pick(BAD_EPOCHS));
        } else {
            v.push_str(rng.pick(EPOCHS));
        }
        if rng.chance(70) {
            v.push_str(rng.pick(UPSTREAMS));
        } else {
            if rng.chance(85) {
                v.push_str(rng.pick(&["1", "2", "0", "10"]));
            }
            for _ in 0..1 + rng.below(6) {
                v.push_str(rng.pick(TOKENS));
            }
        }
        v.push_str(rng.pick(REVISIONS));
        if rng.chance(1) {
            v.push('-'); // empty revision: rejected
        }
        out.push(v);
    }
    out
}

/// Pairs of nearby versions: `v` against a small mutation of `v`.
fn related_pairs(rng: &mut Rng, base: &[String], n: usize) -> Vec<(String, String)> {
    let mut out = Vec::new();
    while out.len() < n {
        let v = rng.pick(base);
        let mut w = v.clone();
        match rng.below(5) {
            0 => w.push_str(rng.pick(TOKENS)),
            1 => w.push_str(rng.pick(REVISIONS)),
            2 => w = format!("{}{}", rng.pick(EPOCHS), w),
            3 => {
                let cut = rng.below(w.len() + 1);
                if w.is_char_boundary(cut) {
                    w.insert_str(cut, rng.pick(TOKENS));
                }
            }
            _ => {
                let cut = rng.below(w.len() + 1);
                if w.is_char_boundary(cut) {
                    w.truncate(cut);
                }
            }
        }
        if w.is_empty() || w.contains(char::is_whitespace) || v.contains(char::is_whitespace) {
            continue;
        }
        out.push((v, w));
    }
    out
}

fn build_reference() -> Option<tempfile::TempDir> {
    let have_pkg = Command::new("pkg-config")
        .args(["--exists", "libdpkg"])
        .status()
        .is_ok_and(|s| s.success());
    if !have_pkg {
        missing("libdpkg-dev (pkg-config libdpkg) and a C compiler");
        return None;
    }
    let flags = Command::new("pkg-config")
        .args(["--cflags", "--libs", "libdpkg"])
        .output()
        .expect("pkg-config");
    let flags = String::from_utf8(flags.stdout).expect("pkg-config output");
    let dir = tempfile::tempdir().expect("temp dir");
    let exe = dir.path().join("dpkg_ref");
    let src = reference_dir().join("dpkg_ref.c");
    let status = Command::new("cc")
        .arg("-O1")
        .arg("-o")
        .arg(&exe)
        .arg(&src)
        .args(flags.split_whitespace())
        .status();
    if !status.is_ok_and(|s| s.success()) {
        missing("C compiler `cc` able to build tests/reference/dpkg_ref.c");
        return None;
    }
    Some(dir)
}

#[test]
fn debian_agrees_with_libdpkg() {
    let Some(dir) = build_reference() else {
        return;
    };
    let mut rng = Rng::new(SEED);
    let mut versions = installed_versions();
    let real = versions.len();
    versions.extend(generated(&mut rng));
    let mut pairs = dense_pairs(&versions, 60, 14_000, SEED);
    pairs.extend(related_pairs(&mut rng, &versions, 8_000));
    let cmd = Command::new(dir.path().join("dpkg_ref"));
    let Some(reference) = run_reference(cmd, Batch::SpacedStdin, &pairs) else {
        return;
    };
    println!("debian: {real} real versions from /var/lib/dpkg/status");
    assert_agree("debian", &pairs, &reference, |a, b| {
        verdict(debian::parse(a), debian::parse(b), Ord::cmp)
    });

    // Cross-check the libdpkg harness against `dpkg --compare-versions`.
    if !runs("dpkg", &["--version"]) {
        missing("dpkg");
        return;
    }
    let mut checked = 0;
    for ((a, b), want) in pairs.iter().zip(&reference).step_by(43) {
        if want == "ERR" || a.starts_with('-') || b.starts_with('-') {
            continue;
        }
        let rel = |op: &str| {
            Command::new("dpkg")
                .args(["--compare-versions", a, op, b])
                .stderr(Stdio::null())
                .status()
                .expect("dpkg")
                .success()
        };
        let got = if rel("lt") {
            "-1"
        } else if rel("eq") {
            "0"
        } else {
            "1"
        };
        assert_eq!(got, want, "dpkg --compare-versions {a} ? {b}");
        checked += 1;
    }
    assert!(
        checked >= 250,
        "only {checked} pairs cross-checked with dpkg"
    );
    println!("debian: {checked} pairs cross-checked with dpkg --compare-versions");
}
