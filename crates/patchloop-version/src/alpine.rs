//! TODO(helper): the real alpine version rules.

use crate::VersionError;

/// A parsed alpine version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(String);

pub fn parse(s: &str) -> Result<Version, VersionError> {
    Err(VersionError::new("alpine", s, "not implemented yet"))
}
