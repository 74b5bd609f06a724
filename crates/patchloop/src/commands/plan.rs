//! `patchloop plan`: the smallest safe change per vulnerable package.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};
use comfy_table::{ContentArrangement, Table, presets};
use patchloop_feeds::timefmt::format_us;
use patchloop_model::{Inventory, Plan, ScanReport, Strategy};
use patchloop_remedy::image_plan::{self, ImagePlan};
use patchloop_remedy::plan::{Grouping, PlanOptions};
use patchloop_remedy::registry::{NoRegistry, VersionSource};

use crate::cli::OutputArgs;
use crate::commands::scan::{InputArgs, Scanned, pipeline, show_diagnostics};
use crate::exit;
use crate::output::{emit, emit_with};
use crate::ui;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// A readable table per group.
    Table,
    /// patchloop's plan JSON (patchloop.plan/v1): the input of `apply`.
    Json,
    /// Markdown, for issues and pull-request descriptions.
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupBy {
    /// One branch per vulnerability.
    Vulnerability,
    /// One branch per package (default).
    Package,
    /// One branch with every security fix.
    All,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Files or directories of the project (default: the current directory).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
    /// How changes are grouped into branches.
    #[arg(long, value_enum, default_value_t = GroupBy::Package)]
    pub group: GroupBy,
    /// Do not ask the package registries: plan from the fixed versions the
    /// advisories name.
    #[arg(long)]
    pub offline: bool,
    #[arg(short, long, value_enum, default_value_t = PlanFormat::Table)]
    pub format: PlanFormat,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run(a: PlanArgs) -> Result<u8> {
    let Scanned {
        mut report,
        inventory,
        now_us,
        store,
    } = pipeline(&a.input, &a.paths, true)?;
    show_diagnostics(&report);
    let registry: Box<dyn VersionSource> = if a.offline {
        Box::new(NoRegistry)
    } else {
        crate::commands::registries()?
    };
    // The project's `[apply] cooldown_days` (as `apply` reads it).
    let cooldown_days = match &a.input.policy {
        Some(p) if !p.is_file() => anyhow::bail!("policy file {} not found", p.display()),
        _ => {
            patchloop_risk::Policy::load(&crate::commands::scan::policy_path(&a.input, &a.paths))?
                .unwrap_or_default()
                .apply
                .cooldown_days
        }
    };
    let opts = PlanOptions {
        cooldown_days,
        grouping: match a.group {
            GroupBy::Vulnerability => Grouping::Vulnerability,
            GroupBy::Package => Grouping::Package,
            GroupBy::All => Grouping::All,
        },
        today: format_us(now_us)[..10].to_string(),
        paths: if a.paths.is_empty() {
            vec![".".into()]
        } else {
            a.paths.iter().map(|p| p.display().to_string()).collect()
        },
        generator: format!("patchloop {}", env!("CARGO_PKG_VERSION")),
    };
    let image = take_image_plan(&mut report, &inventory);
    let plan = patchloop_remedy::plan::plan(&report, &inventory, &store, &*registry, &opts)?;
    for d in &plan.diagnostics {
        ui::diagnostic(d);
    }
    let out = a.output.output.as_deref();
    match a.format {
        PlanFormat::Table => {
            let mut text = render_table(&plan);
            if let Some(i) = &image {
                text.push_str(&image_plan::render_text(i));
            }
            emit(out, &text)?
        }
        PlanFormat::Json => {
            let mut value = serde_json::to_value(&plan)?;
            if let (Some(i), Some(obj)) = (&image, value.as_object_mut()) {
                obj.insert("image".into(), serde_json::to_value(i)?);
            }
            emit_with(out, |w| {
                serde_json::to_writer_pretty(&mut *w, &value)?;
                w.write_all(b"\n")
            })?
        }
        PlanFormat::Markdown => {
            let mut text = render_markdown(&plan);
            if let Some(i) = &image {
                text.push_str(&image_plan::render_markdown(i, &md));
            }
            emit(out, &text)?
        }
    }
    if a.format != PlanFormat::Table && !ui::quiet() {
        ui::note(&summary(&plan));
    }
    Ok(exit::OK)
}

/// For a host or image inventory (`--rootfs`, `--image`): the OS package
/// upgrades and base image bumps, whose findings are then taken out of
/// the report the lockfile planner sees (docs/containers.md).
fn take_image_plan(report: &mut ScanReport, inventory: &Inventory) -> Option<ImagePlan> {
    let plan = image_plan::image_plan(report, inventory)?;
    report.findings.retain(|f| !image_plan::is_os_finding(f));
    Some(plan)
}

fn summary(p: &Plan) -> String {
    let changes: usize = p.groups.iter().map(|g| g.changes.len()).sum();
    format!(
        "{} group(s), {} change(s); {} finding(s) without a fix",
        p.groups.len(),
        changes,
        p.unfixable.len()
    )
}

fn strategy_cell(c: &patchloop_model::Change) -> String {
    let mut s = c.strategy.as_str().to_string();
    if let Some(pb) = &c.parent {
        s.push_str(&format!("\n{} {} → {}", pb.package, pb.from, pb.to));
    }
    s
}

fn render_table(p: &Plan) -> String {
    let mut out = String::new();
    for g in &p.groups {
        out.push_str(&format!(
            "{} ({}{}, {} update) fixes {}\n",
            g.branch,
            g.priority
                .map(|x| x.to_string())
                .unwrap_or_else(|| "-".into()),
            g.due
                .as_deref()
                .map(|d| format!(", due {d}"))
                .unwrap_or_default(),
            g.update.as_str(),
            g.fixes.join(", ")
        ));
        let mut t = Table::new();
        t.load_preset(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(vec![
                "package", "from", "to", "update", "strategy", "action", "file",
            ]);
        for c in &g.changes {
            t.add_row(vec![
                c.package.clone(),
                c.from.clone(),
                c.to.clone(),
                c.update.as_str().to_string(),
                strategy_cell(c),
                c.action.clone(),
                c.file.clone(),
            ]);
        }
        out.push_str(&format!("{t}\n"));
    }
    if !p.unfixable.is_empty() {
        out.push_str("No fix available\n");
        for u in &p.unfixable {
            out.push_str(&format!(
                "  {} in {} {}: {}\n",
                u.id, u.package, u.version, u.reason
            ));
        }
    }
    out.push_str(&summary(p));
    out.push('\n');
    out
}

/// Escape advisory-controlled text for a Markdown table cell.
fn md(s: &str) -> String {
    patchloop_ledger::report::markdown::escape(s, 300)
}

fn render_markdown(p: &Plan) -> String {
    let mut out = format!("### patchloop plan: {}\n\n", summary(p));
    for g in &p.groups {
        out.push_str(&format!(
            "#### `{}` — {}{}, {} update\n\nFixes: {}\n\n| Package | From | To | Update | Strategy | Action |\n| --- | --- | --- | --- | --- | --- |\n",
            md(&g.branch),
            g.priority.map(|x| md(x.as_str())).unwrap_or_else(|| "—".into()),
            g.due.as_deref().map(|d| format!(", due {}", md(d))).unwrap_or_default(),
            g.update.as_str(),
            g.fixes.iter().map(|f| md(f)).collect::<Vec<_>>().join(", ")
        ));
        for c in &g.changes {
            let strategy = match (&c.strategy, &c.parent) {
                (Strategy::BumpParent, Some(pb)) => format!(
                    "bump-parent ({} {} → {})",
                    md(&pb.package),
                    md(&pb.from),
                    md(&pb.to)
                ),
                (s, _) => s.as_str().to_string(),
            };
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                md(&c.package),
                md(&c.from),
                md(&c.to),
                c.update.as_str(),
                strategy,
                md(&c.action)
            ));
        }
        out.push('\n');
    }
    if !p.unfixable.is_empty() {
        out.push_str("#### No fix available\n\n");
        for u in &p.unfixable {
            out.push_str(&format!(
                "- {} in {} {}: {}\n",
                md(&u.id),
                md(&u.package),
                md(&u.version),
                md(&u.reason)
            ));
        }
    }
    out
}
