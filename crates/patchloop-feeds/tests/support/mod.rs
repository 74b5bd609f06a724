//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod server;

use std::io::Write;
use std::path::{Path, PathBuf};

use patchloop_feeds::{
    AdvisoryStore, ImportOptions, ImportReport, NoProgress, OpenMode, SqliteStore, import_paths,
};

/// A fresh store in a temporary directory.
pub fn temp_store() -> (tempfile::TempDir, SqliteStore) {
    let d = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(&d.path().join("advisories.db"), OpenMode::ReadWrite).unwrap();
    (d, s)
}

pub fn import(store: &mut SqliteStore, paths: &[PathBuf]) -> ImportReport {
    import_paths(store, paths, &ImportOptions::default(), &NoProgress).unwrap()
}

/// Every `.json` file of a shared-data folder, sorted: (id, bytes).
pub fn records(dir: &Path) -> Vec<(String, Vec<u8>)> {
    patchloop_testdata::files_under(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let id = p.file_stem().unwrap().to_string_lossy().into_owned();
            (id, std::fs::read(&p).unwrap())
        })
        .collect()
}

/// A zip archive with the given entries (deflated).
pub fn zip_of(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(name.as_str(), opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// `modified_id.csv` for a set of records: `<modified>,<id>`, newest first.
pub fn modified_id_csv(records: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut lines: Vec<(String, String)> = records
        .iter()
        .map(|(_, b)| {
            let v: serde_json::Value = serde_json::from_slice(b).unwrap();
            (
                v["modified"].as_str().unwrap().to_string(),
                v["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    lines.sort_by(|a, b| {
        let ka = patchloop_feeds::timefmt::parse_us(&a.0).unwrap();
        let kb = patchloop_feeds::timefmt::parse_us(&b.0).unwrap();
        kb.cmp(&ka).then(a.1.cmp(&b.1))
    });
    let mut out = String::new();
    for (m, id) in lines {
        out.push_str(&format!("{m},{id}\n"));
    }
    out.into_bytes()
}

/// An EPSS file in the published format, gzipped.
pub fn epss_gz(score_date: &str, rows: &[(&str, f64, f64)]) -> Vec<u8> {
    let mut text =
        format!("#model_version:v2025.03.14,score_date:{score_date}\ncve,epss,percentile\n");
    for (c, e, p) in rows {
        text.push_str(&format!("{c},{e:.5},{p:.5}\n"));
    }
    let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    g.write_all(text.as_bytes()).unwrap();
    g.finish().unwrap()
}

/// Change a record: apply `f` to its JSON value and serialize it back.
pub fn edit(bytes: &[u8], f: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    f(&mut v);
    serde_json::to_vec_pretty(&v).unwrap()
}

pub fn count(store: &SqliteStore) -> u64 {
    store.status().unwrap().advisories
}
