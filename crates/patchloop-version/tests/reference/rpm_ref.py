"""Reference for the rpm scheme.

Reads "A B" lines on stdin and prints, per line, the sign of
rpm.labelCompare(evr(A), evr(B)) as -1/0/1, where evr() splits an
[epoch:]version[-release] string the way rpm's parseEVR does: leading
digits followed by ':' are the epoch (empty epoch -> "0", none -> "0"),
the release is everything after the last '-' (none -> "").
Prints ERR when rpm rejects a version (python3-rpm 4.18 builds an rpmver,
which needs a non-empty version part).

Run with Debian's /usr/bin/python3 (package python3-rpm).
"""
import sys

import rpm


def evr(s):
    i = 0
    while i < len(s) and "0" <= s[i] <= "9":
        i += 1
    if i < len(s) and s[i] == ":":
        epoch, rest = s[:i] or "0", s[i + 1:]
    else:
        epoch, rest = "0", s
    version, sep, release = rest.rpartition("-")
    if not sep:
        version, release = rest, ""
    return (epoch, version, release)


def main():
    sys.stdin.reconfigure(encoding="utf-8")
    out = []
    for line in sys.stdin:
        line = line.rstrip("\n")
        a, sep, b = line.partition(" ")
        if not sep or not a or not b:
            out.append("ERR")
            continue
        try:
            r = rpm.labelCompare(evr(a), evr(b))
        except ValueError:  # "invalid version": empty version part
            out.append("ERR")
            continue
        out.append("-1" if r < 0 else "1" if r > 0 else "0")
    sys.stdout.write("\n".join(out) + ("\n" if out else ""))


main()
