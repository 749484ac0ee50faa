//! `authconform init DIR`: what a team needs to start gating on its own server, written once
//! and then edited by hand: `DIR/vars.json`, every variable the catalogue uses, listed with its
//! meaning and how to get it but set to nothing, each with a slot to set it and one to declare
//! it not applicable (secrets only as environment-variable hints); `DIR/deviations.json`, an
//! empty known-deviations file; `DIR/github-workflow.yml`, a GitHub Actions workflow that runs
//! the gate through this repository's Action at this version, on pushes, pull requests and
//! nightly, with `--fail-on-skip` (a variable forgotten, or a secret missing in CI, fails it),
//! and shows what changed since the last nightly report; and with `--gitlab`,
//! `DIR/gitlab-ci.yml`, a GitLab CI job on the container image, to include from
//! `.gitlab-ci.yml`. Every route they name is one this version's release publishes.

use std::path::{Component, Path, PathBuf};

use serde_json::json;

use crate::{
    base::error::{EXIT_OK, Error, print},
    base::source::{Profile, Source},
    catalogue::case::Catalogue,
    catalogue::vars::{Variable, VarsFile, secret_env_name},
};

/// The files `init` writes, by name inside DIR.
pub const VARS: &str = "vars.json";
pub const DEVIATIONS: &str = "deviations.json";
pub const WORKFLOW: &str = "github-workflow.yml";
pub const GITLAB: &str = "gitlab-ci.yml";

/// Where this version is published: the Action (`action.yml` at the repository's root, tagged
/// `v{version}`) and the container image.
fn action() -> String {
    format!("authconform/authconform@v{}", env!("CARGO_PKG_VERSION"))
}

fn image() -> String {
    format!(
        "ghcr.io/authconform/authconform:{}",
        env!("CARGO_PKG_VERSION")
    )
}

/// Writes the three files (four with `gitlab`) into `dir` (created if need be). A file already
/// there is left alone and the command refused, unless `overwrite`: they are meant to be
/// edited, and a second `init` must not undo that.
pub fn init(
    dir: &Path,
    profile: Profile,
    cases: &Source,
    schemas: &Source,
    overwrite: bool,
    gitlab: bool,
) -> Result<u8, Error> {
    let catalogue = Catalogue::load(profile, cases, schemas)?;
    let names: &[&str] = if gitlab {
        &[VARS, DEVIATIONS, WORKFLOW, GITLAB]
    } else {
        &[VARS, DEVIATIONS, WORKFLOW]
    };
    if !overwrite {
        let present: Vec<String> = names
            .iter()
            .map(|f| dir.join(f))
            .filter(|p| p.symlink_metadata().is_ok())
            .map(|p| p.display().to_string())
            .collect();
        if !present.is_empty() {
            return Err(Error::Usage(format!(
                "init: {} already there: edit what is there, or give --overwrite to write anew",
                present.join(", ")
            )));
        }
    }
    // Not even --overwrite writes through a link: it would replace whatever file it points at.
    let links: Vec<String> = names
        .iter()
        .map(|f| dir.join(f))
        .filter(|p| p.is_symlink())
        .map(|p| p.display().to_string())
        .collect();
    if !links.is_empty() {
        return Err(Error::Usage(format!(
            "init: {} is a symbolic link, and init never writes through one (it would replace the file it points at): remove it, or init another folder",
            links.join(", ")
        )));
    }
    let from_root = path_from_repository_root(dir);
    let named = workflow_path(&from_root)?;
    let failed = |path: &Path, source| Error::Write {
        path: path.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|e| failed(dir, e))?;
    let used = used_variables(&catalogue);
    let mut files = vec![
        (VARS, vars_file(&used)),
        (DEVIATIONS, deviations_file()),
        (WORKFLOW, workflow(&named, profile, &used)),
    ];
    if gitlab {
        files.push((GITLAB, gitlab_job(&named, profile, &used)));
    }
    for (name, text) in &files {
        let path = dir.join(name);
        write_not_through_a_link(&path, text).map_err(|e| failed(&path, e))?;
    }
    let d = dir.display();
    let (vars, deviations) = (
        quote(&format!("{named}/{VARS}")),
        quote(&format!("{named}/{DEVIATIONS}")),
    );
    let secrets: Vec<String> = used
        .iter()
        .filter(|v| v.secret)
        .map(|v| secret_env_name(&v.name))
        .collect();
    // A server of another profile is not Auth0, and serves its endpoints elsewhere.
    let choice = match profile.flag() {
        flag if flag.is_empty() => flag,
        flag => format!("{flag}--discover "),
    };
    let written: Vec<String> = names.iter().map(|n| format!("{d}/{n}")).collect();
    let gitlab_step = if gitlab {
        format!(
            "5. GitLab: include {named}/{GITLAB} from .gitlab-ci.yml (`include: [{{local: {named}/{GITLAB}}}]`), set the CI/CD variable AUTHCONFORM_TARGET and the same secrets as masked CI/CD variables, and add a pipeline schedule for the nightly run\n"
        )
    } else {
        String::new()
    };
    print(&format!(
        "wrote {}. Next:\n\
         1. fill in {d}/{VARS}: every variable the cases use, with its meaning: set its value, or, where this server has no such thing, its `not_applicable` to the reason; a variable left null skips the cases that need it, and the workflow's --fail-on-skip fails on a skip\n\
         2. give the secrets as environment variables, never in a file: {}\n\
         3. try it: authconform run {choice}--target https://YOUR-SERVER --vars {vars} --deviations {deviations}\n\
         4. move {d}/{WORKFLOW} to .github/workflows/authconform.yml and set the repository variable AUTHCONFORM_TARGET and the secrets it names\n{gitlab_step}",
        written.join(", "),
        secrets.join(", ")
    ))?;
    Ok(EXIT_OK)
}

/// Writes `text` to `path` as `std::fs::write` does, except that a link put at the path since
/// it was checked is refused (`O_NOFOLLOW`), not written through.
fn write_not_through_a_link(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    options.open(path)?.write_all(text.as_bytes())
}

/// The variables that some loaded case uses, in the order they are documented.
fn used_variables(catalogue: &Catalogue) -> Vec<&Variable> {
    catalogue
        .variables
        .iter()
        .filter(|v| {
            catalogue
                .cases
                .iter()
                .any(|c| c.variables.contains_key(&v.name))
        })
        .collect()
}

/// `vars.json`: every variable listed, none set (`schemas/vars.schema.json`).
fn vars_file(used: &[&Variable]) -> String {
    let mut file = VarsFile::default();
    file.note(
        "$comment",
        json!(
            "Written by `authconform init`; read by `authconform run --vars FILE`. For each \
             variable, set its `value`, or, where this server has no such thing (no revocation \
             endpoint, no implicit grant), set its `not_applicable` to the reason, one line: its \
             cases are then reported as not applicable, with that reason. Both null: not set, \
             the cases that need it are skipped, and under --fail-on-skip (as the workflow runs) \
             a skip fails the gate. Secrets never go here: give them as the environment \
             variables their `how` names (or declare them not applicable here). `meaning` and \
             `how` are notes; the run ignores them."
        ),
    );
    for v in used {
        file.listed(v);
    }
    file.text()
}

fn deviations_file() -> String {
    let mut text =
        serde_json::to_string_pretty(&json!({ "deviations": [] })).expect("JSON values print");
    text.push('\n');
    text
}

/// DIR as the workflow must name it: relative to the root of the git repository that holds it
/// (a job's steps run there), or as given when no repository is found.
fn path_from_repository_root(dir: &Path) -> PathBuf {
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let normal: PathBuf = absolute.components().fold(PathBuf::new(), |mut p, c| {
        match c {
            Component::ParentDir => {
                p.pop();
            }
            Component::CurDir => {}
            other => p.push(other),
        }
        p
    });
    normal
        .ancestors()
        .find(|a| a.join(".git").exists())
        .and_then(|root| normal.strip_prefix(root).ok())
        .map(Path::to_path_buf)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| dir.to_path_buf())
}

/// DIR as the workflow names it (`from_root`, with forward slashes), unless a workflow cannot
/// carry it: a line break would end the step's script and start YAML of its own, GitHub
/// evaluates `${{` as an expression before the shell sees it, and a name that is not UTF-8
/// would be written as another folder's. Everything else is quoted for the shell.
fn workflow_path(from_root: &Path) -> Result<String, Error> {
    let refused = |why: &str| {
        Error::Usage(format!(
            "init {}: {why}: choose another folder",
            crate::base::redact::neutralise(&from_root.display().to_string(), false)
        ))
    };
    let text = from_root
        .to_str()
        .ok_or_else(|| refused("the folder's path is not UTF-8, which a workflow cannot name"))?
        .replace('\\', "/");
    if text
        .chars()
        .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
    {
        return Err(refused(
            "the folder's path holds a control character or a line separator (a line break would end the workflow's script)",
        ));
    }
    if text.contains("${{") {
        return Err(refused(
            "the folder's path holds `${{`, which GitHub would evaluate as an expression",
        ));
    }
    Ok(text)
}

/// `text` as one word of a POSIX shell command: quoted wherever it holds anything the shell
/// would read (spaces, `$`, quotes, backticks). [`workflow_path`] has refused a NUL.
fn quote(text: &str) -> String {
    shlex::try_quote(text)
        .expect("a path holds no NUL byte")
        .into_owned()
}

/// `text` as a YAML double-quoted scalar: JSON's string syntax is a subset of it, and
/// [`workflow_path`] has refused what it would carry as a line break.
fn yaml_string(text: &str) -> String {
    serde_json::to_string(text).expect("strings print")
}

/// The environment lines (at `indent`) that hand each secret of `used` from GitHub's secret
/// store to the step, under its own name.
fn secret_env(used: &[&Variable], indent: &str) -> String {
    used.iter()
        .filter(|v| v.secret)
        .map(|v| {
            let name = secret_env_name(&v.name);
            format!("{indent}{name}: ${{{{ secrets.{name} }}}}\n")
        })
        .collect()
}

/// The GitHub Actions workflow, naming DIR as `dir` ([`workflow_path`]). The gate fails, rather
/// than test the built-in reference server, when the repository variable naming the target is
/// not set. A nightly run keeps its JSON report in the Actions cache (a key per run, restored
/// by prefix: the newest); every run compares its own with it.
fn workflow(dir: &str, profile: Profile, used: &[&Variable]) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let action = action();
    let (args, note) = match profile {
        Profile::Auth0 => (
            "--fail-on-skip",
            format!(
                "# --fail-on-skip: every variable in {dir}/{VARS} is set or declared not applicable,\n          # and a secret missing here fails the gate. A server that is not Auth0 and serves\n          # its endpoints elsewhere: add --discover."
            ),
        ),
        _ => (
            "--discover --fail-on-skip",
            format!(
                "# --discover reads the endpoints from the server's discovery document (or set them\n          # in {dir}/{VARS}); one it does not list is not applicable. --fail-on-skip: every\n          # variable there is set or declared not applicable, and a secret missing here fails\n          # the gate."
            ),
        ),
    };
    let (vars, deviations) = (
        yaml_string(&format!("{dir}/{VARS}")),
        yaml_string(&format!("{dir}/{DEVIATIONS}")),
    );
    let secret_env = match secret_env(used, "          ") {
        none if none.is_empty() => String::new(),
        some => format!("        env:\n{some}"),
    };
    format!(
        r#"# Written by `authconform init` ({version}). Move it to .github/workflows/authconform.yml.
# Set the repository variable AUTHCONFORM_TARGET (Settings > Secrets and variables > Actions >
# Variables) to the server's base URL, and each secret below in the secret store. It runs the
# gate with the release binary of authconform {version} (the Action downloads and checks it),
# on pushes, pull requests and nightly; each run's step summary shows what the server does
# differently from the last nightly run, whose JSON report the Actions cache keeps.
name: Auth conformance

on:
  push:
  pull_request:
  schedule:
    - cron: "17 3 * * *"
  workflow_dispatch:

permissions:
  contents: read

jobs:
  authconform:
    runs-on: ubuntu-latest
    timeout-minutes: 20
    steps:
      - uses: actions/checkout@v4
      - name: Check the target
        env:
          AUTHCONFORM_TARGET: ${{{{ vars.AUTHCONFORM_TARGET }}}}
        run: |
          if [ -z "$AUTHCONFORM_TARGET" ]; then
            echo "::error::set the repository variable AUTHCONFORM_TARGET to the server's base URL"
            exit 1
          fi
      - name: The last nightly report
        uses: actions/cache/restore@v4
        with:
          path: authconform-nightly
          key: authconform-nightly-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}
          restore-keys: authconform-nightly-
      - name: Auth conformance
        uses: {action}
{secret_env}        with:
          target: ${{{{ vars.AUTHCONFORM_TARGET }}}}
          profile: {profile}
          vars: {vars}
          deviations: {deviations}
          {note}
          args: {args}
          reports: authconform-reports
          # Absent on the first run: nothing to compare then.
          compare: authconform-nightly/report.json
      - name: Keep the nightly report
        id: keep
        if: always() && github.event_name == 'schedule'
        run: |
          if [ -f authconform-reports/report.json ]; then
            mkdir -p authconform-nightly
            cp authconform-reports/report.json authconform-nightly/report.json
            echo "kept=true" >> "$GITHUB_OUTPUT"
          fi
      - name: Save the nightly report
        if: always() && steps.keep.outputs.kept == 'true'
        uses: actions/cache/save@v4
        with:
          path: authconform-nightly
          key: authconform-nightly-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}
"#
    )
}

/// The GitLab CI job, naming DIR as `dir`, on the container image of this version (its
/// entrypoint emptied, as GitLab needs to run a script). The secrets are CI/CD variables of
/// their own names, which GitLab exports to the job as they are.
fn gitlab_job(dir: &str, profile: Profile, used: &[&Variable]) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let image = image();
    // A server of another profile is not Auth0, and serves its endpoints elsewhere.
    let choice = match profile.flag() {
        flag if flag.is_empty() => flag,
        flag => format!("{flag}--discover "),
    };
    let (vars, deviations) = (
        quote(&format!("{dir}/{VARS}")),
        quote(&format!("{dir}/{DEVIATIONS}")),
    );
    let include = yaml_string(&format!("{dir}/{GITLAB}"));
    let secrets: Vec<String> = used
        .iter()
        .filter(|v| v.secret)
        .map(|v| secret_env_name(&v.name))
        .collect();
    let secrets = match secrets.len() {
        0 => String::new(),
        _ => format!(
            " and each secret as a masked\n# CI/CD variable of its own name: {}",
            secrets.join(", ")
        ),
    };
    format!(
        r#"# Written by `authconform init` ({version}). Include it from the repository's .gitlab-ci.yml:
#   include:
#     - local: {include}
# Set the CI/CD variable AUTHCONFORM_TARGET (Settings > CI/CD > Variables) to the server's
# base URL{secrets}.
# It runs on merge requests, branch pushes and pipeline schedules: add one (Build > Pipeline
# schedules) for a nightly run. GitLab shows the JUnit report in the merge request.
authconform:
  stage: test
  image:
    name: {image}
    entrypoint: [""]
  rules:
    - if: $CI_PIPELINE_SOURCE == "schedule"
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS
      when: never
    - if: $CI_COMMIT_BRANCH
  script:
    - |
      if [ -z "$AUTHCONFORM_TARGET" ]; then
        echo "set the CI/CD variable AUTHCONFORM_TARGET to the server's base URL" >&2
        exit 1
      fi
    - |
      authconform run {choice}--target "$AUTHCONFORM_TARGET" --fail-on-skip \
        --vars {vars} \
        --deviations {deviations} \
        --junit authconform.xml --report-json authconform.json --report-html authconform.html
  artifacts:
    when: always
    paths:
      - authconform.json
      - authconform.html
      - authconform.xml
    reports:
      junit: authconform.xml
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::source::BuiltIn;
    use serde_json::Value;

    #[test]
    fn the_vars_file_lists_every_used_variable_and_reads_as_setting_none() {
        let catalogue = Catalogue::load(
            Profile::Auth0,
            &Source::BuiltIn(BuiltIn::Cases(Profile::Auth0)),
            &Source::BuiltIn(BuiltIn::Schemas),
        )
        .unwrap();
        let used = used_variables(&catalogue);
        let text = vars_file(&used);
        let doc: Value = serde_json::from_str(&text).unwrap();
        let listed: Vec<&str> = doc
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| !k.starts_with('$'))
            .map(String::as_str)
            .collect();
        let documented: Vec<String> = crate::catalogue::vars::documented(Profile::Auth0)
            .into_iter()
            .map(|v| v.name)
            .collect();
        assert_eq!(listed, documented, "every documented variable, in order");
        assert_eq!(doc["client_secret"]["secret"], Value::Null);
        for name in &listed {
            assert_eq!(doc[*name]["not_applicable"], Value::Null, "{name}");
        }
        assert!(
            doc["client_secret"]["how"]
                .as_str()
                .unwrap()
                .contains("AUTHCONFORM_SECRET_CLIENT_SECRET")
        );
        assert!(
            doc["token_endpoint"]["meaning"]
                .as_str()
                .unwrap()
                .contains("`/oauth/token`")
        );

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(VARS);
        std::fs::write(&path, &text).unwrap();
        let mut vars = crate::catalogue::vars::Vars::default();
        vars.read_file(path.to_str().unwrap()).unwrap();
        assert_eq!(vars.iter().count(), 0, "init sets no variable");
    }

    /// Found in review: `init 'x$(id)'` wrote the folder into the workflow's script as it
    /// was, so the runner ran `id`. The GitHub workflow hands the paths to the Action as YAML
    /// strings (never script text), the GitLab job quotes them for the shell; what neither can
    /// carry (a line break, which ends the script; `${{`, which GitHub evaluates first) is
    /// refused.
    #[test]
    fn the_workflow_quotes_the_folder_or_refuses_it() {
        let dir = "x$(id) `id` \"q\" 'q' $HOME; * # a: b";
        let text = workflow(dir, Profile::Auth0, &[]);
        for (key, file) in [("vars: ", VARS), ("deviations: ", DEVIATIONS)] {
            let line = text
                .lines()
                .map(str::trim)
                .find(|l| l.starts_with(key))
                .unwrap_or_else(|| panic!("no {key} line in {text}"));
            let value: String = serde_json::from_str(&line[key.len()..]).unwrap();
            assert_eq!(value, format!("{dir}/{file}"), "{line}");
        }
        let text = gitlab_job(dir, Profile::Auth0, &[]);
        for (flag, file) in [("--vars", VARS), ("--deviations", DEVIATIONS)] {
            let line = text
                .lines()
                .map(str::trim)
                .find(|l| l.starts_with(flag))
                .unwrap_or_else(|| panic!("no {flag} line in {text}"));
            let words = shlex::split(line.trim_end_matches(" \\")).unwrap();
            assert_eq!(words, [flag.to_owned(), format!("{dir}/{file}")], "{line}");
        }
        for (dir, why) in [
            ("a\nb", "holds a control character"),
            ("a\u{2028}b", "holds a control character"),
            ("a${{ secrets.X }}", "holds `${{`"),
        ] {
            let err = workflow_path(Path::new(dir)).unwrap_err().to_string();
            assert!(err.contains(why), "{err}");
        }
        assert_eq!(
            workflow_path(Path::new("ops/conformance")).unwrap(),
            "ops/conformance"
        );
    }

    /// A link put where a file goes after the check is refused, not written through.
    #[cfg(unix)]
    #[test]
    fn a_file_is_never_written_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, "keep").unwrap();
        let link = dir.path().join(VARS);
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(write_not_through_a_link(&link, "new").is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        let plain = dir.path().join(DEVIATIONS);
        write_not_through_a_link(&plain, "new").unwrap();
        write_not_through_a_link(&plain, "x").unwrap();
        assert_eq!(std::fs::read_to_string(&plain).unwrap(), "x");
    }

    #[test]
    fn the_workflow_names_dir_from_the_repository_root() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join(".git")).unwrap();
        let dir = root.path().join("ops/../conformance");
        assert_eq!(path_from_repository_root(&dir), Path::new("conformance"));
        let outside = tempfile::tempdir().unwrap();
        let dir = outside.path().join("x");
        assert_eq!(path_from_repository_root(&dir), dir);
    }
}
