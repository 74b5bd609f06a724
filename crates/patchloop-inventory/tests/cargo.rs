//! Cargo.lock v1–v4 against the real lockfiles in ../shared/data.
//! Counts were checked independently with Python's tomllib: every
//! `[[package]]` without `source` is a root (workspace member or local
//! crate), the rest are packages.

use patchloop_inventory::{Format, Limits, parse_path};
use patchloop_model::{Relation, Resolution, Scope};
use patchloop_testdata::shared_data;

fn parse(name: &str) -> Option<patchloop_model::SourceFile> {
    let path = shared_data(&format!("lockfiles/crates.io/{name}"))?;
    let parsed = parse_path(&path, name, Format::CargoLock, Limits::default()).unwrap();
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    Some(parsed.source)
}

#[test]
fn all_versions_counts() {
    for (file, version, packages, roots) in [
        ("alacritty-v0.3.0__Cargo.lock", "1", 311, 5),
        ("nushell-0.30.0__Cargo.lock", "2", 619, 35),
        ("nushell-0.80.0__Cargo.lock", "3", 584, 26),
        ("nushell-main__Cargo.lock", "4", 991, 44),
    ] {
        let Some(s) = parse(file) else { return };
        assert_eq!(s.format_version.as_deref(), Some(version), "{file}");
        assert_eq!(s.packages.len(), packages, "{file}");
        assert_eq!(s.roots.len(), roots, "{file}");
        // Every package has a purl, a line and (lockfiles always) a checksum
        // except git sources.
        for p in &s.packages {
            assert!(p.purl.starts_with("pkg:cargo/"), "{}", p.purl);
            assert!(p.line().is_some());
            assert!(p.relation != Relation::Unknown, "{} unreachable", p.name);
            if p.resolution.is_exact() {
                assert_eq!(p.checksums.len(), 1, "{} {}", p.name, p.version);
            }
        }
    }
}

#[test]
fn v1_sample_field_by_field() {
    let Some(s) = parse("alacritty-v0.3.0__Cargo.lock") else {
        return;
    };
    let sv = s
        .packages
        .iter()
        .find(|p| p.name == "smallvec" && p.version == "0.6.9")
        .unwrap();
    assert_eq!(sv.purl, "pkg:cargo/smallvec@0.6.9");
    assert_eq!(sv.line(), Some(2175));
    assert_eq!(sv.scope, Scope::Runtime);
    assert!(sv.checksums[0].starts_with("sha256:"));
}

#[test]
fn v2_edges_disambiguate_versions() {
    let Some(s) = parse("nushell-0.30.0__Cargo.lock") else {
        return;
    };
    let hyper = s
        .packages
        .iter()
        .find(|p| p.name == "hyper" && p.version == "0.11.27")
        .unwrap();
    assert_eq!(hyper.line(), Some(2325));
    assert!(
        hyper
            .dependencies
            .contains(&"pkg:cargo/base64@0.9.3".to_string())
    );
    assert!(
        hyper
            .dependencies
            .contains(&"pkg:cargo/bytes@0.4.12".to_string())
    );
    let nu = s.roots.iter().find(|r| r.name == "nu").unwrap();
    assert!(
        nu.dependencies
            .contains(&"pkg:cargo/clap@2.33.3".to_string())
    );
    assert!(
        nu.dependencies
            .contains(&"pkg:cargo/futures@0.3.13".to_string())
    );
    // Shortest path from a direct dependency to hyper 0.11.27 exists.
    let paths = s.paths_to(&hyper.id, 3);
    assert!(!paths.is_empty());
}

#[test]
fn v4_git_source() {
    let Some(s) = parse("nushell-main__Cargo.lock") else {
        return;
    };
    let r = s.packages.iter().find(|p| p.name == "reedline").unwrap();
    assert_eq!(r.version, "0.49.0");
    assert_eq!(r.line(), Some(7606));
    match &r.resolution {
        Resolution::Vcs { url, rev } => {
            assert_eq!(url, "https://github.com/nushell/reedline?branch=main");
            assert_eq!(
                rev.as_deref(),
                Some("e4fe8edfb28440614e58a8c9dba78d128783f70f")
            );
        }
        other => panic!("unexpected {other:?}"),
    }
}
