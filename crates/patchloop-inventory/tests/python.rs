//! The PyPI parsers against the real lockfiles in ../shared/data/lockfiles/PyPI.
//! Expected values were read from the files with independent scripts
//! (Python's tomllib/json), not copied from the parsers' output.

use std::path::PathBuf;

use patchloop_inventory::{Format, Limits, Parsed, parse_bytes, parse_path};
use patchloop_model::{Package, Relation, Resolution, Scope};

fn real(name: &str) -> Option<PathBuf> {
    patchloop_testdata::shared_data(&format!("lockfiles/PyPI/{name}"))
}

fn parse_real(name: &str, format: Format) -> Option<Parsed> {
    let path = real(name)?;
    let display = format!("PyPI/{name}");
    Some(parse_path(&path, &display, format, Limits::default()).expect("real file parses"))
}

fn get<'a>(p: &'a Parsed, name: &str, version: &str) -> &'a Package {
    p.source
        .packages
        .iter()
        .find(|x| x.name == name && x.version == version)
        .unwrap_or_else(|| panic!("{name} {version} missing"))
}

fn count(p: &Parsed, f: impl Fn(&Package) -> bool) -> usize {
    p.source.packages.iter().filter(|x| f(x)).count()
}

#[test]
fn pygoat_requirements() {
    let Some(p) = parse_real("pygoat-master__requirements.txt", Format::Requirements) else {
        return;
    };
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    assert_eq!(p.source.format, "requirements");
    assert_eq!(p.source.packages.len(), 34);
    assert!(
        p.source
            .packages
            .iter()
            .all(|x| x.resolution == Resolution::Exact
                && x.relation == Relation::Direct
                && x.scope == Scope::Runtime)
    );
    let y = get(&p, "PyYAML", "5.1");
    assert_eq!(y.purl, "pkg:pypi/pyyaml@5.1");
    assert_eq!(y.line(), Some(27));
    assert_eq!(y.locations[0].path, "PyPI/pygoat-master__requirements.txt");
    assert_eq!(get(&p, "Django", "4.2").line(), Some(11));
    assert_eq!(get(&p, "urllib3", "1.26.9").line(), Some(31));
    assert_eq!(
        get(&p, "argon2-cffi-bindings", "21.2.0").purl,
        "pkg:pypi/argon2-cffi-bindings@21.2.0"
    );
}

#[test]
fn poetry_1_1_lock() {
    let Some(p) = parse_real("poetry-1.1.0__poetry.lock", Format::PoetryLock) else {
        return;
    };
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    assert_eq!(p.source.format_version.as_deref(), Some("1.1"));
    // 83 [[package]] entries, 83 distinct name/version pairs (keyring at
    // three versions; more-itertools, pytest, secretstorage at two).
    assert_eq!(p.source.packages.len(), 83);
    assert_eq!(count(&p, |x| x.scope == Scope::Runtime), 57);
    assert_eq!(count(&p, |x| x.scope == Scope::Dev), 26);
    // No pyproject.toml beside it: relation unknown, no root.
    assert!(p.source.roots.is_empty());
    assert!(
        p.source
            .packages
            .iter()
            .all(|x| x.relation == Relation::Unknown)
    );

    let c = get(&p, "cachecontrol", "0.12.6");
    assert_eq!(c.purl, "pkg:pypi/cachecontrol@0.12.6");
    assert_eq!(c.line(), Some(44));
    assert_eq!(
        c.dependencies,
        vec![
            "pkg:pypi/lockfile@0.12.2",
            "pkg:pypi/msgpack@1.0.0",
            "pkg:pypi/requests@2.24.0"
        ]
    );
    let u = get(&p, "urllib3", "1.25.10");
    assert_eq!(u.line(), Some(907));
    assert_eq!(u.scope, Scope::Runtime);
    assert_eq!(
        u.checksums,
        vec![
            "sha256:e7983572181f5e1522d9c98453462384ee92a0be7fac5f1413a1e35c56cc0461",
            "sha256:91056c15fa70756691db97756772bb1eb9678fa585d9184f24534b100dc60f4a"
        ]
    );
    // Constraints pick the locked copy: `secretstorage = "<3"` vs ">=3".
    assert!(
        get(&p, "keyring", "18.0.1")
            .dependencies
            .contains(&"pkg:pypi/secretstorage@2.3.1".to_string())
    );
    assert!(
        get(&p, "keyring", "21.4.0")
            .dependencies
            .contains(&"pkg:pypi/secretstorage@3.1.2".to_string())
    );
    assert!(
        !get(&p, "keyring", "21.4.0")
            .dependencies
            .contains(&"pkg:pypi/secretstorage@2.3.1".to_string())
    );
    // [metadata.files] hashes split by the version in the file name.
    assert_eq!(get(&p, "pytest", "4.6.11").checksums.len(), 2);
    assert_eq!(get(&p, "more-itertools", "5.0.0").checksums.len(), 3);
    assert_eq!(get(&p, "more-itertools", "8.5.0").checksums.len(), 2);
}

#[test]
fn poetry_main_lock() {
    let Some(p) = parse_real("poetry-main__poetry.lock", Format::PoetryLock) else {
        return;
    };
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    assert_eq!(p.source.format_version.as_deref(), Some("2.1"));
    assert_eq!(p.source.packages.len(), 78);
    // groups containing "main" → runtime (none optional); others → dev.
    assert_eq!(count(&p, |x| x.scope == Scope::Runtime), 53);
    assert_eq!(count(&p, |x| x.scope == Scope::Dev), 25);
    let a = get(&p, "anyio", "4.13.0");
    assert_eq!(a.line(), Some(4));
    assert_eq!(a.relation, Relation::Unknown);
    assert_eq!(
        a.dependencies,
        vec![
            "pkg:pypi/exceptiongroup@1.3.1",
            "pkg:pypi/idna@3.13",
            "pkg:pypi/typing-extensions@4.15.0"
        ]
    );
    assert_eq!(
        a.checksums[0],
        "sha256:08b310f9e24a9594186fd75b4f73f4a4152069e3853f1ed8bfbf58369f4ad708"
    );
    let core = get(&p, "poetry-core", "2.4.1");
    assert_eq!(core.line(), Some(1403));
    assert_eq!(
        core.resolution,
        Resolution::Vcs {
            url: "https://github.com/python-poetry/poetry-core.git".into(),
            rev: Some("e3998b0e111dc03e4aa721fd054c48e5c7de6fc5".into())
        }
    );
    let u = get(&p, "urllib3", "2.6.3");
    assert_eq!((u.line(), u.scope), (Some(2035), Scope::Runtime));
}

#[test]
fn pydantic_uv_lock() {
    let Some(p) = parse_real("pydantic-main__uv.lock", Format::UvLock) else {
        return;
    };
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    assert_eq!(p.source.format_version.as_deref(), Some("1 (revision 3)"));
    // 176 [[package]] entries: 2 workspace members are roots.
    assert_eq!(p.source.packages.len(), 174);
    let roots: Vec<(&str, Option<&str>, usize)> = p
        .source
        .roots
        .iter()
        .map(|r| (r.name.as_str(), r.path.as_deref(), r.dependencies.len()))
        .collect();
    assert_eq!(
        roots,
        vec![
            ("pydantic", Some("."), 50),
            ("pydantic-core", Some("pydantic-core"), 26)
        ]
    );
    assert_eq!(count(&p, |x| x.relation == Relation::Direct), 61);
    assert_eq!(count(&p, |x| x.relation == Relation::Transitive), 113);
    assert_eq!(count(&p, |x| x.scope == Scope::Runtime), 3);
    assert_eq!(count(&p, |x| x.scope == Scope::Optional), 4);
    assert_eq!(count(&p, |x| x.scope == Scope::Dev), 167);

    let t = get(&p, "typing-extensions", "4.15.0");
    assert_eq!(t.purl, "pkg:pypi/typing-extensions@4.15.0");
    assert_eq!(t.line(), Some(3942));
    assert_eq!((t.relation, t.scope), (Relation::Direct, Scope::Runtime));
    let e = get(&p, "email-validator", "2.2.0");
    assert_eq!((e.relation, e.scope), (Relation::Direct, Scope::Optional));
    assert_eq!(
        e.dependencies,
        vec!["pkg:pypi/dnspython@2.7.0", "pkg:pypi/idna@3.15"]
    );
    // Resolution forks: two versions, each reached through a marker.
    let r = get(&p, "rpds-py", "0.30.0");
    assert_eq!(
        (r.line(), r.relation, r.scope),
        (Some(3343), Relation::Transitive, Scope::Dev)
    );
    assert_eq!(get(&p, "rpds-py", "2026.6.3").line(), Some(3468));
    assert_eq!(get(&p, "numpy", "2.2.6").relation, Relation::Direct);
    let docs = get(&p, "pydantic-docs", "0.0.1");
    assert_eq!(docs.line(), Some(2755));
    assert_eq!(
        docs.resolution,
        Resolution::Vcs {
            url: "https://github.com/pydantic/pydantic-docs".into(),
            rev: Some("6f657b30593b00cf5f7c0b7eca74e83b3b6b7819".into())
        }
    );
    assert_eq!(docs.scope, Scope::Dev);
    let a = get(&p, "annotated-types", "0.7.0");
    assert_eq!(a.line(), Some(195));
    assert!(a.checksums.iter().all(|c| c.starts_with("sha256:")));
    assert_eq!(a.checksums.len(), 2);
}

#[test]
fn pipenv_pipfile_lock() {
    let Some(p) = parse_real("pipenv-main__Pipfile.lock", Format::PipfileLock) else {
        return;
    };
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    assert_eq!(p.source.format_version.as_deref(), Some("6"));
    // 10 default + 100 develop entries; 5 names are in both at the same
    // version and merge.
    assert_eq!(p.source.packages.len(), 105);
    assert_eq!(count(&p, |x| x.scope == Scope::Runtime), 10);
    assert_eq!(count(&p, |x| x.scope == Scope::Dev), 95);
    assert!(
        p.source
            .packages
            .iter()
            .all(|x| x.relation == Relation::Unknown)
    );
    let t = get(&p, "pytest", "9.0.3");
    assert_eq!(t.scope, Scope::Runtime);
    let lines: Vec<Option<u32>> = t.locations.iter().map(|l| l.line).collect();
    assert_eq!(lines, vec![Some(57), Some(1167)]);
    assert_eq!(
        t.checksums,
        vec![
            "sha256:2c5efc453d45394fdd706ade797c0a81091eccd1d6e4bccfcd476e2b8e0ab5d9",
            "sha256:b86ada508af81d19edeb213c681b1d48246c1a91d304c6c81a427674c17eb91c"
        ]
    );
    // Same name, other version in develop: two packages.
    assert_eq!(get(&p, "exceptiongroup", "1.3.1").line(), Some(17));
    let eg = get(&p, "exceptiongroup", "1.1.0");
    assert_eq!((eg.line(), eg.scope), (Some(690), Scope::Dev));
    let c = get(&p, "coverage", "7.13.5");
    assert_eq!((c.line(), c.scope), (Some(506), Scope::Dev));
    assert_eq!(c.purl, "pkg:pypi/coverage@7.13.5");
}

/// Parse every prefix at `offsets` as bytes: Ok or Err, never a panic.
fn truncations(format: Format, bytes: &[u8], offsets: impl Iterator<Item = usize>) {
    for n in offsets {
        let n = n.min(bytes.len());
        let _ = parse_bytes(format, "x", &bytes[..n]);
        // Also as text cut at the nearest char boundary below, so the
        // parser itself (not only UTF-8 decoding) sees the truncation.
        if let Ok(s) = std::str::from_utf8(bytes) {
            let mut m = n;
            while !s.is_char_boundary(m) {
                m -= 1;
            }
            let _ = patchloop_inventory::parse_str(format, "x", &s[..m]);
        }
    }
}

#[test]
fn truncated_real_files_never_panic() {
    let files = [
        (
            "pygoat-master__requirements.txt",
            Format::Requirements,
            "# ünï ✓\n",
        ),
        ("poetry-1.1.0__poetry.lock", Format::PoetryLock, "# ünï ✓\n"),
        ("poetry-main__poetry.lock", Format::PoetryLock, "# ünï ✓\n"),
        ("pydantic-main__uv.lock", Format::UvLock, "# ünï ✓\n"),
        ("pipenv-main__Pipfile.lock", Format::PipfileLock, ""),
    ];
    for (name, format, prefix) in files {
        let Some(path) = real(name) else { return };
        let text = std::fs::read_to_string(&path).unwrap();
        // The corpus files are ASCII: add multi-byte characters (a TOML or
        // requirements comment; inside a JSON string) so cuts fall inside
        // them too.
        let text = if format == Format::PipfileLock {
            text.replacen("\"name\": \"pypi\"", "\"name\": \"pypï✓\"", 1)
        } else {
            format!("{prefix}{text}")
        };
        let bytes = text.as_bytes();
        let len = bytes.len();
        let step = (len / 97).max(1);
        let mb = text.find('ï').unwrap_or(0);
        truncations(
            format,
            bytes,
            (0..len)
                .step_by(step)
                .chain(mb..mb + 6)
                .chain([len / 2, len / 2 + 1, len - 1, len]),
        );
    }
}

#[test]
fn requirements_fuzzish_lines_never_panic() {
    let lines = [
        "-r",
        "-c",
        "-e",
        "--hash",
        "-r ../../../../etc/passwd",
        "name @",
        "@",
        ";",
        "[",
        "]",
        "x[",
        "x]",
        "git+",
        "git+@",
        "git+https://@",
        "https://",
        "file:",
        "file://",
        ".",
        "..",
        "./[",
        "é",
        "é==1",
        "\\",
        "x==1 \\",
        "x ; é",
        "x --hash",
        "x --hash=",
        "-e git+x#egg=",
        "-e #egg=x",
        "x===",
        "x (",
        "x ()",
        "x (==1",
        "${A}==${B}",
        "-r${X}",
    ];
    for a in lines {
        for b in lines {
            let text = format!("{a}\n{b}\n{a}{b}\n");
            let _ = patchloop_inventory::parse_str(Format::Requirements, "requirements.txt", &text);
        }
    }
}

#[test]
fn hostile_nesting_is_an_error_not_a_crash() {
    let deep_toml = format!(
        "[[package]]\nname = \"a\"\nversion = \"1\"\nwheels = {}",
        "[".repeat(100_000)
    );
    let deep_toml2 = format!("x = {}{}", "[".repeat(50_000), "]".repeat(50_000));
    for format in [
        Format::PoetryLock,
        Format::UvLock,
        Format::PdmLock,
        Format::PyLock,
    ] {
        assert!(patchloop_inventory::parse_str(format, "x", &deep_toml).is_err());
        let _ = patchloop_inventory::parse_str(format, "x", &deep_toml2);
    }
    let deep_json = format!("{{\"default\": {}", "[".repeat(100_000));
    assert!(patchloop_inventory::parse_str(Format::PipfileLock, "x", &deep_json).is_err());
    let marker = format!(
        "[[packages]]\nname = \"a\"\nversion = \"1\"\nmarker = \"{}'a' in extras{}\"\n",
        "(".repeat(20_000),
        ")".repeat(20_000)
    );
    assert!(patchloop_inventory::parse_str(Format::PyLock, "x", &marker).is_ok());
}
