//! Differential test: `pep440` scheme vs Python `packaging` 26.3
//! (`packaging.version.Version`) over the PyPA advisory database's
//! versions (range events and `versions` lists) plus generated edge cases.
//! Pairs that packaging rejects (LEGACY versions) are counted separately
//! and checked against `packaging_legacy` (osv.dev's LegacyVersion).

mod diffkit;

use std::process::Command;

use diffkit::{
    Batch, Osv, Report, Rng, edge_case_pairs, ord_token, osv_versions, reference_dir,
    run_reference, verdict,
};
use patchloop_version::pep440;

const SEED: u64 = 0x009e_9440;
const TOTAL: usize = 40_000;

fn edge_cases() -> Vec<String> {
    let mut out: Vec<String> = [
        "1.0",
        "1.0.0",
        "1.0.0.0",
        "1",
        "v1.0",
        "V1.0",
        "vv1.0",
        " 1.0 ",
        "\t1.0\n",
        "\u{a0}1.0",
        "\u{85}1.0\u{3000}",
        "\u{1c}1.0",
        "\u{feff}1.0",
        "1.0\u{200b}",
        "1!1.0",
        "0!1.0",
        "01!1.0",
        "1!",
        "!1.0",
        "1.0!",
        "1.0.dev0",
        "1.0a0.dev0",
        "1.0a0",
        "1.0a0.post0.dev0",
        "1.0a0.post0",
        "1.0b0",
        "1.0rc0",
        "1.0.post0.dev0",
        "1.0.post0",
        "1.0-1",
        "1.0-0",
        "1.0-01",
        "1.0_1",
        "1.0.1a",
        "1.0a",
        "1.0A1",
        "1.0ALPHA1",
        "1.0Alpha.1",
        "1.0-alpha-1",
        "1.0_alpha_1",
        "1.0.alpha.1",
        "1.0beta",
        "1.0b",
        "1.0c1",
        "1.0C1",
        "1.0rc",
        "1.0RC1",
        "1.0pre1",
        "1.0preview1",
        "1.0.pre.1",
        "1.0-pre-1",
        "1.0rev1",
        "1.0r1",
        "1.0-r-1",
        "1.0.post",
        "1.0POST1",
        "1.0-post-1",
        "1.0.post.1",
        "1.0post1",
        "1.0dev",
        "1.0.DEV1",
        "1.0-dev-1",
        "1.0_dev_1",
        "1.0dev1",
        "1.0a1.post2.dev3",
        "1.0a1-2",
        "1.0a-1",
        "1.0a.1",
        "1.0a.post1",
        "1.0a-dev",
        "1.0a.",
        "1.0a-",
        "1.0.post.",
        "1.0-dev-",
        "1.0.dev.",
        "1.0+local",
        "1.0+LOCAL",
        "1.0+ubuntu.1",
        "1.0+ubuntu-1",
        "1.0+ubuntu_1",
        "1.0+1",
        "1.0+01",
        "1.0+1.0",
        "1.0+abc.1.twelve",
        "1.0+",
        "1.0+.a",
        "1.0+a.",
        "1.0+a..b",
        "1.0+a+b",
        "1.0+é",
        "1.0+a b",
        "1.0 +a",
        "1..0",
        ".1.0",
        "1.0.",
        "1.",
        "",
        " ",
        "1,0",
        "1.0-",
        "1.0--1",
        "1.0-1-1",
        "1.0.post1.post2",
        "1.0a1b2",
        "1.0.dev1.dev2",
        "1.0.poſt1",
        "1.0.prevıew1",
        "1.0+K",
        "1.0+ſ",
        "1.0+ı",
        "1.0+İ",
        "١.٠",
        "1.٠",
        "１.0",
        "99999999999999999999999.0",
        "1.99999999999999999999999",
        "1.0a99999999999999999999",
        "1.0.post99999999999999999999",
        "1.0.dev99999999999999999999",
        "1.0+99999999999999999999",
        "99999999999999999999!1.0",
        "0.0",
        "0",
        "000",
        "0.0.0.0.0.1",
        "1.0.0.0.0.0.0.0",
        "2.0.0-SNAPSHOT",
        "1.0.0-rc.1",
        "1.0.0-beta.2",
        "2004d",
        "0.9.8e",
        "1.2.3.final",
        "dev",
        "foo",
        "FOO",
        "foo-bar",
        "a.b.c",
        "1.0-SNAPSHOT-2",
        "latest",
        "master",
        "rc1",
        "1.0rc1-final",
        "1.0.final",
        "1.0-final",
        "1.0_final",
        "1.0pl1",
        "1.0-patch",
        "1.0p1",
        "1.0.0.0.0-pre",
        "1.0-preview",
        "1.0-dev",
        "1.0-rc-1",
        "2.0.0a",
        "2.0.0@1",
        "2.0:1",
        "1.0\n1.0",
        "1.0 1",
        "1.0\u{0}",
        "Σ",
        "ΑΣ.1",
        "1.0-ß",
        "1.0ǅ",
        "1.0-ǅ",
        "1.0-K",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let nums = [
        "0",
        "1",
        "2",
        "10",
        "01",
        "00",
        "007",
        "123456789012345678901234567890",
    ];
    let seps = ["", ".", "-", "_"];
    let pre = [
        "a", "b", "rc", "c", "alpha", "beta", "pre", "preview", "A", "RC", "Beta",
    ];
    let post = ["post", "rev", "r", "POST", "Rev"];
    let locals = ["ubuntu", "1", "01", "abc", "ABC", "a1b2", "deb10u1", "1a"];
    let mut rng = Rng::new(SEED ^ 1);
    for _ in 0..4000 {
        let mut s = String::new();
        if rng.chance(5) {
            s.push_str(if rng.chance(50) { " " } else { "\t" });
        }
        if rng.chance(10) {
            s.push('v');
        }
        if rng.chance(8) {
            s.push_str(rng.pick(&nums));
            s.push('!');
        }
        s.push_str(rng.pick(&nums));
        for _ in 0..rng.below(4) {
            s.push('.');
            s.push_str(rng.pick(&nums));
        }
        if rng.chance(40) {
            s.push_str(rng.pick(&seps));
            s.push_str(rng.pick(&pre));
            s.push_str(rng.pick(&seps));
            if rng.chance(70) {
                s.push_str(rng.pick(&nums));
            }
        }
        if rng.chance(30) {
            if rng.chance(30) {
                s.push('-');
                s.push_str(rng.pick(&nums));
            } else {
                s.push_str(rng.pick(&seps));
                s.push_str(rng.pick(&post));
                s.push_str(rng.pick(&seps));
                if rng.chance(70) {
                    s.push_str(rng.pick(&nums));
                }
            }
        }
        if rng.chance(30) {
            s.push_str(rng.pick(&seps));
            s.push_str(if rng.chance(80) { "dev" } else { "DEV" });
            s.push_str(rng.pick(&seps));
            if rng.chance(70) {
                s.push_str(rng.pick(&nums));
            }
        }
        if rng.chance(20) {
            s.push('+');
            s.push_str(rng.pick(&locals));
            for _ in 0..rng.below(3) {
                s.push_str(rng.pick(&[".", "-", "_"]));
                s.push_str(rng.pick(&locals));
            }
        }
        if rng.chance(5) {
            s.push_str(rng.pick(&[" ", "\n", "\u{a0}", "-", ".", "x", "+"]));
        }
        out.push(s);
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn pep440_matches_packaging() {
    let Some(corpus) = osv_versions("osv/PyPI", Osv::ranges(&["ECOSYSTEM"]).with_lists()) else {
        return;
    };
    assert!(corpus.len() > 10_000, "corpus too small: {}", corpus.len());
    let edge = edge_cases();
    let pairs = edge_case_pairs(&corpus, &edge, TOTAL, SEED);
    let mut cmd = Command::new(std::env::var("PYTHON").unwrap_or_else(|_| "python3".into()));
    cmd.arg(reference_dir().join("pep440.py"));
    let Some(answers) = run_reference(cmd, Batch::JsonLinesFile, &pairs) else {
        return;
    };

    let mut report = Report::default();
    let (mut strict, mut legacy_pairs, mut empty) = (0, 0, 0);
    for ((a, b), answer) in pairs.iter().zip(&answers) {
        report.compared += 1;
        let (reference, reference_legacy) = answer.split_once(' ').expect("two tokens");
        // Strict PEP 440: must agree exactly, including rejection.
        let ours_strict = verdict(pep440::parse_strict(a), pep440::parse_strict(b), Ord::cmp);
        if ours_strict != reference {
            report.disagree(a, b, ours_strict, reference);
            continue;
        }
        if reference != "ERR" {
            strict += 1;
        }
        // Full parse (legacy fallback) against packaging_legacy.
        match (pep440::parse(a), pep440::parse(b)) {
            (Ok(x), Ok(y)) => {
                if x.is_legacy() || y.is_legacy() {
                    legacy_pairs += 1;
                }
                let ours = ord_token(x.cmp(&y));
                if ours != reference_legacy {
                    report.disagree(a, b, &format!("{ours} (legacy ordering)"), reference_legacy);
                }
            }
            // Deliberate: an empty / all-whitespace string is an error for
            // us, while LegacyVersion("") sorts below everything.
            _ if a.trim().is_empty() || b.trim().is_empty() => empty += 1,
            _ => report.disagree(a, b, "ERR", reference_legacy),
        }
    }
    report.finish(
        "pep440",
        &format!(
            " ({} corpus versions, {} edge cases; {strict} ordered as PEP 440 by both; \
             {legacy_pairs} pairs involve a legacy version (packaging: InvalidVersion), \
             checked against packaging_legacy; {empty} deliberate: empty string rejected)",
            corpus.len(),
            edge.len()
        ),
    );
}
