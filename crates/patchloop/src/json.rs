//! The JSON scan report: byte for byte what `serde_json::to_writer_pretty`
//! writes (two-space indentation), plus a final newline, written faster.
//!
//! - [`Pretty`] is serde_json's `PrettyFormatter` with each line break and
//!   its indentation written in one call instead of one call per level.
//! - Reports with many findings have the second half of their findings
//!   rendered on another thread while this one renders the first half:
//!   rendering was the last ~10 % of a scan, on one of two idle cores
//!   (docs/performance.md, "Scan").
//!
//! The tests compare the output with serde_json's own on real reports.

use std::io::{self, Write};

use patchloop_model::{Finding, ScanReport};
use serde::Serialize;
use serde_json::ser::{Formatter, Serializer};

/// Most indentation levels written with one call (deeper levels still work,
/// a level at a time).
const MAX_LEVEL: usize = 64;

/// `,\n` followed by the spaces of [`MAX_LEVEL`] levels.
static LINE: [u8; 2 + 2 * MAX_LEVEL] = {
    let mut l = [b' '; 2 + 2 * MAX_LEVEL];
    l[0] = b',';
    l[1] = b'\n';
    l
};

/// serde_json's `PrettyFormatter` with a two-space indent, the same state
/// machine, with each line break and indentation written at once.
#[derive(Debug, Default)]
pub struct Pretty {
    level: usize,
    has_value: bool,
}

impl Pretty {
    /// A formatter whose values start at indentation `level`.
    pub fn at(level: usize) -> Self {
        Pretty {
            level,
            has_value: false,
        }
    }

    fn line<W: ?Sized + Write>(&self, w: &mut W, comma: bool) -> io::Result<()> {
        let from = usize::from(!comma);
        if self.level <= MAX_LEVEL {
            return w.write_all(&LINE[from..2 + 2 * self.level]);
        }
        w.write_all(&LINE[from..2])?;
        for _ in 0..self.level {
            w.write_all(b"  ")?;
        }
        Ok(())
    }
}

impl Pretty {
    /// `[` or `{`: one level deeper, nothing in it yet.
    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    /// `]` or `}`: on a line of its own unless the container is empty.
    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.line(w, false)?;
        }
        w.write_all(bracket)
    }
}

impl Formatter for Pretty {
    #[inline]
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }

    #[inline]
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }

    #[inline]
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.line(w, !first)
    }

    #[inline]
    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    #[inline]
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }

    #[inline]
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }

    #[inline]
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.line(w, !first)
    }

    #[inline]
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    #[inline]
    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// Write `value` as [`Pretty`] JSON from indentation level 0.
pub fn to_writer<W: Write, T: Serialize + ?Sized>(w: W, value: &T) -> io::Result<()> {
    value
        .serialize(&mut Serializer::with_formatter(w, Pretty::default()))
        .map_err(io::Error::from)
}

/// Fewest findings rendered on two threads: below, starting a thread costs
/// about what it saves.
const PARALLEL_MIN: usize = 32;

/// `findings` as elements of the report's `findings` array (level 2),
/// each preceded by its separator; `first` says whether the first of them
/// opens the array.
fn findings_to<W: Write>(w: &mut W, findings: &[Finding], first: bool) -> io::Result<()> {
    for (i, f) in findings.iter().enumerate() {
        Pretty::at(2).line(w, !(first && i == 0))?;
        f.serialize(&mut Serializer::with_formatter(&mut *w, Pretty::at(2)))
            .map_err(io::Error::from)?;
    }
    Ok(())
}

/// The scan report as pretty JSON and a newline: the same bytes as
/// `serde_json::to_writer_pretty` (the report is given back as it was).
pub fn write_scan_report<W: Write>(w: &mut W, report: &mut ScanReport) -> io::Result<()> {
    if report.findings.len() < PARALLEL_MIN {
        to_writer(&mut *w, report)?;
        return w.write_all(b"\n");
    }
    // Everything but the findings, then the findings spliced in where the
    // empty array stands: the only line that is exactly this at the top
    // level's indentation (keys are unique; strings cannot hold a line
    // break).
    const MARK: &[u8] = b"\n  \"findings\": []";
    let findings = std::mem::take(&mut report.findings);
    let mut frame = Vec::with_capacity(4096);
    let framed = to_writer(&mut frame, report);
    report.findings = findings;
    framed?;
    let Some(at) = memchr::memmem::find(&frame, MARK).map(|i| i + MARK.len() - 2) else {
        // Not reached (the field is always written); stay correct anyway.
        to_writer(&mut *w, report)?;
        return w.write_all(b"\n");
    };
    let (first, second) = report.findings.split_at(report.findings.len() / 2);
    std::thread::scope(|s| {
        let other = s.spawn(|| {
            let mut buf = Vec::with_capacity(second.len() * 2560);
            findings_to(&mut buf, second, false).map(|()| buf)
        });
        w.write_all(&frame[..at])?;
        w.write_all(b"[")?;
        let mine = findings_to(w, first, true);
        let theirs = other
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("rendering findings failed (panic)")));
        mine?;
        w.write_all(&theirs?)?;
        w.write_all(b"\n  ]")?;
        w.write_all(&frame[at + 2..])?;
        w.write_all(b"\n")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A finding as a real scan writes it, with strings that need escapes.
    fn finding(i: usize) -> Finding {
        let v = serde_json::json!({
            "id": format!("RUSTSEC-2021-{i:04}"),
            "aliases": ["CVE-2021-32810", "GHSA-pqqp-xmhj-wgcw"],
            "records": [format!("RUSTSEC-2021-{i:04}")],
            "category": if i.is_multiple_of(3) { "informational" } else { "vulnerability" },
            "informational": if i.is_multiple_of(3) { Some("unmaintained") } else { None },
            "summary": format!("Data race \"{i}\" in crossbeam\\deque\n\ttab \u{1} é ✓ \u{1F600}"),
            "package": {
                "ecosystem": "crates.io",
                "name": "crossbeam-deque",
                "version": "0.7.3",
                "purl": "pkg:cargo/crossbeam-deque@0.7.3"
            },
            "occurrences": [{
                "path": "/work/x/Cargo.lock",
                "line": 937 + i,
                "relation": "transitive",
                "scope": "runtime",
                "paths": if i.is_multiple_of(2) {
                    serde_json::json!([["a@1", "b@2", "crossbeam-deque@0.7.3"], []])
                } else {
                    serde_json::json!([])
                }
            }],
            "fixed": if i.is_multiple_of(4) { None } else { Some("0.7.4") },
            "severity": {
                "level": "critical",
                "score": 9.8,
                "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                "kind": "CVSS_V3",
                "source": "RUSTSEC-2021-0093"
            },
            "url": "https://rustsec.org/advisories/RUSTSEC-2021-0093.html",
            "published": "2021-07-30T12:00:00Z",
            "modified": "2026-07-17T15:52:38Z"
        });
        serde_json::from_value(v).unwrap()
    }

    fn report(n: usize) -> ScanReport {
        let v = serde_json::json!({
            "schema": "patchloop.scan/v1",
            "generator": "patchloop test",
            "database": { "path": "/tmp/s.db", "age_secs": 5, "stale": false },
            "summary": {
                "files": 1, "packages": 619, "unpinned": 0, "unmatched": 2,
                "vulnerabilities": 46, "by_severity": { "critical": 3, "high": 7 },
                "informational": 73, "suppressed": 0, "vulnerable_packages": 30
            },
            "findings": [],
            "diagnostics": [{
                "level": "warning",
                "path": "advisory X",
                "message": "a \"quoted\" message\n"
            }]
        });
        let mut r: ScanReport = serde_json::from_value(v).unwrap();
        r.findings = (0..n).map(finding).collect();
        r
    }

    #[test]
    fn same_bytes_as_serde_json_pretty() {
        for n in [
            0,
            1,
            2,
            PARALLEL_MIN - 1,
            PARALLEL_MIN,
            PARALLEL_MIN + 1,
            119,
            400,
        ] {
            let mut r = report(n);
            let mut want = serde_json::to_vec_pretty(&r).unwrap();
            want.push(b'\n');
            let mut got = Vec::new();
            write_scan_report(&mut got, &mut r).unwrap();
            assert!(
                got == want,
                "{n} findings:\n{}",
                String::from_utf8_lossy(&got)
            );
            assert_eq!(r.findings.len(), n, "findings given back");
        }
    }

    #[test]
    fn deep_nesting_matches_too() {
        let mut v = serde_json::json!("x");
        for i in 0..(MAX_LEVEL + 5) {
            v = if i.is_multiple_of(2) {
                serde_json::json!([v, 1])
            } else {
                serde_json::json!({ "k": v, "e": {}, "a": [] })
            };
        }
        let mut got = Vec::new();
        to_writer(&mut got, &v).unwrap();
        assert_eq!(got, serde_json::to_vec_pretty(&v).unwrap());
    }
}
