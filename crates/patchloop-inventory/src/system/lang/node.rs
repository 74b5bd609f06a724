//! Installed Node packages: `package.json` files of `node_modules` trees.
//!
//! Rule: the path, from its first `node_modules` component on, must be a
//! chain `node_modules/<pkg>(/node_modules/<pkg>)*/package.json` where
//! `<pkg>` is `name` or `@scope/name`. This takes every package npm, yarn
//! (node-modules linker) or pnpm (`node_modules/.pnpm/…` is skipped: its
//! packages are reached through the chain's links) installs, nested
//! versions included, and leaves out the `package.json` files packages
//! carry in their own subdirectories (`test/fixtures/…`, `lib/…`). A
//! `package.json` without both a string `name` and `version` is not an
//! installed package and is skipped silently.
//!
//! Packages are grouped per root `node_modules` directory (the first one
//! of the path), so a global install (`usr/lib/node_modules`) or an
//! application (`app/node_modules`) is one source.

use patchloop_model::{Ecosystem, SourceFile};

/// Format id of the grouped sources (one per root `node_modules`).
pub const FORMAT: &str = "node-package-json";

/// Most nested `node_modules` levels accepted in one path.
const MAX_DEPTH: usize = 64;

fn is_pkg_name(c: &str) -> bool {
    !c.is_empty() && !c.starts_with('.') && !c.starts_with('@')
}

/// The root `node_modules` directory of an installed package.json.
pub fn group_dir(path: &str) -> Option<&str> {
    let rest = path.strip_suffix("/package.json")?;
    let comps: Vec<&str> = rest.split('/').collect();
    let first = comps.iter().position(|c| *c == "node_modules")?;
    let mut i = first;
    let mut depth = 0;
    while i < comps.len() {
        if comps.get(i) != Some(&"node_modules") {
            return None;
        }
        depth += 1;
        if depth > MAX_DEPTH {
            return None;
        }
        match comps.get(i + 1) {
            Some(scope) if scope.len() > 1 && scope.starts_with('@') => {
                if !comps.get(i + 2).is_some_and(|n| is_pkg_name(n)) {
                    return None;
                }
                i += 3;
            }
            Some(n) if is_pkg_name(n) => i += 2,
            _ => return None,
        }
    }
    // The root is everything up to and including the first node_modules.
    let prefix_len: usize = comps
        .iter()
        .take(first + 1)
        .map(|c| c.len() + 1)
        .sum::<usize>()
        .saturating_sub(1);
    path.get(..prefix_len)
}

/// True for an installed package's `package.json` (see the module docs).
pub fn is_package_json(path: &str) -> bool {
    group_dir(path).is_some()
}

/// The package a package.json describes; `None` without name and version.
pub fn reduce(bytes: &[u8]) -> Result<Option<SourceFile>, String> {
    let value: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            // Some packages ship a BOM.
            let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf") else {
                return Err(format!("invalid package.json: {e}"));
            };
            serde_json::from_slice(rest).map_err(|e| format!("invalid package.json: {e}"))?
        }
    };
    let name = value.get("name").and_then(|v| v.as_str()).unwrap_or("");
    let version = value.get("version").and_then(|v| v.as_str()).unwrap_or("");
    if name.trim().is_empty() || version.trim().is_empty() {
        return Ok(None);
    }
    Ok(Some(super::single(
        FORMAT,
        Ecosystem::NPM,
        name.trim(),
        version.trim(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_paths() {
        assert_eq!(
            group_dir("app/node_modules/a/package.json"),
            Some("app/node_modules")
        );
        assert_eq!(
            group_dir("node_modules/@s/a/node_modules/b/package.json"),
            Some("node_modules")
        );
        assert_eq!(
            group_dir("usr/lib/node_modules/npm/node_modules/@npmcli/arborist/package.json"),
            Some("usr/lib/node_modules")
        );
        assert!(!is_package_json(
            "app/node_modules/a/test/fixtures/package.json"
        ));
        assert!(!is_package_json(
            "app/node_modules/a/test/node_modules/b/package.json"
        ));
        assert!(!is_package_json(
            "app/node_modules/.pnpm/a@1/node_modules/a/package.json"
        ));
        assert!(!is_package_json("app/node_modules/@s/package.json"));
        assert!(!is_package_json("app/package.json"));
        assert!(!is_package_json("app/node_modules/package.json"));
    }

    #[test]
    fn reduce_rules() {
        let s = reduce(br#"{"name":"@s/a","version":"1.2.3"}"#)
            .unwrap()
            .unwrap();
        assert_eq!(s.packages[0].purl, "pkg:npm/%40s/a@1.2.3");
        assert!(reduce(br#"{"name":"a"}"#).unwrap().is_none());
        assert!(reduce(br#"{"name":"a","version":7}"#).unwrap().is_none());
        assert!(reduce(b"{").unwrap_err().contains("invalid package.json"));
        assert!(
            reduce(b"\xef\xbb\xbf{\"name\":\"a\",\"version\":\"1\"}")
                .unwrap()
                .is_some()
        );
    }
}
