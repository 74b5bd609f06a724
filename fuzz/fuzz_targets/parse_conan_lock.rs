#![no_main]
//! Fuzz the conan-lock parser: any bytes give Ok or a ParseError, never a panic.
use libfuzzer_sys::fuzz_target;
use patchloop_inventory::{Format, parse_bytes};

fuzz_target!(|data: &[u8]| {
    let _ = parse_bytes(Format::ConanLock, "fuzz-input", data);
});
