//! Maven `pom.xml`: the project's declared dependencies with versions
//! resolved from properties, `dependencyManagement`, parent POMs and BOM
//! imports found in the same source tree. Nothing is fetched: a version
//! managed by a parent or BOM that is not in the tree stays unknown and is
//! reported as such, never guessed. See docs/formats/maven-nuget.md.

use crate::fxhash::{HashMap, HashSet};
use std::rc::Rc;

use patchloop_model::{Ecosystem, Package, Relation, Resolution, Root, Scope, SourceFile};

use super::interp::{Interp, Syntax, Unresolved};
use super::related::{dir_of, join_path};
use super::xml::{self, XmlEvent};
use crate::error::ParseError;
use crate::formats::common::PackageSet;
use crate::input::{Input, ParseResult, Parsed};

/// Most parent levels followed.
const MAX_PARENTS: usize = 10;
/// Most BOM imports followed inside each other.
const MAX_BOM_DEPTH: usize = 3;
/// Most module POMs read to find BOMs and sibling modules.
const MAX_MODULES: usize = 32;

pub fn parse(input: &Input) -> ParseResult {
    let mut warnings = Vec::new();
    let raw = parse_raw(input.text, &mut warnings)?;
    let mut loader = Loader {
        input,
        cache: HashMap::default(),
        warnings: Vec::new(),
        reads_failed: false,
        modules_read: 0,
        reactor: None,
        importing: Vec::new(),
    };
    let me = Rc::new(Pom {
        rel: String::new(),
        display: input.display.to_string(),
        raw,
    });
    let mut source = SourceFile::new(input.display, "pom-xml", Ecosystem::MAVEN);
    source.format_version = me.raw.model_version.clone();
    let mut parsed = Parsed::new(source);
    for (line, msg) in warnings {
        parsed.warn(line, msg);
    }
    let out = Resolver::new(&mut loader, me.clone(), 0).run(&mut loader);
    for (line, msg) in loader.warnings {
        parsed.warn(line, msg);
    }
    if out.artifact.is_empty() {
        parsed.warn(Some(me.raw.line), "the project has no artifactId");
    }
    let root_name = match (out.group.is_empty(), out.artifact.is_empty()) {
        (false, false) => format!("{}:{}", out.group, out.artifact),
        (true, _) => out.artifact.clone(),
        (false, true) => out.group.clone(),
    };
    parsed.source.roots.push(Root {
        name: root_name,
        version: out.version,
        path: None,
        dependencies: out.direct,
    });
    parsed.source.packages = out.packages.into_sorted();
    Ok(parsed)
}

// ---------------------------------------------------------------------------
// Reading one POM

#[derive(Debug, Default, Clone)]
struct RawDep {
    group_id: String,
    artifact_id: String,
    version: Option<String>,
    type_: Option<String>,
    classifier: Option<String>,
    scope: Option<String>,
    optional: Option<String>,
    system_path: Option<String>,
    line: u32,
}

#[derive(Debug, Default, Clone)]
struct RawParent {
    group_id: String,
    artifact_id: String,
    version: String,
    /// `None`: not given (default `../pom.xml`); `Some("")`: no lookup.
    relative_path: Option<String>,
    line: u32,
}

/// What the project body and each profile declare.
#[derive(Debug, Default, Clone)]
struct Section {
    properties: Vec<(String, String)>,
    dep_mgmt: Vec<RawDep>,
    deps: Vec<RawDep>,
    modules: Vec<String>,
}

#[derive(Debug, Default, Clone)]
struct Profile {
    id: String,
    active_by_default: bool,
    body: Section,
}

#[derive(Debug, Default, Clone)]
struct RawPom {
    model_version: Option<String>,
    group_id: Option<String>,
    artifact_id: Option<String>,
    version: Option<String>,
    packaging: Option<String>,
    line: u32,
    parent: Option<RawParent>,
    body: Section,
    profiles: Vec<Profile>,
}

impl RawPom {
    fn group(&self) -> &str {
        self.group_id
            .as_deref()
            .or(self.parent.as_ref().map(|p| p.group_id.as_str()))
            .unwrap_or("")
    }

    fn version(&self) -> &str {
        self.version
            .as_deref()
            .or(self.parent.as_ref().map(|p| p.version.as_str()))
            .unwrap_or("")
    }

    fn artifact(&self) -> &str {
        self.artifact_id.as_deref().unwrap_or("")
    }

    /// The sections in effect: active-by-default profiles (which are
    /// merged over the body, so they come first), then the body.
    fn sections(&self) -> Vec<&Section> {
        let mut v: Vec<&Section> = self
            .profiles
            .iter()
            .filter(|p| p.active_by_default)
            .map(|p| &p.body)
            .collect();
        v.push(&self.body);
        v
    }

    fn section_mut(&mut self, in_profile: bool) -> Option<&mut Section> {
        if in_profile {
            self.profiles.last_mut().map(|p| &mut p.body)
        } else {
            Some(&mut self.body)
        }
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

fn set_dep_field(dep: &mut RawDep, field: &str, text: &str) {
    match field {
        "groupId" => dep.group_id = text.to_string(),
        "artifactId" => dep.artifact_id = text.to_string(),
        "version" => dep.version = non_empty(text),
        "type" => dep.type_ = non_empty(text),
        "classifier" => dep.classifier = non_empty(text),
        "scope" => dep.scope = non_empty(text),
        "optional" => dep.optional = non_empty(text),
        "systemPath" => dep.system_path = non_empty(text),
        _ => {}
    }
}

/// Read the parts of a POM that matter for dependencies.
fn parse_raw(text: &str, warnings: &mut Vec<(Option<u32>, String)>) -> Result<RawPom, ParseError> {
    let mut pom = RawPom::default();
    let mut cur_dep: Option<RawDep> = None;
    let mut root_err: Option<ParseError> = None;
    xml::walk(text, warnings, |ev| {
        if root_err.is_some() {
            return;
        }
        match ev {
            XmlEvent::Open { path, line, .. } => {
                if path.len() == 1 {
                    if path[0] != "project" {
                        root_err = Some(ParseError::at(
                            line,
                            format!(
                                "not a Maven POM: the root element is <{}>, not <project>",
                                path[0]
                            ),
                        ));
                    }
                    pom.line = line;
                    return;
                }
                let (in_profile, rest) = split_profile(path);
                if let Some((_, None)) = dep_path(rest) {
                    cur_dep = Some(RawDep {
                        line,
                        ..RawDep::default()
                    });
                    return;
                }
                match rest {
                    [p] if !in_profile && p == "parent" => {
                        pom.parent = Some(RawParent {
                            line,
                            ..RawParent::default()
                        });
                    }
                    [] if in_profile => pom.profiles.push(Profile::default()),
                    _ => {}
                }
            }
            XmlEvent::Close { path, text, .. } => {
                if path.len() < 2 {
                    return;
                }
                let (in_profile, rest) = split_profile(path);
                match dep_path(rest) {
                    Some((_, Some(field))) => {
                        if let Some(dep) = cur_dep.as_mut() {
                            set_dep_field(dep, field, text);
                        }
                        return;
                    }
                    Some((managed, None)) => {
                        if let (Some(dep), Some(sec)) =
                            (cur_dep.take(), pom.section_mut(in_profile))
                        {
                            if managed {
                                sec.dep_mgmt.push(dep);
                            } else {
                                sec.deps.push(dep);
                            }
                        }
                        return;
                    }
                    None => {}
                }
                match rest {
                    [p, name] if p == "properties" => {
                        if let Some(sec) = pom.section_mut(in_profile) {
                            sec.properties.push((name.clone(), text.to_string()));
                        }
                    }
                    [m, x] if m == "modules" && x == "module" && !text.is_empty() => {
                        if let Some(sec) = pom.section_mut(in_profile) {
                            sec.modules.push(text.to_string());
                        }
                    }
                    [f] if in_profile && f == "id" => {
                        if let Some(p) = pom.profiles.last_mut() {
                            p.id = text.to_string();
                        }
                    }
                    [a, f] if in_profile && a == "activation" && f == "activeByDefault" => {
                        if let Some(p) = pom.profiles.last_mut() {
                            p.active_by_default = text.eq_ignore_ascii_case("true");
                        }
                    }
                    [p, f] if !in_profile && p == "parent" => {
                        if let Some(parent) = pom.parent.as_mut() {
                            match f.as_str() {
                                "groupId" => parent.group_id = text.to_string(),
                                "artifactId" => parent.artifact_id = text.to_string(),
                                "version" => parent.version = text.to_string(),
                                "relativePath" => parent.relative_path = Some(text.to_string()),
                                _ => {}
                            }
                        }
                    }
                    [f] if !in_profile => match f.as_str() {
                        "modelVersion" => pom.model_version = non_empty(text),
                        "groupId" => pom.group_id = non_empty(text),
                        "artifactId" => pom.artifact_id = non_empty(text),
                        "version" => pom.version = non_empty(text),
                        "packaging" => pom.packaging = non_empty(text),
                        _ => {}
                    },
                    _ => {}
                }
            }
        }
    })?;
    match root_err {
        Some(e) => Err(e),
        None => Ok(pom),
    }
}

/// `dependencies/dependency[/field]` or
/// `dependencyManagement/dependencies/dependency[/field]`: whether it is a
/// managed entry, and the field.
fn dep_path(rest: &[String]) -> Option<(bool, Option<&str>)> {
    let (managed, tail) = match rest {
        [d, x, tail @ ..] if d == "dependencies" && x == "dependency" => (false, tail),
        [m, d, x, tail @ ..]
            if m == "dependencyManagement" && d == "dependencies" && x == "dependency" =>
        {
            (true, tail)
        }
        _ => return None,
    };
    match tail {
        [] => Some((managed, None)),
        [f] => Some((managed, Some(f.as_str()))),
        _ => None,
    }
}

/// Split `project/...` or `project/profiles/profile/...` into whether it is
/// inside a profile and the rest of the path.
fn split_profile(path: &[String]) -> (bool, &[String]) {
    match path {
        [_, ps, p, rest @ ..] if ps == "profiles" && p == "profile" => (true, rest),
        [_, ps] if ps == "profiles" => (false, &path[path.len()..]),
        [_, rest @ ..] => (false, rest),
        [] => (false, path),
    }
}

// ---------------------------------------------------------------------------
// Related POMs (parents, BOMs, modules) in the same tree

/// One POM read from disk (or the input itself, with `rel` empty).
struct Pom {
    /// Path relative to the input's directory, normalized ('/'-separated).
    rel: String,
    display: String,
    raw: RawPom,
}

impl Pom {
    /// Directory of this POM relative to the input's directory.
    fn dir(&self) -> &str {
        match self.rel.rfind('/') {
            Some(i) => &self.rel[..i],
            None => "",
        }
    }
}

struct Loader<'i, 'a> {
    input: &'i Input<'a>,
    cache: HashMap<String, Option<Rc<Pom>>>,
    warnings: Vec<(Option<u32>, String)>,
    reads_failed: bool,
    modules_read: usize,
    /// `groupId:artifactId` of modules in the tree → their POM.
    reactor: Option<HashMap<String, Rc<Pom>>>,
    /// BOMs being imported (to stop import cycles).
    importing: Vec<String>,
}

impl Loader<'_, '_> {
    fn warn(&mut self, line: Option<u32>, msg: impl Into<String>) {
        self.warnings.push((line, msg.into()));
    }

    /// Read the POM at `rel` (relative to the input's directory).
    fn load(&mut self, rel: &str) -> Option<Rc<Pom>> {
        if let Some(p) = self.cache.get(rel) {
            return p.clone();
        }
        if self.reads_failed {
            return None;
        }
        let display = join_path(dir_of(self.input.display), rel);
        let result = match self.input.read_related(rel) {
            Ok(Some((_, text))) => {
                let mut w = Vec::new();
                match parse_raw(crate::text::strip_bom(&text), &mut w) {
                    Ok(raw) => Some(Rc::new(Pom {
                        rel: rel.to_string(),
                        display,
                        raw,
                    })),
                    Err(e) => {
                        let at = e.line.map(|l| format!(":{l}")).unwrap_or_default();
                        self.warn(None, format!("{display}{at}: not read: {}", e.message));
                        None
                    }
                }
            }
            Ok(None) => None,
            Err(e) => {
                self.reads_failed = true;
                self.warn(None, format!("{display}: not read: {}", e.message));
                None
            }
        };
        self.cache.insert(rel.to_string(), result.clone());
        result
    }

    /// `start` and its parents found in the tree (nearest first), and the
    /// first parent that is not in the tree.
    fn chain(&mut self, start: Rc<Pom>) -> (Vec<Rc<Pom>>, Option<External>) {
        let mut chain = vec![start];
        let mut seen: HashSet<String> = HashSet::default();
        loop {
            let Some(cur) = chain.last().cloned() else {
                return (chain, None);
            };
            let Some(parent) = cur.raw.parent.clone() else {
                return (chain, None);
            };
            let external = External {
                name: format!("{}:{}", parent.group_id, parent.artifact_id),
                version: parent.version.clone(),
                display: cur.display.clone(),
                line: parent.line,
                role: "parent",
            };
            if chain.len() > MAX_PARENTS {
                self.warn(
                    None,
                    format!(
                        "{}: more than {MAX_PARENTS} parent POMs; stopped",
                        cur.display
                    ),
                );
                return (chain, Some(external));
            }
            let explicit = parent.relative_path.is_some();
            let rel = match parent.relative_path.as_deref().map(str::trim) {
                None => "../pom.xml".to_string(),
                Some("") => return (chain, Some(external)),
                Some(p) => {
                    let p = p.replace('\\', "/");
                    if p.starts_with('/') || p.get(1..2) == Some(":") {
                        self.warn(
                            Some(parent.line).filter(|_| cur.rel.is_empty()),
                            format!(
                                "{}: absolute parent relativePath `{p}` not followed",
                                cur.display
                            ),
                        );
                        return (chain, Some(external));
                    }
                    if p.ends_with(".xml") {
                        p
                    } else {
                        format!("{}/pom.xml", p.trim_end_matches('/'))
                    }
                }
            };
            let path = join_path(cur.dir(), &rel);
            if !seen.insert(path.clone()) || path.is_empty() {
                self.warn(None, format!("{}: parent POM loop at {path}", cur.display));
                return (chain, Some(external));
            }
            let Some(found) = self.load(&path) else {
                return (chain, Some(external));
            };
            let same = found.raw.group() == parent.group_id
                && found.raw.artifact() == parent.artifact_id
                && (found.raw.version() == parent.version
                    || found.raw.version().contains("${")
                    || parent.version.contains("${"));
            if !same {
                if explicit {
                    self.warn(
                        Some(parent.line).filter(|_| cur.rel.is_empty()),
                        format!(
                            "{}: the POM at relativePath is {}:{}:{}, not the parent {}:{}:{}; parent treated as not in the tree",
                            cur.display,
                            found.raw.group(),
                            found.raw.artifact(),
                            found.raw.version(),
                            parent.group_id,
                            parent.artifact_id,
                            parent.version
                        ),
                    );
                }
                return (chain, Some(external));
            }
            chain.push(found);
        }
    }

    /// Modules of the tree reachable from the input's POM and its parents:
    /// `groupId:artifactId` → POM. Read once, at most [`MAX_MODULES`].
    fn reactor(&mut self, chain: &[Rc<Pom>]) -> HashMap<String, Rc<Pom>> {
        if let Some(r) = &self.reactor {
            return r.clone();
        }
        let mut out = HashMap::default();
        let mut dirs: Vec<String> = Vec::new();
        for pom in chain {
            for m in pom
                .raw
                .sections()
                .into_iter()
                .flat_map(|s| s.modules.iter())
            {
                let m = m.trim().replace('\\', "/");
                if m.starts_with('/') || m.get(1..2) == Some(":") {
                    continue;
                }
                let file = if m.ends_with(".xml") {
                    m
                } else {
                    format!("{}/pom.xml", m.trim_end_matches('/'))
                };
                let path = join_path(pom.dir(), &file);
                if !dirs.contains(&path) {
                    dirs.push(path);
                }
            }
        }
        for path in dirs {
            if self.modules_read >= MAX_MODULES {
                self.warn(
                    None,
                    format!("more than {MAX_MODULES} module POMs; the rest were not read"),
                );
                break;
            }
            self.modules_read += 1;
            if let Some(pom) = self.load(&path) {
                let key = format!("{}:{}", pom.raw.group(), pom.raw.artifact());
                out.entry(key).or_insert(pom);
            }
        }
        self.reactor = Some(out.clone());
        out
    }
}

/// A parent or BOM that is not in the tree.
#[derive(Debug, Clone)]
struct External {
    name: String,
    version: String,
    display: String,
    line: u32,
    role: &'static str,
}

impl External {
    fn coords(&self) -> String {
        format!("{}:{}", self.name, self.version)
    }
}

// ---------------------------------------------------------------------------
// Effective model

type Val = Result<String, Unresolved>;

#[derive(Debug, Clone)]
struct Managed {
    version: Option<Val>,
    scope: Option<String>,
}

/// Result of resolving one POM.
struct Outcome {
    group: String,
    artifact: String,
    version: String,
    packages: PackageSet,
    direct: Vec<String>,
}

/// The effective context of one POM: its parent chain, properties and
/// managed versions.
struct Resolver {
    chain: Vec<Rc<Pom>>,
    external_parent: Option<External>,
    props: Rc<HashMap<String, String>>,
    managed: HashMap<String, Managed>,
    imported: HashMap<String, Managed>,
    external_boms: Vec<External>,
    /// Parents and BOMs outside the tree reached through BOMs in the tree
    /// (named in messages, not reported as packages).
    indirect: Vec<External>,
}

fn props_of(chain: &[Rc<Pom>]) -> HashMap<String, String> {
    let mut props: HashMap<String, String> = HashMap::default();
    for pom in chain.iter().rev() {
        // Body first, then the profiles that override it.
        for sec in pom.raw.sections().into_iter().rev() {
            for (k, v) in &sec.properties {
                props.insert(k.clone(), v.clone());
            }
        }
    }
    if let Some(me) = chain.first() {
        let raw = &me.raw;
        let mut builtin = |keys: &[&str], v: &str| {
            for k in keys {
                props.insert((*k).to_string(), v.to_string());
            }
        };
        builtin(&["project.groupId", "pom.groupId", "groupId"], raw.group());
        builtin(
            &["project.artifactId", "pom.artifactId", "artifactId"],
            raw.artifact(),
        );
        builtin(
            &["project.version", "pom.version", "version"],
            raw.version(),
        );
        builtin(
            &["project.packaging"],
            raw.packaging.as_deref().unwrap_or("jar"),
        );
        builtin(&["project.basedir", "basedir"], ".");
        if let Some(p) = &raw.parent {
            builtin(&["project.parent.groupId", "parent.groupId"], &p.group_id);
            builtin(
                &["project.parent.artifactId", "parent.artifactId"],
                &p.artifact_id,
            );
            builtin(&["project.parent.version", "parent.version"], &p.version);
        }
    }
    props
}

fn interp_for(props: Rc<HashMap<String, String>>) -> Interp<impl Fn(&str) -> Option<String>> {
    Interp::new(Syntax::Dollar, move |n: &str| props.get(n).cloned())
}

fn is_import(d: &RawDep) -> bool {
    d.scope.as_deref() == Some("import")
}

impl Resolver {
    fn new(loader: &mut Loader, me: Rc<Pom>, bom_depth: usize) -> Resolver {
        let (chain, external_parent) = loader.chain(me);
        let props = Rc::new(props_of(&chain));
        let mut r = Resolver {
            chain,
            external_parent,
            props: props.clone(),
            managed: HashMap::default(),
            imported: HashMap::default(),
            external_boms: Vec::new(),
            indirect: Vec::new(),
        };
        let mut interp = interp_for(props);
        let chain = r.chain.clone();
        // Explicit entries: nearest POM first; active profiles before the
        // main section (they are merged over it).
        let mut imports: Vec<(Rc<Pom>, RawDep)> = Vec::new();
        for pom in &chain {
            for d in pom
                .raw
                .sections()
                .into_iter()
                .flat_map(|s| s.dep_mgmt.iter())
            {
                if is_import(d) {
                    imports.push((pom.clone(), d.clone()));
                    continue;
                }
                if let Some((key, m)) = managed_entry(&mut interp, d) {
                    r.managed.entry(key).or_insert(m);
                }
            }
        }
        for (pom, d) in imports {
            r.import_bom(loader, &mut interp, &pom, &d, bom_depth);
        }
        r
    }

    /// Merge the managed versions of an imported BOM, when it is in the tree.
    fn import_bom(
        &mut self,
        loader: &mut Loader,
        interp: &mut Interp<impl Fn(&str) -> Option<String>>,
        from: &Pom,
        d: &RawDep,
        bom_depth: usize,
    ) {
        let g = or_raw(interp, &d.group_id);
        let a = or_raw(interp, &d.artifact_id);
        let v = d.version.as_deref().map(|v| interp.resolve(v));
        let version_text = match &v {
            Some(Ok(v)) => v.clone(),
            Some(Err(_)) | None => d.version.clone().unwrap_or_default(),
        };
        let external = External {
            name: format!("{g}:{a}"),
            version: version_text.clone(),
            display: from.display.clone(),
            line: d.line,
            role: "BOM",
        };
        if bom_depth >= MAX_BOM_DEPTH {
            loader.warn(
                None,
                format!(
                    "{}: BOM imports nested more than {MAX_BOM_DEPTH} deep; {} not read",
                    from.display,
                    external.coords()
                ),
            );
            self.external_boms.push(external);
            return;
        }
        let chain = self.chain.clone();
        let reactor = loader.reactor(&chain);
        let ga = format!("{g}:{a}");
        let Some(bom) = reactor.get(&ga).cloned() else {
            self.external_boms.push(external);
            return;
        };
        if loader.importing.contains(&ga) {
            // Imported again while being imported (through its parent):
            // nothing new to learn.
            return;
        }
        loader.importing.push(ga);
        let bom_resolver = Resolver::new(loader, bom.clone(), bom_depth + 1);
        loader.importing.pop();
        let mut bom_interp = interp_for(bom_resolver.props.clone());
        if let (Some(Ok(want)), Ok(have)) = (&v, bom_interp.resolve(bom.raw.version()))
            && *want != have
        {
            loader.warn(
                None,
                format!(
                    "{}: imports BOM {g}:{a}:{want} but {} is version {have}; not used",
                    from.display, bom.display
                ),
            );
            self.external_boms.push(external);
            return;
        }
        for (k, m) in bom_resolver
            .managed
            .into_iter()
            .chain(bom_resolver.imported)
        {
            self.imported.entry(k).or_insert(m);
        }
        self.indirect.extend(bom_resolver.external_boms);
        self.indirect.extend(bom_resolver.indirect);
        if let Some(p) = bom_resolver.external_parent {
            self.indirect.push(p);
        }
    }

    fn managed_for(&self, key: &str) -> Option<&Managed> {
        self.managed.get(key).or_else(|| self.imported.get(key))
    }

    /// Coordinates of what manages versions outside the tree.
    fn externals(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .external_parent
            .iter()
            .chain(&self.external_boms)
            .chain(&self.indirect)
            .map(|e| format!("{} {}", e.role, e.coords()))
            .collect();
        let mut seen = HashSet::default();
        v.retain(|e| seen.insert(e.clone()));
        v
    }

    fn run(self, loader: &mut Loader) -> Outcome {
        let me = self.chain[0].clone();
        let mut interp = interp_for(self.props.clone());
        let mut packages = PackageSet::new();
        let mut direct: Vec<String> = Vec::new();

        let group = self.resolve_or_raw(&mut interp, me.raw.group(), loader, me.raw.line);
        let artifact = me.raw.artifact().to_string();
        let version = self.resolve_or_raw(&mut interp, me.raw.version(), loader, me.raw.line);

        // Effective dependencies: nearest POM wins for the same key.
        let mut seen: HashSet<String> = HashSet::default();
        let chain = self.chain.clone();
        let mut state = DepState::default();
        for pom in &chain {
            for d in pom.raw.sections().into_iter().flat_map(|s| s.deps.iter()) {
                if let Some(p) =
                    self.dependency(&mut interp, loader, &mut state, pom, d, &mut seen, false)
                {
                    direct.push(packages.insert(p));
                }
            }
        }
        // Profiles that are not active by default: their own properties and
        // managed versions apply; scope at most optional.
        for profile in me.raw.profiles.iter().filter(|p| !p.active_by_default) {
            let profile = &profile.body;
            if profile.deps.is_empty() {
                continue;
            }
            let mut props = (*self.props).clone();
            for (k, v) in &profile.properties {
                props.insert(k.clone(), v.clone());
            }
            let mut pinterp = interp_for(Rc::new(props));
            let mut sub = Resolver {
                chain: self.chain.clone(),
                external_parent: self.external_parent.clone(),
                props: self.props.clone(),
                managed: HashMap::default(),
                imported: self.imported.clone(),
                external_boms: self.external_boms.clone(),
                indirect: self.indirect.clone(),
            };
            for d in profile.dep_mgmt.iter().filter(|d| !is_import(d)) {
                if let Some((key, m)) = managed_entry(&mut pinterp, d) {
                    sub.managed.entry(key).or_insert(m);
                }
            }
            for (k, m) in &self.managed {
                sub.managed.entry(k.clone()).or_insert_with(|| m.clone());
            }
            let mut pseen = HashSet::default();
            for d in &profile.deps {
                if let Some(p) =
                    sub.dependency(&mut pinterp, loader, &mut state, &me, d, &mut pseen, true)
                {
                    direct.push(packages.insert(p));
                }
            }
        }

        // This POM's own managed-only entries, the external parent and
        // BOM imports that are not in the tree.
        for d in me
            .raw
            .sections()
            .into_iter()
            .flat_map(|s| s.dep_mgmt.iter())
        {
            if is_import(d) {
                continue;
            }
            let Ok(c) = coords(&mut interp, d) else {
                loader.warn(
                    Some(d.line),
                    format!(
                        "dependencyManagement entry `{}:{}` skipped: groupId/artifactId missing or unresolved",
                        d.group_id, d.artifact_id
                    ),
                );
                continue;
            };
            if state.used_keys.contains(&c.key) {
                continue;
            }
            let p = match d.version.as_deref().map(|v| interp.resolve(v)) {
                Some(Ok(v)) => c.package(&v),
                Some(Err(e)) => {
                    loader.warn(
                        Some(d.line),
                        format!("{}: managed version unresolved: {e}", c.name),
                    );
                    c.unresolved(format!("unresolved: {}", unresolved_text(&e)))
                }
                None => continue,
            };
            let scope = scope_of(d.scope.as_deref(), None, loader, d.line).0;
            packages.insert(
                p.with_scope(scope)
                    .with_relation(Relation::Unknown)
                    .with_location(&me.display, Some(d.line)),
            );
        }
        let mut externals: Vec<External> = self.external_parent.iter().cloned().collect();
        externals.extend(self.external_boms.iter().cloned());
        for e in externals {
            let Some((g, a)) = e.name.split_once(':') else {
                continue;
            };
            if g.is_empty() || a.is_empty() {
                loader.warn(
                    Some(e.line).filter(|_| e.display == me.display),
                    format!("{} without groupId/artifactId skipped", e.role),
                );
                continue;
            }
            let p = match interp.resolve(&e.version) {
                Ok(v) if !v.is_empty() => versioned(g, a, &v, Some("pom"), None),
                _ => unresolved(
                    g,
                    a,
                    Some("pom"),
                    None,
                    format!("unresolved: {}", e.version),
                ),
            };
            direct.push(
                packages.insert(
                    p.with_scope(Scope::Build)
                        .with_relation(Relation::Direct)
                        .with_location(&e.display, Some(e.line)),
                ),
            );
        }
        direct.sort();
        direct.dedup();
        Outcome {
            group,
            artifact,
            version,
            packages,
            direct,
        }
    }

    fn resolve_or_raw(
        &self,
        interp: &mut Interp<impl Fn(&str) -> Option<String>>,
        s: &str,
        loader: &mut Loader,
        line: u32,
    ) -> String {
        match interp.resolve(s) {
            Ok(v) => v,
            Err(e) => {
                loader.warn(
                    Some(line),
                    format!("project coordinate `{s}` unresolved: {e}"),
                );
                s.to_string()
            }
        }
    }

    /// One `<dependency>` of the effective model, as a package.
    #[allow(clippy::too_many_arguments)]
    fn dependency(
        &self,
        interp: &mut Interp<impl Fn(&str) -> Option<String>>,
        loader: &mut Loader,
        state: &mut DepState,
        from: &Pom,
        d: &RawDep,
        seen: &mut HashSet<String>,
        in_profile: bool,
    ) -> Option<Package> {
        let here = from.rel.is_empty();
        let wline = Some(d.line).filter(|_| here);
        let where_ = if here {
            String::new()
        } else {
            format!("{}:{}: ", from.display, d.line)
        };
        let c = match coords(interp, d) {
            Ok(c) => c,
            Err(why) => {
                let why = why
                    .map(|e| e.to_string())
                    .unwrap_or_else(|| "groupId/artifactId missing".into());
                loader.warn(
                    wline,
                    format!(
                        "{where_}dependency `{}:{}` skipped: {why}",
                        d.group_id, d.artifact_id
                    ),
                );
                return None;
            }
        };
        if !seen.insert(c.key.clone()) {
            // Overridden by a nearer POM (or repeated).
            return None;
        }
        state.used_keys.insert(c.key.clone());
        let managed = self.managed_for(&c.key);
        let raw_scope = d
            .scope
            .as_deref()
            .or(managed.and_then(|m| m.scope.as_deref()))
            .map(|s| or_raw(interp, s));
        let optional = d
            .optional
            .as_deref()
            .is_some_and(|o| or_raw(interp, o).trim().eq_ignore_ascii_case("true"));
        let version: Option<Val> = match &d.version {
            Some(v) => Some(interp.resolve(v)),
            None => managed.and_then(|m| m.version.clone()),
        };
        let name = &c.name;
        let mut p = match version {
            Some(Ok(v)) if !v.is_empty() => c.package(&v),
            Some(Err(e)) => {
                let mut spec = format!("unresolved: {}", unresolved_text(&e));
                // Only a parent passes properties on (not a BOM import).
                if let (Unresolved::Missing(n), Some(parent)) = (&e, &self.external_parent)
                    && !n.starts_with("env.")
                {
                    spec.push_str(&format!(" (may be defined by parent {})", parent.coords()));
                }
                loader.warn(wline, format!("{where_}{name}: version unresolved: {e}"));
                c.unresolved(spec)
            }
            Some(Ok(_)) | None => {
                let ext = self.externals();
                let spec = if ext.is_empty() {
                    "unresolved: no version declared or managed in this tree".to_string()
                } else {
                    format!("unresolved: managed by {}", ext.join(", "))
                };
                loader.warn(
                    wline,
                    format!(
                        "{where_}{name}: no version declared or managed in this tree ({})",
                        spec.trim_start_matches("unresolved: ")
                    ),
                );
                c.unresolved(spec)
            }
        };
        let (scope, system) = scope_of(raw_scope.as_deref(), Some(optional), loader, d.line);
        p.scope = if in_profile {
            scope.min(Scope::Optional)
        } else {
            scope
        };
        p.relation = Relation::Direct;
        if system {
            p.resolution = Resolution::Path {
                path: d
                    .system_path
                    .as_deref()
                    .map(|s| or_raw(interp, s))
                    .unwrap_or_default(),
            };
        } else if p.resolution.is_exact() && self.chain.iter().any(|m| m.raw.group() == c.group) {
            // A module of the same tree is a local project, not a registry
            // package.
            let reactor = state
                .reactor
                .get_or_insert_with(|| loader.reactor(&self.chain));
            if let Some(m) = reactor.get(name.as_str()) {
                p.resolution = Resolution::Path {
                    path: dir_of(&m.display).to_string(),
                };
            }
        }
        Some(p.with_location(&from.display, Some(d.line)))
    }
}

/// What dependencies resolved so far share.
#[derive(Default)]
struct DepState {
    /// Modules of the tree, read on first need.
    reactor: Option<HashMap<String, Rc<Pom>>>,
    /// Management keys used by a dependency.
    used_keys: HashSet<String>,
}

/// Interpolated, or as written when it cannot be.
fn or_raw(interp: &mut Interp<impl Fn(&str) -> Option<String>>, s: &str) -> String {
    interp.resolve(s).unwrap_or_else(|_| s.to_string())
}

/// Interpolated coordinates of a dependency and its management key.
struct Coords {
    group: String,
    artifact: String,
    name: String,
    type_: Option<String>,
    classifier: Option<String>,
    key: String,
}

impl Coords {
    fn package(&self, version: &str) -> Package {
        versioned(
            &self.group,
            &self.artifact,
            version,
            self.type_.as_deref(),
            self.classifier.as_deref(),
        )
    }

    fn unresolved(&self, spec: String) -> Package {
        unresolved(
            &self.group,
            &self.artifact,
            self.type_.as_deref(),
            self.classifier.as_deref(),
            spec,
        )
    }
}

/// `Err(None)`: groupId or artifactId missing.
fn coords(
    interp: &mut Interp<impl Fn(&str) -> Option<String>>,
    d: &RawDep,
) -> Result<Coords, Option<Unresolved>> {
    let group = interp.resolve(&d.group_id).map_err(Some)?;
    let artifact = interp.resolve(&d.artifact_id).map_err(Some)?;
    if group.is_empty() || artifact.is_empty() {
        return Err(None);
    }
    let type_ = d.type_.as_deref().map(|t| or_raw(interp, t));
    let classifier = d.classifier.as_deref().map(|t| or_raw(interp, t));
    let key = format!(
        "{group}:{artifact}:{}:{}",
        type_.as_deref().unwrap_or("jar"),
        classifier.as_deref().unwrap_or("")
    );
    Ok(Coords {
        name: format!("{group}:{artifact}"),
        group,
        artifact,
        type_,
        classifier,
        key,
    })
}

fn unresolved_text(e: &Unresolved) -> String {
    match e {
        Unresolved::Missing(n) | Unresolved::Cycle(n) => format!("${{{n}}}"),
        other => other.to_string(),
    }
}

/// A managed entry under its key, interpolated in the given context.
fn managed_entry(
    interp: &mut Interp<impl Fn(&str) -> Option<String>>,
    d: &RawDep,
) -> Option<(String, Managed)> {
    let c = coords(interp, d).ok()?;
    let m = Managed {
        version: d.version.as_deref().map(|v| interp.resolve(v)),
        scope: d.scope.clone(),
    };
    Some((c.key, m))
}

/// Scope of a Maven dependency scope (and `optional`); the flag says
/// whether it is a `system` dependency.
fn scope_of(
    scope: Option<&str>,
    optional: Option<bool>,
    loader: &mut Loader,
    line: u32,
) -> (Scope, bool) {
    let (s, system) = match scope.map(str::trim).unwrap_or("compile") {
        "" | "compile" | "runtime" => (Scope::Runtime, false),
        "test" => (Scope::Dev, false),
        "provided" => (Scope::Build, false),
        "system" => (Scope::Build, true),
        other => {
            loader.warn(
                Some(line),
                format!("unknown dependency scope `{other}`, taken as compile"),
            );
            (Scope::Runtime, false)
        }
    };
    let s = if optional == Some(true) && s == Scope::Runtime {
        Scope::Optional
    } else {
        s
    };
    (s, system)
}

/// A Maven package; `type` and `classifier` become purl qualifiers when
/// they are not the defaults.
fn maven_package(
    g: &str,
    a: &str,
    version: &str,
    ty: Option<&str>,
    classifier: Option<&str>,
) -> Package {
    let mut p = Package::new(Ecosystem::MAVEN, format!("{g}:{a}"), version);
    let quals: Vec<(&str, &str)> = [("classifier", classifier), ("type", ty)]
        .into_iter()
        .filter_map(|(k, v)| {
            v.filter(|v| !(v.is_empty() || (k == "type" && *v == "jar")))
                .map(|v| (k, v))
        })
        .collect();
    if quals.is_empty() {
        return p;
    }
    let Ok(mut purl) = packageurl::PackageUrl::new("maven", a) else {
        return p;
    };
    if !g.is_empty() {
        purl.with_namespace(g);
    }
    if !version.is_empty() {
        purl.with_version(version);
    }
    for (k, v) in quals {
        // Keys are fixed and valid; a failure would only drop a qualifier.
        let _ = purl.add_qualifier(k, v);
    }
    p.purl = purl.to_string();
    p.id = p.purl.clone();
    p
}

/// A package with a resolved version string: exact, `[x]` (exact), or a
/// range / meta version (requirement).
fn versioned(g: &str, a: &str, v: &str, ty: Option<&str>, classifier: Option<&str>) -> Package {
    let v = v.trim();
    if let Some(inner) = v.strip_prefix('[').and_then(|s| s.strip_suffix(']'))
        && !inner.contains(',')
        && !inner.trim().is_empty()
    {
        return maven_package(g, a, inner.trim(), ty, classifier);
    }
    let is_range = v.starts_with('[') || v.starts_with('(') || v.contains(',');
    if is_range || v == "LATEST" || v == "RELEASE" {
        return unresolved(g, a, ty, classifier, v.to_string());
    }
    maven_package(g, a, v, ty, classifier)
}

fn unresolved(
    g: &str,
    a: &str,
    ty: Option<&str>,
    classifier: Option<&str>,
    spec: String,
) -> Package {
    let mut p = maven_package(g, a, "", ty, classifier);
    p.resolution = Resolution::Requirement { spec };
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse_str(text: &str) -> Parsed {
        parse(&Input::new("app/pom.xml", text)).unwrap()
    }

    fn find<'a>(p: &'a Parsed, name: &str) -> &'a Package {
        p.source
            .packages
            .iter()
            .find(|x| x.name == name)
            .unwrap_or_else(|| panic!("{name} not found in {:?}", p.source.packages))
    }

    const BASIC: &str = r#"<?xml version="1.0"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.example</groupId>
  <artifactId>app</artifactId>
  <version>${revision}</version>
  <properties>
    <revision>1.2.0</revision>
    <lib.version>2.${minor}</lib.version>
    <minor>5</minor>
    <loop.a>${loop.b}</loop.a>
    <loop.b>${loop.a}</loop.b>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>org.lib</groupId>
        <artifactId>managed</artifactId>
        <version>3.1</version>
        <scope>test</scope>
      </dependency>
      <dependency>
        <groupId>org.lib</groupId>
        <artifactId>only-managed</artifactId>
        <version>${lib.version}</version>
      </dependency>
      <dependency>
        <groupId>org.bom</groupId>
        <artifactId>some-bom</artifactId>
        <version>7</version>
        <type>pom</type>
        <scope>import</scope>
      </dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>org.lib</groupId>
      <artifactId>lib</artifactId>
      <version>${lib.version}</version>
    </dependency>
    <dependency>
      <groupId>org.lib</groupId>
      <artifactId>managed</artifactId>
    </dependency>
    <dependency>
      <groupId>org.lib</groupId>
      <artifactId>range</artifactId>
      <version>[1.0,2.0)</version>
      <optional>true</optional>
    </dependency>
    <dependency>
      <groupId>org.lib</groupId>
      <artifactId>pinned</artifactId>
      <version>[1.5]</version>
      <scope>provided</scope>
    </dependency>
    <dependency>
      <groupId>${project.groupId}</groupId>
      <artifactId>self-ver</artifactId>
      <version>${project.version}</version>
      <classifier>tests</classifier>
      <type>test-jar</type>
      <scope>test</scope>
      <exclusions><exclusion><groupId>x</groupId><artifactId>y</artifactId></exclusion></exclusions>
    </dependency>
    <dependency>
      <groupId>com.sun</groupId>
      <artifactId>tools</artifactId>
      <version>1.8</version>
      <scope>system</scope>
      <systemPath>${basedir}/lib/tools.jar</systemPath>
    </dependency>
    <dependency>
      <groupId>org.lib</groupId>
      <artifactId>cyclic</artifactId>
      <version>${loop.a}</version>
    </dependency>
    <dependency>
      <groupId>org.lib</groupId>
      <artifactId>env</artifactId>
      <version>${env.LIB_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.lib</groupId>
      <artifactId>unmanaged</artifactId>
    </dependency>
  </dependencies>
  <profiles>
    <profile>
      <id>extra</id>
      <properties><extra.version>9.9</extra.version></properties>
      <dependencies>
        <dependency>
          <groupId>org.extra</groupId>
          <artifactId>extra</artifactId>
          <version>${extra.version}</version>
        </dependency>
      </dependencies>
    </profile>
    <profile>
      <id>default</id>
      <activation><activeByDefault>true</activeByDefault></activation>
      <dependencies>
        <dependency>
          <groupId>org.extra</groupId>
          <artifactId>always</artifactId>
          <version>1</version>
          <scope>runtime</scope>
        </dependency>
      </dependencies>
    </profile>
  </profiles>
</project>
"#;

    #[test]
    fn basic_features() {
        let p = parse_str(BASIC);
        let s = &p.source;
        assert_eq!(s.format_version.as_deref(), Some("4.0.0"));
        assert_eq!(s.roots.len(), 1);
        assert_eq!(s.roots[0].name, "org.example:app");
        assert_eq!(s.roots[0].version, "1.2.0");

        let lib = find(&p, "org.lib:lib");
        assert_eq!(lib.version, "2.5");
        assert_eq!(lib.purl, "pkg:maven/org.lib/lib@2.5");
        assert_eq!(lib.line(), Some(37));
        assert_eq!(lib.relation, Relation::Direct);
        assert_eq!(lib.scope, Scope::Runtime);
        assert!(s.roots[0].dependencies.contains(&lib.id));

        let managed = find(&p, "org.lib:managed");
        assert_eq!(managed.version, "3.1");
        assert_eq!(managed.scope, Scope::Dev, "scope comes from management");
        assert_eq!(managed.line(), Some(42));

        let range = find(&p, "org.lib:range");
        assert_eq!(range.version, "");
        assert_eq!(
            range.resolution,
            Resolution::Requirement {
                spec: "[1.0,2.0)".into()
            }
        );
        assert_eq!(range.scope, Scope::Optional);

        let pinned = find(&p, "org.lib:pinned");
        assert_eq!(pinned.version, "1.5");
        assert!(pinned.resolution.is_exact());
        assert_eq!(pinned.scope, Scope::Build);

        let tj = find(&p, "org.example:self-ver");
        assert_eq!(tj.version, "1.2.0");
        assert_eq!(
            tj.purl,
            "pkg:maven/org.example/self-ver@1.2.0?classifier=tests&type=test-jar"
        );
        assert_eq!(tj.scope, Scope::Dev);

        let tools = find(&p, "com.sun:tools");
        assert_eq!(
            tools.resolution,
            Resolution::Path {
                path: "./lib/tools.jar".into()
            }
        );
        assert_eq!(tools.version, "1.8");

        let cyc = find(&p, "org.lib:cyclic");
        assert!(
            matches!(&cyc.resolution, Resolution::Requirement { spec } if spec.starts_with("unresolved"))
        );
        let env = find(&p, "org.lib:env");
        assert_eq!(
            env.resolution,
            Resolution::Requirement {
                spec: "unresolved: ${env.LIB_VERSION}".into()
            }
        );
        assert_eq!(env.version, "");

        // The BOM is not in the tree: it manages `unmanaged` (maybe).
        let un = find(&p, "org.lib:unmanaged");
        assert_eq!(
            un.resolution,
            Resolution::Requirement {
                spec: "unresolved: managed by BOM org.bom:some-bom:7".into()
            }
        );
        let bom = find(&p, "org.bom:some-bom");
        assert_eq!(bom.purl, "pkg:maven/org.bom/some-bom@7?type=pom");
        assert_eq!(bom.scope, Scope::Build);
        assert_eq!(bom.relation, Relation::Direct);

        let only = find(&p, "org.lib:only-managed");
        assert_eq!(only.version, "2.5");
        assert_eq!(only.relation, Relation::Unknown);
        assert!(!s.roots[0].dependencies.contains(&only.id));

        let extra = find(&p, "org.extra:extra");
        assert_eq!(extra.version, "9.9");
        assert_eq!(extra.scope, Scope::Optional);
        let always = find(&p, "org.extra:always");
        assert_eq!(always.scope, Scope::Runtime);

        // Warnings name the unresolved ones with their lines.
        for name in ["org.lib:cyclic", "org.lib:env", "org.lib:unmanaged"] {
            assert!(
                p.warnings
                    .iter()
                    .any(|w| w.message.contains(name) && w.line.is_some()),
                "{name}: {:?}",
                p.warnings
            );
        }
        assert_eq!(s.packages.len(), 13);
    }

    #[test]
    fn external_parent_manages_versions() {
        let t = r#"<project>
  <parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
    <version>3.1.5</version>
    <relativePath/>
  </parent>
  <artifactId>demo</artifactId>
  <dependencies>
    <dependency>
      <groupId>org.springframework.boot</groupId>
      <artifactId>spring-boot-starter-web</artifactId>
    </dependency>
  </dependencies>
</project>"#;
        let p = parse_str(t);
        assert_eq!(p.source.roots[0].name, "org.springframework.boot:demo");
        assert_eq!(p.source.roots[0].version, "3.1.5");
        let web = find(&p, "org.springframework.boot:spring-boot-starter-web");
        assert_eq!(web.version, "");
        assert_eq!(
            web.resolution,
            Resolution::Requirement {
                spec: "unresolved: managed by parent org.springframework.boot:spring-boot-starter-parent:3.1.5".into()
            }
        );
        let parent = find(&p, "org.springframework.boot:spring-boot-starter-parent");
        assert_eq!(parent.version, "3.1.5");
        assert_eq!(parent.line(), Some(2));
        assert_eq!(parent.scope, Scope::Build);
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        assert_eq!(p.warnings[0].line, Some(10));
    }

    fn write(dir: &Path, rel: &str, text: &str) {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn parse_file(dir: &Path, rel: &str) -> Parsed {
        let path = dir.join(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        parse(&Input::new(rel, &text).with_fs_path(&path)).unwrap()
    }

    #[test]
    fn parents_boms_and_modules_in_the_tree() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        write(
            d,
            "pom.xml",
            r#"<project>
  <parent>
    <groupId>org.ext</groupId><artifactId>ext-parent</artifactId><version>5</version>
  </parent>
  <groupId>org.acme</groupId><artifactId>root</artifactId><version>2.0</version>
  <packaging>pom</packaging>
  <modules><module>bom</module><module>core</module><module>app</module></modules>
  <properties><jackson.version>2.15.0</jackson.version><junit.version>5.9</junit.version></properties>
  <dependencyManagement><dependencies>
    <dependency><groupId>org.acme</groupId><artifactId>bom</artifactId><version>${project.version}</version><type>pom</type><scope>import</scope></dependency>
    <dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-databind</artifactId><version>${jackson.version}</version></dependency>
  </dependencies></dependencyManagement>
  <dependencies>
    <dependency><groupId>org.junit</groupId><artifactId>junit</artifactId><version>${junit.version}</version><scope>test</scope></dependency>
  </dependencies>
</project>"#,
        );
        write(
            d,
            "bom/pom.xml",
            r#"<project>
  <parent><groupId>org.acme</groupId><artifactId>root</artifactId><version>2.0</version></parent>
  <artifactId>bom</artifactId><packaging>pom</packaging>
  <properties><guava.version>33.0-jre</guava.version></properties>
  <dependencyManagement><dependencies>
    <dependency><groupId>com.google.guava</groupId><artifactId>guava</artifactId><version>${guava.version}</version></dependency>
  </dependencies></dependencyManagement>
</project>"#,
        );
        write(
            d,
            "core/pom.xml",
            r#"<project>
  <parent><groupId>org.acme</groupId><artifactId>root</artifactId><version>2.0</version></parent>
  <artifactId>core</artifactId>
</project>"#,
        );
        write(
            d,
            "app/pom.xml",
            r#"<project>
  <parent>
    <groupId>org.acme</groupId>
    <artifactId>root</artifactId>
    <version>2.0</version>
  </parent>
  <artifactId>app</artifactId>
  <properties><junit.version>5.10</junit.version></properties>
  <dependencies>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
    </dependency>
    <dependency>
      <groupId>com.google.guava</groupId>
      <artifactId>guava</artifactId>
    </dependency>
    <dependency>
      <groupId>org.acme</groupId>
      <artifactId>core</artifactId>
      <version>${project.version}</version>
    </dependency>
    <dependency>
      <groupId>org.other</groupId>
      <artifactId>other</artifactId>
    </dependency>
  </dependencies>
</project>"#,
        );
        let p = parse_file(d, "app/pom.xml");
        assert_eq!(p.source.roots[0].name, "org.acme:app");
        assert_eq!(p.source.roots[0].version, "2.0");
        let jd = find(&p, "com.fasterxml.jackson.core:jackson-databind");
        assert_eq!(jd.version, "2.15.0");
        assert_eq!(jd.line(), Some(10));
        let guava = find(&p, "com.google.guava:guava");
        assert_eq!(guava.version, "33.0-jre", "from the BOM in the tree");
        let core = find(&p, "org.acme:core");
        assert_eq!(core.version, "2.0");
        assert_eq!(
            core.resolution,
            Resolution::Path {
                path: "core".into()
            }
        );
        // Inherited from the parent, with the child's property value and
        // the parent's location.
        let junit = find(&p, "org.junit:junit");
        assert_eq!(junit.version, "5.10");
        assert_eq!(junit.scope, Scope::Dev);
        assert_eq!(junit.locations[0].path, "pom.xml");
        assert_eq!(junit.locations[0].line, Some(14));
        // Managed by the external grand-parent.
        let other = find(&p, "org.other:other");
        assert_eq!(
            other.resolution,
            Resolution::Requirement {
                spec: "unresolved: managed by parent org.ext:ext-parent:5".into()
            }
        );
        let ext = find(&p, "org.ext:ext-parent");
        assert_eq!(ext.locations[0].path, "pom.xml");
        assert_eq!(ext.locations[0].line, Some(2));
        // Managed-only entries of the parent are not repeated in the child.
        assert_eq!(p.source.packages.len(), 6, "{:#?}", p.source.packages);

        // The root POM itself: the BOM is its own module.
        let r = parse_file(d, "pom.xml");
        let jd = find(&r, "com.fasterxml.jackson.core:jackson-databind");
        assert_eq!(jd.relation, Relation::Unknown);
        assert!(r.source.packages.iter().all(|x| x.name != "org.acme:bom"));
    }

    #[test]
    fn wrong_parent_and_loops() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        write(
            d,
            "pom.xml",
            "<project><groupId>x</groupId><artifactId>aggregator</artifactId><version>1</version></project>",
        );
        write(
            d,
            "a/pom.xml",
            "<project><parent><groupId>x</groupId><artifactId>parent</artifactId><version>1</version></parent><artifactId>a</artifactId>\n<dependencies><dependency><groupId>g</groupId><artifactId>d</artifactId></dependency></dependencies></project>",
        );
        let p = parse_file(d, "a/pom.xml");
        let dep = find(&p, "g:d");
        assert_eq!(
            dep.resolution,
            Resolution::Requirement {
                spec: "unresolved: managed by parent x:parent:1".into()
            }
        );
        // A loop of parents pointing at each other.
        write(
            d,
            "l1/pom.xml",
            "<project><parent><groupId>x</groupId><artifactId>l2</artifactId><version>1</version><relativePath>../l2</relativePath></parent><artifactId>l1</artifactId></project>",
        );
        write(
            d,
            "l2/pom.xml",
            "<project><parent><groupId>x</groupId><artifactId>l1</artifactId><version>1</version><relativePath>../l1/pom.xml</relativePath></parent><artifactId>l2</artifactId></project>",
        );
        let p = parse_file(d, "l1/pom.xml");
        assert_eq!(p.source.roots[0].name, "x:l1");
    }

    #[test]
    fn bad_input() {
        for t in [
            "",
            "<notpom/>",
            "<project><dependencies>",
            "<project><a></b></project>",
            "not xml at all",
        ] {
            assert!(parse(&Input::new("pom.xml", t)).is_err(), "{t:?}");
        }
        let deep = format!("<project>{}</project>", "<x>".repeat(200));
        assert!(parse(&Input::new("pom.xml", &deep)).is_err());
        // Entities are not expanded.
        let bomb = "<!DOCTYPE project [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;\">]>\n<project><groupId>g</groupId><artifactId>x</artifactId><version>&b;</version></project>";
        let p = parse(&Input::new("pom.xml", bomb)).unwrap();
        assert_eq!(p.source.roots[0].version, "&b;");
        // Odd dependencies are skipped with a warning.
        let odd = "<project><artifactId>x</artifactId><dependencies><dependency><version>1</version></dependency></dependencies></project>";
        let p = parse(&Input::new("pom.xml", odd)).unwrap();
        assert!(p.source.packages.is_empty());
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.source.roots[0].name, "x");
    }
}
