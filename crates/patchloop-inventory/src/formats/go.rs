//! Go modules: `go.mod` (the module's requirements, with `replace` and
//! `exclude` applied) and `go.sum` (checksums; read only when a directory
//! has no `go.mod`).
//!
//! Versions are stored without the leading `v` (`v1.2.3` → `1.2.3`), the
//! way the Go vulnerability database writes them; pseudo-versions and
//! `+incompatible` are otherwise kept as written.

use crate::fxhash::{HashMap, HashSet};

use patchloop_model::{Ecosystem, Package, Relation, Resolution, Root, Scope, SourceFile};

use crate::error::ParseError;
use crate::formats::common::PackageSet;
use crate::input::{Input, ParseResult, Parsed};

/// A version as the Go vulnerability database writes it: no `v` prefix.
pub fn osv_version(v: &str) -> &str {
    v.strip_prefix('v').unwrap_or(v)
}

/// One lexical token of a go.mod line.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    LParen,
    RParen,
    Arrow,
}

/// A go.mod line split into tokens plus its trailing `//` comment.
struct Line {
    toks: Vec<Tok>,
    comment: Option<String>,
}

/// Split one line into tokens. Quoted (`"..."`) and raw (`` `...` ``)
/// strings become words; `//` starts a comment.
fn lex_line(line: &str, no: u32) -> Result<Line, ParseError> {
    let mut toks = Vec::new();
    let mut comment = None;
    let mut rest = line;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        if let Some(c) = rest.strip_prefix("//") {
            comment = Some(c.trim().to_string());
            break;
        }
        if let Some(r) = rest.strip_prefix("=>") {
            toks.push(Tok::Arrow);
            rest = r;
            continue;
        }
        if let Some(r) = rest.strip_prefix('(') {
            toks.push(Tok::LParen);
            rest = r;
            continue;
        }
        if let Some(r) = rest.strip_prefix(')') {
            toks.push(Tok::RParen);
            rest = r;
            continue;
        }
        if let Some(r) = rest.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = r.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    '\\' => match chars.next() {
                        Some((_, 'n')) => out.push('\n'),
                        Some((_, 't')) => out.push('\t'),
                        Some((_, e)) => out.push(e),
                        None => break,
                    },
                    c => out.push(c),
                }
            }
            let Some(end) = end else {
                return Err(ParseError::at(no, "unterminated quoted string"));
            };
            toks.push(Tok::Word(out));
            rest = &r[end..];
            continue;
        }
        if let Some(r) = rest.strip_prefix('`') {
            let Some(end) = r.find('`') else {
                return Err(ParseError::at(no, "unterminated raw string"));
            };
            toks.push(Tok::Word(r[..end].to_string()));
            rest = &r[end + 1..];
            continue;
        }
        // A bare word: up to white space, a paren, a quote, `=>` or `//`.
        let mut end = rest.len();
        for (i, c) in rest.char_indices() {
            if c.is_whitespace()
                || matches!(c, '(' | ')' | '"' | '`')
                || rest[i..].starts_with("=>")
                || rest[i..].starts_with("//")
            {
                end = i;
                break;
            }
        }
        toks.push(Tok::Word(rest[..end].to_string()));
        rest = &rest[end..];
    }
    Ok(Line { toks, comment })
}

/// `// indirect` or `// indirect; ...` marks a requirement the main module
/// does not import itself.
fn is_indirect(comment: Option<&str>) -> bool {
    match comment {
        Some(c) => c == "indirect" || c.starts_with("indirect;"),
        None => false,
    }
}

/// A replacement target that is a directory (`./x`, `../x`, `/x`, `C:\x`).
fn is_dir_path(p: &str) -> bool {
    p == "."
        || p == ".."
        || p.starts_with("./")
        || p.starts_with("../")
        || p.starts_with('/')
        || p.starts_with(".\\")
        || p.starts_with("..\\")
        || p.starts_with('\\')
        || (p.len() >= 3 && p.as_bytes()[1] == b':' && matches!(p.as_bytes()[2], b'\\' | b'/'))
}

struct Require {
    path: String,
    version: String,
    indirect: bool,
    line: u32,
}

struct Replace {
    new: String,
    new_version: Option<String>,
    line: u32,
}

#[derive(Default)]
struct GoMod {
    module: Option<String>,
    go: Option<String>,
    requires: Vec<Require>,
    excludes: HashSet<(String, String)>,
    /// Keyed by (old path, old version if the replace names one).
    replaces: HashMap<(String, Option<String>), Replace>,
}

fn words(toks: &[Tok]) -> Option<Vec<&str>> {
    toks.iter()
        .map(|t| match t {
            Tok::Word(w) => Some(w.as_str()),
            _ => None,
        })
        .collect()
}

/// One directive (inside a block or on its own line): `args` are the
/// tokens after the verb.
fn directive(
    m: &mut GoMod,
    parsed: &mut Parsed,
    verb: &str,
    args: &[Tok],
    comment: Option<&str>,
    no: u32,
) {
    let line = Some(no);
    match verb {
        "module" => match words(args).as_deref() {
            Some([p]) => m.module = Some((*p).to_string()),
            _ => parsed.warn(line, "module directive: expected one module path"),
        },
        "go" => match words(args).as_deref() {
            Some([v]) => m.go = Some((*v).to_string()),
            _ => parsed.warn(line, "go directive: expected one version"),
        },
        "require" => match words(args).as_deref() {
            Some([p, v]) => m.requires.push(Require {
                path: (*p).to_string(),
                version: (*v).to_string(),
                indirect: is_indirect(comment),
                line: no,
            }),
            _ => parsed.warn(line, "require: expected `module/path version`; skipped"),
        },
        "exclude" => match words(args).as_deref() {
            Some([p, v]) => {
                m.excludes.insert(((*p).to_string(), (*v).to_string()));
            }
            _ => parsed.warn(line, "exclude: expected `module/path version`; skipped"),
        },
        "replace" => {
            let Some(arrow) = args.iter().position(|t| *t == Tok::Arrow) else {
                parsed.warn(line, "replace: missing `=>`; skipped");
                return;
            };
            let (Some(old), Some(new)) = (words(&args[..arrow]), words(&args[arrow + 1..])) else {
                parsed.warn(line, "replace: unexpected token; skipped");
                return;
            };
            let old_key = match old.as_slice() {
                [p] => ((*p).to_string(), None),
                [p, v] => ((*p).to_string(), Some((*v).to_string())),
                _ => {
                    parsed.warn(line, "replace: expected `old [version] => new [version]`");
                    return;
                }
            };
            let rep = match new.as_slice() {
                [p] if is_dir_path(p) => Replace {
                    new: (*p).to_string(),
                    new_version: None,
                    line: no,
                },
                [p, v] if !is_dir_path(p) => Replace {
                    new: (*p).to_string(),
                    new_version: Some((*v).to_string()),
                    line: no,
                },
                _ => {
                    parsed.warn(
                        line,
                        "replace: the replacement must be a directory path or `module version`; skipped",
                    );
                    return;
                }
            };
            m.replaces.insert(old_key, rep);
        }
        // Directives that do not add packages to the build.
        "toolchain" | "retract" | "godebug" | "tool" | "ignore" => {}
        other => parsed.warn(line, format!("unknown go.mod directive `{other}`; ignored")),
    }
}

fn parse_go_mod(text: &str, parsed: &mut Parsed) -> Result<GoMod, ParseError> {
    let mut m = GoMod::default();
    // (verb, line where the block opened)
    let mut block: Option<(String, u32)> = None;
    for (i, raw) in text.lines().enumerate() {
        let no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let l = lex_line(raw, no)?;
        let comment = l.comment.as_deref();
        let toks = l.toks;
        if toks.is_empty() {
            continue;
        }
        if let Some((verb, _)) = &block {
            if toks == [Tok::RParen] {
                block = None;
                continue;
            }
            if toks.iter().any(|t| matches!(t, Tok::LParen)) {
                return Err(ParseError::at(
                    no,
                    format!("nested block inside `{verb} (`"),
                ));
            }
            let verb = verb.clone();
            directive(&mut m, parsed, &verb, &toks, comment, no);
            continue;
        }
        let Tok::Word(verb) = &toks[0] else {
            return Err(ParseError::at(no, "expected a directive"));
        };
        match &toks[1..] {
            [Tok::LParen] => block = Some((verb.clone(), no)),
            [Tok::LParen, Tok::RParen] => {}
            args => {
                if args.iter().any(|t| matches!(t, Tok::LParen | Tok::RParen)) {
                    return Err(ParseError::at(no, "unexpected parenthesis"));
                }
                directive(&mut m, parsed, verb, args, comment, no);
            }
        }
    }
    if let Some((verb, start)) = block {
        return Err(ParseError::at(
            start,
            format!("`{verb} (` block is not closed (truncated file?)"),
        ));
    }
    Ok(m)
}

/// Parse `go.mod`.
pub fn parse_mod(input: &Input) -> ParseResult {
    let mut parsed = Parsed::new(SourceFile::new(input.display, "go-mod", Ecosystem::GO));
    let m = parse_go_mod(input.text, &mut parsed)?;
    parsed.source.format_version = m.go.clone();
    let mut set = PackageSet::new();
    let mut direct = Vec::new();
    for r in &m.requires {
        if m.excludes.contains(&(r.path.clone(), r.version.clone())) {
            parsed.warn(
                Some(r.line),
                format!(
                    "{} {} is required but also excluded; not reported",
                    r.path, r.version
                ),
            );
            continue;
        }
        let relation = if r.indirect {
            Relation::Transitive
        } else {
            Relation::Direct
        };
        let rep = m
            .replaces
            .get(&(r.path.clone(), Some(r.version.clone())))
            .or_else(|| m.replaces.get(&(r.path.clone(), None)));
        let mut p = match rep {
            Some(Replace {
                new,
                new_version: None,
                ..
            }) => Package::unpinned(
                Ecosystem::GO,
                r.path.clone(),
                Resolution::Path { path: new.clone() },
            ),
            Some(Replace {
                new,
                new_version: Some(v),
                ..
            }) => version_package(&mut parsed, new, v, r.line),
            None => version_package(&mut parsed, &r.path, &r.version, r.line),
        };
        p = p
            .with_relation(relation)
            .with_scope(Scope::Runtime)
            .with_location(input.display, Some(r.line));
        if let Some(rep) = rep {
            p = p.with_location(input.display, Some(rep.line));
        }
        let id = insert_case_exact(&mut set, p);
        if !r.indirect {
            direct.push(id);
        }
    }
    if let Some(module) = m.module {
        direct.sort();
        direct.dedup();
        parsed.source.roots.push(Root {
            name: module,
            version: String::new(),
            path: None,
            dependencies: direct,
        });
    }
    parsed.source.packages = set.into_sorted();
    Ok(parsed)
}

/// Insert a module. Module paths are case-sensitive but the golang purl
/// is lower-cased, so a path with capitals gets a case-preserving id:
/// two paths differing only in case (the classic
/// `github.com/Sirupsen/logrus`) stay two packages.
fn insert_case_exact(set: &mut PackageSet, mut p: Package) -> String {
    if p.name.chars().any(|c| c.is_ascii_uppercase()) {
        p.id = if p.version.is_empty() {
            format!("pkg:golang/{}", p.name)
        } else {
            format!("pkg:golang/{}@{}", p.name, p.version)
        };
    }
    set.insert(p)
}

/// A module at a version; a version that is not a Go module version
/// (`vX...`) is kept as a requirement.
fn version_package(parsed: &mut Parsed, path: &str, version: &str, line: u32) -> Package {
    if version.starts_with('v') && version.len() > 1 {
        Package::new(Ecosystem::GO, path, osv_version(version))
    } else {
        parsed.warn(
            Some(line),
            format!("{path}: `{version}` is not a canonical module version"),
        );
        Package::unpinned(
            Ecosystem::GO,
            path,
            Resolution::Requirement {
                spec: version.to_string(),
            },
        )
    }
}

/// Parse `go.sum`: every `module version h1:hash` line whose content was
/// downloaded (lines ending in `/go.mod` only cover the module's go.mod).
pub fn parse_sum(input: &Input) -> ParseResult {
    let mut parsed = Parsed::new(SourceFile::new(input.display, "go-sum", Ecosystem::GO));
    let mut set = PackageSet::new();
    let mut valid = 0usize;
    let mut first_bad = None;
    for (i, raw) in input.text.lines().enumerate() {
        let no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let fields: Vec<&str> = raw.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        let [module, version, hash] = fields.as_slice() else {
            first_bad.get_or_insert(no);
            parsed.warn(Some(no), "expected `module version hash`; line skipped");
            continue;
        };
        if !version.starts_with('v') || !hash.contains(':') {
            first_bad.get_or_insert(no);
            parsed.warn(
                Some(no),
                "not a go.sum line (version or hash malformed); skipped",
            );
            continue;
        }
        valid += 1;
        if version.ends_with("/go.mod") {
            continue;
        }
        let mut p = Package::new(Ecosystem::GO, *module, osv_version(version))
            .with_location(input.display, Some(no));
        p.checksums.push((*hash).to_string());
        insert_case_exact(&mut set, p);
    }
    if valid == 0
        && let Some(line) = first_bad
    {
        return Err(ParseError::at(
            line,
            "not a go.sum file: no `module version hash` line",
        ));
    }
    parsed.source.packages = set.into_sorted();
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Parsed {
        parse_mod(&Input::new("go.mod", text)).unwrap()
    }

    fn find<'a>(p: &'a Parsed, name: &str) -> &'a Package {
        p.source
            .packages
            .iter()
            .find(|x| x.name == name)
            .unwrap_or_else(|| panic!("{name} not found"))
    }

    #[test]
    fn require_forms_comments_and_indirect() {
        let p = parse(
            "// top comment\nmodule example.com/app // the app\n\ngo 1.21\ntoolchain go1.21.5\n\
             require github.com/a/b v1.2.3\n\
             require (\n\
             \tgithub.com/c/d v0.0.0-20200101000000-abcdefabcdef // indirect\n\
             \t// a comment line\n\
             \tgithub.com/e/f v2.0.0+incompatible // indirect; needed by x\n\
             \t\"github.com/q/quoted\" v1.0.0 // not indirect: a reason\n\
             )\n\
             require ()\n",
        );
        assert_eq!(p.source.format_version.as_deref(), Some("1.21"));
        assert_eq!(p.source.packages.len(), 4);
        let a = find(&p, "github.com/a/b");
        assert_eq!(a.version, "1.2.3");
        assert_eq!(a.purl, "pkg:golang/github.com/a/b@1.2.3");
        assert_eq!(a.relation, Relation::Direct);
        assert_eq!(a.line(), Some(6));
        let c = find(&p, "github.com/c/d");
        assert_eq!(c.version, "0.0.0-20200101000000-abcdefabcdef");
        assert_eq!(c.relation, Relation::Transitive);
        assert_eq!(c.line(), Some(8));
        let e = find(&p, "github.com/e/f");
        assert_eq!(e.version, "2.0.0+incompatible");
        assert_eq!(e.relation, Relation::Transitive);
        let q = find(&p, "github.com/q/quoted");
        assert_eq!(q.relation, Relation::Direct);
        assert_eq!(q.line(), Some(11));
        let root = &p.source.roots[0];
        assert_eq!(root.name, "example.com/app");
        assert_eq!(root.dependencies, vec![a.id.clone(), q.id.clone()]);
    }

    #[test]
    fn replace_exclude_retract() {
        let p = parse(
            "module m\n\
             require (\n\
             \tgithub.com/old/x v1.0.0\n\
             \tgithub.com/local/y v1.1.0\n\
             \tgithub.com/pin/z v1.2.0\n\
             \tgithub.com/pin/w v1.3.0\n\
             \tgithub.com/ex/cl v1.4.0\n\
             )\n\
             replace github.com/old/x => github.com/new/x v1.0.1\n\
             replace (\n\
             \tgithub.com/local/y => ../y\n\
             \tgithub.com/pin/z v1.2.0 => github.com/fork/z v1.2.1\n\
             \tgithub.com/pin/w v9.9.9 => github.com/fork/w v9.9.9\n\
             )\n\
             exclude github.com/ex/cl v1.4.0\n\
             exclude (\n\tgithub.com/other v0.1.0\n)\n\
             retract [v1.0.0, v1.0.5] // broken\n\
             retract v0.9.0\n",
        );
        let names: Vec<_> = p.source.packages.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "github.com/fork/z",
                "github.com/local/y",
                "github.com/new/x",
                "github.com/pin/w"
            ]
        );
        let x = find(&p, "github.com/new/x");
        assert_eq!(x.version, "1.0.1");
        assert_eq!(x.locations.len(), 2);
        assert_eq!(x.line(), Some(3));
        assert_eq!(x.locations[1].line, Some(9));
        let y = find(&p, "github.com/local/y");
        assert_eq!(y.version, "");
        assert_eq!(
            y.resolution,
            Resolution::Path {
                path: "../y".into()
            }
        );
        assert_eq!(y.purl, "pkg:golang/github.com/local/y");
        assert_eq!(find(&p, "github.com/fork/z").version, "1.2.1");
        // A versioned replace of another version does not apply.
        assert_eq!(find(&p, "github.com/pin/w").version, "1.3.0");
        assert!(p.warnings.iter().any(|w| w.message.contains("excluded")));
    }

    #[test]
    fn errors_and_warnings() {
        let e = parse_mod(&Input::new("go.mod", "module m\nrequire (\n\ta v1.0.0\n")).unwrap_err();
        assert_eq!(e.line, Some(2));
        let e = parse_mod(&Input::new("go.mod", "module \"m\n")).unwrap_err();
        assert_eq!(e.line, Some(1));
        let p = parse("module m\nrequire a\nfrobnicate x\nrequire b latest\n");
        assert_eq!(p.warnings.len(), 3);
        let b = find(&p, "b");
        assert_eq!(
            b.resolution,
            Resolution::Requirement {
                spec: "latest".into()
            }
        );
        // Never panics on odd bytes.
        for t in [
            "(",
            ")",
            "=>",
            "replace =>",
            "require ( x",
            "`",
            "\u{e9}(\u{e9}",
            "module C:",
        ] {
            let _ = parse_mod(&Input::new("go.mod", t));
        }
    }

    #[test]
    fn go_sum() {
        let text = "golang.org/x/net v0.0.1 h1:AAAA=\n\
                    golang.org/x/net v0.0.1/go.mod h1:BBBB=\n\
                    golang.org/x/text v0.3.0/go.mod h1:CCCC=\n\
                    \n\
                    golang.org/x/net v0.0.1 h1:AAAA=\n\
                    garbage\n";
        let p = parse_sum(&Input::new("go.sum", text)).unwrap();
        assert_eq!(p.source.packages.len(), 1);
        let n = &p.source.packages[0];
        assert_eq!(n.version, "0.0.1");
        assert_eq!(n.checksums, vec!["h1:AAAA=".to_string()]);
        assert_eq!(n.relation, Relation::Unknown);
        assert_eq!(n.line(), Some(1));
        assert_eq!(n.locations.len(), 2);
        assert_eq!(p.warnings.len(), 1);
        assert!(parse_sum(&Input::new("go.sum", "hello world\n")).is_err());
        let p = parse_sum(&Input::new(
            "go.sum",
            "github.com/Sirupsen/logrus v1.0.0 h1:a=\ngithub.com/sirupsen/logrus v1.0.0 h1:b=\n",
        ))
        .unwrap();
        assert_eq!(p.source.packages.len(), 2);
        assert_ne!(p.source.packages[0].id, p.source.packages[1].id);
        assert!(
            parse_sum(&Input::new("go.sum", ""))
                .unwrap()
                .source
                .packages
                .is_empty()
        );
    }
}
