//! Red Hat's image content manifests: which repositories an image's RPMs
//! came from.
//!
//! Red Hat images built since mid-2020 carry one JSON file per layer
//! under `root/buildinfo/content_manifests/` (the "Image Content Manifest"
//! of atomic-reactor, `schemas/content_manifest.json`): `metadata`
//! (`icm_version`, `icm_spec`, `image_layer_index`), `image_contents`,
//! and `content_sets`, the Pulp repository ids enabled while the layer
//! was built (`rhel-9-for-x86_64-baseos-rpms`,
//! `rhel-9-for-x86_64-appstream-eus-rpms__9_DOT_2`). Red Hat's guidance
//! for scanners (security-data-guidelines, "Product and Component
//! Matching") is to map these repositories to CPEs with its
//! `repository-to-cpe.json` and match only those products; that file is
//! not available offline, so the ids are translated by their documented
//! naming (`rhel-{major}-for-{arch}-{channel}[-{eus|e4s|aus|tus}]-rpms[__{major}_DOT_{minor}]`,
//! `codeready-builder-for-rhel-{major}-{arch}-rpms`, `ubi-{major}-{channel}-rpms`):
//!
//! | content set | OSV ecosystem |
//! |---|---|
//! | `rhel-9-for-x86_64-baseos-rpms`, `ubi-9-baseos-rpms` | `Red Hat:enterprise_linux:9::baseos` |
//! | `rhel-9-for-x86_64-appstream-rpms` | `Red Hat:enterprise_linux:9::appstream` |
//! | `codeready-builder-for-rhel-9-x86_64-rpms` | `Red Hat:enterprise_linux:9::crb` |
//! | `rhel-9-for-x86_64-baseos-eus-rpms__9_DOT_2` | `Red Hat:rhel_eus:9.2::baseos` |
//! | `rhel-10-for-x86_64-baseos-rpms` | `Red Hat:enterprise_linux:10` (RHEL 10 CPEs have no channel) |
//! | `rhel-10-for-x86_64-baseos-eus-rpms__10_DOT_2` | `Red Hat:enterprise_linux_eus:10.2` |
//!
//! `-source` and `-debug` repositories map as their binary repository.
//! When any content set is not one of these (another product's
//! repository, an unknown channel), the manifests are not used: matching
//! falls back to every repository of the release, with a warning.

use patchloop_model::{Diagnostic, DiagnosticLevel, Ecosystem, EcosystemKind};

use super::super::FileSet;

/// Where the manifests live.
pub const DIR: &str = "root/buildinfo/content_manifests/";
/// Largest manifest kept (they list a layer's components: a few KB to a
/// few hundred KB).
pub const MAX_MANIFEST: u64 = 8 * 1024 * 1024;
/// Most content sets taken from all manifests together.
const MAX_SETS: usize = 10_000;

/// Whether `path` is a content manifest.
pub fn is_manifest(path: &str) -> bool {
    path.strip_prefix(DIR)
        .is_some_and(|n| n.len() > 5 && n.ends_with(".json") && !n.contains('/'))
}

/// Channels of RHEL ≤ 9 repositories whose CPE channel is known, as the
/// repository id writes them and as the CPE does.
const CHANNELS: [(&str, &str); 6] = [
    ("baseos", "baseos"),
    ("appstream", "appstream"),
    ("codeready-builder", "crb"),
    ("supplementary", "supplementary"),
    ("highavailability", "highavailability"),
    ("resilientstorage", "resilientstorage"),
];

/// Lifecycle streams of a minor release (`-eus-rpms__9_DOT_2`).
const STREAMS: [&str; 4] = ["eus", "e4s", "aus", "tus"];

/// The OSV ecosystem of a RHEL repository of major release `major`, or
/// `None` when the id is not one.
pub fn repository(content_set: &str, major: &str) -> Option<Ecosystem> {
    let (id, minor) = match content_set.split_once("__") {
        Some((id, v)) => {
            let (maj, min) = v.split_once("_DOT_")?;
            if maj != major || min.is_empty() || !min.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (id, Some(min))
        }
        None => (content_set, None),
    };
    // `-source-rpms`, `-debug-rpms`, `-rpms`; UBI also writes `-source`.
    let id = id
        .strip_suffix("-rpms")
        .or_else(|| id.strip_suffix("-source"))
        .or_else(|| id.strip_suffix("-debug"))
        .unwrap_or(id);
    let id = id
        .strip_suffix("-source")
        .or_else(|| id.strip_suffix("-debug"))
        .unwrap_or(id);
    // (channel as written, stream)
    let (channel, stream): (&str, Option<&str>) = if let Some(rest) =
        id.strip_prefix(&format!("rhel-{major}-for-"))
    {
        // `{arch}-{channel}[-{stream}]`; arches have no `-`.
        let (_arch, rest) = rest.split_once('-')?;
        match rest.rsplit_once('-') {
            Some((c, s)) if STREAMS.contains(&s) => (c, Some(s)),
            _ => (rest, None),
        }
    } else if let Some(rest) = id.strip_prefix(&format!("codeready-builder-for-rhel-{major}-")) {
        // `{arch}[-{stream}]`
        match rest.split_once('-') {
            Some((_arch, s)) if STREAMS.contains(&s) => ("codeready-builder", Some(s)),
            Some(_) => return None,
            None => ("codeready-builder", None),
        }
    } else if let Some(rest) = id.strip_prefix(&format!("ubi-{major}-")) {
        // `ubi-9-baseos`, also `ubi-9-for-x86_64-baseos`.
        let rest = match rest.strip_prefix("for-") {
            Some(r) => r.split_once('-')?.1,
            None => rest,
        };
        (rest, None)
    } else {
        return None;
    };
    let cpe_channel = CHANNELS
        .iter()
        .find(|(written, _)| *written == channel)
        .map(|(_, c)| *c)?;
    let modern = major.parse::<u32>().ok()? >= 10;
    let release = match (stream, minor, modern) {
        (None, None, false) => format!("enterprise_linux:{major}::{cpe_channel}"),
        // RHEL 10 CPEs name the minor release and no channel
        // (`enterprise_linux:10.0`): the whole release is looked up.
        (None, None, true) => format!("enterprise_linux:{major}"),
        (Some(s), Some(m), false) => format!("rhel_{s}:{major}.{m}::{cpe_channel}"),
        (Some("eus"), Some(m), true) => format!("enterprise_linux_eus:{major}.{m}"),
        _ => return None,
    };
    Some(Ecosystem::with_release(EcosystemKind::RedHat, release))
}

/// The repositories the tree's content manifests name, for RHEL release
/// `major`: empty when there are none, or when one of them is not a
/// repository [`repository`] knows (then with a warning).
pub fn read(
    set: &FileSet,
    major: &str,
    display_root: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Ecosystem> {
    let mut sets: Vec<(String, String)> = Vec::new();
    for (path, _) in set.under(DIR) {
        if !is_manifest(path) {
            continue;
        }
        let Some(bytes) = set.bytes(path) else {
            continue;
        };
        let warn = |diags: &mut Vec<Diagnostic>, message: String| {
            diags.push(Diagnostic {
                level: DiagnosticLevel::Warning,
                path: super::super::display_path(display_root, path),
                line: None,
                message,
            })
        };
        let doc: serde_json::Value = match serde_json::from_slice(bytes) {
            Ok(v) => v,
            Err(e) => {
                warn(
                    diags,
                    format!("not a readable content manifest ({e}); its content sets are not used"),
                );
                continue;
            }
        };
        match doc.get("content_sets") {
            None | Some(serde_json::Value::Null) => {}
            Some(serde_json::Value::Array(a)) => {
                for v in a {
                    match v.as_str() {
                        Some(s) if sets.len() < MAX_SETS => {
                            sets.push((s.to_string(), path.to_string()))
                        }
                        Some(_) => {}
                        None => warn(
                            diags,
                            format!(
                                "content set {} is not a string; ignored",
                                v.to_string().chars().take(100).collect::<String>()
                            ),
                        ),
                    }
                }
            }
            Some(_) => warn(
                diags,
                "`content_sets` is not an array; this manifest is not used".into(),
            ),
        }
    }
    let mut out: Vec<Ecosystem> = Vec::new();
    let mut unknown: Vec<&str> = Vec::new();
    for (s, _) in &sets {
        match repository(s, major) {
            Some(e) => {
                if !out.contains(&e) {
                    out.push(e);
                }
            }
            None => {
                if !unknown.contains(&s.as_str()) {
                    unknown.push(s);
                }
            }
        }
    }
    if let Some(first_unknown) = unknown.first() {
        let first = sets
            .iter()
            .find(|(s, _)| s == first_unknown)
            .map(|(_, p)| p.as_str())
            .unwrap_or(DIR);
        // Name a few (a hostile manifest could list thousands).
        let more = unknown.len().saturating_sub(5);
        unknown.truncate(5);
        diags.push(Diagnostic {
            level: DiagnosticLevel::Warning,
            path: super::super::display_path(display_root, first),
            line: None,
            message: format!(
                "content set(s) {} are not RHEL {major} repositories patchloop can name: \
                 the manifests are not used and RHEL packages are matched against every \
                 repository of Red Hat Enterprise Linux {major}",
                unknown
                    .iter()
                    .map(|s| format!("`{}`", s.chars().take(200).collect::<String>()))
                    .chain((more > 0).then(|| format!("and {more} more")))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
        return Vec::new();
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str, major: &str) -> Option<String> {
        repository(s, major).map(|e| e.to_string())
    }

    #[test]
    fn repository_ids_to_cpe_ecosystems() {
        // The content sets of Red Hat's examples (security-data-guidelines)
        // and the CPEs its repository-to-cpe.json gives them.
        assert_eq!(
            r("rhel-9-for-aarch64-baseos-rpms", "9").as_deref(),
            Some("Red Hat:enterprise_linux:9::baseos")
        );
        assert_eq!(
            r("rhel-9-for-x86_64-appstream-rpms", "9").as_deref(),
            Some("Red Hat:enterprise_linux:9::appstream")
        );
        assert_eq!(
            r("rhel-9-for-x86_64-appstream-eus-rpms__9_DOT_2", "9").as_deref(),
            Some("Red Hat:rhel_eus:9.2::appstream")
        );
        assert_eq!(
            r("rhel-9-for-x86_64-baseos-eus-rpms__9_DOT_4", "9").as_deref(),
            Some("Red Hat:rhel_eus:9.4::baseos")
        );
        assert_eq!(
            r("codeready-builder-for-rhel-9-x86_64-rpms", "9").as_deref(),
            Some("Red Hat:enterprise_linux:9::crb")
        );
        assert_eq!(
            r("rhel-8-for-x86_64-baseos-source-rpms", "8").as_deref(),
            Some("Red Hat:enterprise_linux:8::baseos")
        );
        assert_eq!(
            r("ubi-8-appstream-source", "8").as_deref(),
            Some("Red Hat:enterprise_linux:8::appstream")
        );
        assert_eq!(
            r("ubi-9-baseos-rpms", "9").as_deref(),
            Some("Red Hat:enterprise_linux:9::baseos")
        );
        assert_eq!(
            r("rhel-10-for-x86_64-appstream-rpms", "10").as_deref(),
            Some("Red Hat:enterprise_linux:10")
        );
        assert_eq!(
            r("rhel-10-for-x86_64-baseos-eus-rpms__10_DOT_2", "10").as_deref(),
            Some("Red Hat:enterprise_linux_eus:10.2")
        );
        // Another major, another product, unknown channel, bad suffix.
        assert_eq!(r("rhel-8-for-x86_64-baseos-rpms", "9"), None);
        assert_eq!(r("rhocp-4.16-for-rhel-9-x86_64-rpms", "9"), None);
        assert_eq!(r("rhel-9-for-x86_64-nfv-rpms", "9"), None);
        assert_eq!(r("rhel-9-for-x86_64-baseos-eus-rpms__8_DOT_2", "9"), None);
        assert_eq!(r("rhel-9-for-x86_64-baseos-eus-rpms__9_DOT_", "9"), None);
        assert_eq!(r("releases", "8"), None);
        assert!(is_manifest(
            "root/buildinfo/content_manifests/ubi9-container-9.4-1214.json"
        ));
        assert!(!is_manifest("root/buildinfo/content_manifests/x/y.json"));
        assert!(!is_manifest("root/buildinfo/Dockerfile-ubi9-9.4"));
    }
}
