//! `authconform init DIR`: the vars file, the empty deviations file and the GitHub workflow it
//! writes, proven by doing what a team would: fill in the vars file, set the secrets as the
//! workflow's secret store would, and run the workflow's gate step (read with PyYAML, run by
//! bash) against the reference server.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::action::Runner;
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

/// `${{ vars.X }}` or `${{ secrets.X }}` from `store` ("" where the store has none, as GitHub
/// does), or a literal value as it is; any other expression is one this test cannot evaluate.
fn evaluate(value: &Value, store: &BTreeMap<&str, String>) -> String {
    let text = value
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| value.to_string());
    let Some(inner) = text
        .strip_prefix("${{ ")
        .and_then(|e| e.strip_suffix(" }}"))
    else {
        assert!(
            !text.contains("${{"),
            "an expression inside a value: {text}"
        );
        return text;
    };
    let (kind, name) = inner.split_once('.').unwrap();
    assert!(kind == "vars" || kind == "secrets", "{text}");
    store.get(name).cloned().unwrap_or_default()
}

/// A step's `env` or `with`, evaluated.
fn evaluated(map: &Value, store: &BTreeMap<&str, String>) -> Vec<(String, String)> {
    map.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), evaluate(v, store)))
                .collect()
        })
        .unwrap_or_default()
}

/// What a job left: each step's name and exit code (None: skipped), its output, the cache
/// entries it saved.
struct Job {
    steps: Vec<(String, Option<i32>)>,
    stdout: String,
    stderr: String,
}

impl Job {
    fn code(&self) -> i32 {
        self.steps
            .iter()
            .find_map(|(_, c)| c.filter(|c| *c != 0))
            .unwrap_or(0)
    }
}

/// GitHub's Actions cache, as the workflow uses it: `path` saved under `key`, and the newest
/// entry whose key starts with a `restore-keys` prefix restored to `path`.
#[derive(Default)]
struct Cache(Vec<(String, tempfile::TempDir)>);

impl Cache {
    fn restore(&self, workspace: &Path, with: &Value, run: &str) {
        let (path, key) = (
            with["path"].as_str().unwrap(),
            evaluate_run(&with["key"], run),
        );
        let prefix = with["restore-keys"].as_str().unwrap();
        let hit = self
            .0
            .iter()
            .rev()
            .find(|(k, _)| *k == key || k.starts_with(prefix));
        if let Some((_, saved)) = hit {
            copy_dir(saved.path(), &workspace.join(path));
        }
    }

    fn save(&mut self, workspace: &Path, with: &Value, run: &str) {
        let (path, key) = (
            with["path"].as_str().unwrap(),
            evaluate_run(&with["key"], run),
        );
        let saved = tempfile::tempdir().unwrap();
        copy_dir(&workspace.join(path), saved.path());
        self.0.push((key, saved));
    }
}

/// A cache key: `${{ github.run_id }}` and `${{ github.run_attempt }}` are this run's.
fn evaluate_run(key: &Value, run: &str) -> String {
    key.as_str()
        .unwrap()
        .replace("${{ github.run_id }}", run)
        .replace("${{ github.run_attempt }}", "1")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// The workflow's job as a runner runs it on `event` (`push`, `schedule`): its `run` steps by
/// bash, the Action (`uses: authconform/authconform@v{version}`, this checkout's action.yml) as
/// [`Runner::action`] does, the Actions cache as [`Cache`], checkout as done (the workspace is
/// the checkout). A step runs when every step before it passed, or as its `if` says.
fn run_workflow(
    runner: &Runner,
    workflow: &Path,
    store: &BTreeMap<&str, String>,
    event: &str,
    cache: &mut Cache,
    run_id: &str,
) -> Job {
    let doc = yaml_as_json(workflow);
    let mut job = Job {
        steps: Vec::new(),
        stdout: String::new(),
        stderr: String::new(),
    };
    let mut kept = false;
    let action = format!("authconform/authconform@v{}", crate::action::version());
    for step in doc["jobs"]["authconform"]["steps"].as_array().unwrap() {
        let name = step["name"]
            .as_str()
            .or(step["uses"].as_str())
            .unwrap()
            .to_owned();
        let failed = job.code() != 0;
        let runs = match step["if"].as_str() {
            None => !failed,
            Some("always() && github.event_name == 'schedule'") => event == "schedule",
            Some("always() && steps.keep.outputs.kept == 'true'") => kept,
            Some(other) => panic!("{name}: an `if` this test cannot evaluate: {other}"),
        };
        if !runs {
            job.steps.push((name, None));
            continue;
        }
        let env = evaluated(&step["env"], store);
        let ran = match step["uses"].as_str() {
            Some("actions/checkout@v4") => None,
            Some("actions/cache/restore@v4") => {
                cache.restore(&runner.workspace, &step["with"], run_id);
                None
            }
            Some("actions/cache/save@v4") => {
                cache.save(&runner.workspace, &step["with"], run_id);
                None
            }
            Some(uses) if uses == action => {
                let with = evaluated(&step["with"], store);
                let with: Vec<(&str, &str)> =
                    with.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                Some(runner.action(&with, &env))
            }
            Some(other) => panic!("{name}: uses {other}, which this release plan does not have"),
            None => Some(runner.bash(step["run"].as_str().unwrap(), &env, &[])),
        };
        let code = ran.map_or(0, |ran| {
            job.stdout.push_str(&ran.stdout);
            job.stderr.push_str(&ran.stderr);
            if step["id"] == "keep" {
                kept = ran.outputs.get("kept").is_some_and(|k| k == "true");
            }
            ran.code
        });
        job.steps.push((name, Some(code)));
    }
    job
}

/// [`run_workflow`] on a push, the only run of a fresh cache.
fn push(repo: &Path, workflow: &Path, store: &BTreeMap<&str, String>) -> Job {
    let runner = Runner::new(repo, &crate::action::shared_release().url);
    run_workflow(&runner, workflow, store, "push", &mut Cache::default(), "1")
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

/// The workflow as CI runs it: the Action at this version (its release archive from a fake
/// release on loopback), the filled-in vars file, the secrets from the store, the empty
/// deviations file; against a conforming server every case runs and passes, and the reports the
/// Action uploads are there. Every `uses:` is one that exists ([`run_workflow`] refuses others).
#[test]
fn the_workflow_init_writes_gates_a_server_once_the_vars_are_filled_in() {
    let repo = initialised();
    let dir = repo.path().join("conformance");
    let server = server(None);
    let store = filled_in(&dir, &server.url);

    let out = push(repo.path(), &dir.join("github-workflow.yml"), &store);
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let ran: Vec<&str> = out
        .steps
        .iter()
        .filter(|(_, code)| code.is_some())
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(
        ran,
        [
            "actions/checkout@v4",
            "Check the target",
            "The last nightly report",
            "Auth conformance"
        ],
        "a push keeps no nightly report"
    );
    let reports = repo.path().join("authconform-reports");
    let report = read_report(&reports.join("report.json"));
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
    assert!(reports.join("junit.xml").is_file());
    assert!(reports.join("report.html").is_file());
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
    let out = push(repo.path(), &dir.join("github-workflow.yml"), &store);
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let report = read_report(&repo.path().join("authconform-reports/report.json"));
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
    let out = push(
        repo.path(),
        &repo.path().join("conformance/github-workflow.yml"),
        &BTreeMap::new(),
    );
    assert_ne!(out.code(), 0, "{}", out.stdout);
    assert_eq!(out.steps[1], ("Check the target".to_owned(), Some(1)));
    assert!(out.steps[2..].iter().all(|(_, code)| code.is_none()));
    assert!(
        out.stdout
            .contains("::error::set the repository variable AUTHCONFORM_TARGET"),
        "{}",
        out.stdout
    );
    assert!(!repo.path().join("authconform-reports").exists());
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
    let workflow = repo.path().join("conformance/github-workflow.yml");
    let doc = yaml_as_json(&workflow);
    let step = &doc["jobs"]["authconform"]["steps"][3];
    assert_eq!(step["name"], "Auth conformance");
    assert!(
        evaluated(&step["env"], &store)
            .iter()
            .any(|(k, v)| k == "AUTHCONFORM_SECRET_CLIENT_SECRET" && v.is_empty())
    );
    let out = push(repo.path(), &workflow, &store);
    let report = read_report(&repo.path().join("authconform-reports/report.json"));
    let missing = report["missing_variables"].to_string();
    assert!(
        missing.contains("client_secret"),
        "{missing}\n{}",
        out.stdout
    );
    let needs_secret = crate::util::case_of(&report, "token/missing-grant-type");
    assert_eq!(needs_secret["verdict"]["kind"], "skip", "{needs_secret:#}");
    assert_eq!(out.code(), 1, "{}\n{}", out.stdout, out.stderr);
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

    let doc = yaml_as_json(&dir.join("github-workflow.yml"));
    assert_eq!(
        doc["jobs"]["authconform"]["steps"][3]["with"]["args"],
        "--fail-on-skip"
    );
    let out = push(repo.path(), &dir.join("github-workflow.yml"), &store);
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let report = read_report(&repo.path().join("authconform-reports/report.json"));
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
    use authconform::base::source::Profile;
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
    let workflow = repo.path().join("conformance/github-workflow.yml");
    let with = &yaml_as_json(&workflow)["jobs"]["authconform"]["steps"][3]["with"];
    assert_eq!(with["profile"], "rfc");
    assert_eq!(with["args"], "--discover --fail-on-skip");
    let out = push(repo.path(), &workflow, &store);
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    let report = read_report(&repo.path().join("authconform-reports/report.json"));
    let cases = report["cases"].as_array().unwrap();
    assert_eq!(
        cases.len(),
        builtin_ids_of(authconform::base::source::Profile::Rfc).len()
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

/// The nightly: a scheduled run keeps its JSON report in the Actions cache, and the next run
/// restores it and gives it to the Action to compare: `diff` is called on it (its table in the
/// step summary once `diff` is in this build; until then the Action says it could not compare),
/// and the gate is still the run's.
#[test]
fn the_nightly_keeps_its_report_and_the_next_run_compares_with_it() {
    let repo = initialised();
    let dir = repo.path().join("conformance");
    let server = server(None);
    let store = filled_in(&dir, &server.url);
    let workflow = dir.join("github-workflow.yml");
    let mut cache = Cache::default();
    let release = &crate::action::shared_release().url;

    let nightly = Runner::new(repo.path(), release);
    let out = run_workflow(&nightly, &workflow, &store, "schedule", &mut cache, "1");
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.steps.iter().all(|(_, code)| *code == Some(0)),
        "{:?}",
        out.steps
    );
    assert_eq!(cache.0.len(), 1);
    assert_eq!(cache.0[0].0, "authconform-nightly-1-1");
    let kept = cache.0[0].1.path().join("report.json");
    assert_eq!(read_report(&kept)["ok"], true);
    assert!(!nightly.summary().contains("Since the previous report"));

    // The next run, in a fresh checkout as on a runner.
    let next = tempfile::tempdir().unwrap();
    for file in ["vars.json", "deviations.json", "github-workflow.yml"] {
        std::fs::create_dir_all(next.path().join("conformance")).unwrap();
        std::fs::copy(dir.join(file), next.path().join("conformance").join(file)).unwrap();
    }
    let runner = Runner::new(next.path(), release);
    let out = run_workflow(&runner, &workflow, &store, "push", &mut cache, "2");
    assert_eq!(out.code(), 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(cache.0.len(), 1, "a push keeps no report");
    assert!(
        next.path()
            .join("authconform-nightly/report.json")
            .is_file()
    );
    assert!(
        runner
            .summary()
            .contains("### Since the previous report\n\nNothing changed."),
        "{}",
        runner.summary()
    );
}

/// `init --gitlab` writes a GitLab CI job on this version's image (entrypoint emptied, as
/// GitLab runs its script in a shell), with the JUnit file as its test report, run on pipeline
/// schedules too; its script, run by sh with the binary on PATH and the CI/CD variables in the
/// environment as GitLab exports them, gates the server.
#[test]
fn the_gitlab_job_init_writes_gates_a_server() {
    let repo = initialised_with(&["--gitlab"]);
    let dir = repo.path().join("conformance");
    let server = server(None);
    let store = filled_in(&dir, &server.url);
    let doc = yaml_as_json(&dir.join("gitlab-ci.yml"));
    let job = &doc["authconform"];
    assert_eq!(
        job["image"],
        serde_json::json!({
            "name": format!("ghcr.io/authconform/authconform:{}", crate::action::version()),
            "entrypoint": [""],
        })
    );
    assert_eq!(job["artifacts"]["when"], "always");
    let junit = job["artifacts"]["reports"]["junit"].as_str().unwrap();
    let rules = job["rules"].to_string();
    assert!(
        rules.contains(r#"$CI_PIPELINE_SOURCE == \"schedule\""#),
        "{rules}"
    );
    let script: Vec<&str> = job["script"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    let runner = Runner {
        path: vec![
            assert_cmd::cargo::cargo_bin!("authconform")
                .parent()
                .unwrap()
                .to_path_buf(),
        ],
        ..Runner::new(repo.path(), "http://127.0.0.1:9")
    };
    let env: Vec<(String, String)> = store
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    let out = runner.sh(&script.join("\n"), &env);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let report = read_report(&repo.path().join("authconform.json"));
    assert_eq!(report["ok"], true);
    assert_eq!(
        report["summary"]["passed"].as_u64().unwrap() as usize,
        builtin_ids().len()
    );
    assert!(repo.path().join(junit).is_file(), "{junit}");
    for path in job["artifacts"]["paths"].as_array().unwrap() {
        assert!(repo.path().join(path.as_str().unwrap()).is_file(), "{path}");
    }

    // Without the target, the job fails before any run.
    std::fs::remove_file(repo.path().join("authconform.json")).unwrap();
    let out = runner.sh(&script.join("\n"), &[]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("set the CI/CD variable AUTHCONFORM_TARGET"),
        "{}",
        out.stderr
    );
    assert!(!repo.path().join("authconform.json").exists());
}
