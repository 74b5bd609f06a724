"""Reference for patchloop-version's pep440 scheme.

Input: a file with one JSON array ["a","b"] per line. Output per line, two
tokens: packaging.version.Version comparison (-1/0/1, or ERR when either
side is not valid PEP 440), then packaging_legacy.version.parse comparison
(LegacyVersion for invalid strings, as osv.dev does). Exit status 3 when
the pinned packages (installed by .ci/install-refs-ver1 into pydeps/) are
missing.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "pydeps"))
# A CPython DoS guard, not a packaging rule: allow any number of digits.
if hasattr(sys, "set_int_max_str_digits"):
    sys.set_int_max_str_digits(0)

try:
    import packaging
    from packaging.version import InvalidVersion, Version
    import packaging_legacy.version as legacy
except ImportError as e:
    sys.stderr.write(f"packaging / packaging-legacy not installed: {e}\n")
    sys.exit(3)

if packaging.__version__ != "26.3":
    sys.stderr.write(f"expected packaging 26.3, found {packaging.__version__}\n")
    sys.exit(3)


def cmp(x, y):
    return -1 if x < y else (1 if x > y else 0)


def main():
    out = []
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            a, b = json.loads(line)
            try:
                strict = str(cmp(Version(a), Version(b)))
            except InvalidVersion:
                strict = "ERR"
            lax = str(cmp(legacy.parse(a), legacy.parse(b)))
            out.append(f"{strict} {lax}")
    sys.stdout.write("".join(o + "\n" for o in out))


main()
