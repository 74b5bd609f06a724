//! PEP 508 dependency specifiers (`name[extra] (>=1.0) ; marker`,
//! `name @ url ; marker`) and the PEP 508 / PEP 503 name rules.

/// One parsed requirement; all fields borrow from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Requirement<'a> {
    pub name: &'a str,
    pub extras: Vec<&'a str>,
    /// Version specifier with surrounding parentheses removed; empty when
    /// there is none.
    pub spec: &'a str,
    /// Direct reference (`name @ url`).
    pub url: Option<&'a str>,
    pub marker: Option<&'a str>,
}

/// Is `s` a valid distribution (or extra) name?
pub(crate) fn is_valid_name(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) if f.is_ascii_alphanumeric() && l.is_ascii_alphanumeric() => b
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_')),
        _ => false,
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')
}

/// Parse a PEP 508 requirement string.
pub(crate) fn parse(s: &str) -> Result<Requirement<'_>, String> {
    let s = s.trim();
    let name_end = s.find(|c: char| !is_name_char(c)).unwrap_or(s.len());
    let name = &s[..name_end];
    if !is_valid_name(name) {
        return Err(format!("no valid package name at the start of `{s}`"));
    }
    let mut rest = s[name_end..].trim_start();
    let mut extras = Vec::new();
    if let Some(r) = rest.strip_prefix('[') {
        let close = r
            .find(']')
            .ok_or_else(|| format!("unclosed `[` in `{s}`"))?;
        for e in r[..close]
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            if !is_valid_name(e) {
                return Err(format!("invalid extra `{e}` in `{s}`"));
            }
            extras.push(e);
        }
        rest = r[close + 1..].trim_start();
    }
    if let Some(r) = rest.strip_prefix('@') {
        let r = r.trim_start();
        let url_end = r.find(char::is_whitespace).unwrap_or(r.len());
        let url = &r[..url_end];
        let after = r[url_end..].trim_start();
        if url.is_empty() {
            return Err(format!("missing URL after `@` in `{s}`"));
        }
        let marker = match after {
            "" => None,
            a => Some(
                a.strip_prefix(';')
                    .map(str::trim)
                    .filter(|m| !m.is_empty())
                    .ok_or_else(|| format!("unexpected `{a}` after the URL in `{s}`"))?,
            ),
        };
        return Ok(Requirement {
            name,
            extras,
            spec: "",
            url: Some(url),
            marker,
        });
    }
    let (spec, marker) = match rest.split_once(';') {
        Some((a, m)) => {
            let m = m.trim();
            if m.is_empty() {
                return Err(format!("empty environment marker in `{s}`"));
            }
            (a.trim(), Some(m))
        }
        None => (rest.trim(), None),
    };
    let spec = match spec.strip_prefix('(') {
        Some(inner) => inner
            .strip_suffix(')')
            .ok_or_else(|| format!("unclosed `(` in `{s}`"))?
            .trim(),
        None => spec,
    };
    validate_spec(spec).map_err(|e| format!("{e} in `{s}`"))?;
    Ok(Requirement {
        name,
        extras,
        spec,
        url: None,
        marker,
    })
}

const OPERATORS: [&str; 8] = ["===", "~=", "==", "!=", "<=", ">=", "<", ">"];

/// Check a comma-separated PEP 440 specifier (`>=1.0, <2`). `${VAR}`
/// references are accepted as they are (pip expands them at install time).
pub(crate) fn validate_spec(spec: &str) -> Result<(), String> {
    if spec.is_empty() {
        return Ok(());
    }
    for clause in spec.split(',').map(str::trim) {
        let Some(op) = OPERATORS.iter().find(|op| clause.starts_with(**op)) else {
            return Err(format!("invalid version specifier `{clause}`"));
        };
        let v = clause[op.len()..].trim();
        let ok = !v.is_empty()
            && v.chars().all(|c| {
                c.is_ascii_alphanumeric()
                    || matches!(c, '.' | '*' | '+' | '!' | '-' | '_' | '$' | '{' | '}')
            });
        if !ok {
            return Err(format!("invalid version in `{clause}`"));
        }
    }
    Ok(())
}

/// The exact version a specifier pins (`==1.2.3`, `===foo`), if any.
/// Wildcards (`==1.2.*`) and unexpanded `${VAR}` are not exact.
pub(crate) fn exact_version(spec: &str) -> Option<&str> {
    for clause in spec.split(',').map(str::trim) {
        let v = if let Some(v) = clause.strip_prefix("===") {
            v.trim()
        } else if let Some(v) = clause.strip_prefix("==") {
            let v = v.trim();
            if v.contains('*') {
                continue;
            }
            v
        } else {
            continue;
        };
        if !v.is_empty() && !v.contains('$') {
            return Some(v);
        }
    }
    None
}

/// Name and version from a wheel or sdist file name
/// (`foo_bar-1.0-py3-none-any.whl`, `foo-bar-1.0.tar.gz`).
pub(crate) fn artifact_name_version(file: &str) -> Option<(&str, &str)> {
    let file = file.rsplit(['/', '\\']).next().unwrap_or(file);
    if let Some(stem) = file.strip_suffix(".whl") {
        let mut parts = stem.split('-');
        let name = parts.next()?;
        let version = parts.next()?;
        // python, abi and platform tags must follow.
        if parts.count() < 3 || name.is_empty() || version.is_empty() {
            return None;
        }
        return Some((name, version));
    }
    let stem = [".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip", ".tar"]
        .iter()
        .find_map(|ext| file.strip_suffix(ext))?;
    let (name, version) = stem.rsplit_once('-')?;
    if name.is_empty() || !version.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some((name, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_forms() {
        let r = parse("requests[security, socks] (>=2.8.1, ==2.8.*) ; python_version < \"2.7\"")
            .unwrap();
        assert_eq!(r.name, "requests");
        assert_eq!(r.extras, vec!["security", "socks"]);
        assert_eq!(r.spec, ">=2.8.1, ==2.8.*");
        assert_eq!(r.marker, Some("python_version < \"2.7\""));

        let r = parse("pip @ https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee ; python_version >= '3'").unwrap();
        assert_eq!(r.name, "pip");
        assert_eq!(
            r.url,
            Some("https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee")
        );
        assert_eq!(r.marker, Some("python_version >= '3'"));

        let r = parse("charset-normalizer<4,>=2").unwrap();
        assert_eq!((r.name, r.spec), ("charset-normalizer", "<4,>=2"));
        let r = parse("Django").unwrap();
        assert_eq!((r.name, r.spec, r.url), ("Django", "", None));
        let r = parse("colorama;os_name=='nt'").unwrap();
        assert_eq!(r.marker, Some("os_name=='nt'"));
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "-foo",
            "foo[bar",
            "foo >>1",
            "foo (>=1",
            "foo==",
            "foo @",
            "foo @ http://x extra",
            "foo ;",
            "foo 1.0",
            "./pkg",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn exact() {
        assert_eq!(exact_version("==1.2.3"), Some("1.2.3"));
        assert_eq!(exact_version(">=1, == 1.2.3"), Some("1.2.3"));
        assert_eq!(exact_version("===1.0-custom"), Some("1.0-custom"));
        assert_eq!(exact_version("==1.2.*"), None);
        assert_eq!(exact_version("~=1.2"), None);
        assert_eq!(exact_version("==${VERSION}"), None);
        assert!(validate_spec("==${VERSION}").is_ok());
    }

    #[test]
    fn artifacts() {
        assert_eq!(
            artifact_name_version("more_itertools-5.0.0-py2-none-any.whl"),
            Some(("more_itertools", "5.0.0"))
        );
        assert_eq!(
            artifact_name_version("https://x/y/cffi-1.14.3-2-cp27-cp27m-macosx_10_9_x86_64.whl"),
            Some(("cffi", "1.14.3"))
        );
        assert_eq!(
            artifact_name_version("backports.functools_lru_cache-1.6.1.tar.gz"),
            Some(("backports.functools_lru_cache", "1.6.1"))
        );
        assert_eq!(
            artifact_name_version("more-itertools-8.5.0.tar.gz"),
            Some(("more-itertools", "8.5.0"))
        );
        assert_eq!(artifact_name_version("x.whl"), None);
        assert_eq!(artifact_name_version("notes.txt"), None);
    }
}
