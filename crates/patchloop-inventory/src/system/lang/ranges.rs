//! Reading an executable by byte ranges, with memory bounded whatever
//! the file's size.
//!
//! The executable readers ([`super::binary`], [`super::gobin`],
//! [`super::auditable`]) ask a [`Source`] for the ranges they need (ELF
//! header, program and section header tables, the section name table,
//! the Go build information, the `.dep-v0` section). Three sources:
//!
//! - [`Whole`]: bytes already in memory (small files, tests, fuzzing);
//! - [`FileSource`]: a file on disk, read with seeks;
//! - [`Collector`]: a member of a layer tar, streamed once. It keeps the
//!   first [`HEAD`] bytes, runs the readers again each time a kept range
//!   completes and keeps the ranges they ask for next while the stream
//!   has not passed them yet; it also keeps a window before the section
//!   header table (where linkers put the section names) and the start of
//!   the first writable segment (where the Go build information sits
//!   without a `.go.buildinfo` section), a window after each Go build
//!   information magic (16-byte aligned in ELF files), a window around
//!   each `.shstrtab` name in ELF files (the section name table, which
//!   lld puts before the large `.strtab`), and the last [`RECENT`] bytes
//!   fed. A range the stream had passed before it was known is read in
//!   another pass over the layer ([`Collector::restart`]).
//!
//! Every source refuses to hold more than [`MAX_HELD`] bytes of one
//! executable at once (real executables need well under 1 MiB).

use std::borrow::Cow;
use std::cell::Cell;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use patchloop_model::SourceFile;

use super::gobin::MAGIC;

/// Most bytes of one executable held at once, by any source.
pub const MAX_HELD: u64 = 32 * 1024 * 1024;
/// Bytes kept from the start of a streamed executable.
pub const HEAD: u64 = 64 * 1024;
/// Bytes kept before the section header table of a streamed ELF file.
pub const BEFORE_SECTIONS: u64 = 256 * 1024;
/// Bytes kept after a Go build information magic in a streamed file
/// without ELF headers, and from the start of the first writable segment.
pub const WINDOW: u64 = 64 * 1024;
/// Most Go build information magics recorded in a file.
pub const MAX_MAGICS: usize = 64;
/// Bytes of the stream kept behind its position.
pub const RECENT: u64 = 64 * 1024;
/// The name of the section name table, as it appears in that table.
const SHSTRTAB: &[u8] = b"\0.shstrtab\0";
/// Bytes kept on each side of a `.shstrtab` name in an ELF stream.
pub const NAMES_WINDOW: u64 = 32 * 1024;
/// Most `.shstrtab` names given a window.
const MAX_NAME_TABLES: usize = 16;

/// Why a reader stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fail {
    /// The range (`offset`, `len`) is not held by a streamed source.
    Need(u64, u64),
    /// A streamed source has not seen the whole file yet.
    Wait,
    /// The file is unreadable as an executable (the message says why).
    Bad(String),
}

impl From<String> for Fail {
    fn from(s: String) -> Self {
        Fail::Bad(s)
    }
}

impl From<&str> for Fail {
    fn from(s: &str) -> Self {
        Fail::Bad(s.to_string())
    }
}

/// An executable read by ranges.
pub trait Source {
    /// The file's size.
    fn size(&self) -> u64;
    /// The `len` bytes at `offset`; `Ok(None)` when they run past the end
    /// of the file.
    fn read_at(&self, offset: u64, len: u64) -> Result<Option<Cow<'_, [u8]>>, Fail>;
    /// Offsets of the first [`MAX_MAGICS`] Go build information magics.
    fn magics(&self) -> Result<Vec<u64>, Fail>;
}

fn past_end(size: u64, offset: u64, len: u64) -> bool {
    offset.checked_add(len).is_none_or(|end| end > size)
}

fn too_much_message(len: u64) -> String {
    format!("would hold {len} bytes of the file, more than the {MAX_HELD} read")
}

fn too_much(len: u64) -> Fail {
    Fail::Bad(too_much_message(len))
}

/// Bytes in memory.
pub struct Whole<'a>(pub &'a [u8]);

impl Source for Whole<'_> {
    fn size(&self) -> u64 {
        self.0.len() as u64
    }

    fn read_at(&self, offset: u64, len: u64) -> Result<Option<Cow<'_, [u8]>>, Fail> {
        let (Ok(start), Ok(len)) = (usize::try_from(offset), usize::try_from(len)) else {
            return Ok(None);
        };
        Ok(start
            .checked_add(len)
            .and_then(|end| self.0.get(start..end))
            .map(Cow::Borrowed))
    }

    fn magics(&self) -> Result<Vec<u64>, Fail> {
        Ok(memchr::memmem::find_iter(self.0, MAGIC)
            .take(MAX_MAGICS)
            .map(|i| i as u64)
            .collect())
    }
}

/// A file on disk, read with seeks. The bytes it hands out over its
/// life are counted and capped at [`MAX_HELD`] (every read is dropped by
/// the readers before the next executable).
pub struct FileSource {
    file: File,
    size: u64,
    handed: Cell<u64>,
}

impl FileSource {
    pub fn new(file: File, size: u64) -> Self {
        FileSource {
            file,
            size,
            handed: Cell::new(0),
        }
    }

    /// Bytes handed out so far.
    pub fn bytes_read(&self) -> u64 {
        self.handed.get()
    }
}

impl Source for FileSource {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, len: u64) -> Result<Option<Cow<'_, [u8]>>, Fail> {
        if past_end(self.size, offset, len) {
            return Ok(None);
        }
        let total = self.handed.get().saturating_add(len);
        if total > MAX_HELD {
            return Err(too_much(total));
        }
        self.handed.set(total);
        let n = usize::try_from(len).map_err(|_| too_much(len))?;
        let mut buf = vec![0; n];
        let mut f = &self.file;
        f.seek(SeekFrom::Start(offset))
            .and_then(|_| f.read_exact(&mut buf))
            .map_err(|e| Fail::Bad(format!("read error at offset {offset}: {e}")))?;
        Ok(Some(Cow::Owned(buf)))
    }

    fn magics(&self) -> Result<Vec<u64>, Fail> {
        let mut f = &self.file;
        f.seek(SeekFrom::Start(0))
            .map_err(|e| Fail::Bad(format!("read error: {e}")))?;
        let mut scan = Scan::new(MAGIC, MAX_MAGICS);
        let mut buf = vec![0u8; 1 << 20];
        let mut pos = 0u64;
        while !scan.full() {
            let n = f
                .read(&mut buf)
                .map_err(|e| Fail::Bad(format!("read error: {e}")))?;
            let Some(chunk) = buf.get(..n).filter(|c| !c.is_empty()) else {
                break;
            };
            scan.feed(pos, chunk);
            pos += n as u64;
        }
        Ok(scan.found)
    }
}

/// Finds a pattern across chunk boundaries (its first `limit`
/// occurrences).
struct Scan {
    pattern: &'static [u8],
    limit: usize,
    /// The last bytes of the previous chunks (fewer than the pattern).
    tail: Vec<u8>,
    found: Vec<u64>,
}

impl Scan {
    fn new(pattern: &'static [u8], limit: usize) -> Self {
        Scan {
            pattern,
            limit,
            tail: Vec::new(),
            found: Vec::new(),
        }
    }

    fn full(&self) -> bool {
        self.found.len() >= self.limit
    }

    /// Scan `chunk`, which starts at file offset `pos`; returns the
    /// offsets found in it (those straddling the previous chunk
    /// included).
    fn feed(&mut self, pos: u64, chunk: &[u8]) -> Vec<u64> {
        if self.full() {
            return Vec::new();
        }
        let keep = self.pattern.len() - 1;
        let base = pos - self.tail.len() as u64;
        let mut joined = std::mem::take(&mut self.tail);
        joined.extend_from_slice(chunk.get(..keep.min(chunk.len())).unwrap_or_default());
        let mut new: Vec<u64> = memchr::memmem::find_iter(&joined, self.pattern)
            .map(|i| base + i as u64)
            .collect();
        new.extend(memchr::memmem::find_iter(chunk, self.pattern).map(|i| pos + i as u64));
        new.retain(|at| !self.found.contains(at));
        new.truncate(self.limit - self.found.len());
        self.found.extend(&new);
        // The last bytes seen, for a match across the next boundary.
        joined.extend_from_slice(chunk.get(keep.min(chunk.len())..).unwrap_or_default());
        let cut = joined.len().saturating_sub(keep);
        joined.drain(..cut);
        self.tail = joined;
        new
    }
}

/// One range a [`Collector`] keeps.
struct Held {
    start: u64,
    len: u64,
    data: Vec<u8>,
}

impl Held {
    fn complete(&self) -> bool {
        self.data.len() as u64 == self.len
    }
}

/// What reading one executable from a stream gave.
#[derive(Debug)]
pub enum Outcome {
    /// The packages it embeds (`None`: nothing known).
    Done(Option<SourceFile>),
    /// Unreadable as an executable.
    Bad(String),
    /// The reader needs a range this pass did not keep: stream the file
    /// again after [`Collector::restart`].
    Again,
}

/// A streamed executable's kept ranges (see the module docs). Feed the
/// file's bytes in order with [`Collector::feed`], then call
/// [`Collector::finish`].
pub struct Collector {
    size: u64,
    /// Bytes fed in this pass.
    pos: u64,
    held: Vec<Held>,
    /// Bytes the kept ranges take (when complete).
    held_bytes: u64,
    peak: u64,
    /// Go build information magics.
    scan: Scan,
    /// Section name tables (`.shstrtab`, in ELF files).
    names: Scan,
    /// The last [`RECENT`] bytes fed, for ranges asked for just after the
    /// stream passed them.
    recent: Vec<u8>,
    /// The magics are known (a whole pass was scanned).
    magics_done: bool,
    /// A range asked for after this pass had passed it.
    behind: Option<(u64, u64)>,
    prefetched: bool,
    done: Option<Result<Option<SourceFile>, String>>,
    passes: u32,
}

impl Collector {
    pub fn new(size: u64) -> Self {
        let mut c = Collector {
            size,
            pos: 0,
            held: Vec::new(),
            held_bytes: 0,
            peak: 0,
            scan: Scan::new(MAGIC, MAX_MAGICS),
            names: Scan::new(SHSTRTAB, MAX_NAME_TABLES),
            recent: Vec::new(),
            magics_done: false,
            behind: None,
            prefetched: false,
            done: None,
            passes: 1,
        };
        c.keep(0, HEAD.min(size));
        c
    }

    /// The most bytes this collector held at once.
    pub fn peak_held(&self) -> u64 {
        self.peak
    }

    /// Passes over the file so far.
    pub fn passes(&self) -> u32 {
        self.passes
    }

    /// Keep `len` bytes at `offset` from now on (nothing if the stream has
    /// passed them, they are already kept or the file is shorter).
    fn keep(&mut self, offset: u64, len: u64) {
        if len == 0 || past_end(self.size, offset, len) || self.done.is_some() {
            return;
        }
        if self
            .held
            .iter()
            .any(|h| h.start <= offset && offset + len <= h.start + h.len)
        {
            return;
        }
        // The bytes of the range the stream has passed, if still recent.
        let recent_start = self.pos - self.recent.len() as u64;
        if offset < recent_start {
            if self.behind.is_none() {
                self.behind = Some((offset, len));
            }
            return;
        }
        let total = self.held_bytes.saturating_add(len);
        if total > MAX_HELD {
            self.done = Some(Err(too_much_message(total)));
            self.held.clear();
            return;
        }
        let mut data = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        if offset < self.pos {
            let a = (offset - recent_start) as usize;
            let b = ((offset + len).min(self.pos) - recent_start) as usize;
            data.extend_from_slice(self.recent.get(a..b).unwrap_or_default());
        }
        self.held_bytes = total;
        self.peak = self.peak.max(total + self.recent.len() as u64);
        self.held.push(Held {
            start: offset,
            len,
            data,
        });
    }

    /// The next `bytes` of the file.
    pub fn feed(&mut self, mut bytes: &[u8]) {
        if self.done.is_some() {
            self.pos += bytes.len() as u64;
            return;
        }
        let elf = self.is_elf() || (self.pos == 0 && bytes.starts_with(b"\x7fELF"));
        if !self.magics_done {
            for at in self.scan.feed(self.pos, bytes) {
                // In ELF files, only where the linker puts the build
                // information (16-byte aligned): the section headers
                // naming it may come after it.
                if !elf || at % 16 == 0 {
                    self.keep(at, WINDOW.min(self.size - at.min(self.size)));
                }
            }
        }
        if elf && !self.magics_done {
            for at in self.names.feed(self.pos, bytes) {
                let from = at
                    .saturating_sub(NAMES_WINDOW)
                    .max(self.pos - self.recent.len() as u64);
                let to = (at + NAMES_WINDOW).min(self.size);
                self.keep(from, to - from);
            }
        }
        while !bytes.is_empty() {
            let pos = self.pos;
            // Feed up to the end of the first range that completes in
            // this chunk, so that the ranges it leads to can still start
            // in the rest of the chunk.
            let end = pos + bytes.len() as u64;
            let stop = self
                .held
                .iter()
                .filter(|h| !h.complete() && h.start + h.len > pos && h.start + h.len <= end)
                .map(|h| h.start + h.len)
                .min()
                .unwrap_or(end);
            let n = usize::try_from(stop - pos).unwrap_or(bytes.len());
            let (now, rest) = bytes.split_at(n.min(bytes.len()));
            let mut completed = false;
            for h in &mut self.held {
                let have = h.start + h.data.len() as u64;
                if h.complete() || have < pos || have >= stop {
                    continue;
                }
                let want_end = (h.start + h.len).min(stop);
                let (a, b) = ((have - pos) as usize, (want_end - pos) as usize);
                if let Some(part) = now.get(a..b) {
                    h.data.extend_from_slice(part);
                }
                completed |= h.complete();
            }
            self.pos = stop;
            bytes = rest;
            self.remember(now);
            if completed {
                self.probe();
                if self.done.is_some() {
                    self.held.clear();
                    self.recent = Vec::new();
                    self.pos += bytes.len() as u64;
                    return;
                }
            }
        }
    }

    /// Append `bytes` (just fed) to the recent ones.
    fn remember(&mut self, bytes: &[u8]) {
        let keep = RECENT as usize;
        if bytes.len() >= keep {
            self.recent.clear();
            self.recent
                .extend_from_slice(bytes.get(bytes.len() - keep..).unwrap_or_default());
        } else {
            let excess = (self.recent.len() + bytes.len()).saturating_sub(keep);
            self.recent.drain(..excess.min(self.recent.len()));
            self.recent.extend_from_slice(bytes);
        }
    }

    fn is_elf(&self) -> bool {
        self.held
            .first()
            .is_some_and(|h| h.start == 0 && h.data.starts_with(b"\x7fELF"))
    }

    /// Run the readers on what is kept; keep what they ask for next.
    fn probe(&mut self) {
        if !self.prefetched && self.held.first().is_some_and(Held::complete) {
            self.prefetched = true;
            for (offset, len) in super::binary::prefetch(self) {
                self.keep(offset, len);
            }
        }
        // A range kept from the recent bytes may be complete at once.
        for _ in 0..64 {
            match super::binary::reduce_from(self) {
                Ok(found) => self.done = Some(Ok(found)),
                Err(Fail::Bad(m)) => self.done = Some(Err(m)),
                Err(Fail::Wait) => {}
                Err(Fail::Need(offset, len)) => {
                    let n = self.held.len();
                    self.keep(offset, len);
                    if self.held.len() > n && self.held.last().is_some_and(Held::complete) {
                        continue;
                    }
                }
            }
            break;
        }
    }

    /// After the last byte: the result, or [`Outcome::Again`] when a range
    /// the stream had passed is needed.
    pub fn finish(&mut self) -> Outcome {
        if self.done.is_none() {
            if self.pos < self.size {
                return Outcome::Bad(format!("ended after {} of {} bytes", self.pos, self.size));
            }
            self.magics_done = true;
            self.probe();
        }
        match &self.done {
            Some(Ok(found)) => Outcome::Done(found.clone()),
            Some(Err(m)) => Outcome::Bad(m.clone()),
            None if self.behind.is_some() => Outcome::Again,
            // Nothing left to ask another pass for (cannot happen: every
            // range asked for is kept, or recorded as behind).
            None => Outcome::Bad("a range of the file could not be kept".into()),
        }
    }

    /// Prepare another pass over the file: the range the last pass could
    /// not keep is kept this time.
    pub fn restart(&mut self) {
        self.pos = 0;
        self.recent = Vec::new();
        self.passes += 1;
        if let Some((offset, len)) = self.behind.take() {
            self.keep(offset, len);
        }
        // Drop ranges a pass left incomplete (none normally).
        let mut freed = 0;
        self.held.retain(|h| {
            if h.complete() || h.data.is_empty() {
                true
            } else {
                freed += h.len;
                false
            }
        });
        self.held_bytes -= freed;
    }
}

impl Source for Collector {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, len: u64) -> Result<Option<Cow<'_, [u8]>>, Fail> {
        if past_end(self.size, offset, len) {
            return Ok(None);
        }
        if len == 0 {
            return Ok(Some(Cow::Borrowed(&[])));
        }
        for h in &self.held {
            if h.start <= offset && offset + len <= h.start + h.data.len() as u64 {
                let a = (offset - h.start) as usize;
                return Ok(h.data.get(a..a + len as usize).map(Cow::Borrowed));
            }
        }
        if len > MAX_HELD {
            return Err(too_much(len));
        }
        Err(Fail::Need(offset, len))
    }

    fn magics(&self) -> Result<Vec<u64>, Fail> {
        if self.magics_done {
            Ok(self.scan.found.clone())
        } else {
            Err(Fail::Wait)
        }
    }
}

impl Collector {
    /// Feed the whole of `r` (the file's bytes, in order), then
    /// [`Collector::finish`].
    pub fn read_from<R: Read>(&mut self, mut r: R) -> std::io::Result<Outcome> {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match r.read(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let Some(chunk) = buf.get(..n).filter(|c| !c.is_empty()) else {
                break;
            };
            self.feed(chunk);
        }
        Ok(self.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file without headers holding inline Go build information whose
    /// two strings take `each` bytes each.
    fn pe_like(each: usize) -> Vec<u8> {
        let mut f = b"MZ".to_vec();
        f.resize(0x40, 0);
        f.extend_from_slice(MAGIC);
        f.extend_from_slice(&[8, 2]);
        f.resize(0x40 + 32, 0);
        for fill in [b'v', b'm'] {
            let mut n = each;
            while n >= 0x80 {
                f.push((n as u8 & 0x7f) | 0x80);
                n >>= 7;
            }
            f.push(n as u8);
            f.resize(f.len() + each, fill);
        }
        f
    }

    fn stream(bytes: &[u8], chunk: usize) -> (Outcome, u64) {
        let mut c = Collector::new(bytes.len() as u64);
        for _ in 0..8 {
            for part in bytes.chunks(chunk) {
                c.feed(part);
            }
            match c.finish() {
                Outcome::Again => c.restart(),
                other => return (other, c.peak_held()),
            }
        }
        panic!("more than 8 passes")
    }

    #[test]
    fn what_is_held_is_capped() {
        // Two strings of 12 MiB: decoded by every source.
        let ok = pe_like(12 << 20);
        let whole = super::super::binary::reduce_from(&Whole(&ok)).unwrap();
        let (streamed, peak) = stream(&ok, 100_000);
        match (&whole, streamed) {
            (Some(w), Outcome::Done(Some(s))) => {
                assert_eq!(w.format_version, s.format_version);
                assert_eq!(s.format_version.as_deref().map(str::len), Some(12 << 20));
            }
            other => panic!("{other:?}"),
        }
        assert!(peak <= MAX_HELD, "{peak}");
        // Two of 16 MiB (the most a string may take): more than MAX_HELD
        // at once, refused by the streamed and the on-disk sources.
        let big = pe_like(16 << 20);
        match stream(&big, 1 << 20) {
            (Outcome::Bad(m), peak) => {
                assert!(m.contains("more than the 33554432 read"), "{m}");
                assert!(peak <= MAX_HELD, "{peak}");
            }
            other => panic!("{other:?}"),
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        std::fs::write(&path, &big).unwrap();
        let src = FileSource::new(File::open(&path).unwrap(), big.len() as u64);
        match super::super::binary::reduce_from(&src) {
            Err(Fail::Bad(m)) => assert!(m.contains("more than the 33554432 read"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(src.bytes_read() <= MAX_HELD);
    }

    #[test]
    fn magics_across_chunk_boundaries() {
        let mut f = vec![0u8; 1000];
        for at in [0usize, 100, 511, 700, 985] {
            f[at..at + MAGIC.len()].copy_from_slice(MAGIC);
        }
        for chunk in [1, 2, 7, 13, 14, 15, 64, 1000] {
            let mut s = Scan::new(MAGIC, MAX_MAGICS);
            let mut pos = 0;
            for part in f.chunks(chunk) {
                s.feed(pos, part);
                pos += part.len() as u64;
            }
            assert_eq!(s.found, [0, 100, 511, 700, 985], "chunk {chunk}");
        }
    }
}
