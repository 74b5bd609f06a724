#![no_main]
//! Fuzz the executable reducer (ELF headers, Go build information in both
//! forms, cargo-auditable sections): any bytes give packages, nothing or a
//! message, never a panic; streamed through a layer collector in chunks
//! (as from an image layer, with its extra passes) they give what the
//! whole read gives.
use libfuzzer_sys::fuzz_target;
use patchloop_inventory::system;
use patchloop_inventory::system::lang::ranges::{Collector, Outcome};

fuzz_target!(|data: &[u8]| {
    let whole = system::reduce("usr/bin/fuzz", "fuzz-input", data);
    let chunk = 1 + usize::from(data.first().copied().unwrap_or(0)) * 97;
    let mut c = Collector::new(data.len() as u64);
    for _ in 0..16 {
        for part in data.chunks(chunk) {
            c.feed(part);
        }
        let streamed = match c.finish() {
            Outcome::Done(found) => system::lang::content_of(Ok(found)),
            Outcome::Bad(m) => system::Content::Nothing(m),
            Outcome::Again => {
                c.restart();
                continue;
            }
        };
        assert_eq!(format!("{streamed:?}"), format!("{whole:?}"));
        return;
    }
});
