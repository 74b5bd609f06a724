//! What the drivers share: the context of one group's run, running a tool
//! into the group's log, and reading a lockfile back.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use patchloop_inventory::{Format, Limits};
use patchloop_model::Change;

use super::process::{Env, run_logged};
use super::{
    bundler, cargo, composer, golang, npm, piptools, pnpm, poetry, requirements, uv, yarn,
};

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
            .env("npm_config_audit", "false")
            .env("COMPOSER_NO_INTERACTION", "1")
            .env("COMPOSER_NO_AUDIT", "1")
            .env("POETRY_NO_INTERACTION", "1")
            .env("YARN_ENABLE_TELEMETRY", "0")
            .env("YARN_ENABLE_PROGRESS_BARS", "0")
            .env("BUNDLE_FROZEN", "false")
            .env("GOTOOLCHAIN", "local");
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
    Pnpm,
    Yarn,
    Requirements,
    /// A requirements file compiled by pip-tools from the `.in` beside it.
    PipTools,
    Uv,
    Poetry,
    Go,
    Bundler,
    Composer,
}

impl Driver {
    /// The driver of the repository file `rel`; `exists` says whether
    /// another repository file is there (`requirements.in` beside
    /// `requirements.txt` makes it pip-tools' output).
    pub fn for_file(rel: &str, exists: &dyn Fn(&str) -> bool) -> Option<Driver> {
        let p = Path::new(rel);
        let name = p.file_name()?.to_str()?;
        let parent = p
            .parent()
            .and_then(|d| d.file_name())
            .and_then(|d| d.to_str());
        Some(match Format::detect(name, parent)? {
            Format::CargoLock => Driver::Cargo,
            Format::PackageLock => Driver::Npm,
            Format::PnpmLock => Driver::Pnpm,
            Format::YarnLock => Driver::Yarn,
            Format::Requirements => match piptools::source_of(rel) {
                Some(src) if exists(&src) => Driver::PipTools,
                _ => Driver::Requirements,
            },
            Format::UvLock => Driver::Uv,
            Format::PoetryLock => Driver::Poetry,
            Format::GoMod => Driver::Go,
            Format::GemfileLock => Driver::Bundler,
            Format::ComposerLock => Driver::Composer,
            _ => return None,
        })
    }

    pub fn format(self) -> Format {
        match self {
            Driver::Cargo => Format::CargoLock,
            Driver::Npm => Format::PackageLock,
            Driver::Pnpm => Format::PnpmLock,
            Driver::Yarn => Format::YarnLock,
            Driver::Requirements | Driver::PipTools => Format::Requirements,
            Driver::Uv => Format::UvLock,
            Driver::Poetry => Format::PoetryLock,
            Driver::Go => Format::GoMod,
            Driver::Bundler => Format::GemfileLock,
            Driver::Composer => Format::ComposerLock,
        }
    }

    /// Can this change be made here (tool installed, strategy supported)?
    /// Checked before any worktree is made.
    pub fn preflight(self, env: &Env, change: &Change) -> Result<(), String> {
        match self {
            Driver::Cargo => cargo::preflight(env, change),
            Driver::Npm => npm::preflight(env, change),
            Driver::Pnpm => pnpm::preflight(env, change),
            Driver::Yarn => yarn::preflight(env, change),
            Driver::Requirements => requirements::preflight(change),
            Driver::PipTools => piptools::preflight(change),
            Driver::Uv => uv::preflight(env, change),
            Driver::Poetry => poetry::preflight(env, change),
            Driver::Go => golang::preflight(change),
            Driver::Bundler => bundler::preflight(env, change),
            Driver::Composer => composer::preflight(env, change),
        }
    }

    /// Make the change in the worktree; what was done, for the report.
    pub fn apply(self, ctx: &mut Ctx<'_>, change: &Change, rel: &str) -> Result<String, String> {
        let file = ctx.worktree.join(rel);
        match self {
            Driver::Cargo => cargo::apply(ctx, change, &file),
            Driver::Npm => npm::apply(ctx, change, &file),
            Driver::Pnpm => pnpm::apply(ctx, change, &file),
            Driver::Yarn => yarn::apply(ctx, change, &file),
            Driver::Requirements => requirements::apply(change, &file, rel),
            Driver::PipTools => piptools::apply(ctx, change, &file, rel),
            Driver::Uv => uv::apply(ctx, change, &file),
            Driver::Poetry => poetry::apply(ctx, change, &file),
            Driver::Go => golang::apply(ctx, change, &file, rel),
            Driver::Bundler => bundler::apply(ctx, change, &file),
            Driver::Composer => composer::apply(ctx, change, &file),
        }
    }
}

/// `tool` on PATH, or the refusal naming it and why editing by hand is no
/// substitute.
pub(crate) fn need(env: &Env, tool: &str, file: &str) -> Result<std::path::PathBuf, String> {
    env.find(tool).ok_or_else(|| {
        format!(
            "{tool} is not installed (not on PATH): {file} cannot be updated soundly without it (its resolution and checksums come from the registry); install {tool} or make the change by hand"
        )
    })
}

/// The parent bump a `bump-parent` change needs, or the refusal.
pub(crate) fn parent_of(change: &Change) -> Result<&patchloop_model::ParentBump, String> {
    change.parent.as_ref().ok_or_else(|| {
        format!(
            "the plan names no parent version to bump to: {}",
            change.action
        )
    })
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
    let pypi = matches!(
        format,
        Format::Requirements | Format::UvLock | Format::PoetryLock
    );
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

/// The PEP 503 normal form of a Python package name.
pub(crate) fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// Does the PEP 508 requirement string `req` name `name`?
pub(crate) fn requirement_names(req: &str, name: &str) -> bool {
    let t = req.trim_start();
    let end = t
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(t.len());
    end > 0 && t.get(..end).is_some_and(|n| pep503(n) == pep503(name))
}

/// Does the TOML array at `path` in `doc` hold a requirement of `name`?
pub(crate) fn toml_array_names(doc: &toml_edit::DocumentMut, path: &[&str], name: &str) -> bool {
    let mut item = doc.as_item();
    for k in path {
        match item.get(k) {
            Some(i) => item = i,
            None => return false,
        }
    }
    item.as_array().is_some_and(|a| {
        a.iter()
            .any(|v| v.as_str().is_some_and(|s| requirement_names(s, name)))
    })
}
