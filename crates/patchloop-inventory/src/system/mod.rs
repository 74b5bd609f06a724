//! Hosts and container images: OS package databases and language packages
//! found in a whole file tree.
//!
//! The pipeline has two halves that meet in a [`FileSet`]:
//!
//! - *sources* walk a tree and offer every entry to [`want`]: a host or
//!   unpacked file system ([`rootfs`]) or the layers of a container image
//!   ([`image`]), applied in order with whiteouts. Only wanted files are
//!   read, never extracted to disk; installed metadata and archives are
//!   reduced to the packages they embed as soon as they are read, and
//!   executables are read by ranges ([`lang::ranges`]), so memory stays
//!   bounded by the largest single file kept (lockfiles, package
//!   databases, archives), not by the tree or its executables.
//! - *analyzers* read the collected files: OS package databases and
//!   `os-release` ([`os`]), language packages ([`lang`]).
//!
//! Paths in a [`FileSet`] are relative to the tree root, `/`-separated,
//! without a leading `/` or `./` (`var/lib/dpkg/status`).

pub mod fileset;
pub mod image;
pub mod lang;
pub mod os;
pub mod rootfs;
mod source;

pub use fileset::{Content, Entry, FileSet};
pub use image::{
    ImageError, ImageLimits, ImageOptions, RegistryOptions, inventory_image,
    inventory_registry_image,
};
pub use rootfs::{RootfsError, RootfsOptions, inventory_rootfs};

use patchloop_model::{Diagnostic, OsInfo, SourceFile};

/// What a source should do with one regular file of the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Not needed.
    Skip,
    /// Keep the whole content (at most `max` bytes; larger files are
    /// skipped with a warning).
    Keep { max: u64 },
    /// Read it (at most `max` bytes) and hand it to [`reduce`] at once;
    /// only the result is kept (installed metadata, archives).
    Reduce { max: u64 },
    /// A possible executable (at most `max` bytes): read by ranges with
    /// bounded memory ([`lang::ranges`]) and reduced at once to the
    /// packages it embeds; only the result is kept.
    Executable { max: u64 },
}

/// A choice of the files to keep, as [`want`] makes it (sources take one
/// so that they can be tested apart from the analyzers).
pub type WantFn<'a> = &'a dyn Fn(&str, u64, u32) -> Want;

/// Whether a regular file at `path` (normalized, see the module docs) of
/// `size` bytes and Unix `mode` is needed by an analyzer.
pub fn want(path: &str, size: u64, mode: u32) -> Want {
    match os::want(path) {
        Want::Skip => lang::want(path, size, mode),
        w => w,
    }
}

/// Reduce a file that [`want`] marked [`Want::Reduce`] or
/// [`Want::Executable`] (read whole) to what it embeds. `display` names the file in diagnostics.
pub fn reduce(path: &str, display: &str, bytes: &[u8]) -> Content {
    lang::reduce(path, display, bytes)
}

/// What the analyzers found in a tree.
#[derive(Debug, Default)]
pub struct Analysis {
    pub os: Option<OsInfo>,
    pub sources: Vec<SourceFile>,
    pub diagnostics: Vec<Diagnostic>,
}

/// A tree path as shown to users: `display_root` is an image's `FILE!`
/// (joined as is) or a directory (joined with `/`).
pub fn display_path(display_root: &str, path: &str) -> String {
    if display_root.is_empty() || display_root.ends_with('/') || display_root.ends_with('!') {
        format!("{display_root}{path}")
    } else {
        format!("{display_root}/{path}")
    }
}

/// Run every analyzer over the collected files. `display_root` prefixes
/// the paths shown to users (`image.tar!` or the rootfs directory).
pub fn analyze(set: &FileSet, display_root: &str) -> Analysis {
    let mut out = Analysis::default();
    os::analyze(set, display_root, &mut out);
    lang::analyze(set, display_root, &mut out);
    out
}
