//! SPDX 2.3 JSON in and out.
//!
//! Read: `packages[]` (a package is identified by its `purl` external
//! reference), `checksums`, the described packages (`documentDescribes`,
//! `DESCRIBES` / `DESCRIBED_BY`: the project's roots) and the dependency
//! relationships (edges; those from a root are the direct dependencies,
//! their type gives the scope).

use crate::fxhash::{HashMap, HashSet};

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
    Dep {
        forward: bool,
        scope: Scope,
    },
    /// A CONTAINS B (forward) / B CONTAINED_BY A: an edge between packages
    /// only (a root containing everything says nothing about direct use).
    Contains {
        forward: bool,
    },
    Describes {
        forward: bool,
    },
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
    p.external_refs
        .0
        .iter()
        .filter_map(|r| r.0.as_ref())
        .find_map(|r| {
            let cat = r
                .category
                .get()?
                .trim()
                .to_ascii_uppercase()
                .replace('_', "-");
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
    let mut lines: HashMap<String, u32> = HashMap::default();
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
        Resolution::Requirement { spec } => {
            parts.push(format!("not pinned; requirement: `{spec}`"))
        }
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
    let mut used: HashSet<String> = HashSet::default();
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

#[cfg(test)]
mod tests {
    use super::*;
    use patchloop_model::{Ecosystem, Package, Relation};

    fn line_of(text: &str, needle: &str) -> u32 {
        let at = text.find(needle).expect("needle in fixture");
        u32::try_from(text[..at].matches('\n').count() + 1).unwrap()
    }

    fn get<'a>(pkgs: &'a [Package], name: &str) -> &'a Package {
        pkgs.iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("{name} not found"))
    }

    fn pkg(id: &str, name: &str, version: &str, purl: Option<&str>) -> String {
        let refs = match purl {
            Some(p) => format!(
                r#", "externalRefs": [{{"referenceCategory": "SECURITY", "referenceType": "cpe23Type", "referenceLocator": "cpe:2.3:a:x:{name}:{version}:*:*:*:*:*:*:*"}}, {{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "{p}"}}]"#
            ),
            None => String::new(),
        };
        format!(
            r#"    {{"name": "{name}", "SPDXID": "{id}", "versionInfo": "{version}", "downloadLocation": "NOASSERTION"{refs}}}"#
        )
    }

    fn rel(a: &str, ty: &str, b: &str) -> String {
        format!(
            r#"    {{"spdxElementId": "{a}", "relationshipType": "{ty}", "relatedSpdxElement": "{b}"}}"#
        )
    }

    /// Shaped like a GitHub dependency-graph export: one described root
    /// package with a purl, every relationship type patchloop reads.
    fn github_like() -> String {
        let packages = [
            pkg("SPDXRef-root", "com.github.acme/shop", "main", Some("pkg:github/acme/shop@main")),
            pkg("SPDXRef-a", "express", "4.18.2", Some("pkg:npm/express@4.18.2")),
            pkg("SPDXRef-b", "jest", "29.7.0", Some("pkg:npm/jest@29.7.0")),
            pkg("SPDXRef-c", "typescript", "5.4.5", Some("pkg:npm/typescript@5.4.5")),
            pkg("SPDXRef-d", "fsevents", "2.3.3", Some("pkg:npm/fsevents@2.3.3")),
            pkg("SPDXRef-e", "body-parser", "1.20.1", Some("pkg:npm/body-parser@1.20.1")),
            pkg("SPDXRef-f", "qs", "6.11.0", Some("pkg:npm/qs@6.11.0")),
            pkg("SPDXRef-g", "Jinja2", "3.1.4", Some("pkg:pypi/jinja2@3.1.4")),
            pkg("SPDXRef-h", "left-pad", "1.3.0", Some("pkg:npm/left-pad@1.3.0")),
            pkg("SPDXRef-i", "internal-lib", "0.1", None),
            pkg("SPDXRef-dup", "express", "4.18.2", Some("pkg:npm/express@4.18.2")),
            r#"    {"name": "cfg.yaml", "SPDXID": "SPDXRef-file", "downloadLocation": "NOASSERTION", "primaryPackagePurpose": "FILE"}"#.to_string(),
            r#"    {"name": "openssl", "SPDXID": "SPDXRef-deb", "versionInfo": "3.0.11", "downloadLocation": "NOASSERTION", "checksums": [{"algorithm": "SHA256", "checksumValue": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}, {"algorithm": "SHA1", "checksumValue": "da39a3ee5e6b4b0d3255bfef95601890afd80709"}], "externalRefs": [{"referenceCategory": "PACKAGE_MANAGER", "referenceType": "purl", "referenceLocator": "pkg:deb/ubuntu/openssl@3.0.11?distro=ubuntu-22.04"}]}"#.to_string(),
        ];
        let rels = [
            rel("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-root"),
            rel("SPDXRef-root", "DEPENDS_ON", "SPDXRef-a"),
            rel("SPDXRef-b", "DEV_DEPENDENCY_OF", "SPDXRef-root"),
            rel("SPDXRef-c", "BUILD_DEPENDENCY_OF", "SPDXRef-root"),
            rel("SPDXRef-d", "OPTIONAL_DEPENDENCY_OF", "SPDXRef-root"),
            rel("SPDXRef-a", "DEPENDS_ON", "SPDXRef-e"),
            rel("SPDXRef-f", "DEPENDENCY_OF", "SPDXRef-dup"),
            rel("SPDXRef-a", "CONTAINS", "SPDXRef-g"),
            rel("SPDXRef-root", "CONTAINS", "SPDXRef-h"),
            rel("SPDXRef-b", "DEPENDS_ON", "SPDXRef-deb"),
            rel("SPDXRef-a", "DEPENDS_ON", "SPDXRef-missing"),
            rel("SPDXRef-a", "DEPENDS_ON", "NOASSERTION"),
            rel("SPDXRef-a", "DEPENDS_ON", "SPDXRef-file"),
            rel("SPDXRef-a", "GENERATED_FROM", "SPDXRef-h"),
        ];
        format!(
            "{{\n  \"spdxVersion\": \"SPDX-2.3\",\n  \"dataLicense\": \"CC0-1.0\",\n  \"SPDXID\": \"SPDXRef-DOCUMENT\",\n  \"name\": \"shop\",\n  \"documentNamespace\": \"https://example.com/shop\",\n  \"creationInfo\": {{\"created\": \"2024-01-01T00:00:00Z\", \"creators\": [\"Tool: x\"]}},\n  \"packages\": [\n{}\n  ],\n  \"relationships\": [\n{}\n  ]\n}}\n",
            packages.join(",\n"),
            rels.join(",\n")
        )
    }

    #[test]
    fn github_like_document() {
        let text = github_like();
        let parsed = parse_json(&Input::new("deps.spdx.json", &text)).unwrap();
        let s = &parsed.source;
        assert_eq!(s.format, "spdx-json");
        assert_eq!(s.format_version.as_deref(), Some("2.3"));
        assert_eq!(s.ecosystem, Ecosystem::NPM);
        assert_eq!(s.roots.len(), 1);
        assert_eq!(s.roots[0].name, "acme/shop");
        assert_eq!(s.roots[0].version, "main");
        assert_eq!(
            s.roots[0].dependencies,
            [
                "pkg:npm/express@4.18.2",
                "pkg:npm/fsevents@2.3.3",
                "pkg:npm/jest@29.7.0",
                "pkg:npm/typescript@5.4.5"
            ]
        );
        // 9 with a purl (express twice) + internal-lib; the FILE is skipped.
        assert_eq!(s.packages.len(), 10, "{:#?}", s.packages);
        let check = |name: &str, rel: Relation, scope: Scope| {
            let p = get(&s.packages, name);
            assert_eq!((p.relation, p.scope), (rel, scope), "{name}");
        };
        check("express", Relation::Direct, Scope::Runtime);
        check("jest", Relation::Direct, Scope::Dev);
        check("typescript", Relation::Direct, Scope::Build);
        check("fsevents", Relation::Direct, Scope::Optional);
        check("body-parser", Relation::Transitive, Scope::Runtime);
        check("qs", Relation::Transitive, Scope::Runtime);
        check("Jinja2", Relation::Transitive, Scope::Runtime);
        check("openssl", Relation::Transitive, Scope::Dev);
        check("left-pad", Relation::Unknown, Scope::Runtime);
        check("internal-lib", Relation::Unknown, Scope::Runtime);

        let express = get(&s.packages, "express");
        assert_eq!(
            express.dependencies,
            [
                "pkg:npm/body-parser@1.20.1",
                "pkg:npm/qs@6.11.0",
                "pkg:pypi/jinja2@3.1.4"
            ]
        );
        // Both copies recorded, each at the line of its SPDXID.
        let lines: Vec<Option<u32>> = express.locations.iter().map(|l| l.line).collect();
        assert_eq!(
            lines,
            [
                Some(line_of(&text, "\"SPDXRef-a\"")),
                Some(line_of(&text, "\"SPDXRef-dup\""))
            ]
        );
        assert_eq!(lines, [Some(10), Some(19)]);
        let openssl = get(&s.packages, "openssl");
        assert_eq!(openssl.ecosystem.to_string(), "Ubuntu:22.04");
        assert_eq!(
            openssl.purl,
            "pkg:deb/ubuntu/openssl@3.0.11?distro=ubuntu-22.04"
        );
        assert_eq!(
            openssl.checksums,
            [
                "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709"
            ]
        );
        let jinja = get(&s.packages, "Jinja2");
        assert_eq!(jinja.purl, "pkg:pypi/jinja2@3.1.4");
        let internal = get(&s.packages, "internal-lib");
        assert!(internal.ecosystem.is_unknown());
        let messages: Vec<&str> = parsed.warnings.iter().map(|w| w.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "1 entries that are not software packages (files, operating systems, devices, data...) and have no purl were skipped",
                "1 packages without a purl kept with ecosystem `generic` (they cannot be matched against advisories)",
                "1 dependency references name nothing read from this file"
            ]
        );
    }

    #[test]
    fn described_packages_with_purls_are_reported() {
        // Only the described package: it is what the document is about.
        let one = format!(
            "{{\"spdxVersion\": \"SPDX-2.3\", \"SPDXID\": \"SPDXRef-DOCUMENT\", \"documentDescribes\": [\"SPDXRef-x\"], \"packages\": [\n{}\n]}}",
            pkg(
                "SPDXRef-x",
                "lodash",
                "4.17.21",
                Some("pkg:npm/lodash@4.17.21")
            )
        );
        let parsed = parse_json(&Input::new("x.spdx.json", &one)).unwrap();
        assert!(parsed.source.roots.is_empty());
        assert_eq!(parsed.source.packages.len(), 1);
        assert_eq!(parsed.source.packages[0].relation, Relation::Direct);
        assert_eq!(parsed.source.packages[0].line(), Some(2));

        // Several described packages with purls, plus a described directory.
        let many = format!(
            "{{\"spdxVersion\": \"SPDX-2.2\", \"SPDXID\": \"SPDXRef-DOCUMENT\", \"packages\": [\n{},\n{},\n{},\n{}\n], \"relationships\": [{}, {}, {}, {}]}}",
            pkg("SPDXRef-dir", "/src", "", None),
            pkg(
                "SPDXRef-x",
                "lodash",
                "4.17.21",
                Some("pkg:npm/lodash@4.17.21")
            ),
            pkg("SPDXRef-y", "rails", "7.1.0", Some("pkg:gem/rails@7.1.0")),
            pkg("SPDXRef-z", "rack", "3.0.0", Some("pkg:gem/rack@3.0.0")),
            rel("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-dir"),
            rel("SPDXRef-x", "DESCRIBED_BY", "SPDXRef-DOCUMENT"),
            rel("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-y"),
            rel("SPDXRef-y", "DEPENDS_ON", "SPDXRef-z"),
        );
        let parsed = parse_json(&Input::new("x.spdx.json", &many)).unwrap();
        let s = &parsed.source;
        assert_eq!(s.format_version.as_deref(), Some("2.2"));
        assert_eq!(s.roots.len(), 1);
        assert_eq!(s.roots[0].name, "/src");
        assert_eq!(s.ecosystem, Ecosystem::RUBYGEMS);
        let rels: Vec<(&str, Relation)> = s
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.relation))
            .collect();
        assert_eq!(
            rels,
            [
                ("lodash", Relation::Direct),
                ("rack", Relation::Transitive),
                ("rails", Relation::Direct)
            ]
        );
    }

    #[test]
    fn errors_and_versions() {
        let e = parse_json(&Input::new(
            "x.spdx.json",
            r#"{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": []}"#,
        ))
        .unwrap_err();
        assert!(e.message.contains("SPDX 3"));
        let e =
            parse_json(&Input::new("x.spdx.json", r#"{"bomFormat": "CycloneDX"}"#)).unwrap_err();
        assert!(e.message.contains("not an SPDX JSON document"));
        let parsed = parse_json(&Input::new(
            "x.spdx.json",
            r#"{"spdxVersion": "SPDX-2.1", "packages": 5}"#,
        ))
        .unwrap();
        assert!(parsed.source.packages.is_empty());
        assert_eq!(parsed.warnings.len(), 1);
        let text = github_like();
        let e = parse_json(&Input::new("x.spdx.json", &text[..text.len() / 2])).unwrap_err();
        assert!(e.line.is_some());
        for end in (0..text.len()).step_by(5) {
            let _ = parse_json(&Input::new("x.spdx.json", &text[..end]));
        }
    }

    #[test]
    fn ids_are_safe_and_stable() {
        assert_eq!(
            sanitize("npm-@babel/core-7.0.0+ünï", 100),
            "npm-babel-core-7.0.0-n"
        );
        assert_eq!(sanitize("a/b/c", 3), "a-b");
        assert_eq!(sanitize("///", 10), "");
    }
}
