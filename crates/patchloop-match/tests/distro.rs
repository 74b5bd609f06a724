//! OS packages against distribution OSV records, through the real
//! inventory analyzers and the real advisory store. The records follow the
//! shape osv.dev publishes (DSA/DEBIAN-CVE from Debian's tracker,
//! ALPINE-CVE from secdb, RLSA from Rocky's Apollo): source packages with
//! `arch=source` purls for Debian and Alpine, `upstream` CVEs, one
//! `affected` entry per release.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use patchloop_feeds::{ImportOptions, NoProgress, OpenMode, SqliteStore, import_paths};
use patchloop_inventory::system::{self, Content, FileSet};
use patchloop_match::{ScanOptions, scan};
use patchloop_model::{
    DatabaseInfo, Ecosystem, Finding, Inventory, Package, ScanReport, SourceFile, SourcePackage,
};
use patchloop_risk::Policy;
use serde_json::{Value, json};

fn store_with(dir: &Path, records: &[Value]) -> SqliteStore {
    let osv = dir.join("osv");
    std::fs::create_dir_all(&osv).unwrap();
    for r in records {
        let id = r["id"].as_str().unwrap().replace(':', "-");
        std::fs::write(osv.join(format!("{id}.json")), r.to_string()).unwrap();
    }
    let mut store = SqliteStore::open(&dir.join("s.db"), OpenMode::ReadWrite).unwrap();
    import_paths(&mut store, &[osv], &ImportOptions::default(), &NoProgress).unwrap();
    store
}

fn run(store: &SqliteStore, inv: &Inventory) -> ScanReport {
    scan(
        inv,
        store,
        &Policy::default(),
        DatabaseInfo::default(),
        &ScanOptions::default(),
    )
    .unwrap()
}

/// One affected entry for a source package of a release.
fn entry(eco: &str, purl_type: &str, ns: &str, name: &str, fixed: Option<&str>) -> Value {
    let mut events = vec![json!({"introduced": "0"})];
    if let Some(f) = fixed {
        events.push(json!({"fixed": f}));
    }
    json!({
        "package": {"ecosystem": eco, "name": name, "purl": format!("pkg:{purl_type}/{ns}/{name}?arch=source")},
        "ranges": [{"type": "ECOSYSTEM", "events": events}],
    })
}

fn record(id: &str, upstream: &[&str], affected: Vec<Value>) -> Value {
    json!({
        "schema_version": "1.6.0",
        "id": id,
        "modified": "2024-11-01T00:00:00Z",
        "published": "2024-10-01T00:00:00Z",
        "upstream": upstream,
        "summary": format!("{id} summary"),
        "affected": affected,
        "references": [{"type": "ADVISORY", "url": format!("https://security-tracker.debian.org/tracker/{id}")}],
    })
}

fn inventory_of(set: &FileSet) -> Inventory {
    let a = system::analyze(set, "");
    assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
    Inventory {
        sources: a.sources,
        diagnostics: a.diagnostics,
        target: None,
    }
}

fn find<'a>(r: &'a ScanReport, id: &str) -> &'a Finding {
    r.findings
        .iter()
        .find(|f| f.id == id || f.records.iter().any(|x| x == id))
        .unwrap_or_else(|| panic!("no finding {id}: {:#?}", r.findings))
}

const DEBIAN_STATUS: &str = "\
Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl
Version: 3.0.11-1~deb12u1

Package: openssl
Status: install ok installed
Architecture: amd64
Version: 3.0.11-1~deb12u1

Package: bsdutils
Status: install ok installed
Architecture: amd64
Source: util-linux (2.38.1-5+deb12u3)
Version: 1:2.38.1-5+deb12u3

Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc
Version: 2.36-9+deb12u4
";

#[test]
fn debian_by_source_package_and_release() {
    let d = tempfile::tempdir().unwrap();
    let store = store_with(
        d.path(),
        &[
            // DSA-5532-1 (openssl, October 2023): one entry per release.
            record(
                "DSA-5532-1",
                &["CVE-2023-5363", "CVE-2023-5678"],
                vec![
                    entry(
                        "Debian:12",
                        "deb",
                        "debian",
                        "openssl",
                        Some("3.0.11-1~deb12u2"),
                    ),
                    entry(
                        "Debian:11",
                        "deb",
                        "debian",
                        "openssl",
                        Some("1.1.1w-0+deb11u1"),
                    ),
                ],
            ),
            // A bullseye-only advisory: must not touch bookworm's glibc.
            record(
                "DLA-3842-1",
                &["CVE-2024-33599"],
                vec![entry(
                    "Debian:11",
                    "deb",
                    "debian",
                    "glibc",
                    Some("2.31-13+deb11u11"),
                )],
            ),
            // Unfixed in bookworm (no fixed event for Debian:12).
            record(
                "DEBIAN-CVE-2022-0563",
                &["CVE-2022-0563"],
                vec![entry("Debian:12", "deb", "debian", "util-linux", None)],
            ),
            // Fixed after the installed source version: the binary
            // `bsdutils` carries epoch 1 (`1:2.38.1-5+deb12u3`), which
            // would compare above any fix; the source version does not.
            record(
                "DEBIAN-CVE-2024-28085",
                &["CVE-2024-28085"],
                vec![entry(
                    "Debian:12",
                    "deb",
                    "debian",
                    "util-linux",
                    Some("2.38.1-5+deb12u4"),
                )],
            ),
        ],
    );
    let mut set = FileSet::new();
    set.insert(
        "etc/os-release",
        Some(0),
        Content::Bytes(b"ID=debian\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\n".to_vec()),
    );
    set.insert(
        "var/lib/dpkg/status",
        Some(1),
        Content::Bytes(DEBIAN_STATUS.as_bytes().to_vec()),
    );
    let r = run(&store, &inventory_of(&set));
    let ids: BTreeSet<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        BTreeSet::from([
            "DSA-5532-1",
            "DEBIAN-CVE-2022-0563",
            "DEBIAN-CVE-2024-28085"
        ]),
        "{:#?}",
        r.findings
    );

    let f = find(&r, "DSA-5532-1");
    assert_eq!(f.package.name, "openssl");
    assert_eq!(f.package.version, "3.0.11-1~deb12u1");
    assert_eq!(
        f.package.purl,
        "pkg:deb/debian/openssl@3.0.11-1~deb12u1?arch=source&distro=debian-12"
    );
    assert_eq!(f.fixed.as_deref(), Some("3.0.11-1~deb12u2"));
    let d = f.distro.as_ref().unwrap();
    assert_eq!(d.release.to_string(), "Debian:12");
    assert_eq!(d.source.as_deref(), Some("openssl"));
    assert!(d.fix_available);
    let bins: Vec<(&str, Option<u32>)> = d
        .binaries
        .iter()
        .map(|b| (b.name.as_str(), b.layer))
        .collect();
    assert_eq!(bins, [("libssl3", Some(1)), ("openssl", Some(1))]);
    assert_eq!(f.occurrences.len(), 2);
    // Several upstream CVEs are not aliases of the DSA.
    assert!(f.aliases.is_empty(), "{:?}", f.aliases);

    let f = find(&r, "DEBIAN-CVE-2022-0563");
    assert_eq!(f.fixed, None);
    assert!(!f.distro.as_ref().unwrap().fix_available);
    assert_eq!(f.aliases, ["CVE-2022-0563"]);
    assert_eq!(f.package.version, "2.38.1-5+deb12u3");

    let f = find(&r, "DEBIAN-CVE-2024-28085");
    assert_eq!(f.fixed.as_deref(), Some("2.38.1-5+deb12u4"));
    assert_eq!(
        f.distro.as_ref().unwrap().binaries[0].version,
        "1:2.38.1-5+deb12u3"
    );
}

/// This machine's dpkg database against a record for its glibc.
#[test]
fn this_machines_glibc() {
    let Ok(status) = std::fs::read("/var/lib/dpkg/status") else {
        eprintln!("no dpkg database: skipped");
        return;
    };
    let Ok(q) = Command::new("dpkg-query")
        .args([
            "-W",
            "-f",
            "${db:Status-Status} ${Package} ${source:Package} ${source:Version}\n",
        ])
        .output()
    else {
        eprintln!("no dpkg-query: skipped");
        return;
    };
    let text = String::from_utf8(q.stdout).unwrap();
    let glibc: Vec<(&str, &str)> = text
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (f[0] == "installed" && f[2] == "glibc").then(|| (f[1], f[3]))
        })
        .collect();
    let Some((_, source_version)) = glibc.first() else {
        eprintln!("glibc not installed: skipped");
        return;
    };
    let os = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let Some(release) = os
        .lines()
        .find_map(|l| l.strip_prefix("VERSION_ID="))
        .map(|v| v.trim_matches('"').to_string())
        .filter(|_| os.lines().any(|l| l == "ID=debian"))
    else {
        eprintln!("not Debian: skipped");
        return;
    };
    let eco = format!("Debian:{release}");
    // A fix one step above the installed source version.
    let fixed = format!("{source_version}.1");
    let d = tempfile::tempdir().unwrap();
    let store = store_with(
        d.path(),
        &[
            record(
                "DEBIAN-CVE-2024-2961",
                &["CVE-2024-2961"],
                vec![entry(&eco, "deb", "debian", "glibc", Some(&fixed))],
            ),
            // Already fixed in the installed version: no finding.
            record(
                "DEBIAN-CVE-2023-4911",
                &["CVE-2023-4911"],
                vec![entry(&eco, "deb", "debian", "glibc", Some(source_version))],
            ),
        ],
    );
    let mut set = FileSet::new();
    set.insert("etc/os-release", None, Content::Bytes(os.into_bytes()));
    set.insert("var/lib/dpkg/status", None, Content::Bytes(status));
    let r = run(&store, &inventory_of(&set));
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let f = &r.findings[0];
    assert_eq!(f.id, "DEBIAN-CVE-2024-2961");
    assert_eq!(f.fixed.as_deref(), Some(fixed.as_str()));
    let got: BTreeSet<&str> = f
        .distro
        .as_ref()
        .unwrap()
        .binaries
        .iter()
        .map(|b| b.name.as_str())
        .collect();
    let want: BTreeSet<&str> = glibc.iter().map(|(n, _)| *n).collect();
    assert_eq!(got, want);
}

#[test]
fn alpine_by_origin_and_rocky_by_binary() {
    let d = tempfile::tempdir().unwrap();
    let store = store_with(
        d.path(),
        &[
            record(
                "ALPINE-CVE-2024-9143",
                &["CVE-2024-9143"],
                vec![
                    entry("Alpine:v3.20", "apk", "alpine", "openssl", Some("3.3.2-r1")),
                    entry("Alpine:v3.19", "apk", "alpine", "openssl", Some("3.1.7-r1")),
                ],
            ),
            json!({
                "id": "RLSA-2024:9990",
                "modified": "2024-12-01T00:00:00Z",
                "published": "2024-11-20T00:00:00Z",
                "upstream": ["CVE-2024-9143"],
                "summary": "Moderate: openssl security update",
                "affected": [
                    {"package": {"ecosystem": "Rocky Linux:9", "name": "openssl-libs"},
                     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1:3.2.2-6.el9_5"}]}]},
                    {"package": {"ecosystem": "Rocky Linux:8", "name": "openssl-libs"},
                     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1:1.1.1k-14.el8_10"}]}]}
                ]
            }),
        ],
    );
    let mut set = FileSet::new();
    set.insert(
        "etc/os-release",
        Some(0),
        Content::Bytes(b"ID=alpine\nVERSION_ID=3.20.3\n".to_vec()),
    );
    set.insert(
        "lib/apk/db/installed",
        Some(0),
        Content::Bytes(
            b"P:libcrypto3\nV:3.3.2-r0\nA:x86_64\no:openssl\n\nP:libssl3\nV:3.3.2-r0\nA:x86_64\no:openssl\n\nP:musl\nV:1.2.5-r0\nA:x86_64\no:musl\n"
                .to_vec(),
        ),
    );
    let r = run(&store, &inventory_of(&set));
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let f = &r.findings[0];
    assert_eq!(
        (f.package.name.as_str(), f.fixed.as_deref()),
        ("openssl", Some("3.3.2-r1"))
    );
    assert_eq!(f.distro.as_ref().unwrap().binaries.len(), 2);

    // Rocky: the rpm analyzer's packages (tested against rpm itself in
    // patchloop-inventory), one vulnerable, one fixed.
    let eco = Ecosystem::parse("Rocky Linux:9");
    let mut sf = SourceFile::new("var/lib/rpm/rpmdb.sqlite", "rpmdb-sqlite", eco.clone());
    for (name, v) in [
        ("openssl-libs", "1:3.2.2-5.el9_5"),
        ("openssl", "1:3.2.2-6.el9_5"),
    ] {
        let mut p = Package::new(eco.clone(), name, v);
        p.source = Some(SourcePackage {
            name: "openssl".into(),
            version: String::new(),
        });
        p.layer = Some(0);
        sf.packages.push(p);
    }
    let inv = Inventory {
        sources: vec![sf],
        ..Inventory::default()
    };
    let r = run(&store, &inv);
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    let f = &r.findings[0];
    assert_eq!(f.id, "RLSA-2024:9990");
    assert_eq!(f.package.name, "openssl-libs");
    assert_eq!(f.fixed.as_deref(), Some("1:3.2.2-6.el9_5"));
    let d = f.distro.as_ref().unwrap();
    assert_eq!(d.source, None);
    assert!(d.fix_available);
}

/// A Red Hat record as Red Hat's CSAF-to-OSV converter writes them (the
/// `redhat_osv` package of google/osv.dev's vulnfeeds, schema 1.7.0): id
/// `RHSA-YYYY:NNNN`, `upstream` CVEs, one `affected` entry per binary RPM
/// and CPE repository, `Red Hat` + the CPE suffix as the ecosystem, the
/// purl cut at its version (`pkg:rpm/redhat/NAME`, so no `rpmmod`), one
/// ECOSYSTEM range `introduced: 0` → `fixed: EPOCH:VERSION-RELEASE` with
/// the epoch always written (`0:` too).
fn rhsa(id: &str, cves: &[&str], entries: &[(&str, &str, &str)]) -> Value {
    json!({
        "schema_version": "1.7.0",
        "id": id,
        "related": [],
        "upstream": cves,
        "published": "2024-04-30T09:43:41Z",
        "modified": "2024-11-01T00:00:00Z",
        "summary": format!("{id}: security update"),
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H"}],
        "affected": entries.iter().map(|(eco, name, fixed)| json!({
            "package": {"name": name, "ecosystem": eco, "purl": format!("pkg:rpm/redhat/{name}")},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
        })).collect::<Vec<_>>(),
        "references": [{"type": "ADVISORY", "url": format!("https://access.redhat.com/errata/{id}")}],
    })
}

/// Installed RPMs of the RHEL test tree: (name, epoch, version, release,
/// modularity label).
const RHEL_RPMS: [(&str, &str, &str, &str, &str); 4] = [
    ("openssl-libs", "1", "3.0.7", "24.el9", ""),
    ("sudo", "", "1.9.5p2", "9.el9", ""),
    // RHEL 9's default nodejs is not modular; nodejs:18 is a module.
    ("nodejs", "1", "16.20.2", "4.el9_4", ""),
    (
        "postgresql",
        "",
        "15.6",
        "1.module+el9.4.0+21313+4fb5c1a1",
        "postgresql:15:9040020240201110523:rhel9",
    ),
];

/// An rpmdb holding [`RHEL_RPMS`], built and installed by rpm itself.
fn rhel_rpmdb(dir: &Path) -> Option<Vec<u8>> {
    let specs: Vec<(&str, String)> = RHEL_RPMS
        .iter()
        .map(|(name, epoch, version, release, label)| {
            let mut spec = format!(
                "Name: {name}\nVersion: {version}\nRelease: {release}\nSummary: t\nLicense: MIT\nBuildArch: noarch\n"
            );
            if !epoch.is_empty() {
                spec.push_str(&format!("Epoch: {epoch}\n"));
            }
            if !label.is_empty() {
                spec.push_str(&format!("ModularityLabel: {label}\n"));
            }
            spec.push_str("%description\nt\n%files\n");
            (*name, spec)
        })
        .collect();
    let specs: Vec<(&str, &str)> = specs.iter().map(|(n, s)| (*n, s.as_str())).collect();
    let db = patchloop_testdata::rpmdb_with(dir, &dir.join("db"), &specs)?;
    // What rpm itself says is installed, the form the records compare.
    let q = patchloop_testdata::rpm_at(
        &db,
        &[
            "-qa",
            "--qf",
            "%{NAME} %|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE} %{MODULARITYLABEL}\n",
        ],
    );
    let listed = String::from_utf8(q.stdout).unwrap();
    for (name, epoch, version, release, label) in RHEL_RPMS {
        let evr = if epoch.is_empty() {
            format!("{version}-{release}")
        } else {
            format!("{epoch}:{version}-{release}")
        };
        let label = if label.is_empty() { "(none)" } else { label };
        assert!(
            listed.lines().any(|l| l == format!("{name} {evr} {label}")),
            "rpm -qa: {listed}"
        );
    }
    // The rpmdb checkpoints on close; a WAL would be read too, but the
    // tests here hand over the main file only.
    std::fs::read(db.join("rpmdb.sqlite")).ok()
}

fn rhel_tree(rpmdb: &[u8], version_id: &str, manifest: Option<&str>) -> FileSet {
    let mut set = FileSet::new();
    set.insert(
        "etc/os-release",
        Some(0),
        Content::Bytes(
            format!(
                "NAME=\"Red Hat Enterprise Linux\"\nVERSION=\"{version_id} (Plow)\"\nID=\"rhel\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"{version_id}\"\nPLATFORM_ID=\"platform:el9\"\nPRETTY_NAME=\"Red Hat Enterprise Linux {version_id} (Plow)\"\nCPE_NAME=\"cpe:/o:redhat:enterprise_linux:9::baseos\"\n"
            )
            .into_bytes(),
        ),
    );
    set.insert(
        "var/lib/rpm/rpmdb.sqlite",
        Some(0),
        Content::Bytes(rpmdb.to_vec()),
    );
    if let Some(m) = manifest {
        set.insert(
            "root/buildinfo/content_manifests/ubi9-container-9.4-1214.json",
            Some(0),
            Content::Bytes(m.as_bytes().to_vec()),
        );
    }
    set
}

/// The inventory of a tree as `scan --rootfs` builds it (with its target).
fn target_inventory(set: &FileSet) -> Inventory {
    let a = system::analyze(set, "");
    assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
    Inventory {
        sources: a.sources,
        diagnostics: a.diagnostics,
        target: Some(patchloop_model::Target {
            kind: patchloop_model::TargetKind::Rootfs,
            reference: "/".into(),
            digest: None,
            os: a.os,
            layers: Vec::new(),
        }),
    }
}

#[test]
fn rhel_in_its_release_repositories() {
    let d = tempfile::tempdir().unwrap();
    let Some(rpmdb) = rhel_rpmdb(d.path()) else {
        return;
    };
    let store = store_with(
        d.path(),
        &[
            // RHSA-2024:2447 (openssl, RHEL 9.4 GA): baseos and appstream
            // entries for RHEL 9; its RHEL 8 entry shape added for isolation.
            rhsa(
                "RHSA-2024:2447",
                &["CVE-2023-2975", "CVE-2023-3446", "CVE-2023-3817"],
                &[
                    (
                        "Red Hat:enterprise_linux:9::appstream",
                        "openssl-libs",
                        "1:3.0.7-27.el9",
                    ),
                    (
                        "Red Hat:enterprise_linux:9::baseos",
                        "openssl-libs",
                        "1:3.0.7-27.el9",
                    ),
                    (
                        "Red Hat:enterprise_linux:8::baseos",
                        "openssl-libs",
                        "1:1.1.1k-12.el8_9",
                    ),
                ],
            ),
            // RHEL 8 only, with a fix above the installed RHEL 9 sudo: must
            // not match.
            rhsa(
                "RHSA-2099:0008",
                &["CVE-2099-0008"],
                &[(
                    "Red Hat:enterprise_linux:8::baseos",
                    "sudo",
                    "0:1.9.5p2-99.el8",
                )],
            ),
            // An EUS stream of a minor release: another product.
            rhsa(
                "RHSA-2099:0009",
                &["CVE-2099-0009"],
                &[("Red Hat:rhel_eus:9.2::baseos", "sudo", "0:1.9.5p2-98.el9_2")],
            ),
            // RHSA-2025:9978 shape (sudo, appstream and baseos, `0:` epoch).
            rhsa(
                "RHSA-2025:9978",
                &["CVE-2025-32462"],
                &[
                    (
                        "Red Hat:enterprise_linux:9::appstream",
                        "sudo",
                        "0:1.9.5p2-10.el9_6.1",
                    ),
                    (
                        "Red Hat:enterprise_linux:9::baseos",
                        "sudo",
                        "0:1.9.5p2-10.el9_6.1",
                    ),
                ],
            ),
            // The nodejs:18 module's build: not for the non-modular nodejs 16.
            rhsa(
                "RHSA-2024:4560",
                &["CVE-2024-27983"],
                &[(
                    "Red Hat:enterprise_linux:9::appstream",
                    "nodejs",
                    "1:18.20.4-1.module+el9.4.0+21905+0ec4ffca",
                )],
            ),
            // The postgresql:15 module's build: applies to the module's package.
            rhsa(
                "RHSA-2024:3925",
                &["CVE-2024-4317"],
                &[(
                    "Red Hat:enterprise_linux:9::appstream",
                    "postgresql",
                    "0:15.7-1.module+el9.4.0+21784+5e4a3c80",
                )],
            ),
            // A non-modular postgresql build: not for the module's package.
            rhsa(
                "RHSA-2099:0010",
                &["CVE-2099-0010"],
                &[(
                    "Red Hat:enterprise_linux:9::appstream",
                    "postgresql",
                    "0:16.4-1.el9_4",
                )],
            ),
        ],
    );
    let set = rhel_tree(&rpmdb, "9.4", None);
    let inv = target_inventory(&set);
    let os = inv.target.as_ref().unwrap().os.as_ref().unwrap();
    assert_eq!(
        os.ecosystem.as_ref().unwrap().to_string(),
        "Red Hat:enterprise_linux:9"
    );
    let pg = inv.sources[0]
        .packages
        .iter()
        .find(|p| p.name == "postgresql")
        .unwrap();
    assert_eq!(
        pg.purl,
        "pkg:rpm/redhat/postgresql@15.6-1.module%2Bel9.4.0%2B21313%2B4fb5c1a1?arch=noarch&distro=rhel-9.4&rpmmod=postgresql:15:9040020240201110523:rhel9"
    );
    let r = run(&store, &inv);
    let ids: BTreeSet<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        BTreeSet::from(["RHSA-2024:2447", "RHSA-2025:9978", "RHSA-2024:3925"]),
        "{:#?}",
        r.findings
    );
    let f = find(&r, "RHSA-2024:2447");
    assert_eq!(f.package.name, "openssl-libs");
    assert_eq!(f.package.version, "1:3.0.7-24.el9");
    assert_eq!(f.fixed.as_deref(), Some("1:3.0.7-27.el9"));
    let dist = f.distro.as_ref().unwrap();
    assert!(dist.fix_available);
    assert_eq!(dist.release.to_string(), "Red Hat:enterprise_linux:9");
    assert_eq!(dist.source, None);
    assert_eq!(
        f.url.as_deref(),
        Some("https://access.redhat.com/errata/RHSA-2024:2447")
    );
    let f = find(&r, "RHSA-2025:9978");
    assert_eq!(f.package.version, "1.9.5p2-9.el9");
    assert_eq!(f.fixed.as_deref(), Some("0:1.9.5p2-10.el9_6.1"));
    assert_eq!(f.aliases, ["CVE-2025-32462"]);
    assert_eq!(
        find(&r, "RHSA-2024:3925").fixed.as_deref(),
        Some("0:15.7-1.module+el9.4.0+21784+5e4a3c80")
    );

    // The image's content manifest names baseos only: appstream records
    // (postgresql) no longer apply; baseos ones still do.
    let baseos_only = r#"{"metadata": {"icm_version": 1, "icm_spec": "https://raw.githubusercontent.com/containerbuildsystem/atomic-reactor/master/atomic_reactor/schemas/content_manifest.json", "image_layer_index": 0},
        "content_sets": ["rhel-9-for-x86_64-baseos-rpms"], "image_contents": []}"#;
    let inv = target_inventory(&rhel_tree(&rpmdb, "9.4", Some(baseos_only)));
    assert_eq!(
        inv.target
            .as_ref()
            .unwrap()
            .os
            .as_ref()
            .unwrap()
            .repositories,
        [Ecosystem::parse("Red Hat:enterprise_linux:9::baseos")]
    );
    let r = run(&store, &inv);
    let ids: BTreeSet<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        BTreeSet::from(["RHSA-2024:2447", "RHSA-2025:9978"]),
        "{:#?}",
        r.findings
    );

    // An EUS 9.2 image: its stream's records, not the main stream's.
    let eus = r#"{"metadata": {"icm_version": 1, "icm_spec": "x"},
        "content_sets": ["rhel-9-for-x86_64-appstream-eus-rpms__9_DOT_2", "rhel-9-for-x86_64-baseos-eus-rpms__9_DOT_2"]}"#;
    let inv = target_inventory(&rhel_tree(&rpmdb, "9.2", Some(eus)));
    let r = run(&store, &inv);
    let ids: Vec<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["RHSA-2099:0009"], "{:#?}", r.findings);
    assert_eq!(r.findings[0].fixed.as_deref(), Some("0:1.9.5p2-98.el9_2"));

    // A content set of another product: the manifests are not used (a
    // warning says so) and every RHEL 9 repository is.
    let other = r#"{"metadata": {"icm_version": 1, "icm_spec": "x"},
        "content_sets": ["rhel-9-for-x86_64-baseos-rpms", "rhocp-4.16-for-rhel-9-x86_64-rpms"]}"#;
    let a = system::analyze(&rhel_tree(&rpmdb, "9.4", Some(other)), "");
    assert!(a.os.as_ref().unwrap().repositories.is_empty());
    assert!(
        a.diagnostics
            .iter()
            .any(|d| d.message.contains("`rhocp-4.16-for-rhel-9-x86_64-rpms`")),
        "{:?}",
        a.diagnostics
    );
    // A broken manifest is a warning naming it.
    let a = system::analyze(&rhel_tree(&rpmdb, "9.4", Some("{\"content_sets\": [")), "");
    assert!(
        a.diagnostics.iter().any(|d| d.path
            == "root/buildinfo/content_manifests/ubi9-container-9.4-1214.json"
            && d.message.contains("not a readable content manifest")),
        "{:?}",
        a.diagnostics
    );
}
