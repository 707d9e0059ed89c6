#!/usr/bin/env python3
"""Counts test cases in meson test logs and prints `N passed, M failed`.

Boost.Test executables report their own case counts (--report_level=short),
node's TAP reporter prints `# pass N` / `# fail M`; any other test counts as
one case by its meson result. Usage: summarize.py BUILD_DIR [BUILD_DIR...]
"""
import json
import re
import sys

BOOST_PASSED = re.compile(r"(\d+) test cases? out of (\d+) passed")
BOOST_FAILED = re.compile(r"(\d+) test cases? out of (\d+) failed")
BOOST_SKIPPED = re.compile(r"(\d+) test cases? out of (\d+) skipped")
TAP_PASS = re.compile(r"^# pass (\d+)$", re.M)
TAP_FAIL = re.compile(r"^# fail (\d+)$", re.M)


def count(entry):
    # Boost.Test writes its report to stderr, node TAP to stdout.
    out = (entry.get("stdout") or "") + "\n" + (entry.get("stderr") or "")
    ok = entry.get("result") == "OK"
    passed = [int(m.group(1)) for m in BOOST_PASSED.finditer(out)]
    failed = [int(m.group(1)) for m in BOOST_FAILED.finditer(out)]
    if passed or failed:
        p, f = sum(passed), sum(failed)
        # A crash after the report still fails the executable.
        if not ok and f == 0:
            f = 1
        return p, f
    tp, tf = TAP_PASS.findall(out), TAP_FAIL.findall(out)
    if tp or tf:
        p, f = sum(map(int, tp)), sum(map(int, tf))
        if not ok and f == 0:
            f = 1
        return p, f
    return (1, 0) if ok else (0, 1)


def main(dirs):
    total_p = total_f = 0
    for d in dirs:
        try:
            with open(f"{d}/meson-logs/testlog.json") as fh:
                entries = [json.loads(line) for line in fh if line.strip()]
        except FileNotFoundError:
            print(f"{d}: no test log (build or test run failed)")
            total_f += 1
            continue
        for e in entries:
            p, f = count(e)
            total_p += p
            total_f += f
            print(f"{d}: {e['name']}: {e['result']} ({p} passed, {f} failed)")
    print(f"{total_p} passed, {total_f} failed")
    return 1 if total_f else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
