//! Fix planning: for each vulnerable package version, the lowest version
//! that fixes all of its known vulnerabilities and introduces none, the
//! update type, and the cheapest change that reaches it; grouped into
//! branches by policy and ordered by priority (docs/plan.md).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use patchloop_feeds::AdvisoryStore;
use patchloop_feeds::StoreError;
use patchloop_model::{
    Category, Change, Diagnostic, DiagnosticLevel, Ecosystem, EcosystemKind, Finding, Inventory,
    PLAN_SCHEMA, Package, ParentBump, Plan, PlanGroup, Relation, ScanReport, SourceFile, Strategy,
    Unfixable, UpdateType,
};
use patchloop_version::Scheme;
use patchloop_version::osv::{Candidate, CompiledEntry};
use patchloop_version::req::{Flavor, Requirement};

use crate::registry::{Origin, RegistryError, VersionInfo, VersionSource};

/// Planning failed (bad input never does: it becomes `unfixable` or a
/// diagnostic).
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How changes are grouped into branches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// One branch per vulnerability.
    Vulnerability,
    /// One branch per package (all of its vulnerabilities).
    Package,
    /// One branch with every security fix.
    All,
}

impl Grouping {
    pub fn as_str(self) -> &'static str {
        match self {
            Grouping::Vulnerability => "vulnerability",
            Grouping::Package => "package",
            Grouping::All => "all",
        }
    }
}

/// Options of one planning run.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub grouping: Grouping,
    /// `YYYY-MM-DD`.
    pub today: String,
    pub paths: Vec<String>,
    pub generator: String,
    /// `[apply] cooldown_days`: a non-security update (the new version of
    /// a parent in a parent bump) is not chosen when the registry says it
    /// was published fewer days before `today`. Versions without a known
    /// date are taken (docs/policy.md). Security fixes never wait.
    pub cooldown_days: u32,
}

/// Days since 1970-01-01 of a `YYYY-MM-DD...` date (proleptic Gregorian).
fn epoch_days(date: &str) -> Option<i64> {
    let d = date.get(..10)?;
    let mut it = d.split('-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let day: i64 = it.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || !(1..=9999).contains(&y) {
        return None;
    }
    // Days from civil, by eras of 400 years.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// The cooldown of non-security updates.
#[derive(Debug, Clone, Copy)]
struct Cooldown {
    today: Option<i64>,
    days: u32,
}

impl Cooldown {
    /// Days since publication, when the version is still cooling down.
    fn too_new(&self, v: &VersionInfo) -> Option<i64> {
        let today = self.today?;
        if self.days == 0 {
            return None;
        }
        let age = today - epoch_days(v.published.as_deref()?)?;
        (age < i64::from(self.days)).then_some(age)
    }
}

/// Is this a pre-release (never a fix target unless the installed version
/// is one too)?
pub fn is_prerelease(scheme: Scheme, v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    match scheme {
        Scheme::SemVer | Scheme::Go => {
            let core = l.split('+').next().unwrap_or(&l);
            let core = core.trim_start_matches('v');
            core.contains('-')
        }
        Scheme::Pep440 => {
            let l = l.split('+').next().unwrap_or(&l);
            let l = l.replace("post", "").replace("rev", "").replace(".r", "");
            [
                "a", "b", "c", "rc", "dev", "pre", "preview", "alpha", "beta",
            ]
            .iter()
            .any(|m| {
                l.match_indices(m).any(|(i, _)| {
                    l[..i]
                        .chars()
                        .last()
                        .is_some_and(|c| c.is_ascii_digit() || c == '.' || c == '-' || c == '_')
                })
            })
        }
        Scheme::Maven => [
            "alpha",
            "beta",
            "-rc",
            ".rc",
            "-cr",
            "milestone",
            "snapshot",
            "preview",
            "-ea",
            "-m",
        ]
        .iter()
        .any(|m| l.contains(m)),
        Scheme::NuGet | Scheme::Packagist => {
            l.contains('-') || l.contains("alpha") || l.contains("beta") || l.contains("rc")
        }
        Scheme::RubyGems => l.chars().any(|c| c.is_ascii_alphabetic()),
        Scheme::Debian | Scheme::Rpm | Scheme::Alpine => {
            l.contains('~') || l.contains("_rc") || l.contains("_beta") || l.contains("_alpha")
        }
    }
}

/// Leading numeric components (`v1.2.3-rc1` → [1, 2, 3]).
fn numbers(v: &str) -> Vec<u64> {
    let v = v.trim_start_matches(['v', 'V']);
    let v = v.split_once(':').map(|(_, r)| r).unwrap_or(v);
    let mut out = Vec::new();
    for part in v.split(['.', '-', '+', '_']) {
        match part.parse::<u64>() {
            Ok(n) => out.push(n),
            Err(_) => break,
        }
        if out.len() == 3 {
            break;
        }
    }
    out
}

/// Update type between two versions.
pub fn update_type(from: &str, to: &str) -> UpdateType {
    let (a, b) = (numbers(from), numbers(to));
    let at = |x: &Vec<u64>, i: usize| x.get(i).copied().unwrap_or(0);
    if at(&a, 0) != at(&b, 0) {
        UpdateType::Major
    } else if at(&a, 1) != at(&b, 1) {
        UpdateType::Minor
    } else {
        UpdateType::Patch
    }
}

/// Would a caret requirement on `from` (Cargo's default, npm's `^`) allow
/// `to`? (`0.y` is its own major.)
fn caret_compatible(from: &str, to: &str) -> bool {
    let (a, b) = (numbers(from), numbers(to));
    let at = |x: &Vec<u64>, i: usize| x.get(i).copied().unwrap_or(0);
    if at(&a, 0) != at(&b, 0) {
        return false;
    }
    if at(&a, 0) == 0 && at(&a, 1) != at(&b, 1) {
        return false;
    }
    if at(&a, 0) == 0 && at(&a, 1) == 0 && at(&a, 2) != at(&b, 2) {
        return false;
    }
    true
}

fn risk_note(scheme: Scheme, from: &str, to: &str, update: UpdateType) -> String {
    let zero = numbers(from).first() == Some(&0);
    match update {
        UpdateType::Patch => {
            "patch update: bug and security fixes only by convention; low breaking risk".into()
        }
        UpdateType::Minor if zero && matches!(scheme, Scheme::SemVer) => format!(
            "minor update of a 0.x version ({from} → {to}): SemVer allows breaking changes here; review the changelog"
        ),
        UpdateType::Minor => {
            "minor update: new features, backwards compatible by convention; moderate risk".into()
        }
        UpdateType::Major => format!(
            "major update ({from} → {to}): breaking changes expected; review the changelog and run the full test suite"
        ),
    }
}

/// Compiled advisories of one package (informational ones excluded: an
/// unmaintained crate has no fixed version).
struct Compiled {
    entries: Vec<(String, CompiledEntry)>,
    /// Every `fixed` version the advisories name.
    fixed: BTreeSet<String>,
}

fn compile(
    store: &dyn AdvisoryStore,
    ecosystem: &Ecosystem,
    name: &str,
    scheme: Scheme,
) -> Result<Compiled, StoreError> {
    let mut entries = Vec::new();
    let mut fixed = BTreeSet::new();
    for adv in store.affected_for_package(ecosystem, name)? {
        for e in &adv.affected {
            let informational = e
                .database_specific
                .as_ref()
                .and_then(|d| d.get("informational"))
                .is_some_and(|v| v.as_str().is_some_and(|s| !s.is_empty()));
            if informational {
                continue;
            }
            for r in &e.ranges {
                for ev in &r.events {
                    if let patchloop_model::Event::Fixed(f) = ev {
                        fixed.insert(patchloop_match::display_fixed(scheme, f.clone()));
                    }
                }
            }
            entries.push((adv.id.clone(), CompiledEntry::new(scheme, e)));
        }
    }
    Ok(Compiled { entries, fixed })
}

/// Ids of the advisories that affect `version`.
fn affecting(c: &Compiled, scheme: Scheme, version: &str) -> Option<Vec<String>> {
    let cand = Candidate::parse(scheme, version).ok()?;
    let mut ids: Vec<String> = c
        .entries
        .iter()
        .filter(|(_, e)| e.check(&cand).is_some())
        .map(|(id, _)| id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    Some(ids)
}

/// Candidate versions above `from`, ascending, from the registry or the
/// advisories.
struct Candidates {
    list: Vec<VersionInfo>,
    from: &'static str,
}

fn candidates(
    registry: &dyn VersionSource,
    ecosystem: &Ecosystem,
    name: &str,
    scheme: Scheme,
    installed: &str,
    compiled: &Compiled,
    diagnostics: &mut Vec<Diagnostic>,
) -> Candidates {
    let allow_pre = is_prerelease(scheme, installed);
    let (mut list, from) = match registry.versions(ecosystem, name) {
        Ok(v) => (
            v.versions,
            match v.origin {
                Origin::Registry => "registry",
                Origin::Cache => "cache",
            },
        ),
        Err(e) => {
            if !matches!(e, RegistryError::Offline { .. }) {
                diagnostics.push(Diagnostic {
                    level: DiagnosticLevel::Warning,
                    path: format!("registry {ecosystem}"),
                    line: None,
                    message: format!(
                        "{e}; planning {name} from the fixed versions the advisories name"
                    ),
                });
            }
            (
                compiled
                    .fixed
                    .iter()
                    .map(|f| VersionInfo {
                        version: f.clone(),
                        yanked: false,
                        deps: None,
                        published: None,
                    })
                    .collect(),
                "advisories",
            )
        }
    };
    let inst = scheme.parse(installed).ok();
    list.retain(|v| {
        !v.yanked
            && (allow_pre || !is_prerelease(scheme, &v.version))
            && match (&inst, scheme.parse(&v.version)) {
                (Some(i), Ok(p)) => p.cmp_same(i) == Some(Ordering::Greater),
                _ => false,
            }
    });
    list.sort_by(|a, b| {
        scheme
            .compare(&a.version, &b.version)
            .unwrap_or(Ordering::Equal)
    });
    list.dedup_by(|a, b| scheme.compare(&a.version, &b.version) == Ok(Ordering::Equal));
    Candidates { list, from }
}

/// The packages of `source` that depend on `id`, with their versions.
fn parents<'a>(source: &'a SourceFile, id: &str) -> Vec<&'a Package> {
    source
        .packages
        .iter()
        .filter(|p| p.dependencies.iter().any(|d| d == id))
        .collect()
}

/// The requirement `parent@version` places on `child`, from the registry.
fn parent_req(
    registry: &dyn VersionSource,
    parent: &Package,
    version: &str,
    child: &str,
) -> Option<String> {
    let vs = registry.versions(&parent.ecosystem, &parent.name).ok()?;
    let info = vs.versions.iter().find(|v| v.version == version)?;
    info.deps
        .as_ref()?
        .iter()
        .find(|d| d.name == child)
        .map(|d| d.req.clone())
}

/// How to reach `to` for one occurrence of a package.
fn strategy(
    registry: &dyn VersionSource,
    cooldown: Cooldown,
    source: &SourceFile,
    pkg: &Package,
    to: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Strategy, Option<ParentBump>, Option<bool>, String) {
    let eco = &pkg.ecosystem;
    let name = &pkg.name;
    let from = &pkg.version;
    let direct = pkg.relation != Relation::Transitive;
    let compatible = caret_compatible(from, to);
    match eco.kind {
        EcosystemKind::CratesIo => {
            if direct {
                if compatible {
                    (
                        Strategy::LockfileUpdate,
                        None,
                        Some(true),
                        format!("cargo update -p {name}@{from} --precise {to}"),
                    )
                } else {
                    (
                        Strategy::ManifestBump,
                        None,
                        Some(false),
                        format!(
                            "set {name} = \"{to}\" in Cargo.toml, then cargo update -p {name}@{from} --precise {to}"
                        ),
                    )
                }
            } else {
                transitive_semver(
                    registry,
                    cooldown,
                    source,
                    pkg,
                    to,
                    Flavor::Cargo,
                    diagnostics,
                )
            }
        }
        EcosystemKind::Npm => {
            if direct {
                if compatible {
                    (
                        Strategy::LockfileUpdate,
                        None,
                        Some(true),
                        format!(
                            "npm install {name}@{to} --package-lock-only (the ^ range already allows it)"
                        ),
                    )
                } else {
                    (
                        Strategy::ManifestBump,
                        None,
                        Some(false),
                        format!("npm install {name}@^{to} (package.json and package-lock.json)"),
                    )
                }
            } else {
                transitive_semver(
                    registry,
                    cooldown,
                    source,
                    pkg,
                    to,
                    Flavor::Npm,
                    diagnostics,
                )
            }
        }
        EcosystemKind::PyPI => {
            if direct {
                (
                    Strategy::ManifestBump,
                    None,
                    None,
                    format!(
                        "pin {name}=={to} in {} (or raise its lower bound)",
                        source.path
                    ),
                )
            } else {
                (
                    Strategy::Override,
                    None,
                    None,
                    format!(
                        "add the constraint {name}>={to} (pip -c constraints.txt, uv constraint-dependencies, poetry: add it as a direct dependency)"
                    ),
                )
            }
        }
        EcosystemKind::Go => (
            if direct {
                Strategy::ManifestBump
            } else {
                Strategy::Override
            },
            None,
            None,
            format!(
                "go get {name}@{}{to} && go mod tidy",
                if to.starts_with('v') { "" } else { "v" }
            ),
        ),
        EcosystemKind::Maven => {
            if direct {
                (
                    Strategy::ManifestBump,
                    None,
                    None,
                    format!("set the version of {name} to {to} in {}", source.path),
                )
            } else {
                (
                    Strategy::Override,
                    None,
                    None,
                    format!("pin {name} to {to} in <dependencyManagement>"),
                )
            }
        }
        EcosystemKind::RubyGems => (
            Strategy::LockfileUpdate,
            None,
            None,
            format!(
                "bundle update --conservative {name} (target {to}; raise the Gemfile requirement if it blocks)"
            ),
        ),
        EcosystemKind::Packagist => {
            if direct {
                (
                    Strategy::ManifestBump,
                    None,
                    None,
                    format!("composer require {name}:^{to}"),
                )
            } else {
                (
                    Strategy::LockfileUpdate,
                    None,
                    None,
                    format!("composer update {name} --with-dependencies (target {to})"),
                )
            }
        }
        EcosystemKind::NuGet => {
            if direct {
                (
                    Strategy::ManifestBump,
                    None,
                    None,
                    format!("set <PackageReference Include=\"{name}\" Version=\"{to}\" />"),
                )
            } else {
                (
                    Strategy::Override,
                    None,
                    None,
                    format!(
                        "add a direct <PackageReference Include=\"{name}\" Version=\"{to}\" /> (transitive pinning)"
                    ),
                )
            }
        }
        _ => (
            if direct {
                Strategy::ManifestBump
            } else {
                Strategy::Override
            },
            None,
            None,
            format!("update {name} to {to}"),
        ),
    }
}

/// Transitive SemVer-ecosystem package: if every parent's requirement (from
/// the registry) allows `to`, a lockfile update; else bump the parent to
/// its lowest version whose requirement allows `to`; npm can override.
fn transitive_semver(
    registry: &dyn VersionSource,
    cooldown: Cooldown,
    source: &SourceFile,
    pkg: &Package,
    to: &str,
    flavor: Flavor,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Strategy, Option<ParentBump>, Option<bool>, String) {
    let name = &pkg.name;
    let from = &pkg.version;
    let lockfile_action = match flavor {
        Flavor::Cargo => format!("cargo update -p {name}@{from} --precise {to}"),
        Flavor::Npm => format!("npm update {name} (lockfile only; target {to})"),
    };
    let ps = parents(source, &pkg.id);
    let mut blocking: Vec<(&Package, String)> = Vec::new();
    let mut unknown = ps.is_empty();
    for p in &ps {
        match parent_req(registry, p, &p.version, name) {
            Some(req) => match Requirement::parse(flavor, &req) {
                Ok(r) => {
                    let ok = patchloop_version::semver::parse(to)
                        .map(|v| r.matches(&v))
                        .unwrap_or(false);
                    if !ok {
                        blocking.push((p, req));
                    }
                }
                Err(e) => {
                    diagnostics.push(Diagnostic {
                        level: DiagnosticLevel::Warning,
                        path: format!("registry {}", p.ecosystem),
                        line: None,
                        message: format!("{} {}: {e}", p.name, p.version),
                    });
                    unknown = true;
                }
            },
            None => unknown = true,
        }
    }
    if blocking.is_empty() {
        if unknown {
            // Registry data missing: decide by the caret convention.
            let ok = caret_compatible(from, to);
            return if ok {
                (
                    Strategy::LockfileUpdate,
                    None,
                    None,
                    format!("{lockfile_action} (assumes the parents' ^ requirement allows it)"),
                )
            } else if flavor == Flavor::Npm {
                (
                    Strategy::Override,
                    None,
                    None,
                    format!(
                        "add \"overrides\": {{\"{name}\": \"{to}\"}} to package.json, then npm install"
                    ),
                )
            } else {
                (
                    Strategy::BumpParent,
                    None,
                    None,
                    format!(
                        "bump the crate that requires {name} {from} to a release that allows {to} (no registry data to name it)"
                    ),
                )
            };
        }
        return (Strategy::LockfileUpdate, None, Some(true), lockfile_action);
    }
    // Find the lowest version of the (first) blocking parent that allows it.
    let (parent, req) = &blocking[0];
    let pscheme = Scheme::SemVer;
    if let Ok(vs) = registry.versions(&parent.ecosystem, &parent.name) {
        let mut list: Vec<&VersionInfo> = vs
            .versions
            .iter()
            .filter(|v| !v.yanked && !is_prerelease(pscheme, &v.version))
            .filter(|v| pscheme.compare(&v.version, &parent.version) == Ok(Ordering::Greater))
            .collect();
        list.sort_by(|a, b| {
            pscheme
                .compare(&a.version, &b.version)
                .unwrap_or(Ordering::Equal)
        });
        let mut cooling: Option<(String, i64)> = None;
        for v in list {
            let allows = v
                .deps
                .as_ref()
                .and_then(|d| d.iter().find(|d| d.name == *name))
                .map(|d| patchloop_version::req::allows(flavor, &d.req, to).unwrap_or(false))
                // The new parent version no longer depends on it at all.
                .unwrap_or(true);
            if allows {
                if let Some(age) = cooldown.too_new(v) {
                    // A later release is newer still: nothing to bump to.
                    cooling = Some((v.version.clone(), age));
                    break;
                }
                return (
                    Strategy::BumpParent,
                    Some(ParentBump {
                        package: parent.name.clone(),
                        from: parent.version.clone(),
                        to: v.version.clone(),
                    }),
                    Some(false),
                    format!(
                        "{} {} requires {name} {req}; bump it to {} (its requirement allows {to})",
                        parent.name, parent.version, v.version
                    ),
                );
            }
        }
        if let Some((v, age)) = cooling {
            let why = format!(
                "{} {v} allows {name} {to} but was published {age} day(s) ago (cooldown_days = {})",
                parent.name, cooldown.days
            );
            diagnostics.push(Diagnostic {
                level: DiagnosticLevel::Warning,
                path: format!("registry {}", parent.ecosystem),
                line: None,
                message: format!("{why}: not chosen as a parent bump yet"),
            });
            let action = if flavor == Flavor::Npm {
                (
                    Strategy::Override,
                    format!("{why}: add \"overrides\": {{\"{name}\": \"{to}\"}} to package.json"),
                )
            } else {
                (
                    Strategy::BumpParent,
                    format!(
                        "{why}: bump {} to {v} when the cooldown has passed",
                        parent.name
                    ),
                )
            };
            return (action.0, None, Some(false), action.1);
        }
    }
    if flavor == Flavor::Npm {
        return (
            Strategy::Override,
            None,
            Some(false),
            format!(
                "{} {} requires {name} {req} and no newer {} allows {to}: add \"overrides\": {{\"{name}\": \"{to}\"}} to package.json",
                parent.name, parent.version, parent.name
            ),
        );
    }
    (
        Strategy::BumpParent,
        None,
        Some(false),
        format!(
            "{} {} requires {name} {req} and no published {} allows {to} yet: ask upstream, or fork and [patch]",
            parent.name, parent.version, parent.name
        ),
    )
}

/// Make a branch-safe id.
fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches(['-', '.']).replace("..", ".");
    out.chars().take(80).collect()
}

/// Build a plan from a (prioritized) scan report.
pub fn plan(
    report: &ScanReport,
    inventory: &Inventory,
    store: &dyn AdvisoryStore,
    registry: &dyn VersionSource,
    opts: &PlanOptions,
) -> Result<Plan, PlanError> {
    let mut diagnostics = Vec::new();
    let mut unfixable = Vec::new();
    let cooldown = Cooldown {
        today: epoch_days(&opts.today),
        days: opts.cooldown_days,
    };
    // Active vulnerability findings per package version.
    let mut by_pkg: BTreeMap<(String, String, String), Vec<&Finding>> = BTreeMap::new();
    for f in report
        .active()
        .filter(|f| f.category == Category::Vulnerability)
    {
        by_pkg
            .entry((
                f.package.ecosystem.to_string(),
                f.package.name.clone(),
                f.package.version.clone(),
            ))
            .or_default()
            .push(f);
    }
    let sources: HashMap<&str, &SourceFile> = inventory
        .sources
        .iter()
        .map(|s| (s.path.as_str(), s))
        .collect();

    // (change, its findings)
    let mut changes: Vec<(Change, Vec<&Finding>)> = Vec::new();
    let mut compiled_cache: HashMap<(String, String), Compiled> = HashMap::new();
    for ((_, name, version), findings) in &by_pkg {
        let first = findings[0];
        let eco = &first.package.ecosystem;
        let Some(scheme) = Scheme::for_ecosystem(eco) else {
            for f in findings {
                unfixable.push(Unfixable {
                    id: f.id.clone(),
                    ecosystem: eco.clone(),
                    package: name.clone(),
                    version: version.clone(),
                    reason: format!("no version rules for {eco}"),
                });
            }
            continue;
        };
        let key = (eco.to_string(), name.clone());
        if !compiled_cache.contains_key(&key) {
            compiled_cache.insert(key.clone(), compile(store, eco, name, scheme)?);
        }
        let compiled = &compiled_cache[&key];
        let cands = candidates(
            registry,
            eco,
            name,
            scheme,
            version,
            compiled,
            &mut diagnostics,
        );
        let target = cands
            .list
            .iter()
            .find(|c| affecting(compiled, scheme, &c.version).is_some_and(|ids| ids.is_empty()));
        let Some(target) = target else {
            let reason = if cands.list.is_empty() {
                format!(
                    "no version above {version} is known ({}){}",
                    cands.from,
                    if cands.from == "advisories" {
                        ": the advisories name no fix"
                    } else {
                        ""
                    }
                )
            } else {
                format!(
                    "none of the {} versions above {version} ({}) is free of known vulnerabilities",
                    cands.list.len(),
                    cands.from
                )
            };
            for f in findings {
                unfixable.push(Unfixable {
                    id: f.id.clone(),
                    ecosystem: eco.clone(),
                    package: name.clone(),
                    version: version.clone(),
                    reason: reason.clone(),
                });
            }
            continue;
        };
        let to = target.version.clone();
        let fixes: Vec<String> = findings.iter().map(|f| f.id.clone()).collect();
        let update = update_type(version, &to);
        // One change per file the package version is in.
        let mut files: BTreeSet<&str> = BTreeSet::new();
        for f in findings {
            for o in &f.occurrences {
                files.insert(o.path.as_str());
            }
        }
        for file in files {
            let Some(source) = sources.get(file) else {
                continue;
            };
            let Some(pkg) = source
                .packages
                .iter()
                .find(|p| p.name == *name && p.version == *version)
            else {
                continue;
            };
            let (strategy, parent, within_range, action) =
                strategy(registry, cooldown, source, pkg, &to, &mut diagnostics);
            let path = findings
                .iter()
                .flat_map(|f| f.occurrences.iter())
                .find(|o| o.path == file)
                .and_then(|o| o.paths.first())
                .map(|p| p.join(" > "));
            changes.push((
                Change {
                    ecosystem: eco.clone(),
                    package: name.clone(),
                    file: file.to_string(),
                    from: version.clone(),
                    to: to.clone(),
                    update,
                    relation: pkg.relation,
                    strategy,
                    parent,
                    path,
                    fixes: fixes.clone(),
                    within_range,
                    risk_note: risk_note(scheme, version, &to, update),
                    action,
                    versions_from: cands.from.to_string(),
                },
                findings.clone(),
            ));
        }
    }

    // Group.
    let mut groups: BTreeMap<String, (PlanGroup, Vec<&Finding>)> = BTreeMap::new();
    for (change, findings) in changes {
        let most_urgent = findings
            .iter()
            .max_by_key(|f| {
                (
                    f.risk.as_ref().map(|r| r.priority),
                    f.risk.as_ref().map(|r| r.score),
                )
            })
            .copied()
            .unwrap_or(findings[0]);
        let id = match opts.grouping {
            Grouping::Vulnerability => slug(&most_urgent.id),
            Grouping::Package => slug(&format!("{}-{}", change.ecosystem, change.package)),
            Grouping::All => "security-fixes".to_string(),
        };
        let entry = groups.entry(id.clone()).or_insert_with(|| {
            (
                PlanGroup {
                    branch: format!("patchloop/{id}"),
                    id,
                    priority: None,
                    due: None,
                    changes: Vec::new(),
                    fixes: Vec::new(),
                    update: UpdateType::Patch,
                },
                Vec::new(),
            )
        });
        entry.0.update = entry.0.update.max(change.update);
        for f in &findings {
            if !entry.0.fixes.contains(&f.id) {
                entry.0.fixes.push(f.id.clone());
            }
        }
        entry.0.changes.push(change);
        entry.1.extend(findings);
    }
    let mut groups: Vec<PlanGroup> = groups
        .into_values()
        .map(|(mut g, findings)| {
            g.priority = findings
                .iter()
                .filter_map(|f| f.risk.as_ref().map(|r| r.priority))
                .max();
            g.due = findings
                .iter()
                .filter_map(|f| f.risk.as_ref().map(|r| r.due.clone()))
                .min();
            g.fixes.sort();
            g
        })
        .collect();
    groups.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then_with(|| a.due.cmp(&b.due))
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(Plan {
        schema: PLAN_SCHEMA.to_string(),
        generator: opts.generator.clone(),
        created: opts.today.clone(),
        paths: opts.paths.clone(),
        grouping: opts.grouping.as_str().to_string(),
        groups,
        unfixable,
        diagnostics,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_types_and_caret() {
        assert_eq!(update_type("1.2.3", "1.2.4"), UpdateType::Patch);
        assert_eq!(update_type("1.2.3", "1.3.0"), UpdateType::Minor);
        assert_eq!(update_type("1.2.3", "2.0.0"), UpdateType::Major);
        assert_eq!(update_type("v0.3.7", "v0.3.8"), UpdateType::Patch);
        assert_eq!(update_type("2.0", "2.0.1"), UpdateType::Patch);
        assert!(caret_compatible("1.2.3", "1.9.0"));
        assert!(!caret_compatible("0.3.1", "0.4.0"));
        assert!(!caret_compatible("0.0.1", "0.0.2"));
    }

    #[test]
    fn prereleases() {
        assert!(is_prerelease(Scheme::SemVer, "1.0.0-rc.1"));
        assert!(!is_prerelease(Scheme::SemVer, "1.0.0+build-1"));
        assert!(is_prerelease(Scheme::Pep440, "2.0rc1"));
        assert!(is_prerelease(Scheme::Pep440, "2.0.dev3"));
        assert!(!is_prerelease(Scheme::Pep440, "2.0.post1"));
        assert!(!is_prerelease(Scheme::Maven, "31.1-jre"));
        assert!(is_prerelease(Scheme::Maven, "6.0.0-M1"));
        assert!(is_prerelease(Scheme::Go, "v1.2.0-beta.1"));
        assert!(!is_prerelease(Scheme::Go, "v2.0.0+incompatible"));
    }

    #[test]
    fn epoch_days_and_cooldown() {
        // Checked with Python's datetime.date arithmetic.
        assert_eq!(epoch_days("1970-01-01"), Some(0));
        assert_eq!(epoch_days("2026-03-02T10:00:00Z"), Some(20514));
        assert_eq!(epoch_days("2000-02-29 12:00:00"), Some(11016));
        assert_eq!(epoch_days("1969-12-31"), Some(-1));
        assert_eq!(epoch_days("2026-13-01"), None);
        assert_eq!(epoch_days("soon"), None);
        let c = Cooldown {
            today: epoch_days("2026-03-02"),
            days: 7,
        };
        let at = |d: Option<&str>| VersionInfo {
            published: d.map(str::to_string),
            ..VersionInfo::new("1.0.0")
        };
        assert_eq!(c.too_new(&at(Some("2026-03-01T23:59:59.000Z"))), Some(1));
        assert_eq!(c.too_new(&at(Some("2026-02-24T00:00:00Z"))), Some(6));
        assert_eq!(c.too_new(&at(Some("2026-02-23T00:00:00Z"))), None);
        // Unknown dates are taken.
        assert_eq!(c.too_new(&at(None)), None);
        assert_eq!(c.too_new(&at(Some("garbage"))), None);
        let off = Cooldown { days: 0, ..c };
        assert_eq!(off.too_new(&at(Some("2026-03-02"))), None);
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("GHSA-abcd-1234"), "ghsa-abcd-1234");
        assert_eq!(slug("npm-@scope/name"), "npm-scope-name");
        assert_eq!(slug("../../x"), "x");
    }
}
