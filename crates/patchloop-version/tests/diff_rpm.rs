//! Differential test: our rpm EVR ordering against `rpm.labelCompare` from
//! Debian's python3-rpm (tests/reference/rpm_ref.py, run with
//! /usr/bin/python3).

mod diffkit;

use std::process::Command;

use diffkit::{
    Batch, Rng, assert_agree, dense_pairs, missing, reference_dir, run_reference, runs, verdict,
};
use patchloop_version::rpm;

const SEED: u64 = 0x0E7A_2024;
const PYTHON: &str = "/usr/bin/python3";

/// Realistic EVRs as found in RHEL, Rocky, AlmaLinux, Fedora, SUSE and
/// their advisories.
const REAL: &[&str] = &[
    "1.1.1k-7.el8_6",
    "1.1.1k-6.el8_5",
    "1.1.1k-9.el8_7",
    "1:1.1.1k-12.el8_9",
    "1:1.1.1l-1.el8",
    "1:3.0.7-24.el9",
    "1:3.0.7-25.el9_3",
    "1:3.0.7-27.el9.0.2",
    "2.28-225.el8",
    "2.28-211.el8",
    "2.28-225.el8_8.6",
    "2.34-60.el9",
    "2.34-83.el9.7",
    "2.34-83.el9_3.7",
    "1:1.2.3-4.fc38",
    "1.2.3-4.fc38",
    "4.18.0-477.10.1.el8_8",
    "4.18.0-477.13.1.el8_8",
    "4.18.0-513.5.1.el8_9",
    "5.14.0-284.11.1.el9_2",
    "5.14.0-362.8.1.el9_3",
    "6.5.6-300.fc39",
    "6.5.10-200.fc38",
    "7.61.1-25.el8",
    "7.61.1-30.el8_8.3",
    "7.76.1-26.el9_3.2",
    "8.0.1763-19.el8_6.4",
    "2:8.2.2637-20.el9_1",
    "2:9.0.2153-1.fc39",
    "32:9.11.36-8.el8_8.2",
    "32:9.16.23-14.el9_3",
    "1.0.6-26.el8",
    "0.9.8-1.el9~bootstrap",
    "1.0~rc1-1.fc39",
    "1.0-0.1.rc1.fc39",
    "1.0-1.fc39",
    "1.0^20230101git1234abc-1.fc40",
    "1.0^20230102git5678def-1.fc40",
    "1.0.1-1.fc40",
    "3.6.8-51.el8_8.2",
    "3.9.16-1.el9_2.2",
    "3.11.5-1.fc39",
    "1.8.0.382.b05-2.el8",
    "1:1.8.0.382.b05-2.el8",
    "11.0.21.0.9-2.el8",
    "17.0.9.0.9-2.el9",
    "2.02-148.el8",
    "1:2.02-148.el8_8.1",
    "1:2.06-70.el9_3.1",
    "239-74.el8_8.5",
    "252-18.el9",
    "252-18.el9_3.1",
    "4.14.3-26.el8",
    "4.16.1.3-25.el9",
    "1.12.8-25.el8",
    "0.185-1.el8",
    "0.189-3.el9",
    "3.2.5-1.1",
    "3.2.5-150400.1.1",
    "1.0.2p-150000.3.80.1",
    "2.11.1-lp154.2.3",
    "20230808-1.git0e2b2d09.el9",
    "20230808-2.20230808.git0e2b2d09.el9",
    "1.2.11-40.el9",
    "1.2.11-41.el9_3",
    "1.2.13-4.fc39",
    "0:1.2.13-4.fc39",
    "1.fc17",
    "1b.fc17",
    "2.0.1a",
    "5.5p1",
    "5.5p10",
    "10xyz",
    "10.1xyz",
    "xyz10",
    "xyz10.1",
];

const EPOCHS: &[&str] = &["", "", "", "", "0:", "1:", "2:", "10:", ":", "00:", "01:"];
const VERSIONS: &[&str] = &[
    "1.0",
    "1.0.0",
    "1.00",
    "01.0",
    "1_0",
    "1..0",
    "1.0~rc1",
    "1.0~rc1~git1",
    "1.0~",
    "1.0^",
    "1.0^git1",
    "1.0^git1~pre",
    "1.0~rc1^git1",
    "1.0a",
    "1.0A",
    "1.0.a",
    "1.0+a",
    "a",
    "A",
    "1",
    "0",
    "2",
    "10",
    "99999999999999999999999999",
    "99999999999999999999999998",
    "18446744073709551616",
    "1.é",
    "é1",
    "1.0ü",
    "1:1",
    "1~",
    "~1",
    "^1",
    "1.0~~",
    "1.0^^",
];
const RELEASES: &[&str] = &[
    "",
    "",
    "-1",
    "-0",
    "-2",
    "-10",
    "-1.el8",
    "-1.el8_6",
    "-1.el9",
    "-1.fc39",
    "-1~bootstrap",
    "-1^post",
    "-",
    "-a",
    "-1-2",
    "-0.1.rc1",
    "-1.1",
    "-01",
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
    "_",
    "+",
    "~",
    "^",
    "-",
    ":",
    "a",
    "b",
    "z",
    "A",
    "Z",
    "rc",
    "el",
    "fc",
    "git",
    "é",
    "%",
];

fn generated(rng: &mut Rng) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..2500 {
        let mut v = String::new();
        v.push_str(rng.pick(EPOCHS));
        if rng.chance(60) {
            v.push_str(rng.pick(VERSIONS));
        } else {
            for _ in 0..1 + rng.below(7) {
                v.push_str(rng.pick(TOKENS));
            }
        }
        v.push_str(rng.pick(RELEASES));
        if !v.is_empty() {
            out.push(v);
        }
    }
    out
}

fn related_pairs(rng: &mut Rng, base: &[String], n: usize) -> Vec<(String, String)> {
    let mut out = Vec::new();
    while out.len() < n {
        let v = rng.pick(base);
        let mut w = v.clone();
        match rng.below(5) {
            0 => w.push_str(rng.pick(TOKENS)),
            1 => w.push_str(rng.pick(RELEASES)),
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
        if w.is_empty() || w.contains(char::is_whitespace) {
            continue;
        }
        out.push((v, w));
    }
    out
}

#[test]
fn rpm_agrees_with_label_compare() {
    if !runs(PYTHON, &["-c", "import rpm"]) {
        missing("python3-rpm for /usr/bin/python3");
        return;
    }
    let mut rng = Rng::new(SEED);
    let mut versions: Vec<String> = REAL.iter().map(|s| s.to_string()).collect();
    versions.extend(generated(&mut rng));
    let mut pairs = dense_pairs(&versions, REAL.len(), 14_000, SEED);
    pairs.extend(related_pairs(&mut rng, &versions, 8_000));
    let mut cmd = Command::new(PYTHON);
    cmd.arg(reference_dir().join("rpm_ref.py"));
    let Some(reference) = run_reference(cmd, Batch::SpacedStdin, &pairs) else {
        return;
    };
    assert_agree("rpm", &pairs, &reference, |a, b| {
        verdict(rpm::parse(a), rpm::parse(b), Ord::cmp)
    });
}
