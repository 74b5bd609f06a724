//! One module per subcommand.

pub mod apply;
pub mod db;
mod inventory;
pub mod ledger;
pub mod plan;
pub mod report;
pub mod rollout;
pub mod scan;
mod versions;
pub mod vex;

use anyhow::Result;

use crate::cli::Command;

pub fn run(cmd: Command) -> Result<u8> {
    match cmd {
        Command::Inventory(a) => inventory::run(a),
        Command::Formats => inventory::formats(),
        Command::Versions(v) => versions::run(v),
        Command::Db(a) => db::run(a),
        Command::Scan(a) => scan::run(a),
        Command::Explain(a) => scan::explain(a),
        Command::Plan(a) => plan::run(a),
        Command::Ledger(a) => ledger::run(a),
        Command::Approve(a) => ledger::decide(a, true),
        Command::Reject(a) => ledger::decide(a, false),
        Command::Close(a) => ledger::close(a),
        Command::Exception(a) => ledger::exception(a),
        Command::Vex(a) => vex::run(a),
        Command::Report(a) => report::run(a),
        Command::Apply(a) => apply::run(a),
        Command::Promote(a) => rollout::promote(a),
        Command::Verify(a) => rollout::verify(a),
        Command::Rollback(a) => rollout::rollback(a),
    }
}

/// The package registries, from the environment
/// (`PATCHLOOP_REGISTRY_<NAME>_URL`, docs/registries.md), cached under
/// `PATCHLOOP_CACHE_DIR`, else `<cache dir>/patchloop/registries`.
pub fn registries() -> Result<Box<dyn patchloop_remedy::registry::VersionSource>> {
    use patchloop_remedy::registry::{Registries, RegistryConfig};
    let mut cfg = RegistryConfig::from_env();
    cfg.cache_dir = std::env::var_os("PATCHLOOP_CACHE_DIR")
        .map(std::path::PathBuf::from)
        .or_else(|| patchloop_feeds::config::cache_dir().map(|d| d.join("patchloop")))
        .map(|d| d.join("registries"));
    cfg.fetch.timeout = std::time::Duration::from_secs(20);
    cfg.fetch.retries = 1;
    Ok(Box::new(Registries::new(cfg)))
}

/// Format seconds since the epoch as RFC 3339 UTC (`2026-11-26T18:41:13Z`).
pub fn fmt_rfc3339(secs: i64) -> String {
    patchloop_feeds::timefmt::format_us(secs.saturating_mul(1_000_000))
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339() {
        assert_eq!(super::fmt_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::fmt_rfc3339(1_795_718_473), "2026-11-26T18:41:13Z");
    }
}
