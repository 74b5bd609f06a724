//! Where the store lives and where the feeds come from.
//!
//! Settings are read from, in increasing precedence: built-in defaults,
//! the user's configuration file (`$PATCHLOOP_CONFIG`, else
//! `<config dir>/patchloop/config.toml`), the project's `patchloop.toml`
//! (only `ecosystems` and `max_age`: a checked-out repository must not be
//! able to redirect where advisories come from), environment variables
//! and command-line flags (applied by the binary).
//!
//! ```toml
//! [feeds]
//! osv_url = "https://osv-vulnerabilities.storage.googleapis.com"  # or a mirror URL or directory
//! kev_url = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
//! epss_url = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"
//! ecosystems = ["PyPI", "crates.io"]   # synced in addition to those found by inventory
//! max_age = "3d"                        # staleness warning threshold
//! timeout_secs = 60
//! retries = 3
//! max_download_bytes = 4294967296
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::FeedError;

/// The OSV bucket (`<base>/<ecosystem>/all.zip`, `modified_id.csv`, `<ID>.json`).
pub const DEFAULT_OSV_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";
/// CISA's KEV catalog.
pub const DEFAULT_KEV_URL: &str =
    "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json";
/// FIRST EPSS daily scores (served by Empirical Security for FIRST).
pub const DEFAULT_EPSS_URL: &str = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz";

/// The `[feeds]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedsConfig {
    pub osv_url: Option<String>,
    pub kev_url: Option<String>,
    pub epss_url: Option<String>,
    pub ecosystems: Option<Vec<String>>,
    /// `3d`, `12h`, or a number of days.
    pub max_age: Option<String>,
    pub timeout_secs: Option<u64>,
    pub retries: Option<u32>,
    pub max_download_bytes: Option<u64>,
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    feeds: Option<FeedsConfig>,
    #[serde(flatten)]
    _other: toml::Table,
}

impl FeedsConfig {
    /// Read the `[feeds]` table of a TOML file; a missing file is `None`.
    pub fn load(path: &Path) -> Result<Option<FeedsConfig>, FeedError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(FeedError::io(path.display(), e)),
        };
        let f: File = toml::from_str(&text).map_err(|e| FeedError::Config {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        if let Some(c) = &f.feeds
            && let Some(m) = &c.max_age
            && crate::timefmt::parse_duration(m).is_none()
        {
            return Err(FeedError::Config {
                path: path.display().to_string(),
                reason: format!(
                    "[feeds] max_age {m:?} is not a duration such as \"3d\" or \"12h\""
                ),
            });
        }
        Ok(f.feeds)
    }

    /// The user's file, then the project's (which may only set
    /// `ecosystems` and `max_age`). Returns the merged table and notes
    /// about ignored settings.
    pub fn load_merged(
        user: Option<&Path>,
        project: Option<&Path>,
    ) -> Result<(FeedsConfig, Vec<String>), FeedError> {
        let mut cfg = match user {
            Some(p) => FeedsConfig::load(p)?.unwrap_or_default(),
            None => FeedsConfig::default(),
        };
        let mut notes = Vec::new();
        if let Some(p) = project
            && let Some(proj) = FeedsConfig::load(p)?
        {
            for (k, set) in [
                ("osv_url", proj.osv_url.is_some()),
                ("kev_url", proj.kev_url.is_some()),
                ("epss_url", proj.epss_url.is_some()),
                ("timeout_secs", proj.timeout_secs.is_some()),
                ("retries", proj.retries.is_some()),
                ("max_download_bytes", proj.max_download_bytes.is_some()),
            ] {
                if set {
                    notes.push(format!(
                        "{}: [feeds] {k} is ignored in a project file (set it in your user configuration, the environment or a flag)",
                        p.display()
                    ));
                }
            }
            if proj.ecosystems.is_some() {
                cfg.ecosystems = proj.ecosystems;
            }
            if proj.max_age.is_some() {
                cfg.max_age = proj.max_age;
            }
        }
        Ok((cfg, notes))
    }

    /// Maximum data age in seconds.
    pub fn max_age_secs(&self) -> i64 {
        self.max_age
            .as_deref()
            .and_then(crate::timefmt::parse_duration)
            .unwrap_or(crate::store::DEFAULT_MAX_AGE_SECS)
    }
}

/// `$PATCHLOOP_CONFIG`, else `<config dir>/patchloop/config.toml`.
pub fn user_config_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PATCHLOOP_CONFIG") {
        return Some(PathBuf::from(p));
    }
    dirs::config_dir().map(|d| d.join("patchloop").join("config.toml"))
}

/// The user's cache directory (`$XDG_CACHE_HOME`, `~/.cache`, ...).
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from)
        && x.is_absolute()
    {
        return Some(x);
    }
    dirs::cache_dir()
}

/// The default store: `$XDG_DATA_HOME/patchloop/advisories.db`, else
/// `~/.local/share/patchloop/advisories.db` (Linux),
/// `~/Library/Application Support/patchloop/advisories.db` (macOS),
/// `%APPDATA%\patchloop\advisories.db` (Windows). `--db` and
/// `PATCHLOOP_DB` override it (in the binary).
pub fn default_db_path() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").map(PathBuf::from)
        && x.is_absolute()
    {
        return Some(x.join("patchloop").join("advisories.db"));
    }
    dirs::data_dir().map(|d| d.join("patchloop").join("advisories.db"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_file_cannot_redirect_feeds() {
        let d = tempfile::tempdir().unwrap();
        let user = d.path().join("config.toml");
        let proj = d.path().join("patchloop.toml");
        std::fs::write(
            &user,
            "[feeds]\nosv_url = \"http://mirror\"\nmax_age = \"1d\"\n",
        )
        .unwrap();
        std::fs::write(
            &proj,
            "[project]\nname = \"x\"\n[feeds]\nosv_url = \"http://evil\"\necosystems = [\"PyPI\"]\n",
        )
        .unwrap();
        let (c, notes) = FeedsConfig::load_merged(Some(&user), Some(&proj)).unwrap();
        assert_eq!(c.osv_url.as_deref(), Some("http://mirror"));
        assert_eq!(c.ecosystems, Some(vec!["PyPI".to_string()]));
        assert_eq!(c.max_age_secs(), 86_400);
        assert_eq!(notes.len(), 1);
        std::fs::write(&user, "[feeds]\nmax_age = \"soon\"\n").unwrap();
        assert!(FeedsConfig::load(&user).is_err());
        std::fs::write(&user, "[feeds]\nosv = 1\n").unwrap();
        assert!(FeedsConfig::load(&user).is_err());
        assert_eq!(
            FeedsConfig::load(&d.path().join("none.toml")).unwrap(),
            None
        );
    }
}
