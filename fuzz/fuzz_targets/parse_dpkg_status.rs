#![no_main]
//! Fuzz the dpkg status parser (both the `status` and the `status.d`
//! forms): any bytes give entries and problems, never a panic.
use libfuzzer_sys::fuzz_target;
use patchloop_inventory::system::os::dpkg;

fuzz_target!(|data: &[u8]| {
    let _ = dpkg::parse(data, true);
    let _ = dpkg::parse(data, false);
});
