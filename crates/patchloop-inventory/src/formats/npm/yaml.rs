//! YAML for pnpm-lock.yaml and yarn berry's yarn.lock.
//!
//! Both files are written by their tools in a small, regular subset of
//! YAML: block mappings and sequences, one-line flow collections, plain
//! and quoted scalars. That subset is read here directly (fast, and with
//! the line of every mapping key). Anything outside it (anchors, block
//! scalars, multi-line flow, tags, ...) makes the fast path give up and
//! the document is read by serde_yaml instead, after which the lines of
//! the first two levels of keys are recovered from the text.
//!
//! All scalars are kept as strings (`true`, `5.4` stay text): the parsers
//! interpret them.

use crate::fxhash::HashMap;
use std::borrow::Cow;

use crate::error::ParseError;

/// Deepest nesting accepted (block + flow levels).
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Y<'a> {
    Null,
    Str(Cow<'a, str>),
    Seq(Vec<Y<'a>>),
    /// Entries in file order: (key, 1-based line or 0 if unknown, value).
    Map(Vec<(Cow<'a, str>, u32, Y<'a>)>),
}

impl<'a> Y<'a> {
    pub fn get(&self, key: &str) -> Option<&Y<'a>> {
        match self {
            Y::Map(m) => m.iter().find(|(k, _, _)| k == key).map(|(_, _, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Y::Str(s) => Some(s),
            _ => None,
        }
    }

    /// `get(key)` as a string.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Y::as_str)
    }

    /// `get(key)` as a boolean (`true`/`false` written as text).
    pub fn flag(&self, key: &str) -> Option<bool> {
        match self.str(key)? {
            "true" | "True" | "TRUE" => Some(true),
            "false" | "False" | "FALSE" => Some(false),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[(Cow<'a, str>, u32, Y<'a>)] {
        match self {
            Y::Map(m) => m,
            _ => &[],
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self, Y::Map(_))
    }
}

/// Parse a YAML document.
pub(crate) fn parse(text: &str) -> Result<Y<'_>, ParseError> {
    if let Ok(y) = fast(text) {
        return Ok(y);
    }
    crate::text::yaml_depth_guard(text)?;
    let v: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| ParseError::yaml(&e))?;
    let mut y = from_value(v, 0).ok_or_else(|| ParseError::new("YAML nested too deeply"))?;
    fill_lines(text, &mut y);
    Ok(y)
}

/// The fast path does not handle this document.
#[derive(Debug)]
struct Unsupported;

type R<T> = Result<T, Unsupported>;

struct Line<'a> {
    indent: usize,
    text: &'a str,
    no: u32,
}

fn split_lines(text: &str) -> R<Vec<Line<'_>>> {
    let mut out = Vec::with_capacity(text.len() / 24);
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let body = raw.trim_start_matches(' ');
        let indent = raw.len() - body.len();
        let body = body.trim_end();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        if body.starts_with('\t') {
            return Err(Unsupported);
        }
        let no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if indent == 0 && (body == "---" || body.starts_with("--- ")) && out.is_empty() {
            if body != "---" {
                return Err(Unsupported);
            }
            continue;
        }
        if indent == 0 && (body == "..." || body.starts_with("---") || body.starts_with('%')) {
            return Err(Unsupported);
        }
        out.push(Line {
            indent,
            text: body,
            no,
        });
    }
    Ok(out)
}

fn fast(text: &str) -> R<Y<'_>> {
    let lines = split_lines(text)?;
    let mut p = Parser { lines, pos: 0 };
    let Some(first) = p.lines.first() else {
        return Ok(Y::Null);
    };
    let indent = first.indent;
    let y = p.block(indent, 0)?;
    if p.pos != p.lines.len() {
        return Err(Unsupported);
    }
    Ok(y)
}

struct Parser<'a> {
    lines: Vec<Line<'a>>,
    pos: usize,
}

fn is_seq_item(t: &str) -> bool {
    t == "-" || t.starts_with("- ")
}

impl<'a> Parser<'a> {
    fn block(&mut self, indent: usize, depth: usize) -> R<Y<'a>> {
        if depth > MAX_DEPTH {
            return Err(Unsupported);
        }
        let line = self.lines.get(self.pos).ok_or(Unsupported)?;
        if line.indent != indent {
            return Err(Unsupported);
        }
        if is_seq_item(line.text) {
            self.seq(indent, depth)
        } else {
            self.map(indent, depth)
        }
    }

    fn next_indent(&self) -> Option<usize> {
        self.lines.get(self.pos).map(|l| l.indent)
    }

    fn map(&mut self, indent: usize, depth: usize) -> R<Y<'a>> {
        let mut entries = Vec::new();
        while let Some(line) = self.lines.get(self.pos) {
            if line.indent < indent {
                break;
            }
            if line.indent > indent || is_seq_item(line.text) {
                return Err(Unsupported);
            }
            let (key, rest) = split_key(line.text).ok_or(Unsupported)?;
            let no = line.no;
            self.pos += 1;
            let value = if rest.is_empty() {
                match self.lines.get(self.pos) {
                    Some(next) if next.indent > indent => self.block(next.indent, depth + 1)?,
                    Some(next) if next.indent == indent && is_seq_item(next.text) => {
                        self.seq(indent, depth + 1)?
                    }
                    _ => Y::Null,
                }
            } else {
                let v = inline(rest, depth)?;
                if self.next_indent().is_some_and(|i| i > indent) {
                    return Err(Unsupported);
                }
                v
            };
            entries.push((key, no, value));
        }
        Ok(Y::Map(entries))
    }

    fn seq(&mut self, indent: usize, depth: usize) -> R<Y<'a>> {
        let mut items = Vec::new();
        while let Some(line) = self.lines.get(self.pos) {
            if line.indent != indent || !is_seq_item(line.text) {
                if line.indent > indent {
                    return Err(Unsupported);
                }
                break;
            }
            let rest = line.text.get(1..).unwrap_or("").trim_start();
            self.pos += 1;
            if rest.is_empty() {
                match self.next_indent() {
                    Some(i) if i > indent => items.push(self.block(i, depth + 1)?),
                    _ => items.push(Y::Null),
                }
            } else {
                if split_key(rest).is_some() {
                    // `- key: value` (a mapping inside the item).
                    return Err(Unsupported);
                }
                items.push(inline(rest, depth)?);
                if self.next_indent().is_some_and(|i| i > indent) {
                    return Err(Unsupported);
                }
            }
        }
        Ok(Y::Seq(items))
    }
}

const PLAIN_START_FORBIDDEN: &[u8] = b"{}[]&*!|>%@`,#?'\"";

/// Split `key: rest` (or `key:`) of a block mapping line.
fn split_key(t: &str) -> Option<(Cow<'_, str>, &str)> {
    let first = *t.as_bytes().first()?;
    let (key, after) = match first {
        b'"' => {
            let (k, n) = double_quoted(t).ok()?;
            (k, t.get(n..)?)
        }
        b'\'' => {
            let (k, n) = single_quoted(t).ok()?;
            (k, t.get(n..)?)
        }
        _ => {
            if PLAIN_START_FORBIDDEN.contains(&first) || is_seq_item(t) {
                return None;
            }
            let b = t.as_bytes();
            let i =
                (0..b.len()).find(|&i| b[i] == b':' && (i + 1 == b.len() || b[i + 1] == b' '))?;
            let k = t.get(..i)?.trim_end();
            if k.as_bytes().windows(2).any(|w| w == b" #") {
                return None;
            }
            (Cow::Borrowed(k), t.get(i..)?)
        }
    };
    let after = after.trim_start_matches(' ');
    let rest = after.strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    Some((key, rest.trim_start()))
}

/// Only whitespace or a comment may follow a complete value.
fn only_comment(rest: &str) -> bool {
    let r = rest.trim_start();
    r.is_empty() || (r.starts_with('#') && (rest.len() > r.len() || rest.is_empty()))
}

fn inline(s: &str, depth: usize) -> R<Y<'_>> {
    let first = *s.as_bytes().first().ok_or(Unsupported)?;
    match first {
        b'"' => {
            let (v, n) = double_quoted(s)?;
            if !only_comment(s.get(n..).ok_or(Unsupported)?) {
                return Err(Unsupported);
            }
            Ok(Y::Str(v))
        }
        b'\'' => {
            let (v, n) = single_quoted(s)?;
            if !only_comment(s.get(n..).ok_or(Unsupported)?) {
                return Err(Unsupported);
            }
            Ok(Y::Str(v))
        }
        b'{' | b'[' => {
            let mut i = 0;
            let v = flow(s, &mut i, depth + 1)?;
            if !only_comment(s.get(i..).ok_or(Unsupported)?) {
                return Err(Unsupported);
            }
            Ok(v)
        }
        b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@' | b'`' | b']' | b'}' | b',' | b'#' => {
            Err(Unsupported)
        }
        _ => {
            if is_seq_item(s) || s.starts_with("? ") || s.starts_with(": ") {
                return Err(Unsupported);
            }
            // A plain scalar ends at ` #` (a comment); `: ` inside it would
            // make it a mapping, which the fast path does not take.
            let b = s.as_bytes();
            let mut end = b.len();
            for i in 1..b.len() {
                let prev = b[i - 1];
                if b[i] == b'#' && (prev == b' ' || prev == b'\t') {
                    end = i - 1;
                    break;
                }
                if prev == b':' && b[i] == b' ' {
                    return Err(Unsupported);
                }
            }
            let v = s.get(..end).ok_or(Unsupported)?.trim_end();
            if v.ends_with(':') {
                return Err(Unsupported);
            }
            Ok(plain_scalar(v))
        }
    }
}

fn plain_scalar(v: &str) -> Y<'_> {
    match v {
        "~" | "null" | "Null" | "NULL" => Y::Null,
        _ => Y::Str(Cow::Borrowed(v)),
    }
}

fn skip_spaces(s: &str, i: &mut usize) {
    let b = s.as_bytes();
    while *i < b.len() && b[*i] == b' ' {
        *i += 1;
    }
}

/// A one-line flow collection or scalar starting at `*i`.
fn flow<'a>(s: &'a str, i: &mut usize, depth: usize) -> R<Y<'a>> {
    if depth > MAX_DEPTH {
        return Err(Unsupported);
    }
    skip_spaces(s, i);
    let b = s.as_bytes();
    match b.get(*i) {
        Some(b'{') => {
            *i += 1;
            let mut entries = Vec::new();
            loop {
                skip_spaces(s, i);
                match b.get(*i) {
                    Some(b'}') => {
                        *i += 1;
                        return Ok(Y::Map(entries));
                    }
                    None => return Err(Unsupported),
                    _ => {}
                }
                let key = match flow_scalar(s, i, true)? {
                    Y::Str(k) => k,
                    _ => return Err(Unsupported),
                };
                skip_spaces(s, i);
                if b.get(*i) != Some(&b':') {
                    return Err(Unsupported);
                }
                *i += 1;
                skip_spaces(s, i);
                let value = match b.get(*i) {
                    Some(b',') | Some(b'}') => Y::Null,
                    _ => flow(s, i, depth + 1)?,
                };
                entries.push((key, 0, value));
                skip_spaces(s, i);
                match b.get(*i) {
                    Some(b',') => *i += 1,
                    Some(b'}') => {}
                    _ => return Err(Unsupported),
                }
            }
        }
        Some(b'[') => {
            *i += 1;
            let mut items = Vec::new();
            loop {
                skip_spaces(s, i);
                match b.get(*i) {
                    Some(b']') => {
                        *i += 1;
                        return Ok(Y::Seq(items));
                    }
                    None => return Err(Unsupported),
                    _ => {}
                }
                items.push(flow(s, i, depth + 1)?);
                skip_spaces(s, i);
                match b.get(*i) {
                    Some(b',') => *i += 1,
                    Some(b']') => {}
                    _ => return Err(Unsupported),
                }
            }
        }
        Some(_) => flow_scalar(s, i, false),
        None => Err(Unsupported),
    }
}

/// A scalar inside a flow collection (a key when `key`).
fn flow_scalar<'a>(s: &'a str, i: &mut usize, key: bool) -> R<Y<'a>> {
    let rest = s.get(*i..).ok_or(Unsupported)?;
    let b = rest.as_bytes();
    match b.first() {
        Some(b'"') => {
            let (v, n) = double_quoted(rest)?;
            *i += n;
            Ok(Y::Str(v))
        }
        Some(b'\'') => {
            let (v, n) = single_quoted(rest)?;
            *i += n;
            Ok(Y::Str(v))
        }
        Some(c) if b"&*!|>%@`#{[".contains(c) => Err(Unsupported),
        Some(_) => {
            let mut j = 0;
            while j < b.len() {
                match b[j] {
                    b',' | b'[' | b']' | b'{' | b'}' => break,
                    b':' if key
                        || matches!(b.get(j + 1), None | Some(b' ' | b',' | b'}' | b']')) =>
                    {
                        break;
                    }
                    b'#' if j > 0 && b[j - 1] == b' ' => return Err(Unsupported),
                    _ => j += 1,
                }
            }
            let v = rest.get(..j).ok_or(Unsupported)?.trim_end();
            if v.is_empty() {
                return Err(Unsupported);
            }
            *i += j;
            Ok(plain_scalar(v))
        }
        None => Err(Unsupported),
    }
}

/// `"..."` at the start of `s`: the value and the bytes consumed.
fn double_quoted(s: &str) -> R<(Cow<'_, str>, usize)> {
    let body = s.get(1..).ok_or(Unsupported)?;
    let Some(end) = body.find(['"', '\\']) else {
        return Err(Unsupported);
    };
    if body.as_bytes()[end] == b'"' {
        return Ok((Cow::Borrowed(&body[..end]), end + 2));
    }
    let mut out = String::with_capacity(body.len());
    let mut chars = body.char_indices();
    while let Some((idx, c)) = chars.next() {
        match c {
            '"' => return Ok((Cow::Owned(out), idx + 2)),
            '\\' => {
                let (_, e) = chars.next().ok_or(Unsupported)?;
                let simple = match e {
                    '0' => Some('\0'),
                    'a' => Some('\u{7}'),
                    'b' => Some('\u{8}'),
                    't' | '\t' => Some('\t'),
                    'n' => Some('\n'),
                    'v' => Some('\u{b}'),
                    'f' => Some('\u{c}'),
                    'r' => Some('\r'),
                    'e' => Some('\u{1b}'),
                    ' ' => Some(' '),
                    '"' => Some('"'),
                    '/' => Some('/'),
                    '\\' => Some('\\'),
                    'N' => Some('\u{85}'),
                    '_' => Some('\u{a0}'),
                    'L' => Some('\u{2028}'),
                    'P' => Some('\u{2029}'),
                    _ => None,
                };
                if let Some(ch) = simple {
                    out.push(ch);
                    continue;
                }
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    'U' => 8,
                    _ => return Err(Unsupported),
                };
                let mut code = 0u32;
                for _ in 0..n {
                    let (_, h) = chars.next().ok_or(Unsupported)?;
                    code = code * 16 + h.to_digit(16).ok_or(Unsupported)?;
                }
                out.push(char::from_u32(code).ok_or(Unsupported)?);
            }
            c => out.push(c),
        }
    }
    Err(Unsupported)
}

/// `'...'` at the start of `s` (`''` is a quote).
fn single_quoted(s: &str) -> R<(Cow<'_, str>, usize)> {
    let body = s.get(1..).ok_or(Unsupported)?;
    let b = body.as_bytes();
    let mut owned: Option<String> = None;
    let mut start = 0;
    let mut j = 0;
    while j < b.len() {
        if b[j] == b'\'' {
            if b.get(j + 1) == Some(&b'\'') {
                let o = owned.get_or_insert_with(String::new);
                o.push_str(body.get(start..=j).ok_or(Unsupported)?);
                j += 2;
                start = j;
                continue;
            }
            let tail = body.get(start..j).ok_or(Unsupported)?;
            let v = match owned {
                Some(mut o) => {
                    o.push_str(tail);
                    Cow::Owned(o)
                }
                None => Cow::Borrowed(tail),
            };
            return Ok((v, j + 2));
        }
        j += 1;
    }
    Err(Unsupported)
}

fn from_value(v: serde_yaml::Value, depth: usize) -> Option<Y<'static>> {
    use serde_yaml::Value;
    if depth > 256 {
        return None;
    }
    Some(match v {
        Value::Null => Y::Null,
        Value::Bool(b) => Y::Str(Cow::Owned(b.to_string())),
        Value::Number(n) => Y::Str(Cow::Owned(n.to_string())),
        Value::String(s) => Y::Str(Cow::Owned(s)),
        Value::Sequence(s) => Y::Seq(
            s.into_iter()
                .map(|x| from_value(x, depth + 1))
                .collect::<Option<Vec<_>>>()?,
        ),
        Value::Mapping(m) => {
            let mut out = Vec::with_capacity(m.len());
            for (k, v) in m {
                let key = match k {
                    Value::String(s) => s,
                    Value::Bool(b) => b.to_string(),
                    Value::Number(n) => n.to_string(),
                    Value::Null => "null".to_string(),
                    _ => continue,
                };
                out.push((Cow::Owned(key), 0, from_value(v, depth + 1)?));
            }
            Y::Map(out)
        }
        Value::Tagged(t) => from_value(t.value, depth + 1)?,
    })
}

/// After the serde_yaml fallback: lines of the top-level keys and of the
/// keys one level below them, from block-style key lines in the text.
fn fill_lines(text: &str, y: &mut Y) {
    let mut top: HashMap<String, (u32, HashMap<String, u32>)> = HashMap::default();
    let mut current: Option<String> = None;
    let mut child_indent: Option<usize> = None;
    for (i, raw) in text.lines().enumerate() {
        let body = raw.trim_start_matches(' ');
        let indent = raw.len() - body.len();
        let body = body.trim_end();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let Some((key, _)) = split_key(body) else {
            continue;
        };
        if indent == 0 {
            top.entry(key.to_string())
                .or_insert((no, HashMap::default()));
            current = Some(key.to_string());
            child_indent = None;
        } else if let Some(cur) = &current {
            let ci = *child_indent.get_or_insert(indent);
            if indent == ci
                && let Some((_, children)) = top.get_mut(cur)
            {
                children.entry(key.to_string()).or_insert(no);
            }
        }
    }
    if let Y::Map(entries) = y {
        for (k, line, v) in entries.iter_mut() {
            let Some((l, children)) = top.get(k.as_ref()) else {
                continue;
            };
            *line = *l;
            if let Y::Map(sub) = v {
                for (ck, cl, _) in sub.iter_mut() {
                    if let Some(n) = children.get(ck.as_ref()) {
                        *cl = *n;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Y<'_> {
        Y::Str(Cow::Borrowed(v))
    }

    #[test]
    fn block_and_flow() {
        let t = "# comment\nlockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      '@s/a':\n        specifier: ^1.0.0 # trailing\n        version: 1.0.0(b@2.0.0)\npackages:\n  a@1.0.0:\n    resolution: {integrity: sha512-x==, tarball: 'https://h/a.tgz'}\n    engines: {node: '>=6.9.0 || ^12'}\n    cpu: [x64, arm64]\n    hasBin: true\n  b@2.0.0: {}\n  \"c\\u0041\": ~\nlist:\n- one\n- 'it''s'\n-\n  - nested\n";
        let y = fast(t).expect("fast path");
        assert_eq!(y.str("lockfileVersion"), Some("9.0"));
        let imp = y.get("importers").unwrap().get(".").unwrap();
        let a = imp.get("dependencies").unwrap().get("@s/a").unwrap();
        assert_eq!(a.str("specifier"), Some("^1.0.0"));
        assert_eq!(a.str("version"), Some("1.0.0(b@2.0.0)"));
        let pk = y.get("packages").unwrap();
        assert_eq!(pk.entries()[0].1, 12);
        assert_eq!(pk.entries()[1].1, 17);
        let e = pk.get("a@1.0.0").unwrap();
        assert_eq!(
            e.get("resolution").unwrap().str("integrity"),
            Some("sha512-x==")
        );
        assert_eq!(
            e.get("resolution").unwrap().str("tarball"),
            Some("https://h/a.tgz")
        );
        assert_eq!(
            e.get("engines").unwrap().str("node"),
            Some(">=6.9.0 || ^12")
        );
        assert_eq!(e.get("cpu"), Some(&Y::Seq(vec![s("x64"), s("arm64")])));
        assert_eq!(e.flag("hasBin"), Some(true));
        assert_eq!(pk.get("b@2.0.0"), Some(&Y::Map(vec![])));
        assert_eq!(pk.get("cA"), Some(&Y::Null));
        assert_eq!(
            y.get("list"),
            Some(&Y::Seq(vec![
                s("one"),
                s("it's"),
                Y::Seq(vec![s("nested")])
            ]))
        );
        // the same through serde_yaml
        let v: serde_yaml::Value = serde_yaml::from_str(t).unwrap();
        let mut z = from_value(v, 0).unwrap();
        fill_lines(t, &mut z);
        assert_eq!(strip_lines(z), strip_lines(y.clone()));
    }

    fn strip_lines(y: Y) -> Y<'static> {
        match y {
            Y::Null => Y::Null,
            Y::Str(s) => Y::Str(Cow::Owned(s.into_owned())),
            Y::Seq(v) => Y::Seq(v.into_iter().map(strip_lines).collect()),
            Y::Map(m) => Y::Map(
                m.into_iter()
                    .map(|(k, _, v)| (Cow::Owned(k.into_owned()), 0, strip_lines(v)))
                    .collect(),
            ),
        }
    }

    /// The fast path must read the real lockfiles, and read them exactly as
    /// serde_yaml does.
    #[test]
    fn fast_path_agrees_with_serde_yaml_on_real_files() {
        for f in [
            "lockfiles/npm/prettier-3.0.0__yarn.lock",
            "lockfiles/npm/vuejs-core-v3.2.47__pnpm-lock.yaml",
            "lockfiles/npm/vuejs-core-main__pnpm-lock.yaml",
        ] {
            let Some(path) = patchloop_testdata::shared_data(f) else {
                return;
            };
            let text = std::fs::read_to_string(path).unwrap();
            let y = fast(&text).unwrap_or_else(|_| panic!("{f}: fast path gave up"));
            let v: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
            let z = from_value(v, 0).unwrap();
            assert!(
                strip_lines(y) == strip_lines(z),
                "{f}: differs from serde_yaml"
            );
        }
    }

    #[test]
    fn falls_back_for_other_yaml() {
        for t in [
            "a: &x 1\nb: *x\n",
            "a: |\n  text\n",
            "a: [1,\n  2]\n",
            "- a: 1\n",
            "a: plain\n  continued\n",
            "%YAML 1.2\n---\na: 1\n",
        ] {
            assert!(fast(t).is_err(), "{t}");
            assert!(parse(t).is_ok(), "{t}");
        }
        let y = parse("top:\n  k1: &a {x: 1}\n  k2: *a\n").unwrap();
        let top = y.get("top").unwrap();
        assert_eq!(top.entries()[1].1, 3);
        assert_eq!(y.entries()[0].1, 1);
    }

    #[test]
    fn errors_and_garbage() {
        let e = parse("a: 1\n b: [\n").unwrap_err();
        assert!(e.line.is_some());
        for t in [
            "",
            "\"",
            "'",
            "a: \"\\u12",
            "a: '",
            "a: {",
            "a: [b, {c: ]",
            ":",
            "- - -",
            "\t- a",
            "a:\n\t- b",
            "ä: ö\n  ü: 1",
            "a: \"\\",
            "{a: b}",
            "a: {b: c}}",
        ] {
            let _ = parse(t);
        }
        let deep = format!("a: {}{}", "[".repeat(200), "]".repeat(200));
        assert!(fast(&deep).is_err());
        let _ = parse(&deep);
        let mut nested = String::new();
        for i in 0..300 {
            nested.push_str(&" ".repeat(i));
            nested.push_str("k:\n");
        }
        assert!(fast(&nested).is_err());
        let _ = parse(&nested);
    }
}
