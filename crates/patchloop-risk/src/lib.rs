//! patchloop-risk: CVSS, EPSS, KEV, context policy, SSVC decisions and SLA clocks (issue #5).
//!
//! This lifecycle stage is not implemented yet; the crate reserves its place
//! in the workspace so the layout reads like the patch loop. See
//! docs/architecture.md for what it will hold.
