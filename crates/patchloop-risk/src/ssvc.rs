//! SSVC: the deployer decision (CERT/CC "Deployer Patch Application
//! Priority" v1.0.0, whose decision points the issue names: exploitation,
//! system exposure, automatable, human (mission and well-being) impact),
//! with its outcomes named as CISA names them:
//!
//! | deployer outcome | CISA label | meaning |
//! |---|---|---|
//! | defer | Track | no action beyond normal update cycles |
//! | scheduled | Track* | track closely, fix in the next scheduled cycle |
//! | out-of-cycle | Attend | fix sooner than usual, out of cycle |
//! | immediate | Act | fix now, with every resource needed |
//!
//! The table has 72 rows (3 × 3 × 2 × 4); `tests::whole_table` checks every
//! row against the published CSV.

use patchloop_model::Priority;

/// Exploitation evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exploitation {
    None,
    PublicPoc,
    Active,
}

impl Exploitation {
    pub fn as_str(self) -> &'static str {
        match self {
            Exploitation::None => "none",
            Exploitation::PublicPoc => "public poc",
            Exploitation::Active => "active",
        }
    }
}

/// System exposure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SystemExposure {
    Small,
    Controlled,
    Open,
}

impl SystemExposure {
    pub fn as_str(self) -> &'static str {
        match self {
            SystemExposure::Small => "small",
            SystemExposure::Controlled => "controlled",
            SystemExposure::Open => "open",
        }
    }
}

/// Human impact: mission and well-being combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HumanImpact {
    Low,
    Medium,
    High,
    VeryHigh,
}

impl HumanImpact {
    pub fn as_str(self) -> &'static str {
        match self {
            HumanImpact::Low => "low",
            HumanImpact::Medium => "medium",
            HumanImpact::High => "high",
            HumanImpact::VeryHigh => "very high",
        }
    }
}

use Priority::{Act as I, Attend as O, Track as D, TrackStar as S};

/// Outcomes in the published row order: exploitation (none, public poc,
/// active) × exposure (small, controlled, open) × automatable (no, yes) ×
/// human impact (low, medium, high, very high).
#[rustfmt::skip]
const TABLE: [Priority; 72] = [
    // none
    D, D, S, S,  D, S, S, S,   // small: no, yes
    D, S, S, S,  S, S, S, S,   // controlled
    D, S, S, S,  S, S, S, O,   // open
    // public poc
    D, S, S, S,  S, S, S, S,
    D, S, S, S,  S, S, S, O,
    S, S, S, O,  S, S, O, O,
    // active
    S, S, O, O,  S, O, O, O,
    S, S, O, O,  O, O, O, O,
    S, O, O, I,  O, O, I, I,
];

/// The decision and the table row (0-based) that gave it.
pub fn decide(
    e: Exploitation,
    x: SystemExposure,
    automatable: bool,
    h: HumanImpact,
) -> (Priority, u8) {
    let row = (e as usize) * 24 + (x as usize) * 8 + usize::from(automatable) * 4 + h as usize;
    (TABLE[row], row as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CERT/CC SSVC `data/csv/ssvc/deployer_patch_application_priority_1_0_0.csv`
    /// (github.com/CERTCC/SSVC), the published decision table.
    const PUBLISHED: &str = "\
0,none,small,no,low,defer
1,none,small,no,medium,defer
2,none,small,no,high,scheduled
3,none,small,no,very high,scheduled
4,none,small,yes,low,defer
5,none,small,yes,medium,scheduled
6,none,small,yes,high,scheduled
7,none,small,yes,very high,scheduled
8,none,controlled,no,low,defer
9,none,controlled,no,medium,scheduled
10,none,controlled,no,high,scheduled
11,none,controlled,no,very high,scheduled
12,none,controlled,yes,low,scheduled
13,none,controlled,yes,medium,scheduled
14,none,controlled,yes,high,scheduled
15,none,controlled,yes,very high,scheduled
16,none,open,no,low,defer
17,none,open,no,medium,scheduled
18,none,open,no,high,scheduled
19,none,open,no,very high,scheduled
20,none,open,yes,low,scheduled
21,none,open,yes,medium,scheduled
22,none,open,yes,high,scheduled
23,none,open,yes,very high,out-of-cycle
24,public poc,small,no,low,defer
25,public poc,small,no,medium,scheduled
26,public poc,small,no,high,scheduled
27,public poc,small,no,very high,scheduled
28,public poc,small,yes,low,scheduled
29,public poc,small,yes,medium,scheduled
30,public poc,small,yes,high,scheduled
31,public poc,small,yes,very high,scheduled
32,public poc,controlled,no,low,defer
33,public poc,controlled,no,medium,scheduled
34,public poc,controlled,no,high,scheduled
35,public poc,controlled,no,very high,scheduled
36,public poc,controlled,yes,low,scheduled
37,public poc,controlled,yes,medium,scheduled
38,public poc,controlled,yes,high,scheduled
39,public poc,controlled,yes,very high,out-of-cycle
40,public poc,open,no,low,scheduled
41,public poc,open,no,medium,scheduled
42,public poc,open,no,high,scheduled
43,public poc,open,no,very high,out-of-cycle
44,public poc,open,yes,low,scheduled
45,public poc,open,yes,medium,scheduled
46,public poc,open,yes,high,out-of-cycle
47,public poc,open,yes,very high,out-of-cycle
48,active,small,no,low,scheduled
49,active,small,no,medium,scheduled
50,active,small,no,high,out-of-cycle
51,active,small,no,very high,out-of-cycle
52,active,small,yes,low,scheduled
53,active,small,yes,medium,out-of-cycle
54,active,small,yes,high,out-of-cycle
55,active,small,yes,very high,out-of-cycle
56,active,controlled,no,low,scheduled
57,active,controlled,no,medium,scheduled
58,active,controlled,no,high,out-of-cycle
59,active,controlled,no,very high,out-of-cycle
60,active,controlled,yes,low,out-of-cycle
61,active,controlled,yes,medium,out-of-cycle
62,active,controlled,yes,high,out-of-cycle
63,active,controlled,yes,very high,out-of-cycle
64,active,open,no,low,scheduled
65,active,open,no,medium,out-of-cycle
66,active,open,no,high,out-of-cycle
67,active,open,no,very high,immediate
68,active,open,yes,low,out-of-cycle
69,active,open,yes,medium,out-of-cycle
70,active,open,yes,high,immediate
71,active,open,yes,very high,immediate
";

    #[test]
    fn whole_table() {
        let mut n = 0;
        for line in PUBLISHED.lines() {
            let f: Vec<&str> = line.split(',').collect();
            let e = match f[1] {
                "none" => Exploitation::None,
                "public poc" => Exploitation::PublicPoc,
                "active" => Exploitation::Active,
                x => panic!("{x}"),
            };
            let x = match f[2] {
                "small" => SystemExposure::Small,
                "controlled" => SystemExposure::Controlled,
                "open" => SystemExposure::Open,
                x => panic!("{x}"),
            };
            let a = f[3] == "yes";
            let h = match f[4] {
                "low" => HumanImpact::Low,
                "medium" => HumanImpact::Medium,
                "high" => HumanImpact::High,
                "very high" => HumanImpact::VeryHigh,
                x => panic!("{x}"),
            };
            let want = match f[5] {
                "defer" => Priority::Track,
                "scheduled" => Priority::TrackStar,
                "out-of-cycle" => Priority::Attend,
                "immediate" => Priority::Act,
                x => panic!("{x}"),
            };
            let (got, row) = decide(e, x, a, h);
            assert_eq!(
                (got, row as usize),
                (want, f[0].parse::<usize>().unwrap()),
                "{line}"
            );
            assert_eq!(e.as_str(), f[1]);
            assert_eq!(x.as_str(), f[2]);
            assert_eq!(h.as_str(), f[4]);
            n += 1;
        }
        assert_eq!(n, 72);
    }

    #[test]
    fn decisions_are_monotonic() {
        // More exploitation, exposure, automatability or impact never
        // lowers the priority.
        let es = [
            Exploitation::None,
            Exploitation::PublicPoc,
            Exploitation::Active,
        ];
        let xs = [
            SystemExposure::Small,
            SystemExposure::Controlled,
            SystemExposure::Open,
        ];
        let hs = [
            HumanImpact::Low,
            HumanImpact::Medium,
            HumanImpact::High,
            HumanImpact::VeryHigh,
        ];
        for (ei, e) in es.iter().enumerate() {
            for (xi, x) in xs.iter().enumerate() {
                for a in [false, true] {
                    for (hi, h) in hs.iter().enumerate() {
                        let d = decide(*e, *x, a, *h).0;
                        if ei + 1 < es.len() {
                            assert!(decide(es[ei + 1], *x, a, *h).0 >= d);
                        }
                        if xi + 1 < xs.len() {
                            assert!(decide(*e, xs[xi + 1], a, *h).0 >= d);
                        }
                        if !a {
                            assert!(decide(*e, *x, true, *h).0 >= d);
                        }
                        if hi + 1 < hs.len() {
                            assert!(decide(*e, *x, a, hs[hi + 1]).0 >= d);
                        }
                    }
                }
            }
        }
    }
}
