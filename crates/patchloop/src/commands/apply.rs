//! `patchloop apply`: make each group of a plan on its own branch, in a
//! temporary git worktree, tested (docs/apply.md).

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, ValueEnum};
use comfy_table::{ContentArrangement, Table, presets};
use patchloop_feeds::timefmt::format_us;
use patchloop_feeds::{OpenMode, SqliteStore, StoreError};
use patchloop_model::Plan;
use patchloop_remedy::apply::{ApplyOptions, ApplyReport, GroupOutcome};
use patchloop_remedy::plan::{Grouping, PlanOptions};
use patchloop_remedy::registry::{NoRegistry, VersionSource};
use patchloop_risk::Policy;

use crate::cli::OutputArgs;
use crate::commands::plan::GroupBy;
use crate::commands::scan::{InputArgs, Scanned, pipeline, policy_path, show_diagnostics};
use crate::exit;
use crate::output::{emit, emit_with};
use crate::ui;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApplyFormat {
    /// A readable table, one row per group.
    Table,
    /// patchloop's apply JSON (patchloop.apply/v1).
    Json,
    /// Markdown, for issues and pull-request descriptions.
    Markdown,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan JSON file (`patchloop plan -f json`); or the project
    /// directory to plan and apply now (default: the current directory).
    #[arg(value_name = "PLAN|PATH")]
    pub args: Vec<PathBuf>,
    /// Read the plan from FILE (`-`: standard input); PATH arguments then
    /// name the project directory.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// Plan now and apply only the groups that fix this vulnerability (id
    /// or alias). Repeatable.
    #[arg(long = "id", value_name = "ID")]
    pub ids: Vec<String>,
    /// Apply only the plan group with this id. Repeatable.
    #[arg(long = "group", value_name = "GROUP")]
    pub groups: Vec<String>,
    /// When planning now: how changes are grouped into branches.
    #[arg(long, value_enum, default_value_t = GroupBy::Package)]
    pub group_by: GroupBy,
    /// When planning now: do not ask the package registries.
    #[arg(long)]
    pub offline: bool,
    #[command(flatten)]
    pub input: InputArgs,
    /// Check everything and show what would be done; make no worktree,
    /// branch or commit.
    #[arg(long)]
    pub dry_run: bool,
    /// Recreate `patchloop/<id>` branches that already exist.
    #[arg(long)]
    pub force: bool,
    /// Apply even outside the `[apply] schedule` windows.
    #[arg(long)]
    pub now: bool,
    /// Push the branches and open pull requests (not available yet: the
    /// forge clients come with the forge work).
    #[arg(long)]
    pub push: bool,
    #[arg(short, long, value_enum, default_value_t = ApplyFormat::Table)]
    pub format: ApplyFormat,
    #[command(flatten)]
    pub output: OutputArgs,
}

fn read_plan(path: &Path) -> Result<Plan> {
    let text = if path == Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading the plan from standard input")?;
        s
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
    };
    let name = if path == Path::new("-") {
        "standard input".to_string()
    } else {
        path.display().to_string()
    };
    let v: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{name} is not JSON"))?;
    let schema = v.get("schema").and_then(|s| s.as_str()).unwrap_or("");
    if schema != patchloop_model::PLAN_SCHEMA {
        bail!(
            "{name} is not a patchloop plan (schema {schema:?}, expected {}): make one with `patchloop plan -f json`",
            patchloop_model::PLAN_SCHEMA
        );
    }
    serde_json::from_value(v).with_context(|| format!("{name}: not a valid plan"))
}

fn open_store(input: &InputArgs) -> Result<SqliteStore> {
    let db = match &input.db {
        Some(p) => p.clone(),
        None => patchloop_feeds::default_db_path().ok_or_else(|| {
            anyhow!("cannot find a data directory for the advisory database: give --db PATH or set PATCHLOOP_DB")
        })?,
    };
    match SqliteStore::open(&db, OpenMode::ReadOnly) {
        Ok(s) => Ok(s),
        Err(StoreError::Missing { .. }) => Err(anyhow!(
            "no advisory database at {}: run `patchloop db sync` (or `patchloop db import`) first",
            db.display()
        )),
        Err(e) => Err(e.into()),
    }
}

fn load_policy(input: &InputArgs, paths: &[PathBuf]) -> Result<Policy> {
    match &input.policy {
        Some(p) if !p.is_file() => Err(anyhow!("policy file {} not found", p.display())),
        _ => Ok(Policy::load(&policy_path(input, paths))?.unwrap_or_default()),
    }
}

pub fn run(a: ApplyArgs) -> Result<u8> {
    if a.push {
        bail!(
            "--push is not implemented yet: apply leaves the branches local; push them with git push (forge support is coming)"
        );
    }
    let cwd = std::env::current_dir().context("the current directory")?;
    let now_us = crate::commands::db::now_us()?;
    let today = format_us(now_us)[..10].to_string();
    // A single existing file argument is a plan.
    let file_arg = a.plan.is_none() && a.args.len() == 1 && a.args[0].is_file();
    let (plan, store, policy, project) = if a.plan.is_some() || file_arg {
        if !a.ids.is_empty() {
            bail!("--id plans now: give a project directory, not a plan file (or use --group)");
        }
        let (plan_path, rest) = match &a.plan {
            Some(p) => (p.clone(), a.args.clone()),
            None => (a.args[0].clone(), Vec::new()),
        };
        let plan = read_plan(&plan_path)?;
        let project = match rest.first() {
            Some(p) => p.clone(),
            None => plan
                .paths
                .first()
                .map(PathBuf::from)
                .filter(|p| p.is_dir())
                .unwrap_or_else(|| cwd.clone()),
        };
        let policy = load_policy(&a.input, std::slice::from_ref(&project))?;
        (plan, open_store(&a.input)?, policy, project)
    } else {
        let Scanned {
            report,
            inventory,
            store,
            ..
        } = pipeline(&a.input, &a.args, false)?;
        show_diagnostics(&report);
        let registry: Box<dyn VersionSource> = if a.offline {
            Box::new(NoRegistry)
        } else {
            crate::commands::registries()?
        };
        let opts = PlanOptions {
            grouping: match a.group_by {
                GroupBy::Vulnerability => Grouping::Vulnerability,
                GroupBy::Package => Grouping::Package,
                GroupBy::All => Grouping::All,
            },
            today: today.clone(),
            paths: if a.args.is_empty() {
                vec![".".into()]
            } else {
                a.args.iter().map(|p| p.display().to_string()).collect()
            },
            generator: format!("patchloop {}", env!("CARGO_PKG_VERSION")),
        };
        let mut plan =
            patchloop_remedy::plan::plan(&report, &inventory, &store, &*registry, &opts)?;
        for d in &plan.diagnostics {
            ui::diagnostic(d);
        }
        if !a.ids.is_empty() {
            // Primary ids of the findings the requested ids (or aliases) name.
            let mut wanted = Vec::new();
            for id in &a.ids {
                let prim: Vec<String> = report
                    .findings
                    .iter()
                    .filter(|f| f.ids().any(|i| i.eq_ignore_ascii_case(id)))
                    .map(|f| f.id.clone())
                    .collect();
                if !plan
                    .groups
                    .iter()
                    .any(|g| g.fixes.iter().any(|x| prim.contains(x)))
                {
                    bail!(
                        "{id}: no group of the plan fixes it (not found in this project, or no fix is known: see `patchloop explain {id}`)"
                    );
                }
                wanted.extend(prim);
            }
            plan.groups
                .retain(|g| g.fixes.iter().any(|x| wanted.contains(x)));
        }
        let policy = load_policy(&a.input, &a.args)?;
        let project = a.args.first().cloned().unwrap_or_else(|| cwd.clone());
        (plan, store, policy, project)
    };
    if !project.is_dir() {
        bail!("{} is not a directory", project.display());
    }
    let mut opts = ApplyOptions::new(&project);
    opts.base_dir = cwd;
    opts.groups = a.groups.clone();
    opts.dry_run = a.dry_run;
    opts.force = a.force;
    opts.ignore_schedule = a.now;
    opts.now_unix = now_us.div_euclid(1_000_000);
    opts.today = today;
    opts.progress = Some(ui::note);
    let report = patchloop_remedy::apply::apply(&plan, &store, &policy, &opts)?;
    for n in &report.notes {
        ui::warn(n);
    }
    let out = a.output.output.as_deref();
    match a.format {
        ApplyFormat::Table => emit(out, &render_table(&report))?,
        ApplyFormat::Json => emit_with(out, |w| {
            serde_json::to_writer_pretty(&mut *w, &report)?;
            w.write_all(b"\n")
        })?,
        ApplyFormat::Markdown => emit(out, &render_markdown(&report))?,
    }
    if a.format != ApplyFormat::Table && !ui::quiet() {
        ui::note(&summary(&report));
    }
    Ok(if report.all_applied() {
        exit::OK
    } else {
        exit::FINDINGS
    })
}

fn summary(r: &ApplyReport) -> String {
    let s = &r.summary;
    if r.dry_run {
        return format!(
            "dry run: {} group(s) would be applied, {} refused",
            s.planned, s.refused
        );
    }
    format!(
        "{} group(s) applied, {} with failing tests, {} refused (base {} at {})",
        s.applied,
        s.test_failed,
        s.refused,
        r.base_branch,
        &r.base_commit[..r.base_commit.len().min(12)]
    )
}

fn outcome_cell(g: &patchloop_remedy::apply::GroupResult) -> String {
    let mut s = g.outcome.as_str().to_string();
    if g.outcome == GroupOutcome::TestFailed {
        s.push_str(if g.branch_kept {
            "\n(branch kept)"
        } else {
            "\n(branch deleted)"
        });
    }
    s
}

fn test_cell(g: &patchloop_remedy::apply::GroupResult) -> String {
    match &g.test {
        Some(t) if t.command.is_empty() => "no test command".into(),
        Some(t) => format!(
            "{} in {:.1}s\n{}",
            t.outcome.as_str(),
            t.duration_secs,
            t.command
        ),
        None => "-".into(),
    }
}

fn render_table(r: &ApplyReport) -> String {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(vec![
            "branch",
            "outcome",
            "changes",
            "test",
            "commit / reason",
        ]);
    for g in &r.groups {
        let changes: Vec<String> = g
            .changes
            .iter()
            .map(|c| format!("{} {} → {}", c.package, c.from, c.to))
            .collect();
        let last = match (&g.commit, &g.reason) {
            (Some(c), Some(why)) => format!("{}\n{why}", &c[..c.len().min(12)]),
            (Some(c), None) => c[..c.len().min(12)].to_string(),
            (None, Some(why)) => why.clone(),
            (None, None) => "-".into(),
        };
        t.add_row(vec![
            g.branch.clone(),
            outcome_cell(g),
            changes.join("\n"),
            test_cell(g),
            last,
        ]);
    }
    let mut out = String::new();
    if !r.groups.is_empty() {
        out.push_str(&format!("{t}\n"));
    }
    for g in &r.groups {
        if let Some(l) = &g.log {
            out.push_str(&format!("log of {}: {l}\n", g.branch));
        }
    }
    out.push_str(&summary(r));
    out.push('\n');
    out
}

fn md(s: &str) -> String {
    patchloop_ledger::report::markdown::escape(s, 300)
}

fn render_markdown(r: &ApplyReport) -> String {
    let mut out = format!(
        "### patchloop apply: {}\n\n| Branch | Outcome | Changes | Test | Commit / reason |\n| --- | --- | --- | --- | --- |\n",
        md(&summary(r))
    );
    for g in &r.groups {
        let changes: Vec<String> = g
            .changes
            .iter()
            .map(|c| md(&format!("{} {} → {}", c.package, c.from, c.to)))
            .collect();
        let last = match (&g.commit, &g.reason) {
            (Some(c), Some(why)) => format!("`{}` {}", &c[..c.len().min(12)], md(why)),
            (Some(c), None) => format!("`{}`", &c[..c.len().min(12)]),
            (None, Some(why)) => md(why),
            (None, None) => "—".into(),
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            md(&g.branch),
            g.outcome.as_str(),
            changes.join("<br>"),
            md(&test_cell(g).replace('\n', " — ")),
            last
        ));
    }
    for n in &r.notes {
        out.push_str(&format!("\n> {}\n", md(n)));
    }
    out
}
