//! npm (package-lock.json): `npm install name@to --package-lock-only
//! --ignore-scripts` for direct dependencies (npm writes `^to` into
//! package.json), `npm update name --package-lock-only` for transitive
//! ones, `overrides` written into package.json (formatting kept) followed
//! by `npm install --package-lock-only`. Never runs install scripts, never
//! fills node_modules.

use std::path::Path;

use patchloop_inventory::Format;
use patchloop_model::{Change, Strategy};

use super::drivers::{Ctx, read, versions_in, write};
use super::jsonedit::set_nested;
use super::process::Env;

const COMMON: &[&str] = &[
    "--package-lock-only",
    "--ignore-scripts",
    "--no-audit",
    "--no-fund",
];

pub(crate) fn preflight(env: &Env, change: &Change) -> Result<(), String> {
    if change.strategy == Strategy::BumpParent && change.parent.is_none() {
        return Err(format!(
            "the plan names no parent version to bump to: {}",
            change.action
        ));
    }
    if env.find("npm").is_none() {
        return Err(
            "npm is not installed (not on PATH): package-lock.json cannot be updated soundly without it"
                .into(),
        );
    }
    Ok(())
}

/// The package manager commands [`apply_with`] needs.
pub(crate) struct JsTool<'a> {
    /// The lockfile's format, to see what it holds after a parent bump.
    pub format: Format,
    /// What an override is called in the tool's messages.
    pub override_noun: &'a str,
    /// Raise a direct dependency (`pkg`, `to`) in its package.json section.
    pub add: &'a dyn Fn(&mut Ctx<'_>, &str, &str) -> Result<String, String>,
    /// Move a transitive dependency to the newest version its parents allow.
    pub update: &'a dyn Fn(&mut Ctx<'_>, &str) -> Result<String, String>,
    /// Re-resolve the lockfile after a package.json edit.
    pub install: &'a dyn Fn(&mut Ctx<'_>) -> Result<String, String>,
}

/// One change through a package manager that reads overrides from
/// package.json's `resolutions` (pnpm, yarn): the strategy dispatch both
/// drivers share. `manifest_text` is the package.json at `manifest_path`,
/// `manifest` the same parsed.
pub(crate) fn apply_with(
    ctx: &mut Ctx<'_>,
    change: &Change,
    lock: &Path,
    (manifest_path, manifest_text, manifest): (&Path, &str, &serde_json::Value),
    tool: &JsTool<'_>,
) -> Result<String, String> {
    let name = &change.package;
    let mut done = Vec::new();
    match change.strategy {
        Strategy::LockfileUpdate | Strategy::ManifestBump
            if save_flag(manifest, name).is_some() =>
        {
            done.push((tool.add)(ctx, name, &change.to)?);
        }
        Strategy::LockfileUpdate => done.push((tool.update)(ctx, name)?),
        Strategy::ManifestBump => {
            return Err(format!("{name} is not a dependency in package.json"));
        }
        Strategy::BumpParent => {
            let pb = super::drivers::parent_of(change)?;
            done.push((tool.add)(ctx, &pb.package, &pb.to)?);
            if versions_in(lock, tool.format, name).contains(&change.from) {
                done.push((tool.update)(ctx, name)?);
            }
        }
        Strategy::Override => {
            if save_flag(manifest, name).is_some() {
                return Err(format!(
                    "{name} is also a direct dependency: {} would conflict with it; bump it instead",
                    tool.override_noun
                ));
            }
            let value = serde_json::to_string(&change.to).map_err(|e| e.to_string())?;
            let edited = set_nested(manifest_text, "resolutions", name, &value)
                .map_err(|e| format!("{}: {e}", manifest_path.display()))?;
            write(manifest_path, &edited)?;
            done.push(format!(
                "package.json: resolutions.{name} = \"{}\"",
                change.to
            ));
            done.push((tool.install)(ctx)?);
        }
    }
    Ok(done.join("; "))
}

/// The package.json section that declares `name`, as npm's save flag.
pub(crate) fn save_flag(manifest: &serde_json::Value, name: &str) -> Option<&'static str> {
    [
        ("dependencies", "--save-prod"),
        ("devDependencies", "--save-dev"),
        ("optionalDependencies", "--save-optional"),
        ("peerDependencies", "--save-peer"),
    ]
    .into_iter()
    .find(|(section, _)| manifest.get(section).and_then(|d| d.get(name)).is_some())
    .map(|(_, flag)| flag)
}

pub(crate) fn apply(ctx: &mut Ctx<'_>, change: &Change, lock: &Path) -> Result<String, String> {
    let npm = ctx
        .env
        .find("npm")
        .ok_or("npm is not installed (not on PATH)")?;
    let dir = lock.parent().unwrap_or(ctx.worktree).to_path_buf();
    let manifest_path = dir.join("package.json");
    let manifest_text = read(&manifest_path)?;
    let manifest: serde_json::Value = serde_json::from_str(&manifest_text)
        .map_err(|e| format!("{} is not valid JSON: {e}", manifest_path.display()))?;
    let name = &change.package;
    let run = |ctx: &mut Ctx<'_>, args: Vec<String>| -> Result<String, String> {
        let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
        all.extend_from_slice(COMMON);
        ctx.tool(&npm, &dir, &all)?;
        Ok(format!("npm {}", all.join(" ")))
    };
    let install = |ctx: &mut Ctx<'_>, pkg: &str, spec: String| -> Result<String, String> {
        match save_flag(&manifest, pkg) {
            Some(flag) => run(ctx, vec!["install".into(), spec, flag.into()]),
            None => Err(format!("{pkg} is not a dependency in package.json")),
        }
    };
    let mut done = Vec::new();
    match change.strategy {
        Strategy::LockfileUpdate if save_flag(&manifest, name).is_some() => {
            done.push(install(ctx, name, format!("{name}@^{}", change.to))?);
        }
        Strategy::LockfileUpdate => {
            done.push(run(ctx, vec!["update".into(), name.clone()])?);
        }
        Strategy::ManifestBump => {
            done.push(install(ctx, name, format!("{name}@^{}", change.to))?);
        }
        Strategy::BumpParent => {
            let pb = change
                .parent
                .as_ref()
                .ok_or("the plan names no parent version to bump to")?;
            done.push(install(
                ctx,
                &pb.package,
                format!("{}@^{}", pb.package, pb.to),
            )?);
            if versions_in(lock, Format::PackageLock, name).contains(&change.from) {
                done.push(run(ctx, vec!["update".into(), name.clone()])?);
            }
        }
        Strategy::Override => {
            if save_flag(&manifest, name).is_some() {
                return Err(format!(
                    "{name} is also a direct dependency: npm rejects an override that conflicts with it; bump it instead"
                ));
            }
            let value = serde_json::to_string(&change.to).map_err(|e| e.to_string())?;
            let edited = set_nested(&manifest_text, "overrides", name, &value)
                .map_err(|e| format!("{}: {e}", manifest_path.display()))?;
            write(&manifest_path, &edited)?;
            done.push(format!(
                "package.json: overrides.{name} = \"{}\"",
                change.to
            ));
            done.push(run(ctx, vec!["install".into()])?);
        }
    }
    Ok(done.join("; "))
}
