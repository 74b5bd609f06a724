//! CycloneDX: JSON 1.4–1.6 and XML in, 1.6 JSON out.
//!
//! Read: `metadata.component` (the project: a root), `components[]` with
//! their nested `components` (packages, from their `purl`), `scope`,
//! `hashes`, patchloop's own `properties`, and `dependencies[]` (edges; the
//! root's `dependsOn` are the direct dependencies).

use crate::fxhash::HashMap;
use std::collections::VecDeque;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use serde::{Deserialize, Serialize};

use patchloop_model::{Ecosystem, Inventory, Resolution, Scope};

use super::WriteOptions;
use super::common::{
    Edge, Entry, Graph, LList, LObj, LStr, build, checksum_string, document_uuid, group_and_name,
    json_value_lines, merge_inventory, normalized_timestamp,
};
use crate::error::ParseError;
use crate::input::{Input, ParseResult};

/// Deepest nesting of `components` followed; deeper ones are skipped.
const MAX_COMPONENT_DEPTH: usize = 32;
/// Deepest XML element nesting accepted.
const MAX_XML_DEPTH: usize = 256;

const PROP_SCOPE: &str = "patchloop:scope";
const PROP_ECOSYSTEM: &str = "patchloop:ecosystem";
const PROP_RESOLUTION: &str = "patchloop:resolution";
const PROP_REQUIREMENT: &str = "patchloop:requirement";
const PROP_URL: &str = "patchloop:url";
const PROP_REV: &str = "patchloop:rev";
const PROP_PATH: &str = "patchloop:path";

/// Component types that are not software packages: without a purl they
/// are skipped rather than reported as `generic` packages.
fn is_software_type(t: Option<&str>) -> bool {
    !matches!(
        t.map(str::trim),
        Some(
            "file"
                | "container"
                | "platform"
                | "operating-system"
                | "device"
                | "device-driver"
                | "firmware"
                | "machine-learning-model"
                | "data"
                | "cryptographic-asset"
        )
    )
}

fn scope_of(cdx_scope: Option<&str>) -> Option<Scope> {
    match cdx_scope.map(str::trim) {
        Some("required") => Some(Scope::Runtime),
        Some("optional") => Some(Scope::Optional),
        Some("excluded") => Some(Scope::Dev),
        _ => None,
    }
}

/// Component fields shared by the JSON and XML readers.
#[derive(Debug, Default)]
struct Fields {
    bom_ref: Option<String>,
    ctype: Option<String>,
    group: Option<String>,
    name: Option<String>,
    version: Option<String>,
    purl: Option<String>,
    scope: Option<String>,
    checksums: Vec<String>,
    properties: Vec<(String, String)>,
    line: Option<u32>,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

impl Fields {
    fn prop(&self, name: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn into_entry(self) -> Entry {
        let mut scope = scope_of(self.scope.as_deref());
        let prop_scope = match self.prop(PROP_SCOPE) {
            Some("runtime") => Some(Scope::Runtime),
            Some("optional") => Some(Scope::Optional),
            Some("build") => Some(Scope::Build),
            Some("dev") => Some(Scope::Dev),
            _ => None,
        };
        if prop_scope.is_some() {
            scope = prop_scope;
        }
        let ecosystem_hint = self.prop(PROP_ECOSYSTEM).map(Ecosystem::parse);
        let text = |n: &str| self.prop(n).unwrap_or_default().to_string();
        let resolution_hint = match self.prop(PROP_RESOLUTION) {
            Some("exact") => Some(Resolution::Exact),
            Some("requirement") => Some(Resolution::Requirement {
                spec: text(PROP_REQUIREMENT),
            }),
            Some("url") => Some(Resolution::Url {
                url: text(PROP_URL),
            }),
            Some("vcs") => Some(Resolution::Vcs {
                url: text(PROP_URL),
                rev: self.prop(PROP_REV).map(str::to_string),
            }),
            Some("path") => Some(Resolution::Path {
                path: text(PROP_PATH),
            }),
            _ => None,
        };
        Entry {
            reference: non_empty(self.bom_ref),
            name: self.name.map(|s| s.trim().to_string()).unwrap_or_default(),
            group: non_empty(self.group),
            version: self
                .version
                .map(|s| s.trim().to_string())
                .unwrap_or_default(),
            purl: non_empty(self.purl),
            software: is_software_type(self.ctype.as_deref()),
            scope,
            checksums: self.checksums,
            ecosystem_hint,
            resolution_hint,
            line: self.line,
        }
    }
}

// ---------------------------------------------------------------------------
// JSON

#[derive(Deserialize, Default)]
#[serde(default)]
struct JBom {
    #[serde(rename = "bomFormat")]
    bom_format: LStr,
    #[serde(rename = "specVersion")]
    spec_version: LStr,
    metadata: LObj<JMeta>,
    components: LList<LObj<JComp>>,
    dependencies: LList<LObj<JDep>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JMeta {
    component: LObj<JComp>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JComp {
    #[serde(rename = "bom-ref")]
    bom_ref: LStr,
    #[serde(rename = "type")]
    ctype: LStr,
    group: LStr,
    name: LStr,
    version: LStr,
    purl: LStr,
    scope: LStr,
    hashes: LList<LObj<JHash>>,
    properties: LList<LObj<JProp>>,
    components: LList<LObj<JComp>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JHash {
    alg: LStr,
    content: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JProp {
    name: LStr,
    value: LStr,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JDep {
    #[serde(rename = "ref")]
    reference: LStr,
    #[serde(rename = "dependsOn")]
    depends_on: LList<LStr>,
}

/// Lines of components in the JSON text: by `bom-ref` value, else by the
/// next unused occurrence of its `purl` value.
struct JsonLines {
    by_ref: HashMap<String, u32>,
    by_purl: HashMap<String, VecDeque<u32>>,
}

impl JsonLines {
    fn new(text: &str) -> Self {
        let mut by_ref = HashMap::default();
        let mut by_purl: HashMap<String, VecDeque<u32>> = HashMap::default();
        for (k, v, line) in json_value_lines(text, &["bom-ref", "purl"]) {
            if k == 0 {
                by_ref.entry(v).or_insert(line);
            } else {
                by_purl.entry(v).or_default().push_back(line);
            }
        }
        JsonLines { by_ref, by_purl }
    }

    fn line(&mut self, bom_ref: Option<&str>, purl: Option<&str>) -> Option<u32> {
        let from_purl = purl.and_then(|p| self.by_purl.get_mut(p).and_then(VecDeque::pop_front));
        bom_ref
            .and_then(|r| self.by_ref.get(r).copied())
            .or(from_purl)
    }
}

fn json_fields(c: JComp, lines: &mut JsonLines) -> (Fields, Vec<LObj<JComp>>) {
    let line = lines.line(c.bom_ref.get(), c.purl.get());
    let mut checksums = Vec::new();
    for h in c.hashes.0.into_iter().filter_map(|h| h.0) {
        if let (Some(alg), Some(content)) = (h.alg.get(), h.content.get())
            && let Some(s) = checksum_string(alg, content)
        {
            checksums.push(s);
        }
    }
    let properties = c
        .properties
        .0
        .into_iter()
        .filter_map(|p| p.0)
        .filter_map(|p| Some((p.name.0?, p.value.0.unwrap_or_default())))
        .collect();
    (
        Fields {
            bom_ref: c.bom_ref.0,
            ctype: c.ctype.0,
            group: c.group.0,
            name: c.name.0,
            version: c.version.0,
            purl: c.purl.0,
            scope: c.scope.0,
            checksums,
            properties,
            line,
        },
        c.components.0,
    )
}

/// Read a CycloneDX JSON BOM (1.4–1.6; other 1.x versions are read the
/// same way with a warning).
pub fn parse_json(input: &Input) -> ParseResult {
    let bom: JBom = serde_json::from_str(input.text).map_err(|e| ParseError::json(&e))?;
    match bom.bom_format.get() {
        Some("CycloneDX") => {}
        Some(other) => {
            return Err(ParseError::new(format!(
                "not a CycloneDX BOM: bomFormat is `{other}`"
            )));
        }
        None => {
            return Err(ParseError::new(
                "not a CycloneDX BOM: no `bomFormat: \"CycloneDX\"`",
            ));
        }
    }
    let spec_version = bom.spec_version.non_empty().map(str::to_string);
    let mut lines = JsonLines::new(input.text);
    let mut graph = Graph::default();
    let mut too_deep = 0usize;
    if let Some(meta) = bom.metadata.0
        && let Some(c) = meta.component.0
    {
        let (f, _) = json_fields(c, &mut lines);
        graph.roots.push(f.into_entry());
    }
    // Pre-order walk (document order, so purl lines line up), iterative.
    let mut stack: Vec<(std::vec::IntoIter<LObj<JComp>>, usize)> =
        vec![(bom.components.0.into_iter(), 0)];
    while let Some((iter, depth)) = stack.last_mut() {
        let depth = *depth;
        let Some(next) = iter.next() else {
            stack.pop();
            continue;
        };
        let Some(c) = next.0 else {
            continue;
        };
        let (f, children) = json_fields(c, &mut lines);
        graph.entries.push(f.into_entry());
        if !children.is_empty() {
            if depth + 1 >= MAX_COMPONENT_DEPTH {
                too_deep += children.len();
            } else {
                stack.push((children.into_iter(), depth + 1));
            }
        }
    }
    for d in bom.dependencies.0.into_iter().filter_map(|d| d.0) {
        let Some(from) = d.reference.non_empty().map(str::to_string) else {
            continue;
        };
        for to in d.depends_on.0 {
            if let Some(to) = to.non_empty() {
                graph.edges.push(Edge {
                    from: from.clone(),
                    to: to.to_string(),
                    scope: Scope::Runtime,
                });
            }
        }
    }
    let mut parsed = build(input, "cyclonedx-json", spec_version.clone(), graph);
    warn_version(&mut parsed, spec_version.as_deref());
    if too_deep > 0 {
        parsed.warn(
            None,
            format!("components nested deeper than {MAX_COMPONENT_DEPTH} levels skipped"),
        );
    }
    Ok(parsed)
}

fn warn_version(parsed: &mut crate::input::Parsed, v: Option<&str>) {
    match v {
        Some("1.4" | "1.5" | "1.6") => {}
        Some(v) => parsed.warn(
            Some(1),
            format!("CycloneDX {v} is not one of the versions read (1.4–1.6); read as 1.6"),
        ),
        None => parsed.warn(Some(1), "no specVersion; read as CycloneDX 1.6"),
    }
}

// ---------------------------------------------------------------------------
// XML

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Package,
    Root,
    Ignored,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldName {
    Group,
    Name,
    Version,
    Purl,
    Scope,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Bom,
    Metadata,
    Components,
    Component(Kind),
    Dependencies,
    Dependency,
    Hashes,
    Hash,
    Properties,
    Property,
    Field(FieldName),
    Other,
}

struct XmlState<'a> {
    text: &'a str,
    bom_ns: Option<Vec<u8>>,
    done: bool,
    stack: Vec<Tag>,
    comps: Vec<(Kind, Fields)>,
    text_buf: Option<String>,
    /// `alg` of the open hash / `name` of the open property.
    attr: Option<String>,
    dep: Option<(String, Vec<String>)>,
    graph: Graph,
    too_deep: usize,
}

fn attr(e: &BytesStart, name: &str, text: &str, pos: usize) -> Result<Option<String>, ParseError> {
    match e.try_get_attribute(name) {
        Ok(Some(a)) => a
            .unescape_value()
            .map(|v| Some(v.into_owned()))
            .map_err(|err| ParseError::xml(err, text, pos)),
        Ok(None) => Ok(None),
        Err(err) => Err(ParseError::xml(err, text, pos)),
    }
}

impl<'a> XmlState<'a> {
    fn parent(&self) -> Option<Tag> {
        self.stack.last().copied()
    }

    fn owner_kind(&self) -> Option<Kind> {
        self.comps.last().map(|(k, _)| *k)
    }

    fn start(
        &mut self,
        ns: &ResolveResult,
        e: &BytesStart,
        pos: usize,
        line: u32,
    ) -> Result<(), ParseError> {
        let local = e.local_name();
        let local = std::str::from_utf8(local.as_ref()).unwrap_or("");
        if self.stack.len() >= MAX_XML_DEPTH {
            return Err(ParseError::at(
                line,
                format!("XML nested deeper than {MAX_XML_DEPTH} elements"),
            ));
        }
        if self.stack.is_empty() {
            if self.done {
                return Err(ParseError::at(line, "content after the root element"));
            }
            let nsv = match ns {
                ResolveResult::Bound(n) => n.as_ref().to_vec(),
                _ => Vec::new(),
            };
            let ok = local == "bom" && nsv.starts_with(b"http://cyclonedx.org/schema/bom/");
            if !ok {
                return Err(ParseError::at(
                    line,
                    format!(
                        "not a CycloneDX XML BOM: root element is <{local}> in namespace `{}`",
                        String::from_utf8_lossy(&nsv)
                    ),
                ));
            }
            self.bom_ns = Some(nsv);
            self.stack.push(Tag::Bom);
            return Ok(());
        }
        let in_ns =
            matches!(ns, ResolveResult::Bound(n) if Some(n.as_ref()) == self.bom_ns.as_deref());
        let parent = self.parent().unwrap_or(Tag::Other);
        let tag = if !in_ns {
            Tag::Other
        } else {
            match (parent, local) {
                (Tag::Bom, "metadata") => Tag::Metadata,
                (Tag::Bom | Tag::Component(_), "components") => Tag::Components,
                (Tag::Components, "component") => {
                    let grand = self
                        .stack
                        .len()
                        .checked_sub(2)
                        .and_then(|i| self.stack.get(i).copied());
                    match grand {
                        Some(Tag::Bom | Tag::Component(Kind::Package)) => {
                            Tag::Component(Kind::Package)
                        }
                        _ => Tag::Component(Kind::Ignored),
                    }
                }
                (Tag::Metadata, "component") => Tag::Component(Kind::Root),
                (Tag::Bom, "dependencies") => Tag::Dependencies,
                (Tag::Dependencies | Tag::Dependency, "dependency") => Tag::Dependency,
                (Tag::Component(_), "hashes") => Tag::Hashes,
                (Tag::Hashes, "hash") => Tag::Hash,
                (Tag::Component(_), "properties") => Tag::Properties,
                (Tag::Properties, "property") => Tag::Property,
                (Tag::Component(_), "group") => Tag::Field(FieldName::Group),
                (Tag::Component(_), "name") => Tag::Field(FieldName::Name),
                (Tag::Component(_), "version") => Tag::Field(FieldName::Version),
                (Tag::Component(_), "purl") => Tag::Field(FieldName::Purl),
                (Tag::Component(_), "scope") => Tag::Field(FieldName::Scope),
                _ => Tag::Other,
            }
        };
        match tag {
            Tag::Component(kind) => {
                let nested_too_deep = kind == Kind::Package
                    && self
                        .comps
                        .iter()
                        .filter(|(k, _)| *k == Kind::Package)
                        .count()
                        >= MAX_COMPONENT_DEPTH;
                let kind = if nested_too_deep {
                    self.too_deep += 1;
                    Kind::Ignored
                } else {
                    kind
                };
                let fields = if kind == Kind::Ignored {
                    Fields::default()
                } else {
                    Fields {
                        bom_ref: attr(e, "bom-ref", self.text, pos)?,
                        ctype: attr(e, "type", self.text, pos)?,
                        line: Some(line),
                        ..Fields::default()
                    }
                };
                self.comps.push((kind, fields));
                self.stack.push(Tag::Component(kind));
                return Ok(());
            }
            Tag::Dependency => {
                let r = attr(e, "ref", self.text, pos)?
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty());
                if parent == Tag::Dependencies {
                    self.dep = r.map(|r| (r, Vec::new()));
                } else if let (Some((_, list)), Some(r)) = (self.dep.as_mut(), r) {
                    // Only direct children of a top-level dependency count.
                    if self.stack.len() >= 2
                        && self.stack.get(self.stack.len() - 2) == Some(&Tag::Dependencies)
                    {
                        list.push(r);
                    }
                }
            }
            Tag::Hash | Tag::Property | Tag::Field(_) => {
                if matches!(self.owner_kind(), Some(Kind::Package | Kind::Root)) {
                    self.text_buf = Some(String::new());
                    self.attr = match tag {
                        Tag::Hash => attr(e, "alg", self.text, pos)?,
                        Tag::Property => attr(e, "name", self.text, pos)?,
                        _ => None,
                    };
                }
            }
            _ => {}
        }
        self.stack.push(tag);
        Ok(())
    }

    fn text(&mut self, s: &str) {
        if let Some(buf) = self.text_buf.as_mut()
            && matches!(
                self.stack.last(),
                Some(Tag::Hash | Tag::Property | Tag::Field(_))
            )
        {
            buf.push_str(s);
        }
    }

    fn end(&mut self) {
        let Some(tag) = self.stack.pop() else {
            return;
        };
        match tag {
            Tag::Bom => self.done = true,
            Tag::Field(f) => {
                if let (Some(t), Some((_, c))) = (self.text_buf.take(), self.comps.last_mut()) {
                    let v = Some(t.trim().to_string());
                    match f {
                        FieldName::Group => c.group = v,
                        FieldName::Name => c.name = v,
                        FieldName::Version => c.version = v,
                        FieldName::Purl => c.purl = v,
                        FieldName::Scope => c.scope = v,
                    }
                }
            }
            Tag::Hash => {
                if let (Some(t), Some(alg), Some((_, c))) = (
                    self.text_buf.take(),
                    self.attr.take(),
                    self.comps.last_mut(),
                ) && let Some(s) = checksum_string(&alg, &t)
                {
                    c.checksums.push(s);
                }
            }
            Tag::Property => {
                if let (Some(t), Some(name), Some((_, c))) = (
                    self.text_buf.take(),
                    self.attr.take(),
                    self.comps.last_mut(),
                ) {
                    c.properties.push((name, t.trim().to_string()));
                }
            }
            Tag::Component(_) => {
                if let Some((kind, f)) = self.comps.pop() {
                    match kind {
                        Kind::Package => self.graph.entries.push(f.into_entry()),
                        Kind::Root => self.graph.roots.push(f.into_entry()),
                        Kind::Ignored => {}
                    }
                }
            }
            Tag::Dependency => {
                if self.parent() == Some(Tag::Dependencies)
                    && let Some((from, to)) = self.dep.take()
                {
                    for t in to {
                        self.graph.edges.push(Edge {
                            from: from.clone(),
                            to: t,
                            scope: Scope::Runtime,
                        });
                    }
                }
            }
            _ => {}
        }
        self.text_buf = None;
        self.attr = None;
    }
}

/// Read a CycloneDX XML BOM (namespace `http://cyclonedx.org/schema/bom/1.x`).
pub fn parse_xml(input: &Input) -> ParseResult {
    let text = input.text;
    let mut reader = quick_xml::reader::NsReader::from_str(text);
    let index = crate::text::LineIndex::new(text);
    let mut st = XmlState {
        text,
        bom_ns: None,
        done: false,
        stack: Vec::new(),
        comps: Vec::new(),
        text_buf: None,
        attr: None,
        dep: None,
        graph: Graph::default(),
        too_deep: 0,
    };
    loop {
        let pos = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let (ns, ev) = match reader.read_resolved_event() {
            Ok(x) => x,
            Err(e) => {
                let at = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
                return Err(ParseError::xml(e, text, at));
            }
        };
        let line = index.line(pos.min(text.len()));
        match ev {
            Event::Start(e) => st.start(&ns, &e, pos, line)?,
            Event::Empty(e) => {
                st.start(&ns, &e, pos, line)?;
                st.end();
            }
            Event::End(_) => st.end(),
            Event::Text(t) if st.text_buf.is_some() => {
                let s = t.unescape().map_err(|e| ParseError::xml(e, text, pos))?;
                st.text(&s);
            }
            Event::CData(t) if st.text_buf.is_some() => {
                let bytes = t.into_inner();
                let s = std::str::from_utf8(&bytes)
                    .map_err(|e| ParseError::xml(e, text, pos))?
                    .to_string();
                st.text(&s);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(open) = st.stack.last() {
        return Err(ParseError::at(
            index.line(text.len()),
            format!("unexpected end of file: element {open:?} is not closed"),
        ));
    }
    if st.bom_ns.is_none() {
        return Err(ParseError::new("not a CycloneDX XML BOM: no root element"));
    }
    let version = st
        .bom_ns
        .as_deref()
        .and_then(|ns| ns.rsplit(|b| *b == b'/').next())
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .filter(|v| !v.is_empty());
    let too_deep = st.too_deep;
    let mut parsed = build(input, "cyclonedx-xml", version.clone(), st.graph);
    warn_version(&mut parsed, version.as_deref());
    if too_deep > 0 {
        parsed.warn(
            None,
            format!("components nested deeper than {MAX_COMPONENT_DEPTH} levels skipped"),
        );
    }
    Ok(parsed)
}

// ---------------------------------------------------------------------------
// Writer

#[derive(Serialize)]
struct OBom<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    #[serde(rename = "bomFormat")]
    bom_format: &'static str,
    #[serde(rename = "specVersion")]
    spec_version: &'static str,
    #[serde(rename = "serialNumber")]
    serial_number: String,
    version: u32,
    metadata: OMeta<'a>,
    components: Vec<OComp<'a>>,
    dependencies: Vec<ODep<'a>>,
}

#[derive(Serialize)]
struct OMeta<'a> {
    timestamp: String,
    tools: OTools<'a>,
    component: ORoot<'a>,
}

#[derive(Serialize)]
struct OTools<'a> {
    components: Vec<OTool<'a>>,
}

#[derive(Serialize)]
struct OTool<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
}

#[derive(Serialize)]
struct ORoot<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    #[serde(rename = "bom-ref")]
    bom_ref: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct OComp<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    #[serde(rename = "bom-ref")]
    bom_ref: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<&'a str>,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
    scope: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<OHash>,
    purl: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<OProp<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<OEvidence<'a>>,
}

#[derive(Serialize)]
struct OHash {
    alg: &'static str,
    content: String,
}

#[derive(Serialize)]
struct OProp<'a> {
    name: &'static str,
    value: &'a str,
}

#[derive(Serialize)]
struct OEvidence<'a> {
    occurrences: Vec<OOccurrence<'a>>,
}

#[derive(Serialize)]
struct OOccurrence<'a> {
    location: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
}

#[derive(Serialize)]
struct ODep<'a> {
    #[serde(rename = "ref")]
    reference: &'a str,
    #[serde(rename = "dependsOn")]
    depends_on: Vec<&'a str>,
}

/// `bom-ref` of the described project (never a purl, so never equal to a
/// component's `bom-ref`).
fn root_ref(name: &str) -> String {
    format!("root:{name}")
}

/// Write the inventory as a CycloneDX 1.6 JSON document: one component
/// per distinct purl (its `bom-ref` is the purl), every file location as
/// `evidence.occurrences`, the dependency graph with the direct
/// dependencies under the root component named `opts.name`. Sorted by
/// purl; the same inventory and options give the same bytes.
pub fn write_json(inv: &Inventory, opts: &WriteOptions) -> String {
    let merged = merge_inventory(inv);
    let name = if opts.name.trim().is_empty() {
        "project"
    } else {
        opts.name.as_str()
    };
    let root = root_ref(name);
    let ecosystems: Vec<String> = merged.iter().map(|p| p.ecosystem.to_string()).collect();
    let mut components = Vec::with_capacity(merged.len());
    let mut dependencies = Vec::new();
    let direct: Vec<&str> = merged.iter().filter(|p| p.direct).map(|p| p.purl).collect();
    if !direct.is_empty() {
        dependencies.push(ODep {
            reference: &root,
            depends_on: direct,
        });
    }
    for (p, eco) in merged.iter().zip(&ecosystems) {
        let (group, cname) = group_and_name(p.ecosystem, p.name);
        let (scope, scope_prop) = match p.scope {
            Scope::Runtime => ("required", None),
            Scope::Optional => ("optional", None),
            Scope::Build => ("excluded", Some("build")),
            Scope::Dev => ("excluded", Some("dev")),
        };
        let mut properties = vec![OProp {
            name: PROP_ECOSYSTEM,
            value: eco.as_str(),
        }];
        if let Some(s) = scope_prop {
            properties.push(OProp {
                name: PROP_SCOPE,
                value: s,
            });
        }
        match p.resolution {
            Resolution::Exact => {}
            Resolution::Requirement { spec } => {
                properties.push(OProp {
                    name: PROP_RESOLUTION,
                    value: "requirement",
                });
                properties.push(OProp {
                    name: PROP_REQUIREMENT,
                    value: spec,
                });
            }
            Resolution::Url { url } => {
                properties.push(OProp {
                    name: PROP_RESOLUTION,
                    value: "url",
                });
                properties.push(OProp {
                    name: PROP_URL,
                    value: url,
                });
            }
            Resolution::Vcs { url, rev } => {
                properties.push(OProp {
                    name: PROP_RESOLUTION,
                    value: "vcs",
                });
                properties.push(OProp {
                    name: PROP_URL,
                    value: url,
                });
                if let Some(rev) = rev {
                    properties.push(OProp {
                        name: PROP_REV,
                        value: rev,
                    });
                }
            }
            Resolution::Path { path } => {
                properties.push(OProp {
                    name: PROP_RESOLUTION,
                    value: "path",
                });
                properties.push(OProp {
                    name: PROP_PATH,
                    value: path,
                });
            }
        }
        let hashes = p
            .hashes
            .iter()
            .filter_map(|(alg, hex)| {
                Some(OHash {
                    alg: alg.cyclonedx()?,
                    content: hex.clone(),
                })
            })
            .collect();
        let occurrences: Vec<OOccurrence> = p
            .locations
            .iter()
            .map(|l| OOccurrence {
                location: &l.path,
                line: l.line,
            })
            .collect();
        components.push(OComp {
            ty: "library",
            bom_ref: p.purl,
            group,
            name: cname,
            version: (!p.version.is_empty()).then_some(p.version),
            scope,
            hashes,
            purl: p.purl,
            properties,
            evidence: (!occurrences.is_empty()).then_some(OEvidence { occurrences }),
        });
        if !p.dependencies.is_empty() {
            dependencies.push(ODep {
                reference: p.purl,
                depends_on: p.dependencies.clone(),
            });
        }
    }
    let bom = OBom {
        schema: "http://cyclonedx.org/schema/bom-1.6.schema.json",
        bom_format: "CycloneDX",
        spec_version: "1.6",
        serial_number: format!("urn:uuid:{}", document_uuid(opts.serial.as_deref())),
        version: 1,
        metadata: OMeta {
            timestamp: normalized_timestamp(&opts.timestamp),
            tools: OTools {
                components: vec![OTool {
                    ty: "application",
                    name: "patchloop",
                    version: Some(opts.tool_version.as_str()).filter(|v| !v.is_empty()),
                }],
            },
            component: ORoot {
                ty: "application",
                bom_ref: &root,
                name,
            },
        },
        components,
        dependencies,
    };
    let mut s = serde_json::to_string_pretty(&bom).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchloop_model::{EcosystemKind, Package, Relation};

    /// 1-based line of the first occurrence of `needle` (test oracle,
    /// independent of the parser's own line finding).
    fn line_of(text: &str, needle: &str) -> u32 {
        let at = text.find(needle).expect("needle in fixture");
        u32::try_from(text[..at].matches('\n').count() + 1).unwrap()
    }

    fn get<'a>(pkgs: &'a [Package], name: &str) -> &'a Package {
        pkgs.iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("{name} not found"))
    }

    const SHA512_EMPTY_HEX: &str = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";

    /// Shaped like cdxgen / cyclonedx-npm 1.5 output, with the odd cases.
    const V15: &str = r#"{
  "bomFormat": "CycloneDX",
  "specVersion": "1.5",
  "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
  "version": 1,
  "metadata": {
    "tools": [{"vendor": "acme", "name": "gen", "version": "1", "purl": "pkg:npm/lodash@4.17.21"}],
    "component": {
      "type": "application",
      "bom-ref": "app@1.0.0",
      "name": "app",
      "version": "1.0.0",
      "purl": "pkg:npm/app@1.0.0"
    }
  },
  "components": [
    {
      "type": "library",
      "bom-ref": "pkg:npm/%40babel/core@7.24.0",
      "group": "@babel",
      "name": "core",
      "version": "7.24.0",
      "scope": "excluded",
      "hashes": [
        {"alg": "SHA-512", "content": "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"},
        {"alg": "SHA-1", "content": "da39a3ee5e6b4b0d3255bfef95601890afd80709"}
      ],
      "purl": "pkg:npm/%40babel/core@7.24.0"
    },
    {
      "type": "library",
      "bom-ref": "lodash",
      "name": "lodash",
      "version": "4.17.21",
      "scope": "required",
      "purl": "pkg:npm/lodash@4.17.21"
    },
    {
      "type": "framework",
      "bom-ref": "spring",
      "group": "org.springframework",
      "name": "spring-core",
      "version": "6.1.0",
      "purl": "pkg:maven/org.springframework/spring-core@6.1.0?type=jar",
      "components": [
        {
          "type": "library",
          "bom-ref": "nested",
          "group": "org.yaml",
          "name": "snakeyaml",
          "version": "2.2",
          "purl": "pkg:maven/org.yaml/snakeyaml@2.2"
        }
      ]
    },
    {"type": "library", "name": "vendored-thing", "version": "0.3"},
    {"type": "file", "name": "README.md", "hashes": [{"alg": "MD5", "content": "d41d8cd98f00b204e9800998ecf8427e"}]},
    {"type": "operating-system", "name": "debian", "version": "12"},
    {
      "type": "library",
      "bom-ref": "deb-openssl",
      "name": "openssl",
      "version": "3.0.11-1~deb12u2",
      "purl": "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
    },
    {"type": "library", "bom-ref": "bad", "name": "bad-purl", "version": "1", "purl": "pkg:"},
    {"type": "library", "bom-ref": "optional-dep", "name": "fsevents", "version": "2.3.3", "scope": "optional", "purl": "pkg:npm/fsevents@2.3.3"},
    "not an object",
    {"type": "library", "bom-ref": "unpinned", "name": "Flask", "purl": "pkg:pypi/flask", "version": 7},
    {"type": "library", "bom-ref": "app@1.0.0", "name": "app", "version": "1.0.0", "purl": "pkg:npm/app@1.0.0"}
  ],
  "dependencies": [
    {"ref": "app@1.0.0", "dependsOn": ["pkg:npm/%40babel/core@7.24.0", "lodash", "spring", "optional-dep"]},
    {"ref": "lodash", "dependsOn": []},
    {"ref": "spring", "dependsOn": ["nested", "missing-ref"]},
    {"ref": "pkg:npm/%40babel/core@7.24.0", "dependsOn": ["lodash"]}
  ]
}
"#;

    #[test]
    fn json_1_5_full() {
        let parsed = parse_json(&Input::new("sub/bom.json", V15)).unwrap();
        let s = &parsed.source;
        assert_eq!(s.format, "cyclonedx-json");
        assert_eq!(s.format_version.as_deref(), Some("1.5"));
        assert_eq!(s.ecosystem, Ecosystem::NPM);
        let names: Vec<&str> = s.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "@babel/core",
                "Flask",
                "bad-purl",
                "fsevents",
                "lodash",
                "openssl",
                "org.springframework:spring-core",
                "org.yaml:snakeyaml",
                "vendored-thing"
            ]
        );
        // The root, with its direct dependencies.
        assert_eq!(s.roots.len(), 1);
        assert_eq!(
            (s.roots[0].name.as_str(), s.roots[0].version.as_str()),
            ("app", "1.0.0")
        );
        assert_eq!(
            s.roots[0].dependencies,
            [
                "pkg:maven/org.springframework/spring-core@6.1.0?type=jar",
                "pkg:npm/%40babel/core@7.24.0",
                "pkg:npm/fsevents@2.3.3",
                "pkg:npm/lodash@4.17.21"
            ]
        );

        let babel = get(&s.packages, "@babel/core");
        assert_eq!(babel.purl, "pkg:npm/%40babel/core@7.24.0");
        assert_eq!(babel.version, "7.24.0");
        assert_eq!(babel.relation, Relation::Direct);
        assert_eq!(babel.scope, Scope::Dev);
        assert_eq!(babel.dependencies, ["pkg:npm/lodash@4.17.21"]);
        assert_eq!(
            babel.checksums,
            [
                format!("sha512:{SHA512_EMPTY_HEX}"),
                "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709".to_string()
            ]
        );
        assert_eq!(babel.locations[0].path, "sub/bom.json");
        assert_eq!(
            babel.line(),
            Some(line_of(
                V15,
                "\"bom-ref\": \"pkg:npm/%40babel/core@7.24.0\""
            ))
        );
        assert_eq!(babel.line(), Some(19));

        let lodash = get(&s.packages, "lodash");
        assert_eq!(
            (lodash.relation, lodash.scope),
            (Relation::Direct, Scope::Runtime)
        );
        assert_eq!(lodash.line(), Some(line_of(V15, "\"bom-ref\": \"lodash\"")));

        let spring = get(&s.packages, "org.springframework:spring-core");
        assert_eq!(
            spring.purl,
            "pkg:maven/org.springframework/spring-core@6.1.0?type=jar"
        );
        assert_eq!(spring.ecosystem, Ecosystem::MAVEN);
        assert_eq!(spring.dependencies, ["pkg:maven/org.yaml/snakeyaml@2.2"]);
        let yaml = get(&s.packages, "org.yaml:snakeyaml");
        assert_eq!(
            (yaml.relation, yaml.scope),
            (Relation::Transitive, Scope::Runtime)
        );
        assert_eq!(yaml.line(), Some(line_of(V15, "\"bom-ref\": \"nested\"")));

        let fsevents = get(&s.packages, "fsevents");
        assert_eq!(
            (fsevents.relation, fsevents.scope),
            (Relation::Direct, Scope::Optional)
        );

        let vendored = get(&s.packages, "vendored-thing");
        assert_eq!(
            vendored.ecosystem,
            Ecosystem::new(EcosystemKind::Other("generic".into()))
        );
        assert_eq!(vendored.version, "0.3");
        assert_eq!(vendored.relation, Relation::Unknown);
        assert_eq!(vendored.line(), None);

        let openssl = get(&s.packages, "openssl");
        assert_eq!(openssl.ecosystem.to_string(), "Debian:12");
        assert_eq!(
            openssl.purl,
            "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
        );
        assert_eq!(openssl.id, openssl.purl);
        assert_eq!(openssl.version, "3.0.11-1~deb12u2");

        let bad = get(&s.packages, "bad-purl");
        assert!(bad.ecosystem.is_unknown());

        // Numbers are read as text; the purl's name is spelled as the SBOM does.
        let flask = get(&s.packages, "Flask");
        assert_eq!(flask.purl, "pkg:pypi/flask@7");
        assert_eq!(flask.version, "7");

        let messages: Vec<&str> = parsed.warnings.iter().map(|w| w.message.as_str()).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("invalid package URL `pkg:`")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("2 entries that are not software"))
        );
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("1 packages without a purl"))
        );
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("1 dependency references"))
        );
        assert_eq!(parsed.warnings.len(), 4, "{messages:?}");
    }

    #[test]
    fn json_1_4_compact_without_root() {
        let t = r#"{"bomFormat":"CycloneDX","specVersion":"1.4","version":1,"metadata":{"tools":[{"name":"x"}]},"components":[{"type":"library","name":"serde","version":"1.0.0","purl":"pkg:cargo/serde@1.0.0"},{"type":"library","name":"serde","version":"1.0.0","purl":"pkg:cargo/serde@1.0.0"},{"type":"library","name":"rand","version":"0.8.5","purl":"pkg:cargo/rand@0.8.5","scope":"excluded"}]}"#;
        let parsed = parse_json(&Input::new("bom.json", t)).unwrap();
        let s = &parsed.source;
        assert_eq!(s.format_version.as_deref(), Some("1.4"));
        assert_eq!(s.ecosystem, Ecosystem::CRATES_IO);
        assert!(s.roots.is_empty());
        assert_eq!(s.packages.len(), 2);
        let serde = &s.packages[1];
        assert_eq!(serde.name, "serde");
        assert_eq!(serde.relation, Relation::Unknown);
        assert_eq!(serde.scope, Scope::Runtime);
        assert_eq!(serde.line(), Some(1));
        assert_eq!(s.packages[0].scope, Scope::Dev);
        assert!(parsed.warnings.is_empty());
    }

    #[test]
    fn json_other_versions_and_errors() {
        let t = r#"{"bomFormat":"CycloneDX","specVersion":"1.3","components":[]}"#;
        let parsed = parse_json(&Input::new("bom.json", t)).unwrap();
        assert_eq!(parsed.warnings.len(), 1);
        assert!(parsed.warnings[0].message.contains("1.3"));

        let e = parse_json(&Input::new("bom.json", r#"{"bomFormat":"SPDX"}"#)).unwrap_err();
        assert!(e.message.contains("bomFormat is `SPDX`"));
        let e = parse_json(&Input::new("bom.json", r#"{"components":[]}"#)).unwrap_err();
        assert!(e.message.contains("not a CycloneDX BOM"));
        assert!(parse_json(&Input::new("bom.json", "[1]")).is_err());
        let e = parse_json(&Input::new(
            "bom.json",
            "{\"bomFormat\": \"CycloneDX\",\n\"components\": 3,\n,}",
        ))
        .unwrap_err();
        assert!(e.message.starts_with("invalid JSON"));
        assert_eq!(e.line, Some(3));
        let e = parse_json(&Input::new("bom.json", &V15[..V15.len() / 2])).unwrap_err();
        assert!(e.line.is_some());
        // Every prefix: Ok or Err, never a panic.
        for end in (0..V15.len()).step_by(7) {
            let _ = parse_json(&Input::new("bom.json", &V15[..end]));
        }
    }

    fn nested_json(levels: usize) -> String {
        let mut s = String::from(r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":"#);
        for i in 0..levels {
            s.push_str(&format!(
                r#"[{{"type":"library","name":"n{i}","version":"1","purl":"pkg:npm/n{i}@1","components":"#
            ));
        }
        s.push_str("[]");
        for _ in 0..levels {
            s.push_str("}]");
        }
        s.push('}');
        s
    }

    #[test]
    fn json_nesting_is_bounded() {
        let parsed = parse_json(&Input::new("bom.json", &nested_json(40))).unwrap();
        assert_eq!(parsed.source.packages.len(), MAX_COMPONENT_DEPTH);
        assert!(
            parsed
                .warnings
                .iter()
                .any(|w| w.message.contains("nested deeper"))
        );
        // Beyond serde_json's recursion limit: an error, not a stack overflow.
        assert!(parse_json(&Input::new("bom.json", &nested_json(5000))).is_err());
    }

    const XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.5" xmlns:ext="urn:example:ext" version="1">
  <metadata>
    <tools>
      <components>
        <component type="application"><name>gen</name><purl>pkg:npm/gen@1</purl></component>
      </components>
    </tools>
    <component type="application" bom-ref="app">
      <name>app</name>
      <version>2.0</version>
      <components>
        <component type="library"><name>sub</name><purl>pkg:npm/sub@1</purl></component>
      </components>
    </component>
  </metadata>
  <components>
    <component type="library" bom-ref="pkg:npm/%40babel/core@7.24.0">
      <group>@babel</group>
      <name>core</name>
      <version>7.24.0</version>
      <scope>excluded</scope>
      <hashes>
        <hash alg="SHA-1">da39a3ee5e6b4b0d3255bfef95601890afd80709</hash>
      </hashes>
      <purl><![CDATA[pkg:npm/%40babel/core@7.24.0]]></purl>
      <properties>
        <property name="patchloop:scope">build</property>
      </properties>
    </component>
    <component type="library" bom-ref="deb">
      <name>openssl</name>
      <purl>pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&amp;distro=debian-12</purl>
      <components>
        <component type="library" bom-ref="inner"><group>org.yaml</group><name>snakeyaml</name><version>2.2</version><purl>pkg:maven/org.yaml/snakeyaml@2.2</purl></component>
      </components>
    </component>
    <ext:component bom-ref="ext"><ext:name>not ours</ext:name></ext:component>
    <component type="file" bom-ref="f"><name>x.txt</name></component>
    <component type="library" bom-ref="lodash"><name>lodash</name><version>4.17.21</version><purl>pkg:npm/lodash@4.17.21</purl></component>
  </components>
  <dependencies>
    <dependency ref="app">
      <dependency ref="pkg:npm/%40babel/core@7.24.0"/>
      <dependency ref="deb"/>
    </dependency>
    <dependency ref="deb"><dependency ref="inner"/><dependency ref="f"/></dependency>
    <dependency ref="inner"/>
  </dependencies>
</bom>
"#;

    #[test]
    fn xml_full() {
        let parsed = parse_xml(&Input::new("bom.xml", XML)).unwrap();
        let s = &parsed.source;
        assert_eq!(s.format, "cyclonedx-xml");
        assert_eq!(s.format_version.as_deref(), Some("1.5"));
        let names: Vec<&str> = s.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            ["@babel/core", "lodash", "openssl", "org.yaml:snakeyaml"]
        );
        assert_eq!(s.roots.len(), 1);
        assert_eq!(
            (s.roots[0].name.as_str(), s.roots[0].version.as_str()),
            ("app", "2.0")
        );
        assert_eq!(s.roots[0].dependencies.len(), 2);

        let babel = get(&s.packages, "@babel/core");
        assert_eq!(babel.purl, "pkg:npm/%40babel/core@7.24.0");
        assert_eq!(
            (babel.relation, babel.scope),
            (Relation::Direct, Scope::Build)
        );
        assert_eq!(
            babel.checksums,
            ["sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709"]
        );
        assert_eq!(
            babel.line(),
            Some(line_of(
                XML,
                "<component type=\"library\" bom-ref=\"pkg:npm/%40babel"
            ))
        );
        assert_eq!(babel.line(), Some(18));

        let openssl = get(&s.packages, "openssl");
        assert_eq!(
            openssl.purl,
            "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
        );
        assert_eq!(openssl.dependencies, ["pkg:maven/org.yaml/snakeyaml@2.2"]);
        let yaml = get(&s.packages, "org.yaml:snakeyaml");
        assert_eq!(yaml.relation, Relation::Transitive);
        assert_eq!(yaml.line(), Some(line_of(XML, "bom-ref=\"inner\"")));
        let lodash = get(&s.packages, "lodash");
        assert_eq!(lodash.relation, Relation::Unknown);
        assert_eq!(lodash.line(), Some(line_of(XML, "bom-ref=\"lodash\"")));
        assert_eq!(parsed.warnings.len(), 1, "{:?}", parsed.warnings);
        assert!(
            parsed.warnings[0]
                .message
                .starts_with("1 entries that are not software")
        );
    }

    #[test]
    fn xml_prefixed_namespace_and_1_4() {
        let t = r#"<c:bom xmlns:c="http://cyclonedx.org/schema/bom/1.4"><c:components><c:component type="library"><c:name>rand</c:name><c:version>0.8.5</c:version><c:purl>pkg:cargo/rand@0.8.5</c:purl></c:component></c:components></c:bom>"#;
        let parsed = parse_xml(&Input::new("bom.xml", t)).unwrap();
        assert_eq!(parsed.source.format_version.as_deref(), Some("1.4"));
        assert_eq!(parsed.source.packages.len(), 1);
        assert_eq!(parsed.source.packages[0].purl, "pkg:cargo/rand@0.8.5");
    }

    #[test]
    fn xml_errors() {
        let e = parse_xml(&Input::new("bom.xml", "<project/>")).unwrap_err();
        assert!(e.message.contains("not a CycloneDX XML BOM"));
        let e = parse_xml(&Input::new(
            "bom.xml",
            r#"<bom xmlns="http://example.com/bom"></bom>"#,
        ))
        .unwrap_err();
        assert!(e.message.contains("not a CycloneDX XML BOM"));
        let e = parse_xml(&Input::new("bom.xml", "")).unwrap_err();
        assert!(e.message.contains("no root element"));
        let cut = XML.find("<dependencies>").unwrap();
        let e = parse_xml(&Input::new("bom.xml", &XML[..cut])).unwrap_err();
        assert!(e.message.contains("not closed"), "{e:?}");
        let bad = XML.replace("</version>", "</versio>");
        assert!(parse_xml(&Input::new("bom.xml", &bad)).is_err());
        let bad = XML.replace("&amp;", "&nope;");
        assert!(parse_xml(&Input::new("bom.xml", &bad)).is_err());
        let mut deep = String::from(r#"<bom xmlns="http://cyclonedx.org/schema/bom/1.6">"#);
        for _ in 0..300 {
            deep.push_str("<x>");
        }
        let e = parse_xml(&Input::new("bom.xml", &deep)).unwrap_err();
        assert!(e.message.contains("nested deeper"));
        for end in 0..XML.len() {
            if XML.is_char_boundary(end) {
                let _ = parse_xml(&Input::new("bom.xml", &XML[..end]));
            }
        }
    }
}
