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

use super::ranges::{BEFORE_SECTIONS, Fail, Source, WINDOW, Whole};
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

/// Reduce an executable in memory to the packages it embeds.
pub fn reduce(bytes: &[u8]) -> Result<Option<SourceFile>, String> {
    reduce_from(&Whole(bytes)).map_err(|e| match e {
        Fail::Bad(m) => m,
        // A whole file never lacks a range.
        Fail::Need(..) | Fail::Wait => "internal error: range not read".to_string(),
    })
}

/// Reduce an executable read by ranges to the packages it embeds.
pub fn reduce_from(src: &dyn Source) -> Result<Option<SourceFile>, Fail> {
    let head = src
        .read_at(0, MIN_SIZE.min(src.size()))?
        .unwrap_or_default();
    let Some(kind) = kind(&head) else {
        return Ok(None);
    };
    let elf = if kind == Kind::Elf {
        Some(Elf::parse(src).map_err(|e| match e {
            Fail::Bad(m) => Fail::Bad(format!("unreadable ELF executable: {m}")),
            other => other,
        })?)
    } else {
        None
    };
    if let Some(source) = gobin::reduce(src, elf.as_ref())? {
        return Ok(Some(source));
    }
    if let Some(elf) = &elf {
        return auditable::reduce(src, elf);
    }
    Ok(None)
}

/// The ranges of a streamed ELF file worth keeping before the readers ask
/// for them (see [`super::ranges`]): both header tables, the bytes before
/// the section header table and the start of the first writable segment.
pub fn prefetch(src: &dyn Source) -> Vec<(u64, u64)> {
    let Ok(h) = Header::parse(src) else {
        return Vec::new();
    };
    let mut out = vec![
        (h.phoff, h.phnum as u64 * h.phentsize as u64),
        (h.shoff, h.shnum as u64 * h.shentsize as u64),
    ];
    if h.shoff > 0 {
        let from = h.shoff.saturating_sub(BEFORE_SECTIONS);
        out.push((from, h.shoff - from));
    }
    if let Ok(segments) = h.segments(src)
        && let Some(seg) = first_data_segment(&segments)
    {
        out.push((seg.offset, seg.filesz.min(WINDOW)));
    }
    out.retain(|&(_, len)| len > 0 && len <= MAX_TABLE);
    out
}

/// The first writable, non-executable loadable segment (where the Go
/// build information sits when there is no `.go.buildinfo` section).
pub fn first_data_segment(segments: &[Segment]) -> Option<&Segment> {
    segments
        .iter()
        .find(|p| p.kind == PT_LOAD && p.flags & (PF_X | PF_W) == PF_W)
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
pub const SHT_NOBITS: u32 = 8;
/// Most section or program headers read.
const MAX_HEADERS: usize = 65_536;

/// Largest header or section name table read.
const MAX_TABLE: u64 = 4 * 1024 * 1024;

/// An ELF file's section and program headers (the bytes stay in the
/// [`Source`]).
#[derive(Debug)]
pub struct Elf {
    pub little: bool,
    pub is64: bool,
    pub sections: Vec<Section>,
    pub segments: Vec<Segment>,
}

/// The fields of the ELF file header the readers use.
struct Header {
    little: bool,
    is64: bool,
    phoff: u64,
    shoff: u64,
    phentsize: usize,
    phnum: usize,
    shentsize: usize,
    shnum: usize,
    shstrndx: usize,
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

impl Header {
    fn parse(src: &dyn Source) -> Result<Header, Fail> {
        let trunc = || Fail::Bad("truncated header".to_string());
        let data = src.read_at(0, 64.min(src.size()))?.unwrap_or_default();
        let data = &data[..];
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
        Ok(Header {
            little,
            is64,
            phoff,
            shoff,
            phentsize: e.u16(data, rest + 2).ok_or_else(trunc)? as usize,
            phnum: e.u16(data, rest + 4).ok_or_else(trunc)? as usize,
            shentsize: e.u16(data, rest + 6).ok_or_else(trunc)? as usize,
            shnum: e.u16(data, rest + 8).ok_or_else(trunc)? as usize,
            shstrndx: e.u16(data, rest + 10).ok_or_else(trunc)? as usize,
        })
    }

    /// The bytes of `count` table entries of `entsize` at `base`; `None`
    /// when the table runs past the end of the file.
    fn table<'s>(
        src: &'s dyn Source,
        base: u64,
        count: usize,
        entsize: usize,
        what: &str,
    ) -> Result<Option<std::borrow::Cow<'s, [u8]>>, Fail> {
        let len = (count as u64).saturating_mul(entsize as u64);
        if len > MAX_TABLE {
            return Err(Fail::Bad(format!(
                "{what} table of {len} bytes (at most {MAX_TABLE} read)"
            )));
        }
        src.read_at(base, len)
    }

    fn segments(&self, src: &dyn Source) -> Result<Vec<Segment>, Fail> {
        let trunc = || Fail::Bad("truncated header".to_string());
        let e = Endian {
            little: self.little,
        };
        let mut segments = Vec::new();
        if self.phoff == 0 || self.phnum == 0 {
            return Ok(segments);
        }
        let need = if self.is64 { 56 } else { 32 };
        if self.phentsize < need {
            return Err(Fail::Bad(format!(
                "program header size {} too small",
                self.phentsize
            )));
        }
        let n = self.phnum.min(MAX_HEADERS);
        let table = Self::table(src, self.phoff, n, self.phentsize, "program header")?
            .ok_or_else(|| Fail::Bad("program headers beyond the end of the file".into()))?;
        for i in 0..n {
            let hdr = table_entry(&table, i, self.phentsize, need).ok_or_else(trunc)?;
            let seg = if self.is64 {
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
        Ok(segments)
    }
}

impl Elf {
    pub fn parse(src: &dyn Source) -> Result<Elf, Fail> {
        let trunc = || Fail::Bad("truncated header".to_string());
        let h = Header::parse(src)?;
        let e = Endian { little: h.little };
        let segments = h.segments(src)?;

        let mut raw: Vec<(u32, u32, u64, u64, u64)> = Vec::new();
        if h.shoff != 0 && h.shnum > 0 {
            let need = if h.is64 { 64 } else { 40 };
            if h.shentsize < need {
                return Err(Fail::Bad(format!(
                    "section header size {} too small",
                    h.shentsize
                )));
            }
            // Stripped or truncated section table: keep the entries that
            // lie inside the file.
            let fit = src.size().saturating_sub(h.shoff) / h.shentsize as u64;
            let n = h
                .shnum
                .min(MAX_HEADERS)
                .min(usize::try_from(fit).unwrap_or(usize::MAX));
            let table =
                Header::table(src, h.shoff, n, h.shentsize, "section header")?.unwrap_or_default();
            for i in 0..n {
                let Some(hdr) = table_entry(&table, i, h.shentsize, need) else {
                    break;
                };
                let name = e.u32(hdr, 0).ok_or_else(trunc)?;
                let kind = e.u32(hdr, 4).ok_or_else(trunc)?;
                let (addr, offset, size) = if h.is64 {
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
        let strtab = match raw.get(h.shstrndx) {
            Some(&(_, _, _, off, size)) if size <= MAX_TABLE => {
                src.read_at(off, size)?.unwrap_or_default()
            }
            Some(&(_, _, _, _, size)) => {
                return Err(Fail::Bad(format!(
                    "section name table of {size} bytes (at most {MAX_TABLE} read)"
                )));
            }
            None => Default::default(),
        };
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
            little: h.little,
            is64: h.is64,
            sections,
            segments,
        })
    }

    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The bytes of a section as stored in the file (at most `max`).
    pub fn section_data<'s>(
        &self,
        src: &'s dyn Source,
        s: &Section,
        max: u64,
    ) -> Result<std::borrow::Cow<'s, [u8]>, Fail> {
        if s.kind == SHT_NOBITS {
            return Ok(Default::default());
        }
        if s.size > max {
            return Err(Fail::Bad(format!(
                "section `{}` of {} bytes (at most {max} read)",
                s.name, s.size
            )));
        }
        src.read_at(s.offset, s.size)?.ok_or_else(|| {
            Fail::Bad(format!(
                "section `{}` ({} bytes at offset {}) lies beyond the end of the file",
                s.name, s.size, s.offset
            ))
        })
    }

    /// The file range holding up to `size` bytes at virtual address
    /// `addr` (in the loadable segment that maps it).
    pub fn addr_range(&self, addr: u64, size: u64) -> Option<(u64, u64)> {
        let seg = self.segments.iter().find(|p| {
            p.kind == PT_LOAD
                && p.vaddr <= addr
                && p.filesz > 0
                && addr <= p.vaddr.saturating_add(p.filesz - 1)
        })?;
        let delta = addr - seg.vaddr;
        let avail = seg.filesz - delta;
        Some((seg.offset.checked_add(delta)?, size.min(avail)))
    }

    /// Up to `size` bytes at virtual address `addr` (`None`: not in the
    /// file).
    pub fn read_addr<'s>(
        &self,
        src: &'s dyn Source,
        addr: u64,
        size: u64,
    ) -> Result<Option<std::borrow::Cow<'s, [u8]>>, Fail> {
        let Some((off, len)) = self.addr_range(addr, size) else {
            return Ok(None);
        };
        // Clipped at the end of the file, as a slice of it would be.
        let len = len.min(src.size().saturating_sub(off));
        if off > src.size() {
            return Ok(None);
        }
        src.read_at(off, len)
    }
}

/// The first `need` bytes of entry `i` of a header table.
fn table_entry(table: &[u8], i: usize, entsize: usize, need: usize) -> Option<&[u8]> {
    let at = i.checked_mul(entsize)?;
    table.get(at..at.checked_add(need)?)
}
