//! OpenVEX 0.2 documents (<https://github.com/openvex/spec>): read by
//! `scan --vex`, written by `vex export`.

use serde::{Deserialize, Serialize};

/// The OpenVEX 0.2 JSON-LD context.
pub const OPENVEX_CONTEXT: &str = "https://openvex.dev/ns/v0.2.0";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenVex {
    #[serde(rename = "@context")]
    pub context: String,
    #[serde(rename = "@id")]
    pub id: String,
    pub author: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    pub timestamp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
    pub version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tooling: Option<String>,
    pub statements: Vec<VexStatement>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VexVulnerability {
    #[serde(rename = "@id", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct VexIdentifiers {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VexSubcomponent {
    #[serde(rename = "@id", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifiers: Option<VexIdentifiers>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VexProduct {
    #[serde(rename = "@id", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifiers: Option<VexIdentifiers>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subcomponents: Vec<VexSubcomponent>,
}

impl VexProduct {
    /// The package purls a statement about this product is about: its
    /// subcomponents' when it lists any (the product is the thing that
    /// contains them), else its own.
    pub fn purls(&self) -> Vec<&str> {
        fn one<'a>(id: &'a Option<String>, ident: &'a Option<VexIdentifiers>) -> Option<&'a str> {
            ident
                .as_ref()
                .and_then(|i| i.purl.as_deref())
                .or_else(|| id.as_deref().filter(|p| p.starts_with("pkg:")))
        }
        if self.subcomponents.is_empty() {
            one(&self.id, &self.identifiers).into_iter().collect()
        } else {
            self.subcomponents
                .iter()
                .filter_map(|s| one(&s.id, &s.identifiers))
                .collect()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VexStatement {
    #[serde(rename = "@id", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub vulnerability: VexVulnerability,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<VexProduct>,
    /// `not_affected`, `affected`, `fixed`, `under_investigation`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact_statement: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_statement: Option<String>,
}
