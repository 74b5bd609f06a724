//! `patchloop inventory`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use comfy_table::{ContentArrangement, Table, presets};
use patchloop_inventory::{Format, Limits, Options, WalkOptions, sbom};
use patchloop_model::{INVENTORY_SCHEMA, Inventory, Relation, Resolution, Target, TargetKind};
use serde::Serialize;

use crate::cli::{InventoryArgs, InventoryFormat, TargetArgs};
use crate::exit;
use crate::output::{emit, emit_with};
use crate::ui;

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    generator: String,
    #[serde(flatten)]
    inventory: &'a Inventory,
}

/// The inventory of `--rootfs` or `--image`, if given.
pub(crate) fn target_inventory(t: &TargetArgs) -> Result<Option<Inventory>> {
    use patchloop_inventory::system;
    if let Some(dir) = &t.rootfs {
        let opts = system::RootfsOptions {
            cross_devices: t.cross_devices,
        };
        return Ok(Some(system::inventory_rootfs(dir, &opts)?));
    }
    if let Some(image) = &t.image {
        let reference = image.to_str().and_then(system::image::registry_reference);
        let mut opts = system::ImageOptions {
            platform: t.platform.clone(),
            base_layers: t.base_layers,
            ..Default::default()
        };
        if let Some(reference) = reference {
            opts.registry = system::RegistryOptions::from_env();
            opts.registry
                .insecure
                .extend(t.insecure_registry.iter().cloned());
            return Ok(Some(system::inventory_registry_image(reference, &opts)?));
        }
        return Ok(Some(system::inventory_image(image, &opts)?));
    }
    Ok(None)
}

/// Add `target`'s sources and diagnostics to `inv` and make it the target.
pub(crate) fn merge_target(inv: &mut Inventory, target: Option<Inventory>) {
    if let Some(t) = target {
        inv.sources.extend(t.sources);
        inv.diagnostics.extend(t.diagnostics);
        inv.target = t.target;
    }
}

pub fn run(a: InventoryArgs) -> Result<u8> {
    let target = target_inventory(&a.target)?;
    let paths = if a.paths.is_empty() && target.is_none() {
        vec![PathBuf::from(".")]
    } else {
        a.paths.clone()
    };
    let opts = Options {
        walk: WalkOptions {
            default_excludes: !a.no_default_excludes,
            excludes: a.exclude.clone(),
        },
        limits: Limits {
            max_file_size: a.max_file_size,
            ..Limits::default()
        },
        threads: 0,
    };
    let mut inv = if paths.is_empty() {
        Inventory::default()
    } else {
        patchloop_inventory::inventory(&paths, &opts)?
    };
    merge_target(&mut inv, target);
    for d in &inv.diagnostics {
        ui::diagnostic(d);
    }
    let out = a.output.output.as_deref();
    match a.format {
        InventoryFormat::Table => emit(out, &render_table(&inv))?,
        InventoryFormat::Json => {
            let doc = Document {
                schema: INVENTORY_SCHEMA,
                generator: format!("patchloop {}", env!("CARGO_PKG_VERSION")),
                inventory: &inv,
            };
            emit_with(out, |w| {
                serde_json::to_writer_pretty(&mut *w, &doc)?;
                w.write_all(b"\n")
            })?;
        }
        InventoryFormat::Cyclonedx | InventoryFormat::Spdx => {
            let name = a.name.clone().unwrap_or_else(|| match &inv.target {
                Some(t) if paths.is_empty() => t.reference.clone(),
                _ => paths.first().map(|p| project_name(p)).unwrap_or_default(),
            });
            let wo = sbom::WriteOptions {
                name,
                timestamp: now_rfc3339(),
                serial: None,
                tool_version: env!("CARGO_PKG_VERSION").to_string(),
            };
            let doc = if a.format == InventoryFormat::Cyclonedx {
                sbom::cyclonedx::write_json(&inv, &wo)
            } else {
                sbom::spdx::write_json(&inv, &wo)
            };
            emit(out, &doc)?;
        }
    }
    if a.format == InventoryFormat::Table && !ui::quiet() {
        ui::note(&format!(
            "{} packages in {} files",
            inv.package_count(),
            inv.sources.len()
        ));
    }
    if a.strict && inv.has_errors() {
        return Ok(exit::USAGE);
    }
    Ok(exit::OK)
}

fn project_name(p: &std::path::Path) -> String {
    let abs = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    abs.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "project".into())
}

fn now_rfc3339() -> String {
    // Honour SOURCE_DATE_EPOCH for reproducible SBOMs.
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        });
    crate::commands::fmt_rfc3339(secs)
}

/// The `--rootfs`/`--image` target: what it is, its OS and its layers.
fn render_target(t: &Target) -> String {
    let mut out = String::new();
    let kind = match t.kind {
        TargetKind::Rootfs => "rootfs",
        TargetKind::Image => "image",
    };
    out.push_str(&format!("{kind} {}\n", t.reference));
    if let Some(d) = &t.digest {
        out.push_str(&format!("digest: {d}\n"));
    }
    match &t.os {
        Some(os) => {
            let name = if os.pretty_name.is_empty() {
                format!("{} {}", os.id, os.version_id)
            } else {
                os.pretty_name.clone()
            };
            match &os.ecosystem {
                Some(e) => out.push_str(&format!("os: {name} ({e})\n")),
                None => out.push_str(&format!("os: {name}\n")),
            }
        }
        None => out.push_str("os: unknown (no os-release)\n"),
    }
    if !t.layers.is_empty() {
        let mut tb = Table::new();
        tb.load_preset(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(vec!["layer", "digest", "size", "base", "created by"]);
        for l in &t.layers {
            let short = l.digest.strip_prefix("sha256:").unwrap_or(&l.digest);
            let mut created: String = l.created_by.clone().unwrap_or_default();
            if created.chars().count() > 80 {
                created = created.chars().take(79).collect::<String>() + "…";
            }
            tb.add_row(vec![
                l.index.to_string(),
                short.chars().take(12).collect(),
                l.size.to_string(),
                if l.base { "base".into() } else { String::new() },
                created,
            ]);
        }
        out.push_str(&tb.to_string());
        out.push('\n');
    }
    out.push('\n');
    out
}

fn render_table(inv: &Inventory) -> String {
    let mut out = String::new();
    let layers = inv
        .target
        .as_ref()
        .map(|t| t.layers.as_slice())
        .unwrap_or_default();
    if let Some(t) = &inv.target {
        out.push_str(&render_target(t));
    }
    for s in &inv.sources {
        let mut t = Table::new();
        let mut header = vec!["package", "version", "relation", "scope", "line"];
        if !layers.is_empty() {
            header.push("layer");
        }
        t.load_preset(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(header);
        for p in &s.packages {
            let version = match &p.resolution {
                Resolution::Exact => p.version.clone(),
                Resolution::Requirement { spec } => format!("{spec} (unpinned)"),
                Resolution::Url { url } => format!("url: {url}"),
                Resolution::Vcs { url, rev } => match rev {
                    Some(r) => format!("vcs: {url}@{r}"),
                    None => format!("vcs: {url}"),
                },
                Resolution::Path { path } => format!("path: {path}"),
            };
            let relation = match p.relation {
                Relation::Direct => "direct",
                Relation::Transitive => "transitive",
                Relation::Unknown => "",
            };
            let mut row = vec![
                p.name.clone(),
                version,
                relation.to_string(),
                p.scope.as_str().to_string(),
                p.line().map(|l| l.to_string()).unwrap_or_default(),
            ];
            if !layers.is_empty() {
                row.push(match p.layer {
                    Some(i) if layers.get(i as usize).is_some_and(|l| l.base) => {
                        format!("{i} (base)")
                    }
                    Some(i) => i.to_string(),
                    None => String::new(),
                });
            }
            t.add_row(row);
        }
        let fv = s
            .format_version
            .as_deref()
            .map(|v| format!(" v{v}"))
            .unwrap_or_default();
        out.push_str(&format!(
            "{} ({}{fv}, {}, {} packages)\n",
            s.path,
            s.format,
            s.ecosystem,
            s.packages.len()
        ));
        if !s.packages.is_empty() {
            out.push_str(&t.to_string());
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

pub fn formats() -> Result<u8> {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_header(vec!["format", "files"]);
    for f in Format::ALL {
        t.add_row(vec![f.id(), f.patterns()]);
    }
    emit(None, &format!("{t}\n"))?;
    Ok(exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchloop_model::{Ecosystem, Layer, OsInfo, Package, SourceFile};

    #[test]
    fn table_shows_the_target_and_package_layers() {
        let deb = Ecosystem::parse("Debian:12");
        let mut s = SourceFile::new("img.tar!var/lib/dpkg/status", "dpkg-status", deb.clone());
        let mut p = Package::new(deb.clone(), "zlib1g", "1:1.2.13");
        p.layer = Some(0);
        s.packages.push(p);
        let mut q = Package::new(deb.clone(), "app-tool", "2");
        q.layer = Some(1);
        s.packages.push(q);
        let layer = |index: u32, base: bool, by: &str| Layer {
            index,
            digest: format!("sha256:{index}{}", "a".repeat(63)),
            diff_id: String::new(),
            size: 10,
            created_by: Some(by.into()),
            base,
        };
        let inv = Inventory {
            sources: vec![s],
            diagnostics: Vec::new(),
            target: Some(Target {
                kind: TargetKind::Image,
                reference: "demo/app:1".into(),
                digest: Some("sha256:feed".into()),
                os: Some(OsInfo {
                    id: "debian".into(),
                    version_id: "12".into(),
                    pretty_name: "Debian GNU/Linux 12 (bookworm)".into(),
                    ecosystem: Some(deb),
                    repositories: Vec::new(),
                }),
                layers: vec![
                    layer(0, true, "ADD file:x in /"),
                    layer(1, false, "RUN make"),
                ],
            }),
        };
        let out = render_table(&inv);
        assert!(
            out.starts_with("image demo/app:1\ndigest: sha256:feed\n"),
            "{out}"
        );
        assert!(
            out.contains("os: Debian GNU/Linux 12 (bookworm) (Debian:12)"),
            "{out}"
        );
        assert!(
            out.contains("0aaaaaaaaaaa") && out.contains("ADD file:x in /"),
            "{out}"
        );
        let zlib = out.lines().find(|l| l.contains("zlib1g")).unwrap();
        assert!(zlib.contains("0 (base)"), "{zlib}");
        let tool = out.lines().find(|l| l.contains("app-tool")).unwrap();
        assert!(tool.contains(" 1 ") && !tool.contains("base"), "{tool}");
    }
}
