"""Reference for patchloop-risk's CVSS scores (tests/diff_cvss.rs).

Red Hat's `cvss` library from PyPI, version 3.6 (installed by
.ci/install-refs-cvss). Reads one vector per line on stdin (only the line
break is removed: every other character is passed to the library as is)
and prints one tab-separated line per vector:

    V2   base  temporal  environmental  severity
    V30  base  temporal  environmental  severity   (likewise V31)
    V40  score  severity
    ERR  reason

v2/v3 scores have one decimal; a v2 temporal or environmental score the
library leaves undefined (no metric of that group given) is printed as
`-`. The severity is the library's rating of the base score (v2: NVD's
Low/Medium/High). Which class scores a line is chosen by its prefix:
`CVSS:4.0/` -> CVSS4, `CVSS:3.` -> CVSS3, anything else -> CVSS2; a v2
vector in NVD's parentheses `(AV:N/...)` or with a `CVSS:2.0/` prefix is
unwrapped first (one pair of parentheses, one prefix), the two notations
patchloop accepts for v2. Exit status 3 when the library is missing or
is not version 3.6. Any other exception from the library is not caught:
the script fails and so does the test.
"""

import sys

try:
    import cvss
    from cvss import CVSS2, CVSS3, CVSS4, CVSSError
except ImportError as e:
    sys.stderr.write(f"python `cvss` library not installed: {e}\n")
    sys.exit(3)

if getattr(cvss, "__version__", None) != "3.6":
    sys.stderr.write(f"expected cvss 3.6, found {getattr(cvss, '__version__', '?')}\n")
    sys.exit(3)


def fmt(score):
    return "-" if score is None else f"{score:.1f}"


def unwrap_v2(v):
    if v.startswith("(") and v.endswith(")"):
        v = v[1:-1]
    if v.startswith("CVSS:2.0/"):
        v = v[len("CVSS:2.0/"):]
    return v


def score(v):
    try:
        if v.startswith("CVSS:4.0/"):
            c = CVSS4(v)
            return f"V40\t{fmt(c.base_score)}\t{c.severity}"
        if v.startswith("CVSS:3."):
            c = CVSS3(v)
            tag = "V30" if c.minor_version == 0 else "V31"
            b, t, e = c.scores()
            return f"{tag}\t{fmt(b)}\t{fmt(t)}\t{fmt(e)}\t{c.severities()[0]}"
        c = CVSS2(unwrap_v2(v))
        b, t, e = c.scores()
        return f"V2\t{fmt(b)}\t{fmt(t)}\t{fmt(e)}\t{c.severities()[0]}"
    except CVSSError as e:
        reason = " ".join(str(e).split())
        return f"ERR\t{type(e).__name__}: {reason}"


def main():
    data = sys.stdin.buffer.read().decode("utf-8")
    lines = data.split("\n")
    if lines[-1] == "":
        lines.pop()  # the final line break
    sys.stdout.write("".join(score(line) + "\n" for line in lines))


main()
