//! Language packages in trees (`system::lang`), with real parts: Go
//! binaries built by `go` (checked against `go version -m`), a Rust
//! binary with a `.dep-v0` section added by `objcopy`, this machine's
//! Python installations (checked against `importlib.metadata`), npm's own
//! `node_modules` (checked against `npm ls`), jars built by `jar`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use patchloop_inventory::system::lang::ranges::{self, Collector, Outcome};
use patchloop_inventory::system::{self, Content, FileSet, Want};
use patchloop_model::{Resolution, SourceFile};

/// A tool the test needs; `None` (with a notice) when absent, a failure
/// under CI=true.
fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(name))
            .find(|f| f.is_file())
    });
    if found.is_none() {
        let msg = format!("`{name}` not found on PATH");
        if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
            panic!("{msg}: required under CI=true");
        }
        eprintln!("SKIPPED: {msg}");
    }
    found
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Offer `file` to `system::want` as a source would, at tree path `tree`.
fn offer(set: &mut FileSet, tree: &str, file: &Path, layer: Option<u32>) {
    let meta = std::fs::metadata(file).expect("metadata");
    let want = system::want(tree, meta.len(), meta.permissions().mode());
    let max = match want {
        Want::Skip => return,
        Want::Keep { max } | Want::Reduce { max } | Want::Executable { max } => max,
    };
    assert!(meta.len() <= max);
    let bytes = std::fs::read(file).unwrap();
    let content = match want {
        Want::Reduce { .. } => system::reduce(tree, tree, &bytes),
        Want::Executable { .. } => {
            // Read by ranges from the file, and whole: the same result.
            let ranged = system::lang::reduce_file(std::fs::File::open(file).unwrap(), meta.len());
            let whole = system::reduce(tree, tree, &bytes);
            assert_eq!(format!("{ranged:?}"), format!("{whole:?}"), "{tree}");
            ranged
        }
        _ => Content::Bytes(bytes),
    };
    set.insert(tree, layer, content);
}

/// Every regular file under `root`, offered at `prefix` + its relative path.
fn offer_tree(set: &mut FileSet, root: &Path, prefix: &str, layer: Option<u32>) {
    for e in walkdir::WalkDir::new(root).follow_links(false) {
        let Ok(e) = e else { continue };
        if !e.file_type().is_file() {
            continue;
        }
        let rel = e.path().strip_prefix(root).unwrap().to_string_lossy();
        offer(set, &format!("{prefix}{rel}"), e.path(), layer);
    }
}

fn only<'a>(sources: &'a [SourceFile], format: &str) -> Vec<&'a SourceFile> {
    sources.iter().filter(|s| s.format == format).collect()
}

// ---------------------------------------------------------------- Go

/// A Go module proxy in a directory (GOPROXY=file://) serving
/// `example.com/lib v1.2.3`.
fn go_proxy(dir: &Path) {
    let v = dir.join("proxy/example.com/lib/@v");
    std::fs::create_dir_all(&v).unwrap();
    let gomod = "module example.com/lib\n\ngo 1.18\n";
    std::fs::write(v.join("list"), "v1.2.3\n").unwrap();
    std::fs::write(v.join("v1.2.3.mod"), gomod).unwrap();
    std::fs::write(
        v.join("v1.2.3.info"),
        r#"{"Version":"v1.2.3","Time":"2024-01-01T00:00:00Z"}"#,
    )
    .unwrap();
    let f = std::fs::File::create(v.join("v1.2.3.zip")).unwrap();
    let mut z = zip::ZipWriter::new(f);
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    z.start_file("example.com/lib@v1.2.3/go.mod", opts).unwrap();
    z.write_all(gomod.as_bytes()).unwrap();
    z.start_file("example.com/lib@v1.2.3/lib.go", opts).unwrap();
    z.write_all(b"package lib\n\nfunc Hello() string { return \"lib\" }\n")
        .unwrap();
    z.finish().unwrap();
}

/// Build `example.com/app` (deps: `example.com/lib v1.2.3` from the
/// proxy, `example.com/dep => ./dep`) into `out`.
fn go_build(go: &Path, dir: &Path, out: &Path, extra: &[&str]) {
    go_build_with(go, dir, out, extra, &[]);
}

/// [`go_build`] with more files (name, content) in the main package.
fn go_build_with(go: &Path, dir: &Path, out: &Path, extra: &[&str], files: &[(&str, &[u8])]) {
    go_proxy(dir);
    let app = dir.join("app");
    std::fs::create_dir_all(app.join("dep")).unwrap();
    for (rel, text) in [
        ("dep/go.mod", "module example.com/dep\n\ngo 1.18\n"),
        (
            "dep/dep.go",
            "package dep\n\nfunc Hello() string { return \"dep\" }\n",
        ),
        (
            "go.mod",
            "module example.com/app\n\ngo 1.18\n\nrequire (\n\texample.com/dep v0.0.0\n\texample.com/lib v1.2.3\n)\n\nreplace example.com/dep => ./dep\n",
        ),
        (
            "main.go",
            "package main\n\nimport (\n\t\"fmt\"\n\t\"example.com/dep\"\n\t\"example.com/lib\"\n)\n\nfunc main() { fmt.Println(dep.Hello(), lib.Hello()) }\n",
        ),
    ] {
        std::fs::write(app.join(rel), text).unwrap();
    }
    for (rel, bytes) in files {
        std::fs::write(app.join(rel), bytes).unwrap();
    }
    run(Command::new(go)
        .current_dir(&app)
        .env("GOPROXY", format!("file://{}", dir.join("proxy").display()))
        .env("GOSUMDB", "off")
        .env("GOFLAGS", "-mod=mod -modcacherw")
        .env("GOTOOLCHAIN", "local")
        .env("GOCACHE", dir.join("gocache"))
        .env("GOPATH", dir.join("gopath"))
        .env("CGO_ENABLED", "0")
        .env("GO111MODULE", "on")
        .args(["build", "-buildvcs=false", "-o"])
        .arg(out)
        .args(extra)
        .arg("."));
}

/// `go version -m` output: (go version, main module, deps as
/// (path, version, sum, replacement (path, version))).
type GoDep = (String, String, String, Option<(String, String)>);
fn go_version_m(go: &Path, bin: &Path) -> (String, String, Vec<GoDep>) {
    let text = run(Command::new(go).arg("version").arg("-m").arg(bin));
    let mut lines = text.lines();
    let first = lines.next().unwrap();
    let version = first.rsplit(": ").next().unwrap().to_string();
    let mut main = String::new();
    let mut deps: Vec<GoDep> = Vec::new();
    for l in lines {
        let f: Vec<&str> = l.trim_start_matches('\t').split('\t').collect();
        match f.as_slice() {
            ["mod", p, ..] => main = p.to_string(),
            ["dep", p, v, rest @ ..] => deps.push((
                p.to_string(),
                v.to_string(),
                rest.first().unwrap_or(&"").to_string(),
                None,
            )),
            ["=>", p, v, ..] => deps.last_mut().unwrap().3 = Some((p.to_string(), v.to_string())),
            _ => {}
        }
    }
    (version, main, deps)
}

fn check_go_source(s: &SourceFile, go: &Path, bin: &Path) {
    let (version, main, deps) = go_version_m(go, bin);
    assert_eq!(s.format, "go-binary");
    assert_eq!(s.roots.len(), 1);
    assert_eq!(s.roots[0].name, main);
    assert_eq!(s.format_version.as_deref(), Some(version.as_str()));
    // stdlib at the toolchain version, without `go`.
    let stdlib = s.packages.iter().find(|p| p.name == "stdlib").unwrap();
    assert_eq!(format!("go{}", stdlib.version), version);
    assert_eq!(stdlib.purl, format!("pkg:golang/stdlib@{}", stdlib.version));
    assert_eq!(s.packages.len(), deps.len() + 1);
    assert!(deps.len() >= 2, "the reference lists both modules");
    for (path, v, sum, rep) in &deps {
        match rep {
            Some((rpath, rv)) if rv == "(devel)" => {
                let p = s.packages.iter().find(|p| &p.name == path).unwrap();
                assert_eq!(p.version, "");
                assert_eq!(
                    p.resolution,
                    Resolution::Path {
                        path: rpath.clone()
                    }
                );
            }
            Some((rpath, rv)) => {
                let p = s.packages.iter().find(|p| &p.name == rpath).unwrap();
                assert_eq!(format!("v{}", p.version), *rv);
            }
            None => {
                let p = s.packages.iter().find(|p| &p.name == path).unwrap();
                assert_eq!(format!("v{}", p.version), *v);
                assert_eq!(p.checksums, vec![sum.clone()]);
            }
        }
    }
    assert_eq!(s.roots[0].dependencies.len(), s.packages.len());
}

#[test]
fn go_binaries_match_go_version_m() {
    let Some(go) = tool("go") else { return };
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("rootfs/usr/local/bin/app");
    std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
    go_build(&go, dir.path(), &bin, &[]);
    // Stripped of symbols and DWARF as release images often are.
    let stripped = dir.path().join("rootfs/opt/app/app-stripped");
    std::fs::create_dir_all(stripped.parent().unwrap()).unwrap();
    go_build(&go, dir.path(), &stripped, &["-ldflags=-s -w"]);

    let mut set = FileSet::new();
    offer_tree(&mut set, &dir.path().join("rootfs"), "", Some(3));
    let a = system::analyze(&set, "img.tar!");
    assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
    let go_sources = only(&a.sources, "go-binary");
    assert_eq!(go_sources.len(), 2);
    for s in &go_sources {
        let bin = if s.path.ends_with("app-stripped") {
            &stripped
        } else {
            &bin
        };
        check_go_source(s, &go, bin);
        assert!(s.path == "img.tar!usr/local/bin/app" || s.path == "img.tar!opt/app/app-stripped");
        for p in &s.packages {
            assert_eq!(p.layer, Some(3));
            assert_eq!(p.locations[0].path, s.path);
        }
    }

    // Truncated and corrupted copies never panic; each is a package list,
    // nothing, or a message.
    let bytes = std::fs::read(&bin).unwrap();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for cut in (0..bytes.len()).step_by(bytes.len() / 97 + 1) {
        // Streamed in odd chunks: what the whole read gives.
        let whole = system::reduce("usr/bin/x", "x", &bytes[..cut]);
        let (streamed, _) = streamed_bytes(&bytes[..cut], 4093 + cut % 5000).unwrap();
        assert_eq!(format!("{streamed:?}"), format!("{whole:?}"));
        let mut m = bytes.clone();
        for _ in 0..64 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let i = (seed as usize) % m.len();
            m[i] = (seed >> 32) as u8;
        }
        let whole = system::reduce("usr/bin/x", "x", &m);
        if let Some((streamed, _)) = streamed_bytes(&m, 1000 + cut % 70_000) {
            assert_eq!(format!("{streamed:?}"), format!("{whole:?}"));
        }
    }
    // A binary cut right after its ELF header: a clear message.
    match system::reduce("usr/bin/x", "x", &bytes[..200]) {
        Content::Nothing(msg) => assert!(!msg.is_empty()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_program_holding_the_go_magic_string_is_not_a_go_binary() {
    // This test executable links the Go reader, so its read-only data
    // holds `\xff Go buildinf:`; it is neither Go nor auditable.
    let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
    assert!(me.windows(14).any(|w| w == b"\xff Go buildinf:"));
    match system::reduce("usr/bin/self", "self", &me) {
        Content::Nothing(msg) => assert!(msg.is_empty(), "{msg}"),
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------- Rust

#[test]
fn rust_auditable_section_added_by_objcopy() {
    let (Some(rustc), Some(objcopy)) = (tool("rustc"), tool("objcopy")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("main.rs");
    std::fs::write(&src, "fn main() { println!(\"hi\"); }\n").unwrap();
    let plain = dir.path().join("plain");
    run(Command::new(rustc).arg(&src).arg("-o").arg(&plain));
    // The cargo-auditable schema: dependencies are indices, kind and root
    // may be omitted.
    let json = r#"{"packages":[
        {"name":"app","version":"0.1.0","source":"local","dependencies":[1,2],"root":true},
        {"name":"serde","version":"1.0.200","source":"crates.io","dependencies":[3]},
        {"name":"cc","version":"1.0.90","source":"crates.io","kind":"build"},
        {"name":"serde_derive","version":"1.0.200","source":"crates.io"},
        {"name":"forked","version":"0.3.0","source":"git"}
    ]}"#;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(json.as_bytes()).unwrap();
    let section = dir.path().join("dep-v0");
    std::fs::write(&section, z.finish().unwrap()).unwrap();
    let bin = dir.path().join("rootfs/usr/bin/app");
    std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
    run(Command::new(objcopy)
        .arg(format!("--add-section=.dep-v0={}", section.display()))
        .arg(&plain)
        .arg(&bin));
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    // The plain binary (no section) embeds nothing, silently.
    let plain_in_tree = dir.path().join("rootfs/usr/bin/plain");
    std::fs::copy(&plain, &plain_in_tree).unwrap();

    let mut set = FileSet::new();
    offer_tree(&mut set, &dir.path().join("rootfs"), "", None);
    let a = system::analyze(&set, "/host");
    assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
    let rs = only(&a.sources, "rust-auditable-binary");
    assert_eq!(rs.len(), 1);
    let s = rs[0];
    assert_eq!(s.path, "/host/usr/bin/app");
    assert_eq!(s.roots.len(), 1);
    assert_eq!(s.roots[0].name, "app");
    let got: BTreeMap<&str, (&str, &str)> = s
        .packages
        .iter()
        .map(|p| (p.name.as_str(), (p.version.as_str(), p.scope.as_str())))
        .collect();
    let want: BTreeMap<&str, (&str, &str)> = [
        ("serde", ("1.0.200", "runtime")),
        ("cc", ("1.0.90", "build")),
        ("serde_derive", ("1.0.200", "runtime")),
        ("forked", ("0.3.0", "runtime")),
    ]
    .into_iter()
    .collect();
    assert_eq!(got, want);
    let serde = s.packages.iter().find(|p| p.name == "serde").unwrap();
    let derive = s
        .packages
        .iter()
        .find(|p| p.name == "serde_derive")
        .unwrap();
    assert_eq!(serde.dependencies, vec![derive.id.clone()]);
    assert_eq!(serde.relation, patchloop_model::Relation::Direct);
    assert_eq!(derive.relation, patchloop_model::Relation::Transitive);
    assert!(matches!(
        s.packages
            .iter()
            .find(|p| p.name == "forked")
            .unwrap()
            .resolution,
        Resolution::Vcs { .. }
    ));

    // A section holding a zip bomb is refused with a message.
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&vec![b' '; 64 * 1024 * 1024]).unwrap();
    std::fs::write(&section, z.finish().unwrap()).unwrap();
    let bomb = dir.path().join("bomb");
    run(Command::new(tool("objcopy").unwrap())
        .arg(format!("--add-section=.dep-v0={}", section.display()))
        .arg(&plain)
        .arg(&bomb));
    match system::reduce("usr/bin/bomb", "bomb", &std::fs::read(&bomb).unwrap()) {
        Content::Nothing(msg) => assert!(msg.contains("more than"), "{msg}"),
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------- Large executables

/// Stream `file` through a layer collector, with the extra passes a layer
/// gives it: what it gives, and the collector (for its statistics).
fn streamed(file: &Path) -> (Content, Collector) {
    let bytes = std::fs::read(file).unwrap();
    streamed_bytes(&bytes, 64 * 1024).unwrap()
}

/// A reader handing out at most `n` bytes per read.
struct Chunky<'a>(&'a [u8], usize);

impl std::io::Read for Chunky<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.len().min(self.1).min(buf.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// [`streamed`] for bytes in memory fed `chunk` bytes at a time (`None`
/// after 8 passes).
fn streamed_bytes(bytes: &[u8], chunk: usize) -> Option<(Content, Collector)> {
    let mut c = Collector::new(bytes.len() as u64);
    for _ in 0..8 {
        match c.read_from(Chunky(bytes, chunk)).unwrap() {
            Outcome::Done(found) => return Some((system::lang::content_of(Ok(found)), c)),
            Outcome::Bad(m) => return Some((Content::Nothing(m), c)),
            Outcome::Again => c.restart(),
        }
    }
    None
}

/// A legacy `docker save` archive at `out` with one uncompressed layer
/// holding `files` (tree path, file on disk, mode), written from the
/// files without holding them in memory.
fn docker_archive(out: &Path, files: &[(&str, &Path, u32)]) {
    use sha2::{Digest, Sha256};
    let layer = out.with_extension("layer.tar");
    let mut b = tar::Builder::new(std::fs::File::create(&layer).unwrap());
    for (tree, file, mode) in files {
        let mut h = tar::Header::new_ustar();
        h.set_size(std::fs::metadata(file).unwrap().len());
        h.set_mode(*mode);
        b.append_data(&mut h, tree, std::fs::File::open(file).unwrap())
            .unwrap();
    }
    b.finish().unwrap();
    drop(b);
    let mut hasher = Sha256::new();
    std::io::copy(&mut std::fs::File::open(&layer).unwrap(), &mut hasher).unwrap();
    let diff: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{diff}")]},
    }))
    .unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!([
        {"Config": "config.json", "RepoTags": ["big:1"], "Layers": ["l0/layer.tar"]}
    ]))
    .unwrap();
    let mut b = tar::Builder::new(std::fs::File::create(out).unwrap());
    b.append_path_with_name(&layer, "l0/layer.tar").unwrap();
    for (name, data) in [("config.json", config), ("manifest.json", manifest)] {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, data.as_slice()).unwrap();
    }
    b.finish().unwrap();
    std::fs::remove_file(layer).unwrap();
}

/// The sources of an image and of a rootfs holding the same files.
fn image_and_rootfs(dir: &Path, root: &Path, files: &[(&str, &Path, u32)]) -> [Vec<SourceFile>; 2] {
    let image = dir.join("big.tar");
    docker_archive(&image, files);
    let from_image = system::inventory_image(&image, &Default::default()).unwrap();
    let from_rootfs = system::inventory_rootfs(root, &Default::default()).unwrap();
    for inv in [&from_image, &from_rootfs] {
        assert!(inv.diagnostics.is_empty(), "{:?}", inv.diagnostics);
    }
    [from_image.sources, from_rootfs.sources]
}

#[test]
fn go_binary_of_110_mib_in_an_image_and_a_rootfs() {
    let Some(go) = tool("go") else { return };
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("rootfs/usr/local/bin/app");
    std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
    // 110 MiB of read-only data embedded in the program.
    let pad = vec![0x5au8; 110 << 20];
    let pad_go = "package main\n\nimport _ \"embed\"\n\n//go:embed pad.bin\nvar pad string\n\nfunc init() {\n\tif len(pad) == 1 {\n\t\tprintln()\n\t}\n}\n";
    go_build_with(
        &go,
        dir.path(),
        &bin,
        &[],
        &[("pad.go", pad_go.as_bytes()), ("pad.bin", &pad)],
    );
    drop(pad);
    let size = std::fs::metadata(&bin).unwrap().len();
    assert!(size > 110 << 20, "{size}");

    // Streamed as from a layer: one pass, little kept.
    let (content, c) = streamed(&bin);
    let Content::Parsed(s) = content else {
        panic!("{content:?}")
    };
    check_go_source(&s, &go, &bin);
    assert_eq!(c.passes(), 1);
    assert!(c.peak_held() <= 1 << 20, "kept {} bytes", c.peak_held());
    assert!(c.peak_held() <= ranges::MAX_HELD);

    let all = image_and_rootfs(
        dir.path(),
        &dir.path().join("rootfs"),
        &[("usr/local/bin/app", &bin, 0o755)],
    );
    for sources in &all {
        let go_sources = only(sources, "go-binary");
        assert_eq!(go_sources.len(), 1);
        check_go_source(go_sources[0], &go, &bin);
    }
}

#[test]
fn auditable_section_behind_the_stream_is_read_in_another_pass() {
    let (Some(rustc), Some(objcopy), Some(readelf)) =
        (tool("rustc"), tool("objcopy"), tool("readelf"))
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("main.rs");
    std::fs::write(&src, "fn main() { println!(\"hi\"); }\n").unwrap();
    let plain = dir.path().join("plain");
    run(Command::new(rustc).arg(&src).arg("-o").arg(&plain));
    let json = r#"{"packages":[
        {"name":"app","version":"0.1.0","source":"local","dependencies":[1],"root":true},
        {"name":"serde","version":"1.0.200","source":"crates.io"}
    ]}"#;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(json.as_bytes()).unwrap();
    let section = dir.path().join("dep-v0");
    std::fs::write(&section, z.finish().unwrap()).unwrap();
    // 20 MiB of another section after `.dep-v0`: the section headers (at
    // the end) name `.dep-v0` only after the stream has passed it.
    let pad = dir.path().join("pad");
    std::fs::write(&pad, vec![7u8; 20 << 20]).unwrap();
    let bin = dir.path().join("rootfs/usr/bin/app");
    std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
    run(Command::new(&objcopy)
        .arg(format!("--add-section=.dep-v0={}", section.display()))
        .arg(&plain)
        .arg(dir.path().join("with-dep")));
    run(Command::new(&objcopy)
        .arg(format!("--add-section=.zpad={}", pad.display()))
        .arg(dir.path().join("with-dep"))
        .arg(&bin));
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    // The layout, as readelf reads it: `.dep-v0` lies more than
    // BEFORE_SECTIONS before the section header table.
    let sections = run(Command::new(&readelf).arg("-SW").arg(&bin));
    let header = run(Command::new(&readelf).arg("-hW").arg(&bin));
    let dep_offset = sections
        .lines()
        .find(|l| l.contains(".dep-v0"))
        .and_then(|l| l.split_whitespace().skip_while(|w| *w != ".dep-v0").nth(3))
        .map(|h| u64::from_str_radix(h, 16).unwrap())
        .unwrap();
    let shoff: u64 = header
        .lines()
        .find(|l| l.contains("Start of section headers"))
        .and_then(|l| l.split(':').nth(1))
        .and_then(|v| v.split_whitespace().next())
        .map(|v| v.parse().unwrap())
        .unwrap();
    assert!(
        dep_offset + ranges::BEFORE_SECTIONS < shoff,
        "{dep_offset} {shoff}"
    );

    let (content, c) = streamed(&bin);
    assert_eq!(c.passes(), 2);
    assert!(c.peak_held() <= 1 << 20, "kept {} bytes", c.peak_held());
    let whole = system::reduce("usr/bin/app", "app", &std::fs::read(&bin).unwrap());
    assert_eq!(format!("{content:?}"), format!("{whole:?}"));

    let all = image_and_rootfs(
        dir.path(),
        &dir.path().join("rootfs"),
        &[("usr/bin/app", &bin, 0o755)],
    );
    for sources in &all {
        let rs = only(sources, "rust-auditable-binary");
        assert_eq!(rs.len(), 1);
        assert_eq!(rs[0].roots[0].name, "app");
        let got: Vec<(&str, &str)> = rs[0]
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(got, [("serde", "1.0.200")]);
    }
}

#[test]
fn streamed_executables_of_this_machine_match_whole_reads() {
    // Every executable above 1 MiB in the usual directories (Go, C, C++
    // and Rust programs, whatever this machine has): read by ranges from
    // a stream, from the file with seeks, and whole, the same packages.
    let mut checked = 0;
    let mut bytes_total = 0u64;
    for d in ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/libexec"] {
        for e in walkdir::WalkDir::new(d).max_depth(2).follow_links(false) {
            let Ok(e) = e else { continue };
            let Ok(meta) = e.metadata() else { continue };
            if !meta.is_file() || meta.len() < 1 << 20 || meta.permissions().mode() & 0o111 == 0 {
                continue;
            }
            let Ok(bytes) = std::fs::read(e.path()) else {
                continue;
            };
            let whole = format!("{:?}", system::reduce("usr/bin/x", "x", &bytes));
            let elf = bytes.starts_with(b"\x7fELF");
            drop(bytes);
            let bytes = std::fs::read(e.path()).unwrap();
            let chunk = [65_536, 4093, 1 << 20][checked % 3];
            let (content, c) = streamed_bytes(&bytes, chunk).unwrap();
            drop(bytes);
            assert_eq!(format!("{content:?}"), whole, "{}", e.path().display());
            let ranged =
                system::lang::reduce_file(std::fs::File::open(e.path()).unwrap(), meta.len());
            assert_eq!(format!("{ranged:?}"), whole, "{}", e.path().display());
            assert!(c.peak_held() <= ranges::MAX_HELD);
            // What real ELF programs need: well under 1 MiB.
            if elf {
                assert!(
                    c.peak_held() <= 1 << 20,
                    "{}: kept {}",
                    e.path().display(),
                    c.peak_held()
                );
            }
            if c.passes() > 1 {
                eprintln!("{}: {} passes", e.path().display(), c.passes());
            }
            checked += 1;
            bytes_total += meta.len();
        }
    }
    eprintln!("{checked} executables, {bytes_total} bytes");
}

// ---------------------------------------------------------------- Python

/// (PEP 503 name, version) of every distribution `importlib.metadata`
/// finds directly in `dir`.
fn importlib_dists(dir: &Path) -> BTreeSet<(String, String)> {
    let script = "import sys, importlib.metadata as m, re\n\
        for d in m.distributions(path=[sys.argv[1]]):\n\
        \x20   n = d.metadata['Name']\n\
        \x20   if n: print(re.sub(r'[-_.]+', '-', n).lower() + '\\t' + d.version)\n";
    let out = run(Command::new("python3").arg("-c").arg(script).arg(dir));
    out.lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

#[test]
fn python_site_packages_of_this_machine() {
    let Some(_) = tool("python3") else { return };
    let paths = run(Command::new("python3").args([
        "-c",
        "import sys, site\nfor p in sys.path + site.getsitepackages(): print(p)",
    ]));
    let mut dirs: BTreeSet<PathBuf> = paths
        .lines()
        .map(PathBuf::from)
        .filter(|p| {
            p.is_dir()
                && matches!(
                    p.file_name().and_then(|n| n.to_str()),
                    Some("site-packages" | "dist-packages")
                )
        })
        .collect();
    let system = PathBuf::from("/usr/lib/python3/dist-packages");
    if system.is_dir() {
        dirs.insert(system);
    }
    assert!(!dirs.is_empty(), "no site-packages on this machine");
    let mut checked = 0;
    for dir in dirs {
        let reference = importlib_dists(&dir);
        if reference.is_empty() {
            continue;
        }
        let mut set = FileSet::new();
        // Only the metadata: offer the direct children's files.
        for e in walkdir::WalkDir::new(&dir).max_depth(2) {
            let Ok(e) = e else { continue };
            if e.file_type().is_file() {
                let rel = e.path().strip_prefix(&dir).unwrap().to_string_lossy();
                offer(
                    &mut set,
                    &format!("root/site-packages/{rel}"),
                    e.path(),
                    Some(0),
                );
            }
        }
        let a = system::analyze(&set, "");
        let srcs = only(&a.sources, "python-dist-info");
        assert_eq!(srcs.len(), 1, "{}", dir.display());
        assert_eq!(srcs[0].path, "root/site-packages");
        let got: BTreeSet<(String, String)> = srcs[0]
            .packages
            .iter()
            .map(|p| {
                (
                    patchloop_model::purl::pep503_normalize(&p.name),
                    p.version.clone(),
                )
            })
            .collect();
        assert_eq!(got, reference, "{}", dir.display());
        for p in &srcs[0].packages {
            let loc = &p.locations[0].path;
            assert!(
                loc.ends_with("/METADATA")
                    || loc.ends_with("/PKG-INFO")
                    || loc.ends_with(".egg-info"),
                "{loc}"
            );
        }
        checked += reference.len();
    }
    assert!(checked > 10, "only {checked} distributions compared");
}

#[test]
fn python_edge_cases() {
    let dir = tempfile::tempdir().unwrap();
    let sp = dir.path().join("app/.venv/lib/python3.12/site-packages");
    let w = |rel: &str, text: &[u8]| {
        let p = sp.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w(
        "Foo.Bar-1.0.dist-info/METADATA",
        b"Metadata-Version: 2.1\nName: Foo.Bar\nVersion: 1.0\n\nbody\n",
    );
    w(
        "old-0.1-py3.12.egg-info",
        b"Metadata-Version: 1.0\nName: old\nVersion: 0.1\n",
    );
    w(
        "dir_egg.egg-info/PKG-INFO",
        b"Metadata-Version: 1.1\nName: dir-egg\nVersion: 2.0b1\n",
    );
    w(
        "broken-1.dist-info/METADATA",
        b"Metadata-Version: 2.1\nName: broken\n",
    );
    w("empty-1.dist-info/METADATA", b"");
    // Vendored metadata is not an installed distribution.
    w(
        "pip/_vendor/six-1.16.0.dist-info/METADATA",
        b"Name: six\nVersion: 1.16.0\n",
    );
    let mut set = FileSet::new();
    offer_tree(&mut set, dir.path(), "", None);
    let a = system::analyze(&set, "/srv");
    let s = only(&a.sources, "python-dist-info");
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].path, "/srv/app/.venv/lib/python3.12/site-packages");
    let got: BTreeSet<String> = s[0].packages.iter().map(|p| p.purl.clone()).collect();
    let want: BTreeSet<String> = [
        "pkg:pypi/foo-bar@1.0",
        "pkg:pypi/old@0.1",
        "pkg:pypi/dir-egg@2.0b1",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(got, want);
    let msgs: Vec<String> = a.diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert!(
        msgs.iter()
            .any(|m| m.contains("broken-1.dist-info/METADATA")
                && m.contains("without a `Version:` header"))
    );
    assert!(
        msgs.iter()
            .any(|m| m.contains("empty-1.dist-info/METADATA") && m.contains("empty"))
    );
}

// ---------------------------------------------------------------- Node

#[test]
fn npm_node_modules_match_npm_ls() {
    let root = Path::new("/usr/lib/node_modules/npm");
    if !root.join("node_modules").is_dir() {
        eprintln!("SKIPPED: no npm installation at {}", root.display());
        return;
    }
    let Some(npm) = tool("npm") else { return };
    // `npm ls --parseable --long`: `DIR:name@version` for every node of
    // the actual tree.
    let out = Command::new(npm)
        .current_dir(root)
        .args(["ls", "--all", "--parseable", "--long", "--offline"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut reference: BTreeSet<(String, String)> = BTreeSet::new();
    for l in text.lines() {
        let Some((dir, spec)) = l.split_once(':') else {
            continue;
        };
        if Path::new(dir) == root {
            continue;
        }
        let spec = spec.split(':').next().unwrap();
        let at = spec.rfind('@').unwrap();
        let rel = Path::new(dir).strip_prefix(root).unwrap().to_string_lossy();
        reference.insert((
            format!("npm/{rel}/package.json"),
            format!("{}@{}", &spec[..at], &spec[at + 1..]),
        ));
    }
    assert!(reference.len() > 50);
    let mut set = FileSet::new();
    offer_tree(
        &mut set,
        &root.join("node_modules"),
        "npm/node_modules/",
        None,
    );
    let a = system::analyze(&set, "");
    let s = only(&a.sources, "node-package-json");
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].path, "npm/node_modules");
    let got: BTreeSet<(String, String)> = s[0]
        .packages
        .iter()
        .flat_map(|p| {
            p.locations
                .iter()
                .map(move |l| (l.path.clone(), format!("{}@{}", p.name, p.version)))
        })
        .collect();
    assert_eq!(got, reference);
}

#[test]
fn node_modules_edge_cases() {
    let dir = tempfile::tempdir().unwrap();
    let w = |rel: &str, text: &str| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w("app/package.json", r#"{"name":"app","version":"1.0.0"}"#);
    w(
        "app/node_modules/a/package.json",
        r#"{"name":"a","version":"1.0.0"}"#,
    );
    w(
        "app/node_modules/@s/b/package.json",
        r#"{"name":"@s/b","version":"2.0.0"}"#,
    );
    w(
        "app/node_modules/@s/b/node_modules/a/package.json",
        r#"{"name":"a","version":"0.9.0"}"#,
    );
    // The same version installed twice: one package, two locations.
    w(
        "app/node_modules/c/node_modules/a/package.json",
        r#"{"name":"a","version":"0.9.0"}"#,
    );
    w(
        "app/node_modules/c/package.json",
        r#"{"name":"c","version":"3.0.0"}"#,
    );
    // Fixtures and incomplete manifests are not packages.
    w(
        "app/node_modules/c/test/fixtures/node_modules/x/package.json",
        r#"{"name":"x","version":"6.6.6"}"#,
    );
    w(
        "app/node_modules/c/lib/package.json",
        r#"{"type":"module"}"#,
    );
    w("app/node_modules/nover/package.json", r#"{"name":"nover"}"#);
    w("app/node_modules/bad/package.json", "{ not json");
    // A lockfile inside node_modules is not read; the app's is.
    w(
        "app/node_modules/a/package-lock.json",
        r#"{"lockfileVersion":3,"packages":{"":{},"node_modules/z":{"version":"9.9.9"}}}"#,
    );
    w(
        "app/package-lock.json",
        r#"{"name":"app","lockfileVersion":3,"packages":{"":{"name":"app","dependencies":{"a":"^1"}},"node_modules/a":{"version":"1.0.0"}}}"#,
    );
    let mut set = FileSet::new();
    offer_tree(&mut set, dir.path(), "", Some(1));
    let a = system::analyze(&set, "x.tar!");
    let s = only(&a.sources, "node-package-json");
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].path, "x.tar!app/node_modules");
    let got: BTreeMap<String, usize> = s[0]
        .packages
        .iter()
        .map(|p| (p.purl.clone(), p.locations.len()))
        .collect();
    let want: BTreeMap<String, usize> = [
        ("pkg:npm/a@1.0.0", 1),
        ("pkg:npm/a@0.9.0", 2),
        ("pkg:npm/%40s/b@2.0.0", 1),
        ("pkg:npm/c@3.0.0", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(got, want);
    assert_eq!(a.diagnostics.len(), 1, "{:?}", a.diagnostics);
    assert!(
        a.diagnostics[0]
            .path
            .ends_with("node_modules/bad/package.json")
    );
    let locks = only(&a.sources, "package-lock");
    assert_eq!(locks.len(), 1);
    assert_eq!(locks[0].path, "x.tar!app/package-lock.json");
    assert_eq!(locks[0].packages.len(), 1);
    assert_eq!(locks[0].packages[0].layer, Some(1));
}

// ---------------------------------------------------------------- lockfiles

#[test]
fn real_lockfiles_in_a_tree() {
    let Some(dir) = patchloop_testdata::shared_data("lockfiles") else {
        return;
    };
    // Every lockfile-type file of the corpus (go.mod, pom.xml and
    // requirements are not read in trees).
    let mut lockfiles: Vec<PathBuf> = walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_map(|e| e.ok().map(|e| e.into_path()))
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            let name = n.rsplit("__").next().unwrap();
            patchloop_inventory::Format::detect(name, None)
                .is_some_and(|f| system::lang::lockfiles::FORMATS.contains(&f))
        })
        .collect();
    lockfiles.sort();
    assert!(lockfiles.len() >= 10, "{lockfiles:?}");
    let mut set = FileSet::new();
    let mut expected = Vec::new();
    for (i, f) in lockfiles.iter().enumerate() {
        let n = f.file_name().unwrap().to_string_lossy();
        let name = n.rsplit("__").next().unwrap();
        let tree = format!("srv/app{i}/{name}");
        offer(&mut set, &tree, f, Some(2));
        let format = patchloop_inventory::Format::detect(name, None).unwrap();
        let reference =
            patchloop_inventory::parse_path(f, &format!("/r/{tree}"), format, Default::default())
                .unwrap();
        expected.push(reference.source);
        // Copies under dependency directories are not read.
        offer(&mut set, &format!("srv/app{i}/vendor/x/{name}"), f, Some(2));
    }
    let a = system::analyze(&set, "/r");
    let mut got: Vec<SourceFile> = a.sources.clone();
    got.sort_by(|x, y| x.path.cmp(&y.path));
    expected.sort_by(|x, y| x.path.cmp(&y.path));
    assert_eq!(got.len(), expected.len());
    for (g, mut e) in got.into_iter().zip(expected) {
        for p in &mut e.packages {
            p.layer = Some(2);
        }
        assert_eq!(g, e);
    }
}

// ---------------------------------------------------------------- Java

fn jar(jar_tool: &Path, out: &Path, dir: &Path, manifest: Option<&Path>) {
    let mut c = Command::new(jar_tool);
    match manifest {
        Some(m) => c.arg("cfm").arg(out).arg(m),
        None => c.arg("cf").arg(out),
    };
    run(c.arg("-C").arg(dir).arg("."));
}

#[test]
fn jars_built_by_the_jar_tool() {
    let Some(jt) = tool("jar") else { return };
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let w = |rel: &str, text: &str| {
        let f = p.join(rel);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, text).unwrap();
    };
    // A library jar with Maven metadata.
    w(
        "lib/META-INF/maven/org.example/lib/pom.properties",
        "#Generated by Maven\ngroupId=org.example\nartifactId=lib\nversion=1.4.2\n",
    );
    w("lib/org/example/Lib.class", "not really a class");
    jar(&jt, &p.join("lib-1.4.2.jar"), &p.join("lib"), None);
    // A jar with only a manifest.
    w("plain/x.txt", "x");
    w(
        "plain.mf",
        "Implementation-Vendor-Id: com.acme\nImplementation-Version: 0.7\n",
    );
    jar(
        &jt,
        &p.join("widget-0.7.jar"),
        &p.join("plain"),
        Some(&p.join("plain.mf")),
    );
    // A Spring Boot style fat jar holding both, plus its own coordinates.
    w(
        "fat/META-INF/maven/com.acme/app/pom.properties",
        "groupId=com.acme\nartifactId=app\nversion=3.0.0\n",
    );
    std::fs::create_dir_all(p.join("fat/BOOT-INF/lib")).unwrap();
    std::fs::copy(
        p.join("lib-1.4.2.jar"),
        p.join("fat/BOOT-INF/lib/lib-1.4.2.jar"),
    )
    .unwrap();
    std::fs::copy(
        p.join("widget-0.7.jar"),
        p.join("fat/BOOT-INF/lib/widget-0.7.jar"),
    )
    .unwrap();
    let rootfs = p.join("rootfs/opt/app");
    std::fs::create_dir_all(&rootfs).unwrap();
    jar(&jt, &rootfs.join("app.jar"), &p.join("fat"), None);
    // Check the nesting with the jar tool itself.
    let listing = run(Command::new(&jt).arg("tf").arg(rootfs.join("app.jar")));
    assert!(listing.lines().any(|l| l == "BOOT-INF/lib/lib-1.4.2.jar"));
    // A corrupt archive.
    std::fs::write(rootfs.join("broken.jar"), b"PK\x03\x04 truncated").unwrap();

    let mut set = FileSet::new();
    offer_tree(&mut set, &p.join("rootfs"), "", Some(5));
    let a = system::analyze(&set, "i.tar!");
    let jars = only(&a.sources, "jar");
    assert_eq!(jars.len(), 1);
    assert_eq!(jars[0].path, "i.tar!opt/app/app.jar");
    let got: BTreeMap<String, Vec<String>> = jars[0]
        .packages
        .iter()
        .map(|p| {
            assert_eq!(p.layer, Some(5));
            (
                format!("{}@{}", p.name, p.version),
                p.locations.iter().map(|l| l.path.clone()).collect(),
            )
        })
        .collect();
    let want: BTreeMap<String, Vec<String>> = [
        (
            "com.acme:app@3.0.0",
            "i.tar!opt/app/app.jar!/META-INF/maven/com.acme/app/pom.properties",
        ),
        (
            "org.example:lib@1.4.2",
            "i.tar!opt/app/app.jar!/BOOT-INF/lib/lib-1.4.2.jar!/META-INF/maven/org.example/lib/pom.properties",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
    .collect();
    assert_eq!(got, want);
    let guessed = only(&a.sources, "jar-manifest");
    assert_eq!(guessed.len(), 1);
    assert_eq!(guessed[0].packages.len(), 1);
    let g = &guessed[0].packages[0];
    assert_eq!(
        (g.name.as_str(), g.version.as_str()),
        ("com.acme:widget", "0.7")
    );
    assert_eq!(
        g.locations[0].path,
        "i.tar!opt/app/app.jar!/BOOT-INF/lib/widget-0.7.jar!/META-INF/MANIFEST.MF"
    );
    assert_eq!(a.diagnostics.len(), 1, "{:?}", a.diagnostics);
    assert_eq!(a.diagnostics[0].path, "i.tar!opt/app/broken.jar");
    assert!(a.diagnostics[0].message.contains("zip"));

    // Truncations of the fat jar never panic.
    let bytes = std::fs::read(rootfs.join("app.jar")).unwrap();
    for cut in 0..bytes.len() {
        let _ = system::reduce("a.jar", "a.jar", &bytes[..cut]);
    }
}

/// This machine's `/usr` as a tree (run by hand: `cargo test -p
/// patchloop-inventory --test system_lang -- --ignored --nocapture`):
/// prints what was found and how long it took; fails on a diagnostic
/// that is not about one file.
#[test]
#[ignore]
fn this_hosts_usr_tree() {
    let start = std::time::Instant::now();
    let mut set = FileSet::new();
    let mut offered = 0usize;
    for e in walkdir::WalkDir::new("/usr").follow_links(false) {
        let Ok(e) = e else { continue };
        if !e.file_type().is_file() {
            continue;
        }
        offered += 1;
        let rel = e.path().strip_prefix("/").unwrap().to_string_lossy();
        offer(&mut set, &rel, e.path(), None);
    }
    let a = system::analyze(&set, "/");
    let mut by_format: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for s in &a.sources {
        let e = by_format.entry(s.format.as_str()).or_default();
        e.0 += 1;
        e.1 += s.packages.len();
    }
    eprintln!(
        "{offered} files offered, {} kept, {:?}; {:?}",
        set.len(),
        start.elapsed(),
        by_format
    );
    for s in &a.sources {
        if !matches!(s.format.as_str(), "jar" | "go-binary") {
            eprintln!("{} {} {}", s.format, s.path, s.packages.len());
        }
        if s.format == "jar-manifest" {
            eprintln!("  {} {}", s.packages[0].name, s.packages[0].version);
        }
    }
    for d in &a.diagnostics {
        eprintln!("{d}");
        assert!(d.path.starts_with("/usr/"));
    }
}
