//! Format-preserving edits of JSON text (package.json): members are found
//! with a small scanner and only the bytes of the edited value change; a
//! new member follows the file's own indentation and line endings.

/// Where a member of an object sits in the text.
#[derive(Debug, Clone)]
struct Member {
    key: String,
    value: (usize, usize),
}

fn ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// End of the string starting at `i` (which is `"`).
fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// End of the value starting at `i`.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => string_end(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = string_end(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
            {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

/// Members of the object whose `{` is at `open`; and the index of its `}`.
fn members(text: &str, open: usize) -> Option<(Vec<Member>, usize)> {
    let b = text.as_bytes();
    if b.get(open) != Some(&b'{') {
        return None;
    }
    let mut out = Vec::new();
    let mut i = ws(b, open + 1);
    if b.get(i) == Some(&b'}') {
        return Some((out, i));
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let ke = string_end(b, i)?;
        let key: String = serde_json::from_str(&text[i..ke]).ok()?;
        i = ws(b, ke);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let vs = ws(b, i + 1);
        let ve = value_end(b, vs)?;
        out.push(Member {
            key,
            value: (vs, ve),
        });
        i = ws(b, ve);
        match b.get(i) {
            Some(b',') => i = ws(b, i + 1),
            Some(b'}') => return Some((out, i)),
            _ => return None,
        }
    }
}

/// The indentation unit and line ending of a JSON document.
fn style(text: &str) -> (String, &'static str) {
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let indent = text
        .lines()
        .skip(1)
        .find(|l| l.trim_start().starts_with('"'))
        .map(|l| l[..l.len() - l.trim_start().len()].to_string())
        .filter(|i| !i.is_empty())
        .unwrap_or_else(|| "  ".to_string());
    (indent, nl)
}

/// Indentation of the line holding byte `i`.
fn line_indent(text: &str, i: usize) -> String {
    let start = text[..i].rfind('\n').map_or(0, |n| n + 1);
    let line = &text[start..];
    line[..line.len() - line.trim_start().len()].to_string()
}

/// Insert `"key": value` as the last member of the object at `open`.
fn insert_member(text: &str, open: usize, key: &str, value: &str) -> Option<String> {
    let (ms, close) = members(text, open)?;
    let (unit, nl) = style(text);
    let outer = line_indent(text, open);
    let inner = match ms.first() {
        // Indent as the existing members are.
        Some(m) => {
            let key_start = text[..m.value.0].rfind(&format!("\"{}\"", m.key.replace('"', "\\\"")));
            match key_start {
                Some(k) if text[..k].ends_with([' ', '\t']) || text[..k].ends_with('\n') => {
                    line_indent(text, k)
                }
                _ => format!("{outer}{unit}"),
            }
        }
        None => format!("{outer}{unit}"),
    };
    let k = serde_json::to_string(key).ok()?;
    let multiline = text[open..close].contains('\n') || ms.is_empty();
    let mut out = String::with_capacity(text.len() + 64);
    match ms.last() {
        Some(last) => {
            out.push_str(&text[..last.value.1]);
            if multiline {
                out.push_str(&format!(",{nl}{inner}{k}: {value}"));
            } else {
                out.push_str(&format!(", {k}: {value}"));
            }
            out.push_str(&text[last.value.1..]);
        }
        None => {
            out.push_str(&text[..open + 1]);
            out.push_str(&format!("{nl}{inner}{k}: {value}{nl}{outer}"));
            out.push_str(&text[close..]);
        }
    }
    Some(out)
}

/// Set `obj[k1][k2] = value` (JSON text) in the root object of `text`,
/// creating `k1` when missing; the rest of the text is kept byte for byte.
pub(crate) fn set_nested(text: &str, k1: &str, k2: &str, value: &str) -> Result<String, String> {
    let bad = || "not a JSON object".to_string();
    let root = ws(text.as_bytes(), 0);
    let (ms, _) = members(text, root).ok_or_else(bad)?;
    let out = match ms.iter().find(|m| m.key == k1) {
        Some(m) => {
            let open = m.value.0;
            if text.as_bytes()[open] != b'{' {
                return Err(format!("`{k1}` is not an object"));
            }
            let (inner, _) = members(text, open).ok_or_else(bad)?;
            match inner.iter().find(|x| x.key == k2) {
                Some(x) => format!("{}{value}{}", &text[..x.value.0], &text[x.value.1..]),
                None => insert_member(text, open, k2, value).ok_or_else(bad)?,
            }
        }
        None => {
            let (unit, nl) = style(text);
            let outer = line_indent(text, root);
            let k = serde_json::to_string(k2).map_err(|e| e.to_string())?;
            let obj = format!("{{{nl}{outer}{unit}{unit}{k}: {value}{nl}{outer}{unit}}}");
            insert_member(text, root, k1, &obj).ok_or_else(bad)?
        }
    };
    serde_json::from_str::<serde_json::Value>(&out)
        .map_err(|e| format!("the edit would not be valid JSON: {e}"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_overrides_in_the_files_style() {
        let t = "{\n    \"name\": \"app\",\n    \"dependencies\": {\n        \"a\": \"^1.0.0\"\n    }\n}\n";
        let out = set_nested(t, "overrides", "b", "\"1.0.1\"").unwrap();
        assert_eq!(
            out,
            "{\n    \"name\": \"app\",\n    \"dependencies\": {\n        \"a\": \"^1.0.0\"\n    },\n    \"overrides\": {\n        \"b\": \"1.0.1\"\n    }\n}\n"
        );
        // Existing overrides: add a member, then replace it.
        let out2 = set_nested(&out, "overrides", "c", "\"2.0.0\"").unwrap();
        assert!(out2.contains("        \"b\": \"1.0.1\",\n        \"c\": \"2.0.0\"\n    }"));
        let out3 = set_nested(&out2, "overrides", "b", "\"1.0.2\"").unwrap();
        assert_eq!(out3, out2.replace("1.0.1", "1.0.2"));
        // Tabs and CRLF.
        let t = "{\r\n\t\"name\": \"x\"\r\n}";
        let out = set_nested(t, "overrides", "@s/p", "\"1.0.0\"").unwrap();
        assert_eq!(
            out,
            "{\r\n\t\"name\": \"x\",\r\n\t\"overrides\": {\r\n\t\t\"@s/p\": \"1.0.0\"\r\n\t}\r\n}"
        );
        // Empty overrides and one-line files.
        let out = set_nested("{\"overrides\": {}}", "overrides", "b", "\"1\"").unwrap();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&out).unwrap()["overrides"]["b"],
            "1"
        );
        let out = set_nested("{\"a\": 1}", "overrides", "b", "\"1\"").unwrap();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&out).unwrap()["overrides"]["b"],
            "1"
        );
        // Strings with braces and escapes do not confuse the scanner.
        let t = "{\n  \"d\": \"}{\\\"\",\n  \"overrides\": {\"x\": \"1\"}\n}";
        let out = set_nested(t, "overrides", "y", "\"2\"").unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["overrides"]["y"], "2");
        assert_eq!(v["d"], "}{\"");
        assert!(set_nested("[1]", "overrides", "b", "\"1\"").is_err());
        assert!(set_nested("{\"overrides\": 3}", "overrides", "b", "\"1\"").is_err());
    }
}
