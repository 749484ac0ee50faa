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
    time::Duration,
};

use libtest_mimic::{Arguments, Completion, Failed, FormatSetting, Trial};
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
    thread: Option<JoinHandle<bool>>,
    end: End,
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
    let mut trials: Vec<Trial> = cases
        .into_iter()
        .map(|(blank, arrival)| {
            trial(
                blank.id,
                arrival,
                styles,
                fail_on_skip,
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
        }
    }

    /// Starts libtest printing, on its own thread.
    pub fn start(self, args: Arguments) -> Result<Printer, Error> {
        let trials = self.trials;
        let thread = std::thread::Builder::new()
            .name(PRINTER_THREAD.into())
            .spawn(move || {
                // libtest-mimic's printer panics on any failed write. A closed standard output
                // (the reader went away) is a clean end: the executor goes on regardless, and
                // the reports are written for every case. Anything else is said, and fails.
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    libtest_mimic::run(&args, trials)
                })) {
                    Ok(conclusion) => conclusion.has_failed(),
                    Err(_) if stdout_closed() => false,
                    Err(payload) => {
                        let what = crate::error::panic_message(payload.as_ref());
                        anstream::eprintln!(
                            "authconform: error: libtest-mimic's printer stopped: {what}"
                        );
                        true
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
        })
    }
}

impl Printer {
    /// Lets libtest print its closing lines, and returns whether it saw a failure.
    pub fn close(self) -> bool {
        let _ = self.end.decide.send(false);
        self.thread.is_some_and(|t| t.join().unwrap_or(true))
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
fn trial(
    id: String,
    arrival: oneshot::Receiver<Record>,
    styles: Styles,
    fail_on_skip: bool,
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
            return Err(Failed::from(
                "internal error: the case ended without a result; please report it",
            ));
        };
        meet.finished(&record.id);
        if let Some(progress) = &progress {
            progress.make_way();
        }
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
            Verdict::NotRun => Ok(Completion::ignored_with(
                "not run: the run was interrupted first",
            )),
            Verdict::Fail | Verdict::Error { .. } => {
                Err(Failed::from(terminal::detail(&record, &styles)))
            }
        }
    })
}
