//! Alpine (apk) version ordering, following the rules of current
//! apk-tools (`src/version.c`, the grammar with `~<hash>`):
//!
//! ```text
//! digit{.digit}...{letter}{_suf{#}}...{~hash}{-r#}
//! ```
//!
//! - a version starts with digits; `.digits` parts follow;
//! - then at most one lower-case letter (`1.2a`);
//! - then any number of suffixes `_alpha`, `_beta`, `_pre`, `_rc` (before
//!   the release) or `_cvs`, `_svn`, `_git`, `_hg`, `_p` (after it), each
//!   optionally numbered (`_rc2`, `_p20240101`);
//! - then optionally `~` and lower-case hex digits (a commit hash);
//! - then optionally `-r` and digits (the package revision).
//!
//! Anything else is rejected (as `apk_version_validate` does).
//!
//! Comparison walks both versions token by token while the token kinds are
//! the same: numbers compare by value — except the `.digits` parts, which
//! compare as text when either starts with `0` (so `1.01 < 1.1`, and
//! `1.09 < 1.1`); letters and hashes compare as text, suffixes by their
//! rank (alpha < beta < pre < rc < cvs < svn < git < hg < p). At the first
//! difference in kind, a pre-release suffix (`_alpha`..`_rc`) loses to
//! anything, even the end; otherwise the version whose next token comes
//! earlier in the grammar (digit < letter < suffix < suffix number < hash
//! < revision < end) is the greater one: `1.2.1 > 1.2a > 1.2_p1 > 1.2-r1 >
//! 1.2 > 1.2_rc1`.
//!
//! Numbers are read as apk reads them, into an unsigned 64-bit value
//! (wrapping past 2^64 - 1; no panic). No real Alpine version comes near.

use std::cmp::Ordering;

use crate::VersionError;

/// Token kinds in grammar order (apk's `enum PARTS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    CommitHash,
    RevisionNo,
    End,
}

/// Suffix ranks; `NONE` (5) separates pre- from post-release suffixes.
const SUFFIXES: [(&str, u8); 9] = [
    ("alpha", 1),
    ("beta", 2),
    ("pre", 3),
    ("rc", 4),
    ("cvs", 6),
    ("svn", 7),
    ("git", 8),
    ("hg", 9),
    ("p", 10),
];
const SUFFIX_NONE: u8 = 5;

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    /// Numeric value (numbers, wrapped to u64), letter byte or suffix rank.
    number: u64,
    /// The token's text, for text comparisons (digit parts, hashes).
    text: (usize, usize),
}

/// A parsed apk version.
#[derive(Debug, Clone)]
pub struct Version {
    original: String,
    tokens: Vec<Token>,
}

fn err(s: &str, reason: &str) -> VersionError {
    VersionError::new("alpine", s, reason)
}

/// Read decimal digits from `i`; `(value wrapped to u64, end)`.
fn digits(b: &[u8], mut i: usize) -> (u64, usize) {
    let mut v: u64 = 0;
    while let Some(&c) = b.get(i) {
        if !c.is_ascii_digit() {
            break;
        }
        v = v.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
        i += 1;
    }
    (v, i)
}

pub fn parse(s: &str) -> Result<Version, VersionError> {
    let b = s.as_bytes();
    let mut tokens = Vec::new();
    let (n, mut i) = digits(b, 0);
    if i == 0 {
        return Err(err(s, "version must start with a digit"));
    }
    tokens.push(Token {
        kind: Kind::InitialDigit,
        number: n,
        text: (0, i),
    });
    let mut last = Kind::InitialDigit;
    while let Some(&c) = b.get(i) {
        let tok = match c {
            b'a'..=b'z' => {
                if last > Kind::Digit {
                    return Err(err(s, "letter out of place"));
                }
                i += 1;
                Token {
                    kind: Kind::Letter,
                    number: u64::from(c),
                    text: (i - 1, i),
                }
            }
            b'.' => {
                if last > Kind::Digit {
                    return Err(err(s, "`.` out of place"));
                }
                let (n, end) = digits(b, i + 1);
                if end == i + 1 {
                    return Err(err(s, "`.` must be followed by digits"));
                }
                let t = Token {
                    kind: Kind::Digit,
                    number: n,
                    text: (i + 1, end),
                };
                i = end;
                t
            }
            b'0'..=b'9' => {
                // Digits only directly follow a suffix name (`_rc1`).
                if last != Kind::Suffix {
                    return Err(err(s, "digits out of place"));
                }
                let (n, end) = digits(b, i);
                let t = Token {
                    kind: Kind::SuffixNo,
                    number: n,
                    text: (i, end),
                };
                i = end;
                t
            }
            b'_' => {
                if last > Kind::SuffixNo {
                    return Err(err(s, "suffix out of place"));
                }
                let start = i + 1;
                let mut end = start;
                while b.get(end).is_some_and(u8::is_ascii_lowercase) {
                    end += 1;
                }
                let name = &s[start..end];
                let Some(&(_, rank)) = SUFFIXES.iter().find(|(n, _)| *n == name) else {
                    return Err(err(s, "unknown suffix"));
                };
                i = end;
                Token {
                    kind: Kind::Suffix,
                    number: u64::from(rank),
                    text: (start, end),
                }
            }
            b'~' => {
                if last >= Kind::CommitHash {
                    return Err(err(s, "`~` out of place"));
                }
                let start = i + 1;
                let mut end = start;
                while b
                    .get(end)
                    .is_some_and(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
                {
                    end += 1;
                }
                if end == start {
                    return Err(err(s, "`~` must be followed by a hex hash"));
                }
                i = end;
                Token {
                    kind: Kind::CommitHash,
                    number: 0,
                    text: (start, end),
                }
            }
            b'-' => {
                if last >= Kind::RevisionNo || b.get(i + 1) != Some(&b'r') {
                    return Err(err(s, "`-` must start the `-rN` revision"));
                }
                let (n, end) = digits(b, i + 2);
                if end == i + 2 {
                    return Err(err(s, "`-r` must be followed by digits"));
                }
                let t = Token {
                    kind: Kind::RevisionNo,
                    number: n,
                    text: (i + 2, end),
                };
                i = end;
                t
            }
            _ => return Err(err(s, "invalid character")),
        };
        last = tok.kind;
        tokens.push(tok);
    }
    Ok(Version {
        original: s.to_string(),
        tokens,
    })
}

impl Version {
    fn text(&self, t: &Token) -> &[u8] {
        self.original
            .as_bytes()
            .get(t.text.0..t.text.1)
            .unwrap_or(&[])
    }

    /// Whether the version carries a pre-release suffix (`_alpha`, `_beta`,
    /// `_pre`, `_rc`).
    pub fn is_prerelease(&self) -> bool {
        self.tokens
            .iter()
            .any(|t| t.kind == Kind::Suffix && t.number < u64::from(SUFFIX_NONE))
    }

    /// The `-rN` package revision, if any.
    pub fn revision(&self) -> Option<u64> {
        self.tokens
            .iter()
            .find(|t| t.kind == Kind::RevisionNo)
            .map(|t| t.number)
    }

    fn cmp_token(&self, a: &Token, other: &Version, b: &Token) -> Ordering {
        match a.kind {
            Kind::Digit => {
                let (x, y) = (self.text(a), other.text(b));
                if x.first() == Some(&b'0') || y.first() == Some(&b'0') {
                    x.cmp(y)
                } else {
                    a.number.cmp(&b.number)
                }
            }
            Kind::CommitHash => self.text(a).cmp(other.text(b)),
            _ => a.number.cmp(&b.number),
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let mut i = 0;
        let (ka, kb, ta, tb) = loop {
            let ta = self.tokens.get(i);
            let tb = other.tokens.get(i);
            let ka = ta.map_or(Kind::End, |t| t.kind);
            let kb = tb.map_or(Kind::End, |t| t.kind);
            match (ta, tb) {
                (Some(x), Some(y)) if ka == kb => {
                    let o = self.cmp_token(x, other, y);
                    if o.is_ne() {
                        return o;
                    }
                }
                _ => break (ka, kb, ta, tb),
            }
            i += 1;
        };
        if ka == kb {
            return Ordering::Equal;
        }
        let pre = |k: Kind, t: Option<&Token>| {
            k == Kind::Suffix && t.is_some_and(|t| t.number < u64::from(SUFFIX_NONE))
        };
        if pre(ka, ta) {
            return Ordering::Less;
        }
        if pre(kb, tb) {
            return Ordering::Greater;
        }
        // The later kind in the grammar is the smaller version.
        kb.cmp(&ka)
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

    /// Lines from apk-tools' test/version.data (expected results of
    /// `apk version -t`), valid versions only.
    const APK_VERSION_DATA: &str = "
2.34 > 0.1.0_alpha
0.1.0_alpha = 0.1.0_alpha
0.1.0_alpha < 0.1.3_alpha
0.1.0_alpha2 > 0.1.0_alpha
0.1.0_alpha < 2.2.39-r1
2.2.39-r1 > 1.0.4-r3
1.0.4-r3 < 1.0.4-r4
1.0.4-r4 < 1.6
1.1 > 1.1_alpha1
1.1_alpha1 < 1.2.1
1.2.1 > 1.2
1.2 < 1.3_alpha
1.3_alpha < 1.3_alpha2
0.7.0 < 0.8_beta1
0.8_beta4 < 4.8-r1
3.10.18-r1 > 2.3.0b-r1
2.3.0b-r1 < 2.3.0b-r2
2.3.0b-r4 > 0.12.1
0.12.3 > 0.12
0.12 < 0.13_beta1
0.13_beta5 > 0.9.12
1.2.11 < 1.2.12.1
1.2.12.1 < 1.2.13
0.2.0-r1 < 3.1_p16
3.1_p16 < 3.1_p17
3.1_p17 > 1.06-r6
1.06-r6 < 006
006 > 1.0.0
1.2.2-r1 > 1.2.2
2.59 < 20050718-r1
3.9.8-r5 > 2.01.01_alpha10
2.01.01_alpha10 > 0.94
1.0 > 0.99.3.20040818
1.39 > 1.00_beta2
4.2.52_p2-r1 < 4.2.52_p4-r2
4.2.52_p4-r2 > 1.02.07
1.02.07 < 1.02.10-r1
20060720 > 3.0.20060720
2.5.1-r8 < 2.5.1a-r1
2.5.1a-r1 > 1.19.2-r1
1.3.5-r10 > 1.3.5-r8
2.0.0_rc3-r1 > 1.5
3.0.0-r2 < 021109-r3
021109-r3 < 20060512
0.9.16-r1 < 3.9_pre20060124
3.9_pre20060124 > 0.01
1.1.7 < 6b-r7
0.10.0-r1 > 0.10.0
0.10.0 < 0.10.1_rc1
2.0.2 > 1.1a
1.1a < 1.3a
0.15.1b-r2 > 0.15.1b
22.7.3-r1 > 22.7
22.7 > 2.1_pre20
2.1_pre20 < 2.1_pre26
2.10.1 > 02.08.01b
3.81 > 1.6d
1.6d > 1.2.07.8
1.2.07.8 < 1.2.12.04
1.2.12.04 < 1.2.12.05
1.07-r1 < 1.07.5
1.07.5 > 1.07
0.20070118 < 0.20070207_rc1
0.20070207_rc1 < 1.0
4.5_p1-r1 > 4.5_p1
4.5_p1 > 0.9.8c-r1
0.9.8c-r1 < 0.9.8d
1.7 < 1.7b
1.8.5 < 1.8.5_p2
0.98 < 1.00
2.9.11_pre20051101-r2 < 2.9.11_pre20051101-r3
2.9.11_pre20051101-r3 > 2.9.11_pre20051101
1.6.8_p12-r1 > 1.6.8_p9-r2
0.9.28.1 < 087-r1
087-r1 < 103
104-r11 > 104-r9
1.23-r1 > 1.23
2.12r-r4 < 2.12r-r5
7.0.17 < 7.0.174
0.3.4_pre20061029 < 0.4.0
1.3-r0 < 1.3.1-r0
1.3_pre1-r1 < 1.3.2
1.0_p10-r0 > 1.0_p9-r0
0.1.0_alpha_pre2 < 0.1.0_alpha
1.0.0_pre20191002222144-r0 < 1.0.0_pre20210530193627-r0
6.0_pre1 < 6.0
6.1_pre1 < 6.1
6.0_p1 > 6.0
6.1_p1 > 6.1
";

    #[test]
    fn apk_tools_version_data() {
        let mut n = 0;
        for line in APK_VERSION_DATA.lines().filter(|l| !l.trim().is_empty()) {
            let parts: Vec<&str> = line.split_whitespace().collect();
            let [a, op, b] = parts[..] else {
                panic!("bad line {line}");
            };
            let want = match op {
                "<" => Less,
                "=" => Equal,
                ">" => Greater,
                _ => panic!("bad op {op}"),
            };
            assert_eq!(cmp(a, b), want, "{line}");
            assert_eq!(cmp(b, a), want.reverse(), "{line} (reversed)");
            n += 1;
        }
        assert!(n > 80);
    }

    #[test]
    fn suffix_and_revision_order() {
        let chain = [
            "1.0_alpha",
            "1.0_alpha1",
            "1.0_beta",
            "1.0_pre",
            "1.0_rc1",
            "1.0",
            "1.0-r1",
            "1.0~abc",
            "1.0~abd",
            "1.0_cvs",
            "1.0_svn",
            "1.0_git20240101",
            "1.0_hg",
            "1.0_p1",
            "1.0_p2",
            "1.0a",
            "1.0b",
            "1.0.0",
            "1.00",
            "1.01",
            "1.1",
        ];
        for w in chain.windows(2) {
            assert_eq!(cmp(w[0], w[1]), Less, "{} < {}", w[0], w[1]);
        }
        assert_eq!(cmp("1.0~abc-r1", "1.0~abc"), Greater);
        assert_eq!(cmp("1.0_p1-r1", "1.0_p1"), Greater);
    }

    #[test]
    fn validity() {
        for ok in [
            "1",
            "1.2.3",
            "1.2a",
            "1.2a_rc1_p2",
            "1.2_p",
            "1.0~0a1f-r3",
            "0",
            "1-r0",
        ] {
            assert!(parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "a1", "1.", "1..2", "1.a", "1ab", "1a2", "1_foo", "1_rc1a", "1-r", "1-1", "1~",
            "1~G", "1-r1a", "1-r1-r2", "1~a~b", "v1", "1.0 ", "1.0+1", "1.0_RC1", "1.é",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn helpers_and_big_numbers() {
        let v = parse("1.2_rc1-r3").unwrap();
        assert!(v.is_prerelease());
        assert_eq!(v.revision(), Some(3));
        assert_eq!(v.to_string(), "1.2_rc1-r3");
        assert!(!parse("1.2_p1").unwrap().is_prerelease());
        // apk reads numbers into a wrapping u64: 2^64 + 1 reads as 1.
        assert_eq!(cmp("18446744073709551617", "1"), Equal);
        assert_eq!(cmp("99999999999999999999999999", "1.0"), Greater);
    }
}
