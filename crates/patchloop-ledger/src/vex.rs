//! VEX export: OpenVEX 0.2 statements from the triage decisions of a
//! prioritized scan (VEX statements of the policy and of imported
//! documents) and the fixes recorded in the ledger (docs/vex.md).
//!
//! | source | statement |
//! |---|---|
//! | a finding with an applied `not_affected` VEX | `not_affected` + justification (the reason in `status_notes`; OpenVEX allows a justification or an impact statement, not both) or `impact_statement` |
//! | a finding with an applied `fixed` VEX | `fixed` |
//! | a finding with an applied `under_investigation` VEX | `under_investigation` |
//! | any other active vulnerability finding | `affected` with an action statement: the update to make (or that no fix exists), with its priority and due date |
//! | a ledger `applied` record whose vulnerability is gone | `fixed` for the package at the version it was updated to |
//!
//! Findings suppressed by ignore rules are not VEX claims and are left out.

use std::collections::BTreeSet;

use patchloop_model::vex::{
    OPENVEX_CONTEXT, OpenVex, VexIdentifiers, VexProduct, VexStatement, VexVulnerability,
};
use patchloop_model::{Category, Finding, ScanReport};

/// A fix recorded in the ledger: these ids no longer affect `purl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixedClaim {
    pub ids: Vec<String>,
    /// The package at its new version.
    pub purl: String,
    pub time: String,
}

/// Document settings.
#[derive(Debug, Clone)]
pub struct VexOptions {
    pub author: String,
    /// RFC 3339.
    pub timestamp: String,
    /// The document `@id` (a URI); a random `urn:uuid:` when `None`.
    pub id: Option<String>,
    pub tooling: String,
}

fn product(purl: &str) -> VexProduct {
    VexProduct {
        id: Some(purl.to_string()),
        identifiers: Some(VexIdentifiers {
            purl: Some(purl.to_string()),
        }),
        subcomponents: Vec::new(),
    }
}

fn vulnerability(f: &Finding) -> VexVulnerability {
    VexVulnerability {
        id: f.url.clone().filter(|u| u.starts_with("http")),
        name: f.id.clone(),
        description: f.summary.clone(),
        aliases: f.aliases.clone(),
    }
}

fn action(f: &Finding) -> String {
    let prio = f
        .risk
        .as_ref()
        .map(|r| format!(" (priority {}, due {})", r.priority, r.due))
        .unwrap_or_default();
    match &f.fixed {
        Some(v) => format!(
            "Update {} from {} to {v} or later{prio}.",
            f.package.name, f.package.version
        ),
        None => format!(
            "No fixed version of {} is known; mitigate or replace it{prio}.",
            f.package.name
        ),
    }
}

/// Build the OpenVEX document.
pub fn openvex(report: &ScanReport, fixed: &[FixedClaim], opts: &VexOptions) -> OpenVex {
    let mut statements = Vec::new();
    for f in report
        .findings
        .iter()
        .filter(|f| f.category == Category::Vulnerability)
    {
        let vex = f
            .risk
            .as_ref()
            .and_then(|r| r.applied.iter().find(|a| a.kind == "vex"));
        let mut st = VexStatement {
            id: None,
            vulnerability: vulnerability(f),
            timestamp: Some(opts.timestamp.clone()),
            products: vec![product(&f.package.purl)],
            status: String::new(),
            status_notes: None,
            justification: None,
            impact_statement: None,
            action_statement: None,
        };
        match vex {
            Some(a) => {
                st.status = a.status.clone();
                match a.status.as_str() {
                    "not_affected" => match &a.justification {
                        Some(j) => {
                            st.justification = Some(j.clone());
                            st.status_notes = Some(format!("{} ({})", a.statement, a.rule));
                        }
                        None => st.impact_statement = Some(a.statement.clone()),
                    },
                    "affected" => st.action_statement = Some(a.statement.clone()),
                    _ => st.status_notes = Some(format!("{} ({})", a.statement, a.rule)),
                }
            }
            None if f.suppressed.is_some() => continue,
            None => {
                st.status = "affected".into();
                st.action_statement = Some(action(f));
            }
        }
        statements.push(st);
    }
    // Fixes from the ledger that the current scan confirms.
    let still: BTreeSet<(&str, &str)> = report
        .active()
        .flat_map(|f| f.ids().map(move |i| (i, f.package.purl.as_str())))
        .collect();
    for c in fixed {
        let Some(name) = c.ids.first() else { continue };
        if c.ids
            .iter()
            .any(|i| still.contains(&(i.as_str(), c.purl.as_str())))
        {
            continue;
        }
        statements.push(VexStatement {
            id: None,
            vulnerability: VexVulnerability {
                id: None,
                name: name.clone(),
                description: None,
                aliases: c.ids[1..].to_vec(),
            },
            timestamp: Some(c.time.clone()),
            products: vec![product(&c.purl)],
            status: "fixed".into(),
            status_notes: Some("updated by patchloop (ledger record)".into()),
            justification: None,
            impact_statement: None,
            action_statement: None,
        });
    }
    OpenVex {
        context: OPENVEX_CONTEXT.to_string(),
        id: opts
            .id
            .clone()
            .unwrap_or_else(|| format!("urn:uuid:{}", uuid::Uuid::new_v4())),
        author: opts.author.clone(),
        role: None,
        timestamp: opts.timestamp.clone(),
        last_updated: None,
        version: 1,
        tooling: Some(opts.tooling.clone()),
        statements,
    }
}
