//! patchloop's shared vocabulary: ecosystems, packages and purls, and the
//! inventory that later stages (matching, prioritization, remediation,
//! ledger) work on. No I/O happens here.

pub mod advisory;
pub mod ecosystem;
pub mod finding;
pub mod package;
pub mod plan;
pub mod purl;
pub mod vex;

pub use advisory::{
    Advisory, Affected, AffectedPackage, Credit, EpssScore, Event, KevEntry, Range, RangeType,
    Reference, Severity,
};
pub use ecosystem::{Ecosystem, EcosystemKind};
pub use finding::{
    Applied, Category, ContextInfo, DatabaseInfo, DistroBinary, DistroFinding, EnvironmentalScore,
    EpssInfo, Exploitation, Finding, FindingPackage, KevInfo, Occurrence, PolicyNote, Priority,
    RiskAssessment, SCAN_SCHEMA, ScanReport, SeverityInfo, SeverityLevel, Signal, SsvcDecision,
    Summary, Suppression,
};
pub use package::{
    Diagnostic, DiagnosticLevel, INVENTORY_SCHEMA, Inventory, Layer, Location, OsInfo, Package,
    Relation, Resolution, Root, Scope, SourceFile, SourcePackage, Target, TargetKind,
};
pub use plan::{
    Change, PLAN_SCHEMA, ParentBump, Plan, PlanGroup, Strategy, TestEvidence, TestOutcome,
    Unfixable, UpdateType,
};
pub use purl::{PurlError, PurlParts, parse_purl, pep503_normalize, purl_for};
