//! Version requirements of the SemVer ecosystems: does a dependency
//! requirement written by a package allow a version? Used by fix
//! planning to decide whether a lockfile-only update reaches a fixed
//! version or the parent has to be bumped.
//!
//! Two flavours with their own rules:
//! - **Cargo** (`^1.2`, `~1.2`, `=1.2.3`, `>=1.2, <2`, `1.*`, `*`; a bare
//!   version means caret; comparators are joined by commas).
//! - **npm** (node-semver ranges: `^1.2.3`, `~1.2`, `1.x`, `>=1 <2`,
//!   `1.2.3 - 2.3.4`, `a || b`, `*`, `""`; a bare version means exactly that
//!   version; comparators are joined by spaces).
//!
//! Pre-releases follow both tools: a pre-release version is allowed only by
//! a comparator set naming a pre-release of the same `major.minor.patch`.

use crate::semver::{Version, parse};

/// Which tool's requirement syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Cargo,
    Npm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone)]
struct Comparator {
    op: Op,
    v: Version,
}

/// A parsed requirement: alternatives (`||`) of comparator sets (AND).
#[derive(Debug, Clone)]
pub struct Requirement {
    sets: Vec<Vec<Comparator>>,
}

/// A requirement could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("requirement {req:?}: {reason}")]
pub struct ReqError {
    pub req: String,
    pub reason: String,
}

/// A partial version `1`, `1.2`, `1.2.3-pre`, with `x`/`*` wildcards.
struct Partial {
    major: Option<u64>,
    minor: Option<u64>,
    patch: Option<u64>,
    /// The full version when all three parts are given.
    full: Option<Version>,
}

fn partial(s: &str) -> Result<Partial, String> {
    let s = s.trim().trim_start_matches(['v', 'V', '=']);
    if s.is_empty() || s == "*" || s.eq_ignore_ascii_case("x") {
        return Ok(Partial {
            major: None,
            minor: None,
            patch: None,
            full: None,
        });
    }
    let core = s.split(['-', '+']).next().unwrap_or(s);
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() > 3 {
        return Err(format!("{s:?} has more than three parts"));
    }
    let num = |i: usize| -> Result<Option<u64>, String> {
        match parts.get(i) {
            None => Ok(None),
            Some(p) if *p == "*" || p.eq_ignore_ascii_case("x") => Ok(None),
            Some(p) => p
                .parse::<u64>()
                .map(Some)
                .map_err(|_| format!("{p:?} is not a number")),
        }
    };
    let (major, minor, patch) = (num(0)?, num(1)?, num(2)?);
    if major.is_none() && (minor.is_some() || patch.is_some()) || minor.is_none() && patch.is_some()
    {
        return Err(format!("{s:?}: a wildcard before a number"));
    }
    let full = if patch.is_some() {
        Some(parse(s).map_err(|e| e.to_string())?)
    } else {
        None
    };
    Ok(Partial {
        major,
        minor,
        patch,
        full,
    })
}

fn v(major: u64, minor: u64, patch: u64) -> Version {
    // A plain release always parses.
    parse(&format!("{major}.{minor}.{patch}")).unwrap_or_else(|_| unreachable!())
}

/// Lowest pre-release of a version: `1.2.3-0`.
fn v0(major: u64, minor: u64, patch: u64) -> Version {
    parse(&format!("{major}.{minor}.{patch}-0")).unwrap_or_else(|_| unreachable!())
}

fn cmp(op: Op, v: Version) -> Comparator {
    Comparator { op, v }
}

/// The comparators of one operator + partial version.
fn expand(op: &str, p: &Partial, out: &mut Vec<Comparator>) -> Result<(), String> {
    let (ma, mi, pa) = (p.major, p.minor, p.patch);
    match op {
        "^" => match (ma, mi, pa) {
            (None, _, _) => {}
            (Some(a), None, _) => {
                out.push(cmp(Op::Ge, v(a, 0, 0)));
                out.push(cmp(Op::Lt, v0(a + 1, 0, 0)));
            }
            (Some(a), Some(b), None) => {
                out.push(cmp(Op::Ge, v(a, b, 0)));
                out.push(cmp(
                    Op::Lt,
                    if a > 0 {
                        v0(a + 1, 0, 0)
                    } else {
                        v0(0, b + 1, 0)
                    },
                ));
            }
            (Some(a), Some(b), Some(c)) => {
                let full = p.full.clone().unwrap_or_else(|| v(a, b, c));
                out.push(cmp(Op::Ge, full));
                out.push(cmp(
                    Op::Lt,
                    if a > 0 {
                        v0(a + 1, 0, 0)
                    } else if b > 0 {
                        v0(0, b + 1, 0)
                    } else {
                        v0(0, 0, c + 1)
                    },
                ));
            }
        },
        "~" => match (ma, mi, pa) {
            (None, _, _) => {}
            (Some(a), None, _) => {
                out.push(cmp(Op::Ge, v(a, 0, 0)));
                out.push(cmp(Op::Lt, v0(a + 1, 0, 0)));
            }
            (Some(a), Some(b), _) => {
                let lo = p.full.clone().unwrap_or_else(|| v(a, b, pa.unwrap_or(0)));
                out.push(cmp(Op::Ge, lo));
                out.push(cmp(Op::Lt, v0(a, b + 1, 0)));
            }
        },
        "=" | "" => match (ma, mi, pa) {
            (None, _, _) => {}
            (Some(a), None, _) => {
                out.push(cmp(Op::Ge, v(a, 0, 0)));
                out.push(cmp(Op::Lt, v0(a + 1, 0, 0)));
            }
            (Some(a), Some(b), None) => {
                out.push(cmp(Op::Ge, v(a, b, 0)));
                out.push(cmp(Op::Lt, v0(a, b + 1, 0)));
            }
            (Some(a), Some(b), Some(c)) => {
                out.push(cmp(Op::Eq, p.full.clone().unwrap_or_else(|| v(a, b, c))));
            }
        },
        ">" => match (ma, mi, pa) {
            (None, _, _) => out.push(cmp(Op::Lt, v0(0, 0, 0))),
            (Some(a), None, _) => out.push(cmp(Op::Ge, v(a + 1, 0, 0))),
            (Some(a), Some(b), None) => out.push(cmp(Op::Ge, v(a, b + 1, 0))),
            (Some(a), Some(b), Some(c)) => {
                out.push(cmp(Op::Gt, p.full.clone().unwrap_or_else(|| v(a, b, c))))
            }
        },
        ">=" => match (ma, mi, pa) {
            (None, _, _) => {}
            (Some(a), None, _) => out.push(cmp(Op::Ge, v(a, 0, 0))),
            (Some(a), Some(b), None) => out.push(cmp(Op::Ge, v(a, b, 0))),
            (Some(a), Some(b), Some(c)) => {
                out.push(cmp(Op::Ge, p.full.clone().unwrap_or_else(|| v(a, b, c))))
            }
        },
        "<" => match (ma, mi, pa) {
            (None, _, _) => out.push(cmp(Op::Lt, v0(0, 0, 0))),
            (Some(a), None, _) => out.push(cmp(Op::Lt, v0(a, 0, 0))),
            (Some(a), Some(b), None) => out.push(cmp(Op::Lt, v0(a, b, 0))),
            (Some(a), Some(b), Some(c)) => {
                out.push(cmp(Op::Lt, p.full.clone().unwrap_or_else(|| v(a, b, c))))
            }
        },
        "<=" => match (ma, mi, pa) {
            (None, _, _) => {}
            (Some(a), None, _) => out.push(cmp(Op::Lt, v0(a + 1, 0, 0))),
            (Some(a), Some(b), None) => out.push(cmp(Op::Lt, v0(a, b + 1, 0))),
            (Some(a), Some(b), Some(c)) => {
                out.push(cmp(Op::Le, p.full.clone().unwrap_or_else(|| v(a, b, c))))
            }
        },
        other => return Err(format!("unknown operator {other:?}")),
    }
    Ok(())
}

/// Split `>=1.2` into (`>=`, `1.2`).
fn split_op(s: &str) -> (&str, &str) {
    for op in [">=", "<=", ">", "<", "=", "^", "~"] {
        if let Some(rest) = s.strip_prefix(op) {
            // `~>` is Ruby's; npm reads `~>` as `~`.
            let rest = rest.strip_prefix('>').filter(|_| op == "~").unwrap_or(rest);
            return (op, rest.trim());
        }
    }
    ("", s)
}

impl Requirement {
    pub fn parse(flavor: Flavor, req: &str) -> Result<Requirement, ReqError> {
        let err = |reason: String| ReqError {
            req: req.chars().take(200).collect(),
            reason,
        };
        let mut sets = Vec::new();
        let alternatives: Vec<&str> = match flavor {
            Flavor::Cargo => vec![req],
            Flavor::Npm => req.split("||").collect(),
        };
        for alt in alternatives {
            let alt = alt.trim();
            let mut set = Vec::new();
            match flavor {
                Flavor::Cargo => {
                    if alt.is_empty() {
                        return Err(err("empty requirement".into()));
                    }
                    for c in alt.split(',') {
                        let c = c.trim();
                        let (op, rest) = split_op(c);
                        let op = if op.is_empty() { "^" } else { op };
                        let p = partial(rest).map_err(err)?;
                        expand(op, &p, &mut set).map_err(err)?;
                    }
                }
                Flavor::Npm => {
                    // Hyphen range `a - b`.
                    if let Some((lo, hi)) = alt.split_once(" - ") {
                        let lo = partial(lo).map_err(err)?;
                        let hi = partial(hi).map_err(err)?;
                        expand(">=", &lo, &mut set).map_err(err)?;
                        expand("<=", &hi, &mut set).map_err(err)?;
                    } else {
                        // Operators may be separated from versions by spaces.
                        let mut tokens = alt.split_whitespace().peekable();
                        while let Some(t) = tokens.next() {
                            let t = if matches!(t, ">=" | "<=" | ">" | "<" | "=" | "^" | "~") {
                                match tokens.next() {
                                    Some(n) => format!("{t}{n}"),
                                    None => {
                                        return Err(err(format!("operator {t} without a version")));
                                    }
                                }
                            } else {
                                t.to_string()
                            };
                            let (op, rest) = split_op(&t);
                            let p = partial(rest).map_err(err)?;
                            expand(op, &p, &mut set).map_err(err)?;
                        }
                    }
                }
            }
            sets.push(set);
        }
        Ok(Requirement { sets })
    }

    /// Does the requirement allow `version`?
    pub fn matches(&self, version: &Version) -> bool {
        self.sets.iter().any(|set| {
            let ok = set.iter().all(|c| {
                let o = version.cmp(&c.v);
                match c.op {
                    Op::Eq => o.is_eq(),
                    Op::Gt => o.is_gt(),
                    Op::Ge => o.is_ge(),
                    Op::Lt => o.is_lt(),
                    Op::Le => o.is_le(),
                }
            });
            // A pre-release needs a comparator with a pre-release of the
            // same major.minor.patch (both tools' rule); the `-0` bounds
            // this module adds itself do not count.
            ok && (!version.is_prerelease()
                || set.iter().any(|c| {
                    c.v.is_prerelease()
                        && !c.v.to_string().ends_with("-0")
                        && (c.v.major(), c.v.minor(), c.v.patch())
                            == (version.major(), version.minor(), version.patch())
                }))
        })
    }
}

/// Parse `req` and check `version` in one call.
pub fn allows(flavor: Flavor, req: &str, version: &str) -> Result<bool, ReqError> {
    let r = Requirement::parse(flavor, req)?;
    let v = parse(version).map_err(|e| ReqError {
        req: req.to_string(),
        reason: e.to_string(),
    })?;
    Ok(r.matches(&v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(req: &str, v: &str) -> bool {
        allows(Flavor::Cargo, req, v).unwrap()
    }
    fn n(req: &str, v: &str) -> bool {
        allows(Flavor::Npm, req, v).unwrap()
    }

    #[test]
    fn cargo_requirements() {
        assert!(c("1.2.3", "1.9.0"));
        assert!(!c("1.2.3", "2.0.0"));
        assert!(!c("1.2.3", "1.2.2"));
        assert!(c("0.3", "0.3.9"));
        assert!(!c("0.3", "0.4.0"));
        assert!(c("0.0.3", "0.0.3"));
        assert!(!c("0.0.3", "0.0.4"));
        assert!(c("~1.2", "1.2.9"));
        assert!(!c("~1.2", "1.3.0"));
        assert!(c(">=1.2, <1.5", "1.4.9"));
        assert!(!c(">=1.2, <1.5", "1.5.0"));
        assert!(c("=1.2.3", "1.2.3"));
        assert!(!c("=1.2.3", "1.2.4"));
        assert!(c("1.*", "1.8.0"));
        assert!(c("*", "9.0.0"));
        assert!(!c("^1.2", "1.3.0-rc.1"));
        assert!(c(">=1.3.0-rc.1", "1.3.0-rc.2"));
        assert!(allows(Flavor::Cargo, "", "1.0.0").is_err());
        assert!(allows(Flavor::Cargo, "1.x.3", "1.0.0").is_err());
    }

    #[test]
    fn npm_ranges() {
        assert!(n("^4.17.1", "4.17.3"));
        assert!(!n("^4.17.1", "5.0.0"));
        assert!(n("~6.5.2", "6.5.3"));
        assert!(!n("~6.5.2", "6.6.0"));
        assert!(n("6.5.2", "6.5.2"));
        assert!(!n("6.5.2", "6.5.3"));
        assert!(n("1.x", "1.9.9"));
        assert!(n(">= 1.2.0 < 2", "1.5.0"));
        assert!(!n(">=1.2.0 <2", "2.0.0"));
        assert!(n("1.2.3 - 2.3.4", "2.3.4"));
        assert!(!n("1.2.3 - 2.3", "2.4.0"));
        assert!(n("^1.0.0 || ^2.0.0", "2.1.0"));
        assert!(n("*", "3.0.0"));
        assert!(n("", "3.0.0"));
        assert!(!n("^1.0.0", "1.1.0-beta.1"));
        assert!(n("^1.1.0-beta.0", "1.1.0-beta.1"));
        assert!(n("~> 1.2", "1.2.5"));
        assert!(allows(Flavor::Npm, ">=", "1.0.0").is_err());
    }
}
