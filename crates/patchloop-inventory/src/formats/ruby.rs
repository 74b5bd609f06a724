//! Bundler lockfiles: `Gemfile.lock` / `gems.locked`.
//!
//! Sections: `GEM`, `GIT`, `PATH`, `PLUGIN SOURCE` (each with `remote:`
//! and friends, then `specs:` with 4-space `name (version[-platform])`
//! entries and 6-space dependency lines), `PLATFORMS`, `DEPENDENCIES`
//! (the Gemfile's direct dependencies), `CHECKSUMS`, `RUBY VERSION`,
//! `BUNDLED WITH`. The lockfile has no scopes; they come from simple
//! `group` blocks and `group:` options of a sibling `Gemfile` when present.

use crate::fxhash::HashMap;

use packageurl::PackageUrl;
use patchloop_model::{Ecosystem, Package, Resolution, Root, Scope, SourceFile};

use crate::error::ParseError;
use crate::formats::common::{PackageSet, propagate};
use crate::input::{Input, ParseResult, Parsed};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    Gem,
    Git {
        remote: String,
        revision: Option<String>,
    },
    Path {
        remote: String,
    },
    Plugin {
        remote: String,
    },
}

#[derive(Debug)]
struct Spec {
    name: String,
    version: String,
    platform: Option<String>,
    line: u32,
    deps: Vec<String>,
}

/// `name (inner)` → (name, Some(inner)); `name` → (name, None).
fn split_paren(s: &str) -> Option<(&str, Option<&str>)> {
    match s.split_once(" (") {
        Some((name, rest)) => {
            let inner = rest.strip_suffix(')')?;
            Some((name, Some(inner)))
        }
        None => {
            if s.contains(['(', ')', ' ']) {
                None
            } else {
                Some((s, None))
            }
        }
    }
}

/// `1.10.10-x86_64-linux` → ("1.10.10", Some("x86_64-linux")), the way
/// Bundler splits it (the version part has no `-`).
fn split_platform(v: &str) -> (&str, Option<&str>) {
    match v.split_once('-') {
        Some((ver, plat)) if !plat.is_empty() => (ver, Some(plat)),
        _ => (v, None),
    }
}

/// A gem package; a platform becomes the purl's `platform` qualifier.
fn gem_package(name: &str, version: &str, platform: Option<&str>) -> Package {
    let mut p = Package::new(Ecosystem::RUBYGEMS, name, version);
    if let Some(plat) = platform
        && let Ok(mut purl) = PackageUrl::new("gem", name)
    {
        if !version.is_empty() {
            purl.with_version(version);
        }
        if purl.add_qualifier("platform", plat).is_ok() {
            p.purl = purl.to_string();
            p.id = p.purl.clone();
        }
    }
    p
}

/// Parse a `Gemfile.lock`.
pub fn parse(input: &Input) -> ParseResult {
    let mut parsed = Parsed::new(SourceFile::new(
        input.display,
        "gemfile-lock",
        Ecosystem::RUBYGEMS,
    ));
    // (source, specs) per source section, in file order.
    let mut sources: Vec<(Source, Vec<Spec>)> = Vec::new();
    let mut direct: Vec<(String, u32)> = Vec::new();
    let mut checksums: HashMap<(String, String, Option<String>), String> = HashMap::default();
    let mut section: Option<String> = None;
    // Attributes of the current source section.
    let mut attrs: HashMap<&str, String> = HashMap::default();
    let mut in_specs = false;
    let mut seen_section = false;

    // Set the source of the section just read from its attributes.
    let finish = |section: &Option<String>,
                  attrs: &mut HashMap<&str, String>,
                  sources: &mut Vec<(Source, Vec<Spec>)>| {
        let remote = attrs.get("remote").cloned().unwrap_or_default();
        let src = match section.as_deref() {
            Some("GEM") => Some(Source::Gem),
            Some("GIT") => Some(Source::Git {
                remote,
                revision: attrs.get("revision").cloned(),
            }),
            Some("PATH") => Some(Source::Path { remote }),
            Some("PLUGIN SOURCE") => Some(Source::Plugin { remote }),
            _ => None,
        };
        if let (Some(src), Some(last)) = (src, sources.last_mut()) {
            last.0 = src;
        }
        attrs.clear();
    };

    for (i, raw) in input.text.lines().enumerate() {
        let no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        if line[indent..].starts_with('\t') {
            parsed.warn(Some(no), "tab indentation; line skipped");
            continue;
        }
        let body = line[indent..].trim_end();
        if indent == 0 {
            // A new section: close the previous source section.
            finish(&section, &mut attrs, &mut sources);
            if matches!(body, "GEM" | "GIT" | "PATH" | "PLUGIN SOURCE") {
                // Its source is set when the section ends.
                sources.push((Source::Gem, Vec::new()));
            } else if !matches!(
                body,
                "PLATFORMS" | "DEPENDENCIES" | "CHECKSUMS" | "RUBY VERSION" | "BUNDLED WITH"
            ) {
                if !seen_section {
                    return Err(ParseError::at(
                        no,
                        format!("not a Gemfile.lock: unexpected `{}`", trunc(body)),
                    ));
                }
                parsed.warn(
                    Some(no),
                    format!("unknown section `{}`; skipped", trunc(body)),
                );
            }
            seen_section = true;
            section = Some(body.to_string());
            in_specs = false;
            continue;
        }
        let Some(sec) = section.as_deref() else {
            return Err(ParseError::at(
                no,
                "not a Gemfile.lock: indented line before any section",
            ));
        };
        match sec {
            "GEM" | "GIT" | "PATH" | "PLUGIN SOURCE" => {
                let Some((_, specs)) = sources.last_mut() else {
                    continue;
                };
                match indent {
                    2 => {
                        if body == "specs:" {
                            in_specs = true;
                        } else if let Some((k, v)) = body.split_once(':') {
                            in_specs = false;
                            let key = match k {
                                "remote" => "remote",
                                "revision" => "revision",
                                _ => continue,
                            };
                            // The first remote is the primary one.
                            attrs.entry(key).or_insert_with(|| v.trim().to_string());
                        } else {
                            parsed.warn(Some(no), "unexpected line in source section; skipped");
                        }
                    }
                    4 if in_specs => match split_paren(body) {
                        Some((name, Some(v))) if !name.is_empty() && !v.is_empty() => {
                            let (version, platform) = split_platform(v);
                            specs.push(Spec {
                                name: name.to_string(),
                                version: version.to_string(),
                                platform: platform.map(str::to_string),
                                line: no,
                                deps: Vec::new(),
                            });
                        }
                        _ => parsed.warn(Some(no), "spec line without `name (version)`; skipped"),
                    },
                    6 if in_specs => match (split_paren(body), specs.last_mut()) {
                        (Some((name, _)), Some(spec)) if !name.is_empty() => {
                            spec.deps.push(name.to_string())
                        }
                        _ => parsed.warn(Some(no), "dependency line not understood; skipped"),
                    },
                    _ => parsed.warn(Some(no), "unexpected indentation; line skipped"),
                }
            }
            "DEPENDENCIES" => {
                let b = body.strip_suffix('!').unwrap_or(body);
                match split_paren(b) {
                    Some((name, _)) if !name.is_empty() => direct.push((name.to_string(), no)),
                    _ => parsed.warn(Some(no), "dependency line not understood; skipped"),
                }
            }
            "CHECKSUMS" => {
                // `name (version[-platform]) sha256=hex[,sha512=...]`
                let (entry, sums) = match body.rsplit_once(") ") {
                    Some((e, s)) => (format!("{e})"), s),
                    None => (body.to_string(), ""),
                };
                if let Some((name, Some(v))) = split_paren(&entry) {
                    let (version, platform) = split_platform(v);
                    for sum in sums.split(',') {
                        if let Some((algo, hex)) = sum.trim().split_once('=')
                            && !hex.is_empty()
                        {
                            checksums.insert(
                                (
                                    name.to_string(),
                                    version.to_string(),
                                    platform.map(str::to_string),
                                ),
                                format!("{algo}:{hex}"),
                            );
                        }
                    }
                }
            }
            "BUNDLED WITH" => parsed.source.format_version = Some(body.to_string()),
            _ => {}
        }
    }
    finish(&section, &mut attrs, &mut sources);
    if !seen_section && !input.text.trim().is_empty() {
        return Err(ParseError::new("not a Gemfile.lock: no section found"));
    }

    let scopes = gemfile_scopes(input, &mut parsed);
    let mut set = PackageSet::new();
    let mut ids_by_name: HashMap<String, Vec<String>> = HashMap::default();
    // (name, deps) of the project's own gems (PATH with remote `.`).
    let mut roots: Vec<(Root, Vec<String>)> = Vec::new();
    let mut edges: Vec<(String, Vec<String>)> = Vec::new();
    for (src, specs) in sources {
        for s in specs {
            let resolution = match &src {
                Source::Gem => Resolution::Exact,
                Source::Git { remote, revision } => Resolution::Vcs {
                    url: remote.clone(),
                    rev: revision.clone(),
                },
                Source::Path { remote } => {
                    if matches!(remote.as_str(), "." | "./") {
                        roots.push((
                            Root {
                                name: s.name.clone(),
                                version: s.version.clone(),
                                path: Some(remote.clone()),
                                dependencies: Vec::new(),
                            },
                            s.deps,
                        ));
                        continue;
                    }
                    Resolution::Path {
                        path: remote.clone(),
                    }
                }
                Source::Plugin { remote } => Resolution::Url {
                    url: remote.clone(),
                },
            };
            let mut p = gem_package(&s.name, &s.version, s.platform.as_deref())
                .with_location(input.display, Some(s.line));
            p.resolution = resolution;
            if let Some(sum) =
                checksums.get(&(s.name.clone(), s.version.clone(), s.platform.clone()))
            {
                p.checksums.push(sum.clone());
            }
            let id = set.insert(p);
            ids_by_name.entry(s.name).or_default().push(id.clone());
            edges.push((id, s.deps));
        }
    }
    for (id, deps) in edges {
        let targets: Vec<String> = deps
            .iter()
            .filter_map(|d| ids_by_name.get(d))
            .flatten()
            .cloned()
            .collect();
        if let Some(p) = set.get_mut(&id) {
            p.dependencies = targets;
        }
    }
    let mut direct_ids: Vec<(String, Scope)> = Vec::new();
    for (name, _) in &direct {
        let scope = scopes
            .as_ref()
            .and_then(|m| m.get(name).copied())
            .unwrap_or(Scope::Runtime);
        for id in ids_by_name.get(name).into_iter().flatten() {
            direct_ids.push((id.clone(), scope));
        }
    }
    // The project's own gem depends (at run time) on its gemspec deps.
    for (_, deps) in &roots {
        for d in deps {
            for id in ids_by_name.get(d).into_iter().flatten() {
                direct_ids.push((id.clone(), Scope::Runtime));
            }
        }
    }
    propagate(&mut set, &direct_ids);
    let mut all_direct: Vec<String> = direct_ids.into_iter().map(|(id, _)| id).collect();
    all_direct.sort();
    all_direct.dedup();
    for (mut root, _) in roots {
        root.dependencies = all_direct.clone();
        parsed.source.roots.push(root);
    }
    parsed.source.packages = set.into_sorted();
    Ok(parsed)
}

fn trunc(s: &str) -> &str {
    match s.char_indices().nth(40) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Scopes of the Gemfile's gems from a sibling `Gemfile` (`gems.rb` for
/// `gems.locked`): gems only in `development`/`test` groups are dev, all
/// others runtime. `None` when there is no Gemfile or it is not simple
/// enough to read reliably.
fn gemfile_scopes(input: &Input, parsed: &mut Parsed) -> Option<HashMap<String, Scope>> {
    let name = if input.display.ends_with("gems.locked") {
        "gems.rb"
    } else {
        "Gemfile"
    };
    let (_, text) = match input.read_related(name) {
        Ok(Some(x)) => x,
        Ok(None) => return None,
        Err(e) => {
            parsed.warn(None, format!("{name} not read: {e}"));
            return None;
        }
    };
    let r = gemfile_scopes_of(&text);
    if r.is_none() {
        parsed.warn(
            None,
            format!("{name}: block structure not understood; all gems treated as runtime"),
        );
    }
    r
}

/// The leading Ruby literal words (`:sym`, `"str"`, `'str'`, `%i[a b]`
/// items) of `s`, stopping at anything else (a `key:`, a `:key =>`, a
/// method call).
fn literal_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        let t = rest.trim_start_matches([' ', ',', '(', ')', '[', ']', '\t']);
        if t.is_empty() {
            break;
        }
        if let Some(r) = t.strip_prefix(':') {
            let end = r
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(r.len());
            rest = &r[end..];
            if rest.trim_start().starts_with("=>") {
                // `:key => value`: an option, not a word.
                break;
            }
            out.push(r[..end].to_string());
        } else if let Some(q) = t.chars().next().filter(|c| *c == '"' || *c == '\'') {
            let r = &t[1..];
            let end = r.find(q).unwrap_or(r.len());
            out.push(r[..end].to_string());
            rest = r.get(end + 1..).unwrap_or("");
        } else if let Some(r) = t.strip_prefix("%i[").or_else(|| t.strip_prefix("%w[")) {
            let end = r.find(']').unwrap_or(r.len());
            out.extend(r[..end].split_whitespace().map(str::to_string));
            rest = r.get(end + 1..).unwrap_or("");
        } else {
            // Something else (a key, a method call): stop.
            break;
        }
    }
    out
}

/// Remove a trailing `# comment` that is outside quotes.
fn strip_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '#') => return &line[..i],
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
    }
    line
}

fn is_dev_group(g: &str) -> bool {
    matches!(g, "development" | "test")
}

/// See [`gemfile_scopes`].
fn gemfile_scopes_of(text: &str) -> Option<HashMap<String, Scope>> {
    // Groups opened by each enclosing block (empty for non-group blocks).
    let mut stack: Vec<Vec<String>> = Vec::new();
    let mut out: HashMap<String, Scope> = HashMap::default();
    for raw in text.lines() {
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        let first = line
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("");
        let opens_do = line.ends_with(" do") || line == "do" || {
            // `do |x|`
            line.rsplit_once(" do |")
                .is_some_and(|(_, r)| r.ends_with('|'))
        };
        if first == "end" {
            stack.pop()?;
            continue;
        }
        if first == "group" && opens_do {
            let args = line
                .strip_prefix("group")
                .and_then(|r| r.rsplit_once(" do"))
                .map(|(a, _)| a)
                .unwrap_or("");
            let groups = literal_words(args);
            if groups.is_empty() {
                return None;
            }
            stack.push(groups);
            continue;
        }
        if opens_do {
            stack.push(Vec::new());
            continue;
        }
        if matches!(
            first,
            "if" | "unless" | "case" | "begin" | "while" | "until" | "def" | "class" | "module"
        ) {
            if !line.ends_with(" end") {
                stack.push(Vec::new());
            }
            continue;
        }
        if first == "gem" {
            let rest = &line[3..];
            let words = literal_words(rest);
            let Some(name) = words.first() else {
                continue;
            };
            let mut groups: Vec<String> = stack.iter().flatten().cloned().collect();
            // Inline `group: :test`, `groups: [:a, :b]`, `:group => :test`.
            for key in ["groups:", "group:", ":groups =>", ":group =>"] {
                if let Some((_, after)) = rest.split_once(key) {
                    groups.extend(literal_words(after));
                    break;
                }
            }
            let dev = !groups.is_empty() && groups.iter().all(|g| is_dev_group(g));
            let scope = if dev { Scope::Dev } else { Scope::Runtime };
            out.entry(name.clone())
                .and_modify(|s| *s = s.merge(scope))
                .or_insert(scope);
        }
    }
    stack.is_empty().then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchloop_model::Relation;

    const LOCK: &str = "\
GIT
  remote: https://github.com/rails/rails.git
  revision: 0123456789abcdef0123456789abcdef01234567
  branch: main
  specs:
    rails (7.1.0.alpha)
      rack (>= 2.0)

PATH
  remote: .
  specs:
    myapp (0.1.0)
      rack

PATH
  remote: ../engines/local_gem
  specs:
    local_gem (0.2.0)

GEM
  remote: https://rubygems.org/
  specs:
    mini_portile2 (2.8.0)
    nokogiri (1.13.10)
      mini_portile2 (~> 2.8.0)
      racc (~> 1.4)
    nokogiri (1.13.10-x86_64-linux)
      racc (~> 1.4)
    racc (1.6.1)
    rack (2.2.4)
    rspec (3.12.0)

PLATFORMS
  ruby
  x86_64-linux

DEPENDENCIES
  local_gem!
  myapp!
  nokogiri (~> 1.13)
  rails!
  rspec

CHECKSUMS
  racc (1.6.1) sha256=abcd
  nokogiri (1.13.10-x86_64-linux) sha256=ef01

RUBY VERSION
   ruby 3.1.2p20

BUNDLED WITH
   2.4.22
";

    fn find<'a>(p: &'a Parsed, id_part: &str) -> &'a Package {
        p.source
            .packages
            .iter()
            .find(|x| x.id == id_part)
            .unwrap_or_else(|| panic!("{id_part} not found"))
    }

    #[test]
    fn sections_sources_platforms() {
        let p = parse(&Input::new("Gemfile.lock", LOCK)).unwrap();
        assert_eq!(p.source.format_version.as_deref(), Some("2.4.22"));
        assert_eq!(p.source.packages.len(), 8, "{:#?}", p.source.packages);
        let rails = find(&p, "pkg:gem/rails@7.1.0.alpha");
        assert_eq!(
            rails.resolution,
            Resolution::Vcs {
                url: "https://github.com/rails/rails.git".into(),
                rev: Some("0123456789abcdef0123456789abcdef01234567".into())
            }
        );
        assert_eq!(rails.line(), Some(6));
        assert_eq!(rails.relation, Relation::Direct);
        assert_eq!(rails.dependencies, vec!["pkg:gem/rack@2.2.4".to_string()]);
        let local = find(&p, "pkg:gem/local_gem@0.2.0");
        assert_eq!(
            local.resolution,
            Resolution::Path {
                path: "../engines/local_gem".into()
            }
        );
        let nl = find(&p, "pkg:gem/nokogiri@1.13.10?platform=x86_64-linux");
        assert_eq!(nl.version, "1.13.10");
        assert_eq!(nl.name, "nokogiri");
        assert_eq!(nl.line(), Some(27));
        assert_eq!(nl.checksums, vec!["sha256:ef01".to_string()]);
        assert_eq!(nl.relation, Relation::Direct);
        let n = find(&p, "pkg:gem/nokogiri@1.13.10");
        assert_eq!(
            n.dependencies,
            vec![
                "pkg:gem/mini_portile2@2.8.0".to_string(),
                "pkg:gem/racc@1.6.1".to_string()
            ]
        );
        let racc = find(&p, "pkg:gem/racc@1.6.1");
        assert_eq!(racc.relation, Relation::Transitive);
        assert_eq!(racc.checksums, vec!["sha256:abcd".to_string()]);
        // rack is reached from the project's own gem and from rails.
        assert_eq!(find(&p, "pkg:gem/rack@2.2.4").relation, Relation::Direct);
        // The gemspec project is a root, not a package.
        assert!(p.source.packages.iter().all(|x| x.name != "myapp"));
        let root = &p.source.roots[0];
        assert_eq!(root.name, "myapp");
        assert_eq!(root.version, "0.1.0");
        assert!(
            root.dependencies
                .contains(&"pkg:gem/rspec@3.12.0".to_string())
        );
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    #[test]
    fn gemfile_groups() {
        let gemfile = "\
source 'https://rubygems.org'
ruby '3.1.2'
gem 'rails', github: 'rails/rails'
gem \"pg\" # db
gem 'rubocop', require: false, group: :development
gem 'byebug', groups: [:development, :test]
gem 'foreman', :group => :production
gem 'pry', :group => :development, :require => false

group :development, :test do
  gem 'rspec-rails', '~> 6.0'
  platforms :mri do
    gem 'debug'
  end
  if ENV['X']
    gem 'x'
  end
end

group(:test) do |g|
  gem 'capybara'
  gem 'pg'
end

group :assets do
  gem 'sass'
end
";
        let m = gemfile_scopes_of(gemfile).unwrap();
        assert_eq!(m["rails"], Scope::Runtime);
        assert_eq!(m["pg"], Scope::Runtime);
        assert_eq!(m["rubocop"], Scope::Dev);
        assert_eq!(m["byebug"], Scope::Dev);
        assert_eq!(m["foreman"], Scope::Runtime);
        assert_eq!(m["pry"], Scope::Dev);
        assert_eq!(m["rspec-rails"], Scope::Dev);
        assert_eq!(m["debug"], Scope::Dev);
        assert_eq!(m["x"], Scope::Dev);
        assert_eq!(m["capybara"], Scope::Dev);
        assert_eq!(m["sass"], Scope::Runtime);
        // Unbalanced blocks: not trusted.
        assert!(gemfile_scopes_of("group :test do\n gem 'a'\n").is_none());
        assert!(gemfile_scopes_of("end\n").is_none());
    }

    #[test]
    fn scopes_from_sibling_gemfile() {
        let d = tempfile::tempdir().unwrap();
        let lock = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rspec (3.0.0)\n      rspec-core (~> 3.0)\n    rspec-core (3.0.0)\n    rack (2.0.0)\n\nDEPENDENCIES\n  rack\n  rspec\n";
        std::fs::write(d.path().join("Gemfile.lock"), lock).unwrap();
        std::fs::write(
            d.path().join("Gemfile"),
            "gem 'rack'\ngroup :test do\n  gem 'rspec'\nend\n",
        )
        .unwrap();
        let path = d.path().join("Gemfile.lock");
        let p = crate::parse_path(
            &path,
            "Gemfile.lock",
            crate::Format::GemfileLock,
            Default::default(),
        )
        .unwrap();
        let core = p
            .source
            .packages
            .iter()
            .find(|x| x.name == "rspec-core")
            .unwrap();
        assert_eq!(core.scope, Scope::Dev);
        assert_eq!(core.relation, Relation::Transitive);
        let rack = p.source.packages.iter().find(|x| x.name == "rack").unwrap();
        assert_eq!(rack.scope, Scope::Runtime);
        assert_eq!(rack.relation, Relation::Direct);
    }

    #[test]
    fn bad_input() {
        assert!(parse(&Input::new("Gemfile.lock", "{\"json\": 1}")).is_err());
        assert!(parse(&Input::new("Gemfile.lock", "  indented\n")).is_err());
        assert!(
            parse(&Input::new("Gemfile.lock", ""))
                .unwrap()
                .source
                .packages
                .is_empty()
        );
        let p = parse(&Input::new(
            "Gemfile.lock",
            "GEM\n  specs:\n    bad\n    ok (1.0)\n\tx\n    é (\n      (\nWEIRD\n  x\n",
        ))
        .unwrap();
        assert_eq!(p.source.packages.len(), 1);
        assert!(p.warnings.len() >= 3);
    }
}
