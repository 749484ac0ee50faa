//! The JSON report (`--report-json PATH`): the run's facts, whether the gate passes and why
//! not, and every selected case with its verdict, checks, warnings, timing, the request as shown
//! (secrets masked) and a summary of the response. Its shape is `schemas/report.schema.json`.

use serde::Serialize;

use crate::{
    records::record::{Finding, Record, Verdict, millis},
    report::{GateFailure, MissingVariable, RunInfo, Tally},
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
    gate: &'a [GateFailure],
    interrupted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    signal: Option<&'a str>,
    not_run: Vec<&'a str>,
    summary: Tally,
    missing_variables: &'a [MissingVariable],
    hints: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    discovery: Option<&'a crate::http::discover::Discovered>,
    stale_deviations: Vec<&'a Finding>,
    cases: &'a [Record],
}

/// The report for `records` (already fit for output, and sorted), pretty-printed.
pub fn render(records: &[Record], info: &RunInfo<'_>) -> String {
    let report = Report {
        tool: "authconform",
        version: env!("CARGO_PKG_VERSION"),
        target: info.target,
        cases_from: info.cases,
        schemas_from: info.schemas,
        deviations_file: info.deviations,
        elapsed: info.elapsed,
        ok: info.ok(),
        gate: info.gate,
        interrupted: info.interrupted.is_some(),
        signal: info.interrupted,
        not_run: records
            .iter()
            .filter(|r| r.verdict == Verdict::NotRun)
            .map(|r| r.id.as_str())
            .collect(),
        summary: info.tally,
        missing_variables: info.missing,
        hints: info.hints,
        discovery: info.discovered,
        stale_deviations: records.iter().flat_map(|r| &r.stale_deviations).collect(),
        cases: records,
    };
    serde_json::to_string_pretty(&report).expect("records serialize to JSON") + "\n"
}
