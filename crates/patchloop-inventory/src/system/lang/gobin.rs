//! Go build information embedded in executables (`go version -m`).
//!
//! The linker writes a 32-byte header that starts with the magic
//! `\xff Go buildinf:` at a 16-byte aligned address: in ELF files the
//! `.go.buildinfo` section, otherwise the start of the first writable,
//! non-executable segment; byte 14 is the pointer size, byte 15 the flags.
//!
//! - Go ≥ 1.18 (flag bit 2): the header is followed by the Go version and
//!   the module information as two varint-length-prefixed strings.
//! - Older Go: bytes 16.. hold two pointers (pointer size, byte order from
//!   flag bit 1) to Go string headers `{data pointer, length}` for the
//!   version and the module information, resolved through the ELF
//!   program headers. Only ELF files are read in this form.
//!
//! The module information is framed by two 16-byte sentinels and holds
//! tab-separated lines: `path` (the main package), `mod` (the main
//! module), `dep` (a module in the build), `=>` (the replacement of the
//! line before) and `build` settings. The main module becomes a root;
//! each `dep` a Go package (a replacement by a module takes its path and
//! version; a replacement by a directory, written with version `(devel)`,
//! keeps the original path with a `path` resolution and no version, as
//! `go.mod` does); the toolchain
//! becomes the package `stdlib` at its version (`go1.22.5` → `1.22.5`,
//! `go1.21rc2` → `1.21.0-rc.2`), the name the Go vulnerability database
//! uses for standard library advisories.

use patchloop_model::{Ecosystem, Package, Relation, Resolution, Root, SourceFile};

use super::binary::{Elf, Endian, SHT_NOBITS, first_data_segment};
use super::ranges::{Fail, Source};
use super::rel_location;
use crate::formats::go::osv_version;

pub const FORMAT: &str = "go-binary";
pub const MAGIC: &[u8] = b"\xff Go buildinf:";
const HEADER: usize = 32;
const ALIGN: usize = 16;
/// Bytes searched from the start of the data region (as the Go tools do).
const SEARCH: usize = 64 * 1024;
/// Longest version or module information string accepted.
const MAX_STRING: u64 = 16 * 1024 * 1024;

/// The two strings of a build information blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo {
    pub go_version: String,
    pub modinfo: String,
}

fn varint(b: &[u8]) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    for (i, &byte) in b.iter().enumerate().take(10) {
        v |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// Read a varint-length-prefixed string at file offset `at`, not past
/// `limit`; returns the string and the offset after it.
fn inline_string(src: &dyn Source, at: u64, limit: u64) -> Result<(Vec<u8>, u64), Fail> {
    let truncated = || Fail::Bad("Go build information truncated".into());
    let room = limit.saturating_sub(at);
    let head = src.read_at(at, room.min(10))?.ok_or_else(truncated)?;
    let (len, n) = varint(&head).ok_or("bad string length in Go build information")?;
    if len > MAX_STRING {
        return Err(Fail::Bad(format!(
            "Go build information string of {len} bytes"
        )));
    }
    let start = at + n as u64;
    if len > limit.saturating_sub(start) {
        return Err(truncated());
    }
    let s = src.read_at(start, len)?.ok_or_else(truncated)?;
    Ok((s.into_owned(), start + len))
}

/// Decode the blob at file offset `at` (which starts with the magic); it
/// may not extend past `limit`.
fn decode(src: &dyn Source, at: u64, limit: u64, elf: Option<&Elf>) -> Result<BuildInfo, Fail> {
    let truncated = || Fail::Bad("Go build information truncated".into());
    if limit.saturating_sub(at) < HEADER as u64 {
        return Err(truncated());
    }
    let blob = src.read_at(at, HEADER as u64)?.ok_or_else(truncated)?;
    let ptr_size = *blob.get(14).ok_or_else(truncated)? as usize;
    let flags = *blob.get(15).ok_or_else(truncated)?;
    let (vers, modinfo): (Vec<u8>, Vec<u8>) = if flags & 2 != 0 {
        let (v, next) = inline_string(src, at + HEADER as u64, limit)?;
        let (m, _) = inline_string(src, next, limit)?;
        (v, m)
    } else {
        let Some(elf) = elf else {
            return Err(
                "Go build information in the pre-1.18 pointer form is only read from ELF files"
                    .into(),
            );
        };
        if ptr_size != 4 && ptr_size != 8 {
            return Err(Fail::Bad(format!(
                "Go build information with pointer size {ptr_size}"
            )));
        }
        let e = Endian {
            little: flags & 1 == 0,
        };
        let read = |ptr_at: usize| -> Result<Vec<u8>, Fail> {
            let addr = e.word(&blob, ptr_at, ptr_size).ok_or_else(truncated)?;
            let hdr = elf
                .read_addr(src, addr, 2 * ptr_size as u64)?
                .filter(|h| h.len() == 2 * ptr_size)
                .ok_or_else(|| format!("Go string header at {addr:#x} is not in the file"))?;
            let data = e.word(&hdr, 0, ptr_size).unwrap_or(0);
            let len = e.word(&hdr, ptr_size, ptr_size).unwrap_or(0);
            if len > MAX_STRING {
                return Err(Fail::Bad(format!(
                    "Go build information string of {len} bytes"
                )));
            }
            if len == 0 {
                return Ok(Vec::new());
            }
            elf.read_addr(src, data, len)?
                .filter(|s| s.len() as u64 == len)
                .map(std::borrow::Cow::into_owned)
                .ok_or_else(|| Fail::Bad(format!("Go string data at {data:#x} is not in the file")))
        };
        (read(16)?, read(16 + ptr_size)?)
    };
    if vers.is_empty() {
        return Err("Go build information without a Go version".into());
    }
    // Strip the sentinels around the module information.
    let modinfo = if modinfo.len() >= 33 && modinfo.get(modinfo.len() - 17) == Some(&b'\n') {
        modinfo.get(16..modinfo.len() - 16).unwrap_or(&[]).to_vec()
    } else {
        Vec::new()
    };
    Ok(BuildInfo {
        go_version: String::from_utf8_lossy(&vers).into_owned(),
        modinfo: String::from_utf8_lossy(&modinfo).into_owned(),
    })
}

/// Find and decode the build information of an executable.
///
/// In ELF files only the region the Go tools read is searched (the
/// `.go.buildinfo` section, else the first writable data segment), so a
/// program that merely contains the magic string is not taken for a Go
/// binary. Other files are scanned whole; there, a candidate whose header
/// is implausible (pointer size not 4 or 8, unknown flags) is ignored.
pub fn find(src: &dyn Source, elf: Option<&Elf>) -> Result<Option<BuildInfo>, Fail> {
    if let Some(elf) = elf {
        let section = elf.section(".go.buildinfo");
        // The region as a file range (offset, length).
        let region = match section {
            Some(s) if s.kind == SHT_NOBITS => Some((0, 0)),
            Some(s) => {
                if s.offset
                    .checked_add(s.size)
                    .is_none_or(|end| end > src.size())
                {
                    return Err(Fail::Bad(format!(
                        "section `{}` ({} bytes at offset {}) lies beyond the end of the file",
                        s.name, s.size, s.offset
                    )));
                }
                Some((s.offset, s.size))
            }
            None => first_data_segment(&elf.segments)
                .and_then(|seg| elf.addr_range(seg.vaddr, SEARCH as u64))
                .filter(|&(off, _)| off <= src.size())
                .map(|(off, len)| (off, len.min(src.size() - off))),
        };
        let Some((start, len)) = region else {
            return Ok(None);
        };
        let search = src
            .read_at(start, len.min(SEARCH as u64))?
            .unwrap_or_default();
        let mut from = 0;
        while let Some(i) = memchr::memmem::find(search.get(from..).unwrap_or(&[]), MAGIC) {
            let at = from + i;
            if at % ALIGN == 0 {
                return decode(src, start + at as u64, start + len, Some(elf)).map(Some);
            }
            from = at + 1;
        }
        if section.is_some() {
            return Err("`.go.buildinfo` section without build information".into());
        }
        return Ok(None);
    }
    let mut last_err = None;
    for at in src.magics()? {
        let flags = src.read_at(at + 14, 2)?;
        let plausible = flags
            .as_deref()
            .is_some_and(|f| matches!(f, [4 | 8, 0..=3]));
        if !plausible {
            continue;
        }
        match decode(src, at, src.size(), None) {
            Ok(info) => return Ok(Some(info)),
            Err(Fail::Bad(e)) => last_err = Some(e),
            Err(other) => return Err(other),
        }
    }
    match last_err {
        Some(e) => Err(Fail::Bad(e)),
        None => Ok(None),
    }
}

/// The stdlib version the Go vulnerability database uses for a toolchain
/// version string (`go1.22.5`, `go1.20`, `go1.21rc2`, `go1.22.0
/// X:boringcrypto`); `None` for development toolchains.
pub fn stdlib_version(go: &str) -> Option<String> {
    let v = go.split_whitespace().next()?.strip_prefix("go")?;
    let (nums, pre) = match v.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (v.get(..i)?, Some(v.get(i..)?)),
        None => (v, None),
    };
    let mut parts: Vec<&str> = nums.split('.').collect();
    if parts.is_empty()
        || parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    while parts.len() < 3 {
        parts.push("0");
    }
    let base = parts.join(".");
    match pre {
        None => Some(base),
        Some(p) => {
            let split = p.find(|c: char| c.is_ascii_digit()).unwrap_or(p.len());
            let (word, n) = (p.get(..split)?, p.get(split..)?);
            if !matches!(word, "rc" | "beta" | "alpha") || !n.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            if n.is_empty() {
                Some(format!("{base}-{word}"))
            } else {
                Some(format!("{base}-{word}.{n}"))
            }
        }
    }
}

struct Module {
    path: String,
    version: String,
    sum: String,
    replace: Option<(String, String, String)>,
}

/// The packages of a build information blob.
pub fn to_source(info: &BuildInfo) -> SourceFile {
    let mut main: Option<Module> = None;
    let mut deps: Vec<Module> = Vec::new();
    // Which module a `=>` line replaces: the main module or the last dep.
    let mut last_is_main = false;
    for line in info.modinfo.lines() {
        let mut f = line.split('\t');
        let kind = f.next().unwrap_or("");
        let path = f.next().unwrap_or("").to_string();
        let version = f.next().unwrap_or("").to_string();
        let sum = f.next().unwrap_or("").to_string();
        match kind {
            "mod" => {
                main = Some(Module {
                    path,
                    version,
                    sum,
                    replace: None,
                });
                last_is_main = true;
            }
            "dep" if !path.is_empty() => {
                deps.push(Module {
                    path,
                    version,
                    sum,
                    replace: None,
                });
                last_is_main = false;
            }
            "=>" => {
                let target = if last_is_main {
                    main.as_mut()
                } else {
                    deps.last_mut()
                };
                if let Some(m) = target {
                    m.replace = Some((path, version, sum));
                }
            }
            _ => {}
        }
    }

    let mut source = SourceFile::new("", FORMAT, Ecosystem::GO);
    source.format_version = Some(info.go_version.clone());
    let mut ids = Vec::new();
    for d in deps {
        let mut p = match &d.replace {
            Some((rpath, rver, _)) if rver.is_empty() || rver == "(devel)" => Package::unpinned(
                Ecosystem::GO,
                d.path.clone(),
                Resolution::Path {
                    path: rpath.clone(),
                },
            ),
            Some((rpath, rver, _)) => Package::new(Ecosystem::GO, rpath.clone(), osv_version(rver)),
            None if d.version.is_empty() => Package::unpinned(
                Ecosystem::GO,
                d.path.clone(),
                Resolution::Requirement {
                    spec: String::new(),
                },
            ),
            None => Package::new(Ecosystem::GO, d.path.clone(), osv_version(&d.version)),
        };
        let sum = match &d.replace {
            Some((_, _, s)) => s,
            None => &d.sum,
        };
        if !sum.is_empty() {
            p.checksums.push(sum.clone());
        }
        p.relation = Relation::Unknown;
        p.locations.push(rel_location(""));
        if source.packages.iter().any(|q| q.id == p.id) {
            continue;
        }
        ids.push(p.id.clone());
        source.packages.push(p);
    }
    if let Some(v) = stdlib_version(&info.go_version) {
        let mut p = Package::new(Ecosystem::GO, "stdlib", v);
        p.locations.push(rel_location(""));
        ids.push(p.id.clone());
        source.packages.push(p);
    }
    if let Some(m) = main {
        let version = if m.version == "(devel)" {
            String::new()
        } else {
            osv_version(&m.version).to_string()
        };
        source.roots.push(Root {
            name: m.path,
            version,
            path: None,
            dependencies: ids,
        });
    }
    source
}

/// The Go packages an executable was built from, if it is a Go binary.
pub fn reduce(src: &dyn Source, elf: Option<&Elf>) -> Result<Option<SourceFile>, Fail> {
    Ok(find(src, elf)?.map(|info| to_source(&info)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::lang::ranges::Whole;

    fn message(e: Fail) -> String {
        match e {
            Fail::Bad(m) => m,
            other => panic!("{other:?}"),
        }
    }

    const START: &[u8; 16] = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6";
    const END: &[u8; 16] = b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2";
    const MODINFO: &str =
        "path\tex.com/app\nmod\tex.com/app\t(devel)\t\ndep\tgolang.org/x/text\tv0.3.6\th1:abc=\n";

    fn framed() -> Vec<u8> {
        [&START[..], MODINFO.as_bytes(), &END[..]].concat()
    }

    fn put(buf: &mut Vec<u8>, at: usize, b: &[u8]) {
        if buf.len() < at + b.len() {
            buf.resize(at + b.len(), 0);
        }
        buf[at..at + b.len()].copy_from_slice(b);
    }

    /// A minimal little-endian ELF64 file with one writable PT_LOAD segment
    /// holding a pre-1.18 (pointer form) build information blob.
    fn old_form_elf() -> Vec<u8> {
        let base: u64 = 0x40_0000;
        let mut f = Vec::new();
        put(&mut f, 0, b"\x7fELF\x02\x01\x01");
        put(&mut f, 32, &64u64.to_le_bytes()); // e_phoff
        put(&mut f, 54, &56u16.to_le_bytes()); // e_phentsize
        put(&mut f, 56, &1u16.to_le_bytes()); // e_phnum
        put(&mut f, 58, &64u16.to_le_bytes()); // e_shentsize
        // The blob at 0x100 points at two string headers.
        put(&mut f, 0x100, MAGIC);
        put(&mut f, 0x100 + 14, &[8, 0]);
        put(&mut f, 0x110, &(base + 0x140).to_le_bytes());
        put(&mut f, 0x118, &(base + 0x150).to_le_bytes());
        let vers = b"go1.16.5";
        let m = framed();
        put(&mut f, 0x140, &(base + 0x200).to_le_bytes());
        put(&mut f, 0x148, &(vers.len() as u64).to_le_bytes());
        put(&mut f, 0x150, &(base + 0x220).to_le_bytes());
        put(&mut f, 0x158, &(m.len() as u64).to_le_bytes());
        put(&mut f, 0x200, vers);
        put(&mut f, 0x220, &m);
        let len = f.len() as u64;
        // PT_LOAD, PF_R|PF_W, offset 0, vaddr base, filesz = memsz = len.
        put(&mut f, 64, &1u32.to_le_bytes());
        put(&mut f, 68, &6u32.to_le_bytes());
        put(&mut f, 80, &base.to_le_bytes());
        put(&mut f, 96, &len.to_le_bytes());
        put(&mut f, 104, &len.to_le_bytes());
        f
    }

    #[test]
    fn pre_1_18_pointer_form() {
        let f = old_form_elf();
        let elf = Elf::parse(&Whole(&f)).unwrap();
        let info = find(&Whole(&f), Some(&elf)).unwrap().unwrap();
        assert_eq!(info.go_version, "go1.16.5");
        assert_eq!(info.modinfo, MODINFO);
        let s = to_source(&info);
        assert_eq!(s.roots[0].name, "ex.com/app");
        let purls: Vec<&str> = s.packages.iter().map(|p| p.purl.as_str()).collect();
        assert_eq!(
            purls,
            [
                "pkg:golang/golang.org/x/text@0.3.6",
                "pkg:golang/stdlib@1.16.5"
            ]
        );
        // A string header pointing outside the file is a clear error.
        let mut bad = f.clone();
        put(&mut bad, 0x118, &0xdead_0000u64.to_le_bytes());
        let elf = Elf::parse(&Whole(&bad)).unwrap();
        assert!(message(find(&Whole(&bad), Some(&elf)).unwrap_err()).contains("not in the file"));
        // Every truncation: no panic.
        for cut in 0..f.len() {
            let part = &f[..cut];
            if let Ok(elf) = Elf::parse(&Whole(part)) {
                let _ = find(&Whole(part), Some(&elf));
            }
            let _ = find(&Whole(part), None);
        }
    }

    #[test]
    fn inline_form_found_by_scanning() {
        // A PE-like file: no headers read, the blob found by scanning.
        let mut f = b"MZ".to_vec();
        f.resize(0x30, 0);
        f.extend_from_slice(MAGIC);
        f.extend_from_slice(&[8, 2]);
        f.resize(0x30 + 32, 0);
        let m = framed();
        f.push(8);
        f.extend_from_slice(b"go1.22.1");
        let mut n = m.len();
        while n >= 0x80 {
            f.push((n as u8 & 0x7f) | 0x80);
            n >>= 7;
        }
        f.push(n as u8);
        f.extend_from_slice(&m);
        let info = find(&Whole(&f), None).unwrap().unwrap();
        assert_eq!(info.go_version, "go1.22.1");
        assert_eq!(info.modinfo, MODINFO);
        // Old form outside ELF: a clear message.
        let mut old = f.clone();
        old[0x30 + 15] = 0;
        assert!(message(find(&Whole(&old), None).unwrap_err()).contains("only read from ELF"));
        // A length running past the end.
        let cut = &f[..f.len() - 20];
        assert!(message(find(&Whole(cut), None).unwrap_err()).contains("truncated"));
    }

    #[test]
    fn stdlib_versions() {
        assert_eq!(stdlib_version("go1.22.5").as_deref(), Some("1.22.5"));
        assert_eq!(stdlib_version("go1.20").as_deref(), Some("1.20.0"));
        assert_eq!(stdlib_version("go1.21rc2").as_deref(), Some("1.21.0-rc.2"));
        assert_eq!(
            stdlib_version("go1.22.0 X:boringcrypto").as_deref(),
            Some("1.22.0")
        );
        assert_eq!(stdlib_version("devel go1.23-abc"), None);
        assert_eq!(stdlib_version("go1.x"), None);
    }
}
