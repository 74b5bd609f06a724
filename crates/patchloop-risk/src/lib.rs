//! patchloop-risk: the prioritization stage.
//!
//! - [`severity`]: a finding's severity from the CVSS vectors and
//!   qualitative ratings of its advisory records, by a documented rule
//!   (docs/scan.md, "Severity").
//! - [`policy`]: the project's `patchloop.toml`: ignore rules with a
//!   reason and an expiry date, validated with file, line and key.
//!
//! EPSS, KEV, context, SSVC and SLA clocks come with issue #5.

pub mod cvss;
pub mod policy;
pub mod prioritize;
pub mod severity;
pub mod ssvc;

pub use policy::{IgnoreRule, Policy, PolicyError};
pub use severity::{SeverityCandidate, assess};
