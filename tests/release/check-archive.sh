#!/usr/bin/env bash
# A release archive as a user gets it: its sha256 checked against the .sha256 file beside it,
# unpacked, its documents present with every relative link resolving, and the binary inside
# run: `--version` names this version, and `run` against its built-in server exits 0 with a
# JSON report in which every case passed. The release workflow runs it on each archive its
# runner can execute; by hand:
#   tests/release/check-archive.sh target/distrib/authconform-x86_64-unknown-linux-musl.tar.xz
# Needs bash, sha256sum (or shasum), tar (xz) or unzip, and python3 (or python) to read the
# documents and the report.
set -euo pipefail

if (($# != 1)); then
  echo "usage: $0 ARCHIVE (authconform-TARGET.tar.xz or .zip, with ARCHIVE.sha256 beside it)" >&2
  exit 2
fi
archive=$1
sums="$archive.sha256"
[[ -f $archive ]] || { echo "check-archive: no archive $archive" >&2; exit 2; }
[[ -f $sums ]] || { echo "check-archive: no checksum file $sums" >&2; exit 2; }

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1"
  else
    shasum -a 256 "$1"
  fi
}

# cargo-dist writes "HASH *NAME" (or "HASH  NAME"): the hash is the first field either way.
expected=$(awk 'NR == 1 { print tolower($1) }' "$sums")
actual=$(sha256 "$archive" | awk '{ print tolower($1) }')
if [[ ! $expected =~ ^[0-9a-f]{64}$ ]]; then
  echo "check-archive: $sums holds no sha256" >&2
  exit 1
fi
if [[ $expected != "$actual" ]]; then
  echo "check-archive: sha256 mismatch for $archive: $sums says $expected, the file is $actual" >&2
  exit 1
fi
echo "sha256 ok: $actual"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
name=$(basename "$archive")
case $name in
  *.tar.xz) stem=${name%.tar.xz}; tar -xJf "$archive" -C "$work" ;;
  *.tar.gz) stem=${name%.tar.gz}; tar -xzf "$archive" -C "$work" ;;
  *.zip) stem=${name%.zip}; unzip -q "$archive" -d "$work" ;;
  *) echo "check-archive: $name is not .tar.xz, .tar.gz or .zip" >&2; exit 2 ;;
esac

# The shared layout: authconform-TARGET/ holding the binary, README.md, LICENSE, CHANGELOG.md,
# CONTRIBUTING.md and docs/ (a zip may hold the files at its top level instead).
dir="$work/$stem"
[[ -d $dir ]] || dir=$work
bin="$dir/authconform"
[[ -f $bin ]] || bin="$dir/authconform.exe"
for file in "$bin" "$dir/README.md" "$dir/LICENSE" "$dir/CHANGELOG.md" "$dir/CONTRIBUTING.md" \
  "$dir/docs/architecture.md"; do
  [[ -f $file ]] || { echo "check-archive: $name does not hold ${file#"$work"/}" >&2; exit 1; }
done
echo "archive holds: $(cd "$work" && find . -type f | sort | tr '\n' ' ')"

python=$(command -v python3 || command -v python) || { echo "check-archive: no python3" >&2; exit 1; }
# Every relative link of the documents in the archive leads to a file in it: README's links
# into docs/ are read in the unpacked archive as much as on GitHub.
"$python" - "$dir" <<'PY'
import os, re, sys
top = sys.argv[1]
broken = []
for folder, _, names in os.walk(top):
    for name in names:
        if not name.endswith(".md"):
            continue
        path = os.path.join(folder, name)
        text = open(path, encoding="utf-8").read()
        # Links outside code: fenced blocks and inline code spans may show [x](y) as text.
        text = re.sub(r"```.*?```", "", text, flags=re.S)
        text = re.sub(r"`[^`\n]*`", "", text)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            target = target.split("#", 1)[0]
            if not target or re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue
            if not os.path.exists(os.path.join(folder, target)):
                broken.append(f"{os.path.relpath(path, top)} -> {target}")
if broken:
    sys.exit("check-archive: links to files the archive does not hold: " + "; ".join(broken))
print("links ok: every relative link of the archive's documents resolves")
PY

version=$("$bin" --version)
echo "$version"
if [[ ! $version =~ ^authconform\ [0-9]+\.[0-9]+\.[0-9]+ ]]; then
  echo "check-archive: --version printed '$version'" >&2
  exit 1
fi
# A tag's archives carry the tag's version.
if [[ -n ${EXPECT_VERSION:-} && $version != "authconform ${EXPECT_VERSION#v}" ]]; then
  echo "check-archive: --version printed '$version', the release is $EXPECT_VERSION" >&2
  exit 1
fi

report="$work/report.json"
status=0
"$bin" run --color never --report-json "$report" >"$work/run.out" 2>&1 || status=$?
if ((status != 0)); then
  cat "$work/run.out" >&2
  echo "check-archive: run against the built-in server exited $status" >&2
  exit 1
fi
"$python" - "$report" <<'PY'
import json, sys
report = json.load(open(sys.argv[1], encoding="utf-8"))
summary = report["summary"]
cases = report["cases"]
problems = []
if report.get("tool") != "authconform" or report.get("ok") is not True:
    problems.append(f"tool {report.get('tool')!r}, ok {report.get('ok')!r}")
if not cases or summary["passed"] != len(cases):
    problems.append(f"{summary['passed']} of {len(cases)} cases passed")
if any(summary[k] for k in ("failed", "errors", "skipped", "not_run")):
    problems.append(f"summary {summary}")
if problems:
    sys.exit("check-archive: the JSON report: " + "; ".join(problems))
print(f"run ok: {summary['passed']} cases passed against the built-in server")
PY
