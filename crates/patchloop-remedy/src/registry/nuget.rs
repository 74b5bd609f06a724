//! NuGet V3 flat container (`https://api.nuget.org/v3-flatcontainer`,
//! the `PackageBaseAddress/3.0.0` resource): `<base>/<id lowercase>/index.json`,
//! `{"versions": [...]}` with normalized, lowercased version strings.
//!
//! The list holds listed and unlisted versions alike and says nothing of
//! which is which (that is in the registration resource, not read here):
//! no version is marked yanked, so an unlisted version can be proposed.
//! Dependencies live in each version's nuspec: `deps` is `None`.

use super::{Client, VersionInfo, plain_name};

pub(super) struct NuGet;

#[derive(serde::Deserialize)]
struct Index {
    versions: Vec<String>,
}

impl Client for NuGet {
    fn canonical(&self, name: &str) -> Result<String, String> {
        if !plain_name(name, 100) {
            return Err("a NuGet id has 1 to 100 ASCII letters, digits, `-`, `_` and `.`".into());
        }
        Ok(name.to_ascii_lowercase())
    }

    fn segments(&self, id: &str) -> Vec<String> {
        vec![id.to_string(), "index.json".into()]
    }

    fn parse(&self, _name: &str, body: &[u8]) -> Result<Vec<VersionInfo>, String> {
        let index: Index = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        Ok(index.versions.into_iter().map(VersionInfo::new).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_documents() {
        assert_eq!(
            NuGet.canonical("Newtonsoft.Json").unwrap(),
            "newtonsoft.json"
        );
        for bad in ["", "a/b", "caf\u{e9}", "a b"] {
            assert!(NuGet.canonical(bad).is_err(), "{bad:?}");
        }
        assert!(NuGet.parse("x", br#"{"versions":"1.0"}"#).is_err());
        assert!(NuGet.parse("x", br#"{}"#).is_err());
    }
}
