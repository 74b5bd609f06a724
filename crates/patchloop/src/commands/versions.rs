//! `patchloop versions compare|sort`: the matcher's exact version ordering.

use std::io::BufRead;

use anyhow::{Result, bail};
use patchloop_model::Ecosystem;
use patchloop_version::{Scheme, Version};

use crate::cli::{VersionsArgs, VersionsCommand};
use crate::exit;
use crate::output::emit;
use crate::ui;

fn scheme_of(name: &str) -> Result<Scheme> {
    let alias = match name.to_ascii_lowercase().as_str() {
        "deb" | "dpkg" => Some(Scheme::Debian),
        "rpm" => Some(Scheme::Rpm),
        "apk" => Some(Scheme::Alpine),
        "semver" => Some(Scheme::SemVer),
        "pep440" => Some(Scheme::Pep440),
        _ => None,
    };
    if let Some(s) = alias {
        return Ok(s);
    }
    let eco = Ecosystem::from_user(name);
    match Scheme::for_ecosystem(&eco) {
        Some(s) => Ok(s),
        None => bail!("no version rules for ecosystem `{name}`"),
    }
}

pub fn run(cmd: VersionsCommand) -> Result<u8> {
    match cmd {
        VersionsCommand::Compare(a) => compare(a),
        VersionsCommand::Sort(a) => sort(a),
    }
}

fn compare(a: VersionsArgs) -> Result<u8> {
    let scheme = scheme_of(&a.ecosystem)?;
    let mut out = String::new();
    let mut bad = false;
    for (i, line) in std::io::stdin().lock().lines().enumerate() {
        let line = line?;
        let mut parts = line.split_whitespace();
        let (Some(x), Some(y), None) = (parts.next(), parts.next(), parts.next()) else {
            if line.trim().is_empty() {
                out.push('\n');
                continue;
            }
            ui::error(&format!("stdin:{}: expected two versions `A B`", i + 1));
            out.push_str("ERR\n");
            bad = true;
            continue;
        };
        match scheme.compare(x, y) {
            Ok(o) => out.push_str(match o {
                std::cmp::Ordering::Less => "-1\n",
                std::cmp::Ordering::Equal => "0\n",
                std::cmp::Ordering::Greater => "1\n",
            }),
            Err(e) => {
                ui::error(&format!("stdin:{}: {e}", i + 1));
                out.push_str("ERR\n");
                bad = true;
            }
        }
    }
    emit(a.output.output.as_deref(), &out)?;
    Ok(if bad { exit::USAGE } else { exit::OK })
}

fn sort(a: VersionsArgs) -> Result<u8> {
    let scheme = scheme_of(&a.ecosystem)?;
    let mut parsed: Vec<(Version, String)> = Vec::new();
    let mut bad = false;
    for (i, line) in std::io::stdin().lock().lines().enumerate() {
        let line = line?;
        let v = line.trim();
        if v.is_empty() {
            continue;
        }
        match scheme.parse(v) {
            Ok(p) => parsed.push((p, v.to_string())),
            Err(e) => {
                ui::error(&format!("stdin:{}: {e}", i + 1));
                bad = true;
            }
        }
    }
    // Stable: versions that compare equal keep their input order.
    parsed.sort_by(|x, y| x.0.cmp_same(&y.0).unwrap_or(std::cmp::Ordering::Equal));
    let mut out = String::new();
    for (_, s) in parsed {
        out.push_str(&s);
        out.push('\n');
    }
    emit(a.output.output.as_deref(), &out)?;
    Ok(if bad { exit::USAGE } else { exit::OK })
}
