#!/bin/sh
# Build the benchmark corpus (kept out of git) from the committed captures:
#   bench/corpus/handshake-heavy.pcap  ~100 000 connections, little data each,
#                                      a share of them QUIC (QUIC_SHARE,
#                                      default 0.1; 0 for TCP only)
#   bench/corpus/bulk-heavy.pcap       ~1 000 connections, ~1.5 GB, mostly
#                                      application data after the handshake
# Fixed seeds: the same files every time. SCALE=0.01 makes a small corpus.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${CORPUS:-$here/corpus}
scale=${SCALE:-1}
mkdir -p "$out"
n_hs=$(python3 -c "print(max(10, int(100000*$scale)))")
n_bulk=$(python3 -c "print(max(4, int(1000*$scale)))")
python3 "$here/gencorpus.py" --kind handshake --connections "$n_hs" \
  --quic-share "${QUIC_SHARE:-0.1}" -o "$out/handshake-heavy.pcap"
python3 "$here/gencorpus.py" --kind bulk --connections "$n_bulk" \
  --bulk-bytes 1500000 -o "$out/bulk-heavy.pcap"
