//! What patchloop has seen: the first day each vulnerability was found in
//! each package of each project, so SLA clocks run from the first sighting
//! rather than from the last scan (docs/prioritization.md, "SLA").
//!
//! One SQLite file (default `<data dir>/patchloop/state.db`), separate
//! from the advisory store: the store can be rebuilt from the feeds at
//! any time, this history cannot. A finding is keyed by each of its ids
//! (id and aliases) and its package (ecosystem and name, not version), so
//! a bump to a version that is still vulnerable, or a new alias record in
//! the store, keeps the original date.

use std::path::{Path, PathBuf};

use patchloop_model::ScanReport;
use rusqlite::{Connection, params};

/// The state file could not be used.
#[derive(Debug, thiserror::Error)]
#[error("state file {path}: {source}")]
pub struct StateError {
    pub path: PathBuf,
    #[source]
    pub source: rusqlite::Error,
}

/// When a finding was first seen, and whether this scan is the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    /// `YYYY-MM-DD`.
    pub first_seen: String,
    /// Never seen before in this project.
    pub new: bool,
}

/// The first-seen history.
pub struct StateStore {
    conn: Connection,
    path: PathBuf,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS seen (
    project     TEXT NOT NULL,
    id          TEXT NOT NULL,
    package     TEXT NOT NULL,
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    PRIMARY KEY (project, id, package)
);
";

impl StateStore {
    /// Open (creating the file and its directory if needed).
    pub fn open(path: &Path) -> Result<StateStore, StateError> {
        let err = |source| StateError {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            let _ = std::fs::create_dir_all(dir);
        }
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(err)?;
        conn.execute_batch("PRAGMA journal_mode=WAL;")
            .map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(StateStore {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Record that every finding of `report` was seen on `today` in
    /// `project` (only when `record`), and return each finding's first-seen
    /// date (same order as `report.findings`; `today` for a new one).
    pub fn observe(
        &mut self,
        project: &str,
        report: &ScanReport,
        today: &str,
        record: bool,
    ) -> Result<Vec<Sighting>, StateError> {
        let path = self.path.clone();
        let err = |source| StateError {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(&err)?;
        let mut out = Vec::with_capacity(report.findings.len());
        {
            let mut get = tx
                .prepare_cached(
                    "SELECT MIN(first_seen) FROM seen WHERE project = ?1 AND package = ?2 AND id = ?3",
                )
                .map_err(&err)?;
            let mut put = tx
                .prepare_cached(
                    "INSERT INTO seen (project, id, package, first_seen, last_seen)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (project, id, package) DO UPDATE SET
                       first_seen = MIN(first_seen, excluded.first_seen),
                       last_seen = MAX(last_seen, excluded.last_seen)",
                )
                .map_err(&err)?;
            for f in &report.findings {
                let package = format!("{}/{}", f.package.ecosystem, f.package.name);
                let mut first = today.to_string();
                let mut new = true;
                for id in f.ids() {
                    let seen: Option<String> = get
                        .query_row(params![project, package, id], |r| r.get(0))
                        .map_err(&err)?;
                    if let Some(s) = seen {
                        new = false;
                        if s < first {
                            first = s;
                        }
                    }
                }
                for id in f.ids().filter(|_| record) {
                    put.execute(params![project, id, package, first, today])
                        .map_err(&err)?;
                }
                out.push(Sighting {
                    first_seen: first,
                    new,
                });
            }
        }
        tx.commit().map_err(&err)?;
        Ok(out)
    }
}
