//! Diagnostics on stderr, colors and verbosity.

use std::io::Write;

use anstream::eprintln;
use patchloop_model::{Diagnostic, DiagnosticLevel};

use crate::cli::{ColorChoice, GlobalArgs};

static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn init(g: &GlobalArgs) {
    let choice = match g.color {
        ColorChoice::Always => anstream::ColorChoice::Always,
        ColorChoice::Never => anstream::ColorChoice::Never,
        ColorChoice::Auto => {
            if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                anstream::ColorChoice::Never
            } else {
                anstream::ColorChoice::Auto
            }
        }
    };
    choice.write_global();
    QUIET.store(g.quiet, std::sync::atomic::Ordering::Relaxed);
    let level = if g.quiet {
        "error"
    } else {
        match g.verbose {
            0 => "warn",
            1 => "info",
            2 => "debug",
            _ => "trace",
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PATCHLOOP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .without_time()
        .with_ansi(anstream::stderr().current_choice() != anstream::ColorChoice::Never)
        .with_writer(std::io::stderr)
        .try_init();
}

pub fn quiet() -> bool {
    QUIET.load(std::sync::atomic::Ordering::Relaxed)
}

const RED: anstyle::Style = anstyle::AnsiColor::Red.on_default().bold();
const YELLOW: anstyle::Style = anstyle::AnsiColor::Yellow.on_default().bold();
const DIM: anstyle::Style = anstyle::Style::new().dimmed();

pub fn error(msg: &str) {
    eprintln!("{RED}error{RED:#}: {msg}");
}

pub fn warn(msg: &str) {
    if !quiet() {
        eprintln!("{YELLOW}warning{YELLOW:#}: {msg}");
    }
}

pub fn note(msg: &str) {
    if !quiet() {
        eprintln!("{DIM}{msg}{DIM:#}");
    }
}

/// Print a diagnostic about an input file (errors always, warnings unless
/// quiet).
pub fn diagnostic(d: &Diagnostic) {
    let loc = match d.line {
        Some(l) => format!("{}:{l}", d.path),
        None => d.path.clone(),
    };
    match d.level {
        DiagnosticLevel::Error => error(&format!("{loc}: {}", d.message)),
        DiagnosticLevel::Warning => warn(&format!("{loc}: {}", d.message)),
    }
    let _ = std::io::stderr().flush();
}
