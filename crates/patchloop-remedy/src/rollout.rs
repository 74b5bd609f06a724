//! Rollout: promotion of a patch through the rings of the policy
//! (`[[environment]]`), deployment verification checks, and rollback
//! (docs/rollout.md).
//!
//! [`evaluate_promotion`] is pure: the ledger records of one patch, the
//! policy and "now" decide whether the patch may be promoted to a ring.
//! [`run_check`] runs one verification check (a command, an HTTP GET, a
//! re-scan of a deployed SBOM or lockfile); [`revert`] undoes an applied
//! commit with `git revert`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use patchloop_ledger::ledger::Record;
use patchloop_risk::policy::{Check, CheckKind, Policy};
use serde::Serialize;

/// Why a promotion is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefusalKind {
    /// The environment is not a ring of the policy.
    UnknownEnvironment,
    /// The previous ring has no `promoted` record.
    PreviousRing,
    /// The patch was rolled back, or its last verification in the
    /// previous ring failed, after its promotion there.
    Unhealthy,
    /// The soak time of the previous ring has not passed (`--force`
    /// overrides this, and only this).
    Soak,
    /// Fewer distinct approvers than required.
    Approvals,
}

/// A refused promotion, with the reason for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub kind: RefusalKind,
    pub reason: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// An allowed promotion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Promotion {
    pub env: String,
    /// The ring before `env` in the promotion order.
    pub previous: Option<String>,
    pub required_approvals: u32,
    /// Distinct approvers that count (sorted).
    pub approvers: Vec<String>,
    /// The refusal `force` overrode (the soak time), if any.
    pub overridden: Option<String>,
}

/// Seconds since the epoch of a record's RFC 3339 time.
fn secs(r: &Record) -> Option<i64> {
    patchloop_feeds::timefmt::parse_us(&r.time).map(|us| us.div_euclid(1_000_000))
}

fn data_str<'a>(r: &'a Record, key: &str) -> Option<&'a str> {
    r.data.get(key).and_then(|v| v.as_str())
}

/// Distinct approvers of a patch: the actors of `approved` records; a
/// `rejected` record (by anyone) voids every approval before it.
pub fn approvers(records: &[Record]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in records {
        match r.kind.as_str() {
            "approved" if !out.contains(&r.actor) => out.push(r.actor.clone()),
            "rejected" => out.clear(),
            _ => {}
        }
    }
    out.sort();
    out
}

/// The patch's priority: `data.priority` of its latest record that has one
/// (`planned`, `prioritized`, `applied`).
pub fn priority(records: &[Record]) -> Option<&str> {
    records.iter().rev().find_map(|r| data_str(r, "priority"))
}

/// The latest `promoted` record of the patch for `env`.
pub fn last_promotion<'a>(records: &'a [Record], env: &str) -> Option<&'a Record> {
    records
        .iter()
        .rev()
        .find(|r| r.kind == "promoted" && data_str(r, "env") == Some(env))
}

/// Can the patch (its ledger records, in order) be promoted to `env` at
/// `now` (seconds since the epoch)? `force` overrides the soak time only.
pub fn evaluate_promotion(
    records: &[Record],
    policy: &Policy,
    env: &str,
    now: i64,
    force: bool,
) -> Result<Promotion, Refusal> {
    let refuse = |kind, reason: String| Err(Refusal { kind, reason });
    let Some((idx, _ring)) = policy.ring(env) else {
        let names: Vec<&str> = policy
            .environments
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        return refuse(
            RefusalKind::UnknownEnvironment,
            if names.is_empty() {
                format!(
                    "{env:?} is not an environment of the policy: it defines no [[environment]]"
                )
            } else {
                format!(
                    "{env:?} is not an environment of the policy (rings: {})",
                    names.join(" → ")
                )
            },
        );
    };
    let mut overridden = None;
    let previous = idx.checked_sub(1).map(|i| &policy.environments[i]);
    if let Some(prev) = previous {
        let Some(p) = last_promotion(records, &prev.name) else {
            return refuse(
                RefusalKind::PreviousRing,
                format!(
                    "not promoted to {} yet: promote to {} first ({} comes before {env})",
                    prev.name, prev.name, prev.name
                ),
            );
        };
        let later = records.iter().filter(|r| r.seq > p.seq);
        for r in later {
            if r.kind == "rolled-back" {
                return refuse(
                    RefusalKind::Unhealthy,
                    format!(
                        "the patch was rolled back (ledger record {}) after its promotion to {}",
                        r.seq, prev.name
                    ),
                );
            }
        }
        if let Some(v) = records.iter().rev().find(|r| {
            r.seq > p.seq && r.kind == "verified" && data_str(r, "env") == Some(&prev.name)
        }) && v.data.get("ok").and_then(|o| o.as_bool()) == Some(false)
        {
            return refuse(
                RefusalKind::Unhealthy,
                format!(
                    "its last verification in {} failed (ledger record {})",
                    prev.name, v.seq
                ),
            );
        }
        let since = secs(p).ok_or_else(|| Refusal {
            kind: RefusalKind::PreviousRing,
            reason: format!(
                "ledger record {} has an unreadable time {:?}",
                p.seq, p.time
            ),
        })?;
        let elapsed = now - since;
        let soak = prev.soak_secs as i64;
        if elapsed < soak {
            let reason = format!(
                "the soak time of {} ({}) has not passed: promoted there at {}, {} left",
                prev.name,
                patchloop_feeds::timefmt::human_duration(soak),
                p.time,
                patchloop_feeds::timefmt::human_duration(soak - elapsed)
            );
            if !force {
                return refuse(RefusalKind::Soak, reason);
            }
            overridden = Some(reason);
        }
    }
    let required = policy.approvals.for_promotion(env, priority(records));
    let approvers = approvers(records);
    if (approvers.len() as u32) < required {
        return refuse(
            RefusalKind::Approvals,
            format!(
                "{required} approval(s) needed to promote to {env}, {} given{}: `patchloop approve PATCH --by NAME`",
                approvers.len(),
                if approvers.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", approvers.join(", "))
                }
            ),
        );
    }
    Ok(Promotion {
        env: env.to_string(),
        previous: previous.map(|p| p.name.clone()),
        required_approvals: required,
        approvers,
        overridden,
    })
}

/// One package change of an `applied` record (`data.changes[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedChange {
    pub ecosystem: Option<String>,
    pub package: String,
    pub from: Option<String>,
    pub to: String,
    pub fixes: Vec<String>,
}

/// The latest `applied` record of the patch.
pub fn last_applied(records: &[Record]) -> Option<&Record> {
    records.iter().rev().find(|r| r.kind == "applied")
}

/// The changes of an `applied` record.
pub fn applied_changes(r: &Record) -> Vec<AppliedChange> {
    let Some(changes) = r.data.get("changes").and_then(|c| c.as_array()) else {
        return Vec::new();
    };
    changes
        .iter()
        .filter_map(|c| {
            let s = |k: &str| {
                c.get(k)
                    .and_then(|v| v.as_str())
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
            };
            Some(AppliedChange {
                ecosystem: s("ecosystem"),
                package: s("package")?,
                from: s("from"),
                to: s("to")?,
                fixes: c
                    .get("fixes")
                    .and_then(|f| f.as_array())
                    .map(|f| {
                        f.iter()
                            .filter_map(|i| i.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// The outcome of one verification check (the `checks[]` of a `verified`
/// record).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckOutcome {
    /// `command`, `http` or `rescan`.
    pub kind: String,
    /// The command, URL or file.
    pub target: String,
    pub ok: bool,
    pub detail: String,
    pub duration_secs: f64,
}

/// Run one check. `base`: the directory commands run in and relative
/// rescan paths are resolved against (the policy file's directory).
/// `rescan_file` replaces the path of a rescan check (`verify --file`).
pub fn run_check(
    check: &Check,
    base: &Path,
    changes: &[AppliedChange],
    rescan_file: Option<&Path>,
) -> CheckOutcome {
    let start = Instant::now();
    let timeout = Duration::from_secs(check.timeout_secs);
    let (kind, target, (ok, detail)) = match &check.kind {
        CheckKind::Command(cmd) => ("command", cmd.clone(), run_command(cmd, base, timeout)),
        CheckKind::Http { url, expect_status } => (
            "http",
            url.clone(),
            http_check(url, *expect_status, timeout),
        ),
        CheckKind::Rescan(file) => {
            let path = match rescan_file {
                Some(f) => f.to_path_buf(),
                None if Path::new(file).is_absolute() => PathBuf::from(file),
                None => base.join(file),
            };
            let shown = rescan_file
                .map(|f| f.display().to_string())
                .unwrap_or_else(|| file.clone());
            ("rescan", shown, rescan(&path, changes))
        }
    };
    CheckOutcome {
        kind: kind.to_string(),
        target,
        ok,
        detail,
        duration_secs: (start.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
    }
}

fn tail(text: &str, max_lines: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let from = lines.len().saturating_sub(max_lines);
    let mut s = lines[from..].join(" | ");
    if s.chars().count() > 300 {
        s = s.chars().take(299).collect::<String>() + "…";
    }
    s
}

/// `sh -c CMD` in `dir`, killed (with its process group) on timeout.
pub fn run_command(cmd: &str, dir: &Path, timeout: Duration) -> (bool, String) {
    let out = match tempfile::tempfile() {
        Ok(f) => f,
        Err(e) => return (false, format!("cannot create an output file: {e}")),
    };
    let err = match out.try_clone() {
        Ok(f) => f,
        Err(e) => return (false, format!("cannot create an output file: {e}")),
    };
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(cmd)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(out.try_clone().map(Stdio::from).unwrap_or(Stdio::null()))
        .stderr(Stdio::from(err));
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        c.process_group(0);
    }
    let mut child = match c.spawn() {
        Ok(ch) => ch,
        Err(e) => return (false, format!("cannot run sh: {e}")),
    };
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if start.elapsed() >= timeout => break None,
            Ok(None) => std::thread::sleep(Duration::from_millis(25)),
            Err(e) => return (false, format!("waiting for the command: {e}")),
        }
    };
    let output = |mut f: std::fs::File| {
        use std::io::{Read, Seek};
        let mut s = String::new();
        let _ = f.seek(std::io::SeekFrom::Start(0));
        let _ = f.take(1 << 20).read_to_string(&mut s);
        tail(&s, 3)
    };
    match status {
        Some(s) if s.success() => (true, "exit 0".to_string()),
        Some(s) => {
            let text = output(out);
            let code = s
                .code()
                .map(|c| format!("exit {c}"))
                .unwrap_or_else(|| "killed by a signal".into());
            (
                false,
                if text.is_empty() {
                    code
                } else {
                    format!("{code}: {text}")
                },
            )
        }
        None => {
            #[cfg(unix)]
            {
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .stderr(Stdio::null())
                    .status();
            }
            let _ = child.kill();
            let _ = child.wait();
            (
                false,
                format!("timed out after {}s (killed)", timeout.as_secs()),
            )
        }
    }
}

/// GET `url`; ok when the status is `expect`.
pub fn http_check(url: &str, expect: u16, timeout: Duration) -> (bool, String) {
    let agent = ureq::AgentBuilder::new()
        .timeout(timeout)
        .redirects(0)
        .build();
    let status = match agent.get(url).call() {
        Ok(r) => r.status(),
        Err(ureq::Error::Status(s, _)) => s,
        Err(ureq::Error::Transport(t)) => return (false, format!("no response: {t}")),
    };
    if status == expect {
        (true, format!("HTTP {status}"))
    } else {
        (false, format!("HTTP {status}, expected {expect}"))
    }
}

fn cmp_versions(eco: &patchloop_model::Ecosystem, a: &str, b: &str) -> Option<std::cmp::Ordering> {
    let scheme = patchloop_version::Scheme::for_ecosystem(eco)?;
    scheme.compare(a, b).ok()
}

/// Re-scan a deployed SBOM or lockfile: each change's package must be
/// there, at `to` or later, and nowhere below `to` (the vulnerable `from`
/// included).
pub fn rescan(path: &Path, changes: &[AppliedChange]) -> (bool, String) {
    let Some(format) = patchloop_inventory::walk::detect_path(path) else {
        return (
            false,
            format!(
                "{}: not a file format patchloop reads (`patchloop formats`)",
                path.display()
            ),
        );
    };
    let parsed = match patchloop_inventory::parse_path(
        path,
        &path.display().to_string(),
        format,
        patchloop_inventory::Limits::default(),
    ) {
        Ok(p) => p,
        Err(e) => return (false, format!("{}: {e}", path.display())),
    };
    if changes.is_empty() {
        return (
            false,
            "nothing to check: the patch has no `applied` record with changes".into(),
        );
    }
    let pkgs = &parsed.source.packages;
    let mut problems = Vec::new();
    let mut good = Vec::new();
    for c in changes {
        let want_eco = c
            .ecosystem
            .as_deref()
            .map(patchloop_model::Ecosystem::parse);
        let found: Vec<&patchloop_model::Package> = pkgs
            .iter()
            .filter(|p| p.name.eq_ignore_ascii_case(&c.package))
            .filter(|p| want_eco.as_ref().is_none_or(|e| e.kind == p.ecosystem.kind))
            .collect();
        if found.is_empty() {
            problems.push(format!("{} is not deployed", c.package));
            continue;
        }
        let mut bad: Vec<String> = Vec::new();
        for p in &found {
            let eco = want_eco.as_ref().unwrap_or(&p.ecosystem);
            let below = match cmp_versions(eco, &p.version, &c.to) {
                Some(o) => o == std::cmp::Ordering::Less,
                // Unknown ordering: only the exact fixed version counts.
                None => p.version != c.to,
            };
            if below || c.from.as_deref() == Some(p.version.as_str()) {
                bad.push(p.version.clone());
            }
        }
        bad.sort();
        bad.dedup();
        if bad.is_empty() {
            good.push(format!("{} {}", c.package, found[0].version));
        } else {
            problems.push(format!(
                "{} {} deployed, expected {} or later{}",
                c.package,
                bad.join(", "),
                c.to,
                if c.fixes.is_empty() {
                    String::new()
                } else {
                    format!(" (still vulnerable to {})", c.fixes.join(", "))
                }
            ));
        }
    }
    if problems.is_empty() {
        (true, format!("deployed: {}", good.join(", ")))
    } else {
        (false, problems.join("; "))
    }
}

/// The result of [`revert`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum RevertOutcome {
    /// `git revert` made `revert_commit`.
    Reverted { revert_commit: String },
    /// The commit is not reachable from the current branch (never merged,
    /// or unknown to the repository): nothing to revert there.
    NotInBranch { branch: String },
    /// The revert conflicted and was aborted (`git revert --abort`): the
    /// working tree is as it was.
    Conflict { detail: String },
}

/// Errors of [`revert`] that leave the repository untouched.
#[derive(Debug, thiserror::Error)]
pub enum RevertError {
    #[error("{0}: the working tree has uncommitted changes ({1}); commit or stash them first")]
    Dirty(String, String),
    #[error("git {args}: {detail}")]
    Git { args: String, detail: String },
}

fn git(repo: &Path, args: &[&str]) -> Result<std::process::Output, RevertError> {
    Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| RevertError::Git {
            args: args.join(" "),
            detail: e.to_string(),
        })
}

fn git_ok(repo: &Path, args: &[&str]) -> Result<String, RevertError> {
    let o = git(repo, args)?;
    if !o.status.success() {
        return Err(RevertError::Git {
            args: args.join(" "),
            detail: String::from_utf8_lossy(&o.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&o.stdout).trim().to_string())
}

/// Revert `commit` on the current branch of `repo` with a new commit
/// (`git revert --no-edit`); changes made since are kept. Refuses a dirty
/// working tree; a conflicting revert is aborted.
pub fn revert(repo: &Path, commit: &str) -> Result<RevertOutcome, RevertError> {
    let dirty = git_ok(repo, &["status", "--porcelain", "--untracked-files=no"])?;
    if !dirty.is_empty() {
        let files: Vec<&str> = dirty
            .lines()
            .map(|l| l.get(3..).unwrap_or(l))
            .take(5)
            .collect();
        return Err(RevertError::Dirty(
            repo.display().to_string(),
            files.join(", "),
        ));
    }
    let branch = git_ok(repo, &["rev-parse", "--abbrev-ref", "HEAD"])?;
    let spec = format!("{commit}^{{commit}}");
    let Ok(full) = git_ok(repo, &["rev-parse", "--verify", "--quiet", &spec]) else {
        return Ok(RevertOutcome::NotInBranch { branch });
    };
    let reachable = git(repo, &["merge-base", "--is-ancestor", &full, "HEAD"])?;
    if !reachable.status.success() {
        return Ok(RevertOutcome::NotInBranch { branch });
    }
    let parents = git_ok(repo, &["rev-list", "--parents", "-n", "1", &full])?;
    let mut args = vec!["revert", "--no-edit"];
    if parents.split_whitespace().count() > 2 {
        args.extend(["-m", "1"]);
    }
    args.push(&full);
    // The user's identity when git has one, else patchloop's (as apply
    // does): a revert must not fail for want of user.email.
    let has_ident = git(repo, &["config", "user.email"])
        .map(|o| o.status.success() && !o.stdout.trim_ascii().is_empty())
        .unwrap_or(false)
        || std::env::var_os("GIT_AUTHOR_EMAIL").is_some();
    let o = {
        let mut c = Command::new("git");
        c.arg("-C")
            .arg(repo)
            .args(["-c", "commit.gpgsign=false"])
            .args(&args)
            .stdin(Stdio::null());
        if !has_ident {
            c.env("GIT_AUTHOR_NAME", "patchloop")
                .env("GIT_AUTHOR_EMAIL", "patchloop@localhost")
                .env("GIT_COMMITTER_NAME", "patchloop")
                .env("GIT_COMMITTER_EMAIL", "patchloop@localhost");
        }
        c.output().map_err(|e| RevertError::Git {
            args: args.join(" "),
            detail: e.to_string(),
        })?
    };
    if !o.status.success() {
        let detail = format!(
            "{} {}",
            String::from_utf8_lossy(&o.stdout).trim(),
            String::from_utf8_lossy(&o.stderr).trim()
        )
        .trim()
        .to_string();
        let _ = git(repo, &["revert", "--abort"]);
        return Ok(RevertOutcome::Conflict {
            detail: tail(&detail, 4),
        });
    }
    Ok(RevertOutcome::Reverted {
        revert_commit: git_ok(repo, &["rev-parse", "HEAD"])?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(seq: i64, time: &str, kind: &str, actor: &str, data: serde_json::Value) -> Record {
        Record {
            seq,
            time: time.into(),
            kind: kind.into(),
            patch: "npm-express".into(),
            project: "p".into(),
            actor: actor.into(),
            data,
            prev: String::new(),
            key: String::new(),
            hash: String::new(),
            signature: String::new(),
        }
    }

    fn policy() -> Policy {
        Policy::parse(
            "p.toml",
            "[[environment]]\nname = \"canary\"\nsoak = \"1d\"\n[[environment]]\nname = \"prod\"\nsoak = \"0s\"\n[approvals]\nact = 1\nprod = 2\n",
        )
        .unwrap()
    }

    const T0: &str = "2026-03-01T12:00:00Z";
    fn t(s: &str) -> i64 {
        patchloop_feeds::timefmt::parse_us(s).unwrap() / 1_000_000
    }

    #[test]
    fn ring_order_soak_and_force() {
        let p = policy();
        let mut r = vec![rec(1, T0, "applied", "patchloop", json!({}))];
        let e = evaluate_promotion(&r, &p, "prod", t(T0), false).unwrap_err();
        assert_eq!(e.kind, RefusalKind::PreviousRing, "{e}");
        assert!(e.reason.contains("promote to canary first"), "{e}");
        let e = evaluate_promotion(&r, &p, "qa", t(T0), true).unwrap_err();
        assert_eq!(e.kind, RefusalKind::UnknownEnvironment);
        assert!(e.reason.contains("canary → prod"), "{e}");
        let ok = evaluate_promotion(&r, &p, "canary", t(T0), false).unwrap();
        assert_eq!(ok.previous, None);
        r.push(rec(2, T0, "promoted", "a", json!({"env": "canary"})));
        r.push(rec(3, T0, "approved", "a", json!({})));
        r.push(rec(4, T0, "approved", "b", json!({})));
        let e = evaluate_promotion(&r, &p, "prod", t("2026-03-02T11:59:59Z"), false).unwrap_err();
        assert_eq!(e.kind, RefusalKind::Soak);
        assert!(e.reason.contains("1s left"), "{e}");
        let forced = evaluate_promotion(&r, &p, "prod", t("2026-03-02T11:00:00Z"), true).unwrap();
        assert!(forced.overridden.unwrap().contains("1d"));
        let ok = evaluate_promotion(&r, &p, "prod", t("2026-03-02T12:00:00Z"), false).unwrap();
        assert_eq!(ok.overridden, None);
        assert_eq!(ok.approvers, vec!["a", "b"]);
        assert_eq!(ok.required_approvals, 2);
    }

    #[test]
    fn approvals_are_distinct_and_voided_by_rejection() {
        let p = policy();
        let mut r = vec![
            rec(1, T0, "planned", "patchloop", json!({"priority": "act"})),
            rec(2, T0, "approved", "a", json!({})),
            rec(3, T0, "approved", "a", json!({})),
        ];
        // canary needs 1 (priority act), prod 2 (environment override).
        assert!(evaluate_promotion(&r, &p, "canary", t(T0), false).is_ok());
        r.push(rec(4, T0, "rejected", "c", json!({})));
        let e = evaluate_promotion(&r, &p, "canary", t(T0), true).unwrap_err();
        assert_eq!(
            e.kind,
            RefusalKind::Approvals,
            "force does not override approvals"
        );
        assert!(e.reason.contains("1 approval(s) needed"), "{e}");
        r.push(rec(5, T0, "approved", "b", json!({})));
        r.push(rec(6, T0, "promoted", "b", json!({"env": "canary"})));
        let e = evaluate_promotion(&r, &p, "prod", t("2026-04-01T00:00:00Z"), false).unwrap_err();
        assert!(
            e.reason
                .contains("2 approval(s) needed to promote to prod, 1 given (b)"),
            "{e}"
        );
        r.push(rec(7, T0, "approved", "a", json!({})));
        assert!(evaluate_promotion(&r, &p, "prod", t("2026-04-01T00:00:00Z"), false).is_ok());
        // A failed verification or a rollback in canary blocks prod.
        r.push(rec(
            8,
            T0,
            "verified",
            "patchloop",
            json!({"env": "canary", "ok": false}),
        ));
        let e = evaluate_promotion(&r, &p, "prod", t("2026-04-01T00:00:00Z"), true).unwrap_err();
        assert_eq!(e.kind, RefusalKind::Unhealthy);
        r.push(rec(
            9,
            T0,
            "verified",
            "patchloop",
            json!({"env": "canary", "ok": true}),
        ));
        assert!(evaluate_promotion(&r, &p, "prod", t("2026-04-01T00:00:00Z"), false).is_ok());
        r.push(rec(10, T0, "rolled-back", "patchloop", json!({})));
        let e = evaluate_promotion(&r, &p, "prod", t("2026-04-01T00:00:00Z"), false).unwrap_err();
        assert_eq!(e.kind, RefusalKind::Unhealthy);
    }

    #[test]
    fn command_checks_and_timeouts() {
        let d = tempfile::tempdir().unwrap();
        assert!(run_command("true", d.path(), Duration::from_secs(5)).0);
        let (ok, detail) = run_command("echo boom >&2; exit 3", d.path(), Duration::from_secs(5));
        assert!(!ok);
        assert_eq!(detail, "exit 3: boom");
        let start = Instant::now();
        let (ok, detail) = run_command("sleep 30", d.path(), Duration::from_secs(1));
        assert!(!ok);
        assert!(detail.contains("timed out"), "{detail}");
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn rescan_compares_versions() {
        let d = tempfile::tempdir().unwrap();
        let bom = d.path().join("bom.cdx.json");
        let write = |v: &str| {
            std::fs::write(
                &bom,
                format!(
                    r#"{{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{{"type":"library","name":"express","version":"{v}","purl":"pkg:npm/express@{v}"}}]}}"#
                ),
            )
            .unwrap()
        };
        let changes = vec![AppliedChange {
            ecosystem: Some("npm".into()),
            package: "express".into(),
            from: Some("4.17.1".into()),
            to: "4.19.2".into(),
            fixes: vec!["CVE-2024-29041".into()],
        }];
        write("4.19.2");
        let (ok, detail) = rescan(&bom, &changes);
        assert!(ok, "{detail}");
        write("4.20.0");
        assert!(rescan(&bom, &changes).0);
        write("4.17.1");
        let (ok, detail) = rescan(&bom, &changes);
        assert!(!ok);
        assert!(
            detail.contains("still vulnerable to CVE-2024-29041"),
            "{detail}"
        );
        let mut other = changes.clone();
        other[0].package = "lodash".into();
        assert!(rescan(&bom, &other).1.contains("not deployed"));
    }
}
