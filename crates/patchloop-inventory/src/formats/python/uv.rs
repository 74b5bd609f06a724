//! `uv.lock` (`version = 1`, any `revision`).
//!
//! The project (`source = { editable = "." }` or `{ virtual = "." }`) and
//! the workspace members of `[manifest] members` are roots; their
//! `dependencies` are direct runtime dependencies, `optional-dependencies`
//! direct optional ones and `dev-dependencies` (dependency groups) direct
//! dev ones. Scope and relation of everything else follow the edges.

use crate::fxhash::HashSet;
use std::collections::BTreeMap;

use patchloop_model::{Ecosystem, Resolution, Root, Scope, SourceFile, pep503_normalize};
use serde::Deserialize;
use toml::{Spanned, Value};

use super::project::{NameIndex, dir_name, entry_name, locked_package};
use super::tomlscan;
use crate::formats::Format;
use crate::formats::common::{PackageSet, propagate};
use crate::input::{Input, ParseResult, Parsed};

#[derive(Deserialize)]
struct Lock {
    version: Option<Value>,
    revision: Option<Value>,
    #[serde(default)]
    package: Vec<UvPackage>,
    #[serde(default)]
    manifest: Manifest,
}

#[derive(Deserialize, Default)]
struct Manifest {
    #[serde(default)]
    members: Vec<String>,
    /// Requirements of a workspace root without a `[project]`.
    #[serde(default)]
    requirements: Vec<DepRef>,
    #[serde(default, rename = "dependency-groups")]
    dependency_groups: BTreeMap<String, Vec<DepRef>>,
}

#[derive(Deserialize)]
struct UvPackage {
    name: Spanned<String>,
    version: Option<String>,
    #[serde(default)]
    source: UvSource,
    #[serde(default)]
    dependencies: Vec<DepRef>,
    #[serde(default, rename = "optional-dependencies")]
    optional_dependencies: BTreeMap<String, Vec<DepRef>>,
    #[serde(default, rename = "dev-dependencies")]
    dev_dependencies: BTreeMap<String, Vec<DepRef>>,
    sdist: Option<Artifact>,
    #[serde(default)]
    wheels: Vec<Artifact>,
}

#[derive(Deserialize, Default)]
struct UvSource {
    // `registry` (an index URL) needs nothing: the package is exact.
    git: Option<String>,
    url: Option<String>,
    path: Option<String>,
    directory: Option<String>,
    editable: Option<String>,
    #[serde(rename = "virtual")]
    virtual_: Option<String>,
}

#[derive(Deserialize)]
struct DepRef {
    name: String,
    /// Present when the name is locked at several versions.
    version: Option<String>,
}

#[derive(Deserialize)]
struct Artifact {
    hash: Option<String>,
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub fn parse(input: &Input) -> ParseResult {
    let (lock, stripped, lines) =
        tomlscan::parse_lock::<Lock>(input, &["sdist", "wheels"], false, |l| l.package.len())?;
    let mut source = SourceFile::new(input.display, Format::UvLock.id(), Ecosystem::PYPI);
    source.format_version = lock.version.as_ref().map(|v| match &lock.revision {
        Some(r) => format!("{} (revision {})", value_text(v), value_text(r)),
        None => value_text(v),
    });
    let mut parsed = Parsed::new(source);
    let members: HashSet<String> = lock
        .manifest
        .members
        .iter()
        .map(|m| pep503_normalize(m))
        .collect();

    let mut set = PackageSet::new();
    let mut index = NameIndex::default();
    let mut roots: Vec<&UvPackage> = Vec::new();
    let mut entries: Vec<(String, &UvPackage)> = Vec::new();
    for (k, pkg) in lock.package.iter().enumerate() {
        let Some((name, line)) = entry_name(&pkg.name, &lines, &mut parsed) else {
            continue;
        };
        let s = &pkg.source;
        let local = s.editable.as_ref().or(s.virtual_.as_ref());
        if local.is_some_and(|p| p == ".") || members.contains(&pep503_normalize(name)) {
            roots.push(pkg);
            continue;
        }
        let resolution = if let Some(git) = &s.git {
            let (url, rev) = match git.split_once('#') {
                Some((u, r)) => (u, Some(r.to_string())),
                None => (git.as_str(), None),
            };
            let url = url.split('?').next().unwrap_or(url);
            Resolution::Vcs {
                url: url.to_string(),
                rev,
            }
        } else if let Some(url) = &s.url {
            Resolution::Url { url: url.clone() }
        } else if let Some(p) = [&s.path, &s.directory, &s.editable, &s.virtual_]
            .into_iter()
            .flatten()
            .next()
        {
            Resolution::Path { path: p.clone() }
        } else {
            Resolution::Exact
        };
        let version = pkg.version.clone().unwrap_or_default();
        let Some(mut p) =
            locked_package(name, &version, resolution, input.display, line, &mut parsed)
        else {
            continue;
        };
        p.checksums = match stripped.as_ref().and_then(|s| s.hashes(k)) {
            Some(h) => h,
            None => pkg
                .sdist
                .iter()
                .chain(&pkg.wheels)
                .filter_map(|a| a.hash.clone())
                .collect(),
        };
        index.add(name, &version, &p.id);
        entries.push((p.id.clone(), pkg));
        set.insert(p);
    }

    let resolve = |d: &DepRef| match &d.version {
        Some(v) => index.resolve_version(&d.name, v),
        None => index.resolve(&d.name, None),
    };

    // Edges between packages: dependencies and the extras requested of
    // them (uv only records optional-dependencies of non-root packages
    // for extras something asks for).
    for (id, pkg) in &entries {
        let deps: Vec<String> = pkg
            .dependencies
            .iter()
            .chain(pkg.optional_dependencies.values().flatten())
            .flat_map(resolve)
            .collect();
        if let Some(p) = set.get_mut(id) {
            p.dependencies.extend(deps);
        }
    }

    let mut direct: Vec<(String, Scope)> = Vec::new();
    let mut add = |deps: &mut Vec<String>, refs: &[DepRef], scope: Scope| {
        for r in refs {
            for id in resolve(r) {
                deps.push(id.clone());
                direct.push((id, scope));
            }
        }
    };
    let mut out_roots = Vec::new();
    for pkg in &roots {
        let mut deps = Vec::new();
        add(&mut deps, &pkg.dependencies, Scope::Runtime);
        for refs in pkg.optional_dependencies.values() {
            add(&mut deps, refs, Scope::Optional);
        }
        for refs in pkg.dev_dependencies.values() {
            add(&mut deps, refs, Scope::Dev);
        }
        deps.sort();
        deps.dedup();
        let s = &pkg.source;
        out_roots.push(Root {
            name: pkg.name.get_ref().trim().to_string(),
            version: pkg.version.clone().unwrap_or_default(),
            path: [&s.editable, &s.virtual_, &s.directory, &s.path]
                .into_iter()
                .flatten()
                .next()
                .cloned(),
            dependencies: deps,
        });
    }
    // A workspace root without [project] lists its requirements in the
    // manifest.
    let m = &lock.manifest;
    if !m.requirements.is_empty() || !m.dependency_groups.is_empty() {
        let mut deps = Vec::new();
        add(&mut deps, &m.requirements, Scope::Runtime);
        for refs in m.dependency_groups.values() {
            add(&mut deps, refs, Scope::Dev);
        }
        deps.sort();
        deps.dedup();
        out_roots.push(Root {
            name: dir_name(input.display).to_string(),
            version: String::new(),
            path: Some(".".to_string()),
            dependencies: deps,
        });
    }
    propagate(&mut set, &direct);
    parsed.source.roots = out_roots;
    parsed.source.packages = set.into_sorted();
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::python::project::find as get;
    use patchloop_model::Relation;

    const LOCK: &str = r#"version = 1
revision = 2
requires-python = ">=3.10"
resolution-markers = [
    "python_full_version >= '3.12'",
    "python_full_version < '3.12'",
]

[manifest]
members = [
    "app",
    "lib",
]

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "lib" },
    { name = "requests" },
]

[package.optional-dependencies]
socks = [
    { name = "pysocks" },
]

[package.dev-dependencies]
dev = [
    { name = "pytest" },
]

[[package]]
name = "lib"
source = { editable = "packages/lib" }
dependencies = [
    { name = "numpy", version = "1.26.4", source = { registry = "https://pypi.org/simple" }, marker = "python_full_version < '3.12'" },
    { name = "numpy", version = "2.1.0", source = { registry = "https://pypi.org/simple" }, marker = "python_full_version >= '3.12'" },
]

[[package]]
name = "requests"
version = "2.32.3"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "urllib3", extra = ["socks"] },
]
sdist = { url = "https://files.pythonhosted.org/requests-2.32.3.tar.gz", hash = "sha256:55", size = 131218, upload-time = "2024-05-29T15:37:49Z" }
wheels = [
    { url = "https://files.pythonhosted.org/requests-2.32.3-py3-none-any.whl", hash = "sha256:70", size = 64928 },
]

[[package]]
name = "urllib3"
version = "2.2.3"
source = { registry = "https://pypi.org/simple" }

[package.optional-dependencies]
socks = [
    { name = "pysocks" },
]

[[package]]
name = "pysocks"
version = "1.7.1"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "numpy"
version = "1.26.4"
source = { registry = "https://pypi.org/simple" }
resolution-markers = [
    "python_full_version < '3.12'",
]

[[package]]
name = "numpy"
version = "2.1.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pytest"
version = "8.3.3"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "pluggy" },
]

[[package]]
name = "pluggy"
version = "1.5.0"
source = { git = "https://github.com/pytest-dev/pluggy?rev=main#abc123" }

[[package]]
name = "localwheel"
version = "0.3"
source = { path = "wheels/localwheel-0.3-py3-none-any.whl" }

[[package]]
name = "remote"
version = "1.0"
source = { url = "https://example.com/remote-1.0.tar.gz" }

[[package]]
name = "nover"
source = { registry = "https://pypi.org/simple" }
"#;

    #[test]
    fn workspace_roots_scopes_and_forks() {
        let p = parse(&Input::new("uv.lock", LOCK)).unwrap();
        assert_eq!(p.source.format_version.as_deref(), Some("1 (revision 2)"));
        let roots: Vec<(&str, Option<&str>)> = p
            .source
            .roots
            .iter()
            .map(|r| (r.name.as_str(), r.path.as_deref()))
            .collect();
        assert_eq!(
            roots,
            vec![("app", Some(".")), ("lib", Some("packages/lib"))]
        );
        assert_eq!(
            p.source.roots[0].dependencies,
            vec![
                "pkg:pypi/pysocks@1.7.1",
                "pkg:pypi/pytest@8.3.3",
                "pkg:pypi/requests@2.32.3"
            ]
        );
        assert_eq!(
            p.source.roots[1].dependencies,
            vec!["pkg:pypi/numpy@1.26.4", "pkg:pypi/numpy@2.1.0"]
        );
        // 12 entries - 2 roots - 1 without version.
        assert_eq!(p.source.packages.len(), 9);
        assert_eq!(p.warnings.len(), 1);

        let r = get(&p, "requests", "2.32.3");
        assert_eq!(r.line(), Some(43));
        assert_eq!((r.relation, r.scope), (Relation::Direct, Scope::Runtime));
        assert_eq!(r.checksums, vec!["sha256:55", "sha256:70"]);
        assert_eq!(r.dependencies, vec!["pkg:pypi/urllib3@2.2.3"]);
        let u = get(&p, "urllib3", "2.2.3");
        assert_eq!(
            (u.relation, u.scope),
            (Relation::Transitive, Scope::Runtime)
        );
        assert_eq!(u.dependencies, vec!["pkg:pypi/pysocks@1.7.1"]);
        // Reached at run time through urllib3[socks] and optionally from app.
        let s = get(&p, "pysocks", "1.7.1");
        assert_eq!((s.relation, s.scope), (Relation::Direct, Scope::Runtime));
        let t = get(&p, "pytest", "8.3.3");
        assert_eq!((t.relation, t.scope), (Relation::Direct, Scope::Dev));
        let pl = get(&p, "pluggy", "1.5.0");
        assert_eq!((pl.relation, pl.scope), (Relation::Transitive, Scope::Dev));
        assert_eq!(
            pl.resolution,
            Resolution::Vcs {
                url: "https://github.com/pytest-dev/pluggy".into(),
                rev: Some("abc123".into())
            }
        );
        assert_eq!(get(&p, "numpy", "2.1.0").relation, Relation::Direct);
        assert_eq!(
            get(&p, "localwheel", "0.3").resolution,
            Resolution::Path {
                path: "wheels/localwheel-0.3-py3-none-any.whl".into()
            }
        );
        assert_eq!(get(&p, "localwheel", "0.3").relation, Relation::Unknown);
        assert!(matches!(
            get(&p, "remote", "1.0").resolution,
            Resolution::Url { .. }
        ));
    }

    #[test]
    fn crlf_line_endings() {
        let unix = parse(&Input::new("uv.lock", LOCK)).unwrap();
        let crlf = LOCK.replace('\n', "\r\n");
        let dos = parse(&Input::new("uv.lock", &crlf)).unwrap();
        assert_eq!(unix.source.packages, dos.source.packages);
    }

    #[test]
    fn optional_only() {
        let lock = "version = 1\n[[package]]\nname = \"app\"\nversion = \"1\"\nsource = { virtual = \".\" }\n[package.optional-dependencies]\nx = [{ name = \"a\" }]\n[[package]]\nname = \"a\"\nversion = \"1\"\nsource = { registry = \"r\" }\n";
        let p = parse(&Input::new("uv.lock", lock)).unwrap();
        assert_eq!(p.source.packages[0].scope, Scope::Optional);
        assert_eq!(p.source.roots[0].name, "app");
    }

    #[test]
    fn manifest_requirements_root() {
        let lock = "version = 1\n[manifest]\nrequirements = [{ name = \"a\" }]\n[manifest.dependency-groups]\ndev = [{ name = \"b\" }]\n[[package]]\nname = \"a\"\nversion = \"1\"\nsource = { registry = \"r\" }\n[[package]]\nname = \"b\"\nversion = \"1\"\nsource = { registry = \"r\" }\n";
        let p = parse(&Input::new("ws/uv.lock", lock)).unwrap();
        assert_eq!(p.source.roots[0].name, "ws");
        assert_eq!(p.source.packages[0].scope, Scope::Runtime);
        assert_eq!(p.source.packages[1].scope, Scope::Dev);
    }

    #[test]
    fn bad_input() {
        assert!(
            parse(&Input::new(
                "uv.lock",
                "version = 1\n[[package]]\nname = 3\n"
            ))
            .is_err()
        );
        let e = parse(&Input::new("uv.lock", "version = 1\n\n[[package]\n")).unwrap_err();
        assert_eq!(e.line, Some(3));
    }
}
