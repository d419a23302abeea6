#!/usr/bin/env python3
"""cli.py — what a user sees at the command line: exit codes and the one-line
messages for bad input, several inputs, standard input, -o, --format."""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

results = []


def check(name, cond, detail=""):
    results.append(cond)
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f": {detail}"))


def run(tlsmon, *args, stdin=None):
    p = subprocess.run([tlsmon, *args], input=stdin, capture_output=True, timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def alert_events(tlsmon, caps, *args):
    rc, out, err = run(tlsmon, "--format", "ndjson", "--no-summary", *args,
                       *caps)
    return rc, [json.loads(x) for x in out.splitlines()
                if '"tlsmon.alert"' in x], err


def check_tuning(t, captures, tmp):
    """A SOC tunes the built-in rules from a site file (--rules +FILE):
    one rule off, a family off by glob, one suppressed for a CIDR, one
    with another severity; a site cause; empty and rule-less files."""
    caps = [os.path.join(captures, c) for c in
            ("fail-self-signed.pcap", "fail-version.pcap",
             "sslv3-or-tls10-weak.pcap", "weak-3des.pcap")]
    if not all(os.path.exists(c) for c in caps):
        check("tuning: the captures are there", False, caps)
        return
    rc, before, err = alert_events(t, caps)
    ids = {e["rule"]["id"] for e in before}
    check("tuning: without it, the captures raise self-signed, "
          "protocol-version-client-old and weak-* alerts",
          rc == 0 and "self-signed" in ids and
          "protocol-version-client-old" in ids and
          any(i.startswith("weak-") for i in ids), sorted(ids))
    site = os.path.join(tmp, "site.yaml")
    with open(site, "w") as fp:
        fp.write("tune:\n"
                 "  - rule: self-signed\n"
                 "    suppress:\n"
                 "      - destination.ip: {cidr: 127.0.0.0/8}\n"
                 "  - rule: 'weak-*'\n"
                 "    enabled: false\n"
                 "  - rule: protocol-version-client-old\n"
                 "    severity: low\n")
    rc, after, err = alert_events(t, caps, "--rules", "+" + site)
    got = {e["rule"]["id"]: e for e in after}
    pv = got.get("protocol-version-client-old", {})
    # With self-signed suppressed, nothing else explains that failure: the
    # built-in rule for unexplained failures speaks for it instead.
    check("tuning: self-signed suppressed for 127.0.0.0/8, weak-* off, "
          "protocol-version-client-old now low (event.severity 21), the "
          "rest unchanged",
          rc == 0 and "self-signed" not in got and
          not any(i.startswith("weak-") for i in got) and
          pv.get("event", {}).get("severity") == 21 and
          pv.get("tlsmon", {}).get("severity") == "low" and
          set(got) - {"unexplained-failure"} ==
          {i for i in ids if i != "self-signed" and
           not i.startswith("weak-")}, (sorted(got), sorted(ids), err))
    rc, out, err = run(t, "--list-rules", "--rules", "+" + site)
    line = next((x for x in out.splitlines()
                 if x.startswith("weak-cipher-3des ")), "")
    check("tuning: --list-rules shows what was turned off and where",
          rc == 0 and "[disabled]" in line and f"tuned at {site}:5" in line,
          line)
    with open(site, "w") as fp:
        fp.write("tune:\n  - rule: self-signd\n    enabled: false\n")
    rc, out, err = run(t, "--check-rules", "+" + site)
    check("tuning: a rule id that matches nothing is an error at its place",
          rc == 1 and f"{site}:2:11: tune: no rule matches 'self-signd'" in
          err, err)

    causes = os.path.join(tmp, "causes.yaml")
    with open(causes, "w") as fp:
        fp.write("causes:\n"
                 "  - id: lab_test_ca\n"
                 "    description: the lab's own CA, not deployed to "
                 "clients\n"
                 "    fix: client\n"
                 "rules:\n"
                 "  - id: lab-ca\n"
                 "    name: Lab certificate refused\n"
                 "    severity: critical\n"
                 "    cause: lab_test_ca\n"
                 "    message: '{destination.ip} serves a lab certificate'\n"
                 "    remediation: Install the lab CA on the client.\n"
                 "    when: {tlsmon.certificate.self_signed: true, "
                 "tlsmon.outcome: failed}\n")
    rc, out, err = run(t, "--format", "ndjson", "--summary", "--rules",
                       "+" + causes, caps[0])
    recs = [json.loads(x) for x in out.splitlines()]
    hs = [r for r in recs if r["event"]["dataset"] == "tlsmon.handshake"]
    summ = [r for r in recs if r["event"]["dataset"] == "tlsmon.summary"]
    check("site cause: the record's cause and fix come from the site's "
          "cause, and the summary counts it",
          rc == 0 and hs and hs[0]["tlsmon"]["cause"] == "lab_test_ca" and
          hs[0]["tlsmon"]["fix"] == "client" and summ and
          any(c["cause"] == "lab_test_ca" for c in
              summ[0]["tlsmon"]["summary"]["causes"]),
          (hs[:1], err))
    rc, out, err = run(t, "--format", "text", "--summary", "--rules",
                       "+" + causes, caps[0])
    check("site cause: the text summary names it with its description",
          rc == 0 and "lab_test_ca" in out and
          "the lab's own CA, not deployed to clients" in out, out[-800:])

    empty = os.path.join(tmp, "empty.yaml")
    open(empty, "w").close()
    rc, out, err = run(t, "--check-rules", empty)
    check("an empty rules file is an error (exit 1, FILE:1:1)",
          rc == 1 and f"{empty}:1:1: empty rules file" in err, err)
    only_lists = os.path.join(tmp, "lists.yaml")
    with open(only_lists, "w") as fp:
        fp.write("lists:\n  x: [a]\n")
    rc, out, err = run(t, "--rules", only_lists, "--format", "ndjson",
                       caps[0])
    check("a rule set without rules: a loud warning",
          rc == 0 and "warning: the rule set has no rules" in err, err)


def lost_count(err):
    """(lost, total) from "...: writing failed (...): N of M lines lost"."""
    for line in err.splitlines():
        if "writing failed" in line and "lines lost" in line:
            words = line.split(": ")[-1].split()
            return int(words[0]), int(words[2])
    return None


def write_failures(t, caps, tmp):
    """A failed write is exit 3 and one line with how many lines (NDJSON:
    records) were lost, and never a half-written line left without saying
    so."""
    rc, full, _ = run(t, "--format", "ndjson", *caps)
    total = len(full.splitlines())

    for args, what in ((["-o", "/dev/full"], "-o /dev/full"),
                       (["--json", "/dev/full", "-o", os.devnull], "--json /dev/full")):
        rc, out, err = run(t, "--format", "ndjson", *args, *caps)
        lines = [l for l in err.splitlines() if "writing failed" in l]
        check(f"{what}: exit 3, one line, every record counted lost",
              rc == 3 and len(lines) == 1 and lost_count(err) == (total, total)
              and "No space left" in lines[0], err)

    # Standard output on /dev/full, text format with the summary.
    with open("/dev/full", "w") as full_dev:
        p = subprocess.run([t, "--format", "text", *caps], stdout=full_dev,
                           stderr=subprocess.PIPE, timeout=120)
    err = p.stderr.decode()
    check("text on a full standard output: exit 3 and the count",
          p.returncode == 3 and "standard output" in err and lost_count(err) is not None, err)

    # A reader that goes away: the pipe closes after 100 bytes.
    p1 = subprocess.Popen([t, "--format", "ndjson", *caps], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    p1.stdout.read(100)
    p1.stdout.close()
    err = p1.stderr.read().decode()
    rc = p1.wait(timeout=120)
    n = lost_count(err)
    check("closed pipe: exit 3, no signal, the count and the cut line said",
          rc == 3 and "Broken pipe" in err and n is not None and n[1] == total
          and "cut short" in err, f"rc={rc} {err}")

    # A full disk in the middle of a line: a file size limit makes write(2)
    # take part of a buffer. The file is cut back to its last whole line.
    import resource
    path = os.path.join(tmp, "limited.ndjson")
    limit = len(full.encode()) // 3

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    p = subprocess.run([t, "--format", "ndjson", "-o", path, *caps],
                       capture_output=True, timeout=120, preexec_fn=small_files)
    err = p.stderr.decode()
    with open(path) as fp:
        kept = fp.read()
    whole = all(json.loads(l) is not None for l in kept.splitlines())
    n = lost_count(err)
    check("file size limit: exit 3, file ends at the last whole line, "
          "lost + kept = all",
          p.returncode == 3 and kept.endswith("\n") and whole and n is not None
          and n[0] + len(kept.splitlines()) == total == n[1]
          and "last whole line" in err, f"rc={p.returncode} {err} kept={len(kept)}")
    check("file size limit: what was kept is the start of the full output",
          full.startswith(kept), "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tlsmon", required=True)
    ap.add_argument("--captures", required=True)
    a = ap.parse_args()
    t = a.tlsmon
    caps = sorted(glob.glob(os.path.join(a.captures, "*.pcap")))
    if not caps:
        print("no captures")
        print("0 passed, 1 failed")
        return 1
    base = os.path.join(a.captures, "tls12-rsa.pcap")
    if not os.path.exists(base):
        base = caps[0]
    tmp = tempfile.mkdtemp(prefix="tlsmon-cli-")

    rc, out, err = run(t, "--help")
    check("--help exits 0 and documents exit codes", rc == 0 and "Exit codes" in out, err)
    rc, out, err = run(t, "--version")
    check("--version", rc == 0 and out.startswith("tlsmon "), out + err)
    rc, out, err = run(t)
    check("no input: exit 1, one line", rc == 1 and len(err.strip().splitlines()) == 1, err)
    rc, out, err = run(t, "--bogus-option", base)
    check("unknown option: exit 1", rc == 1, err)
    rc, out, err = run(t, "--format", "xml", base)
    check("bad --format: exit 1 with the reason", rc == 1 and "xml" in err, err)

    missing = os.path.join(tmp, "missing.pcap")
    rc, out, err = run(t, missing)
    check("missing file: exit 1 naming the file", rc == 1 and missing in err
          and len(err.strip().splitlines()) == 1, err)

    notcap = os.path.join(tmp, "notes.txt")
    with open(notcap, "w") as fp:
        fp.write("this is not a capture file\n" * 10)
    rc, out, err = run(t, notcap)
    check("not a capture: exit 1 naming the file", rc == 1 and notcap in err, err)

    wifi = os.path.join(tmp, "wifi.pcap")
    with open(wifi, "wb") as fp:  # a pcap header for IEEE 802.11, no packets
        fp.write(bytes.fromhex("d4c3b2a1020004000000000000000000ffff000069000000"))
    rc, out, err = run(t, wifi)
    check("unsupported link type: exit 1 with its number and name",
          rc == 1 and "105" in err and "IEEE802_11" in err, err)

    rc, out, err = run(t, "-f", "tcp port (", base)
    check("bad BPF filter: exit 1 quoting it", rc == 1 and "bad filter" in err, err)

    # A capture cut mid-packet: results before the break are kept, exit 2.
    data = open(base, "rb").read()
    cut = os.path.join(tmp, "cut.pcap")
    with open(cut, "wb") as fp:
        fp.write(data[: len(data) - 10])
    rc_full, out_full, _ = run(t, "--format", "ndjson", "--no-summary", base)
    rc, out, err = run(t, "--format", "ndjson", "--no-summary", cut)
    check("truncated capture: exit 2, names file and packet",
          rc == 2 and cut in err and "packet" in err, f"rc={rc} {err}")
    check("truncated capture: keeps the records before the break",
          len(out.splitlines()) >= 1 and len(out.splitlines()) <= len(out_full.splitlines()),
          out)

    rc, out, err = run(t, "--format", "ndjson", "--no-summary", "-r", base, "-r", base)
    check("two inputs with -r: records from both",
          rc == 0 and len(out.splitlines()) >= 1, err)

    rc, out, err = run(t, "--format", "ndjson", "--no-summary", "-", stdin=data)
    check("standard input with -", rc == 0 and out == out_full, err)

    outfile = os.path.join(tmp, "out.ndjson")
    rc, out, err = run(t, "--format", "ndjson", "--no-summary", "-o", outfile, base)
    written = open(outfile).read() if os.path.exists(outfile) else ""
    check("-o FILE writes there, not stdout", rc == 0 and out == "" and written == out_full, err)

    rc, out, err = run(t, "--format", "ndjson", "--no-summary", *caps)
    ok = rc == 0
    try:
        flow = None
        for line in out.splitlines():
            obj = json.loads(line)
            kind = obj["event"]["dataset"]
            if kind == "tlsmon.handshake":
                flow = obj["tlsmon"]["flow_id"]
            else:  # an alert event follows its handshake record
                ok = ok and kind == "tlsmon.alert" and \
                    obj["tlsmon"]["flow_id"] == flow
    except (ValueError, KeyError) as e:
        ok = False
        err = str(e)
    check("ndjson: every line is a handshake, or an alert after its "
          "handshake", ok, err)

    # --json: NDJSON appended to a file beside the text output.
    json_path = os.path.join(tmp, "copy.ndjson")
    rc, out, err = run(t, "--format", "text", "--no-summary", "--json",
                       json_path, base)
    rc2, out2, err2 = run(t, "--format", "text", "--no-summary", "--json",
                          json_path, base)
    lines = open(json_path).read().splitlines() if rc == rc2 == 0 else []
    check("--json appends NDJSON beside the text output",
          len(lines) >= 2 and len(lines) % 2 == 0 and
          all(json.loads(x)["event"]["dataset"].startswith("tlsmon.")
              for x in lines) and "->" in out, out + err + err2)

    # Rules: a broken file names file, line and column; nothing runs.
    bad_rules = os.path.join(tmp, "bad.yaml")
    with open(bad_rules, "w") as fp:
        fp.write("rules:\n  - id: x\n    name: n\n    severity: high\n"
                 "    cause: not_tls\n    fix: client\n    message: m\n"
                 "    remediation: r\n    when: {tls.verzion: '1.2'}\n")
    rc, out, err = run(t, "--check-rules", bad_rules)
    check("--check-rules on a broken file: exit 1, FILE:LINE:COLUMN",
          rc == 1 and f"{bad_rules}:9:12: unknown field 'tls.verzion'" in err
          and len(err.strip().splitlines()) == 1, err)
    rc, out, err = run(t, "--rules", bad_rules, base)
    check("--rules with a broken file: exit 1 before any output",
          rc == 1 and out == "" and f"{bad_rules}:9:12" in err, err)
    bad_distrust = os.path.join(tmp, "distrust.tsv")
    with open(bad_distrust, "w") as fp:
        fp.write("# a table\nCA\t" + "ab" * 32 + "\tchrome\tsct\t"
                 "2024-13-01\thttps://example.test\n")
    rc, out, err = run(t, "--distrust-file", bad_distrust, base)
    check("--distrust-file with a bad line: exit 1, FILE:LINE, no output",
          rc == 1 and out == "" and f"{bad_distrust}:2: after:" in err
          and len(err.strip().splitlines()) == 1, err)
    good_rules = os.path.join(tmp, "good.yaml")
    with open(good_rules, "w") as fp:
        fp.write("rules:\n  - id: any-failure\n    name: n\n"
                 "    severity: low\n    cause: not_tls\n    fix: client\n"
                 "    message: 'failed at {destination.port}'\n"
                 "    remediation: r\n    when: {tlsmon.outcome: failed}\n")
    rc, out, err = run(t, "--check-rules", good_rules)
    # The file's rule and the built-in unexplained-failure.
    check("--check-rules on a good file: exit 0, counts the rules",
          rc == 0 and out.strip() == "2 rules OK", out + err)
    rc, out, err = run(t, "--list-rules")
    check("--list-rules prints the built-in set",
          rc == 0 and "protocol-version-client-old" in out, err)
    fail_cap = os.path.join(a.captures, "fail-version.pcap")
    if os.path.exists(fail_cap):
        rc, out, err = run(t, "--format", "ndjson", "--no-summary",
                           "--rules", good_rules, fail_cap)
        lines = [json.loads(x) for x in out.splitlines()] if rc == 0 else []
        alerts = [x for x in lines if x["event"]["dataset"] == "tlsmon.alert"]
        check("--rules FILE replaces the built-in set",
              len(alerts) == 1 and alerts[0]["rule"]["id"] == "any-failure"
              and alerts[0]["message"] == "failed at 4441", out + err)
        rc, out, err = run(t, "--format", "ndjson", "--no-summary",
                           "--rules", "+" + good_rules, fail_cap)
        ids = sorted(json.loads(x).get("rule", {}).get("id", "")
                     for x in out.splitlines())
        check("--rules +FILE adds to the built-in set",
              "any-failure" in ids and "protocol-version-client-old" in ids,
              out + err)
        rc, out, err = run(t, "--format", "ndjson", "--no-summary",
                           "--no-rules", fail_cap)
        rec = json.loads(out.splitlines()[0]) if rc == 0 and out else {}
        check("--no-rules: no cause, no alert events",
              len(out.splitlines()) == 1 and
              "cause" not in rec.get("tlsmon", {}), out + err)
        rc, out, err = run(t, "--format", "ndjson", "--no-summary",
                           fail_cap, fail_cap)
        alerts = [json.loads(x) for x in out.splitlines()
                  if '"tlsmon.alert"' in x]
        check("flood control: the same alert twice in the window is sent once",
              rc == 0 and len(alerts) == 1, out + err)
        # A failure no rule of the set explains still sends an alert:
        # cause unknown, with its stage and who ended it.
        quiet_rules = os.path.join(tmp, "quiet.yaml")
        with open(quiet_rules, "w") as fp:
            fp.write("rules:\n  - id: never\n    name: n\n"
                     "    severity: low\n    cause: not_tls\n    fix: client\n"
                     "    message: m\n    remediation: r\n"
                     "    when: {tlsmon.outcome: established}\n")
        rc, out, err = run(t, "--format", "ndjson", "--no-summary",
                           "--rules", quiet_rules, fail_cap)
        lines = [json.loads(x) for x in out.splitlines()] if rc == 0 else []
        alerts = [x for x in lines if x["event"]["dataset"] == "tlsmon.alert"]
        check("a failure no rule explains: alert event with cause unknown",
              len(alerts) == 1 and
              alerts[0]["rule"]["id"] == "unexplained-failure" and
              alerts[0]["tlsmon"]["cause"] == "unknown" and
              "after_client_hello" in alerts[0]["message"] and
              "server" in alerts[0]["message"] and
              lines[0]["tlsmon"]["cause"] == "unknown", out + err)
        # Flood control holds back the second alert event, never the
        # second handshake line's diagnosis.
        rc, out, err = run(t, "--format", "text", "--no-summary",
                           fail_cap, fail_cap)
        check("text: each handshake line keeps its diagnosis in the window",
              rc == 0 and out.count("! high protocol_version_mismatch") == 2
              and "alert event held back" in out, out + err)
        rc, out, err = run(t, "--format", "ndjson", "--no-summary",
                           "--alert-window", "0", fail_cap, fail_cap)
        alerts = [x for x in out.splitlines() if '"tlsmon.alert"' in x]
        check("--alert-window 0 sends every alert", rc == 0 and
              len(alerts) == 2, out + err)
        check_tuning(t, a.captures, tmp)

    rc, out, err = run(t, "--format", "ndjson", "--summary", base)
    last = json.loads(out.splitlines()[-1]) if out else {}
    check("ndjson --summary: closing summary event",
          rc == 0 and last.get("event", {}).get("dataset") == "tlsmon.summary", out[-300:])

    rc, out, err = run(t, "--format", "text", *caps)
    check("text: summary by default", rc == 0 and "ummary" in out, out[-500:])
    rc, out, err = run(t, "--format", "text", "--no-summary", base)
    check("text --no-summary: no summary", rc == 0 and "ummary" not in out, out)

    rc, out, err = run(t, "--list-fields")
    check("--list-fields lists the registry",
          rc == 0 and "tls.client.server_name" in out and "tlsmon.outcome" in out, out[:300])

    write_failures(t, caps, tmp)

    passed = sum(results)
    failed = len(results) - passed
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
