//! Image plans from a real scan: distroless-style dpkg `status.d` files
//! in base and application layers, matched in the real store against
//! Debian records, then planned.

use patchloop_feeds::{ImportOptions, NoProgress, OpenMode, SqliteStore, import_paths};
use patchloop_inventory::system::{self, Content, FileSet};
use patchloop_match::{ScanOptions, scan};
use patchloop_model::{DatabaseInfo, Inventory, Layer, Target, TargetKind};
use patchloop_remedy::image_plan::{PackageManager, image_plan, render_markdown, render_text};
use patchloop_risk::Policy;
use serde_json::json;

fn record(id: &str, name: &str, fixed: Option<&str>) -> serde_json::Value {
    let mut events = vec![json!({"introduced": "0"})];
    if let Some(f) = fixed {
        events.push(json!({"fixed": f}));
    }
    json!({
        "id": id,
        "modified": "2024-11-01T00:00:00Z",
        "upstream": [format!("CVE-{}", id.rsplit_once("CVE-").map(|x| x.1).unwrap_or("2024-0000"))],
        "affected": [{
            "package": {"ecosystem": "Debian:12", "name": name, "purl": format!("pkg:deb/debian/{name}?arch=source")},
            "ranges": [{"type": "ECOSYSTEM", "events": events}],
        }],
    })
}

fn layer(index: u32, base: bool, created_by: &str) -> Layer {
    Layer {
        index,
        digest: format!("sha256:{index:064x}"),
        diff_id: String::new(),
        size: 1000,
        created_by: Some(created_by.into()),
        base,
    }
}

#[test]
fn upgrades_and_base_image_bump() {
    let d = tempfile::tempdir().unwrap();
    let osv = d.path().join("osv");
    std::fs::create_dir(&osv).unwrap();
    for r in [
        record("DEBIAN-CVE-2024-5535", "openssl", Some("3.0.14-1~deb12u2")),
        record("DEBIAN-CVE-2024-2398", "curl", Some("7.88.1-10+deb12u6")),
        record("DEBIAN-CVE-2024-7264", "curl", Some("7.88.1-10+deb12u7")),
        record("DEBIAN-CVE-2024-11053", "curl", None),
        record(
            "DEBIAN-CVE-2024-28085",
            "util-linux",
            Some("2.38.1-5+deb12u4"),
        ),
    ] {
        let id = r["id"].as_str().unwrap().to_string();
        std::fs::write(osv.join(format!("{id}.json")), r.to_string()).unwrap();
    }
    let mut store = SqliteStore::open(&d.path().join("s.db"), OpenMode::ReadWrite).unwrap();
    import_paths(&mut store, &[osv], &ImportOptions::default(), &NoProgress).unwrap();

    let mut set = FileSet::new();
    let mut put = |path: &str, layer: u32, text: &str| {
        set.insert(path, Some(layer), Content::Bytes(text.as_bytes().to_vec()));
    };
    put(
        "etc/os-release",
        0,
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n",
    );
    put(
        "var/lib/dpkg/status.d/libssl3",
        0,
        "Package: libssl3\nVersion: 3.0.14-1~deb12u1\nArchitecture: amd64\nSource: openssl\n",
    );
    put(
        "var/lib/dpkg/status.d/bsdutils",
        1,
        "Package: bsdutils\nVersion: 1:2.38.1-5+deb12u3\nArchitecture: amd64\nSource: util-linux (2.38.1-5+deb12u3)\n",
    );
    put(
        "var/lib/dpkg/status.d/libcurl4",
        2,
        "Package: libcurl4\nVersion: 7.88.1-10+deb12u5\nArchitecture: amd64\nSource: curl\n",
    );
    let a = system::analyze(&set, "app.tar!");
    assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
    let inv = Inventory {
        sources: a.sources,
        diagnostics: vec![],
        target: Some(Target {
            kind: TargetKind::Image,
            reference: "registry.example/app:1.4".into(),
            digest: None,
            os: a.os,
            layers: vec![
                layer(0, true, "ADD rootfs.tar.xz / # buildkit"),
                layer(1, true, "COPY status.d/bsdutils /var/lib/dpkg/status.d/"),
                layer(2, false, "RUN apt-get install -y libcurl4"),
            ],
        }),
    };
    let report = scan(
        &inv,
        &store,
        &Policy::default(),
        DatabaseInfo::default(),
        &ScanOptions::default(),
    )
    .unwrap();
    assert_eq!(report.findings.len(), 5, "{:#?}", report.findings);

    let p = image_plan(&report, &inv).unwrap();
    assert_eq!(p.package_manager, Some(PackageManager::Apt));
    type Row<'a> = (&'a str, &'a str, &'a str, bool, Option<u32>, bool, usize);
    let ups: Vec<Row> = p
        .upgrades
        .iter()
        .map(|u| {
            (
                u.package.as_str(),
                u.from.as_str(),
                u.to.as_str(),
                u.pinned,
                u.layer,
                u.base,
                u.fixes.len(),
            )
        })
        .collect();
    assert_eq!(
        ups,
        [
            (
                "bsdutils",
                "1:2.38.1-5+deb12u3",
                "1:2.38.1-5+deb12u4",
                true,
                Some(1),
                true,
                1
            ),
            // The highest of curl's two fixes.
            (
                "libcurl4",
                "7.88.1-10+deb12u5",
                "7.88.1-10+deb12u7",
                true,
                Some(2),
                false,
                2
            ),
            (
                "libssl3",
                "3.0.14-1~deb12u1",
                "3.0.14-1~deb12u2",
                true,
                Some(0),
                true,
                1
            ),
        ]
    );
    assert_eq!(
        p.command.as_deref(),
        Some(
            "apt-get update && apt-get install -y --only-upgrade bsdutils=1:2.38.1-5+deb12u4 \
             libcurl4=7.88.1-10+deb12u7 libssl3=3.0.14-1~deb12u2"
        )
    );
    let b = p.base_image.as_ref().unwrap();
    let layers: Vec<(u32, &[String])> = b
        .layers
        .iter()
        .map(|l| (l.index, l.packages.as_slice()))
        .collect();
    assert_eq!(
        layers,
        [
            (0, &["libssl3 3.0.14-1~deb12u1".to_string()][..]),
            (1, &["bsdutils 1:2.38.1-5+deb12u3".to_string()][..]),
        ]
    );
    assert_eq!(p.unfixed.len(), 1);
    assert_eq!(p.unfixed[0].id, "DEBIAN-CVE-2024-11053");
    assert_eq!(p.unfixed[0].release, "Debian:12");

    let text = render_text(&p);
    assert!(
        text.contains("no fix in Debian:12 yet: DEBIAN-CVE-2024-11053 in curl"),
        "{text}"
    );
    let md = render_markdown(&p, &|s: &str| s.replace('|', "\\|"));
    assert!(
        md.contains("| libssl3 | 3.0.14-1~deb12u1 | 3.0.14-1~deb12u2 | 0 (base) |"),
        "{md}"
    );
}
