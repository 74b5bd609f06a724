//! TODO(helper): the real go version rules.

use crate::VersionError;

/// A parsed go version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(String);

pub fn parse(s: &str) -> Result<Version, VersionError> {
    Err(VersionError::new("go", s, "not implemented yet"))
}
