//! Composer (Packagist) versions: normalized like composer/semver's
//! `VersionParser::normalize` and ordered like
//! `Composer\Semver\Comparator` (PHP's `version_compare` on the normalized
//! strings).
//!
//! Normalization (3.x): trim; drop an ` as ` alias and an `@stability`
//! flag; `master`/`trunk`/`default` and anything starting with `dev-` are
//! branches (`dev-NAME`); drop `+build`; classical versions
//! `v?N{1,5}(.N){0,3}` become four parts (`1.2` -> `1.2.0.0`, digits kept
//! as written) plus a stability suffix (`-alpha1`, `-beta`, `-RC2`,
//! `-patch1`; `a`/`b`/`p`/`pl`/`rc` spelled out) and `-dev`; date
//! versions (`2010-01-02` -> `2010.01.02`); numeric branches
//! (`1.x-dev` -> `1.9999999.9999999.9999999-dev`). Anything else is an
//! error.
//!
//! Ordering: `version_compare` splits the normalized string into numbers
//! and words; words rank `dev < alpha = a < beta = b < RC = rc < number <
//! pl = p` (prefix match, other words below `dev`); a missing part ranks
//! like "below any number, above RC". Numbers saturate at 2^63-1 like C's
//! `strtol`. Branches (`dev-foo`) sort below every numbered version (as
//! `version_compare` does); two different branches are not comparable in
//! Composer, and sort here by their normalized bytes.

use std::cmp::Ordering;

use crate::VersionError;

const SCHEME: &str = "packagist";

/// A parsed Composer version.
#[derive(Debug, Clone)]
pub struct Version {
    raw: Box<str>,
    normalized: Box<str>,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Branch,
    /// `version_compare` elements of the normalized string.
    Numbered(Box<[Elem]>),
}

/// One `version_compare` element: (rank, value); numbers have rank 4
/// (the rank of `#`), words the rank of their special form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Elem(i8, i64);

/// The virtual element a shorter version is compared with: below every
/// number, above `RC`, below `pl`.
const PAD: Elem = Elem(4, -1);

impl Version {
    /// The string `VersionParser::normalize` returns.
    pub fn normalized(&self) -> &str {
        &self.normalized
    }
    /// True for branch versions (`dev-master`, `dev-feature/x`), which
    /// Composer does not order against other branches.
    pub fn is_branch(&self) -> bool {
        matches!(self.kind, Kind::Branch)
    }
    /// True for anything below stable: `-dev`, `-alpha`, `-beta`, `-RC`
    /// (and branches).
    pub fn is_prerelease(&self) -> bool {
        match &self.kind {
            Kind::Branch => true,
            Kind::Numbered(e) => e.iter().any(|x| x.0 >= 0 && x.0 < 4),
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.kind, &other.kind) {
            (Kind::Branch, Kind::Branch) => {
                self.normalized.as_bytes().cmp(other.normalized.as_bytes())
            }
            (Kind::Branch, Kind::Numbered(_)) => Ordering::Less,
            (Kind::Numbered(_), Kind::Branch) => Ordering::Greater,
            (Kind::Numbered(a), Kind::Numbered(b)) => {
                for i in 0..a.len().max(b.len()) {
                    let x = a.get(i).copied().unwrap_or(PAD);
                    let y = b.get(i).copied().unwrap_or(PAD);
                    match x.cmp(&y) {
                        Ordering::Equal => {}
                        o => return o,
                    }
                }
                Ordering::Equal
            }
        }
    }
}

crate::eq_and_display_via_ord!(Version, raw);

pub fn parse(s: &str) -> Result<Version, VersionError> {
    let normalized = normalize(s)
        .ok_or_else(|| VersionError::new(SCHEME, s, "invalid Composer version string"))?;
    let kind = if normalized.starts_with("dev-") {
        Kind::Branch
    } else {
        Kind::Numbered(elements(normalized.as_bytes()).into_boxed_slice())
    };
    Ok(Version {
        raw: s.into(),
        normalized: normalized.into(),
        kind,
    })
}

/// PHP's `trim` default characters.
fn is_php_trim(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\0' | '\u{b}')
}

/// PCRE's `\s` (no UTF/UCP mode).
fn is_pcre_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// PCRE's `$`: at the end, or before a final newline.
fn at_end(b: &[u8], i: usize) -> bool {
    i == b.len() || (i + 1 == b.len() && b[i] == b'\n')
}

fn run(b: &[u8], i: usize, f: impl Fn(u8) -> bool) -> usize {
    b.get(i..)
        .map_or(0, |r| r.iter().take_while(|&&c| f(c)).count())
}

fn digits(b: &[u8], i: usize) -> usize {
    run(b, i, |c| c.is_ascii_digit())
}

fn word_ci(b: &[u8], i: usize, w: &str) -> bool {
    b.get(i..i + w.len())
        .is_some_and(|s| s.eq_ignore_ascii_case(w.as_bytes()))
}

/// composer/semver 3.x `VersionParser::normalize($version)`; `None` where
/// it throws.
pub fn normalize(input: &str) -> Option<String> {
    let mut v = input.trim_matches(is_php_trim);
    // strip off aliasing: ^([^,\s]++) ++as ++([^,\s]++)$
    {
        let b = v.as_bytes();
        let not_sep = |c: u8| c != b',' && !is_pcre_space(c);
        let g1 = run(b, 0, not_sep);
        let sp1 = run(b, g1, |c| c == b' ');
        if g1 > 0 && sp1 > 0 && b.get(g1 + sp1..g1 + sp1 + 2) == Some(&b"as"[..]) {
            let i = g1 + sp1 + 2;
            let sp2 = run(b, i, |c| c == b' ');
            let g2 = run(b, i + sp2, not_sep);
            if sp2 > 0 && g2 > 0 && at_end(b, i + sp2 + g2) {
                v = &v[..g1];
            }
        }
    }
    // strip off stability flag: @(?:stable|RC|beta|alpha|dev)$ (i)
    for flag in ["@stable", "@rc", "@beta", "@alpha", "@dev"] {
        let n = v.len();
        if n >= flag.len() && v.as_bytes()[n - flag.len()..].eq_ignore_ascii_case(flag.as_bytes()) {
            v = &v[..n - flag.len()];
            break;
        }
    }
    if matches!(v, "master" | "trunk" | "default") {
        return Some(format!("dev-{v}"));
    }
    if word_ci(v.as_bytes(), 0, "dev-") {
        return Some(format!("dev-{}", &v[4..]));
    }
    // strip off build metadata: ^([^,\s+]++)\+[^\s]++$
    {
        let b = v.as_bytes();
        let g1 = run(b, 0, |c| c != b',' && c != b'+' && !is_pcre_space(c));
        if g1 > 0 && b.get(g1) == Some(&b'+') {
            let g2 = run(b, g1 + 1, |c| !is_pcre_space(c));
            if g2 > 0 && at_end(b, g1 + 1 + g2) {
                v = &v[..g1];
            }
        }
    }
    if let Some(n) = classical(v.as_bytes()) {
        return Some(n);
    }
    if let Some(n) = date(v.as_bytes()) {
        return Some(n);
    }
    numeric_dev_branch(v)
}

/// The matched `modifierRegex`:
/// `[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*+)?)?([.-]?dev)?`
struct Modifier<'a> {
    stability: Option<&'a [u8]>,
    number: &'a [u8],
    dev: bool,
}

/// Tries the modifier at `pos` in PCRE's backtracking order and returns
/// the first way that reaches `$`.
fn modifier(b: &[u8], pos: usize) -> Option<Modifier<'_>> {
    let mut seps = vec![];
    if matches!(b.get(pos), Some(b'.' | b'_' | b'-')) {
        seps.push(pos + 1);
    }
    seps.push(pos);
    for p1 in seps {
        let mut stabs: Vec<(Option<&[u8]>, usize)> = Vec::new();
        for w in [
            "stable", "beta", "b", "RC", "alpha", "a", "patch", "pl", "p",
        ] {
            if word_ci(b, p1, w) {
                stabs.push((Some(&b[p1..p1 + w.len()]), p1 + w.len()));
            }
        }
        stabs.push((None, p1));
        for (stability, p2) in stabs {
            let mut nums: Vec<(&[u8], usize)> = Vec::new();
            if stability.is_some() {
                // ((?:[.-]?\d+)*+) possessive, then the skipped group
                let mut q = p2;
                loop {
                    if matches!(b.get(q), Some(b'.' | b'-')) && digits(b, q + 1) > 0 {
                        q += 1 + digits(b, q + 1);
                    } else if digits(b, q) > 0 {
                        q += digits(b, q);
                    } else {
                        break;
                    }
                }
                nums.push((&b[p2..q], q));
            }
            nums.push((&b[p2..p2], p2));
            for (number, p3) in nums {
                let mut devs = Vec::new();
                if matches!(b.get(p3), Some(b'.' | b'-')) && word_ci(b, p3 + 1, "dev") {
                    devs.push((true, p3 + 4));
                } else if word_ci(b, p3, "dev") {
                    devs.push((true, p3 + 3));
                }
                devs.push((false, p3));
                for (dev, p4) in devs {
                    if at_end(b, p4) {
                        return Some(Modifier {
                            stability,
                            number,
                            dev,
                        });
                    }
                }
            }
        }
    }
    None
}

fn with_modifier(mut version: String, m: Modifier<'_>) -> String {
    if let Some(st) = m.stability {
        if st == b"stable" {
            return version;
        }
        let lower = String::from_utf8_lossy(st).to_ascii_lowercase();
        let expanded = match lower.as_str() {
            "a" => "alpha",
            "b" => "beta",
            "p" | "pl" => "patch",
            "rc" => "RC",
            other => other,
        };
        version.push('-');
        version.push_str(expanded);
        let num = String::from_utf8_lossy(m.number);
        version.push_str(num.trim_start_matches(['.', '-']));
    }
    if m.dev {
        version.push_str("-dev");
    }
    version
}

fn skip_v(b: &[u8]) -> usize {
    usize::from(matches!(b.first(), Some(b'v' | b'V')))
}

/// `^v?(\d{1,5})(\.\d++)?(\.\d++)?(\.\d++)?` + modifier + `$` (i)
fn classical(b: &[u8]) -> Option<String> {
    let mut i = skip_v(b);
    let major = digits(b, i);
    if major == 0 || major > 5 {
        return None;
    }
    let mut version = String::from_utf8_lossy(&b[i..i + major]).into_owned();
    i += major;
    let mut parts = 1;
    while parts < 4 && b.get(i) == Some(&b'.') && digits(b, i + 1) > 0 {
        let n = digits(b, i + 1);
        version.push_str(&String::from_utf8_lossy(&b[i..i + 1 + n]));
        i += 1 + n;
        parts += 1;
    }
    for _ in parts..4 {
        version.push_str(".0");
    }
    let m = modifier(b, i)?;
    Some(with_modifier(version, m))
}

/// `^v?(\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3})?)` + modifier + `$` (i)
fn date(b: &[u8]) -> Option<String> {
    let start = skip_v(b);
    if digits(b, start) < 4 {
        return None;
    }
    let mut ends = Vec::new();
    let mut q = start + 4;
    while ends.len() < 6 {
        let s = usize::from(matches!(b.get(q), Some(b'.' | b':' | b'-')));
        if digits(b, q + s) >= 2 {
            q += s + 2;
            ends.push(q);
        } else {
            break;
        }
    }
    for &q in ends.iter().rev() {
        let s = usize::from(matches!(b.get(q), Some(b'.' | b':' | b'-')));
        let n = digits(b, q + s).min(3);
        let mut tails: Vec<usize> = (1..=n).rev().map(|k| q + s + k).collect();
        tails.push(q);
        for e in tails {
            if let Some(m) = modifier(b, e) {
                let version: String = b[start..e]
                    .iter()
                    .map(|&c| if c.is_ascii_digit() { c as char } else { '.' })
                    .collect();
                return Some(with_modifier(version, m));
            }
        }
    }
    None
}

/// `(.*?)[.-]?dev$` (i) then `normalizeBranch` of the group, accepted only
/// when numeric.
fn numeric_dev_branch(v: &str) -> Option<String> {
    let b = v.as_bytes();
    // `$` may sit before a final newline
    let end = if b.last() == Some(&b'\n') {
        b.len() - 1
    } else {
        b.len()
    };
    if end < 3 || !b[end - 3..end].eq_ignore_ascii_case(b"dev") {
        return None;
    }
    let mut gend = end - 3;
    if gend > 0 && matches!(b[gend - 1], b'.' | b'-') {
        gend -= 1;
    }
    // `.` does not match a newline: the match starts after the last one.
    let gstart = b[..gend]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |p| p + 1);
    let name = v.get(gstart..gend)?.trim_matches(is_php_trim);
    let nb = name.as_bytes();
    // ^v?(\d++)(\.(?:\d++|[xX*]))?(\.(?:\d++|[xX*]))?(\.(?:\d++|[xX*]))?$ (i)
    let mut i = skip_v(nb);
    let n = digits(nb, i);
    if n == 0 {
        return None;
    }
    let mut version = name[i..i + n].to_string();
    i += n;
    let mut parts = 1;
    while parts < 4 && nb.get(i) == Some(&b'.') {
        let d = digits(nb, i + 1);
        if d > 0 {
            version.push_str(&name[i..i + 1 + d]);
            i += 1 + d;
        } else if matches!(nb.get(i + 1), Some(b'x' | b'X' | b'*')) {
            version.push_str(".x");
            i += 2;
        } else {
            break;
        }
        parts += 1;
    }
    if !at_end(nb, i) {
        return None;
    }
    for _ in parts..4 {
        version.push_str(".x");
    }
    Some(version.replace('x', "9999999") + "-dev")
}

/// PHP's `php_canonicalize_version` followed by the element split of
/// `php_version_compare`, as (rank, value) keys.
fn elements(v: &[u8]) -> Vec<Elem> {
    // C strings end at NUL.
    let v = &v[..v.iter().position(|&c| c == 0).unwrap_or(v.len())];
    let mut canon = Vec::with_capacity(v.len() * 2);
    if let Some((&first, rest)) = v.split_first() {
        canon.push(first);
        let mut lp = first;
        let isdig = |c: u8| c.is_ascii_digit();
        let isndig = |c: u8| !c.is_ascii_digit() && c != b'.';
        for &p in rest {
            let lq = canon.last().copied().unwrap_or(0);
            if matches!(p, b'-' | b'_' | b'+') {
                if lq != b'.' {
                    canon.push(b'.');
                }
            } else if (isndig(lp) && isdig(p)) || (isdig(lp) && isndig(p)) {
                if lq != b'.' {
                    canon.push(b'.');
                }
                canon.push(p);
            } else if !p.is_ascii_alphanumeric() {
                if lq != b'.' {
                    canon.push(b'.');
                }
            } else {
                canon.push(p);
            }
            lp = p;
        }
    }
    canon
        .split(|&c| c == b'.')
        .map(|e| match e.first() {
            Some(c) if c.is_ascii_digit() => Elem(4, strtol(e)),
            _ => Elem(special_rank(e), 0),
        })
        .collect()
}

/// C `strtol` on a digit string: saturates at `i64::MAX`.
fn strtol(e: &[u8]) -> i64 {
    let mut v: i64 = 0;
    for &c in e.iter().take_while(|c| c.is_ascii_digit()) {
        v = v.saturating_mul(10).saturating_add(i64::from(c - b'0'));
    }
    v
}

/// `compare_special_version_forms`: the first special form the element
/// starts with.
fn special_rank(e: &[u8]) -> i8 {
    const FORMS: [(&[u8], i8); 10] = [
        (b"dev", 0),
        (b"alpha", 1),
        (b"a", 1),
        (b"beta", 2),
        (b"b", 2),
        (b"RC", 3),
        (b"rc", 3),
        (b"#", 4),
        (b"pl", 5),
        (b"p", 5),
    ];
    FORMS
        .iter()
        .find(|(f, _)| e.starts_with(f))
        .map_or(-1, |&(_, r)| r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Option<String> {
        normalize(s)
    }

    fn v(s: &str) -> Version {
        parse(s).unwrap()
    }

    #[test]
    fn normalize_like_composer() {
        for (input, want) in [
            ("1.0.0", "1.0.0.0"),
            ("1.2.3.4", "1.2.3.4"),
            ("v1.0.0", "1.0.0.0"),
            ("1.2", "1.2.0.0"),
            ("0.1", "0.1.0.0"),
            ("1.0.0-alpha1", "1.0.0.0-alpha1"),
            ("1.0.0-a1", "1.0.0.0-alpha1"),
            ("1.0.0-b2", "1.0.0.0-beta2"),
            ("1.0.0-rc2", "1.0.0.0-RC2"),
            ("1.0.0-RC.2", "1.0.0.0-RC2"),
            ("1.0.0-pl3", "1.0.0.0-patch3"),
            ("1.0.0-p", "1.0.0.0-patch"),
            ("1.0.0-patch1", "1.0.0.0-patch1"),
            ("1.0.0-stable", "1.0.0.0"),
            ("1.0.0-beta.5-dev", "1.0.0.0-beta5-dev"),
            ("1.0-dev", "1.0.0.0-dev"),
            ("2010-01-02", "2010.01.02"),
            ("20100102", "20100102"),
            ("2010.01.02.5", "2010.01.02.5"),
            ("1.x-dev", "1.9999999.9999999.9999999-dev"),
            ("1.2.*-dev", "1.2.9999999.9999999-dev"),
            ("v2.0.x-dev", "2.0.9999999.9999999-dev"),
            ("dev-master", "dev-master"),
            ("master", "dev-master"),
            ("DEV-Feature/X", "dev-Feature/X"),
            ("1.0.0+build.1", "1.0.0.0"),
            ("1.0.0@dev", "1.0.0.0"),
            ("1.0.0 as 2.0.0", "1.0.0.0"),
            (" 1.0.0 ", "1.0.0.0"),
            ("01.02", "01.02.0.0"),
            ("123456.0", "123456.0"),
        ] {
            assert_eq!(n(input).as_deref(), Some(want), "{input:?}");
        }
        for bad in [
            "",
            "foo",
            "1.0.0.0.0",
            "1234567.0",
            "1.0-1",
            "feature-dev",
            "1.0.0-gamma",
        ] {
            assert_eq!(n(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn ordering_like_version_compare() {
        let chain = [
            "dev-aaa",
            "dev-master",
            "1.0.0-dev",
            "1.0.0-alpha1",
            "1.0.0-beta",
            "1.0.0-beta2",
            "1.0.0-RC1",
            "1.0.0",
            "1.0.0-patch1",
            "1.0.1",
            "1.x-dev",
            "2010-01-02",
        ];
        for w in chain.windows(2) {
            assert!(v(w[0]) < v(w[1]), "{} < {}", w[0], w[1]);
        }
        assert_eq!(v("1.0"), v("1.0.0.0"));
        assert_eq!(v("v1.0.0-a1"), v("1.0.0-alpha1"));
        assert_eq!(v("1.0.0-alpha1"), v("1.0.0-alpha.1"));
        // strtol saturation, as in PHP
        assert_eq!(v("1.99999999999999999999"), v("1.99999999999999999998"));
        assert!(v("dev-master").is_branch());
        assert_eq!(v("master").normalized(), "dev-master");
    }
}
