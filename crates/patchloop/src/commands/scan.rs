//! `patchloop scan`: inventory + advisory store → findings.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use clap::{Args, ValueEnum};
use comfy_table::{ContentArrangement, Table, presets};
use patchloop_feeds::timefmt::{format_us, human_duration, parse_duration};
use patchloop_feeds::{AdvisoryStore, OpenMode, SqliteStore, StoreError};
use patchloop_inventory::{Candidate, Format, Limits, Options, WalkOptions};
use patchloop_ledger::report;
use patchloop_ledger::state::StateStore;
use patchloop_match::ScanOptions;
use patchloop_model::{
    Category, DatabaseInfo, Finding, Priority, Relation, ScanReport, SeverityLevel,
};
use patchloop_risk::Policy;

use crate::cli::OutputArgs;
use crate::exit;
use crate::output::{emit, emit_with};
use crate::ui;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    /// A readable table (default).
    Table,
    /// patchloop's stable JSON (schema patchloop.scan/v1, docs/scan-json.md).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// CycloneDX 1.6 JSON with vulnerabilities.
    Cyclonedx,
    /// Markdown, for pull-request comments.
    Markdown,
}

/// Severity threshold that makes `scan` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    /// Any vulnerability, including those of unknown severity.
    Any,
    /// Never fail on findings.
    None,
}

/// What to scan and with which data: shared by `scan` and `explain`.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Also read this SBOM (CycloneDX JSON/XML or SPDX JSON, detected by
    /// content). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub sbom: Vec<PathBuf>,
    /// The advisory database (default as for `patchloop db`).
    #[arg(long, value_name = "PATH", env = "PATCHLOOP_DB")]
    pub db: Option<PathBuf>,
    /// Apply the statements of this OpenVEX document (not_affected and
    /// fixed suppress findings). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    /// The policy file: context, SLA, ignores, VEX, mitigations (default:
    /// `patchloop.toml` in the first PATH when it is a directory, else in
    /// the current directory).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Where first-seen dates are kept for SLA clocks (default: `state.db`
    /// beside the default advisory database).
    #[arg(long, value_name = "PATH", env = "PATCHLOOP_STATE")]
    pub state: Option<PathBuf>,
    /// Do not read or record first-seen dates (every finding counts as
    /// first seen today).
    #[arg(long, conflicts_with = "state")]
    pub no_state: bool,
    /// Record a signed `discovered` ledger event (with its priority and
    /// due date) for every finding seen for the first time.
    #[arg(long, conflicts_with = "no_state")]
    pub record: bool,
    /// Warn when the advisory data is older than this (default 3d, or
    /// `[feeds] max_age`).
    #[arg(long, value_name = "DURATION")]
    pub max_age: Option<String>,
    /// Skip paths matching GLOB (as for `inventory`). Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Also walk .git, node_modules, target, vendor and virtualenvs.
    #[arg(long)]
    pub no_default_excludes: bool,
    /// Largest file read, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 256 * 1024 * 1024)]
    pub max_file_size: u64,
    #[command(flatten)]
    pub target: crate::cli::TargetArgs,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan (default: the current directory,
    /// unless only --sbom is given).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = ScanFormat::Table)]
    pub format: ScanFormat,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Exit 1 when an active vulnerability has at least this severity.
    /// `any` also counts unknown severity; `none` never fails. Default:
    /// `any`, or `none` when --fail-on-priority is given.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_on: Option<FailOn>,
    /// Exit 1 when an active vulnerability has at least this priority
    /// (`act`, `attend`, `track*`, `track`); replaces the default
    /// `--fail-on any` unless --fail-on is given too.
    #[arg(long, value_name = "PRIORITY", value_parser = parse_priority)]
    pub fail_on_priority: Option<Priority>,
    /// Informational advisories (unmaintained, unsound, notice) also make
    /// the scan fail.
    #[arg(long)]
    pub fail_on_informational: bool,
    /// Treat unreadable or malformed input files as a failure (exit 2).
    #[arg(long)]
    pub strict: bool,
}

fn parse_priority(s: &str) -> Result<Priority, String> {
    Priority::parse(s).ok_or_else(|| format!("{s:?}: expected act, attend, track* or track"))
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The vulnerability: its id or any alias (CVE, GHSA, ...).
    #[arg(value_name = "ID")]
    pub id: String,
    /// Files or directories of the project (default: the current directory).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format: a readable explanation, or the findings as JSON.
    #[arg(short, long, value_enum, default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    Text,
    Json,
}

/// Guess an SBOM's format from its first bytes.
fn sniff_sbom(path: &Path) -> Result<Format> {
    use std::io::Read;
    let mut head = [0u8; 4096];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .with_context(|| format!("reading {}", path.display()))?;
    let text = String::from_utf8_lossy(&head[..n]);
    let t = text.trim_start_matches('\u{feff}').trim_start();
    Ok(if t.starts_with('<') {
        Format::CycloneDxXml
    } else if t.contains("\"spdxVersion\"") {
        Format::SpdxJson
    } else {
        Format::CycloneDxJson
    })
}

pub(crate) fn policy_path(a: &InputArgs, paths: &[PathBuf]) -> PathBuf {
    if let Some(p) = &a.policy {
        return p.clone();
    }
    match paths.first() {
        Some(p) if p.is_dir() => p.join("patchloop.toml"),
        _ => PathBuf::from("patchloop.toml"),
    }
}

/// The result of the shared pipeline.
pub(crate) struct Scanned {
    pub report: ScanReport,
    pub inventory: patchloop_model::Inventory,
    pub now_us: i64,
    pub store: SqliteStore,
}

/// Inventory → store → findings → state → prioritization.
/// The advisory database `--db` (or the environment, or the default) names.
pub(crate) fn db_path(a: &InputArgs) -> Result<PathBuf> {
    match &a.db {
        Some(p) => Ok(p.clone()),
        None => patchloop_feeds::default_db_path().ok_or_else(|| {
            anyhow!("cannot find a data directory for the advisory database: give --db PATH or set PATCHLOOP_DB")
        }),
    }
}

/// Open the advisory store read-only, with the hint users need when there is none.
pub(crate) fn open_store(db: &Path) -> Result<SqliteStore> {
    match SqliteStore::open(db, OpenMode::ReadOnly) {
        Ok(s) => Ok(s),
        Err(StoreError::Missing { .. }) => Err(anyhow!(
            "no advisory database at {}: run `patchloop db sync` (or `patchloop db import`) first",
            db.display()
        )),
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn pipeline(a: &InputArgs, paths: &[PathBuf], record_state: bool) -> Result<Scanned> {
    let now = crate::commands::db::now_us()?;
    let today = format_us(now)[..10].to_string();
    let db = db_path(a)?;
    let policy = match &a.policy {
        Some(p) if !p.is_file() => {
            return Err(anyhow!("policy file {} not found", p.display()));
        }
        _ => Policy::load(&policy_path(a, paths))?.unwrap_or_default(),
    };
    let mut policy = policy;
    for v in &a.vex {
        let text =
            std::fs::read_to_string(v).with_context(|| format!("reading {}", v.display()))?;
        policy.add_openvex(&v.display().to_string(), &text)?;
    }
    let max_age = match &a.max_age {
        Some(m) => parse_duration(m)
            .ok_or_else(|| anyhow!("--max-age {m:?}: expected a duration such as 3d, 12h, 90m"))?,
        None => crate::commands::db::config()?.max_age_secs(),
    };

    // Inventory.
    let opts = Options {
        walk: WalkOptions {
            default_excludes: !a.no_default_excludes,
            excludes: a.exclude.clone(),
        },
        limits: Limits {
            max_file_size: a.max_file_size,
            ..Limits::default()
        },
        threads: 0,
    };
    let target = crate::commands::inventory::target_inventory(&a.target)?;
    let paths = if paths.is_empty() && a.sbom.is_empty() && target.is_none() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    let mut candidates = patchloop_inventory::walk::collect(&paths, &opts.walk)?;
    for s in &a.sbom {
        candidates.push(Candidate {
            path: s.clone(),
            display: s.to_string_lossy().replace('\\', "/"),
            format: sniff_sbom(s)?,
        });
    }
    // Open the store on a second thread and load, for each ecosystem the
    // files belong to, the names that have advisories, while this thread
    // reads the files: both are needed before matching and neither depends
    // on the other (docs/performance.md, "Scan").
    let ecosystems: Vec<patchloop_model::Ecosystem> = {
        let mut v: Vec<_> = candidates
            .iter()
            .filter_map(|c| c.format.ecosystem())
            .collect();
        v.sort_by_key(|e| e.to_string());
        v.dedup();
        v
    };
    // The same thread opens the first-seen state and reads the project's
    // history (`--no-state`: neither).
    let project = project_key(&policy, &paths);
    let state_path = match &a.state {
        Some(p) => p.clone(),
        None => db.with_file_name("state.db"),
    };
    let (inventory, opened) = std::thread::scope(|s| {
        let opener = s.spawn(|| {
            let store = open_store(&db)?;
            for eco in &ecosystems {
                store.preload_names(eco)?;
            }
            store.prepare_scan()?;
            let state = if a.no_state {
                None
            } else {
                let st = StateStore::open(&state_path)?;
                let history = st.history(&project)?;
                Some((st, history))
            };
            Ok::<_, anyhow::Error>((store, state))
        });
        let inventory = patchloop_inventory::read_candidates(&candidates, &opts);
        let opened = opener
            .join()
            .unwrap_or_else(|_| Err(anyhow!("opening the advisory database failed (panic)")));
        (inventory, opened)
    });
    let (store, state) = opened?;
    let mut inventory = inventory;
    crate::commands::inventory::merge_target(&mut inventory, target);

    let staleness =
        patchloop_feeds::check_sources(&store.location(), &store.sources()?, now, max_age);
    let database = DatabaseInfo {
        path: store.location(),
        age_secs: staleness.age_secs,
        stale: staleness.stale,
        warning: staleness.message.clone(),
    };
    let mut report = patchloop_match::scan(
        &inventory,
        &store,
        &policy,
        database,
        &ScanOptions {
            today: today.clone(),
            ..ScanOptions::default()
        },
    )?;

    // First-seen dates, then prioritization.
    let mut seen: HashMap<(String, String), String> = HashMap::new();
    let mut new_findings: std::collections::HashSet<(String, String)> = Default::default();
    if let Some((mut st, history)) = state {
        let firsts = st.observe_with(history, &report, &today, record_state)?;
        for (f, d) in report.findings.iter().zip(firsts) {
            if d.new {
                new_findings.insert((f.id.clone(), f.package.purl.clone()));
            }
            seen.insert((f.id.clone(), f.package.purl.clone()), d.first_seen);
        }
    }
    let lookup = |f: &Finding| seen.get(&(f.id.clone(), f.package.purl.clone())).cloned();
    patchloop_risk::prioritize::prioritize(&mut report, &policy, &lookup, &today);
    if a.record && record_state {
        record_discovered(&state_path, &project, &report, &new_findings, now)?;
    }
    Ok(Scanned {
        report,
        inventory,
        now_us: now,
        store,
    })
}

/// Ledger `discovered` records for findings seen for the first time, with
/// their prioritization (`--record`).
fn record_discovered(
    state_path: &Path,
    project: &str,
    report: &ScanReport,
    new: &std::collections::HashSet<(String, String)>,
    now: i64,
) -> Result<()> {
    let loc = crate::commands::ledger::LedgerLocation {
        state: Some(state_path.to_path_buf()),
        key: std::env::var_os("PATCHLOOP_LEDGER_KEY").map(PathBuf::from),
    };
    let key = loc.load_key()?;
    let mut ledger = loc.open()?;
    let time = format_us(now);
    for f in report
        .findings
        .iter()
        .filter(|f| new.contains(&(f.id.clone(), f.package.purl.clone())))
    {
        let data = serde_json::json!({
            "ids": f.ids().collect::<Vec<_>>(),
            "package": f.package,
            "files": f.occurrences.iter().map(|o| o.path.as_str()).collect::<Vec<_>>(),
            "severity": f.severity.level,
            "fixed": f.fixed,
            "priority": f.risk.as_ref().map(|r| r.priority),
            "risk_score": f.risk.as_ref().map(|r| r.score),
            "due": f.risk.as_ref().map(|r| r.due.clone()),
            "suppressed": f.suppressed.as_ref().map(|s| s.reason.clone()),
        });
        ledger.append(
            &key,
            &time,
            "discovered",
            &format!("{}/{}", f.id, f.package.name),
            project,
            "patchloop",
            data,
        )?;
    }
    Ok(())
}

/// The project key: `[project] name`, else the first path, absolute.
pub(crate) fn project_key(policy: &Policy, paths: &[PathBuf]) -> String {
    policy.project.clone().unwrap_or_else(|| {
        let p = paths.first().cloned().unwrap_or_else(|| PathBuf::from("."));
        std::fs::canonicalize(&p)
            .unwrap_or(p)
            .to_string_lossy()
            .into_owned()
    })
}

pub(crate) fn show_diagnostics(report: &ScanReport) {
    for d in &report.diagnostics {
        ui::diagnostic(d);
    }
    for n in &report.policy {
        ui::warn(&format!("{}: {}", n.rule, n.message));
    }
    if let Some(w) = &report.database.warning {
        ui::warn(w);
    }
}

pub fn run(a: ScanArgs) -> Result<u8> {
    let Scanned {
        mut report,
        inventory,
        now_us: now,
        ..
    } = pipeline(&a.input, &a.paths, true)?;
    show_diagnostics(&report);
    let out = a.output.output.as_deref();
    match a.format {
        ScanFormat::Table => emit(out, &render_table(&report))?,
        ScanFormat::Json => emit_with(out, |w| crate::json::write_scan_report(w, &mut report))?,
        ScanFormat::Sarif => {
            let opts = report::sarif::SarifOptions {
                tool_version: env!("CARGO_PKG_VERSION").to_string(),
                ..Default::default()
            };
            emit(out, &report::sarif::write(&report, &opts))?;
        }
        ScanFormat::Cyclonedx => {
            let mut opts =
                report::cyclonedx::CycloneDxOptions::generated_now(env!("CARGO_PKG_VERSION"));
            opts.timestamp = Some(crate::commands::fmt_rfc3339(now / 1_000_000));
            emit(out, &report::cyclonedx::write(&report, &opts))?;
        }
        ScanFormat::Markdown => emit(
            out,
            &report::markdown::write(&report, &report::markdown::MarkdownOptions::default()),
        )?,
    }
    if a.format != ScanFormat::Table && !ui::quiet() {
        ui::note(&summary_line(&report));
    }
    let code = if a.strict && inventory.has_errors() {
        exit::USAGE
    } else {
        // --fail-on-priority alone replaces the default severity gate.
        let fail_on = a.fail_on.unwrap_or(if a.fail_on_priority.is_some() {
            FailOn::None
        } else {
            FailOn::Any
        });
        let by_priority = a.fail_on_priority.is_some_and(|t| {
            report.active().any(|f| {
                f.category == Category::Vulnerability
                    && f.risk.as_ref().is_some_and(|r| r.priority >= t)
            })
        });
        if by_priority || fails(&report, fail_on, a.fail_on_informational) {
            exit::FINDINGS
        } else {
            exit::OK
        }
    };
    // The process exits next: freeing the report and the inventory one
    // allocation at a time (several per package and per finding) is work
    // the kernel does at once when the process ends.
    std::mem::forget(report);
    std::mem::forget(inventory);
    Ok(code)
}

/// Does the report fail the gate?
pub fn fails(report: &ScanReport, fail_on: FailOn, informational: bool) -> bool {
    let threshold = match fail_on {
        FailOn::None => return false,
        FailOn::Any => None,
        FailOn::Low => Some(SeverityLevel::Low),
        FailOn::Medium => Some(SeverityLevel::Medium),
        FailOn::High => Some(SeverityLevel::High),
        FailOn::Critical => Some(SeverityLevel::Critical),
    };
    report.active().any(|f| match f.category {
        Category::Informational => informational,
        Category::Vulnerability => match threshold {
            None => true,
            Some(t) => f.severity.level >= t,
        },
    })
}

fn summary_line(r: &ScanReport) -> String {
    let s = &r.summary;
    let mut parts: Vec<String> = SeverityLevel::ALL
        .iter()
        .filter_map(|l| s.by_severity.get(l).map(|n| format!("{n} {l}")))
        .collect();
    if parts.is_empty() {
        parts.push("none".into());
    }
    let mut line = format!(
        "{} vulnerabilities ({}) in {} packages; {} informational; {} ignored; {} packages in {} files scanned",
        s.vulnerabilities,
        parts.join(", "),
        s.vulnerable_packages,
        s.informational,
        s.suppressed,
        s.packages,
        s.files,
    );
    if !s.by_priority.is_empty() {
        let p: Vec<String> = Priority::ALL
            .iter()
            .filter_map(|l| s.by_priority.get(l).map(|n| format!("{n} {l}")))
            .collect();
        line.push_str(&format!("; priorities: {}", p.join(", ")));
        if s.overdue > 0 {
            line.push_str(&format!(", {} OVERDUE", s.overdue));
        }
    }
    if s.unpinned + s.unmatched > 0 {
        line.push_str(&format!(
            " ({} without an exact version, {} not checkable)",
            s.unpinned, s.unmatched
        ));
    }
    line
}

fn via(f: &Finding) -> String {
    let Some(o) = f.occurrences.first() else {
        return String::new();
    };
    let mut s = match o.relation {
        Relation::Direct => "direct".to_string(),
        _ => match o.paths.first() {
            Some(p) if p.len() > 1 => format!("via {}", p[..p.len() - 1].join(" > ")),
            // OS package databases and flat lists say nothing of how a
            // package came in.
            _ if o.relation == Relation::Unknown => String::new(),
            _ => "transitive".to_string(),
        },
    };
    if o.scope != patchloop_model::Scope::Runtime {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(&format!("({})", o.scope.as_str()));
    }
    s
}

fn location(f: &Finding) -> String {
    let mut s = match f.primary_location() {
        Some((p, Some(l))) => format!("{p}:{l}"),
        Some((p, None)) => p.to_string(),
        None => String::new(),
    };
    if f.occurrences.len() > 1 {
        // Several binary packages of one source package sit in the same
        // OS database: count files, not entries.
        let first = f.occurrences[0].path.as_str();
        let mut others: Vec<&str> = f
            .occurrences
            .iter()
            .map(|o| o.path.as_str())
            .filter(|p| *p != first)
            .collect();
        others.sort_unstable();
        others.dedup();
        let (n, what) = if others.is_empty() {
            (f.occurrences.len() - 1, ["entry", "entries"])
        } else {
            (others.len(), ["file", "files"])
        };
        s.push_str(&format!(" (+{n} {})", what[usize::from(n != 1)]));
    }
    let v = via(f);
    if !v.is_empty() {
        s.push('\n');
        s.push_str(&v);
    }
    s
}

/// The key exploitation and context signals, compactly.
fn signals(f: &Finding) -> String {
    let mut out = Vec::new();
    if let Some(k) = f.exploitation.kev.first() {
        out.push(format!(
            "KEV {}{}",
            k.date_added,
            if k.known_ransomware {
                " ransomware"
            } else {
                ""
            }
        ));
    }
    if let Some(e) = &f.exploitation.epss {
        out.push(format!("EPSS {:.1}%", e.probability * 100.0));
    }
    if !f.exploitation.exploit_refs.is_empty() {
        out.push("exploit ref".into());
    }
    if let Some(r) = &f.risk {
        if r.signals.iter().any(|s| s.name == "scope") {
            out.push("dev/build only".into());
        } else {
            out.push(format!(
                "{} / {}",
                r.context.exposure, r.context.environment
            ));
        }
        for a in &r.applied {
            out.push(format!("{}: {}", a.kind, a.status));
        }
    }
    out.join("\n")
}

fn severity_cell(f: &Finding) -> String {
    match f.severity.score {
        Some(s) => format!("{} {s:.1}", f.severity.level),
        None => f.severity.level.to_string(),
    }
}

fn id_cell(f: &Finding) -> String {
    let mut id = f.id.clone();
    if let Some(cve) = f.aliases.iter().find(|a| a.starts_with("CVE-")) {
        id.push_str(&format!("\n{cve}"));
    }
    id
}

fn new_table(header: Vec<&str>) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header);
    t
}

fn render_table(r: &ScanReport) -> String {
    let mut out = String::new();
    let vulns: Vec<&Finding> = r
        .active()
        .filter(|f| f.category == Category::Vulnerability)
        .collect();
    if !vulns.is_empty() {
        let mut t = new_table(vec![
            "priority", "due", "risk", "severity", "id", "package", "fixed", "signals", "found in",
        ]);
        for f in vulns {
            let (prio, due, risk) = match &f.risk {
                Some(r) => (
                    r.priority.to_string(),
                    if r.overdue {
                        format!("{}\nOVERDUE", r.due)
                    } else {
                        r.due.clone()
                    },
                    r.score.to_string(),
                ),
                None => Default::default(),
            };
            t.add_row(vec![
                prio,
                due,
                risk,
                severity_cell(f),
                id_cell(f),
                format!("{} {}", f.package.name, f.package.version),
                f.fixed.clone().unwrap_or_else(|| "-".into()),
                signals(f),
                location(f),
            ]);
        }
        out.push_str(&format!("{t}\n"));
    }
    let info: Vec<&Finding> = r
        .active()
        .filter(|f| f.category == Category::Informational)
        .collect();
    if !info.is_empty() {
        let mut t = new_table(vec!["informational", "id", "package", "fixed", "found in"]);
        for f in info {
            t.add_row(vec![
                f.informational.clone().unwrap_or_default(),
                id_cell(f),
                format!("{} {}", f.package.name, f.package.version),
                f.fixed.clone().unwrap_or_else(|| "-".into()),
                location(f),
            ]);
        }
        out.push_str(&format!("Informational advisories\n{t}\n"));
    }
    let suppressed: Vec<&Finding> = r.findings.iter().filter(|f| !f.is_active()).collect();
    if !suppressed.is_empty() {
        out.push_str("Ignored by policy (ignore rules and VEX statements)\n");
        for f in suppressed {
            if let Some(s) = &f.suppressed {
                out.push_str(&format!(
                    "  {} in {} {}: {} (until {}, {})\n",
                    f.id,
                    f.package.name,
                    f.package.version,
                    s.reason,
                    s.expires.as_deref().unwrap_or("-"),
                    s.rule
                ));
            }
        }
    }
    if let Some(age) = r.database.age_secs {
        out.push_str(&format!(
            "advisory data: {} old{}\n",
            human_duration(age),
            if r.database.stale { " (STALE)" } else { "" }
        ));
    }
    out.push_str(&summary_line(r));
    out.push('\n');
    out
}

/// `patchloop explain ID [PATH...]`.
pub fn explain(a: ExplainArgs) -> Result<u8> {
    let Scanned { report, .. } = pipeline(&a.input, &a.paths, false)?;
    show_diagnostics(&report);
    let found: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.ids().any(|i| i.eq_ignore_ascii_case(&a.id)))
        .collect();
    if found.is_empty() {
        ui::error(&format!(
            "{} is not found in this project: no package here is affected by it according to the advisory database ({})",
            a.id, report.database.path
        ));
        return Ok(exit::FINDINGS);
    }
    let out = a.output.output.as_deref();
    match a.format {
        ExplainFormat::Json => emit_with(out, |w| {
            serde_json::to_writer_pretty(&mut *w, &found)?;
            w.write_all(b"\n")
        })?,
        ExplainFormat::Text => {
            let text: Vec<String> = found.iter().map(|f| render_explanation(f)).collect();
            emit(out, &text.join("\n"))?;
        }
    }
    Ok(exit::OK)
}

fn render_explanation(f: &Finding) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "{} in {} {} ({})\n",
        f.id, f.package.name, f.package.version, f.package.ecosystem
    ));
    if let Some(sum) = &f.summary {
        s.push_str(&format!("  {sum}\n"));
    }
    if !f.aliases.is_empty() {
        s.push_str(&format!("  aliases: {}\n", f.aliases.join(", ")));
    }
    s.push_str(&format!(
        "  records: {} (advisory database)\n",
        f.records.join(", ")
    ));
    if let Some(u) = &f.url {
        s.push_str(&format!("  advisory: {u}\n"));
    }
    s.push_str(&format!(
        "  fixed in: {}\n",
        f.fixed.as_deref().unwrap_or("no fixed version named")
    ));
    for o in &f.occurrences {
        s.push_str(&format!(
            "  found in: {}{} ({}, {})\n",
            o.path,
            o.line.map(|l| format!(":{l}")).unwrap_or_default(),
            match o.relation {
                Relation::Direct => "direct",
                Relation::Transitive => "transitive",
                Relation::Unknown => "relation unknown",
            },
            o.scope.as_str()
        ));
        for p in &o.paths {
            s.push_str(&format!("    path: {}\n", p.join(" > ")));
        }
    }
    s.push_str(&format!(
        "  severity: {}{}{}\n",
        severity_cell(f),
        f.severity
            .vector
            .as_deref()
            .map(|v| format!(" {v}"))
            .unwrap_or_default(),
        f.severity
            .source
            .as_deref()
            .map(|v| format!(" (from {v})"))
            .unwrap_or_default()
    ));
    if let Some(sup) = &f.suppressed {
        s.push_str(&format!(
            "  SUPPRESSED: {} (until {}, {})\n",
            sup.reason,
            sup.expires.as_deref().unwrap_or("-"),
            sup.rule
        ));
    }
    let Some(r) = &f.risk else {
        s.push_str("  not prioritized (informational advisory)\n");
        return s;
    };
    s.push_str(&format!(
        "\n  decision: {} (risk {}/100), due {}{}\n    {}\n",
        r.priority,
        r.score,
        r.due,
        if r.overdue { " OVERDUE" } else { "" },
        r.due_reason
    ));
    s.push_str(&format!(
        "  SSVC (deployer table row {}): exploitation {}, exposure {}, automatable {}, human impact {} -> {}\n",
        r.ssvc.row,
        r.ssvc.exploitation,
        r.ssvc.exposure,
        r.ssvc.automatable,
        r.ssvc.human_impact,
        r.ssvc.decision
    ));
    if let Some(e) = &r.environmental {
        s.push_str(&format!(
            "  environmental CVSS: {:.1} ({}) {}\n",
            e.score, e.level, e.vector
        ));
    }
    let mut t = new_table(vec!["signal", "value", "source", "effect"]);
    for sig in &r.signals {
        t.add_row(vec![
            sig.name.clone(),
            sig.value.clone(),
            sig.source.clone(),
            sig.effect.clone(),
        ]);
    }
    s.push_str(&format!("{t}\n"));
    s
}
