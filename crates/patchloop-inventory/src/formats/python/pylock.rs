//! `pylock.toml` / `pylock.<name>.toml` (PEP 751, `lock-version = "1.0"`).
//!
//! Every `[[packages]]` entry is a package, except a `directory` entry at
//! path `.` (the project being locked), which is the root: its
//! `dependencies` are the direct dependencies. Scope comes from each
//! package's `marker`: a package installed only when a dependency group
//! is selected (`'dev' in dependency_groups`) is dev, only for an extra
//! (`'x' in extras`) optional, otherwise runtime. Edges come from the
//! optional `dependencies` references.

use std::collections::BTreeMap;

use patchloop_model::{Ecosystem, Resolution, Root, Scope, SourceFile};
use serde::Deserialize;
use toml::{Spanned, Table, Value};

use super::project::{NameIndex, dir_name, entry_name, locked_package, mark_relations};
use crate::error::ParseError;
use crate::formats::Format;
use crate::formats::common::PackageSet;
use crate::input::{Input, ParseResult, Parsed};
use crate::text::LineIndex;

#[derive(Deserialize)]
struct Lock {
    #[serde(rename = "lock-version")]
    lock_version: Option<String>,
    #[serde(default)]
    packages: Vec<LockPackage>,
}

#[derive(Deserialize)]
struct LockPackage {
    name: Spanned<String>,
    version: Option<String>,
    marker: Option<String>,
    #[serde(default)]
    dependencies: Vec<Table>,
    vcs: Option<Vcs>,
    directory: Option<Directory>,
    archive: Option<Archive>,
    sdist: Option<Archive>,
    #[serde(default)]
    wheels: Vec<Archive>,
}

#[derive(Deserialize)]
struct Vcs {
    url: Option<String>,
    path: Option<String>,
    #[serde(rename = "requested-revision")]
    requested_revision: Option<String>,
    #[serde(rename = "commit-id")]
    commit_id: Option<String>,
}

#[derive(Deserialize)]
struct Directory {
    path: String,
}

#[derive(Deserialize)]
struct Archive {
    url: Option<String>,
    path: Option<String>,
    #[serde(default)]
    hashes: BTreeMap<String, String>,
}

pub fn parse(input: &Input) -> ParseResult {
    let lock: Lock = toml::from_str(input.text).map_err(|e| ParseError::toml(&e, input.text))?;
    let mut source = SourceFile::new(input.display, Format::PyLock.id(), Ecosystem::PYPI);
    source.format_version = lock.lock_version.clone();
    let mut parsed = Parsed::new(source);
    let lines = LineIndex::new(input.text);

    let mut set = PackageSet::new();
    let mut index = NameIndex::default();
    let mut entries: Vec<(String, &LockPackage)> = Vec::new();
    let mut roots: Vec<&LockPackage> = Vec::new();
    for pkg in &lock.packages {
        let Some((name, line)) = entry_name(&pkg.name, &lines, &mut parsed) else {
            continue;
        };
        if pkg
            .directory
            .as_ref()
            .is_some_and(|d| matches!(d.path.as_str(), "." | "./"))
        {
            roots.push(pkg);
            continue;
        }
        let resolution = if let Some(v) = &pkg.vcs {
            Resolution::Vcs {
                url: v.url.clone().or_else(|| v.path.clone()).unwrap_or_default(),
                rev: v.commit_id.clone().or_else(|| v.requested_revision.clone()),
            }
        } else if let Some(d) = &pkg.directory {
            Resolution::Path {
                path: d.path.clone(),
            }
        } else if let Some(a) = &pkg.archive {
            match (&a.url, &a.path) {
                (Some(url), _) => Resolution::Url { url: url.clone() },
                (None, Some(path)) => Resolution::Path { path: path.clone() },
                (None, None) => {
                    parsed.warn(Some(line), format!("`{name}`: archive without url or path"));
                    Resolution::Url { url: String::new() }
                }
            }
        } else {
            Resolution::Exact
        };
        let version = pkg.version.clone().unwrap_or_default();
        let Some(mut p) =
            locked_package(name, &version, resolution, input.display, line, &mut parsed)
        else {
            continue;
        };
        p.scope = pkg
            .marker
            .as_deref()
            .map_or(Scope::Runtime, |m| marker_scope(m, 0));
        p.checksums = pkg
            .archive
            .iter()
            .chain(&pkg.sdist)
            .chain(&pkg.wheels)
            .flat_map(|a| a.hashes.iter().map(|(algo, h)| format!("{algo}:{h}")))
            .collect();
        index.add(name, &version, &p.id);
        entries.push((p.id.clone(), pkg));
        set.insert(p);
    }

    let resolve = |t: &Table| -> Vec<String> {
        let Some(name) = t.get("name").and_then(Value::as_str) else {
            return Vec::new();
        };
        match t.get("version").and_then(Value::as_str) {
            Some(v) => index.resolve_version(name, v),
            None => index.resolve(name, None),
        }
    };
    for (id, pkg) in &entries {
        let deps: Vec<String> = pkg.dependencies.iter().flat_map(resolve).collect();
        if let Some(p) = set.get_mut(id) {
            p.dependencies.extend(deps);
        }
    }
    let mut direct = Vec::new();
    for r in &roots {
        let mut deps: Vec<String> = r.dependencies.iter().flat_map(resolve).collect();
        deps.sort();
        deps.dedup();
        for d in &deps {
            let scope = set.get(d).map_or(Scope::Runtime, |p| p.scope);
            direct.push((d.clone(), scope));
        }
        let name = r.name.get_ref().trim();
        parsed.source.roots.push(Root {
            name: if name.is_empty() {
                dir_name(input.display).to_string()
            } else {
                name.to_string()
            },
            version: r.version.clone().unwrap_or_default(),
            path: r.directory.as_ref().map(|d| d.path.clone()),
            dependencies: deps,
        });
    }
    if !roots.is_empty() {
        mark_relations(&mut set, &direct);
    }
    parsed.source.packages = set.into_sorted();
    Ok(parsed)
}

/// Most nesting of parentheses followed in a marker.
const MAX_MARKER_DEPTH: usize = 16;

/// Scope implied by an environment marker: `or` takes the most demanding
/// alternative, `and` the least; a `'g' in dependency_groups` term is dev,
/// `'e' in extras` optional, any other term runtime.
fn marker_scope(marker: &str, depth: usize) -> Scope {
    let m = strip_parens(marker.trim());
    if depth > MAX_MARKER_DEPTH {
        return Scope::Runtime;
    }
    let alts = split_top(m, " or ");
    if alts.len() > 1 {
        return alts
            .iter()
            .map(|a| marker_scope(a, depth + 1))
            .max()
            .unwrap_or(Scope::Runtime);
    }
    let parts = split_top(m, " and ");
    if parts.len() > 1 {
        return parts
            .iter()
            .map(|a| marker_scope(a, depth + 1))
            .min()
            .unwrap_or(Scope::Runtime);
    }
    let norm: String = m.split_whitespace().collect::<Vec<_>>().join(" ");
    if norm.contains(" not in ") {
        Scope::Runtime
    } else if norm.ends_with(" in dependency_groups") {
        Scope::Dev
    } else if norm.ends_with(" in extras") {
        Scope::Optional
    } else {
        Scope::Runtime
    }
}

/// Remove parentheses that enclose the whole expression (`(a and b)`,
/// not `(a) or (b)`).
fn strip_parens(s: &str) -> &str {
    let mut s = s.trim();
    for _ in 0..MAX_MARKER_DEPTH {
        match s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
            Some(inner) if encloses(s) => s = inner.trim(),
            _ => break,
        }
    }
    s
}

/// Does the `(` at the start of `s` close only at its very end?
fn encloses(s: &str) -> bool {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let last = s.len().saturating_sub(1);
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth -= 1;
                if depth == 0 && i != last {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

/// Split at `sep` (plain words and spaces) outside parentheses and quotes.
fn split_top<'a>(s: &'a str, sep: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut start = 0;
    let mut skip_until = 0;
    for (i, c) in s.char_indices() {
        if i < skip_until {
            continue;
        }
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth -= 1,
            _ => {}
        }
        if quote.is_none() && depth == 0 && s[i..].starts_with(sep) {
            out.push(&s[start..i]);
            start = i + sep.len();
            skip_until = start;
        }
    }
    out.push(&s[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::python::project::find as get;
    use patchloop_model::Relation;

    // Written from the PEP 751 specification (no real file in the corpus).
    const LOCK: &str = r#"lock-version = '1.0'
environments = ["sys_platform == 'win32'", "sys_platform == 'linux'"]
requires-python = '>=3.9'
extras = ['socks']
dependency-groups = ['dev']
default-groups = []
created-by = 'example-locker'

[[packages]]
name = 'app'
directory = { path = '.', editable = true }
dependencies = [
    {name = 'attrs'},
    {name = 'requests'},
    {name = 'pytest'},
]

[[packages]]
name = 'attrs'
version = '25.1.0'
requires-python = '>=3.8'
index = 'https://pypi.org/simple'

[[packages.wheels]]
name = 'attrs-25.1.0-py3-none-any.whl'
upload-time = 2025-01-25T11:30:10.164985+00:00
url = 'https://files.pythonhosted.org/packages/fc/30/attrs-25.1.0-py3-none-any.whl'
size = 63152
hashes = {sha256 = 'c75a69e28a550a7e93789579c22aa26b0f5b83b75dc4e08fe092980051e1090a'}

[[packages]]
name = 'requests'
version = '2.32.3'
index = 'https://pypi.org/simple'
dependencies = [
    {name = 'urllib3', version = '2.2.3'},
    {name = 'pysocks'},
]

[packages.sdist]
name = 'requests-2.32.3.tar.gz'
url = 'https://files.pythonhosted.org/packages/requests-2.32.3.tar.gz'
size = 131218
hashes = {sha256 = '55365417734eb18255590a9ff9eb97e9e1da868d4ccd6402399eaf68af20a760'}

[[packages]]
name = 'urllib3'
version = '2.2.3'
index = 'https://pypi.org/simple'

[[packages]]
name = 'urllib3'
version = '1.26.20'
marker = "python_version < '3.10' and 'legacy' in dependency_groups"
index = 'https://pypi.org/simple'

[[packages]]
name = 'pysocks'
version = '1.7.1'
marker = "'socks' in extras"

[[packages]]
name = 'pytest'
version = '8.3.4'
marker = "('dev' in dependency_groups) or ('test' in dependency_groups and python_version >= '3.9')"

[[packages]]
name = 'mylib'
directory = { path = 'libs/mylib', editable = true }

[[packages]]
name = 'gitdep'
version = '2.0'

[packages.vcs]
type = 'git'
url = 'https://github.com/org/gitdep.git'
requested-revision = 'main'
commit-id = '0123456789abcdef0123456789abcdef01234567'

[[packages]]
name = 'remote'

[packages.archive]
url = 'https://example.com/remote-1.0.tar.gz'
hashes = {sha256 = 'ab12'}

[tool.example-locker]
anything = true
"#;

    #[test]
    fn pep751_example() {
        let p = parse(&Input::new("pylock.toml", LOCK)).unwrap();
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.source.format_version.as_deref(), Some("1.0"));
        assert_eq!(p.source.roots.len(), 1);
        assert_eq!(p.source.roots[0].name, "app");
        assert_eq!(p.source.roots[0].path.as_deref(), Some("."));
        assert_eq!(p.source.packages.len(), 9);
        let a = get(&p, "attrs", "25.1.0");
        assert_eq!(a.line(), Some(19));
        assert_eq!(
            a.checksums,
            vec!["sha256:c75a69e28a550a7e93789579c22aa26b0f5b83b75dc4e08fe092980051e1090a"]
        );
        assert_eq!((a.relation, a.scope), (Relation::Direct, Scope::Runtime));
        let r = get(&p, "requests", "2.32.3");
        assert_eq!(
            r.dependencies,
            vec!["pkg:pypi/pysocks@1.7.1", "pkg:pypi/urllib3@2.2.3"]
        );
        assert_eq!(get(&p, "urllib3", "2.2.3").relation, Relation::Transitive);
        let old = get(&p, "urllib3", "1.26.20");
        assert_eq!((old.relation, old.scope), (Relation::Unknown, Scope::Dev));
        assert_eq!(get(&p, "pysocks", "1.7.1").scope, Scope::Optional);
        let t = get(&p, "pytest", "8.3.4");
        assert_eq!((t.relation, t.scope), (Relation::Direct, Scope::Dev));
        assert_eq!(
            get(&p, "mylib", "").resolution,
            Resolution::Path {
                path: "libs/mylib".into()
            }
        );
        assert_eq!(
            get(&p, "gitdep", "2.0").resolution,
            Resolution::Vcs {
                url: "https://github.com/org/gitdep.git".into(),
                rev: Some("0123456789abcdef0123456789abcdef01234567".into())
            }
        );
        let rem = get(&p, "remote", "");
        assert_eq!(rem.purl, "pkg:pypi/remote");
        assert_eq!(rem.checksums, vec!["sha256:ab12"]);
    }

    #[test]
    fn markers() {
        assert_eq!(marker_scope("'dev' in dependency_groups", 0), Scope::Dev);
        assert_eq!(marker_scope("\"x\" in extras", 0), Scope::Optional);
        assert_eq!(marker_scope("sys_platform == 'win32'", 0), Scope::Runtime);
        assert_eq!(
            marker_scope("python_version < '3.10' or 'dev' in dependency_groups", 0),
            Scope::Runtime
        );
        assert_eq!(
            marker_scope("('a' in extras) or ('dev' in dependency_groups)", 0),
            Scope::Optional
        );
        assert_eq!(
            marker_scope("(('dev' in dependency_groups))", 0),
            Scope::Dev
        );
        assert_eq!(
            marker_scope("'dev' not in dependency_groups", 0),
            Scope::Runtime
        );
        assert_eq!(
            marker_scope("sys_platform == 'x or y' and 'dev' in dependency_groups", 0),
            Scope::Dev
        );
        let deep = format!(
            "{}'dev' in dependency_groups{}",
            "(".repeat(500),
            ")".repeat(500)
        );
        let _ = marker_scope(&deep, 0);
        for odd in ["(", ")", "((", "'", "or", " and ", "(a) or (b", "é or ü"] {
            let _ = marker_scope(odd, 0);
        }
    }

    #[test]
    fn bad_input() {
        assert!(parse(&Input::new("pylock.toml", "[[packages]]\nname = 1\n")).is_err());
        let p = parse(&Input::new(
            "pylock.toml",
            "lock-version = '1.0'\n[[packages]]\nname = 'a'\n",
        ))
        .unwrap();
        assert!(p.source.packages.is_empty());
        assert_eq!(p.warnings.len(), 1);
    }
}
