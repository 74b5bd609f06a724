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

use super::drivers::{Ctx, need, parent_of, read};
use super::npm::{JsTool, apply_with, save_flag};
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
    let install = |ctx: &mut Ctx<'_>| run(ctx, vec!["install".into()]);
    apply_with(
        ctx,
        change,
        lock,
        (&manifest_path, &manifest_text, &manifest),
        &JsTool {
            format: Format::PnpmLock,
            override_noun: "an override",
            add: &add,
            update: &update,
            install: &install,
        },
    )
}
