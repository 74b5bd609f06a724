//! Property tests for the maven, rubygems, debian, rpm and alpine schemes:
//! parsing never panics, and `Ord` is a total order consistent with `Eq`
//! (reflexive, antisymmetric, transitive) on generated versions.

use std::cmp::Ordering;

use patchloop_version::{alpine, debian, maven, rpm, rubygems};
use proptest::prelude::*;

/// Versions built from scheme-relevant pieces, so that comparisons hit the
/// interesting rules rather than failing to parse.
fn pieces(tokens: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(tokens), 1..max).prop_map(|v| v.concat())
}

const MAVEN: &[&str] = &[
    "0",
    "1",
    "2",
    "10",
    "00",
    "0000000000",
    "12345678901234567890",
    ".",
    "-",
    "a",
    "b",
    "m",
    "alpha",
    "beta",
    "rc",
    "cr",
    "snapshot",
    "ga",
    "final",
    "sp",
    "x",
    "jre",
    "\u{0663}",
    "é",
];
const GEMS: &[&str] = &[
    "0",
    "1",
    "2",
    "10",
    "00",
    "99999999999999999999",
    ".",
    ".",
    "-",
    "a",
    "b",
    "pre",
    "rc",
    "A",
];
const DEB: &[&str] = &[
    "0",
    "1",
    "2",
    "10",
    "00",
    "99999999999999999999",
    ".",
    "+",
    "~",
    "-",
    ":",
    "a",
    "b",
    "Z",
    "é",
    "1:",
    "0:",
];
const RPM: &[&str] = &[
    "0",
    "1",
    "2",
    "10",
    "00",
    "99999999999999999999",
    ".",
    "_",
    "~",
    "^",
    "-",
    ":",
    "a",
    "b",
    "Z",
    "é",
    "1:",
    "el8",
];
const APK: &[&str] = &[
    "0", "1", "2", "10", "00", ".1", ".0", ".01", "a", "b", "_alpha", "_rc", "_p", "_git", "1",
    "~ab", "~0f", "-r1", "-r0", "-r10",
];

fn valid<V, E>(parse: fn(&str) -> Result<V, E>) -> impl Fn(String) -> Option<V> {
    move |s| parse(&s).ok()
}

fn check_total<V: Ord + Eq + std::fmt::Debug>(a: &V, b: &V, c: &V) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.cmp(a), Ordering::Equal);
    prop_assert!(a.eq(a), "reflexive Eq");
    let ab = a.cmp(b);
    prop_assert_eq!(ab, b.cmp(a).reverse(), "antisymmetry {:?} {:?}", a, b);
    prop_assert_eq!(ab == Ordering::Equal, a == b, "Eq agrees with Ord");
    let bc = b.cmp(c);
    if ab != Ordering::Greater && bc != Ordering::Greater {
        let ac = a.cmp(c);
        prop_assert!(
            ac != Ordering::Greater,
            "transitivity {:?} <= {:?} <= {:?}",
            a,
            b,
            c
        );
        if ab == Ordering::Less || bc == Ordering::Less {
            prop_assert_eq!(ac, Ordering::Less, "{:?} < {:?}", a, c);
        }
    }
    if ab == Ordering::Equal {
        prop_assert_eq!(a.cmp(c), bc, "equal versions order alike");
    }
    Ok(())
}

macro_rules! order_props {
    ($name:ident, $parse:path, $tokens:expr, $max:expr) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(3000))]
            #[test]
            fn $name(
                a in pieces($tokens, $max).prop_filter_map("valid", valid($parse)),
                b in pieces($tokens, $max).prop_filter_map("valid", valid($parse)),
                c in pieces($tokens, $max).prop_filter_map("valid", valid($parse)),
            ) {
                // Sort the triple both ways round so that chains occur often.
                let mut v = [a, b, c];
                v.sort();
                check_total(&v[0], &v[1], &v[2])?;
                check_total(&v[2], &v[0], &v[1])?;
                check_total(&v[1], &v[2], &v[0])?;
            }
        }
    };
}

order_props!(maven_total_order, maven::parse, MAVEN, 7);
order_props!(rubygems_total_order, rubygems::parse, GEMS, 7);
order_props!(debian_total_order, debian::parse, DEB, 7);
order_props!(rpm_total_order, rpm::parse, RPM, 7);
order_props!(alpine_total_order, alpine::parse, APK, 6);

/// Equal versions are close: a version extended by one piece stays
/// comparable to its prefix (exercises "end of string" rules).
macro_rules! prefix_props {
    ($name:ident, $parse:path, $tokens:expr) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]
            #[test]
            fn $name(base in pieces($tokens, 6), ext1 in pieces($tokens, 3), ext2 in pieces($tokens, 3)) {
                let vs: Vec<_> = [base.clone(), format!("{base}{ext1}"), format!("{base}{ext2}"),
                    format!("{base}{ext1}{ext2}")]
                    .iter()
                    .filter_map(|s| $parse(s).ok())
                    .collect();
                for a in &vs {
                    for b in &vs {
                        for c in &vs {
                            check_total(a, b, c)?;
                        }
                    }
                }
            }
        }
    };
}

prefix_props!(maven_prefix_chains, maven::parse, MAVEN);
prefix_props!(rubygems_prefix_chains, rubygems::parse, GEMS);
prefix_props!(debian_prefix_chains, debian::parse, DEB);
prefix_props!(rpm_prefix_chains, rpm::parse, RPM);
prefix_props!(alpine_prefix_chains, alpine::parse, APK);

proptest! {
    /// Arbitrary input never panics any parser (or comparison).
    #[test]
    fn never_panics(s in ".{0,40}", t in "[0-9a-zA-Z.~^_:+-]{0,30}") {
        for x in [&s, &t] {
            let _ = maven::parse(x).map(|v| v.cmp(&v));
            let _ = rubygems::parse(x).map(|v| v.cmp(&v));
            let _ = debian::parse(x).map(|v| v.cmp(&v));
            let _ = rpm::parse(x).map(|v| v.cmp(&v));
            let _ = alpine::parse(x).map(|v| v.cmp(&v));
        }
    }
}
