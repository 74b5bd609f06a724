//! OSV ecosystem names: an open set.
//!
//! patchloop knows a set of ecosystems by name (the ones it has version rules
//! and parsers for), but an OSV record or SBOM can name any ecosystem. Unknown
//! names are kept verbatim in [`Ecosystem::Other`] rather than rejected.
//! Distribution ecosystems carry their release as a suffix (`Debian:12`,
//! `Ubuntu:22.04:LTS`, `Alpine:v3.20`), kept in `release`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The base ecosystem, without a release suffix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EcosystemKind {
    CratesIo,
    Npm,
    PyPI,
    Go,
    RubyGems,
    Packagist,
    Maven,
    NuGet,
    Pub,
    Hex,
    SwiftURL,
    ConanCenter,
    Debian,
    Ubuntu,
    Alpine,
    RedHat,
    RockyLinux,
    AlmaLinux,
    /// Any other ecosystem name, verbatim (e.g. `opam`, `Azure Linux`).
    Other(String),
}

impl EcosystemKind {
    /// Canonical OSV spelling of the base name.
    pub fn as_str(&self) -> &str {
        match self {
            EcosystemKind::CratesIo => "crates.io",
            EcosystemKind::Npm => "npm",
            EcosystemKind::PyPI => "PyPI",
            EcosystemKind::Go => "Go",
            EcosystemKind::RubyGems => "RubyGems",
            EcosystemKind::Packagist => "Packagist",
            EcosystemKind::Maven => "Maven",
            EcosystemKind::NuGet => "NuGet",
            EcosystemKind::Pub => "Pub",
            EcosystemKind::Hex => "Hex",
            EcosystemKind::SwiftURL => "SwiftURL",
            EcosystemKind::ConanCenter => "ConanCenter",
            EcosystemKind::Debian => "Debian",
            EcosystemKind::Ubuntu => "Ubuntu",
            EcosystemKind::Alpine => "Alpine",
            EcosystemKind::RedHat => "Red Hat",
            EcosystemKind::RockyLinux => "Rocky Linux",
            EcosystemKind::AlmaLinux => "AlmaLinux",
            EcosystemKind::Other(s) => s,
        }
    }

    fn from_base(s: &str) -> EcosystemKind {
        match s {
            "crates.io" => EcosystemKind::CratesIo,
            "npm" => EcosystemKind::Npm,
            "PyPI" => EcosystemKind::PyPI,
            "Go" => EcosystemKind::Go,
            "RubyGems" => EcosystemKind::RubyGems,
            "Packagist" => EcosystemKind::Packagist,
            "Maven" => EcosystemKind::Maven,
            "NuGet" => EcosystemKind::NuGet,
            "Pub" => EcosystemKind::Pub,
            "Hex" => EcosystemKind::Hex,
            "SwiftURL" => EcosystemKind::SwiftURL,
            "ConanCenter" => EcosystemKind::ConanCenter,
            "Debian" => EcosystemKind::Debian,
            "Ubuntu" => EcosystemKind::Ubuntu,
            "Alpine" => EcosystemKind::Alpine,
            "Red Hat" => EcosystemKind::RedHat,
            "Rocky Linux" => EcosystemKind::RockyLinux,
            "AlmaLinux" => EcosystemKind::AlmaLinux,
            other => EcosystemKind::Other(other.to_string()),
        }
    }

    /// The Package URL type for packages of this ecosystem, where one exists.
    pub fn purl_type(&self) -> &'static str {
        match self {
            EcosystemKind::CratesIo => "cargo",
            EcosystemKind::Npm => "npm",
            EcosystemKind::PyPI => "pypi",
            EcosystemKind::Go => "golang",
            EcosystemKind::RubyGems => "gem",
            EcosystemKind::Packagist => "composer",
            EcosystemKind::Maven => "maven",
            EcosystemKind::NuGet => "nuget",
            EcosystemKind::Pub => "pub",
            EcosystemKind::Hex => "hex",
            EcosystemKind::SwiftURL => "swift",
            EcosystemKind::ConanCenter => "conan",
            EcosystemKind::Debian | EcosystemKind::Ubuntu => "deb",
            EcosystemKind::Alpine => "apk",
            EcosystemKind::RedHat | EcosystemKind::RockyLinux | EcosystemKind::AlmaLinux => "rpm",
            EcosystemKind::Other(_) => "generic",
        }
    }
}

/// A full OSV ecosystem name: base plus optional release suffix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ecosystem {
    pub kind: EcosystemKind,
    /// Everything after the first `:` (e.g. `12` in `Debian:12`,
    /// `22.04:LTS` in `Ubuntu:22.04:LTS`).
    pub release: Option<String>,
}

impl Ecosystem {
    pub const fn new(kind: EcosystemKind) -> Self {
        Ecosystem {
            kind,
            release: None,
        }
    }

    pub fn with_release(kind: EcosystemKind, release: impl Into<String>) -> Self {
        Ecosystem {
            kind,
            release: Some(release.into()),
        }
    }

    pub const CRATES_IO: Ecosystem = Ecosystem::new(EcosystemKind::CratesIo);
    pub const NPM: Ecosystem = Ecosystem::new(EcosystemKind::Npm);
    pub const PYPI: Ecosystem = Ecosystem::new(EcosystemKind::PyPI);
    pub const GO: Ecosystem = Ecosystem::new(EcosystemKind::Go);
    pub const RUBYGEMS: Ecosystem = Ecosystem::new(EcosystemKind::RubyGems);
    pub const PACKAGIST: Ecosystem = Ecosystem::new(EcosystemKind::Packagist);
    pub const MAVEN: Ecosystem = Ecosystem::new(EcosystemKind::Maven);
    pub const NUGET: Ecosystem = Ecosystem::new(EcosystemKind::NuGet);
    pub const PUB: Ecosystem = Ecosystem::new(EcosystemKind::Pub);
    pub const HEX: Ecosystem = Ecosystem::new(EcosystemKind::Hex);
    pub const SWIFT_URL: Ecosystem = Ecosystem::new(EcosystemKind::SwiftURL);
    pub const CONAN_CENTER: Ecosystem = Ecosystem::new(EcosystemKind::ConanCenter);

    /// Parse an OSV ecosystem string. Never fails: unknown names are kept.
    pub fn parse(s: &str) -> Ecosystem {
        let s = s.trim();
        match s.split_once(':') {
            Some((base, rest)) => Ecosystem {
                kind: EcosystemKind::from_base(base),
                release: Some(rest.to_string()),
            },
            None => Ecosystem::new(EcosystemKind::from_base(s)),
        }
    }

    /// Parse the name a user types on the command line: accepts the OSV
    /// spelling and common lowercase aliases (`cargo`, `pypi`, `go`, ...).
    pub fn from_user(s: &str) -> Ecosystem {
        let kind = match s.to_ascii_lowercase().as_str() {
            "crates.io" | "cargo" | "crates" | "rust" => Some(EcosystemKind::CratesIo),
            "npm" | "node" | "javascript" => Some(EcosystemKind::Npm),
            "pypi" | "python" | "pip" => Some(EcosystemKind::PyPI),
            "go" | "golang" => Some(EcosystemKind::Go),
            "rubygems" | "gem" | "ruby" => Some(EcosystemKind::RubyGems),
            "packagist" | "composer" | "php" => Some(EcosystemKind::Packagist),
            "maven" | "java" => Some(EcosystemKind::Maven),
            "nuget" | ".net" | "dotnet" => Some(EcosystemKind::NuGet),
            "pub" | "dart" => Some(EcosystemKind::Pub),
            "hex" | "erlang" | "elixir" => Some(EcosystemKind::Hex),
            "swifturl" | "swift" => Some(EcosystemKind::SwiftURL),
            "conancenter" | "conan" => Some(EcosystemKind::ConanCenter),
            _ => None,
        };
        match kind {
            Some(k) => Ecosystem::new(k),
            None => Ecosystem::parse(s),
        }
    }

    pub fn purl_type(&self) -> &'static str {
        self.kind.purl_type()
    }

    /// True when the ecosystem is not one patchloop has rules for.
    pub fn is_unknown(&self) -> bool {
        matches!(self.kind, EcosystemKind::Other(_))
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.as_str())?;
        if let Some(r) = &self.release {
            write!(f, ":{r}")?;
        }
        Ok(())
    }
}

impl FromStr for Ecosystem {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Ecosystem::parse(s))
    }
}

impl Serialize for Ecosystem {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Ecosystem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        Ok(Ecosystem::parse(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_known_and_unknown() {
        for s in [
            "crates.io",
            "PyPI",
            "Debian:12",
            "Ubuntu:22.04:LTS",
            "Alpine:v3.20",
            "opam",
            "Azure Linux",
            "Red Hat:enterprise_linux:9::appstream",
        ] {
            assert_eq!(Ecosystem::parse(s).to_string(), s);
        }
        assert!(Ecosystem::parse("opam").is_unknown());
        assert_eq!(Ecosystem::parse("Debian:12").kind, EcosystemKind::Debian);
    }

    #[test]
    fn user_aliases() {
        assert_eq!(Ecosystem::from_user("cargo"), Ecosystem::CRATES_IO);
        assert_eq!(Ecosystem::from_user("pypi"), Ecosystem::PYPI);
        assert_eq!(Ecosystem::from_user("Go"), Ecosystem::GO);
    }
}
