//! Findings: a vulnerability (or informational advisory) in one package
//! version, with everything `scan` reports about it, and the scan report
//! that groups them.
//!
//! The JSON form of [`ScanReport`] is patchloop's stable scan format
//! (`schema: "patchloop.scan/v1"`, docs/scan-json.md): within v1 fields are
//! only ever added, never renamed or removed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ecosystem::Ecosystem;
use crate::package::{Diagnostic, Relation, Scope};

/// The scan JSON schema identifier.
pub const SCAN_SCHEMA: &str = "patchloop.scan/v1";

/// Qualitative severity, ordered from least to most severe. `Unknown`
/// sorts lowest but is never treated as "low": `--fail-on` thresholds
/// other than `any` do not count it (docs/scan.md).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum SeverityLevel {
    #[default]
    Unknown,
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl SeverityLevel {
    pub const ALL: [SeverityLevel; 6] = [
        SeverityLevel::Critical,
        SeverityLevel::High,
        SeverityLevel::Medium,
        SeverityLevel::Low,
        SeverityLevel::None,
        SeverityLevel::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SeverityLevel::Unknown => "unknown",
            SeverityLevel::None => "none",
            SeverityLevel::Low => "low",
            SeverityLevel::Medium => "medium",
            SeverityLevel::High => "high",
            SeverityLevel::Critical => "critical",
        }
    }

    /// The CVSS v3/v4 qualitative rating of a base score.
    pub fn from_cvss_score(score: f64) -> SeverityLevel {
        if score >= 9.0 {
            SeverityLevel::Critical
        } else if score >= 7.0 {
            SeverityLevel::High
        } else if score >= 4.0 {
            SeverityLevel::Medium
        } else if score > 0.0 {
            SeverityLevel::Low
        } else {
            SeverityLevel::None
        }
    }

    /// A qualitative label as advisory databases write it (`CRITICAL`,
    /// `HIGH`, `MODERATE`, `MEDIUM`, `LOW`), case-insensitive.
    pub fn from_label(s: &str) -> Option<SeverityLevel> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "critical" => SeverityLevel::Critical,
            "high" | "important" => SeverityLevel::High,
            "moderate" | "medium" => SeverityLevel::Medium,
            "low" => SeverityLevel::Low,
            "none" | "negligible" => SeverityLevel::None,
            _ => return None,
        })
    }
}

impl std::fmt::Display for SeverityLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The severity of a finding and where it came from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SeverityInfo {
    pub level: SeverityLevel,
    /// The CVSS base score, when computed from a vector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// The vector the score was computed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector: Option<String>,
    /// `CVSS_V4`, `CVSS_V3`, `CVSS_V2`, or `label` for a qualitative
    /// severity written by the database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The advisory record the severity was taken from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Whether a finding is a vulnerability or an informational advisory
/// (RustSec `unmaintained`, `unsound`, `notice`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Vulnerability,
    Informational,
}

/// The package a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingPackage {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: String,
    pub purl: String,
}

/// One file the vulnerable package was found in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Occurrence {
    /// The file, as displayed by the inventory.
    pub path: String,
    /// Line of the package's entry, where the format records it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    pub relation: Relation,
    pub scope: Scope,
    /// Dependency paths from a direct dependency down to the package, each
    /// a list of `name@version`, shortest first (at most a few). Empty
    /// when the file records no dependency edges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<Vec<String>>,
}

/// An ignore rule from the project's policy that suppresses a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    pub reason: String,
    /// `YYYY-MM-DD`: the last day the ignore applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// `file:line` of the rule.
    pub rule: String,
}

/// One vulnerability in one package version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The primary id: the matched record's own id (RUSTSEC-, PYSEC-, GO-,
    /// GHSA-, ...), never an alias chosen at random (docs/scan.md).
    pub id: String,
    /// Every other id of the same vulnerability (CVE, GHSA, ...), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The advisory records in the store that matched this package.
    pub records: Vec<String>,
    pub category: Category,
    /// For informational advisories: `unmaintained`, `unsound`, `notice`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub informational: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    pub package: FindingPackage,
    pub occurrences: Vec<Occurrence>,
    /// The nearest fixed version at or above the installed one (none when
    /// the advisory names no fix).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    pub severity: SeverityInfo,
    /// A link to the advisory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    /// Present when an ignore rule of the policy suppresses the finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppression>,
    /// Exploitation evidence from the feeds (KEV, EPSS, exploit references).
    #[serde(default, skip_serializing_if = "Exploitation::is_empty")]
    pub exploitation: Exploitation,
    /// Prioritization: SSVC decision, risk score, SLA due date, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<RiskAssessment>,
    /// For OS packages matched against their distribution's advisories:
    /// the release, the installed binary packages, and whether the release
    /// has a fix (docs/containers.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distro: Option<DistroFinding>,
}

/// What a distribution advisory says about an OS package of one release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistroFinding {
    /// The distribution release the records were matched in (`Debian:12`).
    pub release: Ecosystem,
    /// The source package the records name, when matched by source
    /// package (Debian, Ubuntu, Alpine); the finding's `package` is then
    /// that source package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The installed binary packages the finding covers.
    pub binaries: Vec<DistroBinary>,
    /// True when the release has a fixed version (`fixed`, "fixed in
    /// distribution version X"); false when the records name no fix for
    /// this release yet.
    pub fix_available: bool,
}

/// One installed binary package of a [`DistroFinding`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistroBinary {
    pub name: String,
    pub version: String,
    pub purl: String,
    /// Index of the image layer that brought it (see the inventory's
    /// `target.layers`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<u32>,
}

/// A CISA KEV catalog entry naming one of the finding's CVEs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KevInfo {
    pub cve: String,
    /// `YYYY-MM-DD`.
    pub date_added: String,
    /// `YYYY-MM-DD`: CISA's remediation due date for US federal agencies.
    pub due_date: String,
    pub known_ransomware: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub required_action: String,
}

/// The FIRST EPSS score of the finding (the highest among its CVEs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpssInfo {
    pub cve: String,
    /// Probability of exploitation activity in the next 30 days, 0..=1.
    pub probability: f64,
    /// Percentile among all scored CVEs, 0..=1.
    pub percentile: f64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub score_date: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub model_version: String,
}

/// What the feeds say about exploitation.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Exploitation {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kev: Vec<KevInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epss: Option<EpssInfo>,
    /// Advisory references of type EVIDENCE or to exploit archives.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exploit_refs: Vec<String>,
}

impl Exploitation {
    pub fn is_empty(&self) -> bool {
        self.kev.is_empty() && self.epss.is_none() && self.exploit_refs.is_empty()
    }
}

/// The decision outcome: CISA's SSVC labels, from least to most urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Priority {
    #[serde(rename = "track")]
    Track,
    #[serde(rename = "track*")]
    TrackStar,
    #[serde(rename = "attend")]
    Attend,
    #[serde(rename = "act")]
    Act,
}

impl Priority {
    pub const ALL: [Priority; 4] = [
        Priority::Act,
        Priority::Attend,
        Priority::TrackStar,
        Priority::Track,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Track => "track",
            Priority::TrackStar => "track*",
            Priority::Attend => "attend",
            Priority::Act => "act",
        }
    }

    /// `act`, `attend`, `track*` (also `track-star`, `track_star`), `track`.
    pub fn parse(s: &str) -> Option<Priority> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "act" => Priority::Act,
            "attend" => Priority::Attend,
            "track*" | "track-star" | "track_star" | "trackstar" => Priority::TrackStar,
            "track" => Priority::Track,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Priority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The SSVC decision point values and the table row that decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsvcDecision {
    /// `none`, `public poc`, `active`.
    pub exploitation: String,
    /// `small`, `controlled`, `open`.
    pub exposure: String,
    /// `yes`, `no`.
    pub automatable: String,
    /// Mission and well-being (human) impact: `low`, `medium`, `high`, `very high`.
    pub human_impact: String,
    pub decision: Priority,
    /// Row of the deployer decision table (docs/prioritization.md).
    pub row: u8,
}

/// The project context that applied to a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextInfo {
    /// `low`, `medium`, `high`, `mission-critical`.
    pub criticality: String,
    /// `internal`, `controlled`, `internet-facing`.
    pub exposure: String,
    /// `dev`, `staging`, `prod`.
    pub environment: String,
    /// Where each value came from: `default` or `file:line` of the policy
    /// rule (`criticality <src>; exposure <src>; environment <src>`).
    pub source: String,
}

/// An environmental CVSS score computed from the context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvironmentalScore {
    pub score: f64,
    pub level: SeverityLevel,
    /// The base vector with the environmental metrics appended.
    pub vector: String,
}

/// A VEX statement or mitigation of the policy that applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// `vex` or `mitigation`.
    pub kind: String,
    /// VEX: `not_affected`, `affected`, `fixed`, `under_investigation`;
    /// mitigation: what it changes (e.g. `exposure=internal`).
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    pub statement: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// `file:line` of the rule.
    pub rule: String,
}

/// One signal of a decision: what it is, where it came from, what it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signal {
    pub name: String,
    pub value: String,
    pub source: String,
    pub effect: String,
}

/// The prioritization of one finding (docs/prioritization.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskAssessment {
    pub priority: Priority,
    /// 0..=100, documented formula.
    pub score: u8,
    pub ssvc: SsvcDecision,
    pub context: ContextInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environmental: Option<EnvironmentalScore>,
    /// `YYYY-MM-DD` patchloop first saw this finding in this project.
    pub first_seen: String,
    /// `YYYY-MM-DD` the fix is due.
    pub due: String,
    /// Why that date: the SLA of the priority, or a KEV due date.
    pub due_reason: String,
    pub overdue: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applied: Vec<Applied>,
    pub signals: Vec<Signal>,
}

impl Finding {
    /// The id and all aliases.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }

    pub fn is_active(&self) -> bool {
        self.suppressed.is_none()
    }

    /// The first occurrence's file and line (SARIF/Markdown location).
    pub fn primary_location(&self) -> Option<(&str, Option<u32>)> {
        self.occurrences.first().map(|o| (o.path.as_str(), o.line))
    }
}

/// A policy rule that needs attention: an expired or unmatched ignore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyNote {
    /// `expired-ignore` or `unmatched-ignore`.
    pub kind: String,
    /// The vulnerability id the rule names.
    pub id: String,
    /// `file:line` of the rule.
    pub rule: String,
    pub message: String,
}

/// What the advisory database looked like during the scan.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DatabaseInfo {
    pub path: String,
    /// Age of the oldest source, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_secs: Option<i64>,
    pub stale: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// Counts over a report.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Summary {
    pub files: usize,
    pub packages: usize,
    /// Packages without an exact version (requirement only, URL, VCS,
    /// path): not matched.
    pub unpinned: usize,
    /// Packages whose version the ecosystem's scheme cannot parse, or whose
    /// ecosystem has no version rules: not matched (see diagnostics).
    pub unmatched: usize,
    /// Active (not suppressed) vulnerability findings.
    pub vulnerabilities: usize,
    /// Active vulnerability findings per severity level.
    pub by_severity: BTreeMap<SeverityLevel, usize>,
    /// Active informational findings.
    pub informational: usize,
    /// Findings suppressed by ignore rules or VEX statements.
    pub suppressed: usize,
    /// Active findings per priority (when prioritized).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_priority: BTreeMap<Priority, usize>,
    /// Active findings past their due date.
    #[serde(default)]
    pub overdue: usize,
    /// Distinct packages (name and version) with an active vulnerability.
    pub vulnerable_packages: usize,
}

/// The result of a scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanReport {
    pub schema: String,
    pub generator: String,
    pub database: DatabaseInfo,
    pub summary: Summary,
    /// Vulnerabilities first, then informational advisories; within each,
    /// most severe first, then by package and id.
    pub findings: Vec<Finding>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy: Vec<PolicyNote>,
    /// Problems with inputs and advisory records (file or record, line,
    /// cause); the scan went on past each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<Diagnostic>,
}

impl ScanReport {
    /// Active findings (not suppressed).
    pub fn active(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.is_active())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_order_and_labels() {
        assert!(SeverityLevel::Critical > SeverityLevel::High);
        assert!(SeverityLevel::Low > SeverityLevel::Unknown);
        assert_eq!(SeverityLevel::from_cvss_score(9.8), SeverityLevel::Critical);
        assert_eq!(SeverityLevel::from_cvss_score(7.0), SeverityLevel::High);
        assert_eq!(SeverityLevel::from_cvss_score(6.9), SeverityLevel::Medium);
        assert_eq!(SeverityLevel::from_cvss_score(0.1), SeverityLevel::Low);
        assert_eq!(SeverityLevel::from_cvss_score(0.0), SeverityLevel::None);
        assert_eq!(
            SeverityLevel::from_label("MODERATE"),
            Some(SeverityLevel::Medium)
        );
        assert_eq!(SeverityLevel::from_label("bogus"), None);
        assert_eq!(
            serde_json::to_string(&SeverityLevel::Critical).unwrap(),
            "\"critical\""
        );
    }
}
