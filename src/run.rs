//! The `run` command: load everything, plan every case, hand the plan to the
//! [`Executor`](crate::execute::Executor), and let libtest-mimic filter and print the results in
//! case-id order as they arrive (on a thread of its own, so that an interrupted run need not
//! wait for it); finally decide the gate and write every report from the same records.

use std::{
    collections::HashSet,
    io::Write as _,
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use libtest_mimic::{Arguments, ColorSetting, Completion, Failed, FormatSetting, Trial};
use tokio::sync::oneshot;

use crate::{
    case::{Case, Catalogue},
    deviations::Deviations,
    error::{EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, Error, Problem, is_broken_pipe},
    execute::{self, Executor, Job, Limiter, Policy},
    plan::{self, Prepared, Target},
    record::{Record, Verdict},
    redact::Redactor,
    reference,
    report::{
        self, GatePolicy, NoTests, RunInfo, Tally, github, json, junit,
        terminal::{self, Styles},
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
    /// What besides failures fails the gate.
    pub gate: GatePolicy,
    /// Environment variables to read `AUTHCONFORM_VAR_*` / `AUTHCONFORM_SECRET_*` from.
    pub env: Vec<(String, String)>,
}

impl RunOptions {
    fn sources(&self) -> vars::Sources<'_> {
        vars::Sources {
            file: self.vars_file.as_deref(),
            env: &self.env,
            vars: &self.vars,
            secrets: &self.secrets,
        }
    }
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
    // Watched from here on, so that no signal finds a report half prepared: from now on a
    // signal ends the run through the same path as its last case.
    let interrupted = execute::watch_signals(
        runtime.handle(),
        "abandoning the requests in flight and writing the reports",
    );

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
    vars.apply(&opts.sources(), vars::run_id)?;
    check_inputs(&catalogue.cases, &vars)?;

    let deviations = match &opts.deviations {
        Some(path) => Some(Arc::new(Deviations::load(path, &catalogue.cases)?)),
        None => None,
    };
    let today = crate::deviations::today();
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

    // Created after every other check, so that a usage error leaves an earlier report alone,
    // and before anything is sent, so that an unwritable folder is still a usage error. Each
    // report is written to a temporary file beside its path and renamed over it at the end:
    // a run killed at any moment leaves the previous complete report or the new one.
    let mut outputs = Vec::new();
    if !opts.list {
        for (kind, path) in [
            (Output::Junit, &opts.junit),
            (Output::Json, &opts.report_json),
            (Output::StepSummary, &opts.step_summary),
        ] {
            if let Some(path) = path {
                outputs.push((kind, Pending::create(path, kind == Output::StepSummary)?));
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
    let mut jobs = Vec::new();
    let mut trials = Vec::new();
    for (case, plan) in planned {
        let (slot, arrival) = oneshot::channel();
        trials.push(trial(
            Record::blank(&case),
            arrival,
            styles,
            opts.gate.fail_on_skip,
        ));
        jobs.push(Job { case, plan, slot });
    }
    if opts.list {
        let _ = libtest_mimic::run(&args, trials);
        return Ok(EXIT_OK);
    }
    let selected: HashSet<String> = trials
        .iter()
        .filter(|t| !args.is_filtered_out(t))
        .map(|t| t.name().to_owned())
        .collect();
    jobs.retain(|job| selected.contains(job.case.id.as_str()));
    // When nothing will be sent and that fails the gate, libtest is not asked to print: it
    // would close with "test result: ok" above a failed gate.
    let nothing_to_send = jobs
        .iter()
        .all(|j| matches!(j.plan, Err(plan::NotSent::Skip(_))));
    let printer = (!(nothing_to_send && opts.gate.no_tests == NoTests::Fail)).then(|| {
        std::thread::spawn(move || {
            // libtest-mimic's printer panics when standard output is a closed pipe; the
            // executor goes on regardless, and the reports are written for every case.
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                libtest_mimic::run(&args, trials)
            })) {
                Ok(conclusion) => conclusion.has_failed(),
                Err(payload) if is_broken_pipe(payload.as_ref()) => false,
                Err(payload) => std::panic::resume_unwind(payload),
            }
        })
    });

    let executor = Arc::new(Executor {
        sender,
        limiter: opts.policy.rate.map(Limiter::new),
        policy: opts.policy.clone(),
        redactor: redactor.clone(),
        interrupted: interrupted.clone(),
        deviations: deviations.clone().map(|d| (d, today.clone())),
    });
    let records = runtime.block_on(executor.run(jobs));
    let signal = *interrupted.borrow();
    // An interrupted run does not wait for libtest: its printer is left parked on the first
    // case that did not run, so that it prints no verdict for it and no closing line; the
    // process ends without it.
    let libtest_failed = match (signal, printer) {
        (None, Some(printer)) => printer.join().unwrap_or(true),
        _ => false,
    };

    let tally = Tally::of(&records);
    let gate = report::gate(&tally, opts.gate, signal);
    let missing = report::missing_variables(&records, |name| {
        vars::looks_secret(name)
            || reference::variables()
                .iter()
                .any(|(n, _, secret)| *n == name && *secret)
    });
    let info = RunInfo {
        target: &target_label,
        cases: &opts.cases.describe(),
        schemas: &opts.schemas.describe(),
        elapsed: started.elapsed(),
        deviations: deviations.as_ref().map(|d| d.file.as_str()),
        interrupted: signal,
        tally,
        gate: &gate,
        missing: &missing,
    };

    let mut lines = String::new();
    if signal.is_some() {
        lines.push('\n');
    }
    let notes = terminal::notes(&records, &info, &styles);
    if !notes.is_empty() {
        lines.push_str(&format!("\n{notes}"));
    }
    let mut report_failed = false;
    for (kind, output) in outputs {
        let text = match kind {
            Output::Junit => junit::render(&records, &info),
            Output::Json => json::render(&records, &info),
            Output::StepSummary => github::summary(&records, &info),
        };
        let shown = output.path.display().to_string();
        match output.commit(&text) {
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
    lines.push_str(&terminal::summary(&info, opts.gate.no_tests, &styles));
    // With --format json, standard output is libtest's JSON lines only.
    if opts.format == FormatSetting::Json {
        let _ = write!(anstream::stderr(), "{lines}");
    } else {
        let _ = write!(anstream::stdout(), "{lines}");
    }
    // Nothing may hold the process back now: not a DNS lookup in flight, not a parked printer.
    runtime.shutdown_background();
    Ok(if signal.is_some() {
        EXIT_INTERRUPTED
    } else if info.ok() && !libtest_failed && !report_failed {
        EXIT_OK
    } else {
        EXIT_FAILED
    })
}

/// What `run` and `lint` both refuse in a catalogue and the run's variables, so that they
/// refuse exactly the same: a variable a case uses that is neither documented nor set (a typo
/// would skip its case forever), and a variable set that no case uses and no documentation
/// names (a typo would set nothing).
pub fn check_inputs(cases: &[Case], vars: &Vars) -> Result<(), Error> {
    let documented = documented_variables();
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
    let known: Vec<&str> = documented
        .iter()
        .copied()
        .chain(
            cases
                .iter()
                .flat_map(|c| c.variables.keys().map(String::as_str)),
        )
        .collect();
    let unknown = vars.unknown(&known);
    if !problems.is_empty() {
        return Err(Error::Load(problems));
    }
    if !unknown.is_empty() {
        return Err(Error::Usage(unknown.join("\n")));
    }
    Ok(())
}

/// The variables the catalogue documents (the reference server provides each), and `run_id`.
pub fn documented_variables() -> Vec<&'static str> {
    reference::variables()
        .into_iter()
        .map(|(name, _, _)| name)
        .chain(["run_id"])
        .collect()
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

/// A report file, prepared before anything is sent so that a bad path is a usage error.
struct Pending {
    path: PathBuf,
    how: Write,
}

enum Write {
    /// A temporary file in the report's folder, renamed over the report once complete.
    Replace {
        temp: tempfile::NamedTempFile,
        /// The report's real path (a link followed), which the rename replaces.
        real: PathBuf,
    },
    /// Written in place: GitHub's step summary is appended to (it belongs to every step of
    /// the job), and a path that is not a regular file (`/dev/stdout`, a pipe) is no file to
    /// replace.
    InPlace(std::fs::File),
}

impl Pending {
    fn create(path: &std::path::Path, append: bool) -> Result<Pending, Error> {
        let failed = |source| Error::Write {
            path: path.display().to_string(),
            source,
        };
        let existing = std::fs::metadata(path).ok();
        if existing.as_ref().is_some_and(std::fs::Metadata::is_dir) {
            return Err(failed(std::io::Error::new(
                std::io::ErrorKind::IsADirectory,
                "it is a folder",
            )));
        }
        let how = if append || existing.as_ref().is_some_and(|m| !m.is_file()) {
            Write::InPlace(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(append)
                    .write(true)
                    .open(path)
                    .map_err(failed)?,
            )
        } else {
            let real = match existing {
                Some(_) => std::fs::canonicalize(path).map_err(failed)?,
                None => path.to_owned(),
            };
            let folder = match real.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
                _ => PathBuf::from("."),
            };
            let temp = tempfile::Builder::new()
                .prefix(".authconform-")
                .suffix(".tmp")
                .tempfile_in(folder)
                .map_err(failed)?;
            Write::Replace { temp, real }
        };
        Ok(Pending {
            path: path.to_owned(),
            how,
        })
    }

    fn commit(self, text: &str) -> Result<(), Error> {
        let failed = |source| Error::Write {
            path: self.path.display().to_string(),
            source,
        };
        match self.how {
            Write::InPlace(mut file) => file.write_all(text.as_bytes()).map_err(failed),
            Write::Replace { mut temp, real } => {
                temp.write_all(text.as_bytes()).map_err(failed)?;
                temp.as_file().sync_all().map_err(failed)?;
                // A report is for others to read (it holds no secret): not the 0600 of a
                // temporary file, but what the report it replaces had, or 0644.
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    let mode = std::fs::metadata(&real)
                        .map(|m| m.permissions().mode())
                        .unwrap_or(0o644);
                    std::fs::set_permissions(temp.path(), std::fs::Permissions::from_mode(mode))
                        .map_err(failed)?;
                }
                temp.persist(&real).map_err(|e| failed(e.error))?;
                Ok(())
            }
        }
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
/// outcome.
fn trial(
    blank: Record,
    arrival: oneshot::Receiver<Record>,
    styles: Styles,
    fail_on_skip: bool,
) -> Trial {
    Trial::ignorable_test(blank.id.clone(), move || {
        let record = match arrival.blocking_recv() {
            Ok(record) => record,
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
            Verdict::Skip { reason, .. } if fail_on_skip => Err(Failed::from(format!(
                "{reason}; --fail-on-skip makes a skip fail the run"
            ))),
            Verdict::Skip { reason, .. } => Ok(Completion::ignored_with(reason)),
            Verdict::Fail | Verdict::Error { .. } => {
                Err(Failed::from(terminal::detail(&record, &styles)))
            }
            // The run was interrupted: the main thread writes the reports and ends the process;
            // this printer must say nothing more (no verdict, no "test result" line).
            Verdict::NotRun => loop {
                std::thread::park();
            },
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
