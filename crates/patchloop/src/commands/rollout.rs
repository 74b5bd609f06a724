//! `patchloop promote`, `verify`, `rollback`: rollout through the rings of
//! the policy (docs/rollout.md).

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use clap::Args;
use patchloop_ledger::ledger::{Key, Ledger, Record};
use patchloop_remedy::rollout::{self, RevertOutcome};
use patchloop_risk::Policy;
use serde_json::json;

use crate::commands::ledger::{LedgerLocation, now_rfc3339};
use crate::exit;
use crate::ui;

/// Options shared by the rollout commands.
#[derive(Debug, Args)]
pub struct RolloutCommon {
    /// The policy file with the `[[environment]]` rings and `[approvals]`
    /// (default: ./patchloop.toml).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// The project (default: `[project] name` of the policy, else the
    /// current directory's absolute path).
    #[arg(long)]
    pub project: Option<String>,
    #[command(flatten)]
    pub loc: LedgerLocation,
}

#[derive(Debug, Args)]
pub struct PromoteArgs {
    /// The patch id (plan group id).
    pub patch: String,
    /// The ring to promote to (an `[[environment]]` name).
    #[arg(long, value_name = "ENV")]
    pub to: String,
    /// Promote although the previous ring's soak time has not passed (the
    /// ledger records `forced` and the reason overridden). Approvals and
    /// the ring order are never overridden.
    #[arg(long)]
    pub force: bool,
    /// Who promotes (default: $USER, else `patchloop`).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    #[command(flatten)]
    pub common: RolloutCommon,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The patch id (plan group id).
    pub patch: String,
    /// The ring whose checks to run.
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// The SBOM or lockfile for the `rescan` checks, instead of the one the
    /// policy names.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// The repository to roll back in when a check fails and the ring has
    /// `rollback_on_failure` (default: the current directory).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
    #[command(flatten)]
    pub common: RolloutCommon,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The patch id (plan group id).
    pub patch: String,
    /// Why (recorded in the ledger).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// The repository whose current branch holds the applied commit
    /// (default: the current directory).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
    /// Who rolls back (default: $USER, else `patchloop`).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    #[command(flatten)]
    pub common: RolloutCommon,
}

struct Ctx {
    policy: Policy,
    /// The policy file's directory: checks run there.
    base: PathBuf,
    project: String,
    ledger: Ledger,
    key: Key,
    records: Vec<Record>,
}

fn context(c: &RolloutCommon, patch: &str) -> Result<Ctx> {
    let path = c
        .policy
        .clone()
        .unwrap_or_else(|| PathBuf::from("patchloop.toml"));
    let policy = match Policy::load(&path)? {
        Some(p) => p,
        None if c.policy.is_some() => {
            return Err(anyhow!("policy file {} not found", path.display()));
        }
        None => Policy::default(),
    };
    let base = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let project = c
        .project
        .clone()
        .or_else(|| policy.project.clone())
        .unwrap_or_else(crate::commands::ledger::default_project);
    let key = c.loc.load_key()?;
    let ledger = c.loc.open()?;
    let records = ledger.patch(patch)?;
    Ok(Ctx {
        policy,
        base,
        project,
        ledger,
        key,
        records,
    })
}

fn actor(by: &Option<String>) -> Result<String> {
    match by {
        Some(b) if b.trim().is_empty() => Err(anyhow!("--by must name who acts")),
        Some(b) => Ok(b.trim().to_string()),
        None => Ok(std::env::var("USER")
            .ok()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| "patchloop".into())),
    }
}

fn now_secs() -> Result<i64> {
    Ok(crate::commands::db::now_us()?.div_euclid(1_000_000))
}

pub fn promote(a: PromoteArgs) -> Result<u8> {
    let by = actor(&a.by)?;
    let mut ctx = context(&a.common, &a.patch)?;
    let now = now_secs()?;
    let p = match rollout::evaluate_promotion(&ctx.records, &ctx.policy, &a.to, now, a.force) {
        Ok(p) => p,
        Err(refusal) => {
            ui::error(&format!(
                "cannot promote {} to {}: {}",
                a.patch, a.to, refusal.reason
            ));
            if refusal.kind == rollout::RefusalKind::UnknownEnvironment {
                return Ok(exit::USAGE);
            }
            return Ok(exit::FINDINGS);
        }
    };
    let rec = ctx.ledger.append(
        &ctx.key,
        &now_rfc3339()?,
        "promoted",
        &a.patch,
        &ctx.project,
        &by,
        json!({
            "env": p.env,
            "forced": p.overridden.is_some(),
            "overridden": p.overridden,
            "note": a.note,
            "approvers": p.approvers,
            "required_approvals": p.required_approvals,
        }),
    )?;
    if let Some(o) = &p.overridden {
        ui::warn(&format!("forced: {o}"));
    }
    println!(
        "promoted {} to {}{} by {} (ledger record {})",
        a.patch,
        p.env,
        if p.overridden.is_some() {
            " (forced)"
        } else {
            ""
        },
        by,
        rec.seq
    );
    Ok(exit::OK)
}

pub fn verify(a: VerifyArgs) -> Result<u8> {
    let mut ctx = context(&a.common, &a.patch)?;
    let Some((_, ring)) = ctx.policy.ring(&a.env) else {
        ui::error(&format!(
            "{:?} is not an environment of the policy{}",
            a.env,
            if ctx.policy.path.is_empty() {
                " (no policy file: give --policy FILE)".to_string()
            } else {
                format!(" {}", ctx.policy.path)
            }
        ));
        return Ok(exit::USAGE);
    };
    let ring = ring.clone();
    if ring.checks.is_empty() {
        ui::error(&format!(
            "environment {} ({}) has no checks to run",
            ring.name, ring.rule
        ));
        return Ok(exit::USAGE);
    }
    let changes = rollout::last_applied(&ctx.records)
        .map(rollout::applied_changes)
        .unwrap_or_default();
    let mut outcomes = Vec::new();
    for check in &ring.checks {
        let o = rollout::run_check(check, &ctx.base, &changes, a.file.as_deref());
        println!(
            "{} {} {}: {} ({:.2}s)",
            if o.ok { "ok  " } else { "FAIL" },
            o.kind,
            o.target,
            o.detail,
            o.duration_secs
        );
        outcomes.push(o);
    }
    let ok = outcomes.iter().all(|o| o.ok);
    let rec = ctx.ledger.append(
        &ctx.key,
        &now_rfc3339()?,
        "verified",
        &a.patch,
        &ctx.project,
        "patchloop",
        json!({"env": ring.name, "ok": ok, "checks": outcomes}),
    )?;
    if ok {
        println!(
            "verified {} in {}: {} check(s) passed (ledger record {})",
            a.patch,
            ring.name,
            outcomes.len(),
            rec.seq
        );
        return Ok(exit::OK);
    }
    let failed = outcomes.iter().filter(|o| !o.ok).count();
    ui::error(&format!(
        "verification of {} in {} failed: {failed} of {} check(s) (ledger record {})",
        a.patch,
        ring.name,
        outcomes.len(),
        rec.seq
    ));
    if ring.rollback_on_failure {
        println!("{}: rollback_on_failure is set: rolling back", ring.name);
        let reason = format!(
            "verification in {} failed (ledger record {})",
            ring.name, rec.seq
        );
        ctx.records.push(rec);
        let _ = do_rollback(&mut ctx, &a.patch, "patchloop", &reason, &a.repo)?;
    }
    Ok(exit::FINDINGS)
}

pub fn rollback(a: RollbackArgs) -> Result<u8> {
    let by = actor(&a.by)?;
    let mut ctx = context(&a.common, &a.patch)?;
    let reason = a.reason.clone().unwrap_or_else(|| "manual rollback".into());
    do_rollback(&mut ctx, &a.patch, &by, &reason, &a.repo)
}

fn do_rollback(ctx: &mut Ctx, patch: &str, by: &str, reason: &str, repo: &Path) -> Result<u8> {
    let Some(applied) = rollout::last_applied(&ctx.records) else {
        ui::error(&format!(
            "{patch} has no `applied` record in the ledger: nothing to roll back"
        ));
        return Ok(exit::FINDINGS);
    };
    let s = |k: &str| {
        applied
            .data
            .get(k)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let (commit, branch) = (s("commit"), s("branch"));
    let Some(commit) = commit else {
        ui::error(&format!(
            "the `applied` record {} of {patch} names no commit: nothing to revert",
            applied.seq
        ));
        return Ok(exit::FINDINGS);
    };
    if let Some(done) = ctx.records.iter().rev().find(|r| {
        r.seq > applied.seq
            && r.kind == "rolled-back"
            && r.data.get("reverted_commit").and_then(|v| v.as_str()) == Some(commit.as_str())
    }) {
        println!(
            "{patch} was already rolled back (ledger record {}, revert commit {}): nothing to do",
            done.seq,
            done.data
                .get("revert_commit")
                .and_then(|v| v.as_str())
                .unwrap_or("?")
        );
        return Ok(exit::OK);
    }
    let outcome = match rollout::revert(repo, &commit) {
        Ok(o) => o,
        Err(e @ rollout::RevertError::Dirty(..)) => {
            ui::error(&format!("not rolling back {patch}: {e}"));
            return Ok(exit::FINDINGS);
        }
        Err(e) => return Err(e.into()),
    };
    let short = &commit[..commit.len().min(12)];
    let (revert_commit, outcome_name) = match &outcome {
        RevertOutcome::Reverted { revert_commit } => {
            println!(
                "rolled back {patch}: reverted {short} with {} in {}",
                &revert_commit[..revert_commit.len().min(12)],
                repo.display()
            );
            (Some(revert_commit.clone()), "reverted")
        }
        RevertOutcome::NotInBranch { branch: current } => {
            println!(
                "{patch}: commit {short}{} is not in the current branch {current} of {}: nothing to revert there (the patch was never merged)",
                branch
                    .as_deref()
                    .map(|b| format!(" (branch {b})"))
                    .unwrap_or_default(),
                repo.display()
            );
            (None, "not-in-branch")
        }
        RevertOutcome::Conflict { detail } => {
            ui::error(&format!(
                "reverting {short} conflicts with later changes; the revert was aborted and nothing was changed ({detail}). Revert it by hand: git revert {short}"
            ));
            return Ok(exit::FINDINGS);
        }
    };
    let rec = ctx.ledger.append(
        &ctx.key,
        &now_rfc3339()?,
        "rolled-back",
        patch,
        &ctx.project,
        by,
        json!({
            "reason": reason,
            "outcome": outcome_name,
            "reverted_commit": if revert_commit.is_some() { Some(&commit) } else { None },
            "revert_commit": revert_commit,
            "branch": branch,
        }),
    )?;
    println!(
        "recorded rolled-back for {patch} (ledger record {})",
        rec.seq
    );
    Ok(exit::OK)
}
