//! dpkg version ordering (Debian, Ubuntu), as `dpkg --compare-versions`
//! and libdpkg's `dpkg_version_compare` do it.
//!
//! A version is `[epoch:]upstream[-revision]`:
//! - the epoch is everything before the first `:`; it must be a decimal
//!   number (C `strtol` syntax: optional leading white space and sign) in
//!   `0..=INT_MAX`; without a colon the epoch is 0;
//! - the revision is everything after the last `-` of the rest; it must not
//!   be empty when the `-` is there; without a `-` it is empty (which
//!   compares equal to `0`);
//! - upstream and revision are compared with dpkg's `verrevcmp`: alternate
//!   non-digit and digit runs; non-digit runs compare character by
//!   character where `~` sorts before everything (even the end of the
//!   string), then the end of the run, then letters (ASCII order), then all
//!   other characters (by byte value + 256); digit runs compare numerically
//!   (any length).
//!
//! Like dpkg, versions with "bad syntax" that dpkg only warns about (an
//! upstream part not starting with a digit, characters outside
//! `[A-Za-z0-9.+~:-]`) are accepted and compared; hard errors (empty
//! string, embedded blanks, bad epoch, empty revision or upstream) are
//! rejected.

use std::cmp::Ordering;

use crate::VersionError;

/// A parsed dpkg version.
#[derive(Debug, Clone)]
pub struct Version {
    original: String,
    epoch: u32,
    upstream: String,
    revision: String,
}

const INT_MAX: u64 = i32::MAX as u64;

fn err(s: &str, reason: &str) -> VersionError {
    VersionError::new("debian", s, reason)
}

/// C `isspace` in the C locale.
fn c_isspace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// dpkg's `c_isblank`.
fn c_isblank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Parse the epoch text before the first colon like `strtol(s, &end, 10)`
/// followed by dpkg's checks.
fn parse_epoch(full: &str, text: &[u8]) -> Result<u32, VersionError> {
    let mut i = 0;
    while i < text.len() && c_isspace(text[i]) {
        i += 1;
    }
    let mut negative = false;
    if i < text.len() && (text[i] == b'+' || text[i] == b'-') {
        negative = text[i] == b'-';
        i += 1;
    }
    let digits_start = i;
    while i < text.len() && text[i].is_ascii_digit() {
        i += 1;
    }
    if i == digits_start {
        // strtol consumed nothing: end pointer == start.
        return Err(err(full, "epoch in version is empty"));
    }
    if i != text.len() {
        return Err(err(full, "epoch in version is not number"));
    }
    let digits = &text[digits_start..i];
    let first_nonzero = digits.iter().position(|&d| d != b'0');
    let Some(nz) = first_nonzero else {
        return Ok(0); // "-0" and "+0" are fine
    };
    let significant = &digits[nz..];
    if negative {
        return Err(err(full, "epoch in version is negative"));
    }
    if significant.len() > 10 {
        return Err(err(full, "epoch in version is too big"));
    }
    let mut value: u64 = 0;
    for &d in significant {
        value = value * 10 + u64::from(d - b'0');
    }
    if value > INT_MAX {
        return Err(err(full, "epoch in version is too big"));
    }
    u32::try_from(value).map_err(|_| err(full, "epoch in version is too big"))
}

pub fn parse(s: &str) -> Result<Version, VersionError> {
    let bytes = s.as_bytes();
    // Trim leading and trailing blanks; anything blank inside is an error.
    let mut start = 0;
    while start < bytes.len() && c_isblank(bytes[start]) {
        start += 1;
    }
    if start == bytes.len() {
        return Err(err(s, "version string is empty"));
    }
    let mut end = start;
    while end < bytes.len() && !c_isblank(bytes[end]) {
        end += 1;
    }
    if bytes[end..].iter().any(|&b| !c_isblank(b)) {
        return Err(err(s, "version string has embedded spaces"));
    }
    let body = &s[start..end];
    let (epoch, rest) = match body.find(':') {
        Some(colon) => {
            let epoch = parse_epoch(s, &body.as_bytes()[..colon])?;
            let rest = &body[colon + 1..];
            if rest.is_empty() {
                return Err(err(s, "nothing after colon in version number"));
            }
            (epoch, rest)
        }
        None => (0, body),
    };
    let (upstream, revision) = match rest.rfind('-') {
        Some(h) => {
            let rev = &rest[h + 1..];
            if rev.is_empty() {
                return Err(err(s, "revision number is empty"));
            }
            (&rest[..h], rev)
        }
        None => (rest, ""),
    };
    if upstream.is_empty() {
        return Err(err(s, "upstream version is empty"));
    }
    Ok(Version {
        original: s.to_string(),
        epoch,
        upstream: upstream.to_string(),
        revision: revision.to_string(),
    })
}

impl Version {
    pub fn epoch(&self) -> u32 {
        self.epoch
    }
    pub fn upstream(&self) -> &str {
        &self.upstream
    }
    /// The Debian revision (`""` when absent).
    pub fn revision(&self) -> &str {
        &self.revision
    }
}

/// dpkg's `order()`: the weight of one byte in a non-digit run; `None`
/// (end of string) and digits weigh 0. Non-ASCII bytes weigh their byte
/// value, as dpkg does with a signed `char` (x86-64, the reference).
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b) if b.is_ascii_digit() => 0,
        Some(b) if b.is_ascii_alphabetic() => i32::from(b),
        Some(b'~') => -1,
        Some(b) if b >= 0x80 => i32::from(b),
        Some(b) => i32::from(b) + 256,
    }
}

/// dpkg's `verrevcmp`.
pub fn verrevcmp(a: &str, b: &str) -> Ordering {
    let a = a.as_bytes();
    let b = b.as_bytes();
    let (mut i, mut j) = (0usize, 0usize);
    let is_digit = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !is_digit(a, i)) || (j < b.len() && !is_digit(b, j)) {
            let ac = order(a.get(i).copied());
            let bc = order(b.get(j).copied());
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while is_digit(a, i) && is_digit(b, j) {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if is_digit(a, i) {
            return Ordering::Greater;
        }
        if is_digit(b, j) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(&self.upstream, &other.upstream))
            .then_with(|| verrevcmp(&self.revision, &other.revision))
    }
}

crate::eq_and_display_via_ord!(Version, original);

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        parse(a).unwrap().cmp(&parse(b).unwrap())
    }

    #[test]
    fn policy_examples() {
        // Debian Policy 5.6.12 and dpkg's own test suite.
        use Ordering::*;
        let cases = [
            ("1.0~rc1", "1.0", Less),
            ("1.0~~", "1.0~~a", Less),
            ("1.0~~a", "1.0~", Less),
            ("1.0~", "1.0", Less),
            ("1.0", "1.0a", Less),
            ("1.0a", "1.0+", Less),
            ("1.0", "1.0.0", Less),
            ("1.0", "1.00", Equal),
            ("1.0-0", "1.0", Equal),
            ("1:1.0", "2.0", Greater),
            ("0:1.0", "1.0", Equal),
            ("1.0-1", "1.0-1ubuntu1", Less),
            ("2.30-1", "2.3-1", Greater),
            ("1.2.3-1~deb12u1", "1.2.3-1", Less),
            ("1.2.3-1+deb12u1", "1.2.3-1", Greater),
            ("1.0-1.1", "1.0-1+b1", Greater),
            (
                "99999999999999999999999",
                "99999999999999999999998",
                Greater,
            ),
            ("1.0-a-b", "1.0-a-c", Less),
            ("1:2:3", "1:2:4", Less),
            ("a", "1", Greater),
        ];
        for (a, b, want) in cases {
            assert_eq!(cmp(a, b), want, "{a} vs {b}");
            assert_eq!(cmp(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn parts() {
        let v = parse("2:1.2-3-4").unwrap();
        assert_eq!((v.epoch(), v.upstream(), v.revision()), (2, "1.2-3", "4"));
        assert_eq!(v.to_string(), "2:1.2-3-4");
        let v = parse(" 1.0 ").unwrap();
        assert_eq!(v.upstream(), "1.0");
        assert_eq!(parse("+1:0").unwrap().epoch(), 1);
        assert_eq!(parse("-0:0").unwrap().epoch(), 0);
        assert_eq!(parse("2147483647:0").unwrap().epoch(), i32::MAX as u32);
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            "  ",
            "1 0",
            ":1.0",
            "a:1.0",
            "1.0-1:2",
            "-1:1.0",
            "2147483648:1",
            "99999999999999999999:1",
            "1:",
            "1.0-",
            "-1",
            "1:-1",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
