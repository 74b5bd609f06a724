//! Swift Package Manager: `Package.resolved`, version 1 (`object.pins[]`
//! with `package`, `repositoryURL`, `state`) and versions 2 and 3
//! (`pins[]` with `identity`, `kind`, `location`, `state`).
//!
//! Packages are named by their repository URL without scheme, user and
//! `.git` (`https://github.com/apple/swift-nio.git` →
//! `github.com/apple/swift-nio`), as OSV's SwiftURL ecosystem names them.

use std::borrow::Cow;

use serde::Deserialize;

use patchloop_model::{Ecosystem, Package, Resolution, SourceFile};

use crate::error::ParseError;
use crate::formats::common::PackageSet;
use crate::formats::composer::array_item_lines;
use crate::input::{Input, ParseResult, Parsed};

#[derive(Deserialize)]
struct Resolved<'a> {
    #[serde(default)]
    version: Option<u32>,
    #[serde(borrow, default)]
    object: Option<V1Object<'a>>,
    #[serde(borrow, default)]
    pins: Option<Vec<Pin<'a>>>,
}

#[derive(Deserialize)]
struct V1Object<'a> {
    #[serde(borrow, default)]
    pins: Vec<Pin<'a>>,
}

/// A pin of either version: v1 spells `package`/`repositoryURL`, v2+
/// `identity`/`location`.
#[derive(Deserialize)]
struct Pin<'a> {
    #[serde(borrow, default, alias = "package")]
    identity: Option<Cow<'a, str>>,
    #[serde(borrow, default, alias = "repositoryURL")]
    location: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    state: Option<State<'a>>,
}

#[derive(Deserialize)]
struct State<'a> {
    #[serde(borrow, default)]
    branch: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    revision: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    version: Option<Cow<'a, str>>,
}

/// The SwiftURL package name of a repository URL: no scheme, no user, no
/// trailing `/` or `.git`; the host is lower-cased. `git@host:owner/repo`
/// becomes `host/owner/repo`.
pub fn swift_url_name(url: &str) -> String {
    let url = url.trim();
    let (rest, scp) = match url.split_once("://") {
        Some((_, r)) => (r, false),
        None => (url, true),
    };
    // Drop `user@` before the host.
    let host_end = rest.find('/').unwrap_or(rest.len());
    let rest = match rest[..host_end].rfind('@') {
        Some(at) => &rest[at + 1..],
        None => rest,
    };
    let rest = rest.trim_end_matches('/');
    let rest = rest.strip_suffix(".git").unwrap_or(rest);
    let host_end = rest.find('/').unwrap_or(rest.len());
    let (host, path) = rest.split_at(host_end);
    // scp-like `host:owner/repo`.
    let (host, path) = match host.split_once(':') {
        Some((h, p)) if scp && !p.is_empty() => (h, format!("/{p}{path}")),
        _ => (host, path.to_string()),
    };
    format!("{}{}", host.to_ascii_lowercase(), path)
}

fn is_local(location: &str) -> bool {
    location.starts_with('/')
        || location.starts_with("file://")
        || location.starts_with("./")
        || location.starts_with("../")
}

/// Parse a `Package.resolved`.
pub fn parse(input: &Input) -> ParseResult {
    let mut parsed = Parsed::new(SourceFile::new(
        input.display,
        "package-resolved",
        Ecosystem::SWIFT_URL,
    ));
    if !input.text.trim_start().starts_with('{') {
        return Err(ParseError::new(
            "not a Package.resolved: expected a JSON object",
        ));
    }
    let r: Resolved = serde_json::from_str(input.text).map_err(|e| ParseError::json(&e))?;
    parsed.source.format_version = r.version.map(|v| v.to_string());
    let (pins, lines) = match (r.object, r.pins) {
        (Some(o), _) => (
            o.pins,
            array_item_lines(input.text, &["object", "pins"], Some("package")),
        ),
        (None, Some(p)) => (p, array_item_lines(input.text, &["pins"], Some("identity"))),
        (None, None) => {
            return Err(ParseError::new(
                "not a Package.resolved: no `pins` (v2/v3) or `object.pins` (v1)",
            ));
        }
    };
    let mut set = PackageSet::new();
    for (i, pin) in pins.iter().enumerate() {
        let line = lines.get(i).copied();
        let identity = pin.identity.as_deref().unwrap_or_default();
        let location = pin.location.as_deref().unwrap_or_default();
        let state = pin.state.as_ref();
        let version = state.and_then(|s| s.version.as_deref()).unwrap_or_default();
        let revision = state.and_then(|s| s.revision.as_deref());
        let kind = pin.kind.as_deref().unwrap_or(if is_local(location) {
            "localSourceControl"
        } else {
            "remoteSourceControl"
        });
        let p = match kind {
            "localSourceControl" => {
                let name = if identity.is_empty() {
                    location
                } else {
                    identity
                };
                let mut p = Package::new(Ecosystem::SWIFT_URL, name, version);
                p.resolution = Resolution::Path {
                    path: location.to_string(),
                };
                p
            }
            "registry" => {
                if identity.is_empty() || version.is_empty() {
                    parsed.warn(line, "registry pin without identity or version; skipped");
                    continue;
                }
                Package::new(Ecosystem::SWIFT_URL, identity, version)
            }
            _ => {
                if location.is_empty() {
                    parsed.warn(
                        line,
                        format!("pin `{identity}` without a location; skipped"),
                    );
                    continue;
                }
                let name = swift_url_name(location);
                if version.is_empty() {
                    // Pinned to a branch or a bare revision.
                    Package::unpinned(
                        Ecosystem::SWIFT_URL,
                        name,
                        Resolution::Vcs {
                            url: location.to_string(),
                            rev: revision
                                .or(state.and_then(|s| s.branch.as_deref()))
                                .map(str::to_string),
                        },
                    )
                } else {
                    Package::new(Ecosystem::SWIFT_URL, name, version)
                }
            }
        };
        set.insert(p.with_location(input.display, line));
    }
    parsed.source.packages = set.into_sorted();
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = r#"{
  "object": {
    "pins": [
      {
        "package": "swift-nio",
        "repositoryURL": "https://github.com/apple/swift-nio.git",
        "state": {
          "branch": null,
          "revision": "51c3fc2e4a0fe6b4c8a4e4b6bd7b4a5d3e7f2a1b",
          "version": "2.40.0"
        }
      },
      {
        "package": "Alamofire",
        "repositoryURL": "git@github.com:Alamofire/Alamofire.git",
        "state": {
          "branch": "master",
          "revision": "f96b619bcb2383b43d898402283924b80e2c4bae",
          "version": null
        }
      }
    ]
  },
  "version": 1
}
"#;

    const V2: &str = r#"{
  "originHash" : "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  "pins" : [
    {
      "identity" : "swift-argument-parser",
      "kind" : "remoteSourceControl",
      "location" : "https://github.com/apple/swift-argument-parser",
      "state" : {
        "revision" : "46989693916f56d1186bd59ac15124caef896560",
        "version" : "1.3.1"
      }
    },
    {
      "identity" : "local-lib",
      "kind" : "localSourceControl",
      "location" : "/Users/me/src/local-lib",
      "state" : {
        "revision" : "0000000000000000000000000000000000000000",
        "version" : "0.1.0"
      }
    },
    {
      "identity" : "mona.linkedlist",
      "kind" : "registry",
      "location" : "",
      "state" : {
        "version" : "1.2.0"
      }
    },
    {
      "identity" : "vapor",
      "kind" : "remoteSourceControl",
      "location" : "https://github.com/vapor/vapor.git",
      "state" : {
        "branch" : "main",
        "revision" : "c0ffee0000000000000000000000000000000000"
      }
    }
  ],
  "version" : 3
}
"#;

    fn find<'a>(p: &'a Parsed, name: &str) -> &'a Package {
        p.source.packages.iter().find(|x| x.name == name).unwrap()
    }

    #[test]
    fn names() {
        assert_eq!(
            swift_url_name("https://github.com/apple/swift-nio.git"),
            "github.com/apple/swift-nio"
        );
        assert_eq!(
            swift_url_name("git@github.com:Alamofire/Alamofire.git"),
            "github.com/Alamofire/Alamofire"
        );
        assert_eq!(
            swift_url_name("ssh://git@GitHub.com/a/b.git/"),
            "github.com/a/b"
        );
        assert_eq!(swift_url_name("http://host:8080/a/b"), "host:8080/a/b");
        for s in ["", "@", "://", "a:", "é:é@é/é"] {
            let _ = swift_url_name(s);
        }
    }

    #[test]
    fn v1() {
        let p = parse(&Input::new("Package.resolved", V1)).unwrap();
        assert_eq!(p.source.format_version.as_deref(), Some("1"));
        assert_eq!(p.source.packages.len(), 2);
        let nio = find(&p, "github.com/apple/swift-nio");
        assert_eq!(nio.version, "2.40.0");
        assert_eq!(nio.purl, "pkg:swift/github.com/apple/swift-nio@2.40.0");
        assert_eq!(nio.line(), Some(5));
        let af = find(&p, "github.com/Alamofire/Alamofire");
        assert_eq!(af.version, "");
        assert_eq!(
            af.resolution,
            Resolution::Vcs {
                url: "git@github.com:Alamofire/Alamofire.git".into(),
                rev: Some("f96b619bcb2383b43d898402283924b80e2c4bae".into())
            }
        );
        assert_eq!(af.line(), Some(14));
    }

    #[test]
    fn v2_v3() {
        let p = parse(&Input::new("Package.resolved", V2)).unwrap();
        assert_eq!(p.source.format_version.as_deref(), Some("3"));
        assert_eq!(p.source.packages.len(), 4);
        let ap = find(&p, "github.com/apple/swift-argument-parser");
        assert_eq!(ap.version, "1.3.1");
        assert_eq!(ap.line(), Some(5));
        let l = find(&p, "local-lib");
        assert_eq!(
            l.resolution,
            Resolution::Path {
                path: "/Users/me/src/local-lib".into()
            }
        );
        assert_eq!(find(&p, "mona.linkedlist").version, "1.2.0");
        let v = find(&p, "github.com/vapor/vapor");
        assert_eq!(v.line(), Some(31));
        assert!(
            matches!(&v.resolution, Resolution::Vcs { rev: Some(r), .. } if r.starts_with("c0ffee"))
        );
    }

    #[test]
    fn bad_input() {
        assert!(parse(&Input::new("Package.resolved", "{}")).is_err());
        assert!(parse(&Input::new("Package.resolved", "[]")).is_err());
        let e = parse(&Input::new(
            "Package.resolved",
            "{\n\"pins\": [\n{\"identity\": 3}]}",
        ))
        .unwrap_err();
        assert_eq!(e.line, Some(3));
        let p = parse(&Input::new(
            "Package.resolved",
            "{\"pins\": [{\"identity\": \"x\"}, {\"kind\": \"registry\"}], \"version\": 2}",
        ))
        .unwrap();
        assert!(p.source.packages.is_empty());
        assert_eq!(p.warnings.len(), 2);
    }
}
