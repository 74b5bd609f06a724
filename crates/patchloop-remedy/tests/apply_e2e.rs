//! `apply` end to end with real parts: fixture git repositories in temp
//! dirs, a real SQLite store with hand-written OSV records, and the real
//! package managers against registries the tests build themselves (a Cargo
//! local registry directory, an npm registry on loopback), never the
//! public ones. Each test checks that the user's repository (working
//! tree, index, HEAD, current branch) is exactly as it was.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use patchloop_feeds::{ImportOptions, NoProgress, OpenMode, SqliteStore, import_paths};
use patchloop_model::plan::TestOutcome;
use patchloop_model::{DatabaseInfo, Plan, ScanReport, Strategy};
use patchloop_remedy::apply::{ApplyError, ApplyOptions, ApplyReport, GroupOutcome, apply};
use patchloop_remedy::plan::{Grouping, PlanOptions, plan};
use patchloop_remedy::registry::NoRegistry;
use patchloop_risk::Policy;
use serde_json::{Value, json};
use sha2::Digest;

const TODAY: &str = "2026-03-02";
/// 2026-03-02T10:00:00Z, a Monday.
const NOW: i64 = 1_772_445_600;

// ---------- fixture plumbing ----------

struct Fixture {
    tmp: tempfile::TempDir,
    repo: PathBuf,
    env: Vec<(String, String)>,
}

impl Fixture {
    fn new() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("app");
        std::fs::create_dir_all(&repo).unwrap();
        let gitconfig = tmp.path().join("gitconfig");
        std::fs::write(&gitconfig, "").unwrap();
        let env = vec![
            ("GIT_CONFIG_GLOBAL".into(), gitconfig.display().to_string()),
            ("GIT_CONFIG_NOSYSTEM".into(), "1".into()),
            (
                "CARGO_HOME".into(),
                tmp.path().join("cargo-home").display().to_string(),
            ),
            ("CARGO_NET_OFFLINE".into(), "true".into()),
            (
                "CARGO_TARGET_DIR".into(),
                tmp.path().join("target").display().to_string(),
            ),
            (
                "npm_config_cache".into(),
                tmp.path().join("npm-cache").display().to_string(),
            ),
            (
                "npm_config_userconfig".into(),
                tmp.path().join("no-npmrc").display().to_string(),
            ),
        ];
        let f = Fixture { tmp, repo, env };
        f.git(&["init", "-q", "-b", "main"]);
        f
    }

    fn cmd(&self, program: &str, dir: &Path) -> Command {
        let mut c = Command::new(program);
        c.current_dir(dir).stdin(std::process::Stdio::null());
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    fn run(&self, program: &str, dir: &Path, args: &[&str]) -> String {
        let out = self.cmd(program, dir).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim_end().to_string()
    }

    fn git(&self, args: &[&str]) -> String {
        self.run("git", &self.repo, args)
    }

    fn git_ok(&self, args: &[&str]) -> bool {
        self.cmd("git", &self.repo)
            .args(args)
            .output()
            .unwrap()
            .status
            .success()
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.repo.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn commit_all(&self, msg: &str) {
        self.git(&["add", "-A"]);
        self.git(&[
            "-c",
            "user.name=Dev",
            "-c",
            "user.email=dev@example.invalid",
            "commit",
            "-q",
            "-m",
            msg,
        ]);
    }

    /// Everything apply must leave as it was.
    fn snapshot(&self) -> Vec<String> {
        let mut files = Vec::new();
        for e in walk(&self.repo) {
            let rel = e.strip_prefix(&self.repo).unwrap().display().to_string();
            if rel.starts_with(".git/") {
                continue;
            }
            files.push(format!(
                "{rel} {:x}",
                sha2::Sha256::digest(std::fs::read(&e).unwrap())
            ));
        }
        files.sort();
        let mut s = vec![
            self.git(&["status", "--porcelain", "--untracked-files=all"]),
            self.git(&["rev-parse", "HEAD"]),
            self.git(&["symbolic-ref", "HEAD"]),
            self.git(&["diff", "--cached"]),
            self.git(&["worktree", "list", "--porcelain"])
                .lines()
                .filter(|l| l.starts_with("worktree "))
                .collect::<Vec<_>>()
                .join("\n"),
        ];
        s.extend(files);
        s
    }

    fn options(&self) -> ApplyOptions {
        let mut o = ApplyOptions::new(&self.repo);
        o.now_unix = NOW;
        o.today = TODAY.into();
        o.env = self.env.clone();
        o
    }

    fn policy(&self) -> Policy {
        Policy::load(&self.repo.join("patchloop.toml"))
            .unwrap()
            .unwrap_or_default()
    }

    /// The file at the tip of a branch.
    fn show(&self, branch: &str, rel: &str) -> String {
        self.git(&["show", &format!("{branch}:{rel}")])
    }

    /// Scan a branch's tree (checked out in a scratch worktree).
    fn scan_branch(&self, branch: &str, store: &SqliteStore) -> ScanReport {
        let dir = self
            .tmp
            .path()
            .join(format!("check-{}", branch.replace('/', "-")));
        let d = dir.display().to_string();
        self.git(&["worktree", "add", "-q", "--detach", &d, branch]);
        let r = scan(&dir, store);
        self.git(&["worktree", "remove", "--force", &d]);
        r
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if e.file_type().unwrap().is_dir() {
            if e.file_name() != ".git" {
                out.extend(walk(&p));
            }
        } else {
            out.push(p);
        }
    }
    out
}

fn store(tmp: &Path, records: &[Value]) -> SqliteStore {
    let recs = tmp.join("records");
    std::fs::create_dir_all(&recs).unwrap();
    for (i, r) in records.iter().enumerate() {
        std::fs::write(recs.join(format!("{i}.json")), r.to_string()).unwrap();
    }
    let mut s = SqliteStore::open(&tmp.join("advisories.db"), OpenMode::ReadWrite).unwrap();
    import_paths(&mut s, &[recs], &ImportOptions::default(), &NoProgress).unwrap();
    s
}

fn record(id: &str, eco: &str, name: &str, kind: &str, fixed: &str) -> Value {
    json!({
        "id": id, "modified": "2025-01-01T00:00:00Z",
        "summary": format!("problem in {name}"),
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        "affected": [{"package": {"ecosystem": eco, "name": name},
                      "ranges": [{"type": kind, "events": [{"introduced": "0"}, {"fixed": fixed}]}]}]
    })
}

fn scan(dir: &Path, store: &SqliteStore) -> ScanReport {
    let inv = patchloop_inventory::inventory(&[dir.to_path_buf()], &Default::default()).unwrap();
    patchloop_match::scan(
        &inv,
        store,
        &Policy::default(),
        DatabaseInfo::default(),
        &patchloop_match::ScanOptions {
            today: TODAY.into(),
            ..Default::default()
        },
    )
    .unwrap()
}

/// What `patchloop plan` makes of the repository (offline: fixes from the
/// advisories), prioritized.
fn make_plan(repo: &Path, store: &SqliteStore, grouping: Grouping) -> Plan {
    make_plan_with(repo, store, grouping, &NoRegistry)
}

/// make_plan, with versions (and their dependencies) from `registry`.
fn make_plan_with(
    repo: &Path,
    store: &SqliteStore,
    grouping: Grouping,
    registry: &dyn patchloop_remedy::registry::VersionSource,
) -> Plan {
    let inv = patchloop_inventory::inventory(&[repo.to_path_buf()], &Default::default()).unwrap();
    let policy = Policy::default();
    let mut report = patchloop_match::scan(
        &inv,
        store,
        &policy,
        DatabaseInfo::default(),
        &patchloop_match::ScanOptions {
            today: TODAY.into(),
            ..Default::default()
        },
    )
    .unwrap();
    let first_seen = |_: &patchloop_model::Finding| Some(TODAY.to_string());
    patchloop_risk::prioritize::prioritize(&mut report, &policy, &first_seen, TODAY);
    plan(
        &report,
        &inv,
        store,
        registry,
        &PlanOptions {
            grouping,
            today: TODAY.into(),
            paths: vec![repo.display().to_string()],
            generator: "test".into(),
            cooldown_days: 0,
        },
    )
    .unwrap()
}

fn vuln_ids(r: &ScanReport) -> Vec<String> {
    r.active().map(|f| f.id.clone()).collect()
}

fn group<'a>(r: &'a ApplyReport, id: &str) -> &'a patchloop_remedy::apply::GroupResult {
    r.groups
        .iter()
        .find(|g| g.id == id)
        .unwrap_or_else(|| panic!("no group {id} in {r:#?}"))
}

// ---------- Cargo: a local registry directory ----------

fn crate_file(name: &str, vers: &str, lib: &str) -> Vec<u8> {
    let manifest =
        format!("[package]\nname = \"{name}\"\nversion = \"{vers}\"\nedition = \"2021\"\n");
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    for (path, body) in [("Cargo.toml", manifest.as_str()), ("src/lib.rs", lib)] {
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        h.set_cksum();
        tar.append_data(&mut h, format!("{name}-{vers}/{path}"), body.as_bytes())
            .unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap()
}

fn index_path(name: &str) -> String {
    match name.len() {
        1 => format!("1/{name}"),
        2 => format!("2/{name}"),
        3 => format!("3/{}/{name}", &name[..1]),
        _ => format!("{}/{}/{name}", &name[..2], &name[2..4]),
    }
}

/// Publish a crate version into the local registry at `reg`.
fn publish_crate(reg: &Path, name: &str, vers: &str) {
    std::fs::create_dir_all(reg).unwrap();
    let lib = format!("pub const VERSION: &str = \"{vers}\";\n");
    let bytes = crate_file(name, vers, &lib);
    std::fs::write(reg.join(format!("{name}-{vers}.crate")), &bytes).unwrap();
    let line = json!({
        "name": name, "vers": vers, "deps": [],
        "cksum": format!("{:x}", sha2::Sha256::digest(&bytes)),
        "features": {}, "yanked": false
    });
    let idx = reg.join("index").join(index_path(name));
    std::fs::create_dir_all(idx.parent().unwrap()).unwrap();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(idx)
        .unwrap();
    writeln!(f, "{line}").unwrap();
}

#[test]
fn cargo_lockfile_update_and_manifest_bump_tested_and_committed() {
    let f = Fixture::new();
    let reg = f.tmp.path().join("registry");
    publish_crate(&reg, "vulncrate", "1.0.0");
    publish_crate(&reg, "oldcrate", "0.1.0");
    f.write(
        ".cargo/config.toml",
        &format!(
            "[source.crates-io]\nreplace-with = \"local\"\n\n[source.local]\nlocal-registry = \"{}\"\n",
            reg.display()
        ),
    );
    f.write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n# the one we trust\nvulncrate = \"1.0.0\"\noldcrate = \"0.1.0\"   # old API, see #12\n",
    );
    f.write(
        "src/lib.rs",
        "pub fn versions() -> String {\n    format!(\"{} {}\", vulncrate::VERSION, oldcrate::VERSION)\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn both() {\n        assert_eq!(super::versions().split(' ').count(), 2);\n    }\n}\n",
    );
    f.write(".gitignore", "target/\n");
    f.run("cargo", &f.repo, &["generate-lockfile", "--offline"]);
    f.commit_all("app");
    // The fixes are published after the lockfile was made.
    publish_crate(&reg, "vulncrate", "1.0.1");
    publish_crate(&reg, "oldcrate", "0.2.0");
    let st = store(
        f.tmp.path(),
        &[
            record(
                "RUSTSEC-2099-0001",
                "crates.io",
                "vulncrate",
                "SEMVER",
                "1.0.1",
            ),
            record(
                "RUSTSEC-2099-0002",
                "crates.io",
                "oldcrate",
                "SEMVER",
                "0.2.0",
            ),
        ],
    );
    let p = make_plan(&f.repo, &st, Grouping::All);
    assert_eq!(p.groups.len(), 1, "{p:#?}");
    let strategies: HashMap<&str, Strategy> = p.groups[0]
        .changes
        .iter()
        .map(|c| (c.package.as_str(), c.strategy))
        .collect();
    assert_eq!(strategies["vulncrate"], Strategy::LockfileUpdate);
    assert_eq!(strategies["oldcrate"], Strategy::ManifestBump);

    let before = f.snapshot();
    let r = apply(&p, &st, &f.policy(), &f.options()).unwrap();
    assert_eq!(f.snapshot(), before, "the user's repository changed");
    let g = group(&r, "security-fixes");
    assert_eq!(g.outcome, GroupOutcome::Applied, "{g:#?}");
    assert!(r.all_applied());
    let t = g.test.as_ref().unwrap();
    assert_eq!(t.outcome, TestOutcome::Passed);
    assert_eq!(t.command, "cargo test");
    assert_eq!(t.exit_code, Some(0));
    assert!(t.log_tail.contains("test result: ok"), "{}", t.log_tail);
    let log = std::fs::read(g.log.as_ref().unwrap()).unwrap();
    assert_eq!(t.log_sha256, format!("{:x}", sha2::Sha256::digest(&log)));

    // The branch: manifest edited in place, lockfile updated by cargo.
    let branch = "patchloop/security-fixes";
    let manifest = f.show(branch, "Cargo.toml");
    assert!(
        manifest.contains(
            "# the one we trust\nvulncrate = \"1.0.0\"\noldcrate = \"0.2.0\"   # old API, see #12"
        ),
        "{manifest}"
    );
    let lock = f.show(branch, "Cargo.lock");
    assert!(
        lock.contains("name = \"vulncrate\"\nversion = \"1.0.1\""),
        "{lock}"
    );
    assert!(
        lock.contains("name = \"oldcrate\"\nversion = \"0.2.0\""),
        "{lock}"
    );
    let msg = f.git(&["log", "-1", "--format=%B", branch]);
    assert!(
        msg.starts_with("fix(security): update 2 packages (oldcrate, vulncrate)\n"),
        "{msg}"
    );
    assert!(msg.contains("Fixes RUSTSEC-2099-0001 (priority "), "{msg}");
    assert!(
        msg.contains("- vulncrate 1.0.0 → 1.0.1 (Cargo.lock, lockfile-update)\n"),
        "{msg}"
    );
    assert!(
        msg.contains("- oldcrate 0.1.0 → 0.2.0 (Cargo.lock, manifest-bump)\n"),
        "{msg}"
    );
    assert!(msg.contains("Test: passed (cargo test, "), "{msg}");
    assert!(msg.contains("Patchloop-Status: passed"), "{msg}");
    assert_eq!(
        f.git(&["log", "-1", "--format=%an <%ae>", branch]),
        "patchloop <patchloop@localhost>"
    );
    assert_eq!(
        f.git(&["rev-parse", &format!("{branch}^")]),
        f.git(&["rev-parse", "HEAD"])
    );
    assert_eq!(
        g.commit.as_deref(),
        Some(f.git(&["rev-parse", branch]).as_str())
    );
    // A re-scan of the branch is clean; the user's tree still is not.
    assert!(vuln_ids(&f.scan_branch(branch, &st)).is_empty());
    assert_eq!(vuln_ids(&scan(&f.repo, &st)).len(), 2);
}

// ---------- npm: a registry on loopback ----------

/// Published versions of one package: (version, dependencies, tarball).
type Published = Vec<(String, Value, Vec<u8>)>;

#[derive(Clone, Default)]
struct NpmRegistry {
    port: u16,
    pkgs: Arc<Mutex<HashMap<String, Published>>>,
    /// Publish times (the full packument's `time`), when set.
    times: Arc<Mutex<HashMap<(String, String), String>>>,
}

impl NpmRegistry {
    fn start() -> NpmRegistry {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let r = NpmRegistry {
            port: listener.local_addr().unwrap().port(),
            ..Default::default()
        };
        let served = r.clone();
        std::thread::spawn(move || {
            for s in listener.incoming().flatten() {
                let reg = served.clone();
                std::thread::spawn(move || reg.handle(s));
            }
        });
        r
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    fn publish(&self, name: &str, version: &str, deps: Value) {
        let pj = json!({"name": name, "version": version, "dependencies": deps});
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        let body = serde_json::to_vec_pretty(&pj).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        h.set_cksum();
        tar.append_data(&mut h, "package/package.json", &body[..])
            .unwrap();
        let tgz = tar.into_inner().unwrap().finish().unwrap();
        self.pkgs
            .lock()
            .unwrap()
            .entry(name.to_string())
            .or_default()
            .push((version.to_string(), deps, tgz));
    }

    fn packument(&self, name: &str) -> Option<Value> {
        use base64::Engine;
        let pkgs = self.pkgs.lock().unwrap();
        let list = pkgs.get(name)?;
        let mut versions = serde_json::Map::new();
        for (v, deps, tgz) in list {
            let integrity = format!(
                "sha512-{}",
                base64::engine::general_purpose::STANDARD.encode(sha2::Sha512::digest(tgz))
            );
            versions.insert(
                v.clone(),
                json!({
                    "name": name, "version": v, "dependencies": deps,
                    "dist": {"tarball": format!("{}{name}/-/{name}-{v}.tgz", self.url()),
                             "integrity": integrity}
                }),
            );
        }
        let latest = list.last().map(|x| x.0.clone()).unwrap_or_default();
        let times = self.times.lock().unwrap();
        let time: serde_json::Map<String, Value> = list
            .iter()
            .filter_map(|(v, _, _)| {
                let t = times.get(&(name.to_string(), v.clone()))?;
                Some((v.clone(), Value::String(t.clone())))
            })
            .collect();
        Some(
            json!({"name": name, "dist-tags": {"latest": latest}, "versions": versions, "time": time}),
        )
    }

    fn handle(&self, mut s: TcpStream) {
        let mut reader = BufReader::new(s.try_clone().unwrap());
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() {
            return;
        }
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                break;
            }
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        let path = path.trim_start_matches('/');
        let (status, ctype, body) = match path.split_once("/-/") {
            Some((name, file)) => {
                let pkgs = self.pkgs.lock().unwrap();
                let tgz = pkgs.get(name).and_then(|l| {
                    l.iter()
                        .find(|(v, _, _)| file == format!("{name}-{v}.tgz"))
                        .map(|x| x.2.clone())
                });
                match tgz {
                    Some(b) => ("200 OK", "application/octet-stream", b),
                    None => ("404 Not Found", "application/json", b"{}".to_vec()),
                }
            }
            None => match self.packument(path) {
                Some(p) => ("200 OK", "application/json", p.to_string().into_bytes()),
                None => (
                    "404 Not Found",
                    "application/json",
                    b"{\"error\":\"not found\"}".to_vec(),
                ),
            },
        };
        let _ = write!(
            s,
            "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = s.write_all(&body);
        let _ = s.flush();
        let mut rest = Vec::new();
        let _ = reader.read_to_end(&mut rest);
    }
}

/// app → vulnpkg 1.0.0 (fixed in 1.0.1, a lockfile update) and
/// parentpkg 1.0.0 → deeppkg 1.0.0 (fixed in 2.0.0 only: an override).
fn npm_fixture() -> (Fixture, NpmRegistry, SqliteStore) {
    let f = Fixture::new();
    let reg = NpmRegistry::start();
    reg.publish("vulnpkg", "1.0.0", json!({}));
    reg.publish("deeppkg", "1.0.0", json!({}));
    reg.publish("parentpkg", "1.0.0", json!({"deeppkg": "^1.0.0"}));
    f.write(".npmrc", &format!("registry={}\n", reg.url()));
    f.write(
        "test.js",
        "const lock = require('./package-lock.json');\nif (!lock.packages['node_modules/vulnpkg']) process.exit(1);\nconsole.log('lockfile ok');\n",
    );
    let manifest = |vuln: &str| {
        format!(
            "{{\n    \"name\": \"app\",\n    \"version\": \"1.0.0\",\n    \"private\": true,\n    \"scripts\": {{\n        \"test\": \"node test.js\"\n    }},\n    \"dependencies\": {{\n        \"parentpkg\": \"^1.0.0\",\n        \"vulnpkg\": \"{vuln}\"\n    }}\n}}\n"
        )
    };
    f.write("package.json", &manifest("1.0.0"));
    let lock_only = [
        "install",
        "--package-lock-only",
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
    ];
    f.run("npm", &f.repo, &lock_only);
    f.write("package.json", &manifest("^1.0.0"));
    f.run("npm", &f.repo, &lock_only);
    f.commit_all("app");
    reg.publish("vulnpkg", "1.0.1", json!({}));
    reg.publish("deeppkg", "2.0.0", json!({}));
    let st = store(
        f.tmp.path(),
        &[
            record("GHSA-vuln-0001-0001", "npm", "vulnpkg", "SEMVER", "1.0.1"),
            record("GHSA-deep-0002-0002", "npm", "deeppkg", "SEMVER", "2.0.0"),
        ],
    );
    (f, reg, st)
}

#[test]
fn npm_lockfile_update_and_override_tested_and_committed() {
    let (f, _reg, st) = npm_fixture();
    let p = make_plan(&f.repo, &st, Grouping::Package);
    let strategy = |id: &str| {
        p.groups
            .iter()
            .find(|g| g.id == id)
            .unwrap_or_else(|| panic!("{p:#?}"))
            .changes[0]
            .strategy
    };
    assert_eq!(strategy("npm-vulnpkg"), Strategy::LockfileUpdate);
    assert_eq!(strategy("npm-deeppkg"), Strategy::Override);
    let before = f.snapshot();
    let r = apply(&p, &st, &f.policy(), &f.options()).unwrap();
    assert_eq!(f.snapshot(), before, "the user's repository changed");
    for (id, other) in [
        ("npm-vulnpkg", "GHSA-deep-0002-0002"),
        ("npm-deeppkg", "GHSA-vuln-0001-0001"),
    ] {
        let g = group(&r, id);
        assert_eq!(g.outcome, GroupOutcome::Applied, "{g:#?}");
        let t = g.test.as_ref().unwrap();
        assert_eq!(
            (t.outcome, t.command.as_str()),
            (TestOutcome::Passed, "npm test")
        );
        assert!(t.log_tail.contains("lockfile ok"), "{}", t.log_tail);
        // Each branch fixes its own vulnerability (the other is the other
        // branch's).
        assert_eq!(vuln_ids(&f.scan_branch(&g.branch, &st)), [other], "{id}");
    }
    let lock: Value =
        serde_json::from_str(&f.show("patchloop/npm-vulnpkg", "package-lock.json")).unwrap();
    assert_eq!(lock["packages"]["node_modules/vulnpkg"]["version"], "1.0.1");
    // The override, in the file's own four-space style.
    let pj = f.show("patchloop/npm-deeppkg", "package.json");
    assert!(
        pj.contains("    },\n    \"overrides\": {\n        \"deeppkg\": \"2.0.0\"\n    }\n}"),
        "{pj}"
    );
    let lock: Value =
        serde_json::from_str(&f.show("patchloop/npm-deeppkg", "package-lock.json")).unwrap();
    assert_eq!(lock["packages"]["node_modules/deeppkg"]["version"], "2.0.0");
    let msg = f.git(&["log", "-1", "--format=%B", "patchloop/npm-deeppkg"]);
    assert!(
        msg.starts_with("fix(security): bump deeppkg from 1.0.0 to 2.0.0\n"),
        "{msg}"
    );
    assert!(msg.contains("Fixes GHSA-deep-0002-0002"), "{msg}");
    assert!(
        msg.contains("- deeppkg 1.0.0 → 2.0.0 (package-lock.json, override)\n"),
        "{msg}"
    );
}

#[test]
fn missing_npm_is_a_clear_refusal_and_leaves_no_branch() {
    let (f, _reg, st) = npm_fixture();
    let p = make_plan(&f.repo, &st, Grouping::Package);
    // A PATH with git only.
    let bin = f.tmp.path().join("bin-git-only");
    std::fs::create_dir_all(&bin).unwrap();
    let git = which("git");
    std::os::unix::fs::symlink(git, bin.join("git")).unwrap();
    let mut o = f.options();
    o.env.push(("PATH".into(), bin.display().to_string()));
    let before = f.snapshot();
    let r = apply(&p, &st, &f.policy(), &o).unwrap();
    assert_eq!(f.snapshot(), before);
    assert_eq!(r.summary.refused, 2);
    for g in &r.groups {
        assert_eq!(g.outcome, GroupOutcome::Refused);
        assert!(
            g.reason
                .as_deref()
                .unwrap()
                .contains("npm is not installed"),
            "{g:#?}"
        );
        assert!(!f.git_ok(&["rev-parse", "--verify", "-q", &g.branch]));
    }
}

fn which(p: &str) -> PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap())
        .map(|d| d.join(p))
        .find(|c| c.is_file())
        .unwrap()
}

// ---------- requirements.txt ----------

const CHECK_PY: &str = "import sys\nwant = sys.argv[1]\npins = [l.split('#')[0].strip() for l in open('requirements.txt')]\nprint('pins:', pins)\nsys.exit(0 if want in pins else 1)\n";

/// requests==2.0.0 (fixed in 2.31.0), with a test command that checks the
/// pin it is given.
fn pip_fixture(policy: &str) -> (Fixture, SqliteStore) {
    let f = Fixture::new();
    f.write(
        "requirements.txt",
        "# runtime\nrequests[socks]==2.0.0 ; python_version >= \"3.8\"  # http client\nidna==3.7\n",
    );
    f.write("check.py", CHECK_PY);
    f.write("patchloop.toml", policy);
    f.write("README.md", "app\n");
    f.commit_all("app");
    let st = store(
        f.tmp.path(),
        &[record(
            "PYSEC-2099-1",
            "PyPI",
            "requests",
            "ECOSYSTEM",
            "2.31.0",
        )],
    );
    (f, st)
}

const PASSING: &str = "[apply]\ntest_command = [\"python3\", \"check.py\", \"requests[socks]==2.31.0 ; python_version >= \\\"3.8\\\"\"]\n";

#[test]
fn requirements_pin_edited_tested_committed_and_dirty_tree_left_alone() {
    let (f, st) = pip_fixture(PASSING);
    let p = make_plan(&f.repo, &st, Grouping::Vulnerability);
    assert_eq!(p.groups.len(), 1);
    assert_eq!(p.groups[0].id, "pysec-2099-1");
    // Uncommitted work: a modified tracked file, a staged one, an untracked one.
    f.write("README.md", "app, being edited\n");
    f.write("notes.txt", "scratch\n");
    f.write("check2.py", "staged\n");
    f.git(&["add", "check2.py"]);
    let before = f.snapshot();
    let r = apply(&p, &st, &f.policy(), &f.options()).unwrap();
    assert_eq!(f.snapshot(), before, "the user's repository changed");
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("uncommitted changes") && n.contains("not part of the branches")),
        "{:?}",
        r.notes
    );
    let g = group(&r, "pysec-2099-1");
    assert_eq!(g.outcome, GroupOutcome::Applied, "{g:#?}");
    assert_eq!(g.test.as_ref().unwrap().outcome, TestOutcome::Passed);
    let req = f.show("patchloop/pysec-2099-1", "requirements.txt");
    assert_eq!(
        req,
        "# runtime\nrequests[socks]==2.31.0 ; python_version >= \"3.8\"  # http client\nidna==3.7"
    );
    // Only the lockfile changed on the branch: no uncommitted work.
    let files = f.git(&["diff", "--name-only", "HEAD", "patchloop/pysec-2099-1"]);
    assert_eq!(files, "requirements.txt");
    assert!(vuln_ids(&f.scan_branch("patchloop/pysec-2099-1", &st)).is_empty());
    // Applying again: the branch exists.
    let r = apply(&p, &st, &f.policy(), &f.options()).unwrap();
    let g = group(&r, "pysec-2099-1");
    assert_eq!(g.outcome, GroupOutcome::Refused);
    assert!(g.reason.as_deref().unwrap().contains("--force"), "{g:#?}");
    assert!(!r.all_applied());
    // --force recreates it.
    let mut o = f.options();
    o.force = true;
    let r = apply(&p, &st, &f.policy(), &o).unwrap();
    assert_eq!(group(&r, "pysec-2099-1").outcome, GroupOutcome::Applied);
    assert_eq!(f.snapshot(), before);
}

#[test]
fn failing_tests_keep_the_branch_marked_failed_or_delete_it() {
    let failing = "[apply]\ntest_command = [\"python3\", \"check.py\", \"requests==9.9.9\"]\n";
    let (f, st) = pip_fixture(failing);
    let p = make_plan(&f.repo, &st, Grouping::Package);
    let before = f.snapshot();
    let r = apply(&p, &st, &f.policy(), &f.options()).unwrap();
    assert_eq!(f.snapshot(), before);
    let g = &r.groups[0];
    assert_eq!(g.outcome, GroupOutcome::TestFailed, "{g:#?}");
    assert!(g.branch_kept && g.commit.is_some());
    let t = g.test.as_ref().unwrap();
    assert_eq!((t.outcome, t.exit_code), (TestOutcome::Failed, Some(1)));
    assert!(t.log_tail.contains("pins:"), "{}", t.log_tail);
    let msg = f.git(&["log", "-1", "--format=%B", &g.branch]);
    assert!(
        msg.contains("\nTest: failed (python3 check.py requests==9.9.9, "),
        "{msg}"
    );
    assert!(msg.contains("Patchloop-Status: test-failed"), "{msg}");
    assert_eq!(
        f.git(&[
            "log",
            "-1",
            "--format=%(trailers:key=Patchloop-Status,valueonly)",
            &g.branch
        ]),
        "test-failed"
    );

    // delete-branch: nothing is left.
    let (f, st) = pip_fixture(&format!("{failing}on_test_failure = \"delete-branch\"\n"));
    let before = f.snapshot();
    let r = apply(&p_for(&f, &st), &st, &f.policy(), &f.options()).unwrap();
    assert_eq!(f.snapshot(), before);
    let g = &r.groups[0];
    assert_eq!(g.outcome, GroupOutcome::TestFailed);
    assert!(!g.branch_kept && g.commit.is_none());
    assert!(
        g.reason.as_deref().unwrap().contains("branch deleted"),
        "{g:#?}"
    );
    assert!(!f.git_ok(&["rev-parse", "--verify", "-q", &g.branch]));
    assert!(f.git(&["branch", "--list", "patchloop/*"]).is_empty());

    // A test that hangs is killed at test_timeout.
    let (f, st) = pip_fixture("[apply]\ntest_command = \"sleep 30\"\ntest_timeout = 1\n");
    let start = std::time::Instant::now();
    let r = apply(&p_for(&f, &st), &st, &f.policy(), &f.options()).unwrap();
    assert!(start.elapsed().as_secs() < 15);
    let t = r.groups[0].test.as_ref().unwrap();
    assert_eq!(t.outcome, TestOutcome::TimedOut);
    assert_eq!(t.command, "sleep 30");
}

fn p_for(f: &Fixture, st: &SqliteStore) -> Plan {
    make_plan(&f.repo, st, Grouping::Package)
}

#[test]
fn refusals_detached_head_stale_plan_schedule_and_dry_run() {
    let (f, st) = pip_fixture(PASSING);
    let p = p_for(&f, &st);

    // Dry run: nothing is made.
    let mut o = f.options();
    o.dry_run = true;
    let before = f.snapshot();
    let r = apply(&p, &st, &f.policy(), &o).unwrap();
    assert_eq!(r.groups[0].outcome, GroupOutcome::Planned);
    assert!(r.all_applied());
    assert!(f.git(&["branch", "--list", "patchloop/*"]).is_empty());
    assert_eq!(f.snapshot(), before);

    // Outside the schedule (NOW is a Monday 10:00 UTC); --now overrides.
    f.write(
        "patchloop.toml",
        &format!("{PASSING}schedule = [\"sat,sun 00:00-24:00\"]\n"),
    );
    let r = apply(&p, &st, &f.policy(), &f.options()).unwrap();
    let why = r.groups[0].reason.clone().unwrap();
    assert!(
        why.contains("outside the apply schedule (sat,sun 00:00-24:00") && why.contains("--now"),
        "{why}"
    );
    let mut o = f.options();
    o.ignore_schedule = true;
    o.dry_run = true;
    assert_eq!(
        apply(&p, &st, &f.policy(), &o).unwrap().groups[0].outcome,
        GroupOutcome::Planned
    );

    // max_open_branches counts the patchloop/* branches that exist.
    f.git(&["branch", "patchloop/other"]);
    f.write(
        "patchloop.toml",
        &format!("{PASSING}max_open_branches = 1\n"),
    );
    let r = apply(&p, &st, &f.policy(), &f.options()).unwrap();
    assert!(
        r.groups[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("max_open_branches (1"),
        "{r:#?}"
    );
    f.git(&["branch", "-D", "patchloop/other"]);
    f.git(&["checkout", "-q", "--", "patchloop.toml"]);

    // The plan no longer matches the committed file.
    f.write(
        "requirements.txt",
        "# runtime\nrequests==2.1.0\nidna==3.7\n",
    );
    f.commit_all("bump by hand");
    let r = apply(&p, &st, &f.policy(), &f.options()).unwrap();
    let why = r.groups[0].reason.clone().unwrap();
    let file = f.repo.join("requirements.txt").display().to_string();
    assert_eq!(
        why,
        format!("the plan no longer matches {file}: requests is 2.1.0 now")
    );
    assert!(f.git(&["branch", "--list", "patchloop/*"]).is_empty());

    // Detached HEAD: a clear error, nothing done.
    f.git(&["checkout", "-q", "--detach", "HEAD"]);
    let err = apply(&p, &st, &f.policy(), &f.options()).unwrap_err();
    assert!(matches!(err, ApplyError::DetachedHead { .. }));
    assert!(err.to_string().contains("HEAD is detached"), "{err}");

    // Not a repository.
    let plain = tempfile::tempdir().unwrap();
    let mut o = f.options();
    o.project_dir = plain.path().to_path_buf();
    o.env.push((
        "GIT_CEILING_DIRECTORIES".into(),
        plain.path().parent().unwrap().display().to_string(),
    ));
    let err = apply(&p, &st, &f.policy(), &o).unwrap_err();
    assert!(err.to_string().contains("not in a git repository"), "{err}");
}

// ---------- pnpm and Yarn classic: the same loopback npm registry ----------

/// The extra environment the other package managers need to keep their
/// caches and configuration inside the test's directory.
fn tool_env(f: &mut Fixture) {
    let t = f.tmp.path().to_path_buf();
    let d = |n: &str| t.join(n).display().to_string();
    for (k, v) in [
        ("XDG_CACHE_HOME", d("xdg-cache")),
        ("XDG_CONFIG_HOME", d("xdg-config")),
        ("XDG_DATA_HOME", d("xdg-data")),
        ("XDG_STATE_HOME", d("xdg-state")),
        ("npm_config_store_dir", d("pnpm-store")),
        ("YARN_CACHE_FOLDER", d("yarn-cache")),
        ("UV_CACHE_DIR", d("uv-cache")),
        ("UV_PYTHON_DOWNLOADS", "never".into()),
        ("POETRY_CACHE_DIR", d("poetry-cache")),
        ("POETRY_CONFIG_DIR", d("poetry-config")),
        ("POETRY_VIRTUALENVS_CREATE", "false".into()),
        ("PIP_CONFIG_FILE", "/dev/null".into()),
        ("PIP_CACHE_DIR", d("pip-cache")),
        ("GOPATH", d("gopath")),
        ("GOMODCACHE", d("gomodcache")),
        ("GOCACHE", d("gocache")),
        ("GOFLAGS", "-mod=mod".into()),
        ("GOSUMDB", "off".into()),
        ("GOTOOLCHAIN", "local".into()),
        ("COMPOSER_HOME", d("composer-home")),
        ("COMPOSER_CACHE_DIR", d("composer-cache")),
        ("BUNDLE_USER_HOME", d("bundle-home")),
        ("GEM_HOME", d("gem-home")),
        ("GEM_SPEC_CACHE", d("gem-spec-cache")),
    ] {
        f.env.push((k.into(), v));
    }
}

/// Is this tool installed? (`.ci/install-test-tools` installs them; a
/// developer machine without one skips its test, saying so.)
fn have(tool: &str) -> bool {
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .any(|d| d.join(tool).is_file());
    if !found {
        eprintln!("SKIPPED: {tool} is not installed (run .ci/install-test-tools)");
    }
    found
}

/// npm_fixture's project, locked by `tool` (pnpm or yarn).
fn js_fixture(tool: &str) -> (Fixture, NpmRegistry, SqliteStore) {
    let mut f = Fixture::new();
    tool_env(&mut f);
    let reg = NpmRegistry::start();
    reg.publish("vulnpkg", "1.0.0", json!({}));
    reg.publish("deeppkg", "1.0.0", json!({}));
    reg.publish("parentpkg", "1.0.0", json!({"deeppkg": "^1.0.0"}));
    reg.publish("leafpkg", "1.0.0", json!({}));
    reg.publish("midpkg", "1.0.0", json!({"leafpkg": "^1.0.0"}));
    f.write(".npmrc", &format!("registry={}\n", reg.url()));
    f.write(".gitignore", "node_modules/\n.yarn/\n.pnp.*\n");
    if tool == "yarn-berry" {
        // Yarn 1 on PATH hands over to the project's yarnPath.
        let berry = yarn_berry().unwrap();
        f.write(
            ".yarnrc.yml",
            &format!(
                "yarnPath: {}\nnpmRegistryServer: \"{}\"\nunsafeHttpWhitelist:\n  - \"127.0.0.1\"\nenableTelemetry: false\nnodeLinker: node-modules\n# the test registry publishes versions seconds before they are used\nnpmMinimalAgeGate: 0\n",
                berry.display(),
                reg.url().trim_end_matches('/')
            ),
        );
        f.env.push((
            "YARN_GLOBAL_FOLDER".into(),
            f.tmp.path().join("yarn-berry-global").display().to_string(),
        ));
    }
    let lock = if tool == "pnpm" {
        "pnpm-lock.yaml"
    } else {
        "yarn.lock"
    };
    f.write(
        "test.js",
        &format!(
            "const t = require('fs').readFileSync('{lock}', 'utf8');\nif (!t.includes('vulnpkg')) process.exit(1);\nconsole.log('lockfile ok');\n"
        ),
    );
    f.write(
        "package.json",
        "{\n  \"name\": \"app\",\n  \"version\": \"1.0.0\",\n  \"private\": true,\n  \"scripts\": {\n    \"test\": \"node test.js\"\n  },\n  \"dependencies\": {\n    \"midpkg\": \"^1.0.0\",\n    \"parentpkg\": \"^1.0.0\",\n    \"vulnpkg\": \"^1.0.0\"\n  }\n}\n",
    );
    let scratch = f.tmp.path().join("lock-modules").display().to_string();
    if tool == "pnpm" {
        f.run(
            "pnpm",
            &f.repo,
            &["install", "--lockfile-only", "--ignore-scripts"],
        );
    } else if tool == "yarn-berry" {
        f.run("yarn", &f.repo, &["install", "--mode=update-lockfile"]);
    } else {
        f.run(
            "yarn",
            &f.repo,
            &[
                "install",
                "--ignore-scripts",
                "--non-interactive",
                "--modules-folder",
                &scratch,
            ],
        );
    }
    f.commit_all("app");
    reg.publish("vulnpkg", "1.0.1", json!({}));
    reg.publish("deeppkg", "2.0.0", json!({}));
    reg.publish("leafpkg", "1.0.1", json!({}));
    let st = store(
        f.tmp.path(),
        &[
            record("GHSA-vuln-0001-0001", "npm", "vulnpkg", "SEMVER", "1.0.1"),
            record("GHSA-deep-0002-0002", "npm", "deeppkg", "SEMVER", "2.0.0"),
            record("GHSA-leaf-0003-0003", "npm", "leafpkg", "SEMVER", "1.0.1"),
        ],
    );
    (f, reg, st)
}

/// The versions of `name` the tool itself installs from a branch's
/// lockfile (`pnpm list` / `yarn list`), independent of our parsers.
fn js_installed_versions(f: &Fixture, tool: &str, branch: &str, name: &str) -> Vec<String> {
    fn walk(v: &Value, name: &str, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::Object(deps)) = m.get("dependencies")
                    && let Some(ver) = deps.get(name).and_then(|d| d.get("version"))
                {
                    out.push(format!("{name}@{}", ver.as_str().unwrap_or("?")));
                }
                if let Some(n) = m.get("name").and_then(Value::as_str)
                    && n.starts_with(&format!("{name}@"))
                {
                    out.push(n.to_string());
                }
                // `yarn info --json` (Berry): "value": "name@npm:1.0.1".
                if let Some(v) = m.get("value").and_then(Value::as_str)
                    && let Some(ver) = v.strip_prefix(&format!("{name}@npm:"))
                {
                    out.push(format!("{name}@{ver}"));
                }
                m.values().for_each(|x| walk(x, name, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, name, out)),
            _ => {}
        }
    }
    let dir = f
        .tmp
        .path()
        .join(format!("ls-{tool}-{}", branch.replace('/', "-")));
    let d = dir.display().to_string();
    f.git(&["worktree", "add", "-q", "--detach", &d, branch]);
    let out = if tool == "yarn-berry" {
        f.run(
            "yarn",
            &dir,
            &["install", "--immutable", "--mode=skip-build"],
        );
        f.run("yarn", &dir, &["info", name, "--json", "--recursive"])
    } else if tool == "pnpm" {
        f.run(
            "pnpm",
            &dir,
            &["install", "--frozen-lockfile", "--ignore-scripts"],
        );
        f.run("pnpm", &dir, &["list", "--depth", "Infinity", "--json"])
    } else {
        f.run(
            "yarn",
            &dir,
            &[
                "install",
                "--frozen-lockfile",
                "--ignore-scripts",
                "--non-interactive",
            ],
        );
        f.run(
            "yarn",
            &dir,
            &["list", "--pattern", name, "--json", "--non-interactive"],
        )
    };
    f.git(&["worktree", "remove", "--force", &d]);
    let mut found = Vec::new();
    for line in out
        .lines()
        .filter(|l| l.trim_start().starts_with(['{', '[']))
    {
        if let Ok(v) = serde_json::from_str::<Value>(line) {
            walk(&v, name, &mut found);
        }
    }
    if found.is_empty() {
        walk(
            &serde_json::from_str(&out).unwrap_or(Value::Null),
            name,
            &mut found,
        );
    }
    found.sort();
    found.dedup();
    found
}

fn js_e2e(tool: &str) {
    let start = std::time::Instant::now();
    let program = tool.trim_end_matches("-berry");
    let (f, _reg, st) = js_fixture(tool);
    let p = make_plan(&f.repo, &st, Grouping::Package);
    let strategy = |id: &str| {
        p.groups
            .iter()
            .find(|g| g.id == id)
            .unwrap_or_else(|| panic!("{p:#?}"))
            .changes[0]
            .strategy
    };
    assert_eq!(strategy("npm-vulnpkg"), Strategy::LockfileUpdate);
    assert_eq!(strategy("npm-deeppkg"), Strategy::Override);
    // A transitive package whose parent's range allows the fix.
    assert_eq!(strategy("npm-leafpkg"), Strategy::LockfileUpdate);
    let before = f.snapshot();
    let r = apply(&p, &st, &f.policy(), &f.options()).unwrap();
    assert_eq!(f.snapshot(), before, "the user's repository changed");
    for (id, others) in [
        (
            "npm-vulnpkg",
            ["GHSA-deep-0002-0002", "GHSA-leaf-0003-0003"],
        ),
        (
            "npm-deeppkg",
            ["GHSA-leaf-0003-0003", "GHSA-vuln-0001-0001"],
        ),
        (
            "npm-leafpkg",
            ["GHSA-deep-0002-0002", "GHSA-vuln-0001-0001"],
        ),
    ] {
        let g = group(&r, id);
        assert_eq!(g.outcome, GroupOutcome::Applied, "{g:#?}");
        let t = g.test.as_ref().unwrap();
        assert_eq!(
            (t.outcome, t.command.as_str()),
            (TestOutcome::Passed, format!("{program} test").as_str())
        );
        assert!(t.log_tail.contains("lockfile ok"), "{}", t.log_tail);
        assert!(
            g.changes[0].done.starts_with(program) || g.changes[0].done.starts_with("package.json"),
            "{g:#?}"
        );
        let mut left = vuln_ids(&f.scan_branch(&g.branch, &st));
        left.sort();
        assert_eq!(left, others, "{id}");
        // Only the manifest and lockfile changed; no node_modules.
        let files = f.git(&["diff", "--name-only", "HEAD", &g.branch]);
        assert!(
            files
                .lines()
                .all(|l| l == "package.json" || l == "pnpm-lock.yaml" || l == "yarn.lock"),
            "{files}"
        );
    }
    // The tool itself, installing from the branch's lockfile, gets the
    // fixed versions.
    assert_eq!(
        js_installed_versions(&f, tool, "patchloop/npm-vulnpkg", "vulnpkg"),
        ["vulnpkg@1.0.1"]
    );
    assert_eq!(
        js_installed_versions(&f, tool, "patchloop/npm-deeppkg", "deeppkg"),
        ["deeppkg@2.0.0"]
    );
    assert_eq!(
        js_installed_versions(&f, tool, "patchloop/npm-leafpkg", "leafpkg"),
        ["leafpkg@1.0.1"]
    );
    // The transitive update left package.json alone.
    let files = f.git(&["diff", "--name-only", "HEAD", "patchloop/npm-leafpkg"]);
    assert!(!files.contains("package.json"), "{files}");
    let pj = f.show("patchloop/npm-deeppkg", "package.json");
    assert!(
        pj.ends_with("  },\n  \"resolutions\": {\n    \"deeppkg\": \"2.0.0\"\n  }\n}"),
        "{pj}"
    );
    eprintln!("{tool} end to end: {:.1}s", start.elapsed().as_secs_f64());
}

#[test]
fn pnpm_lockfile_update_and_override_tested_and_committed() {
    if have("pnpm") {
        js_e2e("pnpm");
    }
}

/// Yarn Berry's single-file release, as `.ci/install-test-tools` installs
/// it (npm `@yarnpkg/cli-dist`), or `PATCHLOOP_TEST_YARN_BERRY`.
fn yarn_berry() -> Option<PathBuf> {
    let p = std::env::var_os("PATCHLOOP_TEST_YARN_BERRY")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| {
                PathBuf::from(h).join(
                    ".local/share/patchloop-test-tools/yarn-berry/node_modules/@yarnpkg/cli-dist/bin/yarn.js",
                )
            })
        })?;
    if p.is_file() {
        Some(p)
    } else {
        eprintln!(
            "SKIPPED: Yarn Berry not found at {} (run .ci/install-test-tools)",
            p.display()
        );
        None
    }
}

#[test]
fn yarn_berry_lockfile_update_and_resolution_tested_and_committed() {
    if have("yarn") && yarn_berry().is_some() {
        js_e2e("yarn-berry");
    }
}

#[test]
fn yarn_classic_lockfile_update_and_resolution_tested_and_committed() {
    if have("yarn") {
        js_e2e("yarn");
    }
}

// ---------- a static file server on loopback, and zip archives ----------

/// Serve the files under `root` on 127.0.0.1 (a path ending in `/` serves
/// its `index.html`); the files may change while it runs.
fn serve_dir(root: PathBuf) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            let root = root.clone();
            std::thread::spawn(move || serve_file(&root, s));
        }
    });
    port
}

fn serve_file(root: &Path, mut s: TcpStream) {
    let mut reader = BufReader::new(s.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
    }
    let raw = line.split_whitespace().nth(1).unwrap_or("/");
    let path = raw.split(['?', '#']).next().unwrap_or("/");
    let mut rel = path.trim_start_matches('/').to_string();
    if rel.is_empty() || rel.ends_with('/') {
        rel.push_str("index.html");
    }
    let file = root.join(&rel);
    let ok = !rel.split('/').any(|c| c == "..");
    let (status, body) = match std::fs::read(&file) {
        Ok(b) if ok => ("200 OK", b),
        _ => ("404 Not Found", b"not found".to_vec()),
    };
    let ctype = if rel.ends_with(".html") {
        "text/html"
    } else if rel.ends_with(".json") {
        "application/json"
    } else {
        "application/octet-stream"
    };
    let _ = write!(
        s,
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = s.write_all(&body);
}

/// A zip archive (stored entries), written by the format's spec.
fn zip(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let offset = out.len() as u32;
        let common = |v: &mut Vec<u8>| {
            v.extend_from_slice(&20u16.to_le_bytes()); // version needed
            v.extend_from_slice(&0u16.to_le_bytes()); // flags
            v.extend_from_slice(&0u16.to_le_bytes()); // stored
            v.extend_from_slice(&0u16.to_le_bytes()); // time
            v.extend_from_slice(&0x21u16.to_le_bytes()); // 1980-01-01
            v.extend_from_slice(&crc.sum().to_le_bytes());
            v.extend_from_slice(&(data.len() as u32).to_le_bytes());
            v.extend_from_slice(&(data.len() as u32).to_le_bytes());
            v.extend_from_slice(&(name.len() as u16).to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes()); // extra
        };
        out.extend_from_slice(&0x04034b50u32.to_le_bytes());
        common(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(&0x02014b50u32.to_le_bytes());
        central.extend_from_slice(&(0x0300u16 | 20).to_le_bytes()); // made by: unix
        common(&mut central);
        central.extend_from_slice(&[0; 6]); // comment length, disk, internal attrs
        central.extend_from_slice(&(0o100644u32 << 16).to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x06054b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

// ---------- Python: a PEP 503 simple index on loopback ----------

/// A wheel of a one-module pure-Python package, per the binary
/// distribution format spec (METADATA, WHEEL, RECORD).
fn wheel(name: &str, version: &str, requires: &[&str]) -> (String, Vec<u8>) {
    use base64::Engine;
    let info = format!("{name}-{version}.dist-info");
    let mut meta = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
    for r in requires {
        meta.push_str(&format!("Requires-Dist: {r}\n"));
    }
    let mut files = vec![
        (
            format!("{name}/__init__.py"),
            format!("VERSION = \"{version}\"\n").into_bytes(),
        ),
        (format!("{info}/METADATA"), meta.into_bytes()),
        (
            format!("{info}/WHEEL"),
            b"Wheel-Version: 1.0\nGenerator: patchloop-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
                .to_vec(),
        ),
    ];
    let mut record = String::new();
    for (n, b) in &files {
        let h = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(b));
        record.push_str(&format!("{n},sha256={h},{}\n", b.len()));
    }
    record.push_str(&format!("{info}/RECORD,,\n"));
    files.push((format!("{info}/RECORD"), record.into_bytes()));
    (format!("{name}-{version}-py3-none-any.whl"), zip(&files))
}

struct PyIndex {
    root: PathBuf,
    port: u16,
}

impl PyIndex {
    fn start(root: PathBuf) -> PyIndex {
        std::fs::create_dir_all(root.join("simple")).unwrap();
        std::fs::create_dir_all(root.join("files")).unwrap();
        let port = serve_dir(root.clone());
        PyIndex { root, port }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/simple/", self.port)
    }

    /// Publish a wheel and rewrite the project's page.
    fn publish(&self, name: &str, version: &str, requires: &[&str]) {
        let (file, bytes) = wheel(name, version, requires);
        std::fs::write(self.root.join("files").join(&file), &bytes).unwrap();
        let dir = self.root.join("simple").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let mut links = String::new();
        let mut all: Vec<_> = std::fs::read_dir(self.root.join("files"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|f| f.starts_with(&format!("{name}-")))
            .collect();
        all.sort();
        for f in all {
            let b = std::fs::read(self.root.join("files").join(&f)).unwrap();
            links.push_str(&format!(
                "<a href=\"../../files/{f}#sha256={:x}\">{f}</a><br/>\n",
                sha2::Sha256::digest(&b)
            ));
        }
        std::fs::write(
            dir.join("index.html"),
            format!("<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n"),
        )
        .unwrap();
    }
}

/// app → vulnpy 1.0.0 (fixed in 1.0.1) and pyparent 1.0.0 → pydeep 1.0.0
/// (fixed in 1.1.0), locked by `tool` (uv, poetry, pip-tools) against the
/// loopback index.
fn py_fixture(tool: &str) -> (Fixture, PyIndex, SqliteStore, &'static str) {
    let mut f = Fixture::new();
    tool_env(&mut f);
    let idx = PyIndex::start(f.tmp.path().join("pyindex"));
    idx.publish("vulnpy", "1.0.0", &[]);
    idx.publish("pydeep", "1.0.0", &[]);
    idx.publish("pyparent", "1.0.0", &["pydeep>=1.0"]);
    let url = idx.url();
    let lock = match tool {
        "uv" => {
            f.write(
                "pyproject.toml",
                &format!(
                    "[project]\nname = \"app\"\nversion = \"0.1.0\"\nrequires-python = \">=3.8\"\ndependencies = [\n    \"vulnpy>=1.0\",  # the client\n    \"pyparent\",\n]\n\n[[tool.uv.index]]\nname = \"local\"\nurl = \"{url}\"\ndefault = true\n"
                ),
            );
            f.run("uv", &f.repo, &["lock", "--quiet"]);
            "uv.lock"
        }
        "poetry" => {
            f.write(
                "pyproject.toml",
                &format!(
                    "[project]\nname = \"app\"\nversion = \"0.1.0\"\nrequires-python = \">=3.8\"\ndependencies = [\n    \"vulnpy (>=1.0)\",\n    \"pyparent\",\n]\n\n[tool.poetry]\npackage-mode = false\n\n[[tool.poetry.source]]\nname = \"local\"\nurl = \"{url}\"\npriority = \"primary\"\n"
                ),
            );
            f.run("poetry", &f.repo, &["lock", "--no-interaction"]);
            "poetry.lock"
        }
        _ => {
            f.write(
                "requirements.in",
                &format!("--index-url {url}\nvulnpy>=1.0\npyparent\n"),
            );
            f.run(
                "pip-compile",
                &f.repo,
                &["--quiet", "--no-emit-index-url", "requirements.in"],
            );
            "requirements.txt"
        }
    };
    f.write(
        "patchloop.toml",
        &format!(
            "[apply]\ntest_command = [\"python3\", \"-c\", \"import sys; t = open('{lock}').read(); print('lock has', t.count('vulnpy'), 'vulnpy'); sys.exit(0 if 'vulnpy' in t else 1)\"]\n"
        ),
    );
    f.commit_all("app");
    idx.publish("vulnpy", "1.0.1", &[]);
    idx.publish("pydeep", "1.1.0", &[]);
    let st = store(
        f.tmp.path(),
        &[
            record("PYSEC-2099-11", "PyPI", "vulnpy", "ECOSYSTEM", "1.0.1"),
            record("PYSEC-2099-12", "PyPI", "pydeep", "ECOSYSTEM", "1.1.0"),
        ],
    );
    (f, idx, st, lock)
}

/// The versions a lockfile names, read with Python's own parsers.
fn py_locked(f: &Fixture, branch: &str, lock: &str) -> String {
    let text = f.show(branch, lock);
    let tmp = f.tmp.path().join(format!("locked-{}", lock));
    std::fs::write(&tmp, text).unwrap();
    let script = if lock.ends_with(".txt") {
        "import sys\nfor l in open(sys.argv[1]):\n    l = l.split('#')[0].strip()\n    if '==' in l: print(l)\n"
    } else {
        "import sys, tomllib\nd = tomllib.load(open(sys.argv[1], 'rb'))\nfor p in d['package']: print(p['name'] + '==' + p['version'])\n"
    };
    f.run(
        "python3",
        f.tmp.path(),
        &["-c", script, &tmp.display().to_string()],
    )
}

fn py_e2e(tool: &str) {
    let start = std::time::Instant::now();
    let (f, _idx, st, lock) = py_fixture(tool);
    let p = make_plan(&f.repo, &st, Grouping::Package);
    assert_eq!(p.groups.len(), 2, "{p:#?}");
    let before = f.snapshot();
    let r = apply(&p, &st, &f.policy(), &f.options()).unwrap();
    assert_eq!(f.snapshot(), before, "the user's repository changed");
    for (pkg, fixed, other) in [
        ("vulnpy", "vulnpy==1.0.1", "PYSEC-2099-12"),
        ("pydeep", "pydeep==1.1.0", "PYSEC-2099-11"),
    ] {
        let g = r
            .groups
            .iter()
            .find(|g| g.changes[0].package == pkg)
            .unwrap_or_else(|| panic!("{r:#?}"));
        assert_eq!(g.outcome, GroupOutcome::Applied, "{g:#?}");
        let t = g.test.as_ref().unwrap();
        assert_eq!(t.outcome, TestOutcome::Passed);
        assert!(t.log_tail.contains("lock has"), "{}", t.log_tail);
        // The ecosystem's own tool made the change.
        let by = match tool {
            "uv" => "uv lock --upgrade-package",
            "poetry" => "poetry update --lock",
            _ => "pip-compile ",
        };
        assert!(g.changes[0].done.starts_with(by), "{g:#?}");
        let locked = py_locked(&f, &g.branch, lock);
        assert!(locked.lines().any(|l| l == fixed), "{locked}");
        assert_eq!(vuln_ids(&f.scan_branch(&g.branch, &st)), [other], "{pkg}");
    }
    eprintln!("{tool} end to end: {:.1}s", start.elapsed().as_secs_f64());
}

#[test]
fn uv_lock_upgraded_tested_and_committed() {
    if have("uv") {
        py_e2e("uv");
    }
}

#[test]
fn poetry_lock_updated_tested_and_committed() {
    if have("poetry") {
        py_e2e("poetry");
    }
}

#[test]
fn pip_compile_recompiles_tested_and_committed() {
    if have("pip-compile") {
        py_e2e("pip-tools");
    }
}

// ---------- Go: a module proxy directory (GOPROXY=file://) ----------

/// Publish `module@v` into a GOPROXY directory: list, .info, .mod and the
/// module zip in the proxy protocol's layout.
fn publish_module(
    proxy: &Path,
    module: &str,
    v: &str,
    requires: &[(&str, &str)],
    imports: &[&str],
) {
    let dir = proxy.join(module).join("@v");
    std::fs::create_dir_all(&dir).unwrap();
    let mut gomod = format!("module {module}\n\ngo 1.19\n");
    for (m, mv) in requires {
        gomod.push_str(&format!("\nrequire {m} {mv}\n"));
    }
    let pkg = module.rsplit('/').next().unwrap();
    let mut src = format!("package {pkg}\n\n");
    for i in imports {
        src.push_str(&format!("import _ \"{i}\"\n"));
    }
    src.push_str(&format!("\nconst Version = \"{v}\"\n"));
    let prefix = format!("{module}@{v}");
    let z = zip(&[
        (format!("{prefix}/go.mod"), gomod.clone().into_bytes()),
        (format!("{prefix}/{pkg}.go"), src.into_bytes()),
    ]);
    std::fs::write(dir.join(format!("{v}.zip")), z).unwrap();
    std::fs::write(dir.join(format!("{v}.mod")), gomod).unwrap();
    std::fs::write(
        dir.join(format!("{v}.info")),
        format!("{{\"Version\":\"{v}\",\"Time\":\"2025-01-01T00:00:00Z\"}}"),
    )
    .unwrap();
    let mut list = std::fs::read_to_string(dir.join("list")).unwrap_or_default();
    list.push_str(&format!("{v}\n"));
    std::fs::write(dir.join("list"), list).unwrap();
}

#[test]
fn go_get_and_tidy_tested_and_committed() {
    if !have("go") {
        return;
    }
    let start = std::time::Instant::now();
    let mut f = Fixture::new();
    tool_env(&mut f);
    let proxy = f.tmp.path().join("goproxy");
    f.env
        .push(("GOPROXY".into(), format!("file://{}", proxy.display())));
    publish_module(&proxy, "example.com/vuln", "v1.0.0", &[], &[]);
    publish_module(&proxy, "example.com/deep", "v1.0.0", &[], &[]);
    publish_module(
        &proxy,
        "example.com/parent",
        "v1.0.0",
        &[("example.com/deep", "v1.0.0")],
        &["example.com/deep"],
    );
    f.write(
        "go.mod",
        "module example.com/app\n\ngo 1.19\n\nrequire (\n\texample.com/parent v1.0.0\n\texample.com/vuln v1.0.0 // the client\n)\n",
    );
    f.write(
        "app.go",
        "package app\n\nimport (\n\t\"example.com/parent\"\n\t\"example.com/vuln\"\n)\n\nfunc Versions() string { return parent.Version + \" \" + vuln.Version }\n",
    );
    f.write(
        "app_test.go",
        "package app\n\nimport \"testing\"\n\nfunc TestVersions(t *testing.T) {\n\tt.Log(Versions())\n\tif Versions() == \"\" {\n\t\tt.Fatal(\"empty\")\n\t}\n}\n",
    );
    f.run("go", &f.repo, &["mod", "tidy"]);
    f.commit_all("app");
    publish_module(&proxy, "example.com/vuln", "v1.0.1", &[], &[]);
    publish_module(&proxy, "example.com/deep", "v1.1.0", &[], &[]);
    let st = store(
        f.tmp.path(),
        &[
            record("GO-2099-0001", "Go", "example.com/vuln", "SEMVER", "1.0.1"),
            record("GO-2099-0002", "Go", "example.com/deep", "SEMVER", "1.1.0"),
        ],
    );
    let p = make_plan(&f.repo, &st, Grouping::Package);
    assert_eq!(p.groups.len(), 2, "{p:#?}");
    let before = f.snapshot();
    let r = apply(&p, &st, &f.policy(), &f.options()).unwrap();
    assert_eq!(f.snapshot(), before, "the user's repository changed");
    for (module, fixed, other) in [
        (
            "example.com/vuln",
            "example.com/vuln v1.0.1",
            "GO-2099-0002",
        ),
        (
            "example.com/deep",
            "example.com/deep v1.1.0",
            "GO-2099-0001",
        ),
    ] {
        let g = r
            .groups
            .iter()
            .find(|g| g.changes[0].package == module)
            .unwrap_or_else(|| panic!("{r:#?}"));
        assert_eq!(g.outcome, GroupOutcome::Applied, "{g:#?}");
        assert!(g.changes[0].done.starts_with("go get "), "{g:#?}");
        let t = g.test.as_ref().unwrap();
        assert_eq!(
            (t.outcome, t.command.as_str()),
            (TestOutcome::Passed, "go test ./...")
        );
        // The go command itself reads the branch's build list.
        let dir = f.tmp.path().join(format!("golist-{}", g.id));
        let d = dir.display().to_string();
        f.git(&["worktree", "add", "-q", "--detach", &d, &g.branch]);
        let all = f.run("go", &dir, &["list", "-m", "all"]);
        f.git(&["worktree", "remove", "--force", &d]);
        assert!(all.lines().any(|l| l == fixed), "{all}");
        assert_eq!(
            vuln_ids(&f.scan_branch(&g.branch, &st)),
            [other],
            "{module}"
        );
        let gomod = f.show(&g.branch, "go.mod");
        assert!(gomod.contains("// the client"), "{gomod}");
    }
    eprintln!("go end to end: {:.1}s", start.elapsed().as_secs_f64());
}

// ---------- missing tools: refusals, and the file edits that are sound ----------

#[test]
fn missing_tools_refuse_or_fall_back_to_file_edits() {
    let f = Fixture::new();
    let files: &[(&str, &str)] = &[
        (
            "pnpm/package.json",
            "{\n  \"name\": \"p\",\n  \"dependencies\": {\"vulnpnpm\": \"^1.0.0\"}\n}\n",
        ),
        (
            "pnpm/pnpm-lock.yaml",
            "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      vulnpnpm:\n        specifier: ^1.0.0\n        version: 1.0.0\n\npackages:\n\n  vulnpnpm@1.0.0:\n    resolution: {integrity: sha512-AAAA}\n\nsnapshots:\n\n  vulnpnpm@1.0.0: {}\n",
        ),
        (
            "yarn/package.json",
            "{\n  \"name\": \"y\",\n  \"dependencies\": {\"vulnyarn\": \"^1.0.0\"}\n}\n",
        ),
        (
            "yarn/yarn.lock",
            "# yarn lockfile v1\n\n\nvulnyarn@^1.0.0:\n  version \"1.0.0\"\n  resolved \"http://127.0.0.1:9/vulnyarn/-/vulnyarn-1.0.0.tgz\"\n",
        ),
        (
            "uv/pyproject.toml",
            "[project]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"vulnuv>=1.0\"]\n",
        ),
        (
            "uv/uv.lock",
            "version = 1\nrequires-python = \">=3.8\"\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = { virtual = \".\" }\ndependencies = [{ name = \"vulnuv\" }]\n\n[[package]]\nname = \"vulnuv\"\nversion = \"1.0.0\"\nsource = { registry = \"http://127.0.0.1:9/simple\" }\n",
        ),
        (
            "poetry/pyproject.toml",
            "[project]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"vulnpoetry (>=1.0)\"]\n",
        ),
        (
            "poetry/poetry.lock",
            "[[package]]\nname = \"vulnpoetry\"\nversion = \"1.0.0\"\ndescription = \"\"\noptional = false\npython-versions = \"*\"\nfiles = []\n\n[metadata]\nlock-version = \"2.1\"\npython-versions = \">=3.8\"\ncontent-hash = \"00\"\n",
        ),
        (
            "ruby/Gemfile",
            "source \"http://127.0.0.1:9\"\ngem \"vulngem\", \"~> 1.0\"\n",
        ),
        (
            "ruby/Gemfile.lock",
            "GEM\n  remote: http://127.0.0.1:9/\n  specs:\n    vulngem (1.0.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  vulngem (~> 1.0)\n\nBUNDLED WITH\n   2.3.15\n",
        ),
        (
            "php/composer.json",
            "{\"require\": {\"acme/vuln\": \"^1.0\"}}\n",
        ),
        (
            "php/composer.lock",
            "{\"content-hash\": \"00\", \"packages\": [{\"name\": \"acme/vuln\", \"version\": \"1.0.0\", \"type\": \"library\"}], \"packages-dev\": []}\n",
        ),
        (
            "go/go.mod",
            "module example.com/app\n\ngo 1.19\n\nrequire (\n\texample.com/other v0.3.0\n\texample.com/vuln v1.0.0 // the client\n)\n",
        ),
        (
            "pip/requirements.in",
            "vulnpip==1.0.0  # pinned on purpose\n",
        ),
        (
            "pip/requirements.txt",
            "#\n# This file is autogenerated by pip-compile\n#\nvulnpip==1.0.0\n    # via -r requirements.in\n",
        ),
        (
            "patchloop.toml",
            "[apply]\ntest_command = [\"/bin/sh\", \"-c\", \"exit 0\"]\n",
        ),
    ];
    for (p, t) in files {
        f.write(p, t);
    }
    f.commit_all("fixtures");
    let st = store(
        f.tmp.path(),
        &[
            record("GHSA-aaaa-0001-0001", "npm", "vulnpnpm", "SEMVER", "1.0.1"),
            record("GHSA-aaaa-0002-0002", "npm", "vulnyarn", "SEMVER", "1.0.1"),
            record("PYSEC-2099-21", "PyPI", "vulnuv", "ECOSYSTEM", "1.0.1"),
            record("PYSEC-2099-22", "PyPI", "vulnpoetry", "ECOSYSTEM", "1.0.1"),
            record("PYSEC-2099-23", "PyPI", "vulnpip", "ECOSYSTEM", "1.0.1"),
            record(
                "GHSA-aaaa-0003-0003",
                "RubyGems",
                "vulngem",
                "ECOSYSTEM",
                "1.0.1",
            ),
            record(
                "GHSA-aaaa-0004-0004",
                "Packagist",
                "acme/vuln",
                "ECOSYSTEM",
                "1.0.1",
            ),
            record("GO-2099-0003", "Go", "example.com/vuln", "SEMVER", "1.0.1"),
        ],
    );
    let p = make_plan(&f.repo, &st, Grouping::Package);
    assert_eq!(p.groups.len(), 8, "{p:#?}");
    // A PATH with git only.
    let bin = f.tmp.path().join("bin-git-only");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(which("git"), bin.join("git")).unwrap();
    let mut o = f.options();
    o.env.push(("PATH".into(), bin.display().to_string()));
    let before = f.snapshot();
    let r = apply(&p, &st, &f.policy(), &o).unwrap();
    assert_eq!(f.snapshot(), before);
    let by_pkg = |name: &str| {
        r.groups
            .iter()
            .find(|g| g.changes[0].package == name)
            .unwrap_or_else(|| panic!("{r:#?}"))
    };
    for (pkg, tool, file) in [
        ("vulnpnpm", "pnpm", "pnpm-lock.yaml"),
        ("vulnyarn", "yarn", "yarn.lock"),
        ("vulnuv", "uv", "uv.lock"),
        ("vulnpoetry", "poetry", "poetry.lock"),
        ("vulngem", "bundle", "Gemfile.lock"),
        ("acme/vuln", "composer", "composer.lock"),
    ] {
        let g = by_pkg(pkg);
        assert_eq!(g.outcome, GroupOutcome::Refused, "{g:#?}");
        assert_eq!(
            g.reason.as_deref().unwrap(),
            format!(
                "{tool} is not installed (not on PATH): {file} cannot be updated soundly without it (its resolution and checksums come from the registry); install {tool} or make the change by hand"
            )
        );
        assert!(!f.git_ok(&["rev-parse", "--verify", "-q", &g.branch]));
    }
    // go.mod: the require line, edited in place.
    let g = by_pkg("example.com/vuln");
    assert_eq!(g.outcome, GroupOutcome::Applied, "{g:#?}");
    assert!(g.changes[0].done.contains("go.sum not refreshed"), "{g:#?}");
    assert_eq!(
        f.show(&g.branch, "go/go.mod"),
        "module example.com/app\n\ngo 1.19\n\nrequire (\n\texample.com/other v0.3.0\n\texample.com/vuln v1.0.1 // the client\n)"
    );
    // pip-tools output: both pins, edited in place.
    let g = by_pkg("vulnpip");
    assert_eq!(g.outcome, GroupOutcome::Applied, "{g:#?}");
    assert!(
        g.changes[0].done.starts_with("pip-compile not installed"),
        "{g:#?}"
    );
    assert_eq!(
        f.show(&g.branch, "pip/requirements.txt"),
        "#\n# This file is autogenerated by pip-compile\n#\nvulnpip==1.0.1\n    # via -r requirements.in"
    );
    assert_eq!(
        f.show(&g.branch, "pip/requirements.in"),
        "vulnpip==1.0.1  # pinned on purpose"
    );
}

// ---------- a parent bump: the transitive fix needs a newer parent ----------

#[test]
fn npm_parent_bump_reaches_the_transitive_fix() {
    let start = std::time::Instant::now();
    let f = Fixture::new();
    let reg = NpmRegistry::start();
    reg.publish("deeppkg", "1.0.0", json!({}));
    reg.publish("parentpkg", "1.0.0", json!({"deeppkg": "^1.0.0"}));
    f.write(".npmrc", &format!("registry={}\n", reg.url()));
    f.write(
        "package.json",
        "{\n  \"name\": \"app\",\n  \"version\": \"1.0.0\",\n  \"private\": true,\n  \"dependencies\": {\n    \"parentpkg\": \"^1.0.0\"\n  }\n}\n",
    );
    f.run(
        "npm",
        &f.repo,
        &[
            "install",
            "--package-lock-only",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
        ],
    );
    f.commit_all("app");
    // The fix is a major release of the transitive package; only the next
    // parent release allows it (and 1.0.1 does not yet).
    reg.publish("deeppkg", "2.0.0", json!({}));
    reg.publish("parentpkg", "1.0.1", json!({"deeppkg": "^1.0.0"}));
    reg.publish("parentpkg", "1.1.0", json!({"deeppkg": "^2.0.0"}));
    // Published yesterday (TODAY is 2026-03-02).
    reg.times.lock().unwrap().insert(
        ("parentpkg".into(), "1.1.0".into()),
        "2026-03-01T08:00:00.000Z".into(),
    );
    let st = store(
        f.tmp.path(),
        &[record(
            "GHSA-deep-0003-0003",
            "npm",
            "deeppkg",
            "SEMVER",
            "2.0.0",
        )],
    );
    let registry =
        patchloop_remedy::registry::Registries::new(patchloop_remedy::registry::RegistryConfig {
            urls: patchloop_remedy::registry::RegistryUrls::all(&reg.url()),
            ..Default::default()
        });
    // A 7-day cooldown: the parent release is too new to be chosen; npm
    // can still override the transitive version.
    let cooled = plan_with_cooldown(&f.repo, &st, &registry, 7);
    let c = &cooled.groups[0].changes[0];
    assert_eq!(c.strategy, Strategy::Override, "{cooled:#?}");
    assert!(c.parent.is_none());
    assert!(
        c.action.starts_with("parentpkg 1.1.0 allows deeppkg 2.0.0 but was published 1 day(s) ago (cooldown_days = 7)"),
        "{}",
        c.action
    );
    // Two days' cooldown has passed (1 day < 2 is still cooling; 0 is off).
    assert_eq!(
        plan_with_cooldown(&f.repo, &st, &registry, 1).groups[0].changes[0].strategy,
        Strategy::BumpParent
    );
    let p = make_plan_with(&f.repo, &st, Grouping::Package, &registry);
    let c = &p.groups[0].changes[0];
    assert_eq!(c.strategy, Strategy::BumpParent, "{p:#?}");
    let pb = c.parent.as_ref().unwrap();
    assert_eq!(
        (pb.package.as_str(), pb.from.as_str(), pb.to.as_str()),
        ("parentpkg", "1.0.0", "1.1.0")
    );
    let before = f.snapshot();
    let r = apply(&p, &st, &f.policy(), &f.options()).unwrap();
    assert_eq!(f.snapshot(), before);
    let g = &r.groups[0];
    assert_eq!(g.outcome, GroupOutcome::Applied, "{g:#?}");
    assert!(
        g.changes[0]
            .done
            .starts_with("npm install parentpkg@^1.1.0 --save-prod"),
        "{g:#?}"
    );
    let lock: Value = serde_json::from_str(&f.show(&g.branch, "package-lock.json")).unwrap();
    assert_eq!(
        lock["packages"]["node_modules/parentpkg"]["version"],
        "1.1.0"
    );
    assert_eq!(lock["packages"]["node_modules/deeppkg"]["version"], "2.0.0");
    let pj: Value = serde_json::from_str(&f.show(&g.branch, "package.json")).unwrap();
    assert_eq!(pj["dependencies"]["parentpkg"], "^1.1.0");
    assert!(vuln_ids(&f.scan_branch(&g.branch, &st)).is_empty());
    eprintln!(
        "npm parent bump end to end: {:.1}s",
        start.elapsed().as_secs_f64()
    );
}

// ---------- Bundler: a gem source on loopback (gem build + generate_index) ----------

/// Build `name-version.gem` with `gem build` into `<index>/gems` and
/// regenerate the source's index files with `gem generate_index`.
fn publish_gem(f: &Fixture, index: &Path, name: &str, version: &str) {
    let src = f.tmp.path().join(format!("gemsrc-{name}-{version}"));
    std::fs::create_dir_all(src.join("lib")).unwrap();
    std::fs::write(
        src.join("lib").join(format!("{name}.rb")),
        format!("module Vulngem\n  VERSION = \"{version}\"\nend\n"),
    )
    .unwrap();
    std::fs::write(
        src.join(format!("{name}.gemspec")),
        format!(
            "Gem::Specification.new do |s|\n  s.name = \"{name}\"\n  s.version = \"{version}\"\n  s.summary = \"test gem\"\n  s.authors = [\"patchloop\"]\n  s.license = \"MIT\"\n  s.files = [\"lib/{name}.rb\"]\nend\n"
        ),
    )
    .unwrap();
    f.run(
        "gem",
        &src,
        &["build", "--silent", &format!("{name}.gemspec")],
    );
    std::fs::create_dir_all(index.join("gems")).unwrap();
    let gem = format!("{name}-{version}.gem");
    std::fs::rename(src.join(&gem), index.join("gems").join(&gem)).unwrap();
    let d = index.display().to_string();
    f.run(
        "gem",
        f.tmp.path(),
        &["generate_index", "--silent", "-d", &d],
    );
}

#[test]
fn bundler_lock_update_tested_and_committed() {
    if !have("bundle") || !have("gem") {
        return;
    }
    let start = std::time::Instant::now();
    let mut f = Fixture::new();
    tool_env(&mut f);
    let index = f.tmp.path().join("gemsource");
    std::fs::create_dir_all(&index).unwrap();
    let port = serve_dir(index.clone());
    publish_gem(&f, &index, "vulngem", "1.0.0");
    f.write(
        "Gemfile",
        &format!(
            "source \"http://127.0.0.1:{port}\"\n\ngem \"vulngem\", \"~> 1.0\" # the client\n"
        ),
    );
    f.write(
        "patchloop.toml",
        "[apply]\ntest_command = [\"ruby\", \"-e\", \"t = File.read('Gemfile.lock'); puts t[/vulngem \\\\(.*\\\\)/]; exit(t.include?('vulngem') ? 0 : 1)\"]\n",
    );
    f.run("bundle", &f.repo, &["lock"]);
    f.commit_all("app");
    publish_gem(&f, &index, "vulngem", "1.0.1");
    let st = store(
        f.tmp.path(),
        &[record(
            "GHSA-gem0-0001-0001",
            "RubyGems",
            "vulngem",
            "ECOSYSTEM",
            "1.0.1",
        )],
    );
    let p = make_plan(&f.repo, &st, Grouping::Package);
    let before = f.snapshot();
    let r = apply(&p, &st, &f.policy(), &f.options()).unwrap();
    assert_eq!(f.snapshot(), before);
    let g = &r.groups[0];
    assert_eq!(g.outcome, GroupOutcome::Applied, "{g:#?}");
    assert_eq!(
        g.changes[0].done,
        "bundle lock --update vulngem --conservative"
    );
    assert_eq!(g.test.as_ref().unwrap().outcome, TestOutcome::Passed);
    // Bundler's own lockfile parser reads the branch's lockfile.
    let dir = f.tmp.path().join("gem-branch");
    let d = dir.display().to_string();
    f.git(&["worktree", "add", "-q", "--detach", &d, &g.branch]);
    let specs = f.run(
        "ruby",
        &dir,
        &[
            "-rbundler",
            "-e",
            "puts Bundler::LockfileParser.new(File.read('Gemfile.lock')).specs.map { |s| \"#{s.name}-#{s.version}\" }",
        ],
    );
    f.git(&["worktree", "remove", "--force", &d]);
    assert_eq!(specs, "vulngem-1.0.1");
    assert!(vuln_ids(&f.scan_branch(&g.branch, &st)).is_empty());
    eprintln!("bundler end to end: {:.1}s", start.elapsed().as_secs_f64());
}

// ---------- Composer: a `composer` repository (packages.json) on loopback ----------

fn publish_composer(root: &Path, port: u16, name: &str, version: &str) {
    let file = format!("dist/{}-{version}.zip", name.replace('/', "-"));
    let cj =
        json!({"name": name, "version": version, "autoload": {"psr-4": {"Acme\\Vuln\\": "src/"}}});
    let z = zip(&[
        ("composer.json".to_string(), cj.to_string().into_bytes()),
        (
            "src/Version.php".to_string(),
            format!("<?php\nnamespace Acme\\Vuln;\nconst VERSION = '{version}';\n").into_bytes(),
        ),
    ]);
    std::fs::create_dir_all(root.join("dist")).unwrap();
    std::fs::write(root.join(&file), &z).unwrap();
    let pj = root.join("packages.json");
    let mut all: Value = std::fs::read_to_string(&pj)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_else(|| json!({"packages": {}}));
    all["packages"][name][version] = json!({
        "name": name, "version": version, "type": "library",
        "autoload": {"psr-4": {"Acme\\Vuln\\": "src/"}},
        "dist": {"type": "zip", "url": format!("http://127.0.0.1:{port}/{file}")}
    });
    std::fs::write(pj, all.to_string()).unwrap();
}

#[test]
fn composer_update_tested_and_committed() {
    if !have("composer") {
        return;
    }
    let start = std::time::Instant::now();
    let mut f = Fixture::new();
    tool_env(&mut f);
    let root = f.tmp.path().join("composer-repo");
    std::fs::create_dir_all(&root).unwrap();
    let port = serve_dir(root.clone());
    publish_composer(&root, port, "acme/vuln", "1.0.0");
    f.write(
        "composer.json",
        &format!(
            "{{\n    \"name\": \"acme/app\",\n    \"repositories\": [\n        {{\"type\": \"composer\", \"url\": \"http://127.0.0.1:{port}\"}},\n        {{\"packagist.org\": false}}\n    ],\n    \"require\": {{\n        \"acme/vuln\": \"^1.0\"\n    }},\n    \"config\": {{\"secure-http\": false}},\n    \"scripts\": {{\n        \"test\": \"php -r \\\"echo 'lock ok', PHP_EOL; exit(strpos(file_get_contents('composer.lock'), 'acme/vuln') === false ? 1 : 0);\\\"\"\n    }}\n}}\n"
        ),
    );
    f.run(
        "composer",
        &f.repo,
        &[
            "update",
            "--no-install",
            "--no-scripts",
            "--no-plugins",
            "--no-interaction",
        ],
    );
    f.commit_all("app");
    publish_composer(&root, port, "acme/vuln", "1.0.1");
    let st = store(
        f.tmp.path(),
        &[record(
            "GHSA-php0-0001-0001",
            "Packagist",
            "acme/vuln",
            "ECOSYSTEM",
            "1.0.1",
        )],
    );
    let p = make_plan(&f.repo, &st, Grouping::Package);
    let before = f.snapshot();
    let r = apply(&p, &st, &f.policy(), &f.options()).unwrap();
    assert_eq!(f.snapshot(), before);
    let g = &r.groups[0];
    assert_eq!(g.outcome, GroupOutcome::Applied, "{g:#?}");
    assert!(
        g.changes[0]
            .done
            .starts_with("composer update acme/vuln --with-dependencies"),
        "{g:#?}"
    );
    let t = g.test.as_ref().unwrap();
    assert_eq!(
        (t.outcome, t.command.as_str()),
        (TestOutcome::Passed, "composer test")
    );
    assert!(t.log_tail.contains("lock ok"), "{}", t.log_tail);
    // PHP reads the branch's lockfile.
    let lock = f.tmp.path().join("branch-composer.lock");
    std::fs::write(&lock, f.show(&g.branch, "composer.lock")).unwrap();
    let locked = f.run(
        "php",
        f.tmp.path(),
        &[
            "-r",
            "$l = json_decode(file_get_contents($argv[1]), true); foreach ($l['packages'] as $p) echo $p['name'], '==', $p['version'], PHP_EOL;",
            &lock.display().to_string(),
        ],
    );
    assert_eq!(locked, "acme/vuln==1.0.1");
    assert!(vuln_ids(&f.scan_branch(&g.branch, &st)).is_empty());
    eprintln!("composer end to end: {:.1}s", start.elapsed().as_secs_f64());
}

#[test]
fn a_registry_that_does_not_answer_is_a_refusal_naming_the_command() {
    if !have("pnpm") {
        return;
    }
    let (f, _reg, st) = js_fixture("pnpm");
    let p = make_plan(&f.repo, &st, Grouping::Package);
    // Nothing listens on port 1.
    let mut o = f.options();
    o.env.extend([
        ("npm_config_registry".into(), "http://127.0.0.1:1/".into()),
        ("npm_config_fetch_retries".into(), "0".into()),
        ("npm_config_fetch_timeout".into(), "2000".into()),
    ]);
    let before = f.snapshot();
    let r = apply(&p, &st, &f.policy(), &o).unwrap();
    assert_eq!(f.snapshot(), before);
    let g = group(&r, "npm-vulnpkg");
    assert_eq!(g.outcome, GroupOutcome::Refused, "{g:#?}");
    let why = g.reason.as_deref().unwrap();
    assert!(
        why.starts_with("vulnpkg 1.0.0 → 1.0.1: `pnpm add vulnpkg@^1.0.1 --save-prod --lockfile-only --ignore-scripts` failed (exit 1): "),
        "{why}"
    );
    assert!(why.contains("127.0.0.1:1"), "{why}");
    assert!(!f.git_ok(&["rev-parse", "--verify", "-q", &g.branch]));
}

fn plan_with_cooldown(
    repo: &Path,
    store: &SqliteStore,
    registry: &dyn patchloop_remedy::registry::VersionSource,
    days: u32,
) -> Plan {
    let inv = patchloop_inventory::inventory(&[repo.to_path_buf()], &Default::default()).unwrap();
    let report = scan(repo, store);
    plan(
        &report,
        &inv,
        store,
        registry,
        &PlanOptions {
            grouping: Grouping::Package,
            today: TODAY.into(),
            paths: vec![repo.display().to_string()],
            generator: "test".into(),
            cooldown_days: days,
        },
    )
    .unwrap()
}

#[test]
fn a_berry_lockfile_with_only_yarn_1_is_refused() {
    if !have("yarn") {
        return;
    }
    let f = Fixture::new();
    f.write(
        "package.json",
        "{\n  \"name\": \"app\",\n  \"dependencies\": {\"vulnyarn\": \"^1.0.0\"}\n}\n",
    );
    f.write(
        "yarn.lock",
        "# This file is generated by running \"yarn install\" inside your project.\n\n__metadata:\n  version: 8\n  cacheKey: 10c0\n\n\"app@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"app@workspace:.\"\n  dependencies:\n    vulnyarn: \"npm:^1.0.0\"\n  languageName: unknown\n  linkType: soft\n\n\"vulnyarn@npm:^1.0.0\":\n  version: 1.0.0\n  resolution: \"vulnyarn@npm:1.0.0\"\n  checksum: 10c0/00\n  languageName: node\n  linkType: hard\n",
    );
    f.commit_all("app");
    let st = store(
        f.tmp.path(),
        &[record(
            "GHSA-aaaa-0002-0002",
            "npm",
            "vulnyarn",
            "SEMVER",
            "1.0.1",
        )],
    );
    let p = make_plan(&f.repo, &st, Grouping::Package);
    let before = f.snapshot();
    let r = apply(&p, &st, &f.policy(), &f.options()).unwrap();
    assert_eq!(f.snapshot(), before);
    let g = &r.groups[0];
    assert_eq!(g.outcome, GroupOutcome::Refused, "{g:#?}");
    let why = g.reason.as_deref().unwrap();
    assert!(
        why.contains("yarn.lock is a Yarn Berry (v2+) lockfile but the yarn here is 1."),
        "{why}"
    );
    assert!(!f.git_ok(&["rev-parse", "--verify", "-q", &g.branch]));
}
