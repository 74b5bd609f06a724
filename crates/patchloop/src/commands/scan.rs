//! `patchloop scan`: inventory + advisory store → findings.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use clap::{Args, ValueEnum};
use comfy_table::{ContentArrangement, Table, presets};
use patchloop_feeds::timefmt::{format_us, human_duration, parse_duration};
use patchloop_feeds::{AdvisoryStore, OpenMode, SqliteStore, StoreError};
use patchloop_inventory::{Candidate, Format, Limits, Options, WalkOptions};
use patchloop_ledger::report;
use patchloop_match::ScanOptions;
use patchloop_model::{Category, DatabaseInfo, Finding, Relation, ScanReport, SeverityLevel};
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

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan (default: the current directory,
    /// unless only --sbom is given).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Also read this SBOM (CycloneDX JSON/XML or SPDX JSON, detected by
    /// content). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub sbom: Vec<PathBuf>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = ScanFormat::Table)]
    pub format: ScanFormat,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Exit 1 when an active vulnerability has at least this severity.
    /// `any` also counts unknown severity; `none` never fails.
    #[arg(long, value_enum, default_value_t = FailOn::Any, value_name = "LEVEL")]
    pub fail_on: FailOn,
    /// Informational advisories (unmaintained, unsound, notice) also make
    /// the scan fail.
    #[arg(long)]
    pub fail_on_informational: bool,
    /// The advisory database (default as for `patchloop db`).
    #[arg(long, value_name = "PATH", env = "PATCHLOOP_DB")]
    pub db: Option<PathBuf>,
    /// The policy file with ignore rules (default: `patchloop.toml` in the
    /// first PATH when it is a directory, else in the current directory).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
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
    /// Treat unreadable or malformed input files as a failure (exit 2).
    #[arg(long)]
    pub strict: bool,
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

fn policy_path(a: &ScanArgs) -> PathBuf {
    if let Some(p) = &a.policy {
        return p.clone();
    }
    match a.paths.first() {
        Some(p) if p.is_dir() => p.join("patchloop.toml"),
        _ => PathBuf::from("patchloop.toml"),
    }
}

pub fn run(a: ScanArgs) -> Result<u8> {
    let now = crate::commands::db::now_us()?;
    let today = format_us(now)[..10].to_string();
    let db = match &a.db {
        Some(p) => p.clone(),
        None => patchloop_feeds::default_db_path().ok_or_else(|| {
            anyhow!("cannot find a data directory for the advisory database: give --db PATH or set PATCHLOOP_DB")
        })?,
    };
    let policy = match &a.policy {
        Some(p) if !p.is_file() => {
            return Err(anyhow!("policy file {} not found", p.display()));
        }
        _ => Policy::load(&policy_path(&a))?.unwrap_or_default(),
    };
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
    let paths = if a.paths.is_empty() && a.sbom.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        a.paths.clone()
    };
    let mut candidates = patchloop_inventory::walk::collect(&paths, &opts.walk)?;
    for s in &a.sbom {
        candidates.push(Candidate {
            path: s.clone(),
            display: s.to_string_lossy().replace('\\', "/"),
            format: sniff_sbom(s)?,
        });
    }
    let inventory = patchloop_inventory::read_candidates(&candidates, &opts);

    // Store.
    let store = match SqliteStore::open(&db, OpenMode::ReadOnly) {
        Ok(s) => s,
        Err(StoreError::Missing { .. }) => {
            return Err(anyhow!(
                "no advisory database at {}: run `patchloop db sync` (or `patchloop db import`) first",
                db.display()
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let staleness =
        patchloop_feeds::check_sources(&store.location(), &store.sources()?, now, max_age);
    let database = DatabaseInfo {
        path: store.location(),
        age_secs: staleness.age_secs,
        stale: staleness.stale,
        warning: staleness.message.clone(),
    };
    let report = patchloop_match::scan(
        &inventory,
        &store,
        &policy,
        database,
        &ScanOptions {
            today,
            ..ScanOptions::default()
        },
    )?;

    for d in &report.diagnostics {
        ui::diagnostic(d);
    }
    for n in &report.policy {
        ui::warn(&format!("{}: {}", n.rule, n.message));
    }
    if let Some(w) = &report.database.warning {
        ui::warn(w);
    }

    let out = a.output.output.as_deref();
    match a.format {
        ScanFormat::Table => emit(out, &render_table(&report))?,
        ScanFormat::Json => emit_with(out, |w| {
            serde_json::to_writer_pretty(&mut *w, &report)?;
            w.write_all(b"\n")
        })?,
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
    if a.strict && inventory.has_errors() {
        return Ok(exit::USAGE);
    }
    Ok(if fails(&report, a.fail_on, a.fail_on_informational) {
        exit::FINDINGS
    } else {
        exit::OK
    })
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
            Some(p) if p.len() > 1 => p[..p.len() - 1].join(" > "),
            _ => "transitive".to_string(),
        },
    };
    if o.scope != patchloop_model::Scope::Runtime {
        s.push_str(&format!(" ({})", o.scope.as_str()));
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
        s.push_str(&format!(" (+{} files)", f.occurrences.len() - 1));
    }
    s
}

fn table_of<'a>(findings: impl Iterator<Item = &'a Finding>, first: &str) -> Option<Table> {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(vec![
            first, "id", "package", "version", "fixed", "via", "found in",
        ]);
    let mut any = false;
    for f in findings {
        any = true;
        let first_col = match f.category {
            Category::Vulnerability => match f.severity.score {
                Some(s) => format!("{} {s:.1}", f.severity.level),
                None => f.severity.level.to_string(),
            },
            Category::Informational => f.informational.clone().unwrap_or_default(),
        };
        let mut id = f.id.clone();
        if let Some(cve) = f.aliases.iter().find(|a| a.starts_with("CVE-")) {
            id.push_str(&format!("\n{cve}"));
        }
        t.add_row(vec![
            first_col,
            id,
            f.package.name.clone(),
            f.package.version.clone(),
            f.fixed.clone().unwrap_or_else(|| "-".into()),
            via(f),
            location(f),
        ]);
    }
    any.then_some(t)
}

fn render_table(r: &ScanReport) -> String {
    let mut out = String::new();
    if let Some(t) = table_of(
        r.active().filter(|f| f.category == Category::Vulnerability),
        "severity",
    ) {
        out.push_str(&format!("{t}\n"));
    }
    if let Some(t) = table_of(
        r.active().filter(|f| f.category == Category::Informational),
        "informational",
    ) {
        out.push_str(&format!("Informational advisories\n{t}\n"));
    }
    let suppressed: Vec<&Finding> = r.findings.iter().filter(|f| !f.is_active()).collect();
    if !suppressed.is_empty() {
        out.push_str("Ignored by policy\n");
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
