//! FIRST EPSS score files: `#model_version:…,score_date:…`, then the
//! `cve,epss,percentile` header, then one row per CVE; plain or gzipped.

use std::io::Read;

use patchloop_model::EpssScore;

use crate::store::EpssFile;

/// Gzip magic.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Decompress a gzip stream, refusing more than `max` bytes of output.
pub fn gunzip(bytes: &[u8], max: u64) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .take(max + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("invalid gzip data: {e}"))?;
    if out.len() as u64 > max {
        return Err(format!("decompresses to more than {max} bytes"));
    }
    Ok(out)
}

/// True when the (decompressed) text starts like an EPSS file.
pub fn looks_like_epss(text: &[u8]) -> bool {
    let t = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
    t.starts_with(b"#model_version") || t.starts_with(b"cve,epss")
}

/// Parse an EPSS file. Bad rows are returned as `line N: cause` and
/// skipped; a file without the `cve,epss,percentile` header is an error.
pub fn parse(text: &[u8]) -> Result<(EpssFile, Vec<String>), String> {
    let t = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
    let mut file = EpssFile::default();
    let mut bad = Vec::new();
    let mut header_seen = false;
    let mut cols = (0usize, 1usize, 2usize);
    file.scores.reserve(t.len() / 32);
    for (i, line) in t.split(|&b| b == b'\n').enumerate() {
        let n = i + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let Ok(line) = std::str::from_utf8(line) else {
            bad.push(format!("line {n}: not UTF-8"));
            continue;
        };
        if let Some(meta) = line.strip_prefix('#') {
            for kv in meta.split(',') {
                if let Some((k, v)) = kv.split_once(':') {
                    match k.trim() {
                        "model_version" => file.model_version = v.trim().to_string(),
                        "score_date" => {
                            file.score_date = v.trim().to_string();
                            file.score_date_us = crate::timefmt::parse_us(v.trim());
                        }
                        _ => {}
                    }
                }
            }
            continue;
        }
        if !header_seen {
            let names: Vec<&str> = line.split(',').map(str::trim).collect();
            let pos = |want: &str| names.iter().position(|c| c.eq_ignore_ascii_case(want));
            match (pos("cve"), pos("epss"), pos("percentile")) {
                (Some(c), Some(e), Some(p)) => cols = (c, e, p),
                _ => {
                    return Err(format!(
                        "line {n}: expected the header `cve,epss,percentile`, found {:?}",
                        crate::record::truncate(line, 80)
                    ));
                }
            }
            header_seen = true;
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        let get = |i: usize| fields.get(i).map(|s| s.trim());
        let (Some(cve), Some(e), Some(p)) = (get(cols.0), get(cols.1), get(cols.2)) else {
            bad.push(format!("line {n}: expected 3 fields"));
            continue;
        };
        if !cve.starts_with("CVE-") || cve.len() > 64 {
            bad.push(format!(
                "line {n}: {:?} is not a CVE id",
                crate::record::truncate(cve, 64)
            ));
            continue;
        }
        let num = |s: &str| s.parse::<f64>().ok().filter(|v| (0.0..=1.0).contains(v));
        match (num(e), num(p)) {
            (Some(epss), Some(percentile)) => file
                .scores
                .push((cve.to_string(), EpssScore { epss, percentile })),
            _ => bad.push(format!(
                "line {n}: epss and percentile must be numbers between 0 and 1"
            )),
        }
    }
    if !header_seen {
        return Err("no `cve,epss,percentile` header".into());
    }
    Ok((file, bad))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_real_format() {
        let t = b"#model_version:v2025.03.14,score_date:2025-08-25T12:55:00Z\ncve,epss,percentile\nCVE-2023-4863,0.93,0.998\nCVE-x,1,1\nCVE-2020-1,2,0.5\n\n";
        let (f, bad) = parse(t).unwrap();
        assert_eq!(f.model_version, "v2025.03.14");
        assert_eq!(f.score_date, "2025-08-25T12:55:00Z");
        assert!(f.score_date_us.is_some());
        assert_eq!(f.scores.len(), 2, "{bad:?}");
        assert_eq!(bad.len(), 1);
        assert!(bad[0].starts_with("line 5"));
        assert!(parse(b"a,b\n").is_err());
        assert!(looks_like_epss(t));
    }
}
