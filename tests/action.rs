//! The GitHub Action (`action.yml`, `action/run.sh`) run as a runner runs it: action.yml read
//! with PyYAML, its inputs' defaults and the workflow's `with:` mapped into its step's `env` as
//! GitHub does, the step's script run by bash; the release it downloads is a fake one, cargo-dist's
//! layout with this build's binary, served on 127.0.0.1. And the linters every CI file must
//! pass: actionlint (with shellcheck) on each workflow, ours and the one `init` writes, and
//! hadolint on each Containerfile.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

use crate::pytools::{install_once, repo_dir, show, yaml_as_json};
use crate::util::{files_below, read_report, server};

/// The release name of a Linux X64 runner, the one these tests play.
pub const TRIPLE: &str = "x86_64-unknown-linux-musl";

/// Static files from a folder over HTTP/1.1 on 127.0.0.1, for as long as the process lives;
/// every path asked for is logged.
pub struct FileServer {
    pub url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl FileServer {
    pub fn start(root: &Path) -> FileServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (log, dir) = (requests.clone(), root.to_path_buf());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (log, dir) = (log.clone(), dir.clone());
                std::thread::spawn(move || answer(stream, &dir, &log));
            }
        });
        FileServer { url, requests }
    }

    /// The paths asked for so far.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn answer(stream: TcpStream, root: &Path, log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split(' ').nth(1).unwrap_or("/").to_owned();
    let mut header = String::new();
    while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
        header.clear();
    }
    log.lock().unwrap().push(path.clone());
    let file = root.join(path.trim_start_matches('/'));
    let inside = !path.split('/').any(|part| part == "..");
    let mut stream = stream;
    match std::fs::read(&file)
        .ok()
        .filter(|_| inside && file.is_file())
    {
        Some(body) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
        None => {
            let _ = stream.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// This crate's version, from Cargo.toml as the release workflow tags it.
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// Writes the release `v{version}` into `root` as cargo-dist lays it out:
/// `authconform-{TRIPLE}.tar.xz`, holding `authconform-{TRIPLE}/` with `binary` as
/// `authconform`, README.md and LICENSE, and beside it its `.sha256` (`HASH  NAME`), whose
/// hash is `checksum` when given (a tampered release).
pub fn write_release(root: &Path, binary: &Path, checksum: Option<&str>) {
    let tag = root.join(format!("v{}", version()));
    let folder = format!("authconform-{TRIPLE}");
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(work.path().join(&folder)).unwrap();
    std::fs::create_dir_all(&tag).unwrap();
    std::fs::copy(binary, work.path().join(&folder).join("authconform")).unwrap();
    for doc in ["README.md", "LICENSE"] {
        std::fs::copy(repo_dir().join(doc), work.path().join(&folder).join(doc)).unwrap();
    }
    let archive = format!("{folder}.tar.xz");
    let out = Command::new("tar")
        .current_dir(work.path())
        .env("XZ_OPT", "-0 -T0")
        .arg("-cJf")
        .arg(tag.join(&archive))
        .arg(&folder)
        .output()
        .unwrap();
    assert!(out.status.success(), "tar -cJf: {}", show(&out));
    let hash = match checksum {
        Some(hash) => hash.to_owned(),
        None => sha256_hex(&std::fs::read(tag.join(&archive)).unwrap()),
    };
    std::fs::write(
        tag.join(format!("{archive}.sha256")),
        format!("{hash}  {archive}\n"),
    )
    .unwrap();
}

/// A stand-in for the binary: a script that appends its arguments, one per line, to `log`
/// (each call after a `--` line), prints `diff_output` and exits `diff_code` for `diff`, and
/// hands anything else to this build's binary.
pub fn recording_binary(dir: &Path, log: &Path, diff_output: &str, diff_code: i32) -> PathBuf {
    let path = dir.join("recording-authconform");
    let real = assert_cmd::cargo::cargo_bin!("authconform");
    let quote = |p: &Path| shlex::try_quote(p.to_str().unwrap()).unwrap().into_owned();
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\n{{ echo --; printf '%s\\n' \"$@\"; }} >> {log}\n\
             if [ \"$1\" = diff ]; then printf '%s\\n' {out}; exit {diff_code}; fi\n\
             exec {real} \"$@\"\n",
            log = quote(log),
            out = shlex::try_quote(diff_output).unwrap(),
            real = quote(real),
        ),
    )
    .unwrap();
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&path, perms).unwrap();
    path
}

/// The recorded calls of a [`recording_binary`]: each its arguments.
pub fn calls(log: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut calls: Vec<Vec<String>> = Vec::new();
    for line in text.lines() {
        match line {
            "--" => calls.push(Vec::new()),
            arg => calls.last_mut().unwrap().push(arg.to_owned()),
        }
    }
    calls
}

/// One release of this build's real binary, written and served once per test process (the
/// archive takes seconds to pack).
pub fn shared_release() -> &'static FileServer {
    static RELEASE: OnceLock<(tempfile::TempDir, FileServer)> = OnceLock::new();
    let (_, server) = RELEASE.get_or_init(|| {
        let root = tempfile::tempdir().unwrap();
        write_release(
            root.path(),
            assert_cmd::cargo::cargo_bin!("authconform"),
            None,
        );
        let server = FileServer::start(root.path());
        (root, server)
    });
    server
}

/// What a step left: its exit code, output, the step summary so far and its outputs.
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub summary: String,
    pub outputs: BTreeMap<String, String>,
}

/// A job on a runner: its workspace (the checkout), RUNNER_TEMP, the step summary file, and
/// the release the Action downloads from.
pub struct Runner {
    pub workspace: PathBuf,
    pub temp: tempfile::TempDir,
    pub os: &'static str,
    pub arch: &'static str,
    pub release: String,
    /// Extra folders put first on PATH (none on a runner: the Action brings the binary).
    pub path: Vec<PathBuf>,
}

impl Runner {
    pub fn new(workspace: &Path, release: &str) -> Runner {
        Runner {
            workspace: workspace.to_path_buf(),
            temp: tempfile::tempdir().unwrap(),
            os: "Linux",
            arch: "X64",
            release: release.to_owned(),
            path: Vec::new(),
        }
    }

    pub fn summary(&self) -> String {
        std::fs::read_to_string(self.temp.path().join("step-summary.md")).unwrap_or_default()
    }

    /// Runs `script` as a `shell: bash` step (`bash --noprofile --norc -eo pipefail`) with
    /// only `env` and what a runner sets.
    pub fn bash(&self, script: &str, env: &[(String, String)], extra: &[(&str, &Path)]) -> Ran {
        let output_file = tempfile::NamedTempFile::new_in(self.temp.path()).unwrap();
        let runner_temp = self.temp.path().join("runner-temp");
        std::fs::create_dir_all(&runner_temp).unwrap();
        let out = Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
            .current_dir(&self.workspace)
            .env_clear()
            .env("PATH", self.path_var())
            .env("GITHUB_ACTIONS", "true")
            .env("RUNNER_OS", self.os)
            .env("RUNNER_ARCH", self.arch)
            .env("RUNNER_TEMP", &runner_temp)
            .env("GITHUB_WORKSPACE", &self.workspace)
            .env(
                "GITHUB_STEP_SUMMARY",
                self.temp.path().join("step-summary.md"),
            )
            .env("GITHUB_OUTPUT", output_file.path())
            .env("AUTHCONFORM_RELEASE_BASE", &self.release)
            .envs(extra.iter().map(|(k, v)| (*k, *v)))
            .envs(env.iter().cloned())
            .output()
            .unwrap();
        let outputs = std::fs::read_to_string(output_file.path())
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Ran {
            code: out.status.code().unwrap(),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
            summary: self.summary(),
            outputs,
        }
    }

    /// Runs `script` as GitLab's shell executor does (`sh` stopping at the first failing
    /// command), with only `env` and PATH.
    pub fn sh(&self, script: &str, env: &[(String, String)]) -> Ran {
        let out = Command::new("sh")
            .args(["-e", "-c", script])
            .current_dir(&self.workspace)
            .env_clear()
            .env("PATH", self.path_var())
            .envs(env.iter().cloned())
            .output()
            .unwrap();
        Ran {
            code: out.status.code().unwrap(),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
            summary: String::new(),
            outputs: BTreeMap::new(),
        }
    }

    /// PATH: [`Runner::path`] first, then this process's.
    fn path_var(&self) -> std::ffi::OsString {
        std::env::join_paths(
            self.path
                .iter()
                .cloned()
                .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
        )
        .unwrap()
    }

    /// Runs the Action with `with` (the step's inputs, already evaluated) and `env` (the
    /// step's environment, e.g. secrets): its inputs are `with` over action.yml's defaults,
    /// each of its `run` steps gets its `env` with `${{ inputs.X }}` filled in, and runs with
    /// GITHUB_ACTION_PATH at this checkout. Its `uses:` steps (the upload) are GitHub's.
    pub fn action(&self, with: &[(&str, &str)], env: &[(String, String)]) -> Ran {
        let action = yaml_as_json(&repo_dir().join("action.yml"));
        let mut inputs = BTreeMap::new();
        for (name, spec) in action["inputs"].as_object().unwrap() {
            let default = spec["default"].as_str().unwrap_or_default();
            inputs.insert(name.clone(), default.to_owned());
        }
        for (name, value) in with {
            assert!(inputs.contains_key(*name), "the Action has no input {name}");
            inputs.insert((*name).to_owned(), (*value).to_owned());
        }
        let steps = action["runs"]["steps"].as_array().unwrap();
        let step = steps
            .iter()
            .find(|s| s.get("run").is_some())
            .expect("a run step");
        let mut step_env = env.to_vec();
        for (key, value) in step["env"].as_object().unwrap() {
            let expr = value.as_str().unwrap();
            let name = expr
                .strip_prefix("${{ inputs.")
                .and_then(|e| e.strip_suffix(" }}"))
                .unwrap_or_else(|| panic!("{key}: not an input: {expr}"));
            step_env.push((key.clone(), inputs[name].clone()));
        }
        let root = repo_dir();
        self.bash(
            step["run"].as_str().unwrap(),
            &step_env,
            &[("GITHUB_ACTION_PATH", &root)],
        )
    }
}

/// The reference server's secrets as the step's environment, and a vars file with the rest.
fn reference_vars(dir: &Path) -> (PathBuf, Vec<(String, String)>) {
    let mut vars = serde_json::Map::new();
    let mut env = Vec::new();
    for (name, value, secret) in authconform::reference::variables() {
        if secret {
            env.push((
                format!("AUTHCONFORM_SECRET_{}", name.to_ascii_uppercase()),
                value,
            ));
        } else {
            vars.insert(name.to_owned(), Value::String(value));
        }
    }
    let path = dir.join("vars.json");
    std::fs::write(&path, Value::Object(vars).to_string()).unwrap();
    (path, env)
}

/// The Action on a Linux X64 runner: it downloads the release archive (and nothing else),
/// checks it, runs the gate against `serve` with every report, and the step summary is the
/// run's. The JSON report is the proof; a second run given the first one's report to compare
/// shows what changed, once `diff` is in this build.
#[test]
fn the_action_gates_serve_with_the_release_archive() {
    let release = shared_release();
    let workspace = tempfile::tempdir().unwrap();
    let (vars, env) = reference_vars(workspace.path());
    let target = server(None);
    let runner = Runner::new(workspace.path(), &release.url);
    let ran = runner.action(
        &[
            ("target", &target.url),
            ("vars", vars.to_str().unwrap()),
            ("args", "--rate 0 --fail-on-skip"),
        ],
        &env,
    );
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let reports = workspace.path().join("authconform-reports");
    let report = read_report(&reports.join("report.json"));
    assert_eq!(report["ok"], true, "{report:#}");
    assert_eq!(
        report["target"].as_str().unwrap().trim_end_matches('/'),
        target.url
    );
    let cases = report["cases"].as_array().unwrap();
    assert_eq!(cases.len(), crate::util::builtin_ids().len());
    assert!(cases.iter().all(|c| c["verdict"]["kind"] == "pass"));
    assert!(reports.join("junit.xml").is_file() && reports.join("report.html").is_file());
    assert_eq!(ran.outputs["exit-code"], "0");
    assert_eq!(
        ran.outputs["report-json"],
        "authconform-reports/report.json"
    );
    let passed = report["summary"]["passed"].as_u64().unwrap();
    assert_eq!(passed as usize, cases.len());
    let tally = format!("| {passed} | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |");
    assert!(
        ran.summary.lines().any(|l| l == "## authconform: passed")
            && ran.summary.lines().any(|l| l == tally),
        "{}",
        ran.summary
    );
    let archive = format!("/v{}/authconform-{TRIPLE}.tar.xz", version());
    let asked = release.requests();
    assert!(asked.contains(&archive), "{asked:?}");
    assert!(asked.contains(&format!("{archive}.sha256")), "{asked:?}");
    assert!(
        asked
            .iter()
            .all(|p| *p == archive || *p == format!("{archive}.sha256")),
        "{asked:?}"
    );
    for (_, secret) in &env {
        assert!(!ran.stdout.contains(secret) && !ran.stderr.contains(secret));
        let json = std::fs::read_to_string(reports.join("report.json")).unwrap();
        assert!(!json.contains(secret) && !ran.summary.contains(secret));
    }
    compare_with_diff(&runner, &reports, &target.url, &vars, &env);
}

/// The second run of [`the_action_gates_serve_with_the_release_archive`], comparing with the
/// first: against the same server nothing changed. Only where this build has `diff`.
fn compare_with_diff(
    runner: &Runner,
    reports: &Path,
    target: &str,
    vars: &Path,
    env: &[(String, String)],
) {
    let previous = runner.workspace.join("previous.json");
    std::fs::copy(reports.join("report.json"), &previous).unwrap();
    let before = runner.summary().len();
    let ran = runner.action(
        &[
            ("target", target),
            ("vars", vars.to_str().unwrap()),
            ("args", "--rate 0"),
            ("compare", previous.to_str().unwrap()),
        ],
        env,
    );
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let added = &ran.summary[before..];
    assert!(
        added.contains("### Since the previous report\n\nNothing changed."),
        "{added}"
    );
}

/// A release whose archive holds a [`recording_binary`], served on loopback; returns the
/// server and the log of calls.
fn recording_release(dir: &Path, diff_output: &str, diff_code: i32) -> (FileServer, PathBuf) {
    let log = dir.join("calls.log");
    let binary = recording_binary(dir, &log, diff_output, diff_code);
    let root = dir.join("release");
    write_release(&root, &binary, None);
    (FileServer::start(&root), log)
}

/// An archive that does not match the release's checksum is never unpacked nor run: the step
/// fails (exit 3) naming both hashes, and writes no report. So does a checksum file that holds
/// no hash, and a release that has none.
#[test]
fn a_checksum_that_does_not_match_stops_the_step_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("calls.log");
    let binary = recording_binary(dir.path(), &log, "", 0);
    let archive = format!("authconform-{TRIPLE}.tar.xz");
    let tag = format!("v{}", version());
    let wrong = "0".repeat(64);
    for (name, checksum, why) in [
        (
            "tampered",
            Some(wrong.as_str()),
            "does not match its checksum",
        ),
        ("garbage", Some("<html>not found</html>"), "holds no sha256"),
        ("missing", None, "cannot download"),
    ] {
        let root = dir.path().join(name);
        write_release(&root, &binary, checksum);
        if checksum.is_none() {
            std::fs::remove_file(root.join(&tag).join(format!("{archive}.sha256"))).unwrap();
        }
        let release = FileServer::start(&root);
        let workspace = tempfile::tempdir().unwrap();
        let runner = Runner::new(workspace.path(), &release.url);
        let ran = runner.action(&[("target", "http://127.0.0.1:9")], &[]);
        assert_eq!(ran.code, 3, "{name}: {}\n{}", ran.stdout, ran.stderr);
        let error = ran
            .stdout
            .lines()
            .find(|l| l.starts_with("::error title=authconform action::"))
            .unwrap_or_else(|| panic!("{name}: no error annotation: {}", ran.stdout));
        assert!(error.contains(why), "{name}: {error}");
        if name == "tampered" {
            assert!(error.contains(&wrong), "{error}");
        }
        assert_eq!(
            calls(&log),
            Vec::<Vec<String>>::new(),
            "{name}: nothing ran"
        );
        assert!(!workspace.path().join("authconform-reports").exists());
        let unpacked = files_below(&runner.temp.path().join("runner-temp"))
            .into_iter()
            .filter(|p| p.file_name().is_some_and(|n| n == "authconform"))
            .collect::<Vec<_>>();
        assert_eq!(unpacked, Vec::<PathBuf>::new(), "{name}: nothing unpacked");
        assert_eq!(ran.outputs.get("exit-code"), None);
    }
}

/// Each runner gets its own archive (a .zip on Windows); a runner there is no build for fails
/// before any download.
#[test]
fn the_archive_is_the_runner_s_own() {
    let empty = tempfile::tempdir().unwrap();
    let release = FileServer::start(empty.path());
    let workspace = tempfile::tempdir().unwrap();
    let tag = format!("/v{}", version());
    for (os, arch, archive) in [
        (
            "Linux",
            "X64",
            "authconform-x86_64-unknown-linux-musl.tar.xz",
        ),
        (
            "Linux",
            "ARM64",
            "authconform-aarch64-unknown-linux-musl.tar.xz",
        ),
        ("macOS", "X64", "authconform-x86_64-apple-darwin.tar.xz"),
        ("macOS", "ARM64", "authconform-aarch64-apple-darwin.tar.xz"),
        ("Windows", "X64", "authconform-x86_64-pc-windows-msvc.zip"),
        ("Linux", "X86", ""),
        ("Windows", "ARM64", ""),
    ] {
        let mut runner = Runner::new(workspace.path(), &release.url);
        (runner.os, runner.arch) = (os, arch);
        let before = release.requests().len();
        let ran = runner.action(&[("target", "http://127.0.0.1:9")], &[]);
        assert_eq!(ran.code, 3, "{os}/{arch}: {}", ran.stdout);
        let asked = release.requests()[before..].to_vec();
        if archive.is_empty() {
            assert_eq!(asked, Vec::<String>::new(), "{os}/{arch}");
            assert!(
                ran.stdout.contains(&format!(
                    "no release archive for RUNNER_OS={os} RUNNER_ARCH={arch}"
                )),
                "{}",
                ran.stdout
            );
        } else {
            assert_eq!(asked, [format!("{tag}/{archive}")], "{os}/{arch}");
        }
    }
}

/// `args` are words split on white space and taken literally: quotes, `$(…)`, globs and
/// variables reach the binary as they are written, and nothing runs. Inputs left empty add no
/// flag; the run's exit code is the step's.
#[test]
fn args_are_words_taken_literally() {
    let dir = tempfile::tempdir().unwrap();
    let (release, log) = recording_release(dir.path(), "", 0);
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(workspace.path().join("a-file"), "").unwrap();
    let runner = Runner::new(workspace.path(), &release.url);
    let args = "--rate 0\n  $(touch ran) `touch ran` \"a b\" $HOME *\t--tag=x";
    let ran = runner.action(
        &[
            ("target", "http://127.0.0.1:9"),
            ("profile", "rfc"),
            ("deviations", "a dir/dev.json"),
            ("args", args),
            ("reports", "out put"),
        ],
        &[],
    );
    let recorded = calls(&log);
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    let r = "out put";
    let want: Vec<String> = [
        "run",
        "--target",
        "http://127.0.0.1:9",
        "--profile",
        "rfc",
        "--deviations",
        "a dir/dev.json",
        "--junit",
        &format!("{r}/junit.xml"),
        "--report-json",
        &format!("{r}/report.json"),
        "--report-html",
        &format!("{r}/report.html"),
        "--annotations",
        "github",
        "--rate",
        "0",
        "$(touch",
        "ran)",
        "`touch",
        "ran`",
        "\"a",
        "b\"",
        "$HOME",
        "*",
        "--tag=x",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(recorded[0], want);
    assert!(!workspace.path().join("ran").exists());
    // The real binary refused the flags (no such deviations file): exit 2 is the step's.
    assert_eq!(ran.code, 2, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(ran.outputs["exit-code"], "2");
}

/// `compare` empty: `diff` is never called. Given but absent (a first nightly run): nothing
/// compared, the step still the run's. Given and present: `diff`'s table goes into the step
/// summary as text (a server's markup in it is escaped), and a change does not fail the step.
#[test]
fn compare_puts_the_diff_in_the_step_summary() {
    let dir = tempfile::tempdir().unwrap();
    let table = "case  before  after\ntoken/x  <b>401</b> & |  400";
    let (release, log) = recording_release(dir.path(), table, 1);
    let workspace = tempfile::tempdir().unwrap();
    let (vars, env) = reference_vars(workspace.path());
    let target = server(None);
    let runner = Runner::new(workspace.path(), &release.url);
    let with = |compare: &'static str| {
        let with = [
            ("target", target.url.as_str()),
            ("vars", vars.to_str().unwrap()),
            ("args", "--rate 0"),
            ("compare", compare),
        ];
        runner.action(&with, &env)
    };
    let ran = with("");
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let ran = with("previous/report.json");
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert!(
        ran.stdout
            .contains("no previous report at previous/report.json"),
        "{}",
        ran.stdout
    );
    assert!(
        calls(&log).iter().all(|c| c[0] == "run"),
        "{:?}",
        calls(&log)
    );
    assert!(!ran.summary.contains("Since the previous report"));

    std::fs::create_dir(workspace.path().join("previous")).unwrap();
    std::fs::copy(
        workspace.path().join("authconform-reports/report.json"),
        workspace.path().join("previous/report.json"),
    )
    .unwrap();
    let ran = with("previous/report.json");
    assert_eq!(
        ran.code, 0,
        "a change is news, not a failure: {}",
        ran.stdout
    );
    let last = calls(&log).pop().unwrap();
    assert_eq!(
        last,
        [
            "diff",
            "previous/report.json",
            "authconform-reports/report.json",
            "--format",
            "pretty"
        ]
    );
    let shown = "<pre>\ncase  before  after\ntoken/x  &lt;b&gt;401&lt;/b&gt; &amp; |  400\n</pre>";
    assert!(
        ran.summary
            .contains(&format!("### Since the previous report\n\n{shown}")),
        "{}",
        ran.summary
    );
}

/// `version` in `[package]` of Cargo.toml, read as text: what the release is tagged with.
fn cargo_toml_version() -> String {
    let text = std::fs::read_to_string(repo_dir().join("Cargo.toml")).unwrap();
    let package = text.split("\n[").next().unwrap();
    package
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("a version in [package]")
        .to_owned()
}

/// action.yml is what GitHub reads as a composite action (actionlint does not check action
/// metadata): a name, a description, its inputs, every step with a shell or a `uses`, no input
/// pasted into a script (each reaches it through `env`, every input the script reads), the
/// reports uploaded even when the gate failed, and `version` by default this crate's own.
#[test]
fn action_yml_is_a_composite_action() {
    let action = yaml_as_json(&repo_dir().join("action.yml"));
    for key in ["name", "description"] {
        assert!(action[key].as_str().is_some_and(|s| !s.is_empty()), "{key}");
    }
    let inputs = action["inputs"].as_object().unwrap();
    let names: Vec<&str> = inputs.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "target",
            "profile",
            "vars",
            "deviations",
            "version",
            "args",
            "reports",
            "compare",
            "artifact-name"
        ]
    );
    for (name, spec) in inputs {
        assert!(spec["description"].is_string(), "{name}");
        assert_eq!(spec["required"], name == "target", "{name}");
    }
    assert_eq!(inputs["version"]["default"], cargo_toml_version().as_str());
    assert_eq!(version(), cargo_toml_version());
    assert_eq!(inputs["profile"]["default"], "auth0");
    assert_eq!(inputs["reports"]["default"], "authconform-reports");
    assert_eq!(action["runs"]["using"], "composite");
    let steps = action["runs"]["steps"].as_array().unwrap();
    let script = std::fs::read_to_string(repo_dir().join("action/run.sh")).unwrap();
    for step in steps {
        if let Some(run) = step["run"].as_str() {
            assert_eq!(step["shell"], "bash", "{step:#}");
            assert!(!run.contains("${{"), "an expression in a script: {run}");
            let env = step["env"].as_object().unwrap();
            for name in inputs.keys().filter(|n| *n != "artifact-name") {
                let key = format!("INPUT_{}", name.to_ascii_uppercase());
                assert_eq!(env[&key], format!("${{{{ inputs.{name} }}}}"), "{key}");
                assert!(script.contains(&key), "action/run.sh never reads {key}");
            }
        } else {
            assert!(step["uses"].is_string(), "{step:#}");
        }
    }
    let upload = steps
        .iter()
        .find(|s| s["uses"] == "actions/upload-artifact@v4")
        .expect("the reports are uploaded");
    assert_eq!(upload["if"], "always()");
    assert_eq!(upload["with"]["path"], "${{ inputs.reports }}");
    assert_eq!(upload["with"]["name"], "${{ inputs.artifact-name }}");
}

/// The linters' folder (tests/tools/setup.sh linters); None, after saying why, when they
/// cannot be had here, and a panic then under AUTHCONFORM_REQUIRE_SERVERS (CI).
pub fn linters() -> Option<&'static Path> {
    match install_once("tests/tools/setup.sh", Some("linters")) {
        Ok(dir) => Some(dir.as_path()),
        Err(why) if std::env::var_os("AUTHCONFORM_REQUIRE_SERVERS").is_some() => {
            panic!("the CI-file linters are required (AUTHCONFORM_REQUIRE_SERVERS): {why}")
        }
        Err(why) => {
            eprintln!("SKIPPED: the CI-file linters (actionlint, hadolint, shellcheck): {why}");
            None
        }
    }
}

/// `TOOL ARGS` from the linters' folder, run in `dir`: its exit code and output.
fn lint(tools: &Path, dir: &Path, tool: &str, args: &[&std::ffi::OsStr]) -> (i32, String) {
    let out = Command::new(tools.join("venv/bin").join(tool))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {tool}: {e}"));
    (out.status.code().unwrap(), show(&out))
}

/// actionlint, with shellcheck on every `run:` script, on `files`.
fn actionlint(tools: &Path, dir: &Path, files: &[PathBuf]) -> (i32, String) {
    let shellcheck = tools.join("venv/bin/shellcheck");
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "-no-color".as_ref(),
        "-shellcheck".as_ref(),
        shellcheck.as_os_str(),
        "-pyflakes".as_ref(),
        "".as_ref(),
    ];
    args.extend(files.iter().map(|f| f.as_os_str()));
    lint(tools, dir, "actionlint", &args)
}

/// The YAML blocks of a Markdown file of the repository.
fn yaml_blocks(file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(repo_dir().join(file)).unwrap();
    text.split("```yaml\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .map(str::to_string)
        .collect()
}

/// The README's example of the Action, written as a workflow into `dir`: it names this
/// version, as does docs/ci.md's (and its GitLab example's image).
fn readme_workflow(dir: &Path) -> PathBuf {
    let blocks = yaml_blocks("README.md");
    let action = blocks
        .iter()
        .find(|b| b.contains("uses: authconform/authconform@"))
        .expect("the README shows the Action");
    let uses = format!("uses: authconform/authconform@v{}\n", version());
    assert!(action.contains(&uses), "{action}");
    let ci = yaml_blocks("docs/ci.md");
    let ci_action = ci
        .iter()
        .find(|b| b.contains("uses: authconform/authconform@"))
        .expect("docs/ci.md shows the Action");
    assert!(ci_action.contains(&uses), "docs/ci.md: {ci_action}");
    let image = format!("name: ghcr.io/authconform/authconform:{}\n", version());
    assert!(ci.iter().any(|b| b.contains(&image)), "docs/ci.md: {image}");
    let path = dir.join(".github/workflows/readme.yml");
    std::fs::write(&path, format!("on: push\n{action}")).unwrap();
    path
}

/// Every workflow in `.github/workflows/`, the README's, and the one `init` writes (both profiles, with
/// `--gitlab` too) pass actionlint with shellcheck; action/run.sh and action.yml's scripts
/// pass shellcheck; every Containerfile or Dockerfile in the repository passes hadolint. Each
/// linter is first shown to say no.
#[test]
fn every_ci_file_passes_its_linter() {
    let Some(tools) = linters() else { return };
    let root = repo_dir();
    let scratch = tempfile::tempdir().unwrap();
    let bad = scratch.path().join(".github/workflows/bad.yml");
    std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
    std::fs::write(
        &bad,
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo $1 ${{ github.event.issue.title }}\n",
    )
    .unwrap();
    let (code, out) = actionlint(tools, scratch.path(), &[bad]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("SC2086") && out.contains("untrusted"), "{out}");
    let bad_file = scratch.path().join("Containerfile");
    std::fs::write(
        &bad_file,
        "FROM debian:latest\nRUN apt-get install -y curl\n",
    )
    .unwrap();
    let (code, out) = lint(tools, scratch.path(), "hadolint", &[bad_file.as_os_str()]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("DL3007"), "{out}");

    let mut workflows: Vec<PathBuf> = files_below(&root.join(".github/workflows"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    for (n, profile) in ["auth0", "rfc"].iter().enumerate() {
        let repo = scratch.path().join(format!("repo-{n}"));
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        let out = crate::util::output(crate::util::authconform().current_dir(&repo).args([
            "init",
            "conformance",
            "--gitlab",
            "--profile",
            profile,
        ]));
        assert_eq!(out.code, 0, "{}", out.stderr);
        let placed = repo.join(".github/workflows/authconform.yml");
        std::fs::create_dir_all(placed.parent().unwrap()).unwrap();
        std::fs::copy(repo.join("conformance/github-workflow.yml"), &placed).unwrap();
        workflows.push(placed);
    }
    workflows.push(readme_workflow(scratch.path()));
    let (code, out) = actionlint(tools, &root, &workflows);
    assert_eq!(code, 0, "{workflows:?}: {out}");

    let action = yaml_as_json(&root.join("action.yml"));
    let mut scripts = vec![root.join("action/run.sh")];
    for (n, step) in action["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        if let Some(run) = step["run"].as_str() {
            let path = scratch.path().join(format!("action-step-{n}.sh"));
            std::fs::write(&path, format!("#!/usr/bin/env bash\n{run}\n")).unwrap();
            scripts.push(path);
        }
    }
    let args: Vec<&std::ffi::OsStr> = scripts.iter().map(|p| p.as_os_str()).collect();
    let (code, out) = lint(tools, &root, "shellcheck", &args);
    assert_eq!(code, 0, "{out}");

    let containerfiles: Vec<PathBuf> = files_below(&root)
        .into_iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("Containerfile") || n.starts_with("Dockerfile"))
        })
        .collect();
    for file in &containerfiles {
        let (code, out) = lint(tools, &root, "hadolint", &[file.as_os_str()]);
        assert_eq!(code, 0, "{}: {out}", file.display());
    }
    eprintln!(
        "linted {} workflows, {} scripts, {} container files",
        workflows.len(),
        scripts.len(),
        containerfiles.len()
    );
}
