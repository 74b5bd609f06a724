//! pnpm (pnpm-lock.yaml): `pnpm add name@^to --lockfile-only
//! --ignore-scripts` for direct dependencies (into the package.json
//! section that declares them), `pnpm update name --depth Infinity
//! --lockfile-only` for transitive ones, `resolutions` in package.json
//! (pnpm reads it as overrides; formatting kept) followed by `pnpm install
//! --lockfile-only` for overrides. Never runs install scripts, never fills
//! node_modules. Without pnpm the change is refused: the lockfile's
//! resolution and integrity hashes come from the registry.

use std::path::Path;

use patchloop_inventory::Format;
use patchloop_model::{Change, Strategy};

use super::drivers::{Ctx, need, parent_of, read, versions_in, write};
use super::jsonedit::set_nested;
use super::npm::save_flag;
use super::process::Env;

const COMMON: &[&str] = &["--lockfile-only", "--ignore-scripts"];

pub(crate) fn preflight(env: &Env, change: &Change) -> Result<(), String> {
    if change.strategy == Strategy::BumpParent {
        parent_of(change)?;
    }
    need(env, "pnpm", "pnpm-lock.yaml").map(|_| ())
}

pub(crate) fn apply(ctx: &mut Ctx<'_>, change: &Change, lock: &Path) -> Result<String, String> {
    let pnpm = need(ctx.env, "pnpm", "pnpm-lock.yaml")?;
    let dir = lock.parent().unwrap_or(ctx.worktree).to_path_buf();
    let manifest_path = dir.join("package.json");
    let manifest_text = read(&manifest_path)?;
    let manifest: serde_json::Value = serde_json::from_str(&manifest_text)
        .map_err(|e| format!("{} is not valid JSON: {e}", manifest_path.display()))?;
    let name = &change.package;
    let run = |ctx: &mut Ctx<'_>, args: Vec<String>| -> Result<String, String> {
        let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
        all.extend_from_slice(COMMON);
        ctx.tool(&pnpm, &dir, &all)?;
        Ok(format!("pnpm {}", all.join(" ")))
    };
    let add = |ctx: &mut Ctx<'_>, pkg: &str, to: &str| -> Result<String, String> {
        match save_flag(&manifest, pkg) {
            Some(flag) => run(ctx, vec!["add".into(), format!("{pkg}@^{to}"), flag.into()]),
            None => Err(format!("{pkg} is not a dependency in package.json")),
        }
    };
    let update = |ctx: &mut Ctx<'_>, pkg: &str| {
        run(
            ctx,
            vec![
                "update".into(),
                pkg.into(),
                "--depth".into(),
                "Infinity".into(),
            ],
        )
    };
    let mut done = Vec::new();
    match change.strategy {
        Strategy::LockfileUpdate | Strategy::ManifestBump
            if save_flag(&manifest, name).is_some() =>
        {
            done.push(add(ctx, name, &change.to)?);
        }
        Strategy::LockfileUpdate => done.push(update(ctx, name)?),
        Strategy::ManifestBump => {
            return Err(format!("{name} is not a dependency in package.json"));
        }
        Strategy::BumpParent => {
            let pb = parent_of(change)?;
            done.push(add(ctx, &pb.package, &pb.to)?);
            if versions_in(lock, Format::PnpmLock, name).contains(&change.from) {
                done.push(update(ctx, name)?);
            }
        }
        Strategy::Override => {
            if save_flag(&manifest, name).is_some() {
                return Err(format!(
                    "{name} is also a direct dependency: an override would conflict with it; bump it instead"
                ));
            }
            let value = serde_json::to_string(&change.to).map_err(|e| e.to_string())?;
            let edited = set_nested(&manifest_text, "resolutions", name, &value)
                .map_err(|e| format!("{}: {e}", manifest_path.display()))?;
            write(&manifest_path, &edited)?;
            done.push(format!(
                "package.json: resolutions.{name} = \"{}\"",
                change.to
            ));
            done.push(run(ctx, vec!["install".into()])?);
        }
    }
    Ok(done.join("; "))
}
