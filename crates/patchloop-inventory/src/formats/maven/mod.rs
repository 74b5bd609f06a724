pub mod gradle;
pub(crate) mod interp;
pub mod pom;
pub(crate) mod related;
pub(crate) mod xml;
