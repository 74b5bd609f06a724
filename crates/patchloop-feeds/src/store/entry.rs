//! A reader for stored `affected` entries in the exact shape imports write
//! them ([`crate::record::match_part`] through `serde_json::to_vec`:
//! compact, keys in struct order, no escapes in real data), without
//! serde: decoding the entries was half of a scan's store lookups, most
//! of it serde's generic machinery (an `Ecosystem` and a `RangeType`
//! through a `Cow`, events through a struct of four options and a
//! vector).
//!
//! It answers only for documents it reads completely and unambiguously:
//! any other key, a `null`, an escape or control character in a string,
//! whitespace, a duplicate key, a number, anything after the closing
//! brace, and it returns `None`, and the caller decodes with serde
//! (`MatchEntry`), which then accepts or rejects the document as before.
//! Whenever it answers, the answer equals serde's (tested on every entry
//! of the real OSV data and on edge cases).

use patchloop_model::{Affected, AffectedPackage, Ecosystem, Event, Range, RangeType};

struct Cursor<'a> {
    s: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.at += 1)
    }

    /// A string without escapes or control characters.
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let rest = &self.s.as_bytes()[self.at..];
        let end = rest
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        if rest[end] != b'"' {
            return None;
        }
        let v = &self.s[self.at..self.at + end];
        self.at += end + 1;
        Some(v)
    }

    /// `{"key":value,...}`, `value` read by `f` (which refuses a key it
    /// has already read: see [`once`]).
    fn object(&mut self, mut f: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            let key = self.string()?;
            self.eat(b':')?;
            f(self, key)?;
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// `[item,...]`, each read by `f`.
    fn array<T>(&mut self, mut f: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        self.eat(b'[')?;
        let mut out = Vec::new();
        if self.eat(b']').is_some() {
            return Some(out);
        }
        loop {
            out.push(f(self)?);
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(out);
                }
                _ => return None,
            }
        }
    }
}

/// Fill `slot` with `v`, or `None` when a duplicate key already did (serde
/// refuses duplicate fields).
fn once<T>(slot: &mut Option<T>, v: T) -> Option<()> {
    slot.is_none().then(|| *slot = Some(v))
}

fn range_type(s: &str) -> RangeType {
    match s {
        "SEMVER" => RangeType::Semver,
        "ECOSYSTEM" => RangeType::Ecosystem,
        "GIT" => RangeType::Git,
        other => RangeType::Other(other.to_string()),
    }
}

fn event(c: &mut Cursor<'_>) -> Option<Event> {
    let mut ev = None;
    // One key per event (serde: "more than one key").
    c.object(|c, key| {
        let v = c.string()?.to_string();
        let e = match key {
            "introduced" => Event::Introduced(v),
            "fixed" => Event::Fixed(v),
            "last_affected" => Event::LastAffected(v),
            "limit" => Event::Limit(v),
            _ => return None,
        };
        once(&mut ev, e)
    })?;
    ev
}

fn range(c: &mut Cursor<'_>) -> Option<Range> {
    let (mut kind, mut repo, mut events) = (None, None, None);
    c.object(|c, key| match key {
        "type" => once(&mut kind, range_type(c.string()?)),
        "repo" => once(&mut repo, c.string()?.to_string()),
        "events" => once(&mut events, c.array(event)?),
        _ => None,
    })?;
    Some(Range {
        kind: kind?,
        repo,
        events: events?,
        database_specific: None,
    })
}

fn package(c: &mut Cursor<'_>) -> Option<AffectedPackage> {
    let (mut ecosystem, mut name, mut purl) = (None, None, None);
    c.object(|c, key| match key {
        "ecosystem" => once(&mut ecosystem, Ecosystem::parse(c.string()?)),
        "name" => once(&mut name, c.string()?.to_string()),
        "purl" => once(&mut purl, c.string()?.to_string()),
        _ => None,
    })?;
    Some(AffectedPackage {
        ecosystem: ecosystem?,
        name: name?,
        purl,
    })
}

/// The entry as `affected_for_package` returns it, or `None` when the
/// document is not in the shape this reader knows.
pub(super) fn read(text: &str) -> Option<Affected> {
    let mut c = Cursor { s: text, at: 0 };
    let (mut package_, mut ranges, mut versions, mut database_specific) = (None, None, None, None);
    c.object(|c, key| match key {
        "package" => once(&mut package_, package(c)?),
        "ranges" => once(&mut ranges, c.array(range)?),
        "versions" => once(&mut versions, c.array(|c| c.string().map(str::to_string))?),
        "database_specific" => {
            let mut info = None;
            c.object(|c, key| match key {
                "informational" => once(&mut info, c.string()?.to_string()),
                _ => None,
            })?;
            once(
                &mut database_specific,
                crate::record::informational_only(info.map(serde_json::Value::String)),
            )
        }
        _ => None,
    })?;
    (c.at == text.len()).then_some(Affected {
        package: package_,
        severity: Vec::new(),
        ranges: ranges.unwrap_or_default(),
        versions: versions.unwrap_or_default(),
        ecosystem_specific: None,
        database_specific: database_specific.flatten(),
    })
}
