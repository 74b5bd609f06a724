//! Small text helpers shared by the parsers: line numbers from byte offsets
//! and locating keys in formats whose parser does not report positions.

/// 1-based line of a byte offset.
pub fn line_of_offset(text: &str, offset: usize) -> u32 {
    let end = offset.min(text.len());
    let n = text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count();
    u32::try_from(n + 1).unwrap_or(u32::MAX)
}

/// Byte offsets of line starts, for many lookups in one text.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = Vec::with_capacity(text.len() / 32 + 1);
        starts.push(0);
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                starts.push(i + 1);
            }
        }
        LineIndex { starts }
    }

    /// 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> u32 {
        let idx = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        u32::try_from(idx + 1).unwrap_or(u32::MAX)
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}

/// Lines of JSON object keys, for pretty-printed JSON where each key of
/// interest starts a line (`  "node_modules/foo": {`). Returns
/// `(key, 1-based line)` for every line whose first non-blank token is a
/// string followed by `:`. Escapes inside keys are left as written.
pub fn json_key_lines(text: &str) -> Vec<(&str, u32)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        let Some(rest) = t.strip_prefix('"') else {
            continue;
        };
        let bytes = rest.as_bytes();
        let mut j = 0;
        while j < bytes.len() {
            match bytes[j] {
                b'\\' => j += 2,
                b'"' => break,
                _ => j += 1,
            }
        }
        if j >= bytes.len() {
            continue;
        }
        let after = rest[j + 1..].trim_start();
        if after.starts_with(':') {
            out.push((&rest[..j], u32::try_from(i + 1).unwrap_or(u32::MAX)));
        }
    }
    out
}

/// Strip a UTF-8 byte order mark.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Deepest YAML flow-collection nesting (`[`/`{` outside quoted scalars and
/// comments) allowed before a document is handed to the YAML parser,
/// whose run time grows badly with nesting depth.
pub const MAX_YAML_FLOW_DEPTH: usize = 64;

/// Refuse YAML whose flow collections nest deeper than
/// [`MAX_YAML_FLOW_DEPTH`] (a cheap linear pre-check).
pub fn yaml_depth_guard(text: &str) -> Result<(), crate::error::ParseError> {
    let mut depth = 0usize;
    let mut line = 1u32;
    let mut quote: Option<u8> = None;
    let mut comment = false;
    let mut prev = b'\n';
    for &b in text.as_bytes() {
        if b == b'\n' {
            line = line.saturating_add(1);
            comment = false;
            if quote == Some(b'\'') || quote == Some(b'"') {
                // Multi-line quoted scalars continue.
            }
            prev = b;
            continue;
        }
        if comment {
            continue;
        }
        match quote {
            Some(q) => {
                if b == q && !(q == b'"' && prev == b'\\') {
                    quote = None;
                }
            }
            None => match b {
                b'"' | b'\'' => quote = Some(b),
                b'#' if prev == b' ' || prev == b'\t' || prev == b'\n' => comment = true,
                b'[' | b'{' => {
                    depth += 1;
                    if depth > MAX_YAML_FLOW_DEPTH {
                        return Err(crate::error::ParseError::at(
                            line,
                            format!("YAML nested more than {MAX_YAML_FLOW_DEPTH} levels deep"),
                        ));
                    }
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
        prev = if prev == b'\\' && b == b'\\' { b' ' } else { b };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let t = "a\nbb\n\nccc";
        let idx = LineIndex::new(t);
        assert_eq!(idx.line(0), 1);
        assert_eq!(idx.line(2), 2);
        assert_eq!(idx.line(5), 3);
        assert_eq!(idx.line(6), 4);
        assert_eq!(line_of_offset(t, 6), 4);
    }

    #[test]
    fn yaml_guard() {
        assert!(yaml_depth_guard("a: [b, {c: d}]\n# [[[[\ne: '[[[['\n").is_ok());
        let deep = "[".repeat(MAX_YAML_FLOW_DEPTH + 1);
        assert_eq!(
            yaml_depth_guard(&format!("x\n{deep}")).unwrap_err().line,
            Some(2)
        );
    }

    #[test]
    fn json_keys() {
        let t = "{\n  \"a\": 1,\n  \"b\\\"c\" : {\n    \"x\": [\"y\"]\n  }\n}";
        let keys = json_key_lines(t);
        assert_eq!(keys, vec![("a", 2), ("b\\\"c", 3), ("x", 4)]);
    }
}
