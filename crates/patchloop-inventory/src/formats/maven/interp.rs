//! Property interpolation shared by Maven (`${name}`) and MSBuild
//! (`$(Name)`): nested properties are expanded, cycles are detected, and
//! nesting depth and result length are capped so that hostile property
//! chains (`a=${b}${b}`, `b=${c}${c}`, ...) cannot blow up.

use crate::fxhash::HashMap;
use std::fmt;

/// Deepest chain of properties referring to properties.
const MAX_DEPTH: usize = 32;
/// Longest interpolated value, in bytes.
const MAX_LEN: usize = 4096;

/// Why a value could not be fully interpolated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unresolved {
    /// A property that is not defined (environment, system, CLI, or
    /// defined in a file that is not available).
    Missing(String),
    /// A property that refers back to itself.
    Cycle(String),
    TooDeep,
    TooLong,
}

impl fmt::Display for Unresolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unresolved::Missing(n) => write!(f, "property `{n}` is not defined here"),
            Unresolved::Cycle(n) => write!(f, "property `{n}` refers to itself"),
            Unresolved::TooDeep => {
                write!(f, "properties nested more than {MAX_DEPTH} deep")
            }
            Unresolved::TooLong => write!(f, "interpolated value longer than {MAX_LEN} bytes"),
        }
    }
}

/// Syntax of property references.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Syntax {
    /// `${name}` (Maven)
    Dollar,
    /// `$(Name)` (MSBuild)
    Paren,
}

impl Syntax {
    fn delims(self) -> (&'static str, char) {
        match self {
            Syntax::Dollar => ("${", '}'),
            Syntax::Paren => ("$(", ')'),
        }
    }
}

/// Expands references using `lookup` for the raw value of a property.
pub(crate) struct Interp<F> {
    syntax: Syntax,
    lookup: F,
    memo: HashMap<String, Result<String, Unresolved>>,
}

impl<F: Fn(&str) -> Option<String>> Interp<F> {
    pub(crate) fn new(syntax: Syntax, lookup: F) -> Self {
        Interp {
            syntax,
            lookup,
            memo: HashMap::default(),
        }
    }

    /// Expand every reference in `s`.
    pub(crate) fn resolve(&mut self, s: &str) -> Result<String, Unresolved> {
        let mut stack = Vec::new();
        self.expand(s, &mut stack)
    }

    fn expand(&mut self, s: &str, stack: &mut Vec<String>) -> Result<String, Unresolved> {
        let (open, close) = self.syntax.delims();
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find(open) {
            out.push_str(&rest[..i]);
            let after = &rest[i + open.len()..];
            let Some(j) = after.find(close) else {
                // No closing delimiter: the text is literal.
                out.push_str(&rest[i..]);
                rest = "";
                break;
            };
            let value = self.property(&after[..j], stack)?;
            out.push_str(&value);
            if out.len() > MAX_LEN {
                return Err(Unresolved::TooLong);
            }
            rest = &after[j + close.len_utf8()..];
        }
        out.push_str(rest);
        if out.len() > MAX_LEN {
            return Err(Unresolved::TooLong);
        }
        Ok(out)
    }

    fn property(&mut self, name: &str, stack: &mut Vec<String>) -> Result<String, Unresolved> {
        if let Some(r) = self.memo.get(name) {
            return r.clone();
        }
        if stack.iter().any(|n| n == name) {
            return Err(Unresolved::Cycle(name.to_string()));
        }
        if stack.len() >= MAX_DEPTH {
            return Err(Unresolved::TooDeep);
        }
        let Some(raw) = (self.lookup)(name) else {
            return Err(Unresolved::Missing(name.to_string()));
        };
        stack.push(name.to_string());
        let r = self.expand(&raw, stack);
        stack.pop();
        self.memo.insert(name.to_string(), r.clone());
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interp(pairs: &[(&str, &str)]) -> Interp<impl Fn(&str) -> Option<String>> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Interp::new(Syntax::Dollar, move |n: &str| map.get(n).cloned())
    }

    #[test]
    fn nested_and_literal() {
        let mut i = interp(&[("a", "1.${b}"), ("b", "${c}-x"), ("c", "2")]);
        assert_eq!(i.resolve("v${a}").unwrap(), "v1.2-x");
        assert_eq!(i.resolve("plain").unwrap(), "plain");
        assert_eq!(i.resolve("${unclosed").unwrap(), "${unclosed");
        assert_eq!(
            i.resolve("${env.HOME}"),
            Err(Unresolved::Missing("env.HOME".into()))
        );
    }

    #[test]
    fn cycles_and_blowup() {
        let mut i = interp(&[("a", "${b}"), ("b", "${a}"), ("s", "${s}")]);
        assert!(matches!(i.resolve("${a}"), Err(Unresolved::Cycle(_))));
        assert!(matches!(i.resolve("${s}"), Err(Unresolved::Cycle(_))));
        let pairs: Vec<(String, String)> = (0..40)
            .map(|n| (format!("p{n}"), format!("${{p{}}}${{p{}}}", n + 1, n + 1)))
            .chain([("p40".to_string(), "x".to_string())])
            .collect();
        let refs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let mut i = interp(&refs);
        let r = i.resolve("${p0}");
        assert!(
            matches!(r, Err(Unresolved::TooLong | Unresolved::TooDeep)),
            "{r:?}"
        );
    }

    #[test]
    fn msbuild_syntax() {
        let mut i = Interp::new(Syntax::Paren, |n: &str| {
            (n.eq_ignore_ascii_case("Ver")).then(|| "1.0".to_string())
        });
        assert_eq!(i.resolve("$(ver)-beta").unwrap(), "1.0-beta");
        assert!(i.resolve("$([MSBuild]::X())").is_err());
    }
}
