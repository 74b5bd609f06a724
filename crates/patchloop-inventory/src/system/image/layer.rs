//! Applying one layer's tar stream to the merged [`FileSet`].
//!
//! Semantics (OCI image spec, "Applying changesets", and Docker's
//! `ApplyLayer`):
//! - whiteouts (`.wh.NAME`) and opaque markers (`.wh..wh..opq`) hide what
//!   *lower* layers had; files of the same layer are never hidden by them,
//!   whatever their order in the tar. Entries carry the layer that wrote
//!   them, so a whiteout removes only entries of other layers and the
//!   stream is read once, in archive order;
//! - a file, link or device replaces whatever was at its path (and below
//!   it); a directory replaces a file or link at its path;
//! - a parent component that is a symbolic link is followed inside the
//!   tree, as an extraction would (`lib -> usr/lib` makes `lib/x` land in
//!   `usr/lib/x`);
//! - hard links copy the content kept for their target (from this layer
//!   or a lower one). When the target was not kept (its path was not
//!   wanted) but the link's path is, the layer is read a second time for
//!   those targets only;
//! - members whose path climbs above the root with `..` are skipped with a
//!   warning; absolute paths are taken relative to the root.

use std::collections::BTreeMap;
use std::io::Read;

use patchloop_model::Diagnostic;

use super::tar::{Kind, TarError, TarReader};
use crate::system::lang::ranges::{Collector, Outcome};
use crate::system::source::{clean, content_for, read_wanted, want_max, warn};
use crate::system::{Content, Entry, FileSet, Want, WantFn};

/// Marks an entry whose hard-link target is read in a second pass.
const PENDING: &str = "\u{0}pending hard link";
/// Marks an executable whose reading needs another pass over the layer.
const READING: &str = "\u{0}pending executable read";

/// Executables up to this size are read whole from a layer; larger ones
/// are streamed through a [`Collector`].
pub(crate) const WHOLE: u64 = 8 * 1024 * 1024;

/// Executables a pass could not finish: tar entry number → its collector
/// and the paths waiting for its packages.
pub(crate) type PendingReads = BTreeMap<u64, (Collector, Vec<String>)>;

/// Most symbolic links followed when placing one member.
const MAX_HOPS: usize = 40;

/// Why a layer could not be applied.
#[derive(Debug)]
pub(crate) enum LayerError {
    Tar(TarError),
    Io(std::io::Error),
    TooManyEntries(u64),
}

impl From<TarError> for LayerError {
    fn from(e: TarError) -> Self {
        LayerError::Tar(e)
    }
}

/// Hard links to resolve in a second pass: target member → link paths.
pub(crate) type PendingLinks = BTreeMap<String, Vec<(String, u32)>>;

/// Apply layer `index` from `tar`. `display` names the layer in
/// diagnostics (`image.tar!blobs/sha256/…`). Returns the hard links whose
/// target must be read in a second pass, and the executables that need
/// another pass ([`reread`]).
pub(crate) fn apply<R: Read>(
    set: &mut FileSet,
    index: u32,
    display: &str,
    tar: &mut TarReader<R>,
    max_entries: u64,
    want_fn: WantFn<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Result<(PendingLinks, PendingReads), LayerError> {
    let mut pending = PendingLinks::new();
    let mut reads = PendingReads::new();
    let mut count: u64 = 0;
    while let Some(h) = tar.next_header()? {
        count += 1;
        if count > max_entries {
            return Err(LayerError::TooManyEntries(max_entries));
        }
        let Some(member) = clean(&h.path) else {
            diags.push(warn(
                display,
                format!("member {:?} climbs out of the root: skipped", h.path),
            ));
            continue;
        };
        if member.is_empty() {
            continue;
        }
        let (parent, name) = match member.rsplit_once('/') {
            Some((p, n)) => (p, n),
            None => ("", member.as_str()),
        };
        let parent = place(set, parent);
        let join = |n: &str| {
            if parent.is_empty() {
                n.to_string()
            } else {
                format!("{parent}/{n}")
            }
        };
        if let Some(hidden) = name.strip_prefix(".wh.") {
            if hidden == ".wh..opq" {
                remove_lower(set, &parent, index, false);
            } else if !hidden.starts_with(".wh.") && !hidden.is_empty() {
                remove_lower(set, &join(hidden), index, true);
            }
            // Other `.wh..wh.*` names are aufs bookkeeping.
            continue;
        }
        let path = join(name);
        let mem_display = format!("{display}:{member}");
        match h.kind {
            Kind::Dir => {
                if set.entry(&path).is_some() {
                    set.remove(&path);
                }
            }
            Kind::Symlink => {
                set.remove(&path);
                set.insert(&path, Some(index), Content::Symlink(h.link.clone()));
            }
            Kind::Other => set.remove(&path),
            Kind::File => {
                set.remove(&path);
                let want = want_fn(&path, h.size, h.mode);
                if let Want::Executable { max } = want
                    && h.size > WHOLE
                    && h.size <= max
                {
                    let mut c = Collector::new(h.size);
                    let outcome = c.read_from(tar.data()).map_err(LayerError::Io)?;
                    settle(set, index, vec![path], c, outcome, count, &mut reads);
                } else if want != Want::Skip {
                    let read = read_wanted(&path, &mem_display, want, h.size, tar.data(), diags)
                        .map_err(LayerError::Io)?;
                    if let Some(c) = read {
                        set.insert(&path, Some(index), c);
                    }
                }
            }
            Kind::HardLink => {
                set.remove(&path);
                let Some(target) = clean(&h.link) else {
                    diags.push(warn(
                        &mem_display,
                        format!("hard link to {:?} points out of the root: skipped", h.link),
                    ));
                    continue;
                };
                let (tp, tn) = match target.rsplit_once('/') {
                    Some((p, n)) => (place(set, p), n.to_string()),
                    None => (String::new(), target.clone()),
                };
                let tpath = if tp.is_empty() {
                    tn
                } else {
                    format!("{tp}/{tn}")
                };
                match set.entry(&tpath).cloned() {
                    Some(Entry { content, .. })
                        if tpath != path
                            && !matches!(&content, Content::Nothing(m) if m == PENDING || m == READING) =>
                    {
                        let size = match &content {
                            Content::Bytes(b) => b.len() as u64,
                            _ => 0,
                        };
                        let want = want_fn(&path, size, h.mode);
                        if want != Want::Skip {
                            let content = match (want, content) {
                                (
                                    Want::Reduce { .. } | Want::Executable { .. },
                                    Content::Bytes(b),
                                ) => content_for(&path, &mem_display, want, b),
                                (_, c) => c,
                            };
                            set.insert(&path, Some(index), content);
                        }
                    }
                    _ => {
                        if want_fn(&path, 0, h.mode) != Want::Skip {
                            set.insert(&path, Some(index), Content::Nothing(PENDING.into()));
                            pending.entry(target).or_default().push((path, h.mode));
                        }
                    }
                }
            }
        }
    }
    Ok((pending, reads))
}

/// Second pass over the same layer: read the targets of `pending` hard
/// links and give their content to the links still waiting for it.
pub(crate) fn resolve_links<R: Read>(
    set: &mut FileSet,
    index: u32,
    display: &str,
    tar: &mut TarReader<R>,
    mut pending: PendingLinks,
    want_fn: WantFn<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Result<PendingReads, LayerError> {
    let mut reads = PendingReads::new();
    let mut count: u64 = 0;
    while let Some(h) = tar.next_header()? {
        count += 1;
        if pending.is_empty() {
            break;
        }
        if h.kind != Kind::File {
            continue;
        }
        let Some(member) = clean(&h.path) else {
            continue;
        };
        let Some(links) = pending.remove(&member) else {
            continue;
        };
        let wants: Vec<(String, Want)> = links
            .into_iter()
            .map(|(p, mode)| {
                let w = want_fn(&p, h.size, mode);
                (p, w)
            })
            .collect();
        // Large executables stream through a collector.
        let big =
            |w: &Want| matches!(w, Want::Executable { max } if h.size > WHOLE && h.size <= *max);
        if wants.iter().any(|(_, w)| big(w)) {
            let (streamed, rest): (Vec<_>, Vec<_>) = wants.into_iter().partition(|(_, w)| big(w));
            for (path, _) in rest {
                if waiting(set, &path, index) {
                    set.remove(&path);
                }
            }
            let paths: Vec<String> = streamed
                .into_iter()
                .map(|(p, _)| p)
                .filter(|p| waiting(set, p, index))
                .collect();
            let mut c = Collector::new(h.size);
            let outcome = c.read_from(tar.data()).map_err(LayerError::Io)?;
            settle(set, index, paths, c, outcome, count, &mut reads);
            continue;
        }
        let max = wants
            .iter()
            .filter_map(|(_, w)| want_max(*w))
            .max()
            .unwrap_or(0);
        let mut bytes = Vec::new();
        tar.data()
            .take(max.min(h.size))
            .read_to_end(&mut bytes)
            .map_err(LayerError::Io)?;
        for (path, want) in wants {
            if !waiting(set, &path, index) {
                continue;
            }
            let mem_display = format!("{display}:{path}");
            match want_max(want) {
                Some(m) if h.size <= m => {
                    let c = content_for(&path, &mem_display, want, bytes.clone());
                    set.insert(&path, Some(index), c);
                }
                Some(m) => {
                    diags.push(warn(
                        &mem_display,
                        format!("{} bytes, more than the {m} read: skipped", h.size),
                    ));
                    set.remove(&path);
                }
                None => set.remove(&path),
            }
        }
    }
    for (target, links) in pending {
        for (path, _) in links {
            if waiting(set, &path, index) {
                set.remove(&path);
                diags.push(warn(
                    &format!("{display}:{path}"),
                    format!("hard link to {target:?}, which is not a file of this layer: skipped"),
                ));
            }
        }
    }
    Ok(reads)
}

fn waiting(set: &FileSet, path: &str, index: u32) -> bool {
    marked(set, path, index, PENDING)
}

/// Whether `path` holds this layer's `marker`.
fn marked(set: &FileSet, path: &str, index: u32, marker: &str) -> bool {
    matches!(
        set.entry(path),
        Some(Entry { layer: Some(l), content: Content::Nothing(m) }) if *l == index && m == marker
    )
}

/// Give the outcome of a streamed executable (tar entry number `entry`) to
/// `paths`, or mark them and keep the collector for another pass.
fn settle(
    set: &mut FileSet,
    index: u32,
    paths: Vec<String>,
    mut c: Collector,
    outcome: Outcome,
    entry: u64,
    reads: &mut PendingReads,
) {
    let content = match outcome {
        Outcome::Done(found) => crate::system::lang::content_of(Ok(found)),
        Outcome::Bad(m) => Content::Nothing(m),
        Outcome::Again => {
            for p in &paths {
                set.insert(p, Some(index), Content::Nothing(READING.into()));
            }
            c.restart();
            reads
                .entry(entry)
                .or_insert((c, Vec::new()))
                .1
                .extend(paths);
            return;
        }
    };
    for p in paths {
        set.insert(&p, Some(index), content.clone());
    }
}

/// Another pass over the same layer for the executables of `reads`: each
/// collector keeps the ranges the last pass had passed. Those that still
/// need more are returned for the next pass.
pub(crate) fn reread<R: Read>(
    set: &mut FileSet,
    index: u32,
    tar: &mut TarReader<R>,
    mut reads: PendingReads,
) -> Result<PendingReads, LayerError> {
    let mut next = PendingReads::new();
    let mut count: u64 = 0;
    while let Some(_h) = tar.next_header()? {
        count += 1;
        if reads.is_empty() {
            break;
        }
        let Some((mut c, paths)) = reads.remove(&count) else {
            continue;
        };
        let paths: Vec<String> = paths
            .into_iter()
            .filter(|p| marked(set, p, index, READING))
            .collect();
        if paths.is_empty() {
            continue;
        }
        let outcome = c.read_from(tar.data()).map_err(LayerError::Io)?;
        settle(set, index, paths, c, outcome, count, &mut next);
    }
    Ok(next)
}

/// Give up on the executables still waiting after the last pass.
pub(crate) fn give_up(set: &mut FileSet, index: u32, reads: PendingReads, passes: u32) {
    for (_, (_, paths)) in reads {
        for p in paths {
            if marked(set, &p, index, READING) {
                set.insert(
                    &p,
                    Some(index),
                    Content::Nothing(format!(
                        "unreadable executable: its build information was not found in {passes} passes over the layer"
                    )),
                );
            }
        }
    }
}

/// Forget `path` (when `this` is set) and what is below it, but only
/// entries that lower layers wrote.
fn remove_lower(set: &mut FileSet, path: &str, index: u32, this: bool) {
    let prefix = if path.is_empty() {
        String::new()
    } else {
        format!("{path}/")
    };
    let mut doomed: Vec<String> = set
        .under(&prefix)
        .filter(|(_, e)| e.layer != Some(index))
        .map(|(k, _)| k.to_string())
        .collect();
    if this && set.entry(path).is_some_and(|e| e.layer != Some(index)) {
        doomed.push(path.to_string());
    }
    for d in doomed {
        // `remove` would also drop same-layer entries below a lower one.
        let keep: Vec<(String, Entry)> = set
            .under(&format!("{d}/"))
            .filter(|(_, e)| e.layer == Some(index))
            .map(|(k, e)| (k.to_string(), e.clone()))
            .collect();
        set.remove(&d);
        for (k, e) in keep {
            set.insert(&k, e.layer, e.content);
        }
    }
}

/// Where a directory path of a member really is: symbolic links among its
/// components are followed inside the tree (bounded), as an extraction
/// would. Clamped at the root.
fn place(set: &FileSet, dir: &str) -> String {
    let mut pending: Vec<String> = dir
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .rev()
        .map(str::to_string)
        .collect();
    let mut done: Vec<String> = Vec::new();
    let mut hops = 0;
    while let Some(c) = pending.pop() {
        if c == ".." {
            done.pop();
            continue;
        }
        done.push(c);
        if hops >= MAX_HOPS {
            continue;
        }
        let here = done.join("/");
        if let Some(Entry {
            content: Content::Symlink(t),
            ..
        }) = set.entry(&here)
        {
            hops += 1;
            done.pop();
            if t.starts_with('/') {
                done.clear();
            }
            for p in t.split('/').filter(|c| !c.is_empty() && *c != ".").rev() {
                pending.push(p.to_string());
            }
        }
    }
    done.join("/")
}
