//! `patchloop vex export`: OpenVEX 0.2 or CycloneDX VEX from the triage
//! decisions and the ledger.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};
use patchloop_ledger::report;
use patchloop_ledger::vex::{FixedClaim, VexOptions};

use crate::cli::OutputArgs;
use crate::commands::ledger::LedgerLocation;
use crate::commands::scan::{InputArgs, Scanned, pipeline, show_diagnostics};
use crate::exit;
use crate::output::{emit, emit_with};
use crate::ui;

#[derive(Debug, Args)]
pub struct VexArgs {
    #[command(subcommand)]
    pub command: VexCommand,
}

#[derive(Debug, Subcommand)]
pub enum VexCommand {
    /// Write a VEX document for the project.
    Export(ExportArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VexFormat {
    /// OpenVEX 0.2 JSON.
    Openvex,
    /// CycloneDX 1.6 JSON with vulnerability analysis (VEX).
    Cyclonedx,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Files or directories of the project (default: the current directory).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
    #[arg(short, long, value_enum, default_value_t = VexFormat::Openvex)]
    pub format: VexFormat,
    /// The document's author (default: `[project] name` or "patchloop").
    #[arg(long)]
    pub author: Option<String>,
    /// The ledger's signing key (only the ledger location is read).
    #[arg(long, value_name = "PATH", env = "PATCHLOOP_LEDGER_KEY", hide = true)]
    pub key: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run(a: VexArgs) -> Result<u8> {
    match a.command {
        VexCommand::Export(e) => export(e),
    }
}

/// Fixes the ledger records: `applied` records list their changes.
fn fixed_claims(loc: &LedgerLocation) -> Vec<FixedClaim> {
    let Ok(ledger) = loc.open() else {
        return Vec::new();
    };
    let Ok(records) = ledger.records() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for r in records.iter().filter(|r| r.kind == "applied") {
        let Some(changes) = r.data.get("changes").and_then(|c| c.as_array()) else {
            continue;
        };
        for c in changes {
            let get = |k: &str| c.get(k).and_then(|v| v.as_str()).unwrap_or_default();
            let ids: Vec<String> = c
                .get("fixes")
                .and_then(|f| f.as_array())
                .map(|f| {
                    f.iter()
                        .filter_map(|i| i.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            if ids.is_empty() || get("package").is_empty() || get("to").is_empty() {
                continue;
            }
            let eco = patchloop_model::Ecosystem::parse(get("ecosystem"));
            out.push(FixedClaim {
                ids,
                purl: patchloop_model::purl_for(&eco, get("package"), get("to")),
                time: r.time.clone(),
            });
        }
    }
    out
}

fn export(a: ExportArgs) -> Result<u8> {
    let Scanned { report, now_us, .. } = pipeline(&a.input, &a.paths, false)?;
    show_diagnostics(&report);
    let timestamp = patchloop_feeds::timefmt::format_us(now_us);
    let out = a.output.output.as_deref();
    match a.format {
        VexFormat::Openvex => {
            let loc = LedgerLocation {
                state: a.input.state.clone(),
                key: a.key.clone(),
            };
            let claims = fixed_claims(&loc);
            let author = a
                .author
                .clone()
                .unwrap_or_else(crate::commands::ledger::default_project);
            let doc = patchloop_ledger::vex::openvex(
                &report,
                &claims,
                &VexOptions {
                    author,
                    timestamp,
                    id: None,
                    tooling: format!("patchloop {}", env!("CARGO_PKG_VERSION")),
                },
            );
            if doc.statements.is_empty() {
                ui::error(
                    "nothing to state: no vulnerability finding and no recorded fix (an OpenVEX document needs at least one statement)",
                );
                return Ok(exit::FINDINGS);
            }
            emit_with(out, |w| {
                serde_json::to_writer_pretty(&mut *w, &doc)?;
                w.write_all(b"\n")
            })?;
        }
        VexFormat::Cyclonedx => {
            let mut opts =
                report::cyclonedx::CycloneDxOptions::generated_now(env!("CARGO_PKG_VERSION"));
            opts.timestamp = Some(timestamp);
            emit(out, &report::cyclonedx::write(&report, &opts))?;
        }
    }
    Ok(exit::OK)
}
