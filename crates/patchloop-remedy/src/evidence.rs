//! Test evidence: what running a project's tests on a patch branch
//! showed. Written by the sandboxed test stage, shown in pull-request
//! bodies ([`crate::forge::pr_body`]) and kept in the patch record.

use serde::{Deserialize, Serialize};

/// How a test run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TestOutcome {
    Passed,
    Failed,
    /// Stopped at the configured time limit.
    TimedOut,
    /// Not run (no test command, or tests disabled by policy).
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

impl std::fmt::Display for TestOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One test run on a patch branch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestEvidence {
    /// The command as run (`cargo test --locked`, `npm test`, ...).
    pub command: String,
    pub outcome: TestOutcome,
    /// Wall-clock time of the run, seconds.
    pub duration_secs: f64,
    /// The last lines of the combined output (may be empty).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub log_tail: String,
}
