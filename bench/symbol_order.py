"""Functions of one executable that ran, from callgrind profiles.

    python3 bench/symbol_order.py EXECUTABLE CALLGRIND.OUT... > order.txt

Reads callgrind output written with --demangle=no --compress-strings=no
and prints the mangled name of every function of EXECUTABLE that has a
cost in any profile: first those that ran in the most profiles (what
every command needs: start, store, output; then what one input format
needs, and so on), and among those the highest total self cost first
(ties by name, so the output is stable). A command then touches a few
contiguous stretches of code instead of the union of all. Names callgrind could not resolve (`0x...`) are
left out.
"""

import collections
import os
import sys


def costs(path, exe):
    """Self cost per function of `exe` in one callgrind profile."""
    out = collections.Counter()
    ob = fn = None
    after_calls = False
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("ob="):
                ob = line[3:].strip()
            elif line.startswith("fn="):
                fn = line[3:].strip() if os.path.realpath(ob or "") == exe else None
            elif line.startswith("calls="):
                after_calls = True  # the next cost line is the call's inclusive cost
            elif line[:1].isdigit() or line[:1] in "+-*":
                if after_calls:
                    after_calls = False
                elif fn is not None:
                    parts = line.split()
                    if len(parts) >= 2 and parts[1].isdigit():
                        out[fn] += int(parts[1])
    return out


def main():
    exe = os.path.realpath(sys.argv[1])
    total = collections.Counter()
    runs = collections.Counter()
    for path in sys.argv[2:]:
        one = costs(path, exe)
        total.update(one)
        runs.update(one.keys())
    names = [n for n in total if not n.startswith("0x") and not n.startswith("(")]
    for name in sorted(names, key=lambda n: (-runs[n], -total[n], n)):
        print(name)


if __name__ == "__main__":
    main()
