"""Summary and verdict of the OSB conformance run (`.ci/schemathesis`).

usage: summary.py OUT_DIR NAME:EXIT_CODE [NAME:EXIT_CODE ...]

For each description NAME (swagger, openapi) it reads, from OUT_DIR:
  NAME.ndjson         Schemathesis's event stream (every test case and check)
  NAME.json           Schemathesis's run report (failures, errors)
  NAME.failures.jsonl every failure and how osb_hooks.py classified it
and prints, per file and per check, how many test cases the check ran on and how
they ended: passed, excepted (dropped by a documented exception of osb_hooks.py),
known bug (kept, reported, listed in .ci/schemathesis), failed (anything else).

It exits 1 when a check failed for a reason that is neither a documented
exception nor an active known bug, when Schemathesis reported an error or a
failure this script cannot account for, or when Schemathesis exited with
anything but 0 or 1 (1 = failures found). Otherwise 0.
"""

from __future__ import annotations

import collections
import json
import os
import sys
from pathlib import Path

SHOWN_FAILURES = 5


def load_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def check_runs(ndjson: Path) -> tuple[collections.Counter, collections.Counter, int]:
    """Per check: executions, and executions that ended in a kept failure; test cases."""
    runs: collections.Counter = collections.Counter()
    failed: collections.Counter = collections.Counter()
    cases = set()
    for event in load_jsonl(ndjson):
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished.get("recorder") or {}
        for case_id, results in (recorder.get("checks") or {}).items():
            cases.add(case_id)
            for result in results:
                runs[result["name"]] += 1
                if result["status"] == "failure":
                    failed[result["name"]] += 1
    return runs, failed, len(cases)


def _report_keys(entry: dict) -> set[tuple[str, str]]:
    """How Schemathesis's run report may name this failure: by operation, or, for
    the stateful phase, as "Stateful tests"."""
    keys = {(entry["failure"], entry["operation"])}
    if entry.get("phase", "").lower().endswith("stateful"):
        keys.add((entry["failure"], "Stateful tests"))
    return keys


def summarize(out: Path, name: str, exit_code: int) -> tuple[bool, dict]:
    runs, _, cases = check_runs(out / f"{name}.ndjson")
    report_path = out / f"{name}.json"
    report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.exists() else None
    log = load_jsonl(out / f"{name}.failures.jsonl")

    # (case, check) pairs by outcome; a pair with a kept failure is not "excepted".
    excepted_pairs: dict[str, set] = collections.defaultdict(set)
    known_pairs: dict[str, set] = collections.defaultdict(set)
    unclassified_pairs: dict[str, set] = collections.defaultdict(set)
    by_exception: collections.Counter = collections.Counter()
    by_bug: collections.Counter = collections.Counter()
    unclassified: list[dict] = []
    kept_types: set[tuple[str, str]] = set()
    for entry in log:
        pair = entry["case_id"]
        check = entry["check"]
        kind, _, ident = entry["classification"].partition(":")
        if kind == "exception":
            excepted_pairs[check].add(pair)
            by_exception[(ident, check)] += 1
        elif kind == "known-bug":
            known_pairs[check].add(pair)
            by_bug[(ident, check)] += 1
            kept_types.update(_report_keys(entry))
        else:
            unclassified_pairs[check].add(pair)
            unclassified.append(entry)
            kept_types.update(_report_keys(entry))

    problems: list[str] = []
    if exit_code not in (0, 1):
        problems.append(f"schemathesis exited with {exit_code}")
    if report is None:
        problems.append("no Schemathesis report")
    else:
        if not report.get("complete", False):
            problems.append(f"the run did not complete ({report.get('stop_reason')})")
        for error in report.get("errors") or []:
            problems.append(f"error: {json.dumps(error)[:300]}")
        if (report.get("test_cases") or {}).get("errored"):
            problems.append(f"{report['test_cases']['errored']} test cases errored")
        # A failure Schemathesis reports that never reached filter_failure (e.g. from a
        # check run once after the run) cannot be a known bug: it must fail the run.
        for failure in report.get("failures") or []:
            for operation in failure.get("operations") or []:
                if (failure["type"], operation) not in kept_types:
                    problems.append(
                        f"unaccounted failure {failure['code']} {failure['type']} on {operation}"
                    )
    if unclassified:
        problems.append(f"{len(unclassified)} failures are neither a documented exception nor a known bug")

    checks = sorted(set(runs) | set(excepted_pairs) | set(known_pairs) | set(unclassified_pairs))
    rows = []
    for check in checks:
        total = runs.get(check, 0)
        failed = len(unclassified_pairs.get(check, set()))
        known = len(known_pairs.get(check, set()))
        excepted = len(excepted_pairs.get(check, set()) - known_pairs.get(check, set()) - unclassified_pairs.get(check, set()))
        # Schemathesis records a check whose failures were all dropped as a success.
        passed = max(total - excepted - known - failed, 0)
        verdict = "FAIL" if failed else ("known bug" if known else "pass")
        rows.append((check, total, passed, excepted, known, failed, verdict))

    width = max(len(r[0]) for r in rows) if rows else 10
    print(f"\n== schemathesis: {name}.yaml — {cases} test cases, {sum(runs.values())} check runs")
    print(f"   {'check':<{width}}  {'runs':>6}  {'passed':>6}  {'excepted':>8}  {'known bug':>9}  {'failed':>6}  verdict")
    for check, total, passed, excepted, known, failed, verdict in rows:
        print(f"   {check:<{width}}  {total:>6}  {passed:>6}  {excepted:>8}  {known:>9}  {failed:>6}  {verdict}")
    if by_exception:
        print("   exceptions applied (yaml vs spec.md, docs/conformance-schemathesis.md):")
        for (ident, check), count in sorted(by_exception.items()):
            print(f"     {ident:<36} {check:<26} {count:>5} failures dropped")
    if by_bug:
        print("   known bugs hit (reported, not failing CI; docs/conformance-schemathesis.md):")
        for (ident, check), count in sorted(by_bug.items()):
            print(f"     {ident:<36} {check:<26} {count:>5} failures")
    for entry in unclassified[:SHOWN_FAILURES]:
        request, response = entry["request"], entry["response"]
        print(f"   FAILED {entry['check']} ({entry['failure']}) on {entry['operation']}: {entry['title']}")
        print(f"     request:  {request['method']} {request['url']}")
        if request.get("body"):
            print(f"     body:     {request['body'][:300]}")
        print(f"     response: {response['status']} {response['body'][:300]}")
        for reason in entry.get("reasons") or []:
            print(f"     spec.md:  {reason}")
    if len(unclassified) > SHOWN_FAILURES:
        print(f"   ... and {len(unclassified) - SHOWN_FAILURES} more in {out / (name + '.failures.jsonl')}")
    for problem in problems:
        print(f"   PROBLEM: {problem}")
    totals = {
        "cases": cases,
        "runs": sum(r[1] for r in rows),
        "passed": sum(r[2] for r in rows),
        "excepted": sum(r[3] for r in rows),
        "known": sum(r[4] for r in rows),
        "failed": sum(r[5] for r in rows),
    }
    return not problems, totals


def main(argv: list[str]) -> int:
    out = Path(argv[1])
    ok = True
    grand = collections.Counter()
    names = []
    for item in argv[2:]:
        name, _, code = item.partition(":")
        names.append(name)
        file_ok, totals = summarize(out, name, int(code))
        ok = ok and file_ok
        grand.update(totals)
    active = [bug for bug in os.environ.get("OSB_ST_KNOWN_BUGS", "").split(",") if bug]
    seen = {
        entry["classification"].partition(":")[2]
        for name in names
        for entry in load_jsonl(out / f"{name}.failures.jsonl")
        if entry["classification"].startswith("known-bug:")
    }
    for bug in active:
        if bug not in seen:
            print(f"\n   note: known bug {bug} was not hit by this run (fixed? then remove it from .ci/schemathesis)")
    print(
        f"\n== schemathesis total: {grand['cases']} test cases, {grand['runs']} check runs: "
        f"{grand['passed']} passed, {grand['excepted']} excepted, "
        f"{grand['known']} known bug, {grand['failed']} failed"
    )
    print("schemathesis: OK" if ok else "schemathesis: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
