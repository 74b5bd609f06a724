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
    /// The nearest `fixed` version above the evaluated one that closes the
    /// affected interval it lies in (none when the interval is closed by
    /// `last_affected` or `limit`, left open, or the version is affected
    /// only through the `versions` list).
    pub fixed: Option<String>,
    /// Unparseable event versions that were skipped (the rest of the range
    /// was still evaluated); callers report them with the record id.
    pub skipped: Vec<VersionError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Introduced,
    Fixed,
    LastAffected,
    Limit,
}

type CompiledEvent = (Option<Version>, Kind, String);

/// One range with its event versions parsed and sorted.
#[derive(Debug, Clone)]
struct CompiledRange {
    /// `SemVer` for `SEMVER` ranges, the ecosystem's scheme otherwise.
    scheme: Scheme,
    /// `None` is `introduced: "0"`; sorted by version, stable.
    events: Vec<CompiledEvent>,
}

/// An `affected` entry parsed once, evaluated for many versions (the
/// matcher compiles each advisory of a package once per scan and checks
/// every installed version of that package against it).
#[derive(Debug, Clone)]
pub struct CompiledEntry {
    scheme: Scheme,
    ranges: Vec<CompiledRange>,
    /// Explicit versions: the string as written and its parse.
    versions: Vec<(String, Option<Version>)>,
    /// Event and list versions the scheme could not parse.
    pub skipped: Vec<VersionError>,
}

/// A version parsed for evaluation: under the ecosystem's scheme, and
/// lazily under SemVer for `SEMVER` ranges.
#[derive(Debug)]
pub struct Candidate<'a> {
    raw: &'a str,
    eco: Version,
    semver: std::cell::OnceCell<Option<Version>>,
}

impl<'a> Candidate<'a> {
    pub fn parse(scheme: Scheme, raw: &'a str) -> Result<Self, VersionError> {
        Ok(Candidate {
            raw,
            eco: scheme.parse(raw)?,
            semver: std::cell::OnceCell::new(),
        })
    }

    fn semver(&self) -> Option<&Version> {
        self.semver
            .get_or_init(|| Scheme::SemVer.parse(self.raw).ok())
            .as_ref()
    }
}

impl CompiledEntry {
    /// Parse every event and listed version of `entry` under `scheme` (the
    /// ecosystem's scheme; `SEMVER` ranges use SemVer).
    pub fn new(scheme: Scheme, entry: &Affected) -> CompiledEntry {
        let mut skipped = Vec::new();
        let mut ranges = Vec::with_capacity(entry.ranges.len());
        for r in &entry.ranges {
            let rs = match r.kind {
                RangeType::Ecosystem => scheme,
                RangeType::Semver => Scheme::SemVer,
                // GIT ranges name commits, not package versions; unknown
                // range types are not evaluated.
                RangeType::Git | RangeType::Other(_) => continue,
            };
            let mut events = Vec::with_capacity(r.events.len());
            for e in &r.events {
                let kind = match e {
                    Event::Introduced(_) => Kind::Introduced,
                    Event::Fixed(_) => Kind::Fixed,
                    Event::LastAffected(_) => Kind::LastAffected,
                    Event::Limit(_) => Kind::Limit,
                };
                if kind == Kind::Introduced && e.version() == "0" {
                    events.push((None, kind, String::new()));
                    continue;
                }
                match rs.parse(e.version()) {
                    Ok(p) => events.push((Some(p), kind, e.version().to_string())),
                    Err(err) => skipped.push(err),
                }
            }
            // Stable sort by version: events at equal versions keep the
            // record's order, so abutting intervals `[0, 3.1.1) [3.1.1,
            // 3.1.3)` written as `fixed 3.1.1 ... introduced 3.1.1` stay
            // contiguous, and `introduced 1.0, fixed 1.0` stays empty.
            events.sort_by(|(a, _, _), (b, _, _)| match (a, b) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(a), Some(b)) => a.cmp_same(b).unwrap_or(Ordering::Equal),
            });
            ranges.push(CompiledRange { scheme: rs, events });
        }
        let versions = entry
            .versions
            .iter()
            .map(|l| match scheme.parse(l) {
                Ok(p) => (l.clone(), Some(p)),
                Err(e) => {
                    skipped.push(e);
                    (l.clone(), None)
                }
            })
            .collect();
        CompiledEntry {
            scheme,
            ranges,
            versions,
            skipped,
        }
    }

    /// The scheme the entry was compiled for.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// Is the candidate affected? `Some(fixed)` when it is, with the fixed
    /// version that closes its interval (the lowest one when several
    /// ranges affect it); `None` when it is not affected.
    pub fn check(&self, v: &Candidate<'_>) -> Option<Option<String>> {
        let listed = self.versions.iter().any(|(raw, parsed)| {
            raw == v.raw
                || parsed
                    .as_ref()
                    .is_some_and(|p| p.cmp_same(&v.eco) == Some(Ordering::Equal))
        });
        let mut hit: Option<Option<(Scheme, String)>> = None;
        for r in &self.ranges {
            let ver = if r.scheme == self.scheme {
                Some(&v.eco)
            } else {
                v.semver()
            };
            let Some(ver) = ver else { continue };
            let Some(fixed) = range_check(&r.events, ver) else {
                continue;
            };
            let fixed = fixed.map(|f| (r.scheme, f));
            hit = Some(match (hit.flatten(), fixed) {
                (None, f) => f,
                (Some(a), None) => Some(a),
                (Some(a), Some(b)) => Some(lower(a, b)),
            });
        }
        match hit {
            Some(h) => Some(h.map(|(_, f)| f)),
            None if listed => Some(None),
            None => None,
        }
    }
}

/// The lower of two fixed versions (the first when they cannot be compared).
fn lower(a: (Scheme, String), b: (Scheme, String)) -> (Scheme, String) {
    match (a.0.parse(&a.1), b.0.parse(&b.1)) {
        (Ok(pa), Ok(pb)) if pb.cmp_same(&pa) == Some(Ordering::Less) => b,
        _ => a,
    }
}

/// Sweep one range's sorted events for `v`: `Some(fixed)` when affected.
fn range_check(events: &[CompiledEvent], v: &Version) -> Option<Option<String>> {
    let mut affected = false;
    // v equals a `last_affected` that ends its interval: no fixed version.
    let mut closed_at_v = false;
    let mut rest = events.len();
    for (i, (ver, kind, _)) in events.iter().enumerate() {
        let o = match ver {
            None => Some(Ordering::Greater),
            Some(x) => v.cmp_same(x),
        };
        if o.is_none_or(|o| o == Ordering::Less) {
            rest = i;
            break;
        }
        let gt = o == Some(Ordering::Greater);
        match kind {
            Kind::Introduced => {
                affected = true;
                closed_at_v = false;
            }
            Kind::Fixed => affected = false,
            Kind::LastAffected if gt => affected = false,
            Kind::LastAffected => closed_at_v = affected,
            Kind::Limit => return None,
        }
    }
    if !affected {
        return None;
    }
    if closed_at_v {
        return Some(None);
    }
    // The event that closes the interval v lies in.
    for (_, kind, raw) in &events[rest..] {
        match kind {
            Kind::Introduced => continue,
            Kind::Fixed => return Some(Some(raw.clone())),
            Kind::LastAffected | Kind::Limit => return Some(None),
        }
    }
    Some(None)
}

/// Is `version` (of the entry's ecosystem, ordered by `scheme`) affected
/// by this `affected` entry? `scheme` is the ecosystem's scheme, used for
/// `ECOSYSTEM` ranges and `versions` lists. To evaluate many versions
/// against one entry, use [`CompiledEntry`] directly.
pub fn evaluate(scheme: Scheme, entry: &Affected, version: &str) -> Result<Evaluation, EvalError> {
    let c = Candidate::parse(scheme, version)?;
    let compiled = CompiledEntry::new(scheme, entry);
    let mut skipped = compiled.skipped.clone();
    let hit = compiled.check(&c);
    if compiled.ranges.iter().any(|r| r.scheme != scheme)
        && let Err(e) = Scheme::SemVer.parse(version)
    {
        skipped.push(e);
    }
    Ok(Evaluation {
        affected: hit.is_some(),
        fixed: hit.flatten(),
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

    #[test]
    fn nearest_fixed_closes_the_interval() {
        let a = entry(
            RangeType::Ecosystem,
            vec![
                intro("0"),
                fixed("1.5"),
                intro("1.8"),
                Event::LastAffected("1.9".into()),
                intro("2.0"),
                fixed("2.5"),
            ],
            &[],
        );
        let f = |v: &str| {
            let e = evaluate(Scheme::Pep440, &a, v).unwrap();
            (e.affected, e.fixed)
        };
        assert_eq!(f("1.0"), (true, Some("1.5".into())));
        assert_eq!(f("1.6"), (false, None));
        assert_eq!(f("1.8"), (true, None));
        assert_eq!(f("1.9"), (true, None));
        assert_eq!(f("1.9.1"), (false, None));
        assert_eq!(f("2.1"), (true, Some("2.5".into())));
        assert_eq!(f("2.5"), (false, None));
        let l = entry(
            RangeType::Semver,
            vec![intro("1.0.0"), Event::Limit("3.0.0".into())],
            &[],
        );
        let e = evaluate(Scheme::SemVer, &l, "2.0.0").unwrap();
        assert_eq!((e.affected, e.fixed), (true, None));
    }

    #[test]
    fn compiled_entry_checks_many_versions() {
        let a = entry(
            RangeType::Semver,
            vec![intro("0"), fixed("1.2.0"), intro("2.0.0"), fixed("2.0.3")],
            &["9.9.9"],
        );
        let c = CompiledEntry::new(Scheme::SemVer, &a);
        let check = |v: &str| c.check(&Candidate::parse(Scheme::SemVer, v).unwrap());
        assert_eq!(check("1.1.0"), Some(Some("1.2.0".into())));
        assert_eq!(check("2.0.1"), Some(Some("2.0.3".into())));
        assert_eq!(check("1.5.0"), None);
        assert_eq!(check("9.9.9"), Some(None));
    }
}
