//! Cargo: `cargo update -p name@from --precise to` for lockfile updates;
//! `Cargo.toml` requirements raised with `toml_edit` (comments and layout
//! kept) for manifest and parent bumps, then the same `cargo update`.

use std::path::Path;

use patchloop_inventory::Format;
use patchloop_model::{Change, Strategy};
use patchloop_version::req::{Flavor, allows};
use toml_edit::{DocumentMut, Item, TableLike, Value};

use super::drivers::{Ctx, find_files, read, versions_in, write};
use super::process::Env;

pub(crate) fn preflight(env: &Env, change: &Change) -> Result<(), String> {
    match change.strategy {
        Strategy::Override => {
            return Err(format!(
                "Cargo has no override for a transitive version (patchloop never adds [patch]): {}",
                change.action
            ));
        }
        Strategy::BumpParent if change.parent.is_none() => {
            return Err(format!(
                "the plan names no parent version to bump to: {}",
                change.action
            ));
        }
        _ => {}
    }
    if env.find("cargo").is_none() {
        return Err(
            "cargo is not installed (not on PATH): Cargo.lock cannot be updated soundly without it"
                .into(),
        );
    }
    Ok(())
}

/// Dependency tables of one manifest, by their TOML path.
const DEP_TABLES: &[&str] = &[
    "dependencies",
    "dev-dependencies",
    "dev_dependencies",
    "build-dependencies",
    "build_dependencies",
];

fn same_crate(a: &str, b: &str) -> bool {
    a.replace('_', "-") == b.replace('_', "-")
}

/// The new requirement for `to`, in the style of the old one (`=`, `~` and
/// `^` kept; anything else becomes the plain, caret, form).
fn new_req(old: &str, to: &str) -> String {
    let o = old.trim();
    for op in ["=", "~", "^"] {
        if o.starts_with(op) && !o.starts_with(">=") && !o.contains(',') {
            return format!("{op}{to}");
        }
    }
    to.to_string()
}

fn set_str(v: &mut Value, new: &str) {
    let decor = v.decor().clone();
    *v = Value::from(new);
    *v.decor_mut() = decor;
}

/// One dependency requirement found in a manifest.
#[derive(Debug, Default)]
struct Bumped {
    /// Some dependency entry names the crate.
    declared: bool,
    /// `table.key: old → new` for each requirement raised.
    edits: Vec<String>,
}

fn bump_table(deps: &mut dyn TableLike, at: &str, name: &str, to: &str, out: &mut Bumped) {
    for (key, item) in deps.iter_mut() {
        let key = key.get().to_string();
        let package = item
            .as_table_like()
            .and_then(|t| t.get("package"))
            .and_then(|p| p.as_str())
            .map(str::to_string);
        if !same_crate(package.as_deref().unwrap_or(&key), name) {
            continue;
        }
        out.declared = true;
        let version: Option<&mut Value> = match item {
            Item::Value(Value::String(_)) => item.as_value_mut(),
            Item::Value(Value::InlineTable(t)) => t.get_mut("version"),
            Item::Table(t) => t.get_mut("version").and_then(Item::as_value_mut),
            _ => None,
        };
        // `workspace = true`, path and git dependencies carry no version
        // here: the workspace table is edited on its own.
        let Some(v) = version else { continue };
        let Some(old) = v.as_str().map(str::to_string) else {
            continue;
        };
        if allows(Flavor::Cargo, &old, to).unwrap_or(false) {
            continue;
        }
        let new = new_req(&old, to);
        set_str(v, &new);
        out.edits.push(format!("{at}.{key}: \"{old}\" → \"{new}\""));
    }
}

/// Raise every requirement on `name` in a manifest that does not allow `to`.
fn bump_manifest(text: &str, name: &str, to: &str) -> Result<(String, Bumped), String> {
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("{e}"))?;
    let mut out = Bumped::default();
    let root = doc.as_table_mut();
    for t in DEP_TABLES {
        if let Some(deps) = root.get_mut(t).and_then(Item::as_table_like_mut) {
            bump_table(deps, t, name, to, &mut out);
        }
    }
    if let Some(targets) = root.get_mut("target").and_then(Item::as_table_like_mut) {
        for (cfg, target) in targets.iter_mut() {
            let cfg = cfg.get().to_string();
            let Some(target) = target.as_table_like_mut() else {
                continue;
            };
            for t in DEP_TABLES {
                if let Some(deps) = target.get_mut(t).and_then(Item::as_table_like_mut) {
                    bump_table(deps, &format!("target.{cfg}.{t}"), name, to, &mut out);
                }
            }
        }
    }
    if let Some(deps) = root
        .get_mut("workspace")
        .and_then(Item::as_table_like_mut)
        .and_then(|w| w.get_mut("dependencies"))
        .and_then(Item::as_table_like_mut)
    {
        bump_table(deps, "workspace.dependencies", name, to, &mut out);
    }
    Ok((doc.to_string(), out))
}

/// Raise the requirements on `name` in every manifest under `dir`; the
/// edits made (as `file: table.key: old → new`).
fn bump_manifests(dir: &Path, name: &str, to: &str) -> Result<Vec<String>, String> {
    let mut declared = false;
    let mut edits = Vec::new();
    for m in find_files(dir, "Cargo.toml") {
        let text = read(&m)?;
        let (new, b) = bump_manifest(&text, name, to)
            .map_err(|e| format!("{} is not valid TOML: {e}", m.display()))?;
        declared |= b.declared;
        if !b.edits.is_empty() {
            write(&m, &new)?;
            let rel = m.strip_prefix(dir).unwrap_or(&m).display().to_string();
            edits.extend(b.edits.into_iter().map(|e| format!("{rel}: {e}")));
        }
    }
    if !declared {
        return Err(format!(
            "no Cargo.toml under {} declares a dependency on {name}",
            dir.display()
        ));
    }
    Ok(edits)
}

pub(crate) fn apply(ctx: &mut Ctx<'_>, change: &Change, lock: &Path) -> Result<String, String> {
    let cargo = ctx
        .env
        .find("cargo")
        .ok_or("cargo is not installed (not on PATH)")?;
    let dir = lock.parent().unwrap_or(ctx.worktree).to_path_buf();
    let name = &change.package;
    let mut done = Vec::new();
    let update = |ctx: &mut Ctx<'_>, name: &str, from: &str, to: &str| {
        let spec = format!("{name}@{from}");
        ctx.tool(&cargo, &dir, &["update", "-p", &spec, "--precise", to])
            .map(|_| format!("cargo update -p {spec} --precise {to}"))
    };
    match change.strategy {
        Strategy::LockfileUpdate => {
            done.push(update(ctx, name, &change.from, &change.to)?);
        }
        Strategy::ManifestBump => {
            let edits = bump_manifests(&dir, name, &change.to)?;
            done.extend(edits);
            done.push(update(ctx, name, &change.from, &change.to)?);
        }
        Strategy::BumpParent => {
            let pb = change
                .parent
                .as_ref()
                .ok_or("the plan names no parent version to bump to")?;
            // A direct parent may need its requirement raised; a parent
            // that is itself transitive is a lockfile update.
            if let Ok(edits) = bump_manifests(&dir, &pb.package, &pb.to) {
                done.extend(edits);
            }
            done.push(update(ctx, &pb.package, &pb.from, &pb.to)?);
            let now = versions_in(lock, Format::CargoLock, name);
            if now.contains(&change.from) {
                done.push(update(ctx, name, &change.from, &change.to)?);
            }
        }
        Strategy::Override => {
            return Err("Cargo has no override for a transitive version".into());
        }
    }
    Ok(done.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bumps_keep_comments_layout_and_style() {
        let text = r#"[package]
name = "app" # the app
version = "0.1.0"

[dependencies]
# pinned for reasons
vulncrate = "0.1"   # trailing
other = { version = "=0.1.2", features = ["x"] }
renamed = { package = "vulncrate", version = "~0.1.0" }
fine = "2"

[target.'cfg(unix)'.dependencies]
vulncrate = { version = "0.1", optional = true }

[dev-dependencies.vulncrate]
version = "0.1.0"
default-features = false

[workspace.dependencies]
vulncrate = "0.1"
"#;
        let (out, b) = bump_manifest(text, "vulncrate", "0.2.0").unwrap();
        assert!(b.declared);
        assert_eq!(b.edits.len(), 5, "{:?}", b.edits);
        assert!(out.contains("# pinned for reasons\nvulncrate = \"0.2.0\"   # trailing\n"));
        assert!(out.contains("renamed = { package = \"vulncrate\", version = \"~0.2.0\" }"));
        assert!(out.contains("other = { version = \"=0.1.2\", features = [\"x\"] }"));
        assert!(out.contains("vulncrate = { version = \"0.2.0\", optional = true }"));
        assert!(out.contains(
            "[dev-dependencies.vulncrate]\nversion = \"0.2.0\"\ndefault-features = false"
        ));
        assert!(out.contains("[workspace.dependencies]\nvulncrate = \"0.2.0\"\n"));
        assert!(out.contains("name = \"app\" # the app"));
        // Already allowed: nothing to do.
        let (out2, b) = bump_manifest(&out, "vulncrate", "0.2.1").unwrap();
        assert!(b.declared && b.edits.is_empty());
        assert_eq!(out2, out);
        let (_, b) = bump_manifest(text, "absent", "1.0.0").unwrap();
        assert!(!b.declared);
        assert!(bump_manifest("[dependencies\n", "x", "1").is_err());
    }

    #[test]
    fn requirement_style() {
        assert_eq!(new_req("0.1", "0.2.0"), "0.2.0");
        assert_eq!(new_req("^0.1", "0.2.0"), "^0.2.0");
        assert_eq!(new_req("=0.1.0", "0.2.0"), "=0.2.0");
        assert_eq!(new_req(">=0.1, <0.2", "0.2.0"), "0.2.0");
    }
}
