//! The CLI conventions, end to end through the real binary: help on every
//! command, exit codes, stdout for reports and stderr for diagnostics,
//! `--output`, `--strict`, colors.

use assert_cmd::Command;
use predicates::prelude::*;

fn patchloop() -> Command {
    let mut c = Command::cargo_bin("patchloop").unwrap();
    c.env_remove("NO_COLOR");
    c
}

const LOCK: &str = r#"version = 3

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["smallvec"]

[[package]]
name = "smallvec"
version = "0.6.9"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;

fn project() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("Cargo.lock"), LOCK).unwrap();
    d
}

#[test]
fn help_on_every_command() {
    for args in [
        vec!["--help"],
        vec!["inventory", "--help"],
        vec!["formats", "--help"],
        vec!["help", "inventory"],
    ] {
        patchloop()
            .args(&args)
            .assert()
            .success()
            .stdout(predicate::str::contains("Usage:"));
    }
}

#[test]
fn usage_error_exits_2() {
    patchloop()
        .args(["inventory", "--format", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid value"));
    patchloop().arg("no-such-command").assert().code(2);
}

#[test]
fn missing_path_exits_2_with_message() {
    patchloop()
        .args(["inventory", "/definitely/not/here"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/definitely/not/here"));
}

#[test]
fn table_to_stdout_summary_to_stderr() {
    let d = project();
    patchloop()
        .current_dir(d.path())
        .args(["inventory"])
        .assert()
        .success()
        .stdout(predicate::str::contains("smallvec").and(predicate::str::contains("0.6.9")))
        .stderr(predicate::str::contains("1 packages in 1 files"));
    // -q silences the summary.
    patchloop()
        .current_dir(d.path())
        .args(["-q", "inventory"])
        .assert()
        .success()
        .stderr(predicate::str::is_empty());
}

#[test]
fn json_output_is_the_documented_schema() {
    let d = project();
    let out = patchloop()
        .args(["inventory", "--format", "json"])
        .arg(d.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "patchloop.inventory/v1");
    let p = &v["sources"][0]["packages"][0];
    assert_eq!(p["name"], "smallvec");
    assert_eq!(p["ecosystem"], "crates.io");
    assert_eq!(p["purl"], "pkg:cargo/smallvec@0.6.9");
    assert_eq!(p["relation"], "direct");
    assert_eq!(p["scope"], "runtime");
    assert_eq!(p["locations"][0]["line"], 9);
    assert_eq!(v["sources"][0]["roots"][0]["name"], "app");
}

#[test]
fn output_file_written_and_stdout_empty() {
    let d = project();
    let out = d.path().join("inv.json");
    patchloop()
        .args(["inventory", "-f", "json", "-o"])
        .arg(&out)
        .arg(d.path().join("Cargo.lock"))
        .assert()
        .success()
        .stdout(predicate::str::is_empty());
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(v["sources"].as_array().unwrap().len(), 1);
    // No temporary files are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("patchloop-tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn output_into_missing_dir_fails_and_keeps_nothing() {
    let d = project();
    patchloop()
        .args(["inventory", "-o"])
        .arg(d.path().join("nope/out.txt"))
        .arg(d.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nope/out.txt"));
}

#[test]
fn malformed_file_reports_and_continues_strict_fails() {
    let d = project();
    std::fs::create_dir(d.path().join("broken")).unwrap();
    std::fs::write(
        d.path().join("broken/Cargo.lock"),
        "[[package]]\nname = \"x\"\nversion = \n",
    )
    .unwrap();
    patchloop()
        .args(["inventory", "--color", "never"])
        .arg(d.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("smallvec"))
        .stderr(
            predicate::str::contains("broken/Cargo.lock:3:")
                .and(predicate::str::contains("error:")),
        );
    patchloop()
        .args(["inventory", "--strict"])
        .arg(d.path())
        .assert()
        .code(2)
        .stdout(predicate::str::contains("smallvec"));
}

#[test]
fn colors_follow_flag_and_no_color() {
    let d = project();
    std::fs::write(d.path().join("requirements.txt"), "\u{0}\u{ff}").unwrap();
    std::fs::write(d.path().join("requirements.txt"), [0xffu8, 0xfe]).unwrap();
    let esc = predicate::str::contains("\u{1b}[");
    patchloop()
        .args(["inventory", "--color", "always"])
        .arg(d.path())
        .assert()
        .stderr(esc.clone());
    patchloop()
        .env("NO_COLOR", "1")
        .args(["inventory"])
        .arg(d.path())
        .assert()
        .stderr(esc.clone().not());
    patchloop()
        .args(["inventory", "--color", "never"])
        .arg(d.path())
        .assert()
        .stderr(esc.not());
}

#[test]
fn excludes() {
    let d = project();
    std::fs::create_dir_all(d.path().join("node_modules/x")).unwrap();
    std::fs::write(d.path().join("node_modules/x/Cargo.lock"), LOCK).unwrap();
    std::fs::create_dir_all(d.path().join("skip/me")).unwrap();
    std::fs::write(d.path().join("skip/me/Cargo.lock"), LOCK).unwrap();
    let count = |args: &[&str]| -> usize {
        let out = patchloop()
            .args(["inventory", "-f", "json"])
            .args(args)
            .arg(d.path())
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["sources"].as_array().unwrap().len()
    };
    assert_eq!(count(&[]), 2);
    assert_eq!(count(&["--exclude", "skip"]), 1);
    assert_eq!(count(&["--no-default-excludes"]), 3);
}

#[test]
fn unsupported_explicit_file_is_a_usage_error() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("notes.md");
    std::fs::write(&f, "hi").unwrap();
    patchloop()
        .arg("inventory")
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a supported file format"));
}

#[test]
fn versions_compare_and_sort() {
    patchloop()
        .args(["versions", "compare", "--ecosystem", "PyPI"])
        .write_stdin("2.0 2.0.post1\n1.0 1.0.0\n1!0.1 2.0\n")
        .assert()
        .success()
        .stdout("-1\n0\n1\n");
    patchloop()
        .args(["versions", "compare", "-e", "crates.io"])
        .write_stdin("1.0.0-rc.1 1.0.0\n1.0.0 nope\n")
        .assert()
        .code(2)
        .stdout("-1\nERR\n")
        .stderr(predicate::str::contains("stdin:2"));
    patchloop()
        .args(["versions", "sort", "--ecosystem", "deb"])
        .write_stdin("1.0-1\n1.0~rc1-1\n1:0.5-1\n1.0-1+b1\n")
        .assert()
        .success()
        .stdout("1.0~rc1-1\n1.0-1\n1.0-1+b1\n1:0.5-1\n");
    patchloop()
        .args(["versions", "sort", "--ecosystem", "opam"])
        .write_stdin("1\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no version rules"));
}

/// `-o` onto a special file (here a FIFO, like /dev/null or /dev/stdout)
/// writes into it; it must not be replaced by a regular file.
#[test]
fn output_to_special_file_writes_in_place() {
    let d = project();
    let fifo = d.path().join("pipe");
    let ok = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !ok.is_ok_and(|s| s.success()) {
        eprintln!("SKIPPED: mkfifo not available");
        return;
    }
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    patchloop()
        .args(["-q", "inventory", "-f", "json", "-o"])
        .arg(&fifo)
        .arg(d.path().join("Cargo.lock"))
        .assert()
        .success();
    let text = reader.join().unwrap();
    assert!(text.contains("\"schema\": \"patchloop.inventory/v1\""));
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
}
