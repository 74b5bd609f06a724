//! patchloop-ledger: signed patch records, approvals, reports and exports.
//!
//! This crate is the "document" stage of the patch loop. Today it holds
//! [`report`]: pure functions that render a scan report
//! ([`patchloop_model::ScanReport`]) in standard formats — SARIF 2.1.0 for
//! GitHub code scanning and other SARIF viewers, CycloneDX 1.6 for SBOM and
//! vulnerability tooling, Markdown for pull-request comments. The signed,
//! hash-chained patch records and approvals (issue #7) will live here too.
//!
//! [`ledger`] is the signed, hash-chained record of every patch event;
//! [`remediation`] computes open findings, time to remediate and SLA
//! compliance from it, [`html`] renders that as a self-contained HTML
//! report, and [`intoto`] writes a DSSE-signed in-toto statement per patch
//! (docs/ledger.md).
//!
//! [`state`] keeps the first-seen date of each finding per project (SLA
//! clocks), in its own SQLite file.
//!
//! The report writers do no I/O: callers write the returned strings.
//! docs/reports.md describes the formats and their field mappings.

pub mod html;
pub mod intoto;
pub mod ledger;
pub mod remediation;
pub mod report;
pub mod state;
pub mod vex;
