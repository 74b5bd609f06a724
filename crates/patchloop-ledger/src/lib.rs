//! patchloop-ledger: signed patch records, approvals, reports and exports.
//!
//! This crate is the "document" stage of the patch loop. Today it holds
//! [`report`]: pure functions that render a scan report
//! ([`patchloop_model::ScanReport`]) in standard formats — SARIF 2.1.0 for
//! GitHub code scanning and other SARIF viewers, CycloneDX 1.6 for SBOM and
//! vulnerability tooling, Markdown for pull-request comments. The signed,
//! hash-chained patch records and approvals (issue #7) will live here too.
//!
//! [`state`] keeps the first-seen date of each finding per project (SLA
//! clocks), in its own SQLite file.
//!
//! The report writers do no I/O: callers write the returned strings.
//! docs/reports.md describes the formats and their field mappings.

pub mod ledger;
pub mod report;
pub mod state;
pub mod vex;
