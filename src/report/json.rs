//! The JSON report (`--report-json PATH`): every case with its verdict, checks, warnings,
//! timing, the redacted request and a summary of the response. Its shape is
//! `schemas/report.schema.json`.

use serde::Serialize;

use crate::{
    deviations::Finding,
    record::{Record, millis},
    report::{RunInfo, terminal::Tally},
};

#[derive(Serialize)]
struct Report<'a> {
    tool: &'static str,
    version: &'static str,
    target: &'a str,
    cases_from: &'a str,
    schemas_from: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    deviations_file: Option<&'a str>,
    #[serde(rename = "elapsed_ms", serialize_with = "millis")]
    elapsed: std::time::Duration,
    ok: bool,
    summary: Tally,
    stale_deviations: &'a [Finding],
    cases: &'a [Record],
}

/// The report for `records` (already redacted and sorted), pretty-printed.
pub fn render(records: &[Record], info: &RunInfo<'_>) -> String {
    let summary = info.tally;
    let report = Report {
        tool: "authconform",
        version: env!("CARGO_PKG_VERSION"),
        target: info.target,
        cases_from: info.cases,
        schemas_from: info.schemas,
        deviations_file: info.deviations,
        elapsed: info.elapsed,
        ok: summary.ok(),
        summary,
        stale_deviations: info.findings,
        cases: records,
    };
    serde_json::to_string_pretty(&report).expect("records serialize to JSON") + "\n"
}
