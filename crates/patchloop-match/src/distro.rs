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
//!
//! Red Hat's records (RHSA, converted from its CSAF advisories) name
//! binary RPMs too, but in per-repository ecosystems translated from CPEs
//! (`Red Hat:enterprise_linux:9::baseos`, `...::appstream`, `...::crb`;
//! RHEL 10: `Red Hat:enterprise_linux:10.0`), and the rpmdb does not say
//! which repository a package came from. A RHEL package carries its
//! release's main-stream product (`Red Hat:enterprise_linux:9`) and is
//! looked up in every stored ecosystem of that product
//! ([`lookup_ecosystems`]): the product itself and the ones that extend it
//! with `:` (repositories) or `.` (RHEL 10 minor releases), never another
//! major (`...:8::baseos`) or product (`Red Hat:rhel_eus:9.2::baseos`).
//! When the image's content manifests name its repositories
//! (`OsInfo::repositories`), those are looked up instead.
//!
//! Modular RPMs ([`RpmModule`]): a record's entry for a module build
//! (fixed release `...module+el9...`, or an `rpmmod` purl qualifier)
//! applies only to packages built in a module (the rpmdb's
//! `MODULARITYLABEL`, kept as the purl's `rpmmod`), of the same stream
//! when the entry names one; an entry for a non-modular build only to
//! non-modular packages.

use patchloop_feeds::{AdvisoryStore, StoreError};
use patchloop_model::{
    Affected, DistroBinary, DistroFinding, Ecosystem, EcosystemKind, Event, FindingPackage, Package,
};

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

/// The ecosystems `p`'s advisories are looked up in: its own, except for
/// Red Hat ([`crate::distro`]): every stored ecosystem of the product
/// (or of each of `repositories`, the image's own list, when it has one).
pub fn lookup_ecosystems(
    ecosystem: &Ecosystem,
    repositories: &[Ecosystem],
    store: &dyn AdvisoryStore,
) -> Result<Vec<Ecosystem>, StoreError> {
    // Only a product with its version (`enterprise_linux:9`) is expanded:
    // a bare `Red Hat` or `Red Hat:enterprise_linux` (from an SBOM) would
    // take in every product or major.
    let versioned = |e: &Ecosystem| {
        e.release
            .as_deref()
            .and_then(|r| r.split(':').nth(1))
            .is_some_and(|v| !v.is_empty())
    };
    if ecosystem.kind != EcosystemKind::RedHat || !versioned(ecosystem) {
        return Ok(vec![ecosystem.clone()]);
    }
    let bases: Vec<String> = if repositories.is_empty() {
        vec![ecosystem.to_string()]
    } else {
        repositories
            .iter()
            .filter(|r| r.kind == EcosystemKind::RedHat && versioned(r))
            .map(Ecosystem::to_string)
            .collect()
    };
    let mut out: Vec<Ecosystem> = Vec::new();
    for base in &bases {
        for e in store.ecosystems_with_prefix(base)? {
            let rest = e.get(base.len()..).unwrap_or("");
            if rest.is_empty() || rest.starts_with(':') || rest.starts_with('.') {
                let e = Ecosystem::parse(&e);
                if !out.contains(&e) {
                    out.push(e);
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

/// What an RPM record entry or package says about modules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RpmModule {
    /// Nothing either way (no fixed version, not an RPM distribution).
    Unknown,
    /// A build outside any module.
    NonModular,
    /// A module build, of `name:stream` when known.
    Modular(Option<String>),
}

/// The `name:stream` of an `rpmmod` purl qualifier
/// (`perl:5.32`, or the whole label `nodejs:18:9040020240409111204:rhel9`).
fn rpmmod_stream(purl: &str) -> Option<String> {
    let p = purl.parse::<packageurl::PackageUrl>().ok()?;
    let m = p.qualifiers().get("rpmmod")?;
    let mut parts = m.split(':');
    let (name, stream) = (parts.next()?, parts.next()?);
    (!name.is_empty() && !stream.is_empty()).then(|| format!("{name}:{stream}"))
}

/// Red Hat builds modular RPMs with a `.module+elN...` release.
fn is_module_release(evr: &str) -> bool {
    evr.rsplit_once('-')
        .is_some_and(|(_, release)| release.contains("module+el"))
}

/// The module a Red Hat record entry is for.
pub fn entry_module(kind: &EcosystemKind, e: &Affected) -> RpmModule {
    if *kind != EcosystemKind::RedHat {
        return RpmModule::Unknown;
    }
    if let Some(stream) = e
        .package
        .as_ref()
        .and_then(|p| p.purl.as_deref())
        .and_then(rpmmod_stream)
    {
        return RpmModule::Modular(Some(stream));
    }
    let fixed: Vec<&str> = e
        .ranges
        .iter()
        .flat_map(|r| r.events.iter())
        .filter_map(|ev| match ev {
            Event::Fixed(v) => Some(v.as_str()),
            _ => None,
        })
        .collect();
    if fixed.is_empty() {
        RpmModule::Unknown
    } else if fixed.iter().all(|v| is_module_release(v)) {
        RpmModule::Modular(None)
    } else if fixed.iter().any(|v| is_module_release(v)) {
        RpmModule::Unknown
    } else {
        RpmModule::NonModular
    }
}

/// The module an installed Red Hat package was built in.
pub fn package_module(p: &Package) -> RpmModule {
    if p.ecosystem.kind != EcosystemKind::RedHat {
        return RpmModule::Unknown;
    }
    match rpmmod_stream(&p.purl) {
        Some(s) => RpmModule::Modular(Some(s)),
        None if is_module_release(&p.version) => RpmModule::Modular(None),
        None => RpmModule::NonModular,
    }
}

/// Whether a record entry for module `entry` can apply to a package of
/// module `package`.
pub fn module_applies(entry: &RpmModule, package: &RpmModule) -> bool {
    match (entry, package) {
        (RpmModule::Unknown, _) | (_, RpmModule::Unknown) => true,
        (RpmModule::NonModular, p) => *p == RpmModule::NonModular,
        (RpmModule::Modular(_), RpmModule::NonModular) => false,
        (RpmModule::Modular(Some(a)), RpmModule::Modular(Some(b))) => a == b,
        (RpmModule::Modular(_), RpmModule::Modular(_)) => true,
    }
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

    fn rh_entry(purl: &str, fixed: &str) -> Affected {
        serde_json::from_value(serde_json::json!({
            "package": {"ecosystem": "Red Hat:enterprise_linux:9::appstream", "name": "nodejs", "purl": purl},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
        }))
        .unwrap()
    }

    #[test]
    fn rpm_modules() {
        let rh = EcosystemKind::RedHat;
        let m18 = "1:18.20.4-1.module+el9.4.0+21905+0ec4ffca";
        // Red Hat's CSAF purls carry the stream (`rpmmod=nodejs:18`, or
        // the whole label); its OSV records cut the purl at the version.
        assert_eq!(
            entry_module(
                &rh,
                &rh_entry("pkg:rpm/redhat/nodejs?rpmmod=nodejs:20", m18)
            ),
            RpmModule::Modular(Some("nodejs:20".into()))
        );
        assert_eq!(
            entry_module(&rh, &rh_entry("pkg:rpm/redhat/nodejs", m18)),
            RpmModule::Modular(None)
        );
        assert_eq!(
            entry_module(&rh, &rh_entry("pkg:rpm/redhat/nodejs", "1:16.20.2-8.el9_4")),
            RpmModule::NonModular
        );
        assert_eq!(
            entry_module(
                &EcosystemKind::RockyLinux,
                &rh_entry("pkg:rpm/redhat/nodejs", m18)
            ),
            RpmModule::Unknown
        );
        let mut p = Package::new(
            Ecosystem::parse("Red Hat:enterprise_linux:9"),
            "nodejs",
            "1:18.19.0-1.module+el9.3.0+20000+aaaaaaaa",
        );
        p.purl = "pkg:rpm/redhat/nodejs@18.19.0-1.module%2Bel9.3.0%2B20000%2Baaaaaaaa?arch=x86_64&epoch=1&rpmmod=nodejs:18:9030020231120082734:rhel9".into();
        let pm = package_module(&p);
        assert_eq!(pm, RpmModule::Modular(Some("nodejs:18".into())));
        assert!(module_applies(
            &RpmModule::Modular(Some("nodejs:18".into())),
            &pm
        ));
        assert!(!module_applies(
            &RpmModule::Modular(Some("nodejs:20".into())),
            &pm
        ));
        assert!(module_applies(&RpmModule::Modular(None), &pm));
        assert!(!module_applies(&RpmModule::NonModular, &pm));
        assert!(module_applies(&RpmModule::Unknown, &pm));
        p.purl = "pkg:rpm/redhat/nodejs@16.20.2-8.el9_4?arch=x86_64&epoch=1".into();
        p.version = "1:16.20.2-8.el9_4".into();
        let pm = package_module(&p);
        assert_eq!(pm, RpmModule::NonModular);
        assert!(!module_applies(&RpmModule::Modular(None), &pm));
        assert!(module_applies(&RpmModule::NonModular, &pm));
    }

    #[test]
    fn red_hat_lookup_stays_in_its_product_and_major() {
        use patchloop_feeds::{ImportOptions, NoProgress, OpenMode, SqliteStore, import_paths};
        let d = tempfile::tempdir().unwrap();
        let osv = d.path().join("osv");
        std::fs::create_dir(&osv).unwrap();
        let ecos = [
            "Red Hat:enterprise_linux:9::appstream",
            "Red Hat:enterprise_linux:9::baseos",
            "Red Hat:enterprise_linux:9::crb",
            "Red Hat:enterprise_linux:8::baseos",
            "Red Hat:enterprise_linux:90::baseos",
            "Red Hat:rhel_eus:9.2::baseos",
            "Red Hat:enterprise_linux:10.0",
            "Red Hat:enterprise_linux:10.1",
            "Red Hat:enterprise_linux_eus:10.0",
            "Rocky Linux:9",
        ];
        let affected: Vec<serde_json::Value> = ecos
            .iter()
            .map(|e| serde_json::json!({"package": {"ecosystem": e, "name": "sudo"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "0:2-1"}]}]}))
            .collect();
        std::fs::write(
            osv.join("RHSA-2099-0001.json"),
            serde_json::json!({"id": "RHSA-2099:0001", "modified": "2099-01-01T00:00:00Z", "affected": affected}).to_string(),
        )
        .unwrap();
        let mut store = SqliteStore::open(&d.path().join("s.db"), OpenMode::ReadWrite).unwrap();
        import_paths(&mut store, &[osv], &ImportOptions::default(), &NoProgress).unwrap();
        let l = |eco: &str, repos: &[&str]| -> Vec<String> {
            let repos: Vec<Ecosystem> = repos.iter().map(|r| Ecosystem::parse(r)).collect();
            lookup_ecosystems(&Ecosystem::parse(eco), &repos, &store)
                .unwrap()
                .iter()
                .map(Ecosystem::to_string)
                .collect()
        };
        assert_eq!(
            l("Red Hat:enterprise_linux:9", &[]),
            [
                "Red Hat:enterprise_linux:9::appstream",
                "Red Hat:enterprise_linux:9::baseos",
                "Red Hat:enterprise_linux:9::crb"
            ]
        );
        assert_eq!(
            l("Red Hat:enterprise_linux:10", &[]),
            [
                "Red Hat:enterprise_linux:10.0",
                "Red Hat:enterprise_linux:10.1"
            ]
        );
        assert_eq!(
            l(
                "Red Hat:enterprise_linux:9",
                &[
                    "Red Hat:rhel_eus:9.2::baseos",
                    "Red Hat:rhel_eus:9.2::appstream"
                ]
            ),
            ["Red Hat:rhel_eus:9.2::baseos"]
        );
        assert_eq!(l("Red Hat:enterprise_linux:7", &[]), Vec::<String>::new());
        // Unversioned products are not expanded.
        assert_eq!(l("Red Hat", &[]), ["Red Hat"]);
        assert_eq!(
            l("Red Hat:enterprise_linux", &[]),
            ["Red Hat:enterprise_linux"]
        );
        assert_eq!(l("Rocky Linux:9", &[]), ["Rocky Linux:9"]);
    }

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
