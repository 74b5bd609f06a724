//! SemVer 2.0 (crates.io, npm, Hex, Pub, SwiftURL, OSV `SEMVER` ranges),
//! accepting exactly what node-semver's strict parser (`semver.valid`)
//! accepts and ordering like `semver.compare`:
//!
//! - surrounding ECMAScript whitespace is trimmed; one optional leading
//!   lowercase `v` is allowed (`V`, `=` and inner spaces are not);
//! - `MAJOR.MINOR.PATCH`, decimal without leading zeros, each at most
//!   2^53 - 1 (node-semver's `MAX_SAFE_INTEGER` limit);
//! - the whole input is at most 256 UTF-16 code units long;
//! - pre-release identifiers: numeric (no leading zeros) or alphanumeric
//!   `[0-9A-Za-z-]`; numeric < alphanumeric; numbers compare numerically
//!   (exactly, at any length), alphanumerics by ASCII; a shorter list that
//!   is a prefix of a longer one is lower; a release is higher than any of
//!   its pre-releases;
//! - build metadata (`+...`) is validated and then ignored: `1.0.0+a ==
//!   1.0.0+b`.

use std::cmp::Ordering;

use crate::VersionError;

const SCHEME: &str = "semver";
/// node-semver's `MAX_LENGTH`.
const MAX_LENGTH: usize = 256;
/// `Number.MAX_SAFE_INTEGER`.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// One dot-separated pre-release identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ident {
    /// Decimal digits without leading zeros (or exactly `0`).
    Num(Box<str>),
    /// `[0-9A-Za-z-]+` with at least one non-digit.
    Alpha(Box<str>),
}

impl Ord for Ident {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Ident::Num(a), Ident::Num(b)) => cmp_digits(a, b),
            (Ident::Num(_), Ident::Alpha(_)) => Ordering::Less,
            (Ident::Alpha(_), Ident::Num(_)) => Ordering::Greater,
            (Ident::Alpha(a), Ident::Alpha(b)) => a.as_bytes().cmp(b.as_bytes()),
        }
    }
}

impl PartialOrd for Ident {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two ASCII digit strings numerically, at any length (leading
/// zeros are ignored).
pub(crate) fn cmp_digits(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len()
        .cmp(&b.len())
        .then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

/// Compares two pre-release lists where an empty list means "release"
/// (higher than any pre-release).
pub(crate) fn cmp_prerelease(a: &[Ident], b: &[Ident]) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.cmp(b),
    }
}

pub(crate) fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// Parses a dot-separated pre-release list (without the leading `-`):
/// non-empty identifiers of `[0-9A-Za-z-]`, numeric ones without leading
/// zeros.
pub(crate) fn parse_prerelease(s: &str) -> Option<Vec<Ident>> {
    let mut out = Vec::new();
    for id in s.split('.') {
        if id.is_empty() || !id.bytes().all(is_ident_byte) {
            return None;
        }
        if id.bytes().all(|b| b.is_ascii_digit()) {
            if id.len() > 1 && id.starts_with('0') {
                return None;
            }
            out.push(Ident::Num(id.into()));
        } else {
            out.push(Ident::Alpha(id.into()));
        }
    }
    Some(out)
}

/// Checks a dot-separated build-metadata list (without the leading `+`).
pub(crate) fn valid_build(s: &str) -> bool {
    s.split('.')
        .all(|id| !id.is_empty() && id.bytes().all(is_ident_byte))
}

/// ECMAScript `String.prototype.trim` white space and line terminators.
fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// A parsed SemVer version.
#[derive(Debug, Clone)]
pub struct Version {
    raw: Box<str>,
    major: u64,
    minor: u64,
    patch: u64,
    pre: Box<[Ident]>,
    build: Box<str>,
}

impl Version {
    pub fn major(&self) -> u64 {
        self.major
    }
    pub fn minor(&self) -> u64 {
        self.minor
    }
    pub fn patch(&self) -> u64 {
        self.patch
    }
    /// True for versions with a pre-release part (`1.0.0-rc.1`).
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }
    /// The build metadata without `+` (empty when absent).
    pub fn build(&self) -> &str {
        &self.build
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| cmp_prerelease(&self.pre, &other.pre))
    }
}

crate::eq_and_display_via_ord!(Version, raw);

/// `0|[1-9][0-9]*` with value at most 2^53 - 1.
fn parse_component(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if s.len() > 1 && s.starts_with('0') {
        return None;
    }
    if s.len() > 16 {
        return None;
    }
    let v: u64 = s.parse().ok()?;
    (v <= MAX_SAFE_INTEGER).then_some(v)
}

pub fn parse(s: &str) -> Result<Version, VersionError> {
    let err = |reason: &str| VersionError::new(SCHEME, s, reason);
    if s.encode_utf16().count() > MAX_LENGTH {
        return Err(err("longer than 256 characters"));
    }
    let t = s.trim_matches(is_js_whitespace);
    let t = t.strip_prefix('v').unwrap_or(t);
    let (rest, build) = match t.split_once('+') {
        Some((r, b)) => {
            if !valid_build(b) {
                return Err(err("invalid build metadata"));
            }
            (r, b)
        }
        None => (t, ""),
    };
    let (main, pre) = match rest.split_once('-') {
        Some((m, p)) => (
            m,
            parse_prerelease(p).ok_or_else(|| err("invalid pre-release"))?,
        ),
        None => (rest, Vec::new()),
    };
    let mut parts = main.split('.');
    let mut next = || {
        parts
            .next()
            .and_then(parse_component)
            .ok_or_else(|| err("expected MAJOR.MINOR.PATCH (no leading zeros, at most 2^53-1)"))
    };
    let (major, minor, patch) = (next()?, next()?, next()?);
    if parts.next().is_some() {
        return Err(err("more than three numeric components"));
    }
    Ok(Version {
        raw: s.into(),
        major,
        minor,
        patch,
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
    fn spec_precedence_chain() {
        // semver.org §11 example.
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "2.0.0",
            "2.1.0",
            "2.1.1",
        ];
        for w in chain.windows(2) {
            assert_eq!(cmp(w[0], w[1]), Ordering::Less, "{} < {}", w[0], w[1]);
        }
    }

    #[test]
    fn build_metadata_ignored() {
        assert_eq!(parse("1.0.0+a").unwrap(), parse("1.0.0+b").unwrap());
        assert_eq!(cmp("1.0.0-rc.1+build.1", "1.0.0-rc.1"), Ordering::Equal);
        assert_eq!(parse("1.0.0+a.b-c").unwrap().build(), "a.b-c");
    }

    #[test]
    fn lenient_like_node_semver_strict() {
        assert_eq!(cmp("v1.2.3", "1.2.3"), Ordering::Equal);
        assert_eq!(cmp(" 1.2.3\n", "1.2.3"), Ordering::Equal);
        assert_eq!(cmp("\u{feff}1.2.3\u{3000}", "1.2.3"), Ordering::Equal);
        for bad in [
            "V1.2.3",
            "=1.2.3",
            "v 1.2.3",
            "1.2",
            "1",
            "1.2.3.4",
            "01.2.3",
            "1.02.3",
            "1.2.03",
            "1.2.3-01",
            "1.2.3-",
            "1.2.3+",
            "1.2.3-a..b",
            "1.2.3+a..b",
            "1.2.3-a_b",
            "1.2.3-é",
            "",
            " ",
            "1.2.3 -a",
            "9007199254740992.0.0",
            "vv1.2.3",
            "1.2.3\u{85}",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} must be rejected");
        }
        assert!(parse("9007199254740991.0.0").is_ok());
        assert!(parse("1.2.3-0a.00a.-").is_ok());
        assert!(parse(&format!("1.0.0-{}", "a".repeat(250))).is_ok());
        assert!(parse(&format!("1.0.0-{}", "a".repeat(251))).is_err());
    }

    #[test]
    fn long_numeric_prerelease_compared_exactly() {
        assert_eq!(
            cmp("1.0.0-99999999999999999998", "1.0.0-99999999999999999999"),
            Ordering::Less
        );
        assert_eq!(cmp("1.0.0-10", "1.0.0-9"), Ordering::Greater);
        assert_eq!(cmp("1.0.0-9", "1.0.0-a"), Ordering::Less);
        assert_eq!(cmp("1.0.0-B", "1.0.0-a"), Ordering::Less);
    }

    #[test]
    fn display_is_original() {
        assert_eq!(parse(" v1.2.3+x ").unwrap().to_string(), " v1.2.3+x ");
    }
}
