//! patchloop-ledger: Signed, hash-chained patch records, approvals, reports and exports (issue #7).
//!
//! This lifecycle stage is not implemented yet; the crate reserves its place
//! in the workspace so the layout reads like the patch loop. See
//! docs/architecture.md for what it will hold.
