//! `patchloop report`: SLA compliance and open risk from the ledger
//! (docs/ledger.md, "patchloop report").

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};
use comfy_table::{ContentArrangement, Table, presets};
use patchloop_ledger::remediation::{self, Remediation};

use crate::cli::OutputArgs;
use crate::commands::ledger::LedgerLocation;
use crate::exit;
use crate::output::{emit, emit_with};
use crate::ui;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    /// The full analysis (schema `patchloop.report/v1`).
    Json,
    Markdown,
    /// The self-contained HTML report (charts, timelines, ledger integrity).
    Html,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Only this project (default: every project in the ledger).
    #[arg(long)]
    pub project: Option<String>,
    #[arg(short, long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    #[command(flatten)]
    pub output: OutputArgs,
    /// The lifecycle store holding the ledger (default: `state.db` beside
    /// the default advisory database).
    #[arg(long, value_name = "PATH", env = "PATCHLOOP_STATE")]
    pub state: Option<PathBuf>,
}

/// "Now" in seconds (`PATCHLOOP_NOW` or the clock).
pub fn now_secs() -> Result<i64> {
    Ok(crate::commands::db::now_us()?.div_euclid(1_000_000))
}

pub fn run(a: ReportArgs) -> Result<u8> {
    let loc = LedgerLocation {
        state: a.state.clone(),
        key: None,
    };
    let records = loc.open()?.records()?;
    if let Some(p) = &a.project
        && !records.iter().any(|r| &r.project == p)
    {
        ui::warn(&format!("no ledger record for project {p}"));
    }
    let r = remediation::analyze(&records, a.project.as_deref(), now_secs()?);
    if let Some(f) = &r.ledger.failure {
        ui::warn(&format!(
            "ledger verification failed at {f}: the report may show altered records"
        ));
    }
    let out = a.output.output.as_deref();
    match a.format {
        ReportFormat::Table => emit(out, &table(&r))?,
        ReportFormat::Json => emit_with(out, |w| {
            serde_json::to_writer_pretty(&mut *w, &r)?;
            w.write_all(b"\n")
        })?,
        ReportFormat::Markdown => emit(out, &remediation::markdown(&r))?,
        ReportFormat::Html => emit(out, &patchloop_ledger::html::render_analysis(&r))?,
    }
    Ok(exit::OK)
}

/// Record text for a terminal: control characters (escape sequences)
/// become spaces.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn opt(x: Option<f64>, suffix: &str) -> String {
    x.map_or_else(|| "-".to_string(), |v| format!("{v:.1}{suffix}"))
}

fn table(r: &Remediation) -> String {
    let scope = r.project.as_deref().map_or_else(
        || "all projects".to_string(),
        |p| format!("project {}", clean(p)),
    );
    let mut out = format!(
        "patchloop report: {scope}, as of {} ({} records; ledger {}, head {})\n",
        r.now,
        r.records,
        if r.ledger.verified {
            "verified"
        } else {
            "VERIFICATION FAILED"
        },
        r.ledger.head.get(..16).unwrap_or(&r.ledger.head)
    );
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(vec![
            "priority",
            "open",
            "overdue",
            "remediated",
            "within SLA",
            "late",
            "no due",
            "% within SLA",
            "median TTR",
            "max TTR",
        ]);
    for s in r.priorities.iter().chain([&r.total]) {
        t.add_row(vec![
            s.priority.clone(),
            s.open.to_string(),
            s.overdue.to_string(),
            s.remediated.to_string(),
            s.within_sla.to_string(),
            s.late.to_string(),
            s.no_due.to_string(),
            opt(s.within_sla_pct, "%"),
            opt(s.ttr_median_days, " d"),
            opt(s.ttr_max_days, " d"),
        ]);
    }
    out.push_str(&format!("{t}\n"));
    let open = r.open_findings();
    if !open.is_empty() {
        let mut t = Table::new();
        t.load_preset(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(vec![
                "priority",
                "vulnerability",
                "package",
                "due",
                "days open",
                "status",
                "patch",
            ]);
        for f in open {
            t.add_row(vec![
                f.priority.clone(),
                clean(&f.ids.join(", ")),
                clean(&if f.version.is_empty() {
                    f.package.clone()
                } else {
                    format!("{}@{}", f.package, f.version)
                }),
                clean(f.due.as_deref().unwrap_or("-")),
                format!("{:.1}", f.days_open),
                if f.overdue { "OVERDUE" } else { "open" }.to_string(),
                clean(f.patch.as_deref().unwrap_or_default()),
            ]);
        }
        out.push_str(&format!("open findings:\n{t}\n"));
    }
    out
}
