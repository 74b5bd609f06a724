//! patchloop-remedy: Fix planning, package-manager drivers, sandboxed test runs, branches and pull requests, rollout and rollback (issues #6, #7).
//!
//! This lifecycle stage is not implemented yet; the crate reserves its place
//! in the workspace so the layout reads like the patch loop. See
//! docs/architecture.md for what it will hold.
