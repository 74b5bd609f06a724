//! Reading OSV zip exports (`<ecosystem>/all.zip`) with limits. Entry
//! names are only used in messages and never as file system paths.

use std::io::{Read, Seek};

use crate::error::FeedError;
use crate::import::{ImportWarning, Limits};

/// Entries smaller than this are not checked for their compression ratio
/// (small JSON records legitimately compress very well).
const RATIO_MIN_SIZE: u64 = 1 << 20;

/// Read every `.json` entry of the archive and hand it to `each` (entry
/// name, bytes); `each` returns false to stop early. Bad entries become
/// warnings; archive-level problems (not a zip, too many entries, too much
/// data in total) are errors.
pub fn for_each_entry<R: Read + Seek>(
    reader: R,
    display: &str,
    limits: &Limits,
    warn: &mut dyn FnMut(ImportWarning),
    each: &mut dyn FnMut(String, Vec<u8>) -> bool,
) -> Result<(), FeedError> {
    let mut archive = zip::ZipArchive::new(reader).map_err(|e| FeedError::BadZip {
        path: display.to_string(),
        reason: e.to_string(),
    })?;
    let n = archive.len() as u64;
    if n > limits.max_zip_entries {
        return Err(FeedError::Limit {
            path: display.to_string(),
            reason: format!(
                "archive has {n} entries, over the limit of {}",
                limits.max_zip_entries
            ),
        });
    }
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let mut w = |entry: &str, reason: String| {
            warn(ImportWarning {
                file: display.to_string(),
                entry: Some(entry.to_string()),
                reason,
            })
        };
        let mut f = match archive.by_index(i) {
            Ok(f) => f,
            Err(e) => {
                w(&format!("#{i}"), format!("unreadable entry: {e}"));
                continue;
            }
        };
        let name = f.name().to_string();
        if f.is_dir() {
            continue;
        }
        if let Some(why) = unsafe_name(&name) {
            w(&name, format!("entry skipped: {why}"));
            continue;
        }
        if !name.ends_with(".json") {
            w(&name, "entry skipped: not a .json file".into());
            continue;
        }
        let declared = f.size();
        if declared > limits.max_record_bytes {
            w(
                &name,
                format!(
                    "entry skipped: {declared} bytes uncompressed, over the limit of {}",
                    limits.max_record_bytes
                ),
            );
            continue;
        }
        let compressed = f.compressed_size().max(1);
        if declared >= RATIO_MIN_SIZE && declared / compressed > limits.max_zip_ratio {
            w(
                &name,
                format!(
                    "entry skipped: compression ratio {}:1 is over the limit of {}:1 (zip bomb?)",
                    declared / compressed,
                    limits.max_zip_ratio
                ),
            );
            continue;
        }
        let mut buf = Vec::with_capacity(declared.min(1 << 20) as usize);
        // Never trust the declared size: read at most one byte past the limit.
        match (&mut f)
            .take(limits.max_record_bytes + 1)
            .read_to_end(&mut buf)
        {
            Ok(_) if buf.len() as u64 > limits.max_record_bytes => {
                w(
                    &name,
                    format!(
                        "entry skipped: more than {} bytes uncompressed (its header says {declared})",
                        limits.max_record_bytes
                    ),
                );
                continue;
            }
            Ok(_) => {}
            Err(e) => {
                w(&name, format!("entry skipped: cannot decompress: {e}"));
                continue;
            }
        }
        total += buf.len() as u64;
        if total > limits.max_zip_total_bytes {
            return Err(FeedError::Limit {
                path: display.to_string(),
                reason: format!(
                    "archive holds more than {} bytes uncompressed (limit)",
                    limits.max_zip_total_bytes
                ),
            });
        }
        if !each(name, buf) {
            break;
        }
    }
    Ok(())
}

/// Why an entry name is refused, if it is: names that would escape a
/// directory if someone did use them as paths are a sign of a hostile
/// archive.
fn unsafe_name(name: &str) -> Option<&'static str> {
    if name.contains('\0') {
        return Some("name contains a NUL byte");
    }
    if name.starts_with('/') || name.starts_with('\\') || name.get(1..2) == Some(":") {
        return Some("absolute path in entry name");
    }
    if name.split(['/', '\\']).any(|c| c == "..") {
        return Some("entry name contains `..` (path traversal)");
    }
    None
}
