//! Write a synthetic OSV corpus in the bucket layout (`<DIR>/<ecosystem>/all.zip`).
//!
//! cargo run --release -p patchloop-feeds --example gen_corpus -- DIR [N] [SEED]
//! (N defaults to 500000)

#[path = "../benches/gen_corpus.rs"]
mod gen_corpus;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: gen_corpus DIR [N] [SEED]");
        std::process::exit(2);
    };
    let n: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(500_000);
    let seed: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let t = std::time::Instant::now();
    let counts =
        gen_corpus::write_bucket(std::path::Path::new(&dir), n, seed).unwrap_or_else(|e| {
            eprintln!("gen_corpus: {dir}: {e}");
            std::process::exit(1);
        });
    for (eco, c) in counts {
        println!("{eco}\t{c}");
    }
    eprintln!("{n} records in {:.1}s", t.elapsed().as_secs_f64());
}
