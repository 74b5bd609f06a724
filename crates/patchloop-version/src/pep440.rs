//! TODO(helper): the real pep440 version rules.

use crate::VersionError;

/// A parsed pep440 version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(String);

pub fn parse(s: &str) -> Result<Version, VersionError> {
    Err(VersionError::new("pep440", s, "not implemented yet"))
}
