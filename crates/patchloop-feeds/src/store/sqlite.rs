//! The embedded store: one SQLite file in WAL mode (readers never wait for
//! a writer; a write is one transaction, so a killed import leaves the
//! previous data as it was). The schema uses only types and statements
//! PostgreSQL has too (docs/store.md gives the mapping).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::time::Duration;

use patchloop_model::{Advisory, Affected, Ecosystem, KevEntry};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use super::{
    AdvisoryStore, EcosystemCounts, EpssFile, EpssRecord, KevCatalog, NameSet, Outcome,
    PackageAdvisory, PackageCounts, SourceState, Status, StoreWriter, TableCounts,
};
use crate::error::StoreError;
use crate::normalize::{ecosystem_key, name_key};
use crate::record::{PreparedAdvisory, unpack};

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i64 = 3;

/// The oldest schema a read-only handle still reads (v2 added a column,
/// v3 a table: reads fall back to the full record and to the alias walk
/// without them).
const READ_COMPATIBLE: i64 = 1;

/// The statements a scan runs per package or finding
/// ([`SqliteStore::prepare_scan`] compiles them ahead).
const SQL_AFFECTED: &str = "SELECT a.id, a.modified, f.entry FROM affected f
     JOIN advisories a ON a.pk = f.advisory_pk
     WHERE f.ecosystem = ?1 AND f.name_key = ?2 AND a.withdrawn IS NULL
     ORDER BY f.advisory_pk";
const SQL_ALIAS_EDGES: &str =
    "SELECT 1, s.alias FROM advisories a LEFT JOIN aliases s ON s.advisory_pk = a.pk
     WHERE a.id = ?1
     UNION ALL
     SELECT 0, a.id FROM aliases s JOIN advisories a ON a.pk = s.advisory_pk
     WHERE s.alias = ?1";
const SQL_HEAD: &str = "SELECT head, raw, raw_len FROM advisories WHERE id = ?1";
const SQL_GROUP: &str = "SELECT members FROM alias_groups WHERE id = ?1";
const SQL_KEV: &str =
    "SELECT cve, vendor_project, product, vulnerability_name, date_added, due_date,
            known_ransomware_campaign_use, required_action
     FROM kev WHERE cve = ?1";
const SQL_EPSS: &str = "SELECT epss, percentile FROM epss WHERE cve = ?1";

/// Most ids an alias group may have (a guard against pathological chains).
const ALIAS_GROUP_MAX: usize = 512;

/// Schema migrations: `MIGRATIONS[n]` takes version n to n+1.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE advisories (
    pk           INTEGER PRIMARY KEY,
    id           TEXT    NOT NULL UNIQUE,
    modified     TEXT    NOT NULL,
    modified_us  BIGINT  NOT NULL,
    published    TEXT,
    withdrawn    TEXT,
    ecosystem    TEXT    NOT NULL,
    source       TEXT    NOT NULL,
    origin       TEXT    NOT NULL,
    summary      TEXT,
    raw          BLOB    NOT NULL,
    raw_len      BIGINT  NOT NULL,
    imported_us  BIGINT  NOT NULL
);
CREATE TABLE affected (
    advisory_pk  BIGINT  NOT NULL REFERENCES advisories (pk),
    ecosystem    TEXT    NOT NULL,
    name_key     TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    purl         TEXT,
    entry        BLOB    NOT NULL
);
CREATE INDEX affected_by_package ON affected (ecosystem, name_key, advisory_pk);
CREATE INDEX affected_by_advisory ON affected (advisory_pk);
CREATE TABLE aliases (
    advisory_pk  BIGINT  NOT NULL REFERENCES advisories (pk),
    alias        TEXT    NOT NULL,
    PRIMARY KEY (advisory_pk, alias)
);
CREATE INDEX aliases_by_alias ON aliases (alias);
CREATE TABLE kev (
    cve                            TEXT PRIMARY KEY,
    vendor_project                 TEXT NOT NULL,
    product                        TEXT NOT NULL,
    vulnerability_name             TEXT NOT NULL,
    date_added                     TEXT NOT NULL,
    due_date                       TEXT NOT NULL,
    known_ransomware_campaign_use  TEXT NOT NULL,
    required_action                TEXT NOT NULL,
    short_description              TEXT NOT NULL,
    notes                          TEXT NOT NULL,
    cwes                           TEXT NOT NULL,
    raw                            TEXT NOT NULL
);
CREATE TABLE epss (
    cve         TEXT PRIMARY KEY,
    epss        DOUBLE PRECISION NOT NULL,
    percentile  DOUBLE PRECISION NOT NULL
);
CREATE TABLE sources (
    name            TEXT PRIMARY KEY,
    url             TEXT,
    last_sync_us    BIGINT,
    last_import_us  BIGINT,
    last_change_us  BIGINT,
    etag            TEXT,
    last_modified   TEXT,
    watermark       TEXT,
    detail          TEXT
);
"#,
    // v2: what a scan reads of each record (Advisory::head), filled by
    // `fill_heads` for records imported before.
    "ALTER TABLE advisories ADD COLUMN head BLOB;",
    // v3: each record's alias group, and each ecosystem's package names,
    // kept by every write (`refresh_alias_groups`, `refresh_names`),
    // filled for records imported before.
    r#"
CREATE TABLE alias_groups (
    id       TEXT PRIMARY KEY,
    members  TEXT NOT NULL
);
CREATE TABLE ecosystem_names (
    ecosystem  TEXT PRIMARY KEY,
    names      TEXT NOT NULL
);
"#,
];

/// How to open the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Create the file (and its directory) if needed; migrate the schema.
    ReadWrite,
    /// Never create or change anything; a missing file is an error.
    ReadOnly,
}

/// The SQLite advisory store.
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    display: String,
    /// `names_with_advisories` answers loaded ahead by `preload_names`,
    /// by ecosystem key; only for stores opened read-only (nothing can
    /// change them through this handle).
    names_cache: Option<std::cell::RefCell<HashMap<String, NameSet>>>,
    /// The schema has the `head` column (v2; a read-only handle may read a
    /// v1 store).
    has_head: bool,
    /// The schema has the `alias_groups` and `ecosystem_names` tables (v3).
    has_groups: bool,
    /// The KEV and EPSS tables are empty in this handle's snapshot (known
    /// after [`SqliteStore::prepare_scan`] on a read-only handle): a store
    /// of OSV records alone answers every `kev`/`epss` without a query.
    no_kev: std::cell::Cell<bool>,
    no_epss: std::cell::Cell<bool>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

impl SqliteStore {
    pub fn open(path: &Path, mode: OpenMode) -> Result<Self, StoreError> {
        let display = path.display().to_string();
        let sq = |source| StoreError::Sqlite {
            path: display.clone(),
            source,
        };
        let flags = OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let conn = match mode {
            OpenMode::ReadWrite => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                        path: dir.to_path_buf(),
                        source,
                    })?;
                }
                Connection::open_with_flags(
                    path,
                    flags | OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
                )
                .map_err(sq)?
            }
            OpenMode::ReadOnly => {
                if !path.is_file() {
                    return Err(StoreError::Missing {
                        path: path.to_path_buf(),
                    });
                }
                Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_READ_ONLY)
                    .map_err(sq)?
            }
        };
        conn.busy_timeout(Duration::from_secs(30)).map_err(sq)?;
        let mut store = SqliteStore {
            conn,
            path: path.to_path_buf(),
            display,
            names_cache: (mode == OpenMode::ReadOnly).then(Default::default),
            has_head: true,
            has_groups: true,
            no_kev: std::cell::Cell::new(false),
            no_epss: std::cell::Cell::new(false),
        };
        store.setup(mode)?;
        Ok(store)
    }

    /// Opened with [`OpenMode::ReadOnly`] (the handles that keep answers
    /// ahead: nothing can change their snapshot through them).
    fn read_only(&self) -> bool {
        self.names_cache.is_some()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Load the names [`AdvisoryStore::names_with_advisories`] gives for
    /// `ecosystem` now, so that the next call for it returns them without
    /// a query (once: the answer is handed over, not copied). Only stores
    /// opened read-only keep them; for others this does nothing.
    pub fn preload_names(&self, ecosystem: &Ecosystem) -> Result<(), StoreError> {
        let Some(cache) = &self.names_cache else {
            return Ok(());
        };
        let eco = ecosystem_key(ecosystem);
        if cache.borrow().contains_key(&eco) {
            return Ok(());
        }
        if let Some(names) = self.names_with_advisories(ecosystem)? {
            cache.borrow_mut().insert(eco, names);
        }
        Ok(())
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.display.clone(),
            source,
        }
    }

    /// Compile the statements a scan runs per package and per finding
    /// (the lookups, stored alias groups or the alias walk, heads, KEV and
    /// EPSS) into the handle's statement cache, so that a caller can do it
    /// on another thread while it reads the lockfiles: compiling them was
    /// 0.6 M instructions of a scan's critical path. A read-only handle
    /// also notes whether its KEV and EPSS tables are empty, and then
    /// answers those lookups without a query (and compiles no statement
    /// for them).
    pub fn prepare_scan(&self) -> Result<(), StoreError> {
        // A read-only handle reads one snapshot for its life: what is
        // empty now stays empty for it (one statement for both tables).
        if self.read_only() {
            let (no_kev, no_epss): (bool, bool) = self
                .conn
                .query_row(
                    "SELECT NOT EXISTS (SELECT 1 FROM kev), NOT EXISTS (SELECT 1 FROM epss)",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(|e| self.err(e))?;
            self.no_kev.set(no_kev);
            self.no_epss.set(no_epss);
        }
        // Only the statements this handle will run: with stored alias
        // groups the walk is for rare ids, and empty KEV and EPSS tables
        // are not queried (compiling a statement is ~150,000 instructions).
        let sql = [
            Some(SQL_AFFECTED),
            (!self.has_groups).then_some(SQL_ALIAS_EDGES),
            self.has_head.then_some(SQL_HEAD),
            self.has_groups.then_some(SQL_GROUP),
            (!self.no_kev.get()).then_some(SQL_KEV),
            (!self.no_epss.get()).then_some(SQL_EPSS),
        ];
        for q in sql.into_iter().flatten() {
            self.conn.prepare_cached(q).map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    fn setup(&mut self, mode: OpenMode) -> Result<(), StoreError> {
        let c = &self.conn;
        c.execute_batch("PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;")
            .map_err(|e| self.err(e))?;
        if mode == OpenMode::ReadWrite {
            // WAL: readers see the last committed state while a writer works.
            let jm: String = c
                .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
                .map_err(|e| self.err(e))?;
            if !jm.eq_ignore_ascii_case("wal") {
                tracing::warn!("{}: journal mode is {jm}, not WAL", self.display);
            }
            c.execute_batch("PRAGMA synchronous = NORMAL;")
                .map_err(|e| self.err(e))?;
        }
        let version = self.schema_version()?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                path: self.display.clone(),
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        if (READ_COMPATIBLE..SCHEMA_VERSION).contains(&version) && mode == OpenMode::ReadOnly {
            self.has_head = version >= 2;
            self.has_groups = false;
        } else if version < SCHEMA_VERSION {
            if mode == OpenMode::ReadOnly {
                return Err(StoreError::NotOurs {
                    path: self.display.clone(),
                    reason: format!(
                        "schema version {version}, this patchloop needs {SCHEMA_VERSION}: open it once for writing (`patchloop db import` or `db sync`) to migrate"
                    ),
                });
            }
            self.migrate(version)?;
        }
        if mode == OpenMode::ReadOnly {
            // One read transaction for the handle's life: every query sees
            // the same snapshot (taken at the first read), and SQLite takes
            // its shared lock once instead of per statement (two `fcntl`
            // and a `stat` each, about 2,800 system calls in a scan).
            // Pages are read through a memory map (no `pread` and no copy
            // into SQLite's page cache; 8 % faster on a scan). Writers
            // append to the WAL and never shrink the file under a reader.
            self.conn
                .execute_batch("PRAGMA mmap_size = 1073741824; BEGIN DEFERRED")
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    fn schema_version(&self) -> Result<i64, StoreError> {
        let c = &self.conn;
        let has_meta: bool = c
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_meta'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map_err(|e| self.err(e))?
            > 0;
        if !has_meta {
            let tables: i64 = c
                .query_row(
                    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'",
                    [],
                    |r| r.get(0),
                )
                .map_err(|e| self.err(e))?;
            if tables > 0 {
                return Err(StoreError::NotOurs {
                    path: self.display.clone(),
                    reason: "it has tables but no schema_meta".into(),
                });
            }
            return Ok(0);
        }
        let v: Option<String> = c
            .query_row(
                "SELECT value FROM schema_meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    fn migrate(&mut self, _from: i64) -> Result<(), StoreError> {
        let display = self.display.clone();
        let sq = |source| StoreError::Sqlite {
            path: display.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sq)?;
        // Another process may have migrated while we waited for the lock.
        let current: i64 = tx
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_meta'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map_err(sq)?;
        let mut version = if current > 0 {
            tx.query_row(
                "SELECT value FROM schema_meta WHERE key = 'schema_version'",
                [],
                |r| r.get::<_, String>(0),
            )
            .optional()
            .map_err(sq)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
        } else {
            tx.execute_batch(
                "CREATE TABLE schema_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
            )
            .map_err(sq)?;
            0
        };
        let from = version;
        while version < SCHEMA_VERSION {
            tx.execute_batch(MIGRATIONS[version as usize]).map_err(sq)?;
            version += 1;
        }
        if from < 2 {
            fill_heads(&tx, &display)?;
        }
        if from < 3 {
            rebuild_alias_groups(&tx).map_err(sq)?;
            let all: BTreeSet<String> = tx
                .prepare("SELECT DISTINCT ecosystem FROM affected")
                .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
                .map_err(sq)?;
            refresh_names(&tx, &all).map_err(sq)?;
        }
        tx.execute(
            "INSERT INTO schema_meta (key, value) VALUES ('schema_version', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![version.to_string()],
        )
        .map_err(sq)?;
        tx.commit().map_err(sq)
    }

    fn decode(&self, id: &str, raw: &[u8], len: i64) -> Result<Advisory, StoreError> {
        let bytes = unpack(raw, len.max(0) as usize).map_err(|e| StoreError::Corrupt {
            path: self.display.clone(),
            id: id.to_string(),
            reason: e.to_string(),
        })?;
        from_json(&bytes).map_err(|reason| StoreError::Corrupt {
            path: self.display.clone(),
            id: id.to_string(),
            reason,
        })
    }

    /// Merge the WAL into the database file and truncate it (after a big
    /// write). Fails harmlessly while readers hold old snapshots.
    pub fn checkpoint(&self) {
        let _ = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    }

    /// Cap the database file at about `max_bytes` (SQLite's
    /// `max_page_count`) for this connection: a write that would grow it
    /// further fails like a full disk and is rolled back. For quotas, and
    /// for testing the disk-full path.
    pub fn limit_size(&self, max_bytes: u64) -> Result<(), StoreError> {
        let page: i64 = self
            .conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        let pages = (max_bytes / page.max(512) as u64).max(1);
        self.conn
            .query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))
            .map_err(|e| self.err(e))
    }

    /// Distinct (ecosystem, package name) pairs that advisories name, up
    /// to `limit`, in index order (for benchmarks and diagnostics).
    pub fn package_names(&self, limit: usize) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT ecosystem, MIN(name) FROM affected GROUP BY ecosystem, name_key
                 ORDER BY ecosystem, name_key LIMIT ?1",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|m| m.collect())
            .map_err(|e| self.err(e))
    }

    fn count(&self, sql: &str) -> Result<u64, StoreError> {
        self.conn
            .query_row(sql, [], |r| r.get::<_, i64>(0))
            .map(|n| n.max(0) as u64)
            .map_err(|e| self.err(e))
    }
}

fn read_source(row: &rusqlite::Row<'_>) -> rusqlite::Result<SourceState> {
    let detail: Option<String> = row.get(8)?;
    Ok(SourceState {
        name: row.get(0)?,
        url: row.get(1)?,
        last_sync_us: row.get(2)?,
        last_import_us: row.get(3)?,
        last_change_us: row.get(4)?,
        etag: row.get(5)?,
        last_modified: row.get(6)?,
        watermark: row.get(7)?,
        detail: detail.and_then(|d| serde_json::from_str(&d).ok()),
    })
}

const SOURCE_COLUMNS: &str = "name, url, last_sync_us, last_import_us, last_change_us, etag, last_modified, watermark, detail";

/// Compute and store the head of every record that has none (migration
/// to schema v2).
fn fill_heads(tx: &rusqlite::Transaction<'_>, display: &str) -> Result<(), StoreError> {
    let sq = |source| StoreError::Sqlite {
        path: display.to_string(),
        source,
    };
    let mut select = tx
        .prepare("SELECT pk, raw, raw_len FROM advisories WHERE head IS NULL")
        .map_err(sq)?;
    let mut update = tx
        .prepare("UPDATE advisories SET head = ?2 WHERE pk = ?1")
        .map_err(sq)?;
    let mut rows = select.query([]).map_err(sq)?;
    while let Some(r) = rows.next().map_err(sq)? {
        let pk: i64 = r.get(0).map_err(sq)?;
        let raw = r.get_ref(1).map_err(sq)?;
        let raw = raw.as_blob().map_err(|e| sq(e.into()))?;
        let len: i64 = r.get(2).map_err(sq)?;
        // A record that does not decode keeps no head: reading it reports
        // the damage as before, naming the record.
        let head = unpack(raw, len.max(0) as usize)
            .ok()
            .and_then(|json| serde_json::from_slice::<Advisory>(&json).ok())
            .and_then(|adv| serde_json::to_vec(&adv.head()).ok());
        if let Some(head) = head {
            update
                .execute(params![pk, crate::record::pack(&head)])
                .map_err(sq)?;
        }
    }
    Ok(())
}

/// What [`walk_aliases`] found.
struct Walk {
    /// Every id reached, with whether it is a record.
    ids: BTreeMap<String, bool>,
    /// The start id is a record or some record names it.
    known: bool,
    /// Every id of the group was reached (the size guard stopped nothing).
    complete: bool,
}

/// The alias group of `id` by a breadth-first walk over the `aliases`
/// table, adding at most `max` ids.
///
/// One query per id of the group: its own aliases (when it is a record)
/// and the records that name it, with a first column that says which (a
/// row `(1, NULL)` when it is a record without aliases, so that a record
/// is known even when alone). Separate queries for the two directions and
/// for "is it a record" cost twice as many statements per id. Every id
/// reached is asked (the guard only stops adding ids), so whether each one
/// is a record is known for all.
fn walk_aliases(conn: &Connection, id: &str, max: usize) -> rusqlite::Result<Walk> {
    let mut edges = conn.prepare_cached(SQL_ALIAS_EDGES)?;
    let mut ids: BTreeMap<String, bool> = BTreeMap::new();
    let mut queue = VecDeque::from([id.to_string()]);
    let (mut known, mut complete) = (false, true);
    ids.insert(id.to_string(), false);
    while let Some(x) = queue.pop_front() {
        let mut is_record = false;
        let mut rows = edges.query([&x])?;
        while let Some(r) = rows.next()? {
            let own: i64 = r.get(0)?;
            let other: Option<String> = r.get(1)?;
            if own == 1 {
                is_record = true;
                if x == id {
                    known = true; // `id` is a record
                }
            }
            let Some(f) = other else { continue };
            known = true;
            if !ids.contains_key(&f) {
                if ids.len() < max {
                    ids.insert(f.clone(), false);
                    queue.push_back(f);
                } else {
                    complete = false;
                }
            }
        }
        drop(rows);
        if let Some(r) = ids.get_mut(&x) {
            *r = is_record;
        }
    }
    Ok(Walk {
        ids,
        known,
        complete,
    })
}

/// Longest `alias_groups.members` text stored (real groups take a few
/// hundred bytes).
const MEMBERS_MAX_BYTES: usize = 16 * 1024;

/// Longest `ecosystem_names.names` text stored (npm's names across all of
/// OSV take well under 1 MB); a longer list is left to the query.
const NAMES_MAX_BYTES: usize = 16 * 1024 * 1024;

/// `alias_groups.members`: the group's ids in order, one per line, each
/// after `+` when it is a record and `-` when it is an alias only. `None`
/// for a group that cannot be written so (an alias with a line break) or
/// that would take over [`MEMBERS_MAX_BYTES`]: such a group is left to the
/// walk.
fn format_members(ids: &[(&str, bool)]) -> Option<String> {
    let mut out = String::new();
    for (id, record) in ids {
        // Every record of the group holds the whole list: a group of long
        // ids (hostile data) would cost its size squared; such a group is
        // left to the walk.
        if id.contains('\n') || out.len() + id.len() > MEMBERS_MAX_BYTES {
            return None;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push(if *record { '+' } else { '-' });
        out.push_str(id);
    }
    Some(out)
}

/// [`format_members`] read back; `None` for text it does not write (a
/// damaged row: the caller walks instead).
fn parse_members(text: &str) -> Option<Vec<(String, Option<bool>)>> {
    text.split('\n')
        .map(|l| match l.as_bytes().first() {
            Some(b'+') => Some((l[1..].to_string(), Some(true))),
            Some(b'-') => Some((l[1..].to_string(), Some(false))),
            _ => None,
        })
        .collect()
}

/// The stored group of each record of a component (`ids` sorted, each with
/// whether it is a record): written when the whole component fits the
/// walk's guard (then the walk from any of its ids finds exactly it),
/// removed otherwise.
fn store_component(
    tx: &rusqlite::Transaction<'_>,
    ids: &[(&str, bool)],
    complete: bool,
) -> rusqlite::Result<()> {
    let members = (complete && ids.len() <= ALIAS_GROUP_MAX)
        .then(|| format_members(ids))
        .flatten();
    let mut put = tx.prepare_cached(
        "INSERT INTO alias_groups (id, members) VALUES (?1, ?2)
         ON CONFLICT (id) DO UPDATE SET members = excluded.members",
    )?;
    let mut del = tx.prepare_cached("DELETE FROM alias_groups WHERE id = ?1")?;
    for (id, _) in ids.iter().filter(|(_, record)| *record) {
        match &members {
            Some(m) => put.execute(params![id, m])?,
            None => del.execute([id])?,
        };
    }
    Ok(())
}

/// Bring the stored groups up to date after writes whose alias edges
/// touched the ids of `dirty` (the records written, their aliases before
/// and after). A group changes only when an edge of it changes, and both
/// ends of every changed edge are in `dirty`: walking the (new) component
/// of each of them reaches every record whose group changed, a merged
/// group as a whole and each part of a split one. Large batches (an
/// import) rebuild everything at once instead.
fn refresh_alias_groups(
    tx: &rusqlite::Transaction<'_>,
    dirty: &BTreeSet<String>,
) -> rusqlite::Result<()> {
    const REBUILD_FROM: usize = 2_000;
    if dirty.len() >= REBUILD_FROM {
        return rebuild_alias_groups(tx);
    }
    let mut done: HashSet<String> = HashSet::new();
    for id in dirty {
        if done.contains(id) {
            continue;
        }
        // Unbounded: a component that outgrew the guard must lose the
        // groups its records had when it was smaller.
        let walk = walk_aliases(tx, id, usize::MAX)?;
        let ids: Vec<(&str, bool)> = walk.ids.iter().map(|(i, r)| (i.as_str(), *r)).collect();
        store_component(tx, &ids, walk.complete)?;
        done.extend(walk.ids.into_keys());
    }
    Ok(())
}

/// Rewrite `ecosystem_names` for these ecosystems: every name key their
/// `affected` entries hold, one per line (no row when there is none, when
/// a key holds a line break or when the list is over
/// [`NAMES_MAX_BYTES`]: then readers query `affected`).
fn refresh_names(
    tx: &rusqlite::Transaction<'_>,
    ecosystems: &BTreeSet<String>,
) -> rusqlite::Result<()> {
    let mut names = tx.prepare_cached(
        "SELECT DISTINCT name_key FROM affected WHERE ecosystem = ?1 ORDER BY name_key",
    )?;
    let mut put = tx.prepare_cached(
        "INSERT INTO ecosystem_names (ecosystem, names) VALUES (?1, ?2)
         ON CONFLICT (ecosystem) DO UPDATE SET names = excluded.names",
    )?;
    let mut del = tx.prepare_cached("DELETE FROM ecosystem_names WHERE ecosystem = ?1")?;
    for eco in ecosystems {
        let keys: Vec<String> = names
            .query_map([eco], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let bytes: usize = keys.iter().map(|k| k.len() + 1).sum();
        if keys.is_empty() || bytes > NAMES_MAX_BYTES || keys.iter().any(|k| k.contains('\n')) {
            del.execute([eco])?;
        } else {
            put.execute(params![eco, keys.join("\n")])?;
        }
    }
    Ok(())
}

/// Recompute every stored group from the `aliases` table in memory
/// (union-find over the edges), for a migration or a large import. Each
/// id is held once (about 1.5 M ids for a 500,000-record store).
fn rebuild_alias_groups(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM alias_groups", [])?;
    // Node of each id; records by rowid.
    let mut index: HashMap<Box<str>, u32> = HashMap::new();
    let node = |id: String, index: &mut HashMap<Box<str>, u32>| -> u32 {
        let next = index.len() as u32;
        *index.entry(id.into_boxed_str()).or_insert(next)
    };
    let mut by_pk: HashMap<i64, u32> = HashMap::new();
    {
        let mut stmt = tx.prepare("SELECT pk, id FROM advisories")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let n = node(r.get(1)?, &mut index);
            by_pk.insert(r.get(0)?, n);
        }
    }
    let mut parent: Vec<u32> = Vec::new();
    fn root(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            let up = parent[parent[x as usize] as usize];
            parent[x as usize] = up;
            x = up;
        }
        x
    }
    {
        let mut stmt = tx.prepare("SELECT advisory_pk, alias FROM aliases")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let Some(&a) = by_pk.get(&r.get::<_, i64>(0)?) else {
                continue;
            };
            let b = node(r.get(1)?, &mut index);
            parent.extend(parent.len() as u32..index.len() as u32);
            let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
            if ra != rb {
                parent[ra.max(rb) as usize] = ra.min(rb);
            }
        }
    }
    parent.extend(parent.len() as u32..index.len() as u32);
    let mut record = vec![false; index.len()];
    for n in by_pk.into_values() {
        record[n as usize] = true;
    }
    let mut names: Vec<&str> = vec![""; index.len()];
    for (id, n) in &index {
        names[*n as usize] = id;
    }
    // Nodes by (component, id): each component's ids come out together
    // and sorted.
    let mut order: Vec<u32> = (0..names.len() as u32).collect();
    let roots: Vec<u32> = (0..names.len() as u32)
        .map(|n| root(&mut parent, n))
        .collect();
    order.sort_unstable_by(|&a, &b| {
        (roots[a as usize], names[a as usize]).cmp(&(roots[b as usize], names[b as usize]))
    });
    let mut members: Vec<(&str, bool)> = Vec::new();
    for chunk in order.chunk_by(|&a, &b| roots[a as usize] == roots[b as usize]) {
        members.clear();
        members.extend(
            chunk
                .iter()
                .map(|&n| (names[n as usize], record[n as usize])),
        );
        store_component(tx, &members, true)?;
    }
    Ok(())
}

/// A stored JSON document: its bytes checked as UTF-8 at once, then parsed
/// as text (parsing bytes checks every string again, one call each: a
/// fifth of decoding a lookup's entries). Accepts and rejects the same
/// documents as `serde_json::from_slice`.
fn from_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// What [`AdvisoryStore::affected_for_package`] reads of a stored
/// `affected` entry: what matching and fix planning use (the package,
/// ranges, versions and RustSec's `database_specific.informational`).
/// The rest (`ecosystem_specific`, other `database_specific` keys,
/// per-entry severity) is skipped without being built: decoding them into
/// JSON values was 60 % of a lookup's instructions. Imports store only
/// this part ([`crate::record::match_part`]); entries written by older
/// versions still hold the rest, which is skipped. Whole records
/// ([`AdvisoryStore::get`]) keep everything.
#[derive(serde::Deserialize)]
struct MatchEntry {
    #[serde(default)]
    package: Option<patchloop_model::AffectedPackage>,
    #[serde(default)]
    ranges: Option<Vec<patchloop_model::Range>>,
    #[serde(default)]
    versions: Option<Vec<String>>,
    #[serde(default)]
    database_specific: Option<MatchDatabaseSpecific>,
}

/// The `database_specific` key matching reads (any JSON type: only a
/// non-empty string means informational).
#[derive(serde::Deserialize)]
struct MatchDatabaseSpecific {
    #[serde(default)]
    informational: Option<serde_json::Value>,
}

/// A stored `affected` entry as lookups return it: by the reader for the
/// shape imports write ([`super::entry::read`]), else by serde, which
/// decides for anything else (and names what is wrong).
fn read_entry(json: &[u8]) -> Result<Affected, String> {
    if let Some(a) = std::str::from_utf8(json).ok().and_then(super::entry::read) {
        return Ok(a);
    }
    from_json::<MatchEntry>(json).map(MatchEntry::into_affected)
}

impl MatchEntry {
    fn into_affected(self) -> Affected {
        Affected {
            package: self.package,
            severity: Vec::new(),
            ranges: self.ranges.unwrap_or_default(),
            versions: self.versions.unwrap_or_default(),
            ecosystem_specific: None,
            database_specific: crate::record::informational_only(
                self.database_specific.and_then(|d| d.informational),
            ),
        }
    }
}

impl AdvisoryStore for SqliteStore {
    fn advisories_for_package(
        &self,
        ecosystem: &Ecosystem,
        name: &str,
    ) -> Result<Vec<Advisory>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT a.id, a.raw, a.raw_len FROM advisories a
                 WHERE a.pk IN (SELECT advisory_pk FROM affected WHERE ecosystem = ?1 AND name_key = ?2)
                   AND a.withdrawn IS NULL
                 ORDER BY a.id",
            )
            .map_err(|e| self.err(e))?;
        let eco = ecosystem_key(ecosystem);
        let key = name_key(ecosystem, name);
        let mut rows = stmt
            .query(params![eco, key.as_ref()])
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let id: String = r.get(0).map_err(|e| self.err(e))?;
            let raw = r.get_ref(1).map_err(|e| self.err(e))?;
            let raw = raw.as_blob().map_err(|e| self.err(e.into()))?;
            let len: i64 = r.get(2).map_err(|e| self.err(e))?;
            out.push(self.decode(&id, raw, len)?);
        }
        Ok(out)
    }

    fn affected_for_package(
        &self,
        ecosystem: &Ecosystem,
        name: &str,
    ) -> Result<Vec<PackageAdvisory>, StoreError> {
        // In the index's order (`advisory_pk`, so the entries of one record
        // are adjacent), sorted by id below: `ORDER BY a.id` made SQLite
        // build a temporary B-tree per package, half the lookup's cost.
        let mut stmt = self
            .conn
            .prepare_cached(SQL_AFFECTED)
            .map_err(|e| self.err(e))?;
        let eco = ecosystem_key(ecosystem);
        let key = name_key(ecosystem, name);
        let mut rows = stmt
            .query(params![eco, key.as_ref()])
            .map_err(|e| self.err(e))?;
        let mut out: Vec<PackageAdvisory> = Vec::new();
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let id = r.get_ref(0).map_err(|e| self.err(e))?;
            let id = id.as_str().map_err(|e| self.err(e.into()))?;
            let entry = r.get_ref(2).map_err(|e| self.err(e))?;
            let entry = entry.as_blob().map_err(|e| self.err(e.into()))?;
            let corrupt = |reason: String| StoreError::Corrupt {
                path: self.display.clone(),
                id: id.to_string(),
                reason,
            };
            let json = unpack(entry, entry.len() * 4).map_err(|e| corrupt(e.to_string()))?;
            let affected = read_entry(&json).map_err(corrupt)?;
            match out.last_mut() {
                Some(last) if last.id == id => last.affected.push(affected),
                _ => out.push(PackageAdvisory {
                    id: id.to_string(),
                    modified: r.get(1).map_err(|e| self.err(e))?,
                    affected: vec![affected],
                }),
            }
        }
        out.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    fn names_with_advisories(&self, ecosystem: &Ecosystem) -> Result<Option<NameSet>, StoreError> {
        let eco = ecosystem_key(ecosystem);
        if let Some(hit) = self
            .names_cache
            .as_ref()
            .and_then(|c| c.borrow_mut().remove(&eco))
        {
            return Ok(Some(hit));
        }
        if self.has_groups {
            // The list the last write left (`ecosystem_names`); no row:
            // no names, or names the list cannot hold (then the query).
            let listed: Option<String> = self
                .conn
                .prepare_cached("SELECT names FROM ecosystem_names WHERE ecosystem = ?1")
                .and_then(|mut s| s.query_row([&eco], |r| r.get(0)).optional())
                .map_err(|e| self.err(e))?;
            if let Some(listed) = listed {
                let mut set = NameSet::with_capacity_and_hasher(
                    listed.bytes().filter(|&b| b == b'\n').count() + 1,
                    Default::default(),
                );
                set.extend(listed.split('\n').map(str::to_string));
                return Ok(Some(set));
            }
        }
        let mut stmt = self
            .conn
            .prepare_cached("SELECT DISTINCT name_key FROM affected WHERE ecosystem = ?1")
            .map_err(|e| self.err(e))?;
        let names = stmt
            .query_map([&eco], |r| r.get::<_, String>(0))
            .and_then(|m| {
                // Sized for a large ecosystem up front: growing it rehashed
                // every name several times.
                let mut set = NameSet::with_capacity_and_hasher(4096, Default::default());
                for n in m {
                    set.insert(n?);
                }
                Ok(set)
            })
            .map_err(|e| self.err(e))?;
        Ok(Some(names))
    }

    fn ecosystems_with_prefix(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        // One index seek per distinct ecosystem (the index leads with
        // `ecosystem`), rather than a scan of every entry of the range.
        const MAX_ECOSYSTEMS: usize = 100_000;
        let mut first = self
            .conn
            .prepare_cached(
                "SELECT ecosystem FROM affected WHERE ecosystem >= ?1 ORDER BY ecosystem LIMIT 1",
            )
            .map_err(|e| self.err(e))?;
        let mut next = self
            .conn
            .prepare_cached(
                "SELECT ecosystem FROM affected WHERE ecosystem > ?1 ORDER BY ecosystem LIMIT 1",
            )
            .map_err(|e| self.err(e))?;
        let mut out: Vec<String> = Vec::new();
        let mut cur: Option<String> = first
            .query_row([prefix], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))?;
        while let Some(e) = cur {
            if !e.starts_with(prefix) || out.len() >= MAX_ECOSYSTEMS {
                break;
            }
            cur = next
                .query_row([&e], |r| r.get(0))
                .optional()
                .map_err(|e| self.err(e))?;
            out.push(e);
        }
        Ok(out)
    }

    fn get(&self, id: &str) -> Result<Option<Advisory>, StoreError> {
        let row: Option<(Vec<u8>, i64)> = self
            .conn
            .prepare_cached("SELECT raw, raw_len FROM advisories WHERE id = ?1")
            .and_then(|mut s| s.query_row([id], |r| Ok((r.get(0)?, r.get(1)?))).optional())
            .map_err(|e| self.err(e))?;
        row.map(|(raw, len)| self.decode(id, &raw, len)).transpose()
    }

    fn get_head(&self, id: &str) -> Result<Option<Advisory>, StoreError> {
        if !self.has_head {
            return Ok(self.get(id)?.map(|a| a.head()));
        }
        let mut stmt = self
            .conn
            .prepare_cached(SQL_HEAD)
            .map_err(|e| self.err(e))?;
        let mut rows = stmt.query([id]).map_err(|e| self.err(e))?;
        let Some(r) = rows.next().map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        let head = r.get_ref(0).map_err(|e| self.err(e))?;
        if let Some(head) = head.as_blob_or_null().map_err(|e| self.err(e.into()))? {
            return self.decode(id, head, 0).map(Some);
        }
        // No head: the record did not decode when the store was migrated;
        // decoding it again reports why.
        let raw = r.get_ref(1).map_err(|e| self.err(e))?;
        let raw = raw.as_blob().map_err(|e| self.err(e.into()))?;
        let len: i64 = r.get(2).map_err(|e| self.err(e))?;
        self.decode(id, raw, len).map(|a| Some(a.head()))
    }

    fn get_raw(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row: Option<(Vec<u8>, i64)> = self
            .conn
            .prepare_cached("SELECT raw, raw_len FROM advisories WHERE id = ?1")
            .and_then(|mut s| s.query_row([id], |r| Ok((r.get(0)?, r.get(1)?))).optional())
            .map_err(|e| self.err(e))?;
        row.map(|(raw, len)| {
            unpack(&raw, len.max(0) as usize)
                .map(std::borrow::Cow::into_owned)
                .map_err(|e| StoreError::Corrupt {
                    path: self.display.clone(),
                    id: id.to_string(),
                    reason: e.to_string(),
                })
        })
        .transpose()
    }

    fn aliases_of(&self, id: &str) -> Result<Vec<String>, StoreError> {
        Ok(self.alias_group(id)?.into_iter().map(|(a, _)| a).collect())
    }

    fn alias_group(&self, id: &str) -> Result<Vec<(String, Option<bool>)>, StoreError> {
        // The group as the last write left it (`alias_groups`, one row per
        // record), else the walk: for ids that are no record, groups
        // larger than the walk's guard, and stores from before v3.
        if self.has_groups {
            let mut stmt = self
                .conn
                .prepare_cached(SQL_GROUP)
                .map_err(|e| self.err(e))?;
            let mut rows = stmt.query([id]).map_err(|e| self.err(e))?;
            if let Some(r) = rows.next().map_err(|e| self.err(e))? {
                let members = r.get_ref(0).map_err(|e| self.err(e))?;
                let members = members.as_str().map_err(|e| self.err(e.into()))?;
                if let Some(group) = parse_members(members) {
                    return Ok(group);
                }
            }
        }
        let walk = walk_aliases(&self.conn, id, ALIAS_GROUP_MAX).map_err(|e| self.err(e))?;
        Ok(if walk.known {
            walk.ids.into_iter().map(|(a, r)| (a, Some(r))).collect()
        } else {
            Vec::new()
        })
    }

    fn kev(&self, cve: &str) -> Result<Option<KevEntry>, StoreError> {
        if self.no_kev.get() {
            return Ok(None);
        }
        self.conn
            .prepare_cached(SQL_KEV)
            .and_then(|mut s| {
                s.query_row([cve], |r| {
                    Ok(KevEntry {
                        cve: r.get(0)?,
                        vendor_project: r.get(1)?,
                        product: r.get(2)?,
                        name: r.get(3)?,
                        date_added: r.get(4)?,
                        due_date: r.get(5)?,
                        known_ransomware_campaign_use: r.get(6)?,
                        required_action: r.get(7)?,
                    })
                })
                .optional()
            })
            .map_err(|e| self.err(e))
    }

    fn epss(&self, cve: &str) -> Result<Option<EpssRecord>, StoreError> {
        if self.no_epss.get() {
            return Ok(None);
        }
        let row: Option<(f64, f64)> = self
            .conn
            .prepare_cached(SQL_EPSS)
            .and_then(|mut s| {
                s.query_row([cve], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(|e| self.err(e))?;
        let Some((epss, percentile)) = row else {
            return Ok(None);
        };
        let detail = self
            .source_state("epss")?
            .and_then(|s| s.detail)
            .unwrap_or_default();
        let field = |k: &str| detail[k].as_str().unwrap_or_default().to_string();
        Ok(Some(EpssRecord {
            cve: cve.to_string(),
            epss,
            percentile,
            model_version: field("model_version"),
            score_date: field("score_date"),
        }))
    }

    fn modified_us(&self, id: &str) -> Result<Option<i64>, StoreError> {
        self.conn
            .prepare_cached("SELECT modified_us FROM advisories WHERE id = ?1")
            .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))
    }

    fn source_state(&self, name: &str) -> Result<Option<SourceState>, StoreError> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {SOURCE_COLUMNS} FROM sources WHERE name = ?1"
            ))
            .and_then(|mut s| s.query_row([name], read_source).optional())
            .map_err(|e| self.err(e))
    }

    fn sources(&self) -> Result<Vec<SourceState>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {SOURCE_COLUMNS} FROM sources ORDER BY name"
            ))
            .map_err(|e| self.err(e))?;
        stmt.query_map([], read_source)
            .and_then(|m| m.collect())
            .map_err(|e| self.err(e))
    }

    fn location(&self) -> String {
        self.display.clone()
    }

    fn status(&self) -> Result<Status, StoreError> {
        let c = &self.conn;
        let mut st = Status {
            path: self.display.clone(),
            schema_version: self.schema_version()?,
            ..Status::default()
        };
        st.size_bytes = ["", "-wal"]
            .iter()
            .filter_map(|s| std::fs::metadata(format!("{}{s}", self.path.display())).ok())
            .map(|m| m.len())
            .sum();
        let mut stmt = c
            .prepare(
                "SELECT source, ecosystem, COUNT(*), COUNT(withdrawn) FROM advisories
                 GROUP BY source, ecosystem ORDER BY source, ecosystem",
            )
            .map_err(|e| self.err(e))?;
        st.by_source_ecosystem = stmt
            .query_map([], |r| {
                Ok(EcosystemCounts {
                    source: r.get(0)?,
                    ecosystem: r.get(1)?,
                    advisories: r.get::<_, i64>(2)? as u64,
                    withdrawn: r.get::<_, i64>(3)? as u64,
                })
            })
            .and_then(|m| m.collect())
            .map_err(|e| self.err(e))?;
        st.advisories = st.by_source_ecosystem.iter().map(|e| e.advisories).sum();
        st.withdrawn = st.by_source_ecosystem.iter().map(|e| e.withdrawn).sum();
        let mut stmt = c
            .prepare(
                "SELECT ecosystem, COUNT(DISTINCT name_key), COUNT(*) FROM affected
                 GROUP BY ecosystem ORDER BY ecosystem",
            )
            .map_err(|e| self.err(e))?;
        st.packages = stmt
            .query_map([], |r| {
                Ok(PackageCounts {
                    ecosystem: r.get(0)?,
                    packages: r.get::<_, i64>(1)? as u64,
                    affected_entries: r.get::<_, i64>(2)? as u64,
                })
            })
            .and_then(|m| m.collect())
            .map_err(|e| self.err(e))?;
        st.aliases = self.count("SELECT COUNT(*) FROM aliases")?;
        st.cves = self.count(
            "SELECT COUNT(*) FROM (SELECT alias AS cve FROM aliases WHERE alias LIKE 'CVE-%'
                                   UNION SELECT id FROM advisories WHERE id LIKE 'CVE-%')",
        )?;
        st.kev_entries = self.count("SELECT COUNT(*) FROM kev")?;
        st.epss_scores = self.count("SELECT COUNT(*) FROM epss")?;
        let mut stmt = c
            .prepare(&format!(
                "SELECT {SOURCE_COLUMNS} FROM sources ORDER BY name"
            ))
            .map_err(|e| self.err(e))?;
        st.sources = stmt
            .query_map([], read_source)
            .and_then(|m| m.collect())
            .map_err(|e| self.err(e))?;
        for s in &st.sources {
            let Some(d) = &s.detail else { continue };
            let field = |k: &str| d.get(k).and_then(|v| v.as_str()).map(String::from);
            match s.name.as_str() {
                "kev" => st.kev_catalog_version = field("catalog_version"),
                "epss" => {
                    st.epss_model_version = field("model_version");
                    st.epss_score_date = field("score_date");
                }
                _ => {}
            }
        }
        Ok(st)
    }

    fn writer(&mut self) -> Result<Box<dyn StoreWriter + '_>, StoreError> {
        let display = self.display.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|source| StoreError::Sqlite {
                path: display.clone(),
                source,
            })?;
        Ok(Box::new(SqliteWriter {
            tx,
            display,
            now_us: crate::timefmt::now_us(),
            dirty: BTreeSet::new(),
            dirty_ecosystems: BTreeSet::new(),
        }))
    }
}

struct SqliteWriter<'a> {
    tx: rusqlite::Transaction<'a>,
    display: String,
    now_us: i64,
    /// Ids whose alias edges this transaction changed: the records
    /// written and their aliases before and after
    /// ([`refresh_alias_groups`] at commit).
    dirty: BTreeSet<String>,
    /// Ecosystems whose package names this transaction changed
    /// ([`refresh_names`] at commit).
    dirty_ecosystems: BTreeSet<String>,
}

impl SqliteWriter<'_> {
    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.display.clone(),
            source,
        }
    }

    fn insert_children(&self, pk: i64, rec: &PreparedAdvisory) -> rusqlite::Result<()> {
        let mut aff = self.tx.prepare_cached(
            "INSERT INTO affected (advisory_pk, ecosystem, name_key, name, purl, entry)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for a in &rec.affected {
            aff.execute(params![
                pk,
                a.ecosystem,
                a.name_key,
                a.name,
                a.purl,
                a.entry
            ])?;
        }
        let mut al = self
            .tx
            .prepare_cached("INSERT INTO aliases (advisory_pk, alias) VALUES (?1, ?2)")?;
        for a in &rec.aliases {
            al.execute(params![pk, a])?;
        }
        Ok(())
    }
}

impl StoreWriter for SqliteWriter<'_> {
    fn put_advisory(&mut self, rec: &PreparedAdvisory) -> Result<Outcome, StoreError> {
        let mut run = || -> rusqlite::Result<Outcome> {
            let existing: Option<(i64, i64)> = self
                .tx
                .prepare_cached("SELECT pk, modified_us FROM advisories WHERE id = ?1")?
                .query_row([&rec.id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let raw_len = rec.raw_len as i64;
            let values: &[&dyn rusqlite::ToSql] = &[
                &rec.id,
                &rec.modified,
                &rec.modified_us,
                &rec.published,
                &rec.withdrawn,
                &rec.ecosystem,
                &rec.source,
                &rec.origin,
                &rec.summary,
                &rec.raw_zstd,
                &raw_len,
                &self.now_us,
                &rec.head,
            ];
            match existing {
                None => {
                    self.tx
                        .prepare_cached(
                            "INSERT INTO advisories (id, modified, modified_us, published, withdrawn,
                                 ecosystem, source, origin, summary, raw, raw_len, imported_us, head)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                        )?
                        .execute(values)?;
                    let pk = self.tx.last_insert_rowid();
                    self.insert_children(pk, rec)?;
                    self.dirty_ecosystems
                        .extend(rec.affected.iter().map(|a| a.ecosystem.clone()));
                    self.dirty.insert(rec.id.clone());
                    self.dirty.extend(rec.aliases.iter().cloned());
                    Ok(Outcome::Inserted)
                }
                Some((pk, stored)) if rec.modified_us > stored => {
                    self.tx
                        .prepare_cached(
                            "UPDATE advisories SET modified = ?2, modified_us = ?3, published = ?4,
                                 withdrawn = ?5, ecosystem = ?6, source = ?7, origin = ?8, summary = ?9,
                                 raw = ?10, raw_len = ?11, imported_us = ?12, head = ?13
                             WHERE id = ?1",
                        )?
                        .execute(values)?;
                    let old_ecosystems: Vec<String> = self
                        .tx
                        .prepare_cached(
                            "SELECT DISTINCT ecosystem FROM affected WHERE advisory_pk = ?1",
                        )?
                        .query_map([pk], |r| r.get(0))?
                        .collect::<rusqlite::Result<_>>()?;
                    self.dirty_ecosystems.extend(old_ecosystems);
                    self.dirty_ecosystems
                        .extend(rec.affected.iter().map(|a| a.ecosystem.clone()));
                    self.tx
                        .prepare_cached("DELETE FROM affected WHERE advisory_pk = ?1")?
                        .execute([pk])?;
                    let mut old: Vec<String> = self
                        .tx
                        .prepare_cached("SELECT alias FROM aliases WHERE advisory_pk = ?1")?
                        .query_map([pk], |r| r.get(0))?
                        .collect::<rusqlite::Result<_>>()?;
                    self.tx
                        .prepare_cached("DELETE FROM aliases WHERE advisory_pk = ?1")?
                        .execute([pk])?;
                    self.insert_children(pk, rec)?;
                    old.sort();
                    if old != rec.aliases {
                        self.dirty.insert(rec.id.clone());
                        self.dirty.extend(old);
                        self.dirty.extend(rec.aliases.iter().cloned());
                    }
                    Ok(Outcome::Updated)
                }
                Some(_) => Ok(Outcome::Unchanged),
            }
        };
        let outcome = run();
        outcome.map_err(|e| self.err(e))
    }

    fn modified_us(&mut self, id: &str) -> Result<Option<i64>, StoreError> {
        self.tx
            .prepare_cached("SELECT modified_us FROM advisories WHERE id = ?1")
            .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))
    }

    fn replace_kev(&mut self, catalog: &KevCatalog) -> Result<TableCounts, StoreError> {
        let run = || -> rusqlite::Result<TableCounts> {
            let mut existing: HashMap<String, String> = self
                .tx
                .prepare("SELECT cve, raw FROM kev")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut counts = TableCounts::default();
            let mut upsert = self.tx.prepare_cached(
                "INSERT INTO kev (cve, vendor_project, product, vulnerability_name, date_added, due_date,
                     known_ransomware_campaign_use, required_action, short_description, notes, cwes, raw)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                 ON CONFLICT (cve) DO UPDATE SET vendor_project = excluded.vendor_project,
                     product = excluded.product, vulnerability_name = excluded.vulnerability_name,
                     date_added = excluded.date_added, due_date = excluded.due_date,
                     known_ransomware_campaign_use = excluded.known_ransomware_campaign_use,
                     required_action = excluded.required_action,
                     short_description = excluded.short_description, notes = excluded.notes,
                     cwes = excluded.cwes, raw = excluded.raw",
            )?;
            for row in &catalog.entries {
                let e = &row.entry;
                match existing.remove(&e.cve) {
                    Some(raw) if raw == row.raw => {
                        counts.unchanged += 1;
                        continue;
                    }
                    Some(_) => counts.updated += 1,
                    None => counts.inserted += 1,
                }
                upsert.execute(params![
                    e.cve,
                    e.vendor_project,
                    e.product,
                    e.name,
                    e.date_added,
                    e.due_date,
                    e.known_ransomware_campaign_use,
                    e.required_action,
                    row.short_description,
                    row.notes,
                    serde_json::to_string(&row.cwes).unwrap_or_default(),
                    row.raw
                ])?;
            }
            let mut del = self.tx.prepare_cached("DELETE FROM kev WHERE cve = ?1")?;
            for cve in existing.keys() {
                del.execute([cve])?;
                counts.removed += 1;
            }
            Ok(counts)
        };
        run().map_err(|e| self.err(e))
    }

    fn replace_epss(&mut self, file: &EpssFile) -> Result<TableCounts, StoreError> {
        let run = || -> rusqlite::Result<TableCounts> {
            let mut existing: HashMap<String, (f64, f64)> = self
                .tx
                .prepare("SELECT cve, epss, percentile FROM epss")?
                .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
                .collect::<rusqlite::Result<_>>()?;
            let mut counts = TableCounts::default();
            let mut upsert = self.tx.prepare_cached(
                "INSERT INTO epss (cve, epss, percentile) VALUES (?1, ?2, ?3)
                 ON CONFLICT (cve) DO UPDATE SET epss = excluded.epss, percentile = excluded.percentile",
            )?;
            for (cve, s) in &file.scores {
                match existing.remove(cve) {
                    Some(old) if old == (s.epss, s.percentile) => {
                        counts.unchanged += 1;
                        continue;
                    }
                    Some(_) => counts.updated += 1,
                    None => counts.inserted += 1,
                }
                upsert.execute(params![cve, s.epss, s.percentile])?;
            }
            let mut del = self.tx.prepare_cached("DELETE FROM epss WHERE cve = ?1")?;
            for cve in existing.keys() {
                del.execute([cve])?;
                counts.removed += 1;
            }
            Ok(counts)
        };
        run().map_err(|e| self.err(e))
    }

    fn source_state(&mut self, name: &str) -> Result<Option<SourceState>, StoreError> {
        self.tx
            .prepare_cached(&format!(
                "SELECT {SOURCE_COLUMNS} FROM sources WHERE name = ?1"
            ))
            .and_then(|mut s| s.query_row([name], read_source).optional())
            .map_err(|e| self.err(e))
    }

    fn set_source_state(&mut self, s: &SourceState) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO sources (name, url, last_sync_us, last_import_us, last_change_us, etag,
                     last_modified, watermark, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (name) DO UPDATE SET url = excluded.url,
                     last_sync_us = excluded.last_sync_us, last_import_us = excluded.last_import_us,
                     last_change_us = excluded.last_change_us, etag = excluded.etag,
                     last_modified = excluded.last_modified, watermark = excluded.watermark,
                     detail = excluded.detail",
            )
            .and_then(|mut st| {
                st.execute(params![
                    s.name,
                    s.url,
                    s.last_sync_us,
                    s.last_import_us,
                    s.last_change_us,
                    s.etag,
                    s.last_modified,
                    s.watermark,
                    s.detail.as_ref().map(|d| d.to_string())
                ])
            })
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let display = self.display.clone();
        refresh_alias_groups(&self.tx, &self.dirty)
            .and_then(|()| refresh_names(&self.tx, &self.dirty_ecosystems))
            .and_then(|()| self.tx.commit())
            .map_err(|source| StoreError::Sqlite {
                path: display,
                source,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// serde's reading of an entry (what `read_entry` falls back to).
    fn by_serde(text: &str) -> Result<Affected, String> {
        from_json::<MatchEntry>(text.as_bytes()).map(MatchEntry::into_affected)
    }

    /// Where the fast reader answers, serde gives the same entry.
    fn agrees(text: &str) -> bool {
        match super::super::entry::read(text) {
            Some(fast) => {
                assert_eq!(Ok(fast), by_serde(text), "{text}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn entry_reader_agrees_with_serde_on_edge_cases() {
        let read = [
            r#"{}"#,
            r#"{"package":{"ecosystem":"crates.io","name":"hyper","purl":"pkg:cargo/hyper"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0.0.0-0"},{"fixed":"0.9.4"}]}]}"#,
            r#"{"package":{"ecosystem":"PyPI","name":"é"},"ranges":[{"type":"ECOSYSTEM","events":[]}],"versions":["1.0","2.0"]}"#,
            r#"{"package":{"ecosystem":"Debian:12","name":"x"},"ranges":[{"type":"GIT","repo":"https://r","events":[{"introduced":"0"},{"last_affected":"a"},{"limit":"b"}]}]}"#,
            r#"{"package":{"ecosystem":"Nope","name":"x"},"ranges":[{"type":"FUTURE","events":[{"fixed":"1"}]}]}"#,
            r#"{"ranges":[],"versions":[],"database_specific":{"informational":"unmaintained"}}"#,
            r#"{"database_specific":{"informational":""}}"#,
            r#"{"database_specific":{}}"#,
        ];
        for t in read {
            assert!(agrees(t), "not read: {t}");
        }
        // Left to serde (which accepts some, rejects others).
        let left = [
            r#"{"package":null}"#,
            r#"{"versions":["a\"b"]}"#,
            r#"{"versions":["a\nb"]}"#,
            r#"{"versions": ["a"]}"#,
            r#"{"versions":["a"],"versions":["b"]}"#,
            r#"{"package":{"ecosystem":"npm","name":"a","name":"b"}}"#,
            r#"{"ranges":[{"type":"SEMVER","type":"GIT","events":[]}]}"#,
            r#"{"ranges":[{"type":"SEMVER","events":[{"fixed":"1","fixed":"2"}]}]}"#,
            r#"{"database_specific":{"informational":"a","informational":"b"}}"#,
            r#"{"database_specific":{},"database_specific":{}}"#,
            r#"{"ranges":[{"type":"SEMVER","events":[{"introduced":"0","fixed":"1"}]}]}"#,
            r#"{"ranges":[{"type":"SEMVER","events":[{}]}]}"#,
            r#"{"ranges":[{"type":"SEMVER"}]}"#,
            r#"{"ranges":[{"events":[]}]}"#,
            r#"{"ranges":[{"type":"SEMVER","events":[],"database_specific":{"a":1}}]}"#,
            r#"{"package":{"ecosystem":"npm"}}"#,
            r#"{"database_specific":{"informational":null}}"#,
            r#"{"database_specific":{"informational":1,"x":2}}"#,
            r#"{"severity":[]}"#,
            r#"{"ecosystem_specific":{}}"#,
            r#"{"versions":[1]}"#,
            r#"{} "#,
            r#"{}x"#,
            r#"{"#,
            r#""#,
            r#"{"versions":["a""#,
        ];
        for t in left {
            assert!(!agrees(t), "read: {t}");
        }
    }

    /// Damaged documents (every byte of real-shaped entries deleted, or
    /// replaced by a JSON delimiter, a quote, an escape, a control or a
    /// multi-byte character): the reader never panics, and where it still
    /// answers, serde gives the same entry.
    #[test]
    fn entry_reader_on_damaged_documents() {
        let docs = [
            r#"{"package":{"ecosystem":"crates.io","name":"hyper","purl":"pkg:cargo/hyper"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0.0.0-0"},{"fixed":"0.9.4"}]}],"versions":["1"],"database_specific":{"informational":"unsound"}}"#,
            r#"{"package":{"ecosystem":"Debian:12","name":"é"},"ranges":[{"type":"GIT","repo":"r","events":[{"last_affected":"a"},{"limit":"b"}]}]}"#,
        ];
        let subs = [
            "{", "}", "[", "]", ",", ":", "\"", "\\", "\n", " ", "é", "n",
        ];
        let (mut tried, mut read) = (0, 0);
        for d in docs {
            let cuts: Vec<usize> = d.char_indices().map(|(i, _)| i).collect();
            for &i in &cuts {
                let next = d[i..].chars().next().map_or(0, char::len_utf8);
                let mut variants = vec![format!("{}{}", &d[..i], &d[i + next..])];
                variants.extend(
                    subs.iter()
                        .map(|x| format!("{}{x}{}", &d[..i], &d[i + next..])),
                );
                for v in variants {
                    tried += 1;
                    read += usize::from(agrees(&v));
                }
            }
        }
        assert!(tried > 3000 && read > 0, "{tried} tried, {read} read");
    }

    /// Every entry imports write, for all the real OSV data: read by the
    /// fast reader, and the same as serde's reading.
    #[test]
    fn entry_reader_agrees_with_serde_on_every_real_entry() {
        let Some(osv) = patchloop_testdata::shared_data("osv") else {
            return;
        };
        let ghsa = patchloop_testdata::shared_data("osv-ghsa-sample");
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("s.db"), OpenMode::ReadWrite).unwrap();
        let mut paths = vec![osv];
        paths.extend(ghsa);
        crate::import_paths(
            &mut store,
            &paths,
            &crate::ImportOptions::default(),
            &crate::NoProgress,
        )
        .unwrap();
        let mut stmt = store.conn.prepare("SELECT entry FROM affected").unwrap();
        let mut rows = stmt.query([]).unwrap();
        let (mut total, mut read) = (0, 0);
        while let Some(r) = rows.next().unwrap() {
            let blob: Vec<u8> = r.get(0).unwrap();
            let json = unpack(&blob, blob.len() * 4).unwrap();
            let text = std::str::from_utf8(&json).unwrap();
            total += 1;
            read += usize::from(agrees(text));
        }
        assert!(total > 10_000, "{total}");
        assert_eq!(read, total, "entries left to serde");
    }
}
