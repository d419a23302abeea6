#!/usr/bin/env python3
"""embed.py — turn a data file (rules/default.yaml, rules/distrust.tsv) into
a C source file, so the defaults are part of the binary and tlsmon runs
without any file. Usage: embed.py INPUT OUTPUT [SYMBOL]; the symbol is
rules_default_yaml unless given, and SYMBOL_len holds the length."""
import sys


# Bytes past 0x7f are written as character constants ('\xe2'): an integer
# over 127 in a char array is a conversion -Wconversion refuses.
def main():
    src, out = sys.argv[1], sys.argv[2]
    sym = sys.argv[3] if len(sys.argv) > 3 else "rules_default_yaml"
    name = "rules/" + src.replace("\\", "/").rsplit("/", 1)[-1]
    data = open(src, "rb").read()
    with open(out, "w") as fp:
        fp.write(f"/* Generated from {name} by rules/embed.py. */\n")
        fp.write("#include <stddef.h>\n")
        fp.write(f"extern const char {sym}[];\n")
        fp.write(f"extern const size_t {sym}_len;\n")
        fp.write(f"const char {sym}[] = {{\n")
        for i in range(0, len(data), 16):
            fp.write("    " + ", ".join(str(b) if b < 0x80 else "'\\x%02x'" % b
                                 for b in data[i:i + 16]) +
                     ",\n")
        fp.write("    0};\n")
        fp.write(f"const size_t {sym}_len = {len(data)};\n")


if __name__ == "__main__":
    main()
