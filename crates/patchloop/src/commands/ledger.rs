//! `patchloop ledger list|show|export|verify`, `approve`, `reject`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Result, anyhow};
use clap::{Args, Subcommand, ValueEnum};
use comfy_table::{ContentArrangement, Table, presets};
use patchloop_ledger::ledger::{Key, Ledger, Record};
use serde_json::json;

use crate::cli::OutputArgs;
use crate::exit;
use crate::output::{emit, emit_with};
use crate::ui;

/// Where the ledger and the signing key are.
#[derive(Debug, Args, Clone)]
pub struct LedgerLocation {
    /// The lifecycle store holding the ledger (default: `state.db` beside
    /// the default advisory database).
    #[arg(long, global = true, value_name = "PATH", env = "PATCHLOOP_STATE")]
    pub state: Option<PathBuf>,
    /// The Ed25519 signing key (created on first use; default:
    /// `<config dir>/patchloop/ledger.key`).
    #[arg(long, global = true, value_name = "PATH", env = "PATCHLOOP_LEDGER_KEY")]
    pub key: Option<PathBuf>,
}

impl LedgerLocation {
    pub fn state_path(&self) -> Result<PathBuf> {
        match &self.state {
            Some(p) => Ok(p.clone()),
            None => Ok(std::env::var_os("PATCHLOOP_DB")
                .map(PathBuf::from)
                .or_else(patchloop_feeds::default_db_path)
                .ok_or_else(|| anyhow!("cannot find a data directory: give --state PATH"))?
                .with_file_name("state.db")),
        }
    }

    pub fn key_path(&self) -> Result<PathBuf> {
        match &self.key {
            Some(p) => Ok(p.clone()),
            None => {
                let base = std::env::var_os("PATCHLOOP_CONFIG")
                    .map(PathBuf::from)
                    .and_then(|p| p.parent().map(|d| d.to_path_buf()))
                    .or_else(|| {
                        patchloop_feeds::config::user_config_path()
                            .and_then(|p| p.parent().map(|d| d.to_path_buf()))
                    })
                    .ok_or_else(|| {
                        anyhow!("cannot find a configuration directory: give --key PATH")
                    })?;
                Ok(base.join("ledger.key"))
            }
        }
    }

    pub fn open(&self) -> Result<Ledger> {
        Ok(Ledger::open(&self.state_path()?)?)
    }

    pub fn load_key(&self) -> Result<Key> {
        Ok(Key::load_or_create(&self.key_path()?)?)
    }
}

#[derive(Debug, Args)]
pub struct LedgerArgs {
    #[command(flatten)]
    pub loc: LedgerLocation,
    #[command(subcommand)]
    pub command: LedgerCommand,
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Records, oldest first.
    List(ListArgs),
    /// Every record of one patch.
    Show(ShowArgs),
    /// Export the ledger (JSON Lines, CSV, Markdown, HTML report, in-toto
    /// statement of one patch).
    Export(ExportArgs),
    /// Check every hash, link, sequence number and signature.
    Verify(VerifyArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this patch.
    #[arg(long)]
    pub patch: Option<String>,
    /// Only this kind of event.
    #[arg(long)]
    pub kind: Option<String>,
    #[arg(short, long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The patch id (plan group id).
    pub patch: String,
    #[arg(short, long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// One record per line, as stored (verifiable with `ledger verify --file`).
    Jsonl,
    Csv,
    Markdown,
    /// The self-contained HTML report (as `patchloop report -f html`).
    Html,
    /// An in-toto Statement v1 of one patch (`--patch`) in a DSSE envelope
    /// signed with the ledger key.
    Intoto,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(short, long, value_enum, default_value_t = ExportFormat::Jsonl)]
    pub format: ExportFormat,
    /// The patch of `-f intoto`.
    #[arg(long, value_name = "PATCH")]
    pub patch: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Also trust this public key (hex). Repeatable. The key of `--key` is
    /// always trusted.
    #[arg(long, value_name = "HEX")]
    pub trust: Vec<String>,
    /// The expected hash of the last record (from an earlier export or
    /// statement): detects records removed from the end.
    #[arg(long, value_name = "HASH")]
    pub head: Option<String>,
    /// Verify a JSON Lines export instead of the stored ledger.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The patch id (plan group id).
    pub patch: String,
    /// Who approves (or rejects).
    #[arg(long, value_name = "NAME")]
    pub by: String,
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// The project (default: the current directory's absolute path, or
    /// `[project] name` of ./patchloop.toml).
    #[arg(long)]
    pub project: Option<String>,
    #[command(flatten)]
    pub loc: LedgerLocation,
}

pub fn now_rfc3339() -> Result<String> {
    Ok(patchloop_feeds::timefmt::format_us(
        crate::commands::db::now_us()?,
    ))
}

/// The project key: `[project] name` of ./patchloop.toml, else the
/// current directory.
pub fn default_project() -> String {
    if let Ok(Some(p)) = patchloop_risk::Policy::load(std::path::Path::new("patchloop.toml"))
        && let Some(n) = p.project
    {
        return n;
    }
    std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_else(|_| ".".into())
}

pub fn run(a: LedgerArgs) -> Result<u8> {
    match a.command {
        LedgerCommand::List(l) => {
            let recs: Vec<Record> = a
                .loc
                .open()?
                .records()?
                .into_iter()
                .filter(|r| l.patch.as_ref().is_none_or(|p| &r.patch == p))
                .filter(|r| l.kind.as_ref().is_none_or(|k| &r.kind == k))
                .collect();
            render(&recs, l.format, l.output.output.as_deref())
        }
        LedgerCommand::Show(s) => {
            let recs = a.loc.open()?.patch(&s.patch)?;
            if recs.is_empty() {
                ui::error(&format!("no ledger record for patch {}", s.patch));
                return Ok(exit::FINDINGS);
            }
            render(&recs, s.format, s.output.output.as_deref())
        }
        LedgerCommand::Export(e) => {
            if e.patch.is_some() && e.format != ExportFormat::Intoto {
                return Err(anyhow!("--patch goes with -f intoto"));
            }
            let recs = a.loc.open()?.records()?;
            let out = e.output.output.as_deref();
            match e.format {
                ExportFormat::Html => emit(
                    out,
                    &patchloop_ledger::html::render(
                        &recs,
                        None,
                        crate::commands::report::now_secs()?,
                    ),
                )?,
                ExportFormat::Intoto => {
                    let patch = e
                        .patch
                        .as_deref()
                        .ok_or_else(|| anyhow!("-f intoto needs --patch PATCH"))?;
                    let key = a.loc.load_key()?;
                    match patchloop_ledger::intoto::envelope(&recs, patch, &key) {
                        Ok(env) => emit_with(out, |w| {
                            serde_json::to_writer_pretty(&mut *w, &env)?;
                            w.write_all(b"\n")
                        })?,
                        Err(err) => {
                            ui::error(&err.to_string());
                            return Ok(exit::FINDINGS);
                        }
                    }
                }
                ExportFormat::Jsonl => emit_with(out, |w| {
                    for r in &recs {
                        serde_json::to_writer(&mut *w, r)?;
                        w.write_all(b"\n")?;
                    }
                    Ok(())
                })?,
                ExportFormat::Csv => emit(out, &csv(&recs))?,
                ExportFormat::Markdown => emit(out, &markdown(&recs))?,
            }
            Ok(exit::OK)
        }
        LedgerCommand::Verify(v) => {
            let key = a.loc.load_key()?;
            let mut trusted = vec![key.public_hex()];
            trusted.extend(v.trust.iter().map(|t| t.trim().to_ascii_lowercase()));
            let result = match &v.file {
                Some(f) => {
                    let text =
                        std::fs::read_to_string(f).map_err(|e| anyhow!("{}: {e}", f.display()))?;
                    let mut recs = Vec::new();
                    for (i, line) in text
                        .lines()
                        .enumerate()
                        .filter(|(_, l)| !l.trim().is_empty())
                    {
                        recs.push(serde_json::from_str::<Record>(line).map_err(|e| {
                            anyhow!("{}:{}: not a ledger record: {e}", f.display(), i + 1)
                        })?);
                    }
                    patchloop_ledger::ledger::verify_records(&recs, &trusted)
                }
                None => a.loc.open()?.verify(&trusted)?,
            };
            if let Some(fail) = &result.failure {
                ui::error(&format!(
                    "ledger verification failed at record {} (position {}): {}",
                    fail.seq, fail.position, fail.reason
                ));
                return Ok(exit::FINDINGS);
            }
            if let Some(h) = &v.head
                && !h.eq_ignore_ascii_case(&result.head)
            {
                ui::error(&format!(
                    "ledger verification failed: the last record hashes to {}, not the expected {h}: records were removed from the end or the ledger is another one",
                    result.head
                ));
                return Ok(exit::FINDINGS);
            }
            println!(
                "ledger OK: {} records, head {}, signed by {}",
                result.records,
                result.head,
                result.keys.join(", ")
            );
            Ok(exit::OK)
        }
    }
}

/// `approve` / `reject`.
pub fn decide(a: ApproveArgs, approve: bool) -> Result<u8> {
    let by = a.by.trim();
    if by.is_empty() {
        return Err(anyhow!("--by must name who decides"));
    }
    let key = a.loc.load_key()?;
    let mut ledger = a.loc.open()?;
    let project = a.project.clone().unwrap_or_else(default_project);
    let rec = ledger.append(
        &key,
        &now_rfc3339()?,
        if approve { "approved" } else { "rejected" },
        &a.patch,
        &project,
        by,
        json!({"note": a.note}),
    )?;
    println!(
        "{} {} by {} (ledger record {})",
        if approve { "approved" } else { "rejected" },
        a.patch,
        by,
        rec.seq
    );
    Ok(exit::OK)
}

#[derive(Debug, Args)]
pub struct ExceptionArgs {
    /// The vulnerability id (or alias) the exception is for.
    pub id: String,
    /// Only in this package.
    #[arg(long)]
    pub package: Option<String>,
    /// Who owns the exception (accountable for revisiting it).
    #[arg(long, value_name = "NAME")]
    pub owner: String,
    /// Why the risk is accepted.
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// Last day it applies (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub expires: String,
    #[arg(long)]
    pub project: Option<String>,
    #[command(flatten)]
    pub loc: LedgerLocation,
}

/// `exception`: record an accepted risk (who owns it, why, until when).
/// Suppressing the finding in scans is the policy's job (`[[ignore]]` with
/// the same reason and expiry); the printed snippet says how.
pub fn exception(a: ExceptionArgs) -> Result<u8> {
    if !patchloop_risk::policy::valid_date(a.expires.trim()) {
        return Err(anyhow!(
            "--expires {:?}: expected a date YYYY-MM-DD",
            a.expires
        ));
    }
    if a.owner.trim().is_empty() || a.reason.trim().is_empty() {
        return Err(anyhow!("--owner and --reason must not be empty"));
    }
    let key = a.loc.load_key()?;
    let mut ledger = a.loc.open()?;
    let project = a.project.clone().unwrap_or_else(default_project);
    let subject = match &a.package {
        Some(p) => format!("{}/{p}", a.id),
        None => a.id.clone(),
    };
    let rec = ledger.append(
        &key,
        &now_rfc3339()?,
        "exception-granted",
        &subject,
        &project,
        a.owner.trim(),
        json!({"id": a.id, "package": a.package, "reason": a.reason, "owner": a.owner.trim(), "expires": a.expires.trim()}),
    )?;
    println!(
        "exception for {subject} recorded (ledger record {}); to suppress it in scans, add to patchloop.toml:\n\n[[ignore]]\nid = {:?}\n{}reason = {:?}\nexpires = {}",
        rec.seq,
        a.id,
        a.package
            .as_deref()
            .map(|p| format!("package = {p:?}\n"))
            .unwrap_or_default(),
        format!("{} (owner: {})", a.reason, a.owner.trim()),
        a.expires.trim()
    );
    Ok(exit::OK)
}

/// `close`: the patch is done (deployed and verified); records `closed`
/// with the vulnerability ids it fixed (from its `applied` record).
pub fn close(a: ApproveArgs) -> Result<u8> {
    let by = a.by.trim();
    if by.is_empty() {
        return Err(anyhow!("--by must name who closes"));
    }
    let key = a.loc.load_key()?;
    let mut ledger = a.loc.open()?;
    let records = ledger.patch(&a.patch)?;
    let Some(applied) = records.iter().rev().find(|r| r.kind == "applied") else {
        ui::error(&format!(
            "patch {} has no applied record: apply it first (`patchloop apply`)",
            a.patch
        ));
        return Ok(exit::FINDINGS);
    };
    if records.last().is_some_and(|r| r.kind == "closed") {
        ui::error(&format!("patch {} is already closed", a.patch));
        return Ok(exit::FINDINGS);
    }
    let project = a.project.clone().unwrap_or_else(|| applied.project.clone());
    let rec = ledger.append(
        &key,
        &now_rfc3339()?,
        "closed",
        &a.patch,
        &project,
        by,
        json!({
            "fixes": applied.data.get("fixes").cloned().unwrap_or(json!([])),
            "changes": applied.data.get("changes").cloned().unwrap_or(json!([])),
            "note": a.note,
        }),
    )?;
    println!("closed {} by {} (ledger record {})", a.patch, by, rec.seq);
    Ok(exit::OK)
}

fn summary(r: &Record) -> String {
    let mut s = match &r.data {
        serde_json::Value::Object(m) => m
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}: {s}"),
                other => format!("{k}: {other}"),
            })
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    };
    if s.chars().count() > 120 {
        s = s.chars().take(119).collect::<String>() + "…";
    }
    s
}

fn render(recs: &[Record], format: ListFormat, out: Option<&std::path::Path>) -> Result<u8> {
    match format {
        ListFormat::Json => emit_with(out, |w| {
            serde_json::to_writer_pretty(&mut *w, recs)?;
            w.write_all(b"\n")
        })?,
        ListFormat::Table => {
            let mut t = Table::new();
            t.load_preset(presets::UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Disabled)
                .set_header(vec!["seq", "time", "event", "patch", "actor", "details"]);
            for r in recs {
                t.add_row(vec![
                    r.seq.to_string(),
                    r.time.clone(),
                    r.kind.clone(),
                    r.patch.clone(),
                    r.actor.clone(),
                    summary(r),
                ]);
            }
            emit(out, &format!("{t}\n"))?;
        }
    }
    Ok(exit::OK)
}

fn csv_field(s: &str) -> String {
    // Formula injection: a leading = + - @ is neutralised for spreadsheets.
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn csv(recs: &[Record]) -> String {
    let mut out = String::from("seq,time,kind,patch,project,actor,data,prev,hash,key,signature\n");
    for r in recs {
        let row = [
            r.seq.to_string(),
            r.time.clone(),
            r.kind.clone(),
            r.patch.clone(),
            r.project.clone(),
            r.actor.clone(),
            patchloop_ledger::ledger::canonical(&r.data),
            r.prev.clone(),
            r.hash.clone(),
            r.key.clone(),
            r.signature.clone(),
        ];
        out.push_str(
            &row.iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
    }
    out
}

fn markdown(recs: &[Record]) -> String {
    let esc = |s: &str| patchloop_ledger::report::markdown::escape(s, 300);
    let mut out = format!(
        "### patchloop ledger: {} records\n\n| # | Time | Event | Patch | Actor | Details | Hash |\n| --- | --- | --- | --- | --- | --- | --- |\n",
        recs.len()
    );
    for r in recs {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | `{}` |\n",
            r.seq,
            esc(&r.time),
            esc(&r.kind),
            esc(&r.patch),
            esc(&r.actor),
            esc(&summary(r)),
            r.hash.get(..12).unwrap_or(&r.hash)
        ));
    }
    out
}
