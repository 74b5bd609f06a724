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

    /// `{"key":value,...}`, each key once, `value` read by `f`.
    fn object(&mut self, mut f: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        let mut seen: Vec<&str> = Vec::new();
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            let key = self.string()?;
            if seen.contains(&key) {
                return None;
            }
            seen.push(key);
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
    c.object(|c, key| {
        // One key per event (serde: "more than one key").
        if ev.is_some() {
            return None;
        }
        let v = c.string()?.to_string();
        ev = Some(match key {
            "introduced" => Event::Introduced(v),
            "fixed" => Event::Fixed(v),
            "last_affected" => Event::LastAffected(v),
            "limit" => Event::Limit(v),
            _ => return None,
        });
        Some(())
    })?;
    ev
}

fn range(c: &mut Cursor<'_>) -> Option<Range> {
    let (mut kind, mut repo, mut events) = (None, None, None);
    c.object(|c, key| {
        match key {
            "type" => kind = Some(range_type(c.string()?)),
            "repo" => repo = Some(c.string()?.to_string()),
            "events" => events = Some(c.array(event)?),
            _ => return None,
        }
        Some(())
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
    c.object(|c, key| {
        match key {
            "ecosystem" => ecosystem = Some(Ecosystem::parse(c.string()?)),
            "name" => name = Some(c.string()?.to_string()),
            "purl" => purl = Some(c.string()?.to_string()),
            _ => return None,
        }
        Some(())
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
    let mut out = Affected {
        package: None,
        severity: Vec::new(),
        ranges: Vec::new(),
        versions: Vec::new(),
        ecosystem_specific: None,
        database_specific: None,
    };
    c.object(|c, key| {
        match key {
            "package" => out.package = Some(package(c)?),
            "ranges" => out.ranges = c.array(range)?,
            "versions" => out.versions = c.array(|c| c.string().map(str::to_string))?,
            "database_specific" => {
                let mut info = None;
                c.object(|c, key| {
                    (key == "informational").then_some(())?;
                    info = Some(c.string()?.to_string());
                    Some(())
                })?;
                out.database_specific =
                    crate::record::informational_only(info.map(serde_json::Value::String));
            }
            _ => return None,
        }
        Some(())
    })?;
    (c.at == text.len()).then_some(out)
}
