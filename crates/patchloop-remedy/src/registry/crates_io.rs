//! crates.io sparse index (`https://index.crates.io`): one file per crate,
//! one JSON object per line and per published version.
//!
//! Path: the lowercased name under `1/` (one character), `2/` (two),
//! `3/<first char>/` (three), else `<chars 1-2>/<chars 3-4>/`.
//! Read per line: `vers`, `yanked`, and `deps[]` with `name`, `req`,
//! `kind` (`normal`, `dev`, `build`; absent = normal), `optional` and
//! `package` (the real crate of a renamed dependency, whose `name` is the
//! local alias). A line that does not parse is skipped (as cargo does);
//! a non-empty file with no readable line is a bad response.

use super::{Client, Dep, DepKind, VersionInfo};

pub(super) struct CratesIo;

#[derive(serde::Deserialize)]
struct Line {
    vers: String,
    #[serde(default)]
    yanked: bool,
    #[serde(default)]
    deps: Vec<LineDep>,
    /// RFC 3339; in index lines written since 2025.
    #[serde(default)]
    pubtime: Option<String>,
}

#[derive(serde::Deserialize)]
struct LineDep {
    name: String,
    req: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    package: Option<String>,
}

impl Client for CratesIo {
    fn canonical(&self, name: &str) -> Result<String, String> {
        if name.is_empty() || name.len() > 64 {
            return Err("a crate name has 1 to 64 characters".into());
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err("a crate name has only ASCII letters, digits, `-` and `_`".into());
        }
        Ok(name.to_ascii_lowercase())
    }

    fn segments(&self, n: &str) -> Vec<String> {
        let s = |x: &str| x.to_string();
        match n.len() {
            1 => vec![s("1"), s(n)],
            2 => vec![s("2"), s(n)],
            3 => vec![s("3"), s(&n[..1]), s(n)],
            _ => vec![s(&n[..2]), s(&n[2..4]), s(n)],
        }
    }

    fn parse(&self, _name: &str, body: &[u8]) -> Result<Vec<VersionInfo>, String> {
        let mut out = Vec::new();
        let mut first_error = None;
        for (i, line) in body.split(|&b| b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<Line>(line) {
                Ok(l) => out.push(version(l)),
                Err(e) => {
                    first_error.get_or_insert_with(|| format!("line {}: {e}", i + 1));
                }
            }
        }
        match first_error {
            Some(e) if out.is_empty() => Err(e),
            _ => Ok(out),
        }
    }
}

fn version(l: Line) -> VersionInfo {
    let deps = l
        .deps
        .into_iter()
        .map(|d| {
            let kind = match d.kind.as_deref() {
                Some("dev") => DepKind::Dev,
                _ if d.optional => DepKind::Optional,
                Some("build") => DepKind::Build,
                _ => DepKind::Normal,
            };
            Dep {
                name: d.package.unwrap_or(d.name),
                req: d.req,
                kind,
            }
        })
        .collect();
    VersionInfo {
        version: l.vers,
        yanked: l.yanked,
        deps: Some(deps),
        published: l.pubtime,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_paths() {
        let p = |n: &str| CratesIo.segments(&CratesIo.canonical(n).unwrap()).join("/");
        assert_eq!(p("a"), "1/a");
        assert_eq!(p("cc"), "2/cc");
        assert_eq!(p("syn"), "3/s/syn");
        assert_eq!(p("Serde"), "se/rd/serde");
        assert_eq!(p("tokio-util"), "to/ki/tokio-util");
    }

    #[test]
    fn names_outside_the_crate_alphabet_are_refused() {
        for bad in ["", "../x", "a/b", "caf\u{e9}", "a.b", &"x".repeat(65)] {
            assert!(CratesIo.canonical(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn skips_unreadable_lines_but_not_a_whole_unreadable_file() {
        let body = b"{\"vers\":\"1.0.0\"}\nnot json\n\n{\"vers\":\"1.0.1\",\"yanked\":true}";
        let v = CratesIo.parse("x", body).unwrap();
        assert_eq!(v.len(), 2);
        assert!(v[1].yanked);
        assert!(CratesIo.parse("x", b"<html>\n</html>").is_err());
        assert_eq!(CratesIo.parse("x", b"").unwrap(), vec![]);
    }
}
