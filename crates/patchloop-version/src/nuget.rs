//! NuGet versions (`NuGet.Versioning.NuGetVersion`, compared with
//! `VersionComparer.Default`). No reference implementation can run here
//! (no .NET); the rules follow the NuGet documentation ("Package
//! versioning") and NuGet.Client's parser and comparer, and are covered by
//! hand-written tests.
//!
//! - surrounding white space is trimmed (.NET `string.Trim`);
//! - `N[.N[.N[.N]]]`: one to four numeric parts, ASCII digits, leading
//!   zeros allowed and ignored, each at most `int.MaxValue`; missing parts
//!   are 0, so `1 == 1.0 == 1.0.0 == 1.0.0.0`; the fourth ("legacy",
//!   revision) part is compared after the patch;
//! - `-LABELS`: dot-separated, non-empty `[0-9A-Za-z-]`, numeric labels
//!   without leading zeros; a version with labels is lower than the same
//!   version without; labels compare numerically when both parse as a
//!   32-bit integer (`int.TryParse`, so `-1` is numeric), numeric before
//!   alphanumeric, otherwise case-insensitively (`1.0.0-Beta ==
//!   1.0.0-beta`); fewer labels are lower when one list is a prefix;
//! - `+METADATA`: dot-separated, non-empty `[0-9A-Za-z-]`; ignored.

use std::cmp::Ordering;

use crate::VersionError;

const SCHEME: &str = "nuget";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Label {
    /// A label `int.TryParse` accepts.
    Num(i32),
    /// Any other label, upper-cased (ordinal, case-insensitive compare).
    Str(Box<str>),
}

impl Ord for Label {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Label::Num(a), Label::Num(b)) => a.cmp(b),
            (Label::Num(_), Label::Str(_)) => Ordering::Less,
            (Label::Str(_), Label::Num(_)) => Ordering::Greater,
            (Label::Str(a), Label::Str(b)) => a.as_bytes().cmp(b.as_bytes()),
        }
    }
}

impl PartialOrd for Label {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A parsed NuGet version.
#[derive(Debug, Clone)]
pub struct Version {
    raw: Box<str>,
    /// major, minor, patch, revision
    parts: [u32; 4],
    labels: Box<[Label]>,
    /// The labels as written, without `-`.
    label_text: Box<str>,
    metadata: Box<str>,
}

impl Version {
    /// `[major, minor, patch, revision]`.
    pub fn parts(&self) -> [u32; 4] {
        self.parts
    }
    pub fn is_prerelease(&self) -> bool {
        !self.labels.is_empty()
    }
    /// Build metadata without `+` (empty when absent).
    pub fn metadata(&self) -> &str {
        &self.metadata
    }
    /// NuGet's normalized form: three parts (four when the revision is not
    /// 0), labels as written, no metadata.
    pub fn normalized(&self) -> String {
        let [a, b, c, d] = self.parts;
        let mut s = if d != 0 {
            format!("{a}.{b}.{c}.{d}")
        } else {
            format!("{a}.{b}.{c}")
        };
        if !self.label_text.is_empty() {
            s.push('-');
            s.push_str(&self.label_text);
        }
        s
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts.cmp(&other.parts).then_with(|| {
            match (self.labels.is_empty(), other.labels.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.labels.cmp(&other.labels),
            }
        })
    }
}

crate::eq_and_display_via_ord!(Version, raw);

fn is_label_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// NuGet's `IsValidPart`: non-empty `[0-9A-Za-z-]`; with
/// `allow_leading_zeros == false`, no all-digit part starting with `0`
/// other than `0` itself.
fn valid_part(s: &str, allow_leading_zeros: bool) -> bool {
    if s.is_empty() || !s.bytes().all(is_label_byte) {
        return false;
    }
    !(!allow_leading_zeros
        && s.len() > 1
        && s.starts_with('0')
        && s.bytes().all(|b| b.is_ascii_digit()))
}

/// `int.TryParse` on a label: optional `-`, digits, within `i32`.
fn label(s: &str) -> Label {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        let sig = digits.trim_start_matches('0');
        if sig.len() <= 10
            && let Ok(v) = s.parse::<i64>()
            && let Ok(v) = i32::try_from(v)
        {
            return Label::Num(v);
        }
    }
    Label::Str(s.to_ascii_uppercase().into())
}

/// A numeric part: ASCII digits, value at most `int.MaxValue`.
fn number(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sig = s.trim_start_matches('0');
    if sig.len() > 10 {
        return None;
    }
    let v: u64 = if sig.is_empty() { 0 } else { sig.parse().ok()? };
    u32::try_from(v).ok().filter(|&v| v <= i32::MAX as u32)
}

pub fn parse(s: &str) -> Result<Version, VersionError> {
    let err = |reason: &str| VersionError::new(SCHEME, s, reason);
    let t = s.trim();
    if !t.is_ascii() {
        return Err(err("non-ASCII character"));
    }
    // NuGet's ParseSections: the version ends at the first `-` or `+`
    // (a trailing `-`/`+` stays in it); labels run to the next `+` (a
    // trailing `+` stays in them); the rest is metadata.
    let b = t.as_bytes();
    let (version, rest) = match b.iter().position(|&c| c == b'-' || c == b'+') {
        Some(i) if i + 1 < b.len() => (&t[..i], Some(&t[i..])),
        _ => (t, None),
    };
    let (labels, metadata) = match rest {
        None => (None, None),
        Some(r) if r.starts_with('+') => (None, Some(&r[1..])),
        Some(r) => {
            let r = &r[1..];
            match r.bytes().position(|c| c == b'+') {
                Some(j) if j + 1 < r.len() => (Some(&r[..j]), Some(&r[j + 1..])),
                _ => (Some(r), None),
            }
        }
    };
    if version.is_empty() {
        return Err(err("empty version"));
    }
    let mut parts = [0u32; 4];
    for (n, p) in version.split('.').enumerate() {
        let slot = parts
            .get_mut(n)
            .ok_or_else(|| err("more than four numeric parts"))?;
        *slot = number(p).ok_or_else(|| err("numeric part must be 0..=2147483647"))?;
    }
    let label_text = labels.unwrap_or("");
    let labels: Vec<Label> = match labels {
        None => Vec::new(),
        Some(l) => {
            let mut out = Vec::new();
            for part in l.split('.') {
                if !valid_part(part, false) {
                    return Err(err("invalid release label"));
                }
                out.push(label(part));
            }
            out
        }
    };
    let metadata = metadata.unwrap_or("");
    if !metadata.is_empty() && !metadata.split('.').all(|p| valid_part(p, true)) {
        return Err(err("invalid build metadata"));
    }
    Ok(Version {
        raw: s.into(),
        parts,
        labels: labels.into(),
        label_text: label_text.into(),
        metadata: metadata.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn missing_parts_and_leading_zeros() {
        assert_eq!(v("1"), v("1.0.0.0"));
        assert_eq!(v("1.0"), v("1.0.0"));
        assert_eq!(v("1.0.0"), v("1.0.0.0"));
        assert_eq!(v("01.02.03"), v("1.2.3"));
        assert_eq!(v("1.0.0.0").parts(), [1, 0, 0, 0]);
        assert_eq!(v(" 1.2 ").normalized(), "1.2.0");
        assert_eq!(v("1.2.3.4").normalized(), "1.2.3.4");
        assert_eq!(v("1.2.3-Beta.1+meta").normalized(), "1.2.3-Beta.1");
    }

    #[test]
    fn docs_ordering() {
        // learn.microsoft.com "Package versioning" pre-release examples
        // plus the legacy fourth part.
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.0.1-alpha",
            "1.0.0.1",
            "1.0.1",
            "1.1",
            "2.0.0",
        ];
        for w in chain.windows(2) {
            assert!(v(w[0]) < v(w[1]), "{} < {}", w[0], w[1]);
        }
    }

    #[test]
    fn labels_case_insensitive_and_numeric() {
        assert_eq!(v("1.0.0-Beta"), v("1.0.0-beta"));
        assert_eq!(v("1.0.0-RC.1"), v("1.0.0-rc.1"));
        assert!(v("1.0.0-2") < v("1.0.0-10"));
        assert!(v("1.0.0-9") < v("1.0.0-a"));
        assert!(v("1.0.0-a.-1") < v("1.0.0-a.0"));
        assert_eq!(v("1.0.0--0"), v("1.0.0-0"));
        // beyond int: compared as text
        assert!(v("1.0.0-2147483648") > v("1.0.0-2147483647"));
        assert!(v("1.0.0-9999999999") > v("1.0.0-1"));
        assert!(v("1.0.0-9999999999") < v("1.0.0-a"));
        assert!(v("1.0.0-10000000000") < v("1.0.0-9999999999"));
    }

    #[test]
    fn metadata_ignored() {
        assert_eq!(v("1.0.0+abc"), v("1.0.0+def"));
        assert_eq!(v("1.0.0-beta+001"), v("1.0.0-beta"));
        assert_eq!(v("1.0.0+a-b.c").metadata(), "a-b.c");
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            " ",
            "a",
            "v1.0",
            "1.0.0.0.0",
            "1.0-",
            "1.0+",
            "1.0.0-+",
            "1.0.0-a+",
            "1.0.0-01",
            "1.0.0-a..b",
            "1.0.0+a..b",
            "1.0.0-a_b",
            "1.0.0-é",
            "-1.0",
            "+1.0",
            "1..2",
            ".1",
            "1.",
            "1.0.0-a+b+c",
            "2147483648.0",
            "1.99999999999",
            "1,0",
            "1.0 .0",
            "1.0.0-",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} must be rejected");
        }
        assert!(parse("2147483647.0").is_ok());
        assert!(parse("000000000000001.0").is_ok());
        assert!(parse("1.0.0-0A").is_ok());
        assert!(parse("1.0.0+01").is_ok());
    }
}
