//! Executables: which files are read, a minimal bounds-checked ELF reader,
//! and the dispatch to the Go build information and cargo-auditable
//! readers.
//!
//! A regular file is a candidate when it has an execute bit or sits in a
//! `bin`/`sbin` directory, is at least 64 bytes and at most
//! [`super::MAX_BINARY`], and is not a shared library, kernel module or
//! object file by name (`*.so`, `*.so.*`, `*.ko`, `*.o`, `*.a`): hosts
//! carry thousands of executable shared libraries that never hold
//! either kind of build information. The reducer rejects anything that
//! is not ELF, Mach-O or PE by its first bytes, so scripts cost one read.

use patchloop_model::SourceFile;

use super::{auditable, gobin};

/// Smallest file that can be an executable worth looking at.
const MIN_SIZE: u64 = 64;

/// Whether `want` should reduce this file as a possible executable.
pub fn is_candidate(path: &str, size: u64, mode: u32) -> bool {
    if size < MIN_SIZE {
        return false;
    }
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    let in_bin = dir
        .rsplit('/')
        .next()
        .is_some_and(|d| d == "bin" || d == "sbin");
    if mode & 0o111 == 0 && !in_bin {
        return false;
    }
    if matches!(path.split('/').next(), Some("proc" | "sys" | "dev")) {
        return false;
    }
    let shared = name.ends_with(".so") || name.contains(".so.");
    let objects = name.ends_with(".ko") || name.ends_with(".o") || name.ends_with(".a");
    !(shared || objects)
}

/// The kind of executable, by magic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Elf,
    MachO,
    Pe,
}

pub fn kind(bytes: &[u8]) -> Option<Kind> {
    let magic = bytes.get(..4)?;
    match magic {
        b"\x7fELF" => Some(Kind::Elf),
        [0xfe, 0xed, 0xfa, 0xce | 0xcf]
        | [0xce | 0xcf, 0xfa, 0xed, 0xfe]
        | [0xca, 0xfe, 0xba, 0xbe] => Some(Kind::MachO),
        [b'M', b'Z', _, _] => Some(Kind::Pe),
        _ => None,
    }
}

/// Reduce an executable to the packages it embeds.
pub fn reduce(bytes: &[u8]) -> Result<Option<SourceFile>, String> {
    let Some(kind) = kind(bytes) else {
        return Ok(None);
    };
    let elf = if kind == Kind::Elf {
        Some(Elf::parse(bytes).map_err(|e| format!("unreadable ELF executable: {e}"))?)
    } else {
        None
    };
    if let Some(source) = gobin::reduce(bytes, elf.as_ref())? {
        return Ok(Some(source));
    }
    if let Some(elf) = &elf {
        return auditable::reduce(elf);
    }
    Ok(None)
}

/// One ELF section.
#[derive(Debug, Clone)]
pub struct Section {
    pub name: String,
    pub kind: u32,
    pub addr: u64,
    pub offset: u64,
    pub size: u64,
}

/// One ELF program header.
#[derive(Debug, Clone)]
pub struct Segment {
    pub kind: u32,
    pub flags: u32,
    pub vaddr: u64,
    pub offset: u64,
    pub filesz: u64,
}

pub const PT_LOAD: u32 = 1;
pub const PF_X: u32 = 1;
pub const PF_W: u32 = 2;
const SHT_NOBITS: u32 = 8;
/// Most section or program headers read.
const MAX_HEADERS: usize = 65_536;

/// An ELF file's section and program headers.
#[derive(Debug)]
pub struct Elf<'a> {
    pub data: &'a [u8],
    pub little: bool,
    pub is64: bool,
    pub sections: Vec<Section>,
    pub segments: Vec<Segment>,
}

/// `fn $t(self, bytes, at) -> Option<$t>`: a bounds-checked read in the
/// file's byte order.
macro_rules! read_int {
    ($t:ident) => {
        pub fn $t(self, b: &[u8], at: usize) -> Option<$t> {
            let s = Self::bytes(b, at)?;
            Some(if self.little {
                $t::from_le_bytes(s)
            } else {
                $t::from_be_bytes(s)
            })
        }
    };
}

/// Bounds-checked little/big-endian reads.
#[derive(Clone, Copy)]
pub struct Endian {
    pub little: bool,
}

impl Endian {
    fn bytes<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
        b.get(at..at.checked_add(N)?)?.try_into().ok()
    }
    read_int!(u16);
    read_int!(u32);
    read_int!(u64);
    /// A 4- or 8-byte word.
    pub fn word(self, b: &[u8], at: usize, size: usize) -> Option<u64> {
        if size == 8 {
            self.u64(b, at)
        } else {
            self.u32(b, at).map(u64::from)
        }
    }
}

fn usize_of(v: u64) -> Option<usize> {
    usize::try_from(v).ok()
}

impl<'a> Elf<'a> {
    pub fn parse(data: &'a [u8]) -> Result<Elf<'a>, String> {
        let trunc = || "truncated header".to_string();
        if data.get(..4) != Some(b"\x7fELF") {
            return Err("no ELF magic".into());
        }
        let is64 = match data.get(4) {
            Some(1) => false,
            Some(2) => true,
            _ => return Err("unknown ELF class".into()),
        };
        let little = match data.get(5) {
            Some(1) => true,
            Some(2) => false,
            _ => return Err("unknown ELF byte order".into()),
        };
        let e = Endian { little };
        let w = if is64 { 8 } else { 4 };
        // e_phoff, e_shoff after e_entry (at 24).
        let phoff = e.word(data, 24 + w, w).ok_or_else(trunc)?;
        let shoff = e.word(data, 24 + 2 * w, w).ok_or_else(trunc)?;
        let rest = 24 + 3 * w + 4; // after e_flags
        let phentsize = e.u16(data, rest + 2).ok_or_else(trunc)? as usize;
        let phnum = e.u16(data, rest + 4).ok_or_else(trunc)? as usize;
        let shentsize = e.u16(data, rest + 6).ok_or_else(trunc)? as usize;
        let shnum = e.u16(data, rest + 8).ok_or_else(trunc)? as usize;
        let shstrndx = e.u16(data, rest + 10).ok_or_else(trunc)? as usize;

        let mut segments = Vec::new();
        if phoff != 0 && phnum > 0 {
            let need = if is64 { 56 } else { 32 };
            if phentsize < need {
                return Err(format!("program header size {phentsize} too small"));
            }
            for i in 0..phnum.min(MAX_HEADERS) {
                let hdr = table_entry(data, phoff, i, phentsize, need)
                    .ok_or_else(|| "program headers beyond the end of the file".to_string())?;
                let seg = if is64 {
                    Segment {
                        kind: e.u32(hdr, 0).ok_or_else(trunc)?,
                        flags: e.u32(hdr, 4).ok_or_else(trunc)?,
                        offset: e.u64(hdr, 8).ok_or_else(trunc)?,
                        vaddr: e.u64(hdr, 16).ok_or_else(trunc)?,
                        filesz: e.u64(hdr, 32).ok_or_else(trunc)?,
                    }
                } else {
                    Segment {
                        kind: e.u32(hdr, 0).ok_or_else(trunc)?,
                        offset: e.u32(hdr, 4).ok_or_else(trunc)?.into(),
                        vaddr: e.u32(hdr, 8).ok_or_else(trunc)?.into(),
                        filesz: e.u32(hdr, 16).ok_or_else(trunc)?.into(),
                        flags: e.u32(hdr, 24).ok_or_else(trunc)?,
                    }
                };
                segments.push(seg);
            }
        }

        let mut raw: Vec<(u32, u32, u64, u64, u64)> = Vec::new();
        if shoff != 0 && shnum > 0 {
            let need = if is64 { 64 } else { 40 };
            if shentsize < need {
                return Err(format!("section header size {shentsize} too small"));
            }
            for i in 0..shnum.min(MAX_HEADERS) {
                let Some(hdr) = table_entry(data, shoff, i, shentsize, need) else {
                    // Stripped or truncated section table: keep what we have.
                    break;
                };
                let name = e.u32(hdr, 0).ok_or_else(trunc)?;
                let kind = e.u32(hdr, 4).ok_or_else(trunc)?;
                let (addr, offset, size) = if is64 {
                    (
                        e.u64(hdr, 16).ok_or_else(trunc)?,
                        e.u64(hdr, 24).ok_or_else(trunc)?,
                        e.u64(hdr, 32).ok_or_else(trunc)?,
                    )
                } else {
                    (
                        e.u32(hdr, 12).ok_or_else(trunc)?.into(),
                        e.u32(hdr, 16).ok_or_else(trunc)?.into(),
                        e.u32(hdr, 20).ok_or_else(trunc)?.into(),
                    )
                };
                raw.push((name, kind, addr, offset, size));
            }
        }
        let strtab: &[u8] = raw
            .get(shstrndx)
            .and_then(|&(_, _, _, off, size)| slice(data, off, size))
            .unwrap_or(&[]);
        let sections = raw
            .into_iter()
            .map(|(name, kind, addr, offset, size)| {
                let name = usize_of(name.into())
                    .and_then(|n| strtab.get(n..))
                    .map(|s| {
                        let end = s.iter().position(|&b| b == 0).unwrap_or(s.len());
                        String::from_utf8_lossy(s.get(..end).unwrap_or(&[])).into_owned()
                    })
                    .unwrap_or_default();
                Section {
                    name,
                    kind,
                    addr,
                    offset,
                    size,
                }
            })
            .collect();
        Ok(Elf {
            data,
            little,
            is64,
            sections,
            segments,
        })
    }

    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The bytes of a section as stored in the file.
    pub fn section_data(&self, s: &Section) -> Result<&'a [u8], String> {
        if s.kind == SHT_NOBITS {
            return Ok(&[]);
        }
        slice(self.data, s.offset, s.size).ok_or_else(|| {
            format!(
                "section `{}` ({} bytes at offset {}) lies beyond the end of the file",
                s.name, s.size, s.offset
            )
        })
    }

    /// Up to `size` bytes at virtual address `addr` (from the loadable
    /// segment that maps it).
    pub fn read_addr(&self, addr: u64, size: u64) -> Option<&'a [u8]> {
        let seg = self.segments.iter().find(|p| {
            p.kind == PT_LOAD
                && p.vaddr <= addr
                && p.filesz > 0
                && addr <= p.vaddr.saturating_add(p.filesz - 1)
        })?;
        let delta = addr - seg.vaddr;
        let avail = seg.filesz - delta;
        slice(self.data, seg.offset.checked_add(delta)?, size.min(avail))
    }
}

/// The first `need` bytes of entry `i` of a header table at `base`.
fn table_entry(data: &[u8], base: u64, i: usize, entsize: usize, need: usize) -> Option<&[u8]> {
    let at = usize_of(base)?.checked_add(i.checked_mul(entsize)?)?;
    data.get(at..at.checked_add(need)?)
}

/// `data[off..off+len]`, bounds-checked.
pub fn slice(data: &[u8], off: u64, len: u64) -> Option<&[u8]> {
    let start = usize_of(off)?;
    let end = start.checked_add(usize_of(len)?)?;
    data.get(start..end)
}
