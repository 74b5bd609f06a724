//! Errors of the inventory stage.

use std::path::PathBuf;

/// A file could not be understood. The caller adds the file path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// 1-based line where the problem is, when known.
    pub line: Option<u32>,
    pub message: String,
}

impl ParseError {
    pub fn new(message: impl Into<String>) -> Self {
        ParseError {
            line: None,
            message: message.into(),
        }
    }

    pub fn at(line: u32, message: impl Into<String>) -> Self {
        ParseError {
            line: Some(line),
            message: message.into(),
        }
    }

    /// From a serde_json error (which knows its line).
    pub fn json(e: &serde_json::Error) -> Self {
        let line = u32::try_from(e.line()).ok().filter(|l| *l > 0);
        ParseError {
            line,
            message: format!("invalid JSON: {e}"),
        }
    }

    /// From a toml error, with the line computed from its byte span.
    pub fn toml(e: &toml::de::Error, text: &str) -> Self {
        let line = e
            .span()
            .map(|s| crate::text::line_of_offset(text, s.start));
        ParseError {
            line,
            message: format!("invalid TOML: {}", e.message()),
        }
    }

    /// From a serde_yaml error.
    pub fn yaml(e: &serde_yaml::Error) -> Self {
        let line = e
            .location()
            .and_then(|l| u32::try_from(l.line()).ok())
            .filter(|l| *l > 0);
        ParseError {
            line,
            message: format!("invalid YAML: {e}"),
        }
    }

    /// From a quick-xml error at a byte position.
    pub fn xml(e: impl std::fmt::Display, text: &str, pos: usize) -> Self {
        ParseError {
            line: Some(crate::text::line_of_offset(text, pos.min(text.len()))),
            message: format!("invalid XML: {e}"),
        }
    }
}

/// Errors that stop the whole inventory (as opposed to one file).
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid exclude pattern `{pattern}`: {reason}")]
    BadGlob { pattern: String, reason: String },
    #[error("{path}: no such file or directory")]
    NotFound { path: PathBuf },
    #[error("{path}: not a supported file format (supported: {supported})")]
    Unsupported { path: PathBuf, supported: String },
}
