//! The project's policy file, `patchloop.toml`.
//!
//! Issue #4 brings the ignore rules; context, SLA and approvals come with
//! later stages. Tables this module does not own (`[feeds]`, `[project]`,
//! and tables of later stages) are left to their readers; every key of an
//! `[[ignore]]` entry is checked, and a problem is reported with the file,
//! line and key.
//!
//! ```toml
//! [[ignore]]
//! id = "RUSTSEC-2020-0071"         # the advisory id or any alias (CVE, GHSA)
//! package = "time"                  # optional: only this package
//! reason = "we never call localtime_r: see #412"
//! expires = 2027-03-31              # last day the rule applies (TOML date or "YYYY-MM-DD")
//! ```

use std::ops::Range;
use std::path::Path;

use serde::Deserialize;

/// A problem with the policy file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct PolicyError {
    pub path: String,
    pub line: Option<u32>,
    pub message: String,
}

/// One ignore rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreRule {
    /// The vulnerability id or alias.
    pub id: String,
    /// Only findings in this package (name compared case-insensitively).
    pub package: Option<String>,
    pub reason: String,
    /// `YYYY-MM-DD`, the last day the rule applies.
    pub expires: String,
    /// `file:line` of the rule.
    pub rule: String,
}

impl IgnoreRule {
    /// Has the rule expired on `today` (`YYYY-MM-DD`)?
    pub fn expired(&self, today: &str) -> bool {
        today > self.expires.as_str()
    }

    /// Does the rule name this finding?
    pub fn matches<'a>(&self, mut ids: impl Iterator<Item = &'a str>, package: &str) -> bool {
        let pkg_ok = self
            .package
            .as_deref()
            .is_none_or(|p| p.eq_ignore_ascii_case(package));
        pkg_ok && ids.any(|i| i.eq_ignore_ascii_case(&self.id))
    }
}

/// The policy of one project.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// The file it was read from (empty for the default policy).
    pub path: String,
    pub ignores: Vec<IgnoreRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    id: Option<toml::Spanned<String>>,
    package: Option<toml::Spanned<String>>,
    reason: Option<toml::Spanned<String>>,
    expires: Option<toml::Spanned<toml::Value>>,
}

#[derive(Deserialize)]
struct RawFile {
    #[serde(default)]
    ignore: Option<toml::Spanned<Vec<toml::Spanned<RawIgnore>>>>,
}

fn line_of(text: &str, offset: usize) -> u32 {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count() as u32
        + 1
}

/// A calendar date `YYYY-MM-DD` with a real month and day.
fn valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok());
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

impl Policy {
    /// Read `path`; a missing file is `Ok(None)`.
    pub fn load(path: &Path) -> Result<Option<Policy>, PolicyError> {
        let display = path.display().to_string();
        let text = match std::fs::read(path) {
            Ok(b) => String::from_utf8(b).map_err(|e| PolicyError {
                path: display.clone(),
                line: None,
                message: format!("not UTF-8: {e}"),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(PolicyError {
                    path: display,
                    line: None,
                    message: e.to_string(),
                });
            }
        };
        Policy::parse(&display, &text).map(Some)
    }

    /// Parse the policy text of the file `display`.
    pub fn parse(display: &str, text: &str) -> Result<Policy, PolicyError> {
        let err = |line: Option<u32>, message: String| PolicyError {
            path: display.to_string(),
            line,
            message,
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            err(line, e.message().trim().to_string())
        })?;
        let mut ignores = Vec::new();
        for entry in raw.ignore.map(|v| v.into_inner()).unwrap_or_default() {
            let at = line_of(text, entry.span().start);
            let e = entry.into_inner();
            let need = |f: Option<toml::Spanned<String>>,
                        key: &str|
             -> Result<String, PolicyError> {
                match f {
                    Some(v) if !v.get_ref().trim().is_empty() => {
                        Ok(v.into_inner().trim().to_string())
                    }
                    Some(v) => Err(err(
                        Some(line_of(text, v.span().start)),
                        format!("[[ignore]] `{key}` must not be empty"),
                    )),
                    None => Err(err(
                        Some(at),
                        format!(
                            "[[ignore]] entry has no `{key}` (id, reason and expires are required)"
                        ),
                    )),
                }
            };
            let id = need(e.id, "id")?;
            let reason = need(e.reason, "reason")?;
            let expires = match e.expires {
                None => {
                    return Err(err(
                        Some(at),
                        "[[ignore]] entry has no `expires` (id, reason and expires are required)"
                            .into(),
                    ));
                }
                Some(v) => {
                    let line = line_of(text, v.span().start);
                    let s = match v.into_inner() {
                        toml::Value::String(s) => s,
                        toml::Value::Datetime(d) if d.time.is_none() && d.offset.is_none() => {
                            d.to_string()
                        }
                        other => {
                            return Err(err(
                                Some(line),
                                format!(
                                    "[[ignore]] `expires` must be a date YYYY-MM-DD, not {other}"
                                ),
                            ));
                        }
                    };
                    if !valid_date(&s) {
                        return Err(err(
                            Some(line),
                            format!("[[ignore]] `expires` {s:?} is not a date YYYY-MM-DD"),
                        ));
                    }
                    s
                }
            };
            let package = match e.package {
                Some(p) if p.get_ref().trim().is_empty() => {
                    return Err(err(
                        Some(line_of(text, p.span().start)),
                        "[[ignore]] `package` must not be empty".into(),
                    ));
                }
                p => p.map(|p| p.into_inner().trim().to_string()),
            };
            ignores.push(IgnoreRule {
                id,
                package,
                reason,
                expires,
                rule: format!("{display}:{at}"),
            });
        }
        Ok(Policy {
            path: display.to_string(),
            ignores,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rules_with_lines() {
        let t = "[project]\nname = \"x\"\n\n[[ignore]]\nid = \"RUSTSEC-2020-0071\"\npackage = \"time\"\nreason = \"not reachable\"\nexpires = 2027-03-31\n\n[[ignore]]\nid = \"CVE-2024-1\"\nreason = \"r\"\nexpires = \"2026-02-28\"\n";
        let p = Policy::parse("patchloop.toml", t).unwrap();
        assert_eq!(p.ignores.len(), 2);
        assert_eq!(p.ignores[0].rule, "patchloop.toml:4");
        assert_eq!(p.ignores[0].expires, "2027-03-31");
        assert_eq!(p.ignores[1].rule, "patchloop.toml:10");
        assert!(p.ignores[1].expired("2026-03-01"));
        assert!(!p.ignores[1].expired("2026-02-28"));
        assert!(p.ignores[0].matches(["X", "rustsec-2020-0071"].into_iter(), "Time"));
        assert!(!p.ignores[0].matches(["RUSTSEC-2020-0071"].into_iter(), "chrono"));
    }

    #[test]
    fn errors_name_line_and_key() {
        let e = Policy::parse(
            "p.toml",
            "[[ignore]]\nid = \"X\"\nreason = \"r\"\nexpires = 2026-01-01\nreasn = \"typo\"\n",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(5), "{e}");
        assert!(e.message.contains("reasn"), "{e}");
        let e =
            Policy::parse("p.toml", "[[ignore]]\nid = \"X\"\nexpires = 2026-01-01\n").unwrap_err();
        assert!(e.message.contains("reason"), "{e}");
        assert_eq!(e.line, Some(1));
        let e = Policy::parse(
            "p.toml",
            "[[ignore]]\nid = \"X\"\nreason = \"r\"\nexpires = \"2026-02-30\"\n",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(4));
        let e = Policy::parse(
            "p.toml",
            "[[ignore]]\nid = \"X\"\nreason = \"r\"\nexpires = 2026-02-01T10:00:00Z\n",
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("p.toml:4: "), "{e}");
        let e = Policy::parse(
            "p.toml",
            "[[ignore]]\nid = \"\"\nreason = \"r\"\nexpires = 2026-01-01\n",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(2));
        let e = Policy::parse("p.toml", "ignore = [\n").unwrap_err();
        assert!(e.line.is_some());
        assert!(Policy::parse("p.toml", "").unwrap().ignores.is_empty());
    }
}
