//! Go module proxy (`https://proxy.golang.org`, the GOPROXY protocol):
//! `<base>/<escaped module>/@v/list`, a plain-text list of the module's
//! tagged versions, one per line (pseudo-versions are not listed). In the
//! escaped path every uppercase letter is `!` and its lowercase
//! (`github.com/BurntSushi/toml` → `github.com/!burnt!sushi/toml`). A
//! `file://` or directory base reads a GOPROXY directory layout.
//!
//! `+incompatible` versions are kept as listed. Retractions (`retract` in
//! the latest `go.mod`) are not read: no version is marked yanked.

use super::{Client, VersionInfo};

pub(super) struct GoProxy;

/// Case-encode a module path for the proxy.
pub(super) fn escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 4);
    for c in path.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

impl Client for GoProxy {
    fn canonical(&self, name: &str) -> Result<String, String> {
        if name.is_empty() || name.len() > 500 {
            return Err("a module path has 1 to 500 characters".into());
        }
        if !name.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/' | b'+')
        }) {
            return Err("a module path has only ASCII letters, digits and `-._~/+`".into());
        }
        if name.starts_with('-') || name.starts_with('/') || name.ends_with('/') {
            return Err("a module path does not start with `-` or `/` nor end with `/`".into());
        }
        Ok(name.to_string())
    }

    fn segments(&self, path: &str) -> Vec<String> {
        let mut s: Vec<String> = escape(path).split('/').map(String::from).collect();
        s.push("@v".into());
        s.push("list".into());
        s
    }

    fn parse(&self, _name: &str, body: &[u8]) -> Result<Vec<VersionInfo>, String> {
        let text = std::str::from_utf8(body).map_err(|e| format!("not UTF-8: {e}"))?;
        let mut out = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            // A listed version is one token `v<major>...`; a line of
            // anything else means this is not a version list.
            let ok = line.len() <= 200
                && line.starts_with('v')
                && line.as_bytes().get(1).is_some_and(u8::is_ascii_digit)
                && !line.contains(char::is_whitespace);
            if !ok {
                let shown: String = line.chars().take(60).collect();
                return Err(format!("line {}: `{shown}` is not a version", i + 1));
            }
            out.push(VersionInfo::new(line));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_escaping() {
        assert_eq!(
            GoProxy.segments("github.com/BurntSushi/toml").join("/"),
            "github.com/!burnt!sushi/toml/@v/list"
        );
        assert_eq!(escape("golang.org/x/net"), "golang.org/x/net");
    }

    #[test]
    fn paths_and_lists() {
        for bad in ["", "/x", "x/", "-x", "a b", "caf\u{e9}.com/x", "a!b"] {
            assert!(GoProxy.canonical(bad).is_err(), "{bad:?}");
        }
        let v = GoProxy
            .parse("m", b"v1.0.0\r\nv2.0.0+incompatible\n\n  v1.1.0-rc.1  \n")
            .unwrap();
        let names: Vec<&str> = v.iter().map(|v| v.version.as_str()).collect();
        assert_eq!(names, ["v1.0.0", "v2.0.0+incompatible", "v1.1.0-rc.1"]);
        assert!(GoProxy.parse("m", b"<html>not found</html>").is_err());
        assert!(GoProxy.parse("m", b"v1.0.0 2020-01-01").is_err());
        assert!(GoProxy.parse("m", &[0xff, 0xfe]).is_err());
    }
}
