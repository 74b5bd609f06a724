//! Packages as found in lockfiles, manifests and SBOMs, and the inventory
//! that groups them by the file they came from.
//!
//! The JSON form of these types is patchloop's stable inventory format
//! (`schema: "patchloop.inventory/v1"`, see docs/inventory-json.md): fields
//! are only ever added, never renamed or removed, within v1.

use serde::{Deserialize, Serialize};

use crate::ecosystem::Ecosystem;
use crate::purl::purl_for;

/// The inventory JSON schema identifier.
pub const INVENTORY_SCHEMA: &str = "patchloop.inventory/v1";

/// Where a package was declared: file and, where the format allows, the
/// 1-based line of its entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Location {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// Whether the project depends on the package itself or through others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Relation {
    Direct,
    Transitive,
    /// The file does not record it (e.g. a flat list without a manifest).
    #[default]
    Unknown,
}

/// What the package is needed for. When several apply, the most demanding
/// wins: runtime > optional > build > dev.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Needed only to develop or test the project.
    Dev,
    /// Needed only to build it (build scripts, build-dependencies).
    Build,
    /// Optional at run time (npm optionalDependencies, extras).
    Optional,
    /// Needed at run time.
    #[default]
    Runtime,
}

impl Scope {
    /// Combine two scopes of the same package reached by different paths.
    pub fn merge(self, other: Scope) -> Scope {
        self.max(other)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Dev => "dev",
            Scope::Build => "build",
            Scope::Optional => "optional",
            Scope::Runtime => "runtime",
        }
    }
}

/// How precisely the file pins the package.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Resolution {
    /// A concrete version, resolved (lockfile) or pinned (`==`).
    #[default]
    Exact,
    /// Only a requirement (`>=1.2`, `^4.0`): the installed version is not
    /// known from this file.
    Requirement { spec: String },
    /// Installed from a direct URL (archive or wheel).
    Url { url: String },
    /// Installed from a version-control repository.
    Vcs {
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rev: Option<String>,
    },
    /// A local path, editable install, link or workspace member.
    Path { path: String },
}

impl Resolution {
    pub fn is_exact(&self) -> bool {
        matches!(self, Resolution::Exact)
    }
}

/// One package in one source file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// Identifier unique within its source file; the target of
    /// `dependencies` edges. Usually the purl.
    pub id: String,
    pub ecosystem: Ecosystem,
    /// The name as the ecosystem spells it (`@scope/name`, `group:artifact`,
    /// Go module path, ...).
    pub name: String,
    /// The exact version; empty when the file does not pin one (see
    /// `resolution`).
    pub version: String,
    pub purl: String,
    #[serde(default)]
    pub resolution: Resolution,
    #[serde(default)]
    pub relation: Relation,
    #[serde(default)]
    pub scope: Scope,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
    /// Ids of packages of the same source file this one depends on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
    /// Integrity hashes as recorded (`sha256:<hex>`, `sha512-<base64>`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checksums: Vec<String>,
    /// The source package an OS binary package was built from (Debian
    /// `Source:`, RPM `SOURCERPM`, Alpine `o:` origin). Debian advisories
    /// name source packages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourcePackage>,
    /// Index into [`Target::layers`] of the image layer that brought this
    /// package (the last layer that wrote the file it was read from).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<u32>,
}

/// Source package of an OS binary package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourcePackage {
    pub name: String,
    /// Source version when it differs from the binary version (empty: same).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
}

impl Package {
    /// A package pinned to an exact version, with its purl as id.
    pub fn new(ecosystem: Ecosystem, name: impl Into<String>, version: impl Into<String>) -> Self {
        let name = name.into();
        let version = version.into();
        let purl = purl_for(&ecosystem, &name, &version);
        Package {
            id: purl.clone(),
            ecosystem,
            name,
            version,
            purl,
            resolution: Resolution::Exact,
            relation: Relation::Unknown,
            scope: Scope::Runtime,
            locations: Vec::new(),
            dependencies: Vec::new(),
            checksums: Vec::new(),
            source: None,
            layer: None,
        }
    }

    /// A package the file names without an exact version.
    pub fn unpinned(ecosystem: Ecosystem, name: impl Into<String>, resolution: Resolution) -> Self {
        let mut p = Package::new(ecosystem, name, "");
        p.resolution = resolution;
        p
    }

    pub fn with_location(mut self, path: &str, line: Option<u32>) -> Self {
        self.locations.push(Location {
            path: path.to_string(),
            line,
        });
        self
    }

    pub fn with_relation(mut self, relation: Relation) -> Self {
        self.relation = relation;
        self
    }

    pub fn with_scope(mut self, scope: Scope) -> Self {
        self.scope = scope;
        self
    }

    /// First recorded line, if any.
    pub fn line(&self) -> Option<u32> {
        self.locations.first().and_then(|l| l.line)
    }
}

/// The project's own package(s) described by a file (workspace members,
/// the npm root package, the module in go.mod). They are not dependencies
/// and are never matched against advisories; their `dependencies` are the
/// direct dependencies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Root {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Path of the member inside the project, when the file says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
}

/// One file that was read, the packages in it and the project roots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    pub path: String,
    /// Format identifier, e.g. `cargo-lock`, `package-lock`, `cyclonedx-json`.
    pub format: String,
    /// Format revision where the file states one (`3` for lockfileVersion 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format_version: Option<String>,
    /// The main ecosystem of the file (SBOMs may mix several: see packages).
    pub ecosystem: Ecosystem,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roots: Vec<Root>,
    pub packages: Vec<Package>,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, format: impl Into<String>, ecosystem: Ecosystem) -> Self {
        SourceFile {
            path: path.into(),
            format: format.into(),
            format_version: None,
            ecosystem,
            roots: Vec::new(),
            packages: Vec::new(),
        }
    }

    /// Paths from a root's direct dependency down to the package with id
    /// `target`, shortest first (breadth-first; at most `limit` paths).
    pub fn paths_to(&self, target: &str, limit: usize) -> Vec<Vec<String>> {
        use std::collections::{HashMap, VecDeque};
        let index: HashMap<&str, &Package> =
            self.packages.iter().map(|p| (p.id.as_str(), p)).collect();
        let mut starts: Vec<&str> = Vec::new();
        for r in &self.roots {
            starts.extend(r.dependencies.iter().map(String::as_str));
        }
        if starts.is_empty() {
            starts.extend(
                self.packages
                    .iter()
                    .filter(|p| p.relation == Relation::Direct)
                    .map(|p| p.id.as_str()),
            );
        }
        starts.sort_unstable();
        starts.dedup();
        let mut out = Vec::new();
        let mut queue: VecDeque<Vec<&str>> = starts.iter().map(|s| vec![*s]).collect();
        let mut seen_depth: HashMap<&str, usize> = HashMap::new();
        while let Some(path) = queue.pop_front() {
            let last = *path.last().expect("non-empty path");
            if last == target {
                out.push(path.iter().map(|s| s.to_string()).collect());
                if out.len() >= limit {
                    break;
                }
                continue;
            }
            // Visit each node at its shortest depth only (keeps it linear).
            match seen_depth.get(last) {
                Some(&d) if d < path.len() => continue,
                _ => {
                    seen_depth.insert(last, path.len());
                }
            }
            if let Some(p) = index.get(last) {
                for d in &p.dependencies {
                    if !path.contains(&d.as_str()) {
                        let mut next = path.clone();
                        next.push(d.as_str());
                        queue.push_back(next);
                    }
                }
            }
        }
        out
    }
}

/// Severity of a diagnostic produced while reading inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiagnosticLevel {
    Warning,
    Error,
}

/// A problem with one input: the file (and line) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub level: DiagnosticLevel,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let level = match self.level {
            DiagnosticLevel::Warning => "warning",
            DiagnosticLevel::Error => "error",
        };
        match self.line {
            Some(l) => write!(f, "{level}: {}:{l}: {}", self.path, self.message),
            None => write!(f, "{level}: {}: {}", self.path, self.message),
        }
    }
}

/// Everything found under the given paths.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Inventory {
    pub sources: Vec<SourceFile>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<Diagnostic>,
    /// The host file system or container image that was read, when the
    /// inventory came from `--rootfs` or `--image`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
}

/// What kind of tree a [`Target`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    /// A host or an unpacked file system (`--rootfs DIR`).
    Rootfs,
    /// A container image (`docker save` archive or OCI image layout).
    Image,
}

/// A host file system or container image read as one unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub kind: TargetKind,
    /// The path given, and for images the reference (`repo:tag`) when the
    /// archive names one.
    pub reference: String,
    /// Image manifest digest (`sha256:...`), for images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// The distribution from `/etc/os-release` (or `/usr/lib/os-release`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsInfo>,
    /// Image layers, bottom first (empty for a rootfs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<Layer>,
}

/// The operating system of a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsInfo {
    /// `ID=` (`debian`, `ubuntu`, `alpine`, `rhel`, `rocky`, ...).
    pub id: String,
    /// `VERSION_ID=` (`12`, `22.04`, `3.20.3`, `9.4`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pretty_name: String,
    /// The OSV ecosystem its packages are matched in (`Debian:12`,
    /// `Ubuntu:22.04:LTS`, `Alpine:v3.20`, `Rocky Linux:9`); absent when the
    /// distribution has no OSV ecosystem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<Ecosystem>,
    /// The OSV ecosystems of the repositories the image says its packages
    /// came from (Red Hat's content manifests,
    /// `root/buildinfo/content_manifests/*.json`:
    /// `Red Hat:enterprise_linux:9::baseos`, ...); empty when the tree does
    /// not say, and packages are matched in every repository of
    /// `ecosystem`'s release.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repositories: Vec<Ecosystem>,
}

/// One image layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layer {
    /// 0 for the bottom layer.
    pub index: u32,
    /// Digest of the layer blob as stored (`sha256:...`).
    pub digest: String,
    /// Digest of the uncompressed layer (the config's `rootfs.diff_ids`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub diff_id: String,
    /// Stored size in bytes.
    pub size: u64,
    /// The history entry's `created_by` (the Dockerfile instruction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// True when the layer belongs to the base image rather than to the
    /// application built on it.
    #[serde(default)]
    pub base: bool,
}

impl Inventory {
    /// All packages of all sources, with the source they came from.
    pub fn packages(&self) -> impl Iterator<Item = (&SourceFile, &Package)> {
        self.sources
            .iter()
            .flat_map(|s| s.packages.iter().map(move |p| (s, p)))
    }

    pub fn package_count(&self) -> usize {
        self.sources.iter().map(|s| s.packages.len()).sum()
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.level == DiagnosticLevel::Error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_to_finds_shortest_first() {
        let mut s = SourceFile::new("Cargo.lock", "cargo-lock", Ecosystem::CRATES_IO);
        let mut a = Package::new(Ecosystem::CRATES_IO, "a", "1.0.0");
        let mut b = Package::new(Ecosystem::CRATES_IO, "b", "1.0.0");
        let c = Package::new(Ecosystem::CRATES_IO, "c", "1.0.0");
        a.dependencies = vec![b.id.clone(), c.id.clone()];
        b.dependencies = vec![c.id.clone()];
        s.roots.push(Root {
            name: "app".into(),
            version: "0.1.0".into(),
            path: None,
            dependencies: vec![a.id.clone()],
        });
        let target = c.id.clone();
        s.packages = vec![a, b, c];
        let paths = s.paths_to(&target, 5);
        assert_eq!(paths.len(), 2);
        assert_eq!(paths[0].len(), 2);
        assert_eq!(paths[1].len(), 3);
    }

    #[test]
    fn scope_merge_prefers_runtime() {
        assert_eq!(Scope::Dev.merge(Scope::Runtime), Scope::Runtime);
        assert_eq!(Scope::Dev.merge(Scope::Build), Scope::Build);
    }
}
