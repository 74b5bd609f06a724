//! `pnpm-lock.yaml`, lockfileVersion 5.x (`/name/1.2.3_peer`), 6.x
//! (`/name@1.2.3(peer@x)`) and 9.x (`packages` + `snapshots`, keys
//! `name@1.2.3(peer@x)`). See docs/formats/npm.md.

use crate::fxhash::{HashMap, HashSet};

use patchloop_model::{Ecosystem, Package, Resolution, Root, Scope, SourceFile};

use super::shared::{
    OptionalEdges, apply_graph, classify_source, is_version, npm_package, read_manifest,
    split_ident,
};
use super::yaml::{self, Y};
use crate::error::ParseError;
use crate::formats::common::PackageSet;
use crate::input::{Input, ParseResult, Parsed};

/// Most importer `package.json` files read (for their names).
const MAX_IMPORTER_MANIFESTS: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// 5.x: `/name/1.2.3_peer@1.0.0`
    V5,
    /// 6.x: `/name@1.2.3(peer@1.0.0)`
    V6,
    /// 9.x: `name@1.2.3(peer@1.0.0)`, metadata in `packages`, graph in
    /// `snapshots`.
    V9,
}

/// Name and version part (peer suffix included) of a package key.
fn split_key(key: &str, style: Style) -> Option<(&str, &str)> {
    match style {
        Style::V5 => {
            let k = key.strip_prefix('/').unwrap_or(key);
            let mut slash = k.find('/')?;
            if k.starts_with('@') {
                slash = slash + 1 + k.get(slash + 1..)?.find('/')?;
            }
            let name = k.get(..slash)?;
            let rest = k.get(slash + 1..)?;
            (!name.is_empty() && !rest.is_empty()).then_some((name, rest))
        }
        Style::V6 => split_ident(key.strip_prefix('/').unwrap_or(key)),
        Style::V9 => split_ident(key),
    }
}

/// The version without the peer-dependency suffix.
fn strip_peers(version: &str, style: Style) -> &str {
    let cut = match style {
        Style::V5 => version.find('_'),
        Style::V6 | Style::V9 => version.find('('),
    };
    match cut {
        Some(i) => version.get(..i).unwrap_or(version),
        None => version,
    }
}

/// `base/../x` → `x`; `.` → ``.
fn normalize_path(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|s| *s != "..") {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            s => out.push(s),
        }
    }
    out.join("/")
}

fn join_path(base: &str, rel: &str) -> String {
    normalize_path(&format!("{base}/{rel}"))
}

/// The resolution of a package that is not a registry version.
fn source_of(meta: &Y, version_part: &str) -> Resolution {
    let res = meta.get("resolution");
    if let Some(r) = res {
        match r.str("type") {
            Some("git") => {
                if let Some(repo) = r.str("repo") {
                    return Resolution::Vcs {
                        url: repo.to_string(),
                        rev: r.str("commit").map(str::to_string),
                    };
                }
            }
            Some("directory") => {
                if let Some(d) = r.str("directory") {
                    return Resolution::Path {
                        path: d.to_string(),
                    };
                }
            }
            _ => {}
        }
        if let Some(t) = r.str("tarball") {
            if let Some(p) = t.strip_prefix("file:") {
                return Resolution::Path {
                    path: p.to_string(),
                };
            }
            return Resolution::Url { url: t.to_string() };
        }
    }
    classify_source(version_part).unwrap_or_else(|| Resolution::Url {
        url: version_part.to_string(),
    })
}

/// One package node: its key (for edges), line, metadata and graph entry.
struct Node<'y> {
    key: &'y str,
    line: Option<u32>,
    meta: &'y Y<'y>,
    graph: &'y Y<'y>,
}

pub fn parse(input: &Input) -> ParseResult {
    let doc = yaml::parse(input.text)?;
    if !doc.is_map() {
        return Err(ParseError::new("pnpm-lock.yaml: expected a mapping"));
    }
    let version = doc.str("lockfileVersion").map(str::to_string);
    let mut source = SourceFile::new(input.display, "pnpm-lock", Ecosystem::NPM);
    source.format_version.clone_from(&version);
    let mut parsed = Parsed::new(source);
    let major: Option<u32> = version
        .as_deref()
        .and_then(|v| v.trim_start_matches('v').split('.').next())
        .and_then(|m| m.parse().ok());
    let style = match major {
        Some(m) if m >= 9 => Style::V9,
        Some(m) if m >= 6 => Style::V6,
        Some(_) => Style::V5,
        None => {
            let style = if doc.get("snapshots").is_some() {
                Style::V9
            } else {
                Style::V5
            };
            parsed.warn(None, "no lockfileVersion: format guessed from the keys");
            style
        }
    };

    // Package nodes, in file order.
    let null = Y::Null;
    let packages = doc.get("packages").unwrap_or(&null);
    let mut nodes: Vec<Node> = Vec::new();
    if style == Style::V9 {
        let meta_of: HashMap<&str, (u32, &Y)> = packages
            .entries()
            .iter()
            .map(|(k, l, v)| (k.as_ref(), (*l, v)))
            .collect();
        let mut seen: HashSet<&str> = HashSet::default();
        for (k, l, v) in doc.get("snapshots").map(Y::entries).unwrap_or_default() {
            let base = match k.find('(') {
                Some(i) => k.get(..i).unwrap_or(k),
                None => k,
            };
            seen.insert(base);
            let (line, meta) = match meta_of.get(base) {
                Some((pl, m)) => (*pl, *m),
                None => (*l, &null),
            };
            nodes.push(Node {
                key: k,
                line: (line > 0).then_some(line),
                meta,
                graph: v,
            });
        }
        for (k, l, v) in packages.entries() {
            if !seen.contains(k.as_ref()) {
                nodes.push(Node {
                    key: k,
                    line: (*l > 0).then_some(*l),
                    meta: v,
                    graph: &null,
                });
            }
        }
    } else {
        for (k, l, v) in packages.entries() {
            nodes.push(Node {
                key: k,
                line: (*l > 0).then_some(*l),
                meta: v,
                graph: v,
            });
        }
    }

    let mut set = PackageSet::new();
    let mut id_of: HashMap<&str, String> =
        HashMap::with_capacity_and_hasher(nodes.len(), Default::default());
    // V9: ids whose every snapshot says `optional: true`.
    let mut only_optional: HashMap<String, bool> = HashMap::default();
    for n in &nodes {
        if !(n.meta.is_map() || matches!(n.meta, Y::Null))
            || !(n.graph.is_map() || matches!(n.graph, Y::Null))
        {
            parsed.warn(
                n.line,
                format!("package `{}` is not a mapping: skipped", n.key),
            );
            continue;
        }
        let Some((key_name, version_part)) = split_key(n.key, style) else {
            parsed.warn(
                n.line,
                format!("cannot read package key `{}`: skipped", n.key),
            );
            continue;
        };
        let base_version = strip_peers(version_part, style);
        let name = n.meta.str("name").unwrap_or(key_name);
        let (version, resolution) = if is_version(base_version) {
            (n.meta.str("version").unwrap_or(base_version), None)
        } else {
            (
                n.meta.str("version").unwrap_or(""),
                Some(source_of(n.meta, base_version)),
            )
        };
        let scope = match style {
            Style::V9 => Scope::Runtime,
            _ => match (n.meta.flag("dev"), n.meta.flag("optional")) {
                (Some(true), _) => Scope::Dev,
                (_, Some(true)) => Scope::Optional,
                _ => Scope::Runtime,
            },
        };
        let mut p: Package = npm_package(name, version, resolution, input, n.line, scope);
        if let Some(i) = n.meta.get("resolution").and_then(|r| r.str("integrity")) {
            p.checksums.push(i.to_string());
        }
        let id = set.insert(p);
        if style == Style::V9 {
            let opt = n.graph.flag("optional").unwrap_or(false);
            only_optional
                .entry(id.clone())
                .and_modify(|o| *o &= opt)
                .or_insert(opt);
        }
        id_of.insert(n.key, id);
    }

    let lookup = |name: &str, reference: &str| -> Option<&String> {
        let composed = match style {
            Style::V5 => format!("/{name}/{reference}"),
            Style::V6 => format!("/{name}@{reference}"),
            Style::V9 => format!("{name}@{reference}"),
        };
        id_of
            .get(composed.as_str())
            .or_else(|| id_of.get(reference))
            .or_else(|| match style {
                Style::V9 => None,
                _ => id_of.get(format!("/{reference}").as_str()),
            })
    };

    // Edges.
    let mut optional_edges = OptionalEdges::default();
    let mut unresolved = 0usize;
    for n in &nodes {
        let Some(id) = id_of.get(n.key) else { continue };
        let mut deps = Vec::new();
        for (field, optional) in [("dependencies", false), ("optionalDependencies", true)] {
            for (dep, _, v) in n.graph.get(field).map(Y::entries).unwrap_or_default() {
                let Some(reference) = v.as_str() else {
                    continue;
                };
                if reference.starts_with("link:") {
                    continue;
                }
                match lookup(dep, reference) {
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

    // Importers: the project and its workspace members.
    let importers: Vec<(&str, u32, &Y)> = match doc.get("importers") {
        Some(imp) => imp
            .entries()
            .iter()
            .map(|(k, l, v)| (k.as_ref(), *l, v))
            .collect(),
        // A single-project lockfile: the importer's lists are top-level.
        None => vec![(".", 0, &doc)],
    };
    let importer_paths: HashSet<String> = importers
        .iter()
        .map(|(k, _, _)| normalize_path(k))
        .collect();
    let mut direct: Vec<(String, Scope)> = Vec::new();
    for (i, (path, line, imp)) in importers.iter().enumerate() {
        let norm = normalize_path(path);
        let manifest = if i < MAX_IMPORTER_MANIFESTS && input.fs_path.is_some() {
            let rel = if norm.is_empty() {
                "package.json".to_string()
            } else {
                format!("{norm}/package.json")
            };
            read_manifest(input, &rel, &mut parsed)
        } else {
            None
        };
        let mut root = Root {
            name: manifest
                .as_ref()
                .and_then(|m| m.name.clone())
                .unwrap_or_else(|| path.to_string()),
            version: manifest
                .as_ref()
                .and_then(|m| m.version.clone())
                .unwrap_or_default(),
            path: (!norm.is_empty()).then(|| norm.clone()),
            dependencies: Vec::new(),
        };
        for (field, scope) in [
            ("dependencies", Scope::Runtime),
            ("optionalDependencies", Scope::Optional),
            ("devDependencies", Scope::Dev),
        ] {
            for (dep, dep_line, v) in imp.get(field).map(Y::entries).unwrap_or_default() {
                let reference = match v {
                    Y::Str(s) => s.as_ref(),
                    Y::Map(_) => match v.str("version") {
                        Some(s) => s,
                        None => continue,
                    },
                    _ => continue,
                };
                let id = if let Some(link) = reference.strip_prefix("link:") {
                    let target = join_path(&norm, link);
                    if importer_paths.contains(&target) {
                        continue; // another workspace member
                    }
                    let dl = if *dep_line > 0 {
                        Some(*dep_line)
                    } else {
                        (*line > 0).then_some(*line)
                    };
                    let p = npm_package(
                        dep,
                        "",
                        Some(Resolution::Path { path: target }),
                        input,
                        dl,
                        scope,
                    );
                    set.insert(p)
                } else {
                    match lookup(dep, reference) {
                        Some(id) => id.clone(),
                        None => {
                            unresolved += 1;
                            continue;
                        }
                    }
                };
                direct.push((id.clone(), scope));
                root.dependencies.push(id);
            }
        }
        root.dependencies.sort();
        root.dependencies.dedup();
        parsed.source.roots.push(root);
    }
    if unresolved > 0 {
        parsed.warn(
            None,
            format!("{unresolved} dependencies have no package entry"),
        );
    }

    match style {
        Style::V9 => {
            apply_graph(&mut set, &direct, &optional_edges, true);
            for p in set.iter_mut() {
                if p.scope == Scope::Runtime && only_optional.get(&p.id) == Some(&true) {
                    p.scope = Scope::Optional;
                }
            }
        }
        // 5.x/6.x flags (`dev`, `optional`) are pnpm's own verdict.
        _ => apply_graph(&mut set, &direct, &optional_edges, false),
    }
    parsed.source.packages = set.into_sorted();
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchloop_model::Relation;

    fn run(t: &str) -> Parsed {
        parse(&Input::new("pnpm-lock.yaml", t)).expect("parses")
    }

    fn get<'p>(p: &'p Parsed, name: &str, version: &str) -> &'p Package {
        p.source
            .packages
            .iter()
            .find(|x| x.name == name && x.version == version)
            .unwrap_or_else(|| panic!("{name}@{version} missing"))
    }

    #[test]
    fn keys() {
        assert_eq!(
            split_key("/@babel/core/7.16.0", Style::V5),
            Some(("@babel/core", "7.16.0"))
        );
        assert_eq!(
            split_key("/acorn-jsx/5.3.2_acorn@7.4.1", Style::V5),
            Some(("acorn-jsx", "5.3.2_acorn@7.4.1"))
        );
        assert_eq!(
            strip_peers("7.16.3_@babel+core@7.16.0", Style::V5),
            "7.16.3"
        );
        assert_eq!(
            split_key("/@s/a@1.0.0(b@2.0.0)", Style::V6),
            Some(("@s/a", "1.0.0(b@2.0.0)"))
        );
        assert_eq!(strip_peers("1.0.0(b@2.0.0)(c@1.0.0)", Style::V9), "1.0.0");
        assert_eq!(split_key("@s", Style::V5), None);
        assert_eq!(split_key("/@s/a", Style::V5), None);
        assert_eq!(split_key("é/1", Style::V5), Some(("é", "1")));
        assert_eq!(
            normalize_path("packages-private/dts/../../packages/vue"),
            "packages/vue"
        );
        assert_eq!(normalize_path("."), "");
        assert_eq!(normalize_path("../x"), "../x");
    }

    const V54: &str = "lockfileVersion: 5.4

importers:

  .:
    specifiers:
      a: ^1.0.0
      d: ^1.0.0
      w: workspace:*
      loc: link:../loc
    dependencies:
      a: 1.0.0_b@2.0.0
      loc: link:../loc
    devDependencies:
      d: 1.0.0
      w: link:packages/w

  packages/w:
    specifiers:
      c: ^1.0.0
    dependencies:
      c: 1.0.0

packages:

  /a/1.0.0_b@2.0.0:
    resolution: {integrity: sha512-aaa==}
    peerDependencies:
      b: ^2.0.0
    dependencies:
      b: 2.0.0
      c-alias: /c/1.0.0
    optionalDependencies:
      o: 1.0.0
    dev: false

  /b/2.0.0:
    resolution: {integrity: sha512-bbb==}

  /c/1.0.0:
    resolution: {integrity: sha512-ccc==}

  /d/1.0.0:
    resolution: {integrity: sha512-ddd==}
    dependencies:
      '@s/e': 3.0.0
    dev: true

  /@s/e/3.0.0:
    resolution: {integrity: sha512-eee==}
    dev: true

  /o/1.0.0:
    resolution: {integrity: sha512-ooo==}
    dev: false
    optional: true

  github.com/u/g/0123abc:
    resolution: {tarball: https://codeload.github.com/u/g/tar.gz/0123abc}
    name: g
    version: 0.1.0
    dev: true
";

    #[test]
    fn v5_lockfile() {
        let p = run(V54);
        let s = &p.source;
        assert_eq!(s.format_version.as_deref(), Some("5.4"));
        let names: Vec<String> = s
            .packages
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        assert_eq!(
            names,
            [
                "@s/e@3.0.0",
                "a@1.0.0",
                "b@2.0.0",
                "c@1.0.0",
                "d@1.0.0",
                "g@0.1.0",
                "loc@",
                "o@1.0.0"
            ]
        );
        let a = get(&p, "a", "1.0.0");
        assert_eq!(a.line(), Some(26));
        assert_eq!(a.checksums, ["sha512-aaa=="]);
        assert_eq!((a.relation, a.scope), (Relation::Direct, Scope::Runtime));
        assert_eq!(
            a.dependencies,
            ["pkg:npm/b@2.0.0", "pkg:npm/c@1.0.0", "pkg:npm/o@1.0.0"]
        );
        let e = get(&p, "@s/e", "3.0.0");
        assert_eq!(e.purl, "pkg:npm/%40s/e@3.0.0");
        assert_eq!((e.relation, e.scope), (Relation::Transitive, Scope::Dev));
        assert_eq!(get(&p, "o", "1.0.0").scope, Scope::Optional);
        let g = get(&p, "g", "0.1.0");
        assert_eq!(
            g.resolution,
            Resolution::Url {
                url: "https://codeload.github.com/u/g/tar.gz/0123abc".into()
            }
        );
        assert_eq!(g.relation, Relation::Unknown);
        let loc = get(&p, "loc", "");
        assert_eq!(
            loc.resolution,
            Resolution::Path {
                path: "../loc".into()
            }
        );
        assert_eq!(loc.relation, Relation::Direct);
        assert_eq!(loc.line(), Some(13));
        assert_eq!(s.roots.len(), 2);
        assert_eq!(s.roots[0].name, ".");
        assert_eq!(s.roots[0].path, None);
        assert_eq!(s.roots[0].dependencies.len(), 3);
        assert_eq!(s.roots[1].path.as_deref(), Some("packages/w"));
        assert_eq!(s.roots[1].dependencies, ["pkg:npm/c@1.0.0"]);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    #[test]
    fn v6_single_project() {
        let t = "lockfileVersion: '6.0'

dependencies:
  a:
    specifier: ^1.0.0
    version: 1.0.0(b@2.0.0)

devDependencies:
  b:
    specifier: ^2.0.0
    version: 2.0.0

packages:

  /a@1.0.0(b@2.0.0):
    resolution: {integrity: sha512-aaa==}
    dependencies:
      b: 2.0.0
    dev: false

  /b@2.0.0:
    resolution: {integrity: sha512-bbb==}
";
        let p = run(t);
        assert_eq!(p.source.format_version.as_deref(), Some("6.0"));
        let a = get(&p, "a", "1.0.0");
        assert_eq!(a.line(), Some(15));
        assert_eq!(a.dependencies, ["pkg:npm/b@2.0.0"]);
        assert_eq!(a.relation, Relation::Direct);
        let b = get(&p, "b", "2.0.0");
        // no dev flag: used in both trees
        assert_eq!((b.relation, b.scope), (Relation::Direct, Scope::Runtime));
        assert_eq!(p.source.roots[0].dependencies.len(), 2);
    }

    const V9: &str = "lockfileVersion: '9.0'

settings:
  autoInstallPeers: true

importers:

  .:
    devDependencies:
      '@s/a':
        specifier: ^1.0.0
        version: 1.0.0(b@2.0.0)
      w:
        specifier: workspace:*
        version: link:packages/w

  packages/w:
    dependencies:
      b:
        specifier: ^2.0.0
        version: 2.0.0
      v:
        specifier: link:../../vendor/v
        version: link:../../vendor/v

packages:

  '@s/a@1.0.0':
    resolution: {integrity: sha512-aaa==}
    peerDependencies:
      b: ^2.0.0

  b@2.0.0:
    resolution: {integrity: sha512-bbb==}

  fsevents@2.3.3:
    resolution: {integrity: sha512-fff==}
    engines: {node: ^8.16.0 || ^10.6.0 || >=11.0.0}
    os: [darwin]

  t@https://example.com/t.tgz:
    resolution: {tarball: https://example.com/t.tgz}
    version: 1.2.3

snapshots:

  '@s/a@1.0.0(b@2.0.0)':
    dependencies:
      b: 2.0.0
      t: https://example.com/t.tgz
    optionalDependencies:
      fsevents: 2.3.3

  b@2.0.0: {}

  fsevents@2.3.3:
    optional: true

  t@https://example.com/t.tgz: {}
";

    #[test]
    fn v9_lockfile() {
        let p = run(V9);
        let s = &p.source;
        let a = get(&p, "@s/a", "1.0.0");
        assert_eq!(a.line(), Some(28));
        assert_eq!((a.relation, a.scope), (Relation::Direct, Scope::Dev));
        assert_eq!(
            a.dependencies,
            [
                "pkg:npm/b@2.0.0",
                "pkg:npm/fsevents@2.3.3",
                "pkg:npm/t@1.2.3"
            ]
        );
        let b = get(&p, "b", "2.0.0");
        assert_eq!(b.line(), Some(33));
        assert_eq!((b.relation, b.scope), (Relation::Direct, Scope::Runtime));
        let f = get(&p, "fsevents", "2.3.3");
        assert_eq!((f.relation, f.scope), (Relation::Transitive, Scope::Dev));
        let t = get(&p, "t", "1.2.3");
        assert_eq!(
            t.resolution,
            Resolution::Url {
                url: "https://example.com/t.tgz".into()
            }
        );
        let v = get(&p, "v", "");
        assert_eq!(
            v.resolution,
            Resolution::Path {
                path: "vendor/v".into()
            }
        );
        assert_eq!(v.line(), Some(22));
        assert_eq!(s.roots.len(), 2);
        assert_eq!(s.roots[0].dependencies, ["pkg:npm/%40s/a@1.0.0"]);
        assert_eq!(s.roots[1].dependencies.len(), 2);
        assert_eq!(t.relation, Relation::Transitive);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    #[test]
    fn v9_optional_flag_lowers_runtime() {
        let t = "lockfileVersion: '9.0'
importers:
  .:
    dependencies:
      a:
        specifier: ^1
        version: 1.0.0
packages:
  a@1.0.0:
    resolution: {integrity: sha512-a}
  o@1.0.0:
    resolution: {integrity: sha512-o}
snapshots:
  a@1.0.0:
    dependencies:
      o: 1.0.0
  o@1.0.0:
    optional: true
";
        let p = run(t);
        assert_eq!(get(&p, "o", "1.0.0").scope, Scope::Optional);
        assert_eq!(get(&p, "a", "1.0.0").scope, Scope::Runtime);
    }

    #[test]
    fn errors() {
        assert!(parse(&Input::new("p", "- a\n")).is_err());
        let e = parse(&Input::new(
            "p",
            "lockfileVersion: 5.4\npackages:\n  /a/1.0.0: {x: [\n",
        ))
        .unwrap_err();
        assert!(e.line.is_some());
        let p = run(
            "lockfileVersion: 5.4\npackages:\n  /a/1.0.0: 5\n  nokey: {}\n  /b/1.0.0:\n    dependencies: 7\n",
        );
        assert_eq!(p.warnings.len(), 2);
        assert_eq!(p.source.packages.len(), 1);
        let p = run("packages:\n  /a/1.0.0: {}\n");
        assert_eq!(p.source.packages.len(), 1);
        assert_eq!(p.warnings.len(), 1);
    }
}
