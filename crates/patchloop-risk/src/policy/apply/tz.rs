//! IANA time zones for `[apply] schedule`, read from the system's
//! compiled tz database (`$TZDIR`, else `/usr/share/zoneinfo`): TZif files
//! (RFC 8536, versions 1 to 4) and, for instants after the last
//! transition, the footer's POSIX TZ rule (`CET-1CEST,M3.5.0,M10.5.0/3`).
//! No dependency; hostile files are errors, never panics.

/// The largest TZif file read (the biggest zones are a few KiB).
const MAX_TZIF: u64 = 256 * 1024;

/// A named zone: UTC offsets (seconds east) over time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZone {
    pub name: String,
    /// (transition instant, offset from then on), ascending.
    transitions: Vec<(i64, i32)>,
    /// The offset before the first transition.
    initial: i32,
    /// The rule after the last transition.
    rule: Option<PosixTz>,
}

/// A POSIX TZ rule: standard offset, and optionally daylight saving time
/// with its offset and start and end rules.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PosixTz {
    std: i32,
    dst: Option<(i32, DateRule, i32, DateRule, i32)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateRule {
    /// `Jn`: day 1 to 365, February 29 never counted.
    Julian1(u32),
    /// `n`: day 0 to 365, February 29 counted.
    Julian0(u32),
    /// `Mm.w.d`: day `d` (0 = Sunday) of week `w` (5 = last) of month `m`.
    Month(u32, u32, u32),
}

/// Is `name` a plausible zone name (no path tricks)?
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.split('/').all(|c| {
            !c.is_empty()
                && c != "."
                && c != ".."
                && c.chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '+'))
        })
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
}

impl TimeZone {
    /// Load `name` (`Europe/Berlin`) from the system's tz database.
    pub fn load(name: &str) -> Result<TimeZone, String> {
        if !valid_name(name) {
            return Err(format!(
                "{name:?} is not a time zone name such as Europe/Berlin"
            ));
        }
        let dir = std::env::var_os("TZDIR")
            .filter(|d| !d.is_empty())
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| "/usr/share/zoneinfo".into());
        let path = dir.join(name);
        let meta = std::fs::metadata(&path)
            .map_err(|e| format!("unknown time zone {name:?} ({}: {e})", path.display()))?;
        if !meta.is_file() || meta.len() > MAX_TZIF {
            return Err(format!(
                "unknown time zone {name:?} ({} is not a TZif file)",
                path.display()
            ));
        }
        let bytes = std::fs::read(&path)
            .map_err(|e| format!("time zone {name:?}: {}: {e}", path.display()))?;
        TimeZone::from_tzif(name, &bytes)
            .map_err(|e| format!("time zone {name:?}: {}: {e}", path.display()))
    }

    /// Parse TZif bytes.
    pub fn from_tzif(name: &str, b: &[u8]) -> Result<TimeZone, String> {
        let header = |at: usize| -> Result<(u8, [usize; 6]), String> {
            if b.get(at..at + 4) != Some(b"TZif") {
                return Err("not a TZif file (bad magic)".into());
            }
            let version = *b.get(at + 4).ok_or("truncated header")?;
            let mut counts = [0usize; 6];
            for (i, c) in counts.iter_mut().enumerate() {
                let o = at + 20 + 4 * i;
                let v = b.get(o..o + 4).ok_or("truncated header")?;
                *c = u32::from_be_bytes([v[0], v[1], v[2], v[3]]) as usize;
            }
            Ok((version, counts))
        };
        // [isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt]
        let block_len = |c: &[usize; 6], time_size: usize| {
            c[3] * time_size + c[3] + c[4] * 6 + c[5] + c[2] * (time_size + 4) + c[1] + c[0]
        };
        let (version, c1) = header(0)?;
        let (start, counts, time_size) = if version >= b'2' {
            let second = 44 + block_len(&c1, 4);
            let (_, c2) = header(second)?;
            (second + 44, c2, 8)
        } else {
            (44, c1, 4)
        };
        let [_, _, _, timecnt, typecnt, _] = counts;
        if typecnt == 0 || typecnt > 256 {
            return Err(format!("{typecnt} local time types"));
        }
        let end = start + block_len(&counts, time_size);
        let data = b.get(start..end).ok_or("truncated data block")?;
        let times = data.get(..timecnt * time_size).ok_or("truncated")?;
        let idx = data
            .get(timecnt * time_size..timecnt * (time_size + 1))
            .ok_or("truncated")?;
        let types_at = timecnt * (time_size + 1);
        let types = data
            .get(types_at..types_at + typecnt * 6)
            .ok_or("truncated")?;
        let utoff = |t: usize| -> Result<i32, String> {
            let r = types.get(t * 6..t * 6 + 4).ok_or("bad type index")?;
            let o = i32::from_be_bytes([r[0], r[1], r[2], r[3]]);
            if !(-25 * 3600..=26 * 3600).contains(&o) {
                return Err(format!("offset {o}s out of range"));
            }
            Ok(o)
        };
        let mut transitions = Vec::with_capacity(timecnt);
        for i in 0..timecnt {
            let at = if time_size == 8 {
                let r = times.get(i * 8..i * 8 + 8).ok_or("truncated")?;
                i64::from_be_bytes([r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]])
            } else {
                let r = times.get(i * 4..i * 4 + 4).ok_or("truncated")?;
                i64::from(i32::from_be_bytes([r[0], r[1], r[2], r[3]]))
            };
            let t = usize::from(*idx.get(i).ok_or("truncated")?);
            if t >= typecnt {
                return Err(format!("transition {i} names type {t} of {typecnt}"));
            }
            if transitions.last().is_some_and(|(p, _)| *p >= at) {
                return Err("transitions are not in ascending order".into());
            }
            transitions.push((at, utoff(t)?));
        }
        let rule = if version >= b'2' {
            let footer = b.get(end..).unwrap_or_default();
            let text = std::str::from_utf8(footer).map_err(|_| "footer is not UTF-8")?;
            let tz = text.trim_matches('\n');
            if tz.is_empty() {
                None
            } else {
                Some(
                    PosixTz::parse(tz)
                        .ok_or_else(|| format!("footer rule {tz:?} not understood"))?,
                )
            }
        } else {
            None
        };
        Ok(TimeZone {
            name: name.to_string(),
            transitions,
            initial: utoff(0)?,
            rule,
        })
    }

    /// The UTC offset in seconds at `unix` seconds.
    pub fn offset_at(&self, unix: i64) -> i32 {
        match self.transitions.last() {
            Some((last, off)) if unix >= *last => {
                self.rule.as_ref().map_or(*off, |r| r.offset_at(unix))
            }
            None => self
                .rule
                .as_ref()
                .map_or(self.initial, |r| r.offset_at(unix)),
            _ => {
                // The last transition at or before `unix`.
                let i = self.transitions.partition_point(|(t, _)| *t <= unix);
                match i.checked_sub(1).and_then(|i| self.transitions.get(i)) {
                    Some((_, off)) => *off,
                    None => self.initial,
                }
            }
        }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The year of a day number.
fn year_of(days: i64) -> i64 {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    yoe + era * 400 + i64::from(m <= 2)
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn month_len(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl DateRule {
    /// The day number of the rule's date in year `y`.
    fn day(self, y: i64) -> i64 {
        let jan1 = days_from_civil(y, 1, 1);
        match self {
            DateRule::Julian1(n) => {
                let n = i64::from(n);
                jan1 + n - 1 + i64::from(is_leap(y) && n >= 60)
            }
            DateRule::Julian0(n) => jan1 + i64::from(n),
            DateRule::Month(m, w, d) => {
                let first = days_from_civil(y, m, 1);
                // 1970-01-01 was a Thursday (4, Sunday = 0).
                let wd_first = (first + 4).rem_euclid(7);
                let mut day =
                    first + (i64::from(d) - wd_first).rem_euclid(7) + 7 * (i64::from(w) - 1);
                let last = first + i64::from(month_len(y, m)) - 1;
                while day > last {
                    day -= 7;
                }
                day
            }
        }
    }
}

/// A POSIX TZ string parser (RFC 8536 section 3.3 extensions included:
/// times from -167 to 167 hours).
struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn name(&mut self) -> Option<()> {
        let start = self.i;
        if self.eat(b'<') {
            while self.peek()? != b'>' {
                self.i += 1;
            }
            self.i += 1;
            return (self.i - start >= 5).then_some(());
        }
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.i += 1;
        }
        (self.i - start >= 3).then_some(())
    }

    fn num(&mut self, max: u32) -> Option<u32> {
        let start = self.i;
        let mut n: u32 = 0;
        while let Some(c) = self.peek().filter(u8::is_ascii_digit) {
            n = n.checked_mul(10)?.checked_add(u32::from(c - b'0'))?;
            self.i += 1;
        }
        (self.i > start && n <= max).then_some(n)
    }

    /// `[+-]hh[:mm[:ss]]` in seconds.
    fn time(&mut self, max_hours: u32) -> Option<i32> {
        let sign = if self.eat(b'-') {
            -1
        } else {
            self.eat(b'+');
            1
        };
        let mut secs = self.num(max_hours)? * 3600;
        if self.eat(b':') {
            secs += self.num(59)? * 60;
            if self.eat(b':') {
                secs += self.num(59)?;
            }
        }
        Some(sign * i32::try_from(secs).ok()?)
    }

    fn date(&mut self) -> Option<(DateRule, i32)> {
        let rule = if self.eat(b'M') {
            let m = self.num(12).filter(|m| *m >= 1)?;
            self.eat(b'.').then_some(())?;
            let w = self.num(5).filter(|w| *w >= 1)?;
            self.eat(b'.').then_some(())?;
            DateRule::Month(m, w, self.num(6)?)
        } else if self.eat(b'J') {
            DateRule::Julian1(self.num(365).filter(|n| *n >= 1)?)
        } else {
            DateRule::Julian0(self.num(365)?)
        };
        let time = if self.eat(b'/') {
            self.time(167)?
        } else {
            7200
        };
        Some((rule, time))
    }
}

impl PosixTz {
    fn parse(s: &str) -> Option<PosixTz> {
        let mut c = Cursor {
            s: s.as_bytes(),
            i: 0,
        };
        c.name()?;
        // POSIX offsets count west of Greenwich.
        let std = -c.time(24)?;
        if c.peek().is_none() {
            return Some(PosixTz { std, dst: None });
        }
        c.name()?;
        let dst_off = if matches!(c.peek(), Some(b',') | None) {
            std + 3600
        } else {
            -c.time(24)?
        };
        c.eat(b',').then_some(())?;
        let (start, start_t) = c.date()?;
        c.eat(b',').then_some(())?;
        let (end, end_t) = c.date()?;
        if c.peek().is_some() {
            return None;
        }
        Some(PosixTz {
            std,
            dst: Some((dst_off, start, start_t, end, end_t)),
        })
    }

    fn offset_at(&self, unix: i64) -> i32 {
        let Some((dst, start, start_t, end, end_t)) = self.dst else {
            return self.std;
        };
        let year = year_of((unix + i64::from(self.std)).div_euclid(86_400));
        // Start is given in standard time, end in daylight time.
        let begins = start.day(year) * 86_400 + i64::from(start_t) - i64::from(self.std);
        let ends = end.day(year) * 86_400 + i64::from(end_t) - i64::from(dst);
        let in_dst = if begins < ends {
            begins <= unix && unix < ends
        } else {
            // Southern hemisphere: DST spans the new year.
            !(ends <= unix && unix < begins)
        };
        if in_dst { dst } else { self.std }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_rules() {
        let r = PosixTz::parse("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        // Offsets checked with Python's zoneinfo for Europe/Berlin.
        assert_eq!(r.offset_at(2_216_250_000 - 1), 3600); // 2040-03-25T00:59:59Z
        assert_eq!(r.offset_at(2_216_250_000), 7200); // 2040-03-25T01:00:00Z
        assert_eq!(r.offset_at(2_234_998_800 - 1), 7200); // 2040-10-28T00:59:59Z
        assert_eq!(r.offset_at(2_234_998_800), 3600);
        let au = PosixTz::parse("AEST-10AEDT,M10.1.0,M4.1.0/3").unwrap();
        assert_eq!(au.offset_at(2_208_988_800), 39_600); // 2040-01-01: summer
        assert_eq!(au.offset_at(2_224_000_000), 36_000); // 2040-06-22: winter
        assert_eq!(PosixTz::parse("<+0330>-3:30").unwrap().offset_at(0), 12_600);
        assert_eq!(
            PosixTz::parse("EST5EDT,M3.2.0,M11.1.0")
                .unwrap()
                .dst
                .unwrap()
                .0,
            -14_400
        );
        // A zone with DST but no rule is not guessed.
        assert!(PosixTz::parse("EST5EDT").is_none());
        for bad in [
            "",
            "C",
            "CET",
            "CET-1CEST,M13.5.0,M10.5.0",
            "CET-1CEST,M3.5.0",
            "<ab",
        ] {
            assert!(PosixTz::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn julian_and_month_rules() {
        // 2024 is a leap year: J60 is March 1, 59 (zero-based) is Feb 29.
        assert_eq!(DateRule::Julian1(60).day(2024), days_from_civil(2024, 3, 1));
        assert_eq!(
            DateRule::Julian0(59).day(2024),
            days_from_civil(2024, 2, 29)
        );
        // The last Sunday of March 2026 is the 29th; the first of Nov 2026 the 1st.
        assert_eq!(
            DateRule::Month(3, 5, 0).day(2026),
            days_from_civil(2026, 3, 29)
        );
        assert_eq!(
            DateRule::Month(11, 1, 0).day(2026),
            days_from_civil(2026, 11, 1)
        );
        assert_eq!(year_of(days_from_civil(2040, 12, 31)), 2040);
        assert_eq!(year_of(days_from_civil(2041, 1, 1)), 2041);
        assert_eq!(year_of(-1), 1969);
    }

    #[test]
    fn hostile_names_and_files() {
        for bad in [
            "",
            "../etc/passwd",
            "/etc/passwd",
            "Europe/../../x",
            "Europe//Berlin",
            "a b",
        ] {
            assert!(TimeZone::load(bad).is_err(), "{bad:?}");
        }
        assert!(TimeZone::from_tzif("x", b"").is_err());
        assert!(TimeZone::from_tzif("x", b"TZif2\0\0\0").is_err());
        let mut h = b"TZif".to_vec();
        h.resize(44, 0);
        assert!(TimeZone::from_tzif("x", &h).is_err(), "no types");
        // Huge counts in a short file.
        let mut h = b"TZif\0".to_vec();
        h.resize(20, 0);
        h.extend_from_slice(&[0xff; 24]);
        assert!(TimeZone::from_tzif("x", &h).is_err());
    }
}
