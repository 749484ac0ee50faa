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

fn command(kind: &str, file: &str, line: Option<usize>, title: &str, message: &str) -> String {
    let line = line.map(|l| format!(",line={l}")).unwrap_or_default();
    format!(
        "::{kind} file={}{line},title={}::{}\n",
        property(file),
        property(title),
        data(message)
    )
}

/// The case file's line of the first of `violations` that has one.
fn first_line(violations: &[crate::check::Violation]) -> Option<usize> {
    violations.iter().find_map(|v| v.line)
}

/// One workflow command per failure, error, warning and known deviation, and per stale entry
/// of the deviations file.
pub fn annotations(records: &[Record], info: &RunInfo<'_>) -> String {
    let mut out = String::new();
    for r in records {
        match &r.verdict {
            Verdict::Fail => out.push_str(&command(
                "error",
                &r.file,
                first_line(&r.violations),
                &format!("{} failed", r.id),
                &r.problems().join("\n"),
            )),
            Verdict::Error { message } => out.push_str(&command(
                "error",
                &r.file,
                None,
                &format!("{} could not be judged", r.id),
                message,
            )),
            Verdict::KnownDeviation { reasons } => out.push_str(&command(
                "warning",
                &r.file,
                first_line(&r.violations),
                &format!("{}: known deviation", r.id),
                &reasons.join("\n"),
            )),
            Verdict::Pass | Verdict::Skip { .. } | Verdict::NotRun => {}
        }
        if !r.warnings.is_empty() {
            out.push_str(&command(
                "warning",
                &r.file,
                first_line(&r.warnings),
                &format!("{}: advice", r.id),
                &r.advice().join("\n"),
            ));
        }
    }
    if let Some(file) = info.deviations {
        for f in records.iter().flat_map(|r| &r.stale_deviations) {
            out.push_str(&command(
                "error",
                file,
                None,
                &format!("deviation {} {}", f.case, f.check),
                &f.problem,
            ));
        }
    }
    for reason in info.gate {
        out.push_str(&format!(
            "::error title=authconform::{}\n",
            data(&reason.to_string())
        ));
    }
    out
}

/// The Markdown summary: the verdict and why, the tally, the variables skipped cases need,
/// then a table of every case that did not simply pass. Text is put in code spans or escaped,
/// so that Markdown renders it as written.
pub fn summary(records: &[Record], info: &RunInfo<'_>) -> String {
    let t = info.tally;
    let mut out = String::new();
    let word = match (info.interrupted, info.ok()) {
        (Some(_), _) => "INTERRUPTED",
        (None, true) => "passed",
        (None, false) => "FAILED",
    };
    let _ = writeln!(out, "## authconform: {word}\n");
    let _ = writeln!(out, "Target: {}\n", code(info.target));
    for reason in info.gate {
        let _ = writeln!(out, "- **the gate fails**: {}", cell(&reason.to_string()));
    }
    if !info.gate.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "| passed | failed | errors | skipped | not run | known deviations | stale deviations | warnings |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
        t.passed,
        t.failed,
        t.errors,
        t.skipped,
        t.not_run,
        t.known_deviations,
        t.stale_deviations,
        t.warnings
    );
    for hint in info.hints {
        let _ = writeln!(out, "- **hint**: {}", cell(hint));
    }
    if !info.hints.is_empty() {
        out.push('\n');
    }
    if !info.missing.is_empty() {
        let _ = writeln!(out, "Skipped cases need these variables:\n");
        for m in info.missing {
            let ways: Vec<String> = m.set_with.iter().map(|w| code(w)).collect();
            let _ = writeln!(
                out,
                "- {}{}{} ({} case{}): {}",
                code(&m.name),
                m.meaning
                    .as_ref()
                    .map(|t| format!(", {}", cell(t)))
                    .unwrap_or_default(),
                if m.secret { " (secret)" } else { "" },
                m.cases.len(),
                if m.cases.len() == 1 { "" } else { "s" },
                ways.join(", or ")
            );
        }
        out.push('\n');
    }
    let notable: Vec<&Record> = records
        .iter()
        .filter(|r| r.verdict != Verdict::Pass || !r.warnings.is_empty())
        .collect();
    if !notable.is_empty() {
        let _ = writeln!(out, "| case | verdict | detail |");
        let _ = writeln!(out, "|---|---|---|");
        for r in notable {
            let (verdict, detail) = match &r.verdict {
                Verdict::Pass => ("pass (warnings)", r.advice()),
                Verdict::Fail => ("**fail**", r.problems()),
                Verdict::Error { message } => ("**error**", vec![message.clone()]),
                Verdict::Skip { reason, .. } => ("skip", vec![reason.clone()]),
                Verdict::KnownDeviation { reasons } => ("known deviation", reasons.clone()),
                Verdict::NotRun => ("not run", vec!["the run was interrupted first".into()]),
            };
            let detail: Vec<String> = detail.iter().map(|d| cell(d)).collect();
            // In a table even a code span needs its pipes escaped.
            let _ = writeln!(
                out,
                "| {} | {verdict} | {} |",
                code(&r.id).replace('|', "\\|"),
                detail.join("<br>")
            );
        }
    }
    out
}

/// `text` as a Markdown code span, whatever backticks it holds.
fn code(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// `text` in a table cell: Markdown and HTML characters escaped, so that it shows as written.
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' => out.push_str("<br>"),
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_shows_text_as_written() {
        assert_eq!(code("AUTHCONFORM_VAR_<NAME>"), "`AUTHCONFORM_VAR_<NAME>`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(cell("<b>x</b> | *y*"), "&lt;b&gt;x&lt;/b&gt; \\| \\*y\\*");
    }

    #[test]
    fn messages_and_properties_are_escaped_as_github_documents() {
        assert_eq!(
            command(
                "error",
                "cases/a,b.json",
                Some(7),
                "x: y",
                "100% bad\nline 2\r"
            ),
            "::error file=cases/a%2Cb.json,line=7,title=x%3A y::100%25 bad%0Aline 2%0D\n"
        );
    }
}
