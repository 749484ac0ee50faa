//! A second opinion on our JUnit reports from tools that share no code with quick-junit: Jenkins
//! xunit's `junit-10.xsd` (via Python's xmlschema) and the `junitparser` reader; and PyYAML for
//! the workflow `init` writes. All set up at test time by `tests/tools/setup.sh` and driven by
//! `tests/tools/junit_check.py`.
//!
//! Also what every installer run by the tests shares: [`install_once`], which says on the
//! terminal what is about to be installed ([`PACKAGE_SETS`]: names, registries, sizes) before
//! the first install, and [`tell`], the way a skip reaches the normal `cargo test` output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

/// The checkout holding `tests/tools`. `AUTHCONFORM_REPO_DIR` lets a scratch crate that includes
/// this file by `#[path]` still find the scripts, since its `CARGO_MANIFEST_DIR` is elsewhere.
pub fn repo_dir() -> PathBuf {
    std::env::var_os("AUTHCONFORM_REPO_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// A finished process's status and output, for a failure message.
pub fn show(output: &Output) -> String {
    format!(
        "{}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs `bash SCRIPT [NAME]` (an installer such as tests/servers/setup.sh): the install dir it
/// prints last, or Err(why) when it exits 3 (the runtime is missing, so the caller skips).
/// Any other failure panics with the installer's output.
pub fn run_installer(script: &str, name: Option<&str>) -> Result<PathBuf, String> {
    let script = repo_dir().join(script);
    let name = name.unwrap_or_default();
    let output = Command::new("bash")
        .arg(&script)
        .args((!name.is_empty()).then_some(name))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run bash {}: {e}", script.display()));
    if output.status.code() == Some(3) {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(stderr.trim().lines().last().unwrap_or("").to_owned());
    }
    assert!(
        output.status.success(),
        "{} {name} could not install: {}",
        script.display(),
        show(&output)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let dir = stdout.lines().last().unwrap_or_else(|| {
        panic!(
            "{} {name} printed no install dir: {}",
            script.display(),
            show(&output)
        )
    });
    Ok(PathBuf::from(dir))
}

/// One set of packages the tests install from a registry (`bash SCRIPT NAME`).
pub struct PackageSet {
    pub script: &'static str,
    pub name: Option<&'static str>,
    /// The package that is the point, and its version, as its pins file names it.
    pub package: &'static str,
    pub version: &'static str,
    pub registry: &'static str,
    /// Disk used once installed (`du -sk`, in MiB, rounded): measured on Linux x86_64 with
    /// node 20 and python 3.11, 2026-12-06.
    pub mib: u32,
}

/// Everything the tests install, in one place: [`install_once`] announces from it, and the
/// CONTRIBUTING.md's figure is its sum (a test holds both to the pins files and CONTRIBUTING.md).
pub const PACKAGE_SETS: &[PackageSet] = &[
    PackageSet {
        script: "tests/servers/setup.sh",
        name: Some("oidc-provider"),
        package: "oidc-provider",
        version: "9.13.3",
        registry: "npm",
        mib: 3,
    },
    PackageSet {
        script: "tests/servers/setup.sh",
        name: Some("node-oauth2-server"),
        package: "@node-oauth/oauth2-server",
        version: "5.3.0",
        registry: "npm",
        mib: 5,
    },
    PackageSet {
        script: "tests/servers/setup.sh",
        name: Some("authlib"),
        package: "Authlib",
        version: "1.9.10",
        registry: "PyPI",
        mib: 52,
    },
    PackageSet {
        script: "tests/servers/setup.sh",
        name: Some("django-oauth-toolkit"),
        package: "django-oauth-toolkit",
        version: "3.4.1",
        registry: "PyPI",
        mib: 102,
    },
    PackageSet {
        script: "tests/sdks/setup.sh",
        name: Some("node"),
        package: "@auth0/auth0-auth-js",
        version: "1.16.1",
        registry: "npm",
        mib: 2,
    },
    PackageSet {
        script: "tests/sdks/setup.sh",
        name: Some("python"),
        package: "auth0-python",
        version: "6.8.0",
        registry: "PyPI",
        mib: 128,
    },
    PackageSet {
        script: "tests/tools/setup.sh",
        name: None,
        package: "xmlschema",
        version: "4.3.2",
        registry: "PyPI",
        mib: 36,
    },
];

/// Writes `line` to this process's standard error as it is, past libtest's capture (which
/// takes only `print!`/`eprint!`): so that a passing test's note (an install about to start, a
/// skip) shows in a plain `cargo test`, not only under `--nocapture`.
pub fn tell(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "authconform tests: {line}");
}

/// Whether `bash SCRIPT NAME` would install something (its check mode, exit 4): not when the
/// install is done (0) or its runtime is missing (3, the tests skip).
fn would_install(set: &PackageSet) -> bool {
    let status = Command::new("bash")
        .arg(repo_dir().join(set.script))
        .args(set.name)
        .env("AUTHCONFORM_INSTALL_CHECK", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    status.is_ok_and(|s| s.code() == Some(4))
}

/// The line said before the first install: which sets, from where, how much, into where.
pub fn announcement(pending: &[&PackageSet], into: &str) -> Option<String> {
    let first = pending.first()?;
    let mut registries: Vec<&str> = Vec::new();
    for set in pending {
        if !registries.contains(&set.registry) {
            registries.push(set.registry);
        }
    }
    let more = match pending.len() - 1 {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    let mib: u32 = pending.iter().map(|s| s.mib).sum();
    Some(format!(
        "installing {} {}{more} from {} (~{mib} MB) into {into}, as the tests that need them start (once; AUTHCONFORM_TEST_TOOLS moves it)",
        first.package,
        first.version,
        registries.join(" and ")
    ))
}

/// Says once per test process, before the first install starts (that of `script` `name`), all
/// that the tests are about to install, that one first.
fn announce_installs(script: &str, name: Option<&str>) {
    static ANNOUNCED: Mutex<bool> = Mutex::new(false);
    let this = PACKAGE_SETS
        .iter()
        .find(|s| s.script == script && s.name == name);
    if *ANNOUNCED.lock().unwrap_or_else(|e| e.into_inner()) || !this.is_some_and(would_install) {
        return;
    }
    let mut announced = ANNOUNCED.lock().unwrap_or_else(|e| e.into_inner());
    if std::mem::replace(&mut *announced, true) {
        return;
    }
    let pending: Vec<&PackageSet> = this
        .into_iter()
        .chain(
            PACKAGE_SETS
                .iter()
                .filter(|s| !std::ptr::eq(*s, this.unwrap()) && would_install(s)),
        )
        .collect();
    let into = std::env::var("AUTHCONFORM_TEST_TOOLS")
        .ok()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "target/test-tools".into());
    if let Some(line) = announcement(&pending, &into) {
        tell(&line);
    }
}

/// [`run_installer`] at most once per test process for each script and name; across processes
/// (nextest, parallel `cargo test` runs) the script's own lock and stamp keep it to one real
/// setup. An installer that panicked is run again by the next caller, and panics again with its
/// output.
pub fn install_once(script: &str, name: Option<&str>) -> &'static Result<PathBuf, String> {
    type Cell = OnceLock<Result<PathBuf, String>>;
    static CELLS: Mutex<Vec<((String, String), &'static Cell)>> = Mutex::new(Vec::new());
    let key = (script.to_owned(), name.unwrap_or_default().to_owned());
    let cell: &'static Cell = {
        let mut cells = CELLS.lock().unwrap_or_else(|e| e.into_inner());
        match cells.iter().find(|(k, _)| *k == key) {
            Some((_, cell)) => cell,
            None => {
                let cell = Box::leak(Box::default());
                cells.push((key, cell));
                cell
            }
        }
    };
    // Outside the lock: one installer does not wait for another.
    cell.get_or_init(|| {
        announce_installs(script, name);
        run_installer(script, name)
    })
}

/// No proxy for `cmd`: whatever the environment says, what it sends goes straight to loopback.
pub fn loopback_only(cmd: &mut Command) {
    for proxy in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        cmd.env_remove(proxy);
    }
    cmd.env("NO_PROXY", "127.0.0.1,localhost");
}

fn tools_dir() -> &'static Path {
    install_once("tests/tools/setup.sh", None)
        .as_ref()
        .unwrap_or_else(|why| panic!("the JUnit and HTML checkers need Python: {why}"))
}

/// Validates the JUnit file at `path` against junit-10.xsd and reads it back with junitparser.
/// Returns junit_check.py's JSON verdict: `valid`, `errors`, `parse_error` and `suites` (each
/// with its count attributes, the `counted` truth, and per-case `result`/`message`/`text`).
/// Panics only when the check could not run; an invalid file is an answer, not a panic.
pub fn junit_check(path: &Path) -> Value {
    let tools = tools_dir();
    let script = repo_dir().join("tests/tools/junit_check.py");
    let output = Command::new(tools.join("venv/bin/python"))
        .arg(&script)
        .arg(tools.join("junit-10.xsd"))
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        output.status.success(),
        "{} could not check {}: {}",
        script.display(),
        path.display(),
        show(&output)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{} printed something that is not JSON ({e}): {}",
            script.display(),
            show(&output)
        )
    })
}

/// What Python's own HTML parser reads in the HTML report at `path` (tests/tools/html_check.py):
/// its cases with their verdicts and whether they are open, and everything that would fetch.
pub fn html_check(path: &Path) -> Value {
    let tools = tools_dir();
    let script = repo_dir().join("tests/tools/html_check.py");
    let output = Command::new(tools.join("venv/bin/python"))
        .arg(&script)
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        output.status.success(),
        "{} could not read {}: {}",
        script.display(),
        path.display(),
        show(&output)
    );
    serde_json::from_slice(&output.stdout).expect("html_check.py prints JSON")
}

/// The YAML file at `path` as JSON, read by PyYAML (`safe_load`), a parser that shares nothing
/// with the text we write.
pub fn yaml_as_json(path: &Path) -> Value {
    let tools = tools_dir();
    let output = Command::new(tools.join("venv/bin/python"))
        .args([
            "-c",
            "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)",
        ])
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run PyYAML: {e}"));
    assert!(
        output.status.success(),
        "PyYAML could not read {}: {}",
        path.display(),
        show(&output)
    );
    serde_json::from_slice(&output.stdout).expect("json.dump prints JSON")
}

/// A JUnit file that junit-10.xsd accepts: a pass, a failure, an error and a skip.
const VALID: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="authconform" tests="4" failures="1" errors="1" time="1.250">
  <testsuite name="cases" tests="4" skipped="1" errors="1" failures="1" time="1.250">
    <properties>
      <property name="target" value="http://127.0.0.1:8080"/>
    </properties>
    <testcase name="token/ok" classname="token" time="0.010"/>
    <testcase name="token/wrong-secret" classname="token" time="0.020">
      <failure message="status 400, want 401" type="deviation">body: {"error":"invalid_request"}</failure>
    </testcase>
    <testcase name="token/refused" classname="token">
      <error message="connection refused"/>
    </testcase>
    <testcase name="authorize/later" classname="authorize">
      <skipped message="not selected"/>
    </testcase>
  </testsuite>
</testsuites>
"#;

/// A checker that accepts everything would make every JUnit test pass, so prove it can say no,
/// on the very shapes quick-junit produces that junit-10.xsd does not allow.
#[test]
fn the_checker_rejects_what_junit_10_rejects() {
    use serde_json::json;

    let dir = tempfile::tempdir().unwrap();
    let check = |name: &str, xml: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, xml).unwrap();
        junit_check(&path)
    };

    let valid = check("valid.xml", VALID);
    assert_eq!(valid["valid"], true, "{valid:#}");
    assert_eq!(valid["parse_error"], Value::Null, "{valid:#}");
    let suites = valid["suites"].as_array().unwrap();
    assert_eq!(suites.len(), 1, "{valid:#}");
    let counts = json!({"tests": 4, "failures": 1, "errors": 1, "skipped": 1});
    assert_eq!(suites[0]["counted"], counts);
    for (key, value) in counts.as_object().unwrap() {
        assert_eq!(&suites[0][key], value, "{key}");
    }
    assert_eq!(
        suites[0]["cases"],
        json!([
            {"name": "token/ok", "classname": "token", "result": "passed",
             "message": null, "text": null},
            {"name": "token/wrong-secret", "classname": "token", "result": "failure",
             "message": "status 400, want 401", "text": r#"body: {"error":"invalid_request"}"#},
            {"name": "token/refused", "classname": "token", "result": "error",
             "message": "connection refused", "text": null},
            {"name": "authorize/later", "classname": "authorize", "result": "skipped",
             "message": "not selected", "text": null},
        ])
    );

    // Each invalid file breaks exactly one rule, and the error must name it: invalid for the
    // wrong reason would prove nothing.
    let invalid = [
        (
            "properties-in-testcase.xml",
            r#"<testsuites><testsuite name="s" tests="1" failures="0" errors="0">
  <testcase name="c"><properties><property name="file" value="c.json"/></properties></testcase>
</testsuite></testsuites>"#,
            "Unexpected child with tag 'properties'",
        ),
        (
            "skipped-on-testsuites.xml",
            r#"<testsuites tests="1" skipped="1" failures="0" errors="0">
  <testsuite name="s" tests="1" failures="0" errors="0" skipped="1">
    <testcase name="c"><skipped/></testcase>
  </testsuite>
</testsuites>"#,
            "'skipped' attribute not allowed",
        ),
        (
            "no-failures-attribute.xml",
            r#"<testsuites><testsuite name="s" tests="1" errors="0">
  <testcase name="c"/>
</testsuite></testsuites>"#,
            "missing required attribute 'failures'",
        ),
    ];
    for (name, xml, why) in invalid {
        let verdict = check(name, xml);
        assert_eq!(verdict["valid"], false, "{name}: {verdict:#}");
        let errors = verdict["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{name}: {verdict:#}");
        assert!(
            errors[0].as_str().unwrap().contains(why),
            "{name}: want {why:?}: {verdict:#}"
        );
        // junitparser is lenient: it still reads the one case.
        assert_eq!(
            verdict["suites"][0]["counted"]["tests"], 1,
            "{name}: {verdict:#}"
        );
    }

    // A bare <testsuite> root, whose failures attribute lies: schema-valid (counts are plain
    // strings there), so only comparing attributes with `counted` catches it.
    let lying = check(
        "lying-testsuite-root.xml",
        r#"<testsuite name="s" tests="1" failures="0" errors="0">
  <testcase name="c"><failure>why</failure></testcase>
</testsuite>"#,
    );
    assert_eq!(lying["valid"], true, "{lying:#}");
    let suite = &lying["suites"][0];
    assert_eq!(suite["failures"], 0, "{lying:#}");
    assert_eq!(suite["counted"]["failures"], 1, "{lying:#}");
    assert_eq!(suite["cases"][0]["text"], "why", "{lying:#}");
}

/// [`PACKAGE_SETS`] is what the installers install: each set's package at the version its pins
/// file names, every real server and SDK the tests start listed, and CONTRIBUTING.md's total theirs.
#[test]
fn the_package_sets_are_the_pinned_ones_and_contributing_gives_their_total() {
    for set in PACKAGE_SETS {
        let script = repo_dir().join(set.script);
        let pins = match (set.name, set.registry) {
            (Some(name), "npm") => script.with_file_name(name).join("package.json"),
            (Some(name), _) => script.with_file_name(name).join("requirements.txt"),
            (None, _) => script.clone(),
        };
        let text = std::fs::read_to_string(&pins).unwrap();
        let (package, version) = (set.package, set.version);
        let forms = [
            format!("\"{package}\": \"{version}\""),
            format!("{package}=={version}"),
            format!("{}_VERSION={version}", package.to_uppercase()),
        ];
        assert!(
            forms.iter().any(|f| text.contains(f.as_str())),
            "{} does not pin {package} {version}",
            pins.display()
        );
    }
    let listed = |script: &str, name: &str| {
        PACKAGE_SETS
            .iter()
            .any(|s| s.script == script && s.name == Some(name))
    };
    for name in crate::servers::NAMES {
        assert!(
            listed("tests/servers/setup.sh", name),
            "{name} is not listed"
        );
    }
    for sdk in ["python", "node"] {
        assert!(
            listed("tests/sdks/setup.sh", sdk),
            "the SDK {sdk} is not listed"
        );
    }
    let total: u32 = PACKAGE_SETS.iter().map(|s| s.mib).sum();
    let contributing = std::fs::read_to_string(repo_dir().join("CONTRIBUTING.md")).unwrap();
    assert!(
        contributing.contains(&format!("about {total} MB")),
        "CONTRIBUTING.md should say the tests install about {total} MB"
    );
}

#[test]
fn the_announcement_names_the_first_set_how_many_more_and_the_size() {
    let sets: Vec<&PackageSet> = PACKAGE_SETS.iter().collect();
    assert_eq!(announcement(&[], "target/test-tools"), None);
    assert_eq!(
        announcement(&sets[..1], "/x").unwrap(),
        "installing oidc-provider 9.13.3 from npm (~3 MB) into /x, as the tests that need them start (once; AUTHCONFORM_TEST_TOOLS moves it)"
    );
    let total: u32 = PACKAGE_SETS.iter().map(|s| s.mib).sum();
    assert_eq!(
        announcement(&sets, "target/test-tools").unwrap(),
        format!(
            "installing oidc-provider 9.13.3 and {} more from npm and PyPI (~{total} MB) into target/test-tools, as the tests that need them start (once; AUTHCONFORM_TEST_TOOLS moves it)",
            sets.len() - 1
        )
    );
}

/// Run as a child by [`install_and_skip_lines_reach_the_terminal`], with a PATH that has a fake
/// node and npm and no python3: the first install is announced, a server that needs python3 is
/// skipped, and both are said.
#[test]
#[ignore = "run as a child of install_and_skip_lines_reach_the_terminal, with a PATH of its making"]
fn probe_install_and_skip() {
    let dir = install_once("tests/servers/setup.sh", Some("oidc-provider"))
        .as_ref()
        .expect("the fake npm installs");
    assert!(dir.join(".stamp").is_file());
    assert!(crate::servers::start("authlib").is_none());
}

/// libtest captures what a passing test prints, and shows it only under `--nocapture`; an
/// install about to start and a skip must show in a plain `cargo test` all the same. The proof
/// runs this test binary as `cargo test` would (no `--nocapture`) on [`probe_install_and_skip`],
/// and reads both lines from its standard error.
#[test]
fn install_and_skip_lines_reach_the_terminal() {
    let scratch = tempfile::tempdir().unwrap();
    let bin = scratch.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    // What the installers need of the system, and no python3.
    for tool in [
        "bash",
        "dirname",
        "mkdir",
        "flock",
        "sha256sum",
        "cut",
        "cat",
        "cp",
        "mv",
        "rm",
    ] {
        let found = Command::new("bash")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .unwrap();
        let path = String::from_utf8(found.stdout).unwrap();
        assert!(found.status.success(), "{tool} is not on PATH");
        std::os::unix::fs::symlink(path.trim(), bin.join(tool)).unwrap();
    }
    for (fake, script) in [
        ("node", "#!/bin/sh\necho v0.0.0-fake\n"),
        ("npm", "#!/bin/sh\nexit 0\n"),
    ] {
        let path = bin.join(fake);
        std::fs::write(&path, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let tools = scratch.path().join("tools");
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "pytools::probe_install_and_skip"])
        .env("PATH", &bin)
        .env("AUTHCONFORM_TEST_TOOLS", &tools)
        .env_remove("AUTHCONFORM_REQUIRE_SERVERS")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{}", show(&out));
    assert!(stdout.contains("1 passed"), "{}", show(&out));
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("authconform tests: "))
        .collect();
    let npm: u32 = PACKAGE_SETS
        .iter()
        .filter(|s| s.registry == "npm")
        .map(|s| s.mib)
        .sum();
    assert_eq!(
        lines,
        [
            format!(
                "authconform tests: installing oidc-provider 9.13.3 and 2 more from npm (~{npm} MB) into {}, as the tests that need them start (once; AUTHCONFORM_TEST_TOOLS moves it)",
                tools.display()
            ),
            "authconform tests: skipping the real server authlib: tests/servers/setup.sh: python3 is not installed (needed for tests/servers/authlib)".to_owned(),
        ],
        "{}",
        show(&out)
    );
}
