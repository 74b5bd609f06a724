//! A small streaming walk over an XML document (quick-xml), shared by the
//! POM and MSBuild parsers: each element is reported when it opens (with
//! its attributes and line) and when it closes (with its text), together
//! with the path of local names from the root. Nesting is capped, and no
//! entity other than the five predefined ones and character references is
//! ever expanded (DTD entities are left as written, with a warning), so
//! entity-expansion bombs cannot grow the output.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::error::ParseError;
use crate::text::LineIndex;

/// Deepest element nesting accepted.
pub(crate) const MAX_DEPTH: usize = 64;

/// One step of the walk. `path` holds the local names from the root
/// element down to (and including) the current element.
pub(crate) enum XmlEvent<'p> {
    Open {
        path: &'p [String],
        attrs: &'p [(String, String)],
        line: u32,
    },
    Close {
        path: &'p [String],
        /// The element's own text (CDATA included), trimmed.
        text: &'p str,
    },
}

struct Frame {
    attrs: Vec<(String, String)>,
    text: String,
}

/// Walk `text`, calling `f` for every element. Non-fatal problems (an
/// unknown entity) are pushed to `warnings`. Malformed XML, a truncated
/// document or nesting deeper than [`MAX_DEPTH`] is an error.
pub(crate) fn walk(
    text: &str,
    warnings: &mut Vec<(Option<u32>, String)>,
    mut f: impl FnMut(XmlEvent<'_>),
) -> Result<(), ParseError> {
    let lines = LineIndex::new(text);
    let mut reader = Reader::from_str(text);
    let mut path: Vec<String> = Vec::new();
    let mut frames: Vec<Frame> = Vec::new();
    let mut seen_root = false;
    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let ev = match reader.read_event() {
            Ok(ev) => ev,
            Err(e) => {
                let pos = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
                return Err(ParseError::xml(e, text, pos));
            }
        };
        let tag_line = || lines.line(tag_start(text, before));
        match &ev {
            Event::Start(_) | Event::Empty(_) if path.len() >= MAX_DEPTH => {
                return Err(ParseError::at(
                    tag_line(),
                    format!("XML nested deeper than {MAX_DEPTH} elements"),
                ));
            }
            Event::Start(e) | Event::Empty(e) => {
                let empty = matches!(ev, Event::Empty(_));
                let line = tag_line();
                let frame = open(e, line, warnings)?;
                path.push(local_name(e));
                seen_root = true;
                f(XmlEvent::Open {
                    path: &path,
                    attrs: &frame.attrs,
                    line,
                });
                if empty {
                    f(XmlEvent::Close {
                        path: &path,
                        text: "",
                    });
                    path.pop();
                } else {
                    frames.push(frame);
                }
            }
            Event::End(_) => {
                // quick-xml checks that end names match their start.
                if let Some(frame) = frames.pop() {
                    f(XmlEvent::Close {
                        path: &path,
                        text: frame.text.trim(),
                    });
                }
                path.pop();
            }
            Event::Text(t) => {
                if let Some(frame) = frames.last_mut() {
                    match t.unescape() {
                        Ok(s) => frame.text.push_str(&s),
                        Err(e) => {
                            let raw = String::from_utf8_lossy(t);
                            warnings.push((
                                Some(lines.line(before)),
                                format!("text `{}` kept as written: {e}", raw.trim()),
                            ));
                            frame.text.push_str(&raw);
                        }
                    }
                }
            }
            Event::CData(c) => {
                if let Some(frame) = frames.last_mut() {
                    frame.text.push_str(&String::from_utf8_lossy(c));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(open) = path.last() {
        return Err(ParseError::at(
            lines.line(text.len()),
            format!("unexpected end of file: <{open}> is not closed"),
        ));
    }
    if !seen_root {
        return Err(ParseError::at(1, "no XML element found"));
    }
    Ok(())
}

/// Offset of the `<` that starts the tag read from `before` on.
fn tag_start(text: &str, before: usize) -> usize {
    let b = text.as_bytes();
    let mut i = before.min(b.len());
    while i < b.len() && b[i] != b'<' {
        i += 1;
    }
    i
}

fn local_name(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).into_owned()
}

fn open(
    e: &BytesStart<'_>,
    line: u32,
    warnings: &mut Vec<(Option<u32>, String)>,
) -> Result<Frame, ParseError> {
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| ParseError::at(line, format!("invalid XML attribute: {err}")))?;
        let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
        let value = match a.unescape_value() {
            Ok(v) => v.into_owned(),
            Err(err) => {
                let raw = String::from_utf8_lossy(&a.value).into_owned();
                warnings.push((
                    Some(line),
                    format!("attribute {key}=\"{raw}\" kept as written: {err}"),
                ));
                raw
            }
        };
        attrs.push((key, value));
    }
    Ok(Frame {
        attrs,
        text: String::new(),
    })
}

/// The value of attribute `name` (case-insensitive, as MSBuild reads them).
pub(crate) fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(text: &str) -> Result<Vec<String>, ParseError> {
        let mut out = Vec::new();
        let mut w = Vec::new();
        walk(text, &mut w, |ev| match ev {
            XmlEvent::Open { path, line, .. } => out.push(format!("+{}@{line}", path.join("/"))),
            XmlEvent::Close { path, text } => out.push(format!("-{}={text}", path.join("/"))),
        })?;
        for (_, m) in w {
            out.push(format!("!{m}"));
        }
        Ok(out)
    }

    #[test]
    fn lines_paths_and_text() {
        let t = "<?xml version=\"1.0\"?>\n<a xmlns=\"x\">\n  <b>one &amp; two</b>\n  <c/>\n  <m:d xmlns:m=\"y\"><![CDATA[<raw>]]></m:d>\n</a>";
        let ev = collect(t).unwrap();
        assert_eq!(
            ev,
            vec![
                "+a@2",
                "+a/b@3",
                "-a/b=one & two",
                "+a/c@4",
                "-a/c=",
                "+a/d@5",
                "-a/d=<raw>",
                "-a=",
            ]
        );
    }

    #[test]
    fn errors() {
        assert!(collect("").is_err());
        assert!(collect("<a><b></a>").is_err());
        let e = collect("<a>\n<b>\n").unwrap_err();
        assert!(e.message.contains("not closed"), "{}", e.message);
        let deep = "<a>".repeat(MAX_DEPTH + 1);
        let e = collect(&deep).unwrap_err();
        assert!(e.message.contains("nested"), "{}", e.message);
        assert!(collect("<a b=\"1\" b=\"2\"/>").is_err());
    }

    #[test]
    fn entities_are_never_expanded() {
        let t = "<!DOCTYPE a [<!ENTITY x \"xxxxxxxxxx\"><!ENTITY y \"&x;&x;&x;&x;\">]>\n<a>&y;</a>";
        let ev = collect(t).unwrap();
        assert_eq!(ev[1], "-a=&y;");
        assert!(ev[2].starts_with('!'));
    }
}
