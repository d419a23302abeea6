#!/usr/bin/env python3
"""embed_asset.py — a text file (the report's CSS and JavaScript) as a C
string, so the HTML report is written from the binary alone.

    embed_asset.py SRC OUT SYMBOL"""
import sys


# Bytes past 0x7f are written as character constants ('\xe2'): an integer
# over 127 in a char array is a conversion -Wconversion refuses.
def main():
    src, out, symbol = sys.argv[1], sys.argv[2], sys.argv[3]
    data = open(src, "rb").read()
    if b"</" + b"script" in data.lower() or b"</" + b"style" in data.lower():
        sys.exit(f"{src}: would close its HTML element early")
    with open(out, "w") as fp:
        fp.write(f"/* Generated from {src.split('/')[-1]} by embed_asset.py. */\n")
        fp.write(f"extern const char {symbol}[];\n")
        fp.write(f"const char {symbol}[] = {{\n")
        for i in range(0, len(data), 16):
            fp.write("    " + ", ".join(str(b) if b < 0x80 else "'\\x%02x'" % b
                                 for b in data[i:i + 16]) + ",\n")
        fp.write("    0};\n")


if __name__ == "__main__":
    main()
