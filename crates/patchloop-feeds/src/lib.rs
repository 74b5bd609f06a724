//! patchloop-feeds: OSV, CISA KEV and FIRST EPSS ingestion and sync; the advisory store (issue #3).
//!
//! This lifecycle stage is not implemented yet; the crate reserves its place
//! in the workspace so the layout reads like the patch loop. See
//! docs/architecture.md for what it will hold.
