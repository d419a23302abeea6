#!/bin/bash
# make-captures.sh — make tlsmon's test captures with real TLS stacks.
#
# Every scenario runs inside a private network namespace (only its own
# loopback), so nothing leaves the machine and fixed ports cannot clash with
# anything on the host. Each scenario: start tcpdump on the namespace's lo
# with a port filter, start a server, run one client (or two), stop both,
# stop tcpdump cleanly. The certificates in certs/ are made once (a private
# CA hierarchy) and reused, so remaking the captures changes only random
# bytes (randoms, keys, tickets, timestamps), not the facts in expected/.
#
# Usage: sudo captures/make-captures.sh [--new-certs] [scenario ...]
#   --new-certs   remake the CA hierarchy in certs/ before capturing
#   scenario      capture names without .pcap (default: all)
#
# Needs: root, iproute2, ethtool, tcpdump, openssl, gnutls-bin, curl, python3,
# faketime; for the quic-* scenarios ngtcp2-client, ngtcp2-server, gcc and
# libgnutls28-dev (a small LD_PRELOAD shim, quicshim.c, is built);
# tshark (optional) for the self-checks after each capture; for the starttls-*
# scenarios also postfix, dovecot-imapd, dovecot-pop3d, vsftpd, prosody,
# slapd, ldap-utils, postgresql, mariadb-server and mariadb-client (their
# services need not run: each scenario starts its own server in the
# namespace).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CERTS=$HERE/certs
NS=tlsmon-cap-$$
WORK=$(mktemp -d /tmp/tlsmon-cap.XXXXXX)
PIDS=()

die() { echo "make-captures: $*" >&2; exit 1; }

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    ip netns del "$NS" 2>/dev/null || true
    ip netns del "$NS-far" 2>/dev/null || true
    [ -n "${KEEP_WORK:-}" ] && echo "work dir kept: $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, tcpdump)"
for tool in ip tcpdump openssl gnutls-serv gnutls-cli curl python3 faketime ss; do
    command -v "$tool" >/dev/null || die "missing tool: $tool"
done

NEW_CERTS=0
WANT=()
for arg in "$@"; do
    case $arg in
    --new-certs) NEW_CERTS=1 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    -*) die "unknown option $arg" ;;
    *) WANT+=("$arg") ;;
    esac
done

# ---------------------------------------------------------------------------
# Certificates: root CA -> intermediate CA -> leaves; plus an unrelated CA
# that clients use when they must NOT trust the server.

VALID_DAYS=7300 # twenty years, so the captures keep verifying

# sign_cert NAME CN EXTENSION-SECTION ISSUER [openssl x509 args]
sign_cert() {
    local name=$1 cn=$2 ext=$3 issuer=$4
    shift 4
    openssl req -new -key "$CERTS/$name.key" -subj "/O=tlsmon test/CN=$cn" \
        -out "$WORK/$name.csr"
    openssl x509 -req -in "$WORK/$name.csr" -sha256 \
        -CA "$CERTS/$issuer.pem" -CAkey "$CERTS/$issuer.key" \
        -set_serial "0x$(openssl rand -hex 8)" \
        -extfile "$WORK/ext.cnf" -extensions "$ext" \
        -out "$CERTS/$name.pem" "$@"
}

make_certs() {
    rm -rf "$CERTS"
    mkdir -p "$CERTS"
    cat >"$WORK/ext.cnf" <<'EOF'
[root]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[inter]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[server]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:server.test
[other]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:other.test
[selfsigned]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
subjectAltName = DNS:server.test
EOF
    local k
    for k in root-ca intermediate-ca other-ca server-rsa server-expired \
             server-selfsigned other-name; do
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
            -out "$CERTS/$k.key" 2>/dev/null
    done
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -out "$CERTS/server-ecdsa.key"

    openssl req -x509 -new -key "$CERTS/root-ca.key" -sha256 \
        -days "$VALID_DAYS" -subj "/O=tlsmon test/CN=tlsmon test root CA" \
        -config "$WORK/ext.cnf" -extensions root -out "$CERTS/root-ca.pem"
    openssl req -x509 -new -key "$CERTS/other-ca.key" -sha256 \
        -days "$VALID_DAYS" -subj "/O=tlsmon other/CN=tlsmon unrelated CA" \
        -config "$WORK/ext.cnf" -extensions root -out "$CERTS/other-ca.pem"
    sign_cert intermediate-ca "tlsmon test intermediate CA" inter root-ca \
        -days "$VALID_DAYS"
    sign_cert server-rsa server.test server intermediate-ca -days "$VALID_DAYS"
    sign_cert server-ecdsa server.test server intermediate-ca -days "$VALID_DAYS"
    sign_cert other-name other.test other intermediate-ca -days "$VALID_DAYS"
    # Expired long ago: issued on 2020-01-01, valid 30 days.
    faketime -f '@2020-01-01 00:00:00' \
        openssl req -new -key "$CERTS/server-expired.key" \
        -subj "/O=tlsmon test/CN=server.test" -out "$WORK/server-expired.csr"
    faketime -f '@2020-01-01 00:00:00' \
        openssl x509 -req -in "$WORK/server-expired.csr" -sha256 \
        -CA "$CERTS/intermediate-ca.pem" -CAkey "$CERTS/intermediate-ca.key" \
        -set_serial "0x$(openssl rand -hex 8)" \
        -extfile "$WORK/ext.cnf" -extensions server \
        -days 30 -out "$CERTS/server-expired.pem"
    openssl req -x509 -new -key "$CERTS/server-selfsigned.key" -sha256 \
        -days "$VALID_DAYS" -subj "/O=tlsmon test/CN=server.test" \
        -config "$WORK/ext.cnf" -extensions selfsigned \
        -out "$CERTS/server-selfsigned.pem"

    # Full chains (leaf first) for servers that take one file.
    local leaf
    for leaf in server-rsa server-ecdsa server-expired other-name; do
        cat "$CERTS/$leaf.pem" "$CERTS/intermediate-ca.pem" \
            >"$CERTS/$leaf-chain.pem"
    done
    rm -f "$CERTS"/*.srl
    chmod 644 "$CERTS"/*
    openssl verify -CAfile "$CERTS/root-ca.pem" \
        -untrusted "$CERTS/intermediate-ca.pem" \
        "$CERTS/server-rsa.pem" "$CERTS/server-ecdsa.pem" \
        "$CERTS/other-name.pem" >/dev/null
}

if [ "$NEW_CERTS" -eq 1 ] || [ ! -s "$CERTS/root-ca.pem" ] ||
   [ ! -s "$CERTS/server-ecdsa-chain.pem" ]; then
    echo "making certificates in $CERTS"
    make_certs
fi

ROOT=$CERTS/root-ca.pem
INTER=$CERTS/intermediate-ca.pem

# Certificates for the certificate-analysis scenarios (cert-*). Made only
# when missing, so that adding them does not change the ones above (and the
# existing captures' expectations).
make_extra_certs() {
    cat >"$WORK/ext2.cnf" <<'EOF'
[leaf]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = $ENV::SAN
authorityInfoAccess = OCSP;URI:http://ocsp.tlsmon.test/,caIssuers;URI:http://ca.tlsmon.test/inter.crt
crlDistributionPoints = URI:http://crl.tlsmon.test/inter.crl
[client]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = $ENV::SAN
[bigca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
    # extra_cert NAME CN SAN SECTION ISSUER BITS [openssl x509 args]
    extra_cert() {
        local name=$1 cn=$2 san=$3 sect=$4 issuer=$5 bits=$6
        shift 6
        [ -s "$CERTS/$name.pem" ] && return 0
        openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$bits" \
            -out "$CERTS/$name.key" 2>/dev/null
        openssl req -new -key "$CERTS/$name.key" \
            -subj "/O=tlsmon test/CN=$cn" -out "$WORK/$name.csr"
        SAN=$san openssl x509 -req -in "$WORK/$name.csr" \
            -CA "$CERTS/$issuer.pem" -CAkey "$CERTS/$issuer.key" \
            -set_serial "0x$(openssl rand -hex 8)" \
            -extfile "$WORK/ext2.cnf" -extensions "$sect" \
            -out "$CERTS/$name.pem" "$@"
        chmod 644 "$CERTS/$name.pem" "$CERTS/$name.key"
    }
    extra_cert server-wildcard '*.wild.test' 'DNS:*.wild.test' leaf \
        intermediate-ca 2048 -sha256 -days "$VALID_DAYS"
    extra_cert server-ip 127.0.0.1 'IP:127.0.0.1,IP:::1' leaf \
        intermediate-ca 2048 -sha256 -days "$VALID_DAYS"
    extra_cert server-rsa1024 server.test 'DNS:server.test' leaf \
        intermediate-ca 1024 -sha256 -days "$VALID_DAYS"
    extra_cert server-sha1 server.test 'DNS:server.test' leaf \
        intermediate-ca 2048 -sha1 -days "$VALID_DAYS"
    extra_cert client-mtls 'tlsmon test client' 'DNS:client.test' client \
        intermediate-ca 2048 -sha256 -days "$VALID_DAYS"
    # A client certificate made for servers only (serverAuth, no
    # clientAuth): what public CAs issue from 2026.
    extra_cert client-serverauth 'tlsmon test client' 'DNS:client.test' \
        leaf intermediate-ca 2048 -sha256 -days "$VALID_DAYS"
    # An intermediate signed with SHA-1 under a SHA-256 leaf.
    extra_cert inter-sha1 'tlsmon SHA-1 intermediate CA' 'DNS:unused.test' \
        bigca root-ca 2048 -sha1 -days "$VALID_DAYS"
    extra_cert server-under-sha1 server.test 'DNS:server.test' leaf \
        inter-sha1 2048 -sha256 -days "$VALID_DAYS"
    # A long chain of 4096-bit certificates under the root.
    extra_cert big-ca1 'tlsmon big CA 1' 'DNS:unused.test' bigca root-ca \
        4096 -sha384 -days "$VALID_DAYS"
    extra_cert big-ca2 'tlsmon big CA 2' 'DNS:unused.test' bigca big-ca1 \
        4096 -sha384 -days "$VALID_DAYS"
    extra_cert big-ca3 'tlsmon big CA 3' 'DNS:unused.test' bigca big-ca2 \
        4096 -sha384 -days "$VALID_DAYS"
    extra_cert server-big server.test \
        'DNS:server.test,DNS:www.server.test,DNS:api.server.test' leaf \
        big-ca3 4096 -sha384 -days "$VALID_DAYS"
    # Valid only from two years after it was made.
    [ -s "$CERTS/server-future.pem" ] ||
        faketime -f '+730d' bash -c "$(declare -f extra_cert); CERTS='$CERTS' \
            WORK='$WORK'; extra_cert server-future server.test \
            'DNS:server.test' leaf intermediate-ca 2048 -sha256 -days 30"
    local f
    for f in server-wildcard server-ip server-rsa1024 server-sha1 \
             client-mtls server-future; do
        cat "$CERTS/$f.pem" "$INTER" >"$CERTS/$f-chain.pem"
    done
    cat "$CERTS/server-under-sha1.pem" "$CERTS/inter-sha1.pem" \
        >"$CERTS/server-under-sha1-chain.pem"
    cat "$CERTS/big-ca3.pem" "$CERTS/big-ca2.pem" "$CERTS/big-ca1.pem" \
        >"$CERTS/big-chain.pem"
    # Out of order: the root first, then the intermediate.
    cat "$ROOT" "$INTER" >"$CERTS/root-then-intermediate.pem"
    rm -f "$CERTS"/*.srl
    chmod 644 "$CERTS"/*-chain.pem "$CERTS/root-then-intermediate.pem"
}
make_extra_certs

# Certificates for the certificate rules of 2025-2026 (issue 23): a leaf
# with an embedded SCT list (two timestamps; the log signatures are dummies,
# as no CT log signs for this test CA: OpenSSL and tlsmon read the list,
# never verify it), a 47-day leaf issued 40 days before the captures, and a
# distrust table naming the test root, so the browsers' distrust dates can
# be shown on a chain this CA signed.
make_2026_certs() {
    # The SCT list (RFC 6962 §3.3): SCTs of logs 01.. and 02.., at
    # 2026-11-20 and 2026-11-21, wrapped in the extension's OCTET STRING.
    # Exported: ext2.cnf names it, and OpenSSL reads the whole file.
    SCT_LIST=$(python3 -c '
import struct
def sct(log, ms):
    body = bytes([0]) + bytes([log]) * 32 + struct.pack(">Q", ms) + \
        b"\x00\x00\x04\x03" + struct.pack(">H", 8) + b"\x5a" * 8
    return struct.pack(">H", len(body)) + body
lst = sct(1, 1795132800000) + sct(2, 1795219200000)
lst = struct.pack(">H", len(lst)) + lst
print((bytes([4, len(lst)]) + lst).hex())')
    export SCT_LIST
    cat >>"$WORK/ext2.cnf" <<'CNF'
[sct]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = $ENV::SAN
1.3.6.1.4.1.11129.2.4.2 = DER:$ENV::SCT_LIST
CNF
    extra_cert server-sct server.test 'DNS:server.test' sct intermediate-ca \
        2048 -sha256 -days 90
    # 47 days, from 40 days before the day it was made.
    [ -s "$CERTS/server-short.pem" ] ||
        faketime -f '-40d' bash -c "$(declare -f extra_cert); CERTS='$CERTS' \
            WORK='$WORK'; extra_cert server-short server.test \
            'DNS:server.test' leaf intermediate-ca 2048 -sha256 -days 47"
    local f
    for f in server-sct server-short; do
        cat "$CERTS/$f.pem" "$INTER" >"$CERTS/$f-chain.pem"
        chmod 644 "$CERTS/$f-chain.pem"
    done
    # Chrome distrusts the test root for leaves whose earliest SCT is
    # after 2026-11-01, Firefox by notBefore only after 2030.
    local fp
    fp=$(openssl x509 -in "$ROOT" -noout -fingerprint -sha256 | cut -d= -f2)
    {
        echo "# distrust-test.tsv: the test root as a distrusted CA (made by make-captures.sh)"
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "tlsmon test CA" "$fp" chrome sct \
            2026-11-01T00:00:00Z https://example.test/chrome
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "tlsmon test CA" "$fp" firefox \
            not_before 2030-01-01 https://example.test/firefox
    } >"$CERTS/distrust-test.tsv"
    chmod 644 "$CERTS/distrust-test.tsv"
}
make_2026_certs

# ---------------------------------------------------------------------------
# Namespace and helpers.

ip netns add "$NS"
ip netns exec "$NS" ip link set lo up

in_ns() { ip netns exec "$NS" "$@"; }

wait_listen() { # PORT
    local i
    for i in $(seq 1 100); do
        if in_ns ss -Hltn "sport = :$1" | grep -q .; then return 0; fi
        sleep 0.05
    done
    die "nothing listening on port $1"
}

CAP_PID=
CAP_NAME=
CAP_PORT=
capture_start() { # NAME PORT [NAMESPACE IFACE]   (CAP_FILTER: tcp port PORT)
    CAP_NAME=$1
    CAP_PORT=$2
    local cap_ns=${3:-$NS} cap_if=${4:-lo}
    CAP_DECODE_AS=1
    keylog_off
    CAP_KEYLOG=
    rm -f "$WORK/$1.pcap" "$WORK/$1.tcpdump"
    # Started directly (not through a shell function) so that $! is tcpdump
    # itself: ip netns exec execs it. --immediate-mode: without it libpcap
    # hands packets over in blocks and a SIGINT loses the last block.
    ip netns exec "$cap_ns" tcpdump -i "$cap_if" -U --immediate-mode -Z root -w "$WORK/$1.pcap" \
        "${CAP_FILTER:-tcp port $2}" 2>"$WORK/$1.tcpdump" &
    CAP_PID=$!
    PIDS+=("$CAP_PID")
    local i
    for i in $(seq 1 100); do
        if grep -q 'listening on' "$WORK/$1.tcpdump"; then return 0; fi
        sleep 0.05
    done
    die "tcpdump did not start for $1"
}

capture_stop() {
    sleep 0.5 # let the last FIN/ACK or RST reach the capture
    kill -INT "$CAP_PID"
    wait "$CAP_PID" || true
    mv "$WORK/$CAP_NAME.pcap" "$HERE/$CAP_NAME.pcap"
    chmod 644 "$HERE/$CAP_NAME.pcap"
    keylog_keep
    local packets
    packets=$(grep -o '[0-9]* packets captured' "$WORK/$CAP_NAME.tcpdump" \
        2>/dev/null || echo '? packets captured')
    echo "  $CAP_NAME.pcap: $packets, $(stat -c %s "$HERE/$CAP_NAME.pcap") bytes"
}

# Self-checks: the capture just made must show what the scenario is about
# (counted with tshark, which decodes our odd ports as TLS when told to).
HAVE_TSHARK=0
command -v tshark >/dev/null && HAVE_TSHARK=1
# STARTTLS scenarios set CAP_DECODE_AS=0: tshark's own dissector of the
# plaintext protocol must find the upgrade itself.
count_frames() { # DISPLAY-FILTER
    local out da=()
    [ "${CAP_DECODE_AS:-1}" = 1 ] && da=(-d "tcp.port==$CAP_PORT,tls")
    # QUIC and DTLS scenarios (UDP): DTLS is not on a port tshark knows;
    # a key log lets tshark read what the handshake encrypted.
    [ "${CAP_DECODE_AS:-1}" = dtls ] && da=(-d "udp.port==$CAP_PORT,dtls")
    [ "${CAP_DECODE_AS:-1}" = quic ] && da=(-d "udp.port==$CAP_PORT,quic")
    [ -n "${CAP_KEYLOG:-}" ] && da+=(-o "tls.keylog_file:$CAP_KEYLOG")
    out=$(tshark -r "$HERE/$CAP_NAME.pcap" "${da[@]}" \
        -Y "$1" 2>"$WORK/tshark.err") ||
        die "$CAP_NAME: tshark failed on: $1: $(grep -v 'Running as user' "$WORK/tshark.err")"
    [ -z "$out" ] && echo 0 || echo "$out" | wc -l
}
expect() { # DISPLAY-FILTER [EXACT-COUNT]   (default: at least one frame)
    [ "$HAVE_TSHARK" -eq 1 ] || return 0
    local n
    n=$(count_frames "$1")
    if [ $# -ge 2 ]; then
        [ "$n" -eq "$2" ] || die "$CAP_NAME: $n frames (not $2) match: $1"
    else
        [ "$n" -ge 1 ] || die "$CAP_NAME: no frame matches: $1"
    fi
}
SH='tls.handshake.type==2 && !(tls.handshake.random[0:4]==cf:21:ad:74)'
HRR='tls.handshake.type==2 && tls.handshake.random[0:4]==cf:21:ad:74'
SH12="$SH && tls.handshake.version==0x0303 && !tls.handshake.extensions.supported_version"
SH13="$SH && tls.handshake.extensions.supported_version==0x0304"

# Key logs (issue 21): a scenario that calls keylog_on after capture_start
# gets its TLS secrets in captures/keys/NAME.keys, next to the capture:
# curl and GnuTLS write them to $SSLKEYLOGFILE, openssl s_client and
# s_server to the file "${KEYLOG[@]}" names. These are test keys of test
# connections; real key logs are secrets (README, "Key logs").
CAP_KEYS=
KEYLOG=()
keylog_off() {
    unset SSLKEYLOGFILE
    CAP_KEYS=
    KEYLOG=()
}
keylog_on() {
    CAP_KEYS=$WORK/$CAP_NAME.keys
    : >"$CAP_KEYS"
    export SSLKEYLOGFILE=$CAP_KEYS
    KEYLOG=(-keylogfile "$CAP_KEYS")
}
keylog_keep() {
    [ -n "$CAP_KEYS" ] || return 0
    [ -s "$CAP_KEYS" ] || die "$CAP_NAME: no secrets were logged"
    mkdir -p "$HERE/keys"
    # Both peers may log the same secrets: keep each line once.
    awk '!seen[$0]++' "$CAP_KEYS" >"$HERE/keys/$CAP_NAME.keys"
    chmod 644 "$HERE/keys/$CAP_NAME.keys"
    keylog_off
}

SRV_PID=
# s_server without -rev or -www copies its stdin to the client and gives up
# on EOF, and a background job's stdin is /dev/null: every s_server here
# runs with -rev (echo reversed lines) or -www.
server_start() { # PORT command...
    local port=$1
    shift
    ip netns exec "$NS" "$@" >"$WORK/$CAP_NAME.server" 2>&1 &
    SRV_PID=$!
    PIDS+=("$SRV_PID")
    wait_listen "$port"
}

server_stop() {
    # s_server -naccept and our python servers exit by themselves; give them
    # a moment, then make sure.
    local i
    for i in $(seq 1 40); do
        kill -0 "$SRV_PID" 2>/dev/null || break
        sleep 0.05
    done
    kill "$SRV_PID" 2>/dev/null || true
    wait "$SRV_PID" 2>/dev/null || true
}

client_log() { echo "$WORK/$CAP_NAME.client${1:-}"; }

# Run a client that must succeed / must fail; keep its output for debugging.
must_pass() {
    if ! "$@" >"$(client_log)" 2>&1; then
        cat "$(client_log)" >&2
        die "$CAP_NAME: client failed but should have succeeded"
    fi
}
must_fail() {
    if "$@" >"$(client_log)" 2>&1; then
        cat "$(client_log)" >&2
        die "$CAP_NAME: client succeeded but should have failed"
    fi
}

# openssl s_client with stdin fed a line (or nothing) and held open a while,
# so the client reads what the server sends after the handshake (replies,
# TLS 1.3 session tickets) before it closes with close_notify.
s_client_say() { # LINE HOLD_SECONDS s_client args...
    local line=$1 hold=$2
    shift 2
    { [ -n "$line" ] && echo "$line"; sleep "$hold"; } |
        in_ns openssl s_client "$@"
}

VERIFY=(-CAfile "$ROOT" -verify_return_error -verify_hostname server.test)

# Python helpers, run inside the namespace.
cat >"$WORK/pyserver.py" <<'EOF'
# Small servers for the python and the misbehaving-server scenarios.
import socket, ssl, struct, sys
mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ':' in host else socket.AF_INET
ls = socket.socket(fam, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((host, port))
ls.listen(1)
conn, _ = ls.accept()
if mode == 'tls13':
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(sys.argv[4], sys.argv[5])
    tls = ctx.wrap_socket(conn, server_side=True)
    data = tls.recv(1024)
    tls.sendall(b'python server got: ' + data)
    try:
        tls.unwrap()
    except (ssl.SSLError, OSError):
        pass
    conn.close()
elif mode == 'reset':
    # Read the ClientHello, then abort: SO_LINGER 0 turns close into RST.
    conn.recv(4096)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    conn.close()
elif mode == 'silent':
    # Never answer; close only after the client has gone.
    while conn.recv(4096):
        pass
    conn.close()
elif mode == 'slow':
    # A real TLS server that takes a second before it answers the
    # ClientHello (the client has gone by then: the answer meets a reset).
    import time
    time.sleep(1)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[4], sys.argv[5])
    try:
        ctx.wrap_socket(conn, server_side=True)
    except (ssl.SSLError, OSError):
        pass
    conn.close()
elif mode == 'http':
    conn.recv(4096)
    conn.sendall(b'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n'
                 b'Content-Length: 12\r\nConnection: close\r\n\r\nBad Request\n')
    conn.close()
ls.close()
EOF

cat >"$WORK/pyclient.py" <<'EOF'
# TLS clients: 'tls13' talks and closes; 'timeout' gives up after 2 s.
import socket, ssl, sys
mode, host, port, ca = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
if mode == 'tls13':
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    with socket.create_connection((host, port)) as s:
        with ctx.wrap_socket(s, server_hostname='server.test') as tls:
            tls.sendall(b'hello from python\n')
            print(tls.version(), tls.cipher(), tls.recv(1024))
            tls.unwrap()
elif mode == 'timeout':
    s = socket.create_connection((host, port))
    s.settimeout(2)
    try:
        ctx.wrap_socket(s, server_hostname='server.test')
    except (socket.timeout, TimeoutError):
        print('timed out, closing')
        s.close()
        sys.exit(0)
    sys.exit('handshake unexpectedly finished')
EOF

# ---------------------------------------------------------------------------
# Scenarios. Each is a function named cap_<name with _ for ->.

cap_tls12_rsa() {
    capture_start tls12-rsa 4431
    server_start 4431 openssl s_server -accept 4431 -naccept 1 -rev -tls1_2 \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    must_pass s_client_say "hello over tls 1.2" 1 -connect 127.0.0.1:4431 \
        -tls1_2 -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect "$SH12 && tls.handshake.ciphersuite==0xc030"
    expect 'tls.handshake.type==11' 1
    expect 'tls.record.content_type==23 && tcp.srcport==4431'
    expect 'tls.record.content_type==23 && tcp.dstport==4431'
}

cap_tls13_ecdsa() {
    capture_start tls13-ecdsa 4432
    server_start 4432 openssl s_server -accept 4432 -naccept 1 -rev -tls1_3 \
        -cert "$CERTS/server-ecdsa.pem" -key "$CERTS/server-ecdsa.key" \
        -cert_chain "$INTER" -alpn h2
    must_pass s_client_say "hello over tls 1.3" 1 -connect 127.0.0.1:4432 \
        -tls1_3 -servername server.test -alpn h2,http/1.1 "${VERIFY[@]}"
    grep -q 'ALPN protocol: h2' "$(client_log)" || die "tls13-ecdsa: h2 not selected"
    server_stop
    capture_stop
    expect "$SH13 && tls.handshake.ciphersuite==0x1302" 1
    expect "tls.handshake.type==1 && tls.handshake.extensions_alpn_str==\"h2\""
    expect 'tls.handshake.type==2 && tls.handshake.extensions_alpn_str' 0
}

cap_tls13_hrr() {
    # The client sends a key share for X25519 only (its first group); the
    # server accepts only P-384, so it must ask again (HelloRetryRequest).
    capture_start tls13-hrr 4433
    server_start 4433 openssl s_server -accept 4433 -naccept 1 -rev -tls1_3 \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER" -groups P-384
    must_pass s_client_say "hello after a retry" 1 -connect 127.0.0.1:4433 \
        -tls1_3 -servername server.test -groups X25519:P-384 "${VERIFY[@]}"
    server_stop
    capture_stop
    expect "$HRR && tls.handshake.extensions_key_share_selected_group==24" 1
    expect 'tls.handshake.type==1' 2
    expect "$SH13" 1
}

cap_tls12_resume_ticket() {
    capture_start tls12-resume-ticket 4434
    server_start 4434 openssl s_server -accept 4434 -naccept 2 -rev -tls1_2 \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    must_pass s_client_say "first, full handshake" 1 -connect 127.0.0.1:4434 \
        -tls1_2 -servername server.test "${VERIFY[@]}" \
        -sess_out "$WORK/tls12.sess"
    must_pass s_client_say "second, resumed" 1 -connect 127.0.0.1:4434 \
        -tls1_2 -servername server.test "${VERIFY[@]}" \
        -sess_in "$WORK/tls12.sess"
    grep -q '^Reused' "$(client_log)" || die "tls12-resume-ticket: not resumed"
    server_stop
    capture_stop
    expect "$SH12" 2
    expect 'tls.handshake.type==11' 1
}

cap_tls13_resume_psk() {
    capture_start tls13-resume-psk 4435
    server_start 4435 openssl s_server -accept 4435 -naccept 2 -rev -tls1_3 \
        -cert "$CERTS/server-ecdsa.pem" -key "$CERTS/server-ecdsa.key" \
        -cert_chain "$INTER" -num_tickets 1
    must_pass s_client_say "first, full handshake" 1 -connect 127.0.0.1:4435 \
        -tls1_3 -servername server.test "${VERIFY[@]}" \
        -sess_out "$WORK/tls13.sess"
    must_pass s_client_say "second, resumed with a PSK" 1 \
        -connect 127.0.0.1:4435 -tls1_3 -servername server.test \
        "${VERIFY[@]}" -sess_in "$WORK/tls13.sess"
    grep -q '^Reused' "$(client_log)" || die "tls13-resume-psk: not resumed"
    server_stop
    capture_stop
    expect "$SH13" 2
    expect "$SH13 && tls.handshake.extension.type==41" 1
}

cap_gnutls_tls13() {
    capture_start gnutls-tls13 4436
    server_start 4436 gnutls-serv -p 4436 --echo \
        --priority 'NORMAL:-VERS-ALL:+VERS-TLS1.3' \
        --x509certfile "$CERTS/server-rsa-chain.pem" \
        --x509keyfile "$CERTS/server-rsa.key"
    must_pass bash -c "{ echo 'hello from gnutls'; sleep 1; } |
        ip netns exec '$NS' gnutls-cli -p 4436 \
        --priority 'NORMAL:-VERS-ALL:+VERS-TLS1.3' \
        --x509cafile '$ROOT' --sni-hostname server.test \
        --verify-hostname server.test 127.0.0.1"
    sleep 0.3
    server_stop # gnutls-serv keeps serving; this kills it
    capture_stop
    expect "$SH13" 1
    expect 'tls.handshake.extensions_server_name=="server.test"' 1
}

cap_curl_tls12_port8443() {
    capture_start curl-tls12-port8443 8443
    server_start 8443 openssl s_server -accept 8443 -naccept 1 -www \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    must_pass in_ns curl -sS -o /dev/null -w '%{http_code}\n' \
        --tlsv1.2 --tls-max 1.2 --cacert "$ROOT" \
        --resolve server.test:8443:127.0.0.1 https://server.test:8443/
    grep -q '^200' "$(client_log)" || die "curl: no HTTP 200"
    server_stop
    capture_stop
    expect "$SH12 && tls.handshake.ciphersuite==0xc030" 1
    expect 'tls.handshake.extensions_server_name=="server.test"' 1
}

cap_python_tls13_ipv6() {
    capture_start python-tls13-ipv6 4437
    server_start 4437 python3 "$WORK/pyserver.py" tls13 ::1 4437 \
        "$CERTS/server-ecdsa-chain.pem" "$CERTS/server-ecdsa.key"
    must_pass in_ns python3 "$WORK/pyclient.py" tls13 ::1 4437 "$ROOT"
    server_stop
    capture_stop
    expect "ipv6 && $SH13" 1
    expect 'tls.handshake.extensions_server_name=="server.test"' 1
}

cap_fail_version() {
    capture_start fail-version 4441
    server_start 4441 openssl s_server -accept 4441 -naccept 1 -rev -tls1_3 \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4441 -tls1_2 \
        -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.alert_message.desc==70 && tcp.srcport==4441' 1
    expect 'tls.handshake.type==2' 0
}

cap_fail_version_old_client() {
    # SECLEVEL=0 lets this OpenSSL even offer TLS 1.1 with SHA-1 suites.
    capture_start fail-version-old-client 4442
    server_start 4442 openssl s_server -accept 4442 -naccept 1 -rev \
        -min_protocol TLSv1.2 \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4442 -tls1_1 \
        -cipher 'DEFAULT@SECLEVEL=0' -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.alert_message.desc==70 && tcp.srcport==4442' 1
    expect 'tls.handshake.type==1 && tls.handshake.version==0x0302' 1
    expect 'tls.handshake.type==2' 0
}

cap_fail_cipher() {
    capture_start fail-cipher 4443
    server_start 4443 openssl s_server -accept 4443 -naccept 1 -rev -tls1_2 \
        -cipher AES256-GCM-SHA384 \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4443 -tls1_2 \
        -cipher ECDHE-ECDSA-AES128-GCM-SHA256 -servername server.test \
        "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.alert_message.desc==40 && tcp.srcport==4443' 1
    expect 'tls.handshake.type==2' 0
}

# The client trusts only an unrelated CA, so it rejects the server's chain.
cap_fail_unknown_ca() {
    capture_start fail-unknown-ca 4444
    server_start 4444 openssl s_server -accept 4444 -naccept 1 -rev -tls1_2 \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4444 -tls1_2 \
        -servername server.test -CAfile "$CERTS/other-ca.pem" \
        -verify_return_error
    server_stop
    capture_stop
    expect 'tls.alert_message.desc==48 && tcp.dstport==4444' 1
}

# TLS 1.3, alert encrypted. GnuTLS switches its writes to the handshake keys
# as soon as it has the ServerHello, so its rejection of the certificate goes
# out as a short encrypted record (19 bytes: 2 alert + 1 type + 16 tag).
cap_fail_unknown_ca_tls13() {
    capture_start fail-unknown-ca-tls13 4445
    keylog_on
    server_start 4445 openssl s_server -accept 4445 -naccept 1 -rev -tls1_3 \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    must_fail bash -c "sleep 1 | ip netns exec '$NS' gnutls-cli -p 4445 \
        --priority 'NORMAL:-VERS-ALL:+VERS-TLS1.3' \
        --x509cafile '$CERTS/other-ca.pem' --sni-hostname server.test \
        --verify-hostname server.test 127.0.0.1"
    server_stop
    capture_stop
    expect "$SH13" 1
    expect 'tls.alert_message' 0
    expect 'tls.record.length==19 && tcp.dstport==4445' 1
}

# The same rejection by an OpenSSL 3.0 client: it still writes in plaintext
# until it sends its own Finished, so its unknown_ca alert is a plaintext
# record inside a TLS 1.3 handshake. Real traffic looks like this too.
cap_fail_unknown_ca_tls13_openssl() {
    capture_start fail-unknown-ca-tls13-openssl 4457
    keylog_on
    server_start 4457 openssl s_server -accept 4457 -naccept 1 -rev -tls1_3 \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4457 -tls1_3 \
        -servername server.test -CAfile "$CERTS/other-ca.pem" \
        -verify_return_error "${KEYLOG[@]}"
    server_stop
    capture_stop
    expect "$SH13" 1
    expect 'tls.alert_message.desc==48 && tcp.dstport==4457' 1
}

cap_fail_expired() {
    capture_start fail-expired 4446
    server_start 4446 openssl s_server -accept 4446 -naccept 1 -rev -tls1_2 \
        -cert "$CERTS/server-expired.pem" -key "$CERTS/server-expired.key" \
        -cert_chain "$INTER"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4446 -tls1_2 \
        -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.alert_message.desc==45 && tcp.dstport==4446' 1
}

cap_fail_client_cert() {
    capture_start fail-client-cert 4447
    server_start 4447 openssl s_server -accept 4447 -naccept 1 -rev -tls1_2 \
        -Verify 1 -CAfile "$ROOT" \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4447 -tls1_2 \
        -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.handshake.type==13' 1
    expect 'tls.alert_message.desc==40 && tcp.srcport==4447' 1
}

cap_fail_client_cert_tls13() {
    # The client sends no data: it waits, gets the server's alert, and fails.
    capture_start fail-client-cert-tls13 4448
    keylog_on
    server_start 4448 openssl s_server -accept 4448 -naccept 1 -rev -tls1_3 \
        -Verify 1 -CAfile "$ROOT" \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4448 -tls1_3 \
        -servername server.test "${VERIFY[@]}" "${KEYLOG[@]}"
    server_stop
    capture_stop
    expect "$SH13" 1
    expect 'tls.alert_message' 0
    expect 'tls.record.length==19 && tcp.srcport==4448' 1
}

cap_not_tls() {
    capture_start not-tls 4450
    server_start 4450 python3 "$WORK/pyserver.py" http 127.0.0.1 4450
    must_fail s_client_say "" 1 -connect 127.0.0.1:4450 -tls1_2 \
        -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'http.response.code==400' 1
    expect 'tls.record' 1
}

cap_server_reset() {
    capture_start server-reset 4451
    server_start 4451 python3 "$WORK/pyserver.py" reset 127.0.0.1 4451
    must_fail s_client_say "" 1 -connect 127.0.0.1:4451 \
        -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tcp.flags.reset==1 && tcp.srcport==4451' 1
    expect 'tcp.len>0 && tcp.srcport==4451' 0
}

cap_silent_server() {
    capture_start silent-server 4452
    server_start 4452 python3 "$WORK/pyserver.py" silent 127.0.0.1 4452
    must_pass in_ns python3 "$WORK/pyclient.py" timeout 127.0.0.1 4452 "$ROOT"
    server_stop
    capture_stop
    expect 'tcp.len>0 && tcp.srcport==4452' 0
    expect 'tcp.flags.fin==1 && tcp.dstport==4452' 1
}

cap_sslv3_or_tls10_weak() {
    # SSLv3 is compiled out of Debian 12's OpenSSL; TLS 1.0 with plain RSA
    # key exchange and AES-CBC-SHA1 is the weakest handshake it can make.
    capture_start sslv3-or-tls10-weak 4453
    server_start 4453 openssl s_server -accept 4453 -naccept 1 -rev -tls1 \
        -cipher 'AES128-SHA:@SECLEVEL=0' \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    must_pass s_client_say "hello over tls 1.0" 1 -connect 127.0.0.1:4453 \
        -tls1 -cipher 'AES128-SHA:@SECLEVEL=0' -servername server.test \
        "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.handshake.type==2 && tls.handshake.version==0x0301 && tls.handshake.ciphersuite==0x002f' 1
    expect 'tls.record.content_type==23 && tcp.srcport==4453'
}

# Extra certificate failures, one per remaining DIAGNOSES.md cause that a
# certificate in certs/ can show.
cap_fail_self_signed() {
    capture_start fail-self-signed 4454
    server_start 4454 openssl s_server -accept 4454 -naccept 1 -rev -tls1_2 \
        -cert "$CERTS/server-selfsigned.pem" \
        -key "$CERTS/server-selfsigned.key"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4454 -tls1_2 \
        -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.alert_message.desc==48 && tcp.dstport==4454' 1
}

cap_fail_hostname() {
    capture_start fail-hostname 4455
    server_start 4455 openssl s_server -accept 4455 -naccept 1 -rev -tls1_2 \
        -cert "$CERTS/other-name.pem" -key "$CERTS/other-name.key" \
        -cert_chain "$INTER"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4455 -tls1_2 \
        -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.alert_message.desc==42 && tcp.dstport==4455' 1
}

cap_fail_incomplete_chain() {
    # The server forgets its intermediate; the client trusts only the root.
    capture_start fail-incomplete-chain 4456
    server_start 4456 openssl s_server -accept 4456 -naccept 1 -rev -tls1_2 \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4456 -tls1_2 \
        -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.alert_message.desc==48 && tcp.dstport==4456' 1
}

# ---------------------------------------------------------------------------
# Certificate analysis (issue 4): one scenario per certificate fact or
# verdict. tlsmon is run on these with --ca-file certs/root-ca.pem.

# cert_server PORT LEAF [s_server args...]: TLS 1.2 server with LEAF's key,
# LEAF-chain.pem's intermediates unless args say otherwise.
cert_server() {
    local port=$1 leaf=$2
    shift 2
    server_start "$port" openssl s_server -accept "$port" -naccept 1 -rev \
        -tls1_2 -cert "$CERTS/$leaf.pem" -key "$CERTS/$leaf.key" "$@"
}

cap_cert_wildcard() {
    capture_start cert-wildcard 4460
    cert_server 4460 server-wildcard -cert_chain "$INTER"
    must_pass s_client_say "hello wildcard" 1 -connect 127.0.0.1:4460 \
        -tls1_2 -servername www.wild.test -CAfile "$ROOT" \
        -verify_return_error -verify_hostname www.wild.test
    server_stop
    capture_stop
    expect 'tls.handshake.type==11' 1
}

# A wildcard covers one label only: a.b.wild.test is not *.wild.test.
cap_cert_wildcard_mismatch() {
    capture_start cert-wildcard-mismatch 4461
    cert_server 4461 server-wildcard -cert_chain "$INTER"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4461 -tls1_2 \
        -servername a.b.wild.test -CAfile "$ROOT" -verify_return_error \
        -verify_hostname a.b.wild.test
    server_stop
    capture_stop
    expect 'tls.alert_message.desc==42 && tcp.dstport==4461' 1
}

# OpenSSL's s_client sends an IP literal as SNI when told to (RFC 6066
# forbids it, but real clients do): matched against the IP SANs only.
cap_cert_ip_san() {
    capture_start cert-ip-san 4462
    cert_server 4462 server-ip -cert_chain "$INTER"
    must_pass s_client_say "hello ip" 1 -connect 127.0.0.1:4462 -tls1_2 \
        -servername 127.0.0.1 -CAfile "$ROOT" -verify_return_error \
        -verify_ip 127.0.0.1
    server_stop
    capture_stop
    expect 'tls.handshake.extensions_server_name=="127.0.0.1"' 1
}

# The server sends the root before the intermediate: clients still build
# the path, but the chain is out of order.
cap_cert_out_of_order() {
    capture_start cert-out-of-order 4463
    cert_server 4463 server-rsa -cert_chain "$CERTS/root-then-intermediate.pem"
    must_pass s_client_say "hello out of order" 1 -connect 127.0.0.1:4463 \
        -tls1_2 -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.handshake.type==11' 1
}

cap_cert_rsa1024() {
    capture_start cert-rsa1024 4464
    cert_server 4464 server-rsa1024 -cert_chain "$INTER" \
        -cipher 'DEFAULT@SECLEVEL=0'
    must_pass s_client_say "hello weak key" 1 -connect 127.0.0.1:4464 \
        -tls1_2 -cipher 'DEFAULT@SECLEVEL=0' -servername server.test \
        "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.handshake.type==11' 1
}

cap_cert_sha1() {
    capture_start cert-sha1 4465
    cert_server 4465 server-sha1 -cert_chain "$INTER" \
        -cipher 'DEFAULT@SECLEVEL=0'
    must_pass s_client_say "hello sha-1" 1 -connect 127.0.0.1:4465 \
        -tls1_2 -cipher 'DEFAULT@SECLEVEL=0' -servername server.test \
        "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.handshake.type==11' 1
}

cap_cert_ecdsa_tls12() {
    capture_start cert-ecdsa-tls12 4466
    cert_server 4466 server-ecdsa -cert_chain "$INTER"
    must_pass s_client_say "hello ecdsa" 1 -connect 127.0.0.1:4466 \
        -tls1_2 -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect "$SH12 && tls.handshake.ciphersuite==0xc02c" 1
}

# Four 4096-bit certificates (about 7 kB) over a 1280-byte MTU, without
# segmentation offload (else tcpdump on lo sees 4 kB super-packets): the
# Certificate message spans many TCP segments.
big_chain_handshake() { # PORT (the capture is started)
    in_ns ip link set lo mtu 1280 gso_max_segs 1
    cert_server "$1" server-big -cert_chain "$CERTS/big-chain.pem"
    must_pass s_client_say "hello big chain" 1 -connect 127.0.0.1:"$1" \
        -tls1_2 -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    in_ns ip link set lo mtu 65536 gso_max_segs 65535
}

cap_cert_big_chain() {
    capture_start cert-big-chain 4467
    big_chain_handshake 4467
    expect 'tls.handshake.type==11' 1
    expect 'tcp.srcport==4467 && tcp.len>1000' 4
}

cap_cert_mtls() {
    capture_start cert-mtls 4468
    cert_server 4468 server-rsa -cert_chain "$INTER" -Verify 1 \
        -CAfile "$ROOT" -verify_return_error
    must_pass s_client_say "hello with a client certificate" 1 \
        -connect 127.0.0.1:4468 -tls1_2 -servername server.test \
        "${VERIFY[@]}" -cert "$CERTS/client-mtls.pem" \
        -key "$CERTS/client-mtls.key" -cert_chain "$INTER"
    server_stop
    capture_stop
    expect 'tls.handshake.type==11' 2
}

# The client's clock is 30 years ahead: it calls a valid certificate
# expired. The cause is the client's clock, not the certificate.
cap_cert_client_clock() {
    capture_start cert-client-clock 4469
    cert_server 4469 server-rsa -cert_chain "$INTER"
    must_fail bash -c "sleep 1 | ip netns exec '$NS' faketime -f '+30y' \
        openssl s_client -connect 127.0.0.1:4469 -tls1_2 \
        -servername server.test -CAfile '$ROOT' -verify_return_error \
        -verify_hostname server.test"
    server_stop
    capture_stop
    expect 'tls.alert_message.desc==45 && tcp.dstport==4469' 1
}

cap_cert_not_yet_valid() {
    capture_start cert-not-yet-valid 4470
    cert_server 4470 server-future -cert_chain "$INTER"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4470 -tls1_2 \
        -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.alert_message.desc==42 || tls.alert_message.desc==45' 1
}

# ---------------------------------------------------------------------------
# Rule captures (issue 3): for each cause of DIAGNOSES.md that the captures
# above do not show yet, one capture that must trigger its rule and one
# similar capture (a near miss) that must not. Ports 4480-4499.

# Certificates for these scenarios, made only when missing (like the cert-*
# ones): a leaf revoked in a CRL of the intermediate, and a TLS-inspection
# CA with its own server.test leaf.
make_rule_certs() {
    cat >"$WORK/ext-rule.cnf" <<'EOF'
[ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:server.test
crlDistributionPoints = URI:http://crl.tlsmon.test/inter.crl
EOF
    # rule_leaf NAME ISSUER: a 2048-bit RSA leaf server.test by ISSUER
    rule_leaf() {
        [ -s "$CERTS/$1.pem" ] && return 0
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
            -out "$CERTS/$1.key" 2>/dev/null
        openssl req -new -key "$CERTS/$1.key" \
            -subj "/O=tlsmon test/CN=server.test" -out "$WORK/$1.csr"
        openssl x509 -req -in "$WORK/$1.csr" -sha256 -days "$VALID_DAYS" \
            -CA "$CERTS/$2.pem" -CAkey "$CERTS/$2.key" \
            -set_serial "0x$(openssl rand -hex 8)" \
            -extfile "$WORK/ext-rule.cnf" -extensions leaf -out "$CERTS/$1.pem"
        cat "$CERTS/$1.pem" "$CERTS/$2.pem" >"$CERTS/$1-chain.pem"
        chmod 644 "$CERTS/$1.pem" "$CERTS/$1.key" "$CERTS/$1-chain.pem"
    }
    rule_leaf server-revoked intermediate-ca
    if [ ! -s "$CERTS/intermediate-ca.crl.pem" ]; then
        # openssl ca keeps its state in a database; only the CRL is kept.
        mkdir -p "$WORK/ca"
        : >"$WORK/ca/index.txt"
        echo 1000 >"$WORK/ca/crlnumber"
        cat >"$WORK/ca/ca.cnf" <<EOF
[ca]
default_ca = inter
[inter]
database = $WORK/ca/index.txt
crlnumber = $WORK/ca/crlnumber
certificate = $CERTS/intermediate-ca.pem
private_key = $CERTS/intermediate-ca.key
default_md = sha256
default_crl_days = $VALID_DAYS
crl_extensions = crl_ext
[crl_ext]
authorityKeyIdentifier = keyid
EOF
        openssl ca -config "$WORK/ca/ca.cnf" -batch \
            -revoke "$CERTS/server-revoked.pem" -crl_reason keyCompromise \
            2>"$WORK/ca/revoke.log" || { cat "$WORK/ca/revoke.log" >&2; die "revoke failed"; }
        openssl ca -config "$WORK/ca/ca.cnf" -batch -gencrl \
            -out "$CERTS/intermediate-ca.crl.pem" 2>"$WORK/ca/crl.log" ||
            { cat "$WORK/ca/crl.log" >&2; die "gencrl failed"; }
        chmod 644 "$CERTS/intermediate-ca.crl.pem"
    fi
    if [ ! -s "$CERTS/inspection-ca.pem" ]; then
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
            -out "$CERTS/inspection-ca.key" 2>/dev/null
        openssl req -x509 -new -key "$CERTS/inspection-ca.key" -sha256 \
            -days "$VALID_DAYS" \
            -subj "/O=tlsmon inspection/CN=tlsmon test inspection CA" \
            -config "$WORK/ext-rule.cnf" -extensions ca \
            -out "$CERTS/inspection-ca.pem"
        chmod 644 "$CERTS/inspection-ca.pem" "$CERTS/inspection-ca.key"
        rm -f "$CERTS/server-inspected.pem"
    fi
    rule_leaf server-inspected inspection-ca
}

# Python helpers for the client that gives up and the server that resets
# after its hello. Both drive OpenSSL (Python's ssl) through memory BIOs,
# so the bytes on the wire are OpenSSL's own; only the moment the socket is
# closed is chosen here.
write_rule_py() {
    cat >"$WORK/rulepy.py" <<'EOF'
import socket, ssl, struct, sys, time
mode = sys.argv[1]

def pump_handshake(sock, obj, out, inc, stop_when_client_flight=False):
    """Drive obj's handshake over sock. With stop_when_client_flight, return
    as soon as the client has processed the server's whole first flight and
    produced its own second flight (which is then never sent)."""
    flights = 0
    while True:
        try:
            obj.do_handshake()
            done = True
        except ssl.SSLWantReadError:
            done = False
        data = out.read()
        flights += bool(data)
        if stop_when_client_flight and flights == 2:
            return data
        if data:
            sock.sendall(data)
        if done:
            return b''
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError('peer closed during the handshake')
        inc.write(chunk)

if mode in ('abort', 'abort-rst', 'quick'):
    host, port, ca = sys.argv[2], int(sys.argv[3]), sys.argv[4]
    ctx = ssl.create_default_context(cafile=ca)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    s = socket.create_connection((host, port))
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname='server.test')
    if mode.startswith('abort'):
        # The server's flight was read and the chain verified (an invalid
        # chain would have raised); the client now gives up: FIN, no alert.
        try:
            unsent = pump_handshake(s, obj, out, inc, stop_when_client_flight=True)
            print(f'server flight accepted; closing without sending the '
                  f'{len(unsent)} bytes of the second flight')
        except ssl.SSLCertVerificationError as e:
            # OpenSSL has written its alert; it is dropped, not sent.
            print(f'chain rejected ({e.verify_message}); closing without '
                  f'sending the {len(out.read())}-byte alert')
        if mode == 'abort-rst':
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        s.close()
    else:
        # Same client, but it finishes the handshake before it closes.
        pump_handshake(s, obj, out, inc)
        print(f'handshake finished ({obj.version()}, {obj.cipher()[0]}); closing')
        try:
            obj.unwrap()
        except ssl.SSLWantReadError:
            pass
        s.sendall(out.read())  # close_notify
        while s.recv(65536):   # the server's close_notify and FIN
            pass
        s.close()
elif mode == 'hello-reset':
    host, port, cert, key = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port))
    ls.listen(1)
    conn, _ = ls.accept()
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_side=True)
    inc.write(conn.recv(65536))
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    conn.sendall(out.read())  # ServerHello .. ServerHelloDone
    # Wait for the client's answer, then abort: SO_LINGER 0 makes it a RST.
    conn.recv(65536)
    time.sleep(0.2)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    conn.close()
    ls.close()
EOF
}

# nginx_start PORT: nginx from Debian, run in the foreground as one process
# with its own prefix. The default server refuses every handshake that does
# not name a configured host (ssl_reject_handshake: alert unrecognized_name);
# the only named server is server.test.
nginx_start() {
    local port=$1 dir=$WORK/nginx-$1
    command -v nginx >/dev/null || die "missing tool: nginx (apt-get install nginx-light)"
    mkdir -p "$dir/tmp"
    cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
error_log stderr info;
pid $dir/nginx.pid;
events { worker_connections 16; }
http {
    access_log off;
    client_body_temp_path $dir/tmp;
    proxy_temp_path $dir/tmp;
    server {
        listen 127.0.0.1:$port ssl default_server;
        ssl_reject_handshake on;
    }
    server {
        listen 127.0.0.1:$port ssl;
        server_name server.test;
        ssl_certificate $CERTS/server-rsa-chain.pem;
        ssl_certificate_key $CERTS/server-rsa.key;
        default_type text/plain;
        location / { return 200 "hello from nginx\n"; }
    }
}
EOF
    server_start "$port" nginx -p "$dir" -c "$dir/nginx.conf" -e stderr
}

# missing_sni: a ClientHello without server_name to a server that hosts
# names only by SNI.
cap_fail_missing_sni() {
    capture_start fail-missing-sni 4480
    nginx_start 4480
    must_fail s_client_say "" 1 -connect 127.0.0.1:4480 -noservername \
        -CAfile "$ROOT" -verify_return_error
    server_stop
    capture_stop
    expect 'tls.handshake.type==1 && tls.handshake.extensions_server_name' 0
    expect 'tls.alert_message.desc==112 && tcp.srcport==4480' 1
    expect 'tls.handshake.type==2' 0
}

# Near miss: the same nginx, the same client with SNI: established.
cap_nginx_sni() {
    capture_start nginx-sni 4481
    nginx_start 4481
    must_pass s_client_say $'GET / HTTP/1.0\r\nHost: server.test\r\n\r' 1 -connect 127.0.0.1:4481 \
        -servername server.test "${VERIFY[@]}"
    grep -q 'hello from nginx' "$(client_log)" || die "nginx-sni: no reply"
    server_stop
    capture_stop
    # nginx 1.22's default ssl_protocols stop at TLS 1.2.
    expect "$SH12" 1
    expect 'tls.alert_message.desc' 0
}

# alpn_mismatch: GnuTLS's server with --alpn-fatal refuses a client whose
# ALPN list has none of its protocols (no_application_protocol, 120).
# TLS 1.2 only, so the near miss shows the selected ALPN in clear.
alpn_server() { # PORT
    server_start "$1" gnutls-serv -p "$1" --echo --disable-client-cert \
        --alpn=h2 --alpn-fatal --priority 'NORMAL:-VERS-ALL:+VERS-TLS1.2' \
        --x509certfile "$CERTS/server-rsa-chain.pem" \
        --x509keyfile "$CERTS/server-rsa.key"
}

cap_fail_alpn() {
    capture_start fail-alpn 4482
    alpn_server 4482
    must_fail s_client_say "" 1 -connect 127.0.0.1:4482 -alpn http/1.1 \
        -servername server.test "${VERIFY[@]}"
    server_stop # gnutls-serv keeps serving; this kills it
    capture_stop
    expect 'tls.handshake.type==1 && tls.handshake.extensions_alpn_str=="http/1.1"' 1
    expect 'tls.alert_message.desc==120 && tcp.srcport==4482' 1
    expect 'tls.handshake.type==2' 0
}

cap_alpn_h2_tls12() {
    capture_start alpn-h2-tls12 4483
    alpn_server 4483
    must_pass s_client_say "hello over h2" 1 -connect 127.0.0.1:4483 \
        -alpn h2 -servername server.test "${VERIFY[@]}"
    grep -q 'ALPN protocol: h2' "$(client_log)" || die "alpn-h2-tls12: h2 not selected"
    sleep 0.3
    server_stop
    capture_stop
    expect "$SH12 && tls.handshake.extensions_alpn_str==\"h2\"" 1
    expect 'tls.alert_message.desc' 0
}

# inappropriate_fallback: the server speaks TLS 1.1 and 1.2; a client that
# retries with TLS 1.1 and says so (TLS_FALLBACK_SCSV) is refused (86).
fallback_server() { # PORT
    server_start "$1" openssl s_server -accept "$1" -naccept 1 -rev \
        -min_protocol TLSv1.1 -max_protocol TLSv1.2 \
        -cipher 'DEFAULT@SECLEVEL=0' \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
}

cap_fail_fallback() {
    capture_start fail-fallback 4484
    fallback_server 4484
    must_fail s_client_say "" 1 -connect 127.0.0.1:4484 -tls1_1 \
        -fallback_scsv -cipher 'DEFAULT@SECLEVEL=0' -servername server.test \
        "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.handshake.type==1 && tls.handshake.version==0x0302 && tls.handshake.ciphersuite==0x5600' 1
    expect 'tls.alert_message.desc==86 && tcp.srcport==4484' 1
    expect 'tls.handshake.type==2' 0
}

# Near miss: the same SCSV, but the client's version (1.2) is the server's
# highest, so it is no downgrade: established.
cap_fallback_scsv_top() {
    capture_start fallback-scsv-top 4485
    fallback_server 4485
    must_pass s_client_say "hello after a fallback" 1 -connect 127.0.0.1:4485 \
        -tls1_2 -fallback_scsv -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.handshake.type==1 && tls.handshake.ciphersuite==0x5600' 1
    expect "$SH12" 1
    expect 'tls.alert_message.desc' 0
}

# group_mismatch: TLS 1.3 only, the server accepts P-384 only, the client
# offers X25519 only: no common group, so no HelloRetryRequest either; the
# server answers handshake_failure (40). (GnuTLS's server does the same.)
# The near miss is tls13-hrr: same server, the client also lists P-384.
cap_fail_group() {
    capture_start fail-group 4486
    server_start 4486 openssl s_server -accept 4486 -naccept 1 -rev -tls1_3 \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER" -groups P-384
    must_fail s_client_say "" 1 -connect 127.0.0.1:4486 -tls1_3 \
        -groups X25519 -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.handshake.type==1 && tls.handshake.extensions_supported_group==0x001d' 1
    expect 'tls.alert_message.desc==40 && tcp.srcport==4486' 1
    expect 'tls.handshake.type==2' 0
}

# cert_revoked: the leaf is revoked in the intermediate's CRL, which the
# client checks (-crl_check): client alert certificate_revoked (44).
CRL_CHECK=(-CRL "$CERTS/intermediate-ca.crl.pem" -crl_check)

cap_fail_revoked() {
    make_rule_certs
    capture_start fail-revoked 4488
    cert_server 4488 server-revoked -cert_chain "$INTER"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4488 -tls1_2 \
        -servername server.test "${VERIFY[@]}" "${CRL_CHECK[@]}"
    grep -q 'certificate revoked' "$(client_log)" || die "fail-revoked: not revoked"
    server_stop
    capture_stop
    expect 'tls.alert_message.desc==44 && tcp.dstport==4488' 1
}

# Near miss: the same client and CRL, the server's usual (unrevoked) leaf.
cap_crl_checked() {
    make_rule_certs
    capture_start crl-checked 4489
    cert_server 4489 server-rsa -cert_chain "$INTER"
    must_pass s_client_say "hello, not revoked" 1 -connect 127.0.0.1:4489 \
        -tls1_2 -servername server.test "${VERIFY[@]}" "${CRL_CHECK[@]}"
    server_stop
    capture_stop
    expect "$SH12" 1
    expect 'tls.alert_message.desc' 0
}

# client_rejected: no Debian client sends user_canceled (90) or
# access_denied (49) by itself (gnutls-cli --tofu, answered "no", sends
# bad_certificate), so this is the other form: a Python ssl client reads and
# verifies the server's TLS 1.2 flight, then drops the connection with a RST
# (SO_LINGER 0), without its second flight and without an alert. (Had it
# closed with a FIN, the server would have the last word: OpenSSL's
# s_server answers the early EOF with decode_error (50), gnutls-serv with
# unexpected_message (10).)
cap_fail_client_abort() {
    write_rule_py
    capture_start fail-client-abort 4490
    cert_server 4490 server-rsa -cert_chain "$INTER"
    must_pass in_ns python3 "$WORK/rulepy.py" abort-rst 127.0.0.1 4490 "$ROOT"
    server_stop
    capture_stop
    expect 'tls.handshake.type==14' 1
    expect 'tcp.len>0 && tcp.dstport==4490' 1
    expect 'tcp.flags.reset==1 && tcp.dstport==4490' 1
    expect 'tcp.flags.fin==1' 0
    expect 'tls.alert_message' 0
}

# Near miss: the same client finishes the handshake, then closes at once
# (close_notify, FIN) without sending data.
cap_client_quick_close() {
    write_rule_py
    capture_start client-quick-close 4491
    cert_server 4491 server-rsa -cert_chain "$INTER"
    must_pass in_ns python3 "$WORK/rulepy.py" quick 127.0.0.1 4491 "$ROOT"
    server_stop
    capture_stop
    expect 'tls.record.content_type==20' 2
    expect 'tls.record.content_type==23' 0
}

# interception: three connections for server.test to one server address.
# The first two get the usual chain (leaf, intermediate -> root); then a
# TLS-inspection box takes the port and presents a server.test leaf of its
# own CA, which the client (trusting only the root) refuses: unknown_ca.
# The first two connections are the near miss.
cap_interception() {
    make_rule_certs
    capture_start interception 4492
    cert_server 4492 server-rsa -cert_chain "$INTER" -naccept 2
    must_pass s_client_say "hello one" 1 -connect 127.0.0.1:4492 -tls1_2 \
        -servername server.test "${VERIFY[@]}"
    must_pass s_client_say "hello two" 1 -connect 127.0.0.1:4492 -tls1_2 \
        -servername server.test "${VERIFY[@]}"
    server_stop
    cert_server 4492 server-inspected -cert_chain "$CERTS/inspection-ca.pem"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4492 -tls1_2 \
        -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.handshake.type==11' 3
    expect 'x509sat.printableString=="tlsmon test inspection CA" || x509sat.uTF8String=="tlsmon test inspection CA"'
    expect 'tls.alert_message.desc==48 && tcp.dstport==4492' 1
}

# Near miss of server_reset: the server sends its whole TLS 1.2 flight
# (ServerHello .. ServerHelloDone, made by OpenSSL through Python), reads
# the client's answer, then resets. A failure, but after the ServerHello.
cap_fail_reset_after_hello() {
    write_rule_py
    capture_start fail-reset-after-hello 4493
    server_start 4493 python3 "$WORK/rulepy.py" hello-reset 127.0.0.1 4493 \
        "$CERTS/server-rsa-chain.pem" "$CERTS/server-rsa.key"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4493 -tls1_2 \
        -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect "$SH12" 1
    expect 'tls.handshake.type==14' 1
    expect 'tcp.flags.reset==1 && tcp.srcport==4493' 1
    expect 'tls.alert_message.desc' 0
}

# unrecognized_name for a name the server does not host: the same nginx,
# SNI other.test. (Not missing_sni: the client did send a name.)
cap_fail_unknown_sni() {
    capture_start fail-unknown-sni 4494
    nginx_start 4494
    must_fail s_client_say "" 1 -connect 127.0.0.1:4494 \
        -servername other.test -CAfile "$ROOT" -verify_return_error
    server_stop
    capture_stop
    expect 'tls.handshake.extensions_server_name=="other.test"' 1
    expect 'tls.alert_message.desc==112 && tcp.srcport==4494' 1
    expect 'tls.handshake.type==2' 0
}

# A client that rejects the chain silently: the Python client of
# fail-client-abort, trusting only the unrelated CA, fails verification on
# the server's flight; OpenSSL writes its unknown_ca alert, which the
# script drops, and the client resets the connection. On the wire: the
# server's flight, then the client's RST, nothing else.
cap_fail_untrusted_silent() {
    write_rule_py
    capture_start fail-untrusted-silent 4495
    cert_server 4495 server-rsa -cert_chain "$INTER"
    must_pass in_ns python3 "$WORK/rulepy.py" abort-rst 127.0.0.1 4495 \
        "$CERTS/other-ca.pem"
    grep -q 'chain rejected' "$(client_log)" || die "fail-untrusted-silent: chain not rejected"
    server_stop
    capture_stop
    expect 'tls.handshake.type==14' 1
    expect 'tcp.len>0 && tcp.dstport==4495' 1
    expect 'tcp.flags.reset==1 && tcp.dstport==4495' 1
    expect 'tls.alert_message' 0
}

RULECAP_SCENARIOS=(fail-missing-sni nginx-sni fail-alpn alpn-h2-tls12
     fail-fallback fallback-scsv-top fail-group fail-revoked crl-checked
     fail-client-abort client-quick-close interception fail-reset-after-hello
     fail-unknown-sni fail-untrusted-silent)

# ---------------------------------------------------------------------------
# Rule triggers (issue 3): captures for the diagnosis rules not covered
# above, each the trigger of one default rule. Ports 4500-4519.

# TLS 1.3-only server: two TLS 1.3 clients succeed, then a TLS 1.2-only
# client is refused. The third handshake has the server's history as
# evidence: none of its versions was ever chosen there.
cap_rule_version_history() {
    capture_start rule-version-history 4500
    server_start 4500 openssl s_server -accept 4500 -naccept 3 -rev -tls1_3 \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    must_pass s_client_say "first" 1 -connect 127.0.0.1:4500 -tls1_3 \
        -servername server.test "${VERIFY[@]}"
    must_pass s_client_say "second" 1 -connect 127.0.0.1:4500 -tls1_3 \
        -servername server.test "${VERIFY[@]}"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4500 -tls1_2 \
        -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect "$SH13" 2
    expect 'tls.alert_message.desc==70 && tcp.srcport==4500' 1
}

# P-384-only TLS 1.3 server: two clients offering P-384 succeed, then one
# offering only X25519 is refused although its suites and version were
# chosen before.
cap_rule_group_history() {
    capture_start rule-group-history 4501
    server_start 4501 openssl s_server -accept 4501 -naccept 3 -rev -tls1_3 \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER" -groups P-384
    must_pass s_client_say "first" 1 -connect 127.0.0.1:4501 -tls1_3 \
        -groups P-384 -servername server.test "${VERIFY[@]}"
    must_pass s_client_say "second" 1 -connect 127.0.0.1:4501 -tls1_3 \
        -groups P-384 -servername server.test "${VERIFY[@]}"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4501 -tls1_3 \
        -groups X25519 -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect "$SH13" 2
    expect 'tls.alert_message.level==2 && tcp.srcport==4501' 1
}

# A server stuck on TLS 1.0 refuses a client offering TLS 1.2 and 1.3.
cap_fail_version_old_server() {
    capture_start fail-version-old-server 4502
    server_start 4502 openssl s_server -accept 4502 -naccept 1 -rev -tls1 \
        -cipher 'AES128-SHA:@SECLEVEL=0' \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4502 -no_tls1 -no_tls1_1 \
        -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.alert_message.desc==70 && tcp.srcport==4502' 1
    expect 'tls.handshake.extensions.supported_version==0x0304' 1
}

# A TLS 1.3-only client and a server that stops at TLS 1.2.
cap_fail_version_tls13_client() {
    capture_start fail-version-tls13-client 4503
    server_start 4503 openssl s_server -accept 4503 -naccept 1 -rev -tls1_2 \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4503 -tls1_3 \
        -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.alert_message.desc==70 && tcp.srcport==4503' 1
}

# A client that offers only a static-RSA CBC suite; the server only ECDHE
# with AES-GCM.
cap_fail_cipher_old_client() {
    capture_start fail-cipher-old-client 4504
    server_start 4504 openssl s_server -accept 4504 -naccept 1 -rev -tls1_2 \
        -cipher 'ECDHE+AESGCM' \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4504 -tls1_2 \
        -cipher AES128-SHA -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.alert_message.desc==40 && tcp.srcport==4504' 1
}

# TLS 1.3 and an expired leaf: the certificate is encrypted, OpenSSL's
# certificate_expired alert is not.
cap_fail_expired_tls13() {
    capture_start fail-expired-tls13 4505
    keylog_on
    server_start 4505 openssl s_server -accept 4505 -naccept 1 -rev -tls1_3 \
        -cert "$CERTS/server-expired.pem" -key "$CERTS/server-expired.key" \
        -cert_chain "$INTER"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4505 -tls1_3 \
        -servername server.test "${VERIFY[@]}" "${KEYLOG[@]}"
    server_stop
    capture_stop
    expect 'tls.alert_message.desc==45 && tcp.dstport==4505' 1
}

# Mutual TLS 1.2: the server trusts only the unrelated CA, so it refuses
# the client's certificate.
cap_fail_client_cert_untrusted() {
    capture_start fail-client-cert-untrusted 4506
    server_start 4506 openssl s_server -accept 4506 -naccept 1 -rev -tls1_2 \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER" -Verify 1 -CAfile "$CERTS/other-ca.pem" \
        -verify_return_error
    must_fail s_client_say "" 1 -connect 127.0.0.1:4506 -tls1_2 \
        -servername server.test "${VERIFY[@]}" \
        -cert "$CERTS/client-mtls.pem" -key "$CERTS/client-mtls.key" \
        -cert_chain "$INTER"
    server_stop
    capture_stop
    expect 'tls.alert_message.level==2 && tcp.srcport==4506' 1
    expect 'tls.handshake.type==11 && tcp.dstport==4506' 1
}

# Clients that do not check: one accepts a certificate for another name,
# one an expired certificate (no -verify_hostname / no
# -verify_return_error).
cap_cert_accepted_wrong_name() {
    capture_start cert-accepted-wrong-name 4507
    server_start 4507 openssl s_server -accept 4507 -naccept 1 -rev -tls1_2 \
        -cert "$CERTS/other-name.pem" -key "$CERTS/other-name.key" \
        -cert_chain "$INTER"
    must_pass s_client_say "no name check" 1 -connect 127.0.0.1:4507 \
        -tls1_2 -servername server.test -CAfile "$ROOT"
    server_stop
    capture_stop
    expect 'tls.record.content_type==23 && tcp.srcport==4507'
}

cap_cert_accepted_expired() {
    capture_start cert-accepted-expired 4508
    server_start 4508 openssl s_server -accept 4508 -naccept 1 -rev -tls1_2 \
        -cert "$CERTS/server-expired.pem" -key "$CERTS/server-expired.key" \
        -cert_chain "$INTER"
    must_pass s_client_say "no validity check" 1 -connect 127.0.0.1:4508 \
        -tls1_2 -servername server.test -CAfile "$ROOT"
    server_stop
    capture_stop
    expect 'tls.record.content_type==23 && tcp.srcport==4508'
}

# Anonymous Diffie-Hellman: no certificate at all, both sides at
# SECLEVEL=0.
cap_weak_anon_cipher() {
    capture_start weak-anon-cipher 4509
    server_start 4509 openssl s_server -accept 4509 -naccept 1 -rev -tls1_2 \
        -nocert -cipher 'aNULL:@SECLEVEL=0'
    must_pass s_client_say "hello anonymous" 1 -connect 127.0.0.1:4509 \
        -tls1_2 -cipher 'aNULL:@SECLEVEL=0' -servername server.test
    server_stop
    capture_stop
    expect 'tls.handshake.type==11' 0
    expect 'tls.record.content_type==23 && tcp.srcport==4509'
}

# 3DES is compiled out of Debian 12's OpenSSL; GnuTLS still has it.
cap_weak_3des() {
    local prio='NONE:+VERS-TLS1.2:+3DES-CBC:+SHA1:+RSA:+SIGN-ALL:+COMP-NULL:+GROUP-ALL'
    capture_start weak-3des 4510
    server_start 4510 gnutls-serv -p 4510 --echo --priority "$prio" \
        --x509certfile "$CERTS/server-rsa-chain.pem" \
        --x509keyfile "$CERTS/server-rsa.key"
    must_pass bash -c "{ echo 'hello 3des'; sleep 1; } |
        ip netns exec '$NS' gnutls-cli -p 4510 --priority '$prio' \
        --x509cafile '$ROOT' --sni-hostname server.test \
        --verify-hostname server.test 127.0.0.1"
    sleep 0.3
    server_stop
    capture_stop
    expect "$SH12 && tls.handshake.ciphersuite==0x000a" 1
}

# The client gives up after half a second; the (Python) server answers
# after one.
cap_client_gave_up_early() {
    capture_start client-gave-up-early 4511
    server_start 4511 python3 "$WORK/pyserver.py" slow 127.0.0.1 4511 \
        "$CERTS/server-rsa-chain.pem" "$CERTS/server-rsa.key"
    must_fail in_ns timeout 0.5 openssl s_client -connect 127.0.0.1:4511 \
        -servername server.test "${VERIFY[@]}"
    sleep 1
    server_stop
    capture_stop
    expect 'tls.handshake.type==1' 1
    expect 'tls.handshake.type==2' 1
}

# OCSP stapling (issue 4): a real OCSP response for the server-rsa leaf,
# made by `openssl ocsp` acting as the intermediate's responder from an
# index that says good or revoked, stapled by s_server -status_file and
# asked for by s_client -status.
ocsp_response() { # good|revoked OUT.der
    local serial subject expiry index=$WORK/ocsp-index.txt
    serial=$(openssl x509 -in "$CERTS/server-rsa.pem" -noout -serial | cut -d= -f2)
    subject=$(openssl x509 -in "$CERTS/server-rsa.pem" -noout -subject \
        -nameopt compat | sed 's/^subject=//')
    expiry=$(date -u -d "$(openssl x509 -in "$CERTS/server-rsa.pem" -noout \
        -enddate | cut -d= -f2)" +%y%m%d%H%M%SZ)
    if [ "$1" = revoked ]; then
        printf 'R\t%s\t%s,keyCompromise\t%s\tunknown\t%s\n' "$expiry" \
            "$(date -u -d '1 day ago' +%y%m%d%H%M%SZ)" "$serial" \
            "$subject" >"$index"
    else
        printf 'V\t%s\t\t%s\tunknown\t%s\n' "$expiry" "$serial" \
            "$subject" >"$index"
    fi
    openssl ocsp -issuer "$INTER" -cert "$CERTS/server-rsa.pem" -no_nonce \
        -reqout "$WORK/ocsp-req.der" >/dev/null 2>&1
    openssl ocsp -index "$index" -rsigner "$INTER" \
        -rkey "$CERTS/intermediate-ca.key" -CA "$INTER" \
        -reqin "$WORK/ocsp-req.der" -respout "$2" -ndays 7 >/dev/null 2>&1 ||
        die "openssl ocsp could not make the $1 response"
}

cap_cert_ocsp() { # NAME PORT good|revoked
    capture_start "$1" "$2"
    ocsp_response "$3" "$WORK/ocsp-$3.der"
    server_start "$2" openssl s_server -accept "$2" -naccept 1 -rev -tls1_2 \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER" -status_file "$WORK/ocsp-$3.der"
    # s_client shows the response but does not refuse a revoked one: what
    # the wire shows is the staple, whatever the client then does.
    must_pass s_client_say "hello with a staple" 1 -connect 127.0.0.1:"$2" \
        -tls1_2 -status -servername server.test "${VERIFY[@]}"
    grep -q "Cert Status: $3" "$(client_log)" ||
        die "$1: the client did not see a $3 staple"
    server_stop
    capture_stop
    expect 'tls.handshake.type==22' 1
}
cap_cert_ocsp_good() { cap_cert_ocsp cert-ocsp-good 4520 good; }
cap_cert_ocsp_revoked() { cap_cert_ocsp cert-ocsp-revoked 4521 revoked; }

RULE_SCENARIOS=(rule-version-history rule-group-history
     fail-version-old-server fail-version-tls13-client fail-cipher-old-client
     fail-expired-tls13 fail-client-cert-untrusted cert-accepted-wrong-name
     cert-accepted-expired weak-anon-cipher weak-3des client-gave-up-early
     cert-ocsp-good cert-ocsp-revoked)

# ---------------------------------------------------------------------------
# Outcome on the evidence (issue 15): when a handshake is decided, who
# closed first, what comes after the deciding close, roles, resumption.

write_outcome_py() {
    cat >"$WORK/outcomepy.py" <<'EOF'
# Servers and clients whose timing the outcome scenarios need: each does
# one connection with Python's ssl (OpenSSL underneath), through memory
# BIOs where it must choose when a flight goes out.
import socket, ssl, sys, time
mode = sys.argv[1]

def listen(port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('127.0.0.1', port))
    ls.listen(1)
    conn, _ = ls.accept()
    ls.close()
    return conn

def drain(sock):
    while sock.recv(65536):
        pass

def pump(sock, obj, inc, out, until):
    """Drive obj's handshake. `until(data, done)` sees each flight obj
    produces before it goes out; True stops with that flight unsent."""
    while True:
        try:
            obj.do_handshake()
            done = True
        except ssl.SSLWantReadError:
            done = False
        data = out.read()
        if data and until(data, done):
            return data
        if data:
            sock.sendall(data)
        if done:
            return b''
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError('peer closed during the handshake')
        inc.write(chunk)

def version(v):
    return ssl.TLSVersion.TLSv1_3 if v == '1.3' else ssl.TLSVersion.TLSv1_2

if mode == 'echo':
    # A TCP echo service: what comes in goes back out.
    conn = listen(int(sys.argv[2]))
    while True:
        data = conn.recv(65536)
        if not data:
            break
        conn.sendall(data)
    conn.close()
elif mode == 'banner':
    # Speaks first, like an SSH server; refuses what the client says.
    conn = listen(int(sys.argv[2]))
    conn.sendall(b'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n')
    conn.recv(65536)
    conn.sendall(b'Invalid SSH identification string.\r\n')
    conn.close()
elif mode == 'banner-client':
    # Reads the server's greeting, then starts TLS anyway.
    s = socket.create_connection(('127.0.0.1', int(sys.argv[2])))
    print('greeting:', s.recv(1024))
    ctx = ssl.create_default_context(cafile=sys.argv[3])
    try:
        ctx.wrap_socket(s, server_hostname='server.test')
    except (ssl.SSLError, OSError) as e:
        print('handshake failed:', e)
        sys.exit(1)
    sys.exit('handshake unexpectedly finished')
elif mode == 'slow-finish':
    # A real TLS server whose last flight (TLS 1.2: ticket, CCS, Finished;
    # TLS 1.3: the tickets) leaves 300 ms after the client's Finished came.
    port, cert, key = int(sys.argv[2]), sys.argv[3], sys.argv[4]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.minimum_version = ctx.maximum_version = version(sys.argv[5])
    conn = listen(port)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_side=True)
    def hold_last(data, done):
        if done:
            time.sleep(0.3)
        return False
    pump(conn, obj, inc, out, hold_last)
    drain(conn)
    conn.close()
elif mode == 'fin-after-finished':
    # A client that sends its Finished and half-closes at once, as a
    # browser drops a spare connection; then reads the server to its end.
    port, ca = int(sys.argv[2]), sys.argv[3]
    ctx = ssl.create_default_context(cafile=ca)
    ctx.minimum_version = ctx.maximum_version = version(sys.argv[4])
    s = socket.create_connection(('127.0.0.1', port))
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname='server.test')
    flights = []
    def finished_flight(data, done):
        flights.append(data)
        return len(flights) == 2  # the ClientHello, then the Finished
    last = pump(s, obj, inc, out, finished_flight)
    s.sendall(last)
    s.shutdown(socket.SHUT_WR)
    drain(s)
    s.close()
    print(f'sent the {len(last)}-byte Finished flight and FIN')
elif mode == 'flight-fin':
    # A TLS 1.2 server that sends its first flight and half-closes: the
    # client's answer (an alert) comes after the server's FIN.
    port, cert, key = int(sys.argv[2]), sys.argv[3], sys.argv[4]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    conn = listen(port)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_side=True)
    inc.write(conn.recv(65536))
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    conn.sendall(out.read())
    conn.shutdown(socket.SHUT_WR)
    drain(conn)
    conn.close()
elif mode == 'alert-after-fin':
    # A client that reads the server's first flight to the server's FIN
    # before it judges the chain, and sends its alert after that FIN.
    port, ca = int(sys.argv[2]), sys.argv[3]
    ctx = ssl.create_default_context(cafile=ca)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    s = socket.create_connection(('127.0.0.1', port))
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname='server.test')
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    s.sendall(out.read())
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        inc.write(chunk)
    try:
        obj.do_handshake()
        sys.exit('chain unexpectedly accepted')
    except ssl.SSLCertVerificationError as e:
        print('chain rejected after the server FIN:', e.verify_message)
    s.sendall(out.read())
    s.close()
EOF
}

# TLS 1.3, a server that requires a client certificate, a client without
# one that sends its request with its Finished (as HTTP clients do): the
# server answers the Finished with one encrypted alert (certificate_required)
# and closes. Not established, whatever the client sent.
cap_fail_client_cert_tls13_data() {
    capture_start fail-client-cert-tls13-data 4630
    server_start 4630 openssl s_server -accept 4630 -naccept 1 -www -tls1_3 \
        -Verify 1 -verifyCAfile "$ROOT" \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    must_fail bash -c "{ printf 'GET / HTTP/1.1\r\nHost: server.test\r\n\r\n'; sleep 1; } |
        ip netns exec '$NS' openssl s_client -connect 127.0.0.1:4630 -tls1_3 \
        -servername server.test -CAfile '$ROOT' -verify_return_error \
        -verify_hostname server.test -ign_eof"
    server_stop
    capture_stop
    expect "$SH13" 1
    expect 'tls.record.length==19 && tcp.srcport==4630' 1
}

# The same with a client certificate made for servers only (extended key
# usage serverAuth, no clientAuth): the server refuses it
# (unsupported_certificate, encrypted) after the client's Finished and data.
cap_fail_client_cert_purpose_tls13() {
    capture_start fail-client-cert-purpose-tls13 4631
    server_start 4631 openssl s_server -accept 4631 -naccept 1 -www -tls1_3 \
        -Verify 1 -verifyCAfile "$ROOT" -verify_return_error \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    must_fail bash -c "{ printf 'GET / HTTP/1.1\r\nHost: server.test\r\n\r\n'; sleep 1; } |
        ip netns exec '$NS' openssl s_client -connect 127.0.0.1:4631 -tls1_3 \
        -servername server.test -CAfile '$ROOT' -verify_return_error \
        -cert '$CERTS/other-name.pem' -key '$CERTS/other-name.key' \
        -cert_chain '$INTER' -ign_eof"
    server_stop
    capture_stop
    expect "$SH13" 1
    expect 'tls.record.length==19 && tcp.srcport==4631' 1
}

# curl with a public key pin that does not match: it completes the
# handshake, checks the pin, and closes (close_notify, FIN) without a
# request. TLS 1.3 first (the server's tickets show it took the Finished),
# then TLS 1.2.
cap_client_pinned_key() {
    capture_start client-pinned-key 4632
    server_start 4632 openssl s_server -accept 4632 -naccept 2 -www \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    local pin="sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    must_fail in_ns curl -sS --cacert "$ROOT" --tlsv1.3 --pinnedpubkey "$pin" \
        --resolve server.test:4632:127.0.0.1 https://server.test:4632/
    must_fail in_ns curl -sS --cacert "$ROOT" --tlsv1.2 --tls-max 1.2 \
        --pinnedpubkey "$pin" --resolve server.test:4632:127.0.0.1 \
        https://server.test:4632/
    server_stop
    capture_stop
    expect 'tls.handshake.type==1' 2
    expect 'http.request' 0
}

# A client that sends its Finished and FIN before the server's last flight
# (a browser's spare connection): the server's CCS and Finished (TLS 1.2)
# or tickets (TLS 1.3) come 300 ms later. Both sides finished: established.
cap_client_fin_before_server_finished() {
    write_outcome_py
    capture_start client-fin-before-server-finished 4633
    local v
    for v in 1.2 1.3; do
        server_start 4633 python3 "$WORK/outcomepy.py" slow-finish 4633 \
            "$CERTS/server-rsa-chain.pem" "$CERTS/server-rsa.key" "$v"
        must_pass in_ns python3 "$WORK/outcomepy.py" fin-after-finished 4633 \
            "$ROOT" "$v"
        server_stop
    done
    capture_stop
    expect 'tls.handshake.type==1' 2
    expect 'tcp.flags.fin==1 && tcp.dstport==4633'
    expect 'tls.handshake.type==4 && tcp.srcport==4633' 1
}

# A client gives up after the server's flight with a FIN and no alert;
# OpenSSL's s_server answers the early end with decode_error, after the
# client's FIN: a late alert, in the list, not the decision.
cap_late_server_alert() {
    write_rule_py
    capture_start late-server-alert 4634
    cert_server 4634 server-rsa -cert_chain "$INTER"
    must_pass in_ns python3 "$WORK/rulepy.py" abort 127.0.0.1 4634 "$ROOT"
    server_stop
    capture_stop
    expect 'tcp.flags.fin==1 && tcp.dstport==4634' 1
    expect 'tls.alert_message && tcp.srcport==4634' 1
}

# A server sends its first flight and half-closes; the client refuses the
# chain (unknown_ca) after the server's FIN.
cap_late_client_alert() {
    write_outcome_py
    capture_start late-client-alert 4635
    server_start 4635 python3 "$WORK/outcomepy.py" flight-fin 4635 \
        "$CERTS/server-rsa-chain.pem" "$CERTS/server-rsa.key"
    must_pass in_ns python3 "$WORK/outcomepy.py" alert-after-fin 4635 \
        "$CERTS/other-ca.pem"
    server_stop
    capture_stop
    expect 'tcp.flags.fin==1 && tcp.srcport==4635' 1
    expect 'tls.alert_message.desc==48 && tcp.dstport==4635' 1
}

# An echo service answers the ClientHello with the ClientHello.
cap_not_tls_echo() {
    write_outcome_py
    capture_start not-tls-echo 4636
    server_start 4636 python3 "$WORK/outcomepy.py" echo 4636
    must_fail s_client_say "" 1 -connect 127.0.0.1:4636 -tls1_2 \
        -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.handshake.type==1' 2
    expect 'tls.handshake.type==2' 0
}

# A server that speaks first (an SSH banner) and a client that starts TLS
# after reading it.
cap_not_tls_banner() {
    write_outcome_py
    capture_start not-tls-banner 4637
    server_start 4637 python3 "$WORK/outcomepy.py" banner 4637
    must_fail in_ns python3 "$WORK/outcomepy.py" banner-client 4637 "$ROOT"
    server_stop
    capture_stop
    expect 'tls.handshake.type==1' 1
    expect 'tcp.srcport==4637 && tcp.len>0' 2
}

# TLS 1.2 with a pre-shared key and no certificate: a full handshake
# (ServerHelloDone, ClientKeyExchange), not a resumption.
cap_tls12_psk() {
    capture_start tls12-psk 4638
    local psk=1a2b3c4d5e6f708192a3b4c5d6e7f809
    server_start 4638 openssl s_server -accept 4638 -naccept 1 -rev -tls1_2 \
        -nocert -psk "$psk" -psk_identity tlsmon -cipher PSK-AES128-GCM-SHA256
    must_pass s_client_say "hello psk" 1 -connect 127.0.0.1:4638 -tls1_2 \
        -psk "$psk" -psk_identity tlsmon -cipher PSK-AES128-GCM-SHA256
    server_stop
    capture_stop
    expect 'tls.handshake.type==11' 0
    expect 'tls.handshake.type==14' 1
    expect 'tls.handshake.type==16' 1
}

OUTCOME_SCENARIOS=(fail-client-cert-tls13-data fail-client-cert-purpose-tls13
     client-pinned-key client-fin-before-server-finished late-server-alert
     late-client-alert not-tls-echo not-tls-banner tls12-psk)

# STARTTLS: real servers from Debian, each run in the foreground inside the
# namespace with a configuration written to the work directory, on its
# standard port. Accepted upgrades and refusals (the server not configured
# for TLS). Clients: openssl s_client -starttls, psql, curl, ldapwhoami,
# mariadb.

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
# setpriv execs: the pid server_start keeps stays the server's.
as_user() { # USER  -> the command prefix, in AS_USER
    AS_USER=(setpriv --reuid="$1" --regid="$1" --init-groups)
}
# A copy of the server key and chain that USER can read (and only it).
server_keys() { # USER DIR
    mkdir -p "$2"
    cp "$CERTS/server-rsa-chain.pem" "$2/server.pem"
    cp "$CERTS/server-rsa.key" "$2/server.key"
    chown -R "$1:" "$2"
    chmod 600 "$2/server.key"
}
starttls_prepare() {
    chmod 755 "$WORK" # daemons drop root and must reach their files
}

STLS_SMTP_PORT=25 STLS_IMAP_PORT=143 STLS_POP3_PORT=110 STLS_FTP_PORT=21
STLS_XMPP_PORT=5222 STLS_LDAP_PORT=389 STLS_PG_PORT=5432 STLS_MYSQL_PORT=3306

postfix_start() { # TLS-LEVEL (may | none)
    starttls_prepare
    local d=$WORK/postfix
    rm -rf "$d"
    mkdir -p "$d/data"
    chown postfix: "$d/data"
    cp /etc/postfix/master.cf "$d/master.cf"
    cat >"$d/main.cf" <<EOF
compatibility_level = 3.6
myhostname = server.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
data_directory = $d/data
smtpd_banner = \$myhostname ESMTP
smtpd_tls_security_level = $1
smtpd_tls_chain_files = $CERTS/server-rsa.key, $CERTS/server-rsa-chain.pem
maillog_file_prefixes = $d
maillog_file = $d/maillog
EOF
    postconf -c "$d" -F '*/*/chroot = n'
    server_start "$STLS_SMTP_PORT" postfix -c "$d" start-fg
}

cap_starttls_smtp() {
    capture_start starttls-smtp "$STLS_SMTP_PORT"
    CAP_DECODE_AS=0
    postfix_start may
    # TLS 1.2, so that the certificate is visible after the upgrade too.
    must_pass s_client_say "QUIT" 1 -connect 127.0.0.1:25 -starttls smtp \
        -tls1_2 -name client.test -servername server.test "${VERIFY[@]}"
    postfix -c "$WORK/postfix" stop >/dev/null 2>&1 || true
    server_stop
    capture_stop
    expect 'tcp.dstport==25 && tcp.payload contains "STARTTLS"' 1
    expect 'smtp.response.code==220' 2
    expect 'tls.handshake.type==1'
    expect "$SH12" 1
    expect 'tls.handshake.type==11' 1
}

cap_starttls_smtp_refused() {
    capture_start starttls-smtp-refused "$STLS_SMTP_PORT"
    CAP_DECODE_AS=0
    postfix_start none
    must_fail s_client_say "" 1 -connect 127.0.0.1:25 -starttls smtp \
        -name client.test -servername server.test "${VERIFY[@]}"
    postfix -c "$WORK/postfix" stop >/dev/null 2>&1 || true
    server_stop
    capture_stop
    expect 'tcp.dstport==25 && tcp.payload contains "STARTTLS"' 1
    expect 'smtp.response.code==502' 1
}

dovecot_start() { # SSL (yes | no)
    starttls_prepare
    local d=$WORK/dovecot
    rm -rf "$d"
    mkdir -p "$d"
    cat >"$d/dovecot.conf" <<EOF
protocols = imap pop3
listen = 127.0.0.1
base_dir = $d/run
state_dir = $d/state
log_path = $d/log
ssl = $1
ssl_cert = <$CERTS/server-rsa-chain.pem
ssl_key = <$CERTS/server-rsa.key
disable_plaintext_auth = yes
passdb {
  driver = static
  args = password=not-used
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}
EOF
    server_start "$STLS_IMAP_PORT" dovecot -F -c "$d/dovecot.conf"
    wait_listen "$STLS_POP3_PORT"
}

cap_starttls_imap() {
    capture_start starttls-imap "$STLS_IMAP_PORT"
    CAP_DECODE_AS=0
    dovecot_start yes
    must_pass s_client_say ". LOGOUT" 1 -connect 127.0.0.1:143 \
        -starttls imap -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'imap.request.command=="STARTTLS"' 1
    expect 'tls.handshake.type==1'
    expect "$SH" 1
}

cap_starttls_imap_refused() {
    capture_start starttls-imap-refused "$STLS_IMAP_PORT"
    CAP_DECODE_AS=0
    dovecot_start no
    must_fail s_client_say "" 1 -connect 127.0.0.1:143 -starttls imap \
        -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'imap.request.command=="STARTTLS"' 1
    expect 'imap.response.status=="BAD" || imap.response.status=="NO"' 1
}

cap_starttls_pop3() {
    capture_start starttls-pop3 "$STLS_POP3_PORT"
    CAP_DECODE_AS=0
    dovecot_start yes
    must_pass s_client_say "QUIT" 1 -connect 127.0.0.1:110 \
        -starttls pop3 -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'pop.request.command=="STLS"' 1
    expect 'tls.handshake.type==1'
    expect "$SH" 1
}

cap_starttls_pop3_refused() {
    capture_start starttls-pop3-refused "$STLS_POP3_PORT"
    CAP_DECODE_AS=0
    dovecot_start no
    must_fail s_client_say "" 1 -connect 127.0.0.1:110 -starttls pop3 \
        -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'pop.request.command=="STLS"' 1
    expect 'pop.response.indicator=="-ERR"'
}

vsftpd_start() { # SSL (YES | NO)
    starttls_prepare
    local d=$WORK/vsftpd
    rm -rf "$d"
    mkdir -p "$d/root" /var/run/vsftpd/empty
    cat >"$d/vsftpd.conf" <<EOF
listen=YES
listen_address=127.0.0.1
background=NO
anonymous_enable=YES
anon_root=$d/root
local_enable=NO
seccomp_sandbox=NO
secure_chroot_dir=/var/run/vsftpd/empty
ssl_enable=$1
allow_anon_ssl=YES
require_ssl_reuse=NO
rsa_cert_file=$CERTS/server-rsa-chain.pem
rsa_private_key_file=$CERTS/server-rsa.key
EOF
    server_start "$STLS_FTP_PORT" vsftpd "$d/vsftpd.conf"
}

FTP_CURL=(curl -sS --ssl-reqd --cacert "$ROOT"
          --connect-to server.test:21:127.0.0.1:21 ftp://server.test/)

cap_starttls_ftp() {
    capture_start starttls-ftp "$STLS_FTP_PORT"
    CAP_DECODE_AS=0
    vsftpd_start YES
    must_pass in_ns "${FTP_CURL[@]}"
    server_stop
    capture_stop
    expect 'ftp.request.command=="AUTH"' 1
    expect 'ftp.response.code==234' 1
    # tshark 4.0 follows AUTH TLS but not curl's AUTH SSL: look at the
    # record bytes.
    expect 'tcp.dstport==21 && tcp.payload[0]==16 && tcp.payload[5]==1'
    expect 'tcp.srcport==21 && tcp.payload[0]==16 && tcp.payload[5]==2'
}

cap_starttls_ftp_refused() {
    capture_start starttls-ftp-refused "$STLS_FTP_PORT"
    CAP_DECODE_AS=0
    vsftpd_start NO
    must_fail in_ns "${FTP_CURL[@]}"
    server_stop
    capture_stop
    expect 'ftp.request.command=="AUTH"'
    expect 'ftp.response.code==530'
}

prosody_start() { # with-tls | no-tls
    starttls_prepare
    local d=$WORK/prosody ssl
    rm -rf "$d"
    mkdir -p "$d/data"
    server_keys prosody "$d/keys"
    chown prosody: "$d/data"
    # Without TLS: a certificate that is not there (prosody would otherwise
    # look for one by itself), so TLS cannot start on the connection.
    ssl="ssl = { certificate = \"$d/keys/none.pem\", key = \"$d/keys/none.key\" }"
    [ "$1" = with-tls ] &&
        ssl="ssl = { certificate = \"$d/keys/server.pem\", key = \"$d/keys/server.key\" }"
    cat >"$d/prosody.cfg.lua" <<EOF
pidfile = "$d/data/prosody.pid"
data_path = "$d/data"
log = { { levels = { min = "warn" }, to = "console" } }
interfaces = { "127.0.0.1" }
c2s_ports = { 5222 }
modules_enabled = { "tls", "saslauth", "disco" }
modules_disabled = { "s2s" }
c2s_require_encryption = false
$ssl
VirtualHost "server.test"
EOF
    chown prosody: "$d/prosody.cfg.lua"
    as_user prosody
    server_start "$STLS_XMPP_PORT" "${AS_USER[@]}" prosody -F \
        --config "$d/prosody.cfg.lua"
}

cap_starttls_xmpp() {
    capture_start starttls-xmpp "$STLS_XMPP_PORT"
    CAP_DECODE_AS=0
    prosody_start with-tls
    must_pass s_client_say "" 1 -connect 127.0.0.1:5222 -starttls xmpp \
        -xmpphost server.test -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'xmpp.starttls' 1
    expect 'xmpp.proceed' 1
    expect 'tls.handshake.type==1'
}

# openssl s_client only asks for STARTTLS when it is offered: this client
# asks anyway, of a server that cannot start TLS (prosody: <failure/>).
cat >"$WORK/xmppclient.py" <<'EOF'
import socket, sys
s = socket.create_connection(('127.0.0.1', 5222))
s.sendall(b"<?xml version='1.0'?><stream:stream to='server.test' "
          b"xmlns='jabber:client' "
          b"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")
got = b''
while b'</stream:features>' not in got:
    got += s.recv(4096) or sys.exit('closed before the features')
s.sendall(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
got = b''
while b'failure' not in got and b'proceed' not in got:
    got += s.recv(4096) or sys.exit('closed without an answer')
print(got.decode())
s.close()
sys.exit(1 if b'failure' in got else 0)
EOF

cap_starttls_xmpp_refused() {
    capture_start starttls-xmpp-refused "$STLS_XMPP_PORT"
    CAP_DECODE_AS=0
    prosody_start no-tls
    must_fail in_ns python3 "$WORK/xmppclient.py"
    server_stop
    capture_stop
    expect 'xmpp.starttls' 1
    expect 'xmpp.failure' 1
}

slapd_start() { # with-tls | no-tls
    starttls_prepare
    local d=$WORK/slapd
    rm -rf "$d"
    mkdir -p "$d"
    {
        echo "include /etc/ldap/schema/core.schema"
        echo "pidfile $d/slapd.pid"
        echo "argsfile $d/slapd.args"
        if [ "$1" = with-tls ]; then
            echo "TLSCertificateFile $CERTS/server-rsa-chain.pem"
            echo "TLSCertificateKeyFile $CERTS/server-rsa.key"
        fi
    } >"$d/slapd.conf"
    server_start "$STLS_LDAP_PORT" slapd -d 0 -h ldap://127.0.0.1:389/ \
        -f "$d/slapd.conf"
}

LDAP_WHOAMI=(env LDAPTLS_CACERT="$ROOT" LDAPTLS_REQCERT=allow
             ldapwhoami -x -ZZ -H ldap://127.0.0.1:389)

cap_starttls_ldap() {
    capture_start starttls-ldap "$STLS_LDAP_PORT"
    CAP_DECODE_AS=0
    slapd_start with-tls
    must_pass in_ns "${LDAP_WHOAMI[@]}"
    server_stop
    capture_stop
    expect 'ldap.requestName=="1.3.6.1.4.1.1466.20037"' 1
    expect 'tls.handshake.type==1'
    expect "$SH" 1
}

cap_starttls_ldap_refused() {
    capture_start starttls-ldap-refused "$STLS_LDAP_PORT"
    CAP_DECODE_AS=0
    slapd_start no-tls
    must_fail in_ns "${LDAP_WHOAMI[@]}"
    server_stop
    capture_stop
    expect 'ldap.requestName=="1.3.6.1.4.1.1466.20037"' 1
    expect 'ldap.resultCode!=0' 1
}

postgres_start() { # ssl (on | off)
    starttls_prepare
    local d=$WORK/pg
    rm -rf "$d"
    mkdir -p "$d"
    chown postgres: "$d"
    as_user postgres
    "${AS_USER[@]}" "$PGBIN/initdb" -D "$d/data" -A trust -U postgres \
        >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log"; die "initdb"; }
    server_keys postgres "$d/keys"
    server_start "$STLS_PG_PORT" "${AS_USER[@]}" "$PGBIN/postgres" \
        -D "$d/data" -h 127.0.0.1 -p 5432 -k "$d" -c "ssl=$1" \
        -c "ssl_cert_file=$d/keys/server.pem" \
        -c "ssl_key_file=$d/keys/server.key"
}

PSQL=(psql -X -A -t -c 'select 1')

cap_starttls_postgresql() {
    capture_start starttls-postgresql "$STLS_PG_PORT"
    CAP_DECODE_AS=0
    postgres_start on
    must_pass in_ns "${PSQL[@]}" "host=server.test hostaddr=127.0.0.1 \
port=5432 user=postgres dbname=postgres sslmode=verify-full sslrootcert=$ROOT"
    server_stop
    capture_stop
    expect 'pgsql.type=="SSL request"' 1
    expect 'tls.handshake.type==1'
    expect "$SH" 1
}

cap_starttls_postgresql_refused() {
    capture_start starttls-postgresql-refused "$STLS_PG_PORT"
    CAP_DECODE_AS=0
    postgres_start off
    # sslmode=prefer: asks for TLS, is told 'N', goes on in plaintext.
    must_pass in_ns "${PSQL[@]}" "host=127.0.0.1 port=5432 user=postgres \
dbname=postgres sslmode=prefer"
    server_stop
    capture_stop
    expect 'pgsql.type=="SSL request"' 1
    expect 'tls' 0
}

cap_starttls_mysql() {
    capture_start starttls-mysql "$STLS_MYSQL_PORT"
    CAP_DECODE_AS=0
    starttls_prepare
    local d=$WORK/mysql
    rm -rf "$d"
    mkdir -p "$d"
    chown mysql: "$d"
    server_keys mysql "$d/keys"
    mariadb-install-db --no-defaults --datadir="$d/data" --user=mysql \
        --auth-root-authentication-method=normal --skip-test-db \
        >"$WORK/mysql-install.log" 2>&1 ||
        { cat "$WORK/mysql-install.log"; die "mariadb-install-db"; }
    server_start "$STLS_MYSQL_PORT" mariadbd --no-defaults --user=mysql \
        --datadir="$d/data" --socket="$d/sock" --pid-file="$d/pid" \
        --bind-address=127.0.0.1 --port=3306 --skip-log-bin \
        --log-error="$d/err" --ssl-cert="$d/keys/server.pem" \
        --ssl-key="$d/keys/server.key"
    must_pass in_ns mariadb --no-defaults -h 127.0.0.1 -P 3306 -u root \
        --ssl --ssl-ca="$ROOT" -e 'select 1'
    server_stop
    capture_stop
    expect 'mysql.caps.sl==1'
    expect 'tls.handshake.type==1'
    expect "$SH" 1
}

# ---------------------------------------------------------------------------
# Causes (issue 17): a capture for each cause the rules name, and near
# misses. Ports 4530-4549.

# TLS 1.3 only, the client narrowed its suites to ChaCha20, the server has
# only AES-GCM: cipher_mismatch (the groups meet).
cap_fail_cipher_tls13() {
    capture_start fail-cipher-tls13 4530
    server_start 4530 openssl s_server -accept 4530 -naccept 1 -rev -tls1_3 \
        -ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384 \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4530 -tls1_3 \
        -ciphersuites TLS_CHACHA20_POLY1305_SHA256 -servername server.test \
        "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.alert_message.desc==40 && tcp.srcport==4530' 1
    expect 'tls.handshake.type==2' 0
}

# TLS 1.3 only, the client narrowed its groups to P-384 and P-521, the
# server has X25519 and P-256: group_mismatch, the client's list.
cap_fail_group_tls13_narrowed() {
    capture_start fail-group-tls13-narrowed 4531
    server_start 4531 openssl s_server -accept 4531 -naccept 1 -rev -tls1_3 \
        -groups X25519:P-256 \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4531 -tls1_3 \
        -groups P-384:P-521 -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.alert_message.desc==40 && tcp.srcport==4531' 1
    expect 'tls.handshake.type==2' 0
}

# A TLS 1.0-only server and an OpenSSL 3 client that still offers TLS 1.0:
# the server chooses it, the client refuses its MD5/SHA-1 signature with
# internal_error after the server's flight. Fix: the server.
cap_fail_version_tls10_server() {
    capture_start fail-version-tls10-server 4532
    server_start 4532 openssl s_server -accept 4532 -naccept 1 -rev -tls1 \
        -cipher 'AES128-SHA:ECDHE-RSA-AES128-SHA:@SECLEVEL=0' \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4532 -min_protocol TLSv1 \
        -cipher 'DEFAULT:@SECLEVEL=1' -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.alert_message.desc==80 && tcp.dstport==4532' 1
    expect 'tls.handshake.type==2 && tls.handshake.version==0x0301' 1
}

# A TLS 1.0 client and an OpenSSL 3 server that allows TLS 1.0 but keeps
# its security level: internal_error right after the ClientHello. Fix: the
# client.
cap_fail_version_old_client_internal_error() {
    capture_start fail-version-old-client-internal-error 4533
    server_start 4533 openssl s_server -accept 4533 -naccept 1 -rev \
        -min_protocol TLSv1 \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4533 -tls1 \
        -cipher 'DEFAULT:@SECLEVEL=0' -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.alert_message.desc==80 && tcp.srcport==4533' 1
    expect 'tls.handshake.type==2' 0
}

# The client (default security level) refuses an RSA-1024 leaf.
cap_fail_weak_key_refused() {
    capture_start fail-weak-key-refused 4534
    cert_server 4534 server-rsa1024 -cert_chain "$INTER" \
        -cipher 'DEFAULT@SECLEVEL=0'
    must_fail s_client_say "" 1 -connect 127.0.0.1:4534 -tls1_2 \
        -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.handshake.type==11' 1
    expect 'tls.alert_message && tcp.dstport==4534' 1
}

# The client refuses a chain whose intermediate is signed with SHA-1 (the
# leaf is SHA-256): the message must name the intermediate.
cap_fail_weak_sha1_intermediate() {
    capture_start fail-weak-sha1-intermediate 4535
    server_start 4535 openssl s_server -accept 4535 -naccept 1 -rev -tls1_2 \
        -cipher 'DEFAULT@SECLEVEL=0' \
        -cert "$CERTS/server-under-sha1.pem" \
        -key "$CERTS/server-under-sha1.key" \
        -cert_chain "$CERTS/inter-sha1.pem"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4535 -tls1_2 \
        -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.handshake.type==11' 1
    expect 'tls.alert_message && tcp.dstport==4535' 1
}

# No SNI: the server shows its default certificate (other.test), the
# client checks the name it wanted and refuses with bad_certificate. Not
# the client's clock: the name was never matched.
cap_fail_missing_sni_bad_cert() {
    capture_start fail-missing-sni-bad-cert 4536
    server_start 4536 openssl s_server -accept 4536 -naccept 1 -rev -tls1_2 \
        -cert "$CERTS/other-name.pem" -key "$CERTS/other-name.key" \
        -cert_chain "$INTER"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4536 -noservername \
        -tls1_2 "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.handshake.extensions_server_name' 0
    expect 'tls.alert_message.desc==42 && tcp.dstport==4536' 1
}

# One server without its intermediates: a TLS 1.2 client sees the chain,
# then a TLS 1.3 client refuses the same chain encrypted. The second is
# diagnosed from the first (server history): incomplete_chain.
cap_fail_hidden_chain_known() {
    capture_start fail-hidden-chain-known 4537
    server_start 4537 openssl s_server -accept 4537 -naccept 2 -rev \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4537 -tls1_2 \
        -servername server.test "${VERIFY[@]}"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4537 -tls1_3 \
        -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.handshake.type==11' 1
    expect 'tls.alert_message.desc==48 && tcp.dstport==4537' 2
}

# TLS 1.3, the certificate (other.test) does not cover the SNI: the
# certificate is hidden, the client's bad_certificate is not.
cap_fail_hostname_tls13() {
    capture_start fail-hostname-tls13 4538
    server_start 4538 openssl s_server -accept 4538 -naccept 1 -rev -tls1_3 \
        -cert "$CERTS/other-name.pem" -key "$CERTS/other-name.key" \
        -cert_chain "$INTER"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4538 -tls1_3 \
        -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.alert_message.desc==42 && tcp.dstport==4538' 1
}

# Mutual TLS 1.2 with a client certificate made for servers (serverAuth
# only): the server refuses it (unsupported_certificate).
cap_fail_client_cert_wrong_purpose() {
    capture_start fail-client-cert-wrong-purpose 4539
    cert_server 4539 server-rsa -cert_chain "$INTER" -Verify 1 \
        -CAfile "$ROOT" -verify_return_error
    must_fail s_client_say "" 1 -connect 127.0.0.1:4539 -tls1_2 \
        -servername server.test "${VERIFY[@]}" \
        -cert "$CERTS/client-serverauth.pem" \
        -key "$CERTS/client-serverauth.key" -cert_chain "$INTER"
    server_stop
    capture_stop
    expect 'tls.handshake.type==11' 2
    expect 'tls.alert_message && tcp.srcport==4539' 1
}

# A server (or middlebox) that reads the ClientHello from one segment:
# python, peeking at most one segment's worth (1448 bytes at MTU 1500);
# a hello that does not fit is reset, one that fits is served.
write_split_py() {
    cat >"$WORK/splitpy.py" <<'PYEOF'
import socket, ssl, struct, sys
port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(('127.0.0.1', port))
ls.listen(1)
conn, _ = ls.accept()
first = conn.recv(1448, socket.MSG_PEEK)
if len(first) < 5 or len(first) < 5 + struct.unpack('>H', first[3:5])[0]:
    # The bug: the record is not all in the first read.
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    conn.close()
else:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    tls = ctx.wrap_socket(conn, server_side=True)
    tls.sendall(tls.recv(1024))
    try:
        tls.unwrap()
    except (ssl.SSLError, OSError):
        pass
    conn.close()
PYEOF
}

# Sixteen 60-byte ALPN names (what the record keeps, so fingerprints stay
# exact) and a 240-byte SNI make the hello about 1.6 KB: two segments.
LONG_ALPN=$(for i in $(seq 1 16); do printf 'tlsmon-protocol-%02d-%042d,' "$i" 0; done)
LONG_ALPN=${LONG_ALPN%,}
LONG_SNI=$(printf 'a%.0s' $(seq 1 228)).server.test

split_hello_run() { # NAME PORT (alpn-list or empty)
    write_split_py
    # Real segments on the wire: MTU 1500 and no segmentation offload (with
    # it the capture shows one super-segment).
    ip netns exec "$NS" ip link set lo mtu 1500
    ip netns exec "$NS" ethtool -K lo tso off gso off >/dev/null
    capture_start "$1" "$2"
    server_start "$2" python3 "$WORK/splitpy.py" "$2" \
        "$CERTS/server-rsa-chain.pem" "$CERTS/server-rsa.key"
    if [ -n "$3" ]; then
        must_fail s_client_say "" 1 -connect "127.0.0.1:$2" -tls1_3 \
            -alpn "$3" -servername "$LONG_SNI" "${VERIFY[@]}"
    else
        must_pass s_client_say "hello in one segment" 1 \
            -connect "127.0.0.1:$2" -tls1_3 -servername server.test \
            "${VERIFY[@]}"
    fi
    server_stop
    capture_stop
    ip netns exec "$NS" ip link set lo mtu 65536
    ip netns exec "$NS" ethtool -K lo tso on gso on >/dev/null
}

cap_fail_split_hello() {
    split_hello_run fail-split-hello 4540 "$LONG_ALPN"
    expect 'tls.handshake.type==1' 1
    expect 'tcp.flags.reset==1 && tcp.srcport==4540' 1
    expect 'tls.handshake.type==2' 0
}

cap_split_hello_fits() {
    split_hello_run split-hello-fits 4541 ""
    expect "$SH" 1
}

# A path MTU black hole, made by the kernel: the server's side of a veth
# pair has MTU 1000 and drops larger frames silently (no ICMP), while its
# route advertises MSS 1460. The client's ~2 KB hello goes out in a 1460-
# byte segment again and again, never acknowledged; the client gives up.
cap_fail_pmtu_blackhole() {
    local far=$NS-far
    ip netns add "$far"
    ip link add pmtu-c netns "$NS" type veth peer name pmtu-s netns "$far"
    in_ns ip addr add 10.77.0.1/24 dev pmtu-c
    in_ns ip link set pmtu-c up
    # Without segmentation offload each segment is its own frame, and the
    # far side's MTU check drops the large ones.
    in_ns ethtool -K pmtu-c tso off gso off >/dev/null
    ip netns exec "$far" ip link set lo up
    ip netns exec "$far" ip addr add 10.77.0.2/24 dev pmtu-s
    ip netns exec "$far" ip link set pmtu-s mtu 1000 up
    ip netns exec "$far" ip route replace 10.77.0.0/24 dev pmtu-s advmss 1460
    capture_start fail-pmtu-blackhole 4542 "$NS" pmtu-c
    ip netns exec "$far" openssl s_server -accept 4542 -naccept 1 -rev \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER" >"$WORK/pmtu.server" 2>&1 &
    SRV_PID=$!
    PIDS+=("$SRV_PID")
    local i
    for i in $(seq 1 100); do
        ip netns exec "$far" ss -Hltn "sport = :4542" | grep -q . && break
        sleep 0.05
    done
    must_fail in_ns timeout 6 openssl s_client -connect 10.77.0.2:4542 \
        -tls1_3 -alpn "$LONG_ALPN" -servername "$LONG_SNI" "${VERIFY[@]}" \
        </dev/null
    kill "$SRV_PID" 2>/dev/null || true
    wait "$SRV_PID" 2>/dev/null || true
    capture_stop
    ip netns del "$far"
    expect 'tcp.analysis.retransmission && tcp.len>1000' 
    expect 'tls.handshake.type==2' 0
}

# A private CA the client trusts and tlsmon's system store does not (its
# expected record is read without --ca-file): information, not a fault.
cap_private_ca_accepted() {
    capture_start private-ca-accepted 4545
    cert_server 4545 server-rsa -cert_chain "$INTER"
    must_pass s_client_say "hello private CA" 1 -connect 127.0.0.1:4545 \
        -tls1_2 -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.handshake.type==11' 1
}

# Built or impaired by captures/forge.py (no Debian stack does these).
cap_hrr_client_gave_up() {
    python3 "$HERE/forge.py" hrr-abandon "$HERE/tls13-hrr.pcap" \
        "$HERE/hrr-client-gave-up.pcap"
    echo "  hrr-client-gave-up.pcap: tls13-hrr.pcap cut after the HelloRetryRequest"
}
cap_one_sided_capture() {
    python3 "$HERE/forge.py" one-sided "$HERE/fail-version.pcap" \
        "$HERE/one-sided-capture.pcap"
    echo "  one-sided-capture.pcap: fail-version.pcap, client packets only"
}
cap_heartbleed() {
    python3 "$HERE/forge.py" heartbleed "$HERE/heartbleed.pcap"
    echo "  heartbleed.pcap: built to RFC 6520"
}
cap_heartbeat_benign() {
    python3 "$HERE/forge.py" heartbeat-benign "$HERE/heartbeat-benign.pcap"
    echo "  heartbeat-benign.pcap: built to RFC 6520"
}

CAUSE_SCENARIOS=(fail-cipher-tls13 fail-group-tls13-narrowed
     fail-version-tls10-server fail-version-old-client-internal-error
     fail-weak-key-refused fail-weak-sha1-intermediate
     fail-missing-sni-bad-cert fail-hidden-chain-known fail-hostname-tls13
     fail-client-cert-wrong-purpose fail-split-hello split-hello-fits
     fail-pmtu-blackhole hrr-client-gave-up heartbleed heartbeat-benign
     one-sided-capture private-ca-accepted)

# Key logs (issue 21): handshakes made with their secrets logged, so that
# tlsmon --keylog can be checked against what the records held (tshark with
# the same key log is the oracle, tests/e2e/keylog.py).

TLS13_SUITES=(TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384
     TLS_CHACHA20_POLY1305_SHA256 TLS_AES_128_CCM_SHA256
     TLS_AES_128_CCM_8_SHA256)

cap_keylog_tls13_suites() { # one connection per TLS 1.3 suite
    capture_start keylog-tls13-suites 4600
    keylog_on
    local all s
    all=$(IFS=:; echo "${TLS13_SUITES[*]}")
    server_start 4600 openssl s_server -accept 4600 -naccept 5 -rev -tls1_3 \
        -ciphersuites "$all" -alpn h2,http/1.1 \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    for s in "${TLS13_SUITES[@]}"; do
        must_pass s_client_say "hello over $s" 1 -connect 127.0.0.1:4600 \
            -tls1_3 -ciphersuites "$s" -servername server.test -alpn h2 \
            "${VERIFY[@]}" "${KEYLOG[@]}"
    done
    server_stop
    capture_stop
    expect "$SH13" 5
    expect "$SH13 && tls.handshake.ciphersuite==0x1305" 1
}

# TLS 1.0-1.2 record protection: AES-GCM, ChaCha20-Poly1305, AES-CCM and
# CCM_8, CBC with encrypt-then-MAC (OpenSSL's default when both offer it)
# and without (-no_etm), SHA-384's PRF, TLS 1.1's explicit and TLS 1.0's
# chained CBC IVs. (Debian's OpenSSL 3 has no 3DES suite left.)
TLS12_CASES=(
    "-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256"
    "-tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384"
    "-tls1_2 -cipher ECDHE-RSA-CHACHA20-POLY1305"
    "-tls1_2 -cipher AES128-CCM8"
    "-tls1_2 -cipher AES256-CCM"
    "-tls1_2 -cipher ECDHE-RSA-AES128-SHA"
    "-tls1_2 -cipher ECDHE-RSA-AES256-SHA384 -no_etm"
    "-tls1_1 -cipher ECDHE-RSA-AES128-SHA:@SECLEVEL=0"
    "-tls1 -cipher ECDHE-RSA-AES256-SHA:@SECLEVEL=0 -no_etm"
)
cap_keylog_tls12_suites() {
    capture_start keylog-tls12-suites 4601
    keylog_on
    local c
    server_start 4601 openssl s_server -accept 4601 -naccept 9 -rev \
        -no_tls1_3 -cipher 'ALL:@SECLEVEL=0' \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    for c in "${TLS12_CASES[@]}"; do
        # shellcheck disable=SC2086
        must_pass s_client_say "hello with $c" 1 -connect 127.0.0.1:4601 \
            $c -servername server.test "${VERIFY[@]}" "${KEYLOG[@]}"
    done
    server_stop
    capture_stop
    expect "$SH" 9
    expect "$SH && tls.handshake.ciphersuite==0xc0a0" 1
    expect 'tls.handshake.type==2 && tls.handshake.version==0x0301' 1
}

cap_keylog_curl_tls13() { # curl writes SSLKEYLOGFILE
    capture_start keylog-curl-tls13 4602
    keylog_on
    server_start 4602 openssl s_server -accept 4602 -naccept 1 -www -tls1_3 \
        -cert "$CERTS/server-ecdsa.pem" -key "$CERTS/server-ecdsa.key" \
        -cert_chain "$INTER"
    must_pass in_ns curl -sS -o /dev/null -w '%{http_code}\n' --tlsv1.3 \
        --cacert "$ROOT" --resolve server.test:4602:127.0.0.1 \
        https://server.test:4602/
    grep -q '^200' "$(client_log)" || die "curl: no HTTP 200"
    server_stop
    capture_stop
    expect "$SH13" 1
}
cap_keylog_curl_tls12() {
    capture_start keylog-curl-tls12 4603
    keylog_on
    server_start 4603 openssl s_server -accept 4603 -naccept 1 -www \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    must_pass in_ns curl -sS -o /dev/null -w '%{http_code}\n' \
        --tlsv1.2 --tls-max 1.2 --cacert "$ROOT" \
        --resolve server.test:4603:127.0.0.1 https://server.test:4603/
    grep -q '^200' "$(client_log)" || die "curl: no HTTP 200"
    server_stop
    capture_stop
    expect "$SH12" 1
}

GNUTLS13='NORMAL:-VERS-ALL:+VERS-TLS1.3'
cap_keylog_gnutls_tls13() { # GnuTLS client and server, SSLKEYLOGFILE
    capture_start keylog-gnutls-tls13 4604
    keylog_on
    server_start 4604 gnutls-serv -p 4604 --echo --priority "$GNUTLS13" \
        --x509certfile "$CERTS/server-rsa-chain.pem" \
        --x509keyfile "$CERTS/server-rsa.key"
    must_pass bash -c "{ echo 'hello from gnutls'; sleep 1; } |
        ip netns exec '$NS' gnutls-cli -p 4604 --priority '$GNUTLS13' \
        --x509cafile '$ROOT' --sni-hostname server.test \
        --verify-hostname server.test 127.0.0.1"
    sleep 0.3
    server_stop
    capture_stop
    expect "$SH13" 1
}

cap_keylog_hrr() { # HelloRetryRequest: X25519 offered, P-384 wanted
    capture_start keylog-hrr 4605
    keylog_on
    server_start 4605 openssl s_server -accept 4605 -naccept 1 -rev -tls1_3 \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER" -groups P-384
    must_pass s_client_say "hello after a retry" 1 -connect 127.0.0.1:4605 \
        -tls1_3 -servername server.test -groups X25519:P-384 \
        "${VERIFY[@]}" "${KEYLOG[@]}"
    server_stop
    capture_stop
    expect "$HRR" 1
    expect "$SH13" 1
}

cap_keylog_resume() { # a full handshake, then a PSK resumption
    capture_start keylog-resume 4606
    keylog_on
    server_start 4606 openssl s_server -accept 4606 -naccept 2 -rev -tls1_3 \
        -cert "$CERTS/server-ecdsa.pem" -key "$CERTS/server-ecdsa.key" \
        -cert_chain "$INTER" -num_tickets 1
    must_pass s_client_say "first" 1 -connect 127.0.0.1:4606 -tls1_3 \
        -servername server.test "${VERIFY[@]}" "${KEYLOG[@]}" \
        -sess_out "$WORK/keylog-resume.sess"
    must_pass s_client_say "second, resumed" 1 -connect 127.0.0.1:4606 \
        -tls1_3 -servername server.test "${VERIFY[@]}" "${KEYLOG[@]}" \
        -sess_in "$WORK/keylog-resume.sess"
    grep -q '^Reused' "$(client_log)" || die "keylog-resume: not resumed"
    server_stop
    capture_stop
    expect "$SH13 && tls.handshake.extension.type==41" 1
}

cap_keylog_early_data() { # 0-RTT on a resumption (CLIENT_EARLY_TRAFFIC_SECRET)
    capture_start keylog-early-data 4607
    keylog_on
    echo "GET / 0-RTT" >"$WORK/early.txt"
    # -early_data cannot go with -rev, and without it s_server copies its
    # stdin to the client and quits at its end: give it one that stays open.
    server_start 4607 bash -c "sleep 6 | openssl s_server -accept 4607 \
        -naccept 2 -tls1_3 -cert '$CERTS/server-rsa.pem' \
        -key '$CERTS/server-rsa.key' -cert_chain '$INTER' -early_data \
        -num_tickets 1"
    must_pass s_client_say "first" 1 -connect 127.0.0.1:4607 -tls1_3 \
        -servername server.test "${VERIFY[@]}" "${KEYLOG[@]}" \
        -sess_out "$WORK/keylog-early.sess"
    must_pass s_client_say "after early data" 1 -connect 127.0.0.1:4607 \
        -tls1_3 -servername server.test "${VERIFY[@]}" "${KEYLOG[@]}" \
        -sess_in "$WORK/keylog-early.sess" -early_data "$WORK/early.txt"
    server_stop
    capture_stop
    grep -q CLIENT_EARLY_TRAFFIC_SECRET "$HERE/keys/keylog-early-data.keys" ||
        die "keylog-early-data: no early secret logged"
    expect 'tls.handshake.type==1 && tls.handshake.extension.type==42' 1
}

cap_keylog_mtls_refused() { # the server refuses the client's certificate
    capture_start keylog-mtls-refused 4608
    keylog_on
    server_start 4608 openssl s_server -accept 4608 -naccept 1 -rev -tls1_3 \
        -Verify 1 -CAfile "$CERTS/other-ca.pem" -verify_return_error \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4608 -tls1_3 \
        -servername server.test "${VERIFY[@]}" "${KEYLOG[@]}" \
        -cert "$CERTS/client-mtls.pem" -key "$CERTS/client-mtls.key" \
        -cert_chain "$INTER"
    server_stop
    capture_stop
    expect "$SH13" 1
    expect 'tls.alert_message' 0
}

# An OpenSSL TLS 1.3 server with the certificate LEAF (and its key), and a
# GnuTLS client that trusts our root and refuses it: GnuTLS encrypts its
# alert about the chain. The capture (NAME, PORT) must already be started.
gnutls_refuses_leaf() { # PORT LEAF
    server_start "$1" openssl s_server -accept "$1" -naccept 1 -rev -tls1_3 \
        -cert "$CERTS/$2.pem" -key "$CERTS/$2.key" -cert_chain "$INTER"
    must_fail bash -c "sleep 1 | ip netns exec '$NS' gnutls-cli -p $1 \
        --priority '$GNUTLS13' --x509cafile '$ROOT' \
        --sni-hostname server.test --verify-hostname server.test 127.0.0.1"
    server_stop
    capture_stop
}

cap_keylog_gnutls_expired() {
    capture_start keylog-gnutls-expired 4609
    keylog_on
    gnutls_refuses_leaf 4609 server-expired
    expect "$SH13" 1
    expect 'tls.alert_message' 0
}

cap_keylog_gnutls_hostname() { # a certificate for other.test
    capture_start keylog-gnutls-hostname 4610
    keylog_on
    gnutls_refuses_leaf 4610 other-name
    expect "$SH13" 1
    expect 'tls.alert_message' 0
}

cap_keylog_hostname_tls13() { # the same refusal by OpenSSL (plaintext alert)
    capture_start keylog-hostname-tls13 4611
    keylog_on
    server_start 4611 openssl s_server -accept 4611 -naccept 1 -rev -tls1_3 \
        -cert "$CERTS/other-name.pem" -key "$CERTS/other-name.key" \
        -cert_chain "$INTER"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4611 -tls1_3 \
        -servername server.test "${VERIFY[@]}" "${KEYLOG[@]}"
    server_stop
    capture_stop
    expect "$SH13" 1
}

cap_keylog_unknown_ca() { # the client trusts another CA than tlsmon does
    capture_start keylog-unknown-ca 4613
    keylog_on
    server_start 4613 openssl s_server -accept 4613 -naccept 1 -rev -tls1_3 \
        -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4613 -tls1_3 \
        -servername server.test -CAfile "$CERTS/other-ca.pem" \
        -verify_return_error "${KEYLOG[@]}"
    server_stop
    capture_stop
    expect 'tls.alert_message.desc==48 && tcp.dstport==4613' 1
}

# A pcapng with its secrets inside (editcap --inject-secrets): tlsmon reads
# the Decryption Secrets Block without --keylog.
cap_keylog_dsb() {
    command -v editcap >/dev/null || die "keylog-dsb needs editcap (tshark)"
    capture_start keylog-dsb 4612
    keylog_on
    gnutls_refuses_leaf 4612 server-expired
    editcap --inject-secrets "tls,$HERE/keys/keylog-dsb.keys" \
        "$HERE/keylog-dsb.pcap" "$HERE/keylog-dsb.pcapng"
    chmod 644 "$HERE/keylog-dsb.pcapng"
    rm -f "$HERE/keylog-dsb.pcap" "$HERE/keys/keylog-dsb.keys"
}

KEYLOG_SCENARIOS=(keylog-tls13-suites keylog-tls12-suites keylog-curl-tls13
     keylog-curl-tls12 keylog-gnutls-tls13 keylog-hrr keylog-resume
     keylog-early-data keylog-mtls-refused keylog-gnutls-expired
     keylog-gnutls-hostname keylog-hostname-tls13 keylog-unknown-ca
     keylog-dsb)


# A change window, for --baseline: the same server name and port before
# and after someone replaced its certificate. Before, a TLS 1.3 and a TLS
# 1.2 client get through (the 1.2 one sees the CA-issued leaf); after, the
# server shows a self-signed certificate, both are refused, and a client
# that never came before (curl) fails too.
change_server() { # CERT-NAME NACCEPT
    local extra=()
    [ "$1" = server-rsa ] && extra=(-cert_chain "$INTER")
    server_start 4560 openssl s_server -accept 4560 -naccept "$2" -rev \
        -cert "$CERTS/$1.pem" -key "$CERTS/$1.key" "${extra[@]}"
}

cap_change_before() {
    capture_start change-before 4560
    change_server server-rsa 2
    must_pass s_client_say "before" 1 -connect 127.0.0.1:4560 -tls1_3 \
        -servername server.test "${VERIFY[@]}"
    must_pass s_client_say "before" 1 -connect 127.0.0.1:4560 -tls1_2 \
        -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect "$SH13" 1
    expect "$SH12" 1
}

cap_change_after() {
    capture_start change-after 4560
    change_server server-selfsigned 3
    must_fail s_client_say "" 1 -connect 127.0.0.1:4560 -tls1_3 \
        -servername server.test "${VERIFY[@]}"
    must_fail s_client_say "" 1 -connect 127.0.0.1:4560 -tls1_2 \
        -servername server.test "${VERIFY[@]}"
    must_fail in_ns curl -sS -o /dev/null --tlsv1.2 --cacert "$ROOT" \
        --resolve server.test:4560:127.0.0.1 https://server.test:4560/
    server_stop
    capture_stop
    expect "$SH12" 1
    expect 'tls.alert_message.desc==48 && tcp.dstport==4560' 3
}

# What a capture point does to real connections (capture-point.py): the two
# directions merged with their own delays, so the client's ACK is seen
# before a segment of the server's flight it acknowledges; and a RST forged
# in the server's name, outside the window, which the client's stack
# ignores. tlsmon must read both handshakes as the stacks did.
cap_ack_before_data() {
    capture_start ack-before-data 4800
    big_chain_handshake 4800
    python3 "$HERE/capture-point.py" ack-first "$HERE/$CAP_NAME.pcap" 4800
    # tshark does not put the moved segment back (it sees it as a
    # retransmission), so it finds no Certificate here; tlsmon must.
    expect "$SH12" 1
    expect 'tcp.analysis.ack_lost_segment' 1
}

cap_rst_forged_out_of_window() {
    capture_start rst-forged-out-of-window 4801
    server_start 4801 openssl s_server -accept 4801 -naccept 1 -rev \
        -tls1_3 -cert "$CERTS/server-rsa.pem" -key "$CERTS/server-rsa.key" \
        -cert_chain "$INTER"
    must_pass s_client_say "hello despite a forged reset" 1 \
        -connect 127.0.0.1:4801 -tls1_3 -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    python3 "$HERE/capture-point.py" forged-rst "$HERE/$CAP_NAME.pcap" 4801
    # tshark's sequence analysis takes the forged RST's number for the
    # server's and no longer decodes the ServerHello (differential.py reads
    # this capture without it).
    expect 'tcp.flags.reset==1' 1
    expect 'tls.handshake.type==1' 1
}

CAPTURE_POINT_SCENARIOS=(ack-before-data rst-forged-out-of-window)

# ---------------------------------------------------------------------------
# TLS as it is in 2026 (issue 23): post-quantum key exchange, Encrypted
# Client Hello, the new certificate rules.
#
# No Debian 12 stack has ML-KEM or ECH. The post-quantum and ECH captures
# are real handshakes of OpenSSL 3.0 and GnuTLS 3.7 whose hellos
# splice-hello.py then rewrites to the specifications' formats (bytes built
# to the spec, lengths and TCP sequence numbers made right): a big real key
# share (ffdhe8192, 1024 bytes, beside x25519) becomes X25519MLKEM768 (1216
# bytes from the client, 1120 from the server), and hellos get an
# encrypted_client_hello extension. The namespace's loopback runs at MTU
# 1280 for the post-quantum ones, so the real hellos already take two
# segments, as ML-KEM hellos do on the Internet.

# GnuTLS with key shares for x25519 and ffdhe8192.
PQ_PRIO='NORMAL:-GROUP-ALL:+GROUP-FFDHE8192:+GROUP-X25519'
FFDHE8192=0x0104
MLKEM=0x11ec

# Real segments of at most 1228 bytes, as cert-big-chain makes them: a
# small MTU and one segment per GSO packet.
small_segments() { in_ns ip link set lo mtu 1280 gso_max_segs 1; }
large_segments() { in_ns ip link set lo mtu 65536 gso_max_segs 65535; }

splice_capture() { # splice-hello.py edits...
    python3 "$HERE/splice-hello.py" "$HERE/$CAP_NAME.pcap" \
        "$WORK/$CAP_NAME.spliced.pcap" "$@" ||
        die "$CAP_NAME: splice-hello.py failed"
    mv "$WORK/$CAP_NAME.spliced.pcap" "$HERE/$CAP_NAME.pcap"
    chmod 644 "$HERE/$CAP_NAME.pcap"
}

# One connection that sends a line and holds stdin a second (a client that
# sends nothing before closing looks like one that hung up).
gnutls_client() { # PORT PRIORITY CAFILE
    echo "{ echo hello from gnutls; sleep 1; } | ip netns exec '$NS' \
        gnutls-cli -p $1 --priority '$2' --x509cafile '$3' \
        --sni-hostname server.test --verify-hostname server.test 127.0.0.1"
}

tls13_server() { # PORT NACCEPT [s_server args]
    local port=$1 n=$2
    shift 2
    server_start "$port" openssl s_server -accept "$port" -naccept "$n" \
        -rev -tls1_3 -cert "$CERTS/server-rsa.pem" \
        -key "$CERTS/server-rsa.key" -cert_chain "$INTER" "$@"
}

cap_pq_server_classical() {
    small_segments
    capture_start pq-server-classical 4700
    tls13_server 4700 1 -groups X25519
    must_pass bash -c "$(gnutls_client 4700 "$PQ_PRIO" "$ROOT")"
    server_stop
    capture_stop
    large_segments
    expect "tls.handshake.type==1 && tls.handshake.extensions_key_share_group==260" 1
    expect "tcp.dstport==4700 && tcp.len==1228" 1
    expect "$SH13 && tls.handshake.extensions_key_share_group==29" 1
    splice_capture --ch-group "$FFDHE8192=$MLKEM:1216"
    expect "tls.handshake.type==1 && tls.handshake.extensions_key_share_group==4588" 1
}

cap_pq_negotiated() {
    # The server takes the client's key share; then another client is
    # asked for the group by a HelloRetryRequest.
    small_segments
    capture_start pq-negotiated 4701
    tls13_server 4701 2 -groups ffdhe8192
    must_pass bash -c "$(gnutls_client 4701 "$PQ_PRIO" "$ROOT")"
    must_pass s_client_say "after a retry" 1 -connect 127.0.0.1:4701 \
        -tls1_3 -servername server.test -groups X25519:ffdhe8192 "${VERIFY[@]}"
    server_stop
    capture_stop
    large_segments
    expect "$SH13 && tls.handshake.extensions_key_share_group==260" 2
    expect "$HRR && tls.handshake.extensions_key_share_selected_group==260" 1
    splice_capture --ch-group "$FFDHE8192=$MLKEM:1216" \
        --sh-group "$FFDHE8192=$MLKEM:1120"
    expect "$SH13 && tls.handshake.extensions_key_share_group==4588" 2
}

cap_pq_hrr_classical() {
    small_segments
    capture_start pq-hrr-classical 4702
    tls13_server 4702 1 -groups X25519
    must_pass s_client_say "retried to x25519" 1 -connect 127.0.0.1:4702 \
        -tls1_3 -servername server.test -groups ffdhe8192:X25519 \
        "${VERIFY[@]}"
    server_stop
    capture_stop
    large_segments
    expect "$HRR && tls.handshake.extensions_key_share_selected_group==29" 1
    splice_capture --ch-group "$FFDHE8192=$MLKEM:1216"
    expect "tls.handshake.type==1 && tls.handshake.extensions_key_share_group==4588" 1
}

cap_pq_draft() {
    # X25519Kyber768Draft00 (0x6399), the pre-standard codepoint Chrome
    # 124-130 offered and Google's servers chose.
    small_segments
    capture_start pq-draft 4703
    tls13_server 4703 1 -groups ffdhe8192
    must_pass bash -c "$(gnutls_client 4703 "$PQ_PRIO" "$ROOT")"
    server_stop
    capture_stop
    large_segments
    splice_capture --ch-group "$FFDHE8192=0x6399:1216" \
        --sh-group "$FFDHE8192=0x6399:1120"
    expect "$SH13 && tls.handshake.extensions_key_share_group==25497" 1
}

cap_pq_tls12_middlebox() {
    # The same server address answers TLS 1.3 with the post-quantum group,
    # then TLS 1.2: what a client sees when an intercepting device starts
    # terminating its connections.
    small_segments
    capture_start pq-tls12-middlebox 4704
    tls13_server 4704 1 -groups ffdhe8192
    must_pass bash -c "$(gnutls_client 4704 "$PQ_PRIO" "$ROOT")"
    server_stop
    cert_server 4704 server-rsa -cert_chain "$INTER"
    must_pass bash -c "$(gnutls_client 4704 "$PQ_PRIO" "$ROOT")"
    server_stop
    capture_stop
    large_segments
    expect "$SH13" 1
    expect "$SH12" 1
    splice_capture --conn 0 --ch-group "$FFDHE8192=$MLKEM:1216" \
        --sh-group "$FFDHE8192=$MLKEM:1120" \
        --conn 1 --ch-group "$FFDHE8192=$MLKEM:1216"
    expect "tls.handshake.type==1 && tls.handshake.extensions_key_share_group==4588" 2
}

# A client with ECH config 0x2a succeeds; later the same config is refused
# and the client aborts after the server's flight (a GnuTLS client that
# rejects the certificate sends the same 19-byte encrypted alert an ECH
# client sends with ech_required), then comes back at once, as RFC 9849
# §6.1.6 has it: with config 0x2b, or without ECH.
ech_abort_and_retry() { # NAME PORT splice-edits-for-the-retry...
    local name=$1 port=$2
    shift 2
    capture_start "$name" "$port"
    tls13_server "$port" 3
    must_pass bash -c "$(gnutls_client "$port" NORMAL "$ROOT")"
    must_fail bash -c "$(gnutls_client "$port" NORMAL "$CERTS/other-ca.pem")"
    must_pass bash -c "$(gnutls_client "$port" NORMAL "$ROOT")"
    server_stop
    capture_stop
    expect "tls.record.length==19 && tcp.dstport==$port" 3
    splice_capture --conn 0 --ech 0x2a --conn 1 --ech 0x2a "$@"
}

cap_ech_rejected_retry() {
    ech_abort_and_retry ech-rejected-retry 4705 --conn 2 --ech 0x2b
    expect 'tls.handshake.extension.type==65037' 3
}

cap_ech_rejected_retry_plain() {
    ech_abort_and_retry ech-rejected-retry-plain 4711
    expect 'tls.handshake.extension.type==65037' 2
}

cap_ech_aborted_unknown_config() {
    # The same abort with an ECH config never seen before: GREASE ECH looks
    # the same, so it stays a certificate suspicion.
    capture_start ech-aborted-unknown-config 4706
    tls13_server 4706 1
    must_fail bash -c "$(gnutls_client 4706 NORMAL "$CERTS/other-ca.pem")"
    server_stop
    capture_stop
    splice_capture --ech 0x61
    expect 'tls.handshake.extension.type==65037' 1
}

cap_ech_blocked() {
    # Plain hellos get through; the one with ECH is reset (a filter on the
    # extension); the client comes back without ECH at once.
    capture_start ech-blocked 4707
    tls13_server 4707 1
    must_pass bash -c "$(gnutls_client 4707 NORMAL "$ROOT")"
    server_stop
    server_start 4707 python3 "$WORK/pyserver.py" reset 127.0.0.1 4707
    must_fail bash -c "$(gnutls_client 4707 NORMAL "$ROOT")"
    server_stop
    tls13_server 4707 1
    must_pass bash -c "$(gnutls_client 4707 NORMAL "$ROOT")"
    server_stop
    capture_stop
    expect 'tcp.flags.reset==1 && tcp.srcport==4707' 1
    splice_capture --conn 1 --ech 0x2a
    expect 'tls.handshake.extension.type==65037' 1
}

# A TLS 1.2 handshake the client accepts, with one of the 2026 leaves.
leaf_capture() { # NAME PORT LEAF
    capture_start "$1" "$2"
    cert_server "$2" "$3" -cert_chain "$INTER"
    must_pass s_client_say "hello from $3" 1 -connect "127.0.0.1:$2" \
        -tls1_2 -servername server.test "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'tls.handshake.type==11' 1
}

cap_cert_sct_distrusted() { leaf_capture cert-sct-distrusted 4709 server-sct; }
cap_cert_short_lived() { leaf_capture cert-short-lived 4710 server-short; }

SCENARIOS_2026=(pq-server-classical pq-negotiated pq-hrr-classical pq-draft
     pq-tls12-middlebox ech-rejected-retry ech-rejected-retry-plain
     ech-aborted-unknown-config
     ech-blocked cert-sct-distrusted
     cert-short-lived)

STARTTLS_SCENARIOS=(starttls-smtp starttls-smtp-refused starttls-imap
     starttls-imap-refused starttls-pop3 starttls-pop3-refused starttls-ftp
     starttls-ftp-refused starttls-xmpp starttls-xmpp-refused starttls-ldap starttls-ldap-refused
     starttls-postgresql starttls-postgresql-refused starttls-mysql)

CERT_SCENARIOS=(cert-wildcard cert-wildcard-mismatch cert-ip-san
     cert-out-of-order cert-rsa1024 cert-sha1 cert-ecdsa-tls12
     cert-big-chain cert-mtls cert-client-clock cert-not-yet-valid)

# ---------------------------------------------------------------------------
# QUIC and DTLS (issue 20): handshakes over UDP. QUIC with ngtcp2's example
# HTTP/3 client and server (GnuTLS backend), on UDP 443; DTLS with OpenSSL
# and GnuTLS, on UDP 4433. The captures take UDP, ICMP (port unreachable)
# and, for the fallback scenario, TCP on the port.
#
# ngtcp2's client never verifies the server and sends "localhost" as SNI
# for an address: quicshim.c (LD_PRELOAD) has GnuTLS verify the chain
# against our root for server.test, sends server.test, and can replace the
# ALPN list. Its key log (SSLKEYLOGFILE, GnuTLS) lets tshark read the
# encrypted Handshake packets in the self-checks, so what tlsmon infers
# from packet shapes there (a client's close, a server's refusal) is checked
# against what the packets really carried.

QUIC_FILTER="udp port 443 or icmp or icmp6"
DTLS_PORT=4433
DTLS_FILTER="udp port $DTLS_PORT or icmp or icmp6"

wait_listen_udp() { # PORT
    local i
    for i in $(seq 1 100); do
        if in_ns ss -Hlun "sport = :$1" | grep -q .; then return 0; fi
        sleep 0.05
    done
    die "nothing listening on UDP port $1"
}

udp_server_start() { # PORT command...
    local port=$1
    shift
    ip netns exec "$NS" "$@" >"$WORK/$CAP_NAME.server" 2>&1 &
    SRV_PID=$!
    PIDS+=("$SRV_PID")
    wait_listen_udp "$port"
}

QUICSHIM=
quic_prepare() {
    [ -n "$QUICSHIM" ] && return 0
    command -v gtlsclient >/dev/null && command -v gtlsserver >/dev/null ||
        die "missing ngtcp2-client / ngtcp2-server"
    QUICSHIM=$WORK/quicshim.so
    cc -shared -fPIC -O2 -Wall -o "$QUICSHIM" "$HERE/quicshim.c" -ldl ||
        die "cannot build quicshim.so (gcc, libgnutls28-dev)"
    mkdir -p "$WORK/htdocs"
    echo "hello over QUIC" >"$WORK/htdocs/index.html"
}

quic_capture_start() { # NAME [FILTER]
    quic_prepare
    CAP_FILTER=${2:-$QUIC_FILTER} capture_start "$1" 443
    CAP_DECODE_AS=0
    CAP_KEYLOG=$WORK/$1.keys
    rm -f "$CAP_KEYLOG"
}

quic_server_start() { # LEAF [gtlsserver options]
    local leaf=$1
    shift
    udp_server_start 443 gtlsserver --no-quic-dump --no-http-dump \
        -d "$WORK/htdocs" "$@" 127.0.0.1 443 "$CERTS/$leaf.key" \
        "$CERTS/$leaf-chain.pem"
}

# quic_client pass|fail [VAR=value ...] [gtlsclient options]: the client
# verifies server.test against our root unless QUICSHIM_* say otherwise.
# It does not exit by itself after a failure: `timeout` ends it.
quic_client() {
    local want=$1 log
    shift
    local envs=()
    while [ $# -gt 0 ] && [[ "$1" == QUICSHIM_*=* ]]; do
        envs+=("$1")
        shift
    done
    log=$(client_log)
    : >"$log"
    in_ns env LD_PRELOAD="$QUICSHIM" QUICSHIM_SNI=server.test \
        QUICSHIM_CAFILE="$ROOT" QUICSHIM_VERIFY=server.test \
        SSLKEYLOGFILE="$CAP_KEYLOG" "${envs[@]}" \
        timeout 6 gtlsclient --no-quic-dump --no-http-dump \
        --exit-on-all-streams-close --handshake-timeout=4s "$@" \
        127.0.0.1 443 https://server.test/ >>"$log" 2>&1 || true
    if grep -q "QUIC handshake has been confirmed" "$log"; then
        [ "$want" = pass ] && return 0
        die "$CAP_NAME: QUIC client succeeded but should have failed"
    fi
    [ "$want" = fail ] && return 0
    tail -20 "$log" >&2
    die "$CAP_NAME: QUIC client failed but should have succeeded"
}

cat >"$WORK/udptools.py" <<'EOF'
# UDP helpers for the QUIC and DTLS scenarios, run inside the namespace.
#   silent PORT SECONDS      bind PORT, read and never answer
#   proxy PORT TARGET SPEC   relay one client on PORT to TARGET; SPEC drops
#                            or duplicates datagrams by number, e.g.
#                            "drop-server=1,2 dup-client=3"; exits after 3 s
#                            of quiet
#   stun CLIENTPORT SERVERPORT  a STUN Binding request and its success
#                            response between the two ports (RFC 5389), as
#                            ICE checks precede DTLS in WebRTC
import os, select, socket, struct, sys, time
mode = sys.argv[1]
if mode == 'silent':
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', int(sys.argv[2])))
    end = time.time() + float(sys.argv[3])
    while time.time() < end:
        r, _, _ = select.select([s], [], [], 0.2)
        if r:
            s.recv(65535)
elif mode == 'proxy':
    port, target = int(sys.argv[2]), ('127.0.0.1', int(sys.argv[3]))
    rules = {}
    for item in sys.argv[4:]:
        k, v = item.split('=')
        rules[k] = {int(x) for x in v.split(',')}
    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind(('127.0.0.1', port))
    back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    back.bind(('127.0.0.1', 0))
    client, n = None, {'client': 0, 'server': 0}
    last = time.time()
    while time.time() - last < 3:
        r, _, _ = select.select([front, back], [], [], 0.2)
        for sock in r:
            data, addr = sock.recvfrom(65535)
            last = time.time()
            side = 'client' if sock is front else 'server'
            if side == 'client':
                client = addr
            n[side] += 1
            if n[side] in rules.get('drop-' + side, ()):
                continue
            copies = 2 if n[side] in rules.get('dup-' + side, ()) else 1
            for _ in range(copies):
                if side == 'client':
                    back.sendto(data, target)
                elif client:
                    front.sendto(data, client)
elif mode == 'stun':
    cport, sport = int(sys.argv[2]), int(sys.argv[3])
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c.bind(('127.0.0.1', cport))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', sport))
    tid = os.urandom(12)
    c.sendto(struct.pack('!HHI', 0x0001, 0, 0x2112a442) + tid,
             ('127.0.0.1', sport))
    req, addr = s.recvfrom(2048)
    # XOR-MAPPED-ADDRESS of the requester.
    xport = addr[1] ^ 0x2112
    xaddr = struct.unpack('!I', socket.inet_aton(addr[0]))[0] ^ 0x2112a442
    attr = struct.pack('!HHBBHI', 0x0020, 8, 0, 1, xport, xaddr)
    s.sendto(struct.pack('!HHI', 0x0101, len(attr), 0x2112a442) + req[8:20] +
             attr, addr)
    c.recvfrom(2048)
    c.close()
    s.close()
EOF

# -- QUIC --------------------------------------------------------------------

cap_quic_v1() {
    quic_capture_start quic-v1
    quic_server_start server-ecdsa
    quic_client pass
    server_stop
    capture_stop
    expect 'quic.long.packet_type==0 && tls.handshake.type==1' 1
    expect 'quic.long.packet_type==0 && tls.handshake.type==2' 1
    expect 'quic.header_form==0 && udp.srcport==443'
}

# The provisional QUIC v2 ngtcp2 0.12 speaks (0x709a50c4: v2's packet
# types and labels, its own salt) from the first packet. tshark 4.0 reads
# its headers but not its Initials (it knows the final v2, 0x6b3343cf: the
# RFC 9369 vectors in the unit tests and the peer captures cover that).
cap_quic_v2() {
    quic_capture_start quic-v2
    CAP_DECODE_AS=quic
    quic_server_start server-ecdsa
    quic_client pass -v v2draft
    server_stop
    capture_stop
    expect 'quic.version==0x709a50c4 && udp.dstport==443'
    expect 'quic.version==0x00000001' 0
}

# Compatible version negotiation (RFC 9368): the client starts in v1 and
# offers v2; the server answers in v2.
cap_quic_v2_upgrade() {
    quic_capture_start quic-v2-upgrade
    quic_server_start server-ecdsa --preferred-versions=v2draft
    quic_client pass --other-versions=v2draft,v1
    server_stop
    capture_stop
    expect 'quic.version==0x00000001 && tls.handshake.type==1' 1
    CAP_DECODE_AS=quic
    expect 'quic.version==0x709a50c4 && udp.srcport==443'
}

# A client that starts in a version the server does not speak: Version
# Negotiation, then the client starts over in v1 from a new port.
cap_quic_version_negotiation() {
    quic_capture_start quic-version-negotiation
    quic_server_start server-ecdsa
    quic_client pass -v 0x1a2a3a4a --preferred-versions=v1
    server_stop
    capture_stop
    expect 'quic.version==0' 1
    expect 'quic.version==0x00000001 && tls.handshake.type==2' 1
}

# ... and one that has no version in common: Version Negotiation, then
# nothing.
cap_quic_version_mismatch() {
    quic_capture_start quic-version-mismatch
    quic_server_start server-ecdsa
    quic_client fail -v 0x1a2a3a4a
    server_stop
    capture_stop
    expect 'quic.version==0' 1
    expect 'tls.handshake.type==2' 0
}

# Address validation: the server answers the first Initial with a Retry;
# the client's second Initial (new DCID, so new Initial keys) carries the
# token.
cap_quic_retry() {
    quic_capture_start quic-retry
    quic_server_start server-ecdsa -V
    quic_client pass
    server_stop
    capture_stop
    expect 'quic.long.packet_type==3' 1
    expect 'quic.long.packet_type==0 && quic.token_length>0' 1
}

# Resumption with 0-RTT: the second connection sends 0-RTT packets.
cap_quic_0rtt() {
    quic_capture_start quic-0rtt
    quic_server_start server-ecdsa
    quic_client pass --session-file="$WORK/quic.session" \
        --tp-file="$WORK/quic.tp"
    quic_client pass --session-file="$WORK/quic.session" \
        --tp-file="$WORK/quic.tp"
    server_stop
    capture_stop
    rm -f "$WORK/quic.session" "$WORK/quic.tp"
    expect 'quic.long.packet_type==1' 1
    expect 'tls.handshake.type==1' 2
}

# The server takes only secp384r1, the client's key shares are x25519 and
# secp256r1: HelloRetryRequest in an Initial, a second ClientHello.
cap_quic_hrr() {
    quic_capture_start quic-hrr
    quic_server_start server-ecdsa --groups=-GROUP-ALL:+GROUP-SECP384R1
    quic_client pass
    server_stop
    capture_stop
    expect 'tls.handshake.type==1' 2
    expect 'tls.handshake.extensions_key_share_selected_group==24' 1
}

cap_quic_alpn_mismatch() {
    quic_capture_start quic-alpn-mismatch
    quic_server_start server-ecdsa
    quic_client fail QUICSHIM_ALPN=smtp,imap
    server_stop
    capture_stop
    expect 'quic.long.packet_type==0 && quic.cc.error_code==0x178' 1
}

# No key-exchange group in common: the server closes with
# handshake_failure (crypto error 0x128) in an Initial.
cap_quic_no_common_group() {
    quic_capture_start quic-no-common-group
    quic_server_start server-ecdsa --groups=-GROUP-ALL:+GROUP-X25519
    quic_client fail --groups=-GROUP-ALL:+GROUP-SECP384R1
    server_stop
    capture_stop
    expect 'quic.long.packet_type==0 && quic.cc.error_code==0x128' 1
}

# No TLS 1.3 suite in common. A first client shows which suite the server
# chooses (the history that tells a suite from a group mismatch), then a
# client offering only AES-256-GCM is refused.
cap_quic_no_common_cipher() {
    local s=NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL
    quic_capture_start quic-no-common-cipher
    quic_server_start server-ecdsa --ciphers="$s:+CHACHA20-POLY1305"
    quic_client pass
    quic_client fail --ciphers="$s:+AES-256-GCM"
    server_stop
    capture_stop
    expect 'quic.long.packet_type==0 && quic.cc.error_code==0x128' 1
}

# Certificates the client refuses: it closes in a Handshake packet, which
# only the endpoints (and the key log) can read.
quic_cert_failure() { # NAME LEAF ALERT-CODE [VAR=value]
    quic_capture_start "$1"
    quic_server_start "$2"
    quic_client fail "${@:4}"
    server_stop
    capture_stop
    expect "quic.long.packet_type==2 && quic.cc.error_code==$3 && udp.dstport==443" 1
}
cap_quic_untrusted() {
    quic_cert_failure quic-untrusted server-ecdsa 0x12a \
        QUICSHIM_CAFILE="$CERTS/other-ca.pem"
}
cap_quic_expired() { quic_cert_failure quic-expired server-expired 0x12a; }
cap_quic_wrong_name() { quic_cert_failure quic-wrong-name other-name 0x12a; }

# The server wants a client certificate and gets none: its close
# (certificate_required) goes in Handshake and 1-RTT packets, both
# encrypted.
cap_quic_client_cert_required() {
    quic_capture_start quic-client-cert-required
    quic_server_start server-ecdsa --verify-client
    quic_client fail
    server_stop
    capture_stop
    expect 'quic.long.packet_type==2 && quic.cc.error_code==0x174 && udp.srcport==443'
}

# Nothing listens on UDP 443: the kernel answers ICMP port unreachable.
cap_quic_no_server() {
    quic_capture_start quic-no-server
    quic_client fail --handshake-timeout=1s
    capture_stop
    expect 'icmp.type==3 && icmp.code==3'
}

# A server that reads and never answers: the client sends its Initial
# again and again, then gives up.
cap_quic_silent_server() {
    quic_capture_start quic-silent-server
    udp_server_start 443 python3 "$WORK/udptools.py" silent 443 6
    quic_client fail --handshake-timeout=3s
    server_stop
    capture_stop
    expect 'udp.srcport==443' 0
    expect 'quic.long.packet_type==0 && udp.dstport==443' 3
}

# QUIC blocked on the way (a UDP sink on the port), TLS over TCP to the
# same server right after: what a browser does.
cap_quic_blocked_fallback() {
    quic_capture_start quic-blocked-fallback "$QUIC_FILTER or tcp port 443"
    udp_server_start 443 python3 "$WORK/udptools.py" silent 443 8
    local udp_pid=$SRV_PID
    server_start 443 openssl s_server -accept 127.0.0.1:443 -naccept 1 -rev \
        -cert "$CERTS/server-ecdsa.pem" -key "$CERTS/server-ecdsa.key" \
        -cert_chain "$INTER" -alpn h2,http/1.1
    quic_client fail --handshake-timeout=2s
    must_pass s_client_say "hello over tcp" 1 -connect 127.0.0.1:443 \
        -servername server.test -alpn h2 "${VERIFY[@]}"
    server_stop
    SRV_PID=$udp_pid
    server_stop
    capture_stop
    expect 'udp.srcport==443' 0
    expect 'tcp.flags.syn==1 && tcp.flags.ack==0' 1
}

# A ClientHello too large for one Initial, as post-quantum key shares make
# them: here a 1024-byte FFDHE-8192 share beside X25519 (the server picks
# X25519). Its CRYPTO frames span two Initial packets, read back in order.
cap_quic_hello_two_initials() {
    quic_capture_start quic-hello-two-initials
    quic_server_start server-ecdsa
    quic_client pass --groups=-GROUP-ALL:+GROUP-FFDHE8192:+GROUP-X25519
    server_stop
    capture_stop
    expect 'quic.long.packet_type==0 && quic.crypto.offset>0 && udp.dstport==443' 1
}

# Lost datagrams: a relay in front of the server drops the server's first
# datagram (its whole first flight) and the client's second, so both
# sides retransmit; the capture sees the client's side of the relay.
cap_quic_lost_datagrams() {
    quic_capture_start quic-lost-datagrams
    udp_server_start 8443 gtlsserver --no-quic-dump --no-http-dump \
        -d "$WORK/htdocs" 127.0.0.1 8443 "$CERTS/server-ecdsa.key" \
        "$CERTS/server-ecdsa-chain.pem"
    local srv=$SRV_PID
    udp_server_start 443 python3 "$WORK/udptools.py" proxy 443 8443 \
        drop-server=1 drop-client=2 dup-server=3
    quic_client pass
    server_stop
    SRV_PID=$srv
    server_stop
    capture_stop
    expect 'quic.long.packet_type==0 && udp.dstport==443' 2
}

# -- DTLS --------------------------------------------------------------------

dtls_capture_start() { # NAME
    CAP_FILTER=$DTLS_FILTER capture_start "$1" "$DTLS_PORT"
    CAP_DECODE_AS=dtls
}

# OpenSSL's s_server: -listen answers the first ClientHello with a
# HelloVerifyRequest (cookie). It copies stdin to the client: a sleep on
# its stdin keeps it up for the handshake.
dtls_openssl_server() { # LEAF [s_server options]
    local leaf=$1
    shift
    udp_server_start "$DTLS_PORT" bash -c 'sleep 4 | exec "$@"' _ \
        openssl s_server -listen -accept "127.0.0.1:$DTLS_PORT" -naccept 1 \
        -cert "$CERTS/$leaf.pem" -key "$CERTS/$leaf.key" "$@"
}

dtls_openssl_client() { # pass|fail s_client options
    local want=$1
    shift
    local cmd=(s_client_say "hello over dtls" 1 -connect
               "127.0.0.1:$DTLS_PORT" -servername server.test "$@")
    if [ "$want" = pass ]; then must_pass "${cmd[@]}"; else must_fail "${cmd[@]}"; fi
}

cap_dtls12_openssl() {
    dtls_capture_start dtls12-openssl
    dtls_openssl_server server-rsa -dtls1_2 -cert_chain "$INTER"
    dtls_openssl_client pass -dtls1_2 "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'dtls.handshake.type==3' 1
    expect 'dtls.handshake.type==1' 2
    expect 'dtls.record.content_type==23'
}

cap_dtls12_gnutls() {
    dtls_capture_start dtls12-gnutls
    udp_server_start "$DTLS_PORT" gnutls-serv --udp -p "$DTLS_PORT" \
        --x509certfile "$CERTS/server-ecdsa-chain.pem" \
        --x509keyfile "$CERTS/server-ecdsa.key"
    must_pass in_ns bash -c "echo hello | timeout 5 gnutls-cli --udp \
        -p $DTLS_PORT --x509cafile '$ROOT' --sni-hostname server.test \
        --verify-hostname server.test 127.0.0.1"
    server_stop
    capture_stop
    expect 'dtls.handshake.type==3' 1
    expect 'dtls.handshake.type==2' 1
}

# DTLS 1.0 (RFC 4347), AES-CBC with SHA-1: the weakest this OpenSSL makes.
cap_dtls10_weak() {
    dtls_capture_start dtls10-weak
    dtls_openssl_server server-rsa -dtls1 -cipher 'AES128-SHA:@SECLEVEL=0' \
        -cert_chain "$INTER"
    dtls_openssl_client pass -dtls1 -cipher 'AES128-SHA:@SECLEVEL=0' \
        "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'dtls.handshake.type==2 && dtls.handshake.version==0xfeff' 1
}

# A chain of three 4096-bit CAs over a 500-byte MTU: the Certificate goes
# in many fragments, each its own record.
cap_dtls_fragmented_chain() {
    dtls_capture_start dtls-fragmented-chain
    dtls_openssl_server server-big -dtls1_2 -mtu 500 \
        -cert_chain "$CERTS/big-chain.pem"
    dtls_openssl_client pass -dtls1_2 -mtu 500 "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'dtls.handshake.type==11 && dtls.handshake.fragment_length<dtls.handshake.length' 13
}

cap_dtls_untrusted() {
    dtls_capture_start dtls-untrusted
    dtls_openssl_server server-rsa -dtls1_2 -cert_chain "$INTER"
    dtls_openssl_client fail -dtls1_2 -CAfile "$CERTS/other-ca.pem" \
        -verify_return_error
    server_stop
    capture_stop
    expect 'dtls.alert_message.desc==48' 1
}

cap_dtls_version_mismatch() {
    dtls_capture_start dtls-version-mismatch
    dtls_openssl_server server-rsa -dtls1_2 -cert_chain "$INTER"
    dtls_openssl_client fail -dtls1 -cipher 'AES128-SHA:@SECLEVEL=0'
    server_stop
    capture_stop
    expect 'dtls.alert_message.desc==70' 1
}

cap_dtls_cipher_mismatch() {
    dtls_capture_start dtls-cipher-mismatch
    dtls_openssl_server server-rsa -dtls1_2 -cert_chain "$INTER" \
        -cipher ECDHE-RSA-CHACHA20-POLY1305
    dtls_openssl_client fail -dtls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256
    server_stop
    capture_stop
    expect 'dtls.alert_message.desc==40' 1
}

cap_dtls_no_server() {
    dtls_capture_start dtls-no-server
    dtls_openssl_client fail -dtls1_2 -timeout
    capture_stop
    expect 'icmp.type==3 && icmp.code==3'
}

cap_dtls_silent_server() {
    dtls_capture_start dtls-silent-server
    udp_server_start "$DTLS_PORT" python3 "$WORK/udptools.py" silent \
        "$DTLS_PORT" 9
    must_fail in_ns bash -c "timeout 8 gnutls-cli --udp -p $DTLS_PORT \
        --x509cafile '$ROOT' --sni-hostname server.test 127.0.0.1 </dev/null"
    server_stop
    capture_stop
    expect 'udp.srcport==4433' 0
    expect 'dtls.handshake.type==1' 3
}

# Lost and duplicated datagrams: GnuTLS sends each message of a flight in
# its own datagram; the relay drops the one with the ServerHello and sends
# the next one twice. The client waits, the server sends the whole flight
# again.
cap_dtls_retransmission() {
    dtls_capture_start dtls-retransmission
    udp_server_start 8433 gnutls-serv --udp -p 8433 \
        --x509certfile "$CERTS/server-ecdsa-chain.pem" \
        --x509keyfile "$CERTS/server-ecdsa.key"
    local srv=$SRV_PID
    udp_server_start "$DTLS_PORT" python3 "$WORK/udptools.py" proxy \
        "$DTLS_PORT" 8433 drop-server=2 dup-server=4
    must_pass in_ns bash -c "echo hello | timeout 8 gnutls-cli --udp \
        -p $DTLS_PORT --x509cafile '$ROOT' --sni-hostname server.test \
        --verify-hostname server.test 127.0.0.1"
    server_stop
    SRV_PID=$srv
    server_stop
    capture_stop
    expect 'dtls.handshake.type==2' 1
    expect 'dtls.handshake.type==14' 2
}

# WebRTC's order on one 5-tuple: an ICE (STUN) check and its answer, then
# the DTLS handshake, here OpenSSL's client bound to the port STUN used.
cap_dtls_after_stun() {
    dtls_capture_start dtls-after-stun
    in_ns python3 "$WORK/udptools.py" stun 5004 "$DTLS_PORT"
    dtls_openssl_server server-rsa -dtls1_2 -cert_chain "$INTER"
    dtls_openssl_client pass -dtls1_2 -bind 127.0.0.1:5004 "${VERIFY[@]}"
    server_stop
    capture_stop
    expect 'udp.srcport==5004 && dtls.handshake.type==1' 2
}

UDP_SCENARIOS=(quic-v1 quic-v2 quic-v2-upgrade quic-version-negotiation
     quic-version-mismatch quic-retry quic-0rtt quic-hrr quic-alpn-mismatch
     quic-no-common-group quic-no-common-cipher quic-untrusted quic-expired
     quic-wrong-name quic-client-cert-required quic-no-server
     quic-silent-server quic-blocked-fallback quic-hello-two-initials
     quic-lost-datagrams dtls12-openssl dtls12-gnutls dtls10-weak
     dtls-fragmented-chain dtls-untrusted dtls-version-mismatch
     dtls-cipher-mismatch dtls-no-server dtls-silent-server
     dtls-retransmission dtls-after-stun)

ALL=(tls12-rsa tls13-ecdsa tls13-hrr tls12-resume-ticket tls13-resume-psk
     gnutls-tls13 curl-tls12-port8443 python-tls13-ipv6
     fail-version fail-version-old-client fail-cipher
     fail-unknown-ca fail-unknown-ca-tls13 fail-expired
     fail-client-cert fail-client-cert-tls13
     not-tls server-reset silent-server sslv3-or-tls10-weak
     fail-self-signed fail-hostname fail-incomplete-chain
     fail-unknown-ca-tls13-openssl "${CERT_SCENARIOS[@]}"
     "${RULE_SCENARIOS[@]}"
     "${STARTTLS_SCENARIOS[@]}")
ALL+=("${RULECAP_SCENARIOS[@]}")
ALL+=("${CAUSE_SCENARIOS[@]}")
ALL+=("${KEYLOG_SCENARIOS[@]}")
ALL+=("${OUTCOME_SCENARIOS[@]}")
ALL+=(change-before change-after)
ALL+=("${CAPTURE_POINT_SCENARIOS[@]}")
ALL+=("${UDP_SCENARIOS[@]}")
ALL+=("${SCENARIOS_2026[@]}")

[ ${#WANT[@]} -gt 0 ] || WANT=("${ALL[@]}")
for name in "${WANT[@]}"; do
    fn=cap_${name//-/_}
    declare -F "$fn" >/dev/null || die "no such scenario: $name"
    echo "$name"
    "$fn"
done
echo "done: ${#WANT[@]} captures in $HERE"
