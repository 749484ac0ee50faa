#!/usr/bin/env bash
# The GitHub Action's work (action.yml runs it with bash on every runner, Windows too): fetch the
# pinned release archive for this runner, check it against the release's .sha256 before anything
# in it runs, unpack it, run the gate with all three reports, and, when a previous JSON report is
# given, append `authconform diff`'s table to the step summary. It never compiles.
#
# Inputs come as environment variables (action.yml maps each `inputs.X` to INPUT_X; an input is
# never pasted into this script, so no value is read as shell): INPUT_TARGET (required),
# INPUT_PROFILE, INPUT_VARS, INPUT_DEVIATIONS, INPUT_VERSION (required), INPUT_ARGS, INPUT_REPORTS,
# INPUT_COMPARE. From the runner: RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_STEP_SUMMARY,
# GITHUB_OUTPUT. AUTHCONFORM_RELEASE_BASE replaces the release URL up to the tag (tests serve a
# fake release on loopback with it).
#
# Exit code: the run's (0 passed, 1 the gate failed, 2 bad input, 130 interrupted); 3 when the
# archive could not be fetched, checked or unpacked, before anything ran.
set -euo pipefail

bin='' triple=''

# A workflow command's message: `%`, CR and LF escaped as GitHub reads them, so that a
# multi-line text (a path from an input, a tool's error) stays one annotation.
data() {
    local text=$1
    text=${text//'%'/%25}
    text=${text//$'\r'/%0D}
    text=${text//$'\n'/%0A}
    printf '%s' "$text"
}

fail() {
    echo "::error title=authconform action::$(data "$*")"
    exit 3
}

output() {
    if [[ -n ${GITHUB_OUTPUT:-} ]]; then
        printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
    fi
}

# Sets `triple`, the release's name for this runner (cargo-dist's target triples; the Linux
# builds are static musl ones).
target_triple() {
    case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
    Linux/X64) triple=x86_64-unknown-linux-musl ;;
    Linux/ARM64) triple=aarch64-unknown-linux-musl ;;
    macOS/X64) triple=x86_64-apple-darwin ;;
    macOS/ARM64) triple=aarch64-apple-darwin ;;
    Windows/X64) triple=x86_64-pc-windows-msvc ;;
    *) fail "no release archive for RUNNER_OS=${RUNNER_OS:-unset} RUNNER_ARCH=${RUNNER_ARCH:-unset} (there are Linux X64/ARM64, macOS X64/ARM64, Windows X64)" ;;
    esac
}

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    else
        shasum -a 256 "$1" | cut -d' ' -f1
    fi
}

# Downloads, checks and unpacks the archive; sets `bin` to the binary's path. (Not a command
# substitution: `fail` must end the script, and its message reach the log.)
install() {
    local version=$1 ext archive base temp dir expected actual
    target_triple
    ext=tar.xz
    [[ $triple == *windows* ]] && ext=zip
    archive=authconform-$triple.$ext
    base=${AUTHCONFORM_RELEASE_BASE:-https://github.com/authconform/authconform/releases/download}
    base=${base%/}/v$version
    temp=${RUNNER_TEMP:-${TMPDIR:-/tmp}}
    # Git Bash on Windows: RUNNER_TEMP is a Windows path (D:\a\_temp); cygpath makes it /d/a/_temp.
    if command -v cygpath >/dev/null 2>&1; then
        temp=$(cygpath -u "$temp")
    fi
    dir=$(mktemp -d "$temp/authconform.XXXXXX") || fail "cannot create a temporary folder in $temp"
    echo "authconform $version: $base/$archive" >&2
    curl -fsSL --retry 3 --proto '=https,http' -o "$dir/$archive" "$base/$archive" ||
        fail "cannot download $base/$archive (is v$version released?)"
    curl -fsSL --retry 3 --proto '=https,http' -o "$dir/$archive.sha256" "$base/$archive.sha256" ||
        fail "cannot download $base/$archive.sha256"
    # The checksum file is `HASH  NAME` (sha256sum's format): only its hash is read.
    expected=$(head -c 200 "$dir/$archive.sha256" | head -n 1 | cut -d' ' -f1 | tr 'A-F' 'a-f')
    [[ $expected =~ ^[0-9a-f]{64}$ ]] || fail "$archive.sha256 holds no sha256"
    actual=$(sha256_of "$dir/$archive") || fail "cannot hash $archive"
    [[ $actual == "$expected" ]] ||
        fail "$archive does not match its checksum (sha256 $actual, the release says $expected): nothing was run"
    if [[ $ext == zip ]]; then
        if command -v unzip >/dev/null 2>&1; then
            unzip -q "$dir/$archive" -d "$dir" || fail "cannot unpack $archive"
        else
            7z x -y "-o$dir" "$dir/$archive" >/dev/null || fail "cannot unpack $archive"
        fi
        bin=$dir/authconform-$triple/authconform.exe
    else
        tar -xJf "$dir/$archive" -C "$dir" || fail "cannot unpack $archive"
        bin=$dir/authconform-$triple/authconform
    fi
    [[ -f $bin ]] || fail "$archive holds no authconform-$triple/${bin##*/}"
}

# `authconform diff OLD NEW` into the step summary. A change is news, not a failure: the step's
# exit code stays the run's.
compare() {
    local bin=$1 old=$2 new=$3 table code=0
    if [[ ! -f $old ]]; then
        echo "authconform: no previous report at $old: nothing to compare (the first run keeps one)"
        return 0
    fi
    if [[ ! -f $new ]]; then
        echo "::warning title=authconform::$(data "the run wrote no report, so nothing to compare with $old")"
        return 0
    fi
    table=$(NO_COLOR=1 "$bin" diff "$old" "$new" --format pretty 2>&1) || code=$?
    [[ -n ${GITHUB_STEP_SUMMARY:-} ]] || {
        printf '%s\n' "$table"
        return 0
    }
    case $code in
    0) printf '\n### Since the previous report\n\nNothing changed.\n' >>"$GITHUB_STEP_SUMMARY" ;;
    1)
        # The table may hold a server's text: HTML-escaped inside <pre>, it shows as written.
        {
            printf '\n### Since the previous report\n\n<pre>\n'
            printf '%s\n' "$table" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'
            printf '</pre>\n'
        } >>"$GITHUB_STEP_SUMMARY"
        ;;
    *) echo "::warning title=authconform diff::$(data "could not compare with $old (exit $code): $table")" ;;
    esac
}

main() {
    local version=${INPUT_VERSION:-} reports=${INPUT_REPORTS:-authconform-reports} code=0
    local -a run extra=()
    [[ -n ${INPUT_TARGET:-} ]] || fail "the input \`target\` is empty: give the server's base URL"
    [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] ||
        fail "the input \`version\` is not a version such as 0.1.0: ${version:-empty}"
    install "$version"
    mkdir -p -- "$reports" || fail "cannot create the reports folder $reports"
    run=(run --target "$INPUT_TARGET" --profile "${INPUT_PROFILE:-auth0}")
    [[ -z ${INPUT_VARS:-} ]] || run+=(--vars "$INPUT_VARS")
    [[ -z ${INPUT_DEVIATIONS:-} ]] || run+=(--deviations "$INPUT_DEVIATIONS")
    run+=(--junit "$reports/junit.xml" --report-json "$reports/report.json"
        --report-html "$reports/report.html" --annotations github)
    # `args`: words split on white space and taken literally: no quotes, globs or `$` are read.
    set -f
    read -r -d '' -a extra <<<"${INPUT_ARGS:-}" || true
    set +f
    # ${a[@]+...}: bash 3.2 (macOS's /bin/bash) calls an empty array unset under `set -u`.
    "$bin" "${run[@]}" ${extra[@]+"${extra[@]}"} || code=$?
    output exit-code "$code"
    output report-json "$reports/report.json"
    if [[ -n ${INPUT_COMPARE:-} ]]; then
        compare "$bin" "$INPUT_COMPARE" "$reports/report.json"
    fi
    return "$code"
}

main "$@"
