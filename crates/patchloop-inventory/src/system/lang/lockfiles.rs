//! Lockfiles an application ships inside a tree (`/app/Cargo.lock`,
//! `/srv/web/package-lock.json`, ...), read with the ordinary parsers.
//!
//! Only lockfile formats are read: they pin exact versions. Manifests and
//! the files that need their neighbours to make sense are left out of a
//! system tree: `requirements*.txt` (often unpinned, and many copies ship
//! as package data), `go.mod`/`go.sum` (a Go application's truth is its
//! binary's build information; module caches hold thousands of go.mod
//! files), `pom.xml` and MSBuild projects (need parents and properties),
//! and SBOM documents (they describe other trees).
//!
//! Lockfiles under directories that hold dependencies rather than
//! applications are skipped: the walker's default excludes
//! (`node_modules`, `vendor`, `.venv`, `target`, ...: installed packages
//! are read through their metadata instead), `site-packages` and
//! `dist-packages`, installed gems (`gems/NAME-VERSION/`), package-manager
//! caches (`.cargo`, `cargo/registry`,
//! `cargo/git`, `go/pkg/mod`, `.npm`, `.cache`) and the virtual file
//! systems `proc/`, `sys/`, `dev/`.

use patchloop_model::{Diagnostic, DiagnosticLevel};

use crate::Format;
use crate::walk::DEFAULT_EXCLUDED_DIRS;

use super::Analysis;

/// The lockfile formats read in trees.
pub const FORMATS: &[Format] = &[
    Format::CargoLock,
    Format::PackageLock,
    Format::YarnLock,
    Format::PnpmLock,
    Format::BunLock,
    Format::PoetryLock,
    Format::PipfileLock,
    Format::UvLock,
    Format::PdmLock,
    Format::PyLock,
    Format::GemfileLock,
    Format::ComposerLock,
    Format::GradleLockfile,
    Format::NugetLock,
    Format::PubspecLock,
    Format::MixLock,
    Format::PackageResolved,
    Format::ConanLock,
];

const EXTRA_EXCLUDED: &[&str] = &["site-packages", "dist-packages", ".cargo", ".npm", ".cache"];

/// `gems/NAME-VERSION`: an installed gem (RubyGems layout), not an
/// application.
fn is_installed_gem(w: &[&str]) -> bool {
    matches!(w, ["gems", dir] if dir
        .rsplit_once('-')
        .is_some_and(|(n, v)| !n.is_empty() && v.starts_with(|c: char| c.is_ascii_digit())))
}

fn excluded(dirs: &[&str]) -> bool {
    if matches!(dirs.first(), Some(&("proc" | "sys" | "dev"))) {
        return true;
    }
    dirs.iter()
        .any(|d| DEFAULT_EXCLUDED_DIRS.contains(d) || EXTRA_EXCLUDED.contains(d))
        || dirs.windows(2).any(|w| {
            matches!(
                (w.first(), w.get(1)),
                (Some(&"cargo"), Some(&("registry" | "git"))) | (Some(&"pkg"), Some(&"mod"))
            ) || is_installed_gem(w)
        })
}

/// The lockfile format of a tree path, when it is one read in trees.
pub fn format_of(path: &str) -> Option<Format> {
    // Called for every file of a tree: look at the name first.
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    let parent = dir.rsplit('/').next().filter(|p| !p.is_empty());
    let format = Format::detect(name, parent)?;
    if !FORMATS.contains(&format) {
        return None;
    }
    let comps: Vec<&str> = dir.split('/').filter(|c| !c.is_empty()).collect();
    if excluded(&comps) {
        return None;
    }
    Some(format)
}

/// Parse one kept lockfile; parse errors and warnings become diagnostics.
pub fn analyze_one(
    format: Format,
    shown: &str,
    bytes: &[u8],
    layer: Option<u32>,
    out: &mut Analysis,
) {
    match crate::parse_bytes(format, shown, bytes) {
        Ok(parsed) => {
            out.diagnostics
                .extend(parsed.warnings.into_iter().map(|w| Diagnostic {
                    level: DiagnosticLevel::Warning,
                    path: shown.to_string(),
                    line: w.line,
                    message: w.message,
                }));
            let mut source = parsed.source;
            for p in &mut source.packages {
                p.layer = layer;
            }
            out.sources.push(source);
        }
        Err(e) => out.diagnostics.push(Diagnostic {
            level: DiagnosticLevel::Error,
            path: shown.to_string(),
            line: e.line,
            message: e.message,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_lockfiles() {
        assert_eq!(format_of("app/Cargo.lock"), Some(Format::CargoLock));
        assert_eq!(format_of("package-lock.json"), Some(Format::PackageLock));
        assert_eq!(format_of("srv/x/composer.lock"), Some(Format::ComposerLock));
        assert_eq!(format_of("app/go.mod"), None);
        assert_eq!(format_of("app/requirements.txt"), None);
        assert_eq!(format_of("app/pom.xml"), None);
        assert_eq!(format_of("app/node_modules/x/package-lock.json"), None);
        assert_eq!(
            format_of("usr/local/cargo/registry/src/idx/a-1.0.0/Cargo.lock"),
            None
        );
        assert_eq!(format_of("root/go/pkg/mod/x/composer.lock"), None);
        assert_eq!(
            format_of("usr/lib/python3/dist-packages/x/Pipfile.lock"),
            None
        );
        assert_eq!(format_of("proc/1/root/Cargo.lock"), None);
        assert_eq!(
            format_of("usr/lib/ruby/gems/3.1.0/gems/rbs-2.1.0/steep/Gemfile.lock"),
            None
        );
        assert_eq!(
            format_of("usr/local/bundle/gems/typeprof-0.21.2/vscode/package-lock.json"),
            None
        );
        assert_eq!(
            format_of("srv/gems/app/Gemfile.lock"),
            Some(Format::GemfileLock)
        );
    }
}
