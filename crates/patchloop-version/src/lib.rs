//! patchloop-version: version ordering exactly as each ecosystem's own
//! tooling does it, and (later) OSV range evaluation on top of it.
//!
//! Each scheme lives in its own module exposing `Version: Ord` and
//! `parse(&str) -> Result<Version, VersionError>`; [`Scheme`] dispatches
//! and [`Version`] holds a parsed version of any scheme.

use std::cmp::Ordering;
use std::fmt;

use patchloop_model::{Ecosystem, EcosystemKind};

/// `PartialOrd`/`PartialEq`/`Eq` from the type's `Ord` (so versions the
/// ecosystem considers equal are `==`), and `Display` giving the original
/// string kept in `$field`: the same for every scheme.
macro_rules! eq_and_display_via_ord {
    ($ty:ident, $field:ident) => {
        impl PartialOrd for $ty {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl PartialEq for $ty {
            fn eq(&self, other: &Self) -> bool {
                self.cmp(other) == std::cmp::Ordering::Equal
            }
        }

        impl Eq for $ty {}

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.$field)
            }
        }
    };
}
pub(crate) use eq_and_display_via_ord;

pub mod alpine;
pub mod debian;
pub mod go;
pub mod maven;
pub mod nuget;
pub mod osv;
pub mod packagist;
pub mod pep440;
pub mod req;
pub mod rpm;
pub mod rubygems;
pub mod semver;

/// A version string that the scheme cannot parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {scheme} version `{version}`: {reason}")]
pub struct VersionError {
    pub scheme: &'static str,
    pub version: String,
    pub reason: String,
}

impl VersionError {
    pub fn new(scheme: &'static str, version: &str, reason: impl Into<String>) -> Self {
        VersionError {
            scheme,
            version: version.chars().take(200).collect(),
            reason: reason.into(),
        }
    }
}

/// A version ordering scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// SemVer 2.0 (crates.io, npm, Hex, Pub, SwiftURL, OSV `SEMVER` ranges).
    SemVer,
    /// PEP 440 (PyPI).
    Pep440,
    /// Go module versions.
    Go,
    /// Maven ComparableVersion.
    Maven,
    /// RubyGems Gem::Version.
    RubyGems,
    /// NuGet (NuGetVersion).
    NuGet,
    /// Composer (Packagist).
    Packagist,
    /// dpkg (Debian, Ubuntu).
    Debian,
    /// rpm (Red Hat, Rocky, AlmaLinux, ...).
    Rpm,
    /// apk (Alpine).
    Alpine,
}

impl Scheme {
    pub const ALL: &'static [Scheme] = &[
        Scheme::SemVer,
        Scheme::Pep440,
        Scheme::Go,
        Scheme::Maven,
        Scheme::RubyGems,
        Scheme::NuGet,
        Scheme::Packagist,
        Scheme::Debian,
        Scheme::Rpm,
        Scheme::Alpine,
    ];

    /// The scheme an ecosystem's `ECOSYSTEM` ranges use; `None` for
    /// ecosystems patchloop has no rules for.
    pub fn for_ecosystem(e: &Ecosystem) -> Option<Scheme> {
        Some(match e.kind {
            EcosystemKind::CratesIo
            | EcosystemKind::Npm
            | EcosystemKind::Hex
            | EcosystemKind::Pub
            | EcosystemKind::SwiftURL => Scheme::SemVer,
            EcosystemKind::PyPI => Scheme::Pep440,
            EcosystemKind::Go => Scheme::Go,
            EcosystemKind::Maven => Scheme::Maven,
            EcosystemKind::RubyGems => Scheme::RubyGems,
            EcosystemKind::NuGet => Scheme::NuGet,
            EcosystemKind::Packagist => Scheme::Packagist,
            EcosystemKind::Debian | EcosystemKind::Ubuntu => Scheme::Debian,
            EcosystemKind::RedHat | EcosystemKind::RockyLinux | EcosystemKind::AlmaLinux => {
                Scheme::Rpm
            }
            EcosystemKind::Alpine => Scheme::Alpine,
            EcosystemKind::ConanCenter | EcosystemKind::Other(_) => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Scheme::SemVer => "semver",
            Scheme::Pep440 => "pep440",
            Scheme::Go => "go",
            Scheme::Maven => "maven",
            Scheme::RubyGems => "rubygems",
            Scheme::NuGet => "nuget",
            Scheme::Packagist => "packagist",
            Scheme::Debian => "debian",
            Scheme::Rpm => "rpm",
            Scheme::Alpine => "alpine",
        }
    }

    pub fn parse(self, s: &str) -> Result<Version, VersionError> {
        Ok(match self {
            Scheme::SemVer => Version::SemVer(semver::parse(s)?),
            Scheme::Pep440 => Version::Pep440(pep440::parse(s)?),
            Scheme::Go => Version::Go(go::parse(s)?),
            Scheme::Maven => Version::Maven(maven::parse(s)?),
            Scheme::RubyGems => Version::RubyGems(rubygems::parse(s)?),
            Scheme::NuGet => Version::NuGet(nuget::parse(s)?),
            Scheme::Packagist => Version::Packagist(packagist::parse(s)?),
            Scheme::Debian => Version::Debian(debian::parse(s)?),
            Scheme::Rpm => Version::Rpm(rpm::parse(s)?),
            Scheme::Alpine => Version::Alpine(alpine::parse(s)?),
        })
    }

    /// Compare two version strings under this scheme.
    pub fn compare(self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        let a = self.parse(a)?;
        let b = self.parse(b)?;
        Ok(a.cmp_same(&b).unwrap_or(Ordering::Equal))
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A parsed version of some scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Version {
    SemVer(semver::Version),
    Pep440(pep440::Version),
    Go(go::Version),
    Maven(maven::Version),
    RubyGems(rubygems::Version),
    NuGet(nuget::Version),
    Packagist(packagist::Version),
    Debian(debian::Version),
    Rpm(rpm::Version),
    Alpine(alpine::Version),
}

impl Version {
    /// Order two versions of the same scheme; `None` across schemes.
    pub fn cmp_same(&self, other: &Version) -> Option<Ordering> {
        use Version::*;
        Some(match (self, other) {
            (SemVer(a), SemVer(b)) => a.cmp(b),
            (Pep440(a), Pep440(b)) => a.cmp(b),
            (Go(a), Go(b)) => a.cmp(b),
            (Maven(a), Maven(b)) => a.cmp(b),
            (RubyGems(a), RubyGems(b)) => a.cmp(b),
            (NuGet(a), NuGet(b)) => a.cmp(b),
            (Packagist(a), Packagist(b)) => a.cmp(b),
            (Debian(a), Debian(b)) => a.cmp(b),
            (Rpm(a), Rpm(b)) => a.cmp(b),
            (Alpine(a), Alpine(b)) => a.cmp(b),
            _ => return None,
        })
    }
}
