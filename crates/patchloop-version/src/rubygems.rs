//! RubyGems version ordering, as `Gem::Version#<=>` (RubyGems 3.3) does it.
//!
//! Valid versions match `Gem::Version.correct?`: optional white space
//! around `[0-9]+(\.[0-9A-Za-z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`; an
//! empty (or all white space) version means `0`. Every `-` is read as
//! `.pre.`; the version is then cut into runs of ASCII digits (numbers of
//! any size) and ASCII letters (strings, case-sensitive). Trailing zero
//! numbers are dropped from the numeric prefix and from the rest (after
//! the first string) separately, so `1.0 == 1` and `1.0.a == 1.a`.
//! Segments compare in turn, missing ones counting as 0: a string sorts
//! before a number (`1.a < 1 < 1.0.1`), strings by bytes, numbers by value.

use std::cmp::Ordering;

use crate::VersionError;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    /// Decimal digits without leading zeros (`""` is 0).
    Num(Box<str>),
    Str(Box<str>),
}

impl Seg {
    fn is_zero(&self) -> bool {
        matches!(self, Seg::Num(n) if n.is_empty())
    }
    fn cmp_seg(&self, o: &Seg) -> Ordering {
        match (self, o) {
            (Seg::Num(a), Seg::Num(b)) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
            (Seg::Str(_), Seg::Num(_)) => Ordering::Less,
            (Seg::Num(_), Seg::Str(_)) => Ordering::Greater,
            (Seg::Str(a), Seg::Str(b)) => a.as_bytes().cmp(b.as_bytes()),
        }
    }
}

/// A parsed RubyGems version.
#[derive(Debug, Clone)]
pub struct Version {
    original: String,
    /// `canonical_segments`.
    segments: Vec<Seg>,
    prerelease: bool,
}

/// Ruby's `\s`.
fn is_ruby_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r')
}

/// `Gem::Version::VERSION_PATTERN`, anchored, on a string without
/// surrounding white space.
fn is_correct(core: &str) -> bool {
    let b = core.as_bytes();
    let mut i = 0;
    let run = |i: &mut usize, ok: &dyn Fn(u8) -> bool| {
        let start = *i;
        while *i < b.len() && ok(b[*i]) {
            *i += 1;
        }
        *i > start
    };
    if !run(&mut i, &|c| c.is_ascii_digit()) {
        return false;
    }
    while i < b.len() && b[i] == b'.' {
        i += 1;
        if !run(&mut i, &|c| c.is_ascii_alphanumeric()) {
            return false;
        }
    }
    if i < b.len() && b[i] == b'-' {
        i += 1;
        let pre = |c: u8| c.is_ascii_alphanumeric() || c == b'-';
        if !run(&mut i, &pre) {
            return false;
        }
        while i < b.len() && b[i] == b'.' {
            i += 1;
            if !run(&mut i, &pre) {
                return false;
            }
        }
    }
    i == b.len()
}

pub fn parse(s: &str) -> Result<Version, VersionError> {
    let core = s.trim_matches(is_ruby_space);
    if !core.is_empty() && !is_correct(core) {
        return Err(VersionError::new(
            "rubygems",
            s,
            "malformed version number string",
        ));
    }
    let core = if core.is_empty() { "0" } else { core };
    // `-` becomes `.pre.`; the only letters are ASCII, so scanning the
    // original with `-` read as the string segment "pre" is the same.
    let mut raw = Vec::new();
    let b = core.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            raw.push(Seg::Num(core[start..i].trim_start_matches('0').into()));
        } else if c.is_ascii_alphabetic() {
            let start = i;
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
            raw.push(Seg::Str(core[start..i].into()));
        } else {
            if c == b'-' {
                raw.push(Seg::Str("pre".into()));
            }
            i += 1;
        }
    }
    let prerelease = b.iter().any(|c| c.is_ascii_alphabetic()) || b.contains(&b'-');
    // canonical_segments: drop trailing zeros of the numeric prefix and of
    // the rest separately.
    let split = raw
        .iter()
        .position(|s| matches!(s, Seg::Str(_)))
        .unwrap_or(raw.len());
    let rest = raw.split_off(split);
    let mut segments = raw;
    while segments.last().is_some_and(Seg::is_zero) {
        segments.pop();
    }
    let keep = rest.len() - rest.iter().rev().take_while(|s| s.is_zero()).count();
    segments.extend(rest.into_iter().take(keep));
    Ok(Version {
        original: s.to_string(),
        segments,
        prerelease,
    })
}

impl Version {
    /// `Gem::Version#prerelease?`: the version contains a letter (after
    /// `-` became `.pre.`).
    pub fn is_prerelease(&self) -> bool {
        self.prerelease
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (&self.segments, &other.segments);
        let zero = Seg::Num(Box::default()); // does not allocate
        for i in 0..a.len().max(b.len()) {
            let x = a.get(i).unwrap_or(&zero);
            let y = b.get(i).unwrap_or(&zero);
            let o = x.cmp_seg(y);
            if o.is_ne() {
                return o;
            }
        }
        Ordering::Equal
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
    fn documented_order() {
        // Gem::Version docs: "1.0.a.2 < 1.0.b1 < 1.0 < 1.0.1" and friends.
        let chain = [
            "0.9",
            "1.0.a",
            "1.0.a.2",
            "1.0.a10",
            "1.0.b1",
            "1.0.rc1",
            "1.0",
            "1.0.1",
            "1.1.a",
            "1.1",
            "2.0.0-rc1",
            "2.0.0",
            "2.0.0.1",
            "2.1",
            "10",
        ];
        for w in chain.windows(2) {
            assert_eq!(cmp(w[0], w[1]), Less, "{} < {}", w[0], w[1]);
            assert_eq!(cmp(w[1], w[0]), Greater, "{} > {}", w[1], w[0]);
        }
    }

    #[test]
    fn equalities() {
        for (a, b) in [
            ("1.0", "1"),
            ("1.0.0", "1"),
            ("1.0.a", "1.a"),
            ("1.a.0", "1.a"),
            ("1.0-rc1", "1.0.pre.rc1"),
            ("", "0"),
            ("  1.2 ", "1.2"),
            ("1.01", "1.1"),
            ("5.0.0.0", "5"),
        ] {
            assert_eq!(cmp(a, b), Equal, "{a:?} == {b:?}");
        }
        assert_eq!(cmp("1.A", "1.a"), Less);
        assert_eq!(
            cmp("1.99999999999999999999999", "1.99999999999999999999998"),
            Greater
        );
    }

    #[test]
    fn validity() {
        for ok in [
            "1",
            "1.0",
            "1.0.a",
            "1-a",
            "1-a-b.c-d",
            "1--",
            "1.0a1",
            "\t1.0\n",
            "",
            " ",
        ] {
            assert!(parse(ok).is_ok(), "{ok:?}");
        }
        for bad in [
            "a", ".1", "1.", "1..0", "1-", "1-a.", "1.-1", "1 0", "v1.0", "1.0_1", "1.é",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn prerelease() {
        assert!(parse("1.0.a").unwrap().is_prerelease());
        assert!(parse("1.0-1").unwrap().is_prerelease());
        assert!(!parse("1.0.1").unwrap().is_prerelease());
        assert_eq!(parse("1.0-rc1").unwrap().to_string(), "1.0-rc1");
    }
}
