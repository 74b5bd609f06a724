//! Composer (composer.lock): `composer update name --with-dependencies`
//! first (enough when composer.json's constraint allows the fixed
//! version, and the way for transitive packages); when a direct
//! dependency is still at the old version, `composer require
//! name:^to --update-with-dependencies` (`--dev` when it is in
//! require-dev) raises its constraint. Always `--no-install --no-scripts
//! --no-plugins`: the lockfile and composer.json change, nothing runs.
//! Without composer the change is refused: composer.lock's content hash
//! and dist references come from the repositories.

use std::path::Path;

use patchloop_inventory::Format;
use patchloop_model::{Change, Strategy};

use super::drivers::{Ctx, need, read, versions_in};
use super::process::Env;

const COMMON: &[&str] = &[
    "--no-install",
    "--no-scripts",
    "--no-plugins",
    "--no-interaction",
];

pub(crate) fn preflight(env: &Env, change: &Change) -> Result<(), String> {
    if change.strategy == Strategy::BumpParent {
        return Err(format!(
            "parent bumps are not made for Composer projects: {}",
            change.action
        ));
    }
    need(env, "composer", "composer.lock").map(|_| ())
}

pub(crate) fn apply(ctx: &mut Ctx<'_>, change: &Change, lock: &Path) -> Result<String, String> {
    let composer = need(ctx.env, "composer", "composer.lock")?;
    let dir = lock.parent().unwrap_or(ctx.worktree).to_path_buf();
    let name = &change.package;
    let run = |ctx: &mut Ctx<'_>, mut args: Vec<&str>| -> Result<String, String> {
        args.extend_from_slice(COMMON);
        ctx.tool(&composer, &dir, &args)?;
        Ok(format!("composer {}", args.join(" ")))
    };
    let mut done = vec![run(ctx, vec!["update", name, "--with-dependencies"])?];
    if !versions_in(lock, Format::ComposerLock, name).contains(&change.from) {
        return Ok(done.join("; "));
    }
    let manifest_path = dir.join("composer.json");
    let manifest: serde_json::Value = serde_json::from_str(&read(&manifest_path)?)
        .map_err(|e| format!("{} is not valid JSON: {e}", manifest_path.display()))?;
    let in_section = |s: &str| manifest.get(s).and_then(|d| d.get(name)).is_some();
    let spec = format!("{name}:^{}", change.to);
    let mut args = vec!["require", spec.as_str(), "--update-with-dependencies"];
    if in_section("require-dev") {
        args.push("--dev");
    } else if !in_section("require") {
        return Err(format!(
            "`composer update {name} --with-dependencies` kept {name} {}: the constraints of the packages that require it do not allow {}; bump those",
            change.from, change.to
        ));
    }
    done.push(run(ctx, args)?);
    Ok(done.join("; "))
}
