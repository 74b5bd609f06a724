//! Remediation analytics over ledger records: which findings are open,
//! when and by which patch they were remediated, time to remediate and SLA
//! compliance per priority, open findings per day, and each patch's
//! timeline. [`analyze`] is a pure function of the records and "now";
//! [`crate::html`] and `patchloop report` render its result
//! (docs/ledger.md, "patchloop report").
//!
//! Fields read (anything else is ignored; a missing field never fails):
//!
//! | record | fields of `data` |
//! |---|---|
//! | `discovered` | `ids`, `package.{name, ecosystem, version, purl}`, `priority`, `due`, `severity`, `suppressed` |
//! | `applied`, `closed`, `planned`, `rolled-back` | `fixes` (ids), `changes[].{package, fixes}` |
//! | `applied` | `branch`, `commit`, `changes[].{from, to}` (timeline details) |
//! | `tested` | `outcome`, `command`, `duration_secs` |
//! | `approved`, `rejected` | `note` |
//!
//! A finding is identified by its `discovered` record's project and patch
//! (`<id>/<package>`). It is open from its discovery until an `applied` or
//! `closed` record of the same project names it; a `rolled-back` record
//! reopens the findings that the rolled-back patch had remediated.
//!
//! Records later than "now" are left out, so a past "now" gives the
//! picture as it was then; records whose time does not parse are counted
//! in [`Remediation::skipped`] and left out.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::ledger::Record;

/// Priority buckets, most urgent first; `none` is a finding without a
/// priority (scanned without prioritization) or with an unknown one.
pub const PRIORITIES: [&str; 5] = ["act", "attend", "track*", "track", "none"];

const DAY: i64 = 86_400;
/// Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// The bucket index of a priority string.
pub fn priority_rank(p: &str) -> usize {
    PRIORITIES
        .iter()
        .position(|x| *x == p)
        .unwrap_or(PRIORITIES.len() - 1)
}

/// Seconds since the epoch of an RFC 3339 time (or a bare `YYYY-MM-DD`,
/// midnight UTC).
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Some(t.unix_timestamp());
    }
    if s.len() == 10 {
        return parse_day(s).map(|d| d * DAY);
    }
    None
}

/// Days since the epoch of a `YYYY-MM-DD` date (the first ten characters).
pub fn parse_day(s: &str) -> Option<i64> {
    let s = s.trim().get(..10)?;
    let d = time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    Some(i64::from(d.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY)
}

/// `YYYY-MM-DD` of a day number.
pub fn format_day(day: i64) -> String {
    match i32::try_from(day + UNIX_EPOCH_JULIAN_DAY)
        .ok()
        .and_then(|j| time::Date::from_julian_day(j).ok())
    {
        Some(d) => format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day()),
        None => String::from("????-??-??"),
    }
}

/// RFC 3339 UTC of seconds since the epoch.
pub fn format_time(secs: i64) -> String {
    let day = secs.div_euclid(DAY);
    let rem = secs.rem_euclid(DAY);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        format_day(day),
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

/// The strings of an array (or a lone string).
pub(crate) fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        _ => Vec::new(),
    }
}

pub(crate) fn str_field<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// What a record says it fixes: `(package or "", ids)` per change, or
/// one `("", fixes)` (or `(data.package, fixes)`) when it lists no changes.
pub(crate) fn fix_claims(data: &Value) -> Vec<(String, Vec<String>)> {
    let record_fixes = strings(data.get("fixes"));
    let mut out = Vec::new();
    if let Some(changes) = data.get("changes").and_then(Value::as_array) {
        for c in changes {
            let mut ids = strings(c.get("fixes"));
            if ids.is_empty() {
                ids = record_fixes.clone();
            }
            let pkg = str_field(c, "package").unwrap_or_default().to_string();
            out.push((pkg, ids));
        }
    }
    if out.is_empty() && !record_fixes.is_empty() {
        let pkg = match data.get("package") {
            Some(Value::String(s)) => s.clone(),
            Some(p @ Value::Object(_)) => str_field(p, "name").unwrap_or_default().to_string(),
            _ => String::new(),
        };
        out.push((pkg, record_fixes));
    }
    out
}

/// Every id a record names as fixed.
pub(crate) fn fixed_ids(data: &Value) -> Vec<String> {
    let mut set: BTreeSet<String> = strings(data.get("fixes")).into_iter().collect();
    for (_, ids) in fix_claims(data) {
        set.extend(ids);
    }
    set.into_iter().collect()
}

/// How a finding was remediated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Remediated {
    /// `applied` or `closed`.
    pub kind: String,
    pub time: String,
    /// The patch (plan group) of the record.
    pub patch: String,
    pub seq: i64,
    pub hash: String,
    /// Days from discovery (fractional, never negative).
    pub days: f64,
    /// `true`: on or before the due date; `false`: after; `None`: no due
    /// date.
    pub within_sla: Option<bool>,
}

/// One finding, from its `discovered` record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The discovered record's patch: `<id>/<package name>`.
    pub key: String,
    pub project: String,
    pub ids: Vec<String>,
    pub package: String,
    pub ecosystem: String,
    pub version: String,
    pub purl: String,
    pub priority: String,
    pub severity: Option<String>,
    /// `YYYY-MM-DD`.
    pub due: Option<String>,
    /// The ignore rule's reason: suppressed findings are listed but left
    /// out of every number.
    pub suppressed: Option<String>,
    pub discovered: String,
    pub discovered_seq: i64,
    pub discovered_hash: String,
    /// `None` while open.
    pub remediated: Option<Remediated>,
    /// Open and past the due date at "now".
    pub overdue: bool,
    /// Days open so far (open findings) or until remediation.
    pub days_open: f64,
    /// The last patch that named this finding (planned, applied, closed,
    /// rolled back).
    pub patch: Option<String>,
    /// How many times a rollback (or a new discovery) reopened it.
    pub reopened: u32,
    #[serde(skip)]
    discovered_at: i64,
    #[serde(skip)]
    due_day: Option<i64>,
    /// Open intervals `[from, to)`, `to == None` while open.
    #[serde(skip)]
    intervals: Vec<(i64, Option<i64>)>,
}

impl Finding {
    pub fn is_open(&self) -> bool {
        self.remediated.is_none()
    }

    /// Counts in the numbers (not suppressed).
    pub fn is_active(&self) -> bool {
        self.suppressed.is_none()
    }

    fn open_at(&self, t: i64) -> bool {
        self.intervals
            .iter()
            .any(|&(a, b)| a < t && b.is_none_or(|b| b >= t))
    }

    /// Does a fix claim `(package, ids)` name this finding?
    fn claimed_by(&self, pkg: &str, ids: &[String]) -> bool {
        (pkg.is_empty() || pkg.eq_ignore_ascii_case(&self.package))
            && ids.iter().any(|i| self.ids.iter().any(|x| x == i))
    }

    /// Is the finding named by a record of `patch` with these claims?
    fn named_by(&self, patch: &str, claims: &[(String, Vec<String>)]) -> bool {
        patch == self.key || claims.iter().any(|(p, ids)| self.claimed_by(p, ids))
    }
}

/// Numbers for one priority (or `all`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PrioritySummary {
    pub priority: String,
    /// Open at "now".
    pub open: usize,
    /// Open and past their due date.
    pub overdue: usize,
    pub remediated: usize,
    /// Remediated on or before the due date.
    pub within_sla: usize,
    /// Remediated after the due date.
    pub late: usize,
    /// Remediated, without a due date.
    pub no_due: usize,
    /// `within_sla / (within_sla + late)`, percent, one decimal.
    pub within_sla_pct: Option<f64>,
    /// Time to remediate, days (two decimals).
    pub ttr_median_days: Option<f64>,
    pub ttr_max_days: Option<f64>,
}

/// Open findings per priority at the end of one UTC day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayOpen {
    pub date: String,
    /// In the order of [`PRIORITIES`].
    pub open: [usize; 5],
}

/// One event of a patch's timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub seq: i64,
    pub time: String,
    pub kind: String,
    pub actor: String,
    /// For `tested` (`passed`, `failed`, ...) and `verified`.
    pub outcome: Option<String>,
    /// A short human summary of the record's data.
    pub detail: String,
    pub hash: String,
}

/// One patch (plan group) and everything recorded about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatchTimeline {
    pub patch: String,
    pub project: String,
    /// The highest priority among the findings it fixes.
    pub priority: String,
    /// Ids named as fixed by its records.
    pub fixes: Vec<String>,
    /// Keys of the findings it fixes (or is planned to).
    pub findings: Vec<String>,
    /// The kind of its last record.
    pub status: String,
    /// The findings' `discovered` records, then the patch's own, in ledger
    /// order.
    pub events: Vec<Event>,
}

/// The ledger's integrity, from [`crate::ledger::verify_records`] over
/// every record (all projects).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerState {
    pub records: usize,
    pub head: String,
    pub verified: bool,
    pub failure: Option<String>,
    /// Signing keys: hex, records signed, whether the chain verified up to
    /// their records.
    pub keys: Vec<KeyUse>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyUse {
    pub key: String,
    pub records: usize,
    pub first: String,
    pub last: String,
    pub verified: bool,
}

/// Everything the reports show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Remediation {
    pub schema: &'static str,
    /// `None`: every project.
    pub project: Option<String>,
    pub now: String,
    /// Records analysed (in the project, not after now).
    pub records: usize,
    /// Records left out: time unreadable.
    pub skipped: usize,
    pub ledger: LedgerState,
    pub priorities: Vec<PrioritySummary>,
    pub total: PrioritySummary,
    pub findings: Vec<Finding>,
    pub patches: Vec<PatchTimeline>,
    pub open_by_day: Vec<DayOpen>,
    #[serde(skip)]
    pub now_secs: i64,
}

impl Remediation {
    /// Open active findings, most urgent first (priority, due date, key).
    pub fn open_findings(&self) -> Vec<&Finding> {
        let mut v: Vec<&Finding> = self
            .findings
            .iter()
            .filter(|f| f.is_open() && f.is_active())
            .collect();
        v.sort_by(|a, b| {
            (
                priority_rank(&a.priority),
                a.due_day.is_none(),
                a.due_day,
                &a.key,
            )
                .cmp(&(
                    priority_rank(&b.priority),
                    b.due_day.is_none(),
                    b.due_day,
                    &b.key,
                ))
        });
        v
    }
}

fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    Some(if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    })
}

fn summarize(name: &str, fs: &[&Finding]) -> PrioritySummary {
    let mut s = PrioritySummary {
        priority: name.to_string(),
        ..Default::default()
    };
    let mut ttr = Vec::new();
    for f in fs {
        match &f.remediated {
            None => {
                s.open += 1;
                if f.overdue {
                    s.overdue += 1;
                }
            }
            Some(r) => {
                s.remediated += 1;
                ttr.push(r.days);
                match r.within_sla {
                    Some(true) => s.within_sla += 1,
                    Some(false) => s.late += 1,
                    None => s.no_due += 1,
                }
            }
        }
    }
    ttr.sort_by(f64::total_cmp);
    s.ttr_median_days = median(&ttr).map(|x| round(x, 2));
    s.ttr_max_days = ttr.last().map(|x| round(*x, 2));
    let graded = s.within_sla + s.late;
    if graded > 0 {
        s.within_sla_pct = Some(round(100.0 * s.within_sla as f64 / graded as f64, 1));
    }
    s
}

/// A one-line summary of a record's data for timelines.
pub fn detail(r: &Record) -> String {
    let d = &r.data;
    let get = |k: &str| str_field(d, k).map(str::to_string);
    let mut parts: Vec<String> = Vec::new();
    match r.kind.as_str() {
        "discovered" => {
            let ids = strings(d.get("ids"));
            if !ids.is_empty() {
                parts.push(ids.join(", "));
            }
            if let Some(p) = d.get("package") {
                let name = str_field(p, "name").unwrap_or_default();
                let v = str_field(p, "version").unwrap_or_default();
                if !name.is_empty() {
                    parts.push(if v.is_empty() {
                        name.to_string()
                    } else {
                        format!("{name}@{v}")
                    });
                }
            }
            if let Some(p) = get("priority") {
                parts.push(format!("priority {p}"));
            }
            if let Some(p) = get("due") {
                parts.push(format!("due {p}"));
            }
        }
        "approved" | "rejected" | "exception-granted" => {
            if let Some(n) = get("note").or_else(|| get("reason")) {
                parts.push(n);
            }
        }
        "tested" => {
            if let Some(c) = get("command") {
                parts.push(c);
            }
            if let Some(s) = d.get("duration_secs").and_then(Value::as_f64) {
                parts.push(format!("{s}s"));
            }
        }
        "applied" | "planned" => {
            if let Some(changes) = d.get("changes").and_then(Value::as_array) {
                for c in changes {
                    let p = str_field(c, "package").unwrap_or("?");
                    let from = str_field(c, "from").unwrap_or("?");
                    let to = str_field(c, "to").unwrap_or("?");
                    parts.push(format!("{p} {from} → {to}"));
                }
            }
            if let Some(b) = get("branch") {
                parts.push(format!("branch {b}"));
            }
            if let Some(c) = get("commit") {
                parts.push(format!("commit {}", c.get(..12).unwrap_or(&c)));
            }
        }
        _ => {}
    }
    if parts.is_empty()
        && let Value::Object(m) = d
    {
        // Unknown kinds and shapes: the scalar fields, in key order.
        let mut keys: Vec<&String> = m.keys().collect();
        keys.sort();
        for k in keys {
            match &m[k.as_str()] {
                Value::String(s) if !s.is_empty() => parts.push(format!("{k}: {s}")),
                v @ (Value::Number(_) | Value::Bool(_)) => parts.push(format!("{k}: {v}")),
                _ => {}
            }
        }
    }
    let mut s = parts.join("; ");
    if s.chars().count() > 200 {
        s = s.chars().take(199).collect::<String>() + "…";
    }
    s
}

fn outcome(r: &Record) -> Option<String> {
    ["outcome", "result", "status"]
        .iter()
        .find_map(|k| str_field(&r.data, k))
        .map(str::to_string)
}

fn event(r: &Record) -> Event {
    Event {
        seq: r.seq,
        time: r.time.clone(),
        kind: r.kind.clone(),
        actor: r.actor.clone(),
        outcome: outcome(r),
        detail: detail(r),
        hash: r.hash.clone(),
    }
}

fn ledger_state(records: &[Record]) -> LedgerState {
    let v = crate::ledger::verify_records(records, &[]);
    let mut keys: BTreeMap<&str, (usize, &str, &str)> = BTreeMap::new();
    for r in records {
        let e = keys
            .entry(r.key.as_str())
            .or_insert((0, r.time.as_str(), r.time.as_str()));
        e.0 += 1;
        e.2 = r.time.as_str();
    }
    let mut keys: Vec<KeyUse> = keys
        .into_iter()
        .map(|(k, (n, first, last))| KeyUse {
            key: k.to_string(),
            records: n,
            first: first.to_string(),
            last: last.to_string(),
            verified: v.keys.iter().any(|x| x == k),
        })
        .collect();
    keys.sort_by(|a, b| b.records.cmp(&a.records).then_with(|| a.key.cmp(&b.key)));
    LedgerState {
        records: v.records,
        head: v.head,
        verified: v.failure.is_none(),
        failure: v
            .failure
            .map(|f| format!("record {} (position {}): {}", f.seq, f.position, f.reason)),
        keys,
    }
}

/// Analyse `records` (every record of the ledger, in storage order) for
/// `project` (`None`: all) as of `now` (seconds since the epoch).
pub fn analyze(records: &[Record], project: Option<&str>, now: i64) -> Remediation {
    let ledger = ledger_state(records);
    let mut skipped = 0;
    let mut scope: Vec<(&Record, i64)> = Vec::new();
    for r in records
        .iter()
        .filter(|r| project.is_none_or(|p| r.project == p))
    {
        match parse_time(&r.time) {
            Some(t) if t <= now => scope.push((r, t)),
            Some(_) => {}
            None => skipped += 1,
        }
    }

    let mut findings: Vec<Finding> = Vec::new();
    let mut index: BTreeMap<(String, String), usize> = BTreeMap::new();
    for &(r, t) in &scope {
        let claims = match r.kind.as_str() {
            "applied" | "closed" | "rolled-back" | "planned" => fix_claims(&r.data),
            _ => Vec::new(),
        };
        match r.kind.as_str() {
            "discovered" => {
                let k = (r.project.clone(), r.patch.clone());
                if let Some(&i) = index.get(&k) {
                    // Seen again after a remediation: open again.
                    let f = &mut findings[i];
                    if f.remediated.take().is_some() {
                        f.intervals.push((t, None));
                        f.reopened += 1;
                    }
                    continue;
                }
                index.insert(k, findings.len());
                findings.push(new_finding(r, t));
            }
            "applied" | "closed" => {
                for f in findings
                    .iter_mut()
                    .filter(|f| f.project == r.project && f.named_by(&r.patch, &claims))
                {
                    f.patch = Some(r.patch.clone());
                    if f.remediated.is_none() {
                        if let Some(last) = f.intervals.last_mut() {
                            last.1 = Some(t);
                        }
                        let days = ((t - f.discovered_at).max(0)) as f64 / DAY as f64;
                        f.remediated = Some(Remediated {
                            kind: r.kind.clone(),
                            time: r.time.clone(),
                            patch: r.patch.clone(),
                            seq: r.seq,
                            hash: r.hash.clone(),
                            days,
                            within_sla: f.due_day.map(|d| t.div_euclid(DAY) <= d),
                        });
                    }
                }
            }
            "rolled-back" => {
                for f in findings.iter_mut().filter(|f| f.project == r.project) {
                    let by_patch = f.remediated.as_ref().is_some_and(|x| x.patch == r.patch);
                    let named = claims.iter().any(|(p, ids)| f.claimed_by(p, ids));
                    if (by_patch || named) && f.remediated.take().is_some() {
                        f.intervals.push((t, None));
                        f.reopened += 1;
                        f.patch = Some(r.patch.clone());
                    }
                }
            }
            "planned" => {
                for f in findings
                    .iter_mut()
                    .filter(|f| f.project == r.project && f.named_by(&r.patch, &claims))
                {
                    f.patch = Some(r.patch.clone());
                }
            }
            _ => {}
        }
    }

    let today = now.div_euclid(DAY);
    for f in &mut findings {
        match &f.remediated {
            None => {
                f.overdue = f.due_day.is_some_and(|d| today > d);
                f.days_open = round((now - f.discovered_at).max(0) as f64 / DAY as f64, 2);
            }
            Some(r) => f.days_open = round(r.days, 2),
        }
        if let Some(r) = &mut f.remediated {
            r.days = round(r.days, 2);
        }
    }

    let active: Vec<&Finding> = findings.iter().filter(|f| f.is_active()).collect();
    let priorities: Vec<PrioritySummary> = PRIORITIES
        .iter()
        .map(|p| {
            let fs: Vec<&Finding> = active
                .iter()
                .copied()
                .filter(|f| f.priority == *p)
                .collect();
            summarize(p, &fs)
        })
        .collect();
    let total = summarize("all", &active);

    let mut open_by_day = Vec::new();
    if let Some(first) = scope.iter().map(|(_, t)| t.div_euclid(DAY)).min() {
        for day in first..=today {
            let end = ((day + 1) * DAY).min(now + 1);
            let mut open = [0usize; 5];
            for f in &active {
                if f.open_at(end) {
                    open[priority_rank(&f.priority)] += 1;
                }
            }
            open_by_day.push(DayOpen {
                date: format_day(day),
                open,
            });
        }
    }

    let patches = timelines(&scope, &findings);

    Remediation {
        schema: "patchloop.report/v1",
        project: project.map(str::to_string),
        now: format_time(now),
        records: scope.len(),
        skipped,
        ledger,
        priorities,
        total,
        findings,
        patches,
        open_by_day,
        now_secs: now,
    }
}

fn new_finding(r: &Record, t: i64) -> Finding {
    let d = &r.data;
    let (id_part, name_part) = r.patch.split_once('/').unwrap_or((&r.patch, ""));
    let mut ids = strings(d.get("ids"));
    if ids.is_empty() && !id_part.is_empty() {
        ids.push(id_part.to_string());
    }
    let pkg = d.get("package").cloned().unwrap_or(Value::Null);
    let pget = |k: &str| str_field(&pkg, k).unwrap_or_default().to_string();
    let mut package = pget("name");
    if package.is_empty() {
        package = name_part.to_string();
    }
    let priority = str_field(d, "priority")
        .filter(|p| PRIORITIES[..4].contains(p))
        .unwrap_or("none")
        .to_string();
    let due = str_field(d, "due").map(str::to_string);
    let due_day = due.as_deref().and_then(parse_day);
    Finding {
        key: r.patch.clone(),
        project: r.project.clone(),
        ids,
        package,
        ecosystem: pget("ecosystem"),
        version: pget("version"),
        purl: pget("purl"),
        priority,
        severity: str_field(d, "severity").map(str::to_string),
        due,
        suppressed: match d.get("suppressed") {
            None | Some(Value::Null) | Some(Value::Bool(false)) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(v) => Some(v.to_string()),
        },
        discovered: r.time.clone(),
        discovered_seq: r.seq,
        discovered_hash: r.hash.clone(),
        remediated: None,
        overdue: false,
        days_open: 0.0,
        patch: None,
        reopened: 0,
        discovered_at: t,
        due_day,
        intervals: vec![(t, None)],
    }
}

fn timelines(scope: &[(&Record, i64)], findings: &[Finding]) -> Vec<PatchTimeline> {
    // Patches: every (project, patch) with a record other than a discovery.
    let mut order: Vec<(String, String)> = Vec::new();
    let mut recs: BTreeMap<(String, String), Vec<&Record>> = BTreeMap::new();
    for &(r, _) in scope {
        if r.kind == "discovered" {
            continue;
        }
        let k = (r.project.clone(), r.patch.clone());
        if !recs.contains_key(&k) {
            order.push(k.clone());
        }
        recs.entry(k).or_default().push(r);
    }
    let mut out: Vec<PatchTimeline> = Vec::new();
    for k in order {
        let own = &recs[&k];
        let claims: Vec<(String, Vec<String>)> =
            own.iter().flat_map(|r| fix_claims(&r.data)).collect();
        let mut fixes = BTreeSet::new();
        for r in own {
            fixes.extend(fixed_ids(&r.data));
        }
        let linked: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.project == k.0)
            .filter(|f| {
                f.key == k.1
                    || f.patch.as_deref() == Some(k.1.as_str())
                    || f.remediated.as_ref().is_some_and(|x| x.patch == k.1)
                    || f.named_by(&k.1, &claims)
            })
            .collect();
        let priority = linked
            .iter()
            .map(|f| priority_rank(&f.priority))
            .min()
            .map_or("none", |i| PRIORITIES[i])
            .to_string();
        let mut events: Vec<Event> = Vec::new();
        for f in &linked {
            if let Some(&(r, _)) = scope
                .iter()
                .find(|(r, _)| r.seq == f.discovered_seq && r.hash == f.discovered_hash)
            {
                events.push(event(r));
            }
        }
        events.extend(own.iter().map(|r| event(r)));
        events.sort_by_key(|e| e.seq);
        events.dedup_by(|a, b| a.seq == b.seq && a.hash == b.hash);
        out.push(PatchTimeline {
            patch: k.1.clone(),
            project: k.0.clone(),
            priority,
            fixes: fixes.into_iter().collect(),
            findings: linked.iter().map(|f| f.key.clone()).collect(),
            status: own.last().map(|r| r.kind.clone()).unwrap_or_default(),
            events,
        });
    }
    out.sort_by(|a, b| {
        (priority_rank(&a.priority), &a.patch, &a.project).cmp(&(
            priority_rank(&b.priority),
            &b.patch,
            &b.project,
        ))
    });
    out
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "—".to_string(), |v| format!("{v:.1}%"))
}

fn days(x: Option<f64>) -> String {
    x.map_or_else(|| "—".to_string(), |v| format!("{v:.1} d"))
}

/// GitHub-flavoured Markdown: the numbers per priority and the open
/// findings (record text escaped).
pub fn markdown(a: &Remediation) -> String {
    use std::fmt::Write as _;
    let esc = |s: &str| crate::report::markdown::escape(s, 200);
    let scope = a.project.as_deref().map_or_else(
        || "all projects".to_string(),
        |p| format!("project {}", esc(p)),
    );
    let mut o = format!(
        "### patchloop report: {scope}\n\nAs of {}: {} open ({} overdue), {} remediated, {} within SLA.\n\n",
        esc(&a.now),
        a.total.open,
        a.total.overdue,
        a.total.remediated,
        pct(a.total.within_sla_pct)
    );
    o.push_str("| Priority | Open | Overdue | Remediated | Within SLA | Late | No due date | % within SLA | Median TTR | Max TTR |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for s in a.priorities.iter().chain([&a.total]) {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            esc(&s.priority),
            s.open,
            s.overdue,
            s.remediated,
            s.within_sla,
            s.late,
            s.no_due,
            pct(s.within_sla_pct),
            days(s.ttr_median_days),
            days(s.ttr_max_days)
        );
    }
    let open = a.open_findings();
    if !open.is_empty() {
        let _ = write!(
            o,
            "\n#### Open findings ({})\n\n| Priority | Vulnerability | Package | Due | Days open | Status | Patch |\n| --- | --- | --- | --- | ---: | --- | --- |\n",
            open.len()
        );
        for f in open {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {:.1} | {} | {} |",
                esc(&f.priority),
                esc(&f.ids.join(", ")),
                esc(&if f.version.is_empty() {
                    f.package.clone()
                } else {
                    format!("{}@{}", f.package, f.version)
                }),
                esc(f.due.as_deref().unwrap_or("—")),
                f.days_open,
                if f.overdue { "**OVERDUE**" } else { "open" },
                esc(f.patch.as_deref().unwrap_or(""))
            );
        }
    }
    let _ = write!(
        o,
        "\nLedger: {} records, head `{}`, {}.\n",
        a.ledger.records,
        a.ledger.head.get(..16).unwrap_or(&a.ledger.head),
        if a.ledger.verified {
            "verified".to_string()
        } else {
            format!(
                "**verification failed**: {}",
                esc(a.ledger.failure.as_deref().unwrap_or("?"))
            )
        }
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip() {
        assert_eq!(parse_day("1970-01-02"), Some(1));
        assert_eq!(format_day(20_513), "2026-03-01");
        assert_eq!(parse_day("2026-03-01"), Some(20_513));
        assert_eq!(format_time(20_513 * DAY + 3661), "2026-03-01T01:01:01Z");
        assert_eq!(
            parse_time("2026-03-01T01:01:01Z"),
            Some(20_513 * DAY + 3661)
        );
        assert_eq!(parse_time("2026-03-01"), Some(20_513 * DAY));
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[1.0, 2.0, 7.0]), Some(2.0));
        assert_eq!(median(&[1.0, 2.0, 4.0, 7.0]), Some(3.0));
    }

    #[test]
    fn fix_claims_from_changes_or_fixes() {
        let d = serde_json::json!({"changes": [{"package": "a", "fixes": ["X"]}, {"package": "b"}], "fixes": ["Y"]});
        assert_eq!(
            fix_claims(&d),
            vec![
                ("a".to_string(), vec!["X".to_string()]),
                ("b".to_string(), vec!["Y".to_string()])
            ]
        );
        let d = serde_json::json!({"fixes": ["Z"]});
        assert_eq!(fix_claims(&d), vec![(String::new(), vec!["Z".to_string()])]);
        assert!(fix_claims(&serde_json::json!(null)).is_empty());
    }
}
