//! TODO(helper): the real rubygems version rules.

use crate::VersionError;

/// A parsed rubygems version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(String);

pub fn parse(s: &str) -> Result<Version, VersionError> {
    Err(VersionError::new("rubygems", s, "not implemented yet"))
}
