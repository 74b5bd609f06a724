//! Lookup speed of the advisory store: `advisories_for_package` (full
//! records) and `affected_for_package` (the compact per-package entries),
//! per lookup and for a "scan" of 1,000 packages.
//!
//! - On the 8,158 shared records (imported into a temporary store first):
//!   `cargo bench -p patchloop-feeds --bench lookup`
//! - Also on a large store, e.g. the 500,000-record synthetic corpus:
//!   `PATCHLOOP_BENCH_DB=/tmp/corpus500k.db cargo bench -p patchloop-feeds --bench lookup`
//!   (see docs/performance.md for building it).

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use patchloop_feeds::{
    AdvisoryStore, ImportOptions, NoProgress, OpenMode, SqliteStore, import_paths,
};
use patchloop_model::Ecosystem;

fn stores() -> Vec<(String, SqliteStore, Option<tempfile::TempDir>)> {
    let mut out = Vec::new();
    if let Some(osv) = patchloop_testdata::shared_data("osv") {
        let dir = tempfile::tempdir().unwrap();
        let mut s = SqliteStore::open(&dir.path().join("a.db"), OpenMode::ReadWrite).unwrap();
        import_paths(&mut s, &[osv], &ImportOptions::default(), &NoProgress).unwrap();
        out.push(("shared-8158".to_string(), s, Some(dir)));
    }
    if let Some(p) = std::env::var_os("PATCHLOOP_BENCH_DB") {
        let p = PathBuf::from(p);
        let s = SqliteStore::open(&p, OpenMode::ReadOnly).expect("PATCHLOOP_BENCH_DB");
        let n = s.status().unwrap().advisories;
        out.push((
            format!("{}-{n}", p.file_stem().unwrap().to_string_lossy()),
            s,
            None,
        ));
    }
    out
}

fn lookup(c: &mut Criterion) {
    for (label, store, _dir) in stores() {
        // Every package the store names, spread over the index.
        let all = store.package_names(usize::MAX).unwrap();
        let step = (all.len() / 1000).max(1);
        let sample: Vec<(Ecosystem, String)> = all
            .iter()
            .step_by(step)
            .take(1000)
            .map(|(e, n)| (Ecosystem::parse(e), n.clone()))
            .collect();
        let hits: usize = sample
            .iter()
            .map(|(e, n)| store.advisories_for_package(e, n).unwrap().len())
            .sum();
        eprintln!(
            "{label}: {} packages in the store, sample of {}, {hits} advisories for the sample ({:.2} per package)",
            all.len(),
            sample.len(),
            hits as f64 / sample.len() as f64
        );
        // A realistic scan: most packages of a project have no advisory.
        // 50 packages with advisories, 950 without.
        let typical: Vec<(Ecosystem, String)> = sample
            .iter()
            .take(50)
            .cloned()
            .chain((0..950).map(|i| {
                (
                    sample[i % sample.len()].0.clone(),
                    format!("not-vulnerable-{i}"),
                )
            }))
            .collect();
        let mut g = c.benchmark_group(format!("store/{label}"));
        g.bench_function(
            BenchmarkId::new("advisories_for_package", "one package, no advisory"),
            |b| {
                b.iter(|| {
                    black_box(
                        store
                            .advisories_for_package(&Ecosystem::NPM, "no-such-package")
                            .unwrap(),
                    )
                })
            },
        );
        g.sample_size(10);
        for (name, set) in [
            ("1000 packages, 5% with advisories", &typical),
            ("1000 packages, all with advisories", &sample),
        ] {
            g.bench_function(BenchmarkId::new("advisories_for_package", name), |b| {
                b.iter(|| {
                    for (e, n) in set.iter() {
                        black_box(store.advisories_for_package(e, n).unwrap());
                    }
                })
            });
            g.bench_function(BenchmarkId::new("affected_for_package", name), |b| {
                b.iter(|| {
                    for (e, n) in set.iter() {
                        black_box(store.affected_for_package(e, n).unwrap());
                    }
                })
            });
        }
        g.finish();
    }
}

criterion_group!(benches, lookup);
criterion_main!(benches);
