//! The CISA Known Exploited Vulnerabilities catalog (JSON).

use patchloop_model::KevEntry;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::store::{KevCatalog, KevRow};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCatalog<'a> {
    #[serde(default)]
    catalog_version: Option<String>,
    #[serde(default)]
    date_released: Option<String>,
    #[serde(borrow)]
    vulnerabilities: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEntry {
    #[serde(rename = "cveID")]
    cve_id: String,
    #[serde(default)]
    vendor_project: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    vulnerability_name: String,
    #[serde(default)]
    date_added: String,
    #[serde(default)]
    short_description: String,
    #[serde(default)]
    required_action: String,
    #[serde(default)]
    due_date: String,
    #[serde(default)]
    known_ransomware_campaign_use: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    cwes: Vec<String>,
}

/// True when a parsed JSON object looks like a KEV catalog.
pub fn looks_like_kev(text: &[u8]) -> bool {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Probe {
        catalog_version: Option<serde::de::IgnoredAny>,
        vulnerabilities: Option<serde::de::IgnoredAny>,
        id: Option<serde::de::IgnoredAny>,
    }
    serde_json::from_slice::<Probe>(text)
        .is_ok_and(|p| p.id.is_none() && p.vulnerabilities.is_some() && p.catalog_version.is_some())
}

/// Parse a catalog. Entries that do not parse are returned as reasons
/// (`index: cause`) and left out; a file that is not a catalog at all is
/// an error.
pub fn parse(text: &[u8]) -> Result<(KevCatalog, Vec<String>), String> {
    let raw: RawCatalog<'_> =
        serde_json::from_slice(text).map_err(|e| format!("invalid KEV catalog: {e}"))?;
    let mut cat = KevCatalog {
        catalog_version: raw.catalog_version.unwrap_or_default(),
        date_released: raw.date_released.unwrap_or_default(),
        entries: Vec::with_capacity(raw.vulnerabilities.len()),
    };
    let mut bad = Vec::new();
    for (i, v) in raw.vulnerabilities.iter().enumerate() {
        match serde_json::from_str::<RawEntry>(v.get()) {
            Ok(e) if e.cve_id.trim().starts_with("CVE-") => cat.entries.push(KevRow {
                entry: KevEntry {
                    cve: e.cve_id.trim().to_string(),
                    vendor_project: e.vendor_project,
                    product: e.product,
                    name: e.vulnerability_name,
                    date_added: e.date_added,
                    due_date: e.due_date,
                    known_ransomware_campaign_use: e.known_ransomware_campaign_use,
                    required_action: e.required_action,
                },
                short_description: e.short_description,
                notes: e.notes,
                cwes: e.cwes,
                raw: v.get().to_string(),
            }),
            Ok(e) => bad.push(format!(
                "vulnerabilities[{i}]: cveID {:?} is not a CVE id",
                crate::record::truncate(&e.cve_id, 64)
            )),
            Err(e) => bad.push(format!("vulnerabilities[{i}]: {e}")),
        }
    }
    // A catalog lists each CVE once; keep the first if not.
    let mut seen = std::collections::HashSet::new();
    cat.entries.retain(|r| seen.insert(r.entry.cve.clone()));
    Ok((cat, bad))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_reports_bad_entries() {
        let j = br#"{"catalogVersion":"1","dateReleased":"d","count":2,"vulnerabilities":[
            {"cveID":"CVE-1-2","vendorProject":"v","product":"p","vulnerabilityName":"n","dateAdded":"2024-01-01",
             "shortDescription":"s","requiredAction":"a","dueDate":"2024-02-01","knownRansomwareCampaignUse":"Known","notes":"","cwes":["CWE-79"]},
            {"cveID":7}]}"#;
        assert!(looks_like_kev(j));
        let (c, bad) = parse(j).unwrap();
        assert_eq!(c.entries.len(), 1);
        assert!(c.entries[0].entry.ransomware());
        assert_eq!(bad.len(), 1);
        assert!(bad[0].starts_with("vulnerabilities[1]"));
        assert!(!looks_like_kev(
            br#"{"id":"X","modified":"2024-01-01T00:00:00Z"}"#
        ));
    }
}
