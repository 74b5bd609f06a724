//! GitHub-flavoured Markdown for pull-request comments.
//!
//! Layout: a heading with the counts, a table of the active
//! vulnerabilities (in report order), then the informational advisories,
//! the ignored findings, the policy notes and the number of diagnostics.
//!
//! Everything taken from advisories or inputs is escaped ([`escape`]): no
//! cell can break its table row, inject HTML, links, emphasis, math or
//! `@`-mentions. The output never exceeds [`MarkdownOptions::max_len`]
//! bytes (GitHub rejects comments over 65,536 characters): lists that do not
//! fit end with "… and N more".

use std::fmt::Write as _;

use patchloop_model::{Category, Finding, ScanReport, SeverityLevel};

use super::{URI_RESERVED, clip, http_url, percent_encode, summary_line};

/// GitHub's limit on the body of an issue or pull-request comment.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// Longest text taken into one cell or list item, in characters.
const MAX_CELL: usize = 200;
/// Aliases shown next to an id before "+N".
const MAX_ALIASES: usize = 4;

/// Settings for [`write`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkdownOptions {
    /// The heading's leading words.
    pub title: String,
    /// Upper bound on the output's length in bytes. The default leaves
    /// 536 bytes of GitHub's limit to whatever a bot wraps around it.
    /// Values below a few hundred bytes cannot be honoured.
    pub max_len: usize,
}

impl Default for MarkdownOptions {
    fn default() -> Self {
        MarkdownOptions {
            title: "patchloop scan".to_string(),
            max_len: GITHUB_COMMENT_LIMIT - 536,
        }
    }
}

/// The comment body for `report`.
pub fn write(report: &ScanReport, opts: &MarkdownOptions) -> String {
    let s = &report.summary;
    let mut header = format!(
        "### {}: {}\n\n",
        escape(&opts.title, MAX_CELL),
        counts_line(report)
    );
    let _ = writeln!(
        header,
        "Scanned {} in {}.",
        plural(s.packages, "package", "packages"),
        plural(s.files, "file", "files")
    );
    if s.unpinned + s.unmatched > 0 {
        let _ = writeln!(
            header,
            "Not matched: {} without an exact version, {} with a version or ecosystem patchloop cannot compare.",
            s.unpinned, s.unmatched
        );
    }
    if report.database.stale || report.database.warning.is_some() {
        let why = report
            .database
            .warning
            .as_deref()
            .map(|w| escape(w, MAX_CELL))
            .unwrap_or_else(|| "it is older than the configured maximum age".to_string());
        let _ = writeln!(header, "\n> **Warning:** advisory database: {why}");
    }

    let vulns: Vec<&Finding> = report
        .active()
        .filter(|f| f.category == Category::Vulnerability)
        .collect();
    let infos: Vec<&Finding> = report
        .active()
        .filter(|f| f.category == Category::Informational)
        .collect();
    let ignored: Vec<&Finding> = report.findings.iter().filter(|f| !f.is_active()).collect();

    let sections = [
        Section {
            head:
                "\n| Priority | Due | Severity | ID | Package | Installed | Fixed | Path/file |\n\
                   | --- | --- | --- | --- | --- | --- | --- | --- |\n"
                    .to_string(),
            items: vulns.iter().map(|f| table_row(f)).collect(),
            noun: "vulnerabilities",
        },
        Section {
            head: format!("\n#### Informational ({})\n\n", infos.len()),
            items: infos.iter().map(|f| info_item(f)).collect(),
            noun: "informational advisories",
        },
        Section {
            head: format!("\n#### Ignored ({})\n\n", ignored.len()),
            items: ignored.iter().map(|f| ignored_item(f)).collect(),
            noun: "ignored findings",
        },
        Section {
            head: format!("\n#### Policy ({})\n\n", report.policy.len()),
            items: report
                .policy
                .iter()
                .map(|p| {
                    format!(
                        "- **{}** {}: {} (rule {})\n",
                        escape(&p.kind, MAX_CELL),
                        escape(&p.id, MAX_CELL),
                        escape(&p.message, MAX_CELL),
                        escape(&p.rule, MAX_CELL)
                    )
                })
                .collect(),
            noun: "policy notes",
        },
    ];

    let footer = match report.diagnostics.len() {
        0 => String::new(),
        n => format!(
            "\n{} while reading inputs and advisories; run `patchloop scan` for details.\n",
            plural(n, "diagnostic", "diagnostics")
        ),
    };

    render(header, &sections, &footer, opts.max_len)
}

/// "N vulnerabilities (c critical, h high, …) in M packages; K
/// informational; S ignored", from the report's summary.
pub fn counts_line(report: &ScanReport) -> String {
    let s = &report.summary;
    let mut line = plural(s.vulnerabilities, "vulnerability", "vulnerabilities");
    let by: Vec<String> = SeverityLevel::ALL
        .iter()
        .filter_map(|l| {
            let n = s.by_severity.get(l).copied().unwrap_or(0);
            (n > 0).then(|| format!("{n} {l}"))
        })
        .collect();
    if !by.is_empty() {
        let _ = write!(line, " ({})", by.join(", "));
    }
    let _ = write!(
        line,
        " in {}; {} informational; {} ignored",
        plural(s.vulnerable_packages, "package", "packages"),
        s.informational,
        s.suppressed
    );
    line
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Escape `s` for use inside a table cell, list item or emphasis, at most
/// `max` characters of it: Markdown punctuation is backslash-escaped (so
/// `|` cannot end a cell, `[`/`` ` ``/`*` start nothing), `<`, `>`, `&`
/// become entities (no HTML), line breaks and control characters become
/// spaces, bidirectional overrides are dropped, and `@` is followed by a
/// zero-width space so advisory text cannot mention users or teams.
pub fn escape(s: &str, max: usize) -> String {
    let clipped = clip(s, max);
    let mut out = String::with_capacity(clipped.len() + 8);
    for c in clipped.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' | '$' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '@' => out.push_str("@&#8203;"),
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {}
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A checked `http(s)` url fit for a Markdown link destination inside a
/// table (parentheses and `|` percent-encoded too).
pub(crate) fn link_url(url: &str) -> String {
    let keep: Vec<u8> = URI_RESERVED
        .iter()
        .copied()
        .filter(|c| !b"()".contains(c))
        .collect();
    percent_encode(url, &keep, true)
}

/// `[ID](url)` when the url is a plain http(s) url, the escaped id
/// otherwise.
fn id_link(f: &Finding) -> String {
    let id = escape(&f.id, MAX_CELL);
    match f.url.as_deref().and_then(http_url) {
        Some(u) => format!("[{id}]({})", link_url(&u)),
        None => id,
    }
}

fn aliases(f: &Finding) -> String {
    if f.aliases.is_empty() {
        return String::new();
    }
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
}

/// `file:line`, and how many other files hold the package.
fn where_found(f: &Finding) -> String {
    let Some((path, line)) = f.primary_location() else {
        return "—".to_string();
    };
    let mut s = escape(path, MAX_CELL);
    if let Some(l) = line {
        let _ = write!(s, ":{l}");
    }
    if f.occurrences.len() > 1 {
        let _ = write!(s, " (+{} more)", f.occurrences.len() - 1);
    }
    s
}

fn severity_cell(f: &Finding) -> String {
    let mut s = f.severity.level.to_string();
    if let Some(score) = f.severity.score.filter(|s| s.is_finite()) {
        let _ = write!(s, " {score:.1}");
    }
    s
}

fn package(f: &Finding) -> String {
    format!(
        "{} ({})",
        escape(&f.package.name, MAX_CELL),
        escape(&f.package.ecosystem.to_string(), 40)
    )
}

/// Priority and due date cells (`—` when the finding was not prioritized).
fn priority_cells(f: &Finding) -> (String, String) {
    match &f.risk {
        Some(r) => (
            format!("**{}** ({})", escape(r.priority.as_str(), 10), r.score),
            if r.overdue {
                format!("{} **overdue**", escape(&r.due, 20))
            } else {
                escape(&r.due, 20)
            },
        ),
        None => ("—".to_string(), "—".to_string()),
    }
}

fn table_row(f: &Finding) -> String {
    let (priority, due) = priority_cells(f);
    format!(
        "| {} | {} | {} | {}{} | {} | {} | {} | {} |\n",
        priority,
        due,
        severity_cell(f),
        id_link(f),
        aliases(f),
        package(f),
        escape(&f.package.version, 80),
        f.fixed
            .as_deref()
            .map(|v| escape(v, 80))
            .unwrap_or_else(|| "—".to_string()),
        where_found(f)
    )
}

fn summary_suffix(f: &Finding) -> String {
    summary_line(f.summary.as_deref())
        .map(|s| format!(" — {}", escape(&s, MAX_CELL)))
        .unwrap_or_default()
}

fn info_item(f: &Finding) -> String {
    let kind = f
        .informational
        .as_deref()
        .map(|k| format!(" **{}**", escape(k, 40)))
        .unwrap_or_default();
    let fix = f
        .fixed
        .as_deref()
        .map(|v| format!(", fixed in {}", escape(v, 80)))
        .unwrap_or_default();
    format!(
        "- {}{kind}: {} {}{fix}{} ({})\n",
        id_link(f),
        package(f),
        escape(&f.package.version, 80),
        summary_suffix(f),
        where_found(f)
    )
}

fn ignored_item(f: &Finding) -> String {
    let Some(s) = &f.suppressed else {
        return String::new();
    };
    let expiry = s
        .expires
        .as_deref()
        .map(|e| format!(", until {}", escape(e, 40)))
        .unwrap_or_default();
    format!(
        "- {}{}: {} {} — {}{expiry} (rule {})\n",
        id_link(f),
        aliases(f),
        package(f),
        escape(&f.package.version, 80),
        escape(&s.reason, MAX_CELL),
        escape(&s.rule, MAX_CELL)
    )
}

struct Section {
    head: String,
    items: Vec<String>,
    noun: &'static str,
}

fn more_note(n: usize, noun: &str) -> String {
    format!("\n_… and {n} more {noun} not shown (comment size limit)._\n")
}

/// The smallest a non-empty section can be: its head and a note that all
/// its items were left out.
fn min_len(s: &Section) -> usize {
    if s.items.is_empty() {
        0
    } else {
        s.head.len() + more_note(s.items.len(), s.noun).len()
    }
}

/// Header, sections and footer within `max_len` bytes: each section takes
/// what the ones after it leave (their heads and notes are reserved) and
/// ends with "… and N more" when its items do not all fit.
fn render(header: String, sections: &[Section], footer: &str, max_len: usize) -> String {
    let mut out = header;
    for (i, sec) in sections.iter().enumerate() {
        if sec.items.is_empty() {
            continue;
        }
        let reserve: usize = sections[i + 1..].iter().map(min_len).sum::<usize>() + footer.len();
        let budget = max_len.saturating_sub(out.len() + reserve + sec.head.len());
        let total: usize = sec.items.iter().map(String::len).sum();
        out.push_str(&sec.head);
        if total <= budget {
            sec.items.iter().for_each(|it| out.push_str(it));
            continue;
        }
        let note_max = more_note(sec.items.len(), sec.noun).len();
        let mut used = 0;
        let mut shown = 0;
        for it in &sec.items {
            if used + it.len() + note_max > budget {
                break;
            }
            out.push_str(it);
            used += it.len();
            shown += 1;
        }
        out.push_str(&more_note(sec.items.len() - shown, sec.noun));
    }
    out.push_str(footer);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape("a|b", 10), "a\\|b");
        assert_eq!(escape("<script>", 20), "&lt;script&gt;");
        assert_eq!(escape("x\ny\r\tz", 10), "x y  z");
        assert_eq!(
            escape("`code` *b* [l](u)", 40),
            "\\`code\\` \\*b\\* \\[l\\](u)"
        );
        assert_eq!(escape("cc @team", 20), "cc @&#8203;team");
        assert_eq!(escape("\\|", 10), "\\\\\\|");
        assert_eq!(escape("a\u{202E}b", 10), "ab");
        assert_eq!(escape("日本語テキスト", 3), "日本語…");
    }

    #[test]
    fn link_urls_have_no_parens_or_pipes() {
        let u = http_url("https://e.com/a_(b)|c").unwrap();
        assert_eq!(link_url(&u), "https://e.com/a_%28b%29%7Cc");
    }

    #[test]
    fn render_truncates_with_a_note() {
        let sec = Section {
            head: "H\n".into(),
            items: (0..100).map(|i| format!("item {i:03}\n")).collect(),
            noun: "things",
        };
        let out = render("T\n".into(), &[sec], "F\n", 300);
        assert!(out.len() <= 300, "{}", out.len());
        assert!(out.contains("more things not shown"));
        assert!(out.ends_with("F\n"));
    }
}
