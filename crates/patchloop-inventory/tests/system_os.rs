//! OS package databases read through the system pipeline, checked against
//! the package managers' own tools: this machine's dpkg database against
//! `dpkg-query`, an rpmdb built by `rpm` itself against `rpm -qa`, and an
//! apk database written in apk-tools' format.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use patchloop_inventory::system::{self, Content, FileSet, Want};
use patchloop_model::DiagnosticLevel;

fn keep(set: &mut FileSet, path: &str, bytes: Vec<u8>, layer: Option<u32>) {
    assert!(
        matches!(
            system::want(path, bytes.len() as u64, 0o644),
            Want::Keep { .. }
        ),
        "{path} must be wanted"
    );
    set.insert(path, layer, Content::Bytes(bytes));
}

#[test]
fn this_machines_dpkg_database_matches_dpkg_query() {
    let status = Path::new("/var/lib/dpkg/status");
    let Ok(bytes) = std::fs::read(status) else {
        eprintln!("no /var/lib/dpkg/status here: skipped");
        return;
    };
    let Ok(q) = Command::new("dpkg-query")
        .args([
            "-W",
            "-f",
            "${db:Status-Status}\t${Package}\t${Version}\t${Architecture}\t${source:Package}\t${source:Version}\n",
        ])
        .output()
    else {
        eprintln!("no dpkg-query: skipped");
        return;
    };
    let text = String::from_utf8(q.stdout).unwrap();
    let expected: BTreeSet<(String, String, String, String, String)> = text
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0] == "installed").then(|| {
                (
                    f[1].to_string(),
                    f[2].to_string(),
                    f[3].to_string(),
                    f[4].to_string(),
                    f[5].to_string(),
                )
            })
        })
        .collect();
    assert!(expected.len() > 50, "{}", expected.len());

    let mut set = FileSet::new();
    keep(&mut set, "var/lib/dpkg/status", bytes, Some(1));
    let os_release = std::fs::read("/etc/os-release").unwrap_or_default();
    keep(&mut set, "etc/os-release", os_release.clone(), Some(0));
    let a = system::analyze(&set, "host:/");
    assert_eq!(a.sources.len(), 1);
    let sf = &a.sources[0];
    assert_eq!(sf.format, "dpkg-status");
    assert_eq!(sf.path, "host:/var/lib/dpkg/status");
    let got: BTreeSet<(String, String, String, String, String)> = sf
        .packages
        .iter()
        .map(|p| {
            let s = p.source.as_ref().unwrap();
            let arch = p
                .purl
                .split("arch=")
                .nth(1)
                .unwrap()
                .split('&')
                .next()
                .unwrap()
                .to_string();
            let sv = if s.version.is_empty() {
                p.version.clone()
            } else {
                s.version.clone()
            };
            (p.name.clone(), p.version.clone(), arch, s.name.clone(), sv)
        })
        .collect();
    assert_eq!(got, expected);
    assert!(sf.packages.iter().all(|p| p.layer == Some(1)));
    // Lines point at each stanza's `Package:` line.
    let status_text = std::fs::read_to_string(status).unwrap();
    let lines: Vec<&str> = status_text.lines().collect();
    for p in &sf.packages {
        let l = p.line().unwrap() as usize;
        assert_eq!(lines[l - 1], format!("Package: {}", p.name));
    }
    // The distribution, from os-release as `os-release` itself says.
    let text = String::from_utf8_lossy(&os_release);
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("ID="))
        .map(|s| s.trim_matches('"'));
    let vid = text
        .lines()
        .find_map(|l| l.strip_prefix("VERSION_ID="))
        .map(|s| s.trim_matches('"'));
    let os = a.os.expect("os-release read");
    assert_eq!(Some(os.id.as_str()), id);
    assert_eq!(Some(os.version_id.as_str()), vid);
    if id == Some("debian") {
        let e = os.ecosystem.unwrap();
        assert_eq!(e.to_string(), format!("Debian:{}", vid.unwrap()));
        assert!(sf.packages.iter().all(|p| p.ecosystem == e
            && p.purl.starts_with("pkg:deb/debian/")
            && p.purl.contains(&format!("distro=debian-{}", vid.unwrap()))));
    }
}

const APK_DB: &str = "\
C:Q1SLkS9hBidUbPwwrw+XR0Whv3ww8=
P:musl
V:1.2.5-r0
A:x86_64
S:411323
I:667648
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Timo Teräs <timo.teras@iki.fi>
t:1712661306
c:6c6dd00e64a5a27f8b5c0e41a5a78d9c4e75aeb2
p:so:libc.musl-x86_64.so.1=1
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1Rco5xUwU+y/AOeR+sIQLZ2wSQ7k=
R:libc.musl-x86_64.so.1
a:0:0:777
Z:Q1yDdcLTZeKYgb3xOHSbh3o7xp8BU=

C:Q1k6qVDvBaqBS7y3VdBv2s2s0q0ss=
P:libcrypto3
V:3.3.2-r0
A:x86_64
S:1733262
I:4718592
T:Crypto library from openssl
U:https://www.openssl.org/
L:Apache-2.0
o:openssl
m:Ariadne Conill <ariadne@dereferenced.org>
t:1725369720
c:c3c6c7ebd1e9bd2b6ad7d1b0eb3bac37f8b45c3a
D:so:libc.musl-x86_64.so.1
p:so:libcrypto.so.3=3
F:lib
R:libcrypto.so.3
a:0:0:755
Z:Q1Zn8kE7ayyNcnd1dvpkmjmmcMdYc=

C:Q1r8LzTqX4iIBk+ds2P4pa+B5WVkE=
P:libssl3
V:3.3.2-r0
A:x86_64
S:356147
I:888832
T:SSL shared libraries
U:https://www.openssl.org/
L:Apache-2.0
o:openssl
m:Ariadne Conill <ariadne@dereferenced.org>
t:1725369720
c:c3c6c7ebd1e9bd2b6ad7d1b0eb3bac37f8b45c3a
D:so:libc.musl-x86_64.so.1 so:libcrypto.so.3
p:so:libssl.so.3=3
F:lib
R:libssl.so.3
a:0:0:755
Z:Q1E1TbrnUJTr7bNKUqk8GNaCw4TzM=
";

#[test]
fn apk_database_and_alpine_release() {
    let mut set = FileSet::new();
    keep(
        &mut set,
        "etc/os-release",
        b"NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME=\"Alpine Linux v3.20\"\n".to_vec(),
        Some(0),
    );
    keep(
        &mut set,
        "lib/apk/db/installed",
        APK_DB.as_bytes().to_vec(),
        Some(2),
    );
    let a = system::analyze(&set, "alpine.tar!");
    assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
    assert_eq!(
        a.os.as_ref()
            .unwrap()
            .ecosystem
            .as_ref()
            .unwrap()
            .to_string(),
        "Alpine:v3.20"
    );
    let sf = &a.sources[0];
    assert_eq!(sf.format, "apk-installed");
    let got: Vec<(&str, &str, &str, Option<u32>)> = sf
        .packages
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.version.as_str(),
                p.source.as_ref().unwrap().name.as_str(),
                p.line(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("musl", "1.2.5-r0", "musl", Some(1)),
            ("libcrypto3", "3.3.2-r0", "openssl", Some(23)),
            ("libssl3", "3.3.2-r0", "openssl", Some(43)),
        ]
    );
    assert_eq!(
        sf.packages[1].purl,
        "pkg:apk/alpine/libcrypto3@3.3.2-r0?arch=x86_64&distro=alpine-3.20.3"
    );
    assert_eq!(sf.packages[1].layer, Some(2));
}

/// Build `.rpm` files with rpmbuild and install them into a fresh rpmdb
/// with rpm itself. None when rpm is not installed.
fn real_rpmdb(dir: &Path) -> Option<std::path::PathBuf> {
    patchloop_testdata::rpmdb_with(
        dir,
        &dir.join("db"),
        &[(
            "pl",
            "Name: plmain\nVersion: 3.0.7\nRelease: 24.el9\nEpoch: 1\nSummary: t\nLicense: Apache-2.0\nBuildArch: noarch\n\
             %description\nt\n\
             %package -n pllibs\nSummary: t\n%description -n pllibs\nt\n\
             %files\n%files -n pllibs\n",
        )],
    )
}

#[test]
fn rpmdb_built_by_rpm_matches_rpm_query() {
    let d = tempfile::tempdir().unwrap();
    let Some(db) = real_rpmdb(d.path()) else {
        return;
    };
    let q = Command::new("rpm")
        .arg("--dbpath")
        .arg(&db)
        .args([
            "-qa",
            "--qf",
            "%{NAME} %{EPOCH}:%{VERSION}-%{RELEASE} %{ARCH} %{SOURCERPM}\\n",
        ])
        .output()
        .unwrap();
    let expected: BTreeSet<String> = String::from_utf8(q.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(expected.len(), 2, "{expected:?}");

    let mut set = FileSet::new();
    keep(
        &mut set,
        "etc/os-release",
        b"NAME=\"Rocky Linux\"\nVERSION=\"9.4 (Blue Onyx)\"\nID=\"rocky\"\nVERSION_ID=\"9.4\"\n"
            .to_vec(),
        Some(0),
    );
    keep(
        &mut set,
        "var/lib/rpm/rpmdb.sqlite",
        std::fs::read(db.join("rpmdb.sqlite")).unwrap(),
        Some(0),
    );
    if let Ok(wal) = std::fs::read(db.join("rpmdb.sqlite-wal")) {
        keep(&mut set, "var/lib/rpm/rpmdb.sqlite-wal", wal, Some(0));
    }
    let a = system::analyze(&set, "");
    assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
    let sf = &a.sources[0];
    assert_eq!(sf.format, "rpmdb-sqlite");
    assert_eq!(sf.ecosystem.to_string(), "Rocky Linux:9");
    let got: BTreeSet<String> = sf
        .packages
        .iter()
        .map(|p| {
            let arch = p
                .purl
                .split("arch=")
                .nth(1)
                .unwrap()
                .split('&')
                .next()
                .unwrap();
            let s = p.source.as_ref().unwrap();
            let sv = if s.version.is_empty() {
                p.version.split_once(':').unwrap().1.to_string()
            } else {
                s.version.clone()
            };
            format!("{} {} {arch} {}-{sv}.src.rpm", p.name, p.version, s.name)
        })
        .collect();
    assert_eq!(got, expected);
    let libs = sf.packages.iter().find(|p| p.name == "pllibs").unwrap();
    assert_eq!(
        libs.purl,
        "pkg:rpm/rocky/pllibs@3.0.7-24.el9?arch=noarch&distro=rocky-9.4&epoch=1"
    );
}

#[test]
fn malformed_databases_are_diagnosed_not_fatal() {
    let mut set = FileSet::new();
    keep(
        &mut set,
        "etc/os-release",
        b"ID=rocky\nVERSION_ID=9.4\n".to_vec(),
        None,
    );
    keep(
        &mut set,
        "var/lib/rpm/rpmdb.sqlite",
        b"SQLite format 3\0garbage".to_vec(),
        None,
    );
    keep(
        &mut set,
        "var/lib/dpkg/status",
        b"\x00\x01\x02 not a status file\n".to_vec(),
        None,
    );
    keep(&mut set, "var/lib/rpm/Packages", vec![0; 64], None);
    let a = system::analyze(&set, "img!");
    let errors: BTreeSet<&str> = a
        .diagnostics
        .iter()
        .filter(|d| d.level == DiagnosticLevel::Error)
        .map(|d| d.path.as_str())
        .collect();
    assert_eq!(
        errors,
        BTreeSet::from(["img!var/lib/dpkg/status", "img!var/lib/rpm/rpmdb.sqlite"]),
        "{:?}",
        a.diagnostics
    );
    // The Berkeley DB next to a SQLite rpmdb is a warning, named.
    assert!(
        a.diagnostics
            .iter()
            .any(|d| d.path == "img!var/lib/rpm/Packages" && d.message.contains("Berkeley DB"))
    );

    // Alone, it is an error: the RPM packages are missing.
    let mut set = FileSet::new();
    keep(
        &mut set,
        "usr/lib/sysimage/rpm/Packages.db",
        vec![0; 64],
        None,
    );
    let a = system::analyze(&set, "");
    assert!(
        a.diagnostics
            .iter()
            .any(|d| d.level == DiagnosticLevel::Error && d.message.contains("NDB"))
    );
}

#[test]
fn distroless_status_d_and_release_fallbacks() {
    let mut set = FileSet::new();
    keep(&mut set, "etc/debian_version", b"12.7\n".to_vec(), Some(0));
    keep(
        &mut set,
        "var/lib/dpkg/status.d/libssl3",
        b"Package: libssl3\nVersion: 3.0.14-1~deb12u2\nArchitecture: amd64\nSource: openssl\n"
            .to_vec(),
        Some(0),
    );
    keep(
        &mut set,
        "var/lib/dpkg/status.d/tzdata",
        b"Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n".to_vec(),
        Some(1),
    );
    // Not a stanza file: never wanted.
    assert_eq!(
        system::want("var/lib/dpkg/status.d/tzdata.md5sums", 10, 0o644),
        Want::Skip
    );
    let a = system::analyze(&set, "");
    assert_eq!(
        a.os.as_ref()
            .unwrap()
            .ecosystem
            .as_ref()
            .unwrap()
            .to_string(),
        "Debian:12"
    );
    let sf = &a.sources[0];
    let got: Vec<(&str, &str, Option<u32>, &str)> = sf
        .packages
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.locations[0].path.as_str(),
                p.layer,
                p.source.as_ref().unwrap().name.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "libssl3",
                "var/lib/dpkg/status.d/libssl3",
                Some(0),
                "openssl"
            ),
            ("tzdata", "var/lib/dpkg/status.d/tzdata", Some(1), "tzdata"),
        ]
    );
}

/// A transaction committed to the WAL but not yet checkpointed into
/// `rpmdb.sqlite` (rpm killed mid-run, or an image layer written while
/// rpm held the database) is read with the `-wal` file beside it.
#[test]
fn rpmdb_wal_transactions_are_read() {
    let d = tempfile::tempdir().unwrap();
    let Some(db) = real_rpmdb(d.path()) else {
        return;
    };
    let copy = d.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    std::fs::copy(db.join("rpmdb.sqlite"), copy.join("rpmdb.sqlite")).unwrap();
    let conn = rusqlite::Connection::open(copy.join("rpmdb.sqlite")).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    conn.execute_batch(
        "PRAGMA wal_autocheckpoint=0;
         INSERT INTO Packages(blob) SELECT blob FROM Packages WHERE hnum = (SELECT min(hnum) FROM Packages);",
    )
    .unwrap();
    // Leave the connection open: nothing is checkpointed.
    std::mem::forget(conn);
    let main = std::fs::read(copy.join("rpmdb.sqlite")).unwrap();
    let wal = std::fs::read(copy.join("rpmdb.sqlite-wal")).unwrap();
    assert!(!wal.is_empty());

    let count = |with_wal: bool| {
        let mut set = FileSet::new();
        keep(
            &mut set,
            "usr/lib/sysimage/rpm/rpmdb.sqlite",
            main.clone(),
            None,
        );
        if with_wal {
            keep(
                &mut set,
                "usr/lib/sysimage/rpm/rpmdb.sqlite-wal",
                wal.clone(),
                None,
            );
        }
        let a = system::analyze(&set, "");
        assert!(
            a.diagnostics
                .iter()
                .all(|d| d.level != DiagnosticLevel::Error),
            "{:?}",
            a.diagnostics
        );
        a.sources[0].packages.len()
    };
    assert_eq!(count(false), 2);
    assert_eq!(count(true), 3);
}

#[test]
fn distributions_without_an_osv_ecosystem() {
    for (os_release, eco, note) in [
        ("ID=fedora\nVERSION_ID=40\n", "fedora", "no OSV ecosystem"),
        (
            "ID=\"centos\"\nVERSION_ID=\"9\"\n",
            "centos",
            "no OSV ecosystem",
        ),
    ] {
        let mut set = FileSet::new();
        keep(
            &mut set,
            "etc/os-release",
            os_release.as_bytes().to_vec(),
            None,
        );
        keep(
            &mut set,
            "var/lib/dpkg/status",
            b"Package: x\nStatus: install ok installed\nVersion: 1\n".to_vec(),
            None,
        );
        let a = system::analyze(&set, "");
        assert_eq!(a.os.as_ref().unwrap().ecosystem, None);
        assert_eq!(a.diagnostics.len(), 1, "{:?}", a.diagnostics);
        assert!(
            a.diagnostics[0].message.contains(note),
            "{:?}",
            a.diagnostics
        );
        // dpkg on a non-Debian distribution: its id, verbatim.
        assert_eq!(a.sources[0].packages[0].ecosystem.to_string(), eco);
    }
}

/// Truncated and mutated databases: never a panic (the deterministic part
/// of the fuzz targets, as tests/robustness.rs does for lockfiles).
#[test]
fn truncated_and_mutated_databases_never_panic() {
    use patchloop_inventory::system::os::{apk, dpkg, rpm};
    let status = std::fs::read("/var/lib/dpkg/status").unwrap_or_else(|_| {
        b"Package: a\nStatus: install ok installed\nVersion: 1\nSource: b (2)\n".to_vec()
    });
    let step = (status.len() / 300).max(1);
    for n in (0..status.len()).step_by(step) {
        let _ = dpkg::parse(&status[..n], true);
        let mut m = status.clone();
        m[n] ^= 0xff;
        let _ = dpkg::parse(&m, true);
        let _ = apk::parse(&status[..n]);
    }
    for n in 0..APK_DB.len() {
        let _ = apk::parse(&APK_DB.as_bytes()[..n]);
    }
    let d = tempfile::tempdir().unwrap();
    let Some(db) = real_rpmdb(d.path()) else {
        return;
    };
    let conn = rusqlite::Connection::open(db.join("rpmdb.sqlite")).unwrap();
    let blob: Vec<u8> = conn
        .query_row("SELECT blob FROM Packages LIMIT 1", [], |r| r.get(0))
        .unwrap();
    assert!(rpm::parse_header(&blob).is_ok());
    for n in 0..blob.len() {
        assert!(rpm::parse_header(&blob[..n]).is_err(), "prefix {n}");
        for v in [0x00u8, 0x7f, 0x80, 0xff] {
            let mut m = blob.clone();
            m[n] = v;
            let _ = rpm::parse_header(&m);
        }
    }
}

/// Image layers rewrite the whole dpkg database whenever they install
/// anything: each package must still be attributed to the layer that
/// installed it (or last changed its version), not to the last layer that
/// rewrote the file; a whiteout of the database starts over.
#[test]
fn packages_keep_the_layer_that_installed_them() {
    fn stanza(name: &str, version: &str) -> String {
        format!(
            "Package: {name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: {version}\n\n"
        )
    }
    let layers = [
        stanza("base-files", "12.4") + &stanza("libssl3", "3.0.11-1"),
        stanza("base-files", "12.4")
            + &stanza("libssl3", "3.0.11-1")
            + &stanza("curl", "7.88.1-10"),
        stanza("base-files", "12.4")
            + &stanza("libssl3", "3.0.15-1")
            + &stanza("curl", "7.88.1-10"),
    ];
    let mut set = FileSet::new();
    keep(
        &mut set,
        "etc/os-release",
        b"ID=debian\nVERSION_ID=\"12\"\n".to_vec(),
        Some(0),
    );
    for (i, db) in layers.iter().enumerate() {
        keep(
            &mut set,
            "var/lib/dpkg/status",
            db.clone().into_bytes(),
            Some(i as u32),
        );
    }
    let layer_of = |set: &FileSet| -> Vec<(String, Option<u32>)> {
        let a = system::analyze(set, "img.tar!");
        let mut v: Vec<_> = a.sources[0]
            .packages
            .iter()
            .map(|p| (p.name.clone(), p.layer))
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        layer_of(&set),
        [
            ("base-files".to_string(), Some(0)),
            ("curl".to_string(), Some(1)),
            ("libssl3".to_string(), Some(2)),
        ]
    );
    // A whiteout removes the database: what a later layer writes is new.
    set.remove("var/lib/dpkg/status");
    keep(
        &mut set,
        "var/lib/dpkg/status",
        layers[2].clone().into_bytes(),
        Some(3),
    );
    assert!(layer_of(&set).iter().all(|(_, l)| *l == Some(3)));
}

/// A rootfs is shown as its directory joined with `/` to the tree path,
/// by the OS analyzers as by the language ones (images as `FILE!path`).
#[test]
fn rootfs_paths_are_joined_with_a_slash() {
    use patchloop_inventory::system::rootfs::{RootfsOptions, inventory_rootfs};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\n",
    )
    .unwrap();
    std::fs::write(
        root.join("var/lib/dpkg/status"),
        "Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\n",
    )
    .unwrap();
    let inv = inventory_rootfs(root, &RootfsOptions::default()).unwrap();
    let want = format!("{}/var/lib/dpkg/status", root.display());
    assert_eq!(inv.sources.len(), 1, "{:?}", inv.diagnostics);
    assert_eq!(inv.sources[0].path, want);
    assert_eq!(inv.sources[0].packages[0].locations[0].path, want);
    assert_eq!(
        patchloop_inventory::system::display_path("img.tar!", "etc/os-release"),
        "img.tar!etc/os-release"
    );
}
