//! `packages.lock.json` (NuGet lock file, version 1 and 2): one block of
//! resolved packages per target framework (and runtime identifier).

use crate::fxhash::{HashMap, HashSet};
use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;

use patchloop_model::{Ecosystem, Package, Relation, Resolution, Root, Scope, SourceFile};

use crate::error::ParseError;
use crate::formats::common::{PackageSet, propagate};
use crate::input::{Input, ParseResult, Parsed};

#[derive(Deserialize)]
struct LockFile<'a> {
    #[serde(default)]
    version: Option<serde_json::Value>,
    #[serde(borrow, default)]
    dependencies: BTreeMap<Cow<'a, str>, BTreeMap<Cow<'a, str>, Entry<'a>>>,
}

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    resolved: Option<Cow<'a, str>>,
    #[serde(rename = "contentHash", borrow, default)]
    content_hash: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    dependencies: BTreeMap<Cow<'a, str>, Cow<'a, str>>,
}

pub fn parse(input: &Input) -> ParseResult {
    if !input.text.trim_start().starts_with('{') {
        let line = crate::text::line_of_offset(
            input.text,
            input.text.len() - input.text.trim_start().len(),
        );
        return Err(ParseError::at(
            line,
            "not a NuGet lock file: expected a JSON object",
        ));
    }
    let lock: LockFile = serde_json::from_str(input.text).map_err(|e| ParseError::json(&e))?;
    let mut source = SourceFile::new(input.display, "nuget-lock", Ecosystem::NUGET);
    source.format_version = match &lock.version {
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    let mut parsed = Parsed::new(source);
    if !matches!(parsed.source.format_version.as_deref(), Some("1" | "2")) {
        parsed.warn(
            Some(1),
            format!(
                "lock file version {} is not 1 or 2; read as version 2",
                parsed.source.format_version.as_deref().unwrap_or("(none)")
            ),
        );
    }
    let lines = package_lines(input.text);
    let mut set = PackageSet::new();
    let mut direct: Vec<(String, Scope)> = Vec::new();
    for (framework, entries) in &lock.dependencies {
        // Names are case-insensitive: edges resolve on the lowercase name.
        let mut ids: HashMap<String, String> = HashMap::default();
        let mut referenced: HashSet<String> = HashSet::default();
        let mut projects: Vec<(String, String)> = Vec::new();
        for (name, e) in entries {
            let line = lines.get(&(framework.as_ref(), name.as_ref())).copied();
            let kind = e.kind.as_deref().unwrap_or("");
            let mut p = if kind == "Project" {
                Package::unpinned(
                    Ecosystem::NUGET,
                    name.as_ref(),
                    Resolution::Path {
                        path: name.to_string(),
                    },
                )
            } else {
                let Some(v) = e
                    .resolved
                    .as_deref()
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                else {
                    parsed.warn(
                        line,
                        format!("{name} ({framework}) has no resolved version; skipped"),
                    );
                    continue;
                };
                let mut p = Package::new(Ecosystem::NUGET, name.as_ref(), v);
                if let Some(h) = e.content_hash.as_deref().filter(|h| !h.is_empty()) {
                    p.checksums.push(format!("sha512-{h}"));
                }
                p
            };
            match kind {
                "Direct" => direct.push((p.id.clone(), Scope::Runtime)),
                "Project" => projects.push((name.to_lowercase(), p.id.clone())),
                "Transitive" | "CentralTransitive" => {}
                other => parsed.warn(
                    line,
                    format!("{name} ({framework}) has unknown type `{other}`; taken as transitive"),
                ),
            }
            p = p.with_location(input.display, line);
            p.relation = Relation::Transitive;
            for d in e.dependencies.keys() {
                referenced.insert(d.to_lowercase());
            }
            ids.insert(name.to_lowercase(), set.insert(p));
        }
        // A local project no other entry depends on is referenced by the
        // project owning the lock file itself.
        for (lower, id) in projects {
            if !referenced.contains(&lower) {
                direct.push((id, Scope::Runtime));
            }
        }
        for (name, e) in entries {
            let Some(from) = ids.get(&name.to_lowercase()) else {
                continue;
            };
            let deps: Vec<String> = e
                .dependencies
                .keys()
                .filter_map(|d| ids.get(&d.to_lowercase()).cloned())
                .collect();
            if let Some(p) = set.get_mut(from) {
                for d in deps {
                    if !p.dependencies.contains(&d) {
                        p.dependencies.push(d);
                    }
                }
            }
        }
    }
    // Entries reachable from nothing keep `transitive`: the lock file says
    // so even when the path to them is not recorded.
    propagate(&mut set, &direct);
    let mut root_deps: Vec<String> = direct.into_iter().map(|(id, _)| id).collect();
    root_deps.sort();
    root_deps.dedup();
    parsed.source.roots.push(Root {
        name: project_name(input),
        version: String::new(),
        path: None,
        dependencies: root_deps,
    });
    parsed.source.packages = set.into_sorted();
    Ok(parsed)
}

/// The project owning the lock file: the only project file next to it,
/// else the name of its directory.
fn project_name(input: &Input) -> String {
    if let Some(dir) = input.dir()
        && let Ok(rd) = std::fs::read_dir(dir)
    {
        let mut found: Vec<String> = rd
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(".csproj") || n.ends_with(".fsproj") || n.ends_with(".vbproj"))
            .collect();
        if found.len() == 1
            && let Some(n) = found.pop()
            && let Some((stem, _)) = n.rsplit_once('.')
        {
            return stem.to_string();
        }
    }
    let mut parts = input.display.rsplit(['/', '\\']);
    parts.next();
    match parts.next() {
        Some(dir) if !dir.is_empty() && dir != "." && dir != ".." => dir.to_string(),
        _ => "packages.lock.json".to_string(),
    }
}

/// Line of every package key: `{"dependencies": {"<fw>": {"<name>": ...`.
/// A single pass over the text tracking object nesting (no recursion);
/// keys are matched as written (escapes not decoded).
fn package_lines(text: &str) -> HashMap<(&str, &str), u32> {
    let b = text.as_bytes();
    let mut out = HashMap::default();
    // The key that opened each enclosing container (None for arrays and
    // the root object).
    let mut stack: Vec<Option<&str>> = Vec::new();
    let mut pending: Option<&str> = None;
    let mut line: u32 = 1;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\n' => line = line.saturating_add(1),
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && b[j] != b'"' {
                    if b[j] == b'\\' {
                        j += 1;
                    } else if b[j] == b'\n' {
                        line = line.saturating_add(1);
                    }
                    j += 1;
                }
                if j >= b.len() {
                    break;
                }
                let s = text.get(start..j).unwrap_or("");
                let key_line = line;
                let mut k = j + 1;
                while k < b.len() && b[k].is_ascii_whitespace() {
                    if b[k] == b'\n' {
                        line = line.saturating_add(1);
                    }
                    k += 1;
                }
                if k < b.len() && b[k] == b':' {
                    if stack.len() == 3
                        && stack.get(1).copied().flatten() == Some("dependencies")
                        && let Some(Some(fw)) = stack.get(2)
                    {
                        out.entry((*fw, s)).or_insert(key_line);
                    }
                    pending = Some(s);
                    i = k + 1;
                    continue;
                }
                i = k;
                continue;
            }
            b'{' => stack.push(pending.take()),
            b'[' => {
                pending = None;
                stack.push(None);
            }
            b'}' | b']' => {
                stack.pop();
                pending = None;
            }
            b',' => pending = None,
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
  "version": 2,
  "dependencies": {
    "net6.0": {
      "Serilog": {
        "type": "Direct",
        "requested": "[2.10.0, )",
        "resolved": "2.10.0",
        "contentHash": "abc=="
      },
      "Serilog.Sinks.File": {
        "type": "Direct",
        "requested": "[5.0.0, )",
        "resolved": "5.0.0",
        "contentHash": "def==",
        "dependencies": {
          "serilog": "2.10.0"
        }
      },
      "Newtonsoft.Json": {
        "type": "CentralTransitive",
        "requested": "[13.0.1, )",
        "resolved": "13.0.1"
      },
      "System.Memory": {
        "type": "Transitive",
        "resolved": "4.5.4"
      },
      "mylib": {
        "type": "Project",
        "dependencies": {
          "Newtonsoft.Json": "[13.0.1, )",
          "Other": "1.0.0"
        }
      },
      "broken": {
        "type": "Transitive"
      }
    },
    "net6.0/linux-x64": {
      "Serilog": {
        "type": "Direct",
        "requested": "[2.10.0, )",
        "resolved": "2.10.0",
        "contentHash": "abc=="
      },
      "System.Memory": {
        "type": "Transitive",
        "resolved": "4.5.5"
      }
    }
  }
}"#;

    #[test]
    fn lock_v2() {
        let p = parse(&Input::new("src/App/packages.lock.json", LOCK)).unwrap();
        let s = &p.source;
        assert_eq!(s.format_version.as_deref(), Some("2"));
        // Serilog once, System.Memory in two versions, the project, and
        // the entry without a resolved version skipped.
        assert_eq!(s.packages.len(), 6, "{:#?}", s.packages);
        let get = |n: &str, v: &str| {
            s.packages
                .iter()
                .find(|x| x.name == n && x.version == v)
                .unwrap_or_else(|| panic!("{n} {v}"))
        };
        let serilog = get("Serilog", "2.10.0");
        assert_eq!(serilog.purl, "pkg:nuget/Serilog@2.10.0");
        assert_eq!(serilog.relation, Relation::Direct);
        assert_eq!(serilog.checksums, vec!["sha512-abc==".to_string()]);
        assert_eq!(
            serilog.locations.iter().map(|l| l.line).collect::<Vec<_>>(),
            vec![Some(5), Some(41)]
        );
        let sinks = get("Serilog.Sinks.File", "5.0.0");
        assert_eq!(sinks.dependencies, vec![serilog.id.clone()]);
        assert_eq!(sinks.line(), Some(11));
        let nj = get("Newtonsoft.Json", "13.0.1");
        assert_eq!(nj.relation, Relation::Transitive);
        assert_eq!(nj.line(), Some(20));
        let lib = get("mylib", "");
        assert_eq!(
            lib.resolution,
            Resolution::Path {
                path: "mylib".into()
            }
        );
        assert_eq!(lib.relation, Relation::Direct);
        assert_eq!(lib.dependencies, vec![nj.id.clone()]);
        assert_eq!(get("System.Memory", "4.5.5").line(), Some(47));
        assert_eq!(s.roots[0].name, "App");
        assert_eq!(s.roots[0].dependencies.len(), 3);
        assert!(p.warnings.iter().any(|w| w.message.contains("broken")));
    }

    #[test]
    fn bad_input() {
        for t in [
            "",
            "{",
            "[]",
            "{\"dependencies\": []}",
            "{\"dependencies\": {\"x\": {\"a\": 1}}}",
        ] {
            assert!(parse(&Input::new("packages.lock.json", t)).is_err(), "{t}");
        }
        let p = parse(&Input::new("packages.lock.json", "{\"version\": 3}")).unwrap();
        assert!(p.source.packages.is_empty());
        assert_eq!(p.warnings.len(), 1);
    }

    #[test]
    fn key_lines_ignore_nested_and_escaped() {
        let t = "{\"dependencies\":{\"fw\":{\n\"a\\\"b\":{\"dependencies\":{\"c\":\"1\"}},\n\"c\":{}}},\"x\":[{\"fw\":1}]}";
        let l = package_lines(t);
        assert_eq!(l.get(&("fw", "a\\\"b")), Some(&2));
        assert_eq!(l.get(&("fw", "c")), Some(&3));
        assert_eq!(l.len(), 2);
    }
}
