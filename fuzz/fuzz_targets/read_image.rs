//! The image reader over arbitrary bytes written as an image tar: the
//! archive index, the JSON documents, the layer decompressors and the tar
//! reader. Any `Err` is fine; a panic, hang or memory blow-up is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use patchloop_inventory::system::image::{ImageLimits, ImageOptions, read_image_with};
use patchloop_inventory::system::Want;

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("patchloop-fuzz-image-{}.tar", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let opts = ImageOptions {
        limits: ImageLimits {
            max_layer_bytes: 64 << 20,
            max_total_bytes: 128 << 20,
            ..Default::default()
        },
        ..Default::default()
    };
    let keep = |_: &str, _: u64, _: u32| Want::Keep { max: 1 << 20 };
    let _ = read_image_with(&path, &opts, &keep);
});
