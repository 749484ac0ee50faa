//! `authconform diff OLD.json NEW.json`: what the server did differently between two JSON
//! reports (`run --report-json`), case by case. Each case is reduced to the facts of its answer
//! ([`Facts`]: verdict, status, error code, media type, violated checks, known deviations,
//! the allowed alternative it took), each normalised so that what changes on every run (the
//! run id in a random suffix, a masked value, timings, attempts, hints, message text) is never
//! a change. Both files are untrusted: each is bounded, checked against
//! `schemas/report.schema.json` and neutralised before it is shown. The output's JSON shape is
//! `schemas/diff.schema.json`.

use std::{collections::BTreeMap, fmt::Write, path::Path};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    base::error::{EXIT_FAILED, EXIT_OK, Error, Problem, print},
    base::redact::{MASK, neutralise},
    base::schema::{FormatSchema, json_problem, pointer_of, shorten},
    base::source::read_input_up_to,
    checks::challenge::{UrlPart, challenges, location_params},
    report::{github, terminal::Styles},
};

/// The largest report `diff` reads. A report is about 3 KB a case (a body preview is at most
/// 2 KB), so this holds some 20,000 cases, and stops a file that is no report from filling
/// memory.
pub const MAX_REPORT: u64 = 64 * 1024 * 1024;

/// The schema both reports must satisfy.
const REPORT_SCHEMA: &str = "report.schema.json";

/// A random run of hex digits at least this long (a run id, a nonce) is not compared.
const RANDOM_RUN: usize = 16;

/// What a compared text shows where it held a random or masked value.
const ELIDED: &str = "…";

/// The longest error code kept: a server may put anything in `error`.
const MAX_CODE: usize = 200;

/// How the differences are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for the terminal: case, what changed, old → new.
    Pretty,
    /// One JSON document (schemas/diff.schema.json).
    Json,
    /// GitHub-flavoured Markdown, for $GITHUB_STEP_SUMMARY.
    Markdown,
}

/// What `diff` is asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    pub old: std::path::PathBuf,
    pub new: std::path::PathBuf,
    pub format: Format,
    /// Colour the pretty table.
    pub colour: bool,
}

/// What a case shows of the server's answer, normalised: the facts `diff` compares, in the
/// order it lists their changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Facts {
    /// The verdict's kind: pass, fail, known_deviation, skip, not_applicable, error, not_run.
    pub verdict: String,
    pub status: Option<i64>,
    /// The error code where the case documents it: the JSON body's `error`, or the Location
    /// URL's query or fragment, or the `WWW-Authenticate` challenge.
    pub error: Option<String>,
    /// The Content-Type without its parameters, in lower case.
    pub media_type: Option<String>,
    /// The names of the violated checks, sorted.
    pub violations: Vec<String>,
    /// The checks accepted as known deviations (the case's verdict is a known deviation).
    pub known_deviations: Vec<String>,
    /// The known-deviations entries that fail the case: check, and why (no longer observed,
    /// expired).
    pub stale_deviations: Vec<String>,
    /// The allowed alternative the case was judged on.
    pub branch: Option<Taken>,
}

/// The allowed alternative a case was judged on, and whether its checks held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Taken {
    pub name: String,
    pub held: bool,
}

/// One report, as `diff` compares it.
#[derive(Debug)]
pub struct Report {
    file: String,
    target: String,
    ok: bool,
    cases: BTreeMap<String, Facts>,
}

#[derive(Deserialize)]
struct RawReport {
    target: String,
    ok: bool,
    cases: Vec<RawCase>,
}

#[derive(Deserialize)]
struct RawCase {
    id: String,
    documents: RawDocuments,
    verdict: RawVerdict,
    violations: Vec<RawViolation>,
    response: Option<RawResponse>,
    stale_deviations: Vec<RawFinding>,
    #[serde(default)]
    branch: Option<RawBranch>,
}

#[derive(Deserialize)]
struct RawDocuments {
    #[serde(default, rename = "in")]
    carrier: Option<String>,
    /// `boom` bodies carry the code in `code`.
    #[serde(default)]
    shape: Option<String>,
}

#[derive(Deserialize)]
struct RawVerdict {
    kind: String,
}

#[derive(Deserialize)]
struct RawViolation {
    check: String,
}

#[derive(Deserialize)]
struct RawResponse {
    status: i64,
    headers: Vec<(String, String)>,
    body_preview: String,
}

#[derive(Deserialize)]
struct RawFinding {
    check: String,
    problem: String,
}

#[derive(Deserialize)]
struct RawBranch {
    name: String,
    held: bool,
}

/// The whole comparison: what `--format json` prints (`schemas/diff.schema.json`).
#[derive(Debug, Serialize)]
pub struct Diff {
    tool: &'static str,
    old: Side,
    new: Side,
    /// Whether any case changed, appeared or went: exit 1.
    changed: bool,
    summary: Counts,
    /// Every case that changed, appeared or went, in id order.
    cases: Vec<CaseDiff>,
}

#[derive(Debug, Serialize)]
struct Side {
    file: String,
    target: String,
    ok: bool,
    cases: usize,
}

#[derive(Debug, Default, Serialize)]
struct Counts {
    changed: usize,
    added: usize,
    removed: usize,
    unchanged: usize,
}

#[derive(Debug, Serialize)]
struct CaseDiff {
    id: String,
    /// `changed`, `added` (only in the new report) or `removed` (only in the old one).
    change: &'static str,
    /// Each fact that differs, in the order of [`Facts`]; empty for a case added or removed.
    changes: Vec<Change>,
    old: Option<Facts>,
    new: Option<Facts>,
}

#[derive(Debug, Serialize)]
struct Change {
    field: String,
    old: Value,
    new: Value,
}

/// Runs `diff`: reads both reports, prints the differences, and returns 0 when nothing
/// changed, 1 when something did.
pub fn diff(opts: &Options) -> Result<u8, Error> {
    let schema = FormatSchema::named(REPORT_SCHEMA);
    let old = read(&opts.old, &schema)?;
    let new = read(&opts.new, &schema)?;
    let diff = compare(&old, &new);
    let text = match opts.format {
        Format::Pretty => {
            let styles = if opts.colour {
                Styles::colored()
            } else {
                Styles::plain()
            };
            pretty(&diff, &styles)
        }
        Format::Json => serde_json::to_string_pretty(&diff).expect("a diff serializes") + "\n",
        Format::Markdown => markdown(&diff),
    };
    print(&text)?;
    Ok(if diff.changed { EXIT_FAILED } else { EXIT_OK })
}

/// The report at `path`, checked against its schema; every problem names the file and the
/// field (a JSON pointer).
pub fn read(path: &Path, schema: &FormatSchema) -> Result<Report, Error> {
    let shown = path.display().to_string();
    let (text, _) = read_input_up_to(path, "JSON report", MAX_REPORT)
        .map_err(|e| Error::Usage(format!("{}: {e}", neutralise(&shown, false))))?;
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| not_a_report(&shown, vec![json_problem(&shown, &e)]))?;
    parse(&shown, doc, schema)
}

/// A report from its JSON document (`file` names it in messages).
pub fn parse(file: &str, doc: Value, schema: &FormatSchema) -> Result<Report, Error> {
    if doc.get("tool").and_then(Value::as_str) != Some("authconform") {
        return Err(not_a_report(
            file,
            vec![Problem::new(
                file,
                "/tool",
                "no \"tool\": \"authconform\": not what `authconform run --report-json` writes",
            )],
        ));
    }
    let mut problems = schema.problems(file, &doc);
    for p in &mut problems {
        // A message quotes the value it refuses, which may be a whole case.
        if let Some(value) = doc.pointer(&p.pointer) {
            p.message = shorten(&p.message, &value.to_string());
        }
    }
    if !problems.is_empty() {
        return Err(not_a_report(file, problems));
    }
    let raw: RawReport = serde_path_to_error::deserialize(doc).map_err(|e| {
        not_a_report(
            file,
            vec![Problem::new(
                file,
                pointer_of(e.path()),
                e.inner().to_string(),
            )],
        )
    })?;
    let mut cases = BTreeMap::new();
    for (i, case) in raw.cases.into_iter().enumerate() {
        let id = neutralise(&case.id, false);
        let facts = facts(case);
        if cases.insert(id.clone(), facts).is_some() {
            return Err(not_a_report(
                file,
                vec![Problem::new(
                    file,
                    format!("/cases/{i}/id"),
                    format!("case `{id}` appears twice"),
                )],
            ));
        }
    }
    Ok(Report {
        file: file.to_owned(),
        target: neutralise(&raw.target, false),
        ok: raw.ok,
        cases,
    })
}

/// The error for a file that is not a report: its first problems, one line each.
fn not_a_report(file: &str, problems: Vec<Problem>) -> Error {
    const SHOWN: usize = 10;
    let mut lines: Vec<String> = problems
        .iter()
        .take(SHOWN)
        .map(ToString::to_string)
        .collect();
    if problems.len() > SHOWN {
        lines.push(format!("... and {} more", problems.len() - SHOWN));
    }
    lines.push(format!(
        "{}: not a JSON report of `authconform run --report-json` (schemas/{REPORT_SCHEMA})",
        neutralise(file, false)
    ));
    Error::Usage(lines.join("\n"))
}

/// `text` as compared and shown: every run of [`RANDOM_RUN`] or more hex digits (a run id) and
/// every mask shown as [`ELIDED`], and neutralised (it is another program's file, or a
/// server's words).
fn normal(text: &str) -> String {
    let unmasked = text.replace(MASK, ELIDED);
    let mut out = String::with_capacity(unmasked.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().count() >= RANDOM_RUN {
            out.push_str(ELIDED);
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in unmasked.chars() {
        if c.is_ascii_hexdigit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    neutralise(&out, false)
}

/// The facts of one case's record.
fn facts(case: RawCase) -> Facts {
    let mut violations: Vec<String> = case.violations.iter().map(|v| normal(&v.check)).collect();
    violations.sort();
    violations.dedup();
    let known_deviations = if case.verdict.kind == "known_deviation" {
        violations.clone()
    } else {
        Vec::new()
    };
    let mut stale_deviations: Vec<String> = case
        .stale_deviations
        .iter()
        .map(|f| format!("{} ({})", normal(&f.check), staleness(&f.problem)))
        .collect();
    stale_deviations.sort();
    stale_deviations.dedup();
    let response = case.response.as_ref();
    Facts {
        verdict: normal(&case.verdict.kind),
        status: response.map(|r| r.status),
        error: response.and_then(|r| error_code(&case.documents, r)),
        media_type: response.and_then(media_type),
        violations,
        known_deviations,
        stale_deviations,
        branch: case.branch.map(|b| Taken {
            name: normal(&b.name),
            held: b.held,
        }),
    }
}

/// Why a known-deviations entry fails, in a word that does not name the file or a date.
fn staleness(problem: &str) -> &'static str {
    if problem.starts_with("expired") {
        "expired"
    } else if problem.starts_with("no longer observed") {
        "no longer observed"
    } else {
        "stale"
    }
}

fn header<'a>(response: &'a RawResponse, name: &str) -> Option<&'a str> {
    response
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The error code where the case documents it (`documents.in`): the Location URL's query or
/// fragment, the `WWW-Authenticate` challenge, else the JSON body's `error`.
fn error_code(documents: &RawDocuments, response: &RawResponse) -> Option<String> {
    let carrier = documents.carrier.as_deref();
    let member = match documents.shape.as_deref() {
        Some("boom") => "code",
        _ => "error",
    };
    let in_location = |part| {
        location_params(header(response, "location")?, part, "error")
            .ok()?
            .into_iter()
            .next()
    };
    let code = match carrier {
        Some("query") => in_location(UrlPart::Query),
        Some("fragment") => in_location(UrlPart::Fragment),
        Some("challenge") => challenges(header(response, "www-authenticate")?)
            .ok()?
            .iter()
            .find_map(|c| c.param("error").map(str::to_owned)),
        _ => match serde_json::from_str::<Value>(&response.body_preview)
            .ok()?
            .get(member)?
        {
            Value::String(code) => Some(code.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        },
    }?;
    let code = normal(&code);
    Some(match code.char_indices().nth(MAX_CODE) {
        Some((cut, _)) => format!("{}{ELIDED}", &code[..cut]),
        None => code,
    })
}

fn media_type(response: &RawResponse) -> Option<String> {
    let essence = crate::checks::check::media_type(header(response, "content-type")?);
    (!essence.is_empty()).then(|| normal(&essence))
}

/// Every case that changed, appeared or went between `old` and `new`.
pub fn compare(old: &Report, new: &Report) -> Diff {
    let mut counts = Counts::default();
    let mut cases = Vec::new();
    let ids: std::collections::BTreeSet<&String> =
        old.cases.keys().chain(new.cases.keys()).collect();
    for id in ids {
        let (before, after) = (old.cases.get(id), new.cases.get(id));
        let (change, changes) = match (before, after) {
            (Some(b), Some(a)) => {
                let changes = changes(b, a);
                if changes.is_empty() {
                    counts.unchanged += 1;
                    continue;
                }
                counts.changed += 1;
                ("changed", changes)
            }
            (None, Some(_)) => {
                counts.added += 1;
                ("added", Vec::new())
            }
            (Some(_), None) => {
                counts.removed += 1;
                ("removed", Vec::new())
            }
            (None, None) => unreachable!("the id came from one of the reports"),
        };
        cases.push(CaseDiff {
            id: id.clone(),
            change,
            changes,
            old: before.cloned(),
            new: after.cloned(),
        });
    }
    let side = |r: &Report| Side {
        file: neutralise(&r.file, false),
        target: r.target.clone(),
        ok: r.ok,
        cases: r.cases.len(),
    };
    Diff {
        tool: "authconform",
        old: side(old),
        new: side(new),
        changed: !cases.is_empty(),
        summary: counts,
        cases,
    }
}

/// Each fact that differs between two versions of a case, in the order of [`Facts`].
fn changes(old: &Facts, new: &Facts) -> Vec<Change> {
    let as_members = |f: &Facts| match serde_json::to_value(f).expect("facts serialize") {
        Value::Object(members) => members,
        _ => unreachable!("facts serialize as an object"),
    };
    let (old, mut new) = (as_members(old), as_members(new));
    old.into_iter()
        .filter_map(|(field, before)| {
            let after = new.remove(&field).unwrap_or(Value::Null);
            (before != after).then_some(Change {
                field,
                old: before,
                new: after,
            })
        })
        .collect()
}

/// How a fact is named in the table.
fn label(field: &str) -> &str {
    match field {
        "error" => "error code",
        "media_type" => "media type",
        "violations" => "violated checks",
        "known_deviations" => "known deviations",
        "stale_deviations" => "stale deviations",
        "branch" => "allowed alternative",
        other => other,
    }
}

/// A fact's value as the table shows it (already neutralised).
fn show(value: &Value) -> String {
    match value {
        Value::Null => "none".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "none".into(),
        Value::Array(items) => items.iter().map(show).collect::<Vec<_>>().join(", "),
        Value::Object(branch) => {
            let name = branch.get("name").map(show).unwrap_or_default();
            if branch.get("held") == Some(&Value::Bool(false)) {
                format!("{name} (broken)")
            } else {
                name
            }
        }
        other => other.to_string(),
    }
}

/// One row of the table per change: (case id, what changed, old, new). A case added or
/// removed is one row whose old or new side is its verdict.
fn rows(diff: &Diff) -> Vec<(&str, String, String, String)> {
    let verdict = |f: &Option<Facts>| f.as_ref().map_or("none".into(), |f| f.verdict.clone());
    let mut rows = Vec::new();
    for case in &diff.cases {
        if case.changes.is_empty() {
            rows.push((
                case.id.as_str(),
                format!("case {}", case.change),
                verdict(&case.old),
                verdict(&case.new),
            ));
        }
        for change in &case.changes {
            rows.push((
                case.id.as_str(),
                label(&change.field).to_owned(),
                show(&change.old),
                show(&change.new),
            ));
        }
    }
    rows
}

/// The closing sentence: how many cases changed, and which reports.
fn tally(diff: &Diff) -> String {
    let c = &diff.summary;
    if !diff.changed {
        return format!(
            "no change: {} case{}, each answered as before",
            c.unchanged,
            if c.unchanged == 1 { "" } else { "s" }
        );
    }
    format!(
        "{} changed, {} added, {} removed, {} as before",
        c.changed, c.added, c.removed, c.unchanged
    )
}

/// The table for the terminal: case, what changed, old → new.
fn pretty(diff: &Diff, s: &Styles) -> String {
    let rows = rows(diff);
    let width = |f: fn(&(&str, String, String, String)) -> usize, head: &str| {
        rows.iter()
            .map(f)
            .chain([head.chars().count()])
            .max()
            .unwrap_or(0)
    };
    let id_width = width(|r| r.0.chars().count(), "case");
    let what_width = width(|r| r.1.chars().count(), "what changed");
    let pad = |text: &str, width: usize| {
        format!(
            "{text}{}",
            " ".repeat(width.saturating_sub(text.chars().count()))
        )
    };
    let mut out = String::new();
    if !rows.is_empty() {
        let head = format!(
            "{}  {}  old → new",
            pad("case", id_width),
            pad("what changed", what_width)
        );
        let _ = writeln!(out, "{}", s.bold(&head));
    }
    let mut last = "";
    for (id, what, old, new) in &rows {
        let shown_id = if *id == last { "" } else { id };
        last = id;
        let _ = writeln!(
            out,
            "{}  {}  {} → {}",
            pad(shown_id, id_width),
            pad(what, what_width),
            s.dim(old),
            s.bold(new)
        );
    }
    if !rows.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(out, "authconform diff: {}", tally(diff));
    for (word, side) in [("old", &diff.old), ("new", &diff.new)] {
        let _ = writeln!(out, "  {word}: {} (target {})", side.file, side.target);
    }
    out
}

/// The Markdown for a GitHub step summary: a heading, the reports, and a table of every
/// change. The text of the reports is escaped as the run's summary escapes it.
fn markdown(diff: &Diff) -> String {
    let mut out = String::new();
    let heading = if diff.changed {
        "what changed"
    } else {
        "no change"
    };
    let _ = writeln!(out, "## authconform diff: {heading}\n");
    let _ = writeln!(
        out,
        "Old: {} (target {}), new: {} (target {}): {}.\n",
        github::code(&diff.old.file),
        github::code(&diff.old.target),
        github::code(&diff.new.file),
        github::code(&diff.new.target),
        github::markdown(&tally(diff))
    );
    let rows = rows(diff);
    if rows.is_empty() {
        return out;
    }
    let _ = writeln!(out, "| case | what changed | old | new |");
    let _ = writeln!(out, "|---|---|---|---|");
    for (id, what, old, new) in rows {
        let _ = writeln!(
            out,
            "| {} | {what} | {} | {} |",
            github::code_in_table(id),
            github::markdown(&old),
            github::markdown(&new)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example report of `schemas/report.schema.json`: one case, `token/get-method`,
    /// failing with status 404 where 405 is documented.
    fn example() -> Value {
        let text = crate::base::source::Source::BuiltIn(crate::base::source::BuiltIn::Schemas)
            .list(&mut Vec::new())
            .into_iter()
            .find(|f| f.rel == REPORT_SCHEMA)
            .unwrap()
            .read(&mut Vec::new())
            .unwrap()
            .to_owned();
        let schema: Value = serde_json::from_str(&text).unwrap();
        schema["examples"][0].clone()
    }

    fn report(doc: Value) -> Report {
        parse("r.json", doc, &FormatSchema::named(REPORT_SCHEMA)).unwrap()
    }

    fn fields(diff: &Diff) -> Vec<(String, String)> {
        diff.cases
            .iter()
            .flat_map(|c| {
                let changes: Vec<(String, String)> = c
                    .changes
                    .iter()
                    .map(|ch| (c.id.clone(), ch.field.clone()))
                    .collect();
                if changes.is_empty() {
                    vec![(c.id.clone(), c.change.to_owned())]
                } else {
                    changes
                }
            })
            .collect()
    }

    #[test]
    fn the_same_report_has_no_change() {
        let diff = compare(&report(example()), &report(example()));
        assert!(!diff.changed);
        assert!(diff.cases.is_empty());
        assert_eq!(diff.summary.unchanged, 1);
    }

    /// Timings, attempts, waits, hints, the request and message text differ on every run;
    /// a run id in the body's error and a mask compare as the same.
    #[test]
    fn what_changes_on_every_run_is_no_change() {
        let mut old = example();
        let mut new = example();
        old["cases"][0]["response"]["body_preview"] =
            r#"{"error":"bad-18eea7682a4a872d7ee1-***"}"#.into();
        new["cases"][0]["response"]["body_preview"] =
            r#"{"error":"bad-0123456789abcdef0123-***"}"#.into();
        new["elapsed_ms"] = 9.0.into();
        new["hints"] = serde_json::json!(["most requests answered 404"]);
        let case = &mut new["cases"][0];
        case["elapsed_ms"] = 1.0.into();
        case["attempts"] = 2.into();
        case["waits"] = serde_json::json!([{"reason": "rate_limited", "waited_ms": 3.0}]);
        case["request"]["url"] = "https://other.example/oauth/token?client_id=xyz".into();
        case["violations"][0]["message"] = "expected 405, got 404 (run 42)".into();
        let diff = compare(&report(old.clone()), &report(new));
        assert!(!diff.changed, "{diff:#?}");
        assert_eq!(
            report(old).cases["token/get-method"].error.as_deref(),
            Some("bad-…-…")
        );
    }

    #[test]
    fn each_fact_that_differs_is_named_with_both_values() {
        let old = example();
        let mut new = example();
        let case = &mut new["cases"][0];
        case["verdict"] = serde_json::json!({"kind": "known_deviation", "reasons": ["status: x"]});
        case["response"]["status"] = 400.into();
        case["response"]["headers"] =
            serde_json::json!([["Content-Type", "Text/HTML; charset=utf-8"]]);
        case["response"]["body_preview"] = r#"{"error":"invalid_request"}"#.into();
        case["violations"] = serde_json::json!([
            {"check": "status", "message": "expected 405, got 400"},
            {"check": "media type", "message": "m"}
        ]);
        case["stale_deviations"] = serde_json::json!([
            {"case": "token/get-method", "check": "body /error", "problem": "expired on 2026-01-01: renew"}
        ]);
        case["branch"] =
            serde_json::json!({"name": "grant-less", "why": "w", "ref": "r", "held": false});
        let diff = compare(&report(old), &report(new));
        let named: Vec<String> = fields(&diff).into_iter().map(|(_, f)| f).collect();
        assert_eq!(
            named,
            [
                "verdict",
                "status",
                "error",
                "media_type",
                "violations",
                "known_deviations",
                "stale_deviations",
                "branch"
            ]
        );
        let shown: Vec<(String, String, String)> = rows(&diff)
            .into_iter()
            .map(|(_, what, old, new)| (what, old, new))
            .collect();
        let expect = [
            ("verdict", "fail", "known_deviation"),
            ("status", "404", "400"),
            ("error code", "none", "invalid_request"),
            ("media type", "application/json", "text/html"),
            ("violated checks", "status", "media type, status"),
            ("known deviations", "none", "media type, status"),
            ("stale deviations", "none", "body /error (expired)"),
            ("allowed alternative", "none", "grant-less (broken)"),
        ];
        let expect: Vec<(String, String, String)> = expect
            .iter()
            .map(|(a, b, c)| ((*a).into(), (*b).into(), (*c).into()))
            .collect();
        assert_eq!(shown, expect);
    }

    #[test]
    fn cases_added_and_removed_are_listed_with_their_verdicts() {
        let old = example();
        let mut new = example();
        new["cases"][0]["id"] = "token/put-method".into();
        let diff = compare(&report(old), &report(new));
        assert_eq!(
            fields(&diff),
            [
                ("token/get-method".to_owned(), "removed".to_owned()),
                ("token/put-method".to_owned(), "added".to_owned())
            ]
        );
        assert_eq!((diff.summary.added, diff.summary.removed), (1, 1));
        let rows: Vec<(String, String)> = rows(&diff)
            .into_iter()
            .map(|(_, what, old, new)| (what, format!("{old} → {new}")))
            .collect();
        assert_eq!(
            rows,
            [
                ("case removed".to_owned(), "fail → none".to_owned()),
                ("case added".to_owned(), "none → fail".to_owned())
            ]
        );
    }

    /// The error code is read where the case documents it.
    #[test]
    fn the_error_code_is_read_from_the_location_or_the_challenge_where_documented() {
        let at = |carrier: Option<&str>| RawDocuments {
            carrier: carrier.map(str::to_owned),
            shape: None,
        };
        let response = |headers: Value| RawResponse {
            status: 302,
            headers: serde_json::from_value(headers).unwrap(),
            body_preview: r#"{"error":"in_body"}"#.into(),
        };
        let r = response(serde_json::json!([[
            "location",
            "https://app/cb?error=access_denied&state=s#error=frag"
        ]]));
        assert_eq!(
            error_code(&at(Some("query")), &r).as_deref(),
            Some("access_denied")
        );
        assert_eq!(
            error_code(&at(Some("fragment")), &r).as_deref(),
            Some("frag")
        );
        assert_eq!(error_code(&at(None), &r).as_deref(), Some("in_body"));
        assert_eq!(
            error_code(&at(Some("page")), &r).as_deref(),
            Some("in_body")
        );
        let r = response(serde_json::json!([[
            "www-authenticate",
            r#"Bearer realm="x", error="invalid_token""#
        ]]));
        assert_eq!(
            error_code(&at(Some("challenge")), &r).as_deref(),
            Some("invalid_token")
        );
        assert_eq!(error_code(&at(Some("query")), &r), None);
        let boom = RawResponse {
            status: 400,
            headers: Vec::new(),
            body_preview: r#"{"code":"user_exists","error":"x"}"#.into(),
        };
        let signup = RawDocuments {
            carrier: None,
            shape: Some("boom".into()),
        };
        assert_eq!(error_code(&signup, &boom).as_deref(), Some("user_exists"));
    }

    #[test]
    fn a_file_that_is_not_a_report_is_refused_by_field() {
        let schema = FormatSchema::named(REPORT_SCHEMA);
        let message = |doc: Value| parse("x.json", doc, &schema).unwrap_err().to_string();
        assert!(
            message(serde_json::json!({"client_id": "abc"})).starts_with("x.json: /tool: "),
            "{}",
            message(serde_json::json!({"client_id": "abc"}))
        );
        let mut doc = example();
        doc["cases"][0]["verdict"] = serde_json::json!({"kind": "maybe"});
        let text = message(doc);
        assert!(text.starts_with("x.json: /cases/0/verdict"), "{text}");
        assert!(text.ends_with("(schemas/report.schema.json)"), "{text}");
        let mut doc = example();
        let case = doc["cases"][0].clone();
        doc["cases"].as_array_mut().unwrap().push(case);
        assert_eq!(
            message(doc).lines().next().unwrap(),
            "x.json: /cases/1/id: case `token/get-method` appears twice"
        );
    }

    /// Text from the reports (an id, a code, a target) is shown neutralised and, in Markdown,
    /// escaped: it can neither steer a terminal nor forge a CI log line or a table cell.
    #[test]
    fn hostile_text_is_neutralised_in_every_format() {
        let old = example();
        let mut new = example();
        new["target"] = "http://x/\u{1b}[2J".into();
        new["cases"][0]["response"]["body_preview"] =
            serde_json::json!({"error": "\r\n::error::forged|<b>`x`</b>\u{1b}[31m"})
                .to_string()
                .into();
        let diff = compare(&report(old), &report(new));
        for text in [
            pretty(&diff, &Styles::plain()),
            serde_json::to_string(&diff).unwrap(),
            markdown(&diff),
        ] {
            assert!(!text.contains('\u{1b}') && !text.contains('\r'), "{text}");
            assert!(
                !text.lines().any(|l| l.trim_start().starts_with("::")),
                "{text}"
            );
        }
        let md = markdown(&diff);
        assert!(!md.contains("<b>") && !md.contains("forged|"), "{md}");
        assert_eq!(
            FormatSchema::named("diff.schema.json")
                .problems("d", &serde_json::to_value(&diff).unwrap()),
            []
        );
    }

    /// `--format json` keeps its published shape, whatever changed.
    #[test]
    fn the_json_output_is_valid_against_its_schema() {
        let schema = FormatSchema::named("diff.schema.json");
        let mut added = example();
        added["cases"][0]["id"] = "a/b".into();
        added["cases"][0]["branch"] =
            serde_json::json!({"name": "n", "why": "w", "ref": "r", "held": true});
        added["cases"][0]["response"] = Value::Null;
        for (old, new) in [
            (example(), example()),
            (example(), added.clone()),
            (added, example()),
        ] {
            let diff = compare(&report(old), &report(new));
            let json: Value =
                serde_json::from_str(&serde_json::to_string_pretty(&diff).unwrap()).unwrap();
            assert_eq!(schema.problems("diff", &json), [], "{json:#}");
        }
    }
}
