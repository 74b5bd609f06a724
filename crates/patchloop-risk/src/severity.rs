//! Severity of a finding from its advisory records.
//!
//! Rule (docs/scan.md, "Severity"):
//! 1. Every CVSS vector of every record of the vulnerability (the record's
//!    `severity` and the matched package's `affected[].severity`) is a
//!    candidate. The newest CVSS version wins (4.0 > 3.1 > 3.0 > 2.0), as
//!    the one its authors meant to replace the others; among vectors of
//!    the same version, the highest base score wins (worst case).
//! 2. Without a usable vector, a qualitative rating the database writes
//!    (`database_specific.severity`: GitHub's `CRITICAL`, `HIGH`,
//!    `MODERATE`, `LOW`) is used as is.
//! 3. Otherwise the severity is `unknown`: never a guess.
//!
//! A vector that does not parse is reported (record id, vector, cause) and
//! skipped.

use patchloop_model::{Advisory, SeverityInfo, SeverityLevel};

/// A severity as one record states it.
#[derive(Debug, Clone, PartialEq)]
pub struct SeverityCandidate {
    pub record: String,
    /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, or another OSV severity type.
    pub kind: String,
    pub score: String,
}

/// CVSS version rank: higher is preferred.
fn rank(vector: &str) -> Option<u8> {
    if vector.starts_with("CVSS:4.0/") {
        Some(4)
    } else if vector.starts_with("CVSS:3.1/") {
        Some(3)
    } else if vector.starts_with("CVSS:3.0/") {
        Some(2)
    } else if vector.contains("AV:") && vector.contains("Au:") {
        Some(1)
    } else {
        None
    }
}

/// Base score and rating of a CVSS v2, v3.x or v4.0 vector
/// ([`crate::cvss::scores`]).
pub fn base_score(vector: &str) -> Result<(f64, SeverityLevel), String> {
    crate::cvss::scores(vector).map(|s| (s.base, s.level))
}

/// The candidates of one record: its own `severity`, the `severity` of
/// every affected entry, and its qualitative label.
pub fn candidates(adv: &Advisory) -> Vec<SeverityCandidate> {
    let mut out: Vec<SeverityCandidate> = adv
        .severity
        .iter()
        .chain(adv.affected.iter().flat_map(|a| a.severity.iter()))
        .map(|s| SeverityCandidate {
            record: adv.id.clone(),
            kind: s.kind.clone(),
            score: s.score.clone(),
        })
        .collect();
    if let Some(label) = adv
        .database_specific
        .as_ref()
        .and_then(|d| d.get("severity"))
        .and_then(|s| s.as_str())
    {
        out.push(SeverityCandidate {
            record: adv.id.clone(),
            kind: "label".into(),
            score: label.to_string(),
        });
    }
    out
}

/// Choose the severity of a vulnerability from the candidates of all its
/// records. Returns the severity and warnings about unusable vectors.
pub fn assess(cands: &[SeverityCandidate]) -> (SeverityInfo, Vec<String>) {
    let mut warnings = Vec::new();
    // (rank, score, rating, candidate)
    let mut best: Option<(u8, f64, SeverityLevel, &SeverityCandidate)> = None;
    for c in cands.iter().filter(|c| c.kind.starts_with("CVSS_")) {
        let Some(r) = rank(c.score.trim()) else {
            warnings.push(format!(
                "{}: {} severity {:?} is not a CVSS vector: ignored",
                c.record, c.kind, c.score
            ));
            continue;
        };
        match base_score(&c.score) {
            Ok((s, level)) => {
                let better = match best {
                    None => true,
                    Some((br, bs, _, _)) => r > br || (r == br && s > bs),
                };
                if better {
                    best = Some((r, s, level, c));
                }
            }
            Err(e) => warnings.push(format!(
                "{}: CVSS vector {:?} is invalid ({e}): ignored",
                c.record, c.score
            )),
        }
    }
    if let Some((r, score, level, c)) = best {
        let kind = match r {
            4 => "CVSS_V4",
            2 | 3 => "CVSS_V3",
            _ => "CVSS_V2",
        };
        return (
            SeverityInfo {
                level,
                score: Some(score),
                vector: Some(c.score.trim().to_string()),
                kind: Some(kind.into()),
                source: Some(c.record.clone()),
            },
            warnings,
        );
    }
    let labelled = cands
        .iter()
        .filter(|c| c.kind == "label")
        .filter_map(|c| SeverityLevel::from_label(&c.score).map(|l| (l, c)))
        .max_by_key(|(l, _)| *l);
    if let Some((level, c)) = labelled {
        return (
            SeverityInfo {
                level,
                score: None,
                vector: None,
                kind: Some("label".into()),
                source: Some(c.record.clone()),
            },
            warnings,
        );
    }
    (SeverityInfo::default(), warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(kind: &str, score: &str) -> SeverityCandidate {
        SeverityCandidate {
            record: "X-1".into(),
            kind: kind.into(),
            score: score.into(),
        }
    }

    #[test]
    fn cvss2_scores() {
        // NVD: AV:N/AC:L/Au:N/C:C/I:C/A:C = 10.0, C:P/I:P/A:P = 7.5.
        assert_eq!(
            base_score("AV:N/AC:L/Au:N/C:C/I:C/A:C").unwrap(),
            (10.0, SeverityLevel::High)
        );
        assert_eq!(base_score("AV:N/AC:L/Au:N/C:P/I:P/A:P").unwrap().0, 7.5);
        assert_eq!(base_score("(AV:N/AC:M/Au:N/C:N/I:P/A:N)").unwrap().0, 4.3);
        assert!(base_score("AV:X/AC:L/Au:N/C:P/I:P/A:P").is_err());
    }

    #[test]
    fn newest_version_then_highest_score() {
        let c = vec![
            cand("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            cand(
                "CVSS_V4",
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N",
            ),
            cand("label", "CRITICAL"),
        ];
        let (s, w) = assess(&c);
        assert!(w.is_empty());
        assert_eq!(s.kind.as_deref(), Some("CVSS_V4"));
        assert_eq!(s.level, SeverityLevel::Medium);
        let (s, _) = assess(&c[..1]);
        assert_eq!(s.score, Some(9.8));
        assert_eq!(s.level, SeverityLevel::Critical);
    }

    #[test]
    fn label_then_unknown_and_bad_vectors_warn() {
        let (s, w) = assess(&[cand("CVSS_V3", "CVSS:3.1/AV:Q"), cand("label", "MODERATE")]);
        assert_eq!(s.level, SeverityLevel::Medium);
        assert_eq!(s.kind.as_deref(), Some("label"));
        assert_eq!(w.len(), 1);
        let (s, w) = assess(&[cand("CVSS_V3", "garbage")]);
        assert_eq!(s.level, SeverityLevel::Unknown);
        assert_eq!(w.len(), 1);
        assert_eq!(assess(&[]).0.level, SeverityLevel::Unknown);
    }
}
