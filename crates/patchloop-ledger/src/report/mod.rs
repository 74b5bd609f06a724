//! Scan report writers, one submodule per output format.
//!
//! Each writer is a pure function of the [`ScanReport`] and its options:
//! the same input gives the same bytes (no clock, no randomness, no hash-map
//! iteration order). Findings are rendered in the order the report gives
//! them. None of them can fail.
//!
//! - [`sarif`]: SARIF 2.1.0 JSON (GitHub code scanning).
//! - [`cyclonedx`]: CycloneDX 1.6 JSON, the vulnerable components and their
//!   vulnerabilities.
//! - [`markdown`]: GitHub-flavoured Markdown for pull-request comments.
//!
//! Advisory text (summaries, ids, urls) is treated as hostile input: JSON
//! writers escape it through serde, the Markdown writer escapes every
//! character that could change the document's structure, and urls are only
//! emitted when they are plain `http(s)` urls.
//!
//! [`ScanReport`]: patchloop_model::ScanReport

use std::fmt::Write as _;

pub mod cyclonedx;
pub mod markdown;
pub mod sarif;

/// Where an advisory id comes from, by its prefix: the database's name and
/// the url of the advisory's page there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AdvisorySource {
    pub name: &'static str,
    pub url: String,
}

/// The database that publishes `id`, from its prefix. Unknown prefixes are
/// attributed to OSV, which aggregates them all.
pub(crate) fn advisory_source(id: &str) -> AdvisorySource {
    let seg = encode_segment(id);
    let upper = id.to_ascii_uppercase();
    let (name, url) = if upper.starts_with("RUSTSEC-") {
        (
            "RustSec",
            format!("https://rustsec.org/advisories/{seg}.html"),
        )
    } else if upper.starts_with("GHSA-") {
        ("GitHub", format!("https://github.com/advisories/{seg}"))
    } else if upper.starts_with("PYSEC-") {
        ("PyPA", format!("https://osv.dev/vulnerability/{seg}"))
    } else if upper.starts_with("GO-") {
        (
            "Go Vulnerability Database",
            format!("https://pkg.go.dev/vuln/{seg}"),
        )
    } else if upper.starts_with("CVE-") {
        ("NVD", format!("https://nvd.nist.gov/vuln/detail/{seg}"))
    } else {
        ("OSV", format!("https://osv.dev/vulnerability/{seg}"))
    };
    AdvisorySource { name, url }
}

/// Percent-encode every byte of `s` except ASCII letters and digits, the
/// unreserved `-._~`, the bytes in `keep`, and (when `keep_escapes`) a `%`
/// that already starts a valid `%XX` escape.
fn percent_encode(s: &str, keep: &[u8], keep_escapes: bool) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in b.iter().enumerate() {
        let is_escape = c == b'%'
            && keep_escapes
            && b.len() > i + 2
            && b[i + 1].is_ascii_hexdigit()
            && b[i + 2].is_ascii_hexdigit();
        if c.is_ascii_alphanumeric() || b"-._~".contains(&c) || keep.contains(&c) || is_escape {
            out.push(char::from(c));
        } else {
            let _ = write!(out, "%{c:02X}");
        }
    }
    out
}

/// One url path segment (an advisory id in a link).
fn encode_segment(s: &str) -> String {
    percent_encode(s, b"", false)
}

/// URI reserved characters (RFC 3986 gen-delims and sub-delims).
const URI_RESERVED: &[u8] = b":/?#[]@!$&'()*+,;=";

/// `s` as an absolute `http`/`https` url safe to embed anywhere, or None
/// when it is something else (another scheme, whitespace or control
/// characters inside, absurdly long). Characters a URI cannot hold are
/// percent-encoded.
pub(crate) fn http_url(s: &str) -> Option<String> {
    let s = s.trim();
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
    Some(percent_encode(s, URI_RESERVED, true))
}

/// A date-time as `YYYY-MM-DDThh:mm:ssZ` in UTC, when `s` is RFC 3339.
pub(crate) fn rfc3339_utc(s: &str) -> Option<String> {
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;
    let t = OffsetDateTime::parse(s.trim(), &Rfc3339)
        .ok()?
        .to_offset(time::UtcOffset::UTC);
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.format(&fmt).ok()
}

/// At most `max` characters of `s` (an ellipsis marks a cut).
pub fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The summary as one line without a trailing period (messages add their
/// own punctuation) nor bidirectional overrides, or None when it is empty.
pub(crate) fn summary_line(summary: Option<&str>) -> Option<String> {
    let s: String = summary?
        .chars()
        .filter(|c| !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
        .collect();
    let one: String = s
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches('.')
        .to_string();
    (!one.is_empty()).then_some(one)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_by_prefix() {
        assert_eq!(
            advisory_source("RUSTSEC-2021-0001").url,
            "https://rustsec.org/advisories/RUSTSEC-2021-0001.html"
        );
        assert_eq!(advisory_source("GHSA-aaaa-bbbb-cccc").name, "GitHub");
        assert_eq!(advisory_source("PYSEC-2020-1").name, "PyPA");
        assert_eq!(
            advisory_source("GO-2022-0001").url,
            "https://pkg.go.dev/vuln/GO-2022-0001"
        );
        assert_eq!(advisory_source("CVE-2020-1234").name, "NVD");
        let o = advisory_source("MAL-2024-1 x/y");
        assert_eq!(o.name, "OSV");
        assert_eq!(o.url, "https://osv.dev/vulnerability/MAL-2024-1%20x%2Fy");
    }

    #[test]
    fn urls_are_checked_and_encoded() {
        assert_eq!(
            http_url(" https://example.com/a?b=c#d ").as_deref(),
            Some("https://example.com/a?b=c#d")
        );
        assert_eq!(
            http_url("https://example.com/a|b\"<c>%zz%41").as_deref(),
            Some("https://example.com/a%7Cb%22%3Cc%3E%25zz%41")
        );
        assert_eq!(
            http_url("HTTP://example.com/é").as_deref(),
            Some("HTTP://example.com/%C3%A9")
        );
        assert_eq!(http_url("javascript:alert(1)"), None);
        assert_eq!(http_url("https://exa mple.com"), None);
        assert_eq!(http_url("https://example.com/\nx"), None);
        assert_eq!(http_url("https://"), None);
        assert_eq!(http_url("ftp://example.com"), None);
    }

    #[test]
    fn dates_and_clipping() {
        assert_eq!(
            rfc3339_utc("2024-05-06T07:08:09.123+02:00").as_deref(),
            Some("2024-05-06T05:08:09Z")
        );
        assert_eq!(rfc3339_utc("2024-05-06"), None);
        assert_eq!(clip("héllo", 2), "hé…");
        assert_eq!(clip("hé", 2), "hé");
        assert_eq!(
            summary_line(Some("  Two\nlines.  ")).as_deref(),
            Some("Two lines")
        );
        assert_eq!(summary_line(Some(" . ")), None);
        assert_eq!(summary_line(Some("a\u{202E}b")).as_deref(), Some("ab"));
    }
}
