"""tlsmon_run.py — run tlsmon on a capture and return its handshake records
as flat dicts (dotted ECS/tlsmon names), for the end-to-end test scripts."""
import json
import os
import shlex
import subprocess

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:", "AddressSanitizer:DEADLYSIGNAL")


def flatten(obj, prefix="", out=None):
    """{"tls": {"version": "1.2"}} -> {"tls.version": "1.2"}; lists stay."""
    if out is None:
        out = {}
    for key, value in obj.items():
        name = prefix + key
        if isinstance(value, dict):
            flatten(value, name + ".", out)
        else:
            out[name] = value
    return out


class RunError(Exception):
    pass


def run_tlsmon(tlsmon, capture, extra=(), timeout=120):
    """Returns (records, exit code, stderr). Raises RunError on a crash, a
    hang or a sanitizer report: those are failures whatever the output."""
    # TLSMON_WRAPPER runs it under a checker, e.g. valgrind with
    # --error-exitcode=99 (any exit code above 2 is a failure).
    cmd = shlex.split(os.environ.get("TLSMON_WRAPPER", "")) + \
        [tlsmon, "--format", "ndjson", "--no-summary", *extra, capture]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RunError(f"{capture}: tlsmon did not finish in {timeout}s")
    err = proc.stderr.decode("utf-8", "replace")
    if proc.returncode < 0 or proc.returncode > 2:
        raise RunError(f"{capture}: tlsmon exited {proc.returncode}: {err[-2000:]}")
    if any(mark in err for mark in SANITIZER_MARKS):
        raise RunError(f"{capture}: sanitizer report: {err[-4000:]}")
    records = []
    for n, line in enumerate(proc.stdout.decode("utf-8", "replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise RunError(f"{capture}: output line {n} is not JSON: {e}: {line[:200]}")
        flat = flatten(obj)
        if flat.get("event.dataset") == "tlsmon.handshake":
            records.append(flat)
    return records, proc.returncode, err
