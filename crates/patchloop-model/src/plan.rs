//! Remediation plans: what to change to fix the findings of a scan, in
//! groups that each become one branch or pull request. The JSON form of
//! [`Plan`] (`schema: "patchloop.plan/v1"`, docs/plan-json.md) is the
//! output of `patchloop plan` and the input of `patchloop apply`; within
//! v1 fields are only added, never renamed or removed.

use serde::{Deserialize, Serialize};

use crate::ecosystem::Ecosystem;
use crate::finding::Priority;
use crate::package::{Diagnostic, Relation};

/// The plan JSON schema identifier.
pub const PLAN_SCHEMA: &str = "patchloop.plan/v1";

/// How big a version change is (SemVer terms; other schemes map their
/// first, second and third numeric components the same way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UpdateType {
    Patch,
    Minor,
    Major,
}

impl UpdateType {
    pub fn as_str(self) -> &'static str {
        match self {
            UpdateType::Patch => "patch",
            UpdateType::Minor => "minor",
            UpdateType::Major => "major",
        }
    }
}

/// How a change reaches the target version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Change the version in the lockfile only: the requirements that
    /// pull the package in already allow the target (`cargo update
    /// --precise`, an npm lockfile update).
    LockfileUpdate,
    /// Change the requirement of a direct dependency in the manifest
    /// (and the lockfile).
    ManifestBump,
    /// Bump the direct dependency that pulls the vulnerable transitive
    /// package in, to a version whose own requirement allows the fix.
    BumpParent,
    /// Force the transitive version: npm `overrides`, pip constraints,
    /// Maven `dependencyManagement`, a Go `require`, Cargo `[patch]` is
    /// never used.
    Override,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::LockfileUpdate => "lockfile-update",
            Strategy::ManifestBump => "manifest-bump",
            Strategy::BumpParent => "bump-parent",
            Strategy::Override => "override",
        }
    }
}

/// One package version change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub ecosystem: Ecosystem,
    pub package: String,
    /// The lockfile or manifest the package was found in.
    pub file: String,
    pub from: String,
    pub to: String,
    pub update: UpdateType,
    pub relation: Relation,
    pub strategy: Strategy,
    /// For `bump-parent`: the direct dependency to bump, and to what.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentBump>,
    /// The dependency path from a direct dependency (`a@1 > b@2 > pkg@3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The vulnerability ids this change fixes.
    pub fixes: Vec<String>,
    /// Does the manifest's requirement already allow `to`? (None: unknown.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within_range: Option<bool>,
    /// What the update type means for breaking risk, in words.
    pub risk_note: String,
    /// The command or edit that makes the change, for humans.
    pub action: String,
    /// Where the candidate versions came from: `registry`, `cache`, or
    /// `advisories` (offline: the fixed versions the advisories name).
    pub versions_from: String,
}

/// The direct dependency to bump for a transitive fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentBump {
    pub package: String,
    pub from: String,
    pub to: String,
}

/// One branch / pull request worth of changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanGroup {
    /// Stable id, used in the branch name `patchloop/<id>`.
    pub id: String,
    pub branch: String,
    /// Highest priority among the fixed findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// Earliest due date among the fixed findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
    pub changes: Vec<Change>,
    /// Every vulnerability id the group fixes.
    pub fixes: Vec<String>,
    /// The largest update type in the group.
    pub update: UpdateType,
}

/// A finding that no change can fix (yet), and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unfixable {
    pub id: String,
    pub ecosystem: Ecosystem,
    pub package: String,
    pub version: String,
    pub reason: String,
}

/// A remediation plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub schema: String,
    pub generator: String,
    /// `YYYY-MM-DD`.
    pub created: String,
    /// The scanned paths, as given.
    pub paths: Vec<String>,
    /// `vulnerability`, `package` or `all`.
    pub grouping: String,
    /// Ordered by priority, then due date.
    pub groups: Vec<PlanGroup>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unfixable: Vec<Unfixable>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<Diagnostic>,
}

/// How a test run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TestOutcome {
    Passed,
    Failed,
    TimedOut,
    /// No test command was run (none configured and no default applies,
    /// or the user asked to skip).
    Skipped,
}

impl TestOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            TestOutcome::Passed => "passed",
            TestOutcome::Failed => "failed",
            TestOutcome::TimedOut => "timed-out",
            TestOutcome::Skipped => "skipped",
        }
    }
}

/// The evidence of one test run of a change: what ran, how it ended, how
/// long it took, and the end of its log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestEvidence {
    /// The command line as run (shell words joined by spaces).
    pub command: String,
    pub outcome: TestOutcome,
    /// Exit code, when the process exited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    pub duration_secs: f64,
    /// The last lines of the combined output.
    #[serde(default)]
    pub log_tail: String,
    /// SHA-256 of the whole log (hex), for the ledger.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub log_sha256: String,
}

impl std::fmt::Display for TestOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
