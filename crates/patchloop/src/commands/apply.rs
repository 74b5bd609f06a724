//! `patchloop apply`: make each group of a plan on its own branch, in a
//! temporary git worktree, tested (docs/apply.md).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, ValueEnum};
use comfy_table::{ContentArrangement, Table, presets};
use patchloop_feeds::SqliteStore;
use patchloop_feeds::timefmt::format_us;
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
    /// Push each applied branch (tests passed) to `--remote` and open or
    /// update its pull/merge request (docs/forges.md).
    #[arg(long)]
    pub push: bool,
    /// The git remote to push to.
    #[arg(long, default_value = "origin", value_name = "NAME")]
    pub remote: String,
    /// Push only; do not open pull requests.
    #[arg(long, requires = "push")]
    pub no_pr: bool,
    /// The repository's forge URL when the remote's URL does not name it
    /// (e.g. a mirror): `https://github.com/owner/repo`.
    #[arg(long, value_name = "URL")]
    pub forge_url: Option<String>,
    /// The forge, when its host name does not tell: github, gitlab, gitea, forgejo.
    #[arg(long, value_name = "KIND")]
    pub forge: Option<String>,
    /// The forge's REST API base URL (self-hosted, tests).
    #[arg(long, value_name = "URL")]
    pub forge_api: Option<String>,
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
    let db = crate::commands::scan::db_path(input)?;
    crate::commands::scan::open_store(&db)
}

fn load_policy(input: &InputArgs, paths: &[PathBuf]) -> Result<Policy> {
    match &input.policy {
        Some(p) if !p.is_file() => Err(anyhow!("policy file {} not found", p.display())),
        _ => Ok(Policy::load(&policy_path(input, paths))?.unwrap_or_default()),
    }
}

pub fn run(a: ApplyArgs) -> Result<u8> {
    let cwd = std::env::current_dir().context("the current directory")?;
    let now_us = crate::commands::db::now_us()?;
    let today = format_us(now_us)[..10].to_string();
    // A single existing file argument is a plan.
    let file_arg = a.plan.is_none() && a.args.len() == 1 && a.args[0].is_file();
    let (plan, store, policy, project, findings_for_pr) = if a.plan.is_some() || file_arg {
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
        (plan, open_store(&a.input)?, policy, project, Vec::new())
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
        let policy = load_policy(&a.input, &a.args)?;
        let opts = PlanOptions {
            cooldown_days: policy.apply.cooldown_days,
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
        let project = a.args.first().cloned().unwrap_or_else(|| cwd.clone());
        (plan, store, policy, project, report.findings.clone())
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
    // Approvals: policy `[approvals]` per priority; groups without enough
    // distinct approvers in the ledger are not applied (docs/rollout.md).
    let loc = crate::commands::ledger::LedgerLocation {
        // As the scan pipeline: beside the advisory database (`--db`, or
        // PATCHLOOP_DB through clap), else the default location.
        state: a
            .input
            .state
            .clone()
            .or_else(|| a.input.db.as_ref().map(|d| d.with_file_name("state.db"))),
        key: std::env::var_os("PATCHLOOP_LEDGER_KEY").map(PathBuf::from),
    };
    let mut plan = plan;
    let mut unapproved = Vec::new();
    {
        let needs_any = plan.groups.iter().any(|g| {
            policy
                .approvals
                .for_priority(g.priority.map(|p| p.as_str()))
                > 0
        });
        if needs_any {
            let ledger = loc.open()?;
            plan.groups.retain(|g| {
                let need = policy
                    .approvals
                    .for_priority(g.priority.map(|p| p.as_str()));
                if need == 0 {
                    return true;
                }
                let have = ledger
                    .patch(&g.id)
                    .map(|r| patchloop_remedy::rollout::approvers(&r))
                    .unwrap_or_default();
                if (have.len() as u32) < need {
                    unapproved.push(format!(
                        "{}: priority {} needs {need} approval(s), has {} ({}); run `patchloop approve {} --by NAME`",
                        g.id,
                        g.priority.map(|p| p.as_str()).unwrap_or("-"),
                        have.len(),
                        if have.is_empty() { "none".to_string() } else { have.join(", ") },
                        g.id
                    ));
                    false
                } else {
                    true
                }
            });
        }
    }
    for u in &unapproved {
        ui::error(&format!("not applied: {u}"));
    }
    let report = patchloop_remedy::apply::apply(&plan, &store, &policy, &opts)?;
    if !report.dry_run {
        record_in_ledger(
            &loc,
            &report,
            &plan,
            &crate::commands::scan::project_key(&policy, std::slice::from_ref(&project)),
            now_us,
        )?;
    }
    let prs = if a.push && !report.dry_run {
        push_and_open(&a, &project, &report, &plan, &policy, &findings_for_pr)?
    } else {
        Vec::new()
    };
    for (branch, msg) in &prs {
        ui::note(&format!("{branch}: {msg}"));
    }
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
    Ok(if report.all_applied() && unapproved.is_empty() {
        exit::OK
    } else {
        exit::FINDINGS
    })
}

/// Push every applied branch whose tests passed, then open or update its
/// pull request, with automerge where `[apply] automerge` allows. Returns
/// (branch, what happened) per branch.
fn push_and_open(
    a: &ApplyArgs,
    project: &Path,
    report: &ApplyReport,
    plan: &Plan,
    policy: &patchloop_risk::Policy,
    findings: &[patchloop_model::Finding],
) -> Result<Vec<(String, String)>> {
    use patchloop_remedy::forge::{
        ClientOptions, ForgeConfig, ForgeKind, OpenFilter, PullRequestRequest, RemoteOverrides,
        pr_body, pr_title, upsert_pull_request,
    };
    let git = |args: &[&str]| -> Result<String> {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(project)
            .args(args)
            .output()
            .with_context(|| format!("running git {}", args.join(" ")))?;
        if !out.status.success() {
            bail!(
                "git {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let ready: Vec<&patchloop_remedy::apply::GroupResult> = report
        .groups
        .iter()
        .filter(|g| g.outcome == GroupOutcome::Applied && g.branch_kept)
        .collect();
    if ready.is_empty() {
        return Ok(Vec::new());
    }
    let forge = if a.no_pr {
        None
    } else {
        let url = match &a.forge_url {
            Some(u) => u.clone(),
            None => git(&["remote", "get-url", &a.remote])?,
        };
        let kind = match a.forge.as_deref() {
            None => None,
            Some(k) => Some(k.parse::<ForgeKind>().map_err(|_| {
                anyhow::anyhow!("--forge {k:?}: expected github, gitlab, gitea or forgejo")
            })?),
        };
        let cfg = ForgeConfig::from_remote(
            &url,
            &RemoteOverrides {
                kind,
                api_url: a.forge_api.clone(),
                token_env: None,
            },
        )?;
        Some(cfg.connect(&ClientOptions::default())?)
    };
    let mut out = Vec::new();
    // Policy: most open patch PRs at once.
    let mut open_now = match &forge {
        Some(f) => f.count_open(&OpenFilter::HeadPrefix("patchloop/".into()))?,
        None => 0,
    };
    for g in ready {
        let existing = match &forge {
            Some(f) => f.find_open(&g.branch)?.is_some(),
            None => false,
        };
        if forge.is_some() && !existing && open_now >= policy.apply.max_open_branches as usize {
            out.push((
                g.branch.clone(),
                format!(
                    "not pushed: {open_now} patchloop pull requests are open, the policy allows {} ([apply] max_open_branches)",
                    policy.apply.max_open_branches
                ),
            ));
            continue;
        }
        git(&[
            "push",
            "--force-with-lease",
            &a.remote,
            &format!("{0}:{0}", g.branch),
        ])?;
        let Some(f) = &forge else {
            out.push((g.branch.clone(), format!("pushed to {}", a.remote)));
            continue;
        };
        let Some(group) = plan.groups.iter().find(|p| p.id == g.id) else {
            continue;
        };
        let ids: Vec<&String> = group.fixes.iter().collect();
        let related: Vec<patchloop_model::Finding> = findings
            .iter()
            .filter(|f| ids.contains(&&f.id))
            .cloned()
            .collect();
        let base = report.base_branch.clone();
        let up = upsert_pull_request(
            f.as_ref(),
            &PullRequestRequest {
                title: pr_title(group),
                body: pr_body(group, &related, g.test.as_ref()),
                head: g.branch.clone(),
                base,
                labels: vec!["security".into(), "patchloop".into()],
                draft: false,
            },
        )?;
        if up.created {
            open_now += 1;
        }
        let update = group.update.as_str().to_string();
        let prio = group
            .priority
            .map(|p| p.as_str().to_string())
            .unwrap_or_default();
        let tests_ok = g
            .test
            .as_ref()
            .is_some_and(|t| t.outcome == patchloop_model::TestOutcome::Passed);
        let automerge = tests_ok
            && policy.apply.automerge.contains(&update)
            && policy.apply.automerge_priorities.contains(&prio);
        let mut msg = format!(
            "{} {}",
            if up.created { "opened" } else { "updated" },
            up.pr.url
        );
        if automerge {
            f.enable_automerge(&up.pr)?;
            msg.push_str(" (automerge enabled)");
        }
        out.push((g.branch.clone(), msg));
    }
    Ok(out)
}

/// Ledger records of an apply run: `planned` for every group, `tested` and
/// `applied` for the groups committed on a branch (docs/ledger.md).
fn record_in_ledger(
    loc: &crate::commands::ledger::LedgerLocation,
    report: &ApplyReport,
    plan: &patchloop_model::Plan,
    project: &str,
    now_us: i64,
) -> Result<()> {
    if report.groups.is_empty() {
        return Ok(());
    }
    let key = loc.load_key()?;
    let mut ledger = loc.open()?;
    let time = format_us(now_us);
    for g in &report.groups {
        let planned = plan.groups.iter().find(|p| p.id == g.id);
        let changes: Vec<serde_json::Value> = planned
            .map(|p| {
                p.changes
                    .iter()
                    .map(|c| {
                        serde_json::json!({
                            "ecosystem": c.ecosystem.to_string(),
                            "package": c.package,
                            "file": c.file,
                            "from": c.from,
                            "to": c.to,
                            "update": c.update,
                            "strategy": c.strategy,
                            "fixes": c.fixes,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        ledger.append(
            &key,
            &time,
            "planned",
            &g.id,
            project,
            "patchloop",
            serde_json::json!({
                "fixes": g.fixes,
                "priority": g.priority,
                "due": g.due,
                "changes": changes,
                "refused": g.reason.as_ref().filter(|_| g.outcome == GroupOutcome::Refused),
            }),
        )?;
        if let Some(t) = &g.test {
            ledger.append(
                &key,
                &time,
                "tested",
                &g.id,
                project,
                "patchloop",
                serde_json::json!({
                    "command": t.command,
                    "outcome": t.outcome,
                    "exit_code": t.exit_code,
                    "duration_secs": t.duration_secs,
                    "log_sha256": t.log_sha256,
                    "branch": g.branch,
                }),
            )?;
        }
        if matches!(g.outcome, GroupOutcome::Applied | GroupOutcome::TestFailed) {
            ledger.append(
                &key,
                &time,
                "applied",
                &g.id,
                project,
                "patchloop",
                serde_json::json!({
                    "outcome": g.outcome.as_str(),
                    "branch": g.branch,
                    "branch_kept": g.branch_kept,
                    "commit": g.commit,
                    "base_branch": report.base_branch,
                    "base_commit": report.base_commit,
                    "priority": g.priority,
                    "fixes": g.fixes,
                    "changes": changes,
                }),
            )?;
        }
    }
    Ok(())
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
