//! What the Python parsers share: the project's direct dependencies from a
//! manifest beside the lockfile (`pyproject.toml`, `Pipfile`), lookup of
//! locked packages by normalized name, group/file-name scope rules and
//! relation marking.

use crate::fxhash::{HashMap, HashSet};

use patchloop_model::purl::pep503_normalize;
use patchloop_model::{Ecosystem, Package, Resolution, Root, Scope};
use toml::{Table, Value};

use super::{pep440, pep508};
use crate::formats::common::{PackageSet, propagate};
use crate::input::{Input, Parsed};
use crate::text::LineIndex;

/// One direct dependency declared by the project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DirectDep {
    pub name: String,
    /// Version constraint as written, used to pick among locked versions.
    pub spec: Option<String>,
    pub scope: Scope,
}

/// The parts of a project manifest the lockfile parsers need.
#[derive(Debug, Clone, Default)]
pub(crate) struct Manifest {
    pub name: Option<String>,
    pub version: Option<String>,
    pub deps: Vec<DirectDep>,
    /// Normalized names of `[project.optional-dependencies]` extras.
    pub extras: HashSet<String>,
    /// Normalized names of development groups (PEP 735, Poetry, PDM).
    pub dev_groups: HashSet<String>,
}

fn table<'a>(t: &'a Table, key: &str) -> Option<&'a Table> {
    t.get(key).and_then(Value::as_table)
}

fn string<'a>(t: &'a Table, key: &str) -> Option<&'a str> {
    t.get(key).and_then(Value::as_str)
}

impl Manifest {
    fn add_pep508(&mut self, req: &str, scope: Scope) {
        if let Ok(r) = pep508::parse(req) {
            self.deps.push(DirectDep {
                name: r.name.to_string(),
                spec: (r.url.is_none() && !r.spec.is_empty()).then(|| r.spec.to_string()),
                scope,
            });
        }
    }

    /// Poetry / Pipfile style `name = "spec"` or `name = { version = .. }`.
    fn add_table_deps(&mut self, deps: &Table, scope: Scope, skip_python: bool) {
        for (name, v) in deps {
            if skip_python && name.eq_ignore_ascii_case("python") {
                continue;
            }
            let (spec, optional) = match v {
                Value::String(s) => (Some(s.clone()), false),
                Value::Table(t) => (
                    string(t, "version").map(str::to_string),
                    t.get("optional").and_then(Value::as_bool).unwrap_or(false),
                ),
                _ => (None, false),
            };
            let scope = if optional && scope == Scope::Runtime {
                Scope::Optional
            } else {
                scope
            };
            self.deps.push(DirectDep {
                name: name.clone(),
                spec,
                scope,
            });
        }
    }
}

/// Direct dependencies declared in a `pyproject.toml`: PEP 621
/// `[project]` dependencies and optional-dependencies, PEP 735
/// `[dependency-groups]`, `[tool.poetry.*dependencies]`,
/// `[tool.poetry.group.<g>.dependencies]` and `[tool.pdm.dev-dependencies]`.
pub(crate) fn read_pyproject(text: &str) -> Result<Manifest, String> {
    let doc: Table = toml::from_str(text).map_err(|e| e.message().to_string())?;
    let mut m = Manifest::default();
    if let Some(project) = table(&doc, "project") {
        m.name = string(project, "name").map(str::to_string);
        m.version = string(project, "version").map(str::to_string);
        for r in array_strings(project.get("dependencies")) {
            m.add_pep508(r, Scope::Runtime);
        }
        if let Some(opt) = table(project, "optional-dependencies") {
            for (extra, reqs) in opt {
                m.extras.insert(pep503_normalize(extra));
                for r in array_strings(Some(reqs)) {
                    m.add_pep508(r, Scope::Optional);
                }
            }
        }
    }
    if let Some(groups) = table(&doc, "dependency-groups") {
        for (g, reqs) in groups {
            m.dev_groups.insert(pep503_normalize(g));
            for r in array_strings(Some(reqs)) {
                m.add_pep508(r, Scope::Dev);
            }
        }
    }
    let tool = table(&doc, "tool");
    if let Some(poetry) = tool.and_then(|t| table(t, "poetry")) {
        if m.name.is_none() {
            m.name = string(poetry, "name").map(str::to_string);
            m.version = string(poetry, "version").map(str::to_string);
        }
        if let Some(d) = table(poetry, "dependencies") {
            m.add_table_deps(d, Scope::Runtime, true);
        }
        if let Some(d) = table(poetry, "dev-dependencies") {
            m.dev_groups.insert("dev".to_string());
            m.add_table_deps(d, Scope::Dev, true);
        }
        for (g, gt) in table(poetry, "group").into_iter().flatten() {
            let Some(d) = gt.as_table().and_then(|t| table(t, "dependencies")) else {
                continue;
            };
            let scope = if g == "main" {
                Scope::Runtime
            } else {
                m.dev_groups.insert(pep503_normalize(g));
                Scope::Dev
            };
            m.add_table_deps(d, scope, true);
        }
    }
    if let Some(pdm) = tool.and_then(|t| table(t, "pdm")) {
        for (g, reqs) in table(pdm, "dev-dependencies").into_iter().flatten() {
            m.dev_groups.insert(pep503_normalize(g));
            for r in array_strings(Some(reqs)) {
                m.add_pep508(r, Scope::Dev);
            }
        }
    }
    Ok(m)
}

/// Direct dependencies declared in a `Pipfile`: `[packages]` (runtime),
/// `[dev-packages]` (dev) and custom package categories (see
/// [`category_scope`]).
pub(crate) fn read_pipfile(text: &str) -> Result<Manifest, String> {
    let doc: Table = toml::from_str(text).map_err(|e| e.message().to_string())?;
    let mut m = Manifest::default();
    for (key, v) in &doc {
        let Some(t) = v.as_table() else { continue };
        let scope = match key.as_str() {
            "source" | "requires" | "scripts" | "pipenv" => continue,
            "packages" => Scope::Runtime,
            "dev-packages" => Scope::Dev,
            other => category_scope(other),
        };
        m.add_table_deps(t, scope, false);
    }
    Ok(m)
}

fn array_strings(v: Option<&Value>) -> impl Iterator<Item = &str> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// Does a group, category or file name denote development-only
/// dependencies? True when one of its words (split at anything not a
/// letter or digit) is dev, devel, develop, development, test, tests,
/// testing, lint, linting, doc, docs or typing.
pub(crate) fn is_dev_name(name: &str) -> bool {
    const WORDS: [&str; 12] = [
        "dev",
        "devel",
        "develop",
        "development",
        "test",
        "tests",
        "testing",
        "lint",
        "linting",
        "doc",
        "docs",
        "typing",
    ];
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| WORDS.iter().any(|d| w.eq_ignore_ascii_case(d)))
}

/// Scope of a named package group that is neither the main/default one
/// nor known from a manifest: dev-sounding names are dev, others optional
/// (they are only installed on request).
pub(crate) fn category_scope(name: &str) -> Scope {
    if is_dev_name(name) {
        Scope::Dev
    } else {
        Scope::Optional
    }
}

/// Locked packages by PEP 503 normalized name, for resolving dependency
/// edges that name a package without saying which locked copy.
#[derive(Debug, Default)]
pub(crate) struct NameIndex {
    map: HashMap<String, Vec<(String, String)>>,
}

impl NameIndex {
    pub(crate) fn add(&mut self, name: &str, version: &str, id: &str) {
        let v = self.map.entry(pep503_normalize(name)).or_default();
        if !v.iter().any(|(i, _)| i == id) {
            v.push((id.to_string(), version.to_string()));
        }
    }

    /// (id, version) of every locked package called `name`.
    pub(crate) fn candidates(&self, name: &str) -> &[(String, String)] {
        self.map
            .get(&pep503_normalize(name))
            .map_or(&[], Vec::as_slice)
    }

    /// Ids of the locked packages `name` may refer to: all of them, or when
    /// there are several, those whose version satisfies `constraint` (all
    /// again if the constraint matches none or cannot be read).
    pub(crate) fn resolve(&self, name: &str, constraint: Option<&str>) -> Vec<String> {
        let Some(cands) = self.map.get(&pep503_normalize(name)) else {
            return Vec::new();
        };
        if let (true, Some(c)) = (cands.len() > 1, constraint) {
            let hits: Vec<String> = cands
                .iter()
                .filter(|(_, v)| pep440::matches(c, v) == Some(true))
                .map(|(id, _)| id.clone())
                .collect();
            if !hits.is_empty() {
                return hits;
            }
        }
        cands.iter().map(|(id, _)| id.clone()).collect()
    }

    /// Ids of `name` at exactly `version` (string or PEP 440 equality);
    /// all candidates when none has that version.
    pub(crate) fn resolve_version(&self, name: &str, version: &str) -> Vec<String> {
        let Some(cands) = self.map.get(&pep503_normalize(name)) else {
            return Vec::new();
        };
        let hits: Vec<String> = cands
            .iter()
            .filter(|(_, v)| {
                v == version || pep440::matches(&format!("=={version}"), v) == Some(true)
            })
            .map(|(id, _)| id.clone())
            .collect();
        if hits.is_empty() {
            cands.iter().map(|(id, _)| id.clone()).collect()
        } else {
            hits
        }
    }
}

/// Mark direct and transitive packages from `direct`, keeping the scope
/// each package already has (the lockfile's own groups are more precise
/// than propagation along marker-conditional edges).
pub(crate) fn mark_relations(set: &mut PackageSet, direct: &[(String, Scope)]) {
    let saved: HashMap<String, Scope> = set.iter().map(|p| (p.id.clone(), p.scope)).collect();
    propagate(set, direct);
    for p in set.iter_mut() {
        if let Some(s) = saved.get(&p.id) {
            p.scope = *s;
        }
    }
}

/// Read the manifest `file` beside the lockfile with `read`. Problems
/// become warnings: the lockfile is still usable without it.
pub(crate) fn sibling_manifest(
    input: &Input,
    parsed: &mut Parsed,
    file: &str,
    read: fn(&str) -> Result<Manifest, String>,
) -> Option<Manifest> {
    match input.read_related(file) {
        Ok(Some((_, text))) => match read(&text) {
            Ok(m) => Some(m),
            Err(e) => {
                parsed.warn(None, format!("{file} beside the lockfile not read: {e}"));
                None
            }
        },
        Ok(None) => None,
        Err(e) => {
            parsed.warn(
                None,
                format!("{file} beside the lockfile not read: {}", e.message),
            );
            None
        }
    }
}

/// Resolve the manifest's direct dependencies to locked package ids and
/// describe the project as a root. Returns (direct ids with scope, root).
pub(crate) fn direct_and_root(
    m: &Manifest,
    index: &NameIndex,
    fallback_name: &str,
) -> (Vec<(String, Scope)>, Root) {
    let mut direct = Vec::new();
    let mut ids = Vec::new();
    for d in &m.deps {
        for id in index.resolve(&d.name, d.spec.as_deref()) {
            ids.push(id.clone());
            direct.push((id, d.scope));
        }
    }
    ids.sort();
    ids.dedup();
    let root = Root {
        name: m.name.clone().unwrap_or_else(|| fallback_name.to_string()),
        version: m.version.clone().unwrap_or_default(),
        path: None,
        dependencies: ids,
    };
    (direct, root)
}

/// The trimmed name and 1-based line of a lock entry; `None` (with a
/// warning) when the name is empty.
pub(crate) fn entry_name<'a>(
    name: &'a toml::Spanned<String>,
    lines: &LineIndex,
    parsed: &mut Parsed,
) -> Option<(&'a str, u32)> {
    let line = lines.line(name.span().start);
    let n = name.get_ref().trim();
    if n.is_empty() {
        parsed.warn(Some(line), "package without a name skipped");
        return None;
    }
    Some((n, line))
}

/// A locked package located at `line`; `None` (with a warning) for a
/// registry package without a version.
pub(crate) fn locked_package(
    name: &str,
    version: &str,
    resolution: Resolution,
    display: &str,
    line: u32,
    parsed: &mut Parsed,
) -> Option<Package> {
    if version.is_empty() && resolution.is_exact() {
        parsed.warn(
            Some(line),
            format!("package `{name}` without a version skipped"),
        );
        return None;
    }
    let mut p = Package::new(Ecosystem::PYPI, name, version).with_location(display, Some(line));
    p.resolution = resolution;
    Some(p)
}

/// Name of the directory holding the file, for a project without a name.
pub(crate) fn dir_name(display: &str) -> &str {
    let mut parts = display.rsplit(['/', '\\']);
    parts.next();
    parts
        .find(|p| !p.is_empty() && *p != ".")
        .unwrap_or("project")
}

/// Test helper: the package called `name` at `version`.
#[cfg(test)]
pub(crate) fn find<'a>(p: &'a Parsed, name: &str, version: &str) -> &'a Package {
    p.source
        .packages
        .iter()
        .find(|x| x.name == name && x.version == version)
        .unwrap_or_else(|| panic!("{name} {version} missing"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pyproject_all_styles() {
        let text = r#"
[project]
name = "app"
version = "1.0"
dependencies = ["requests>=2", "Flask[async] ; python_version>'3'", "not valid !!"]
[project.optional-dependencies]
Socks = ["PySocks"]
[dependency-groups]
test = ["pytest>=8", {include-group = "lint"}]
[tool.poetry.dependencies]
python = "^3.10"
click = "^8.0"
rich = { version = "^13", optional = true }
[tool.poetry.dev-dependencies]
black = "*"
[tool.poetry.group.docs.dependencies]
mkdocs = "*"
[tool.pdm.dev-dependencies]
lint = ["ruff"]
"#;
        let m = read_pyproject(text).unwrap();
        assert_eq!(m.name.as_deref(), Some("app"));
        let got: Vec<(&str, Scope)> = m.deps.iter().map(|d| (d.name.as_str(), d.scope)).collect();
        assert_eq!(
            got,
            vec![
                ("requests", Scope::Runtime),
                ("Flask", Scope::Runtime),
                ("PySocks", Scope::Optional),
                ("pytest", Scope::Dev),
                ("click", Scope::Runtime),
                ("rich", Scope::Optional),
                ("black", Scope::Dev),
                ("mkdocs", Scope::Dev),
                ("ruff", Scope::Dev),
            ]
        );
        assert_eq!(m.deps[0].spec.as_deref(), Some(">=2"));
        assert!(m.extras.contains("socks"));
        assert!(m.dev_groups.contains("docs") && m.dev_groups.contains("lint"));
        assert!(read_pyproject("[project").is_err());
    }

    #[test]
    fn pipfile_sections() {
        let m = read_pipfile(
            "[[source]]\nurl = \"x\"\n[packages]\nrequests = \"*\"\n[dev-packages]\npytest = {version = \">=8\"}\n[docs]\nsphinx = \"*\"\n[extras]\nboto3 = \"*\"\n[requires]\npython_version = \"3.12\"\n",
        )
        .unwrap();
        let got: Vec<(&str, Scope)> = m.deps.iter().map(|d| (d.name.as_str(), d.scope)).collect();
        assert_eq!(
            got,
            vec![
                ("pytest", Scope::Dev),
                ("sphinx", Scope::Dev),
                ("boto3", Scope::Optional),
                ("requests", Scope::Runtime),
            ]
        );
    }

    #[test]
    fn dev_names() {
        for n in [
            "dev-requirements",
            "requirements-dev",
            "dev",
            "test",
            "requirements_tests",
            "docs",
        ] {
            assert!(is_dev_name(n), "{n}");
        }
        for n in ["requirements", "prod", "base", "devices", "latest", "socks"] {
            assert!(!is_dev_name(n), "{n}");
        }
    }

    #[test]
    fn name_index() {
        let mut idx = NameIndex::default();
        idx.add("more-itertools", "5.0.0", "a");
        idx.add("more_itertools", "8.5.0", "b");
        idx.add("six", "1.0", "c");
        assert_eq!(
            idx.resolve("More.Itertools", Some(">=4.0.0,<6.0.0")),
            vec!["a"]
        );
        assert_eq!(
            idx.resolve("more-itertools", Some(">=4.0.0")),
            vec!["a", "b"]
        );
        assert_eq!(idx.resolve("more-itertools", Some(">=99")), vec!["a", "b"]);
        assert_eq!(idx.resolve("six", Some(">=99")), vec!["c"]);
        assert!(idx.resolve("nope", None).is_empty());
        assert_eq!(idx.resolve_version("more-itertools", "8.5"), vec!["b"]);
    }

    #[test]
    fn dirs() {
        assert_eq!(dir_name("a/b/poetry.lock"), "b");
        assert_eq!(dir_name("poetry.lock"), "project");
        assert_eq!(dir_name("./poetry.lock"), "project");
    }
}
