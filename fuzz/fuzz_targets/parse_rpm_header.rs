#![no_main]
//! Fuzz the RPM header blob parser (the rows of a SQLite rpmdb): any
//! bytes give a header or a HeaderError, never a panic.
use libfuzzer_sys::fuzz_target;
use patchloop_inventory::system::os::rpm;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = rpm::parse_header(data) {
        let _ = h.evr();
        let _ = h.source();
    }
});
