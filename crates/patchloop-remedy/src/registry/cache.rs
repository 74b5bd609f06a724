//! The registry cache: one JSON file per (registry, package) holding the
//! parsed versions and the validators (ETag, Last-Modified) of the answer
//! they came from.
//!
//! Files live at `<cache_dir>/<registry id>/<escaped name>-<hash>.json`:
//! the escaped name keeps only ASCII letters, digits, `-`, `_` and inner
//! `.` (at most 64 bytes) so it can never be a path of its own, and the
//! hash (SHA-256 of the name, 16 hex digits) keeps names that escape alike
//! apart. The file records the full name; a file for another name is
//! ignored. Writes go to a temporary file in the same directory, then
//! rename over the old one, so readers see the old or the new file, never
//! half of one. A cache that cannot be read or written is treated as
//! empty (with a warning): the registries still answer.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use patchloop_feeds::fetch::Validators;
use sha2::{Digest, Sha256};

use super::{Origin, VersionInfo, Versions};

/// Bumped when the stored form or the parsers change meaning: older files
/// are ignored and refetched.
const FORMAT: u32 = 1;

pub(super) fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct Entry {
    format: u32,
    registry: String,
    name: String,
    /// When the registry last confirmed this answer (ms since the epoch).
    pub(super) fetched_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_modified: Option<String>,
    versions: Vec<VersionInfo>,
}

impl Entry {
    pub(super) fn new(
        registry: &str,
        name: &str,
        fetched_at: u64,
        validators: Validators,
        versions: Vec<VersionInfo>,
    ) -> Self {
        Entry {
            format: FORMAT,
            registry: registry.to_string(),
            name: name.to_string(),
            fetched_at,
            etag: validators.etag,
            last_modified: validators.last_modified,
            versions,
        }
    }

    /// Confirmed less than `ttl` ago (a time in the future is not fresh:
    /// the clock moved back).
    pub(super) fn is_fresh(&self, now: u64, ttl: Duration) -> bool {
        now >= self.fetched_at && u128::from(now - self.fetched_at) < ttl.as_millis()
    }

    pub(super) fn validators(&self) -> Validators {
        Validators {
            etag: self.etag.clone(),
            last_modified: self.last_modified.clone(),
        }
    }

    pub(super) fn answer(&self, origin: Origin, stale: bool) -> Versions {
        Versions {
            versions: self.versions.clone(),
            origin,
            stale,
        }
    }
}

pub(super) struct Cache {
    dir: PathBuf,
}

impl Cache {
    pub(super) fn new(dir: PathBuf) -> Self {
        Cache { dir }
    }

    pub(super) fn path(&self, registry: &str, name: &str) -> PathBuf {
        self.dir.join(registry).join(file_name(name))
    }

    pub(super) fn load(&self, registry: &str, name: &str) -> Option<Entry> {
        let p = self.path(registry, name);
        let bytes = match std::fs::read(&p) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::warn!("registry cache {}: {e}; ignoring it", p.display());
                return None;
            }
        };
        match serde_json::from_slice::<Entry>(&bytes) {
            Ok(e) if e.format == FORMAT && e.registry == registry && e.name == name => Some(e),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!("registry cache {}: {e}; ignoring it", p.display());
                None
            }
        }
    }

    pub(super) fn store(&self, e: &Entry) {
        let p = self.path(&e.registry, &e.name);
        if let Err(err) = write_atomic(&p, e) {
            tracing::warn!("registry cache {}: cannot write: {err}", p.display());
        }
    }

    pub(super) fn remove(&self, registry: &str, name: &str) {
        let _ = std::fs::remove_file(self.path(registry, name));
    }
}

fn write_atomic(p: &Path, e: &Entry) -> std::io::Result<()> {
    let dir = p.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .suffix(".json")
        .tempfile_in(dir)?;
    serde_json::to_writer(std::io::BufWriter::new(tmp.as_file_mut()), e)?;
    tmp.as_file().sync_all()?;
    tmp.persist(p).map_err(|e| e.error)?;
    Ok(())
}

/// A file name for a package name: safe on every platform, never a path.
fn file_name(name: &str) -> String {
    let mut safe = String::new();
    for c in name.chars() {
        if safe.len() >= 64 {
            break;
        }
        let keep =
            c.is_ascii_alphanumeric() || c == '-' || c == '_' || (c == '.' && !safe.is_empty());
        safe.push(if keep { c } else { '_' });
    }
    let digest = Sha256::digest(name.as_bytes());
    let hash: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{safe}-{hash}.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_never_leave_the_directory() {
        let c = Cache::new(PathBuf::from("/cache"));
        for name in [
            "../../etc/passwd",
            "..",
            ".",
            "",
            "/abs/path",
            "a\\..\\b",
            "C:\\x",
            "@scope/pkg",
            "caf\u{e9}/\u{202e}txt",
            "nul\0byte",
            &"x".repeat(5000),
        ] {
            let p = c.path("npm", name);
            assert_eq!(p.parent(), Some(Path::new("/cache/npm")), "{name:?}");
            let f = p.file_name().unwrap().to_str().unwrap();
            assert!(!f.starts_with('.'), "{f}");
            assert!(f.len() <= 64 + 1 + 16 + 5, "{f}");
            assert!(
                f.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
                "{f}"
            );
        }
        // Names that escape alike still get their own files.
        assert_ne!(c.path("npm", "a/b"), c.path("npm", "a_b"));
    }

    #[test]
    fn freshness() {
        let e = Entry::new("npm", "x", 10_000, Validators::default(), vec![]);
        let hour = Duration::from_secs(3600);
        assert!(e.is_fresh(10_000, hour));
        assert!(e.is_fresh(10_000 + 3_599_999, hour));
        assert!(!e.is_fresh(10_000 + 3_600_000, hour));
        assert!(!e.is_fresh(9_999, hour));
        assert!(!e.is_fresh(10_000, Duration::ZERO));
    }

    #[test]
    fn store_load_round_trip_and_mismatches_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let c = Cache::new(dir.path().to_path_buf());
        let e = Entry::new(
            "npm",
            "@a/b",
            1,
            Validators {
                etag: Some("\"e\"".into()),
                last_modified: None,
            },
            vec![VersionInfo::new("1.0.0")],
        );
        c.store(&e);
        let got = c.load("npm", "@a/b").unwrap();
        assert_eq!(got.versions, e.versions);
        assert_eq!(got.validators().etag.as_deref(), Some("\"e\""));
        // Another name mapped onto the same file is not served.
        std::fs::copy(c.path("npm", "@a/b"), c.path("npm", "@a_b")).unwrap();
        assert!(c.load("npm", "@a_b").is_none());
        // A corrupt file is no cache.
        std::fs::write(c.path("npm", "@a/b"), b"{not json").unwrap();
        assert!(c.load("npm", "@a/b").is_none());
        // No temporary files are left behind.
        let left: Vec<_> = std::fs::read_dir(dir.path().join("npm"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
