//! Differential test: our Maven ordering against maven-artifact 3.x
//! `ComparableVersion` (tests/reference/ComparableVersionRef.java, run with
//! Java's single-file source launcher).

mod diffkit;

use std::path::Path;
use std::process::Command;

use diffkit::{
    Batch, Osv, Rng, assert_agree, dense_pairs, missing, osv_versions, reference_dir,
    run_reference, runs, verdict,
};
use patchloop_version::maven;

const SEED: u64 = 0x3A7E_2024;
const JAR: &str = "/usr/share/java/maven-artifact-3.x.jar";

/// Versions pinned in the Maven lockfiles of the shared data.
fn lockfile_versions() -> Option<Vec<String>> {
    let dir = patchloop_testdata::shared_data("lockfiles/Maven")?;
    let mut out = Vec::new();
    for file in patchloop_testdata::files_under(&dir) {
        let text = std::fs::read_to_string(&file).expect("read lockfile");
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with("gradle.lockfile") {
            for line in text.lines().filter(|l| !l.starts_with('#')) {
                let coords = line.split('=').next().unwrap_or("");
                if let Some(v) = coords.split(':').nth(2) {
                    out.push(v.to_string());
                }
            }
        } else if name.ends_with("pom.xml") {
            for part in text.split("<version>").skip(1) {
                if let Some((v, _)) = part.split_once("</version>")
                    && !v.contains("${")
                {
                    out.push(v.trim().to_string());
                }
            }
        }
    }
    Some(out)
}

/// Realistic Maven Central versions.
const REAL: &[&str] = &[
    "32.1.3-jre",
    "32.1.3-android",
    "31.0.1-jre",
    "33.0.0-jre",
    "5.3.40",
    "5.3.9.RELEASE",
    "4.3.30.RELEASE",
    "5.4.32.Final",
    "6.4.4.Final",
    "4.1.100.Final",
    "4.1.9.Final",
    "1.0-SNAPSHOT",
    "1.0.0-SNAPSHOT",
    "2.0.0-beta.1",
    "2.0.0-beta1",
    "2.0.0-alpha-1",
    "1.0.0-M1",
    "1.0.0-m1",
    "3.0.0-RC1",
    "3.0.0-rc-1",
    "3.0.0-CR1",
    "3.0.0.GA",
    "3.0.0-ga",
    "1.2.3-20230101.123456-1",
    "2.12.6.1",
    "2.13.2.1",
    "2.13.2.2",
    "2.17.1",
    "2.17.0",
    "2.0-rc1",
    "2.0-beta9",
    "1.10.0",
    "1.9",
    "10.1.20",
    "10.1.25",
    "9.0.90",
    "11.0.0-M21",
    "11.0.0-M1",
    "1.4.5",
    "1.4.20",
    "1.4.18",
    "0.9.3",
    "0.9.4",
    "1.25.0",
    "1.26.0",
    "2.2",
    "2.0",
    "1.33",
    "2.5.1",
    "2.15.4",
    "6.1.6",
    "6.1.13",
    "1.0.0.Beta1",
    "1.0.0.CR2",
    "1.0.0.Alpha3",
    "2.3.0.Final",
    "1.0-sp1",
    "1.0-SP2",
    "1.0.0-jre7",
    "r09",
    "r03",
    "20230227",
    "20090211",
    "1.1.1-1",
    "1.1.1.1",
    "2_11",
    "1.0+build.5",
    "7.0.0-preview",
];

/// No capital sigma `Σ`: its lower case depends on context, decided by
/// Java's word BreakIterator but by Unicode's Final_Sigma rule here (see
/// docs/versions/maven-rubygems-dpkg-rpm-apk.md).
const TOKENS: &[&str] = &[
    "0",
    "1",
    "2",
    "9",
    "10",
    "007",
    "00",
    "0000000000",
    "123456789",
    "1234567890",
    "999999999",
    "2147483648",
    "9223372036854775808",
    "12345678901234567890",
    ".",
    ".",
    "-",
    "-",
    "alpha",
    "a",
    "b",
    "m",
    "beta",
    "milestone",
    "rc",
    "cr",
    "snapshot",
    "SNAPSHOT",
    "ga",
    "final",
    "Final",
    "release",
    "RELEASE",
    "sp",
    "SP",
    "jre",
    "android",
    "M",
    "RC",
    "abc",
    "x",
    "z",
    "é",
    "İ",
    "ß",
    "Ω",
    "σ",
    "\u{0663}",
    "\u{FF11}",
    "\u{0660}",
    "_",
    "+",
    "Ab",
];

fn generated(rng: &mut Rng) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..3000 {
        let mut v = String::new();
        if rng.chance(80) {
            v.push_str(rng.pick(&["1", "2", "0", "10", "1.0", "2.0", "1.2.3"]));
        }
        for _ in 0..1 + rng.below(6) {
            v.push_str(rng.pick(TOKENS));
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
            0 => w.push_str(rng.pick(TOKENS)),
            1 => {
                w.push_str(rng.pick(&[".", "-", ""]));
                w.push_str(rng.pick(TOKENS));
            }
            2 => {
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
        if w.is_empty() || w.contains(char::is_whitespace) {
            continue;
        }
        out.push((v, w));
    }
    out
}

#[test]
fn maven_agrees_with_comparable_version() {
    if !Path::new(JAR).exists() || !runs("java", &["-version"]) {
        missing("java and /usr/share/java/maven-artifact-3.x.jar (libmaven3-core-java)");
        return;
    }
    let Some(osv) = osv_versions("osv-ghsa-sample", Osv::ecosystem("Maven")) else {
        return;
    };
    let Some(locked) = lockfile_versions() else {
        return;
    };
    println!(
        "maven: {} advisory versions, {} lockfile versions",
        osv.len(),
        locked.len()
    );
    let mut rng = Rng::new(SEED);
    let mut real: Vec<String> = osv;
    real.extend(locked);
    real.extend(REAL.iter().map(|s| s.to_string()));
    let mut versions = real.clone();
    versions.extend(generated(&mut rng));
    let mut pairs = dense_pairs(&real, 90, 9_000, SEED);
    pairs.extend(dense_pairs(&versions, 0, 5_000, SEED + 1));
    pairs.extend(related_pairs(&mut rng, &versions, 8_000));
    let mut cmd = Command::new("java");
    cmd.arg("-cp")
        .arg(JAR)
        .arg(reference_dir().join("ComparableVersionRef.java"));
    let Some(reference) = run_reference(cmd, Batch::SpacedStdin, &pairs) else {
        return;
    };
    assert_agree("maven", &pairs, &reference, |a, b| {
        verdict(maven::parse(a), maven::parse(b), maven::compare_maven)
    });
    // `Ord` (total) departs from Maven only where Maven is not transitive.
    let mut departures = Vec::new();
    for (a, b) in &pairs {
        let (x, y) = (maven::parse(a).unwrap(), maven::parse(b).unwrap());
        if x.cmp(&y) != maven::compare_maven(&x, &y) {
            departures.push(format!("{a} vs {b}"));
        }
    }
    println!(
        "maven: Ord departs from ComparableVersion on {} of {} pairs (Maven's non-transitive cases){}",
        departures.len(),
        pairs.len(),
        departures
            .iter()
            .take(5)
            .map(|d| format!("\n  {d}"))
            .collect::<String>()
    );
    assert!(departures.len() * 100 < pairs.len(), "too many departures");
}
