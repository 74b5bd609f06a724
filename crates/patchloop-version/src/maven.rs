//! TODO(helper): the real maven version rules.

use crate::VersionError;

/// A parsed maven version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(String);

pub fn parse(s: &str) -> Result<Version, VersionError> {
    Err(VersionError::new("maven", s, "not implemented yet"))
}
