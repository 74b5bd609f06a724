//! Helpers shared by the npm-family parsers: package specs and sources,
//! the sibling `package.json`, workspace globs and the propagation of
//! relation/scope over the dependency graph.

use crate::fxhash::{HashMap, HashSet};
use std::borrow::Cow;
use std::collections::VecDeque;

use patchloop_model::{Ecosystem, Location, Package, Relation, Resolution, Scope};
use serde::Deserialize;

use crate::formats::common::PackageSet;
use crate::input::{Input, Parsed};

/// A JSON object read into `T`, or `Bad` when the value is not an object,
/// so one odd entry does not reject the whole file. Unlike an untagged
/// enum it does not buffer the value: `T` reads straight from the input.
pub(crate) enum Lenient<T> {
    Ok(T),
    Bad,
}

/// Like [`Lenient`] for a JSON array.
pub(crate) enum LenientSeq<T> {
    Ok(T),
    Bad,
}

/// Skip whatever a visitor was handed that it does not want.
macro_rules! reject_other_types {
    ($bad:expr) => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($bad)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($bad)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($bad)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($bad)
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok($bad)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($bad)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok($bad)
        }
    };
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for V<T> {
            type Value = Lenient<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                a: A,
            ) -> Result<Self::Value, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(a)).map(Lenient::Ok)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Self::Value, A::Error> {
                while a.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Lenient::Bad)
            }
            reject_other_types!(Lenient::Bad);
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for LenientSeq<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for V<T> {
            type Value = LenientSeq<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                a: A,
            ) -> Result<Self::Value, A::Error> {
                T::deserialize(serde::de::value::SeqAccessDeserializer::new(a)).map(LenientSeq::Ok)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Self::Value, A::Error> {
                while a
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(LenientSeq::Bad)
            }
            reject_other_types!(LenientSeq::Bad);
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A string field that tolerates other JSON/YAML types (npm has written
/// `"resolved": false`): anything but a string reads as absent.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Text<'a>(pub Option<Cow<'a, str>>);

impl<'a> Text<'a> {
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v))))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_some<D: serde::Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<Self::Value, D::Error> {
                Text::deserialize(d)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Self::Value, A::Error> {
                while a.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Self::Value, A::Error> {
                while a
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Text(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// A boolean flag that reads anything but `true` as false.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Flag(pub bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Flag;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a boolean")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Flag, E> {
                Ok(Flag(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Flag, E> {
                Ok(Flag(v == "true"))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Flag, E> {
                Ok(Flag(false))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Flag, E> {
                Ok(Flag(false))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Flag, E> {
                Ok(Flag(false))
            }
            fn visit_unit<E>(self) -> Result<Flag, E> {
                Ok(Flag(false))
            }
            fn visit_none<E>(self) -> Result<Flag, E> {
                Ok(Flag(false))
            }
            fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Flag, D::Error> {
                Flag::deserialize(d)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Flag, A::Error> {
                while a.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Flag(false))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Flag, A::Error> {
                while a
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Flag(false))
            }
        }
        d.deserialize_any(V)
    }
}

/// `name@rest` split at the `@` that ends the (possibly scoped) name.
pub(crate) fn split_ident(s: &str) -> Option<(&str, &str)> {
    let start = usize::from(s.starts_with('@'));
    let i = s.get(start..)?.find('@')? + start;
    let name = s.get(..i)?;
    let rest = s.get(i + 1..)?;
    if name.is_empty() || name == "@" {
        return None;
    }
    Some((name, rest))
}

/// `npm:real-name@1.2.3` (an npm alias) → (`real-name`, `1.2.3`).
pub(crate) fn npm_alias(spec: &str) -> Option<(&str, &str)> {
    split_ident(spec.strip_prefix("npm:")?)
}

/// True for a version as a registry resolves it (`1.2.3`, `0.0.0-rc.1`).
pub(crate) fn is_version(v: &str) -> bool {
    v.as_bytes().first().is_some_and(u8::is_ascii_digit)
        && !v.contains(':')
        && !v.contains('/')
        && !v.contains(' ')
}

/// What a non-registry source (a `resolved` URL, a version spec or a
/// protocol reference) is. `None` for a registry package.
pub(crate) fn classify_source(s: &str) -> Option<Resolution> {
    let s = s.trim();
    for p in ["file:", "link:", "portal:"] {
        if let Some(path) = s.strip_prefix(p) {
            return Some(Resolution::Path {
                path: path.to_string(),
            });
        }
    }
    let (base, frag) = match s.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (s, None),
    };
    let rev = frag.map(git_rev).filter(|r| !r.is_empty());
    let git_prefix = [
        "git+",
        "git://",
        "git@",
        "ssh://",
        "github:",
        "gitlab:",
        "bitbucket:",
        "gist:",
    ]
    .iter()
    .any(|p| s.starts_with(p));
    let http = s.starts_with("https://") || s.starts_with("http://");
    if git_prefix || (http && base.ends_with(".git")) {
        return Some(Resolution::Vcs {
            url: base.to_string(),
            rev,
        });
    }
    if http {
        if is_registry_tarball(base) {
            return None;
        }
        return Some(Resolution::Url { url: s.to_string() });
    }
    None
}

/// The revision in a git URL fragment: `#<sha>`, `#commit=<sha>`,
/// `#semver:^1` (yarn berry writes `commit=...&...`).
fn git_rev(frag: &str) -> String {
    for part in frag.split('&') {
        if let Some(c) = part.strip_prefix("commit=") {
            return c.to_string();
        }
    }
    frag.to_string()
}

/// A registry tarball URL (`.../-/name-1.2.3.tgz`), any registry host.
pub(crate) fn is_registry_tarball(url: &str) -> bool {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    path.ends_with(".tgz") && path.as_bytes().windows(3).any(|w| w == b"/-/")
}

/// A package of the npm ecosystem with location, scope and source.
pub(crate) fn npm_package(
    name: &str,
    version: &str,
    resolution: Option<Resolution>,
    input: &Input,
    line: Option<u32>,
    scope: Scope,
) -> Package {
    let purl = fast_npm_purl(name, version)
        .unwrap_or_else(|| patchloop_model::purl_for(&Ecosystem::NPM, name, version));
    Package {
        id: purl.clone(),
        ecosystem: Ecosystem::NPM,
        name: name.to_string(),
        version: version.to_string(),
        purl,
        resolution: resolution.unwrap_or_default(),
        relation: Relation::Unknown,
        scope,
        locations: vec![Location {
            path: input.display.to_string(),
            line,
        }],
        dependencies: Vec::new(),
        checksums: Vec::new(),
        source: None,
        layer: None,
    }
}

/// The purl `purl_for` gives, built directly for the common case (plain
/// lowercase names, plain versions), which is most of the cost of a parse
/// otherwise. Anything else returns `None` and goes through `purl_for`;
/// the tests check both agree on every package of the corpus.
fn fast_npm_purl(name: &str, version: &str) -> Option<String> {
    fn plain_name(s: &str) -> bool {
        s.as_bytes()
            .first()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && s.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_' || b == b'-'
            })
    }
    let (scope, base) = match name.strip_prefix('@') {
        Some(rest) => {
            let (s, n) = rest.split_once('/')?;
            (Some(s), n)
        }
        None => (None, name),
    };
    if !plain_name(base) || scope.is_some_and(|s| !plain_name(s)) {
        return None;
    }
    if !version
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    {
        return None;
    }
    let mut p = String::with_capacity(12 + name.len() + version.len());
    p.push_str("pkg:npm/");
    if let Some(s) = scope {
        p.push_str("%40");
        p.push_str(s);
        p.push('/');
    }
    p.push_str(base);
    if !version.is_empty() {
        p.push('@');
        p.push_str(version);
    }
    Some(p)
}

/// A JSON object as a list of (key, value) in file order. Lockfiles hold
/// thousands of small maps that are only iterated (a HashMap each would
/// cost more than the parse), and file order lets entries be matched with
/// the lines of their keys.
#[derive(Debug)]
pub(crate) struct Ordered<'a, T>(pub Vec<(Cow<'a, str>, T)>);

impl<T> Default for Ordered<'_, T> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<'de: 'a, 'a, T: Deserialize<'de>> Deserialize<'de> for Ordered<'a, T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for V<T> {
            type Value = Ordered<'de, T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Self::Value, A::Error> {
                let mut v = Vec::with_capacity(a.size_hint().unwrap_or(0).min(4096));
                while let Some(k) = a.next_key::<BorrowedKey>()? {
                    v.push((k.0, a.next_value::<T>()?));
                }
                Ok(Ordered(v))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

impl<T> Ordered<'_, T> {
    pub fn get(&self, key: &str) -> Option<&T> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v))
    }
}

/// Dependency name → spec.
pub(crate) type DepMap<'a> = Ordered<'a, Text<'a>>;

/// A map key, borrowed from the input when it has no escapes.
struct BorrowedKey<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for BorrowedKey<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = BorrowedKey<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(BorrowedKey(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(BorrowedKey(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// A dependency list field (`dependencies`, ...) that may have any shape.
pub(crate) type DepField<'a> = Option<Lenient<DepMap<'a>>>;

/// Names of a dependency list (sorted, for stable output).
pub(crate) fn dep_names<'x>(m: &'x DepField<'_>) -> Vec<&'x str> {
    let mut v: Vec<&str> = match m {
        Some(Lenient::Ok(m)) => m.0.iter().map(|(k, _)| k.as_ref()).collect(),
        _ => Vec::new(),
    };
    v.sort_unstable();
    v
}

/// The dependency lists of a `package.json`.
#[derive(Debug, Default, Clone)]
pub(crate) struct Manifest {
    pub name: Option<String>,
    pub version: Option<String>,
    /// (name, spec, scope of that edge) in a stable order.
    pub deps: Vec<(String, String, Scope)>,
}

/// A `package.json` as read, borrowing from the input; also the shape of
/// bun.lock's workspace entries and package infos (plain fields, no
/// `#[serde(flatten)]`, which would buffer every value).
#[derive(Deserialize, Default)]
pub(crate) struct RawManifest<'a> {
    #[serde(borrow, default)]
    pub name: Text<'a>,
    #[serde(borrow, default)]
    pub version: Text<'a>,
    #[serde(borrow, default)]
    pub dependencies: DepField<'a>,
    #[serde(borrow, default, rename = "devDependencies")]
    pub dev_dependencies: DepField<'a>,
    #[serde(borrow, default, rename = "optionalDependencies")]
    pub optional_dependencies: DepField<'a>,
    #[serde(borrow, default, rename = "peerDependencies")]
    pub peer_dependencies: DepField<'a>,
}

impl<'a> RawManifest<'a> {
    /// The four dependency lists with the scope of their edges, in the
    /// order they are read: dependencies, optional, peer, dev.
    pub fn dep_lists(&self) -> [(&DepField<'a>, Scope); 4] {
        [
            (&self.dependencies, Scope::Runtime),
            (&self.optional_dependencies, Scope::Optional),
            (&self.peer_dependencies, Scope::Runtime),
            (&self.dev_dependencies, Scope::Dev),
        ]
    }

    fn to_manifest(&self) -> Manifest {
        let mut m = Manifest {
            name: self.name.as_deref().map(str::to_string),
            version: self.version.as_deref().map(str::to_string),
            ..Manifest::default()
        };
        for (list, scope) in self.dep_lists() {
            if let Some(Lenient::Ok(map)) = list {
                let mut v: Vec<(String, String, Scope)> = map
                    .iter()
                    .filter_map(|(n, spec)| {
                        Some((n.to_string(), spec.as_deref()?.to_string(), scope))
                    })
                    .collect();
                v.sort();
                m.deps.extend(v);
            }
        }
        m
    }
}

/// Read `rel` (a `package.json` relative to the lockfile) when it exists.
/// Problems reading it are warnings: the lockfile is still usable.
pub(crate) fn read_manifest(input: &Input, rel: &str, parsed: &mut Parsed) -> Option<Manifest> {
    match input.read_related(rel) {
        Ok(Some((_, text))) => match serde_json::from_str::<RawManifest>(&text) {
            Ok(raw) => Some(raw.to_manifest()),
            Err(e) => {
                parsed.warn(
                    None,
                    format!(
                        "{}: not a valid package.json ({e}); direct dependencies unknown",
                        input.related_display(rel)
                    ),
                );
                None
            }
        },
        Ok(None) => None,
        Err(e) => {
            parsed.warn(
                None,
                format!("{}: {}", input.related_display(rel), e.message),
            );
            None
        }
    }
}

/// Does workspace path `path` match one of the `workspaces` patterns
/// (`packages/*`, `apps/**`, `tools/cli`)?
pub(crate) fn workspace_matches(patterns: &[String], path: &str) -> bool {
    let path = normalize_rel(path);
    patterns.iter().any(|p| {
        let p = normalize_rel(p);
        if p.starts_with('!') {
            return false;
        }
        glob_segments(&p, &path)
    })
}

fn normalize_rel(p: &str) -> String {
    let p = p.trim().trim_start_matches("./").trim_end_matches('/');
    p.to_string()
}

/// Segment-wise glob match: `*`/`?` inside a segment, `**` for any number
/// of segments. Dynamic programming, linear in pattern × path size.
fn glob_segments(pattern: &str, path: &str) -> bool {
    let pat: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    // dp[j] = pattern prefix i matches path prefix j
    let mut dp = vec![false; segs.len() + 1];
    dp[0] = true;
    for p in &pat {
        let mut next = vec![false; segs.len() + 1];
        if *p == "**" {
            let mut any = false;
            for j in 0..=segs.len() {
                any |= dp[j];
                next[j] = any;
            }
        } else {
            for j in 1..=segs.len() {
                next[j] = dp[j - 1] && glob_one(p.as_bytes(), segs[j - 1].as_bytes());
            }
        }
        dp = next;
    }
    dp[segs.len()]
}

fn glob_one(p: &[u8], s: &[u8]) -> bool {
    let mut dp = vec![false; s.len() + 1];
    dp[0] = true;
    for &c in p {
        let mut next = vec![false; s.len() + 1];
        if c == b'*' {
            let mut any = false;
            for j in 0..=s.len() {
                any |= dp[j];
                next[j] = any;
            }
        } else {
            for j in 1..=s.len() {
                next[j] = dp[j - 1] && (c == b'?' || c == s[j - 1]);
            }
        }
        dp = next;
    }
    dp[s.len()]
}

/// Edges that come from an `optionalDependencies` list: from-id → to-ids.
pub(crate) type OptionalEdges = HashMap<String, HashSet<String>>;

/// Scope of every package reachable from the direct dependencies, by
/// index in `set` order; `None` for packages reachable from nothing.
fn reach(
    set: &PackageSet,
    direct: &[(String, Scope)],
    optional_edges: &OptionalEdges,
) -> (Vec<Option<Scope>>, Vec<bool>) {
    let ids: Vec<&str> = set.iter().map(|p| p.id.as_str()).collect();
    let index: HashMap<&str, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    // Adjacency by index; `true` marks an optionalDependencies edge.
    let adj: Vec<Vec<(usize, bool)>> = set
        .iter()
        .map(|p| {
            let opt = optional_edges.get(&p.id);
            p.dependencies
                .iter()
                .filter_map(|d| {
                    let j = *index.get(d.as_str())?;
                    Some((j, opt.is_some_and(|o| o.contains(d))))
                })
                .collect()
        })
        .collect();
    let mut is_direct = vec![false; ids.len()];
    let mut seeds: Vec<(usize, Scope)> = Vec::with_capacity(direct.len());
    for (id, s) in direct {
        if let Some(&i) = index.get(id.as_str()) {
            is_direct[i] = true;
            seeds.push((i, *s));
        }
    }
    let mut scope_of: Vec<Option<Scope>> = vec![None; ids.len()];
    let mut carried: Vec<usize> = Vec::new();
    let mut queue: VecDeque<usize> = VecDeque::new();
    // Most demanding first: the first scope a package gets is its scope.
    for level in [Scope::Runtime, Scope::Optional, Scope::Build, Scope::Dev] {
        queue.extend(seeds.iter().filter(|(_, s)| *s == level).map(|(i, _)| *i));
        if level == Scope::Optional {
            queue.extend(carried.drain(..));
        }
        while let Some(i) = queue.pop_front() {
            if scope_of[i].is_some() {
                continue;
            }
            scope_of[i] = Some(level);
            for &(j, optional) in &adj[i] {
                if scope_of[j].is_some() {
                    continue;
                }
                if level == Scope::Runtime && optional {
                    carried.push(j);
                } else {
                    queue.push_back(j);
                }
            }
        }
    }
    (scope_of, is_direct)
}

/// Set relation (and, when `set_scope`, scope) of every package from the
/// direct dependencies and the edges: a package reachable from a direct
/// dependency is transitive and gets the most demanding scope of the
/// direct dependencies it is reachable from; an `optionalDependencies`
/// edge (in `optional_edges`) lowers runtime to optional. Packages
/// reachable from nothing keep `Unknown` relation and their own scope.
pub(crate) fn apply_graph(
    set: &mut PackageSet,
    direct: &[(String, Scope)],
    optional_edges: &OptionalEdges,
    set_scope: bool,
) {
    let (scope_of, is_direct) = reach(set, direct, optional_edges);
    for (i, p) in set.iter_mut().enumerate() {
        let reached = scope_of.get(i).copied().flatten();
        if is_direct.get(i).copied().unwrap_or(false) {
            p.relation = Relation::Direct;
        } else if reached.is_some() {
            p.relation = Relation::Transitive;
        }
        if set_scope && let Some(s) = reached {
            p.scope = s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idents() {
        assert_eq!(split_ident("a@1.0.0"), Some(("a", "1.0.0")));
        assert_eq!(split_ident("@s/a@npm:^1"), Some(("@s/a", "npm:^1")));
        assert_eq!(
            split_ident("x-cjs@npm:string-width@^4"),
            Some(("x-cjs", "npm:string-width@^4"))
        );
        assert_eq!(split_ident("@s/a"), None);
        assert_eq!(split_ident("@"), None);
        assert_eq!(split_ident("@@"), None);
        assert_eq!(split_ident("é@1"), Some(("é", "1")));
        assert_eq!(npm_alias("npm:@s/b@2.0.0"), Some(("@s/b", "2.0.0")));
        assert_eq!(npm_alias("^2.0.0"), None);
    }

    #[test]
    fn sources() {
        assert_eq!(
            classify_source("https://registry.npmjs.org/a/-/a-1.0.0.tgz"),
            None
        );
        assert_eq!(
            classify_source("https://registry.yarnpkg.com/@s/a/-/a-1.0.0.tgz#abc"),
            None
        );
        assert_eq!(
            classify_source("git+ssh://git@github.com/u/r.git#0123abc"),
            Some(Resolution::Vcs {
                url: "git+ssh://git@github.com/u/r.git".into(),
                rev: Some("0123abc".into())
            })
        );
        assert_eq!(
            classify_source("https://github.com/u/r.git#commit=abc&x=1"),
            Some(Resolution::Vcs {
                url: "https://github.com/u/r.git".into(),
                rev: Some("abc".into())
            })
        );
        assert_eq!(
            classify_source("github:u/r"),
            Some(Resolution::Vcs {
                url: "github:u/r".into(),
                rev: None
            })
        );
        assert_eq!(
            classify_source("https://github.com/u/r/tarball/master"),
            Some(Resolution::Url {
                url: "https://github.com/u/r/tarball/master".into()
            })
        );
        assert_eq!(
            classify_source("file:../x"),
            Some(Resolution::Path {
                path: "../x".into()
            })
        );
        assert_eq!(classify_source("^1.2.3"), None);
    }

    #[test]
    fn fast_purls_match_purl_for() {
        for (n, v) in [
            ("a", "1.0.0"),
            ("@s/a", "1.0.0"),
            ("@s/a.b_c-d", "0.0.0-rc.1"),
            ("a", ""),
            ("@s/a", ""),
            ("A", "1.0.0"),
            ("a", "1.0.0+build.5"),
            ("a", "1.0.0-RC.1"),
            ("_a", "1"),
            (".a", "1"),
            ("@s", "1"),
            ("@/a", "1"),
            ("@s/", "1"),
            ("a b", "1"),
            ("a", "1 2"),
            ("é", "1"),
            ("@S/a", "1"),
            ("a", "git+https://x/y.git#abc"),
            ("9a", "1"),
            ("a~b", "1"),
        ] {
            assert_eq!(
                fast_npm_purl(n, v).unwrap_or_else(|| patchloop_model::purl_for(
                    &Ecosystem::NPM,
                    n,
                    v
                )),
                patchloop_model::purl_for(&Ecosystem::NPM, n, v),
                "{n} {v}"
            );
        }
        assert!(fast_npm_purl("@s/a", "1.0.0").is_some());
        assert!(fast_npm_purl("A", "1.0.0").is_none());
    }

    #[test]
    fn globs() {
        let pats = vec![
            "packages/*".to_string(),
            "./apps/**".to_string(),
            "tools/cli/".into(),
        ];
        assert!(workspace_matches(&pats, "packages/a"));
        assert!(!workspace_matches(&pats, "packages/a/b"));
        assert!(workspace_matches(&pats, "apps/x/y"));
        assert!(workspace_matches(&pats, "tools/cli"));
        assert!(!workspace_matches(&pats, "tools/other"));
        assert!(workspace_matches(&["p*-?x".to_string()], "pkg-ax"));
        assert!(!workspace_matches(
            &["!packages/*".to_string()],
            "packages/a"
        ));
    }

    #[test]
    fn reach_optional_edges() {
        let mut set = PackageSet::new();
        let mut a = Package::new(Ecosystem::NPM, "a", "1.0.0");
        let mut b = Package::new(Ecosystem::NPM, "b", "1.0.0");
        let c = Package::new(Ecosystem::NPM, "c", "1.0.0");
        let d = Package::new(Ecosystem::NPM, "d", "1.0.0");
        a.dependencies.push(b.id.clone());
        b.dependencies.push(c.id.clone());
        let mut opt = OptionalEdges::default();
        opt.entry(a.id.clone()).or_default().insert(b.id.clone());
        let (ida, idb, idc, idd) = (a.id.clone(), b.id.clone(), c.id.clone(), d.id.clone());
        set.insert(a);
        set.insert(b);
        set.insert(c);
        set.insert(d.clone());
        let direct = vec![(ida.clone(), Scope::Runtime), (idd.clone(), Scope::Dev)];
        apply_graph(&mut set, &direct, &opt, true);
        assert_eq!(set.get(&ida).unwrap().scope, Scope::Runtime);
        assert_eq!(set.get(&idb).unwrap().scope, Scope::Optional);
        assert_eq!(set.get(&idc).unwrap().scope, Scope::Optional);
        assert_eq!(set.get(&idc).unwrap().relation, Relation::Transitive);
        assert_eq!(set.get(&idd).unwrap().scope, Scope::Dev);
        assert_eq!(set.get(&idd).unwrap().relation, Relation::Direct);
    }
}
