//! The advisory store: a trait, so that the embedded default
//! ([`SqliteStore`]) and a future PostgreSQL store serve the same model
//! (docs/store.md).

mod entry;
mod sqlite;

pub use sqlite::{OpenMode, SCHEMA_VERSION, SqliteStore};

use patchloop_model::{Advisory, Affected, Ecosystem, EpssScore, KevEntry};
use serde::Serialize;

use crate::error::StoreError;
use crate::record::PreparedAdvisory;

/// What one write of an advisory did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The id was new.
    Inserted,
    /// The stored record had an older `modified` and was replaced.
    Updated,
    /// The stored record had the same or a newer `modified`: nothing changed.
    Unchanged,
}

/// Counts of a table replaced as a whole (KEV catalog, EPSS scores).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TableCounts {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub removed: u64,
}

impl TableCounts {
    pub fn changed(&self) -> bool {
        self.inserted + self.updated + self.removed > 0
    }
}

/// One KEV catalog entry as stored: the typed fields plus the raw entry.
#[derive(Debug, Clone, PartialEq)]
pub struct KevRow {
    pub entry: KevEntry,
    pub short_description: String,
    pub notes: String,
    pub cwes: Vec<String>,
    /// The entry's JSON as published (lossless).
    pub raw: String,
}

/// A whole KEV catalog.
#[derive(Debug, Clone, Default)]
pub struct KevCatalog {
    pub catalog_version: String,
    pub date_released: String,
    pub entries: Vec<KevRow>,
}

/// A whole EPSS score file.
#[derive(Debug, Clone, Default)]
pub struct EpssFile {
    pub model_version: String,
    pub score_date: String,
    pub score_date_us: Option<i64>,
    pub scores: Vec<(String, EpssScore)>,
}

/// An EPSS score with the model and date it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpssRecord {
    pub cve: String,
    pub epss: f64,
    pub percentile: f64,
    pub model_version: String,
    pub score_date: String,
}

impl EpssRecord {
    pub fn score(&self) -> EpssScore {
        EpssScore {
            epss: self.epss,
            percentile: self.percentile,
        }
    }
}

/// The advisories that name one package, with only that package's
/// `affected` entries: what version matching needs, without decoding the
/// full records (see [`AdvisoryStore::affected_for_package`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PackageAdvisory {
    pub id: String,
    pub modified: String,
    pub affected: Vec<Affected>,
}

/// A set of package name keys ([`AdvisoryStore::names_with_advisories`]).
/// FxHash: its members come from the store, and a scan asks it once per
/// package of the lockfile; a lookup key, whatever it is, probes a table
/// whose layout it cannot choose.
pub type NameSet = std::collections::HashSet<String, rustc_hash::FxBuildHasher>;

/// Sync and import bookkeeping for one source (`osv/<ecosystem>`, `kev`,
/// `epss`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SourceState {
    pub name: String,
    /// Where the last sync read it from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Last successful sync (including "not modified"), µs since epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_sync_us: Option<i64>,
    /// Last `db import` that read data of this source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_import_us: Option<i64>,
    /// Last time the stored data of this source changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_change_us: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// OSV: the newest `modified` known to be fully stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watermark: Option<String>,
    /// Source-specific facts (KEV catalogVersion, EPSS model_version and
    /// score_date, OSV record count of the last full download).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
}

impl SourceState {
    pub fn new(name: impl Into<String>) -> Self {
        SourceState {
            name: name.into(),
            ..SourceState::default()
        }
    }

    /// When the data of this source was last confirmed current.
    pub fn refreshed_us(&self) -> Option<i64> {
        match (self.last_sync_us, self.last_import_us) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Counts of one (source, ecosystem) pair.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EcosystemCounts {
    /// `osv/<ecosystem>` for synced records, `import` for `db import`.
    pub source: String,
    /// The ecosystem of the record's first affected package.
    pub ecosystem: String,
    pub advisories: u64,
    pub withdrawn: u64,
}

/// Affected-package counts of one ecosystem (any advisory naming it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PackageCounts {
    pub ecosystem: String,
    /// Distinct packages (normalized names).
    pub packages: u64,
    /// `affected` entries.
    pub affected_entries: u64,
}

/// What the store holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Status {
    pub path: String,
    pub schema_version: i64,
    pub size_bytes: u64,
    pub advisories: u64,
    pub withdrawn: u64,
    pub by_source_ecosystem: Vec<EcosystemCounts>,
    pub packages: Vec<PackageCounts>,
    /// Alias rows (advisory → other id).
    pub aliases: u64,
    /// Distinct CVE ids named by advisories (as id or alias).
    pub cves: u64,
    pub kev_entries: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kev_catalog_version: Option<String>,
    pub epss_scores: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epss_model_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epss_score_date: Option<String>,
    pub sources: Vec<SourceState>,
}

impl Status {
    pub fn is_empty(&self) -> bool {
        self.advisories == 0 && self.kev_entries == 0 && self.epss_scores == 0
    }
}

/// Read access to advisories, KEV and EPSS, and write access through a
/// transaction ([`AdvisoryStore::writer`]).
pub trait AdvisoryStore {
    /// Every non-withdrawn advisory with an `affected` entry for this
    /// package (name normalized per [`crate::normalize::name_key`]),
    /// sorted by id, each once.
    fn advisories_for_package(
        &self,
        ecosystem: &Ecosystem,
        name: &str,
    ) -> Result<Vec<Advisory>, StoreError>;

    /// Like [`Self::advisories_for_package`] but only the package's own
    /// `affected` entries, read from a separate compact column: the fast
    /// path for matching, which then calls [`Self::get`] for hits only.
    /// Each entry carries what matching and fix planning read: `package`,
    /// `ranges`, `versions`, and of `database_specific` only
    /// `informational`; `severity` and `ecosystem_specific` are left empty
    /// (the whole record has them).
    fn affected_for_package(
        &self,
        ecosystem: &Ecosystem,
        name: &str,
    ) -> Result<Vec<PackageAdvisory>, StoreError>;

    /// The name keys ([`crate::normalize::name_key`]) of every package of
    /// `ecosystem` that any stored advisory names (withdrawn ones too: a
    /// superset is fine), so that a scan looks up only those. `None` when
    /// the store cannot say cheaply.
    fn names_with_advisories(&self, _ecosystem: &Ecosystem) -> Result<Option<NameSet>, StoreError> {
        Ok(None)
    }

    /// Every ecosystem key ([`crate::normalize::ecosystem_key`]) some
    /// stored `affected` entry names that starts with `prefix`, sorted.
    /// Used to expand a product into its repositories (Red Hat's
    /// `Red Hat:enterprise_linux:9` into `...:9::baseos`, `...:9::appstream`,
    /// ...), once per scan, never per package.
    fn ecosystems_with_prefix(&self, prefix: &str) -> Result<Vec<String>, StoreError>;

    /// One advisory by id (withdrawn ones too).
    fn get(&self, id: &str) -> Result<Option<Advisory>, StoreError>;

    /// The part of an advisory a scan report uses ([`Advisory::head`]);
    /// stores that keep it answer without reading the whole record.
    fn get_head(&self, id: &str) -> Result<Option<Advisory>, StoreError> {
        Ok(self.get(id)?.map(|a| a.head()))
    }

    /// The record exactly as it was imported (bytes).
    fn get_raw(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// The alias group of an id: every id connected to it through
    /// `aliases` (in either direction, transitively), including itself,
    /// sorted. Empty when the id is unknown.
    fn aliases_of(&self, id: &str) -> Result<Vec<String>, StoreError>;

    /// [`AdvisoryStore::aliases_of`], each id with whether the store holds
    /// a record of that id (`None`: not known without asking
    /// [`AdvisoryStore::get`]). A scan reads the records of a group and
    /// need not ask for the ids (CVEs, GHSAs of another database) that the
    /// walk already found to be aliases only.
    fn alias_group(&self, id: &str) -> Result<Vec<(String, Option<bool>)>, StoreError> {
        Ok(self
            .aliases_of(id)?
            .into_iter()
            .map(|a| (a, None))
            .collect())
    }

    fn kev(&self, cve: &str) -> Result<Option<KevEntry>, StoreError>;

    fn epss(&self, cve: &str) -> Result<Option<EpssRecord>, StoreError>;

    /// The `modified` timestamp (µs) of a stored record.
    fn modified_us(&self, id: &str) -> Result<Option<i64>, StoreError>;

    fn source_state(&self, name: &str) -> Result<Option<SourceState>, StoreError>;

    fn status(&self) -> Result<Status, StoreError>;

    /// Every source's bookkeeping, sorted by name (cheap: what `scan`
    /// needs for its staleness check, without [`Self::status`]'s counts).
    fn sources(&self) -> Result<Vec<SourceState>, StoreError>;

    /// Where the store lives, for messages.
    fn location(&self) -> String;

    /// Start a write transaction. Dropping the writer without
    /// [`StoreWriter::commit`] discards everything it wrote.
    fn writer(&mut self) -> Result<Box<dyn StoreWriter + '_>, StoreError>;
}

/// One write transaction.
pub trait StoreWriter {
    fn put_advisory(&mut self, rec: &PreparedAdvisory) -> Result<Outcome, StoreError>;
    fn modified_us(&mut self, id: &str) -> Result<Option<i64>, StoreError>;
    /// Replace the KEV catalog.
    fn replace_kev(&mut self, catalog: &KevCatalog) -> Result<TableCounts, StoreError>;
    /// Replace the EPSS scores (the caller checks the score date).
    fn replace_epss(&mut self, file: &EpssFile) -> Result<TableCounts, StoreError>;
    fn source_state(&mut self, name: &str) -> Result<Option<SourceState>, StoreError>;
    fn set_source_state(&mut self, state: &SourceState) -> Result<(), StoreError>;
    fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// The data-age check shared by `db status` and `scan`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Staleness {
    pub stale: bool,
    /// Age of the oldest source, seconds (none when nothing is stored).
    pub age_secs: Option<i64>,
    pub max_age_secs: i64,
    /// Sources older than the maximum.
    pub stale_sources: Vec<String>,
    /// The warning to show, when stale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Default maximum data age: 3 days.
pub const DEFAULT_MAX_AGE_SECS: i64 = 3 * 86_400;

/// Decide whether the data is older than `max_age_secs` at `now_us`.
/// Every source with a sync or import time counts; an empty store is stale.
pub fn check_staleness(status: &Status, now_us: i64, max_age_secs: i64) -> Staleness {
    let mut s = check_sources(&status.path, &status.sources, now_us, max_age_secs);
    if status.is_empty() && !s.stale {
        s = check_sources(&status.path, &[], now_us, max_age_secs);
    }
    s
}

/// [`check_staleness`] from the sources alone: a store without any
/// refreshed source is empty, hence stale.
pub fn check_sources(
    path: &str,
    sources: &[SourceState],
    now_us: i64,
    max_age_secs: i64,
) -> Staleness {
    let mut ages: Vec<(String, i64)> = sources
        .iter()
        .filter_map(|s| {
            s.refreshed_us()
                .map(|t| (s.name.clone(), (now_us - t).max(0) / 1_000_000))
        })
        .collect();
    ages.sort();
    if ages.is_empty() {
        return Staleness {
            stale: true,
            age_secs: None,
            max_age_secs,
            stale_sources: Vec::new(),
            message: Some(format!(
                "the advisory database {path} is empty: run `patchloop db sync` (or `patchloop db import`)"
            )),
        };
    }
    let age = ages.iter().map(|a| a.1).max();
    let stale_sources: Vec<String> = ages
        .iter()
        .filter(|a| a.1 > max_age_secs)
        .map(|a| format!("{} ({})", a.0, crate::timefmt::human_duration(a.1)))
        .collect();
    let stale = !stale_sources.is_empty();
    let message = stale.then(|| {
        format!(
            "advisory data is older than {}: {}; run `patchloop db sync`",
            crate::timefmt::human_duration(max_age_secs),
            stale_sources.join(", ")
        )
    });
    Staleness {
        stale,
        age_secs: age,
        max_age_secs,
        stale_sources,
        message,
    }
}
