#!/usr/bin/env python3
"""HTTP benchmark of `yiwang serve` from a separate process (wrk), beside the raw database ceiling.

Usage:
    python3 scripts/bench_http.py --bin .build/release/yiwang [--engine sqlite|postgres]
        [--seconds 10] [--connections 1,16] [--threads N] [--database-url URL] [--json FILE] [--keep]
        [--only LABEL-PART] [--catalog-items N]
    python3 scripts/bench_http.py --bin .build/release/yiwang --statistics-cases 1000000 [--statistics-reviews 100000]
        [--statistics-days 365] | --data-dir DIR | --engine postgres --database-url URL --prepared

Starts the server alone (scripts/yiwang_server.py; SQLite on a fresh data folder, or PostgreSQL on
`--database-url`, an EMPTY throwaway database that `serve` seeds with the demo city) and loads it
with wrk (`apt-get install -y wrk`) through the Lua scripts in scripts/bench/, each route at each
connection count:

- `GET /healthz`: the empty-route ceiling;
- `GET /api/v1/items?q=营业执照`: search; `GET /items/{code}`: the guide page (Leaf);
- `GET /api/v1/cases`: the staff work queue (market.approver's, as seeded), and again at the end
  as the benchmark clerk's queue, which by then holds every case the write routes made;
- electronic licences, public and read-only, on the demo citizen's seeded licence: `verify status`
  `GET /api/v1/licences/{id}/verification`, `verify page` `GET /verify/{id}` (Leaf), and `verify
  document` `POST /api/v1/licences/verification` with the signed document its holder gets from
  `GET /api/v1/licences/{id}` (post.lua; only a "valid" verdict counts);
- `POST /api/v1/cases` with `"submit": true` as the demo citizen, a new Idempotency-Key each;
- submit+accept: the citizen files and submits, a window clerk of the item's department accepts
  (`POST /api/v1/cases/{id}/transitions`); counted in completed pairs per second;
- decide: submit → accept → review → approve, the last two by an approver of the department
  (decide.lua, one wrk thread per connection); completed chains per second and p50/p99 of the whole
  chain, twice: `decide (no licence)`, then, after `yiwang licence import-types` has wired a
  licence type to the item (run beside the live server, on its database), `decide + licence (issue
  and SM2 seal)`, where each approval issues and seals a licence. The demo citizen's wallet is
  counted around each run: the first must issue none, the second one per completed chain.

No demo clerk belongs to a department with an item that can be accepted without uploads, so the
script picks an online item whose required materials are all held by the platform or may follow
after acceptance (容缺), and creates a window clerk for its department through the staff API
(as system.admin). That item cannot serve the decisions: its result is a payment, and an approver
may not decide while 容缺 materials are outstanding. The decisions take an online item whose result
is a licence and that no licence type names yet (the same department first), whose required files
are uploaded once and reused by hash in every filing; the script creates `bench.approver` (and a
clerk, if the department differs) the same way. The raw transaction ceiling runs in another
process on the same engine: for SQLite, Python's sqlite3 on a scratch file in the data folder (WAL,
synchronous=FULL); for PostgreSQL, pgbench on scratch tables; each transaction inserts a case-sized
row (~1 KB) and a timeline-sized row (~200 B). Server RSS (VmRSS, and the peak VmHWM) is read after
each route. `--only PART` measures the routes whose label contains PART (`verify`, `decide`,
`decide + licence`, `submit+accept`, …) and skips the raw ceiling.

Statistics (issue 12) at a city's scale: `--statistics-cases N` (with `--statistics-reviews M`,
`--statistics-days D`) runs `yiwang bench-statistics` on the empty database before the server's
first start (generation in SQL, the summaries filled by the recount, a second recount that must
find no difference; timed, its report kept), or `--data-dir DIR` serves a SQLite data folder made
earlier by `YIWANG_DATA_DIR=DIR yiwang bench-statistics …` (left as it is afterwards), or
`--prepared` a PostgreSQL database made by it with YIWANG_DATA_KEYS and YIWANG_INDEX_KEY from this
environment (the same keys the command ran with). Then only the empty route and the public
statistics routes are measured: `statistics 30d` (`GET /api/v1/statistics`, the default 30 days),
`statistics year by department`, `statistics 90d by day` and `statistics csv` (a year by item, as
CSV), beside the **raw query ceiling** of the same engine from another process (the summary
table's 30-day sum and its 90 days by day, as the server asks them: Python's sqlite3 threads with
their own connections, or pgbench), at each connection count. There `--only PART` picks statistics
routes and raw queries by label (`30d`, `by day`, `csv`, `raw query`); the empty route always runs.

Prints one Markdown table (and `--json FILE`). Exit status: 0 done, 1 a write route answered
anything but 2xx (or lost a connection), or the licences issued do not match the approvals, 2 the
benchmark could not be set up. Standard library only, plus wrk (built with LuaJIT, as Debian's and
upstream's are: decide.lua times chains through its FFI), and pgbench and psql for PostgreSQL.
"""
import argparse, base64, datetime, glob, json, math, os, platform, re, shutil, signal, socket, sqlite3
import subprocess, sys, tempfile, threading, time, urllib.parse, uuid

from yiwang_server import CITIZEN, ROOT, Server, SetupError, fill_form, request, token

HERE = os.path.dirname(os.path.abspath(__file__))
LUA = os.path.join(HERE, "bench")
SEARCH_WORDS = "营业执照"
BENCH_CLERK, BENCH_CLERK_PASSWORD = "bench.clerk", "Bench-clerk-2026"
BENCH_APPROVER, BENCH_APPROVER_PASSWORD = "bench.approver", "Bench-approver-2026"
# Only when the decision item is not in the acceptable item's department (it is, in the demo city).
BENCH_DECISION_CLERK = "bench.decision.clerk"
QUEUE_STAFF = "market.approver"
# The licence type the second decision run wires to the decision item: the code is the Ministry of
# Housing's credit code (as in Resources/Seed/licence-types.json) with a sequence no seed type uses.
BENCH_LICENCE_TYPE = "11100000000013338W099"
# Labels the --only option matches (the queue labels carry counts, so they are made where they run).
VERIFY_STATUS = "verify status `GET /api/v1/licences/{id}/verification`"
VERIFY_PAGE = "verify page `GET /verify/{id}`"
VERIFY_DOCUMENT = "verify document `POST /api/v1/licences/verification`"
DECIDE = "decide (no licence)"
DECIDE_LICENCE = "decide + licence (issue and SM2 seal)"
HELD_BY_PLATFORM = ("eLicence", "sharedData")  # MaterialSource.isHeldByPlatform
HEALTHZ = "empty route `GET /healthz`"
STATISTICS_30D = "statistics 30d `GET /api/v1/statistics`"
STATISTICS_YEAR_DEPARTMENT = "statistics year by department `?from=&to=&groupBy=department` (365 days)"
STATISTICS_90D_DAY = "statistics 90d by day `?from=&to=&groupBy=day`"
STATISTICS_CSV = "statistics csv, year by item `?from=&to=&groupBy=item&format=csv`"
# The counters of the summary tables, as migration 0020 (CreateEvaluation.counterColumns) made them.
STATISTICS_COUNTERS = ["applications", "accepted", "not_accepted", "decided", "decided_on_time", "concluded",
                       "concluded_fully_online", "visits", "materials_required", "materials_spared", "reviews_level_1",
                       "reviews_level_2", "reviews_level_3", "reviews_level_4", "reviews_level_5", "reviews_excluded",
                       "rectified_on_time", "rectified_late"]
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


def bench_staff(base, account, password, role, department, display_name):
    """A staff account with one role in the department, made through the staff API (the database
    is always fresh); its token, as request headers."""
    body = {"account": account, "displayName": display_name, "password": password,
            "grants": [{"role": role, "scope": {"departmentCreditCode": department["creditCode"]}}]}
    status, answer = request(base, "POST", "/api/v1/staff", body, token(base, "system.admin"))
    if status != 201:
        raise SetupError(f"creating {account}: {status} {answer!r}"[:300])
    return token(base, account, password)


def bench_clerk(base, department):
    """A window clerk of the department."""
    return bench_staff(base, BENCH_CLERK, BENCH_CLERK_PASSWORD, "windowClerk", department, "压测窗口人员")


def decision_item(base, department_code):
    """An item whose approval can issue a licence once a type is wired to it: online, for a natural
    person, not decided at acceptance, its result a licence (CaseStep issues only then) and no
    licence type issued by it yet. Its required files are given once and reused by hash in every
    filing, so nothing is deferred: an approver may not decide while 容缺 materials are outstanding.
    The acceptable item's department first, so one clerk serves both. (code, name, department, guide)."""
    status, types = request(base, "GET", "/api/v1/licence-types")
    if status != 200:
        raise SetupError(f"GET /api/v1/licence-types -> {status}")
    wired = {code for t in types for code in t["issuedBy"]}
    candidates = [i for i in all_items(base) if i.get("canApplyOnline") and i.get("processing") != "immediate"
                  and "naturalPerson" in i.get("targets", []) and i["baseCode"] not in wired]
    candidates.sort(key=lambda i: i["department"].get("creditCode") != department_code)
    for summary in candidates:
        status, guide = request(base, "GET", "/api/v1/items/" + summary["code"])
        if status == 200 and guide["result"]["kind"] == "licence":
            return summary["code"], summary["name"], guide["department"], guide
    raise SetupError("no published online item for a natural person has a licence as its result and no licence type yet")


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
    return {"code": code, "name": name, "department": department["name"], "department_code": department["creditCode"],
            "result": guide["result"]["kind"], "body": body, "deferred": deferred, "applicant": applicant["Authorization"],
            "clerk": clerk["Authorization"], "approver": approver["Authorization"]}


def prepare_verification(base, applicant):
    """A valid licence of the demo citizen's (the demo city seeds one) and its signed document, as
    its holder gets it; checked once by hand: the document must verify as valid."""
    auth = {"Authorization": applicant}
    status, wallet = request(base, "GET", "/api/v1/me/licences", headers=auth)
    valid = [l for l in wallet if l["status"] == "valid"] if status == 200 else []
    if not valid:
        raise SetupError(f"the demo citizen holds no valid licence to verify: GET /api/v1/me/licences -> "
                         f"{status} {wallet!r}"[:400])
    identifier = valid[0]["identifier"]
    status, shown = request(base, "GET", f"/api/v1/licences/{identifier}", headers=auth)
    if status != 200:
        raise SetupError(f"GET /api/v1/licences/{identifier} -> {status} {shown!r}"[:400])
    document = json.dumps(shown["document"], ensure_ascii=False, separators=(",", ":"))
    status, verdict = request(base, "POST", "/api/v1/licences/verification", document.encode(),
                              {"Content-Type": "application/json"})
    if status != 200 or verdict.get("result") != "valid":
        raise SetupError(f"the holder's own document does not verify: {status} {verdict!r}"[:400])
    return {"licence": identifier, "licence_name": valid[0]["name"], "licence_document": document}


def bench_pdf(position):
    return (b"%PDF-1.4\n% yiwang bench_http.py, material " + str(position).encode()
            + b"\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")


def prepare_decisions(base, s):
    """The decision chain: its item, a bench approver of the item's department (and a clerk, if the
    bench clerk is of another), the files the applicant gives uploaded once to a draft and named
    by hash in every filing, and one whole decision by hand. No licence type is wired yet."""
    code, name, department, guide = decision_item(base, s["department_code"])
    applicant = {"Authorization": s["applicant"]}
    same_department = department["creditCode"] == s["department_code"]
    clerk_account = BENCH_CLERK if same_department else BENCH_DECISION_CLERK
    clerk = {"Authorization": s["clerk"]} if same_department else \
        bench_staff(base, BENCH_DECISION_CLERK, BENCH_CLERK_PASSWORD, "windowClerk", department, "压测窗口人员(决定)")
    approver = bench_staff(base, BENCH_APPROVER, BENCH_APPROVER_PASSWORD, "approver", department, "压测审批人员")
    files = [i + 1 for i, m in enumerate(guide["materials"]) if m["required"] and m["source"] not in HELD_BY_PLATFORM]
    references = []
    if files:
        status, draft = request(base, "POST", "/api/v1/cases", {"item": code, "form": {}, "submit": False},
                                dict(applicant, **{"Idempotency-Key": str(uuid.uuid4())}))
        if status != 201:
            raise SetupError(f"draft of {code} for its files: {status} {draft!r}"[:400])
        for position in files:
            headers = dict(applicant, **{"Content-Type": "application/pdf", "X-File-Name": f"bench-{position}.pdf"})
            status, file = request(base, "PUT", f"/api/v1/cases/{draft['id']}/materials/{position}", bench_pdf(position), headers)
            if status != 201:
                raise SetupError(f"uploading material {position} of {code}: {status} {file!r}"[:400])
            references.append({"material": position, "reuse": file["sha256"]})
    body = {"item": code, "form": fill_form(guide), "submit": True}
    if references:
        body["materials"] = references
    d = {"decide_code": code, "decide_name": name, "decide_department": department["name"], "decide_body": body,
         "decide_files": [guide["materials"][p - 1]["name"] for p in files], "decide_base_code": code[-12:],
         "decide_clerk": clerk["Authorization"], "decide_clerk_account": clerk_account,
         "decide_approver": approver["Authorization"]}
    decide_once(base, dict(s, **d))
    return d


def decide_once(base, s):
    """One decision by hand (submit, accept, review, approve); raises SetupError on any refusal."""
    headers = {"Authorization": s["applicant"], "Idempotency-Key": str(uuid.uuid4())}
    status, case = request(base, "POST", "/api/v1/cases", s["decide_body"], headers)
    if status != 201:
        raise SetupError(f"probe submit of {s['decide_code']}: {status} {case!r}"[:400])
    for who, action in (("decide_clerk", "accept"), ("decide_approver", "review"), ("decide_approver", "approve")):
        status, answer = request(base, "POST", f"/api/v1/cases/{case['id']}/transitions", {"action": action},
                                 {"Authorization": s[who]})
        if status != 200:
            raise SetupError(f"probe {action} of {case['id']} ({s['decide_code']}): {status} {answer!r}"[:400])
    return answer


def wallet_size(base, s):
    """How many licences the demo citizen holds (every version)."""
    status, wallet = request(base, "GET", "/api/v1/me/licences", headers={"Authorization": s["applicant"]})
    if status != 200:
        raise SetupError(f"GET /api/v1/me/licences -> {status}")
    return len(wallet)


def bench_licence_type(base_code):
    """A licence type issued by the item of that base code, whose face takes nothing from the form."""
    face = [("holder", "持证人", "text", "holder.name"), ("holderCode", "持证人证件号码", "code", "holder.code"),
            ("decidedOn", "决定日期", "date", "decision.date"), ("caseNumber", "办件编号", "text", "case.number"),
            ("issuer", "发证机关", "text", "issuer.name")]
    return {"code": BENCH_LICENCE_TYPE, "name": "压测电子证照", "definedBy": "压测(scripts/bench_http.py)",
            "holderKind": "either", "validityYears": 5, "issuedBy": [base_code], "acceptedAs": [],
            "faceFields": [{"key": k, "label": l, "kind": kind, "source": src} for k, l, kind, src in face]}


def wire_licence_type(server, s, work):
    """`yiwang licence import-types` on the running server's database (SQLite file or DATABASE_URL,
    the server's own environment), then one decision by hand, which must issue a licence that
    verifies; it also makes the department's seal, if it has none yet, outside the measurement.
    Seconds the import took."""
    path = os.path.join(work, "bench-licence-types.json")
    with open(path, "w") as f:
        json.dump({"licenceTypes": [bench_licence_type(s["decide_base_code"])]}, f, ensure_ascii=False, indent=1)
    started = time.monotonic()
    status, out = server.cli("licence", "import-types", path, timeout=600)
    took = time.monotonic() - started
    if status != 0:
        raise SetupError(f"yiwang licence import-types failed ({status}): {out}"[:600])
    status, types = request(server.base, "GET", "/api/v1/licence-types")
    if status != 200 or not any(t["code"] == BENCH_LICENCE_TYPE and s["decide_base_code"] in t["issuedBy"] for t in types):
        raise SetupError(f"the imported licence type {BENCH_LICENCE_TYPE} is not served (GET /api/v1/licence-types -> {status})")
    before = wallet_size(server.base, s)
    decided = decide_once(server.base, s)
    auth = {"Authorization": s["applicant"]}
    wallet = request(server.base, "GET", "/api/v1/me/licences", headers=auth)[1]
    issued = [l for l in wallet if l["number"] == decided.get("resultDocument")]
    if len(wallet) != before + 1 or not issued:
        raise SetupError(f"the probe approval of {decided.get('id')} issued no licence after the import")
    # The licence as issued must verify: signature, the department's seal certificate, status.
    document = request(server.base, "GET", f"/api/v1/licences/{issued[0]['identifier']}", headers=auth)[1].get("document")
    status, verdict = request(server.base, "POST", "/api/v1/licences/verification", document)
    if status != 200 or verdict.get("result") != "valid":
        raise SetupError(f"the licence the probe approval issued does not verify: {status} {verdict!r}"[:400])
    return took


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


def pgbench(url, work, name, text, connections, seconds, threads):
    """Runs one pgbench script (prepared statements) for `seconds`; throughput and latencies."""
    script, prefix = os.path.join(work, f"{name}.sql"), os.path.join(work, f"pgbench-{name}-c{connections}")
    with open(script, "w") as f:
        f.write(text)
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


def postgres_raw(url, work, connections, seconds, threads):
    psql(url, RAW_PG_TABLES)
    try:
        return pgbench(url, work, "raw", RAW_PG_SCRIPT, connections, seconds, threads)
    finally:
        psql(url, "DROP TABLE IF EXISTS bench_raw_events, bench_raw_cases")


# MARK: statistics (issue 12)

def china_today():
    """Today in China, as the server's `ctx.today` (UTC+8)."""
    return datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).date()


def statistics_routes():
    """(label, path) of the statistics routes measured, their periods ending today."""
    today = china_today()
    year, quarter = today - datetime.timedelta(days=364), today - datetime.timedelta(days=89)
    return [(STATISTICS_30D, "/api/v1/statistics"),
            (STATISTICS_YEAR_DEPARTMENT, f"/api/v1/statistics?from={year}&to={today}&groupBy=department"),
            (STATISTICS_90D_DAY, f"/api/v1/statistics?from={quarter}&to={today}&groupBy=day"),
            (STATISTICS_CSV, f"/api/v1/statistics?from={year}&to={today}&groupBy=item&format=csv")]


def statistics_queries():
    """(label, SQL) of the raw query ceilings, on the level the server reads for these routes (the
    city's, day x channel): the 30 days summed from the daily table alone (the server reads fewer
    rows: a month less the days left out, when that is cheaper), and 90 days by day, which the
    server reads exactly so."""
    today = china_today()
    sums = ", ".join(f"CAST(SUM({c}) AS BIGINT) AS {c}" for c in STATISTICS_COUNTERS)
    month, quarter = today - datetime.timedelta(days=29), today - datetime.timedelta(days=89)
    return [("raw query ceiling: 30-day sum of statistics_city_daily", "30d",
             f"SELECT {sums} FROM statistics_city_daily WHERE day >= '{month}' AND day <= '{today}'"),
            ("raw query ceiling: 90 days of statistics_city_daily by day", "90d",
             f"SELECT day AS grp, {sums} FROM statistics_city_daily WHERE day >= '{quarter}' AND day <= '{today}' GROUP BY day")]


def sqlite_query_worker(path, connections, seconds, query):
    """Runs in its own process (`--sqlite-query-worker`): each thread with its own connection runs
    the query and reads every row, as often as it can (sqlite3 lets go of the GIL while it steps)."""
    latencies, stop = [], time.monotonic() + seconds

    def reader():
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA busy_timeout=60000")
        mine = []
        while time.monotonic() < stop:
            began = time.perf_counter()
            db.execute(query).fetchall()
            mine.append(time.perf_counter() - began)
        db.close()
        latencies.extend(mine)

    began = time.monotonic()
    workers = [threading.Thread(target=reader) for _ in range(connections)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.monotonic() - began
    latencies.sort()
    print(json.dumps({"transactions": len(latencies), "seconds": elapsed, "tps": len(latencies) / elapsed,
                      "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000}))


def sqlite_query_raw(data_dir, connections, seconds, query):
    done = subprocess.run([sys.executable, os.path.abspath(__file__), "--sqlite-query-worker",
                           os.path.join(data_dir, "yiwang.sqlite"), str(connections), str(seconds), query],
                          capture_output=True, text=True, timeout=seconds + 120)
    if done.returncode != 0:
        raise SetupError(f"raw SQLite query worker failed: {done.stderr[-800:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def dataset_counts(args, data_dir):
    """Rows of the tables the statistics stand on (what the server is measured with)."""
    tables = ["cases", "case_events", "reviews", "rectifications"] + [
        f"statistics{level}_{period}" for level in ("", "_item", "_department", "_city") for period in ("daily", "monthly")]
    if args.engine == "postgres":
        return {t: int(psql(args.database_url, f"SELECT count(*) FROM {t}")) for t in tables}
    db = sqlite3.connect(os.path.join(data_dir, "yiwang.sqlite"))
    try:
        return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    finally:
        db.close()


def generate_statistics_data(args, server, report):
    """`yiwang bench-statistics` on the empty database, before the server's first start; timed,
    its own report kept (without the migrations' log lines)."""
    cmd = ["bench-statistics", "--cases", str(args.statistics_cases), "--reviews", str(args.statistics_reviews),
           "--days", str(args.statistics_days)]
    print(f"yiwang {' '.join(cmd)} …", file=sys.stderr)
    started = time.monotonic()
    status, out = server.cli(*cmd, timeout=4 * 3600)
    seconds = time.monotonic() - started
    if status != 0:
        raise SetupError(f"yiwang bench-statistics failed ({status}):\n{out[-2000:]}")
    lines = out.splitlines()
    first = next((i for i, line in enumerate(lines) if line.startswith("Yiwang statistics data")), 0)
    report["statistics_data"] = {"command": "yiwang " + " ".join(cmd), "seconds": seconds, "output": lines[first:]}
    print("\n".join(lines[first:]) + f"\n(the whole process: {seconds:.1f} s)", file=sys.stderr)


def measure_statistics(args, server, report, work, connection_counts):
    """The empty route and the statistics routes over HTTP, then the raw query ceilings beside the
    idle server. True when every answer was 2xx."""
    base, pid = server.base, server.proc.pid
    routes = [(HEALTHZ, "/healthz")] + [r for r in statistics_routes() if not args.only or args.only in r[0]]
    clean = True
    for label, path in routes:
        status, answer = request(base, "GET", path)  # a wrong path or an empty data set fails here, clearly
        if status != 200:
            raise SetupError(f"{label}: {path} -> {status} {answer!r}"[:400])
        if path.startswith("/api/v1/statistics") and "format=csv" not in path and not answer["total"]["applications"]:
            raise SetupError(f"{label}: {path} counts no application: is this the generated data set?")
        for c in connection_counts:
            print(f"  {label}, {c} connections …", file=sys.stderr)
            n = len(report["rows"])
            out = run_wrk(base + path, "get.lua", {}, c, args.threads, args.seconds, os.path.join(work, f"wrk-{n:02d}-get-c{c}.txt"))
            if not server.alive():
                raise SetupError(f"the server stopped during {label}:\n{server.tail()}")
            seconds = out["duration_us"] / 1e6
            sockets = {k: v for k, v in out["socket_errors"].items() if v}
            row = {"route": label, "path": path, "connections": c, "requests": out["requests"],
                   "rps": out["requests"] / seconds, "p50_ms": out["latency_us"]["p50"] / 1000,
                   "p99_ms": out["latency_us"]["p99"] / 1000, "max_ms": out["latency_us"]["max"] / 1000,
                   "errors": out["counts"].get("bad", 0) + sum(sockets.values()),
                   "error_detail": dict(out["bad_statuses"], **sockets), "first_error": out["first_bad"],
                   "write": False, "script": "get.lua"}
            row["rss_kib"], row["hwm_kib"] = rss(pid)
            report["rows"].append(row)
            clean &= row["errors"] == 0
    # The engine's own ceiling for the same reads, from another process, the server idle beside it.
    raw_rows = []
    for label, name, query in [q for q in statistics_queries() if not args.only or args.only in q[0]]:
        for c in connection_counts:
            print(f"  {label}, {c} connections …", file=sys.stderr)
            if args.engine == "sqlite":
                raw = sqlite_query_raw(server.data_dir, c, args.seconds, query)
                detail = "Python's sqlite3, other process"
            else:
                raw = pgbench(args.database_url, work, f"query-{name}", query + ";\n", c, args.seconds, args.threads)
                detail = "pgbench, other process"
            raw_rows.append({"route": f"{label} ({detail})", "connections": c, "rps": raw["tps"], "unit": "q/s",
                             "p50_ms": raw["p50_ms"], "p99_ms": raw["p99_ms"], "requests": raw["transactions"],
                             "errors": raw.get("failed", 0), "error_detail": {}, "raw": True})
    healthz = [r for r in report["rows"] if r["path"] == "/healthz"]
    report["rows"] = healthz + raw_rows + [r for r in report["rows"] if r["path"] != "/healthz"]
    counts = dataset_counts(args, server.data_dir)
    today = china_today()
    report["dataset"] = counts
    report["notes"] = [
        f"- data: {counts['cases']:,} cases ({counts['case_events']:,} timeline steps), {counts['reviews']:,} reviews, "
        f"{counts['rectifications']:,} rectifications; summary tables (daily and monthly rows): every fact "
        f"{counts['statistics_daily']:,} and {counts['statistics_monthly']:,}, items {counts['statistics_item_daily']:,} and "
        f"{counts['statistics_item_monthly']:,}, departments {counts['statistics_department_daily']:,} and "
        f"{counts['statistics_department_monthly']:,}, the city {counts['statistics_city_daily']:,} and {counts['statistics_city_monthly']:,}"
        + (f"; made by `{report['statistics_data']['command']}` in {report['statistics_data']['seconds']:.1f} s (the whole "
           "process: demo city, generation in SQL, recount, summaries written, second recount)" if "statistics_data" in report
           else f"; prepared beforehand ({'--data-dir ' + args.data_dir if args.data_dir else '--prepared'})") + ".",
        f"- statistics routes: public, no sign-in; periods end today ({today}, China time): 30d is the default period "
        "(30 days), the year is 365 days (whole months from the monthly table, the ends from the daily one), 90d by day "
        "reads the daily table, csv is the year by item as CSV. Each reads the smallest summary level that keeps what it "
        "groups by: the city (30d, 90d by day), departments (year by department), items (csv). Every answer is read whole by wrk.",
        "- raw query ceiling: the 30-day total summed from the city's daily rows (the server may read a month less the "
        "days left out instead) and 90 days by day as the server asks it, straight to the database from another process "
        "with the server idle beside it "
        + ("(N threads with their own sqlite3 connections, each reading every row)." if args.engine == "sqlite"
           else "(N pgbench clients, prepared statements)."),
        "- errors: answers other than 2xx and socket errors (connect, read, write, timeout).",
        "- server RSS: VmRSS of the server process after the route, in parentheses its peak (VmHWM) so far"
        + (" (the PostgreSQL backends are not counted)." if args.engine == "postgres" else "."),
        f"- wrk threads: min({args.threads}, connections); wrk and the server share the machine's cores.",
    ]
    return clean


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
            f"{r['chains_per_s']:.1f} chains/s ({r['rps']:.1f} req/s)" if "chains_per_s" in r else \
            f"{r['rps']:.1f} {r.get('unit', 'tx/s')}" if r.get("raw") else f"{r['rps']:.1f}"
        errors = str(r["errors"]) + (" (" + ", ".join(f"{k}×{v}" for k, v in r["error_detail"].items()) + ")" if r["errors"] else "")
        memory = f"{mib(r['rss_kib'])} MiB ({mib(r['hwm_kib'])})" if "rss_kib" in r else "—"
        lines.append(f"| {r['route']} | {r['connections']} | {rate} | {r['p50_ms']:.2f} ms | {r['p99_ms']:.2f} ms | {errors} | {memory} |")
    lines += ["", *report["notes"]]
    if "import" in report:
        i = report["import"]
        lines.append(f"- catalog: the demo city plus {i['items']} generated entries, imported by `yiwang import` "
                     f"in {i['seconds']:.2f} s (the whole process, migrations check included).")
    return "\n".join(lines)


def decision_notes(report, s):
    """What the decision rows measured, the licences they issued and what the licence costs a decision."""
    rows = [r for r in report["rows"] if r.get("script") == "decide.lua"]
    if not rows:
        return []
    why = []
    if s["decide_code"] != s["code"]:
        why = [f"the submit+accept item's result is {s['result']}, not a licence"]
        if s["deferred"]:
            why.append(f"its 容缺 material ({'、'.join(s['deferred'])}) would block the decision")
    files = "、".join(s["decide_files"])
    notes = [
        f"- decide: item {s['decide_code']} {s['decide_name']} ({s['decide_department']})"
        + (f" ({', and '.join(why)})" if why else "")
        + ", filed by the demo citizen with a new Idempotency-Key each"
        + (f", its required files ({files}) uploaded once before the runs and named by hash in every filing (材料复用: "
           "nothing is deferred, and an approver may not decide while 容缺 materials are outstanding)" if files else "")
        + f"; accepted by `{s['decide_clerk_account']}`, then review and approve by `{BENCH_APPROVER}`, an approver of that "
        "department made for this run. One wrk thread per connection, each running its chains in order; chains/s counts "
        "completed chains (submit → accept → review → approve), p50/p99 are whole chains, from sending the filing to the "
        "approval's answer (each step's own figures are in the JSON report)."]
    licensed = [r for r in rows if r["route"] == DECIDE_LICENCE]
    plain = {r["connections"]: r for r in rows if r["route"] == DECIDE}
    if licensed:
        issued = ", ".join(f"{r['licences']} for {r['chains']} completed chains at {r['connections']} connection"
                           f"{'s' if r['connections'] > 1 else ''}" for r in licensed)
        notes.append(
            f"- decide + licence: {f'after `{DECIDE}`' if plain else 'before its first run'}, `yiwang licence "
            "import-types` (beside the running server, on its "
            f"database; {report.get('licence_import_s', 0):.2f} s) wired licence type {BENCH_LICENCE_TYPE} to base code "
            f"{s['decide_base_code']}, its face only from holder.name, holder.code, decision.date, case.number and "
            "issuer.name; one decision by hand then issued a licence that verifies as valid (and made the department's "
            "seal if it had none) outside the measurement. Each approval then issues and seals a licence in its own "
            "transaction (serial, face, SM2 signature with the department's seal, sealed document, use record, audit "
            "entry, notice). Licences issued (the demo citizen's wallet, counted before and after each run; an approval "
            f"still in flight when wrk stops adds one, at most one per connection): {issued}"
            + (f"; `{DECIDE}` issued {sum(r['licences'] for r in plain.values())}." if plain else "."))
    costs = []
    for r in licensed:
        p = plain.get(r["connections"])
        if not p or not p["chains"] or not r["chains"]:
            continue
        extra = 1000 / r["chains_per_s"] - 1000 / p["chains_per_s"]
        step = lambda row: row["steps_ms"].get("approve", {}).get("p50", 0)  # noqa: E731
        costs.append(f"at {r['connections']} connection{'s' if r['connections'] > 1 else ''}, {p['chains_per_s']:.1f} → "
                     f"{r['chains_per_s']:.1f} chains/s ({extra:+.2f} ms of capacity per decision), chain p50 "
                     f"{p['p50_ms']:.2f} → {r['p50_ms']:.2f} ms, approve step p50 {step(p):.2f} → {step(r):.2f} ms "
                     f"({step(r) - step(p):+.2f} ms)")
    if costs:
        notes.append("- what the licence costs a decision (no licence → licence): " + "; ".join(costs) + ".")
    return notes


def verification_notes(s):
    if "licence" not in s:
        return []
    return [f"- verify: licence {s['licence']} ({s['licence_name']}), the demo citizen's, as seeded; status and page "
            "need no sign-in; verify document posts its signed document as its holder gets it (`GET /api/v1/licences/{id}` → "
            f"`document`, {len(s['licence_document'].encode())} bytes) and counts only answers whose verdict is valid "
            "(signature, seal certificate and status checked). None of the three writes."]


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
    parser.add_argument("--only", help="measure only the routes whose label contains this (e.g. submit+accept, verify, "
                                       "decide, 'decide + licence'), and skip the raw ceiling; for profiling one route")
    parser.add_argument("--catalog-items", type=int, default=0,
                        help="import this many generated entries (yiwang generate-catalog, then yiwang import, timed) "
                             "beside the demo city before measuring")
    parser.add_argument("--statistics-cases", type=int, default=0,
                        help="statistics at scale: `yiwang bench-statistics` with this many cases on the empty database "
                             "before the first start; then only the empty route and the statistics routes are measured")
    parser.add_argument("--statistics-reviews", type=int, default=100000, help="with --statistics-cases (default 100000)")
    parser.add_argument("--statistics-days", type=int, default=365, help="with --statistics-cases (default 365)")
    parser.add_argument("--data-dir", help="SQLite: serve this data folder, prepared by `YIWANG_DATA_DIR=DIR yiwang "
                                           "bench-statistics`, and measure the statistics routes (the folder is kept)")
    parser.add_argument("--prepared", action="store_true",
                        help="PostgreSQL: the database at --database-url was prepared by `yiwang bench-statistics` with "
                             "YIWANG_DATA_KEYS and YIWANG_INDEX_KEY from this environment; measure the statistics routes")
    args = parser.parse_args()
    statistics = bool(args.statistics_cases or args.data_dir or args.prepared)
    if args.data_dir and (args.engine != "sqlite" or args.statistics_cases or not os.path.isfile(os.path.join(args.data_dir, "yiwang.sqlite"))):
        print("--data-dir is a prepared SQLite data folder (with yiwang.sqlite), without --statistics-cases", file=sys.stderr)
        return 2
    if args.prepared and (args.engine != "postgres" or args.statistics_cases):
        print("--prepared is for --engine postgres, without --statistics-cases", file=sys.stderr)
        return 2
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
        if args.prepared:
            # The keys the data was sealed with by `yiwang bench-statistics`.
            if not os.environ.get("YIWANG_DATA_KEYS") or not os.environ.get("YIWANG_INDEX_KEY"):
                print("--prepared needs YIWANG_DATA_KEYS and YIWANG_INDEX_KEY as `yiwang bench-statistics` had them", file=sys.stderr)
                return 2
            env.update(DATABASE_URL=args.database_url, YIWANG_DATA_KEYS=os.environ["YIWANG_DATA_KEYS"],
                       YIWANG_INDEX_KEY=os.environ["YIWANG_INDEX_KEY"])
        else:
            # Fresh keys each run: that is why the database must be empty (sealed data from another run would not open).
            key = lambda: base64.b64encode(os.urandom(32)).decode()  # noqa: E731
            env.update(DATABASE_URL=args.database_url, YIWANG_DATA_KEYS="bench:" + key(), YIWANG_INDEX_KEY=key())

    try:
        if args.engine == "postgres":
            tables = psql(args.database_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            if tables != "0" and not args.prepared:
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
    server = Server(binary, os.path.abspath(args.data_dir) if args.data_dir else os.path.join(work, "data"), work, env=env, isolate=True)
    if not args.data_dir:
        os.mkdir(server.data_dir)
    report = {"engine": args.engine, "engine_detail": engine,
              "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
              "machine": machine(), "binary": os.path.relpath(os.path.abspath(args.bin), ROOT),
              "build": "debug" if "/debug/" in os.path.abspath(args.bin) else "release",
              "seconds": args.seconds, "connections": connection_counts, "rows": [], "notes": []}
    failed_writes, ok = False, False
    try:
        if args.statistics_cases:
            generate_statistics_data(args, server, report)
        print(f"starting {args.bin} ({args.engine}) in {work} …", file=sys.stderr)
        server.start(ready_timeout=900)  # seeding PostgreSQL with a debug build takes a while
        if statistics:
            report["rss_start_kib"] = rss(server.proc.pid)[0]
            clean = measure_statistics(args, server, report, work, connection_counts)
            report["failed"] = not clean
            print(table(report))
            if args.json:
                with open(args.json, "w") as f:
                    json.dump(report, f, ensure_ascii=False, indent=2)
            ok = True
            if not clean:
                failed_writes = True  # keeps the work folder
                print(f"\nFAIL: a statistics route answered something other than 2xx; wrk output in {work}", file=sys.stderr)
                return 1
            return 0
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
        wanted = lambda label: not args.only or args.only in label  # noqa: E731
        s = prepare(base)
        print(f"item {s['code']} {s['name']} ({s['department']}); clerk {BENCH_CLERK}", file=sys.stderr)
        if any(wanted(label) for label in (VERIFY_STATUS, VERIFY_PAGE, VERIFY_DOCUMENT)):
            s.update(prepare_verification(base, s["applicant"]))
            print(f"licence to verify: {s['licence']} ({s['licence_name']})", file=sys.stderr)
        if wanted(DECIDE) or wanted(DECIDE_LICENCE):
            s.update(prepare_decisions(base, s))
            print(f"decisions: item {s['decide_code']} {s['decide_name']} ({s['decide_department']}); "
                  f"clerk {s['decide_clerk_account']}, approver {BENCH_APPROVER}", file=sys.stderr)
        queue_total = lambda auth: request(base, "GET", "/api/v1/cases?per=1", headers={"Authorization": auth})[1]["total"]  # noqa: E731
        run_id = uuid.uuid4().hex[:12]
        write_env = {"BENCH_AUTH": s["applicant"], "BENCH_CLERK_AUTH": s["clerk"],
                     "BENCH_BODY": json.dumps(s["body"], ensure_ascii=False, separators=(",", ":"))}
        search = "/api/v1/items?q=" + urllib.parse.quote(SEARCH_WORDS)
        route = lambda label, path, script="get.lua", env=None, write=False, **more: dict(  # noqa: E731
            label=label, path=path, script=script, env=env or {}, write=write, **more)
        # Run in this order. A write route that answers anything but 2xx makes the exit status 1;
        # `before` runs once before the route's first wrk run; decide runs one wrk thread per connection.
        routes = [
            route("empty route `GET /healthz`", "/healthz"),
            route(f"search `GET /api/v1/items?q={SEARCH_WORDS}`", search),
            route("guide page `GET /items/{code}`", f"/items/{s['code']}"),
            route(f"queue `GET /api/v1/cases` ({QUEUE_STAFF}, {queue_total(s['approver'])} cases)", "/api/v1/cases",
                  env={"BENCH_AUTH": s["approver"]}),
        ]
        if "licence" in s:
            routes += [
                route(VERIFY_STATUS, f"/api/v1/licences/{s['licence']}/verification"),
                route(VERIFY_PAGE, f"/verify/{s['licence']}"),
                route(VERIFY_DOCUMENT, "/api/v1/licences/verification", "post.lua",
                      {"BENCH_BODY": s["licence_document"], "BENCH_EXPECT": '"result":"valid"'}),
            ]
        routes += [
            route("submit `POST /api/v1/cases`", "/api/v1/cases", "submit.lua", write_env, True),
            route("submit+accept", "/api/v1/cases", "submit_accept.lua", write_env, True),
        ]
        if "decide_code" in s:
            decide_env = {"BENCH_AUTH": s["applicant"], "BENCH_CLERK_AUTH": s["decide_clerk"],
                          "BENCH_APPROVER_AUTH": s["decide_approver"],
                          "BENCH_BODY": json.dumps(s["decide_body"], ensure_ascii=False, separators=(",", ":"))}
            routes += [
                route(DECIDE, "/api/v1/cases", "decide.lua", decide_env, True, thread_per_connection=True),
                route(DECIDE_LICENCE, "/api/v1/cases", "decide.lua", decide_env, True, thread_per_connection=True,
                      before=lambda: report.update(licence_import_s=wire_licence_type(server, s, work))),
            ]
        routes.append(route(None, "/api/v1/cases", env={"BENCH_AUTH": s["clerk"]}))  # labelled when it runs
        if args.only:
            routes = [r for r in routes if r["label"] and args.only in r["label"]]
        licence_problems = []
        for r in routes:
            label, path, script, route_env, write = r["label"], r["path"], r["script"], r["env"], r["write"]
            if label is None:
                label = f"queue `GET /api/v1/cases` ({BENCH_CLERK}, {queue_total(s['clerk'])} cases, after the writes)"
            if "before" in r:
                r["before"]()
            if not write:  # one plain request first: a wrong path, token or body fails here, clearly
                auth = {"Authorization": route_env["BENCH_AUTH"]} if route_env.get("BENCH_AUTH") else {}
                if "BENCH_BODY" in route_env:
                    status, answer = request(base, "POST", path, route_env["BENCH_BODY"].encode(),
                                             dict(auth, **{"Content-Type": "application/json"}))
                else:
                    status, answer = request(base, "GET", path, headers=auth or None)
                expect = route_env.get("BENCH_EXPECT")
                if status != 200 or expect and expect not in json.dumps(answer, ensure_ascii=False, separators=(",", ":")):
                    raise SetupError(f"{label}: {path} -> {status} {answer!r}"[:400])
            for c in connection_counts:
                print(f"  {label}, {c} connections …", file=sys.stderr)
                n = len(report["rows"])
                log = os.path.join(work, f"wrk-{n:02d}-{script[:-4]}-c{c}.txt")
                licences_before = wallet_size(base, s) if script == "decide.lua" else 0
                # Idempotency keys are BENCH_RUN, wrk thread and counter: a new BENCH_RUN for every wrk run.
                out = run_wrk(base + path, script, dict(route_env, BENCH_RUN=f"{run_id}-{n}"), c,
                              c if r.get("thread_per_connection") else args.threads, args.seconds, log)
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
                if script == "decide.lua":
                    # The table shows whole chains; the per-request figures and each step stay in the JSON.
                    chain = out["samples"].get("chain", {"p50": 0, "p99": 0, "max": 0})
                    row.update(chains=out["counts"].get("chains", 0), request_p50_ms=row["p50_ms"], request_p99_ms=row["p99_ms"],
                               p50_ms=chain["p50"] / 1000, p99_ms=chain["p99"] / 1000, max_ms=chain["max"] / 1000,
                               steps_ms={name: {"n": v["n"], "p50": v["p50"] / 1000, "p99": v["p99"] / 1000,
                                                "mean": v["mean"] / 1000} for name, v in out["samples"].items()})
                    row["chains_per_s"] = row["chains"] / seconds
                    row["licences"] = wallet_size(base, s) - licences_before
                    if label == DECIDE and row["licences"]:
                        licence_problems.append(f"{label}, {c} connections: {row['licences']} licences issued "
                                                "with no licence type wired")
                    # An approval in flight when wrk stops is issued but not counted: one per connection at most.
                    if label == DECIDE_LICENCE and not row["chains"] <= row["licences"] <= row["chains"] + c:
                        licence_problems.append(f"{label}, {c} connections: {row['licences']} licences for "
                                                f"{row['chains']} completed chains")
                row["rss_kib"], row["hwm_kib"] = rss(pid)
                report["rows"].append(row)
                failed_writes |= write and row["errors"] > 0
        failed_writes |= bool(licence_problems)
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
        order = ["/healthz", "raw", "submit.lua", "submit_accept.lua", "decide.lua", search, f"/items/{s['code']}",
                 "/api/v1/cases"]
        if "licence" in s:
            order += [f"/api/v1/licences/{s['licence']}/verification", f"/verify/{s['licence']}", "/api/v1/licences/verification"]
        report["rows"] = sorted(report["rows"] + raw_rows, key=lambda r: order.index(
            "raw" if r.get("raw") else r["script"] if r["write"] else r["path"]))
        report["notes"] = [
            f"- submit and submit+accept: item {s['code']} {s['name']} ({s['department']}), filed by the demo citizen "
            f"with a new Idempotency-Key each; accepted by `{BENCH_CLERK}`, a window clerk of that department made "
            f"for this run, as 容缺 acceptance (still to follow: {'、'.join(s['deferred']) or 'nothing'}). "
            "submit+accept counts completed pairs; its latencies mix both requests.",
            *decision_notes(report, s),
            *verification_notes(s),
            "- errors: answers other than 2xx (201 on submit) and socket errors (connect, read, write, timeout)"
            + ("; verify document also counts a 200 without a valid verdict" if "licence" in s else "")
            + "; the raw ceiling counts failed transactions.",
            "- server RSS: VmRSS of the server process after the route, in parentheses its peak (VmHWM) so far"
            + (" (the PostgreSQL backends are not counted)." if args.engine == "postgres" else "."),
            "- raw transaction ceiling: each transaction inserts a ~1 KB case-sized row and a ~200 B timeline-sized row "
            + ("(BEGIN IMMEDIATE … COMMIT) from N threads with their own connections in one Python process, taking turns "
               "on a lock as the server's writers take turns, on a scratch file beside the server's database."
               if args.engine == "sqlite" else "(BEGIN … COMMIT, prepared statements) from N pgbench clients on scratch "
               "tables in the same database, dropped afterwards."),
            f"- wrk threads: min({args.threads}, connections)" + ("; decide: one per connection" if "decide_code" in s else "")
            + "; wrk and the server share the machine's cores.",
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
        for problem in licence_problems:
            print(f"\nFAIL: {problem}", file=sys.stderr)
        if failed_writes:
            print(f"\nFAIL: a write route answered something other than 2xx, or the licences issued do not match the "
                  f"approvals; wrk output in {work}", file=sys.stderr)
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
    if len(sys.argv) == 6 and sys.argv[1] == "--sqlite-query-worker":
        sqlite_query_worker(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
        sys.exit(0)
    sys.exit(main())
