//! Differential test: `semver` scheme vs node-semver (strict) over real
//! crates.io, Go (SEMVER ranges) and npm advisory versions plus generated
//! edge cases.

mod diffkit;

use std::process::Command;

use diffkit::{
    Batch, Osv, Report, Rng, edge_case_pairs, osv_versions, reference_dir, run_reference, verdict,
};
use patchloop_version::semver;

const SEED: u64 = 0x5e3e_2000;
const TOTAL: usize = 40_000;

fn edge_cases() -> Vec<String> {
    let mut out: Vec<String> = [
        "1.0.0",
        "v1.0.0",
        "V1.0.0",
        "=1.0.0",
        " 1.0.0 ",
        "\t1.0.0\n",
        "\u{a0}1.0.0\u{feff}",
        "\u{85}1.0.0",
        "1.0.0\u{2028}",
        "1.0",
        "1",
        "1.0.0.0",
        "01.0.0",
        "1.00.0",
        "0.0.0",
        "0.0.0-0",
        "1.0.0-0",
        "1.0.0-00",
        "1.0.0-01",
        "1.0.0-0a",
        "1.0.0--",
        "1.0.0-a-",
        "1.0.0-",
        "1.0.0+",
        "1.0.0-+",
        "1.0.0-a+",
        "1.0.0+a+b",
        "1.0.0-a.",
        "1.0.0-.a",
        "1.0.0-a..b",
        "1.0.0-alpha",
        "1.0.0-Alpha",
        "1.0.0-ALPHA",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0-rc1",
        "1.0.0+build",
        "1.0.0+build.1",
        "1.0.0+001",
        "1.0.0-rc.1+build.1",
        "1.0.0+a_b",
        "9007199254740991.0.0",
        "9007199254740992.0.0",
        "0.9007199254740991.0",
        "0.0.9007199254740992",
        "18446744073709551616.0.0",
        "1.0.0-9007199254740990",
        "1.0.0-9007199254740991",
        "1.0.0-9007199254740992",
        "1.0.0-99999999999999999999",
        "1.0.0-99999999999999999998",
        "1.0.0-99999999999999999999.1",
        "1.0.0-é",
        "1.0.0-ä",
        "１.0.0",
        "1.0.0-١",
        "",
        " ",
        "v",
        "vv1.0.0",
        "1.0.0 ",
        "1 .0.0",
        "1.0.0-a b",
        "1.0.0-a\u{0}",
        "1.2.3-x.7.z.92",
        "1.2.3----RC-SNAPSHOT.12.9.1--.12",
        "1.0.0-0A.is.legal",
        "2.0.0-rc.1+build.123",
        "10.2.3-DEV-SNAPSHOT",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    out.push(format!("1.0.0-{}", "a".repeat(250)));
    out.push(format!("1.0.0-{}", "a".repeat(251)));
    out.push(format!("v1.0.0-{}", "a".repeat(249)));
    out.push(format!("v1.0.0-{}", "a".repeat(250)));
    out.push(format!(" 1.0.0-{}", "a".repeat(250)));
    out.push(format!("1.0.0-{}é", "a".repeat(248)));
    let nums = [
        "0",
        "1",
        "2",
        "10",
        "01",
        "99",
        "9007199254740991",
        "12345678901234567890",
    ];
    let ids = [
        "alpha",
        "beta",
        "rc",
        "0",
        "1",
        "2",
        "11",
        "01",
        "-",
        "a-b",
        "A",
        "Z",
        "z",
        "0a",
        "x1",
        "99999999999999999999",
        "9007199254740991",
        "SNAPSHOT",
        "",
        "é",
    ];
    let builds = [
        "build",
        "1",
        "001",
        "a.b",
        "x-y",
        "",
        "+",
        "é",
        "sha.5114f85",
    ];
    let pres = ["", "v", "v", "V", " ", "="];
    let mut rng = Rng::new(SEED ^ 1);
    for _ in 0..3000 {
        let mut s = String::from(rng.pick(&pres));
        s.push_str(rng.pick::<&str>(&nums));
        s.push('.');
        s.push_str(rng.pick::<&str>(&nums));
        s.push('.');
        s.push_str(rng.pick::<&str>(&nums));
        if rng.chance(60) {
            s.push('-');
            let n = 1 + rng.below(3);
            for i in 0..n {
                if i > 0 {
                    s.push('.');
                }
                s.push_str(rng.pick::<&str>(&ids));
            }
        }
        if rng.chance(25) {
            s.push('+');
            s.push_str(rng.pick::<&str>(&builds));
        }
        if rng.chance(3) {
            s.push(' ');
        }
        out.push(s);
    }
    out.sort();
    out.dedup();
    out
}

/// node-semver turns numeric pre-release identifiers >= 2^53 into lossy
/// doubles (and stops comparing at the first "equal" one); we compare them
/// exactly. Such pairs are a deliberate, documented difference.
fn has_huge_numeric_pre(v: &str) -> bool {
    let body = v.split('+').next().unwrap_or("");
    body.split_once('-').is_some_and(|(_, pre)| {
        pre.split('.').any(|id| {
            id.len() >= 16 && id.bytes().all(|b| b.is_ascii_digit()) && {
                id.len() > 16 || id > "9007199254740991"
            }
        })
    })
}

#[test]
fn semver_matches_node_semver() {
    let mut corpus = Vec::new();
    for (dir, select) in [
        ("osv/crates.io", Osv::ranges(&["SEMVER"])),
        ("osv/Go", Osv::ranges(&["SEMVER"])),
        (
            "osv-ghsa-sample/npm",
            Osv::ranges(&["SEMVER", "ECOSYSTEM"]).with_lists(),
        ),
    ] {
        let Some(v) = osv_versions(dir, select) else {
            return;
        };
        corpus.extend(v);
    }
    corpus.sort();
    corpus.dedup();
    assert!(corpus.len() > 1000, "corpus too small: {}", corpus.len());
    let edge = edge_cases();
    let pairs = edge_case_pairs(&corpus, &edge, TOTAL, SEED);
    let mut cmd = Command::new("node");
    cmd.arg(reference_dir().join("semver.js"));
    let Some(answers) = run_reference(cmd, Batch::JsonLinesFile, &pairs) else {
        return;
    };

    let mut report = Report::default();
    let (mut rejected, mut precision) = (0, 0);
    for ((a, b), reference) in pairs.iter().zip(&answers) {
        report.compared += 1;
        let ours = verdict(semver::parse(a), semver::parse(b), Ord::cmp);
        if reference == "ERR" {
            rejected += 1;
        }
        if ours == reference {
            continue;
        }
        if reference == "0" && (has_huge_numeric_pre(a) || has_huge_numeric_pre(b)) {
            precision += 1;
            continue;
        }
        report.disagree(a, b, ours, reference);
    }
    report.finish(
        "semver",
        &format!(
            " ({} corpus versions, {} edge cases; {} ordered, {rejected} rejected by both; \
             {precision} deliberate: exact compare of numeric pre-release ids >= 2^53)",
            corpus.len(),
            edge.len(),
            report.compared - rejected
        ),
    );
}
