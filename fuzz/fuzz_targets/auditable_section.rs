#![no_main]
//! Fuzz the cargo-auditable reader past the zlib layer: the input is the
//! decompressed JSON, compressed here so the fuzzer explores the JSON
//! and the dependency graph rather than zlib framing.
use std::io::Write;

use libfuzzer_sys::fuzz_target;
use patchloop_inventory::system::lang::auditable;

fuzz_target!(|data: &[u8]| {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    if z.write_all(data).is_ok()
        && let Ok(compressed) = z.finish()
    {
        let _ = auditable::parse_section(&compressed);
    }
});
