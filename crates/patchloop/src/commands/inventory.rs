//! `patchloop inventory`.

use std::path::PathBuf;

use anyhow::Result;
use comfy_table::{ContentArrangement, Table, presets};
use patchloop_inventory::{Format, Limits, Options, WalkOptions, sbom};
use patchloop_model::{INVENTORY_SCHEMA, Inventory, Relation, Resolution};
use serde::Serialize;

use crate::cli::{InventoryArgs, InventoryFormat};
use crate::exit;
use crate::output::{emit, emit_with};
use crate::ui;

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    generator: String,
    #[serde(flatten)]
    inventory: &'a Inventory,
}

pub fn run(a: InventoryArgs) -> Result<u8> {
    let paths = if a.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        a.paths.clone()
    };
    let opts = Options {
        walk: WalkOptions {
            default_excludes: !a.no_default_excludes,
            excludes: a.exclude.clone(),
        },
        limits: Limits {
            max_file_size: a.max_file_size,
            ..Limits::default()
        },
        threads: 0,
    };
    let inv = patchloop_inventory::inventory(&paths, &opts)?;
    for d in &inv.diagnostics {
        ui::diagnostic(d);
    }
    let out = a.output.output.as_deref();
    match a.format {
        InventoryFormat::Table => emit(out, &render_table(&inv))?,
        InventoryFormat::Json => {
            let doc = Document {
                schema: INVENTORY_SCHEMA,
                generator: format!("patchloop {}", env!("CARGO_PKG_VERSION")),
                inventory: &inv,
            };
            emit_with(out, |w| {
                serde_json::to_writer_pretty(&mut *w, &doc)?;
                w.write_all(b"\n")
            })?;
        }
        InventoryFormat::Cyclonedx | InventoryFormat::Spdx => {
            let name = a.name.clone().unwrap_or_else(|| project_name(&paths[0]));
            let wo = sbom::WriteOptions {
                name,
                timestamp: now_rfc3339(),
                serial: None,
                tool_version: env!("CARGO_PKG_VERSION").to_string(),
            };
            let doc = if a.format == InventoryFormat::Cyclonedx {
                sbom::cyclonedx::write_json(&inv, &wo)
            } else {
                sbom::spdx::write_json(&inv, &wo)
            };
            emit(out, &doc)?;
        }
    }
    if a.format == InventoryFormat::Table && !ui::quiet() {
        ui::note(&format!(
            "{} packages in {} files",
            inv.package_count(),
            inv.sources.len()
        ));
    }
    if a.strict && inv.has_errors() {
        return Ok(exit::USAGE);
    }
    Ok(exit::OK)
}

fn project_name(p: &std::path::Path) -> String {
    let abs = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    abs.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "project".into())
}

fn now_rfc3339() -> String {
    // Honour SOURCE_DATE_EPOCH for reproducible SBOMs.
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        });
    crate::commands::fmt_rfc3339(secs)
}

fn render_table(inv: &Inventory) -> String {
    let mut out = String::new();
    for s in &inv.sources {
        let mut t = Table::new();
        t.load_preset(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(vec!["package", "version", "relation", "scope", "line"]);
        for p in &s.packages {
            let version = match &p.resolution {
                Resolution::Exact => p.version.clone(),
                Resolution::Requirement { spec } => format!("{spec} (unpinned)"),
                Resolution::Url { url } => format!("url: {url}"),
                Resolution::Vcs { url, rev } => match rev {
                    Some(r) => format!("vcs: {url}@{r}"),
                    None => format!("vcs: {url}"),
                },
                Resolution::Path { path } => format!("path: {path}"),
            };
            let relation = match p.relation {
                Relation::Direct => "direct",
                Relation::Transitive => "transitive",
                Relation::Unknown => "",
            };
            t.add_row(vec![
                p.name.clone(),
                version,
                relation.to_string(),
                p.scope.as_str().to_string(),
                p.line().map(|l| l.to_string()).unwrap_or_default(),
            ]);
        }
        let fv = s
            .format_version
            .as_deref()
            .map(|v| format!(" v{v}"))
            .unwrap_or_default();
        out.push_str(&format!(
            "{} ({}{fv}, {}, {} packages)\n",
            s.path,
            s.format,
            s.ecosystem,
            s.packages.len()
        ));
        if !s.packages.is_empty() {
            out.push_str(&t.to_string());
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

pub fn formats() -> Result<u8> {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_header(vec!["format", "files"]);
    for f in Format::ALL {
        t.add_row(vec![f.id(), f.patterns()]);
    }
    emit(None, &format!("{t}\n"))?;
    Ok(exit::OK)
}
