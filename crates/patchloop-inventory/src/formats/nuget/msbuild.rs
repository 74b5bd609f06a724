//! MSBuild project files (`*.csproj`, `*.fsproj`, `*.vbproj`) and central
//! package management (`Directory.Packages.props`): `PackageReference`,
//! `PackageVersion`, `GlobalPackageReference` and `ProjectReference`
//! items, with `$(Property)` versions resolved from `PropertyGroup`s.

use crate::fxhash::HashMap;
use std::rc::Rc;

use patchloop_model::{Ecosystem, Package, Relation, Resolution, Root, Scope, SourceFile};

use super::package_for_version;
use crate::error::ParseError;
use crate::formats::common::PackageSet;
use crate::formats::maven::interp::{Interp, Syntax, Unresolved};
use crate::formats::maven::related::{dir_of, file_stem, join_path};
use crate::formats::maven::xml::{self, XmlEvent, attr};
use crate::input::{Input, ParseResult, Parsed};

/// Most directories walked up looking for `Directory.Packages.props`.
const MAX_PROPS_LEVELS: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    PackageReference,
    PackageVersion,
    GlobalPackageReference,
    ProjectReference,
}

impl Kind {
    fn of(element: &str) -> Option<Kind> {
        [
            ("PackageReference", Kind::PackageReference),
            ("PackageVersion", Kind::PackageVersion),
            ("GlobalPackageReference", Kind::GlobalPackageReference),
            ("ProjectReference", Kind::ProjectReference),
        ]
        .into_iter()
        .find(|(n, _)| element.eq_ignore_ascii_case(n))
        .map(|(_, k)| k)
    }
}

#[derive(Debug, Clone, Default)]
struct Meta {
    version: Option<String>,
    version_override: Option<String>,
    private_assets: Option<String>,
    include_assets: Option<String>,
}

impl Meta {
    fn set(&mut self, key: &str, value: &str) {
        let v = Some(value.trim().to_string());
        if key.eq_ignore_ascii_case("Version") {
            self.version = v;
        } else if key.eq_ignore_ascii_case("VersionOverride") {
            self.version_override = v;
        } else if key.eq_ignore_ascii_case("PrivateAssets") {
            self.private_assets = v;
        } else if key.eq_ignore_ascii_case("IncludeAssets") {
            self.include_assets = v;
        }
    }

    /// Apply the metadata an `Update` sets.
    fn update(&mut self, other: &Meta) {
        for (mine, theirs) in [
            (&mut self.version, &other.version),
            (&mut self.version_override, &other.version_override),
            (&mut self.private_assets, &other.private_assets),
            (&mut self.include_assets, &other.include_assets),
        ] {
            if theirs.is_some() {
                mine.clone_from(theirs);
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Item {
    kind: Kind,
    name: String,
    meta: Meta,
    line: u32,
}

enum Op {
    Include(String),
    Update(String),
    Remove(String),
    None,
}

struct Pending {
    kind: Kind,
    op: Op,
    meta: Meta,
    line: u32,
}

/// What one MSBuild file declares.
#[derive(Debug, Default)]
struct Doc {
    /// Properties in document order (later definitions win).
    props: Vec<(String, String)>,
    items: Vec<Item>,
    /// Imports the next `Directory.Packages.props` up the tree.
    imports_outer_props: bool,
}

fn names(list: &str) -> impl Iterator<Item = &str> {
    list.split(';').map(str::trim).filter(|n| !n.is_empty())
}

fn parse_doc(text: &str, warnings: &mut Vec<(Option<u32>, String)>) -> Result<Doc, ParseError> {
    let mut doc = Doc::default();
    let mut cur: Option<Pending> = None;
    let mut root_err: Option<ParseError> = None;
    let mut item_warnings: Vec<(Option<u32>, String)> = Vec::new();
    xml::walk(text, warnings, |ev| {
        if root_err.is_some() {
            return;
        }
        match ev {
            XmlEvent::Open { path, attrs, line } => {
                if path.len() == 1 && !path[0].eq_ignore_ascii_case("Project") {
                    root_err = Some(ParseError::at(
                        line,
                        format!(
                            "not an MSBuild file: the root element is <{}>, not <Project>",
                            path[0]
                        ),
                    ));
                    return;
                }
                let n = path.len();
                if n >= 3
                    && path[n - 2].eq_ignore_ascii_case("ItemGroup")
                    && let Some(kind) = Kind::of(&path[n - 1])
                {
                    let op = if let Some(v) = attr(attrs, "Include") {
                        Op::Include(v.to_string())
                    } else if let Some(v) = attr(attrs, "Update") {
                        Op::Update(v.to_string())
                    } else if let Some(v) = attr(attrs, "Remove") {
                        Op::Remove(v.to_string())
                    } else {
                        Op::None
                    };
                    let mut meta = Meta::default();
                    for (k, v) in attrs {
                        meta.set(k, v);
                    }
                    cur = Some(Pending {
                        kind,
                        op,
                        meta,
                        line,
                    });
                }
                if path
                    .last()
                    .is_some_and(|l| l.eq_ignore_ascii_case("Import"))
                    && attr(attrs, "Project")
                        .is_some_and(|p| p.contains("Directory.Packages.props"))
                {
                    doc.imports_outer_props = true;
                }
            }
            XmlEvent::Close { path, text, .. } => {
                let n = path.len();
                if n >= 3 && path[n - 2].eq_ignore_ascii_case("PropertyGroup") {
                    doc.props.push((path[n - 1].clone(), text.to_string()));
                } else if n >= 3
                    && path[n - 2].eq_ignore_ascii_case("ItemGroup")
                    && Kind::of(&path[n - 1]).is_some()
                {
                    if let Some(p) = cur.take() {
                        finish(&mut doc, p, &mut item_warnings);
                    }
                } else if n >= 4
                    && path[n - 3].eq_ignore_ascii_case("ItemGroup")
                    && Kind::of(&path[n - 2]).is_some()
                    && let Some(p) = cur.as_mut()
                {
                    p.meta.set(&path[n - 1], text);
                }
            }
        }
    })?;
    warnings.extend(item_warnings);
    match root_err {
        Some(e) => Err(e),
        None => Ok(doc),
    }
}

fn finish(doc: &mut Doc, p: Pending, warnings: &mut Vec<(Option<u32>, String)>) {
    match p.op {
        Op::Include(list) => {
            for name in names(&list) {
                doc.items.push(Item {
                    kind: p.kind,
                    name: name.to_string(),
                    meta: p.meta.clone(),
                    line: p.line,
                });
            }
        }
        Op::Update(list) => {
            for name in names(&list) {
                let mut hit = false;
                for it in doc
                    .items
                    .iter_mut()
                    .filter(|it| it.kind == p.kind && it.name.eq_ignore_ascii_case(name))
                {
                    it.meta.update(&p.meta);
                    hit = true;
                }
                if !hit {
                    warnings.push((
                        Some(p.line),
                        format!(
                            "{:?} Update=\"{name}\" has no Include in this file (it updates an item from an imported file); not reported",
                            p.kind
                        ),
                    ));
                }
            }
        }
        Op::Remove(list) => {
            for name in names(&list) {
                doc.items
                    .retain(|it| !(it.kind == p.kind && it.name.eq_ignore_ascii_case(name)));
            }
        }
        Op::None => warnings.push((
            Some(p.line),
            format!("{:?} without Include, Update or Remove; skipped", p.kind),
        )),
    }
}

/// A central package management file read from the tree.
struct Central {
    display: String,
    doc: Doc,
}

/// `Directory.Packages.props` in this directory or the nearest parent
/// directory, plus the outer ones it imports (nearest first).
fn load_central(input: &Input, parsed: &mut Parsed) -> Vec<Central> {
    let mut out = Vec::new();
    let mut rel = String::from("Directory.Packages.props");
    for _ in 0..MAX_PROPS_LEVELS {
        let display = join_path(dir_of(input.display), &rel);
        match input.read_related(&rel) {
            Ok(Some((_, text))) => {
                let mut w = Vec::new();
                match parse_doc(&text, &mut w) {
                    Ok(doc) => {
                        let outer = doc.imports_outer_props;
                        out.push(Central { display, doc });
                        if !outer {
                            break;
                        }
                    }
                    Err(e) => {
                        let at = e.line.map(|l| format!(":{l}")).unwrap_or_default();
                        parsed.warn(None, format!("{display}{at}: not read: {}", e.message));
                        break;
                    }
                }
            }
            Ok(None) => {}
            Err(e) => {
                parsed.warn(None, format!("{display}: not read: {}", e.message));
                break;
            }
        }
        rel = format!("../{rel}");
    }
    out
}

type Lookup = Rc<HashMap<String, String>>;

/// Properties by lowercase name; later layers override earlier ones.
fn property_map<'a>(layers: impl Iterator<Item = &'a Doc>) -> Lookup {
    let mut map = HashMap::default();
    for doc in layers {
        for (k, v) in &doc.props {
            map.insert(k.to_ascii_lowercase(), v.clone());
        }
    }
    Rc::new(map)
}

fn interp(props: Lookup) -> Interp<impl Fn(&str) -> Option<String>> {
    Interp::new(Syntax::Paren, move |n: &str| {
        props.get(&n.trim().to_ascii_lowercase()).cloned()
    })
}

fn has_token(list: Option<&str>, token: &str) -> bool {
    list.is_some_and(|l| names(l).any(|t| t.eq_ignore_ascii_case(token)))
}

/// Build-only: `PrivateAssets="all"`, or `IncludeAssets` without the
/// compile and runtime assets (analyzers, build tools).
fn is_build_only(meta: &Meta) -> bool {
    if has_token(meta.private_assets.as_deref(), "all") {
        return true;
    }
    match meta.include_assets.as_deref() {
        Some(inc) => !["all", "compile", "runtime"]
            .iter()
            .any(|t| has_token(Some(inc), t)),
        None => false,
    }
}

/// The package for a name and an optional raw version.
fn versioned_package(
    name: &str,
    raw: Option<&str>,
    ip: &mut Interp<impl Fn(&str) -> Option<String>>,
    parsed: &mut Parsed,
    warn_line: Option<u32>,
    missing: &str,
) -> Package {
    match raw.map(|v| ip.resolve(v)) {
        Some(Ok(v)) if !v.is_empty() => package_for_version(name, &v),
        Some(Err(e)) => {
            parsed.warn(warn_line, format!("{name}: version unresolved: {e}"));
            let spec = match &e {
                Unresolved::Missing(n) | Unresolved::Cycle(n) => format!("unresolved: $({n})"),
                other => format!("unresolved: {other}"),
            };
            Package::unpinned(Ecosystem::NUGET, name, Resolution::Requirement { spec })
        }
        Some(Ok(_)) | None => {
            parsed.warn(warn_line, format!("{name}: {missing}"));
            Package::unpinned(
                Ecosystem::NUGET,
                name,
                Resolution::Requirement {
                    spec: "unresolved: no version".to_string(),
                },
            )
        }
    }
}

/// Read the input as an MSBuild document for the given format id.
fn start(input: &Input, format: &str) -> Result<(Doc, Parsed), ParseError> {
    let mut warnings = Vec::new();
    let doc = parse_doc(input.text, &mut warnings)?;
    let mut parsed = Parsed::new(SourceFile::new(input.display, format, Ecosystem::NUGET));
    for (l, m) in warnings {
        parsed.warn(l, m);
    }
    Ok((doc, parsed))
}

pub fn parse_project(input: &Input) -> ParseResult {
    let (doc, mut parsed) = start(input, "msbuild-project")?;
    let central = load_central(input, &mut parsed);
    // Project properties are evaluated after the imported props.
    let props = property_map(
        central
            .iter()
            .rev()
            .map(|c| &c.doc)
            .chain(std::iter::once(&doc)),
    );
    let mut ip = interp(props.clone());
    let cpm_off = props
        .get("managepackageversionscentrally")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"));
    // Central versions by lowercase name: the nearest file wins.
    let mut central_versions: HashMap<String, (String, &str, u32)> = HashMap::default();
    if !cpm_off {
        for c in &central {
            for it in c
                .doc
                .items
                .iter()
                .filter(|i| i.kind == Kind::PackageVersion)
            {
                if let Some(v) = &it.meta.version {
                    central_versions
                        .entry(it.name.to_ascii_lowercase())
                        .or_insert((v.clone(), c.display.as_str(), it.line));
                }
            }
        }
    }
    let is_test = props
        .get("istestproject")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        || doc.items.iter().any(|i| {
            i.kind == Kind::PackageReference
                && i.name.eq_ignore_ascii_case("Microsoft.NET.Test.Sdk")
        });
    let mut set = PackageSet::new();
    let mut direct = Vec::new();
    for it in &doc.items {
        let name = match ip.resolve(&it.name) {
            Ok(n) if !n.is_empty() => n,
            _ => {
                parsed.warn(
                    Some(it.line),
                    format!("item `{}` has an unresolved name; skipped", it.name),
                );
                continue;
            }
        };
        let p = match it.kind {
            Kind::PackageVersion => continue,
            Kind::ProjectReference => {
                let path = name.replace('\\', "/");
                let stem = file_stem(&path).to_string();
                Package::unpinned(Ecosystem::NUGET, stem, Resolution::Path { path })
            }
            Kind::PackageReference | Kind::GlobalPackageReference => {
                let central = central_versions.get(&name.to_ascii_lowercase());
                let raw = it
                    .meta
                    .version_override
                    .as_deref()
                    .or(it.meta.version.as_deref())
                    .or(central.map(|c| c.0.as_str()));
                versioned_package(
                    &name,
                    raw,
                    &mut ip,
                    &mut parsed,
                    Some(it.line),
                    "no Version here and no PackageVersion in a Directory.Packages.props of this tree",
                )
            }
        };
        let scope = if is_test {
            Scope::Dev
        } else if it.kind == Kind::GlobalPackageReference || is_build_only(&it.meta) {
            Scope::Build
        } else {
            Scope::Runtime
        };
        direct.push(
            set.insert(
                p.with_scope(scope)
                    .with_relation(Relation::Direct)
                    .with_location(input.display, Some(it.line)),
            ),
        );
    }
    // Global package references of the central files apply to every
    // project (build tools, analyzers).
    for c in &central {
        for it in c
            .doc
            .items
            .iter()
            .filter(|i| i.kind == Kind::GlobalPackageReference)
        {
            let p = versioned_package(
                &it.name,
                it.meta.version.as_deref(),
                &mut ip,
                &mut parsed,
                None,
                "GlobalPackageReference without Version",
            );
            let scope = if is_test { Scope::Dev } else { Scope::Build };
            direct.push(
                set.insert(
                    p.with_scope(scope)
                        .with_relation(Relation::Direct)
                        .with_location(&c.display, Some(it.line)),
                ),
            );
        }
    }
    direct.sort();
    direct.dedup();
    let version = props
        .get("version")
        .and_then(|v| ip.resolve(v).ok())
        .unwrap_or_default();
    parsed.source.roots.push(Root {
        name: file_stem(input.display).to_string(),
        version,
        path: None,
        dependencies: direct,
    });
    parsed.source.packages = set.into_sorted();
    Ok(parsed)
}

pub fn parse_central(input: &Input) -> ParseResult {
    let (doc, mut parsed) = start(input, "directory-packages-props")?;
    let mut ip = interp(property_map(std::iter::once(&doc)));
    let mut set = PackageSet::new();
    for it in &doc.items {
        let (relation, scope) = match it.kind {
            // Versions allowed for the projects below; not proof of use.
            Kind::PackageVersion => (Relation::Unknown, Scope::Runtime),
            // Referenced by every project below.
            Kind::GlobalPackageReference => (Relation::Direct, Scope::Build),
            Kind::PackageReference => (
                Relation::Direct,
                if is_build_only(&it.meta) {
                    Scope::Build
                } else {
                    Scope::Runtime
                },
            ),
            Kind::ProjectReference => {
                parsed.warn(
                    Some(it.line),
                    "ProjectReference in Directory.Packages.props ignored",
                );
                continue;
            }
        };
        let p = versioned_package(
            &it.name,
            it.meta.version.as_deref(),
            &mut ip,
            &mut parsed,
            Some(it.line),
            "no Version",
        );
        set.insert(
            p.with_scope(scope)
                .with_relation(relation)
                .with_location(input.display, Some(it.line)),
        );
    }
    parsed.source.packages = set.into_sorted();
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn find<'a>(p: &'a Parsed, name: &str) -> &'a Package {
        p.source
            .packages
            .iter()
            .find(|x| x.name == name)
            .unwrap_or_else(|| panic!("{name} not in {:#?}", p.source.packages))
    }

    const CSPROJ: &str = r#"<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net6.0</TargetFramework>
    <Version>1.4.0</Version>
    <SerilogVersion>2.10.0</SerilogVersion>
    <Loop>$(Loop)</Loop>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Serilog" Version="$(SerilogVersion)" />
    <PackageReference Include="Newtonsoft.Json">
      <Version>13.0.1</Version>
    </PackageReference>
    <PackageReference Include="StyleCop.Analyzers" Version="1.1.118" PrivateAssets="all" />
    <PackageReference Include="Range" Version="[1.0,2.0)" />
    <PackageReference Include="Floating" Version="6.*" />
    <PackageReference Include="Exact" Version="[3.0.0]" />
    <PackageReference Include="Looping" Version="$(Loop)" />
    <PackageReference Include="NoVersion" />
    <PackageReference Include="Removed" Version="1.0" />
    <PackageReference Remove="Removed" />
    <PackageReference Update="Newtonsoft.Json" Version="13.0.3" />
    <PackageReference Update="FromElsewhere" Version="1.0" />
    <PackageReference Include="A;B" Version="2.0" IncludeAssets="analyzers;build" />
  </ItemGroup>
  <ItemGroup Condition="'$(TargetFramework)' == 'net48'">
    <ProjectReference Include="..\Core\Core.csproj" />
  </ItemGroup>
</Project>"#;

    #[test]
    fn project_file() {
        let p = parse_project(&Input::new("src/Api/Api.csproj", CSPROJ)).unwrap();
        let s = &p.source;
        assert_eq!(s.roots[0].name, "Api");
        assert_eq!(s.roots[0].version, "1.4.0");
        let serilog = find(&p, "Serilog");
        assert_eq!(serilog.version, "2.10.0");
        assert_eq!(serilog.purl, "pkg:nuget/Serilog@2.10.0");
        assert_eq!(serilog.line(), Some(9));
        assert_eq!(serilog.relation, Relation::Direct);
        assert_eq!(serilog.scope, Scope::Runtime);
        let nj = find(&p, "Newtonsoft.Json");
        assert_eq!(nj.version, "13.0.3", "updated");
        assert_eq!(nj.line(), Some(10));
        assert_eq!(find(&p, "StyleCop.Analyzers").scope, Scope::Build);
        assert_eq!(find(&p, "A").scope, Scope::Build);
        assert_eq!(find(&p, "B").version, "2.0");
        assert_eq!(
            find(&p, "Range").resolution,
            Resolution::Requirement {
                spec: "[1.0,2.0)".into()
            }
        );
        assert_eq!(
            find(&p, "Floating").resolution,
            Resolution::Requirement { spec: "6.*".into() }
        );
        assert_eq!(find(&p, "Exact").version, "3.0.0");
        assert_eq!(
            find(&p, "Looping").resolution,
            Resolution::Requirement {
                spec: "unresolved: $(Loop)".into()
            }
        );
        assert_eq!(
            find(&p, "NoVersion").resolution,
            Resolution::Requirement {
                spec: "unresolved: no version".into()
            }
        );
        assert!(s.packages.iter().all(|x| x.name != "Removed"));
        let core = find(&p, "Core");
        assert_eq!(
            core.resolution,
            Resolution::Path {
                path: "../Core/Core.csproj".into()
            }
        );
        assert_eq!(core.version, "");
        assert_eq!(core.line(), Some(26));
        assert_eq!(s.packages.len(), 11);
        assert_eq!(s.roots[0].dependencies.len(), 11);
        assert!(
            p.warnings
                .iter()
                .any(|w| w.message.contains("FromElsewhere"))
        );
        assert!(p.warnings.iter().any(|w| w.message.contains("NoVersion")));
    }

    #[test]
    fn test_projects_are_dev() {
        let t = r#"<Project><ItemGroup>
<PackageReference Include="Microsoft.NET.Test.Sdk" Version="17.0.0" />
<PackageReference Include="xunit" Version="2.4.1" />
</ItemGroup></Project>"#;
        let p = parse_project(&Input::new("Tests.csproj", t)).unwrap();
        assert!(p.source.packages.iter().all(|x| x.scope == Scope::Dev));
    }

    fn write(dir: &Path, rel: &str, text: &str) {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn central_package_management() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        write(
            d,
            "Directory.Packages.props",
            r#"<Project>
  <PropertyGroup>
    <ManagePackageVersionsCentrally>true</ManagePackageVersionsCentrally>
    <AwsVersion>3.7.0</AwsVersion>
  </PropertyGroup>
  <ItemGroup>
    <PackageVersion Include="AWSSDK.S3" Version="$(AwsVersion)" />
    <PackageVersion Include="Serilog" Version="2.9.0" />
    <PackageVersion Include="Polly" Version="7.2.3" />
    <GlobalPackageReference Include="Nerdbank.GitVersioning" Version="3.5.119" />
  </ItemGroup>
</Project>"#,
        );
        write(
            d,
            "src/Directory.Packages.props",
            r#"<Project>
  <Import Project="$([MSBuild]::GetPathOfFileAbove(Directory.Packages.props, $(MSBuildThisFileDirectory)..))" />
  <ItemGroup>
    <PackageVersion Include="Serilog" Version="2.10.0" />
  </ItemGroup>
</Project>"#,
        );
        write(
            d,
            "src/App/App.csproj",
            r#"<Project Sdk="Microsoft.NET.Sdk">
  <ItemGroup>
    <PackageReference Include="serilog" />
    <PackageReference Include="AWSSDK.S3" />
    <PackageReference Include="Polly" VersionOverride="8.0.0" />
    <PackageReference Include="Unknown" />
  </ItemGroup>
</Project>"#,
        );
        let path = d.join("src/App/App.csproj");
        let text = std::fs::read_to_string(&path).unwrap();
        let p =
            parse_project(&Input::new("src/App/App.csproj", &text).with_fs_path(&path)).unwrap();
        assert_eq!(find(&p, "serilog").version, "2.10.0", "nearest props wins");
        assert_eq!(find(&p, "serilog").purl, "pkg:nuget/serilog@2.10.0");
        assert_eq!(find(&p, "AWSSDK.S3").version, "3.7.0");
        assert_eq!(find(&p, "Polly").version, "8.0.0");
        assert_eq!(find(&p, "Unknown").version, "");
        let nb = find(&p, "Nerdbank.GitVersioning");
        assert_eq!(nb.scope, Scope::Build);
        assert_eq!(nb.locations[0].path, "Directory.Packages.props");
        assert_eq!(nb.locations[0].line, Some(10));
        assert_eq!(p.source.packages.len(), 5);

        // The props file on its own.
        let path = d.join("Directory.Packages.props");
        let text = std::fs::read_to_string(&path).unwrap();
        let c = parse_central(&Input::new("Directory.Packages.props", &text)).unwrap();
        assert_eq!(c.source.packages.len(), 4);
        let aws = find(&c, "AWSSDK.S3");
        assert_eq!(aws.version, "3.7.0");
        assert_eq!(aws.relation, Relation::Unknown);
        assert_eq!(aws.line(), Some(7));
        assert_eq!(
            find(&c, "Nerdbank.GitVersioning").relation,
            Relation::Direct
        );
    }

    #[test]
    fn bad_input() {
        for t in [
            "",
            "<Project>",
            "<NotProject/>",
            "<Project><ItemGroup></Project>",
            "{}",
        ] {
            assert!(parse_project(&Input::new("a.csproj", t)).is_err(), "{t}");
            assert!(
                parse_central(&Input::new("Directory.Packages.props", t)).is_err(),
                "{t}"
            );
        }
        let p = parse_project(&Input::new(
            "a.csproj",
            "<Project><ItemGroup><PackageReference Version=\"1\"/><PackageReference Include=\"$(Name)\"/></ItemGroup></Project>",
        ))
        .unwrap();
        assert!(p.source.packages.is_empty());
        assert_eq!(p.warnings.len(), 2);
    }
}
