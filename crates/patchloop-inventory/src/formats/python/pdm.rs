//! `pdm.lock` (lock_version 3.x with `[metadata.files]`, 4.x with inline
//! `files`; `groups` per package from 4.4's `inherit_metadata` strategy).
//!
//! Edges come from each package's PEP 508 `dependencies`. Scope comes
//! from the package's `groups` (`default` → runtime; extras named in
//! `pyproject.toml`'s optional-dependencies → optional; other groups →
//! dev, or by name when there is no manifest). Direct dependencies come
//! from a `pyproject.toml` beside the lockfile; when the lock records no
//! groups, scope then follows the edges from it.

use crate::fxhash::HashMap;

use patchloop_model::{Ecosystem, Resolution, Scope, SourceFile, pep503_normalize};
use serde::Deserialize;
use toml::Spanned;

use super::pep508;
use super::project::{
    Manifest, NameIndex, category_scope, dir_name, direct_and_root, entry_name, locked_package,
    mark_relations, read_pyproject, sibling_manifest,
};
use super::tomlscan;
use crate::formats::Format;
use crate::formats::common::{PackageSet, propagate};
use crate::input::{Input, ParseResult, Parsed};

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    metadata: Metadata,
    #[serde(default)]
    package: Vec<PdmPackage>,
}

#[derive(Deserialize, Default)]
struct Metadata {
    lock_version: Option<String>,
    /// lock_version 3.x: `"name version" = [{url|file, hash}]`.
    #[serde(default)]
    files: HashMap<String, Vec<FileHash>>,
}

#[derive(Deserialize)]
struct FileHash {
    hash: Option<String>,
}

#[derive(Deserialize)]
struct PdmPackage {
    name: Spanned<String>,
    version: Option<String>,
    groups: Option<Vec<String>>,
    #[serde(default)]
    dependencies: Vec<String>,
    #[serde(default)]
    files: Vec<FileHash>,
    git: Option<String>,
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    revision: Option<String>,
    path: Option<String>,
    url: Option<String>,
}

pub fn parse(input: &Input) -> ParseResult {
    let (lock, stripped, lines) =
        tomlscan::parse_lock::<Lock>(input, &["files"], true, |l| l.package.len())?;
    let mut source = SourceFile::new(input.display, Format::PdmLock.id(), Ecosystem::PYPI);
    source.format_version = lock.metadata.lock_version.clone();
    let mut parsed = Parsed::new(source);
    let manifest = sibling_manifest(input, &mut parsed, "pyproject.toml", read_pyproject);

    let mut set = PackageSet::new();
    let mut index = NameIndex::default();
    let mut entries: Vec<(String, u32, &PdmPackage)> = Vec::new();
    let mut lock_has_groups = false;
    for (k, pkg) in lock.package.iter().enumerate() {
        let Some((name, line)) = entry_name(&pkg.name, &lines, &mut parsed) else {
            continue;
        };
        let resolution = if let Some(git) = &pkg.git {
            Resolution::Vcs {
                url: git.clone(),
                rev: pkg.revision.clone().or_else(|| pkg.git_ref.clone()),
            }
        } else if let Some(path) = &pkg.path {
            Resolution::Path { path: path.clone() }
        } else if let Some(url) = &pkg.url {
            Resolution::Url { url: url.clone() }
        } else {
            Resolution::Exact
        };
        let version = pkg.version.clone().unwrap_or_default();
        let Some(mut p) =
            locked_package(name, &version, resolution, input.display, line, &mut parsed)
        else {
            continue;
        };
        p.scope = match &pkg.groups {
            Some(groups) => {
                lock_has_groups = true;
                groups
                    .iter()
                    .map(|g| group_scope(g, manifest.as_ref()))
                    .max()
                    .unwrap_or(Scope::Runtime)
            }
            None => Scope::Runtime,
        };
        p.checksums = match stripped.as_ref().and_then(|s| s.hashes(k)) {
            Some(h) => h,
            None => pkg.files.iter().filter_map(|f| f.hash.clone()).collect(),
        };
        index.add(name, &version, &p.id);
        entries.push((p.id.clone(), line, pkg));
        set.insert(p);
    }

    let metadata_files: Vec<(&str, Vec<String>)> = match &stripped {
        Some(s) => s
            .metadata_files
            .iter()
            .map(|(k, arts)| {
                (
                    k.as_str(),
                    arts.iter().filter_map(|a| a.hash.clone()).collect(),
                )
            })
            .collect(),
        None => lock
            .metadata
            .files
            .iter()
            .map(|(k, fs)| {
                (
                    k.as_str(),
                    fs.iter().filter_map(|f| f.hash.clone()).collect(),
                )
            })
            .collect(),
    };
    for (key, hashes) in metadata_files {
        let Some((name, version)) = key.trim().rsplit_once(' ') else {
            continue;
        };
        for id in index.resolve_version(name.trim(), version.trim()) {
            if let Some(p) = set.get_mut(&id) {
                p.checksums.extend(hashes.iter().cloned());
            }
        }
    }

    for (id, line, pkg) in &entries {
        let mut deps = Vec::new();
        for d in &pkg.dependencies {
            match pep508::parse(d) {
                Ok(r) => {
                    let spec = (!r.spec.is_empty()).then_some(r.spec);
                    deps.extend(index.resolve(r.name, spec));
                }
                Err(e) => parsed.warn(Some(*line), format!("dependency not understood: {e}")),
            }
        }
        if let Some(p) = set.get_mut(id) {
            p.dependencies.extend(deps);
        }
    }

    if let Some(m) = &manifest {
        let (direct, root) = direct_and_root(m, &index, dir_name(input.display));
        if lock_has_groups {
            mark_relations(&mut set, &direct);
        } else {
            propagate(&mut set, &direct);
        }
        parsed.source.roots.push(root);
    }
    parsed.source.packages = set.into_sorted();
    Ok(parsed)
}

fn group_scope(group: &str, manifest: Option<&Manifest>) -> Scope {
    if group == "default" {
        return Scope::Runtime;
    }
    let g = pep503_normalize(group);
    match manifest {
        Some(m) if m.extras.contains(&g) => Scope::Optional,
        Some(m) if m.dev_groups.contains(&g) => Scope::Dev,
        _ => category_scope(group),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchloop_model::{Package, Relation};

    const LOCK: &str = r#"# This file is @generated by PDM.
# It is not intended for manual editing.

[metadata]
groups = ["default", "socks", "test"]
strategy = ["inherit_metadata"]
lock_version = "4.5.0"
content_hash = "sha256:abc"

[[metadata.targets]]
requires_python = ">=3.9"

[[package]]
name = "requests"
version = "2.32.3"
requires_python = ">=3.8"
summary = "Python HTTP for Humans."
groups = ["default"]
dependencies = [
    "certifi>=2017.4.17",
    "charset-normalizer<4,>=2",
    "urllib3<3,>=1.21.1",
]
files = [
    {file = "requests-2.32.3-py3-none-any.whl", hash = "sha256:70"},
    {file = "requests-2.32.3.tar.gz", hash = "sha256:55"},
]

[[package]]
name = "requests"
version = "2.32.3"
extras = ["socks"]
requires_python = ">=3.8"
summary = "Python HTTP for Humans."
groups = ["socks"]
dependencies = [
    "PySocks!=1.5.7,>=1.5.6",
    "requests==2.32.3",
]
files = [
    {file = "requests-2.32.3-py3-none-any.whl", hash = "sha256:70"},
]

[[package]]
name = "certifi"
version = "2024.8.30"
groups = ["default"]

[[package]]
name = "charset-normalizer"
version = "3.4.0"
groups = ["default"]

[[package]]
name = "urllib3"
version = "2.2.3"
groups = ["default"]

[[package]]
name = "pysocks"
version = "1.7.1"
groups = ["socks"]

[[package]]
name = "pytest"
version = "8.3.3"
groups = ["test"]
dependencies = [
    "colorama; sys_platform == \"win32\"",
    "tomli>=1; python_version < \"3.11\"",
    "!!! not pep 508",
]

[[package]]
name = "mylib"
version = "0.1.0"
path = "./libs/mylib"
editable = true
groups = ["default"]

[[package]]
name = "gitdep"
version = "1.0"
git = "https://github.com/org/gitdep.git"
ref = "main"
revision = "0123abcd"
groups = ["default"]
"#;

    fn get<'a>(p: &'a Parsed, name: &str) -> &'a Package {
        p.source
            .packages
            .iter()
            .find(|x| x.name == name)
            .unwrap_or_else(|| panic!("{name} missing"))
    }

    #[test]
    fn lock_v4() {
        let p = parse(&Input::new("pdm.lock", LOCK)).unwrap();
        assert_eq!(p.source.format_version.as_deref(), Some("4.5.0"));
        // requests twice (with and without extras) is one package.
        assert_eq!(p.source.packages.len(), 8);
        let r = get(&p, "requests");
        assert_eq!(r.line(), Some(14));
        assert_eq!(r.locations.len(), 2);
        assert_eq!(r.scope, Scope::Runtime);
        assert_eq!(r.checksums, vec!["sha256:70", "sha256:55"]);
        assert_eq!(
            r.dependencies,
            vec![
                "pkg:pypi/certifi@2024.8.30",
                "pkg:pypi/charset-normalizer@3.4.0",
                "pkg:pypi/pysocks@1.7.1",
                "pkg:pypi/urllib3@2.2.3"
            ]
        );
        assert_eq!(get(&p, "pysocks").scope, Scope::Optional);
        assert_eq!(get(&p, "pytest").scope, Scope::Dev);
        assert_eq!(get(&p, "pytest").relation, Relation::Unknown);
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, Some(65));
        assert_eq!(
            get(&p, "mylib").resolution,
            Resolution::Path {
                path: "./libs/mylib".into()
            }
        );
        assert_eq!(
            get(&p, "gitdep").resolution,
            Resolution::Vcs {
                url: "https://github.com/org/gitdep.git".into(),
                rev: Some("0123abcd".into())
            }
        );
    }

    #[test]
    fn with_pyproject() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[project]\nname = \"app\"\ndependencies = [\"requests\"]\n[project.optional-dependencies]\nsocks = [\"requests[socks]\"]\n[dependency-groups]\ntest = [\"pytest\"]\n",
        )
        .unwrap();
        let path = dir.path().join("pdm.lock");
        let p = parse(&Input::new("pdm.lock", LOCK).with_fs_path(&path)).unwrap();
        assert_eq!(get(&p, "requests").relation, Relation::Direct);
        assert_eq!(get(&p, "pytest").relation, Relation::Direct);
        assert_eq!(get(&p, "urllib3").relation, Relation::Transitive);
        assert_eq!(get(&p, "pysocks").scope, Scope::Optional);
        assert_eq!(p.source.roots[0].name, "app");
    }

    #[test]
    fn lock_v3_metadata_files_and_no_groups() {
        let lock = "[[package]]\nname = \"six\"\nversion = \"1.16.0\"\n\n[metadata]\nlock_version = \"3.1\"\n\n[metadata.files]\n\"six 1.16.0\" = [\n    {url = \"https://x/six-1.16.0.tar.gz\", hash = \"sha256:1e\"},\n]\n";
        let p = parse(&Input::new("pdm.lock", lock)).unwrap();
        assert_eq!(p.source.format_version.as_deref(), Some("3.1"));
        assert_eq!(p.source.packages[0].checksums, vec!["sha256:1e"]);
        assert_eq!(p.source.packages[0].scope, Scope::Runtime);
    }

    #[test]
    fn bad_input() {
        assert!(
            parse(&Input::new(
                "pdm.lock",
                "[[package]]\nname = \"a\"\nversion = 1\n"
            ))
            .is_err()
        );
        let p = parse(&Input::new("pdm.lock", "[[package]]\nname = \"a\"\n")).unwrap();
        assert!(p.source.packages.is_empty());
        assert_eq!(p.warnings.len(), 1);
    }
}
