pub mod gradle;
pub mod pom;
