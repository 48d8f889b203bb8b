#!/usr/bin/env python3
"""Combines the three conformance parts into conformance-tests/report.json.

Inputs (written by scripts/test-all.sh into conformance-tests/results/):
  node.json       the node suite, from lib/summary-reporter.mjs
  python.xml      the pytest suite, from --junitxml (strict xfails are <skipped type="pytest.xfail">)
  scenarios.json  the raw-HTTP scenario runner's --report

and the operation lists conformance-tests/operations/node.json and python.json: every public
operation of each client (and the issue's named scenarios), each with the tests that exercise it
or an "unsupported" reason. The two clients are reported per operation, joined with their tests:

  pass                  every listed test ran and none failed, and at least one passed
  fail                  a listed test failed or is missing from the results, or the operation
                        lists no test and no "unsupported" reason
  expected-unsupported  the "unsupported" reason with no test, or every listed test is a strict
                        xfail / skip / todo (the reason is the operation's, else the tests')

A test that no operation lists is reported as an operation of its own ("test: …"), so nothing
is silently absent. The raw-HTTP scenarios are reported one row per scenario.

  report.py combine [--results DIR] [--out FILE]   prints the per-client, per-operation table and
                                                   ends with the one line "N passed, N failed"
  report.py markdown [--report FILE]               prints the support matrix as a Markdown table

Standard library only. A part whose results file is missing is reported as one failing
operation, so a suite that never ran can't pass silently.
"""
import argparse
import json
import os
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OPERATIONS = os.path.join(ROOT, "operations")
PYTHON_CLIENT = "PowerPlatform-Dataverse-Client 1.1.0"
NODE_CLIENT = "dynamics-web-api 2.5.0"
SCENARIO_CLIENT = "raw-http scenarios"


def missing(client, path):
    return {"client": client, "operations": [{"operation": "(suite)", "status": "fail", "failures": [f"no results at {path}: the suite did not run to the end"]}]}


def load_node(path):
    if not os.path.exists(path):
        return missing(NODE_CLIENT, path)
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_python(path):
    if not os.path.exists(path):
        return missing(PYTHON_CLIENT, path)
    ops = []
    for case in ET.parse(path).getroot().iter("testcase"):
        module = case.get("classname", "").split(".")[-1]
        op = {"operation": f"{module}::{case.get('name')}"}
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        skipped = case.find("skipped")
        if failure is not None:
            op.update(status="fail", failures=[(failure.get("message") or "failed").splitlines()[0]])
        elif skipped is not None:
            kind = "xfail" if skipped.get("type") == "pytest.xfail" else "skip"
            op.update(status="expected-unsupported", reason=f"{kind}: {skipped.get('message') or 'no reason given'}")
        else:
            op["status"] = "pass"
        ops.append(op)
    return {"client": PYTHON_CLIENT, "operations": ops}


def load_scenarios(path):
    """One client entry per target: the runner plays an org and the emulator when both are given."""
    if not os.path.exists(path):
        return [missing(SCENARIO_CLIENT, path)]
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if isinstance(data, dict):
        return [{"client": SCENARIO_CLIENT, "operations": data["operations"]}]
    return [{"client": f"{SCENARIO_CLIENT} ({d['target']})", "operations": d["operations"]} for d in data]


def load_operation_list(path):
    """The client's operations and named scenarios, in file order; None when there is no list."""
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    return data["operations"] + data.get("scenarios", [])


def join_operations(client, listed):
    """Replaces a client's per-test rows by per-operation rows (module docstring); the tests are kept
    under "tests"."""
    tests = client["operations"]
    if listed is None or [t["operation"] for t in tests] == ["(suite)"]:
        # No list, or the suite never ran: every listed operation fails with the suite's reason.
        if listed is not None:
            why = tests[0]["failures"]
            return {"client": client["client"], "operations": [
                {"operation": e["operation"], "status": "fail", "failures": why} for e in listed], "tests": tests}
        return client
    by_id = {t["operation"]: t for t in tests}
    used = set()
    rows = []
    for entry in listed:
        names = entry.get("tests", [])
        unsupported = entry.get("unsupported")
        row = {"operation": entry["operation"], "tests": names}
        results = [by_id.get(n) for n in names]
        used.update(n for n in names if n in by_id)
        missing = [n for n, r in zip(names, results) if r is None]
        failed = [r for r in results if r is not None and r["status"] == "fail"]
        passed = [r for r in results if r is not None and r["status"] == "pass"]
        if missing or failed:
            row["status"] = "fail"
            row["failures"] = [f"test not in the results: {n}" for n in missing] + [
                f"{r['operation']}: {'; '.join(r.get('failures', ['failed']))}" for r in failed]
        elif passed:
            row["status"] = "pass"
            if unsupported:
                row["note"] = f"marked unsupported ({unsupported}) but its tests pass: remove the mark"
        elif names or unsupported:
            row["status"] = "expected-unsupported"
            row["reason"] = unsupported or "; ".join(sorted({r["reason"] for r in results}))
        else:
            row["status"] = "fail"
            row["failures"] = ["no test exercises this operation and it is not marked unsupported"]
        rows.append(row)
    for t in tests:
        if t["operation"] not in used:
            rows.append({**t, "operation": f"test: {t['operation']}", "tests": [t["operation"]]})
    return {"client": client["client"], "operations": rows, "tests": tests}


def counts(clients):
    c = {"pass": 0, "fail": 0, "expected-unsupported": 0}
    for client in clients:
        for op in client["operations"]:
            c[op["status"]] = c.get(op["status"], 0) + 1
    return c


def combine(args):
    clients = [
        join_operations(load_node(os.path.join(args.results, "node.json")), load_operation_list(os.path.join(args.operations, "node.json"))),
        join_operations(load_python(os.path.join(args.results, "python.xml")), load_operation_list(os.path.join(args.operations, "python.json"))),
        *load_scenarios(os.path.join(args.results, "scenarios.json")),
    ]
    for client in clients:
        ops = client["operations"]
        width = max([len(o["operation"]) for o in ops] + [10])
        print(f"\n== {client['client']} ==")
        for o in ops:
            note = f" ({o['reason']})" if o.get("reason") else ""
            print(f"  {o['operation']:<{width}}  {o['status']}{note}")
            for f in o.get("failures", []):
                print(f"      - {f}")
            if o.get("note"):
                print(f"      - note: {o['note']}")
        c = counts([client])
        print(f"  {client['client']}: {c['pass']} passed, {c['fail']} failed, {c['expected-unsupported']} expected-unsupported")
    total = counts(clients)
    report = {"summary": {"passed": total["pass"], "failed": total["fail"], "expected_unsupported": total["expected-unsupported"]}, "clients": clients}
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    print(f"\nconformance report: {os.path.relpath(args.out)}")
    print(f"{total['pass']} passed, {total['fail']} failed")
    return 1 if total["fail"] else 0


def markdown(args):
    with open(args.report, encoding="utf-8") as f:
        report = json.load(f)
    print("| client | operation | result |")
    print("|---|---|---|")
    for client in report["clients"]:
        for o in client["operations"]:
            result = {"pass": "pass", "fail": "**fail**"}.get(o["status"], f"expected-unsupported: {o.get('reason', '')}")
            operation = o["operation"].replace("|", "\\|")
            result = result.replace("|", "\\|")
            print(f"| {client['client']} | {operation} | {result} |")
    s = report["summary"]
    print(f"\n{s['passed']} passed, {s['failed']} failed, {s['expected_unsupported']} expected-unsupported.")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("combine")
    c.add_argument("--results", default=os.path.join(ROOT, "results"))
    c.add_argument("--out", default=os.path.join(ROOT, "report.json"))
    c.add_argument("--operations", default=OPERATIONS, help="directory holding node.json and python.json (the operation lists)")
    m = sub.add_parser("markdown")
    m.add_argument("--report", default=os.path.join(ROOT, "report.json"))
    args = p.parse_args()
    return combine(args) if args.cmd == "combine" else markdown(args)


if __name__ == "__main__":
    sys.exit(main())
