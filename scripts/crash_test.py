#!/usr/bin/env python3
"""Crash-safety test: acknowledged submissions survive a SIGKILL.

Usage:
    python3 scripts/crash_test.py [--bin PATH] [--seconds S] [--rounds R] [--workers N] [--keep]

Starts `yiwang serve` on a fresh temporary data directory, signs in as the demo citizen and
runs N threads that each loop: file a case (new Idempotency-Key) -> upload one unique PDF.
After S seconds of load the server gets SIGKILL mid-flight; it is restarted on the same data
directory and the script checks that every case whose creation was answered 201 is there,
that every acknowledged material (upload answered 201) downloads with the same SHA-256, that
re-sending acknowledged Idempotency-Keys returns 200 with the same case and no new case, and,
after a clean stop (SIGTERM), that `yiwang verify-audit` finds the audit chain intact.
Repeated R times on the same data directory; earlier rounds' cases are re-checked each time.

The binary defaults to $YIWANG_BIN or /tmp/crash-bin/yiwang; YIWANG_ROOT defaults to the
repository root (the server reads Resources/ from there). Standard library only.
Exit status: 0 all good, 1 anything lost or wrong, 2 the test could not be set up.
"""
import argparse, hashlib, json, os, random, shutil, signal, sys, tempfile, threading, time, uuid
from concurrent.futures import ThreadPoolExecutor

from yiwang_server import CITIZEN as ACCOUNT, DEMO_PASSWORD as PASSWORD, Server, SetupError, choose_item, request


def file_case(base, auth, rec):
    return request(base, "POST", "/api/v1/cases", rec["body"], dict(auth, **{"Idempotency-Key": rec["key"]}))


def pdf(tag):
    return b"%PDF-1.4\n% yiwang crash test " + tag.encode() + b"\n" + os.urandom(2048).hex().encode() + b"\n%%EOF\n"


def load(server, auth, item, seconds, workers, rnd, ledger):
    """Files cases from `workers` threads, SIGKILLs the server after `seconds`; records go to ledger."""
    code, _, form, slot = item
    killed = threading.Event()

    def worker(w):  # list.append is atomic, so the shared ledger needs no lock
        n = 0
        while not killed.is_set():
            n += 1
            rec = {"key": f"crash-{rnd}-{w}-{n}-{uuid.uuid4()}", "body": {"item": code, "form": form}}
            try:
                status, case = file_case(server.base, auth, rec)
            except OSError as err:
                ledger["inflight" if killed.is_set() else "errors"].append(dict(rec, error=f"create: {err}"))
                continue
            if status != 201:
                ledger["errors"].append(dict(rec, error=f"create -> {status} {case}"))
                continue
            rec["id"], data = case["id"], pdf(f"round {rnd} worker {w} case {n} {rec['key']}")
            headers = dict(auth, **{"X-File-Name": f"scan-{n}.pdf", "Content-Type": "application/pdf"})
            try:
                status, file = request(server.base, "PUT", f"/api/v1/cases/{rec['id']}/materials/{slot}", data, headers)
            except OSError as err:
                status, file = None, err
            ledger["created"].append(rec)
            if status == 201 and file.get("sha256") == hashlib.sha256(data).hexdigest():
                rec.update(file=file["id"], sha256=file["sha256"])  # the same dict as in "created"
                ledger["acked"].append(rec)
            elif status or not killed.is_set():
                ledger["errors"].append(dict(rec, error=f"upload -> {status} {file}"))

    with ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(worker, w) for w in range(workers)]
        time.sleep(seconds)
        killed.set()  # from here on, a request without an answer is "in flight", not an error
        server.stop(signal.SIGKILL)
    ledger["errors"] += [{"key": "-", "error": f"worker crashed: {f.exception()!r}"} for f in futures if f.exception()]


def verify(server, auth, ledger, rnd):
    """Every created case present, every acknowledged material intact, retries idempotent."""
    bad, found, materials = ledger["lost"], 0, 0
    for rec in ledger["created"]:
        status, case = request(server.base, "GET", "/api/v1/cases/" + rec["id"], headers=auth)
        if status != 200:
            bad.append(f"round {rnd}: case {rec['id']} (key {rec['key']}) -> {status} {case}")
            continue
        found += 1
        if "file" not in rec:
            continue
        files = [f for m in case["materials"] for f in m["files"] if f["id"] == rec["file"]]
        if not files or files[0]["sha256"] != rec["sha256"]:
            bad.append(f"round {rnd}: case {rec['id']} lost material {rec['file']}: {case['materials']}")
            continue
        status, data = request(server.base, "GET", f"/api/v1/cases/{rec['id']}/files/{rec['file']}", headers=auth)
        got = hashlib.sha256(data).hexdigest() if isinstance(data, bytes) else data
        if status != 200 or got != rec["sha256"]:
            bad.append(f"round {rnd}: material {rec['file']} of case {rec['id']} -> {status} {got}")
        materials += status == 200 and got == rec["sha256"]
    # Creates cut off by the kill: a retry must either find the case (200) or file it now (201).
    for rec in ledger["inflight"]:
        status, case = file_case(server.base, auth, rec)
        if status not in (200, 201):
            bad.append(f"round {rnd}: retry of in-flight key {rec['key']} -> {status} {case}")
        else:
            ledger["created"].append(dict(rec, id=case["id"]))
            ledger["recovered" if status == 200 else "refiled"] += 1
    ledger["inflight"] = []
    count = lambda: request(server.base, "GET", "/api/v1/cases?per=1", headers=auth)[1]["total"]  # noqa: E731
    before, retried = count(), 0
    for rec in random.sample(ledger["acked"], min(10, len(ledger["acked"]))):
        status, case = file_case(server.base, auth, rec)
        if status != 200 or case.get("id") != rec["id"]:
            bad.append(f"round {rnd}: retry of key {rec['key']} -> {status} {case} (expected 200 {rec['id']})")
        retried += status == 200 and case.get("id") == rec["id"]
    after = count()
    if after != before or after < len({r["id"] for r in ledger["created"]}):
        bad.append(f"round {rnd}: case count {before} -> {after} after retries; {len(ledger['created'])} known")
    return found, materials, retried, after


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default=os.environ.get("YIWANG_BIN", "/tmp/crash-bin/yiwang"))
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args()
    if not os.access(args.bin, os.X_OK):
        print(f"no executable at {args.bin} (use --bin or YIWANG_BIN)", file=sys.stderr)
        return 2
    work = tempfile.mkdtemp(prefix="yiwang-crash-")
    server = Server(os.path.abspath(args.bin), os.path.join(work, "data"), work)
    os.mkdir(server.data_dir)
    began = time.time()
    try:
        server.start()
    except SetupError as err:
        print(err, file=sys.stderr)
        return 2
    ledger = {"created": [], "acked": [], "inflight": [], "errors": [], "lost": [], "recovered": 0, "refiled": 0}
    rows, problems = [], ledger["lost"]
    try:
        status, token = request(server.base, "POST", "/api/v1/auth/token", {"account": ACCOUNT, "password": PASSWORD})
        if status != 201:
            print(f"sign-in failed: {status} {token}", file=sys.stderr)
            return 2
        auth = {"Authorization": "Bearer " + token["token"]}  # issued once: the token must survive kills too
        item = choose_item(server.base, auth)
        print(f"binary {args.bin}\ndata   {server.data_dir}\nitem   {item[0]} {item[1]}, material #{item[3]}")
        print(f"form   {json.dumps(item[2], ensure_ascii=False)}")
        for rnd in range(1, args.rounds + 1):
            round_began, acked0 = time.time(), len(ledger["acked"])
            recovered0, refiled0 = ledger["recovered"], ledger["refiled"]
            load(server, auth, item, args.seconds, args.workers, rnd, ledger)
            inflight, created = len(ledger["inflight"]), len(ledger["created"])
            server.start()
            found, materials, retried, total = verify(server, auth, ledger, rnd)
            stopped = server.stop(signal.SIGTERM)
            audit_rc, audit_out = server.verify_audit()
            print(f"round {rnd}: verify-audit exit {audit_rc}: {audit_out}")
            if found != created or materials != len(ledger["acked"]):
                problems.append(f"round {rnd}: {found} of {created} cases, {materials} of {len(ledger['acked'])} PDFs")
            if audit_rc != 0 or stopped != 0:
                problems.append(f"round {rnd}: verify-audit exit {audit_rc}, server exit {stopped} on SIGTERM")
            rows.append((rnd, len(ledger["acked"]) - acked0, len(ledger["acked"]), created, found, materials, inflight,
                         f"{ledger['recovered'] - recovered0}/{ledger['refiled'] - refiled0}", retried, total,
                         "intact" if audit_rc == 0 else "BROKEN", f"{time.time() - round_began:.1f}"))
            if rnd < args.rounds:
                server.start()
    finally:
        if server.proc.poll() is None:
            server.stop(signal.SIGKILL)
    print("\nacked = create and upload both 201; created∑ includes cut-off uploads; found/materials: intact;"
          "\nin-flight = create cut off, retried (200 had been stored / 201 stored now); idem: acked key -> 200\n")
    header = ("round", "acked", "acked∑", "created∑", "found", "materials", "in-flight", "200/201", "idem", "cases",
              "audit", "secs")
    for row in [header] + rows:
        print("  ".join(str(v).rjust(len(h)) for v, h in zip(row, header)))
    problems += [f"{e['key']}: {e['error']}" for e in ledger["errors"]]
    last = rows[-1]
    print(f"\nacknowledged before kills: {last[2]}; found after restart: {last[4]} of {last[3]} created; "
          f"materials verified: {last[5]}; audit chain: {last[10]}; elapsed {time.time() - began:.1f} s")
    if problems or not ledger["acked"]:
        print(f"\nFAIL ({len(problems)} problems; data and server logs kept in {work}):")
        for line in problems[:30] or ["nothing was acknowledged; the load never got going"]:
            print("  " + line)
        return 1
    print("\nPASS: every acknowledged case and material survived SIGKILL; audit chain intact")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
