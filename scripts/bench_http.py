#!/usr/bin/env python3
"""HTTP benchmark of `yiwang serve` from a separate process (wrk), beside the raw database ceiling.

Usage:
    python3 scripts/bench_http.py --bin .build/release/yiwang [--engine sqlite|postgres]
        [--seconds 10] [--connections 1,16] [--threads N] [--database-url URL] [--json FILE] [--keep]

Starts the server alone (scripts/yiwang_server.py; SQLite on a fresh data folder, or PostgreSQL on
`--database-url`, an EMPTY throwaway database that `serve` seeds with the demo city) and loads it
with wrk (`apt-get install -y wrk`) through the Lua scripts in scripts/bench/, each route at each
connection count:

- `GET /healthz`: the empty-route ceiling;
- `GET /api/v1/items?q=营业执照`: search; `GET /items/{code}`: the guide page (Leaf);
- `GET /api/v1/cases`: the staff work queue (market.approver's, as seeded), and again at the end
  as the benchmark clerk's queue, which by then holds every case the write routes made;
- `POST /api/v1/cases` with `"submit": true` as the demo citizen, a new Idempotency-Key each;
- submit+accept: the citizen files and submits, a window clerk of the item's department accepts
  (`POST /api/v1/cases/{id}/transitions`); counted in completed pairs per second.

No demo clerk belongs to a department with an item that can be accepted without uploads, so the
script picks an online item whose required materials are all held by the platform or may follow
after acceptance (容缺), and creates a window clerk for its department through the staff API
(as system.admin). The raw transaction ceiling runs in another process on the same engine: for
SQLite, Python's sqlite3 on a scratch file in the data folder (WAL, synchronous=FULL); for
PostgreSQL, pgbench on scratch tables; each transaction inserts a case-sized row (~1 KB) and a
timeline-sized row (~200 B). Server RSS (VmRSS, and the peak VmHWM) is read after each route.

Prints one Markdown table (and `--json FILE`). Exit status: 0 done, 1 a write route answered
anything but 2xx (or lost a connection), 2 the benchmark could not be set up. Standard library
only, plus wrk, and pgbench and psql for PostgreSQL.
"""
import argparse, base64, datetime, glob, json, math, os, platform, re, shutil, signal, socket, sqlite3
import subprocess, sys, tempfile, threading, time, urllib.parse, uuid

from yiwang_server import CITIZEN, ROOT, Server, SetupError, fill_form, request, token

HERE = os.path.dirname(os.path.abspath(__file__))
LUA = os.path.join(HERE, "bench")
SEARCH_WORDS = "营业执照"
BENCH_CLERK, BENCH_CLERK_PASSWORD = "bench.clerk", "Bench-clerk-2026"
QUEUE_STAFF = "market.approver"
HELD_BY_PLATFORM = ("eLicence", "sharedData")  # MaterialSource.isHeldByPlatform
CASE_ROW_BYTES, EVENT_ROW_BYTES = 1000, 200  # measured on the demo city's cases and case_events


# MARK: set-up

def all_items(base):
    items, page = [], 1
    while True:
        status, answer = request(base, "GET", f"/api/v1/items?per=100&page={page}")
        if status != 200:
            raise SetupError(f"GET /api/v1/items -> {status}")
        items += answer["items"]
        if not answer["items"] or len(items) >= answer["total"]:
            return items
        page += 1


def blocking_materials(guide):
    """What MaterialChecklist.blocking would name for a case with no files (YiwangCore/Cases/Materials.swift)."""
    deferral = guide.get("acceptWithDeferredMaterials", False)
    return [m["name"] for m in guide["materials"]
            if m["required"] and m["source"] not in HELD_BY_PLATFORM and not (deferral and m.get("deferrable"))]


def acceptable_item(base):
    """An online item a natural person applies for, not decided at acceptance (即办件 would be a
    different transaction), that a clerk can accept with no file given: (code, name, department, guide)."""
    for summary in all_items(base):
        if not summary.get("canApplyOnline") or summary.get("processing") == "immediate":
            continue
        status, guide = request(base, "GET", "/api/v1/items/" + summary["code"])
        if status == 200 and "naturalPerson" in guide.get("targets", []) and not blocking_materials(guide):
            return summary["code"], summary["name"], guide["department"], guide
    raise SetupError("no published online item can be accepted without uploaded materials")


def bench_clerk(base, department):
    """A window clerk of the department, made through the staff API (the database is always fresh)."""
    body = {"account": BENCH_CLERK, "displayName": "压测窗口人员", "password": BENCH_CLERK_PASSWORD,
            "grants": [{"role": "windowClerk", "scope": {"departmentCreditCode": department["creditCode"]}}]}
    status, answer = request(base, "POST", "/api/v1/staff", body, token(base, "system.admin"))
    if status != 201:
        raise SetupError(f"creating {BENCH_CLERK}: {status} {answer!r}"[:300])
    return token(base, BENCH_CLERK, BENCH_CLERK_PASSWORD)


def prepare(base):
    """Tokens, the item and its form; one submit+accept by hand, so wrk starts on a known-good path."""
    code, name, department, guide = acceptable_item(base)
    applicant, clerk, approver = token(base, CITIZEN), bench_clerk(base, department), token(base, QUEUE_STAFF)
    body = {"item": code, "form": fill_form(guide), "submit": True}
    status, case = request(base, "POST", "/api/v1/cases", body, dict(applicant, **{"Idempotency-Key": str(uuid.uuid4())}))
    if status != 201:
        raise SetupError(f"probe submit of {code}: {status} {case!r}"[:400])
    status, accepted = request(base, "POST", f"/api/v1/cases/{case['id']}/transitions", {"action": "accept"}, clerk)
    if status != 200:
        raise SetupError(f"probe accept of {case['id']}: {status} {accepted!r}"[:400])
    deferred = [m["name"] for m in guide["materials"] if m["required"] and m["source"] not in HELD_BY_PLATFORM]
    return {"code": code, "name": name, "department": department["name"], "body": body, "deferred": deferred,
            "applicant": applicant["Authorization"], "clerk": clerk["Authorization"], "approver": approver["Authorization"]}


# MARK: measuring

def rss(pid):
    """(VmRSS, VmHWM) of the process in KiB."""
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


def run_wrk(url, script, env, connections, threads, seconds, log):
    """Runs wrk once; the BENCH_JSON line printed by scripts/bench/common.lua's done()."""
    cmd = ["wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s",
           "--latency", "-s", os.path.join(LUA, script), url]
    done = subprocess.run(cmd, env=dict(os.environ, **env), capture_output=True, text=True, timeout=seconds + 120)
    with open(log, "w") as f:
        f.write(" ".join(cmd) + "\n\n" + done.stdout + done.stderr)
    line = next((l for l in done.stdout.splitlines() if l.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise SetupError(f"wrk failed ({done.returncode}); see {log}:\n{(done.stdout + done.stderr)[-800:]}")
    return json.loads(line[len("BENCH_JSON "):])


def percentile(sorted_values, p):
    """Nearest rank."""
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)] if sorted_values else 0


def sqlite_raw_worker(path, connections, seconds):
    """Runs in its own process (`--sqlite-raw-worker`). Each thread has its own connection; they
    take turns on a lock because the server's writers take turns in process too (without it,
    SQLite's busy handler would sleep in steps of milliseconds and measure that instead)."""
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.executescript(f"""
        CREATE TABLE IF NOT EXISTS raw_cases (id TEXT PRIMARY KEY, applicant_id TEXT NOT NULL,
            department_code TEXT NOT NULL, state TEXT NOT NULL, form_sealed TEXT NOT NULL, created_at REAL NOT NULL);
        CREATE INDEX IF NOT EXISTS raw_cases_applicant ON raw_cases (applicant_id, created_at);
        CREATE INDEX IF NOT EXISTS raw_cases_queue ON raw_cases (department_code, state);
        CREATE TABLE IF NOT EXISTS raw_events (id TEXT PRIMARY KEY, case_id TEXT NOT NULL REFERENCES raw_cases (id),
            at REAL NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, reason TEXT);
        CREATE INDEX IF NOT EXISTS raw_events_case ON raw_events (case_id, at);""")
    setup.close()
    turn, latencies, stop = threading.Lock(), [], time.monotonic() + seconds
    case_payload, event_payload = "x" * (CASE_ROW_BYTES - 120), "y" * (EVENT_ROW_BYTES - 120)

    def writer():
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA busy_timeout=60000")
        mine = []
        while time.monotonic() < stop:
            began = time.perf_counter()
            case_id = str(uuid.uuid4())
            with turn:
                db.execute("BEGIN IMMEDIATE")
                db.execute("INSERT INTO raw_cases VALUES (?, ?, ?, 'submitted', ?, ?)",
                           (case_id, "applicant:" + case_id, "11520100032406767N", case_payload, time.time()))
                db.execute("INSERT INTO raw_events VALUES (?, ?, ?, 'applicant', 'submit', ?)",
                           (str(uuid.uuid4()), case_id, time.time(), event_payload))
                db.execute("COMMIT")
            mine.append(time.perf_counter() - began)
        db.close()
        latencies.extend(mine)

    began = time.monotonic()
    workers = [threading.Thread(target=writer) for _ in range(connections)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.monotonic() - began
    latencies.sort()
    print(json.dumps({"transactions": len(latencies), "seconds": elapsed, "tps": len(latencies) / elapsed,
                      "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000}))


def sqlite_raw(data_dir, connections, seconds):
    path = os.path.join(data_dir, "bench-raw.sqlite")
    try:
        done = subprocess.run([sys.executable, os.path.abspath(__file__), "--sqlite-raw-worker", path,
                               str(connections), str(seconds)], capture_output=True, text=True, timeout=seconds + 120)
        if done.returncode != 0:
            raise SetupError(f"raw SQLite worker failed: {done.stderr[-800:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)


def postgres_tool(name):
    """The newest /usr/lib/postgresql/*/bin/NAME (Debian keeps them off PATH), else PATH."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                   key=lambda p: int(re.search(r"/postgresql/(\d+)/", p).group(1)))
    return found[-1] if found else shutil.which(name)


def psql(url, sql):
    done = subprocess.run([postgres_tool("psql"), url, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise SetupError(f"psql: {done.stderr.strip()[:400]}")
    return done.stdout.strip()


RAW_PG_TABLES = f"""
    CREATE TABLE IF NOT EXISTS bench_raw_cases (id uuid PRIMARY KEY, applicant_id text NOT NULL,
        department_code text NOT NULL, state text NOT NULL, form_sealed text NOT NULL, created_at timestamptz NOT NULL);
    CREATE INDEX IF NOT EXISTS bench_raw_cases_applicant ON bench_raw_cases (applicant_id, created_at);
    CREATE INDEX IF NOT EXISTS bench_raw_cases_queue ON bench_raw_cases (department_code, state);
    CREATE TABLE IF NOT EXISTS bench_raw_events (id uuid PRIMARY KEY, case_id uuid NOT NULL REFERENCES bench_raw_cases (id),
        at timestamptz NOT NULL, actor text NOT NULL, action text NOT NULL, reason text);
    CREATE INDEX IF NOT EXISTS bench_raw_events_case ON bench_raw_events (case_id, at);"""

# One transaction of two inserts; the second names the first's id (\\gset), as a case and its
# first timeline step do. Prepared statements, as the server's driver uses.
RAW_PG_SCRIPT = f"""\\set n random(1, 1000000000)
BEGIN;
INSERT INTO bench_raw_cases VALUES (gen_random_uuid(), 'applicant:' || :n, '11520100032406767N', 'submitted', repeat('x', {CASE_ROW_BYTES - 120}), now()) RETURNING id AS case_id \\gset
INSERT INTO bench_raw_events VALUES (gen_random_uuid(), :case_id, now(), 'applicant', 'submit', repeat('y', {EVENT_ROW_BYTES - 120}));
COMMIT;
"""


def postgres_raw(url, work, connections, seconds, threads):
    script, prefix = os.path.join(work, "raw.sql"), os.path.join(work, f"pgbench-c{connections}")
    with open(script, "w") as f:
        f.write(RAW_PG_SCRIPT)
    psql(url, RAW_PG_TABLES)
    try:
        cmd = [postgres_tool("pgbench"), "-n", "-M", "prepared", "-f", script, "-c", str(connections),
               "-j", str(min(threads, connections)), "-T", str(seconds), "-l", "--log-prefix", prefix, url]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120, cwd=work)
        with open(prefix + ".txt", "w") as f:
            f.write(" ".join(cmd) + "\n\n" + done.stdout + done.stderr)
        tps = re.search(r"^tps = ([\d.]+)", done.stdout, re.M)
        if done.returncode != 0 or not tps:
            raise SetupError(f"pgbench failed ({done.returncode}): {(done.stdout + done.stderr)[-800:]}")
        latencies = []  # per-transaction log: client, transaction, latency in µs, ...
        for log in glob.glob(prefix + ".*"):
            if not log.endswith(".txt"):
                with open(log) as f:
                    latencies += [int(line.split()[2]) / 1e6 for line in f if line.strip()]
        latencies.sort()
        failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
        return {"transactions": len(latencies), "tps": float(tps.group(1)), "failed": int(failed.group(1)) if failed else 0,
                "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000}
    finally:
        psql(url, "DROP TABLE IF EXISTS bench_raw_events, bench_raw_cases")


# MARK: the report

def machine():
    memory = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) // 1024
    model = ""
    with open("/proc/cpuinfo") as f:
        model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    return {"cores": os.cpu_count(), "memory_mib": memory, "cpu": model, "kernel": platform.release(),
            "host": socket.gethostname()}


def mib(kib):
    return f"{kib / 1024:.1f}"


def table(report):
    m = report["machine"]
    lines = [f"Yiwang over HTTP (wrk, separate process) — {report['engine_detail']}; {m['cores']} cores, "
             f"{m['memory_mib']} MiB; {report['date']}; {report['build']} build `{report['binary']}`; "
             f"{report['seconds']} s per run; server RSS after start {mib(report['rss_start_kib'])} MiB",
             "", "| route | connections | req/s | p50 | p99 | errors | server RSS (peak) |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in report["rows"]:
        rate = f"{r['pairs_per_s']:.1f} pairs/s ({r['rps']:.1f} req/s)" if "pairs_per_s" in r else \
            f"{r['rps']:.1f} tx/s" if r.get("raw") else f"{r['rps']:.1f}"
        errors = str(r["errors"]) + (" (" + ", ".join(f"{k}×{v}" for k, v in r["error_detail"].items()) + ")" if r["errors"] else "")
        memory = f"{mib(r['rss_kib'])} MiB ({mib(r['hwm_kib'])})" if "rss_kib" in r else "—"
        lines.append(f"| {r['route']} | {r['connections']} | {rate} | {r['p50_ms']:.2f} ms | {r['p99_ms']:.2f} ms | {errors} | {memory} |")
    lines += ["", *report["notes"]]
    if "import" in report:
        i = report["import"]
        lines.append(f"- catalog: the demo city plus {i['items']} generated entries, imported by `yiwang import` "
                     f"in {i['seconds']:.2f} s (the whole process, migrations check included).")
    return "\n".join(lines)


# MARK: main

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default=os.environ.get("YIWANG_BIN", os.path.join(ROOT, ".build", "release", "yiwang")))
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--database-url", help="PostgreSQL: an empty throwaway database (postgres://user@host:port/db)")
    parser.add_argument("--seconds", type=int, default=10, help="per route and connection count")
    parser.add_argument("--connections", default="1,16", help="comma-separated connection counts")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="wrk threads (at most the connections)")
    parser.add_argument("--json", help="also write the report here")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (data, server log, wrk output)")
    parser.add_argument("--only", help="measure only the routes whose label contains this (e.g. submit+accept), "
                                       "and skip the raw ceiling; for profiling one route")
    parser.add_argument("--catalog-items", type=int, default=0,
                        help="import this many generated entries (yiwang generate-catalog, then yiwang import, timed) "
                             "beside the demo city before measuring")
    args = parser.parse_args()
    connection_counts = [int(c) for c in args.connections.split(",") if c.strip()]

    if not shutil.which("wrk"):
        print("wrk is not installed; on Debian: apt-get install -y wrk", file=sys.stderr)
        return 2
    if not os.access(args.bin, os.X_OK):
        print(f"no executable at {args.bin} (use --bin)", file=sys.stderr)
        return 2
    env = {"YIWANG_AUTO_SEED": "true"}
    if args.engine == "postgres":
        if not args.database_url:
            print("--engine postgres needs --database-url (an empty throwaway database)", file=sys.stderr)
            return 2
        missing = [t for t in ("psql", "pgbench") if not postgres_tool(t)]
        if missing:
            print(f"{' and '.join(missing)} not found (apt-get install -y postgresql-client)", file=sys.stderr)
            return 2
        # Fresh keys each run: that is why the database must be empty (sealed data from another run would not open).
        key = lambda: base64.b64encode(os.urandom(32)).decode()  # noqa: E731
        env.update(DATABASE_URL=args.database_url, YIWANG_DATA_KEYS="bench:" + key(), YIWANG_INDEX_KEY=key())

    try:
        if args.engine == "postgres":
            tables = psql(args.database_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            if tables != "0":
                raise SetupError(f"the database at --database-url is not empty ({tables} tables); give a fresh one")
            engine = "PostgreSQL " + psql(args.database_url, "SELECT current_setting('server_version') || ', fsync=' || "
                                          "current_setting('fsync') || ', synchronous_commit=' || current_setting('synchronous_commit')")
        else:
            engine = f"SQLite (WAL, synchronous=full; raw ceiling with Python's SQLite {sqlite3.sqlite_version})"
    except (SetupError, OSError, subprocess.TimeoutExpired) as err:
        print(f"set-up failed: {err}", file=sys.stderr)
        return 2

    work = tempfile.mkdtemp(prefix="yiwang-bench-")
    # A copy, so a rebuild during the run cannot swap the binary under the server.
    binary = os.path.join(work, "yiwang")
    shutil.copy2(os.path.abspath(args.bin), binary)
    server = Server(binary, os.path.join(work, "data"), work, env=env, isolate=True)
    os.mkdir(server.data_dir)
    report = {"engine": args.engine, "engine_detail": engine,
              "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
              "machine": machine(), "binary": os.path.relpath(os.path.abspath(args.bin), ROOT),
              "build": "debug" if "/debug/" in os.path.abspath(args.bin) else "release",
              "seconds": args.seconds, "connections": connection_counts, "rows": [], "notes": []}
    failed_writes, ok = False, False
    try:
        print(f"starting {args.bin} ({args.engine}) in {work} …", file=sys.stderr)
        server.start(ready_timeout=900)  # seeding PostgreSQL with a debug build takes a while
        if args.catalog_items > 0:
            # The demo city is seeded by the first start; the generated catalog joins it through
            # the same import an operator runs, with the server stopped, and is timed from here.
            server.stop()
            generated = os.path.join(work, "generated-catalog.json")
            status, out = server.cli("generate-catalog", "--items", str(args.catalog_items), "--output", generated, timeout=600)
            if status != 0:
                raise SetupError(f"generate-catalog failed: {out}")
            started = time.monotonic()
            status, out = server.cli("import", generated, timeout=1800)
            if status != 0:
                raise SetupError(f"import failed: {out}")
            report["import"] = {"items": args.catalog_items, "seconds": time.monotonic() - started}
            print(f"import of {args.catalog_items} generated entries: {report['import']['seconds']:.2f} s "
                  f"(the whole `yiwang import` process)", file=sys.stderr)
            server.start(ready_timeout=900)
        base, pid = server.base, server.proc.pid
        report["rss_start_kib"] = rss(pid)[0]
        s = prepare(base)
        print(f"item {s['code']} {s['name']} ({s['department']}); clerk {BENCH_CLERK}", file=sys.stderr)
        queue_total = lambda auth: request(base, "GET", "/api/v1/cases?per=1", headers={"Authorization": auth})[1]["total"]  # noqa: E731
        run_id = uuid.uuid4().hex[:12]
        write_env = {"BENCH_AUTH": s["applicant"], "BENCH_CLERK_AUTH": s["clerk"],
                     "BENCH_BODY": json.dumps(s["body"], ensure_ascii=False, separators=(",", ":"))}
        search = "/api/v1/items?q=" + urllib.parse.quote(SEARCH_WORDS)
        # (label, path, Lua script, environment, write route?); run in this order.
        routes = [
            ("empty route `GET /healthz`", "/healthz", "get.lua", {}, False),
            (f"search `GET /api/v1/items?q={SEARCH_WORDS}`", search, "get.lua", {}, False),
            ("guide page `GET /items/{code}`", f"/items/{s['code']}", "get.lua", {}, False),
            (f"queue `GET /api/v1/cases` ({QUEUE_STAFF}, {queue_total(s['approver'])} cases)", "/api/v1/cases",
             "get.lua", {"BENCH_AUTH": s["approver"]}, False),
            ("submit `POST /api/v1/cases`", "/api/v1/cases", "submit.lua", write_env, True),
            ("submit+accept", "/api/v1/cases", "submit_accept.lua", write_env, True),
            (None, "/api/v1/cases", "get.lua", {"BENCH_AUTH": s["clerk"]}, False),  # labelled when it runs
        ]
        if args.only:
            routes = [r for r in routes if r[0] and args.only in r[0]]
        for label, path, script, route_env, write in routes:
            if label is None:
                label = f"queue `GET /api/v1/cases` ({BENCH_CLERK}, {queue_total(s['clerk'])} cases, after the writes)"
            if not write:  # one plain request first: a wrong path or token fails here, clearly
                status = request(base, "GET", path, headers={"Authorization": route_env["BENCH_AUTH"]} if route_env else None)[0]
                if status != 200:
                    raise SetupError(f"{label}: GET {path} -> {status}")
            for c in connection_counts:
                print(f"  {label}, {c} connections …", file=sys.stderr)
                n = len(report["rows"])
                log = os.path.join(work, f"wrk-{n:02d}-{script[:-4]}-c{c}.txt")
                # Idempotency keys are BENCH_RUN, wrk thread and counter: a new BENCH_RUN for every wrk run.
                out = run_wrk(base + path, script, dict(route_env, BENCH_RUN=f"{run_id}-{n}"), c, args.threads, args.seconds, log)
                if not server.alive():
                    raise SetupError(f"the server stopped during {label}:\n{server.tail()}")
                seconds = out["duration_us"] / 1e6
                sockets = {k: v for k, v in out["socket_errors"].items() if v}
                detail = dict(out["bad_statuses"], **sockets)
                row = {"route": label, "path": path, "connections": c, "requests": out["requests"],
                       "rps": out["requests"] / seconds, "p50_ms": out["latency_us"]["p50"] / 1000,
                       "p99_ms": out["latency_us"]["p99"] / 1000, "max_ms": out["latency_us"]["max"] / 1000,
                       "errors": out["counts"].get("bad", 0) + sum(sockets.values()), "error_detail": detail,
                       "first_error": out["first_bad"], "write": write, "script": script}
                if script == "submit_accept.lua":
                    row["pairs"] = out["counts"].get("pairs", 0)
                    row["pairs_per_s"] = row["pairs"] / seconds
                row["rss_kib"], row["hwm_kib"] = rss(pid)
                report["rows"].append(row)
                failed_writes |= write and row["errors"] > 0
        # The raw ceilings, with the server idle beside them.
        raw_rows = []
        for c in ([] if args.only else connection_counts):
            print(f"  raw transaction ceiling, {c} connections …", file=sys.stderr)
            if args.engine == "sqlite":
                raw, label = sqlite_raw(server.data_dir, c, args.seconds), "raw transaction ceiling (sqlite3, other process, 2 inserts)"
            else:
                raw, label = postgres_raw(args.database_url, work, c, args.seconds, args.threads), \
                    "raw transaction ceiling (pgbench, other process, 2 inserts)"
            raw_rows.append({"route": label, "connections": c, "rps": raw["tps"], "p50_ms": raw["p50_ms"],
                             "p99_ms": raw["p99_ms"], "requests": raw["transactions"], "errors": raw.get("failed", 0),
                             "error_detail": {}, "raw": True})
        # Shown as the issue lists them: the two ceilings, the writes, then the reads.
        order = ["/healthz", "raw", "submit.lua", "submit_accept.lua", search, f"/items/{s['code']}", "/api/v1/cases"]
        report["rows"] = sorted(report["rows"] + raw_rows, key=lambda r: order.index(
            "raw" if r.get("raw") else r["script"] if r["write"] else r["path"]))
        report["notes"] = [
            f"- submit and submit+accept: item {s['code']} {s['name']} ({s['department']}), filed by the demo citizen "
            f"with a new Idempotency-Key each; accepted by `{BENCH_CLERK}`, a window clerk of that department made "
            f"for this run, as 容缺 acceptance (still to follow: {'、'.join(s['deferred']) or 'nothing'}). "
            "submit+accept counts completed pairs; its latencies mix both requests.",
            "- errors: answers other than 2xx (201 on submit) and socket errors (connect, read, write, timeout); "
            "the raw ceiling counts failed transactions.",
            "- server RSS: VmRSS of the server process after the route, in parentheses its peak (VmHWM) so far"
            + (" (the PostgreSQL backends are not counted)." if args.engine == "postgres" else "."),
            "- raw transaction ceiling: each transaction inserts a ~1 KB case-sized row and a ~200 B timeline-sized row "
            + ("(BEGIN IMMEDIATE … COMMIT) from N threads with their own connections in one Python process, taking turns "
               "on a lock as the server's writers take turns, on a scratch file beside the server's database."
               if args.engine == "sqlite" else "(BEGIN … COMMIT, prepared statements) from N pgbench clients on scratch "
               "tables in the same database, dropped afterwards."),
            f"- wrk threads: min({args.threads}, connections); wrk and the server share the machine's cores.",
        ]
        report["failed"] = failed_writes
        print(table(report))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(report, f, ensure_ascii=False, indent=2)
        for row in report["rows"]:
            if row["errors"] and row.get("first_error"):
                print(f"\n{row['route']} ({row['connections']} connections): first unexpected answer: {row['first_error'][:300]}",
                      file=sys.stderr)
        ok = True
        if failed_writes:
            print(f"\nFAIL: a write route answered something other than 2xx; wrk output in {work}", file=sys.stderr)
            return 1
        return 0
    except (SetupError, OSError, subprocess.TimeoutExpired) as err:
        print(f"set-up failed: {err}\n(work folder kept: {work})", file=sys.stderr)
        return 2
    finally:
        if server.proc is not None:
            server.stop(signal.SIGTERM)
        os.remove(binary)  # 200 MB for a debug build; the path to the original is in the report
        if ok and not failed_writes and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        elif os.path.isdir(work):
            print(f"work folder: {work}", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--sqlite-raw-worker":
        sqlite_raw_worker(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
        sys.exit(0)
    sys.exit(main())
