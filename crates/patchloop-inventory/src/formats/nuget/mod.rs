//! NuGet: `packages.lock.json`, MSBuild project files (`*.csproj`,
//! `*.fsproj`, `*.vbproj`) and central package management
//! (`Directory.Packages.props`). Package names are case-insensitive in
//! NuGet; they are kept as written. See docs/formats/maven-nuget.md.

mod lock;
mod msbuild;

use patchloop_model::{Ecosystem, Package, Resolution};

pub use lock::parse as parse_lock;
pub use msbuild::{parse_central, parse_project};

/// A NuGet package for a version string as written in a project file:
/// `1.2.3` and `[1.2.3]` are exact; ranges (`[1.0,2.0)`, `(,2.0]`) and
/// floating versions (`1.*`, `*`) are requirements.
pub(crate) fn package_for_version(name: &str, v: &str) -> Package {
    let v = v.trim();
    if let Some(inner) = v.strip_prefix('[').and_then(|s| s.strip_suffix(']'))
        && !inner.contains(',')
        && !inner.trim().is_empty()
    {
        return Package::new(Ecosystem::NUGET, name, inner.trim());
    }
    if v.starts_with('[') || v.starts_with('(') || v.contains(',') || v.contains('*') {
        return Package::unpinned(
            Ecosystem::NUGET,
            name,
            Resolution::Requirement {
                spec: v.to_string(),
            },
        );
    }
    Package::new(Ecosystem::NUGET, name, v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        let p = package_for_version("Newtonsoft.Json", "13.0.1");
        assert_eq!(p.purl, "pkg:nuget/Newtonsoft.Json@13.0.1");
        assert!(p.resolution.is_exact());
        assert_eq!(package_for_version("A", "[2.0.0]").version, "2.0.0");
        for r in ["[1.0,2.0)", "(,2.0]", "1.*", "*", "1.0.*-*"] {
            let p = package_for_version("A", r);
            assert_eq!(p.version, "");
            assert_eq!(
                p.resolution,
                Resolution::Requirement {
                    spec: r.to_string()
                }
            );
        }
    }
}
