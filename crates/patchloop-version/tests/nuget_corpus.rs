//! NuGet has no reference implementation runnable here (no .NET), so this
//! test checks the scheme against the GHSA NuGet sample (every version
//! parses; every range is ordered `introduced < fixed`) and, on 30,000
//! seeded pairs, against a separately written model of the documented
//! rules (numeric parts padded to four, labels numeric-before-text and
//! case-insensitive, metadata ignored).

mod diffkit;

use std::cmp::Ordering;

use diffkit::{Osv, Rng, osv_versions};
use patchloop_version::nuget;

/// The documented rules, written independently of `nuget.rs`: returns
/// `None` for invalid input.
type ModelKey = (Vec<u64>, Option<Vec<(u8, i64, String)>>);

fn model_key(s: &str) -> Option<ModelKey> {
    let s = s.trim();
    let (main, meta) = match s.find('+') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    if let Some(m) = meta
        && m.split('.')
            .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    {
        return None;
    }
    let (nums, labels) = match main.find('-') {
        Some(i) => (&main[..i], Some(&main[i + 1..])),
        None => (main, None),
    };
    let mut n: Vec<u64> = Vec::new();
    for p in nums.split('.') {
        if p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let v: u64 = p.trim_start_matches('0').parse().unwrap_or(0);
        if p.trim_start_matches('0').len() > 10 || v > i32::MAX as u64 {
            return None;
        }
        n.push(v);
    }
    if n.len() > 4 {
        return None;
    }
    n.resize(4, 0);
    let labels = match labels {
        None => None,
        Some(l) => {
            let mut out = Vec::new();
            for p in l.split('.') {
                let ok = !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
                let leading_zero =
                    p.len() > 1 && p.starts_with('0') && p.chars().all(|c| c.is_ascii_digit());
                if !ok || leading_zero {
                    return None;
                }
                match p.parse::<i32>() {
                    Ok(v) => out.push((0u8, v as i64, String::new())),
                    Err(_) => out.push((1u8, 0, p.to_uppercase())),
                }
            }
            Some(out)
        }
    };
    Some((n, labels))
}

fn model_cmp(a: &str, b: &str) -> Option<Ordering> {
    let (na, la) = model_key(a)?;
    let (nb, lb) = model_key(b)?;
    Some(na.cmp(&nb).then_with(|| match (la, lb) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => x.cmp(&y),
    }))
}

#[test]
fn ghsa_nuget_versions_parse_and_ranges_are_ordered() {
    let Some(dir) = patchloop_testdata::shared_data("osv-ghsa-sample/NuGet") else {
        return;
    };
    let mut ranges = 0;
    for f in patchloop_testdata::files_under(&dir) {
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        for aff in doc["affected"].as_array().into_iter().flatten() {
            for r in aff["ranges"].as_array().into_iter().flatten() {
                let mut intro = None;
                for ev in r["events"].as_array().into_iter().flatten() {
                    if let Some(v) = ev["introduced"].as_str() {
                        intro = Some(
                            nuget::parse(v).unwrap_or_else(|e| panic!("{}: {e}", f.display())),
                        );
                    }
                    if let Some(v) = ev["fixed"].as_str().or(ev["last_affected"].as_str()) {
                        let fixed =
                            nuget::parse(v).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
                        let i = intro.take().expect("introduced before fixed");
                        assert!(i < fixed, "{}: {i} < {fixed}", f.display());
                        ranges += 1;
                    }
                }
            }
        }
    }
    assert!(ranges >= 10, "only {ranges} ranges");
}

#[test]
fn nuget_agrees_with_documented_model() {
    let Some(mut pool) = osv_versions(
        "osv-ghsa-sample/NuGet",
        Osv::ranges(&["ECOSYSTEM", "SEMVER"]).with_lists(),
    ) else {
        return;
    };
    let nums = [
        "0",
        "1",
        "2",
        "10",
        "01",
        "007",
        "2147483647",
        "0",
        "1",
        "3",
    ];
    let bad_nums = ["2147483648", "99999999999", "", "a", "-1"];
    let labels = [
        "alpha",
        "Alpha",
        "ALPHA",
        "beta",
        "rc",
        "RC",
        "0",
        "1",
        "2",
        "10",
        "01",
        "-1",
        "-0",
        "--1",
        "a-b",
        "2147483647",
        "2147483648",
        "-2147483648",
        "-2147483649",
        "0a",
        "preview",
    ];
    let bad_labels = ["", "é", "00", "a_b"];
    let metas = [
        "",
        "",
        "",
        "",
        "+build",
        "+001",
        "+a.b",
        "+a..b",
        "+",
        "+sha.5114f85",
    ];
    let mut rng = Rng::new(0x9e7);
    for _ in 0..3000 {
        let mut s = String::new();
        if rng.chance(5) {
            s.push(' ');
        }
        s.push_str(rng.pick(&nums));
        let extra = if rng.chance(5) { 5 } else { 4 };
        for _ in 0..rng.below(extra) {
            s.push('.');
            s.push_str(if rng.chance(3) {
                rng.pick(&bad_nums)
            } else {
                rng.pick(&nums)
            });
        }
        if rng.chance(50) {
            s.push('-');
            for i in 0..1 + rng.below(3) {
                if i > 0 {
                    s.push('.');
                }
                s.push_str(if rng.chance(3) {
                    rng.pick(&bad_labels)
                } else {
                    rng.pick(&labels)
                });
            }
        }
        s.push_str(rng.pick(&metas));
        pool.push(s);
    }
    pool.sort();
    pool.dedup();
    let (mut compared, mut ordered) = (0, 0);
    let mut bad = Vec::new();
    for _ in 0..30_000 {
        let a = rng.pick(&pool);
        let b = rng.pick(&pool);
        compared += 1;
        let ours = match (nuget::parse(&a), nuget::parse(&b)) {
            (Ok(x), Ok(y)) => Some(x.cmp(&y)),
            _ => None,
        };
        let model = model_cmp(&a, &b);
        if ours.is_some() {
            ordered += 1;
        }
        if ours != model {
            bad.push(format!("{a:?} vs {b:?}: ours {ours:?}, model {model:?}"));
        }
    }
    eprintln!(
        "nuget: {compared} pairs, {ordered} ordered, {} disagreements with the model",
        bad.len()
    );
    assert!(
        bad.is_empty(),
        "first 20:\n{}",
        bad[..bad.len().min(20)].join("\n")
    );
}
