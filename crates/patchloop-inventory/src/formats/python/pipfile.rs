//! `Pipfile.lock` (pipenv; `_meta.pipfile-spec` 6).
//!
//! `default` is runtime, `develop` dev; other sections are pipenv package
//! categories (dev-sounding names → dev, others optional). The lock is
//! flat (no edges): with a `Pipfile` beside it, the names it lists are
//! direct and every other locked package transitive; without one the
//! relation is unknown.

use crate::fxhash::{HashMap, HashSet};

use patchloop_model::{
    Ecosystem, Package, Relation, Resolution, Root, Scope, SourceFile, pep503_normalize,
};
use serde_json::Value;

use super::project::{category_scope, dir_name, read_pipfile, sibling_manifest};
use crate::error::ParseError;
use crate::formats::Format;
use crate::formats::common::PackageSet;
use crate::input::{Input, ParseResult, Parsed};

pub fn parse(input: &Input) -> ParseResult {
    let doc: Value = serde_json::from_str(input.text).map_err(|e| ParseError::json(&e))?;
    let Some(obj) = doc.as_object() else {
        return Err(ParseError::at(1, "Pipfile.lock is not a JSON object"));
    };
    let mut source = SourceFile::new(input.display, Format::PipfileLock.id(), Ecosystem::PYPI);
    source.format_version = obj
        .get("_meta")
        .and_then(|m| m.get("pipfile-spec"))
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
    let mut parsed = Parsed::new(source);
    let lines = section_key_lines(input.text);

    let mut set = PackageSet::new();
    for (section, entries) in obj {
        if section == "_meta" {
            continue;
        }
        let Some(entries) = entries.as_object() else {
            parsed.warn(
                None,
                format!("section `{section}` is not an object; skipped"),
            );
            continue;
        };
        let scope = match section.as_str() {
            "default" => Scope::Runtime,
            "develop" => Scope::Dev,
            other => category_scope(other),
        };
        for (name, entry) in entries {
            let line = lines.get(&(section.as_str(), name.as_str())).copied();
            match package(name, entry) {
                Ok(p) => {
                    set.insert(p.with_scope(scope).with_location(input.display, line));
                }
                Err(msg) => parsed.warn(line, format!("`{name}` in `{section}`: {msg}; skipped")),
            }
        }
    }

    if let Some(m) = sibling_manifest(input, &mut parsed, "Pipfile", read_pipfile) {
        let names: HashSet<String> = m.deps.iter().map(|d| pep503_normalize(&d.name)).collect();
        let mut ids = Vec::new();
        for p in set.iter_mut() {
            if names.contains(&pep503_normalize(&p.name)) {
                p.relation = Relation::Direct;
                ids.push(p.id.clone());
            } else {
                p.relation = Relation::Transitive;
            }
        }
        ids.sort();
        parsed.source.roots.push(Root {
            name: dir_name(input.display).to_string(),
            version: String::new(),
            path: None,
            dependencies: ids,
        });
    }
    parsed.source.packages = set.into_sorted();
    Ok(parsed)
}

fn str_field<'a>(entry: &'a Value, key: &str) -> Option<&'a str> {
    entry.get(key).and_then(Value::as_str)
}

fn package(name: &str, entry: &Value) -> Result<Package, String> {
    if !entry.is_object() {
        return Err("entry is not an object".into());
    }
    if name.trim().is_empty() {
        return Err("empty name".into());
    }
    let spec = str_field(entry, "version").map(str::trim);
    let version = spec
        .and_then(|v| v.strip_prefix("===").or_else(|| v.strip_prefix("==")))
        .map(str::trim)
        .filter(|v| !v.is_empty() && !v.contains('*'));
    let resolution = if let Some(git) = str_field(entry, "git") {
        Resolution::Vcs {
            url: git.to_string(),
            rev: str_field(entry, "ref").map(str::to_string),
        }
    } else if let Some(path) = str_field(entry, "path") {
        Resolution::Path {
            path: path.to_string(),
        }
    } else if let Some(file) = str_field(entry, "file") {
        let lower = file.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            Resolution::Url {
                url: file.to_string(),
            }
        } else {
            Resolution::Path {
                path: file.to_string(),
            }
        }
    } else {
        match (version, spec) {
            (Some(_), _) => Resolution::Exact,
            (None, Some(s)) if !s.is_empty() => Resolution::Requirement {
                spec: s.to_string(),
            },
            _ => return Err("no version".into()),
        }
    };
    let mut p = Package::new(Ecosystem::PYPI, name, version.unwrap_or(""));
    p.resolution = resolution;
    p.checksums = entry
        .get("hashes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    Ok(p)
}

/// Line of each package key: the keys of the objects that are values of
/// the top-level keys, as (section, name) → 1-based line. A small JSON
/// scanner tracking nesting, so it works whatever the layout; keys are
/// compared as written (escapes undecoded).
fn section_key_lines(text: &str) -> HashMap<(&str, &str), u32> {
    let b = text.as_bytes();
    let mut out = HashMap::default();
    // Stack of containers: true = object.
    let mut stack: Vec<bool> = Vec::new();
    let mut section: Option<&str> = None;
    let mut line = 1u32;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\n' => line = line.saturating_add(1),
            b'{' => stack.push(true),
            b'[' => stack.push(false),
            b'}' | b']' => {
                stack.pop();
                if stack.len() == 1 {
                    section = None;
                }
            }
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && b[j] != b'"' {
                    if b[j] == b'\\' {
                        j += 1;
                    }
                    j += 1;
                }
                let end = j.min(b.len());
                let key = text.get(start..end).unwrap_or("");
                let mut k = end + 1;
                while k < b.len() && b[k].is_ascii_whitespace() {
                    k += 1;
                }
                let is_key = stack.last() == Some(&true) && b.get(k) == Some(&b':');
                if is_key {
                    match stack.len() {
                        1 => section = Some(key),
                        2 => {
                            if let Some(s) = section {
                                out.entry((s, key)).or_insert(line);
                            }
                        }
                        _ => {}
                    }
                }
                i = end + 1;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"{
    "_meta": {
        "hash": {
            "sha256": "abc"
        },
        "pipfile-spec": 6,
        "requires": {},
        "sources": [
            {
                "name": "pypi",
                "url": "https://pypi.org/simple",
                "verify_ssl": true
            }
        ]
    },
    "default": {
        "requests": {
            "hashes": [
                "sha256:aaa",
                "sha256:bbb"
            ],
            "index": "pypi",
            "markers": "python_version >= '3.8'",
            "version": "==2.32.3"
        },
        "idna": {
            "hashes": [],
            "version": "==3.10"
        },
        "mylib": {
            "editable": true,
            "path": "./mylib"
        },
        "gitdep": {
            "git": "https://github.com/org/gitdep.git",
            "ref": "0123abcd"
        },
        "archive": {
            "file": "https://example.com/archive-1.0.tar.gz"
        }
    },
    "develop": {
        "pytest": {
            "hashes": ["sha256:ccc"],
            "version": "==8.3.3"
        },
        "idna": {
            "version": "==3.10"
        },
        "broken": "nope",
        "nover": {}
    },
    "docs": {
        "sphinx": {
            "version": "==8.0.0"
        }
    }
}
"#;

    fn get<'a>(p: &'a Parsed, name: &str) -> &'a Package {
        p.source
            .packages
            .iter()
            .find(|x| x.name == name)
            .unwrap_or_else(|| panic!("{name} missing"))
    }

    #[test]
    fn sections_lines_and_sources() {
        let p = parse(&Input::new("Pipfile.lock", LOCK)).unwrap();
        assert_eq!(p.source.format_version.as_deref(), Some("6"));
        assert_eq!(p.source.packages.len(), 7);
        assert_eq!(p.warnings.len(), 2, "{:?}", p.warnings);
        let r = get(&p, "requests");
        assert_eq!(r.version, "2.32.3");
        assert_eq!(r.line(), Some(17));
        assert_eq!(r.scope, Scope::Runtime);
        assert_eq!(r.relation, Relation::Unknown);
        assert_eq!(r.checksums, vec!["sha256:aaa", "sha256:bbb"]);
        let i = get(&p, "idna");
        assert_eq!(i.scope, Scope::Runtime);
        let lines: Vec<Option<u32>> = i.locations.iter().map(|l| l.line).collect();
        assert_eq!(lines, vec![Some(26), Some(47)]);
        assert_eq!(get(&p, "pytest").scope, Scope::Dev);
        assert_eq!(get(&p, "pytest").line(), Some(43));
        assert_eq!(get(&p, "sphinx").scope, Scope::Dev);
        assert_eq!(
            get(&p, "mylib").resolution,
            Resolution::Path {
                path: "./mylib".into()
            }
        );
        assert_eq!(get(&p, "mylib").version, "");
        assert_eq!(
            get(&p, "gitdep").resolution,
            Resolution::Vcs {
                url: "https://github.com/org/gitdep.git".into(),
                rev: Some("0123abcd".into())
            }
        );
        assert!(matches!(
            get(&p, "archive").resolution,
            Resolution::Url { .. }
        ));
    }

    #[test]
    fn direct_from_pipfile() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("Pipfile"),
            "[packages]\nRequests = \"*\"\n[dev-packages]\npytest = \"*\"\n",
        )
        .unwrap();
        let path = dir.path().join("Pipfile.lock");
        let p = parse(&Input::new("Pipfile.lock", LOCK).with_fs_path(&path)).unwrap();
        assert_eq!(get(&p, "requests").relation, Relation::Direct);
        assert_eq!(get(&p, "pytest").relation, Relation::Direct);
        assert_eq!(get(&p, "idna").relation, Relation::Transitive);
        assert_eq!(
            p.source.roots[0].dependencies,
            vec!["pkg:pypi/pytest@8.3.3", "pkg:pypi/requests@2.32.3"]
        );
    }

    #[test]
    fn bad_input() {
        assert_eq!(
            parse(&Input::new("Pipfile.lock", "[1]")).unwrap_err().line,
            Some(1)
        );
        let e = parse(&Input::new("Pipfile.lock", "{\n\"default\": {\n")).unwrap_err();
        assert!(e.line.is_some());
        let p = parse(&Input::new("Pipfile.lock", "{\"default\": 3}")).unwrap();
        assert_eq!(p.warnings.len(), 1);
    }

    #[test]
    fn key_scanner() {
        let lines = section_key_lines(
            "{\"a\": {\"x\": {\"y\": 1}, \"z\\\"q\": [\"k\"]},\n\"b\": {\n\"x\" : 2}}",
        );
        assert_eq!(lines.get(&("a", "x")), Some(&1));
        assert_eq!(lines.get(&("a", "z\\\"q")), Some(&1));
        assert_eq!(lines.get(&("b", "x")), Some(&3));
        assert_eq!(lines.get(&("a", "y")), None);
        assert_eq!(lines.len(), 3);
        // Unterminated input does not panic.
        let _ = section_key_lines("{\"a\": {\"x\\");
        let _ = section_key_lines("\"");
    }
}
