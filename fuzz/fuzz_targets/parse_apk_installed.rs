#![no_main]
//! Fuzz the apk `installed` database parser: never a panic.
use libfuzzer_sys::fuzz_target;
use patchloop_inventory::system::os::apk;

fuzz_target!(|data: &[u8]| {
    let _ = apk::parse(data);
});
