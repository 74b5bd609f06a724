//! Locates the shared test data (`../shared/data` beside the repository,
//! or `PATCHLOOP_SHARED_DATA`). Tests read it by path, never copy it.
//!
//! When the data is absent, [`shared_data`] panics under `CI=true` (a CI
//! run must never silently skip) and otherwise returns `None` after
//! printing a visible notice, so the calling test can return early.

use std::path::PathBuf;

/// The `shared/data` directory, if present.
pub fn locate() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PATCHLOOP_SHARED_DATA") {
        let p = PathBuf::from(p);
        return p.is_dir().then_some(p);
    }
    // crates/<crate>/ -> repo root -> ../shared/data
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let repo = manifest.parent()?.parent()?;
    let p = repo.parent()?.join("shared").join("data");
    p.is_dir().then_some(p)
}

/// The shared data directory joined with `rel`, or `None` (with a notice)
/// when absent outside CI. Panics when absent under `CI=true`.
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    let found = locate().map(|d| d.join(rel)).filter(|p| p.exists());
    if found.is_none() {
        let msg = format!(
            "shared test data `{rel}` not found (looked in ../shared/data and $PATCHLOOP_SHARED_DATA)"
        );
        if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
            panic!("{msg}: required under CI=true");
        }
        eprintln!("SKIPPED: {msg}");
    }
    found
}

/// Every file below `dir` (sorted), for corpus-wide tests.
pub fn files_under(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
