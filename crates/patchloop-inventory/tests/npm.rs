//! The npm-family parsers on the real lockfiles of shared/data (see
//! lockfiles/SOURCES.md). Expected values were read from the files with
//! independent scripts (python json/yaml), not copied from parser output.

use std::path::PathBuf;

use patchloop_inventory::{Format, Limits, Parsed, parse_bytes, parse_path, parse_str};
use patchloop_model::{Ecosystem, Package, Relation, Resolution, Scope, purl_for};

fn data(name: &str) -> Option<PathBuf> {
    patchloop_testdata::shared_data(&format!("lockfiles/npm/{name}"))
}

fn parse(name: &str, format: Format) -> Option<Parsed> {
    let path = data(name)?;
    Some(parse_path(&path, name, format, Limits::default()).expect("real file parses"))
}

fn get<'p>(p: &'p Parsed, name: &str, version: &str) -> &'p Package {
    p.source
        .packages
        .iter()
        .find(|x| x.name == name && x.version == version)
        .unwrap_or_else(|| panic!("{name}@{version} missing"))
}

fn lines(p: &Package) -> Vec<u32> {
    p.locations.iter().filter_map(|l| l.line).collect()
}

fn count(p: &Parsed, f: impl Fn(&Package) -> bool) -> usize {
    p.source.packages.iter().filter(|x| f(x)).count()
}

#[test]
fn package_lock_v1_nodegoat() {
    let Some(p) = parse("nodegoat-2021-01__package-lock.json", Format::PackageLock) else {
        return;
    };
    let s = &p.source;
    assert_eq!(s.format, "package-lock");
    assert_eq!(s.format_version.as_deref(), Some("1"));
    // 1476 nested entries; 1089 distinct name@version (one of them grunt-if
    // from a tarball URL, without a version). `"resolved": false` entries
    // are read too.
    assert_eq!(s.packages.len(), 1089);
    let e = get(&p, "express", "4.16.4");
    assert_eq!(e.purl, "pkg:npm/express@4.16.4");
    assert_eq!(lines(e), [2148]);
    // no package.json: direct = top-level packages nothing requires (31)
    assert_eq!((e.relation, e.scope), (Relation::Direct, Scope::Runtime));
    assert_eq!(e.dependencies.len(), 30);
    // statuses is nested under express (1.4.0), the hoisted one differs
    assert!(
        e.dependencies
            .contains(&"pkg:npm/statuses@1.4.0".to_string())
    );
    assert!(
        e.dependencies
            .contains(&"pkg:npm/accepts@1.3.5".to_string())
    );
    assert_eq!(s.roots.len(), 1);
    assert_eq!(s.roots[0].name, "owasp-nodejs-goat");
    assert_eq!(s.roots[0].dependencies.len(), 31);
    assert_eq!(count(&p, |x| x.relation == Relation::Direct), 31);
    let c = get(&p, "@cypress/listr-verbose-renderer", "0.4.1");
    assert_eq!(lines(c), [7]);
    assert_eq!(c.scope, Scope::Dev);
    assert_eq!(c.checksums, ["sha1-p3SS9LEdzHxEajSz4ochr9M8ZCo="]);
    assert!(c.dependencies.contains(&"pkg:npm/chalk@1.1.3".to_string()));
    // chalk 1.1.3 is nested at 9 paths: one package, 9 locations
    let chalk = get(&p, "chalk", "1.1.3");
    assert_eq!(chalk.locations.len(), 9);
    assert_eq!(&lines(chalk)[..3], [25, 3550, 3808]);
    assert_eq!(chalk.relation, Relation::Transitive);
    let g = get(&p, "grunt-if", "");
    assert_eq!(
        g.resolution,
        Resolution::Url {
            url: "https://github.com/binarymist/grunt-if/tarball/master".into()
        }
    );
    assert_eq!(lines(g), [3532]);
}

#[test]
fn package_lock_v2_nodegoat() {
    let Some(p) = parse("nodegoat-master__package-lock.json", Format::PackageLock) else {
        return;
    };
    let s = &p.source;
    assert_eq!(s.format_version.as_deref(), Some("2"));
    // SOURCES.md: 1479 non-root `packages` entries → 1091 distinct.
    assert_eq!(s.packages.len(), 1091);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let e = get(&p, "express", "4.16.4");
    assert_eq!(lines(e), [2684]);
    assert_eq!((e.relation, e.scope), (Relation::Direct, Scope::Runtime));
    assert_eq!(e.dependencies.len(), 30);
    assert!(e.checksums[0].starts_with("sha512-j12Uuyb4FMrd/qQAm6uCHAk"));
    let c = get(&p, "@cypress/listr-verbose-renderer", "0.4.1");
    assert_eq!(lines(c), [52]);
    assert_eq!((c.relation, c.scope), (Relation::Transitive, Scope::Dev));
    assert_eq!(
        c.dependencies,
        [
            "pkg:npm/chalk@1.1.3",
            "pkg:npm/cli-cursor@1.0.2",
            "pkg:npm/date-fns@1.30.1",
            "pkg:npm/figures@1.7.0"
        ]
    );
    assert_eq!(c.purl, "pkg:npm/%40cypress/listr-verbose-renderer@0.4.1");
    let g = get(&p, "grunt-if", "0.2.0");
    assert_eq!(lines(g), [4405]);
    assert!(matches!(g.resolution, Resolution::Url { .. }));
    assert_eq!((g.relation, g.scope), (Relation::Direct, Scope::Dev));
    assert_eq!(g.dependencies.len(), 5);
    // root: 16 dependencies + 20 devDependencies
    assert_eq!(s.roots.len(), 1);
    assert_eq!(s.roots[0].dependencies.len(), 36);
    assert_eq!(count(&p, |x| x.relation == Relation::Direct), 36);
    assert_eq!(count(&p, |x| x.relation == Relation::Unknown), 0);
}

#[test]
fn package_lock_v3_jellyfin() {
    let Some(p) = parse(
        "jellyfin-web-master__package-lock.json",
        Format::PackageLock,
    ) else {
        return;
    };
    let s = &p.source;
    assert_eq!(s.format_version.as_deref(), Some("3"));
    // SOURCES.md: 1846 non-root `packages` entries → 1630 distinct.
    assert_eq!(s.packages.len(), 1630);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    // `node_modules/string-width-cjs` is an alias of string-width 4.2.3,
    // also installed as `node_modules/string-width`: one package.
    let sw = get(&p, "string-width", "4.2.3");
    assert_eq!(lines(sw), [21329, 21343]);
    assert_eq!(sw.purl, "pkg:npm/string-width@4.2.3");
    // devOptional at one path, dev at the other
    assert_eq!(sw.scope, Scope::Optional);
    assert_eq!(sw.dependencies.len(), 3);
    assert!(!s.packages.iter().any(|x| x.name == "string-width-cjs"));
    let babel = get(&p, "@babel/core", "7.29.7");
    assert_eq!(lines(babel), [367]);
    assert_eq!(babel.scope, Scope::Dev);
    assert_eq!(babel.dependencies.len(), 15);
    let debug = get(&p, "debug", "2.6.9");
    assert_eq!(debug.locations.len(), 8);
    assert_eq!(lines(debug)[0], 8353);
    let cl = get(&p, "classlist.js", "1.2.20180112");
    assert_eq!(lines(cl), [8885]);
    assert_eq!(
        cl.resolution,
        Resolution::Url {
            url: "https://github.com/eligrey/classList.js/archive/1.2.20180112.tar.gz".into()
        }
    );
    assert_eq!((cl.relation, cl.scope), (Relation::Direct, Scope::Runtime));
    // root: 60 dependencies + 70 devDependencies + 1 optionalDependencies
    assert_eq!(s.roots[0].name, "jellyfin-web");
    assert_eq!(s.roots[0].dependencies.len(), 131);
    assert_eq!(count(&p, |x| x.relation == Relation::Direct), 131);
}

#[test]
fn yarn_classic_excalidraw() {
    let Some(p) = parse("excalidraw-master__yarn.lock", Format::YarnLock) else {
        return;
    };
    let s = &p.source;
    assert_eq!(s.format, "yarn-lock");
    assert_eq!(s.format_version.as_deref(), Some("1"));
    // 1444 entries; the 3 `*-cjs@npm:*` aliases are the same name@version
    // as a regular entry (e.g. string-width 4.2.3) → 1441.
    assert_eq!(s.packages.len(), 1441);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let r = get(&p, "@ampproject/remapping", "2.3.0");
    assert_eq!(lines(r), [10]);
    assert_eq!(r.purl, "pkg:npm/%40ampproject/remapping@2.3.0");
    assert_eq!(
        r.dependencies,
        [
            "pkg:npm/%40jridgewell/gen-mapping@0.3.8",
            "pkg:npm/%40jridgewell/trace-mapping@0.3.25"
        ]
    );
    assert!(r.checksums[0].starts_with("sha512-30iZtAPgz+LTIYoeivqYo853f02"));
    // no package.json beside this copy: relations unknown, no root
    assert_eq!(r.relation, Relation::Unknown);
    assert!(s.roots.is_empty());
    let sw = get(&p, "string-width", "4.2.3");
    assert_eq!(lines(sw), [9434, 9443]);
}

#[test]
fn yarn_berry_prettier() {
    let Some(p) = parse("prettier-3.0.0__yarn.lock", Format::YarnLock) else {
        return;
    };
    let s = &p.source;
    assert_eq!(s.format_version.as_deref(), Some("6"));
    // 915 entries: 1 workspace (the root), 4 `patch:` entries that are the
    // same package as their `npm:` entry → 910.
    assert_eq!(s.packages.len(), 910);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let r = get(&p, "@ampproject/remapping", "2.2.1");
    assert_eq!(lines(r), [15]);
    assert_eq!(
        r.dependencies,
        [
            "pkg:npm/%40jridgewell/gen-mapping@0.3.3",
            "pkg:npm/%40jridgewell/trace-mapping@0.3.18"
        ]
    );
    assert!(r.checksums[0].starts_with("03c04fd526acc64a1f4df22651186f3e"));
    assert_eq!(r.relation, Relation::Transitive);
    let res = get(&p, "resolve", "1.22.3");
    assert_eq!(lines(res), [7388, 7414]);
    let ts = get(&p, "typescript", "5.1.5");
    assert_eq!(lines(ts), [8382, 8392]);
    assert_eq!(ts.relation, Relation::Direct);
    assert_eq!(s.roots.len(), 1);
    assert_eq!(s.roots[0].name, "prettier");
    assert_eq!(s.roots[0].path, None);
    assert_eq!(s.roots[0].dependencies.len(), 119);
    let acorn = get(&p, "acorn", "8.9.0");
    assert_eq!(acorn.relation, Relation::Direct);
    // remark-parse 8.0.3 asks for trim 0.0.1, overridden to 1.0.1 by the
    // project's `resolutions`: the only trim entry is used
    assert!(
        get(&p, "remark-parse", "8.0.3")
            .dependencies
            .contains(&"pkg:npm/trim@1.0.1".to_string())
    );
}

#[test]
fn pnpm_v5_vue() {
    let Some(p) = parse("vuejs-core-v3.2.47__pnpm-lock.yaml", Format::PnpmLock) else {
        return;
    };
    let s = &p.source;
    assert_eq!(s.format, "pnpm-lock");
    assert_eq!(s.format_version.as_deref(), Some("5.4"));
    // 892 keys; vite 4.0.4 has three (peer-suffixed) keys → 890.
    assert_eq!(s.packages.len(), 890);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let t = get(&p, "@babel/helper-compilation-targets", "7.16.3");
    assert_eq!(lines(t), [358]);
    assert_eq!(t.scope, Scope::Dev);
    assert_eq!(t.relation, Relation::Transitive);
    assert_eq!(t.dependencies.len(), 5);
    assert!(t.dependencies.contains(&"pkg:npm/semver@6.3.0".to_string()));
    assert!(t.checksums[0].starts_with("sha512-vKsoSQAyBmxS35JUOOt+07cLc6Nk"));
    let ew = get(&p, "estree-walker", "2.0.2");
    assert_eq!(lines(ew), [3006]);
    assert_eq!((ew.relation, ew.scope), (Relation::Direct, Scope::Runtime));
    assert_eq!(s.roots.len(), 17);
    let cc = s
        .roots
        .iter()
        .find(|r| r.path.as_deref() == Some("packages/compiler-core"))
        .unwrap();
    // @babel/parser, estree-walker, source-map + dev @babel/types; the
    // `link:../shared` workspace dependency is not a package
    assert_eq!(cc.dependencies.len(), 4);
    assert!(
        cc.dependencies
            .contains(&"pkg:npm/source-map@0.6.1".to_string())
    );
    // 65 distinct name@version among importer dependencies
    assert_eq!(count(&p, |x| x.relation == Relation::Direct), 65);
    // dev flags: 861 distinct packages only for development
    assert_eq!(count(&p, |x| x.scope == Scope::Dev), 861);
}

#[test]
fn pnpm_v9_vue() {
    let Some(p) = parse("vuejs-core-main__pnpm-lock.yaml", Format::PnpmLock) else {
        return;
    };
    let s = &p.source;
    assert_eq!(s.format_version.as_deref(), Some("9.0"));
    assert_eq!(s.packages.len(), 620);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let bp = get(&p, "@babel/parser", "7.29.8");
    assert_eq!(lines(bp), [479]);
    assert_eq!(bp.dependencies, ["pkg:npm/%40babel/types@7.29.8"]);
    assert_eq!((bp.relation, bp.scope), (Relation::Direct, Scope::Runtime));
    assert!(bp.checksums[0].starts_with("sha512-E8lTAYNB1KW+FH+VGJ"));
    let en = get(&p, "entities", "7.0.1");
    assert_eq!(lines(en), [1954]);
    assert_eq!(en.relation, Relation::Direct);
    assert_eq!(s.roots.len(), 18);
    let cc = s
        .roots
        .iter()
        .find(|r| r.path.as_deref() == Some("packages/compiler-core"))
        .unwrap();
    assert_eq!(cc.dependencies.len(), 5);
    assert_eq!(count(&p, |x| x.relation == Relation::Direct), 70);
}

/// A bun.lock as bun 1.2 writes it (none is in the corpus): JSONC with
/// trailing commas, workspaces, nested keys, git and tarball packages.
const BUN_LOCK: &str = r#"{
  "lockfileVersion": 1,
  "workspaces": {
    "": {
      "name": "web",
      "dependencies": {
        "express": "^4.18.2",
        "ui": "workspace:*",
      },
      "devDependencies": {
        "typescript": "^5.3.3",
      },
    },
    "packages/ui": {
      "name": "ui",
      "version": "1.0.0",
      "dependencies": {
        "debug": "^4.3.4",
        "left-pad": "github:stevemao/left-pad#5bc1b2e",
      },
    },
  },
  "packages": {
    "debug": ["debug@2.6.9", "", { "dependencies": { "ms": "2.0.0" } }, "sha512-bC7ElrdJaJnPbAP+1EotYvqZsb3ecl5wi6Bfi6BJTUcNowp6cvspg0jXznRTKDjm/E7AdgFBVeAPVMNcKGsHMA=="],

    "express": ["express@4.18.2", "", { "dependencies": { "debug": "2.6.9", "ms": "2.0.0" } }, "sha512-5/PsL6iGPdfQ/lKM1UuielYgv3BUoJfz1aUwU9vHZ+J7gyvwdQXFEBIEIaxeGf0GIcreATNyBExtalisDbuMqQ=="],

    "left-pad": ["left-pad@github:stevemao/left-pad#5bc1b2e", {}, "stevemao-left-pad-5bc1b2e"],

    "ms": ["ms@2.0.0", "", {}, "sha512-Tpp60P6IUJDTuOq/5Z8cdskzJujfwqfOTkrwIwj7IRISpnkJnT6SyJ4PCPnGMoFjC9ddhal5KVIYtAt97ix05A=="],

    "typescript": ["typescript@5.3.3", "", { "bin": { "tsc": "bin/tsc", "tsserver": "bin/tsserver" } }, "sha512-pXWcraxM0uxAS+tN0AG/BF2TyqmHO014Z070UsJ+pFvYuRSq8KH8DmWpnbXe0pEPDHXZV3FcAbJkijJ5oNEnWw=="],

    "ui": ["ui@workspace:packages/ui"],

    "ui/debug": ["debug@4.3.4", "", { "dependencies": { "ms": "2.1.2" } }, "sha512-PRWFHuSU3eDtQJPvnNY7Jcket1j0t5OuOsFzPPzsekD52Zl8qUfFIPEiswXqIvHWGVHOgX+7G/vCNNhehwxfkQ=="],

    "ui/ms": ["ms@2.1.2", "", {}, "sha512-sGkPx+VjMtmA6MX27oA4FBFELFCZZ4S4XqeGOXCv68tT+jb3vk/RyaKWP0PTKyWtmLSM0b+adUTEvbs1PEaH2w=="],
  }
}
"#;

#[test]
fn bun_lock_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bun.lock");
    std::fs::write(&path, BUN_LOCK).unwrap();
    assert_eq!(Format::detect("bun.lock", None), Some(Format::BunLock));
    let p = parse_path(&path, "bun.lock", Format::BunLock, Limits::default()).unwrap();
    let s = &p.source;
    assert_eq!(s.format, "bun-lock");
    assert_eq!(s.format_version.as_deref(), Some("1"));
    assert_eq!(s.packages.len(), 7);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let ex = get(&p, "express", "4.18.2");
    assert_eq!(lines(ex), [26]);
    assert_eq!((ex.relation, ex.scope), (Relation::Direct, Scope::Runtime));
    assert_eq!(ex.dependencies, ["pkg:npm/debug@2.6.9", "pkg:npm/ms@2.0.0"]);
    // ui's nested debug 4.3.4 and its nested ms 2.1.2
    let d4 = get(&p, "debug", "4.3.4");
    assert_eq!(lines(d4), [36]);
    assert_eq!(d4.dependencies, ["pkg:npm/ms@2.1.2"]);
    assert_eq!(d4.relation, Relation::Direct);
    let ts = get(&p, "typescript", "5.3.3");
    assert_eq!((ts.relation, ts.scope), (Relation::Direct, Scope::Dev));
    let lp = get(&p, "left-pad", "");
    assert_eq!(
        lp.resolution,
        Resolution::Vcs {
            url: "github:stevemao/left-pad".into(),
            rev: Some("5bc1b2e".into())
        }
    );
    assert_eq!(s.roots.len(), 2);
    assert_eq!(s.roots[0].dependencies.len(), 2);
    assert_eq!(s.roots[1].name, "ui");
    assert_eq!(
        s.roots[1].dependencies,
        ["pkg:npm/debug@4.3.4", "pkg:npm/left-pad"]
    );
}

/// Every package has the purl `purl_for` gives (the parsers build common
/// npm purls directly, for speed) and it is its id.
#[test]
fn purls_are_purl_for() {
    for (name, format) in [
        ("nodegoat-2021-01__package-lock.json", Format::PackageLock),
        ("nodegoat-master__package-lock.json", Format::PackageLock),
        (
            "jellyfin-web-master__package-lock.json",
            Format::PackageLock,
        ),
        ("excalidraw-master__yarn.lock", Format::YarnLock),
        ("prettier-3.0.0__yarn.lock", Format::YarnLock),
        ("vuejs-core-v3.2.47__pnpm-lock.yaml", Format::PnpmLock),
        ("vuejs-core-main__pnpm-lock.yaml", Format::PnpmLock),
    ] {
        let Some(p) = parse(name, format) else { return };
        for x in &p.source.packages {
            assert_eq!(x.purl, purl_for(&Ecosystem::NPM, &x.name, &x.version));
            assert_eq!(x.id, x.purl);
            assert_eq!(x.ecosystem, Ecosystem::NPM);
            assert!(
                x.locations
                    .iter()
                    .all(|l| l.path == name && l.line.is_some())
            );
        }
    }
}

/// Truncated and corrupted copies never panic (Ok or Err are both fine).
fn no_panic_on_truncation(format: Format, text: &str) {
    let bytes = text.as_bytes();
    let n = 48;
    let mut offsets: Vec<usize> = (0..=n).map(|i| i * bytes.len() / n).collect();
    offsets.extend(0..40);
    for off in offsets {
        let off = off.min(bytes.len());
        let _ = parse_bytes(format, "t", &bytes[..off]);
    }
    // A multi-byte character in the middle, cut at each of its bytes.
    let mid = text.len() / 2;
    let mut at = mid;
    while !text.is_char_boundary(at) {
        at += 1;
    }
    let mut corrupted = String::with_capacity(text.len() + 16);
    corrupted.push_str(&text[..at]);
    corrupted.push_str("é€😀");
    corrupted.push_str(&text[at..]);
    let _ = parse_str(format, "t", &corrupted);
    let cb = corrupted.as_bytes();
    for off in at..at + 10 {
        let r = parse_bytes(format, "t", &cb[..off]);
        if !corrupted.is_char_boundary(off) {
            assert!(r.is_err(), "invalid UTF-8 must be an error");
        }
    }
}

#[test]
fn truncated_real_files_do_not_panic() {
    for (name, format) in [
        ("nodegoat-2021-01__package-lock.json", Format::PackageLock),
        ("nodegoat-master__package-lock.json", Format::PackageLock),
        (
            "jellyfin-web-master__package-lock.json",
            Format::PackageLock,
        ),
        ("excalidraw-master__yarn.lock", Format::YarnLock),
        ("prettier-3.0.0__yarn.lock", Format::YarnLock),
        ("vuejs-core-v3.2.47__pnpm-lock.yaml", Format::PnpmLock),
        ("vuejs-core-main__pnpm-lock.yaml", Format::PnpmLock),
    ] {
        let Some(path) = data(name) else { return };
        let text = std::fs::read_to_string(path).unwrap();
        no_panic_on_truncation(format, &text);
    }
    no_panic_on_truncation(Format::BunLock, BUN_LOCK);
}

/// Timing of the npm corpus; run in release:
/// `cargo test --release -p patchloop-inventory --test npm -- --ignored`.
#[test]
#[ignore = "timing, meaningful in release mode only"]
fn corpus_timing() {
    let files = [
        ("nodegoat-2021-01__package-lock.json", Format::PackageLock),
        ("nodegoat-master__package-lock.json", Format::PackageLock),
        (
            "jellyfin-web-master__package-lock.json",
            Format::PackageLock,
        ),
        ("excalidraw-master__yarn.lock", Format::YarnLock),
        ("prettier-3.0.0__yarn.lock", Format::YarnLock),
        ("vuejs-core-v3.2.47__pnpm-lock.yaml", Format::PnpmLock),
        ("vuejs-core-main__pnpm-lock.yaml", Format::PnpmLock),
    ];
    let mut texts = Vec::new();
    for (name, format) in files {
        let Some(path) = data(name) else { return };
        texts.push((name, format, std::fs::read_to_string(path).unwrap()));
    }
    let mut best = std::time::Duration::MAX;
    for _ in 0..5 {
        let start = std::time::Instant::now();
        for (name, format, text) in &texts {
            let t = std::time::Instant::now();
            parse_str(*format, name, text).unwrap();
            eprintln!("{name}: {:?}", t.elapsed());
        }
        best = best.min(start.elapsed());
    }
    eprintln!("npm corpus: {best:?}");
    assert!(best < std::time::Duration::from_millis(100), "{best:?}");
}

mod fuzz_smoke {
    use super::*;
    use proptest::prelude::*;

    const HEADS: &[&str] = &[
        "",
        "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"\": {",
        "{\"lockfileVersion\": 1, \"dependencies\": {\"a\": {\"version\": \"1.0.0\", \"dependencies\": {",
        "# yarn lockfile v1\n\n\"a@^1\", a@^2:\n  version \"1.0.0\"\n  dependencies:\n    ",
        "__metadata:\n  version: 6\n\n\"a@npm:^1\":\n  resolution: \"a@npm:1.0.0\"\n  dependencies:\n    ",
        "lockfileVersion: 5.4\nimporters:\n  .:\n    dependencies:\n      a: 1.0.0\npackages:\n  /a/1.0.0",
        "lockfileVersion: '9.0'\npackages:\n  a@1.0.0:\n    resolution: {integrity: x}\nsnapshots:\n  a@1.0.0",
        "{\n  \"lockfileVersion\": 1,\n  \"workspaces\": {\"\": {\"dependencies\": {\"a\": \"1\",},},},\n  \"packages\": {\n    \"a\": [\"a@1.0.0\", \"\", {",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        /// No input makes any npm parser panic.
        #[test]
        fn parsers_never_panic(
            head in 0..HEADS.len(),
            tail in "[{}\\[\\]\":,\n @/a-z0-9.#'|&*!_()~^-]{0,160}",
        ) {
            let text = format!("{}{}", HEADS[head], tail);
            for f in [Format::PackageLock, Format::YarnLock, Format::PnpmLock, Format::BunLock] {
                let _ = parse_str(f, "x", &text);
            }
        }

        #[test]
        fn arbitrary_unicode_never_panics(text in "\\PC{0,120}") {
            for f in [Format::PackageLock, Format::YarnLock, Format::PnpmLock, Format::BunLock] {
                let _ = parse_str(f, "x", &text);
            }
        }
    }
}
