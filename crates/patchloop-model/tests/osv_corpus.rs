//! Every real OSV record in ../shared/data parses into the model, and the
//! model keeps what the README of the data says is there.

use patchloop_model::{Advisory, EcosystemKind, Event, RangeType};
use patchloop_testdata::{files_under, shared_data};

fn load(dir: &str) -> Option<Vec<Advisory>> {
    let d = shared_data(dir)?;
    Some(
        files_under(&d)
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .map(|p| {
                let bytes = std::fs::read(&p).unwrap();
                serde_json::from_slice::<Advisory>(&bytes)
                    .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            })
            .collect(),
    )
}

#[test]
fn all_osv_records_parse_with_documented_counts() {
    for (dir, total, withdrawn, kind) in [
        ("osv/crates.io", 1206, 13, EcosystemKind::CratesIo),
        ("osv/PyPI", 2661, 10, EcosystemKind::PyPI),
        ("osv/Go", 4291, 17, EcosystemKind::Go),
    ] {
        let Some(all) = load(dir) else { return };
        assert_eq!(all.len(), total, "{dir}");
        assert_eq!(
            all.iter().filter(|a| a.is_withdrawn()).count(),
            withdrawn,
            "{dir}"
        );
        assert!(
            all.iter()
                .flat_map(|a| &a.affected)
                .filter_map(|a| a.package.as_ref())
                .all(|p| p.ecosystem.kind == kind),
            "{dir}"
        );
    }
}

#[test]
fn pypi_ranges_and_last_affected() {
    let Some(all) = load("osv/PyPI") else { return };
    let git = all
        .iter()
        .filter(|a| {
            a.affected
                .iter()
                .any(|x| x.ranges.iter().any(|r| r.kind == RangeType::Git))
        })
        .count();
    assert_eq!(git, 1385);
    let la: Vec<_> = all
        .iter()
        .filter(|a| {
            a.affected.iter().any(|x| {
                x.ranges
                    .iter()
                    .any(|r| r.events.iter().any(|e| matches!(e, Event::LastAffected(_))))
            })
        })
        .map(|a| a.id.as_str())
        .collect();
    assert_eq!(la, vec!["PYSEC-2022-42969"]);
}

#[test]
fn ghsa_sample_parses() {
    let Some(all) = load("osv-ghsa-sample") else {
        return;
    };
    assert_eq!(all.len(), 106);
    let v4_only = all.iter().find(|a| a.id == "GHSA-gcx4-mw62-g8wm").unwrap();
    assert!(v4_only.severity.iter().all(|s| s.kind == "CVSS_V4"));
}
