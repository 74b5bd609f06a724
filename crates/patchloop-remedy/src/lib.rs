//! patchloop-remedy: the test and deploy stages of the patch loop.
//!
//! - [`registry`]: available versions (and, where the registry says, each
//!   version's dependency requirements) from the package registries, with
//!   a local cache; base URLs come from configuration.
//! - [`plan`]: the smallest safe change per vulnerable package, grouped
//!   into branches ([`patchloop_model::Plan`], `patchloop plan`).
//!
//! - [`apply`]: each plan group made in an isolated git worktree with the
//!   ecosystem's own tool, re-scanned, tested and committed on its branch
//!   (`patchloop apply`, docs/apply.md).
//! - [`forge`]: GitHub, GitLab and Gitea/Forgejo pull-request clients
//!   (docs/forges.md).
//! - [`rollout`]: promotion through rollout rings (soak times,
//!   approvals), deployment verification checks and rollback by revert
//!   (docs/rollout.md).

pub mod apply;
pub mod evidence;
pub mod forge;
pub mod image_plan;
pub mod plan;
pub mod registry;
pub mod rollout;
