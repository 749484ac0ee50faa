//! Executing the plan politely: at most `--jobs` cases at once; every request through one token
//! bucket (`--rate`); connection failures retried with backoff (`--retries`), failed checks
//! never; an unexpected 429 waited out once, as `Retry-After` or `X-RateLimit-Reset` says
//! (bounded by `--max-wait`), told as an event as the wait starts; and `repeat` cases (the
//! run's longest paths) started first, each one request at a time. What happens goes to the
//! run's [`Sink`] as [`Event`]s (each case's record as it finishes, so that the terminal shows
//! it at once), and every record comes back from [`Executor::run`], in case-id order, for the
//! reports.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use tokio::{
    sync::{Semaphore, watch},
    task::JoinSet,
    time::Instant,
};

use super::event::{Event, Sink, WaitDetail};
use crate::{
    base::redact::{Redactor, issued_credentials},
    base::response::Response,
    catalogue::case::{Alternative, Case},
    checks::check::{self, Check, CheckId, Violation},
    http::plan::{self, NotSent, Prepared},
    http::send::Sender,
    records::deviations::Deviations,
    records::record::{
        Branch, Record, RequestSummary, ResponseSummary, Verdict, Wait, WaitReason, plural,
    },
};

/// How politely to run.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Cases at once.
    pub jobs: usize,
    /// Requests per second for the whole run (None: unlimited).
    pub rate: Option<f64>,
    /// Extra attempts after a refused connection.
    pub retries: u32,
    /// The longest an unexpected 429 is waited out.
    pub max_wait: Duration,
}

/// A token bucket shared by every request of the run. It holds one second's worth of requests,
/// so a run starts at once and then keeps to the rate.
pub struct Limiter {
    rate: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl Limiter {
    pub fn new(rate: f64) -> Self {
        let burst = rate.max(1.0);
        Limiter {
            rate,
            burst,
            state: Mutex::new((burst, Instant::now())),
        }
    }

    /// Waits until the next request may go.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                let (tokens, last) = &mut *state;
                let now = Instant::now();
                *tokens =
                    (*tokens + now.duration_since(*last).as_secs_f64() * self.rate).min(self.burst);
                *last = now;
                if *tokens >= 1.0 {
                    *tokens -= 1.0;
                    return;
                }
                Duration::try_from_secs_f64((1.0 - *tokens) / self.rate)
                    .unwrap_or(Duration::from_secs(3600))
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// One case to run.
pub struct Job {
    pub case: Case,
    pub plan: Result<Prepared, NotSent>,
}

pub struct Executor {
    pub sender: Sender,
    pub limiter: Option<Limiter>,
    pub policy: Policy,
    pub redactor: Arc<Redactor>,
    /// Names the signal once the run is interrupted (SIGINT, SIGTERM, SIGHUP).
    pub interrupted: watch::Receiver<Option<&'static str>>,
    /// Accepted deviations, and today's date to judge their expiry.
    pub deviations: Option<(Arc<Deviations>, String)>,
}

impl Executor {
    /// Runs every job, `jobs` at a time: the `repeat` ones first, since each is a run of
    /// requests one after another and so the longest path of the run, each holding one place
    /// for all its requests; then the others in id order. Each event goes to `sink`: a case's
    /// [`Event::Finished`] as soon as it is done, on the thread that awaits this, and
    /// [`Event::RunFinished`] last; all records come back in id order. Once the run is
    /// interrupted, requests in flight are abandoned, the cases not finished are
    /// [`Verdict::NotRun`], and [`Event::Interrupted`] says so before the run finishes.
    pub async fn run(self: Arc<Self>, jobs: Vec<Job>, sink: Arc<dyn Sink>) -> Vec<Record> {
        let (repeats, ordinary): (Vec<Job>, Vec<Job>) =
            jobs.into_iter().partition(|j| j.case.repeat.is_some());
        let permits = Arc::new(Semaphore::new(self.policy.jobs.max(1)));
        let mut running = JoinSet::new();
        // A case whose task panics has no record to give: it gets an error verdict, made from
        // the blank record kept here by task id while it runs, so that every report still
        // lists it.
        let mut blanks = HashMap::new();
        let mut records = Vec::with_capacity(repeats.len() + ordinary.len());
        let mut collect =
            |done: Result<(tokio::task::Id, Record), tokio::task::JoinError>,
             blanks: &mut HashMap<tokio::task::Id, Record>| {
                let record = match done {
                    Ok((id, record)) => {
                        blanks.remove(&id);
                        record
                    }
                    Err(e) => {
                        let blank = blanks.remove(&e.id()).expect("every task's case is known");
                        self.panicked(blank, e)
                    }
                };
                sink.event(Event::Finished(&record));
                records.push(record);
            };
        for job in repeats.into_iter().chain(ordinary) {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            // A finished task keeps its record until it is joined: join them as they finish,
            // or ten thousand cases keep ten thousand tasks alive.
            while let Some(done) = running.try_join_next_with_id() {
                collect(done, &mut blanks);
            }
            let blank = Record::blank(&job.case);
            let me = self.clone();
            let told = sink.clone();
            let task = running.spawn(async move {
                let _permit = permit;
                me.finish(job, &*told).await
            });
            blanks.insert(task.id(), blank);
        }
        while let Some(done) = running.join_next_with_id().await {
            collect(done, &mut blanks);
        }
        // Interrupted means cut short: a signal that came once every case had finished cut
        // nothing, and the verdicts stand.
        if let Some(signal) = *self.interrupted.borrow()
            && records.iter().any(|r| r.verdict == Verdict::NotRun)
        {
            sink.event(Event::Interrupted { signal });
        }
        sink.event(Event::RunFinished);
        // Ids are unique: the unstable sort orders them the same, without a buffer of half.
        records.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        records
    }

    /// The record of a case whose task ended in a panic (a bug): an error that says so.
    fn panicked(&self, blank: Record, e: tokio::task::JoinError) -> Record {
        let what = match e.try_into_panic() {
            Ok(payload) => crate::base::error::panic_message(payload.as_ref()),
            Err(e) => e.to_string(),
        };
        Record {
            verdict: Verdict::Error {
                message: format!(
                    "internal error: this case's task panicked ({what}); please report it"
                ),
            },
            ..blank
        }
        .for_output(&self.redactor)
    }

    async fn finish(&self, job: Job, sink: &dyn Sink) -> Record {
        let mut stop = self.interrupted.clone();
        let started = Instant::now();
        sink.event(Event::Started { id: &job.case.id });
        // Filled in as the case goes, so that a case cut off by an interruption still says what
        // it sent and how long it waited.
        let mut record = Record::blank(&job.case);
        let judged = if stop.borrow().is_some() {
            None
        } else {
            tokio::select! {
                issued = self.judge(&job.case, &job.plan, &mut record, sink) => Some(issued),
                _ = stop.wait_for(Option::is_some) => None,
            }
        };
        record.elapsed = started.elapsed();
        match judged {
            Some(issued) => {
                if let Some((deviations, today)) = &self.deviations {
                    deviations.apply(&mut record, today);
                }
                let redactor = if issued.is_empty() {
                    self.redactor.clone()
                } else {
                    let mut with_issued = (*self.redactor).clone();
                    issued.iter().for_each(|c| with_issued.add(c));
                    Arc::new(with_issued)
                };
                record.for_output(&redactor)
            }
            None => Record {
                verdict: Verdict::NotRun,
                ..record
            }
            .for_output(&self.redactor),
        }
    }

    /// Sends the case's request (repeatedly, for `repeat` cases) and judges the response into
    /// `record`. Returns the credentials the response issued, which reports must mask.
    async fn judge(
        &self,
        case: &Case,
        plan: &Result<Prepared, NotSent>,
        record: &mut Record,
        sink: &dyn Sink,
    ) -> Vec<String> {
        // A failpoint for the tests (debug builds only): a bug in one case must not lose it.
        #[cfg(debug_assertions)]
        if std::env::var_os("AUTHCONFORM_FAILPOINT_PANIC").is_some_and(|id| id == *case.id) {
            panic!(
                "failpoint AUTHCONFORM_FAILPOINT_PANIC reached in {}",
                case.id
            );
        }
        let request = match plan {
            Ok(request) => request,
            Err(NotSent::Skip(missing)) => {
                record.verdict = Verdict::Skip {
                    reason: plan::skip_reason(missing),
                    missing: missing.clone(),
                };
                return Vec::new();
            }
            Err(NotSent::NotApplicable { reason, variables }) => {
                record.verdict = Verdict::NotApplicable {
                    reason: reason.clone(),
                    variables: variables.clone(),
                };
                return Vec::new();
            }
            Err(NotSent::Invalid(message)) => {
                record.verdict = Verdict::Error {
                    message: message.clone(),
                };
                return Vec::new();
            }
        };
        record.request = Some(RequestSummary {
            method: request.method.to_string(),
            url: request.shown.url.clone(),
            curl: request.shown.curl.clone(),
        });
        let expected: &[u16] = case
            .checks
            .iter()
            .find_map(|c| match c {
                Check::Status(allowed) => Some(allowed.as_slice()),
                _ => None,
            })
            .unwrap_or(&[]);
        let max = case.repeat.unwrap_or(1);
        let mut rounds = 0;
        let response = loop {
            rounds += 1;
            match self
                .exchange(&case.id, request, expected.contains(&429), record, sink)
                .await
            {
                Err(message) => {
                    record.verdict = Verdict::Error { message };
                    return Vec::new();
                }
                // A repeat stops at the first answer that meets every check: for a burst,
                // the 429 with its headers; for slow_down, the poll after a pending one.
                Ok(response) if rounds < max && !check::meets_all(&case.checks, &response) => {
                    continue;
                }
                Ok(response) => break response,
            }
        };
        let issued = issued_credentials(&response);
        judge_response(case, &response, &request.url, record);
        issued
    }

    /// One request, as politely as the policy says: through the limiter, retried after a
    /// refused connection, and an unexpected 429 (`documents_429` false) waited out once. Each
    /// request sent and each wait is counted on `record`, and each wait is told to `sink` as
    /// it starts, so that a run that pauses says why.
    async fn exchange(
        &self,
        id: &str,
        request: &Prepared,
        documents_429: bool,
        record: &mut Record,
        sink: &dyn Sink,
    ) -> Result<Response, String> {
        let mut refused = 0;
        let mut waited: Option<Duration> = None;
        loop {
            if let Some(limiter) = &self.limiter {
                limiter.acquire().await;
            }
            record.attempts += 1;
            match self.sender.send(request).await {
                Err(e) if e.refused && refused < self.policy.retries => {
                    let wait = backoff(refused);
                    refused += 1;
                    let wait = Wait {
                        reason: WaitReason::ConnectionRefused,
                        duration: wait,
                    };
                    let detail = WaitDetail::Retry {
                        retry: refused,
                        retries: self.policy.retries,
                    };
                    self.wait(id, wait, detail, record, sink).await;
                }
                Err(e) if refused > 0 => {
                    return Err(format!("{} ({} attempts)", e.message, refused + 1));
                }
                Err(e) => return Err(e.message),
                Ok(response) if response.status == 429 && !documents_429 => {
                    let asked = retry_after(&response, SystemTime::now());
                    if let Some(waited) = waited {
                        return Err(format!(
                            "rate limited: the server answered 429 again after a wait of {}s; not judged",
                            waited.as_secs_f64()
                        ));
                    }
                    let wait = asked.unwrap_or(Duration::from_secs(1));
                    if wait > self.policy.max_wait {
                        return Err(format!(
                            "rate limited: the server answered 429 and asks for a wait of {}s, more than --max-wait {}s; not judged",
                            wait.as_secs(),
                            self.policy.max_wait.as_secs()
                        ));
                    }
                    let detail = WaitDetail::RateLimited {
                        asked: asked.is_some(),
                    };
                    let pause = Wait {
                        reason: WaitReason::RateLimited,
                        duration: wait,
                    };
                    self.wait(id, pause, detail, record, sink).await;
                    waited = Some(wait);
                }
                Ok(response) => return Ok(response),
            }
        }
    }
}

impl Executor {
    /// Tells the wait, counts it on `record`, and waits.
    async fn wait(
        &self,
        id: &str,
        wait: Wait,
        detail: WaitDetail,
        record: &mut Record,
        sink: &dyn Sink,
    ) {
        sink.event(Event::Waiting {
            id,
            wait: &wait,
            detail,
        });
        let duration = wait.duration;
        record.waits.push(wait);
        tokio::time::sleep(duration).await;
    }
}

/// Where a run is, as the signal watch sees it: preparing (nothing sent yet), running its
/// cases, or finished with them.
#[derive(Default)]
pub struct Stage(std::sync::Mutex<State>);

/// What tells the reports that a run was interrupted before it sent anything: writes them and
/// returns the exit code.
pub type Early = Box<dyn FnOnce(&'static str) -> u8 + Send>;

#[derive(Default)]
enum State {
    /// Loading, reading inputs, discovering: a signal ends the run at once through this.
    Preparing(Early),
    #[default]
    Running,
    Finished,
}

impl Stage {
    /// A run that has not started its cases: a signal now makes `early` write the reports
    /// (nothing having run) and ends the process with the code it returns, whatever the run's
    /// own thread is blocked on (a discovery request, a slow file).
    pub fn preparing(early: Early) -> Arc<Stage> {
        Arc::new(Stage(std::sync::Mutex::new(State::Preparing(early))))
    }

    /// The cases start: from now on a signal cuts them short through the returned channel.
    /// Waits while an early signal is being handled (the process then ends there).
    pub fn running(&self) {
        *self.lock() = State::Running;
    }

    /// Every case has finished: a signal now cuts nothing.
    pub fn finished(&self) {
        *self.lock() = State::Finished;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Watches for the signals that end a run (SIGINT, SIGTERM as a CI cancel or `docker stop`
/// sends, SIGHUP as a closed terminal sends). Before the cases start (see [`Stage`]) the first
/// ends the run there and then, its reports written; while they run it is named on the
/// returned channel, and the run winds down (requests in flight abandoned, every report still
/// written); a second ends the process at once, leaving the previous reports in place. Once
/// the stage is finished there is nothing left to cut short, and the message says so.
///
/// The watch has a thread and a small runtime of its own, so that a signal is answered
/// whatever the run's thread is doing: loading, discovering, sending (a run's runtime may be
/// that one thread), writing its reports, or blocked on a standard output nobody reads.
pub fn watch_signals(
    then: &'static str,
    stage: Arc<Stage>,
) -> Result<watch::Receiver<Option<&'static str>>, crate::base::error::Error> {
    let start = |source| crate::base::error::Error::Start {
        what: "the signal watch",
        source,
    };
    let (stop, interrupted) = watch::channel(None);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(start)?;
    // Registered now, not when the thread first runs, so that no signal falls in between.
    let mut signals = {
        let _entered = runtime.enter();
        Signals::register()
    };
    let watch = async move {
        let first = signals.next().await;
        // Answered on a thread of its own: its message, or an early end's reports, can block
        // on a standard error or output that nobody reads, and the second signal must still
        // end the process at once.
        // A clone: the sender kept here lives as long as the watch, so the run never sees the
        // channel close.
        let told = stop.clone();
        let answer = move || answer_first(first, then, &stage, &told);
        if std::thread::Builder::new()
            .name("signal-answer".into())
            .spawn(answer)
            .is_err()
        {
            std::process::exit(i32::from(crate::base::error::EXIT_INTERRUPTED));
        }
        signals.next().await;
        std::process::exit(i32::from(crate::base::error::EXIT_INTERRUPTED));
    };
    std::thread::Builder::new()
        .name("signal-watch".into())
        .spawn(move || runtime.block_on(watch))
        .map_err(start)?;
    Ok(interrupted)
}

/// What the first signal does at each stage (see [`watch_signals`]).
fn answer_first(
    first: &'static str,
    then: &'static str,
    stage: &Stage,
    stop: &watch::Sender<Option<&'static str>>,
) {
    {
        // Held while an early end writes the reports: the run cannot start its cases
        // meanwhile.
        let mut state = stage.lock();
        // Said before the run is told: once told, it may finish and exit before this thread
        // gets to speak, or finish and make a cut run read as a finished one. Said here, not
        // as an event: the run's thread, where the reporters live, may be blocked (the one
        // exception to execution never writing to the terminal).
        match std::mem::take(&mut *state) {
            State::Preparing(early) => {
                anstream::eprintln!(
                    "\nauthconform: interrupted by {first} before any case was sent: writing the reports (a second signal quits at once)"
                );
                std::process::exit(i32::from(early(first)));
            }
            State::Finished => {
                *state = State::Finished;
                anstream::eprintln!(
                    "\nauthconform: {first}: every case had finished; writing the reports (a second signal quits at once)"
                );
            }
            State::Running => anstream::eprintln!(
                "\nauthconform: interrupted by {first}: {then} (a second signal quits at once)"
            ),
        }
    }
    let _ = stop.send(Some(first));
}

/// The signal streams; one that cannot be registered is never received.
#[cfg(unix)]
struct Signals {
    interrupt: Option<tokio::signal::unix::Signal>,
    terminate: Option<tokio::signal::unix::Signal>,
    hangup: Option<tokio::signal::unix::Signal>,
}

#[cfg(unix)]
impl Signals {
    fn register() -> Signals {
        use tokio::signal::unix::{SignalKind, signal};
        Signals {
            interrupt: signal(SignalKind::interrupt()).ok(),
            terminate: signal(SignalKind::terminate()).ok(),
            hangup: signal(SignalKind::hangup()).ok(),
        }
    }

    async fn next(&mut self) -> &'static str {
        async fn recv(stream: &mut Option<tokio::signal::unix::Signal>) {
            match stream {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        tokio::select! {
            _ = recv(&mut self.interrupt) => "SIGINT",
            _ = recv(&mut self.terminate) => "SIGTERM",
            _ = recv(&mut self.hangup) => "SIGHUP",
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn register() -> Signals {
        Signals
    }

    async fn next(&mut self) -> &'static str {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

/// 250 ms, 500 ms, 1 s, ... at most 8 s.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250u64 << attempt.min(5)).min(Duration::from_secs(8))
}

/// How long a 429 asks to wait: `Retry-After` (seconds or an HTTP date), else
/// `X-RateLimit-Reset` (epoch seconds).
pub fn retry_after(response: &Response, now: SystemTime) -> Option<Duration> {
    if let Some(value) = response.header("retry-after") {
        let value = value.trim();
        if let Ok(secs) = value.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        if let Ok(when) = httpdate::parse_http_date(value) {
            return Some(when.duration_since(now).unwrap_or_default());
        }
    }
    let reset = response
        .header("x-ratelimit-reset")?
        .trim()
        .parse::<u64>()
        .ok()?;
    // A reset too far away to represent asks for longer than any --max-wait.
    let when = SystemTime::UNIX_EPOCH
        .checked_add(Duration::from_secs(reset))
        .unwrap_or(now + Duration::from_secs(u32::MAX.into()));
    Some(when.duration_since(now).unwrap_or_default())
}

/// What the rate limit said when it tripped, for the reports.
fn rate_limit_note(response: &Response, attempts: u32) -> String {
    let mut seen: Vec<String> = [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "retry-after",
    ]
    .iter()
    .filter_map(|name| response.header(name).map(|v| format!("{name}: {v}")))
    .collect();
    if seen.is_empty() {
        seen.push("no rate-limit headers".into());
    }
    format!(
        "429 after {}; {}",
        plural(attempts as usize, "request"),
        seen.join(", ")
    )
}

/// Judges `response` into `record`: the documented answer's checks, else an allowed
/// alternative's (see [`branch`]), and the advice; the verdict is a failure when a check of
/// the branch judged on was violated.
fn judge_response(case: &Case, response: &Response, url: &url::Url, record: &mut Record) {
    // A pattern the regex engine could not finish is the case's error, not the server's.
    let judged = check::evaluate_all(&case.checks, &case.advice, response).and_then(
        |(violations, warnings)| {
            let branch = branch(&case.alternatives, &violations, response)?;
            Ok((violations, warnings, branch))
        },
    );
    let (violations, warnings, branch) = match judged {
        Ok(judged) => judged,
        Err(message) => {
            record.verdict = Verdict::Error { message };
            return;
        }
    };
    record.warnings = warnings;
    for w in &mut record.warnings {
        w.line = case.line_of(&w.check);
    }
    // Each violation's line is looked up where its check is written: the branch, or the case.
    let judged_on = match branch {
        Some((alt, broken)) => {
            record.branch = Some(Branch {
                name: alt.name.clone(),
                why: alt.why.clone(),
                reference: alt.reference.clone(),
                held: broken.is_empty(),
            });
            record.violations = broken;
            for v in &mut record.violations {
                v.line = alt.line_of(&v.check);
            }
            &alt.checks
        }
        None => {
            record.violations = violations;
            for v in &mut record.violations {
                v.line = case.line_of(&v.check);
            }
            &case.checks
        }
    };
    check::own_page(&mut record.violations, response, url);
    // Advice that repeats a check already failed says nothing more: one name, one finding.
    let failed: Vec<CheckId> = record.violations.iter().map(|v| v.check.clone()).collect();
    record.warnings.retain(|w| !failed.contains(&w.check));
    record.checks = check::outcomes(judged_on, &record.violations, false);
    let mut advised = check::outcomes(&case.advice, &record.warnings, true);
    advised.retain(|o| !failed.contains(&o.check));
    record.checks.extend(advised);
    if response.status == 429 {
        record.rate_limit = Some(rate_limit_note(response, record.attempts));
    }
    let checked: Vec<&str> = case
        .checks
        .iter()
        .chain(&case.advice)
        .chain(case.alternatives.iter().flat_map(|a| &a.checks))
        .filter_map(Check::header_name)
        .collect();
    record.response = Some(ResponseSummary::of(response, &checked));
    if !record.violations.is_empty() {
        record.verdict = Verdict::Fail;
    }
}

/// The allowed alternative to judge a response on, when it broke the documented answer's checks
/// (`violations`): the first whose checks all hold (returned with no violations); else, where
/// the documented status did not hold, the first whose status did: the server evidently took
/// that branch (returned with its violations). Else none, and the case is judged as documented:
/// where a branch shares the documented status (a redirect, say), which one the server meant
/// cannot be told from a broken answer, and guessing by counting checks misleads.
fn branch<'a>(
    alternatives: &'a [Alternative],
    violations: &[Violation],
    response: &Response,
) -> Result<Option<(&'a Alternative, Vec<Violation>)>, String> {
    if violations.is_empty() || alternatives.is_empty() {
        return Ok(None);
    }
    let documented_status_held = !violations.iter().any(|v| v.check == CheckId::Status);
    let mut taken = None;
    for alt in alternatives {
        let broken = check::evaluate(&alt.checks, response)?;
        if broken.is_empty() {
            return Ok(Some((alt, broken)));
        }
        let status_held = !broken.iter().any(|v| v.check == CheckId::Status);
        if taken.is_none() && status_held && !documented_status_held {
            taken = Some((alt, broken));
        }
    }
    Ok(taken)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{checks::challenge::UrlPart, checks::check::HeaderMatcher};

    fn redirect(location: &str) -> Response {
        Response {
            status: 302,
            headers: vec![("location".into(), location.into())],
            body: Vec::new(),
            truncated: false,
        }
    }

    fn param(param: &str, matcher: HeaderMatcher) -> Check {
        Check::Location {
            part: UrlPart::Query,
            param: param.into(),
            matcher,
        }
    }

    fn grants_less() -> Alternative {
        Alternative {
            name: "grants-less".into(),
            why: "w".into(),
            reference: "https://example.test/s".into(),
            checks: vec![
                Check::Status(vec![302]),
                param("code", HeaderMatcher::Equals("c".into())),
                param("state", HeaderMatcher::Equals("s".into())),
            ],
            lines: Box::default(),
        }
    }

    #[test]
    fn a_branch_is_judged_on_only_when_it_holds_or_the_documented_status_did_not() {
        let documented = [
            Check::Status(vec![302]),
            param("error", HeaderMatcher::Equals("invalid_scope".into())),
        ];
        let alternatives = [grants_less()];
        let judge = |r: &Response| {
            let broken = check::evaluate(&documented, r).unwrap();
            branch(&alternatives, &broken, r)
                .unwrap()
                .map(|(a, v)| (a.name.clone(), v.len()))
        };
        // The documented answer: no branch.
        assert_eq!(
            judge(&redirect("https://c.test/cb?error=invalid_scope")),
            None
        );
        // The branch, whole: passed on it.
        assert_eq!(
            judge(&redirect("https://c.test/cb?code=c&state=s")),
            Some(("grants-less".into(), 0))
        );
        // A redirect that is neither: it shares the documented status, so no branch is guessed.
        assert_eq!(judge(&redirect("https://c.test/cb?code=c")), None);
        // A 200 where the documented 302 did not hold and the branch's 302 neither: none.
        let page = Response {
            status: 200,
            ..redirect("x")
        };
        assert_eq!(judge(&page), None);
    }

    fn response(headers: &[(&str, &str)]) -> Response {
        Response {
            status: 429,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: Vec::new(),
            truncated: false,
        }
    }

    #[test]
    fn retry_after_reads_seconds_dates_and_reset() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(
            retry_after(&response(&[("retry-after", "7")]), now),
            Some(Duration::from_secs(7))
        );
        let date = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            retry_after(&response(&[("retry-after", &date)]), now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after(&response(&[("x-ratelimit-reset", "1000000012")]), now),
            Some(Duration::from_secs(12))
        );
        assert_eq!(
            retry_after(&response(&[("x-ratelimit-reset", "999999999")]), now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after(&response(&[("retry-after", "soon")]), now),
            None
        );
        let far = retry_after(
            &response(&[("x-ratelimit-reset", "18446744073709551615")]),
            now,
        )
        .unwrap();
        assert!(far > Duration::from_secs(3600), "{far:?}");
        assert_eq!(retry_after(&response(&[]), now), None);
    }

    #[test]
    fn backoff_grows_and_is_bounded() {
        assert_eq!(backoff(0), Duration::from_millis(250));
        assert_eq!(backoff(2), Duration::from_secs(1));
        assert_eq!(backoff(30), Duration::from_secs(8));
    }

    #[test]
    fn rate_limit_notes_say_what_they_saw() {
        let r = response(&[
            ("x-ratelimit-limit", "10"),
            ("x-ratelimit-remaining", "0"),
            ("retry-after", "60"),
        ]);
        assert_eq!(
            rate_limit_note(&r, 11),
            "429 after 11 requests; x-ratelimit-limit: 10, x-ratelimit-remaining: 0, retry-after: 60"
        );
        assert_eq!(
            rate_limit_note(&response(&[]), 1),
            "429 after 1 request; no rate-limit headers"
        );
    }

    /// What a sink was told, as text.
    #[derive(Default)]
    struct Told(Mutex<Vec<String>>);

    impl Sink for Told {
        fn event(&self, event: Event<'_>) {
            let line = match event {
                Event::Started { id } => format!("started {id}"),
                Event::Waiting { id, .. } => format!("waiting {id}"),
                Event::Finished(r) => format!("finished {} {}", r.id, r.verdict.kind()),
                Event::Interrupted { signal } => format!("interrupted {signal}"),
                Event::RunFinished => "run finished".into(),
            };
            self.0.lock().unwrap().push(line);
        }
    }

    /// Runs two cases that send nothing (skipped for a missing variable), the run interrupted
    /// first or not, and returns what the sink was told.
    async fn told(signal: Option<&'static str>) -> Vec<String> {
        let tls = crate::http::send::Tls {
            cacert: None,
            insecure: false,
        };
        let (stop, interrupted) = watch::channel(signal);
        let executor = Arc::new(Executor {
            sender: Sender::new(Duration::from_secs(1), true, &tls, false).unwrap(),
            limiter: None,
            policy: Policy {
                jobs: 1,
                rate: None,
                retries: 0,
                max_wait: Duration::ZERO,
            },
            redactor: Arc::new(Redactor::new(std::iter::empty::<&str>())),
            interrupted,
            deviations: None,
        });
        let jobs = ["t/a", "t/b"]
            .map(|id| Job {
                case: crate::catalogue::case::tests_support::case(id),
                plan: Err(NotSent::Skip(vec!["x".into()])),
            })
            .into();
        let sink = Arc::new(Told::default());
        let records = executor.run(jobs, sink.clone()).await;
        drop(stop);
        assert_eq!(records.len(), 2);
        sink.0.lock().unwrap().clone()
    }

    #[tokio::test]
    async fn a_run_tells_each_case_then_its_end_and_an_interruption_before_it() {
        assert_eq!(
            told(None).await,
            [
                "started t/a",
                "finished t/a skip",
                "started t/b",
                "finished t/b skip",
                "run finished"
            ]
        );
        assert_eq!(
            told(Some("SIGTERM")).await,
            [
                "started t/a",
                "finished t/a not_run",
                "started t/b",
                "finished t/b not_run",
                "interrupted SIGTERM",
                "run finished"
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_limiter_lets_a_burst_through_then_keeps_the_rate() {
        let limiter = Limiter::new(4.0);
        let start = tokio::time::Instant::now();
        for _ in 0..4 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        for _ in 0..4 {
            limiter.acquire().await;
        }
        assert!(
            start.elapsed() >= Duration::from_millis(990),
            "{:?}",
            start.elapsed()
        );
    }
}
