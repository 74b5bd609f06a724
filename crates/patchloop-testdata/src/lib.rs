//! Locates the shared test data (`../shared/data` beside the repository,
//! or `PATCHLOOP_SHARED_DATA`). Tests read it by path, never copy it.
//!
//! When the data is absent, [`shared_data`] panics under `CI=true` (a CI
//! run must never silently skip) and otherwise returns `None` after
//! printing a visible notice, so the calling test can return early.

use std::path::PathBuf;

/// The `shared/data` directory, if present: `$PATCHLOOP_SHARED_DATA`, else
/// a `shared/data` directory beside an ancestor of the crate under test
/// (the repository's parent holds `shared/`).
///
/// The crate directory is taken from `CARGO_MANIFEST_DIR` at run time
/// (cargo and nextest set it for test processes), falling back to the
/// current directory: a compile-time path would be wrong when several
/// checkouts share one target directory.
pub fn locate() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PATCHLOOP_SHARED_DATA") {
        let p = PathBuf::from(p);
        return p.is_dir().then_some(p);
    }
    let starts = [
        std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from),
        std::env::current_dir().ok(),
    ];
    for start in starts.into_iter().flatten() {
        for dir in start.ancestors() {
            let p = dir.join("shared").join("data");
            if p.is_dir() {
                return Some(p);
            }
        }
    }
    None
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

/// Build each `(name, spec text)` with `rpmbuild` (noarch packages, under
/// `work/rpmbuild`) and install the packages into a fresh rpmdb at `db`
/// with `rpm --justdb`: an rpmdb written by rpm itself. `None` (with a
/// notice) when rpmbuild is not installed (`.ci/install-test-tools`
/// installs it); any other failure panics.
pub fn rpmdb_with(
    work: &std::path::Path,
    db: &std::path::Path,
    specs: &[(&str, &str)],
) -> Option<PathBuf> {
    use std::process::Command;
    if Command::new("rpmbuild").arg("--version").output().is_err() {
        eprintln!("rpmbuild not installed (.ci/install-test-tools installs it): skipped");
        return None;
    }
    let top = work.join("rpmbuild");
    for (name, text) in specs {
        let spec = work.join(format!("{name}.spec"));
        std::fs::write(&spec, text).expect("writing a spec");
        let ok = Command::new("rpmbuild")
            .arg("--define")
            .arg(format!("_topdir {}", top.display()))
            .args(["--quiet", "-bb"])
            .arg(&spec)
            .status()
            .expect("running rpmbuild")
            .success();
        assert!(ok, "rpmbuild {name} failed");
    }
    std::fs::create_dir_all(db).expect("creating the rpmdb directory");
    let rpm = |args: &[&str]| {
        Command::new("rpm")
            .arg("--dbpath")
            .arg(db)
            .args(args)
            .output()
            .expect("running rpm")
    };
    assert!(rpm(&["--initdb"]).status.success(), "rpm --initdb failed");
    let rpms: Vec<String> = std::fs::read_dir(top.join("RPMS/noarch"))
        .expect("rpmbuild wrote no noarch packages")
        .filter_map(|e| e.ok())
        .map(|e| e.path().display().to_string())
        .collect();
    let mut args = vec!["-i", "--nodeps", "--justdb", "--nosignature"];
    args.extend(rpms.iter().map(String::as_str));
    let out = rpm(&args);
    assert!(
        out.status.success(),
        "rpm -i: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(db.to_path_buf())
}

/// `rpm --dbpath DB ARGS...`, for checking an rpmdb with rpm itself.
pub fn rpm_at(db: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new("rpm")
        .arg("--dbpath")
        .arg(db)
        .args(args)
        .output()
        .expect("running rpm")
}
