use patchloop_inventory::{parse_bytes, walk::detect_path};
fn main() {
    let dir = std::path::PathBuf::from("/work/shared/data/lockfiles");
    let mut total = 0.0;
    for p in patchloop_testdata::files_under(&dir) {
        let Some(f) = detect_path(&p) else { continue };
        let b = std::fs::read(&p).unwrap();
        let mut best = f64::MAX;
        for _ in 0..20 {
            let t = std::time::Instant::now();
            let _ = parse_bytes(f, "x", &b);
            best = best.min(t.elapsed().as_secs_f64());
        }
        total += best;
        println!(
            "{:>7.2}ms {:?} {}",
            best * 1000.0,
            f,
            p.file_name().unwrap().to_string_lossy()
        );
    }
    println!("{:>7.2}ms total", total * 1000.0);
    let inv = patchloop_inventory::inventory(&[dir], &Default::default()).unwrap();
    let t = std::time::Instant::now();
    let s = serde_json::to_string_pretty(&inv).unwrap();
    println!(
        "json {:.2}ms {} bytes",
        t.elapsed().as_secs_f64() * 1000.0,
        s.len()
    );
}
