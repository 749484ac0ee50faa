//! Terminal rendering: the failure detail libtest-mimic prints under `failures:`, the warnings
//! section and the closing summary line. The same text, without colour, is the JUnit body.

use std::fmt::Write;

use anstyle::{AnsiColor, Style};

use crate::{
    deviations::Finding,
    record::{Record, Verdict},
};

/// Colours, decided once at start-up. `plain()` has none.
#[derive(Debug, Clone, Copy, Default)]
pub struct Styles {
    bad: Style,
    warn: Style,
    dim: Style,
    bold: Style,
}

impl Styles {
    pub fn plain() -> Self {
        Styles::default()
    }

    pub fn colored() -> Self {
        Styles {
            bad: AnsiColor::Red.on_default().bold(),
            warn: AnsiColor::Yellow.on_default().bold(),
            dim: Style::new().dimmed(),
            bold: Style::new().bold(),
        }
    }
}

/// Why a case failed, errored or warned, with the response and a command to reproduce it.
pub fn detail(record: &Record, s: &Styles) -> String {
    let mut out = String::new();
    let d = &record.documents;
    let documented = [
        Some(d.status.to_string()),
        d.error.clone(),
        d.description.as_ref().map(|t| format!("{t:?}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let _ = writeln!(out, "{}", record.title);
    let _ = writeln!(
        out,
        "{}documents: {documented}   case file: {}{}",
        s.dim,
        record.file,
        s.dim.render_reset()
    );
    if let Verdict::KnownDeviation { reasons } = &record.verdict {
        let _ = writeln!(
            out,
            "{}known deviation{}, accepted: {}",
            s.warn,
            s.warn.render_reset(),
            reasons.join("; ")
        );
    }
    if let Verdict::Error { message } = &record.verdict {
        let _ = writeln!(
            out,
            "{}error{}: could not be judged: {message}",
            s.bad,
            s.bad.render_reset()
        );
    }
    for v in &record.violations {
        let at =
            v.at.as_deref()
                .map(|a| format!(" at {}", if a.is_empty() { "(root)" } else { a }))
                .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {}✗ {}{at}{}: {}",
            s.bad,
            v.check,
            s.bad.render_reset(),
            v.message
        );
    }
    for w in &record.warnings {
        let _ = writeln!(
            out,
            "  {}! {} (advice){}: {}",
            s.warn,
            w.check,
            s.warn.render_reset(),
            w.message
        );
    }
    if let Some(resp) = &record.response {
        let size = if resp.truncated {
            format!("more than {} bytes (read cut there)", resp.body_bytes)
        } else {
            format!("{} bytes", resp.body_bytes)
        };
        let attempts = if record.attempts > 1 {
            format!(", after {} requests", record.attempts)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{}response{}: {}, {size}{attempts}",
            s.bold,
            s.bold.render_reset(),
            resp.status
        );
        for (name, value) in &resp.headers {
            let _ = writeln!(out, "  {name}: {value}");
        }
        if !resp.body_preview.is_empty() {
            for line in resp.body_preview.lines() {
                let _ = writeln!(out, "  {}|{} {line}", s.dim, s.dim.render_reset());
            }
        }
    }
    if let Some(req) = &record.request {
        let _ = writeln!(out, "{}reproduce{}:", s.bold, s.bold.render_reset());
        let _ = writeln!(out, "  {}", req.curl);
    }
    out.trim_end().to_owned()
}

/// The warnings of passing cases (failing ones show theirs in their detail), and what rate
/// limits said when they tripped.
pub fn notes(records: &[Record], s: &Styles) -> String {
    let mut out = String::new();
    for r in records {
        if let Some(note) = &r.rate_limit {
            let _ = writeln!(out, "note: {}: rate limit: {note}", r.id);
        }
    }
    // A failing case shows its warnings in its detail; the others show them here.
    let shown_elsewhere = |v: &Verdict| matches!(v, Verdict::Fail | Verdict::Error { .. });
    for r in records
        .iter()
        .filter(|r| !shown_elsewhere(&r.verdict) && !r.warnings.is_empty())
    {
        for w in &r.warnings {
            let _ = writeln!(
                out,
                "{}warning{}: {}: {}: {}",
                s.warn,
                s.warn.render_reset(),
                r.id,
                w.check,
                w.message
            );
        }
    }
    out
}

/// Counts per verdict, and the deviations-file entries that fail the run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Tally {
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
    pub skipped: usize,
    pub known_deviations: usize,
    pub warnings: usize,
    /// Deviations-file entries no longer observed or expired.
    pub stale_deviations: usize,
}

impl Tally {
    pub fn of(records: &[Record], findings: &[Finding]) -> Tally {
        let mut t = Tally {
            stale_deviations: findings.len(),
            ..Tally::default()
        };
        for r in records {
            match r.verdict {
                Verdict::Pass => t.passed += 1,
                Verdict::Fail => t.failed += 1,
                Verdict::Error { .. } => t.errors += 1,
                Verdict::Skip { .. } => t.skipped += 1,
                Verdict::KnownDeviation { .. } => t.known_deviations += 1,
            }
            t.warnings += r.warnings.len();
        }
        t
    }

    /// Whether the gate passes.
    pub fn ok(&self) -> bool {
        self.failed == 0 && self.errors == 0 && self.stale_deviations == 0
    }
}

/// The closing line, e.g. `authconform: FAILED. 5 passed; 1 failed; 0 errors; 0 skipped; 2 warnings`.
pub fn summary(t: &Tally, s: &Styles) -> String {
    let (style, word) = if t.ok() {
        (Style::new(), "ok")
    } else {
        (s.bad, "FAILED")
    };
    let mut line = format!(
        "authconform: {style}{word}{}. {} passed; {} failed; {} errors; {} skipped; {} warnings",
        style.render_reset(),
        t.passed,
        t.failed,
        t.errors,
        t.skipped,
        t.warnings
    );
    if t.known_deviations > 0 || t.stale_deviations > 0 {
        line.push_str(&format!(
            "; {} known deviations; {} stale deviations",
            t.known_deviations, t.stale_deviations
        ));
    }
    line
}

/// The deviations-file entries that fail the run, one line each.
pub fn findings(findings: &[Finding], file: &str, s: &Styles) -> String {
    let mut out = String::new();
    for f in findings {
        let _ = writeln!(
            out,
            "{}deviation{}: {file}: {} {}: {}",
            s.bad,
            s.bad.render_reset(),
            f.case,
            f.check,
            f.problem
        );
    }
    out
}
