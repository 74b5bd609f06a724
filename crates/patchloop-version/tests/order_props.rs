//! Property tests for every scheme of this crate's ver1 set (semver, go,
//! pep440, nuget, packagist): `Ord` is a total order (antisymmetric,
//! transitive, `==` iff `Equal`) on generated versions, and parsing never
//! panics on arbitrary input.

use std::cmp::Ordering;

use patchloop_version::Scheme;
use proptest::prelude::*;

/// Version-like strings: numbers (some long), separators, the keywords of
/// all five schemes, a little garbage.
fn versionish() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        4 => "(0|1|2|9|10|01|00|123|99999999999999999999)",
        1 => "[0-9]{1,25}",
        3 => "[.\\-+_]",
        2 => "(alpha|a|beta|b|rc|RC|c|pre|preview|post|rev|r|dev|DEV|patch|pl|p|stable|x|incompatible|SNAPSHOT|final|ubuntu)",
        1 => "(v|V|!| |@|\\*|é|K)",
    ];
    (
        proptest::option::of(Just("v".to_string())),
        prop::collection::vec(atom, 1..10),
    )
        .prop_map(|(v, parts)| v.unwrap_or_default() + &parts.concat())
}

const SCHEMES: [Scheme; 5] = [
    Scheme::SemVer,
    Scheme::Go,
    Scheme::Pep440,
    Scheme::NuGet,
    Scheme::Packagist,
];

fn check_triple(scheme: Scheme, a: &str, b: &str, c: &str) -> Result<(), TestCaseError> {
    let (Ok(x), Ok(y), Ok(z)) = (scheme.parse(a), scheme.parse(b), scheme.parse(c)) else {
        return Ok(());
    };
    let xy = x.cmp_same(&y).unwrap();
    let yx = y.cmp_same(&x).unwrap();
    prop_assert_eq!(xy, yx.reverse(), "{} antisymmetry: {:?} {:?}", scheme, a, b);
    prop_assert_eq!(
        xy == Ordering::Equal,
        x == y,
        "{} Eq vs Ord: {:?} {:?}",
        scheme,
        a,
        b
    );
    prop_assert_eq!(x.cmp_same(&x), Some(Ordering::Equal));
    let yz = y.cmp_same(&z).unwrap();
    let xz = x.cmp_same(&z).unwrap();
    if xy != Ordering::Greater && yz != Ordering::Greater {
        prop_assert_ne!(
            xz,
            Ordering::Greater,
            "{} transitivity: {:?} <= {:?} <= {:?}",
            scheme,
            a,
            b,
            c
        );
    }
    if xy == Ordering::Equal && yz == Ordering::Equal {
        prop_assert_eq!(xz, Ordering::Equal, "{} equality transitivity", scheme);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn total_order(a in versionish(), b in versionish(), c in versionish()) {
        for scheme in SCHEMES {
            check_triple(scheme, &a, &b, &c)?;
        }
    }

    #[test]
    fn total_order_near_misses(base in versionish(), sa in "[.\\-a-c0-2]{0,3}", sb in "[.\\-a-c0-2]{0,3}") {
        // Versions sharing a prefix are where orderings go wrong.
        let (a, b, c) = (base.clone(), format!("{base}{sa}"), format!("{base}{sb}"));
        for scheme in SCHEMES {
            check_triple(scheme, &a, &b, &c)?;
            check_triple(scheme, &c, &a, &b)?;
        }
    }

    #[test]
    fn never_panics(s in any::<String>()) {
        for scheme in SCHEMES {
            let _ = scheme.parse(&s);
        }
    }

    #[test]
    fn display_is_the_original(s in versionish()) {
        for scheme in SCHEMES {
            if let Ok(v) = scheme.parse(&s) {
                let shown = match &v {
                    patchloop_version::Version::SemVer(x) => x.to_string(),
                    patchloop_version::Version::Go(x) => x.to_string(),
                    patchloop_version::Version::Pep440(x) => x.to_string(),
                    patchloop_version::Version::NuGet(x) => x.to_string(),
                    patchloop_version::Version::Packagist(x) => x.to_string(),
                    _ => s.clone(),
                };
                prop_assert_eq!(shown, s.clone());
            }
        }
    }
}

/// A sorted chain per scheme must stay sorted under `sort`, which relies
/// on a consistent total order.
#[test]
fn sorting_is_stable_under_permutation() {
    let chains: [(Scheme, &[&str]); 5] = [
        (
            Scheme::SemVer,
            &[
                "1.0.0-alpha",
                "1.0.0-alpha.1",
                "1.0.0-beta.11",
                "1.0.0-rc.1",
                "1.0.0",
                "2.0.0",
            ],
        ),
        (
            Scheme::Go,
            &[
                "0.0.0-20191109021931-daa7c04131f5",
                "0.1.0",
                "1.2.3-pre",
                "1.2.3",
                "v1.2.4",
            ],
        ),
        (
            Scheme::Pep440,
            &[
                "legacy",
                "1.0.dev0",
                "1.0a1",
                "1.0rc1",
                "1.0",
                "1.0+local",
                "1.0.post1",
                "1!0.1",
            ],
        ),
        (
            Scheme::NuGet,
            &["1.0.0-alpha", "1.0.0-Beta", "1.0.0", "1.0.0.1", "1.0.1"],
        ),
        (
            Scheme::Packagist,
            &[
                "dev-master",
                "1.0.0-dev",
                "1.0.0-alpha1",
                "1.0.0-RC1",
                "1.0.0",
                "1.0.0-patch1",
                "1.x-dev",
            ],
        ),
    ];
    for (scheme, chain) in chains {
        let mut parsed: Vec<_> = chain
            .iter()
            .rev()
            .map(|s| scheme.parse(s).unwrap())
            .collect();
        parsed.sort_by(|a, b| a.cmp_same(b).unwrap());
        let again: Vec<_> = chain.iter().map(|s| scheme.parse(s).unwrap()).collect();
        assert_eq!(parsed, again, "{scheme}");
    }
}
