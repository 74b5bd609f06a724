//! dpkg's database of installed packages: `var/lib/dpkg/status` and the
//! one-file-per-package `var/lib/dpkg/status.d/` of distroless images.
//!
//! Format (deb-control(5), dpkg's `status`): stanzas separated by empty
//! lines; `Field: value` lines, continuation lines start with a space or
//! tab. A package is installed when the third word of `Status:`
//! (`want flag status`) is `installed` (`install ok installed`, also
//! `hold ok installed`); `config-files`, `half-installed`, ... are not.
//! distroless `status.d` files carry no `Status:` field: every stanza is
//! installed. `Source: name` or `Source: name (version)` names the source
//! package (and its version when it differs from the binary's, as for
//! binNMUs); without it the source is the binary itself.

use patchloop_model::{
    Diagnostic, DiagnosticLevel, EcosystemKind, Package, SourceFile, SourcePackage,
};

use super::super::{Analysis, Content, FileSet};
use super::{Context, DPKG_STATUS, DPKG_STATUS_D, db_bytes, purl};

/// One installed binary package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub version: String,
    pub architecture: String,
    /// `Source:` name, when the stanza has one.
    pub source: Option<String>,
    /// `Source:` version in parentheses, when given.
    pub source_version: Option<String>,
    /// 1-based line of the stanza's first field.
    pub line: u32,
}

/// The result of reading one status file.
#[derive(Debug, Default)]
pub struct Parsed {
    pub packages: Vec<Entry>,
    /// Stanzas of packages present in the database but not installed.
    pub not_installed: usize,
    /// Problems, each with the 1-based line it concerns.
    pub problems: Vec<(u32, String)>,
}

/// Whether a file under `status.d/` is a package stanza (distroless also
/// writes `NAME.md5sums` there).
pub fn is_status_d_entry(name: &str) -> bool {
    !name.is_empty() && !name.contains('/') && !name.ends_with(".md5sums")
}

/// Parse a status file. `require_status`: `status` has a `Status:` on every
/// stanza; `status.d` files have none.
pub fn parse(bytes: &[u8], require_status: bool) -> Parsed {
    let mut out = Parsed::default();
    let mut stanza: Vec<(String, String)> = Vec::new();
    let mut start: u32 = 0;
    let mut lineno: u32 = 0;
    for raw in bytes.split(|b| *b == b'\n') {
        lineno = lineno.saturating_add(1);
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(|b| *b == b' ' || *b == b'\t') {
            if !stanza.is_empty() {
                finish(&mut stanza, start, require_status, &mut out);
            }
            continue;
        }
        if raw.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            // Continuation of the previous field: only descriptions and
            // file lists use them; the fields read here are single-line.
            if stanza.is_empty() {
                out.problems
                    .push((lineno, "continuation line outside a stanza".into()));
            }
            continue;
        }
        let line = String::from_utf8_lossy(raw);
        let Some((k, v)) = line.split_once(':') else {
            out.problems.push((
                lineno,
                format!(
                    "not a `Field: value` line: `{}`",
                    line.chars().take(80).collect::<String>()
                ),
            ));
            continue;
        };
        if stanza.is_empty() {
            start = lineno;
        }
        stanza.push((k.trim().to_string(), v.trim().to_string()));
    }
    if !stanza.is_empty() {
        finish(&mut stanza, start, require_status, &mut out);
    }
    out
}

fn finish(stanza: &mut Vec<(String, String)>, line: u32, require_status: bool, out: &mut Parsed) {
    // Field names are case-insensitive in deb-control(5).
    let get = |k: &str| {
        stanza
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
    };
    let name = get("Package").unwrap_or("");
    let version = get("Version").unwrap_or("");
    let status = get("Status");
    let installed = match status {
        Some(s) => s.split_whitespace().nth(2) == Some("installed"),
        None => !require_status,
    };
    if !installed {
        if status.is_none() {
            out.problems.push((
                line,
                format!("package `{name}` has no `Status:` field; skipped"),
            ));
        } else {
            out.not_installed += 1;
        }
    } else if name.is_empty() || version.is_empty() {
        out.problems.push((
            line,
            format!(
                "stanza without {}; skipped",
                if name.is_empty() {
                    "`Package:`".to_string()
                } else {
                    format!("`Version:` (package `{name}`)")
                }
            ),
        ));
    } else {
        let (source, source_version) = match get("Source") {
            Some(s) if !s.is_empty() => match s.split_once('(') {
                Some((n, rest)) => (
                    Some(n.trim().to_string()),
                    Some(rest.trim_end().trim_end_matches(')').trim().to_string())
                        .filter(|v| !v.is_empty()),
                ),
                None => (Some(s.to_string()), None),
            },
            _ => (None, None),
        };
        out.packages.push(Entry {
            name: name.to_string(),
            version: version.to_string(),
            architecture: get("Architecture").unwrap_or("").to_string(),
            source,
            source_version,
            line,
        });
    }
    stanza.clear();
}

/// The model package for an entry.
pub fn package(e: &Entry, ctx: &Context<'_>, display: &str, layer: Option<u32>) -> Package {
    let ecosystem = ctx.ecosystem_for(&[EcosystemKind::Debian, EcosystemKind::Ubuntu]);
    let distro = ctx.distro_qualifier().unwrap_or_default();
    let ns = ctx.namespace(match ecosystem.kind {
        EcosystemKind::Ubuntu => "ubuntu",
        _ => "debian",
    });
    let mut p = Package::new(ecosystem, e.name.clone(), e.version.clone());
    p.purl = purl(
        "deb",
        &ns,
        &e.name,
        &e.version,
        &[("arch", &e.architecture), ("distro", &distro)],
    );
    p.id = p.purl.clone();
    p.source = Some(SourcePackage {
        name: e.source.clone().unwrap_or_else(|| e.name.clone()),
        version: e
            .source_version
            .clone()
            .filter(|v| *v != e.version)
            .unwrap_or_default(),
    });
    p.layer = layer;
    p.with_location(display, Some(e.line))
}

fn to_source(
    parsed: Parsed,
    display: String,
    ctx: &Context<'_>,
    layer: Option<u32>,
    out: &mut Analysis,
) -> SourceFile {
    let ecosystem = ctx.ecosystem_for(&[EcosystemKind::Debian, EcosystemKind::Ubuntu]);
    let mut sf = SourceFile::new(display.clone(), "dpkg-status", ecosystem);
    for (line, message) in parsed.problems {
        out.diagnostics.push(Diagnostic {
            level: DiagnosticLevel::Warning,
            path: display.clone(),
            line: Some(line),
            message,
        });
    }
    sf.packages = parsed
        .packages
        .iter()
        .map(|e| package(e, ctx, &display, layer))
        .collect();
    sf
}

/// `var/lib/dpkg/status`.
pub fn analyze_status(set: &FileSet, ctx: &Context<'_>, out: &mut Analysis) {
    let Some((bytes, layer)) = db_bytes(set, DPKG_STATUS, ctx, out) else {
        return;
    };
    let display = ctx.display(DPKG_STATUS);
    let parsed = parse(bytes, true);
    if parsed.packages.is_empty() && !parsed.problems.is_empty() {
        out.diagnostics.push(Diagnostic {
            level: DiagnosticLevel::Error,
            path: display.clone(),
            line: None,
            message: "no installed package could be read: not a dpkg status file?".into(),
        });
    }
    let mut sf = to_source(parsed, display, ctx, layer, out);
    super::attribute_layers(set, DPKG_STATUS, &mut sf);
    out.sources.push(sf);
}

/// `var/lib/dpkg/status.d/*` (distroless): one source for the directory,
/// each package located in its own file.
pub fn analyze_status_d(set: &FileSet, ctx: &Context<'_>, out: &mut Analysis) {
    let ecosystem = ctx.ecosystem_for(&[EcosystemKind::Debian, EcosystemKind::Ubuntu]);
    let mut sf = SourceFile::new(ctx.display(DPKG_STATUS_D), "dpkg-status", ecosystem);
    for (path, entry) in set.under(DPKG_STATUS_D) {
        let Content::Bytes(bytes) = &entry.content else {
            continue;
        };
        let name = path.strip_prefix(DPKG_STATUS_D).unwrap_or(path);
        if !is_status_d_entry(name) {
            continue;
        }
        let display = ctx.display(path);
        let parsed = parse(bytes, false);
        let one = to_source(parsed, display, ctx, entry.layer, out);
        sf.packages.extend(one.packages);
    }
    out.sources.push(sf);
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "\
Package: libssl3
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Source: openssl
Version: 3.0.11-1~deb12u2
Description: Secure Sockets Layer toolkit - shared libraries
 This package is part of the OpenSSL project's implementation.
 .
 It provides the libssl and libcrypto shared libraries.

Package: old-removed
Status: deinstall ok config-files
Version: 1.0

Package: libuuid1
Status: hold ok installed
Architecture: amd64
Source: util-linux (2.38.1-5)
Version: 2.38.1-5+b1

Package: broken
Status: install ok installed
garbage line without colon
";

    #[test]
    fn stanzas_status_and_source() {
        let p = parse(STATUS.as_bytes(), true);
        type Row<'a> = (&'a str, &'a str, Option<&'a str>, Option<&'a str>, u32);
        let got: Vec<Row> = p
            .packages
            .iter()
            .map(|e| {
                (
                    e.name.as_str(),
                    e.version.as_str(),
                    e.source.as_deref(),
                    e.source_version.as_deref(),
                    e.line,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("libssl3", "3.0.11-1~deb12u2", Some("openssl"), None, 1),
                (
                    "libuuid1",
                    "2.38.1-5+b1",
                    Some("util-linux"),
                    Some("2.38.1-5"),
                    17
                )
            ]
        );
        assert_eq!(p.not_installed, 1);
        let lines: Vec<u32> = p.problems.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [25, 23], "{:?}", p.problems);
    }

    #[test]
    fn status_d_needs_no_status() {
        let p = parse(
            b"Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n",
            false,
        );
        assert_eq!(p.packages.len(), 1);
        assert!(is_status_d_entry("tzdata"));
        assert!(!is_status_d_entry("tzdata.md5sums"));
    }
}
