//! patchloop-version: Version ordering per ecosystem and OSV range evaluation (issue #4).
//!
//! This lifecycle stage is not implemented yet; the crate reserves its place
//! in the workspace so the layout reads like the patch loop. See
//! docs/architecture.md for what it will hold.
