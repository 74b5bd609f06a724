//! C/C++ Conan: `conan.lock`.
//!
//! - Conan 2 (`"version": "0.5"`): flat lists of references,
//!   `requires` (runtime), `build_requires`, `python_requires` and
//!   `config_requires` (build), e.g. `"zlib/1.2.13#<rrev>%<timestamp>"`.
//! - Conan 1 (`"version": "0.2"`..`"0.4"`): `graph_lock.nodes`, a map of
//!   node id → `{ref|pref, requires, build_requires, python_requires,
//!   context}`; node `"0"` is the project itself.

use crate::fxhash::{HashMap, HashSet};

use packageurl::PackageUrl;
use serde::Deserialize;
use serde_json::Value;

use patchloop_model::{Ecosystem, Package, Root, Scope, SourceFile};

use crate::error::ParseError;
use crate::formats::common::{PackageSet, propagate};
use crate::formats::composer::{array_item_lines, object_key_lines};
use crate::input::{Input, ParseResult, Parsed};

/// A Conan reference `name/version[@user[/channel]][#rrev][%ts][:pkgid[#prev]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConanRef {
    pub name: String,
    pub version: String,
    pub user: Option<String>,
    pub channel: Option<String>,
    pub revision: Option<String>,
}

/// Split a reference; `None` when there is no `name/version`.
pub fn parse_ref(s: &str) -> Option<ConanRef> {
    let s = s.trim();
    let s = s.split(':').next().unwrap_or(s);
    let s = s.split('%').next().unwrap_or(s);
    let (s, revision) = match s.split_once('#') {
        Some((a, r)) => (a, Some(r.to_string()).filter(|r| !r.is_empty())),
        None => (s, None),
    };
    let (nv, uc) = match s.split_once('@') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let (name, version) = nv.split_once('/')?;
    if name.is_empty() || version.is_empty() || version.contains('/') {
        return None;
    }
    let (user, channel) = match uc {
        Some(uc) => match uc.split_once('/') {
            Some((u, c)) => (Some(u), Some(c)),
            None => (Some(uc), None),
        },
        None => (None, None),
    };
    let keep = |x: Option<&str>| x.filter(|x| !x.is_empty() && *x != "_").map(str::to_string);
    Some(ConanRef {
        name: name.to_string(),
        version: version.to_string(),
        user: keep(user),
        channel: keep(channel),
        revision,
    })
}

/// The package of a reference; user and channel become purl qualifiers.
fn conan_package(r: &ConanRef) -> Package {
    let mut p = Package::new(Ecosystem::CONAN_CENTER, r.name.clone(), r.version.clone());
    if (r.user.is_some() || r.channel.is_some())
        && let Ok(mut purl) = PackageUrl::new("conan", r.name.as_str())
    {
        purl.with_version(r.version.as_str());
        let mut ok = true;
        if let Some(u) = &r.user {
            ok &= purl.add_qualifier("user", u.as_str()).is_ok();
        }
        if let Some(c) = &r.channel {
            ok &= purl.add_qualifier("channel", c.as_str()).is_ok();
        }
        if ok {
            p.purl = purl.to_string();
            p.id = p.purl.clone();
        }
    }
    p
}

#[derive(Deserialize)]
struct V2<'a> {
    #[serde(default)]
    version: Option<Value>,
    #[serde(default)]
    graph_lock: Option<GraphLock>,
    #[serde(borrow, default)]
    requires: Option<Vec<std::borrow::Cow<'a, str>>>,
    #[serde(borrow, default)]
    build_requires: Option<Vec<std::borrow::Cow<'a, str>>>,
    #[serde(borrow, default)]
    python_requires: Option<Vec<std::borrow::Cow<'a, str>>>,
    #[serde(borrow, default)]
    config_requires: Option<Vec<std::borrow::Cow<'a, str>>>,
}

#[derive(Deserialize)]
struct GraphLock {
    #[serde(default)]
    nodes: serde_json::Map<String, Value>,
}

/// Parse a `conan.lock`.
pub fn parse(input: &Input) -> ParseResult {
    let mut parsed = Parsed::new(SourceFile::new(
        input.display,
        "conan-lock",
        Ecosystem::CONAN_CENTER,
    ));
    if !input.text.trim_start().starts_with('{') {
        return Err(ParseError::new("not a conan.lock: expected a JSON object"));
    }
    let lock: V2 = serde_json::from_str(input.text).map_err(|e| ParseError::json(&e))?;
    parsed.source.format_version = match &lock.version {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    if let Some(g) = lock.graph_lock {
        parse_v1(input, &mut parsed, g);
        return Ok(parsed);
    }
    if lock.requires.is_none() && lock.build_requires.is_none() && lock.python_requires.is_none() {
        return Err(ParseError::new(
            "not a conan.lock: no `requires` (Conan 2) or `graph_lock` (Conan 1)",
        ));
    }
    let mut set = PackageSet::new();
    for (key, list, scope) in [
        ("requires", &lock.requires, Scope::Runtime),
        ("build_requires", &lock.build_requires, Scope::Build),
        ("python_requires", &lock.python_requires, Scope::Build),
        ("config_requires", &lock.config_requires, Scope::Build),
    ] {
        let Some(list) = list else { continue };
        let lines = array_item_lines(input.text, &[key], None);
        for (i, s) in list.iter().enumerate() {
            let line = lines.get(i).copied();
            let Some(r) = parse_ref(s) else {
                parsed.warn(
                    line,
                    format!("`{s}` is not a `name/version` reference; skipped"),
                );
                continue;
            };
            set.insert(
                conan_package(&r)
                    .with_scope(scope)
                    .with_location(input.display, line),
            );
        }
    }
    parsed.source.packages = set.into_sorted();
    Ok(parsed)
}

/// Node ids listed under `key`: a list of ids (0.3, 0.4) or an object
/// `{ref: id}` (0.2).
fn node_ids(node: &Value, key: &str) -> Vec<String> {
    match node.get(key) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Some(Value::Object(o)) => o
            .values()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn parse_v1(input: &Input, parsed: &mut Parsed, g: GraphLock) {
    let lines: HashMap<String, u32> = object_key_lines(input.text, &["graph_lock", "nodes"])
        .into_iter()
        .rev()
        .collect();
    let mut set = PackageSet::new();
    let mut id_of_node: HashMap<&str, String> = HashMap::default();
    // Package ids with a node in the host context (not only build tools).
    let mut host_ids: HashSet<String> = HashSet::default();
    let mut build_ids: HashSet<String> = HashSet::default();
    let mut root: Option<Root> = None;
    for (nid, node) in &g.nodes {
        let line = lines.get(nid).copied();
        let reference = node
            .get("ref")
            .and_then(Value::as_str)
            .or_else(|| node.get("pref").and_then(Value::as_str));
        if nid == "0" {
            let name = reference
                .and_then(parse_ref)
                .map(|r| (r.name, r.version))
                .or_else(|| {
                    node.get("path")
                        .and_then(Value::as_str)
                        .map(|p| (p.to_string(), String::new()))
                })
                .unwrap_or_else(|| ("conanfile".to_string(), String::new()));
            root = Some(Root {
                name: name.0,
                version: name.1,
                path: node.get("path").and_then(Value::as_str).map(str::to_string),
                dependencies: Vec::new(),
            });
            continue;
        }
        let Some(r) = reference.and_then(parse_ref) else {
            parsed.warn(
                line,
                format!("node {nid}: no `name/version` reference; skipped"),
            );
            continue;
        };
        let id = set.insert(conan_package(&r).with_location(input.display, line));
        if node.get("context").and_then(Value::as_str) == Some("build") {
            build_ids.insert(id.clone());
        } else {
            host_ids.insert(id.clone());
        }
        id_of_node.insert(nid.as_str(), id);
    }
    // python_requires are references (0.4) or node ids.
    let mut py_edges: Vec<(String, Vec<String>)> = Vec::new();
    let mut py_direct: Vec<String> = Vec::new();
    for (nid, node) in &g.nodes {
        let mut ids = Vec::new();
        for s in node_ids(node, "python_requires") {
            if let Some(id) = id_of_node.get(s.as_str()) {
                ids.push(id.clone());
            } else if let Some(r) = parse_ref(&s) {
                let line = lines.get(nid).copied();
                let id = set.insert(
                    conan_package(&r)
                        .with_scope(Scope::Build)
                        .with_location(input.display, line),
                );
                build_ids.insert(id.clone());
                ids.push(id);
            }
        }
        if nid == "0" {
            py_direct.extend(ids);
        } else if let Some(id) = id_of_node.get(nid.as_str()) {
            py_edges.push((id.clone(), ids));
        }
    }
    for (nid, node) in &g.nodes {
        let deps: Vec<String> = node_ids(node, "requires")
            .into_iter()
            .chain(node_ids(node, "build_requires"))
            .filter_map(|d| id_of_node.get(d.as_str()).cloned())
            .collect();
        if let Some(id) = id_of_node.get(nid.as_str())
            && let Some(p) = set.get_mut(id)
        {
            p.dependencies.extend(deps);
        }
    }
    for (id, ids) in py_edges {
        if let Some(p) = set.get_mut(&id) {
            p.dependencies.extend(ids);
        }
    }
    let mut direct: Vec<(String, Scope)> = Vec::new();
    if let Some(n0) = g.nodes.get("0") {
        for (key, scope) in [
            ("requires", Scope::Runtime),
            ("build_requires", Scope::Build),
        ] {
            for d in node_ids(n0, key) {
                if let Some(id) = id_of_node.get(d.as_str()) {
                    direct.push((id.clone(), scope));
                }
            }
        }
    }
    direct.extend(py_direct.into_iter().map(|id| (id, Scope::Build)));
    propagate(&mut set, &direct);
    // A node in the build context is a build tool wherever it is reached.
    for p in set.iter_mut() {
        if build_ids.contains(&p.id) && !host_ids.contains(&p.id) {
            p.scope = Scope::Build;
        }
    }
    if let Some(mut r) = root {
        let mut deps: Vec<String> = direct.into_iter().map(|(id, _)| id).collect();
        deps.sort();
        deps.dedup();
        r.dependencies = deps;
        parsed.source.roots.push(r);
    }
    parsed.source.packages = set.into_sorted();
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchloop_model::Relation;

    const V2: &str = r#"{
    "version": "0.5",
    "requires": [
        "zlib/1.2.13#13c96f538b52e1600c40b88994de240f%1667396813.733",
        "openssl/3.0.8#a5d6cd4b3f6a8b1d7e2c4f3e2a1b0c9d%1678795893.123",
        "mylib/2.0@acme/stable#0123456789abcdef0123456789abcdef%1690000000.0"
    ],
    "build_requires": [
        "cmake/3.25.3#0123abcd%1675278126.071",
        "zlib/1.2.13#13c96f538b52e1600c40b88994de240f%1667396813.733"
    ],
    "python_requires": [
        "pyreq/1.0#ffff%1"
    ],
    "config_requires": [],
    "overrides": {}
}
"#;

    const V1: &str = r#"{
 "graph_lock": {
  "nodes": {
   "0": {
    "options": "",
    "requires": [
     "1",
     "3"
    ],
    "build_requires": [
     "4"
    ],
    "path": "../conanfile.txt",
    "context": "host"
   },
   "1": {
    "ref": "openssl/1.1.1k#deadbeef",
    "options": "shared=False",
    "package_id": "6af9cc7cb931c5ad942174fd7838eb655717c709",
    "prev": "0",
    "requires": [
     "2"
    ],
    "context": "host"
   },
   "2": {
    "ref": "zlib/1.2.11",
    "context": "host"
   },
   "3": {
    "ref": "fmt/8.0.0@user/testing",
    "python_requires": ["pyreq/0.1#abc"],
    "context": "host"
   },
   "4": {
    "ref": "cmake/3.21.3",
    "requires": ["5"],
    "context": "build"
   },
   "5": {
    "ref": "openssl/1.1.1l",
    "context": "build"
   },
   "6": {
    "options": "orphan without ref"
   }
  },
  "revisions_enabled": true
 },
 "version": "0.4",
 "profile_host": "[settings]\narch=x86_64\n"
}
"#;

    fn find<'a>(p: &'a Parsed, id: &str) -> &'a Package {
        p.source
            .packages
            .iter()
            .find(|x| x.id == id)
            .unwrap_or_else(|| panic!("{id} missing"))
    }

    #[test]
    fn refs() {
        let r = parse_ref("mylib/2.0@acme/stable#abc%123").unwrap();
        assert_eq!(r.name, "mylib");
        assert_eq!(r.version, "2.0");
        assert_eq!(r.user.as_deref(), Some("acme"));
        assert_eq!(r.channel.as_deref(), Some("stable"));
        assert_eq!(r.revision.as_deref(), Some("abc"));
        let r = parse_ref("zlib/1.2.11#rrev:6af9cc7#prev").unwrap();
        assert_eq!((r.name.as_str(), r.version.as_str()), ("zlib", "1.2.11"));
        assert_eq!(parse_ref("zlib/1.2.11@_/_").unwrap().user, None);
        assert!(parse_ref("zlib").is_none());
        assert!(parse_ref("/1.0").is_none());
        assert!(parse_ref("a/b/c").is_none());
    }

    #[test]
    fn conan2() {
        let p = parse(&Input::new("conan.lock", V2)).unwrap();
        assert_eq!(p.source.format_version.as_deref(), Some("0.5"));
        assert_eq!(p.source.packages.len(), 5);
        let z = find(&p, "pkg:conan/zlib@1.2.13");
        assert_eq!(z.scope, Scope::Runtime);
        assert_eq!(z.line(), Some(4));
        assert_eq!(z.locations.len(), 2);
        assert_eq!(z.relation, Relation::Unknown);
        let m = find(&p, "pkg:conan/mylib@2.0?channel=stable&user=acme");
        assert_eq!(m.name, "mylib");
        assert_eq!(m.line(), Some(6));
        let c = find(&p, "pkg:conan/cmake@3.25.3");
        assert_eq!(c.scope, Scope::Build);
        assert_eq!(c.line(), Some(9));
        assert_eq!(find(&p, "pkg:conan/pyreq@1.0").scope, Scope::Build);
    }

    #[test]
    fn conan1() {
        let p = parse(&Input::new("conan.lock", V1)).unwrap();
        assert_eq!(p.source.format_version.as_deref(), Some("0.4"));
        assert_eq!(p.source.packages.len(), 6, "{:#?}", p.source.packages);
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, Some(44));
        let root = &p.source.roots[0];
        assert_eq!(root.name, "../conanfile.txt");
        assert_eq!(root.dependencies.len(), 3);
        let o = find(&p, "pkg:conan/openssl@1.1.1k");
        assert_eq!(o.relation, Relation::Direct);
        assert_eq!(o.scope, Scope::Runtime);
        assert_eq!(o.line(), Some(16));
        assert_eq!(o.dependencies, vec!["pkg:conan/zlib@1.2.11".to_string()]);
        let z = find(&p, "pkg:conan/zlib@1.2.11");
        assert_eq!(z.relation, Relation::Transitive);
        assert_eq!(z.line(), Some(26));
        let f = find(&p, "pkg:conan/fmt@8.0.0?channel=testing&user=user");
        assert_eq!(f.dependencies, vec!["pkg:conan/pyreq@0.1".to_string()]);
        let py = find(&p, "pkg:conan/pyreq@0.1");
        assert_eq!(py.scope, Scope::Build);
        let cm = find(&p, "pkg:conan/cmake@3.21.3");
        assert_eq!(cm.scope, Scope::Build);
        assert_eq!(cm.relation, Relation::Direct);
        let ob = find(&p, "pkg:conan/openssl@1.1.1l");
        assert_eq!(ob.scope, Scope::Build);
        assert_eq!(ob.relation, Relation::Transitive);
    }

    #[test]
    fn conan1_v02_pref_and_map_requires() {
        let t = r#"{"graph_lock": {"nodes": {
            "0": {"pref": null, "requires": {"zlib/1.2.11#419994c54789da229ef991be6c2563b3": "1"}, "path": "conanfile.txt"},
            "1": {"pref": "zlib/1.2.11#419994c54789da229ef991be6c2563b3:6af9cc7cb931c5ad942174fd7838eb655717c709#4c5a825d90e0aec90feebe62f3e60a7b"}
        }}, "version": "0.2"}"#;
        let p = parse(&Input::new("conan.lock", t)).unwrap();
        assert_eq!(p.source.packages.len(), 1);
        assert_eq!(p.source.packages[0].relation, Relation::Direct);
        assert_eq!(p.source.packages[0].version, "1.2.11");
    }

    #[test]
    fn bad_input() {
        assert!(parse(&Input::new("conan.lock", "{}")).is_err());
        assert!(parse(&Input::new("conan.lock", "[]")).is_err());
        assert!(parse(&Input::new("conan.lock", "{\"requires\": [")).is_err());
        let p = parse(&Input::new(
            "conan.lock",
            "{\"requires\": [\"nonsense\", \"a/1\"]}",
        ))
        .unwrap();
        assert_eq!(p.source.packages.len(), 1);
        assert_eq!(p.warnings.len(), 1);
    }
}
