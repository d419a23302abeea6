#!/usr/bin/env python3
"""analyst.py — the analyst's view end to end, on the project's captures
and the peer captures: filters (--where and its short forms) against the
same selection made in Python from the full NDJSON, the detail view (and
`show`) against the record's facts, text to -o FILE.txt and the stderr
note for a pipe, capture-time order, the summary's server and
client-fingerprint tables against counts made here, REFUSED counted as a
failure everywhere, the progress line on a terminal (and nowhere else),
gzip / zstd / pcapng.zst and PPP input giving the same records, and
--baseline between the change-window captures (as a capture and as
NDJSON). Every feature also runs over the peer captures: no crash, no
sanitizer report.

    analyst.py --tlsmon PATH --captures DIR [--peer-captures DIR]"""
import argparse
import glob
import gzip
import json
import os
import pty
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcaplib as P  # noqa: E402
from tlsmon_run import SANITIZER_MARKS, flatten  # noqa: E402

results = []


def check(name, cond, detail=""):
    results.append(bool(cond))
    print(("ok   " if cond else "FAIL ") + name +
          ("" if cond else f": {str(detail)[:1500]}"))


def run(tlsmon, *args, stdin=None, timeout=600):
    p = subprocess.run([tlsmon, *args], input=stdin, capture_output=True,
                       timeout=timeout)
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))


def events(out):
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def handshakes(out):
    return [flatten(e) for e in events(out)
            if e.get("event", {}).get("dataset") == "tlsmon.handshake"]


def summary_of(out):
    for e in events(out):
        if e.get("event", {}).get("dataset") == "tlsmon.summary":
            return e["tlsmon"]["summary"]
    return None


def key(r):
    """What identifies a record across runs (flow ids need not match)."""
    return (r.get("@timestamp"), r.get("source.ip"), r.get("source.port"),
            r.get("destination.ip"), r.get("destination.port"),
            r.get("tlsmon.round"))


def sane(err):
    return not any(m in err for m in SANITIZER_MARKS)


VERSION_RANK = {"ssl2": 1, "ssl3": 2, "1.0": 3, "1.1": 4, "1.2": 5, "1.3": 6}


def test_filters(t, caps, tmp):
    rc, out, err = run(t, "--format", "ndjson", "--no-summary", *caps)
    every = handshakes(out)
    check("full run for reference", rc == 0 and len(every) > 50, err)
    failures = [r for r in every if r.get("event.outcome") == "failure"]

    rc, out, err = run(t, "--format", "ndjson", "--summary", "--failed", *caps)
    got = handshakes(out)
    s = summary_of(out)
    check("--failed: exactly the records whose event.outcome is failure "
          "(failed, not_tls, refused)",
          rc == 0 and sorted(map(key, got)) == sorted(map(key, failures)),
          f"{len(got)} vs {len(failures)}")
    check("--failed: refused STARTTLS upgrades are among them",
          any(r.get("tlsmon.outcome") == "refused" for r in got))
    check("--failed: the summary still counts every handshake and says "
          "what was shown",
          s and s["handshakes"] == len(every) and
          s.get("shown") == {"filter": "--failed", "handshakes": len(got)},
          s and s.get("shown"))
    o = s["outcomes"] if s else {}
    check("summary: REFUSED counted as a failure, as event.outcome says",
          s and s["failures"] == o["failed"] + o["not_tls"] + o["refused"] and
          s["failures_refused"] == o["refused"] and o["refused"] > 0,
          s and (s["failures"], o))

    lt13 = [r for r in every if r.get("tls.version") and
            VERSION_RANK[r["tls.version"]] < VERSION_RANK["1.3"]]
    rc, out, err = run(t, "--format", "ndjson", "--no-summary", "--where",
                       '{tls.version: {lt: "1.3"}}', *caps)
    check("--where '{tls.version: {lt: \"1.3\"}}': the same records as "
          "Python's selection",
          rc == 0 and sorted(map(key, handshakes(out))) ==
          sorted(map(key, lt13)), err)

    sel = [r for r in every if r.get("destination.port") == 4560 and
           r.get("event.outcome") == "failure"]
    rc, out, err = run(t, "--format", "ndjson", "--no-summary", "--failed",
                       "--server", "127.0.0.1:4560", *caps)
    check("--failed --server IP:PORT: both must hold",
          rc == 0 and sorted(map(key, handshakes(out))) ==
          sorted(map(key, sel)) and len(sel) == 3, len(handshakes(out)))
    wild = [r for r in every
            if (r.get("tls.client.server_name") or "").endswith(".wild.test")]
    rc, out, err = run(t, "--format", "ndjson", "--no-summary", "--server",
                       "*.wild.test", "--server", "192.0.2.99", *caps)
    check("--server SNI-glob (or an address that matches nothing)",
          rc == 0 and sorted(map(key, handshakes(out))) ==
          sorted(map(key, wild)) and wild, len(wild))
    six = [r for r in every if r.get("network.type") == "ipv6"]
    rc, out, err = run(t, "--format", "ndjson", "--no-summary", "--server",
                       "::1/128", *caps)
    check("--server IPv6 CIDR",
          rc == 0 and sorted(map(key, handshakes(out))) ==
          sorted(map(key, six)) and six, err)

    stamps = sorted(r["@timestamp"] for r in every)
    mid = stamps[len(stamps) // 2]
    later = stamps[3 * len(stamps) // 4]
    sel = [r for r in every if mid <= r["@timestamp"] < later]
    rc, out, err = run(t, "--format", "ndjson", "--no-summary", "--since",
                       mid, "--until", later, *caps)
    check("--since/--until: capture time, [since, until)",
          rc == 0 and sorted(map(key, handshakes(out))) ==
          sorted(map(key, sel)) and sel, (mid, later, len(sel)))

    rc, out, err = run(t, "--where", "{tls.nosuch: 1}", caps[0])
    check("--where with an unknown field: exit 1, one line with line and "
          "column", rc == 1 and err.startswith(
              "tlsmon: --where:1:2: unknown field 'tls.nosuch'") and
          len(err.strip().splitlines()) == 1, err)
    rc, out, err = run(t, "--since", "tomorrow", caps[0])
    check("--since with a bad time: exit 1 saying which forms work",
          rc == 1 and "2026-01-31T12:00:00Z" in err, err)

    rc, out, err = run(t, "--format", "text", "--failed", *caps)
    check("text: the summary says what was filtered",
          rc == 0 and re.search(r"  shown +%d of %d handshakes \(--failed\)"
                                % (len(failures), len(every)), out), err)
    return every


def test_detail(t, cdir, tmp):
    cap = os.path.join(cdir, "change-after.pcap")
    args = ["--ca-file", os.path.join(cdir, "certs", "root-ca.pem")]
    rc, out, err = run(t, "--format", "ndjson", "--no-summary", *args, cap)
    recs = sorted(handshakes(out), key=lambda r: r["@timestamp"])
    tls12 = next(r for r in recs if r.get("tls.version") == "1.2")
    fid = str(tls12["tlsmon.flow_id"])
    rc, out, err = run(t, "show", fid, *args, cap)
    lines = out.splitlines()
    check("show FLOW_ID: one record, its line first with the flow id",
          rc == 0 and lines and f" #{fid} " in lines[0] and
          sum(1 for ln in lines if re.match(r"^\d{4}-", ln)) == 1, out[:300])
    titles = [ln.strip() for ln in lines if re.match(r"^    \S", ln)]
    check("show: the sections of a TLS 1.2 failure with a visible chain",
          titles == ["connection", "outcome", "timeline", "client hello",
                     "server hello", "fingerprints",
                     "server certificate chain",
                     "this server earlier in the run", "diagnosis"], titles)
    facts = {
        "SNI": "server name         server.test",
        "cipher": "cipher suite        " + tls12["tls.cipher"],
        "JA3": "JA3                 " + tls12["tls.client.ja3"],
        "JA4": "JA4                 " + tls12["tlsmon.client.ja4"],
        "leaf SHA-256": "SHA-256             " +
                        tls12["tls.server.hash.sha256"],
        "verdict": "self_signed",
        "timeline SYN": "SYN (client)",
        "timeline alert": "client alert fatal unknown_ca(48)",
        "rule evidence": "evidence: ",
        "cause": "cause               untrusted_cert",
        "history": "failed              1",
    }
    for name, text in facts.items():
        check(f"show: {name} as the record has it", text in out, text)
    check("show: only printable ASCII", all(
        32 <= ord(c) < 127 or c == "\n" for c in out))
    order = [m.group(1) for m in re.finditer(
        r"\+ +(\d+\.\d+) ms  ", out)]
    check("show: the timeline goes forward",
          order and [float(x) for x in order] ==
          sorted(float(x) for x in order), order)

    rc, out2, err = run(t, "--format", "text", "--detail", "--no-summary",
                        "--flow", fid, *args, cap)
    check("--detail --flow is the same as show", out2 == out, err)
    rc, out, err = run(t, "--format", "ndjson", "--detail", cap)
    check("--detail with --format ndjson: exit 1 with the reason",
          rc == 1 and "--detail" in err, err)
    rc, out, err = run(t, "--format", "text", "--no-summary", cap)
    check("text: each line carries its flow id",
          all(re.search(r"Z #\d+ ", ln) for ln in out.splitlines()
              if re.match(r"^\d{4}-", ln)), out[:300])


def test_outputs(t, caps, tmp):
    base = caps[0]
    txt = os.path.join(tmp, "report.txt")
    rc, out, err = run(t, "-o", txt, base)
    body = open(txt).read() if os.path.exists(txt) else ""
    check("-o FILE.txt: text with the summary, nothing on stderr",
          rc == 0 and "\nsummary\n" in body and not body.startswith("{") and
          err == "", (body[:200], err))
    nd = os.path.join(tmp, "out.ndjson")
    rc, out, err = run(t, "-o", nd, base)
    check("-o FILE.ndjson: NDJSON, nothing said",
          rc == 0 and open(nd).read().startswith("{") and err == "", err)
    rc, out, err = run(t, base)
    check("a pipe: NDJSON (no summary), and one line on stderr saying so",
          rc == 0 and out.startswith("{") and summary_of(out) is None and
          err.strip() == "tlsmon: the output was not a terminal, so it is "
          "NDJSON (--format text for text)", err)
    rc, out, err = run(t, "--format", "text", base)
    check("--format text to a pipe: text with the summary, nothing said",
          rc == 0 and "\nsummary\n" in out and err == "", err)


def test_order(t, cdir, tmp):
    """A handshake that never ends (cut after its ClientHello) is decided
    at the end of input, after handshakes that began later: NDJSON and
    text still come out in capture time."""
    a = P.read_pcap(os.path.join(cdir, "silent-server.pcap"))
    b = P.read_pcap(os.path.join(cdir, "tls12-rsa.pcap"))
    pa = P.decode_capture(a)
    # Keep the silent connection up to the client's first payload.
    cut = next(i for i, p in enumerate(pa) if p.tcp and p.tcp.payload)
    frames_a = [p.frame for p in pa[:cut + 1]]
    t0 = frames_a[-1].ts_ns + 1_000_000
    shift = t0 - b.frames[0].ts_ns
    frames_b = [P.Frame(f.ts_ns + shift, f.data, f.orig_len)
                for f in b.frames]
    path = os.path.join(tmp, "late-decision.pcap")
    P.write_pcap(path, P.LINKTYPE_EN10MB, frames_a + frames_b)
    rc, out, err = run(t, "--format", "ndjson", "--no-summary", path)
    recs = handshakes(out)
    stamps = [r["@timestamp"] for r in recs]
    check("order: the undecided handshake first, as in the capture",
          rc == 0 and len(recs) == 2 and stamps == sorted(stamps) and
          recs[0]["tlsmon.outcome"] == "incomplete", stamps)
    rc, out, err = run(t, "--format", "text", "--no-summary", path)
    times = re.findall(r"^(\S+Z) #", out, re.M)
    check("order: text too", rc == 0 and len(times) == 2 and
          times == sorted(times), out)



def summary_tables(t, caps, every):
    rc, out, err = run(t, "--format", "ndjson", "--summary", *caps)
    s = summary_of(out)
    servers = {}
    for r in every:
        k = (r["destination.ip"], r["destination.port"],
             r.get("tls.client.server_name") or "")
        e = servers.setdefault(k, [0, 0])
        e[0] += 1
        e[1] += r.get("event.outcome") == "failure"
    ok = s is not None and len(s["servers"]) == min(10, len(servers))
    for e in (s or {}).get("servers", []):
        k = (e["ip"], e["port"], e.get("server_name", ""))
        ok = ok and servers.get(k) == [e["handshakes"], e["failed"]]
    check("summary: the server table's handshakes and failures, per server",
          ok, (s or {}).get("servers", [])[:2])
    more = (s or {}).get("servers_more", {})
    check("summary: 'N more' servers add up to the rest",
          more.get("servers") == len(servers) - 10 and
          more.get("handshakes") + sum(e["handshakes"] for e in s["servers"])
          == len(every), more)
    fps = {}
    for r in every:
        fp = r.get("tlsmon.client.ja4") or r.get("tls.client.ja3")
        if fp:
            e = fps.setdefault(fp, [0, 0])
            e[0] += 1
            e[1] += r.get("event.outcome") == "failure"
    ok = bool(s and s["client_fingerprints"])
    for e in (s or {}).get("client_fingerprints", []):
        ok = ok and fps.get(e.get("ja4") or e.get("ja3")) == \
            [e["handshakes"], e["failed"]]
    check("summary: the client-fingerprint table, per JA4", ok,
          (s or {}).get("client_fingerprints", [])[:2])
    rc, out, err = run(t, "--format", "text", *caps)
    check("text summary: the server table with causes and what it "
          "established with, and 'N more' lines",
          re.search(r"servers \(most failures first\)\n  handshakes  failed"
                    r"  server\n", out) and "causes: " in out and
          "established with 1." in out and re.search(r"\d+ more servers\n",
                                                     out) and
          re.search(r"\d+ more fingerprints\n", out), out[-3000:])


def test_progress(t, tmp):
    big = os.path.join(tmp, "many.pcap")
    gen = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                       "..", "bench", "gencorpus.py")
    subprocess.run([sys.executable, gen, "--kind", "handshake",
                    "--connections", "3000", "-o", big], check=True,
                   capture_output=True)
    master, slave = pty.openpty()
    p = subprocess.Popen([t, "-o", os.path.join(tmp, "many.ndjson"), big],
                         stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    data = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    p.wait()
    os.close(master)
    text = data.decode("utf-8", "replace")
    lines = [x for x in text.split("\r") if "handshakes/s" in x]
    check("progress on a terminal: bytes, percent, handshakes/s, redrawn in "
          "place and cleared at the end",
          p.returncode == 0 and lines and
          re.search(r"tlsmon: \S+many\.pcap  [\d.]+ [KMG]?B of [\d.]+ [KMG]?B "
                    r"\(\d+%\)  \d+ handshakes/s", lines[0]) and
          # the last drawing is taken away (a note may follow it)
          "\r\x1b[K" in text[text.rindex("handshakes/s"):],
          repr(text[-300:]))
    # Text and progress on one terminal: the line is taken away before each
    # record and before the summary, so records stay whole.
    master, slave = pty.openpty()
    p = subprocess.Popen([t, "--workers", "2", big], stdout=slave,
                         stderr=slave)
    os.close(slave)
    data = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    p.wait()
    os.close(master)
    text = data.decode("utf-8", "replace").replace("\r\x1b[K", "\n")
    records = [ln for ln in text.splitlines() if re.match(r"^\d{4}-", ln)]
    check("text and progress on the same terminal: every record line whole, "
          "then the summary",
          p.returncode == 0 and len(records) >= 3000 and
          all(" -> " in ln and "handshakes/s" not in ln for ln in records)
          and re.search(r"\n(\x1b\[1m)?summary(\x1b\[0m)?\r\n",
                        data.decode("utf-8", "replace")),
          (p.returncode, len(records), text[-400:]))
    rc, out, err = run(t, "-o", os.path.join(tmp, "many2.ndjson"), big)
    check("no progress when stderr is not a terminal",
          rc == 0 and "handshakes/s" not in err and "\r" not in err, err)


def test_inputs(t, cdir, tmp):
    ref_cap = os.path.join(cdir, "tls13-ecdsa.pcap")
    rc, ref, err = run(t, "--format", "ndjson", "--no-summary", ref_cap)
    gz = os.path.join(tmp, "x.pcap.gz")
    with open(ref_cap, "rb") as f, gzip.open(gz, "wb") as g:
        g.write(f.read())
    rc, out, err = run(t, "--format", "ndjson", "--no-summary", gz)
    check(".pcap.gz: the same records as the plain file",
          rc == 0 and out == ref, err)
    raw = open(ref_cap, "rb").read()
    rc, out, err = run(t, "--format", "ndjson", "--no-summary", "-",
                       stdin=gzip.compress(raw))
    check("gzip on standard input", rc == 0 and out == ref, err)
    if shutil.which("zstd"):
        zst = os.path.join(tmp, "x.pcap.zst")
        subprocess.run(["zstd", "-q", "-f", ref_cap, "-o", zst], check=True)
        rc, out, err = run(t, "--format", "ndjson", "--no-summary", zst)
        check(".pcap.zst: the same records", rc == 0 and out == ref, err)
        if shutil.which("editcap"):
            ng = os.path.join(tmp, "x.pcapng")
            subprocess.run(["editcap", "-F", "pcapng", ref_cap, ng],
                           check=True)
            subprocess.run(["zstd", "-q", "-f", ng, "-o", ng + ".zst"],
                           check=True)
            rc, out, err = run(t, "--format", "ndjson", "--no-summary",
                               ng + ".zst")
            check(".pcapng.zst: the same records", rc == 0 and
                  handshakes(out) == handshakes(ref), err)
    else:
        check("zstd is installed (make deps)", False)
    many = os.path.join(cdir, "change-after.pcap")
    data = gzip.compress(open(many, "rb").read())
    cut = os.path.join(tmp, "cut.pcap.gz")
    with open(cut, "wb") as f:
        f.write(data[:len(data) * 2 // 3])
    rc, out, err = run(t, "--format", "ndjson", "--no-summary", cut)
    check("a truncated .gz: exit 2, where it broke and why, the records "
          "before it kept", rc == 2 and "broken at packet" in err and
          "gzip: the compressed data ends early" in err and
          len(handshakes(out)) >= 1, err)
    junk = os.path.join(tmp, "junk.gz")
    with open(junk, "wb") as f:
        f.write(gzip.compress(b"not a capture\n" * 10))
    rc, out, err = run(t, junk)
    check("gzip of something else: exit 1, one line",
          rc == 1 and len(err.strip().splitlines()) == 1 and
          "gzip-compressed" in err, err)

    # PPP: every capture re-encapsulated reads as the Ethernet original.
    same = True
    for name in ("tls12-rsa", "python-tls13-ipv6", "fail-unknown-ca"):
        src = os.path.join(cdir, name + ".pcap")
        packets = P.decode_capture(P.read_pcap(src))
        ppp = os.path.join(tmp, name + ".ppp.pcap")
        P.write_pcap(ppp, P.LINKTYPE_PPP,
                     P.encode_packets(packets, P.LINKTYPE_PPP))
        args = ["--format", "ndjson", "--no-summary"]
        _, a, _ = run(t, *args, src)
        rc, b, err = run(t, *args, ppp)
        strip = ("tlsmon.bytes.client", "tlsmon.bytes.server")
        ra = [{k: v for k, v in r.items() if k not in strip}
              for r in handshakes(a)]
        rb = [{k: v for k, v in r.items() if k not in strip}
              for r in handshakes(b)]
        same = same and rc == 0 and ra == rb and ra
    check("PPP link type: the same records as over Ethernet", same)


def test_baseline(t, cdir, tmp):
    before = os.path.join(cdir, "change-before.pcap")
    after = os.path.join(cdir, "change-after.pcap")
    ca = ["--ca-file", os.path.join(cdir, "certs", "root-ca.pem")]
    rc, out, err = run(t, "--format", "ndjson", "--summary", *ca,
                       "--baseline", before, after)
    s = summary_of(out) or {}
    b = s.get("baseline", {})
    check("--baseline OLD.pcap: server.test:4560 started failing (3 of 3, "
          "0 of 2 before)",
          rc == 0 and [(x["server"], x["failed"], x["handshakes"],
                        x.get("baseline_handshakes"))
                       for x in b.get("servers_started_failing", [])] ==
          [("server.test:4560", 3, 3, 2)], b)
    check("--baseline: untrusted_cert is a new cause",
          [x["cause"] for x in b.get("new_causes", [])] == ["untrusted_cert"],
          b.get("new_causes"))
    recs = handshakes(out)
    curl = {r["tlsmon.client.ja4"] for r in recs}
    rc0, old, _ = run(t, "--format", "ndjson", "--no-summary", *ca, before)
    new_fps = sorted(curl - {r["tlsmon.client.ja4"] for r in handshakes(old)})
    check("--baseline: the client fingerprint never seen before (curl)",
          [x["fingerprint"] for x in b.get("new_client_fingerprints", [])]
          == new_fps and len(new_fps) == 1, (b.get("new_client_fingerprints"),
                                              new_fps))
    changed = b.get("certificates_changed", [])
    check("--baseline: the certificate that changed, before and after",
          len(changed) == 1 and changed[0]["server"] == "server.test:4560"
          and changed[0]["before"]["issuer"].startswith(
              "CN=tlsmon test intermediate CA") and
          changed[0]["now"]["issuer"].startswith("CN=server.test"), changed)

    old_nd = os.path.join(tmp, "before.ndjson")
    with open(old_nd, "w") as f:
        f.write(old)
    rc, out2, err = run(t, "--format", "ndjson", "--summary", *ca,
                        "--baseline", old_nd, after)
    b2 = (summary_of(out2) or {}).get("baseline", {})
    b2["name"] = b["name"] = ""
    check("--baseline OLD.ndjson: the same changes as from the capture",
          rc == 0 and b2 == b, (b2, b))
    rc, out, err = run(t, "--format", "text", *ca, "--baseline", before,
                       after)
    check("--baseline: the text summary's section",
          rc == 0 and "changes since the baseline" in out and
          "servers that started failing (1)\n    server.test:4560  3 of 3 "
          "failed now, 0 of 2 before: untrusted_cert" in out, out[-2000:])
    rc, out, err = run(t, "--format", "text", *ca, "--baseline", after,
                       after)
    check("--baseline of the run itself: nothing changed",
          rc == 0 and "  nothing: no server started or stopped failing" in
          out, out[-800:])
    rc, out, err = run(t, "--baseline", os.path.join(tmp, "missing"), after)
    check("--baseline missing: exit 1, one line", rc == 1 and
          len(err.strip().splitlines()) == 1 and "missing" in err, err)
    notes = os.path.join(tmp, "notes.txt")
    with open(notes, "w") as f:
        f.write("just some notes\n")
    rc, out, err = run(t, "--baseline", notes, after)
    check("--baseline that is neither capture nor NDJSON: exit 1",
          rc == 1 and "notes.txt" in err, err)


def test_peer(t, peer, tmp):
    files = sorted(glob.glob(os.path.join(peer, "**", "*.pcap"),
                             recursive=True) +
                   glob.glob(os.path.join(peer, "**", "*.pcapng"),
                             recursive=True) +
                   glob.glob(os.path.join(peer, "**", "*.cap"),
                             recursive=True))
    if not files:
        print(f"note: no peer captures in {peer}: their runs skipped")
        return
    runs = {
        "--failed --detail (text)": ["--format", "text", "--failed",
                                     "--detail"],
        "--where on certificate verdicts": [
            "--format", "ndjson", "--where",
            "{any: [{tlsmon.certificate.untrusted: true}, "
            "{tlsmon.certificate.expired: true}]}"],
        "--report": ["--format", "ndjson", "-o", os.devnull, "--report",
                     os.path.join(tmp, "peer.html")],
        "--baseline (the first half against all)": [
            "--format", "text", "--baseline",
            files[len(files) // 2]],
    }
    for name, args in runs.items():
        rc, out, err = run(t, *args, *files, timeout=1200)
        check(f"peer captures ({len(files)}), {name}: no crash, no "
              "sanitizer report", rc in (0, 1, 2) and rc >= 0 and sane(err)
              and "unsupported link type" not in err and
              ("--detail" not in name or all(
                  32 <= ord(c) < 127 or c == "\n" for c in out)),
              f"rc={rc} {err[-1500:]}")
    ppp = [f for f in files if "ppp" in os.path.basename(f) or
           os.path.basename(f) in ("handshake.pcap", "zerortt.pcap",
                                   "quic-interop-retry.pcap")]
    rc, out, err = run(t, "--format", "ndjson", *ppp)
    check("peer PPP captures are read (no unsupported link type)",
          ppp and rc == 0 and "unsupported" not in err, err)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tlsmon", required=True)
    ap.add_argument("--captures", required=True)
    ap.add_argument("--peer-captures")
    a = ap.parse_args()
    t = os.path.abspath(a.tlsmon)
    caps = sorted(glob.glob(os.path.join(a.captures, "*.pcap")))
    tmp = tempfile.mkdtemp(prefix="tlsmon-analyst-")
    try:
        every = test_filters(t, caps, tmp)
        test_detail(t, a.captures, tmp)
        test_outputs(t, caps, tmp)
        test_order(t, a.captures, tmp)
        summary_tables(t, caps, every)
        test_progress(t, tmp)
        test_inputs(t, a.captures, tmp)
        test_baseline(t, a.captures, tmp)
        if a.peer_captures and os.path.isdir(a.peer_captures):
            test_peer(t, a.peer_captures, tmp)
        else:
            print("note: no peer captures given: their runs skipped")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    failed = results.count(False)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
