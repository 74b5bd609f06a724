//! Pieces shared by the CycloneDX and SPDX readers and writers: lenient
//! JSON scalars, the SBOM-neutral graph the readers produce and its
//! conversion to packages, hash names, and the merged view of an
//! inventory that the writers print.

use crate::fxhash::{HashMap, HashSet};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use patchloop_model::{
    Ecosystem, EcosystemKind, Inventory, Location, Package, Relation, Resolution, Root, Scope,
    SourceFile, parse_purl, purl_for,
};

use crate::formats::common::{PackageSet, propagate};
use crate::input::{Input, Parsed};
use crate::text::LineIndex;

// ---------------------------------------------------------------------------
// Lenient JSON values: a wrong type in one field of one entry must not make
// the whole SBOM unreadable.

/// A JSON scalar kept as text (strings as written, numbers spelled out);
/// anything else reads as absent.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct LStr(pub Option<String>);

impl LStr {
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// The trimmed value when it is not blank.
    pub fn non_empty(&self) -> Option<&str> {
        self.0.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
}

fn drain_seq<'de, A: SeqAccess<'de>>(mut a: A) -> Result<(), A::Error> {
    while a.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn drain_map<'de, A: MapAccess<'de>>(mut a: A) -> Result<(), A::Error> {
    while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

impl<'de> Deserialize<'de> for LStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LStr;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LStr, E> {
                Ok(LStr(Some(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<LStr, E> {
                Ok(LStr(Some(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LStr, E> {
                Ok(LStr(Some(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LStr, E> {
                Ok(LStr(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<LStr, E> {
                Ok(LStr(Some(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<LStr, E> {
                Ok(LStr(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<LStr, E> {
                Ok(LStr(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<LStr, E> {
                Ok(LStr(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, a: A) -> Result<LStr, A::Error> {
                drain_seq(a)?;
                Ok(LStr(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<LStr, A::Error> {
                drain_map(a)?;
                Ok(LStr(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// A JSON object read as `T`; any other JSON value reads as absent.
#[derive(Debug, Clone)]
pub(super) struct LObj<T>(pub Option<T>);

impl<T> Default for LObj<T> {
    fn default() -> Self {
        LObj(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for LObj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = LObj<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<LObj<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(a)).map(|t| LObj(Some(t)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, a: A) -> Result<LObj<T>, A::Error> {
                drain_seq(a)?;
                Ok(LObj(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<LObj<T>, E> {
                Ok(LObj(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<LObj<T>, E> {
                Ok(LObj(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<LObj<T>, E> {
                Ok(LObj(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<LObj<T>, E> {
                Ok(LObj(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<LObj<T>, E> {
                Ok(LObj(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<LObj<T>, E> {
                Ok(LObj(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<LObj<T>, E> {
                Ok(LObj(None))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A JSON array read element by element; any other JSON value reads as an
/// empty list.
#[derive(Debug, Clone)]
pub(super) struct LList<T>(pub Vec<T>);

impl<T> Default for LList<T> {
    fn default() -> Self {
        LList(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for LList<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = LList<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<LList<T>, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element::<T>()? {
                    v.push(x);
                }
                Ok(LList(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<LList<T>, A::Error> {
                drain_map(a)?;
                Ok(LList(Vec::new()))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<LList<T>, E> {
                Ok(LList(Vec::new()))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<LList<T>, E> {
                Ok(LList(Vec::new()))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<LList<T>, E> {
                Ok(LList(Vec::new()))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<LList<T>, E> {
                Ok(LList(Vec::new()))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<LList<T>, E> {
                Ok(LList(Vec::new()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<LList<T>, E> {
                Ok(LList(Vec::new()))
            }
            fn visit_none<E: de::Error>(self) -> Result<LList<T>, E> {
                Ok(LList(Vec::new()))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

// ---------------------------------------------------------------------------
// Lines of JSON values.

/// Byte offsets of the string values of the given keys, in document order:
/// `(index into keys, decoded value, 1-based line)`. One linear pass over
/// every string token; works for compact and pretty-printed JSON alike.
pub(super) fn json_value_lines(text: &str, keys: &[&str]) -> Vec<(usize, String, u32)> {
    fn scan_string(b: &[u8], start: usize) -> Option<(usize, bool)> {
        let mut j = start + 1;
        let mut escaped = false;
        while j < b.len() {
            match b[j] {
                b'\\' => {
                    escaped = true;
                    j += 2;
                }
                b'"' => return Some((j, escaped)),
                _ => j += 1,
            }
        }
        None
    }
    fn skip_ws(b: &[u8], mut j: usize) -> usize {
        while j < b.len() && matches!(b[j], b' ' | b'\t' | b'\n' | b'\r') {
            j += 1;
        }
        j
    }
    let b = text.as_bytes();
    let index = LineIndex::new(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'"' {
            i += 1;
            continue;
        }
        let Some((end, _)) = scan_string(b, i) else {
            break;
        };
        let j = skip_ws(b, end + 1);
        if j < b.len()
            && b[j] == b':'
            && let Some(k) = keys.iter().position(|k| text.get(i + 1..end) == Some(*k))
        {
            let v = skip_ws(b, j + 1);
            if v < b.len() && b[v] == b'"' {
                let Some((vend, escaped)) = scan_string(b, v) else {
                    break;
                };
                let value = if escaped {
                    text.get(v..=vend)
                        .and_then(|raw| serde_json::from_str::<String>(raw).ok())
                } else {
                    text.get(v + 1..vend).map(str::to_string)
                };
                if let Some(value) = value {
                    out.push((k, value, index.line(v)));
                }
                i = vend + 1;
                continue;
            }
        }
        i = end + 1;
    }
    out
}

// ---------------------------------------------------------------------------
// The SBOM-neutral graph.

/// One component (CycloneDX) or package (SPDX) as read.
#[derive(Debug, Clone, Default)]
pub(super) struct Entry {
    /// `bom-ref` or `SPDXID`.
    pub reference: Option<String>,
    pub name: String,
    /// CycloneDX `group` (Maven groupId, npm scope, Composer vendor).
    pub group: Option<String>,
    pub version: String,
    pub purl: Option<String>,
    /// False for things that are not software packages (files, operating
    /// systems, devices, data...): without a purl they are skipped.
    pub software: bool,
    /// The scope the SBOM states for the entry itself.
    pub scope: Option<Scope>,
    /// `alg:value` as recorded.
    pub checksums: Vec<String>,
    /// Restored from patchloop's own properties, when present.
    pub ecosystem_hint: Option<Ecosystem>,
    pub resolution_hint: Option<Resolution>,
    pub line: Option<u32>,
}

/// A dependency edge between two references.
#[derive(Debug, Clone)]
pub(super) struct Edge {
    pub from: String,
    pub to: String,
    pub scope: Scope,
}

/// What a reader hands to [`build`].
#[derive(Debug, Default)]
pub(super) struct Graph {
    /// The described project(s): become `source.roots`.
    pub roots: Vec<Entry>,
    pub entries: Vec<Entry>,
    pub edges: Vec<Edge>,
    /// References made direct dependencies without a root (an SPDX
    /// document that describes packages with purls).
    pub direct_refs: Vec<String>,
}

/// The ecosystem of packages an SBOM names without a purl.
pub(super) fn generic_ecosystem() -> Ecosystem {
    Ecosystem::new(EcosystemKind::Other("generic".to_string()))
}

/// Language ecosystems, whose purl patchloop rebuilds from (ecosystem,
/// name, version); other purls (deb, apk, rpm, oci, ...) are kept verbatim.
fn canonical_purl_kind(kind: &EcosystemKind) -> bool {
    matches!(
        kind,
        EcosystemKind::CratesIo
            | EcosystemKind::Npm
            | EcosystemKind::PyPI
            | EcosystemKind::Go
            | EcosystemKind::RubyGems
            | EcosystemKind::Packagist
            | EcosystemKind::Maven
            | EcosystemKind::NuGet
            | EcosystemKind::Pub
            | EcosystemKind::Hex
            | EcosystemKind::SwiftURL
            | EcosystemKind::ConanCenter
    )
}

/// The package an entry stands for. `Err` carries a warning (bad purl).
fn package_of(e: &Entry) -> Result<Package, String> {
    let mut p = match e.purl.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(purl) => {
            let parts = parse_purl(purl).map_err(|err| err.to_string())?;
            let version = parts.version.clone().unwrap_or_else(|| e.version.clone());
            let ecosystem = match &e.ecosystem_hint {
                Some(h) if h.kind == parts.ecosystem.kind => h.clone(),
                _ => parts.ecosystem.clone(),
            };
            if canonical_purl_kind(&ecosystem.kind) {
                // Prefer the SBOM's own spelling of the name when it denotes
                // the same purl (PyPI `Django` vs `django`, Maven
                // `group:artifact` from group + name).
                let canonical = purl_for(&ecosystem, &parts.name, &version);
                let mut candidates = vec![e.name.clone()];
                if let Some(g) = e.group.as_deref().filter(|g| !g.is_empty()) {
                    let sep = if ecosystem.kind == EcosystemKind::Maven {
                        ':'
                    } else {
                        '/'
                    };
                    candidates.push(format!("{g}{sep}{}", e.name));
                }
                let name = candidates
                    .into_iter()
                    .find(|c| !c.is_empty() && purl_for(&ecosystem, c, &version) == canonical)
                    .unwrap_or(parts.name);
                let mut p = Package::new(ecosystem, name, version);
                // Qualifiers and subpath (`?vcs_url=...`, `#v3`) tell
                // packages apart: such purls are kept as written. Plain
                // ones are rebuilt, which normalizes their spelling.
                if purl.contains(['?', '#']) {
                    p.purl = purl.to_string();
                    p.id = p.purl.clone();
                }
                p
            } else {
                // Kept as written; the SBOM's name is used when it builds
                // this very purl (names with `/` in ecosystems without rules).
                let name = if !e.name.is_empty() && purl_for(&ecosystem, &e.name, &version) == purl
                {
                    e.name.clone()
                } else {
                    parts.name
                };
                let mut p = Package::new(ecosystem, name, version);
                p.purl = purl.to_string();
                p.id = p.purl.clone();
                p
            }
        }
        None => {
            let name = match e.group.as_deref().filter(|g| !g.is_empty()) {
                Some(g) => format!("{g}/{}", e.name),
                None => e.name.clone(),
            };
            Package::new(generic_ecosystem(), name, e.version.clone())
        }
    };
    p.resolution = match &e.resolution_hint {
        Some(r) => r.clone(),
        None if p.version.is_empty() => Resolution::Requirement {
            spec: String::new(),
        },
        None => Resolution::Exact,
    };
    p.checksums = e.checksums.clone();
    Ok(p)
}

/// Turn a graph into the parsed file: packages merged by id, edges, roots,
/// relation (direct: targets of root edges; transitive: reachable from
/// them) and scope (as the entry states it, else from the direct edges it
/// is reachable from, else runtime).
pub(super) fn build(
    input: &Input,
    format: &str,
    format_version: Option<String>,
    graph: Graph,
) -> Parsed {
    let mut parsed = Parsed::new(SourceFile::new(input.display, format, generic_ecosystem()));
    parsed.source.format_version = format_version;

    let root_refs: HashSet<&str> = graph
        .roots
        .iter()
        .filter_map(|r| r.reference.as_deref())
        .collect();
    let mut set = PackageSet::new();
    let mut ref_to_id: HashMap<&str, String> = HashMap::default();
    let mut skipped_refs: HashSet<&str> = HashSet::default();
    let mut declared: HashMap<String, Scope> = HashMap::default();
    let mut skipped_kinds = 0usize;
    let mut skipped_line = None;
    let mut generic = 0usize;
    let mut generic_line = None;

    for e in &graph.entries {
        if let Some(r) = e.reference.as_deref()
            && root_refs.contains(r)
        {
            continue; // the subject listed again among the components
        }
        let has_purl = e.purl.as_deref().is_some_and(|p| !p.trim().is_empty());
        if !has_purl && !e.software {
            skipped_kinds += 1;
            skipped_line = skipped_line.or(e.line);
            if let Some(r) = e.reference.as_deref() {
                skipped_refs.insert(r);
            }
            continue;
        }
        if !has_purl && e.name.trim().is_empty() {
            parsed.warn(e.line, "entry without name or purl skipped");
            if let Some(r) = e.reference.as_deref() {
                skipped_refs.insert(r);
            }
            continue;
        }
        let p = match package_of(e) {
            Ok(p) => p,
            Err(msg) => {
                let mut fallback = e.clone();
                fallback.purl = None;
                parsed.warn(
                    e.line,
                    format!("{msg}; `{}` kept with ecosystem `generic`", e.name),
                );
                match package_of(&fallback) {
                    Ok(p) if !e.name.trim().is_empty() => p,
                    _ => {
                        if let Some(r) = e.reference.as_deref() {
                            skipped_refs.insert(r);
                        }
                        continue;
                    }
                }
            }
        };
        if !has_purl {
            generic += 1;
            generic_line = generic_line.or(e.line);
        }
        let p = p.with_location(input.display, e.line);
        if let Some(s) = e.scope {
            let d = declared.entry(p.id.clone()).or_insert(s);
            *d = d.merge(s);
        }
        let id = set.insert(p);
        if let Some(r) = e.reference.as_deref() {
            ref_to_id.insert(r, id);
        }
    }
    if skipped_kinds > 0 {
        parsed.warn(
            skipped_line,
            format!(
                "{skipped_kinds} entries that are not software packages (files, operating systems, \
                 devices, data...) and have no purl were skipped"
            ),
        );
    }
    if generic > 0 {
        parsed.warn(
            generic_line,
            format!(
                "{generic} packages without a purl kept with ecosystem `generic` \
                 (they cannot be matched against advisories)"
            ),
        );
    }

    let mut roots: Vec<Root> = Vec::new();
    let mut root_index: HashMap<&str, usize> = HashMap::default();
    for r in &graph.roots {
        let (name, version) = match package_of(r) {
            Ok(p) if r.purl.is_some() => (p.name, p.version),
            _ => (r.name.clone(), r.version.clone()),
        };
        if let Some(rf) = r.reference.as_deref() {
            root_index.insert(rf, roots.len());
        }
        roots.push(Root {
            name,
            version,
            path: None,
            dependencies: Vec::new(),
        });
    }

    let mut direct: Vec<(String, Scope)> = Vec::new();
    let mut unknown_refs = 0usize;
    for edge in &graph.edges {
        let to = match ref_to_id.get(edge.to.as_str()) {
            Some(id) => id.clone(),
            None => {
                if !skipped_refs.contains(edge.to.as_str()) && !root_refs.contains(edge.to.as_str())
                {
                    unknown_refs += 1;
                }
                continue;
            }
        };
        if let Some(&ri) = root_index.get(edge.from.as_str()) {
            if let Some(root) = roots.get_mut(ri) {
                root.dependencies.push(to.clone());
            }
            direct.push((to, edge.scope));
        } else if let Some(from) = ref_to_id.get(edge.from.as_str()) {
            // Duplicates are removed by `into_sorted`.
            if let Some(p) = set.get_mut(from) {
                p.dependencies.push(to);
            }
        } else if !skipped_refs.contains(edge.from.as_str()) {
            unknown_refs += 1;
        }
    }
    for r in &graph.direct_refs {
        if let Some(id) = ref_to_id.get(r.as_str()) {
            direct.push((id.clone(), Scope::Runtime));
        }
    }
    if unknown_refs > 0 {
        parsed.warn(
            None,
            format!("{unknown_refs} dependency references name nothing read from this file"),
        );
    }

    propagate(&mut set, &direct);
    for p in set.iter_mut() {
        if let Some(s) = declared.get(&p.id) {
            p.scope = *s;
        }
    }
    for r in &mut roots {
        r.dependencies.sort();
        r.dependencies.dedup();
    }
    let packages = set.into_sorted();
    parsed.source.ecosystem = most_common_ecosystem(&packages);
    parsed.source.packages = packages;
    parsed.source.roots = roots;
    parsed
}

/// The ecosystem most packages belong to (ties: the smallest name);
/// `generic` for an empty file.
pub(super) fn most_common_ecosystem(packages: &[Package]) -> Ecosystem {
    let mut counts: BTreeMap<&Ecosystem, usize> = BTreeMap::new();
    for p in packages {
        *counts.entry(&p.ecosystem).or_default() += 1;
    }
    let mut best: Option<(&Ecosystem, usize)> = None;
    for (e, n) in counts {
        if best.is_none_or(|(_, b)| n > b) {
            best = Some((e, n));
        }
    }
    best.map(|(e, _)| e.clone())
        .unwrap_or_else(generic_ecosystem)
}

// ---------------------------------------------------------------------------
// Hashes.

/// Hash algorithms both SBOM formats can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum HashAlg {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    Sha3_256,
    Sha3_384,
    Sha3_512,
    Blake2b256,
    Blake2b384,
    Blake2b512,
    Blake3,
}

const ALG_LABELS: &[(&str, HashAlg)] = &[
    ("blake2b-256", HashAlg::Blake2b256),
    ("blake2b-384", HashAlg::Blake2b384),
    ("blake2b-512", HashAlg::Blake2b512),
    ("sha3-256", HashAlg::Sha3_256),
    ("sha3-384", HashAlg::Sha3_384),
    ("sha3-512", HashAlg::Sha3_512),
    ("sha-224", HashAlg::Sha224),
    ("sha-256", HashAlg::Sha256),
    ("sha-384", HashAlg::Sha384),
    ("sha-512", HashAlg::Sha512),
    ("blake3", HashAlg::Blake3),
    ("sha224", HashAlg::Sha224),
    ("sha256", HashAlg::Sha256),
    ("sha384", HashAlg::Sha384),
    ("sha512", HashAlg::Sha512),
    ("sha-1", HashAlg::Sha1),
    ("sha1", HashAlg::Sha1),
    ("md5", HashAlg::Md5),
];

impl HashAlg {
    /// From an algorithm name as either format (or a lockfile) spells it.
    pub fn from_label(label: &str) -> Option<HashAlg> {
        let l = label.trim();
        ALG_LABELS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(l))
            .map(|(_, a)| *a)
    }

    /// Digest length in bytes.
    pub fn len(self) -> usize {
        match self {
            HashAlg::Md5 => 16,
            HashAlg::Sha1 => 20,
            HashAlg::Sha224 => 28,
            HashAlg::Sha256 | HashAlg::Sha3_256 | HashAlg::Blake2b256 | HashAlg::Blake3 => 32,
            HashAlg::Sha384 | HashAlg::Sha3_384 | HashAlg::Blake2b384 => 48,
            HashAlg::Sha512 | HashAlg::Sha3_512 | HashAlg::Blake2b512 => 64,
        }
    }

    /// The prefix of patchloop's `alg:value` checksum strings.
    pub fn prefix(self) -> &'static str {
        match self {
            HashAlg::Md5 => "md5",
            HashAlg::Sha1 => "sha1",
            HashAlg::Sha224 => "sha224",
            HashAlg::Sha256 => "sha256",
            HashAlg::Sha384 => "sha384",
            HashAlg::Sha512 => "sha512",
            HashAlg::Sha3_256 => "sha3-256",
            HashAlg::Sha3_384 => "sha3-384",
            HashAlg::Sha3_512 => "sha3-512",
            HashAlg::Blake2b256 => "blake2b-256",
            HashAlg::Blake2b384 => "blake2b-384",
            HashAlg::Blake2b512 => "blake2b-512",
            HashAlg::Blake3 => "blake3",
        }
    }

    /// CycloneDX `hash-alg` name (SHA-224 has none).
    pub fn cyclonedx(self) -> Option<&'static str> {
        Some(match self {
            HashAlg::Md5 => "MD5",
            HashAlg::Sha1 => "SHA-1",
            HashAlg::Sha224 => return None,
            HashAlg::Sha256 => "SHA-256",
            HashAlg::Sha384 => "SHA-384",
            HashAlg::Sha512 => "SHA-512",
            HashAlg::Sha3_256 => "SHA3-256",
            HashAlg::Sha3_384 => "SHA3-384",
            HashAlg::Sha3_512 => "SHA3-512",
            HashAlg::Blake2b256 => "BLAKE2b-256",
            HashAlg::Blake2b384 => "BLAKE2b-384",
            HashAlg::Blake2b512 => "BLAKE2b-512",
            HashAlg::Blake3 => "BLAKE3",
        })
    }

    /// SPDX 2.3 checksum algorithm name. BLAKE3 is left out: the reference
    /// validator wrongly demands at least 256 hex digits for it.
    pub fn spdx(self) -> Option<&'static str> {
        Some(match self {
            HashAlg::Md5 => "MD5",
            HashAlg::Sha1 => "SHA1",
            HashAlg::Sha224 => "SHA224",
            HashAlg::Sha256 => "SHA256",
            HashAlg::Sha384 => "SHA384",
            HashAlg::Sha512 => "SHA512",
            HashAlg::Sha3_256 => "SHA3-256",
            HashAlg::Sha3_384 => "SHA3-384",
            HashAlg::Sha3_512 => "SHA3-512",
            HashAlg::Blake2b256 => "BLAKE2b-256",
            HashAlg::Blake2b384 => "BLAKE2b-384",
            HashAlg::Blake2b512 => "BLAKE2b-512",
            HashAlg::Blake3 => return None,
        })
    }
}

/// `alg:value` from an SBOM hash (algorithm as the SBOM names it).
pub(super) fn checksum_string(alg: &str, value: &str) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let alg = alg.trim();
    let prefix = match HashAlg::from_label(alg) {
        Some(a) => a.prefix().to_string(),
        None if !alg.is_empty() => alg.to_ascii_lowercase(),
        None => return None,
    };
    Some(format!("{prefix}:{value}"))
}

/// A recorded checksum as (algorithm, lowercase hex digest) when it is a
/// plain digest of a known algorithm: `sha256:<hex>`, `sha1=<hex>`, SRI
/// `sha512-<base64>`, `sha512:<base64>`. Anything else (Go `h1:` dirhashes,
/// unknown algorithms, wrong lengths) gives None.
pub(super) fn parse_checksum(s: &str) -> Option<(HashAlg, String)> {
    let s = s.trim();
    let (alg, value) = ALG_LABELS.iter().find_map(|(label, alg)| {
        let head = s.get(..label.len())?;
        let rest = s.get(label.len()..)?;
        if !head.eq_ignore_ascii_case(label) {
            return None;
        }
        let value = rest
            .strip_prefix(':')
            .or_else(|| rest.strip_prefix('-'))
            .or_else(|| rest.strip_prefix('='))?;
        Some((*alg, value.trim()))
    })?;
    let n = alg.len();
    if value.len() == n * 2 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some((alg, value.to_ascii_lowercase()));
    }
    let bytes = base64_decode(value)?;
    (bytes.len() == n).then(|| (alg, hex(&bytes)))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// Standard or URL-safe base64, padding optional.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    // Leftover bits must be padding zeros; one leftover char is malformed.
    if bits >= 6 || acc & ((1 << bits) - 1) != 0 {
        return None;
    }
    Some(out)
}

// ---------------------------------------------------------------------------
// The merged view the writers print.

/// One distinct purl of the inventory, merged over all files.
#[derive(Debug)]
pub(super) struct ExportPackage<'a> {
    pub purl: &'a str,
    pub ecosystem: &'a Ecosystem,
    pub name: &'a str,
    pub version: &'a str,
    pub resolution: &'a Resolution,
    pub scope: Scope,
    pub direct: bool,
    pub locations: Vec<&'a Location>,
    /// Purls of the packages this one depends on.
    pub dependencies: Vec<&'a str>,
    pub hashes: Vec<(HashAlg, String)>,
}

/// Merge the inventory by purl, in purl order. Within one purl the first
/// file (in inventory order) gives name, version and resolution; scopes
/// merge to the most demanding, locations, edges and hashes are unions, and
/// the package is direct when any file says so.
pub(super) fn merge_inventory(inv: &Inventory) -> Vec<ExportPackage<'_>> {
    struct Acc<'a> {
        first: &'a Package,
        scope: Scope,
        direct: bool,
        locations: BTreeSet<&'a Location>,
        deps: BTreeSet<&'a str>,
        hashes: BTreeSet<(HashAlg, String)>,
    }
    let mut by_purl: BTreeMap<&str, Acc> = BTreeMap::new();
    for source in &inv.sources {
        let id_to_purl: HashMap<&str, &str> = source
            .packages
            .iter()
            .map(|p| (p.id.as_str(), p.purl.as_str()))
            .collect();
        let root_deps: HashSet<&str> = source
            .roots
            .iter()
            .flat_map(|r| r.dependencies.iter().map(String::as_str))
            .collect();
        for p in &source.packages {
            if p.purl.is_empty() {
                continue;
            }
            let acc = by_purl.entry(p.purl.as_str()).or_insert_with(|| Acc {
                first: p,
                scope: p.scope,
                direct: false,
                locations: BTreeSet::new(),
                deps: BTreeSet::new(),
                hashes: BTreeSet::new(),
            });
            acc.scope = acc.scope.merge(p.scope);
            acc.direct |= p.relation == Relation::Direct || root_deps.contains(p.id.as_str());
            acc.locations.extend(p.locations.iter());
            for d in &p.dependencies {
                if let Some(purl) = id_to_purl.get(d.as_str())
                    && *purl != p.purl
                    && !purl.is_empty()
                {
                    acc.deps.insert(purl);
                }
            }
            for c in &p.checksums {
                for part in c.split_whitespace() {
                    if let Some(h) = parse_checksum(part) {
                        acc.hashes.insert(h);
                    }
                }
            }
        }
    }
    by_purl
        .into_iter()
        .map(|(purl, a)| ExportPackage {
            purl,
            ecosystem: &a.first.ecosystem,
            name: &a.first.name,
            version: &a.first.version,
            resolution: &a.first.resolution,
            scope: a.scope,
            direct: a.direct,
            locations: a.locations.into_iter().collect(),
            dependencies: a.deps.into_iter().collect(),
            hashes: a.hashes.into_iter().collect(),
        })
        .collect()
}

/// The document's creation time as `YYYY-MM-DDThh:mm:ssZ` (the form SPDX
/// requires), from the RFC 3339 `timestamp` of the options; the current
/// time when that does not parse.
pub(super) fn normalized_timestamp(timestamp: &str) -> String {
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;
    let t = OffsetDateTime::parse(timestamp.trim(), &Rfc3339)
        .unwrap_or_else(|_| OffsetDateTime::now_utc())
        .to_offset(time::UtcOffset::UTC);
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.format(&fmt)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

/// The document UUID: the serial of the options when it is a UUID (with or
/// without `urn:uuid:`), a name-based UUID of it otherwise, a random one
/// when there is none.
pub(super) fn document_uuid(serial: Option<&str>) -> uuid::Uuid {
    match serial.map(str::trim) {
        Some(s) => {
            let bare = s.strip_prefix("urn:uuid:").unwrap_or(s);
            uuid::Uuid::parse_str(bare)
                .unwrap_or_else(|_| uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, s.as_bytes()))
        }
        None => uuid::Uuid::new_v4(),
    }
}

/// Split an ecosystem-spelled name into CycloneDX `group` and `name`
/// (Maven groupId, npm scope, Composer vendor); others have no group.
pub(super) fn group_and_name<'a>(
    ecosystem: &Ecosystem,
    name: &'a str,
) -> (Option<&'a str>, &'a str) {
    let split = match ecosystem.kind {
        EcosystemKind::Maven => name.split_once(':'),
        EcosystemKind::Npm if name.starts_with('@') => name.split_once('/'),
        EcosystemKind::Packagist => name.split_once('/'),
        _ => None,
    };
    match split {
        Some((g, n)) if !g.is_empty() && !n.is_empty() => (Some(g), n),
        _ => (None, name),
    }
}

/// 64-bit FNV-1a: a hash that never changes between builds, for ids.
pub(super) fn stable_hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_values() {
        #[derive(serde::Deserialize)]
        struct T {
            #[serde(default)]
            a: LStr,
            #[serde(default)]
            b: LObj<Box<T>>,
            #[serde(default)]
            c: LList<LStr>,
        }
        let t: T =
            serde_json::from_str(r#"{"a": 12, "b": [1, {"x": 1}], "c": {"k": [1]}}"#).unwrap();
        assert_eq!(t.a.get(), Some("12"));
        assert!(t.b.0.is_none());
        assert!(t.c.0.is_empty());
        let t: T = serde_json::from_str(
            r#"{"a": {"x": "y"}, "b": {"a": "in"}, "c": ["x", null, 3, [2]]}"#,
        )
        .unwrap();
        assert_eq!(t.a.get(), None);
        assert_eq!(t.b.0.unwrap().a.get(), Some("in"));
        let c: Vec<Option<String>> = t.c.0.into_iter().map(|s| s.0).collect();
        assert_eq!(c, vec![Some("x".into()), None, Some("3".into()), None]);
    }

    #[test]
    fn value_lines_compact_and_pretty() {
        let t = "{\"bom-ref\": \"a\",\n \"x\": \"bom-ref\",\n \"purl\" :\n \"pkg:npm/%40s/b\\u0040\",\"k\":[\"purl\", \"purl\"], \"bom-ref\": 3}";
        let v = json_value_lines(t, &["bom-ref", "purl"]);
        assert_eq!(
            v,
            vec![
                (0, "a".to_string(), 1),
                (1, "pkg:npm/%40s/b@".to_string(), 4)
            ]
        );
        // Unterminated strings end the scan without panicking.
        assert!(json_value_lines("{\"purl\": \"abc", &["purl"]).is_empty());
        assert!(json_value_lines("\"\\", &["purl"]).is_empty());
    }

    #[test]
    fn checksums() {
        // sha512 of the empty string
        let sha512_b64 = "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==";
        let (alg, hex) = parse_checksum(sha512_b64).unwrap();
        assert_eq!(alg, HashAlg::Sha512);
        assert_eq!(hex.len(), 128);
        assert!(hex.starts_with("cf83e1357eefb8bdf1542850d66d8007"));
        let h = "a".repeat(64);
        assert_eq!(
            parse_checksum(&format!("sha256:{}", h.to_uppercase())),
            Some((HashAlg::Sha256, h.clone()))
        );
        assert_eq!(
            parse_checksum(&format!("SHA-256={h}")),
            Some((HashAlg::Sha256, h.clone()))
        );
        assert_eq!(
            parse_checksum(&format!("sha3-256:{h}")),
            Some((HashAlg::Sha3_256, h.clone()))
        );
        // sha1 SRI (npm v1 lockfiles)
        assert_eq!(
            parse_checksum("sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk="),
            Some((
                HashAlg::Sha1,
                "da39a3ee5e6b4b0d3255bfef95601890afd80709".to_string()
            ))
        );
        assert_eq!(parse_checksum("h1:abc="), None);
        assert_eq!(parse_checksum("sha256:abcd"), None);
        assert_eq!(parse_checksum("sha512-@@@"), None);
        assert_eq!(parse_checksum("sha512-"), None);
        assert_eq!(parse_checksum("é"), None);
        assert_eq!(base64_decode("QQ=="), Some(b"A".to_vec()));
        assert_eq!(base64_decode("QR=="), None);
        assert_eq!(base64_decode("Q"), None);
        assert_eq!(checksum_string("SHA-256", "ab"), Some("sha256:ab".into()));
        assert_eq!(checksum_string("X-1", " ab "), Some("x-1:ab".into()));
        assert_eq!(checksum_string("MD5", " "), None);
    }

    #[test]
    fn timestamps_and_uuids() {
        assert_eq!(
            normalized_timestamp("2024-05-06T07:08:09.123+02:00"),
            "2024-05-06T05:08:09Z"
        );
        assert_eq!(
            normalized_timestamp("2024-05-06T07:08:09Z"),
            "2024-05-06T07:08:09Z"
        );
        assert_eq!(normalized_timestamp("junk").len(), 20);
        let u = "3e671687-395b-41f5-a30f-a58921a69b79";
        assert_eq!(document_uuid(Some(u)).to_string(), u);
        assert_eq!(document_uuid(Some(&format!("urn:uuid:{u}"))).to_string(), u);
        assert_eq!(document_uuid(Some("x")), document_uuid(Some("x")));
        assert_ne!(document_uuid(None), document_uuid(None));
    }

    #[test]
    fn names_from_purls() {
        let e = Entry {
            name: "Django_Rest.framework".into(),
            purl: Some("pkg:pypi/django-rest-framework@3.0".into()),
            software: true,
            ..Entry::default()
        };
        let p = package_of(&e).unwrap();
        assert_eq!(p.name, "Django_Rest.framework");
        assert_eq!(p.purl, "pkg:pypi/django-rest-framework@3.0");
        let e = Entry {
            name: "core".into(),
            group: Some("@babel".into()),
            purl: Some("pkg:npm/%40babel/core@7.0.0".into()),
            software: true,
            ..Entry::default()
        };
        let p = package_of(&e).unwrap();
        assert_eq!(
            (p.name.as_str(), p.version.as_str()),
            ("@babel/core", "7.0.0")
        );
        let e = Entry {
            name: "something else".into(),
            purl: Some("pkg:maven/org.yaml/snakeyaml@2.2?type=jar".into()),
            software: true,
            ..Entry::default()
        };
        let p = package_of(&e).unwrap();
        assert_eq!(p.name, "org.yaml:snakeyaml");
        assert_eq!(p.purl, "pkg:maven/org.yaml/snakeyaml@2.2?type=jar");
        let e = Entry {
            name: "reedline".into(),
            purl: Some("pkg:cargo/reedline@0.49.0?vcs_url=git%2Bhttps://github.com/nushell/reedline%3Fbranch%3Dmain".into()),
            software: true,
            ..Entry::default()
        };
        let p = package_of(&e).unwrap();
        assert_eq!(
            (p.name.as_str(), p.version.as_str()),
            ("reedline", "0.49.0")
        );
        assert_eq!(p.id, e.purl.clone().unwrap());
        let e = Entry {
            name: "Django".into(),
            purl: Some("pkg:pypi/Django@5.0".into()),
            software: true,
            ..Entry::default()
        };
        let p = package_of(&e).unwrap();
        assert_eq!(
            (p.name.as_str(), p.purl.as_str()),
            ("Django", "pkg:pypi/django@5.0")
        );
        let e = Entry {
            purl: Some("pkg:rpm/redhat/openssl@3.0.7-24.el9?arch=x86_64".into()),
            software: true,
            ..Entry::default()
        };
        let p = package_of(&e).unwrap();
        assert_eq!(
            p.ecosystem,
            Ecosystem::new(EcosystemKind::Other("rpm".into()))
        );
        assert_eq!(p.purl, "pkg:rpm/redhat/openssl@3.0.7-24.el9?arch=x86_64");
        assert_eq!(p.id, p.purl);
        let e = Entry {
            name: "flask".into(),
            purl: Some("pkg:pypi/flask".into()),
            software: true,
            ..Entry::default()
        };
        let p = package_of(&e).unwrap();
        assert_eq!(p.version, "");
        assert!(matches!(p.resolution, Resolution::Requirement { .. }));
        assert!(
            package_of(&Entry {
                purl: Some("not a purl".into()),
                ..Entry::default()
            })
            .is_err()
        );
    }

    #[test]
    fn groups() {
        assert_eq!(
            group_and_name(&Ecosystem::MAVEN, "org.yaml:snakeyaml"),
            (Some("org.yaml"), "snakeyaml")
        );
        assert_eq!(
            group_and_name(&Ecosystem::NPM, "@babel/core"),
            (Some("@babel"), "core")
        );
        assert_eq!(
            group_and_name(&Ecosystem::NPM, "left-pad"),
            (None, "left-pad")
        );
        assert_eq!(
            group_and_name(&Ecosystem::GO, "github.com/a/b"),
            (None, "github.com/a/b")
        );
        assert_eq!(stable_hash("a"), 0xaf63dc4c8601ec8c);
    }
}
