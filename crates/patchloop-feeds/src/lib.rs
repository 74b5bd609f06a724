//! patchloop-feeds: the monitoring stage. OSV, CISA KEV and FIRST EPSS
//! ingestion (`db import`) and incremental sync (`db sync`) into a local,
//! offline advisory store (`db status`), read by later stages through the
//! [`AdvisoryStore`] trait.
//!
//! - [`store`]: the trait and the embedded SQLite implementation.
//! - [`import`]: reading OSV directories, zip exports, JSON files, KEV
//!   catalogs and EPSS files, one transaction per import.
//! - [`sync`]: fetching from the public feeds or mirrors (HTTP or local
//!   directories), incrementally via `modified_id.csv` and conditional
//!   requests.
//! - [`config`]: where the store lives and where feeds come from.
//!
//! See docs/store.md for the schema, the sync algorithm, limits and the
//! reliability guarantees.

pub mod config;
pub mod epss;
pub mod error;
pub mod fetch;
pub mod import;
pub mod kev;
pub mod normalize;
pub mod progress;
pub mod record;
pub mod store;
pub mod sync;
pub mod timefmt;
mod zipread;

pub use config::{FeedsConfig, default_db_path};
pub use error::{FeedError, StoreError};
pub use import::{ImportOptions, ImportReport, ImportWarning, Limits, RecordCounts, import_paths};
pub use progress::{NoProgress, Progress, Unit};
pub use store::{
    AdvisoryStore, DEFAULT_MAX_AGE_SECS, EpssRecord, NameSet, OpenMode, Outcome, PackageAdvisory,
    SourceState, SqliteStore, Staleness, Status, TableCounts, check_sources, check_staleness,
};
pub use sync::{SyncOptions, SyncReport, sync};
