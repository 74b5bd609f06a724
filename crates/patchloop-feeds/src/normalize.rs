//! Lookup keys: how an (ecosystem, package name) pair is normalized so
//! that the name a lockfile writes finds the name an advisory writes.
//!
//! The ecosystem key is the full OSV ecosystem string (`PyPI`,
//! `Debian:12`, `Ubuntu:22.04:LTS`): releases are distinct ecosystems in
//! OSV. The name key follows each ecosystem's own equality rule:
//!
//! | ecosystem | rule | why |
//! |---|---|---|
//! | PyPI | PEP 503: lowercase, runs of `-` `_` `.` → `-` | pip and PyPI compare names this way |
//! | crates.io | lowercase, `_` → `-` | crates.io refuses a crate whose name differs from an existing one only by case or `-`/`_`, so the folded name is unique |
//! | NuGet | lowercase | package ids are case-insensitive |
//! | Packagist | lowercase | Composer lowercases `vendor/package` |
//! | SwiftURL | scheme, trailing `/` and `.git` stripped, lowercase | the same repository is written several ways |
//! | npm, RubyGems, Maven (`group:artifact`), Go (module path), Hex, Pub, ConanCenter, distributions, unknown | as written (trimmed) | names are case-sensitive there (legacy npm names such as `JSONStream`, Go module paths, Maven coordinates) |

use std::borrow::Cow;

use patchloop_model::{Ecosystem, EcosystemKind, pep503_normalize};

/// The key under which a package's advisories are indexed.
pub fn ecosystem_key(ecosystem: &Ecosystem) -> String {
    ecosystem.to_string()
}

/// Normalize a package name the way `ecosystem` compares names.
pub fn name_key<'a>(ecosystem: &Ecosystem, name: &'a str) -> Cow<'a, str> {
    let name = name.trim();
    match ecosystem.kind {
        EcosystemKind::PyPI => Cow::Owned(pep503_normalize(name)),
        EcosystemKind::CratesIo => {
            if name.bytes().any(|b| b == b'_' || b.is_ascii_uppercase()) {
                Cow::Owned(name.to_ascii_lowercase().replace('_', "-"))
            } else {
                Cow::Borrowed(name)
            }
        }
        EcosystemKind::NuGet | EcosystemKind::Packagist => {
            if name.chars().any(char::is_uppercase) {
                Cow::Owned(name.to_lowercase())
            } else {
                Cow::Borrowed(name)
            }
        }
        EcosystemKind::SwiftURL => {
            let s = name
                .trim_start_matches("https://")
                .trim_start_matches("http://")
                .trim_end_matches('/');
            let s = s.strip_suffix(".git").unwrap_or(s);
            Cow::Owned(s.to_lowercase())
        }
        _ => Cow::Borrowed(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_ecosystem_rules() {
        let k = |e: &str, n: &str| name_key(&Ecosystem::parse(e), n).into_owned();
        assert_eq!(k("PyPI", "Django_REST.framework"), "django-rest-framework");
        assert_eq!(k("crates.io", "Serde_JSON"), "serde-json");
        assert_eq!(k("NuGet", "Newtonsoft.Json"), "newtonsoft.json");
        assert_eq!(k("Packagist", "Dompdf/Dompdf"), "dompdf/dompdf");
        assert_eq!(k("npm", "JSONStream"), "JSONStream");
        assert_eq!(
            k("Go", "github.com/BurntSushi/toml"),
            "github.com/BurntSushi/toml"
        );
        assert_eq!(
            k("Maven", "com.fasterxml.jackson.core:jackson-databind"),
            "com.fasterxml.jackson.core:jackson-databind"
        );
        assert_eq!(
            k("SwiftURL", "https://github.com/Apple/swift-nio.git"),
            "github.com/apple/swift-nio"
        );
        assert_eq!(k("Debian:12", " openssl "), "openssl");
        assert_eq!(
            ecosystem_key(&Ecosystem::parse("Ubuntu:22.04:LTS")),
            "Ubuntu:22.04:LTS"
        );
    }
}
