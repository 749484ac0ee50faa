//! A second opinion on our JUnit reports from tools that share no code with quick-junit: Jenkins
//! xunit's `junit-10.xsd` (via Python's xmlschema) and the `junitparser` reader; and PyYAML for
//! the workflow `init` writes. All set up at test time by `tests/tools/setup.sh` and driven by
//! `tests/tools/junit_check.py`.

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
    cell.get_or_init(|| run_installer(script, name))
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
