//! patchloop-remedy: the test and deploy stages of the patch loop.
//!
//! - [`registry`]: available versions (and, where the registry says, each
//!   version's dependency requirements) from the package registries, with
//!   a local cache; base URLs come from configuration.
//! - [`plan`]: the smallest safe change per vulnerable package, grouped
//!   into branches ([`patchloop_model::Plan`], `patchloop plan`).
//!
//! - [`rollout`]: promotion through rollout rings (soak times,
//!   approvals), deployment verification checks and rollback by revert.
//!
//! Applying plans in isolated worktrees, package-manager drivers, forge
//! clients and rollout come next (issue #6, #7).

pub mod evidence;
pub mod forge;
pub mod plan;
pub mod registry;
pub mod rollout;
