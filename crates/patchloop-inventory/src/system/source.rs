//! What both sources share: reading one wanted file, bounded, and path
//! cleaning.

use std::io::{self, Read};

use patchloop_model::{Diagnostic, DiagnosticLevel};

use super::{Content, Want};

pub(crate) fn warn(path: &str, message: impl Into<String>) -> Diagnostic {
    Diagnostic {
        level: DiagnosticLevel::Warning,
        path: path.to_string(),
        line: None,
        message: message.into(),
    }
}

/// The largest number of bytes `want` lets us read.
pub(crate) fn want_max(want: Want) -> Option<u64> {
    match want {
        Want::Skip => None,
        Want::Keep { max } | Want::Reduce { max } | Want::Executable { max } => Some(max),
    }
}

/// Read a file that [`super::want`] asked for: at most its `max` bytes
/// (a file larger than that is skipped with a warning naming `display`),
/// then keep the bytes or reduce them. `Ok(None)`: nothing to keep.
/// Errors are the reader's (a truncated layer, an unreadable file).
pub(crate) fn read_wanted<R: Read>(
    path: &str,
    display: &str,
    want: Want,
    size: u64,
    reader: R,
    diags: &mut Vec<Diagnostic>,
) -> io::Result<Option<Content>> {
    let Some(max) = want_max(want) else {
        return Ok(None);
    };
    if size > max {
        diags.push(warn(
            display,
            format!("{size} bytes, more than the {max} read for this kind of file: skipped"),
        ));
        return Ok(match want {
            Want::Reduce { .. } | Want::Executable { .. } => Some(Content::Nothing(format!(
                "{size} bytes, more than the {max} read"
            ))),
            _ => None,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size.min(1 << 20)).unwrap_or(0));
    reader.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        diags.push(warn(
            display,
            format!("grew past the {max} bytes read for this kind of file while read: skipped"),
        ));
        return Ok(None);
    }
    Ok(Some(content_for(path, display, want, bytes)))
}

/// Keep `bytes` or reduce them, as `want` says.
pub(crate) fn content_for(path: &str, display: &str, want: Want, bytes: Vec<u8>) -> Content {
    match want {
        Want::Reduce { .. } | Want::Executable { .. } => super::reduce(path, display, &bytes),
        _ => Content::Bytes(bytes),
    }
}

/// Clean an archive or tree path into the [`super::FileSet`] form: a
/// leading `/` or `./` is dropped (tar's convention: members are relative
/// to the root they are extracted into), `.` and empty components vanish
/// and `..` is resolved lexically. `None` when `..` would climb above the
/// root: such a path points outside the tree and is refused.
pub(crate) fn clean(path: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            c => out.push(c),
        }
    }
    Some(out.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_refuses_escapes_and_strips_roots() {
        assert_eq!(clean("./etc/os-release").as_deref(), Some("etc/os-release"));
        assert_eq!(clean("/etc//x/../y").as_deref(), Some("etc/y"));
        assert_eq!(clean("../etc/passwd"), None);
        assert_eq!(clean("a/../../b"), None);
        assert_eq!(clean("./").as_deref(), Some(""));
    }
}
