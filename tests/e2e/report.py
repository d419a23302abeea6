#!/usr/bin/env python3
"""report.py — the HTML report (--report) in a real headless Chromium,
Debian's `chromium`, driven over the DevTools protocol (browser.py): the
page renders with no network request and no script error, its overview,
charts and tables agree with tlsmon's own NDJSON and summary, the
connection table filters, sorts and pages, a click on a row opens every
section of that connection's detail (decompressed in the page), Escape
closes it, #flow=N opens one directly, and the baseline comparison is on
the page. Then 20 000 generated connections (paging, a detail from the
last block; the load time is printed, not judged — that is bench/'s job),
and the peer captures' hostile names (nothing but text reaches the page).
Screenshots are kept in --artifacts for CI.

    report.py --tlsmon PATH --captures DIR --artifacts DIR
              [--peer-captures DIR]

Exits 77 (skipped) without chromium."""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser import Browser, BrowserError, chromium_path  # noqa: E402
from tlsmon_run import SANITIZER_MARKS, flatten  # noqa: E402

results = []


def check(name, cond, detail=""):
    results.append(bool(cond))
    print(("ok   " if cond else "FAIL ") + name +
          ("" if cond else f": {str(detail)[:1500]}"))


def tlsmon(t, *args):
    p = subprocess.run([t, *args], capture_output=True, timeout=1200)
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode not in (0, 2) or any(m in err for m in SANITIZER_MARKS):
        raise RuntimeError(f"tlsmon {' '.join(args[:6])}...: exit "
                           f"{p.returncode}: {err[-2000:]}")
    return p.stdout.decode("utf-8", "replace")


def load(b, path):
    page = b.open("file://" + os.path.abspath(path))
    page.wait_for("document.body.dataset.ready === 'yes'", timeout=120)
    return page


def texts(page, selector):
    return page.eval("[...document.querySelectorAll(%s)].map(e => "
                     "e.textContent)" % json.dumps(selector))


def page_is_inert(page, name):
    """No request but the file, no script error, nothing active that the
    page did not put there itself."""
    reqs = [u for u in page.requests() if not u.startswith("file://")]
    check(f"{name}: no network request", not reqs, reqs)
    check(f"{name}: no script error", not page.errors(), page.errors())
    active = page.eval(
        "document.querySelectorAll('img, iframe, object, embed, link, "
        "base, form, a[href], [onerror], [onload], [onclick], "
        "[src]').length")
    scripts = page.eval("document.querySelectorAll('script:not([type])')"
                        ".length")
    check(f"{name}: no element from the data (one script, no links, "
          "images or handlers)", active == 0 and scripts == 1,
          (active, scripts))


def test_captures(b, t, cdir, tmp, artifacts):
    caps = sorted(glob.glob(os.path.join(cdir, "*.pcap")))
    html = os.path.join(tmp, "captures.html")
    out = tlsmon(t, "--format", "ndjson", "--summary", "--ca-file",
                 os.path.join(cdir, "certs", "root-ca.pem"), "--report",
                 html, *caps)
    events = [json.loads(x) for x in out.splitlines()]
    recs = [flatten(e) for e in events
            if e["event"]["dataset"] == "tlsmon.handshake"]
    summary = events[-1]["tlsmon"]["summary"]
    size = os.path.getsize(html)
    with open(html, encoding="utf-8") as fp:
        source = fp.read()
    check("the page is one file with no external reference",
          " src=" not in source and "<link" not in source and
          "url(" not in source and "@import" not in source, size)

    page = load(b, html)
    page_is_inert(page, "project captures")
    page.screenshot(os.path.join(artifacts, "report-overview.png"))

    got = {}
    for c in texts(page, ".card"):
        num = "".join(ch for ch in c if ch.isdigit())
        word = c[len(num):]
        got[word] = int(num)
    want = {"handshakes": len(recs)}
    for o in ("established", "failed", "not_tls", "refused", "incomplete"):
        n = sum(1 for r in recs if r["tlsmon.outcome"] == o)
        if n or o in ("established", "failed"):
            want[o] = n
    check("overview: the outcome counts of the NDJSON", got == want,
          (got, want))
    bars = page.eval("document.querySelectorAll('#chart-time rect').length")
    total = page.eval(
        "[...document.querySelectorAll('#chart-time rect title')].map(t => "
        "+t.textContent.split(': ')[1].split(' ')[0]).reduce((a, b) => a + "
        "b, 0)")
    check("outcomes over time: SVG bars that add up to every handshake",
          bars > 0 and total == len(recs), (bars, total))
    causes = {}
    for r in recs:
        if r.get("tlsmon.cause") not in (None, "none", "unknown"):
            k = (r["tlsmon.cause"], r["tlsmon.fix"])
            causes[k] = causes.get(k, 0) + 1
    rows = page.eval("[...document.querySelectorAll('#causes tbody tr')]"
                     ".map(tr => [...tr.children].map(td => td.textContent))")
    shown = {(r[0], r[1]): int(r[2]) for r in rows if r[0] != "unknown"}
    check("failures by cause and fix side: the records' causes", shown ==
          causes, (shown, causes))
    check("failures by cause: one SVG bar per row",
          page.eval("document.querySelectorAll('#chart-causes .cause-bar')"
                    ".length") == len(rows), len(rows))
    first = page.eval("[...document.querySelector('#server-table tbody tr')"
                      ".children].map(td => td.textContent)")
    top = summary["servers"][0]
    check("server table: the summary's first server, its counts and causes",
          first[0] == f"{top['ip']}:{top['port']}" and
          first[1] == top.get("server_name", "") and
          int(first[2]) == top["handshakes"] and int(first[3]) ==
          top["failed"], (first, top))
    total = len(summary["servers"]) + summary["servers_more"]["servers"]
    check("server table: every server (100 at most, then an 'N more' row)",
          page.eval("document.querySelectorAll('#server-table tbody tr')"
                    ".length") == (total if total <= 100 else 101),
          summary["servers_more"])
    fp_rows = page.eval("document.querySelectorAll('#client-table tbody "
                        "tr').length")
    check("client fingerprint table",
          fp_rows == len({r.get("tlsmon.client.ja4") or
                          r.get("tls.client.ja3") for r in recs
                          if r.get("tlsmon.client.ja4") or
                          r.get("tls.client.ja3")}), fp_rows)

    n = len(recs)
    check("connections: every one, on one page of 100",
          page.eval("document.getElementById('count').textContent") ==
          f"{n} connections" and page.eval(
              "document.querySelectorAll('#conn-body tr').length") ==
          min(n, 100), n)
    times = texts(page, "#conn-body tr td:first-child")
    check("connections: in capture time order", times == sorted(times))

    # A click on a failed row opens its detail.
    page.eval("document.getElementById('failures').click()")
    page.wait_for("document.getElementById('count').textContent.includes("
                  "' of ')")
    outcomes = set(texts(page, "#conn-body td.o-failed, #conn-body "
                               "td.o-not_tls, #conn-body td.o-refused"))
    nfail = sum(1 for r in recs if r["event.outcome"] == "failure")
    check("'failures only' keeps failed, not_tls and refused",
          page.eval("document.getElementById('count').textContent") ==
          f"{nfail} of {n} connections" and
          outcomes <= {"failed", "not_tls", "refused"}, outcomes)
    target = next(r for r in recs if r.get("tls.version") == "1.2" and
                  r["tlsmon.outcome"] == "failed" and
                  r.get("tlsmon.certificate.visible"))
    page.type_text("#q", target["source.ip"] + ":" +
                   str(target["source.port"]))
    page.wait_for("document.querySelectorAll('#conn-body tr').length === 1")
    page.click("#conn-body tr")
    page.wait_for("!document.getElementById('detail').hidden && "
                  "document.querySelectorAll('#detail-body h3').length > 3")
    titles = texts(page, "#detail-body h3")
    body = page.eval("document.getElementById('detail-body').textContent")
    check("a click on a row opens every section of its detail",
          titles[:3] == ["connection", "outcome", "timeline"] and
          "server certificate chain" in titles and "diagnosis" in titles,
          titles)
    check("the detail has the record's facts (SNI, suite, leaf, cause)",
          target["tls.client.server_name"] in body and
          target["tls.cipher"] in body and
          target["tls.server.hash.sha256"] in body and
          target["tlsmon.cause"] in body, body[:500])
    check("the title names the flow and the address becomes #flow=N",
          page.eval("document.getElementById('detail-title').textContent")
          .startswith(f"flow {target['tlsmon.flow_id']}: ") and
          page.eval("location.hash") == f"#flow={target['tlsmon.flow_id']}")
    page.screenshot(os.path.join(artifacts, "report-detail.png"),
                    full_page=False)
    page.key("Escape")
    page.wait_for("document.getElementById('detail').hidden")
    check("Escape closes the detail", True)

    # Outcome select, sorting by a numeric column.
    page.eval("document.getElementById('q').value = ''; "
              "document.getElementById('failures').click()")
    # The version cell names what carried a QUIC or DTLS handshake.
    for proto, label in (("quic", "QUIC 1.3"), ("dtls", "DTLS 1.2")):
        r = next(r for r in recs if r.get("tlsmon.protocol") == proto and
                 r.get("tls.version") == label.split()[1])
        page.eval("document.getElementById('q').value = ''")
        client = f"{r['source.ip']}:{r['source.port']}"
        page.type_text("#q", client)
        page.wait_for("(() => { const rows = document.querySelectorAll("
                      "'#conn-body tr'); return rows.length === 1 && rows[0]"
                      f".children[2].textContent === {json.dumps(client)}; "
                      "})()")
        cell = page.eval("document.querySelector('#conn-body tr "
                         "td:nth-child(6)').textContent")
        check(f"the version cell of a {proto} handshake says {label}",
              cell == label, cell)
    page.eval("document.getElementById('q').value = ''")
    page.eval("(() => { const s = document.getElementById('outcome'); "
              "s.value = 'established'; s.dispatchEvent(new Event('change'));"
              " })()")
    page.wait_for("[...document.querySelectorAll('#conn-body td:nth-child"
                  "(8)')].every(td => td.textContent === 'established')")
    est = sum(1 for r in recs if r["tlsmon.outcome"] == "established")
    check("the outcome select", page.eval(
        "document.getElementById('count').textContent") ==
        f"{est} of {n} connections")
    page.click("#conn th[data-col='12']")
    ms = [float(x) for x in texts(page, "#conn-body td:nth-child(13)") if x]
    check("a click on a header sorts (ms, ascending)", ms == sorted(ms) and
          len(ms) > 5, ms[:10])
    page.click("#conn th[data-col='12']")
    ms = [float(x) for x in texts(page, "#conn-body td:nth-child(13)") if x]
    check("a second click sorts the other way", ms == sorted(ms,
                                                            reverse=True))

    # #flow=N opens it directly (a link someone was sent).
    fid = recs[-1]["tlsmon.flow_id"]
    page2 = load(b, html + f"#flow={fid}")
    page2.wait_for("document.querySelectorAll('#detail-body h3').length > 2")
    check("#flow=N in the address opens that connection's detail",
          page2.eval("document.getElementById('detail-body').dataset.flow")
          == str(fid))


def test_baseline(b, t, cdir, tmp, artifacts):
    html = os.path.join(tmp, "change.html")
    tlsmon(t, "--format", "ndjson", "-o", os.devnull, "--ca-file",
           os.path.join(cdir, "certs", "root-ca.pem"), "--report", html,
           "--baseline", os.path.join(cdir, "change-before.pcap"),
           os.path.join(cdir, "change-after.pcap"))
    page = load(b, html)
    page_is_inert(page, "baseline report")
    started = texts(page, "#changes-started td:first-child")
    certs = page.eval("document.querySelectorAll('#changes-certs tbody tr')"
                      ".length")
    check("the report says what changed since the baseline",
          started == ["server.test:4560"] and certs == 1 and
          texts(page, "#changes-causes td:first-child") == ["untrusted_cert"]
          and len(texts(page, "#changes-clients tbody tr")) == 1,
          (started, certs))
    page.screenshot(os.path.join(artifacts, "report-baseline.png"))


def test_big(b, t, tmp, artifacts):
    gen = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                       "..", "bench", "gencorpus.py")
    cap = os.path.join(tmp, "big.pcap")
    subprocess.run([sys.executable, gen, "--kind", "handshake",
                    "--connections", "20000", "-o", cap], check=True,
                   capture_output=True)
    html = os.path.join(tmp, "big.html")
    out = tlsmon(t, "--format", "ndjson", "--summary", "--report", html, cap)
    n = json.loads(out.splitlines()[-1])["tlsmon"]["summary"]["handshakes"]
    start = time.time()
    page = load(b, html)
    loaded = time.time() - start
    print(f"     20 000 connections: {os.path.getsize(html) / 1e6:.1f} MB, "
          f"ready in {loaded:.1f} s")
    page_is_inert(page, "20 000 connections")
    check("20 000 connections, 100 rows in the DOM",
          n >= 20000 and
          page.eval("document.getElementById('count').textContent") ==
          f"{n} connections" and
          page.eval("document.querySelectorAll('#conn-body tr').length")
          == 100)
    page.click("#next")
    page.wait_for("document.getElementById('page').textContent.startsWith("
                  "'rows 101–200')")
    check("paging: the next hundred", True)
    page.click("#conn th[data-col='1']")
    page.click("#conn th[data-col='1']")
    page.click("#conn-body tr")
    page.wait_for("document.querySelectorAll('#detail-body h3').length > 2")
    check("a connection from the last detail block opens",
          page.eval("document.getElementById('detail-title').textContent")
          .startswith("flow "))
    page.screenshot(os.path.join(artifacts, "report-20000.png"),
                    full_page=False)


def test_peer(b, t, peer, tmp, artifacts):
    files = sorted(glob.glob(os.path.join(peer, "**", "*.pcap*"),
                             recursive=True) +
                   glob.glob(os.path.join(peer, "**", "*.cap"),
                             recursive=True))
    files = [f for f in files if not f.endswith(".json")]
    if not files:
        print(f"note: no peer captures in {peer}: skipped")
        return
    html = os.path.join(tmp, "peer.html")
    tlsmon(t, "--format", "ndjson", "-o", os.devnull, "--report", html,
           *files)
    page = load(b, html)
    page_is_inert(page, f"peer captures ({len(files)} files)")
    page.eval("document.getElementById('failures').click()")
    page.click("#conn-body tr")
    page.wait_for("document.querySelectorAll('#detail-body h3').length > 1")
    check("peer captures: a failure's detail opens", True)
    page.screenshot(os.path.join(artifacts, "report-peer.png"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tlsmon", required=True)
    ap.add_argument("--captures", required=True)
    ap.add_argument("--artifacts", required=True)
    ap.add_argument("--peer-captures")
    a = ap.parse_args()
    if not chromium_path():
        print("chromium is not installed (make deps): skipped")
        return 77
    t = os.path.abspath(a.tlsmon)
    os.makedirs(a.artifacts, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="tlsmon-report-")
    try:
        with Browser() as b:
            test_captures(b, t, a.captures, tmp, a.artifacts)
            test_baseline(b, t, a.captures, tmp, a.artifacts)
            test_big(b, t, tmp, a.artifacts)
            if a.peer_captures and os.path.isdir(a.peer_captures):
                test_peer(b, t, a.peer_captures, tmp, a.artifacts)
    except (BrowserError, RuntimeError) as e:
        check("the browser run", False, e)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    failed = results.count(False)
    print(f"screenshots in {a.artifacts}")
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
