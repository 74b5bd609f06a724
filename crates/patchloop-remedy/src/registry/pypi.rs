//! PyPI JSON API (`https://pypi.org`): `<base>/pypi/<name>/json`, the
//! name normalized as PEP 503 says (lowercase, runs of `-`, `_`, `.` as
//! one `-`).
//!
//! Read: `releases`, a map from version to the release's files, and each
//! file's `yanked`. A release is yanked when every file is yanked, or when
//! it has no file at all (nothing to install). Per-version dependencies
//! are not in this document (`info.requires_dist` is the latest
//! release's only): `deps` is `None`.

use std::collections::HashMap;

use super::{Client, VersionInfo, plain_name};

pub(super) struct PyPI;

#[derive(serde::Deserialize)]
struct Project {
    releases: Option<HashMap<String, Vec<File>>>,
}

#[derive(serde::Deserialize)]
struct File {
    #[serde(default)]
    yanked: bool,
    #[serde(default)]
    upload_time_iso_8601: Option<String>,
    #[serde(default)]
    upload_time: Option<String>,
}

/// PEP 503 normalization.
pub(super) fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
            continue;
        }
        if sep && !out.is_empty() {
            out.push('-');
        }
        sep = false;
        out.push(c.to_ascii_lowercase());
    }
    out
}

impl Client for PyPI {
    fn canonical(&self, name: &str) -> Result<String, String> {
        let ok = plain_name(name, 200)
            && name
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric())
            && name
                .bytes()
                .last()
                .is_some_and(|b| b.is_ascii_alphanumeric());
        if !ok {
            return Err(
                "a PyPI name has ASCII letters, digits, `-`, `_` and `.`, and starts and ends with a letter or digit"
                    .into(),
            );
        }
        Ok(normalize(name))
    }

    fn segments(&self, name: &str) -> Vec<String> {
        vec!["pypi".into(), name.to_string(), "json".into()]
    }

    fn parse(&self, _name: &str, body: &[u8]) -> Result<Vec<VersionInfo>, String> {
        let p: Project = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        let releases = p.releases.ok_or("no `releases` in the project document")?;
        Ok(releases
            .into_iter()
            .map(|(version, files)| VersionInfo {
                yanked: files.iter().all(|f| f.yanked),
                // The release dates from its first file.
                published: files
                    .iter()
                    .filter_map(|f| f.upload_time_iso_8601.clone().or(f.upload_time.clone()))
                    .min(),
                ..VersionInfo::new(version)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503() {
        assert_eq!(PyPI.canonical("Zope.Interface").unwrap(), "zope-interface");
        assert_eq!(PyPI.canonical("a__b-.-c").unwrap(), "a-b-c");
        assert_eq!(PyPI.canonical("requests").unwrap(), "requests");
        for bad in ["", "-a", "a-", "..", "a/b", "caf\u{e9}", "a b"] {
            assert!(PyPI.canonical(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn yanked_means_every_file_yanked() {
        let body = br#"{"releases":{
            "1.0":[{"yanked":false},{"yanked":true}],
            "1.1":[{"yanked":true}],
            "1.2":[],
            "1.3":[{}]}}"#;
        let mut v = PyPI.parse("x", body).unwrap();
        v.sort_by(|a, b| a.version.cmp(&b.version));
        let y: Vec<bool> = v.iter().map(|v| v.yanked).collect();
        assert_eq!(y, [false, true, true, false]);
        assert!(PyPI.parse("x", br#"{"info":{}}"#).is_err());
    }

    #[test]
    fn published_is_the_first_files_upload() {
        let body = br#"{"releases":{
            "1.0":[{"upload_time_iso_8601":"2024-05-02T10:00:00.1Z"},{"upload_time_iso_8601":"2024-05-01T09:00:00Z"}],
            "1.1":[{"upload_time":"2024-06-01T00:00:00"}],
            "1.2":[]}}"#;
        let mut v = PyPI.parse("x", body).unwrap();
        v.sort_by(|a, b| a.version.cmp(&b.version));
        let p: Vec<Option<&str>> = v.iter().map(|v| v.published.as_deref()).collect();
        assert_eq!(
            p,
            [
                Some("2024-05-01T09:00:00Z"),
                Some("2024-06-01T00:00:00"),
                None
            ]
        );
    }
}
