//! Prioritization: every vulnerability finding gets an SSVC decision, a
//! risk score, an SLA due date and the signals that made them, each with
//! where it came from (docs/prioritization.md).

use patchloop_model::{
    Applied, Category, ContextInfo, EnvironmentalScore, Finding, PolicyNote, Priority,
    RiskAssessment, ScanReport, Scope, SeverityLevel, Signal, SsvcDecision, Suppression,
};

use crate::policy::{Criticality, Environment, Exposure, Policy, VexStatus};
use crate::ssvc::{self, Exploitation, HumanImpact, SystemExposure};

/// When patchloop first saw a finding (`YYYY-MM-DD`); the caller keeps
/// that state (`patchloop_ledger::state`).
pub trait FirstSeen {
    fn first_seen(&self, finding: &Finding) -> Option<String>;
}

impl<F: Fn(&Finding) -> Option<String>> FirstSeen for F {
    fn first_seen(&self, finding: &Finding) -> Option<String> {
        self(finding)
    }
}

fn signal(
    name: &str,
    value: impl Into<String>,
    source: impl Into<String>,
    effect: impl Into<String>,
) -> Signal {
    Signal {
        name: name.to_string(),
        value: value.into(),
        source: source.into(),
        effect: effect.into(),
    }
}

/// Add `days` to a `YYYY-MM-DD` date.
pub fn add_days(date: &str, days: u32) -> Option<String> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(date, &fmt).ok()?;
    let d = d.checked_add(time::Duration::days(i64::from(days)))?;
    d.format(&fmt).ok()
}

/// Metric value of a CVSS vector (`AV` → `N`).
fn metric<'a>(vector: &'a str, key: &str) -> Option<&'a str> {
    vector
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split('/')
        .find_map(|p| p.split_once(':').filter(|(k, _)| *k == key).map(|(_, v)| v))
}

/// SSVC "automatable" from a CVSS vector: network attack vector, low
/// complexity, no privileges, no user interaction (v4: and no attack
/// requirements; v2: no authentication). `None` without a vector.
pub fn automatable_from_vector(vector: &str) -> Option<bool> {
    let v = vector.trim();
    let m = |k| metric(v, k);
    if v.starts_with("CVSS:4.0/") {
        Some(
            m("AV") == Some("N")
                && m("AC") == Some("L")
                && m("AT") == Some("N")
                && m("PR") == Some("N")
                && m("UI") == Some("N"),
        )
    } else if v.starts_with("CVSS:3.") {
        Some(
            m("AV") == Some("N")
                && m("AC") == Some("L")
                && m("PR") == Some("N")
                && m("UI") == Some("N"),
        )
    } else if m("Au").is_some() {
        Some(m("AV") == Some("N") && m("AC") == Some("L") && m("Au") == Some("N"))
    } else {
        None
    }
}

/// The environmental vector for a context: the base vector without any
/// environmental metrics, plus confidentiality/integrity/availability
/// requirements from the criticality and, for internal systems, a
/// modified attack vector of Adjacent where the base says Network.
pub fn environmental_vector(
    vector: &str,
    criticality: Criticality,
    exposure: Exposure,
) -> Option<String> {
    let v = vector.trim();
    let req = match criticality {
        Criticality::Low => "L",
        Criticality::Medium => "M",
        Criticality::High | Criticality::MissionCritical => "H",
    };
    let lower_av = exposure == Exposure::Internal && metric(v, "AV") == Some("N");
    let (env_keys, prefix): (&[&str], bool) = if v.starts_with("CVSS:4.0/") {
        (
            &[
                "CR", "IR", "AR", "MAV", "MAC", "MAT", "MPR", "MUI", "MVC", "MVI", "MVA", "MSC",
                "MSI", "MSA",
            ],
            true,
        )
    } else if v.starts_with("CVSS:3.") {
        (
            &[
                "CR", "IR", "AR", "MAV", "MAC", "MPR", "MUI", "MS", "MC", "MI", "MA",
            ],
            true,
        )
    } else if metric(v, "Au").is_some() {
        (&["CDP", "TD", "CR", "IR", "AR"], false)
    } else {
        return None;
    };
    let bare = v.trim_start_matches('(').trim_end_matches(')');
    let mut parts: Vec<String> = bare
        .split('/')
        .filter(|p| {
            p.split_once(':')
                .is_none_or(|(k, _)| k == "CVSS" || !env_keys.contains(&k))
        })
        .map(str::to_string)
        .collect();
    if prefix {
        parts.push(format!("CR:{req}"));
        parts.push(format!("IR:{req}"));
        parts.push(format!("AR:{req}"));
        if lower_av {
            parts.push("MAV:A".into());
        }
    } else {
        parts.push("CDP:ND".into());
        parts.push("TD:ND".into());
        parts.push(format!("CR:{req}"));
        parts.push(format!("IR:{req}"));
        parts.push(format!("AR:{req}"));
    }
    Some(parts.join("/"))
}

/// Representative score of a qualitative level (no vector).
fn level_score(level: SeverityLevel) -> f64 {
    match level {
        SeverityLevel::Critical => 9.5,
        SeverityLevel::High => 8.0,
        SeverityLevel::Medium => 5.5,
        SeverityLevel::Low => 2.5,
        SeverityLevel::None => 0.0,
        SeverityLevel::Unknown => 5.0,
    }
}

/// The risk score formula (docs/prioritization.md):
/// `round(100 × (0.40·S + 0.35·E + 0.25·C))` with S the severity (0..1),
/// E the exploitation (active 1.0, public PoC 0.7, else 0.4 × EPSS
/// percentile) and C the context (impact weight × exposure weight).
pub fn risk_score(
    severity: f64,
    e: Exploitation,
    epss_percentile: Option<f64>,
    x: SystemExposure,
    h: HumanImpact,
) -> u8 {
    let s = (severity / 10.0).clamp(0.0, 1.0);
    let ex = match e {
        Exploitation::Active => 1.0,
        Exploitation::PublicPoc => 0.7,
        Exploitation::None => 0.4 * epss_percentile.unwrap_or(0.0).clamp(0.0, 1.0),
    };
    let hw = match h {
        HumanImpact::Low => 0.25,
        HumanImpact::Medium => 0.5,
        HumanImpact::High => 0.75,
        HumanImpact::VeryHigh => 1.0,
    };
    let xw = match x {
        SystemExposure::Small => 0.5,
        SystemExposure::Controlled => 0.75,
        SystemExposure::Open => 1.0,
    };
    let c = hw * xw;
    (100.0 * (0.40 * s + 0.35 * ex + 0.25 * c))
        .round()
        .clamp(0.0, 100.0) as u8
}

/// Prioritize every vulnerability finding of `report` under `policy` on
/// `today` (`YYYY-MM-DD`), apply VEX statements and mitigations, and order
/// the findings by priority and risk.
pub fn prioritize(
    report: &mut ScanReport,
    policy: &Policy,
    first_seen: &dyn FirstSeen,
    today: &str,
) {
    let mut vex_used = vec![false; policy.vex.len()];
    let mut mit_used = vec![false; policy.mitigations.len()];
    for f in report.findings.iter_mut() {
        if f.category != Category::Vulnerability {
            continue;
        }
        let mut signals = Vec::new();
        let mut applied = Vec::new();

        // VEX statements.
        for (i, v) in policy.vex.iter().enumerate() {
            if !v.matches(f.ids(), &f.package.name, &f.package.version) {
                continue;
            }
            vex_used[i] = true;
            if v.expired(today) {
                continue;
            }
            applied.push(Applied {
                kind: "vex".into(),
                status: v.status.as_str().into(),
                justification: v.justification.clone(),
                statement: v.statement.clone(),
                expires: Some(v.expires.clone()),
                rule: v.rule.clone(),
            });
            let effect = match v.status {
                VexStatus::NotAffected | VexStatus::Fixed => {
                    if f.suppressed.is_none() {
                        f.suppressed = Some(Suppression {
                            reason: format!(
                                "VEX {}{}: {}",
                                v.status,
                                v.justification
                                    .as_deref()
                                    .map(|j| format!(" ({j})"))
                                    .unwrap_or_default(),
                                v.statement
                            ),
                            expires: Some(v.expires.clone()),
                            rule: v.rule.clone(),
                        });
                    }
                    "the finding is closed as not exploitable here (suppressed)"
                }
                VexStatus::Affected => "confirmed affected; the statement is shown",
                VexStatus::UnderInvestigation => "under investigation; priority unchanged",
            };
            signals.push(signal("vex", v.status.as_str(), v.rule.clone(), effect));
        }

        // Context: the most demanding context of the files it is in.
        let mut ctx = policy.context_for(
            f.occurrences
                .first()
                .map(|o| o.path.as_str())
                .unwrap_or_default(),
        );
        for o in f.occurrences.iter().skip(1) {
            let c = policy.context_for(&o.path);
            if c.criticality.0 > ctx.criticality.0 {
                ctx.criticality = c.criticality;
            }
            if c.exposure.0 > ctx.exposure.0 {
                ctx.exposure = c.exposure;
            }
            if c.environment.0 > ctx.environment.0 {
                ctx.environment = c.environment;
            }
        }
        signals.push(signal(
            "criticality",
            ctx.criticality.0.as_str(),
            ctx.criticality.1.clone(),
            "sets the human impact and the CVSS security requirements",
        ));
        signals.push(signal(
            "exposure",
            ctx.exposure.0.as_str(),
            ctx.exposure.1.clone(),
            "sets the SSVC system exposure",
        ));
        signals.push(signal(
            "environment",
            ctx.environment.0.as_str(),
            ctx.environment.1.clone(),
            match ctx.environment.0 {
                Environment::Dev => "dev: human impact low",
                Environment::Staging => "staging: human impact at most medium",
                Environment::Prod => "prod: human impact as the criticality says",
            },
        ));

        let mut exposure = ctx.exposure.0;
        let mut human = match ctx.criticality.0 {
            Criticality::Low => HumanImpact::Low,
            Criticality::Medium => HumanImpact::Medium,
            Criticality::High => HumanImpact::High,
            Criticality::MissionCritical => HumanImpact::VeryHigh,
        };
        match ctx.environment.0 {
            Environment::Dev => human = HumanImpact::Low,
            Environment::Staging => human = human.min(HumanImpact::Medium),
            Environment::Prod => {}
        }
        let dev_only = !f.occurrences.is_empty()
            && f.occurrences
                .iter()
                .all(|o| matches!(o.scope, Scope::Dev | Scope::Build));
        if dev_only && policy.lower_dev_dependencies {
            exposure = Exposure::Internal;
            human = HumanImpact::Low;
            signals.push(signal(
                "scope",
                f.occurrences.iter().map(|o| o.scope.as_str()).collect::<Vec<_>>().join(", "),
                "inventory (dependency scope)",
                "dev/build-only dependency: exposure small, human impact low ([context] lower_dev_dependencies)",
            ));
        }

        // Mitigations.
        let mut automatable_override: Option<(bool, String)> = None;
        for (i, m) in policy.mitigations.iter().enumerate() {
            if !m.matches(f.ids(), &f.package.name) {
                continue;
            }
            mit_used[i] = true;
            if m.expired(today) {
                continue;
            }
            let mut what = Vec::new();
            if let Some(x) = m.exposure
                && x < exposure
            {
                exposure = x;
                what.push(format!("exposure={x}"));
            }
            if let Some(a) = m.automatable {
                automatable_override = Some((a, m.rule.clone()));
                what.push(format!("automatable={a}"));
            }
            let what = if what.is_empty() {
                "no change (the context is already lower)".to_string()
            } else {
                what.join(", ")
            };
            signals.push(signal(
                "mitigation",
                m.statement.clone(),
                m.rule.clone(),
                what.clone(),
            ));
            applied.push(Applied {
                kind: "mitigation".into(),
                status: what,
                justification: None,
                statement: m.statement.clone(),
                expires: Some(m.expires.clone()),
                rule: m.rule.clone(),
            });
        }

        // Exploitation.
        let kev = f.exploitation.kev.first();
        let epss = f.exploitation.epss.as_ref();
        let exploitation = if let Some(k) = kev {
            signals.push(signal(
                "kev",
                format!(
                    "{} added {}, due {}{}",
                    k.cve,
                    k.date_added,
                    k.due_date,
                    if k.known_ransomware {
                        ", known ransomware use"
                    } else {
                        ""
                    }
                ),
                "CISA KEV catalog",
                "exploitation: active",
            ));
            Exploitation::Active
        } else if !f.exploitation.exploit_refs.is_empty() {
            signals.push(signal(
                "exploit reference",
                f.exploitation.exploit_refs[0].clone(),
                format!("advisory {}", f.id),
                "exploitation: public poc",
            ));
            Exploitation::PublicPoc
        } else if let Some(e) = epss
            && e.probability >= policy.poc_epss.0
        {
            signals.push(signal(
                "epss",
                format!(
                    "{:.4} (percentile {:.3}) for {}",
                    e.probability, e.percentile, e.cve
                ),
                format!("FIRST EPSS {} {}", e.model_version, e.score_date)
                    .trim()
                    .to_string(),
                format!(
                    "at or above poc_epss {} ({}): exploitation: public poc",
                    policy.poc_epss.0, policy.poc_epss.1
                ),
            ));
            Exploitation::PublicPoc
        } else {
            if let Some(e) = epss {
                signals.push(signal(
                    "epss",
                    format!(
                        "{:.4} (percentile {:.3}) for {}",
                        e.probability, e.percentile, e.cve
                    ),
                    format!("FIRST EPSS {} {}", e.model_version, e.score_date)
                        .trim()
                        .to_string(),
                    format!(
                        "below poc_epss {}: exploitation: none; raises the risk score",
                        policy.poc_epss.0
                    ),
                ));
            } else {
                signals.push(signal(
                    "epss",
                    "no score",
                    "EPSS",
                    "exploitation: none (not in KEV, no exploit reference)",
                ));
            }
            Exploitation::None
        };

        // Automatable.
        let automatable = match (
            &automatable_override,
            f.severity
                .vector
                .as_deref()
                .and_then(automatable_from_vector),
        ) {
            (Some((a, rule)), _) => {
                signals.push(signal(
                    "automatable",
                    if *a { "yes" } else { "no" },
                    rule.clone(),
                    "set by a mitigation",
                ));
                *a
            }
            (None, Some(a)) => {
                signals.push(signal(
                    "automatable",
                    if a { "yes" } else { "no" },
                    format!("CVSS vector of {}", f.severity.source.as_deref().unwrap_or("the advisory")),
                    if a {
                        "network attack, low complexity, no privileges or user interaction"
                    } else {
                        "the vector needs local/adjacent access, privileges, user interaction or special conditions"
                    },
                ));
                a
            }
            (None, None) => {
                signals.push(signal(
                    "automatable",
                    "yes (assumed)",
                    "no CVSS vector",
                    "unknown: assumed automatable (worst case)",
                ));
                true
            }
        };
        let sys_exposure = match exposure {
            Exposure::Internal => SystemExposure::Small,
            Exposure::Controlled => SystemExposure::Controlled,
            Exposure::InternetFacing => SystemExposure::Open,
        };
        let (decision, row) = ssvc::decide(exploitation, sys_exposure, automatable, human);

        // Severity, environmental CVSS.
        let mut environmental = None;
        if let Some(v) = &f.severity.vector
            && let Some(ev) = environmental_vector(v, ctx.criticality.0, exposure)
            && let Ok(s) = crate::cvss::scores(&ev)
        {
            let score = s.environmental.unwrap_or(s.base);
            environmental = Some(EnvironmentalScore {
                score,
                level: if s.version == crate::cvss::CvssVersion::V2 {
                    crate::severity::base_score(&ev)
                        .map(|x| x.1)
                        .unwrap_or(s.level)
                } else {
                    SeverityLevel::from_cvss_score(score)
                },
                vector: ev,
            });
        }
        let sev = match (&environmental, f.severity.score) {
            (Some(e), _) => e.score,
            (None, Some(s)) => s,
            (None, None) => level_score(f.severity.level),
        };
        signals.push(signal(
            "severity",
            match (&environmental, f.severity.score) {
                (Some(e), Some(b)) => {
                    format!("base {b:.1}, environmental {:.1} ({})", e.score, e.level)
                }
                (_, Some(b)) => format!("base {b:.1} ({})", f.severity.level),
                _ => format!("{} (no vector: counts as {:.1})", f.severity.level, sev),
            },
            f.severity
                .source
                .as_deref()
                .map(|s| format!("advisory {s}"))
                .unwrap_or_else(|| "no severity in any record".into()),
            "S in the risk score",
        ));
        let score = risk_score(
            sev,
            exploitation,
            epss.map(|e| e.percentile),
            sys_exposure,
            human,
        );

        // SLA.
        let first = first_seen
            .first_seen(f)
            .unwrap_or_else(|| today.to_string());
        let days = match decision {
            Priority::Act => policy.sla.act,
            Priority::Attend => policy.sla.attend,
            Priority::TrackStar => policy.sla.track_star,
            Priority::Track => policy.sla.track,
        };
        let mut due = add_days(&first, days).unwrap_or_else(|| first.clone());
        let mut due_reason = format!(
            "{decision}: {days} days from first seen {first} ({})",
            policy.sla.source
        );
        if let Some(k) = f
            .exploitation
            .kev
            .iter()
            .filter(|k| crate::policy::valid_date(&k.due_date))
            .min_by(|a, b| a.due_date.cmp(&b.due_date))
            && k.due_date < due
        {
            due = k.due_date.clone();
            due_reason = format!(
                "CISA KEV due date of {} (earlier than the {decision} SLA)",
                k.cve
            );
        }
        let overdue = today > due.as_str();
        signals.push(signal(
            "ssvc",
            format!(
                "exploitation {}, exposure {}, automatable {}, human impact {}",
                exploitation.as_str(),
                sys_exposure.as_str(),
                if automatable { "yes" } else { "no" },
                human.as_str()
            ),
            format!("deployer decision table row {row}"),
            format!("priority {decision}"),
        ));
        signals.push(signal(
            "due",
            due.clone(),
            due_reason.clone(),
            if overdue { "OVERDUE" } else { "open" },
        ));
        f.risk = Some(RiskAssessment {
            priority: decision,
            score,
            ssvc: SsvcDecision {
                exploitation: exploitation.as_str().into(),
                exposure: sys_exposure.as_str().into(),
                automatable: if automatable { "yes" } else { "no" }.into(),
                human_impact: human.as_str().into(),
                decision,
                row,
            },
            context: ContextInfo {
                criticality: ctx.criticality.0.as_str().into(),
                exposure: ctx.exposure.0.as_str().into(),
                environment: ctx.environment.0.as_str().into(),
                source: format!(
                    "criticality {}; exposure {}; environment {}",
                    ctx.criticality.1, ctx.exposure.1, ctx.environment.1
                ),
            },
            environmental,
            first_seen: first,
            due,
            due_reason,
            overdue,
            applied,
            signals,
        });
    }

    // Policy notes for VEX statements and mitigations.
    for (i, v) in policy.vex.iter().enumerate() {
        if v.expired(today) {
            report.policy.push(PolicyNote {
                kind: "expired-vex".into(),
                id: v.id.clone(),
                rule: v.rule.clone(),
                message: format!(
                    "VEX statement for {} expired on {}: no longer applied",
                    v.id, v.expires
                ),
            });
        } else if !vex_used[i] {
            report.policy.push(PolicyNote {
                kind: "unmatched-vex".into(),
                id: v.id.clone(),
                rule: v.rule.clone(),
                message: format!("VEX statement for {} matches no finding", v.id),
            });
        }
    }
    for (i, m) in policy.mitigations.iter().enumerate() {
        if m.expired(today) {
            report.policy.push(PolicyNote {
                kind: "expired-mitigation".into(),
                id: m.id.clone(),
                rule: m.rule.clone(),
                message: format!(
                    "mitigation for {} expired on {}: no longer applied",
                    m.id, m.expires
                ),
            });
        } else if !mit_used[i] {
            report.policy.push(PolicyNote {
                kind: "unmatched-mitigation".into(),
                id: m.id.clone(),
                rule: m.rule.clone(),
                message: format!("mitigation for {} matches no finding", m.id),
            });
        }
    }

    // Order: vulnerabilities by priority, then risk score, then severity.
    report.findings.sort_by(|a, b| {
        let key = |f: &Finding| {
            (
                f.category,
                std::cmp::Reverse(f.risk.as_ref().map(|r| r.priority)),
                std::cmp::Reverse(f.risk.as_ref().map(|r| r.score)),
                std::cmp::Reverse(f.severity.level),
            )
        };
        key(a)
            .cmp(&key(b))
            .then_with(|| a.package.name.cmp(&b.package.name))
            .then_with(|| a.package.version.cmp(&b.package.version))
            .then_with(|| a.id.cmp(&b.id))
    });
    recount(report);
}

/// Recompute the summary counts after suppressions changed.
pub fn recount(report: &mut ScanReport) {
    let s = &mut report.summary;
    s.vulnerabilities = 0;
    s.informational = 0;
    s.suppressed = 0;
    s.overdue = 0;
    s.by_severity.clear();
    s.by_priority.clear();
    let mut vulnerable = std::collections::BTreeSet::new();
    for f in &report.findings {
        if f.suppressed.is_some() {
            s.suppressed += 1;
            continue;
        }
        match f.category {
            Category::Vulnerability => {
                s.vulnerabilities += 1;
                *s.by_severity.entry(f.severity.level).or_default() += 1;
                vulnerable.insert((f.package.purl.clone(), f.package.version.clone()));
                if let Some(r) = &f.risk {
                    *s.by_priority.entry(r.priority).or_default() += 1;
                    if r.overdue {
                        s.overdue += 1;
                    }
                }
            }
            Category::Informational => s.informational += 1,
        }
    }
    s.vulnerable_packages = vulnerable.len();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn automatable_per_version() {
        assert_eq!(
            automatable_from_vector("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            Some(true)
        );
        assert_eq!(
            automatable_from_vector("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H"),
            Some(false)
        );
        assert_eq!(
            automatable_from_vector(
                "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
            ),
            Some(false)
        );
        assert_eq!(
            automatable_from_vector("AV:N/AC:L/Au:N/C:P/I:P/A:P"),
            Some(true)
        );
        assert_eq!(automatable_from_vector("garbage"), None);
    }

    #[test]
    fn environmental_vectors_score() {
        let v = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/CR:L";
        let e = environmental_vector(v, Criticality::Low, Exposure::Internal).unwrap();
        assert_eq!(
            e,
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/CR:L/IR:L/AR:L/MAV:A"
        );
        let s = crate::cvss::scores(&e).unwrap();
        assert!(s.environmental.unwrap() < 9.8);
        let hi = environmental_vector(v, Criticality::High, Exposure::InternetFacing).unwrap();
        assert!(crate::cvss::scores(&hi).unwrap().environmental.unwrap() >= 9.8);
        let v4 = environmental_vector(
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            Criticality::Low,
            Exposure::Internal,
        )
        .unwrap();
        let s4 = crate::cvss::scores(&v4).unwrap();
        assert!(s4.base < 9.3, "{v4}: {}", s4.base);
        let v2 = environmental_vector(
            "AV:N/AC:L/Au:N/C:P/I:P/A:P",
            Criticality::High,
            Exposure::Controlled,
        )
        .unwrap();
        assert_eq!(v2, "AV:N/AC:L/Au:N/C:P/I:P/A:P/CDP:ND/TD:ND/CR:H/IR:H/AR:H");
        assert!(crate::cvss::scores(&v2).is_ok());
    }

    #[test]
    fn score_formula_bounds() {
        assert_eq!(
            risk_score(
                10.0,
                Exploitation::Active,
                None,
                SystemExposure::Open,
                HumanImpact::VeryHigh
            ),
            100
        );
        assert_eq!(
            risk_score(
                0.0,
                Exploitation::None,
                None,
                SystemExposure::Small,
                HumanImpact::Low
            ),
            3
        );
        // 0.4*0.98 + 0.35*0.7 + 0.25*(0.75*0.75) = 0.392+0.245+0.140625 = 0.7776
        assert_eq!(
            risk_score(
                9.8,
                Exploitation::PublicPoc,
                None,
                SystemExposure::Controlled,
                HumanImpact::High
            ),
            78
        );
    }

    #[test]
    fn dates() {
        assert_eq!(add_days("2026-02-27", 2).as_deref(), Some("2026-03-01"));
        assert_eq!(add_days("2024-02-28", 1).as_deref(), Some("2024-02-29"));
        assert_eq!(add_days("bad", 1), None);
    }
}
