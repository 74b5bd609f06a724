//! `patchloop db import|sync|status`: the local advisory database.

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use clap::{Args, Subcommand, ValueEnum};
use comfy_table::{ContentArrangement, Table, presets};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use patchloop_feeds::config::{self, DEFAULT_EPSS_URL, DEFAULT_KEV_URL, DEFAULT_OSV_URL};
use patchloop_feeds::fetch::FetchOptions;
use patchloop_feeds::sync::Action;
use patchloop_feeds::timefmt::{format_us, human_duration, parse_duration, parse_us};
use patchloop_feeds::{
    AdvisoryStore, FeedsConfig, ImportOptions, ImportReport, Limits, OpenMode, Progress,
    SqliteStore, Staleness, Status, StoreError, SyncOptions, SyncReport, Unit,
};
use patchloop_model::Ecosystem;
use serde::Serialize;

use crate::cli::OutputArgs;
use crate::exit;
use crate::output::emit;
use crate::ui;

#[derive(Debug, Args)]
pub struct DbArgs {
    /// The advisory database file (default: `$XDG_DATA_HOME/patchloop/advisories.db`,
    /// else `~/.local/share/patchloop/advisories.db`; macOS: `~/Library/Application Support/patchloop/`).
    #[arg(long, global = true, value_name = "PATH", env = "PATCHLOOP_DB")]
    pub db: Option<PathBuf>,
    #[command(subcommand)]
    pub command: DbCommand,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Import OSV records (directories, zip exports, JSON files), a KEV
    /// catalog or an EPSS file, in one transaction.
    Import(ImportArgs),
    /// Update from the configured feeds (OSV, CISA KEV, FIRST EPSS).
    Sync(SyncArgs),
    /// What the database holds, how old it is.
    Status(StatusArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files or directories: OSV JSON (a record or an array), directories of
    /// them (recursive), OSV zip exports (`all.zip`), a KEV catalog (JSON),
    /// an EPSS file (`.csv` or `.csv.gz`). The kind is detected by content.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// Summary format.
    #[arg(short, long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Exit 2 when any record was skipped as malformed (nothing is imported).
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Debug, Args)]
pub struct LimitArgs {
    /// Largest single OSV record, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_record_bytes)]
    pub max_record_size: u64,
    /// Most entries in one zip archive.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_zip_entries)]
    pub max_zip_entries: u64,
    /// Most uncompressed bytes read from one zip archive.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_zip_total_bytes)]
    pub max_zip_size: u64,
    /// Highest compression ratio accepted for zip entries of 1 MiB or more.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_zip_ratio)]
    pub max_zip_ratio: u64,
}

impl LimitArgs {
    fn limits(&self) -> Limits {
        Limits {
            max_record_bytes: self.max_record_size,
            max_zip_entries: self.max_zip_entries,
            max_zip_total_bytes: self.max_zip_size,
            max_zip_ratio: self.max_zip_ratio,
            ..Limits::default()
        }
    }
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Projects whose inventory decides which OSV ecosystems to sync
    /// (default: the current directory). Ignored with --ecosystem.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Sync only this OSV ecosystem (repeatable or comma-separated; `PyPI`,
    /// `crates.io`, `npm`, `Debian:12`, ...).
    #[arg(short, long, value_name = "ECOSYSTEM", value_delimiter = ',')]
    pub ecosystem: Vec<String>,
    /// Download each ecosystem's all.zip even when an incremental sync is possible.
    #[arg(long)]
    pub full: bool,
    /// OSV base URL or mirror directory (`<base>/<ecosystem>/all.zip`, `modified_id.csv`, `<ID>.json`).
    #[arg(long, value_name = "URL", env = "PATCHLOOP_OSV_URL")]
    pub osv_url: Option<String>,
    /// CISA KEV catalog URL or file.
    #[arg(long, value_name = "URL", env = "PATCHLOOP_KEV_URL")]
    pub kev_url: Option<String>,
    /// FIRST EPSS scores URL or file (`.csv` or `.csv.gz`).
    #[arg(long, value_name = "URL", env = "PATCHLOOP_EPSS_URL")]
    pub epss_url: Option<String>,
    /// Do not sync the KEV catalog.
    #[arg(long)]
    pub no_kev: bool,
    /// Do not sync EPSS scores.
    #[arg(long)]
    pub no_epss: bool,
    /// Network timeout (connect and each read), seconds.
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// Retries after a failed request (with exponential backoff).
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,
    /// Largest download accepted, bytes.
    #[arg(long, value_name = "BYTES")]
    pub max_download_size: Option<u64>,
    /// Summary format.
    #[arg(short, long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Report format.
    #[arg(short, long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Warn when data is older than this (`3d`, `12h`; default: `[feeds] max_age`, else 3 days).
    #[arg(long, value_name = "DURATION")]
    pub max_age: Option<String>,
    /// Exit 1 when the data is stale or the database is empty.
    #[arg(long)]
    pub fail_if_stale: bool,
}

pub fn run(a: DbArgs) -> Result<u8> {
    let db = match a.db {
        Some(p) => p,
        None => patchloop_feeds::default_db_path()
            .ok_or_else(|| anyhow!("cannot find a data directory for the advisory database: give --db PATH or set PATCHLOOP_DB"))?,
    };
    let now_us = now_us()?;
    match a.command {
        DbCommand::Import(i) => import(&db, i, now_us),
        DbCommand::Sync(s) => sync(&db, s, now_us),
        DbCommand::Status(s) => status(&db, s, now_us),
    }
}

/// "Now": `PATCHLOOP_NOW` (RFC 3339 or seconds since the epoch) for tests
/// and reproducible runs, else the clock.
pub(crate) fn now_us() -> Result<i64> {
    match std::env::var("PATCHLOOP_NOW") {
        Ok(v) if !v.trim().is_empty() => {
            let v = v.trim();
            if let Ok(secs) = v.parse::<i64>() {
                return Ok(secs * 1_000_000);
            }
            parse_us(v).ok_or_else(|| {
                anyhow!(
                    "PATCHLOOP_NOW={v:?} is neither an RFC 3339 time nor seconds since the epoch"
                )
            })
        }
        _ => Ok(patchloop_feeds::timefmt::now_us()),
    }
}

pub(crate) fn config() -> Result<FeedsConfig> {
    let user = config::user_config_path();
    let project = PathBuf::from("patchloop.toml");
    let (cfg, notes) = FeedsConfig::load_merged(
        user.as_deref(),
        project.is_file().then_some(project.as_path()),
    )?;
    for n in notes {
        ui::warn(&n);
    }
    Ok(cfg)
}

fn open(db: &std::path::Path) -> Result<SqliteStore> {
    Ok(SqliteStore::open(db, OpenMode::ReadWrite)?)
}

fn show_warnings(warnings: &[patchloop_feeds::ImportWarning]) {
    const SHOWN: usize = 50;
    let verbose = tracing::enabled!(tracing::Level::INFO);
    for w in warnings
        .iter()
        .take(if verbose { usize::MAX } else { SHOWN })
    {
        ui::warn(&w.to_string());
    }
    if !verbose && warnings.len() > SHOWN {
        ui::warn(&format!(
            "{} more warnings not shown (use -v to see all)",
            warnings.len() - SHOWN
        ));
    }
}

fn import(db: &std::path::Path, a: ImportArgs, now_us: i64) -> Result<u8> {
    let mut store = open(db)?;
    let opts = ImportOptions {
        limits: a.limits.limits(),
        threads: 0,
        now_us,
    };
    let bars = Bars::new();
    let strict = a.strict;
    let report =
        patchloop_feeds::import::import_paths_checked(&mut store, &a.paths, &opts, &bars, |r| {
            !strict || r.records.skipped == 0
        })?;
    bars.finish();
    show_warnings(&report.warnings);
    store.checkpoint();
    let rendered = match a.format {
        ReportFormat::Json => json(&ImportView {
            database: db.display().to_string(),
            committed: !(strict && report.records.skipped > 0),
            report: &report,
        })?,
        ReportFormat::Table => import_table(&report),
    };
    emit(a.output.output.as_deref(), &rendered)?;
    if strict && report.records.skipped > 0 {
        ui::error(&format!(
            "{} malformed records (--strict): nothing was imported",
            report.records.skipped
        ));
        return Ok(exit::USAGE);
    }
    ui::note(&format!(
        "{} records read: {} inserted, {} updated, {} unchanged, {} skipped",
        report.records.total(),
        report.records.inserted,
        report.records.updated,
        report.records.unchanged,
        report.records.skipped
    ));
    Ok(exit::OK)
}

#[derive(Serialize)]
struct ImportView<'a> {
    database: String,
    /// False when --strict rolled the import back.
    committed: bool,
    #[serde(flatten)]
    report: &'a ImportReport,
}

fn json<T: Serialize>(v: &T) -> Result<String> {
    let mut s = serde_json::to_string_pretty(v)?;
    s.push('\n');
    Ok(s)
}

fn table(header: Vec<&str>) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header);
    t
}

fn import_table(r: &ImportReport) -> String {
    let mut out = String::new();
    if r.records.total() > 0 {
        let mut t = table(vec![
            "ecosystem",
            "inserted",
            "updated",
            "unchanged",
            "skipped",
        ]);
        for (eco, c) in &r.by_ecosystem {
            t.add_row(vec![
                if eco.is_empty() {
                    "(none)".into()
                } else {
                    eco.clone()
                },
                c.inserted.to_string(),
                c.updated.to_string(),
                c.unchanged.to_string(),
                String::new(),
            ]);
        }
        let c = &r.records;
        t.add_row(vec![
            "total".into(),
            c.inserted.to_string(),
            c.updated.to_string(),
            c.unchanged.to_string(),
            c.skipped.to_string(),
        ]);
        out.push_str(&format!("OSV records\n{t}\n"));
    }
    for (name, c) in [("KEV entries", r.kev), ("EPSS scores", r.epss)] {
        if let Some(c) = c {
            out.push_str(&format!(
                "{name}: {} inserted, {} updated, {} unchanged, {} removed\n",
                c.inserted, c.updated, c.unchanged, c.removed
            ));
        }
    }
    if out.is_empty() {
        out.push_str("nothing imported\n");
    }
    out
}

fn sync(db: &std::path::Path, a: SyncArgs, now_us: i64) -> Result<u8> {
    let cfg = config()?;
    let ecosystems = select_ecosystems(&a, &cfg)?;
    let defaults = FetchOptions::default();
    let opts = SyncOptions {
        osv_url: a
            .osv_url
            .clone()
            .or(cfg.osv_url.clone())
            .unwrap_or_else(|| DEFAULT_OSV_URL.into()),
        kev_url: a
            .kev_url
            .clone()
            .or(cfg.kev_url.clone())
            .unwrap_or_else(|| DEFAULT_KEV_URL.into()),
        epss_url: a
            .epss_url
            .clone()
            .or(cfg.epss_url.clone())
            .unwrap_or_else(|| DEFAULT_EPSS_URL.into()),
        ecosystems,
        kev: !a.no_kev,
        epss: !a.no_epss,
        full: a.full,
        fetch: FetchOptions {
            timeout: a
                .timeout
                .or(cfg.timeout_secs)
                .map(Duration::from_secs)
                .unwrap_or(defaults.timeout),
            retries: a.retries.or(cfg.retries).unwrap_or(defaults.retries),
            max_bytes: a
                .max_download_size
                .or(cfg.max_download_bytes)
                .unwrap_or(defaults.max_bytes),
            ..defaults
        },
        import: ImportOptions {
            limits: a.limits.limits(),
            threads: 0,
            now_us,
        },
        ..SyncOptions::default()
    };
    let mut store = open(db)?;
    let bars = Bars::new();
    let report = patchloop_feeds::sync(&mut store, &opts, &bars);
    bars.finish();
    store.checkpoint();
    for s in &report.sources {
        show_warnings(&s.warnings);
        if let Some(e) = &s.error {
            ui::error(&format!("{}: {e} (previous data kept)", s.source));
        }
    }
    let rendered = match a.format {
        ReportFormat::Json => json(&SyncView {
            database: db.display().to_string(),
            report: &report,
        })?,
        ReportFormat::Table => sync_table(&report),
    };
    emit(a.output.output.as_deref(), &rendered)?;
    Ok(if report.failed() {
        exit::USAGE
    } else {
        exit::OK
    })
}

#[derive(Serialize)]
struct SyncView<'a> {
    database: String,
    #[serde(flatten)]
    report: &'a SyncReport,
}

fn select_ecosystems(a: &SyncArgs, cfg: &FeedsConfig) -> Result<Vec<String>> {
    let canon = |s: &str| Ecosystem::from_user(s.trim()).to_string();
    if !a.ecosystem.is_empty() {
        let set: BTreeSet<String> = a
            .ecosystem
            .iter()
            .filter(|e| !e.trim().is_empty())
            .map(|e| canon(e))
            .collect();
        return Ok(set.into_iter().collect());
    }
    let mut set: BTreeSet<String> = cfg.ecosystems.iter().flatten().map(|e| canon(e)).collect();
    let paths = if a.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        a.paths.clone()
    };
    let inv = patchloop_inventory::inventory(&paths, &patchloop_inventory::Options::default())
        .context("reading the inventory that decides which ecosystems to sync")?;
    for d in &inv.diagnostics {
        tracing::debug!("inventory: {}: {}", d.path, d.message);
    }
    let found: BTreeSet<String> = inv
        .sources
        .iter()
        .flat_map(|s| {
            std::iter::once(s.ecosystem.clone())
                .chain(s.packages.iter().map(|p| p.ecosystem.clone()))
        })
        .filter(|e| !e.is_unknown())
        // The OSV bucket exports distributions per base ecosystem
        // (`Debian/all.zip` holds `Debian:11`, `Debian:12`, ...).
        .map(|e| e.kind.as_str().to_string())
        .collect();
    if found.is_empty() && set.is_empty() {
        ui::warn(&format!(
            "no ecosystems found in the inventory of {}: syncing KEV and EPSS only (use --ecosystem, or [feeds] ecosystems in the configuration)",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    } else if !found.is_empty() {
        ui::note(&format!(
            "ecosystems from the inventory: {}",
            found.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    set.extend(found);
    Ok(set.into_iter().collect())
}

fn sync_table(r: &SyncReport) -> String {
    let mut t = table(vec![
        "source",
        "result",
        "inserted",
        "updated",
        "unchanged",
        "skipped",
        "fetched",
    ]);
    for s in &r.sources {
        let action = match s.action {
            Action::Full => "full download",
            Action::Incremental => "incremental",
            Action::NotModified => "up to date",
            Action::Failed => "FAILED",
        };
        let (i, u, n, k) = match (s.records, s.table) {
            (Some(c), _) => (c.inserted, c.updated, c.unchanged, c.skipped.to_string()),
            (None, Some(c)) => (c.inserted, c.updated, c.unchanged, String::new()),
            _ => (0, 0, 0, String::new()),
        };
        t.add_row(vec![
            s.source.clone(),
            action.to_string(),
            i.to_string(),
            u.to_string(),
            n.to_string(),
            k,
            if s.fetched > 0 {
                s.fetched.to_string()
            } else {
                String::new()
            },
        ]);
    }
    format!("{t}\n")
}

#[derive(Serialize)]
struct SourceView {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_sync: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_import: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_change: Option<String>,
    /// Seconds since the last sync or import.
    #[serde(skip_serializing_if = "Option::is_none")]
    age_secs: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_modified: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    watermark: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct StatusView<'a> {
    schema: &'static str,
    database: String,
    exists: bool,
    now: String,
    schema_version: i64,
    size_bytes: u64,
    advisories: u64,
    withdrawn: u64,
    by_source_ecosystem: &'a [patchloop_feeds::store::EcosystemCounts],
    packages: &'a [patchloop_feeds::store::PackageCounts],
    aliases: u64,
    cves: u64,
    kev_entries: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    kev_catalog_version: Option<&'a str>,
    epss_scores: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    epss_model_version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    epss_score_date: Option<&'a str>,
    sources: Vec<SourceView>,
    /// Seconds since the oldest source was refreshed.
    #[serde(skip_serializing_if = "Option::is_none")]
    data_age_secs: Option<i64>,
    staleness: &'a Staleness,
}

fn status(db: &std::path::Path, a: StatusArgs, now_us: i64) -> Result<u8> {
    let max_age = match &a.max_age {
        Some(m) => parse_duration(m)
            .ok_or_else(|| anyhow!("--max-age {m:?}: expected a duration such as 3d, 12h, 90m"))?,
        None => config()?.max_age_secs(),
    };
    let (st, exists) = match SqliteStore::open(db, OpenMode::ReadOnly) {
        Ok(s) => (s.status()?, true),
        Err(StoreError::Missing { .. }) => (
            Status {
                path: db.display().to_string(),
                ..Status::default()
            },
            false,
        ),
        Err(e) => return Err(e.into()),
    };
    let staleness = patchloop_feeds::check_staleness(&st, now_us, max_age);
    let rendered = match a.format {
        ReportFormat::Json => {
            let sources = st
                .sources
                .iter()
                .map(|s| SourceView {
                    name: s.name.clone(),
                    url: s.url.clone(),
                    last_sync: s.last_sync_us.map(format_us),
                    last_import: s.last_import_us.map(format_us),
                    last_change: s.last_change_us.map(format_us),
                    age_secs: s.refreshed_us().map(|t| (now_us - t).max(0) / 1_000_000),
                    etag: s.etag.clone(),
                    last_modified: s.last_modified.clone(),
                    watermark: s.watermark.clone(),
                    detail: s.detail.clone(),
                })
                .collect();
            json(&StatusView {
                schema: "patchloop.db-status/v1",
                database: db.display().to_string(),
                exists,
                now: format_us(now_us),
                schema_version: st.schema_version,
                size_bytes: st.size_bytes,
                advisories: st.advisories,
                withdrawn: st.withdrawn,
                by_source_ecosystem: &st.by_source_ecosystem,
                packages: &st.packages,
                aliases: st.aliases,
                cves: st.cves,
                kev_entries: st.kev_entries,
                kev_catalog_version: st.kev_catalog_version.as_deref(),
                epss_scores: st.epss_scores,
                epss_model_version: st.epss_model_version.as_deref(),
                epss_score_date: st.epss_score_date.as_deref(),
                sources,
                data_age_secs: staleness.age_secs,
                staleness: &staleness,
            })?
        }
        ReportFormat::Table => status_table(&st, exists, now_us, &staleness),
    };
    emit(a.output.output.as_deref(), &rendered)?;
    if let Some(m) = &staleness.message {
        ui::warn(m);
    }
    Ok(if a.fail_if_stale && staleness.stale {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

fn status_table(st: &Status, exists: bool, now_us: i64, staleness: &Staleness) -> String {
    let mut out = format!("database: {}", st.path);
    if !exists {
        out.push_str(" (does not exist yet)\n");
        return out;
    }
    out.push_str(&format!(
        " ({:.1} MiB, schema v{})\n",
        st.size_bytes as f64 / (1024.0 * 1024.0),
        st.schema_version
    ));
    if !st.by_source_ecosystem.is_empty() {
        let mut t = table(vec![
            "source",
            "ecosystem",
            "advisories",
            "withdrawn",
            "packages",
        ]);
        for e in &st.by_source_ecosystem {
            let pk = st
                .packages
                .iter()
                .find(|p| p.ecosystem == e.ecosystem)
                .map(|p| p.packages.to_string())
                .unwrap_or_default();
            t.add_row(vec![
                e.source.clone(),
                if e.ecosystem.is_empty() {
                    "(none)".into()
                } else {
                    e.ecosystem.clone()
                },
                e.advisories.to_string(),
                e.withdrawn.to_string(),
                pk,
            ]);
        }
        out.push_str(&format!("{t}\n"));
    }
    out.push_str(&format!(
        "advisories: {} ({} withdrawn), aliases: {}, CVEs named: {}\n",
        st.advisories, st.withdrawn, st.aliases, st.cves
    ));
    out.push_str(&format!(
        "KEV entries: {}{}\n",
        st.kev_entries,
        st.kev_catalog_version
            .as_deref()
            .map(|v| format!(" (catalog {v})"))
            .unwrap_or_default()
    ));
    out.push_str(&format!(
        "EPSS scores: {}{}\n",
        st.epss_scores,
        match (&st.epss_model_version, &st.epss_score_date) {
            (Some(m), Some(d)) => format!(" (model {m}, scores of {d})"),
            _ => String::new(),
        }
    ));
    if !st.sources.is_empty() {
        let mut t = table(vec!["source", "last sync", "last import", "age"]);
        for s in &st.sources {
            t.add_row(vec![
                s.name.clone(),
                s.last_sync_us.map(format_us).unwrap_or_default(),
                s.last_import_us.map(format_us).unwrap_or_default(),
                s.refreshed_us()
                    .map(|t| human_duration((now_us - t) / 1_000_000))
                    .unwrap_or_default(),
            ]);
        }
        out.push_str(&format!("{t}\n"));
    }
    if let Some(age) = staleness.age_secs {
        out.push_str(&format!(
            "data age: {} (maximum {}){}\n",
            human_duration(age),
            human_duration(staleness.max_age_secs),
            if staleness.stale { ": STALE" } else { "" }
        ));
    }
    out
}

/// indicatif bars on stderr; hidden with -q or when stderr is not a terminal.
struct Bars {
    bar: Mutex<Option<ProgressBar>>,
    visible: bool,
}

impl Bars {
    fn new() -> Self {
        Bars {
            bar: Mutex::new(None),
            visible: !ui::quiet() && std::io::stderr().is_terminal(),
        }
    }

    fn finish(&self) {
        if let Ok(mut b) = self.bar.lock()
            && let Some(b) = b.take()
        {
            b.finish_and_clear();
        }
    }
}

impl Progress for Bars {
    fn begin(&self, label: &str, total: Option<u64>, unit: Unit) {
        if !self.visible {
            return;
        }
        self.finish();
        let bar = match total {
            Some(n) => ProgressBar::new(n),
            None => ProgressBar::new_spinner(),
        };
        bar.set_draw_target(ProgressDrawTarget::stderr());
        let template = match (unit, total.is_some()) {
            (Unit::Bytes, true) => {
                "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}"
            }
            (Unit::Bytes, false) => "{spinner} {msg} {bytes} {bytes_per_sec}",
            (Unit::Records, true) => "{spinner} {msg} [{bar:30}] {pos}/{len} records",
            (Unit::Records, false) => "{spinner} {msg} {pos} records",
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(label.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        if let Ok(mut b) = self.bar.lock() {
            *b = Some(bar);
        }
    }

    fn advance(&self, n: u64) {
        if let Ok(b) = self.bar.lock()
            && let Some(b) = b.as_ref()
        {
            b.inc(n);
        }
    }

    fn end(&self) {
        self.finish();
    }
}
