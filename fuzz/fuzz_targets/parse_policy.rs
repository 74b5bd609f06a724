#![no_main]
//! Fuzz the patchloop.toml policy reader: Ok or a PolicyError naming the
//! file, never a panic; context lookups on a parsed policy never panic.
use libfuzzer_sys::fuzz_target;
use patchloop_risk::Policy;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(p) = Policy::parse("fuzz/patchloop.toml", &text) {
        let _ = p.context_for("fuzz/app/Cargo.lock");
        let _ = p.context_for("");
    }
});
