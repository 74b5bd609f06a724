//! `yarn.lock`: classic (v1, yarn's own line format) and berry (v2+,
//! YAML with `__metadata`). See docs/formats/npm.md.

use crate::fxhash::{HashMap, HashSet};
use std::borrow::Cow;

use patchloop_model::{Ecosystem, Resolution, Root, Scope, SourceFile};

use super::shared::{
    Manifest, OptionalEdges, apply_graph, classify_source, npm_alias, npm_package, read_manifest,
    split_ident,
};
use super::yaml::{self, Y};
use crate::error::ParseError;
use crate::formats::common::PackageSet;
use crate::input::{Input, ParseResult, Parsed};

/// Most workspace `package.json` files read for berry scopes.
const MAX_WORKSPACE_MANIFESTS: usize = 32;

pub fn parse(input: &Input) -> ParseResult {
    // Berry writes `__metadata:` right after its two comment lines.
    let berry = input.text.lines().take(16).any(|l| l == "__metadata:");
    if berry {
        parse_berry(input)
    } else {
        parse_classic(input)
    }
}

// ------------------------------------------------------------ classic v1

#[derive(Default)]
struct ClassicEntry<'a> {
    line: u32,
    descriptors: Vec<Cow<'a, str>>,
    version: Option<Cow<'a, str>>,
    resolved: Option<Cow<'a, str>>,
    integrity: Option<Cow<'a, str>>,
    deps: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    optional_deps: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

/// A possibly quoted token at the start of `s`: (value, rest).
fn token(s: &str) -> Option<(Cow<'_, str>, &str)> {
    if s.starts_with('"') {
        let b = s.as_bytes();
        let mut j = 1;
        let mut escaped = false;
        while j < b.len() {
            match b[j] {
                b'\\' => {
                    escaped = true;
                    j += 2;
                }
                b'"' => break,
                _ => j += 1,
            }
        }
        if j >= b.len() {
            return None;
        }
        let raw = s.get(..=j)?;
        let rest = s.get(j + 1..)?;
        let v = if escaped {
            Cow::Owned(serde_json::from_str::<String>(raw).ok()?)
        } else {
            Cow::Borrowed(raw.get(1..raw.len() - 1)?)
        };
        Some((v, rest))
    } else {
        let end = s.find([' ', ',']).unwrap_or(s.len());
        let (v, rest) = s.split_at(end);
        let v = v.strip_suffix(':').unwrap_or(v);
        Some((Cow::Borrowed(v), rest))
    }
}

/// `"a@^1", a@^2:` → the descriptors.
fn header_descriptors(h: &str) -> Option<Vec<Cow<'_, str>>> {
    let mut rest = h.strip_suffix(':')?;
    let mut out = Vec::new();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let (t, r) = token(rest)?;
        if t.is_empty() {
            return None;
        }
        out.push(t);
        rest = r.trim_start();
        match rest.strip_prefix(',') {
            Some(r) => rest = r,
            None if rest.is_empty() => break,
            None => return None,
        }
    }
    (!out.is_empty()).then_some(out)
}

/// `key value` or `key:` of an indented line.
fn field(s: &str) -> Option<(Cow<'_, str>, Option<Cow<'_, str>>)> {
    let (k, rest) = token(s)?;
    let rest = rest.trim_start();
    let rest = rest.strip_prefix(':').map(str::trim_start).unwrap_or(rest);
    if rest.is_empty() {
        return Some((k, None));
    }
    let (v, tail) = token(rest)?;
    if !tail.trim().is_empty() {
        return None;
    }
    Some((k, Some(v)))
}

fn classic_entries(text: &str) -> Result<Vec<ClassicEntry<'_>>, ParseError> {
    let mut entries: Vec<ClassicEntry> = Vec::new();
    #[derive(PartialEq)]
    enum Block {
        None,
        Deps,
        OptionalDeps,
        Other,
    }
    let mut block = Block::None;
    for (i, raw) in text.split('\n').enumerate() {
        let no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let body = line.trim_start_matches(' ');
        let indent = line.len() - body.len();
        let body = body.trim_end();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        if indent == 0 {
            let descriptors = header_descriptors(body).ok_or_else(|| {
                ParseError::at(
                    no,
                    format!("expected an entry header `name@range:`, found `{body}`"),
                )
            })?;
            entries.push(ClassicEntry {
                line: no,
                descriptors,
                ..ClassicEntry::default()
            });
            block = Block::None;
            continue;
        }
        let Some(entry) = entries.last_mut() else {
            return Err(ParseError::at(no, "indented line before the first entry"));
        };
        let (k, v) =
            field(body).ok_or_else(|| ParseError::at(no, format!("cannot read `{body}`")))?;
        match (indent, v) {
            (2, None) => {
                block = match k.as_ref() {
                    "dependencies" => Block::Deps,
                    "optionalDependencies" => Block::OptionalDeps,
                    _ => Block::Other,
                };
            }
            (2, Some(v)) => {
                block = Block::None;
                match k.as_ref() {
                    "version" => entry.version = Some(v),
                    "resolved" => entry.resolved = Some(v),
                    "integrity" => entry.integrity = Some(v),
                    _ => {}
                }
            }
            (4, Some(v)) if block != Block::None => match block {
                Block::Deps => entry.deps.push((k, v)),
                Block::OptionalDeps => entry.optional_deps.push((k, v)),
                _ => {}
            },
            (n, _) if n > 2 && block == Block::Other => {}
            _ => {
                return Err(ParseError::at(
                    no,
                    format!("unexpected indentation in `{body}`"),
                ));
            }
        }
    }
    Ok(entries)
}

/// Name, version and source of an entry from its first descriptor and
/// its fields.
fn classic_identity<'e>(e: &'e ClassicEntry) -> Option<(&'e str, &'e str, Option<Resolution>)> {
    let (name, range) = split_ident(e.descriptors.first()?)?;
    let (name, range) = npm_alias(range).unwrap_or((name, range));
    let version = e.version.as_deref().unwrap_or("");
    let from_range = classify_source(range);
    let from_resolved = e.resolved.as_deref().and_then(classify_source);
    let resolution = match (from_range, from_resolved) {
        (Some(r @ Resolution::Path { .. }), _) => Some(r),
        (_, Some(r)) => Some(r),
        (r, None) => r,
    };
    Some((name, version, resolution))
}

fn parse_classic(input: &Input) -> ParseResult {
    let entries = classic_entries(input.text)?;
    let mut source = SourceFile::new(input.display, "yarn-lock", Ecosystem::NPM);
    source.format_version = Some("1".to_string());
    let mut parsed = Parsed::new(source);
    let mut set = PackageSet::new();
    // Descriptor (`name@range`) and name → index in `ids`.
    let mut by_descriptor: HashMap<&str, usize> = HashMap::default();
    let mut by_name: HashMap<&str, Option<usize>> = HashMap::default();
    let mut ids: Vec<Option<String>> = Vec::with_capacity(entries.len());
    for e in &entries {
        let Some((name, version, resolution)) = classic_identity(e) else {
            parsed.warn(Some(e.line), "entry header has no `name@range`: skipped");
            ids.push(None);
            continue;
        };
        if version.is_empty() && resolution.is_none() {
            parsed.warn(Some(e.line), format!("`{name}` has no version: skipped"));
            ids.push(None);
            continue;
        }
        let mut p = npm_package(
            name,
            version,
            resolution,
            input,
            Some(e.line),
            Scope::Runtime,
        );
        if let Some(i) = &e.integrity {
            p.checksums.push(i.to_string());
        }
        let idx = ids.len();
        ids.push(Some(set.insert(p)));
        for d in &e.descriptors {
            by_descriptor.insert(d, idx);
            if let Some((n, _)) = split_ident(d) {
                by_name
                    .entry(n)
                    .and_modify(|x| {
                        if *x != Some(idx) {
                            *x = None;
                        }
                    })
                    .or_insert(Some(idx));
            }
        }
    }
    // A dependency whose descriptor is not in the file was redirected (a
    // `resolutions` override); when only one entry has that name, it is it.
    let mut key = String::new();
    let mut find = |n: &str, r: &str| -> Option<usize> {
        key.clear();
        key.push_str(n);
        key.push('@');
        key.push_str(r);
        by_descriptor
            .get(key.as_str())
            .copied()
            .or_else(|| by_name.get(n).copied().flatten())
    };
    let mut optional_edges = OptionalEdges::default();
    let mut unresolved = 0usize;
    for (e, id) in entries.iter().zip(&ids) {
        let Some(id) = id else { continue };
        let mut deps = Vec::new();
        for (list, optional) in [(&e.deps, false), (&e.optional_deps, true)] {
            for (n, r) in list {
                match find(n, r).and_then(|i| ids.get(i)?.as_ref()) {
                    Some(d) => {
                        if optional {
                            optional_edges
                                .entry(id.clone())
                                .or_default()
                                .insert(d.clone());
                        }
                        deps.push(d.clone());
                    }
                    None => unresolved += usize::from(!optional),
                }
            }
        }
        if let Some(p) = set.get_mut(id) {
            p.dependencies.extend(deps);
        }
    }
    if unresolved > 0 {
        parsed.warn(
            None,
            format!("{unresolved} dependencies have no entry in the lockfile"),
        );
    }
    if let Some(m) = read_manifest(input, "package.json", &mut parsed) {
        let mut root = Root {
            name: m.name.clone().unwrap_or_default(),
            version: m.version.clone().unwrap_or_default(),
            path: None,
            dependencies: Vec::new(),
        };
        let mut direct = Vec::new();
        for (n, spec, scope) in &m.deps {
            if let Some(id) = find(n, spec).and_then(|i| ids.get(i)?.as_ref()) {
                direct.push((id.clone(), *scope));
                root.dependencies.push(id.clone());
            }
        }
        root.dependencies.sort();
        root.dependencies.dedup();
        apply_graph(&mut set, &direct, &optional_edges, true);
        parsed.source.roots.push(root);
    }
    parsed.source.packages = set.into_sorted();
    Ok(parsed)
}

// ----------------------------------------------------------------- berry

/// Percent-decoding as berry writes nested references (`npm%3A1.0.0`).
fn percent_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(h) = b.get(i + 1..i + 3)
            && let Ok(hex) = std::str::from_utf8(h)
            && let Ok(v) = u8::from_str_radix(hex, 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(_) => Cow::Borrowed(s),
    }
}

/// What a berry locator (`name@reference`) is.
#[derive(Debug, PartialEq)]
enum Locator {
    Package {
        name: String,
        version: String,
        resolution: Option<Resolution>,
    },
    Workspace {
        name: String,
        path: String,
    },
}

/// Read a locator; `version_field` is the entry's `version` (the version
/// of non-registry packages). Patches are unwrapped to what they patch.
fn locator(resolution: &str, version_field: Option<&str>, depth: usize) -> Option<Locator> {
    let (name, reference) = split_ident(resolution)?;
    let version_field = version_field
        .filter(|v| *v != "0.0.0-use.local")
        .unwrap_or("");
    let pkg = |version: &str, resolution: Option<Resolution>| Locator::Package {
        name: name.to_string(),
        version: version.to_string(),
        resolution,
    };
    if let Some(v) = reference.strip_prefix("npm:") {
        // `npm:1.2.3`; an alias resolution names the real package itself.
        if let Some((real, rv)) = split_ident(v) {
            return Some(Locator::Package {
                name: real.to_string(),
                version: rv.to_string(),
                resolution: None,
            });
        }
        return Some(pkg(v, None));
    }
    if let Some(path) = reference.strip_prefix("workspace:") {
        return Some(Locator::Workspace {
            name: name.to_string(),
            path: path.to_string(),
        });
    }
    if let Some(inner) = reference.strip_prefix("patch:") {
        if depth > 4 {
            return None;
        }
        let inner = inner.split('#').next().unwrap_or(inner);
        let inner = percent_decode(inner);
        return locator(&inner, Some(version_field), depth + 1);
    }
    for p in ["link:", "portal:", "file:", "exec:"] {
        if let Some(path) = reference.strip_prefix(p) {
            let path = path.split("::").next().unwrap_or(path);
            return Some(pkg(
                version_field,
                Some(Resolution::Path {
                    path: path.to_string(),
                }),
            ));
        }
    }
    match classify_source(reference) {
        Some(r) => Some(pkg(version_field, Some(r))),
        None if reference.is_empty() => None,
        None => Some(pkg(
            version_field,
            Some(Resolution::Url {
                url: reference.to_string(),
            }),
        )),
    }
}

/// Dependency names and ranges of an entry's map field.
fn dep_list<'y>(v: &'y Y) -> Vec<(&'y str, &'y str)> {
    v.entries()
        .iter()
        .filter_map(|(k, _, v)| v.as_str().map(|r| (k.as_ref(), r)))
        .collect()
}

fn parse_berry(input: &Input) -> ParseResult {
    let doc = yaml::parse(input.text)?;
    if !doc.is_map() {
        return Err(ParseError::new("yarn.lock: expected a mapping of entries"));
    }
    let mut source = SourceFile::new(input.display, "yarn-lock", Ecosystem::NPM);
    source.format_version = doc
        .get("__metadata")
        .and_then(|m| m.str("version"))
        .map(str::to_string);
    let mut parsed = Parsed::new(source);
    let mut set = PackageSet::new();

    enum Node {
        Package(String),
        Workspace,
    }
    struct Ws<'y> {
        name: String,
        path: String,
        line: u32,
        entry: &'y Y<'y>,
    }
    let mut nodes: Vec<(Node, &Y)> = Vec::new();
    let mut workspaces: Vec<Ws> = Vec::new();
    let mut by_descriptor: HashMap<&str, usize> = HashMap::default();
    let mut by_name: HashMap<&str, Option<usize>> = HashMap::default();
    for (key, line, value) in doc.entries() {
        if key == "__metadata" {
            continue;
        }
        let line = (*line > 0).then_some(*line);
        if !value.is_map() {
            parsed.warn(line, format!("entry `{key}` is not a mapping: skipped"));
            continue;
        }
        let Some(res) = value.str("resolution") else {
            parsed.warn(line, format!("entry `{key}` has no `resolution`: skipped"));
            continue;
        };
        let node = match locator(res, value.str("version"), 0) {
            Some(Locator::Package {
                name,
                version,
                resolution,
            }) => {
                if version.is_empty() && resolution.is_none() {
                    parsed.warn(line, format!("`{res}` has no version: skipped"));
                    continue;
                }
                let mut p = npm_package(&name, &version, resolution, input, line, Scope::Runtime);
                if let Some(c) = value.str("checksum") {
                    p.checksums.push(c.to_string());
                }
                Node::Package(set.insert(p))
            }
            Some(Locator::Workspace { name, path }) => {
                workspaces.push(Ws {
                    name,
                    path,
                    line: line.unwrap_or(0),
                    entry: value,
                });
                Node::Workspace
            }
            None => {
                parsed.warn(line, format!("cannot read resolution `{res}`: skipped"));
                continue;
            }
        };
        nodes.push((node, value));
        let idx = nodes.len() - 1;
        for d in key.split(',') {
            let d = d.trim();
            by_descriptor.insert(d, idx);
            if let Some((n, _)) = split_ident(d) {
                by_name
                    .entry(n)
                    .and_modify(|x| {
                        if *x != Some(idx) {
                            *x = None;
                        }
                    })
                    .or_insert(Some(idx));
            }
        }
    }
    // As in classic: an overridden (`resolutions`) descriptor is not in the
    // file; the only entry of that name is what it resolved to.
    let find = |name: &str, range: &str| -> Option<usize> {
        by_descriptor
            .get(format!("{name}@{range}").as_str())
            .or_else(|| by_descriptor.get(format!("{name}@npm:{range}").as_str()))
            .copied()
            .or_else(|| by_name.get(name).copied().flatten())
    };
    // Names `dependenciesMeta` marks `optional: true`.
    let optional_names = |entry: &'_ Y<'_>| -> HashSet<String> {
        entry
            .get("dependenciesMeta")
            .map(Y::entries)
            .unwrap_or_default()
            .iter()
            .filter(|(_, _, m)| m.flag("optional") == Some(true))
            .map(|(k, _, _)| k.to_string())
            .collect()
    };

    // Edges between packages.
    let mut optional_edges = OptionalEdges::default();
    let mut unresolved = 0usize;
    for (node, entry) in &nodes {
        let Node::Package(id) = node else { continue };
        let mut deps = Vec::new();
        let optional = optional_names(entry);
        for (name, range) in entry.get("dependencies").map(dep_list).unwrap_or_default() {
            match find(name, range).map(|i| &nodes[i].0) {
                Some(Node::Package(d)) => {
                    if optional.contains(name) {
                        optional_edges
                            .entry(id.clone())
                            .or_default()
                            .insert(d.clone());
                    }
                    deps.push(d.clone());
                }
                Some(Node::Workspace) => {}
                None => unresolved += 1,
            }
        }
        if let Some(p) = set.get_mut(id) {
            p.dependencies.extend(deps);
        }
    }
    if unresolved > 0 {
        parsed.warn(
            None,
            format!("{unresolved} dependencies have no entry in the lockfile"),
        );
    }

    // Workspaces are the roots; their dependencies the direct ones.
    workspaces.sort_by(|a, b| a.path.cmp(&b.path).then(a.line.cmp(&b.line)));
    let mut direct: Vec<(String, Scope)> = Vec::new();
    for (n, ws) in workspaces.iter().enumerate() {
        let manifest: Option<Manifest> = if n < MAX_WORKSPACE_MANIFESTS {
            let rel = if ws.path == "." || ws.path.is_empty() {
                "package.json".to_string()
            } else {
                format!("{}/package.json", ws.path.trim_end_matches('/'))
            };
            read_manifest(input, &rel, &mut parsed)
        } else {
            None
        };
        let mut declared: HashMap<&str, Scope> = HashMap::default();
        for (n, _, s) in manifest.iter().flat_map(|m| m.deps.iter()) {
            let e = declared.entry(n.as_str()).or_insert(*s);
            *e = e.merge(*s);
        }
        let optional = optional_names(ws.entry);
        let scope_of = |dep: &str| -> Scope {
            match declared.get(dep) {
                Some(s) => *s,
                None if optional.contains(dep) => Scope::Optional,
                None => Scope::Runtime,
            }
        };
        let mut root = Root {
            name: ws.name.clone(),
            version: ws
                .entry
                .str("version")
                .filter(|v| *v != "0.0.0-use.local")
                .unwrap_or("")
                .to_string(),
            path: (ws.path != ".").then(|| ws.path.clone()),
            dependencies: Vec::new(),
        };
        for (name, range) in ws
            .entry
            .get("dependencies")
            .map(dep_list)
            .unwrap_or_default()
        {
            if let Some(Node::Package(id)) = find(name, range).map(|i| &nodes[i].0) {
                direct.push((id.clone(), scope_of(name)));
                root.dependencies.push(id.clone());
            }
        }
        root.dependencies.sort();
        root.dependencies.dedup();
        parsed.source.roots.push(root);
    }
    apply_graph(&mut set, &direct, &optional_edges, true);
    parsed.source.packages = set.into_sorted();
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchloop_model::{Package, Relation};

    fn get<'p>(p: &'p Parsed, name: &str, version: &str) -> &'p Package {
        p.source
            .packages
            .iter()
            .find(|x| x.name == name && x.version == version)
            .unwrap_or_else(|| panic!("{name}@{version} missing"))
    }

    const CLASSIC: &str = r#"# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@s/a@^1.0.0", "@s/a@^1.1.0":
  version "1.2.0"
  resolved "https://registry.yarnpkg.com/@s/a/-/a-1.2.0.tgz#abc"
  integrity sha512-aaa==
  dependencies:
    b "^2.0.0"
    "c-cjs" "npm:c@^3.0.0"
  optionalDependencies:
    fsevents "~2.3.0"

b@^2.0.0:
  version "2.0.1"
  resolved "https://registry.yarnpkg.com/b/-/b-2.0.1.tgz#def"

"c-cjs@npm:c@^3.0.0":
  version "3.1.0"
  resolved "https://registry.yarnpkg.com/c/-/c-3.1.0.tgz"

fsevents@~2.3.0:
  version "2.3.2"
  resolved "https://registry.yarnpkg.com/fsevents/-/fsevents-2.3.2.tgz"
  dependencies:
    missing "^1"
    b "^9.0.0"

"g@github:u/g":
  version "0.3.0"
  resolved "https://codeload.github.com/u/g/tar.gz/0123abc"

"h@git+https://github.com/u/h.git#v1":
  version "1.0.0"
  resolved "git+https://github.com/u/h.git#9f8e7d"

local@file:./local:
  version "0.0.1"
"#;

    #[test]
    fn classic_entries_edges_and_sources() {
        let p = parse(&Input::new("yarn.lock", CLASSIC)).unwrap();
        let s = &p.source;
        assert_eq!(s.format_version.as_deref(), Some("1"));
        assert_eq!(s.packages.len(), 7);
        let a = get(&p, "@s/a", "1.2.0");
        assert_eq!(a.purl, "pkg:npm/%40s/a@1.2.0");
        assert_eq!(a.line(), Some(5));
        assert_eq!(a.checksums, ["sha512-aaa=="]);
        assert_eq!(
            a.dependencies,
            [
                "pkg:npm/b@2.0.1",
                "pkg:npm/c@3.1.0",
                "pkg:npm/fsevents@2.3.2"
            ]
        );
        assert_eq!(a.relation, Relation::Unknown);
        let c = get(&p, "c", "3.1.0");
        assert_eq!(c.line(), Some(19));
        assert_eq!(
            get(&p, "g", "0.3.0").resolution,
            Resolution::Url {
                url: "https://codeload.github.com/u/g/tar.gz/0123abc".into()
            }
        );
        assert_eq!(
            get(&p, "h", "1.0.0").resolution,
            Resolution::Vcs {
                url: "git+https://github.com/u/h.git".into(),
                rev: Some("9f8e7d".into())
            }
        );
        assert_eq!(
            get(&p, "local", "0.0.1").resolution,
            Resolution::Path {
                path: "./local".into()
            }
        );
        assert!(s.roots.is_empty());
        // b@^9.0.0 is not in the file: the only `b` entry is used
        assert_eq!(
            get(&p, "fsevents", "2.3.2").dependencies,
            ["pkg:npm/b@2.0.1"]
        );
        assert!(
            p.warnings
                .iter()
                .any(|w| w.message.starts_with("1 dependencies"))
        );
    }

    #[test]
    fn classic_with_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("yarn.lock");
        std::fs::write(&lock, CLASSIC).unwrap();
        std::fs::write(
            dir.path().join("package.json"),
            r#"{"name": "app", "version": "1.0.0",
                "dependencies": {"@s/a": "^1.1.0"},
                "devDependencies": {"b": "^2.0.0", "h": "git+https://github.com/u/h.git#v1"}}"#,
        )
        .unwrap();
        let input = Input::new("yarn.lock", CLASSIC).with_fs_path(&lock);
        let p = parse(&input).unwrap();
        let a = get(&p, "@s/a", "1.2.0");
        assert_eq!((a.relation, a.scope), (Relation::Direct, Scope::Runtime));
        let b = get(&p, "b", "2.0.1");
        assert_eq!((b.relation, b.scope), (Relation::Direct, Scope::Runtime));
        let f = get(&p, "fsevents", "2.3.2");
        assert_eq!(
            (f.relation, f.scope),
            (Relation::Transitive, Scope::Optional)
        );
        let h = get(&p, "h", "1.0.0");
        assert_eq!((h.relation, h.scope), (Relation::Direct, Scope::Dev));
        assert_eq!(get(&p, "g", "0.3.0").relation, Relation::Unknown);
        let root = &p.source.roots[0];
        assert_eq!(root.name, "app");
        assert_eq!(root.dependencies.len(), 3);
    }

    #[test]
    fn classic_errors() {
        let e = parse(&Input::new("yarn.lock", "a@^1:\n  version \"1\"\nb@^1\n")).unwrap_err();
        assert_eq!(e.line, Some(3));
        let e = parse(&Input::new("yarn.lock", "a@^1:\n   version \"1\"\n")).unwrap_err();
        assert_eq!(e.line, Some(2));
        let e = parse(&Input::new("yarn.lock", "  version \"1\"\n")).unwrap_err();
        assert_eq!(e.line, Some(1));
        let e = parse(&Input::new("yarn.lock", "\"a@^1:\n")).unwrap_err();
        assert_eq!(e.line, Some(1));
        let p = parse(&Input::new(
            "yarn.lock",
            "a@^1:\n  resolved \"x\"\n\"@\":\n  version \"1\"\n",
        ))
        .unwrap();
        assert_eq!(p.source.packages.len(), 0);
        assert_eq!(p.warnings.len(), 2);
        assert!(
            parse(&Input::new("yarn.lock", ""))
                .unwrap()
                .source
                .packages
                .is_empty()
        );
    }

    const BERRY: &str = r#"# This file is generated by running "yarn install" inside your project.
# Manual changes might be lost - proceed with caution!

__metadata:
  version: 6
  cacheKey: 8

"@s/a@npm:^1.0.0, @s/a@npm:^1.1.0":
  version: 1.2.0
  resolution: "@s/a@npm:1.2.0"
  dependencies:
    b: ^2.0.0
    c-cjs: "npm:c@^3.0.0"
    fsevents: ^2.3.2
    ws-lib: "workspace:^"
  dependenciesMeta:
    fsevents:
      optional: true
  checksum: 0123abcd
  languageName: node
  linkType: hard

"b@npm:^2.0.0":
  version: 2.0.1
  resolution: "b@npm:2.0.1"
  dependencies:
    c-cjs: "npm:c@^3.9.0"
  languageName: node
  linkType: hard

"c-cjs@npm:c@^3.0.0":
  version: 3.1.0
  resolution: "c@npm:3.1.0"
  languageName: node
  linkType: hard

"fsevents@npm:^2.3.2":
  version: 2.3.2
  resolution: "fsevents@npm:2.3.2"
  languageName: node
  linkType: hard

"fsevents@patch:fsevents@^2.3.2#~builtin<compat/fsevents>":
  version: 2.3.2
  resolution: "fsevents@patch:fsevents@npm%3A2.3.2#~builtin<compat/fsevents>::version=2.3.2&hash=df0bf1"
  languageName: node
  linkType: hard

"g@https://github.com/u/g.git#commit=0123abc":
  version: 0.3.0
  resolution: "g@https://github.com/u/g.git#commit=0123abc"
  languageName: node
  linkType: hard

"l@link:./vendor/l::locator=app%40workspace%3A.":
  version: 0.0.0-use.local
  resolution: "l@link:./vendor/l::locator=app%40workspace%3A."
  languageName: node
  linkType: soft

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
  dependencies:
    "@s/a": ^1.1.0
    g: "https://github.com/u/g.git#commit=0123abc"
    l: "link:./vendor/l::locator=app%40workspace%3A."
    ws-lib: "workspace:packages/lib"
  languageName: unknown
  linkType: soft

"ws-lib@workspace:^, ws-lib@workspace:packages/lib":
  version: 0.0.0-use.local
  resolution: "ws-lib@workspace:packages/lib"
  dependencies:
    b: ^2.0.0
  languageName: unknown
  linkType: soft
"#;

    #[test]
    fn berry_entries() {
        let p = parse(&Input::new("yarn.lock", BERRY)).unwrap();
        let s = &p.source;
        assert_eq!(s.format_version.as_deref(), Some("6"));
        let names: Vec<String> = s
            .packages
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        assert_eq!(
            names,
            [
                "@s/a@1.2.0",
                "b@2.0.1",
                "c@3.1.0",
                "fsevents@2.3.2",
                "g@0.3.0",
                "l@"
            ]
        );
        let a = get(&p, "@s/a", "1.2.0");
        assert_eq!(a.line(), Some(8));
        assert_eq!(a.checksums, ["0123abcd"]);
        assert_eq!(
            a.dependencies,
            [
                "pkg:npm/b@2.0.1",
                "pkg:npm/c@3.1.0",
                "pkg:npm/fsevents@2.3.2"
            ]
        );
        assert_eq!((a.relation, a.scope), (Relation::Direct, Scope::Runtime));
        let f = get(&p, "fsevents", "2.3.2");
        assert_eq!(f.locations.len(), 2);
        assert_eq!(f.locations[1].line, Some(43));
        // an overridden range (not in the file) falls back to the only entry
        assert_eq!(get(&p, "b", "2.0.1").dependencies, ["pkg:npm/c@3.1.0"]);
        assert_eq!(
            (f.relation, f.scope),
            (Relation::Transitive, Scope::Optional)
        );
        assert_eq!(
            get(&p, "g", "0.3.0").resolution,
            Resolution::Vcs {
                url: "https://github.com/u/g.git".into(),
                rev: Some("0123abc".into())
            }
        );
        assert_eq!(
            get(&p, "l", "").resolution,
            Resolution::Path {
                path: "./vendor/l".into()
            }
        );
        assert_eq!(s.roots.len(), 2);
        assert_eq!(s.roots[0].name, "app");
        assert_eq!(s.roots[0].path, None);
        assert_eq!(s.roots[0].dependencies.len(), 3);
        assert_eq!(s.roots[1].name, "ws-lib");
        assert_eq!(s.roots[1].path.as_deref(), Some("packages/lib"));
        assert_eq!(s.roots[1].dependencies, ["pkg:npm/b@2.0.1"]);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    #[test]
    fn berry_with_manifest_scopes() {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("yarn.lock");
        std::fs::write(&lock, BERRY).unwrap();
        std::fs::write(
            dir.path().join("package.json"),
            r#"{"name": "app", "devDependencies": {"g": "https://github.com/u/g.git"}}"#,
        )
        .unwrap();
        let input = Input::new("yarn.lock", BERRY).with_fs_path(&lock);
        let p = parse(&input).unwrap();
        assert_eq!(get(&p, "g", "0.3.0").scope, Scope::Dev);
        assert_eq!(get(&p, "@s/a", "1.2.0").scope, Scope::Runtime);
    }

    #[test]
    fn locators() {
        assert_eq!(
            locator(
                "resolve@patch:resolve@npm%3A1.22.1#~builtin<compat/resolve>::version=1.22.1&hash=07638b",
                None,
                0
            ),
            Some(Locator::Package {
                name: "resolve".into(),
                version: "1.22.1".into(),
                resolution: None
            })
        );
        assert_eq!(
            locator(
                "@s/x@patch:@s/x@npm%3A2.0.0#./patches/x.patch::locator=app%40workspace%3A.",
                None,
                0
            ),
            Some(Locator::Package {
                name: "@s/x".into(),
                version: "2.0.0".into(),
                resolution: None
            })
        );
        assert!(matches!(
            locator("p@portal:../p::locator=a%40workspace%3A.", Some("1.0.0"), 0),
            Some(Locator::Package { version, resolution: Some(Resolution::Path { .. }), .. }) if version == "1.0.0"
        ));
        assert!(matches!(
            locator("t@https://example.com/t-1.0.0.tgz", Some("1.0.0"), 0),
            Some(Locator::Package {
                resolution: Some(Resolution::Url { .. }),
                ..
            })
        ));
        assert_eq!(locator("nothing", None, 0), None);
        let mut nested = String::from("x@npm:1.0.0");
        for _ in 0..10 {
            nested = format!(
                "x@patch:{}#p",
                nested
                    .replace('%', "%25")
                    .replace(':', "%3A")
                    .replace('#', "%23")
            );
        }
        assert_eq!(locator(&nested, None, 0), None);
        assert_eq!(percent_decode("a%3Ab%2"), "a:b%2");
        assert_eq!(percent_decode("%C3%A9%FF"), "%C3%A9%FF");
    }

    #[test]
    fn berry_errors() {
        let e = parse(&Input::new(
            "yarn.lock",
            "__metadata:\n  version: 6\n\"a@npm:1\": [\n",
        ))
        .unwrap_err();
        assert!(e.line.is_some());
        assert!(parse_berry(&Input::new("yarn.lock", "- a\n- b\n")).is_err());
        let p = parse(&Input::new(
            "yarn.lock",
            "__metadata:\n  version: 6\n\"a@npm:1\": 5\n\"b@npm:1\":\n  version: 1.0.0\n",
        ))
        .unwrap();
        assert_eq!(p.warnings.len(), 2);
    }
}
