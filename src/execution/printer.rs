//! libtest-mimic as the run's printer: one trial per case, each waiting for its case's record,
//! on a pool of libtest threads as large as the cases that can be running at once, so that
//! libtest prints each case's line as soon as the case finishes, whatever order they finish in
//! (a long case never holds back the ones after it). The executor runs the cases; libtest only
//! filters and prints. Its closing "test result" line is its own verdict, which cannot see what
//! fails the gate beyond the cases (an interruption, a report that could not be written): so
//! the case that finishes last waits for the main thread, which lets the printer close, or
//! holds it back and prints what it would still have printed.

use std::{
    collections::HashSet,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
        mpsc,
    },
    thread::JoinHandle,
    time::{Duration, Instant},
};

use libtest_mimic::{Arguments, Completion, Conclusion, Failed, FormatSetting, Trial};
use tokio::sync::oneshot;

use super::progress::Progress;
use crate::{
    error::{Error, PRINTER_THREAD, stdout_closed},
    record::{Record, Verdict},
    report::terminal::{self, Styles},
};

/// The trials of a run, not yet printing.
pub struct Trials {
    trials: Vec<Trial>,
    /// `--format json`: the JSON lines are ours (see [`json_line`]).
    json: bool,
    /// The ids libtest selects (FILTER, `--exact`, `--skip`).
    pub selected: HashSet<String>,
    end: End,
}

/// Where the last trial to finish meets the main thread.
struct End {
    /// Which case that was, once it is known.
    last: Arc<Mutex<Option<String>>>,
    /// The width libtest pads case ids to (the longest selected id), to print the last line
    /// as libtest would.
    width: usize,
    reached: mpsc::Receiver<()>,
    decide: mpsc::Sender<bool>,
}

/// The trials' side of [`End`]: the one that finishes last (the count reaches the number
/// selected) says so and waits for the decision.
struct Meet {
    selected: usize,
    finished: AtomicUsize,
    last: Arc<Mutex<Option<String>>>,
    reached: Mutex<mpsc::Sender<()>>,
    decision: Mutex<Option<mpsc::Receiver<bool>>>,
}

impl Meet {
    /// Called by each selected trial once its record is in; returns only when the printer may
    /// go on (the last one, told to hold back, never returns).
    fn finished(&self, id: &str) {
        if self.finished.fetch_add(1, Ordering::SeqCst) + 1 != self.selected {
            return;
        }
        *lock(&self.last) = Some(id.to_owned());
        let _ = lock(&self.reached).send(());
        let decision = lock(&self.decision).take();
        if decision.is_some_and(|d| d.recv().unwrap_or(false)) {
            loop {
                std::thread::park();
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The printer at work.
pub struct Printer {
    /// libtest's thread: whether it saw a failure, and its counts.
    thread: Option<JoinHandle<(bool, Option<Conclusion>)>>,
    end: End,
    /// `--format json`: the suite's closing line is ours too, with when it started.
    json: Option<Instant>,
}

/// The trials of `cases` (each a blank record and where its record will arrive), in the order
/// given (case-id order).
pub fn trials(
    cases: Vec<(Record, oneshot::Receiver<Record>)>,
    args: &Arguments,
    styles: Styles,
    fail_on_skip: bool,
    progress: Option<Arc<Progress>>,
) -> Trials {
    // libtest decides what FILTER, --exact and --skip select; it is asked with stand-in
    // trials, since the real ones must know which of them is the last selected.
    let selected: HashSet<String> = cases
        .iter()
        .map(|(blank, _)| Trial::test(blank.id.clone(), || Ok(())))
        .filter(|t| !args.is_filtered_out(t))
        .map(|t| t.name().to_owned())
        .collect();
    let (reached_tx, reached) = mpsc::channel();
    let (decide, decision) = mpsc::channel();
    let last = Arc::new(Mutex::new(None));
    let meet = Arc::new(Meet {
        selected: selected.len(),
        finished: AtomicUsize::new(0),
        last: last.clone(),
        reached: Mutex::new(reached_tx),
        decision: Mutex::new(Some(decision)),
    });
    let json = args.format == Some(FormatSetting::Json);
    let mut trials: Vec<Trial> = cases
        .into_iter()
        .map(|(blank, arrival)| {
            trial(
                blank.id,
                arrival,
                Shape {
                    styles,
                    fail_on_skip,
                    json,
                },
                meet.clone(),
                progress.clone(),
            )
        })
        .collect();
    // Collected in place, the trials would keep the (much larger) buffer of `cases`.
    trials.shrink_to_fit();
    let width = selected
        .iter()
        .map(|id| id.chars().count())
        .max()
        .unwrap_or(0);
    Trials {
        trials,
        json,
        selected,
        end: End {
            last,
            width,
            reached,
            decide,
        },
    }
}

impl Trials {
    /// `--list`: libtest prints the selected cases and nothing runs.
    pub fn list(self, args: &Arguments) {
        let _ = libtest_mimic::run(args, self.trials);
    }

    /// A printer that prints nothing (a run whose gate fails before anything is sent).
    pub fn silent(self) -> Printer {
        Printer {
            thread: None,
            end: self.end,
            json: None,
        }
    }

    /// Starts libtest printing, on its own thread.
    pub fn start(self, mut args: Arguments) -> Result<Printer, Error> {
        let trials = self.trials;
        if self.json {
            // libtest-mimic writes a failure into its JSON as `"stdout": "Error: \"…\""`; the
            // JSON lines are written here instead, with the failure text as it is, and
            // libtest's own go nowhere.
            args.logfile = Some(if cfg!(windows) { "NUL" } else { "/dev/null" }.into());
            json_line(&serde_json::json!({
                "type": "suite", "event": "started", "test_count": self.selected.len()
            }));
        }
        let started = Instant::now();
        let thread = std::thread::Builder::new()
            .name(PRINTER_THREAD.into())
            .spawn(move || {
                // libtest-mimic's printer panics on any failed write. A closed standard output
                // (the reader went away) is a clean end: the executor goes on regardless, and
                // the reports are written for every case. Anything else is said, and fails.
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    libtest_mimic::run(&args, trials)
                })) {
                    Ok(conclusion) => (conclusion.has_failed(), Some(conclusion)),
                    Err(_) if stdout_closed() => (false, None),
                    Err(payload) => {
                        let what = crate::error::panic_message(payload.as_ref());
                        anstream::eprintln!(
                            "authconform: error: libtest-mimic's printer stopped: {what}"
                        );
                        (true, None)
                    }
                }
            })
            .map_err(|source| Error::Start {
                what: "the libtest printer",
                source,
            })?;
        Ok(Printer {
            thread: Some(thread),
            end: self.end,
            json: self.json.then_some(started),
        })
    }
}

impl Printer {
    /// Lets libtest print its closing lines, and returns whether it saw a failure.
    pub fn close(self) -> bool {
        let _ = self.end.decide.send(false);
        let Some(thread) = self.thread else {
            return false;
        };
        let (failed, conclusion) = thread.join().unwrap_or((true, None));
        if let (Some(started), Some(c)) = (self.json, conclusion) {
            json_line(&serde_json::json!({
                "type": "suite",
                "event": if c.has_failed() { "failed" } else { "ok" },
                "passed": c.num_passed,
                "failed": c.num_failed,
                "ignored": c.num_ignored,
                "measured": c.num_measured,
                "filtered_out": c.num_filtered_out,
                "exec_time": started.elapsed().as_secs_f64(),
            }));
        }
        failed
    }

    /// Holds libtest's closing lines back: its thread stays parked on the last case (the
    /// process ends without it). Returns what it would still have printed: the last case's
    /// line (libtest prints a line whole, once its case is done), and the failure details. A
    /// printer stuck on a stalled standard output is not waited for long.
    pub fn hold_back(self, records: &[Record], format: FormatSetting, styles: &Styles) -> String {
        let mut lines = String::new();
        // Told before it gets there, a late printer parks all the same.
        let _ = self.end.decide.send(true);
        let reached = self.thread.is_some()
            && self
                .end
                .reached
                .recv_timeout(Duration::from_secs(2))
                .is_ok();
        let last_id = lock(&self.end.last).clone();
        let last = records.iter().find(|r| Some(&r.id) == last_id.as_ref());
        if let (true, FormatSetting::Pretty, Some(last)) = (reached, format, last) {
            lines.push_str(&format!(
                "test {:<width$} ... {}",
                last.id,
                terminal::outcome(&last.verdict),
                width = self.end.width
            ));
        }
        if self.thread.is_some() {
            lines.push('\n');
            if format != FormatSetting::Json {
                lines.push_str(&terminal::failures(records, styles));
            }
        }
        lines
    }

    /// Whether libtest prints at all.
    pub fn printing(&self) -> bool {
        self.thread.is_some()
    }
}

/// The libtest-mimic trial of one case: it waits for the case's record and tells libtest the
/// outcome. The last to finish then waits for the main thread: told to hold back, it never
/// returns, so that libtest prints no closing "test result" line.
/// A case's JSON lines, as libtest writes them, but the failure text as it is.
fn test_lines(id: &str, event: &str, text: Option<&str>) {
    use std::io::Write;
    let started = serde_json::json!({ "type": "test", "event": "started", "name": id });
    let mut line = serde_json::json!({ "type": "test", "name": id, "event": event });
    match (event, text) {
        ("failed", Some(text)) => line["stdout"] = text.into(),
        ("ignored", Some(text)) => line["message"] = text.into(),
        _ => {}
    }
    // Both lines at once: another case's must not come between them.
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "{started}\n{line}\n").and_then(|()| out.flush());
}

/// How a trial reports its case.
#[derive(Clone, Copy)]
struct Shape {
    styles: Styles,
    fail_on_skip: bool,
    /// Also write the case's JSON lines (libtest's go nowhere).
    json: bool,
}

/// One JSON line on standard output, whole (a closed output is the reader's choice).
fn json_line(value: &serde_json::Value) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{value}").and_then(|()| out.flush());
}

fn trial(
    id: String,
    arrival: oneshot::Receiver<Record>,
    shape: Shape,
    meet: Arc<Meet>,
    progress: Option<Arc<Progress>>,
) -> Trial {
    // Only the id is kept until the record arrives: ten thousand waiting trials are ten
    // thousand of these.
    Trial::ignorable_test(id.clone(), move || {
        let Ok(record) = arrival.blocking_recv() else {
            meet.finished(&id);
            if let Some(progress) = &progress {
                progress.make_way();
            }
            let text = "internal error: the case ended without a result; please report it";
            if shape.json {
                test_lines(&id, "failed", Some(text));
            }
            return Err(Failed::from(text));
        };
        meet.finished(&record.id);
        if let Some(progress) = &progress {
            progress.make_way();
        }
        let (event, text) = match &record.verdict {
            Verdict::Pass => ("ok", None),
            Verdict::KnownDeviation { reasons } => (
                "ignored",
                Some(format!("known deviation: {}", reasons.join("; "))),
            ),
            Verdict::Skip { reason, .. } if shape.fail_on_skip => (
                "failed",
                Some(format!(
                    "{reason}; --fail-on-skip makes a skip fail the run"
                )),
            ),
            Verdict::Skip { reason, .. } => ("ignored", Some(reason.clone())),
            Verdict::NotRun => (
                "ignored",
                Some("not run: the run was interrupted first".to_owned()),
            ),
            Verdict::Fail | Verdict::Error { .. } => {
                ("failed", Some(terminal::detail(&record, &shape.styles)))
            }
        };
        if shape.json {
            test_lines(&record.id, event, text.as_deref());
        }
        match (event, text) {
            ("ok", _) => Ok(Completion::Completed),
            ("ignored", reason) => Ok(Completion::ignored_with(reason.unwrap_or_default())),
            (_, text) => Err(Failed::from(text.unwrap_or_default())),
        }
    })
}
