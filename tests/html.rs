//! The HTML report (`--report-html`): read back by Python's own HTML parser and compared with
//! the JSON report of the same run, then opened in a real browser (Debian's chromium,
//! headless) for a screenshot, a PDF and the DOM after its script ran.

use std::process::Command;

use authconform::reference::Fault;
use serde_json::Value;

use crate::pytools::html_check;
use crate::util::*;

/// The report of a failing run against a server that answers a wrong secret with 400: passes,
/// failures, the secret given; returns (dir, html path, JSON report).
fn failing_run() -> (tempfile::TempDir, std::path::PathBuf, Value) {
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
    assert_eq!(out.code, 1, "{}", out.stdout);
    let report = read_report(&json);
    (dir, html, report)
}

#[test]
fn the_html_report_lists_every_case_as_the_json_report_does_and_fetches_nothing() {
    let (_dir, html, report) = failing_run();
    let text = std::fs::read_to_string(&html).unwrap();
    let read = html_check(&html);
    let cases = report["cases"].as_array().unwrap();
    let shown = read["cases"].as_array().unwrap();
    assert_eq!(shown.len(), cases.len(), "{read:#}");
    for (case, seen) in cases.iter().zip(shown) {
        let verdict = case["verdict"]["kind"].as_str().unwrap().replace('_', "-");
        assert_eq!(seen["id"], case["id"], "in id order");
        assert_eq!(seen["verdict"], verdict.as_str(), "{}", case["id"]);
        // Failures open, the rest closed.
        assert_eq!(
            seen["open"],
            verdict == "fail" || verdict == "error",
            "{}",
            case["id"]
        );
    }
    assert!(shown.iter().any(|c| c["verdict"] == "fail"));
    assert!(shown.iter().any(|c| c["verdict"] == "pass"));
    assert_eq!(read["scripts_with_src"], 0);
    assert_eq!(
        read["external"],
        serde_json::json!([]),
        "nothing is fetched"
    );
    assert!(
        read["links"].as_array().unwrap().is_empty(),
        "{}",
        read["links"]
    );
    assert!(!text.contains("http://fonts") && !text.contains("@import"));
    // The filter offers exactly the verdicts present.
    let mut filters: Vec<&str> = read["filters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    filters.sort_unstable();
    assert_eq!(filters, ["fail", "pass"]);
    // Secrets never appear; the failure detail does, expected against actual.
    let secret = authconform::reference::CLIENT_SECRET;
    assert!(!text.contains(secret));
    let visible = read["text"].as_str().unwrap();
    assert!(visible.contains("expected 401, got 400"), "{visible}");
    assert!(visible.contains("curl -i"), "{visible}");
    assert!(
        read["title"]
            .as_str()
            .unwrap()
            .starts_with("authconform: FAILED")
    );
}

/// Outside text is text: a server that answers with markup gets it shown, not rendered.
#[test]
fn server_text_in_the_html_report_is_escaped() {
    let server = raw_server(|_, s| {
        write_response(
            s,
            "400 Bad Request",
            &[("content-type", "application/json")],
            br#"{"error":"<script>alert(1)</script>","error_description":"<img src=x onerror=alert(2)>"}"#,
        );
    });
    let dir = one_case();
    let html = dir.path().join("r.html");
    let out = run_cases(
        &server.url,
        dir.path(),
        &["--report-html", html.to_str().unwrap()],
    );
    assert_eq!(out.code, 1, "{}", out.stdout);
    let text = std::fs::read_to_string(&html).unwrap();
    assert!(
        !text.contains("<script>alert"),
        "markup from the server was written raw"
    );
    assert!(
        !text.contains("<img src=x"),
        "markup from the server was written raw"
    );
    let read = html_check(&html);
    assert!(
        read["text"]
            .as_str()
            .unwrap()
            .contains("<script>alert(1)</script>")
    );
    assert_eq!(read["external"], serde_json::json!([]));
}

fn chromium() -> Option<std::path::PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|p| p.join(name))
                    .find(|p| p.is_file())
            })
        })
}

/// In a real browser: the page renders (a screenshot of the size asked for), prints (a PDF),
/// and its filter script runs without changing what is shown at load.
#[test]
fn a_real_browser_renders_prints_and_runs_the_html_report() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("AUTHCONFORM_REQUIRE_BROWSER").is_none(),
            "chromium is required (AUTHCONFORM_REQUIRE_BROWSER) but not installed"
        );
        eprintln!("skipping: chromium not found");
        return;
    };
    let (dir, html, report) = failing_run();
    let url = format!("file://{}", html.display());
    let headless = |extra: &[&str]| {
        Command::new(&browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
            ])
            .arg(format!(
                "--user-data-dir={}",
                dir.path().join("profile").display()
            ))
            .args(extra)
            .arg(&url)
            .output()
            .unwrap()
    };
    let png = dir.path().join("report.png");
    let shot = headless(&[
        &format!("--screenshot={}", png.display()),
        "--window-size=1280,2000",
    ]);
    assert!(
        png.is_file(),
        "no screenshot: {}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!((width, height), (1280, 2000));
    // A page that rendered is not one colour: the PNG of a blank page compresses to little.
    assert!(bytes.len() > 20_000, "{} bytes", bytes.len());
    if let Some(keep) = std::env::var_os("AUTHCONFORM_KEEP_SCREENSHOT") {
        std::fs::copy(&png, keep).unwrap();
    }

    let pdf = dir.path().join("report.pdf");
    let printed = headless(&[&format!("--print-to-pdf={}", pdf.display())]);
    assert!(
        pdf.is_file(),
        "no PDF: {}",
        String::from_utf8_lossy(&printed.stderr)
    );
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));

    let dom = headless(&["--dump-dom"]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    let cases = report["cases"].as_array().unwrap().len();
    assert_eq!(
        dom.matches("<details class=\"case ").count(),
        cases,
        "{dom}"
    );
    assert!(!dom.contains(" hidden"), "the filter hid cases at load");
}
