//! OSV range evaluation: is a package version affected by one `affected`
//! entry of an OSV record?
//!
//! Follows the OSV schema's evaluation rules:
//! - `versions`: an explicit list; a listed version is affected.
//! - `SEMVER` ranges use SemVer ordering whatever the ecosystem;
//!   `ECOSYSTEM` ranges use the ecosystem's own ordering; `GIT` ranges (and
//!   unknown range types) never match a package version.
//! - Events are evaluated in version order (in any order in the record):
//!   `introduced` (`"0"` = from the beginning) starts an affected interval,
//!   `fixed` ends it (exclusive), `last_affected` ends it (inclusive),
//!   `limit` caps the range (versions at or above it are not affected by
//!   that range). Events at equal versions are applied in the record's
//!   order (a stable sort), so abutting intervals written as `fixed 3.1.1`
//!   then `introduced 3.1.1` (PYSEC-2022-236) stay contiguous, and
//!   `introduced 1.0` then `fixed 1.0` is empty.
//! - Several ranges: affected when any range says so.
//!
//! Version strings that the scheme cannot parse are reported, never
//! guessed: the caller gets an [`EvalError`] naming the bad string.

use std::cmp::Ordering;

use patchloop_model::{Affected, Event, RangeType};

use crate::{Scheme, Version, VersionError};

/// A range or version list could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error("{0}")]
    Version(#[from] VersionError),
}

/// Result of evaluating one `affected` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub affected: bool,
    /// Unparseable event versions that were skipped (the rest of the range
    /// was still evaluated); callers report them with the record id.
    pub skipped: Vec<VersionError>,
}

/// Evaluate one range's events for `v` under `scheme`.
fn range_affects(
    scheme: Scheme,
    events: &[Event],
    v: &Version,
    skipped: &mut Vec<VersionError>,
) -> bool {
    // Parse every event; "0" as introduced means the lowest version.
    let mut parsed: Vec<(Option<Version>, &Event)> = Vec::with_capacity(events.len());
    for e in events {
        if let Event::Introduced(s) = e
            && s == "0"
        {
            parsed.push((None, e));
            continue;
        }
        match scheme.parse(e.version()) {
            Ok(p) => parsed.push((Some(p), e)),
            Err(err) => skipped.push(err),
        }
    }
    // Stable sort by version: events at equal versions keep the record's
    // order, so abutting intervals `[0, 3.1.1) [3.1.1, 3.1.3)` written as
    // `fixed 3.1.1 ... introduced 3.1.1` stay contiguous, and
    // `introduced 1.0, fixed 1.0` stays empty.
    parsed.sort_by(|(a, _), (b, _)| match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(a), Some(b)) => a.cmp_same(b).unwrap_or(Ordering::Equal),
    });
    let ge = |x: &Option<Version>| match x {
        None => true,
        Some(x) => v.cmp_same(x).is_some_and(|o| o != Ordering::Less),
    };
    let gt = |x: &Option<Version>| match x {
        None => true,
        Some(x) => v.cmp_same(x) == Some(Ordering::Greater),
    };
    let mut affected = false;
    for (ver, e) in &parsed {
        match e {
            Event::Introduced(_) if ge(ver) => affected = true,
            Event::Fixed(_) if ge(ver) => affected = false,
            Event::LastAffected(_) if gt(ver) => affected = false,
            Event::Limit(_) if ge(ver) => return false,
            _ => {}
        }
    }
    affected
}

/// Is `version` (of the entry's ecosystem, ordered by `scheme`) affected
/// by this `affected` entry? `scheme` is the ecosystem's scheme, used for
/// `ECOSYSTEM` ranges and `versions` lists.
pub fn evaluate(scheme: Scheme, entry: &Affected, version: &str) -> Result<Evaluation, EvalError> {
    let mut skipped = Vec::new();
    let eco_v = scheme.parse(version)?;
    // Explicit versions: equal under the ecosystem's rules, or the same string.
    for listed in &entry.versions {
        if listed == version {
            return Ok(Evaluation {
                affected: true,
                skipped,
            });
        }
        match scheme.parse(listed) {
            Ok(l) if l.cmp_same(&eco_v) == Some(Ordering::Equal) => {
                return Ok(Evaluation {
                    affected: true,
                    skipped,
                });
            }
            Ok(_) => {}
            Err(e) => skipped.push(e),
        }
    }
    let mut semver_v: Option<Result<Version, VersionError>> = None;
    for r in &entry.ranges {
        let hit = match r.kind {
            RangeType::Ecosystem => range_affects(scheme, &r.events, &eco_v, &mut skipped),
            RangeType::Semver => {
                let sv = semver_v.get_or_insert_with(|| Scheme::SemVer.parse(version));
                match sv {
                    Ok(sv) => range_affects(Scheme::SemVer, &r.events, sv, &mut skipped),
                    Err(e) => {
                        skipped.push(e.clone());
                        false
                    }
                }
            }
            // GIT ranges name commits, not package versions; unknown range
            // types are not evaluated.
            RangeType::Git | RangeType::Other(_) => false,
        };
        if hit {
            return Ok(Evaluation {
                affected: true,
                skipped,
            });
        }
    }
    Ok(Evaluation {
        affected: false,
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchloop_model::{Affected, Range};

    fn entry(kind: RangeType, events: Vec<Event>, versions: &[&str]) -> Affected {
        Affected {
            package: None,
            severity: vec![],
            ranges: vec![Range {
                kind,
                repo: None,
                events,
                database_specific: None,
            }],
            versions: versions.iter().map(|s| s.to_string()).collect(),
            ecosystem_specific: None,
            database_specific: None,
        }
    }

    fn intro(v: &str) -> Event {
        Event::Introduced(v.into())
    }
    fn fixed(v: &str) -> Event {
        Event::Fixed(v.into())
    }

    fn hit(s: Scheme, a: &Affected, v: &str) -> bool {
        evaluate(s, a, v).unwrap().affected
    }

    #[test]
    fn introduced_fixed_in_any_order() {
        let a = entry(
            RangeType::Ecosystem,
            vec![fixed("2.0"), intro("1.0"), fixed("1.5"), intro("1.8")],
            &[],
        );
        for (v, want) in [
            ("0.9", false),
            ("1.0", true),
            ("1.4.9", true),
            ("1.5", false),
            ("1.7", false),
            ("1.8", true),
            ("2.0", false),
            ("2.0.post1", false),
            ("2.0rc1", true),
        ] {
            assert_eq!(hit(Scheme::Pep440, &a, v), want, "{v}");
        }
    }

    #[test]
    fn zero_last_affected_and_limit() {
        let a = entry(
            RangeType::Semver,
            vec![intro("0"), Event::LastAffected("1.2.3".into())],
            &[],
        );
        assert!(hit(Scheme::SemVer, &a, "0.0.1"));
        assert!(hit(Scheme::SemVer, &a, "1.2.3"));
        assert!(!hit(Scheme::SemVer, &a, "1.2.4"));
        assert!(!hit(Scheme::SemVer, &a, "1.2.4-rc.1"));
        assert!(hit(Scheme::SemVer, &a, "1.2.3-rc.1"));
        let l = entry(
            RangeType::Semver,
            vec![intro("0"), Event::Limit("2.0.0".into())],
            &[],
        );
        assert!(hit(Scheme::SemVer, &l, "1.9.9"));
        assert!(!hit(Scheme::SemVer, &l, "2.0.0"));
    }

    #[test]
    fn prerelease_before_fixed_release() {
        let a = entry(RangeType::Semver, vec![intro("0"), fixed("1.0.0")], &[]);
        assert!(hit(Scheme::SemVer, &a, "1.0.0-rc.1"));
        assert!(!hit(Scheme::SemVer, &a, "1.0.0"));
        assert!(!hit(Scheme::SemVer, &a, "1.0.0+build"));
    }

    #[test]
    fn semver_ranges_use_semver_for_go_versions() {
        let a = entry(RangeType::Semver, vec![intro("0"), fixed("1.2.0")], &[]);
        assert!(hit(Scheme::Go, &a, "1.1.9"));
        assert!(!hit(Scheme::Go, &a, "1.2.0"));
    }

    #[test]
    fn explicit_versions_and_git() {
        let a = entry(
            RangeType::Git,
            vec![intro("abc123"), fixed("def456")],
            &["1.0", "1.1"],
        );
        assert!(hit(Scheme::Pep440, &a, "1.0.0"));
        assert!(hit(Scheme::Pep440, &a, "1.1"));
        assert!(!hit(Scheme::Pep440, &a, "1.2"));
    }

    #[test]
    fn abutting_intervals_stay_contiguous() {
        // PYSEC-2022-236, as written.
        let a = entry(
            RangeType::Ecosystem,
            vec![
                intro("0"),
                fixed("3.1.1"),
                intro("3.2.0"),
                fixed("3.2.2"),
                intro("3.1.1"),
                fixed("3.1.3"),
            ],
            &[],
        );
        for (v, want) in [
            ("3.1.0", true),
            ("3.1.1", true),
            ("3.1.3", false),
            ("3.2.1", true),
        ] {
            assert_eq!(hit(Scheme::Pep440, &a, v), want, "{v}");
        }
    }

    #[test]
    fn equal_introduced_and_fixed_is_empty() {
        let a = entry(RangeType::Ecosystem, vec![intro("1.0"), fixed("1.0")], &[]);
        assert!(!hit(Scheme::Pep440, &a, "1.0"));
    }

    #[test]
    fn bad_versions_are_reported_not_guessed() {
        let a = entry(
            RangeType::Semver,
            vec![intro("0"), fixed("not-a-version"), fixed("2.0.0")],
            &[],
        );
        let e = evaluate(Scheme::SemVer, &a, "1.5.0").unwrap();
        assert!(e.affected);
        assert_eq!(e.skipped.len(), 1);
        assert!(evaluate(Scheme::SemVer, &a, "garbage").is_err());
    }
}
