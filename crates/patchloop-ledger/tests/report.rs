//! The three report writers on a realistic scan report: SARIF checked
//! against the official OASIS schema, CycloneDX with cyclonedx-python-lib's
//! strict validator, Markdown by structure (escaping, counts, size limit).
//!
//! The validators are Python tools. When python3 or the library is missing
//! the validation step prints a SKIPPED notice and returns, except under
//! `CI=true`, where it fails.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use patchloop_ledger::report::{cyclonedx, markdown, sarif};
use patchloop_model::{
    Category, DatabaseInfo, Diagnostic, DiagnosticLevel, Ecosystem, Finding, FindingPackage,
    Occurrence, PolicyNote, Relation, SCAN_SCHEMA, ScanReport, Scope, SeverityInfo, SeverityLevel,
    Summary, Suppression, purl_for,
};
use serde_json::Value;

// ---------------------------------------------------------------------------
// Fixture

fn occ(path: &str, line: Option<u32>, paths: &[&[&str]]) -> Occurrence {
    Occurrence {
        path: path.to_string(),
        line,
        relation: if paths.iter().any(|p| p.len() > 1) {
            Relation::Transitive
        } else {
            Relation::Direct
        },
        scope: Scope::Runtime,
        paths: paths
            .iter()
            .map(|p| p.iter().map(|s| s.to_string()).collect())
            .collect(),
    }
}

fn cvss(level: SeverityLevel, score: f64, vector: &str, source: &str) -> SeverityInfo {
    SeverityInfo {
        level,
        score: Some(score),
        vector: Some(vector.to_string()),
        kind: Some(
            if vector.starts_with("CVSS:4") {
                "CVSS_V4"
            } else {
                "CVSS_V3"
            }
            .to_string(),
        ),
        source: Some(source.to_string()),
    }
}

#[allow(clippy::too_many_arguments)]
fn finding(
    id: &str,
    aliases: &[&str],
    eco: Ecosystem,
    name: &str,
    version: &str,
    fixed: Option<&str>,
    severity: SeverityInfo,
    summary: &str,
    occurrences: Vec<Occurrence>,
) -> Finding {
    Finding {
        id: id.to_string(),
        aliases: aliases.iter().map(|s| s.to_string()).collect(),
        records: vec![id.to_string()],
        category: Category::Vulnerability,
        informational: None,
        summary: Some(summary.to_string()),
        package: FindingPackage {
            purl: purl_for(&eco, name, version),
            ecosystem: eco,
            name: name.to_string(),
            version: version.to_string(),
        },
        occurrences,
        fixed: fixed.map(str::to_string),
        severity,
        url: Some(format!("https://osv.dev/vulnerability/{id}")),
        published: Some("2023-10-12T17:20:00Z".to_string()),
        modified: Some("2024-06-01T08:00:00.123456Z".to_string()),
        suppressed: None,
        exploitation: Default::default(),
        risk: None,
        distro: None,
    }
}

const HOSTILE_SUMMARY: &str = "Pipes | in | summary <script>alert(1)</script>\n\
     second line with `backticks` and [a link](https://evil.example) @everyone \
     Ünïcödé 日本語 \u{202E}txet desrever";

fn summary_of(findings: &[Finding]) -> Summary {
    let mut s = Summary {
        files: 6,
        packages: 412,
        unpinned: 3,
        unmatched: 1,
        ..Summary::default()
    };
    let mut pkgs = BTreeSet::new();
    for f in findings {
        match (f.is_active(), f.category) {
            (false, _) => s.suppressed += 1,
            (true, Category::Informational) => s.informational += 1,
            (true, Category::Vulnerability) => {
                s.vulnerabilities += 1;
                *s.by_severity.entry(f.severity.level).or_insert(0) += 1;
                pkgs.insert((f.package.name.clone(), f.package.version.clone()));
            }
        }
    }
    s.vulnerable_packages = pkgs.len();
    s
}

fn report_with(findings: Vec<Finding>) -> ScanReport {
    ScanReport {
        schema: SCAN_SCHEMA.to_string(),
        generator: "patchloop 0.1.0".to_string(),
        database: DatabaseInfo {
            path: "/home/dev/.cache/patchloop/db.sqlite".to_string(),
            age_secs: Some(3600),
            stale: false,
            warning: None,
        },
        summary: summary_of(&findings),
        findings,
        policy: vec![
            PolicyNote {
                kind: "expired-ignore".to_string(),
                id: "RUSTSEC-2022-0040".to_string(),
                rule: ".patchloop.toml:20".to_string(),
                message: "the ignore expired on 2024-01-31".to_string(),
            },
            PolicyNote {
                kind: "unmatched-ignore".to_string(),
                id: "GHSA-xxxx-yyyy-zzzz".to_string(),
                rule: ".patchloop.toml:25".to_string(),
                message: "no finding matches this ignore | <b>stale?</b>".to_string(),
            },
        ],
        diagnostics: vec![Diagnostic {
            level: DiagnosticLevel::Warning,
            path: "legacy/yarn.lock".to_string(),
            line: Some(40),
            message: "unsupported entry skipped".to_string(),
        }],
    }
}

/// A scan of a polyglot repository: npm, crates.io, Go (one advisory in
/// two modules), PyPI, a hostile advisory with unknown severity, an
/// informational advisory and an ignored finding.
fn sample() -> ScanReport {
    let go = || Ecosystem::GO;
    let mut findings = vec![
        finding(
            "GHSA-67hx-6x53-jw92",
            &["CVE-2023-45133"],
            Ecosystem::NPM,
            "@babel/traverse",
            "7.22.0",
            Some("7.23.2"),
            cvss(
                SeverityLevel::Critical,
                9.3,
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                "GHSA-67hx-6x53-jw92",
            ),
            "Babel vulnerable to arbitrary code execution when compiling specifically crafted malicious code.",
            vec![
                occ(
                    "package-lock.json",
                    Some(120),
                    &[&["@babel/core@7.22.0", "@babel/traverse@7.22.0"]],
                ),
                occ("apps/web/package-lock.json", Some(88), &[]),
            ],
        ),
        finding(
            "RUSTSEC-2024-0003",
            &["GHSA-8r5v-vm4m-4g25"],
            Ecosystem::CRATES_IO,
            "h2",
            "0.3.21",
            Some("0.3.24"),
            cvss(
                SeverityLevel::High,
                7.5,
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
                "RUSTSEC-2024-0003",
            ),
            "Resource exhaustion vulnerability in h2 may lead to Denial of Service (DoS)",
            vec![occ(
                "Cargo.lock",
                Some(301),
                &[
                    &["hyper@0.14.27", "h2@0.3.21"],
                    &["reqwest@0.11.20", "hyper@0.14.27", "h2@0.3.21"],
                ],
            )],
        ),
        finding(
            "GO-2024-2687",
            &["CVE-2023-45288", "GHSA-4v7x-pqxf-cx7m"],
            go(),
            "golang.org/x/net",
            "0.17.0",
            Some("0.23.0"),
            cvss(
                SeverityLevel::High,
                7.5,
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
                "GHSA-4v7x-pqxf-cx7m",
            ),
            "HTTP/2 CONTINUATION flood in net/http",
            vec![occ("go.mod", Some(7), &[])],
        ),
        finding(
            "GO-2024-2687",
            &["CVE-2023-45288", "GHSA-4v7x-pqxf-cx7m"],
            go(),
            "golang.org/x/net",
            "0.19.0",
            Some("0.23.0"),
            cvss(
                SeverityLevel::High,
                7.5,
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
                "GHSA-4v7x-pqxf-cx7m",
            ),
            "HTTP/2 CONTINUATION flood in net/http",
            vec![occ("services/api/go.mod", Some(12), &[])],
        ),
        finding(
            "PYSEC-2023-74",
            &["CVE-2023-32681", "GHSA-j8r2-6x86-q33q"],
            Ecosystem::PYPI,
            "requests",
            "2.25.0",
            Some("2.31.0"),
            cvss(
                SeverityLevel::Medium,
                6.1,
                "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N",
                "GHSA-j8r2-6x86-q33q",
            ),
            "Unintended leak of Proxy-Authorization header in requests",
            vec![occ("requirements.txt", Some(3), &[])],
        ),
    ];

    let mut rsa = finding(
        "RUSTSEC-2023-0071",
        &["CVE-2023-49092", "GHSA-c38w-74pg-36hr"],
        Ecosystem::CRATES_IO,
        "rsa",
        "0.9.6",
        None,
        cvss(
            SeverityLevel::Medium,
            5.9,
            "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N",
            "RUSTSEC-2023-0071",
        ),
        "Marvin Attack: potential key recovery through timing sidechannels",
        vec![occ(
            "Cargo.lock",
            Some(512),
            &[&["jsonwebtoken@9.2.0", "rsa@0.9.6"]],
        )],
    );
    rsa.suppressed = Some(Suppression {
        reason: "We only verify signatures | never decrypt <b>RSA</b>".to_string(),
        expires: Some("2026-12-31".to_string()),
        rule: ".patchloop.toml:12".to_string(),
    });
    findings.push(rsa);

    let mut hostile = finding(
        "OSV-2099-0|01",
        &["CVE-2099-0001|x", "`GHSA-evil`"],
        Ecosystem::PYPI,
        "evil_pkg",
        "1.0.0",
        None,
        SeverityInfo::default(),
        HOSTILE_SUMMARY,
        vec![occ("sub dir/poetry.lock", None, &[])],
    );
    hostile.url = Some("javascript:alert(1)".to_string());
    hostile.published = Some("yesterday".to_string());
    hostile.modified = None;
    findings.push(hostile);

    let mut info = finding(
        "RUSTSEC-2020-0036",
        &[],
        Ecosystem::CRATES_IO,
        "failure",
        "0.1.8",
        None,
        SeverityInfo::default(),
        "failure is officially deprecated/unmaintained",
        vec![occ(
            "Cargo.lock",
            Some(88),
            &[&["some-cli@1.0.0", "failure@0.1.8"]],
        )],
    );
    info.category = Category::Informational;
    info.informational = Some("unmaintained".to_string());
    info.url = Some("https://rustsec.org/advisories/RUSTSEC-2020-0036.html".to_string());
    findings.push(info);

    let mut unsound = finding(
        "RUSTSEC-2099-0002",
        &[],
        Ecosystem::CRATES_IO,
        "weird|crate",
        "0.0.1",
        Some("0.0.2"),
        SeverityInfo::default(),
        HOSTILE_SUMMARY,
        vec![occ("tools/Cargo.lock", Some(5), &[])],
    );
    unsound.category = Category::Informational;
    unsound.informational = Some("unsound".to_string());
    findings.push(unsound);

    report_with(findings)
}

// ---------------------------------------------------------------------------
// Python validators

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn skip_or_fail(why: &str) {
    if in_ci() {
        panic!("validator unavailable under CI=true: {why}");
    }
    // Straight to the process's stderr: the test harness captures
    // `eprintln!` of passing tests, and this notice must be seen.
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: {why} (set CI=true to make this a failure)"
    );
}

/// What a validator said.
#[derive(Debug, PartialEq)]
enum Verdict {
    Valid,
    Invalid(String),
    /// python3 or the library is missing (already reported by skip_or_fail).
    Unavailable,
}

/// Run `python3 tests/script args...`.
fn run_validator(script: &str, args: &[&Path]) -> Verdict {
    let out = Command::new("python3")
        .arg(manifest_dir().join("tests").join(script))
        .args(args)
        .output();
    let out = match out {
        Ok(o) => o,
        Err(e) => {
            skip_or_fail(&format!("python3 cannot be run: {e}"));
            return Verdict::Unavailable;
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => {
            eprintln!("{script}: {}", stdout.trim());
            Verdict::Valid
        }
        Some(3) => {
            skip_or_fail(stderr.trim());
            Verdict::Unavailable
        }
        _ => Verdict::Invalid(format!("{stdout}{stderr}")),
    }
}

/// Write `texts` to temporary files named `name-N`.
fn temp_files(dir: &Path, name: &str, texts: &[&str]) -> Vec<PathBuf> {
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let file = dir.join(format!("{i}-{name}"));
            std::fs::write(&file, t).unwrap();
            file
        })
        .collect()
}

/// Validate SARIF logs against the vendored OASIS schema (one python run).
fn validate_sarif(texts: &[&str]) -> Verdict {
    let dir = tempfile::tempdir().unwrap();
    let files = temp_files(dir.path(), "report.sarif", texts);
    let schema = manifest_dir().join("tests/schemas/sarif-schema-2.1.0.json");
    let mut args: Vec<&Path> = vec![&schema];
    args.extend(files.iter().map(PathBuf::as_path));
    run_validator("validate_sarif.py", &args)
}

/// Validate CycloneDX BOMs with the strict 1.6 validator (one python run).
fn validate_cyclonedx(texts: &[&str]) -> Verdict {
    let dir = tempfile::tempdir().unwrap();
    let files = temp_files(dir.path(), "bom.cdx.json", texts);
    let args: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    run_validator("validate_cyclonedx.py", &args)
}

fn assert_valid(v: Verdict) {
    if let Verdict::Invalid(why) = v {
        panic!("the validator rejected the document:\n{why}");
    }
}

/// The validator must reject a broken document (guards against a
/// validator that accepts everything).
fn assert_invalid(v: Verdict, expect: &str) {
    match v {
        Verdict::Invalid(why) => assert!(why.contains(expect), "{why}"),
        Verdict::Unavailable => {}
        Verdict::Valid => panic!("the validator accepted a broken document"),
    }
}

// ---------------------------------------------------------------------------
// SARIF

fn sarif_opts() -> sarif::SarifOptions {
    sarif::SarifOptions {
        tool_version: "0.1.0".to_string(),
        information_uri: "https://example.invalid/patchloop".to_string(),
        automation_id: Some("patchloop/scan/".to_string()),
    }
}

#[test]
fn sarif_is_valid_against_the_official_schema() {
    let r = sample();
    // With an empty report and default options too.
    let empty = report_with(Vec::new());
    assert_valid(validate_sarif(&[
        &sarif::write(&r, &sarif_opts()),
        &sarif::write(&empty, &sarif::SarifOptions::default()),
    ]));
}

#[test]
fn sarif_validator_rejects_an_invalid_log() {
    let mut v = sarif::to_value(&sample(), &sarif_opts());
    v["runs"][0]["results"][0]["level"] = Value::from("fatal");
    v["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
        Value::from("a b\\c");
    let verdict = validate_sarif(&[&serde_json::to_string(&v).unwrap()]);
    if let Verdict::Invalid(why) = &verdict {
        assert!(why.contains("is not a 'uri-reference'"), "{why}");
    }
    assert_invalid(verdict, "'fatal' is not one of");
}

#[test]
fn sarif_structure() {
    let r = sample();
    let v = sarif::to_value(&r, &sarif_opts());
    assert_eq!(v["$schema"], sarif::SARIF_SCHEMA);
    assert_eq!(v["version"], "2.1.0");
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "patchloop");
    assert_eq!(driver["version"], "0.1.0");
    assert_eq!(
        driver["informationUri"],
        "https://example.invalid/patchloop"
    );
    assert_eq!(run["automationDetails"]["id"], "patchloop/scan/");

    // One rule per distinct id, in order of first appearance.
    let rules = driver["rules"].as_array().unwrap();
    let mut ids: Vec<&str> = Vec::new();
    for f in &r.findings {
        if !ids.contains(&f.id.as_str()) {
            ids.push(&f.id);
        }
    }
    let rule_ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(rule_ids, ids);

    // One result per occurrence, ruleIndex pointing at the rule of ruleId.
    let results = run["results"].as_array().unwrap();
    let occurrences: usize = r.findings.iter().map(|f| f.occurrences.len()).sum();
    assert_eq!(results.len(), occurrences);
    let mut k = 0;
    for f in &r.findings {
        for o in &f.occurrences {
            let res = &results[k];
            k += 1;
            assert_eq!(res["ruleId"], f.id.as_str());
            let idx = res["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[idx]["id"], f.id.as_str());
            let phys = &res["locations"][0]["physicalLocation"];
            // startLine exactly when the line is known.
            match o.line {
                Some(l) => assert_eq!(phys["region"]["startLine"], l),
                None => assert!(phys.get("region").is_none(), "{res}"),
            }
            assert_eq!(phys["artifactLocation"]["uriBaseId"], sarif::SRCROOT);
            // Suppressions exactly for suppressed findings.
            match &f.suppressed {
                Some(s) => {
                    assert_eq!(res["suppressions"][0]["kind"], "external");
                    assert_eq!(res["suppressions"][0]["justification"], s.reason.as_str());
                }
                None => assert!(res.get("suppressions").is_none()),
            }
            let fp = res["partialFingerprints"][sarif::FINGERPRINT_KEY]
                .as_str()
                .unwrap();
            assert_eq!(fp.len(), 64);
            assert!(fp.bytes().all(|b| b.is_ascii_hexdigit()));
            assert_eq!(res["properties"]["purl"], f.package.purl.as_str());
        }
    }
    // Fingerprints differ between results.
    let fps: BTreeSet<&str> = results
        .iter()
        .map(|r| {
            r["partialFingerprints"][sarif::FINGERPRINT_KEY]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(fps.len(), results.len());

    let rule = |id: &str| rules.iter().find(|r| r["id"] == id).unwrap();
    let result = |id: &str| results.iter().find(|r| r["ruleId"] == id).unwrap();

    // Levels and security-severity.
    let babel = rule("GHSA-67hx-6x53-jw92");
    assert_eq!(babel["defaultConfiguration"]["level"], "error");
    assert_eq!(babel["properties"]["security-severity"], "9.3");
    let tags = babel["properties"]["tags"].as_array().unwrap();
    assert!(tags.contains(&Value::from("security")));
    assert!(tags.contains(&Value::from("npm")));
    assert_eq!(
        babel["helpUri"],
        "https://osv.dev/vulnerability/GHSA-67hx-6x53-jw92"
    );
    assert!(
        babel["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("CVE-2023-45133")
    );
    assert_eq!(
        rule("PYSEC-2023-74")["defaultConfiguration"]["level"],
        "warning"
    );
    assert_eq!(
        rule("PYSEC-2023-74")["properties"]["security-severity"],
        "6.1"
    );
    let info = rule("RUSTSEC-2020-0036");
    assert_eq!(info["defaultConfiguration"]["level"], "note");
    assert!(info["properties"].get("security-severity").is_none());
    let info_tags = info["properties"]["tags"].as_array().unwrap();
    assert!(info_tags.contains(&Value::from("informational")));
    assert!(info_tags.contains(&Value::from("unmaintained")));
    assert_eq!(result("RUSTSEC-2020-0036")["level"], "note");

    // Unknown severity, no line, no fix, hostile text and url.
    let evil = rule("OSV-2099-0|01");
    assert_eq!(evil["defaultConfiguration"]["level"], "note");
    assert!(evil["properties"].get("security-severity").is_none());
    assert!(
        evil.get("helpUri").is_none(),
        "javascript: url must be dropped"
    );
    let md = evil["help"]["markdown"].as_str().unwrap();
    assert!(!md.contains("<script"), "{md}");
    let er = result("OSV-2099-0|01");
    assert_eq!(
        er["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "sub%20dir/poetry.lock"
    );
    let msg = er["message"]["text"].as_str().unwrap();
    assert!(
        msg.starts_with("evil_pkg@1.0.0 is affected by OSV-2099-0|01"),
        "{msg}"
    );
    assert!(msg.ends_with("No fixed version is known."), "{msg}");
    assert!(er["properties"].get("fixedVersion").is_none());

    // The message names package, ids, summary, fix and dependency path.
    let h2 = result("RUSTSEC-2024-0003");
    assert_eq!(
        h2["message"]["text"],
        "h2@0.3.21 is affected by RUSTSEC-2024-0003 (GHSA-8r5v-vm4m-4g25): Resource \
         exhaustion vulnerability in h2 may lead to Denial of Service (DoS). Fixed in \
         0.3.24. Dependency path: hyper@0.14.27 > h2@0.3.21."
    );
    assert_eq!(
        h2["properties"]["dependencyPaths"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Policy notes and diagnostics become notifications.
    let inv = &run["invocations"][0];
    assert_eq!(inv["executionSuccessful"], true);
    assert_eq!(
        inv["toolConfigurationNotifications"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(inv["toolExecutionNotifications"][0]["level"], "warning");
}

#[test]
fn sarif_fingerprints_are_stable_across_line_moves() {
    let mut a = sample();
    let before = sarif::to_value(&a, &sarif_opts());
    a.findings[1].occurrences[0].line = Some(999);
    let after = sarif::to_value(&a, &sarif_opts());
    assert_eq!(
        before["runs"][0]["results"][2]["partialFingerprints"],
        after["runs"][0]["results"][2]["partialFingerprints"]
    );
}

// ---------------------------------------------------------------------------
// CycloneDX

fn cdx_opts() -> cyclonedx::CycloneDxOptions {
    cyclonedx::CycloneDxOptions {
        tool_version: "0.1.0".to_string(),
        timestamp: Some("2024-06-01T10:00:00+02:00".to_string()),
        serial_number: Some("3e671687-395b-41f5-a30f-a58921a69b79".to_string()),
    }
}

#[test]
fn cyclonedx_is_valid_for_the_strict_validator() {
    let r = sample();
    let empty = report_with(Vec::new());
    assert_valid(validate_cyclonedx(&[
        &cyclonedx::write(&r, &cdx_opts()),
        &cyclonedx::write(&empty, &cyclonedx::CycloneDxOptions::default()),
        &cyclonedx::write(&r, &cyclonedx::CycloneDxOptions::generated_now("0.1.0")),
    ]));
}

#[test]
fn cyclonedx_validator_rejects_an_invalid_bom() {
    let mut v = cyclonedx::to_value(&sample(), &cdx_opts());
    v["vulnerabilities"][0]["analysis"] = serde_json::json!({"state": "ignored"});
    assert_invalid(validate_cyclonedx(&[&v.to_string()]), "ignored");
}

#[test]
fn cyclonedx_structure() {
    let r = sample();
    let v = cyclonedx::to_value(&r, &cdx_opts());
    assert_eq!(v["bomFormat"], "CycloneDX");
    assert_eq!(v["specVersion"], "1.6");
    assert_eq!(
        v["serialNumber"],
        "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"
    );
    assert_eq!(v["metadata"]["timestamp"], "2024-06-01T08:00:00Z");
    let tool = &v["metadata"]["tools"]["components"][0];
    assert_eq!(tool["type"], "application");
    assert_eq!(tool["name"], "patchloop");
    assert_eq!(tool["version"], "0.1.0");

    // One component per distinct purl, bom-ref = purl.
    let components = v["components"].as_array().unwrap();
    let purls: BTreeSet<&str> = r.findings.iter().map(|f| f.package.purl.as_str()).collect();
    assert_eq!(components.len(), purls.len());
    for c in components {
        assert_eq!(c["type"], "library");
        assert_eq!(c["bom-ref"], c["purl"]);
    }
    let babel = components
        .iter()
        .find(|c| c["purl"] == "pkg:npm/%40babel/traverse@7.22.0")
        .expect("the npm component");
    assert_eq!(babel["group"], "@babel");
    assert_eq!(babel["name"], "traverse");

    // One vulnerability per id.
    let vulns = v["vulnerabilities"].as_array().unwrap();
    let ids: BTreeSet<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(vulns.len(), ids.len());
    let vuln = |id: &str| vulns.iter().find(|x| x["id"] == id).unwrap();

    // The Go advisory in two modules: one vulnerability, two affects.
    let go = vuln("GO-2024-2687");
    let affects = go["affects"].as_array().unwrap();
    assert_eq!(affects.len(), 2);
    assert_eq!(affects[0]["ref"], "pkg:golang/golang.org/x/net@0.17.0");
    assert_eq!(affects[0]["versions"][0]["version"], "0.17.0");
    assert_eq!(affects[0]["versions"][0]["status"], "affected");
    assert_eq!(affects[1]["ref"], "pkg:golang/golang.org/x/net@0.19.0");
    assert_eq!(go["source"]["name"], "Go Vulnerability Database");
    assert_eq!(go["source"]["url"], "https://pkg.go.dev/vuln/GO-2024-2687");
    assert_eq!(go["references"].as_array().unwrap().len(), 2);
    assert_eq!(go["references"][0]["id"], "CVE-2023-45288");
    assert_eq!(go["references"][0]["source"]["name"], "NVD");
    assert_eq!(
        go["ratings"].as_array().unwrap().len(),
        1,
        "equal ratings merged"
    );
    assert_eq!(go["ratings"][0]["method"], "CVSSv31");
    assert_eq!(go["ratings"][0]["severity"], "high");
    assert_eq!(go["ratings"][0]["score"], 7.5);
    assert_eq!(go["recommendation"], "Upgrade golang.org/x/net to 0.23.0.");
    assert_eq!(go["published"], "2023-10-12T17:20:00Z");
    assert_eq!(go["updated"], "2024-06-01T08:00:00Z");

    assert_eq!(
        vuln("GHSA-67hx-6x53-jw92")["ratings"][0]["method"],
        "CVSSv4"
    );
    assert_eq!(vuln("RUSTSEC-2024-0003")["source"]["name"], "RustSec");
    assert_eq!(
        vuln("RUSTSEC-2024-0003")["source"]["url"],
        "https://rustsec.org/advisories/RUSTSEC-2024-0003.html"
    );
    assert_eq!(vuln("PYSEC-2023-74")["source"]["name"], "PyPA");

    // Ignored: analysis with the reason, no state; property names the package.
    let rsa = vuln("RUSTSEC-2023-0071");
    let detail = rsa["analysis"]["detail"].as_str().unwrap();
    assert!(detail.contains("We only verify signatures"), "{detail}");
    assert!(detail.contains("2026-12-31") && detail.contains(".patchloop.toml:12"));
    assert!(rsa["analysis"].get("state").is_none());
    assert!(rsa.get("recommendation").is_none());
    assert!(
        rsa["properties"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "patchloop:ignored" && p["value"] == "pkg:cargo/rsa@0.9.6")
    );
    assert!(vuln("GO-2024-2687").get("analysis").is_none());

    // Unknown severity, hostile url and unparsable date.
    let evil = vuln("OSV-2099-0|01");
    assert_eq!(
        evil["ratings"][0],
        serde_json::json!({"severity": "unknown"})
    );
    assert_eq!(
        evil["description"], HOSTILE_SUMMARY,
        "kept verbatim (JSON escapes it)"
    );
    assert!(evil.get("advisories").is_none());
    assert!(evil.get("published").is_none());
    assert_eq!(
        evil["source"]["url"],
        "https://osv.dev/vulnerability/OSV-2099-0%7C01"
    );

    // Informational.
    let info = vuln("RUSTSEC-2020-0036");
    assert_eq!(info["ratings"][0], serde_json::json!({"severity": "info"}));
    assert!(
        info["properties"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "patchloop:informational" && p["value"] == "unmaintained")
    );
}

// ---------------------------------------------------------------------------
// Markdown

/// `|` characters not escaped by a backslash.
fn unescaped_pipes(line: &str) -> usize {
    let mut n = 0;
    let mut backslashes = 0;
    for c in line.chars() {
        match c {
            '\\' => backslashes += 1,
            '|' => {
                if backslashes % 2 == 0 {
                    n += 1;
                }
                backslashes = 0;
            }
            _ => backslashes = 0,
        }
    }
    n
}

#[test]
fn markdown_counts_table_and_sections() {
    let r = sample();
    let md = markdown::write(&r, &markdown::MarkdownOptions::default());
    let first = md.lines().next().unwrap();
    assert_eq!(
        first,
        "### patchloop scan: 6 vulnerabilities (1 critical, 3 high, 1 medium, 1 unknown) \
         in 6 packages; 2 informational; 1 ignored"
    );
    assert!(md.contains("Scanned 412 packages in 6 files."));

    // Table: header, separator and one row per active vulnerability, each
    // with 9 unescaped pipes (8 columns).
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
    assert_eq!(rows.len(), 2 + 6, "{md}");
    for row in &rows {
        assert_eq!(unescaped_pipes(row), 9, "row breaks the table: {row}");
    }
    // Not prioritized in this sample: priority and due are dashes.
    assert!(rows[2].starts_with(
        "| — | — | critical 9.3 | [GHSA-67hx-6x53-jw92](https://osv.dev/vulnerability/GHSA-67hx-6x53-jw92) \
         (CVE-2023-45133) | @&#8203;babel/traverse (npm) | 7.22.0 | 7.23.2 | package-lock.json:120 (+1 more) |"
    ), "{}", rows[2]);
    // Order as given.
    assert!(rows[3].contains("RUSTSEC-2024-0003"));
    assert!(rows[7].contains("OSV-2099-0\\|01"));
    // Unknown severity, no fix, no line, javascript url not linked.
    assert!(
        rows[7].starts_with(
            "| — | — | unknown | OSV-2099-0\\|01 (CVE-2099-0001\\|x, \\`GHSA-evil\\`) |"
        ),
        "{}",
        rows[7]
    );
    assert!(
        rows[7].contains("| — | sub dir/poetry.lock |"),
        "{}",
        rows[7]
    );
    assert!(!md.contains("javascript:"));

    // No raw HTML, mention or bidi override from hostile text anywhere.
    assert!(!md.contains("<script"));
    assert!(!md.contains("<b>"));
    assert!(!md.contains("@everyone"));
    assert!(!md.contains('\u{202E}'));

    assert!(md.contains("#### Informational (2)"));
    assert!(md.contains("[RUSTSEC-2020-0036](https://rustsec.org/advisories/RUSTSEC-2020-0036.html) **unmaintained**"));
    assert!(md.contains("#### Ignored (1)"));
    assert!(md.contains(
        "We only verify signatures \\| never decrypt &lt;b&gt;RSA&lt;/b&gt;, until 2026-12-31 (rule .patchloop.toml:12)"
    ), "{md}");
    assert!(md.contains("#### Policy (2)"));
    assert!(md.contains("**expired-ignore** RUSTSEC-2022-0040"));
    assert!(md.contains("1 diagnostic while reading inputs"));
    // The hostile summary stays on its list item's line, escaped.
    let unsound = md
        .lines()
        .find(|l| l.contains("RUSTSEC-2099-0002"))
        .unwrap();
    assert!(unsound.starts_with("- [RUSTSEC-2099-0002]("), "{unsound}");
    assert!(
        unsound.contains(
            "**unsound**: weird\\|crate (crates.io) 0.0.1, fixed in 0.0.2 — Pipes \\| in \\| \
             summary &lt;script&gt;alert(1)&lt;/script&gt; second line with \\`backticks\\` and \
             \\[a link\\](https://evil.example) @&#8203;everyone Ünïcödé 日本語 txet desrever \
             (tools/Cargo.lock:5)"
        ),
        "{unsound}"
    );
    assert_eq!(unescaped_pipes(unsound), 0);
}

#[test]
fn markdown_for_a_clean_scan() {
    let mut r = report_with(Vec::new());
    r.policy.clear();
    r.diagnostics.clear();
    let md = markdown::write(&r, &markdown::MarkdownOptions::default());
    assert!(md.starts_with(
        "### patchloop scan: 0 vulnerabilities in 0 packages; 0 informational; 0 ignored\n"
    ));
    assert!(!md.contains('|'));
    assert!(!md.contains("####"));
}

#[test]
fn markdown_stays_under_the_comment_limit() {
    // 3,000 findings with long fields: far over 65,536 characters.
    let base = sample();
    let template = base.findings[1].clone();
    let mut findings = Vec::new();
    for i in 0..3000 {
        let mut f = template.clone();
        f.id = format!("RUSTSEC-2024-{i:04}");
        f.package.name = format!("crate-with-a-long-name-{i}-{}", "x".repeat(40));
        f.summary = Some("s".repeat(500));
        findings.push(f);
    }
    let mut ignored = base.findings[5].clone();
    ignored.id = "RUSTSEC-2023-9999".to_string();
    findings.push(ignored);
    findings.push(base.findings[7].clone());
    let r = report_with(findings);

    let opts = markdown::MarkdownOptions::default();
    let md = markdown::write(&r, &opts);
    assert!(md.len() <= opts.max_len, "{} bytes", md.len());
    assert!(md.chars().count() <= markdown::GITHUB_COMMENT_LIMIT);
    let rows = md
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("RUSTSEC-2024-"))
        .count();
    assert!(rows > 100, "{rows} rows");
    let note = format!("… and {} more vulnerabilities not shown", 3000 - rows);
    assert!(md.contains(&note), "missing {note:?}");
    // The later sections and the footer still appear.
    assert!(md.contains("#### Informational (1)"));
    assert!(md.contains("#### Ignored (1)"));
    assert!(md.contains("#### Policy (2)"));
    assert!(md.ends_with("run `patchloop scan` for details.\n"));

    // A tight limit is honoured too.
    let small = markdown::MarkdownOptions {
        max_len: 4000,
        ..Default::default()
    };
    let md = markdown::write(&r, &small);
    assert!(md.len() <= 4000, "{} bytes", md.len());
    assert!(md.contains("more vulnerabilities not shown"));
}

// ---------------------------------------------------------------------------
// Determinism

#[test]
fn output_is_deterministic() {
    let outputs = |r: &ScanReport| {
        (
            sarif::write(r, &sarif_opts()),
            cyclonedx::write(r, &cdx_opts()),
            markdown::write(r, &markdown::MarkdownOptions::default()),
        )
    };
    let a = outputs(&sample());
    let b = outputs(&sample());
    assert_eq!(a, b);
    assert!(a.0.ends_with("}\n") && a.1.ends_with("}\n"));
    // The JSON written equals the value form.
    let v: Value = serde_json::from_str(&a.0).unwrap();
    assert_eq!(v, sarif::to_value(&sample(), &sarif_opts()));
    let v: Value = serde_json::from_str(&a.1).unwrap();
    assert_eq!(v, cyclonedx::to_value(&sample(), &cdx_opts()));
    // Key order is fixed by the writers' structs, not by a map.
    let first_keys: Vec<&str> = a.1.lines().skip(1).take(3).collect();
    assert_eq!(
        first_keys,
        [
            "  \"$schema\": \"http://cyclonedx.org/schema/bom-1.6.schema.json\",",
            "  \"bomFormat\": \"CycloneDX\",",
            "  \"specVersion\": \"1.6\","
        ]
    );
}
