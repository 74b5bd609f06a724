//! Go module versions, ordered exactly like `golang.org/x/mod/semver`.
//!
//! Go writes versions with a `v` (`v1.2.3`); OSV Go records and
//! patchloop's inventory store them without (`1.2.3`). Both forms are
//! accepted and compare identically: a `v` is prepended when the input
//! does not start with one, then x/mod/semver's rules apply:
//!
//! - `vMAJOR[.MINOR[.PATCH[-PRE][+BUILD]]]`; the shorthands `v1` and
//!   `v1.2` mean `v1.0.0` and `v1.2.0` and take no pre-release or build;
//! - numbers are decimal without leading zeros, of any length (compared
//!   exactly); no whitespace, no uppercase `V`;
//! - pre-releases (including pseudo-versions such as
//!   `v0.0.0-20191109021931-daa7c04131f5`) follow SemVer precedence;
//! - build metadata, including `+incompatible`, is ignored in comparisons.

use std::cmp::Ordering;

use crate::VersionError;
use crate::semver::{Ident, cmp_digits, cmp_prerelease, parse_prerelease, valid_build};

const SCHEME: &str = "go";

/// A parsed Go module version.
#[derive(Debug, Clone)]
pub struct Version {
    raw: Box<str>,
    major: Box<str>,
    minor: Box<str>,
    patch: Box<str>,
    pre: Box<[Ident]>,
    build: Box<str>,
}

impl Version {
    /// True for pre-releases, which includes pseudo-versions.
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }
    /// The build metadata without `+` (`incompatible` for `+incompatible`).
    pub fn build(&self) -> &str {
        &self.build
    }
    /// The canonical `vMAJOR.MINOR.PATCH[-PRE]` form (build dropped), as
    /// x/mod/semver's `Canonical` returns it.
    pub fn canonical(&self) -> String {
        let mut s = format!("v{}.{}.{}", self.major, self.minor, self.patch);
        for (i, id) in self.pre.iter().enumerate() {
            s.push(if i == 0 { '-' } else { '.' });
            match id {
                Ident::Num(n) | Ident::Alpha(n) => s.push_str(n),
            }
        }
        s
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_digits(&self.major, &other.major)
            .then_with(|| cmp_digits(&self.minor, &other.minor))
            .then_with(|| cmp_digits(&self.patch, &other.patch))
            .then_with(|| cmp_prerelease(&self.pre, &other.pre))
    }
}

crate::eq_and_display_via_ord!(Version, raw);

/// x/mod/semver's `parseInt`: `0|[1-9][0-9]*`, returning the rest.
fn parse_int(s: &str) -> Option<(&str, &str)> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 || (n > 1 && s.starts_with('0')) {
        return None;
    }
    Some(s.split_at(n))
}

pub fn parse(s: &str) -> Result<Version, VersionError> {
    let err = |reason: &str| VersionError::new(SCHEME, s, reason);
    let body = s.strip_prefix('v').unwrap_or(s);
    let (major, mut rest) = parse_int(body).ok_or_else(|| err("invalid major version"))?;
    let mut minor = "0";
    let mut patch = "0";
    let mut pre = Vec::new();
    let mut build = "";
    if !rest.is_empty() {
        let r = rest
            .strip_prefix('.')
            .ok_or_else(|| err("expected `.` after major"))?;
        (minor, rest) = parse_int(r).ok_or_else(|| err("invalid minor version"))?;
        if !rest.is_empty() {
            let r = rest
                .strip_prefix('.')
                .ok_or_else(|| err("expected `.` after minor"))?;
            (patch, rest) = parse_int(r).ok_or_else(|| err("invalid patch version"))?;
            if let Some(r) = rest.strip_prefix('-') {
                let end = r.find('+').unwrap_or(r.len());
                let (p, r2) = r.split_at(end);
                pre = parse_prerelease(p).ok_or_else(|| err("invalid pre-release"))?;
                rest = r2;
            }
            if let Some(b) = rest.strip_prefix('+') {
                if !valid_build(b) {
                    return Err(err("invalid build metadata"));
                }
                build = b;
                rest = "";
            }
            if !rest.is_empty() {
                return Err(err("trailing characters"));
            }
        }
    }
    Ok(Version {
        raw: s.into(),
        major: major.into(),
        minor: minor.into(),
        patch: patch.into(),
        pre: pre.into(),
        build: build.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        parse(a).unwrap().cmp(&parse(b).unwrap())
    }

    #[test]
    fn with_and_without_v() {
        assert_eq!(cmp("1.2.3", "v1.2.3"), Ordering::Equal);
        assert_eq!(parse("1.2.3").unwrap(), parse("v1.2.3").unwrap());
        assert_eq!(parse("1.2.3").unwrap().canonical(), "v1.2.3");
    }

    #[test]
    fn shorthand() {
        assert_eq!(cmp("v1", "v1.0.0"), Ordering::Equal);
        assert_eq!(cmp("v1.2", "v1.2.0"), Ordering::Equal);
        assert_eq!(cmp("1.2", "v1.2.1"), Ordering::Less);
        assert!(parse("v1.2-pre").is_err());
        assert!(parse("v1+meta").is_err());
    }

    #[test]
    fn pseudo_versions_and_incompatible() {
        let chain = [
            "v0.0.0-20191109021931-daa7c04131f5",
            "v0.0.0-20200101000000-000000000000",
            "v0.1.0",
            "v1.2.3-pre",
            "v1.2.3-pre.0.20200101000000-abcdefabcdef",
            "v1.2.3",
            "v1.2.4-0.20200101000000-abcdefabcdef",
            "v1.2.4",
        ];
        for w in chain.windows(2) {
            assert_eq!(cmp(w[0], w[1]), Ordering::Less, "{} < {}", w[0], w[1]);
        }
        assert_eq!(cmp("v2.0.0+incompatible", "v2.0.0"), Ordering::Equal);
        assert_eq!(parse("2.0.0+incompatible").unwrap().build(), "incompatible");
    }

    #[test]
    fn rejects_what_x_mod_rejects() {
        for bad in [
            "",
            "v",
            "V1.2.3",
            " v1.2.3",
            "v1.2.3 ",
            "v01.2.3",
            "v1.02.3",
            "v1.2.03",
            "v1.2.3-01",
            "v1.2.3-",
            "v1.2.3+",
            "v1.2.3-a..b",
            "v1.2.3.4",
            "vv1.2.3",
            "v1.2.3-é",
            "v1.",
            "v1.2.",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} must be rejected");
        }
    }

    #[test]
    fn huge_numbers() {
        assert_eq!(
            cmp(
                "v1.0.99999999999999999999999",
                "v1.0.100000000000000000000000"
            ),
            Ordering::Less
        );
    }
}
