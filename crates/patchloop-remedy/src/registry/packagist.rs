//! Packagist (`https://repo.packagist.org`), Composer 2 metadata:
//! `<base>/p2/<vendor>/<package>.json` (tagged releases; the `~dev.json`
//! file with branches is not read: a branch is no fix target).
//!
//! The document is `{"packages": {"vendor/package": [...]}, "minified":
//! "composer/2.0"}`. Minified, the first version object is complete and
//! each later one holds only the keys that changed from the one before;
//! a key whose value is the string `"__unset"` is removed. Read after
//! expansion: `version` (as written, `v1.2.3` or `1.2.3`), `require`
//! (normal deps, platform requirements such as `php` and `ext-json`
//! included) and `require-dev` (dev deps). Packagist has no yanking:
//! none is marked yanked.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::{Client, Dep, DepKind, VersionInfo, plain_name};

pub(super) struct Packagist;

#[derive(serde::Deserialize)]
struct Document {
    packages: HashMap<String, Vec<Map<String, Value>>>,
    #[serde(default)]
    minified: Option<String>,
}

const UNSET: &str = "__unset";

/// Expand a `composer/2.0` minified version list.
pub(super) fn expand(list: Vec<Map<String, Value>>) -> Vec<Map<String, Value>> {
    let mut out = Vec::with_capacity(list.len());
    let mut current: Map<String, Value> = Map::new();
    for diff in list {
        if current.is_empty() {
            current = diff;
        } else {
            for (k, v) in diff {
                if v.as_str() == Some(UNSET) {
                    current.remove(&k);
                } else {
                    current.insert(k, v);
                }
            }
        }
        out.push(current.clone());
    }
    out
}

impl Client for Packagist {
    fn canonical(&self, name: &str) -> Result<String, String> {
        let lower = name.to_ascii_lowercase();
        let part_ok = |p: &str| {
            plain_name(p, 100) && p.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        };
        match lower.split_once('/') {
            Some((v, p)) if part_ok(v) && part_ok(p) => Ok(lower),
            _ => Err("a Packagist name is `vendor/package` (ASCII letters, digits, `-_.`)".into()),
        }
    }

    fn segments(&self, name: &str) -> Vec<String> {
        let (vendor, package) = name.split_once('/').unwrap_or(("", name));
        vec!["p2".into(), vendor.into(), format!("{package}.json")]
    }

    fn parse(&self, name: &str, body: &[u8]) -> Result<Vec<VersionInfo>, String> {
        let doc: Document = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        let minified = doc.minified.as_deref() == Some("composer/2.0");
        let list = doc
            .packages
            .into_iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, l)| l)
            .ok_or_else(|| format!("no `packages.{name}` in the document"))?;
        let list = if minified { expand(list) } else { list };
        Ok(list.into_iter().filter_map(version_info).collect())
    }
}

fn version_info(v: Map<String, Value>) -> Option<VersionInfo> {
    let version = v.get("version")?.as_str()?.to_string();
    let mut deps = Vec::new();
    for (key, kind) in [("require", DepKind::Normal), ("require-dev", DepKind::Dev)] {
        if let Some(Value::Object(m)) = v.get(key) {
            let mut these: Vec<Dep> = m
                .iter()
                .filter_map(|(n, r)| {
                    Some(Dep {
                        name: n.clone(),
                        req: r.as_str()?.to_string(),
                        kind,
                    })
                })
                .collect();
            these.sort_by(|a, b| a.name.cmp(&b.name));
            deps.extend(these);
        }
    }
    let published = v.get("time").and_then(Value::as_str).map(str::to_string);
    Some(VersionInfo {
        version,
        yanked: false,
        deps: Some(deps),
        published,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn expands_diffs_and_unset() {
        let got = expand(vec![
            obj(json!({"version": "3.0.0", "require": {"php": ">=8.1"}, "homepage": "h"})),
            obj(json!({"version": "2.0.0", "require": "__unset"})),
            obj(json!({"version": "1.0.0", "require": {"php": ">=5"}})),
        ]);
        assert_eq!(got[0]["homepage"], "h");
        assert_eq!(got[1].get("require"), None);
        assert_eq!(got[1]["homepage"], "h");
        assert_eq!(got[2]["require"], json!({"php": ">=5"}));
        assert_eq!(got[2]["homepage"], "h");
    }

    #[test]
    fn names() {
        assert_eq!(
            Packagist.canonical("Monolog/Monolog").unwrap(),
            "monolog/monolog"
        );
        assert_eq!(
            Packagist.segments("monolog/monolog").join("/"),
            "p2/monolog/monolog.json"
        );
        for bad in [
            "monolog",
            "a/b/c",
            "../x",
            "a/..",
            "/x",
            "a/",
            "caf\u{e9}/x",
        ] {
            assert!(Packagist.canonical(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn odd_documents() {
        assert!(Packagist.parse("a/b", br#"{"packages":{}}"#).is_err());
        assert!(
            Packagist
                .parse("a/b", br#"{"packages":{"a/b":[1]}}"#)
                .is_err()
        );
        let v = Packagist
            .parse(
                "a/b",
                br#"{"packages":{"a/b":[{"version":1},{"version":"1.0"}]}}"#,
            )
            .unwrap();
        assert_eq!(v.len(), 1);
    }
}
