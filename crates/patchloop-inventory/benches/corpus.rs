//! Inventory throughput on the real lockfile corpus (../shared/data/lockfiles).
//! `cargo bench -p patchloop-inventory --bench corpus`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use patchloop_inventory::walk::detect_path;
use patchloop_inventory::{Options, parse_str};

fn corpus(c: &mut Criterion) {
    let Some(dir) = patchloop_testdata::shared_data("lockfiles") else {
        return;
    };
    let files: Vec<_> = patchloop_testdata::files_under(&dir)
        .into_iter()
        .filter_map(|p| {
            let f = detect_path(&p)?;
            let text = std::fs::read_to_string(&p).ok()?;
            Some((p, f, text))
        })
        .collect();
    let total: usize = files.iter().map(|f| f.2.len()).sum();

    let mut g = c.benchmark_group("inventory");
    g.throughput(Throughput::Bytes(total as u64));
    g.bench_function("parse whole corpus (in memory, 1 thread)", |b| {
        b.iter(|| {
            for (_, f, text) in &files {
                let _ = black_box(parse_str(*f, "x", text));
            }
        })
    });
    g.bench_function(
        "inventory of the corpus directory (walk + read + parse)",
        |b| {
            let opts = Options::default();
            b.iter(|| {
                black_box(patchloop_inventory::inventory(
                    std::slice::from_ref(&dir),
                    &opts,
                ))
            })
        },
    );
    g.finish();

    let mut g = c.benchmark_group("per-file");
    for (p, f, text) in &files {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(name, |b| b.iter(|| black_box(parse_str(*f, "x", text))));
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(2));
    targets = corpus
}
criterion_main!(benches);
