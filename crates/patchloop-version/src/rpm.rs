//! TODO(helper): the real rpm version rules.

use crate::VersionError;

/// A parsed rpm version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(String);

pub fn parse(s: &str) -> Result<Version, VersionError> {
    Err(VersionError::new("rpm", s, "not implemented yet"))
}
