"""Sum up the test runners' reports for .ci/test; exit non-zero unless every runner passed.

Each runner is given as ``--<runner> REPORT EXIT_STATUS``. A runner fails when its exit
status is not 0, when its report is missing or unreadable, when it ran no test, or when a
test failed. A Playwright test that failed and then passed on its retry ("flaky") counts as
failed: CI retries once, and a pass on the second try is not a pass. Failed and flaky tests
are named; the last line printed is ``total: N passed, N failed, N skipped``.
"""
from __future__ import annotations

import argparse
import json
import sys
import xml.etree.ElementTree as ET


def pytest_counts(path: str) -> tuple[int, int, int]:
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    tests = sum(int(s.get("tests", 0)) for s in suites)
    failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    return tests - failed - skipped, failed, skipped


def jest_counts(path: str) -> tuple[int, int, int]:
    with open(path, encoding="utf-8") as f:
        r = json.load(f)
    failed = r["numFailedTests"] + r.get("numRuntimeErrorTestSuites", 0)
    return r["numPassedTests"], failed, r["numPendingTests"] + r.get("numTodoTests", 0)


def playwright_tests(suites: list, path: tuple[str, ...] = ()):
    """``(title, status)`` of every test in a Playwright JSON report's ``suites``.

    The title is the file, describe blocks and test title joined by `` › ``, and the
    project (if any) in brackets; the status is Playwright's: expected, unexpected, flaky
    or skipped.
    """
    for suite in suites:
        here = path + ((suite["title"],) if suite.get("title") else ())
        for spec in suite.get("specs", []):
            for test in spec.get("tests", []):
                title = " › ".join(here + (spec["title"],))
                project = test.get("projectName")
                yield (f"{title} [{project}]" if project else title), test.get("status")
        yield from playwright_tests(suite.get("suites", []), here)


def playwright_counts(path: str) -> tuple[int, int, int]:
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    stats = report["stats"]
    tests = list(playwright_tests(report.get("suites", [])))
    # "flaky": failed, then passed on its retry (CI retries once). Counted as failed, so
    # that a test that passes only sometimes cannot pass CI.
    for status, what in (("unexpected", "failed"),
                         ("flaky", "flaky (failed, then passed on retry)")):
        for title in (title for title, s in tests if s == status):
            print(f"playwright: {what}: {title}")
    flaky = max(stats.get("flaky", 0), sum(status == "flaky" for _, status in tests))
    return stats["expected"], stats["unexpected"] + flaky, stats["skipped"]


READERS = {"pytest": pytest_counts, "jest": jest_counts, "playwright": playwright_counts}


def main() -> int:
    parser = argparse.ArgumentParser()
    for name in READERS:
        parser.add_argument(f"--{name}", nargs=2, metavar=("REPORT", "STATUS"))
    args = parser.parse_args()
    total = [0, 0, 0]
    ok = True
    for name, read in READERS.items():
        given = getattr(args, name)
        if given is None:
            continue
        report, status = given[0], int(given[1])
        try:
            passed, failed, skipped = read(report)
        except (OSError, ValueError, KeyError, ET.ParseError) as err:
            print(f"{name}: no readable report ({type(err).__name__}: {err}); exit status {status}")
            ok = False
            continue
        verdict = "ok"
        if status != 0:
            verdict, ok = f"FAILED (exit status {status})", False
        elif failed:
            verdict, ok = f"FAILED ({failed} failed test(s), exit status 0)", False
        elif passed == 0:
            verdict, ok = "FAILED (ran no test)", False
        print(f"{name}: {passed} passed, {failed} failed, {skipped} skipped: {verdict}")
        total = [a + b for a, b in zip(total, (passed, failed, skipped))]
    if not ok:
        print("test: FAILED (see the runner lines above)")
    print(f"total: {total[0]} passed, {total[1]} failed, {total[2]} skipped")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
