//! `bun.lock`, bun's text lockfile (JSONC: trailing commas allowed),
//! lockfileVersion 0, 1 and 2. See docs/formats/npm.md.

use crate::fxhash::HashMap;
use std::borrow::Cow;

use patchloop_model::{Ecosystem, Resolution, Root, Scope, SourceFile};
use serde::Deserialize;

use super::json::{for_each_key, pretty_section_keys, strip_jsonc};
use super::shared::{
    Lenient, LenientSeq, OptionalEdges, Ordered, RawManifest, apply_graph, classify_source,
    dep_names, npm_package, split_ident,
};
use crate::error::ParseError;
use crate::formats::common::PackageSet;
use crate::input::{Input, ParseResult, Parsed};

#[derive(Deserialize)]
struct Lock<'a> {
    #[serde(default, rename = "lockfileVersion")]
    lockfile_version: Option<serde_json::Value>,
    /// Path → the member's `package.json` fields.
    #[serde(borrow, default)]
    workspaces: Ordered<'a, Lenient<RawManifest<'a>>>,
    #[serde(borrow, default)]
    packages: Ordered<'a, LenientSeq<Vec<Item<'a>>>>,
}

/// One element of a `packages` tuple.
enum Item<'a> {
    Str(Cow<'a, str>),
    /// The package's dependency lists, shaped like its `package.json`.
    Info(RawManifest<'a>),
    Other,
}

impl<'de: 'a, 'a> Deserialize<'de> for Item<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Item<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or an object")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Item::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Item::Str(Cow::Owned(v.to_string())))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                a: A,
            ) -> Result<Self::Value, A::Error> {
                RawManifest::deserialize(serde::de::value::MapAccessDeserializer::new(a))
                    .map(Item::Info)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Self::Value, A::Error> {
                while a.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Item::Other)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Item::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Item::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Item::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Item::Other)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Item::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// A `packages` key split into package names: `a/@s/b/c` → [a, @s/b, c].
fn key_segments(key: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = key;
    while !rest.is_empty() {
        let end = if rest.starts_with('@') {
            match rest.find('/') {
                Some(i) => rest
                    .get(i + 1..)
                    .and_then(|r| r.find('/'))
                    .map_or(rest.len(), |j| i + 1 + j),
                None => rest.len(),
            }
        } else {
            rest.find('/').unwrap_or(rest.len())
        };
        out.push(&rest[..end]);
        rest = rest.get(end + 1..).unwrap_or("");
    }
    out
}

enum Node {
    Package(String),
    /// A workspace member or the root: not a package.
    Workspace,
}

/// Resolve `dep` as seen from the package at `key` (bun nests a package
/// under its parent's key, `parent/dep`, when the hoisted one does not fit).
fn resolve<'n>(nodes: &'n HashMap<&str, Node>, from: &[&str], dep: &str) -> Option<&'n Node> {
    for n in (0..=from.len()).rev() {
        let mut k = from[..n].join("/");
        if !k.is_empty() {
            k.push('/');
        }
        k.push_str(dep);
        if let Some(node) = nodes.get(k.as_str()) {
            return Some(node);
        }
    }
    None
}

pub fn parse(input: &Input) -> ParseResult {
    let text = strip_jsonc(input.text);
    let lock: Lock = serde_json::from_str(&text).map_err(|e| ParseError::json(&e))?;
    if lock.lockfile_version.is_none() && lock.packages.is_empty() && lock.workspaces.is_empty() {
        return Err(ParseError::new(
            "not a bun.lock: no `lockfileVersion`, `workspaces` or `packages`",
        ));
    }
    let mut source = SourceFile::new(input.display, "bun-lock", Ecosystem::NPM);
    source.format_version = match &lock.lockfile_version {
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    let mut parsed = Parsed::new(source);
    let mut lines: HashMap<Cow<str>, u32> =
        HashMap::with_capacity_and_hasher(lock.packages.len(), Default::default());
    match pretty_section_keys(&text, "packages") {
        Some(found) if found.len() == lock.packages.len() => lines.extend(found),
        _ => for_each_key(&text, |path, key, line| {
            if path.len() == 1 && path[0] == "packages" {
                lines.entry(key.clone()).or_insert(line);
            }
        }),
    }

    let mut set = PackageSet::new();
    let mut nodes: HashMap<&str, Node> =
        HashMap::with_capacity_and_hasher(lock.packages.len(), Default::default());
    let mut infos: Vec<(&str, &RawManifest)> = Vec::new();
    for (key, value) in lock.packages.iter() {
        let line = lines.get(key).copied();
        let items = match value {
            LenientSeq::Ok(items) => items,
            _ => {
                parsed.warn(line, format!("package `{key}` is not an array: skipped"));
                continue;
            }
        };
        let Some((name, reference)) = (match items.first() {
            Some(Item::Str(ident)) => split_ident(ident),
            _ => None,
        }) else {
            parsed.warn(
                line,
                format!("package `{key}` has no `name@version`: skipped"),
            );
            continue;
        };
        if reference.starts_with("workspace:") || reference.starts_with("root:") {
            nodes.insert(key, Node::Workspace);
            continue;
        }
        let is_http = reference.starts_with("http://") || reference.starts_with("https://");
        let (version, resolution) = match classify_source(reference) {
            Some(r) => ("", Some(r)),
            None if is_http => (
                "",
                Some(Resolution::Url {
                    url: reference.to_string(),
                }),
            ),
            None => (reference, None),
        };
        let mut p = npm_package(
            name,
            version,
            resolution.clone(),
            input,
            line,
            Scope::Runtime,
        );
        if resolution.is_none()
            && let Some(Item::Str(i)) = items.get(3)
            && !i.is_empty()
        {
            p.checksums.push(i.to_string());
        }
        nodes.insert(key, Node::Package(set.insert(p)));
        if let Some(info) = items.iter().find_map(|i| match i {
            Item::Info(d) => Some(d),
            _ => None,
        }) {
            infos.push((key, info));
        }
    }

    // Edges.
    let mut optional_edges = OptionalEdges::default();
    let mut unresolved = 0usize;
    for (key, info) in &infos {
        let Some(Node::Package(id)) = nodes.get(key) else {
            continue;
        };
        let from = key_segments(key);
        let mut deps = Vec::new();
        for (list, kind) in [
            (&info.dependencies, 0),
            (&info.optional_dependencies, 1),
            (&info.peer_dependencies, 2),
        ] {
            for dep in dep_names(list) {
                match resolve(&nodes, &from, dep) {
                    Some(Node::Package(d)) => {
                        if kind == 1 {
                            optional_edges
                                .entry(id.clone())
                                .or_default()
                                .insert(d.clone());
                        }
                        deps.push(d.clone());
                    }
                    Some(Node::Workspace) => {}
                    None => unresolved += usize::from(kind == 0),
                }
            }
        }
        let id = id.clone();
        if let Some(p) = set.get_mut(&id) {
            p.dependencies.extend(deps);
        }
    }

    // Workspaces: roots and direct dependencies.
    let empty = RawManifest::default();
    let mut direct: Vec<(String, Scope)> = Vec::new();
    for (path, value) in lock.workspaces.iter() {
        let ws = match value {
            Lenient::Ok(ws) => ws,
            _ => {
                parsed.warn(
                    None,
                    format!("workspace `{path}` is not an object: skipped"),
                );
                &empty
            }
        };
        let name = ws
            .name
            .as_deref()
            .map(str::to_string)
            .unwrap_or_else(|| path.rsplit('/').next().unwrap_or(path).to_string());
        let mut root = Root {
            name: name.clone(),
            version: ws.version.as_deref().unwrap_or("").to_string(),
            path: (!path.is_empty()).then(|| path.to_string()),
            dependencies: Vec::new(),
        };
        // Packages nested for this member are keyed under its name.
        let from: Vec<&str> = if path.is_empty() {
            Vec::new()
        } else {
            key_segments(&name)
        };
        for (list, scope) in ws.dep_lists() {
            for dep in dep_names(list) {
                match resolve(&nodes, &from, dep) {
                    Some(Node::Package(id)) => {
                        direct.push((id.clone(), scope));
                        root.dependencies.push(id.clone());
                    }
                    Some(Node::Workspace) => {}
                    None => unresolved += usize::from(scope != Scope::Optional),
                }
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

    /// Shaped like `bun install` output (bun 1.2, lockfileVersion 1):
    /// trailing commas, blank lines between packages, nested keys.
    pub(crate) const BUN_LOCK: &str = r#"{
  "lockfileVersion": 1,
  "workspaces": {
    "": {
      "name": "app",
      "dependencies": {
        "chalk": "^4.1.2",
        "is-cjs": "npm:is-number@^7.0.0",
        "lib": "workspace:*",
        "local": "file:./vendor/local",
      },
      "devDependencies": {
        "@types/node": "^20.0.0",
        "tool": "github:owner/tool#v1",
      },
      "optionalDependencies": {
        "fsevents": "^2.3.3",
      },
    },
    "packages/lib": {
      "name": "lib",
      "version": "0.2.0",
      "dependencies": {
        "supports-color": "^8.0.0",
      },
    },
  },
  "packages": {
    "@types/node": ["@types/node@20.11.5", "", { "dependencies": { "undici-types": "~5.26.4" } }, "sha512-nnn=="],

    "chalk": ["chalk@4.1.2", "", { "dependencies": { "ansi-styles": "^4.1.0", "supports-color": "^7.1.0" } }, "sha512-ccc=="],

    "fsevents": ["fsevents@2.3.3", "", { "os": "darwin" }, "sha512-fff=="],

    "is-cjs": ["is-number@7.0.0", "", {}, "sha512-iii=="],

    "lib": ["lib@workspace:packages/lib"],

    "local": ["local@file:vendor/local", { "dependencies": { "chalk": "^4.0.0" } }],

    "supports-color": ["supports-color@7.2.0", "", { "dependencies": { "has-flag": "^4.0.0" } }, "sha512-sss=="],

    "tool": ["tool@github:owner/tool#0a1b2c3", { "dependencies": { "tar-dep": "https://example.com/tar-dep-1.0.0.tgz" } }, "owner-tool-0a1b2c3"],

    "tar-dep": ["tar-dep@https://example.com/tar-dep-1.0.0.tgz", {}],

    "ansi-styles": ["ansi-styles@4.3.0", "", {}, "sha512-aaa=="],

    "undici-types": ["undici-types@5.26.5", "", {}, "sha512-uuu=="],

    "lib/supports-color": ["supports-color@8.1.1", "", { "dependencies": { "has-flag": "^4.0.0" } }, "sha512-s88=="],

    "has-flag": ["has-flag@4.0.0", "", {}, "sha512-hhh=="],
  }
}
"#;

    #[test]
    fn bun_lock() {
        let p = parse(&Input::new("bun.lock", BUN_LOCK)).unwrap();
        let s = &p.source;
        assert_eq!(s.format_version.as_deref(), Some("1"));
        let names: Vec<String> = s
            .packages
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        assert_eq!(
            names,
            [
                "@types/node@20.11.5",
                "ansi-styles@4.3.0",
                "chalk@4.1.2",
                "fsevents@2.3.3",
                "has-flag@4.0.0",
                "is-number@7.0.0",
                "local@",
                "supports-color@7.2.0",
                "supports-color@8.1.1",
                "tar-dep@",
                "tool@",
                "undici-types@5.26.5",
            ]
        );
        let chalk = get(&p, "chalk", "4.1.2");
        assert_eq!(chalk.line(), Some(31));
        assert_eq!(chalk.purl, "pkg:npm/chalk@4.1.2");
        assert_eq!(chalk.checksums, ["sha512-ccc=="]);
        assert_eq!(
            (chalk.relation, chalk.scope),
            (Relation::Direct, Scope::Runtime)
        );
        assert_eq!(
            chalk.dependencies,
            ["pkg:npm/ansi-styles@4.3.0", "pkg:npm/supports-color@7.2.0"]
        );
        let alias = get(&p, "is-number", "7.0.0");
        assert_eq!(alias.relation, Relation::Direct);
        assert_eq!(alias.line(), Some(35));
        let node = get(&p, "@types/node", "20.11.5");
        assert_eq!((node.relation, node.scope), (Relation::Direct, Scope::Dev));
        let ut = get(&p, "undici-types", "5.26.5");
        assert_eq!((ut.relation, ut.scope), (Relation::Transitive, Scope::Dev));
        assert_eq!(get(&p, "fsevents", "2.3.3").scope, Scope::Optional);
        let tool = get(&p, "tool", "");
        assert_eq!(
            tool.resolution,
            Resolution::Vcs {
                url: "github:owner/tool".into(),
                rev: Some("0a1b2c3".into())
            }
        );
        assert!(tool.checksums.is_empty());
        assert_eq!(tool.dependencies, ["pkg:npm/tar-dep"]);
        assert_eq!(
            get(&p, "tar-dep", "").resolution,
            Resolution::Url {
                url: "https://example.com/tar-dep-1.0.0.tgz".into()
            }
        );
        let local = get(&p, "local", "");
        assert_eq!(
            local.resolution,
            Resolution::Path {
                path: "vendor/local".into()
            }
        );
        assert_eq!(local.dependencies, ["pkg:npm/chalk@4.1.2"]);
        // the workspace member gets its nested supports-color 8
        let s8 = get(&p, "supports-color", "8.1.1");
        assert_eq!(s8.line(), Some(51));
        assert_eq!((s8.relation, s8.scope), (Relation::Direct, Scope::Runtime));
        assert_eq!(s8.dependencies, ["pkg:npm/has-flag@4.0.0"]);
        assert_eq!(s.roots.len(), 2);
        assert_eq!(s.roots[0].name, "app");
        assert_eq!(s.roots[0].dependencies.len(), 6);
        assert_eq!(s.roots[1].name, "lib");
        assert_eq!(s.roots[1].version, "0.2.0");
        assert_eq!(s.roots[1].path.as_deref(), Some("packages/lib"));
        assert_eq!(s.roots[1].dependencies, ["pkg:npm/supports-color@8.1.1"]);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    #[test]
    fn segments() {
        assert_eq!(key_segments("a/@s/b/c"), ["a", "@s/b", "c"]);
        assert_eq!(key_segments("@s/b"), ["@s/b"]);
        assert_eq!(key_segments("@s"), ["@s"]);
        assert_eq!(key_segments("a//b"), ["a", "", "b"]);
        assert!(key_segments("").is_empty());
        assert_eq!(key_segments("é/@ü/x"), ["é", "@ü/x"]);
    }

    #[test]
    fn odd_input() {
        let e = parse(&Input::new(
            "bun.lock",
            "{\n  \"packages\": {\n    \"a\": [\"a@1\",\n",
        ))
        .unwrap_err();
        assert!(e.line.is_some());
        assert!(parse(&Input::new("bun.lock", "[]")).is_err());
        let p = parse(&Input::new(
            "bun.lock",
            "{\"packages\": {\"a\": 5, \"b\": [], \"c\": [7], \"d\": [\"d@1.0.0\", \"\", 5, 6],},}",
        ))
        .unwrap();
        assert_eq!(p.source.packages.len(), 1);
        assert_eq!(p.warnings.len(), 3);
        assert!(parse(&Input::new("bun.lock", "{} // empty\n")).is_err());
        let p = parse(&Input::new(
            "bun.lock",
            "{\"lockfileVersion\": 1} // empty\n",
        ))
        .unwrap();
        assert!(p.source.packages.is_empty());
    }
}
