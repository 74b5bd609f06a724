//! Plans for hosts and container images: OS package upgrades with the
//! image's own package manager, and base image bumps when the
//! vulnerable packages come from the base image's layers
//! (docs/containers.md, "Image plans").
//!
//! Input: the scan report of an inventory read with `--rootfs` or
//! `--image` (findings with a `distro` block, see
//! [`patchloop_model::DistroFinding`]) and that inventory's
//! [`Target`] (its layers, each flagged `base` or not).
//!
//! - Each vulnerable binary package with a fix in its release gets the
//!   distribution version to install: the highest "fixed in" version of
//!   its findings. Debian's and Alpine's fixes are source versions; a
//!   binary whose version is the source version (plus the binary's epoch,
//!   which is put back) is pinned to it, a binNMU (`+b1`) binary, whose
//!   version differs from its source's, is upgraded unpinned: apt picks
//!   the release's current build.
//! - Commands: `apt-get install --only-upgrade pkg=ver` (Debian, Ubuntu),
//!   `apk add --upgrade pkg=ver` (Alpine), `dnf upgrade pkg-ver` (RPM
//!   distributions; `microdnf upgrade pkg-ver` when the rpmdb holds
//!   `microdnf` and not `dnf`, as UBI minimal images do), one line for the
//!   whole image.
//! - When packages to upgrade sit in base layers, the plan recommends
//!   rebuilding on a newer base image and names each base layer with the
//!   vulnerable packages it holds; the upgrade line remains the
//!   alternative for a Dockerfile `RUN` after `FROM`.
//! - Findings whose release has no fix yet are listed as such.

use std::collections::BTreeMap;

use patchloop_model::{EcosystemKind, Finding, Inventory, ScanReport, Target, TargetKind};
use patchloop_version::Scheme;
use serde::{Deserialize, Serialize};

/// The package manager of a distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PackageManager {
    Apt,
    Apk,
    Dnf,
    /// UBI minimal images ship `microdnf` only.
    Microdnf,
}

impl PackageManager {
    pub fn for_kind(kind: &EcosystemKind) -> Option<PackageManager> {
        Some(match kind {
            EcosystemKind::Debian | EcosystemKind::Ubuntu => PackageManager::Apt,
            EcosystemKind::Alpine => PackageManager::Apk,
            EcosystemKind::RedHat | EcosystemKind::RockyLinux | EcosystemKind::AlmaLinux => {
                PackageManager::Dnf
            }
            _ => return None,
        })
    }

    /// The argument naming `name` at version `to` (unpinned when `None`).
    fn arg(self, name: &str, to: Option<&str>) -> String {
        match (self, to) {
            (_, None) => name.to_string(),
            (PackageManager::Apt | PackageManager::Apk, Some(v)) => format!("{name}={v}"),
            (PackageManager::Dnf | PackageManager::Microdnf, Some(v)) => format!("{name}-{v}"),
        }
    }

    /// The command installing `args`.
    fn command(self, args: &[String]) -> String {
        let args = args.join(" ");
        match self {
            PackageManager::Apt => {
                format!("apt-get update && apt-get install -y --only-upgrade {args}")
            }
            PackageManager::Apk => format!("apk add --no-cache --upgrade {args}"),
            PackageManager::Dnf => format!("dnf upgrade -y {args}"),
            PackageManager::Microdnf => format!("microdnf upgrade -y {args}"),
        }
    }
}

/// One binary package to upgrade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsUpgrade {
    pub package: String,
    pub from: String,
    /// The distribution version to install; for an unpinned binNMU, the
    /// source version it must reach.
    pub to: String,
    /// False when the command leaves the version to the package manager
    /// (binNMU binaries).
    pub pinned: bool,
    /// The finding ids this upgrade fixes.
    pub fixes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<u32>,
    /// True when the package comes from a base image layer.
    pub base: bool,
    /// This package alone.
    pub command: String,
}

/// A base image layer holding vulnerable packages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseLayer {
    pub index: u32,
    pub digest: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// `name version` of each vulnerable package it holds.
    pub packages: Vec<String>,
}

/// The recommendation to rebuild on a newer base image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseImageBump {
    pub layers: Vec<BaseLayer>,
    /// Finding ids fixed by a base image that carries the fixes.
    pub fixes: Vec<String>,
    pub reason: String,
}

/// A finding the release has no fix for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsUnfixed {
    pub id: String,
    pub package: String,
    pub version: String,
    pub release: String,
}

/// The image (or host) part of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImagePlan {
    pub target: String,
    pub kind: TargetKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_manager: Option<PackageManager>,
    pub upgrades: Vec<OsUpgrade>,
    /// Every upgrade in one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_image: Option<BaseImageBump>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unfixed: Vec<OsUnfixed>,
}

/// The distribution version a binary must be upgraded to for a fix of
/// its source (`fixed`): `(version, pinned)`.
fn binary_target(
    scheme: Scheme,
    binary_version: &str,
    source_version: &str,
    fixed: &str,
) -> (String, bool) {
    let (epoch, upstream) = match binary_version.split_once(':') {
        Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => {
            (Some(e), rest)
        }
        _ => (None, binary_version),
    };
    let fixed_has_epoch = fixed
        .split_once(':')
        .is_some_and(|(e, _)| !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()));
    let source_plain = source_version
        .split_once(':')
        .map(|(_, r)| r)
        .unwrap_or(source_version);
    // The binary is built from the source as is (same version but for
    // the epoch): the fixed source version is the binary's too.
    if scheme == Scheme::Rpm || upstream == source_plain || binary_version == source_version {
        let v = match epoch {
            Some(e) if !fixed_has_epoch => format!("{e}:{fixed}"),
            _ => fixed.to_string(),
        };
        (v, true)
    } else {
        (fixed.to_string(), false)
    }
}

/// Build the image plan of a scan of an image or host inventory; `None`
/// when the inventory has no target.
pub fn image_plan(report: &ScanReport, inventory: &Inventory) -> Option<ImagePlan> {
    let target: &Target = inventory.target.as_ref()?;
    let os = target.os.as_ref();
    let mut manager = os
        .and_then(|o| o.ecosystem.as_ref())
        .and_then(|e| PackageManager::for_kind(&e.kind));
    // An RPM image without dnf but with microdnf (UBI minimal): the
    // rpmdb's own packages say which one is installed.
    let rpm_names = || {
        inventory
            .sources
            .iter()
            .filter(|s| s.format == "rpmdb-sqlite")
            .flat_map(|s| s.packages.iter().map(|p| p.name.as_str()))
    };
    let microdnf_only = rpm_names().any(|n| n == "microdnf") && !rpm_names().any(|n| n == "dnf");
    let is_base = |layer: Option<u32>| {
        layer.is_some_and(|l| target.layers.iter().any(|x| x.index == l && x.base))
    };
    // Upgrades by (binary name, version).
    let mut upgrades: BTreeMap<(String, String), OsUpgrade> = BTreeMap::new();
    let mut unfixed = Vec::new();
    for f in report.active().filter(|f| f.distro.is_some()) {
        let Some(d) = &f.distro else { continue };
        if manager.is_none() {
            manager = PackageManager::for_kind(&d.release.kind);
        }
        let Some(scheme) = Scheme::for_ecosystem(&d.release) else {
            continue;
        };
        let Some(fixed) = f.fixed.as_deref().filter(|_| d.fix_available) else {
            unfixed.push(OsUnfixed {
                id: f.id.clone(),
                package: f.package.name.clone(),
                version: f.package.version.clone(),
                release: d.release.to_string(),
            });
            continue;
        };
        for b in &d.binaries {
            let (to, pinned) = binary_target(scheme, &b.version, &f.package.version, fixed);
            let key = (b.name.clone(), b.version.clone());
            let e = upgrades.entry(key).or_insert_with(|| OsUpgrade {
                package: b.name.clone(),
                from: b.version.clone(),
                to: to.clone(),
                pinned,
                fixes: Vec::new(),
                layer: b.layer,
                base: is_base(b.layer),
                command: String::new(),
            });
            if scheme.compare(&to, &e.to) == Ok(std::cmp::Ordering::Greater) {
                e.to = to;
                e.pinned = pinned;
            }
            push_unique(&mut e.fixes, &f.id);
        }
    }
    let mut upgrades: Vec<OsUpgrade> = upgrades.into_values().collect();
    if manager == Some(PackageManager::Dnf) && microdnf_only {
        manager = Some(PackageManager::Microdnf);
    }
    let command = manager.and_then(|m| {
        for u in upgrades.iter_mut() {
            u.command = m.command(&[m.arg(&u.package, u.pinned.then_some(u.to.as_str()))]);
        }
        let args: Vec<String> = upgrades
            .iter()
            .map(|u| m.arg(&u.package, u.pinned.then_some(u.to.as_str())))
            .collect();
        (!args.is_empty()).then(|| m.command(&args))
    });
    let base_image = base_bump(target, &upgrades);
    Some(ImagePlan {
        target: target.reference.clone(),
        kind: target.kind,
        os: os.map(|o| {
            if o.pretty_name.is_empty() {
                format!("{} {}", o.id, o.version_id)
            } else {
                o.pretty_name.clone()
            }
        }),
        package_manager: manager,
        upgrades,
        command,
        base_image,
        unfixed,
    })
}

fn push_unique(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

fn base_bump(target: &Target, upgrades: &[OsUpgrade]) -> Option<BaseImageBump> {
    let mut layers: BTreeMap<u32, BaseLayer> = BTreeMap::new();
    let mut fixes: Vec<String> = Vec::new();
    for u in upgrades.iter().filter(|u| u.base) {
        let Some(l) = u
            .layer
            .and_then(|i| target.layers.iter().find(|x| x.index == i))
        else {
            continue;
        };
        let e = layers.entry(l.index).or_insert_with(|| BaseLayer {
            index: l.index,
            digest: l.digest.clone(),
            created_by: l.created_by.clone(),
            packages: Vec::new(),
        });
        e.packages.push(format!("{} {}", u.package, u.from));
        for id in &u.fixes {
            push_unique(&mut fixes, id);
        }
    }
    if layers.is_empty() {
        return None;
    }
    let n: usize = layers.values().map(|l| l.packages.len()).sum();
    Some(BaseImageBump {
        reason: format!(
            "{n} vulnerable package(s) come from the base image: rebuild on a newer base image \
             (a newer tag, or the same tag pulled again) that carries the fixed versions; \
             the upgrade line is the alternative, as a RUN right after FROM"
        ),
        layers: layers.into_values().collect(),
        fixes,
    })
}

/// The finding ids of a report that the image plan handles (OS packages).
pub fn is_os_finding(f: &Finding) -> bool {
    f.distro.is_some()
}

/// A text rendering for the plan's table output.
pub fn render_text(p: &ImagePlan) -> String {
    let mut out = format!(
        "OS packages of {} ({}):\n",
        p.target,
        p.os.as_deref().unwrap_or("unknown distribution")
    );
    if p.upgrades.is_empty() {
        out.push_str("  nothing to upgrade\n");
    }
    for u in &p.upgrades {
        out.push_str(&format!(
            "  {} {} → {}{}{} fixes {}\n",
            u.package,
            u.from,
            if u.pinned { "" } else { "≥ " },
            u.to,
            match (u.layer, u.base) {
                (Some(l), true) => format!(" (base layer {l})"),
                (Some(l), false) => format!(" (layer {l})"),
                _ => String::new(),
            },
            u.fixes.join(", ")
        ));
    }
    if let Some(c) = &p.command {
        out.push_str(&format!("  upgrade: {c}\n"));
    }
    if let Some(b) = &p.base_image {
        out.push_str(&format!("  base image: {}\n", b.reason));
        for l in &b.layers {
            out.push_str(&format!(
                "    layer {} {}{}: {}\n",
                l.index,
                l.digest,
                l.created_by
                    .as_deref()
                    .map(|c| format!(" ({})", clip(c, 80)))
                    .unwrap_or_default(),
                l.packages.join(", ")
            ));
        }
    }
    for u in &p.unfixed {
        out.push_str(&format!(
            "  no fix in {} yet: {} in {} {}\n",
            u.release, u.id, u.package, u.version
        ));
    }
    out
}

/// A Markdown rendering; `esc` escapes text for table cells.
pub fn render_markdown(p: &ImagePlan, esc: &dyn Fn(&str) -> String) -> String {
    let mut out = format!(
        "#### OS packages of `{}` ({})\n\n",
        esc(&p.target),
        esc(p.os.as_deref().unwrap_or("unknown distribution"))
    );
    if !p.upgrades.is_empty() {
        out.push_str("| Package | From | To | Layer | Fixes |\n| --- | --- | --- | --- | --- |\n");
        for u in &p.upgrades {
            out.push_str(&format!(
                "| {} | {} | {}{} | {} | {} |\n",
                esc(&u.package),
                esc(&u.from),
                if u.pinned { "" } else { "≥ " },
                esc(&u.to),
                match (u.layer, u.base) {
                    (Some(l), true) => format!("{l} (base)"),
                    (Some(l), false) => l.to_string(),
                    _ => "—".into(),
                },
                u.fixes
                    .iter()
                    .map(|f| esc(f))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        out.push('\n');
    }
    if let Some(c) = &p.command {
        out.push_str(&format!("```sh\n{c}\n```\n\n"));
    }
    if let Some(b) = &p.base_image {
        out.push_str(&format!("**Base image:** {}\n\n", esc(&b.reason)));
        for l in &b.layers {
            out.push_str(&format!(
                "- layer {} `{}`{}: {}\n",
                l.index,
                esc(&l.digest),
                l.created_by
                    .as_deref()
                    .map(|c| format!(" ({})", esc(&clip(c, 80))))
                    .unwrap_or_default(),
                esc(&l.packages.join(", "))
            ));
        }
        out.push('\n');
    }
    for u in &p.unfixed {
        out.push_str(&format!(
            "- no fix in {} yet: {} in {} {}\n",
            esc(&u.release),
            esc(&u.id),
            esc(&u.package),
            esc(&u.version)
        ));
    }
    out
}

fn clip(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_versions_from_source_fixes() {
        // Same version as the source.
        assert_eq!(
            binary_target(
                Scheme::Debian,
                "3.0.11-1~deb12u1",
                "3.0.11-1~deb12u1",
                "3.0.11-1~deb12u2"
            ),
            ("3.0.11-1~deb12u2".to_string(), true)
        );
        // The binary's epoch is put back.
        assert_eq!(
            binary_target(
                Scheme::Debian,
                "1:2.38.1-5+deb12u3",
                "2.38.1-5+deb12u3",
                "2.38.1-5+deb12u4"
            ),
            ("1:2.38.1-5+deb12u4".to_string(), true)
        );
        // binNMU: not pinned.
        assert_eq!(
            binary_target(Scheme::Debian, "1.0.9-2+b6", "1.0.9-2", "1.0.9-2+deb12u1"),
            ("1.0.9-2+deb12u1".to_string(), false)
        );
        assert_eq!(
            PackageManager::Dnf.arg("openssl-libs", Some("1:3.2.2-6.el9_5")),
            "openssl-libs-1:3.2.2-6.el9_5"
        );
    }
}
