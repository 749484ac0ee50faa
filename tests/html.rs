//! The HTML report (`--report-html`): read back by Python's own HTML parser and compared, case by
//! case, with the JSON report of the same run and with the case files; then opened in a real
//! browser (Debian's chromium, headless) for a screenshot, PDFs and the DOM after load.

use std::path::{Path, PathBuf};
use std::process::Command;

use authconform::reference::{self, Fault};
use serde_json::Value;

use crate::pytools::{html_check, repo_dir};
use crate::util::*;

/// A run against a server that answers a wrong client secret with 400 (passes and failures),
/// with the reference variables (the client secret given as a secret), writing both reports.
struct Run {
    dir: tempfile::TempDir,
    html: PathBuf,
    /// The JSON report of the same run.
    report: Value,
}

fn failing_run() -> Run {
    let server = server(Some(Fault::InvalidClientAs400));
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let json = dir.path().join("report.json");
    let out = output(
        run_against(&server.url)
            .arg("--report-html")
            .arg(&html)
            .arg("--report-json")
            .arg(&json),
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let report = read_report(&json);
    Run { dir, html, report }
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string {key} in {v}"))
}

/// The verdict as the page spells it in classes (`known-deviation`) and words (`known deviation`).
fn verdict_of(case: &Value) -> (String, String) {
    let kind = str_of(&case["verdict"], "kind");
    (kind.replace('_', "-"), kind.replace('_', " "))
}

/// The http(s) refs of a case file (as a URL parser writes them), which are the only links to
/// elsewhere the page may hold. The run's cases are the built-in auth0 ones.
fn refs_of(case: &Value) -> Vec<String> {
    let id = str_of(case, "id");
    assert_eq!(
        str_of(case, "file"),
        authconform::base::source::built_in_case(
            authconform::base::source::Profile::Auth0,
            &format!("{id}.json")
        )
    );
    let file = repo_dir().join(format!("cases/auth0/{id}.json"));
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    let parsed: Value = serde_json::from_str(&text).unwrap();
    parsed["refs"]
        .as_array()
        .map(|refs| {
            refs.iter()
                .filter_map(|r| url::Url::parse(r.as_str().unwrap()).ok())
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// Everything the page shows of one case, compared with the JSON report's record of it.
fn shows_the_record(case: &Value, seen: &Value) {
    let id = str_of(case, "id");
    let text = str_of(seen, "text");
    assert!(text.contains(str_of(case, "title")), "{id}: title\n{text}");
    for v in case["violations"]
        .as_array()
        .unwrap()
        .iter()
        .chain(case["warnings"].as_array().unwrap())
    {
        assert!(
            text.contains(str_of(v, "message")),
            "{id}: {v}\n---\n{text}"
        );
        for value in ["expected", "actual"] {
            if let Some(value) = v.get(value) {
                let shown = serde_json::to_string(value).unwrap();
                assert!(text.contains(&shown), "{id}: {shown}\n---\n{text}");
            }
        }
    }
    for check in case["checks"].as_array().unwrap() {
        assert!(text.contains(str_of(check, "check")), "{id}: {check}");
        assert!(text.contains(str_of(check, "requires")), "{id}: {check}");
    }
    if let Some(request) = case.get("request").filter(|r| !r.is_null()) {
        assert!(text.contains(str_of(request, "curl")), "{id}: curl line");
        assert!(text.contains(str_of(request, "url")), "{id}: URL");
    }
    if let Some(response) = case.get("response").filter(|r| !r.is_null()) {
        let status = response["status"].as_u64().unwrap().to_string();
        assert!(text.contains(&status), "{id}: status {status}");
        for pair in response["headers"].as_array().unwrap() {
            assert!(text.contains(pair[0].as_str().unwrap()), "{id}: {pair}");
            assert!(text.contains(pair[1].as_str().unwrap()), "{id}: {pair}");
        }
        // A JSON body is laid out one member a line, as serde_json's pretty printer does for
        // strings without escapes.
        let body = str_of(response, "body_preview");
        match serde_json::from_str::<Value>(body) {
            Ok(parsed) => {
                let pretty = serde_json::to_string_pretty(&parsed).unwrap();
                assert!(text.contains(&pretty), "{id}: {pretty}\n---\n{text}");
            }
            Err(_) => assert!(text.contains(body), "{id}: body"),
        }
    }
}

#[test]
fn the_html_report_shows_every_case_of_the_json_report_and_fetches_nothing() {
    let run = failing_run();
    let raw = std::fs::read_to_string(&run.html).unwrap();
    let read = html_check(&run.html);
    let cases = run.report["cases"].as_array().unwrap();
    shows_every_case_once_in_order(cases, &read);

    // The run first: the gate's reasons, with the counts the JSON report has.
    let text = str_of(&read, "text");
    let failed = run.report["summary"]["failed"].as_u64().unwrap();
    assert!(text.contains("The gate fails"), "{text}");
    assert!(text.contains(&format!("{failed} cases failed")), "{text}");
    let first_case = text.find(str_of(&cases[0], "title")).unwrap();
    assert!(text.find("The gate fails").unwrap() < first_case);

    fetches_nothing_and_links_only_refs(&raw, &read, cases);
    filters_the_verdicts_present(&read);
    has_accessible_basics(&read);

    // The secret given never appears, in any of the forms it travels in.
    let secret = reference::CLIENT_SECRET;
    let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    for form in [secret.to_owned(), encoded] {
        assert!(!raw.contains(&form), "the secret is in the page");
    }
    assert!(raw.contains("***"), "the secret shows masked");
}

/// Every `id` attribute on the page `read`, in document order.
fn ids_of(read: &Value) -> Vec<&str> {
    read["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap())
        .collect()
}

/// Every case once, in the JSON report's (id) order, with its verdict in class and words;
/// failures open, the rest closed.
fn shows_every_case_once_in_order(cases: &[Value], read: &Value) {
    let shown = read["cases"].as_array().unwrap();
    let ids: Vec<String> = cases
        .iter()
        .map(|c| format!("case-{}", str_of(c, "id")))
        .collect();
    let seen_ids: Vec<&str> = shown.iter().map(|c| str_of(c, "id")).collect();
    assert_eq!(seen_ids, ids, "{read:#}");
    let all_ids = ids_of(read);
    for id in &ids {
        assert_eq!(all_ids.iter().filter(|i| *i == id).count(), 1, "{id}");
    }
    for (case, seen) in cases.iter().zip(shown) {
        let id = str_of(case, "id");
        let (class, word) = verdict_of(case);
        assert_eq!(str_of(seen, "verdict"), class, "{id}");
        assert!(
            str_of(seen, "badge").ends_with(&format!(" {word}")),
            "{id}: the verdict in words, beside its colour: {}",
            seen["badge"]
        );
        assert_eq!(
            seen["open"],
            class == "fail" || class == "error",
            "{id}: failures open, the rest closed"
        );
        shows_the_record(case, seen);
        let hrefs: Vec<&str> = seen["refs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h.as_str().unwrap())
            .collect();
        assert_eq!(hrefs, refs_of(case), "{id}: refs");
    }
    let verdicts: Vec<&str> = shown.iter().map(|c| str_of(c, "verdict")).collect();
    assert!(verdicts.contains(&"fail") && verdicts.contains(&"pass"));
    assert!(
        shown
            .iter()
            .any(|c| !c["refs"].as_array().unwrap().is_empty())
    );
}

/// Nothing is fetched, and the only addresses in markup are the refs' links; every other
/// link stays on the page and leads to an element of it.
fn fetches_nothing_and_links_only_refs(raw: &str, read: &Value, cases: &[Value]) {
    assert_eq!(read["fetches"], serde_json::json!([]), "nothing is fetched");
    assert_eq!(read["scripts_with_src"], 0);
    assert_eq!(read["urls_in_code"], serde_json::json!([]));
    for needle in ["<script src", "<link", "@import", "url("] {
        assert!(!raw.contains(needle), "{needle}");
    }
    let refs: Vec<String> = cases.iter().flat_map(refs_of).collect();
    for url in read["urls_in_markup"].as_array().unwrap() {
        assert!(
            url["tag"] == "a" && url["attr"] == "href" && refs.iter().any(|r| *r == url["value"]),
            "an address in markup that is not a case's ref: {url}"
        );
    }
    let all_ids = ids_of(read);
    for link in read["links"].as_array().unwrap() {
        let href = str_of(link, "href");
        if link["cls"] == "ref" {
            continue;
        }
        let target = href
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("a link that leaves the page: {href}"));
        assert!(all_ids.contains(&target), "a link to nowhere: {href}");
    }
}

/// The filter offers the verdicts present, each checked (so everything shows at first).
fn filters_the_verdicts_present(read: &Value) {
    let mut filters: Vec<&str> = read["filters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(f["checked"], true, "{f}");
            str_of(f, "value")
        })
        .collect();
    filters.sort_unstable();
    let mut present: Vec<&str> = read["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| str_of(c, "verdict"))
        .collect();
    present.sort_unstable();
    present.dedup();
    assert_eq!(filters, present);
}

/// Accessible basics: a language, a title, headings that go down one level at a time.
fn has_accessible_basics(read: &Value) {
    assert_eq!(read["lang"], "en");
    assert!(str_of(read, "title").starts_with("authconform: FAILED"));
    let levels: Vec<u64> = read["headings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_u64().unwrap())
        .collect();
    assert_eq!(levels[0], 1, "{levels:?}");
    for pair in levels.windows(2) {
        assert!(
            pair[1] <= pair[0] + 1,
            "a heading level skipped: {levels:?}"
        );
    }
}

/// Outside text is text: a server that answers with markup, a bidi override and the secret
/// behind JSON escapes gets it shown, not rendered, and not decoded into the secret.
#[test]
fn server_text_in_the_html_report_is_escaped_and_stays_masked() {
    let secret = "s3cret-value-1234";
    // `\u0073` is `s`: a body that decodes to the secret without containing it.
    let body = format!(
        r#"{{"error":"<script>alert(1)</script>","error_description":"<img src=x onerror=alert(2)> \u0073{} \u202e"}}"#,
        &secret[1..]
    );
    let server = raw_server(move |_, s| {
        write_response(
            s,
            "400 Bad Request",
            &[("content-type", "application/json")],
            body.as_bytes(),
        );
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("h")).unwrap();
    std::fs::write(
        dir.path().join("h/c.json"),
        r#"{"title": "t <b>bold</b>", "documents": {"status": 400, "error": "invalid_request"},
            "refs": ["https://example.com/a\"><script>alert(3)</script>"],
            "request": {"method": "POST", "path": "/x", "form": {"client_secret": "{{client_secret}}"}},
            "expect": {"body": {"/error_description": {"const": "x"}}}}"#,
    )
    .unwrap();
    let html = dir.path().join("r.html");
    let out = run_cases(
        &server.url,
        dir.path(),
        &[
            "--secret",
            &format!("client_secret={secret}"),
            "--report-html",
            html.to_str().unwrap(),
        ],
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let raw = std::fs::read_to_string(&html).unwrap();
    for markup in ["<script>alert", "<img src=x", "<b>bold", "\"><script>"] {
        assert!(!raw.contains(markup), "markup written raw: {markup}");
    }
    assert!(
        !raw.contains(secret),
        "the secret, decoded from its escapes"
    );
    assert!(!raw.contains('\u{202e}'), "a bidi override written raw");
    let read = html_check(&html);
    let text = str_of(&read, "text");
    assert!(text.contains("<script>alert(1)</script>"), "{text}");
    assert!(text.contains("t <b>bold</b>"), "{text}");
    assert_eq!(read["fetches"], serde_json::json!([]));
    let case = &read["cases"][0];
    assert_eq!(case["open"], true);
    let href = case["refs"][0].as_str().unwrap();
    assert!(
        href.starts_with("https://example.com/a%22%3E%3Cscript%3E"),
        "{href}"
    );
}

fn chromium() -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::split_paths(&paths)
                .map(|p| p.join(name))
                .find(|p| p.is_file())
        })
}

/// Headless chromium on `page` with `extra` flags, in a profile of its own (so that several run
/// at once); returns its standard output.
fn headless(browser: &Path, profile: &Path, page: &Path, extra: &[String]) -> Vec<u8> {
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", browser.display()));
    assert!(
        out.status.success(),
        "{}: {}",
        browser.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The pages of a PDF as Skia writes them: one `/Type /Page` object each.
fn pdf_pages(pdf: &[u8]) -> usize {
    let needle = b"/Type /Page";
    pdf.windows(needle.len() + 1)
        .filter(|w| w.starts_with(needle) && w[needle.len()] != b's')
        .count()
}

/// A copy of the page, changed by `edit`, next to it.
fn variant(html: &Path, name: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let path = html.with_file_name(name);
    std::fs::write(&path, edit(std::fs::read_to_string(html).unwrap())).unwrap();
    path
}

fn without_script(page: String) -> String {
    let start = page.find("<script>").expect("the page has its script");
    let end = page[start..].find("</script>").unwrap() + start + "</script>".len();
    format!("{}{}", &page[..start], &page[end..])
}

/// A test's own script, run after the page's: it records which cases show, clicks the "passed"
/// filter's label as a person would, and records again, in attributes `--dump-dom` prints.
const CLICK_PASSED: &str = r#"<script>
(function () {
  function mark(name) {
    document.querySelectorAll('details.case').forEach(function (d) {
      d.setAttribute(name, getComputedStyle(d).display === 'none' ? 'hidden' : 'shown');
    });
  }
  mark('data-before');
  document.querySelector('label[for="show-pass"]').click();
  mark('data-after');
})();
</script>
</body>"#;

/// In a real browser: the page renders (a screenshot of the size asked for, not blank), prints
/// (a PDF with every case open, with and without script), its DOM after load is the page as
/// written (every case, failures open, nothing hidden), and its filter hides exactly the
/// verdict cleared.
#[test]
fn a_real_browser_renders_prints_and_filters_the_html_report() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("AUTHCONFORM_REQUIRE_BROWSER").is_none(),
            "chromium is required (AUTHCONFORM_REQUIRE_BROWSER is set) but not found on PATH"
        );
        crate::pytools::tell(
            "skipping the real browser's look at the HTML report: chromium is not on PATH",
        );
        return;
    };
    let run = failing_run();
    let dir = run.dir.path();
    let html = &run.html;
    let cases = run.report["cases"].as_array().unwrap();
    let no_script = variant(html, "no-script.html", without_script);
    let all_open = variant(html, "all-open.html", |page| {
        without_script(page)
            .replace("\" open>\n<summary>", "\">\n<summary>")
            .replace("<details class=\"case ", "<details open class=\"case ")
    });
    let opened = std::fs::read_to_string(&all_open).unwrap();
    assert_eq!(opened.matches("<details open").count(), cases.len());
    assert_eq!(opened.matches(" open>").count(), 0);
    let clicked = variant(html, "clicked.html", |page| {
        page.replacen("</body>", CLICK_PASSED, 1)
    });
    let png = dir.join("report.png");
    let pdf = |name: &str| dir.join(name);

    // Each browser in a thread of its own: they take a second or so each.
    let runs: Vec<(&Path, Vec<String>)> = vec![
        (
            html,
            vec![
                format!("--screenshot={}", png.display()),
                "--window-size=1280,2000".into(),
            ],
        ),
        (
            html,
            vec![format!("--print-to-pdf={}", pdf("report.pdf").display())],
        ),
        (
            &no_script,
            vec![format!("--print-to-pdf={}", pdf("no-script.pdf").display())],
        ),
        (
            &all_open,
            vec![format!("--print-to-pdf={}", pdf("all-open.pdf").display())],
        ),
        (html, vec!["--dump-dom".into()]),
        (&clicked, vec!["--dump-dom".into()]),
    ];
    let outputs: Vec<Vec<u8>> = std::thread::scope(|scope| {
        let handles: Vec<_> = runs
            .iter()
            .enumerate()
            .map(|(i, (page, extra))| {
                let (browser, profile) = (&browser, dir.join(format!("profile-{i}")));
                scope.spawn(move || headless(browser, &profile, page, extra))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    is_a_screenshot(&png);
    prints_every_case_open(dir);
    the_dom_is_the_page_as_written(dir, &outputs[4], cases);
    the_filter_hides_only_the_passes(dir, &outputs[5], cases);
}

/// The screenshot: a PNG of the window's size that is not one colour (a blank page compresses
/// to a few kilobytes).
fn is_a_screenshot(png: &Path) {
    let bytes = std::fs::read(png).expect("a screenshot");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&bytes[12..16], b"IHDR");
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!((width, height), (1280, 2000));
    assert!(bytes.len() > 50_000, "{} bytes", bytes.len());
    if let Some(keep) = std::env::var_os("AUTHCONFORM_KEEP_SCREENSHOT") {
        std::fs::copy(png, keep).unwrap();
    }
}

/// Printed, every case is open: by the print style sheet alone (no script), as many pages as
/// when every case is open in the markup; and with the script, the same.
fn prints_every_case_open(dir: &Path) {
    let pages = |name: &str| {
        let bytes = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("no {name}: {e}"));
        assert!(bytes.starts_with(b"%PDF-"), "{name}");
        pdf_pages(&bytes)
    };
    let open = pages("all-open.pdf");
    assert!(open > 1, "{open} pages");
    assert_eq!(pages("no-script.pdf"), open, "printing opens every case");
    assert_eq!(pages("report.pdf"), open, "printing opens every case");
}

/// The DOM after load, script run: the page as written.
fn the_dom_is_the_page_as_written(dir: &Path, output: &[u8], cases: &[Value]) {
    let dom = dir.join("dom.html");
    std::fs::write(&dom, output).unwrap();
    let read = html_check(&dom);
    let shown = read["cases"].as_array().unwrap();
    assert_eq!(
        shown.len(),
        cases.len(),
        "{}",
        String::from_utf8_lossy(output)
    );
    for (case, seen) in cases.iter().zip(shown) {
        let (class, _) = verdict_of(case);
        assert_eq!(str_of(seen, "id"), format!("case-{}", str_of(case, "id")));
        assert_eq!(str_of(seen, "verdict"), class);
        assert_eq!(seen["open"], class == "fail" || class == "error", "{seen}");
    }
    assert!(
        read["filters"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["checked"] == true),
        "{}",
        read["filters"]
    );
    assert!(!String::from_utf8_lossy(output).contains(" hidden"));
}

/// The filter: everything shows, then clearing "passed" hides the passes and nothing else.
fn the_filter_hides_only_the_passes(dir: &Path, output: &[u8], cases: &[Value]) {
    let dom = dir.join("clicked-dom.html");
    std::fs::write(&dom, output).unwrap();
    let read = html_check(&dom);
    let shown = read["cases"].as_array().unwrap();
    assert_eq!(shown.len(), cases.len());
    for (case, seen) in cases.iter().zip(shown) {
        let (class, _) = verdict_of(case);
        let id = str_of(case, "id");
        assert_eq!(seen["attrs"]["data-before"], "shown", "{id}");
        let after = if class == "pass" { "hidden" } else { "shown" };
        assert_eq!(seen["attrs"]["data-after"], after, "{id}");
    }
}
