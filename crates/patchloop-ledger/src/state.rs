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

use rustc_hash::FxHashMap as HashMap;
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

/// A project's first-seen history ([`StateStore::history`]).
#[derive(Debug, Default)]
pub struct History {
    project: String,
    /// package → id → (first seen, last seen): looked up by borrowed
    /// names, without building a key per id of every finding.
    known: HashMap<String, HashMap<String, (String, String)>>,
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

/// Open `state.db` (first-seen dates and the ledger share it) with the
/// settings both use.
///
/// Rollback journal, not WAL: a scan reads this file every time and
/// writes it only when something changes, and a WAL-mode file costs every
/// open the creation of its `-wal` and `-shm` files (and their deletion
/// at close), about 30 system calls, a tenth of a scan's. A write
/// (rare: a new finding, a new day, a ledger record) takes the file's
/// lock; readers and writers wait for each other up to the busy timeout.
/// A file a previous version left in WAL mode is switched back when no
/// other connection has it open (otherwise it stays in WAL mode, which
/// works the same, and is switched at a later open).
pub(crate) fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("delete") {
        // Busy (another connection holds it) is not an error here.
        let _ = conn.query_row("PRAGMA journal_mode=DELETE", [], |r| r.get::<_, String>(0));
    }
    Ok(conn)
}

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
        let conn = connect(path).map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(StateStore {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Record that every finding of `report` was seen on `today` in
    /// `project` (only when `record`), and return each finding's first-seen
    /// date (same order as `report.findings`; `today` for a new one).
    ///
    /// The project's history is read with one query; rows are written only
    /// where something changes (a new sighting, an earlier first date, or
    /// the first sighting of the day), so a rescan on the same day writes
    /// nothing. Concurrent scans are safe: the write keeps the earliest
    /// first date and the latest last date whoever comes second.
    pub fn observe(
        &mut self,
        project: &str,
        report: &ScanReport,
        today: &str,
        record: bool,
    ) -> Result<Vec<Sighting>, StateError> {
        let history = self.history(project)?;
        self.observe_with(history, report, today, record)
    }

    /// The project's history, read with one query: what [`Self::observe`]
    /// compares a report with. A scan reads it while it reads the
    /// lockfiles (it does not depend on them) and passes it to
    /// [`Self::observe_with`].
    pub fn history(&self, project: &str) -> Result<History, StateError> {
        let err = |source| StateError {
            path: self.path.clone(),
            source,
        };
        let mut known: HashMap<String, HashMap<String, (String, String)>> = HashMap::default();
        let mut all = self
            .conn
            .prepare_cached(
                "SELECT package, id, first_seen, last_seen FROM seen WHERE project = ?1",
            )
            .map_err(&err)?;
        let rows = all
            .query_map(params![project], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    (r.get(2)?, r.get(3)?),
                ))
            })
            .map_err(&err)?;
        for row in rows {
            let (package, id, v) = row.map_err(&err)?;
            known.entry(package).or_default().insert(id, v);
        }
        Ok(History {
            project: project.to_string(),
            known,
        })
    }

    /// [`Self::observe`] against a history read before by
    /// [`Self::history`] (its project).
    pub fn observe_with(
        &mut self,
        history: History,
        report: &ScanReport,
        today: &str,
        record: bool,
    ) -> Result<Vec<Sighting>, StateError> {
        let path = self.path.clone();
        let err = |source| StateError {
            path: path.clone(),
            source,
        };
        let History { project, known } = history;
        let mut out = Vec::with_capacity(report.findings.len());
        let mut writes: Vec<(String, String, String)> = Vec::new();
        for f in &report.findings {
            let package = format!("{}/{}", f.package.ecosystem, f.package.name);
            let seen = known.get(&package);
            let at = |id: &str| seen.and_then(|m| m.get(id));
            let mut first = today.to_string();
            let mut new = true;
            for id in f.ids() {
                if let Some((s, _)) = at(id) {
                    new = false;
                    if *s < first {
                        first = s.clone();
                    }
                }
            }
            if record {
                for id in f.ids() {
                    let stale = match at(id) {
                        None => true,
                        Some((s, l)) => *s != first || l.as_str() < today,
                    };
                    if stale {
                        writes.push((id.to_string(), package.clone(), first.clone()));
                    }
                }
            }
            out.push(Sighting {
                first_seen: first,
                new,
            });
        }
        if !writes.is_empty() {
            let tx = self.conn.transaction().map_err(&err)?;
            {
                let mut put = tx
                    .prepare_cached(
                        "INSERT INTO seen (project, id, package, first_seen, last_seen)
                         VALUES (?1, ?2, ?3, ?4, ?5)
                         ON CONFLICT (project, id, package) DO UPDATE SET
                           first_seen = MIN(first_seen, excluded.first_seen),
                           last_seen = MAX(last_seen, excluded.last_seen)",
                    )
                    .map_err(&err)?;
                for (id, package, first) in &writes {
                    put.execute(params![project, id, package, first, today])
                        .map_err(&err)?;
                }
            }
            tx.commit().map_err(&err)?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(findings: &[(&str, &[&str], &str)]) -> ScanReport {
        let findings: Vec<serde_json::Value> = findings
            .iter()
            .map(|(id, aliases, name)| {
                serde_json::json!({
                    "id": id, "aliases": aliases, "records": [id],
                    "category": "vulnerability",
                    "package": {"ecosystem": "crates.io", "name": name, "version": "1.0.0",
                                "purl": format!("pkg:cargo/{name}@1.0.0")},
                    "occurrences": [],
                    "severity": {"level": "high"}
                })
            })
            .collect();
        let mut r = ScanReport {
            schema: String::new(),
            generator: String::new(),
            database: patchloop_model::DatabaseInfo {
                path: String::new(),
                age_secs: None,
                stale: false,
                warning: None,
            },
            summary: patchloop_model::Summary::default(),
            findings: Vec::new(),
            policy: Vec::new(),
            diagnostics: Vec::new(),
        };
        r.findings = findings
            .into_iter()
            .map(|f| serde_json::from_value(f).expect("finding"))
            .collect();
        r
    }

    fn rows(st: &StateStore) -> Vec<(String, String, String, String)> {
        let mut q = st
            .conn
            .prepare("SELECT id, package, first_seen, last_seen FROM seen ORDER BY id, package")
            .unwrap();
        q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn state_file_uses_a_rollback_journal_and_converts_wal_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let side = |suffix: &str| dir.path().join(format!("state.db{suffix}")).exists();
        // A file an earlier version left in WAL mode, with its history.
        {
            let c = Connection::open(&path).unwrap();
            let mode: String = c
                .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
                .unwrap();
            assert_eq!(mode, "wal");
            c.execute_batch(SCHEMA).unwrap();
            c.execute(
                "INSERT INTO seen VALUES ('p', 'RUSTSEC-1', 'crates.io/a', '2025-01-01', '2025-01-01')",
                [],
            )
            .unwrap();
        }
        let mut st = StateStore::open(&path).unwrap();
        let mode: String = st
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "delete");
        // The history is kept, and reading it leaves no side files.
        let s = st
            .observe(
                "p",
                &report(&[("RUSTSEC-1", &[], "a")]),
                "2026-01-01",
                false,
            )
            .unwrap();
        assert_eq!(s[0].first_seen, "2025-01-01");
        assert!(!side("-wal") && !side("-shm") && !side("-journal"));
        drop(st);
        assert!(!side("-wal") && !side("-shm") && !side("-journal"));

        // While another connection holds the WAL-mode file open, it stays
        // in WAL mode and still works.
        let other = Connection::open(dir.path().join("busy.db")).unwrap();
        let _: String = other
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .unwrap();
        other.execute_batch(SCHEMA).unwrap();
        let mut st = StateStore::open(&dir.path().join("busy.db")).unwrap();
        let s = st
            .observe("p", &report(&[("RUSTSEC-2", &[], "b")]), "2026-01-01", true)
            .unwrap();
        assert!(s[0].new);
        let mode: String = st
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn first_dates_survive_and_same_day_rescans_write_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut st = StateStore::open(&dir.path().join("state.db")).unwrap();
        let r1 = report(&[("RUSTSEC-1", &["CVE-1"], "a")]);
        let s = st.observe("p", &r1, "2026-01-01", true).unwrap();
        assert_eq!(
            s[0],
            Sighting {
                first_seen: "2026-01-01".into(),
                new: true
            }
        );
        assert_eq!(rows(&st).len(), 2);

        // Same day again: nothing changes, nothing is written.
        let before = st.conn.total_changes();
        let s = st.observe("p", &r1, "2026-01-01", true).unwrap();
        assert_eq!(
            s[0],
            Sighting {
                first_seen: "2026-01-01".into(),
                new: false
            }
        );
        assert_eq!(st.conn.total_changes(), before);

        // A later day: last_seen moves, first_seen stays; a new alias record
        // (GHSA-1) inherits the first date of the vulnerability.
        let r2 = report(&[
            ("RUSTSEC-1", &["CVE-1", "GHSA-1"], "a"),
            ("RUSTSEC-2", &[], "b"),
        ]);
        let s = st.observe("p", &r2, "2026-02-01", true).unwrap();
        assert_eq!(
            s[0],
            Sighting {
                first_seen: "2026-01-01".into(),
                new: false
            }
        );
        assert_eq!(
            s[1],
            Sighting {
                first_seen: "2026-02-01".into(),
                new: true
            }
        );
        let want = |id: &str, pkg: &str, f: &str, l: &str| {
            (
                id.to_string(),
                format!("crates.io/{pkg}"),
                f.to_string(),
                l.to_string(),
            )
        };
        assert_eq!(
            rows(&st),
            vec![
                want("CVE-1", "a", "2026-01-01", "2026-02-01"),
                want("GHSA-1", "a", "2026-01-01", "2026-02-01"),
                want("RUSTSEC-1", "a", "2026-01-01", "2026-02-01"),
                want("RUSTSEC-2", "b", "2026-02-01", "2026-02-01"),
            ]
        );

        // Not recording: dates are answered, nothing is written; another
        // project has its own history.
        let before = st.conn.total_changes();
        let s = st.observe("q", &r1, "2026-03-01", false).unwrap();
        assert_eq!(
            s[0],
            Sighting {
                first_seen: "2026-03-01".into(),
                new: true
            }
        );
        assert_eq!(st.conn.total_changes(), before);
    }
}
