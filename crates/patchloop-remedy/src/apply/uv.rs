//! uv (uv.lock): `uv lock --upgrade-package name==to` first (enough when
//! pyproject.toml's requirement allows the version, for direct and
//! transitive packages alike); when the lockfile still holds the old
//! version, a direct dependency's requirement is raised with `uv add
//! --no-sync "name>=to"` (into its group or extra), and a transitive one
//! gets a `[tool.uv] constraint-dependencies` entry (written with
//! toml_edit, comments and layout kept) and `uv lock`. Nothing is
//! installed. Without uv the change is refused: uv.lock's resolution and
//! hashes come from the index.

use std::path::Path;

use patchloop_inventory::Format;
use patchloop_model::{Change, Strategy};
use toml_edit::{Array, DocumentMut, Item, Table, value};

use super::drivers::{Ctx, need, read, toml_array_names, versions_in, write};
use super::process::Env;

pub(crate) fn preflight(env: &Env, change: &Change) -> Result<(), String> {
    if change.strategy == Strategy::BumpParent {
        return Err(format!(
            "parent bumps are not made for uv projects: {}",
            change.action
        ));
    }
    need(env, "uv", "uv.lock").map(|_| ())
}

/// The `uv add` options that put `name` where pyproject.toml declares it
/// (None: it is not a direct dependency).
fn add_target(doc: &DocumentMut, name: &str) -> Option<Vec<String>> {
    if toml_array_names(doc, &["project", "dependencies"], name) {
        return Some(vec![]);
    }
    if toml_array_names(doc, &["tool", "uv", "dev-dependencies"], name) {
        return Some(vec!["--dev".into()]);
    }
    for (table, flag) in [
        ("dependency-groups", "--group"),
        ("optional-dependencies", "--optional"),
    ] {
        let t = if table == "dependency-groups" {
            doc.get(table)
        } else {
            doc.get("project").and_then(|p| p.get(table))
        };
        if let Some(t) = t.and_then(Item::as_table_like) {
            for (g, _) in t.iter() {
                let path: Vec<&str> = if table == "dependency-groups" {
                    vec![table, g]
                } else {
                    vec!["project", table, g]
                };
                if toml_array_names(doc, &path, name) {
                    return Some(vec![flag.into(), g.to_string()]);
                }
            }
        }
    }
    None
}

/// Add `req` to `[tool.uv] constraint-dependencies` (replacing an entry
/// for the same package).
pub(crate) fn add_constraint(text: &str, name: &str, req: &str) -> Result<String, String> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e| format!("pyproject.toml is not valid TOML: {e}"))?;
    let tool = doc
        .entry("tool")
        .or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        })
        .as_table_like_mut()
        .ok_or("pyproject.toml: `tool` is not a table")?;
    let uv = tool
        .entry("uv")
        .or_insert(Item::Table(Table::new()))
        .as_table_like_mut()
        .ok_or("pyproject.toml: `tool.uv` is not a table")?;
    let arr = uv
        .entry("constraint-dependencies")
        .or_insert(value(Array::new()))
        .as_array_mut()
        .ok_or("pyproject.toml: `tool.uv.constraint-dependencies` is not an array")?;
    arr.retain(|v| {
        !v.as_str()
            .is_some_and(|s| super::drivers::requirement_names(s, name))
    });
    arr.push(req);
    Ok(doc.to_string())
}

pub(crate) fn apply(ctx: &mut Ctx<'_>, change: &Change, lock: &Path) -> Result<String, String> {
    let uv = need(ctx.env, "uv", "uv.lock")?;
    let dir = lock.parent().unwrap_or(ctx.worktree).to_path_buf();
    let name = &change.package;
    let pin = format!("{name}=={}", change.to);
    let mut done = Vec::new();
    let first = ["lock", "--upgrade-package", pin.as_str()];
    let reached = match ctx.tool(&uv, &dir, &first) {
        Ok(()) => {
            done.push(format!("uv {}", first.join(" ")));
            !versions_in(lock, Format::UvLock, name).contains(&change.from)
        }
        Err(_) => false,
    };
    if reached {
        return Ok(done.join("; "));
    }
    let manifest = dir.join("pyproject.toml");
    let text = read(&manifest)?;
    let doc: DocumentMut = text
        .parse()
        .map_err(|e| format!("{}: not valid TOML: {e}", manifest.display()))?;
    let req = format!("{name}>={}", change.to);
    match add_target(&doc, name) {
        Some(target) => {
            let mut args = vec!["add", "--no-sync"];
            args.extend(target.iter().map(String::as_str));
            args.push(&req);
            ctx.tool(&uv, &dir, &args)?;
            done.push(format!("uv {}", args.join(" ")));
        }
        None => {
            write(&manifest, &add_constraint(&text, name, &req)?)?;
            done.push(format!(
                "pyproject.toml: [tool.uv] constraint-dependencies += \"{req}\""
            ));
            ctx.tool(&uv, &dir, &["lock"])?;
            done.push("uv lock".into());
        }
    }
    Ok(done.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_and_constraints() {
        let t = "[project]\nname = \"app\"\ndependencies = [\"Requests>=2\"]\n[project.optional-dependencies]\nsocks = [\"pysocks\"]\n\n[dependency-groups]\ndev = [\"pytest>=8\"]\n";
        let doc: DocumentMut = t.parse().unwrap();
        assert_eq!(add_target(&doc, "requests").unwrap(), Vec::<String>::new());
        assert_eq!(add_target(&doc, "pytest").unwrap(), ["--group", "dev"]);
        assert_eq!(
            add_target(&doc, "PySocks").unwrap(),
            ["--optional", "socks"]
        );
        assert!(add_target(&doc, "idna").is_none());
        let out = add_constraint(t, "idna", "idna>=3.7").unwrap();
        assert!(out.starts_with(t), "{out}");
        assert!(
            out.ends_with("\n[tool.uv]\nconstraint-dependencies = [\"idna>=3.7\"]\n"),
            "{out}"
        );
        let again = add_constraint(&out, "IDNA", "idna>=3.8").unwrap();
        assert!(
            again.contains("constraint-dependencies = [\"idna>=3.8\"]"),
            "{again}"
        );
        assert!(add_constraint("tool = 3\n", "x", "x>=1").is_err());
    }
}
