//! The distribution of a tree and its OSV ecosystem.
//!
//! `os-release(5)`: `etc/os-release`, else `usr/lib/os-release`; lines
//! `KEY=value`, values optionally quoted with `"` or `'` and with `\`
//! escapes inside double quotes. Older trees without it are recognized by
//! `etc/alpine-release`, `etc/debian_version` or `etc/redhat-release`.
//!
//! OSV ecosystems (<https://ossf.github.io/osv-schema/>, as osv.dev names
//! them):
//!
//! | `ID` | `VERSION_ID` | ecosystem |
//! |---|---|---|
//! | `debian` | `12` | `Debian:12` |
//! | `ubuntu` | `22.04` (`VERSION` says `LTS`) | `Ubuntu:22.04:LTS` |
//! | `ubuntu` | `24.10` | `Ubuntu:24.10` |
//! | `alpine` | `3.20.3` | `Alpine:v3.20` |
//! | `rocky` | `9.4` | `Rocky Linux:9` |
//! | `almalinux` | `9.4` | `AlmaLinux:9` |
//! | `rhel` | `9.4` | `Red Hat:enterprise_linux:9` |
//!
//! Red Hat's OSV records name the CPE of a product and repository
//! (`Red Hat:enterprise_linux:9::baseos`, `...::appstream`, `...::crb`;
//! RHEL 10: `Red Hat:enterprise_linux:10.0`), which the rpmdb does not
//! record. RHEL packages get the release's main-stream product,
//! `Red Hat:enterprise_linux:{major}`, and the matcher looks them up in
//! every repository of it (patchloop-match `distro`), or in the
//! repositories the image's content manifests name ([`super::manifests`]).
//! Other distributions without OSV data (Fedora, openSUSE through this
//! path, Arch, ...) get none.

use patchloop_model::{Diagnostic, DiagnosticLevel, Ecosystem, EcosystemKind, OsInfo};

use super::super::FileSet;

/// Parse `os-release` text into its key/value pairs (later keys win).
pub fn parse_os_release(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let k = k.trim();
        if k.is_empty() || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            continue;
        }
        let v = unquote(v.trim());
        out.retain(|(ek, _)| ek != k);
        out.push((k.to_string(), v));
    }
    out
}

fn unquote(v: &str) -> String {
    if let Some(inner) = v.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        let mut s = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(n) = chars.next() {
                    s.push(n);
                }
            } else {
                s.push(c);
            }
        }
        s
    } else if let Some(inner) = v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        inner.to_string()
    } else {
        v.to_string()
    }
}

/// The OSV ecosystem of a distribution, or why there is none.
pub fn ecosystem(id: &str, version_id: &str, version: &str) -> Result<Ecosystem, String> {
    let major = version_id.split('.').next().unwrap_or("");
    let need = |what: &str| -> Result<(), String> {
        if what.is_empty() || !what.bytes().all(|b| b.is_ascii_digit()) {
            Err(format!(
                "`{id}` release `{version_id}` is not a numbered release (rolling or testing?): no OSV ecosystem"
            ))
        } else {
            Ok(())
        }
    };
    match id {
        "debian" => {
            need(major)?;
            Ok(Ecosystem::with_release(EcosystemKind::Debian, major))
        }
        "ubuntu" => {
            let mut parts = version_id.split('.');
            let (y, m) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            need(y)?;
            need(m)?;
            // Ubuntu writes `VERSION="22.04.4 LTS (Jammy Jellyfish)"`.
            let lts = version.split_whitespace().any(|w| w == "LTS");
            let release = if lts {
                format!("{y}.{m}:LTS")
            } else {
                format!("{y}.{m}")
            };
            Ok(Ecosystem::with_release(EcosystemKind::Ubuntu, release))
        }
        "alpine" => {
            let mut parts = version_id.split('.');
            let (maj, min) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            need(maj)?;
            if min.is_empty() || !min.bytes().all(|b| b.is_ascii_digit()) {
                // `3.21_alpha20240807` (edge) has no OSV release.
                return Err(format!(
                    "Alpine `{version_id}` is not a stable release (edge?): no OSV ecosystem"
                ));
            }
            Ok(Ecosystem::with_release(
                EcosystemKind::Alpine,
                format!("v{maj}.{min}"),
            ))
        }
        "rocky" => {
            need(major)?;
            Ok(Ecosystem::with_release(EcosystemKind::RockyLinux, major))
        }
        "almalinux" => {
            need(major)?;
            Ok(Ecosystem::with_release(EcosystemKind::AlmaLinux, major))
        }
        "rhel" => {
            need(major)?;
            Ok(Ecosystem::with_release(
                EcosystemKind::RedHat,
                format!("enterprise_linux:{major}"),
            ))
        }
        "" => Err("os-release names no ID".into()),
        other => Err(format!(
            "`{other}` {version_id}: no OSV ecosystem patchloop knows for this distribution"
        )),
    }
}

/// Find the distribution of the tree. Notes (no ecosystem, unreadable
/// file) go to `diags`.
pub fn detect(set: &FileSet, display_root: &str, diags: &mut Vec<Diagnostic>) -> Option<OsInfo> {
    let text = |p: &str| {
        set.bytes(p)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    };
    let (path, mut info) = if let Some(t) = text("etc/os-release") {
        ("etc/os-release", from_os_release(&t))
    } else if let Some(t) = text("usr/lib/os-release") {
        ("usr/lib/os-release", from_os_release(&t))
    } else if let Some(t) = text("etc/alpine-release") {
        let v = t.trim().to_string();
        (
            "etc/alpine-release",
            OsInfo {
                id: "alpine".into(),
                pretty_name: format!("Alpine Linux v{v}"),
                version_id: v,
                ecosystem: None,
                repositories: Vec::new(),
            },
        )
    } else if let Some(t) = text("etc/debian_version") {
        // `12.5` on a release, `trixie/sid` on testing.
        let v = t.trim();
        let major = v.split('.').next().unwrap_or("").to_string();
        (
            "etc/debian_version",
            OsInfo {
                id: "debian".into(),
                pretty_name: format!("Debian {v}"),
                version_id: major,
                ecosystem: None,
                repositories: Vec::new(),
            },
        )
    } else if let Some(t) = text("etc/redhat-release") {
        // `Rocky Linux release 9.4 (Blue Onyx)`.
        let t = t.trim().to_string();
        let lower = t.to_ascii_lowercase();
        let id = if lower.starts_with("rocky") {
            "rocky"
        } else if lower.starts_with("almalinux") {
            "almalinux"
        } else if lower.starts_with("red hat enterprise linux") {
            "rhel"
        } else if lower.starts_with("centos") {
            "centos"
        } else if lower.starts_with("fedora") {
            "fedora"
        } else {
            ""
        };
        let version = t
            .split_whitespace()
            .skip_while(|w| *w != "release")
            .nth(1)
            .unwrap_or("")
            .to_string();
        (
            "etc/redhat-release",
            OsInfo {
                id: id.into(),
                version_id: version,
                pretty_name: t,
                ecosystem: None,
                repositories: Vec::new(),
            },
        )
    } else {
        return None;
    };
    match ecosystem(&info.id, &info.version_id, &info.pretty_name) {
        Ok(e) => info.ecosystem = Some(e),
        Err(why) => diags.push(Diagnostic {
            level: DiagnosticLevel::Warning,
            path: super::super::display_path(display_root, path),
            line: None,
            message: format!(
                "{why}; its OS packages are listed but not matched against advisories"
            ),
        }),
    }
    Some(info)
}

fn from_os_release(text: &str) -> OsInfo {
    let kv = parse_os_release(text);
    let get = |k: &str| {
        kv.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    // `VERSION` carries Ubuntu's `LTS`; keep it in the pretty name's place
    // only for the ecosystem decision.
    let version = get("VERSION");
    let pretty = get("PRETTY_NAME");
    OsInfo {
        id: get("ID").to_ascii_lowercase(),
        version_id: get("VERSION_ID"),
        pretty_name: if version.contains("LTS") && !pretty.contains("LTS") {
            format!("{pretty} ({version})")
        } else {
            pretty
        },
        ecosystem: None,
        repositories: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eco(id: &str, vid: &str, version: &str) -> Result<String, String> {
        ecosystem(id, vid, version).map(|e| e.to_string())
    }

    #[test]
    fn osv_ecosystems() {
        assert_eq!(eco("debian", "12", "12 (bookworm)").unwrap(), "Debian:12");
        assert_eq!(
            eco("ubuntu", "22.04", "22.04.4 LTS (Jammy Jellyfish)").unwrap(),
            "Ubuntu:22.04:LTS"
        );
        assert_eq!(
            eco("ubuntu", "24.10", "24.10 (Oracular Oriole)").unwrap(),
            "Ubuntu:24.10"
        );
        assert_eq!(eco("alpine", "3.20.3", "").unwrap(), "Alpine:v3.20");
        assert_eq!(eco("rocky", "9.4", "").unwrap(), "Rocky Linux:9");
        assert_eq!(eco("almalinux", "9.4", "").unwrap(), "AlmaLinux:9");
        for (vid, want) in [
            ("9.4", "Red Hat:enterprise_linux:9"),
            ("10.0", "Red Hat:enterprise_linux:10"),
        ] {
            assert_eq!(eco("rhel", vid, "").unwrap(), want);
        }
        assert!(eco("rhel", "", "").is_err());
        assert!(eco("alpine", "3.21_alpha20240807", "").is_err());
        assert!(eco("debian", "", "").is_err());
        assert!(eco("arch", "", "").is_err());
    }

    #[test]
    fn os_release_quoting() {
        let kv = parse_os_release(
            "# comment\nNAME=\"Debian GNU/Linux\"\nID=debian\nVERSION_ID='12'\nX=\"a \\\"q\\\" b\"\nbad line\nID=debian\n",
        );
        let get = |k: &str| kv.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str());
        assert_eq!(get("NAME"), Some("Debian GNU/Linux"));
        assert_eq!(get("VERSION_ID"), Some("12"));
        assert_eq!(get("X"), Some("a \"q\" b"));
        assert_eq!(kv.iter().filter(|(k, _)| k == "ID").count(), 1);
    }
}
