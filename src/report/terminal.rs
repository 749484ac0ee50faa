//! Terminal rendering: the failure detail printed under libtest's `failures:`, the notes
//! after the run (warnings, rate limits, the skips grouped by the variable they need) and the
//! closing lines that say whether the gate passed and why not. The same detail, without colour,
//! is the JUnit body.

use std::fmt::Write;

use colored::{ColoredString, Colorize};

use crate::{
    records::record::{NOT_RUN_WHY, Record, Verdict, VerdictKind, plural},
    report::{NoTests, RunInfo},
};

/// Colours, decided once at start-up (`commands::colour`: `--color`, the `CLICOLOR`s and
/// `NO_COLOR`, whether standard output is a terminal) and passed down; `plain()` has none, for
/// JUnit and JSON.
#[derive(Debug, Clone, Copy, Default)]
pub struct Styles {
    colour: bool,
}

impl Styles {
    pub fn plain() -> Self {
        Styles::default()
    }

    /// Colours on. `colored` also decides for itself (a terminal, `NO_COLOR`); the decision
    /// was already made, with `--color`, so its own is overridden once, here.
    pub fn colored() -> Self {
        colored::control::set_override(true);
        Styles { colour: true }
    }

    fn paint(&self, text: &str, how: impl Fn(&str) -> ColoredString) -> String {
        if self.colour {
            how(text).to_string()
        } else {
            text.to_owned()
        }
    }

    /// A pass.
    pub fn good(&self, text: &str) -> String {
        self.paint(text, |t| t.green())
    }

    /// A failure.
    pub fn bad(&self, text: &str) -> String {
        self.paint(text, |t| t.red().bold())
    }

    /// A warning, a skip, a known deviation.
    pub fn warn(&self, text: &str) -> String {
        self.paint(text, |t| t.yellow().bold())
    }

    /// What is there for reference.
    pub fn dim(&self, text: &str) -> String {
        self.paint(text, |t| t.dimmed())
    }

    /// A heading.
    pub fn bold(&self, text: &str) -> String {
        self.paint(text, |t| t.bold())
    }
}

/// Why a case failed, errored or warned, with the response and a command to reproduce it.
pub fn detail(record: &Record, s: &Styles) -> String {
    let mut out = String::new();
    let documented = record.documents.summary();
    let _ = writeln!(out, "{}", record.title);
    let _ = writeln!(
        out,
        "{}",
        s.dim(&format!(
            "documents: {documented}   case file: {}",
            record.file
        ))
    );
    if let Verdict::KnownDeviation { reasons } = &record.verdict {
        let _ = writeln!(
            out,
            "{}, accepted: {}",
            s.warn("known deviation"),
            reasons.join("; ")
        );
    }
    match &record.verdict {
        Verdict::Error { message } => {
            let _ = writeln!(out, "{}: could not be judged: {message}", s.bad("error"));
        }
        Verdict::Skip { reason, .. } => {
            let _ = writeln!(out, "{}: {reason}", s.warn("skipped"));
        }
        Verdict::NotApplicable { reason, .. } => {
            let _ = writeln!(out, "{}: {reason}", s.warn("not applicable"));
        }
        Verdict::NotRun => {
            let _ = writeln!(out, "{}: {NOT_RUN_WHY}", s.warn("not run"));
        }
        _ => {}
    }
    if let Some(branch) = &record.branch {
        let _ = writeln!(out, "{}", branch.describe());
    }
    for f in &record.stale_deviations {
        let _ = writeln!(
            out,
            "  {}: {}",
            s.bad(&format!("✗ known deviation `{}`", f.check)),
            f.problem
        );
    }
    for v in &record.violations {
        let at =
            v.at.as_deref()
                .map(|a| format!(" at {}", if a.is_empty() { "(root)" } else { a }))
                .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {}: {}",
            s.bad(&format!("✗ {}{at}", v.check)),
            v.message
        );
    }
    for w in &record.warnings {
        let _ = writeln!(
            out,
            "  {}: {}",
            s.warn(&format!("! {} (advice)", w.check)),
            w.message
        );
    }
    if let Some(resp) = &record.response {
        out.push_str(&response(record, resp, s));
    }
    if let Some(req) = &record.request {
        let _ = writeln!(out, "{}:", s.bold("reproduce"));
        let _ = writeln!(out, "  {}", req.curl);
    }
    out.trim_end().to_owned()
}

/// The response as the detail shows it: status, size, what it took, headers and body.
fn response(record: &Record, resp: &crate::records::record::ResponseSummary, s: &Styles) -> String {
    let mut out = String::new();
    let size = if resp.truncated {
        format!("more than {} bytes (read cut there)", resp.body_bytes)
    } else {
        format!("{} bytes", resp.body_bytes)
    };
    let mut attempts = if record.attempts > 1 {
        format!(", after {} requests", record.attempts)
    } else {
        String::new()
    };
    for w in &record.waits {
        let why = match w.reason {
            crate::records::record::WaitReason::RateLimited => "an unexpected 429",
            crate::records::record::WaitReason::ConnectionRefused => "a refused connection",
        };
        let _ = write!(
            attempts,
            "; waited {}s after {why}",
            w.duration.as_secs_f64()
        );
    }
    let _ = writeln!(
        out,
        "{}: {}, {size}{attempts}",
        s.bold("response"),
        resp.status
    );
    for (name, value) in &resp.headers {
        let _ = writeln!(out, "  {name}: {value}");
    }
    if !resp.body_preview.is_empty() {
        for line in resp.body_preview.lines() {
            let _ = writeln!(out, "  {} {line}", s.dim("|"));
        }
    }
    out
}

/// What the run noticed beside the verdicts: rate limits that tripped, the warnings of cases
/// that did not fail (failing ones show theirs in their detail), and the skips, summarised once
/// by the variable they need with every way to set it.
pub fn notes(records: &[Record], info: &RunInfo<'_>, s: &Styles) -> String {
    let mut out = String::new();
    for r in records {
        if let Some(note) = r.note_429() {
            let _ = writeln!(out, "note: {}: {note}", r.id);
        }
        if let Some(branch) = r.branch.as_ref().filter(|b| b.held) {
            let _ = writeln!(out, "note: {}: {}", r.id, branch.describe());
        }
    }
    let shown_elsewhere = |v: &Verdict| matches!(v, Verdict::Fail | Verdict::Error { .. });
    for r in records
        .iter()
        .filter(|r| !shown_elsewhere(&r.verdict) && !r.warnings.is_empty())
    {
        for w in &r.warnings {
            let _ = writeln!(
                out,
                "{}: {}: {}: {}",
                s.warn("warning"),
                r.id,
                w.check,
                w.message
            );
        }
    }
    for hint in info.hints {
        let _ = writeln!(out, "{}: {hint}", s.warn("hint"));
    }
    if !info.missing.is_empty() {
        let _ = writeln!(
            out,
            "{}: {} {} variables this run does not set:",
            s.warn("skipped"),
            plural(info.tally.skipped, "case"),
            if info.tally.skipped == 1 {
                "needs"
            } else {
                "need"
            }
        );
        for m in info.missing {
            let n = m.cases.len();
            let _ = writeln!(
                out,
                "  {}{} ({}{}): set it with {}",
                s.bold(&m.name),
                m.meaning
                    .as_ref()
                    .map(|t| format!(", {t}"))
                    .unwrap_or_default(),
                if m.secret { "secret; " } else { "" },
                plural(n, "case"),
                m.set_with.join(", or ")
            );
        }
    }
    out
}

/// The closing lines: the tally, then each reason the gate fails. Never "ok" when it fails.
pub fn summary(info: &RunInfo<'_>, no_tests: NoTests, s: &Styles) -> String {
    let t = &info.tally;
    let word = if info.interrupted.is_some() {
        s.bad("INTERRUPTED")
    } else if info.ok() {
        "ok".to_owned()
    } else {
        s.bad("FAILED")
    };
    // Not applicable only where there is one, beside the skips it is told apart from.
    let not_applicable = match t.not_applicable {
        0 => String::new(),
        n => format!("; {}", VerdictKind::NotApplicable.count(n)),
    };
    let mut out = format!(
        "authconform: {word}. {}; {}; {}; {}{not_applicable}; {}",
        VerdictKind::Pass.count(t.passed),
        VerdictKind::Fail.count(t.failed),
        VerdictKind::Error.count(t.errors),
        VerdictKind::Skip.count(t.skipped),
        plural(t.warnings, "warning"),
    );
    if t.known_deviations > 0 || t.stale_deviations > 0 {
        let _ = write!(
            out,
            "; {}; {}",
            VerdictKind::KnownDeviation.count(t.known_deviations),
            plural(t.stale_deviations, "stale deviation")
        );
    }
    if t.not_run > 0 {
        let _ = write!(out, "; {}", VerdictKind::NotRun.count(t.not_run));
    }
    let _ = writeln!(out, "; target {}", info.target);
    for reason in info.gate {
        let _ = writeln!(out, "authconform: {}: {reason}", s.bad("the gate fails"));
    }
    if t.tested() == 0 && info.interrupted.is_none() && no_tests == NoTests::Warn {
        let _ = writeln!(
            out,
            "authconform: {}: nothing was tested (--no-tests=warn)",
            s.warn("warning")
        );
    }
    out
}
