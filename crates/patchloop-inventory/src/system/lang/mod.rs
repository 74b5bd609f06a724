//! Language packages in a whole file tree (a host or a container image).
//!
//! What is read, and why (see docs/containers.md, "Language packages in
//! trees"):
//!
//! - lockfiles an application ships ([`lockfiles`]), parsed with the
//!   ordinary format parsers;
//! - installed Python distributions: `*.dist-info/METADATA` and
//!   `*.egg-info` directly inside a `site-packages` or `dist-packages`
//!   directory ([`python`]);
//! - installed Node packages: `node_modules/<name>/package.json` chains
//!   ([`node`]);
//! - executables: Go build information and cargo-auditable dependency
//!   data ([`binary`], [`gobin`], [`auditable`]);
//! - Java archives: `pom.properties` and `MANIFEST.MF`, nested jars
//!   included ([`jar`]).
//!
//! Installed metadata, package.json files, executables and archives are
//! marked [`Want::Reduce`]: each is read once and reduced at once to a
//! small [`SourceFile`] (locations relative to the file, see
//! [`rel_location`]); [`analyze`] then groups the results, sets the layer
//! and prefixes every location with the tree's display root.

pub mod auditable;
pub mod binary;
pub mod gobin;
pub mod jar;
pub mod lockfiles;
pub mod node;
pub mod python;
pub mod ranges;

use std::collections::BTreeMap;

use patchloop_model::{Diagnostic, DiagnosticLevel, Ecosystem, Location, Package, SourceFile};

use super::{Analysis, Content, FileSet, Want, display_path};

/// Largest executable or Java archive read (bigger ones are skipped by the
/// source with a warning). Java archives are read whole; executables by
/// ranges, holding at most [`ranges::MAX_HELD`] bytes of one.
pub const MAX_BINARY: u64 = 512 * 1024 * 1024;
/// Largest `METADATA`/`PKG-INFO` or `package.json` read.
pub const MAX_METADATA: u64 = 16 * 1024 * 1024;
/// Largest lockfile kept.
pub const MAX_LOCKFILE: u64 = 64 * 1024 * 1024;

/// What the language analyzers need of a regular file.
pub fn want(path: &str, size: u64, mode: u32) -> Want {
    if python::is_metadata(path) || node::is_package_json(path) {
        return Want::Reduce { max: MAX_METADATA };
    }
    if jar::is_archive(path) {
        return Want::Reduce { max: MAX_BINARY };
    }
    if lockfiles::format_of(path).is_some() {
        return Want::Keep { max: MAX_LOCKFILE };
    }
    if binary::is_candidate(path, size, mode) {
        return Want::Executable { max: MAX_BINARY };
    }
    Want::Skip
}

/// Reduce a file [`want`] marked [`Want::Reduce`].
pub fn reduce(path: &str, _display: &str, bytes: &[u8]) -> Content {
    let result = if python::is_metadata(path) {
        python::reduce(bytes)
    } else if node::is_package_json(path) {
        node::reduce(bytes)
    } else if jar::is_archive(path) {
        jar::reduce(path, bytes)
    } else {
        binary::reduce(bytes)
    };
    content_of(result)
}

/// The content kept for a reduced file.
pub fn content_of(result: Result<Option<SourceFile>, String>) -> Content {
    match result {
        Ok(Some(source)) => Content::Parsed(Box::new(source)),
        Ok(None) => Content::Nothing(String::new()),
        Err(message) => Content::Nothing(message),
    }
}

/// Reduce an executable on disk, read with seeks (see [`ranges`]).
pub fn reduce_file(file: std::fs::File, size: u64) -> Content {
    let src = ranges::FileSource::new(file, size);
    content_of(binary::reduce_from(&src).map_err(|e| match e {
        ranges::Fail::Bad(m) => m,
        // A file on disk never lacks a range.
        ranges::Fail::Need(..) | ranges::Fail::Wait => "internal error: range not read".into(),
    }))
}

/// A location inside a reduced file, relative to it: the empty string is
/// the file itself, `a/b` is the member `a/b` of an archive (shown as
/// `FILE!/a/b` once [`analyze`] prefixes it).
pub fn rel_location(inner: &str) -> Location {
    Location {
        path: inner.to_string(),
        line: None,
    }
}

/// A reduced file that is one package (a metadata file, a package.json).
fn single(format: &str, ecosystem: Ecosystem, name: &str, version: &str) -> SourceFile {
    let mut source = SourceFile::new("", format, ecosystem.clone());
    let mut p = Package::new(ecosystem, name, version);
    p.locations.push(rel_location(""));
    source.packages.push(p);
    source
}

/// Make the relative locations of a reduced file absolute and set the
/// layer of its packages.
fn finish(source: &mut SourceFile, file_display: &str, layer: Option<u32>) {
    source.path = file_display.to_string();
    for p in &mut source.packages {
        p.layer = layer;
        for l in &mut p.locations {
            l.path = if l.path.is_empty() {
                file_display.to_string()
            } else {
                format!("{file_display}!/{}", l.path)
            };
        }
    }
}

/// Packages of several reduced files shown as one source (one per
/// `site-packages` or root `node_modules` directory).
struct Group {
    source: SourceFile,
    index: BTreeMap<String, usize>,
}

impl Group {
    fn new(source: SourceFile) -> Self {
        Group {
            source,
            index: BTreeMap::new(),
        }
    }

    /// Add a package; the same id twice (one package installed at two
    /// places) keeps one package with both locations.
    fn add(&mut self, p: Package) {
        match self.index.get(&p.id) {
            Some(&i) => {
                if let Some(have) = self.source.packages.get_mut(i) {
                    have.locations.extend(p.locations);
                }
            }
            None => {
                self.index.insert(p.id.clone(), self.source.packages.len());
                self.source.packages.push(p);
            }
        }
    }
}

/// Run the language analyzers over the collected files.
pub fn analyze(set: &FileSet, display_root: &str, out: &mut Analysis) {
    let mut groups: BTreeMap<(String, &'static str), Group> = BTreeMap::new();
    for (path, entry) in set.iter() {
        let shown = display_path(display_root, path);
        match &entry.content {
            Content::Bytes(bytes) => {
                if let Some(format) = lockfiles::format_of(path) {
                    lockfiles::analyze_one(format, &shown, bytes, entry.layer, out);
                }
            }
            Content::Parsed(source) => {
                let mut source = (**source).clone();
                finish(&mut source, &shown, entry.layer);
                let grouping = python::group_dir(path)
                    .map(|d| (d, python::FORMAT))
                    .or_else(|| node::group_dir(path).map(|d| (d, node::FORMAT)));
                match grouping {
                    Some((dir, format)) => {
                        let g = groups.entry((dir.to_string(), format)).or_insert_with(|| {
                            Group::new(SourceFile::new(
                                display_path(display_root, dir),
                                format,
                                source.ecosystem.clone(),
                            ))
                        });
                        for p in source.packages {
                            g.add(p);
                        }
                    }
                    None => jar::split_manifest_packages(source, &mut out.sources),
                }
            }
            Content::Nothing(message) if !message.is_empty() => {
                out.diagnostics.push(Diagnostic {
                    level: DiagnosticLevel::Warning,
                    path: shown,
                    line: None,
                    message: message.clone(),
                });
            }
            Content::Nothing(_) | Content::Symlink(_) => {}
        }
    }
    out.sources.extend(groups.into_values().map(|g| g.source));
}
