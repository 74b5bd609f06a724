//! CVSS scores of a vector string, computed by the `cvss` crate: base,
//! and for vectors that carry them, temporal/threat and environmental
//! scores. v2.0 (bare, `(...)`-wrapped or `CVSS:2.0/`-prefixed), v3.0,
//! v3.1 and v4.0.
//!
//! Checked against an independent calculator (Red Hat's `cvss` library
//! from PyPI) in `tests/diff_cvss.rs`; docs/cvss.md. Three workarounds
//! around the crate came out of that comparison: exact spelling of metric
//! names and values (`check_spelling`), v2 environmental score without
//! environmental metrics (`v2_scores`) and the v3.0 Round up
//! (`v30_scores`).

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
    /// v2/v3: the environmental score. v2: equal to the temporal score
    /// when no environmental metric is given. v3: the environmental
    /// equation with each metric not given taken from its base metric;
    /// v3.1's modified impact for a changed scope differs from its base
    /// impact, so 80 of the 2,592 v3.1 base vectors (S:C) score 0.1 higher
    /// here than their base score even without environmental metrics
    /// (`CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H`: base 9.6,
    /// environmental 9.7). v4: none (see `base`).
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

/// Strip the wrappers v2 vectors come in: NVD's `(AV:N/...)` (one pair of
/// parentheses) and `CVSS:2.0/AV:N/...` (one prefix).
fn bare_v2(v: &str) -> &str {
    let v = v
        .strip_prefix('(')
        .and_then(|x| x.strip_suffix(')'))
        .unwrap_or(v);
    v.strip_prefix("CVSS:2.0/").unwrap_or(v)
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
    for part in metric_parts(text) {
        let Some((k, _)) = part.split_once(':') else {
            return Err(format!("malformed metric {part:?}"));
        };
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

/// The `metric:value` parts of a vector, without its `CVSS:x.y` prefix.
fn metric_parts(text: &str) -> impl Iterator<Item = &str> {
    let body = match text.strip_prefix("CVSS:") {
        Some(rest) => rest.split_once('/').map_or("", |(_, b)| b),
        None => text,
    };
    body.split('/')
}

/// Every metric must be written as the specification spells it. The
/// `cvss` crate upper-cases v3/v4 metric names and values before parsing,
/// so it takes `av:n`, `MSI:s` or `U:RED`; the specifications and the
/// reference calculators are case-sensitive. The crate writes a parsed
/// vector back in canonical spelling: the metrics given must be exactly
/// the ones it writes (in any order).
fn check_spelling(text: &str, canonical: &str) -> Result<(), String> {
    let mut want: Vec<&str> = metric_parts(canonical).collect();
    want.sort_unstable();
    for part in metric_parts(text) {
        match want.binary_search(&part) {
            Ok(i) => {
                want.remove(i);
            }
            Err(_) => {
                return Err(format!(
                    "metric {part:?} is not written as the specification spells it"
                ));
            }
        }
    }
    Ok(())
}

/// v2: true when no environmental metric is given (or each is `ND`).
fn no_v2_environmental(x: &cvss::v2::Vector) -> bool {
    use cvss::v2::metric::environmental::{
        AvailabilityRequirement as Ar, CollateralDamagePotential as Cdp,
        ConfidentialityRequirement as Cr, IntegrityRequirement as Ir, TargetDistribution as Td,
    };
    x.cdp.is_none_or(|m| m == Cdp::NotDefined)
        && x.td.is_none_or(|m| m == Td::NotDefined)
        && x.cr.is_none_or(|m| m == Cr::NotDefined)
        && x.ir.is_none_or(|m| m == Ir::NotDefined)
        && x.ar.is_none_or(|m| m == Ar::NotDefined)
}

/// v2 scores.
///
/// Workaround: with no environmental metric given, the environmental score
/// is the temporal score. The v2 guide makes `ND` the value that "has no
/// effect on the score", but the `cvss` crate runs the environmental
/// equation with `ND` weights anyway, and its `min(10, AdjustedImpact)`
/// cuts a C:C/I:C/A:C impact of 10.0008 to 10: AV:L/AC:L/Au:N/C:C/I:C/A:C
/// would get environmental 7.1 below its base and temporal 7.2. (The
/// reference calculator leaves the environmental score undefined then.)
fn v2_scores(x: &cvss::v2::Vector) -> CvssScores {
    let temporal = x.temporal_score().value();
    CvssScores {
        version: CvssVersion::V2,
        base: x.score().value(),
        level: level(x.score().severity()),
        temporal: Some(temporal),
        environmental: Some(if no_v2_environmental(x) {
            temporal
        } else {
            x.environmental_score().value()
        }),
    }
}

/// The v3.1 Roundup (spec Appendix A): the smallest one-decimal number not
/// below `x`, robust to binary floating point.
fn roundup(x: f64) -> f64 {
    cvss::v3::Score::new(x).roundup_for_version(1).value()
}

/// v3.0 scores.
///
/// Workaround: the `cvss` crate rounds v3.0 scores with a plain
/// `ceil(x * 10) / 10` on `f64`, so a product that is one decimal exactly
/// but a hair above it in binary goes up by 0.1: 5.0 × 0.92 (RC:U) =
/// 4.6000000000000005 → 4.7. The v3.0 specification (section 8.4) defines
/// Round up as "the smallest number, specified to one decimal place, that
/// is equal to or higher than its input": 4.6. v3.1 only restated that
/// rounding in a float-safe form (its Appendix A), so v3.0 is scored here
/// with it. The v3.0 base and temporal equations are those of v3.1 and are
/// taken from the crate (scored as 3.1); the environmental equation differs
/// (the modified impact under a changed scope) and is computed here.
fn v30_scores(x: &cvss::v3::Vector) -> CvssScores {
    let mut as31 = x.clone();
    as31.minor_version = 1;
    let base = as31.base_score();
    CvssScores {
        version: CvssVersion::V30,
        base: base.value(),
        level: level(base.severity()),
        temporal: Some(as31.temporal_score().value()),
        environmental: Some(v30_environmental(x)),
    }
}

/// The v3.0 environmental equation (specification section 8.3), with the
/// float-safe Roundup.
fn v30_environmental(x: &cvss::v3::Vector) -> f64 {
    use cvss::v3::Metric;
    use cvss::v3::metric::environmental::{
        AvailabilityRequirement as Ar, ConfidentialityRequirement as Cr,
        IntegrityRequirement as Ir, Modified, ModifiedScope,
    };
    use cvss::v3::metric::temporal::{ExploitCodeMaturity, RemediationLevel, ReportConfidence};

    let changed = match x.ms {
        Some(ModifiedScope::Modified(s)) => s.is_changed(),
        _ => x.s.is_some_and(|s| s.is_changed()),
    };
    let cr = x.cr.unwrap_or(Cr::NotDefined).score();
    let ir = x.ir.unwrap_or(Ir::NotDefined).score();
    let ar = x.ar.unwrap_or(Ar::NotDefined).score();
    let mc = x.mc.unwrap_or(Modified::NotDefined).modified_score(x.c);
    let mi = x.mi.unwrap_or(Modified::NotDefined).modified_score(x.i);
    let ma = x.ma.unwrap_or(Modified::NotDefined).modified_score(x.a);
    let miss = (1.0 - (1.0 - cr * mc) * (1.0 - ir * mi) * (1.0 - ar * ma)).min(0.915);
    let impact = if changed {
        7.52 * (miss - 0.029) - 3.25 * (miss - 0.02).powi(15)
    } else {
        6.42 * miss
    };
    if impact <= 0.0 {
        return 0.0;
    }
    let exploitability = 8.22
        * x.mav.unwrap_or(Modified::NotDefined).modified_score(x.av)
        * x.mac.unwrap_or(Modified::NotDefined).modified_score(x.ac)
        * x.mpr
            .unwrap_or(Modified::NotDefined)
            .scoped_score(changed, x.pr)
        * x.mui.unwrap_or(Modified::NotDefined).modified_score(x.ui);
    let sum = impact + exploitability;
    let modified = roundup(if changed { 1.08 * sum } else { sum }.min(10.0));
    roundup(
        modified
            * x.e.unwrap_or(ExploitCodeMaturity::NotDefined).score()
            * x.rl.unwrap_or(RemediationLevel::NotDefined).score()
            * x.rc.unwrap_or(ReportConfidence::NotDefined).score(),
    )
}

/// Parse a vector and compute its scores.
///
/// Surrounding whitespace is ignored. A vector starting with `CVSS:` (other
/// than `CVSS:2.0/`) is v3.0, v3.1 or v4.0 by its prefix; anything else is
/// read as v2.0, bare or in one of the wrappers of [`bare_v2`].
pub fn scores(vector: &str) -> Result<CvssScores, String> {
    // A report repeats a few vectors many times (most RustSec advisories
    // share a handful; every finding's severity and environmental score
    // asks again): each answer is kept for the thread's life, up to a
    // bound, instead of parsing and checking the vector again.
    const MEMO_MAX: usize = 4096;
    thread_local! {
        static MEMO: std::cell::RefCell<std::collections::HashMap<String, Result<CvssScores, String>>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    if let Some(hit) = MEMO.with(|m| m.borrow().get(vector).cloned()) {
        return hit;
    }
    let out = compute(vector);
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() < MEMO_MAX {
            m.insert(vector.to_string(), out.clone());
        }
    });
    out
}

fn compute(vector: &str) -> Result<CvssScores, String> {
    let v = vector.trim();
    let v3_or_v4 = v.starts_with("CVSS:") && !v.starts_with("CVSS:2.0/");
    let text = if v3_or_v4 { v } else { bare_v2(v) };
    let err = |e: cvss::Error| e.to_string();
    let (out, canonical) = if v3_or_v4 {
        match text.parse::<cvss::Cvss>().map_err(err)? {
            cvss::Cvss::CvssV30(x) => (v30_scores(&x), x.to_string()),
            cvss::Cvss::CvssV31(x) => {
                let base = x.base_score();
                let s = CvssScores {
                    version: CvssVersion::V31,
                    base: base.value(),
                    level: level(base.severity()),
                    temporal: Some(x.temporal_score().value()),
                    environmental: Some(x.environmental_score().value()),
                };
                (s, x.to_string())
            }
            cvss::Cvss::CvssV40(x) => {
                let s = CvssScores {
                    version: CvssVersion::V40,
                    base: x.score().value(),
                    level: level(x.score().severity()),
                    temporal: None,
                    environmental: None,
                };
                (s, x.to_string())
            }
            _ => return Err(format!("unsupported CVSS version in {text:?}")),
        }
    } else {
        // The v2 parser itself: `(CVSS:3.1/...)` is not a v2 vector.
        let x: cvss::v2::Vector = text.parse().map_err(err)?;
        (v2_scores(&x), x.to_string())
    };
    check_metrics(text, out.version)?;
    check_spelling(text, &canonical)?;
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

    /// cvss crate 3.0 rounds v3.0 scores up with `ceil(x * 10) / 10` on
    /// f64: 5.0 × 0.92 (RC:U) = 4.6000000000000005 became 4.7. The v3.0
    /// Round up is exact (4.6), as in v3.1 and Red Hat's `cvss`.
    #[test]
    fn v30_round_up_is_exact() {
        for v in [
            "CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:N/A:N/RC:U",
            "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:N/A:N/RC:U",
        ] {
            let s = scores(v).unwrap();
            assert_eq!(
                (s.base, s.temporal, s.environmental),
                (5.0, Some(4.6), Some(4.6)),
                "{v}"
            );
        }
        // The v3.0 environmental equation (changed scope: its own modified
        // impact), rounded exactly: 4.6, not 4.7.
        let s =
            scores("CVSS:3.0/AV:L/AC:H/PR:L/UI:R/S:C/C:N/I:L/A:L/RC:U/MAV:L/MUI:R/MC:L").unwrap();
        assert_eq!(
            (s.version, s.base, s.temporal, s.environmental),
            (CvssVersion::V30, 3.9, Some(3.6), Some(4.6))
        );
    }

    /// v3.1's modified impact under a changed scope is not its base
    /// impact: environmental 9.7 over base 9.6 with no environmental metric
    /// (v3.0: the same formula, 9.6).
    #[test]
    fn v31_environmental_without_metrics() {
        let s = scores("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H").unwrap();
        assert_eq!(
            (s.base, s.temporal, s.environmental),
            (9.6, Some(9.6), Some(9.7))
        );
        let s = scores("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H").unwrap();
        assert_eq!(
            (s.base, s.temporal, s.environmental),
            (9.6, Some(9.6), Some(9.6))
        );
    }

    /// v2 `ND` environmental metrics have no effect on the score: without
    /// any, the environmental score is the temporal one (the crate's
    /// equation gave 7.1 here through `min(10, AdjustedImpact)`).
    #[test]
    fn v2_environmental_without_metrics_is_temporal() {
        let s = scores("AV:L/AC:L/Au:N/C:C/I:C/A:C").unwrap();
        assert_eq!(
            (s.base, s.temporal, s.environmental),
            (7.2, Some(7.2), Some(7.2))
        );
        let s = scores("AV:L/AC:L/Au:N/C:C/I:C/A:C/E:F/CDP:ND/CR:ND").unwrap();
        assert_eq!((s.temporal, s.environmental), (Some(6.8), Some(6.8)));
        // A defined environmental metric brings in the equation.
        let s = scores("AV:L/AC:L/Au:N/C:C/I:C/A:C/TD:H").unwrap();
        assert_eq!(s.environmental, Some(7.1));
    }

    /// Metric names and values are case-sensitive; the crate upper-cases them.
    #[test]
    fn spelling_is_exact() {
        const V4: &str = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
        for bad in [
            "CVSS:3.1/AV:n/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/e:f",
            "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ms:X",
            &format!("{V4}/U:RED"),
            &format!("{V4}/U:clear"),
            &format!("{V4}/mvc:N"),
        ] {
            assert!(scores(bad).is_err(), "{bad}");
        }
        assert_eq!(scores(&format!("{V4}/U:Clear/E:X")).unwrap().base, 9.3);
    }

    /// v2 wrappers: one pair of parentheses, one `CVSS:2.0/` prefix.
    #[test]
    fn v2_wrappers() {
        for ok in [
            "(AV:N/AC:L/Au:N/C:P/I:P/A:P)",
            "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",
            "(CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P)",
            " AV:N/AC:L/Au:N/C:P/I:P/A:P\r\n",
        ] {
            assert_eq!(scores(ok).unwrap().base, 7.5, "{ok:?}");
        }
        for bad in [
            "((AV:N/AC:L/Au:N/C:P/I:P/A:P))",
            "(AV:N/AC:L/Au:N/C:P/I:P/A:P",
            "AV:N/AC:L/Au:N/C:P/I:P/A:P)",
            "CVSS:2.0/CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",
            "(CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H)",
        ] {
            assert!(scores(bad).is_err(), "{bad:?}");
        }
    }
}
