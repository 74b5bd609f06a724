//! `db import`: OSV records (directories, zip exports, single files and
//! JSON arrays), KEV catalogs and EPSS files, written in one transaction.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::value::RawValue;

use crate::error::FeedError;
use crate::progress::{Progress, Unit};
use crate::record::{PreparedAdvisory, prepare};
use crate::store::{AdvisoryStore, Outcome, SourceState, StoreWriter, TableCounts};
use crate::{epss, kev, zipread};

/// Size and count limits for hostile or broken input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// Largest single OSV record (a file, a zip entry, an array element).
    pub max_record_bytes: u64,
    /// Largest JSON or CSV file read whole (KEV catalog, EPSS file,
    /// JSON array of records), after decompression.
    pub max_file_bytes: u64,
    /// Most entries in one zip archive.
    pub max_zip_entries: u64,
    /// Most bytes (uncompressed) read from one zip archive.
    pub max_zip_total_bytes: u64,
    /// Highest compression ratio accepted for zip entries of 1 MiB and more.
    pub max_zip_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_record_bytes: 16 << 20,
            max_file_bytes: 1 << 30,
            max_zip_entries: 2_000_000,
            max_zip_total_bytes: 16 << 30,
            max_zip_ratio: 100,
        }
    }
}

/// How an import runs.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub limits: Limits,
    /// Parser threads (0 = up to 4, by available cores).
    pub threads: usize,
    /// "Now" in µs since the epoch, recorded as the import time.
    pub now_us: i64,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            limits: Limits::default(),
            threads: 0,
            now_us: crate::timefmt::now_us(),
        }
    }
}

/// A record or entry that was skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportWarning {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    pub reason: String,
}

impl std::fmt::Display for ImportWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.entry {
            Some(e) => write!(f, "{} (entry {e}): {}", self.file, self.reason),
            None => write!(f, "{}: {}", self.file, self.reason),
        }
    }
}

/// OSV record counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RecordCounts {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Malformed or over-limit records (each has a warning).
    pub skipped: u64,
}

impl RecordCounts {
    pub fn total(&self) -> u64 {
        self.inserted + self.updated + self.unchanged + self.skipped
    }

    pub fn changed(&self) -> bool {
        self.inserted + self.updated > 0
    }

    fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Inserted => self.inserted += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportReport {
    pub records: RecordCounts,
    /// Per ecosystem (of the record's first affected package).
    pub by_ecosystem: BTreeMap<String, RecordCounts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kev: Option<TableCounts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epss: Option<TableCounts>,
    /// Files read (zip archives count once).
    pub files: u64,
    pub warnings: Vec<ImportWarning>,
}

impl ImportReport {
    fn warn(&mut self, w: ImportWarning) {
        tracing::debug!("{w}");
        self.warnings.push(w);
    }
}

/// One record's bytes and where they came from.
struct RawRecord {
    bytes: Vec<u8>,
    file: Arc<str>,
    entry: Option<String>,
}

/// What a parser thread makes of a [`RawRecord`].
enum Parsed {
    Record(Box<PreparedAdvisory>),
    Many(Vec<Result<PreparedAdvisory, ImportWarning>>),
    Kev(Vec<u8>, Arc<str>),
    Skip(ImportWarning),
}

/// Where records go: the transaction, the report, the progress bar.
pub(crate) struct Sink<'w, 'p> {
    pub writer: &'w mut dyn StoreWriter,
    pub report: ImportReport,
    pub progress: &'p dyn Progress,
    pub opts: ImportOptions,
    /// `import` or `osv/<ecosystem>`.
    pub source: String,
    /// Ecosystems touched, and whether their data changed.
    pub touched: BTreeMap<String, bool>,
    /// Newest `modified` seen per ecosystem (µs, text).
    pub newest: BTreeMap<String, (i64, String)>,
    /// Writing for `db sync` (stamps `last_sync_us`) rather than `db import`.
    pub sync: bool,
    written: u64,
}

impl<'w, 'p> Sink<'w, 'p> {
    pub fn new(
        writer: &'w mut dyn StoreWriter,
        progress: &'p dyn Progress,
        opts: ImportOptions,
        source: &str,
    ) -> Self {
        Sink {
            writer,
            report: ImportReport::default(),
            progress,
            opts,
            source: source.to_string(),
            touched: BTreeMap::new(),
            newest: BTreeMap::new(),
            sync: false,
            written: 0,
        }
    }

    fn record(&mut self, rec: &PreparedAdvisory) -> Result<(), FeedError> {
        let outcome = self.writer.put_advisory(rec)?;
        self.report.records.add(outcome);
        self.report
            .by_ecosystem
            .entry(rec.ecosystem.clone())
            .or_default()
            .add(outcome);
        let changed = outcome != Outcome::Unchanged;
        *self.touched.entry(rec.ecosystem.clone()).or_default() |= changed;
        let n = self
            .newest
            .entry(rec.ecosystem.clone())
            .or_insert((i64::MIN, String::new()));
        if rec.modified_us > n.0 {
            *n = (rec.modified_us, rec.modified.clone());
        }
        self.written += 1;
        self.progress.advance(1);
        if self.written.is_multiple_of(10_000) {
            tracing::info!("{} records read", self.written);
        }
        Ok(())
    }

    fn skip(&mut self, w: ImportWarning) {
        self.report.records.skipped += 1;
        self.progress.advance(1);
        self.report.warn(w);
    }

    fn handle(&mut self, p: Parsed) -> Result<(), FeedError> {
        match p {
            Parsed::Record(r) => self.record(&r),
            Parsed::Many(list) => {
                for r in list {
                    match r {
                        Ok(r) => self.record(&r)?,
                        Err(w) => self.skip(w),
                    }
                }
                Ok(())
            }
            Parsed::Kev(bytes, file) => self.kev_bytes(&bytes, &file),
            Parsed::Skip(w) => {
                self.skip(w);
                Ok(())
            }
        }
    }

    /// Run records through the parser threads into the transaction.
    /// `produce` runs on its own thread and feeds `send` until it returns
    /// false (the consumer stopped) or it has nothing more.
    fn pipeline(
        &mut self,
        produce: impl FnOnce(
            &mut dyn FnMut(RawRecord) -> bool,
            &mut dyn FnMut(ImportWarning),
        ) -> Result<(), FeedError>
        + Send,
    ) -> Result<(), FeedError> {
        let threads = match self.opts.threads {
            0 => std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
                .clamp(1, 4),
            n => n,
        };
        let max = self.opts.limits.max_record_bytes;
        let source = self.source.clone();
        let (raw_tx, raw_rx) = sync_channel::<RawRecord>(256);
        let (out_tx, out_rx) = sync_channel::<Parsed>(256);
        let (warn_tx, warn_rx) = std::sync::mpsc::channel::<ImportWarning>();
        let raw_rx = Arc::new(Mutex::new(raw_rx));
        // Only the workers may hold the receiver: when they stop (the writer
        // failed), the producer's next send fails and it stops too.
        let worker_rxs: Vec<_> = (0..threads).map(|_| Arc::clone(&raw_rx)).collect();
        drop(raw_rx);
        std::thread::scope(|s| {
            let producer = s.spawn(move || {
                let mut send = |r: RawRecord| raw_tx.send(r).is_ok();
                let mut warn = |w: ImportWarning| {
                    let _ = warn_tx.send(w);
                };
                produce(&mut send, &mut warn)
            });
            for rx in worker_rxs {
                let tx = out_tx.clone();
                let source = source.clone();
                s.spawn(move || worker(&rx, &tx, &source, max));
            }
            drop(out_tx);
            let mut result = Ok(());
            for p in out_rx.iter() {
                while let Ok(w) = warn_rx.try_recv() {
                    self.report.warn(w);
                }
                if let Err(e) = self.handle(p) {
                    result = Err(e);
                    break;
                }
            }
            // On error, dropping the receiver stops workers and producer.
            drop(out_rx);
            let produced = producer.join().unwrap_or_else(|_| {
                Err(FeedError::Malformed {
                    path: "import".into(),
                    reason: "reader thread panicked".into(),
                })
            });
            for w in warn_rx.try_iter() {
                self.report.warn(w);
            }
            result.and(produced)
        })
    }

    /// Import one path (file or directory).
    pub fn path(&mut self, path: &Path) -> Result<(), FeedError> {
        let meta = std::fs::metadata(path).map_err(|e| FeedError::io(path.display(), e))?;
        if meta.is_dir() {
            return self.dir(path);
        }
        let display = path.display().to_string();
        let mut head = [0u8; 512];
        let n = {
            let mut f = std::fs::File::open(path).map_err(|e| FeedError::io(&display, e))?;
            read_up_to(&mut f, &mut head).map_err(|e| FeedError::io(&display, e))?
        };
        let head = &head[..n];
        match sniff(head) {
            Kind::Zip => self.zip_file(path),
            Kind::Gzip | Kind::Csv => self.epss_file(path),
            Kind::Json => {
                let file: Arc<str> = display.clone().into();
                let bytes = read_limited(path, self.opts.limits.max_file_bytes)?;
                self.report.files += 1;
                self.pipeline(move |send, _| {
                    send(RawRecord {
                        bytes,
                        file,
                        entry: None,
                    });
                    Ok(())
                })
            }
            Kind::Unknown => Err(FeedError::UnknownInput {
                path: display,
                reason: "expected OSV JSON, a JSON array of OSV records, an OSV zip export, a KEV catalog (JSON) or an EPSS file (.csv or .csv.gz)".into(),
            }),
        }
    }

    fn dir(&mut self, dir: &Path) -> Result<(), FeedError> {
        let mut json = Vec::new();
        let mut zips = Vec::new();
        let mut csvs = Vec::new();
        for e in walkdir::WalkDir::new(dir)
            .follow_links(false)
            .sort_by_file_name()
        {
            let e = match e {
                Ok(e) => e,
                Err(err) => {
                    let p = err
                        .path()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| dir.display().to_string());
                    self.report.warn(ImportWarning {
                        file: p,
                        entry: None,
                        reason: format!("cannot read: {err}"),
                    });
                    continue;
                }
            };
            if !e.file_type().is_file() {
                continue;
            }
            let name = e.file_name().to_string_lossy().to_ascii_lowercase();
            let p = e.into_path();
            if name.ends_with(".json") {
                json.push(p);
            } else if name.ends_with(".zip") {
                zips.push(p);
            } else if name.ends_with(".csv.gz") || name.ends_with(".csv") {
                csvs.push(p);
            }
        }
        if !json.is_empty() {
            self.progress.begin(
                &dir.display().to_string(),
                Some(json.len() as u64),
                Unit::Records,
            );
            self.report.files += json.len() as u64;
            let max = self.opts.limits.max_record_bytes;
            let max_file = self.opts.limits.max_file_bytes;
            let r = self.pipeline(move |send, warn| {
                for p in json {
                    let file: Arc<str> = p.display().to_string().into();
                    // A file may hold an array of records: allow the file limit
                    // for files, the record limit applies per record.
                    match read_limited(&p, max_file.max(max)) {
                        Ok(bytes) => {
                            if !send(RawRecord {
                                bytes,
                                file,
                                entry: None,
                            }) {
                                break;
                            }
                        }
                        Err(e) => warn(ImportWarning {
                            file: file.to_string(),
                            entry: None,
                            reason: e.to_string(),
                        }),
                    }
                }
                Ok(())
            });
            self.progress.end();
            r?;
        }
        for z in zips {
            self.zip_file(&z)?;
        }
        for c in csvs {
            let mut head = [0u8; 64];
            let n = std::fs::File::open(&c)
                .and_then(|mut f| read_up_to(&mut f, &mut head))
                .map_err(|e| FeedError::io(c.display(), e))?;
            if matches!(sniff(&head[..n]), Kind::Gzip | Kind::Csv) {
                self.epss_file(&c)?;
            } else {
                tracing::debug!("{}: not an EPSS file, ignored", c.display());
            }
        }
        Ok(())
    }

    fn zip_file(&mut self, path: &Path) -> Result<(), FeedError> {
        let display = path.display().to_string();
        let f = std::fs::File::open(path).map_err(|e| FeedError::io(&display, e))?;
        self.zip_reader(f, &display)
    }

    /// Import an OSV zip export from any seekable reader.
    pub fn zip_reader<R: Read + std::io::Seek + Send>(
        &mut self,
        reader: R,
        display: &str,
    ) -> Result<(), FeedError> {
        self.report.files += 1;
        let limits = self.opts.limits;
        let file: Arc<str> = display.into();
        self.progress.begin(display, None, Unit::Records);
        let r = self.pipeline(move |send, warn| {
            zipread::for_each_entry(reader, &file, &limits, warn, &mut |name, bytes| {
                send(RawRecord {
                    bytes,
                    file: Arc::clone(&file),
                    entry: Some(name),
                })
            })
        });
        self.progress.end();
        r
    }

    /// Import records given as bytes (sync: records fetched one by one).
    pub fn records(&mut self, items: Vec<(String, Vec<u8>)>) -> Result<(), FeedError> {
        self.pipeline(move |send, _| {
            for (origin, bytes) in items {
                if !send(RawRecord {
                    bytes,
                    file: origin.into(),
                    entry: None,
                }) {
                    break;
                }
            }
            Ok(())
        })
    }

    fn epss_file(&mut self, path: &Path) -> Result<(), FeedError> {
        let display = path.display().to_string();
        let bytes = read_limited(path, self.opts.limits.max_file_bytes)?;
        self.report.files += 1;
        self.epss_bytes(&bytes, &display).map(|_| ())
    }

    /// Import an EPSS file (plain or gzipped). Returns whether the scores
    /// were applied (false when older than the stored ones).
    pub fn epss_bytes(&mut self, bytes: &[u8], display: &str) -> Result<bool, FeedError> {
        let text;
        let bytes = if epss::is_gzip(bytes) {
            text = epss::gunzip(bytes, self.opts.limits.max_file_bytes).map_err(|reason| {
                FeedError::Malformed {
                    path: display.to_string(),
                    reason,
                }
            })?;
            &text[..]
        } else {
            bytes
        };
        let (file, bad) = epss::parse(bytes).map_err(|reason| FeedError::Malformed {
            path: display.to_string(),
            reason,
        })?;
        let n_bad = bad.len();
        for reason in bad.into_iter().take(20) {
            self.report.warn(ImportWarning {
                file: display.to_string(),
                entry: None,
                reason: format!("row skipped: {reason}"),
            });
        }
        if n_bad > 20 {
            self.report.warn(ImportWarning {
                file: display.to_string(),
                entry: None,
                reason: format!("{} more bad rows skipped", n_bad - 20),
            });
        }
        let mut state = self
            .writer
            .source_state("epss")?
            .unwrap_or_else(|| SourceState::new("epss"));
        let stored_date = state
            .detail
            .as_ref()
            .and_then(|d| d["score_date"].as_str())
            .and_then(crate::timefmt::parse_us);
        if let (Some(stored), Some(new)) = (stored_date, file.score_date_us)
            && new < stored
        {
            self.report.warn(ImportWarning {
                file: display.to_string(),
                entry: None,
                reason: format!(
                    "scores of {} are older than the stored ones; not imported",
                    file.score_date
                ),
            });
            let c = self.report.epss.get_or_insert_default();
            c.unchanged += file.scores.len() as u64;
            return Ok(false);
        }
        self.progress
            .begin(display, Some(file.scores.len() as u64), Unit::Records);
        let counts = self.writer.replace_epss(&file)?;
        self.progress.advance(file.scores.len() as u64);
        self.progress.end();
        let c = self.report.epss.get_or_insert_default();
        c.inserted += counts.inserted;
        c.updated += counts.updated;
        c.unchanged += counts.unchanged;
        c.removed += counts.removed;
        self.stamp(&mut state);
        if counts.changed() {
            state.last_change_us = Some(self.opts.now_us);
        }
        state.detail = Some(serde_json::json!({
            "model_version": file.model_version,
            "score_date": file.score_date,
            "scores": file.scores.len(),
        }));
        self.writer.set_source_state(&state)?;
        Ok(true)
    }

    /// Import a KEV catalog.
    pub fn kev_bytes(&mut self, bytes: &[u8], display: &str) -> Result<(), FeedError> {
        let (cat, bad) = kev::parse(bytes).map_err(|reason| FeedError::Malformed {
            path: display.to_string(),
            reason,
        })?;
        for reason in bad {
            self.report.warn(ImportWarning {
                file: display.to_string(),
                entry: None,
                reason: format!("entry skipped: {reason}"),
            });
        }
        let counts = self.writer.replace_kev(&cat)?;
        let c = self.report.kev.get_or_insert_default();
        c.inserted += counts.inserted;
        c.updated += counts.updated;
        c.unchanged += counts.unchanged;
        c.removed += counts.removed;
        let mut state = self
            .writer
            .source_state("kev")?
            .unwrap_or_else(|| SourceState::new("kev"));
        self.stamp(&mut state);
        if counts.changed() {
            state.last_change_us = Some(self.opts.now_us);
        }
        state.detail = Some(serde_json::json!({
            "catalog_version": cat.catalog_version,
            "date_released": cat.date_released,
            "entries": cat.entries.len(),
        }));
        self.writer
            .set_source_state(&state)
            .map_err(FeedError::from)
    }

    fn stamp(&self, s: &mut SourceState) {
        if self.sync {
            s.last_sync_us = Some(self.opts.now_us);
        } else {
            s.last_import_us = Some(self.opts.now_us);
        }
    }

    /// Newest `modified` among the records written (µs, as written).
    pub fn newest_modified(&self) -> Option<(i64, String)> {
        self.newest.values().max_by_key(|v| v.0).cloned()
    }

    /// Record the import time on the `osv/<ecosystem>` sources touched.
    pub fn finish_import(&mut self) -> Result<(), FeedError> {
        for (eco, changed) in std::mem::take(&mut self.touched) {
            if eco.is_empty() {
                continue;
            }
            let name = format!("osv/{eco}");
            let mut s = self
                .writer
                .source_state(&name)?
                .unwrap_or_else(|| SourceState::new(&name));
            s.last_import_us = Some(self.opts.now_us);
            if changed {
                s.last_change_us = Some(self.opts.now_us);
            }
            self.writer.set_source_state(&s)?;
        }
        Ok(())
    }
}

fn worker(rx: &Mutex<Receiver<RawRecord>>, tx: &SyncSender<Parsed>, source: &str, max: u64) {
    loop {
        let item = {
            let Ok(guard) = rx.lock() else { return };
            match guard.recv() {
                Ok(i) => i,
                Err(_) => return,
            }
        };
        if tx.send(parse_item(item, source, max)).is_err() {
            return;
        }
    }
}

fn parse_item(item: RawRecord, source: &str, max: u64) -> Parsed {
    let origin = match &item.entry {
        Some(e) => format!("{}!{e}", item.file),
        None => item.file.to_string(),
    };
    let warning = |reason: String| ImportWarning {
        file: item.file.to_string(),
        entry: item.entry.clone(),
        reason,
    };
    let first = item
        .bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|i| item.bytes[i]);
    match first {
        Some(b'[') => {
            let list: Vec<&RawValue> = match serde_json::from_slice(&item.bytes) {
                Ok(l) => l,
                Err(e) => return Parsed::Skip(warning(format!("invalid JSON array: {e}"))),
            };
            Parsed::Many(
                list.iter()
                    .enumerate()
                    .map(|(i, v)| {
                        prepare(v.get().as_bytes(), source, &format!("{origin}[{i}]"), max)
                            .map_err(|r| warning(format!("[{i}]: {r}")))
                    })
                    .collect(),
            )
        }
        Some(b'{') => match prepare(&item.bytes, source, &origin, max) {
            Ok(r) => Parsed::Record(Box::new(r)),
            Err(reason) => {
                if item.entry.is_none() && kev::looks_like_kev(&item.bytes) {
                    Parsed::Kev(item.bytes, item.file)
                } else {
                    Parsed::Skip(warning(reason))
                }
            }
        },
        _ => Parsed::Skip(warning(if std::str::from_utf8(&item.bytes).is_err() {
            "not UTF-8 JSON".into()
        } else {
            "not a JSON object or array".into()
        })),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Zip,
    Gzip,
    Csv,
    Json,
    Unknown,
}

fn sniff(head: &[u8]) -> Kind {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Kind::Zip;
    }
    if epss::is_gzip(head) {
        return Kind::Gzip;
    }
    if epss::looks_like_epss(head) {
        return Kind::Csv;
    }
    let t = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    match t.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') | Some(b'[') => Kind::Json,
        _ => Kind::Unknown,
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn read_limited(path: &Path, max: u64) -> Result<Vec<u8>, FeedError> {
    let display = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|e| FeedError::io(&display, e))?;
    let mut buf = Vec::new();
    f.take(max + 1)
        .read_to_end(&mut buf)
        .map_err(|e| FeedError::io(&display, e))?;
    if buf.len() as u64 > max {
        return Err(FeedError::Limit {
            path: display,
            reason: format!("file is larger than the limit of {max} bytes"),
        });
    }
    Ok(buf)
}

/// Import files and directories into the store in one transaction: on any
/// error nothing is written.
pub fn import_paths(
    store: &mut dyn AdvisoryStore,
    paths: &[PathBuf],
    opts: &ImportOptions,
    progress: &dyn Progress,
) -> Result<ImportReport, FeedError> {
    import_paths_checked(store, paths, opts, progress, |_| true)
}

/// Like [`import_paths`], but commits only when `accept` approves the
/// report (e.g. `--strict`: no skipped records); otherwise the transaction
/// is rolled back and the report is still returned.
pub fn import_paths_checked(
    store: &mut dyn AdvisoryStore,
    paths: &[PathBuf],
    opts: &ImportOptions,
    progress: &dyn Progress,
    accept: impl FnOnce(&ImportReport) -> bool,
) -> Result<ImportReport, FeedError> {
    let mut w = store.writer()?;
    let mut sink = Sink::new(&mut *w, progress, opts.clone(), "import");
    for p in paths {
        tracing::info!("importing {}", p.display());
        sink.path(p)?;
    }
    sink.finish_import()?;
    let report = std::mem::take(&mut sink.report);
    drop(sink);
    if accept(&report) {
        w.commit()?;
    }
    Ok(report)
}
