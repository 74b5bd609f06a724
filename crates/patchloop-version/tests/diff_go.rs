//! Differential test: `go` scheme vs golang.org/x/mod/semver over the Go
//! vulnerability database's versions (stored without `v`) plus generated
//! edge cases (pseudo-versions, +incompatible, shorthands, garbage).

mod diffkit;

use std::process::Command;

use diffkit::{
    Batch, Osv, Report, Rng, edge_case_pairs, osv_versions, reference_dir, run_reference, verdict,
};
use patchloop_version::go;

const SEED: u64 = 0x0060_5e3e;
const TOTAL: usize = 40_000;

fn edge_cases() -> Vec<String> {
    let mut out: Vec<String> = [
        "v1",
        "1",
        "v1.2",
        "1.2",
        "v1.2.3",
        "1.2.3",
        "V1.2.3",
        "vv1.2.3",
        "v",
        "",
        " v1.0.0",
        "v1.0.0 ",
        "v01",
        "v1.02",
        "v1.2.03",
        "v0",
        "v0.0",
        "v0.0.0",
        "v1.2-pre",
        "v1+meta",
        "v1.2+meta",
        "v1.2.3-pre",
        "v1.2.3-01",
        "v1.2.3-0",
        "v1.2.3-",
        "v1.2.3+",
        "v1.2.3-+",
        "v1.2.3+incompatible",
        "v2.0.0+incompatible",
        "2.0.0+incompatible",
        "v2.0.0+Incompatible",
        "v1.2.3-a..b",
        "v1.2.3-a.",
        "v1.2.3.4",
        "v1.",
        "v1.2.",
        "v1.2.3-é",
        "v1.2.3-rc.1+b.2",
        "v0.0.0-20191109021931-daa7c04131f5",
        "v0.0.0-20191109021931-DAA7C04131F5",
        "0.0.0-20200101000000-000000000000",
        "v1.2.3-pre.0.20200101000000-abcdefabcdef",
        "v1.2.4-0.20200101000000-abcdefabcdef",
        "v1.2.4-0.20200101000000-abcdefabcdef+incompatible",
        "v99999999999999999999.0.0",
        "v1.99999999999999999999.0",
        "v1.0.99999999999999999999",
        "v1.0.0-99999999999999999999",
        "v1.0.0-99999999999999999998",
        "v１.0.0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let nums = ["0", "1", "2", "10", "01", "123456789012345678901234567890"];
    let ids = [
        "alpha",
        "beta",
        "rc",
        "0",
        "1",
        "11",
        "01",
        "-",
        "A",
        "z",
        "20191109021931",
        "20200101000000-abcdefabcdef",
        "0",
        "pre",
        "",
    ];
    let mut rng = Rng::new(SEED ^ 1);
    for _ in 0..3000 {
        let mut s = String::new();
        if rng.chance(50) {
            s.push('v');
        }
        s.push_str(rng.pick::<&str>(&nums));
        let parts = 1 + rng.below(3);
        for _ in 1..parts {
            s.push('.');
            s.push_str(rng.pick::<&str>(&nums));
        }
        if rng.chance(50) {
            s.push('-');
            for i in 0..1 + rng.below(3) {
                if i > 0 {
                    s.push('.');
                }
                s.push_str(rng.pick::<&str>(&ids));
            }
        }
        if rng.chance(20) {
            s.push_str(if rng.chance(50) {
                "+incompatible"
            } else {
                "+meta.1"
            });
        }
        out.push(s);
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn go_matches_x_mod_semver() {
    let Some(corpus) = osv_versions("osv/Go", Osv::ranges(&["SEMVER"]).with_lists()) else {
        return;
    };
    assert!(corpus.len() > 1000, "corpus too small: {}", corpus.len());
    let edge = edge_cases();
    let pairs = edge_case_pairs(&corpus, &edge, TOTAL, SEED);
    let cmd = Command::new(reference_dir().join("gosemver.sh"));
    let Some(answers) = run_reference(cmd, Batch::JsonLinesFile, &pairs) else {
        return;
    };
    let mut report = Report::default();
    let mut rejected = 0;
    for ((a, b), reference) in pairs.iter().zip(&answers) {
        report.compared += 1;
        let ours = verdict(go::parse(a), go::parse(b), Ord::cmp);
        if reference == "ERR" {
            rejected += 1;
        }
        if ours != reference {
            report.disagree(a, b, ours, reference);
        }
    }
    report.finish(
        "go",
        &format!(
            " ({} corpus versions, {} edge cases; {} ordered, {rejected} rejected by both)",
            corpus.len(),
            edge.len(),
            report.compared - rejected
        ),
    );
}
