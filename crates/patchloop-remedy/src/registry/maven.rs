//! Maven repositories (`https://repo1.maven.org/maven2`): the artifact's
//! `maven-metadata.xml` at `<base>/<groupId with . as />/<artifactId>/`.
//! Package names are OSV's `groupId:artifactId`.
//!
//! Read: the text of every `metadata/versioning/versions/version`
//! element. Maven has no yanking: none is marked yanked; dependencies
//! live in each version's POM: `deps` is `None`. The XML reader expands
//! only the predefined entities and never fetches anything a DOCTYPE
//! names.

use quick_xml::Reader;
use quick_xml::events::Event;

use super::{Client, VersionInfo, plain_name};

pub(super) struct Maven;

impl Client for Maven {
    fn canonical(&self, name: &str) -> Result<String, String> {
        let ok = match name.split_once(':') {
            Some((g, a)) => {
                plain_name(g, 200) && plain_name(a, 200) && g.split('.').all(|s| !s.is_empty())
            }
            None => false,
        };
        if !ok {
            return Err(
                "a Maven name is `groupId:artifactId` (ASCII letters, digits, `-_.`)".into(),
            );
        }
        Ok(name.to_string())
    }

    fn segments(&self, name: &str) -> Vec<String> {
        let (group, artifact) = name.split_once(':').unwrap_or(("", name));
        let mut s: Vec<String> = group.split('.').map(String::from).collect();
        s.push(artifact.to_string());
        s.push("maven-metadata.xml".into());
        s
    }

    fn parse(&self, _name: &str, body: &[u8]) -> Result<Vec<VersionInfo>, String> {
        const PATH: [&[u8]; 4] = [b"metadata", b"versioning", b"versions", b"version"];
        let mut reader = Reader::from_reader(body);
        reader.config_mut().trim_text(true);
        let mut stack: Vec<Vec<u8>> = Vec::new();
        let mut seen_root = false;
        let mut text = String::new();
        let mut out = Vec::new();
        loop {
            let ev = reader
                .read_event()
                .map_err(|e| format!("XML at byte {}: {e}", reader.buffer_position()))?;
            let in_version =
                stack.len() == PATH.len() && stack.iter().zip(PATH).all(|(a, b)| a.as_slice() == b);
            match ev {
                Event::Start(e) => {
                    let name = e.local_name().as_ref().to_vec();
                    if stack.is_empty() {
                        if seen_root || name != b"metadata" {
                            return Err("the document is not Maven `<metadata>`".into());
                        }
                        seen_root = true;
                    }
                    stack.push(name);
                    text.clear();
                }
                Event::Empty(e) if stack.is_empty() => {
                    return Err(format!(
                        "the document is not Maven `<metadata>` (found `<{}/>`)",
                        String::from_utf8_lossy(e.local_name().as_ref())
                    ));
                }
                Event::Text(t) if in_version => {
                    text.push_str(&t.unescape().map_err(|e| format!("XML text: {e}"))?);
                }
                Event::CData(t) if in_version => {
                    text.push_str(&t.decode().map_err(|e| format!("XML CDATA: {e}"))?);
                }
                Event::End(_) => {
                    if in_version {
                        let v = text.trim();
                        if !v.is_empty() {
                            out.push(VersionInfo::new(v));
                        }
                        text.clear();
                    }
                    stack.pop();
                }
                Event::Eof => break,
                _ => {}
            }
        }
        if !seen_root {
            return Err("empty document: no Maven `<metadata>`".into());
        }
        if !stack.is_empty() {
            return Err("the document ends inside an element (truncated?)".into());
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths() {
        assert_eq!(
            Maven
                .segments("org.apache.logging.log4j:log4j-core")
                .join("/"),
            "org/apache/logging/log4j/log4j-core/maven-metadata.xml"
        );
        for bad in [
            "a", "a:b:c", ":b", "a:", "a..b:c", "../..:x", "a/b:c", ".a:b",
        ] {
            assert!(Maven.canonical(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn hostile_xml() {
        for bad in [
            &b""[..],
            b"<html><body>Not Found</body></html>",
            b"<metadata><versioning><versions><version>1.0",
            b"<metadata><a></b></metadata>",
            b"<metadata/>",
            b"<metadata></metadata><metadata></metadata>",
            b"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><metadata><versioning><versions><version>&e;</version></versions></versioning></metadata>",
            b"\xff\xfe<\x00m\x00",
        ] {
            assert!(
                Maven.parse("g:a", bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let ok = b"<metadata><versioning><versions><version> 1.0 </version><version><![CDATA[2.0]]></version><version/></versions></versioning></metadata>";
        let v: Vec<String> = Maven
            .parse("g:a", ok)
            .unwrap()
            .into_iter()
            .map(|v| v.version)
            .collect();
        assert_eq!(v, ["1.0", "2.0"]);
    }
}
