//! Prioritization of findings under policies: context rules, dev-only
//! scope, KEV/EPSS/exploit evidence, VEX, mitigations, SLA and KEV due
//! dates, ordering.

use patchloop_model::{
    Category, DatabaseInfo, Ecosystem, EpssInfo, Exploitation, Finding, FindingPackage, KevInfo,
    Occurrence, Priority, Relation, SCAN_SCHEMA, ScanReport, Scope, SeverityInfo, SeverityLevel,
    Summary,
};
use patchloop_risk::Policy;
use patchloop_risk::prioritize::prioritize;

const CRIT: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
const LOCAL: &str = "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:L/A:N";

fn finding(id: &str, name: &str, path: &str, vector: Option<&str>) -> Finding {
    let (level, score) = match vector {
        Some(v) => {
            let (s, l) = patchloop_risk::severity::base_score(v).unwrap();
            (l, Some(s))
        }
        None => (SeverityLevel::Unknown, None),
    };
    Finding {
        id: id.into(),
        aliases: vec![format!("CVE-{}", &id[id.len() - 4..])],
        records: vec![id.into()],
        category: Category::Vulnerability,
        informational: None,
        summary: None,
        package: FindingPackage {
            ecosystem: Ecosystem::NPM,
            name: name.into(),
            version: "1.0.0".into(),
            purl: format!("pkg:npm/{name}@1.0.0"),
        },
        occurrences: vec![Occurrence {
            path: path.into(),
            line: Some(3),
            relation: Relation::Transitive,
            scope: Scope::Runtime,
            paths: vec![],
        }],
        fixed: Some("1.0.1".into()),
        severity: SeverityInfo {
            level,
            score,
            vector: vector.map(str::to_string),
            kind: vector.map(|_| "CVSS_V3".into()),
            source: Some(id.into()),
        },
        url: None,
        published: None,
        modified: None,
        suppressed: None,
        exploitation: Exploitation::default(),
        risk: None,
        distro: None,
    }
}

fn report(findings: Vec<Finding>) -> ScanReport {
    ScanReport {
        schema: SCAN_SCHEMA.into(),
        generator: "test".into(),
        database: DatabaseInfo::default(),
        summary: Summary::default(),
        findings,
        policy: vec![],
        diagnostics: vec![],
    }
}

fn kev(cve: &str, due: &str) -> KevInfo {
    KevInfo {
        cve: cve.into(),
        date_added: "2026-01-10".into(),
        due_date: due.into(),
        known_ransomware: true,
        required_action: "Apply updates".into(),
    }
}

fn no_state(_: &Finding) -> Option<String> {
    None
}

fn risk(r: &ScanReport, id: &str) -> patchloop_model::RiskAssessment {
    r.findings
        .iter()
        .find(|f| f.id == id)
        .unwrap()
        .risk
        .clone()
        .unwrap()
}

#[test]
fn kev_internet_facing_mission_critical_is_act_with_the_kev_due_date() {
    let policy = Policy::parse(
        "patchloop.toml",
        "[context]\ncriticality = \"mission-critical\"\nexposure = \"internet-facing\"\n",
    )
    .unwrap();
    let mut f = finding("GHSA-0001", "express", "web/package-lock.json", Some(CRIT));
    f.exploitation.kev.push(kev("CVE-0001", "2026-01-20"));
    let mut r = report(vec![f]);
    prioritize(&mut r, &policy, &no_state, "2026-01-15");
    let x = risk(&r, "GHSA-0001");
    assert_eq!(x.priority, Priority::Act);
    assert_eq!(x.ssvc.row, 71);
    // 100 × (0.40 × 0.98 + 0.35 × 1.0 + 0.25 × 1.0 × 1.0) = 99.2
    assert_eq!(x.score, 99);
    // Act is 2 days from first seen (2026-01-17): the KEV date is later,
    // so the SLA wins.
    assert_eq!(x.due, "2026-01-17");
    assert!(!x.overdue);
    // Seen long ago: the KEV due date is earlier than the SLA.
    let seen = |_: &Finding| Some("2026-01-19".to_string());
    let mut r2 = r.clone();
    prioritize(&mut r2, &policy, &seen, "2026-01-25");
    let y = risk(&r2, "GHSA-0001");
    assert_eq!(y.due, "2026-01-20");
    assert!(y.due_reason.contains("KEV"), "{}", y.due_reason);
    assert!(y.overdue);
    assert_eq!(r2.summary.overdue, 1);
    assert_eq!(r2.summary.by_priority.get(&Priority::Act), Some(&1));
    assert!(
        y.signals
            .iter()
            .any(|s| s.name == "kev" && s.source == "CISA KEV catalog")
    );
}

#[test]
fn context_rules_dev_scope_and_defaults() {
    let policy = Policy::parse(
        "patchloop.toml",
        r#"
[context]
criticality = "high"
exposure = "internet-facing"

[[context.rule]]
paths = ["tools/**"]
environment = "dev"
"#,
    )
    .unwrap();
    let prod = finding("GHSA-0002", "a", "web/package-lock.json", Some(CRIT));
    let dev = finding("GHSA-0003", "b", "tools/package-lock.json", Some(CRIT));
    let mut devdep = finding("GHSA-0004", "c", "web/package-lock.json", Some(CRIT));
    devdep.occurrences[0].scope = Scope::Dev;
    let mut r = report(vec![dev, devdep, prod]);
    prioritize(&mut r, &policy, &no_state, "2026-01-15");
    let p = risk(&r, "GHSA-0002");
    assert_eq!(
        (p.ssvc.exposure.as_str(), p.ssvc.human_impact.as_str()),
        ("open", "high")
    );
    assert_eq!(p.priority, Priority::TrackStar);
    assert_eq!(
        p.context.source,
        "criticality patchloop.toml:3; exposure patchloop.toml:4; environment default"
    );
    let d = risk(&r, "GHSA-0003");
    assert_eq!(d.ssvc.human_impact, "low");
    assert_eq!(d.context.environment, "dev");
    let dd = risk(&r, "GHSA-0004");
    assert_eq!(
        (dd.ssvc.exposure.as_str(), dd.ssvc.human_impact.as_str()),
        ("small", "low")
    );
    assert_eq!(dd.priority, Priority::Track);
    assert!(dd.signals.iter().any(|s| s.name == "scope"));
    // Ordered by priority, then risk score.
    assert_eq!(r.findings[0].id, "GHSA-0002");
    assert!(risk(&r, "GHSA-0003").score >= risk(&r, "GHSA-0004").score);
    // Environmental CVSS lower for the internal dev-only dependency.
    assert!(dd.environmental.unwrap().score < 9.8);
}

#[test]
fn exploitation_from_epss_threshold_and_exploit_references() {
    let policy = Policy::parse("p.toml", "[exploitation]\npoc_epss = 0.2\n").unwrap();
    let epss = |p: f64| EpssInfo {
        cve: "CVE-1".into(),
        probability: p,
        percentile: 0.97,
        score_date: "2026-01-14".into(),
        model_version: "v2025.03.14".into(),
    };
    let mut hi = finding("GHSA-0005", "a", "package-lock.json", Some(CRIT));
    hi.exploitation.epss = Some(epss(0.25));
    let mut lo = finding("GHSA-0006", "b", "package-lock.json", Some(CRIT));
    lo.exploitation.epss = Some(epss(0.19));
    let mut refd = finding("GHSA-0007", "c", "package-lock.json", Some(CRIT));
    refd.exploitation
        .exploit_refs
        .push("https://www.exploit-db.com/exploits/1".into());
    let mut r = report(vec![hi, lo, refd]);
    prioritize(&mut r, &policy, &no_state, "2026-01-15");
    assert_eq!(risk(&r, "GHSA-0005").ssvc.exploitation, "public poc");
    assert_eq!(risk(&r, "GHSA-0006").ssvc.exploitation, "none");
    assert_eq!(risk(&r, "GHSA-0007").ssvc.exploitation, "public poc");
    // EPSS below the threshold still raises the score over no EPSS.
    let mut none = report(vec![finding(
        "GHSA-0006",
        "b",
        "package-lock.json",
        Some(CRIT),
    )]);
    prioritize(&mut none, &policy, &no_state, "2026-01-15");
    assert!(risk(&r, "GHSA-0006").score > risk(&none, "GHSA-0006").score);
}

#[test]
fn unknown_vector_is_assumed_automatable_and_local_vectors_are_not() {
    let mut r = report(vec![
        finding("GO-2026-0001", "a", "go.mod", None),
        finding("GHSA-0008", "b", "go.mod", Some(LOCAL)),
    ]);
    prioritize(&mut r, &Policy::default(), &no_state, "2026-01-15");
    let u = risk(&r, "GO-2026-0001");
    assert_eq!(u.ssvc.automatable, "yes");
    assert!(u.signals.iter().any(|s| s.value == "yes (assumed)"));
    assert!(u.environmental.is_none());
    assert_eq!(risk(&r, "GHSA-0008").ssvc.automatable, "no");
}

#[test]
fn vex_and_mitigations_apply_expire_and_are_reported() {
    let policy = Policy::parse(
        "patchloop.toml",
        r#"
[context]
criticality = "mission-critical"
exposure = "internet-facing"

[[vex]]
id = "CVE-0009"
status = "not_affected"
justification = "vulnerable_code_not_in_execute_path"
statement = "only the client side is used"
expires = 2026-12-31

[[vex]]
id = "CVE-0010"
status = "not_affected"
justification = "component_not_present"
statement = "old"
expires = 2025-12-31

[[mitigation]]
id = "GHSA-0011"
statement = "behind the VPN"
exposure = "internal"
automatable = false
expires = 2026-12-31

[[mitigation]]
id = "CVE-9999"
statement = "nothing"
automatable = false
expires = 2026-12-31
"#,
    )
    .unwrap();
    let mut k = finding("GHSA-0011", "c", "package-lock.json", Some(CRIT));
    k.exploitation.kev.push(kev("CVE-0011", "2026-06-01"));
    let mut r = report(vec![
        finding("GHSA-0009", "a", "package-lock.json", Some(CRIT)),
        finding("GHSA-0010", "b", "package-lock.json", Some(CRIT)),
        k,
    ]);
    prioritize(&mut r, &policy, &no_state, "2026-01-15");
    let v = r.findings.iter().find(|f| f.id == "GHSA-0009").unwrap();
    let sup = v.suppressed.as_ref().unwrap();
    assert!(
        sup.reason.contains("vulnerable_code_not_in_execute_path"),
        "{}",
        sup.reason
    );
    assert_eq!(sup.rule, "patchloop.toml:6");
    let old = r.findings.iter().find(|f| f.id == "GHSA-0010").unwrap();
    assert!(old.suppressed.is_none(), "expired VEX no longer applies");
    let m = risk(&r, "GHSA-0011");
    // KEV + internet-facing + mission-critical would be Act; the
    // mitigation leaves it internal and not automatable: row 51.
    assert_eq!(
        (m.ssvc.exposure.as_str(), m.ssvc.automatable.as_str()),
        ("small", "no")
    );
    assert_eq!(m.priority, Priority::Attend);
    assert_eq!(m.applied.len(), 1);
    assert_eq!(m.applied[0].rule, "patchloop.toml:20");
    let kinds: Vec<&str> = r.policy.iter().map(|n| n.kind.as_str()).collect();
    assert_eq!(kinds, vec!["expired-vex", "unmatched-mitigation"]);
    assert_eq!(r.summary.suppressed, 1);
    assert_eq!(r.summary.vulnerabilities, 2);
}

#[test]
fn sla_days_come_from_policy() {
    let policy = Policy::parse(
        "p.toml",
        "[sla]\nact = 1\nattend = 7\ntrack_star = 20\ntrack = 60\n",
    )
    .unwrap();
    let mut r = report(vec![finding(
        "GHSA-0012",
        "a",
        "package-lock.json",
        Some(CRIT),
    )]);
    let seen = |_: &Finding| Some("2026-01-01".to_string());
    prioritize(&mut r, &policy, &seen, "2026-01-25");
    let x = risk(&r, "GHSA-0012");
    assert_eq!(x.priority, Priority::TrackStar);
    assert_eq!(x.due, "2026-01-21");
    assert!(x.overdue);
    assert_eq!(x.first_seen, "2026-01-01");
    assert!(x.due_reason.contains("p.toml [sla]"), "{}", x.due_reason);
}
