//! patchloop-match: the second half of monitoring. Matches an
//! [`Inventory`] against the advisory store and returns a [`ScanReport`]:
//! one [`Finding`] per vulnerability and package version, aliases merged,
//! with where it was found, how it is reached, the nearest fix, its
//! severity, and the project's ignore rules applied.
//!
//! How (docs/scan.md):
//! 1. Packages with an exact version are grouped by (ecosystem, name key):
//!    the name key is the ecosystem's own equality rule
//!    ([`patchloop_feeds::normalize::name_key`]: PEP 503 for PyPI, case
//!    folding for NuGet and Packagist, exact Maven `group:artifact` and Go
//!    module paths). Crates from a Cargo registry other than crates.io are
//!    not crates.io's crates and are not matched (a warning counts them).
//! 2. Each group's advisories are read once
//!    ([`AdvisoryStore::affected_for_package`], withdrawn records excluded)
//!    and each `affected` entry is compiled once
//!    ([`patchloop_version::osv::CompiledEntry`]); every installed version of
//!    the package is checked against them under the ecosystem's rules.
//! 3. Matched records are merged by alias group (the store's alias graph
//!    plus each record's own `aliases`), the full records are read for
//!    hits only, and severity comes from [`patchloop_risk::severity`].
//!    OS packages are matched in their distribution release, by source
//!    package where the distribution's records name source packages
//!    ([`distro`]).
//! 4. Versions the ecosystem's scheme cannot parse, in a lockfile or in an
//!    advisory, are reported as diagnostics with the file or record that
//!    holds them; the scan goes on.

use std::collections::{BTreeMap, BTreeSet};

use patchloop_feeds::normalize::name_key;
use patchloop_feeds::{AdvisoryStore, StoreError};
use patchloop_model::{
    Advisory, Category, DatabaseInfo, Diagnostic, DiagnosticLevel, Ecosystem, EpssInfo,
    Exploitation, Finding, FindingPackage, Inventory, KevInfo, Occurrence, Package, PolicyNote,
    SCAN_SCHEMA, ScanReport, Summary, Suppression,
};
use patchloop_risk::Policy;
use patchloop_risk::severity::{SeverityCandidate, assess, candidates};
use patchloop_version::Scheme;
use patchloop_version::osv::{Candidate, CompiledEntry};
use rustc_hash::FxHashMap;

pub mod distro;
mod paths;
use paths::PathIndex;

/// A scan could not run (the store failed; bad input never fails a scan).
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Options of one scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Today, `YYYY-MM-DD`: decides which ignore rules have expired.
    pub today: String,
    /// Most dependency paths reported per occurrence.
    pub max_paths: usize,
    /// `patchloop <version>`.
    pub generator: String,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            today: "1970-01-01".into(),
            max_paths: 3,
            generator: format!("patchloop {}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// Where one installed package version sits in the inventory.
#[derive(Debug, Clone, Copy)]
struct Site {
    source: usize,
    package: usize,
}

/// A matched record for one package version.
#[derive(Debug, Clone)]
struct Hit {
    record: String,
    fixed: Option<String>,
    informational: Option<String>,
}

/// The informational kind of an `affected` entry (RustSec writes
/// `database_specific.informational`: `unmaintained`, `unsound`, `notice`).
fn informational(entry: &patchloop_model::Affected) -> Option<String> {
    entry
        .database_specific
        .as_ref()?
        .get("informational")?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Is this a crate from a Cargo registry other than crates.io? Cargo.lock
/// names every crate's registry, and source replacement (mirrors,
/// vendoring) keeps crates.io's own id there, so a crate from another
/// registry is another crate whatever its name: crates.io advisories do not
/// apply to it (cargo-audit skips it too). The inventory writes that
/// registry as the purl's `repository_url` qualifier.
fn other_registry(p: &Package) -> bool {
    p.ecosystem == Ecosystem::CRATES_IO
        && p.purl.split_once('?').is_some_and(|(_, q)| {
            q.split('#')
                .next()
                .unwrap_or("")
                .split('&')
                .any(|kv| kv.starts_with("repository_url="))
        })
}

/// RustSec's OSV export writes `patched = [">= 1.2.3"]` as `fixed:
/// "1.2.3-0"` (the lowest pre-release, so pre-releases of the fix count as
/// fixed). The nearest fixed release users can pick is `1.2.3`.
pub fn display_fixed(scheme: Scheme, fixed: String) -> String {
    if scheme == Scheme::SemVer
        && let Some(base) = fixed.strip_suffix("-0")
        && !base.contains('-')
    {
        return base.to_string();
    }
    fixed
}

/// Rank of an id as the primary id of a finding: the database's own id
/// first, then GHSA, then CVE, then anything else.
fn id_rank(id: &str) -> u8 {
    if id.starts_with("CVE-") {
        2
    } else if id.starts_with("GHSA-") {
        1
    } else {
        0
    }
}

/// Caches of whole records and alias groups, read for hits only.
struct Records<'s> {
    store: &'s dyn AdvisoryStore,
    /// Boxed: a head is a few hundred bytes, and growing the table moved
    /// every one of them.
    records: FxHashMap<String, Option<Box<Advisory>>>,
    groups: FxHashMap<String, Vec<String>>,
}

impl<'s> Records<'s> {
    fn get(&mut self, id: &str) -> Result<Option<&Advisory>, StoreError> {
        if !self.records.contains_key(id) {
            let r = self.store.get_head(id)?.map(Box::new);
            self.records.insert(id.to_string(), r);
        }
        Ok(self.records.get(id).and_then(Option::as_deref))
    }

    /// Every id of the vulnerability `id` names (store alias graph and the
    /// record's own aliases).
    fn group(&mut self, id: &str) -> Result<Vec<String>, StoreError> {
        if let Some(g) = self.groups.get(id) {
            return Ok(g.clone());
        }
        let mut g: BTreeSet<String> = BTreeSet::new();
        for (a, record) in self.store.alias_group(id)? {
            // An id the walk found to be no record is not asked for again.
            if record == Some(false) {
                self.records.entry(a.clone()).or_insert(None);
            }
            g.insert(a);
        }
        g.insert(id.to_string());
        if let Some(r) = self.get(id)? {
            g.extend(r.aliases.iter().cloned());
        }
        let g: Vec<String> = g.into_iter().collect();
        self.groups.insert(id.to_string(), g.clone());
        Ok(g)
    }
}

/// Scan an inventory against the store, applying the policy's ignores.
/// `database` describes the store (path, staleness) for the report.
pub fn scan(
    inventory: &Inventory,
    store: &dyn AdvisoryStore,
    policy: &Policy,
    database: DatabaseInfo,
    opts: &ScanOptions,
) -> Result<ScanReport, MatchError> {
    let mut diagnostics: Vec<Diagnostic> = inventory.diagnostics.clone();
    let mut summary = Summary {
        files: inventory.sources.len(),
        ..Summary::default()
    };

    // 1. Group installed packages by (ecosystem, name key), then version.
    // Versions of one name, sorted: almost always one, so a vector (a
    // B-tree map allocated a 500-byte node per name, a tenth of a scan's
    // page faults).
    //
    // Keys borrow from the inventory: the ecosystem as its rank among the
    // ecosystems present (sorted by name, so groups come in the same order
    // as with the names themselves), the name key as the package's own
    // name unless normalizing changes it. Formatting the ecosystem and
    // copying both strings for every package was a tenth of matching.
    type Versions<'i> = Vec<(&'i str, Vec<Site>)>;
    let mut ecosystems: Vec<(String, &Ecosystem)> = Vec::new();
    for source in &inventory.sources {
        let mut last: Option<&Ecosystem> = None;
        for p in &source.packages {
            if last != Some(&p.ecosystem) && !ecosystems.iter().any(|(_, e)| **e == p.ecosystem) {
                ecosystems.push((p.ecosystem.to_string(), &p.ecosystem));
            }
            last = Some(&p.ecosystem);
        }
    }
    ecosystems.sort_by(|a, b| a.0.cmp(&b.0));
    let rank_of = |e: &Ecosystem| -> usize {
        ecosystems
            .iter()
            .position(|(_, x)| *x == e)
            .expect("every package's ecosystem is listed")
    };
    let mut other_registries: BTreeMap<usize, usize> = BTreeMap::new();
    let mut groups: BTreeMap<(usize, std::borrow::Cow<'_, str>), (usize, Versions<'_>)> =
        BTreeMap::new();
    for (si, source) in inventory.sources.iter().enumerate() {
        let mut last: Option<(&Ecosystem, usize)> = None;
        for (pi, p) in source.packages.iter().enumerate() {
            summary.packages += 1;
            if !p.resolution.is_exact() || p.version.is_empty() {
                summary.unpinned += 1;
                continue;
            }
            if other_registry(p) {
                summary.unmatched += 1;
                *other_registries.entry(si).or_default() += 1;
                continue;
            }
            let rank = match last {
                Some((e, r)) if *e == p.ecosystem => r,
                _ => rank_of(&p.ecosystem),
            };
            last = Some((&p.ecosystem, rank));
            let (match_name, match_version) = distro::match_key(p);
            let key = (rank, name_key(&p.ecosystem, match_name));
            let entry = groups
                .entry(key)
                .or_insert((si * 1_000_000 + pi, Versions::new()));
            let site = Site {
                source: si,
                package: pi,
            };
            let versions = &mut entry.1;
            match versions.binary_search_by(|(v, _)| (*v).cmp(match_version)) {
                Ok(i) => versions[i].1.push(site),
                Err(i) => versions.insert(i, (match_version, vec![site])),
            }
        }
    }
    let package_at = |s: Site| -> &Package { &inventory.sources[s.source].packages[s.package] };

    let mut records = Records {
        store,
        records: FxHashMap::default(),
        groups: FxHashMap::default(),
    };
    let mut unknown_ecosystems: BTreeMap<String, usize> = BTreeMap::new();
    let mut bad_records: BTreeSet<(String, String)> = BTreeSet::new();
    // (package version sites, hits) per package version with any hit.
    let mut matched: Vec<(Vec<Site>, Scheme, Vec<Hit>)> = Vec::new();

    // Names with any advisory, per ecosystem (one query each): packages
    // without any are not looked up one by one.
    let mut names_with: FxHashMap<String, Option<patchloop_feeds::NameSet>> = FxHashMap::default();
    // The ecosystems each package ecosystem is looked up in (itself, or a
    // Red Hat product's repositories: `distro::lookup_ecosystems`).
    // By ecosystem rank: the ecosystems looked up and their keys.
    let mut lookups: Vec<Option<Vec<(Ecosystem, String)>>> = vec![None; ecosystems.len()];
    let os = inventory.target.as_ref().and_then(|t| t.os.as_ref());
    for ((rank, name), (first, versions)) in &groups {
        let eco_key = &ecosystems[*rank].0;
        let name: &str = name;
        let first = Site {
            source: first / 1_000_000,
            package: first % 1_000_000,
        };
        let sample = package_at(first);
        let Some(scheme) = Scheme::for_ecosystem(&sample.ecosystem) else {
            let n: usize = versions.iter().map(|(_, s)| s.len()).sum();
            summary.unmatched += n;
            *unknown_ecosystems.entry(eco_key.clone()).or_default() += n;
            continue;
        };
        if lookups[*rank].is_none() {
            let repositories = os
                .filter(|o| o.ecosystem.as_ref() == Some(&sample.ecosystem))
                .map(|o| o.repositories.as_slice())
                .unwrap_or(&[]);
            let l = distro::lookup_ecosystems(&sample.ecosystem, repositories, store)?;
            let mut keyed = Vec::with_capacity(l.len());
            for e in l {
                let key = e.to_string();
                if !names_with.contains_key(&key) {
                    let set = store.names_with_advisories(&e)?;
                    names_with.insert(key.clone(), set);
                }
                keyed.push((e, key));
            }
            lookups[*rank] = Some(keyed);
        }
        let lookup = lookups[*rank].as_deref().unwrap_or(&[]);
        let any_name = lookup
            .iter()
            .any(|(_, key)| !matches!(names_with.get(key), Some(Some(set)) if !set.contains(name)));
        if !any_name {
            continue;
        }
        let mut advisories = Vec::new();
        for (e, _) in lookup {
            advisories.extend(store.affected_for_package(e, distro::match_key(sample).0)?);
        }
        if advisories.is_empty() {
            continue;
        }
        // Compile each affected entry once for all versions.
        let kind = &sample.ecosystem.kind;
        let compiled: Vec<(&str, CompiledEntry, Option<String>, distro::RpmModule)> = advisories
            .iter()
            .flat_map(|a| {
                a.affected.iter().map(move |e| {
                    (
                        a.id.as_str(),
                        CompiledEntry::new(scheme, e),
                        informational(e),
                        distro::entry_module(kind, e),
                    )
                })
            })
            .collect();
        for (id, c, _, _) in &compiled {
            for e in &c.skipped {
                if bad_records.insert((id.to_string(), e.version.clone())) {
                    diagnostics.push(Diagnostic {
                        level: DiagnosticLevel::Warning,
                        path: format!("advisory {id}"),
                        line: None,
                        message: format!("{e}: this version of the record is skipped"),
                    });
                }
            }
        }
        for (version, sites) in versions {
            let cand = match Candidate::parse(scheme, version) {
                Ok(c) => c,
                Err(e) => {
                    summary.unmatched += sites.len();
                    for s in sites {
                        let p = package_at(*s);
                        diagnostics.push(Diagnostic {
                            level: DiagnosticLevel::Warning,
                            path: inventory.sources[s.source].path.clone(),
                            line: p.line(),
                            message: format!(
                                "{} {}: {e}; not checked against advisories",
                                p.name, p.version
                            ),
                        });
                    }
                    continue;
                }
            };
            if scheme == Scheme::Pep440 && patchloop_version::pep440::parse_strict(version).is_err()
            {
                for s in sites {
                    let p = package_at(*s);
                    diagnostics.push(Diagnostic {
                        level: DiagnosticLevel::Warning,
                        path: inventory.sources[s.source].path.clone(),
                        line: p.line(),
                        message: format!(
                            "{} {}: not a PEP 440 version; compared by the legacy rules osv.dev uses (below every PEP 440 version)",
                            p.name, p.version
                        ),
                    });
                }
            }
            let mut hits: Vec<Hit> = Vec::new();
            let module = sites
                .first()
                .map(|s| distro::package_module(package_at(*s)))
                .unwrap_or(distro::RpmModule::Unknown);
            for (id, c, info, entry_module) in &compiled {
                if !distro::module_applies(entry_module, &module) {
                    continue;
                }
                let Some(fixed) = c.check(&cand) else {
                    continue;
                };
                let fixed = fixed.map(|f| display_fixed(scheme, f));
                match hits.iter_mut().find(|h| h.record == *id) {
                    // Several entries of one record: keep the lowest fix.
                    Some(h) => {
                        if let (Some(a), Some(b)) = (&h.fixed, &fixed)
                            && scheme.compare(b, a) == Ok(std::cmp::Ordering::Less)
                        {
                            h.fixed = fixed;
                        } else if h.fixed.is_none() {
                            h.fixed = fixed;
                        }
                    }
                    None => hits.push(Hit {
                        record: id.to_string(),
                        fixed,
                        informational: info.clone(),
                    }),
                }
            }
            if !hits.is_empty() {
                matched.push((sites.clone(), scheme, hits));
            }
        }
    }
    for (si, n) in other_registries {
        diagnostics.push(Diagnostic {
            level: DiagnosticLevel::Warning,
            path: inventory.sources[si].path.clone(),
            line: None,
            message: format!(
                "{n} crate(s) from a registry other than crates.io not checked: crates.io advisories do not apply to them"
            ),
        });
    }
    for (eco, n) in unknown_ecosystems {
        diagnostics.push(Diagnostic {
            level: DiagnosticLevel::Warning,
            path: format!("ecosystem {eco}"),
            line: None,
            message: format!(
                "{n} package(s) not checked: patchloop has no version rules for this ecosystem"
            ),
        });
    }

    // 2. Merge hits by alias group and build findings.
    // Sized for one finding per hit (at most that many): a finding is
    // about a kilobyte, and growing the vector copied them all each time.
    let mut findings = Vec::with_capacity(matched.iter().map(|(_, _, h)| h.len()).sum());
    let mut path_index: Vec<Option<PathIndex<'_>>> = Vec::new();
    path_index.resize_with(inventory.sources.len(), || None);
    for (sites, scheme, hits) in matched {
        let mut merged: Vec<(BTreeSet<String>, Vec<Hit>)> = Vec::new();
        for h in hits {
            let g: BTreeSet<String> = records.group(&h.record)?.into_iter().collect();
            let overlapping: Vec<usize> = merged
                .iter()
                .enumerate()
                .filter(|(_, (mg, _))| !mg.is_disjoint(&g))
                .map(|(i, _)| i)
                .collect();
            let mut into = (g, vec![h]);
            for i in overlapping.into_iter().rev() {
                let (mg, mh) = merged.remove(i);
                into.0.extend(mg);
                into.1.extend(mh);
            }
            merged.push(into);
        }
        for (ids, hits) in merged {
            findings.push(build_finding(
                inventory,
                &mut records,
                &sites,
                scheme,
                ids,
                hits,
                opts,
                &mut diagnostics,
                &mut path_index,
            )?);
        }
    }

    // 3. Ignore rules.
    let mut policy_notes = Vec::new();
    for rule in &policy.ignores {
        let expired = rule.expired(&opts.today);
        let mut hits = 0;
        for f in findings.iter_mut() {
            if rule.matches(f.ids(), &f.package.name) {
                hits += 1;
                if !expired && f.suppressed.is_none() {
                    f.suppressed = Some(Suppression {
                        reason: rule.reason.clone(),
                        expires: Some(rule.expires.clone()),
                        rule: rule.rule.clone(),
                    });
                }
            }
        }
        if expired {
            policy_notes.push(PolicyNote {
                kind: "expired-ignore".into(),
                id: rule.id.clone(),
                rule: rule.rule.clone(),
                message: format!(
                    "ignore of {} expired on {}: {} no longer suppressed",
                    rule.id,
                    rule.expires,
                    match hits {
                        0 => "it matches nothing and is".to_string(),
                        1 => "1 finding is".to_string(),
                        n => format!("{n} findings are"),
                    }
                ),
            });
        } else if hits == 0 {
            policy_notes.push(PolicyNote {
                kind: "unmatched-ignore".into(),
                id: rule.id.clone(),
                rule: rule.rule.clone(),
                message: format!(
                    "ignore of {}{} matches no finding: remove it if the vulnerability is gone",
                    rule.id,
                    rule.package
                        .as_deref()
                        .map(|p| format!(" in {p}"))
                        .unwrap_or_default()
                ),
            });
        }
    }

    // 4. Order and count. Positions are sorted, then the findings moved
    // once (a finding is about a kilobyte; a stable sort moves each one
    // several times).
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by(|&i, &j| {
        let (a, b) = (&findings[i], &findings[j]);
        (a.category, std::cmp::Reverse(a.severity.level))
            .cmp(&(b.category, std::cmp::Reverse(b.severity.level)))
            .then_with(|| {
                // By name, formatted only when they differ (most compare
                // equal: formatting both was most of the sort).
                if a.package.ecosystem == b.package.ecosystem {
                    std::cmp::Ordering::Equal
                } else {
                    a.package
                        .ecosystem
                        .to_string()
                        .cmp(&b.package.ecosystem.to_string())
                }
            })
            .then_with(|| a.package.name.cmp(&b.package.name))
            .then_with(|| a.package.version.cmp(&b.package.version))
            .then_with(|| a.id.cmp(&b.id))
    });
    apply_order(&mut findings, order);
    let mut vulnerable = BTreeSet::new();
    for f in &findings {
        if f.suppressed.is_some() {
            summary.suppressed += 1;
            continue;
        }
        match f.category {
            Category::Vulnerability => {
                summary.vulnerabilities += 1;
                *summary.by_severity.entry(f.severity.level).or_default() += 1;
                vulnerable.insert((&f.package.purl, &f.package.version));
            }
            Category::Informational => summary.informational += 1,
        }
    }
    summary.vulnerable_packages = vulnerable.len();

    Ok(ScanReport {
        schema: SCAN_SCHEMA.to_string(),
        generator: opts.generator.clone(),
        database,
        summary,
        findings,
        policy: policy_notes,
        diagnostics,
    })
}

/// Put `v[order[0]]` first, then `v[order[1]]`, ...: each element is
/// moved along its cycle of the permutation, in place (a copy of the
/// findings into a new vector cost fresh memory for all of them).
fn apply_order<T>(v: &mut [T], mut order: Vec<usize>) {
    for start in 0..v.len() {
        // Follow the cycle through `start`: position i takes the element
        // at order[i]; visited positions are marked with usize::MAX.
        let mut i = start;
        while order[i] != usize::MAX {
            let from = order[i];
            order[i] = usize::MAX;
            if from == start {
                break;
            }
            v.swap(i, from);
            i = from;
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn build_finding<'a>(
    inventory: &'a Inventory,
    records: &mut Records<'_>,
    sites: &[Site],
    scheme: Scheme,
    ids: BTreeSet<String>,
    hits: Vec<Hit>,
    opts: &ScanOptions,
    diagnostics: &mut Vec<Diagnostic>,
    path_index: &mut [Option<PathIndex<'a>>],
) -> Result<Finding, MatchError> {
    let mut record_ids: Vec<String> = hits.iter().map(|h| h.record.clone()).collect();
    record_ids.sort_by(|a, b| (id_rank(a), a).cmp(&(id_rank(b), b)));
    record_ids.dedup();
    let primary = record_ids[0].clone();
    let mut all_ids = ids;
    let mut severity_cands: Vec<SeverityCandidate> = Vec::new();
    let (mut summary_text, mut url, mut published, mut modified) = (None, None, None, None);
    // The matched records first (in rank order), then alias records the
    // store holds (their severity counts too: docs/scan.md).
    let alias_ids: Vec<String> = all_ids
        .iter()
        .filter(|i| !record_ids.contains(i))
        .cloned()
        .collect();
    for id in record_ids.iter().chain(alias_ids.iter()) {
        let Some(r) = records.get(id)? else { continue };
        if r.is_withdrawn() {
            continue;
        }
        all_ids.extend(r.aliases.iter().cloned());
        // Distributions write the CVE as `upstream` (DEBIAN-CVE-*,
        // UBUNTU-CVE-*, ALPINE-CVE-*): one upstream id is the same
        // vulnerability; several (a DSA fixing many CVEs) are not.
        if let [one] = r.upstream.as_slice() {
            all_ids.insert(one.clone());
        }
        severity_cands.extend(candidates(r));
        if record_ids.contains(id) {
            if summary_text.is_none() {
                summary_text = r
                    .summary
                    .clone()
                    .filter(|s| !s.trim().is_empty())
                    .or_else(|| r.details.as_deref().map(first_sentence));
                published = r.published.clone();
                modified = Some(r.modified.clone()).filter(|m| !m.is_empty());
            }
            if url.is_none() {
                url = advisory_url(r);
            }
        }
    }
    // Exploitation evidence: KEV entries and the highest EPSS score of
    // the vulnerability's CVEs; exploit references of its records.
    let mut exploitation = Exploitation::default();
    let cves: Vec<String> = all_ids
        .iter()
        .chain(std::iter::once(&primary))
        .filter(|i| i.starts_with("CVE-"))
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for cve in &cves {
        if let Some(k) = records.store.kev(cve)? {
            exploitation.kev.push(KevInfo {
                cve: k.cve.clone(),
                date_added: k.date_added.clone(),
                due_date: k.due_date.clone(),
                known_ransomware: k.ransomware(),
                required_action: k.required_action.clone(),
            });
        }
        if let Some(e) = records.store.epss(cve)?
            && exploitation
                .epss
                .as_ref()
                .is_none_or(|cur| e.epss > cur.probability)
        {
            exploitation.epss = Some(EpssInfo {
                cve: e.cve.clone(),
                probability: e.epss,
                percentile: e.percentile,
                score_date: e.score_date.clone(),
                model_version: e.model_version.clone(),
            });
        }
    }
    for id in record_ids.iter().chain(alias_ids.iter()) {
        if let Some(r) = records.get(id)? {
            for x in &r.references {
                if x.is_exploit() && !exploitation.exploit_refs.contains(&x.url) {
                    exploitation.exploit_refs.push(x.url.clone());
                }
            }
        }
    }
    let (severity, warnings) = assess(&severity_cands);
    for w in warnings {
        let (rec, msg) = w.split_once(": ").unwrap_or(("", &w));
        diagnostics.push(Diagnostic {
            level: DiagnosticLevel::Warning,
            path: format!("advisory {rec}"),
            line: None,
            message: msg.to_string(),
        });
    }
    // Nearest fix: the highest of the records' nearest fixes (a version
    // that fixes every matched record).
    let mut fixed: Option<String> = None;
    for h in &hits {
        if let Some(f) = &h.fixed {
            fixed = match fixed {
                Some(cur) if scheme.compare(f, &cur) != Ok(std::cmp::Ordering::Greater) => {
                    Some(cur)
                }
                _ => Some(f.clone()),
            };
        }
    }
    let vulnerability = hits.iter().any(|h| h.informational.is_none());
    // The primary record's kind: records that alias each other can differ
    // (RUSTSEC-2019-0036 `unsound` and RUSTSEC-2020-0036 `unmaintained`
    // share their CVE and GHSA aliases), and the kind shown must be the
    // one of the id shown.
    let informational = if vulnerability {
        None
    } else {
        hits.iter()
            .find(|h| h.record == primary)
            .or(hits.first())
            .and_then(|h| h.informational.clone())
    };
    all_ids.remove(&primary);
    let first = &inventory.sources[sites[0].source].packages[sites[0].package];
    let binaries: Vec<&Package> = sites
        .iter()
        .map(|s| &inventory.sources[s.source].packages[s.package])
        .collect();
    let (package, distro) = match distro::finding_package(&binaries, fixed.as_deref()) {
        Some((p, d)) => (p, Some(d)),
        None => (
            FindingPackage {
                ecosystem: first.ecosystem.clone(),
                name: first.name.clone(),
                version: first.version.clone(),
                purl: first.purl.clone(),
            },
            None,
        ),
    };
    let mut occurrences = Vec::new();
    for s in sites {
        let source = &inventory.sources[s.source];
        let p = &source.packages[s.package];
        let paths = if p.relation == patchloop_model::Relation::Direct {
            Vec::new()
        } else {
            let index = path_index[s.source].get_or_insert_with(|| PathIndex::new(source));
            index
                .paths_to(&p.id, opts.max_paths)
                .into_iter()
                .map(|path| {
                    path.iter()
                        .map(|id| match index.package(id) {
                            Some(q) if q.version.is_empty() => q.name.clone(),
                            // Concatenated (`format!` cost five times as
                            // much, for every step of every path).
                            Some(q) => {
                                let mut s =
                                    String::with_capacity(q.name.len() + 1 + q.version.len());
                                s.push_str(&q.name);
                                s.push('@');
                                s.push_str(&q.version);
                                s
                            }
                            None => id.clone(),
                        })
                        .collect()
                })
                .collect()
        };
        occurrences.push(Occurrence {
            path: source.path.clone(),
            line: p.line(),
            relation: p.relation,
            scope: p.scope,
            paths,
        });
    }
    Ok(Finding {
        id: primary,
        aliases: all_ids.into_iter().collect(),
        records: record_ids,
        category: if vulnerability {
            Category::Vulnerability
        } else {
            Category::Informational
        },
        informational,
        summary: summary_text,
        package,
        occurrences,
        fixed,
        severity,
        url,
        published,
        modified,
        suppressed: None,
        exploitation,
        risk: None,
        distro,
    })
}

fn first_sentence(details: &str) -> String {
    let line = details.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut s: String = line.chars().take(200).collect();
    if line.chars().count() > 200 {
        s.push('…');
    }
    s
}

/// The record's ADVISORY reference, else a well-known page for its id.
fn advisory_url(r: &Advisory) -> Option<String> {
    if let Some(u) = r
        .references
        .iter()
        .find(|x| x.kind == "ADVISORY" && x.url.contains(&r.id))
        .or_else(|| r.references.iter().find(|x| x.kind == "ADVISORY"))
    {
        return Some(u.url.clone());
    }
    let id = &r.id;
    Some(if id.starts_with("RUSTSEC-") {
        format!("https://rustsec.org/advisories/{id}.html")
    } else if id.starts_with("GHSA-") {
        format!("https://github.com/advisories/{id}")
    } else if id.starts_with("GO-") {
        format!("https://pkg.go.dev/vuln/{id}")
    } else {
        format!("https://osv.dev/vulnerability/{id}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchloop_feeds::{ImportOptions, NoProgress, OpenMode, SqliteStore, import_paths};
    use serde_json::json;

    #[test]
    fn apply_order_permutes_in_place() {
        // Every permutation of 5, and larger ones with long cycles.
        fn perms(n: usize) -> Vec<Vec<usize>> {
            if n == 0 {
                return vec![vec![]];
            }
            let mut out = Vec::new();
            for p in perms(n - 1) {
                for i in 0..=p.len() {
                    let mut q = p.clone();
                    q.insert(i, n - 1);
                    out.push(q);
                }
            }
            out
        }
        let mut cases = perms(5);
        cases.push((0..100).map(|i| (i * 37 + 11) % 100).collect());
        cases.push((0..64).rev().collect());
        for order in cases {
            let v: Vec<String> = (0..order.len()).map(|i| format!("x{i}")).collect();
            let want: Vec<String> = order.iter().map(|&i| v[i].clone()).collect();
            let mut got = v.clone();
            apply_order(&mut got, order.clone());
            assert_eq!(got, want, "{order:?}");
        }
    }

    /// A RustSec-style OSV record for one crate.
    fn rustsec(id: &str, aliases: &[&str], krate: &str, info: Option<&str>) -> serde_json::Value {
        let mut ds = json!({"categories": []});
        if let Some(i) = info {
            ds["informational"] = i.into();
        }
        json!({
            "id": id,
            "modified": "2024-01-01T00:00:00Z",
            "published": "2020-01-01T00:00:00Z",
            "aliases": aliases,
            "summary": format!("{id} summary"),
            "affected": [{
                "package": {"ecosystem": "crates.io", "name": krate},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0.0.0-0"}, {"fixed": "1.0.0"}]}],
                "database_specific": ds,
            }],
        })
    }

    /// Import the records into a fresh store and scan the Cargo.lock text.
    fn scan_lock(records: &[serde_json::Value], lock: &str) -> ScanReport {
        let d = tempfile::tempdir().unwrap();
        let osv = d.path().join("osv");
        std::fs::create_dir(&osv).unwrap();
        for r in records {
            let id = r["id"].as_str().unwrap();
            std::fs::write(osv.join(format!("{id}.json")), r.to_string()).unwrap();
        }
        let mut store = SqliteStore::open(&d.path().join("s.db"), OpenMode::ReadWrite).unwrap();
        import_paths(&mut store, &[osv], &ImportOptions::default(), &NoProgress).unwrap();
        let proj = d.path().join("proj");
        std::fs::create_dir(&proj).unwrap();
        std::fs::write(proj.join("Cargo.lock"), lock).unwrap();
        let inv = patchloop_inventory::inventory(&[proj], &patchloop_inventory::Options::default())
            .unwrap();
        scan(
            &inv,
            &store,
            &Policy::default(),
            DatabaseInfo::default(),
            &ScanOptions::default(),
        )
        .unwrap()
    }

    const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

    #[test]
    fn informational_kind_is_the_primary_records() {
        // As RUSTSEC-2019-0036 (unsound) and RUSTSEC-2020-0036
        // (unmaintained) for `failure`: two records, same aliases.
        let aliases = ["CVE-2019-25010", "GHSA-jq66-xh47-j9f3"];
        let records = [
            rustsec(
                "RUSTSEC-2020-0036",
                &aliases,
                "failure",
                Some("unmaintained"),
            ),
            rustsec("RUSTSEC-2019-0036", &aliases, "failure", Some("unsound")),
        ];
        let lock = format!(
            "version = 3\n\n[[package]]\nname = \"failure\"\nversion = \"0.1.8\"\nsource = \"{CRATES_IO}\"\n"
        );
        let r = scan_lock(&records, &lock);
        assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
        let f = &r.findings[0];
        assert_eq!(f.records, ["RUSTSEC-2019-0036", "RUSTSEC-2020-0036"]);
        assert_eq!(f.id, "RUSTSEC-2019-0036");
        assert_eq!(f.category, Category::Informational);
        assert_eq!(f.informational.as_deref(), Some("unsound"));
    }

    #[test]
    fn crates_from_other_registries_are_not_matched() {
        let records = [rustsec("RUSTSEC-2020-0071", &[], "time", None)];
        // One `time` from crates.io (sparse index), one from a private
        // registry, one from git, one path crate: only the first is
        // crates.io's `time`.
        let lock = "version = 3\n\n\
            [[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"time 0.1.43 (sparse+https://index.crates.io/)\",\n \"time 0.1.43 (registry+https://example.com/index)\",\n \"time 0.1.42\",\n \"local\",\n]\n\n\
            [[package]]\nname = \"local\"\nversion = \"0.1.0\"\n\n\
            [[package]]\nname = \"time\"\nversion = \"0.1.42\"\nsource = \"git+https://github.com/time-rs/time#0123abc\"\n\n\
            [[package]]\nname = \"time\"\nversion = \"0.1.43\"\nsource = \"registry+https://example.com/index\"\n\n\
            [[package]]\nname = \"time\"\nversion = \"0.1.43\"\nsource = \"sparse+https://index.crates.io/\"\n";
        let r = scan_lock(&records, lock);
        let found: Vec<(&str, &str, usize)> = r
            .findings
            .iter()
            .map(|f| {
                (
                    f.id.as_str(),
                    f.package.version.as_str(),
                    f.occurrences.len(),
                )
            })
            .collect();
        assert_eq!(found, [("RUSTSEC-2020-0071", "0.1.43", 1)]);
        assert!(
            !r.findings[0].package.purl.contains("repository_url"),
            "{}",
            r.findings[0].package.purl
        );
        assert_eq!(r.summary.unmatched, 1);
        assert!(
            r.diagnostics
                .iter()
                .any(|d| d.message.contains("registry other than crates.io")),
            "{:?}",
            r.diagnostics
        );
    }
}
