//! pip requirements files (`requirements*.txt`, `requirements/*.txt`).
//!
//! Every requirement line is a direct dependency. `==`/`===` pins are
//! exact; other specifiers are reported as requirements without a version
//! (unless a constraints file or another line pins the same name); URLs,
//! VCS references and local paths get the matching [`Resolution`].
//! `-r` includes and `-c` constraints files are read relative to the file
//! that names them. See docs/formats/python.md.

use crate::fxhash::{HashMap, HashSet};

use patchloop_model::{
    Ecosystem, Package, Relation, Resolution, Scope, SourceFile, pep503_normalize,
};

use super::pep508;
use super::project::is_dev_name;
use crate::formats::Format;
use crate::formats::common::PackageSet;
use crate::input::{Input, ParseResult, Parsed};

/// Deepest chain of `-r`/`-c` includes followed.
const MAX_DEPTH: usize = 16;

pub fn parse(input: &Input) -> ParseResult {
    let mut parsed = Parsed::new(SourceFile::new(
        input.display,
        Format::Requirements.id(),
        Ecosystem::PYPI,
    ));
    let mut w = Walker {
        input,
        reqs: Vec::new(),
        constraints: Vec::new(),
        stack: vec![file_key(
            input.fs_path.map(|p| p.to_path_buf()),
            input.display,
        )],
        done: HashSet::default(),
        warnings: Vec::new(),
    };
    let top = FileCtx {
        rel: String::new(),
        display: input.display.to_string(),
        text: input.text,
        top: true,
        constraint: false,
        scope: file_scope(input.display),
    };
    w.process(&top, 0);
    let Walker {
        reqs,
        constraints,
        warnings,
        ..
    } = w;
    for (line, msg) in warnings {
        parsed.warn(line, msg);
    }
    let mut set = PackageSet::new();
    for p in finish(reqs, &constraints, &mut parsed) {
        set.insert(p);
    }
    parsed.source.packages = set.into_sorted();
    Ok(parsed)
}

/// Scope of the requirements in a file, from its name: files whose name
/// (without `.txt`) has a development word (`dev-requirements.txt`,
/// `requirements-test.txt`, `requirements/dev.txt`, ...) are dev.
fn file_scope(path: &str) -> Scope {
    let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let stem = file.strip_suffix(".txt").unwrap_or(file);
    if is_dev_name(stem) {
        Scope::Dev
    } else {
        Scope::Runtime
    }
}

fn file_key(path: Option<std::path::PathBuf>, fallback: &str) -> String {
    path.and_then(|p| std::fs::canonicalize(p).ok())
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|| fallback.to_string())
}

/// One requirement as read, before pins from other lines are applied.
struct Req {
    name: String,
    version: String,
    resolution: Resolution,
    scope: Scope,
    display: String,
    line: u32,
    checksums: Vec<String>,
}

/// An exact pin from a constraints file.
struct Constraint {
    key: String,
    version: String,
    display: String,
    line: u32,
}

struct FileCtx<'t> {
    /// Path relative to the top file's directory; empty for the top file.
    rel: String,
    display: String,
    text: &'t str,
    top: bool,
    constraint: bool,
    scope: Scope,
}

impl FileCtx<'_> {
    fn dir(&self) -> &str {
        match self.rel.rfind('/') {
            Some(i) => &self.rel[..i],
            None => "",
        }
    }
}

struct Walker<'a, 'b> {
    input: &'a Input<'b>,
    reqs: Vec<Req>,
    constraints: Vec<Constraint>,
    /// Files being read (cycle detection).
    stack: Vec<String>,
    /// Files already read, and whether as constraints.
    done: HashSet<(String, bool)>,
    warnings: Vec<(Option<u32>, String)>,
}

impl Walker<'_, '_> {
    fn warn(&mut self, ctx: &FileCtx, line: u32, msg: impl Into<String>) {
        let msg = msg.into();
        if ctx.top {
            self.warnings.push((Some(line), msg));
        } else {
            self.warnings
                .push((None, format!("{}:{line}: {msg}", ctx.display)));
        }
    }

    fn process(&mut self, ctx: &FileCtx, depth: usize) {
        for (line_no, logical) in logical_lines(ctx.text) {
            let line = strip_comment(&logical).trim();
            if line.is_empty() {
                continue;
            }
            if line.starts_with('-') {
                self.option_line(ctx, line_no, line, depth);
            } else {
                self.requirement_line(ctx, line_no, line);
            }
        }
    }

    fn option_line(&mut self, ctx: &FileCtx, line_no: u32, line: &str, depth: usize) {
        let (opt, value) = split_option(line);
        match opt {
            "-r" | "--requirement" => self.include(ctx, line_no, value, false, depth),
            "-c" | "--constraint" => self.include(ctx, line_no, value, true, depth),
            "-e" | "--editable" => {
                if ctx.constraint {
                    self.warn(
                        ctx,
                        line_no,
                        "editable requirement in a constraints file ignored",
                    );
                    return;
                }
                let (target, _) = split_req_options(value);
                let target = target.trim();
                if target.is_empty() {
                    self.warn(ctx, line_no, format!("`{opt}` without a target"));
                } else {
                    self.target(ctx, line_no, target, None, Vec::new());
                }
            }
            "-i" | "--index-url" | "--extra-index-url" | "--no-index" | "-f" | "--find-links"
            | "--trusted-host" | "--pre" | "--prefer-binary" | "--require-hashes"
            | "--only-binary" | "--no-binary" | "--use-feature" | "--global-option"
            | "--config-settings" | "-Z" | "--always-unzip" => {}
            other => self.warn(ctx, line_no, format!("unknown option `{other}` ignored")),
        }
    }

    fn include(
        &mut self,
        ctx: &FileCtx,
        line_no: u32,
        value: &str,
        constraint: bool,
        depth: usize,
    ) {
        let path = unquote(value.trim());
        if path.is_empty() {
            self.warn(ctx, line_no, "include without a file name");
            return;
        }
        if path.contains("://") {
            self.warn(ctx, line_no, format!("remote file `{path}` not read"));
            return;
        }
        if depth >= MAX_DEPTH {
            self.warn(
                ctx,
                line_no,
                format!("`{path}` not read: includes nested too deep"),
            );
            return;
        }
        let rel = join_rel(ctx.dir(), path);
        let (fs_path, text) = match self.input.read_related(&rel) {
            Ok(Some(found)) => found,
            Ok(None) => {
                self.warn(ctx, line_no, format!("included file `{path}` not found"));
                return;
            }
            Err(e) => {
                self.warn(ctx, line_no, format!("`{path}` not read: {}", e.message));
                return;
            }
        };
        let key = file_key(Some(fs_path), &rel);
        if self.stack.contains(&key) {
            self.warn(
                ctx,
                line_no,
                format!("include cycle: `{path}` is already being read"),
            );
            return;
        }
        if !self.done.insert((key.clone(), constraint)) {
            return;
        }
        let display = if rel.starts_with('/') {
            rel.clone()
        } else {
            self.input.related_display(&rel)
        };
        let child = FileCtx {
            scope: file_scope(&rel),
            rel,
            display,
            text: &text,
            top: false,
            // As pip: `-r` inside a constraints file names requirements.
            constraint,
        };
        self.stack.push(key);
        self.process(&child, depth + 1);
        self.stack.pop();
    }

    fn requirement_line(&mut self, ctx: &FileCtx, line_no: u32, line: &str) {
        let (req_text, opts) = split_req_options(line);
        let req_text = req_text.trim();
        let checksums = hashes(opts);
        if looks_like_target(req_text) {
            return self.target(ctx, line_no, req_text, None, checksums);
        }
        let r = match pep508::parse(req_text) {
            Ok(r) => r,
            Err(e) => {
                if req_text.contains(['/', '\\']) {
                    return self.target(ctx, line_no, req_text, None, checksums);
                }
                self.warn(ctx, line_no, format!("cannot parse requirement: {e}"));
                return;
            }
        };
        if let Some(url) = r.url {
            return self.target(ctx, line_no, url, Some(r.name), checksums);
        }
        if r.spec.is_empty() && pep508::artifact_name_version(r.name).is_some() {
            return self.target(ctx, line_no, req_text, None, checksums);
        }
        let exact = pep508::exact_version(r.spec);
        if ctx.constraint {
            if let Some(v) = exact {
                self.constraints.push(Constraint {
                    key: pep503_normalize(r.name),
                    version: v.to_string(),
                    display: ctx.display.clone(),
                    line: line_no,
                });
            }
            return;
        }
        let (version, resolution) = match exact {
            Some(v) => (v.to_string(), Resolution::Exact),
            None => (
                String::new(),
                Resolution::Requirement {
                    spec: r.spec.to_string(),
                },
            ),
        };
        self.push(
            ctx,
            line_no,
            r.name.to_string(),
            version,
            resolution,
            checksums,
        );
    }

    fn push(
        &mut self,
        ctx: &FileCtx,
        line: u32,
        name: String,
        version: String,
        resolution: Resolution,
        checksums: Vec<String>,
    ) {
        self.reqs.push(Req {
            name,
            version,
            resolution,
            scope: ctx.scope,
            display: ctx.display.clone(),
            line,
            checksums,
        });
    }

    /// A URL, VCS reference or local path, with the name when the line
    /// gave one (`name @ url`).
    fn target(
        &mut self,
        ctx: &FileCtx,
        line_no: u32,
        text: &str,
        name: Option<&str>,
        checksums: Vec<String>,
    ) {
        if ctx.constraint {
            return;
        }
        let lower = text.to_ascii_lowercase();
        let is_vcs = ["git+", "hg+", "svn+", "bzr+"]
            .iter()
            .any(|p| lower.starts_with(p));
        let is_url = ["http://", "https://", "ftp://"]
            .iter()
            .any(|p| lower.starts_with(p));
        let is_file = lower.starts_with("file:");
        // Environment markers: after "; " for URLs, after ";" for paths.
        let text = if is_vcs || is_url || is_file {
            text.split_once("; ").map_or(text, |(a, _)| a)
        } else {
            text.split_once(';').map_or(text, |(a, _)| a)
        }
        .trim();
        let (base, fragment) = text.split_once('#').unwrap_or((text, ""));
        let egg = fragment
            .split('&')
            .find_map(|kv| kv.strip_prefix("egg="))
            .filter(|e| !e.is_empty());
        let artifact = pep508::artifact_name_version(base);
        let mut version = String::new();
        let mut guessed = false;
        let (resolution, found_name) = if is_vcs {
            let (url, rev) = split_vcs_rev(base);
            let n = name.or(egg).map(str::to_string).or_else(|| {
                guessed = true;
                last_segment(url)
            });
            (
                Resolution::Vcs {
                    url: url.to_string(),
                    rev: rev.map(str::to_string),
                },
                n,
            )
        } else if is_url {
            let n = name
                .or(egg)
                .or(artifact.map(|a| a.0))
                .map(str::to_string)
                .or_else(|| {
                    guessed = true;
                    last_segment(base)
                });
            (
                Resolution::Url {
                    url: text.to_string(),
                },
                n,
            )
        } else {
            let path = if is_file {
                base.get(7..)
                    .filter(|_| lower.starts_with("file://"))
                    .or_else(|| base.get(5..))
                    .unwrap_or(base)
            } else {
                base
            };
            // `-e .[dev]`: extras after a local path.
            let path = match (path.ends_with(']'), path.rfind('[')) {
                (true, Some(i)) => &path[..i],
                _ => path,
            };
            let n = name
                .or(egg)
                .or(artifact.map(|a| a.0))
                .map(str::to_string)
                .or_else(|| self.local_dir_name(ctx, path));
            (
                Resolution::Path {
                    path: path.to_string(),
                },
                n,
            )
        };
        let Some(found_name) = found_name.filter(|n| pep508::is_valid_name(n)) else {
            self.warn(
                ctx,
                line_no,
                format!("cannot tell the package name of `{text}`"),
            );
            return;
        };
        if guessed {
            self.warn(
                ctx,
                line_no,
                format!("package name `{found_name}` guessed from `{text}` (add #egg=name or use `name @ url`)"),
            );
        }
        if let Some((an, av)) = artifact
            && pep503_normalize(an) == pep503_normalize(&found_name)
        {
            version = av.to_string();
        }
        self.push(ctx, line_no, found_name, version, resolution, checksums);
    }

    /// Name of a local directory requirement: its last path component,
    /// resolved against the file's location when the path is `.`/`..`.
    fn local_dir_name(&self, ctx: &FileCtx, path: &str) -> Option<String> {
        let display_dir = ctx.display.rfind('/').map_or("", |i| &ctx.display[..i]);
        if let Some(n) = last_segment(&join_rel(display_dir, path)).filter(|n| n != "..") {
            return Some(n);
        }
        let joined = join_rel(ctx.dir(), path);
        let dir = self.input.dir()?.join(&joined);
        let canon = std::fs::canonicalize(dir).ok()?;
        Some(canon.file_name()?.to_string_lossy().into_owned())
    }
}

/// Apply exact pins from constraints files and from other lines to
/// unpinned requirements of the same name, and build the packages.
fn finish(reqs: Vec<Req>, constraints: &[Constraint], parsed: &mut Parsed) -> Vec<Package> {
    let mut by_constraint: HashMap<&str, &Constraint> = HashMap::default();
    for c in constraints {
        by_constraint.entry(c.key.as_str()).or_insert(c);
    }
    let mut pins: HashMap<String, HashSet<String>> = HashMap::default();
    for r in &reqs {
        if r.resolution.is_exact() {
            pins.entry(pep503_normalize(&r.name))
                .or_default()
                .insert(r.version.clone());
        }
    }
    let mut out = Vec::with_capacity(reqs.len());
    for r in reqs {
        let key = pep503_normalize(&r.name);
        let constraint = by_constraint.get(key.as_str()).copied();
        let mut extra_location = None;
        let (version, resolution) = match (&r.resolution, constraint) {
            (Resolution::Requirement { .. }, Some(c)) => {
                extra_location = Some((c.display.clone(), c.line));
                (c.version.clone(), Resolution::Exact)
            }
            (Resolution::Requirement { .. }, None) => match pins.get(&key) {
                Some(vs) if vs.len() == 1 => match vs.iter().next() {
                    Some(v) => (v.clone(), Resolution::Exact),
                    None => (r.version, r.resolution),
                },
                _ => (r.version, r.resolution),
            },
            (Resolution::Exact, Some(c)) if c.version != r.version => {
                parsed.warn(
                    None,
                    format!(
                        "{}:{}: {}=={} conflicts with the constraint =={} at {}:{}",
                        r.display, r.line, r.name, r.version, c.version, c.display, c.line
                    ),
                );
                (r.version, r.resolution)
            }
            _ => (r.version, r.resolution),
        };
        let mut p = Package::new(Ecosystem::PYPI, r.name, version)
            .with_relation(Relation::Direct)
            .with_scope(r.scope)
            .with_location(&r.display, Some(r.line));
        p.resolution = resolution;
        p.checksums = r.checksums;
        if let Some((d, l)) = extra_location {
            p = p.with_location(&d, Some(l));
        }
        out.push(p);
    }
    out
}

/// Join physical lines ending in `\` (pip's rules: a comment line ends a
/// continuation). Returns (first physical line number, logical line).
fn logical_lines(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut cur: Option<(u32, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let is_comment = raw.trim_start().starts_with('#');
        if !raw.ends_with('\\') || is_comment {
            match cur.take() {
                None => out.push((n, raw.to_string())),
                Some((start, mut acc)) => {
                    if is_comment {
                        acc.push(' ');
                    }
                    acc.push_str(raw);
                    out.push((start, acc));
                }
            }
        } else {
            let part = &raw[..raw.len() - 1];
            cur.get_or_insert_with(|| (n, String::new()))
                .1
                .push_str(part);
        }
    }
    if let Some(last) = cur {
        out.push(last);
    }
    out
}

/// Remove a comment: `#` at the start or after whitespace.
fn strip_comment(line: &str) -> &str {
    let mut prev_ws = true;
    for (i, c) in line.char_indices() {
        if c == '#' && prev_ws {
            return &line[..i];
        }
        prev_ws = c.is_whitespace();
    }
    line
}

/// (`-r`, `file`) from `-rfile`, `-r file`, `--requirement=file`,
/// `--requirement file`.
fn split_option(line: &str) -> (&str, &str) {
    if line.starts_with("--") {
        let end = line
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(line.len());
        let rest = &line[end..];
        let rest = rest.strip_prefix('=').unwrap_or(rest);
        (&line[..end], rest.trim())
    } else {
        let end = line.char_indices().nth(2).map_or(line.len(), |(i, _)| i);
        (&line[..end], line[end..].trim())
    }
}

/// Split a requirement line at its first option (`--hash=...`): a token
/// starting with `-` after whitespace, outside quotes.
fn split_req_options(line: &str) -> (&str, &str) {
    let mut quote: Option<char> = None;
    let mut prev_ws = false;
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '-' && prev_ws => return (&line[..i], &line[i..]),
            None => {}
        }
        prev_ws = c.is_whitespace();
    }
    (line, "")
}

/// `--hash=sha256:...` / `--hash sha256:...` values.
fn hashes(opts: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut tokens = opts.split_whitespace();
    while let Some(t) = tokens.next() {
        let v = match t.strip_prefix("--hash") {
            Some("") => tokens.next(),
            Some(v) => v.strip_prefix('='),
            None => None,
        };
        if let Some(v) = v.filter(|v| v.contains(':')) {
            out.push(v.to_string());
        }
    }
    out
}

/// A line that is a URL, VCS reference or local path rather than a name.
fn looks_like_target(t: &str) -> bool {
    let lower = t.to_ascii_lowercase();
    [
        "git+", "hg+", "svn+", "bzr+", "http://", "https://", "ftp://", "file:",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
        || t.starts_with(['.', '/', '~', '\\'])
        || t.as_bytes().get(1..3) == Some(b":\\")
}

/// `git+https://host/repo.git@rev` → (`git+https://host/repo.git`, `rev`).
/// An `@` before the path (user info) is not a revision.
fn split_vcs_rev(base: &str) -> (&str, Option<&str>) {
    let path_start = match base.find("://") {
        Some(i) => base[i + 3..].find('/').map_or(base.len(), |j| i + 3 + j),
        None => base.find(':').map_or(0, |i| i + 1),
    };
    match base[path_start..].rfind('@') {
        Some(j) => {
            let at = path_start + j;
            let rev = &base[at + 1..];
            (&base[..at], (!rev.is_empty()).then_some(rev))
        }
        None => (base, None),
    }
}

/// Last path component of a URL or path, without `.git` or an archive
/// extension.
fn last_segment(s: &str) -> Option<String> {
    let s = s.split(['?', '#']).next().unwrap_or(s);
    let seg = s
        .rsplit(['/', '\\', ':'])
        .find(|p| !p.is_empty() && *p != ".")?;
    let seg = seg.strip_suffix(".git").unwrap_or(seg);
    let seg = [".tar.gz", ".tgz", ".zip", ".tar.bz2", ".whl"]
        .iter()
        .find_map(|e| seg.strip_suffix(e))
        .unwrap_or(seg);
    (!seg.is_empty()).then(|| seg.to_string())
}

fn unquote(s: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    s
}

/// `dir` + `path`, with `.` and `..` resolved lexically, `/`-separated.
fn join_rel(dir: &str, path: &str) -> String {
    let path = path.replace('\\', "/");
    let absolute = path.starts_with('/');
    let full = if absolute || dir.is_empty() {
        path
    } else {
        format!("{dir}/{path}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in full.split('/') {
        match p {
            "" | "." => {}
            ".." if parts.last().is_some_and(|l| *l != "..") => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchloop_model::Location;

    fn run(display: &str, text: &str) -> Parsed {
        parse(&Input::new(display, text)).unwrap()
    }

    fn find<'a>(p: &'a Parsed, name: &str) -> &'a Package {
        p.source
            .packages
            .iter()
            .find(|x| x.name == name)
            .unwrap_or_else(|| panic!("{name} missing"))
    }

    #[test]
    fn pins_specs_comments_markers() {
        let p = run(
            "requirements.txt",
            "# comment\nDjango==4.2  # trailing\nrequests[security,socks] == 2.28.2 ; python_version >= \"3.7\"\n\
             arbitrary===1.0-custom\nflask>=1.0\nclick\nattrs~=21.1\nsix!=1.0\nwild==1.2.*\nfrag @ https://h/frag-1.0.tar.gz#sha256=abc\n",
        );
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let d = find(&p, "Django");
        assert_eq!(d.version, "4.2");
        assert_eq!(d.purl, "pkg:pypi/django@4.2");
        assert_eq!(d.line(), Some(2));
        assert_eq!(d.relation, Relation::Direct);
        assert_eq!(d.scope, Scope::Runtime);
        assert_eq!(find(&p, "requests").version, "2.28.2");
        assert_eq!(find(&p, "arbitrary").version, "1.0-custom");
        let f = find(&p, "flask");
        assert_eq!(f.version, "");
        assert_eq!(
            f.resolution,
            Resolution::Requirement {
                spec: ">=1.0".into()
            }
        );
        assert_eq!(f.purl, "pkg:pypi/flask");
        assert_eq!(
            find(&p, "click").resolution,
            Resolution::Requirement {
                spec: String::new()
            }
        );
        assert_eq!(find(&p, "attrs").version, "");
        assert_eq!(find(&p, "six").version, "");
        assert_eq!(find(&p, "wild").version, "");
        // `#` not preceded by whitespace is not a comment.
        let f = find(&p, "frag");
        assert_eq!(f.version, "1.0");
        assert_eq!(
            f.resolution,
            Resolution::Url {
                url: "https://h/frag-1.0.tar.gz#sha256=abc".into()
            }
        );
        assert_eq!(p.source.packages.len(), 10 - 1);
    }

    #[test]
    fn continuations_and_hashes() {
        let text = "certifi==2022.12.7 \\\n    --hash=sha256:aaa \\\n    --hash sha256:bbb\nidna==3.4 \\\n# comment ends it\nsix==1.16.0\n";
        let p = run("requirements.txt", text);
        let c = find(&p, "certifi");
        assert_eq!(c.line(), Some(1));
        assert_eq!(c.checksums, vec!["sha256:aaa", "sha256:bbb"]);
        assert_eq!(find(&p, "idna").line(), Some(4));
        assert_eq!(find(&p, "six").line(), Some(6));
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    #[test]
    fn options_ignored_unknown_warned() {
        let p = run(
            "requirements.txt",
            "-i https://pypi.org/simple\n--index-url=https://x\n--extra-index-url https://y\n-f ./wheels\n--trusted-host x\n--pre\n--no-index\n--bogus\nsix==1\n",
        );
        assert_eq!(p.source.packages.len(), 1);
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, Some(8));
    }

    #[test]
    fn urls_vcs_paths() {
        let text = "\
https://files.example/pkgs/foo_bar-1.2.3-py3-none-any.whl
baz @ https://example.com/baz-2.0.tar.gz ; python_version > '3'
git+https://github.com/org/repo.git@v1.0#egg=mylib
named @ git+ssh://git@github.com/org/named.git@abc123
-e git+https://github.com/org/edit.git#egg=editlib
-e ./local/pkg
./other
file:///opt/wheels/thing-0.1-py3-none-any.whl
-e .[dev]
git+https://github.com/org/guessme.git
";
        let p = run("sub/requirements.txt", text);
        let f = find(&p, "foo_bar");
        assert_eq!(f.version, "1.2.3");
        assert!(matches!(f.resolution, Resolution::Url { .. }));
        let b = find(&p, "baz");
        assert_eq!(b.version, "2.0");
        assert_eq!(
            b.resolution,
            Resolution::Url {
                url: "https://example.com/baz-2.0.tar.gz".into()
            }
        );
        assert_eq!(
            find(&p, "mylib").resolution,
            Resolution::Vcs {
                url: "git+https://github.com/org/repo.git".into(),
                rev: Some("v1.0".into())
            }
        );
        assert_eq!(
            find(&p, "named").resolution,
            Resolution::Vcs {
                url: "git+ssh://git@github.com/org/named.git".into(),
                rev: Some("abc123".into())
            }
        );
        assert_eq!(
            find(&p, "editlib").resolution,
            Resolution::Vcs {
                url: "git+https://github.com/org/edit.git".into(),
                rev: None
            }
        );
        assert_eq!(
            find(&p, "pkg").resolution,
            Resolution::Path {
                path: "./local/pkg".into()
            }
        );
        assert_eq!(find(&p, "pkg").version, "");
        assert_eq!(find(&p, "pkg").line(), Some(6));
        assert!(matches!(
            find(&p, "other").resolution,
            Resolution::Path { .. }
        ));
        let t = find(&p, "thing");
        assert_eq!(t.version, "0.1");
        assert_eq!(
            t.resolution,
            Resolution::Path {
                path: "/opt/wheels/thing-0.1-py3-none-any.whl".into()
            }
        );
        // `-e .` names the directory holding the file.
        assert_eq!(
            find(&p, "sub").resolution,
            Resolution::Path { path: ".".into() }
        );
        assert!(matches!(
            find(&p, "guessme").resolution,
            Resolution::Vcs { .. }
        ));
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        assert_eq!(p.warnings[0].line, Some(10));
        assert_eq!(p.source.packages.len(), 10);
    }

    #[test]
    fn bad_lines_warn_and_continue() {
        let p = run(
            "requirements.txt",
            "good==1.0\nthis is not a requirement\nfoo >>> 1\n[x]\nalso-good==2.0\n",
        );
        assert_eq!(p.source.packages.len(), 2);
        let lines: Vec<Option<u32>> = p.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, vec![Some(2), Some(3), Some(4)]);
    }

    #[test]
    fn env_vars_left_as_is() {
        let p = run(
            "requirements.txt",
            "pkg==${PKG_VERSION}\ngit+https://${TOKEN}@github.com/org/priv.git@main#egg=priv\n",
        );
        assert_eq!(
            find(&p, "pkg").resolution,
            Resolution::Requirement {
                spec: "==${PKG_VERSION}".into()
            }
        );
        assert_eq!(
            find(&p, "priv").resolution,
            Resolution::Vcs {
                url: "git+https://${TOKEN}@github.com/org/priv.git".into(),
                rev: Some("main".into())
            }
        );
    }

    #[test]
    fn dev_file_names() {
        for (name, scope) in [
            ("requirements.txt", Scope::Runtime),
            ("dev-requirements.txt", Scope::Dev),
            ("requirements-dev.txt", Scope::Dev),
            ("requirements/dev.txt", Scope::Dev),
            ("requirements/test.txt", Scope::Dev),
            ("requirements_tests.txt", Scope::Dev),
            ("requirements/prod.txt", Scope::Runtime),
        ] {
            let p = run(name, "six==1.16.0\n");
            assert_eq!(p.source.packages[0].scope, scope, "{name}");
        }
    }

    #[test]
    fn includes_constraints_and_cycles() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("requirements")).unwrap();
        std::fs::write(
            d.join("requirements-dev.txt"),
            "-r requirements/base.txt\n-c constraints.txt\npytest\nrequests\n",
        )
        .unwrap();
        std::fs::write(
            d.join("requirements/base.txt"),
            "requests>=2\n--requirement=../requirements-dev.txt\n-r common.txt\n",
        )
        .unwrap();
        std::fs::write(d.join("requirements/common.txt"), "six==1.16.0\n").unwrap();
        std::fs::write(
            d.join("constraints.txt"),
            "# pins\nrequests==2.31.0\nurllib3==2.0.0\npytest==8.0.0\n",
        )
        .unwrap();
        let top = d.join("requirements-dev.txt");
        let text = std::fs::read_to_string(&top).unwrap();
        let input = Input::new("app/requirements-dev.txt", &text).with_fs_path(&top);
        let p = parse(&input).unwrap();
        let names: Vec<(&str, &str)> = p
            .source
            .packages
            .iter()
            .map(|x| (x.name.as_str(), x.version.as_str()))
            .collect();
        // urllib3 is only constrained: not a package in use.
        assert_eq!(
            names,
            vec![
                ("pytest", "8.0.0"),
                ("requests", "2.31.0"),
                ("six", "1.16.0")
            ]
        );
        let six = find(&p, "six");
        assert_eq!(
            six.locations,
            vec![Location {
                path: "app/requirements/common.txt".into(),
                line: Some(1)
            }]
        );
        assert_eq!(six.scope, Scope::Runtime);
        let req = find(&p, "requests");
        // Runtime from base.txt wins over dev from requirements-dev.txt.
        assert_eq!(req.scope, Scope::Runtime);
        assert_eq!(req.resolution, Resolution::Exact);
        let paths: Vec<(&str, Option<u32>)> = req
            .locations
            .iter()
            .map(|l| (l.path.as_str(), l.line))
            .collect();
        assert_eq!(
            paths,
            vec![
                ("app/constraints.txt", Some(2)),
                ("app/requirements-dev.txt", Some(4)),
                ("app/requirements/base.txt", Some(1)),
            ]
        );
        assert_eq!(find(&p, "pytest").scope, Scope::Dev);
        assert!(
            p.warnings
                .iter()
                .any(|w| w.message.contains("include cycle")),
            "{:?}",
            p.warnings
        );
    }

    #[test]
    fn missing_include_in_memory_warns() {
        let p = run("requirements.txt", "-r other.txt\n-c c.txt\nsix==1\n");
        assert_eq!(p.source.packages.len(), 1);
        assert_eq!(p.warnings.len(), 2);
    }

    #[test]
    fn same_name_pinned_elsewhere() {
        let p = run("requirements.txt", "requests\nrequests==2.0\n");
        assert_eq!(p.source.packages.len(), 1);
        assert_eq!(p.source.packages[0].locations.len(), 2);
        assert_eq!(p.source.packages[0].version, "2.0");
    }

    #[test]
    fn helpers() {
        assert_eq!(join_rel("a/b", "../c.txt"), "a/c.txt");
        assert_eq!(join_rel("", "./x/../y.txt"), "y.txt");
        assert_eq!(join_rel("", "../../y.txt"), "../../y.txt");
        assert_eq!(join_rel("a", "/abs/y.txt"), "/abs/y.txt");
        assert_eq!(split_option("-rfile.txt"), ("-r", "file.txt"));
        assert_eq!(split_option("--requirement = x"), ("--requirement", "= x"));
        assert_eq!(
            split_option("--constraint=c.txt"),
            ("--constraint", "c.txt")
        );
        assert_eq!(split_option("-é"), ("-é", ""));
        assert_eq!(strip_comment("a #b"), "a ");
        assert_eq!(strip_comment("a#b"), "a#b");
        assert_eq!(
            split_vcs_rev("git+https://h/r.git"),
            ("git+https://h/r.git", None)
        );
    }

    #[test]
    fn no_panic_on_odd_bytes() {
        for t in [
            "\\", "-", "--", "-r", "é\\\né", "x @ ", "-e", "#\\\n\\", "git+", "a;b", "[", "é==1",
        ] {
            let _ = run("requirements.txt", t);
        }
    }
}
