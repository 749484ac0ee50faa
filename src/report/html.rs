//! The HTML report (`--report-html PATH`): one self-contained page that people open after a run.
//! Nothing is fetched (inline CSS, a few lines of inline script that only help printing), and it
//! reads the same without script. The run first (gate and why it fails, counts, timing, the
//! variables skipped cases need), then every case in id order: verdict, title, seed row, refs,
//! each check with what it requires, expected and actual, the request as shown with its `curl`
//! line, and the response. Failures are open, the rest closed; a row of checkboxes filters by
//! verdict in CSS alone; printed, every case is open and the controls are gone.
//!
//! Records are already masked and neutralised; here every piece of text is also escaped for
//! HTML, and only `http`/`https` refs become links.

use std::fmt::Write;

use crate::{
    base::redact::neutralise,
    checks::check::{CheckId, Outcome, Violation},
    records::record::{
        BODY_PREVIEW, NOT_RUN_WHY, Record, ResponseSummary, Verdict, VerdictKind, plural,
    },
    report::{MissingVariable, RunInfo, Tally},
};

/// One table row per name and value, both as code.
fn kv_rows<'a>(page: &mut String, pairs: impl IntoIterator<Item = &'a (String, String)>) {
    for (name, value) in pairs {
        let _ = writeln!(
            page,
            "<tr><th><code>{}</code></th><td><code>{}</code></td></tr>",
            esc(name),
            esc(value)
        );
    }
}

/// `&`, `<`, `>`, `"` and `'` as entities: text from a server or a case file is never markup,
/// in an element or in an attribute.
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

/// Every verdict in the order the page lists them (what needs attention first), with a
/// symbol, so that colour is never the only sign. Their words are the verdicts' own.
const KINDS: &[(VerdictKind, &str)] = &[
    (VerdictKind::Fail, "✗"),
    (VerdictKind::Error, "⚠"),
    (VerdictKind::KnownDeviation, "≈"),
    (VerdictKind::Skip, "–"),
    (VerdictKind::NotApplicable, "∅"),
    (VerdictKind::NotRun, "○"),
    (VerdictKind::Pass, "✓"),
];

/// A verdict's class name on the page.
fn class(kind: VerdictKind) -> String {
    kind.name().replace('_', "-")
}

fn symbol(kind: VerdictKind) -> &'static str {
    KINDS
        .iter()
        .find(|k| k.0 == kind)
        .map(|k| k.1)
        .expect("every verdict is in KINDS")
}

fn badge(verdict: &Verdict) -> String {
    let kind = verdict.sort();
    format!(
        "<span class=\"badge b-{}\"><span aria-hidden=\"true\">{}</span> {}</span>",
        class(kind),
        symbol(kind),
        kind.label()
    )
}

/// The filter is CSS alone (a checkbox before the cases, `:not(:checked) ~`), so that it works
/// without script too; every box starts checked, so everything shows until one is cleared.
const STYLE: &str = include_str!("assets/report.css");

/// Browsers without `::details-content` (a 2024 selector) cannot open a closed `<details>`
/// from a print style sheet: this opens them for printing and closes them again after.
const SCRIPT: &str = include_str!("assets/report.js");

/// The page for `records` (already fit for output, and sorted).
pub fn render(records: &[Record], info: &RunInfo<'_>) -> String {
    let mut page = String::with_capacity(16 * 1024 + records.len() * 4 * 1024);
    let word = if info.interrupted.is_some() {
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
         <meta name=\"generator\" content=\"authconform {version}\">\n\
         <title>authconform: {word}, {passed} of {selected} passed: {target}</title>\n\
         <style>\n{STYLE}</style>\n</head>\n<body>\n",
        version = env!("CARGO_PKG_VERSION"),
        passed = info.tally.passed,
        selected = info.tally.selected(),
        target = esc(info.target),
    );
    run(&mut page, records, info);
    cases(&mut page, records, &info.tally);
    let _ = write!(page, "<script>\n{SCRIPT}</script>\n</body>\n</html>\n");
    page
}

/// The run: the gate and why it fails, the counts, the facts, the failures at a glance, the
/// variables skipped cases need, and the hints.
fn run(page: &mut String, records: &[Record], info: &RunInfo<'_>) {
    header(page, info);
    let _ = writeln!(page, "<main>");
    let _ = writeln!(
        page,
        "<section aria-labelledby=\"run\">\n<h2 id=\"run\">Run</h2>"
    );
    counts(page, &info.tally);
    run_facts(page, records, info);
    let _ = writeln!(page, "</section>");
    failures(page, records);
    missing(page, info.missing);
    hints(page, info.hints);
}

/// The title line and the gate, which is what a reader opens the page for.
fn header(page: &mut String, info: &RunInfo<'_>) {
    let t = &info.tally;
    let _ = writeln!(
        page,
        "<header>\n<h1>authconform report</h1>\n<p class=\"sub\">authconform {} · target <code>{}</code> · {} · {:.2} s</p>",
        env!("CARGO_PKG_VERSION"),
        esc(info.target),
        plural(t.selected(), "case"),
        info.elapsed.as_secs_f64(),
    );
    if info.ok() {
        let _ = writeln!(
            page,
            "<div class=\"gate gate-ok\"><p><span aria-hidden=\"true\">✓</span> The gate passes</p></div>"
        );
    } else {
        let _ = writeln!(
            page,
            "<div class=\"gate gate-bad\"><p><span aria-hidden=\"true\">✗</span> The gate fails{}</p>\n<ul>",
            info.interrupted
                .map(|s| format!(": the run was interrupted by {}", esc(s)))
                .unwrap_or_default()
        );
        for reason in info.gate {
            let _ = writeln!(page, "<li>{}</li>", esc(&reason.to_string()));
        }
        let _ = writeln!(page, "</ul></div>");
    }
    let _ = writeln!(page, "</header>");
}

/// One tile per verdict, a zero dimmed rather than left out, so that the row has the same
/// shape on every run; then the warnings.
fn counts(page: &mut String, t: &Tally) {
    let _ = writeln!(page, "<ul class=\"counts\">");
    for &(kind, symbol) in KINDS {
        let n = t.count(kind);
        let (class, plural) = (class(kind), kind.group());
        let _ = writeln!(
            page,
            "<li class=\"v-{class}{}\"><span class=\"n\">{n}</span><span aria-hidden=\"true\">{symbol}</span> {plural}</li>",
            if n == 0 { " zero" } else { "" }
        );
    }
    let _ = writeln!(
        page,
        "<li class=\"{}\"><span class=\"n\">{}</span>warnings</li>\n</ul>",
        if t.warnings == 0 { "zero" } else { "v-error" },
        t.warnings
    );
}

/// What was run against what: the inputs, what `--discover` found, an interruption, the
/// requests and the time.
fn run_facts(page: &mut String, records: &[Record], info: &RunInfo<'_>) {
    let t = &info.tally;
    let _ = writeln!(page, "<dl class=\"facts\">");
    let fact = |page: &mut String, name: &str, value: &str| {
        let _ = writeln!(page, "<dt>{name}</dt><dd>{value}</dd>");
    };
    fact(
        page,
        "target",
        &format!("<code>{}</code>", esc(info.target)),
    );
    fact(page, "cases", &esc(info.cases));
    fact(page, "schemas", &esc(info.schemas));
    if let Some(file) = info.deviations {
        let stale = if t.stale_deviations > 0 {
            format!(
                " ({} no longer hold{})",
                plural(t.stale_deviations, "entry"),
                if t.stale_deviations == 1 { "s" } else { "" }
            )
        } else {
            String::new()
        };
        fact(
            page,
            "known deviations",
            &format!("<code>{}</code>{stale}", esc(file)),
        );
    }
    if let Some(found) = info.discovered {
        let mut endpoints = format!("<code>{}</code>", esc(&found.document));
        for (name, value) in &found.endpoints {
            let _ = write!(
                endpoints,
                "<br><code>{}</code> = <code>{}</code>",
                esc(name),
                esc(value)
            );
        }
        fact(page, "discovered", &endpoints);
    }
    if let Some(signal) = info.interrupted {
        let what = match t.not_run {
            0 => "before any case was sent".to_owned(),
            1 => "1 case not run".to_owned(),
            n => format!("{n} cases not run"),
        };
        fact(page, "interrupted", &format!("by {}: {what}", esc(signal)));
    }
    fact(page, "requests sent", &requests_sent(records));
    fact(
        page,
        "time",
        &format!("{:.2} s", info.elapsed.as_secs_f64()),
    );
    let _ = writeln!(page, "</dl>");
}

/// Every request sent, those sent again included, and the pauses before them, which explain a
/// run slower than its cases.
fn requests_sent(records: &[Record]) -> String {
    let requests: u64 = records.iter().map(|r| u64::from(r.attempts)).sum();
    let waits: Vec<_> = records.iter().flat_map(|r| &r.waits).collect();
    let mut sent = format!("{requests}");
    if !waits.is_empty() {
        let waited: f64 = waits.iter().map(|w| w.duration.as_secs_f64()).sum();
        let _ = write!(
            sent,
            " (after {}, {waited:.1} s in all)",
            plural(waits.len(), "wait")
        );
    }
    sent
}

/// The failed and errored cases at a glance, each with its first reason and a link to it,
/// so that nobody scrolls through the passes to find them.
fn failures(page: &mut String, records: &[Record]) {
    let failed: Vec<&Record> = records
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Fail | Verdict::Error { .. }))
        .collect();
    if failed.is_empty() {
        return;
    }
    let _ = writeln!(
        page,
        "<section aria-labelledby=\"failures\">\n<h2 id=\"failures\">Failures</h2>\n<ul>"
    );
    for r in failed {
        let why = match &r.verdict {
            Verdict::Error { message } => message.clone(),
            _ => r.problems().into_iter().next().unwrap_or_default(),
        };
        let _ = writeln!(
            page,
            "<li>{} <a href=\"#{}\"><code>{}</code></a>: {}</li>",
            badge(&r.verdict),
            esc(&anchor(&r.id)),
            esc(&r.id),
            esc(&why)
        );
    }
    let _ = writeln!(page, "</ul>\n</section>");
}

/// The variables skipped cases need: what each is, which cases it would run, and how to set
/// it.
fn missing(page: &mut String, missing: &[MissingVariable]) {
    if missing.is_empty() {
        return;
    }
    let _ = writeln!(
        page,
        "<section aria-labelledby=\"missing\">\n<h2 id=\"missing\">Skipped: variables this run does not set</h2>\n\
         <table>\n<tr><th>variable</th><th>what it is</th><th>cases</th><th>set it with</th></tr>"
    );
    for m in missing {
        let mut what = esc(m.meaning.as_deref().unwrap_or(""));
        if m.secret {
            what.push_str(" <strong>(secret)</strong>");
        }
        if let Some(how) = &m.on_auth0 {
            let _ = write!(
                what,
                "<br><span class=\"muted\">on Auth0: {}</span>",
                esc(how)
            );
        }
        let cases: Vec<String> = m
            .cases
            .iter()
            .map(|id| {
                format!(
                    "<a href=\"#{}\"><code>{}</code></a>",
                    esc(&anchor(id)),
                    esc(id)
                )
            })
            .collect();
        let set_with: Vec<String> = m
            .set_with
            .iter()
            .map(|s| format!("<code class=\"nowrap\">{}</code>", esc(s)))
            .collect();
        let _ = writeln!(
            page,
            "<tr><td><code>{}</code></td><td>{what}</td><td>{}</td><td>{}</td></tr>",
            esc(&m.name),
            cases.join("<br>"),
            set_with.join("<br>or ")
        );
    }
    let _ = writeln!(page, "</table>\n</section>");
}

/// What the responses suggest about the target itself.
fn hints(page: &mut String, hints: &[String]) {
    if hints.is_empty() {
        return;
    }
    let _ = writeln!(
        page,
        "<section aria-labelledby=\"hints\">\n<h2 id=\"hints\">Hints</h2>\n<ul>"
    );
    for hint in hints {
        let _ = writeln!(page, "<li>{}</li>", esc(hint));
    }
    let _ = writeln!(page, "</ul>\n</section>");
}

/// A case's element id: its id, which the filter's `show-…` ids and the page's section ids
/// cannot collide with.
fn anchor(id: &str) -> String {
    let id: String = id
        .chars()
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .collect();
    format!("case-{id}")
}

/// The filter, then every case.
fn cases(page: &mut String, records: &[Record], tally: &Tally) {
    let _ = writeln!(
        page,
        "<section aria-labelledby=\"cases\">\n<h2 id=\"cases\">Cases</h2>"
    );
    let _ = writeln!(page, "<span class=\"show-label\">Show:</span>");
    for &(kind, symbol) in KINDS {
        let n = tally.count(kind);
        let (class, plural) = (class(kind), kind.group());
        if n > 0 {
            let _ = writeln!(
                page,
                "<input type=\"checkbox\" class=\"show\" id=\"show-{class}\" value=\"{class}\" checked>\
                 <label for=\"show-{class}\"><span class=\"badge b-{class}\"><span aria-hidden=\"true\">{symbol}</span> {plural}</span> {n}</label>"
            );
        }
    }
    for r in records {
        case(page, r);
    }
    let _ = writeln!(page, "</section>\n</main>");
}

fn case(page: &mut String, r: &Record) {
    let class = class(r.verdict.sort());
    let open = if matches!(r.verdict, Verdict::Fail | Verdict::Error { .. }) {
        " open"
    } else {
        ""
    };
    let _ = writeln!(
        page,
        "<details class=\"case v-{class}\" id=\"{}\"{open}>\n<summary><h3>{} <code class=\"id\">{}</code> {}</h3></summary>\n<div class=\"case-body\">",
        esc(&anchor(&r.id)),
        badge(&r.verdict),
        esc(&r.id),
        esc(&r.title)
    );
    facts(page, r);
    notes(page, r);
    if !r.checks.is_empty() || !r.violations.is_empty() || !r.warnings.is_empty() {
        checks(page, r);
    }
    if let Some(request) = &r.request {
        let _ = writeln!(
            page,
            "<h4>Request</h4>\n<p><code><strong>{}</strong> {}</code></p>",
            esc(&request.method),
            esc(&request.url)
        );
        if let Some(sent) = Sent::read(&request.curl) {
            sent.show(page);
        }
        let _ = writeln!(
            page,
            "<p class=\"muted\">Reproduce it with curl (secrets show as <code>***</code>):</p>\n<pre class=\"curl\">{}</pre>",
            esc(&request.curl)
        );
    }
    if let Some(response) = &r.response {
        self::response(page, response);
    }
    let _ = writeln!(page, "</div>\n</details>");
}

/// The seed row, the case file, timing and requests, and the refs.
fn facts(page: &mut String, r: &Record) {
    let _ = writeln!(page, "<dl class=\"facts\">");
    let _ = writeln!(
        page,
        "<dt>documents</dt><dd><code>{}</code></dd>\n<dt>case file</dt><dd><code>{}</code></dd>",
        esc(&r.documents.summary()),
        esc(&r.file)
    );
    if r.attempts > 0 {
        let mut took = format!(
            "{:.1} ms, {}",
            r.elapsed.as_secs_f64() * 1000.0,
            plural(r.attempts as usize, "request")
        );
        for w in &r.waits {
            let why = match w.reason {
                crate::records::record::WaitReason::RateLimited => "an unexpected 429",
                crate::records::record::WaitReason::ConnectionRefused => "a refused connection",
            };
            let _ = write!(
                took,
                "; waited {:.1} s after {why}",
                w.duration.as_secs_f64()
            );
        }
        let _ = writeln!(page, "<dt>time</dt><dd>{took}</dd>");
    }
    if let Some(note) = &r.rate_limit {
        let _ = writeln!(page, "<dt>rate limit</dt><dd>{}</dd>", esc(note));
    }
    if let Some(branch) = &r.branch {
        let _ = writeln!(page, "<dt>branch</dt><dd>{}</dd>", esc(&branch.describe()));
    }
    if !r.refs.is_empty() {
        let refs: Vec<String> = r.refs.iter().map(|href| reference(href)).collect();
        let _ = writeln!(page, "<dt>refs</dt><dd>{}</dd>", refs.join("<br>"));
    }
    let _ = writeln!(page, "</dl>");
}

/// A ref as a link when it is an `http(s)` URL; anything else (a `javascript:` URL, a
/// relative path, prose) stays text.
fn reference(href: &str) -> String {
    match url::Url::parse(href) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => format!(
            "<a class=\"ref\" href=\"{}\" rel=\"noreferrer\">{}</a>",
            esc(url.as_str()),
            esc(href)
        ),
        _ => format!("<code>{}</code>", esc(href)),
    }
}

/// What the verdict itself says beyond the checks.
fn notes(page: &mut String, r: &Record) {
    let note = |page: &mut String, class: &str, text: &str| {
        let _ = writeln!(page, "<p class=\"note v-{class}\">{text}</p>");
    };
    match &r.verdict {
        Verdict::Skip { reason, .. } => note(page, "skip", &format!("Skipped: {}", esc(reason))),
        Verdict::NotApplicable { reason, .. } => note(
            page,
            "not-applicable",
            &format!("Not applicable: {}", esc(reason)),
        ),
        Verdict::Error { message } => note(
            page,
            "error",
            &format!("Could not be judged: {}", esc(message)),
        ),
        Verdict::NotRun => note(page, "not-run", &format!("Not run: {NOT_RUN_WHY}.")),
        Verdict::KnownDeviation { reasons } => {
            for reason in reasons {
                note(
                    page,
                    "known-deviation",
                    &format!("Known deviation, accepted: {}", esc(reason)),
                );
            }
        }
        Verdict::Pass | Verdict::Fail => {}
    }
    for stale in &r.stale_deviations {
        note(
            page,
            "fail",
            &format!(
                "Known-deviations entry <code>{}</code>: {}",
                esc(&stale.check.to_string()),
                esc(&stale.problem)
            ),
        );
    }
}

/// Every check with its outcome; under a violated one, each violation's expected and actual
/// values and its message. A violation of a check that is not in the list (the body could not
/// be read at all) gets a row of its own.
fn checks(page: &mut String, r: &Record) {
    let _ = writeln!(
        page,
        "<h4>Checks</h4>\n<table class=\"checks\">\n<tr><th>outcome</th><th>check</th><th>requires</th><th>expected</th><th>actual</th></tr>"
    );
    let found = |check: &CheckId| -> Vec<&Violation> {
        r.violations
            .iter()
            .chain(&r.warnings)
            .filter(|v| &v.check == check)
            .collect()
    };
    // A known deviation is one whose every violation the deviations file accepts.
    let accepted = matches!(r.verdict, Verdict::KnownDeviation { .. });
    let mut rows: Vec<(&str, &str, String, &str, Vec<&Violation>)> = r
        .checks
        .iter()
        .map(|c| {
            let (class, outcome) = match (c.outcome, c.advisory) {
                (Outcome::Passed, _) => ("passed", "✓ passed"),
                (Outcome::Failed, false) if accepted => ("accepted", "≈ accepted"),
                (Outcome::Failed, false) => ("failed", "✗ failed"),
                (Outcome::Failed, true) => ("warning", "! warning"),
                (Outcome::NotEvaluated, _) => ("not-evaluated", "– not evaluated"),
            };
            let name = if c.advisory {
                format!(
                    "<code>{}</code> <span class=\"muted\">(advice)</span>",
                    esc(&c.check.to_string())
                )
            } else {
                format!("<code>{}</code>", esc(&c.check.to_string()))
            };
            (class, outcome, name, c.requires.as_str(), found(&c.check))
        })
        .collect();
    let listed = |v: &Violation| r.checks.iter().any(|c| c.check == v.check);
    for v in r.violations.iter().filter(|v| !listed(v)) {
        let name = format!("<code>{}</code>", esc(&v.check.to_string()));
        let (class, outcome) = if accepted {
            ("accepted", "≈ accepted")
        } else {
            ("failed", "✗ failed")
        };
        rows.push((class, outcome, name, "", vec![v]));
    }
    for v in r.warnings.iter().filter(|v| !listed(v)) {
        let name = format!("<code>{}</code>", esc(&v.check.to_string()));
        rows.push(("warning", "! warning", name, "", vec![v]));
    }
    for (class, outcome, name, requires, violations) in rows {
        if violations.is_empty() {
            let _ = writeln!(
                page,
                "<tr class=\"o-{class}\"><td class=\"outcome\">{outcome}</td><td>{name}</td><td>{}</td><td></td><td></td></tr>",
                esc(requires)
            );
        }
        for (i, v) in violations.iter().enumerate() {
            let (outcome, name, requires) = if i == 0 {
                (outcome, name.as_str(), esc(requires))
            } else {
                ("", "", String::new())
            };
            let _ = writeln!(
                page,
                "<tr class=\"o-{class} has-why\"><td class=\"outcome\">{outcome}</td><td>{name}</td><td>{requires}</td><td>{}</td><td>{}</td></tr>",
                value(v.expected.as_ref()),
                value(v.actual.as_ref())
            );
            let mut why = esc(&v.message);
            if let Some(at) = &v.at {
                let _ = write!(
                    why,
                    " <span class=\"muted\">at <code>{}</code></span>",
                    esc(if at.is_empty() { "(root)" } else { at })
                );
            }
            if let Some(line) = v.line {
                let _ = write!(why, " <span class=\"muted\">(case file line {line})</span>");
            }
            let _ = writeln!(
                page,
                "<tr class=\"why o-{class}\"><td></td><td colspan=\"4\">{why}</td></tr>"
            );
        }
    }
    let _ = writeln!(page, "</table>");
}

/// An expected or actual value as JSON. Its strings were neutralised once, for every report
/// ([`Record::for_output`]), so they are written as they are, as the terminal quotes them: JSON's
/// own escaping would show each `\u{1b}` as `\\u{1b}`. Neutralised again all the same, so that
/// no value shown here can hold a control or bidi character, however the record was made.
fn value(v: Option<&serde_json::Value>) -> String {
    v.map(|v| format!("<code>{}</code>", esc(&neutralise(&shown(v), false))))
        .unwrap_or_default()
}

/// `v` written as compact JSON, but with its strings (and member names) as they are, quotes
/// escaped.
fn shown(v: &serde_json::Value) -> String {
    use serde_json::Value;
    let quoted = |s: &str| format!("\"{}\"", s.replace('"', "\\\""));
    match v {
        Value::String(s) => quoted(s),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(shown).collect();
            format!("[{}]", items.join(","))
        }
        Value::Object(members) => {
            let members: Vec<String> = members
                .iter()
                .map(|(name, v)| format!("{}:{}", quoted(name), shown(v)))
                .collect();
            format!("{{{}}}", members.join(","))
        }
        other => other.to_string(),
    }
}

fn response(page: &mut String, response: &ResponseSummary) {
    let reason = http::StatusCode::from_u16(response.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .map(|r| format!(" {r}"))
        .unwrap_or_default();
    let mut size = format!("{} bytes", response.body_bytes);
    if response.truncated {
        size = format!(
            "more than {} bytes: the read stopped at the body limit",
            response.body_bytes
        );
    }
    if response.body_bytes > BODY_PREVIEW
        && response.body_preview.ends_with(crate::base::redact::CUT)
    {
        let _ = write!(size, "; the first {BODY_PREVIEW} bytes are shown");
    }
    let _ = writeln!(
        page,
        "<h4>Response</h4>\n<p><strong>{}{}</strong> · {size}</p>",
        response.status,
        esc(&reason)
    );
    if !response.headers.is_empty() {
        let _ = writeln!(page, "<table class=\"kv\">");
        kv_rows(page, &response.headers);
        let _ = writeln!(
            page,
            "</table>\n<p class=\"muted screen-only\">The headers shown are the usual ones and those the checks read.</p>"
        );
    }
    if !response.body_preview.is_empty() {
        let _ = writeln!(
            page,
            "<pre class=\"body\">{}</pre>",
            esc(&pretty(&response.body_preview))
        );
    }
}

/// `text` laid out with one member a line when it is JSON. Only the white space between tokens
/// changes: strings stay as they came (escapes and all), so that what was masked or neutralised
/// stays so, where decoding and encoding again could turn `\u0073ecret` back into `secret`.
fn pretty(text: &str) -> String {
    if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push(c);
                let mut escaped = false;
                for c in chars.by_ref() {
                    out.push(c);
                    match c {
                        _ if escaped => escaped = false,
                        '\\' => escaped = true,
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '{' | '[' => {
                out.push(c);
                while chars.next_if(|c| c.is_whitespace()).is_some() {}
                if let Some(close) = chars.next_if(|c| matches!(c, '}' | ']')) {
                    out.push(close);
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

/// The request's headers and body, read back from its curl line. A record keeps the request as
/// shown (method, URL, curl line, secrets as `***`) and nothing else; the line is written by
/// `Prepared::curl` in one fixed shape, so it is read back here rather than kept twice. A line
/// of any other shape gives `None`, and the page shows the curl line alone.
#[derive(Debug, Default, PartialEq)]
struct Sent {
    basic: Option<String>,
    headers: Vec<(String, String)>,
    form: Vec<(String, String)>,
    raw: Option<String>,
}

impl Sent {
    fn read(curl: &str) -> Option<Sent> {
        let mut words = shell_words(curl)?.into_iter();
        if words.next()? != "curl" {
            return None;
        }
        let mut sent = Sent::default();
        while let Some(word) = words.next() {
            match word.as_str() {
                "-i" => {}
                "-X" => {
                    words.next()?;
                }
                "-u" => sent.basic = Some(words.next()?),
                "-H" => {
                    let header = words.next()?;
                    let (name, value) = header.split_once(':')?;
                    sent.headers
                        .push((name.trim().to_owned(), value.trim_start().to_owned()));
                }
                "--data-urlencode" => {
                    let field = words.next()?;
                    let (name, value) = field.split_once('=')?;
                    let name = url::form_urlencoded::parse(name.as_bytes())
                        .next()
                        .map(|(name, _)| name.into_owned())
                        .unwrap_or_default();
                    sent.form.push((name, value.to_owned()));
                }
                "--data-raw" => sent.raw = Some(words.next()?),
                flag if flag.starts_with('-') => return None,
                // The URL, shown above already.
                _ => {}
            }
        }
        Some(sent)
    }

    fn show(&self, page: &mut String) {
        if self.basic.is_some() || !self.headers.is_empty() {
            let _ = writeln!(page, "<table class=\"kv\">");
            if let Some(credentials) = &self.basic {
                let _ = writeln!(
                    page,
                    "<tr><th><code>authorization</code></th><td><code>Basic</code> with <code>{}</code> <span class=\"muted\">(user:password, sent base64-encoded)</span></td></tr>",
                    esc(credentials)
                );
            }
            kv_rows(page, &self.headers);
            let _ = writeln!(page, "</table>");
        }
        if !self.form.is_empty() {
            let _ = writeln!(
                page,
                "<p class=\"muted\">Form body (<code>application/x-www-form-urlencoded</code>):</p>\n<table class=\"kv\">"
            );
            kv_rows(page, &self.form);
            let _ = writeln!(page, "</table>");
        }
        if let Some(body) = &self.raw {
            let _ = writeln!(
                page,
                "<p class=\"muted\">Body:</p>\n<pre class=\"body\">{}</pre>",
                esc(&pretty(body))
            );
        }
    }
}

/// A POSIX shell line split into words, for the quoting `Prepared::curl` writes (single quotes,
/// `'\''` for a quote inside); `None` for an unterminated quote.
fn shell_words(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' => words.extend(word.take()),
            '\'' => {
                let word = word.get_or_insert_with(String::new);
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => word.push(c),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).push(chars.next()?),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Some(words)
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
    fn only_http_refs_are_links() {
        assert_eq!(
            reference("https://www.rfc-editor.org/rfc/rfc6749#section-5.2"),
            "<a class=\"ref\" href=\"https://www.rfc-editor.org/rfc/rfc6749#section-5.2\" rel=\"noreferrer\">https://www.rfc-editor.org/rfc/rfc6749#section-5.2</a>"
        );
        for text in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "data:text/html,<b>x</b>",
            "RFC 6749 §5.2",
            "/docs/x",
        ] {
            assert!(!reference(text).contains("href"), "{text}");
        }
        assert!(reference("https://x.example/\"><script>").contains("%22%3E%3Cscript%3E"));
    }

    #[test]
    fn json_is_laid_out_without_decoding_strings() {
        assert_eq!(
            pretty(r#"{"error":"a\u0073\"{,}","n":[1, {}],"e":[]}"#),
            "{\n  \"error\": \"a\\u0073\\\"{,}\",\n  \"n\": [\n    1,\n    {}\n  ],\n  \"e\": []\n}"
        );
        assert_eq!(pretty("not json {"), "not json {");
        assert_eq!(pretty("{\"cut\": \"ab…"), "{\"cut\": \"ab…");
    }

    #[test]
    fn the_curl_line_is_read_back_or_not_at_all() {
        let sent = Sent::read(
            r#"curl -i -X POST 'http://h/t?a=b%26c' -u 'cid:***' -H 'x-id: it'\''s' --data-urlencode grant_type=client_credentials --data-urlencode 'a%20b=c d'"#,
        )
        .unwrap();
        assert_eq!(
            sent,
            Sent {
                basic: Some("cid:***".into()),
                headers: vec![("x-id".into(), "it's".into())],
                form: vec![
                    ("grant_type".into(), "client_credentials".into()),
                    ("a b".into(), "c d".into())
                ],
                raw: None,
            }
        );
        let json = Sent::read(
            r#"curl -i -X POST http://h/ -H 'content-type: application/json' --data-raw '{"a":1}'"#,
        )
        .unwrap();
        assert_eq!(json.raw.as_deref(), Some(r#"{"a":1}"#));
        assert_eq!(Sent::read("curl -i http://h/"), Some(Sent::default()));
        assert_eq!(Sent::read("curl -i --compressed http://h/"), None);
        assert_eq!(Sent::read("curl -i 'http://h/"), None);
        assert_eq!(Sent::read("wget http://h/"), None);
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
            let class = class(verdict.sort());
            assert!(STYLE.contains(&format!("#show-{class}:not(:checked) ~ .v-{class}")));
            assert!(STYLE.contains(&format!(".b-{class}")));
        }
    }
}
