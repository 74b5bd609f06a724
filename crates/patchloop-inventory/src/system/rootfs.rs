//! The rootfs source: a host (`/`) or an unpacked file system.
//!
//! Rules:
//! - symbolic links are never followed; each is recorded as
//!   [`Content::Symlink`] with its target as stored, and resolved later
//!   inside the tree only ([`FileSet::resolve`]);
//! - the walk stays on the device of the root directory (other mounts,
//!   such as `/proc`, `/sys`, `/dev`, `/run`, `/boot` or network shares,
//!   are skipped) unless [`RootfsOptions::cross_devices`] is set;
//! - when the root is the host's `/`, `proc`, `sys`, `dev` and `run` are
//!   skipped whatever the device (pseudo file systems, even with
//!   `cross_devices`);
//! - every regular file is offered to [`super::want`]; wanted files are
//!   opened without following links (`O_NOFOLLOW`), checked to be the file
//!   the walk saw (same device and inode) and read up to the wanted size
//!   (executables by ranges, with seeks: [`super::lang::ranges`]);
//! - hard links are ordinary files; devices, FIFOs and sockets are ignored.

use std::fs;
use std::io;
use std::path::Path;

use patchloop_model::{Diagnostic, Inventory, Target, TargetKind};

use super::source::{read_wanted, warn};
use super::{Content, FileSet, Want, WantFn};

/// How to walk a root.
#[derive(Debug, Clone, Default)]
pub struct RootfsOptions {
    /// Also descend into other mounted file systems (pseudo file systems
    /// of the host root are still skipped).
    pub cross_devices: bool,
}

/// Why a root could not be walked at all (problems with single files are
/// warnings instead).
#[derive(Debug, thiserror::Error)]
pub enum RootfsError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("{path}: not a directory")]
    NotADirectory { path: String },
}

/// Host pseudo file systems skipped when walking `/`.
const HOST_PSEUDO: [&str; 4] = ["proc", "sys", "dev", "run"];

/// The files of `dir` that the analyzers want, and warnings about the
/// files that could not be read.
pub fn read_rootfs(
    dir: &Path,
    opts: &RootfsOptions,
) -> Result<(FileSet, Vec<Diagnostic>), RootfsError> {
    read_rootfs_with(dir, opts, &super::want)
}

/// [`read_rootfs`] with another choice of the files to keep.
pub fn read_rootfs_with(
    dir: &Path,
    opts: &RootfsOptions,
    want_fn: WantFn<'_>,
) -> Result<(FileSet, Vec<Diagnostic>), RootfsError> {
    let display_dir = dir.display().to_string();
    let meta = fs::metadata(dir).map_err(|source| RootfsError::Io {
        path: display_dir.clone(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(RootfsError::NotADirectory { path: display_dir });
    }
    let canonical = fs::canonicalize(dir).map_err(|source| RootfsError::Io {
        path: display_dir.clone(),
        source,
    })?;
    let host_root = canonical == Path::new("/");
    let mut set = FileSet::new();
    let mut diags = Vec::new();
    let root_dev = device(&meta);
    // Not `filter_entry`: skipping a directory the walk did not enter (a
    // mount point on another device) would end the walk of its parent.
    let mut walker = walkdir::WalkDir::new(&canonical)
        .follow_links(false)
        .same_file_system(!opts.cross_devices)
        .sort_by_file_name()
        .into_iter();
    while let Some(item) = walker.next() {
        let entry = match item {
            Ok(e) => e,
            Err(e) => {
                let p = e
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| display_dir.clone());
                diags.push(warn(&p, format!("not read: {e}")));
                continue;
            }
        };
        if host_root
            && entry.depth() == 1
            && entry.file_type().is_dir()
            && entry
                .file_name()
                .to_str()
                .is_some_and(|n| HOST_PSEUDO.contains(&n))
        {
            let entered =
                opts.cross_devices || entry.metadata().is_ok_and(|m| device(&m) == root_dev);
            if entered {
                walker.skip_current_dir();
            }
            continue;
        }
        if entry.depth() == 0 {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(&canonical) else {
            continue;
        };
        let Some(rel) = rel.to_str().map(|s| s.replace('\\', "/")) else {
            // Non-UTF-8 names match no analyzer pattern.
            continue;
        };
        let display = format!("{}/{rel}", display_dir.trim_end_matches('/'));
        let ft = entry.file_type();
        if ft.is_symlink() {
            match fs::read_link(entry.path()) {
                Ok(t) => set.insert(
                    &rel,
                    None,
                    Content::Symlink(t.to_string_lossy().into_owned()),
                ),
                Err(e) => diags.push(warn(&display, format!("unreadable link: {e}"))),
            }
            continue;
        }
        if !ft.is_file() {
            continue;
        }
        let md = match entry.metadata() {
            Ok(m) => m,
            Err(e) => {
                diags.push(warn(&display, format!("not read: {e}")));
                continue;
            }
        };
        let want = want_fn(&rel, md.len(), mode_of(&md));
        if want == Want::Skip {
            continue;
        }
        match read_file(entry.path(), &md) {
            // Executables are read by ranges with seeks (bounded memory).
            Ok(f) if matches!(want, Want::Executable { max } if md.len() <= max) => {
                set.insert(&rel, None, super::lang::reduce_file(f, md.len()));
            }
            Ok(f) => match read_wanted(&rel, &display, want, md.len(), f, &mut diags) {
                Ok(Some(c)) => set.insert(&rel, None, c),
                Ok(None) => {}
                Err(e) => diags.push(warn(&display, format!("not read: {e}"))),
            },
            Err(e) => diags.push(warn(&display, format!("not read: {e}"))),
        }
    }
    Ok((set, diags))
}

/// Open `path` without following a final symbolic link and check it is
/// still the file the walk saw.
fn read_file(path: &Path, seen: &fs::Metadata) -> io::Result<fs::File> {
    let mut o = fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let f = o.open(path)?;
    let now = f.metadata()?;
    if !now.is_file() || !same_file(seen, &now) {
        return Err(io::Error::other("replaced while the tree was walked"));
    }
    Ok(f)
}

#[cfg(unix)]
fn device(md: &fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    md.dev()
}

#[cfg(not(unix))]
fn device(_md: &fs::Metadata) -> u64 {
    0
}

#[cfg(unix)]
fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_a: &fs::Metadata, _b: &fs::Metadata) -> bool {
    true
}

#[cfg(unix)]
fn mode_of(md: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    md.permissions().mode()
}

#[cfg(not(unix))]
fn mode_of(_md: &fs::Metadata) -> u32 {
    0o644
}

/// Inventory of a host or unpacked file system: the analyzers' sources
/// and diagnostics, and a [`Target`] of kind rootfs with the OS found.
pub fn inventory_rootfs(dir: &Path, opts: &RootfsOptions) -> Result<Inventory, RootfsError> {
    let (set, mut diagnostics) = read_rootfs(dir, opts)?;
    let display = dir.display().to_string();
    let analysis = super::analyze(&set, &display);
    diagnostics.extend(analysis.diagnostics);
    Ok(Inventory {
        sources: analysis.sources,
        diagnostics,
        target: Some(Target {
            kind: TargetKind::Rootfs,
            reference: display,
            digest: None,
            os: analysis.os,
            layers: Vec::new(),
        }),
    })
}
