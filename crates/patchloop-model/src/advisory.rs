//! Advisories in the OSV schema (1.6 and later), with an open ecosystem
//! set: a record for an ecosystem patchloop does not know is kept, never
//! rejected. Field names follow <https://ossf.github.io/osv-schema/>.
//! Unknown fields are ignored on input; the store keeps the raw record so
//! nothing is lost.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ecosystem::Ecosystem;

/// One OSV record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<String>,
    pub id: String,
    /// RFC 3339 timestamp of the last change (required by OSV; an empty
    /// string when a record omits it).
    #[serde(default)]
    pub modified: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_vec"
    )]
    pub aliases: Vec<String>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_vec"
    )]
    pub related: Vec<String>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_vec"
    )]
    pub upstream: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_vec"
    )]
    pub severity: Vec<Severity>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_vec"
    )]
    pub affected: Vec<Affected>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_vec"
    )]
    pub references: Vec<Reference>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_vec"
    )]
    pub credits: Vec<Credit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<serde_json::Value>,
}

impl Advisory {
    /// Withdrawn records are kept but never match.
    pub fn is_withdrawn(&self) -> bool {
        self.withdrawn.as_deref().is_some_and(|w| !w.is_empty())
    }

    /// The id and all aliases.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }

    /// CVE ids among the id and aliases.
    pub fn cves(&self) -> impl Iterator<Item = &str> {
        self.ids().filter(|i| i.starts_with("CVE-"))
    }

    /// What a scan report takes from a record, and nothing else: ids,
    /// dates, summary (the details only when there is no summary), the
    /// severities (the record's and its affected entries', without the
    /// entries' ranges and versions), the qualitative severity label of
    /// `database_specific`, and the ADVISORY and exploit references.
    /// Stores keep it beside the full record so a scan reads a few
    /// hundred bytes per hit instead of the whole record.
    pub fn head(&self) -> Advisory {
        let label = self
            .database_specific
            .as_ref()
            .and_then(|d| d.get("severity"))
            .filter(|s| s.is_string())
            .map(|s| serde_json::json!({ "severity": s }));
        let no_summary = self.summary.as_deref().is_none_or(|s| s.trim().is_empty());
        Advisory {
            schema_version: None,
            id: self.id.clone(),
            modified: self.modified.clone(),
            published: self.published.clone(),
            withdrawn: self.withdrawn.clone(),
            aliases: self.aliases.clone(),
            related: Vec::new(),
            upstream: self.upstream.clone(),
            summary: self.summary.clone(),
            details: self.details.clone().filter(|_| no_summary),
            severity: self.severity.clone(),
            affected: self
                .affected
                .iter()
                .filter(|a| !a.severity.is_empty())
                .map(|a| Affected {
                    package: None,
                    severity: a.severity.clone(),
                    ranges: Vec::new(),
                    versions: Vec::new(),
                    ecosystem_specific: None,
                    database_specific: None,
                })
                .collect(),
            references: self
                .references
                .iter()
                .filter(|r| r.kind == "ADVISORY" || r.is_exploit())
                .cloned()
                .collect(),
            credits: Vec::new(),
            database_specific: label,
        }
    }
}

/// `null` and absent both mean empty (some producers write `"aliases": null`).
fn null_vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A severity score: `type` is open (`CVSS_V2`, `CVSS_V3`, `CVSS_V4`,
/// `Ubuntu`, or anything a future schema adds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Severity {
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

/// One affected package entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<AffectedPackage>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_vec"
    )]
    pub severity: Vec<Severity>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_vec"
    )]
    pub ranges: Vec<Range>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_vec"
    )]
    pub versions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem_specific: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedPackage {
    pub ecosystem: Ecosystem,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

/// Range type: `SEMVER`, `ECOSYSTEM`, `GIT`, or an unknown future type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RangeType {
    Semver,
    Ecosystem,
    Git,
    Other(String),
}

impl RangeType {
    pub fn as_str(&self) -> &str {
        match self {
            RangeType::Semver => "SEMVER",
            RangeType::Ecosystem => "ECOSYSTEM",
            RangeType::Git => "GIT",
            RangeType::Other(s) => s,
        }
    }
}

impl Serialize for RangeType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RangeType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        Ok(match s.as_ref() {
            "SEMVER" => RangeType::Semver,
            "ECOSYSTEM" => RangeType::Ecosystem,
            "GIT" => RangeType::Git,
            other => RangeType::Other(other.to_string()),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Range {
    #[serde(rename = "type")]
    pub kind: RangeType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    #[serde(default, deserialize_with = "null_vec")]
    pub events: Vec<Event>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<serde_json::Value>,
}

/// A range event. OSV writes each as an object with exactly one key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

impl Event {
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }

    pub fn key(&self) -> &'static str {
        match self {
            Event::Introduced(_) => "introduced",
            Event::Fixed(_) => "fixed",
            Event::LastAffected(_) => "last_affected",
            Event::Limit(_) => "limit",
        }
    }
}

#[derive(Deserialize)]
struct RawEvent {
    introduced: Option<String>,
    fixed: Option<String>,
    last_affected: Option<String>,
    limit: Option<String>,
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r = RawEvent::deserialize(d)?;
        let mut found = Vec::with_capacity(1);
        if let Some(v) = r.introduced {
            found.push(Event::Introduced(v));
        }
        if let Some(v) = r.fixed {
            found.push(Event::Fixed(v));
        }
        if let Some(v) = r.last_affected {
            found.push(Event::LastAffected(v));
        }
        if let Some(v) = r.limit {
            found.push(Event::Limit(v));
        }
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err(D::Error::custom(
                "range event has none of introduced, fixed, last_affected, limit",
            )),
            _ => Err(D::Error::custom("range event has more than one key")),
        }
    }
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry(self.key(), self.version())?;
        m.end()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub url: String,
}

impl Reference {
    /// A reference that documents a working exploit: type `EVIDENCE` (OSV:
    /// "a demonstration of the validity of a vulnerability claim"), or a
    /// link into a public exploit archive (Exploit-DB, Packet Storm,
    /// Metasploit).
    pub fn is_exploit(&self) -> bool {
        const ARCHIVES: [&str; 3] = [
            "exploit-db.com/exploits/",
            "packetstormsecurity.com/files/",
            "github.com/rapid7/metasploit-framework/",
        ];
        self.kind == "EVIDENCE"
            || ARCHIVES
                .iter()
                .any(|a| contains(self.url.as_bytes(), a.as_bytes()))
    }
}

/// `haystack` contains `needle`, by a scan for its first byte: what
/// `str::contains` answers, without building a two-way searcher per call
/// (a scan asks three per reference of every finding's records, for
/// URLs of a few dozen bytes).
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    let mut from = 0;
    while let Some(p) = haystack
        .get(from..)
        .and_then(|h| h.iter().position(|&b| b == first))
    {
        let at = from + p;
        if haystack.get(at + 1..at + needle.len()) == Some(rest) {
            return true;
        }
        from = at + 1;
    }
    false
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credit {
    #[serde(default)]
    pub name: String,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_vec"
    )]
    pub contact: Vec<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// A CISA Known Exploited Vulnerabilities catalog entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KevEntry {
    pub cve: String,
    pub vendor_project: String,
    pub product: String,
    pub name: String,
    /// `YYYY-MM-DD`.
    pub date_added: String,
    /// `YYYY-MM-DD`.
    pub due_date: String,
    /// `Known` or `Unknown` as CISA writes it.
    pub known_ransomware_campaign_use: String,
    pub required_action: String,
}

impl KevEntry {
    pub fn ransomware(&self) -> bool {
        self.known_ransomware_campaign_use
            .eq_ignore_ascii_case("known")
    }
}

/// A FIRST EPSS score for one CVE.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpssScore {
    /// Probability of exploitation activity in the next 30 days, 0..=1.
    pub epss: f64,
    /// Percentile among all scored CVEs, 0..=1.
    pub percentile: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_agrees_with_str_contains() {
        let hay = [
            "",
            "a",
            "https://www.exploit-db.com/exploits/51234",
            "https://exploit-db.com/exploits",
            "https://packetstormsecurity.com/files/171234/x.html",
            "https://github.com/rapid7/metasploit-framework/pull/1",
            "https://github.com/rapid7/metasploit-framework",
            "eexploit-db.com/exploits/exploit-db.com/exploits/",
            "https://web.archive.org/web/2020/https://www.exploit-db.com/exploits/1",
            "ééé exploit-db.com/exploits/ ü",
        ];
        let needles = [
            "",
            "e",
            "exploit-db.com/exploits/",
            "packetstormsecurity.com/files/",
            "github.com/rapid7/metasploit-framework/",
            "ü",
            "/1",
        ];
        for h in hay {
            for n in needles {
                assert_eq!(
                    contains(h.as_bytes(), n.as_bytes()),
                    h.contains(n),
                    "{h:?} {n:?}"
                );
            }
        }
    }

    #[test]
    fn parses_open_ecosystem_and_events() {
        let j = r#"{
          "id": "X-1", "modified": "2024-01-01T00:00:00Z",
          "aliases": null,
          "affected": [{
            "package": {"ecosystem": "Ubuntu:22.04:LTS", "name": "openssl"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2"}]},
                       {"type": "FANCY", "events": [{"limit": "9"}]}],
            "versions": ["1.0"]
          }],
          "severity": [{"type": "CVSS_V4", "score": "CVSS:4.0/AV:N"}],
          "future_field": {"x": 1}
        }"#;
        let a: Advisory = serde_json::from_str(j).unwrap();
        let aff = &a.affected[0];
        assert_eq!(
            aff.package.as_ref().unwrap().ecosystem.to_string(),
            "Ubuntu:22.04:LTS"
        );
        assert_eq!(aff.ranges[0].events[1], Event::Fixed("1.2".into()));
        assert_eq!(aff.ranges[1].kind, RangeType::Other("FANCY".into()));
        assert!(!a.is_withdrawn());
        // Round trip keeps the event shape.
        let back = serde_json::to_value(&a).unwrap();
        assert_eq!(
            back["affected"][0]["ranges"][0]["events"][1]["fixed"],
            "1.2"
        );
    }

    #[test]
    fn bad_event_is_an_error() {
        let j = r#"{"id":"X","modified":"","affected":[{"ranges":[{"type":"SEMVER","events":[{"fixed":"1","introduced":"0"}]}]}]}"#;
        assert!(serde_json::from_str::<Advisory>(j).is_err());
    }
}
