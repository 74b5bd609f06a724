//! `poetry.lock` (lock-version 1.x with `category` and `[metadata.files]`,
//! 2.0, and 2.1 with `groups` and inline `files`).
//!
//! Direct dependencies come from a `pyproject.toml` beside the lockfile;
//! without one the relation is unknown. Scope comes from the lock's
//! `category`/`groups` (main → runtime, or optional when the package is
//! only needed for extras; any other group → dev), or, for lock 2.0 which
//! records neither, from propagation along edges from the manifest.

use crate::fxhash::HashMap;
use std::collections::BTreeMap;

use patchloop_model::{Ecosystem, Resolution, Scope, SourceFile};
use serde::Deserialize;
use toml::{Spanned, Value};

use super::pep508::artifact_name_version;
use super::project::{
    NameIndex, dir_name, direct_and_root, entry_name, locked_package, mark_relations,
    read_pyproject, sibling_manifest,
};
use super::tomlscan;
use crate::formats::Format;
use crate::formats::common::{PackageSet, propagate};
use crate::input::{Input, ParseResult, Parsed};

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<LockPackage>,
    #[serde(default)]
    metadata: Metadata,
}

#[derive(Deserialize, Default)]
struct Metadata {
    #[serde(rename = "lock-version")]
    lock_version: Option<String>,
    /// lock-version 1.x: file name and hash per package name.
    #[serde(default)]
    files: HashMap<String, Vec<FileHash>>,
    /// lock-version 1.0 (Poetry 1.0): bare sha256 digests per name.
    #[serde(default)]
    hashes: HashMap<String, Vec<String>>,
}

#[derive(Deserialize)]
struct FileHash {
    #[serde(default)]
    file: String,
    #[serde(default)]
    hash: String,
}

#[derive(Deserialize)]
struct LockPackage {
    name: Spanned<String>,
    #[serde(default)]
    version: String,
    category: Option<String>,
    #[serde(default)]
    optional: bool,
    groups: Option<Vec<String>>,
    #[serde(default)]
    files: Vec<FileHash>,
    /// Values are a constraint string, a table, or an array of tables.
    #[serde(default)]
    dependencies: BTreeMap<String, Value>,
    source: Option<Source>,
}

#[derive(Deserialize)]
struct Source {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    url: String,
    reference: Option<String>,
    resolved_reference: Option<String>,
}

pub fn parse(input: &Input) -> ParseResult {
    let (lock, stripped, lines) =
        tomlscan::parse_lock::<Lock>(input, &["files"], true, |l| l.package.len())?;
    let mut source = SourceFile::new(input.display, Format::PoetryLock.id(), Ecosystem::PYPI);
    source.format_version = lock.metadata.lock_version.clone();
    let mut parsed = Parsed::new(source);

    let mut set = PackageSet::new();
    let mut index = NameIndex::default();
    let mut entries: Vec<(String, &LockPackage)> = Vec::new();
    let mut lock_has_scopes = false;
    for (k, pkg) in lock.package.iter().enumerate() {
        let Some((name, line)) = entry_name(&pkg.name, &lines, &mut parsed) else {
            continue;
        };
        let resolution = match &pkg.source {
            Some(s) => match s.kind.as_str() {
                "git" => Resolution::Vcs {
                    url: s.url.clone(),
                    rev: s.resolved_reference.clone().or_else(|| s.reference.clone()),
                },
                "directory" | "file" => Resolution::Path {
                    path: s.url.clone(),
                },
                "url" => Resolution::Url { url: s.url.clone() },
                // "legacy" and others: a package index.
                _ => Resolution::Exact,
            },
            None => Resolution::Exact,
        };
        let scope = match (&pkg.groups, pkg.category.as_deref()) {
            (Some(groups), _) => {
                lock_has_scopes = true;
                if groups.iter().any(|g| g == "main") {
                    main_scope(pkg.optional)
                } else {
                    Scope::Dev
                }
            }
            (None, Some(cat)) => {
                lock_has_scopes = true;
                if cat == "dev" {
                    Scope::Dev
                } else {
                    main_scope(pkg.optional)
                }
            }
            (None, None) => main_scope(pkg.optional),
        };
        let Some(mut p) = locked_package(
            name,
            &pkg.version,
            resolution,
            input.display,
            line,
            &mut parsed,
        ) else {
            continue;
        };
        p.scope = scope;
        p.checksums = match stripped.as_ref().and_then(|s| s.hashes(k)) {
            Some(h) => h,
            None => pkg
                .files
                .iter()
                .filter(|f| !f.hash.is_empty())
                .map(|f| f.hash.clone())
                .collect(),
        };
        index.add(name, &pkg.version, &p.id);
        entries.push((p.id.clone(), pkg));
        set.insert(p);
    }

    let files: Vec<(&str, Vec<FileHash>)> = match &stripped {
        Some(s) => s
            .metadata_files
            .iter()
            .map(|(name, arts)| {
                let files = arts
                    .iter()
                    .map(|a| FileHash {
                        file: a.file.clone().unwrap_or_default(),
                        hash: a.hash.clone().unwrap_or_default(),
                    })
                    .collect();
                (name.as_str(), files)
            })
            .collect(),
        None => Vec::new(),
    };
    let files = files.iter().map(|(n, f)| (*n, f.as_slice())).chain(
        lock.metadata
            .files
            .iter()
            .map(|(n, f)| (n.as_str(), f.as_slice())),
    );
    add_metadata_hashes(files, &lock.metadata.hashes, &index, &mut set);

    for (id, pkg) in &entries {
        let mut deps = Vec::new();
        for (dep, spec) in &pkg.dependencies {
            let constraints: Vec<Option<&str>> = match spec {
                Value::String(s) => vec![Some(s.as_str())],
                Value::Table(t) => vec![t.get("version").and_then(Value::as_str)],
                Value::Array(a) => a
                    .iter()
                    .map(|v| v.get("version").and_then(Value::as_str))
                    .collect(),
                _ => vec![None],
            };
            for c in constraints {
                deps.extend(index.resolve(dep, c));
            }
        }
        if let Some(p) = set.get_mut(id) {
            p.dependencies.extend(deps);
        }
    }

    if let Some(m) = sibling_manifest(input, &mut parsed, "pyproject.toml", read_pyproject) {
        let (direct, root) = direct_and_root(&m, &index, dir_name(input.display));
        if lock_has_scopes {
            mark_relations(&mut set, &direct);
        } else {
            propagate(&mut set, &direct);
        }
        parsed.source.roots.push(root);
    }
    parsed.source.packages = set.into_sorted();
    Ok(parsed)
}

fn main_scope(optional: bool) -> Scope {
    if optional {
        Scope::Optional
    } else {
        Scope::Runtime
    }
}

/// lock-version 1.x keeps hashes in `[metadata.files]` by name; when a
/// name is locked at several versions, each file goes to the version in
/// its file name.
fn add_metadata_hashes<'a>(
    files: impl Iterator<Item = (&'a str, &'a [FileHash])>,
    bare: &HashMap<String, Vec<String>>,
    index: &NameIndex,
    set: &mut PackageSet,
) {
    for (name, files) in files {
        let cands = index.candidates(name);
        for f in files.iter().filter(|f| !f.hash.is_empty()) {
            let target = match cands {
                [(id, _)] => Some(id),
                _ => artifact_name_version(&f.file).and_then(|(_, v)| {
                    cands
                        .iter()
                        .find(|(_, cv)| {
                            cv == v || super::pep440::matches(&format!("=={v}"), cv) == Some(true)
                        })
                        .map(|(id, _)| id)
                }),
            };
            if let Some(p) = target.and_then(|id| set.get_mut(id)) {
                p.checksums.push(f.hash.clone());
            }
        }
    }
    for (name, hashes) in bare {
        // Without file names, hashes can only be attributed to a name
        // locked at a single version.
        if let [(id, _)] = index.candidates(name)
            && let Some(p) = set.get_mut(id)
        {
            for h in hashes {
                p.checksums.push(if h.contains(':') {
                    h.clone()
                } else {
                    format!("sha256:{h}")
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::python::project::find as get;
    use patchloop_model::Relation;

    const V1: &str = r#"[[package]]
name = "cachecontrol"
version = "0.12.6"
description = "httplib2 caching for requests"
category = "main"
optional = false
python-versions = "*"

[package.dependencies]
lockfile = {version = ">=0.9", optional = true, markers = "extra == \"filecache\""}
msgpack = ">=0.5.2"
more-itertools = [
    {version = ">=4.0.0,<6.0.0", markers = "python_version <= \"2.7\""},
]

[[package]]
name = "lockfile"
version = "0.12.2"
description = ""
category = "main"
optional = true
python-versions = "*"

[[package]]
name = "msgpack"
version = "1.0.0"
description = ""
category = "dev"
optional = false
python-versions = "*"

[[package]]
name = "more-itertools"
version = "5.0.0"
description = ""
category = "main"
optional = false
python-versions = "*"

[[package]]
name = "more-itertools"
version = "8.5.0"
description = ""
category = "main"
optional = false
python-versions = "*"

[metadata]
lock-version = "1.1"
python-versions = "*"
content-hash = "abc"

[metadata.files]
cachecontrol = [
    {file = "CacheControl-0.12.6.tar.gz", hash = "sha256:aa"},
]
more-itertools = [
    {file = "more-itertools-5.0.0.tar.gz", hash = "sha256:m5"},
    {file = "more_itertools-8.5.0-py3-none-any.whl", hash = "sha256:m8"},
]
"#;

    #[test]
    fn lock_v1() {
        let p = parse(&Input::new("poetry.lock", V1)).unwrap();
        assert_eq!(p.source.format_version.as_deref(), Some("1.1"));
        assert_eq!(p.source.packages.len(), 5);
        let c = get(&p, "cachecontrol", "0.12.6");
        assert_eq!(c.line(), Some(2));
        assert_eq!(c.purl, "pkg:pypi/cachecontrol@0.12.6");
        assert_eq!(c.scope, Scope::Runtime);
        assert_eq!(c.relation, Relation::Unknown);
        assert_eq!(c.checksums, vec!["sha256:aa"]);
        assert_eq!(
            c.dependencies,
            vec![
                "pkg:pypi/lockfile@0.12.2",
                "pkg:pypi/more-itertools@5.0.0",
                "pkg:pypi/msgpack@1.0.0"
            ]
        );
        assert_eq!(get(&p, "lockfile", "0.12.2").scope, Scope::Optional);
        assert_eq!(get(&p, "msgpack", "1.0.0").scope, Scope::Dev);
        assert_eq!(
            get(&p, "more-itertools", "5.0.0").checksums,
            vec!["sha256:m5"]
        );
        assert_eq!(
            get(&p, "more-itertools", "8.5.0").checksums,
            vec!["sha256:m8"]
        );
        assert_eq!(get(&p, "more-itertools", "8.5.0").line(), Some(41));
        assert!(p.source.roots.is_empty());
    }

    const V2: &str = r#"# This file is automatically @generated by Poetry 2.1.1 and should not be changed by hand.

[[package]]
name = "anyio"
version = "4.8.0"
description = ""
optional = false
python-versions = ">=3.9"
groups = ["main"]
files = [
    {file = "anyio-4.8.0-py3-none-any.whl", hash = "sha256:b5"},
    {file = "anyio-4.8.0.tar.gz", hash = "sha256:1d"},
]

[package.dependencies]
idna = ">=2.8"

[[package]]
name = "idna"
version = "3.10"
description = ""
optional = false
python-versions = ">=3.6"
groups = ["main", "test"]
files = []

[[package]]
name = "pytest"
version = "8.3.4"
description = ""
optional = false
python-versions = ">=3.8"
groups = ["test"]
markers = {test = "python_version < \"3.11\""}
files = []

[package.dependencies]
idna = "*"

[[package]]
name = "mylib"
version = "0.1.0"
description = ""
optional = false
python-versions = "*"
groups = ["main"]
files = []
develop = true

[package.source]
type = "directory"
url = "../mylib"

[[package]]
name = "gitdep"
version = "2.0.0"
description = ""
optional = false
python-versions = "*"
groups = ["docs"]
files = []

[package.source]
type = "git"
url = "https://github.com/org/gitdep.git"
reference = "main"
resolved_reference = "0123abcd"

[[package]]
name = "remote"
version = "1.0"
description = ""
optional = true
python-versions = "*"
groups = ["main"]
files = []

[package.source]
type = "url"
url = "https://example.com/remote-1.0.tar.gz"

[metadata]
lock-version = "2.1"
python-versions = ">=3.9"
content-hash = "x"
"#;

    #[test]
    fn lock_v2_groups_and_sources() {
        let p = parse(&Input::new("poetry.lock", V2)).unwrap();
        assert_eq!(p.source.format_version.as_deref(), Some("2.1"));
        assert_eq!(p.source.packages.len(), 6);
        let a = get(&p, "anyio", "4.8.0");
        assert_eq!(a.line(), Some(4));
        assert_eq!(a.checksums, vec!["sha256:b5", "sha256:1d"]);
        assert_eq!(a.dependencies, vec!["pkg:pypi/idna@3.10"]);
        assert_eq!(get(&p, "idna", "3.10").scope, Scope::Runtime);
        assert_eq!(get(&p, "pytest", "8.3.4").scope, Scope::Dev);
        assert_eq!(
            get(&p, "mylib", "0.1.0").resolution,
            Resolution::Path {
                path: "../mylib".into()
            }
        );
        let g = get(&p, "gitdep", "2.0.0");
        assert_eq!(g.scope, Scope::Dev);
        assert_eq!(
            g.resolution,
            Resolution::Vcs {
                url: "https://github.com/org/gitdep.git".into(),
                rev: Some("0123abcd".into())
            }
        );
        let r = get(&p, "remote", "1.0");
        assert_eq!(r.scope, Scope::Optional);
        assert!(matches!(r.resolution, Resolution::Url { .. }));
    }

    #[test]
    fn direct_from_pyproject() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("poetry.lock"), V2).unwrap();
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[tool.poetry]\nname = \"app\"\nversion = \"0.1.0\"\n[tool.poetry.dependencies]\npython = \"^3.9\"\nanyio = \"^4\"\n[tool.poetry.group.test.dependencies]\npytest = \"^8\"\n",
        )
        .unwrap();
        let path = dir.path().join("poetry.lock");
        let input = Input::new("app/poetry.lock", V2).with_fs_path(&path);
        let p = parse(&input).unwrap();
        assert_eq!(p.source.roots.len(), 1);
        assert_eq!(p.source.roots[0].name, "app");
        assert_eq!(
            p.source.roots[0].dependencies,
            vec!["pkg:pypi/anyio@4.8.0", "pkg:pypi/pytest@8.3.4"]
        );
        assert_eq!(get(&p, "anyio", "4.8.0").relation, Relation::Direct);
        assert_eq!(get(&p, "pytest", "8.3.4").relation, Relation::Direct);
        let idna = get(&p, "idna", "3.10");
        assert_eq!(idna.relation, Relation::Transitive);
        // The lock's groups are kept.
        assert_eq!(idna.scope, Scope::Runtime);
        assert_eq!(get(&p, "pytest", "8.3.4").scope, Scope::Dev);
        assert_eq!(get(&p, "gitdep", "2.0.0").relation, Relation::Unknown);
    }

    #[test]
    fn lock_v2_0_scopes_from_manifest() {
        // lock-version 2.0 has neither category nor groups.
        let lock = "[[package]]\nname = \"a\"\nversion = \"1.0\"\n[package.dependencies]\nb = \"*\"\n\n[[package]]\nname = \"b\"\nversion = \"2.0\"\n\n[[package]]\nname = \"c\"\nversion = \"3.0\"\n\n[metadata]\nlock-version = \"2.0\"\n";
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[project]\nname = \"x\"\ndependencies = []\n[tool.poetry.group.dev.dependencies]\na = \"*\"\n",
        )
        .unwrap();
        let path = dir.path().join("poetry.lock");
        let p = parse(&Input::new("poetry.lock", lock).with_fs_path(&path)).unwrap();
        assert_eq!(get(&p, "a", "1.0").scope, Scope::Dev);
        assert_eq!(get(&p, "b", "2.0").scope, Scope::Dev);
        assert_eq!(get(&p, "b", "2.0").relation, Relation::Transitive);
        assert_eq!(get(&p, "c", "3.0").relation, Relation::Unknown);
        assert_eq!(p.source.roots[0].name, "x");
    }

    #[test]
    fn bad_input() {
        let e = parse(&Input::new(
            "poetry.lock",
            "[[package]]\nname = \"a\"\nversion = ",
        ))
        .unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(parse(&Input::new("poetry.lock", "[[package]]\nversion = \"1\"\n")).is_err());
        let p = parse(&Input::new("poetry.lock", "[[package]]\nname = \"a\"\n")).unwrap();
        assert!(p.source.packages.is_empty());
        assert_eq!(p.warnings.len(), 1);
        let p = parse(&Input::new("poetry.lock", "")).unwrap();
        assert!(p.source.packages.is_empty());
    }

    #[test]
    fn old_metadata_hashes() {
        let lock = "[[package]]\nname = \"six\"\nversion = \"1.0\"\ncategory = \"main\"\n[metadata]\nlock-version = \"1.0\"\n[metadata.hashes]\nsix = [\"abc\"]\n";
        let p = parse(&Input::new("poetry.lock", lock)).unwrap();
        assert_eq!(p.source.packages[0].checksums, vec!["sha256:abc"]);
    }
}
