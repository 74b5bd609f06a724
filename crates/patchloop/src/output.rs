//! Where reports go: stdout, or a file written atomically so that a failed
//! run never leaves a half-written report in place of a good one.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

pub fn emit(output: Option<&Path>, content: &str) -> Result<()> {
    match output {
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(content.as_bytes()).and_then(|_| out.flush()) {
                Ok(()) => Ok(()),
                // A closed pipe (`| head`) is not an error for the user.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                Err(e) => Err(e).context("writing to stdout"),
            }
        }
        Some(path) => {
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
                let mut f = std::fs::File::create(&tmp)?;
                f.write_all(content.as_bytes())?;
                f.sync_all()?;
                std::fs::rename(&tmp, path)
            })();
            if result.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            result.with_context(|| format!("writing {}", path.display()))
        }
    }
}
