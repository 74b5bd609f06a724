//! The merged view of the files a tree walk kept.

use std::collections::{BTreeMap, HashMap};

use patchloop_model::SourceFile;

/// Content kept for one path.
#[derive(Debug, Clone)]
pub enum Content {
    /// The file's bytes.
    Bytes(Vec<u8>),
    /// What a reduced file embeds (see [`super::Want::Reduce`]).
    Parsed(Box<SourceFile>),
    /// A reduced file that embeds nothing known, or could not be read:
    /// the message says why (empty when there is simply nothing).
    Nothing(String),
    /// A symbolic link and its target as stored.
    Symlink(String),
}

/// One kept path.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Index of the image layer that last wrote the path (`None` for a
    /// rootfs).
    pub layer: Option<u32>,
    pub content: Content,
}

/// What an earlier layer's copy of a package database held: package name
/// → version. Image layers rewrite the whole database file whenever they
/// install anything, so without these the packages of the base image
/// would all seem to come from the last layer that ran the package
/// manager.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub layer: Option<u32>,
    pub versions: HashMap<String, String>,
}

/// Kept files by normalized path.
#[derive(Debug, Default, Clone)]
pub struct FileSet {
    entries: BTreeMap<String, Entry>,
    /// Package databases replaced by a later layer, oldest first.
    earlier: BTreeMap<String, Vec<Snapshot>>,
}

/// Most symbolic links followed when resolving one path.
const MAX_LINK_HOPS: usize = 40;

impl FileSet {
    pub fn new() -> Self {
        FileSet::default()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Record `path`, replacing what a lower layer had there.
    pub fn insert(&mut self, path: &str, layer: Option<u32>, content: Content) {
        let path = normalize(path);
        if let Some(Entry {
            layer: old_layer,
            content: Content::Bytes(old),
        }) = self.entries.get(&path)
            && let Some(versions) = super::os::snapshot(&path, old)
        {
            self.earlier
                .entry(path.clone())
                .or_default()
                .push(Snapshot {
                    layer: *old_layer,
                    versions,
                });
        }
        self.entries.insert(path, Entry { layer, content });
    }

    /// What earlier layers' copies of the package database at `path`
    /// held, oldest first (empty for a rootfs or a database written once).
    pub fn earlier(&self, path: &str) -> &[Snapshot] {
        self.earlier
            .get(&normalize(path))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Forget `path` and everything under it (a whiteout `.wh.NAME`).
    pub fn remove(&mut self, path: &str) {
        let path = normalize(path);
        self.entries.remove(&path);
        self.earlier.remove(&path);
        self.remove_under(&path);
    }

    /// Forget everything under directory `dir` but not `dir` itself (an
    /// opaque whiteout `.wh..wh..opq`, applied before the layer's own
    /// entries).
    pub fn remove_under(&mut self, dir: &str) {
        let dir = normalize(dir);
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let doomed: Vec<String> = self
            .entries
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| k.clone())
            .collect();
        for k in doomed {
            self.entries.remove(&k);
            self.earlier.remove(&k);
        }
    }

    /// The entry stored at exactly `path` (no link resolution).
    pub fn entry(&self, path: &str) -> Option<&Entry> {
        self.entries.get(&normalize(path))
    }

    /// Resolve symbolic links (in any component, bounded hops; links never
    /// leave the tree: `..` stops at the root) and return the final entry
    /// with its resolved path.
    pub fn resolve(&self, path: &str) -> Option<(String, &Entry)> {
        let mut pending: Vec<String> = split(path).into_iter().rev().collect();
        let mut done: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(comp) = pending.pop() {
            if comp == ".." {
                done.pop();
                continue;
            }
            done.push(comp);
            let here = done.join("/");
            if let Some(Entry {
                content: Content::Symlink(target),
                ..
            }) = self.entries.get(&here)
            {
                hops += 1;
                if hops > MAX_LINK_HOPS {
                    return None;
                }
                done.pop();
                if target.starts_with('/') {
                    done.clear();
                }
                for c in split(target).into_iter().rev() {
                    pending.push(c);
                }
            }
        }
        let key = done.join("/");
        self.entries.get(&key).map(|e| (key, e))
    }

    /// The bytes of the regular file at `path` after link resolution.
    pub fn bytes(&self, path: &str) -> Option<&[u8]> {
        match self.resolve(path) {
            Some((
                _,
                Entry {
                    content: Content::Bytes(b),
                    ..
                },
            )) => Some(b),
            _ => None,
        }
    }

    /// Every entry, in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Entry)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Entries whose path starts with `prefix`, in path order.
    pub fn under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a Entry)> {
        self.entries
            .range(prefix.to_string()..)
            .take_while(move |(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.as_str(), v))
    }
}

fn split(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .map(str::to_string)
        .collect()
}

/// Normalize a tree path: no leading `/` or `./`, no empty or `.`
/// components, `..` resolved lexically and clamped at the root.
pub fn normalize(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(s: &str) -> Content {
        Content::Bytes(s.as_bytes().to_vec())
    }

    #[test]
    fn whiteouts_and_opaque_dirs() {
        let mut fs = FileSet::new();
        fs.insert("/etc/a", Some(0), bytes("a"));
        fs.insert("etc/sub/b", Some(0), bytes("b"));
        fs.insert("etcx", Some(0), bytes("x"));
        fs.remove("etc/sub");
        assert!(fs.entry("etc/sub/b").is_none());
        assert!(fs.entry("etc/a").is_some());
        fs.remove_under("etc");
        assert!(fs.entry("etc/a").is_none());
        assert!(fs.entry("etcx").is_some());
    }

    #[test]
    fn links_resolve_inside_the_tree() {
        let mut fs = FileSet::new();
        fs.insert("usr/lib/os-release", None, bytes("ID=debian"));
        fs.insert(
            "etc/os-release",
            None,
            Content::Symlink("../usr/lib/os-release".into()),
        );
        fs.insert("lib", None, Content::Symlink("usr/lib".into()));
        fs.insert(
            "escape",
            None,
            Content::Symlink("../../../../usr/lib/os-release".into()),
        );
        fs.insert("loop1", None, Content::Symlink("loop2".into()));
        fs.insert("loop2", None, Content::Symlink("/loop1".into()));
        assert_eq!(fs.bytes("/etc/os-release"), Some(&b"ID=debian"[..]));
        assert_eq!(fs.bytes("lib/os-release"), Some(&b"ID=debian"[..]));
        assert_eq!(fs.bytes("escape"), Some(&b"ID=debian"[..]));
        assert_eq!(fs.bytes("loop1"), None);
    }
}
