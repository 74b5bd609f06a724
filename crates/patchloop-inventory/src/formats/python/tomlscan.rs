//! A fast pre-pass over machine-written TOML lockfiles.
//!
//! Most of a `uv.lock` or `poetry.lock` is lists of distribution files
//! (`wheels = [...]`, `files = [...]`, `[metadata.files]`), of which the
//! parsers only need the hashes. Handing those to the TOML parser costs
//! ~90% of the parse time, so this pass lexes the file (strings, comments,
//! brackets), collects `file`/`url` and `hash` of each inline table in
//! those values, and removes them, keeping their line breaks. The result
//! has the same lines as the input, so line numbers computed on it (from
//! the TOML parser's byte spans) are those of the original.
//!
//! Anything unexpected (unterminated strings or brackets, mismatched
//! brackets, text after a value, quoted table headers) gives `None`: the
//! caller then parses the original text, which reports the error.

/// One distribution file of a stripped value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Artifact {
    /// `file` (poetry, pdm) or `url` (uv).
    pub file: Option<String>,
    pub hash: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct Stripped {
    /// The input without the stripped `key = value`s (their line breaks
    /// kept): compute lines on this text, not on the original.
    pub text: String,
    /// Number of `[[package]]` headers seen.
    pub packages: usize,
    /// Artifacts of stripped keys inside `[[package]]` tables, by the
    /// package's index.
    pub package_files: Vec<Vec<Artifact>>,
    /// Stripped entries of `[metadata.files]`: (key as written, artifacts).
    pub metadata_files: Vec<(String, Vec<Artifact>)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Package(usize),
    MetadataFiles,
    Other,
}

struct Lexer<'a> {
    b: &'a [u8],
    i: usize,
}

impl Lexer<'_> {
    fn peek(&self, k: usize) -> Option<u8> {
        self.b.get(self.i + k).copied()
    }

    fn skip_blank(&mut self) {
        while matches!(self.peek(0), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    fn skip_comment(&mut self) {
        while self.peek(0).is_some_and(|c| c != b'\n') {
            self.i += 1;
        }
    }

    /// Skip a string starting at `self.i` (a quote); returns its content
    /// range (escapes left as written) or `None` when unterminated.
    fn string(&mut self) -> Option<(usize, usize)> {
        let q = self.peek(0)?;
        let multi = self.peek(1) == Some(q) && self.peek(2) == Some(q);
        if multi {
            self.i += 3;
            let start = self.i;
            loop {
                match self.peek(0)? {
                    b'\\' if q == b'"' => self.i += 2,
                    c if c == q && self.peek(1) == Some(q) && self.peek(2) == Some(q) => {
                        let end = self.i;
                        self.i += 3;
                        // Up to two quotes may end the content itself.
                        for _ in 0..2 {
                            if self.peek(0) == Some(q) {
                                self.i += 1;
                            }
                        }
                        return Some((start, end));
                    }
                    _ => self.i += 1,
                }
            }
        }
        self.i += 1;
        let start = self.i;
        loop {
            match self.peek(0)? {
                b'\\' if q == b'"' => self.i += 2,
                b'\n' => return None,
                c if c == q => {
                    self.i += 1;
                    return Some((start, self.i - 1));
                }
                _ => self.i += 1,
            }
        }
    }
}

fn is_bare(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// Blank the values of `package_keys` inside `[[package]]` tables and,
/// when `metadata_files`, every entry of `[metadata.files]`.
pub(crate) fn strip(text: &str, package_keys: &[&str], metadata_files: bool) -> Option<Stripped> {
    let b = text.as_bytes();
    let mut lx = Lexer { b, i: 0 };
    let mut out = Stripped::default();
    let mut blank: Vec<(usize, usize)> = Vec::new();
    let mut ctx = Ctx::Other;
    // Brackets open across lines in ordinary (kept) values.
    let mut stack: Vec<u8> = Vec::new();
    let mut line_start = true;
    while lx.i < b.len() {
        if line_start && stack.is_empty() {
            line_start = false;
            lx.skip_blank();
            match lx.peek(0) {
                Some(b'[') => {
                    ctx = header(&mut lx, &mut out, ctx)?;
                    continue;
                }
                Some(c) if is_bare(c) || c == b'"' => {
                    let key_start = lx.i;
                    let key = key(&mut lx, text)?;
                    lx.skip_blank();
                    if lx.peek(0) != Some(b'=') {
                        // A dotted key or something odd: lex as usual.
                        continue;
                    }
                    lx.i += 1;
                    lx.skip_blank();
                    let wanted = match ctx {
                        Ctx::Package(_) => package_keys.contains(&key),
                        Ctx::MetadataFiles => metadata_files,
                        Ctx::Other => false,
                    };
                    if wanted && matches!(lx.peek(0), Some(b'[' | b'{')) {
                        let arts = value(&mut lx, text)?;
                        blank.push((key_start, lx.i));
                        match ctx {
                            Ctx::Package(k) => {
                                if out.package_files.len() <= k {
                                    out.package_files.resize_with(k + 1, Vec::new);
                                }
                                out.package_files[k].extend(arts);
                            }
                            Ctx::MetadataFiles => out.metadata_files.push((key.to_string(), arts)),
                            Ctx::Other => {}
                        }
                        // Only blanks and a comment may follow.
                        lx.skip_blank();
                        match lx.peek(0) {
                            None | Some(b'\n' | b'\r' | b'#') => {}
                            Some(_) => return None,
                        }
                    }
                    continue;
                }
                _ => continue,
            }
        }
        match b[lx.i] {
            b'\n' => {
                line_start = true;
                lx.i += 1;
            }
            b'#' => lx.skip_comment(),
            b'"' | b'\'' => {
                lx.string()?;
            }
            c @ (b'[' | b'{') => {
                stack.push(c);
                lx.i += 1;
            }
            c @ (b']' | b'}') => {
                let open = stack.pop()?;
                if (open == b'[') != (c == b']') {
                    return None;
                }
                lx.i += 1;
            }
            _ => lx.i += 1,
        }
    }
    if !stack.is_empty() {
        return None;
    }
    let mut kept = String::with_capacity(text.len() / 4);
    let mut from = 0;
    for (s, e) in blank {
        kept.push_str(text.get(from..s)?);
        for _ in text.get(s..e)?.bytes().filter(|c| *c == b'\n') {
            kept.push('\n');
        }
        from = e;
    }
    kept.push_str(text.get(from..)?);
    out.text = kept;
    if out.package_files.len() < out.packages {
        out.package_files.resize_with(out.packages, Vec::new);
    }
    Some(out)
}

/// A table header at `lx.i` (`[name]` or `[[name]]`); returns the new
/// context. Quoted header keys are not handled (`None`).
fn header(lx: &mut Lexer, out: &mut Stripped, ctx: Ctx) -> Option<Ctx> {
    let array = lx.peek(1) == Some(b'[');
    lx.i += if array { 2 } else { 1 };
    let start = lx.i;
    while let Some(c) = lx.peek(0) {
        match c {
            b']' => break,
            b'"' | b'\'' | b'\n' | b'[' => return None,
            _ => lx.i += 1,
        }
    }
    let name = std::str::from_utf8(lx.b.get(start..lx.i)?).ok()?.trim();
    lx.i += 1;
    if array {
        if lx.peek(0) != Some(b']') {
            return None;
        }
        lx.i += 1;
    }
    let name: String = name.split('.').map(str::trim).collect::<Vec<_>>().join(".");
    Some(match (array, name.as_str()) {
        (true, "package") => {
            out.packages += 1;
            Ctx::Package(out.packages - 1)
        }
        (false, "metadata.files") => Ctx::MetadataFiles,
        (_, n) if n.starts_with("package.") => match ctx {
            // A sub-table of the current package keeps its index, but its
            // keys are not the package's own.
            Ctx::Package(_) => Ctx::Other,
            other => other,
        },
        _ => Ctx::Other,
    })
}

/// A bare or basic-string key at `lx.i`.
fn key<'a>(lx: &mut Lexer, text: &'a str) -> Option<&'a str> {
    if lx.peek(0) == Some(b'"') {
        let (s, e) = lx.string()?;
        return text.get(s..e);
    }
    let start = lx.i;
    while lx.peek(0).is_some_and(is_bare) {
        lx.i += 1;
    }
    text.get(start..lx.i)
}

/// An array or inline table at `lx.i`, to its closing bracket. Collects
/// `file`/`url` and `hash` strings of every inline table in it.
fn value(lx: &mut Lexer, text: &str) -> Option<Vec<Artifact>> {
    let mut arts = Vec::new();
    let mut stack: Vec<(u8, Artifact)> = Vec::new();
    let mut word: Option<(usize, usize)> = None;
    let mut after_eq = false;
    loop {
        let c = lx.peek(0)?;
        match c {
            b'[' | b'{' => {
                stack.push((c, Artifact::default()));
                word = None;
                after_eq = false;
                lx.i += 1;
            }
            b']' | b'}' => {
                let (open, art) = stack.pop()?;
                if (open == b'[') != (c == b']') {
                    return None;
                }
                if c == b'}' && (art.file.is_some() || art.hash.is_some()) {
                    arts.push(art);
                }
                lx.i += 1;
                if stack.is_empty() {
                    return Some(arts);
                }
                word = None;
                after_eq = false;
            }
            b'"' | b'\'' => {
                let (s, e) = lx.string()?;
                let k = word.and_then(|(ws, we)| text.get(ws..we));
                if let (true, Some(k), Some((b'{', art))) = (after_eq, k, stack.last_mut()) {
                    let v = text.get(s..e).map(str::to_string);
                    match k {
                        "hash" => art.hash = v,
                        "file" | "url" => art.file = v,
                        _ => {}
                    }
                }
                word = None;
                after_eq = false;
            }
            b'=' => {
                after_eq = true;
                lx.i += 1;
            }
            b',' => {
                word = None;
                after_eq = false;
                lx.i += 1;
            }
            b'#' => lx.skip_comment(),
            c if is_bare(c) && !after_eq => {
                let start = lx.i;
                while lx.peek(0).is_some_and(is_bare) {
                    lx.i += 1;
                }
                word = Some((start, lx.i));
            }
            _ => lx.i += 1,
        }
    }
}

impl Stripped {
    /// Hashes of the stripped values of the `k`-th `[[package]]`.
    pub(crate) fn hashes(&self, k: usize) -> Option<Vec<String>> {
        self.package_files
            .get(k)
            .map(|files| files.iter().filter_map(|a| a.hash.clone()).collect())
    }
}

/// A lockfile with `[[package]]` tables, read through [`from_str`], and
/// the line index of the text that was parsed.
pub(crate) fn parse_lock<T: serde::de::DeserializeOwned>(
    input: &crate::input::Input,
    package_keys: &[&str],
    metadata_files: bool,
    packages: impl Fn(&T) -> usize,
) -> Result<(T, Option<Stripped>, crate::text::LineIndex), crate::error::ParseError> {
    let (lock, stripped) = from_str(input.text, package_keys, metadata_files, packages)
        .map_err(|e| crate::error::ParseError::toml(&e, input.text))?;
    let lines =
        crate::text::LineIndex::new(stripped.as_ref().map_or(input.text, |s| s.text.as_str()));
    Ok((lock, stripped, lines))
}

/// Deserialize `text` after [`strip`]ping it, falling back to the
/// original text when the pass gives up, when the stripped text does not
/// parse (so errors are reported on the original) or when `packages`
/// counts a different number of `[[package]]` entries than the pass saw.
pub(crate) fn from_str<T: serde::de::DeserializeOwned>(
    text: &str,
    package_keys: &[&str],
    metadata_files: bool,
    packages: impl Fn(&T) -> usize,
) -> Result<(T, Option<Stripped>), toml::de::Error> {
    if let Some(s) = strip(text, package_keys, metadata_files)
        && let Ok(v) = toml::from_str::<T>(&s.text)
        && packages(&v) == s.packages
    {
        return Ok((v, Some(s)));
    }
    Ok((toml::from_str(text)?, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = "version = 1 # c\n\n[[package]]\nname = \"a\"\nsdist = { url = \"https://x/a-1.tar.gz\", hash = \"sha256:01\", size = 3, upload-time = 2025-01-01T00:00:00Z }\nwheels = [\n    { url = \"https://x/a-1-py3-none-any.whl\", hash = \"sha256:02\" }, # c\n    { url = 'https://x/a]{.whl', hash = \"sha256:03\" },\n]\nnote = \"\"\"wheels = [\n[[package]]\"\"\"\n\n[package.metadata]\nwheels = [\"kept\"]\n\n[[package]]\nname = \"b\"\nfiles = []\n\n[metadata]\nlock-version = \"2.1\"\n\n[metadata.files]\n\"a.b\" = [\n    {file = \"a.b-1.tar.gz\", hash = \"sha256:04\"},\n]\nc = []\n";

    #[test]
    fn strips_and_collects() {
        let s = strip(LOCK, &["sdist", "wheels", "files"], true).unwrap();
        assert_eq!(s.text.lines().count(), LOCK.lines().count());
        assert!(s.text.len() < LOCK.len() / 2);
        assert_eq!(s.packages, 2);
        let hashes: Vec<Option<&str>> = s.package_files[0]
            .iter()
            .map(|a| a.hash.as_deref())
            .collect();
        assert_eq!(
            hashes,
            vec![Some("sha256:01"), Some("sha256:02"), Some("sha256:03")]
        );
        assert_eq!(
            s.package_files[0][2].file.as_deref(),
            Some("https://x/a]{.whl")
        );
        assert!(s.package_files[1].is_empty());
        assert_eq!(s.metadata_files.len(), 2);
        assert_eq!(s.metadata_files[0].0, "a.b");
        assert_eq!(
            s.metadata_files[0].1[0].file.as_deref(),
            Some("a.b-1.tar.gz")
        );
        assert!(!s.text.contains("sha256"));
        // The multi-line string and the sub-table's key are kept.
        assert!(
            s.text
                .contains("note = \"\"\"wheels = [\n[[package]]\"\"\"")
        );
        assert!(s.text.contains("wheels = [\"kept\"]"));
        let v: toml::Table = toml::from_str(&s.text).unwrap();
        assert_eq!(v["package"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn gives_up_on_odd_input() {
        for bad in [
            "[[package]]\nwheels = [\n{ hash = \"x\" }\n",
            "[[package]]\nwheels = [ } ]\n",
            "[[package]]\nwheels = [] extra\n",
            "[[package]]\nname = \"unterminated\n",
            "[\"quoted\"]\n",
            "a = [ 1, 2\n",
            "a = ]\n",
        ] {
            assert!(strip(bad, &["wheels"], true).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn real_lockfiles_take_the_fast_path() {
        for (name, keys, meta, packages) in [
            (
                "pydantic-main__uv.lock",
                &["sdist", "wheels"][..],
                false,
                176,
            ),
            ("poetry-main__poetry.lock", &["files"][..], true, 78),
            ("poetry-1.1.0__poetry.lock", &["files"][..], true, 83),
        ] {
            let Some(path) = patchloop_testdata::shared_data(&format!("lockfiles/PyPI/{name}"))
            else {
                return;
            };
            let text = std::fs::read_to_string(path).unwrap();
            let s = strip(&text, keys, meta).expect(name);
            assert_eq!(s.packages, packages, "{name}");
            // Most of the text is blanked.
            assert!(
                s.text.len() * 2 < text.len(),
                "{name}: {} of {}",
                s.text.len(),
                text.len()
            );
            assert_eq!(s.text.lines().count(), text.lines().count());
            let v: toml::Table = toml::from_str(&s.text).expect(name);
            assert_eq!(v["package"].as_array().unwrap().len(), packages);
        }
    }

    #[test]
    fn never_panics() {
        for n in 0..=LOCK.len() {
            let _ = strip(&LOCK[..n], &["sdist", "wheels", "files"], true);
        }
        for odd in [
            "\"",
            "'''",
            "\"\"\"\\",
            "[",
            "[[",
            "a=",
            "a = [\"\\",
            "é = [{é=\"é\"}]",
        ] {
            let _ = strip(odd, &["a"], true);
        }
    }
}
