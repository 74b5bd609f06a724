//! Link flags for the `patchloop` binary only.
//!
//! `-z pack-relative-relocs` (DT_RELR, glibc 2.36+, GNU ld 2.38+, lld 15+)
//! packs the ~15,000 relative relocations of this position-independent
//! executable into a few kilobytes instead of 370 KB of `.rela.dyn`
//! that the loader reads and applies on every start: a short command
//! such as `scan` starts faster and touches fewer pages
//! (docs/performance.md, "Scan").
fn main() {
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    let gnu = std::env::var("CARGO_CFG_TARGET_ENV").is_ok_and(|env| env == "gnu");
    if linux && gnu {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
