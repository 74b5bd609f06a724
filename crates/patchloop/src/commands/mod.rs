//! One module per subcommand.

pub mod db;
mod inventory;

use anyhow::Result;

use crate::cli::Command;

pub fn run(cmd: Command) -> Result<u8> {
    match cmd {
        Command::Inventory(a) => inventory::run(a),
        Command::Formats => inventory::formats(),
        Command::Db(a) => db::run(a),
    }
}

/// Format seconds since the epoch as RFC 3339 UTC (`2026-11-26T18:41:13Z`).
pub fn fmt_rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339() {
        assert_eq!(super::fmt_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::fmt_rfc3339(1_795_718_473), "2026-11-26T18:41:13Z");
    }
}
