//! Go, RubyGems, Packagist, Pub, Hex, SwiftURL and Conan parsers against
//! the real lockfiles in ../shared/data/lockfiles (expected values were
//! read from the files with grep/python, not copied from parser output),
//! plus written fixtures for the formats without a real file there.

use std::path::{Path, PathBuf};

use patchloop_inventory::{Format, Limits, Parsed, parse_path, parse_str};
use patchloop_model::{Ecosystem, Package, Relation, Resolution, Scope};

fn data(rel: &str) -> Option<PathBuf> {
    patchloop_testdata::shared_data(rel)
}

fn parse(path: &Path, display: &str, format: Format) -> Parsed {
    parse_path(path, display, format, Limits::default())
        .unwrap_or_else(|e| panic!("{display}: {e} (line {:?})", e.line))
}

fn by_name<'a>(p: &'a Parsed, name: &str) -> &'a Package {
    let found: Vec<_> = p
        .source
        .packages
        .iter()
        .filter(|x| x.name == name)
        .collect();
    assert_eq!(found.len(), 1, "{name}: {} entries", found.len());
    found[0]
}

fn count(p: &Parsed, f: impl Fn(&Package) -> bool) -> usize {
    p.source.packages.iter().filter(|x| f(x)).count()
}

/// Parse prefixes of the file (at many offsets, including inside
/// multi-byte characters) as bytes and as lossy text: Err or Ok, never a
/// panic.
fn truncations_never_panic(path: &Path, format: Format, steps: usize) {
    let bytes = std::fs::read(path).unwrap();
    let mut cuts: Vec<usize> = (0..=steps).map(|i| bytes.len() * i / steps).collect();
    // Just inside each of the first multi-byte characters.
    cuts.extend(
        bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b >= 0xC0)
            .take(20)
            .map(|(i, _)| i + 1),
    );
    // Around the first lines (headers, first entries).
    cuts.extend(1..200.min(bytes.len()));
    for cut in cuts {
        let part = &bytes[..cut.min(bytes.len())];
        let _ = patchloop_inventory::parse_bytes(format, "t", part);
        let lossy = String::from_utf8_lossy(part);
        let _ = parse_str(format, "t", &lossy);
    }
}

// ---------------------------------------------------------------- Go

#[test]
fn caddy_go_mod() {
    let Some(path) = data("lockfiles/Go/caddy-v2.4.0__go.mod") else {
        return;
    };
    let p = parse(&path, "go.mod", Format::GoMod);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    assert_eq!(p.source.format, "go-mod");
    assert_eq!(p.source.format_version.as_deref(), Some("1.15"));
    // 29 lines in the require block, one of them `// indirect`.
    assert_eq!(p.source.packages.len(), 29);
    assert_eq!(count(&p, |x| x.relation == Relation::Direct), 28);
    assert_eq!(count(&p, |x| x.relation == Relation::Transitive), 1);
    assert!(p.source.packages.iter().all(|x| x.scope == Scope::Runtime
        && x.ecosystem == Ecosystem::GO
        && x.resolution == Resolution::Exact));

    let chi = by_name(&p, "github.com/go-chi/chi");
    assert_eq!(chi.version, "4.1.2+incompatible");
    assert!(
        chi.purl == "pkg:golang/github.com/go-chi/chi@4.1.2+incompatible"
            || chi.purl == "pkg:golang/github.com/go-chi/chi@4.1.2%2Bincompatible",
        "{}",
        chi.purl
    );
    assert_eq!(chi.line(), Some(11));
    assert_eq!(chi.locations[0].path, "go.mod");
    assert_eq!(chi.relation, Relation::Direct);

    let s = by_name(&p, "github.com/naoina/go-stringutil");
    assert_eq!(s.version, "0.1.0");
    assert_eq!(s.purl, "pkg:golang/github.com/naoina/go-stringutil@0.1.0");
    assert_eq!(s.relation, Relation::Transitive);
    assert_eq!(s.line(), Some(18));

    // A comment that is not `indirect` keeps the requirement direct.
    let nosql = by_name(&p, "github.com/smallstep/nosql");
    assert_eq!(nosql.relation, Relation::Direct);
    assert_eq!(nosql.line(), Some(23));

    let sprig = by_name(&p, "github.com/Masterminds/sprig/v3");
    assert_eq!(sprig.version, "3.1.0");
    // The name keeps Go's case; the purl library lower-cases the golang
    // namespace.
    assert_eq!(
        sprig.purl,
        "pkg:golang/github.com/masterminds/sprig/v3@3.1.0"
    );
    // ... so the id keeps the case (module paths are case-sensitive).
    assert_eq!(sprig.id, "pkg:golang/github.com/Masterminds/sprig/v3@3.1.0");
    let crypto = by_name(&p, "golang.org/x/crypto");
    assert_eq!(crypto.version, "0.0.0-20200728195943-123391ffb6de");

    let root = &p.source.roots[0];
    assert_eq!(root.name, "github.com/caddyserver/caddy/v2");
    assert_eq!(root.dependencies.len(), 28);
    assert!(root.dependencies.contains(&chi.id));
    assert!(!root.dependencies.contains(&s.id));
    truncations_never_panic(&path, Format::GoMod, 200);
}

#[test]
fn caddy_go_sum() {
    let Some(path) = data("lockfiles/Go/caddy-v2.4.0__go.sum") else {
        return;
    };
    let p = parse(&path, "go.sum", Format::GoSum);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    // 1113 lines, 983 distinct module@version pairs; only the 130 lines
    // without `/go.mod` are modules whose content was downloaded.
    assert_eq!(p.source.packages.len(), 130);
    assert!(
        p.source
            .packages
            .iter()
            .all(|x| x.relation == Relation::Unknown
                && x.checksums.len() == 1
                && x.checksums[0].starts_with("h1:"))
    );
    assert!(p.source.roots.is_empty());

    let gcp = p
        .source
        .packages
        .iter()
        .find(|x| x.name == "cloud.google.com/go" && x.version == "0.51.0")
        .unwrap();
    assert_eq!(gcp.purl, "pkg:golang/cloud.google.com/go@0.51.0");
    assert_eq!(gcp.line(), Some(10));
    assert_eq!(
        gcp.checksums,
        vec!["h1:PvKAVQWCtlGUSlZkGW3QLelKaWq7KYv/MW1EboG8bfM=".to_string()]
    );
    // go.mod-only versions are not reported.
    assert!(
        !p.source
            .packages
            .iter()
            .any(|x| x.name == "cloud.google.com/go" && x.version == "0.26.0")
    );
    let crypto = p
        .source
        .packages
        .iter()
        .find(|x| {
            x.name == "golang.org/x/crypto" && x.version == "0.0.0-20200728195943-123391ffb6de"
        })
        .unwrap();
    assert_eq!(crypto.line(), Some(808));
    truncations_never_panic(&path, Format::GoSum, 150);
}

// ---------------------------------------------------------------- RubyGems

#[test]
fn railsgoat_gemfile_lock() {
    let Some(path) = data("lockfiles/RubyGems/railsgoat-2020-12__Gemfile.lock") else {
        return;
    };
    let p = parse(&path, "Gemfile.lock", Format::GemfileLock);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    assert_eq!(p.source.format_version.as_deref(), Some("1.17.3"));
    assert_eq!(p.source.packages.len(), 140);
    // 42 DEPENDENCIES; every other spec is reachable from them.
    assert_eq!(count(&p, |x| x.relation == Relation::Direct), 42);
    assert_eq!(count(&p, |x| x.relation == Relation::Transitive), 98);
    // No Gemfile beside it: scope cannot be known, runtime is assumed.
    assert!(p.source.packages.iter().all(|x| x.scope == Scope::Runtime));

    let rails = by_name(&p, "rails");
    assert_eq!(rails.version, "6.0.0");
    assert_eq!(rails.purl, "pkg:gem/rails@6.0.0");
    assert_eq!(rails.line(), Some(223));
    assert_eq!(rails.relation, Relation::Direct);
    assert_eq!(rails.dependencies.len(), 13); // bundler is not in the lock
    assert!(
        rails
            .dependencies
            .contains(&"pkg:gem/railties@6.0.0".to_string())
    );

    let loofah = by_name(&p, "loofah");
    assert_eq!(loofah.line(), Some(176));
    assert_eq!(loofah.relation, Relation::Transitive);
    assert_eq!(
        loofah.dependencies,
        vec![
            "pkg:gem/crass@1.0.5".to_string(),
            "pkg:gem/nokogiri@1.10.5".to_string()
        ]
    );
    let nokogiri = by_name(&p, "nokogiri");
    assert_eq!(nokogiri.line(), Some(194));
    assert_eq!(nokogiri.version, "1.10.5");
    let rr = by_name(&p, "rspec-rails");
    assert_eq!(rr.version, "4.0.0.beta3");
    assert_eq!(rr.line(), Some(273));
    let hp = by_name(&p, "http_parser.rb");
    assert_eq!(hp.purl, "pkg:gem/http_parser.rb@0.6.0");
    assert_eq!(hp.line(), Some(156));
    truncations_never_panic(&path, Format::GemfileLock, 300);
}

// ---------------------------------------------------------------- Packagist

#[test]
fn bookstack_composer_lock() {
    let Some(path) = data("lockfiles/Packagist/bookstack-v0.30.0__composer.lock") else {
        return;
    };
    let p = parse(&path, "composer.lock", Format::ComposerLock);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    assert_eq!(p.source.packages.len(), 137);
    assert_eq!(count(&p, |x| x.scope == Scope::Runtime), 86);
    assert_eq!(count(&p, |x| x.scope == Scope::Dev), 51);
    // No composer.json beside it: the 22 packages no other package
    // requires are the direct ones; the rest cannot be told apart.
    assert_eq!(count(&p, |x| x.relation == Relation::Direct), 22);
    assert_eq!(count(&p, |x| x.relation == Relation::Unknown), 115);
    // Versions lose the `v` of their tags (60 are written `v...`).
    assert!(
        p.source
            .packages
            .iter()
            .all(|x| !x.version.starts_with('v'))
    );
    assert!(p.source.packages.iter().all(|x| x.checksums.is_empty())); // shasum is ""

    let lf = by_name(&p, "laravel/framework");
    assert_eq!(lf.version, "6.18.40");
    assert_eq!(lf.purl, "pkg:composer/laravel/framework@6.18.40");
    assert_eq!(lf.line(), Some(1671));
    assert_eq!(lf.scope, Scope::Runtime);
    assert!(
        lf.dependencies
            .contains(&"pkg:composer/league/flysystem@1.0.70".to_string())
    );
    let hk = by_name(&p, "symfony/http-kernel");
    assert_eq!(hk.version, "4.4.13");
    assert_eq!(hk.line(), Some(4283));
    let fs = by_name(&p, "league/flysystem");
    assert_eq!(fs.line(), Some(1980));
    assert_eq!(fs.relation, Relation::Unknown);
    let dompdf = by_name(&p, "dompdf/dompdf");
    assert_eq!(dompdf.version, "0.8.6");
    assert_eq!(dompdf.line(), Some(731));
    let phpunit = by_name(&p, "phpunit/phpunit");
    assert_eq!(phpunit.version, "8.5.8");
    assert_eq!(phpunit.scope, Scope::Dev);
    assert_eq!(phpunit.line(), Some(7438));
    let dbg = by_name(&p, "barryvdh/laravel-debugbar");
    assert_eq!(dbg.relation, Relation::Direct);
    let psr7 = by_name(&p, "guzzlehttp/psr7");
    assert_eq!(psr7.line(), Some(1374));
    truncations_never_panic(&path, Format::ComposerLock, 150);
}

// ------------------------------------------- fixtures through the walker

const PUBSPEC_LOCK: &str = r#"# Generated by pub
# See https://dart.dev/tools/pub/glossary#lockfile
packages:
  collection:
    dependency: transitive
    description:
      name: collection
      sha256: ee67cb0715911d28db6bf4af1026078bd6f0128b07a5f66fb2ed94ec6783c09a
      url: "https://pub.dev"
    source: hosted
    version: "1.18.0"
  flutter:
    dependency: "direct main"
    description: flutter
    source: sdk
    version: "0.0.0"
  http:
    dependency: "direct main"
    description:
      name: http
      sha256: "5895291c13fa8a3bd82e76d5627f69e0d85ca6a30dcac95c4ea19a5d555879c2"
      url: "https://pub.dev"
    source: hosted
    version: "0.13.6"
  mocktail:
    dependency: "direct dev"
    description:
      name: mocktail
      sha256: "9503969a7c2c78c7292022c70c0289ed6241df7a9ba720010c0b215af29a5a58"
      url: "https://pub.dev"
    source: hosted
    version: "0.3.0"
sdks:
  dart: ">=3.0.0 <4.0.0"
  flutter: ">=3.10.0"
"#;

const MIX_LOCK: &str = r#"%{
  "jason": {:hex, :jason, "1.4.1", "af1504e35f629ddcdd6addb3513c3853991f694921b1b9368b0bd32beb9f1b63", [:mix], [{:decimal, "~> 1.0 or ~> 2.0", [hex: :decimal, repo: "hexpm", optional: true]}], "hexpm", "fbb01ecdfd565b56261302f7e1fcc27c4fb8f32d56eab74db621fc154604a7a1"},
  "plug": {:hex, :plug, "1.15.3", "712976f504418f6dff0a3e554c40d705a9bcf89a7ccef92fc6a5ef8f16a30a97", [:mix], [{:mime, "~> 1.0 or ~> 2.0", [hex: :mime, repo: "hexpm", optional: false]}, {:plug_crypto, "~> 1.1.1 or ~> 1.2 or ~> 2.0", [hex: :plug_crypto, repo: "hexpm", optional: false]}, {:telemetry, "~> 0.4.3 or ~> 1.0", [hex: :telemetry, repo: "hexpm", optional: false]}], "hexpm", "cc4365a3c010a56af402e0809208873d113e9c38c401cabd88027ef4f5c01fd2"},
  "mime": {:hex, :mime, "2.0.5", "dc34c8efd439abe6ae0343edbb8556f4d63f178594894720607772a041b04b02", [:mix], [], "hexpm", "da0d64a365c45bc9935cc5c8a7fc5e49a0e0f9932a761c6eafa0a3aa6e2a3f7d"},
  "phoenix": {:git, "https://github.com/phoenixframework/phoenix.git", "6f9ea3f4d5a8c8b5e8e8d4ec8c0f7b7f7d7c6b5a", [branch: "main"]},
}
"#;

const PACKAGE_RESOLVED: &str = r#"{
  "originHash" : "9c7f0c1b0e6e3a4bb2d8d0f1e2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5",
  "pins" : [
    {
      "identity" : "swift-log",
      "kind" : "remoteSourceControl",
      "location" : "https://github.com/apple/swift-log.git",
      "state" : {
        "revision" : "e97a6fcb1ab07462881ac165fdbb37f067e205d5",
        "version" : "1.5.4"
      }
    },
    {
      "identity" : "vapor",
      "kind" : "remoteSourceControl",
      "location" : "https://github.com/vapor/vapor.git",
      "state" : {
        "revision" : "11cdb29e66d4dc7b73bb4c8b4a5e4bd2c7f2f3a1",
        "version" : "4.92.4"
      }
    }
  ],
  "version" : 3
}
"#;

const CONAN_LOCK: &str = r#"{
    "version": "0.5",
    "requires": [
        "zlib/1.3.1#f52e03ae3d251dec704634230cd806a2%1708593606.497",
        "openssl/3.2.1#edbeabd3bfc383d2096cc6b1f1a4a0b1%1708593606.497"
    ],
    "build_requires": [
        "cmake/3.28.1#92f79424d7d6e8a2b9ff0f0f0aa2e1a4%1705403519.585"
    ],
    "python_requires": [],
    "config_requires": []
}
"#;

#[test]
fn fixtures_through_the_walker() {
    let d = tempfile::tempdir().unwrap();
    for (dir, name, text) in [
        ("dart", "pubspec.lock", PUBSPEC_LOCK),
        ("elixir", "mix.lock", MIX_LOCK),
        ("swift", "Package.resolved", PACKAGE_RESOLVED),
        ("cpp", "conan.lock", CONAN_LOCK),
    ] {
        std::fs::create_dir_all(d.path().join(dir)).unwrap();
        std::fs::write(d.path().join(dir).join(name), text).unwrap();
    }
    std::fs::write(
        d.path().join("dart/pubspec.yaml"),
        "name: my_app\nversion: 1.0.0\n",
    )
    .unwrap();
    let inv = patchloop_inventory::inventory(
        &[d.path().to_path_buf()],
        &patchloop_inventory::Options::default(),
    )
    .unwrap();
    assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
    assert_eq!(inv.sources.len(), 4);
    let src = |f: &str| inv.sources.iter().find(|s| s.format == f).unwrap();
    let pkg = |f: &str, n: &str| {
        src(f)
            .packages
            .iter()
            .find(|p| p.name == n)
            .unwrap_or_else(|| panic!("{n}"))
            .clone()
    };

    let pubs = src("pubspec-lock");
    assert_eq!(pubs.packages.len(), 4);
    assert_eq!(pubs.roots[0].name, "my_app");
    assert_eq!(pubs.roots[0].dependencies.len(), 3);
    let mock = pkg("pubspec-lock", "mocktail");
    assert_eq!((mock.scope, mock.relation), (Scope::Dev, Relation::Direct));
    assert_eq!(mock.line(), Some(25));
    assert_eq!(mock.purl, "pkg:pub/mocktail@0.3.0");
    assert_eq!(
        pkg("pubspec-lock", "collection").relation,
        Relation::Transitive
    );

    let mix = src("mix-lock");
    assert_eq!(mix.packages.len(), 4);
    let plug = pkg("mix-lock", "plug");
    assert_eq!(plug.line(), Some(3));
    assert_eq!(plug.dependencies, vec!["pkg:hex/mime@2.0.5".to_string()]);
    assert_eq!(
        plug.checksums,
        vec!["sha256:cc4365a3c010a56af402e0809208873d113e9c38c401cabd88027ef4f5c01fd2".to_string()]
    );
    assert!(matches!(
        pkg("mix-lock", "phoenix").resolution,
        Resolution::Vcs { .. }
    ));

    let sw = src("package-resolved");
    assert_eq!(sw.format_version.as_deref(), Some("3"));
    let vapor = pkg("package-resolved", "github.com/vapor/vapor");
    assert_eq!(vapor.version, "4.92.4");
    assert_eq!(vapor.purl, "pkg:swift/github.com/vapor/vapor@4.92.4");
    assert_eq!(vapor.line(), Some(14));

    let conan = src("conan-lock");
    assert_eq!(conan.packages.len(), 3);
    let cmake = pkg("conan-lock", "cmake");
    assert_eq!((cmake.scope, cmake.line()), (Scope::Build, Some(8)));
    assert_eq!(pkg("conan-lock", "openssl").purl, "pkg:conan/openssl@3.2.1");
}

#[test]
fn fixtures_truncated_never_panic() {
    for (format, text) in [
        (Format::PubspecLock, PUBSPEC_LOCK),
        (Format::MixLock, MIX_LOCK),
        (Format::PackageResolved, PACKAGE_RESOLVED),
        (Format::ConanLock, CONAN_LOCK),
    ] {
        for cut in 0..text.len() {
            if text.is_char_boundary(cut) {
                let _ = parse_str(format, "t", &text[..cut]);
            }
        }
    }
}

#[test]
fn all_misc_formats_reject_garbage() {
    for format in [
        Format::GoMod,
        Format::GemfileLock,
        Format::ComposerLock,
        Format::PubspecLock,
        Format::MixLock,
        Format::PackageResolved,
        Format::ConanLock,
    ] {
        for junk in ["\u{0}\u{1}((((", "{\"a\": [", "%{\"x\": {:hex", "é\"`"] {
            let _ = parse_str(format, "t", junk);
        }
    }
}

#[test]
fn real_files_parse_quickly() {
    let files = [
        ("lockfiles/Go/caddy-v2.4.0__go.mod", Format::GoMod),
        ("lockfiles/Go/caddy-v2.4.0__go.sum", Format::GoSum),
        (
            "lockfiles/RubyGems/railsgoat-2020-12__Gemfile.lock",
            Format::GemfileLock,
        ),
        (
            "lockfiles/Packagist/bookstack-v0.30.0__composer.lock",
            Format::ComposerLock,
        ),
    ];
    let mut paths = Vec::new();
    for (rel, f) in files {
        let Some(p) = data(rel) else { return };
        paths.push((p, f));
    }
    let start = std::time::Instant::now();
    for (p, f) in &paths {
        parse(p, "x", *f);
    }
    let took = start.elapsed();
    eprintln!("go.mod + go.sum + Gemfile.lock + composer.lock: {took:?}");
    // Generous: debug builds are ~10x slower than release.
    assert!(took < std::time::Duration::from_secs(2), "{took:?}");
}

mod fuzzish {
    use super::*;
    use proptest::prelude::*;

    /// Text made of pieces that matter to these formats, so random input
    /// reaches deep into the parsers.
    fn pieces() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            "\n",
            "  ",
            "    ",
            "      ",
            "\t",
            "(",
            ")",
            "{",
            "}",
            "[",
            "]",
            "%{",
            ",",
            ":",
            " => ",
            "\"",
            "'",
            "`",
            "//",
            "#",
            "!",
            "-",
            "/",
            "@",
            "%",
            "é",
            "require ",
            "replace ",
            "module ",
            "v1.2.3",
            " // indirect",
            "GEM\n",
            "GIT\n",
            "PATH\n",
            "  remote: .\n",
            "  specs:\n",
            "DEPENDENCIES\n",
            "CHECKSUMS\n",
            "a (1.0-x86)",
            "\"packages\": [",
            "\"name\": \"a/b\"",
            "\"version\": \"v1\"",
            "packages:\n",
            "source: sdk",
            ":hex",
            ":git",
            "\"pins\": [",
            "\"graph_lock\": {\"nodes\": {",
            "\"0\": {",
            "\"requires\": [\"1\"]",
            "\"ref\": \"z/1@u/c#r\"",
            "zlib/1.0#x%1",
        ]);
        prop::collection::vec(piece, 0..60).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn never_panics(text in pieces()) {
            for format in [
                Format::GoMod,
                Format::GoSum,
                Format::GemfileLock,
                Format::ComposerLock,
                Format::PubspecLock,
                Format::MixLock,
                Format::PackageResolved,
                Format::ConanLock,
            ] {
                let _ = parse_str(format, "t", &text);
            }
        }
    }
}
