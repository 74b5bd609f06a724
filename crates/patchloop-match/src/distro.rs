//! OS packages against their distribution's advisories (docs/containers.md).
//!
//! The inventory gives OS packages the distribution's ecosystem with its
//! release (`Debian:12`, `Alpine:v3.20`, `Rocky Linux:9`), and the store
//! indexes records by the full ecosystem string, so a `Debian:11` record
//! never meets a `Debian:12` package. Debian's and Ubuntu's records (DSA,
//! DLA, DEBIAN-CVE, UBUNTU-CVE, USN) and Alpine's (ALPINE-CVE, from
//! secdb) name *source* packages with source versions (`pkg:deb/debian/
//! openssl?arch=source`): their binary packages are matched under the
//! source name and the source version (`Source: openssl (3.0.11-1)` on a
//! binNMU, else the binary's version). Rocky's and AlmaLinux's records
//! (RLSA, ALSA) name binary RPMs and are matched as such.

use patchloop_model::{DistroBinary, DistroFinding, EcosystemKind, FindingPackage, Package};

/// Whether the ecosystem is a distribution.
pub fn is_distro(kind: &EcosystemKind) -> bool {
    matches!(
        kind,
        EcosystemKind::Debian
            | EcosystemKind::Ubuntu
            | EcosystemKind::Alpine
            | EcosystemKind::RedHat
            | EcosystemKind::RockyLinux
            | EcosystemKind::AlmaLinux
    )
}

/// Whether the distribution's records name source packages.
fn by_source(kind: &EcosystemKind) -> bool {
    matches!(
        kind,
        EcosystemKind::Debian | EcosystemKind::Ubuntu | EcosystemKind::Alpine
    )
}

/// The name and version `p` is matched under.
pub fn match_key(p: &Package) -> (&str, &str) {
    match &p.source {
        Some(s) if by_source(&p.ecosystem.kind) && !s.name.is_empty() => (
            s.name.as_str(),
            if s.version.is_empty() {
                p.version.as_str()
            } else {
                s.version.as_str()
            },
        ),
        _ => (p.name.as_str(), p.version.as_str()),
    }
}

/// The package a finding names and its distribution details, for the
/// packages `binaries` (all with the same match key).
pub fn finding_package(
    binaries: &[&Package],
    fixed: Option<&str>,
) -> Option<(FindingPackage, DistroFinding)> {
    let first = binaries.first()?;
    if !is_distro(&first.ecosystem.kind) {
        return None;
    }
    let (name, version) = match_key(first);
    let source = by_source(&first.ecosystem.kind) && first.source.is_some();
    let purl = if source {
        source_purl(&first.purl, name, version)
    } else {
        first.purl.clone()
    };
    let mut bins: Vec<DistroBinary> = binaries
        .iter()
        .map(|p| DistroBinary {
            name: p.name.clone(),
            version: p.version.clone(),
            purl: p.purl.clone(),
            layer: p.layer,
        })
        .collect();
    bins.sort_by(|a, b| (&a.name, &a.version, &a.purl).cmp(&(&b.name, &b.version, &b.purl)));
    bins.dedup();
    Some((
        FindingPackage {
            ecosystem: first.ecosystem.clone(),
            name: name.to_string(),
            version: version.to_string(),
            purl,
        },
        DistroFinding {
            release: first.ecosystem.clone(),
            source: source.then(|| name.to_string()),
            binaries: bins,
            fix_available: fixed.is_some(),
        },
    ))
}

/// The source package's purl from a binary's: same type, namespace and
/// `distro`, `arch=source` (as the distributions' OSV records write it).
fn source_purl(binary: &str, name: &str, version: &str) -> String {
    let Ok(b) = binary.parse::<packageurl::PackageUrl>() else {
        return binary.to_string();
    };
    let Ok(mut p) = packageurl::PackageUrl::new(b.ty().to_string(), name.to_string()) else {
        return binary.to_string();
    };
    if let Some(ns) = b.namespace() {
        p.with_namespace(ns.to_string());
    }
    p.with_version(version.to_string());
    let _ = p.add_qualifier("arch", "source");
    if let Some(d) = b.qualifiers().get("distro") {
        let _ = p.add_qualifier("distro", d.to_string());
    }
    p.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchloop_model::{Ecosystem, SourcePackage};

    #[test]
    fn source_key_and_purl() {
        let mut p = Package::new(Ecosystem::parse("Debian:12"), "libuuid1", "2.38.1-5+b1");
        p.purl = "pkg:deb/debian/libuuid1@2.38.1-5%2Bb1?arch=amd64&distro=debian-12".into();
        p.source = Some(SourcePackage {
            name: "util-linux".into(),
            version: "2.38.1-5".into(),
        });
        assert_eq!(match_key(&p), ("util-linux", "2.38.1-5"));
        let (fp, d) = finding_package(&[&p], None).unwrap();
        assert_eq!(fp.name, "util-linux");
        assert_eq!(
            fp.purl,
            "pkg:deb/debian/util-linux@2.38.1-5?arch=source&distro=debian-12"
        );
        assert!(!d.fix_available);
        // RPM distributions match binaries.
        let mut r = Package::new(
            Ecosystem::parse("Rocky Linux:9"),
            "openssl-libs",
            "1:3.0.7-24.el9",
        );
        r.source = Some(SourcePackage {
            name: "openssl".into(),
            version: String::new(),
        });
        assert_eq!(match_key(&r), ("openssl-libs", "1:3.0.7-24.el9"));
    }
}
