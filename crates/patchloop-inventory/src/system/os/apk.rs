//! apk's database of installed packages, `lib/apk/db/installed`.
//!
//! Format (apk-tools `apk_db_index_read`, documented in the Alpine wiki's
//! "Apk spec"): stanzas separated by empty lines; each line is one letter,
//! `:`, and a value. Read here: `P` name, `V` version (`1.2.3-r4`), `A`
//! architecture, `o` origin (the aports package that built it: Alpine's
//! advisories name origins), `L` license. File lists (`F`, `R`, `a`, `Z`,
//! ...) are skipped.

use patchloop_model::{
    Diagnostic, DiagnosticLevel, EcosystemKind, Package, SourceFile, SourcePackage,
};

use super::super::{Analysis, FileSet};
use super::{APK_INSTALLED, Context, db_bytes, purl};

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub version: String,
    pub architecture: String,
    pub origin: Option<String>,
    pub license: Option<String>,
    /// 1-based line of the stanza's first line.
    pub line: u32,
}

/// The result of reading the database.
#[derive(Debug, Default)]
pub struct Parsed {
    pub packages: Vec<Entry>,
    pub problems: Vec<(u32, String)>,
}

pub fn parse(bytes: &[u8]) -> Parsed {
    let mut out = Parsed::default();
    let mut cur: Option<Entry> = None;
    let mut lineno: u32 = 0;
    let empty = |line| Entry {
        name: String::new(),
        version: String::new(),
        architecture: String::new(),
        origin: None,
        license: None,
        line,
    };
    for raw in bytes.split(|b| *b == b'\n') {
        lineno = lineno.saturating_add(1);
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.is_empty() {
            if let Some(e) = cur.take() {
                finish(e, &mut out);
            }
            continue;
        }
        let e = cur.get_or_insert_with(|| empty(lineno));
        let (key, value) = match raw {
            [k, b':', rest @ ..] => (*k, rest),
            _ => {
                out.problems.push((
                    lineno,
                    format!(
                        "not a `K:value` line: `{}`",
                        String::from_utf8_lossy(raw)
                            .chars()
                            .take(80)
                            .collect::<String>()
                    ),
                ));
                continue;
            }
        };
        let value = || String::from_utf8_lossy(value).trim().to_string();
        match key {
            b'P' => e.name = value(),
            b'V' => e.version = value(),
            b'A' => e.architecture = value(),
            b'o' => e.origin = Some(value()).filter(|s| !s.is_empty()),
            b'L' => e.license = Some(value()).filter(|s| !s.is_empty()),
            _ => {}
        }
    }
    if let Some(e) = cur.take() {
        finish(e, &mut out);
    }
    out
}

fn finish(e: Entry, out: &mut Parsed) {
    if e.name.is_empty() || e.version.is_empty() {
        out.problems.push((
            e.line,
            if e.name.is_empty() {
                "stanza without `P:` (name); skipped".to_string()
            } else {
                format!("package `{}` has no `V:` (version); skipped", e.name)
            },
        ));
    } else {
        out.packages.push(e);
    }
}

pub fn analyze(set: &FileSet, ctx: &Context<'_>, out: &mut Analysis) {
    let Some((bytes, layer)) = db_bytes(set, APK_INSTALLED, ctx, out) else {
        return;
    };
    let display = ctx.display(APK_INSTALLED);
    let parsed = parse(bytes);
    if parsed.packages.is_empty() && !parsed.problems.is_empty() {
        out.diagnostics.push(Diagnostic {
            level: DiagnosticLevel::Error,
            path: display.clone(),
            line: None,
            message: "no installed package could be read: not an apk database?".into(),
        });
    }
    for (line, message) in parsed.problems {
        out.diagnostics.push(Diagnostic {
            level: DiagnosticLevel::Warning,
            path: display.clone(),
            line: Some(line),
            message,
        });
    }
    let ecosystem = ctx.ecosystem_for(&[EcosystemKind::Alpine]);
    let distro = ctx.distro_qualifier().unwrap_or_default();
    let ns = ctx.namespace("alpine");
    let mut sf = SourceFile::new(display.clone(), "apk-installed", ecosystem.clone());
    for e in &parsed.packages {
        let mut p = Package::new(ecosystem.clone(), e.name.clone(), e.version.clone());
        p.purl = purl(
            "apk",
            &ns,
            &e.name,
            &e.version,
            &[("arch", &e.architecture), ("distro", &distro)],
        );
        p.id = p.purl.clone();
        // Subpackages share their origin's version.
        p.source = Some(SourcePackage {
            name: e.origin.clone().unwrap_or_else(|| e.name.clone()),
            version: String::new(),
        });
        p.layer = layer;
        sf.packages.push(p.with_location(&display, Some(e.line)));
    }
    super::attribute_layers(set, APK_INSTALLED, &mut sf);
    out.sources.push(sf);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stanzas() {
        let db = "C:Q1abc=\nP:libcrypto3\nV:3.3.2-r0\nA:x86_64\nS:1234\nI:4567\nT:Crypto library from openssl\nU:https://www.openssl.org/\nL:Apache-2.0\no:openssl\nm:Natanael Copa <ncopa@alpinelinux.org>\nt:1725000000\nc:abcdef\nD:so:libc.musl-x86_64.so.1\np:so:libcrypto.so.3=3\nF:lib\nR:libcrypto.so.3\na:0:0:755\nZ:Q1xyz=\n\nP:musl\nV:1.2.5-r0\nA:x86_64\n\nbogus\nV:1\n";
        let p = parse(db.as_bytes());
        assert_eq!(p.packages.len(), 2);
        assert_eq!(p.packages[0].name, "libcrypto3");
        assert_eq!(p.packages[0].origin.as_deref(), Some("openssl"));
        assert_eq!(p.packages[0].license.as_deref(), Some("Apache-2.0"));
        assert_eq!(p.packages[1].line, 21);
        assert_eq!(p.problems.len(), 2, "{:?}", p.problems);
    }
}
