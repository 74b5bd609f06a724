//! git, run as a child process: the user's repository is only read, except
//! for the `patchloop/*` branches and the worktree administration that
//! `git worktree add` keeps under `.git/worktrees/`.

use std::path::{Path, PathBuf};

use super::ApplyError;
use super::process::Env;

/// git in one environment.
#[derive(Debug, Clone)]
pub(crate) struct Git {
    pub env: Env,
    program: PathBuf,
}

impl Git {
    pub fn new(env: Env) -> Result<Git, ApplyError> {
        let program = env.find("git").ok_or(ApplyError::NoGit)?;
        Ok(Git { env, program })
    }

    fn cmd(&self, dir: &Path, args: &[&str]) -> std::process::Command {
        let mut c = self.env.command(&self.program, dir);
        c.env("GIT_TERMINAL_PROMPT", "0")
            .env("LC_ALL", "C")
            .env("GIT_OPTIONAL_LOCKS", "0")
            .args(args);
        c
    }

    /// Run git; its trimmed stdout, or an error with its stderr.
    pub fn run(&self, dir: &Path, args: &[&str]) -> Result<String, ApplyError> {
        self.run_with(dir, args, &[])
    }

    pub fn run_with(
        &self,
        dir: &Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Result<String, ApplyError> {
        let mut c = self.cmd(dir, args);
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().map_err(|e| ApplyError::Git {
            command: format!("git {}", args.join(" ")),
            message: e.to_string(),
        })?;
        if !out.status.success() {
            return Err(ApplyError::Git {
                command: format!("git {}", args.join(" ")),
                message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout)
            .trim_end_matches(['\n', '\r'])
            .to_string())
    }

    /// Run git; `None` when it exits non-zero (a probe).
    pub fn probe(&self, dir: &Path, args: &[&str]) -> Option<String> {
        self.run(dir, args).ok()
    }

    /// A file's content at a commit (`None`: not in that commit).
    pub fn show(&self, dir: &Path, rev: &str, rel: &str) -> Option<Vec<u8>> {
        let spec = format!("{rev}:{rel}");
        let out = self.cmd(dir, &["show", &spec]).output().ok()?;
        out.status.success().then_some(out.stdout)
    }

    pub fn branch_exists(&self, repo: &Path, branch: &str) -> bool {
        self.probe(
            repo,
            &[
                "rev-parse",
                "--verify",
                "-q",
                &format!("refs/heads/{branch}"),
            ],
        )
        .is_some()
    }

    /// Is `branch` checked out in any worktree (the main one included)?
    pub fn checked_out(&self, repo: &Path, branch: &str) -> bool {
        let want = format!("branch refs/heads/{branch}");
        self.probe(repo, &["worktree", "list", "--porcelain"])
            .is_some_and(|l| l.lines().any(|x| x == want))
    }
}

/// The user's repository as apply found it.
#[derive(Debug, Clone)]
pub(crate) struct Repo {
    pub toplevel: PathBuf,
    pub common_dir: PathBuf,
    pub head: String,
    pub branch: String,
    pub dirty: bool,
}

impl Repo {
    pub fn open(git: &Git, dir: &Path) -> Result<Repo, ApplyError> {
        let toplevel = git
            .probe(dir, &["rev-parse", "--show-toplevel"])
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ApplyError::NotARepository {
                dir: dir.display().to_string(),
            })?;
        let toplevel = PathBuf::from(toplevel);
        let common = git.run(
            &toplevel,
            &["rev-parse", "--path-format=absolute", "--git-common-dir"],
        )?;
        let head = git
            .probe(&toplevel, &["rev-parse", "--verify", "-q", "HEAD^{commit}"])
            .ok_or_else(|| ApplyError::NoCommits {
                repo: toplevel.display().to_string(),
            })?;
        let branch = git
            .probe(&toplevel, &["symbolic-ref", "-q", "--short", "HEAD"])
            .ok_or_else(|| ApplyError::DetachedHead {
                commit: head.chars().take(12).collect(),
            })?;
        let dirty = !git
            .run(
                &toplevel,
                &["status", "--porcelain", "--untracked-files=normal"],
            )?
            .is_empty();
        Ok(Repo {
            toplevel,
            common_dir: PathBuf::from(common),
            head,
            branch,
            dirty,
        })
    }

    /// `patchloop/*` branches.
    pub fn patchloop_branches(&self, git: &Git) -> Result<Vec<String>, ApplyError> {
        Ok(git
            .run(
                &self.toplevel,
                &[
                    "for-each-ref",
                    "--format=%(refname:short)",
                    "refs/heads/patchloop/",
                ],
            )?
            .lines()
            .map(str::to_string)
            .filter(|l| !l.is_empty())
            .collect())
    }
}

/// A worktree on a new branch, removed when dropped (also on a panic or an
/// early return); the branch is deleted too unless [`Self::keep_branch`]
/// was called.
pub(crate) struct Worktree {
    git: Git,
    repo: PathBuf,
    pub path: PathBuf,
    pub branch: String,
    keep: bool,
    // Dropped after `drop` has removed the worktree.
    _dir: tempfile::TempDir,
}

impl Worktree {
    /// `git worktree add <tmp> -b <branch> <commit>` (`-B` with `force`).
    pub fn add(git: &Git, repo: &Repo, branch: &str, force: bool) -> Result<Worktree, ApplyError> {
        let dir = tempfile::Builder::new()
            .prefix("patchloop-apply-")
            .tempdir()
            .map_err(|e| ApplyError::Io {
                path: std::env::temp_dir().display().to_string(),
                message: e.to_string(),
            })?;
        let name = repo
            .toplevel
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "repo".into());
        let path = dir.path().join(name);
        let p = path.to_string_lossy().into_owned();
        let flag = if force { "-B" } else { "-b" };
        git.run(
            &repo.toplevel,
            &[
                "worktree",
                "add",
                "--quiet",
                "--no-track",
                &p,
                flag,
                branch,
                &repo.head,
            ],
        )?;
        Ok(Worktree {
            git: git.clone(),
            repo: repo.toplevel.clone(),
            path,
            branch: branch.to_string(),
            keep: false,
            _dir: dir,
        })
    }

    pub fn keep_branch(&mut self) {
        self.keep = true;
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let p = self.path.to_string_lossy().into_owned();
        if self
            .git
            .run(
                &self.repo,
                &["worktree", "remove", "--force", "--force", &p],
            )
            .is_err()
        {
            let _ = std::fs::remove_dir_all(&self.path);
            let _ = self.git.run(&self.repo, &["worktree", "prune"]);
        }
        if !self.keep {
            let _ = self.git.run(&self.repo, &["branch", "-D", &self.branch]);
        }
    }
}
