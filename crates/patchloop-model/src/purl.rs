//! Package URLs (purl) for packages of every ecosystem, and the reverse
//! mapping from a purl to an ecosystem and a package name.
//!
//! Building and parsing the purl syntax is done by the `packageurl` crate;
//! this module decides how each ecosystem's package name splits into purl
//! namespace and name (npm scopes, Maven groups, Go module paths, ...).

use packageurl::PackageUrl;

use crate::ecosystem::{Ecosystem, EcosystemKind};

/// Errors from purl parsing.
#[derive(Debug, thiserror::Error)]
pub enum PurlError {
    #[error("invalid package URL `{purl}`: {reason}")]
    Invalid { purl: String, reason: String },
}

/// PEP 503 normalized name: lowercase, runs of `-`, `_`, `.` become `-`.
pub fn pep503_normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut last_sep = false;
    for c in name.trim().chars() {
        if c == '-' || c == '_' || c == '.' {
            if !last_sep {
                out.push('-');
            }
            last_sep = true;
        } else {
            out.extend(c.to_lowercase());
            last_sep = false;
        }
    }
    out
}

/// Split `name` into (namespace, name) the way the purl spec wants it for
/// this ecosystem.
fn split_name<'a>(kind: &EcosystemKind, name: &'a str) -> (Option<&'a str>, &'a str) {
    match kind {
        EcosystemKind::Npm => match name.strip_prefix('@').and_then(|_| name.split_once('/')) {
            Some((scope, n)) => (Some(scope), n),
            None => (None, name),
        },
        EcosystemKind::Maven => match name.split_once(':') {
            Some((g, a)) => (Some(g), a),
            None => (None, name),
        },
        EcosystemKind::Packagist => match name.split_once('/') {
            Some((v, n)) => (Some(v), n),
            None => (None, name),
        },
        EcosystemKind::Go | EcosystemKind::SwiftURL => match name.rsplit_once('/') {
            Some((ns, n)) => (Some(ns), n),
            None => (None, name),
        },
        _ => (None, name),
    }
}

/// The purl for a package. `version` may be empty for unpinned packages.
pub fn purl_for(ecosystem: &Ecosystem, name: &str, version: &str) -> String {
    if let Some(p) = plain_purl(ecosystem, name, version) {
        return p;
    }
    let ty = ecosystem.purl_type();
    let normalized;
    let name = match ecosystem.kind {
        EcosystemKind::PyPI => {
            normalized = pep503_normalize(name);
            normalized.as_str()
        }
        EcosystemKind::SwiftURL => name
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches(".git"),
        _ => name,
    };
    let (ns, n) = split_name(&ecosystem.kind, name);
    let generic_name;
    let n = if let EcosystemKind::Other(_) = ecosystem.kind {
        generic_name = name.to_string();
        generic_name.as_str()
    } else {
        n
    };
    if n.is_empty() {
        return format!("pkg:{ty}/{}", percent_encode(name));
    }
    let mut purl = match PackageUrl::new(ty, n) {
        Ok(p) => p,
        Err(_) => return format!("pkg:{ty}/{}", percent_encode(name)),
    };
    if let Some(ns) = ns
        && !matches!(ecosystem.kind, EcosystemKind::Other(_))
        && !ns.is_empty()
    {
        purl.with_namespace(ns);
    }
    if !version.is_empty() {
        purl.with_version(version);
    }
    if let EcosystemKind::Other(eco) = &ecosystem.kind {
        let _ = purl.add_qualifier("ecosystem", eco.as_str());
    }
    purl.to_string()
}

/// The purl of a crate whose name and version need no encoding, built
/// directly: most of the cost of reading a Cargo.lock was the general
/// purl builder. Gives exactly what the general path gives (tested).
fn plain_purl(ecosystem: &Ecosystem, name: &str, version: &str) -> Option<String> {
    if ecosystem.kind != EcosystemKind::CratesIo
        || name.is_empty()
        || version.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        || !version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    {
        return None;
    }
    let mut p = String::with_capacity(11 + name.len() + version.len());
    p.push_str("pkg:cargo/");
    p.push_str(name);
    p.push('@');
    p.push_str(version);
    Some(p)
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What a purl names, in patchloop's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurlParts {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: Option<String>,
    pub purl_type: String,
}

/// Map a purl back to (ecosystem, ecosystem-spelled name, version).
/// Unknown purl types map to [`EcosystemKind::Other`] named after the type.
pub fn parse_purl(purl: &str) -> Result<PurlParts, PurlError> {
    let p: PackageUrl = purl
        .parse()
        .map_err(|e: packageurl::Error| PurlError::Invalid {
            purl: purl.to_string(),
            reason: e.to_string(),
        })?;
    let ns = p.namespace().filter(|s| !s.is_empty());
    let join = |sep: &str| match ns {
        Some(ns) => format!("{ns}{sep}{}", p.name()),
        None => p.name().to_string(),
    };
    let (ecosystem, name) = match p.ty() {
        "cargo" => (Ecosystem::CRATES_IO, join("/")),
        "npm" => (Ecosystem::NPM, join("/")),
        "pypi" => (Ecosystem::PYPI, p.name().to_string()),
        "golang" => (Ecosystem::GO, join("/")),
        "gem" => (Ecosystem::RUBYGEMS, p.name().to_string()),
        "composer" => (Ecosystem::PACKAGIST, join("/")),
        "maven" => (Ecosystem::MAVEN, join(":")),
        "nuget" => (Ecosystem::NUGET, p.name().to_string()),
        "pub" => (Ecosystem::PUB, p.name().to_string()),
        "hex" => (Ecosystem::HEX, p.name().to_string()),
        "swift" => (Ecosystem::SWIFT_URL, join("/")),
        "conan" => (Ecosystem::CONAN_CENTER, p.name().to_string()),
        "deb" => {
            let distro = p.qualifiers().get("distro").map(|s| s.to_string());
            let kind = match ns {
                Some(n) if n.eq_ignore_ascii_case("ubuntu") => EcosystemKind::Ubuntu,
                _ => EcosystemKind::Debian,
            };
            (
                distro_ecosystem(kind, distro.as_deref()),
                p.name().to_string(),
            )
        }
        "apk" => {
            let distro = p.qualifiers().get("distro").map(|s| s.to_string());
            (
                distro_ecosystem(EcosystemKind::Alpine, distro.as_deref()),
                p.name().to_string(),
            )
        }
        "generic" => match p.qualifiers().get("ecosystem") {
            Some(eco) => (Ecosystem::parse(eco), p.name().to_string()),
            None => (
                Ecosystem::new(EcosystemKind::Other("generic".into())),
                join("/"),
            ),
        },
        other => (
            Ecosystem::new(EcosystemKind::Other(other.to_string())),
            join("/"),
        ),
    };
    Ok(PurlParts {
        ecosystem,
        name,
        version: p.version().map(str::to_string),
        purl_type: p.ty().to_string(),
    })
}

/// `distro=debian-12` / `distro=alpine-3.20` to an OSV ecosystem with release.
fn distro_ecosystem(kind: EcosystemKind, distro: Option<&str>) -> Ecosystem {
    let release = distro.and_then(|d| d.rsplit_once('-').map(|(_, r)| r.to_string()));
    match (kind, release) {
        (EcosystemKind::Alpine, Some(r)) => {
            let r = if r.starts_with('v') {
                r
            } else {
                format!("v{r}")
            };
            Ecosystem::with_release(EcosystemKind::Alpine, r)
        }
        (k, Some(r)) => Ecosystem::with_release(k, r),
        (k, None) => Ecosystem::new(k),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_per_ecosystem() {
        assert_eq!(
            purl_for(&Ecosystem::CRATES_IO, "serde", "1.0.0"),
            "pkg:cargo/serde@1.0.0"
        );
        assert_eq!(
            purl_for(&Ecosystem::NPM, "@babel/core", "7.0.0"),
            "pkg:npm/%40babel/core@7.0.0"
        );
        assert_eq!(
            purl_for(&Ecosystem::PYPI, "Django_Rest.framework", "3.0"),
            "pkg:pypi/django-rest-framework@3.0"
        );
        assert_eq!(
            purl_for(&Ecosystem::GO, "github.com/caddyserver/caddy/v2", "2.4.0"),
            "pkg:golang/github.com/caddyserver/caddy/v2@2.4.0"
        );
        assert_eq!(
            purl_for(&Ecosystem::MAVEN, "org.yaml:snakeyaml", "2.2"),
            "pkg:maven/org.yaml/snakeyaml@2.2"
        );
        assert_eq!(
            purl_for(&Ecosystem::PACKAGIST, "guzzlehttp/guzzle", "6.5.5"),
            "pkg:composer/guzzlehttp/guzzle@6.5.5"
        );
        assert_eq!(purl_for(&Ecosystem::PYPI, "flask", ""), "pkg:pypi/flask");
    }

    #[test]
    fn purl_round_trip() {
        for (eco, name, ver) in [
            (Ecosystem::CRATES_IO, "serde", "1.0.0"),
            (Ecosystem::NPM, "@babel/core", "7.0.0"),
            (Ecosystem::NPM, "lodash", "4.17.21"),
            (Ecosystem::GO, "github.com/caddyserver/caddy/v2", "2.4.0"),
            (Ecosystem::MAVEN, "org.yaml:snakeyaml", "2.2"),
            (Ecosystem::PACKAGIST, "guzzlehttp/guzzle", "6.5.5"),
            (Ecosystem::NUGET, "Newtonsoft.Json", "12.0.3"),
            (Ecosystem::RUBYGEMS, "rails", "6.0.0"),
        ] {
            let p = parse_purl(&purl_for(&eco, name, ver)).unwrap();
            assert_eq!(p.ecosystem, eco);
            assert_eq!(p.name, name);
            assert_eq!(p.version.as_deref(), Some(ver));
        }
    }

    #[test]
    fn pep503() {
        assert_eq!(pep503_normalize("Foo__Bar.-baz"), "foo-bar-baz");
    }

    #[test]
    fn plain_cargo_purls_equal_the_general_builder() {
        let eco = Ecosystem::CRATES_IO;
        for (name, version) in [
            ("serde", "1.0.0"),
            ("Inflector", "0.11.4"),
            ("winapi-x86_64-pc-windows-gnu", "0.4.0"),
            ("a_b", "1.0.0-rc.1"),
            ("x", "0.0.1-alpha-2"),
        ] {
            let fast = plain_purl(&eco, name, version).expect("plain");
            let mut general = PackageUrl::new("cargo", name).expect("valid");
            general.with_version(version);
            assert_eq!(fast, general.to_string(), "{name} {version}");
        }
        assert!(plain_purl(&eco, "x", "1.0.0+build").is_none());
        assert!(plain_purl(&Ecosystem::NPM, "x", "1.0.0").is_none());
    }
}
