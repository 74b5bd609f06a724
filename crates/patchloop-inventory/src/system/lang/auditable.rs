//! Rust executables built with `cargo auditable`: the `.dep-v0` ELF
//! section holds zlib-compressed JSON (`{"packages": [{"name", "version",
//! "source", "kind", "dependencies", "root"}]}`, dependencies as indices
//! into `packages`; `kind` defaults to `runtime`, `root` to false).
//!
//! Packages from `crates.io`, another `registry` or `git` become crates.io
//! packages (git ones with a `vcs` resolution, as in `Cargo.lock`);
//! `local` packages (the root, workspace members, path dependencies) are
//! roots, never matched against advisories, as `Cargo.lock` path packages
//! are. Decompression stops at [`MAX_JSON`] bytes.

use std::io::Read;

use patchloop_model::{Ecosystem, Package, Relation, Resolution, Root, Scope, SourceFile};
use serde::Deserialize;

use super::binary::Elf;
use super::ranges::{Fail, Source};
use super::rel_location;

pub const FORMAT: &str = "rust-auditable-binary";
pub const SECTION: &str = ".dep-v0";
/// Largest decompressed dependency list accepted (real ones are a few
/// tens of KiB).
pub const MAX_JSON: u64 = 8 * 1024 * 1024;
/// Most packages accepted.
const MAX_PACKAGES: usize = 100_000;

#[derive(Deserialize)]
struct VersionInfo {
    packages: Vec<AuditPackage>,
}

#[derive(Deserialize)]
struct AuditPackage {
    name: String,
    version: String,
    source: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    dependencies: Vec<usize>,
    #[serde(default)]
    root: bool,
}

/// Decompress and parse the content of a `.dep-v0` section.
pub fn parse_section(compressed: &[u8]) -> Result<SourceFile, String> {
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(compressed)
        .take(MAX_JSON + 1)
        .read_to_end(&mut json)
        .map_err(|e| format!("`{SECTION}` section: bad zlib data: {e}"))?;
    if json.len() as u64 > MAX_JSON {
        return Err(format!(
            "`{SECTION}` section decompresses to more than {MAX_JSON} bytes"
        ));
    }
    let info: VersionInfo = serde_json::from_slice(&json)
        .map_err(|e| format!("`{SECTION}` section: invalid dependency JSON: {e}"))?;
    if info.packages.len() > MAX_PACKAGES {
        return Err(format!(
            "`{SECTION}` section lists {} packages (at most {MAX_PACKAGES} read)",
            info.packages.len()
        ));
    }
    Ok(to_source(&info))
}

fn to_source(info: &VersionInfo) -> SourceFile {
    let mut source = SourceFile::new("", FORMAT, Ecosystem::CRATES_IO);
    // Id of every entry; None for local packages (roots).
    let mut ids: Vec<Option<String>> = Vec::with_capacity(info.packages.len());
    let mut seen = std::collections::HashSet::new();
    for a in &info.packages {
        if a.source == "local" {
            ids.push(None);
            continue;
        }
        let mut p = Package::new(Ecosystem::CRATES_IO, a.name.as_str(), a.version.as_str());
        if a.source == "git" {
            p.resolution = Resolution::Vcs {
                url: String::new(),
                rev: None,
            };
        }
        if a.kind.as_deref() == Some("build") {
            p.scope = Scope::Build;
        }
        p.relation = Relation::Transitive;
        p.locations.push(rel_location(""));
        // The same crate twice (two sources): keep ids unique.
        let mut id = p.id.clone();
        let mut n = 1;
        while !seen.insert(id.clone()) {
            n += 1;
            id = format!("{}#{n}", p.id);
        }
        p.id = id.clone();
        ids.push(Some(id));
        source.packages.push(p);
    }
    let deps_of = |a: &AuditPackage| -> Vec<String> {
        let mut d: Vec<String> = a
            .dependencies
            .iter()
            .filter_map(|&i| ids.get(i).cloned().flatten())
            .collect();
        d.sort();
        d.dedup();
        d
    };
    let mut direct = std::collections::HashSet::new();
    for (a, id) in info.packages.iter().zip(&ids) {
        let deps = deps_of(a);
        match id {
            None => {
                direct.extend(deps.iter().cloned());
                source.roots.push(Root {
                    name: a.name.clone(),
                    version: a.version.clone(),
                    path: None,
                    dependencies: deps,
                });
            }
            Some(id) => {
                if let Some(p) = source.packages.iter_mut().find(|p| &p.id == id) {
                    p.dependencies = deps;
                }
            }
        }
    }
    // The root package first, as in Cargo.lock output.
    source.roots.sort_by_key(|r| {
        !info
            .packages
            .iter()
            .any(|a| a.root && a.name == r.name && a.version == r.version)
    });
    for p in &mut source.packages {
        if direct.contains(&p.id) {
            p.relation = Relation::Direct;
        }
    }
    source
}

/// Largest `.dep-v0` section read (real ones are a few KiB).
pub const MAX_SECTION: u64 = 8 * 1024 * 1024;

/// The crates an auditable ELF executable embeds.
pub fn reduce(src: &dyn Source, elf: &Elf) -> Result<Option<SourceFile>, Fail> {
    let Some(section) = elf.section(SECTION) else {
        return Ok(None);
    };
    let data = elf.section_data(src, section, MAX_SECTION)?;
    Ok(Some(parse_section(&data)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zlib(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn bombs_and_garbage_are_refused() {
        let big = vec![b' '; (MAX_JSON + 10) as usize];
        assert!(
            parse_section(&zlib(&big))
                .unwrap_err()
                .contains("more than")
        );
        assert!(parse_section(b"not zlib").unwrap_err().contains("zlib"));
        assert!(parse_section(&zlib(b"{}")).unwrap_err().contains("JSON"));
        let bad_index = br#"{"packages":[{"name":"a","version":"1.0.0","source":"local","root":true,"dependencies":[7]}]}"#;
        let s = parse_section(&zlib(bad_index)).unwrap();
        assert!(s.roots[0].dependencies.is_empty());
    }
}
