//! Elixir/Erlang: `mix.lock`, an Elixir map literal:
//!
//! ```elixir
//! %{
//!   "plug": {:hex, :plug, "1.14.0", "inner-sha256", [:mix], [{:mime, "~> 1.0", [hex: :mime, repo: "hexpm", optional: false]}], "hexpm", "outer-sha256"},
//!   "phoenix": {:git, "https://github.com/phoenixframework/phoenix.git", "8d2f...", [branch: "main"]},
//! }
//! ```
//!
//! Read with a small tolerant term reader (strings, atoms, lists, tuples,
//! keyword lists, maps); nesting depth is capped.

use crate::fxhash::HashMap;

use patchloop_model::{Ecosystem, Package, Resolution, SourceFile};

use crate::error::ParseError;
use crate::formats::common::PackageSet;
use crate::input::{Input, ParseResult, Parsed};

/// An Elixir term, as far as mix.lock needs.
#[derive(Debug, Clone, PartialEq)]
enum Term {
    Str(String),
    Atom(String),
    List(Vec<Term>),
    Tuple(Vec<Term>),
    /// (key, value, line of the key)
    Map(Vec<(Term, Term, u32)>),
    /// Numbers, `true`, `nil`, ...
    Other(String),
}

impl Term {
    fn as_text(&self) -> Option<&str> {
        match self {
            Term::Str(s) | Term::Atom(s) => Some(s),
            _ => None,
        }
    }
}

const MAX_DEPTH: usize = 64;

struct Reader<'a> {
    s: &'a str,
    i: usize,
    line: u32,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'?' | b'!' | b'@')
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    fn peek_at(&self, k: usize) -> Option<u8> {
        self.s.as_bytes().get(self.i + k).copied()
    }

    fn err(&self, msg: impl Into<String>) -> ParseError {
        ParseError::at(self.line, msg)
    }

    /// Skip white space and `#` comments.
    fn ws(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                b'\n' => {
                    self.line = self.line.saturating_add(1);
                    self.i += 1;
                }
                b' ' | b'\t' | b'\r' => self.i += 1,
                b'#' => {
                    while let Some(c) = self.peek() {
                        if c == b'\n' {
                            break;
                        }
                        self.i += 1;
                    }
                }
                _ => break,
            }
        }
    }

    /// A double-quoted string; the cursor is on the opening quote.
    fn string(&mut self) -> Result<String, ParseError> {
        let start_line = self.line;
        self.i += 1;
        let mut out = String::new();
        let rest = self.s.get(self.i..).unwrap_or("");
        let mut chars = rest.char_indices();
        while let Some((k, c)) = chars.next() {
            match c {
                '"' => {
                    self.i += k + 1;
                    return Ok(out);
                }
                '\\' => match chars.next() {
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 't')) => out.push('\t'),
                    Some((_, e)) => {
                        if e == '\n' {
                            self.line = self.line.saturating_add(1);
                        }
                        out.push(e)
                    }
                    None => break,
                },
                '\n' => {
                    self.line = self.line.saturating_add(1);
                    out.push(c);
                }
                c => out.push(c),
            }
        }
        Err(ParseError::at(start_line, "unterminated string"))
    }

    fn ident(&mut self) -> &'a str {
        let start = self.i;
        while self.peek().is_some_and(is_ident) {
            self.i += 1;
        }
        self.s.get(start..self.i).unwrap_or("")
    }

    /// `key: ` (identifier or string directly followed by `:` and white
    /// space) at the cursor? Returns the key and moves past it.
    fn keyword_key(&mut self) -> Result<Option<String>, ParseError> {
        let save = (self.i, self.line);
        let key = match self.peek() {
            Some(c) if is_ident_start(c) => self.ident().to_string(),
            Some(b'"') => self.string()?,
            _ => return Ok(None),
        };
        if self.peek() == Some(b':') && self.peek_at(1).is_none_or(|c| c.is_ascii_whitespace()) {
            self.i += 1;
            return Ok(Some(key));
        }
        (self.i, self.line) = save;
        Ok(None)
    }

    fn term(&mut self, depth: usize) -> Result<Term, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        self.ws();
        let Some(c) = self.peek() else {
            return Err(self.err("unexpected end of file (truncated file?)"));
        };
        match c {
            b'"' => Ok(Term::Str(self.string()?)),
            b':' => {
                self.i += 1;
                match self.peek() {
                    Some(b'"') => Ok(Term::Atom(self.string()?)),
                    Some(c) if is_ident_start(c) => Ok(Term::Atom(self.ident().to_string())),
                    _ => Err(self.err("bad atom")),
                }
            }
            b'[' => {
                self.i += 1;
                Ok(Term::List(self.elements(b']', depth)?))
            }
            b'{' => {
                self.i += 1;
                Ok(Term::Tuple(self.elements(b'}', depth)?))
            }
            b'%' if self.peek_at(1) == Some(b'{') => {
                self.i += 2;
                self.map(depth)
            }
            c if is_ident_start(c) || c.is_ascii_digit() || c == b'-' => {
                let start = self.i;
                self.i += 1;
                while self.peek().is_some_and(|c| is_ident(c) || c == b'.') {
                    self.i += 1;
                }
                Ok(Term::Other(
                    self.s.get(start..self.i).unwrap_or("").to_string(),
                ))
            }
            _ => Err(self.err(format!(
                "unexpected `{}`",
                self.s
                    .get(self.i..)
                    .and_then(|r| r.chars().next())
                    .unwrap_or('?')
            ))),
        }
    }

    /// Elements up to `close`; `key: value` items become 2-tuples.
    fn elements(&mut self, close: u8, depth: usize) -> Result<Vec<Term>, ParseError> {
        let mut out = Vec::new();
        loop {
            self.ws();
            if self.peek() == Some(close) {
                self.i += 1;
                return Ok(out);
            }
            let item = match self.keyword_key()? {
                Some(k) => Term::Tuple(vec![Term::Atom(k), self.term(depth + 1)?]),
                None => self.term(depth + 1)?,
            };
            out.push(item);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(c) if c == close => {}
                None => return Err(self.err("unexpected end of file (truncated file?)")),
                Some(_) => return Err(self.err(format!("expected `,` or `{}`", close as char))),
            }
        }
    }

    /// Map entries up to `}`: `key => value` or `key: value`.
    fn map(&mut self, depth: usize) -> Result<Term, ParseError> {
        let mut out = Vec::new();
        loop {
            self.ws();
            if self.peek() == Some(b'}') {
                self.i += 1;
                return Ok(Term::Map(out));
            }
            let line = self.line;
            let (key, value) = match self.keyword_key()? {
                Some(k) => (Term::Atom(k), self.term(depth + 1)?),
                None => {
                    let k = self.term(depth + 1)?;
                    self.ws();
                    if self.s.get(self.i..).is_some_and(|r| r.starts_with("=>")) {
                        self.i += 2;
                    } else {
                        return Err(self.err("expected `=>` in map"));
                    }
                    (k, self.term(depth + 1)?)
                }
            };
            out.push((key, value, line));
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {}
                None => return Err(self.err("unexpected end of file (truncated file?)")),
                Some(_) => return Err(self.err("expected `,` or `}` in map")),
            }
        }
    }
}

/// Parse a `mix.lock`.
pub fn parse(input: &Input) -> ParseResult {
    let mut parsed = Parsed::new(SourceFile::new(input.display, "mix-lock", Ecosystem::HEX));
    let mut r = Reader {
        s: input.text,
        i: 0,
        line: 1,
    };
    r.ws();
    if r.peek().is_none() {
        return Ok(parsed);
    }
    let top = r.term(0)?;
    r.ws();
    if r.peek().is_some() {
        return Err(r.err("unexpected text after the lock map"));
    }
    let Term::Map(entries) = top else {
        return Err(ParseError::at(1, "not a mix.lock: expected a map `%{...}`"));
    };

    let mut set = PackageSet::new();
    let mut id_of_app: HashMap<String, String> = HashMap::default();
    let mut deps_of: Vec<(String, Vec<String>)> = Vec::new();
    for (key, value, line) in &entries {
        let Some(app) = key.as_text() else {
            parsed.warn(Some(*line), "lock key is not a string; skipped");
            continue;
        };
        let Term::Tuple(t) = value else {
            parsed.warn(Some(*line), format!("{app}: entry is not a tuple; skipped"));
            continue;
        };
        let kind = t.first().and_then(Term::as_text).unwrap_or("");
        match kind {
            "hex" => {
                let (Some(name), Some(version)) = (
                    t.get(1).and_then(Term::as_text),
                    t.get(2).and_then(Term::as_text),
                ) else {
                    parsed.warn(
                        Some(*line),
                        format!("{app}: hex entry without name/version; skipped"),
                    );
                    continue;
                };
                let mut p = Package::new(Ecosystem::HEX, name, version)
                    .with_location(input.display, Some(*line));
                if let Some(outer) = t.get(7).and_then(Term::as_text)
                    && !outer.is_empty()
                {
                    p.checksums.push(format!("sha256:{outer}"));
                }
                let deps = match t.get(5) {
                    Some(Term::List(ds)) => ds
                        .iter()
                        .filter_map(|d| match d {
                            Term::Tuple(dt) => {
                                dt.first().and_then(Term::as_text).map(str::to_string)
                            }
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                let id = set.insert(p);
                id_of_app.insert(app.to_string(), id.clone());
                deps_of.push((id, deps));
            }
            "git" => {
                let url = t.get(1).and_then(Term::as_text).unwrap_or_default();
                let rev = t.get(2).and_then(Term::as_text).map(str::to_string);
                let p = Package::unpinned(
                    Ecosystem::HEX,
                    app,
                    Resolution::Vcs {
                        url: url.to_string(),
                        rev,
                    },
                )
                .with_location(input.display, Some(*line));
                let id = set.insert(p);
                id_of_app.insert(app.to_string(), id);
            }
            other => parsed.warn(
                Some(*line),
                format!("{app}: unsupported source `{other}`; skipped"),
            ),
        }
    }
    for (id, deps) in deps_of {
        let targets: Vec<String> = deps
            .iter()
            .filter_map(|d| id_of_app.get(d).cloned())
            .collect();
        if let Some(p) = set.get_mut(&id) {
            p.dependencies = targets;
        }
    }
    parsed.source.packages = set.into_sorted();
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchloop_model::Relation;

    const LOCK: &str = r#"%{
  "cowboy": {:hex, :cowboy, "2.9.0", "865dd8b6607e14cf03282e10e934023a1bd8be6f6bacf921a7e2a96d800cd452", [:make, :rebar3], [{:cowlib, "2.11.0", [hex: :cowlib, repo: "hexpm", optional: false]}, {:ranch, "1.8.0", [hex: :ranch, repo: "hexpm", optional: false]}], "hexpm", "2c729f934b4e1aa149aff882f57c6372c15399a20d54f65c8d67bef583021bde"},
  "cowlib": {:hex, :cowlib, "2.11.0", "0b9ff9c346629256c42ebe1eeb769a83c6cb771a6ee5960bd110ab0b9b872063", [:make, :rebar3], [], "hexpm", "2b3e9da0b21c4565751a6d4901c20d1b4cc25cbb7fd50d91d2ab6dd287bc86a9"},
  "old_style": {:hex, :old_style, "0.1.0", "abc", [:mix], [{:cowlib, "~> 2.0", [hex: :cowlib, optional: true]}]},
  "phoenix": {:git, "https://github.com/phoenixframework/phoenix.git", "8d2f2f3b1a0c9e4d5f6a7b8c9d0e1f2a3b4c5d6e", [branch: "main"]},
  "ranch": {:hex, :ranch, "1.8.0", "8c7a100a139fd57f17327b6413e4167ac559fbc04ca7448e9be9057311597a1d", [:make, :rebar3], [], "hexpm", "49fbcfd3682fab1f5d109351b61257676da1a2fdbe295904176d5e521a2ddfe5"},
  "renamed_app": {:hex, :real_pkg_name, "3.0.0", "x", [:mix], [], "hexpm:acme", "y"},
  # a comment
  "weird": {:svn, "x"},
  "escaped": {:git, "https://example.com/a\"b.git", "r", []},
}
"#;

    fn find<'a>(p: &'a Parsed, name: &str) -> &'a Package {
        p.source.packages.iter().find(|x| x.name == name).unwrap()
    }

    #[test]
    fn entries() {
        let p = parse(&Input::new("mix.lock", LOCK)).unwrap();
        assert_eq!(p.source.packages.len(), 7);
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, Some(9));
        let c = find(&p, "cowboy");
        assert_eq!(c.version, "2.9.0");
        assert_eq!(c.purl, "pkg:hex/cowboy@2.9.0");
        assert_eq!(c.line(), Some(2));
        assert_eq!(c.relation, Relation::Unknown);
        assert_eq!(
            c.checksums,
            vec![
                "sha256:2c729f934b4e1aa149aff882f57c6372c15399a20d54f65c8d67bef583021bde"
                    .to_string()
            ]
        );
        assert_eq!(
            c.dependencies,
            vec![
                "pkg:hex/cowlib@2.11.0".to_string(),
                "pkg:hex/ranch@1.8.0".to_string()
            ]
        );
        let o = find(&p, "old_style");
        assert!(o.checksums.is_empty());
        assert_eq!(o.dependencies, vec!["pkg:hex/cowlib@2.11.0".to_string()]);
        let ph = find(&p, "phoenix");
        assert_eq!(ph.version, "");
        assert_eq!(
            ph.resolution,
            Resolution::Vcs {
                url: "https://github.com/phoenixframework/phoenix.git".into(),
                rev: Some("8d2f2f3b1a0c9e4d5f6a7b8c9d0e1f2a3b4c5d6e".into())
            }
        );
        assert_eq!(ph.line(), Some(5));
        assert_eq!(find(&p, "real_pkg_name").version, "3.0.0");
        assert!(matches!(
            &find(&p, "escaped").resolution,
            Resolution::Vcs { url, .. } if url == "https://example.com/a\"b.git"
        ));
    }

    #[test]
    fn arrow_maps_and_bad_input() {
        let p = parse(&Input::new(
            "mix.lock",
            "%{\"a\" => {:hex, :a, \"1.0.0\", \"h\", [:mix], [], \"hexpm\"}, b: {:hex, :b, \"2.0.0\"}}",
        ))
        .unwrap();
        assert_eq!(p.source.packages.len(), 2);
        assert!(
            parse(&Input::new("mix.lock", ""))
                .unwrap()
                .source
                .packages
                .is_empty()
        );
        for bad in [
            "%{",
            "%{\"a\": {:hex",
            "%{\"a\": \"unterminated",
            "[1, 2]",
            "%{} extra",
            "%{\"a\" {}}",
            "%{\"a\": :}",
            "é",
        ] {
            assert!(parse(&Input::new("mix.lock", bad)).is_err(), "{bad}");
        }
        let e = parse(&Input::new("mix.lock", "%{\n\"a\": {:hex,\n")).unwrap_err();
        assert_eq!(e.line, Some(3));
        let deep = format!("%{{\"a\": {}", "[".repeat(100_000));
        assert!(parse(&Input::new("mix.lock", &deep)).is_err());
    }
}
