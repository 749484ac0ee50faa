//! GitHub Actions: workflow commands (`::error` / `::warning`) that point at the case files, and
//! a Markdown summary for `$GITHUB_STEP_SUMMARY`. The command format is GitHub's documented
//! one: `::error file=F,title=T::message`, with `%`, CR and LF escaped in the message and also
//! `:` and `,` in property values.

use std::fmt::Write;

use crate::{
    record::{Record, Verdict},
    report::RunInfo,
};

fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

fn command(kind: &str, file: &str, title: &str, message: &str) -> String {
    format!(
        "::{kind} file={},title={}::{}\n",
        property(file),
        property(title),
        data(message)
    )
}

/// One workflow command per failure, error, warning and known deviation, and per stale entry
/// of the deviations file.
pub fn annotations(records: &[Record], info: &RunInfo<'_>) -> String {
    let mut out = String::new();
    for r in records {
        let lines = |violations: &[crate::check::Violation]| {
            violations
                .iter()
                .map(|v| format!("{}: {}", v.check, v.message))
                .collect::<Vec<_>>()
                .join("\n")
        };
        match &r.verdict {
            Verdict::Fail => out.push_str(&command(
                "error",
                &r.file,
                &format!("{} failed", r.id),
                &lines(&r.violations),
            )),
            Verdict::Error { message } => out.push_str(&command(
                "error",
                &r.file,
                &format!("{} could not be judged", r.id),
                message,
            )),
            Verdict::KnownDeviation { reasons } => out.push_str(&command(
                "warning",
                &r.file,
                &format!("{}: known deviation", r.id),
                &reasons.join("\n"),
            )),
            Verdict::Pass | Verdict::Skip { .. } => {}
        }
        if !r.warnings.is_empty() {
            out.push_str(&command(
                "warning",
                &r.file,
                &format!("{}: advice", r.id),
                &lines(&r.warnings),
            ));
        }
    }
    if let Some(file) = info.deviations {
        for f in info.findings {
            out.push_str(&command(
                "error",
                file,
                &format!("deviation {} {}", f.case, f.check),
                &f.problem,
            ));
        }
    }
    out
}

/// The Markdown summary: the tally, then a table of every case that did not simply pass.
pub fn summary(records: &[Record], info: &RunInfo<'_>) -> String {
    let t = info.tally;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## authconform: {}\n",
        if t.ok() { "passed" } else { "FAILED" }
    );
    let _ = writeln!(out, "Target: `{}`\n", info.target);
    let _ = writeln!(
        out,
        "| passed | failed | errors | skipped | known deviations | stale deviations | warnings |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} |\n",
        t.passed, t.failed, t.errors, t.skipped, t.known_deviations, t.stale_deviations, t.warnings
    );
    let cell = |text: &str| text.replace('|', "\\|").replace('\n', "<br>");
    let notable: Vec<&Record> = records
        .iter()
        .filter(|r| r.verdict != Verdict::Pass || !r.warnings.is_empty())
        .collect();
    if !notable.is_empty() {
        let _ = writeln!(out, "| case | verdict | detail |");
        let _ = writeln!(out, "|---|---|---|");
        for r in notable {
            let (verdict, detail) = match &r.verdict {
                Verdict::Pass => (
                    "pass (warnings)",
                    r.warnings
                        .iter()
                        .map(|w| format!("{}: {}", w.check, w.message))
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
                Verdict::Fail => (
                    "**fail**",
                    r.violations
                        .iter()
                        .map(|v| format!("{}: {}", v.check, v.message))
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
                Verdict::Error { message } => ("**error**", message.clone()),
                Verdict::Skip { reason } => ("skip", reason.clone()),
                Verdict::KnownDeviation { reasons } => ("known deviation", reasons.join("\n")),
            };
            let _ = writeln!(out, "| `{}` | {verdict} | {} |", r.id, cell(&detail));
        }
    }
    if let Some(file) = info.deviations {
        for f in info.findings {
            let _ = writeln!(
                out,
                "\n- **deviation** `{}` `{}` in `{file}`: {}",
                f.case, f.check, f.problem
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_properties_are_escaped_as_github_documents() {
        assert_eq!(
            command("error", "cases/a,b.json", "x: y", "100% bad\nline 2\r"),
            "::error file=cases/a%2Cb.json,title=x%3A y::100%25 bad%0Aline 2%0D\n"
        );
    }
}
