//! Where reports go: stdout, or a file written atomically (a temporary
//! file renamed into place) so that a failed run never leaves a
//! half-written report in place of a good one. Special files (`/dev/null`,
//! `/dev/stdout`, FIFOs) are written in place: renaming over them would
//! replace the device with a regular file.

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};

/// Write `content` to `output` (stdout when `None`).
pub fn emit(output: Option<&Path>, content: &str) -> Result<()> {
    emit_with(output, |w| w.write_all(content.as_bytes()))
}

/// Where a report's bytes go: stdout or a file.
pub enum Target {
    Stdout(std::io::StdoutLock<'static>),
    File(std::fs::File),
}

impl Write for Target {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Target::Stdout(o) => o.write(buf),
            Target::File(f) => f.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Target::Stdout(o) => o.flush(),
            Target::File(f) => f.flush(),
        }
    }
}

impl Target {
    /// Make what was written durable (a file's data on disk; nothing for
    /// stdout).
    fn sync_all(&self) -> std::io::Result<()> {
        match self {
            Target::Stdout(_) => Ok(()),
            Target::File(f) => f.sync_all(),
        }
    }
}

/// The writer a report is streamed to: a concrete type (not `dyn Write`)
/// so that a serializer's many small writes are inlined copies into the
/// buffer instead of one indirect call each (a third of the JSON
/// rendering's instructions on a scan report).
pub type Out = BufWriter<Target>;

/// Stream a report to `output` (stdout when `None`) through `write`.
pub fn emit_with(
    output: Option<&Path>,
    write: impl FnOnce(&mut Out) -> std::io::Result<()>,
) -> Result<()> {
    let Some(path) = output else {
        let mut out = BufWriter::with_capacity(1 << 16, Target::Stdout(std::io::stdout().lock()));
        return match write(&mut out).and_then(|_| out.flush()) {
            Ok(()) => Ok(()),
            // A closed pipe (`| head`) is not an error for the user.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            Err(e) => Err(e).context("writing to stdout"),
        };
    };
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.is_dir() {
            bail!("writing {}: is a directory", path.display());
        }
        if !meta.is_file() {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .with_context(|| format!("writing {}", path.display()))?;
            let mut w = BufWriter::with_capacity(1 << 16, Target::File(f));
            return write(&mut w)
                .and_then(|_| w.flush())
                .with_context(|| format!("writing {}", path.display()));
        }
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    let tmp = dir.join(format!(".{name}.patchloop-tmp-{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let f = std::fs::File::create(&tmp)?;
        let mut w = BufWriter::with_capacity(1 << 16, Target::File(f));
        write(&mut w)?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("writing {}", path.display()))
}
