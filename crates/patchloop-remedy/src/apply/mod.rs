//! Applying a plan (docs/apply.md): each group of a [`Plan`] becomes one
//! commit on its own branch `patchloop/<id>`, made in a temporary git
//! worktree from HEAD with the ecosystem's own tool, re-scanned, tested,
//! and committed. The user's working tree, index and current branch are
//! never touched.
//!
//! Per group:
//! 1. refusals that need no worktree: outside the `[apply] schedule`, too
//!    many open `patchloop/*` branches, a branch that exists (without
//!    `force`), a file the plan names that HEAD no longer matches, no
//!    driver or no tool for a change;
//! 2. `git worktree add <tmp> -b patchloop/<id> HEAD` ([`git::Worktree`]
//!    removes it again on every path out, panics included);
//! 3. each change through its driver ([`cargo`], [`npm`], [`pnpm`],
//!    [`yarn`], [`requirements`], [`piptools`], [`uv`], [`poetry`],
//!    [`golang`], [`bundler`], [`composer`]);
//! 4. a re-scan of the worktree against the same store: every targeted
//!    vulnerability gone, no new finding;
//! 5. the test command, with a timeout, into a log kept under
//!    `.git/patchloop/logs/`;
//! 6. a commit with the fixes, changes and test outcome; a failing test
//!    keeps the branch (marked `Patchloop-Status: test-failed`) or deletes
//!    it, as `[apply] on_test_failure` says.

mod bundler;
mod cargo;
mod composer;
mod drivers;
mod git;
mod golang;
mod jsonedit;
mod npm;
mod piptools;
mod pnpm;
mod poetry;
mod process;
mod requirements;
mod tests_run;
mod uv;
mod yarn;

use std::collections::BTreeSet;
use std::fs::OpenOptions;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use patchloop_feeds::AdvisoryStore;
use patchloop_model::plan::{TestEvidence, TestOutcome};
use patchloop_model::{Category, DatabaseInfo, Plan, PlanGroup, Priority, ScanReport, Strategy};
use patchloop_risk::Policy;
use patchloop_risk::policy::OnTestFailure;
use serde::{Deserialize, Serialize};

use drivers::{Ctx, Driver};
use git::{Git, Repo, Worktree};
use process::Env;

/// The apply report JSON schema identifier.
pub const APPLY_SCHEMA: &str = "patchloop.apply/v1";

/// Apply cannot start at all (per-group problems are refusals instead).
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("git is not installed (not on PATH): apply works through git worktrees")]
    NoGit,
    #[error(
        "{dir} is not in a git repository: apply makes branches from the repository's committed state"
    )]
    NotARepository { dir: String },
    #[error("the repository {repo} has no commits yet: commit first, apply branches off HEAD")]
    NoCommits { repo: String },
    #[error(
        "HEAD is detached (at {commit}): check out the branch the fixes should start from, then run apply again"
    )]
    DetachedHead { commit: String },
    #[error("`{command}` failed: {message}")]
    Git { command: String, message: String },
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("the plan is not a {APPLY_INPUT} plan: schema {schema:?}")]
    Schema { schema: String },
    #[error("no group of the plan has the id {0}")]
    UnknownGroup(String),
}

const APPLY_INPUT: &str = patchloop_model::PLAN_SCHEMA;

/// How one group ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupOutcome {
    /// Committed on its branch; tests passed (or none were found to run).
    Applied,
    /// Committed, but the tests failed or timed out (the branch is kept
    /// or deleted per `on_test_failure`).
    TestFailed,
    /// Not applied; `reason` says why. No branch is left.
    Refused,
    /// `--dry-run`: would be applied.
    Planned,
}

impl GroupOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupOutcome::Applied => "applied",
            GroupOutcome::TestFailed => "test-failed",
            GroupOutcome::Refused => "refused",
            GroupOutcome::Planned => "planned",
        }
    }
}

/// One change as applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeResult {
    pub package: String,
    pub file: String,
    pub from: String,
    pub to: String,
    pub strategy: Strategy,
    /// The commands run and edits made (or, for a dry run, to be made).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub done: String,
}

/// What happened to one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupResult {
    pub id: String,
    pub branch: String,
    pub outcome: GroupOutcome,
    /// The commit on `branch` (absent when nothing was committed or the
    /// branch was deleted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Does `branch` exist after the run?
    pub branch_kept: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
    pub fixes: Vec<String>,
    pub changes: Vec<ChangeResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<TestEvidence>,
    /// The full log of the tools and tests run for the group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    /// Why the group was refused or failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Counts per outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplySummary {
    pub applied: usize,
    pub test_failed: usize,
    pub refused: usize,
    pub planned: usize,
}

/// The report of one apply run (`patchloop.apply/v1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplyReport {
    pub schema: String,
    pub generator: String,
    /// `YYYY-MM-DD`.
    pub created: String,
    /// The repository's top-level directory.
    pub repository: String,
    /// The branch the fixes start from, and its commit.
    pub base_branch: String,
    pub base_commit: String,
    pub dry_run: bool,
    /// Things the user should know (uncommitted changes left out, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub groups: Vec<GroupResult>,
    pub summary: ApplySummary,
}

impl ApplyReport {
    /// Did every group apply with its tests passing (or only plan, for a
    /// dry run)?
    pub fn all_applied(&self) -> bool {
        self.groups
            .iter()
            .all(|g| matches!(g.outcome, GroupOutcome::Applied | GroupOutcome::Planned))
    }
}

/// Options of one apply run.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// The project directory: the repository is the one holding it; the
    /// re-scan and `test_command` run in its counterpart in the worktree.
    pub project_dir: PathBuf,
    /// Relative file paths of the plan are relative to this directory (the
    /// directory `patchloop plan` ran in).
    pub base_dir: PathBuf,
    /// Only these group ids (all when empty).
    pub groups: Vec<String>,
    pub dry_run: bool,
    /// Recreate `patchloop/<id>` branches that exist.
    pub force: bool,
    /// Apply outside the `[apply] schedule` windows (`--now`).
    pub ignore_schedule: bool,
    /// Seconds since the epoch, for the schedule.
    pub now_unix: i64,
    /// `YYYY-MM-DD`, for the re-scan's ignore expiry and the report.
    pub today: String,
    pub generator: String,
    /// Extra environment for every child process (git, tools, tests).
    pub env: Vec<(String, String)>,
    /// Progress lines (group started, step done).
    pub progress: Option<fn(&str)>,
}

impl ApplyOptions {
    pub fn new(project_dir: impl Into<PathBuf>) -> ApplyOptions {
        let project_dir = project_dir.into();
        ApplyOptions {
            base_dir: project_dir.clone(),
            project_dir,
            groups: Vec::new(),
            dry_run: false,
            force: false,
            ignore_schedule: false,
            now_unix: 0,
            today: "1970-01-01".into(),
            generator: format!("patchloop {}", env!("CARGO_PKG_VERSION")),
            env: Vec::new(),
            progress: None,
        }
    }

    fn say(&self, msg: &str) {
        if let Some(p) = self.progress {
            p(msg);
        }
    }
}

/// Lexically normalize `p` (no filesystem access: the file may not exist
/// in the working tree).
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| normalize(p))
}

/// A plan file path as a path relative to the repository root (`/`
/// separators), or a refusal.
fn repo_relative(file: &str, base: &Path, top: &Path) -> Result<String, String> {
    let p = Path::new(file);
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    };
    // Canonicalize the directory (symlinks such as /tmp), keep the name.
    let abs = match (abs.parent(), abs.file_name()) {
        (Some(d), Some(n)) => canonical(d).join(n),
        _ => normalize(&abs),
    };
    let rel = abs
        .strip_prefix(top)
        .map_err(|_| format!("{file} is outside the repository {}", top.display()))?;
    let s = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/");
    if s.is_empty() {
        return Err(format!("{file} is not a file of the repository"));
    }
    Ok(s)
}

/// Is the group's branch name one apply will make?
fn valid_branch(group: &PlanGroup) -> Result<(), String> {
    let ok_id = !group.id.is_empty()
        && group.id.len() <= 100
        && group
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !group.id.starts_with(['.', '-'])
        && !group.id.ends_with(".lock")
        && !group.id.contains("..");
    if !ok_id || group.branch != format!("patchloop/{}", group.id) {
        return Err(format!(
            "the group id {:?} / branch {:?} is not of the form patchloop/<id> with letters, digits, '.', '-', '_'",
            group.id, group.branch
        ));
    }
    Ok(())
}

/// Finding keys of a scan, for comparing before and after.
fn finding_keys(r: &ScanReport) -> BTreeSet<(String, String, String)> {
    r.active()
        .filter(|f| f.category == Category::Vulnerability)
        .map(|f| {
            (
                f.id.clone(),
                f.package.name.clone(),
                f.package.version.clone(),
            )
        })
        .collect()
}

fn rescan(
    dir: &Path,
    store: &dyn AdvisoryStore,
    policy: &Policy,
    today: &str,
) -> Result<ScanReport, String> {
    let inv = patchloop_inventory::inventory(&[dir.to_path_buf()], &Default::default())
        .map_err(|e| format!("re-scan: {e}"))?;
    patchloop_match::scan(
        &inv,
        store,
        policy,
        DatabaseInfo::default(),
        &patchloop_match::ScanOptions {
            today: today.to_string(),
            ..Default::default()
        },
    )
    .map_err(|e| format!("re-scan: {e}"))
}

/// Check the re-scan: targeted vulnerabilities gone from the changed
/// packages, nothing new.
fn verify(group: &PlanGroup, before: &ScanReport, after: &ScanReport) -> Result<(), String> {
    let mut still = Vec::new();
    for c in &group.changes {
        for f in after
            .active()
            .filter(|f| f.category == Category::Vulnerability && f.package.name == c.package)
        {
            if f.ids()
                .any(|i| c.fixes.iter().any(|x| x.eq_ignore_ascii_case(i)))
            {
                still.push(format!(
                    "{} in {} {}",
                    f.id, f.package.name, f.package.version
                ));
            }
        }
    }
    still.sort();
    still.dedup();
    if !still.is_empty() {
        return Err(format!(
            "the re-scan still finds {} after the change",
            still.join(", ")
        ));
    }
    let old = finding_keys(before);
    let new: Vec<String> = finding_keys(after)
        .difference(&old)
        .map(|(id, n, v)| format!("{id} in {n} {v}"))
        .collect();
    if !new.is_empty() {
        return Err(format!(
            "the change brings in new vulnerabilities: {}",
            new.join(", ")
        ));
    }
    Ok(())
}

fn fmt_duration(secs: f64) -> String {
    format!("{secs:.1}s")
}

/// The commit message of a group.
/// `files` are the changes' files relative to the repository root.
pub fn commit_message(
    group: &PlanGroup,
    evidence: &TestEvidence,
    done: &[ChangeResult],
    files: &[String],
) -> String {
    let title = match done {
        [c] => format!("bump {} from {} to {}", c.package, c.from, c.to),
        _ => {
            let mut names: Vec<&str> = done.iter().map(|c| c.package.as_str()).collect();
            names.dedup();
            format!("update {} packages ({})", names.len(), names.join(", "))
        }
    };
    let mut m = format!("fix(security): {title}\n\n");
    for id in &group.fixes {
        m.push_str(&format!(
            "Fixes {id} (priority {}{})\n",
            group.priority.map_or("-".to_string(), |p| p.to_string()),
            group
                .due
                .as_deref()
                .map(|d| format!(", due {d}"))
                .unwrap_or_default()
        ));
    }
    m.push_str("\nChanges:\n");
    for (i, c) in done.iter().enumerate() {
        m.push_str(&format!(
            "- {} {} → {} ({}, {})\n",
            c.package,
            c.from,
            c.to,
            files.get(i).unwrap_or(&c.file),
            c.strategy.as_str()
        ));
    }
    let cmd = if evidence.command.is_empty() {
        "no test command".to_string()
    } else {
        evidence.command.clone()
    };
    m.push_str(&format!(
        "\nTest: {} ({}, {})\n",
        evidence.outcome.as_str(),
        cmd,
        fmt_duration(evidence.duration_secs)
    ));
    m.push_str(&format!(
        "\nPatchloop-Group: {}\nPatchloop-Status: {}\nPatchloop-Log-SHA256: {}\n",
        group.id,
        match evidence.outcome {
            TestOutcome::Passed => "passed",
            TestOutcome::Skipped => "untested",
            TestOutcome::Failed | TestOutcome::TimedOut => "test-failed",
        },
        evidence.log_sha256
    ));
    m
}

fn result_for(group: &PlanGroup, outcome: GroupOutcome, reason: Option<String>) -> GroupResult {
    GroupResult {
        id: group.id.clone(),
        branch: group.branch.clone(),
        outcome,
        commit: None,
        branch_kept: false,
        priority: group.priority,
        due: group.due.clone(),
        fixes: group.fixes.clone(),
        changes: group
            .changes
            .iter()
            .map(|c| ChangeResult {
                package: c.package.clone(),
                file: c.file.clone(),
                from: c.from.clone(),
                to: c.to.clone(),
                strategy: c.strategy,
                done: String::new(),
            })
            .collect(),
        test: None,
        log: None,
        reason,
    }
}

/// Apply the plan's groups to the repository holding `opts.project_dir`.
pub fn apply(
    plan: &Plan,
    store: &dyn AdvisoryStore,
    policy: &Policy,
    opts: &ApplyOptions,
) -> Result<ApplyReport, ApplyError> {
    if plan.schema != patchloop_model::PLAN_SCHEMA {
        return Err(ApplyError::Schema {
            schema: plan.schema.clone(),
        });
    }
    for id in &opts.groups {
        if !plan.groups.iter().any(|g| &g.id == id) {
            return Err(ApplyError::UnknownGroup(id.clone()));
        }
    }
    let env = Env {
        vars: opts.env.clone(),
    };
    let git = Git::new(env.clone())?;
    let repo = Repo::open(&git, &opts.project_dir)?;
    let top = canonical(&repo.toplevel);
    let base = canonical(&opts.base_dir);
    let project_rel = canonical(&opts.project_dir)
        .strip_prefix(&top)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut notes = Vec::new();
    let short_head: String = repo.head.chars().take(12).collect();
    if repo.dirty {
        notes.push(format!(
            "the working tree has uncommitted changes: they are left as they are and are not part of the branches, which start from HEAD ({} at {short_head})",
            repo.branch
        ));
    }
    let log_dir = repo.common_dir.join("patchloop").join("logs");
    let mut report = ApplyReport {
        schema: APPLY_SCHEMA.to_string(),
        generator: opts.generator.clone(),
        created: opts.today.clone(),
        repository: repo.toplevel.display().to_string(),
        base_branch: repo.branch.clone(),
        base_commit: repo.head.clone(),
        dry_run: opts.dry_run,
        notes,
        groups: Vec::new(),
        summary: ApplySummary::default(),
    };
    let ap = &policy.apply;
    let outside = !opts.ignore_schedule && !ap.in_schedule(opts.now_unix);
    let mut open = repo.patchloop_branches(&git)?.len();

    for group in &plan.groups {
        if !opts.groups.is_empty() && !opts.groups.contains(&group.id) {
            continue;
        }
        opts.say(&format!(
            "{}: {} change(s)",
            group.branch,
            group.changes.len()
        ));
        let refuse = |reason: String| result_for(group, GroupOutcome::Refused, Some(reason));
        // 1. Refusals that need no worktree.
        if outside {
            let windows: Vec<&str> = ap.schedule.iter().map(|w| w.text.as_str()).collect();
            report.groups.push(refuse(format!(
                "outside the apply schedule ({}; {}): pass --now to apply anyway",
                windows.join(", "),
                ap.source("schedule")
            )));
            continue;
        }
        if let Err(e) = valid_branch(group) {
            report.groups.push(refuse(e));
            continue;
        }
        if group.changes.is_empty() {
            report
                .groups
                .push(refuse("the group has no changes".into()));
            continue;
        }
        let exists = git.branch_exists(&repo.toplevel, &group.branch);
        if exists && !opts.force {
            report.groups.push(refuse(format!(
                "branch {} already exists (an earlier apply?): delete it, or pass --force to recreate it",
                group.branch
            )));
            continue;
        }
        if exists && git.checked_out(&repo.toplevel, &group.branch) {
            report.groups.push(refuse(format!(
                "branch {} is checked out in a worktree: --force does not recreate a branch in use",
                group.branch
            )));
            continue;
        }
        if !exists && open >= ap.max_open_branches as usize {
            report.groups.push(refuse(format!(
                "max_open_branches ({}, {}) reached: {open} patchloop/* branches exist; merge or delete some first",
                ap.max_open_branches,
                ap.source("max_open_branches")
            )));
            continue;
        }
        let mut rels = Vec::new();
        let mut problem = None;
        for c in &group.changes {
            let rel = match repo_relative(&c.file, &base, &top) {
                Ok(r) => r,
                Err(e) => {
                    problem = Some(e);
                    break;
                }
            };
            let in_head = |p: &str| git.show(&repo.toplevel, &repo.head, p).is_some();
            let Some(driver) = Driver::for_file(&rel, &in_head) else {
                problem = Some(format!(
                    "apply has no driver for {} ({}) yet: it changes Cargo.lock, package-lock.json, pnpm-lock.yaml, yarn.lock, requirements*.txt, uv.lock, poetry.lock, go.mod, Gemfile.lock and composer.lock",
                    c.file, c.ecosystem
                ));
                break;
            };
            let Some(head_bytes) = git.show(&repo.toplevel, &repo.head, &rel) else {
                problem = Some(format!(
                    "the plan no longer matches {}: the file is not in HEAD ({short_head}); commit it first",
                    c.file
                ));
                break;
            };
            let text = String::from_utf8_lossy(&head_bytes);
            match drivers::versions_in_text(&text, &c.file, driver.format(), &c.package) {
                Ok(v) if v.contains(&c.from) => {}
                Ok(v) if v.is_empty() => {
                    problem = Some(format!(
                        "the plan no longer matches {}: {} is not in it any more",
                        c.file, c.package
                    ));
                    break;
                }
                Ok(v) => {
                    problem = Some(format!(
                        "the plan no longer matches {}: {} is {} now",
                        c.file,
                        c.package,
                        v.join(", ")
                    ));
                    break;
                }
                Err(e) => {
                    problem = Some(format!("{} in HEAD cannot be read: {e}", c.file));
                    break;
                }
            }
            if let Err(e) = driver.preflight(&env, c) {
                problem = Some(e);
                break;
            }
            rels.push((driver, rel));
        }
        if let Some(p) = problem {
            report.groups.push(refuse(p));
            continue;
        }
        if opts.dry_run {
            let mut r = result_for(group, GroupOutcome::Planned, None);
            for (cr, c) in r.changes.iter_mut().zip(&group.changes) {
                cr.done = c.action.clone();
            }
            report.groups.push(r);
            continue;
        }
        let r = apply_group(
            group,
            &rels,
            &git,
            &repo,
            &env,
            store,
            policy,
            opts,
            &project_rel,
            &log_dir,
        );
        if r.branch_kept && !exists {
            open += 1;
        }
        opts.say(&format!(
            "{}: {}{}",
            group.branch,
            r.outcome.as_str(),
            r.reason
                .as_deref()
                .map(|x| format!(": {x}"))
                .unwrap_or_default()
        ));
        report.groups.push(r);
    }
    for g in &report.groups {
        match g.outcome {
            GroupOutcome::Applied => report.summary.applied += 1,
            GroupOutcome::TestFailed => report.summary.test_failed += 1,
            GroupOutcome::Refused => report.summary.refused += 1,
            GroupOutcome::Planned => report.summary.planned += 1,
        }
    }
    Ok(report)
}

/// Steps 2 to 6 for one group.
#[allow(clippy::too_many_arguments)]
fn apply_group(
    group: &PlanGroup,
    rels: &[(Driver, String)],
    git: &Git,
    repo: &Repo,
    env: &Env,
    store: &dyn AdvisoryStore,
    policy: &Policy,
    opts: &ApplyOptions,
    project_rel: &Path,
    log_dir: &Path,
) -> GroupResult {
    let mut result = result_for(group, GroupOutcome::Refused, None);
    let fail = |mut r: GroupResult, reason: String| {
        r.outcome = GroupOutcome::Refused;
        r.reason = Some(reason);
        r.commit = None;
        r.branch_kept = false;
        r
    };
    let ap = &policy.apply;
    let timeout = Duration::from_secs(ap.test_timeout);
    // The log outlives the worktree.
    if let Err(e) = std::fs::create_dir_all(log_dir) {
        return fail(result, format!("{}: {e}", log_dir.display()));
    }
    let log_path = log_dir.join(format!("{}-{}.log", group.id, opts.now_unix));
    let mut log = match OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&log_path)
    {
        Ok(f) => f,
        Err(e) => return fail(result, format!("{}: {e}", log_path.display())),
    };
    result.log = Some(log_path.display().to_string());
    let mut wt = match Worktree::add(git, repo, &group.branch, opts.force) {
        Ok(w) => w,
        Err(e) => return fail(result, e.to_string()),
    };
    let project = wt.path.join(project_rel);
    let before = match rescan(&project, store, policy, &opts.today) {
        Ok(r) => r,
        Err(e) => return fail(result, e),
    };
    for ((c, (driver, rel)), cr) in group
        .changes
        .iter()
        .zip(rels)
        .zip(result.changes.iter_mut())
    {
        let mut ctx = Ctx {
            env,
            worktree: &wt.path,
            log: &mut log,
            timeout,
        };
        match driver.apply(&mut ctx, c, rel) {
            Ok(done) => cr.done = done,
            Err(e) => {
                let msg = format!("{} {} → {}: {e}", c.package, c.from, c.to);
                return fail(result, msg);
            }
        }
    }
    let after = match rescan(&project, store, policy, &opts.today) {
        Ok(r) => r,
        Err(e) => return fail(result, e),
    };
    if let Err(e) = verify(group, &before, &after) {
        return fail(result, e);
    }
    // Stage what the drivers changed, before tests can add build output.
    if let Err(e) = git.run(&wt.path, &["add", "--all", "--", "."]) {
        return fail(result, e.to_string());
    }
    if git
        .probe(&wt.path, &["diff", "--cached", "--quiet"])
        .is_some()
    {
        return fail(result, "the change left every file as it was".into());
    }
    opts.say(&format!(
        "{}: changed, re-scan clean; testing",
        group.branch
    ));
    let (steps, why) = tests_run::steps(ap.test_command.as_ref(), env, &wt.path, &project, rels);
    let evidence = tests_run::run(&steps, &why, env, &mut log, &log_path, timeout);
    let passed = matches!(evidence.outcome, TestOutcome::Passed | TestOutcome::Skipped);
    result.test = Some(evidence.clone());
    if !passed {
        result.outcome = GroupOutcome::TestFailed;
        result.reason = Some(format!(
            "tests {} ({}{})",
            evidence.outcome.as_str(),
            evidence.command,
            evidence
                .exit_code
                .map(|c| format!(", exit {c}"))
                .unwrap_or_default()
        ));
        if ap.on_test_failure == OnTestFailure::DeleteBranch {
            result.reason = Some(format!(
                "{}; branch deleted (on_test_failure = \"delete-branch\")",
                result.reason.unwrap_or_default()
            ));
            return result;
        }
    }
    let files: Vec<String> = rels.iter().map(|(_, r)| r.clone()).collect();
    let message = commit_message(group, &evidence, &result.changes, &files);
    let msg_path = log_dir.join(format!("{}-{}.msg", group.id, opts.now_unix));
    if let Err(e) = std::fs::write(&msg_path, &message) {
        return fail(result, format!("{}: {e}", msg_path.display()));
    }
    let msg_arg = msg_path.to_string_lossy().into_owned();
    // The user's identity when git has one, else patchloop's.
    let mut ident: Vec<(&str, &str)> = Vec::new();
    if git.probe(&wt.path, &["config", "user.email"]).is_none()
        && std::env::var_os("GIT_AUTHOR_EMAIL").is_none()
        && !opts.env.iter().any(|(k, _)| k == "GIT_AUTHOR_EMAIL")
    {
        ident = vec![
            ("GIT_AUTHOR_NAME", "patchloop"),
            ("GIT_AUTHOR_EMAIL", "patchloop@localhost"),
            ("GIT_COMMITTER_NAME", "patchloop"),
            ("GIT_COMMITTER_EMAIL", "patchloop@localhost"),
        ];
    }
    let committed = git.run_with(
        &wt.path,
        &[
            "-c",
            "commit.gpgsign=false",
            "commit",
            "--quiet",
            "--no-verify",
            "-F",
            &msg_arg,
        ],
        &ident,
    );
    let _ = std::fs::remove_file(&msg_path);
    if let Err(e) = committed {
        return fail(result, e.to_string());
    }
    match git.run(&wt.path, &["rev-parse", "HEAD"]) {
        Ok(c) => result.commit = Some(c),
        Err(e) => return fail(result, e.to_string()),
    }
    wt.keep_branch();
    result.branch_kept = true;
    if passed {
        result.outcome = GroupOutcome::Applied;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_relative_paths() {
        let top = Path::new("/r");
        assert_eq!(
            repo_relative("sub/Cargo.lock", Path::new("/r"), top).unwrap(),
            "sub/Cargo.lock"
        );
        assert_eq!(
            repo_relative("/r/a/../b/package-lock.json", Path::new("/x"), top).unwrap(),
            "b/package-lock.json"
        );
        assert!(repo_relative("../elsewhere/Cargo.lock", Path::new("/r"), top).is_err());
    }
}
