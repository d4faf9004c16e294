#!/usr/bin/env bash
# Create bench/.venv with the pinned comparison tools: ruff, bandit, semgrep.
# Idempotent: an existing venv is reused and pip skips what is already installed.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${BENCH_VENV:-$BENCH_DIR/.venv}"
PYTHON="${PYTHON:-python3}"

# Bump a pin here and in README.md together.
PINS=(
  "ruff==0.17.6"
  "bandit==1.9.4"
  "semgrep==1.185.0"
)

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "tools: creating $VENV" >&2
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PINS[@]}"

# Semgrep must never reach the network during a benchmark: local rules file,
# no metrics, no version check. A one-file smoke run proves it works that way.
export SEMGREP_SEND_METRICS=off SEMGREP_ENABLE_VERSION_CHECK=0
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
printf 'import pickle\n\ndef f(b):\n    return pickle.loads(b)\n' > "$probe/probe.py"
# Where the kernel allows it (root), the smoke run has no network at all, which
# proves semgrep needs none.
offline=()
if unshare -n true 2>/dev/null; then offline=(unshare -n); fi
out="$probe/out.json"
if ! "${offline[@]}" "$VENV/bin/semgrep" scan --config "$BENCH_DIR/semgrep-rules.yml" --metrics=off \
  --disable-version-check --json --quiet -o "$out" "$probe/probe.py"; then
  echo "tools: semgrep smoke run failed:" >&2
  cat "$out" >&2 2>/dev/null || true
  exit 1
fi
hits=$("$VENV/bin/python" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["results"]))' "$out")
if [[ "$hits" != "1" ]]; then
  echo "tools: semgrep smoke run expected 1 finding, got $hits" >&2
  exit 1
fi

echo "tools: ruff    $("$VENV/bin/ruff" --version)"
echo "tools: bandit  $("$VENV/bin/bandit" --version 2>/dev/null | head -n 1)"
echo "tools: semgrep $("$VENV/bin/semgrep" --version --disable-version-check 2>/dev/null | tail -n 1)${offline:+ (smoke run offline: ok)}"
