use patchloop_inventory::{Format, Limits, parse_path};

#[test]
fn dump() {
    for (f, fmt) in [
        ("nodegoat-2021-01__package-lock.json", Format::PackageLock),
        ("nodegoat-master__package-lock.json", Format::PackageLock),
        ("jellyfin-web-master__package-lock.json", Format::PackageLock),
        ("excalidraw-master__yarn.lock", Format::YarnLock),
        ("prettier-3.0.0__yarn.lock", Format::YarnLock),
        ("vuejs-core-v3.2.47__pnpm-lock.yaml", Format::PnpmLock),
        ("vuejs-core-main__pnpm-lock.yaml", Format::PnpmLock),
    ] {
        let Some(path) = patchloop_testdata::shared_data(&format!("lockfiles/npm/{f}")) else {
            return;
        };
        let t = std::time::Instant::now();
        let p = parse_path(&path, f, fmt, Limits::default()).unwrap();
        let el = t.elapsed();
        let s = &p.source;
        let rel = |r| s.packages.iter().filter(|p| p.relation == r).count();
        let sc = |r| s.packages.iter().filter(|p| p.scope == r).count();
        println!(
            "{f}: {} pkgs in {el:?}; direct {} trans {} unk {}; runtime {} opt {} dev {}; roots {:?}; warnings {:?}",
            s.packages.len(),
            rel(patchloop_model::Relation::Direct),
            rel(patchloop_model::Relation::Transitive),
            rel(patchloop_model::Relation::Unknown),
            sc(patchloop_model::Scope::Runtime),
            sc(patchloop_model::Scope::Optional),
            sc(patchloop_model::Scope::Dev),
            s.roots.iter().map(|r| (r.name.clone(), r.dependencies.len())).collect::<Vec<_>>(),
            p.warnings
        );
        for p in s.packages.iter().filter(|p| !p.resolution.is_exact()) {
            println!("  {} {} {:?} {:?}", p.name, p.version, p.resolution, p.line());
        }
    }
}
