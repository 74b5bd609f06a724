//! Finding the files to read: walk directories, skip what users never want
//! scanned (VCS metadata, installed dependency trees, build output,
//! virtualenvs), recognise supported files by name.

use crate::fxhash::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::error::InventoryError;
use crate::formats::Format;

/// Directory names skipped unless `--no-default-excludes`.
pub const DEFAULT_EXCLUDED_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "target",
    "vendor",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
];

/// A file to read and the format it was recognised as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub path: PathBuf,
    pub display: String,
    pub format: Format,
}

/// Walk options.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    pub default_excludes: bool,
    pub excludes: Vec<String>,
}

/// Recognise a file name, also in the `<prefix>__<name>` form used by
/// lockfile archives (`caddy-v2.4.0__go.mod`).
pub fn detect_path(path: &Path) -> Option<Format> {
    let name = path.file_name()?.to_str()?;
    let parent = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|p| p.to_str());
    Format::detect(name, parent).or_else(|| {
        let (_, rest) = name.rsplit_once("__")?;
        Format::detect(rest, parent)
    })
}

fn build_globs(patterns: &[String]) -> Result<GlobSet, InventoryError> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        let g = Glob::new(p).map_err(|e| InventoryError::BadGlob {
            pattern: p.clone(),
            reason: e.to_string(),
        })?;
        b.add(g);
        // A bare name also matches at any depth.
        if !p.contains('/') {
            let any = format!("**/{p}");
            if let Ok(g) = Glob::new(&any) {
                b.add(g);
            }
        }
    }
    b.build().map_err(|e| InventoryError::BadGlob {
        pattern: patterns.join(", "),
        reason: e.to_string(),
    })
}

fn is_virtualenv(dir: &Path) -> bool {
    dir.join("pyvenv.cfg").is_file()
}

fn display_of(root: &Path, rel: &Path) -> String {
    let joined = if root == Path::new(".") {
        rel.to_path_buf()
    } else {
        root.join(rel)
    };
    joined.to_string_lossy().replace('\\', "/")
}

/// Collect the supported files under `roots`. Files given explicitly are
/// always taken (an unsupported explicit file is an error); directories are
/// walked with the excludes applied.
pub fn collect(roots: &[PathBuf], opts: &WalkOptions) -> Result<Vec<Candidate>, InventoryError> {
    let globs = build_globs(&opts.excludes)?;
    let mut out = Vec::new();
    let mut seen = HashSet::default();
    for root in roots {
        let meta = std::fs::metadata(root).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                InventoryError::NotFound { path: root.clone() }
            } else {
                InventoryError::Io {
                    path: root.clone(),
                    source: e,
                }
            }
        })?;
        if meta.is_file() {
            let format = detect_path(root).ok_or_else(|| InventoryError::Unsupported {
                path: root.clone(),
                supported: supported_list(),
            })?;
            if seen.insert(root.clone()) {
                out.push(Candidate {
                    path: root.clone(),
                    display: root.to_string_lossy().replace('\\', "/"),
                    format,
                });
            }
            continue;
        }
        let walker = walkdir::WalkDir::new(root)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                if e.depth() == 0 {
                    return true;
                }
                let rel = e.path().strip_prefix(root).unwrap_or(e.path());
                if !globs.is_empty() && globs.is_match(rel) {
                    return false;
                }
                if e.file_type().is_dir() && opts.default_excludes {
                    let name = e.file_name().to_string_lossy();
                    if DEFAULT_EXCLUDED_DIRS.contains(&name.as_ref()) || is_virtualenv(e.path()) {
                        return false;
                    }
                }
                true
            });
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    // Unreadable directory entries are reported, not fatal.
                    tracing::warn!("skipping: {e}");
                    continue;
                }
            };
            if !entry.file_type().is_file() {
                continue;
            }
            let Some(format) = detect_path(entry.path()) else {
                continue;
            };
            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
            if seen.insert(entry.path().to_path_buf()) {
                out.push(Candidate {
                    path: entry.path().to_path_buf(),
                    display: display_of(root, rel),
                    format,
                });
            }
        }
    }
    drop_superseded(&mut out);
    Ok(out)
}

/// Drop files made redundant by a more precise file in the same directory.
fn drop_superseded(c: &mut Vec<Candidate>) {
    let mut by_dir: HashMap<PathBuf, HashSet<Format>> = HashMap::default();
    for x in c.iter() {
        let dir = x.path.parent().map(Path::to_path_buf).unwrap_or_default();
        by_dir.entry(dir).or_default().insert(x.format);
    }
    c.retain(|x| {
        let dir = x.path.parent().map(Path::to_path_buf).unwrap_or_default();
        let present = &by_dir[&dir];
        !x.format.superseded_by().iter().any(|f| present.contains(f))
    });
}

/// Human-readable list of supported file names.
pub fn supported_list() -> String {
    Format::ALL
        .iter()
        .map(|f| f.patterns())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixed_names() {
        assert_eq!(
            detect_path(Path::new("x/caddy-v2.4.0__go.mod")),
            Some(Format::GoMod)
        );
        assert_eq!(detect_path(Path::new("x/readme.md")), None);
    }

    #[test]
    fn walk_excludes_and_supersedes() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        std::fs::create_dir_all(p.join("node_modules/x")).unwrap();
        std::fs::write(p.join("node_modules/x/package-lock.json"), "{}").unwrap();
        std::fs::create_dir_all(p.join("app")).unwrap();
        std::fs::write(p.join("app/go.mod"), "module x").unwrap();
        std::fs::write(p.join("app/go.sum"), "").unwrap();
        std::fs::create_dir_all(p.join("env")).unwrap();
        std::fs::write(p.join("env/pyvenv.cfg"), "").unwrap();
        std::fs::write(p.join("env/requirements.txt"), "").unwrap();
        std::fs::create_dir_all(p.join("skipme")).unwrap();
        std::fs::write(p.join("skipme/Cargo.lock"), "").unwrap();
        let opts = WalkOptions {
            default_excludes: true,
            excludes: vec!["skipme".into()],
        };
        let c = collect(&[p.to_path_buf()], &opts).unwrap();
        let names: Vec<_> = c.iter().map(|c| c.format).collect();
        assert_eq!(names, vec![Format::GoMod]);
        let opts = WalkOptions {
            default_excludes: false,
            excludes: vec![],
        };
        let c = collect(&[p.to_path_buf()], &opts).unwrap();
        assert_eq!(c.len(), 4);
    }
}
