//! RubyGems (`https://rubygems.org`): `<base>/api/v1/versions/<gem>.json`,
//! a JSON array with one object per published version and platform.
//!
//! Read: `number` (the version; prereleases such as `7.1.0.rc1` included).
//! A version published for several platforms (`ruby`, `java`,
//! `x86_64-linux`) is listed once. Yanked versions are left out of this
//! endpoint by the registry, so none is marked yanked. Dependencies are
//! not in it: `deps` is `None`.

use super::{Client, VersionInfo, plain_name};

pub(super) struct RubyGems;

#[derive(serde::Deserialize)]
struct GemVersion {
    number: String,
    #[serde(default)]
    created_at: Option<String>,
}

impl Client for RubyGems {
    fn canonical(&self, name: &str) -> Result<String, String> {
        if !plain_name(name, 200) {
            return Err("a gem name has 1 to 200 ASCII letters, digits, `-`, `_` and `.`".into());
        }
        Ok(name.to_string())
    }

    fn segments(&self, name: &str) -> Vec<String> {
        vec![
            "api".into(),
            "v1".into(),
            "versions".into(),
            format!("{name}.json"),
        ]
    }

    fn parse(&self, _name: &str, body: &[u8]) -> Result<Vec<VersionInfo>, String> {
        let list: Vec<GemVersion> = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        Ok(list
            .into_iter()
            .map(|g| VersionInfo {
                published: g.created_at,
                ..VersionInfo::new(g.number)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_documents() {
        assert_eq!(
            RubyGems.segments("rails").join("/"),
            "api/v1/versions/rails.json"
        );
        for bad in ["", "a/b", "caf\u{e9}", "a b"] {
            assert!(RubyGems.canonical(bad).is_err(), "{bad:?}");
        }
        // `..` passes the alphabet; the path check refuses it as a segment
        // only when alone, and `...json` is a plain file name.
        assert!(RubyGems.canonical("..").is_ok());
        assert!(RubyGems.parse("x", br#"{"error":"not found"}"#).is_err());
        assert!(RubyGems.parse("x", br#"[{"platform":"ruby"}]"#).is_err());
    }
}
