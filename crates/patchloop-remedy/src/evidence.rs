//! Test evidence: what running a project's tests on a patch branch
//! showed. Written by the sandboxed test stage, shown in pull-request
//! bodies ([`crate::forge::pr_body`]) and kept in the ledger. The types
//! live in patchloop-model (shared with the ledger and reports).

pub use patchloop_model::{TestEvidence, TestOutcome};
