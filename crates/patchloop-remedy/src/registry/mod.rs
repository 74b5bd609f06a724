//! Package registries: which versions of a package exist.
//!
//! [`VersionSource`] is what planning needs; [`Registries`] implements it
//! over the real registries (one client module per registry), with a
//! local cache. Every base URL is configurable ([`RegistryConfig`]) so
//! tests and mirrors can point elsewhere.

use patchloop_model::Ecosystem;

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
}

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Registry,
    Cache,
}

/// Every published version of one package.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Versions {
    pub versions: Vec<VersionInfo>,
    pub origin: Origin,
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
