//! libtest-mimic as the run's printer: one trial per case, on a thread of its own, each waiting
//! for its case's record and printing it in case-id order as soon as it arrives. The executor
//! runs the cases; libtest only filters and prints. Its closing "test result" line is its own
//! verdict, which cannot see what fails the gate beyond the cases (an interruption, a report
//! that could not be written): so the last trial waits for the main thread, which lets the
//! printer close, or holds it back and prints what it would still have printed.

use std::{collections::HashSet, sync::mpsc, thread::JoinHandle, time::Duration};

use libtest_mimic::{Arguments, Completion, Failed, FormatSetting, Trial};
use tokio::sync::oneshot;

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

/// Where the last selected trial meets the main thread.
struct End {
    last: Option<String>,
    reached: mpsc::Receiver<()>,
    decide: mpsc::Sender<bool>,
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
) -> Trials {
    // libtest decides what FILTER, --exact and --skip select; it is asked with stand-in
    // trials, since the real ones must know which of them is the last selected.
    let selected: HashSet<String> = cases
        .iter()
        .map(|(blank, _)| Trial::test(blank.id.clone(), || Ok(())))
        .filter(|t| !args.is_filtered_out(t))
        .map(|t| t.name().to_owned())
        .collect();
    let last = cases
        .iter()
        .rev()
        .map(|(blank, _)| &blank.id)
        .find(|id| selected.contains(*id))
        .cloned();
    let (reached_tx, reached) = mpsc::channel();
    let (decide, decision) = mpsc::channel();
    let mut decision = Some(decision);
    let trials = cases
        .into_iter()
        .map(|(blank, arrival)| {
            let meet = (Some(&blank.id) == last.as_ref()).then(|| Meet {
                reached: reached_tx.clone(),
                decision: decision.take().expect("one last trial"),
            });
            trial(blank, arrival, styles, fail_on_skip, meet)
        })
        .collect();
    Trials {
        trials,
        selected,
        end: End {
            last,
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
    /// process ends without it). Returns what it would still have printed: the end of the last
    /// case's line, and the failure details. A printer stuck on a stalled standard output is
    /// not waited for long.
    pub fn hold_back(self, records: &[Record], format: FormatSetting, styles: &Styles) -> String {
        let mut lines = String::new();
        // Told before it gets there, a late printer parks all the same.
        let _ = self.end.decide.send(true);
        let reached = self.thread.is_some()
            && self.end.last.is_some()
            && self
                .end
                .reached
                .recv_timeout(Duration::from_secs(2))
                .is_ok();
        if reached && format == FormatSetting::Pretty {
            let last = records
                .iter()
                .find(|r| Some(&r.id) == self.end.last.as_ref());
            lines.push_str(last.map_or("", |r| terminal::outcome(&r.verdict)));
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

/// The last trial's side of [`End`].
struct Meet {
    reached: mpsc::Sender<()>,
    decision: mpsc::Receiver<bool>,
}

/// The libtest-mimic trial of one case: it waits for the case's record and tells libtest the
/// outcome. The last one then waits for the main thread: told to hold back, it never returns,
/// so that libtest prints no closing "test result" line.
fn trial(
    blank: Record,
    arrival: oneshot::Receiver<Record>,
    styles: Styles,
    fail_on_skip: bool,
    meet: Option<Meet>,
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
        if let Some(meet) = meet {
            let _ = meet.reached.send(());
            if meet.decision.recv().unwrap_or(false) {
                loop {
                    std::thread::park();
                }
            }
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
