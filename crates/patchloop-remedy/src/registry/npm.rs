//! npm registry (`https://registry.npmjs.org`): the packument at
//! `<base>/<name>` (scoped: `<base>/@scope%2Fname`), asked for in the
//! abbreviated form (`Accept: application/vnd.npm.install-v1+json`; a
//! registry that only has full packuments answers with one, which reads
//! the same).
//!
//! Read: `versions.<v>.dependencies`, `optionalDependencies` (also listed
//! in `dependencies` by npm; kept once, as optional), `peerDependencies`
//! and `deprecated` (a non-empty message or `true`: the version counts as
//! yanked). An alias requirement `npm:<pkg>@<req>` names the real package.
//! Dependency maps that are not objects, and entries that are not
//! strings, are ignored (old packuments have them).

use std::collections::HashMap;

use serde_json::Value;

use super::{Client, Dep, DepKind, VersionInfo};

pub(super) struct Npm;

#[derive(serde::Deserialize)]
struct Packument {
    #[serde(default)]
    versions: HashMap<String, Manifest>,
    /// Publish times per version: in full packuments only (the
    /// abbreviated install document has none).
    #[serde(default)]
    time: HashMap<String, Value>,
}

#[derive(serde::Deserialize)]
struct Manifest {
    #[serde(default)]
    dependencies: Option<Value>,
    #[serde(default, rename = "optionalDependencies")]
    optional_dependencies: Option<Value>,
    #[serde(default, rename = "peerDependencies")]
    peer_dependencies: Option<Value>,
    #[serde(default)]
    deprecated: Option<Value>,
}

impl Client for Npm {
    fn canonical(&self, name: &str) -> Result<String, String> {
        if name.is_empty() || name.len() > 214 {
            return Err("an npm name has 1 to 214 characters".into());
        }
        if name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
        {
            return Err("contains whitespace, a control character or `\\`".into());
        }
        let slashes = name.matches('/').count();
        match name.strip_prefix('@') {
            Some(scoped) => match scoped.split_once('/') {
                Some((scope, pkg))
                    if slashes == 1
                        && !scope.is_empty()
                        && !pkg.is_empty()
                        && !scope.starts_with('.')
                        && !pkg.starts_with('.') => {}
                _ => return Err("a scoped npm name is `@scope/name`".into()),
            },
            None if slashes > 0 => return Err("only scoped npm names contain `/`".into()),
            None => {}
        }
        if name.starts_with('.') || name.starts_with('_') {
            return Err("an npm name does not start with `.` or `_`".into());
        }
        Ok(name.to_string())
    }

    fn segments(&self, name: &str) -> Vec<String> {
        vec![name.to_string()]
    }

    fn accept(&self) -> Option<&'static str> {
        Some("application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*")
    }

    fn parse(&self, _name: &str, body: &[u8]) -> Result<Vec<VersionInfo>, String> {
        // serde would read `[]` as a packument without versions.
        if body.trim_ascii_start().first() != Some(&b'{') {
            return Err("a packument is a JSON object".into());
        }
        let p: Packument = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        let time = p.time;
        Ok(p.versions
            .into_iter()
            .map(|(version, m)| {
                let published = time
                    .get(&version)
                    .and_then(Value::as_str)
                    .map(str::to_string);
                VersionInfo {
                    published,
                    ..version_info(version, m)
                }
            })
            .collect())
    }
}

fn version_info(version: String, m: Manifest) -> VersionInfo {
    let optional = string_map(m.optional_dependencies.as_ref());
    let mut deps: Vec<Dep> = string_map(m.dependencies.as_ref())
        .into_iter()
        .filter(|(n, _)| !optional.iter().any(|(o, _)| o == n))
        .map(|(n, r)| dep(n, r, DepKind::Normal))
        .collect();
    deps.extend(
        optional
            .into_iter()
            .map(|(n, r)| dep(n, r, DepKind::Optional)),
    );
    deps.extend(
        string_map(m.peer_dependencies.as_ref())
            .into_iter()
            .map(|(n, r)| dep(n, r, DepKind::Peer)),
    );
    let yanked = match &m.deprecated {
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Bool(b)) => *b,
        _ => false,
    };
    VersionInfo {
        version,
        yanked,
        deps: Some(deps),
        published: None,
    }
}

/// The string entries of a JSON object, sorted by name.
fn string_map(v: Option<&Value>) -> Vec<(String, String)> {
    let Some(Value::Object(m)) = v else {
        return Vec::new();
    };
    let mut out: Vec<(String, String)> = m
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
        .collect();
    out.sort();
    out
}

/// `npm:<pkg>@<req>` aliases name the real package.
fn dep(name: String, req: String, kind: DepKind) -> Dep {
    if let Some(spec) = req.strip_prefix("npm:") {
        // The version separator is the last `@` not at the start (scopes).
        let (real, r) = match spec.rfind('@') {
            Some(i) if i > 0 => (&spec[..i], &spec[i + 1..]),
            _ => (spec, "*"),
        };
        if !real.is_empty() {
            return Dep {
                name: real.to_string(),
                req: if r.is_empty() { "*".into() } else { r.into() },
                kind,
            };
        }
    }
    Dep { name, req, kind }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(Npm.canonical("@babel/core").unwrap(), "@babel/core");
        assert_eq!(Npm.canonical("JSONStream").unwrap(), "JSONStream");
        for bad in [
            "", "@/x", "@x/", "@x", "a/b", "@a/b/c", "../x", "@../..", ".x", "a b", "a\\b",
        ] {
            assert!(Npm.canonical(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn aliases() {
        let d = dep(
            "string-width-cjs".into(),
            "npm:string-width@^4.2.0".into(),
            DepKind::Normal,
        );
        assert_eq!(
            (d.name.as_str(), d.req.as_str()),
            ("string-width", "^4.2.0")
        );
        let d = dep("x".into(), "npm:@scope/y@~1".into(), DepKind::Peer);
        assert_eq!((d.name.as_str(), d.req.as_str()), ("@scope/y", "~1"));
        let d = dep("x".into(), "npm:@scope/y".into(), DepKind::Peer);
        assert_eq!((d.name.as_str(), d.req.as_str()), ("@scope/y", "*"));
        let d = dep("x".into(), "npm:".into(), DepKind::Normal);
        assert_eq!((d.name.as_str(), d.req.as_str()), ("x", "npm:"));
    }

    #[test]
    fn odd_packuments() {
        let body = br#"{"versions":{"1.0.0":{"dependencies":["a"],"deprecated":false},
            "1.0.1":{"dependencies":{"a":1,"b":"^1"},"deprecated":""},
            "1.0.2":{"deprecated":true}}}"#;
        let mut v = Npm.parse("x", body).unwrap();
        v.sort_by(|a, b| a.version.cmp(&b.version));
        assert_eq!(v[0].deps, Some(vec![]));
        assert!(!v[0].yanked && !v[1].yanked && v[2].yanked);
        assert_eq!(v[1].deps.as_ref().unwrap().len(), 1);
        // An unpublished package has no versions.
        assert_eq!(
            Npm.parse("x", br#"{"name":"x","time":{"unpublished":{}}}"#)
                .unwrap(),
            vec![]
        );
        assert!(Npm.parse("x", b"[1,2]").is_err());
    }

    #[test]
    fn publish_times_from_full_packuments() {
        let body = br#"{"versions":{"1.0.0":{},"1.1.0":{}},
            "time":{"created":"2020-01-01T00:00:00.000Z","1.0.0":"2020-01-02T03:04:05.000Z","1.1.0":7}}"#;
        let mut v = Npm.parse("x", body).unwrap();
        v.sort_by(|a, b| a.version.cmp(&b.version));
        assert_eq!(v[0].published.as_deref(), Some("2020-01-02T03:04:05.000Z"));
        assert_eq!(v[1].published, None, "not a string");
        // The abbreviated document has no `time`.
        let v = Npm.parse("x", br#"{"versions":{"1.0.0":{}}}"#).unwrap();
        assert_eq!(v[0].published, None);
    }
}
