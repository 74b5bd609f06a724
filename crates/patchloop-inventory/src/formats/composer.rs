//! Composer: `composer.lock` (`packages` = runtime, `packages-dev` = dev),
//! with direct dependencies from a sibling `composer.json` when present.
//!
//! Versions are stored without the leading `v` of tags (`v4.4.13` →
//! `4.4.13`), the way Packagist advisories (GHSA/OSV) write them.

use crate::fxhash::{HashMap, HashSet};
use std::borrow::Cow;

use serde::Deserialize;
use serde::de::IgnoredAny;

use patchloop_model::{Ecosystem, Package, Relation, Resolution, Root, Scope, SourceFile};

use crate::error::ParseError;
use crate::formats::common::PackageSet;
use crate::input::{Input, ParseResult, Parsed};

#[derive(Deserialize)]
struct Lock<'a> {
    #[serde(borrow, default)]
    packages: Option<Vec<LockPackage<'a>>>,
    #[serde(borrow, default, rename = "packages-dev")]
    packages_dev: Option<Vec<LockPackage<'a>>>,
}

#[derive(Deserialize)]
struct LockPackage<'a> {
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    source: Option<Origin<'a>>,
    #[serde(borrow, default)]
    dist: Option<Origin<'a>>,
    #[serde(borrow, default)]
    require: Option<HashMap<Cow<'a, str>, IgnoredAny>>,
    #[serde(borrow, default)]
    provide: Option<HashMap<Cow<'a, str>, IgnoredAny>>,
    #[serde(borrow, default)]
    replace: Option<HashMap<Cow<'a, str>, IgnoredAny>>,
}

#[derive(Deserialize)]
struct Origin<'a> {
    #[serde(borrow, default, rename = "type")]
    ty: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    url: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    reference: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    shasum: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Manifest<'a> {
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    require: Option<HashMap<Cow<'a, str>, IgnoredAny>>,
    #[serde(borrow, default, rename = "require-dev")]
    require_dev: Option<HashMap<Cow<'a, str>, IgnoredAny>>,
}

/// Platform requirements (PHP itself, extensions, system libraries,
/// Composer APIs): not packages.
pub fn is_platform(name: &str) -> bool {
    matches!(
        name,
        "php" | "php-64bit" | "php-ipv6" | "php-zts" | "php-debug" | "hhvm" | "composer"
    ) || name.starts_with("ext-")
        || name.starts_with("lib-")
        || name.starts_with("composer-")
}

/// `v1.2.3` → `1.2.3` (only before a digit, so `dev-main` stays).
pub fn normalize_version(v: &str) -> &str {
    match v.strip_prefix(['v', 'V']) {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest,
        _ => v,
    }
}

/// A branch version (`dev-main`, `2.x-dev`): not a release.
fn is_branch_version(v: &str) -> bool {
    v.starts_with("dev-") || v.ends_with("-dev")
}

/// Parse a `composer.lock`.
pub fn parse(input: &Input) -> ParseResult {
    let mut parsed = Parsed::new(SourceFile::new(
        input.display,
        "composer-lock",
        Ecosystem::PACKAGIST,
    ));
    if !input.text.trim_start().starts_with('{') {
        return Err(ParseError::new(
            "not a composer.lock: expected a JSON object",
        ));
    }
    let lock: Lock = serde_json::from_str(input.text).map_err(|e| ParseError::json(&e))?;
    if lock.packages.is_none() && lock.packages_dev.is_none() {
        return Err(ParseError::new(
            "not a composer.lock: no `packages` or `packages-dev`",
        ));
    }
    let lines_of = |section: &str| array_item_lines(input.text, &[section], Some("name"));
    let sections = [
        (
            lock.packages.unwrap_or_default(),
            Scope::Runtime,
            lines_of("packages"),
        ),
        (
            lock.packages_dev.unwrap_or_default(),
            Scope::Dev,
            lines_of("packages-dev"),
        ),
    ];

    let mut set = PackageSet::new();
    let mut id_of: HashMap<String, String> = HashMap::default();
    let mut provided_by: HashMap<String, Vec<String>> = HashMap::default();
    let mut requires: Vec<(String, Vec<String>)> = Vec::new();
    for (packages, scope, lines) in &sections {
        for (i, lp) in packages.iter().enumerate() {
            let line = lines.get(i).copied();
            let (Some(name), Some(version)) = (lp.name.as_deref(), lp.version.as_deref()) else {
                parsed.warn(line, "package without name or version; skipped");
                continue;
            };
            let name = name.to_ascii_lowercase();
            let version = normalize_version(version);
            let mut p = Package::new(Ecosystem::PACKAGIST, name.clone(), version)
                .with_scope(*scope)
                .with_location(input.display, line);
            let dist_ty = lp.dist.as_ref().and_then(|d| d.ty.as_deref());
            if dist_ty == Some("path") {
                p.resolution = Resolution::Path {
                    path: lp
                        .dist
                        .as_ref()
                        .and_then(|d| d.url.as_deref())
                        .unwrap_or_default()
                        .to_string(),
                };
            } else if is_branch_version(version) {
                p.resolution = match (&lp.source, &lp.dist) {
                    (Some(s), _) if s.url.is_some() => Resolution::Vcs {
                        url: s.url.as_deref().unwrap_or_default().to_string(),
                        rev: s.reference.as_deref().map(str::to_string),
                    },
                    (_, Some(d)) if d.url.is_some() => Resolution::Url {
                        url: d.url.as_deref().unwrap_or_default().to_string(),
                    },
                    _ => Resolution::Requirement {
                        spec: version.to_string(),
                    },
                };
            }
            if let Some(sum) = lp.dist.as_ref().and_then(|d| d.shasum.as_deref())
                && !sum.is_empty()
            {
                p.checksums.push(format!("sha1:{sum}"));
            }
            let id = set.insert(p);
            id_of.insert(name, id.clone());
            for m in [&lp.provide, &lp.replace].into_iter().flatten() {
                for k in m.keys() {
                    provided_by
                        .entry(k.to_ascii_lowercase())
                        .or_default()
                        .push(id.clone());
                }
            }
            let reqs = lp
                .require
                .iter()
                .flat_map(|m| m.keys())
                .map(|k| k.to_ascii_lowercase())
                .filter(|k| !is_platform(k))
                .collect();
            requires.push((id, reqs));
        }
    }
    // Resolve a required name to the package(s) installing it: the package
    // itself, else those that provide or replace it.
    let resolve = |name: &str| -> Vec<String> {
        match id_of.get(name) {
            Some(id) => vec![id.clone()],
            None => provided_by.get(name).cloned().unwrap_or_default(),
        }
    };
    let mut required: HashSet<String> = HashSet::default();
    for (id, reqs) in &requires {
        let deps: Vec<String> = reqs.iter().flat_map(|r| resolve(r)).collect();
        required.extend(deps.iter().filter(|d| *d != id).cloned());
        if let Some(p) = set.get_mut(id) {
            p.dependencies = deps;
        }
    }

    match read_manifest(input, &mut parsed) {
        Some((root_name, root_version, runtime, dev)) => {
            let mut direct: Vec<String> = Vec::new();
            for n in runtime.iter().chain(dev.iter()) {
                direct.extend(resolve(n));
            }
            direct.sort();
            direct.dedup();
            let direct_set: HashSet<&str> = direct.iter().map(String::as_str).collect();
            for p in set.iter_mut() {
                p.relation = if direct_set.contains(p.id.as_str()) {
                    Relation::Direct
                } else {
                    Relation::Transitive
                };
            }
            parsed.source.roots.push(Root {
                name: root_name,
                version: root_version,
                path: None,
                dependencies: direct,
            });
        }
        None => {
            // Without the manifest: a package no other package requires
            // can only be there because the project requires it.
            for p in set.iter_mut() {
                if !required.contains(&p.id) {
                    p.relation = Relation::Direct;
                }
            }
        }
    }
    parsed.source.packages = set.into_sorted();
    Ok(parsed)
}

/// (root name, version, require names, require-dev names) of the sibling
/// composer.json.
type ManifestInfo = (String, String, Vec<String>, Vec<String>);

fn read_manifest(input: &Input, parsed: &mut Parsed) -> Option<ManifestInfo> {
    let (_, text) = match input.read_related("composer.json") {
        Ok(Some(x)) => x,
        Ok(None) => return None,
        Err(e) => {
            parsed.warn(None, format!("composer.json not read: {e}"));
            return None;
        }
    };
    let m: Manifest = match serde_json::from_str(&text) {
        Ok(m) => m,
        Err(e) => {
            parsed.warn(
                None,
                format!("composer.json not read (line {}): {e}", e.line()),
            );
            return None;
        }
    };
    let names = |m: &Option<HashMap<Cow<str>, IgnoredAny>>| -> Vec<String> {
        let mut v: Vec<String> = m
            .iter()
            .flat_map(|m| m.keys())
            .map(|k| k.to_ascii_lowercase())
            .filter(|k| !is_platform(k))
            .collect();
        v.sort();
        v
    };
    let name = m
        .name
        .as_deref()
        .map(str::to_string)
        .or_else(|| {
            input
                .dir()
                .and_then(|d| d.file_name())
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "composer.json".to_string());
    Some((
        name,
        m.version.as_deref().unwrap_or_default().to_string(),
        names(&m.require),
        names(&m.require_dev),
    ))
}

/// Where JSON values are, found by one scan of the text (serde does not
/// report positions): see [`array_item_lines`] and [`object_key_lines`].
struct JsonScan {
    /// Lines of the items of the target array (or of the target key
    /// inside each item), in order.
    items: Vec<u32>,
    /// Keys of the target object with their lines.
    keys: Vec<(String, u32)>,
}

enum Frame {
    Obj { key: Option<String>, want_key: bool },
    Arr { index: usize },
}

/// Most nesting followed; deeper content is skipped over.
const MAX_DEPTH: usize = 128;

/// Scan `text` for the container at `path` (object keys from the root).
/// When that container is an array, record per item the line of the item
/// or, for object items, of their `item_key`; when it is an object,
/// record its keys.
fn json_scan(text: &str, path: &[&str], item_key: Option<&str>) -> JsonScan {
    let b = text.as_bytes();
    let mut out = JsonScan {
        items: Vec::new(),
        keys: Vec::new(),
    };
    let mut frames: Vec<Frame> = Vec::new();
    let mut line: u32 = 1;
    let mut i = 0;
    let n = path.len();
    // Are frames[..n] objects whose current keys spell `path`?
    let at_path = |frames: &[Frame]| -> bool {
        frames.len() > n
            && frames[..n].iter().zip(path).all(|(f, p)| match f {
                Frame::Obj { key: Some(k), .. } => k == p,
                _ => false,
            })
    };
    // Value about to start at the current position: an array item?
    let value_start = |frames: &[Frame], out: &mut JsonScan, line: u32| {
        if frames.len() == n + 1
            && let Some(Frame::Arr { index }) = frames.last()
            && at_path(frames)
            && out.items.len() == *index
        {
            out.items.push(line);
        }
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => line = line.saturating_add(1),
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && b[j] != b'"' {
                    if b[j] == b'\\' {
                        j += 1;
                    } else if b[j] == b'\n' {
                        line = line.saturating_add(1);
                    }
                    j += 1;
                }
                let s = text.get(start..j.min(b.len())).unwrap_or("");
                let is_key = matches!(frames.last(), Some(Frame::Obj { want_key: true, .. }));
                if is_key {
                    if frames.len() == n + 1 && at_path(&frames) {
                        out.keys.push((s.to_string(), line));
                    }
                    if let Some(key) = item_key
                        && s == key
                        && frames.len() == n + 2
                        && at_path(&frames)
                        && let Some(Frame::Arr { index }) = frames.get(n)
                        && let Some(slot) = out.items.get_mut(*index)
                    {
                        *slot = line;
                    }
                    if let Some(Frame::Obj { key, want_key }) = frames.last_mut() {
                        *key = Some(s.to_string());
                        *want_key = false;
                    }
                } else {
                    value_start(&frames, &mut out, line);
                }
                i = j;
            }
            b'{' | b'[' => {
                value_start(&frames, &mut out, line);
                if frames.len() >= MAX_DEPTH {
                    break;
                }
                frames.push(if c == b'{' {
                    Frame::Obj {
                        key: None,
                        want_key: true,
                    }
                } else {
                    Frame::Arr { index: 0 }
                });
            }
            b'}' | b']' => {
                frames.pop();
            }
            b',' => match frames.last_mut() {
                Some(Frame::Arr { index }) => *index += 1,
                Some(Frame::Obj { want_key, .. }) => *want_key = true,
                None => {}
            },
            b' ' | b'\t' | b'\r' | b':' => {}
            _ => {
                // A number, true, false or null starts here.
                value_start(&frames, &mut out, line);
                while i + 1 < b.len() && !matches!(b[i + 1], b',' | b']' | b'}' | b'\n' | b' ') {
                    i += 1;
                }
            }
        }
        i += 1;
    }
    out
}

/// For the array at `path` (object keys from the root, e.g. `["packages"]`),
/// the 1-based line of each item, or of its `key` when the item is an
/// object that has it.
pub(crate) fn array_item_lines(text: &str, path: &[&str], key: Option<&str>) -> Vec<u32> {
    json_scan(text, path, key).items
}

/// For the object at `path`, its keys (as written, escapes kept) and
/// their lines.
pub(crate) fn object_key_lines(text: &str, path: &[&str]) -> Vec<(String, u32)> {
    json_scan(text, path, None).keys
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"{
    "_readme": ["x"],
    "content-hash": "abc",
    "packages": [
        {
            "name": "guzzlehttp/guzzle",
            "version": "6.5.5",
            "source": {"type": "git", "url": "https://github.com/guzzle/guzzle.git", "reference": "9d4290de"},
            "dist": {"type": "zip", "url": "https://api.github.com/x", "reference": "9d4290de", "shasum": "0123abcd"},
            "require": {"ext-json": "*", "guzzlehttp/psr7": "^1.6.1", "php": ">=5.5", "psr/http-message-implementation": "1.0"},
            "extra": {"thanks": {"name": "guzzlehttp/psr7", "url": "x"}}
        },
        {
            "name": "Guzzlehttp/PSR7",
            "version": "1.7.0",
            "provide": {"psr/http-message-implementation": "1.0"},
            "authors": [{"name": "Michael"}]
        },
        {
            "name": "acme/branchy",
            "version": "dev-main",
            "source": {"type": "git", "url": "https://github.com/acme/branchy.git", "reference": "deadbeef"}
        },
        {
            "name": "acme/local",
            "version": "dev-main",
            "dist": {"type": "path", "url": "../local", "reference": "x"}
        },
        {"version": "1.0"}
    ],
    "packages-dev": [
        {
            "name": "symfony/console",
            "version": "v4.4.13",
            "require": {"php": ">=7.1.3", "symfony/polyfill-mbstring": "~1.0"}
        },
        {
            "name": "symfony/polyfill-mbstring",
            "version": "v1.18.1"
        }
    ],
    "aliases": [],
    "platform": {"php": "^7.2"}
}"#;

    fn find<'a>(p: &'a Parsed, name: &str) -> &'a Package {
        p.source.packages.iter().find(|x| x.name == name).unwrap()
    }

    #[test]
    fn lock_without_manifest() {
        let p = parse(&Input::new("composer.lock", LOCK)).unwrap();
        assert_eq!(p.source.packages.len(), 6);
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, Some(29));
        let g = find(&p, "guzzlehttp/guzzle");
        assert_eq!(g.version, "6.5.5");
        assert_eq!(g.purl, "pkg:composer/guzzlehttp/guzzle@6.5.5");
        assert_eq!(g.line(), Some(6));
        assert_eq!(g.scope, Scope::Runtime);
        assert_eq!(g.relation, Relation::Direct);
        assert_eq!(g.checksums, vec!["sha1:0123abcd".to_string()]);
        assert_eq!(
            g.dependencies,
            vec!["pkg:composer/guzzlehttp/psr7@1.7.0".to_string()]
        );
        let psr = find(&p, "guzzlehttp/psr7");
        assert_eq!(psr.line(), Some(14));
        assert_eq!(psr.relation, Relation::Unknown);
        let b = find(&p, "acme/branchy");
        assert_eq!(b.version, "dev-main");
        assert_eq!(
            b.resolution,
            Resolution::Vcs {
                url: "https://github.com/acme/branchy.git".into(),
                rev: Some("deadbeef".into())
            }
        );
        let l = find(&p, "acme/local");
        assert_eq!(
            l.resolution,
            Resolution::Path {
                path: "../local".into()
            }
        );
        let c = find(&p, "symfony/console");
        assert_eq!(c.version, "4.4.13");
        assert_eq!(c.purl, "pkg:composer/symfony/console@4.4.13");
        assert_eq!(c.scope, Scope::Dev);
        assert_eq!(c.line(), Some(33));
        let m = find(&p, "symfony/polyfill-mbstring");
        assert_eq!(m.version, "1.18.1");
        assert_eq!(m.line(), Some(38));
        assert_eq!(m.relation, Relation::Unknown);
    }

    #[test]
    fn lock_with_manifest() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("composer.lock"), LOCK).unwrap();
        std::fs::write(
            d.path().join("composer.json"),
            r#"{"name": "acme/app", "require": {"php": "^7.2", "guzzlehttp/guzzle": "^6.5", "acme/local": "*"},
               "require-dev": {"symfony/console": "^4.4"}}"#,
        )
        .unwrap();
        let p = crate::parse_path(
            &d.path().join("composer.lock"),
            "composer.lock",
            crate::Format::ComposerLock,
            Default::default(),
        )
        .unwrap();
        assert_eq!(find(&p, "guzzlehttp/guzzle").relation, Relation::Direct);
        assert_eq!(find(&p, "guzzlehttp/psr7").relation, Relation::Transitive);
        assert_eq!(find(&p, "acme/branchy").relation, Relation::Transitive);
        assert_eq!(find(&p, "symfony/console").relation, Relation::Direct);
        let root = &p.source.roots[0];
        assert_eq!(root.name, "acme/app");
        assert_eq!(root.dependencies.len(), 3);
    }

    #[test]
    fn versions_and_platform() {
        assert_eq!(normalize_version("v1.2.3"), "1.2.3");
        assert_eq!(normalize_version("V2"), "2");
        assert_eq!(normalize_version("dev-master"), "dev-master");
        assert_eq!(normalize_version("v"), "v");
        assert_eq!(normalize_version("vfoo"), "vfoo");
        assert!(is_platform("ext-json"));
        assert!(is_platform("composer-plugin-api"));
        assert!(!is_platform("composer/composer"));
    }

    #[test]
    fn scan_positions() {
        let t = "{\"a\": {\"b\": [1, \"x\\\"]\",\n {\"k\": 1,\n \"name\": \"n\"}, [2]]},\n \"c\": {\"d\": 1,\n\"e\": {}}}";
        assert_eq!(
            array_item_lines(t, &["a", "b"], Some("name")),
            vec![1, 1, 3, 3]
        );
        assert_eq!(
            object_key_lines(t, &["c"]),
            vec![("d".to_string(), 4), ("e".to_string(), 5)]
        );
        // Truncated / hostile text never panics.
        for t in ["{\"a\": [", "\"", "[[[[", "{\"a\":\"\\", "{\"é\": [\"\\é"] {
            let _ = array_item_lines(t, &["a"], Some("x"));
        }
        let deep = "[".repeat(10_000);
        let _ = array_item_lines(&deep, &["a"], None);
    }

    #[test]
    fn bad_input() {
        let e = parse(&Input::new(
            "composer.lock",
            "{\n\"packages\": [\n{\"name\": 1}]}",
        ))
        .unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(parse(&Input::new("composer.lock", "{\"packages\": [")).is_err());
        assert!(parse(&Input::new("composer.lock", "[]")).is_err());
        assert!(parse(&Input::new("composer.lock", "{}")).is_err());
        let p = parse(&Input::new(
            "composer.lock",
            "{\"packages\": [], \"packages-dev\": null}",
        ))
        .unwrap();
        assert!(p.source.packages.is_empty());
    }
}
