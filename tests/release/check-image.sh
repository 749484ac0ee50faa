#!/usr/bin/env bash
# Builds the Containerfile's image from a musl binary and checks it as its users run it, on a
# machine with podman and no registry: the busybox base is made locally from Debian's static
# busybox (apt-get install busybox-static), so nothing is pulled. Checks: --version, a run of
# the suite against the built-in server (report written as the non-root user), and a GitLab CI
# job's script run by the image's sh with the entrypoint emptied.
#   tests/release/check-image.sh path/to/musl/authconform [VERSION]
# Where crun cannot run containers (cgroups v1), set PODMAN_RUNTIME=runc.
set -euo pipefail
binary=${1:?usage: check-image.sh MUSL_BINARY [VERSION]}
version=${2:-0.0.0}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
busybox=$(command -v busybox) || { echo "check-image: busybox (static) is not installed" >&2; exit 3; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/base" "$work/ctx/amd64" "$work/out"
cp "$busybox" "$work/base/busybox"
printf 'FROM scratch\nCOPY busybox /bin/busybox\nCOPY busybox /bin/sh\n' >"$work/base/Containerfile"
podman build -q -t localhost/authconform-busybox:check "$work/base" >/dev/null
cp "$binary" "$work/ctx/amd64/authconform"
cp /etc/ssl/certs/ca-certificates.crt "$work/ctx/"
podman build -q --platform linux/amd64 --build-arg BASE=localhost/authconform-busybox:check \
  --build-arg "VERSION=$version" -f "$repo/Containerfile" -t localhost/authconform:check "$work/ctx" >/dev/null
run=(podman run --rm)
if [[ -n ${PODMAN_RUNTIME:-} ]]; then
  run=(podman --runtime "$PODMAN_RUNTIME" run --rm --ulimit nofile=1024:1024 --ulimit nproc=1000:1000)
fi
said=$("${run[@]}" localhost/authconform:check --version)
[[ $said == "authconform $version" ]] || { echo "check-image: --version said: $said" >&2; exit 1; }
chmod 0777 "$work/out"
"${run[@]}" -v "$work/out:/work" localhost/authconform:check run --color never --report-json /work/report.json >/dev/null 2>&1
python3 - "$work/out/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s = r["summary"]
assert r["ok"] and s["failed"] == 0 and s["errors"] == 0 and s["passed"] == len(r["cases"]), s
PY
"${run[@]}" --entrypoint '' -v "$work/out:/builds" localhost/authconform:check sh -c \
  'cd /builds && mkdir -p gl && authconform run --profile rfc --color never --junit gl/authconform.xml 2>/dev/null >/dev/null && test -s gl/authconform.xml'
echo "check-image: ok: --version, the suite as uid $("${run[@]}" --entrypoint '' localhost/authconform:check sh -c 'id -u'), and a GitLab job's sh script"
