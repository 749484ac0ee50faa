//! The HTML report (`--report-html PATH`): one self-contained page (inline CSS and a few lines
//! of inline script, nothing fetched) that people open after a run. The run first (target,
//! gate, counts), then every case in id order: verdict, title, seed row, each check with what
//! it requires and what it got, the request as shown with its `curl` line, and the response.
//! Failures are open, the rest closed; a row of checkboxes filters by verdict (without script
//! everything shows); printed, every case is open. Records are already masked and
//! neutralised; here every piece of text is also escaped for HTML.

use std::fmt::Write;

use crate::{
    check::{CheckOutcome, Outcome},
    record::{Record, Verdict},
    report::RunInfo,
};

/// `&`, `<`, `>`, `"` and `'` as entities: text from a server or a case file is never markup.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The verdict as a word (also the class the filter and the colours key on).
fn kind(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
        Verdict::KnownDeviation { .. } => "known-deviation",
        Verdict::Skip { .. } => "skip",
        Verdict::Error { .. } => "error",
        Verdict::NotRun => "not-run",
    }
}

const KINDS: &[(&str, &str)] = &[
    ("fail", "failed"),
    ("error", "errors"),
    ("known-deviation", "known deviations"),
    ("skip", "skipped"),
    ("not-run", "not run"),
    ("pass", "passed"),
];

const STYLE: &str = r#"
:root { --pass: #1a7f37; --fail: #cf222e; --error: #bc4c00; --skip: #6e7781; --dev: #8250df; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 72rem; padding: 1.5rem; color: #1f2328; }
h1 { font-size: 1.5rem; margin: 0 0 .5rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
code, pre { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: #f6f8fa; border: 1px solid var(--line); padding: .6rem; overflow-x: auto; white-space: pre-wrap; word-break: break-word; margin: .3rem 0; }
table { border-collapse: collapse; margin: .3rem 0; }
th, td { border: 1px solid var(--line); padding: .25rem .5rem; text-align: left; vertical-align: top; }
.gate { font-weight: 600; padding: .5rem .75rem; border-radius: 6px; display: inline-block; }
.gate.ok { background: #dafbe1; color: var(--pass); }
.gate.bad { background: #ffebe9; color: var(--fail); }
.badge { display: inline-block; min-width: 7.5rem; font-weight: 600; }
.v-pass .badge { color: var(--pass); } .v-fail .badge { color: var(--fail); } .v-error .badge { color: var(--error); }
.v-skip .badge, .v-not-run .badge { color: var(--skip); } .v-known-deviation .badge { color: var(--dev); }
details.case { border: 1px solid var(--line); border-left: 6px solid var(--skip); border-radius: 6px; margin: .4rem 0; padding: .3rem .6rem; }
details.v-pass { border-left-color: var(--pass); } details.v-fail { border-left-color: var(--fail); }
details.v-error { border-left-color: var(--error); } details.v-known-deviation { border-left-color: var(--dev); }
summary { cursor: pointer; }
.filters label { margin-right: 1rem; white-space: nowrap; }
.failed td.outcome { color: var(--fail); font-weight: 600; }
.muted { color: #57606a; }
@media print {
  .filters { display: none; }
  details.case { break-inside: avoid; }
  details.case > :not(summary) { display: block !important; }
  pre { white-space: pre-wrap; }
}
"#;

/// Hides the cases of an unchecked verdict; without script every case shows.
const SCRIPT: &str = r#"
document.querySelectorAll('.filters input').forEach(function (box) {
  box.addEventListener('change', function () {
    document.querySelectorAll('details.case.v-' + box.value).forEach(function (c) {
      c.hidden = !box.checked;
    });
  });
});
window.addEventListener('beforeprint', function () {
  document.querySelectorAll('details.case').forEach(function (c) { c.open = true; });
});
"#;

/// The page for `records` (already fit for output, and sorted).
pub fn render(records: &[Record], info: &RunInfo<'_>) -> String {
    let mut page = String::new();
    let verdict = if info.interrupted.is_some() {
        "INTERRUPTED"
    } else if info.ok() {
        "ok"
    } else {
        "FAILED"
    };
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>authconform: {} against {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(verdict),
        esc(info.target)
    );
    summary(&mut page, records, info, verdict);
    let _ = writeln!(page, "<h2>Cases</h2>");
    for record in records {
        case(&mut page, record);
    }
    let _ = write!(page, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    page
}

fn summary(page: &mut String, records: &[Record], info: &RunInfo<'_>, verdict: &str) {
    let t = &info.tally;
    let _ = writeln!(page, "<h1>authconform {}</h1>", env!("CARGO_PKG_VERSION"));
    let class = if info.ok() { "ok" } else { "bad" };
    let _ = writeln!(
        page,
        "<p><span class=\"gate {class}\">gate: {}</span></p>",
        esc(verdict)
    );
    let _ = writeln!(page, "<table>");
    let mut row = |name: &str, value: &str| {
        let _ = writeln!(page, "<tr><th>{}</th><td>{}</td></tr>", esc(name), value);
    };
    row("target", &esc(info.target));
    row("cases", &esc(info.cases));
    row("schemas", &esc(info.schemas));
    if let Some(file) = info.deviations {
        row("known deviations", &esc(file));
    }
    if let Some(signal) = info.interrupted {
        row("interrupted by", &esc(signal));
    }
    row(
        "result",
        &format!(
            "{} passed, {} failed, {} errors, {} skipped, {} known deviations, {} not run, {} warnings",
            t.passed, t.failed, t.errors, t.skipped, t.known_deviations, t.not_run, t.warnings
        ),
    );
    row("time", &format!("{:.2} s", info.elapsed.as_secs_f64()));
    let _ = writeln!(page, "</table>");
    if !info.gate.is_empty() {
        let _ = writeln!(page, "<h2>Why the gate fails</h2>\n<ul>");
        for reason in info.gate {
            let _ = writeln!(page, "<li>{}</li>", esc(&reason.to_string()));
        }
        let _ = writeln!(page, "</ul>");
    }
    if !info.missing.is_empty() {
        let _ = writeln!(page, "<h2>Skipped for want of a variable</h2>\n<ul>");
        for m in info.missing {
            let _ = writeln!(
                page,
                "<li><code>{}</code>{}: {}</li>",
                esc(&m.name),
                if m.secret { " (secret)" } else { "" },
                esc(m.meaning.as_deref().unwrap_or("")),
            );
        }
        let _ = writeln!(page, "</ul>");
    }
    for hint in info.hints {
        let _ = writeln!(page, "<p class=\"muted\">hint: {}</p>", esc(hint));
    }
    let _ = write!(page, "<p class=\"filters\">show: ");
    for (kind, label) in KINDS {
        let count = records
            .iter()
            .filter(|r| self::kind(&r.verdict) == *kind)
            .count();
        if count > 0 {
            let _ = write!(
                page,
                "<label><input type=\"checkbox\" value=\"{kind}\" checked> {label} ({count})</label>"
            );
        }
    }
    let _ = writeln!(page, "</p>");
}

fn case(page: &mut String, r: &Record) {
    let kind = kind(&r.verdict);
    let open = if matches!(r.verdict, Verdict::Fail | Verdict::Error { .. }) {
        " open"
    } else {
        ""
    };
    let _ = writeln!(
        page,
        "<details class=\"case v-{kind}\" id=\"{}\"{open}>\n<summary><span class=\"badge\">{}</span> <code>{}</code> {}</summary>",
        esc(&r.id),
        esc(&kind.replace('-', " ")),
        esc(&r.id),
        esc(&r.title)
    );
    let _ = writeln!(
        page,
        "<p>documents: <code>{}</code> · case file: <code>{}</code> · {:.1} ms · {} request{}</p>",
        esc(&r.documents.summary()),
        esc(&r.file),
        r.elapsed.as_secs_f64() * 1000.0,
        r.attempts,
        if r.attempts == 1 { "" } else { "s" }
    );
    match &r.verdict {
        Verdict::Skip { reason, .. } => {
            let _ = writeln!(page, "<p>skipped: {}</p>", esc(reason));
        }
        Verdict::Error { message } => {
            let _ = writeln!(page, "<p>error: {}</p>", esc(message));
        }
        Verdict::KnownDeviation { reasons } => {
            for reason in reasons {
                let _ = writeln!(page, "<p>known deviation: {}</p>", esc(reason));
            }
        }
        _ => {}
    }
    for stale in &r.stale_deviations {
        let _ = writeln!(
            page,
            "<p>known deviation <code>{}</code>: {}</p>",
            esc(&stale.check.to_string()),
            esc(&stale.problem)
        );
    }
    if !r.checks.is_empty() {
        checks(page, r, &r.checks);
    }
    if let Some(request) = &r.request {
        let _ = writeln!(
            page,
            "<h3>Request</h3>\n<pre>{} {}</pre>\n<pre>{}</pre>",
            esc(&request.method),
            esc(&request.url),
            esc(&request.curl)
        );
    }
    if let Some(response) = &r.response {
        let _ = writeln!(
            page,
            "<h3>Response</h3>\n<p>status {} · {} bytes{}</p>",
            response.status,
            response.body_bytes,
            if response.truncated {
                " (cut at the read limit)"
            } else {
                ""
            }
        );
        if !response.headers.is_empty() {
            let _ = writeln!(page, "<table>");
            for (name, value) in &response.headers {
                let _ = writeln!(
                    page,
                    "<tr><th><code>{}</code></th><td><code>{}</code></td></tr>",
                    esc(name),
                    esc(value)
                );
            }
            let _ = writeln!(page, "</table>");
        }
        if !response.body_preview.is_empty() {
            let body = serde_json::from_str::<serde_json::Value>(&response.body_preview)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .unwrap_or_else(|| response.body_preview.clone());
            let _ = writeln!(page, "<pre>{}</pre>", esc(&body));
        }
    }
    let _ = writeln!(page, "</details>");
}

fn checks(page: &mut String, r: &Record, outcomes: &[CheckOutcome]) {
    let _ = writeln!(
        page,
        "<h3>Checks</h3>\n<table>\n<tr><th>check</th><th>requires</th><th>outcome</th><th>expected</th><th>actual</th></tr>"
    );
    for c in outcomes {
        let name = c.check.to_string();
        let found = r
            .violations
            .iter()
            .chain(&r.warnings)
            .find(|v| v.check == c.check);
        let outcome = match (c.outcome, c.advisory) {
            (Outcome::Passed, _) => "passed",
            (Outcome::Failed, false) => "FAILED",
            (Outcome::Failed, true) => "warning",
            (Outcome::NotEvaluated, _) => "not evaluated",
        };
        let value = |v: Option<&serde_json::Value>| {
            v.map(|v| format!("<code>{}</code>", esc(&v.to_string())))
                .unwrap_or_default()
        };
        let class = if c.outcome == Outcome::Failed {
            " class=\"failed\""
        } else {
            ""
        };
        let _ = writeln!(
            page,
            "<tr{class}><td><code>{}</code>{}</td><td>{}</td><td class=\"outcome\">{}</td><td>{}</td><td>{}{}</td></tr>",
            esc(&name),
            if c.advisory {
                " <span class=\"muted\">(advice)</span>"
            } else {
                ""
            },
            esc(&c.requires),
            outcome,
            value(found.and_then(|v| v.expected.as_ref())),
            value(found.and_then(|v| v.actual.as_ref())),
            found
                .map(|v| format!("<br><span class=\"muted\">{}</span>", esc(&v.message)))
                .unwrap_or_default(),
        );
    }
    let _ = writeln!(page, "</table>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_never_markup() {
        assert_eq!(
            esc(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn verdicts_have_a_word_and_a_filter_each() {
        for verdict in [
            Verdict::Pass,
            Verdict::Fail,
            Verdict::KnownDeviation { reasons: vec![] },
            Verdict::Skip {
                reason: String::new(),
                missing: vec![],
            },
            Verdict::Error {
                message: String::new(),
            },
            Verdict::NotRun,
        ] {
            assert!(KINDS.iter().any(|(k, _)| *k == kind(&verdict)));
        }
    }
}
