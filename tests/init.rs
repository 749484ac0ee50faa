//! `authconform init DIR`: the vars file, the empty deviations file and the GitHub workflow it
//! writes, proven by doing what a team would: fill in the vars file, set the secrets as the
//! workflow's secret store would, and run the workflow's gate step (read with PyYAML, run by
//! bash) against the reference server.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::pytools::yaml_as_json;
use crate::util::{authconform, builtin_ids, builtin_ids_of, output, read_report, server};

/// Runs `init conformance` in a fresh git checkout; returns the checkout.
fn initialised() -> tempfile::TempDir {
    initialised_with(&[])
}

fn initialised_with(extra: &[&str]) -> tempfile::TempDir {
    initialised_in("conformance", extra)
}

/// Runs `init NAME` in a fresh git checkout; returns the checkout.
fn initialised_in(name: &str, extra: &[&str]) -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join(".git")).unwrap();
    let out = output(
        authconform()
            .current_dir(repo.path())
            .args(["init", name])
            .args(extra),
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    repo
}

/// Fills in the vars file in `dir` with the reference server's variables, as a team would,
/// and returns the secret store the workflow reads: the target and the secrets.
fn filled_in(dir: &Path, target: &str) -> BTreeMap<&'static str, String> {
    let vars_path = dir.join("vars.json");
    let mut vars: Value =
        serde_json::from_str(&std::fs::read_to_string(&vars_path).unwrap()).unwrap();
    let mut store = BTreeMap::new();
    store.insert("AUTHCONFORM_TARGET", target.to_owned());
    for (name, value, secret) in authconform::reference::variables() {
        if secret {
            let key = format!("AUTHCONFORM_SECRET_{}", name.to_ascii_uppercase());
            store.insert(&*Box::leak(key.into_boxed_str()), value);
        } else {
            vars[name]["value"] = Value::String(value);
        }
    }
    std::fs::write(&vars_path, serde_json::to_string_pretty(&vars).unwrap()).unwrap();
    store
}

/// The gate step of the workflow: its `env` (with `${{ vars.X }}` / `${{ secrets.X }}` filled in
/// from `store`, "" where the store has none, as GitHub does) and its `run` script.
fn gate_step(workflow: &Path, store: &BTreeMap<&str, String>) -> (Vec<(String, String)>, String) {
    let doc = yaml_as_json(workflow);
    let steps = doc["jobs"]["authconform"]["steps"].as_array().unwrap();
    let step = steps
        .iter()
        .find(|s| s["name"] == "Auth conformance")
        .expect("a step named `Auth conformance`");
    let env = step["env"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let expr = v.as_str().unwrap();
            let inner = expr
                .strip_prefix("${{ ")
                .and_then(|e| e.strip_suffix(" }}"))
                .unwrap_or_else(|| panic!("{k}: not an expression: {expr}"));
            let (kind, name) = inner.split_once('.').unwrap();
            assert!(kind == "vars" || kind == "secrets", "{k}: {expr}");
            (k.clone(), store.get(name).cloned().unwrap_or_default())
        })
        .collect();
    (env, step["run"].as_str().unwrap().to_owned())
}

/// bash runs `script` in `dir` with only `env`, PATH and the binary's folder, as a CI runner would.
fn run_step(dir: &Path, env: &[(String, String)], script: &str) -> crate::util::Output {
    let bin = assert_cmd::cargo::cargo_bin("authconform");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["-e", "-c", script])
        .current_dir(dir)
        .env_clear()
        .env("PATH", path)
        .envs(env.iter().cloned())
        .output()
        .unwrap();
    crate::util::Output {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

#[test]
fn init_writes_a_vars_file_that_lists_and_sets_nothing_and_keeps_edits() {
    let repo = initialised();
    let dir = repo.path().join("conformance");
    let vars: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("vars.json")).unwrap()).unwrap();
    for (name, value, secret) in authconform::reference::variables() {
        let entry = &vars[name];
        assert!(
            entry["meaning"].is_string(),
            "{name} is listed with its meaning"
        );
        let key = if secret { "secret" } else { "value" };
        assert_eq!(entry[key], Value::Null, "{name} is not set");
        assert!(
            !vars.to_string().contains(&value) || !secret,
            "no secret value"
        );
    }
    let deviations: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("deviations.json")).unwrap())
            .unwrap();
    assert_eq!(deviations, serde_json::json!({"deviations": []}));

    // A team has edited the files: a second init must not undo that.
    std::fs::write(dir.join("deviations.json"), "edited").unwrap();
    let again = output(
        authconform()
            .current_dir(repo.path())
            .args(["init", "conformance"]),
    );
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(
        again.stderr.contains("conformance/deviations.json"),
        "{}",
        again.stderr
    );
    assert!(again.stderr.contains("--overwrite"), "{}", again.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.join("deviations.json")).unwrap(),
        "edited"
    );
    let forced =
        output(
            authconform()
                .current_dir(repo.path())
                .args(["init", "conformance", "--overwrite"]),
        );
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_ne!(
        std::fs::read_to_string(dir.join("deviations.json")).unwrap(),
        "edited"
    );

    // Not even --overwrite writes through a link: it would replace the file it points at.
    let elsewhere = repo.path().join("elsewhere.json");
    std::fs::write(&elsewhere, "keep").unwrap();
    std::fs::remove_file(dir.join("vars.json")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dir.join("vars.json")).unwrap();
    let linked =
        output(
            authconform()
                .current_dir(repo.path())
                .args(["init", "conformance", "--overwrite"]),
        );
    assert_eq!(linked.code, 2, "{}", linked.stderr);
    assert_eq!(
        linked.stderr,
        "authconform: error: init: conformance/vars.json is a symbolic link, and init never writes through one (it would replace the file it points at): remove it, or init another folder\n"
    );
    assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "keep");
}

/// The workflow as CI runs it: the filled-in vars file, the secrets from the store, the empty
/// deviations file; against a conforming server every case runs and passes, and the reports the
/// workflow uploads are there.
#[test]
fn the_workflow_init_writes_gates_a_server_once_the_vars_are_filled_in() {
    let repo = initialised();
    let dir = repo.path().join("conformance");
    let server = server(None);
    let store = filled_in(&dir, &server.url);

    let (env, script) = gate_step(&dir.join("github-workflow.yml"), &store);
    let out = run_step(repo.path(), &env, &script);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let report = read_report(&repo.path().join("authconform.json"));
    assert_eq!(report["ok"], true);
    let verdicts: Vec<(&str, &str)> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap(),
                c["verdict"]["kind"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(verdicts.len(), builtin_ids().len());
    assert!(verdicts.iter().all(|(_, v)| *v == "pass"), "{verdicts:?}");
    assert!(repo.path().join("authconform.xml").is_file());
    assert!(repo.path().join("authconform.html").is_file());
    for (_, value, secret) in authconform::reference::variables() {
        if secret {
            assert!(!out.stdout.contains(&value) && !out.stderr.contains(&value));
        }
    }
}

/// Found in review: `init 'x$(id)'` wrote the folder into the step's script unquoted, so the
/// runner would run `id`. A folder named with every kind of shell syntax (quotes, `$(…)`,
/// backticks, a variable, `;`, a glob): the workflow still reads its files and gates the
/// server, and runs nothing that the name says. A name no quoting can carry into a workflow
/// (a line break ends the script; GitHub evaluates `${{` first) is refused and nothing written.
#[test]
fn the_workflow_quotes_a_folder_named_with_shell_syntax() {
    let name = r#"it's "q" $(touch ran-1) `touch ran-2` $HOME; touch ran-3 *"#;
    let repo = initialised_in(name, &[]);
    let dir = repo.path().join(name);
    let server = server(None);
    let store = filled_in(&dir, &server.url);
    let (env, script) = gate_step(&dir.join("github-workflow.yml"), &store);
    let out = run_step(repo.path(), &env, &script);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let report = read_report(&repo.path().join("authconform.json"));
    let kinds: Vec<&str> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["verdict"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec!["pass"; builtin_ids().len()],
        "the vars file was read"
    );
    for ran in ["ran-1", "ran-2", "ran-3"] {
        assert!(!repo.path().join(ran).exists(), "{ran}");
        assert!(!dir.join(ran).exists(), "{ran}");
    }

    for name in ["a\nb", "a${{ secrets.X }}"] {
        let repo = tempfile::tempdir().unwrap();
        let out = output(authconform().current_dir(repo.path()).args(["init", name]));
        assert_eq!(out.code, 2, "{name:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("choose another folder"),
            "{}",
            out.stderr
        );
        assert!(!repo.path().join(name).exists(), "{name:?}");
    }
}

/// A repository that has not set the target must not get a green run of the built-in server.
#[test]
fn the_workflow_fails_when_the_target_is_not_set() {
    let repo = initialised();
    let (env, script) = gate_step(
        &repo.path().join("conformance/github-workflow.yml"),
        &BTreeMap::new(),
    );
    let out = run_step(repo.path(), &env, &script);
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("::error::set the repository variable AUTHCONFORM_TARGET"),
        "{}",
        out.stdout
    );
    assert!(!repo.path().join("authconform.json").exists());
}

/// The secrets the store does not have arrive as "", which is unset: their cases are skipped
/// and named in the summary, not sent with an empty secret and failed; and since the workflow
/// runs with --fail-on-skip, the gate fails.
#[test]
fn a_secret_missing_from_the_store_skips_its_cases_and_fails_the_gate() {
    let repo = initialised();
    let server = server(None);
    let mut store = BTreeMap::new();
    store.insert("AUTHCONFORM_TARGET", server.url.clone());
    let vars_path = repo.path().join("conformance/vars.json");
    let mut vars: Value =
        serde_json::from_str(&std::fs::read_to_string(&vars_path).unwrap()).unwrap();
    vars["client_id"]["value"] = Value::String(authconform::reference::variables()[0].1.clone());
    std::fs::write(&vars_path, vars.to_string()).unwrap();
    let (env, script) = gate_step(&repo.path().join("conformance/github-workflow.yml"), &store);
    assert!(
        env.iter()
            .any(|(k, v)| k == "AUTHCONFORM_SECRET_CLIENT_SECRET" && v.is_empty())
    );
    let out = run_step(repo.path(), &env, &script);
    let report = read_report(&repo.path().join("authconform.json"));
    let missing = report["missing_variables"].to_string();
    assert!(
        missing.contains("client_secret"),
        "{missing}\n{}",
        out.stdout
    );
    let needs_secret = crate::util::case_of(&report, "token/missing-grant-type");
    assert_eq!(needs_secret["verdict"]["kind"], "skip", "{needs_secret:#}");
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(report["ok"], false);
    let skipped = report["summary"]["skipped"].as_u64().unwrap();
    assert!(skipped > 0);
    assert!(
        report["gate"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({"kind": "skipped", "cases": skipped})),
        "{:#}",
        report["gate"]
    );
}

/// What a server has not (here: database connections) is declared in the vars file init
/// wrote, by filling in the `not_applicable` it lists: those cases are not applicable with that
/// reason, counted apart from skips, and the workflow's gate (--fail-on-skip) passes.
#[test]
fn a_variable_declared_not_applicable_in_the_vars_file_passes_the_workflow_gate() {
    let repo = initialised();
    let dir = repo.path().join("conformance");
    let server = server(None);
    let store = filled_in(&dir, &server.url);
    let vars_path = dir.join("vars.json");
    let mut vars: Value =
        serde_json::from_str(&std::fs::read_to_string(&vars_path).unwrap()).unwrap();
    let reason = "this tenant has no database connection";
    vars["db_connection"]["value"] = Value::Null;
    vars["db_connection"]["not_applicable"] = reason.into();
    std::fs::write(&vars_path, serde_json::to_string_pretty(&vars).unwrap()).unwrap();

    let (env, script) = gate_step(&dir.join("github-workflow.yml"), &store);
    assert!(script.contains("--fail-on-skip"), "{script}");
    let out = run_step(repo.path(), &env, &script);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let report = read_report(&repo.path().join("authconform.json"));
    assert_eq!(report["ok"], true);
    let not_applicable: Vec<&Value> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["verdict"]["kind"] == "not_applicable")
        .collect();
    assert!(!not_applicable.is_empty());
    for case in &not_applicable {
        assert_eq!(
            case["verdict"],
            serde_json::json!({"kind": "not_applicable", "reason": reason, "variables": ["db_connection"]}),
            "{case:#}"
        );
    }
    assert_eq!(
        report["summary"]["not_applicable"],
        not_applicable.len() as u64
    );
    assert_eq!(report["summary"]["skipped"], 0);
    assert_eq!(
        report["summary"]["passed"].as_u64().unwrap() + not_applicable.len() as u64,
        builtin_ids().len() as u64
    );
}

/// `init --profile rfc` writes a workflow for any OAuth server: the endpoints come from its
/// discovery document, so they stay unset in the vars file, and every rfc case runs and passes
/// against the rfc reference server.
#[test]
fn the_rfc_workflow_gates_an_oauth_server_through_discovery() {
    use authconform::source::Profile;
    let repo = initialised_with(&["--profile", "rfc"]);
    let server = crate::util::server_with(authconform::reference::Config {
        profile: Profile::Rfc,
        ..Default::default()
    });
    let vars_path = repo.path().join("conformance/vars.json");
    let mut vars: Value =
        serde_json::from_str(&std::fs::read_to_string(&vars_path).unwrap()).unwrap();
    let mut store = BTreeMap::new();
    store.insert("AUTHCONFORM_TARGET", server.url.clone());
    for (name, value, secret) in authconform::reference::variables_of(Profile::Rfc) {
        assert!(vars.get(name).is_some(), "{name} is listed");
        if name.ends_with("_endpoint") {
            continue;
        }
        if secret {
            let key = format!("AUTHCONFORM_SECRET_{}", name.to_ascii_uppercase());
            store.insert(Box::leak(key.into_boxed_str()), value);
        } else {
            vars[name]["value"] = Value::String(value);
        }
    }
    std::fs::write(&vars_path, serde_json::to_string_pretty(&vars).unwrap()).unwrap();
    let (env, script) = gate_step(&repo.path().join("conformance/github-workflow.yml"), &store);
    assert!(script.contains("--profile rfc --discover"), "{script}");
    let out = run_step(repo.path(), &env, &script);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let report = read_report(&repo.path().join("authconform.json"));
    let cases = report["cases"].as_array().unwrap();
    assert_eq!(
        cases.len(),
        builtin_ids_of(authconform::source::Profile::Rfc).len()
    );
    assert!(
        cases.iter().all(|c| c["verdict"]["kind"] == "pass"),
        "{report:#}"
    );
    assert_eq!(
        report["discovery"]["endpoints"].as_array().unwrap().len(),
        4,
        "{:#}",
        report["discovery"]
    );
}
