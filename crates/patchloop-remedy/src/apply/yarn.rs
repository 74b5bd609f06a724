//! Yarn (yarn.lock), classic (v1) or Berry (v2+, a lockfile with
//! `__metadata`):
//! - classic: `yarn add name@^to` into the section that declares it; a
//!   transitive update drops the package's entries from yarn.lock and lets
//!   `yarn install` resolve them again (the documented way: classic has no
//!   lockfile-only update); overrides are `resolutions` in package.json.
//!   node_modules goes to a scratch directory outside the worktree
//!   (`--modules-folder`), scripts never run.
//! - Berry: `yarn up name@^to --mode=update-lockfile`, `yarn up -R name
//!   --mode=update-lockfile` for transitive ones, `resolutions` + `yarn
//!   install --mode=update-lockfile`. A Berry lockfile with only Yarn 1 at
//!   hand (no `yarnPath`, no corepack) is refused: Yarn 1 would rewrite it
//!   in its own format.
//!
//! Without yarn the change is refused: the lockfile's resolution and
//! checksums come from the registry.

use std::path::Path;

use patchloop_inventory::Format;
use patchloop_model::{Change, Strategy};

use super::drivers::{Ctx, need, parent_of, read, write};
use super::npm::{JsTool, apply_with, save_flag};
use super::process::{Env, run_logged};

pub(crate) fn preflight(env: &Env, change: &Change) -> Result<(), String> {
    if change.strategy == Strategy::BumpParent {
        parent_of(change)?;
    }
    need(env, "yarn", "yarn.lock").map(|_| ())
}

/// Is this lockfile text Yarn Berry's (YAML with `__metadata`)?
pub(crate) fn is_berry(lock: &str) -> bool {
    lock.lines().any(|l| l.trim_end() == "__metadata:")
}

/// The entry keys of `name` in a classic lockfile (`name@^1.0.0`,
/// `"@s/p@^1", "@s/p@~1.2"` headers).
fn header_names_package(line: &str, name: &str) -> bool {
    if line.starts_with([' ', '\t', '#']) || !line.trim_end().ends_with(':') {
        return false;
    }
    let body = line.trim_end().trim_end_matches(':');
    body.split(',').any(|k| {
        let k = k.trim().trim_matches('"');
        k.strip_prefix(name).is_some_and(|r| r.starts_with('@'))
    })
}

/// Drop the entries of `name` from classic yarn.lock text (an entry runs
/// from its unindented header to the next blank line or header).
pub(crate) fn drop_entries(text: &str, name: &str) -> (String, usize) {
    let mut out = String::with_capacity(text.len());
    let mut dropped = 0;
    let mut skipping = false;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        let unindented = !bare.is_empty() && !bare.starts_with([' ', '\t']);
        if unindented {
            skipping = header_names_package(bare, name);
            if skipping {
                dropped += 1;
                continue;
            }
        }
        if skipping {
            // The blank line that ends the entry goes with it.
            skipping = !bare.is_empty();
            continue;
        }
        out.push_str(line);
    }
    (out, dropped)
}

fn classic_flag(npm_flag: &str) -> Option<&'static str> {
    match npm_flag {
        "--save-dev" => Some("--dev"),
        "--save-optional" => Some("--optional"),
        "--save-peer" => Some("--peer"),
        _ => None,
    }
}

pub(crate) fn apply(ctx: &mut Ctx<'_>, change: &Change, lock: &Path) -> Result<String, String> {
    let yarn = need(ctx.env, "yarn", "yarn.lock")?;
    let dir = lock.parent().unwrap_or(ctx.worktree).to_path_buf();
    let lock_text = read(lock)?;
    let berry = is_berry(&lock_text);
    if berry {
        // The yarn that will run here (Yarn 1 hands over to yarnPath).
        let mut c = ctx.env.command(&yarn, &dir);
        c.arg("--version");
        let r = run_logged(c, ctx.log, ctx.timeout)
            .map_err(|e| format!("`yarn --version` could not run: {e}"))?;
        let v = if r.success() {
            r.output
                .lines()
                .map(str::trim)
                .rfind(|l| l.starts_with(|c: char| c.is_ascii_digit()))
                .unwrap_or_default()
                .to_string()
        } else {
            String::new()
        };
        if v.starts_with("1.") || v.is_empty() {
            return Err(format!(
                "yarn.lock is a Yarn Berry (v2+) lockfile but the yarn here is {}: set yarnPath in .yarnrc.yml or enable corepack, so that Yarn 1 does not rewrite the lockfile in its own format",
                if v.is_empty() { "unknown" } else { v.as_str() }
            ));
        }
    }
    let manifest_path = dir.join("package.json");
    let manifest_text = read(&manifest_path)?;
    let manifest: serde_json::Value = serde_json::from_str(&manifest_text)
        .map_err(|e| format!("{} is not valid JSON: {e}", manifest_path.display()))?;
    // Classic installs as it locks: node_modules goes outside the worktree.
    let scratch = tempfile::tempdir().map_err(|e| format!("scratch directory: {e}"))?;
    let modules = scratch.path().join("node_modules").display().to_string();
    let run = |ctx: &mut Ctx<'_>, mut args: Vec<String>| -> Result<String, String> {
        if berry {
            args.push("--mode=update-lockfile".into());
        } else {
            args.extend(
                [
                    "--ignore-scripts",
                    "--non-interactive",
                    "--no-progress",
                    "--modules-folder",
                    &modules,
                ]
                .map(String::from),
            );
        }
        let all: Vec<&str> = args.iter().map(String::as_str).collect();
        ctx.tool(&yarn, &dir, &all)?;
        Ok(format!("yarn {}", all.join(" ")).replace(&modules, "<scratch>/node_modules"))
    };
    let add = |ctx: &mut Ctx<'_>, pkg: &str, to: &str| -> Result<String, String> {
        let Some(flag) = save_flag(&manifest, pkg) else {
            return Err(format!("{pkg} is not a dependency in package.json"));
        };
        let spec = format!("{pkg}@^{to}");
        if berry {
            run(ctx, vec!["up".into(), spec])
        } else {
            let mut a = vec!["add".to_string(), spec];
            a.extend(classic_flag(flag).map(String::from));
            run(ctx, a)
        }
    };
    let update = |ctx: &mut Ctx<'_>, pkg: &str| -> Result<String, String> {
        if berry {
            return run(ctx, vec!["up".into(), "-R".into(), pkg.into()]);
        }
        let text = read(lock)?;
        let (kept, n) = drop_entries(&text, pkg);
        if n == 0 {
            return Err(format!("yarn.lock has no entry for {pkg}"));
        }
        write(lock, &kept)?;
        let r = run(ctx, vec!["install".into()])?;
        Ok(format!("yarn.lock: {n} entr(ies) of {pkg} dropped; {r}"))
    };
    let install = |ctx: &mut Ctx<'_>| run(ctx, vec!["install".into()]);
    apply_with(
        ctx,
        change,
        lock,
        (&manifest_path, &manifest_text, &manifest),
        &JsTool {
            format: Format::YarnLock,
            override_noun: "a resolution",
            add: &add,
            update: &update,
            install: &install,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_entries_are_dropped_exactly() {
        let t = "# yarn lockfile v1\n\n\n\"@s/deep@^1.0.0\", \"@s/deep@~1.0.0\":\n  version \"1.0.0\"\n  resolved \"http://r/x.tgz\"\n\ndeep@^1.0.0:\n  version \"1.0.0\"\n  resolved \"http://r/deep.tgz\"\n  dependencies:\n    x \"^1\"\n\ndeeper@^1.0.0:\n  version \"2.0.0\"\n";
        let (out, n) = drop_entries(t, "deep");
        assert_eq!(n, 1);
        assert_eq!(
            out,
            "# yarn lockfile v1\n\n\n\"@s/deep@^1.0.0\", \"@s/deep@~1.0.0\":\n  version \"1.0.0\"\n  resolved \"http://r/x.tgz\"\n\ndeeper@^1.0.0:\n  version \"2.0.0\"\n"
        );
        let (out, n) = drop_entries(t, "@s/deep");
        assert_eq!(n, 1);
        assert!(
            out.starts_with("# yarn lockfile v1\n\n\ndeep@^1.0.0:\n"),
            "{out}"
        );
        assert_eq!(drop_entries(t, "nothing").1, 0);
        assert!(is_berry("__metadata:\n  version: 8\n"));
        assert!(!is_berry(t));
    }
}
