//! Differential test: our RubyGems ordering against Ruby's `Gem::Version`
//! (tests/reference/gemversion.rb).

mod diffkit;

use std::process::Command;

use diffkit::{
    Batch, Osv, Rng, assert_agree, dense_pairs, missing, osv_versions, reference_dir,
    run_reference, runs, verdict,
};
use patchloop_version::rubygems;

const SEED: u64 = 0x6E35_2024;

/// Versions in the Gemfile.lock files of the shared data: resolved specs
/// `name (1.2.3)` and constraint versions `(~> 2.0, >= 2.0.1)`.
fn lockfile_versions() -> Option<Vec<String>> {
    let dir = patchloop_testdata::shared_data("lockfiles/RubyGems")?;
    let mut out = Vec::new();
    for file in patchloop_testdata::files_under(&dir) {
        let text = std::fs::read_to_string(&file).expect("read lockfile");
        for line in text.lines() {
            let Some((_, rest)) = line.trim().split_once(" (") else {
                continue;
            };
            let Some(inner) = rest.strip_suffix(')') else {
                continue;
            };
            for part in inner.split(',') {
                let v = part
                    .trim()
                    .trim_start_matches(['~', '>', '<', '=', '!'])
                    .trim();
                if !v.is_empty() {
                    out.push(v.to_string());
                }
            }
        }
    }
    Some(out)
}

const REAL: &[&str] = &[
    "6.0.0",
    "6.0.0.rc1",
    "6.0.0.beta3",
    "5.2.4.3",
    "5.0.0.0",
    "2.0.9.1",
    "2.1",
    "2.2",
    "1.10.8",
    "1.13.10",
    "1.10.9-x86_64-linux",
    "1.13.10-arm64-darwin",
    "3.0.0.pre",
    "3.0.0.pre.1",
    "3.0.0-pre",
    "2.7.0.preview1",
    "1.0.0.alpha",
    "4.0.0.beta.2",
    "0.1.0",
    "0.0.1",
    "1.2.3.4.5",
    "10.0",
    "1.0-java",
    "2.3.0",
    "2.3.0.rc1",
];

const TOKENS: &[&str] = &[
    "0",
    "1",
    "2",
    "9",
    "10",
    "007",
    "00",
    "123456789012345678901234567890",
    "a",
    "b",
    "z",
    "A",
    "Z",
    "rc",
    "pre",
    "beta",
    "alpha",
    "RC",
    "java",
    "x86_64",
    "-linux",
    "1a",
    "a1",
];
/// Pieces that make a version invalid (used rarely).
const BAD: &[&str] = &["_", "+", "é", "..", ".", "-", "--", "v"];

fn generated(rng: &mut Rng) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..3000 {
        let mut v = String::new();
        if rng.chance(90) {
            v.push_str(rng.pick(&["1", "2", "0", "10", "1.0", "2.0", "1.2.3", "007"]));
        }
        for _ in 0..rng.below(6) {
            if rng.chance(70) {
                v.push_str(rng.pick(&[".", ".", "-"]));
            }
            v.push_str(rng.pick(TOKENS));
        }
        if rng.chance(8) {
            let cut = rng.below(v.len() + 1);
            if v.is_char_boundary(cut) {
                v.insert_str(cut, rng.pick(BAD));
            }
        }
        out.push(v);
    }
    out
}

fn related_pairs(rng: &mut Rng, base: &[String], n: usize) -> Vec<(String, String)> {
    let mut out = Vec::new();
    while out.len() < n {
        let v = rng.pick(base);
        let mut w = v.clone();
        match rng.below(4) {
            0 => {
                w.push_str(rng.pick(&[".", "-", ""]));
                w.push_str(rng.pick(TOKENS));
            }
            1 => w.push_str(rng.pick(&[".0", ".0.0", ".a", ".pre", "-1", ".1"])),
            2 => {
                let cut = rng.below(w.len() + 1);
                let piece = if rng.chance(15) {
                    rng.pick(BAD)
                } else {
                    rng.pick(TOKENS)
                };
                if w.is_char_boundary(cut) {
                    w.insert_str(cut, piece);
                }
            }
            _ => {
                let cut = rng.below(w.len() + 1);
                if w.is_char_boundary(cut) {
                    w.truncate(cut);
                }
            }
        }
        if w.is_empty() || w.contains(char::is_whitespace) {
            continue;
        }
        out.push((v, w));
    }
    out
}

#[test]
fn rubygems_agrees_with_gem_version() {
    if !runs("ruby", &["-e", "Gem::Version.new('1')"]) {
        missing("ruby");
        return;
    }
    let Some(osv) = osv_versions("osv-ghsa-sample", Osv::ecosystem("RubyGems")) else {
        return;
    };
    let Some(locked) = lockfile_versions() else {
        return;
    };
    println!(
        "rubygems: {} advisory versions, {} lockfile versions",
        osv.len(),
        locked.len()
    );
    let mut rng = Rng::new(SEED);
    let mut real = osv;
    real.extend(locked);
    real.extend(REAL.iter().map(|s| s.to_string()));
    let mut versions = real.clone();
    versions.extend(generated(&mut rng));
    let mut pairs = dense_pairs(&real, 80, 9_000, SEED);
    pairs.extend(dense_pairs(&versions, 0, 5_000, SEED + 1));
    pairs.extend(related_pairs(&mut rng, &versions, 8_000));
    let mut cmd = Command::new("ruby");
    cmd.arg(reference_dir().join("gemversion.rb"));
    let Some(reference) = run_reference(cmd, Batch::SpacedStdin, &pairs) else {
        return;
    };
    assert_agree("rubygems", &pairs, &reference, |a, b| {
        verdict(rubygems::parse(a), rubygems::parse(b), Ord::cmp)
    });
}
