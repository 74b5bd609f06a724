//! CVSS scores of a vector string, computed by the `cvss` crate: base,
//! and for vectors that carry them, temporal/threat and environmental
//! scores. v2.0 (bare, `(...)`-wrapped or `CVSS:2.0/`-prefixed), v3.0,
//! v3.1 and v4.0.
//!
//! Checked against an independent calculator (Red Hat's `cvss` library
//! from PyPI) in `tests/diff_cvss.rs`.

use patchloop_model::SeverityLevel;

/// The CVSS version of a vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CvssVersion {
    V2,
    V30,
    V31,
    V40,
}

impl CvssVersion {
    /// OSV's severity type for this version.
    pub fn osv_type(self) -> &'static str {
        match self {
            CvssVersion::V2 => "CVSS_V2",
            CvssVersion::V30 | CvssVersion::V31 => "CVSS_V3",
            CvssVersion::V40 => "CVSS_V4",
        }
    }
}

/// Scores of one vector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CvssScores {
    pub version: CvssVersion,
    /// v2/v3: the base score. v4: the score of the vector as written
    /// (CVSS-B, -BT, -BE or -BTE: v4 has one score over every metric given).
    pub base: f64,
    /// The qualitative rating of `base` (v2: low/medium/high per NVD).
    pub level: SeverityLevel,
    /// v2/v3: the temporal score (equal to base when no temporal metric
    /// is given). v4: none.
    pub temporal: Option<f64>,
    /// v2/v3: the environmental score (equal to the temporal score when
    /// no environmental metric is given). v4: none (see `base`).
    pub environmental: Option<f64>,
}

fn level(s: cvss::Severity) -> SeverityLevel {
    match s {
        cvss::Severity::None => SeverityLevel::None,
        cvss::Severity::Low => SeverityLevel::Low,
        cvss::Severity::Medium => SeverityLevel::Medium,
        cvss::Severity::High => SeverityLevel::High,
        cvss::Severity::Critical => SeverityLevel::Critical,
    }
}

/// Strip the wrappers v2 vectors come in: `(AV:N/...)`, `CVSS:2.0/AV:N/...`.
fn bare_v2(v: &str) -> &str {
    v.trim_start_matches('(')
        .trim_end_matches(')')
        .trim_start_matches("CVSS:2.0/")
}

/// Every base metric must be present exactly once (the `cvss` crate
/// accepts incomplete vectors; scoring one would invent the missing
/// values).
fn check_metrics(text: &str, version: CvssVersion) -> Result<(), String> {
    let required: &[&str] = match version {
        CvssVersion::V2 => &["AV", "AC", "Au", "C", "I", "A"],
        CvssVersion::V30 | CvssVersion::V31 => &["AV", "AC", "PR", "UI", "S", "C", "I", "A"],
        CvssVersion::V40 => &[
            "AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA",
        ],
    };
    let mut seen: Vec<&str> = Vec::new();
    for part in text.split('/') {
        let Some((k, _)) = part.split_once(':') else {
            return Err(format!("malformed metric {part:?}"));
        };
        if k == "CVSS" {
            continue;
        }
        if seen.contains(&k) {
            return Err(format!("metric {k} given twice"));
        }
        seen.push(k);
    }
    let missing: Vec<&str> = required
        .iter()
        .filter(|k| !seen.contains(k))
        .copied()
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("base metric(s) {} missing", missing.join(", ")))
    }
}

/// Parse a vector and compute its scores.
pub fn scores(vector: &str) -> Result<CvssScores, String> {
    let v = vector.trim();
    let text = if v.starts_with("CVSS:") && !v.starts_with("CVSS:2.0/") {
        v
    } else {
        bare_v2(v)
    };
    let c: cvss::Cvss = text.parse().map_err(|e: cvss::Error| e.to_string())?;
    let out = match &c {
        cvss::Cvss::CvssV20(x) => {
            let base = x.score().value();
            CvssScores {
                version: CvssVersion::V2,
                base,
                level: level(x.score().severity()),
                temporal: Some(x.temporal_score().value()),
                environmental: Some(x.environmental_score().value()),
            }
        }
        cvss::Cvss::CvssV30(x) | cvss::Cvss::CvssV31(x) => CvssScores {
            version: if matches!(c, cvss::Cvss::CvssV30(_)) {
                CvssVersion::V30
            } else {
                CvssVersion::V31
            },
            base: x.base_score().value(),
            level: level(x.base_score().severity()),
            temporal: Some(x.temporal_score().value()),
            environmental: Some(x.environmental_score().value()),
        },
        cvss::Cvss::CvssV40(x) => CvssScores {
            version: CvssVersion::V40,
            base: x.score().value(),
            level: level(x.score().severity()),
            temporal: None,
            environmental: None,
        },
        #[allow(unreachable_patterns)]
        _ => return Err("unsupported CVSS version".into()),
    };
    check_metrics(text, out.version)?;
    for s in [Some(out.base), out.temporal, out.environmental]
        .into_iter()
        .flatten()
    {
        if !s.is_finite() || !(0.0..=10.0).contains(&s) {
            return Err(format!("score {s} out of range"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_scores() {
        let s = scores("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap();
        assert_eq!(
            (s.version, s.base, s.level),
            (CvssVersion::V31, 9.8, SeverityLevel::Critical)
        );
        assert_eq!(s.environmental, Some(9.8));
        let e =
            scores("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/MAV:L/CR:L/IR:L/AR:L").unwrap();
        assert_eq!(e.base, 9.8);
        assert!(e.environmental.unwrap() < 9.8);
        let v2 = scores("(AV:N/AC:L/Au:N/C:P/I:P/A:P)").unwrap();
        assert_eq!(
            (v2.version, v2.base, v2.level),
            (CvssVersion::V2, 7.5, SeverityLevel::High)
        );
        let v4 = scores("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N").unwrap();
        assert_eq!((v4.version, v4.base), (CvssVersion::V40, 9.3));
        assert!(scores("CVSS:3.1/AV:N").is_err());
        assert!(scores("CVSS:9.9/AV:N").is_err());
        assert!(scores("").is_err());
    }
}
