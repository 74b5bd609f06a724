//! Child processes: finding programs on PATH, a clean environment, and
//! runs with a timeout whose output goes to a log file.

use std::ffi::OsString;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Variables that would point git (or a tool calling git) at another
/// repository than the one it runs in (set when patchloop runs in a hook).
const GIT_LOCATION_VARS: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_PREFIX",
];

/// How child processes are started: extra environment on top of ours.
#[derive(Debug, Clone, Default)]
pub(crate) struct Env {
    pub vars: Vec<(String, String)>,
}

impl Env {
    fn path_var(&self) -> Option<OsString> {
        self.vars
            .iter()
            .rev()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| OsString::from(v))
            .or_else(|| std::env::var_os("PATH"))
    }

    /// The program's path on PATH (the PATH of [`Env`] when it sets one).
    pub fn find(&self, program: &str) -> Option<PathBuf> {
        let path = self.path_var()?;
        std::env::split_paths(&path)
            .map(|d| d.join(program))
            .find(|p| is_executable(p))
    }

    /// A command with this environment, no standard input, and no git
    /// location variables.
    pub fn command(&self, program: &Path, dir: &Path) -> Command {
        let mut c = Command::new(program);
        c.current_dir(dir).stdin(Stdio::null());
        for v in GIT_LOCATION_VARS {
            c.env_remove(v);
        }
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c
    }
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}

/// How a logged run ended.
#[derive(Debug, Clone)]
pub(crate) struct RunResult {
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    pub duration: Duration,
    /// What this run wrote to the log.
    pub output: String,
}

impl RunResult {
    pub fn success(&self) -> bool {
        !self.timed_out && self.exit_code == Some(0)
    }

    /// The last lines of the output, for messages.
    pub fn tail(&self, lines: usize) -> String {
        tail(&self.output, lines, 2000)
    }
}

/// The last `lines` lines of `s`, at most `max` bytes (cut at a char
/// boundary).
pub(crate) fn tail(s: &str, lines: usize, max: usize) -> String {
    let s = s.trim_end();
    let mut start = s.len();
    for _ in 0..lines {
        match s[..start].rfind('\n') {
            Some(i) => start = i,
            None => {
                start = 0;
                break;
            }
        }
    }
    let mut t = s[start..].trim_start_matches('\n');
    if t.len() > max {
        let mut cut = t.len() - max;
        while !t.is_char_boundary(cut) {
            cut += 1;
        }
        t = &t[cut..];
    }
    t.to_string()
}

/// Run `cmd` with its output (stdout and stderr) appended to `log`, killing
/// its whole process group when `timeout` passes.
pub(crate) fn run_logged(
    mut cmd: Command,
    log: &mut File,
    timeout: Duration,
) -> std::io::Result<RunResult> {
    use std::io::Write;
    let dir = cmd
        .get_current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    let line = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    writeln!(log, "$ {line}    (in {dir})")?;
    log.flush()?;
    let start_len = log.seek(SeekFrom::End(0))?;
    cmd.stdout(log.try_clone()?).stderr(log.try_clone()?);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let start = Instant::now();
    let mut child = cmd.spawn()?;
    let mut wait = Duration::from_millis(5);
    let (exit_code, timed_out) = loop {
        if let Some(status) = child.try_wait()? {
            break (status.code(), false);
        }
        if start.elapsed() >= timeout {
            kill_group(&mut child);
            let _ = child.wait();
            break (None, true);
        }
        std::thread::sleep(wait.min(timeout.saturating_sub(start.elapsed())));
        wait = (wait * 2).min(Duration::from_millis(100));
    };
    let duration = start.elapsed();
    let mut output = String::new();
    let mut f = log.try_clone()?;
    f.seek(SeekFrom::Start(start_len))?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf)?;
    output.push_str(&String::from_utf8_lossy(&buf));
    if timed_out {
        writeln!(
            log,
            "patchloop: timed out after {}s: process group killed",
            timeout.as_secs()
        )?;
    }
    writeln!(
        log,
        "patchloop: exit {} after {:.1}s\n",
        exit_code.map_or_else(|| "none".to_string(), |c| c.to_string()),
        duration.as_secs_f64()
    )?;
    Ok(RunResult {
        exit_code,
        timed_out,
        duration,
        output,
    })
}

#[cfg(unix)]
fn kill_group(child: &mut std::process::Child) {
    // The child leads its own process group (process_group(0)).
    let pgid = child.id() as libc::pid_t;
    // SAFETY: kill(2) with a negative pid signals that process group; no
    // memory is shared.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
    let _ = child.kill();
}

#[cfg(not(unix))]
fn kill_group(child: &mut std::process::Child) {
    let _ = child.kill();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tails() {
        assert_eq!(tail("a\nb\nc\n", 2, 100), "b\nc");
        assert_eq!(tail("a\nb\nc", 5, 100), "a\nb\nc");
        assert_eq!(tail("héllo", 1, 3), "llo");
    }

    #[cfg(unix)]
    #[test]
    fn timeout_kills_the_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(dir.path().join("log"))
            .unwrap();
        let env = Env::default();
        let sh = env.find("sh").unwrap();
        // A grandchild that would outlive a plain kill of the shell.
        let pidfile = dir.path().join("pid");
        let mut c = env.command(&sh, dir.path());
        c.arg("-c").arg(format!(
            "sleep 30 & echo $! > {}; echo started; wait",
            pidfile.display()
        ));
        let r = run_logged(c, &mut log, Duration::from_millis(500)).unwrap();
        assert!(r.timed_out && !r.success());
        assert!(r.output.contains("started"), "{}", r.output);
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // SAFETY: signal 0 only checks that the process exists.
        let mut gone = false;
        for _ in 0..50 {
            let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|s| s.contains(") Z "));
            if zombie || unsafe { libc::kill(pid, 0) } != 0 {
                gone = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(gone, "the grandchild sleep survived");
        let mut c = env.command(&sh, dir.path());
        c.arg("-c").arg("echo out; echo err >&2; exit 3");
        let r = run_logged(c, &mut log, Duration::from_secs(10)).unwrap();
        assert_eq!(r.exit_code, Some(3));
        assert!(r.output.contains("out") && r.output.contains("err"));
    }
}
