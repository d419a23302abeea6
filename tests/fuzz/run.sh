#!/usr/bin/env bash
# Builds every libFuzzer target (clang, ASan+UBSan) in build-fuzz/ and runs
# each for N seconds (default 60) on its committed corpus. A crash input is
# left in tests/fuzz/crashes/ and the script exits non-zero.
#   tests/fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
    -Db_lundef=false >/dev/null
fi
# Only the fuzz targets (and the library they link): the rest of this
# build (tlsmon, the unit tests) is built and run by the other stages.
targets=$(for src in tests/fuzz/fuzz_*.c; do
  name=$(basename "$src" .c); echo "tests/fuzz/$name"; done)
# shellcheck disable=SC2086
ninja -C build-fuzz $targets >/dev/null
mkdir -p tests/fuzz/crashes
status=0
for exe in build-fuzz/tests/fuzz/fuzz_*; do
  [ -f "$exe" ] && [ -x "$exe" ] || continue
  name=$(basename "$exe")
  corpus=tests/fuzz/corpus/${name#fuzz_}
  mkdir -p "$corpus"
  work=$(mktemp -d)
  echo "== $name for ${secs}s"
  if ! "$exe" -max_total_time="$secs" -print_final_stats=1 \
       -artifact_prefix=tests/fuzz/crashes/"$name"- "$work" "$corpus" \
       2>"$work.log"; then
    echo "FAIL $name: see tests/fuzz/crashes/ and $work.log"
    tail -30 "$work.log"
    status=1
  else
    grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$work.log" | sed 's/^/   /'
  fi
  rm -rf "$work"
done
exit $status
