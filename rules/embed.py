#!/usr/bin/env python3
"""embed.py — turn rules/default.yaml into a C source file, so the default
rule set is part of the binary and tlsmon runs with it without any file."""
import sys


# Bytes past 0x7f are written as character constants ('\xe2'): an integer
# over 127 in a char array is a conversion -Wconversion refuses.
def main():
    src, out = sys.argv[1], sys.argv[2]
    data = open(src, "rb").read()
    with open(out, "w") as fp:
        fp.write("/* Generated from rules/default.yaml by rules/embed.py. */\n")
        fp.write("#include <stddef.h>\n")
        fp.write("extern const char rules_default_yaml[];\n")
        fp.write("extern const size_t rules_default_yaml_len;\n")
        fp.write("const char rules_default_yaml[] = {\n")
        for i in range(0, len(data), 16):
            fp.write("    " + ", ".join(str(b) if b < 0x80 else "'\\x%02x'" % b
                                 for b in data[i:i + 16]) +
                     ",\n")
        fp.write("    0};\n")
        fp.write(f"const size_t rules_default_yaml_len = {len(data)};\n")


if __name__ == "__main__":
    main()
