//! Placeholder: filled in by the os analyzers.

use super::{Analysis, FileSet, Want};

pub fn want(_path: &str) -> Want {
    Want::Skip
}

pub fn analyze(_set: &FileSet, _display_root: &str, _out: &mut Analysis) {}
