//! Image and rootfs sources against archives built here with the `tar`
//! crate (an independent writer), with real package database content.

use std::io::Write;
use std::path::{Path, PathBuf};

use patchloop_inventory::system::image::{
    ImageLimits, ImageOptions, RegistryOptions, read_image_with, read_registry_image_with,
};
use patchloop_inventory::system::rootfs::{RootfsOptions, read_rootfs_with};
use patchloop_inventory::system::{Content, ImageError, Want};
use sha2::{Digest, Sha256};

#[path = "support/registry.rs"]
mod registry;
use registry::{Registry, Served};

// ---- building layers ----

enum E<'a> {
    File(&'a str, &'a [u8]),
    Dir(&'a str),
    Sym(&'a str, &'a str),
    Hard(&'a str, &'a str),
}

/// A tar with raw member names (the `tar` crate's path checks would refuse
/// the hostile ones).
fn layer(entries: &[E]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        let (name, link, data, kind): (&str, &str, &[u8], tar::EntryType) = match e {
            E::File(p, d) => (p, "", d, tar::EntryType::Regular),
            E::Dir(p) => (p, "", b"", tar::EntryType::Directory),
            E::Sym(p, t) => (p, t, b"", tar::EntryType::Symlink),
            E::Hard(p, t) => (p, t, b"", tar::EntryType::Link),
        };
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        h.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mode(if kind == tar::EntryType::Directory {
            0o755
        } else {
            0o644
        });
        h.set_cksum();
        b.append(&h, data).unwrap();
    }
    b.into_inner().unwrap()
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

fn zstd(b: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(b, 3).unwrap()
}

fn sha(b: &[u8]) -> String {
    let d = Sha256::digest(b);
    let mut s = String::from("sha256:");
    for x in d {
        s.push_str(&format!("{x:02x}"));
    }
    s
}

fn hex(digest: &str) -> &str {
    digest.strip_prefix("sha256:").unwrap()
}

/// A layer as stored (maybe compressed) and its uncompressed tar.
struct L {
    blob: Vec<u8>,
    tar: Vec<u8>,
    media: &'static str,
}

fn plain(t: Vec<u8>) -> L {
    L {
        blob: t.clone(),
        tar: t,
        media: "application/vnd.oci.image.layer.v1.tar",
    }
}
fn gz(t: Vec<u8>) -> L {
    L {
        blob: gzip(&t),
        tar: t,
        media: "application/vnd.oci.image.layer.v1.tar+gzip",
    }
}
fn zst(t: Vec<u8>) -> L {
    L {
        blob: zstd(&t),
        tar: t,
        media: "application/vnd.oci.image.layer.v1.tar+zstd",
    }
}

fn config(layers: &[L], history: &[(&str, bool)]) -> Vec<u8> {
    let diff: Vec<String> = layers.iter().map(|l| sha(&l.tar)).collect();
    let hist: Vec<serde_json::Value> = history
        .iter()
        .map(|(c, e)| {
            if *e {
                serde_json::json!({"created_by": c, "empty_layer": true})
            } else {
                serde_json::json!({"created_by": c})
            }
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff},
        "history": hist,
    }))
    .unwrap()
}

fn manifest(cfg: &[u8], layers: &[L], annotations: serde_json::Value) -> Vec<u8> {
    let ls: Vec<serde_json::Value> = layers
        .iter()
        .map(|l| serde_json::json!({"mediaType": l.media, "digest": sha(&l.blob), "size": l.blob.len()}))
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(cfg), "size": cfg.len()},
        "layers": ls,
        "annotations": annotations,
    }))
    .unwrap()
}

type Members = Vec<(String, Vec<u8>)>;

/// An OCI layout's members: blobs, `oci-layout`, `index.json`. Returns the
/// manifest digest.
fn oci_members(
    layers: &[L],
    history: &[(&str, bool)],
    ann: serde_json::Value,
) -> (Members, String) {
    let cfg = config(layers, history);
    let man = manifest(&cfg, layers, ann);
    let md = sha(&man);
    let mut m: Members = vec![(
        "oci-layout".into(),
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    )];
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": man.len(),
        "annotations": {"org.opencontainers.image.ref.name": "example.org/app:1.0"},
    }]});
    m.push(("index.json".into(), serde_json::to_vec(&index).unwrap()));
    m.push((format!("blobs/sha256/{}", hex(&sha(&cfg))), cfg));
    m.push((format!("blobs/sha256/{}", hex(&md)), man));
    for l in layers {
        m.push((
            format!("blobs/sha256/{}", hex(&sha(&l.blob))),
            l.blob.clone(),
        ));
    }
    (m, md)
}

/// A legacy `docker save` archive's members.
fn docker_members(layers: &[L], history: &[(&str, bool)]) -> Members {
    let cfg = config(layers, history);
    let cd = sha(&cfg);
    let mut m: Members = Vec::new();
    let mut names = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let name = format!("{i:064x}/layer.tar");
        m.push((name.clone(), l.blob.clone()));
        names.push(name);
    }
    m.push((format!("{}.json", hex(&cd)), cfg));
    let man = serde_json::json!([{"Config": format!("{}.json", hex(&cd)), "RepoTags": ["app:latest"], "Layers": names}]);
    m.push(("manifest.json".into(), serde_json::to_vec(&man).unwrap()));
    m
}

fn write_tar(path: &Path, members: &Members) {
    let mut b = tar::Builder::new(std::fs::File::create(path).unwrap());
    for (name, data) in members {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, data.as_slice()).unwrap();
    }
    b.finish().unwrap();
}

fn write_dir(dir: &Path, members: &Members) {
    for (name, data) in members {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }
}

/// What the tests keep: `etc/`, `var/lib/dpkg/` and `usr/lib/os-release`
/// whole (up to 64 MiB), `big/` up to 10 bytes.
fn want(path: &str, _size: u64, _mode: u32) -> Want {
    if path.starts_with("big/") {
        Want::Keep { max: 10 }
    } else if path.starts_with("etc/")
        || path.starts_with("var/lib/dpkg/")
        || path == "usr/lib/os-release"
    {
        Want::Keep { max: 64 << 20 }
    } else {
        Want::Skip
    }
}

fn read(path: &Path) -> Result<patchloop_inventory::system::image::ImageTree, ImageError> {
    read_image_with(path, &ImageOptions::default(), &want)
}

/// This machine's dpkg database (a real one), or a small real-format stanza
/// where there is none.
fn dpkg_status() -> Vec<u8> {
    std::fs::read("/var/lib/dpkg/status").unwrap_or_else(|_| {
        b"Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\n\n".to_vec()
    })
}

const OS_RELEASE: &[u8] =
    b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n";

/// Three layers: a base (plain tar), an application layer (gzip) with a
/// whiteout, an opaque directory written after its new content, and a hard
/// link to a lower file; a zstd layer replacing the dpkg database.
fn three_layers(status: &[u8], status2: &[u8]) -> Vec<L> {
    vec![
        plain(layer(&[
            E::Dir("etc/"),
            E::Sym("etc/os-release", "../usr/lib/os-release"),
            E::File("usr/lib/os-release", OS_RELEASE),
            E::File("var/lib/dpkg/status", status),
            E::File("etc/old", b"old"),
            E::File("etc/d/x", b"x"),
            E::File("etc/d/y", b"y"),
            E::File("usr/bin/tool", b"\x7fELF not kept"),
        ])),
        gz(layer(&[
            E::File("etc/.wh.old", b""),
            E::File("etc/d/new", b"new"),
            E::File("etc/d/.wh..wh..opq", b""),
            E::Hard("etc/status-link", "var/lib/dpkg/status"),
        ])),
        zst(layer(&[
            E::File("var/lib/dpkg/status", status2),
            E::File("app/main.py", b"print()"),
        ])),
    ]
}

const HISTORY: &[(&str, bool)] = &[
    ("/bin/sh -c #(nop) ADD file:abc in / ", false),
    ("/bin/sh -c #(nop)  CMD [\"bash\"]", true),
    ("RUN /bin/sh -c apt-get install -y app # buildkit", false),
    ("COPY status /var/lib/dpkg/status # buildkit", false),
    ("ENTRYPOINT [\"/app\"]", true),
];

fn bytes_of<'a>(t: &'a patchloop_inventory::system::image::ImageTree, p: &str) -> Option<&'a [u8]> {
    t.files.bytes(p)
}

fn check_three(t: &patchloop_inventory::system::image::ImageTree, status: &[u8], status2: &[u8]) {
    assert_eq!(bytes_of(t, "etc/os-release"), Some(OS_RELEASE));
    assert_eq!(bytes_of(t, "var/lib/dpkg/status"), Some(status2));
    assert_eq!(t.files.entry("var/lib/dpkg/status").unwrap().layer, Some(2));
    assert_eq!(
        bytes_of(t, "etc/status-link"),
        Some(status),
        "hard link keeps layer-0 content"
    );
    assert_eq!(t.files.entry("etc/status-link").unwrap().layer, Some(1));
    assert!(t.files.entry("etc/old").is_none(), "whiteout");
    assert!(t.files.entry("etc/d/x").is_none(), "opaque dir");
    assert!(t.files.entry("etc/d/y").is_none(), "opaque dir");
    assert_eq!(
        bytes_of(t, "etc/d/new"),
        Some(&b"new"[..]),
        "same-layer file survives the opaque marker"
    );
    assert!(t.files.entry("usr/bin/tool").is_none(), "not wanted");
    assert!(t.files.entry("app/main.py").is_none(), "not wanted");
    let l = &t.target.layers;
    assert_eq!(l.len(), 3);
    assert_eq!(l[0].created_by.as_deref(), Some(HISTORY[0].0));
    assert_eq!(l[1].created_by.as_deref(), Some(HISTORY[2].0));
    assert_eq!(l[2].created_by.as_deref(), Some(HISTORY[3].0));
    assert_eq!(
        l.iter().map(|l| l.base).collect::<Vec<_>>(),
        [true, false, false]
    );
}

#[test]
fn docker_legacy_archive() {
    let status = dpkg_status();
    let status2 = [status.as_slice(), b"\nPackage: extra\nVersion: 1\n"].concat();
    let layers = three_layers(&status, &status2);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("image.tar");
    write_tar(&p, &docker_members(&layers, HISTORY));
    let t = read(&p).unwrap();
    check_three(&t, &status, &status2);
    assert_eq!(t.target.reference, "app:latest");
    assert_eq!(t.target.digest, None);
    assert_eq!(t.target.layers[1].diff_id, sha(&layers[1].tar));
    assert_eq!(t.target.layers[1].size, layers[1].blob.len() as u64);
    assert_eq!(
        t.target.layers[1].digest,
        sha(&layers[1].blob),
        "gzip blob hashed as stored"
    );
}

#[test]
fn oci_layout_dir_tar_and_docker_oci() {
    let status = dpkg_status();
    let status2 = b"Package: only\nVersion: 2\n".to_vec();
    let layers = three_layers(&status, &status2);
    let (members, md) = oci_members(&layers, HISTORY, serde_json::json!({}));
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    write_dir(&layout, &members);
    let t = read(&layout).unwrap();
    check_three(&t, &status, &status2);
    assert_eq!(t.target.digest.as_deref(), Some(md.as_str()));
    assert_eq!(t.target.reference, "example.org/app:1.0");
    assert_eq!(t.target.layers[2].digest, sha(&layers[2].blob));

    let tarp = dir.path().join("oci.tar");
    write_tar(&tarp, &members);
    check_three(&read(&tarp).unwrap(), &status, &status2);

    // Docker 25+ `docker save`: an OCI layout plus manifest.json.
    let mut dm = members.clone();
    let cfg = config(&layers, HISTORY);
    let names: Vec<String> = layers
        .iter()
        .map(|l| format!("blobs/sha256/{}", hex(&sha(&l.blob))))
        .collect();
    let man = serde_json::json!([{"Config": format!("blobs/sha256/{}", hex(&sha(&cfg))), "RepoTags": ["app:2"], "Layers": names}]);
    dm.push(("manifest.json".into(), serde_json::to_vec(&man).unwrap()));
    let dp = dir.path().join("docker-oci.tar");
    write_tar(&dp, &dm);
    let t = read(&dp).unwrap();
    check_three(&t, &status, &status2);
    assert_eq!(t.target.reference, "app:2");
    assert_eq!(t.target.digest.as_deref(), Some(md.as_str()));
}

/// A layout holding a two-platform index (arm64 first) behind an outer
/// index. Returns the members and the inner index's digest.
fn multi_platform_members() -> (Members, String) {
    let a = vec![gz(layer(&[E::File("etc/arch", b"amd64")]))];
    let b = vec![gz(layer(&[E::File("etc/arch", b"arm64")]))];
    let hist: &[(&str, bool)] = &[("ADD x /", false)];
    let mut members: Members = vec![(
        "oci-layout".into(),
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    )];
    let mut descs = Vec::new();
    for (layers, arch) in [(&b, "arm64"), (&a, "amd64")] {
        let cfg = config(layers, hist);
        let man = manifest(
            &cfg,
            layers,
            serde_json::json!({"org.opencontainers.image.base.name": "docker.io/library/debian:12"}),
        );
        descs.push(serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": sha(&man), "size": man.len(), "platform": {"os": "linux", "architecture": arch}}));
        members.push((format!("blobs/sha256/{}", hex(&sha(&cfg))), cfg));
        members.push((format!("blobs/sha256/{}", hex(&sha(&man))), man));
        members.push((
            format!("blobs/sha256/{}", hex(&sha(&layers[0].blob))),
            layers[0].blob.clone(),
        ));
    }
    let inner = serde_json::to_vec(&serde_json::json!({"schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": descs}))
    .unwrap();
    let outer = serde_json::json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.index.v1+json", "digest": sha(&inner), "size": inner.len()}]});
    let inner_digest = sha(&inner);
    members.push((format!("blobs/sha256/{}", hex(&inner_digest)), inner));
    members.push(("index.json".into(), serde_json::to_vec(&outer).unwrap()));
    (members, inner_digest)
}

#[test]
fn platform_index_and_base_annotation() {
    let dir = tempfile::tempdir().unwrap();
    let (members, _) = multi_platform_members();
    write_dir(dir.path(), &members);
    let t = read(dir.path()).unwrap();
    assert_eq!(t.files.bytes("etc/arch"), Some(&b"amd64"[..]));
    assert!(
        t.target
            .reference
            .ends_with("(base docker.io/library/debian:12)")
    );
    let arm = ImageOptions {
        platform: Some("linux/arm64".into()),
        base_layers: Some(1),
        ..Default::default()
    };
    let t = read_image_with(dir.path(), &arm, &want).unwrap();
    assert_eq!(t.files.bytes("etc/arch"), Some(&b"arm64"[..]));
    assert!(t.target.layers[0].base, "--base-layers 1");
    assert_lists_both_platforms(read_image_with(dir.path(), &s390x(), &want));
}

/// Options asking for a platform [`multi_platform_members`] lacks.
fn s390x() -> ImageOptions {
    ImageOptions {
        platform: Some("linux/s390x".into()),
        ..Default::default()
    }
}

/// The error for a missing platform lists the ones there are.
fn assert_lists_both_platforms(
    r: Result<patchloop_inventory::system::image::ImageTree, ImageError>,
) {
    let e = r.unwrap_err().to_string();
    assert!(
        e.contains("linux/arm64") && e.contains("linux/amd64"),
        "{e}"
    );
}

#[test]
fn media_type_is_not_trusted() {
    // A zstd blob labelled gzip, a plain tar labelled zstd.
    let mut l0 = zst(layer(&[E::File("etc/a", b"a")]));
    l0.media = "application/vnd.oci.image.layer.v1.tar+gzip";
    let mut l1 = plain(layer(&[E::File("etc/b", b"b")]));
    l1.media = "application/vnd.oci.image.layer.v1.tar+zstd";
    let (members, _) = oci_members(
        &[l0, l1],
        &[("a", false), ("b", false)],
        serde_json::json!({}),
    );
    let dir = tempfile::tempdir().unwrap();
    write_dir(dir.path(), &members);
    let t = read(dir.path()).unwrap();
    assert_eq!(t.files.bytes("etc/a"), Some(&b"a"[..]));
    assert_eq!(t.files.bytes("etc/b"), Some(&b"b"[..]));
}

fn image_dir(layers: Vec<L>) -> (tempfile::TempDir, PathBuf) {
    let hist: Vec<(&str, bool)> = layers.iter().map(|_| ("x", false)).collect();
    let (members, _) = oci_members(&layers, &hist, serde_json::json!({}));
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("layout");
    write_dir(&p, &members);
    (dir, p)
}

#[test]
fn hostile_paths_links_and_loops() {
    let status = dpkg_status();
    let (_d, p) = image_dir(vec![plain(layer(&[
        E::File("../../etc/escape", b"no"),
        E::File("etc/../../x", b"no"),
        E::File("/etc/absolute", b"abs"),
        E::File("./etc/dot", b"dot"),
        E::Sym("etc/loop1", "loop2"),
        E::Sym("etc/loop2", "/etc/loop1"),
        E::Sym("etc/self", "self"),
        E::File("etc/self/inside", b"through a looping parent"),
        E::Sym("etc/out", "../../../../../../etc/shadow"),
        E::Hard("etc/hl-out", "../../outside"),
        E::Hard("etc/hl-missing", "nowhere/file"),
        // Link path wanted, target not: read in a second pass.
        E::File("usr/share/copy-of-status", &status),
        E::Hard("var/lib/dpkg/status", "usr/share/copy-of-status"),
        E::File("big/file", b"more than ten bytes"),
    ]))]);
    let t = read(&p).unwrap();
    let msgs: Vec<String> = t.diagnostics.iter().map(|d| d.to_string()).collect();
    let has = |s: &str| msgs.iter().any(|m| m.contains(s));
    assert!(
        has("\"../../etc/escape\" climbs out of the root"),
        "{msgs:#?}"
    );
    assert!(has("\"etc/../../x\" climbs out of the root"), "{msgs:#?}");
    assert!(
        has("hard link to \"../../outside\" points out of the root"),
        "{msgs:#?}"
    );
    assert!(
        has("etc/hl-missing: hard link to \"nowhere/file\""),
        "{msgs:#?}"
    );
    assert!(has("big/file: 19 bytes, more than the 10"), "{msgs:#?}");
    assert!(t.files.entry("etc/escape").is_none());
    assert_eq!(t.files.bytes("etc/absolute"), Some(&b"abs"[..]));
    assert_eq!(t.files.bytes("etc/dot"), Some(&b"dot"[..]));
    assert_eq!(t.files.bytes("etc/loop1"), None);
    assert_eq!(
        t.files.bytes("etc/out"),
        None,
        "clamped at the root, no such file"
    );
    assert!(t.files.entry("etc/hl-out").is_none());
    assert!(t.files.entry("etc/hl-missing").is_none());
    assert!(t.files.entry("big/file").is_none());
    assert_eq!(
        t.files.bytes("var/lib/dpkg/status"),
        Some(status.as_slice())
    );
    assert!(t.files.entry("usr/share/copy-of-status").is_none());
}

#[test]
fn symlinked_parent_directories_are_followed_inside_the_tree() {
    let (_d, p) = image_dir(vec![
        plain(layer(&[
            E::Sym("var", "/srv/var"),
            E::Sym("etc", "../../../srv/etc"),
        ])),
        gz(layer(&[
            E::File("var/lib/dpkg/status", b"through var"),
            E::File("etc/x", b"through etc"),
        ])),
    ]);
    // want() sees the placed paths: srv/... is not kept, proving placement.
    let keep_srv = |p: &str, _: u64, _: u32| {
        if p.starts_with("srv/") {
            Want::Keep { max: 100 }
        } else {
            Want::Skip
        }
    };
    let t = read_image_with(&p, &ImageOptions::default(), &keep_srv).unwrap();
    assert_eq!(
        t.files.bytes("srv/var/lib/dpkg/status"),
        Some(&b"through var"[..])
    );
    assert_eq!(t.files.bytes("srv/etc/x"), Some(&b"through etc"[..]));
    assert_eq!(
        t.files.bytes("var/lib/dpkg/status"),
        Some(&b"through var"[..])
    );
}

#[test]
fn compression_bombs_are_refused() {
    let zeros = vec![0u8; 8 << 20];
    let bomb = layer(&[E::File("data/zeros", &zeros)]);
    for l in [gz(bomb.clone()), zst(bomb.clone())] {
        let (_d, p) = image_dir(vec![l]);
        let small = ImageOptions {
            limits: ImageLimits {
                max_layer_bytes: 1 << 20,
                ..Default::default()
            },
            ..Default::default()
        };
        let e = read_image_with(&p, &small, &want).unwrap_err();
        assert!(matches!(e, ImageError::TooLarge { .. }), "{e}");
        let s = e.to_string();
        assert!(
            s.starts_with("blobs/sha256/")
                && s.contains("more than 1048576 decompressed bytes (per layer)"),
            "{s}"
        );
    }
    // The total over all layers.
    let (_d, p) = image_dir(vec![gz(bomb.clone()), gz(bomb)]);
    let total = ImageOptions {
        limits: ImageLimits {
            max_total_bytes: 12 << 20,
            ..Default::default()
        },
        ..Default::default()
    };
    let e = read_image_with(&p, &total, &want).unwrap_err().to_string();
    assert!(e.contains("(over all layers)"), "{e}");
}

#[test]
fn damaged_archives_are_refused_naming_the_member() {
    let l = gz(layer(&[E::File("etc/a", &[b'a'; 5000])]));
    let blob_name = format!("blobs/sha256/{}", hex(&sha(&l.blob)));
    let (members, _) = oci_members(&[l], &[("x", false)], serde_json::json!({}));
    let dir = tempfile::tempdir().unwrap();

    // Outer tar cut in the middle of a blob.
    let whole = dir.path().join("whole.tar");
    write_tar(&whole, &members);
    let bytes = std::fs::read(&whole).unwrap();
    let cut = dir.path().join("cut.tar");
    std::fs::write(&cut, &bytes[..bytes.len() - 1500]).unwrap();
    let e = read(&cut).unwrap_err().to_string();
    assert!(e.contains("cut.tar") && e.contains("cut short"), "{e}");

    // A layer blob changed after the manifest was written.
    let mut bad = members.clone();
    for (n, d) in bad.iter_mut() {
        if *n == blob_name {
            let last = d.len() - 9;
            d[last] ^= 0xff;
        }
    }
    let p = dir.path().join("tampered");
    write_dir(&p, &bad);
    let e = read(&p).unwrap_err();
    assert!(
        matches!(e, ImageError::Digest { .. } | ImageError::Member { .. }),
        "{e}"
    );
    assert!(e.to_string().starts_with(&blob_name), "{e}");

    // A missing blob.
    let p = dir.path().join("missing");
    let without: Members = members
        .iter()
        .filter(|(n, _)| *n != blob_name)
        .cloned()
        .collect();
    write_dir(&p, &without);
    let e = read(&p).unwrap_err().to_string();
    assert_eq!(e, format!("{blob_name}: missing from the image"));

    // Bad JSON in index.json.
    let p = dir.path().join("badjson");
    let broken: Members = members
        .iter()
        .map(|(n, d)| {
            if n == "index.json" {
                (n.clone(), b"{\"manifests\": [".to_vec())
            } else {
                (n.clone(), d.clone())
            }
        })
        .collect();
    write_dir(&p, &broken);
    let e = read(&p).unwrap_err().to_string();
    assert!(e.starts_with("index.json: bad JSON"), "{e}");

    // Not an image at all.
    let p = dir.path().join("empty");
    std::fs::create_dir(&p).unwrap();
    assert!(matches!(read(&p).unwrap_err(), ImageError::NotAnImage(_)));
}

#[test]
fn truncated_and_corrupt_layers() {
    // A gzip layer cut short, consistently described by the manifest: the
    // digest passes, decompression fails.
    let t = layer(&[E::File("etc/a", &[b'a'; 100_000])]);
    let g = gzip(&t);
    let cut = L {
        blob: g[..g.len() / 2].to_vec(),
        tar: t.clone(),
        media: "application/vnd.oci.image.layer.v1.tar+gzip",
    };
    let (_d, p) = image_dir(vec![cut]);
    let e = read(&p).unwrap_err().to_string();
    assert!(e.starts_with("blobs/sha256/"), "{e}");

    // An uncompressed layer cut inside an entry.
    let cut = plain(t[..5000].to_vec());
    let (_d, p) = image_dir(vec![cut]);
    let e = read(&p).unwrap_err().to_string();
    assert!(
        e.starts_with("blobs/sha256/") && e.contains("truncated"),
        "{e}"
    );

    // A header whose checksum is wrong.
    let mut bad = layer(&[E::File("etc/a", b"a")]);
    bad[0] ^= 1;
    let (_d, p) = image_dir(vec![plain(bad)]);
    let e = read(&p).unwrap_err().to_string();
    assert!(e.contains("bad tar header at byte 0: checksum"), "{e}");

    // diff_ids that do not match the layers.
    let l = plain(layer(&[E::File("etc/a", b"a")]));
    let mut other = plain(layer(&[E::File("etc/b", b"b")]));
    other.blob = l.blob.clone();
    let (_d, p) = image_dir(vec![other]);
    let e = read(&p).unwrap_err().to_string();
    assert!(
        e.contains("(uncompressed, config rootfs.diff_ids[0])"),
        "{e}"
    );
}

#[test]
fn long_names_through_the_tar_crate() {
    let long = format!("etc/{}/file", "d".repeat(150));
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(4);
    h.set_mode(0o644);
    b.append_data(&mut h, &long, &b"long"[..]).unwrap();
    let mut h = tar::Header::new_ustar();
    h.set_size(5);
    h.set_mode(0o644);
    let ustar = format!("etc/{}/u", "p".repeat(120));
    b.append_data(&mut h, &ustar, &b"ustar"[..]).unwrap();
    let (_d, p) = image_dir(vec![plain(b.into_inner().unwrap())]);
    let t = read(&p).unwrap();
    assert_eq!(t.files.bytes(&long), Some(&b"long"[..]));
    assert_eq!(t.files.bytes(&ustar), Some(&b"ustar"[..]));
}

#[test]
fn rootfs_walk_records_links_and_reads_wanted_files() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    std::fs::create_dir_all(r.join("etc/sub")).unwrap();
    std::fs::create_dir_all(r.join("var/lib/dpkg")).unwrap();
    std::fs::create_dir_all(r.join("usr/lib")).unwrap();
    std::fs::create_dir_all(r.join("big")).unwrap();
    let status = dpkg_status();
    std::fs::write(r.join("var/lib/dpkg/status"), &status).unwrap();
    std::fs::write(r.join("usr/lib/os-release"), OS_RELEASE).unwrap();
    std::fs::write(r.join("big/file"), b"more than ten bytes").unwrap();
    std::fs::write(r.join("etc/sub/a"), b"a").unwrap();
    std::fs::hard_link(r.join("etc/sub/a"), r.join("etc/hard")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        symlink("../usr/lib/os-release", r.join("etc/os-release")).unwrap();
        symlink("/etc/passwd", r.join("etc/passwd-out")).unwrap();
        symlink("/", r.join("etc/root")).unwrap();
        symlink("loop", r.join("etc/loop")).unwrap();
    }
    let (set, diags) = read_rootfs_with(r, &RootfsOptions::default(), &want).unwrap();
    assert_eq!(set.bytes("var/lib/dpkg/status"), Some(status.as_slice()));
    assert_eq!(set.bytes("etc/hard"), Some(&b"a"[..]));
    assert_eq!(set.bytes("etc/os-release"), Some(OS_RELEASE));
    assert!(
        matches!(set.entry("etc/passwd-out").map(|e| &e.content), Some(Content::Symlink(t)) if t == "/etc/passwd")
    );
    // The host's /etc/passwd is not read through the link: inside the tree
    // it is etc/passwd, which does not exist.
    assert_eq!(set.bytes("etc/passwd-out"), None);
    assert_eq!(set.bytes("etc/loop"), None);
    assert!(
        set.entry("etc/root/etc/sub/a").is_none(),
        "links are not walked"
    );
    assert!(set.entry("big/file").is_none());
    assert!(
        diags
            .iter()
            .any(|d| d.path.ends_with("big/file") && d.message.contains("19 bytes")),
        "{diags:?}"
    );
    assert!(set.entry("usr/lib/os-release").is_some());
}

/// Truncations and byte flips of whole archives: every outcome is `Ok` or
/// an error, never a panic (the deterministic part of the `read_image`
/// fuzz target, run in CI).
#[test]
fn mutated_archives_never_panic() {
    let status = b"Package: a\nVersion: 1\n\n".to_vec();
    let layers = three_layers(&status, &status);
    let dir = tempfile::tempdir().unwrap();
    let (members, _) = oci_members(&layers, HISTORY, serde_json::json!({}));
    let oci = dir.path().join("oci.tar");
    write_tar(&oci, &members);
    let legacy = dir.path().join("legacy.tar");
    write_tar(&legacy, &docker_members(&layers, HISTORY));
    let mutant = dir.path().join("mutant.tar");
    let mut outcomes = (0, 0);
    for src in [&oci, &legacy] {
        let bytes = std::fs::read(src).unwrap();
        let step = (bytes.len() / 97).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            std::fs::write(&mutant, &bytes[..cut]).unwrap();
            match read(&mutant) {
                Ok(_) => outcomes.0 += 1,
                Err(_) => outcomes.1 += 1,
            }
        }
        for (i, at) in (0..bytes.len()).step_by(step / 2 + 1).enumerate() {
            let mut m = bytes.clone();
            m[at] ^= 1 << (i % 8);
            std::fs::write(&mutant, &m).unwrap();
            match read(&mutant) {
                Ok(_) => outcomes.0 += 1,
                Err(_) => outcomes.1 += 1,
            }
        }
    }
    // Most cuts and flips hit checked bytes (headers, JSON, digests).
    assert!(outcomes.1 > outcomes.0, "{outcomes:?}");
}

// ---- registries (a real HTTP server on loopback, tests/support/registry.rs) ----

/// Alice's credential, `printf 'alice:s3cret' | base64`.
const ALICE: &str = "YWxpY2U6czNjcmV0";

fn from_registry(
    reference: &str,
    registry: RegistryOptions,
) -> Result<patchloop_inventory::system::image::ImageTree, ImageError> {
    let opts = ImageOptions {
        registry,
        ..Default::default()
    };
    read_registry_image_with(reference, &opts, &want)
}

#[test]
fn registry_image_reads_as_its_layout() {
    let status = dpkg_status();
    let status2 = b"Package: only\nVersion: 2\n".to_vec();
    let layers = three_layers(&status, &status2);
    let (members, md) = oci_members(&layers, HISTORY, serde_json::json!({}));
    let mut served = Served::from_members("team/app", &members, &[("1.0", &md)]);
    served.basic = Some(format!("Basic {ALICE}"));
    served.redirect_blobs = true;
    let reg = Registry::start(served);

    // Alice's credential from a Docker config file.
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("config.json");
    std::fs::write(
        &cfg,
        serde_json::json!({"auths": {reg.host(): {"auth": ALICE}}}).to_string(),
    )
    .unwrap();
    let with_config = RegistryOptions {
        docker_config: Some(cfg.clone()),
        ..Default::default()
    };
    let reference = format!("docker://{}/team/app:1.0", reg.host());
    let t = from_registry(&reference, with_config.clone()).unwrap();
    check_three(&t, &status, &status2);
    assert_eq!(t.target.digest.as_deref(), Some(md.as_str()));
    assert_eq!(t.target.reference, reference);

    // The same tree and layers as the layout on disk.
    let dir = tempfile::tempdir().unwrap();
    write_dir(dir.path(), &members);
    let l = read(dir.path()).unwrap();
    assert_eq!(t.target.layers, l.target.layers);
    let files = |t: &patchloop_inventory::system::image::ImageTree| -> Vec<(String, Option<u32>, Option<Vec<u8>>)> {
        t.files
            .iter()
            .map(|(p, e)| (p.to_string(), e.layer, t.files.bytes(p).map(<[u8]>::to_vec)))
            .collect()
    };
    assert_eq!(files(&t), files(&l));

    // Every layer and the config fetched once, through the redirect to
    // storage (which refuses any Authorization header); one token.
    for l in &layers {
        let d = sha(&l.blob);
        assert_eq!(reg.count(&format!("/v2/team/app/blobs/{d}")), 1, "{d}");
        assert_eq!(reg.count(&format!("/storage/{d}")), 1, "{d}");
    }
    assert_eq!(reg.count("/token"), 1, "{:?}", reg.requests());
    assert_eq!(
        reg.count("/v2/team/app/manifests/1.0"),
        2,
        "anonymous, then with the token"
    );

    // By digest; credentials from the explicit pair.
    let by_digest = format!("{}/team/app@{md}", reg.host());
    let explicit = RegistryOptions {
        username: Some("alice".into()),
        password: Some("s3cret".into()),
        ..Default::default()
    };
    let t = from_registry(&by_digest, explicit).unwrap();
    assert_eq!(t.target.layers, l.target.layers);

    // A wrong password, no credentials: refused, naming the reference,
    // never showing the secret.
    let wrong = RegistryOptions {
        username: Some("alice".into()),
        password: Some("hunter2".into()),
        ..Default::default()
    };
    let e = from_registry(&reference, wrong).unwrap_err().to_string();
    assert!(
        e.starts_with(&reference) && e.contains("credentials were refused"),
        "{e}"
    );
    assert!(!e.contains("hunter2"), "{e}");
    let e = from_registry(&reference, RegistryOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(&reference) && e.contains("credentials are needed"),
        "{e}"
    );
}

#[test]
fn registry_index_chooses_the_platform() {
    let (members, inner) = multi_platform_members();
    let reg = Registry::start(Served::from_members(
        "multi",
        &members,
        &[("latest", &inner)],
    ));
    // No tag: `latest`.
    let reference = format!("{}/multi", reg.host());
    let t = from_registry(&reference, RegistryOptions::default()).unwrap();
    assert_eq!(t.files.bytes("etc/arch"), Some(&b"amd64"[..]));
    let arm_layer = sha(&gz(layer(&[E::File("etc/arch", b"arm64")])).blob);
    assert_eq!(reg.count(&format!("/v2/multi/blobs/{arm_layer}")), 0);
    assert_eq!(
        t.target.reference,
        format!(
            "docker://{}/multi:latest (base docker.io/library/debian:12)",
            reg.host()
        )
    );
    let arm = ImageOptions {
        platform: Some("linux/arm64".into()),
        ..Default::default()
    };
    let t = read_registry_image_with(&reference, &arm, &want).unwrap();
    assert_eq!(t.files.bytes("etc/arch"), Some(&b"arm64"[..]));
    // Only the chosen image's layer is fetched.
    let amd = sha(&gz(layer(&[E::File("etc/arch", b"amd64")])).blob);
    let arm_layer = sha(&gz(layer(&[E::File("etc/arch", b"arm64")])).blob);
    assert_eq!(reg.count(&format!("/v2/multi/blobs/{amd}")), 1);
    assert_eq!(reg.count(&format!("/v2/multi/blobs/{arm_layer}")), 1);
    assert_lists_both_platforms(read_registry_image_with(&reference, &s390x(), &want));
}

#[test]
fn registry_asking_for_basic_and_serving_generic_content_types() {
    let (members, inner) = multi_platform_members();
    let mut served = Served::from_members("multi", &members, &[("1", &inner)]);
    served.basic = Some(format!("Basic {ALICE}"));
    served.basic_on_registry = true;
    // Manifests and indexes as plain JSON: told apart by their mediaType.
    served.content_type = Some("application/json".into());
    let reg = Registry::start(served);
    let reference = format!("{}/multi:1", reg.host());
    let alice = RegistryOptions {
        username: Some("alice".into()),
        password: Some("s3cret".into()),
        ..Default::default()
    };
    let t = from_registry(&reference, alice).unwrap();
    assert_eq!(t.files.bytes("etc/arch"), Some(&b"amd64"[..]));
    assert_eq!(reg.count("/token"), 0);
    let e = from_registry(&reference, RegistryOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("wants Basic credentials"), "{e}");
}

#[test]
fn registry_hard_link_to_an_unkept_file_fetches_its_layer_again() {
    let layers = vec![gz(layer(&[
        E::File("usr/share/status", b"Package: a\nVersion: 1\n"),
        E::Hard("etc/status", "usr/share/status"),
    ]))];
    let (members, md) = oci_members(&layers, &[("ADD x /", false)], serde_json::json!({}));
    let reg = Registry::start(Served::from_members("app", &members, &[("1", &md)]));
    let t = from_registry(&format!("{}/app:1", reg.host()), RegistryOptions::default()).unwrap();
    assert_eq!(
        t.files.bytes("etc/status"),
        Some(&b"Package: a\nVersion: 1\n"[..])
    );
    let d = sha(&layers[0].blob);
    assert_eq!(reg.count(&format!("/v2/app/blobs/{d}")), 2);
}

#[test]
fn registry_refuses_wrong_digests_and_names_what_is_missing() {
    let status = dpkg_status();
    let layers = three_layers(&status, b"Package: only\nVersion: 2\n");
    let (members, md) = oci_members(&layers, HISTORY, serde_json::json!({}));
    let served = Served::from_members("app", &members, &[("1.0", &md)]);
    let cfg_digest = sha(&config(&layers, HISTORY));

    // A layer served with one byte changed (same size): the os-release
    // text in the plain base layer.
    let l0 = sha(&layers[0].blob);
    let mut bad = layers[0].blob.clone();
    let at = bad.windows(8).position(|w| w == b"bookworm").unwrap();
    bad[at] = b'B';
    let mut s = served.clone();
    s.tamper.insert(l0.clone(), bad);
    let reg = Registry::start(s);
    match from_registry(
        &format!("{}/app:1.0", reg.host()),
        RegistryOptions::default(),
    ) {
        Err(ImageError::Digest {
            member, expected, ..
        }) => {
            assert_eq!(member, format!("blobs/sha256/{}", hex(&l0)));
            assert_eq!(expected, l0);
        }
        other => panic!("{other:?}"),
    }

    // The config.
    let mut s = served.clone();
    s.tamper
        .insert(cfg_digest.clone(), b"{\"rootfs\":{}}".to_vec());
    let reg = Registry::start(s);
    let e = from_registry(
        &format!("{}/app:1.0", reg.host()),
        RegistryOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(&e, ImageError::Digest { expected, .. } if *expected == cfg_digest),
        "{e}"
    );

    // The manifest, pulled by digest and by tag (its Docker-Content-Digest
    // header names the real digest).
    let mut s = served.clone();
    let mut m: serde_json::Value = serde_json::from_slice(
        &members
            .iter()
            .find(|(n, _)| n.ends_with(hex(&md)))
            .unwrap()
            .1,
    )
    .unwrap();
    m["annotations"] = serde_json::json!({"x": "y"});
    s.tamper.insert(md.clone(), serde_json::to_vec(&m).unwrap());
    let reg = Registry::start(s);
    for r in [
        format!("{}/app@{md}", reg.host()),
        format!("{}/app:1.0", reg.host()),
    ] {
        let e = from_registry(&r, RegistryOptions::default()).unwrap_err();
        assert!(
            matches!(&e, ImageError::Digest { expected, member, .. } if *expected == md && member.contains("/app")),
            "{e}"
        );
    }

    // An unknown tag, an unknown repository, a host nobody listens on.
    let reg = Registry::start(served);
    let e = from_registry(
        &format!("docker://{}/app:2.0", reg.host()),
        RegistryOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        e,
        format!(
            "docker://{}/app:2.0: manifest 2.0: not found (404): MANIFEST_UNKNOWN manifest unknown",
            reg.host()
        )
    );
    let e = from_registry(
        &format!("{}/nope:1.0", reg.host()),
        RegistryOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("NAME_UNKNOWN"), "{e}");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let e = from_registry(
        &format!("127.0.0.1:{port}/app:1.0"),
        RegistryOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with(&format!("docker://127.0.0.1:{port}/app:1.0: "))
            && e.contains("cannot reach"),
        "{e}"
    );
}
