//! What the drivers share: the context of one group's run, running a tool
//! into the group's log, and reading a lockfile back.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use patchloop_inventory::{Format, Limits};
use patchloop_model::Change;

use super::process::{Env, run_logged};
use super::{cargo, npm, requirements};

/// One group's run in its worktree.
pub(crate) struct Ctx<'a> {
    pub env: &'a Env,
    pub worktree: &'a Path,
    pub log: &'a mut File,
    pub timeout: Duration,
}

impl Ctx<'_> {
    /// Run a tool in `dir`; its failure is a refusal naming the command and
    /// the end of its output.
    pub fn tool(&mut self, program: &Path, dir: &Path, args: &[&str]) -> Result<(), String> {
        let mut c = self.env.command(program, dir);
        c.args(args)
            .env("CARGO_TERM_COLOR", "never")
            .env("NO_COLOR", "1")
            .env("npm_config_update_notifier", "false")
            .env("npm_config_fund", "false")
            .env("npm_config_audit", "false");
        let name = program
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let line = format!("{name} {}", args.join(" "));
        let r = run_logged(c, self.log, self.timeout)
            .map_err(|e| format!("`{line}` could not run: {e}"))?;
        if r.success() {
            return Ok(());
        }
        Err(if r.timed_out {
            format!("`{line}` timed out after {}s", self.timeout.as_secs())
        } else {
            format!(
                "`{line}` failed (exit {}): {}",
                r.exit_code.map_or("none".into(), |c| c.to_string()),
                r.tail(6)
            )
        })
    }
}

/// The driver for a changed file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Driver {
    Cargo,
    Npm,
    Requirements,
}

impl Driver {
    pub fn for_file(rel: &str) -> Option<Driver> {
        let p = Path::new(rel);
        let name = p.file_name()?.to_str()?;
        let parent = p
            .parent()
            .and_then(|d| d.file_name())
            .and_then(|d| d.to_str());
        match Format::detect(name, parent)? {
            Format::CargoLock => Some(Driver::Cargo),
            Format::PackageLock => Some(Driver::Npm),
            Format::Requirements => Some(Driver::Requirements),
            _ => None,
        }
    }

    pub fn format(self) -> Format {
        match self {
            Driver::Cargo => Format::CargoLock,
            Driver::Npm => Format::PackageLock,
            Driver::Requirements => Format::Requirements,
        }
    }

    /// Can this change be made here (tool installed, strategy supported)?
    /// Checked before any worktree is made.
    pub fn preflight(self, env: &Env, change: &Change) -> Result<(), String> {
        match self {
            Driver::Cargo => cargo::preflight(env, change),
            Driver::Npm => npm::preflight(env, change),
            Driver::Requirements => requirements::preflight(change),
        }
    }

    /// Make the change in the worktree; what was done, for the report.
    pub fn apply(self, ctx: &mut Ctx<'_>, change: &Change, rel: &str) -> Result<String, String> {
        let file = ctx.worktree.join(rel);
        match self {
            Driver::Cargo => cargo::apply(ctx, change, &file),
            Driver::Npm => npm::apply(ctx, change, &file),
            Driver::Requirements => requirements::apply(change, &file, rel),
        }
    }
}

/// The versions of `name` a lockfile holds (empty when it cannot be read).
pub(crate) fn versions_in(path: &Path, format: Format, name: &str) -> Vec<String> {
    let display = path.display().to_string();
    match patchloop_inventory::parse_path(path, &display, format, Limits::default()) {
        Ok(p) => {
            let mut v: Vec<String> = p
                .source
                .packages
                .iter()
                .filter(|p| p.name == name)
                .map(|p| p.version.clone())
                .collect();
            v.sort();
            v.dedup();
            v
        }
        Err(_) => Vec::new(),
    }
}

/// The versions of `name` in lockfile text (for the HEAD check).
pub(crate) fn versions_in_text(
    text: &str,
    display: &str,
    format: Format,
    name: &str,
) -> Result<Vec<String>, String> {
    let key = |n: &str| {
        patchloop_feeds::normalize::name_key(&patchloop_model::Ecosystem::PYPI, n).into_owned()
    };
    let pypi = format == Format::Requirements;
    match patchloop_inventory::parse_str(format, display, text) {
        Ok(p) => {
            let mut v: Vec<String> = p
                .source
                .packages
                .iter()
                .filter(|p| {
                    if pypi {
                        key(&p.name) == key(name)
                    } else {
                        p.name == name
                    }
                })
                .map(|p| p.version.clone())
                .collect();
            v.sort();
            v.dedup();
            Ok(v)
        }
        Err(e) => Err(e.message),
    }
}

/// Files named `name` under `dir`, skipping build output, dependency trees
/// and VCS metadata.
pub(crate) fn find_files(dir: &Path, name: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, name: &str, depth: usize, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = rd.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let Ok(ft) = e.file_type() else { continue };
            let n = e.file_name();
            if ft.is_dir() {
                let skip = matches!(
                    n.to_str(),
                    Some(".git" | "target" | "node_modules" | "vendor" | ".venv")
                );
                if !skip && depth < 8 {
                    walk(&e.path(), name, depth + 1, out);
                }
            } else if ft.is_file() && n.to_str() == Some(name) {
                out.push(e.path());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, name, 0, &mut out);
    out
}

pub(crate) fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))
}

pub(crate) fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
}
