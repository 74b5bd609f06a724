//! Access to the members of an image: files of an OCI layout directory,
//! or members of a tar (a `docker save` archive or an OCI layout in a
//! tar). A tar is indexed once (headers only: data is skipped with seeks)
//! and each member is then read from its offset; nothing is extracted.
//! A registry ([`super::registry`]) serves the same member names: the
//! referenced manifest as `index.json` and `blobs/sha256/<hex>` from its
//! blob and manifest endpoints.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::ImageError;
use super::registry::Remote;
use super::tar::{Kind, TarReader};
use crate::system::source::clean;

/// Most members indexed in an image tar (a real image has a few per layer).
const MAX_MEMBERS: usize = 100_000;
/// Most links followed to find a member.
const MAX_HOPS: usize = 16;

#[derive(Debug, Clone)]
pub(crate) struct Member {
    offset: u64,
    size: u64,
    kind: Kind,
    link: String,
}

pub(crate) enum Store {
    Dir {
        root: PathBuf,
    },
    Tar {
        path: PathBuf,
        members: HashMap<String, Member>,
    },
    Registry {
        remote: Box<Remote>,
        /// The referenced manifest as an index: the index itself, or a
        /// one-entry index naming the manifest.
        index: Vec<u8>,
    },
}

impl Store {
    pub(crate) fn open(path: &Path) -> Result<Store, ImageError> {
        let display = path.display().to_string();
        let md = std::fs::metadata(path).map_err(|e| ImageError::io(&display, e))?;
        if md.is_dir() {
            let root = std::fs::canonicalize(path).map_err(|e| ImageError::io(&display, e))?;
            return Ok(Store::Dir { root });
        }
        let file = File::open(path).map_err(|e| ImageError::io(&display, e))?;
        let len = md.len();
        let mut tar = TarReader::new(BufReader::with_capacity(64 * 1024, file));
        let mut members = HashMap::new();
        loop {
            let h = match tar.next_header() {
                Ok(Some(h)) => h,
                Ok(None) => break,
                Err(e) => {
                    return Err(ImageError::Archive {
                        archive: display,
                        why: e.to_string(),
                    });
                }
            };
            if members.len() >= MAX_MEMBERS {
                return Err(ImageError::Archive {
                    archive: display,
                    why: format!("more than {MAX_MEMBERS} members"),
                });
            }
            let Some(name) = clean(&h.path) else {
                // Never looked up: member names are only reached by digest
                // or by cleaned manifest paths.
                continue;
            };
            if h.kind == Kind::File && h.data_offset.saturating_add(h.size) > len {
                return Err(ImageError::Archive {
                    archive: display,
                    why: format!(
                        "member {name} ({} bytes at byte {}) is cut short: the archive has {len} bytes",
                        h.size, h.data_offset
                    ),
                });
            }
            members.insert(
                name,
                Member {
                    offset: h.data_offset,
                    size: h.size,
                    kind: h.kind,
                    link: h.link,
                },
            );
            tar.skip_seek().map_err(|e| ImageError::Archive {
                archive: display.clone(),
                why: e.to_string(),
            })?;
        }
        Ok(Store::Tar {
            path: path.to_path_buf(),
            members,
        })
    }

    /// A registry image: `remote` has fetched the manifest its reference
    /// names.
    pub(crate) fn registry(remote: Remote) -> Store {
        let (bytes, media, digest) = &remote.top;
        let index = if super::INDEX_TYPES.contains(&media.as_str()) {
            bytes.clone()
        } else {
            serde_json::to_vec(&serde_json::json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.index.v1+json",
                "manifests": [{"mediaType": media, "digest": digest, "size": bytes.len()}],
            }))
            .unwrap_or_default()
        };
        Store::Registry {
            remote: Box::new(remote),
            index,
        }
    }

    /// Whether member `name` exists (after following links). A registry
    /// has `index.json` and is asked for blobs only when one is read.
    pub(crate) fn has(&self, name: &str) -> bool {
        match self {
            Store::Dir { root } => clean(name).is_some_and(|n| root.join(n).is_file()),
            Store::Tar { .. } => self.find(name).is_some(),
            Store::Registry { .. } => name == "index.json" || name.starts_with("blobs/sha256/"),
        }
    }

    /// The whole of a manifest or index member (a registry serves those
    /// from its manifest endpoint), refusing more than `max` bytes. The
    /// caller checks its digest.
    pub(crate) fn read_manifest(&self, name: &str, max: u64) -> Result<Vec<u8>, ImageError> {
        match self {
            Store::Registry { remote, index } => {
                if name == "index.json" {
                    return Ok(index.clone());
                }
                let digest = registry_digest(name)?;
                let (top, _, top_digest) = &remote.top;
                if *top_digest == digest {
                    return Ok(top.clone());
                }
                let (bytes, _, _) = remote.manifest(&digest, max)?;
                Ok(bytes)
            }
            _ => self.read_small(name, max),
        }
    }

    fn find(&self, name: &str) -> Option<Member> {
        let Store::Tar { members, .. } = self else {
            return None;
        };
        let mut name = clean(name)?;
        for _ in 0..MAX_HOPS {
            let m = members.get(&name)?;
            match m.kind {
                Kind::File => return Some(m.clone()),
                Kind::HardLink => name = clean(&m.link)?,
                Kind::Symlink => {
                    let dir = name.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
                    name = if m.link.starts_with('/') {
                        clean(&m.link)?
                    } else {
                        clean(&format!("{dir}/{}", m.link))?
                    };
                }
                _ => return None,
            }
        }
        None
    }

    /// Open member `name` (a path inside the layout or archive): a reader
    /// over exactly its bytes, and its size (when the registry says it).
    pub(crate) fn open_member(
        &self,
        name: &str,
    ) -> Result<(Box<dyn Read + Send>, Option<u64>), ImageError> {
        let missing = || ImageError::Missing {
            member: name.to_string(),
        };
        match self {
            Store::Dir { root } => {
                let rel = clean(name).ok_or_else(missing)?;
                let p = root.join(&rel);
                let real = std::fs::canonicalize(&p).map_err(|_| missing())?;
                if !real.starts_with(root) {
                    return Err(missing());
                }
                let f =
                    File::open(&real).map_err(|e| ImageError::io(&p.display().to_string(), e))?;
                let md = f
                    .metadata()
                    .map_err(|e| ImageError::io(&p.display().to_string(), e))?;
                if !md.is_file() {
                    return Err(missing());
                }
                Ok((Box::new(f), Some(md.len())))
            }
            Store::Tar { path, .. } => {
                let m = self.find(name).ok_or_else(missing)?;
                let display = path.display().to_string();
                let mut f = File::open(path).map_err(|e| ImageError::io(&display, e))?;
                f.seek(SeekFrom::Start(m.offset))
                    .map_err(|e| ImageError::io(&display, e))?;
                Ok((Box::new(f.take(m.size)), Some(m.size)))
            }
            Store::Registry { remote, .. } => {
                let digest = registry_digest(name)?;
                remote.blob(&digest)
            }
        }
    }

    /// The whole of a small member (JSON), refusing more than `max` bytes.
    pub(crate) fn read_small(&self, name: &str, max: u64) -> Result<Vec<u8>, ImageError> {
        let (r, size) = self.open_member(name)?;
        if let Some(size) = size
            && size > max
        {
            return Err(ImageError::Member {
                member: name.to_string(),
                why: format!("{size} bytes, more than the {max} accepted for image metadata"),
            });
        }
        let mut v = Vec::new();
        r.take(max.saturating_add(1))
            .read_to_end(&mut v)
            .map_err(|e| ImageError::Member {
                member: name.to_string(),
                why: e.to_string(),
            })?;
        if v.len() as u64 > max {
            return Err(ImageError::Member {
                member: name.to_string(),
                why: format!("more than the {max} bytes accepted for image metadata"),
            });
        }
        if size.is_some_and(|s| (v.len() as u64) < s) {
            return Err(ImageError::Member {
                member: name.to_string(),
                why: "truncated".into(),
            });
        }
        Ok(v)
    }
}

/// The digest a registry member name stands for (`blobs/sha256/<hex>`).
fn registry_digest(name: &str) -> Result<String, ImageError> {
    match name.strip_prefix("blobs/sha256/") {
        Some(h) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(format!("sha256:{h}"))
        }
        _ => Err(ImageError::Missing {
            member: name.to_string(),
        }),
    }
}

impl<R: Read + Seek> TarReader<R> {
    /// Skip the current entry's data by seeking.
    pub(crate) fn skip_seek(&mut self) -> io::Result<()> {
        let n = self.take_pending();
        if n > 0 {
            let off = i64::try_from(n).map_err(|_| io::Error::other("member too large"))?;
            self.inner_mut().seek(SeekFrom::Current(off))?;
        }
        Ok(())
    }
}
