//! Bundler (Gemfile.lock): `bundle lock --update name --conservative`
//! re-resolves only that gem (shared dependencies stay), without
//! installing anything. When the Gemfile's requirement keeps the old
//! version, the change is refused with that reason (the Gemfile is the
//! user's to loosen). Without bundler the change is refused: the
//! lockfile's resolution comes from the gem source.

use std::path::Path;

use patchloop_inventory::Format;
use patchloop_model::{Change, Strategy};

use super::drivers::{Ctx, need, versions_in};
use super::process::Env;

pub(crate) fn preflight(env: &Env, change: &Change) -> Result<(), String> {
    if change.strategy == Strategy::BumpParent {
        return Err(format!(
            "parent bumps are not made for Bundler projects: {}",
            change.action
        ));
    }
    need(env, "bundle", "Gemfile.lock").map(|_| ())
}

pub(crate) fn apply(ctx: &mut Ctx<'_>, change: &Change, lock: &Path) -> Result<String, String> {
    let bundle = need(ctx.env, "bundle", "Gemfile.lock")?;
    let dir = lock.parent().unwrap_or(ctx.worktree).to_path_buf();
    let name = &change.package;
    let mut args = vec!["lock", "--update", name.as_str(), "--conservative"];
    let lockfile = lock.display().to_string();
    let lock_name = lock
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // gems.locked (Gemfile.lock's other name) is passed explicitly.
    if lock_name != "Gemfile.lock" {
        args.extend(["--lockfile", lockfile.as_str()]);
    }
    ctx.tool(&bundle, &dir, &args)?;
    if versions_in(lock, Format::GemfileLock, name).contains(&change.from) {
        return Err(format!(
            "`bundle {}` kept {name} {}: the Gemfile's requirement (or another gem's) does not allow {}; raise it in the Gemfile",
            args.join(" "),
            change.from,
            change.to
        ));
    }
    Ok(format!("bundle {}", args.join(" ")))
}
