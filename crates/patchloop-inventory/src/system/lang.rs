//! Placeholder: filled in by the lang analyzers.

use super::{Analysis, FileSet, Want};

pub fn want(_path: &str, _size: u64, _mode: u32) -> Want {
    Want::Skip
}

pub fn analyze(_set: &FileSet, _display_root: &str, _out: &mut Analysis) {}

pub fn reduce(_path: &str, _display: &str, _bytes: &[u8]) -> super::Content {
    super::Content::Nothing(String::new())
}
