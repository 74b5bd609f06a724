//! TODO(helper): the real debian version rules.

use crate::VersionError;

/// A parsed debian version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(String);

pub fn parse(s: &str) -> Result<Version, VersionError> {
    Err(VersionError::new("debian", s, "not implemented yet"))
}
