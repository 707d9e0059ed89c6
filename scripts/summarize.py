#!/usr/bin/env python3
"""Counts test cases in meson test logs; the last line is `N passed, M failed, K skipped`.

Boost.Test executables report their own case counts (--report_level=short) and
name each skipped case in their log; node's TAP reporter prints `# pass N`,
`# fail N`, `# cancelled N` and marks each skipped or todo test with a `# SKIP`
or `# TODO` directive; any other test counts as one case by its meson result
(SKIP, exit code 77, is a skip). A report of zero cases, a failed meson
result without a failing case (a crash or sanitizer report after the report)
and a `not ok` suite hook are failures. With CI=true a skip is a failure
unless scripts/allowed-skips lists it with its reason.

Usage: summarize.py [--failed REASON]... [--exit DIR=CODE]... BUILD_DIR...
  --failed REASON   something that stopped tests from running (a failed build,
                    a script that exited early): one failure, REASON printed
  --exit DIR=CODE   meson test's exit code in DIR: non-zero while the log
                    shows no failure is one failure (a result nobody saw)
Exits 1 when anything failed.
"""
import argparse
import json
import os
import re
import sys

ALLOWED_SKIPS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "allowed-skips")

BOOST_PASSED = re.compile(r"^\s*(\d+) test cases? out of \d+ passed$", re.M)
BOOST_FAILED = re.compile(r"^\s*(\d+) test cases? out of \d+ failed$", re.M)
BOOST_SKIPPED = re.compile(r"^\s*(\d+) test cases? out of \d+ skipped$", re.M)
BOOST_WARNED = re.compile(r"^\s*(\d+) test cases? out of \d+ passed with warnings$", re.M)
BOOST_SKIP_LINE = re.compile(r'Test (?:case|suite) "([^"]+)" is skipped because (.*)$', re.M)
TAP_PASS = re.compile(r"^# pass (\d+)$", re.M)
TAP_FAIL = re.compile(r"^# fail (\d+)$", re.M)
TAP_CANCELLED = re.compile(r"^# cancelled (\d+)$", re.M)
TAP_SKIPPED = re.compile(r"^# (?:skipped|todo) (\d+)$", re.M)
TAP_SUBTEST = re.compile(r"^( *)# Subtest: (.*)$")
TAP_NOT_OK = re.compile(r"^ *not ok \d+ - (.*)$", re.M)
TAP_DIRECTIVE = re.compile(r"^( *)(?:not )?ok \d+ - (.*?) # (SKIP|TODO)\b ?(.*)$")

OK_RESULTS = {"OK", "EXPECTEDFAIL"}


class Counts:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skips = []  # (name, reason)
        self.note = ""  # why a failure was counted that the report does not show

    @property
    def skipped(self):
        return len(self.skips)


def tap_skips(out, test):
    """(name, reason) of every test or suite a `# SKIP`/`# TODO` directive marks."""
    skips = []
    path = []  # names of the enclosing subtests, by nesting level
    for line in out.splitlines():
        m = TAP_SUBTEST.match(line)
        if m:
            level = len(m.group(1)) // 4
            del path[level:]
            path.append(m.group(2))
            continue
        m = TAP_DIRECTIVE.match(line)
        if m:
            level = len(m.group(1)) // 4
            name = " > ".join(path[:level] + [m.group(2)])
            reason = m.group(4).strip() or ("todo" if m.group(3) == "TODO" else "no reason given")
            skips.append((f"{test} / {name}", reason))
    return skips


def boost_filtered(entry):
    """Whether the test ran a Boost.Test executable with a --run_test/-t filter."""
    return any(a.startswith("--run_test") or a == "-t" or (a.startswith("-t") and len(a) > 2)
               for a in (entry.get("command") or [])[1:])


def count(entry, test):
    # Boost.Test writes its report to stderr, node TAP to stdout.
    out = (entry.get("stdout") or "") + "\n" + (entry.get("stderr") or "")
    ok = entry.get("result") in OK_RESULTS
    c = Counts()
    boost = BOOST_PASSED.search(out) or BOOST_FAILED.search(out)
    tap = TAP_PASS.search(out) or TAP_FAIL.search(out)
    if boost:
        # "passed with warnings" is a second, disjoint group of passed cases;
        # aborted cases are already among the failed ones.
        c.passed = sum(map(int, BOOST_PASSED.findall(out))) + sum(map(int, BOOST_WARNED.findall(out)))
        c.failed = sum(map(int, BOOST_FAILED.findall(out)))
        c.skips = [(f"{test} / {n}", r.strip()) for n, r in BOOST_SKIP_LINE.findall(out)]
        reported = sum(map(int, BOOST_SKIPPED.findall(out)))
        if boost_filtered(entry):
            # Boost reports what a --run_test filter leaves out as skipped
            # "because disabled"; those cases run in the unfiltered
            # registration of the same executable, which counts its own skips.
            c.skips = [sk for sk in c.skips if sk[1] != "disabled"]
            reported = len(c.skips)
    elif tap:
        c.passed = sum(map(int, TAP_PASS.findall(out)))
        c.failed = sum(map(int, TAP_FAIL.findall(out))) + sum(map(int, TAP_CANCELLED.findall(out)))
        if c.failed == 0:
            # A failed hook of a suite (its after() found a crash) is a
            # `not ok` line that node does not count under `# fail`.
            not_ok = [n for n in TAP_NOT_OK.findall(out) if not re.search(r" # (TODO|SKIP)\b", n)]
            if not_ok:
                c.failed, c.note = len(not_ok), "not ok: " + "; ".join(not_ok)
        # A skipped suite is one directive and no count: its tests never ran.
        c.skips = tap_skips(out, test)
        reported = sum(map(int, TAP_SKIPPED.findall(out)))
    elif entry.get("result") == "SKIP":
        lines = [l for l in out.splitlines() if l.strip()]
        c.skips = [(test, lines[-1].strip() if lines else "exit code 77")]
        return c
    else:
        if ok:
            c.passed = 1
        else:
            lines = [l.strip() for l in out.splitlines() if l.strip()]
            c.failed, c.note = 1, (lines[-1][:200] if lines else "")
        return c
    # A count without names (a Boost suite skipped as a whole) still counts.
    for _ in range(reported - len(c.skips)):
        c.skips.append((f"{test} / (unnamed)", "counted by the test's report, not named in its log"))
    if c.passed + c.failed + c.skipped == 0:
        c.failed, c.note = 1, "its report counts no test case"
    elif not ok and c.failed == 0:
        c.failed, c.note = 1, "it failed after a report without failures (a crash, a sanitizer report at exit)"
    return c


def load_allowed(path):
    """{skip name: reason} from the reviewed list; lines without a reason are errors."""
    allowed, errors = {}, []
    try:
        with open(path) as fh:
            for n, line in enumerate(fh, 1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                name, sep, reason = line.partition(" | ")
                if not sep or not reason.strip():
                    errors.append(f"{os.path.relpath(path)}:{n}: no reason given (`NAME | REASON`): {line}")
                    continue
                allowed[name.strip()] = reason.strip()
    except FileNotFoundError:
        pass
    return allowed, errors


def main(argv):
    ap = argparse.ArgumentParser(description="Counts test cases in meson test logs.")
    ap.add_argument("--failed", action="append", default=[], metavar="REASON")
    ap.add_argument("--exit", action="append", default=[], metavar="DIR=CODE")
    ap.add_argument("dirs", nargs="*")
    args = ap.parse_args(argv)
    exit_codes = {}
    for spec in args.exit:
        d, _, code = spec.rpartition("=")
        exit_codes[d] = int(code)

    in_ci = os.environ.get("CI", "").lower() in ("true", "1", "yes")
    allowed, list_errors = load_allowed(ALLOWED_SKIPS) if in_ci else ({}, [])
    passed = skipped = 0
    failures = list(args.failed) + list_errors  # each one failure
    failed_cases = 0  # counted by the tests' own reports
    failing_tests = []
    skips = []
    for d in args.dirs:
        try:
            with open(f"{d}/meson-logs/testlog.json") as fh:
                entries = [json.loads(line) for line in fh if line.strip()]
        except FileNotFoundError:
            failures.append(f"{d}: no test log (the build or the test run failed)")
            continue
        dir_failed = 0
        for e in entries:
            test = e["name"].split(" / ")[-1]  # meson may prefix "project:suite / "
            c = count(e, test)
            passed += c.passed
            dir_failed += c.failed
            if c.failed:
                note = f": {c.note}" if c.note else ""
                failing_tests.append(f"{d}: {test}: {e['result']} ({c.failed} failed){note}")
            skips += [(d, name, reason) for name, reason in c.skips]
            print(f"{d}: {test}: {e['result']} ({c.passed} passed, {c.failed} failed, {c.skipped} skipped)")
        failed_cases += dir_failed
        code = exit_codes.get(d, 0)
        if code != 0 and dir_failed == 0:
            failures.append(f"{d}: meson test exited {code} but its log shows no failing test")
    for d, name, reason in skips:
        if not in_ci:
            skipped += 1
            print(f"skipped {d}: {name}: {reason}")
        elif name in allowed:
            skipped += 1
            print(f"skipped {d}: {name}: {reason} (allowed in CI: {allowed[name]})")
        else:
            failures.append(f"{d}: {name}: skipped in CI and not in scripts/allowed-skips: {reason}")
    failed = failed_cases + len(failures)
    for f in failing_tests + failures:
        print(f"FAILED {f}")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
