use std::path::Path;

use crate::util::*;

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const GOOD: &str = r#"{"title": "t", "documents": {"status": 405, "error": "method_not_allowed"},
  "request": {"method": "GET", "path": "/oauth/token"}}"#;

#[test]
fn lint_accepts_the_builtin_catalogue() {
    let out = output(authconform().arg("lint"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("lint: "), "{}", out.stdout);
}

#[test]
fn a_misspelt_key_is_refused_with_the_file_and_pointer() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "token/typo.json",
        &GOOD.replace("\"request\"", "\"expect\": {\"statsu\": 405}, \"request\""),
    );
    for command in ["lint", "run"] {
        let out = output(authconform().args([command, "--cases"]).arg(dir.path()));
        assert_eq!(out.code, 2, "{command}: {}{}", out.stdout, out.stderr);
        let file = dir.path().join("token/typo.json").display().to_string();
        assert!(
            out.stderr.contains(&format!(
                "{file}:2:14: /expect/statsu: unknown key `statsu`; did you mean `status`?"
            )),
            "{command}: {}",
            out.stderr
        );
        assert!(
            out.stderr.contains("1 problem found; nothing was sent"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn every_problem_of_a_broken_folder_is_listed() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a/good.json", GOOD);
    write(dir.path(), "a/not-json.json", "{\n \"title\": }");
    write(
        dir.path(),
        "b/wrong-type.json",
        &GOOD.replace("405,", "\"405\","),
    );
    write(
        dir.path(),
        "b/two-bodies.json",
        &GOOD.replace(
            "\"path\": \"/oauth/token\"",
            "\"path\": \"/t\", \"form\": {}, \"body\": \"x\"",
        ),
    );
    write(
        dir.path(),
        "c/bad-var.json",
        &GOOD.replace("/oauth/token", "/{{Nope}}"),
    );
    write(
        dir.path(),
        "c/no-schema.json",
        &GOOD.replace(
            "\"request\"",
            "\"expect\": {\"schema\": \"gone.json\"}, \"request\"",
        ),
    );
    let out = output(authconform().args(["lint", "--cases"]).arg(dir.path()));
    assert_eq!(out.code, 2);
    let d = dir.path().display().to_string();
    for expected in [
        format!("{d}/a/not-json.json:2:11: not valid JSON"),
        format!(
            "{d}/b/wrong-type.json:1:30: /documents/status: \"405\" is not of type \"integer\""
        ),
        format!("{d}/b/two-bodies.json:2:3: /request: a request has at most one body"),
        format!("{d}/c/bad-var.json:2:32: /request/path: `{{{{Nope}}}}` is not a variable"),
        format!(
            "{d}/c/no-schema.json:2:14: /expect/schema: schema gone.json is not in the built-in schemas"
        ),
        "5 problems found; nothing was sent".to_owned(),
    ] {
        assert!(
            out.stderr.contains(&expected),
            "missing {expected:?} in\n{}",
            out.stderr
        );
    }
}

#[test]
fn an_empty_or_missing_cases_folder_exits_two() {
    let dir = tempfile::tempdir().unwrap();
    let out = output(authconform().args(["run", "--cases"]).arg(dir.path()));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("no case files (*.json) found"),
        "{}",
        out.stderr
    );
    let out = output(authconform().args(["lint", "--cases", "/nonexistent/cases"]));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("/nonexistent/cases: cannot read the folder"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_broken_schema_folder_exits_two() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "oauth-error.schema.json",
        r#"{"type": "strin"}"#,
    );
    let out = output(authconform().args(["lint", "--schemas"]).arg(dir.path()));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("oauth-error.schema.json: /type: not a valid JSON Schema"),
        "{}",
        out.stderr
    );
}

#[test]
fn other_cases_run_with_the_builtin_schemas() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "mine/get-token.json", GOOD);
    let server = server(None);
    let out = output(run_against(&server.url).arg("--cases").arg(dir.path()));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        verdicts(&out.stdout),
        [("mine/get-token".to_owned(), "ok".to_owned())]
    );
}

#[test]
fn coverage_lists_every_seed_row_and_fails_when_one_has_no_case() {
    use authconform::{base::source::Profile, catalogue::seed};
    // Both of the auth0 profile's tables: the Standard Error Responses and the errors per
    // endpoint.
    let rows: usize = seed::tables(Profile::Auth0)
        .iter()
        .map(|t| t.rows.len())
        .sum();
    let out = output(authconform().arg("coverage"));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains(&format!("coverage: {rows} of {rows} rows provoked by")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("500 (no body documented)"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("MISSING"), "{}", out.stdout);

    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "mine/get-token.json", GOOD);
    write(
        dir.path(),
        "mine/other.json",
        &GOOD.replace(
            "\"status\": 405, \"error\": \"method_not_allowed\"",
            "\"status\": 403, \"error\": \"invalid_grant\"",
        ),
    );
    let out = output(authconform().args(["coverage", "--cases"]).arg(dir.path()));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout.contains("405 method_not_allowed") && out.stdout.contains("mine/get-token"),
        "{}",
        out.stdout
    );
    assert_eq!(
        out.stdout
            .matches("MISSING: no case provokes this row")
            .count(),
        rows - 1,
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("  mine/other: 403 invalid_grant"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains(&format!("coverage: 1 of {rows} rows provoked by 1 cases")),
        "{}",
        out.stdout
    );
}

#[test]
fn the_docs_list_every_case_of_the_catalogue() {
    let cases =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/cases.md")).unwrap();
    for id in builtin_ids() {
        assert!(
            cases.contains(&format!("| `{id}` |")),
            "docs/cases.md's catalogue does not list {id}"
        );
    }
}

/// The docs' tables of variables are each profile's `cases/<profile>/variables.json`, row for
/// row.
#[test]
fn the_docs_list_the_documented_variables_as_the_files_declare_them() {
    use authconform::base::source::Profile;
    for (profile, file, heading) in [
        (
            Profile::Auth0,
            "docs/variables.md",
            "| variable | meaning |\n",
        ),
        (
            Profile::Rfc,
            "docs/profiles.md",
            "| rfc variable | meaning |\n",
        ),
    ] {
        let readme =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
        let start = readme.find(heading).expect("the table");
        let table: Vec<&str> = readme[start..]
            .lines()
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .collect();
        let expected: Vec<String> = authconform::catalogue::vars::documented(profile)
            .iter()
            .map(|v| {
                format!(
                    "| `{}`{} | {}{} |",
                    v.name,
                    if v.secret { " (secret)" } else { "" },
                    v.meaning,
                    v.default
                        .as_ref()
                        .map(|d| format!(" (default `{d}`)"))
                        .unwrap_or_default()
                )
            })
            .collect();
        assert_eq!(table, expected, "{profile}");
    }
}

/// A team's cases folder declares its own variables in a variables.json at its top: a case
/// that needs one the run does not set is skipped, not refused, and a broken declaration is
/// refused with its place.
#[test]
fn a_cases_folder_declares_its_own_variables() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "t/own.json",
        &GOOD.replace(
            "/oauth/token",
            "/oauth/token?f={{tenant_flavour}}&k={{api_key}}",
        ),
    );
    write(
        dir.path(),
        "variables.json",
        r#"{"variables": [{"name": "tenant_flavour", "meaning": "which build answers"},
                          {"name": "api_key", "secret": true, "meaning": "a key"}]}"#,
    );
    let out = output(authconform().arg("lint").arg("--cases").arg(dir.path()));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("lint: 1 cases"), "{}", out.stdout);
    let json = dir.path().join("../report.json");
    let out = output(
        authconform()
            .args([
                "run",
                "--target",
                "http://127.0.0.1:9",
                "--no-tests",
                "pass",
                "--cases",
            ])
            .arg(dir.path())
            .arg("--report-json")
            .arg(&json),
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let report = read_report(&json);
    assert_eq!(report["cases"][0]["verdict"]["kind"], "skip");
    let missing = &report["missing_variables"];
    assert_eq!(missing[0]["name"], "api_key");
    assert_eq!(missing[0]["secret"], true, "declared secret");
    assert_eq!(missing[1]["name"], "tenant_flavour");
    // Given by --var, a declared secret is still masked.
    let out = output(
        authconform()
            .args(["run", "--target", "http://127.0.0.1:9", "--cases"])
            .arg(dir.path())
            .args(["--var", "tenant_flavour=eu", "--var", "api_key=k-12345"]),
    );
    assert_eq!(out.code, 1, "sent, refused: {}", out.stdout);
    assert!(!out.stdout.contains("k-12345"), "{}", out.stdout);
    assert!(out.stdout.contains("k=***"), "{}", out.stdout);

    write(
        dir.path(),
        "variables.json",
        r#"{"variables": [{"name": "Tenant", "meaning": "x"}]}"#,
    );
    let out = output(authconform().arg("lint").arg("--cases").arg(dir.path()));
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("variables.json:1:17: /variables/0/name:"),
        "{}",
        out.stderr
    );
}

#[test]
fn odd_files_are_refused_by_name_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a/good.json", GOOD);
    write(dir.path(), "a/Good.json", GOOD);
    write(dir.path(), "a/huge.json", &" ".repeat(2 * 1024 * 1024));
    std::os::unix::fs::symlink(
        dir.path().join("nowhere.json"),
        dir.path().join("a/dangling.json"),
    )
    .unwrap();
    // A link back up: followed, it would never end.
    std::os::unix::fs::symlink(dir.path(), dir.path().join("a/loop")).unwrap();
    let fifo = dir.path().join("a/fifo.json");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let mut cmd = authconform();
    cmd.args(["lint", "--cases"])
        .arg(dir.path())
        .timeout(std::time::Duration::from_secs(30));
    let out = output(&mut cmd);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let d = dir.path().display().to_string();
    for expected in [
        format!("{d}/a/fifo.json: not a regular file"),
        format!("{d}/a/dangling.json: cannot read the file: No such file or directory"),
        format!("{d}/a/huge.json: 2097152 bytes is too large for a case or schema file"),
        format!("{d}/a/good.json: case id `a/good` differs from `a/Good`"),
    ] {
        assert!(
            out.stderr.contains(&expected),
            "missing {expected:?} in\n{}",
            out.stderr
        );
    }
}

#[test]
fn an_undefined_variable_is_a_mistake_not_a_skip() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "t/typo.json",
        &GOOD.replace("/oauth/token", "/oauth/token?c={{clent_id}}"),
    );
    let out = output(
        authconform()
            .args(["run", "--target", "http://127.0.0.1:9", "--cases"])
            .arg(dir.path()),
    );
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("t/typo.json:2:32: /request/path: undefined variable `clent_id` (did you mean `client_id`?): no variables file declares it"),
        "{}",
        out.stderr
    );
    // A documented variable that the target does not provide is a skip instead.
    write(
        dir.path(),
        "t/typo.json",
        &GOOD.replace("/oauth/token", "/oauth/token?c={{client_id}}"),
    );
    let out = output(
        authconform()
            .args(["run", "--target", "http://127.0.0.1:9", "--cases"])
            .arg(dir.path()),
    );
    // Nothing is sent, so the gate fails for that, not for the variable.
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("  client_id, a confidential machine-to-machine client with the client_credentials grant (1 case): set it with --var client_id=VALUE"),
        "{}",
        out.stdout
    );
}

#[test]
fn the_docs_name_every_subcommand_and_flag() {
    use clap::CommandFactory;
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/commands.md")).unwrap();
    for sub in authconform::commands::cli::Cli::command().get_subcommands() {
        assert!(
            readme.contains(&format!("authconform {}", sub.get_name())),
            "docs/commands.md does not show `authconform {}`",
            sub.get_name()
        );
        for arg in sub.get_arguments() {
            if let Some(long) = arg.get_long()
                && long != "help"
            {
                assert!(
                    readme.contains(&format!("--{long}")),
                    "docs/commands.md does not name `{} --{long}`",
                    sub.get_name()
                );
            }
        }
    }
}

/// Case files are text from outside too: a file name with a control character is refused (see
/// tests/untrusted.rs for the other characters that steer a log), and
/// what a case says (a title, a key) reaches no output raw.
#[test]
fn case_file_text_cannot_steer_the_output() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t/a\u{1b}[2Jb.json", GOOD);
    let out = output(authconform().arg("lint").arg("--cases").arg(dir.path()));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("t/a\\u{1b}[2Jb.json: the file name holds what a terminal or CI log acts on"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains('\u{1b}'));

    let dir = tempfile::tempdir().unwrap();
    let hostile = GOOD.replace(
        r#""title": "t""#,
        r#""title": "::error::x \u001b]0;t\u0007""#,
    );
    write(dir.path(), "t/c.json", &hostile);
    let out = output(
        authconform()
            .args(["explain", "t/c", "--cases"])
            .arg(dir.path()),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with("t/c: ::error::x \\u{1b}]0;t\\u{7}\n"),
        "{}",
        out.stdout
    );
    // A key that is not allowed is quoted in the error: a newline in it cannot start a line.
    write(
        dir.path(),
        "t/c.json",
        &GOOD.replace(r#""title""#, r#""x\n::error::y": 1, "title""#),
    );
    let out = output(authconform().arg("lint").arg("--cases").arg(dir.path()));
    assert_eq!(out.code, 2);
    assert!(
        !out.stderr.lines().any(|l| l.trim_start().starts_with("::")),
        "{}",
        out.stderr
    );
}
