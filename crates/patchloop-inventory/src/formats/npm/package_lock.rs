//! `package-lock.json` / `npm-shrinkwrap.json`, lockfileVersion 1, 2 and 3.
//!
//! v2/v3 are read from the flat `packages` map (keyed by install path);
//! v1 (and v2 files without `packages`) from the nested `dependencies`
//! tree. See docs/formats/npm.md.

use crate::fxhash::{HashMap, HashSet};
use std::borrow::Cow;

use patchloop_model::{Ecosystem, Relation, Resolution, Root, Scope, SourceFile};
use serde::Deserialize;

use super::json::{for_each_key, pretty_section_keys};
use super::shared::{
    DepField, Flag, Lenient, Manifest, OptionalEdges, Ordered, Text, apply_graph, classify_source,
    dep_names, npm_alias, npm_package, read_manifest, workspace_matches,
};
use crate::error::ParseError;
use crate::formats::common::PackageSet;
use crate::input::{Input, ParseResult, Parsed};

/// Deepest v1 `dependencies` nesting followed (serde_json itself stops at
/// 128 JSON levels, about 63 package levels; real trees stay under 20).
const MAX_V1_DEPTH: usize = 48;

/// The file as v2/v3 read it (the legacy v1 tree in v2 files is skipped).
#[derive(Deserialize)]
struct Lock<'a> {
    #[serde(borrow, default)]
    name: Text<'a>,
    #[serde(borrow, default)]
    version: Text<'a>,
    #[serde(default, rename = "lockfileVersion")]
    lockfile_version: Option<serde_json::Value>,
    #[serde(borrow, default)]
    packages: Option<Ordered<'a, Lenient<Entry<'a>>>>,
}

/// The nested tree, read only when there is no `packages` map.
#[derive(Deserialize)]
struct V1Lock<'a> {
    #[serde(borrow, default)]
    dependencies: Option<Lenient<V1Map<'a>>>,
}

type V1Map<'a> = HashMap<Cow<'a, str>, Lenient<V1Entry<'a>>>;

/// One value of the v2/v3 `packages` map.
#[derive(Deserialize, Default)]
struct Entry<'a> {
    #[serde(borrow, default)]
    name: Text<'a>,
    #[serde(borrow, default)]
    version: Text<'a>,
    #[serde(borrow, default)]
    resolved: Text<'a>,
    #[serde(borrow, default)]
    integrity: Text<'a>,
    #[serde(default)]
    link: Flag,
    #[serde(default)]
    dev: Flag,
    #[serde(default)]
    optional: Flag,
    #[serde(default, rename = "devOptional")]
    dev_optional: Flag,
    #[serde(borrow, default)]
    dependencies: DepField<'a>,
    #[serde(borrow, default, rename = "optionalDependencies")]
    optional_dependencies: DepField<'a>,
    #[serde(borrow, default, rename = "peerDependencies")]
    peer_dependencies: DepField<'a>,
    #[serde(borrow, default, rename = "devDependencies")]
    dev_dependencies: DepField<'a>,
    #[serde(default)]
    workspaces: Option<serde_json::Value>,
}

/// One node of the v1 nested `dependencies` tree.
#[derive(Deserialize)]
struct V1Entry<'a> {
    #[serde(borrow, default)]
    version: Text<'a>,
    #[serde(borrow, default)]
    resolved: Text<'a>,
    #[serde(borrow, default)]
    integrity: Text<'a>,
    #[serde(default)]
    dev: Flag,
    #[serde(default)]
    optional: Flag,
    #[serde(borrow, default)]
    requires: DepField<'a>,
    #[serde(borrow, default)]
    dependencies: Option<Lenient<V1Map<'a>>>,
}

fn flags_scope(dev: bool, optional: bool, dev_optional: bool) -> Scope {
    if dev_optional || (dev && optional) {
        // Needed by both dev and optional trees: kept when either is.
        Scope::Optional
    } else if dev {
        Scope::Dev
    } else if optional {
        Scope::Optional
    } else {
        Scope::Runtime
    }
}

pub fn parse(input: &Input) -> ParseResult {
    let lock: Lock = serde_json::from_str(input.text).map_err(|e| ParseError::json(&e))?;
    let mut source = SourceFile::new(input.display, "package-lock", Ecosystem::NPM);
    source.format_version = match &lock.lockfile_version {
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    let mut parsed = Parsed::new(source);
    match &lock.packages {
        Some(packages) => parse_v2(input, &lock, packages, &mut parsed)?,
        None => {
            let v1: V1Lock = serde_json::from_str(input.text).map_err(|e| ParseError::json(&e))?;
            parse_v1(input, &lock, &v1, &mut parsed)?;
        }
    }
    Ok(parsed)
}

// ---------------------------------------------------------------- v2 / v3

/// What an install path of the `packages` map is.
enum Node {
    /// A package installed at this path: its id.
    Package(String),
    /// A workspace member (or the root): not a package.
    Root,
    /// A `link: true` entry: the target path.
    Link(String),
    /// Skipped (warned).
    Skipped,
}

/// Start of the last `node_modules/` path segment of `path` (at the start
/// or after a `/`). Cheaper than a substring search on these short paths.
fn last_node_modules(path: &str) -> Option<usize> {
    const NM: &str = "node_modules/";
    let mut end = path.len();
    loop {
        // `i`: a '/' that may end a `node_modules/` segment
        let i = path.get(..end)?.rfind('/')?;
        if let Some(start) = (i + 1).checked_sub(NM.len())
            && path.get(start..=i) == Some(NM)
            && (start == 0 || path.as_bytes().get(start - 1) == Some(&b'/'))
        {
            return Some(start);
        }
        end = i;
    }
}

/// The directory whose `node_modules` is searched after `loc`'s own, or
/// `None` after the project root.
fn parent_location(loc: &str) -> Option<&str> {
    if loc.is_empty() {
        return None;
    }
    if let Some(i) = last_node_modules(loc) {
        return Some(loc.get(..i.saturating_sub(1)).unwrap_or(""));
    }
    if loc.starts_with("node_modules/") {
        return Some("");
    }
    Some(loc.rfind('/').and_then(|i| loc.get(..i)).unwrap_or(""))
}

/// Node's module resolution: `<loc>/node_modules/<name>`, then the same in
/// every enclosing directory up to the root.
fn resolve<'m>(nodes: &'m HashMap<&str, Node>, from: &str, name: &str) -> Option<&'m Node> {
    let mut loc = Some(from);
    let mut steps = 0;
    let mut key = String::with_capacity(from.len() + name.len() + 16);
    while let Some(l) = loc {
        key.clear();
        if !l.is_empty() {
            key.push_str(l);
            key.push('/');
        }
        key.push_str("node_modules/");
        key.push_str(name);
        if let Some(n) = nodes.get(key.as_str()) {
            return Some(n);
        }
        loc = parent_location(l);
        steps += 1;
        if steps > 256 {
            break;
        }
    }
    None
}

/// The package a dependency resolves to, following links (one hop: npm
/// writes link targets as their own entries).
fn resolve_id<'m>(nodes: &'m HashMap<&str, Node>, from: &str, name: &str) -> Option<&'m str> {
    match resolve(nodes, from, name)? {
        Node::Package(id) => Some(id),
        Node::Link(target) => match nodes.get(target.as_str())? {
            Node::Package(id) => Some(id),
            _ => None,
        },
        Node::Root | Node::Skipped => None,
    }
}

fn workspace_patterns(v: &Option<serde_json::Value>) -> Vec<String> {
    let list = match v {
        Some(serde_json::Value::Array(a)) => a.as_slice(),
        Some(serde_json::Value::Object(o)) => match o.get("packages") {
            Some(serde_json::Value::Array(a)) => a.as_slice(),
            _ => &[],
        },
        _ => &[],
    };
    list.iter()
        .filter_map(|x| x.as_str().map(str::to_string))
        .collect()
}

/// Path of a `link` target relative to the lockfile directory
/// (`resolved` is written relative already; `file:` tolerated).
fn link_target(resolved: &str) -> String {
    let t = resolved.strip_prefix("file:").unwrap_or(resolved);
    t.trim_start_matches("./").trim_end_matches('/').to_string()
}

fn parse_v2(
    input: &Input,
    lock: &Lock,
    packages: &Ordered<Lenient<Entry>>,
    parsed: &mut Parsed,
) -> Result<(), ParseError> {
    // Line of every key of the `packages` object, by entry index.
    let lines: Vec<Option<u32>> = match pretty_section_keys(input.text, "packages") {
        Some(found)
            if found.len() == packages.len()
                && found
                    .iter()
                    .zip(packages.iter())
                    .all(|((a, _), (b, _))| a == b) =>
        {
            found.into_iter().map(|(_, l)| Some(l)).collect()
        }
        _ => {
            let mut by_key: HashMap<Cow<str>, u32> =
                HashMap::with_capacity_and_hasher(packages.len(), Default::default());
            for_each_key(input.text, |path, key, line| {
                if path.len() == 1 && path[0] == "packages" {
                    by_key.entry(key.clone()).or_insert(line);
                }
            });
            packages
                .iter()
                .map(|(k, _)| by_key.get(k).copied())
                .collect()
        }
    };

    let empty = Entry::default();
    let root_entry = match packages.get("") {
        Some(Lenient::Ok(e)) => e,
        _ => &empty,
    };
    let patterns = workspace_patterns(&root_entry.workspaces);

    let mut set = PackageSet::new();
    let mut nodes: HashMap<&str, Node> =
        HashMap::with_capacity_and_hasher(packages.len(), Default::default());
    let mut roots: Vec<(&str, &Entry)> = Vec::new();
    for (i, (key, value)) in packages.iter().enumerate() {
        let line = lines.get(i).copied().flatten();
        let entry = match value {
            Lenient::Ok(e) => e,
            _ => {
                parsed.warn(
                    line,
                    format!("packages entry `{key}` is not an object: skipped"),
                );
                nodes.insert(key, Node::Skipped);
                continue;
            }
        };
        if key.is_empty() {
            nodes.insert(key, Node::Root);
            roots.push((key, entry));
            continue;
        }
        let install_name =
            last_node_modules(key).and_then(|i| key.get(i + "node_modules/".len()..));
        if entry.link.0 {
            match entry.resolved.as_deref() {
                Some(r) => {
                    nodes.insert(key, Node::Link(link_target(r)));
                }
                None => {
                    parsed.warn(
                        line,
                        format!("link `{key}` has no `resolved` target: skipped"),
                    );
                    nodes.insert(key, Node::Skipped);
                }
            }
            continue;
        }
        let Some(install_name) = install_name else {
            // A directory of the project: a workspace member, or the
            // target of a `file:` link outside the workspaces.
            if workspace_matches(&patterns, key) {
                nodes.insert(key, Node::Root);
                roots.push((key, entry));
                continue;
            }
            let name = entry
                .name
                .as_deref()
                .or_else(|| key.rsplit('/').next())
                .unwrap_or(key);
            let version = entry.version.as_deref().unwrap_or("");
            let p = npm_package(
                name,
                version,
                Some(Resolution::Path {
                    path: key.to_string(),
                }),
                input,
                line,
                flags_scope(entry.dev.0, entry.optional.0, entry.dev_optional.0),
            );
            nodes.insert(key, Node::Package(set.insert(p)));
            continue;
        };
        let name = match entry.name.as_deref() {
            Some(n) if !n.is_empty() => n,
            _ => install_name,
        };
        if name.is_empty() {
            parsed.warn(
                line,
                format!("packages entry `{key}` has no package name: skipped"),
            );
            nodes.insert(key, Node::Skipped);
            continue;
        }
        let resolution = entry.resolved.as_deref().and_then(classify_source);
        let mut version = entry.version.as_deref().unwrap_or("");
        let mut name = name;
        if let Some((real, v)) = npm_alias(version) {
            name = real;
            version = v;
        }
        if version.is_empty() && resolution.is_none() {
            parsed.warn(line, format!("`{key}` has no version: skipped"));
            nodes.insert(key, Node::Skipped);
            continue;
        }
        let mut p = npm_package(
            name,
            version,
            resolution,
            input,
            line,
            flags_scope(entry.dev.0, entry.optional.0, entry.dev_optional.0),
        );
        if let Some(i) = entry.integrity.as_deref() {
            p.checksums.push(i.to_string());
        }
        nodes.insert(key, Node::Package(set.insert(p)));
    }

    // Edges, by node's resolution from each install path.
    let mut unresolved = 0usize;
    for (key, value) in packages.iter() {
        let Some(Node::Package(id)) = nodes.get(key) else {
            continue;
        };
        let Lenient::Ok(entry) = value else {
            continue;
        };
        let mut deps = Vec::new();
        for (list, required) in [
            (&entry.dependencies, true),
            (&entry.optional_dependencies, false),
            (&entry.peer_dependencies, false),
        ] {
            for dep in dep_names(list) {
                match resolve_id(&nodes, key, dep) {
                    Some(d) => deps.push(d.to_string()),
                    None if resolve(&nodes, key, dep).is_none() => {
                        unresolved += usize::from(required);
                    }
                    None => {}
                }
            }
        }
        let id = id.clone();
        if let Some(p) = set.get_mut(&id) {
            p.dependencies.extend(deps);
        }
    }
    if unresolved > 0 {
        parsed.warn(
            None,
            format!("{unresolved} dependencies are not installed in the lockfile (not resolved)"),
        );
    }

    // Roots (the project and its workspace members) and direct deps.
    let mut direct: Vec<(String, Scope)> = Vec::new();
    for (key, entry) in roots {
        let mut root = Root {
            name: entry
                .name
                .as_deref()
                .map(str::to_string)
                .or_else(|| {
                    if key.is_empty() {
                        lock.name.as_deref().map(str::to_string)
                    } else {
                        key.rsplit('/').next().map(str::to_string)
                    }
                })
                .unwrap_or_default(),
            version: entry
                .version
                .as_deref()
                .or(if key.is_empty() {
                    lock.version.as_deref()
                } else {
                    None
                })
                .unwrap_or("")
                .to_string(),
            path: (!key.is_empty()).then(|| key.to_string()),
            dependencies: Vec::new(),
        };
        for (list, scope) in [
            (&entry.dependencies, Scope::Runtime),
            (&entry.optional_dependencies, Scope::Optional),
            (&entry.peer_dependencies, Scope::Runtime),
            (&entry.dev_dependencies, Scope::Dev),
        ] {
            for dep in dep_names(list) {
                if let Some(id) = resolve_id(&nodes, key, dep) {
                    direct.push((id.to_string(), scope));
                    root.dependencies.push(id.to_string());
                }
            }
        }
        root.dependencies.sort();
        root.dependencies.dedup();
        parsed.source.roots.push(root);
    }
    // npm's flags say what each install is for: keep them as the scope.
    apply_graph(&mut set, &direct, &OptionalEdges::default(), false);
    parsed.source.packages = set.into_sorted();
    Ok(())
}

// --------------------------------------------------------------------- v1

struct V1Walk<'t, 'i> {
    input: &'t Input<'i>,
    set: PackageSet,
    lines: HashMap<String, u32>,
    /// Every id that some package requires (for the no-manifest fallback).
    required: HashSet<String>,
    depth_warned: bool,
}

/// The v1 identity of an entry: (name, version, resolution).
fn v1_identity<'e>(name: &'e str, e: &'e V1Entry) -> (&'e str, &'e str, Option<Resolution>) {
    let version = e.version.as_deref().unwrap_or("");
    if let Some((real, v)) = npm_alias(version) {
        return (real, v, None);
    }
    if let Some(r) = classify_source(version) {
        // `version` holds the source itself (git URL, tarball, file:).
        return (name, "", Some(r));
    }
    let r = e.resolved.as_deref().and_then(classify_source);
    (name, version, r)
}

impl V1Walk<'_, '_> {
    /// Ids of one `dependencies` level (the scope `requires` look into).
    fn level_ids(
        &mut self,
        map: &V1Map,
        path: &str,
        parsed: &mut Parsed,
    ) -> HashMap<String, String> {
        let mut ids = HashMap::with_capacity_and_hasher(map.len(), Default::default());
        let mut names: Vec<&str> = map.keys().map(|k| k.as_ref()).collect();
        names.sort_unstable();
        for name in names {
            let node_path = format!("{path}\u{0}{name}");
            let line = self.lines.get(&node_path).copied();
            let Some(Lenient::Ok(e)) = map.get(name) else {
                parsed.warn(
                    line,
                    format!("dependency `{name}` is not an object: skipped"),
                );
                continue;
            };
            let (real, version, resolution) = v1_identity(name, e);
            if name.is_empty() || (version.is_empty() && resolution.is_none()) {
                parsed.warn(line, format!("dependency `{name}` has no version: skipped"));
                continue;
            }
            let mut p = npm_package(
                real,
                version,
                resolution,
                self.input,
                line,
                flags_scope(e.dev.0, e.optional.0, false),
            );
            if let Some(i) = e.integrity.as_deref() {
                p.checksums.push(i.to_string());
            }
            let id = self.set.insert(p);
            ids.insert(name.to_string(), id);
        }
        ids
    }

    /// Visit one level whose scope is already on top of `scopes`.
    fn visit(
        &mut self,
        map: &V1Map,
        path: &str,
        scopes: &mut Vec<HashMap<String, String>>,
        parsed: &mut Parsed,
    ) {
        let mut names: Vec<&str> = map.keys().map(|k| k.as_ref()).collect();
        names.sort_unstable();
        for name in names {
            let Some(Lenient::Ok(e)) = map.get(name) else {
                continue;
            };
            let Some(id) = scopes.last().and_then(|s| s.get(name)).cloned() else {
                continue;
            };
            let node_path = format!("{path}\u{0}{name}");
            let children = match &e.dependencies {
                Some(Lenient::Ok(c)) if !c.is_empty() => Some(c),
                _ => None,
            };
            if let Some(children) = children {
                if scopes.len() >= MAX_V1_DEPTH {
                    if !self.depth_warned {
                        self.depth_warned = true;
                        parsed.warn(
                            self.lines.get(&node_path).copied(),
                            format!(
                                "dependencies nested deeper than {MAX_V1_DEPTH} levels: not read"
                            ),
                        );
                    }
                    continue;
                }
                let level = self.level_ids(children, &node_path, parsed);
                scopes.push(level);
            }
            // `requires`: nearest enclosing scope first, as node resolves.
            let mut deps = Vec::new();
            for r in dep_names(&e.requires) {
                if let Some(d) = scopes.iter().rev().find_map(|s| s.get(r)) {
                    deps.push(d.clone());
                }
            }
            for d in &deps {
                self.required.insert(d.clone());
            }
            if let Some(p) = self.set.get_mut(&id) {
                p.dependencies.extend(deps);
            }
            if let Some(children) = children {
                self.visit(children, &node_path, scopes, parsed);
                scopes.pop();
            }
        }
    }
}

fn parse_v1(
    input: &Input,
    lock: &Lock,
    v1: &V1Lock,
    parsed: &mut Parsed,
) -> Result<(), ParseError> {
    let Some(Lenient::Ok(top)) = &v1.dependencies else {
        if lock.lockfile_version.is_none() {
            return Err(ParseError::new(
                "not a package-lock: no `packages`, `dependencies` or `lockfileVersion`",
            ));
        }
        // An empty project.
        parsed.source.roots.push(Root {
            name: lock.name.as_deref().unwrap_or("").to_string(),
            version: lock.version.as_deref().unwrap_or("").to_string(),
            path: None,
            dependencies: Vec::new(),
        });
        return Ok(());
    };
    // Line of each node, keyed by its names joined with NUL.
    let mut lines: HashMap<String, u32> = HashMap::default();
    for_each_key(input.text, |path, key, line| {
        let n = path.len();
        if n % 2 == 1 && path.iter().step_by(2).all(|p| p == "dependencies") {
            let mut k = String::new();
            for name in path.iter().skip(1).step_by(2) {
                k.push('\u{0}');
                k.push_str(name);
            }
            k.push('\u{0}');
            k.push_str(key);
            lines.entry(k).or_insert(line);
        }
    });
    let mut walk = V1Walk {
        input,
        set: PackageSet::new(),
        lines,
        required: HashSet::default(),
        depth_warned: false,
    };
    let top_level = walk.level_ids(top, "", parsed);
    let mut scopes = vec![top_level];
    walk.visit(top, "", &mut scopes, parsed);
    let top_level = scopes.pop().unwrap_or_default();

    // Direct dependencies: from package.json when it is there.
    let manifest: Option<Manifest> = read_manifest(input, "package.json", parsed);
    let mut direct: Vec<(String, Scope)> = Vec::new();
    let mut root = Root {
        name: lock.name.as_deref().unwrap_or("").to_string(),
        version: lock.version.as_deref().unwrap_or("").to_string(),
        path: None,
        dependencies: Vec::new(),
    };
    let mut set = walk.set;
    match &manifest {
        Some(m) => {
            for (name, _, scope) in &m.deps {
                if let Some(id) = top_level.get(name) {
                    direct.push((id.clone(), *scope));
                }
            }
            apply_graph(&mut set, &direct, &OptionalEdges::default(), false);
        }
        None => {
            // Without the manifest: top-level packages nothing requires
            // must be direct; whether the others also are is unknown.
            let mut names: Vec<&String> = top_level.keys().collect();
            names.sort();
            for name in names {
                let id = &top_level[name];
                if !walk.required.contains(id) {
                    direct.push((id.clone(), Scope::Runtime));
                }
            }
            let top_ids: HashSet<&String> = top_level.values().collect();
            let direct_ids: HashSet<&String> = direct.iter().map(|(id, _)| id).collect();
            for p in set.iter_mut() {
                if direct_ids.contains(&p.id) {
                    p.relation = Relation::Direct;
                } else if !top_ids.contains(&p.id) {
                    // Only installed nested under other packages.
                    p.relation = Relation::Transitive;
                }
            }
            if !direct.is_empty() {
                parsed.warn(
                    None,
                    "no package.json beside the lockfile: direct dependencies inferred \
                     (top-level packages nothing requires); other top-level packages have \
                     an unknown relation",
                );
            }
        }
    }
    for (id, _) in &direct {
        root.dependencies.push(id.clone());
    }
    root.dependencies.sort();
    root.dependencies.dedup();
    parsed.source.roots.push(root);
    parsed.source.packages = set.into_sorted();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchloop_model::Package;

    fn run(text: &str) -> Parsed {
        parse(&Input::new("package-lock.json", text)).expect("parses")
    }

    fn get<'p>(p: &'p Parsed, name: &str, version: &str) -> &'p Package {
        p.source
            .packages
            .iter()
            .find(|x| x.name == name && x.version == version)
            .unwrap_or_else(|| panic!("{name}@{version} missing"))
    }

    const V3: &str = r#"{
  "name": "app",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "app",
      "version": "1.0.0",
      "workspaces": ["packages/*"],
      "dependencies": {
        "a": "^1.0.0",
        "alias": "npm:real@^2.0.0",
        "gitdep": "github:u/gitdep",
        "local": "file:../local"
      },
      "devDependencies": {
        "d": "^1.0.0"
      },
      "optionalDependencies": {
        "o": "^1.0.0"
      }
    },
    "node_modules/a": {
      "version": "1.0.0",
      "resolved": "https://registry.npmjs.org/a/-/a-1.0.0.tgz",
      "integrity": "sha512-aaa",
      "dependencies": {
        "b": "^1.0.0"
      }
    },
    "node_modules/a/node_modules/b": {
      "version": "1.1.0",
      "dependencies": {
        "c": "*"
      }
    },
    "node_modules/b": {
      "version": "2.0.0",
      "dev": true
    },
    "node_modules/c": {
      "version": "1.0.0"
    },
    "node_modules/d": {
      "version": "1.0.0",
      "dev": true,
      "dependencies": {
        "b": "^2.0.0",
        "@s/w": "*"
      }
    },
    "node_modules/o": {
      "version": "1.0.0",
      "optional": true,
      "peerDependencies": {
        "missing-peer": "*"
      }
    },
    "node_modules/x/node_modules/c": {
      "version": "1.0.0",
      "devOptional": true
    },
    "node_modules/alias": {
      "name": "real",
      "version": "2.1.0",
      "resolved": "https://registry.npmjs.org/real/-/real-2.1.0.tgz"
    },
    "node_modules/gitdep": {
      "version": "0.1.0",
      "resolved": "git+ssh://git@github.com/u/gitdep.git#abcdef0"
    },
    "node_modules/local": {
      "resolved": "../local",
      "link": true
    },
    "../local": {
      "name": "local",
      "version": "0.0.1"
    },
    "node_modules/@s/w": {
      "resolved": "packages/w",
      "link": true
    },
    "packages/w": {
      "name": "@s/w",
      "version": "3.0.0",
      "dependencies": {
        "c": "^1.0.0"
      }
    }
  }
}
"#;

    #[test]
    fn v3_packages_map() {
        let p = run(V3);
        let s = &p.source;
        assert_eq!(s.format_version.as_deref(), Some("3"));
        let names: Vec<String> = s
            .packages
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        assert_eq!(
            names,
            [
                "a@1.0.0",
                "b@1.1.0",
                "b@2.0.0",
                "c@1.0.0",
                "d@1.0.0",
                "gitdep@0.1.0",
                "local@0.0.1",
                "o@1.0.0",
                "real@2.1.0"
            ]
        );
        let a = get(&p, "a", "1.0.0");
        assert_eq!(a.purl, "pkg:npm/a@1.0.0");
        assert_eq!(a.line(), Some(24));
        assert_eq!(a.relation, Relation::Direct);
        assert_eq!(a.scope, Scope::Runtime);
        assert_eq!(a.checksums, ["sha512-aaa"]);
        // nested b is found before the hoisted one
        assert_eq!(a.dependencies, ["pkg:npm/b@1.1.0"]);
        let b11 = get(&p, "b", "1.1.0");
        assert_eq!(b11.dependencies, ["pkg:npm/c@1.0.0"]);
        assert_eq!(b11.relation, Relation::Transitive);
        let c = get(&p, "c", "1.0.0");
        assert_eq!(c.locations.len(), 2);
        assert_eq!(c.line(), Some(42));
        // runtime at one path, devOptional at the other: runtime wins
        assert_eq!(c.scope, Scope::Runtime);
        let d = get(&p, "d", "1.0.0");
        assert_eq!(d.scope, Scope::Dev);
        assert_eq!(d.relation, Relation::Direct);
        // d → @s/w is a workspace link: not a package edge
        assert_eq!(d.dependencies, ["pkg:npm/b@2.0.0"]);
        assert_eq!(get(&p, "o", "1.0.0").scope, Scope::Optional);
        let real = get(&p, "real", "2.1.0");
        assert_eq!(real.purl, "pkg:npm/real@2.1.0");
        assert_eq!(real.relation, Relation::Direct);
        let g = get(&p, "gitdep", "0.1.0");
        assert_eq!(
            g.resolution,
            Resolution::Vcs {
                url: "git+ssh://git@github.com/u/gitdep.git".into(),
                rev: Some("abcdef0".into())
            }
        );
        let l = get(&p, "local", "0.0.1");
        assert_eq!(
            l.resolution,
            Resolution::Path {
                path: "../local".into()
            }
        );
        assert_eq!(l.line(), Some(77));
        assert_eq!(l.relation, Relation::Direct);
        // roots: the project and the workspace member
        assert_eq!(s.roots.len(), 2);
        let app = &s.roots[0];
        assert_eq!(app.name, "app");
        assert_eq!(app.dependencies.len(), 6);
        let w = &s.roots[1];
        assert_eq!(
            (w.name.as_str(), w.path.as_deref()),
            ("@s/w", Some("packages/w"))
        );
        assert_eq!(w.dependencies, ["pkg:npm/c@1.0.0"]);
        // missing-peer is a peer: no warning; nothing else is missing
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    #[test]
    fn node_modules_segments() {
        assert_eq!(last_node_modules("node_modules/a"), Some(0));
        assert_eq!(
            last_node_modules("node_modules/a/node_modules/@s/b"),
            Some(15)
        );
        assert_eq!(last_node_modules("packages/x/node_modules/b"), Some(11));
        assert_eq!(last_node_modules("my_node_modules/b"), None);
        assert_eq!(last_node_modules("packages/w"), None);
        assert_eq!(last_node_modules("node_modules/"), Some(0));
        assert_eq!(last_node_modules(""), None);
        assert_eq!(last_node_modules("é/node_modules/ü"), Some(3));
    }

    #[test]
    fn parent_locations() {
        assert_eq!(
            parent_location("node_modules/a/node_modules/b"),
            Some("node_modules/a")
        );
        assert_eq!(parent_location("node_modules/@s/a"), Some(""));
        assert_eq!(parent_location("packages/w"), Some("packages"));
        assert_eq!(parent_location("packages"), Some(""));
        assert_eq!(
            parent_location("packages/w/node_modules/x"),
            Some("packages/w")
        );
        assert_eq!(parent_location(""), None);
    }

    const V1: &str = r#"{
  "name": "app",
  "version": "1.0.0",
  "lockfileVersion": 1,
  "requires": true,
  "dependencies": {
    "a": {
      "version": "1.0.0",
      "integrity": "sha1-xx",
      "requires": {
        "b": "^1.0.0",
        "c": "^1.0.0"
      },
      "dependencies": {
        "b": {
          "version": "1.5.0",
          "requires": {
            "c": "^1.0.0"
          },
          "dependencies": {
            "c": {
              "version": "1.9.0",
              "dev": true
            }
          }
        }
      }
    },
    "b": {
      "version": "2.0.0",
      "dev": true
    },
    "c": {
      "version": "1.0.0",
      "optional": true
    },
    "al": {
      "version": "npm:real@3.0.0"
    },
    "g": {
      "version": "github:u/g#0123",
      "from": "github:u/g"
    },
    "bad": 5
  }
}"#;

    #[test]
    fn v1_nested_tree() {
        let p = run(V1);
        let s = &p.source;
        assert_eq!(s.format_version.as_deref(), Some("1"));
        let a = get(&p, "a", "1.0.0");
        assert_eq!(a.line(), Some(7));
        // b from a's own scope, c from the top level (not b's child)
        assert_eq!(a.dependencies, ["pkg:npm/b@1.5.0", "pkg:npm/c@1.0.0"]);
        let b = get(&p, "b", "1.5.0");
        assert_eq!(b.line(), Some(15));
        assert_eq!(b.dependencies, ["pkg:npm/c@1.9.0"]);
        assert_eq!(get(&p, "c", "1.9.0").line(), Some(21));
        assert_eq!(get(&p, "c", "1.9.0").scope, Scope::Dev);
        assert_eq!(get(&p, "c", "1.0.0").scope, Scope::Optional);
        assert_eq!(get(&p, "real", "3.0.0").purl, "pkg:npm/real@3.0.0");
        let g = get(&p, "g", "");
        assert_eq!(
            g.resolution,
            Resolution::Vcs {
                url: "github:u/g".into(),
                rev: Some("0123".into())
            }
        );
        // no package.json: unrequired top-level packages are direct
        assert_eq!(a.relation, Relation::Direct);
        assert_eq!(get(&p, "b", "2.0.0").relation, Relation::Direct);
        assert_eq!(get(&p, "c", "1.0.0").relation, Relation::Unknown);
        assert_eq!(get(&p, "c", "1.9.0").relation, Relation::Transitive);
        assert_eq!(b.relation, Relation::Transitive);
        assert_eq!(get(&p, "real", "3.0.0").relation, Relation::Direct);
        assert_eq!(s.roots[0].dependencies.len(), 4);
        assert!(p.warnings.iter().any(|w| w.message.contains("`bad`")));
    }

    #[test]
    fn v1_repeated_names_get_their_own_lines() {
        let t = "{\"lockfileVersion\":1,\"dependencies\":{\n\"x\":{\"version\":\"1.0.0\",\"dependencies\":{\n\"x\":{\"version\":\"2.0.0\"}}}}}";
        let p = run(t);
        assert_eq!(get(&p, "x", "1.0.0").line(), Some(2));
        assert_eq!(get(&p, "x", "2.0.0").line(), Some(3));
    }

    #[test]
    fn v1_deep_nesting_is_capped() {
        let mut t = String::from("{\"lockfileVersion\":1,\"dependencies\":");
        for _ in 0..60 {
            t.push_str(
                "{\"x\":{\"version\":\"1.0.0\",\"requires\":{\"x\":\"*\"},\"dependencies\":",
            );
        }
        t.push_str("{}");
        for _ in 0..60 {
            t.push_str("}}");
        }
        t.push('}');
        let p = run(&t);
        assert_eq!(p.source.packages.len(), 1);
        assert!(
            p.warnings
                .iter()
                .any(|w| w.message.contains("deeper than 48"))
        );
        let deep = format!(
            "{}{{}}{}",
            "{\"dependencies\":".repeat(200),
            "}".repeat(200)
        );
        let e = parse(&Input::new("x", &deep)).unwrap_err();
        assert!(e.message.contains("recursion"), "{}", e.message);
    }

    #[test]
    fn errors() {
        let e = parse(&Input::new("x", "{\n  \"packages\": {\n    \"\": [}\n")).unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(parse(&Input::new("x", "{}")).is_err());
        assert!(parse(&Input::new("x", "[]")).is_err());
        let p = run(
            "{\"lockfileVersion\": 3, \"packages\": {\"node_modules/a\": 1, \"node_modules/b\": {}}}",
        );
        assert_eq!(p.source.packages.len(), 0);
        assert_eq!(p.warnings.len(), 2);
    }
}
