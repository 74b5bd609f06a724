//! Just enough PEP 440 to choose, among several locked versions of one
//! name, the ones a dependency's constraint allows (poetry.lock and
//! pdm.lock name dependencies without saying which locked copy they mean).
//!
//! Understands PEP 440 specifiers (`>=1,<2`, `~=1.4`, `==1.2.*`, `!=`,
//! `===`) and Poetry constraints (`^1.2`, `~1.2`, `1.2.3`, `*`, `a || b`,
//! space-separated clauses). Anything it cannot read gives `None`, and the
//! caller then keeps every candidate.

use std::cmp::Ordering;

/// A parsed version. The local part (`+abc`) is ignored.
#[derive(Debug, Clone)]
pub(crate) struct Version {
    epoch: u64,
    release: Vec<u64>,
    /// (phase, number): phase 0 = a, 1 = b, 2 = rc.
    pre: Option<(u8, u64)>,
    post: Option<u64>,
    dev: Option<u64>,
}

/// (epoch, release without trailing zeros, pre, post, dev), in PEP 440
/// order.
type SortKey<'a> = (u64, &'a [u64], (i8, u64), (u8, u64), (u8, u64));

/// Most release segments accepted (keeps hostile input cheap).
const MAX_SEGMENTS: usize = 32;

impl Version {
    pub(crate) fn parse(s: &str) -> Option<Version> {
        let s = s.trim().to_ascii_lowercase();
        let s = s.strip_prefix('v').unwrap_or(&s);
        let s = s.split('+').next().unwrap_or("");
        let (epoch, rest) = match s.split_once('!') {
            Some((e, r)) => (e.parse().ok()?, r),
            None => (0, s),
        };
        let mut c = Cursor {
            s: rest.as_bytes(),
            i: 0,
        };
        let mut release = vec![c.number()?];
        while c.peek() == Some(b'.') && c.peek_at(1).is_some_and(|b| b.is_ascii_digit()) {
            c.i += 1;
            release.push(c.number()?);
            if release.len() > MAX_SEGMENTS {
                return None;
            }
        }
        let mut pre = None;
        let mut post = None;
        let mut dev = None;
        // Pre-release.
        let save = c.i;
        c.separator();
        if let Some(phase) = c.word(&[
            ("alpha", 0),
            ("beta", 1),
            ("preview", 2),
            ("pre", 2),
            ("rc", 2),
            ("a", 0),
            ("b", 1),
            ("c", 2),
        ]) {
            c.separator();
            pre = Some((phase, c.number().unwrap_or(0)));
        } else {
            c.i = save;
        }
        // Post-release: `.post1`, `-1`, `.r1`, `rev1`.
        let save = c.i;
        if c.peek() == Some(b'-') && c.peek_at(1).is_some_and(|b| b.is_ascii_digit()) {
            c.i += 1;
            post = Some(c.number()?);
        } else {
            c.separator();
            if c.word(&[("post", 0), ("rev", 0), ("r", 0)]).is_some() {
                c.separator();
                post = Some(c.number().unwrap_or(0));
            } else {
                c.i = save;
            }
        }
        // Development release.
        let save = c.i;
        c.separator();
        if c.word(&[("dev", 0)]).is_some() {
            c.separator();
            dev = Some(c.number().unwrap_or(0));
        } else {
            c.i = save;
        }
        if c.i != c.s.len() {
            return None;
        }
        Some(Version {
            epoch,
            release,
            pre,
            post,
            dev,
        })
    }

    fn trimmed_release(&self) -> &[u64] {
        let mut n = self.release.len();
        while n > 1 && self.release[n - 1] == 0 {
            n -= 1;
        }
        &self.release[..n]
    }

    fn key(&self) -> SortKey<'_> {
        let pre = match (self.pre, self.post, self.dev) {
            (Some((p, n)), _, _) => (p as i8, n),
            // 1.0.dev1 sorts before 1.0a1.
            (None, None, Some(_)) => (-1, 0),
            _ => (3, 0),
        };
        let post = match self.post {
            Some(n) => (1, n),
            None => (0, 0),
        };
        let dev = match self.dev {
            Some(n) => (0, n),
            None => (1, 0),
        };
        (self.epoch, self.trimmed_release(), pre, post, dev)
    }

    fn release_only(release: Vec<u64>) -> Version {
        Version {
            epoch: 0,
            release,
            pre: None,
            post: None,
            dev: None,
        }
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Version {}
impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn peek_at(&self, k: usize) -> Option<u8> {
        self.s.get(self.i + k).copied()
    }
    fn number(&mut self) -> Option<u64> {
        let start = self.i;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
        std::str::from_utf8(self.s.get(start..self.i)?)
            .ok()?
            .parse()
            .ok()
    }
    fn separator(&mut self) {
        if matches!(self.peek(), Some(b'.' | b'-' | b'_')) {
            self.i += 1;
        }
    }
    fn word(&mut self, words: &[(&str, u8)]) -> Option<u8> {
        let rest = self.s.get(self.i..)?;
        for (w, v) in words {
            if rest.starts_with(w.as_bytes()) {
                self.i += w.len();
                return Some(*v);
            }
        }
        None
    }
}

/// Does `version` satisfy `constraint`? `None` when either cannot be read.
pub(crate) fn matches(constraint: &str, version: &str) -> Option<bool> {
    let v = Version::parse(version);
    let compact: String = constraint.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Some(true);
    }
    let mut any = false;
    for alt in compact.split('|').filter(|a| !a.is_empty()) {
        let mut all = true;
        for clause in clauses(alt)? {
            if !clause_matches(&clause, &v, version)? {
                all = false;
            }
        }
        any |= all;
    }
    Some(any)
}

struct Clause<'a> {
    op: &'a str,
    version: &'a str,
}

/// Split `>=1.0,<2.0` or `>=1.0<2.0` (whitespace already removed) into
/// clauses.
fn clauses(s: &str) -> Option<Vec<Clause<'_>>> {
    const OPS: [&str; 11] = ["===", "~=", "==", "!=", "<=", ">=", "<", ">", "^", "~", "="];
    let mut out = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        rest = rest.trim_start_matches(',');
        if rest.is_empty() {
            break;
        }
        let op = OPS
            .iter()
            .find(|op| rest.starts_with(**op))
            .copied()
            .unwrap_or("");
        rest = &rest[op.len()..];
        let mut end = rest.len();
        for (i, c) in rest.char_indices() {
            let stop = match c {
                ',' | '<' | '>' | '=' | '~' | '^' => true,
                '!' => rest[i + 1..].starts_with('='),
                _ => false,
            };
            if stop {
                end = i;
                break;
            }
        }
        let version = &rest[..end];
        if version.is_empty() {
            return None;
        }
        out.push(Clause { op, version });
        rest = &rest[end..];
        if out.len() > 64 {
            return None;
        }
    }
    Some(out)
}

fn clause_matches(c: &Clause, v: &Option<Version>, raw: &str) -> Option<bool> {
    if c.version == "*" {
        return Some(true);
    }
    if c.op == "===" {
        return Some(c.version.eq_ignore_ascii_case(raw.trim()));
    }
    let v = v.as_ref()?;
    if let Some(prefix) = c.version.strip_suffix(".*") {
        let want = Version::parse(prefix)?;
        let hit = v.epoch == want.epoch && prefix_match(&v.release, &want.release);
        return match c.op {
            "" | "==" | "=" => Some(hit),
            "!=" => Some(!hit),
            _ => None,
        };
    }
    let want = Version::parse(c.version)?;
    let r = match c.op {
        "" | "==" | "=" => *v == want,
        "!=" => *v != want,
        "<=" => *v <= want,
        ">=" => *v >= want,
        "<" => *v < want,
        ">" => *v > want,
        "~=" => {
            let n = want.release.len();
            if n < 2 {
                return None;
            }
            *v >= want && v.epoch == want.epoch && prefix_match(&v.release, &want.release[..n - 1])
        }
        "^" => {
            let r = &want.release;
            let i = r.iter().position(|x| *x != 0).unwrap_or(r.len() - 1);
            *v >= want && *v < Version::release_only(bump(r, i)?)
        }
        "~" => {
            let r = &want.release;
            let i = if r.len() >= 2 { 1 } else { 0 };
            *v >= want && *v < Version::release_only(bump(r, i)?)
        }
        _ => return None,
    };
    Some(r)
}

/// `release[..=i]` with segment `i` incremented.
fn bump(release: &[u64], i: usize) -> Option<Vec<u64>> {
    let mut out = release.get(..=i)?.to_vec();
    let last = out.last_mut()?;
    *last = last.checked_add(1)?;
    Some(out)
}

/// `release` starts with `prefix` (missing segments of `release` are 0).
fn prefix_match(release: &[u64], prefix: &[u64]) -> bool {
    prefix
        .iter()
        .enumerate()
        .all(|(i, p)| release.get(i).copied().unwrap_or(0) == *p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn ordering() {
        let order = [
            "1.0.dev1",
            "1.0a1",
            "1.0a2.dev1",
            "1.0a2",
            "1.0b1",
            "1.0rc1",
            "1.0",
            "1.0.post1",
            "1.1",
            "2!0.1",
        ];
        for w in order.windows(2) {
            assert!(v(w[0]) < v(w[1]), "{} < {}", w[0], w[1]);
        }
        assert_eq!(v("1.0"), v("1.0.0"));
        assert_eq!(v("v1.0-1"), v("1.0.post1"));
        assert_eq!(v("1.0+local"), v("1.0"));
        assert!(Version::parse("abc").is_none());
        assert!(Version::parse("1.0xyz").is_none());
        assert!(Version::parse("99999999999999999999999").is_none());
    }

    #[test]
    fn specifiers() {
        assert_eq!(matches(">=4.0.0,<6.0.0", "5.0.0"), Some(true));
        assert_eq!(matches(">=4.0.0,<6.0.0", "8.5.0"), Some(false));
        assert_eq!(matches(">=4.0.0", "8.5.0"), Some(true));
        assert_eq!(matches("~=1.4", "1.9"), Some(true));
        assert_eq!(matches("~=1.4.2", "1.5"), Some(false));
        assert_eq!(matches("==1.2.*", "1.2.9"), Some(true));
        assert_eq!(matches("!=1.2.*", "1.2.9"), Some(false));
        assert_eq!(matches("*", "0.1"), Some(true));
        assert_eq!(matches("", "0.1"), Some(true));
        assert_eq!(matches("===foo", "foo"), Some(true));
        assert_eq!(matches("<4,>=2", "3.3"), Some(true));
        assert_eq!(matches(">=3.5,<3.7.3 || >3.7.3", "3.7.3"), Some(false));
        assert_eq!(matches(">=3.5,<3.7.3 || >3.7.3", "3.8"), Some(true));
        assert_eq!(matches(">= 1.0 < 2.0", "1.5"), Some(true));
        assert_eq!(matches("garbage!", "1.0"), None);
    }

    #[test]
    fn poetry_constraints() {
        assert_eq!(matches("^1.2.3", "1.9"), Some(true));
        assert_eq!(matches("^1.2.3", "2.0"), Some(false));
        assert_eq!(matches("^0.2.3", "0.2.9"), Some(true));
        assert_eq!(matches("^0.2.3", "0.3.0"), Some(false));
        assert_eq!(matches("^0.0.3", "0.0.4"), Some(false));
        assert_eq!(matches("^0", "0.9"), Some(true));
        assert_eq!(matches("~1.2", "1.2.7"), Some(true));
        assert_eq!(matches("~1.2", "1.3"), Some(false));
        assert_eq!(matches("~1", "1.9"), Some(true));
        assert_eq!(matches("1.2.3", "1.2.3"), Some(true));
        assert_eq!(matches("1.2.*", "1.2.3"), Some(true));
    }
}
