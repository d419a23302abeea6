"""oracle_cache.py — the answers of the reference tools (tshark, openssl)
that the differential tests compare tlsmon with, kept between runs.

`make test` runs the same tests on the plain and the ASan build; only
tlsmon differs between the two, yet each run asked tshark and openssl the
same questions again, and their answers were most of those tests' time. A
reference tool given the same arguments and the same file contents answers
the same, so an answer is stored under a key made of the tool's binary (its
path, size and modification time: an upgrade is a new key), every argument,
and, for an argument that names a file, that file's contents (not its
path: tests write their inputs to fresh temporary folders). Only commands
that read files and print their answer may go through here; a command that
writes a file would lose that effect on a hit.

The cache lives in $TLSMON_ORACLE_CACHE, else in the system's temporary
folder; removing it is always safe. tlsmon itself is never cached."""
import hashlib
import os
import pickle
import shutil
import subprocess
import tempfile
import types


def cache_dir():
    return os.environ.get("TLSMON_ORACLE_CACHE") or os.path.join(
        tempfile.gettempdir(), f"tlsmon-oracle-cache-{os.getuid()}")


def file_digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as fp:
        for block in iter(lambda: fp.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def command_key(cmd):
    tool = shutil.which(cmd[0])
    if not tool:
        return None
    st = os.stat(os.path.realpath(tool))
    h = hashlib.sha256()
    h.update(f"{os.path.realpath(tool)}\0{st.st_size}\0{st.st_mtime_ns}\0"
             .encode())
    for arg in cmd[1:]:
        h.update(b"\1")
        if os.path.isfile(arg):
            h.update(b"file:" + file_digest(arg).encode())
        else:
            h.update(arg.encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def run(cmd, timeout=300, text=False, check=False):
    """subprocess.run(cmd, capture_output=True, ...) for a reference tool,
    answered from the cache when the same question was asked before.
    Returns an object with returncode, stdout and stderr."""
    key = command_key(cmd)
    path = os.path.join(cache_dir(), key[:2], key) if key else None
    answer = None
    if path and os.path.exists(path):
        try:
            with open(path, "rb") as fp:
                answer = pickle.load(fp)
        except (OSError, EOFError, pickle.UnpicklingError):
            answer = None
    if answer is None:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout)
        answer = (p.returncode, p.stdout, p.stderr)
        if path and p.returncode >= 0:  # not when killed by a signal
            # Written whole then renamed: tests running side by side may
            # ask the same question at once.
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path))
            try:
                with os.fdopen(fd, "wb") as fp:
                    pickle.dump(answer, fp)
                os.replace(tmp, path)
            except OSError:
                os.unlink(tmp)  # a full disk costs only the cache entry
    rc, out, err = answer
    if text:
        out = out.decode("utf-8", "replace")
        err = err.decode("utf-8", "replace")
    if check and rc != 0:
        raise subprocess.CalledProcessError(rc, cmd, out, err)
    return types.SimpleNamespace(returncode=rc, stdout=out, stderr=err)
