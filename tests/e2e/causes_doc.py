#!/usr/bin/env python3
"""causes_doc.py — docs/causes.md is the cause catalogue generated from the
rules (`tlsmon --list-causes-md`); this test fails when the two disagree.

    causes_doc.py --tlsmon build/tlsmon --doc docs/causes.md [--write]

--write regenerates the file instead of checking it."""
import argparse
import difflib
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tlsmon", required=True)
    ap.add_argument("--doc", required=True)
    ap.add_argument("--write", action="store_true")
    a = ap.parse_args()
    text = subprocess.run([a.tlsmon, "--list-causes-md"], capture_output=True,
                          text=True, check=True).stdout
    if a.write:
        with open(a.doc, "w") as fp:
            fp.write(text)
        print(f"wrote {a.doc}")
        return 0
    try:
        current = open(a.doc).read()
    except OSError as e:
        print(f"FAIL {a.doc}: {e}")
        print("0 passed, 1 failed")
        return 1
    if current != text:
        diff = difflib.unified_diff(current.splitlines(), text.splitlines(),
                                    a.doc, "tlsmon --list-causes-md",
                                    lineterm="", n=1)
        print("\n".join(list(diff)[:60]))
        print(f"FAIL {a.doc} drifted from the rules; regenerate it with "
              f"python3 tests/e2e/causes_doc.py --tlsmon build/tlsmon "
              f"--doc {a.doc} --write")
        print("0 passed, 1 failed")
        return 1
    print(f"ok   {a.doc} matches the rules")
    print("1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
