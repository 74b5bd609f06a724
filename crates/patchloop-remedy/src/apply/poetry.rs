//! Poetry (poetry.lock): `poetry update --lock name` first (enough when
//! the requirement in pyproject.toml allows the fixed version; it reaches
//! transitive packages too); when the lockfile still holds the old
//! version, `poetry add "name>=to" --lock` raises the requirement in the
//! group that declares it, or, for a transitive package, adds it as a
//! direct dependency (Poetry has no constraints file). Nothing is
//! installed. Without poetry the change is refused: poetry.lock's
//! content hash and file hashes cannot be recomputed by hand.

use std::path::Path;

use patchloop_inventory::Format;
use patchloop_model::{Change, Strategy};
use toml_edit::{DocumentMut, Item};

use super::drivers::{Ctx, need, pep503, read, versions_in};
use super::process::Env;

pub(crate) fn preflight(env: &Env, change: &Change) -> Result<(), String> {
    if change.strategy == Strategy::BumpParent {
        return Err(format!(
            "parent bumps are not made for Poetry projects: {}",
            change.action
        ));
    }
    need(env, "poetry", "poetry.lock").map(|_| ())
}

fn table_has(item: Option<&Item>, name: &str) -> bool {
    item.and_then(Item::as_table_like)
        .is_some_and(|t| t.iter().any(|(k, _)| pep503(k) == pep503(name)))
}

/// The dependency group that declares `name` (`main` when none does).
fn group_of(doc: &DocumentMut, name: &str) -> String {
    let poetry = doc.get("tool").and_then(|t| t.get("poetry"));
    if table_has(poetry.and_then(|p| p.get("dev-dependencies")), name) {
        return "dev".into();
    }
    if let Some(groups) = poetry
        .and_then(|p| p.get("group"))
        .and_then(Item::as_table_like)
    {
        for (g, t) in groups.iter() {
            if table_has(t.get("dependencies"), name) {
                return g.to_string();
            }
        }
    }
    "main".into()
}

pub(crate) fn apply(ctx: &mut Ctx<'_>, change: &Change, lock: &Path) -> Result<String, String> {
    let poetry = need(ctx.env, "poetry", "poetry.lock")?;
    let dir = lock.parent().unwrap_or(ctx.worktree).to_path_buf();
    let name = &change.package;
    let mut done = Vec::new();
    let first = ["update", "--lock", "--no-interaction", name.as_str()];
    ctx.tool(&poetry, &dir, &first)?;
    done.push(format!("poetry {}", first.join(" ")));
    if !versions_in(lock, Format::PoetryLock, name).contains(&change.from) {
        return Ok(done.join("; "));
    }
    let manifest = dir.join("pyproject.toml");
    let doc: DocumentMut = read(&manifest)?
        .parse()
        .map_err(|e| format!("{}: not valid TOML: {e}", manifest.display()))?;
    let group = group_of(&doc, name);
    let req = format!("{name}>={}", change.to);
    let args = [
        "add",
        "--lock",
        "--no-interaction",
        "--group",
        group.as_str(),
        req.as_str(),
    ];
    ctx.tool(&poetry, &dir, &args)?;
    done.push(format!("poetry {}", args.join(" ")));
    Ok(done.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups() {
        let doc: DocumentMut = "[tool.poetry.dependencies]\npython = \"^3.9\"\nRequests = \"^2\"\n[tool.poetry.group.test.dependencies]\npytest = \"*\"\n[tool.poetry.dev-dependencies]\nblack = \"*\"\n".parse().unwrap();
        assert_eq!(group_of(&doc, "requests"), "main");
        assert_eq!(group_of(&doc, "pytest"), "test");
        assert_eq!(group_of(&doc, "black"), "dev");
        assert_eq!(group_of(&doc, "idna"), "main");
    }
}
