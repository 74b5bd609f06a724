#![no_main]
//! Fuzz OSV range evaluation: an OSV record (any bytes) is parsed; every
//! affected entry is compiled under every version scheme and checked
//! against versions taken from the record itself. Never a panic.
use libfuzzer_sys::fuzz_target;
use patchloop_model::Advisory;
use patchloop_version::Scheme;
use patchloop_version::osv::{Candidate, CompiledEntry};

fuzz_target!(|data: &[u8]| {
    let Ok(adv) = serde_json::from_slice::<Advisory>(data) else {
        return;
    };
    for entry in adv.affected.iter().take(8) {
        let mut versions: Vec<&str> = entry.versions.iter().map(String::as_str).take(16).collect();
        for r in entry.ranges.iter().take(8) {
            versions.extend(r.events.iter().map(|e| e.version()).take(16));
        }
        for scheme in Scheme::ALL {
            let c = CompiledEntry::new(*scheme, entry);
            for v in &versions {
                if let Ok(cand) = Candidate::parse(*scheme, v) {
                    let _ = c.check(&cand);
                }
            }
        }
    }
});
