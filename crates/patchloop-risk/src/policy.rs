//! The project's policy file, `patchloop.toml` (docs/policy.md).
//!
//! Every table and key is checked: an unknown key, a bad value or a
//! missing required key is a [`PolicyError`] naming the file, line and
//! key. `[feeds]` is read by the feeds configuration
//! (`patchloop_feeds::FeedsConfig`), which validates it.
//!
//! ```toml
//! [project]
//! name = "shop"
//!
//! [context]                      # defaults for every file of the project
//! criticality = "high"           # low | medium | high | mission-critical
//! exposure = "internet-facing"   # internal | controlled | internet-facing
//! environment = "prod"           # dev | staging | prod
//! lower_dev_dependencies = true  # dev/build-only dependencies count as not exposed
//!
//! [[context.rule]]               # per path glob; the first matching rule wins per key
//! paths = ["tools/**", "scripts/**"]
//! environment = "dev"
//!
//! [sla]                          # days from first seen, per priority
//! act = 2
//! attend = 14
//! track_star = 30
//! track = 90
//!
//! [exploitation]
//! poc_epss = 0.1                 # EPSS probability from which exploitation counts as "public PoC"
//!
//! [[ignore]]
//! id = "RUSTSEC-2020-0071"
//! reason = "not reachable"
//! expires = 2027-03-31
//!
//! [[vex]]
//! id = "CVE-2023-44487"
//! package = "h2"
//! status = "not_affected"        # not_affected | affected | fixed | under_investigation
//! justification = "vulnerable_code_not_in_execute_path"
//! statement = "we only use the h2 client"
//! expires = 2027-01-31
//!
//! [[mitigation]]
//! id = "CVE-2024-1234"
//! statement = "the admin endpoint is behind the VPN"
//! exposure = "internal"          # and/or automatable = false
//! expires = 2027-01-31
//! ```

use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

/// A problem with the policy file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct PolicyError {
    pub path: String,
    pub line: Option<u32>,
    pub message: String,
}

macro_rules! levels {
    ($(#[$m:meta])* $name:ident { $($var:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($var),+ }
        impl $name {
            pub const NAMES: &'static [&'static str] = &[$($s),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$var => $s),+ }
            }
            pub fn parse(s: &str) -> Option<$name> {
                match s { $($s => Some($name::$var),)+ _ => None }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

levels!(
    /// How much the business depends on the project.
    Criticality { Low = "low", Medium = "medium", High = "high", MissionCritical = "mission-critical" }
);
levels!(
    /// Who can reach it.
    Exposure { Internal = "internal", Controlled = "controlled", InternetFacing = "internet-facing" }
);
levels!(
    /// Where it runs.
    Environment { Dev = "dev", Staging = "staging", Prod = "prod" }
);
levels!(
    /// OpenVEX statuses.
    VexStatus { NotAffected = "not_affected", Affected = "affected", Fixed = "fixed", UnderInvestigation = "under_investigation" }
);

// After `levels!`: the module uses it.
mod apply;
pub use apply::{ApplyPolicy, OnTestFailure, ScheduleWindow, TestCommand, WEEKDAYS};

/// OpenVEX 0.2 justifications for `not_affected`.
pub const VEX_JUSTIFICATIONS: &[&str] = &[
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
];

/// One ignore rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreRule {
    /// The vulnerability id or alias.
    pub id: String,
    /// Only findings in this package (name compared case-insensitively).
    pub package: Option<String>,
    pub reason: String,
    /// `YYYY-MM-DD`, the last day the rule applies.
    pub expires: String,
    /// `file:line` of the rule.
    pub rule: String,
}

impl IgnoreRule {
    /// Has the rule expired on `today` (`YYYY-MM-DD`)?
    pub fn expired(&self, today: &str) -> bool {
        today > self.expires.as_str()
    }

    /// Does the rule name this finding?
    pub fn matches<'a>(&self, ids: impl Iterator<Item = &'a str>, package: &str) -> bool {
        rule_matches(&self.id, self.package.as_deref(), ids, package)
    }
}

fn rule_matches<'a>(
    id: &str,
    package: Option<&str>,
    mut ids: impl Iterator<Item = &'a str>,
    name: &str,
) -> bool {
    package.is_none_or(|p| p.eq_ignore_ascii_case(name)) && ids.any(|i| i.eq_ignore_ascii_case(id))
}

/// A VEX statement of the policy or of an OpenVEX document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexRule {
    pub id: String,
    pub package: Option<String>,
    /// Only this version of the package (OpenVEX products name one).
    pub version: Option<String>,
    pub status: VexStatus,
    pub justification: Option<String>,
    pub statement: String,
    pub expires: String,
    pub rule: String,
}

impl VexRule {
    pub fn expired(&self, today: &str) -> bool {
        today > self.expires.as_str()
    }
    pub fn matches<'a>(
        &self,
        ids: impl Iterator<Item = &'a str>,
        package: &str,
        version: &str,
    ) -> bool {
        self.version.as_deref().is_none_or(|v| v == version)
            && rule_matches(&self.id, self.package.as_deref(), ids, package)
    }
}

/// OpenVEX documents never expire by themselves.
pub const NO_EXPIRY: &str = "9999-12-31";

/// A mitigation: what it changes about a vulnerability's reachability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mitigation {
    pub id: String,
    pub package: Option<String>,
    pub statement: String,
    /// The exposure left with the mitigation in place.
    pub exposure: Option<Exposure>,
    /// `false`: the mitigation stops automated exploitation.
    pub automatable: Option<bool>,
    pub expires: String,
    pub rule: String,
}

impl Mitigation {
    pub fn expired(&self, today: &str) -> bool {
        today > self.expires.as_str()
    }
    pub fn matches<'a>(&self, ids: impl Iterator<Item = &'a str>, package: &str) -> bool {
        rule_matches(&self.id, self.package.as_deref(), ids, package)
    }
}

/// Context values with where they were set (`default` or `file:line`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub criticality: (Criticality, String),
    pub exposure: (Exposure, String),
    pub environment: (Environment, String),
}

/// Context for the files matching some globs.
#[derive(Debug, Clone)]
pub struct ContextRule {
    pub paths: Vec<String>,
    matcher: globset::GlobSet,
    pub criticality: Option<Criticality>,
    pub exposure: Option<Exposure>,
    pub environment: Option<Environment>,
    pub rule: String,
}

impl PartialEq for ContextRule {
    fn eq(&self, o: &Self) -> bool {
        self.paths == o.paths
            && self.criticality == o.criticality
            && self.exposure == o.exposure
            && self.environment == o.environment
            && self.rule == o.rule
    }
}

/// SLA days per priority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sla {
    pub act: u32,
    pub attend: u32,
    pub track_star: u32,
    pub track: u32,
    /// `default` or `file:line` of `[sla]`.
    pub source: String,
}

/// The policy of one project.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The file it was read from (empty for the default policy).
    pub path: String,
    /// `[project] name`.
    pub project: Option<String>,
    pub context: Context,
    pub context_rules: Vec<ContextRule>,
    /// Dev- and build-only dependencies count as not exposed and low impact.
    pub lower_dev_dependencies: bool,
    pub sla: Sla,
    /// EPSS probability at or above which exploitation is "public PoC".
    pub poc_epss: (f64, String),
    pub ignores: Vec<IgnoreRule>,
    pub vex: Vec<VexRule>,
    pub mitigations: Vec<Mitigation>,
    /// `[apply]`: how `patchloop apply` tests and keeps branches.
    pub apply: ApplyPolicy,
    /// `[[environment]]`: rollout rings, in promotion order.
    pub environments: Vec<Ring>,
    /// `[approvals]`.
    pub approvals: Approvals,
}

impl Default for Policy {
    fn default() -> Self {
        let d = || "default".to_string();
        Policy {
            path: String::new(),
            project: None,
            context: Context {
                criticality: (Criticality::Medium, d()),
                exposure: (Exposure::Controlled, d()),
                environment: (Environment::Prod, d()),
            },
            context_rules: Vec::new(),
            lower_dev_dependencies: true,
            sla: Sla {
                act: 2,
                attend: 14,
                track_star: 30,
                track: 90,
                source: d(),
            },
            poc_epss: (0.1, d()),
            ignores: Vec::new(),
            vex: Vec::new(),
            mitigations: Vec::new(),
            apply: ApplyPolicy::default(),
            environments: Vec::new(),
            approvals: Approvals::default(),
        }
    }
}

/// A deployment verification check of a ring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckKind {
    /// A shell command (`sh -c`); exit code 0 is ok.
    Command(String),
    /// An HTTP GET whose status must be `expect_status`.
    Http { url: String, expect_status: u16 },
    /// An SBOM or lockfile of what is deployed (path relative to the
    /// policy file's directory unless absolute).
    Rescan(String),
}

/// One check with its timeout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub kind: CheckKind,
    /// Seconds (default 60).
    pub timeout_secs: u64,
    /// `file:line` of the check.
    pub rule: String,
}

/// A rollout ring (`[[environment]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ring {
    pub name: String,
    /// Seconds a patch must spend in this ring before promotion to the next.
    pub soak_secs: u64,
    pub checks: Vec<Check>,
    pub rollback_on_failure: bool,
    pub rule: String,
}

/// Approvals needed before apply/promote, per priority, and per
/// environment (which overrides the priority's number for that ring).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Approvals {
    pub act: u32,
    pub attend: u32,
    pub track_star: u32,
    pub track: u32,
    /// Environment name → approvals needed to promote there.
    pub environments: Vec<(String, u32)>,
}

impl Approvals {
    /// Approvals needed for a priority (`act`, `attend`, `track*`, `track`;
    /// unknown or none: 0).
    pub fn for_priority(&self, priority: Option<&str>) -> u32 {
        match priority {
            Some("act") => self.act,
            Some("attend") => self.attend,
            Some("track*") | Some("track_star") => self.track_star,
            Some("track") => self.track,
            _ => 0,
        }
    }

    /// Approvals needed to promote to `env`: the environment's own number
    /// if set, else the priority's.
    pub fn for_promotion(&self, env: &str, priority: Option<&str>) -> u32 {
        self.environments
            .iter()
            .find(|(e, _)| e == env)
            .map(|(_, n)| *n)
            .unwrap_or_else(|| self.for_priority(priority))
    }
}

impl Policy {
    /// The ring named `name` and its position in the promotion order.
    pub fn ring(&self, name: &str) -> Option<(usize, &Ring)> {
        self.environments
            .iter()
            .enumerate()
            .find(|(_, r)| r.name == name)
    }
}

/// A duration such as `3d`, `12h`, `90m`, `30s`, `1w` or `1d12h`, to
/// seconds. A unit is required.
pub fn parse_duration(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let i = rest.find(|c: char| !c.is_ascii_digit())?;
        if i == 0 {
            return None;
        }
        let n: u64 = rest[..i].parse().ok()?;
        let after = &rest[i..];
        let j = after
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(after.len());
        let mult = match after[..j].trim() {
            "s" => 1,
            "m" | "min" => 60,
            "h" => 3600,
            "d" => 86_400,
            "w" => 7 * 86_400,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(mult)?)?;
        rest = after[j..].trim_start();
    }
    Some(total)
}

// ---- raw TOML shape (every table denies unknown keys) ----

type S<T> = Spanned<T>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    // Tables are not `Spanned`: toml cannot span a table that a dotted
    // header (`[[context.rule]]`) creates implicitly.
    project: Option<RawProject>,
    feeds: Option<toml::Value>,
    context: Option<RawContext>,
    sla: Option<RawSla>,
    exploitation: Option<RawExploitation>,
    ignore: Option<Vec<S<RawIgnore>>>,
    vex: Option<Vec<S<RawVex>>>,
    mitigation: Option<Vec<S<RawMitigation>>>,
    apply: Option<RawApply>,
    environment: Option<Vec<S<RawEnvironment>>>,
    approvals: Option<std::collections::BTreeMap<String, S<toml::Value>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApply {
    test_command: Option<S<toml::Value>>,
    test_timeout: Option<S<i64>>,
    on_test_failure: Option<S<String>>,
    max_open_branches: Option<S<i64>>,
    schedule: Option<S<Vec<S<String>>>>,
    cooldown_days: Option<S<i64>>,
    automerge: Option<S<Vec<S<String>>>>,
    automerge_priorities: Option<S<Vec<S<String>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvironment {
    name: Option<S<String>>,
    soak: Option<S<String>>,
    checks: Option<Vec<S<RawCheck>>>,
    rollback_on_failure: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    command: Option<S<String>>,
    http: Option<S<String>>,
    rescan: Option<S<String>>,
    expect_status: Option<S<i64>>,
    timeout: Option<S<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProject {
    name: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContext {
    criticality: Option<S<String>>,
    exposure: Option<S<String>>,
    environment: Option<S<String>>,
    lower_dev_dependencies: Option<bool>,
    rule: Option<Vec<S<RawContextRule>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContextRule {
    paths: Option<S<Vec<String>>>,
    criticality: Option<S<String>>,
    exposure: Option<S<String>>,
    environment: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSla {
    act: Option<S<i64>>,
    attend: Option<S<i64>>,
    track_star: Option<S<i64>>,
    track: Option<S<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExploitation {
    poc_epss: Option<S<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    id: Option<S<String>>,
    package: Option<S<String>>,
    reason: Option<S<String>>,
    expires: Option<S<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVex {
    id: Option<S<String>>,
    package: Option<S<String>>,
    status: Option<S<String>>,
    justification: Option<S<String>>,
    statement: Option<S<String>>,
    expires: Option<S<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMitigation {
    id: Option<S<String>>,
    package: Option<S<String>>,
    statement: Option<S<String>>,
    exposure: Option<S<String>>,
    automatable: Option<bool>,
    expires: Option<S<toml::Value>>,
}

fn line_of(text: &str, offset: usize) -> u32 {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count() as u32
        + 1
}

/// A calendar date `YYYY-MM-DD` with a real month and day.
pub fn valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok());
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// Reads one file's raw values into checked ones, with file:line errors.
struct Reader<'a> {
    display: &'a str,
    text: &'a str,
}

impl Reader<'_> {
    fn err(&self, line: Option<u32>, message: String) -> PolicyError {
        PolicyError {
            path: self.display.to_string(),
            line,
            message,
        }
    }

    fn line<T>(&self, s: &Spanned<T>) -> u32 {
        line_of(self.text, s.span().start)
    }

    fn at(&self, line: u32) -> String {
        format!("{}:{line}", self.display)
    }

    fn required(
        &self,
        f: Option<Spanned<String>>,
        table: &str,
        key: &str,
        at: u32,
    ) -> Result<String, PolicyError> {
        match f {
            Some(v) if !v.get_ref().trim().is_empty() => Ok(v.into_inner().trim().to_string()),
            Some(v) => Err(self.err(
                Some(self.line(&v)),
                format!("{table} `{key}` must not be empty"),
            )),
            None => Err(self.err(Some(at), format!("{table} entry has no `{key}`"))),
        }
    }

    fn optional(
        &self,
        f: Option<Spanned<String>>,
        table: &str,
        key: &str,
    ) -> Result<Option<String>, PolicyError> {
        match f {
            Some(v) if v.get_ref().trim().is_empty() => Err(self.err(
                Some(self.line(&v)),
                format!("{table} `{key}` must not be empty"),
            )),
            v => Ok(v.map(|v| v.into_inner().trim().to_string())),
        }
    }

    fn date(
        &self,
        f: Option<Spanned<toml::Value>>,
        table: &str,
        at: u32,
    ) -> Result<String, PolicyError> {
        let Some(v) = f else {
            return Err(self.err(
                Some(at),
                format!("{table} entry has no `expires` (a date YYYY-MM-DD is required)"),
            ));
        };
        let line = self.line(&v);
        let s = match v.into_inner() {
            toml::Value::String(s) => s,
            toml::Value::Datetime(d) if d.time.is_none() && d.offset.is_none() => d.to_string(),
            other => {
                return Err(self.err(
                    Some(line),
                    format!("{table} `expires` must be a date YYYY-MM-DD, not {other}"),
                ));
            }
        };
        if !valid_date(&s) {
            return Err(self.err(
                Some(line),
                format!("{table} `expires` {s:?} is not a date YYYY-MM-DD"),
            ));
        }
        Ok(s)
    }

    fn level<T: Copy>(
        &self,
        f: Option<Spanned<String>>,
        key: &str,
        parse: fn(&str) -> Option<T>,
        names: &[&str],
    ) -> Result<Option<(T, u32)>, PolicyError> {
        let Some(v) = f else { return Ok(None) };
        let line = self.line(&v);
        match parse(v.get_ref().trim()) {
            Some(x) => Ok(Some((x, line))),
            None => Err(self.err(
                Some(line),
                format!(
                    "`{key}` {:?} is not one of {}",
                    v.get_ref(),
                    names.join(", ")
                ),
            )),
        }
    }
}

impl Reader<'_> {
    fn environments(&self, raw: Vec<S<RawEnvironment>>) -> Result<Vec<Ring>, PolicyError> {
        let mut out: Vec<Ring> = Vec::new();
        for entry in raw {
            let at = self.line(&entry);
            let e = entry.into_inner();
            let name = self.required(e.name, "[[environment]]", "name", at)?;
            if out.iter().any(|r| r.name == name) {
                return Err(self.err(
                    Some(at),
                    format!("[[environment]] {name:?} is defined twice"),
                ));
            }
            let soak_secs = match e.soak {
                None => 0,
                Some(v) => {
                    let l = self.line(&v);
                    parse_duration(v.get_ref()).ok_or_else(|| {
                        self.err(
                            Some(l),
                            format!(
                                "[[environment]] `soak` {:?} is not a duration like 3d, 12h, 90m, 0s",
                                v.get_ref()
                            ),
                        )
                    })?
                }
            };
            let mut checks = Vec::new();
            for c in e.checks.unwrap_or_default() {
                let cl = self.line(&c);
                checks.push(self.check(c.into_inner(), cl)?);
            }
            out.push(Ring {
                name,
                soak_secs,
                checks,
                rollback_on_failure: e.rollback_on_failure.unwrap_or(false),
                rule: self.at(at),
            });
        }
        Ok(out)
    }

    fn check(&self, c: RawCheck, at: u32) -> Result<Check, PolicyError> {
        let t = "[[environment]] check";
        let set = [c.command.is_some(), c.http.is_some(), c.rescan.is_some()]
            .iter()
            .filter(|b| **b)
            .count();
        if set != 1 {
            return Err(self.err(
                Some(at),
                format!("{t} must set exactly one of `command`, `http`, `rescan`"),
            ));
        }
        if c.http.is_none()
            && let Some(v) = &c.expect_status
        {
            return Err(self.err(
                Some(self.line(v)),
                format!("{t} `expect_status` only applies to `http` checks"),
            ));
        }
        let timeout_secs = match c.timeout {
            None => 60,
            Some(v) => {
                let n = *v.get_ref();
                if !(1..=86_400).contains(&n) {
                    return Err(self.err(
                        Some(self.line(&v)),
                        format!("{t} `timeout` = {n}: expected seconds between 1 and 86400"),
                    ));
                }
                n as u64
            }
        };
        let kind = if let Some(cmd) = c.command {
            CheckKind::Command(self.required(Some(cmd), t, "command", at)?)
        } else if let Some(url) = c.http {
            let l = self.line(&url);
            let url = self.required(Some(url), t, "http", at)?;
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(self.err(
                    Some(l),
                    format!("{t} `http` {url:?} is not an http:// or https:// URL"),
                ));
            }
            let expect_status = match c.expect_status {
                None => 200,
                Some(v) => {
                    let n = *v.get_ref();
                    if !(100..=599).contains(&n) {
                        return Err(self.err(
                            Some(self.line(&v)),
                            format!("{t} `expect_status` = {n}: expected an HTTP status 100-599"),
                        ));
                    }
                    n as u16
                }
            };
            CheckKind::Http { url, expect_status }
        } else {
            CheckKind::Rescan(self.required(c.rescan, t, "rescan", at)?)
        };
        Ok(Check {
            kind,
            timeout_secs,
            rule: self.at(at),
        })
    }

    fn approvals(
        &self,
        raw: std::collections::BTreeMap<String, S<toml::Value>>,
        rings: &[Ring],
    ) -> Result<Approvals, PolicyError> {
        let mut a = Approvals::default();
        // In file order, so that the first error is the first in the file.
        let mut entries: Vec<(String, S<toml::Value>)> = raw.into_iter().collect();
        entries.sort_by_key(|(_, v)| v.span().start);
        for (key, v) in entries {
            let l = self.line(&v);
            let n = match v.get_ref() {
                toml::Value::Integer(n) if (0..=100).contains(n) => *n as u32,
                other => {
                    return Err(self.err(
                        Some(l),
                        format!(
                            "[approvals] `{key}` = {other}: expected a number of approvals between 0 and 100"
                        ),
                    ));
                }
            };
            match key.as_str() {
                "act" => a.act = n,
                "attend" => a.attend = n,
                "track*" | "track_star" => a.track_star = n,
                "track" => a.track = n,
                env if rings.iter().any(|r| r.name == env) => {
                    a.environments.push((env.to_string(), n))
                }
                other => {
                    return Err(self.err(
                        Some(l),
                        format!(
                            "[approvals] `{other}` is neither a priority (act, attend, \"track*\", track) nor an [[environment]] name{}",
                            if rings.is_empty() {
                                String::new()
                            } else {
                                format!(
                                    " ({})",
                                    rings.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(", ")
                                )
                            }
                        ),
                    ));
                }
            }
        }
        Ok(a)
    }
}

impl Policy {
    /// Read `path`; a missing file is `Ok(None)`.
    pub fn load(path: &Path) -> Result<Option<Policy>, PolicyError> {
        let display = path.display().to_string();
        let text = match std::fs::read(path) {
            Ok(b) => String::from_utf8(b).map_err(|e| PolicyError {
                path: display.clone(),
                line: None,
                message: format!("not UTF-8: {e}"),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(PolicyError {
                    path: display,
                    line: None,
                    message: e.to_string(),
                });
            }
        };
        Policy::parse(&display, &text).map(Some)
    }

    /// Parse the policy text of the file `display`.
    pub fn parse(display: &str, text: &str) -> Result<Policy, PolicyError> {
        let r = Reader { display, text };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            r.err(line, e.message().trim().to_string())
        })?;
        let _ = raw.feeds;
        let mut p = Policy {
            path: display.to_string(),
            ..Policy::default()
        };
        if let Some(proj) = raw.project {
            p.project = r.optional(proj.name, "[project]", "name")?;
        }
        if let Some(c) = raw.context {
            if let Some((v, l)) = r.level(
                c.criticality,
                "criticality",
                Criticality::parse,
                Criticality::NAMES,
            )? {
                p.context.criticality = (v, r.at(l));
            }
            if let Some((v, l)) =
                r.level(c.exposure, "exposure", Exposure::parse, Exposure::NAMES)?
            {
                p.context.exposure = (v, r.at(l));
            }
            if let Some((v, l)) = r.level(
                c.environment,
                "environment",
                Environment::parse,
                Environment::NAMES,
            )? {
                p.context.environment = (v, r.at(l));
            }
            if let Some(b) = c.lower_dev_dependencies {
                p.lower_dev_dependencies = b;
            }
            for rule in c.rule.unwrap_or_default() {
                let at = r.line(&rule);
                let rule = rule.into_inner();
                let Some(paths) = rule.paths else {
                    return Err(r.err(
                        Some(at),
                        "[[context.rule]] entry has no `paths` (a list of globs)".into(),
                    ));
                };
                let pl = r.line(&paths);
                let paths = paths.into_inner();
                if paths.is_empty() {
                    return Err(r.err(Some(pl), "[[context.rule]] `paths` is empty".into()));
                }
                let mut b = globset::GlobSetBuilder::new();
                for g in &paths {
                    let glob = globset::GlobBuilder::new(g.trim_start_matches("./"))
                        .literal_separator(true)
                        .build()
                        .map_err(|e| {
                            r.err(Some(pl), format!("[[context.rule]] glob {g:?}: {e}"))
                        })?;
                    b.add(glob);
                }
                let matcher = b
                    .build()
                    .map_err(|e| r.err(Some(pl), format!("[[context.rule]] `paths`: {e}")))?;
                let criticality = r
                    .level(
                        rule.criticality,
                        "criticality",
                        Criticality::parse,
                        Criticality::NAMES,
                    )?
                    .map(|x| x.0);
                let exposure = r
                    .level(rule.exposure, "exposure", Exposure::parse, Exposure::NAMES)?
                    .map(|x| x.0);
                let environment = r
                    .level(
                        rule.environment,
                        "environment",
                        Environment::parse,
                        Environment::NAMES,
                    )?
                    .map(|x| x.0);
                if criticality.is_none() && exposure.is_none() && environment.is_none() {
                    return Err(r.err(
                        Some(at),
                        "[[context.rule]] sets none of criticality, exposure, environment".into(),
                    ));
                }
                p.context_rules.push(ContextRule {
                    paths,
                    matcher,
                    criticality,
                    exposure,
                    environment,
                    rule: r.at(at),
                });
            }
        }
        if let Some(s) = raw.sla {
            p.sla.source = format!("{display} [sla]");
            for (v, slot, key) in [
                (s.act, &mut p.sla.act, "act"),
                (s.attend, &mut p.sla.attend, "attend"),
                (s.track_star, &mut p.sla.track_star, "track_star"),
                (s.track, &mut p.sla.track, "track"),
            ] {
                if let Some(v) = v {
                    let l = r.line(&v);
                    let n = *v.get_ref();
                    if !(0..=3650).contains(&n) {
                        return Err(r.err(
                            Some(l),
                            format!("[sla] `{key}` = {n}: expected days between 0 and 3650"),
                        ));
                    }
                    *slot = n as u32;
                }
            }
            let order = [p.sla.act, p.sla.attend, p.sla.track_star, p.sla.track];
            if order.windows(2).any(|w| w[0] > w[1]) {
                return Err(r.err(
                    None,
                    format!(
                        "[sla] days must not decrease with urgency: act {} <= attend {} <= track_star {} <= track {}",
                        order[0], order[1], order[2], order[3]
                    ),
                ));
            }
        }
        if let Some(e) = raw.exploitation
            && let Some(v) = e.poc_epss
        {
            let l = r.line(&v);
            let x = *v.get_ref();
            if !(0.0..=1.0).contains(&x) {
                return Err(r.err(
                    Some(l),
                    format!(
                        "[exploitation] `poc_epss` = {x}: expected a probability between 0 and 1"
                    ),
                ));
            }
            p.poc_epss = (x, r.at(l));
        }
        for entry in raw.ignore.unwrap_or_default() {
            let at = r.line(&entry);
            let e = entry.into_inner();
            p.ignores.push(IgnoreRule {
                id: r.required(e.id, "[[ignore]]", "id", at)?,
                package: r.optional(e.package, "[[ignore]]", "package")?,
                reason: r.required(e.reason, "[[ignore]]", "reason", at)?,
                expires: r.date(e.expires, "[[ignore]]", at)?,
                rule: r.at(at),
            });
        }
        for entry in raw.vex.unwrap_or_default() {
            let at = r.line(&entry);
            let e = entry.into_inner();
            let id = r.required(e.id, "[[vex]]", "id", at)?;
            let Some((status, _)) =
                r.level(e.status, "status", VexStatus::parse, VexStatus::NAMES)?
            else {
                return Err(r.err(Some(at), "[[vex]] entry has no `status`".into()));
            };
            let jl = e.justification.as_ref().map(|j| r.line(j));
            let justification = r.optional(e.justification, "[[vex]]", "justification")?;
            if let Some(j) = &justification
                && !VEX_JUSTIFICATIONS.contains(&j.as_str())
            {
                return Err(r.err(
                    jl,
                    format!(
                        "[[vex]] `justification` {j:?} is not one of {}",
                        VEX_JUSTIFICATIONS.join(", ")
                    ),
                ));
            }
            if status == VexStatus::NotAffected && justification.is_none() {
                return Err(r.err(
                    Some(at),
                    "[[vex]] a not_affected statement needs a `justification`".into(),
                ));
            }
            p.vex.push(VexRule {
                id,
                package: r.optional(e.package, "[[vex]]", "package")?,
                version: None,
                status,
                justification,
                statement: r.required(e.statement, "[[vex]]", "statement", at)?,
                expires: r.date(e.expires, "[[vex]]", at)?,
                rule: r.at(at),
            });
        }
        for entry in raw.mitigation.unwrap_or_default() {
            let at = r.line(&entry);
            let e = entry.into_inner();
            let exposure = r
                .level(e.exposure, "exposure", Exposure::parse, Exposure::NAMES)?
                .map(|x| x.0);
            if exposure.is_none() && e.automatable.is_none() {
                return Err(r.err(
                    Some(at),
                    "[[mitigation]] must set `exposure` and/or `automatable`: what it changes"
                        .into(),
                ));
            }
            p.mitigations.push(Mitigation {
                id: r.required(e.id, "[[mitigation]]", "id", at)?,
                package: r.optional(e.package, "[[mitigation]]", "package")?,
                statement: r.required(e.statement, "[[mitigation]]", "statement", at)?,
                exposure,
                automatable: e.automatable,
                expires: r.date(e.expires, "[[mitigation]]", at)?,
                rule: r.at(at),
            });
        }
        if let Some(a) = raw.apply {
            p.apply = apply::read_apply(&r, a)?;
        }
        p.environments = r.environments(raw.environment.unwrap_or_default())?;
        if let Some(a) = raw.approvals {
            p.approvals = r.approvals(a, &p.environments)?;
        }
        Ok(p)
    }

    /// Add the statements of an OpenVEX document (`--vex FILE`): one rule
    /// per statement and product package; statements without products
    /// apply to every package. Returns the number of rules added.
    pub fn add_openvex(&mut self, display: &str, text: &str) -> Result<usize, PolicyError> {
        let err = |line: Option<u32>, message: String| PolicyError {
            path: display.to_string(),
            line,
            message,
        };
        let doc: patchloop_model::vex::OpenVex = serde_json::from_str(text).map_err(|e| {
            err(
                Some(e.line() as u32),
                format!("not an OpenVEX document: {e}"),
            )
        })?;
        if !doc.context.starts_with("https://openvex.dev/ns") {
            return Err(err(
                None,
                format!("@context {:?} is not an OpenVEX context", doc.context),
            ));
        }
        let mut n = 0;
        for (i, st) in doc.statements.iter().enumerate() {
            let rule = format!("{display} statement {}", i + 1);
            let status = VexStatus::parse(&st.status).ok_or_else(|| {
                err(
                    None,
                    format!("{rule}: status {:?} is not an OpenVEX status", st.status),
                )
            })?;
            if let Some(j) = &st.justification
                && !VEX_JUSTIFICATIONS.contains(&j.as_str())
            {
                return Err(err(
                    None,
                    format!("{rule}: justification {j:?} is not an OpenVEX justification"),
                ));
            }
            let statement = st
                .impact_statement
                .clone()
                .or_else(|| st.action_statement.clone())
                .or_else(|| st.status_notes.clone())
                .unwrap_or_else(|| format!("OpenVEX {} by {}", st.status, doc.author));
            let mut targets: Vec<(Option<String>, Option<String>)> = Vec::new();
            for prod in &st.products {
                for purl in prod.purls() {
                    match patchloop_model::parse_purl(purl) {
                        Ok(p) => targets.push((Some(p.name), p.version)),
                        Err(e) => return Err(err(None, format!("{rule}: {e}"))),
                    }
                }
            }
            if targets.is_empty() {
                targets.push((None, None));
            }
            let ids: Vec<&str> = std::iter::once(st.vulnerability.name.as_str())
                .chain(st.vulnerability.aliases.iter().map(String::as_str))
                .collect();
            for (package, version) in targets {
                for id in &ids {
                    self.vex.push(VexRule {
                        id: id.to_string(),
                        package: package.clone(),
                        version: version.clone(),
                        status,
                        justification: st.justification.clone(),
                        statement: statement.clone(),
                        expires: NO_EXPIRY.to_string(),
                        rule: rule.clone(),
                    });
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    /// The context of a file (its path as the inventory displays it):
    /// the defaults, overridden key by key by the first matching rule.
    pub fn context_for(&self, path: &str) -> Context {
        let mut c = self.context.clone();
        let rel = self.relative(path);
        let (mut crit, mut expo, mut env) = (false, false, false);
        for r in &self.context_rules {
            if !r.matcher.is_match(&rel) {
                continue;
            }
            if let (false, Some(v)) = (crit, r.criticality) {
                c.criticality = (v, r.rule.clone());
                crit = true;
            }
            if let (false, Some(v)) = (expo, r.exposure) {
                c.exposure = (v, r.rule.clone());
                expo = true;
            }
            if let (false, Some(v)) = (env, r.environment) {
                c.environment = (v, r.rule.clone());
                env = true;
            }
        }
        c
    }

    /// A file path relative to the policy file's directory where possible
    /// (globs are written relative to the project root).
    fn relative(&self, path: &str) -> String {
        let path = path.trim_start_matches("./");
        if let Some(dir) = Path::new(&self.path).parent()
            && !dir.as_os_str().is_empty()
        {
            let d = dir.to_string_lossy();
            let d = d.trim_start_matches("./");
            if let Some(rest) = path.strip_prefix(d) {
                return rest.trim_start_matches('/').to_string();
            }
        }
        path.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rules_with_lines() {
        let t = "[project]\nname = \"x\"\n\n[[ignore]]\nid = \"RUSTSEC-2020-0071\"\npackage = \"time\"\nreason = \"not reachable\"\nexpires = 2027-03-31\n\n[[ignore]]\nid = \"CVE-2024-1\"\nreason = \"r\"\nexpires = \"2026-02-28\"\n";
        let p = Policy::parse("patchloop.toml", t).unwrap();
        assert_eq!(p.project.as_deref(), Some("x"));
        assert_eq!(p.ignores.len(), 2);
        assert_eq!(p.ignores[0].rule, "patchloop.toml:4");
        assert_eq!(p.ignores[0].expires, "2027-03-31");
        assert_eq!(p.ignores[1].rule, "patchloop.toml:10");
        assert!(p.ignores[1].expired("2026-03-01"));
        assert!(!p.ignores[1].expired("2026-02-28"));
        assert!(p.ignores[0].matches(["X", "rustsec-2020-0071"].into_iter(), "Time"));
        assert!(!p.ignores[0].matches(["RUSTSEC-2020-0071"].into_iter(), "chrono"));
    }

    #[test]
    fn errors_name_line_and_key() {
        let bad = |t: &str| Policy::parse("p.toml", t).unwrap_err();
        let e =
            bad("[[ignore]]\nid = \"X\"\nreason = \"r\"\nexpires = 2026-01-01\nreasn = \"typo\"\n");
        assert_eq!(e.line, Some(5), "{e}");
        assert!(e.message.contains("reasn"), "{e}");
        let e = bad("[[ignore]]\nid = \"X\"\nexpires = 2026-01-01\n");
        assert!(e.message.contains("reason"), "{e}");
        assert_eq!(e.line, Some(1));
        assert_eq!(
            bad("[[ignore]]\nid = \"X\"\nreason = \"r\"\nexpires = \"2026-02-30\"\n").line,
            Some(4)
        );
        let e = bad("[[ignore]]\nid = \"X\"\nreason = \"r\"\nexpires = 2026-02-01T10:00:00Z\n");
        assert!(e.to_string().starts_with("p.toml:4: "), "{e}");
        assert_eq!(
            bad("[[ignore]]\nid = \"\"\nreason = \"r\"\nexpires = 2026-01-01\n").line,
            Some(2)
        );
        assert!(bad("ignore = [\n").line.is_some());
        // Unknown tables and keys everywhere.
        let e = bad("[contxt]\ncriticality = \"high\"\n");
        assert_eq!(e.line, Some(1), "{e}");
        assert!(e.message.contains("contxt"), "{e}");
        let e = bad("[context]\ncriticality = \"severe\"\n");
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("mission-critical"), "{e}");
        let e = bad(
            "[context]\nexposure = \"internal\"\n[[context.rule]]\npaths = [\"a/**\"]\nenvironmnet = \"dev\"\n",
        );
        assert_eq!(e.line, Some(5), "{e}");
        assert_eq!(bad("[sla]\nact = -1\n").line, Some(2));
        assert!(
            bad("[sla]\nact = 30\nattend = 14\n")
                .message
                .contains("must not decrease")
        );
        assert_eq!(bad("[exploitation]\npoc_epss = 1.5\n").line, Some(2));
        let e = bad(
            "[[vex]]\nid = \"CVE-1\"\nstatus = \"not_affected\"\nstatement = \"s\"\nexpires = 2027-01-01\n",
        );
        assert!(e.message.contains("justification"), "{e}");
        let e = bad(
            "[[vex]]\nid = \"CVE-1\"\nstatus = \"not_affected\"\njustification = \"because\"\nstatement = \"s\"\nexpires = 2027-01-01\n",
        );
        assert_eq!(e.line, Some(4));
        let e = bad("[[mitigation]]\nid = \"CVE-1\"\nstatement = \"s\"\nexpires = 2027-01-01\n");
        assert!(e.message.contains("exposure"), "{e}");
        assert_eq!(
            bad("[[context.rule]]\npaths = [\"a/[\"]\nenvironment = \"dev\"\n").line,
            Some(2)
        );
        assert!(Policy::parse("p.toml", "").unwrap().ignores.is_empty());
        // [feeds] belongs to the feeds configuration.
        assert!(Policy::parse("p.toml", "[feeds]\nmax_age = \"1d\"\n").is_ok());
    }

    #[test]
    fn rollout_rings_and_approvals() {
        let t = r#"
[[environment]]
name = "canary"
soak = "1d"
checks = [
  { command = "true" },
  { http = "http://127.0.0.1:1/health", expect_status = 204, timeout = 5 },
  { rescan = "deploy/bom.cdx.json" },
]
rollback_on_failure = true

[[environment]]
name = "prod"
soak = "0s"

[approvals]
act = 1
"track*" = 3
prod = 2
"#;
        let p = Policy::parse("p.toml", t).unwrap();
        assert_eq!(p.environments.len(), 2);
        let (i, c) = p.ring("canary").unwrap();
        assert_eq!(i, 0);
        assert_eq!(c.soak_secs, 86_400);
        assert!(c.rollback_on_failure);
        assert_eq!(c.checks[0].kind, CheckKind::Command("true".into()));
        assert_eq!(c.checks[0].timeout_secs, 60);
        assert_eq!(c.checks[0].rule, "p.toml:6");
        assert_eq!(
            c.checks[1].kind,
            CheckKind::Http {
                url: "http://127.0.0.1:1/health".into(),
                expect_status: 204
            }
        );
        assert_eq!(c.checks[1].timeout_secs, 5);
        assert_eq!(
            c.checks[2].kind,
            CheckKind::Rescan("deploy/bom.cdx.json".into())
        );
        assert_eq!(p.ring("prod").unwrap().1.soak_secs, 0);
        assert!(!p.ring("prod").unwrap().1.rollback_on_failure);
        assert_eq!(p.approvals.for_priority(Some("act")), 1);
        assert_eq!(p.approvals.for_priority(Some("track*")), 3);
        assert_eq!(p.approvals.for_priority(Some("attend")), 0);
        assert_eq!(p.approvals.for_promotion("prod", Some("act")), 2);
        assert_eq!(p.approvals.for_promotion("canary", Some("act")), 1);
        assert_eq!(p.approvals.for_promotion("canary", None), 0);
        let p = Policy::parse("p.toml", "[approvals]\ntrack_star = 2\n").unwrap();
        assert_eq!(p.approvals.track_star, 2);
    }

    #[test]
    fn rollout_errors_name_line_and_key() {
        let bad = |t: &str| Policy::parse("p.toml", t).unwrap_err();
        let e = bad(r#"[[environment]]
name = "c"
soak = "1 day"
"#);
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.message.contains("soak"), "{e}");
        let e = bad(r#"[[environment]]
soak = "1d"
"#);
        assert!(e.message.contains("name"), "{e}");
        assert_eq!(e.line, Some(1));
        let e = bad(r#"[[environment]]
name = "c"
saok = "1d"
"#);
        assert_eq!(e.line, Some(3), "{e}");
        let e = bad(r#"[[environment]]
name = "c"
[[environment]]
name = "c"
"#);
        assert!(e.message.contains("twice"), "{e}");
        assert_eq!(e.line, Some(3));
        let e = bad(r#"[[environment]]
name = "c"
checks = [
 { command = "x", http = "http://a" },
]
"#);
        assert_eq!(e.line, Some(4), "{e}");
        assert!(e.message.contains("exactly one"), "{e}");
        let e = bad(r#"[[environment]]
name = "c"
checks = [
 {},
]
"#);
        assert_eq!(e.line, Some(4), "{e}");
        let e = bad(r#"[[environment]]
name = "c"
checks = [
 { command = "x", expect_status = 200 },
]
"#);
        assert!(e.message.contains("expect_status"), "{e}");
        let e = bad(r#"[[environment]]
name = "c"
checks = [
 { http = "ftp://x" },
]
"#);
        assert_eq!(e.line, Some(4), "{e}");
        let e = bad(r#"[[environment]]
name = "c"
checks = [
 { http = "http://x", expect_status = 42 },
]
"#);
        assert!(e.message.contains("100-599"), "{e}");
        let e = bad(r#"[[environment]]
name = "c"
checks = [
 { command = "x", timeout = 0 },
]
"#);
        assert!(e.message.contains("timeout"), "{e}");
        let e = bad(r#"[[environment]]
name = "c"
checks = [
 { command = "x", tiemout = 3 },
]
"#);
        assert!(e.message.contains("tiemout"), "{e}");
        assert_eq!(e.line, Some(4), "{e}");
        let e = bad(r#"[approvals]
act = 1
staging = 2
"#);
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.message.contains("staging"), "{e}");
        let e = bad(r#"[approvals]
act = -1
"#);
        assert_eq!(e.line, Some(2), "{e}");
        let e = bad(r#"[approvals]
act = "one"
"#);
        assert_eq!(e.line, Some(2), "{e}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("3d"), Some(3 * 86_400));
        assert_eq!(parse_duration("12h"), Some(12 * 3600));
        assert_eq!(parse_duration("90m"), Some(90 * 60));
        assert_eq!(parse_duration("0s"), Some(0));
        assert_eq!(parse_duration("1d12h"), Some(86_400 + 12 * 3600));
        assert_eq!(parse_duration("1w"), Some(7 * 86_400));
        assert_eq!(parse_duration("3"), None);
        assert_eq!(parse_duration(""), None);
        assert_eq!(parse_duration("d"), None);
        assert_eq!(parse_duration("3y"), None);
        assert_eq!(parse_duration("-3d"), None);
    }

    #[test]
    fn context_defaults_and_rules() {
        let t = r#"
[context]
criticality = "high"
exposure = "internet-facing"

[[context.rule]]
paths = ["tools/**"]
environment = "dev"
exposure = "internal"

[[context.rule]]
paths = ["**/Cargo.lock"]
criticality = "mission-critical"
exposure = "controlled"
"#;
        let p = Policy::parse("proj/patchloop.toml", t).unwrap();
        let c = p.context_for("proj/tools/Cargo.lock");
        assert_eq!(
            c.environment,
            (Environment::Dev, "proj/patchloop.toml:6".into())
        );
        // First matching rule wins per key.
        assert_eq!(c.exposure.0, Exposure::Internal);
        assert_eq!(
            c.criticality,
            (
                Criticality::MissionCritical,
                "proj/patchloop.toml:11".into()
            )
        );
        let c = p.context_for("proj/web/package-lock.json");
        assert_eq!(
            c.exposure,
            (Exposure::InternetFacing, "proj/patchloop.toml:4".into())
        );
        assert_eq!(c.environment, (Environment::Prod, "default".into()));
        assert_eq!(Policy::default().context.criticality.0, Criticality::Medium);
    }
}
