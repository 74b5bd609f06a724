//! The `patchloop` binary: argument parsing and rendering only; the work is
//! done by the library crates.

mod cli;
mod commands;
mod output;
mod ui;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc: parsers allocate many small strings; with the system
/// allocator, allocation was ~15-20% of an inventory run
/// (docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc commits its arenas eagerly by default, and with transparent
/// huge pages (`madvise` mode) every arena touched costs a 2 MiB page: a
/// scan of a 1,000-crate Cargo.lock peaked at 32 MB instead of 16 MB, with
/// no speed gained (docs/performance.md, "Memory"). The option must be set
/// before mimalloc initializes, which happens before `main` (Rust's runtime
/// allocates during start-up), so it is set from `.preinit_array`, which
/// the dynamic loader runs before any constructor of the executable.
#[cfg(target_os = "linux")]
mod allocator_options {
    use std::ffi::{c_int, c_long};

    unsafe extern "C" {
        /// `mi_option_set` from the mimalloc library linked by `libmimalloc-sys`.
        fn mi_option_set(option: c_int, value: c_long);
    }

    /// `mi_option_arena_eager_commit` in mimalloc 2's `mi_option_e`.
    const MI_OPTION_ARENA_EAGER_COMMIT: c_int = 4;

    extern "C" fn set_options() {
        // SAFETY: mi_option_set only stores the value in mimalloc's static
        // option table; it allocates nothing and is valid before mimalloc's
        // own initialization, which keeps options already set.
        unsafe { mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0) }
    }

    #[used]
    #[unsafe(link_section = ".preinit_array")]
    static SET_OPTIONS: extern "C" fn() = set_options;
}

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
    let cli = match cli::Cli::try_parse() {
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
