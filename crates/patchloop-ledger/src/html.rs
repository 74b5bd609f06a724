//! A self-contained HTML report of the ledger (docs/ledger.md, "HTML
//! report"): one file, inline CSS, charts as inline SVG drawn here, no
//! script, and a Content-Security-Policy that forbids every load (the
//! stylesheet is allowed by its hash).
//!
//! Sections: the numbers per priority, open findings per day (stacked
//! bars), time to remediate (median and max per priority), SLA compliance
//! (on time, late, overdue per priority), the open findings, each patch's
//! timeline, and the ledger's integrity (head hash, verification, keys).
//!
//! Every string taken from a record is escaped ([`escape`]). The output is
//! a function of the records, the project filter and "now" only.

use std::fmt::Write as _;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::ledger::Record;
use crate::remediation::{
    DayOpen, Finding, PRIORITIES, PatchTimeline, PrioritySummary, Remediation, analyze,
};

const CSS: &str = "
:root{--fg:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#fff;--ok:#15803d;--bad:#b91c1c;--warn:#d97706}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1040px;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
.meta{color:var(--muted)}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f9fafb;font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
code,.hash{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
.badge{display:inline-block;border-radius:9px;padding:0 8px;font-size:12px;font-weight:600;color:#fff;background:#6b7280}
.p-act{background:#b91c1c}.p-attend{background:#ea580c}.p-track-star{background:#ca8a04}.p-track{background:#2563eb}.p-none{background:#9ca3af}
.ok{color:var(--ok);font-weight:600}.bad{color:var(--bad);font-weight:600}.warn{color:var(--warn);font-weight:600}
.verdict{padding:8px 12px;border-radius:6px;margin:8px 0}.verdict.ok{background:#f0fdf4}.verdict.bad{background:#fef2f2}
svg{max-width:100%;height:auto;display:block;margin:8px 0}
svg text{font:11px system-ui,sans-serif;fill:#374151}
ol.stages{list-style:none;padding:0;margin:4px 0 8px;display:flex;flex-wrap:wrap;gap:4px}
ol.stages li{border:1px solid var(--line);border-radius:4px;padding:1px 8px;font-size:12px;color:var(--muted)}
ol.stages li.done{border-color:var(--ok);color:var(--ok)}ol.stages li.failed{border-color:var(--bad);color:var(--bad)}
details{margin:4px 0 12px}summary{color:var(--muted)}
";

const COLORS: [&str; 5] = ["#b91c1c", "#ea580c", "#ca8a04", "#2563eb", "#9ca3af"];
const GREEN: &str = "#15803d";
const AMBER: &str = "#d97706";
const RED: &str = "#b91c1c";

/// Escape text for HTML element content and quoted attribute values.
/// Bidirectional-override characters are dropped (they can make text read
/// differently from what it is) and other control characters become
/// spaces.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {}
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The Content-Security-Policy of the report: nothing may load; the one
/// inline stylesheet is allowed by its SHA-256.
pub fn content_security_policy() -> String {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(CSS.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src 'none'; script-src 'none'; base-uri 'none'; form-action 'none'"
    )
}

/// The report for `records` (the whole ledger, storage order) limited to
/// `project`, as of `now` (seconds since the epoch).
pub fn render(records: &[Record], project: Option<&str>, now: i64) -> String {
    render_analysis(&analyze(records, project, now))
}

fn badge(priority: &str) -> String {
    let class = match priority {
        "track*" => "track-star",
        p if PRIORITIES.contains(&p) => p,
        _ => "none",
    };
    format!(
        "<span class=\"badge p-{class}\">{}</span>",
        escape(priority)
    )
}

fn num(x: Option<f64>, suffix: &str) -> String {
    match x {
        Some(v) => format!("{v:.1}{suffix}"),
        None => "—".to_string(),
    }
}

fn short(h: &str) -> &str {
    h.get(..12).unwrap_or(h)
}

/// Render an analysis (see [`render`]).
pub fn render_analysis(a: &Remediation) -> String {
    let mut o = String::with_capacity(64 * 1024);
    let scope = match &a.project {
        Some(p) => format!("project {}", escape(p)),
        None => "all projects".to_string(),
    };
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n\
<meta name=\"referrer\" content=\"no-referrer\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>patchloop ledger report: {scope}</title>\n<style>{CSS}</style>\n</head>\n<body>\n\
<h1>patchloop ledger report</h1>\n<p class=\"meta\">{scope} · as of {now} · {n} records analysed",
        csp = content_security_policy(),
        now = escape(&a.now),
        n = a.records,
    );
    if a.skipped > 0 {
        let _ = write!(o, " · {} skipped (unreadable time)", a.skipped);
    }
    o.push_str("</p>\n");
    verdict(&mut o, a);

    o.push_str("<h2>Summary</h2>\n");
    summary_table(&mut o, a);

    o.push_str("<h2>Open findings over time</h2>\n<p class=\"meta\">Open findings at the end of each UTC day (today: now), by priority.</p>\n");
    o.push_str(&chart_open(&a.open_by_day));
    open_data(&mut o, &a.open_by_day);

    o.push_str("<h2>Time to remediate</h2>\n<p class=\"meta\">Days from discovery to the applied or closed record, per priority: median and maximum.</p>\n");
    o.push_str(&chart_ttr(&a.priorities));

    o.push_str("<h2>SLA compliance</h2>\n<p class=\"meta\">Remediated on or before the due date, after it, and open past it, per priority.</p>\n");
    o.push_str(&chart_sla(&a.priorities));

    let open = a.open_findings();
    let _ = writeln!(o, "<h2>Open findings ({})</h2>", open.len());
    open_table(&mut o, &open);

    let _ = writeln!(o, "<h2>Patches ({})</h2>", a.patches.len());
    if a.patches.is_empty() {
        o.push_str("<p class=\"meta\">No patch has been planned, approved or applied.</p>\n");
    }
    for p in &a.patches {
        patch_section(&mut o, p);
    }

    o.push_str("<h2>Ledger</h2>\n");
    ledger_section(&mut o, a);
    o.push_str("<p class=\"meta\">Generated by patchloop from the signed ledger. Numbers: docs/ledger.md, “patchloop report”.</p>\n</body>\n</html>\n");
    o
}

fn verdict(o: &mut String, a: &Remediation) {
    let l = &a.ledger;
    if l.verified {
        let _ = writeln!(
            o,
            "<p class=\"verdict ok\">Ledger verified: {} records, hashes, links, sequence numbers and signatures all check. Head <span class=\"hash\">{}</span>.</p>",
            l.records,
            escape(&l.head)
        );
    } else {
        let _ = writeln!(
            o,
            "<p class=\"verdict bad\">Ledger verification FAILED at {}. The numbers below come from records that may have been altered.</p>",
            escape(l.failure.as_deref().unwrap_or("?"))
        );
    }
}

fn summary_row(o: &mut String, label: &str, s: &PrioritySummary) {
    let _ = writeln!(
        o,
        "<tr><td>{label}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
        s.open,
        if s.overdue > 0 {
            format!("<span class=\"bad\">{}</span>", s.overdue)
        } else {
            "0".into()
        },
        s.remediated,
        s.within_sla,
        s.late,
        s.no_due,
        num(s.within_sla_pct, "%"),
        num(s.ttr_median_days, " d"),
        num(s.ttr_max_days, " d"),
    );
}

fn summary_table(o: &mut String, a: &Remediation) {
    o.push_str("<table class=\"summary\">\n<thead><tr><th>Priority</th><th class=\"n\">Open</th><th class=\"n\">Overdue</th><th class=\"n\">Remediated</th><th class=\"n\">Within SLA</th><th class=\"n\">Late</th><th class=\"n\">No due date</th><th class=\"n\">% within SLA</th><th class=\"n\">Median TTR</th><th class=\"n\">Max TTR</th></tr></thead>\n<tbody>\n");
    for s in &a.priorities {
        summary_row(o, &badge(&s.priority), s);
    }
    summary_row(o, "<strong>all</strong>", &a.total);
    o.push_str("</tbody>\n</table>\n");
    let suppressed = a.findings.iter().filter(|f| !f.is_active()).count();
    if suppressed > 0 {
        let _ = writeln!(
            o,
            "<p class=\"meta\">{suppressed} suppressed finding(s) (ignore rules) are not counted.</p>"
        );
    }
}

/// A step of 1, 2 or 5 × 10^k giving at most five intervals up to `max`;
/// returns (top, step).
fn scale(max: f64) -> (f64, f64) {
    if max <= 0.0 {
        return (1.0, 1.0);
    }
    let raw = max / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let step = if max >= 1.0 { step.max(1.0) } else { step };
    (((max / step) - 1e-9).ceil() * step, step)
}

fn fmt_tick(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

fn legend(o: &mut String, x0: f64, y: f64, items: &[(&str, &str)]) {
    let mut x = x0;
    for (label, color) in items {
        let _ = write!(
            o,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{color}\"/><text x=\"{:.1}\" y=\"{y:.1}\">{}</text>",
            y - 9.0,
            x + 14.0,
            escape(label)
        );
        x += 24.0 + 7.0 * label.chars().count() as f64;
    }
    o.push('\n');
}

fn chart_open(days: &[DayOpen]) -> String {
    if days.is_empty() {
        return "<p class=\"meta\">No records.</p>\n".into();
    }
    let (w, h) = (760.0, 280.0);
    let (ml, mr, mt, mb) = (44.0, 14.0, 30.0, 30.0);
    let (pw, ph) = (w - ml - mr, h - mt - mb);
    let max = days
        .iter()
        .map(|d| d.open.iter().sum::<usize>())
        .max()
        .unwrap_or(0) as f64;
    let (top, step) = scale(max);
    let y = |v: f64| mt + ph - v / top * ph;
    let mut o = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"Open findings per day by priority\" font-family=\"system-ui, sans-serif\" font-size=\"11\" xmlns=\"http://www.w3.org/2000/svg\">\n"
    );
    let items: Vec<(&str, &str)> = PRIORITIES.iter().copied().zip(COLORS).collect();
    legend(&mut o, ml, 14.0, &items);
    let mut v = 0.0;
    while v <= top + 1e-9 {
        let _ = writeln!(
            o,
            "<line x1=\"{ml}\" x2=\"{:.1}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#e5e7eb\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            w - mr,
            ml - 6.0,
            y(v) + 4.0,
            fmt_tick(v),
            yy = y(v)
        );
        v += step;
    }
    let n = days.len() as f64;
    let slot = pw / n;
    let bw = if slot > 4.0 { slot * 0.8 } else { slot };
    for (i, d) in days.iter().enumerate() {
        let x = ml + i as f64 * slot + (slot - bw) / 2.0;
        let total: usize = d.open.iter().sum();
        let title = PRIORITIES
            .iter()
            .zip(d.open)
            .filter(|(_, c)| *c > 0)
            .map(|(p, c)| format!("{p} {c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = write!(
            o,
            "<g><title>{}: {} open{}{}</title>",
            escape(&d.date),
            total,
            if title.is_empty() { "" } else { " — " },
            escape(&title)
        );
        let mut base = 0.0;
        for (k, c) in d.open.iter().enumerate() {
            if *c == 0 {
                continue;
            }
            let top_v = base + *c as f64;
            let _ = write!(
                o,
                "<rect x=\"{x:.2}\" y=\"{:.2}\" width=\"{bw:.2}\" height=\"{:.2}\" fill=\"{}\"/>",
                y(top_v),
                y(base) - y(top_v),
                COLORS[k]
            );
            base = top_v;
        }
        o.push_str("</g>\n");
    }
    // Date labels: first, last and about five between.
    let every = (days.len() as f64 / 6.0).ceil().max(1.0) as usize;
    let last = days.len() - 1;
    for (i, d) in days.iter().enumerate() {
        let show = i == 0 || i == last || (i % every == 0 && last - i > every / 2);
        if !show {
            continue;
        }
        let anchor = if i == 0 && days.len() > 1 {
            "start"
        } else if i == last && days.len() > 1 {
            "end"
        } else {
            "middle"
        };
        let x = if anchor == "start" {
            ml
        } else if anchor == "end" {
            w - mr
        } else {
            ml + (i as f64 + 0.5) * slot
        };
        let _ = writeln!(
            o,
            "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
            h - 10.0,
            escape(&d.date)
        );
    }
    let _ = writeln!(
        o,
        "<line x1=\"{ml}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#9ca3af\"/>\n</svg>",
        w - mr,
        mt + ph,
        mt + ph
    );
    o
}

fn open_data(o: &mut String, days: &[DayOpen]) {
    if days.is_empty() {
        return;
    }
    o.push_str("<details><summary>Numbers per day</summary>\n<table class=\"open-by-day\"><thead><tr><th>Date</th>");
    for p in PRIORITIES {
        let _ = write!(o, "<th class=\"n\">{}</th>", escape(p));
    }
    o.push_str("<th class=\"n\">Total</th></tr></thead>\n<tbody>\n");
    for d in days {
        let _ = write!(o, "<tr><td>{}</td>", escape(&d.date));
        for c in d.open {
            let _ = write!(o, "<td class=\"n\">{c}</td>");
        }
        let _ = writeln!(
            o,
            "<td class=\"n\">{}</td></tr>",
            d.open.iter().sum::<usize>()
        );
    }
    o.push_str("</tbody></table></details>\n");
}

fn chart_ttr(ps: &[PrioritySummary]) -> String {
    let rows: Vec<&PrioritySummary> = ps.iter().filter(|s| s.remediated > 0).collect();
    if rows.is_empty() {
        return "<p class=\"meta\">Nothing remediated yet.</p>\n".into();
    }
    let (w, ml, mr, mt, row) = (760.0, 70.0, 230.0, 30.0, 40.0);
    let h = mt + row * rows.len() as f64 + 26.0;
    let pw = w - ml - mr;
    let max = rows
        .iter()
        .filter_map(|s| s.ttr_max_days)
        .fold(0.0, f64::max);
    let (top, step) = scale(max);
    let x = |v: f64| ml + v / top * pw;
    let mut o = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"Time to remediate per priority, median and maximum, in days\" font-family=\"system-ui, sans-serif\" font-size=\"11\" xmlns=\"http://www.w3.org/2000/svg\">\n"
    );
    legend(
        &mut o,
        ml,
        14.0,
        &[("median", "#374151"), ("max (lighter)", "#d1d5db")],
    );
    let bottom = mt + row * rows.len() as f64;
    let mut v = 0.0;
    while v <= top + 1e-9 {
        let _ = writeln!(
            o,
            "<line x1=\"{xx:.1}\" x2=\"{xx:.1}\" y1=\"{mt}\" y2=\"{bottom:.1}\" stroke=\"#e5e7eb\"/><text x=\"{xx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{} d</text>",
            bottom + 16.0,
            fmt_tick(v),
            xx = x(v)
        );
        v += step;
    }
    for (i, s) in rows.iter().enumerate() {
        let y0 = mt + i as f64 * row + 6.0;
        let color = COLORS[crate::remediation::priority_rank(&s.priority)];
        let med = s.ttr_median_days.unwrap_or(0.0);
        let mx = s.ttr_max_days.unwrap_or(0.0);
        let _ = writeln!(
            o,
            "<g><title>{p}: median {med:.1} d, max {mx:.1} d over {n} remediated</title>\
<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{p}</text>\
<rect x=\"{ml}\" y=\"{y0:.1}\" width=\"{:.2}\" height=\"13\" fill=\"{color}\"/>\
<rect x=\"{ml}\" y=\"{:.1}\" width=\"{:.2}\" height=\"13\" fill=\"{color}\" fill-opacity=\"0.35\"/>\
<text x=\"{:.1}\" y=\"{:.1}\">median {med:.1} d · max {mx:.1} d (n={n})</text></g>",
            ml - 8.0,
            y0 + 17.0,
            (x(med) - ml).max(1.0),
            y0 + 14.0,
            (x(mx) - ml).max(1.0),
            w - mr + 16.0,
            y0 + 17.0,
            p = escape(&s.priority),
            n = s.remediated,
        );
    }
    o.push_str("</svg>\n");
    o
}

fn chart_sla(ps: &[PrioritySummary]) -> String {
    let rows: Vec<&PrioritySummary> = ps
        .iter()
        .filter(|s| s.within_sla + s.late + s.overdue > 0)
        .collect();
    if rows.is_empty() {
        return "<p class=\"meta\">No finding with a due date has been remediated or is overdue.</p>\n".into();
    }
    let (w, ml, mr, mt, row) = (760.0, 70.0, 300.0, 30.0, 30.0);
    let h = mt + row * rows.len() as f64 + 8.0;
    let pw = w - ml - mr;
    let max = rows
        .iter()
        .map(|s| s.within_sla + s.late + s.overdue)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let mut o = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"SLA compliance per priority\" font-family=\"system-ui, sans-serif\" font-size=\"11\" xmlns=\"http://www.w3.org/2000/svg\">\n"
    );
    legend(
        &mut o,
        ml,
        14.0,
        &[
            ("remediated on time", GREEN),
            ("remediated late", AMBER),
            ("open, overdue", RED),
        ],
    );
    for (i, s) in rows.iter().enumerate() {
        let y0 = mt + i as f64 * row + 4.0;
        let mut x = ml;
        let p = escape(&s.priority);
        let pct = s
            .within_sla_pct
            .map(|v| format!(" · {v:.1}% within SLA"))
            .unwrap_or_default();
        let _ = write!(
            o,
            "<g><title>{p}: {} on time, {} late, {} overdue{pct}</title><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{p}</text>",
            s.within_sla,
            s.late,
            s.overdue,
            ml - 8.0,
            y0 + 14.0
        );
        for (c, color) in [(s.within_sla, GREEN), (s.late, AMBER), (s.overdue, RED)] {
            if c == 0 {
                continue;
            }
            let bw = c as f64 / max * pw;
            let _ = write!(
                o,
                "<rect x=\"{x:.2}\" y=\"{y0:.1}\" width=\"{bw:.2}\" height=\"18\" fill=\"{color}\"/>"
            );
            x += bw;
        }
        let _ = writeln!(
            o,
            "<text x=\"{:.1}\" y=\"{:.1}\">{} on time · {} late · {} overdue{pct}</text></g>",
            w - mr + 16.0,
            y0 + 14.0,
            s.within_sla,
            s.late,
            s.overdue
        );
    }
    o.push_str("</svg>\n");
    o
}

fn open_table(o: &mut String, open: &[&Finding]) {
    if open.is_empty() {
        o.push_str("<p class=\"meta\">No open finding.</p>\n");
        return;
    }
    o.push_str("<table class=\"open\">\n<thead><tr><th>Priority</th><th>Vulnerability</th><th>Package</th><th>Discovered</th><th>Due</th><th class=\"n\">Days open</th><th>Status</th><th>Patch</th><th>Project</th></tr></thead>\n<tbody>\n");
    for f in open {
        let pkg = if f.version.is_empty() {
            escape(&f.package)
        } else {
            format!("{}@{}", escape(&f.package), escape(&f.version))
        };
        let status = if f.overdue {
            "<span class=\"bad\">OVERDUE</span>".to_string()
        } else if f.reopened > 0 {
            "<span class=\"warn\">reopened</span>".to_string()
        } else {
            "open".to_string()
        };
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{pkg}</td><td>{}</td><td>{}</td><td class=\"n\">{:.1}</td><td>{status}</td><td>{}</td><td>{}</td></tr>",
            badge(&f.priority),
            escape(&f.ids.join(", ")),
            escape(&f.discovered),
            escape(f.due.as_deref().unwrap_or("—")),
            f.days_open,
            escape(f.patch.as_deref().unwrap_or("")),
            escape(&f.project),
        );
    }
    o.push_str("</tbody>\n</table>\n");
}

fn patch_section(o: &mut String, p: &PatchTimeline) {
    let has = |k: &str| p.events.iter().any(|e| e.kind == k);
    let _ = writeln!(
        o,
        "<section class=\"patch\">\n<h3>{} {} <span class=\"meta\">{} · status: {}</span></h3>",
        badge(&p.priority),
        escape(&p.patch),
        escape(&p.project),
        escape(&p.status)
    );
    if !p.fixes.is_empty() {
        let _ = writeln!(
            o,
            "<p class=\"meta\">Fixes {}</p>",
            escape(&p.fixes.join(", "))
        );
    }
    // Stages reached.
    let failed_test = p
        .events
        .iter()
        .rev()
        .find(|e| e.kind == "tested")
        .and_then(|e| e.outcome.as_deref())
        .is_some_and(|x| x != "passed");
    let mut stages: Vec<(&str, &str)> = vec![("discovered", "discovered")];
    stages.push(if has("rejected") && !has("approved") {
        ("rejected", "rejected")
    } else {
        ("approved", "approved")
    });
    stages.extend([
        ("tested", "tested"),
        ("applied", "applied"),
        ("promoted", "promoted"),
        ("verified", "verified"),
    ]);
    for extra in ["rolled-back", "closed", "exception-granted"] {
        if has(extra) {
            stages.push((extra, extra));
        }
    }
    o.push_str("<ol class=\"stages\">");
    for (kind, label) in stages {
        let class = if !has(kind) {
            ""
        } else if kind == "rolled-back" || kind == "rejected" || (kind == "tested" && failed_test) {
            " class=\"failed\""
        } else {
            " class=\"done\""
        };
        let _ = write!(o, "<li{class}>{label}</li>");
    }
    o.push_str("</ol>\n<table class=\"timeline\">\n<thead><tr><th class=\"n\">#</th><th>Time</th><th>Event</th><th>Actor</th><th>Outcome</th><th>Details</th><th>Record</th></tr></thead>\n<tbody>\n");
    for e in &p.events {
        let outcome = match e.outcome.as_deref() {
            None => String::new(),
            Some(x @ ("passed" | "ok" | "success" | "succeeded" | "healthy")) => {
                format!("<span class=\"ok\">{}</span>", escape(x))
            }
            Some(x @ ("failed" | "timed-out" | "error" | "unhealthy")) => {
                format!("<span class=\"bad\">{}</span>", escape(x))
            }
            Some(x) => escape(x),
        };
        let _ = writeln!(
            o,
            "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{outcome}</td><td>{}</td><td><span class=\"hash\" title=\"{}\">{}</span></td></tr>",
            e.seq,
            escape(&e.time),
            escape(&e.kind),
            escape(&e.actor),
            escape(&e.detail),
            escape(&e.hash),
            escape(short(&e.hash)),
        );
    }
    o.push_str("</tbody>\n</table>\n</section>\n");
}

fn ledger_section(o: &mut String, a: &Remediation) {
    let l = &a.ledger;
    let _ = writeln!(
        o,
        "<table class=\"ledger\"><tbody>\n<tr><th>Records</th><td>{}</td></tr>\n<tr><th>Head (hash of the last record)</th><td class=\"hash\">{}</td></tr>\n<tr><th>Verification</th><td>{}</td></tr>\n</tbody></table>",
        l.records,
        escape(&l.head),
        if l.verified {
            "<span class=\"ok\">OK</span>: every hash, link, sequence number and signature checks (keys not pinned: compare them with the keys you trust, or run <code>patchloop ledger verify --trust</code>)".to_string()
        } else {
            format!(
                "<span class=\"bad\">FAILED</span>: {}",
                escape(l.failure.as_deref().unwrap_or("?"))
            )
        }
    );
    o.push_str("<h3>Signing keys</h3>\n<table class=\"keys\">\n<thead><tr><th>Public key (Ed25519, hex)</th><th class=\"n\">Records</th><th>First</th><th>Last</th><th>Verified</th></tr></thead>\n<tbody>\n");
    for k in &l.keys {
        let _ = writeln!(
            o,
            "<tr><td class=\"hash\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&k.key),
            k.records,
            escape(&k.first),
            escape(&k.last),
            if k.verified {
                "<span class=\"ok\">yes</span>"
            } else {
                "<span class=\"bad\">no</span>"
            }
        );
    }
    o.push_str("</tbody>\n</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_and_controls() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(escape("a\u{202E}b\u{0007}c"), "ab c");
    }

    #[test]
    fn scales_are_round() {
        assert_eq!(scale(0.0), (1.0, 1.0));
        assert_eq!(scale(3.0), (3.0, 1.0));
        assert_eq!(scale(7.0), (8.0, 2.0));
        assert_eq!(scale(23.0), (25.0, 5.0));
        let (top, step) = scale(0.4);
        assert!((top - 0.4).abs() < 1e-9 && (step - 0.1).abs() < 1e-9);
    }

    #[test]
    fn csp_forbids_loads_and_pins_the_stylesheet() {
        let c = content_security_policy();
        assert!(c.starts_with("default-src 'none'; style-src 'sha256-"));
        assert!(!c.contains("unsafe"));
    }
}
