//! `--image` and `--rootfs` through the real binary, on images built here
//! with the `tar` crate.

use std::io::Write;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

#[path = "../../patchloop-inventory/tests/support/registry.rs"]
mod registry;

fn sha(b: &[u8]) -> String {
    let mut s = String::from("sha256:");
    for x in Sha256::digest(b) {
        s.push_str(&format!("{x:02x}"));
    }
    s
}

fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

/// A legacy `docker save` archive: a base layer with this machine's dpkg
/// database and os-release, an application layer (gzip).
fn docker_archive(path: &Path) -> Vec<Vec<u8>> {
    docker_archive_parts(path).1
}

/// [`docker_archive`], also returning the config.
fn docker_archive_parts(path: &Path) -> (Vec<u8>, Vec<Vec<u8>>) {
    let status = std::fs::read("/var/lib/dpkg/status").unwrap_or_else(|_| {
        b"Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\n".to_vec()
    });
    let l0 = tar_of(&[
        ("var/lib/dpkg/status", &status),
        ("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n"),
    ]);
    let l1 = tar_of(&[("app/app.py", b"print('hi')\n")]);
    let blobs = vec![l0.clone(), gzip(&l1)];
    let cfg = serde_json::to_vec(&json!({
        "os": "linux", "architecture": "amd64",
        "rootfs": {"type": "layers", "diff_ids": [sha(&l0), sha(&l1)]},
        "history": [
            {"created_by": "/bin/sh -c #(nop) ADD file:base in / "},
            {"created_by": "/bin/sh -c #(nop)  CMD [\"bash\"]", "empty_layer": true},
            {"created_by": "COPY app.py /app/ # buildkit"},
        ],
    }))
    .unwrap();
    let cfg_name = format!("{}.json", sha(&cfg).trim_start_matches("sha256:"));
    let man = serde_json::to_vec(&json!([{
        "Config": cfg_name, "RepoTags": ["demo/app:1"],
        "Layers": ["aaaa/layer.tar", "bbbb/layer.tar"],
    }]))
    .unwrap();
    let mut b = tar::Builder::new(std::fs::File::create(path).unwrap());
    for (name, data) in [
        ("manifest.json", man.as_slice()),
        (cfg_name.as_str(), cfg.as_slice()),
        ("aaaa/layer.tar", blobs[0].as_slice()),
        ("bbbb/layer.tar", blobs[1].as_slice()),
    ] {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, data).unwrap();
    }
    b.finish().unwrap();
    (cfg, blobs)
}

/// Run a command that reports JSON on stdout; it must succeed.
fn json_of(cmd: &mut Command) -> Value {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn patchloop(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("patchloop").unwrap();
    c.env_remove("NO_COLOR")
        .env("PATCHLOOP_CONFIG", dir.join("no-config.toml"))
        .env("PATCHLOOP_DB", dir.join("store/advisories.db"))
        .current_dir(dir);
    c
}

#[test]
fn inventory_image_json_and_table() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img.tar");
    let blobs = docker_archive(&img);
    let v = json_of(
        patchloop(dir.path())
            .args(["inventory", "--image"])
            .arg(&img)
            .args(["--format", "json"]),
    );
    let t = &v["target"];
    assert_eq!(t["kind"], "image");
    assert_eq!(t["reference"], "demo/app:1");
    assert_eq!(t["layers"].as_array().unwrap().len(), 2);
    assert_eq!(t["layers"][0]["base"], true);
    assert_eq!(t["layers"][1]["base"], false);
    assert_eq!(t["layers"][1]["created_by"], "COPY app.py /app/ # buildkit");
    assert_eq!(t["layers"][1]["digest"], sha(&blobs[1]));
    assert_eq!(t["layers"][1]["size"], blobs[1].len() as u64);

    patchloop(dir.path())
        .args(["inventory", "--image"])
        .arg(&img)
        .assert()
        .success()
        .stdout(predicate::str::contains("image demo/app:1"))
        .stdout(predicate::str::contains("COPY app.py /app/ # buildkit"))
        .stdout(predicate::str::contains("base"));
}

#[test]
fn inventory_rootfs_json() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/os-release"), "ID=debian\n").unwrap();
    let v = json_of(
        patchloop(dir.path())
            .args(["inventory", "--rootfs"])
            .arg(&root)
            .args(["--format", "json"]),
    );
    assert_eq!(v["target"]["kind"], "rootfs");
    assert_eq!(v["target"]["reference"], root.display().to_string());
}

#[test]
fn bad_images_fail_naming_the_member() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img.tar");
    let blobs = docker_archive(&img);
    let bytes = std::fs::read(&img).unwrap();
    // Corrupt one byte in the middle of the gzip layer.
    let mut bad = bytes.clone();
    let at = bytes
        .windows(blobs[1].len())
        .position(|w| w == blobs[1].as_slice())
        .unwrap();
    bad[at + blobs[1].len() / 2] ^= 0xff;
    let badp = dir.path().join("bad.tar");
    std::fs::write(&badp, &bad).unwrap();
    patchloop(dir.path())
        .args(["inventory", "--image"])
        .arg(&badp)
        .assert()
        .failure()
        .stderr(predicate::str::contains("bbbb/layer.tar"));
    patchloop(dir.path())
        .args(["inventory", "--image", "nope.tar"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("nope.tar"));
    patchloop(dir.path())
        .args(["inventory", "--image"])
        .arg(&img)
        .arg("--rootfs")
        .arg(dir.path())
        .assert()
        .failure()
        .stderr(predicate::str::contains("cannot be used with"));
}

/// An advisory store in `dir` with one record (zlib in Debian 12, fixed
/// in 1:9), imported by the binary.
fn store_with_one_record(dir: &Path) {
    let recs = dir.join("recs");
    std::fs::create_dir_all(&recs).unwrap();
    std::fs::write(
        recs.join("DSA-0000-1.json"),
        json!({"id": "DSA-0000-1", "modified": "2025-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "Debian:12", "name": "zlib"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1:9"}]}]}]})
        .to_string(),
    )
    .unwrap();
    patchloop(dir)
        .args(["-q", "db", "import"])
        .arg(&recs)
        .assert()
        .success();
}

#[test]
fn scan_and_plan_take_an_image() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img.tar");
    docker_archive(&img);
    store_with_one_record(dir.path());
    let v = json_of(
        patchloop(dir.path())
            .args([
                "scan",
                "--no-state",
                "--fail-on",
                "none",
                "--format",
                "json",
                "--image",
            ])
            .arg(&img),
    );
    // zlib1g (source package zlib) of the base layer's dpkg database is
    // matched on its source package, with the release's fix.
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "DSA-0000-1")
        .unwrap_or_else(|| panic!("no DSA-0000-1 finding: {v}"));
    assert_eq!(f["package"]["name"], "zlib");
    assert_eq!(f["fixed"], "1:9");
    assert_eq!(f["distro"]["fix_available"], true);
    // The table counts the binary packages of one database as entries and
    // does not call OS packages transitive.
    patchloop(dir.path())
        .args(["scan", "--no-state", "--fail-on", "none", "--image"])
        .arg(&img)
        .assert()
        .success()
        .stdout(predicate::str::contains("var/lib/dpkg/status:"))
        .stdout(predicate::str::contains("transitive").not());
    assert!(
        f["distro"]["binaries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["name"] == "zlib1g" && b["layer"] == 0),
        "{f}"
    );
    // The vulnerable package comes from the base layer: the plan names the
    // upgrade line and a base image bump holding that layer.
    let v = json_of(
        patchloop(dir.path())
            .args([
                "plan",
                "--no-state",
                "--offline",
                "--format",
                "json",
                "--image",
            ])
            .arg(&img),
    );
    let image = &v["image"];
    assert_eq!(image["package_manager"], "apt", "{image}");
    assert!(
        image["command"]
            .as_str()
            .unwrap()
            .contains("--only-upgrade zlib1g=1:9"),
        "{image}"
    );
    assert_eq!(image["base_image"]["layers"][0]["index"], 0, "{image}");
    assert!(
        image["base_image"]["fixes"]
            .as_array()
            .unwrap()
            .contains(&json!("DSA-0000-1"))
    );
}

#[test]
fn scan_of_a_registry_image_equals_the_scan_of_its_archive() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img.tar");
    let (cfg, blobs) = docker_archive_parts(&img);
    store_with_one_record(dir.path());
    // The same image pushed to a registry: its config and layers under an
    // OCI manifest, behind token authentication and blob redirects.
    let man = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(&cfg), "size": cfg.len()},
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": sha(&blobs[0]), "size": blobs[0].len()},
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha(&blobs[1]), "size": blobs[1].len()},
        ],
    }))
    .unwrap();
    let mut members = vec![
        (format!("blobs/sha256/{}", &sha(&cfg)[7..]), cfg.clone()),
        (format!("blobs/sha256/{}", &sha(&man)[7..]), man.clone()),
    ];
    for b in &blobs {
        members.push((format!("blobs/sha256/{}", &sha(b)[7..]), b.clone()));
    }
    let md = sha(&man);
    let mut served = registry::Served::from_members("demo/app", &members, &[("1", &md)]);
    // `printf 'alice:s3cret' | base64`
    served.basic = Some("Basic YWxpY2U6czNjcmV0".into());
    served.redirect_blobs = true;
    let reg = registry::Registry::start(served);
    let reference = format!("docker://{}/demo/app:1", reg.host());

    // The binary's JSON report, with Alice's credential in the environment.
    let run = |args: &[&str]| {
        json_of(
            patchloop(dir.path())
                .env("PATCHLOOP_REGISTRY_USERNAME", "alice")
                .env("PATCHLOOP_REGISTRY_PASSWORD", "s3cret")
                .env("DOCKER_CONFIG", dir.path().join("no-docker"))
                .args(args),
        )
    };
    let scan = |image: &str| {
        run(&[
            "scan",
            "--no-state",
            "--fail-on",
            "none",
            "-f",
            "json",
            "--image",
            image,
        ])
    };
    let from_tar = scan(img.to_str().unwrap());
    let from_registry = scan(&reference);
    assert!(
        from_registry["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "DSA-0000-1"),
        "{from_registry}"
    );
    // Equal but for the image's name in paths.
    let normalize = |v: &Value, name: &str| -> Value {
        serde_json::from_str(&v.to_string().replace(name, "IMAGE")).unwrap()
    };
    assert_eq!(
        normalize(&from_tar, img.to_str().unwrap()),
        normalize(&from_registry, &reference)
    );

    // Each layer was fetched once (with the token, then from storage).
    for blob in &blobs {
        assert_eq!(reg.count(&format!("/v2/demo/app/blobs/{}", sha(blob))), 1);
    }

    // The inventory's target: the same layers; the registry's name and
    // manifest digest (a legacy archive has neither).
    let inventory = |image: &str| run(&["inventory", "-f", "json", "--image", image]);
    let (a, b) = (inventory(img.to_str().unwrap()), inventory(&reference));
    assert_eq!(a["target"]["layers"], b["target"]["layers"]);
    assert_eq!(b["target"]["layers"][1]["digest"], sha(&blobs[1]));
    assert_eq!(b["target"]["reference"], reference.as_str());
    assert_eq!(b["target"]["digest"], md.as_str());

    // An unknown tag: exit 2, the reference and the cause on stderr.
    patchloop(dir.path())
        .env("PATCHLOOP_REGISTRY_USERNAME", "alice")
        .env("PATCHLOOP_REGISTRY_PASSWORD", "s3cret")
        .args([
            "inventory",
            "--image",
            &format!("docker://{}/demo/app:2", reg.host()),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "docker://{}/demo/app:2: manifest 2: not found (404)",
            reg.host()
        )));
}

/// A RHEL 9 root file system whose rpmdb is built by rpm itself, against
/// records in Red Hat's OSV shape imported by `db import`: the RHEL 9
/// record matches with its fix, its RHEL 8 and EUS siblings do not, and
/// the plan gives the dnf line.
#[test]
fn scan_and_plan_a_rhel_rootfs() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "NAME=\"Red Hat Enterprise Linux\"\nVERSION=\"9.4 (Plow)\"\nID=\"rhel\"\nVERSION_ID=\"9.4\"\nPRETTY_NAME=\"Red Hat Enterprise Linux 9.4 (Plow)\"\n",
    )
    .unwrap();
    // The content manifest of a ubi9 layer (format: atomic-reactor's
    // content_manifest.json schema; sets as Red Hat documents them).
    std::fs::create_dir_all(root.join("root/buildinfo/content_manifests")).unwrap();
    std::fs::write(
        root.join("root/buildinfo/content_manifests/ubi9-container-9.4-1214.json"),
        json!({"metadata": {"icm_version": 1, "icm_spec": "https://raw.githubusercontent.com/containerbuildsystem/atomic-reactor/master/atomic_reactor/schemas/content_manifest.json", "image_layer_index": 0},
            "content_sets": ["rhel-9-for-x86_64-baseos-rpms", "rhel-9-for-x86_64-appstream-rpms"],
            "image_contents": []})
        .to_string(),
    )
    .unwrap();
    let db = root.join("var/lib/rpm");
    if patchloop_testdata::rpmdb_with(dir.path(), &db, &[("openssl", OPENSSL_SPEC)]).is_none() {
        return;
    }
    let q = patchloop_testdata::rpm_at(
        &db,
        &[
            "-q",
            "--qf",
            "%{EPOCH}:%{VERSION}-%{RELEASE}",
            "openssl-libs",
        ],
    );
    assert_eq!(String::from_utf8_lossy(&q.stdout), "1:3.0.7-24.el9");

    let recs = dir.path().join("recs");
    std::fs::create_dir_all(&recs).unwrap();
    let entry = |eco: &str, name: &str, fixed: &str| {
        json!({"package": {"name": name, "ecosystem": eco, "purl": format!("pkg:rpm/redhat/{name}")},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]})
    };
    // RHSA-2024:2447 as Red Hat's CSAF-to-OSV converter writes it (the
    // RHEL 8 entry added: a sibling product in the same record).
    std::fs::write(
        recs.join("RHSA-2024-2447.json"),
        json!({"schema_version": "1.7.0", "id": "RHSA-2024:2447", "related": [],
            "upstream": ["CVE-2023-2975", "CVE-2023-3446", "CVE-2023-3817"],
            "published": "2024-04-30T09:43:41Z", "modified": "2024-11-01T00:00:00Z",
            "summary": "Moderate: openssl security and bug fix update",
            "affected": [
                entry("Red Hat:enterprise_linux:9::appstream", "openssl-libs", "1:3.0.7-27.el9"),
                entry("Red Hat:enterprise_linux:9::baseos", "openssl-libs", "1:3.0.7-27.el9"),
                entry("Red Hat:enterprise_linux:9::baseos", "openssl", "1:3.0.7-27.el9"),
                entry("Red Hat:enterprise_linux:8::baseos", "openssl-libs", "1:1.1.1k-12.el8_9"),
            ],
            "references": [{"type": "ADVISORY", "url": "https://access.redhat.com/errata/RHSA-2024:2447"}]})
        .to_string(),
    )
    .unwrap();
    // Fixes above the installed version, but in RHEL 8 and in an EUS
    // stream: not this image's repositories.
    std::fs::write(
        recs.join("RHSA-2099-0001.json"),
        json!({"schema_version": "1.7.0", "id": "RHSA-2099:0001", "upstream": ["CVE-2099-0001"],
        "modified": "2099-01-01T00:00:00Z",
        "affected": [
            entry("Red Hat:enterprise_linux:8::baseos", "openssl-libs", "1:3.0.7-99.el8"),
            entry("Red Hat:rhel_eus:9.2::baseos", "openssl-libs", "1:3.0.7-98.el9_2"),
        ]})
        .to_string(),
    )
    .unwrap();
    patchloop(dir.path())
        .args(["-q", "db", "import"])
        .arg(&recs)
        .assert()
        .success();
    let v = json_of(
        patchloop(dir.path())
            .args([
                "scan",
                "--no-state",
                "--fail-on",
                "none",
                "-f",
                "json",
                "--rootfs",
            ])
            .arg(&root),
    );
    let found: Vec<(&str, &str, &str)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap(),
                f["package"]["name"].as_str().unwrap(),
                f["fixed"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("RHSA-2024:2447", "openssl", "1:3.0.7-27.el9"),
            ("RHSA-2024:2447", "openssl-libs", "1:3.0.7-27.el9"),
        ],
        "{v}"
    );
    let f = &v["findings"][1];
    assert_eq!(f["package"]["version"], "1:3.0.7-24.el9");
    assert_eq!(
        f["package"]["purl"],
        "pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=noarch&distro=rhel-9.4&epoch=1"
    );
    assert_eq!(f["distro"]["release"], "Red Hat:enterprise_linux:9");
    assert_eq!(f["distro"]["fix_available"], true);

    // The content manifest was read through the walk of the tree.
    let v = json_of(
        patchloop(dir.path())
            .args(["inventory", "-f", "json", "--rootfs"])
            .arg(&root),
    );
    assert_eq!(
        v["target"]["os"]["repositories"],
        json!([
            "Red Hat:enterprise_linux:9::appstream",
            "Red Hat:enterprise_linux:9::baseos"
        ]),
        "{}",
        v["target"]
    );

    // The plan's line; on UBI minimal (microdnf installed, dnf not), microdnf.
    for (manager, extra) in [
        ("dnf", None),
        (
            "microdnf",
            Some((
                "microdnf",
                "Name: microdnf\nVersion: 3.9.1\nRelease: 3.el9\nSummary: t\nLicense: GPLv2+\nBuildArch: noarch\n\
                 %description\nt\n%files\n",
            )),
        ),
    ] {
        if let Some(spec) = extra {
            std::fs::remove_dir_all(&db).unwrap();
            let work = dir.path().join(manager);
            std::fs::create_dir_all(&work).unwrap();
            patchloop_testdata::rpmdb_with(&work, &db, &[("openssl", OPENSSL_SPEC), spec]).unwrap();
        }
        let v = json_of(
            patchloop(dir.path())
                .args(["plan", "--no-state", "--offline", "-f", "json", "--rootfs"])
                .arg(&root),
        );
        let image = &v["image"];
        assert_eq!(image["package_manager"], manager, "{image}");
        assert_eq!(
            image["command"],
            format!("{manager} upgrade -y openssl-1:3.0.7-27.el9 openssl-libs-1:3.0.7-27.el9"),
            "{image}"
        );
    }
}

/// `openssl` and its `openssl-libs` subpackage at RHEL 9.4's 1:3.0.7-24.el9.
const OPENSSL_SPEC: &str = "Name: openssl\nVersion: 3.0.7\nRelease: 24.el9\nEpoch: 1\nSummary: t\nLicense: ASL 2.0\nBuildArch: noarch\n\
    %description\nt\n%package libs\nSummary: t\n%description libs\nt\n%files\n%files libs\n";
