""".ci/test_summary.py, run as .ci/test runs it, on reports written here: it fails CI for
every way a runner can fail (a failed or flaky test, a non-zero exit status with every test
passed, pytest's exit 5, no test run, no report) and passes it only when all runners passed.
"""
from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest

SUMMARY = pathlib.Path(__file__).resolve().parents[1] / ".ci" / "test_summary.py"


def summarize(*runners: tuple[str, pathlib.Path, int]) -> tuple[int, str]:
    """Exit code and output of the summary for ``(runner, report, exit status)`` triples."""
    args = [arg for name, report, status in runners
            for arg in (f"--{name}", str(report), str(status))]
    done = subprocess.run([sys.executable, str(SUMMARY), *args],
                          capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout + done.stderr


def totals(output: str) -> str:
    last = output.strip().splitlines()[-1]
    assert last.startswith("total: "), output
    return last


def pytest_xml(path: pathlib.Path, tests: int, failures: int = 0, errors: int = 0,
               skipped: int = 0) -> pathlib.Path:
    # As pytest --junitxml writes it: <testsuites> around one <testsuite>.
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites>'
        f'<testsuite name="pytest" tests="{tests}" failures="{failures}" errors="{errors}" '
        f'skipped="{skipped}" time="1.0"></testsuite></testsuites>')
    return path


def jest_json(path: pathlib.Path, passed: int, failed: int = 0, pending: int = 0,
              runtime_errors: int = 0) -> pathlib.Path:
    # The fields of `jest --json` that the summary reads, plus a few it ignores.
    path.write_text(json.dumps({
        "numTotalTests": passed + failed + pending, "numPassedTests": passed,
        "numFailedTests": failed, "numPendingTests": pending, "numTodoTests": 0,
        "numRuntimeErrorTestSuites": runtime_errors, "success": not failed,
        "testResults": []}))
    return path


def playwright_test(title: str, status: str, project: str = "jupyterlab") -> dict:
    results = {"expected": ["passed"], "unexpected": ["failed", "failed"],
               "flaky": ["failed", "passed"], "skipped": ["skipped"]}[status]
    return {"title": title, "ok": status != "unexpected", "tests": [{
        "projectName": project, "expectedStatus": "passed", "status": status,
        "results": [{"retry": k, "status": s} for k, s in enumerate(results)]}]}


def playwright_json(path: pathlib.Path, *tests: tuple[str, str]) -> pathlib.Path:
    """A Playwright JSON report of ``(title, status)`` tests: one file, one describe block
    holding the last test, and the stats Playwright computes from them."""
    specs = [playwright_test(title, status) for title, status in tests]
    path.write_text(json.dumps({
        "config": {}, "errors": [],
        "suites": [{"title": "tests/demo.spec.ts", "file": "tests/demo.spec.ts",
                    "specs": specs[:-1],
                    "suites": [{"title": "sidebar", "file": "tests/demo.spec.ts",
                                "specs": specs[-1:], "suites": []}]}],
        "stats": {"startTime": "2026-01-01T00:00:00.000Z", "duration": 1.0,
                  **{k: sum(s == k for _, s in tests)
                     for k in ("expected", "unexpected", "flaky", "skipped")}}}))
    return path


@pytest.fixture
def reports(tmp_path):
    """Reports of three runners that all passed."""
    return {"pytest": pytest_xml(tmp_path / "pytest.xml", tests=5, skipped=1),
            "jest": jest_json(tmp_path / "jest.json", passed=7),
            "playwright": playwright_json(tmp_path / "results.json",
                                          ("opens", "expected"), ("shows a NaN", "expected"))}


def test_all_runners_passed(reports):
    code, out = summarize(*((name, path, 0) for name, path in reports.items()))
    assert code == 0, out
    assert "pytest: 4 passed, 0 failed, 1 skipped: ok" in out
    assert "jest: 7 passed, 0 failed, 0 skipped: ok" in out
    assert "playwright: 2 passed, 0 failed, 0 skipped: ok" in out
    assert totals(out) == "total: 13 passed, 0 failed, 1 skipped"


def test_a_flaky_ui_test_is_a_failure_and_is_named(reports, tmp_path):
    # Passed on its retry; Playwright itself exits 0 for that unless --fail-on-flaky-tests.
    flaky = playwright_json(tmp_path / "flaky.json",
                            ("opens", "expected"), ("shows a NaN", "flaky"))
    code, out = summarize(("pytest", reports["pytest"], 0), ("jest", reports["jest"], 0),
                          ("playwright", flaky, 0))
    assert code == 1, out
    assert ("playwright: flaky (failed, then passed on retry): "
            "tests/demo.spec.ts › sidebar › shows a NaN [jupyterlab]") in out
    assert "playwright: 1 passed, 1 failed, 0 skipped: FAILED" in out
    assert totals(out) == "total: 12 passed, 1 failed, 1 skipped"


def test_a_failed_ui_test_is_named(tmp_path):
    report = playwright_json(tmp_path / "failed.json",
                             ("shows a NaN", "unexpected"), ("opens", "expected"))
    code, out = summarize(("playwright", report, 1))
    assert code == 1, out
    assert "playwright: failed: tests/demo.spec.ts › shows a NaN [jupyterlab]" in out
    assert "playwright: 1 passed, 1 failed, 0 skipped: FAILED (exit status 1)" in out


def test_pytest_exit_5_fails_even_with_a_clean_report(reports):
    # Exit 5: pytest collected no test. Its report may still be a well-formed empty suite.
    code, out = summarize(("pytest", reports["pytest"], 5), ("jest", reports["jest"], 0))
    assert code == 1, out
    assert "pytest: 4 passed, 0 failed, 1 skipped: FAILED (exit status 5)" in out


def test_pytest_that_ran_no_test_fails(tmp_path):
    code, out = summarize(("pytest", pytest_xml(tmp_path / "empty.xml", tests=0), 0))
    assert code == 1, out
    assert "pytest: 0 passed, 0 failed, 0 skipped: FAILED (ran no test)" in out


def test_pytest_failures_and_errors_fail(tmp_path):
    report = pytest_xml(tmp_path / "pytest.xml", tests=6, failures=1, errors=1)
    code, out = summarize(("pytest", report, 1))
    assert code == 1, out
    assert "pytest: 4 passed, 2 failed, 0 skipped: FAILED (exit status 1)" in out


def test_jest_nonzero_exit_fails_though_every_test_passed(reports):
    # Jest exits 1 with every test passed when, e.g., an unhandled rejection or a log after
    # the tests ended breaks the run: the report alone looks clean.
    code, out = summarize(("jest", reports["jest"], 1))
    assert code == 1, out
    assert "jest: 7 passed, 0 failed, 0 skipped: FAILED (exit status 1)" in out
    assert totals(out) == "total: 7 passed, 0 failed, 0 skipped"


def test_a_jest_suite_that_could_not_run_fails(tmp_path):
    report = jest_json(tmp_path / "jest.json", passed=7, runtime_errors=1)
    code, out = summarize(("jest", report, 0))
    assert code == 1, out
    assert "jest: 7 passed, 1 failed, 0 skipped: FAILED" in out


def test_a_missing_report_fails(reports, tmp_path):
    code, out = summarize(("pytest", reports["pytest"], 0),
                          ("playwright", tmp_path / "no-such-report.json", 0))
    assert code == 1, out
    assert "playwright: no readable report (FileNotFoundError" in out
    assert totals(out) == "total: 4 passed, 0 failed, 1 skipped"
