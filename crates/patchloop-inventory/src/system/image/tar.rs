//! A streaming tar reader with bounded memory.
//!
//! Reads POSIX ustar, GNU (`L`/`K` long names, base-256 sizes) and PAX
//! (`path`, `linkpath`, `size`) headers. Every header is checked (checksum,
//! octal fields); long names and PAX records are capped so that a hostile
//! header cannot make us allocate more than [`MAX_META`] bytes. Entry data
//! is never buffered here: the caller reads it through [`TarReader::data`]
//! or skips it.

use std::io::{self, Read};

/// Largest GNU long name or PAX extended header accepted.
pub const MAX_META: u64 = 1024 * 1024;

/// The kind of one tar entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    HardLink,
    Symlink,
    Dir,
    /// Devices, FIFOs, sockets and anything else we do not read.
    Other,
}

/// One entry's header, after long-name and PAX records were applied.
#[derive(Debug, Clone)]
pub struct Header {
    pub path: String,
    pub link: String,
    pub size: u64,
    pub mode: u32,
    pub kind: Kind,
    /// Offset of the entry's data from the start of the stream.
    pub data_offset: u64,
}

/// Why a tar stream could not be read.
#[derive(Debug)]
pub enum TarError {
    Io(io::Error),
    /// The stream ended inside a header or inside an entry's data.
    Truncated {
        offset: u64,
    },
    /// A header failed its checksum or has a malformed field.
    BadHeader {
        offset: u64,
        why: String,
    },
}

impl std::fmt::Display for TarError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TarError::Io(e) => write!(f, "{e}"),
            TarError::Truncated { offset } => write!(f, "truncated tar stream at byte {offset}"),
            TarError::BadHeader { offset, why } => {
                write!(f, "bad tar header at byte {offset}: {why}")
            }
        }
    }
}

impl From<io::Error> for TarError {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            TarError::Truncated { offset: 0 }
        } else {
            TarError::Io(e)
        }
    }
}

/// Reads headers one after the other from `R`.
pub struct TarReader<R> {
    inner: R,
    /// Bytes consumed so far.
    pos: u64,
    /// Data (plus padding) of the current entry not consumed yet.
    pending: u64,
    /// Data bytes of the current entry not consumed yet (without padding).
    pending_data: u64,
    done: bool,
}

impl<R: Read> TarReader<R> {
    pub fn new(inner: R) -> Self {
        TarReader {
            inner,
            pos: 0,
            pending: 0,
            pending_data: 0,
            done: false,
        }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    pub fn into_inner(self) -> R {
        self.inner
    }

    pub(crate) fn inner_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// Forget the current entry's remaining data (plus padding) and return
    /// its length: the caller skips it on the underlying reader.
    pub(crate) fn take_pending(&mut self) -> u64 {
        let n = self.pending;
        self.pos += n;
        self.pending = 0;
        self.pending_data = 0;
        n
    }

    /// The next entry's header, or `None` at the end of the archive. Any
    /// data of the previous entry that was not read is skipped.
    pub fn next_header(&mut self) -> Result<Option<Header>, TarError> {
        if self.done {
            return Ok(None);
        }
        self.skip_pending()?;
        let mut long_name: Option<String> = None;
        let mut long_link: Option<String> = None;
        let mut pax_path: Option<String> = None;
        let mut pax_link: Option<String> = None;
        let mut pax_size: Option<u64> = None;
        loop {
            let start = self.pos;
            let mut block = [0u8; 512];
            let n = read_full(&mut self.inner, &mut block)?;
            self.pos += n as u64;
            if n == 0 && long_name.is_none() && pax_path.is_none() && pax_size.is_none() {
                // EOF without the end-of-archive blocks: accepted, as GNU tar does.
                self.done = true;
                return Ok(None);
            }
            if n < 512 {
                return Err(TarError::Truncated { offset: start });
            }
            if block.iter().all(|b| *b == 0) {
                self.done = true;
                return Ok(None);
            }
            check_sum(&block).map_err(|why| TarError::BadHeader { offset: start, why })?;
            let size = match pax_size.take() {
                Some(s) => s,
                None => numeric(&block[124..136]).map_err(|why| TarError::BadHeader {
                    offset: start,
                    why: format!("size: {why}"),
                })?,
            };
            let typeflag = block[156];
            let padded = size
                .checked_add(511)
                .map(|s| s / 512 * 512)
                .ok_or_else(|| TarError::BadHeader {
                    offset: start,
                    why: "size overflows".into(),
                })?;
            match typeflag {
                b'L' | b'K' | b'x' | b'g' => {
                    if size > MAX_META {
                        return Err(TarError::BadHeader {
                            offset: start,
                            why: format!("extended header of {size} bytes (limit {MAX_META})"),
                        });
                    }
                    let mut buf = vec![0u8; padded as usize];
                    let n = read_full(&mut self.inner, &mut buf)?;
                    self.pos += n as u64;
                    if n < buf.len() {
                        return Err(TarError::Truncated { offset: self.pos });
                    }
                    buf.truncate(size as usize);
                    match typeflag {
                        b'L' => long_name = Some(cstr(&buf)),
                        b'K' => long_link = Some(cstr(&buf)),
                        b'x' => {
                            for (k, v) in pax_records(&buf)
                                .map_err(|why| TarError::BadHeader { offset: start, why })?
                            {
                                match k.as_str() {
                                    "path" => pax_path = Some(v),
                                    "linkpath" => pax_link = Some(v),
                                    "size" => {
                                        pax_size =
                                            Some(v.parse().map_err(|_| TarError::BadHeader {
                                                offset: start,
                                                why: format!("PAX size {v:?}"),
                                            })?)
                                    }
                                    _ => {}
                                }
                            }
                        }
                        // Global PAX headers carry nothing we use.
                        _ => {}
                    }
                    continue;
                }
                _ => {}
            }
            let mode = numeric(&block[100..108]).unwrap_or(0) as u32;
            let ustar = &block[257..263] == b"ustar\0";
            let mut name = cstr(&block[0..100]);
            if ustar {
                let prefix = cstr(&block[345..500]);
                if !prefix.is_empty() {
                    name = format!("{prefix}/{name}");
                }
            }
            let path = pax_path.or(long_name).unwrap_or(name);
            let link = pax_link
                .or(long_link)
                .unwrap_or_else(|| cstr(&block[157..257]));
            let kind = match typeflag {
                b'0' | 0 | b'7' => {
                    if path.ends_with('/') {
                        Kind::Dir
                    } else {
                        Kind::File
                    }
                }
                b'1' => Kind::HardLink,
                b'2' => Kind::Symlink,
                b'5' => Kind::Dir,
                _ => Kind::Other,
            };
            // Only regular files are read; every entry's stated size is
            // still skipped, as tar does.
            let data_size = match kind {
                Kind::File => size,
                _ => 0,
            };
            let skip = padded;
            self.pending = skip;
            self.pending_data = data_size.min(skip);
            return Ok(Some(Header {
                path,
                link,
                size: data_size,
                mode,
                kind,
                data_offset: self.pos,
            }));
        }
    }

    /// The current entry's data (at most its size).
    pub fn data(&mut self) -> EntryData<'_, R> {
        EntryData { tar: self }
    }

    fn skip_pending(&mut self) -> Result<(), TarError> {
        if self.pending == 0 {
            return Ok(());
        }
        let want = self.pending;
        let got = io::copy(&mut (&mut self.inner).take(want), &mut io::sink())?;
        self.pos += got;
        self.pending = 0;
        self.pending_data = 0;
        if got < want {
            return Err(TarError::Truncated { offset: self.pos });
        }
        Ok(())
    }
}

/// Reader over the current entry's data.
pub struct EntryData<'a, R> {
    tar: &'a mut TarReader<R>,
}

impl<R: Read> Read for EntryData<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.tar.pending_data;
        if left == 0 {
            return Ok(0);
        }
        let cap = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let Some(dst) = buf.get_mut(..cap) else {
            return Ok(0);
        };
        let n = self.tar.inner.read(dst)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("truncated tar stream at byte {}", self.tar.pos),
            ));
        }
        self.tar.pos += n as u64;
        self.tar.pending_data -= n as u64;
        self.tar.pending -= n as u64;
        Ok(n)
    }
}

fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        let Some(rest) = buf.get_mut(n..) else { break };
        match r.read(rest) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn cstr(b: &[u8]) -> String {
    let end = b.iter().position(|c| *c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(b.get(..end).unwrap_or_default()).into_owned()
}

/// An octal field, or GNU base-256 when the high bit is set.
fn numeric(field: &[u8]) -> Result<u64, String> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        let mut v: u64 = 0;
        for (i, b) in field.iter().enumerate() {
            let b = if i == 0 { b & 0x7f } else { *b };
            v = v
                .checked_mul(256)
                .and_then(|v| v.checked_add(u64::from(b)))
                .ok_or("base-256 number overflows")?;
        }
        return Ok(v);
    }
    let s: Vec<u8> = field
        .iter()
        .copied()
        .skip_while(|c| *c == b' ')
        .take_while(|c| *c != 0 && *c != b' ')
        .collect();
    if s.is_empty() {
        return Ok(0);
    }
    let mut v: u64 = 0;
    for c in s {
        if !(b'0'..=b'7').contains(&c) {
            return Err(format!("not an octal number: {:?}", cstr(field)));
        }
        v = v
            .checked_mul(8)
            .and_then(|v| v.checked_add(u64::from(c - b'0')))
            .ok_or("octal number overflows")?;
    }
    Ok(v)
}

fn check_sum(block: &[u8; 512]) -> Result<(), String> {
    let stored = numeric(&block[148..156])?;
    let mut sum: u64 = 0;
    for (i, b) in block.iter().enumerate() {
        sum += if (148..156).contains(&i) {
            u64::from(b' ')
        } else {
            u64::from(*b)
        };
    }
    if sum != stored {
        return Err(format!("checksum {stored} does not match {sum}"));
    }
    Ok(())
}

/// `LEN key=value\n` records.
fn pax_records(mut b: &[u8]) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let sp = b
            .iter()
            .position(|c| *c == b' ')
            .ok_or("PAX record without a length")?;
        let len: usize = std::str::from_utf8(b.get(..sp).unwrap_or_default())
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or("PAX record length is not a number")?;
        let rec = b.get(sp + 1..len).ok_or("PAX record overruns the header")?;
        let rec = rec.strip_suffix(b"\n").unwrap_or(rec);
        let eq = rec
            .iter()
            .position(|c| *c == b'=')
            .ok_or("PAX record without '='")?;
        let k = String::from_utf8_lossy(rec.get(..eq).unwrap_or_default()).into_owned();
        let v = String::from_utf8_lossy(rec.get(eq + 1..).unwrap_or_default()).into_owned();
        out.push((k, v));
        b = b.get(len..).unwrap_or_default();
    }
    Ok(out)
}
