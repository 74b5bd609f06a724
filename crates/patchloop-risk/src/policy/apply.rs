//! The `[apply]` table: how `patchloop apply` tests changes and keeps
//! branches (docs/policy.md, docs/apply.md).
//!
//! ```toml
//! [apply]
//! test_command = "make test"          # or a list: ["cargo", "test", "--all"]
//! test_timeout = 1800                 # seconds
//! on_test_failure = "keep-branch"     # keep-branch | delete-branch
//! max_open_branches = 10
//! schedule = ["mon-fri 09:00-17:00 Europe/Berlin"]  # UTC unless a zone follows
//! cooldown_days = 0                   # non-security updates only
//! ```

use std::sync::Arc;

use toml::Spanned;

mod tz;
pub use tz::TimeZone;

use super::{PolicyError, RawApply, Reader};

levels!(
    /// What happens to a branch whose tests fail.
    OnTestFailure { KeepBranch = "keep-branch", DeleteBranch = "delete-branch" }
);

/// The test command of `[apply]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestCommand {
    /// A string: run by `sh -c`.
    Shell(String),
    /// A list: program and arguments, no shell.
    Argv(Vec<String>),
}

impl TestCommand {
    /// The command line for humans and evidence.
    pub fn display(&self) -> String {
        match self {
            TestCommand::Shell(s) => s.clone(),
            TestCommand::Argv(v) => v.join(" "),
        }
    }
}

/// Days of the week, Monday first.
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The zone of a schedule window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Zone {
    /// Minutes east of UTC (`UTC`, `UTC+02:00`, `-05:00`).
    Fixed(i32),
    /// An IANA zone (`Europe/Berlin`), daylight saving time included.
    Named(Arc<TimeZone>),
}

impl Zone {
    /// Seconds east of UTC at `unix_secs`.
    pub fn offset_at(&self, unix_secs: i64) -> i64 {
        match self {
            Zone::Fixed(m) => i64::from(*m) * 60,
            Zone::Named(z) => i64::from(z.offset_at(unix_secs)),
        }
    }
}

/// One window of `schedule`: days of the week and a time span, in UTC, at
/// a fixed offset, or in an IANA time zone (local wall-clock time). A span whose end is before its start runs past
/// midnight and belongs to the day it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleWindow {
    /// Monday first.
    pub days: [bool; 7],
    /// Minutes after midnight.
    pub start: u32,
    /// Minutes after midnight, exclusive (1440 for `24:00`).
    pub end: u32,
    pub zone: Zone,
    /// The window as written.
    pub text: String,
}

fn parse_day(s: &str) -> Option<usize> {
    WEEKDAYS.iter().position(|d| *d == s)
}

fn parse_hhmm(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let h: u32 = h.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 60 + m)
}

fn parse_offset(s: &str) -> Option<i32> {
    let s = s.strip_prefix("UTC").unwrap_or(s);
    if s.is_empty() {
        return Some(0);
    }
    let (sign, rest) = match s.as_bytes()[0] {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let mins = parse_hhmm(rest).filter(|m| *m <= 14 * 60)?;
    Some(sign * mins as i32)
}

impl ScheduleWindow {
    /// Parse `DAYS HH:MM-HH:MM [ZONE]`: DAYS is `daily`, a day (`mon`), a
    /// range (`mon-fri`) or a comma list of those; ZONE is `UTC` (the
    /// default), `UTC+02:00` or `+02:00`.
    pub fn parse(text: &str) -> Result<ScheduleWindow, String> {
        let expected = "expected \"DAYS HH:MM-HH:MM [ZONE]\" such as \"mon-fri 09:00-17:00\" or \"sat,sun 00:00-24:00 UTC+02:00\"";
        let words: Vec<&str> = text.split_whitespace().collect();
        if !(2..=3).contains(&words.len()) {
            return Err(format!("{text:?}: {expected}"));
        }
        let mut days = [false; 7];
        let spec = words[0].to_ascii_lowercase();
        if spec == "daily" || spec == "*" {
            days = [true; 7];
        } else {
            for part in spec.split(',') {
                let bad = || {
                    format!(
                        "{text:?}: day {part:?} is not one of {} (or a range such as mon-fri, or daily)",
                        WEEKDAYS.join(", ")
                    )
                };
                match part.split_once('-') {
                    Some((a, b)) => {
                        let (a, b) = (parse_day(a).ok_or_else(bad)?, parse_day(b).ok_or_else(bad)?);
                        // A range may wrap (fri-mon).
                        let mut d = a;
                        loop {
                            days[d] = true;
                            if d == b {
                                break;
                            }
                            d = (d + 1) % 7;
                        }
                    }
                    None => days[parse_day(part).ok_or_else(bad)?] = true,
                }
            }
        }
        let (a, b) = words[1]
            .split_once('-')
            .ok_or_else(|| format!("{text:?}: {expected}"))?;
        let bad_time = |t: &str| format!("{text:?}: {t:?} is not a time HH:MM (00:00 to 24:00)");
        let start = parse_hhmm(a)
            .filter(|m| *m < 1440)
            .ok_or_else(|| bad_time(a))?;
        let end = parse_hhmm(b).ok_or_else(|| bad_time(b))?;
        if start == end {
            return Err(format!("{text:?}: the window is empty (start = end)"));
        }
        let zone = match words.get(2) {
            Some(z) if z.starts_with(['+', '-']) || z.starts_with("UTC") => {
                Zone::Fixed(parse_offset(z).ok_or_else(|| {
                    format!(
                        "{text:?}: zone {z:?} is not UTC, UTC+HH:MM or +HH:MM (at most 14 hours)"
                    )
                })?)
            }
            Some(z) => Zone::Named(Arc::new(TimeZone::load(z).map_err(|e| {
                format!("{text:?}: {e} (a zone is UTC, UTC+HH:MM, +HH:MM or an IANA name such as Europe/Berlin)")
            })?)),
            None => Zone::Fixed(0),
        };
        Ok(ScheduleWindow {
            days,
            start,
            end,
            zone,
            text: text.to_string(),
        })
    }

    /// Is the instant `unix_secs` inside the window?
    pub fn contains(&self, unix_secs: i64) -> bool {
        let local = unix_secs + self.zone.offset_at(unix_secs);
        let day_no = local.div_euclid(86_400);
        // 1970-01-01 was a Thursday (index 3, Monday first).
        let wd = ((day_no + 3).rem_euclid(7)) as usize;
        let minute = (local.rem_euclid(86_400) / 60) as u32;
        if self.start < self.end {
            self.days[wd] && self.start <= minute && minute < self.end
        } else {
            let prev = (wd + 6) % 7;
            (self.days[wd] && minute >= self.start) || (self.days[prev] && minute < self.end)
        }
    }
}

/// `[apply]` with its defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyPolicy {
    /// None: the per-ecosystem default (docs/apply.md).
    pub test_command: Option<TestCommand>,
    /// Seconds.
    pub test_timeout: u64,
    pub on_test_failure: OnTestFailure,
    /// Most `patchloop/*` branches that may exist at once.
    pub max_open_branches: u32,
    /// Empty: any time.
    pub schedule: Vec<ScheduleWindow>,
    /// Days a non-security release must be public before it is proposed
    /// (for `--include-non-security`; security fixes never wait).
    pub cooldown_days: u32,
    /// `automerge = ["patch"]`: update types whose pull requests get
    /// automerge (when tests passed and the priority is one of
    /// `automerge_priorities`); empty: never.
    pub automerge: Vec<String>,
    /// Priorities allowed to automerge (default `act`, `attend`).
    pub automerge_priorities: Vec<String>,
    /// `default` or `file:line` of each key set, by key.
    pub sources: Vec<(String, String)>,
}

impl Default for ApplyPolicy {
    fn default() -> Self {
        ApplyPolicy {
            test_command: None,
            test_timeout: 1800,
            on_test_failure: OnTestFailure::KeepBranch,
            max_open_branches: 10,
            schedule: Vec::new(),
            cooldown_days: 0,
            automerge: Vec::new(),
            automerge_priorities: vec!["act".into(), "attend".into()],
            sources: Vec::new(),
        }
    }
}

impl ApplyPolicy {
    /// Is `unix_secs` inside the schedule (always, when there is none)?
    pub fn in_schedule(&self, unix_secs: i64) -> bool {
        self.schedule.is_empty() || self.schedule.iter().any(|w| w.contains(unix_secs))
    }

    /// Where a key was set: `file:line`, or `default`.
    pub fn source(&self, key: &str) -> &str {
        self.sources
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, s)| s.as_str())
            .unwrap_or("default")
    }
}

fn int_in(
    r: &Reader<'_>,
    v: Spanned<i64>,
    key: &str,
    range: std::ops::RangeInclusive<i64>,
    what: &str,
) -> Result<(i64, u32), PolicyError> {
    let l = r.line(&v);
    let n = *v.get_ref();
    if !range.contains(&n) {
        return Err(r.err(
            Some(l),
            format!(
                "[apply] `{key}` = {n}: expected {what} between {} and {}",
                range.start(),
                range.end()
            ),
        ));
    }
    Ok((n, l))
}

pub(super) fn read_apply(r: &Reader<'_>, a: RawApply) -> Result<ApplyPolicy, PolicyError> {
    let mut p = ApplyPolicy::default();
    if let Some(v) = a.test_command {
        let l = r.line(&v);
        let bad = |m: &str| r.err(Some(l), format!("[apply] `test_command` {m}"));
        p.test_command = Some(match v.into_inner() {
            toml::Value::String(s) if s.trim().is_empty() => return Err(bad("must not be empty")),
            toml::Value::String(s) => TestCommand::Shell(s),
            toml::Value::Array(items) => {
                let mut argv = Vec::new();
                for i in items {
                    match i {
                        toml::Value::String(s) => argv.push(s),
                        other => {
                            return Err(bad(&format!(
                                "must be a string or a list of strings, not a list holding {other}"
                            )));
                        }
                    }
                }
                if argv.first().is_none_or(|a| a.trim().is_empty()) {
                    return Err(bad("must name a program first"));
                }
                TestCommand::Argv(argv)
            }
            other => {
                return Err(bad(&format!(
                    "must be a string (run by sh -c) or a list of strings, not {other}"
                )));
            }
        });
        p.sources.push(("test_command".into(), r.at(l)));
    }
    if let Some(v) = a.test_timeout {
        let (n, l) = int_in(r, v, "test_timeout", 1..=7 * 86_400, "seconds")?;
        p.test_timeout = n as u64;
        p.sources.push(("test_timeout".into(), r.at(l)));
    }
    if let Some(v) = a.on_test_failure
        && let Some((x, l)) = r.level(
            Some(v),
            "on_test_failure",
            OnTestFailure::parse,
            OnTestFailure::NAMES,
        )?
    {
        p.on_test_failure = x;
        p.sources.push(("on_test_failure".into(), r.at(l)));
    }
    if let Some(v) = a.max_open_branches {
        let (n, l) = int_in(r, v, "max_open_branches", 1..=1000, "a count")?;
        p.max_open_branches = n as u32;
        p.sources.push(("max_open_branches".into(), r.at(l)));
    }
    if let Some(v) = a.schedule {
        let l = r.line(&v);
        for w in v.into_inner() {
            let wl = r.line(&w);
            let w = ScheduleWindow::parse(w.get_ref().trim())
                .map_err(|e| r.err(Some(wl), format!("[apply] `schedule`: {e}")))?;
            p.schedule.push(w);
        }
        if p.schedule.is_empty() {
            return Err(r.err(
                Some(l),
                "[apply] `schedule` is empty: leave it out to allow any time".into(),
            ));
        }
        p.sources.push(("schedule".into(), r.at(l)));
    }
    if let Some(v) = a.cooldown_days {
        let (n, l) = int_in(r, v, "cooldown_days", 0..=365, "days")?;
        p.cooldown_days = n as u32;
        p.sources.push(("cooldown_days".into(), r.at(l)));
    }
    for (field, key, allowed, slot) in [
        (
            a.automerge,
            "automerge",
            &["patch", "minor", "major"][..],
            &mut p.automerge,
        ),
        (
            a.automerge_priorities,
            "automerge_priorities",
            &["act", "attend", "track*", "track"][..],
            &mut p.automerge_priorities,
        ),
    ] {
        if let Some(v) = field {
            let l = r.line(&v);
            let mut out = Vec::new();
            for x in v.into_inner() {
                let xl = r.line(&x);
                let x = x.into_inner();
                if !allowed.contains(&x.as_str()) {
                    return Err(r.err(
                        Some(xl),
                        format!(
                            "[apply] `{key}`: {x:?} is not one of {}",
                            allowed.join(", ")
                        ),
                    ));
                }
                out.push(x);
            }
            *slot = out;
            p.sources.push((key.into(), r.at(l)));
        }
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::super::Policy;
    use super::*;

    fn parse(t: &str) -> Result<ApplyPolicy, PolicyError> {
        Policy::parse("p.toml", t).map(|p| p.apply)
    }

    #[test]
    fn defaults() {
        let a = parse("").unwrap();
        assert_eq!(a, ApplyPolicy::default());
        assert_eq!(a.test_timeout, 1800);
        assert_eq!(a.on_test_failure, OnTestFailure::KeepBranch);
        assert_eq!(a.max_open_branches, 10);
        assert!(a.in_schedule(0));
        assert_eq!(a.source("test_timeout"), "default");
    }

    #[test]
    fn reads_every_key() {
        let a = parse(
            "[apply]\ntest_command = [\"cargo\", \"test\", \"--all\"]\ntest_timeout = 60\non_test_failure = \"delete-branch\"\nmax_open_branches = 3\nschedule = [\"mon-fri 09:00-17:00\", \"sat 10:00-12:00 UTC+02:00\"]\ncooldown_days = 7\n",
        )
        .unwrap();
        assert_eq!(
            a.test_command,
            Some(TestCommand::Argv(vec![
                "cargo".into(),
                "test".into(),
                "--all".into()
            ]))
        );
        assert_eq!(a.test_timeout, 60);
        assert_eq!(a.on_test_failure, OnTestFailure::DeleteBranch);
        assert_eq!(a.max_open_branches, 3);
        assert_eq!(a.schedule.len(), 2);
        assert_eq!(a.cooldown_days, 7);
        assert_eq!(a.source("schedule"), "p.toml:6");
        let a = parse("[apply]\ntest_command = \"make test && make lint\"\n").unwrap();
        assert_eq!(
            a.test_command,
            Some(TestCommand::Shell("make test && make lint".into()))
        );
    }

    #[test]
    fn errors_name_line_and_key() {
        let bad = |t: &str| parse(t).unwrap_err();
        let e = bad("[apply]\ntest_timeout = 0\n");
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.contains("test_timeout"), "{e}");
        let e = bad("[apply]\n\non_test_failure = \"keep\"\n");
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.message.contains("delete-branch"), "{e}");
        let e = bad("[apply]\ntest_command = \"  \"\n");
        assert_eq!(e.line, Some(2), "{e}");
        let e = bad("[apply]\ntest_command = [\"cargo\", 1]\n");
        assert_eq!(e.line, Some(2), "{e}");
        let e = bad("[apply]\ntest_command = 5\n");
        assert!(e.message.contains("string"), "{e}");
        let e = bad("[apply]\nmax_open_branches = 0\n");
        assert_eq!(e.line, Some(2), "{e}");
        let ok =
            parse("[apply]\nautomerge = [\"patch\"]\nautomerge_priorities = [\"act\"]\n").unwrap();
        assert_eq!(ok.automerge, vec!["patch"]);
        assert_eq!(ok.automerge_priorities, vec!["act"]);
        assert_eq!(bad("[apply]\nautomerge = [\"always\"]\n").line, Some(2));
        let e = bad("[apply]\ncooldown_days = -1\n");
        assert_eq!(e.line, Some(2), "{e}");
        let e = bad(
            "[apply]\nschedule = [\n  \"mon-fri 09:00-17:00\",\n  \"someday 09:00-17:00\",\n]\n",
        );
        assert_eq!(e.line, Some(4), "{e}");
        assert!(e.message.contains("someday"), "{e}");
        let e = bad(
            "[apply]\nschedule = [\n  \"mon-fri 09:00-17:00 Europe/Berlin\",\n  \"sat 09:00-12:00 Europe/Berln\",\n]\n",
        );
        assert_eq!(e.line, Some(4), "{e}");
        assert!(
            e.message.contains("unknown time zone \"Europe/Berln\""),
            "{e}"
        );
        let e = bad("[apply]\nschedule = []\n");
        assert_eq!(e.line, Some(2), "{e}");
        let e = bad("[apply]\ntest_comand = \"x\"\n");
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.contains("test_comand"), "{e}");
        assert!(e.to_string().starts_with("p.toml:2: "), "{e}");
    }

    #[test]
    fn schedule_windows() {
        let w = |s: &str| ScheduleWindow::parse(s).unwrap();
        // 2026-03-02 is a Monday.
        let mon = 1_772_409_600; // 2026-03-02T00:00:00Z
        let at = |day: i64, h: i64, m: i64| mon + day * 86_400 + h * 3600 + m * 60;
        let office = w("mon-fri 09:00-17:00");
        assert!(office.contains(at(0, 9, 0)));
        assert!(office.contains(at(4, 16, 59)));
        assert!(!office.contains(at(4, 17, 0)));
        assert!(!office.contains(at(0, 8, 59)));
        assert!(!office.contains(at(5, 12, 0)));
        // Zone offsets: 09:00 at UTC+02:00 is 07:00 UTC.
        let cet = w("mon 09:00-10:00 UTC+02:00");
        assert!(cet.contains(at(0, 7, 30)));
        assert!(!cet.contains(at(0, 9, 30)));
        let west = w("mon 23:00-24:00 -05:00");
        assert!(west.contains(at(1, 4, 30)));
        // Overnight windows belong to the start day.
        let night = w("fri 22:00-06:00");
        assert!(night.contains(at(4, 23, 0)));
        assert!(night.contains(at(5, 5, 59)));
        assert!(!night.contains(at(5, 23, 0)));
        assert!(!night.contains(at(4, 5, 0)));
        // Lists, wrapping ranges, daily.
        let we = w("sat,sun 00:00-24:00");
        assert!(we.contains(at(6, 23, 59)) && !we.contains(at(0, 0, 0)));
        assert!(w("fri-mon 00:00-24:00").contains(at(0, 1, 0)));
        assert!(!w("fri-mon 00:00-24:00").contains(at(1, 1, 0)));
        assert!(w("daily 00:00-00:01").contains(at(3, 0, 0)));
        for bad in [
            "mon-fri",
            "mon-fri 9-17",
            "mon-fri 09:00-09:00",
            "mon-fri 25:00-26:00",
            "mon-fry 09:00-17:00",
            "mon 09:00-17:00 Mars/Olympus_Mons",
            "mon 09:00-17:00 ../../etc/passwd",
            "mon 09:00-17:00 UTC+2",
            "mon 09:00-17:00 +15:00",
            "mon 09:60-17:00",
        ] {
            assert!(ScheduleWindow::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn schedule_windows_in_iana_zones_follow_daylight_saving_time() {
        if !std::path::Path::new("/usr/share/zoneinfo/Europe/Berlin").is_file()
            && std::env::var_os("TZDIR").is_none()
        {
            eprintln!("SKIPPED: no tz database (/usr/share/zoneinfo)");
            return;
        }
        let w = |s: &str| ScheduleWindow::parse(s).unwrap();
        // Instants and weekdays checked with Python's zoneinfo and datetime.
        let utc = |y: i64, mo: u32, d: u32, h: i64, mi: i64| {
            let days = {
                let y = if mo <= 2 { y - 1 } else { y };
                let era = y.div_euclid(400);
                let yoe = y - era * 400;
                let mp = i64::from((mo + 9) % 12);
                let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
                era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
            };
            days * 86_400 + h * 3600 + mi * 60
        };
        let office = w("mon-fri 09:00-17:00 Europe/Berlin");
        // Winter (CET, UTC+1): Monday 2026-03-02.
        assert!(office.contains(utc(2026, 3, 2, 8, 0)));
        assert!(!office.contains(utc(2026, 3, 2, 7, 59)));
        assert!(office.contains(utc(2026, 3, 2, 15, 59)));
        assert!(!office.contains(utc(2026, 3, 2, 16, 0)));
        // Summer (CEST, UTC+2): Monday 2026-07-06; a fixed +01:00 would
        // still be open at 15:30 UTC.
        assert!(office.contains(utc(2026, 7, 6, 7, 0)));
        assert!(!office.contains(utc(2026, 7, 6, 6, 59)));
        assert!(!office.contains(utc(2026, 7, 6, 15, 30)));
        assert!(w("mon-fri 09:00-17:00 +01:00").contains(utc(2026, 7, 6, 15, 30)));
        // The switch night: Sunday 2026-03-29 01:00 UTC; 02:00-03:00 local
        // does not exist that night.
        let night = w("sun 01:30-03:30 Europe/Berlin");
        assert!(night.contains(utc(2026, 3, 29, 0, 30))); // 01:30 CET
        assert!(night.contains(utc(2026, 3, 29, 1, 0))); // 03:00 CEST
        assert!(!night.contains(utc(2026, 3, 29, 1, 30))); // 03:30 CEST
        // Beyond the file's transitions, the footer rule: Monday 2045-07-03.
        assert!(office.contains(utc(2045, 7, 3, 7, 0)));
        assert!(!office.contains(utc(2045, 7, 3, 6, 59)));
        // Southern hemisphere: Sydney is UTC+11 in January, +10 in July.
        let syd = w("mon 09:00-10:00 Australia/Sydney");
        assert!(syd.contains(utc(2026, 1, 4, 22, 0))); // Mon 2026-01-05 09:00 AEDT
        assert!(syd.contains(utc(2026, 7, 5, 23, 0))); // Mon 2026-07-06 09:00 AEST
        assert!(!syd.contains(utc(2026, 7, 5, 22, 0)));
        // New York, and a zone with a half-hour offset.
        assert!(w("mon 09:00-10:00 America/New_York").contains(utc(2026, 7, 6, 13, 0)));
        assert!(w("mon 09:00-10:00 America/New_York").contains(utc(2026, 3, 2, 14, 0)));
        assert!(w("mon 09:00-10:00 Asia/Kolkata").contains(utc(2026, 3, 2, 3, 30)));
    }
}
