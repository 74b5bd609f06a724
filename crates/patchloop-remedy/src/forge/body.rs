//! Pull-request titles and Markdown bodies for one plan group.
//!
//! Everything taken from advisories, lockfiles or test output is treated
//! as hostile: table cells and prose are escaped ([`escape`], the rules of
//! the ledger's Markdown report: no cell breaks, HTML, links, emphasis or
//! `@`-mentions), versions and commands go in code spans sized to their
//! content, the log tail in a fence longer than any backtick run in it,
//! and links only to plain http(s) URLs.

use std::fmt::Write as _;

use patchloop_model::{Change, Finding, PlanGroup};

use crate::evidence::{TestEvidence, TestOutcome};

/// Upper bound on a body's length in bytes (GitHub refuses bodies over
/// 65,536 characters; GitLab and Gitea allow more).
pub const MAX_BODY_LEN: usize = 60_000;

/// Longest text taken into one cell or list item, in characters.
const MAX_CELL: usize = 200;
/// Aliases shown next to an id before "+N".
const MAX_ALIASES: usize = 4;
/// Log tail shown: at most this many lines and bytes.
const LOG_LINES: usize = 60;
const LOG_BYTES: usize = 6_000;

/// At most `max` characters of `s` (an ellipsis marks a cut).
// The Markdown rules of the scan reports (escaping, clipping) apply to
// pull-request bodies too.
use patchloop_ledger::report::clip;
pub(crate) use patchloop_ledger::report::markdown::escape;

fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `s` as an inline code span (not for table cells: `|` still splits a
/// cell there). The fence is one backtick longer than any run inside.
fn code(s: &str, max: usize) -> String {
    let one: String = clip(s, max)
        .chars()
        .filter(|c| !is_bidi(*c))
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let fence = "`".repeat(longest_run(&one, '`') + 1);
    let pad = if one.starts_with('`') || one.ends_with('`') || one.starts_with(' ') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{one}{pad}{fence}")
}

fn longest_run(s: &str, ch: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for c in s.chars() {
        if c == ch {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    best
}

/// A plain `http(s)` URL fit for a Markdown link destination, or None.
fn link_url(url: &str) -> Option<String> {
    let s = url.trim();
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &s[8..]
    } else if lower.starts_with("http://") {
        &s[7..]
    } else {
        return None;
    };
    if rest.is_empty()
        || rest.starts_with('/')
        || s.len() > 2048
        || s.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:/?#@!$&*+,;=%".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    Some(out)
}

/// One line of plain text: control and bidirectional characters removed,
/// white space collapsed.
fn plain(s: &str) -> String {
    s.chars()
        .filter(|c| !is_bidi(*c))
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The pull-request title, for example
/// `fix(security): bump express to 4.17.3 (GHSA-rv95-896h-c2vc, act)`.
/// Plain text (control characters removed), at most 200 characters.
pub fn pr_title(group: &PlanGroup) -> String {
    let mut packages: Vec<&Change> = Vec::new();
    for c in &group.changes {
        if !packages.iter().any(|p| p.package == c.package) {
            packages.push(c);
        }
    }
    let what = match packages.as_slice() {
        [] => format!("patchloop group {}", group.id),
        [a] => format!("bump {} to {}", a.package, a.to),
        [a, b] => format!(
            "bump {} to {} and {} to {}",
            a.package, a.to, b.package, b.to
        ),
        [a, rest @ ..] => format!(
            "bump {} to {} and {} more packages",
            a.package,
            a.to,
            rest.len()
        ),
    };
    let mut tags = Vec::new();
    match group.fixes.as_slice() {
        [] => {}
        [one] => tags.push(one.clone()),
        [first, rest @ ..] => tags.push(format!("{first} +{}", rest.len())),
    }
    if let Some(p) = group.priority {
        tags.push(p.as_str().to_string());
    }
    let mut title = format!("fix(security): {what}");
    if !tags.is_empty() {
        let _ = write!(title, " ({})", tags.join(", "));
    }
    clip(&plain(&title), 200)
}

/// The Markdown body: what the group fixes (each finding's id linked to
/// its advisory, aliases, severity, priority, due date, KEV and EPSS),
/// the changes (package from → to, update type, strategy, action, risk
/// note), and the test evidence with the log tail. `findings` may be the
/// whole scan: those whose id is among the group's fixes and whose
/// package one of its changes touches are shown. At most
/// [`MAX_BODY_LEN`] bytes: the log, then table rows, are left out first.
pub fn pr_body(group: &PlanGroup, findings: &[Finding], test: Option<&TestEvidence>) -> String {
    let mut shown: Vec<&Finding> = Vec::new();
    for f in findings {
        let fixes = f.ids().any(|id| group.fixes.iter().any(|x| x == id));
        let touched = group
            .changes
            .iter()
            .any(|c| c.package == f.package.name && c.ecosystem == f.package.ecosystem);
        let dup = shown.iter().any(|s| {
            s.id == f.id
                && s.package.name == f.package.name
                && s.package.version == f.package.version
        });
        if fixes && touched && !dup {
            shown.push(f);
        }
    }
    let missing: Vec<&String> = group
        .fixes
        .iter()
        .filter(|id| !shown.iter().any(|f| f.ids().any(|x| x == id.as_str())))
        .collect();

    let mut rows: Vec<String> = shown.iter().map(|f| finding_row(f)).collect();
    rows.extend(missing.iter().map(|id| {
        format!(
            "| {} | — | — | — | — | not in the scan report |\n",
            escape(id, MAX_CELL)
        )
    }));
    let summaries: Vec<String> = shown.iter().filter_map(|f| summary_item(f)).collect();
    let changes: Vec<String> = group.changes.iter().map(change_item).collect();

    let mut with_log = true;
    let (mut n_rows, mut n_changes) = (rows.len(), changes.len());
    loop {
        let body = render(
            group,
            &Parts {
                rows: &rows[..n_rows],
                rows_total: rows.len(),
                summaries: if n_rows == rows.len() {
                    &summaries
                } else {
                    &[]
                },
                changes: &changes[..n_changes],
                changes_total: changes.len(),
            },
            test,
            with_log,
        );
        if body.len() <= MAX_BODY_LEN || (n_rows == 0 && n_changes == 0 && !with_log) {
            return body;
        }
        if with_log && test.is_some_and(|t| !t.log_tail.trim().is_empty()) {
            with_log = false;
        } else {
            with_log = false;
            n_rows /= 2;
            n_changes /= 2;
        }
    }
}

struct Parts<'a> {
    rows: &'a [String],
    rows_total: usize,
    summaries: &'a [String],
    changes: &'a [String],
    changes_total: usize,
}

fn render(
    group: &PlanGroup,
    parts: &Parts<'_>,
    test: Option<&TestEvidence>,
    with_log: bool,
) -> String {
    let mut out = String::new();
    let n_packages = {
        let mut names: Vec<&str> = group.changes.iter().map(|c| c.package.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names.len()
    };
    let _ = writeln!(out, "## patchloop security update\n");
    let _ = write!(
        out,
        "Fixes {} in {}",
        plural(group.fixes.len(), "vulnerability", "vulnerabilities"),
        plural(n_packages, "package", "packages")
    );
    if let Some(p) = group.priority {
        let _ = write!(out, "; priority **{}**", escape(p.as_str(), 10));
    }
    if let Some(due) = &group.due {
        let _ = write!(out, ", due **{}**", escape(due, 20));
    }
    out.push_str(".\n");

    out.push_str("\n### Vulnerabilities fixed\n\n");
    out.push_str("| ID | Severity | Priority | Due | Exploitation | Package |\n");
    out.push_str("| --- | --- | --- | --- | --- | --- |\n");
    parts.rows.iter().for_each(|r| out.push_str(r));
    if parts.rows.len() < parts.rows_total {
        let _ = writeln!(
            out,
            "\n_… and {} more not shown (size limit)._",
            parts.rows_total - parts.rows.len()
        );
    }
    if !parts.summaries.is_empty() {
        out.push('\n');
        parts.summaries.iter().for_each(|s| out.push_str(s));
    }

    out.push_str("\n### Changes\n\n");
    parts.changes.iter().for_each(|c| out.push_str(c));
    if parts.changes.len() < parts.changes_total {
        let _ = writeln!(
            out,
            "\n_… and {} more changes not shown (size limit)._",
            parts.changes_total - parts.changes.len()
        );
    }

    out.push_str("\n### Tests\n\n");
    match test {
        None => out.push_str("Not run by patchloop.\n"),
        Some(t) => out.push_str(&test_section(t, with_log)),
    }

    let _ = writeln!(
        out,
        "\n---\n<sub>Opened by patchloop from branch {}; a re-run updates this description.</sub>",
        code(&group.branch, 200)
    );
    // Only characters that cannot end the comment (`--`, `>`).
    let mut marker: String = group
        .id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-'))
        .take(100)
        .collect();
    while marker.contains("--") {
        marker = marker.replace("--", "-");
    }
    let _ = writeln!(out, "<!-- patchloop:group {marker} -->");
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn finding_row(f: &Finding) -> String {
    let id = escape(&f.id, MAX_CELL);
    let id = match f.url.as_deref().and_then(link_url) {
        Some(u) => format!("[{id}]({u})"),
        None => id,
    };
    let aliases = if f.aliases.is_empty() {
        String::new()
    } else {
        let mut shown: Vec<String> = f
            .aliases
            .iter()
            .take(MAX_ALIASES)
            .map(|a| escape(a, 60))
            .collect();
        if f.aliases.len() > MAX_ALIASES {
            shown.push(format!("+{}", f.aliases.len() - MAX_ALIASES));
        }
        format!(" ({})", shown.join(", "))
    };
    let mut severity = f.severity.level.to_string();
    if let Some(score) = f.severity.score.filter(|s| s.is_finite()) {
        let _ = write!(severity, " {score:.1}");
    }
    let (priority, due) = match &f.risk {
        Some(r) => (
            format!("**{}** ({})", escape(r.priority.as_str(), 10), r.score),
            if r.overdue {
                format!("{} **overdue**", escape(&r.due, 20))
            } else {
                escape(&r.due, 20)
            },
        ),
        None => ("—".to_string(), "—".to_string()),
    };
    format!(
        "| {id}{aliases} | {severity} | {priority} | {due} | {} | {} {} ({}) |\n",
        exploitation(f),
        escape(&f.package.name, MAX_CELL),
        escape(&f.package.version, 80),
        escape(&f.package.ecosystem.to_string(), 40),
    )
}

/// KEV, EPSS and exploit references, or `—`.
fn exploitation(f: &Finding) -> String {
    let x = &f.exploitation;
    let mut parts = Vec::new();
    if let Some(k) = x.kev.first() {
        let mut s = format!("**KEV** since {}", escape(&k.date_added, 20));
        if x.kev.iter().any(|k| k.known_ransomware) {
            s.push_str(", ransomware");
        }
        parts.push(s);
    }
    if let Some(e) = &x.epss
        && e.probability.is_finite()
        && e.percentile.is_finite()
    {
        parts.push(format!(
            "EPSS {:.1}% (percentile {:.0})",
            e.probability * 100.0,
            e.percentile * 100.0
        ));
    }
    if !x.exploit_refs.is_empty() {
        parts.push(plural(
            x.exploit_refs.len(),
            "exploit reference",
            "exploit references",
        ));
    }
    if parts.is_empty() {
        "—".to_string()
    } else {
        parts.join("; ")
    }
}

fn summary_item(f: &Finding) -> Option<String> {
    let s = plain(f.summary.as_deref()?);
    let s = s.trim_end_matches('.');
    (!s.is_empty()).then(|| format!("- {}: {}\n", escape(&f.id, MAX_CELL), escape(s, MAX_CELL)))
}

fn change_item(c: &Change) -> String {
    let mut s = format!(
        "- **{}** ({}) {} → {}: {} update, {}, in {}\n",
        escape(&c.package, MAX_CELL),
        escape(&c.ecosystem.to_string(), 40),
        code(&c.from, 80),
        code(&c.to, 80),
        c.update.as_str(),
        c.strategy.as_str(),
        code(&c.file, MAX_CELL),
    );
    if let Some(p) = &c.parent {
        let _ = writeln!(
            s,
            "  - Bumps the direct dependency **{}** {} → {}",
            escape(&p.package, MAX_CELL),
            code(&p.from, 80),
            code(&p.to, 80)
        );
    }
    if let Some(path) = &c.path {
        let _ = writeln!(s, "  - Pulled in by {}", code(path, MAX_CELL));
    }
    if !c.action.trim().is_empty() {
        let _ = writeln!(s, "  - Action: {}", code(&c.action, MAX_CELL));
    }
    if !c.risk_note.trim().is_empty() {
        let _ = writeln!(s, "  - Risk: {}", escape(&plain(&c.risk_note), 400));
    }
    s
}

fn duration(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return "unknown time".to_string();
    }
    if secs < 120.0 {
        format!("{secs:.1} s")
    } else {
        let whole = secs.round() as u64;
        format!("{} min {} s", whole / 60, whole % 60)
    }
}

fn test_section(t: &TestEvidence, with_log: bool) -> String {
    let mark = match t.outcome {
        TestOutcome::Passed => "✅",
        TestOutcome::Failed => "❌",
        TestOutcome::TimedOut => "⏱️",
        TestOutcome::Skipped => "⏭️",
    };
    let mut s = format!(
        "{mark} **{}**: {} in {}\n",
        t.outcome.as_str(),
        code(&t.command, 400),
        duration(t.duration_secs)
    );
    let log = log_tail(&t.log_tail);
    if with_log && !log.trim().is_empty() {
        let fence = "`".repeat((longest_run(&log, '`') + 1).max(3));
        let _ = write!(
            s,
            "\n<details><summary>Last lines of the test log</summary>\n\n{fence}text\n{log}\n{fence}\n\n</details>\n"
        );
    }
    s
}

/// The last lines of `log` within the limits, control characters other
/// than newlines and tabs removed.
fn log_tail(log: &str) -> String {
    let clean: String = log
        .chars()
        .filter(|c| !is_bidi(*c) && (*c == '\n' || *c == '\t' || !c.is_control()))
        .collect();
    let lines: Vec<&str> = clean.trim_end().lines().collect();
    let start = lines.len().saturating_sub(LOG_LINES);
    let mut tail = lines[start..].join("\n");
    if tail.len() > LOG_BYTES {
        let mut cut = tail.len() - LOG_BYTES;
        while !tail.is_char_boundary(cut) {
            cut += 1;
        }
        tail = format!("…{}", &tail[cut..]);
    }
    tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape("a|b", 10), "a\\|b");
        assert_eq!(escape("<script>", 20), "&lt;script&gt;");
        assert_eq!(escape("x\ny", 10), "x y");
        assert_eq!(escape("cc @team", 20), "cc @&#8203;team");
        assert_eq!(escape("a\u{202E}b", 10), "ab");
        assert_eq!(escape("[l](javascript:x)", 40), "\\[l\\](javascript:x)");
    }

    #[test]
    fn code_spans_outgrow_backticks() {
        assert_eq!(code("npm i x", 50), "`npm i x`");
        assert_eq!(code("a `b` c", 50), "``a `b` c``");
        assert_eq!(code("`x", 50), "`` `x ``");
        assert_eq!(code("a\nb", 50), "`a b`");
    }

    #[test]
    fn links() {
        assert_eq!(
            link_url("https://e.com/a_(b)|c").as_deref(),
            Some("https://e.com/a_%28b%29%7Cc")
        );
        assert_eq!(link_url("javascript:alert(1)"), None);
        assert_eq!(link_url("https://e.com/a b"), None);
        assert_eq!(
            link_url("https://e.com/\"><img>").as_deref(),
            Some("https://e.com/%22%3E%3Cimg%3E")
        );
    }

    #[test]
    fn log_tail_is_limited() {
        let log: String = (0..500).map(|i| format!("line {i}\n")).collect();
        let t = log_tail(&log);
        assert!(t.starts_with("line 440"), "{t}");
        assert!(t.ends_with("line 499"));
        let long = "é".repeat(10_000);
        assert!(log_tail(&long).len() <= LOG_BYTES + 4);
    }

    #[test]
    fn durations() {
        assert_eq!(duration(12.34), "12.3 s");
        assert_eq!(duration(185.0), "3 min 5 s");
        assert_eq!(duration(f64::NAN), "unknown time");
    }
}
