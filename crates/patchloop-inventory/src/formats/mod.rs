//! Every file format patchloop reads, how it is recognised by name, and
//! the parser for it. One module per ecosystem; each parser is a pure
//! function of its [`Input`] (plus related files read through it).

use crate::input::{Input, ParseResult};

pub mod common;

pub mod cargo;
pub mod composer;
pub mod conan;
pub mod dart;
pub mod go;
pub mod hex;
pub mod maven;
pub mod npm;
pub mod nuget;
pub mod python;
pub mod ruby;
pub mod swift;

/// A supported input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    CargoLock,
    PackageLock,
    YarnLock,
    PnpmLock,
    BunLock,
    Requirements,
    PoetryLock,
    PipfileLock,
    UvLock,
    PdmLock,
    PyLock,
    GoMod,
    GoSum,
    GemfileLock,
    ComposerLock,
    PomXml,
    GradleLockfile,
    NugetLock,
    MsBuildProject,
    DirectoryPackagesProps,
    PubspecLock,
    MixLock,
    PackageResolved,
    ConanLock,
    CycloneDxJson,
    CycloneDxXml,
    SpdxJson,
}

impl Format {
    pub const ALL: &'static [Format] = &[
        Format::CargoLock,
        Format::PackageLock,
        Format::YarnLock,
        Format::PnpmLock,
        Format::BunLock,
        Format::Requirements,
        Format::PoetryLock,
        Format::PipfileLock,
        Format::UvLock,
        Format::PdmLock,
        Format::PyLock,
        Format::GoMod,
        Format::GoSum,
        Format::GemfileLock,
        Format::ComposerLock,
        Format::PomXml,
        Format::GradleLockfile,
        Format::NugetLock,
        Format::MsBuildProject,
        Format::DirectoryPackagesProps,
        Format::PubspecLock,
        Format::MixLock,
        Format::PackageResolved,
        Format::ConanLock,
        Format::CycloneDxJson,
        Format::CycloneDxXml,
        Format::SpdxJson,
    ];

    /// Stable identifier, used in the JSON output and `--format-of`.
    pub fn id(self) -> &'static str {
        match self {
            Format::CargoLock => "cargo-lock",
            Format::PackageLock => "package-lock",
            Format::YarnLock => "yarn-lock",
            Format::PnpmLock => "pnpm-lock",
            Format::BunLock => "bun-lock",
            Format::Requirements => "requirements",
            Format::PoetryLock => "poetry-lock",
            Format::PipfileLock => "pipfile-lock",
            Format::UvLock => "uv-lock",
            Format::PdmLock => "pdm-lock",
            Format::PyLock => "pylock",
            Format::GoMod => "go-mod",
            Format::GoSum => "go-sum",
            Format::GemfileLock => "gemfile-lock",
            Format::ComposerLock => "composer-lock",
            Format::PomXml => "pom-xml",
            Format::GradleLockfile => "gradle-lockfile",
            Format::NugetLock => "nuget-lock",
            Format::MsBuildProject => "msbuild-project",
            Format::DirectoryPackagesProps => "directory-packages-props",
            Format::PubspecLock => "pubspec-lock",
            Format::MixLock => "mix-lock",
            Format::PackageResolved => "package-resolved",
            Format::ConanLock => "conan-lock",
            Format::CycloneDxJson => "cyclonedx-json",
            Format::CycloneDxXml => "cyclonedx-xml",
            Format::SpdxJson => "spdx-json",
        }
    }

    /// The ecosystem of the packages this format lists; `None` for SBOMs,
    /// which may mix several.
    pub fn ecosystem(self) -> Option<patchloop_model::Ecosystem> {
        use patchloop_model::{Ecosystem, EcosystemKind};
        let kind = match self {
            Format::CargoLock => EcosystemKind::CratesIo,
            Format::PackageLock | Format::YarnLock | Format::PnpmLock | Format::BunLock => {
                EcosystemKind::Npm
            }
            Format::Requirements
            | Format::PoetryLock
            | Format::PipfileLock
            | Format::UvLock
            | Format::PdmLock
            | Format::PyLock => EcosystemKind::PyPI,
            Format::GoMod | Format::GoSum => EcosystemKind::Go,
            Format::GemfileLock => EcosystemKind::RubyGems,
            Format::ComposerLock => EcosystemKind::Packagist,
            Format::PomXml | Format::GradleLockfile => EcosystemKind::Maven,
            Format::NugetLock | Format::MsBuildProject | Format::DirectoryPackagesProps => {
                EcosystemKind::NuGet
            }
            Format::PubspecLock => EcosystemKind::Pub,
            Format::MixLock => EcosystemKind::Hex,
            Format::PackageResolved => EcosystemKind::SwiftURL,
            Format::ConanLock => EcosystemKind::ConanCenter,
            Format::CycloneDxJson | Format::CycloneDxXml | Format::SpdxJson => return None,
        };
        Some(Ecosystem::new(kind))
    }

    pub fn from_id(id: &str) -> Option<Format> {
        Format::ALL.iter().copied().find(|f| f.id() == id)
    }

    /// File names this format is recognised by (for docs and errors).
    pub fn patterns(self) -> &'static str {
        match self {
            Format::CargoLock => "Cargo.lock",
            Format::PackageLock => "package-lock.json, npm-shrinkwrap.json",
            Format::YarnLock => "yarn.lock",
            Format::PnpmLock => "pnpm-lock.yaml",
            Format::BunLock => "bun.lock",
            Format::Requirements => "*requirements*.txt, requirements/*.txt",
            Format::PoetryLock => "poetry.lock",
            Format::PipfileLock => "Pipfile.lock",
            Format::UvLock => "uv.lock",
            Format::PdmLock => "pdm.lock",
            Format::PyLock => "pylock.toml, pylock.*.toml",
            Format::GoMod => "go.mod",
            Format::GoSum => "go.sum (only without go.mod)",
            Format::GemfileLock => "Gemfile.lock, gems.locked",
            Format::ComposerLock => "composer.lock",
            Format::PomXml => "pom.xml",
            Format::GradleLockfile => {
                "gradle.lockfile, *-gradle.lockfile, gradle/dependency-locks/*.lockfile"
            }
            Format::NugetLock => "packages.lock.json",
            Format::MsBuildProject => {
                "*.csproj, *.fsproj, *.vbproj (only without packages.lock.json)"
            }
            Format::DirectoryPackagesProps => "Directory.Packages.props",
            Format::PubspecLock => "pubspec.lock",
            Format::MixLock => "mix.lock",
            Format::PackageResolved => "Package.resolved",
            Format::ConanLock => "conan.lock",
            Format::CycloneDxJson => "bom.json, *.cdx.json",
            Format::CycloneDxXml => "bom.xml, *.cdx.xml",
            Format::SpdxJson => "*.spdx.json",
        }
    }

    /// Recognise a file by its name (and parent directory name).
    pub fn detect(file_name: &str, parent_dir: Option<&str>) -> Option<Format> {
        let f = match file_name {
            "Cargo.lock" => Format::CargoLock,
            "package-lock.json" | "npm-shrinkwrap.json" => Format::PackageLock,
            "yarn.lock" => Format::YarnLock,
            "pnpm-lock.yaml" => Format::PnpmLock,
            "bun.lock" => Format::BunLock,
            "poetry.lock" => Format::PoetryLock,
            "Pipfile.lock" => Format::PipfileLock,
            "uv.lock" => Format::UvLock,
            "pdm.lock" => Format::PdmLock,
            "pylock.toml" => Format::PyLock,
            "go.mod" => Format::GoMod,
            "go.sum" => Format::GoSum,
            "Gemfile.lock" | "gems.locked" => Format::GemfileLock,
            "composer.lock" => Format::ComposerLock,
            "pom.xml" => Format::PomXml,
            "gradle.lockfile" => Format::GradleLockfile,
            // buildscript-gradle.lockfile, settings-gradle.lockfile
            n if n.ends_with("-gradle.lockfile") => Format::GradleLockfile,
            "packages.lock.json" => Format::NugetLock,
            "Directory.Packages.props" => Format::DirectoryPackagesProps,
            "pubspec.lock" => Format::PubspecLock,
            "mix.lock" => Format::MixLock,
            "Package.resolved" => Format::PackageResolved,
            "conan.lock" => Format::ConanLock,
            "bom.json" => Format::CycloneDxJson,
            "bom.xml" => Format::CycloneDxXml,
            n if n.ends_with(".cdx.json") => Format::CycloneDxJson,
            n if n.ends_with(".cdx.xml") => Format::CycloneDxXml,
            n if n.ends_with(".spdx.json") => Format::SpdxJson,
            n if n.starts_with("pylock.") && n.ends_with(".toml") => Format::PyLock,
            n if n.ends_with(".csproj") || n.ends_with(".fsproj") || n.ends_with(".vbproj") => {
                Format::MsBuildProject
            }
            n if n.ends_with(".txt")
                && (n.contains("requirements") || parent_dir == Some("requirements")) =>
            {
                Format::Requirements
            }
            n if n.ends_with(".lockfile") && parent_dir == Some("dependency-locks") => {
                Format::GradleLockfile
            }
            _ => return None,
        };
        Some(f)
    }

    /// Formats that, when present in the same directory, make this one
    /// redundant (the lockfile is more precise than the manifest).
    pub fn superseded_by(self) -> &'static [Format] {
        match self {
            Format::GoSum => &[Format::GoMod],
            Format::MsBuildProject => &[Format::NugetLock],
            _ => &[],
        }
    }

    /// Parse a file of this format.
    pub fn parse(self, input: &Input) -> ParseResult {
        match self {
            Format::CargoLock => cargo::parse_lock(input),
            Format::PackageLock => npm::package_lock::parse(input),
            Format::YarnLock => npm::yarn::parse(input),
            Format::PnpmLock => npm::pnpm::parse(input),
            Format::BunLock => npm::bun::parse(input),
            Format::Requirements => python::requirements::parse(input),
            Format::PoetryLock => python::poetry::parse(input),
            Format::PipfileLock => python::pipfile::parse(input),
            Format::UvLock => python::uv::parse(input),
            Format::PdmLock => python::pdm::parse(input),
            Format::PyLock => python::pylock::parse(input),
            Format::GoMod => go::parse_mod(input),
            Format::GoSum => go::parse_sum(input),
            Format::GemfileLock => ruby::parse(input),
            Format::ComposerLock => composer::parse(input),
            Format::PomXml => maven::pom::parse(input),
            Format::GradleLockfile => maven::gradle::parse(input),
            Format::NugetLock => nuget::parse_lock(input),
            Format::MsBuildProject => nuget::parse_project(input),
            Format::DirectoryPackagesProps => nuget::parse_central(input),
            Format::PubspecLock => dart::parse(input),
            Format::MixLock => hex::parse(input),
            Format::PackageResolved => swift::parse(input),
            Format::ConanLock => conan::parse(input),
            Format::CycloneDxJson => crate::sbom::cyclonedx::parse_json(input),
            Format::CycloneDxXml => crate::sbom::cyclonedx::parse_xml(input),
            Format::SpdxJson => crate::sbom::spdx::parse_json(input),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection() {
        assert_eq!(Format::detect("Cargo.lock", None), Some(Format::CargoLock));
        assert_eq!(
            Format::detect("dev-requirements.txt", None),
            Some(Format::Requirements)
        );
        assert_eq!(
            Format::detect("base.txt", Some("requirements")),
            Some(Format::Requirements)
        );
        assert_eq!(Format::detect("notes.txt", None), None);
        assert_eq!(
            Format::detect("App.csproj", None),
            Some(Format::MsBuildProject)
        );
        assert_eq!(
            Format::detect("x.cdx.json", None),
            Some(Format::CycloneDxJson)
        );
        assert_eq!(
            Format::detect("buildscript-gradle.lockfile", None),
            Some(Format::GradleLockfile)
        );
        for f in Format::ALL {
            assert_eq!(Format::from_id(f.id()), Some(*f));
        }
    }
}
