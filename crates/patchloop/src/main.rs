//! The `patchloop` binary: argument parsing and rendering only; the work is
//! done by the library crates.

mod cli;
mod commands;
mod json;
mod output;
mod ui;

use std::process::ExitCode;

mod alloc;

/// mimalloc (`alloc.rs`): parsers allocate many small strings; with the
/// system allocator, allocation was ~15-20% of an inventory run
/// (docs/performance.md).
#[global_allocator]
static GLOBAL: alloc::MiMalloc = alloc::MiMalloc;

/// Exit codes (documented in README and docs/cli.md).
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// Findings or a policy failure, for commands that gate.
    pub const FINDINGS: u8 = 1;
    /// Usage or input error.
    pub const USAGE: u8 = 2;
}

fn main() -> ExitCode {
    let cli = match cli::parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    ui::init(&cli.global);
    match commands::run(cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            ui::error(&format!("{e:#}"));
            ExitCode::from(exit::USAGE)
        }
    }
}
