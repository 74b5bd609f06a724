//! TODO(helper): the real nuget version rules.

use crate::VersionError;

/// A parsed nuget version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(String);

pub fn parse(s: &str) -> Result<Version, VersionError> {
    Err(VersionError::new("nuget", s, "not implemented yet"))
}
