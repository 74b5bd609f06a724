//! rpm version ordering (Red Hat, Fedora, Rocky, AlmaLinux, SUSE), as
//! `rpm.labelCompare` / librpm's `rpmvercmp` do it on
//! `[epoch:]version[-release]` (EVR) strings.
//!
//! Splitting follows rpm's `parseEVR`: leading digits followed by `:` are
//! the epoch (an empty epoch, `:1.0`, is 0; a missing one is 0 too); the
//! release is everything after the last `-`; a missing release compares
//! as the empty string, so `1.0 < 1.0-1` (rpm's dependency matching would
//! instead ignore the missing release; labelCompare does not). An empty
//! version part is rejected, as `rpm.labelCompare` does.
//!
//! Each part is compared with `rpmvercmp`: the string is cut into maximal
//! runs of ASCII digits and of ASCII letters, `~` and `^`; everything else
//! only separates. Runs are compared in turn: `~` sorts before anything,
//! even the end; `^` sorts after the end but before anything else; a digit
//! run beats a letter run; digit runs compare numerically (any length),
//! letter runs by byte (case-sensitive); when all runs are equal, the
//! string with runs left over is newer.

use std::cmp::Ordering;

use crate::VersionError;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Tilde,
    Caret,
    /// ASCII letters.
    Alpha(Box<str>),
    /// ASCII digits without leading zeros (`""` is zero).
    Num(Box<str>),
}

/// One `rpmvercmp` operand, pre-cut into runs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Part(Vec<Tok>);

impl Part {
    fn new(s: &str) -> Part {
        let b = s.as_bytes();
        let mut toks = Vec::new();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if c == b'~' {
                toks.push(Tok::Tilde);
                i += 1;
            } else if c == b'^' {
                toks.push(Tok::Caret);
                i += 1;
            } else if c.is_ascii_digit() {
                let start = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                let digits = s[start..i].trim_start_matches('0');
                toks.push(Tok::Num(digits.into()));
            } else if c.is_ascii_alphabetic() {
                let start = i;
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
                toks.push(Tok::Alpha(s[start..i].into()));
            } else {
                i += 1;
            }
        }
        Part(toks)
    }
}

impl Ord for Part {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (&self.0, &other.0);
        let mut i = 0;
        loop {
            let (ta, tb) = (a.get(i), b.get(i));
            i += 1;
            match (ta, tb) {
                (None, None) => return Ordering::Equal,
                (Some(Tok::Tilde), Some(Tok::Tilde)) => continue,
                (Some(Tok::Tilde), _) => return Ordering::Less,
                (_, Some(Tok::Tilde)) => return Ordering::Greater,
                (Some(Tok::Caret), Some(Tok::Caret)) => continue,
                (None, Some(Tok::Caret)) => return Ordering::Less,
                (Some(Tok::Caret), None) => return Ordering::Greater,
                (Some(Tok::Caret), Some(_)) => return Ordering::Less,
                (Some(_), Some(Tok::Caret)) => return Ordering::Greater,
                (None, Some(_)) => return Ordering::Less,
                (Some(_), None) => return Ordering::Greater,
                (Some(Tok::Num(x)), Some(Tok::Num(y))) => {
                    let o = x.len().cmp(&y.len()).then_with(|| x.cmp(y));
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                (Some(Tok::Num(_)), Some(Tok::Alpha(_))) => return Ordering::Greater,
                (Some(Tok::Alpha(_)), Some(Tok::Num(_))) => return Ordering::Less,
                (Some(Tok::Alpha(x)), Some(Tok::Alpha(y))) => {
                    let o = x.as_bytes().cmp(y.as_bytes());
                    if o != Ordering::Equal {
                        return o;
                    }
                }
            }
        }
    }
}

impl PartialOrd for Part {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// `rpmvercmp(a, b)` on two strings.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    Part::new(a).cmp(&Part::new(b))
}

/// A parsed rpm EVR.
#[derive(Debug, Clone)]
pub struct Version {
    original: String,
    /// Offsets of the version and release texts in `original`.
    version: (usize, usize),
    release: Option<(usize, usize)>,
    epoch_text: Option<(usize, usize)>,
    epoch: Part,
    ver: Part,
    rel: Part,
}

/// Parse an EVR. Like rpm's `rpmverNew` (what `rpm.labelCompare` builds),
/// only an empty version part (`""`, `1:`, `-1`, `1:-2`) is rejected.
pub fn parse(s: &str) -> Result<Version, VersionError> {
    let b = s.as_bytes();
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let (epoch_text, vstart) = if b.get(digits) == Some(&b':') {
        (Some((0, digits)), digits + 1)
    } else {
        (None, 0)
    };
    let (version, release) = match s[vstart..].rfind('-') {
        Some(h) => ((vstart, vstart + h), Some((vstart + h + 1, s.len()))),
        None => ((vstart, s.len()), None),
    };
    if version.0 == version.1 {
        return Err(VersionError::new("rpm", s, "empty version part"));
    }
    let text = |r: (usize, usize)| &s[r.0..r.1];
    let epoch = match epoch_text.map(text) {
        Some(e) if !e.is_empty() => Part::new(e),
        _ => Part::new("0"),
    };
    Ok(Version {
        original: s.to_string(),
        version,
        release,
        epoch_text,
        epoch,
        ver: Part::new(text(version)),
        rel: Part::new(release.map(text).unwrap_or("")),
    })
}

impl Version {
    /// The epoch as written (`None` when absent).
    pub fn epoch(&self) -> Option<&str> {
        self.epoch_text.map(|(a, b)| &self.original[a..b])
    }
    pub fn version(&self) -> &str {
        &self.original[self.version.0..self.version.1]
    }
    /// The release (`None` when absent).
    pub fn release(&self) -> Option<&str> {
        self.release.map(|(a, b)| &self.original[a..b])
    }
    /// Whether the version part carries a `~` pre-release marker.
    pub fn is_prerelease(&self) -> bool {
        self.ver.0.contains(&Tok::Tilde)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| self.ver.cmp(&other.ver))
            .then_with(|| self.rel.cmp(&other.rel))
    }
}

crate::eq_and_display_via_ord!(Version, original);

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        parse(a).unwrap().cmp(&parse(b).unwrap())
    }

    #[test]
    fn rpmvercmp_documented_cases() {
        // From rpm's documentation of version comparison and its test suite.
        let cases = [
            ("1.0", "1.0", Equal),
            ("1.0", "2.0", Less),
            ("2.0.1", "2.0", Greater),
            ("2.0.1a", "2.0.1", Greater),
            ("5.5p1", "5.5p2", Less),
            ("5.5p10", "5.5p1", Greater),
            ("10xyz", "10.1xyz", Less),
            ("xyz10", "xyz10.1", Less),
            ("xyz.4", "8", Less),
            ("5.5p1", "5.5.1", Less),
            ("1b.fc17", "1.fc17", Less),
            ("1.0~rc1", "1.0", Less),
            ("1.0~rc1", "1.0~rc2", Less),
            ("1.0~rc1~git123", "1.0~rc1", Less),
            ("1.0^", "1.0", Greater),
            ("1.0^git1", "1.0", Greater),
            ("1.0^git1", "1.01", Less),
            ("1.0^20160101", "1.0.1", Less),
            ("1.0^20160101^git1", "1.0^20160101", Greater),
            ("1.0~rc1^git1", "1.0~rc1", Greater),
            ("1.0^git1~pre", "1.0^git1", Less),
            ("1.0", "1_0", Equal),
            ("1..0", "1.0", Equal),
            ("a+", "a_", Equal),
            ("+a", "_a", Equal),
            ("001", "1", Equal),
            ("1.A", "1.a", Less),
            (
                "123456789012345678901234567890",
                "123456789012345678901234567891",
                Less,
            ),
        ];
        for (a, b, want) in cases {
            assert_eq!(rpmvercmp(a, b), want, "{a} vs {b}");
            assert_eq!(rpmvercmp(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn evr() {
        assert_eq!(cmp("1:1.0-1", "2.0-1"), Greater);
        assert_eq!(cmp("0:1.0-1", "1.0-1"), Equal);
        assert_eq!(cmp(":1.0", "1.0"), Equal);
        assert_eq!(cmp("1.0", "1.0-1"), Less);
        assert_eq!(cmp("1.1.1k-7.el8_6", "1.1.1k-6.el8_5"), Greater);
        assert_eq!(cmp("1.1.1k-7.el8_6", "1.1.1l-1.el8"), Less);
        assert_eq!(cmp("2.28-225.el8", "2.28-211.el8"), Greater);
        assert_eq!(cmp("1:1.2.3-4.fc38", "1.2.4-1.fc38"), Greater);
        let v = parse("3:1.2-3-4.el9").unwrap();
        assert_eq!(v.epoch(), Some("3"));
        assert_eq!(v.version(), "1.2-3");
        assert_eq!(v.release(), Some("4.el9"));
        assert_eq!(v.to_string(), "3:1.2-3-4.el9");
        let v = parse("a:1.0").unwrap();
        assert_eq!((v.epoch(), v.version(), v.release()), (None, "a:1.0", None));
        let v = parse("1-2:3").unwrap();
        assert_eq!(
            (v.epoch(), v.version(), v.release()),
            (None, "1", Some("2:3"))
        );
        for bad in ["", "1:", "-1", "1:-2", ":"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        assert!(parse("1.0~rc1-1").unwrap().is_prerelease());
    }
}
