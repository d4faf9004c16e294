#!/usr/bin/env bash
# Fetch the benchmark corpus: pinned wheels of large Django projects from PyPI,
# each unpacked into bench/.corpus/src/<name>/. Safe to run repeatedly: a wheel
# already downloaded or a tree already unpacked is left alone.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CORPUS="${CORPUS_ROOT:-$BENCH_DIR/.corpus}"
WHEELS="$CORPUS/wheels"
SRC="$CORPUS/src"
PYTHON="${PYTHON:-python3}"

# name|PyPI requirement. Bump a pin here and the README's corpus table together.
PACKAGES=(
  "django|Django==5.2.19"
  "wagtail|wagtail==8.0.1"
  "weblate|Weblate==5.14.3"
  "django-oscar|django-oscar==4.2.1"
)

mkdir -p "$WHEELS" "$SRC"

# Finds the wheel pip saved for a requirement (wheel names normalise '-' to '_').
wheel_for() {
  local req="$1" dist ver
  dist="${req%%==*}"
  ver="${req##*==}"
  dist="$(printf '%s' "$dist" | tr '[:upper:]-' '[:lower:]_')"
  find "$WHEELS" -maxdepth 1 -iname "${dist}-${ver}-*.whl" | head -n 1
}

for entry in "${PACKAGES[@]}"; do
  name="${entry%%|*}"
  req="${entry#*|}"
  whl="$(wheel_for "$req")"
  if [[ -z "$whl" ]]; then
    echo "corpus: downloading $req" >&2
    # --python-version pins the interpreter the wheel is chosen for, so the
    # corpus does not depend on which python3 this machine happens to have.
    "$PYTHON" -m pip download --quiet --no-deps --only-binary :all: \
      --python-version 3.12 --dest "$WHEELS" "$req"
    whl="$(wheel_for "$req")"
    [[ -n "$whl" ]] || { echo "corpus: no wheel found for $req after download" >&2; exit 1; }
  fi
  dest="$SRC/$name"
  stamp="$dest/.unpacked-from"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$(basename "$whl")" ]]; then
    continue
  fi
  echo "corpus: unpacking $(basename "$whl") -> src/$name" >&2
  rm -rf "$dest"
  mkdir -p "$dest"
  # A wheel is a zip; python's zipfile avoids depending on the unzip package.
  "$PYTHON" -m zipfile -e "$whl" "$dest"
  basename "$whl" > "$stamp"
done

# Corpus size: all files, and the .py files with their total size.
py_files=$(find "$SRC" -type f -name '*.py' | wc -l)
py_bytes=$(find "$SRC" -type f -name '*.py' -printf '%s\n' | awk '{s+=$1} END {print s+0}')
py_lines=$(find "$SRC" -type f -name '*.py' -print0 | xargs -0 cat | wc -l)
all_files=$(find "$SRC" -type f ! -name '.unpacked-from' | wc -l)
printf 'corpus: %s\n' "$SRC"
for entry in "${PACKAGES[@]}"; do
  name="${entry%%|*}"
  n=$(find "$SRC/$name" -type f -name '*.py' | wc -l)
  printf '  %-14s %-26s %6s .py files\n' "$name" "${entry#*|}" "$n"
done
awk -v f="$all_files" -v p="$py_files" -v b="$py_bytes" -v l="$py_lines" \
  'BEGIN { printf "  total: %d files, %d .py files, %.1f MB of .py, %d lines of .py\n", f, p, b/1048576, l }'
