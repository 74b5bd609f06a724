//! The SQLite rpmdb of rpm ≥ 4.16 (RHEL/Rocky/AlmaLinux 9, Fedora ≥ 33):
//! `var/lib/rpm/rpmdb.sqlite` or `usr/lib/sysimage/rpm/rpmdb.sqlite`.
//!
//! The table `Packages(hnum INTEGER PRIMARY KEY, blob BLOB)` holds one RPM
//! header per installed package, in the header structure of the RPM file
//! format (rpm's `headerExport`, the "Header structure" of the RPM v4
//! package format spec) without its 8-byte magic:
//!
//! ```text
//! il: u32 BE   number of index entries
//! dl: u32 BE   size of the data store
//! il × { tag: u32, type: u32, offset: u32, count: u32 }   (all BE)
//! dl bytes of data; entry values live at `offset` in the data store
//! ```
//!
//! Every offset and count is checked against the data store; rpm's own
//! limits apply (at most 0xffff entries, a data store under 256 MiB).
//!
//! The database is opened from a private temporary copy (with its `-wal`
//! file when the tree has one: a WAL-mode rpmdb may hold committed
//! transactions there that are not yet in the main file, and SQLite only
//! reads a WAL beside its database; an in-memory `deserialize` could not
//! include it). The copy is opened in SQLite's defensive mode with
//! untrusted schemas, and `Packages` must be a real table.

use patchloop_model::{
    Diagnostic, DiagnosticLevel, EcosystemKind, Package, SourceFile, SourcePackage,
};

use super::super::{Analysis, FileSet};
use super::{Context, db_bytes, purl};

pub const TAG_NAME: u32 = 1000;
pub const TAG_VERSION: u32 = 1001;
pub const TAG_RELEASE: u32 = 1002;
pub const TAG_EPOCH: u32 = 1003;
pub const TAG_LICENSE: u32 = 1014;
pub const TAG_ARCH: u32 = 1022;
pub const TAG_SOURCERPM: u32 = 1044;
/// `name:stream:version:context` of the module a package was built in
/// (rpm ≥ 4.15; absent for packages outside modules).
pub const TAG_MODULARITYLABEL: u32 = 5096;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// rpm's `hdrchkTags` and `hdrchkData` limits.
const MAX_ENTRIES: u32 = 0xffff;
const MAX_DATA: u32 = 0x0fff_ffff;

/// Why a header blob cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("header shorter than its 8-byte preamble ({0} bytes)")]
    Short(usize),
    #[error("header claims {0} index entries (rpm allows 1 to 65535)")]
    Entries(u32),
    #[error("header claims a {0}-byte data store (rpm allows up to 256 MiB)")]
    Data(u32),
    #[error("header is {have} bytes, its index and data store need {need}")]
    Truncated { have: usize, need: u64 },
    #[error(
        "tag {tag}: type {ty} offset {offset} count {count} lies outside the {dl}-byte data store"
    )]
    Bounds {
        tag: u32,
        ty: u32,
        offset: u32,
        count: u32,
        dl: usize,
    },
    #[error("tag {tag}: unexpected type {ty}")]
    Type { tag: u32, ty: u32 },
    #[error("tag {0}: string is not NUL-terminated")]
    Unterminated(u32),
    #[error("no {0} tag")]
    Missing(&'static str),
}

/// The fields of one header patchloop reads.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Header {
    pub name: String,
    pub version: String,
    pub release: String,
    pub epoch: Option<u32>,
    pub arch: String,
    pub source_rpm: Option<String>,
    pub license: Option<String>,
    pub modularity_label: Option<String>,
}

impl Header {
    /// `[epoch:]version-release`, as rpm compares and OSV records write it.
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(e) => format!("{e}:{}-{}", self.version, self.release),
            None => format!("{}-{}", self.version, self.release),
        }
    }

    /// Source package name and `version-release` from `SOURCERPM`
    /// (`openssl-3.0.7-24.el9.src.rpm`).
    pub fn source(&self) -> Option<(String, String)> {
        let s = self.source_rpm.as_deref()?;
        let s = s
            .strip_suffix(".src.rpm")
            .or_else(|| s.strip_suffix(".nosrc.rpm"))?;
        let (rest, release) = s.rsplit_once('-')?;
        let (name, version) = rest.rsplit_once('-')?;
        if name.is_empty() || version.is_empty() || release.is_empty() {
            return None;
        }
        Some((name.to_string(), format!("{version}-{release}")))
    }
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Parse one header blob (as stored in `Packages.blob`).
pub fn parse_header(blob: &[u8]) -> Result<Header, HeaderError> {
    let (Some(il), Some(dl)) = (be32(blob, 0), be32(blob, 4)) else {
        return Err(HeaderError::Short(blob.len()));
    };
    if il == 0 || il > MAX_ENTRIES {
        return Err(HeaderError::Entries(il));
    }
    if dl > MAX_DATA {
        return Err(HeaderError::Data(dl));
    }
    let index_end = 8 + 16 * il as usize;
    let need = index_end as u64 + dl as u64;
    if (blob.len() as u64) < need {
        return Err(HeaderError::Truncated {
            have: blob.len(),
            need,
        });
    }
    let (index, data) = match (
        blob.get(8..index_end),
        blob.get(index_end..index_end + dl as usize),
    ) {
        (Some(i), Some(d)) => (i, d),
        _ => {
            return Err(HeaderError::Truncated {
                have: blob.len(),
                need,
            });
        }
    };
    let mut h = Header::default();
    let (mut have_name, mut have_version, mut have_release) = (false, false, false);
    for entry in index.chunks_exact(16) {
        let (Some(tag), Some(ty), Some(offset), Some(count)) = (
            be32(entry, 0),
            be32(entry, 4),
            be32(entry, 8),
            be32(entry, 12),
        ) else {
            continue;
        };
        let bounds = || HeaderError::Bounds {
            tag,
            ty,
            offset,
            count,
            dl: data.len(),
        };
        let string = || -> Result<String, HeaderError> {
            if !matches!(ty, TYPE_STRING | TYPE_I18NSTRING | TYPE_STRING_ARRAY) {
                return Err(HeaderError::Type { tag, ty });
            }
            if count == 0 {
                return Err(bounds());
            }
            let rest = data.get(offset as usize..).ok_or_else(bounds)?;
            let end = rest
                .iter()
                .position(|b| *b == 0)
                .ok_or(HeaderError::Unterminated(tag))?;
            Ok(String::from_utf8_lossy(rest.get(..end).unwrap_or(&[])).into_owned())
        };
        match tag {
            TAG_NAME => {
                h.name = string()?;
                have_name = true;
            }
            TAG_VERSION => {
                h.version = string()?;
                have_version = true;
            }
            TAG_RELEASE => {
                h.release = string()?;
                have_release = true;
            }
            TAG_ARCH => h.arch = string()?,
            TAG_SOURCERPM => h.source_rpm = Some(string()?).filter(|s| !s.is_empty()),
            TAG_LICENSE => h.license = Some(string()?).filter(|s| !s.is_empty()),
            TAG_MODULARITYLABEL => {
                h.modularity_label = Some(string()?).filter(|s| !s.is_empty());
            }
            TAG_EPOCH => {
                if ty != TYPE_INT32 {
                    return Err(HeaderError::Type { tag, ty });
                }
                if count == 0 || !offset.is_multiple_of(4) {
                    return Err(bounds());
                }
                h.epoch = Some(be32(data, offset as usize).ok_or_else(bounds)?);
            }
            _ => {}
        }
    }
    if !have_name {
        return Err(HeaderError::Missing("NAME"));
    }
    if !have_version {
        return Err(HeaderError::Missing("VERSION"));
    }
    if !have_release {
        return Err(HeaderError::Missing("RELEASE"));
    }
    Ok(h)
}

/// Why the database cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot copy the database to a private temporary file: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a readable SQLite rpmdb: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("`Packages` is not a table of this database")]
    NoTable,
}

/// One row of `Packages`: its `hnum` and its header, or why it is unreadable.
pub type Row = (i64, Result<Header, HeaderError>);

/// Read every header of a SQLite rpmdb given as bytes (and its WAL, if
/// any): `(hnum, header or why not)` in `hnum` order.
pub fn read_db(db: &[u8], wal: Option<&[u8]>) -> Result<Vec<Row>, DbError> {
    use rusqlite::{Connection, OpenFlags, config::DbConfig};
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("rpmdb.sqlite");
    std::fs::write(&path, db)?;
    if let Some(w) = wal {
        std::fs::write(dir.path().join("rpmdb.sqlite-wal"), w)?;
    }
    let conn = Connection::open_with_flags(
        &path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    let is_table: bool = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'Packages'",
        [],
        |r| r.get::<_, i64>(0).map(|n| n == 1),
    )?;
    if !is_table {
        return Err(DbError::NoTable);
    }
    let mut stmt = conn.prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")?;
    let rows = stmt.query_map([], |r| {
        let hnum: i64 = r.get(0)?;
        let blob = r.get_ref(1)?;
        Ok((
            hnum,
            match blob.as_blob() {
                Ok(b) => parse_header(b),
                Err(_) => Err(HeaderError::Short(0)),
            },
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row?);
    }
    Ok(out)
}

pub fn analyze(set: &FileSet, path: &str, ctx: &Context<'_>, out: &mut Analysis) {
    let Some((bytes, layer)) = db_bytes(set, path, ctx, out) else {
        return;
    };
    let display = ctx.display(path);
    let wal = set.bytes(&format!("{path}-wal"));
    let headers = match read_db(bytes, wal) {
        Ok(h) => h,
        Err(e) => {
            out.diagnostics.push(Diagnostic {
                level: DiagnosticLevel::Error,
                path: display,
                line: None,
                message: e.to_string(),
            });
            return;
        }
    };
    let ecosystem = ctx.ecosystem_for(&[
        EcosystemKind::RedHat,
        EcosystemKind::RockyLinux,
        EcosystemKind::AlmaLinux,
    ]);
    let distro = ctx.distro_qualifier().unwrap_or_default();
    // Red Hat's own purls (CSAF, SBOMs, OSV) use the `redhat` namespace.
    let ns = match ctx.namespace("redhat").as_str() {
        "rhel" => "redhat".to_string(),
        n => n.to_string(),
    };
    let mut sf = SourceFile::new(display.clone(), "rpmdb-sqlite", ecosystem.clone());
    for (hnum, h) in headers {
        let h = match h {
            Ok(h) => h,
            Err(e) => {
                out.diagnostics.push(Diagnostic {
                    level: DiagnosticLevel::Warning,
                    path: display.clone(),
                    line: None,
                    message: format!("package header {hnum}: {e}; skipped"),
                });
                continue;
            }
        };
        // Imported signing keys are stored as pseudo-packages.
        if h.name == "gpg-pubkey" {
            continue;
        }
        let evr = h.evr();
        let mut p = Package::new(ecosystem.clone(), h.name.clone(), evr.clone());
        let epoch = h.epoch.map(|e| e.to_string()).unwrap_or_default();
        p.purl = purl(
            "rpm",
            &ns,
            &h.name,
            &format!("{}-{}", h.version, h.release),
            &[
                ("arch", &h.arch),
                ("distro", &distro),
                ("epoch", &epoch),
                // As Red Hat writes modular RPMs (`rpmmod=perl:5.32`):
                // here the whole label the rpmdb records.
                ("rpmmod", h.modularity_label.as_deref().unwrap_or("")),
            ],
        );
        p.id = p.purl.clone();
        p.source = h.source().map(|(name, version)| SourcePackage {
            version: if version == format!("{}-{}", h.version, h.release) {
                String::new()
            } else {
                version
            },
            name,
        });
        p.layer = layer;
        sf.packages.push(p.with_location(&display, None));
    }
    super::attribute_layers(set, path, &mut sf);
    out.sources.push(sf);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Build a header blob: entries (tag, type, value bytes, count), data
    /// laid out in order with INT32 values 4-aligned.
    pub(crate) fn blob(entries: &[(u32, u32, Vec<u8>, u32)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data: Vec<u8> = Vec::new();
        for (tag, ty, value, count) in entries {
            if *ty == TYPE_INT32 {
                while !data.len().is_multiple_of(4) {
                    data.push(0);
                }
            }
            for v in [*tag, *ty, data.len() as u32, *count] {
                index.extend_from_slice(&v.to_be_bytes());
            }
            data.extend_from_slice(value);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend(index);
        out.extend(data);
        out
    }

    fn s(v: &str) -> Vec<u8> {
        let mut b = v.as_bytes().to_vec();
        b.push(0);
        b
    }

    #[test]
    fn header_fields_and_bounds() {
        let b = blob(&[
            (TAG_NAME, TYPE_STRING, s("openssl-libs"), 1),
            (TAG_VERSION, TYPE_STRING, s("3.0.7"), 1),
            (TAG_RELEASE, TYPE_STRING, s("24.el9"), 1),
            (TAG_EPOCH, TYPE_INT32, 1u32.to_be_bytes().to_vec(), 1),
            (TAG_ARCH, TYPE_STRING, s("x86_64"), 1),
            (
                TAG_SOURCERPM,
                TYPE_STRING,
                s("openssl-3.0.7-24.el9.src.rpm"),
                1,
            ),
        ]);
        let h = parse_header(&b).unwrap();
        assert_eq!(h.evr(), "1:3.0.7-24.el9");
        assert_eq!(
            h.source(),
            Some(("openssl".to_string(), "3.0.7-24.el9".to_string()))
        );
        // Every truncation is an error, never a panic.
        for n in 0..b.len() {
            assert!(parse_header(&b[..n]).is_err(), "prefix {n}");
        }
        // An offset past the data store.
        let mut bad = b.clone();
        bad[8 + 8..8 + 12].copy_from_slice(&10_000u32.to_be_bytes());
        assert!(matches!(
            parse_header(&bad),
            Err(HeaderError::Bounds { tag: TAG_NAME, .. })
        ));
        // Too many entries claimed.
        let mut bad = b.clone();
        bad[..4].copy_from_slice(&0x10000u32.to_be_bytes());
        assert_eq!(parse_header(&bad), Err(HeaderError::Entries(0x10000)));
        // An unterminated string at the end of the store.
        let b2 = blob(&[(TAG_NAME, TYPE_STRING, b"abc".to_vec(), 1)]);
        assert_eq!(parse_header(&b2), Err(HeaderError::Unterminated(TAG_NAME)));
    }
}
