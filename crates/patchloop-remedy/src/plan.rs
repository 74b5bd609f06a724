//! Fix planning (see lib.rs).
