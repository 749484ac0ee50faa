//! GitHub Actions: workflow commands (`::error` / `::warning`) that point at the case files (a
//! built-in case, in no file of the user's, by its id and where `authconform export` writes it),
//! and a Markdown summary for `$GITHUB_STEP_SUMMARY`. The command format is GitHub's documented
//! one: `::error file=F,title=T::message`, with `%`, CR and LF escaped in the message and also
//! `:` and `,` in property values. In the summary, text from outside is escaped for
//! GitHub-flavoured Markdown, so that it shows as written.

use std::fmt::Write;

use crate::{
    base::source::is_built_in_case,
    records::record::{NOT_RUN_WHY, Record, Verdict},
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

/// The command for case `r`: at its file and line when the file is the user's; a built-in
/// case is in no file of the user's repository (GitHub would point at nothing), so its
/// annotation names no file, and its message ends with where `authconform export` writes the
/// case, and the line there.
fn case_command(kind: &str, r: &Record, line: Option<usize>, title: &str, message: &str) -> String {
    if !is_built_in_case(&r.file) {
        return command(kind, &r.file, line, title, message);
    }
    let line = line.map(|l| format!(", line {l}")).unwrap_or_default();
    format!(
        "::{kind} title={}::{}\n",
        property(title),
        data(&format!("{message}\ncase file: {}{line}", r.file))
    )
}

/// The case file's line of the first of `violations` that has one.
fn first_line(violations: &[crate::checks::check::Violation]) -> Option<usize> {
    violations.iter().find_map(|v| v.line)
}

/// One workflow command per failure, error, warning and known deviation, and per stale entry
/// of the deviations file.
pub fn annotations(records: &[Record], info: &RunInfo<'_>) -> String {
    let mut out = String::new();
    for r in records {
        match &r.verdict {
            Verdict::Fail => out.push_str(&case_command(
                "error",
                r,
                first_line(&r.violations),
                &format!("{} failed", r.id),
                &r.problems().join("\n"),
            )),
            Verdict::Error { message } => out.push_str(&case_command(
                "error",
                r,
                None,
                &format!("{} could not be judged", r.id),
                message,
            )),
            Verdict::KnownDeviation { reasons } => out.push_str(&case_command(
                "warning",
                r,
                first_line(&r.violations),
                &format!("{}: known deviation", r.id),
                &reasons.join("\n"),
            )),
            Verdict::NotApplicable { reason, .. } => out.push_str(&case_command(
                "notice",
                r,
                None,
                &format!("{}: not applicable", r.id),
                reason,
            )),
            Verdict::Pass | Verdict::Skip { .. } | Verdict::NotRun => {}
        }
        if !r.warnings.is_empty() {
            out.push_str(&case_command(
                "warning",
                r,
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
/// then a table of every case that did not simply pass. Every piece of text that is not ours
/// goes through [`markdown`] (prose) or [`code`] / [`code_in_table`] (names, ids, flags), so
/// that GitHub renders it as written: a server's `<b>` or a `|` in a message is text, not a tag
/// or a new table cell.
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
        let _ = writeln!(
            out,
            "- **the gate fails**: {}",
            markdown(&reason.to_string())
        );
    }
    if !info.gate.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "| passed | failed | errors | skipped | not applicable | not run | known deviations | stale deviations | warnings |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
        t.passed,
        t.failed,
        t.errors,
        t.skipped,
        t.not_applicable,
        t.not_run,
        t.known_deviations,
        t.stale_deviations,
        t.warnings
    );
    for hint in info.hints {
        let _ = writeln!(out, "- **hint**: {}", markdown(hint));
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
                    .map(|t| format!(", {}", markdown(t)))
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
        .filter(|r| r.verdict != Verdict::Pass || !r.warnings.is_empty() || r.branch.is_some())
        .collect();
    if !notable.is_empty() {
        let _ = writeln!(out, "| case | verdict | detail |");
        let _ = writeln!(out, "|---|---|---|");
        for r in notable {
            let (verdict, detail) = match &r.verdict {
                Verdict::Pass => match &r.branch {
                    Some(branch) => (
                        "pass (allowed alternative)",
                        std::iter::once(branch.describe())
                            .chain(r.advice())
                            .collect(),
                    ),
                    None => ("pass (warnings)", r.advice()),
                },
                Verdict::Fail => ("**fail**", r.problems()),
                Verdict::Error { message } => ("**error**", vec![message.clone()]),
                Verdict::Skip { reason, .. } => ("skip", vec![reason.clone()]),
                Verdict::NotApplicable { reason, .. } => ("not applicable", vec![reason.clone()]),
                Verdict::KnownDeviation { reasons } => ("known deviation", reasons.clone()),
                Verdict::NotRun => ("not run", vec![NOT_RUN_WHY.into()]),
            };
            let _ = writeln!(
                out,
                "| {} | {verdict} | {} |",
                code_in_table(&r.id),
                markdown(&detail.join("\n"))
            );
        }
    }
    out
}

/// `text` as Markdown that GitHub renders as written, in running text and in a table cell
/// alike: every character GitHub-flavoured Markdown reads as inline markup is escaped (`<`,
/// `>` and `&` as HTML entities, since a backslash does not stop a tag or an entity), and a
/// line break is `<br>`, so that the text never ends its table row or list item. A line can
/// then only start where the text does: there, what would open a block (a list item, a
/// numbered item, a setext underline) is escaped too.
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let body = text.trim_start_matches(' ');
    out.push_str(&text[..text.len() - body.len()]);
    // The digits of a `1.` or `1)` that would start a numbered list.
    let digits = body.len() - body.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let mut chars = body.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' | '\n' => {
                if c == '\r' && chars.peek().is_some_and(|&(_, next)| next == '\n') {
                    chars.next();
                }
                out.push_str("<br>");
            }
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '~' | '|' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '-' | '+' | '=' if at == 0 => {
                out.push('\\');
                out.push(c);
            }
            '.' | ')' if digits > 0 && at == digits => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// `text` as a Markdown code span, whatever backticks it holds: the fence is one backtick
/// longer than the longest run inside, and padded with a space where the text starts or ends
/// with a backtick, or with a space at both ends (Markdown strips one such pair). A code span
/// cannot hold a line break that shows, so text with one is [`markdown`] instead.
pub fn code(text: &str) -> String {
    if text.contains(['\n', '\r']) {
        return markdown(text);
    }
    if text.is_empty() {
        return String::new();
    }
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = text.starts_with('`')
        || text.ends_with('`')
        || (text.starts_with(' ') && text.ends_with(' ') && !text.trim().is_empty());
    let pad = if pad { " " } else { "" };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// [`code`] inside a table cell: GitHub splits the row at every `|` that is not escaped, even
/// inside a code span, and shows `\|` there as `|`.
pub fn code_in_table(text: &str) -> String {
    if text.contains(['\n', '\r']) {
        // Already escaped as prose, `|` included.
        return markdown(text);
    }
    code(text).replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What GitHub shows for text from [`markdown`]: `<br>` a line break, backslash escapes
    /// and the three entities resolved (the only constructs `markdown` writes).
    fn shown(md: &str) -> String {
        let mut out = String::new();
        let mut rest = md;
        while let Some(c) = rest.chars().next() {
            let (text, len) = if rest.starts_with("<br>") {
                ("\n".to_owned(), 4)
            } else if let Some(e) = ["&lt;", "&gt;", "&amp;"]
                .iter()
                .find(|e| rest.starts_with(**e))
            {
                (html_char(e).to_string(), e.len())
            } else if c == '\\' && rest[1..].starts_with(|n: char| n.is_ascii_punctuation()) {
                (rest[1..2].to_owned(), 2)
            } else {
                (c.to_string(), c.len_utf8())
            };
            out.push_str(&text);
            rest = &rest[len..];
        }
        out
    }

    fn html_char(entity: &str) -> char {
        match entity {
            "&lt;" => '<',
            "&gt;" => '>',
            _ => '&',
        }
    }

    /// Whether the character at byte `at` is escaped by the backslashes before it (an odd run).
    fn escaped(md: &str, at: usize) -> bool {
        md[..at].chars().rev().take_while(|&c| c == '\\').count() % 2 == 1
    }

    /// The `|` that end a table cell: those not escaped.
    fn cell_breaks(line: &str) -> usize {
        line.match_indices('|')
            .filter(|(at, _)| !escaped(line, *at))
            .count()
    }

    #[test]
    fn markdown_shows_text_as_written() {
        assert_eq!(
            markdown("set AUTHCONFORM_VAR_<NAME>"),
            "set AUTHCONFORM\\_VAR\\_&lt;NAME&gt;"
        );
        assert_eq!(
            markdown("<b>x</b> | *y* & [z](u) ~w~ `v` $m$ \\"),
            "&lt;b&gt;x&lt;/b&gt; \\| \\*y\\* &amp; \\[z\\](u) \\~w\\~ \\`v\\` \\$m\\$ \\\\"
        );
        assert_eq!(markdown("a\nb\r\nc\rd"), "a<br>b<br>c<br>d");
        // Where the text starts a line, it opens no block.
        assert_eq!(markdown("# not a heading"), "\\# not a heading");
        assert_eq!(markdown("- not a list"), "\\- not a list");
        assert_eq!(markdown("+ not a list"), "\\+ not a list");
        assert_eq!(markdown("  12. not a list"), "  12\\. not a list");
        assert_eq!(markdown("3) not a list"), "3\\) not a list");
        assert_eq!(markdown("=== not an underline"), "\\=== not an underline");
        // Elsewhere those are plain text, left as they are.
        assert_eq!(markdown("1 of 2 - 3.5 + x = y"), "1 of 2 - 3.5 + x = y");
    }

    #[test]
    fn code_spans_hold_any_backticks_and_table_cells_any_pipes() {
        assert_eq!(code("AUTHCONFORM_VAR_<NAME>"), "`AUTHCONFORM_VAR_<NAME>`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`a``"), "``` `a`` ```");
        // Markdown strips one space from each end when both have one.
        assert_eq!(code(" a "), "`  a  `");
        assert_eq!(code(" a"), "` a`");
        assert_eq!(code(""), "");
        // No code span can show a line break.
        assert_eq!(code("a\n<b>"), "a<br>&lt;b&gt;");
        assert_eq!(code_in_table("a|b"), "`a\\|b`");
        assert_eq!(code_in_table("a|\nb"), "a\\|<br>b");
        assert_eq!(code("a|b"), "`a|b`");
    }

    proptest::proptest! {
        #[test]
        fn any_text_renders_as_written_and_opens_nothing(text in "(\\PC|[\\n\\r<>&|`*_#~$\\\\\\[\\]. 1+=-]){0,40}") {
            let md = markdown(&text);
            proptest::prop_assert_eq!(shown(&md), text.replace("\r\n", "\n").replace('\r', "\n"));
            proptest::prop_assert!(!md.contains(['\n', '\r']));
            for (at, c) in md.char_indices() {
                match c {
                    '`' | '*' | '_' | '[' | ']' | '#' | '~' | '|' | '$' => {
                        proptest::prop_assert!(escaped(&md, at), "{md}")
                    }
                    '<' => proptest::prop_assert!(md[at..].starts_with("<br>"), "{md}"),
                    '>' => proptest::prop_assert!(md[..=at].ends_with("<br>"), "{md}"),
                    '&' => proptest::prop_assert!(
                        ["&lt;", "&gt;", "&amp;"].iter().any(|e| md[at..].starts_with(e)),
                        "{md}"
                    ),
                    _ => {}
                }
            }
        }

        #[test]
        fn any_code_is_one_span_with_the_text_inside(text in "[a-z` |]{1,20}") {
            let span = code(&text);
            let fence = span.len() - span.trim_start_matches('`').len();
            let inner = &span[fence..span.len() - fence];
            let inner = if inner.len() >= 2 && inner.starts_with(' ') && inner.ends_with(' ')
                && !inner.trim().is_empty()
            {
                &inner[1..inner.len() - 1]
            } else {
                inner
            };
            proptest::prop_assert_eq!(inner, text.as_str());
            proptest::prop_assert!(!inner.contains(&"`".repeat(fence)), "{span}");
            proptest::prop_assert_eq!(cell_breaks(&code_in_table(&text)), 0);
        }
    }

    /// Text from outside everywhere the summary shows text: the target, a gate reason, a
    /// hint, a variable's meaning, ids, failure messages, an error, a skip reason.
    #[test]
    fn hostile_text_stays_text_in_the_summary() {
        use crate::{
            checks::check::{CheckId, Violation},
            report::{GateFailure, MissingVariable, Tally},
        };
        let record = |id: &str, verdict: Verdict| {
            let mut r = Record::blank(&crate::catalogue::case::tests_support::case(id));
            r.verdict = verdict;
            r
        };
        let mut fail = record("token/a|b`c", Verdict::Fail);
        fail.violations = vec![
            Violation::new(
                CheckId::Body("/error_description".into()),
                "expected a string, got \"<img src=x onerror=alert(1)> *bold* [x](javascript:y)\"",
            ),
            Violation::new(
                CheckId::Header("x-a|b".into()),
                "got \"# h | ~s~ $m$ \\\"\n- item",
            ),
        ];
        let records = vec![
            fail,
            record(
                "token/error",
                Verdict::Error {
                    message: "1. <script>alert(1)</script> & co\r\n===".into(),
                },
            ),
            record(
                "token/skip",
                Verdict::Skip {
                    reason: "not sent: set AUTHCONFORM_VAR_<NAME> or `--var name=VALUE`".into(),
                    missing: vec!["a_b".into()],
                },
            ),
        ];
        let gate = [GateFailure::ReportNotWritten {
            report: "JUnit".into(),
            path: "out|<x>_*.xml".into(),
            error: "Permission denied [13]".into(),
        }];
        let missing = [MissingVariable {
            name: "a_b".into(),
            secret: false,
            meaning: Some("an `API` <identifier> | *any*".into()),
            on_auth0: None,
            cases: vec!["token/skip".into()],
            set_with: vec!["--var a_b=VALUE".into(), "AUTHCONFORM_VAR_A_B=VALUE".into()],
        }];
        let info = RunInfo {
            target: "https://t.example/a_b|c`d",
            cases: "the built-in cases",
            schemas: "the built-in schemas",
            elapsed: std::time::Duration::from_millis(5),
            deviations: None,
            interrupted: None,
            tally: Tally::of(&records),
            gate: &gate,
            missing: &missing,
            hints: &["- **not** a list <br> [x]".to_owned()],
            discovered: None,
        };
        let summary = summary(&records, &info);
        insta::assert_snapshot!("github-summary-hostile", summary);
        for line in summary.lines() {
            if line.starts_with("| case") || line.starts_with("| `") || line.starts_with("| token")
            {
                assert_eq!(cell_breaks(line), 4, "a row of three cells: {line}");
            }
        }
        assert!(
            !summary.contains("<NAME>")
                && !summary.contains("<img")
                && !summary.contains("<script")
        );
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

    /// A built-in case is in no file of the user's repository: its annotation names no file,
    /// and says where `authconform export` writes the case and at which line; a user's case
    /// file is pointed at.
    #[test]
    fn a_built_in_case_is_named_by_where_export_writes_it() {
        let mut r = Record::blank(&crate::catalogue::case::tests_support::case("token/x"));
        r.file =
            crate::base::source::built_in_case(crate::base::source::Profile::Rfc, "token/x.json");
        assert_eq!(
            case_command("error", &r, Some(4), "token/x failed", "status: bad"),
            "::error title=token/x failed::status: bad%0Acase file: built in (authconform export --profile rfc DIR writes DIR/cases/token/x.json), line 4\n"
        );
        r.file = "mine/token/x.json".into();
        assert_eq!(
            case_command("error", &r, Some(4), "token/x failed", "status: bad"),
            "::error file=mine/token/x.json,line=4,title=token/x failed::status: bad\n"
        );
    }
}
