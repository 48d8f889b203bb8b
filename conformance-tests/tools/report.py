#!/usr/bin/env python3
"""Combines the three conformance parts into conformance-tests/report.json.

Inputs (written by scripts/test-all.sh into conformance-tests/results/):
  node.json       the node suite, from lib/summary-reporter.mjs
  python.xml      the pytest suite, from --junitxml (strict xfails are <skipped type="pytest.xfail">)
  scenarios.json  the raw-HTTP scenario runner's --report

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


def counts(clients):
    c = {"pass": 0, "fail": 0, "expected-unsupported": 0}
    for client in clients:
        for op in client["operations"]:
            c[op["status"]] = c.get(op["status"], 0) + 1
    return c


def combine(args):
    clients = [
        load_node(os.path.join(args.results, "node.json")),
        load_python(os.path.join(args.results, "python.xml")),
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
    m = sub.add_parser("markdown")
    m.add_argument("--report", default=os.path.join(ROOT, "report.json"))
    args = p.parse_args()
    return combine(args) if args.cmd == "combine" else markdown(args)


if __name__ == "__main__":
    sys.exit(main())
