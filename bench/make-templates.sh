#!/bin/bash
# make-templates.sh — capture the real handshakes the diverse benchmark
# corpus is made from (bench/templates.py: a private PKI of CHAINS chains,
# one Python ssl server that serves them all by SNI, Python ssl / curl /
# gnutls-cli clients), on the loopback of a private network namespace.
#
#   sudo bench/make-templates.sh [OUT_DIR]     (default bench/corpus/templates)
#   CHAINS=3000  distinct server chains (SCALE=0.01 makes 30; at least 8)
#   SEED=19      names, issuers, key types, validity and the connection mix
#
# Writes OUT_DIR/templates.pcap, manifest.json, roots.pem and keys/. Kept
# out of git (bench/corpus/ is ignored): ~13 000 connections, ~85 MB, 3 to 6
# minutes on the shared 2-CPU machine (most of it making and loading 3 000
# chains). The keys and random bytes differ between runs; everything the
# seed decides does not.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-$here/corpus/templates}
scale=${SCALE:-1}
chains=${CHAINS:-$(python3 -c "print(max(8, int(3000*$scale)))")}
seed=${SEED:-19}
ns=tlsmon-bench-$$
work=$(mktemp -d /tmp/tlsmon-templates.XXXXXX)
cap_pid=

die() { echo "make-templates: $*" >&2; exit 1; }
cleanup() {
    [ -n "$cap_pid" ] && kill "$cap_pid" 2>/dev/null
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || die "must run as root (network namespace, tcpdump)"
for tool in ip tcpdump python3; do
    command -v "$tool" >/dev/null || die "missing tool: $tool"
done
python3 -c 'import cryptography' 2>/dev/null || die "missing python3-cryptography"

rm -rf "$out"
mkdir -p "$out"
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
# Thousands of connections from one address: never reuse a port of a
# connection still in TIME_WAIT (loopback allows it by default), so each
# address pair in the capture is one connection.
ip netns exec "$ns" sysctl -qw net.ipv4.tcp_tw_reuse=0 \
    net.ipv4.ip_local_port_range="1024 65000"

ip netns exec "$ns" tcpdump -i lo -U --immediate-mode -B 65536 -s 0 -Z root \
    -w "$out/templates.pcap" "tcp portrange 4443-4450" 2>"$work/tcpdump" &
cap_pid=$!
for _ in $(seq 1 100); do
    grep -q 'listening on' "$work/tcpdump" && break
    sleep 0.05
done
grep -q 'listening on' "$work/tcpdump" || die "tcpdump did not start"

rc=0
ip netns exec "$ns" python3 "$here/templates.py" --out "$out" \
    --chains "$chains" --seed "$seed" || rc=$?
sleep 0.5 # the last FIN/ACKs reach the capture
kill -INT "$cap_pid"
wait "$cap_pid" || true
cap_pid=
cat "$work/tcpdump" >&2
# A template with a packet missing would replay as a lost segment.
drops=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$work/tcpdump")
[ "${drops:-0}" -eq 0 ] || die "tcpdump lost $drops packets: run again on a quieter machine"
[ "$rc" -eq 0 ] || die "templates.py failed ($rc)"
chmod -R a+rX "$out"
echo "make-templates: $out/templates.pcap ($(stat -c %s "$out/templates.pcap") bytes)" >&2
