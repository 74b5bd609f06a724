//! What a parser gets: the file's text, its display path, and bounded
//! access to related files next to it (a manifest beside a lockfile, an
//! included requirements file, a parent POM).

use std::path::{Path, PathBuf};

use crate::error::ParseError;
use patchloop_model::SourceFile;

/// Limits that keep memory bounded on hostile or huge input.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest file read, in bytes.
    pub max_file_size: u64,
    /// Most related files one parser may read (includes, parents).
    pub max_related_files: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_size: 256 * 1024 * 1024,
            max_related_files: 64,
        }
    }
}

/// One file handed to a parser.
pub struct Input<'a> {
    /// Path as shown to users and recorded in locations.
    pub display: &'a str,
    /// The file's text (UTF-8, BOM removed).
    pub text: &'a str,
    /// The real path on disk, when there is one (absent in fuzzing and when
    /// parsing from memory): related files are only read when it is set.
    pub fs_path: Option<&'a Path>,
    pub limits: Limits,
    related_reads: std::cell::Cell<usize>,
}

impl<'a> Input<'a> {
    pub fn new(display: &'a str, text: &'a str) -> Self {
        Input {
            display,
            text,
            fs_path: None,
            limits: Limits::default(),
            related_reads: std::cell::Cell::new(0),
        }
    }

    pub fn with_fs_path(mut self, path: &'a Path) -> Self {
        self.fs_path = Some(path);
        self
    }

    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The directory holding the file on disk.
    pub fn dir(&self) -> Option<&'a Path> {
        self.fs_path.and_then(Path::parent)
    }

    /// Display path of a file relative to this one's directory.
    pub fn related_display(&self, rel: &str) -> String {
        match self.display.rfind('/') {
            Some(i) => format!("{}/{}", &self.display[..i], rel),
            None => rel.to_string(),
        }
    }

    /// Read a file relative to this file's directory. `Ok(None)` when there
    /// is no file system context or the file does not exist.
    pub fn read_related(&self, rel: &str) -> Result<Option<(PathBuf, String)>, ParseError> {
        let Some(dir) = self.dir() else {
            return Ok(None);
        };
        let path = dir.join(rel);
        if !path.is_file() {
            return Ok(None);
        }
        let n = self.related_reads.get() + 1;
        if n > self.limits.max_related_files {
            return Err(ParseError::new(format!(
                "more than {} related files read (include loop?)",
                self.limits.max_related_files
            )));
        }
        self.related_reads.set(n);
        let text = read_text(&path, self.limits.max_file_size)
            .map_err(|e| ParseError::new(format!("{}: {e}", path.display())))?;
        Ok(Some((path, text)))
    }
}

/// Read a file as UTF-8 text within the size limit; a BOM is removed.
pub fn read_text(path: &Path, max: u64) -> Result<String, ParseError> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|e| ParseError::new(e.to_string()))?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    if len > max {
        return Err(ParseError::new(format!(
            "file is {len} bytes, over the {max}-byte limit (--max-file-size)"
        )));
    }
    let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    f.take(max + 1)
        .read_to_end(&mut buf)
        .map_err(|e| ParseError::new(e.to_string()))?;
    if buf.len() as u64 > max {
        return Err(ParseError::new(format!(
            "file is over the {max}-byte limit (--max-file-size)"
        )));
    }
    bytes_to_text(buf)
}

/// Decode bytes as UTF-8, naming the line of the first bad byte.
pub fn bytes_to_text(buf: Vec<u8>) -> Result<String, ParseError> {
    match String::from_utf8(buf) {
        Ok(mut s) => {
            if s.starts_with('\u{feff}') {
                s.drain(..3);
            }
            Ok(s)
        }
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let line = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
            Err(ParseError::at(
                u32::try_from(line).unwrap_or(u32::MAX),
                format!("not valid UTF-8 (byte offset {at})"),
            ))
        }
    }
}

/// A non-fatal problem inside a file that was otherwise read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub line: Option<u32>,
    pub message: String,
}

/// What a parser returns.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub source: SourceFile,
    pub warnings: Vec<Warning>,
}

impl Parsed {
    pub fn new(source: SourceFile) -> Self {
        Parsed {
            source,
            warnings: Vec::new(),
        }
    }

    pub fn warn(&mut self, line: Option<u32>, message: impl Into<String>) {
        self.warnings.push(Warning {
            line,
            message: message.into(),
        });
    }
}

pub type ParseResult = Result<Parsed, ParseError>;
