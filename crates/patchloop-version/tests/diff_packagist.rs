//! Differential test: `packagist` scheme vs composer/semver
//! (`VersionParser::normalize` + `Comparator`) over the GHSA Packagist
//! sample, the versions of a real composer.lock, and generated edge cases.

mod diffkit;

use std::process::Command;

use diffkit::{
    Batch, Osv, Report, Rng, edge_case_pairs, osv_versions, reference_dir, run_reference, verdict,
};
use patchloop_version::packagist;

const SEED: u64 = 0x0c03_905e;
const TOTAL: usize = 40_000;

fn lock_versions() -> Option<Vec<String>> {
    let dir = patchloop_testdata::shared_data("lockfiles/Packagist")?;
    let mut out = Vec::new();
    for f in patchloop_testdata::files_under(&dir) {
        let text = std::fs::read_to_string(&f).expect("read lockfile");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("composer.lock JSON");
        for key in ["packages", "packages-dev"] {
            for p in doc[key].as_array().into_iter().flatten() {
                if let Some(v) = p["version"].as_str() {
                    out.push(v.to_string());
                }
                if let Some(v) = p["version_normalized"].as_str() {
                    out.push(v.to_string());
                }
            }
        }
    }
    Some(out)
}

fn edge_cases() -> Vec<String> {
    let mut out: Vec<String> = [
        "1.0.0",
        "1.0",
        "1",
        "1.0.0.0",
        "1.0.0.0.0",
        "v1.0.0",
        "V1.0.0",
        "vv1.0",
        " 1.0 ",
        "\t1.0\n",
        "1.0\u{b}",
        "\u{0}1.0",
        "1.0\u{0}",
        "\u{c}1.0",
        "12345.0",
        "123456.0",
        "99999",
        "100000",
        "1.0-dev",
        "1.0.0-dev",
        "1.0.x-dev",
        "1.x-dev",
        "1.*-dev",
        "1.X-dev",
        "1.x",
        "v1.x-dev",
        "1.2.x.x-dev",
        "1.2.3.4.x-dev",
        "1.0-alpha",
        "1.0-alpha1",
        "1.0-alpha.1",
        "1.0-alpha-1",
        "1.0alpha1",
        "1.0.alpha1",
        "1.0_alpha1",
        "1.0-a1",
        "1.0-A1",
        "1.0-ALPHA1",
        "1.0-beta",
        "1.0-b",
        "1.0-B2",
        "1.0-RC",
        "1.0-rc1",
        "1.0-Rc.2",
        "1.0-RC1-dev",
        "1.0-rc.1.2",
        "1.0-rc1-2",
        "1.0-rc-1",
        "1.0-patch",
        "1.0-patch1",
        "1.0-pl",
        "1.0-pl2",
        "1.0-p",
        "1.0-p3",
        "1.0-pa",
        "1.0-stable",
        "1.0-STABLE",
        "1.0-stable-dev",
        "1.0-stable1",
        "1.0-gamma",
        "1.0-",
        "1.0.",
        "1.",
        "1.0_",
        "1.0--dev",
        "1.0-dev-dev",
        "1.0.dev",
        "1.0dev",
        "1.0-DEV",
        "1.0-adev",
        "1.0-bdev",
        "1.0-pdev",
        "1.0-a.dev",
        "1.0@dev",
        "1.0@stable",
        "1.0@RC",
        "1.0@beta@dev",
        "1.0@foo",
        "1.0 as 2.0",
        "1.0  as  2.0",
        "1.0 AS 2.0",
        "dev-master as 1.0",
        "1.0 as dev-master",
        "1.0+build",
        "1.0+build.1",
        "1.0+",
        "1.0++a",
        "1.0,1+a",
        "1.0-beta+exp.sha.5114f85",
        "master",
        "trunk",
        "default",
        "Master",
        "dev-master",
        "dev-main",
        "dev-trunk",
        "dev-default",
        "DEV-feature",
        "Dev-Feature/Foo",
        "dev-",
        "dev-1.0",
        "dev-1.x",
        "dev-feature/x@dev",
        "feature-dev",
        "foo",
        "",
        " ",
        "2010-01-02",
        "2010.01.02",
        "2010-01-02-10-20-30",
        "20100102",
        "201001021",
        "2010010212",
        "20100102123",
        "2010-01-02.5",
        "2010-01",
        "2010:01:02",
        "2010-1-2",
        "v2010-01-02",
        "2010-01-02-dev",
        "2010-01-02-beta1",
        "20100102203040123",
        "2010010220304012345",
        "1.99999999999999999999",
        "1.99999999999999999998",
        "1.9223372036854775807",
        "1.9223372036854775808",
        "1.0.0-beta99999999999999999999",
        "00001.0",
        "01.02.03.04",
        "1.0.0-alpha0",
        "1.0\ndev",
        "a\n1.x-dev",
        "1.x-dev\n@dev",
        "1.0\n@dev",
        "é1.0",
        "1.0é",
        "1.0-bé",
        "1.0.0.0-dev",
        "1.0.0.0-alpha1",
        "1.0.0.0-patch1",
        "9999999-dev",
        "dev-master@dev",
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
        "12345",
        "123456",
        "99999999999999999999",
    ];
    let seps = ["", ".", "-", "_"];
    let stabs = [
        "alpha", "a", "beta", "b", "RC", "rc", "patch", "pl", "p", "stable", "Alpha", "BETA",
        "dev", "x",
    ];
    let mut rng = Rng::new(SEED ^ 1);
    for _ in 0..5000 {
        let mut s = String::new();
        if rng.chance(15) {
            s.push('v');
        }
        s.push_str(rng.pick(&nums));
        for _ in 0..rng.below(5) {
            s.push('.');
            s.push_str(if rng.chance(8) { "x" } else { rng.pick(&nums) });
        }
        if rng.chance(45) {
            s.push_str(rng.pick(&seps));
            s.push_str(rng.pick(&stabs));
            if rng.chance(60) {
                s.push_str(rng.pick(&seps));
                s.push_str(rng.pick(&nums));
            }
        }
        if rng.chance(20) {
            s.push_str(rng.pick(&["-dev", ".dev", "dev", "-DEV", "_dev"]));
        }
        if rng.chance(8) {
            s.push_str(rng.pick(&["+build", "@dev", "@stable", " as 1.0", " ", "@beta"]));
        }
        out.push(s);
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn packagist_matches_composer_semver() {
    let Some(mut corpus) = osv_versions(
        "osv-ghsa-sample/Packagist",
        Osv::ranges(&["ECOSYSTEM", "SEMVER"]).with_lists(),
    ) else {
        return;
    };
    let Some(lock) = lock_versions() else { return };
    corpus.extend(lock);
    corpus.sort();
    corpus.dedup();
    assert!(corpus.len() > 50, "corpus too small: {}", corpus.len());
    let edge = edge_cases();
    let pairs = edge_case_pairs(&corpus, &edge, TOTAL, SEED);
    let mut cmd = Command::new("php");
    cmd.arg(reference_dir().join("composer.php"));
    let Some(answers) = run_reference(cmd, Batch::JsonLinesFile, &pairs) else {
        return;
    };

    let mut report = Report::default();
    let (mut rejected, mut branches) = (0, 0);
    for ((a, b), reference) in pairs.iter().zip(&answers) {
        report.compared += 1;
        let parsed = (packagist::parse(a), packagist::parse(b));
        let ours = verdict(parsed.0.as_ref(), parsed.1.as_ref(), Ord::cmp);
        if reference == "ERR" {
            rejected += 1;
        }
        if reference == "NC" {
            // Composer does not order two different branches; we order
            // them by their normalized names (deliberate, documented).
            match &parsed {
                (Ok(x), Ok(y)) if x.is_branch() && y.is_branch() && ours != "0" => branches += 1,
                _ => report.disagree(a, b, ours, reference),
            }
            continue;
        }
        if ours != reference {
            report.disagree(a, b, ours, reference);
        }
    }
    report.finish(
        "packagist",
        &format!(
            " ({} corpus versions, {} edge cases; {} ordered, {rejected} rejected by both; \
             {branches} deliberate: two different dev branches (NC in Composer) ordered by name)",
            corpus.len(),
            edge.len(),
            report.compared - rejected - branches
        ),
    );
}
