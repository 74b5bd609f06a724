//! SARIF 2.1.0 (OASIS) output, shaped for GitHub code scanning.
//!
//! One run with one rule per advisory id (`rule.id` = finding id) and one
//! result per occurrence of a finding (a vulnerable package in one file).
//! Results point at the lockfile or manifest the package was found in, with
//! the entry's line when the format records one. docs/reports.md has the
//! full field mapping.
//!
//! Severity: `defaultConfiguration.level` and `result.level` follow
//! [`level`]; GitHub's `security-severity` rule property follows
//! [`security_severity`].

use std::collections::BTreeMap;

use patchloop_model::{
    Category, DiagnosticLevel, Finding, Occurrence, Relation, ScanReport, Scope, SeverityInfo,
    SeverityLevel,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{clip, http_url, percent_encode, summary_line};

/// The `$schema` written at the top of the log.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The SARIF version written.
pub const SARIF_VERSION: &str = "2.1.0";
/// The `uriBaseId` of relative artifact locations: the scanned root.
pub const SRCROOT: &str = "%SRCROOT%";
/// The `partialFingerprints` key patchloop writes. (GitHub computes its
/// own `primaryLocationLineHash` and warns when a tool sends a different
/// one, so patchloop uses a key of its own.)
pub const FINGERPRINT_KEY: &str = "patchloop/v1";

/// Longest rule description or message taken from an advisory, in
/// characters (GitHub truncates long descriptions anyway).
const MAX_TEXT: usize = 1000;

/// Settings for [`write`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SarifOptions {
    /// `tool.driver.version` (and `semanticVersion`).
    pub tool_version: String,
    /// `tool.driver.informationUri`: an absolute url (dropped otherwise).
    pub information_uri: String,
    /// `run.automationDetails.id`, e.g. `patchloop/scan/` (GitHub uses it to
    /// tell analyses of the same repository apart; `upload-sarif`'s
    /// `category` input overrides it).
    pub automation_id: Option<String>,
}

impl Default for SarifOptions {
    fn default() -> Self {
        SarifOptions {
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            information_uri: env!("CARGO_PKG_REPOSITORY").to_string(),
            automation_id: None,
        }
    }
}

/// The SARIF log of `report`, pretty-printed, with a final newline.
pub fn write(report: &ScanReport, opts: &SarifOptions) -> String {
    let mut s = serde_json::to_string_pretty(&build(report, opts))
        .expect("the SARIF model serializes (string keys, finite numbers)");
    s.push('\n');
    s
}

/// The SARIF log of `report` as a JSON value.
pub fn to_value(report: &ScanReport, opts: &SarifOptions) -> serde_json::Value {
    serde_json::to_value(build(report, opts))
        .expect("the SARIF model serializes (string keys, finite numbers)")
}

/// The SARIF level of a finding: critical and high → `error`, medium →
/// `warning`, low, none and unknown → `note`; informational advisories are
/// always `note`.
pub fn level(category: Category, severity: SeverityLevel) -> &'static str {
    if category == Category::Informational {
        return "note";
    }
    match severity {
        SeverityLevel::Critical | SeverityLevel::High => "error",
        SeverityLevel::Medium => "warning",
        SeverityLevel::Low | SeverityLevel::None | SeverityLevel::Unknown => "note",
    }
}

/// The `security-severity` GitHub code scanning ranks alerts by (it reads
/// over 9.0 as critical, 7.0–8.9 high, 4.0–6.9 medium, below 4.0 low): the
/// CVSS base score when the finding has one, else a representative score of
/// its level: critical 9.5, high 8.0, medium 5.5, low 2.0. None for levels
/// `none` and `unknown`, so GitHub falls back to the SARIF level (`note`)
/// instead of calling an unrated vulnerability "low".
pub fn security_severity(severity: &SeverityInfo) -> Option<f64> {
    let representative = match severity.level {
        SeverityLevel::Critical => 9.5,
        SeverityLevel::High => 8.0,
        SeverityLevel::Medium => 5.5,
        SeverityLevel::Low => 2.0,
        SeverityLevel::None | SeverityLevel::Unknown => return None,
    };
    Some(
        severity
            .score
            .filter(|s| s.is_finite() && (0.0..=10.0).contains(s))
            .unwrap_or(representative),
    )
}

/// The artifact uri of an occurrence path and whether it is relative (to
/// [`SRCROOT`]): forward slashes, no leading `./`, percent-encoded;
/// absolute paths become `file:` urls. None for an empty path.
pub fn artifact_uri(path: &str) -> Option<(String, bool)> {
    let mut p = path.trim().replace('\\', "/");
    while let Some(rest) = p.strip_prefix("./") {
        p = rest.to_string();
    }
    if p.is_empty() || p == "." {
        return None;
    }
    // Characters a path segment may hold unencoded (RFC 3986 pchar and '/').
    const PATH_KEEP: &[u8] = b"/!$&'()*+,;=:@";
    let b = p.as_bytes();
    let drive = b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':';
    if p.starts_with('/') || drive {
        let abs = percent_encode(p.trim_start_matches('/'), PATH_KEEP, false);
        return Some((format!("file:///{abs}"), false));
    }
    let mut uri = percent_encode(&p, PATH_KEEP, false);
    // A relative reference whose first segment holds ':' would read as a
    // scheme.
    if uri.split('/').next().is_some_and(|seg| seg.contains(':')) {
        uri.insert_str(0, "./");
    }
    Some((uri, true))
}

/// `partialFingerprints[FINGERPRINT_KEY]`: sha256 (hex) of the advisory id,
/// the package (ecosystem, name, version) and the file. Stable across runs
/// and line moves.
pub fn fingerprint(finding: &Finding, path: &str) -> String {
    let mut h = Sha256::new();
    for part in [
        FINGERPRINT_KEY,
        finding.id.as_str(),
        &finding.package.ecosystem.to_string(),
        finding.package.name.as_str(),
        finding.package.version.as_str(),
        path,
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    h.finalize()
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            use std::fmt::Write as _;
            let _ = write!(s, "{b:02x}");
            s
        })
}

// ---------------------------------------------------------------------------
// The SARIF object model (the subset written), in schema property order.

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    invocations: Vec<Invocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    automation_details: Option<AutomationDetails>,
    results: Vec<SarifResult>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: String,
    semantic_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<String>,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
struct MultiformatMessage {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    short_description: Message,
    full_description: Message,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
    help: MultiformatMessage,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<String>,
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    security_severity: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_configuration_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    #[serde(skip_serializing_if = "Option::is_none")]
    descriptor: Option<DescriptorReference>,
    message: Message,
    level: &'static str,
}

#[derive(Serialize)]
struct DescriptorReference {
    id: String,
}

#[derive(Serialize)]
struct AutomationDetails {
    id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Message,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<SarifSuppression>,
    properties: ResultProperties,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
}

#[derive(Serialize)]
struct SarifSuppression {
    kind: &'static str,
    justification: String,
    properties: SuppressionProperties,
}

#[derive(Serialize)]
struct SuppressionProperties {
    rule: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties {
    purl: String,
    ecosystem: String,
    package: String,
    installed_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fixed_version: Option<String>,
    severity: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    informational: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    relation: Option<Relation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<Scope>,
    /// Each path as `a@1 > b@2 > pkg@3`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dependency_paths: Vec<String>,
    /// SSVC priority (`act`, `attend`, `track*`, `track`), risk score and
    /// due date, when prioritized.
    #[serde(skip_serializing_if = "Option::is_none")]
    priority: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    risk_score: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    due: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    overdue: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    kev: Vec<String>,
}

// ---------------------------------------------------------------------------

fn build(report: &ScanReport, opts: &SarifOptions) -> Log {
    // Rules in order of first appearance; findings grouped by id.
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut groups: Vec<Vec<&Finding>> = Vec::new();
    for f in &report.findings {
        let i = *index.entry(f.id.as_str()).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[i].push(f);
    }
    let rules: Vec<Rule> = groups.iter().map(|g| rule(g)).collect();

    let mut results = Vec::new();
    for f in &report.findings {
        let rule_index = index[f.id.as_str()];
        if f.occurrences.is_empty() {
            results.push(result(f, None, rule_index));
        }
        for occ in &f.occurrences {
            results.push(result(f, Some(occ), rule_index));
        }
    }

    let invocation = Invocation {
        execution_successful: true,
        tool_execution_notifications: report
            .diagnostics
            .iter()
            .map(|d| Notification {
                descriptor: None,
                message: Message {
                    text: clip(&d.to_string(), MAX_TEXT),
                },
                level: match d.level {
                    DiagnosticLevel::Warning => "warning",
                    DiagnosticLevel::Error => "error",
                },
            })
            .collect(),
        tool_configuration_notifications: report
            .policy
            .iter()
            .map(|p| Notification {
                descriptor: Some(DescriptorReference { id: p.kind.clone() }),
                message: Message {
                    text: clip(&format!("{}: {} ({})", p.id, p.message, p.rule), MAX_TEXT),
                },
                level: "warning",
            })
            .collect(),
    };

    Log {
        schema: SARIF_SCHEMA,
        version: SARIF_VERSION,
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "patchloop",
                    version: opts.tool_version.clone(),
                    semantic_version: opts.tool_version.clone(),
                    information_uri: http_url(&opts.information_uri),
                    rules,
                },
            },
            invocations: vec![invocation],
            automation_details: opts
                .automation_id
                .as_ref()
                .map(|id| AutomationDetails { id: id.clone() }),
            results,
        }],
    }
}

/// The rule of one advisory id, from all findings with that id (several
/// packages may share one advisory).
fn rule(group: &[&Finding]) -> Rule {
    let first = group[0];
    let id = first.id.clone();
    let category = if group.iter().any(|f| f.category == Category::Vulnerability) {
        Category::Vulnerability
    } else {
        Category::Informational
    };
    // The most severe finding decides the rule's level and score.
    let worst = group
        .iter()
        .max_by(|a, b| {
            a.severity.level.cmp(&b.severity.level).then(
                security_severity(&a.severity)
                    .unwrap_or(0.0)
                    .total_cmp(&security_severity(&b.severity).unwrap_or(0.0)),
            )
        })
        .expect("a group has a finding");
    let summary = group
        .iter()
        .find_map(|f| summary_line(f.summary.as_deref()));
    let url = group
        .iter()
        .find_map(|f| f.url.as_deref().and_then(http_url));
    let mut aliases: Vec<&str> = group
        .iter()
        .flat_map(|f| f.aliases.iter().map(String::as_str))
        .filter(|a| *a != id)
        .collect();
    aliases.sort_unstable();
    aliases.dedup();
    let kinds: Vec<&str> = dedup_in_order(group.iter().filter_map(|f| f.informational.as_deref()));

    let noun = match category {
        Category::Vulnerability => "Vulnerability",
        Category::Informational => "Informational advisory",
    };
    let short = match &summary {
        Some(s) => clip(s, MAX_TEXT),
        None => format!("{noun} {id}"),
    };
    let affected: Vec<String> = group
        .iter()
        .map(|f| {
            let fix = match &f.fixed {
                Some(v) => format!("fixed in {v}"),
                None => "no fixed version".to_string(),
            };
            format!(
                "{} {}@{} ({fix})",
                f.package.ecosystem, f.package.name, f.package.version
            )
        })
        .collect();
    let mut full = format!("{noun} {id}");
    if !aliases.is_empty() {
        full.push_str(&format!(" (also {})", aliases.join(", ")));
    }
    if let Some(s) = &summary {
        full.push_str(": ");
        full.push_str(&clip(s, MAX_TEXT));
    }
    full.push_str(". Affected: ");
    full.push_str(&clip(&affected.join("; "), MAX_TEXT));
    full.push('.');

    let help = help(
        first,
        category,
        &kinds,
        summary.as_deref(),
        &aliases,
        group,
        url.as_deref(),
    );

    let mut tags = vec!["security".to_string()];
    tags.push(
        match category {
            Category::Vulnerability => "vulnerability",
            Category::Informational => "informational",
        }
        .to_string(),
    );
    tags.extend(kinds.iter().map(|k| k.to_string()));
    tags.extend(
        dedup_in_order(group.iter().map(|f| f.package.ecosystem.kind.as_str()))
            .into_iter()
            .map(str::to_string),
    );
    tags.retain(|t| !t.trim().is_empty());
    let mut seen = Vec::new();
    tags.retain(|t| {
        let new = !seen.contains(t);
        seen.push(t.clone());
        new
    });
    // GitHub reads at most 20 tags.
    tags.truncate(20);

    let security_severity = if category == Category::Vulnerability {
        security_severity(&worst.severity).map(|s| format!("{s:.1}"))
    } else {
        None
    };

    Rule {
        id,
        short_description: Message { text: short },
        full_description: Message { text: full },
        help_uri: url,
        help,
        default_configuration: Configuration {
            level: level(category, worst.severity.level),
        },
        properties: RuleProperties {
            tags,
            security_severity,
        },
    }
}

/// The rule's help: what the advisory is, its aliases, the affected
/// packages and their fixes, as plain text and as (escaped) Markdown.
fn help(
    first: &Finding,
    category: Category,
    kinds: &[&str],
    summary: Option<&str>,
    aliases: &[&str],
    group: &[&Finding],
    url: Option<&str>,
) -> MultiformatMessage {
    use super::markdown::{escape, link_url};
    let id = first.id.as_str();
    let kind = match (category, kinds.is_empty()) {
        (Category::Informational, false) => {
            format!("Informational advisory ({})", kinds.join(", "))
        }
        (Category::Informational, true) => "Informational advisory".to_string(),
        (Category::Vulnerability, _) => "Vulnerability".to_string(),
    };
    let mut text = format!("{kind} {id}");
    let mut md = format!("**{kind} {}**", escape(id, 200));
    if let Some(s) = summary {
        text.push_str(&format!(": {}", clip(s, MAX_TEXT)));
        md.push_str(&format!(": {}", escape(s, MAX_TEXT)));
    }
    text.push('\n');
    md.push_str("\n\n");
    if !aliases.is_empty() {
        text.push_str(&format!("\nAliases: {}\n", aliases.join(", ")));
        let esc: Vec<String> = aliases.iter().map(|a| escape(a, 200)).collect();
        md.push_str(&format!("Aliases: {}\n\n", esc.join(", ")));
    }
    let sev = &first.severity;
    if category == Category::Vulnerability {
        let mut s = format!("Severity: {}", sev.level);
        if let Some(score) = sev.score.filter(|s| s.is_finite()) {
            s.push_str(&format!(" (score {score:.1}"));
            if let Some(v) = &sev.vector {
                s.push_str(&format!(", {v}"));
            }
            s.push(')');
        }
        text.push_str(&format!("\n{s}\n"));
        md.push_str(&format!("{}\n\n", escape(&s, MAX_TEXT)));
    }
    text.push_str("\nAffected packages:\n");
    md.push_str("Affected packages:\n\n");
    for f in group {
        let fix = match &f.fixed {
            Some(v) => format!("fixed in {v}"),
            None => "no fixed version known".to_string(),
        };
        let line = format!(
            "{} {} {}: {fix}",
            f.package.ecosystem, f.package.name, f.package.version
        );
        text.push_str(&format!("- {line}\n"));
        md.push_str(&format!("- {}\n", escape(&line, MAX_TEXT)));
    }
    if let Some(u) = url {
        text.push_str(&format!("\nMore: {u}\n"));
        md.push_str(&format!(
            "\n[More about {}]({})\n",
            escape(id, 200),
            link_url(u)
        ));
    }
    MultiformatMessage { text, markdown: md }
}

fn result(f: &Finding, occ: Option<&Occurrence>, rule_index: usize) -> SarifResult {
    let mut locations = Vec::new();
    let mut fp_path = String::new();
    if let Some((uri, relative)) = occ.and_then(|o| artifact_uri(&o.path)) {
        fp_path = uri.clone();
        let region = occ
            .and_then(|o| o.line)
            .filter(|l| *l >= 1)
            .map(|l| Region { start_line: l });
        locations.push(Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation {
                    uri,
                    uri_base_id: relative.then_some(SRCROOT),
                },
                region,
            },
        });
    }
    let suppressions = f
        .suppressed
        .iter()
        .map(|s| SarifSuppression {
            kind: "external",
            justification: clip(&s.reason, MAX_TEXT),
            properties: SuppressionProperties {
                rule: s.rule.clone(),
                expires: s.expires.clone(),
            },
        })
        .collect();
    let dependency_paths = occ
        .map(|o| o.paths.iter().map(|p| p.join(" > ")).collect())
        .unwrap_or_default();
    SarifResult {
        rule_id: f.id.clone(),
        rule_index,
        level: level(f.category, f.severity.level),
        message: Message {
            text: message(f, occ),
        },
        locations,
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, fingerprint(f, &fp_path))]),
        suppressions,
        properties: ResultProperties {
            purl: f.package.purl.clone(),
            ecosystem: f.package.ecosystem.to_string(),
            package: f.package.name.clone(),
            installed_version: f.package.version.clone(),
            fixed_version: f.fixed.clone(),
            severity: f.severity.level.as_str(),
            aliases: f.aliases.clone(),
            informational: f.informational.clone(),
            relation: occ.map(|o| o.relation),
            scope: occ.map(|o| o.scope),
            dependency_paths,
            priority: f.risk.as_ref().map(|r| r.priority.as_str()),
            risk_score: f.risk.as_ref().map(|r| r.score),
            due: f.risk.as_ref().map(|r| r.due.clone()),
            overdue: f.risk.as_ref().is_some_and(|r| r.overdue),
            kev: f.exploitation.kev.iter().map(|k| k.cve.clone()).collect(),
        },
    }
}

/// `pkg@1.0 is affected by ID (ALIAS, ...): summary. Fixed in 1.1.`
fn message(f: &Finding, occ: Option<&Occurrence>) -> String {
    let mut m = format!("{}@{} ", f.package.name, f.package.version);
    match f.category {
        Category::Vulnerability => m.push_str("is affected by "),
        Category::Informational => match &f.informational {
            Some(kind) => m.push_str(&format!("has an informational advisory ({kind}): ")),
            None => m.push_str("has an informational advisory: "),
        },
    }
    m.push_str(&f.id);
    if !f.aliases.is_empty() {
        m.push_str(&format!(" ({})", f.aliases.join(", ")));
    }
    if let Some(s) = summary_line(f.summary.as_deref()) {
        m.push_str(": ");
        m.push_str(&clip(&s, MAX_TEXT));
    }
    m.push('.');
    match (&f.fixed, f.category) {
        (Some(v), _) => m.push_str(&format!(" Fixed in {v}.")),
        (None, Category::Vulnerability) => m.push_str(" No fixed version is known."),
        (None, Category::Informational) => {}
    }
    if let Some(path) = occ.and_then(|o| o.paths.first()) {
        m.push_str(&format!(" Dependency path: {}.", path.join(" > ")));
    }
    m
}

fn dedup_in_order<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels() {
        use SeverityLevel::*;
        let v = Category::Vulnerability;
        assert_eq!(level(v, Critical), "error");
        assert_eq!(level(v, High), "error");
        assert_eq!(level(v, Medium), "warning");
        assert_eq!(level(v, Low), "note");
        assert_eq!(level(v, None), "note");
        assert_eq!(level(v, Unknown), "note");
        assert_eq!(level(Category::Informational, Critical), "note");
    }

    #[test]
    fn security_severities() {
        let s = |level, score| SeverityInfo {
            level,
            score,
            ..Default::default()
        };
        assert_eq!(
            security_severity(&s(SeverityLevel::High, Some(7.5))),
            Some(7.5)
        );
        assert_eq!(
            security_severity(&s(SeverityLevel::Critical, None)),
            Some(9.5)
        );
        assert_eq!(security_severity(&s(SeverityLevel::High, None)), Some(8.0));
        assert_eq!(
            security_severity(&s(SeverityLevel::Medium, None)),
            Some(5.5)
        );
        assert_eq!(security_severity(&s(SeverityLevel::Low, None)), Some(2.0));
        assert_eq!(security_severity(&s(SeverityLevel::Unknown, None)), None);
        assert_eq!(security_severity(&s(SeverityLevel::None, Some(0.0))), None);
        assert_eq!(
            security_severity(&s(SeverityLevel::High, Some(f64::NAN))),
            Some(8.0)
        );
    }

    #[test]
    fn artifact_uris() {
        let u = |p| artifact_uri(p);
        assert_eq!(u("Cargo.lock"), Some(("Cargo.lock".into(), true)));
        assert_eq!(
            u("./web/package-lock.json"),
            Some(("web/package-lock.json".into(), true))
        );
        assert_eq!(
            u(r"sub\dir\poetry.lock"),
            Some(("sub/dir/poetry.lock".into(), true))
        );
        assert_eq!(
            u("a b/100%#?.txt"),
            Some(("a%20b/100%25%23%3F.txt".into(), true))
        );
        assert_eq!(u("/abs/go.sum"), Some(("file:///abs/go.sum".into(), false)));
        assert_eq!(
            u(r"C:\x\go.sum"),
            Some(("file:///C:/x/go.sum".into(), false))
        );
        assert_eq!(u("we:ird/x"), Some(("./we:ird/x".into(), true)));
        assert_eq!(u("dé/x"), Some(("d%C3%A9/x".into(), true)));
        assert_eq!(u(""), None);
        assert_eq!(u("./"), None);
    }
}
