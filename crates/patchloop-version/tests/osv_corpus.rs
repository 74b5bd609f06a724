//! OSV range evaluation on every real advisory in ../shared/data: for each
//! SEMVER/ECOSYSTEM range taken alone, an `introduced` version is affected
//! and the `fixed` version that closes it is not; every listed version is
//! affected. Versions the scheme cannot parse are counted, never guessed.

use patchloop_model::{Advisory, Affected, Event, RangeType};
use patchloop_testdata::{files_under, shared_data};
use patchloop_version::Scheme;
use patchloop_version::osv::evaluate;

#[test]
fn introduced_is_affected_fixed_is_not() {
    let mut checked = 0usize;
    let mut unparseable = 0usize;
    for dir in ["osv", "osv-ghsa-sample"] {
        let Some(d) = shared_data(dir) else { return };
        for p in files_under(&d) {
            let Ok(bytes) = std::fs::read(&p) else {
                continue;
            };
            let a: Advisory = serde_json::from_slice(&bytes).unwrap();
            for aff in &a.affected {
                let Some(pkg) = &aff.package else { continue };
                let Some(scheme) = Scheme::for_ecosystem(&pkg.ecosystem) else {
                    continue;
                };
                for v in &aff.versions {
                    let only_list = Affected {
                        ranges: vec![],
                        ..aff.clone()
                    };
                    match evaluate(scheme, &only_list, v) {
                        Ok(e) => assert!(e.affected, "{} {v}", a.id),
                        Err(_) => unparseable += 1,
                    }
                }
                for r in &aff.ranges {
                    if !matches!(r.kind, RangeType::Semver | RangeType::Ecosystem) {
                        continue;
                    }
                    let alone = Affected {
                        ranges: vec![r.clone()],
                        versions: vec![],
                        ..aff.clone()
                    };
                    // Consecutive introduced -> fixed pairs, as written.
                    for w in r.events.windows(2) {
                        let (Event::Introduced(i), Event::Fixed(f)) = (&w[0], &w[1]) else {
                            continue;
                        };
                        let s = if r.kind == RangeType::Semver {
                            Scheme::SemVer
                        } else {
                            scheme
                        };
                        let (Ok(iv), Ok(fv)) = (s.parse(if i == "0" { f } else { i }), s.parse(f))
                        else {
                            unparseable += 1;
                            continue;
                        };
                        if i != "0" && iv.cmp_same(&fv) != Some(std::cmp::Ordering::Less) {
                            continue; // malformed or empty interval in the data
                        }
                        // An introduced version that another interval of the
                        // same range also fixes is ambiguous data: skip it.
                        let fixed_too = r
                            .events
                            .iter()
                            .any(|x| matches!(x, Event::Fixed(v) if v == i));
                        if i != "0" && !fixed_too {
                            let e = evaluate(scheme, &alone, i).unwrap();
                            assert!(e.affected, "{}: introduced {i} not affected", a.id);
                        }
                        let e = evaluate(scheme, &alone, f).unwrap();
                        // The fixed version can still be re-introduced later
                        // in the same range; only check when it is not.
                        let reintroduced = r
                            .events
                            .iter()
                            .any(|x| matches!(x, Event::Introduced(v) if v == f));
                        if !reintroduced {
                            assert!(!e.affected, "{}: fixed {f} still affected", a.id);
                        }
                        checked += 1;
                    }
                }
            }
        }
    }
    if checked == 0 {
        return; // data absent (shared_data already reported it)
    }
    eprintln!("checked {checked} introduced/fixed pairs; {unparseable} unparseable versions");
    assert!(checked > 10_000, "{checked}");
}
