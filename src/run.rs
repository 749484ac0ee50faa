//! The `run` command: load everything, plan every case, then let libtest-mimic schedule,
//! filter and print them while each trial sends its request, judges the response and records
//! the result; finally write the reports from the records.

use std::{
    collections::HashSet,
    io::Write,
    path::PathBuf,
    sync::{Arc, Condvar, Mutex},
    time::{Duration, Instant},
};

use libtest_mimic::{Arguments, ColorSetting, Completion, Failed, FormatSetting, Trial};
use tokio::sync::watch;

use crate::{
    case::{Case, Catalogue},
    check,
    error::{EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, Error, Problem, is_broken_pipe},
    plan::{self, NotSent, Prepared, Target},
    record::{Record, RequestSummary, ResponseSummary, Verdict},
    redact::Redactor,
    reference,
    report::{
        junit,
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
    pub jobs: usize,
    pub timeout: Duration,
    /// How HTTPS targets are verified.
    pub tls: Tls,
    pub filter: Option<String>,
    pub exact: bool,
    pub skip: Vec<String>,
    pub list: bool,
    pub format: FormatSetting,
    pub color: ColorSetting,
    /// Environment variables to read `AUTHCONFORM_VAR_*` / `AUTHCONFORM_SECRET_*` from.
    pub env: Vec<(String, String)>,
}

/// A case with its request filled in, or why it will not be sent.
struct Planned {
    case: Case,
    plan: Result<Prepared, NotSent>,
}

/// Makes `repeat` cases wait until every other case has finished, then run one at a time: what
/// they exhaust (a rate limit) must not disturb anything else.
#[derive(Default)]
struct Gate {
    others_left: Mutex<usize>,
    others_done: Condvar,
    one_at_a_time: Mutex<()>,
}

impl Gate {
    fn finish_other(&self) {
        let mut left = self.others_left.lock().unwrap_or_else(|e| e.into_inner());
        *left = left.saturating_sub(1);
        self.others_done.notify_all();
    }

    fn wait_for_others(&self) {
        let mut left = self.others_left.lock().unwrap_or_else(|e| e.into_inner());
        while *left > 0 {
            left = self
                .others_done
                .wait(left)
                .unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// Counts a non-repeat case as finished even if its trial panics.
struct FinishGuard<'a>(&'a Gate);

impl Drop for FinishGuard<'_> {
    fn drop(&mut self) {
        self.0.finish_other();
    }
}

/// Runs the suite and returns the exit code: [`EXIT_OK`] or [`EXIT_FAILED`].
pub fn run(opts: RunOptions) -> Result<u8, Error> {
    let started = Instant::now();
    let catalogue = Catalogue::load(&opts.cases, &opts.schemas)?;
    let runtime = Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|source| Error::Start {
                what: "the async runtime",
                source,
            })?,
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
    if let Some(file) = &opts.vars_file {
        vars.read_file(file)?;
    }
    vars.read_env(opts.env.iter().cloned())?;
    vars.read_flags(&opts.vars, false)?;
    vars.read_flags(&opts.secrets, true)?;
    if vars.get("run_id").is_none() {
        vars.set("run_id", vars::run_id(), false);
    }

    // Opened now so that an unwritable path is a usage error before anything is sent.
    let junit_file = match &opts.junit {
        Some(path) if !opts.list => Some((
            path.clone(),
            std::fs::File::create(path).map_err(|source| Error::Write {
                path: path.display().to_string(),
                source,
            })?,
        )),
        _ => None,
    };

    if !opts.list {
        undefined_variables(&catalogue.cases, &vars)?;
    }
    let planned: Vec<Planned> = catalogue
        .cases
        .into_iter()
        .map(|case| {
            let plan = plan::prepare(&case, &vars, &target);
            Planned { case, plan }
        })
        .collect();
    let mut redactor = Redactor::new(vars.secrets());
    for p in &planned {
        if let Ok(Prepared {
            basic_auth: Some((user, password)),
            ..
        }) = &p.plan
        {
            let secret_in = |s: &str| {
                vars.secrets()
                    .any(|secret| !secret.is_empty() && s.contains(secret))
            };
            if secret_in(user) || secret_in(password) {
                redactor.add_basic(user, password);
            }
        }
    }
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

    let styles = if opts.color == ColorSetting::Never {
        Styles::plain()
    } else {
        Styles::colored()
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
    let shared = Arc::new(Shared {
        runtime: runtime.clone(),
        sender,
        redactor,
        records: Mutex::default(),
        gate: Gate::default(),
        styles,
        interrupted,
    });
    let args = Arguments {
        filter: opts.filter.clone(),
        exact: opts.exact,
        skip: opts.skip.clone(),
        list: opts.list,
        test_threads: Some(opts.jobs.max(1)),
        format: Some(opts.format),
        color: Some(opts.color),
        ..Arguments::default()
    };

    // Repeat cases go last: workers take trials in order, so by the time one reaches a repeat
    // case every other case has at least started, and the gate waits for them to end.
    let (mut ordered, repeats): (Vec<Planned>, Vec<Planned>) =
        planned.into_iter().partition(|p| p.case.repeat.is_none());
    let repeat_ids: HashSet<String> = repeats.iter().map(|p| p.case.id.clone()).collect();
    ordered.extend(repeats);
    let trials: Vec<Trial> = ordered.into_iter().map(|p| trial(p, &shared)).collect();
    *shared
        .gate
        .others_left
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = trials
        .iter()
        .filter(|t| !args.is_filtered_out(t) && !repeat_ids.contains(t.name()))
        .count();
    // libtest-mimic's printer panics when standard output is a closed pipe; the cases still run
    // to the end (its workers finish), and the reports below are still written.
    let libtest_failed = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        libtest_mimic::run(&args, trials)
    })) {
        Ok(conclusion) => conclusion.has_failed(),
        Err(payload) if is_broken_pipe(payload.as_ref()) => false,
        Err(payload) => std::panic::resume_unwind(payload),
    };
    let interrupted = *shared.interrupted.borrow();

    if opts.list {
        return Ok(EXIT_OK);
    }
    let mut records =
        std::mem::take(&mut *shared.records.lock().unwrap_or_else(|e| e.into_inner()));
    records.sort_by(|a, b| a.id.cmp(&b.id));
    let tally = Tally::of(&records);

    let to_stdout = opts.format != FormatSetting::Json;
    let warnings = terminal::warnings(&records, &shared.styles);
    let summary = terminal::summary(&tally, &shared.styles);
    let mut lines = String::new();
    if !warnings.is_empty() {
        lines.push_str(&format!("\n{warnings}"));
    }
    lines.push_str(&format!("{summary}; target {target_label}\n"));
    if interrupted {
        lines.push_str(&format!(
            "authconform: interrupted: {} cases finished; the rest were not run\n",
            records.len()
        ));
    }
    if let Some((path, mut file)) = junit_file {
        let xml = junit::render(
            &records,
            &junit::RunInfo {
                target: &target_label,
                cases: &opts.cases.describe(),
                schemas: &opts.schemas.describe(),
                elapsed: started.elapsed(),
            },
        );
        file.write_all(xml.as_bytes())
            .map_err(|source| Error::Write {
                path: path.display().to_string(),
                source,
            })?;
        lines.push_str(&format!(
            "authconform: JUnit report written to {}\n",
            path.display()
        ));
    }
    let lines = shared.redactor.redact(&lines);
    if to_stdout {
        let _ = write!(anstream::stdout(), "{lines}");
    } else {
        let _ = write!(anstream::stderr(), "{lines}");
    }
    // A trial that panicked left no record; libtest's own count still says it failed.
    Ok(if interrupted {
        EXIT_INTERRUPTED
    } else if tally.ok() && !libtest_failed {
        EXIT_OK
    } else {
        EXIT_FAILED
    })
}

/// What every trial shares.
struct Shared {
    runtime: Arc<tokio::runtime::Runtime>,
    sender: Sender,
    redactor: Redactor,
    records: Mutex<Vec<Record>>,
    gate: Gate,
    styles: Styles,
    /// Turns true on Ctrl-C.
    interrupted: watch::Receiver<bool>,
}

/// The libtest-mimic trial of one case: it records its result and tells libtest the outcome.
fn trial(p: Planned, shared: &Arc<Shared>) -> Trial {
    let shared = shared.clone();
    Trial::ignorable_test(p.case.id.clone(), move || {
        let is_repeat = p.case.repeat.is_some();
        let _finished = (!is_repeat).then(|| FinishGuard(&shared.gate));
        let _serial = is_repeat.then(|| {
            shared.gate.wait_for_others();
            shared
                .gate
                .one_at_a_time
                .lock()
                .unwrap_or_else(|e| e.into_inner())
        });
        let mut stop = shared.interrupted.clone();
        let judged = shared.runtime.block_on(async {
            if *stop.borrow() {
                return None;
            }
            tokio::select! {
                record = judge(&p.case, &p.plan, &shared.sender) => Some(record),
                _ = stop.wait_for(|interrupted| *interrupted) => None,
            }
        });
        // An interrupted case did not finish: it has no verdict and no record.
        let Some(record) = judged else {
            return Ok(Completion::ignored_with("not run: interrupted"));
        };
        let record = record.redact(&shared.redactor);
        let outcome = match &record.verdict {
            Verdict::Pass => Ok(Completion::Completed),
            Verdict::Skip { reason } => Ok(Completion::ignored_with(reason)),
            Verdict::Fail | Verdict::Error { .. } => {
                Err(Failed::from(terminal::detail(&record, &shared.styles)))
            }
        };
        shared
            .records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(record);
        outcome
    })
}

/// Sends the case's request (repeatedly, for `repeat` cases) and judges the response.
async fn judge(case: &Case, plan: &Result<Prepared, NotSent>, sender: &Sender) -> Record {
    let started = Instant::now();
    let mut record = Record {
        id: case.id.clone(),
        group: case.group.clone(),
        file: case.file.clone(),
        title: case.title.clone(),
        documents: case.documents.clone(),
        verdict: Verdict::Pass,
        violations: Vec::new(),
        warnings: Vec::new(),
        request: None,
        response: None,
        attempts: 0,
        elapsed: Duration::ZERO,
    };
    let request = match plan {
        Ok(request) => request,
        Err(NotSent::Skip(reason)) => {
            record.verdict = Verdict::Skip {
                reason: reason.clone(),
            };
            return record;
        }
        Err(NotSent::Invalid(message)) => {
            record.verdict = Verdict::Error {
                message: message.clone(),
            };
            return record;
        }
    };
    record.request = Some(RequestSummary {
        method: request.method.to_string(),
        url: request.url.to_string(),
        curl: request.curl(),
    });
    let expected: &[u16] = case
        .checks
        .iter()
        .find_map(|c| match c {
            check::Check::Status(allowed) => Some(allowed.as_slice()),
            _ => None,
        })
        .unwrap_or(&[]);
    let max = case.repeat.unwrap_or(1);
    let response = loop {
        record.attempts += 1;
        match sender.send(request).await {
            Err(message) => {
                record.verdict = Verdict::Error { message };
                record.elapsed = started.elapsed();
                return record;
            }
            Ok(response) if record.attempts < max && !expected.contains(&response.status) => {
                continue;
            }
            Ok(response) => break response,
        }
    };
    record.violations = check::evaluate(&case.checks, &response);
    record.warnings = check::evaluate(&case.advice, &response);
    let checked: Vec<&str> = case
        .checks
        .iter()
        .chain(&case.advice)
        .filter_map(check::Check::header_name)
        .collect();
    record.response = Some(ResponseSummary::of(&response, &checked));
    if !record.violations.is_empty() {
        record.verdict = Verdict::Fail;
    }
    record.elapsed = started.elapsed();
    record
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
