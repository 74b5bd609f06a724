//! crates.io: `Cargo.lock` (v1 to v4), enriched by the workspace's
//! `Cargo.toml` manifests when they are next to it.
//!
//! - v1: `[[package]]` entries list dependencies as `"name version
//!   (source)"`; checksums live in `[metadata]` as `"checksum name version
//!   (source)" = "hex"`.
//! - v2, v3 (`version = 3`), v4 (`version = 4`): checksums inline; a
//!   dependency is written `"name"`, or `"name version"` / `"name version
//!   (source)"` only when the name alone is ambiguous.
//!
//! Packages without `source` are the project's own crates (workspace
//! members and local path crates): they become roots, and their
//! dependencies are the direct dependencies. Cargo.lock does not record
//! whether an edge is a normal, dev or build dependency: when the
//! `Cargo.toml` of a member is found (the lockfile's directory, plus the
//! `[workspace] members` it names) the kind is read from its
//! `[dependencies]`, `[dev-dependencies]`, `[build-dependencies]` tables
//! (also under `[target.'cfg(..)'.*]`); without manifests every direct
//! dependency counts as runtime.

use std::borrow::Cow;

use crate::fxhash::{HashMap, HashSet};

use patchloop_model::{Ecosystem, Package, Resolution, Root, Scope, SourceFile};
use serde::Deserialize;
use toml::Spanned;

use crate::error::ParseError;
use crate::formats::common::{PackageSet, propagate};
use crate::input::{Input, ParseResult, Parsed};
use crate::text::LineIndex;

const CRATES_IO_GIT: &str = "registry+https://github.com/rust-lang/crates.io-index";
const CRATES_IO_SPARSE: &str = "sparse+https://index.crates.io/";

#[derive(Deserialize)]
struct TomlLock {
    version: Option<Spanned<i64>>,
    #[serde(default)]
    package: Vec<TomlPackage>,
    #[serde(default)]
    metadata: HashMap<String, toml::Value>,
}

#[derive(Deserialize)]
struct TomlPackage {
    name: Spanned<String>,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

/// The parts of a Cargo.lock patchloop uses: borrowed from the text when
/// the line scanner reads it (no allocation per string), owned when the
/// TOML parser does.
#[derive(Default)]
struct Lock<'a> {
    /// `version = N` and its line.
    version: Option<(i64, u32)>,
    package: Vec<LockPackage<'a>>,
    /// v1 `[metadata]` entries (`"checksum name version (source)"`, hash).
    metadata: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

#[derive(Default)]
struct LockPackage<'a> {
    name: Cow<'a, str>,
    /// Line of the `name = ...` key.
    line: u32,
    version: Cow<'a, str>,
    source: Option<Cow<'a, str>>,
    checksum: Option<Cow<'a, str>>,
    dependencies: Vec<Cow<'a, str>>,
}

/// Read the lockfile: a fast line scanner for the layout cargo writes,
/// falling back to the full TOML parser for anything else (hand edits,
/// escapes, unknown tables), which also produces the precise errors.
fn read_lock(text: &str) -> Result<Lock<'_>, ParseError> {
    if let Some(l) = scan_lock(text) {
        return Ok(l);
    }
    let t: TomlLock = toml::from_str(text).map_err(|e| ParseError::toml(&e, text))?;
    let lines = LineIndex::new(text);
    Ok(Lock {
        version: t
            .version
            .map(|v| (*v.get_ref(), lines.line(v.span().start))),
        package: t
            .package
            .into_iter()
            .map(|p| LockPackage {
                line: lines.line(p.name.span().start),
                name: Cow::Owned(p.name.into_inner()),
                version: Cow::Owned(p.version),
                source: p.source.map(Cow::Owned),
                checksum: p.checksum.map(Cow::Owned),
                dependencies: p.dependencies.into_iter().map(Cow::Owned).collect(),
            })
            .collect(),
        metadata: t
            .metadata
            .into_iter()
            .filter_map(|(k, v)| {
                v.as_str()
                    .map(|s| (Cow::Owned(k), Cow::Owned(s.to_string())))
            })
            .collect(),
    })
}

/// A TOML basic string without escapes: `"..."`.
fn plain_string(v: &str) -> Option<&str> {
    let inner = v.strip_prefix('"')?.strip_suffix('"')?;
    // One vectorized pass over the bytes (a byte loop was a sixth of
    // reading the file; two `contains` built a searcher each).
    if memchr::memchr2(b'"', b'\\', inner.as_bytes()).is_some() {
        return None;
    }
    Some(inner)
}

/// The cargo-written layout, line by line; `None` on anything unexpected.
fn scan_lock(text: &str) -> Option<Lock<'_>> {
    #[derive(PartialEq)]
    enum Section {
        Top,
        Package,
        Metadata,
    }
    let mut lock = Lock::default();
    let mut section = Section::Top;
    let mut cur: Option<LockPackage> = None;
    let mut in_deps = false;
    fn finish<'a>(cur: &mut Option<LockPackage<'a>>, lock: &mut Lock<'a>) -> Option<()> {
        if let Some(p) = cur.take() {
            if p.name.is_empty() || p.version.is_empty() {
                return None;
            }
            lock.package.push(p);
        }
        Some(())
    }
    // Lines split by byte search and trimmed of ASCII whitespace only
    // (TOML's own; anything else falls back to the TOML parser): the
    // `char`-decoding `lines()`/`trim_end()` were a sixth of a read.
    let mut lineno: u32 = 0;
    for raw in memchr::memchr_iter(b'\n', text.as_bytes())
        .chain(std::iter::once(text.len()))
        .scan(0usize, |start, end| {
            let line = text.get(*start..end);
            *start = end + 1;
            line
        })
    {
        let line = raw.trim_ascii_end();
        lineno = lineno.checked_add(1)?;
        if in_deps {
            let t = line.trim_ascii_start();
            if t == "]" {
                in_deps = false;
                continue;
            }
            let item = plain_string(t.strip_suffix(',').unwrap_or(t))?;
            cur.as_mut()?.dependencies.push(Cow::Borrowed(item));
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line == "[[package]]" {
            finish(&mut cur, &mut lock)?;
            cur = Some(LockPackage::default());
            section = Section::Package;
            continue;
        }
        if line == "[metadata]" {
            finish(&mut cur, &mut lock)?;
            section = Section::Metadata;
            continue;
        }
        if line.starts_with('[') {
            return None;
        }
        let (k, v) = split_key_value(line)?;
        match section {
            Section::Top => {
                if k != "version" || lock.version.is_some() {
                    return None;
                }
                lock.version = Some((v.parse().ok()?, lineno));
            }
            Section::Package => {
                let p = cur.as_mut()?;
                match k {
                    "name" if p.name.is_empty() => {
                        p.name = Cow::Borrowed(plain_string(v)?);
                        p.line = lineno;
                    }
                    "version" if p.version.is_empty() => {
                        p.version = Cow::Borrowed(plain_string(v)?)
                    }
                    "source" if p.source.is_none() => {
                        p.source = Some(Cow::Borrowed(plain_string(v)?))
                    }
                    "checksum" if p.checksum.is_none() => {
                        p.checksum = Some(Cow::Borrowed(plain_string(v)?))
                    }
                    "dependencies" if p.dependencies.is_empty() => match v {
                        "[" => in_deps = true,
                        "[]" => {}
                        _ => return None,
                    },
                    _ => return None,
                }
            }
            Section::Metadata => {
                lock.metadata.push((
                    Cow::Borrowed(plain_string(k)?),
                    Cow::Borrowed(plain_string(v)?),
                ));
            }
        }
    }
    if in_deps {
        return None;
    }
    finish(&mut cur, &mut lock)?;
    Some(lock)
}

/// `key = value` as cargo writes it. Keys are bare words, or quoted
/// strings in `[metadata]` (which may hold `=` in git source URLs).
/// Byte searches instead of `split_once(" = ")`: building a substring
/// searcher per line was a tenth of a lockfile read.
fn split_key_value(line: &str) -> Option<(&str, &str)> {
    let b = line.as_bytes();
    let from = if b.first() == Some(&b'"') {
        1 + b.get(1..)?.iter().position(|&c| c == b'"')? + 1
    } else {
        0
    };
    let eq = from + memchr::memchr(b'=', b.get(from..)?)?;
    if eq == 0 || b[eq - 1] != b' ' || b.get(eq + 1) != Some(&b' ') {
        return None;
    }
    Some((&line[..eq - 1], &line[eq + 2..]))
}

fn is_crates_io(source: &str) -> bool {
    source == CRATES_IO_GIT || source == CRATES_IO_SPARSE
}

/// One `dependencies` entry: `name`, `name version` or `name version (source)`.
fn split_dep(s: &str) -> (&str, Option<&str>, Option<&str>) {
    split_dep_cargo(s).unwrap_or_else(|| split_dep_general(s))
}

/// [`split_dep`] of an entry as cargo writes it: words separated by one
/// space, the source in parentheses. `None` for anything else. v1/v2
/// lockfiles name every dependency with its version; the general split
/// (Unicode trimming and word splitting, a substring search) was a third of
/// reading such a file.
fn split_dep_cargo(s: &str) -> Option<(&str, Option<&str>, Option<&str>)> {
    let word = |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_graphic());
    let Some(sp) = memchr::memchr(b' ', s.as_bytes()) else {
        return word(s).then_some((s, None, None));
    };
    let (name, rest) = (&s[..sp], &s[sp + 1..]);
    let (version, source) = match memchr::memchr(b' ', rest.as_bytes()) {
        None => (rest, None),
        Some(j) => {
            let tail = rest[j..].strip_prefix(" (")?.strip_suffix(')')?;
            (&rest[..j], Some(tail))
        }
    };
    (word(name) && word(version)).then_some((name, Some(version), source))
}

/// [`split_dep`] of any entry: trimmed, the source after the first ` (`
/// when the entry ends with `)`, then the first two words.
fn split_dep_general(s: &str) -> (&str, Option<&str>, Option<&str>) {
    // v3/v4 lockfiles name most dependencies alone.
    if s.bytes().all(|b| b.is_ascii_graphic()) {
        return (s, None, None);
    }
    let s = s.trim();
    let open = s.as_bytes().windows(2).position(|w| w == b" (");
    let (head, source) = match open {
        Some(i) if s.ends_with(')') => (&s[..i], Some(&s[i + 2..s.len() - 1])),
        _ => (s, None),
    };
    let mut it = head.split_whitespace();
    let name = it.next().unwrap_or("");
    (name, it.next(), source)
}

/// Parse a Cargo.lock.
pub fn parse_lock(input: &Input) -> ParseResult {
    let lock = read_lock(input.text)?;
    let mut source = SourceFile::new(input.display, "cargo-lock", Ecosystem::CRATES_IO);
    let format_version = match lock.version {
        Some((v, line)) => match v {
            3 | 4 => v.to_string(),
            n => {
                return Err(ParseError::at(
                    line,
                    format!("unsupported Cargo.lock version {n} (supported: 1 to 4)"),
                ));
            }
        },
        None if !lock.metadata.is_empty() => "1".to_string(),
        None => "2".to_string(),
    };
    source.format_version = Some(format_version.clone());
    let mut parsed = Parsed::new(source);

    // v1 checksums from [metadata].
    let mut v1_checksums: HashMap<(&str, &str), &str> = HashMap::default();
    for (k, sum) in &lock.metadata {
        if let Some(rest) = k.strip_prefix("checksum ") {
            let sum = sum.as_ref();
            let (n, ver, _) = split_dep(rest);
            if let Some(ver) = ver
                && sum != "<none>"
            {
                v1_checksums.insert((n, ver), sum);
            }
        }
    }

    // Index for resolving dependency strings.
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::default();
    for (i, p) in lock.package.iter().enumerate() {
        by_name.entry(p.name.as_ref()).or_default().push(i);
    }
    let resolve = |dep: &str| -> Option<usize> {
        let (n, ver, src) = split_dep(dep);
        let cands = by_name.get(n)?;
        if cands.len() == 1 && ver.is_none() {
            return Some(cands[0]);
        }
        cands.iter().copied().find(|&i| {
            let p = &lock.package[i];
            ver.is_none_or(|v| p.version == v) && src.is_none_or(|s| p.source.as_deref() == Some(s))
        })
    };

    let mut ids: Vec<String> = Vec::with_capacity(lock.package.len());
    let mut is_root = vec![false; lock.package.len()];
    let mut set = PackageSet::with_capacity(lock.package.len());
    for (i, p) in lock.package.iter().enumerate() {
        let name = &p.name;
        let line = p.line;
        match p.source.as_deref() {
            None => {
                is_root[i] = true;
                ids.push(String::new());
            }
            Some(src) => {
                let mut pkg = Package::new(Ecosystem::CRATES_IO, name.as_ref(), p.version.as_ref())
                    .with_location(input.display, Some(line));
                if let Some(git) = src.strip_prefix("git+") {
                    let (url, rev) = match git.rsplit_once('#') {
                        Some((u, r)) => (u, Some(r.to_string())),
                        None => (git, None),
                    };
                    pkg.resolution = Resolution::Vcs {
                        url: url.to_string(),
                        rev,
                    };
                    pkg.purl = with_qualifier(&pkg.purl, "vcs_url", &format!("git+{url}"));
                    pkg.id = pkg.purl.clone();
                } else if !is_crates_io(src) {
                    let url = src
                        .strip_prefix("registry+")
                        .or_else(|| src.strip_prefix("sparse+"))
                        .unwrap_or(src);
                    pkg.purl = with_qualifier(&pkg.purl, "repository_url", url);
                    pkg.id = pkg.purl.clone();
                }
                if let Some(c) = p.checksum.as_deref().or_else(|| {
                    v1_checksums
                        .get(&(name.as_ref(), p.version.as_ref()))
                        .copied()
                }) {
                    // Concatenated: `format!` cost five times as much,
                    // once per package.
                    let mut sum = String::with_capacity(7 + c.len());
                    sum.push_str("sha256:");
                    sum.push_str(c);
                    pkg.checksums.push(sum);
                }
                ids.push(set.insert(pkg));
            }
        }
    }

    // Edges.
    let mut root_deps: Vec<(usize, Vec<usize>)> = Vec::new();
    for (i, p) in lock.package.iter().enumerate() {
        let mut deps = Vec::with_capacity(p.dependencies.len());
        for d in &p.dependencies {
            match resolve(d) {
                Some(j) => deps.push(j),
                None => parsed.warn(
                    Some(p.line),
                    format!(
                        "{} {}: dependency `{d}` is not in the lockfile",
                        &p.name, p.version
                    ),
                ),
            }
        }
        if is_root[i] {
            root_deps.push((i, deps));
        } else {
            let dep_ids: Vec<String> = deps
                .iter()
                .filter(|&&j| !is_root[j])
                .map(|&j| ids[j].clone())
                .collect();
            if let Some(pkg) = set.get_mut(&ids[i]) {
                pkg.dependencies.extend(dep_ids);
            }
        }
    }

    // Dependency kinds from the manifests, when present.
    let kinds = manifest_kinds(input, &mut parsed);
    let mut direct: Vec<(String, Scope)> = Vec::new();
    let mut roots = Vec::new();
    for (i, deps) in &root_deps {
        let p = &lock.package[*i];
        let member_kinds = kinds.get(p.name.as_ref());
        let mut dep_ids = Vec::new();
        for &j in deps {
            if is_root[j] {
                continue;
            }
            let scope = member_kinds
                .and_then(|k| k.get(lock.package[j].name.as_ref()))
                .copied()
                .unwrap_or(Scope::Runtime);
            direct.push((ids[j].clone(), scope));
            dep_ids.push(ids[j].clone());
        }
        dep_ids.sort();
        dep_ids.dedup();
        roots.push(Root {
            name: p.name.to_string(),
            version: p.version.to_string(),
            path: None,
            dependencies: dep_ids,
        });
    }
    propagate(&mut set, &direct);
    parsed.source.roots = roots;
    parsed.source.packages = set.into_sorted();
    Ok(parsed)
}

fn with_qualifier(purl: &str, key: &str, value: &str) -> String {
    let enc: String = value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~/:".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("{purl}?{key}={enc}")
}

/// member crate name → (dependency crate name → most demanding kind).
type Kinds = HashMap<String, HashMap<String, Scope>>;

/// Read `Cargo.toml` next to the lockfile and the workspace members it
/// lists; problems are warnings (the lockfile alone is still reported).
fn manifest_kinds(input: &Input, parsed: &mut Parsed) -> Kinds {
    let mut kinds = Kinds::default();
    let root = match input.read_related("Cargo.toml") {
        Ok(Some((_, text))) => text,
        Ok(None) => return kinds,
        Err(e) => {
            parsed.warn(None, format!("Cargo.toml: {}", e.message));
            return kinds;
        }
    };
    let mut todo: Vec<(String, String)> = vec![("Cargo.toml".to_string(), root)];
    let mut seen = HashSet::default();
    seen.insert("Cargo.toml".to_string());
    let mut first = true;
    while let Some((rel, text)) = todo.pop() {
        let doc: toml::Table = match toml::from_str(&text) {
            Ok(d) => d,
            Err(e) => {
                let err = ParseError::toml(&e, &text);
                parsed.warn(None, format!("{rel}: {}", err.message));
                continue;
            }
        };
        if first {
            first = false;
            let members = doc
                .get("workspace")
                .and_then(|w| w.get("members"))
                .and_then(|m| m.as_array());
            for m in members.into_iter().flatten().filter_map(|m| m.as_str()) {
                for dir in expand_member(input, m) {
                    let path = format!("{dir}/Cargo.toml");
                    if !seen.insert(path.clone()) {
                        continue;
                    }
                    match input.read_related(&path) {
                        Ok(Some((_, t))) => todo.push((path, t)),
                        Ok(None) => {}
                        Err(e) => parsed.warn(None, format!("{path}: {}", e.message)),
                    }
                }
            }
        }
        let Some(name) = doc
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str())
        else {
            continue;
        };
        let entry = kinds.entry(name.to_string()).or_default();
        let mut add_tables = |t: &toml::Table| {
            for (table, scope) in [
                ("dependencies", Scope::Runtime),
                ("build-dependencies", Scope::Build),
                ("build_dependencies", Scope::Build),
                ("dev-dependencies", Scope::Dev),
                ("dev_dependencies", Scope::Dev),
            ] {
                let Some(deps) = t.get(table).and_then(|d| d.as_table()) else {
                    continue;
                };
                for (key, spec) in deps {
                    let real = spec
                        .get("package")
                        .and_then(|p| p.as_str())
                        .unwrap_or(key)
                        .to_string();
                    let e = entry.entry(real).or_insert(scope);
                    *e = e.merge(scope);
                }
            }
        };
        add_tables(&doc);
        if let Some(targets) = doc.get("target").and_then(|t| t.as_table()) {
            for t in targets.values().filter_map(|t| t.as_table()) {
                add_tables(t);
            }
        }
    }
    kinds
}

/// Expand a workspace member pattern (`crates/*`, `tools/cli`) into member
/// directories relative to the lockfile.
fn expand_member(input: &Input, pattern: &str) -> Vec<String> {
    let pattern = pattern.trim_end_matches('/');
    let Some(star) = pattern.find('*') else {
        return vec![pattern.to_string()];
    };
    let Some(dir) = input.dir() else {
        return Vec::new();
    };
    // Only a trailing `prefix/*` style glob is expanded (what workspaces use).
    let (parent, tail) = match pattern[..star].rfind('/') {
        Some(i) => (&pattern[..i], &pattern[i + 1..]),
        None => ("", pattern),
    };
    let Ok(glob) = globset::Glob::new(tail) else {
        return Vec::new();
    };
    let m = glob.compile_matcher();
    let mut out = Vec::new();
    let base = if parent.is_empty() {
        dir.to_path_buf()
    } else {
        dir.join(parent)
    };
    if let Ok(rd) = std::fs::read_dir(&base) {
        for e in rd.flatten().take(10_000) {
            let name = e.file_name().to_string_lossy().into_owned();
            if e.path().is_dir() && m.is_match(&name) {
                out.push(if parent.is_empty() {
                    name
                } else {
                    format!("{parent}/{name}")
                });
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn split_dep_fast_path_agrees_with_the_general_split() {
        let cases = [
            "serde",
            "serde 1.0.130",
            "serde 1.0.130 (registry+https://github.com/rust-lang/crates.io-index)",
            "foo 0.1.0 (git+https://example.com/a b?rev=1#abc)",
            "foo 0.1.0 (git+https://example.com/x (y))",
            " serde 1.0",
            "serde  1.0",
            "serde 1.0 ",
            "serde 1.0 extra",
            "serde 1.0 (src",
            "serde 1.0 src)",
            "serde\t1.0",
            "sérde 1.0",
            "serde 1.0 (a) (b)",
            "",
            " ",
            "a b c (d)",
        ];
        let mut all: Vec<String> = cases.iter().map(|s| s.to_string()).collect();
        // Every dependency string of the real lockfiles (../shared/data).
        let dir = patchloop_testdata::shared_data("lockfiles/crates.io");
        for e in dir.iter().flat_map(|d| std::fs::read_dir(d).unwrap()) {
            let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
            for l in text.lines() {
                if let Some(d) = l.strip_prefix(" \"").and_then(|d| d.strip_suffix("\",")) {
                    all.push(d.to_string());
                }
                if let Some(k) = l
                    .strip_prefix("\"checksum ")
                    .and_then(|k| k.split('"').next())
                {
                    all.push(k.to_string());
                }
            }
        }
        for s in &all {
            if let Some(fast) = super::split_dep_cargo(s) {
                assert_eq!(fast, super::split_dep_general(s), "{s:?}");
            }
            assert_eq!(super::split_dep(s), super::split_dep_general(s), "{s:?}");
        }
        assert!(dir.is_none() || all.len() > 3000, "{} entries", all.len());
    }

    use super::*;
    use crate::formats::Format;
    use crate::parse_str;
    use patchloop_model::Relation;

    const V3: &str = r#"# This file is automatically @generated by Cargo.
version = 3

[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "serde",
 "syn 2.0.0",
 "util",
]

[[package]]
name = "serde"
version = "1.0.100"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "abcd"
dependencies = [
 "syn 1.0.0",
]

[[package]]
name = "syn"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "syn"
version = "2.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "util"
version = "0.1.0"
source = "git+https://github.com/x/util?branch=main#0123abc"
"#;

    #[test]
    fn v3_roots_edges_and_git() {
        let p = parse_str(Format::CargoLock, "Cargo.lock", V3).unwrap();
        let s = &p.source;
        assert_eq!(s.format_version.as_deref(), Some("3"));
        assert_eq!(s.roots.len(), 1);
        assert_eq!(s.roots[0].name, "app");
        assert_eq!(s.packages.len(), 4);
        let serde = s.packages.iter().find(|p| p.name == "serde").unwrap();
        assert_eq!(serde.purl, "pkg:cargo/serde@1.0.100");
        assert_eq!(serde.line(), Some(14));
        assert_eq!(serde.relation, Relation::Direct);
        assert_eq!(serde.dependencies, vec!["pkg:cargo/syn@1.0.0".to_string()]);
        assert_eq!(serde.checksums, vec!["sha256:abcd".to_string()]);
        let syn1 = s
            .packages
            .iter()
            .find(|p| p.version == "1.0.0" && p.name == "syn")
            .unwrap();
        assert_eq!(syn1.relation, Relation::Transitive);
        let util = s.packages.iter().find(|p| p.name == "util").unwrap();
        assert!(matches!(&util.resolution, Resolution::Vcs { rev: Some(r), .. } if r == "0123abc"));
        assert!(util.purl.contains("vcs_url="));
    }

    #[test]
    fn v1_metadata_checksums() {
        let t = r#"[[package]]
name = "a"
version = "0.1.0"
dependencies = [
 "libc 0.2.51 (registry+https://github.com/rust-lang/crates.io-index)",
]

[[package]]
name = "libc"
version = "0.2.51"
source = "registry+https://github.com/rust-lang/crates.io-index"

[metadata]
"checksum libc 0.2.51 (registry+https://github.com/rust-lang/crates.io-index)" = "ff"
"#;
        let p = parse_str(Format::CargoLock, "Cargo.lock", t).unwrap();
        assert_eq!(p.source.format_version.as_deref(), Some("1"));
        assert_eq!(
            p.source.packages[0].checksums,
            vec!["sha256:ff".to_string()]
        );
        assert_eq!(p.source.packages[0].relation, Relation::Direct);
    }

    /// The fast scanner reads every real lockfile and agrees with the TOML
    /// parser on all of it; a hand-edited layout falls back to TOML.
    #[test]
    fn scanner_agrees_with_toml() {
        let Some(dir) = patchloop_testdata::shared_data("lockfiles/crates.io") else {
            return;
        };
        for p in patchloop_testdata::files_under(&dir) {
            let text = std::fs::read_to_string(&p).unwrap();
            let fast = scan_lock(&text).expect("real lockfile takes the fast path");
            let t: TomlLock = toml::from_str(&text).unwrap();
            let lines = LineIndex::new(&text);
            assert_eq!(fast.package.len(), t.package.len());
            for (a, b) in fast.package.iter().zip(&t.package) {
                assert_eq!(a.name, *b.name.get_ref());
                assert_eq!(a.line, lines.line(b.name.span().start));
                assert_eq!(a.version, b.version);
                assert_eq!(a.source.as_deref(), b.source.as_deref());
                assert_eq!(a.checksum.as_deref(), b.checksum.as_deref());
                let deps: Vec<&str> = a.dependencies.iter().map(|d| d.as_ref()).collect();
                assert_eq!(deps, b.dependencies);
            }
            assert_eq!(fast.metadata.len(), t.metadata.len());
            assert_eq!(fast.version.map(|v| v.0), t.version.map(|v| *v.get_ref()));
        }
        // Escapes, inline tables and unknown sections take the TOML path.
        for odd in [
            "[[package]]\nname = \"a\\u0062\"\nversion = \"1\"\n",
            "[[package]]\nname = \"a\"\nversion = \"1\"\n[[patch.unused]]\nname = \"b\"\nversion = \"2\"\n",
            "[[package]]\nname='a'\nversion='1'\n",
        ] {
            assert!(scan_lock(odd).is_none(), "{odd}");
            assert!(read_lock(odd).is_ok(), "{odd}");
        }
        let l = read_lock("[[package]]\nname = \"a\\u0062\"\nversion = \"1\"\n").unwrap();
        assert_eq!(l.package[0].name, "ab");
    }

    #[test]
    fn bad_input_is_an_error_with_line() {
        let e = parse_str(
            Format::CargoLock,
            "Cargo.lock",
            "[[package]]\nname = \"a\"\nversion = ",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(3));
        let e = parse_str(Format::CargoLock, "Cargo.lock", "version = 9\n").unwrap_err();
        assert!(e.message.contains("unsupported"), "{}", e.message);
        let e = parse_str(
            Format::CargoLock,
            "Cargo.lock",
            "[[package]]\nversion = \"1\"\n",
        )
        .unwrap_err();
        assert!(e.message.contains("name"), "{}", e.message);
    }

    #[test]
    fn missing_dependency_is_a_warning() {
        let t = "version = 3\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\ndependencies = [\"ghost\"]\n";
        let p = parse_str(Format::CargoLock, "Cargo.lock", t).unwrap();
        assert_eq!(p.warnings.len(), 1);
        assert!(p.warnings[0].message.contains("ghost"));
    }

    #[test]
    fn manifests_mark_dev_and_build() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("Cargo.toml"),
            "[workspace]\nmembers = [\"crates/*\"]\n",
        )
        .unwrap();
        std::fs::create_dir_all(d.path().join("crates/app")).unwrap();
        std::fs::create_dir_all(d.path().join("crates/tool")).unwrap();
        std::fs::write(
            d.path().join("crates/app/Cargo.toml"),
            "[package]\nname = \"app\"\n[dependencies]\nserde = \"1\"\n[dev-dependencies]\nproptest = \"1\"\n[target.'cfg(unix)'.build-dependencies]\ncc = \"1\"\n",
        )
        .unwrap();
        std::fs::write(
            d.path().join("crates/tool/Cargo.toml"),
            "[package]\nname = \"tool\"\n[dependencies]\nmyserde = { package = \"serde\", version = \"1\" }\n",
        )
        .unwrap();
        let lock = r#"version = 4
[[package]]
name = "app"
version = "0.1.0"
dependencies = ["serde", "proptest", "cc"]
[[package]]
name = "tool"
version = "0.1.0"
dependencies = ["serde"]
[[package]]
name = "serde"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
[[package]]
name = "proptest"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["regex"]
[[package]]
name = "regex"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
[[package]]
name = "cc"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;
        let path = d.path().join("Cargo.lock");
        std::fs::write(&path, lock).unwrap();
        let p =
            crate::parse_path(&path, "Cargo.lock", Format::CargoLock, Default::default()).unwrap();
        let get = |n: &str| p.source.packages.iter().find(|p| p.name == n).unwrap();
        assert_eq!(get("serde").scope, Scope::Runtime);
        assert_eq!(get("proptest").scope, Scope::Dev);
        assert_eq!(get("regex").scope, Scope::Dev);
        assert_eq!(get("regex").relation, Relation::Transitive);
        assert_eq!(get("cc").scope, Scope::Build);
        assert_eq!(p.source.roots.len(), 2);
    }
}
