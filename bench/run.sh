#!/usr/bin/env bash
# Benchmark audit against ruff, bandit and semgrep on one corpus, side by side.
#
#   bench/run.sh [CORPUS_DIR]        (default: bench/.corpus/src, fetched by corpus.sh)
#
# Environment:
#   BENCH_RUNS=3          timed runs per tool
#   BENCH_WARMUP=1        untimed warm-up runs per tool
#   BENCH_TOOLS="audit ruff bandit semgrep"   which tools, in table order
#   BENCH_SKIP_BUILD=1    do not run `cargo build --release` (use the existing binary)
#   AUDIT_BIN=path        audit binary (default: ${CARGO_TARGET_DIR:-target}/release/audit)
#   AUDIT_ARGS="..."      extra audit flags (default: none; audit keeps no cache)
#   BENCH_NO_INSTALL=1    never apt-get install hyperfine or GNU time
#   BENCH_NO_HYPERFINE=1  time with a plain shell loop even if hyperfine is installed
#   BENCH_OUT=path        where to write the Markdown (default: bench/results/latest.md)
#
# A tool that is missing or fails is skipped with its reason in the table; the
# others still run. Timings are reported, never asserted.
set -uo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
VENV="${BENCH_VENV:-$BENCH_DIR/.venv}"
RUNS="${BENCH_RUNS:-3}"
WARMUP="${BENCH_WARMUP:-1}"
TOOLS="${BENCH_TOOLS:-audit ruff bandit semgrep}"
OUT="${BENCH_OUT:-$BENCH_DIR/results/latest.md}"
RULES_YML="$BENCH_DIR/semgrep-rules.yml"
AUDIT_BIN="${AUDIT_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/audit}"
read -r -a AUDIT_EXTRA <<< "${AUDIT_ARGS-}"

# Semgrep must stay offline: no metrics, no version check, local rules only.
export SEMGREP_SEND_METRICS=off SEMGREP_ENABLE_VERSION_CHECK=0 NO_COLOR=1

log() { echo "bench: $*" >&2; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# ---------------------------------------------------------------- prerequisites

apt_install() {
  [[ -n "${BENCH_NO_INSTALL:-}" || "$(id -u)" != 0 ]] && return 1
  command -v apt-get >/dev/null || return 1
  log "installing $* with apt-get"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; } >&2
}

use_hyperfine() { [[ -z "${BENCH_NO_HYPERFINE:-}" ]] && command -v hyperfine >/dev/null; }

gnu_time_ok() { /usr/bin/time -v true >/dev/null 2>&1; }

ensure_prereqs() {
  gnu_time_ok || apt_install time || true
  if ! gnu_time_ok; then
    log "GNU time (/usr/bin/time -v) is unavailable: peak RSS and CPU time will be blank"
  fi
  [[ -n "${BENCH_NO_HYPERFINE:-}" ]] || command -v hyperfine >/dev/null || apt_install hyperfine || true
  if use_hyperfine; then
    METHOD="hyperfine $(hyperfine --version | awk '{print $2}')"
  else
    METHOD="shell loop with \`date\` (no hyperfine)"
  fi
  if [[ ! -x "$VENV/bin/ruff" || ! -x "$VENV/bin/bandit" || ! -x "$VENV/bin/semgrep" ]]; then
    log "comparison tools missing, running tools.sh"
    "$BENCH_DIR/tools.sh" >&2 || log "tools.sh failed; the missing tools will be skipped"
  fi
}

resolve_corpus() {
  if [[ $# -ge 1 ]]; then
    CORPUS="$1"
  else
    CORPUS="$BENCH_DIR/.corpus/src"
    [[ -d "$CORPUS" ]] || "$BENCH_DIR/corpus.sh" >&2 || { log "corpus.sh failed"; exit 1; }
  fi
  [[ -d "$CORPUS" ]] || { log "corpus directory not found: $CORPUS"; exit 1; }
  CORPUS="$(cd "$CORPUS" && pwd)"
}

build_audit() {
  [[ " $TOOLS " == *" audit "* ]] || return 0
  if [[ -n "${BENCH_SKIP_BUILD:-}" ]]; then
    log "BENCH_SKIP_BUILD set: using $AUDIT_BIN as it is"
    return 0
  fi
  log "cargo build --release"
  if ! (cd "$ROOT" && cargo build --release --quiet) >"$WORK/build.log" 2>&1; then
    SKIP_REASON[audit]="cargo build --release failed ($(grep -c '^error' "$WORK/build.log") errors, first: $(grep -m1 '^error' "$WORK/build.log" | cut -c1-120))"
    log "${SKIP_REASON[audit]} (full log below)"
    tail -n 30 "$WORK/build.log" >&2
  fi
}

# ---------------------------------------------------------------- tool commands
# Each tool has a timed command (report thrown away, as a user would run it in
# CI) and a probe command (same work, report kept) used for counts and memory.

timed_cmd() {
  case "$1" in
    audit) CMD=("$AUDIT_BIN" "$CORPUS" --format json -o /dev/null --fail-on never "${AUDIT_EXTRA[@]}") ;;
    ruff) CMD=("$VENV/bin/ruff" check --isolated --select "S,DJ" --no-cache --exit-zero
      --output-format json -o /dev/null "$CORPUS") ;;
    bandit) CMD=("$VENV/bin/bandit" -r -q "$CORPUS" -f json -o /dev/null --exit-zero) ;;
    # --no-git-ignore and --x-ignore-semgrepignore-files make semgrep scan every
    # file like the others do: by default it drops gitignored paths (all of
    # bench/.corpus) and the tests/ folders its built-in .semgrepignore lists.
    semgrep) CMD=("$VENV/bin/semgrep" scan --config "$RULES_YML" --metrics=off
      --disable-version-check --no-git-ignore --x-ignore-semgrepignore-files
      --json -o /dev/null --quiet "$CORPUS") ;;
  esac
}

probe_cmd() {
  timed_cmd "$1"
  local report="$WORK/$1.json" i
  for i in "${!CMD[@]}"; do
    [[ "${CMD[$i]}" == /dev/null ]] && CMD[i]="$report"
  done
}

tool_version() {
  case "$1" in
    audit) "$AUDIT_BIN" --version 2>/dev/null | head -n 1 | awk '{print $NF}' ;;
    ruff) "$VENV/bin/ruff" --version 2>/dev/null | awk '{print $2}' ;;
    bandit) "$VENV/bin/bandit" --version 2>/dev/null | head -n 1 | awk '{print $2}' ;;
    semgrep) "$VENV/bin/semgrep" --version --disable-version-check 2>/dev/null | tail -n 1 ;;
  esac
}

tool_scope() {
  case "$1" in
    audit) echo "all built-in rules" ;;
    ruff) echo "S (flake8-bandit) + DJ (flake8-django)" ;;
    bandit) echo "all default plugins" ;;
    semgrep) echo "$(grep -c '^  - id:' "$RULES_YML") local rules (semgrep-rules.yml)" ;;
  esac
}

# Prints "findings files" read from the tool's JSON report.
count_report() {
  local tool="$1" extra=""
  # ruff's report names only files with findings; ask it which files it checks.
  if [[ "$tool" == ruff ]]; then
    extra=$("$VENV/bin/ruff" check --isolated --show-files "$CORPUS" 2>/dev/null | grep -c '\.py$')
  fi
  python3 - "$tool" "$WORK/$tool.json" "$extra" <<'PY'
import json, sys
tool, path, extra = sys.argv[1:4]
with open(path) as fh:
    data = json.load(fh)
if tool == "audit":
    findings = len(data.get("findings", []))
    files = data.get("summary", {}).get("files", "")
elif tool == "ruff":
    findings, files = len(data), extra
elif tool == "bandit":
    findings = len(data.get("results", []))
    files = len([k for k in data.get("metrics", {}) if k != "_totals"])
else:
    findings = len(data.get("results", []))
    files = len(data.get("paths", {}).get("scanned", []))
print(findings, files)
PY
}

# ---------------------------------------------------------------- measuring

# One run with /usr/bin/time -v: checks the tool works, and records peak RSS,
# CPU time, findings and files. Sets SKIP_REASON on failure.
probe_tool() {
  local tool="$1" rc
  probe_cmd "$tool"
  if [[ ! -x "${CMD[0]}" ]]; then
    SKIP_REASON[$tool]="not installed (${CMD[0]} missing)"
    return 1
  fi
  log "$tool: probe run (counts, peak memory)"
  if gnu_time_ok; then
    /usr/bin/time -v -o "$WORK/$tool.time" "${CMD[@]}" >"$WORK/$tool.stdout" 2>"$WORK/$tool.stderr"
  else
    "${CMD[@]}" >"$WORK/$tool.stdout" 2>"$WORK/$tool.stderr"
  fi
  rc=$?
  if [[ $rc -ne 0 ]]; then
    local last
    last=$(grep -v '^\s*$' "$WORK/$tool.stderr" | tail -n 1 | cut -c1-160)
    SKIP_REASON[$tool]="exited $rc${last:+: $last}"
    log "$tool skipped, ${SKIP_REASON[$tool]}"
    tail -n 15 "$WORK/$tool.stderr" >&2
    return 1
  fi
  if [[ -f "$WORK/$tool.time" ]]; then
    RSS[$tool]=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$WORK/$tool.time")
    CPU[$tool]=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.1f", u+s}' "$WORK/$tool.time")
  fi
  local counts
  if counts=$(count_report "$tool"); then
    read -r FINDINGS["$tool"] FILES["$tool"] <<<"$counts"
  else
    log "$tool: could not read its JSON report"
  fi
  return 0
}

# Timed runs; sets MEAN, SD, MIN, MAX for the tool. Returns 1 on failure.
time_tool() {
  local tool="$1"
  timed_cmd "$tool"
  log "$tool: $WARMUP warm-up + $RUNS timed runs"
  if use_hyperfine; then
    local line
    line=$(printf '%q ' "${CMD[@]}")
    if ! hyperfine --style basic --warmup "$WARMUP" --runs "$RUNS" \
      --export-json "$WORK/$tool.hf.json" -- "$line" >&2; then
      SKIP_REASON[$tool]="failed during timed runs"
      return 1
    fi
    read -r MEAN["$tool"] SD["$tool"] MIN["$tool"] MAX["$tool"] < <(python3 - "$WORK/$tool.hf.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(r["mean"], r.get("stddev") or 0, r["min"], r["max"])
PY
)
  else
    local i t0 t1 times=()
    for ((i = 0; i < WARMUP; i++)); do "${CMD[@]}" >/dev/null 2>&1; done
    for ((i = 0; i < RUNS; i++)); do
      t0=$(date +%s.%N)
      if ! "${CMD[@]}" >/dev/null 2>&1; then
        SKIP_REASON[$tool]="failed during timed runs"
        return 1
      fi
      t1=$(date +%s.%N)
      times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')")
    done
    read -r MEAN["$tool"] SD["$tool"] MIN["$tool"] MAX["$tool"] < <(printf '%s\n' "${times[@]}" | awk '
      {x[NR] = $1; s += $1; if (NR == 1 || $1 < mn) mn = $1; if ($1 > mx) mx = $1}
      END {m = s / NR; for (i = 1; i <= NR; i++) v += (x[i] - m)^2
           printf "%f %f %f %f\n", m, (NR > 1 ? sqrt(v / (NR - 1)) : 0), mn, mx}')
  fi
  return 0
}

# ---------------------------------------------------------------- report

corpus_lines() {
  local py_files py_mb stamp
  py_files=$(find "$CORPUS" -type f -name '*.py' | wc -l)
  py_mb=$(find "$CORPUS" -type f -name '*.py' -printf '%s\n' | awk '{s += $1} END {printf "%.1f", s / 1048576}')
  local where="${CORPUS#"$ROOT"/}"
  echo "- Corpus: \`$where\`: $py_files \`.py\` files, $py_mb MB of Python"
  for stamp in "$CORPUS"/*/.unpacked-from; do
    [[ -f "$stamp" ]] && echo "  - $(basename "$(dirname "$stamp")"): \`$(cat "$stamp")\`"
  done
}

# Shell-quotes only the arguments that need it, for a readable command line.
show_cmd() {
  local arg
  for arg in "$@"; do
    if [[ "$arg" =~ ^[A-Za-z0-9_./,:=@%+-]+$ ]]; then printf '%s ' "$arg"; else printf '%q ' "$arg"; fi
  done
}

fmt() { awk -v x="$1" 'BEGIN {printf "%.2f", x}'; }

render() {
  local fastest="" tool
  for tool in $TOOLS; do
    [[ -n "${MEAN[$tool]:-}" ]] || continue
    if [[ -z "$fastest" ]] || awk -v a="${MEAN[$tool]}" -v b="$fastest" 'BEGIN {exit !(a < b)}'; then
      fastest="${MEAN[$tool]}"
    fi
  done
  echo "# Benchmark: audit vs ruff, bandit, semgrep"
  echo
  echo "- Date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "- Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo) GiB RAM"
  corpus_lines
  echo "- Method: $METHOD, $WARMUP warm-up + $RUNS timed runs per tool; peak RSS, CPU time and counts from one extra run under \`/usr/bin/time -v\`"
  echo
  echo "| Tool | Version | Scope | Wall time (s), mean ± σ | Min–max (s) | × fastest | CPU (s) | Peak RSS (MB) | Findings | Files |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  for tool in $TOOLS; do
    if [[ -n "${MEAN[$tool]:-}" ]]; then
      printf '| %s | %s | %s | %s ± %s | %s–%s | %s | %s | %s | %s | %s |\n' \
        "$tool" "${VERSION[$tool]:-?}" "$(tool_scope "$tool")" \
        "$(fmt "${MEAN[$tool]}")" "$(fmt "${SD[$tool]}")" "$(fmt "${MIN[$tool]}")" "$(fmt "${MAX[$tool]}")" \
        "$(awk -v a="${MEAN[$tool]}" -v b="$fastest" 'BEGIN {printf "%.1f", a / b}')" \
        "${CPU[$tool]:-}" "${RSS[$tool]:-}" "${FINDINGS[$tool]:-}" "${FILES[$tool]:-}"
    else
      printf '| %s | %s | %s | skipped: %s | | | | | | |\n' \
        "$tool" "${VERSION[$tool]:--}" "$(tool_scope "$tool")" "${SKIP_REASON[$tool]:-unknown}" |
        sed 's/`//g'
    fi
  done
  echo
  echo "Commands timed (report discarded):"
  echo
  for tool in $TOOLS; do
    timed_cmd "$tool"
    local shown
    shown=$(show_cmd "${CMD[@]}" | sed -e "s#$(printf '%q' "$CORPUS")#<corpus>#g" \
      -e "s#$VENV/bin/##g" -e "s#$BENCH_DIR/#bench/#g" -e "s#$AUDIT_BIN#audit#g")
    echo "- $tool: \`${shown% }\`"
  done
}

# ---------------------------------------------------------------- main

declare -A SKIP_REASON=() RSS=() CPU=() FINDINGS=() FILES=() MEAN=() SD=() MIN=() MAX=() VERSION=()
METHOD=""
resolve_corpus "$@"
ensure_prereqs
build_audit

for tool in $TOOLS; do
  case "$tool" in audit | ruff | bandit | semgrep) ;; *)
    log "unknown tool '$tool' in BENCH_TOOLS"
    exit 2
    ;;
  esac
  [[ -n "${SKIP_REASON[$tool]:-}" ]] && continue
  VERSION[$tool]="$(tool_version "$tool")"
  probe_tool "$tool" || continue
  time_tool "$tool" || log "$tool skipped, ${SKIP_REASON[$tool]}"
done

mkdir -p "$(dirname "$OUT")"
render | tee "$OUT"
log "wrote ${OUT#"$ROOT"/}"
