//! TODO(helper): the real packagist version rules.

use crate::VersionError;

/// A parsed packagist version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(String);

pub fn parse(s: &str) -> Result<Version, VersionError> {
    Err(VersionError::new("packagist", s, "not implemented yet"))
}
