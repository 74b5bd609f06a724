//! SBOMs in and out: CycloneDX (JSON 1.4–1.6, XML) and SPDX 2.3 JSON.
//!
//! The readers turn an SBOM into a [`patchloop_model::SourceFile`] like any
//! lockfile parser; the writers print a whole [`patchloop_model::Inventory`]
//! as one document, one component/package per distinct purl. See
//! docs/formats/sbom.md for what is read and written.

mod common;
pub mod cyclonedx;
pub mod spdx;

/// Settings for SBOM export. Timestamps and serial numbers are inputs so
/// that output is reproducible in tests.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    /// Name of the described project (SBOM metadata component / document).
    pub name: String,
    /// RFC 3339 creation time.
    pub timestamp: String,
    /// Unique document id (a UUID); generated when None.
    pub serial: Option<String>,
    /// Tool version recorded as the creator.
    pub tool_version: String,
}
