#![no_main]
//! Fuzz CVSS scoring: any string gives scores in 0..=10 or an error, and
//! the environmental vector built from it scores or errors, never panics.
use libfuzzer_sys::fuzz_target;
use patchloop_risk::cvss::scores;
use patchloop_risk::policy::{Criticality, Exposure};
use patchloop_risk::prioritize::{automatable_from_vector, environmental_vector};

fuzz_target!(|data: &[u8]| {
    let v = String::from_utf8_lossy(data);
    if let Ok(s) = scores(&v) {
        assert!((0.0..=10.0).contains(&s.base));
    }
    let _ = automatable_from_vector(&v);
    if let Some(e) = environmental_vector(&v, Criticality::High, Exposure::Internal) {
        let _ = scores(&e);
    }
});
