//! `db sync`: OSV per ecosystem (full `all.zip` the first time, then
//! incremental through `modified_id.csv`), the KEV catalog and the EPSS
//! scores (conditional requests). Each source is fetched first and then
//! written in its own transaction: a failure leaves that source's previous
//! data as it was and the other sources still sync.

use serde::Serialize;

use crate::error::FeedError;
use crate::fetch::{FetchOptions, Fetched, Fetcher, Validators, join};
use crate::import::{ImportOptions, ImportWarning, RecordCounts, Sink};
use crate::progress::Progress;
use crate::store::{AdvisoryStore, SourceState, TableCounts};
use crate::timefmt::parse_us;

/// What to sync and from where.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// OSV base: `<base>/<ecosystem>/{all.zip,modified_id.csv,<ID>.json}`.
    pub osv_url: String,
    pub kev_url: String,
    pub epss_url: String,
    /// OSV ecosystems (exact OSV names).
    pub ecosystems: Vec<String>,
    pub kev: bool,
    pub epss: bool,
    /// Download `all.zip` even when an incremental sync is possible.
    pub full: bool,
    /// Above this many changed records, download `all.zip` instead.
    pub incremental_max: usize,
    pub fetch: FetchOptions,
    pub import: ImportOptions,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            osv_url: crate::config::DEFAULT_OSV_URL.into(),
            kev_url: crate::config::DEFAULT_KEV_URL.into(),
            epss_url: crate::config::DEFAULT_EPSS_URL.into(),
            ecosystems: Vec::new(),
            kev: true,
            epss: true,
            full: false,
            incremental_max: 5000,
            fetch: FetchOptions::default(),
            import: ImportOptions::default(),
        }
    }
}

/// How a source was synced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Whole export downloaded (OSV `all.zip`, KEV, EPSS).
    Full,
    /// Only changed OSV records fetched.
    Incremental,
    /// The server said nothing changed (304, or no newer lines).
    NotModified,
    Failed,
}

/// The result for one source.
#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    pub source: String,
    pub url: String,
    pub action: Action,
    /// OSV record counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<RecordCounts>,
    /// KEV / EPSS counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<TableCounts>,
    /// Individual records fetched (incremental OSV).
    pub fetched: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub warnings: Vec<ImportWarning>,
}

/// The result of a sync.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncReport {
    pub sources: Vec<SourceReport>,
}

impl SyncReport {
    pub fn failed(&self) -> bool {
        self.sources.iter().any(|s| s.action == Action::Failed)
    }
}

/// Sync every selected source. Errors of one source are reported in its
/// [`SourceReport`]; the others go on.
pub fn sync(
    store: &mut dyn AdvisoryStore,
    opts: &SyncOptions,
    progress: &dyn Progress,
) -> SyncReport {
    let fetcher = Fetcher::new(opts.fetch.clone());
    let mut report = SyncReport::default();
    for eco in &opts.ecosystems {
        let name = format!("osv/{eco}");
        let url = join(&opts.osv_url, &[eco]);
        let r = sync_osv(store, &fetcher, opts, eco, progress);
        report.sources.push(finish(name, url, r));
    }
    if opts.kev {
        let r = sync_table(store, &fetcher, opts, "kev", &opts.kev_url, progress);
        report
            .sources
            .push(finish("kev".into(), opts.kev_url.clone(), r));
    }
    if opts.epss {
        let r = sync_table(store, &fetcher, opts, "epss", &opts.epss_url, progress);
        report
            .sources
            .push(finish("epss".into(), opts.epss_url.clone(), r));
    }
    report
}

struct Partial {
    action: Action,
    records: Option<RecordCounts>,
    table: Option<TableCounts>,
    fetched: u64,
    warnings: Vec<ImportWarning>,
}

fn finish(source: String, url: String, r: Result<Partial, FeedError>) -> SourceReport {
    match r {
        Ok(p) => SourceReport {
            source,
            url,
            action: p.action,
            records: p.records,
            table: p.table,
            fetched: p.fetched,
            error: None,
            warnings: p.warnings,
        },
        Err(e) => SourceReport {
            source,
            url,
            action: Action::Failed,
            records: None,
            table: None,
            fetched: 0,
            error: Some(e.to_string()),
            warnings: Vec::new(),
        },
    }
}

fn sync_osv(
    store: &mut dyn AdvisoryStore,
    fetcher: &Fetcher,
    opts: &SyncOptions,
    eco: &str,
    progress: &dyn Progress,
) -> Result<Partial, FeedError> {
    let name = format!("osv/{eco}");
    let state = store.source_state(&name)?;
    let watermark = state
        .as_ref()
        .and_then(|s| s.watermark.as_deref())
        .and_then(|w| parse_us(w).map(|us| (us, w.to_string())));
    match watermark {
        Some(wm) if !opts.full => {
            match incremental(
                store,
                fetcher,
                opts,
                eco,
                state.unwrap_or_default(),
                wm,
                progress,
            )? {
                Some(p) => Ok(p),
                None => full(store, fetcher, opts, eco, progress),
            }
        }
        _ => full(store, fetcher, opts, eco, progress),
    }
}

fn full(
    store: &mut dyn AdvisoryStore,
    fetcher: &Fetcher,
    opts: &SyncOptions,
    eco: &str,
    progress: &dyn Progress,
) -> Result<Partial, FeedError> {
    let name = format!("osv/{eco}");
    let url = join(&opts.osv_url, &[eco, "all.zip"]);
    tracing::info!("{name}: downloading {url}");
    let Fetched::Body { body, .. } = fetcher.get_file(&url, &Validators::default(), progress)?
    else {
        unreachable!("unconditional request")
    };
    let mut w = store.writer()?;
    let mut sink = Sink::new(&mut *w, progress, opts.import.clone(), &name);
    sink.sync = true;
    sink.zip_reader(body, &url)?;
    let newest = sink.newest_modified();
    let report = std::mem::take(&mut sink.report);
    let mut state = sink
        .writer
        .source_state(&name)?
        .unwrap_or_else(|| SourceState::new(&name));
    state.url = Some(join(&opts.osv_url, &[eco]));
    state.last_sync_us = Some(opts.import.now_us);
    if report.records.changed() {
        state.last_change_us = Some(opts.import.now_us);
    }
    // The next sync fetches what changed after the newest record we hold.
    if let Some((_, text)) = newest {
        state.watermark = Some(text);
    }
    state.etag = None;
    state.last_modified = None;
    state.detail = Some(serde_json::json!({
        "mode": "full",
        "records": report.records.total(),
    }));
    sink.writer.set_source_state(&state)?;
    drop(sink);
    w.commit()?;
    Ok(Partial {
        action: Action::Full,
        records: Some(report.records),
        table: None,
        fetched: 0,
        warnings: report.warnings,
    })
}

/// Incremental OSV sync. `Ok(None)` asks for a full sync instead (too
/// many changes).
fn incremental(
    store: &mut dyn AdvisoryStore,
    fetcher: &Fetcher,
    opts: &SyncOptions,
    eco: &str,
    state: SourceState,
    (wm_us, wm_text): (i64, String),
    progress: &dyn Progress,
) -> Result<Option<Partial>, FeedError> {
    let name = format!("osv/{eco}");
    let csv_url = join(&opts.osv_url, &[eco, "modified_id.csv"]);
    let cond = Validators {
        etag: state.etag.clone(),
        last_modified: state.last_modified.clone(),
    };
    let (csv, validators) = match fetcher.get(&csv_url, &cond, progress)? {
        Fetched::NotModified => {
            tracing::info!("{name}: {csv_url} not modified");
            let mut w = store.writer()?;
            let mut s = state;
            s.name = name;
            s.last_sync_us = Some(opts.import.now_us);
            w.set_source_state(&s)?;
            w.commit()?;
            return Ok(Some(Partial {
                action: Action::NotModified,
                records: Some(RecordCounts::default()),
                table: None,
                fetched: 0,
                warnings: Vec::new(),
            }));
        }
        Fetched::Body { body, validators } => (body, validators),
    };
    // Lines are `<modified>,<id>`, newest first: read until the watermark.
    let mut wanted: Vec<String> = Vec::new();
    let mut newest: Option<(i64, String)> = None;
    let mut warnings = Vec::new();
    for (i, line) in csv.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let parsed = std::str::from_utf8(line)
            .ok()
            .and_then(|l| l.split_once(','))
            .and_then(|(ts, id)| parse_us(ts).map(|us| (us, ts.trim(), id.trim())));
        let Some((us, ts, id)) = parsed else {
            warnings.push(ImportWarning {
                file: csv_url.clone(),
                entry: None,
                reason: format!("line {}: not `<timestamp>,<id>`; ignored", i + 1),
            });
            continue;
        };
        if us < wm_us {
            break;
        }
        if newest.as_ref().is_none_or(|n| us > n.0) {
            newest = Some((us, ts.to_string()));
        }
        if !valid_id(id) {
            warnings.push(ImportWarning {
                file: csv_url.clone(),
                entry: None,
                reason: format!(
                    "line {}: {:?} is not a usable record id; ignored",
                    i + 1,
                    crate::record::truncate(id, 64)
                ),
            });
            continue;
        }
        // Already stored at this version or newer (lines at the watermark).
        if store.modified_us(id)?.is_some_and(|m| m >= us) {
            continue;
        }
        wanted.push(id.to_string());
    }
    wanted.sort();
    wanted.dedup();
    if wanted.len() > opts.incremental_max {
        tracing::info!(
            "{name}: {} changed records, more than {}: downloading all.zip instead",
            wanted.len(),
            opts.incremental_max
        );
        return Ok(None);
    }
    tracing::info!("{name}: {} changed records", wanted.len());
    let mut items = Vec::with_capacity(wanted.len());
    progress.begin(
        &format!("{name}: changed records"),
        Some(wanted.len() as u64),
        crate::progress::Unit::Records,
    );
    for id in &wanted {
        let url = join(&opts.osv_url, &[eco, &format!("{id}.json")]);
        match fetcher.get(&url, &Validators::default(), &crate::progress::NoProgress)? {
            Fetched::Body { body, .. } => items.push((url, body)),
            Fetched::NotModified => unreachable!("unconditional request"),
        }
        progress.advance(1);
    }
    progress.end();
    let mut w = store.writer()?;
    let mut sink = Sink::new(&mut *w, progress, opts.import.clone(), &name);
    sink.sync = true;
    sink.records(items)?;
    let mut report = std::mem::take(&mut sink.report);
    report.warnings.splice(0..0, warnings);
    let mut s = state;
    s.name = name;
    s.url = Some(join(&opts.osv_url, &[eco]));
    s.last_sync_us = Some(opts.import.now_us);
    if report.records.changed() {
        s.last_change_us = Some(opts.import.now_us);
    }
    let new_wm = match newest {
        Some((us, text)) if us > wm_us => text,
        _ => wm_text,
    };
    s.watermark = Some(new_wm);
    s.etag = validators.etag;
    s.last_modified = validators.last_modified;
    s.detail = Some(serde_json::json!({
        "mode": "incremental",
        "fetched": wanted.len(),
    }));
    sink.writer.set_source_state(&s)?;
    drop(sink);
    w.commit()?;
    Ok(Some(Partial {
        action: if wanted.is_empty() {
            Action::NotModified
        } else {
            Action::Incremental
        },
        records: Some(report.records),
        table: None,
        fetched: wanted.len() as u64,
        warnings: report.warnings,
    }))
}

/// An id from `modified_id.csv` is used in a URL: allow only the
/// characters OSV ids use.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= crate::record::ID_MAX
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

fn sync_table(
    store: &mut dyn AdvisoryStore,
    fetcher: &Fetcher,
    opts: &SyncOptions,
    name: &str,
    url: &str,
    progress: &dyn Progress,
) -> Result<Partial, FeedError> {
    let state = store
        .source_state(name)?
        .unwrap_or_else(|| SourceState::new(name));
    // Only send validators for the URL they came from.
    let same_url = state.url.as_deref() == Some(url);
    let cond = if same_url {
        Validators {
            etag: state.etag.clone(),
            last_modified: state.last_modified.clone(),
        }
    } else {
        Validators::default()
    };
    let fetched = fetcher.get(url, &cond, progress)?;
    let mut w = store.writer()?;
    let mut sink = Sink::new(&mut *w, progress, opts.import.clone(), name);
    sink.sync = true;
    let (action, validators) = match fetched {
        Fetched::NotModified => (Action::NotModified, None),
        Fetched::Body { body, validators } => {
            if name == "kev" {
                if !crate::kev::looks_like_kev(&body) {
                    return Err(FeedError::Malformed {
                        path: url.to_string(),
                        reason: "not a KEV catalog (no catalogVersion/vulnerabilities)".into(),
                    });
                }
                sink.kev_bytes(&body, url)?;
            } else {
                sink.epss_bytes(&body, url)?;
            }
            (Action::Full, Some(validators))
        }
    };
    let report = std::mem::take(&mut sink.report);
    let mut s = sink
        .writer
        .source_state(name)?
        .unwrap_or_else(|| SourceState::new(name));
    s.url = Some(url.to_string());
    s.last_sync_us = Some(opts.import.now_us);
    if let Some(v) = validators {
        s.etag = v.etag;
        s.last_modified = v.last_modified;
    }
    sink.writer.set_source_state(&s)?;
    drop(sink);
    w.commit()?;
    Ok(Partial {
        action,
        records: None,
        table: if name == "kev" {
            report.kev
        } else {
            report.epss
        },
        fetched: 0,
        warnings: report.warnings,
    })
}
