//! Maven version ordering, as `org.apache.maven.artifact.versioning.
//! ComparableVersion` (maven-artifact 3.8) does it.
//!
//! The version is lower-cased (Java `toLowerCase(Locale.ENGLISH)`) and cut
//! into items:
//! - `.` ends an item, `-` ends an item and opens a sub-list; an empty item
//!   before either is `0`;
//! - a switch between digits and non-digits also ends an item and opens a
//!   sub-list (`1a1` is `1-a-1`); a letter run directly followed by a
//!   digit after other items opens a sub-list too (`1.x1` is `1-x-1`);
//! - digit runs are numbers of any length; as in Maven, a run of at most 9
//!   significant characters, of 10..=18 and of more are three different
//!   kinds (int < long < big) and compare by kind first — this only shows
//!   with zero-padded runs such as `0000000000`;
//! - letter runs are qualifiers: `a`, `b`, `m` directly followed by a digit
//!   mean `alpha`, `beta`, `milestone`; `cr` is `rc`; `ga`, `final`,
//!   `release` are the empty qualifier. Known qualifiers order
//!   `alpha < beta < milestone < rc < snapshot < "" < sp`, any other
//!   qualifier comes after them, ordered as text (UTF-16 code units);
//! - each list drops its trailing "null" items (`0`, `""`, empty lists),
//!   walking back over non-null sub-lists, innermost list first.
//!
//! Lists compare item by item, padding the shorter with "nothing";
//! numbers > lists > qualifiers against each other; a number or list is
//! greater than nothing unless it is null; a qualifier compares to nothing
//! like to the empty qualifier (`1-rc < 1 < 1-sp`).
//!
//! "Digits" are Java's `Character.isDigit` (Unicode decimal digits of the
//! BMP, e.g. `٣` is 3). Every string is a version: parsing never fails,
//! except for the empty string (which Maven also accepts; a deliberate
//! difference).
//!
//! Maven's order is not transitive. Items of different kinds compare by
//! kind alone (number > list > qualifier), while a list that is shorter
//! compares by how the other's rest compares with "nothing"; the two
//! disagree when, say, a qualifier that sorts after nothing (`sp`, `""`,
//! unknown) meets a list or number whose rest sorts before nothing. So in
//! maven-artifact 3.8.7 `1 < 1.x < 1-0alpha < 1` and
//! `1.0.alpha.1 < 1 < 1.sp < 1.0.alpha.1`. Number kinds do the same: an
//! all-zero run of 10 or more digits is a long zero, above every int but
//! equal to nothing, so `00 < 3 < 0000000000.alpha < 00`. A Rust `Ord`
//! must be a total order (sorting may panic otherwise), so `Ord` changes
//! one thing: where the deciding items are of different kinds (item kinds,
//! or number kinds), the rests of both lists are first compared with
//! nothing, and only if they agree does the kind decide. The result is a lexicographic order (total). [`compare_maven`]
//! keeps Maven's exact answer; the two differ only on pairs of that shape.
//!
//! Lower-casing uses Rust's Unicode tables. They agree with Java's
//! `toLowerCase(Locale.ENGLISH)` except for the context-dependent capital
//! sigma `Σ` (Unicode's Final_Sigma rule here, Java's word BreakIterator
//! there) and for letters added after Unicode 13 (Java 17).

use std::cmp::Ordering;

use crate::VersionError;

/// Code points whose 10 successors are a block of Java decimal digits
/// (`Character.isDigit` on a `char`, Java 17 / Unicode 13, BMP only).
const DIGIT_ZEROS: [u16; 37] = [
    0x0030, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
    0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80,
    0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0,
    0xFF10,
];

/// The value of a Java decimal digit code unit.
fn java_digit(c: u16) -> Option<u8> {
    if (0x30..=0x39).contains(&c) {
        return Some((c - 0x30) as u8);
    }
    if c < 0x0660 {
        return None;
    }
    // The table is sorted: find the last zero <= c.
    let idx = DIGIT_ZEROS.partition_point(|&z| z <= c);
    let zero = *DIGIT_ZEROS.get(idx.checked_sub(1)?)?;
    let d = c - zero;
    (d < 10).then_some(d as u8)
}

/// A number item: Maven's IntItem (kind 0), LongItem (1), BigIntegerItem (2).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Num {
    kind: u8,
    /// Decimal value, ASCII, no leading zeros (`""` is zero).
    value: Box<str>,
}

impl Num {
    fn new(units: &[u16]) -> Num {
        // Maven strips only ASCII '0's to choose the kind (and keeps an
        // all-zero run as is).
        let first_non_zero = units.iter().position(|&u| u != u16::from(b'0'));
        let significant = match first_non_zero {
            Some(i) => units.len() - i,
            None => units.len(),
        };
        let kind = if significant <= 9 {
            0
        } else if significant <= 18 {
            1
        } else {
            2
        };
        let mut value = String::with_capacity(units.len());
        for &u in units {
            let d = java_digit(u).unwrap_or(0);
            if value.is_empty() && d == 0 {
                continue;
            }
            value.push(char::from(b'0' + d));
        }
        Num {
            kind,
            value: value.into(),
        }
    }

    fn is_zero(&self) -> bool {
        self.value.is_empty()
    }

    fn cmp_num(&self, o: &Num) -> Ordering {
        self.kind.cmp(&o.kind).then_with(|| {
            self.value
                .len()
                .cmp(&o.value.len())
                .then_with(|| self.value.cmp(&o.value))
        })
    }
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const RELEASE_RANK: u8 = 5;

/// A qualifier item (Maven's StringItem), after aliasing.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Qual {
    /// Index in [`QUALIFIERS`], or 7 for any other qualifier.
    rank: u8,
    /// The qualifier as UTF-16 (for ordering unknown qualifiers).
    text: Box<[u16]>,
}

impl Qual {
    fn new(units: &[u16], followed_by_digit: bool) -> Qual {
        let mut text = String::from_utf16_lossy(units);
        if followed_by_digit && units.len() == 1 {
            match text.as_str() {
                "a" => text = "alpha".into(),
                "b" => text = "beta".into(),
                "m" => text = "milestone".into(),
                _ => {}
            }
        }
        let aliased = match text.as_str() {
            "ga" | "final" | "release" => "",
            "cr" => "rc",
            t => t,
        };
        let rank = QUALIFIERS
            .iter()
            .position(|q| *q == aliased)
            .map_or(7, |i| i as u8);
        let text: Box<[u16]> = if rank == 7 {
            units.into()
        } else {
            Box::new([])
        };
        Qual { rank, text }
    }

    fn is_null(&self) -> bool {
        self.rank == RELEASE_RANK
    }

    fn cmp_qual(&self, o: &Qual) -> Ordering {
        self.rank.cmp(&o.rank).then_with(|| self.text.cmp(&o.text))
    }

    /// Against "nothing": like against the empty qualifier.
    fn cmp_none(&self) -> Ordering {
        self.rank.cmp(&RELEASE_RANK)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Num(Num),
    Qual(Qual),
    List(Vec<Item>),
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Num(n) => n.is_zero(),
            Item::Qual(q) => q.is_null(),
            Item::List(l) => l.is_empty(),
        }
    }

    /// `self.compareTo(null)`.
    fn cmp_none(&self) -> Ordering {
        match self {
            Item::Num(n) => {
                if n.is_zero() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            Item::Qual(q) => q.cmp_none(),
            Item::List(l) => l
                .iter()
                .map(Item::cmp_none)
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal),
        }
    }

    /// `self.compareTo(other)` (lists compared with `total`, see
    /// [`cmp_lists`]).
    fn cmp_item(&self, other: &Item, total: bool) -> Ordering {
        use Item::*;
        match (self, other) {
            (Num(a), Num(b)) => a.cmp_num(b),
            (Qual(a), Qual(b)) => a.cmp_qual(b),
            (List(a), List(b)) => cmp_lists(a, b, total),
            _ => self.kind().cmp(&other.kind()),
        }
    }

    /// The kind of a number item (int < long < big), which Maven also
    /// compares before the values; `0` for other items.
    fn num_kind(&self) -> u8 {
        match self {
            Item::Num(n) => n.kind,
            _ => 0,
        }
    }

    /// Maven's order between items of different kinds: qualifier < list <
    /// number.
    fn kind(&self) -> u8 {
        match self {
            Item::Qual(_) => 0,
            Item::List(_) => 1,
            Item::Num(_) => 2,
        }
    }
}

/// How `items[from..]` compares with nothing (Maven's `compareTo(null)`
/// applied to the rest of a list).
fn rest_vs_nothing(items: &[Item], from: usize) -> Ordering {
    items
        .get(from..)
        .unwrap_or(&[])
        .iter()
        .map(Item::cmp_none)
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// Maven's `ListItem.compareTo(ListItem)`. With `total`, one change makes
/// the order total: where the items at the deciding position are of
/// different kinds, the rests of both lists are first compared with
/// "nothing" (as Maven does when one list is shorter); Maven itself orders
/// by kind alone there, which is not transitive (see the module docs).
fn cmp_lists(a: &[Item], b: &[Item], total: bool) -> Ordering {
    let n = a.len().max(b.len());
    for i in 0..n {
        let o = match (a.get(i), b.get(i)) {
            (Some(l), Some(r)) => {
                if total && (l.kind() != r.kind() || l.num_kind() != r.num_kind()) {
                    let signs = rest_vs_nothing(a, i).cmp(&rest_vs_nothing(b, i));
                    if signs.is_ne() {
                        return signs;
                    }
                }
                l.cmp_item(r, total)
            }
            (Some(l), None) => l.cmp_none(),
            (None, Some(r)) => r.cmp_none().reverse(),
            (None, None) => Ordering::Equal,
        };
        if o.is_ne() {
            return o;
        }
    }
    Ordering::Equal
}

/// Maven's `ListItem.normalize()`: drop null items from the end, walking
/// back over non-null sub-lists.
fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if list[i].is_null() {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

/// Build the item tree. Maven's lists form a chain (each new list is the
/// last item of the previous one), so we collect the chain's levels and
/// nest them from the innermost outwards, normalizing each level first.
fn items(units: &[u16]) -> Vec<Item> {
    let is_digit = |u: u16| java_digit(u).is_some();
    let parse_item = |digit: bool, s: &[u16]| {
        if digit {
            Item::Num(Num::new(s))
        } else {
            Item::Qual(Qual::new(s, false))
        }
    };
    let zero = || Item::Num(Num::new(&[u16::from(b'0')]));
    let mut levels: Vec<Vec<Item>> = vec![Vec::new()];
    let mut digit = false;
    let mut start = 0;
    for (i, &c) in units.iter().enumerate() {
        let cur = levels.len() - 1;
        if c == u16::from(b'.') || c == u16::from(b'-') {
            let item = if i == start {
                zero()
            } else {
                parse_item(digit, &units[start..i])
            };
            levels[cur].push(item);
            start = i + 1;
            if c == u16::from(b'-') {
                levels.push(Vec::new());
            }
        } else if is_digit(c) {
            if !digit && i > start {
                if !levels[cur].is_empty() {
                    levels.push(Vec::new());
                }
                let cur = levels.len() - 1;
                levels[cur].push(Item::Qual(Qual::new(&units[start..i], true)));
                start = i;
                levels.push(Vec::new());
            }
            digit = true;
        } else {
            if digit && i > start {
                levels[cur].push(parse_item(true, &units[start..i]));
                start = i;
                levels.push(Vec::new());
            }
            digit = false;
        }
    }
    if units.len() > start {
        let mut cur = levels.len() - 1;
        if !digit && !levels[cur].is_empty() {
            levels.push(Vec::new());
            cur += 1;
        }
        levels[cur].push(parse_item(digit, &units[start..]));
    }
    let mut inner: Option<Vec<Item>> = None;
    while let Some(mut level) = levels.pop() {
        if let Some(child) = inner.take() {
            level.push(Item::List(child));
        }
        normalize(&mut level);
        inner = Some(level);
    }
    inner.unwrap_or_default()
}

/// A parsed Maven version.
#[derive(Debug, Clone)]
pub struct Version {
    original: String,
    items: Vec<Item>,
}

pub fn parse(s: &str) -> Result<Version, VersionError> {
    if s.is_empty() {
        return Err(VersionError::new("maven", s, "empty version"));
    }
    let lower = if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        s.to_lowercase()
    };
    let units: Vec<u16> = lower.encode_utf16().collect();
    Ok(Version {
        original: s.to_string(),
        items: items(&units),
    })
}

impl Version {
    /// Whether the version carries a qualifier that sorts before the
    /// release (`alpha`, `beta`, `milestone`, `rc`, `snapshot`).
    pub fn is_prerelease(&self) -> bool {
        fn walk(items: &[Item]) -> bool {
            items.iter().any(|i| match i {
                Item::Qual(q) => q.rank < RELEASE_RANK,
                Item::List(l) => walk(l),
                Item::Num(_) => false,
            })
        }
        walk(&self.items)
    }

    /// Maven's canonical form (`ComparableVersion.getCanonical()`).
    pub fn canonical(&self) -> String {
        fn render(items: &[Item], out: &mut String) {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(if matches!(item, Item::List(_)) {
                        '-'
                    } else {
                        '.'
                    });
                }
                match item {
                    Item::Num(n) => out.push_str(if n.value.is_empty() { "0" } else { &n.value }),
                    Item::Qual(q) => match q.rank {
                        7 => out.push_str(&String::from_utf16_lossy(&q.text)),
                        r => out.push_str(QUALIFIERS[usize::from(r)]),
                    },
                    Item::List(l) => render(l, out),
                }
            }
        }
        let mut out = String::new();
        render(&self.items, &mut out);
        out
    }
}

/// Exactly Maven's `ComparableVersion.compareTo` (sign). Maven's order
/// is not transitive on some odd versions (`1 < 1.x < 1-0alpha < 1`), so
/// [`Version`]'s `Ord` differs from this on those (and only those) pairs;
/// see the module documentation.
pub fn compare_maven(a: &Version, b: &Version) -> Ordering {
    cmp_lists(&a.items, &b.items, false)
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_lists(&self.items, &other.items, true)
    }
}

crate::eq_and_display_via_ord!(Version, original);

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        parse(a).unwrap().cmp(&parse(b).unwrap())
    }

    /// Each version is lower than the next (Maven's ComparableVersionTest
    /// and the "Version Order Specification" of the POM reference).
    #[test]
    fn documented_order() {
        let chain = [
            "1-alpha-snapshot",
            "1-alpha",
            "1-alpha2",
            "1-beta-1",
            "1-beta-2",
            "1-milestone-1",
            "1-rc",
            "1-rc-2",
            "1-snapshot",
            "1",
            "1-sp",
            "1-sp2",
            "1-abc",
            "1-def",
            "1-1-snapshot",
            "1-1",
            "1-2",
            "1.0.0.1",
            "1.1",
            "1.2",
            "1.10",
            "2.0-1",
            "2.0.1",
            "2.0.1-klm",
            "2.0.1-lmn",
            "2.0.1-xyz",
            "2.0.1-123",
            "2.0.1.123",
            "2.0.2",
            "11.0.0-m1",
            "11.0.0",
        ];
        for w in chain.windows(2) {
            assert_eq!(cmp(w[0], w[1]), Less, "{} < {}", w[0], w[1]);
            assert_eq!(cmp(w[1], w[0]), Greater, "{} > {}", w[1], w[0]);
        }
    }

    #[test]
    fn documented_equalities() {
        let groups: &[&[&str]] = &[
            &[
                "1",
                "1.0",
                "1.0.0",
                "1-0",
                "1.0-0",
                "1-ga",
                "1.ga",
                "1-final",
                "1-release",
                "1-",
            ],
            &["1a1", "1-a1", "1.a1", "1-alpha-1", "1alpha1", "1.alpha1"],
            &["1b2", "1-beta-2", "1.beta2"],
            &["1m3", "1-milestone-3", "1.MILESTONE3"],
            &["1-cr1", "1-rc1", "1.RC1", "1-RC-1"],
            &["1.x", "1-x", "1.0.x"],
            &["2.0.1.xyz", "2.0.1-xyz"],
            &["1-SNAPSHOT", "1-snapshot", "1.0-Snapshot"],
            &["12345678901234567890", "012345678901234567890"],
        ];
        for group in groups {
            for a in *group {
                for b in *group {
                    assert_eq!(cmp(a, b), Equal, "{a} == {b}");
                }
            }
        }
    }

    #[test]
    fn dot_before_a_number_is_not_a_dash() {
        // `1.beta.2` is [1, [beta, 2]] while `1-beta-2` is [1, [beta, [2]]].
        assert_eq!(cmp("1.beta.2", "1-beta-2"), Less);
        assert_eq!(cmp("1.RC.1", "1-rc1"), Less);
    }

    #[test]
    fn shorthands_need_a_digit() {
        assert_eq!(cmp("1-a", "1-alpha"), Greater); // "a" is an unknown qualifier
        assert_eq!(cmp("1-a1", "1-alpha-1"), Equal);
        assert_eq!(cmp("1-m", "1-milestone"), Greater);
    }

    #[test]
    fn big_numbers() {
        assert_eq!(
            cmp("1.99999999999999999999999", "1.99999999999999999999998"),
            Greater
        );
        assert_eq!(cmp("1.2147483648", "1.2147483647"), Greater);
        assert_eq!(
            cmp("1.9223372036854775808", "1.9223372036854775807"),
            Greater
        );
        // Maven quirk: a zero-padded run of 10+ characters is a "long" zero.
        assert_eq!(cmp("1.0000000000.1", "1.0.1"), Greater);
    }

    #[test]
    fn unicode_digits_and_case() {
        assert_eq!(cmp("1.\u{0663}", "1.3"), Equal); // ARABIC-INDIC DIGIT THREE
        assert_eq!(cmp("1.\u{FF15}", "1.5"), Equal); // FULLWIDTH DIGIT FIVE
        assert_eq!(cmp("1-ÄBC", "1-äbc"), Equal);
    }

    #[test]
    fn maven_cycle_is_broken_in_ord_only() {
        let (one, x, zero_alpha) = (
            parse("1").unwrap(),
            parse("1.x").unwrap(),
            parse("1-0alpha").unwrap(),
        );
        // maven-artifact 3.8.7: 1 < 1.x, 1.x < 1-0alpha, 1-0alpha < 1.
        assert_eq!(compare_maven(&one, &x), Less);
        assert_eq!(compare_maven(&x, &zero_alpha), Less);
        assert_eq!(compare_maven(&zero_alpha, &one), Less);
        // Ord: 1-0alpha < 1 < 1.x.
        assert_eq!(zero_alpha.cmp(&one), Less);
        assert_eq!(one.cmp(&x), Less);
        assert_eq!(zero_alpha.cmp(&x), Less);
    }

    #[test]
    fn number_kind_cycle_is_broken_in_ord_only() {
        let (zz, three, long_alpha) = (
            parse("00").unwrap(),
            parse("\u{0663}").unwrap(),
            parse("0000000000.alpha.").unwrap(),
        );
        // maven-artifact 3.x (tests/reference/ComparableVersionRef.java):
        // 00 < ٣ (3), ٣ < 0000000000.alpha (a long zero is above every
        // int), 0000000000.alpha < 00 (but equal to nothing).
        assert_eq!(compare_maven(&zz, &three), Less);
        assert_eq!(compare_maven(&three, &long_alpha), Less);
        assert_eq!(compare_maven(&long_alpha, &zz), Less);
        // Ord: 0000000000.alpha < 00 < ٣ (found by the order_ver2
        // property test).
        assert_eq!(long_alpha.cmp(&zz), Less);
        assert_eq!(zz.cmp(&three), Less);
        assert_eq!(long_alpha.cmp(&three), Less);
    }

    #[test]
    fn helpers() {
        let v = parse("1.0-RC1").unwrap();
        assert!(v.is_prerelease());
        assert_eq!(v.to_string(), "1.0-RC1");
        assert_eq!(v.canonical(), "1-rc-1");
        assert!(!parse("1.0-sp1").unwrap().is_prerelease());
        assert!(parse("").is_err());
    }
}
