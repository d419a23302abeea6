#!/bin/sh
# Build the benchmark corpus (kept out of git):
#   bench/corpus/diverse.pcap          ~100 000 connections shaped like a
#                                      real network's TLS (bench/gendiverse.py:
#                                      thousands of chains, tens of thousands
#                                      of names, TLS 1.3 majority, resumption,
#                                      failures, 10 % QUIC from the quic-*
#                                      captures), from real handshakes that
#                                      bench/make-templates.sh captures (root)
#                                      into bench/corpus/templates/;
#                                      diverse.json its distributions,
#                                      diverse.args what tlsmon is run with
#   bench/corpus/handshake-heavy.pcap  ~100 000 connections replayed from the
#                                      committed captures (a few names and
#                                      chains: the earlier corpus), a share
#                                      of them QUIC (QUIC_SHARE, default
#                                      0.1; 0 for TCP only)
#   bench/corpus/bulk-heavy.pcap       ~1 000 connections, ~1.5 GB, mostly
#                                      application data after the handshake
# Fixed seeds: the same files every time from the same templates (the
# templates themselves are remade only when missing or of another SCALE).
# SCALE=0.01 makes a small corpus. ONLY="diverse handshake-heavy bulk-heavy"
# picks which to build.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${CORPUS:-$here/corpus}
scale=${SCALE:-1}
only=${ONLY:-diverse handshake-heavy bulk-heavy}
mkdir -p "$out"
n_hs=$(python3 -c "print(max(10, int(100000*$scale)))")
n_bulk=$(python3 -c "print(max(4, int(1000*$scale)))")
n_chains=$(python3 -c "print(max(8, int(3000*$scale)))")
for kind in $only; do
  case $kind in
  diverse)
    tpl=$out/templates
    have=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['chains']))" \
      "$tpl/manifest.json" 2>/dev/null || echo 0)
    if [ "$have" != "$n_chains" ]; then
      CHAINS=$n_chains "$here/make-templates.sh" "$tpl"
    fi
    python3 "$here/gendiverse.py" --templates "$tpl" --connections "$n_hs" \
      -o "$out/diverse.pcap" --stats "$out/diverse.json"
    # The chains verify against the templates' roots, as public chains do
    # against the system's.
    echo "--ca-file $tpl/roots.pem" > "$out/diverse.args"
    ;;
  handshake-heavy)
    python3 "$here/gencorpus.py" --kind handshake --connections "$n_hs" \
      --quic-share "${QUIC_SHARE:-0.1}" -o "$out/handshake-heavy.pcap"
    ;;
  bulk-heavy)
    python3 "$here/gencorpus.py" --kind bulk --connections "$n_bulk" \
      --bulk-bytes 1500000 -o "$out/bulk-heavy.pcap"
    ;;
  *) echo "make-corpus: unknown corpus $kind" >&2; exit 1 ;;
  esac
done
