//! OS package databases and the distribution they belong to.
//!
//! - `os-release` (`etc/os-release`, else `usr/lib/os-release`; the
//!   `etc/alpine-release`, `etc/debian_version` and `etc/redhat-release`
//!   files when neither exists) gives the distribution and its OSV
//!   ecosystem ([`release`]).
//! - dpkg `var/lib/dpkg/status` and the `status.d/*` files of distroless
//!   images ([`dpkg`]), apk `lib/apk/db/installed` ([`apk`]) and the SQLite
//!   rpmdb ([`rpm`]) give the installed packages.
//!
//! Each database becomes one [`SourceFile`] whose packages carry the
//! distribution's ecosystem with its release (`Debian:12`), the source
//! package they were built from, the line of their entry and the image
//! layer that wrote the database.

pub mod apk;
pub mod dpkg;
pub mod manifests;
pub mod release;
pub mod rpm;

use patchloop_model::{Diagnostic, DiagnosticLevel, Ecosystem, EcosystemKind, OsInfo};

use super::{Analysis, Content, FileSet, Want};

/// Largest `os-release` style file kept.
const MAX_RELEASE_FILE: u64 = 64 * 1024;
/// Largest dpkg or apk database kept (a full desktop's dpkg status is a
/// few MB).
const MAX_TEXT_DB: u64 = 128 * 1024 * 1024;
/// Largest SQLite rpmdb kept (a full Fedora workstation's is ~150 MB).
const MAX_RPMDB: u64 = 512 * 1024 * 1024;

/// dpkg's database of installed packages.
pub const DPKG_STATUS: &str = "var/lib/dpkg/status";
/// One file per package in distroless images.
pub const DPKG_STATUS_D: &str = "var/lib/dpkg/status.d/";
/// apk's database of installed packages.
pub const APK_INSTALLED: &str = "lib/apk/db/installed";
/// The SQLite rpmdb (rpm ≥ 4.16), and its newer location.
pub const RPMDB_SQLITE: [&str; 2] = [
    "var/lib/rpm/rpmdb.sqlite",
    "usr/lib/sysimage/rpm/rpmdb.sqlite",
];
/// rpmdb formats patchloop does not read (Berkeley DB, NDB).
pub const RPMDB_UNSUPPORTED: [&str; 4] = [
    "var/lib/rpm/Packages",
    "var/lib/rpm/Packages.db",
    "usr/lib/sysimage/rpm/Packages",
    "usr/lib/sysimage/rpm/Packages.db",
];

/// Which OS files to keep.
pub fn want(path: &str) -> Want {
    match path {
        "etc/os-release" | "usr/lib/os-release" | "etc/alpine-release" | "etc/debian_version"
        | "etc/redhat-release" => Want::Keep {
            max: MAX_RELEASE_FILE,
        },
        DPKG_STATUS | APK_INSTALLED => Want::Keep { max: MAX_TEXT_DB },
        p if RPMDB_SQLITE.contains(&p) => Want::Keep { max: MAX_RPMDB },
        // Uncheckpointed transactions of a WAL-mode rpmdb live here.
        p if RPMDB_SQLITE
            .iter()
            .any(|db| p.strip_suffix("-wal") == Some(db)) =>
        {
            Want::Keep { max: MAX_RPMDB }
        }
        // Kept only to say plainly that they are not read (a source has
        // no way to report a file it skipped as unwanted).
        p if RPMDB_UNSUPPORTED.contains(&p) => Want::Keep { max: MAX_RPMDB },
        p if manifests::is_manifest(p) => Want::Keep {
            max: manifests::MAX_MANIFEST,
        },
        p => match p.strip_prefix(DPKG_STATUS_D) {
            Some(name) if dpkg::is_status_d_entry(name) => Want::Keep { max: MAX_TEXT_DB },
            _ => Want::Skip,
        },
    }
}

/// Package name → version held by the package database at `path`, for
/// [`FileSet`] to remember when a later layer replaces it; `None` for any
/// other file.
pub(crate) fn snapshot(
    path: &str,
    bytes: &[u8],
) -> Option<std::collections::HashMap<String, String>> {
    let pairs: Vec<(String, String)> = match path {
        DPKG_STATUS => dpkg::parse(bytes, true)
            .packages
            .into_iter()
            .map(|e| (e.name, e.version))
            .collect(),
        APK_INSTALLED => apk::parse(bytes)
            .packages
            .into_iter()
            .map(|e| (e.name, e.version))
            .collect(),
        p if RPMDB_SQLITE.contains(&p) => rpm::read_db(bytes, None)
            .ok()?
            .into_iter()
            .filter_map(|(_, h)| h.ok())
            .map(|h| {
                let evr = h.evr();
                (h.name, evr)
            })
            .collect(),
        _ => return None,
    };
    Some(pairs.into_iter().collect())
}

/// Give each package of the database at `path` the lowest layer from
/// which every copy of the database held it at the same version: the
/// layer that installed it, not the last one that rewrote the file.
pub(crate) fn attribute_layers(set: &FileSet, path: &str, sf: &mut patchloop_model::SourceFile) {
    let earlier = set.earlier(path);
    if earlier.is_empty() {
        return;
    }
    for p in &mut sf.packages {
        for snap in earlier.iter().rev() {
            if snap.versions.get(&p.name) == Some(&p.version) {
                p.layer = snap.layer;
            } else {
                break;
            }
        }
    }
}

/// Read the distribution and every OS package database of the tree.
pub fn analyze(set: &FileSet, display_root: &str, out: &mut Analysis) {
    let mut os = release::detect(set, display_root, &mut out.diagnostics);
    // Red Hat images name the repositories their RPMs came from.
    if let Some(o) = os.as_mut()
        && o.id == "rhel"
        && o.ecosystem.is_some()
    {
        let major = o.version_id.split('.').next().unwrap_or("").to_string();
        o.repositories = manifests::read(set, &major, display_root, &mut out.diagnostics);
    }
    let ecosystem = os.as_ref().and_then(|o| o.ecosystem.clone());
    let ctx = Context {
        display_root,
        os: os.as_ref(),
        ecosystem,
    };
    let mut found_db = false;
    if set.entry(DPKG_STATUS).is_some() {
        found_db = true;
        dpkg::analyze_status(set, &ctx, out);
    }
    if set.under(DPKG_STATUS_D).next().is_some() {
        found_db = true;
        dpkg::analyze_status_d(set, &ctx, out);
    }
    if set.entry(APK_INSTALLED).is_some() {
        found_db = true;
        apk::analyze(set, &ctx, out);
    }
    for db in RPMDB_SQLITE {
        if set.entry(db).is_some() {
            found_db = true;
            rpm::analyze(set, db, &ctx, out);
        }
    }
    for db in RPMDB_UNSUPPORTED {
        if set.entry(db).is_some() {
            let sqlite_too = RPMDB_SQLITE.iter().any(|s| set.entry(s).is_some());
            out.diagnostics.push(Diagnostic {
                level: if sqlite_too {
                    DiagnosticLevel::Warning
                } else {
                    DiagnosticLevel::Error
                },
                path: ctx.display(db),
                line: None,
                message: format!(
                    "{} rpmdb is not read (only the SQLite rpmdb of rpm >= 4.16 is){}",
                    if db.ends_with(".db") {
                        "NDB"
                    } else {
                        "Berkeley DB"
                    },
                    if sqlite_too {
                        ""
                    } else {
                        ": the RPM packages of this tree are not in the inventory; \
                         convert it with `rpmdb --rebuilddb --define '_db_backend sqlite'`"
                    }
                ),
            });
        }
    }
    // (A distribution without an OSV ecosystem was noted by `detect`.)
    if found_db && os.is_none() {
        out.diagnostics.push(Diagnostic {
            level: DiagnosticLevel::Warning,
            path: super::display_path(display_root, "etc/os-release"),
            line: None,
            message: "no os-release file: the distribution is unknown; OS packages are \
                      listed but not matched against advisories"
                .into(),
        });
    }
    out.os = os;
}

/// What every database parser needs to build packages.
pub struct Context<'a> {
    pub display_root: &'a str,
    pub os: Option<&'a OsInfo>,
    /// The OSV ecosystem of the distribution (`Debian:12`).
    pub ecosystem: Option<Ecosystem>,
}

impl Context<'_> {
    /// The path shown to users.
    pub fn display(&self, path: &str) -> String {
        super::display_path(self.display_root, path)
    }

    /// The ecosystem of the packages of a database whose distributions
    /// are `family` (first: the one assumed without any os-release): the
    /// distribution's with its release when it has one; else the bare
    /// distribution kind, or the distribution's id verbatim when it is not
    /// of the family (Fedora, openSUSE): such packages are listed but
    /// match no advisory (the scan says so).
    pub fn ecosystem_for(&self, family: &[EcosystemKind]) -> Ecosystem {
        if let Some(e) = &self.ecosystem
            && family.contains(&e.kind)
        {
            return e.clone();
        }
        let by_id = |id: &str| match id {
            "debian" => Some(EcosystemKind::Debian),
            "ubuntu" => Some(EcosystemKind::Ubuntu),
            "alpine" => Some(EcosystemKind::Alpine),
            "rhel" => Some(EcosystemKind::RedHat),
            "rocky" => Some(EcosystemKind::RockyLinux),
            "almalinux" => Some(EcosystemKind::AlmaLinux),
            _ => None,
        };
        match self.os {
            Some(o) if !o.id.is_empty() => match by_id(&o.id) {
                Some(k) if family.contains(&k) => Ecosystem::new(k),
                _ => Ecosystem::new(EcosystemKind::Other(o.id.clone())),
            },
            _ => Ecosystem::new(family.first().cloned().unwrap_or(EcosystemKind::Debian)),
        }
    }

    /// The purl `distro` qualifier (`debian-12`, `alpine-3.20.3`).
    pub fn distro_qualifier(&self) -> Option<String> {
        let os = self.os?;
        if os.version_id.is_empty() {
            return None;
        }
        Some(format!("{}-{}", os.id, os.version_id))
    }

    /// The purl namespace: the distribution id (`debian`, `ubuntu`,
    /// `alpine`, `rocky`), else `default` for the family.
    pub fn namespace(&self, default: &str) -> String {
        match self.os {
            Some(o) if !o.id.is_empty() => o.id.clone(),
            _ => default.to_string(),
        }
    }
}

/// The bytes of a database file, or a diagnostic saying why there are none.
fn db_bytes<'a>(
    set: &'a FileSet,
    path: &str,
    ctx: &Context<'_>,
    out: &mut Analysis,
) -> Option<(&'a [u8], Option<u32>)> {
    let (_, entry) = match set.resolve(path) {
        Some(x) => x,
        None => {
            out.diagnostics.push(Diagnostic {
                level: DiagnosticLevel::Error,
                path: ctx.display(path),
                line: None,
                message: "a symbolic link that leads nowhere inside the tree".into(),
            });
            return None;
        }
    };
    match &entry.content {
        Content::Bytes(b) => Some((b.as_slice(), entry.layer)),
        Content::Nothing(why) => {
            out.diagnostics.push(Diagnostic {
                level: DiagnosticLevel::Error,
                path: ctx.display(path),
                line: None,
                message: if why.is_empty() {
                    "not read".to_string()
                } else {
                    why.clone()
                },
            });
            None
        }
        Content::Parsed(_) | Content::Symlink(_) => None,
    }
}

/// Build a purl `pkg:TYPE/NAMESPACE/NAME@VERSION?qualifiers` (qualifier
/// keys sorted as the purl spec requires; empty values left out).
pub fn purl(
    ty: &str,
    namespace: &str,
    name: &str,
    version: &str,
    qualifiers: &[(&str, &str)],
) -> String {
    let mut p = match packageurl::PackageUrl::new(ty, name) {
        Ok(p) => p,
        Err(_) => return format!("pkg:{ty}/{namespace}/{name}"),
    };
    if !namespace.is_empty() {
        p.with_namespace(namespace);
    }
    if !version.is_empty() {
        p.with_version(version);
    }
    let mut q: Vec<&(&str, &str)> = qualifiers.iter().filter(|(_, v)| !v.is_empty()).collect();
    q.sort();
    for (k, v) in q {
        let _ = p.add_qualifier(*k, *v);
    }
    p.to_string()
}
