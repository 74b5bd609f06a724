//! Timestamps: OSV `modified`/`published` values, `modified_id.csv`
//! lines and sync times, as microseconds since the Unix epoch (UTC).
//!
//! The parser is deliberately lenient (RFC 3339 with any fraction and
//! offset, a space instead of `T`, no offset meaning UTC, a bare date), so
//! that records from every producer compare correctly.

/// Parse a timestamp to microseconds since 1970-01-01T00:00:00Z.
pub fn parse_us(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(r)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let year = num(0..4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let month = num(5..7)?;
    let day = num(8..10)?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month as u32, day as u32);
    let mut secs = days * 86_400;
    let mut micros = 0i64;
    let mut i = 10;
    if i < b.len() {
        if !matches!(b[i], b'T' | b't' | b' ') {
            return None;
        }
        let hour = num(i + 1..i + 3)?;
        if b.get(i + 3) != Some(&b':') {
            return None;
        }
        let minute = num(i + 4..i + 6)?;
        i += 6;
        let mut second = 0;
        if b.get(i) == Some(&b':') {
            second = num(i + 1..i + 3)?;
            i += 3;
        }
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        secs += hour * 3600 + minute * 60 + second;
        if matches!(b.get(i), Some(b'.') | Some(b',')) {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == start {
                return None;
            }
            let digits = &b[start..i.min(start + 6)];
            let mut f: i64 = 0;
            for d in digits {
                f = f * 10 + i64::from(d - b'0');
            }
            for _ in digits.len()..6 {
                f *= 10;
            }
            micros = f;
        }
        match b.get(i) {
            None => {}
            Some(b'Z') | Some(b'z') => {
                i += 1;
            }
            Some(&sign @ (b'+' | b'-')) => {
                let oh = num(i + 1..i + 3)?;
                let (om, len) = if b.get(i + 3) == Some(&b':') {
                    (num(i + 4..i + 6)?, 6)
                } else if i + 5 <= b.len() {
                    (num(i + 3..i + 5)?, 5)
                } else {
                    (0, 3)
                };
                let off = oh * 3600 + om * 60;
                secs -= if sign == b'+' { off } else { -off };
                i += len;
            }
            Some(_) => return None,
        }
        if i != b.len() {
            return None;
        }
    }
    secs.checked_mul(1_000_000)?.checked_add(micros)
}

/// Format microseconds since the epoch as RFC 3339 UTC with seconds
/// (`2025-08-25T12:55:00Z`).
pub fn format_us(us: i64) -> String {
    let secs = us.div_euclid(1_000_000);
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

/// Now, in microseconds since the epoch.
pub fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// A human duration: `3d 4h`, `5h 12m`, `42s`.
pub fn human_duration(secs: i64) -> String {
    let s = secs.max(0);
    let (d, h, m) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {}s", s % 60)
    } else {
        format!("{s}s")
    }
}

/// Parse a duration such as `3d`, `12h`, `90m`, `3600s` or a bare number
/// of days, to seconds.
pub fn parse_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => (&s[..i], s[i..].trim()),
        None => (s, "d"),
    };
    let n: i64 = num.parse().ok()?;
    let mult = match unit {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return None,
    };
    n.checked_mul(mult)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

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
    use super::*;

    #[test]
    fn parses_variants() {
        let base = parse_us("2025-08-25T12:55:00Z").unwrap();
        assert_eq!(format_us(base), "2025-08-25T12:55:00Z");
        assert_eq!(parse_us("2025-08-25T12:55:00.5Z"), Some(base + 500_000));
        assert_eq!(parse_us("2025-08-25T14:55:00+02:00"), Some(base));
        assert_eq!(parse_us("2025-08-25T10:55:00-0200"), Some(base));
        assert_eq!(parse_us("2025-08-25 12:55:00"), Some(base));
        assert_eq!(parse_us("2025-08-25T12:55Z"), Some(base));
        assert_eq!(
            parse_us("2025-08-25"),
            Some(base - (12 * 3600 + 55 * 60) * 1_000_000)
        );
        assert_eq!(parse_us("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_us("2024-06-04T08:51:12.157432123Z"),
            Some(parse_us("2024-06-04T08:51:12Z").unwrap() + 157_432)
        );
        for bad in [
            "",
            "2025",
            "2025-13-01",
            "2025-08-25X",
            "2025-08-25T1:00Z",
            "yesterday",
        ] {
            assert_eq!(parse_us(bad), None, "{bad}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("3d"), Some(3 * 86_400));
        assert_eq!(parse_duration("3"), Some(3 * 86_400));
        assert_eq!(parse_duration("12h"), Some(12 * 3600));
        assert_eq!(parse_duration("x"), None);
        assert_eq!(human_duration(3 * 86_400 + 3600), "3d 1h");
    }
}
