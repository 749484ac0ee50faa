//! The run's lines on standard output in libtest's three formats (pretty, terse, JSON), each
//! case's line written as the case finishes, whatever order they finish in (a long case never
//! holds back the ones after it), and the closing lines once the gate is known.
//!
//! libtest-mimic decides what FILTER, `--exact` and `--skip` select and prints `--list`; the
//! lines of a run are written here, in its formats. Its runner prints a case only from a
//! thread of its own pool that waited for that case, so printing in completion order took a
//! thread for every case that could be running and two wake-ups per case: more CPU than a
//! built-in run's requests and checks together. Here each line is written as the executor's
//! own thread collects the case and tells [`Event::Finished`], and the closing line says the
//! gate's word, decided once for every report (a report not written fails the run too).

use std::{collections::HashSet, io::Write, sync::Arc, time::Instant};

use libtest_mimic::{Arguments, FormatSetting, Trial};

use super::progress::Progress;
use crate::{
    execution::event::Event,
    records::record::{NOT_RUN_WHY, Record, Verdict, VerdictKind, failing_skip, plural},
    report::terminal::{self, Styles},
};

/// Which cases libtest selects (FILTER, `--exact`, `--skip`), in the order given, and how
/// many it leaves out.
pub struct Selection {
    pub selected: HashSet<String>,
    pub filtered_out: usize,
    /// The longest selected id, in characters: pretty lines pad ids to it, as libtest does.
    width: usize,
}

/// libtest's selection of `ids`.
pub fn select<'a>(ids: impl Iterator<Item = &'a str>, args: &Arguments) -> Selection {
    let mut selected = HashSet::new();
    let mut filtered_out = 0;
    for id in ids {
        if args.is_filtered_out(&stand_in(id)) {
            filtered_out += 1;
        } else {
            selected.insert(id.to_owned());
        }
    }
    let width = selected
        .iter()
        .map(|id| id.chars().count())
        .max()
        .unwrap_or(0);
    Selection {
        selected,
        filtered_out,
        width,
    }
}

/// `--list`: the cases libtest selects, as it lists them (`ID: test`), in the order given.
/// Written here: libtest-mimic's own list panics once the reader has gone (`--list | head -0`),
/// where this one stops writing.
pub fn list<'a>(ids: impl Iterator<Item = &'a str>, args: &Arguments) {
    let mut out = anstream::stdout().lock();
    for id in ids.filter(|id| !args.is_filtered_out(&stand_in(id))) {
        if writeln!(out, "{id}: test").is_err() {
            return;
        }
    }
    let _ = out.flush();
}

/// A trial that only names a case: libtest asks no more to select or list it.
fn stand_in(id: &str) -> Trial {
    Trial::test(id, || Ok(()))
}

/// How a case ends in libtest's terms.
enum Outcome {
    Ok,
    Ignored(Option<String>),
    /// Cut off by an interruption: "not run" on the terminal, ignored in JSON.
    NotRun,
    Failed(String),
}

/// The printer of one run.
pub struct Printer {
    /// None: prints nothing (a run whose gate fails before anything is sent).
    format: Option<FormatSetting>,
    /// Standard output; a buffer in the tests.
    out: Box<dyn Write + Send>,
    styles: Styles,
    fail_on_skip: bool,
    width: usize,
    filtered_out: usize,
    progress: Option<Arc<Progress>>,
    started: Instant,
    passed: usize,
    ignored: usize,
    /// What libtest would count as failed, by our verdicts, so that its closing line counts
    /// what ours does with the same words.
    counts: Counts,
    /// The failed cases and their text, listed again at the end (in id order, as every report).
    failures: Vec<Failure>,
}

/// The cases libtest lists as failures, by what they are in our summary: failed, errors, and
/// skips that `--fail-on-skip` fails.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    failed: usize,
    errors: usize,
    skipped: usize,
}

/// A case listed under `failures:`.
struct Failure {
    id: String,
    text: String,
    /// An error verdict's message: a later case with the same one is said in one line.
    error: Option<String>,
}

impl Printer {
    /// Starts the run's output: libtest's "running N tests" (or its JSON line).
    pub fn start(
        selection: &Selection,
        format: FormatSetting,
        styles: Styles,
        fail_on_skip: bool,
        progress: Option<Arc<Progress>>,
    ) -> Printer {
        let mut printer = Printer {
            format: Some(format),
            out: Box::new(anstream::stdout()),
            styles,
            fail_on_skip,
            width: selection.width,
            filtered_out: selection.filtered_out,
            progress,
            started: Instant::now(),
            passed: 0,
            ignored: 0,
            counts: Counts::default(),
            failures: Vec::new(),
        };
        let total = selection.selected.len();
        write_whole(
            &mut printer.out,
            &match format {
                FormatSetting::Json => format!(
                    "{}\n",
                    serde_json::json!({ "type": "suite", "event": "started", "test_count": total })
                ),
                FormatSetting::Pretty | FormatSetting::Terse => {
                    format!("\nrunning {}\n", plural(total, "test"))
                }
            },
        );
        printer
    }

    /// A printer that prints nothing.
    pub fn silent() -> Printer {
        Printer {
            format: None,
            out: Box::new(std::io::sink()),
            styles: Styles::plain(),
            fail_on_skip: false,
            width: 0,
            filtered_out: 0,
            progress: None,
            started: Instant::now(),
            passed: 0,
            ignored: 0,
            counts: Counts::default(),
            failures: Vec::new(),
        }
    }

    /// Whether it prints at all.
    pub fn printing(&self) -> bool {
        self.format.is_some()
    }

    /// Renders a run's event: a finished case's line.
    pub fn event(&mut self, event: &Event<'_>) {
        if let Event::Finished(record) = event {
            self.case(record);
        }
    }

    /// Writes the line of a case that has just finished.
    fn case(&mut self, record: &Record) {
        let outcome = match &record.verdict {
            Verdict::Pass => Outcome::Ok,
            Verdict::KnownDeviation { reasons } => {
                Outcome::Ignored(Some(format!("known deviation: {}", reasons.join("; "))))
            }
            Verdict::Skip { reason, .. } if self.fail_on_skip => {
                Outcome::Failed(failing_skip(reason))
            }
            Verdict::Skip { reason, .. } => Outcome::Ignored(Some(reason.clone())),
            Verdict::NotApplicable { reason, .. } => {
                Outcome::Ignored(Some(format!("not applicable: {reason}")))
            }
            Verdict::NotRun => Outcome::NotRun,
            Verdict::Fail | Verdict::Error { .. } => {
                Outcome::Failed(terminal::detail(record, &self.styles))
            }
        };
        let Some(format) = self.format else {
            return;
        };
        let id = &record.id;
        let s = &self.styles;
        let text = match (format, &outcome) {
            (FormatSetting::Json, _) => {
                let mut line = serde_json::json!({ "type": "test", "name": id });
                match &outcome {
                    Outcome::Ok => line["event"] = "ok".into(),
                    Outcome::Failed(text) => {
                        line["event"] = "failed".into();
                        line["stdout"] = text.as_str().into();
                    }
                    Outcome::Ignored(reason) => {
                        line["event"] = "ignored".into();
                        if let Some(reason) = reason {
                            line["message"] = reason.as_str().into();
                        }
                    }
                    Outcome::NotRun => {
                        line["event"] = "ignored".into();
                        line["message"] = not_run().into();
                    }
                }
                // Both lines at once: another case's must not come between them.
                let started = serde_json::json!({ "type": "test", "event": "started", "name": id });
                format!("{started}\n{line}\n")
            }
            (FormatSetting::Pretty, _) => {
                let word = match &outcome {
                    Outcome::Ok => s.good("ok"),
                    Outcome::Failed(_) => s.bad("FAILED"),
                    Outcome::Ignored(None) => s.warn("ignored"),
                    Outcome::Ignored(Some(reason)) => s.warn(&format!("ignored ({reason})")),
                    Outcome::NotRun => s.warn("not run"),
                };
                format!("test {id:<width$} ... {word}\n", width = self.width)
            }
            (FormatSetting::Terse, _) => match &outcome {
                Outcome::Ok => s.good("."),
                Outcome::Failed(_) => s.bad("F"),
                Outcome::Ignored(_) | Outcome::NotRun => s.warn("i"),
            },
        };
        let _hidden = self.progress.as_ref().map(|p| p.hide());
        write_whole(&mut self.out, &text);
        match outcome {
            Outcome::Ok => self.passed += 1,
            Outcome::Ignored(_) | Outcome::NotRun => self.ignored += 1,
            Outcome::Failed(text) => {
                let error = match &record.verdict {
                    Verdict::Error { message } => {
                        self.counts.errors += 1;
                        Some(message.clone())
                    }
                    Verdict::Skip { .. } => {
                        self.counts.skipped += 1;
                        None
                    }
                    _ => {
                        self.counts.failed += 1;
                        None
                    }
                };
                self.failures.push(Failure {
                    id: id.clone(),
                    text,
                    error,
                });
            }
        }
    }

    /// libtest's closing lines, to print after the run: the failures, then "test result" with
    /// the gate's word (`ok`: the gate can fail where no case did, and every case listed as a
    /// failure fails it), or, once a run was interrupted, the failures alone (it has no
    /// result). The JSON format gets the suite's closing line, written now.
    pub fn close(&mut self, ok: bool, interrupted: bool) -> String {
        let Some(format) = self.format else {
            return String::new();
        };
        self.failures.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        let failed = !ok;
        let c = self.counts;
        if format == FormatSetting::Json {
            let mut line = serde_json::json!({
                "type": "suite",
                "event": if failed { "failed" } else { "ok" },
                "passed": self.passed,
                "failed": c.failed,
                "ignored": self.ignored,
                "measured": 0,
                "filtered_out": self.filtered_out,
                "exec_time": self.started.elapsed().as_secs_f64(),
            });
            if c.errors > 0 {
                line["errors"] = c.errors.into();
            }
            if c.skipped > 0 {
                line["skipped"] = c.skipped.into();
            }
            write_whole(&mut self.out, &format!("{line}\n"));
            return String::new();
        }
        let s = &self.styles;
        // The lines below each start with a newline: after terse's dots, that ends their line.
        let mut out = String::new();
        if !self.failures.is_empty() {
            out.push_str("\nfailures:\n\n");
            // An error said before (a target that cannot be reached fails every case alike)
            // is said again in one line, naming the case that shows it whole.
            let mut said: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
            for f in &self.failures {
                let text = match f.error.as_deref() {
                    Some(message) => match said.get(message) {
                        Some(first) => format!("{}: same as {first}: {message}", s.bad("error")),
                        None => {
                            said.insert(message, &f.id);
                            f.text.clone()
                        }
                    },
                    None => f.text.clone(),
                };
                out.push_str(&format!("---- {} ----\n{text}\n\n", f.id));
            }
            out.push_str("\nfailures:\n");
            for f in &self.failures {
                out.push_str(&format!("    {}\n", f.id));
            }
        }
        if !interrupted {
            // libtest's words, and ours where it has none: an error is not a failed check, nor
            // a skip that --fail-on-skip fails, and the summary below counts them apart.
            let mut ours = String::new();
            if c.errors > 0 {
                ours.push_str(&format!("{}; ", VerdictKind::Error.count(c.errors)));
            }
            if c.skipped > 0 {
                ours.push_str(&format!("{} skipped; ", c.skipped));
            }
            out.push_str(&format!(
                "\ntest result: {}. {} passed; {} failed; {ours}{} ignored; 0 measured; {} filtered out; finished in {:.2}s\n\n",
                if failed { s.bad("FAILED") } else { s.good("ok") },
                self.passed,
                c.failed,
                self.ignored,
                self.filtered_out,
                self.started.elapsed().as_secs_f64()
            ));
        }
        out
    }
}

/// Writes `text` whole. A closed standard output (the reader went away) is the reader's
/// choice: the run goes on, and its reports are written.
fn write_whole(out: &mut dyn Write, text: &str) {
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// Why a case cut off by an interruption has no verdict.
fn not_run() -> String {
    format!("not run: {NOT_RUN_WHY}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(filter: Option<&str>, exact: bool, skip: &[&str]) -> Arguments {
        Arguments {
            filter: filter.map(str::to_owned),
            exact,
            skip: skip.iter().map(|s| (*s).to_owned()).collect(),
            ..Arguments::default()
        }
    }

    #[test]
    fn selection_is_libtests() {
        let ids = ["token/get-method", "token/put-method", "revoke/get-method"];
        let chosen = |a: &Arguments| {
            let s = select(ids.iter().copied(), a);
            let mut v: Vec<String> = s.selected.into_iter().collect();
            v.sort();
            (v, s.filtered_out, s.width)
        };
        assert_eq!(
            chosen(&args(Some("get"), false, &[])),
            (
                vec!["revoke/get-method".into(), "token/get-method".into()],
                1,
                17
            )
        );
        assert_eq!(chosen(&args(Some("get-method"), true, &[])), (vec![], 3, 0));
        assert_eq!(
            chosen(&args(None, false, &["token/"])),
            (vec!["revoke/get-method".into()], 2, 17)
        );
    }

    fn record(id: &str, verdict: Verdict) -> Record {
        Record {
            verdict,
            ..Record::blank(&crate::catalogue::case::tests_support::case(id))
        }
    }

    /// What a printer wrote, kept for the test to read.
    #[derive(Clone, Default)]
    struct Shared(Arc<std::sync::Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn printing(format: FormatSetting, ids: &[&str]) -> (Printer, Shared) {
        let shared = Shared::default();
        let selection = select(ids.iter().copied(), &Arguments::default());
        let p = Printer {
            format: Some(format),
            out: Box::new(shared.clone()),
            width: selection.width,
            ..Printer::silent()
        };
        (p, shared)
    }

    fn text(shared: &Shared) -> String {
        String::from_utf8(shared.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn each_format_writes_a_case_as_libtest_does() {
        let ids = ["token/a", "b"];
        let (mut p, out) = printing(FormatSetting::Pretty, &ids);
        p.case(&record("b", Verdict::Pass));
        p.case(&record("token/a", Verdict::Fail));
        p.case(&record("b", Verdict::NotRun));
        p.case(&record(
            "b",
            Verdict::KnownDeviation {
                reasons: vec!["r1".into(), "r2".into()],
            },
        ));
        assert_eq!(
            text(&out),
            "test b       ... ok\ntest token/a ... FAILED\ntest b       ... not run\n\
             test b       ... ignored (known deviation: r1; r2)\n"
        );

        let (mut p, out) = printing(FormatSetting::Terse, &ids);
        p.case(&record("b", Verdict::Pass));
        p.case(&record("token/a", Verdict::Fail));
        p.case(&record("b", Verdict::NotRun));
        assert_eq!(text(&out), ".Fi");

        let (mut p, out) = printing(FormatSetting::Json, &ids);
        p.case(&record("token/a", Verdict::Fail));
        p.case(&record("b", Verdict::NotRun));
        let _ = p.close(false, false);
        let lines: Vec<serde_json::Value> = text(&out)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(
            (&lines[0]["event"], &lines[0]["name"]),
            (&"started".into(), &"token/a".into())
        );
        assert_eq!(lines[1]["event"], "failed");
        // The failure text as it is, not wrapped as `Error: "…"`.
        assert!(
            lines[1]["stdout"].as_str().unwrap().starts_with(
                &Record::blank(&crate::catalogue::case::tests_support::case("x")).title
            ),
            "{}",
            lines[1]
        );
        assert_eq!(
            (&lines[3]["event"], &lines[3]["message"]),
            (&"ignored".into(), &not_run().into())
        );
        assert_eq!(
            (
                &lines[4]["event"],
                &lines[4]["failed"],
                &lines[4]["ignored"]
            ),
            (&"failed".into(), &1.into(), &1.into())
        );
    }

    /// The pretty and terse output is libtest-mimic's own, line for line, for the same
    /// outcomes in the same order: the format users' tools read did not change when the
    /// printing moved here.
    #[test]
    fn pretty_and_terse_are_libtest_mimics_own() {
        let records = [
            record("token/a", Verdict::Pass),
            record("token/bb", Verdict::Fail),
            record("token/c", skip()),
            record(
                "z",
                Verdict::KnownDeviation {
                    reasons: vec!["r".into()],
                },
            ),
        ];
        let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
        let dir = tempfile::tempdir().unwrap();
        for format in [FormatSetting::Pretty, FormatSetting::Terse] {
            let (mut p, out) = printing(format, &ids);
            write_whole(&mut p.out, "\nrunning 4 tests\n");
            for r in &records {
                p.case(r);
            }
            let closing = p.close(false, false);
            let ours = text(&out) + &closing;

            let log = dir.path().join("libtest.txt");
            let args = Arguments {
                format: Some(format),
                test_threads: Some(1),
                logfile: Some(log.display().to_string()),
                ..Arguments::default()
            };
            let trials = records
                .iter()
                .map(|r| {
                    let detail = terminal::detail(r, &Styles::plain());
                    let verdict = r.verdict.clone();
                    Trial::ignorable_test(r.id.clone(), move || match verdict {
                        Verdict::Pass => Ok(libtest_mimic::Completion::Completed),
                        Verdict::Skip { reason, .. } => {
                            Ok(libtest_mimic::Completion::ignored_with(reason))
                        }
                        Verdict::KnownDeviation { reasons } => {
                            Ok(libtest_mimic::Completion::ignored_with(format!(
                                "known deviation: {}",
                                reasons.join("; ")
                            )))
                        }
                        _ => Err(detail.into()),
                    })
                })
                .collect();
            let _ = libtest_mimic::run(&args, trials);
            let theirs = std::fs::read_to_string(&log).unwrap();
            assert_eq!(same_time(&ours), same_time(&theirs), "{format:?}");
        }
    }

    /// `text` with its "finished in N.NNs" made the same.
    fn same_time(text: &str) -> String {
        match text.split_once("finished in ") {
            Some((before, after)) => {
                let rest = after.split_once('s').map_or("", |(_, rest)| rest);
                format!("{before}finished in Ns{rest}")
            }
            None => text.to_owned(),
        }
    }

    #[test]
    fn the_closing_lines_count_as_libtest_and_fail_with_the_gate() {
        let (mut p, _) = printing(FormatSetting::Pretty, &["a", "b", "c", "d"]);
        p.case(&record("b", Verdict::Fail));
        p.case(&record(
            "a",
            Verdict::Error {
                message: "x".into(),
            },
        ));
        p.case(&record("c", Verdict::Pass));
        p.case(&record("d", skip()));
        assert_eq!(p.failures.len(), 2);
        let out = p.close(false, false);
        // Failures in id order, whatever order they finished in.
        assert!(out.find("---- a ----").unwrap() < out.find("---- b ----").unwrap());
        assert!(out.contains("\nfailures:\n    a\n    b\n"), "{out}");
        assert!(
            out.contains(
                "test result: FAILED. 1 passed; 1 failed; 1 error; 1 ignored; 0 measured; 0 filtered out;"
            ),
            "{out}"
        );
        // (the gate's verdict, interrupted) and what the closing lines then say.
        for (ok, interrupted, says) in [
            (
                false,
                false,
                Some("test result: FAILED. 1 passed; 0 failed"),
            ),
            (true, false, Some("test result: ok. 1 passed; 0 failed")),
            (false, true, None),
        ] {
            let (mut p, _) = printing(FormatSetting::Pretty, &["c"]);
            p.case(&record("c", Verdict::Pass));
            assert!(p.failures.is_empty());
            let out = p.close(ok, interrupted);
            match says {
                Some(line) => assert!(out.contains(line), "{out}"),
                None => assert!(!out.contains("test result"), "{out}"),
            }
        }
    }

    #[test]
    fn fail_on_skip_fails_the_skip() {
        let (mut p, _) = printing(FormatSetting::Pretty, &["d"]);
        p.fail_on_skip = true;
        p.case(&record("d", skip()));
        assert_eq!(p.failures.len(), 1);
        let out = p.close(false, false);
        assert!(
            out.contains("needs y; --fail-on-skip makes a skip fail the run"),
            "{out}"
        );
    }

    /// See issue 21, item 7: libtest's closing line said "26 failed" where ours said "26
    /// errors". Every word the two lines share counts the same cases, whatever the verdicts.
    #[test]
    fn the_two_closing_lines_never_disagree() {
        use crate::report::{GatePolicy, NoTests, RunInfo, Tally, gate, terminal::summary};
        let error = |m: &str| Verdict::Error { message: m.into() };
        for fail_on_skip in [false, true] {
            let records = [
                record("a", Verdict::Pass),
                record("b", Verdict::Fail),
                record("c", error("refused")),
                record("d", error("refused")),
                record("e", skip()),
                record("f", Verdict::NotRun),
            ];
            let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
            let (mut p, _) = printing(FormatSetting::Pretty, &ids);
            p.fail_on_skip = fail_on_skip;
            records.iter().for_each(|r| p.case(r));
            let tally = Tally::of(&records);
            let policy = GatePolicy {
                fail_on_skip,
                ..GatePolicy::default()
            };
            let gate = gate(&tally, policy, None);
            let info = RunInfo {
                target: "t",
                cases: "c",
                schemas: "s",
                elapsed: std::time::Duration::ZERO,
                deviations: None,
                interrupted: None,
                tally,
                gate: &gate,
                missing: &[],
                hints: &[],
                discovered: None,
            };
            let theirs = p.close(info.ok(), false);
            let theirs = theirs
                .lines()
                .find(|l| l.starts_with("test result"))
                .unwrap();
            let ours = summary(&info, NoTests::Fail, &Styles::plain());
            // A count's word, one or many ("1 error", "2 errors").
            let count = |line: &str, word: &str| -> Option<usize> {
                let one = word.strip_suffix('s').unwrap_or(word);
                line.split("; ").find_map(|part| {
                    let part = part.rsplit(". ").next()?;
                    let n = part
                        .strip_suffix(&format!(" {word}"))
                        .or_else(|| part.strip_suffix(&format!(" {one}")))?;
                    n.parse().ok()
                })
            };
            for word in ["passed", "failed", "errors", "skipped"] {
                let (t, o) = (count(theirs, word), count(&ours, word).unwrap());
                assert!(
                    t.is_none_or(|t| t == o),
                    "{word}: {t:?} against {o}\n{theirs}\n{ours}"
                );
            }
            assert_eq!(count(theirs, "failed"), Some(1), "{theirs}");
            assert_eq!(count(theirs, "errors"), Some(2), "{theirs}");
            assert_eq!(
                count(theirs, "skipped"),
                fail_on_skip.then_some(1),
                "{theirs}"
            );
        }
    }

    /// An error said before is said again in one line, naming the case that shows it whole: a
    /// closed port printed 26 identical blocks.
    #[test]
    fn the_same_error_is_shown_whole_once() {
        let message = "could not connect to 127.0.0.1:9: Connection refused (os error 111)";
        let error = |m: &str| Verdict::Error { message: m.into() };
        let (mut p, _) = printing(FormatSetting::Pretty, &["t/a", "t/b", "t/c", "t/d"]);
        p.case(&record("t/c", error(message)));
        p.case(&record("t/a", error(message)));
        p.case(&record("t/d", error("timed out")));
        p.case(&record("t/b", error(message)));
        let out = p.close(false, false);
        let block = |id: &str| {
            let start = out.find(&format!("---- {id} ----\n")).unwrap();
            out[start..].split("\n\n").next().unwrap().to_owned()
        };
        assert!(
            block("t/a").contains(&format!("error: could not be judged: {message}")),
            "{out}"
        );
        assert!(block("t/a").contains("documents:"), "{out}");
        for id in ["t/b", "t/c"] {
            assert_eq!(
                block(id),
                format!("---- {id} ----\nerror: same as t/a: {message}"),
                "{out}"
            );
        }
        assert!(
            block("t/d").contains("could not be judged: timed out"),
            "{out}"
        );
        assert!(out.contains("0 failed; 4 errors; 0 ignored"), "{out}");
    }

    fn skip() -> Verdict {
        Verdict::Skip {
            reason: "needs y".into(),
            missing: vec![],
        }
    }
}
