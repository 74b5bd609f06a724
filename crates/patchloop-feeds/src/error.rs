//! Typed errors. Every message names the file, URL, entry or line it is
//! about and the cause; the binary prints them as they are.

use std::path::PathBuf;

/// Errors of the advisory store itself (opening, schema, queries).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("advisory database {path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("advisory database {path}: cannot create its directory: {source}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "advisory database {path}: schema version {found} is newer than this patchloop supports ({supported}); upgrade patchloop"
    )]
    SchemaTooNew {
        path: String,
        found: i64,
        supported: i64,
    },
    #[error("advisory database {path}: not a patchloop advisory database ({reason})")]
    NotOurs { path: String, reason: String },
    #[error("advisory database {path}: stored record {id} is corrupt: {reason}")]
    Corrupt {
        path: String,
        id: String,
        reason: String,
    },
    #[error(
        "advisory database {path}: no such file (run `patchloop db sync` or `patchloop db import` first)"
    )]
    Missing { path: PathBuf },
}

/// Errors that stop an import or a sync of one source. Malformed records
/// are not errors: they are skipped with an [`crate::ImportWarning`].
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a valid zip archive (truncated or corrupt?): {reason}")]
    BadZip { path: String, reason: String },
    #[error("{path}: {reason}")]
    Limit { path: String, reason: String },
    #[error("{path}: cannot tell what this file is: {reason}")]
    UnknownInput { path: String, reason: String },
    #[error("{path}: {reason}")]
    Malformed { path: String, reason: String },
    /// `status`: the HTTP status of the last answer when the server
    /// answered with an error status (404, 503, ...).
    #[error("{url}: {reason}")]
    Http {
        url: String,
        reason: String,
        status: Option<u16>,
    },
    #[error("configuration {path}: {reason}")]
    Config { path: String, reason: String },
}

impl FeedError {
    pub(crate) fn io(path: impl std::fmt::Display, source: std::io::Error) -> Self {
        FeedError::Io {
            path: path.to_string(),
            source,
        }
    }
}
