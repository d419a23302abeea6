#!/bin/bash
# Time tlsmon against the floors and other tools on the corpus
# (bench/make-corpus.sh first) and write bench/RESULTS.md.
# One core (taskset -c 0) except the --workers rows (taskset -c 0,1: the
# scaling factor is what they measure); runs interleaved (every command once
# per round); medians of wall time and of CPU time (user + system: steadier
# than wall time when other work shares the machine); peak RSS from
# /usr/bin/time.
#   REPEAT=5      rounds for tlsmon, the floors and ndpiReader
#   SLOW_REPEAT=1 rounds for tshark and ssldump
#   BULK_TOOLS=0  tshark/ssldump on bulk-heavy too when 1 (minutes each)
#   BUILD=build   meson build directory
#   TOOL_TIMEOUT=900  seconds before a run is stopped (exit 124 in the table)
#   ATTACKS=1     also bench/attacks.py (hostile captures vs the benign rate)
#   CORPORA="diverse handshake-heavy bulk-heavy"  which corpus files to time
#   COMPARE=PATH  another tlsmon binary (a build of an earlier commit): one
#                 more row, "tlsmon ndjson (compared)", in the same rounds
# tlsmon gets the options in CORPUS/NAME.args too (the diverse corpus: the
# roots its chains verify against).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${BUILD:-$root/build}
corpus=${CORPUS:-$here/corpus}
repeat=${REPEAT:-5}
slow=${SLOW_REPEAT:-1}
out=${RESULTS:-$here/RESULTS.md}
tlsmon=$build/tlsmon
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

corpora=${CORPORA:-diverse handshake-heavy bulk-heavy}
ninja -C "$build" tlsmon bench/floor_read bench/floor_flow >/dev/null || exit 1
for f in $corpora; do
  [ -f "$corpus/$f.pcap" ] || { echo "run.sh: no $corpus/$f.pcap (run bench/make-corpus.sh)" >&2; exit 1; }
done

# name|command (FILE is replaced by the capture); after the name, slow|
# runs SLOW_REPEAT times, two|runs on two cores.
cmds() {
  local t="$tlsmon"
  [ -f "$corpus/$1.args" ] && t="$tlsmon $(cat "$corpus/$1.args")"
  echo "floor_read|$build/bench/floor_read FILE"
  echo "floor_flow|$build/bench/floor_flow FILE"
  echo "tlsmon text|$t --format text --no-summary FILE"
  echo "tlsmon ndjson --no-rules|$t --format ndjson --no-rules FILE"
  echo "tlsmon ndjson|$t --format ndjson FILE"
  [ -n "${COMPARE:-}" ] && echo "tlsmon ndjson (compared)|${t/#$tlsmon/$COMPARE} --format ndjson FILE"
  echo "tlsmon ndjson --workers 2|two|$t --format ndjson --workers 2 FILE"
  command -v ndpiReader >/dev/null && echo "ndpiReader|ndpiReader -q -i FILE"
  if [ "$1" != bulk-heavy ] || [ "${BULK_TOOLS:-0}" = 1 ]; then
    command -v tshark >/dev/null && echo "tshark TLS fields|slow|tshark -n -r FILE -Y tls.handshake -T fields -e ip.src -e ip.dst -e tcp.srcport -e tls.handshake.type -e tls.handshake.extensions_server_name -e tls.handshake.ciphersuite -e tls.record.version"
    command -v ssldump >/dev/null && echo "ssldump|slow|ssldump -n -N -r FILE"
  fi
}

: > "$work/times"
for corp in $corpora; do
  file=$corpus/$corp.pcap
  cmds "$corp" > "$work/cmds"
  for ((r = 1; r <= repeat; r++)); do
    while IFS= read -r line; do
      name=${line%%|*}; rest=${line#*|}
      cores=0
      if [[ $rest == slow\|* ]]; then rest=${rest#slow|}; ((r > slow)) && continue; fi
      if [[ $rest == two\|* ]]; then rest=${rest#two|}; cores=0,1; fi
      cmd=${rest//FILE/$file}
      t0=$(date +%s%N)
      /usr/bin/time -f "%M %U %S" -o "$work/rss" timeout "${TOOL_TIMEOUT:-900}" taskset -c $cores $cmd >/dev/null 2>"$work/err"
      rc=$?
      t1=$(date +%s%N)
      read -r kb usr sys < <(tail -1 "$work/rss")
      echo "$corp|$name|$(( (t1 - t0) / 1000 ))|$kb|$rc|$(awk "BEGIN { print $usr + $sys }")" >> "$work/times"
      echo "$corp round $r: $name $(( (t1 - t0) / 1000000 )) ms rc=$rc" >&2
    done < "$work/cmds"
  done
  "$build/bench/floor_flow" "$file" > "$work/$corp.flows"
done

# Kept so that RESULTS.md can be written again (new notes) without a run:
#   bench/results.py --times corpus/last-times --corpus corpus --flows corpus
cp "$work/times" "$corpus/last-times" 2>/dev/null
cp "$work"/*.flows "$corpus/" 2>/dev/null
python3 "$here/results.py" --times "$work/times" --corpus "$corpus" \
  --tlsmon "$tlsmon" --flows "$work" > "$out"
echo "wrote $out" >&2
# Under attack: the hostile captures of tests/e2e/adversarial.py against
# the benign corpus, a packet's cost as a factor (exit 1 past it).
[ "${ATTACKS:-1}" = 0 ] || python3 "$here/attacks.py" --tlsmon "$tlsmon" \
  --benign "$corpus/handshake-heavy.pcap" --repeat "$repeat" --results "$out"
