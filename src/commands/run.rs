//! The `run` command: load everything, plan every case, let libtest-mimic decide which cases
//! FILTER, `--exact` and `--skip` select, hand those to the [`Executor`](crate::execution::execute::Executor)
//! and fan its events out to the live reporters (libtest's lines, the progress line, the wait
//! notices); finally decide the gate, write every report from the same records, and close
//! libtest's output with the gate's word.

use std::{
    io::Write as _,
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use libtest_mimic::{Arguments, ColorSetting, FormatSetting};

use crate::{
    base::error::{EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, Error, Problem},
    base::redact::{Redactor, neutralise},
    base::source::Source,
    catalogue::case::{Case, Catalogue},
    catalogue::vars::{self, Variable, Vars},
    commands::session::Session,
    execution::event::{Event, Sink},
    execution::execute::{self, Executor, Job, Limiter, Policy, Stage},
    http::plan::{self, Prepared, Target},
    http::send::{Sender, Tls},
    records::deviations::Deviations,
    records::record::Record,
    reference,
    report::{
        self, GateFailure, GatePolicy, NoTests, RunInfo, Tally,
        file::{self, ReportFile},
        github, html, json, junit, notice,
        printer::{self, Printer},
        progress::Progress,
        terminal::{self, Styles},
    },
};

/// Everything `run` was asked to do, already parsed (but not yet checked against the world):
/// the session `run`, `lint` and `explain` share, and `run`'s own flags.
pub struct RunOptions {
    /// The profile, cases, schemas, variables given, environment and colour.
    pub session: Session,
    pub target: Option<String>,
    pub junit: Option<PathBuf>,
    /// Where to write the HTML report.
    pub report_html: Option<PathBuf>,
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
    /// What besides failures fails the gate.
    pub gate: GatePolicy,
    /// Origins besides the target's that endpoint variables may point at.
    pub allow_origins: Vec<String>,
    /// Read the endpoints from the target's discovery document.
    pub discover: bool,
}

/// Runs the suite and returns the exit code: [`EXIT_OK`], [`EXIT_FAILED`] or
/// [`EXIT_INTERRUPTED`].
pub fn run(opts: RunOptions) -> Result<u8, Error> {
    // An error can quote what it was given; the secrets known before the variables are even
    // assembled (flags and environment) are masked in it, as in every other output.
    let secrets = opts.session.early_secrets();
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
    // Watched from the first instruction: until the cases start, a signal ends the run at
    // once, whatever it is waiting for (a discovery document, a slow file), and the reports
    // say that nothing ran; from then on it ends the run through the same path as its last
    // case, so that no signal finds a report half prepared.
    let early = EarlyEnd::of(&opts, started);
    let stage = Stage::preparing(Box::new(move |signal| early.end(signal)));
    let interrupted = execute::watch_signals(
        "abandoning the requests in flight and writing the reports",
        stage.clone(),
    )?;
    let run = Resolved::new(&opts, interrupted)?;
    stage.running();
    let args = Arguments {
        filter: opts.filter.clone(),
        exact: opts.exact,
        skip: opts.skip.clone(),
        list: opts.list,
        format: Some(opts.format),
        color: Some(if opts.session.colour {
            ColorSetting::Always
        } else {
            ColorSetting::Never
        }),
        ..Arguments::default()
    };
    let ids = || run.planned.iter().map(|(case, _)| case.id.as_str());
    if opts.list {
        printer::list(ids(), &args);
        return Ok(EXIT_OK);
    }
    let selection = printer::select(ids(), &args);
    let jobs: Vec<Job> = run
        .planned
        .into_iter()
        .filter(|(case, _)| selection.selected.contains(case.id.as_str()))
        .map(|(case, plan)| Job { case, plan })
        .collect();
    let progress = (Progress::wanted() && opts.format != FormatSetting::Json).then(Progress::new);
    // When nothing will be sent and that fails the gate, libtest's lines are left out: they
    // would list nothing above a failed gate.
    let nothing_to_send = jobs.iter().all(|j| {
        matches!(
            j.plan,
            Err(plan::NotSent::Skip(_) | plan::NotSent::NotApplicable { .. })
        )
    });
    let printer = if nothing_to_send && opts.gate.no_tests == NoTests::Fail {
        Printer::silent()
    } else {
        Printer::start(
            &selection,
            opts.format,
            run.styles,
            opts.gate.fail_on_skip,
            progress.clone(),
        )
    };
    drop(selection);
    if let Some(progress) = &progress {
        progress.set_total(jobs.len());
        if printer.printing() {
            progress.start();
        }
    }
    let executor = Arc::new(Executor {
        sender: run.sender,
        limiter: opts.policy.rate.map(Limiter::new),
        policy: opts.policy.clone(),
        redactor: run.redactor.clone(),
        interrupted: run.interrupted.clone(),
        deviations: run
            .deviations
            .clone()
            .map(|d| (d, crate::records::deviations::today())),
    });
    let live = Arc::new(Live {
        printer: std::sync::Mutex::new(printer),
        progress,
        interrupted: std::sync::Mutex::new(None),
    });
    let records = run.runtime.block_on(executor.run(jobs, live.clone()));
    stage.finished();
    let signal = *lock(&live.interrupted);
    let mut printer = lock(&live.printer);
    let code = conclude(&opts, &run.about, &records, &mut printer, signal, started);
    // Nothing may hold the process back now: not a DNS lookup in flight.
    run.runtime.shutdown_background();
    Ok(code)
}

/// The live reporters of a run, that its events are fanned out to: the progress line,
/// libtest's lines, and the wait notices on standard error.
struct Live {
    printer: std::sync::Mutex<Printer>,
    progress: Option<Arc<Progress>>,
    /// The signal that cut the run short, once [`Event::Interrupted`] says so.
    interrupted: std::sync::Mutex<Option<&'static str>>,
}

impl Sink for Live {
    fn event(&self, event: Event<'_>) {
        if let Some(progress) = &self.progress {
            progress.event(&event);
        }
        match &event {
            Event::Waiting { id, wait, detail } => {
                let _hidden = self.progress.as_ref().map(|p| p.hide());
                let _ = writeln!(
                    anstream::stderr(),
                    "{}",
                    notice::waiting(id, wait.duration, *detail)
                );
            }
            Event::Interrupted { signal } => *lock(&self.interrupted) = Some(signal),
            // Told on the thread that awaits the run: a task never waits here on a standard
            // output that nobody reads.
            Event::Finished(_) => lock(&self.printer).event(&event),
            Event::Started { .. } | Event::RunFinished => {}
        }
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Everything a run needs, resolved from its options before anything is sent, so that every
/// mistake that is exit 2 surfaces here, in one place.
struct Resolved {
    runtime: tokio::runtime::Runtime,
    /// Names the signal that interrupted the run.
    interrupted: tokio::sync::watch::Receiver<Option<&'static str>>,
    /// The built-in reference server, when there is no --target; it lives as long as this.
    _server: Option<reference::Running>,
    planned: Vec<(Case, Result<Prepared, plan::NotSent>)>,
    redactor: Arc<Redactor>,
    sender: Sender,
    deviations: Option<Arc<Deviations>>,
    styles: Styles,
    about: About,
}

/// What the reports say about the run besides its records.
struct About {
    target: String,
    /// The `--target` URL (the built-in server's when none was given), for the hints.
    base: url::Url,
    /// What `--discover` found.
    discovered: Option<crate::http::discover::Discovered>,
    declared: Vec<Variable>,
    outputs: Vec<(Output, ReportFile)>,
    styles: Styles,
}

impl Resolved {
    fn new(
        opts: &RunOptions,
        interrupted: tokio::sync::watch::Receiver<Option<&'static str>>,
    ) -> Result<Resolved, Error> {
        let catalogue = opts.session.catalogue()?;
        // A small catalogue mostly waits on the network: one worker thread sends it about as
        // fast, and a second costs more CPU (its start, its wake-ups) than it saves.
        let runtime = runtime_sized(if catalogue.cases.len() <= SMALL_CATALOGUE {
            0
        } else {
            2
        })?;
        let allowed = plan::Allowed::parse(&opts.allow_origins)?;
        let mut vars = Vars::default();
        let (target, server, label) = target(opts, &runtime, &mut vars)?;
        let sender = Sender::new(
            opts.timeout,
            is_loopback(&target),
            &opts.tls,
            target.base.scheme() == "https" || !opts.allow_origins.is_empty(),
        )
        .map_err(Error::Usage)?;
        // Every input is judged before anything is sent, the discovery request included:
        // only what the server's document says is left to check after it.
        crate::commands::lint::inputs(&opts.session, &catalogue, &mut vars, vars::run_id)?;
        let outputs = outputs(opts)?;
        target.check_origins(&catalogue.cases, &vars, &allowed)?;
        let deviations = match &opts.deviations {
            Some(path) => Some(Arc::new(Deviations::load(path, &catalogue.cases)?)),
            None => None,
        };
        let discovered = if opts.discover {
            check_requests(&catalogue.cases, &vars, &target, &allowed)?;
            let found = runtime.block_on(crate::http::discover::discover(&target, &sender))?;
            let found = discovered(found, &catalogue, &mut vars);
            target.check_origins(&catalogue.cases, &vars, &allowed)?;
            Some(found)
        } else {
            None
        };
        vars.declare(&catalogue.variables);
        let planned: Vec<(Case, Result<Prepared, plan::NotSent>)> = catalogue
            .cases
            .into_iter()
            .map(|case| {
                let plan = plan::prepare(&case, &vars, &target);
                (case, plan)
            })
            .collect();
        for (case, plan) in &planned {
            if let Ok(request) = plan {
                target.check_request(&case.id, request, &allowed)?;
            }
        }
        let secrets: Vec<&str> = vars.secrets().collect();
        // Shown as they are: a secret inside one (`test` in `test-client`) is left whole. Not
        // what the server's discovery document said: the server knows the secret.
        let public = vars
            .iter()
            .filter(|(_, v)| !v.secret && !matches!(v.origin, vars::Origin::Discovery(_)))
            .map(|(_, v)| v.value.as_str());
        let redactor = Arc::new(Redactor::for_run(
            &secrets,
            public.chain([target.base.as_str()]),
        ));
        let label = if opts.tls.insecure {
            eprintln!(
                "authconform: warning: TLS certificates and host names are not verified (--insecure)"
            );
            format!("{label} (TLS not verified: --insecure)")
        } else {
            label
        };
        let styles = styles(opts);
        Ok(Resolved {
            runtime,
            interrupted,
            _server: server,
            planned,
            redactor,
            sender,
            deviations,
            styles,
            about: About {
                base: target.base.clone(),
                target: label,
                discovered,
                declared: catalogue.variables,
                outputs,
                styles,
            },
        })
    }
}

/// Holds every request the user's own values already make to the target's origin, before the
/// discovery request: a mistake of theirs is exit 2 with nothing sent.
fn check_requests(
    cases: &[Case],
    vars: &Vars,
    target: &Target,
    allowed: &plan::Allowed,
) -> Result<(), Error> {
    for case in cases {
        if let Ok(request) = plan::prepare(case, vars, target) {
            target.check_request(&case.id, &request, allowed)?;
        }
    }
    Ok(())
}

/// Sets the endpoint variables that discovery `found` and this catalogue uses (an OpenID
/// provider names a userinfo endpoint that the auth0 profile has no variable for), says what
/// it found, and returns it as reports show it: the values are the server's text, so the run's
/// secrets are masked in them, and they pass the same guard as all text from outside (only
/// values that parsed as URLs or paths are kept).
fn discovered(
    mut found: crate::http::discover::Discovered,
    catalogue: &Catalogue,
    vars: &mut Vars,
) -> crate::http::discover::Discovered {
    found
        .endpoints
        .retain(|(name, _)| catalogue.variables.iter().any(|v| &v.name == name));
    for (name, value) in &found.endpoints {
        vars.discovered(name, value, &found.document);
    }
    let redactor = Redactor::new(vars.secrets());
    let shown = |text: &str| neutralise(&redactor.redact(text), false);
    found.document = shown(&found.document);
    // An endpoint the document does not list is one the server says it does not have: its
    // cases are not applicable, not waiting for a variable (one it lists but that was left
    // out as unusable stays unset).
    let mut unlisted = Vec::new();
    for name in crate::http::discover::ENDPOINTS {
        let listed = found
            .endpoints
            .iter()
            .chain(&found.ignored)
            .any(|(n, _)| n == name);
        if !listed
            && vars.get(name).is_none()
            && vars.not_applicable(name).is_none()
            && catalogue.variables.iter().any(|v| v.name == *name)
        {
            vars.not_discovered(name, &found.document);
            unlisted.push(format!("`{name}`"));
        }
    }
    for (_, value) in found.endpoints.iter_mut().chain(found.ignored.iter_mut()) {
        *value = shown(value);
    }
    let named: Vec<String> = found
        .endpoints
        .iter()
        .map(|(name, value)| format!("{name} = {value}"))
        .collect();
    eprintln!(
        "authconform: discovered at {}: {}",
        found.document,
        if named.is_empty() {
            "no endpoint".to_owned()
        } else {
            named.join(", ")
        }
    );
    for (name, why) in &found.ignored {
        eprintln!("authconform: warning: --discover: {name} left out: {why}");
    }
    if !unlisted.is_empty() {
        eprintln!(
            "authconform: --discover: {} lists no {}: the cases that need {} are not applicable",
            found.document,
            unlisted.join(", "),
            if unlisted.len() == 1 { "it" } else { "them" }
        );
    }
    found
}

/// The target, the built-in reference server standing in for one (its variables set in
/// `vars`), and how reports name it.
fn target(
    opts: &RunOptions,
    runtime: &tokio::runtime::Runtime,
    vars: &mut Vars,
) -> Result<(Target, Option<reference::Running>, String), Error> {
    Ok(match &opts.target {
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
                .block_on(reference::spawn(reference::Config {
                    profile: opts.session.profile,
                    ..reference::Config::default()
                }))
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
    })
}

/// The report files, checked after the catalogue and the variables (so that a usage error there
/// leaves an earlier report alone) and before anything is sent, discovery included (so that an
/// unwritable folder, a link, or a report on an input or on another report is still a usage
/// error).
fn outputs(opts: &RunOptions) -> Result<Vec<(Output, ReportFile)>, Error> {
    open_reports(&report_paths(opts), &Inputs::of(opts))
}

/// Opens each report file, named by the flag that gave it, and refuses any that would replace
/// another report or an input.
fn open_reports(
    reports: &[(Output, PathBuf)],
    inputs: &Inputs,
) -> Result<Vec<(Output, ReportFile)>, Error> {
    // A report appended to is opened (and so made) here: when one is then refused, or another
    // cannot be opened, none of those made here may be left behind empty.
    let new: Vec<&PathBuf> = reports
        .iter()
        .map(|(_, path)| path)
        .filter(|path| path.symlink_metadata().is_err())
        .collect();
    let opened = reports
        .iter()
        .map(|(kind, path)| {
            ReportFile::create(path, *kind == Output::StepSummary)
                .map(|file| (*kind, file))
                .map_err(|e| match e {
                    Error::Write { path, source } => Error::Write {
                        path: format!("{} {path}", kind.flag()),
                        source,
                    },
                    other => other,
                })
        })
        .collect::<Result<Vec<_>, Error>>()
        .and_then(|outputs| {
            let named: Vec<(&str, &ReportFile)> =
                outputs.iter().map(|(k, f)| (k.flag(), f)).collect();
            file::refuse_overlaps(&named, || inputs.list())?;
            Ok(outputs)
        });
    if opened.is_err() {
        for path in new {
            let _ = std::fs::remove_file(path);
        }
    }
    opened
}

/// The files a run reads: a report must replace none of them.
#[derive(Clone)]
struct Inputs {
    /// Each named by its flag: `--vars`, `--deviations`, `--cacert`.
    flagged: Vec<(&'static str, String)>,
    cases: Source,
    schemas: Source,
}

impl Inputs {
    fn of(opts: &RunOptions) -> Inputs {
        let named = [
            ("--vars", opts.session.given.vars_file.as_deref()),
            (
                "--deviations",
                opts.deviations
                    .as_deref()
                    .filter(|d| *d != crate::records::deviations::AUTH0_OBSERVED),
            ),
            (
                "--cacert",
                opts.tls.cacert.as_ref().map(|(p, _)| p.as_str()),
            ),
        ];
        Inputs {
            flagged: named
                .into_iter()
                .filter_map(|(flag, path)| Some((flag, path?.to_owned())))
                .collect(),
            cases: opts.session.cases.clone(),
            schemas: opts.session.schemas.clone(),
        }
    }

    /// Every input file, each named as the user knows it (listing the case folders: called
    /// only when a report file already exists).
    fn list(&self) -> Vec<(String, PathBuf)> {
        let mut inputs: Vec<(String, PathBuf)> = self
            .flagged
            .iter()
            .map(|(flag, path)| (format!("the {flag} file {path}"), path.into()))
            .collect();
        if let Ok(exe) = std::env::current_exe() {
            inputs.push((format!("this program ({})", exe.display()), exe));
        }
        for (what, source) in [("case", &self.cases), ("schema", &self.schemas)] {
            for listed in source.list(&mut Vec::new()) {
                if let Some(path) = listed.path() {
                    inputs.push((
                        format!("the {what} file {}", path.display()),
                        path.to_owned(),
                    ));
                }
            }
        }
        inputs
    }
}

/// What a run interrupted before its cases started writes: every report it was asked for,
/// saying that the signal came before anything ran. Taken from the options alone, since a
/// signal can come before anything else is known.
struct EarlyEnd {
    target: String,
    cases: String,
    schemas: String,
    deviations: Option<String>,
    gate: GatePolicy,
    reports: Vec<(Output, PathBuf)>,
    inputs: Inputs,
    annotations: bool,
    json: bool,
    styles: Styles,
    started: Instant,
}

impl EarlyEnd {
    fn of(opts: &RunOptions, started: Instant) -> EarlyEnd {
        let target = match &opts.target {
            // A --target not yet checked may carry credentials: shown only once it parses.
            Some(url) => Target::parse(url).map_or_else(
                |_| "(not shown: not a valid --target)".to_owned(),
                |t| t.base.to_string(),
            ),
            None => "the built-in reference server (not started)".to_owned(),
        };
        EarlyEnd {
            target,
            cases: opts.session.cases.describe(),
            schemas: opts.session.schemas.describe(),
            deviations: opts.deviations.clone(),
            gate: opts.gate,
            reports: report_paths(opts),
            inputs: Inputs::of(opts),
            annotations: opts.annotations,
            json: opts.format == FormatSetting::Json,
            styles: styles(opts),
            started,
        }
    }

    /// Writes the reports of a run that sent nothing and returns [`EXIT_INTERRUPTED`].
    fn end(self, signal: &'static str) -> u8 {
        let mut lines = String::new();
        // Held to the same rules as a run's reports: none over an input or another report.
        let outputs = open_reports(&self.reports, &self.inputs).unwrap_or_else(|e| {
            lines.push_str(&format!(
                "authconform: no report written: {}\n",
                neutralise(&e.to_string(), false)
            ));
            Vec::new()
        });
        let info = RunInfo {
            target: &self.target,
            cases: &self.cases,
            schemas: &self.schemas,
            elapsed: self.started.elapsed(),
            deviations: self.deviations.as_deref(),
            interrupted: Some(signal),
            tally: Tally::default(),
            gate: &[],
            missing: &[],
            hints: &[],
            discovered: None,
        };
        let end = End {
            outputs: &outputs,
            policy: self.gate,
            annotations: self.annotations,
            json: self.json,
            styles: &self.styles,
        };
        end.close(&[], info, |_| lines);
        EXIT_INTERRUPTED
    }
}

/// The report files a run was asked for, in the order they are written (none for `--list`).
fn report_paths(opts: &RunOptions) -> Vec<(Output, PathBuf)> {
    if opts.list {
        return Vec::new();
    }
    [
        (Output::Junit, &opts.junit),
        (Output::Json, &opts.report_json),
        (Output::Html, &opts.report_html),
        (Output::StepSummary, &opts.step_summary),
    ]
    .into_iter()
    .filter_map(|(kind, path)| Some((kind, path.clone()?)))
    .collect()
}

/// Colour as decided at start-up (`commands::colour`), but never inside JSON lines, where
/// escapes would survive as text.
fn styles(opts: &RunOptions) -> Styles {
    let colour = opts.session.colour && opts.format != FormatSetting::Json;
    if colour {
        Styles::colored()
    } else {
        Styles::plain()
    }
}

/// Closes a run: its records, the reports it writes and the closing lines.
fn conclude(
    opts: &RunOptions,
    about: &About,
    records: &[Record],
    printer: &mut Printer,
    signal: Option<&'static str>,
    started: Instant,
) -> u8 {
    let missing = report::missing_variables(records, &about.declared);
    let hints = report::hints(records, &about.declared, &about.base);
    let info = RunInfo {
        target: &about.target,
        cases: &opts.session.cases.describe(),
        schemas: &opts.session.schemas.describe(),
        elapsed: started.elapsed(),
        deviations: opts.deviations.as_deref(),
        interrupted: signal,
        tally: Tally::of(records),
        gate: &[],
        missing: &missing,
        hints: &hints,
        discovered: about.discovered.as_ref(),
    };
    let end = End {
        outputs: &about.outputs,
        policy: opts.gate,
        annotations: opts.annotations,
        json: opts.format == FormatSetting::Json,
        styles: &about.styles,
    };
    let ok = end.close(records, info, |info| {
        let mut lines = printer.close(info.ok(), signal.is_some());
        let notes = terminal::notes(records, info, &about.styles);
        if !notes.is_empty() {
            lines.push_str(&format!("\n{notes}"));
        }
        lines
    });
    if signal.is_some() {
        EXIT_INTERRUPTED
    } else if ok {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

/// How a run ends: the reports it writes and how it says so.
struct End<'a> {
    outputs: &'a [(Output, ReportFile)],
    policy: GatePolicy,
    annotations: bool,
    /// With --format json, standard output is libtest's JSON lines only.
    json: bool,
    styles: &'a Styles,
}

impl End<'_> {
    /// Decides the gate, once, from the records (`info`'s tally and signal) and the reports
    /// that could not be written; writes every report with it; prints what `first` says with
    /// that gate (libtest's closing lines), what the reports say, the annotations and the
    /// summary. Returns whether the gate passed.
    fn close(
        &self,
        records: &[Record],
        info: RunInfo<'_>,
        first: impl FnOnce(&RunInfo<'_>) -> String,
    ) -> bool {
        let gate = report::gate(&info.tally, self.policy, info.interrupted);
        let (gate, written) = write_reports(self.outputs, records, &info, gate);
        let info = RunInfo {
            gate: &gate,
            ..info
        };
        let mut lines = first(&info);
        lines.push_str(&written);
        if self.annotations {
            lines.push_str(&github::annotations(records, &info));
        }
        lines.push_str(&terminal::summary(&info, self.policy.no_tests, self.styles));
        if self.json {
            let _ = write!(anstream::stderr(), "{lines}");
        } else {
            let _ = write!(anstream::stdout(), "{lines}");
        }
        info.ok()
    }
}

/// The report files a run writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Output {
    Junit,
    Json,
    Html,
    /// GitHub's `$GITHUB_STEP_SUMMARY` (appended to, as GitHub expects).
    StepSummary,
}

impl Output {
    /// The flag (or environment variable) that asks for it.
    fn flag(self) -> &'static str {
        match self {
            Output::Junit => "--junit",
            Output::Json => "--report-json",
            Output::Html => "--report-html",
            Output::StepSummary => "GITHUB_STEP_SUMMARY",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Output::Junit => "JUnit",
            Output::Json => "JSON",
            Output::Html => "HTML",
            Output::StepSummary => "step summary",
        }
    }

    fn render(self, records: &[Record], info: &RunInfo<'_>) -> String {
        match self {
            Output::Junit => junit::render(records, info),
            Output::Json => json::render(records, info),
            Output::Html => html::render(records, info),
            Output::StepSummary => github::summary(records, info),
        }
    }
}

/// Writes every report, each rendered once, and returns the gate (`gate`, the records'
/// reasons, with every report that could not be written) and what to tell the terminal. The
/// gate is known before any report is rendered but for the reports written in place: the
/// replaced reports' temporary files are made first (a folder no longer writable fails the
/// gate of them all), the reports written in place (the step summary, a pipe) next, and the
/// replaced ones last, rendered with every failure before them. A replaced report that cannot
/// be written or renamed at the last, or one written in place before another failed, is told
/// by the terminal and the exit code alone.
fn write_reports(
    outputs: &[(Output, ReportFile)],
    records: &[Record],
    info: &RunInfo<'_>,
    mut gate: Vec<GateFailure>,
) -> (Vec<GateFailure>, String) {
    let not_written = |kind: Output, file: &ReportFile, e: Error| GateFailure::ReportNotWritten {
        report: kind.name().to_owned(),
        path: file.path().display().to_string(),
        error: match e {
            Error::Write { source, .. } => source.to_string(),
            other => other.to_string(),
        },
    };
    let mut staged = Vec::new();
    for (kind, file) in outputs.iter().filter(|(_, f)| !f.in_place()) {
        match file.stage() {
            Ok(s) => staged.push((*kind, file, s)),
            Err(e) => gate.push(not_written(*kind, file, e)),
        }
    }
    let mut lines = String::new();
    let mut written = |kind: Output, file: &ReportFile| {
        if kind != Output::StepSummary {
            lines.push_str(&format!(
                "authconform: {} report written to {}\n",
                kind.name(),
                file.path().display()
            ));
        }
    };
    for (kind, file) in outputs.iter().filter(|(_, f)| f.in_place()) {
        let text = kind.render(
            records,
            &RunInfo {
                gate: &gate,
                ..*info
            },
        );
        match file.write_in_place(&text) {
            Ok(()) => written(*kind, file),
            Err(e) => gate.push(not_written(*kind, file, e)),
        }
    }
    let info = RunInfo {
        gate: &gate,
        ..*info
    };
    let texts: Vec<String> = staged
        .iter()
        .map(|(kind, _, _)| kind.render(records, &info))
        .collect();
    let mut late = Vec::new();
    for ((kind, file, staged), text) in staged.into_iter().zip(texts) {
        match staged.commit(&text) {
            Ok(()) => written(kind, file),
            Err(e) => late.push(not_written(kind, file, e)),
        }
    }
    gate.extend(late);
    (gate, lines)
}

/// The async runtime of a command. Built by hand, not with #[tokio::main]: a run sizes its own
/// by its catalogue.
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    runtime_sized(2)
}

/// Up to this many cases, a run's async runtime is the main thread alone.
const SMALL_CATALOGUE: usize = 256;

/// [`runtime`] with `workers` worker threads; none: the thread that blocks on it does all the
/// work (the client's and, without a target, the built-in server's).
fn runtime_sized(workers: usize) -> Result<tokio::runtime::Runtime, Error> {
    match workers {
        0 => tokio::runtime::Builder::new_current_thread(),
        n => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(n);
            builder
        }
    }
    .enable_all()
    .build()
    .map_err(|source| Error::Start {
        what: "the async runtime",
        source,
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
