//! Go modules (go.mod): `go get module@vTO` then `go mod tidy` (go.sum
//! follows). Without the go command, the `require` line of the module in
//! go.mod is edited in place (single-line or block form; `// indirect`
//! and other comments, spacing and line endings kept); go.sum is then not
//! refreshed, which the report says: the next `go mod tidy` adds the new
//! hashes.

use std::path::Path;

use patchloop_model::{Change, Strategy};

use super::drivers::{Ctx, read, write};

pub(crate) fn preflight(change: &Change) -> Result<(), String> {
    if change.strategy == Strategy::BumpParent {
        return Err(format!(
            "parent bumps are not made in go.mod (a require of the module itself is): {}",
            change.action
        ));
    }
    Ok(())
}

/// A version as go.mod writes it.
fn go_version(v: &str) -> String {
    if v.starts_with('v') {
        v.to_string()
    } else {
        format!("v{v}")
    }
}

/// Rewrite the version of `module` in the `require` directives of go.mod
/// text; `Err` is a refusal.
pub(crate) fn edit(
    text: &str,
    rel: &str,
    module: &str,
    from: &str,
    to: &str,
) -> Result<String, String> {
    let (from, to) = (go_version(from), go_version(to));
    let mut out = String::with_capacity(text.len() + 4);
    let mut in_block = false;
    let mut found = 0;
    for line in text.split_inclusive('\n') {
        let code = line.split("//").next().unwrap_or("");
        let words: Vec<&str> = code.split_whitespace().collect();
        let req = match words.as_slice() {
            ["require", "("] => {
                in_block = true;
                None
            }
            [")"] if in_block => {
                in_block = false;
                None
            }
            ["require", m, v] => Some((m, v)),
            [m, v] if in_block => Some((m, v)),
            _ => None,
        };
        match req {
            Some((m, v)) if m.trim_matches('"') == module && *v == from => {
                // Replace the version token only (after the module path).
                let mpos = line.find(m).unwrap_or(0) + m.len();
                let rest = line.get(mpos..).unwrap_or("");
                let vpos = rest.find(from.as_str()).map(|i| mpos + i);
                match vpos {
                    Some(i) => {
                        out.push_str(line.get(..i).unwrap_or(""));
                        out.push_str(&to);
                        out.push_str(line.get(i + from.len()..).unwrap_or(""));
                        found += 1;
                    }
                    None => out.push_str(line),
                }
            }
            _ => out.push_str(line),
        }
    }
    if found == 0 {
        return Err(format!(
            "{rel}: no `require {module} {from}` to change (a replace directive or another version?)"
        ));
    }
    Ok(out)
}

pub(crate) fn apply(
    ctx: &mut Ctx<'_>,
    change: &Change,
    gomod: &Path,
    rel: &str,
) -> Result<String, String> {
    let dir = gomod.parent().unwrap_or(ctx.worktree).to_path_buf();
    let to = go_version(&change.to);
    match ctx.env.find("go") {
        Some(go) => {
            let spec = format!("{}@{to}", change.package);
            ctx.tool(&go, &dir, &["get", &spec])?;
            ctx.tool(&go, &dir, &["mod", "tidy"])?;
            Ok(format!("go get {spec}; go mod tidy"))
        }
        None => {
            let text = read(gomod)?;
            let new = edit(&text, rel, &change.package, &change.from, &change.to)?;
            write(gomod, &new)?;
            Ok(format!(
                "go not installed: {rel}: require {} {} → {to} (edited in place; go.sum not refreshed: run `go mod tidy`)",
                change.package,
                go_version(&change.from)
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn require_lines_edited_in_place() {
        let t = "module example.com/app\r\n\r\ngo 1.19\r\n\r\nrequire example.com/vuln v1.0.0 // pinned, see #3\r\n\r\nrequire (\r\n\texample.com/other v0.3.0\r\n\texample.com/deep v1.2.0 // indirect\r\n)\r\n";
        let out = edit(t, "go.mod", "example.com/deep", "1.2.0", "1.2.5").unwrap();
        assert_eq!(out, t.replace("deep v1.2.0", "deep v1.2.5"));
        let out = edit(t, "go.mod", "example.com/vuln", "v1.0.0", "v1.0.1").unwrap();
        assert_eq!(out, t.replace("vuln v1.0.0 //", "vuln v1.0.1 //"));
        let e = edit(t, "go.mod", "example.com/other", "0.2.0", "0.3.1").unwrap_err();
        assert!(e.contains("no `require example.com/other v0.2.0`"), "{e}");
        // A module path that contains another as a prefix is not touched.
        let t = "require (\n\texample.com/deeper v1.2.0\n\texample.com/deep v1.2.0\n)\n";
        let out = edit(t, "go.mod", "example.com/deep", "1.2.0", "1.3.0").unwrap();
        assert_eq!(
            out,
            "require (\n\texample.com/deeper v1.2.0\n\texample.com/deep v1.3.0\n)\n"
        );
    }
}
