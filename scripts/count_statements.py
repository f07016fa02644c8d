#!/usr/bin/env python3
"""Counts the SQL statements one submission and one acceptance cost, from the server's own log.

Usage: python3 scripts/count_statements.py [--bin .build/debug/yiwang]

Starts `yiwang serve` on a fresh SQLite data folder with LOG_LEVEL=trace (Fluent and SQLKit log
every statement they send at trace level), files one case as the demo citizen and has a window
clerk accept it (the same item and clerk as scripts/bench_http.py), and prints the statements
each request sent, by kind, with the statements themselves. Exit status 2 when it cannot set up.
"""
import argparse, collections, json, os, re, sys, tempfile, uuid

from yiwang_server import CITIZEN, ROOT, Server, SetupError, fill_form, request, token
from bench_http import acceptable_item, bench_clerk

STATEMENT = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA)\b", re.I)


def statements(log):
    """The SQL the server logged, one per line that carries a statement."""
    found = []
    for line in log.splitlines():
        if "sql" not in line.lower() and "query" not in line.lower():
            continue
        match = STATEMENT.search(line)
        if match:
            found.append((match.group(1).upper(), line.strip()[:220]))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default=os.environ.get("YIWANG_BIN", os.path.join(ROOT, ".build", "debug", "yiwang")))
    parser.add_argument("--verbose", action="store_true", help="print every statement")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="yiwang-statements-")
    server = Server(args.bin, os.path.join(work, "data"), work, env={"YIWANG_AUTO_SEED": "true", "LOG_LEVEL": "trace"}, isolate=True)
    os.mkdir(server.data_dir)
    try:
        server.start(ready_timeout=600)
        base = server.base
        code, name, department, guide = acceptable_item(base)
        applicant, clerk = token(base, CITIZEN), bench_clerk(base, department)
        body = {"item": code, "form": fill_form(guide), "submit": True}
        # Warm: the first of each kind fills the caches (calendar, decoded guide, token) a busy server has filled.
        status, warm = request(base, "POST", "/api/v1/cases", body, dict(applicant, **{"Idempotency-Key": str(uuid.uuid4())}))
        request(base, "POST", f"/api/v1/cases/{warm['id']}/transitions", {"action": "accept"}, clerk)
        server.new_log()
        status, case = request(base, "POST", "/api/v1/cases", body, dict(applicant, **{"Idempotency-Key": str(uuid.uuid4())}))
        if status != 201:
            raise SetupError(f"submit: {status} {case!r}"[:300])
        submitted = statements(server.new_log())
        status, accepted = request(base, "POST", f"/api/v1/cases/{case['id']}/transitions", {"action": "accept"}, clerk)
        if status != 200:
            raise SetupError(f"accept: {status} {accepted!r}"[:300])
        accepting = statements(server.new_log())
    except (SetupError, OSError) as err:
        print(f"set-up failed: {err}\n{server.tail()}", file=sys.stderr)
        return 2
    finally:
        server.stop()
    print(f"item {code} {name}")
    for label, found in (("submit (POST /api/v1/cases)", submitted), ("accept (POST /api/v1/cases/{id}/transitions)", accepting)):
        kinds = collections.Counter(kind for kind, _ in found)
        print(f"{label}: {len(found)} statements — " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
        if args.verbose:
            for _, line in found:
                print("   ", line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
