//! Package registries: which versions of a package exist.
//!
//! [`VersionSource`] is what planning needs; [`Registries`] implements it
//! over the real registries (one client module per registry), with a
//! local cache. Every base URL is configurable ([`RegistryConfig`]) so
//! tests and mirrors can point elsewhere; a base may also be a local
//! directory (or `file://` URL) laid out like the registry.
//!
//! See docs/registries.md for the endpoints, the fields read, what counts
//! as yanked, the cache and the configuration keys.

mod cache;
mod crates_io;
mod go;
mod maven;
mod npm;
mod nuget;
mod packagist;
mod pypi;
mod rubygems;

use std::path::PathBuf;
use std::time::Duration;

use patchloop_feeds::FeedError;
use patchloop_feeds::NoProgress;
use patchloop_feeds::fetch::{FetchOptions, Fetched, Fetcher, is_http, join};
use patchloop_model::{Ecosystem, EcosystemKind};
use patchloop_version::{Scheme, Version};

use cache::{Cache, Entry};

/// A registry could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// No client for this ecosystem.
    #[error("no registry client for {ecosystem}")]
    Unsupported { ecosystem: String },
    /// The package does not exist there.
    #[error("{ecosystem} package {name} not found at {url}")]
    NotFound {
        ecosystem: String,
        name: String,
        url: String,
    },
    /// Network or server failure (after retries).
    #[error("{url}: {reason}")]
    Unavailable { url: String, reason: String },
    /// The answer could not be read.
    #[error("{url}: unexpected response: {reason}")]
    BadResponse { url: String, reason: String },
    /// Offline mode and nothing cached.
    #[error("offline and no cached versions of {ecosystem} package {name}")]
    Offline { ecosystem: String, name: String },
    /// The name cannot be a package of this registry (nothing was asked).
    #[error("`{name}` is not a valid {ecosystem} package name: {reason}")]
    InvalidName {
        ecosystem: String,
        name: String,
        reason: String,
    },
}

/// Kind of a dependency edge as the registry records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DepKind {
    Normal,
    Dev,
    Build,
    Optional,
    Peer,
}

/// A dependency requirement of one published version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Dep {
    /// The registry's name of the dependency (for a renamed or aliased
    /// dependency, the real package, not the local alias).
    pub name: String,
    /// The requirement as the registry writes it (`^1.2`, `>=2,<3`, ...).
    pub req: String,
    pub kind: DepKind,
}

/// One published version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VersionInfo {
    pub version: String,
    /// Yanked, unlisted or deprecated-as-broken: never a fix target.
    #[serde(default)]
    pub yanked: bool,
    /// Dependency requirements, when the registry's version list carries
    /// them (crates.io index, npm packuments); `None` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deps: Option<Vec<Dep>>,
    /// When it was published (RFC 3339 or `YYYY-MM-DD...`), when the
    /// registry says: npm full packuments (`time`), PyPI (first file's
    /// upload time), the crates.io index (`pubtime`), RubyGems
    /// (`created_at`), Packagist (`time`). Used by `cooldown_days`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
}

impl VersionInfo {
    /// A listed version without dependency information.
    pub fn new(version: impl Into<String>) -> Self {
        VersionInfo {
            version: version.into(),
            yanked: false,
            deps: None,
            published: None,
        }
    }
}

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// The registry answered now (a full answer, or 304 confirming the
    /// cached copy).
    Registry,
    /// The local cache, without asking the registry.
    Cache,
}

/// Every published version of one package.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Versions {
    /// Oldest to newest by the ecosystem's version ordering; versions the
    /// ordering cannot parse come first, in the registry's order.
    pub versions: Vec<VersionInfo>,
    pub origin: Origin,
    /// A cached answer older than the cache TTL, served because the
    /// registry could not be reached or in offline mode: it may miss the
    /// newest releases. Always `false` for [`Origin::Registry`].
    #[serde(default)]
    pub stale: bool,
}

impl Versions {
    pub fn new(versions: Vec<VersionInfo>, origin: Origin) -> Self {
        Versions {
            versions,
            origin,
            stale: false,
        }
    }
}

/// Which versions of a package exist.
pub trait VersionSource {
    fn versions(&self, ecosystem: &Ecosystem, name: &str) -> Result<Versions, RegistryError>;
}

/// No registry at all (`--offline`): planning falls back to the fixed
/// versions the advisories name.
pub struct NoRegistry;

impl VersionSource for NoRegistry {
    fn versions(&self, ecosystem: &Ecosystem, name: &str) -> Result<Versions, RegistryError> {
        Err(RegistryError::Offline {
            ecosystem: ecosystem.to_string(),
            name: name.to_string(),
        })
    }
}

/// The registries patchloop has a client for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Registry {
    CratesIo,
    Npm,
    PyPI,
    Go,
    RubyGems,
    Packagist,
    Maven,
    NuGet,
}

impl Registry {
    pub const ALL: [Registry; 8] = [
        Registry::CratesIo,
        Registry::Npm,
        Registry::PyPI,
        Registry::Go,
        Registry::RubyGems,
        Registry::Packagist,
        Registry::Maven,
        Registry::NuGet,
    ];

    /// The registry serving an ecosystem's packages (the release suffix,
    /// if any, is ignored).
    pub fn for_ecosystem(e: &Ecosystem) -> Option<Registry> {
        Some(match e.kind {
            EcosystemKind::CratesIo => Registry::CratesIo,
            EcosystemKind::Npm => Registry::Npm,
            EcosystemKind::PyPI => Registry::PyPI,
            EcosystemKind::Go => Registry::Go,
            EcosystemKind::RubyGems => Registry::RubyGems,
            EcosystemKind::Packagist => Registry::Packagist,
            EcosystemKind::Maven => Registry::Maven,
            EcosystemKind::NuGet => Registry::NuGet,
            _ => return None,
        })
    }

    pub fn ecosystem(self) -> Ecosystem {
        match self {
            Registry::CratesIo => Ecosystem::CRATES_IO,
            Registry::Npm => Ecosystem::NPM,
            Registry::PyPI => Ecosystem::PYPI,
            Registry::Go => Ecosystem::GO,
            Registry::RubyGems => Ecosystem::RUBYGEMS,
            Registry::Packagist => Ecosystem::PACKAGIST,
            Registry::Maven => Ecosystem::MAVEN,
            Registry::NuGet => Ecosystem::NUGET,
        }
    }

    /// Short lowercase name: the cache subdirectory.
    pub fn id(self) -> &'static str {
        match self {
            Registry::CratesIo => "crates-io",
            Registry::Npm => "npm",
            Registry::PyPI => "pypi",
            Registry::Go => "go",
            Registry::RubyGems => "rubygems",
            Registry::Packagist => "packagist",
            Registry::Maven => "maven",
            Registry::NuGet => "nuget",
        }
    }

    /// The environment variable overriding the base URL
    /// (`PATCHLOOP_REGISTRY_<NAME>_URL`).
    pub fn env_var(self) -> &'static str {
        match self {
            Registry::CratesIo => "PATCHLOOP_REGISTRY_CRATES_IO_URL",
            Registry::Npm => "PATCHLOOP_REGISTRY_NPM_URL",
            Registry::PyPI => "PATCHLOOP_REGISTRY_PYPI_URL",
            Registry::Go => "PATCHLOOP_REGISTRY_GO_URL",
            Registry::RubyGems => "PATCHLOOP_REGISTRY_RUBYGEMS_URL",
            Registry::Packagist => "PATCHLOOP_REGISTRY_PACKAGIST_URL",
            Registry::Maven => "PATCHLOOP_REGISTRY_MAVEN_URL",
            Registry::NuGet => "PATCHLOOP_REGISTRY_NUGET_URL",
        }
    }

    /// The public registry's base URL.
    pub fn default_url(self) -> &'static str {
        match self {
            Registry::CratesIo => "https://index.crates.io",
            Registry::Npm => "https://registry.npmjs.org",
            Registry::PyPI => "https://pypi.org",
            Registry::Go => "https://proxy.golang.org",
            Registry::RubyGems => "https://rubygems.org",
            Registry::Packagist => "https://repo.packagist.org",
            Registry::Maven => "https://repo1.maven.org/maven2",
            Registry::NuGet => "https://api.nuget.org/v3-flatcontainer",
        }
    }

    fn client(self) -> &'static dyn Client {
        match self {
            Registry::CratesIo => &crates_io::CratesIo,
            Registry::Npm => &npm::Npm,
            Registry::PyPI => &pypi::PyPI,
            Registry::Go => &go::GoProxy,
            Registry::RubyGems => &rubygems::RubyGems,
            Registry::Packagist => &packagist::Packagist,
            Registry::Maven => &maven::Maven,
            Registry::NuGet => &nuget::NuGet,
        }
    }
}

/// One client: how a registry names a package's version document and how
/// to read it. Parsers never panic; errors are reasons for
/// [`RegistryError::BadResponse`].
trait Client: Sync {
    /// The canonical form of `name` (the cache key and what goes into the
    /// URL), or why it cannot name a package here.
    fn canonical(&self, name: &str) -> Result<String, String>;
    /// Path segments of the version document below the base URL. A
    /// segment may contain `/` (npm scopes): over HTTP it is encoded as
    /// `%2F`, in a directory it is a subdirectory.
    fn segments(&self, canonical: &str) -> Vec<String>;
    /// An `Accept` header to send.
    fn accept(&self) -> Option<&'static str> {
        None
    }
    fn parse(&self, canonical: &str, body: &[u8]) -> Result<Vec<VersionInfo>, String>;
}

/// Base URL (or directory) per registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryUrls {
    pub crates_io: String,
    pub npm: String,
    pub pypi: String,
    pub go: String,
    pub rubygems: String,
    pub packagist: String,
    pub maven: String,
    pub nuget: String,
}

impl Default for RegistryUrls {
    fn default() -> Self {
        let d = |r: Registry| r.default_url().to_string();
        RegistryUrls {
            crates_io: d(Registry::CratesIo),
            npm: d(Registry::Npm),
            pypi: d(Registry::PyPI),
            go: d(Registry::Go),
            rubygems: d(Registry::RubyGems),
            packagist: d(Registry::Packagist),
            maven: d(Registry::Maven),
            nuget: d(Registry::NuGet),
        }
    }
}

impl RegistryUrls {
    /// Every registry at `base` (tests, a single mirror).
    pub fn all(base: &str) -> Self {
        let mut u = RegistryUrls::default();
        for r in Registry::ALL {
            *u.get_mut(r) = base.to_string();
        }
        u
    }

    pub fn get(&self, r: Registry) -> &str {
        match r {
            Registry::CratesIo => &self.crates_io,
            Registry::Npm => &self.npm,
            Registry::PyPI => &self.pypi,
            Registry::Go => &self.go,
            Registry::RubyGems => &self.rubygems,
            Registry::Packagist => &self.packagist,
            Registry::Maven => &self.maven,
            Registry::NuGet => &self.nuget,
        }
    }

    pub fn get_mut(&mut self, r: Registry) -> &mut String {
        match r {
            Registry::CratesIo => &mut self.crates_io,
            Registry::Npm => &mut self.npm,
            Registry::PyPI => &mut self.pypi,
            Registry::Go => &mut self.go,
            Registry::RubyGems => &mut self.rubygems,
            Registry::Packagist => &mut self.packagist,
            Registry::Maven => &mut self.maven,
            Registry::NuGet => &mut self.nuget,
        }
    }
}

/// Default cache lifetime.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(60 * 60);
/// Default largest registry response accepted (the largest npm packuments
/// and PyPI documents are tens of megabytes).
pub const DEFAULT_MAX_BYTES: u64 = 256 << 20;

/// How [`Registries`] reaches the registries.
#[derive(Debug, Clone)]
pub struct RegistryConfig {
    pub urls: RegistryUrls,
    /// Where answers are cached (one JSON file per registry and package);
    /// `None`: no cache.
    pub cache_dir: Option<PathBuf>,
    /// How long a cached answer is used without asking the registry.
    pub cache_ttl: Duration,
    /// Never ask a registry: cached answers (however old) or
    /// [`RegistryError::Offline`].
    pub offline: bool,
    /// Timeouts, retries and the response size limit (`max_bytes`).
    pub fetch: FetchOptions,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        RegistryConfig {
            urls: RegistryUrls::default(),
            cache_dir: None,
            cache_ttl: DEFAULT_CACHE_TTL,
            offline: false,
            fetch: FetchOptions {
                max_bytes: DEFAULT_MAX_BYTES,
                ..FetchOptions::default()
            },
        }
    }
}

impl RegistryConfig {
    /// The defaults with base URLs from the environment
    /// (`PATCHLOOP_REGISTRY_<NAME>_URL`, see [`Registry::env_var`]).
    pub fn from_env() -> Self {
        let mut c = RegistryConfig::default();
        c.apply_env(|k| std::env::var(k).ok());
        c
    }

    /// Override base URLs from `var` (an environment lookup); unset or
    /// blank variables leave the URL alone.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) {
        for r in Registry::ALL {
            if let Some(v) = var(r.env_var()) {
                let v = v.trim();
                if !v.is_empty() {
                    *self.urls.get_mut(r) = v.to_string();
                }
            }
        }
    }
}

/// The real registries, with a cache: implements [`VersionSource`].
pub struct Registries {
    config: RegistryConfig,
    fetcher: Fetcher,
    cache: Option<Cache>,
}

impl Registries {
    pub fn new(config: RegistryConfig) -> Self {
        Registries {
            fetcher: Fetcher::new(config.fetch.clone()),
            cache: config.cache_dir.clone().map(Cache::new),
            config,
        }
    }

    pub fn config(&self) -> &RegistryConfig {
        &self.config
    }

    /// Every published version of `name` in `registry`.
    pub fn lookup(&self, registry: Registry, name: &str) -> Result<Versions, RegistryError> {
        let ecosystem = || registry.ecosystem().to_string();
        let client = registry.client();
        let invalid = |reason: String| RegistryError::InvalidName {
            ecosystem: ecosystem(),
            name: name.chars().take(200).collect(),
            reason,
        };
        let key = client.canonical(name).map_err(invalid)?;
        let segments = client.segments(&key);
        check_segments(&segments).map_err(invalid)?;
        let url = location(self.config.urls.get(registry), &segments);

        let now = cache::now_millis();
        let cached = self
            .cache
            .as_ref()
            .and_then(|c| c.load(registry.id(), &key));
        match &cached {
            Some(e) => {
                let fresh = e.is_fresh(now, self.config.cache_ttl);
                if fresh || self.config.offline {
                    return Ok(e.answer(Origin::Cache, !fresh));
                }
            }
            None if self.config.offline => {
                return Err(RegistryError::Offline {
                    ecosystem: ecosystem(),
                    name: name.to_string(),
                });
            }
            None => {}
        }

        let cond = cached.as_ref().map(Entry::validators).unwrap_or_default();
        let accept = client.accept().map(|a| [("Accept", a)]);
        let headers: &[(&str, &str)] = accept.as_ref().map_or(&[], |h| h.as_slice());
        let got = self
            .fetcher
            .get_with_headers(&url, &cond, headers, &NoProgress);
        match got {
            Ok(Fetched::NotModified) => match cached {
                Some(mut e) => {
                    e.fetched_at = now;
                    self.store(&e);
                    Ok(e.answer(Origin::Registry, false))
                }
                None => Err(RegistryError::BadResponse {
                    url,
                    reason: "304 Not Modified to an unconditional request".into(),
                }),
            },
            Ok(Fetched::Body { body, validators }) => {
                let versions =
                    client
                        .parse(&key, &body)
                        .map_err(|reason| RegistryError::BadResponse {
                            url: url.clone(),
                            reason,
                        })?;
                let versions = tidy(registry, versions);
                let e = Entry::new(registry.id(), &key, now, validators, versions);
                self.store(&e);
                Ok(e.answer(Origin::Registry, false))
            }
            Err(err) => {
                let err = fetch_error(err, ecosystem(), name, &url);
                match (err, cached) {
                    (RegistryError::Unavailable { .. }, Some(e)) => {
                        Ok(e.answer(Origin::Cache, true))
                    }
                    (err @ RegistryError::NotFound { .. }, Some(_)) => {
                        if let Some(c) = &self.cache {
                            c.remove(registry.id(), &key);
                        }
                        Err(err)
                    }
                    (err, _) => Err(err),
                }
            }
        }
    }

    fn store(&self, e: &Entry) {
        if let Some(c) = &self.cache {
            c.store(e);
        }
    }
}

impl VersionSource for Registries {
    fn versions(&self, ecosystem: &Ecosystem, name: &str) -> Result<Versions, RegistryError> {
        let registry =
            Registry::for_ecosystem(ecosystem).ok_or_else(|| RegistryError::Unsupported {
                ecosystem: ecosystem.to_string(),
            })?;
        self.lookup(registry, name)
    }
}

/// A fetch failure as a registry error: 404/410 and a missing mirror file
/// are [`RegistryError::NotFound`], an oversized mirror file a
/// [`RegistryError::BadResponse`], everything else
/// [`RegistryError::Unavailable`].
fn fetch_error(e: FeedError, ecosystem: String, name: &str, url: &str) -> RegistryError {
    let not_found = || RegistryError::NotFound {
        ecosystem: ecosystem.clone(),
        name: name.to_string(),
        url: url.to_string(),
    };
    match e {
        FeedError::Http {
            status: Some(404 | 410),
            ..
        } => not_found(),
        FeedError::Http { reason, .. } => RegistryError::Unavailable {
            url: url.to_string(),
            reason,
        },
        FeedError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            not_found()
        }
        FeedError::Io { source, .. } => RegistryError::Unavailable {
            url: url.to_string(),
            reason: source.to_string(),
        },
        FeedError::Limit { reason, .. } => RegistryError::BadResponse {
            url: url.to_string(),
            reason,
        },
        other => RegistryError::Unavailable {
            url: url.to_string(),
            reason: other.to_string(),
        },
    }
}

/// 1 to `max` bytes, each an ASCII letter or digit, `-`, `_` or `.`: the
/// name alphabet of most registries.
fn plain_name(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Every path component (segments split at `/`) must be a plain name: not
/// empty, `.` or `..`, without `\`, NUL or control characters. Keeps names
/// from walking out of a mirror directory or rewriting a URL path.
fn check_segments(segments: &[String]) -> Result<(), String> {
    for seg in segments {
        for part in seg.split('/') {
            if part.is_empty() || part == "." || part == ".." {
                return Err(format!("`{part}` is not a path component"));
            }
            if part.chars().any(|c| c == '\\' || c.is_control()) {
                return Err("contains `\\` or a control character".into());
            }
        }
    }
    Ok(())
}

/// The document's location: over HTTP each segment is percent-encoded
/// except for the unreserved characters and `!`, `@`, `+` (which the Go
/// proxy protocol writes literally); below a directory the segments are
/// path components.
fn location(base: &str, segments: &[String]) -> String {
    if !is_http(base) {
        let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
        return join(base, &segs);
    }
    let mut out = base.trim_end_matches('/').to_string();
    for seg in segments {
        out.push('/');
        for b in seg.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~!@+".contains(&b) {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// Order oldest to newest by the ecosystem's scheme (unparsable versions
/// first, in registry order) and merge repeated version strings (a
/// version is yanked only if every copy is).
fn tidy(registry: Registry, versions: Vec<VersionInfo>) -> Vec<VersionInfo> {
    let mut merged: Vec<VersionInfo> = Vec::with_capacity(versions.len());
    let mut index = std::collections::HashMap::new();
    for v in versions {
        match index.get(&v.version) {
            Some(&i) => {
                let m: &mut VersionInfo = &mut merged[i];
                m.yanked &= v.yanked;
                if m.deps.is_none() {
                    m.deps = v.deps;
                }
                // The version dates from its first upload (RubyGems lists
                // one entry per platform).
                m.published = match (m.published.take(), v.published) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            None => {
                index.insert(v.version.clone(), merged.len());
                merged.push(v);
            }
        }
    }
    let scheme = Scheme::for_ecosystem(&registry.ecosystem());
    let mut keyed: Vec<(Option<Version>, VersionInfo)> = merged
        .into_iter()
        .map(|v| (scheme.and_then(|s| s.parse(&v.version).ok()), v))
        .collect();
    keyed.sort_by(|(a, _), (b, _)| match (a, b) {
        (Some(a), Some(b)) => a.cmp_same(b).unwrap_or(std::cmp::Ordering::Equal),
        (a, b) => a.is_some().cmp(&b.is_some()),
    });
    keyed.into_iter().map(|(_, v)| v).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_encode_segments_for_http_and_nest_in_directories() {
        let segs = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            location("https://r.example/", &segs(&["@scope/pkg"])),
            "https://r.example/@scope%2Fpkg"
        );
        assert_eq!(
            location("http://x", &segs(&["github.com", "!foo", "@v", "list"])),
            "http://x/github.com/!foo/@v/list"
        );
        assert_eq!(
            location("http://x", &segs(&["caf\u{e9} ?#"])),
            "http://x/caf%C3%A9%20%3F%23"
        );
        assert_eq!(
            location("/srv/mirror", &segs(&["@scope/pkg"])),
            "/srv/mirror/@scope/pkg"
        );
    }

    #[test]
    fn segments_that_walk_out_are_refused() {
        for bad in [
            "..",
            ".",
            "",
            "a/../b",
            "../../etc/passwd",
            "a//b",
            "a\\b",
            "a\0b",
        ] {
            assert!(check_segments(&[bad.to_string()]).is_err(), "{bad:?}");
        }
        assert!(check_segments(&["@scope/pkg".into(), "..x".into()]).is_ok());
    }

    #[test]
    fn tidy_sorts_by_scheme_and_merges_duplicates() {
        let v = |s: &str, y: bool| VersionInfo {
            yanked: y,
            ..VersionInfo::new(s)
        };
        let got = tidy(
            Registry::CratesIo,
            vec![
                v("1.10.0", false),
                v("not a version", false),
                v("1.2.0", true),
                v("1.2.0", false),
                v("1.0.0-rc.1", false),
                v("1.0.0", true),
            ],
        );
        assert_eq!(
            got,
            vec![
                v("not a version", false),
                v("1.0.0-rc.1", false),
                v("1.0.0", true),
                v("1.2.0", false),
                v("1.10.0", false),
            ]
        );
    }

    #[test]
    fn env_overrides_urls() {
        let mut c = RegistryConfig::default();
        c.apply_env(|k| match k {
            "PATCHLOOP_REGISTRY_NPM_URL" => Some("http://127.0.0.1:1/npm".into()),
            "PATCHLOOP_REGISTRY_GO_URL" => Some("  ".into()),
            _ => None,
        });
        assert_eq!(c.urls.npm, "http://127.0.0.1:1/npm");
        assert_eq!(c.urls.go, "https://proxy.golang.org");
        assert_eq!(c.urls.crates_io, "https://index.crates.io");
    }

    #[test]
    fn registries_can_be_shared_between_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<Registries>();
    }

    #[test]
    fn every_registry_has_its_ecosystem() {
        for r in Registry::ALL {
            assert_eq!(Registry::for_ecosystem(&r.ecosystem()), Some(r));
            assert!(r.env_var().starts_with("PATCHLOOP_REGISTRY_"));
        }
        assert_eq!(Registry::for_ecosystem(&Ecosystem::HEX), None);
    }
}
