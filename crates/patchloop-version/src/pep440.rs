//! PEP 440 versions (PyPI), parsed and ordered exactly like
//! `packaging.version.Version` (packaging 26.3), plus a deterministic
//! ordering for LEGACY (non-PEP 440) strings identical to
//! `packaging_legacy.version.LegacyVersion` (what osv.dev uses for PyPI).
//!
//! PEP 440 rules:
//! - surrounding Unicode whitespace (Python's `\s`) is ignored, as is one
//!   leading `v`/`V`; letters are case-insensitive (ASCII only);
//! - `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]` with the spellings
//!   `alpha`=`a`, `beta`=`b`, `c`/`pre`/`preview`=`rc`, `rev`/`r`=`post`,
//!   the implicit post release `1.0-1`, optional separators (`.`, `-`, `_`)
//!   and implicit numbers (`1.0a` = `1.0a0`);
//! - release numbers compare numerically at any length, trailing zeros
//!   ignored (`1.0 == 1.0.0`); epoch first;
//! - `1.0.dev0 < 1.0a0.dev0 < 1.0a0 < 1.0a0.post0.dev0 < 1.0a0.post0 <
//!   1.0b0 < 1.0rc0 < 1.0 < 1.0.post0.dev0 < 1.0.post0`;
//! - local versions sort after the same public version; segments split on
//!   `.`/`-`/`_`: numeric > alphanumeric (case-insensitive), numeric by
//!   value, a longer local version wins when one is a prefix of the other.
//!
//! Legacy versions (anything else, except an empty or all-whitespace
//! string, which is an error) sort below every PEP 440 version and among
//! themselves by setuptools' historical key (see [`legacy_key`]).

use std::cmp::Ordering;

use crate::VersionError;
use crate::semver::cmp_digits;

const SCHEME: &str = "pep440";

/// A parsed PyPI version: PEP 440, or legacy.
#[derive(Debug, Clone)]
pub struct Version {
    raw: Box<str>,
    inner: Inner,
}

#[derive(Debug, Clone)]
enum Inner {
    /// Key parts of packaging's old `LegacyVersion` (epoch -1).
    Legacy(Box<[Box<str>]>),
    Pep440(Box<Pep440>),
}

#[derive(Debug, Clone)]
struct Pep440 {
    /// Digit strings without leading zeros ("" is zero).
    epoch: Box<str>,
    /// Release numbers with trailing zeros removed (for ordering).
    release: Box<[Box<str>]>,
    /// (0 = a, 1 = b, 2 = rc, number).
    pre: Option<(u8, Box<str>)>,
    post: Option<Box<str>>,
    dev: Option<Box<str>>,
    local: Option<Box<[Local]>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Local {
    /// Lower-cased alphanumeric segment.
    Str(Box<str>),
    /// Numeric segment (digit string without leading zeros).
    Int(Box<str>),
}

impl Ord for Local {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Local::Int(a), Local::Int(b)) => cmp_digits(a, b),
            (Local::Int(_), Local::Str(_)) => Ordering::Greater,
            (Local::Str(_), Local::Int(_)) => Ordering::Less,
            (Local::Str(a), Local::Str(b)) => a.cmp(b),
        }
    }
}

impl PartialOrd for Local {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn cmp_num_lists(a: &[Box<str>], b: &[Box<str>]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = cmp_digits(x, y);
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

impl Pep440 {
    /// packaging's suffix key: (pre_rank, pre_n, post_rank, post_n,
    /// dev_rank, dev_n) with the "dev-only sorts before a0" trick.
    fn cmp_suffix(&self, other: &Self) -> Ordering {
        fn pre_rank(v: &Pep440) -> (i8, &str) {
            match &v.pre {
                Some((k, n)) => (*k as i8, n),
                None if v.post.is_none() && v.dev.is_some() => (-1, ""),
                None => (3, ""),
            }
        }
        let (ra, na) = pre_rank(self);
        let (rb, nb) = pre_rank(other);
        ra.cmp(&rb)
            .then_with(|| cmp_digits(na, nb))
            .then_with(|| match (&self.post, &other.post) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(a), Some(b)) => cmp_digits(a, b),
            })
            .then_with(|| match (&self.dev, &other.dev) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => cmp_digits(a, b),
            })
    }
}

impl Ord for Pep440 {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_digits(&self.epoch, &other.epoch)
            .then_with(|| cmp_num_lists(&self.release, &other.release))
            .then_with(|| self.cmp_suffix(other))
            .then_with(|| self.local.cmp(&other.local))
    }
}

impl PartialOrd for Pep440 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Pep440 {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pep440 {}

impl Version {
    /// True when the string is not a valid PEP 440 version and is ordered
    /// by the legacy rules (below every PEP 440 version).
    pub fn is_legacy(&self) -> bool {
        matches!(self.inner, Inner::Legacy(_))
    }
    /// packaging's `is_prerelease`: has a pre-release or dev segment.
    pub fn is_prerelease(&self) -> bool {
        match &self.inner {
            Inner::Pep440(p) => p.pre.is_some() || p.dev.is_some(),
            Inner::Legacy(_) => false,
        }
    }
    /// True for versions with a local segment (`+ubuntu.1`).
    pub fn has_local(&self) -> bool {
        matches!(&self.inner, Inner::Pep440(p) if p.local.is_some())
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.inner, &other.inner) {
            (Inner::Legacy(a), Inner::Legacy(b)) => a.cmp(b),
            (Inner::Legacy(_), Inner::Pep440(_)) => Ordering::Less,
            (Inner::Pep440(_), Inner::Legacy(_)) => Ordering::Greater,
            (Inner::Pep440(a), Inner::Pep440(b)) => a.cmp(b),
        }
    }
}

crate::eq_and_display_via_ord!(Version, raw);

/// Python's `str.isspace()`, which is what `\s` matches in `str` patterns.
fn is_py_space(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'
            | '\u{1c}'..='\u{20}'
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

pub fn parse(s: &str) -> Result<Version, VersionError> {
    let inner = match parse_pep440(s) {
        Some(p) => Inner::Pep440(Box::new(p)),
        None => {
            if s.chars().all(is_py_space) {
                return Err(VersionError::new(SCHEME, s, "empty version"));
            }
            Inner::Legacy(legacy_key(s))
        }
    };
    Ok(Version {
        raw: s.into(),
        inner,
    })
}

/// Parses a strictly valid PEP 440 version (packaging's `Version`), or
/// `None`. Errors never carry information beyond "not PEP 440".
pub fn parse_strict(s: &str) -> Result<Version, VersionError> {
    match parse_pep440(s) {
        Some(p) => Ok(Version {
            raw: s.into(),
            inner: Inner::Pep440(Box::new(p)),
        }),
        None => Err(VersionError::new(SCHEME, s, "not a valid PEP 440 version")),
    }
}

fn strip_zeros(d: &str) -> Box<str> {
    d.trim_start_matches('0').into()
}

/// A byte cursor over the input with the few matchers the grammar needs.
struct Cur<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cur<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn digits(&mut self) -> Option<&'a str> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        // ASCII digits only, so the slice is valid UTF-8.
        (self.i > start).then(|| std::str::from_utf8(&self.b[start..self.i]).unwrap_or(""))
    }
    fn sep(&mut self) -> bool {
        if matches!(self.peek(), Some(b'.' | b'_' | b'-')) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    /// Case-insensitive ASCII keyword.
    fn word(&mut self, w: &str) -> bool {
        let end = self.i + w.len();
        match self.b.get(self.i..end) {
            Some(s) if s.eq_ignore_ascii_case(w.as_bytes()) => {
                self.i = end;
                true
            }
            _ => false,
        }
    }
}

/// packaging 26.3's `Version` grammar (its regular expression with
/// possessive quantifiers, transcribed as a deterministic scanner).
fn parse_pep440(s: &str) -> Option<Pep440> {
    // Fast path of packaging: only digits and dots.
    if s.bytes().all(|c| c == b'.' || c.is_ascii_digit()) {
        let mut release = Vec::new();
        for part in s.split('.') {
            if part.is_empty() {
                return None;
            }
            release.push(strip_zeros(part));
        }
        return Some(finish(Box::from(""), release, None, None, None, None));
    }
    let body = s.trim_matches(is_py_space);
    let mut c = Cur {
        b: body.as_bytes(),
        i: 0,
    };
    if matches!(c.peek(), Some(b'v' | b'V')) {
        c.i += 1;
    }
    // epoch
    let save = c.i;
    let mut epoch: Box<str> = "".into();
    if let Some(d) = c.digits() {
        if c.peek() == Some(b'!') {
            c.i += 1;
            epoch = strip_zeros(d);
        } else {
            c.i = save;
        }
    }
    // release
    let mut release = vec![strip_zeros(c.digits()?)];
    while c.peek() == Some(b'.') && c.b.get(c.i + 1).is_some_and(u8::is_ascii_digit) {
        c.i += 1;
        release.push(strip_zeros(c.digits()?));
    }
    // pre-release
    let save = c.i;
    c.sep();
    let pre_kind = [
        ("alpha", 0u8),
        ("a", 0),
        ("beta", 1),
        ("b", 1),
        ("preview", 2),
        ("pre", 2),
        ("c", 2),
        ("rc", 2),
    ]
    .iter()
    .find(|(w, _)| c.word(w))
    .map(|&(_, k)| k);
    let pre = match pre_kind {
        Some(k) => {
            c.sep();
            Some((k, c.digits().map(strip_zeros).unwrap_or_default()))
        }
        None => {
            c.i = save;
            None
        }
    };
    // post-release
    let save = c.i;
    let mut post = None;
    if c.peek() == Some(b'-') {
        c.i += 1;
        match c.digits() {
            Some(d) => post = Some(strip_zeros(d)),
            None => c.i = save,
        }
    }
    if post.is_none() {
        c.sep();
        if ["post", "rev", "r"].iter().any(|w| c.word(w)) {
            c.sep();
            post = Some(c.digits().map(strip_zeros).unwrap_or_default());
        } else {
            c.i = save;
        }
    }
    // dev release
    let save = c.i;
    c.sep();
    let dev = if c.word("dev") {
        c.sep();
        Some(c.digits().map(strip_zeros).unwrap_or_default())
    } else {
        c.i = save;
        None
    };
    // local version
    let mut local = None;
    if c.peek() == Some(b'+') && c.b.get(c.i + 1).is_some_and(u8::is_ascii_alphanumeric) {
        c.i += 1;
        let mut segs = Vec::new();
        loop {
            let start = c.i;
            while c.peek().is_some_and(|x| x.is_ascii_alphanumeric()) {
                c.i += 1;
            }
            let seg = std::str::from_utf8(&c.b[start..c.i]).unwrap_or("");
            segs.push(if seg.bytes().all(|x| x.is_ascii_digit()) {
                Local::Int(strip_zeros(seg))
            } else {
                Local::Str(seg.to_ascii_lowercase().into())
            });
            if matches!(c.peek(), Some(b'.' | b'_' | b'-'))
                && c.b.get(c.i + 1).is_some_and(u8::is_ascii_alphanumeric)
            {
                c.i += 1;
            } else {
                break;
            }
        }
        local = Some(segs.into_boxed_slice());
    }
    if c.i != c.b.len() {
        return None;
    }
    Some(finish(epoch, release, pre, post, dev, local))
}

fn finish(
    epoch: Box<str>,
    mut release: Vec<Box<str>>,
    pre: Option<(u8, Box<str>)>,
    post: Option<Box<str>>,
    dev: Option<Box<str>>,
    local: Option<Box<[Local]>>,
) -> Pep440 {
    while release.last().is_some_and(|r| r.is_empty()) {
        release.pop();
    }
    Pep440 {
        epoch,
        release: release.into_boxed_slice(),
        pre,
        post,
        dev,
        local,
    }
}

/// Python's `\d` in `str` patterns: Unicode decimal digits (category Nd),
/// as of Python 3.11 (Unicode 14).
const DECIMAL_RANGES: &[(u32, u32)] = &[
    (0x30, 0x39),
    (0x660, 0x669),
    (0x6F0, 0x6F9),
    (0x7C0, 0x7C9),
    (0x966, 0x96F),
    (0x9E6, 0x9EF),
    (0xA66, 0xA6F),
    (0xAE6, 0xAEF),
    (0xB66, 0xB6F),
    (0xBE6, 0xBEF),
    (0xC66, 0xC6F),
    (0xCE6, 0xCEF),
    (0xD66, 0xD6F),
    (0xDE6, 0xDEF),
    (0xE50, 0xE59),
    (0xED0, 0xED9),
    (0xF20, 0xF29),
    (0x1040, 0x1049),
    (0x1090, 0x1099),
    (0x17E0, 0x17E9),
    (0x1810, 0x1819),
    (0x1946, 0x194F),
    (0x19D0, 0x19D9),
    (0x1A80, 0x1A89),
    (0x1A90, 0x1A99),
    (0x1B50, 0x1B59),
    (0x1BB0, 0x1BB9),
    (0x1C40, 0x1C49),
    (0x1C50, 0x1C59),
    (0xA620, 0xA629),
    (0xA8D0, 0xA8D9),
    (0xA900, 0xA909),
    (0xA9D0, 0xA9D9),
    (0xA9F0, 0xA9F9),
    (0xAA50, 0xAA59),
    (0xABF0, 0xABF9),
    (0xFF10, 0xFF19),
    (0x104A0, 0x104A9),
    (0x10D30, 0x10D39),
    (0x11066, 0x1106F),
    (0x110F0, 0x110F9),
    (0x11136, 0x1113F),
    (0x111D0, 0x111D9),
    (0x112F0, 0x112F9),
    (0x11450, 0x11459),
    (0x114D0, 0x114D9),
    (0x11650, 0x11659),
    (0x116C0, 0x116C9),
    (0x11730, 0x11739),
    (0x118E0, 0x118E9),
    (0x11950, 0x11959),
    (0x11C50, 0x11C59),
    (0x11D50, 0x11D59),
    (0x11DA0, 0x11DA9),
    (0x16A60, 0x16A69),
    (0x16AC0, 0x16AC9),
    (0x16B50, 0x16B59),
    (0x1D7CE, 0x1D7FF),
    (0x1E140, 0x1E149),
    (0x1E2F0, 0x1E2F9),
    (0x1E950, 0x1E959),
    (0x1FBF0, 0x1FBF9),
];

fn is_py_decimal(c: char) -> bool {
    let c = c as u32;
    if c < 0x80 {
        return (0x30..=0x39).contains(&c);
    }
    DECIMAL_RANGES
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                Ordering::Less
            } else if lo > c {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        })
        .is_ok()
}

/// The key of packaging's old `LegacyVersion` (setuptools' historical
/// `parse_version`): lower-case the string, split it into runs of decimal
/// digits, runs of ASCII letters, `.`, `-` and runs of anything else;
/// rename `pre`/`preview`/`rc` to `c`, `dev` to `@`, `-` to `final-`; drop
/// `.`; zero-pad numbers to 8 characters and prefix the rest with `*`;
/// drop `*final-` before a pre-release tag and trailing zero numbers
/// before each tag; end with `*final`. Keys compare as tuples of strings.
pub fn legacy_key(s: &str) -> Box<[Box<str>]> {
    let lower = s.to_lowercase();
    // `re.split(r"(\d+|[a-z]+|\.|-)")`: the matched tokens and the
    // (maximal) runs of other text between them.
    let mut raw_parts: Vec<&str> = Vec::new();
    let mut other_start: Option<usize> = None;
    let mut iter = lower.char_indices().peekable();
    while let Some((i, ch)) = iter.next() {
        let class: Option<fn(char) -> bool> = if ch == '.' || ch == '-' {
            None
        } else if is_py_decimal(ch) {
            Some(is_py_decimal)
        } else if ch.is_ascii_lowercase() {
            Some(|c: char| c.is_ascii_lowercase())
        } else {
            other_start.get_or_insert(i);
            continue;
        };
        if let Some(o) = other_start.take() {
            raw_parts.push(&lower[o..i]);
        }
        let mut end = i + ch.len_utf8();
        if let Some(same) = class {
            while let Some(&(j, c)) = iter.peek() {
                if !same(c) {
                    break;
                }
                end = j + c.len_utf8();
                iter.next();
            }
        }
        raw_parts.push(&lower[i..end]);
    }
    if let Some(o) = other_start {
        raw_parts.push(&lower[o..]);
    }

    let mut parts: Vec<Box<str>> = Vec::new();
    let mut push = |part: String| {
        if part.starts_with('*') {
            if part.as_str() < "*final" {
                while parts.last().is_some_and(|p| &**p == "*final-") {
                    parts.pop();
                }
            }
            while parts.last().is_some_and(|p| &**p == "00000000") {
                parts.pop();
            }
        }
        parts.push(part.into());
    };
    for part in raw_parts {
        let part = match part {
            "pre" | "preview" | "rc" => "c",
            "-" => "final-",
            "dev" => "@",
            p => p,
        };
        if part.is_empty() || part == "." {
            continue;
        }
        if part.starts_with(|c: char| c.is_ascii_digit()) {
            let n = part.chars().count();
            let mut p = "0".repeat(8usize.saturating_sub(n));
            p.push_str(part);
            push(p);
        } else {
            push(format!("*{part}"));
        }
    }
    push("*final".to_string());
    parts.into_boxed_slice()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        parse(s).unwrap()
    }

    #[test]
    fn pep440_spec_ordering() {
        let chain = [
            "1.0.dev0",
            "1.0a0.dev0",
            "1.0a0",
            "1.0a0.post0.dev0",
            "1.0a0.post0",
            "1.0b0",
            "1.0rc0",
            "1.0",
            "1.0+local",
            "1.0+local.1",
            "1.0+1",
            "1.0.post0.dev0",
            "1.0.post0",
            "1.1.dev1",
            "1!0.1",
        ];
        for w in chain.windows(2) {
            assert!(v(w[0]) < v(w[1]), "{} < {}", w[0], w[1]);
        }
    }

    #[test]
    fn normalization_equalities() {
        for (a, b) in [
            ("1.0", "1.0.0"),
            ("1.0", "v1.0"),
            ("1.0", " 1.0\n"),
            ("1.0a1", "1.0-ALPHA.1"),
            ("1.0b2", "1.0_beta_2"),
            ("1.0rc1", "1.0c1"),
            ("1.0rc1", "1.0pre1"),
            ("1.0rc1", "1.0.preview1"),
            ("1.0.post1", "1.0-1"),
            ("1.0.post1", "1.0rev1"),
            ("1.0.post1", "1.0-r1"),
            ("1.0.post0", "1.0.post"),
            ("1.0a0", "1.0a"),
            ("1.0.dev0", "1.0-dev"),
            ("0!1.0", "1.0"),
            ("01.002", "1.2"),
            ("1.0+ubuntu.1", "1.0+UBUNTU-01"),
            ("1.0+ubuntu.1", "1.0+ubuntu_1"),
        ] {
            assert_eq!(v(a), v(b), "{a} == {b}");
        }
    }

    #[test]
    fn local_ordering() {
        assert!(v("1.0+abc") < v("1.0+1"));
        assert!(v("1.0+1") < v("1.0+1.0"));
        assert!(v("1.0+2") < v("1.0+10"));
        assert!(v("1.0") < v("1.0+0"));
    }

    #[test]
    fn big_numbers_exact() {
        assert!(v("1.99999999999999999999998") < v("1.99999999999999999999999"));
        assert!(v("99999999999999999999!1.0") > v("1.0"));
    }

    #[test]
    fn legacy_below_valid_and_deterministic() {
        let l = v("1.0-SNAPSHOT-x");
        assert!(l.is_legacy());
        assert!(l < v("0.0.dev0"));
        assert!(v("abc") < v("xyz"));
        assert!(v("1.0.0-SNAPSHOT") > v("abc"));
        assert!(!v("1.0").is_legacy());
        assert!(parse("").is_err());
        assert!(parse(" \t").is_err());
        assert!(parse_strict("foo").is_err());
        assert_eq!(
            &*legacy_key("1.0-beta_5.Foo-"),
            &[
                "00000001", "*beta", "*_", "00000005", "*foo", "*final-", "*final"
            ]
            .map(Box::from)
        );
        assert_eq!(&*legacy_key("foo"), &["*foo", "*final"].map(Box::from));
    }

    #[test]
    fn invalid_pep440_examples() {
        for s in [
            "1.0-", "1..0", "1.0+", "1.0+a..b", "1.0.", "1.0a.b", "1.0-1-1", "1,0",
        ] {
            assert!(parse(s).unwrap().is_legacy(), "{s:?} must be legacy");
        }
    }
}
