//! Dart/Flutter: `pubspec.lock`.
//!
//! ```yaml
//! packages:
//!   http:
//!     dependency: "direct main"      # direct main | direct dev | direct overridden | transitive
//!     description:
//!       name: http
//!       sha256: "4c3f04..."
//!       url: "https://pub.dev"
//!     source: hosted                 # hosted | git | path | sdk
//!     version: "1.1.0"
//! sdks:
//!   dart: ">=3.0.0 <4.0.0"
//! ```
//!
//! The file records no edges between packages.

use std::collections::BTreeMap;

use serde::Deserialize;

use patchloop_model::{Ecosystem, Package, Relation, Resolution, Root, Scope, SourceFile};

use crate::error::ParseError;
use crate::formats::common::PackageSet;
use crate::input::{Input, ParseResult, Parsed};

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    packages: Option<BTreeMap<String, serde_yaml::Value>>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    dependency: Option<String>,
    #[serde(default)]
    description: Option<serde_yaml::Value>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    version: Option<serde_yaml::Value>,
}

fn scalar(v: &serde_yaml::Value) -> Option<String> {
    match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn desc_field(d: Option<&serde_yaml::Value>, key: &str) -> Option<String> {
    d.and_then(|d| d.get(key)).and_then(scalar)
}

/// Lines of the package keys: 2-space-indented `name:` lines inside the
/// top-level `packages:` block.
fn package_lines(text: &str) -> BTreeMap<String, u32> {
    let mut out = BTreeMap::new();
    let mut inside = false;
    for (i, line) in text.lines().enumerate() {
        let no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let line = line.trim_end();
        if line.is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') {
            inside = line.starts_with("packages:");
            continue;
        }
        if !inside {
            continue;
        }
        let Some(rest) = line.strip_prefix("  ") else {
            continue;
        };
        if rest.starts_with(' ') {
            continue;
        }
        if let Some((key, _)) = rest.split_once(':') {
            let key = key.trim().trim_matches(['"', '\'']);
            out.entry(key.to_string()).or_insert(no);
        }
    }
    out
}

/// Parse a `pubspec.lock`.
pub fn parse(input: &Input) -> ParseResult {
    let mut parsed = Parsed::new(SourceFile::new(
        input.display,
        "pubspec-lock",
        Ecosystem::PUB,
    ));
    if input
        .text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Ok(parsed);
    }
    crate::text::yaml_depth_guard(input.text)?;
    let lock: Lock = serde_yaml::from_str(input.text).map_err(|e| ParseError::yaml(&e))?;
    let Some(packages) = lock.packages else {
        return Err(ParseError::new("not a pubspec.lock: no `packages:` map"));
    };
    let lines = package_lines(input.text);
    let mut set = PackageSet::new();
    let mut direct = Vec::new();
    for (name, value) in packages {
        let line = lines.get(&name).copied();
        let e: Entry = match serde_yaml::from_value(value) {
            Ok(e) => e,
            Err(err) => {
                parsed.warn(
                    line,
                    format!("{name}: entry not understood ({err}); skipped"),
                );
                continue;
            }
        };
        let version = e.version.as_ref().and_then(scalar).unwrap_or_default();
        let desc = e.description.as_ref();
        let source = e.source.as_deref().unwrap_or("hosted");
        let (version, resolution) = match source {
            "hosted" => (version, Resolution::Exact),
            "git" => (
                version,
                Resolution::Vcs {
                    url: desc_field(desc, "url").unwrap_or_default(),
                    rev: desc_field(desc, "resolved-ref").or_else(|| desc_field(desc, "ref")),
                },
            ),
            "path" => (
                version,
                Resolution::Path {
                    path: desc_field(desc, "path").unwrap_or_default(),
                },
            ),
            "sdk" => {
                // Shipped with an SDK (flutter, flutter_test, ...): the
                // `0.0.0` version is a placeholder.
                let sdk = desc.and_then(scalar).unwrap_or_else(|| "sdk".to_string());
                (
                    String::new(),
                    Resolution::Path {
                        path: format!("sdk:{sdk}"),
                    },
                )
            }
            other => {
                parsed.warn(line, format!("{name}: unknown source `{other}`"));
                (
                    version,
                    Resolution::Url {
                        url: format!("{other}:"),
                    },
                )
            }
        };
        if version.is_empty() && resolution.is_exact() {
            parsed.warn(line, format!("{name}: no version; skipped"));
            continue;
        }
        let (relation, scope) = match e.dependency.as_deref() {
            Some("direct main") => (Relation::Direct, Scope::Runtime),
            Some("direct dev") => (Relation::Direct, Scope::Dev),
            Some("direct overridden") => (Relation::Direct, Scope::Runtime),
            Some("transitive") => (Relation::Transitive, Scope::Runtime),
            _ => (Relation::Unknown, Scope::Runtime),
        };
        let mut p = Package::new(Ecosystem::PUB, name.clone(), version)
            .with_relation(relation)
            .with_scope(scope)
            .with_location(input.display, line);
        p.resolution = resolution;
        if let Some(sha) = desc_field(desc, "sha256") {
            p.checksums.push(format!("sha256:{sha}"));
        }
        let id = set.insert(p);
        if relation == Relation::Direct {
            direct.push(id);
        }
    }
    if let Some(name) = root_name(input) {
        parsed.source.roots.push(Root {
            name,
            version: String::new(),
            path: None,
            dependencies: direct,
        });
    }
    parsed.source.packages = set.into_sorted();
    Ok(parsed)
}

/// The `name:` of a sibling pubspec.yaml, if any.
fn root_name(input: &Input) -> Option<String> {
    let (_, text) = input.read_related("pubspec.yaml").ok()??;
    text.lines().find_map(|l| {
        let v = l.strip_prefix("name:")?.trim();
        let v = v
            .split(" #")
            .next()
            .unwrap_or(v)
            .trim()
            .trim_matches(['"', '\'']);
        (!v.is_empty()).then(|| v.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"# Generated by pub
# See https://dart.dev/tools/pub/glossary#lockfile
packages:
  async:
    dependency: transitive
    description:
      name: async
      sha256: "947bfcf187f74dbc5e146c9eb9c0f10c9f8b30743e341481c1e2ed3ecc18c20c"
      url: "https://pub.dev"
    source: hosted
    version: "2.11.0"
  flutter:
    dependency: "direct main"
    description: flutter
    source: sdk
    version: "0.0.0"
  flutter_lints:
    dependency: "direct dev"
    description:
      name: flutter_lints
      url: "https://pub.dartlang.org"
    source: hosted
    version: "2.0.1"
  local_pkg:
    dependency: "direct main"
    description:
      path: "../local_pkg"
      relative: true
    source: path
    version: "0.1.0"
  my_fork:
    dependency: "direct overridden"
    description:
      path: "."
      ref: main
      resolved-ref: "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"
      url: "https://github.com/acme/my_fork.git"
    source: git
    version: "1.2.0"
  weird: [1, 2]
sdks:
  dart: ">=3.0.0 <4.0.0"
  flutter: ">=3.10.0"
"#;

    fn find<'a>(p: &'a Parsed, name: &str) -> &'a Package {
        p.source.packages.iter().find(|x| x.name == name).unwrap()
    }

    #[test]
    fn entries() {
        let p = parse(&Input::new("pubspec.lock", LOCK)).unwrap();
        assert_eq!(p.source.packages.len(), 5);
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, Some(40));
        let a = find(&p, "async");
        assert_eq!(a.version, "2.11.0");
        assert_eq!(a.purl, "pkg:pub/async@2.11.0");
        assert_eq!(a.line(), Some(4));
        assert_eq!(a.relation, Relation::Transitive);
        assert_eq!(
            a.checksums,
            vec![
                "sha256:947bfcf187f74dbc5e146c9eb9c0f10c9f8b30743e341481c1e2ed3ecc18c20c"
                    .to_string()
            ]
        );
        let f = find(&p, "flutter");
        assert_eq!(f.version, "");
        assert_eq!(
            f.resolution,
            Resolution::Path {
                path: "sdk:flutter".into()
            }
        );
        assert_eq!(f.relation, Relation::Direct);
        let l = find(&p, "flutter_lints");
        assert_eq!(l.scope, Scope::Dev);
        assert_eq!(l.line(), Some(17));
        assert!(l.checksums.is_empty());
        let lp = find(&p, "local_pkg");
        assert_eq!(
            lp.resolution,
            Resolution::Path {
                path: "../local_pkg".into()
            }
        );
        assert_eq!(lp.version, "0.1.0");
        let g = find(&p, "my_fork");
        assert_eq!(
            g.resolution,
            Resolution::Vcs {
                url: "https://github.com/acme/my_fork.git".into(),
                rev: Some("1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b".into())
            }
        );
        assert_eq!(g.relation, Relation::Direct);
    }

    #[test]
    fn bad_input() {
        assert!(parse(&Input::new("pubspec.lock", "packages:\n  a: [\n")).is_err());
        assert!(parse(&Input::new("pubspec.lock", "- a\n- b\n")).is_err());
        assert!(parse(&Input::new("pubspec.lock", "sdks:\n  dart: x\n")).is_err());
        assert!(
            parse(&Input::new("pubspec.lock", ""))
                .unwrap()
                .source
                .packages
                .is_empty()
        );
        let p = parse(&Input::new(
            "pubspec.lock",
            "packages:\n  nov:\n    source: hosted\n  x:\n    source: weird\n    version: 1\n",
        ))
        .unwrap();
        assert_eq!(p.source.packages.len(), 1);
        assert_eq!(p.warnings.len(), 2);
    }
}
