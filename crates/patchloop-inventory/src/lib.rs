//! Inventory: what a project runs. Finds lockfiles, manifests and SBOMs,
//! reads each with the parser for its format, and returns an
//! [`Inventory`] of packages with their origin, relation, scope and
//! dependency edges.
//!
//! Every parser is a pure function of the file's text (plus related files
//! read through [`Input`]), returns a typed [`ParseError`] on bad input and
//! never panics; a broken file never stops the rest of the inventory.

pub mod error;
pub mod formats;
mod fxhash;
pub mod input;
pub mod sbom;
pub mod system;
pub mod text;
pub mod walk;

use std::path::{Path, PathBuf};

use patchloop_model::{Diagnostic, DiagnosticLevel, Inventory};

pub use error::{InventoryError, ParseError};
pub use formats::Format;
pub use input::{Input, Limits, ParseResult, Parsed, Warning};
pub use walk::{Candidate, WalkOptions};

/// Options of one inventory run.
#[derive(Debug, Clone)]
pub struct Options {
    pub walk: WalkOptions,
    pub limits: Limits,
    /// Worker threads for parsing (0: one per CPU).
    pub threads: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            walk: WalkOptions {
                default_excludes: true,
                excludes: Vec::new(),
            },
            limits: Limits::default(),
            threads: 0,
        }
    }
}

/// Read one file of a known format from disk.
pub fn parse_path(path: &Path, display: &str, format: Format, limits: Limits) -> ParseResult {
    let text = input::read_text(path, limits.max_file_size)?;
    let input = Input::new(display, &text)
        .with_fs_path(path)
        .with_limits(limits);
    format.parse(&input)
}

/// Parse text in memory (no related files are read). Used by fuzzing and
/// by callers that already hold the content.
pub fn parse_str(format: Format, display: &str, text: &str) -> ParseResult {
    let text = text::strip_bom(text);
    format.parse(&Input::new(display, text))
}

/// Parse bytes in memory; invalid UTF-8 is an error naming the line.
pub fn parse_bytes(format: Format, display: &str, bytes: &[u8]) -> ParseResult {
    let text = input::bytes_to_text(bytes.to_vec())?;
    parse_str(format, display, &text)
}

fn run_one(
    c: &Candidate,
    limits: Limits,
) -> (Option<patchloop_model::SourceFile>, Vec<Diagnostic>) {
    match parse_path(&c.path, &c.display, c.format, limits) {
        Ok(parsed) => {
            let diags = parsed
                .warnings
                .into_iter()
                .map(|w| Diagnostic {
                    level: DiagnosticLevel::Warning,
                    path: c.display.clone(),
                    line: w.line,
                    message: w.message,
                })
                .collect();
            (Some(parsed.source), diags)
        }
        Err(e) => (
            None,
            vec![Diagnostic {
                level: DiagnosticLevel::Error,
                path: c.display.clone(),
                line: e.line,
                message: e.message,
            }],
        ),
    }
}

/// Read the given candidates (in parallel), keeping the input order.
pub fn read_candidates(candidates: &[Candidate], opts: &Options) -> Inventory {
    // One file needs one thread: the CPU count is not asked for (it reads
    // cgroup files on Linux).
    let threads = if candidates.len() <= 1 {
        1
    } else if opts.threads == 0 {
        std::env::var("PATCHLOOP_THREADS")
            .ok()
            .and_then(|t| t.parse::<usize>().ok())
            .filter(|t| *t > 0)
            .unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(1)
            })
    } else {
        opts.threads
    }
    .min(candidates.len().max(1));
    let mut results: Vec<Option<(Option<patchloop_model::SourceFile>, Vec<Diagnostic>)>> =
        vec![None; candidates.len()];
    if threads <= 1 {
        for (i, c) in candidates.iter().enumerate() {
            results[i] = Some(run_one(c, opts.limits));
        }
    } else {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let collected = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| {
                    let mut local = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if i >= candidates.len() {
                            break;
                        }
                        local.push((i, run_one(&candidates[i], opts.limits)));
                    }
                    collected
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .extend(local);
                });
            }
        });
        for (i, r) in collected.into_inner().unwrap_or_else(|e| e.into_inner()) {
            results[i] = Some(r);
        }
    }
    let mut inv = Inventory::default();
    for (source, diags) in results.into_iter().flatten() {
        if let Some(s) = source {
            inv.sources.push(s);
        }
        inv.diagnostics.extend(diags);
    }
    inv
}

/// Walk `paths` and read every supported file found.
pub fn inventory(paths: &[PathBuf], opts: &Options) -> Result<Inventory, InventoryError> {
    let candidates = walk::collect(paths, &opts.walk)?;
    Ok(read_candidates(&candidates, opts))
}
