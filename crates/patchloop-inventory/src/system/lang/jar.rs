//! Java archives (`*.jar`, `*.war`, `*.ear`): the Maven coordinates of
//! every artifact they carry.
//!
//! - `META-INF/maven/<group>/<artifact>/pom.properties` (`groupId`,
//!   `artifactId`, `version`): one Maven package each, at any place in the
//!   archive (shaded jars carry several).
//! - Archives nested in the archive (`BOOT-INF/lib/*.jar`,
//!   `WEB-INF/lib/*.jar`, `lib/*.jar`, any `*.jar`/`*.war` member) are read
//!   the same way, up to [`MAX_DEPTH`] levels deep.
//! - An archive (top-level or nested) without any `pom.properties` falls
//!   back to `META-INF/MANIFEST.MF`: the group is `Implementation-Vendor-Id`,
//!   or the `Bundle-SymbolicName` when it ends with `.<artifact>`; the
//!   artifact and version come from the file name (`name-1.2.3.jar`),
//!   `Implementation-Version` or `Bundle-Version`. Without a group no
//!   package is made. These guesses are low-confidence: they are reported
//!   in a separate source of format `jar-manifest` (locations name the
//!   `MANIFEST.MF`), apart from the `jar` source of `pom.properties`
//!   packages.
//!
//! Bounds: at most [`MAX_ENTRIES`] entries per archive, [`MAX_SMALL`]
//! bytes per properties or manifest file, [`MAX_NESTED`] bytes per nested
//! archive and [`MAX_TOTAL`] bytes decompressed per top-level archive.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use patchloop_model::{Ecosystem, Package, SourceFile};

use super::rel_location;

pub const FORMAT: &str = "jar";
pub const MANIFEST_FORMAT: &str = "jar-manifest";
pub const MAX_DEPTH: usize = 3;
pub const MAX_ENTRIES: usize = 200_000;
pub const MAX_SMALL: u64 = 1024 * 1024;
pub const MAX_NESTED: u64 = 256 * 1024 * 1024;
pub const MAX_TOTAL: u64 = 1024 * 1024 * 1024;
const MANIFEST: &str = "META-INF/MANIFEST.MF";

fn is_archive_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".jar") || lower.ends_with(".war") || lower.ends_with(".ear")
}

/// True for a Java archive path in a tree.
pub fn is_archive(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.len() > 4 && is_archive_name(name)
}

struct Reader {
    /// Decompressed bytes still allowed.
    budget: u64,
    packages: BTreeMap<String, Package>,
    warnings: Vec<String>,
}

fn read_member<R: Read>(r: R, cap: u64, budget: &mut u64, what: &str) -> Result<Vec<u8>, String> {
    let limit = cap.min(*budget);
    let mut out = Vec::new();
    r.take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("{what}: {e}"))?;
    if out.len() as u64 > limit {
        return Err(if limit < cap {
            format!("{what}: the archive decompresses to more than {MAX_TOTAL} bytes")
        } else {
            format!("{what}: larger than {cap} bytes")
        });
    }
    *budget -= out.len() as u64;
    Ok(out)
}

/// `key=value` lines of a Java properties file (`:` also separates;
/// `#`/`!` start comments).
pub fn properties(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let Some(i) = line.find(['=', ':']) else {
            continue;
        };
        let (k, v) = (line.get(..i).unwrap_or(""), line.get(i + 1..).unwrap_or(""));
        out.insert(k.trim().to_string(), v.trim().to_string());
    }
    out
}

/// The main section of a `MANIFEST.MF` (continuation lines start with
/// one space).
pub fn manifest(text: &str) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let mut last: Option<String> = None;
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break; // end of the main section
        }
        if let Some(cont) = line.strip_prefix(' ') {
            if let Some(v) = last.as_ref().and_then(|k| out.get_mut(k)) {
                v.push_str(cont);
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            let k = k.trim().to_string();
            out.insert(k.clone(), v.trim().to_string());
            last = Some(k);
        }
    }
    out
}

/// `name-1.2.3` → (`name`, `1.2.3`): the last `-` followed by a digit.
fn split_file_version(stem: &str) -> (&str, &str) {
    let mut cut = None;
    for (i, _) in stem.match_indices('-') {
        if stem
            .get(i + 1..)
            .and_then(|r| r.chars().next())
            .is_some_and(|c| c.is_ascii_digit())
        {
            cut = Some(i);
            break;
        }
    }
    match cut {
        Some(i) => (
            stem.get(..i).unwrap_or(stem),
            stem.get(i + 1..).unwrap_or(""),
        ),
        None => (stem, ""),
    }
}

fn manifest_package(file_name: &str, mf: &BTreeMap<String, String>) -> Option<(String, String)> {
    let stem = file_name.rsplit('/').next().unwrap_or(file_name);
    let stem = stem
        .get(..stem.len().saturating_sub(4))
        .filter(|_| is_archive_name(stem))
        .unwrap_or(stem);
    let (artifact, file_version) = split_file_version(stem);
    let bsn = mf
        .get("Bundle-SymbolicName")
        .map(|s| s.split(';').next().unwrap_or("").trim().to_string());
    let group = mf
        .get("Implementation-Vendor-Id")
        .filter(|g| !g.is_empty() && !g.contains(char::is_whitespace))
        .cloned()
        .or_else(|| {
            bsn.as_deref()
                .and_then(|b| b.strip_suffix(artifact))
                .and_then(|g| g.strip_suffix('.'))
                .filter(|g| !g.is_empty())
                .map(str::to_string)
        })?;
    let version = mf
        .get("Implementation-Version")
        .or_else(|| mf.get("Bundle-Version"))
        .cloned()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| file_version.to_string());
    if artifact.is_empty() || version.is_empty() {
        return None;
    }
    Some((format!("{group}:{artifact}"), version))
}

impl Reader {
    fn add(&mut self, name: String, version: String, location: String) {
        let p = Package::new(Ecosystem::MAVEN, name, version);
        let entry = self
            .packages
            .entry(p.id.clone())
            .or_insert_with(|| p.clone());
        entry.locations.push(rel_location(&location));
    }

    /// Read one archive; `prefix` is its location inside the top-level
    /// archive (`""` or `BOOT-INF/lib/x.jar!/`).
    fn archive(
        &mut self,
        bytes: &[u8],
        prefix: &str,
        file_name: &str,
        depth: usize,
    ) -> Result<(), String> {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| format!("{}not a readable zip archive: {e}", shown(prefix)))?;
        if zip.len() > MAX_ENTRIES {
            return Err(format!(
                "{}{} entries (at most {MAX_ENTRIES} read)",
                shown(prefix),
                zip.len()
            ));
        }
        let mut found_pom = false;
        let mut manifest_text: Option<String> = None;
        let mut nested: Vec<usize> = Vec::new();
        for i in 0..zip.len() {
            let mut f = match zip.by_index(i) {
                Ok(f) => f,
                Err(e) => {
                    self.warnings
                        .push(format!("{}entry {i}: {e}", shown(prefix)));
                    continue;
                }
            };
            if f.is_dir() {
                continue;
            }
            let name = f.name().to_string();
            let is_pom = name.starts_with("META-INF/maven/") && name.ends_with("/pom.properties");
            if is_pom || name == MANIFEST {
                let data = match read_member(&mut f, MAX_SMALL, &mut self.budget, &name) {
                    Ok(d) => d,
                    Err(e) => {
                        self.warnings.push(format!("{}{e}", shown(prefix)));
                        continue;
                    }
                };
                let text = String::from_utf8_lossy(&data).into_owned();
                if is_pom {
                    let props = properties(&text);
                    match (
                        props.get("groupId"),
                        props.get("artifactId"),
                        props.get("version"),
                    ) {
                        (Some(g), Some(a), Some(v))
                            if !g.is_empty() && !a.is_empty() && !v.is_empty() =>
                        {
                            found_pom = true;
                            self.add(format!("{g}:{a}"), v.clone(), format!("{prefix}{name}"));
                        }
                        _ => self.warnings.push(format!(
                            "{prefix}{name}: no groupId, artifactId and version"
                        )),
                    }
                } else {
                    manifest_text = Some(text);
                }
            } else if depth + 1 < MAX_DEPTH && is_archive_name(&name) {
                nested.push(i);
            }
        }
        if !found_pom
            && let Some(text) = manifest_text
            && let Some((n, v)) = manifest_package(file_name, &manifest(&text))
        {
            self.add(n, v, format!("{prefix}{MANIFEST}"));
        }
        for i in nested {
            let Ok(mut f) = zip.by_index(i) else {
                continue;
            };
            let name = f.name().to_string();
            let data = match read_member(&mut f, MAX_NESTED, &mut self.budget, &name) {
                Ok(d) => d,
                Err(e) => {
                    self.warnings.push(format!("{}{e}", shown(prefix)));
                    continue;
                }
            };
            drop(f);
            if let Err(e) = self.archive(&data, &format!("{prefix}{name}!/"), &name, depth + 1) {
                self.warnings.push(e);
            }
        }
        Ok(())
    }
}

fn shown(prefix: &str) -> String {
    match prefix.strip_suffix("!/") {
        Some(p) => format!("{p}: "),
        None => String::new(),
    }
}

/// The Maven artifacts of a Java archive at tree path `path`.
pub fn reduce(path: &str, bytes: &[u8]) -> Result<Option<SourceFile>, String> {
    let mut r = Reader {
        budget: MAX_TOTAL,
        packages: BTreeMap::new(),
        warnings: Vec::new(),
    };
    let file_name = path.rsplit('/').next().unwrap_or(path);
    r.archive(bytes, "", file_name, 0)?;
    if r.packages.is_empty() {
        // Problems with members matter only when nothing was found.
        return match r.warnings.first() {
            Some(w) if r.warnings.len() == 1 => Err(w.clone()),
            Some(w) => Err(format!("{w} (and {} more problems)", r.warnings.len() - 1)),
            None => Ok(None),
        };
    }
    let mut source = SourceFile::new("", FORMAT, Ecosystem::MAVEN);
    source.packages = r.packages.into_values().collect();
    Ok(Some(source))
}

/// Add a reduced, non-grouped source to `out`; for Java archives, the
/// packages guessed from a `MANIFEST.MF` go to a separate `jar-manifest`
/// source.
pub fn split_manifest_packages(mut source: SourceFile, out: &mut Vec<SourceFile>) {
    if source.format != FORMAT {
        out.push(source);
        return;
    }
    let (guessed, sure): (Vec<Package>, Vec<Package>) = source
        .packages
        .drain(..)
        .partition(|p| p.locations.iter().all(|l| l.path.ends_with(MANIFEST)));
    if !guessed.is_empty() {
        let mut m = SourceFile::new(source.path.clone(), MANIFEST_FORMAT, Ecosystem::MAVEN);
        m.packages = guessed;
        if sure.is_empty() {
            out.push(m);
            return;
        }
        source.packages = sure;
        out.push(source);
        out.push(m);
    } else {
        source.packages = sure;
        out.push(source);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_guesses() {
        let mf = manifest(
            "Manifest-Version: 1.0\r\nImplementation-Vendor-Id: org.ex\r\nImplementation-Version: 2.\r\n 5\r\n\r\nName: x\r\n",
        );
        assert_eq!(
            manifest_package("lib/foo-bar-2.5.jar", &mf),
            Some(("org.ex:foo-bar".to_string(), "2.5".to_string()))
        );
        let mf = manifest(
            "Bundle-SymbolicName: com.acme.widget;singleton:=true\nBundle-Version: 1.0.0\n",
        );
        assert_eq!(
            manifest_package("widget-1.0.0.jar", &mf),
            Some(("com.acme:widget".to_string(), "1.0.0".to_string()))
        );
        let mf = manifest("Bundle-SymbolicName: org.apache.commons.lang3\n");
        assert_eq!(manifest_package("commons-lang3-3.12.0.jar", &mf), None);
        assert_eq!(
            split_file_version("a-b-1.0-SNAPSHOT"),
            ("a-b", "1.0-SNAPSHOT")
        );
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(
            reduce("x.jar", b"PK\x03\x04garbage")
                .unwrap_err()
                .contains("zip")
        );
        assert!(reduce("x.jar", b"").is_err());
    }
}
