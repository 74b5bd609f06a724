//! The test command of a group: from `[apply] test_command`, else the
//! ecosystems' defaults for the changed projects; run with a timeout into
//! the group's log, summarized as [`TestEvidence`].

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

use patchloop_model::plan::{TestEvidence, TestOutcome};
use patchloop_risk::policy::TestCommand;
use sha2::{Digest, Sha256};

use super::drivers::Driver;
use super::process::{Env, run_logged, tail};

/// One command to run, in a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Step {
    pub argv: Vec<String>,
    pub dir: PathBuf,
    /// How it is shown (`cargo test`, `(in web) npm test`).
    pub display: String,
}

/// Is this `scripts.test` a real test script (not `npm init`'s stub)?
fn npm_has_tests(dir: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(dir.join("package.json")) else {
        return false;
    };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
        return false;
    };
    v.get("scripts")
        .and_then(|s| s.get("test"))
        .and_then(|t| t.as_str())
        .is_some_and(|t| !t.trim().is_empty() && !t.contains("Error: no test specified"))
}

/// Does composer.json define a `test` script?
fn composer_has_tests(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("composer.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .is_some_and(|v| v.get("scripts").and_then(|s| s.get("test")).is_some())
}

/// Does a Python project have tests pytest would find: a `tests/` or
/// `test/` directory, `conftest.py`, `pytest.ini`, or a `test_*.py` /
/// `*_test.py` file at its top level?
fn python_has_tests(dir: &Path) -> bool {
    if dir.join("tests").is_dir()
        || dir.join("test").is_dir()
        || dir.join("conftest.py").is_file()
        || dir.join("pytest.ini").is_file()
    {
        return true;
    }
    std::fs::read_dir(dir).is_ok_and(|rd| {
        rd.flatten().any(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.ends_with(".py") && (n.starts_with("test_") || n.ends_with("_test.py"))
        })
    })
}

fn shown(rel_dir: &str, cmd: &str) -> String {
    if rel_dir.is_empty() || rel_dir == "." {
        cmd.to_string()
    } else {
        format!("(in {rel_dir}) {cmd}")
    }
}

/// The steps for a group: the policy's command (in the project
/// directory), else one default per changed project directory; with the
/// reasons defaults were not found.
pub(crate) fn steps(
    configured: Option<&TestCommand>,
    env: &Env,
    worktree: &Path,
    project: &Path,
    changed: &[(Driver, String)],
) -> (Vec<Step>, Vec<String>) {
    if let Some(c) = configured {
        let argv = match c {
            TestCommand::Shell(s) => vec!["sh".into(), "-c".into(), s.clone()],
            TestCommand::Argv(v) => v.clone(),
        };
        let rel = project
            .strip_prefix(worktree)
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        return (
            vec![Step {
                argv,
                dir: project.to_path_buf(),
                display: shown(&rel, &c.display()),
            }],
            vec![],
        );
    }
    let mut out: Vec<Step> = Vec::new();
    let mut why = Vec::new();
    for (driver, rel) in changed {
        let rel_dir = Path::new(rel)
            .parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let dir = worktree.join(&rel_dir);
        let step = match driver {
            Driver::Cargo => Some(vec!["cargo".to_string(), "test".to_string()]),
            Driver::Npm if npm_has_tests(&dir) => Some(vec!["npm".into(), "test".into()]),
            Driver::Pnpm if npm_has_tests(&dir) => Some(vec!["pnpm".into(), "test".into()]),
            Driver::Yarn if npm_has_tests(&dir) => Some(vec!["yarn".into(), "test".into()]),
            Driver::Go => Some(vec!["go".into(), "test".into(), "./...".into()]),
            Driver::Composer if composer_has_tests(&dir) => {
                Some(vec!["composer".into(), "test".into()])
            }
            Driver::Bundler if dir.join("Rakefile").is_file() => Some(
                ["bundle", "exec", "rake", "test"]
                    .map(String::from)
                    .to_vec(),
            ),
            Driver::Composer | Driver::Bundler => {
                why.push(format!(
                    "{rel}: no test script found beside it (composer.json scripts.test, Rakefile): tests not run"
                ));
                None
            }
            Driver::Npm | Driver::Pnpm | Driver::Yarn => {
                why.push(format!(
                    "{rel}: package.json has no test script: tests not run"
                ));
                None
            }
            Driver::Requirements | Driver::PipTools | Driver::Uv | Driver::Poetry
                if python_has_tests(&dir) =>
            {
                let py = if env.find("python").is_some() {
                    "python"
                } else {
                    "python3"
                };
                Some(vec![py.into(), "-m".into(), "pytest".into()])
            }
            Driver::Requirements | Driver::PipTools | Driver::Uv | Driver::Poetry => {
                why.push(format!(
                    "{rel}: no tests found beside it (tests/, test/, conftest.py, pytest.ini, test_*.py): pytest not run"
                ));
                None
            }
        };
        if let Some(argv) = step {
            let s = Step {
                display: shown(&rel_dir, &argv.join(" ")),
                argv,
                dir,
            };
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    (out, why)
}

/// Run the steps in order (stopping at the first failure) into `log`, and
/// summarize. The log's digest covers the whole file.
pub(crate) fn run(
    steps: &[Step],
    skipped_why: &[String],
    env: &Env,
    log: &mut File,
    log_path: &Path,
    timeout: Duration,
) -> TestEvidence {
    use std::io::Write;
    let mut outcome = TestOutcome::Passed;
    let mut exit_code = None;
    let mut duration = 0.0;
    if steps.is_empty() {
        outcome = TestOutcome::Skipped;
        let _ = writeln!(
            log,
            "patchloop: no test command ({})",
            skipped_why.join("; ")
        );
    }
    let mut left = timeout;
    for s in steps {
        let Some(program) = env.find(&s.argv[0]).or_else(|| {
            let p = PathBuf::from(&s.argv[0]);
            (p.is_absolute() || s.argv[0].contains('/')).then_some(p)
        }) else {
            let _ = writeln!(
                log,
                "patchloop: {} is not installed (not on PATH)",
                s.argv[0]
            );
            outcome = TestOutcome::Failed;
            break;
        };
        let mut c = env.command(&program, &s.dir);
        c.args(&s.argv[1..]).env("CI", "true");
        match run_logged(c, log, left) {
            Ok(r) => {
                duration += r.duration.as_secs_f64();
                left = left.saturating_sub(r.duration);
                exit_code = r.exit_code;
                if r.timed_out {
                    outcome = TestOutcome::TimedOut;
                    break;
                }
                if r.exit_code != Some(0) {
                    outcome = TestOutcome::Failed;
                    break;
                }
            }
            Err(e) => {
                let _ = writeln!(log, "patchloop: {} could not run: {e}", s.display);
                outcome = TestOutcome::Failed;
                break;
            }
        }
    }
    let _ = log.flush();
    let mut whole = Vec::new();
    if let Ok(mut f) = File::open(log_path) {
        let _ = f.seek(SeekFrom::Start(0));
        let _ = f.read_to_end(&mut whole);
    }
    let text = String::from_utf8_lossy(&whole);
    TestEvidence {
        command: steps
            .iter()
            .map(|s| s.display.clone())
            .collect::<Vec<_>>()
            .join(" && "),
        outcome,
        exit_code,
        duration_secs: (duration * 10.0).round() / 10.0,
        log_tail: tail(&text, 40, 4000),
        log_sha256: format!("{:x}", Sha256::digest(&whole)),
    }
}
