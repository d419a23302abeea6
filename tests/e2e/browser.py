"""browser.py — a real headless Chromium (Debian's `chromium`) driven over
the DevTools protocol on a pipe (--remote-debugging-pipe: commands on the
child's fd 3, answers on fd 4, each a JSON message ended by a NUL byte),
with nothing but the Python standard library. For the HTML report test:
load a page, run script in it, click, take a screenshot, and see every
network request and script error the page made.

    with Browser() as b:
        page = b.open("file:///tmp/report.html")
        page.eval("document.title")
        page.screenshot("shot.png")
"""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
    "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
    "--remote-debugging-pipe",
]


def chromium_path():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


class BrowserError(Exception):
    pass


class Browser:
    def __init__(self, width=1400, height=1000, timeout=60):
        self.path = chromium_path()
        if not self.path:
            raise BrowserError("chromium is not installed (make deps)")
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="tlsmon-chromium-")
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()

        # The child reads commands on fd 3 and writes answers on fd 4.
        # subprocess closes every descriptor not in pass_fds after
        # preexec_fn runs, so the pipe ends are moved to 3 and 4 there and
        # those two numbers are the ones kept.
        def fds():
            r, w = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(r, 3)
            os.dup2(w, 4)

        keep = (3, 4)
        for fd in keep:  # pass_fds wants them open in the parent too
            try:
                os.fstat(fd)
            except OSError:
                os.dup2(0, fd)
        self.proc = subprocess.Popen(
            [self.path, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}",
             f"--window-size={width},{height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, preexec_fn=fds, pass_fds=keep)
        os.close(to_child_r)
        os.close(from_child_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.send("Browser.close", wait=False)
        except (BrowserError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self.to_child, self.from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def _read_message(self, deadline):
        while b"\0" not in self.buf:
            if time.time() > deadline:
                raise BrowserError("chromium did not answer in time")
            chunk = os.read(self.from_child, 1 << 20)
            if not chunk:
                raise BrowserError("chromium went away")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=None, wait=True):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_child, json.dumps(msg).encode() + b"\0")
        if not wait:
            return None
        deadline = time.time() + self.timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method, session=None, timeout=None):
        deadline = time.time() + (timeout or self.timeout)
        for i, ev in enumerate(self.events):
            if ev.get("method") == method and \
                    (session is None or ev.get("sessionId") == session):
                return self.events.pop(i)
        while True:
            ev = self._read_message(deadline)
            if ev.get("method") == method and \
                    (session is None or ev.get("sessionId") == session):
                return ev
            self.events.append(ev)

    def open(self, url):
        target = self.send("Target.createTarget", {"url": "about:blank"})
        session = self.send("Target.attachToTarget",
                            {"targetId": target["targetId"],
                             "flatten": True})["sessionId"]
        page = Page(self, session)
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.send(domain + ".enable", session=session)
        self.events.clear()
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_event("Page.loadEventFired", session)
        return page


class Page:
    def __init__(self, browser, session):
        self.b = browser
        self.session = session

    def eval(self, expression):
        """The value of a JavaScript expression (awaited if a promise)."""
        r = self.b.send("Runtime.evaluate",
                        {"expression": expression, "awaitPromise": True,
                         "returnByValue": True}, session=self.session)
        if "exceptionDetails" in r:
            raise BrowserError(f"{expression[:80]}: "
                               f"{r['exceptionDetails'].get('text')} "
                               f"{r['exceptionDetails'].get('exception', {}).get('description', '')}")
        return r["result"].get("value")

    def wait_for(self, expression, timeout=30):
        """Poll until the expression is truthy; its value."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = self.eval(expression)
            if value:
                return value
            time.sleep(0.05)
        raise BrowserError(f"never true: {expression}")

    def key(self, key):
        for kind in ("keyDown", "keyUp"):
            self.b.send("Input.dispatchKeyEvent",
                        {"type": kind, "key": key, "code": key,
                         "windowsVirtualKeyCode": 27 if key == "Escape" else 0},
                        session=self.session)

    def click(self, selector):
        """A real mouse click in the middle of the element's visible part
        (a table row can be wider than the window)."""
        box = self.eval(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return null; e.scrollIntoView({block: 'center'});"
            " const r = e.getBoundingClientRect();"
            " const x0 = Math.max(r.left, 0), y0 = Math.max(r.top, 0);"
            " const x1 = Math.min(r.right, window.innerWidth);"
            " const y1 = Math.min(r.bottom, window.innerHeight);"
            " return [(x0 + x1) / 2, (y0 + y1) / 2]; })()")
        if not box:
            raise BrowserError(f"nothing matches {selector}")
        for kind in ("mousePressed", "mouseReleased"):
            self.b.send("Input.dispatchMouseEvent",
                        {"type": kind, "x": box[0], "y": box[1],
                         "button": "left", "clickCount": 1},
                        session=self.session)

    def type_text(self, selector, text):
        self.eval(f"document.querySelector({json.dumps(selector)}).focus()")
        self.b.send("Input.insertText", {"text": text}, session=self.session)

    def screenshot(self, path, full_page=True):
        params = {"format": "png"}
        if full_page:
            metrics = self.b.send("Page.getLayoutMetrics", session=self.session)
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": size["width"],
                              "height": min(size["height"], 12000),
                              "scale": 1}
            params["captureBeyondViewport"] = True
        data = self.b.send("Page.captureScreenshot", params,
                           session=self.session)["data"]
        with open(path, "wb") as fp:
            fp.write(base64.b64decode(data))

    def requests(self):
        """URLs the page asked the network for."""
        return [ev["params"]["request"]["url"] for ev in self.b.events
                if ev.get("method") == "Network.requestWillBeSent"
                and ev.get("sessionId") == self.session]

    def errors(self):
        """Script exceptions and console errors so far."""
        out = []
        for ev in self.b.events:
            if ev.get("sessionId") != self.session:
                continue
            m = ev.get("method")
            if m == "Runtime.exceptionThrown":
                d = ev["params"]["exceptionDetails"]
                out.append(d.get("exception", {}).get("description")
                           or d.get("text"))
            elif m == "Runtime.consoleAPICalled" and \
                    ev["params"].get("type") == "error":
                out.append(" ".join(str(a.get("value")) for a in
                                    ev["params"].get("args", [])))
            elif m == "Log.entryAdded" and \
                    ev["params"]["entry"].get("level") == "error":
                out.append(ev["params"]["entry"].get("text"))
        return out
