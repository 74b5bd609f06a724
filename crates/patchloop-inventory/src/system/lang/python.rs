//! Installed Python distributions: `NAME.dist-info/METADATA`,
//! `NAME.egg-info/PKG-INFO` and the single-file `NAME.egg-info`, directly
//! inside a `site-packages` or `dist-packages` directory (anywhere in the
//! tree: system Pythons, virtual environments, `/usr/local`, user sites).
//!
//! Metadata found deeper (vendored copies such as
//! `pip/_vendor/x.dist-info`, test data) is not an installed distribution
//! and is not read. Name and version come from the `Name:` and `Version:`
//! headers (RFC 822 style, up to the first blank line); the purl uses the
//! PEP 503 normalized name.

use patchloop_model::{Ecosystem, SourceFile};

/// Format id of the grouped sources (one per `site-packages` directory).
pub const FORMAT: &str = "python-dist-info";

/// Most header bytes looked at: the headers of real METADATA files are a
/// few KiB; the description that follows is never read.
const MAX_HEADER: usize = 1024 * 1024;

fn is_site_dir(c: &str) -> bool {
    c == "site-packages" || c == "dist-packages"
}

/// The `site-packages` directory a metadata path belongs to, and the rest
/// of the path below it.
fn split_site(path: &str) -> Option<(&str, &str)> {
    let mut start = 0;
    for (i, c) in path.match_indices('/') {
        let comp = &path[start..i];
        if is_site_dir(comp) {
            return Some((&path[..i], &path[i + c.len()..]));
        }
        start = i + 1;
    }
    None
}

/// True for `…/site-packages/X.dist-info/METADATA`,
/// `…/site-packages/X.egg-info/PKG-INFO` and `…/site-packages/X.egg-info`.
pub fn is_metadata(path: &str) -> bool {
    let Some((_, rest)) = split_site(path) else {
        return false;
    };
    // The first site-packages component is the installation; a nested
    // one (site-packages inside a package) is not.
    match rest.split_once('/') {
        Some((dir, "METADATA")) => dir.ends_with(".dist-info") && dir.len() > ".dist-info".len(),
        Some((dir, "PKG-INFO")) => dir.ends_with(".egg-info") && dir.len() > ".egg-info".len(),
        None => rest.ends_with(".egg-info") && rest.len() > ".egg-info".len(),
        _ => false,
    }
}

/// The directory the packages of `path` are grouped under.
pub fn group_dir(path: &str) -> Option<&str> {
    if is_metadata(path) {
        split_site(path).map(|(dir, _)| dir)
    } else {
        None
    }
}

/// The `Name:` and `Version:` headers of a core metadata file.
pub fn headers(bytes: &[u8]) -> Result<(String, String), String> {
    let head = bytes.get(..MAX_HEADER).unwrap_or(bytes);
    let text = String::from_utf8_lossy(head);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut name: Option<String> = None;
    let mut version: Option<String> = None;
    let mut saw_header = false;
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            if saw_header {
                break;
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            continue; // continuation of a folded header
        }
        let Some((key, value)) = line.split_once(':') else {
            if !saw_header {
                return Err("not a core metadata file (no `Key: value` header)".to_string());
            }
            // The body starts without a blank line in some broken files.
            break;
        };
        saw_header = true;
        let value = value.trim();
        match key.trim().to_ascii_lowercase().as_str() {
            "name" if name.is_none() => name = Some(value.to_string()),
            "version" if version.is_none() => version = Some(value.to_string()),
            _ => {}
        }
    }
    if !saw_header {
        return Err("empty core metadata file".to_string());
    }
    let name = name.filter(|n| !n.is_empty());
    let version = version.filter(|v| !v.is_empty());
    match (name, version) {
        (Some(n), Some(v)) => Ok((n, v)),
        (None, _) => Err("core metadata without a `Name:` header".to_string()),
        (Some(_), None) => Err("core metadata without a `Version:` header".to_string()),
    }
}

/// One installed distribution.
pub fn reduce(bytes: &[u8]) -> Result<Option<SourceFile>, String> {
    let (name, version) = headers(bytes)?;
    Ok(Some(super::single(
        FORMAT,
        Ecosystem::PYPI,
        &name,
        &version,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_paths() {
        assert!(is_metadata(
            "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA"
        ));
        assert!(is_metadata(
            "app/.venv/lib/python3.12/site-packages/a.egg-info"
        ));
        assert!(is_metadata("site-packages/a.egg-info/PKG-INFO"));
        assert!(!is_metadata(
            "x/site-packages/pip/_vendor/six-1.0.dist-info/METADATA"
        ));
        assert!(!is_metadata("x/site-packages/.dist-info/METADATA"));
        assert!(!is_metadata("x/site-packages/a.dist-info/RECORD"));
        assert!(!is_metadata("x/a.dist-info/METADATA"));
        assert_eq!(
            group_dir("a/site-packages/b.dist-info/METADATA"),
            Some("a/site-packages")
        );
    }

    #[test]
    fn header_edge_cases() {
        let ok = b"Metadata-Version: 2.1\r\nName: Foo_Bar\r\nSummary: x\r\n  folded\r\nVersion: 1.0.post1\r\n\r\nName: body\r\n";
        assert_eq!(
            headers(ok).unwrap(),
            ("Foo_Bar".to_string(), "1.0.post1".to_string())
        );
        assert!(headers(b"").unwrap_err().contains("empty"));
        assert!(
            headers(b"Name: a\n\nVersion: 1\n")
                .unwrap_err()
                .contains("Version")
        );
        assert!(headers(b"Version: 1\n").unwrap_err().contains("Name"));
        assert!(
            headers(b"\x7fELF\x00\x01")
                .unwrap_err()
                .contains("not a core")
        );
        // Invalid UTF-8 in the description does not matter.
        assert!(headers(b"Name: a\nVersion: 2\n\n\xff\xfe").is_ok());
    }
}
