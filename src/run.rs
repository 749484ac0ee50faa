//! The `run` command: load everything, plan every case, hand the plan to the
//! [`Executor`](crate::execute::Executor), and let libtest-mimic filter and print the results in
//! case-id order as they arrive; finally write the reports from the records.

use std::{
    collections::HashSet,
    io::Write,
    path::PathBuf,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use libtest_mimic::{Arguments, ColorSetting, Completion, Failed, FormatSetting, Trial};
use tokio::sync::{oneshot, watch};

use crate::{
    case::{Case, Catalogue},
    deviations::Deviations,
    error::{EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, Error, Problem, is_broken_pipe},
    execute::{Executor, Job, Limiter, Policy},
    plan::{self, Prepared, Target},
    record::{Record, Verdict},
    redact::Redactor,
    reference,
    report::{
        RunInfo, github, json, junit,
        terminal::{self, Styles, Tally},
    },
    send::{Sender, Tls},
    source::Source,
    vars::{self, Vars},
};

/// Everything `run` was asked to do, already parsed (but not yet checked against the world).
pub struct RunOptions {
    pub target: Option<String>,
    pub cases: Source,
    pub schemas: Source,
    pub vars: Vec<String>,
    pub secrets: Vec<String>,
    pub vars_file: Option<String>,
    pub junit: Option<PathBuf>,
    /// Where to write the JSON report.
    pub report_json: Option<PathBuf>,
    /// Where to append GitHub's Markdown step summary.
    pub step_summary: Option<PathBuf>,
    /// Print GitHub workflow commands for failures and warnings.
    pub annotations: bool,
    /// The known-deviations file.
    pub deviations: Option<String>,
    pub timeout: Duration,
    /// How HTTPS targets are verified.
    pub tls: Tls,
    /// Concurrency, rate, retries and waits.
    pub policy: Policy,
    pub filter: Option<String>,
    pub exact: bool,
    pub skip: Vec<String>,
    pub list: bool,
    pub format: FormatSetting,
    pub color: ColorSetting,
    /// Environment variables to read `AUTHCONFORM_VAR_*` / `AUTHCONFORM_SECRET_*` from.
    pub env: Vec<(String, String)>,
}

/// Runs the suite and returns the exit code: [`EXIT_OK`], [`EXIT_FAILED`] or
/// [`EXIT_INTERRUPTED`].
pub fn run(opts: RunOptions) -> Result<u8, Error> {
    // An error can quote what it was given; the secrets known before the variables are even
    // assembled (flags and environment) are masked in it, as in every other output.
    let flag_secrets = opts
        .secrets
        .iter()
        .filter_map(|s| s.split_once('=').map(|(_, v)| v.to_owned()));
    let env_secrets = opts
        .env
        .iter()
        .filter(|(k, _)| k.starts_with(vars::ENV_SECRET_PREFIX))
        .map(|(_, v)| v.clone());
    let secrets: Vec<String> = flag_secrets.chain(env_secrets).collect();
    let redactor = Redactor::new(secrets.iter().map(String::as_str));
    run_checked(opts).map_err(|e| match e {
        Error::Load(problems) => Error::Load(
            problems
                .into_iter()
                .map(|p| Problem {
                    message: redactor.redact(&p.message),
                    ..p
                })
                .collect(),
        ),
        other => Error::Usage(redactor.redact(&other.to_string())),
    })
}

fn run_checked(opts: RunOptions) -> Result<u8, Error> {
    let started = Instant::now();
    let catalogue = Catalogue::load(&opts.cases, &opts.schemas)?;
    let runtime = runtime()?;

    let mut vars = Vars::default();
    let (target, _server, target_label) = match &opts.target {
        Some(url) => {
            let target = Target::parse(url)?;
            let label = target.base.to_string();
            (target, None, label)
        }
        None if opts.list => (
            Target::parse("http://127.0.0.1/").expect("a valid URL"),
            None,
            "(none: --list)".to_owned(),
        ),
        None => {
            let server = runtime
                .block_on(reference::spawn(reference::Config::default()))
                .map_err(|source| Error::Start {
                    what: "the built-in reference server",
                    source,
                })?;
            let url = server.url();
            for (name, value, secret) in server.variables() {
                vars.set(name, value, secret);
            }
            eprintln!(
                "authconform: no --target given: testing the built-in reference server at {url}"
            );
            (
                Target::parse(&url)?,
                Some(server),
                format!("{url} (built-in reference server)"),
            )
        }
    };
    let sources = vars::Sources {
        file: opts.vars_file.as_deref(),
        env: &opts.env,
        vars: &opts.vars,
        secrets: &opts.secrets,
    };
    vars.apply(&sources, vars::run_id)?;

    let deviations = match &opts.deviations {
        Some(path) => Some(Arc::new(Deviations::load(path, &catalogue.cases)?)),
        None => None,
    };
    let today = crate::deviations::today();
    if !opts.list {
        undefined_variables(&catalogue.cases, &vars)?;
    }
    let planned: Vec<(Case, Result<Prepared, plan::NotSent>)> = catalogue
        .cases
        .into_iter()
        .map(|case| {
            let plan = plan::prepare(&case, &vars, &target);
            (case, plan)
        })
        .collect();
    let redactor = Arc::new(Redactor::for_run(
        &vars,
        planned.iter().filter_map(|(_, plan)| plan.as_ref().ok()),
    ));
    let sender =
        Sender::new(opts.timeout, is_loopback(&target), &opts.tls).map_err(Error::Usage)?;
    let target_label = if opts.tls.insecure {
        eprintln!(
            "authconform: warning: TLS certificates and host names are not verified (--insecure)"
        );
        format!("{target_label} (TLS not verified: --insecure)")
    } else {
        target_label
    };

    // Opened after every other check, so that a usage error leaves an earlier report alone,
    // and before anything is sent, so that an unwritable path is still a usage error.
    let mut outputs = Vec::new();
    if !opts.list {
        for (kind, path, append) in [
            (Output::Junit, &opts.junit, false),
            (Output::Json, &opts.report_json, false),
            (Output::StepSummary, &opts.step_summary, true),
        ] {
            if let Some(path) = path {
                outputs.push((kind, OpenFile::create(path, append)?));
            }
        }
    }
    // Colour only for a terminal, and never inside JSON lines, where escapes would survive as
    // text.
    let colour = match opts.color {
        _ if opts.format == FormatSetting::Json => false,
        ColorSetting::Always => true,
        ColorSetting::Never => false,
        ColorSetting::Auto => std::io::IsTerminal::is_terminal(&std::io::stdout()),
    };
    let styles = if colour {
        Styles::colored()
    } else {
        Styles::plain()
    };
    let (stop, interrupted) = watch::channel(false);
    runtime.spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = stop.send(true);
            eprintln!(
                "\nauthconform: interrupted: finishing the report (Ctrl-C again quits at once)"
            );
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
        }
    });

    let args = Arguments {
        filter: opts.filter.clone(),
        exact: opts.exact,
        skip: opts.skip.clone(),
        list: opts.list,
        // The executor runs the cases concurrently; libtest only prints, one case after the
        // other in id order, each as soon as its record arrives.
        test_threads: Some(1),
        format: Some(opts.format),
        color: Some(opts.color),
        ..Arguments::default()
    };
    let records: Arc<Mutex<Vec<Record>>> = Arc::default();
    let mut jobs = Vec::new();
    let mut trials = Vec::new();
    for (case, plan) in planned {
        let (slot, arrival) = oneshot::channel();
        trials.push(trial(Record::blank(&case), arrival, styles));
        jobs.push(Job { case, plan, slot });
    }
    let selected: HashSet<&str> = trials
        .iter()
        .filter(|t| !args.is_filtered_out(t))
        .map(Trial::name)
        .collect();
    jobs.retain(|job| selected.contains(job.case.id.as_str()));
    let executing = (!opts.list).then(|| {
        let executor = Arc::new(Executor {
            sender,
            limiter: opts.policy.rate.map(Limiter::new),
            policy: opts.policy.clone(),
            redactor: redactor.clone(),
            interrupted: interrupted.clone(),
            deviations: deviations.clone().map(|d| (d, today.clone())),
            records: records.clone(),
        });
        runtime.spawn(executor.run(jobs))
    });

    // libtest-mimic's printer panics when standard output is a closed pipe; the executor goes
    // on regardless, and the reports below are written for every case.
    let libtest_failed = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        libtest_mimic::run(&args, trials)
    })) {
        Ok(conclusion) => conclusion.has_failed(),
        Err(payload) if is_broken_pipe(payload.as_ref()) => false,
        Err(payload) => std::panic::resume_unwind(payload),
    };
    let Some(executing) = executing else {
        return Ok(EXIT_OK);
    };
    let _ = runtime.block_on(executing);
    let was_interrupted = *interrupted.borrow();
    let mut records = std::mem::take(&mut *records.lock().unwrap_or_else(|e| e.into_inner()));
    records.sort_by(|a, b| a.id.cmp(&b.id));
    let findings = match &deviations {
        Some(d) if !was_interrupted => d.audit(&records, &today),
        _ => Vec::new(),
    };
    let tally = Tally::of(&records, &findings);
    let info = RunInfo {
        target: &target_label,
        cases: &opts.cases.describe(),
        schemas: &opts.schemas.describe(),
        elapsed: started.elapsed(),
        deviations: deviations.as_ref().map(|d| d.file.as_str()),
        findings: &findings,
        tally,
    };

    let mut lines = String::new();
    let notes = terminal::notes(&records, &styles);
    if !notes.is_empty() {
        lines.push_str(&format!("\n{notes}"));
    }
    if let Some(file) = info.deviations {
        lines.push_str(&terminal::findings(&findings, file, &styles));
    }
    lines.push_str(&format!(
        "{}; target {target_label}\n",
        terminal::summary(&tally, &styles)
    ));
    if was_interrupted {
        lines.push_str(&format!(
            "authconform: interrupted: {} cases finished; the rest were not run\n",
            records.len()
        ));
    }
    let mut report_failed = false;
    for (kind, output) in outputs {
        let text = match kind {
            Output::Junit => junit::render(&records, &info),
            Output::Json => json::render(&records, &info),
            Output::StepSummary => github::summary(&records, &info),
        };
        // Every report is built from redacted records; this is the last guard.
        let shown = output.path.display().to_string();
        match output.write(&redactor.redact(&text)) {
            // The requests were sent, so this is not a usage error: the run fails, and the
            // other reports are still written.
            Err(e) => {
                anstream::eprintln!("authconform: error: {e}");
                report_failed = true;
            }
            Ok(()) if kind != Output::StepSummary => lines.push_str(&format!(
                "authconform: {} report written to {shown}\n",
                kind.name()
            )),
            Ok(()) => {}
        }
    }
    if opts.annotations {
        lines.push_str(&github::annotations(&records, &info));
    }
    let lines = redactor.redact(&lines);
    // With --format json, standard output is libtest's JSON lines only.
    if opts.format == FormatSetting::Json {
        let _ = write!(anstream::stderr(), "{lines}");
    } else {
        let _ = write!(anstream::stdout(), "{lines}");
    }
    Ok(if was_interrupted {
        EXIT_INTERRUPTED
    } else if tally.ok() && !libtest_failed && !report_failed {
        EXIT_OK
    } else {
        EXIT_FAILED
    })
}

/// The report files a run writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Output {
    Junit,
    Json,
    /// GitHub's `$GITHUB_STEP_SUMMARY` (appended to, as GitHub expects).
    StepSummary,
}

impl Output {
    fn name(self) -> &'static str {
        match self {
            Output::Junit => "JUnit",
            Output::Json => "JSON",
            Output::StepSummary => "step summary",
        }
    }
}

/// A report file, opened before anything is sent so that a bad path is a usage error.
struct OpenFile {
    path: PathBuf,
    file: std::fs::File,
}

impl OpenFile {
    fn create(path: &std::path::Path, append: bool) -> Result<OpenFile, Error> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(path)
            .map_err(|source| Error::Write {
                path: path.display().to_string(),
                source,
            })?;
        Ok(OpenFile {
            path: path.to_owned(),
            file,
        })
    }

    fn write(mut self, text: &str) -> Result<(), Error> {
        self.file
            .write_all(text.as_bytes())
            .map_err(|source| Error::Write {
                path: self.path.display().to_string(),
                source,
            })
    }
}

/// The async runtime of a command. Built by hand, not with #[tokio::main]: libtest-mimic must
/// run outside any runtime.
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|source| Error::Start {
            what: "the async runtime",
            source,
        })
}

/// The libtest-mimic trial of one case: it waits for the case's record and tells libtest the
/// outcome (the executor keeps the record for the reports).
fn trial(blank: Record, arrival: oneshot::Receiver<Option<Record>>, styles: Styles) -> Trial {
    Trial::ignorable_test(blank.id.clone(), move || {
        let record = match arrival.blocking_recv() {
            Ok(Some(record)) => record,
            // An interrupted case did not finish: it has no verdict and no record.
            Ok(None) => return Ok(Completion::ignored_with("not run: interrupted")),
            Err(_) => Record {
                verdict: Verdict::Error {
                    message: "internal error: the case ended without a result".into(),
                },
                ..blank
            },
        };
        match &record.verdict {
            Verdict::Pass => Ok(Completion::Completed),
            Verdict::KnownDeviation { reasons } => Ok(Completion::ignored_with(format!(
                "known deviation: {}",
                reasons.join("; ")
            ))),
            Verdict::Skip { reason } => Ok(Completion::ignored_with(reason)),
            Verdict::Fail | Verdict::Error { .. } => {
                Err(Failed::from(terminal::detail(&record, &styles)))
            }
        }
    })
}

/// Whether the target is on this machine, where proxies must not interfere.
fn is_loopback(target: &Target) -> bool {
    match target.base.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// A variable that the run does not set is a skip when it is one of the catalogue's documented
/// variables (the target may not offer that feature), but a mistake when it is not: a typo
/// would otherwise skip its case forever, silently.
fn undefined_variables(cases: &[Case], vars: &Vars) -> Result<(), Error> {
    let documented: Vec<&str> = reference::variables()
        .into_iter()
        .map(|(name, _, _)| name)
        .chain(["run_id"])
        .collect();
    let mut problems = Vec::new();
    for case in cases {
        for (name, site) in case
            .variables
            .iter()
            .filter(|(n, _)| vars.get(n).is_none() && !documented.contains(&n.as_str()))
        {
            let hint = match crate::schema::closest(name, &documented) {
                Some(close) => format!(" (did you mean `{close}`?)"),
                None => String::new(),
            };
            problems.push(Problem {
                file: case.file.clone(),
                position: site.position,
                pointer: site.pointer.clone(),
                message: format!(
                    "undefined variable `{name}`{hint}: it is not one of the catalogue's variables and this run does not set it (--var {name}=VALUE)"
                ),
            });
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Load(problems))
    }
}
