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
                let start = i + 1;
                let mut j = start;
                let mut escaped = false;
                let mut newlines = 0u32;
                while j < b.len() {
                    match b[j] {
                        b'\\' => {
                            escaped = true;
                            if b.get(j + 1) == Some(&b'\n') {
                                newlines += 1;
                            }
                            j += 2;
                        }
                        b'"' => break,
                        b'\n' => {
                            newlines += 1;
                            j += 1;
                        }
                        _ => j += 1,
                    }
                }
                let end = j.min(b.len());
                let raw = text.get(start..end).unwrap_or("");
                if let Some(Frame::Object { expect_key: true }) = stack.last() {
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
                line = line.saturating_add(newlines);
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
