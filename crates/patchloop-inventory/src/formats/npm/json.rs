//! Positions of keys in JSON text (serde_json does not report them), and
//! the JSONC clean-up bun.lock needs. Both are single linear passes over
//! the bytes, without recursion, safe on any input.

use std::borrow::Cow;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// An object; `expect_key` is true between `{`/`,` and the next key.
    Object {
        expect_key: bool,
    },
    Array,
}

/// Call `f(path, key, line)` for every object key in `text`, where `path`
/// holds the keys of the enclosing objects (`"[]"` for arrays) and `line`
/// is the 1-based line of the key. Keys are passed unescaped.
pub(crate) fn for_each_key<'a>(
    text: &'a str,
    mut f: impl FnMut(&[Cow<'a, str>], &Cow<'a, str>, u32),
) {
    let b = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    // keys[d]: the current key of frame d (what the frame above sits under).
    let mut keys: Vec<Cow<'a, str>> = Vec::new();
    let mut line: u32 = 1;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\n' => {
                line = line.saturating_add(1);
                i += 1;
            }
            b'"' => {
                // Valid JSON (the scanner runs after serde_json accepted
                // the text) has no raw newline inside strings.
                let start = i + 1;
                let mut j = start;
                let mut escaped = false;
                while j < b.len() {
                    let c = b[j];
                    if c == b'"' {
                        break;
                    }
                    if c == b'\\' {
                        escaped = true;
                        j += 2;
                    } else {
                        j += 1;
                    }
                }
                let end = j.min(b.len());
                if let Some(Frame::Object { expect_key: true }) = stack.last() {
                    let raw = text.get(start..end).unwrap_or("");
                    let key = if escaped {
                        unescape(raw)
                    } else {
                        Cow::Borrowed(raw)
                    };
                    let depth = stack.len();
                    f(&keys[..depth - 1], &key, line);
                    if let Some(slot) = keys.last_mut() {
                        *slot = key;
                    }
                    if let Some(Frame::Object { expect_key }) = stack.last_mut() {
                        *expect_key = false;
                    }
                }
                i = end + 1;
            }
            b'{' => {
                stack.push(Frame::Object { expect_key: true });
                keys.push(Cow::Borrowed(""));
                i += 1;
            }
            b'[' => {
                stack.push(Frame::Array);
                keys.push(Cow::Borrowed("[]"));
                i += 1;
            }
            b'}' | b']' => {
                stack.pop();
                keys.pop();
                i += 1;
            }
            b',' => {
                if let Some(Frame::Object { expect_key }) = stack.last_mut() {
                    *expect_key = true;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
}

/// Keys (with their lines) of the top-level object `section` in JSON
/// pretty-printed with two-space indentation, as npm and bun write it:
///
/// ```text
///   "packages": {
///     "node_modules/a": {
/// ```
///
/// A fast line-based alternative to [`for_each_key`]; `None` when the text
/// is not laid out that way (the caller then scans it fully).
pub(crate) fn pretty_section_keys<'a>(
    text: &'a str,
    section: &str,
) -> Option<Vec<(Cow<'a, str>, u32)>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut inside = false;
    let mut line: u32 = 0;
    let mut pos = 0;
    while pos < b.len() {
        line = line.saturating_add(1);
        let start = pos;
        // Only the start of each line matters: find its end first.
        let end = match b[pos..].iter().position(|&c| c == b'\n') {
            Some(n) => pos + n,
            None => b.len(),
        };
        pos = end + 1;
        let mut indent = 0;
        while start + indent < end && b[start + indent] == b' ' {
            indent += 1;
        }
        let body = text.get(start + indent..end)?;
        let body = body.strip_suffix('\r').unwrap_or(body);
        if !inside {
            if indent == 2
                && let Some(rest) = body.strip_prefix('"')
                && let Some(rest) = rest.strip_prefix(section)
                && let Some(rest) = rest.strip_prefix("\":")
            {
                match rest.trim() {
                    "{" => inside = true,
                    "{}" | "{}," => return Some(out),
                    _ => return None,
                }
            }
            continue;
        }
        if body.is_empty() || indent > 4 {
            continue;
        }
        if indent == 2 && body.starts_with('}') {
            return Some(out);
        }
        if indent != 4 {
            return None;
        }
        if body.starts_with('}') || body.starts_with(']') {
            continue; // the end of a multi-line value
        }
        let rest = body.strip_prefix('"')?;
        let rb = rest.as_bytes();
        let mut j = 0;
        let mut escaped = false;
        while j < rb.len() && rb[j] != b'"' {
            if rb[j] == b'\\' {
                escaped = true;
                j += 1;
            }
            j += 1;
        }
        let raw = rest.get(..j)?;
        if !rest.get(j + 1..)?.trim_start().starts_with(':') {
            return None;
        }
        let key = if escaped {
            unescape(raw)
        } else {
            Cow::Borrowed(raw)
        };
        out.push((key, line));
    }
    None
}

fn unescape(raw: &str) -> Cow<'_, str> {
    match serde_json::from_str::<String>(&format!("\"{raw}\"")) {
        Ok(s) => Cow::Owned(s),
        Err(_) => Cow::Borrowed(raw),
    }
}

/// JSONC → JSON with the same byte offsets (so lines stay right): comments
/// and trailing commas outside strings become spaces.
pub(crate) fn strip_jsonc(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    let mut out: Option<Vec<u8>> = None;
    let mut i = 0;
    // Position of a ',' not yet followed by a value (a trailing-comma candidate).
    let mut pending_comma: Option<usize> = None;
    while i < b.len() {
        match b[i] {
            b'"' => {
                pending_comma = None;
                i += 1;
                while i < b.len() {
                    match b[i] {
                        b'\\' => i += 2,
                        b'"' => {
                            i += 1;
                            break;
                        }
                        _ => i += 1,
                    }
                }
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let o = out.get_or_insert_with(|| b.to_vec());
                while i < b.len() && b[i] != b'\n' {
                    o[i] = b' ';
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let o = out.get_or_insert_with(|| b.to_vec());
                o[i] = b' ';
                o[i + 1] = b' ';
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    if b[i] != b'\n' {
                        o[i] = b' ';
                    }
                    i += 1;
                }
                if i < b.len() {
                    o[i] = b' ';
                    if i + 1 < b.len() {
                        o[i + 1] = b' ';
                    }
                    i += 2;
                }
            }
            b',' => {
                pending_comma = Some(i);
                i += 1;
            }
            b'}' | b']' => {
                if let Some(c) = pending_comma.take() {
                    out.get_or_insert_with(|| b.to_vec())[c] = b' ';
                }
                i += 1;
            }
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            _ => {
                pending_comma = None;
                i += 1;
            }
        }
    }
    match out {
        // Only ASCII bytes outside strings were replaced by spaces, so the
        // result is still UTF-8; fall back to the original if not.
        Some(v) => match String::from_utf8(v) {
            Ok(s) => Cow::Owned(s),
            Err(_) => Cow::Borrowed(text),
        },
        None => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_with_paths_and_lines() {
        let t = "{\n \"a\": {\"b\": [1, {\"c\": 2}],\n \"d\\\"e\": \"x,y{\"},\n \"f\": 1\n}";
        let mut got = Vec::new();
        for_each_key(t, |path, key, line| {
            got.push((path.join("/"), key.to_string(), line));
        });
        assert_eq!(
            got,
            vec![
                (String::new(), "a".to_string(), 2),
                ("a".to_string(), "b".to_string(), 2),
                ("a/b/[]".to_string(), "c".to_string(), 2),
                ("a".to_string(), "d\"e".to_string(), 3),
                (String::new(), "f".to_string(), 4),
            ]
        );
    }

    #[test]
    fn pretty_sections() {
        let t = "{\n  \"name\": \"x\",\n  \"packages\": {\n    \"\": {\n      \"a\": 1\n    },\n\n    \"node_modules/a\\u0041\": {}\n  },\n  \"z\": {}\n}";
        let keys = pretty_section_keys(t, "packages").unwrap();
        assert_eq!(
            keys,
            vec![
                (Cow::Borrowed(""), 4),
                (Cow::Owned("node_modules/aA".to_string()), 8)
            ]
        );
        assert_eq!(
            pretty_section_keys("{\"packages\": {\"a\": 1}}", "packages"),
            None
        );
        assert_eq!(
            pretty_section_keys("{\n  \"packages\": {}\n}", "packages"),
            Some(vec![])
        );
        assert_eq!(
            pretty_section_keys("{\n  \"packages\": {\n   \"a\": 1\n", "packages"),
            None
        );
        assert_eq!(
            pretty_section_keys("{\n  \"packages\": {\n    \"a\"", "packages"),
            None
        );
        for t in [
            "",
            "  \"packages\": {\n    \"",
            "  \"packages\": {\n    \"\\",
            "  \"packages\": {\n    \"é\\",
        ] {
            let _ = pretty_section_keys(t, "packages");
        }
    }

    #[test]
    fn scanner_survives_garbage() {
        for t in ["", "\"", "{\"", "}}]]", "{\"a\\", "[{\"é\":", "{\"a\":\"\\"] {
            for_each_key(t, |_, _, _| {});
        }
    }

    #[test]
    fn jsonc() {
        let t = "{\n  \"a\": [1, 2,],\n  // note, with comma,\n  \"b\": \"x,}\", /* c */\n}";
        let s = strip_jsonc(t);
        assert_eq!(s.len(), t.len());
        assert_eq!(s.lines().count(), t.lines().count());
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["b"], "x,}");
        assert_eq!(v["a"][1], 2);
        assert_eq!(strip_jsonc("{\"a\": 1}"), Cow::Borrowed("{\"a\": 1}"));
        for t in ["/*", "/", ",", "\"\\", "[,]", "{/*é"] {
            let _ = strip_jsonc(t);
        }
    }
}
