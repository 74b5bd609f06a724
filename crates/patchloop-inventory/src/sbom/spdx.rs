//! SPDX 2.3 JSON in and out.
//!
//! Read: `packages[]` (a package is identified by its `purl` external
//! reference), `checksums`, the described packages (`documentDescribes`,
//! `DESCRIBES` / `DESCRIBED_BY`: the project's roots) and the dependency
//! relationships (edges; those from a root are the direct dependencies,
//! their type gives the scope).

use std::collections::{HashMap, HashSet};

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use patchloop_model::{Inventory, Resolution, Scope};

use super::WriteOptions;
use super::common::{
    Edge, Entry, ExportPackage, Graph, LList, LObj, LStr, build, checksum_string, document_uuid,
    json_value_lines, merge_inventory, normalized_timestamp, stable_hash,
};
use crate::error::ParseError;
use crate::input::{Input, ParseResult};

const DOCUMENT_ID: &str = "SPDXRef-DOCUMENT";
const ROOT_ID: &str = "SPDXRef-Root";

#[derive(Deserialize, Default)]
#[serde(default)]
struct JDoc {
    #[serde(rename = "spdxVersion")]
    spdx_version: LStr,
    #[serde(rename = "SPDXID")]
    spdx_id: LStr,
    #[serde(rename = "documentDescribes")]
    document_describes: LList<LStr>,
    packages: LList<LObj<JPackage>>,
    relationships: LList<LObj<JRelationship>>,
    #[serde(rename = "@context")]
    context: Option<IgnoredAny>,
    #[serde(rename = "@graph")]
    graph: Option<IgnoredAny>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JPackage {
    #[serde(rename = "SPDXID")]
    spdx_id: LStr,
    name: LStr,
    #[serde(rename = "versionInfo")]
    version_info: LStr,
    #[serde(rename = "externalRefs")]
    external_refs: LList<LObj<JExternalRef>>,
    checksums: LList<LObj<JChecksum>>,
    #[serde(rename = "primaryPackagePurpose")]
    purpose: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JExternalRef {
    #[serde(rename = "referenceCategory")]
    category: LStr,
    #[serde(rename = "referenceType")]
    ty: LStr,
    #[serde(rename = "referenceLocator")]
    locator: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JChecksum {
    algorithm: LStr,
    #[serde(rename = "checksumValue")]
    value: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JRelationship {
    #[serde(rename = "spdxElementId")]
    element: LStr,
    #[serde(rename = "relatedSpdxElement")]
    related: LStr,
    #[serde(rename = "relationshipType")]
    ty: LStr,
}

/// Package purposes that are not software packages: without a purl they
/// are skipped rather than reported as `generic` packages.
fn is_software_purpose(p: Option<&str>) -> bool {
    !matches!(
        p.map(|s| s.trim().to_ascii_uppercase()).as_deref(),
        Some("FILE" | "OPERATING-SYSTEM" | "CONTAINER" | "DEVICE" | "FIRMWARE")
    )
}

/// What a relationship means for the graph.
enum Rel {
    /// `(from depends on to, scope)` where from/to are element / related
    /// (`forward`) or the other way round.
    Dep { forward: bool, scope: Scope },
    /// A CONTAINS B (forward) / B CONTAINED_BY A: an edge between packages
    /// only (a root containing everything says nothing about direct use).
    Contains { forward: bool },
    Describes { forward: bool },
    Other,
}

fn relationship(ty: &str) -> Rel {
    match ty.trim().to_ascii_uppercase().as_str() {
        "DEPENDS_ON" => Rel::Dep {
            forward: true,
            scope: Scope::Runtime,
        },
        "DEPENDENCY_OF" | "RUNTIME_DEPENDENCY_OF" => Rel::Dep {
            forward: false,
            scope: Scope::Runtime,
        },
        "DEV_DEPENDENCY_OF" | "TEST_DEPENDENCY_OF" | "DEV_TOOL_OF" | "TEST_TOOL_OF" => Rel::Dep {
            forward: false,
            scope: Scope::Dev,
        },
        "BUILD_DEPENDENCY_OF" | "PROVIDED_DEPENDENCY_OF" | "BUILD_TOOL_OF" => Rel::Dep {
            forward: false,
            scope: Scope::Build,
        },
        "OPTIONAL_DEPENDENCY_OF" => Rel::Dep {
            forward: false,
            scope: Scope::Optional,
        },
        "CONTAINS" => Rel::Contains { forward: true },
        "CONTAINED_BY" => Rel::Contains { forward: false },
        "DESCRIBES" => Rel::Describes { forward: true },
        "DESCRIBED_BY" => Rel::Describes { forward: false },
        _ => Rel::Other,
    }
}

fn purl_of(p: &JPackage) -> Option<String> {
    p.external_refs.0.iter().filter_map(|r| r.0.as_ref()).find_map(|r| {
        let cat = r.category.get()?.trim().to_ascii_uppercase().replace('_', "-");
        let ty = r.ty.get()?.trim();
        (cat == "PACKAGE-MANAGER" && ty.eq_ignore_ascii_case("purl"))
            .then(|| r.locator.non_empty().map(str::to_string))
            .flatten()
    })
}

/// Read an SPDX 2.x JSON document (2.2 and 2.3; SPDX 3 JSON-LD is refused).
pub fn parse_json(input: &Input) -> ParseResult {
    let doc: JDoc = serde_json::from_str(input.text).map_err(|e| ParseError::json(&e))?;
    if doc.context.is_some() || doc.graph.is_some() {
        return Err(ParseError::new(
            "SPDX 3 (JSON-LD) documents are not supported; SPDX 2.2/2.3 JSON is",
        ));
    }
    let version = match doc.spdx_version.non_empty() {
        Some(v) if v.starts_with("SPDX-") => v.trim_start_matches("SPDX-").to_string(),
        _ => {
            return Err(ParseError::new(
                "not an SPDX JSON document: no `spdxVersion: \"SPDX-2.x\"`",
            ));
        }
    };
    let doc_id = doc.spdx_id.non_empty().unwrap_or(DOCUMENT_ID).to_string();
    let mut lines: HashMap<String, u32> = HashMap::new();
    for (_, v, line) in json_value_lines(input.text, &["SPDXID"]) {
        lines.entry(v).or_insert(line);
    }

    let mut described: HashSet<String> = doc
        .document_describes
        .0
        .iter()
        .filter_map(|s| s.non_empty().map(str::to_string))
        .collect();
    let rels: Vec<(String, String, Rel)> = doc
        .relationships
        .0
        .into_iter()
        .filter_map(|r| r.0)
        .filter_map(|r| {
            let rel = relationship(r.ty.get()?);
            Some((
                r.element.non_empty()?.to_string(),
                r.related.non_empty()?.to_string(),
                rel,
            ))
        })
        .collect();
    for (a, b, rel) in &rels {
        match rel {
            Rel::Describes { forward: true } if *a == doc_id => {
                described.insert(b.clone());
            }
            Rel::Describes { forward: false } if *b == doc_id => {
                described.insert(a.clone());
            }
            _ => {}
        }
    }

    let packages: Vec<JPackage> = doc.packages.0.into_iter().filter_map(|p| p.0).collect();
    let entries: Vec<(bool, Entry)> = packages
        .iter()
        .map(|p| {
            let id = p.spdx_id.non_empty().map(str::to_string);
            let is_described = id.as_ref().is_some_and(|i| described.contains(i));
            let checksums = p
                .checksums
                .0
                .iter()
                .filter_map(|c| c.0.as_ref())
                .filter_map(|c| checksum_string(c.algorithm.get()?, c.value.get()?))
                .collect();
            let entry = Entry {
                line: id.as_ref().and_then(|i| lines.get(i).copied()),
                reference: id,
                name: p.name.non_empty().unwrap_or_default().to_string(),
                group: None,
                version: p
                    .version_info
                    .non_empty()
                    .filter(|v| *v != "NOASSERTION")
                    .unwrap_or_default()
                    .to_string(),
                purl: purl_of(p),
                software: is_software_purpose(p.purpose.get()),
                scope: None,
                checksums,
                ecosystem_hint: None,
                resolution_hint: None,
            };
            (is_described, entry)
        })
        .collect();

    let described_count = entries.iter().filter(|(d, _)| *d).count();
    let others_with_purl = entries.iter().any(|(d, e)| !*d && e.purl.is_some());
    let mut graph = Graph::default();
    for (is_described, e) in entries {
        if !is_described {
            graph.entries.push(e);
        } else if e.purl.is_none() || (described_count == 1 && others_with_purl) {
            graph.roots.push(e);
        } else {
            // The document is about packages with purls: report them, direct.
            if let Some(r) = e.reference.clone() {
                graph.direct_refs.push(r);
            }
            graph.entries.push(e);
        }
    }
    let root_ids: HashSet<String> = graph
        .roots
        .iter()
        .filter_map(|r| r.reference.clone())
        .collect();
    for (a, b, rel) in rels {
        if is_none_ref(&a) || is_none_ref(&b) {
            continue;
        }
        let (from, to, scope) = match rel {
            Rel::Dep { forward, scope } => {
                if forward {
                    (a, b, scope)
                } else {
                    (b, a, scope)
                }
            }
            Rel::Contains { forward } => {
                let (from, to) = if forward { (a, b) } else { (b, a) };
                if root_ids.contains(&from) || from == doc_id {
                    continue;
                }
                (from, to, Scope::Runtime)
            }
            Rel::Describes { .. } | Rel::Other => continue,
        };
        graph.edges.push(Edge { from, to, scope });
    }
    let mut parsed = build(input, "spdx-json", Some(version.clone()), graph);
    if version != "2.3" && version != "2.2" {
        parsed.warn(
            Some(1),
            format!("SPDX {version} is not one of the versions read (2.2, 2.3); read as 2.3"),
        );
    }
    Ok(parsed)
}

fn is_none_ref(s: &str) -> bool {
    s == "NONE" || s == "NOASSERTION"
}

// ---------------------------------------------------------------------------
// Writer

#[derive(Serialize)]
struct ODoc<'a> {
    #[serde(rename = "spdxVersion")]
    spdx_version: &'static str,
    #[serde(rename = "dataLicense")]
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: &'a str,
    #[serde(rename = "documentNamespace")]
    document_namespace: String,
    #[serde(rename = "creationInfo")]
    creation_info: OCreationInfo,
    packages: Vec<OPackage<'a>>,
    relationships: Vec<ORelationship<'a>>,
}

#[derive(Serialize)]
struct OCreationInfo {
    created: String,
    creators: Vec<String>,
}

#[derive(Serialize)]
struct OPackage<'a> {
    name: &'a str,
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    #[serde(rename = "versionInfo", skip_serializing_if = "Option::is_none")]
    version_info: Option<&'a str>,
    #[serde(rename = "downloadLocation")]
    download_location: &'static str,
    #[serde(rename = "filesAnalyzed")]
    files_analyzed: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    checksums: Vec<OChecksum>,
    #[serde(rename = "sourceInfo", skip_serializing_if = "Option::is_none")]
    source_info: Option<String>,
    #[serde(rename = "licenseConcluded")]
    license_concluded: &'static str,
    #[serde(rename = "licenseDeclared")]
    license_declared: &'static str,
    #[serde(rename = "copyrightText")]
    copyright_text: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(rename = "externalRefs", skip_serializing_if = "Vec::is_empty")]
    external_refs: Vec<OExternalRef<'a>>,
    #[serde(rename = "primaryPackagePurpose")]
    purpose: &'static str,
}

#[derive(Serialize)]
struct OChecksum {
    algorithm: &'static str,
    #[serde(rename = "checksumValue")]
    value: String,
}

#[derive(Serialize)]
struct OExternalRef<'a> {
    #[serde(rename = "referenceCategory")]
    category: &'static str,
    #[serde(rename = "referenceType")]
    ty: &'static str,
    #[serde(rename = "referenceLocator")]
    locator: &'a str,
}

#[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
struct ORelationship<'a> {
    #[serde(rename = "spdxElementId")]
    element: &'a str,
    #[serde(rename = "relationshipType")]
    ty: &'static str,
    #[serde(rename = "relatedSpdxElement")]
    related: &'a str,
}

/// Characters SPDXIDs allow are `[A-Za-z0-9.-]`; everything else becomes
/// `-` (runs collapsed), at most `max` characters.
fn sanitize(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max));
    for c in s.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
            c
        } else {
            '-'
        };
        if c == '-' && out.ends_with('-') {
            continue;
        }
        out.push(c);
        if out.len() >= max {
            break;
        }
    }
    out.trim_matches('-').to_string()
}

/// A stable SPDXID for a package: its purl type, name and version made
/// SPDXID-safe, plus a hash of the purl that keeps distinct purls distinct
/// after the characters were replaced.
fn package_spdx_id(p: &ExportPackage) -> String {
    let base = sanitize(
        &format!("{}-{}-{}", p.ecosystem.purl_type(), p.name, p.version),
        100,
    );
    // Truncation to 32 bits is intended: a short, stable suffix.
    let h = stable_hash(p.purl) as u32;
    format!("SPDXRef-Package-{base}-{h:08x}")
}

fn comment_of(p: &ExportPackage) -> Option<String> {
    let mut parts = Vec::new();
    if p.scope != Scope::Runtime {
        parts.push(format!("scope: {}", p.scope.as_str()));
    }
    match p.resolution {
        Resolution::Exact => {}
        Resolution::Requirement { spec } => parts.push(format!("not pinned; requirement: `{spec}`")),
        Resolution::Url { url } => parts.push(format!("installed from URL {url}")),
        Resolution::Vcs { url, rev } => match rev {
            Some(r) => parts.push(format!("installed from VCS {url} at {r}")),
            None => parts.push(format!("installed from VCS {url}")),
        },
        Resolution::Path { path } => parts.push(format!("local path {path}")),
    }
    (!parts.is_empty()).then(|| format!("patchloop: {}", parts.join("; ")))
}

fn source_info_of(p: &ExportPackage) -> Option<String> {
    if p.locations.is_empty() {
        return None;
    }
    let list: Vec<String> = p
        .locations
        .iter()
        .map(|l| match l.line {
            Some(n) => format!("{}:{n}", l.path),
            None => l.path.clone(),
        })
        .collect();
    Some(format!("declared in {}", list.join(", ")))
}

/// Write the inventory as an SPDX 2.3 JSON document: one package per
/// distinct purl (purl external reference, checksums, locations in
/// `sourceInfo`), a root package named `opts.name` that the document
/// DESCRIBES, its direct dependencies (`DEPENDS_ON`, or `DEV_/BUILD_/
/// OPTIONAL_DEPENDENCY_OF` by scope) and `DEPENDS_ON` between packages.
/// Sorted; the same inventory and options give the same bytes.
pub fn write_json(inv: &Inventory, opts: &WriteOptions) -> String {
    let merged = merge_inventory(inv);
    let name = if opts.name.trim().is_empty() {
        "project"
    } else {
        opts.name.as_str()
    };
    let uuid = document_uuid(opts.serial.as_deref());
    let mut used: HashSet<String> = HashSet::new();
    used.insert(ROOT_ID.to_string());
    used.insert(DOCUMENT_ID.to_string());
    let mut ids: Vec<String> = Vec::with_capacity(merged.len());
    for p in &merged {
        let base = package_spdx_id(p);
        let mut id = base.clone();
        let mut n = 2;
        while used.contains(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        used.insert(id.clone());
        ids.push(id);
    }
    let id_of: HashMap<&str, &str> = merged
        .iter()
        .zip(&ids)
        .map(|(p, id)| (p.purl, id.as_str()))
        .collect();

    let mut packages = Vec::with_capacity(merged.len() + 1);
    packages.push(OPackage {
        name,
        spdx_id: ROOT_ID.to_string(),
        version_info: None,
        download_location: "NOASSERTION",
        files_analyzed: false,
        checksums: Vec::new(),
        source_info: None,
        license_concluded: "NOASSERTION",
        license_declared: "NOASSERTION",
        copyright_text: "NOASSERTION",
        comment: None,
        external_refs: Vec::new(),
        purpose: "APPLICATION",
    });
    let mut relationships = Vec::new();
    for (p, id) in merged.iter().zip(&ids) {
        let checksums = p
            .hashes
            .iter()
            .filter_map(|(alg, hex)| {
                Some(OChecksum {
                    algorithm: alg.spdx()?,
                    value: hex.clone(),
                })
            })
            .collect();
        packages.push(OPackage {
            name: p.name,
            spdx_id: id.clone(),
            version_info: (!p.version.is_empty()).then_some(p.version),
            download_location: "NOASSERTION",
            files_analyzed: false,
            checksums,
            source_info: source_info_of(p),
            license_concluded: "NOASSERTION",
            license_declared: "NOASSERTION",
            copyright_text: "NOASSERTION",
            comment: comment_of(p),
            external_refs: vec![OExternalRef {
                category: "PACKAGE-MANAGER",
                ty: "purl",
                locator: p.purl,
            }],
            purpose: "LIBRARY",
        });
        if p.direct {
            relationships.push(match p.scope {
                Scope::Runtime => ORelationship {
                    element: ROOT_ID,
                    ty: "DEPENDS_ON",
                    related: id,
                },
                Scope::Optional => ORelationship {
                    element: id,
                    ty: "OPTIONAL_DEPENDENCY_OF",
                    related: ROOT_ID,
                },
                Scope::Build => ORelationship {
                    element: id,
                    ty: "BUILD_DEPENDENCY_OF",
                    related: ROOT_ID,
                },
                Scope::Dev => ORelationship {
                    element: id,
                    ty: "DEV_DEPENDENCY_OF",
                    related: ROOT_ID,
                },
            });
        }
        for d in &p.dependencies {
            if let Some(to) = id_of.get(d) {
                relationships.push(ORelationship {
                    element: id,
                    ty: "DEPENDS_ON",
                    related: to,
                });
            }
        }
    }
    relationships.sort();
    relationships.insert(
        0,
        ORelationship {
            element: DOCUMENT_ID,
            ty: "DESCRIBES",
            related: ROOT_ID,
        },
    );
    let mut creators = vec![if opts.tool_version.is_empty() {
        "Tool: patchloop".to_string()
    } else {
        format!("Tool: patchloop-{}", opts.tool_version)
    }];
    creators.sort();
    let doc = ODoc {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: DOCUMENT_ID,
        name,
        document_namespace: format!(
            "https://patchloop.invalid/spdxdocs/{}-{uuid}",
            sanitize(name, 64)
        ),
        creation_info: OCreationInfo {
            created: normalized_timestamp(&opts.timestamp),
            creators,
        },
        packages,
        relationships,
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
