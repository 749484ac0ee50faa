"""Independent check of a JUnit XML report for authconform's integration tests.

Usage: python junit_check.py XSD JUNIT_FILE

Validates JUNIT_FILE against XSD (Jenkins xunit's junit-10.xsd) with xmlschema
and reads it back with junitparser, so the Rust tests judge the report with
tools that share no code with the quick-junit writer. Prints one JSON object:

  {"valid": bool, "errors": [str], "parse_error": str|null,
   "suites": [{"name", "tests", "failures", "errors", "skipped", "counted",
               "cases": [{"name", "classname", "result", "message", "text"}]}]}

Exits 0 whenever it could judge the file, valid or not; non-zero only when it
could not run at all (bad arguments, unreadable files, broken XSD).
"""

import copy
import json
import sys
from xml.etree.ElementTree import ParseError

import junitparser
import xmlschema

COUNTS = ("tests", "failures", "errors", "skipped")
RESULT_NAMES = (
    (junitparser.Failure, "failure"),
    (junitparser.Error, "error"),
    (junitparser.Skipped, "skipped"),
)


def schema_errors(schema, path):
    try:
        # iter_errors, not validate: a test wants every violation, not the first.
        return [f"{e.path}: {e.reason}" for e in schema.iter_errors(path)]
    except ParseError as e:
        # Malformed XML is an answer (invalid), not a failure to run.
        return [f"not well-formed XML: {e}"]


def attribute_count(suite, name):
    # junitparser fills a missing count attribute by counting cases (and writes
    # it back), which would hide a missing attribute; report null instead.
    if suite._elem.get(name) is None:
        return None
    try:
        return getattr(suite, name)
    except ValueError:
        # junit-10.xsd types counts as xs:string, so "abc" can be schema-valid;
        # junitparser cannot read it as a number.
        return None


def counted(suite):
    # update_statistics on a copy: junitparser's own counting, without
    # overwriting the attributes we report next to it.
    twin = copy.deepcopy(suite)
    twin.update_statistics()
    return {name: getattr(twin, name) for name in COUNTS}


def case_json(case):
    results = case.result
    if not results:
        return {
            "name": case.name,
            "classname": case.classname,
            "result": "passed",
            "message": None,
            "text": None,
        }
    first = results[0]
    kind = next(label for cls, label in RESULT_NAMES if isinstance(first, cls))
    return {
        "name": case.name,
        "classname": case.classname,
        "result": kind,
        "message": first.message,
        "text": first.text,
    }


def suites_json(path):
    xml = junitparser.JUnitXml.fromfile(path)
    return [
        {
            "name": suite.name,
            **{name: attribute_count(suite, name) for name in COUNTS},
            "counted": counted(suite),
            "cases": [case_json(case) for case in suite],
        }
        for suite in xml
    ]


def main(argv):
    if len(argv) != 3:
        print("usage: junit_check.py XSD JUNIT_FILE", file=sys.stderr)
        return 2
    xsd, path = argv[1], argv[2]
    try:
        # Read once up front so an unreadable report is a failure to run,
        # not an "invalid" verdict.
        with open(path, "rb"):
            pass
        schema = xmlschema.XMLSchema(xsd)
    except (OSError, xmlschema.XMLSchemaException) as e:
        print(f"junit_check.py: {e}", file=sys.stderr)
        return 2

    errors = schema_errors(schema, path)
    parse_error = None
    suites = []
    try:
        suites = suites_json(path)
    except Exception as e:  # noqa: BLE001 - any junitparser failure is a verdict
        parse_error = f"junitparser: {type(e).__name__}: {e}"

    report = {
        "valid": not errors,
        "errors": errors,
        "parse_error": parse_error,
        "suites": suites,
    }
    json.dump(report, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
