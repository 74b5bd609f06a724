//! CycloneDX 1.6 JSON: the vulnerable components and their
//! vulnerabilities (a vulnerability disclosure report, VDR).
//!
//! - `components`: one `library` per distinct purl among the findings
//!   (active, informational and ignored alike), `bom-ref` = purl.
//! - `vulnerabilities`: one per advisory id; several packages affected by
//!   the same advisory are several `affects` entries of one vulnerability.
//!
//! Ignored findings keep their vulnerability with an `analysis` that holds
//! the ignore rule's reason and expiry in `detail` and no `state`: an
//! ignore rule records a decision not to act for now, which none of
//! CycloneDX's states (`not_affected`, `exploitable`, `in_triage`, …)
//! describes truthfully (docs/reports.md). A property
//! `patchloop:ignored` names each ignored package's bom-ref.

use std::collections::BTreeMap;

use patchloop_model::{Category, EcosystemKind, Finding, ScanReport, SeverityInfo, SeverityLevel};
use serde::Serialize;

use super::{advisory_source, http_url, rfc3339_utc};

/// The CycloneDX version written.
pub const SPEC_VERSION: &str = "1.6";
/// The `$schema` written.
pub const CYCLONEDX_SCHEMA: &str = "http://cyclonedx.org/schema/bom-1.6.schema.json";

/// Settings for [`write`]. The timestamp and serial number are inputs so
/// that the output is reproducible; [`CycloneDxOptions::generated_now`]
/// fills them for a real export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycloneDxOptions {
    /// `metadata.tools.components[0].version`.
    pub tool_version: String,
    /// `metadata.timestamp`, RFC 3339 (written in UTC); omitted when None
    /// or not RFC 3339.
    pub timestamp: Option<String>,
    /// `serialNumber`: a UUID, with or without `urn:uuid:`; any other
    /// string is turned into a name-based (v5) UUID of it. Omitted when
    /// None.
    pub serial_number: Option<String>,
}

impl Default for CycloneDxOptions {
    fn default() -> Self {
        CycloneDxOptions {
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            timestamp: None,
            serial_number: None,
        }
    }
}

impl CycloneDxOptions {
    /// Options for an export made now: the current time and a random
    /// serial number (CycloneDX wants a new one for every BOM).
    pub fn generated_now(tool_version: impl Into<String>) -> Self {
        let now = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .ok();
        CycloneDxOptions {
            tool_version: tool_version.into(),
            timestamp: now,
            serial_number: Some(uuid::Uuid::new_v4().to_string()),
        }
    }
}

/// The BOM of `report`, pretty-printed, with a final newline.
pub fn write(report: &ScanReport, opts: &CycloneDxOptions) -> String {
    let mut s = serde_json::to_string_pretty(&build(report, opts))
        .expect("the CycloneDX model serializes (string keys, finite numbers)");
    s.push('\n');
    s
}

/// The BOM of `report` as a JSON value.
pub fn to_value(report: &ScanReport, opts: &CycloneDxOptions) -> serde_json::Value {
    serde_json::to_value(build(report, opts))
        .expect("the CycloneDX model serializes (string keys, finite numbers)")
}

/// The CycloneDX rating method of a severity: from the vector's prefix
/// (`CVSS:4.0/`, `CVSS:3.1/`, `CVSS:3.0/`) or the kind (`CVSS_V4`,
/// `CVSS_V3`, `CVSS_V2`); `other` for qualitative labels.
pub fn rating_method(severity: &SeverityInfo) -> &'static str {
    let vector = severity.vector.as_deref().unwrap_or("").trim();
    if vector.starts_with("CVSS:4.0/") {
        return "CVSSv4";
    }
    if vector.starts_with("CVSS:3.1/") {
        return "CVSSv31";
    }
    if vector.starts_with("CVSS:3.0/") {
        return "CVSSv3";
    }
    match severity.kind.as_deref() {
        Some("CVSS_V4") => "CVSSv4",
        Some("CVSS_V3") => "CVSSv3",
        Some("CVSS_V2") => "CVSSv2",
        _ => "other",
    }
}

// ---------------------------------------------------------------------------
// The CycloneDX object model (the subset written).

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bom {
    #[serde(rename = "$schema")]
    schema: &'static str,
    bom_format: &'static str,
    spec_version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    serial_number: Option<String>,
    version: u32,
    metadata: Metadata,
    components: Vec<Component>,
    vulnerabilities: Vec<Vulnerability>,
}

#[derive(Serialize)]
struct Metadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<String>,
    tools: Tools,
}

#[derive(Serialize)]
struct Tools {
    components: Vec<Component>,
}

#[derive(Serialize)]
struct Component {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    bom_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
}

#[derive(Serialize, Clone, PartialEq)]
struct Source {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

#[derive(Serialize)]
struct Reference {
    id: String,
    source: Source,
}

#[derive(Serialize, PartialEq)]
struct Rating {
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<Source>,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    severity: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vector: Option<String>,
}

#[derive(Serialize)]
struct Advisory {
    url: String,
}

#[derive(Serialize)]
struct Affects {
    #[serde(rename = "ref")]
    reference: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    versions: Vec<AffectedVersion>,
}

#[derive(Serialize)]
struct AffectedVersion {
    version: String,
    status: &'static str,
}

#[derive(Serialize)]
struct Analysis {
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    response: Vec<&'static str>,
    #[serde(skip_serializing_if = "String::is_empty")]
    detail: String,
}

/// The VEX statement applied to a finding: (status, justification, statement).
fn vex_of(f: &Finding) -> Option<(&str, Option<&str>, &str)> {
    f.risk
        .as_ref()?
        .applied
        .iter()
        .find(|a| a.kind == "vex")
        .map(|a| {
            (
                a.status.as_str(),
                a.justification.as_deref(),
                a.statement.as_str(),
            )
        })
}

/// OpenVEX justification → CycloneDX `impactAnalysisJustification`
/// (docs/reports.md: the closest value where there is no exact one).
fn cdx_justification(j: &str) -> Option<&'static str> {
    Some(match j {
        "component_not_present" | "vulnerable_code_not_present" => "code_not_present",
        "vulnerable_code_not_in_execute_path" => "code_not_reachable",
        "vulnerable_code_cannot_be_controlled_by_adversary"
        | "inline_mitigations_already_exist" => "protected_by_mitigating_control",
        _ => return None,
    })
}

#[derive(Serialize)]
struct Property {
    name: &'static str,
    value: String,
}

#[derive(Serialize)]
struct Vulnerability {
    #[serde(rename = "bom-ref")]
    bom_ref: String,
    id: String,
    source: Source,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    references: Vec<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ratings: Vec<Rating>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recommendation: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    advisories: Vec<Advisory>,
    #[serde(skip_serializing_if = "Option::is_none")]
    published: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    analysis: Option<Analysis>,
    affects: Vec<Affects>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

// ---------------------------------------------------------------------------

fn source_of(id: &str) -> Source {
    let s = advisory_source(id);
    Source {
        name: s.name.to_string(),
        url: Some(s.url),
    }
}

/// The bom-ref of a finding's package: its purl, or a made-up reference
/// when it has none.
fn component_ref(f: &Finding) -> String {
    let purl = f.package.purl.trim();
    if purl.is_empty() {
        format!(
            "patchloop:{}/{}@{}",
            f.package.ecosystem, f.package.name, f.package.version
        )
    } else {
        purl.to_string()
    }
}

/// CycloneDX `group` and `name`: Maven groupId, npm scope and Composer
/// vendor go to `group`, as in patchloop's SBOM export.
fn group_and_name(f: &Finding) -> (Option<String>, String) {
    let name = f.package.name.as_str();
    let split = match f.package.ecosystem.kind {
        EcosystemKind::Maven => name.split_once(':'),
        EcosystemKind::Npm if name.starts_with('@') => name.split_once('/'),
        EcosystemKind::Packagist => name.split_once('/'),
        _ => None,
    };
    match split {
        Some((g, n)) if !g.is_empty() && !n.is_empty() => (Some(g.to_string()), n.to_string()),
        _ => (None, name.to_string()),
    }
}

fn rating(f: &Finding) -> Rating {
    let sev = &f.severity;
    let severity = match (f.category, sev.level) {
        (Category::Informational, SeverityLevel::Unknown) => "info",
        (_, level) => level.as_str(),
    };
    let rated = sev.score.is_some() || sev.vector.is_some() || sev.kind.is_some();
    Rating {
        source: sev.source.as_deref().map(source_of),
        score: sev
            .score
            .filter(|s| s.is_finite() && (0.0..=10.0).contains(s)),
        severity,
        method: rated.then(|| rating_method(sev)),
        vector: sev
            .vector
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string),
    }
}

fn serial(s: &str) -> String {
    let s = s.trim();
    let bare = s.strip_prefix("urn:uuid:").unwrap_or(s);
    let uuid = uuid::Uuid::parse_str(bare)
        .unwrap_or_else(|_| uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, s.as_bytes()));
    format!("urn:uuid:{}", uuid.hyphenated())
}

fn build(report: &ScanReport, opts: &CycloneDxOptions) -> Bom {
    let mut components = Vec::new();
    let mut seen_components: BTreeMap<String, ()> = BTreeMap::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut groups: Vec<Vec<&Finding>> = Vec::new();
    for f in &report.findings {
        let r = component_ref(f);
        if seen_components.insert(r.clone(), ()).is_none() {
            let (group, name) = group_and_name(f);
            let purl = f.package.purl.trim();
            components.push(Component {
                kind: "library",
                bom_ref: Some(r),
                group,
                name,
                version: (!f.package.version.is_empty()).then(|| f.package.version.clone()),
                purl: (!purl.is_empty()).then(|| purl.to_string()),
            });
        }
        let i = *index.entry(f.id.as_str()).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[i].push(f);
    }

    Bom {
        schema: CYCLONEDX_SCHEMA,
        bom_format: "CycloneDX",
        spec_version: SPEC_VERSION,
        serial_number: opts.serial_number.as_deref().map(serial),
        version: 1,
        metadata: Metadata {
            timestamp: opts.timestamp.as_deref().and_then(rfc3339_utc),
            tools: Tools {
                components: vec![Component {
                    kind: "application",
                    bom_ref: None,
                    group: None,
                    name: "patchloop".to_string(),
                    version: Some(opts.tool_version.clone()),
                    purl: None,
                }],
            },
        },
        components,
        vulnerabilities: groups.iter().map(|g| vulnerability(g)).collect(),
    }
}

/// One vulnerability from all findings with the same id.
fn vulnerability(group: &[&Finding]) -> Vulnerability {
    let first = group[0];
    let id = first.id.clone();

    let mut aliases: Vec<&str> = group
        .iter()
        .flat_map(|f| f.aliases.iter().map(String::as_str))
        .filter(|a| *a != id && !a.trim().is_empty())
        .collect();
    aliases.sort_unstable();
    aliases.dedup();

    let mut ratings: Vec<Rating> = Vec::new();
    for f in group {
        let r = rating(f);
        if !ratings.contains(&r) {
            ratings.push(r);
        }
    }

    // Fixes per package, in order; packages without one are named too.
    let mut fixes: Vec<String> = Vec::new();
    let mut no_fix: Vec<String> = Vec::new();
    for f in group {
        let item = match &f.fixed {
            Some(v) => format!("Upgrade {} to {v}", f.package.name),
            None => f.package.name.clone(),
        };
        let list = if f.fixed.is_some() {
            &mut fixes
        } else {
            &mut no_fix
        };
        if !list.contains(&item) {
            list.push(item);
        }
    }
    let recommendation = if fixes.is_empty() {
        None
    } else {
        let mut r = fixes.join("; ");
        r.push('.');
        if !no_fix.is_empty() {
            r.push_str(&format!(
                " No fixed version is known for {}.",
                no_fix.join(", ")
            ));
        }
        Some(r)
    };

    let mut advisories: Vec<Advisory> = Vec::new();
    for u in group
        .iter()
        .filter_map(|f| f.url.as_deref().and_then(http_url))
    {
        if !advisories.iter().any(|a| a.url == u) {
            advisories.push(Advisory { url: u });
        }
    }

    let mut affects: Vec<Affects> = Vec::new();
    for f in group {
        let r = component_ref(f);
        let version = f.package.version.clone();
        match affects.iter_mut().find(|a| a.reference == r) {
            Some(a) => {
                if !version.is_empty() && !a.versions.iter().any(|v| v.version == version) {
                    a.versions.push(AffectedVersion {
                        version,
                        status: "affected",
                    });
                }
            }
            None => affects.push(Affects {
                reference: r,
                versions: if version.is_empty() {
                    Vec::new()
                } else {
                    vec![AffectedVersion {
                        version,
                        status: "affected",
                    }]
                },
            }),
        }
    }

    let ignored: Vec<(&Finding, &patchloop_model::Suppression)> = group
        .iter()
        .filter_map(|f| f.suppressed.as_ref().map(|s| (*f, s)))
        .collect();
    // VEX: when every finding of the vulnerability has the same applied
    // VEX status, it becomes the analysis state.
    let vex: Vec<Option<(&str, Option<&str>, &str)>> = group.iter().map(|f| vex_of(f)).collect();
    let common = match vex.first() {
        Some(Some(first)) if vex.iter().all(|v| v.map(|x| x.0) == Some(first.0)) => Some(*first),
        _ => None,
    };
    let analysis = if let Some((status, just, statement)) = common {
        let fixed = group.iter().any(|f| f.fixed.is_some());
        Some(Analysis {
            state: Some(match status {
                "not_affected" => "not_affected",
                "fixed" => "resolved",
                "affected" => "exploitable",
                _ => "in_triage",
            }),
            justification: just.and_then(cdx_justification),
            response: if status == "affected" {
                if fixed {
                    vec!["update"]
                } else {
                    vec!["can_not_fix"]
                }
            } else {
                Vec::new()
            },
            detail: statement.to_string(),
        })
    } else {
        (!ignored.is_empty()).then(|| {
            let parts: Vec<String> = ignored
                .iter()
                .map(|(f, s)| {
                    let until = s
                        .expires
                        .as_deref()
                        .map(|e| format!(" until {e}"))
                        .unwrap_or_default();
                    format!(
                        "Ignored for {}@{}{until} by policy rule {}: {}",
                        f.package.name, f.package.version, s.rule, s.reason
                    )
                })
                .collect();
            Analysis {
                state: None,
                justification: None,
                response: Vec::new(),
                detail: parts.join("\n"),
            }
        })
    };

    let mut properties = Vec::new();
    if group.iter().all(|f| f.category == Category::Informational) {
        properties.push(Property {
            name: "patchloop:category",
            value: "informational".to_string(),
        });
        let mut kinds: Vec<&str> = group
            .iter()
            .filter_map(|f| f.informational.as_deref())
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        for k in kinds {
            properties.push(Property {
                name: "patchloop:informational",
                value: k.to_string(),
            });
        }
    }
    for (f, _) in &ignored {
        properties.push(Property {
            name: "patchloop:ignored",
            value: component_ref(f),
        });
    }

    Vulnerability {
        bom_ref: id.clone(),
        source: source_of(&id),
        references: aliases
            .iter()
            .map(|a| Reference {
                id: a.to_string(),
                source: source_of(a),
            })
            .collect(),
        ratings,
        description: group.iter().find_map(|f| {
            let s = f.summary.as_deref()?.trim();
            (!s.is_empty()).then(|| s.to_string())
        }),
        recommendation,
        advisories,
        published: group
            .iter()
            .find_map(|f| f.published.as_deref().and_then(rfc3339_utc)),
        updated: group
            .iter()
            .find_map(|f| f.modified.as_deref().and_then(rfc3339_utc)),
        analysis,
        affects,
        properties,
        id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods() {
        let s = |kind: Option<&str>, vector: Option<&str>| SeverityInfo {
            level: SeverityLevel::High,
            score: Some(7.5),
            vector: vector.map(str::to_string),
            kind: kind.map(str::to_string),
            source: None,
        };
        assert_eq!(
            rating_method(&s(Some("CVSS_V3"), Some("CVSS:3.1/AV:N"))),
            "CVSSv31"
        );
        assert_eq!(
            rating_method(&s(Some("CVSS_V3"), Some("CVSS:3.0/AV:N"))),
            "CVSSv3"
        );
        assert_eq!(
            rating_method(&s(Some("CVSS_V4"), Some("CVSS:4.0/AV:N"))),
            "CVSSv4"
        );
        assert_eq!(
            rating_method(&s(Some("CVSS_V2"), Some("AV:N/AC:L"))),
            "CVSSv2"
        );
        assert_eq!(rating_method(&s(Some("label"), None)), "other");
        assert_eq!(rating_method(&s(None, None)), "other");
    }

    #[test]
    fn serials() {
        assert_eq!(
            serial("3E671687-395B-41F5-A30F-A58921A69B79"),
            "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"
        );
        assert_eq!(
            serial("urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"),
            "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"
        );
        assert_eq!(serial("build 42"), serial("build 42"));
        assert!(serial("build 42").starts_with("urn:uuid:"));
    }
}
