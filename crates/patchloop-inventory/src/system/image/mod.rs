//! The image source: `docker save` archives (legacy `<id>/layer.tar` and
//! the OCI-inside-docker-save layout) and OCI image layouts (a directory
//! or a tar of one).
//!
//! Layers are streamed once each, bottom first, straight from the archive
//! (gzip and zstd are recognised by their magic bytes, whatever the media
//! type says), hashed while read (blob digest and `diff_id`), bounded in
//! decompressed bytes, and applied to one [`FileSet`] with whiteouts
//! ([`layer`]). Nothing is written to disk; memory holds the wanted files,
//! the symbolic links and the archive's member index, not the layers.
//!
//! Images in a registry (`docker://HOST/REPO:TAG`, [`registry`]) go
//! through the same pipeline: the registry is one more member source.

mod layer;
pub mod registry;
mod store;
pub mod tar;

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use patchloop_model::{Diagnostic, Inventory, Layer, SourceFile, Target, TargetKind};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::source::warn;
use super::{FileSet, WantFn};
use layer::LayerError;
pub use registry::{ImageRef, RegistryOptions};
use store::Store;
use tar::TarReader;

/// Limits on what one image may cost.
#[derive(Debug, Clone, Copy)]
pub struct ImageLimits {
    /// Most decompressed bytes in one layer.
    pub max_layer_bytes: u64,
    /// Most decompressed bytes over all layers.
    pub max_total_bytes: u64,
    /// Most tar entries in one layer.
    pub max_layer_entries: u64,
    /// Largest index, manifest or config JSON.
    pub max_json_bytes: u64,
    /// Most layers.
    pub max_layers: usize,
}

impl Default for ImageLimits {
    fn default() -> Self {
        ImageLimits {
            max_layer_bytes: 16 << 30,
            max_total_bytes: 64 << 30,
            max_layer_entries: 2_000_000,
            max_json_bytes: 8 << 20,
            max_layers: 1000,
        }
    }
}

/// How to read an image.
#[derive(Debug, Clone, Default)]
pub struct ImageOptions {
    /// `os/arch[/variant]` chosen in a multi-platform index (default
    /// `linux/amd64`, or the only image there is).
    pub platform: Option<String>,
    /// Count the first N layers as the base image instead of guessing.
    pub base_layers: Option<u32>,
    pub limits: ImageLimits,
    /// How to reach registries (`docker://` references).
    pub registry: RegistryOptions,
}

/// Why an image could not be read. Each names the archive member at fault.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("{archive}: {why}")]
    Archive { archive: String, why: String },
    #[error(
        "{0}: neither an OCI image layout (oci-layout, index.json) nor a docker save archive (manifest.json)"
    )]
    NotAnImage(String),
    #[error("{member}: missing from the image")]
    Missing { member: String },
    #[error("{member}: {why}")]
    Member { member: String, why: String },
    #[error("{member}: digest mismatch: expected {expected}, found {found}")]
    Digest {
        member: String,
        expected: String,
        found: String,
    },
    #[error(
        "{member}: more than {limit} decompressed bytes ({what}): refused (a compression bomb?)"
    )]
    TooLarge {
        member: String,
        limit: u64,
        what: &'static str,
    },
    #[error("{0}")]
    Platform(String),
    #[error("{reference}: {why}")]
    Registry { reference: String, why: String },
}

impl ImageError {
    fn io(path: &str, source: io::Error) -> Self {
        ImageError::Io {
            path: path.to_string(),
            source,
        }
    }
    fn member(member: &str, why: impl Into<String>) -> Self {
        ImageError::Member {
            member: member.to_string(),
            why: why.into(),
        }
    }
}

/// An image read into a [`FileSet`].
#[derive(Debug)]
pub struct ImageTree {
    pub files: FileSet,
    /// The image: reference, digest and layers (the OS is left to the
    /// analyzers).
    pub target: Target,
    pub diagnostics: Vec<Diagnostic>,
    /// The image as named in diagnostics (the path, or the `docker://`
    /// reference).
    pub display: String,
}

// ---- JSON documents (only the fields used) ----

#[derive(Debug, Deserialize)]
struct Descriptor {
    #[serde(rename = "mediaType", default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    platform: Option<Platform>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct Platform {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Index {
    #[serde(default)]
    manifests: Vec<Descriptor>,
}

#[derive(Debug, Deserialize)]
struct Manifest {
    #[serde(rename = "mediaType", default)]
    media_type: String,
    config: Descriptor,
    #[serde(default)]
    layers: Vec<Descriptor>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct DockerEntry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    layers: Vec<String>,
}

#[derive(Debug, Deserialize, Default)]
struct Config {
    #[serde(default)]
    rootfs: Option<RootFs>,
    #[serde(default)]
    history: Vec<History>,
}

#[derive(Debug, Deserialize, Default)]
struct RootFs {
    #[serde(default)]
    diff_ids: Vec<String>,
}

#[derive(Debug, Deserialize, Default)]
struct History {
    #[serde(default)]
    created_by: Option<String>,
    #[serde(default)]
    empty_layer: bool,
}

const INDEX_TYPES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

/// Annotation naming the base image's manifest digest (OCI).
const BASE_DIGEST: &str = "org.opencontainers.image.base.digest";
const BASE_NAME: &str = "org.opencontainers.image.base.name";

/// One layer to read: where, and what it should hash to.
struct LayerRef {
    member: String,
    /// Expected sha256 of the stored blob, when known.
    digest: Option<String>,
    /// Expected size of the stored blob, when known.
    size: Option<u64>,
    diff_id: String,
}

/// Read an image (see the module docs) into a [`FileSet`], keeping what
/// [`super::want`] asks for.
pub fn read_image(path: &Path, opts: &ImageOptions) -> Result<ImageTree, ImageError> {
    read_image_with(path, opts, &super::want)
}

/// [`read_image`] with another choice of the files to keep.
pub fn read_image_with(
    path: &Path,
    opts: &ImageOptions,
    want: WantFn<'_>,
) -> Result<ImageTree, ImageError> {
    let store = Store::open(path)?;
    read_store(&store, path.display().to_string(), opts, want)
}

/// The registry reference in an `--image` argument: what follows
/// `docker://` (anything else is a path).
pub fn registry_reference(arg: &str) -> Option<&str> {
    arg.strip_prefix("docker://")
}

/// Read an image from a registry: `reference` is
/// `HOST[:PORT]/REPO[:TAG|@sha256:DIGEST]` (`docker://` optional), Docker
/// Hub shorthand included. The same result as reading the image's layout.
pub fn read_registry_image(reference: &str, opts: &ImageOptions) -> Result<ImageTree, ImageError> {
    read_registry_image_with(reference, opts, &super::want)
}

/// [`read_registry_image`] with another choice of the files to keep.
pub fn read_registry_image_with(
    reference: &str,
    opts: &ImageOptions,
    want: WantFn<'_>,
) -> Result<ImageTree, ImageError> {
    let image = ImageRef::parse(registry_reference(reference).unwrap_or(reference))?;
    let remote = registry::Remote::open(image, &opts.registry)?;
    let display = remote.display().to_string();
    let store = Store::registry(remote);
    read_store(&store, display, opts, want)
}

/// The pipeline over any member source; `display` names the image.
fn read_store(
    store: &Store,
    display: String,
    opts: &ImageOptions,
    want: WantFn<'_>,
) -> Result<ImageTree, ImageError> {
    let max_json = opts.limits.max_json_bytes;
    let mut diags = Vec::new();

    // Which manifest, config and layers.
    let docker: Option<Vec<DockerEntry>> = if store.has("manifest.json") {
        Some(parse_json(
            &store.read_small("manifest.json", max_json)?,
            "manifest.json",
        )?)
    } else {
        None
    };
    let mut reference = None;
    let digest;
    let config_bytes;
    let mut refs: Vec<LayerRef> = Vec::new();
    let mut annotations = BTreeMap::new();
    let mut base_manifest_layers: Option<Vec<String>> = None;
    if store.has("index.json") {
        let desc = choose_manifest(store, opts, max_json, &mut diags)?;
        reference = desc
            .annotations
            .get("io.containerd.image.name")
            .or_else(|| desc.annotations.get("org.opencontainers.image.ref.name"))
            .cloned();
        let member = blob_member(&desc.digest)?;
        let bytes = store.read_manifest(&member, max_json)?;
        verify_small(&member, &desc.digest, &bytes)?;
        let m: Manifest = parse_json(&bytes, &member)?;
        if INDEX_TYPES.contains(&m.media_type.as_str()) {
            return Err(ImageError::member(
                &member,
                "an index where a manifest was expected",
            ));
        }
        digest = Some(desc.digest.clone());
        let cm = blob_member(&m.config.digest)?;
        config_bytes = store.read_small(&cm, max_json)?;
        verify_small(&cm, &m.config.digest, &config_bytes)?;
        for l in &m.layers {
            refs.push(LayerRef {
                member: blob_member(&l.digest)?,
                digest: Some(l.digest.clone()),
                size: l.size,
                diff_id: String::new(),
            });
        }
        annotations = m.annotations;
        if let Some(base) = annotations.get(BASE_DIGEST)
            && let Ok(bm) = blob_member(base)
            && store.has(&bm)
            && let Ok(bytes) = store.read_manifest(&bm, max_json)
            && let Ok(bmf) = serde_json::from_slice::<Manifest>(&bytes)
        {
            base_manifest_layers = Some(bmf.layers.into_iter().map(|l| l.digest).collect());
        }
    } else if let Some(entries) = &docker {
        let Some(first) = entries.first() else {
            return Err(ImageError::member("manifest.json", "lists no image"));
        };
        if entries.len() > 1 {
            diags.push(warn(
                &format!("{display}!manifest.json"),
                format!("{} images in the archive: reading the first", entries.len()),
            ));
        }
        digest = None;
        config_bytes = store.read_small(&first.config, max_json)?;
        if let Some(d) = digest_in_name(&first.config) {
            verify_small(&first.config, &d, &config_bytes)?;
        }
        for l in &first.layers {
            refs.push(LayerRef {
                member: l.clone(),
                digest: digest_in_name(l).filter(|_| l.starts_with("blobs/")),
                size: None,
                diff_id: String::new(),
            });
        }
    } else {
        return Err(ImageError::NotAnImage(display));
    }
    if let Some(tag) = docker
        .as_ref()
        .and_then(|d| d.first())
        .and_then(|e| e.repo_tags.as_ref())
        .and_then(|t| t.first())
    {
        reference = Some(tag.clone());
    }

    let config_member = "config";
    let config: Config = parse_json(&config_bytes, config_member)?;
    let diff_ids = config.rootfs.map(|r| r.diff_ids).unwrap_or_default();
    if diff_ids.len() != refs.len() {
        return Err(ImageError::member(
            config_member,
            format!(
                "rootfs.diff_ids lists {} layers, the manifest {}",
                diff_ids.len(),
                refs.len()
            ),
        ));
    }
    if refs.len() > opts.limits.max_layers {
        return Err(ImageError::member(
            config_member,
            format!("{} layers (limit {})", refs.len(), opts.limits.max_layers),
        ));
    }
    for (r, d) in refs.iter_mut().zip(&diff_ids) {
        r.diff_id = d.clone();
    }
    let created_by: Vec<Option<String>> = config
        .history
        .iter()
        .filter(|h| !h.empty_layer)
        .map(|h| h.created_by.clone())
        .collect();

    // Stream the layers.
    let mut set = FileSet::new();
    let mut layers = Vec::new();
    let mut total: u64 = 0;
    for (i, r) in refs.iter().enumerate() {
        let index = u32::try_from(i).unwrap_or(u32::MAX);
        let (stored, blob_digest) = read_layer(
            store, &display, r, index, opts, want, &mut total, &mut set, &mut diags,
        )?;
        layers.push(Layer {
            index,
            digest: blob_digest,
            diff_id: r.diff_id.clone(),
            size: stored,
            created_by: created_by.get(i).cloned().flatten(),
            base: false,
        });
    }
    let base = match opts.base_layers {
        Some(n) => {
            if n as usize > layers.len() {
                diags.push(warn(
                    &display,
                    format!(
                        "--base-layers {n}: the image has only {} layers",
                        layers.len()
                    ),
                ));
            }
            n as usize
        }
        None => match &base_manifest_layers {
            Some(bl) => layers
                .iter()
                .zip(bl)
                .take_while(|(l, b)| &l.digest == *b)
                .count(),
            None => guess_base_layers(&config.history),
        },
    };
    for l in layers.iter_mut().take(base) {
        l.base = true;
    }
    let mut reference = reference.unwrap_or_else(|| display.clone());
    if let Some(b) = annotations.get(BASE_NAME) {
        reference = format!("{reference} (base {b})");
    }
    Ok(ImageTree {
        files: set,
        target: Target {
            kind: TargetKind::Image,
            reference,
            digest,
            os: None,
            layers,
        },
        diagnostics: diags,
        display,
    })
}

/// Inventory of an image: the analyzers' sources and diagnostics, and the
/// [`Target`] with its layers and the OS found.
pub fn inventory_image(path: &Path, opts: &ImageOptions) -> Result<Inventory, ImageError> {
    let tree = read_image(path, opts)?;
    Ok(analyze_tree(tree, &format!("{}!", path.display())))
}

/// [`inventory_image`] of an image in a registry ([`read_registry_image`]).
pub fn inventory_registry_image(
    reference: &str,
    opts: &ImageOptions,
) -> Result<Inventory, ImageError> {
    let tree = read_registry_image(reference, opts)?;
    let display = format!("{}!", tree.display);
    Ok(analyze_tree(tree, &display))
}

/// Run the analyzers over an image's tree; `display` prefixes its paths.
fn analyze_tree(tree: ImageTree, display: &str) -> Inventory {
    let display = display.to_string();
    let analysis = super::analyze(&tree.files, &display);
    let mut diagnostics = tree.diagnostics;
    diagnostics.extend(analysis.diagnostics);
    let mut target = tree.target;
    target.os = analysis.os;
    let mut sources = analysis.sources;
    fill_layers(&mut sources, &tree.files, &display);
    Inventory {
        sources,
        diagnostics,
        target: Some(target),
    }
}

/// Give packages that an analyzer left without a layer the layer of the
/// file they were read from (the last layer that wrote it, after links).
fn fill_layers(sources: &mut [SourceFile], set: &FileSet, display_root: &str) {
    for s in sources {
        let rel = s.path.strip_prefix(display_root).unwrap_or(&s.path);
        let Some(layer) = set.resolve(rel).and_then(|(_, e)| e.layer) else {
            continue;
        };
        for p in &mut s.packages {
            if p.layer.is_none() {
                p.layer = Some(layer);
            }
        }
    }
}

/// The base image's layer count from the history, as Trivy guesses it:
/// walking down from the top, skip the application's trailing metadata-only
/// entries (`CMD`, `ENTRYPOINT`, ...) and its first real layer; the next
/// `CMD` instruction met is the base image's last one, and the layers
/// below it are the base. 0 when no such `CMD` exists.
fn guess_base_layers(history: &[History]) -> usize {
    let mut seen_layer = false;
    for (i, h) in history.iter().enumerate().rev() {
        if !seen_layer {
            if !h.empty_layer {
                seen_layer = true;
            }
            continue;
        }
        let by = h.created_by.as_deref().unwrap_or("").trim_start();
        let is_cmd =
            by.starts_with("CMD") || by.contains("#(nop)  CMD") || by.contains("#(nop) CMD");
        if h.empty_layer && is_cmd {
            return history
                .get(..i)
                .unwrap_or_default()
                .iter()
                .filter(|h| !h.empty_layer)
                .count();
        }
    }
    0
}

fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8], member: &str) -> Result<T, ImageError> {
    serde_json::from_slice(bytes).map_err(|e| ImageError::member(member, format!("bad JSON: {e}")))
}

/// `blobs/sha256/<hex>` for a digest, refusing anything but a well-formed
/// sha256 digest (so no digest can name a path outside `blobs`).
fn blob_member(digest: &str) -> Result<String, ImageError> {
    let hex = digest
        .strip_prefix("sha256:")
        .filter(|h| {
            h.len() == 64
                && h.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        })
        .ok_or_else(|| {
            ImageError::member(digest, "not a sha256 digest (only sha256 is supported)")
        })?;
    Ok(format!("blobs/sha256/{hex}"))
}

/// The digest a member name carries (`blobs/sha256/<hex>`, `<hex>.json`).
fn digest_in_name(name: &str) -> Option<String> {
    let base = name.rsplit('/').next()?;
    let hex = base.strip_suffix(".json").unwrap_or(base);
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| format!("sha256:{hex}"))
}

fn verify_small(member: &str, expected: &str, bytes: &[u8]) -> Result<(), ImageError> {
    let found = format!("sha256:{}", hex(&Sha256::digest(bytes)));
    if found != expected {
        return Err(ImageError::Digest {
            member: member.to_string(),
            expected: expected.to_string(),
            found,
        });
    }
    Ok(())
}

fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push_str(&format!("{x:02x}"));
    }
    s
}

/// Pick the image manifest from `index.json`, following nested indexes
/// to the wanted platform.
fn choose_manifest(
    store: &Store,
    opts: &ImageOptions,
    max_json: u64,
    diags: &mut Vec<Diagnostic>,
) -> Result<Descriptor, ImageError> {
    let (want_os, want_arch, want_variant) = match &opts.platform {
        Some(p) => {
            let mut it = p.split('/');
            let os = it.next().unwrap_or("").to_string();
            let arch = it.next().unwrap_or("").to_string();
            let variant = it.next().map(str::to_string);
            if os.is_empty() || arch.is_empty() {
                return Err(ImageError::Platform(format!(
                    "--platform {p:?}: expected OS/ARCH[/VARIANT] (linux/amd64)"
                )));
            }
            (os, arch, variant)
        }
        None => ("linux".to_string(), "amd64".to_string(), None),
    };
    let mut member = "index.json".to_string();
    let mut expected: Option<String> = None;
    for _depth in 0..4 {
        let bytes = store.read_manifest(&member, max_json)?;
        if let Some(d) = &expected {
            verify_small(&member, d, &bytes)?;
        }
        let index: Index = parse_json(&bytes, &member)?;
        let candidates: Vec<Descriptor> = index
            .manifests
            .into_iter()
            .filter(|d| {
                d.annotations
                    .get("vnd.docker.reference.type")
                    .map(String::as_str)
                    != Some("attestation-manifest")
                    && d.platform.as_ref().is_none_or(|p| p.os != "unknown")
            })
            .collect();
        let matching: Vec<usize> = candidates
            .iter()
            .enumerate()
            .filter(|(_, d)| {
                d.platform.as_ref().is_none_or(|p| {
                    p.os == want_os
                        && p.architecture == want_arch
                        && (want_variant.is_none() || p.variant == want_variant)
                })
            })
            .map(|(i, _)| i)
            .collect();
        let pick = match (matching.first(), candidates.len()) {
            (Some(i), _) => {
                if matching.len() > 1 {
                    diags.push(warn(
                        &member,
                        format!(
                            "{} images match the platform: reading the first",
                            matching.len()
                        ),
                    ));
                }
                *i
            }
            (None, 1) if opts.platform.is_none() => 0,
            _ => {
                let avail: Vec<String> = candidates
                    .iter()
                    .filter_map(|d| d.platform.as_ref())
                    .map(|p| match &p.variant {
                        Some(v) => format!("{}/{}/{v}", p.os, p.architecture),
                        None => format!("{}/{}", p.os, p.architecture),
                    })
                    .collect();
                return Err(ImageError::Platform(format!(
                    "{member}: no image for {want_os}/{want_arch}; available: {}",
                    if avail.is_empty() {
                        "none".to_string()
                    } else {
                        avail.join(", ")
                    }
                )));
            }
        };
        let Some(desc) = candidates.into_iter().nth(pick) else {
            return Err(ImageError::member(&member, "lists no image"));
        };
        if INDEX_TYPES.contains(&desc.media_type.as_str()) {
            member = blob_member(&desc.digest)?;
            expected = Some(desc.digest.clone());
            continue;
        }
        return Ok(desc);
    }
    Err(ImageError::member(&member, "image indexes nested too deep"))
}

/// Counts and hashes what passes through.
struct Hashing<'a, R> {
    inner: R,
    hasher: &'a mut Sha256,
    count: &'a mut u64,
    limit: u64,
}

/// Marks the error a [`Hashing`] reader returns past its limit.
#[derive(Debug)]
struct LimitHit;

impl std::fmt::Display for LimitHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("decompressed size limit reached")
    }
}

impl std::error::Error for LimitHit {}

impl<R: Read> Read for Hashing<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let data = buf.get(..n).unwrap_or_default();
        self.hasher.update(data);
        *self.count += n as u64;
        if *self.count > self.limit {
            return Err(io::Error::other(LimitHit));
        }
        Ok(n)
    }
}

fn is_limit(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|i| i.is::<LimitHit>())
}

/// Most passes over one layer for the executables in it (each pass serves
/// every executable of the layer still waiting).
const MAX_PASSES: u32 = 4;

/// Stream one layer into `set`. Returns the stored blob size.
#[allow(clippy::too_many_arguments)]
fn read_layer(
    store: &Store,
    display: &str,
    r: &LayerRef,
    index: u32,
    opts: &ImageOptions,
    want: WantFn<'_>,
    total: &mut u64,
    set: &mut FileSet,
    diags: &mut Vec<Diagnostic>,
) -> Result<(u64, String), ImageError> {
    let member = &r.member;
    let layer_display = format!("{display}!{member}");
    let (raw, stored) = store.open_member(member)?;
    if let (Some(s), Some(size)) = (r.size, stored)
        && s != size
    {
        return Err(ImageError::member(
            member,
            format!("{size} bytes stored, the manifest says {s}"),
        ));
    }
    let expected_size = stored.or(r.size);
    // A registry may send more than it announced: read one byte past it.
    let raw: Box<dyn Read + Send> = match expected_size {
        Some(n) => Box::new(raw.take(n.saturating_add(1))),
        None => raw,
    };
    let limit = opts
        .limits
        .max_layer_bytes
        .min(opts.limits.max_total_bytes.saturating_sub(*total));
    let what = if opts.limits.max_layer_bytes <= opts.limits.max_total_bytes.saturating_sub(*total)
    {
        "per layer"
    } else {
        "over all layers"
    };
    let mut raw_hash = Sha256::new();
    let mut raw_count = 0u64;
    let mut diff_hash = Sha256::new();
    let mut diff_count = 0u64;
    let (pending, mut reads) = {
        let mut raw = Hashing {
            inner: raw,
            hasher: &mut raw_hash,
            count: &mut raw_count,
            limit: u64::MAX,
        };
        let result = stream_layer(&mut raw, &mut diff_hash, &mut diff_count, limit, |tar| {
            layer::apply(
                set,
                index,
                &layer_display,
                tar,
                opts.limits.max_layer_entries,
                want,
                diags,
            )
        });
        let found = result.map_err(|e| layer_error(e, member, limit, what))?;
        // The rest of the blob (compressed padding) counts for its digest.
        io::copy(&mut raw, &mut io::sink())
            .map_err(|e| layer_error(LayerError::Io(e), member, limit, what))?;
        found
    };
    *total = total.saturating_add(diff_count);
    if let Some(size) = expected_size
        && raw_count != size
    {
        return Err(ImageError::member(
            member,
            if raw_count < size {
                format!("truncated: {raw_count} of {size} bytes read")
            } else {
                format!("more than the {size} bytes announced")
            },
        ));
    }
    let size = raw_count;
    let blob = format!("sha256:{}", hex(&raw_hash.finalize()));
    let diff = format!("sha256:{}", hex(&diff_hash.finalize()));
    if let Some(expected) = &r.digest
        && *expected != blob
    {
        return Err(ImageError::Digest {
            member: member.clone(),
            expected: expected.clone(),
            found: blob,
        });
    }
    let blob_digest = blob.clone();
    if r.diff_id != diff {
        return Err(ImageError::Digest {
            member: format!("{member} (uncompressed, config rootfs.diff_ids[{index}])"),
            expected: r.diff_id.clone(),
            found: diff,
        });
    }
    if !pending.is_empty() {
        // Hard links whose target was not kept: read the layer again for
        // those targets only (a registry serves the blob again).
        let (raw, _) = store.open_member(member)?;
        let mut h = Sha256::new();
        let mut n = 0;
        let more = {
            let mut raw = Hashing {
                inner: raw.take(size.saturating_add(1)),
                hasher: &mut h,
                count: &mut n,
                limit: u64::MAX,
            };
            let mut dh = Sha256::new();
            let mut dn = 0;
            let more = stream_layer(&mut raw, &mut dh, &mut dn, limit, |tar| {
                layer::resolve_links(set, index, &layer_display, tar, pending, want, diags)
            })
            .map_err(|e| layer_error(e, member, limit, what))?;
            io::copy(&mut raw, &mut io::sink())
                .map_err(|e| layer_error(LayerError::Io(e), member, limit, what))?;
            more
        };
        // The second read must be the blob the first one verified.
        check_again(&mut h, &blob_digest, member, "hard links")?;
        // An executable of both passes keeps one collector for all its paths.
        for (entry, (c, paths)) in more {
            reads
                .entry(entry)
                .or_insert((c, Vec::new()))
                .1
                .extend(paths);
        }
    }
    // Large executables whose build information lay in a range the first
    // pass had passed before it was known: read the layer again for them.
    let mut passes = 1;
    while !reads.is_empty() {
        if passes >= MAX_PASSES {
            layer::give_up(set, index, reads, passes);
            break;
        }
        passes += 1;
        let (raw, _) = store.open_member(member)?;
        let (mut h, mut n) = (Sha256::new(), 0);
        {
            let mut raw = Hashing {
                inner: raw.take(size.saturating_add(1)),
                hasher: &mut h,
                count: &mut n,
                limit: u64::MAX,
            };
            let (mut dh, mut dn) = (Sha256::new(), 0);
            reads = stream_layer(&mut raw, &mut dh, &mut dn, limit, |tar| {
                layer::reread(set, index, tar, reads)
            })
            .map_err(|e| layer_error(e, member, limit, what))?;
            io::copy(&mut raw, &mut io::sink())
                .map_err(|e| layer_error(LayerError::Io(e), member, limit, what))?;
        }
        check_again(&mut h, &blob_digest, member, "executables")?;
    }
    Ok((size, blob_digest))
}

/// A layer read again (for hard links, or for ranges of executables) must
/// be the blob the first read verified: a registry serves it anew.
fn check_again(h: &mut Sha256, blob: &str, member: &str, why: &str) -> Result<(), ImageError> {
    let again = format!("sha256:{}", hex(&std::mem::take(h).finalize()));
    if again != blob {
        return Err(ImageError::Digest {
            member: format!("{member} (read again for {why})"),
            expected: blob.to_string(),
            found: again,
        });
    }
    Ok(())
}

/// Decompress `raw` (sniffed by magic) and run `f` over its tar stream,
/// then drain the rest of the decompressed stream (for its digest).
fn stream_layer<'a, R: Read + 'a, T>(
    raw: R,
    diff_hash: &'a mut Sha256,
    diff_count: &'a mut u64,
    limit: u64,
    f: impl FnOnce(&mut TarReader<Hashing<'a, Box<dyn Read + 'a>>>) -> Result<T, LayerError>,
) -> Result<T, LayerError> {
    let mut buf = BufReader::with_capacity(256 * 1024, raw);
    let head = buf.fill_buf().map_err(LayerError::Io)?;
    let dec: Box<dyn Read + '_> = if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::bufread::MultiGzDecoder::new(buf))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Box::new(zstd::stream::read::Decoder::with_buffer(buf).map_err(LayerError::Io)?)
    } else if head.starts_with(b"BZh") || head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z']) {
        return Err(LayerError::Io(io::Error::other(
            "bzip2/xz layers are not supported (only uncompressed, gzip and zstd)",
        )));
    } else {
        Box::new(buf)
    };
    let hashing = Hashing {
        inner: dec,
        hasher: diff_hash,
        count: diff_count,
        limit,
    };
    let mut tar = TarReader::new(hashing);
    let out = f(&mut tar)?;
    let mut rest = tar.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(LayerError::Io)?;
    Ok(out)
}

fn layer_error(e: LayerError, member: &str, limit: u64, what: &'static str) -> ImageError {
    match e {
        LayerError::Io(e) if is_limit(&e) => ImageError::TooLarge {
            member: member.to_string(),
            limit,
            what,
        },
        LayerError::Tar(tar::TarError::Io(e)) if is_limit(&e) => ImageError::TooLarge {
            member: member.to_string(),
            limit,
            what,
        },
        LayerError::Io(e) => ImageError::member(member, e.to_string()),
        LayerError::Tar(e) => ImageError::member(member, e.to_string()),
        LayerError::TooManyEntries(n) => {
            ImageError::member(member, format!("more than {n} entries in one layer"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::Content;
    use patchloop_model::{Ecosystem, Package};

    #[test]
    fn packages_get_the_layer_of_their_file() {
        let mut set = FileSet::new();
        set.insert(
            "usr/lib/os-release",
            Some(0),
            Content::Bytes(b"ID=x".to_vec()),
        );
        set.insert(
            "var/lib/dpkg/status",
            Some(2),
            Content::Bytes(b"s".to_vec()),
        );
        set.insert(
            "etc/status",
            Some(3),
            Content::Symlink("../var/lib/dpkg/status".into()),
        );
        let deb = Ecosystem::parse("Debian:12");
        let mut a = SourceFile::new("img.tar!/var/lib/dpkg/status", "dpkg", deb.clone());
        a.packages.push(Package::new(deb.clone(), "zlib1g", "1"));
        let mut pinned = Package::new(deb.clone(), "bash", "5");
        pinned.layer = Some(1);
        a.packages.push(pinned);
        let mut b = SourceFile::new("img.tar!etc/status", "dpkg", deb.clone());
        b.packages.push(Package::new(deb.clone(), "x", "1"));
        let mut c = SourceFile::new("img.tar!nowhere", "dpkg", deb.clone());
        c.packages.push(Package::new(deb, "y", "1"));
        let mut sources = vec![a, b, c];
        fill_layers(&mut sources, &set, "img.tar!");
        assert_eq!(sources[0].packages[0].layer, Some(2));
        assert_eq!(
            sources[0].packages[1].layer,
            Some(1),
            "an analyzer's choice stays"
        );
        assert_eq!(sources[1].packages[0].layer, Some(2), "through the link");
        assert_eq!(sources[2].packages[0].layer, None);
    }

    fn h(by: &str, empty: bool) -> History {
        History {
            created_by: Some(by.into()),
            empty_layer: empty,
        }
    }

    #[test]
    fn base_layers_from_history() {
        // debian base (ADD, CMD) + app (RUN, COPY, ENTRYPOINT, CMD).
        let hist = [
            h("/bin/sh -c #(nop) ADD file:x in / ", false),
            h("/bin/sh -c #(nop)  CMD [\"bash\"]", true),
            h("RUN apt-get install x", false),
            h("COPY . /app", false),
            h("ENTRYPOINT [\"/app\"]", true),
            h("CMD [\"serve\"]", true),
        ];
        assert_eq!(guess_base_layers(&hist), 1);
        // The base image itself: no boundary.
        assert_eq!(guess_base_layers(&hist[..2]), 0);
        // No CMD anywhere: no base.
        assert_eq!(guess_base_layers(&[h("ADD", false), h("RUN", false)]), 0);
        // Two base layers (BuildKit spelling).
        let hist = [
            h("ADD rootfs.tar /", false),
            h("RUN apk add ca-certificates", false),
            h("CMD [\"/bin/sh\"]", true),
            h("COPY app /app", false),
        ];
        assert_eq!(guess_base_layers(&hist), 2);
    }
}
