//! Command-line interface definition (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// patchloop: patch management that closes the loop, from inventory to
/// verified deployment.
#[derive(Debug, Parser)]
#[command(name = "patchloop", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Print less: only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more diagnostics on stderr (repeat for debug output).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// When to use colors (NO_COLOR in the environment means never unless
    /// `always` is given).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the packages in use: reads lockfiles, manifests and SBOMs.
    Inventory(InventoryArgs),
    /// Find known vulnerabilities in the packages in use (inventory +
    /// advisory database).
    Scan(crate::commands::scan::ScanArgs),
    /// Explain one vulnerability in one project: every signal, where it
    /// came from, and how it moved the decision.
    Explain(crate::commands::scan::ExplainArgs),
    /// Plan the smallest safe change for each vulnerable package, grouped
    /// into branches and ordered by priority.
    Plan(crate::commands::plan::PlanArgs),
    /// Apply a plan: each group on its own branch `patchloop/<id>`, made in
    /// a temporary git worktree, re-scanned, tested and committed.
    Apply(crate::commands::apply::ApplyArgs),
    /// The signed, hash-chained patch ledger: list, show, export, verify.
    Ledger(crate::commands::ledger::LedgerArgs),
    /// Record an approval of a patch in the ledger.
    Approve(crate::commands::ledger::ApproveArgs),
    /// Record a rejection of a patch in the ledger.
    Reject(crate::commands::ledger::ApproveArgs),
    /// Close an applied patch (deployed and verified): records `closed`
    /// with the vulnerabilities it fixed.
    Close(crate::commands::ledger::ApproveArgs),
    /// Record an accepted risk in the ledger: owner, reason, expiry.
    Exception(crate::commands::ledger::ExceptionArgs),
    /// SLA compliance and open risk from the ledger: open findings by
    /// priority, overdue, time to remediate, % within SLA (table, JSON,
    /// Markdown, or the HTML report).
    Report(crate::commands::report::ReportArgs),
    /// Promote a patch to the next rollout ring (soak time and approvals
    /// are checked).
    Promote(crate::commands::rollout::PromoteArgs),
    /// Run a ring's deployment checks for a patch (rolls back on failure
    /// when the ring says so).
    Verify(crate::commands::rollout::VerifyArgs),
    /// Roll a patch back: revert its applied commit on the current branch.
    Rollback(crate::commands::rollout::RollbackArgs),
    /// VEX documents: export OpenVEX 0.2 or CycloneDX VEX.
    Vex(crate::commands::vex::VexArgs),
    /// List the supported file formats.
    Formats,
    /// The local advisory database: import, sync and status (OSV, CISA KEV, FIRST EPSS).
    Db(crate::commands::db::DbArgs),
    /// Order versions exactly as the matcher does (audits, debugging).
    #[command(subcommand)]
    Versions(VersionsCommand),
}

#[derive(Debug, Subcommand)]
pub enum VersionsCommand {
    /// Compare pairs: lines `A B` on stdin, one of -1, 0, 1 per line on
    /// stdout (`ERR` for a line with an invalid version; exit 2).
    Compare(VersionsArgs),
    /// Sort versions (one per line on stdin) in ascending order.
    Sort(VersionsArgs),
}

#[derive(Debug, Args)]
pub struct VersionsArgs {
    /// Ecosystem whose rules apply: an OSV name (`crates.io`, `PyPI`,
    /// `Debian:12`, ...) or a common alias (`cargo`, `pypi`, `deb`, `rpm`).
    #[arg(short, long, value_name = "ECOSYSTEM")]
    pub ecosystem: String,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InventoryFormat {
    /// A readable table per file.
    Table,
    /// patchloop's stable JSON (schema patchloop.inventory/v1).
    Json,
    /// CycloneDX 1.6 JSON.
    Cyclonedx,
    /// SPDX 2.3 JSON.
    Spdx,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Write the report to FILE instead of stdout (written atomically).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// A host file system or a container image to read as a whole, besides
/// (or instead of) the PATHs: shared by `inventory`, `scan`, `explain` and
/// `plan`.
#[derive(Debug, Args, Clone, Default)]
pub struct TargetArgs {
    /// Read a host or unpacked file system: OS package databases and
    /// language packages anywhere in it (symbolic links are not followed;
    /// stays on DIR's device; on `/`, skips proc, sys, dev and run).
    #[arg(long, value_name = "DIR", conflicts_with = "image")]
    pub rootfs: Option<PathBuf>,
    /// Read a container image: a `docker save` archive, or an OCI image
    /// layout (directory or tar), or `docker://HOST[:PORT]/REPO[:TAG|@DIGEST]`
    /// from a registry. Layers are streamed, never extracted.
    #[arg(long, value_name = "FILE|docker://REF")]
    pub image: Option<PathBuf>,
    /// With a docker:// image: a registry (HOST[:PORT]) spoken to over plain
    /// http (loopback hosts always are). Repeatable.
    #[arg(long, value_name = "HOST[:PORT]", requires = "image")]
    pub insecure_registry: Vec<String>,
    /// The platform to read from a multi-platform image (default
    /// linux/amd64, or the only one).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", requires = "image")]
    pub platform: Option<String>,
    /// Count the image's first N layers as its base image (default: from
    /// the base-image annotation, else guessed from the history).
    #[arg(long, value_name = "N", requires = "image")]
    pub base_layers: Option<u32>,
    /// With --rootfs: also descend into other mounted file systems.
    #[arg(long, requires = "rootfs")]
    pub cross_devices: bool,
}

#[derive(Debug, Args)]
pub struct InventoryArgs {
    /// Files or directories to read (default: the current directory, unless
    /// --rootfs or --image is given).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = InventoryFormat::Table)]
    pub format: InventoryFormat,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Skip paths matching GLOB (relative to each given directory; a bare
    /// name matches at any depth). Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Also walk .git, node_modules, target, vendor and virtualenvs.
    #[arg(long)]
    pub no_default_excludes: bool,
    /// Treat unreadable or malformed files as a failure (exit 2).
    #[arg(long)]
    pub strict: bool,
    /// Largest file read, in bytes; larger files are reported and skipped.
    #[arg(long, value_name = "BYTES", default_value_t = 256 * 1024 * 1024)]
    pub max_file_size: u64,
    /// Name of the project in SBOM output (default: the first path's name).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

/// The subcommands a CI job runs on every build, parsed by a command tree
/// that holds only them ([`parse`]).
#[derive(Debug, Parser)]
#[command(name = "patchloop", version, propagate_version = true)]
struct Hot {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: HotCommand,
}

#[derive(Debug, Subcommand)]
enum HotCommand {
    Inventory(InventoryArgs),
    Scan(crate::commands::scan::ScanArgs),
}

/// The subcommand an argument list names, if it is `scan` or `inventory`
/// and asks for no help or version text: the first argument that is not
/// a global option (`-q`, `-v`, `--color WHEN`).
fn hot_subcommand(args: &[std::ffi::OsString]) -> Option<&'static str> {
    let help = |a: &str| {
        matches!(a, "--help" | "--version" | "help")
            || (a.starts_with('-') && !a.starts_with("--") && (a.contains('h') || a.contains('V')))
    };
    if args.iter().skip(1).any(|a| a.to_str().is_none_or(help)) {
        return None;
    }
    let mut rest = args.iter().skip(1).map(|a| a.to_str().unwrap_or(""));
    while let Some(a) = rest.next() {
        match a {
            "--color" => {
                rest.next()?;
            }
            "scan" => return Some("scan"),
            "inventory" => return Some("inventory"),
            _ if a.starts_with('-') => {}
            _ => return None,
        }
    }
    None
}

/// Parse the command line. Building clap's tree of every subcommand and
/// option costs more than a whole `scan` of a small lockfile spends on some
/// of its steps (0.9 M instructions and ~130 fresh pages), so `scan` and
/// `inventory` are parsed by a tree of their own. Anything else, and any
/// error or request for help or the version, goes through the full tree,
/// which gives the same results and messages as before (a test compares
/// both parsers on the hot subcommands).
pub fn parse() -> Result<Cli, clap::Error> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    parse_from(args)
}

/// [`parse`] of the given arguments (the first is the program name).
pub fn parse_from(args: Vec<std::ffi::OsString>) -> Result<Cli, clap::Error> {
    if hot_subcommand(&args).is_some()
        && let Ok(hot) = Hot::try_parse_from(&args)
    {
        return Ok(Cli {
            global: hot.global,
            command: match hot.command {
                HotCommand::Inventory(a) => Command::Inventory(a),
                HotCommand::Scan(a) => Command::Scan(a),
            },
        });
    }
    Cli::try_parse_from(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(args: &[&str]) -> String {
        match Cli::try_parse_from(args) {
            Ok(c) => format!("{c:?}"),
            Err(e) => format!("error: {e}"),
        }
    }

    fn ours(args: &[&str]) -> String {
        match parse_from(args.iter().map(Into::into).collect()) {
            Ok(c) => format!("{c:?}"),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn hot_parser_agrees_with_the_full_tree() {
        let cases: &[&[&str]] = &[
            &["patchloop", "scan"],
            &[
                "patchloop",
                "-q",
                "scan",
                "--db",
                "s.db",
                "-f",
                "json",
                "-o",
                "/dev/null",
                "Cargo.lock",
            ],
            &[
                "patchloop",
                "--color",
                "never",
                "-vv",
                "scan",
                "--fail-on",
                "high",
                "a",
                "b",
            ],
            &[
                "patchloop",
                "--color=always",
                "scan",
                "--sbom",
                "bom.json",
                "--max-age",
                "7d",
            ],
            &["patchloop", "scan", "--no-state", "--format", "sarif", "-q"],
            &[
                "patchloop",
                "scan",
                "--image",
                "img.tar",
                "--platform",
                "linux/amd64",
            ],
            &[
                "patchloop",
                "inventory",
                "-f",
                "cyclonedx",
                "--exclude",
                "x",
                "--strict",
                ".",
            ],
            &[
                "patchloop",
                "-q",
                "inventory",
                "--rootfs",
                "/",
                "--cross-devices",
            ],
            // Errors: the hot parser fails, the full tree reports.
            &["patchloop", "scan", "--no-such-flag"],
            &["patchloop", "scan", "--fail-on", "severe"],
            &["patchloop", "-q", "-v", "scan"],
            &["patchloop", "inventory", "--cross-devices"],
            // Not hot: straight to the full tree.
            &["patchloop", "db", "status"],
            &["patchloop", "versions", "sort", "-e", "npm"],
            &["patchloop", "plan", "--db", "x"],
        ];
        for args in cases {
            assert_eq!(ours(args), full(args), "{args:?}");
        }
    }

    #[test]
    fn help_and_version_take_the_full_tree() {
        for args in [
            &["patchloop", "scan", "--help"][..],
            &["patchloop", "scan", "-h"],
            &["patchloop", "-qh", "scan"],
            &["patchloop", "-V", "scan"],
            &["patchloop", "help", "scan"],
            &["patchloop", "scan", "--version"],
        ] {
            let a: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
            assert_eq!(hot_subcommand(&a), None, "{args:?}");
        }
        let a: Vec<std::ffi::OsString> = ["patchloop", "--color", "scan", "inventory"]
            .iter()
            .map(Into::into)
            .collect();
        // `scan` is the value of --color here; the subcommand is `inventory`.
        assert_eq!(hot_subcommand(&a), Some("inventory"));
    }
}
