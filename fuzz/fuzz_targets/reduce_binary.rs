#![no_main]
//! Fuzz the executable reducer (ELF headers, Go build information in both
//! forms, cargo-auditable sections): any bytes give packages, nothing or a
//! message, never a panic.
use libfuzzer_sys::fuzz_target;
use patchloop_inventory::system;

fuzz_target!(|data: &[u8]| {
    let _ = system::reduce("usr/bin/fuzz", "fuzz-input", data);
});
