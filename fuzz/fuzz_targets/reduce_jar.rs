#![no_main]
//! Fuzz the Java archive reducer (zip structure, nested archives,
//! pom.properties, MANIFEST.MF).
use libfuzzer_sys::fuzz_target;
use patchloop_inventory::system;

fuzz_target!(|data: &[u8]| {
    let _ = system::reduce("opt/app/fuzz.jar", "fuzz-input", data);
});
