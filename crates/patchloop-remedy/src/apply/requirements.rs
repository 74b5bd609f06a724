//! requirements.txt: the `name==from` pin becomes `name==to`; extras,
//! markers, comments, spacing and line endings are kept. A pin with
//! `--hash` options is refused: the hashes of the new version are not
//! known, and pip would reject the old ones.

use std::path::Path;

use patchloop_model::{Change, Strategy};

use super::drivers::{read, write};

pub(crate) fn preflight(change: &Change) -> Result<(), String> {
    match change.strategy {
        Strategy::BumpParent => Err(format!(
            "parent bumps are not made in requirements files: {}",
            change.action
        )),
        _ => Ok(()),
    }
}

fn normalize(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// In one logical requirement line: the byte range of the version of an
/// `==`/`===` pin of `name`.
fn pin_span(line: &str, name: &str) -> Option<(usize, usize)> {
    let t = line.trim_start();
    let off = line.len() - t.len();
    if t.starts_with('#') || t.starts_with('-') {
        return None;
    }
    let end = t
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(t.len());
    if end == 0 || normalize(&t[..end]) != normalize(name) {
        return None;
    }
    let mut i = end;
    let rest = &t[i..];
    let r = rest.trim_start();
    i += rest.len() - r.len();
    if r.starts_with('[') {
        i += r.find(']')? + 1;
    }
    let rest = &t[i..];
    let r = rest.trim_start();
    i += rest.len() - r.len();
    let op = if r.starts_with("===") {
        3
    } else if r.starts_with("==") {
        2
    } else {
        return None;
    };
    i += op;
    let rest = &t[i..];
    let r = rest.trim_start();
    i += rest.len() - r.len();
    let vlen = r
        .find(|c: char| c.is_whitespace() || matches!(c, ';' | ',' | '#' | '\\'))
        .unwrap_or(r.len());
    if vlen == 0 {
        return None;
    }
    Some((off + i, off + i + vlen))
}

/// Rewrite the pin; `Err` is a refusal.
pub(crate) fn edit(text: &str, rel: &str, change: &Change) -> Result<String, String> {
    let mut out = String::with_capacity(text.len() + 8);
    let mut found = 0;
    let mut hashed_line = None;
    // Physical lines with their endings; logical lines join `\` endings.
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut i = 0;
    while i < lines.len() {
        let start = i;
        while lines[i].trim_end_matches(['\n', '\r']).ends_with('\\') && i + 1 < lines.len() {
            i += 1;
        }
        let logical: String = lines[start..=i].concat();
        i += 1;
        let first = lines[start];
        match pin_span(first, &change.package) {
            Some((a, b)) if first[a..b] == change.from => {
                if logical.contains("--hash") {
                    hashed_line = Some(start + 1);
                    out.push_str(&logical);
                    continue;
                }
                found += 1;
                out.push_str(&first[..a]);
                out.push_str(&change.to);
                out.push_str(&first[b..]);
                out.push_str(&logical[first.len()..]);
            }
            _ => out.push_str(&logical),
        }
    }
    if let Some(l) = hashed_line {
        return Err(format!(
            "{rel}:{l}: the pin of {} carries --hash options: the hashes of {} are not known here and pip would reject the old ones; regenerate the file (pip-compile --generate-hashes, uv pip compile --generate-hashes)",
            change.package, change.to
        ));
    }
    if found == 0 {
        return Err(format!(
            "{rel}: no `{}=={}` line to change (the version may come from a range, -r/-c include or a constraint file)",
            change.package, change.from
        ));
    }
    Ok(out)
}

pub(crate) fn apply(change: &Change, file: &Path, rel: &str) -> Result<String, String> {
    let text = read(file)?;
    let new = edit(&text, rel, change)?;
    write(file, &new)?;
    Ok(format!(
        "{rel}: {}=={} → {}=={}",
        change.package, change.from, change.package, change.to
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchloop_model::{Ecosystem, Relation, UpdateType};

    fn change(pkg: &str, from: &str, to: &str) -> Change {
        Change {
            ecosystem: Ecosystem::PYPI,
            package: pkg.into(),
            file: "requirements.txt".into(),
            from: from.into(),
            to: to.into(),
            update: UpdateType::Patch,
            relation: Relation::Direct,
            strategy: Strategy::ManifestBump,
            parent: None,
            path: None,
            fixes: vec![],
            within_range: None,
            risk_note: String::new(),
            action: String::new(),
            versions_from: "advisories".into(),
        }
    }

    #[test]
    fn edits_only_the_version() {
        let t = "# comment\nrequests==2.0.0\nJinja2[i18n] == 2.10 ; python_version < \"3.12\"  # templates\r\nother==2.0.0\nflask>=2.0\n";
        let out = edit(t, "r.txt", &change("jinja2", "2.10", "2.10.1")).unwrap();
        assert_eq!(
            out,
            t.replace("== 2.10 ;", "== 2.10.1 ;"),
            "extras, markers, spacing, comments and CRLF kept"
        );
        let out = edit(t, "r.txt", &change("Requests", "2.0.0", "2.31.0")).unwrap();
        assert!(out.contains("requests==2.31.0\n") && out.contains("other==2.0.0\n"));
        // Names normalize per PEP 503.
        let out = edit(
            "zope.interface==5.0\n",
            "r",
            &change("zope-interface", "5.0", "5.1"),
        )
        .unwrap();
        assert_eq!(out, "zope.interface==5.1\n");
        // No pin, another version, a range.
        let e = edit(t, "r.txt", &change("flask", "2.0", "2.1")).unwrap_err();
        assert!(e.contains("no `flask==2.0` line"), "{e}");
        assert!(edit(t, "r.txt", &change("requests", "1.0", "2.0")).is_err());
        assert!(edit("-r other.txt\n", "r", &change("r", "1", "2")).is_err());
    }

    #[test]
    fn refuses_hashed_pins() {
        let t =
            "urllib3==1.26.0 \\\n    --hash=sha256:aaaa \\\n    --hash=sha256:bbbb\nidna==3.0\n";
        let e = edit(
            t,
            "requirements.txt",
            &change("urllib3", "1.26.0", "1.26.19"),
        )
        .unwrap_err();
        assert!(e.starts_with("requirements.txt:1: "), "{e}");
        assert!(e.contains("--hash"), "{e}");
        // Continuation lines of another pin are kept as they are.
        let out = edit(t, "r", &change("idna", "3.0", "3.7")).unwrap();
        assert!(out.starts_with("urllib3==1.26.0 \\\n    --hash=sha256:aaaa"));
        assert!(out.ends_with("idna==3.7\n"));
    }
}
