#!/usr/bin/env python3
"""Operations test: /metrics through a Prometheus parser, JSON logs, backup under load and restore.

Usage:
    python3 scripts/operations_test.py [--bin PATH] [--seconds S] [--workers N] [--keep]

A. Metrics. Starts `yiwang serve` on a fresh temporary data directory with
   YIWANG_METRICS_ALLOW=10.9.9.9 (so 127.0.0.1 is not allowed by address), a random
   YIWANG_METRICS_TOKEN and YIWANG_LOG_FORMAT=json. `GET /metrics` without the token (or with a
   wrong one) must answer 404; with `Authorization: Bearer <token>` 200 text/plain. After some
   traffic (a catalog search, citizen and staff tokens, a case filed with an uploaded PDF) the body
   is read with prometheus_client's parser and every platform family is checked: request latency
   and count per route pattern (no raw UUIDs in route labels), cases filed and decided, the outbox
   backlog, the deadline watch lag, the audit chain length, the database being up and the write
   wait histogram. The names found are printed.
B. JSON logs. Every line of the server's output that starts with `{` parses as JSON; the
   per-request lines carry request_id, route, status, duration_ms, actor and method; no line
   anywhere holds the demo citizen's ID number or phone number (both are sent in requests).
C. Backup under write load, and restore. Worker threads file cases (Idempotency-Key, one PDF
   each) for S seconds; after about 2 s `yiwang backup --output FILE` runs as a separate process.
   It must exit 0 while the load goes on without errors. `yiwang backup` onto an existing file is
   refused and leaves it unchanged. After SIGTERM, a second data folder gets the keys and the
   materials (no database); `yiwang restore FILE` there exits 0, `yiwang verify-audit` reports the
   chain intact (完整), a second restore while `serve` runs on that folder is refused, and that
   server answers 200 for every case acknowledged (201) before the backup started, with its
   acknowledged PDFs intact.

The binary defaults to $YIWANG_BIN or .build/debug/yiwang (copied to the temporary folder first,
so a rebuild during the run cannot swap it); YIWANG_ROOT defaults to the repository root.
Standard library and prometheus-client (scripts/requirements-ops.txt). The last line reads
`operations: N passed, M failed`. Exit status: 0 all good, 1 a check failed, 2 set-up failed.
"""
import argparse, hashlib, json, os, re, secrets, shutil, signal, string, sys
import tempfile, threading, time, urllib.parse, uuid
from concurrent.futures import ThreadPoolExecutor

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:  # pragma: no cover - reported as a set-up failure below
    text_string_to_metric_families = None

import yiwang_server
from yiwang_server import CITIZEN as ACCOUNT, DEMO_PASSWORD as PASSWORD, ROOT, SetupError, choose_item, fetch as request

PHONE = "13800000001"  # 张明's, as seeded
STAFF = "supervisor"  # a demo staff account (same password)
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
LONG_DIGITS = re.compile(r"\d{11,}")
REQUEST_KEYS = ("request_id", "route", "status", "duration_ms", "actor", "method")
ACTORS = {"anonymous", "applicant", "staff"}


class Checks:
    def __init__(self):
        self.passed, self.failed = 0, []

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            brief = " ".join(str(detail).split())
            print(f"  ok    {name}" + (f"  [{brief[:150]}{'...' if len(brief) > 150 else ''}]" if brief else ""))
        else:
            self.failed.append((name, detail))
            print(f"  FAIL  {name}: {detail}")
        return bool(ok)


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def pdf(tag):
    return b"%PDF-1.4\n% yiwang operations test " + tag.encode() + b"\n" + os.urandom(1024).hex().encode() + b"\n%%EOF\n"


class Server(yiwang_server.Server):
    """The shared server, isolated from the caller's database settings, with info-level logs."""

    def __init__(self, binary, data_dir, log_dir, name, extra_env):
        super().__init__(binary, data_dir, log_dir, name=name, env=dict({"LOG_LEVEL": "info"}, **extra_env), isolate=True)

    def start(self):
        super().start(ready_timeout=120)
        self.started = time.monotonic()

    def token(self, account):
        status, body, _ = request(self.base, "POST", "/api/v1/auth/token", {"account": account, "password": PASSWORD})
        if status != 201:
            raise SetupError(f"{self.name}: sign-in of {account} failed: {status} {body}")
        return {"Authorization": "Bearer " + body["token"]}


def console_text(output):
    """The command's console lines, without its JSON log lines."""
    return "\n".join(line for line in output.splitlines() if not line.startswith("{")) or output


def stable_copy(source, work, wait):
    """Waits for the binary (a rebuild may be replacing it), then copies it once it stops changing."""
    deadline = time.time() + wait
    while True:
        try:
            before = os.stat(source)
            if os.access(source, os.X_OK):
                time.sleep(1)
                if (os.stat(source).st_size, os.stat(source).st_mtime_ns) == (before.st_size, before.st_mtime_ns):
                    target = os.path.join(work, "yiwang")
                    shutil.copy2(source, target)
                    if os.path.getsize(target) == before.st_size and os.stat(source).st_mtime_ns == before.st_mtime_ns:
                        return target
        except OSError:
            pass
        if time.time() > deadline:
            raise SetupError(f"no stable executable at {source} after {wait} s (use --bin or YIWANG_BIN)")
        time.sleep(2)


def file_case(base, auth, item, key):
    code, _, form, _ = item
    return request(base, "POST", "/api/v1/cases", {"item": code, "form": form, "submit": True},
                   dict(auth, **{"Idempotency-Key": key}))


def upload(base, auth, item, case_id, data, name="scan.pdf"):
    headers = dict(auth, **{"X-File-Name": name, "Content-Type": "application/pdf"})
    return request(base, "PUT", f"/api/v1/cases/{case_id}/materials/{item[3]}", data, headers)


# ---------------------------------------------------------------------------------------------
# A. Metrics
# ---------------------------------------------------------------------------------------------

def scrape(server, token):
    status, body, hdrs = request(server.base, "GET", "/metrics", headers={"Authorization": "Bearer " + token})
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else json.dumps(body)
    return status, hdrs.get("Content-Type", ""), text


def parse_metrics(text):
    """{family name: family} through the real Prometheus text parser."""
    return {family.name: family for family in text_string_to_metric_families(text)}


def samples(family, suffix=""):
    return [s for s in family.samples if s.name == family.name + suffix] if family else []


def one_value(families, name, suffix=""):
    found = samples(families.get(name), suffix)
    return found[0].value if len(found) == 1 else None


def histogram_problems(family):
    """Buckets that go down, +Inf not equal to _count, a negative sum: per label set."""
    groups, problems = {}, []
    for s in family.samples:
        labels = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
        g = groups.setdefault(labels, {"buckets": [], "count": None, "sum": None})
        if s.name.endswith("_bucket"):
            g["buckets"].append((float(s.labels["le"]), s.value))
        elif s.name.endswith("_count"):
            g["count"] = s.value
        elif s.name.endswith("_sum"):
            g["sum"] = s.value
    for labels, g in groups.items():
        values = [v for _, v in sorted(g["buckets"])]
        if not values or values != sorted(values):
            problems.append(f"{dict(labels)}: buckets not cumulative {values}")
        if not g["buckets"] or sorted(g["buckets"])[-1][0] != float("inf") or sorted(g["buckets"])[-1][1] != g["count"]:
            problems.append(f"{dict(labels)}: +Inf bucket {sorted(g['buckets'])[-1:]} != count {g['count']}")
        if g["sum"] is None or g["sum"] < 0:
            problems.append(f"{dict(labels)}: sum {g['sum']}")
    return groups, problems


def route_label_problems(families):
    bad = set()
    for family in families.values():
        for s in family.samples:
            route = s.labels.get("route")
            if route is not None and (UUID.search(route) or LONG_DIGITS.search(route) or "?" in route):
                bad.add(f"{family.name}: route={route!r}")
    return sorted(bad)


def requests_count(families, method, route, status):
    return sum(s.value for s in samples(families.get("yiwang_http_requests"), "_total")
               if s.labels.get("method") == method and s.labels.get("route") == route and s.labels.get("status") == status)


def check_metrics(checks, server, metrics_token, citizen, item):
    print("\nA. /metrics (YIWANG_METRICS_ALLOW=10.9.9.9, bearer token, Prometheus text format)")
    status, body, _ = request(server.base, "GET", "/metrics")
    checks.check("GET /metrics from 127.0.0.1 without a token -> 404 (address not allowed)", status == 404,
                 f"got {status}" if status == 404 else f"got {status} {body[:300] if isinstance(body, bytes) else body}")
    wrong = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(len(metrics_token)))
    status, _, _ = request(server.base, "GET", "/metrics", headers={"Authorization": "Bearer " + wrong})
    checks.check("GET /metrics with a wrong token of the same length -> 404", status == 404, f"got {status}")

    status, kind, text = scrape(server, metrics_token)
    if not checks.check("GET /metrics with the token -> 200 text/plain", status == 200 and kind.startswith("text/plain"),
                        f"got {status} {kind!r}"):
        return None, None
    before = parse_metrics(text)
    filed_before = one_value(before, "yiwang_cases_filed", "_total") or 0

    # Traffic: a catalog search, a staff token, a case filed (submitted) with a PDF, its detail, a miss.
    q = urllib.parse.quote("营业执照")
    status, _, _ = request(server.base, "GET", f"/api/v1/items?q={q}")
    checks.check("GET /api/v1/items?q=营业执照 -> 200", status == 200, f"got {status}")
    staff = server.token(STAFF)
    status, _, _ = request(server.base, "GET", "/api/v1/me", headers=staff)
    checks.check(f"GET /api/v1/me as {STAFF} -> 200", status == 200, f"got {status}")
    status, case, _ = file_case(server.base, citizen, item, f"ops-a-{uuid.uuid4()}")
    filed = checks.check("file a submitted case -> 201", status == 201 and isinstance(case, dict) and case.get("state") == "submitted",
                         f"got {status} {case if status != 201 else case.get('state')}")
    if filed:
        status, file, _ = upload(server.base, citizen, item, case["id"], pdf("metrics"))
        checks.check("upload a PDF to it -> 201", status == 201, f"got {status} {file}")
        status, _, _ = request(server.base, "GET", "/api/v1/cases/" + case["id"], headers=citizen)
        checks.check("GET /api/v1/cases/{id} -> 200", status == 200, f"got {status}")
    status, _, _ = request(server.base, "GET", f"/api/v1/no-such-thing/{uuid.uuid4()}", headers=citizen)
    checks.check("GET /api/v1/no-such-thing/{uuid} -> 404", status == 404, f"got {status}")

    status, kind, text = scrape(server, metrics_token)
    checks.check("second scrape -> 200 text/plain; version=0.0.4", status == 200 and kind.startswith("text/plain"),
                 f"got {status} {kind!r}")
    try:
        families = parse_metrics(text)
    except Exception as err:  # the parser refusing the body is a finding, not a crash of this script
        checks.check("the body parses with prometheus_client's text parser", False, repr(err))
        return None, None
    checks.check("the body parses with prometheus_client's text parser", True, f"{len(families)} families")
    print("  families as emitted (parser name, type, sample names):")
    for name in sorted(families):
        family = families[name]
        print(f"    {name:45} {family.type:10} {', '.join(sorted({s.name for s in family.samples}))}")

    def family(name, kind):
        f = families.get(name)
        checks.check(f"family {name} ({kind})", f is not None and f.type == kind,
                     f"missing; have {sorted(families)}" if f is None else f"type {f.type}")
        return f if f is not None and f.type == kind else None

    f = family("yiwang_http_request_duration_seconds", "histogram")
    if f:
        groups, problems = histogram_problems(f)
        labelsets = {tuple(sorted(k for k, _ in labels)) for labels in groups}
        checks.check("  its labels are exactly method and route", labelsets == {("method", "route")}, f"label sets {labelsets}")
        items = [g for labels, g in groups.items() if dict(labels).get("route") == "/api/v1/items" and dict(labels).get("method") == "GET"]
        checks.check('  a series {method="GET", route="/api/v1/items"} with count >= 1', items and items[0]["count"] >= 1,
                     f"routes: {sorted({dict(labels).get('route') for labels in groups})}")
        checks.check("  buckets cumulative, +Inf == count, sum >= 0 in every series", not problems, "; ".join(problems[:5]))
    f = family("yiwang_http_requests", "counter")
    if f:
        labelsets = {tuple(sorted(s.labels)) for s in f.samples}
        checks.check("  yiwang_http_requests_total labels are exactly method, route and status",
                     labelsets == {("method", "route", "status")}, f"label sets {labelsets}")
        n = requests_count(families, "GET", "/api/v1/items", "200")
        checks.check('  yiwang_http_requests_total{method="GET",route="/api/v1/items",status="200"} >= 1', n >= 1, f"value {n}")
        n = requests_count(families, "POST", "/api/v1/cases", "201")
        checks.check('  yiwang_http_requests_total{method="POST",route="/api/v1/cases",status="201"} >= 1', n >= 1, f"value {n}")
        routes = {s.labels.get("route") for s in f.samples}
        checks.check("  parameterised routes are labelled by pattern (/api/v1/cases/:id)", "/api/v1/cases/:id" in routes,
                     f"routes: {sorted(routes)}")
    bad = route_label_problems(families)
    checks.check("no raw UUID, long number or query string in any route label", not bad, "; ".join(bad[:5]))

    f = family("yiwang_cases_filed", "counter")
    if f:
        filed_now = one_value(families, "yiwang_cases_filed", "_total")
        checks.check("  yiwang_cases_filed_total >= 1 and up by >= 1 after filing a submitted case",
                     filed_now is not None and filed_now >= 1 and filed_now - filed_before >= 1,
                     f"before {filed_before}, after {filed_now} (the demo seed's own submissions count too)")
    f = family("yiwang_cases_decided", "counter")
    if f:
        results = {s.labels.get("result"): s.value for s in samples(f, "_total")}
        checks.check('  yiwang_cases_decided_total has result="approved" and "denied", values >= 0',
                     {"approved", "denied"} <= set(results) and all(v >= 0 for v in results.values()), f"{results}")
    gauges = {}
    for name in ("yiwang_outbox_pending_messages", "yiwang_outbox_oldest_pending_age_seconds",
                 "yiwang_deadline_watch_lag_seconds", "yiwang_audit_chain_length_events", "yiwang_database_up"):
        if family(name, "gauge"):
            gauges[name] = one_value(families, name)
    if "yiwang_outbox_pending_messages" in gauges:
        v = gauges["yiwang_outbox_pending_messages"]
        checks.check("  yiwang_outbox_pending_messages is one value >= 0", v is not None and v >= 0 and v == int(v), f"value {v}")
    if "yiwang_outbox_oldest_pending_age_seconds" in gauges:
        v = gauges["yiwang_outbox_oldest_pending_age_seconds"]
        checks.check("  yiwang_outbox_oldest_pending_age_seconds is one value >= 0", v is not None and v >= 0, f"value {v}")
    if "yiwang_deadline_watch_lag_seconds" in gauges:
        v = gauges["yiwang_deadline_watch_lag_seconds"]
        checks.check("  yiwang_deadline_watch_lag_seconds is one value, >= 0 (or -1 before the first run)",
                     v is not None and (v >= 0 or v == -1), f"value {v} at {time.monotonic() - server.started:.1f} s after ready")
    if "yiwang_audit_chain_length_events" in gauges:
        v = gauges["yiwang_audit_chain_length_events"]
        checks.check("  yiwang_audit_chain_length_events > 0", v is not None and v > 0, f"value {v}")
    if "yiwang_database_up" in gauges:
        v = gauges["yiwang_database_up"]
        checks.check("  yiwang_database_up == 1", v == 1, f"value {v}")
    f = family("yiwang_db_write_wait_seconds", "histogram")
    if f:
        groups, problems = histogram_problems(f)
        count = sum(g["count"] or 0 for g in groups.values())
        checks.check("  yiwang_db_write_wait_seconds count > 0, buckets sane", count > 0 and not problems,
                     f"count {count}; " + "; ".join(problems[:3]))
    return families, filed_before


def check_metrics_after_load(checks, server, metrics_token, families_a, ledger):
    """The same families after the load: counters moved by what the load did."""
    print("\nA'. /metrics after the load")
    status, kind, text = scrape(server, metrics_token)
    if not checks.check("scrape after the load -> 200", status == 200, f"got {status} {kind!r}"):
        return
    families = parse_metrics(text)
    created = len(ledger["created"])
    before = one_value(families_a, "yiwang_cases_filed", "_total") or 0
    after = one_value(families, "yiwang_cases_filed", "_total") or 0
    unknown = len(ledger["create_errors"])
    checks.check("yiwang_cases_filed_total rose by the cases the load filed (201s; + unanswered creates at most)",
                 created <= after - before <= created + unknown, f"{before} -> {after}, {created} filed, {unknown} unanswered")
    posts = requests_count(families, "POST", "/api/v1/cases", "201") - requests_count(families_a, "POST", "/api/v1/cases", "201")
    checks.check('yiwang_http_requests_total{POST,/api/v1/cases,201} rose by the 201s seen', posts == created,
                 f"rose by {posts}, {created} seen")
    routes = {s.labels.get("route") for s in samples(families.get("yiwang_http_requests"), "_total")}
    checks.check("the upload route is labelled /api/v1/cases/:id/materials/:index",
                 "/api/v1/cases/:id/materials/:index" in routes, f"routes {sorted(routes)}")
    bad = route_label_problems(families)
    checks.check("still no raw UUID or number in any route label after the load", not bad, "; ".join(bad[:5]))
    wait = families.get("yiwang_db_write_wait_seconds")
    if wait:
        groups, _ = histogram_problems(wait)
        counts = [g["count"] for g in groups.values()]
        sums = [g["sum"] for g in groups.values()]
        print(f"  db write wait: {counts[0]:.0f} writes, mean {1000 * sums[0] / max(counts[0], 1):.2f} ms")
    chain_a, chain = one_value(families_a, "yiwang_audit_chain_length_events"), one_value(families, "yiwang_audit_chain_length_events")
    checks.check("yiwang_audit_chain_length_events grew with the load", chain is not None and chain_a is not None and chain > chain_a,
                 f"{chain_a} -> {chain}")
    lag = one_value(families, "yiwang_deadline_watch_lag_seconds")
    uptime = time.monotonic() - server.started
    checks.check("yiwang_deadline_watch_lag_seconds >= 0 and < 120 once the watch has run (first run 5 s after boot)",
                 lag is not None and 0 <= lag < 120 if uptime > 8 else lag is not None,
                 f"value {lag} at {uptime:.1f} s after ready")
    print(f"  outbox: {one_value(families, 'yiwang_outbox_pending_messages')} pending, oldest "
          f"{one_value(families, 'yiwang_outbox_oldest_pending_age_seconds')} s")


# ---------------------------------------------------------------------------------------------
# B. JSON logs
# ---------------------------------------------------------------------------------------------

def check_logs(checks, paths, expect_actors):
    print("\nB. JSON logs (YIWANG_LOG_FORMAT=json): " + ", ".join(os.path.basename(p) for p in paths))
    unparsable, other, request_lines, missing, bad_values, pii_json, pii_other, total = [], [], [], [], [], [], [], 0
    for path in paths:
        with open(path, "rb") as f:
            raw_lines = f.read().split(b"\n")
        for number, raw in enumerate(raw_lines, 1):
            line = raw.decode("utf-8", "replace")
            if not line.strip():
                continue
            total += 1
            where = f"{os.path.basename(path)}:{number}"
            has_pii = ACCOUNT in line or PHONE in line
            if not line.startswith("{"):
                other.append(f"{where}: {line[:160]}")
                if has_pii:
                    pii_other.append(f"{where}: {line[:200]}")
                continue
            if has_pii:
                pii_json.append(f"{where}: {line[:300]}")
            try:
                obj = json.loads(line)
            except ValueError as err:
                unparsable.append(f"{where}: {err}: {line[:200]}")
                continue
            if not isinstance(obj, dict):
                unparsable.append(f"{where}: not an object: {line[:200]}")
                continue
            if obj.get("message") != "request":
                continue
            request_lines.append(obj)
            absent = [k for k in REQUEST_KEYS if k not in obj]
            if absent:
                missing.append(f"{where}: no {absent}: {line[:200]}")
                continue
            problems = []
            if obj["actor"] not in ACTORS:
                problems.append(f"actor {obj['actor']!r}")
            if not re.fullmatch(r"[A-Z]+", str(obj["method"])):
                problems.append(f"method {obj['method']!r}")
            try:
                if not 100 <= int(obj["status"]) <= 599:
                    problems.append(f"status {obj['status']!r}")
            except (TypeError, ValueError):
                problems.append(f"status {obj['status']!r}")
            try:
                if float(obj["duration_ms"]) < 0:
                    problems.append(f"duration_ms {obj['duration_ms']!r}")
            except (TypeError, ValueError):
                problems.append(f"duration_ms {obj['duration_ms']!r}")
            route = str(obj["route"])
            if route != "unmatched" and not route.startswith("/") or UUID.search(route) or LONG_DIGITS.search(route) or "?" in route:
                problems.append(f"route {route!r}")
            if not str(obj["request_id"]).strip():
                problems.append("empty request_id")
            if problems:
                bad_values.append(f"{where}: {', '.join(problems)}")
    json_lines = total - len(other)
    print(f"  {total} non-empty lines: {json_lines} JSON, {len(request_lines)} request lines, {len(other)} other lines")
    for line in other[:3]:
        print(f"    other: {line}")
    checks.check("every line starting with '{' parses as a JSON object", json_lines > 0 and not unparsable,
                 f"{len(unparsable)} of {json_lines}: " + " | ".join(unparsable[:3]) if unparsable else f"{json_lines} lines")
    checks.check("request lines exist and each has request_id, route, status, duration_ms, actor, method",
                 request_lines and not missing, f"{len(missing)} incomplete: " + " | ".join(missing[:3]) if missing
                 else f"{len(request_lines)} lines")
    checks.check("request line values are sane (actor kind, method, status, duration, route pattern, id)",
                 not bad_values, " | ".join(bad_values[:5]))
    actors = {obj.get("actor") for obj in request_lines}
    checks.check(f"request lines show the actors {sorted(expect_actors)}", expect_actors <= actors, f"seen {sorted(actors)}")
    ids = [obj.get("request_id") for obj in request_lines]
    checks.check("request ids are unique among request lines", len(ids) == len(set(ids)), f"{len(ids) - len(set(ids))} repeated")
    checks.check(f"no JSON log line contains the ID number {ACCOUNT} or the phone {PHONE}", not pii_json,
                 f"{len(pii_json)} lines: " + " | ".join(pii_json[:3]))
    checks.check(f"no other output line (console prints) contains the ID number {ACCOUNT} or the phone {PHONE}",
                 not pii_other, f"{len(pii_other)} lines: " + " | ".join(pii_other[:3]))


# ---------------------------------------------------------------------------------------------
# C. Backup under load, restore
# ---------------------------------------------------------------------------------------------

def load_with_backup(checks, server, citizen, item, work, seconds, workers):
    print(f"\nC. backup under load: {workers} workers filing cases for {seconds:.0f} s, `yiwang backup` after 2 s")
    ledger = {"created": [], "create_errors": [], "upload_errors": []}
    stop = threading.Event()

    def worker(w):
        n = 0
        while not stop.is_set():
            n += 1
            key = f"ops-c-{w}-{n}-{uuid.uuid4()}"
            sent = time.monotonic()
            try:
                status, case, _ = file_case(server.base, citizen, item, key)
            except OSError as err:
                ledger["create_errors"].append((sent, time.monotonic(), f"{key}: {err!r}"))
                continue
            answered = time.monotonic()
            if status != 201:
                ledger["create_errors"].append((sent, answered, f"{key}: create -> {status} {case}"))
                continue
            rec = {"id": case["id"], "key": key, "sent": sent, "acked": answered}
            ledger["created"].append(rec)
            data = pdf(f"worker {w} case {n} {key}")
            try:
                status, file, _ = upload(server.base, citizen, item, rec["id"], data, f"scan-{w}-{n}.pdf")
            except OSError as err:
                ledger["upload_errors"].append((answered, time.monotonic(), f"{rec['id']}: upload {err!r}"))
                continue
            if status == 201 and isinstance(file, dict) and file.get("sha256") == hashlib.sha256(data).hexdigest():
                rec.update(file=file["id"], sha256=file["sha256"], file_acked=time.monotonic())
            else:
                ledger["upload_errors"].append((answered, time.monotonic(), f"{rec['id']}: upload -> {status} {file}"))

    output = os.path.join(work, "backup.sqlite")
    began = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(worker, w) for w in range(workers)]
        time.sleep(2)
        t0 = time.monotonic()
        rc, text = server.cli("backup", "--output", output)
        t1 = time.monotonic()
        time.sleep(max(1.5, seconds - (t1 - began)))
        stop.set()
    crashed = [repr(f.exception()) for f in futures if f.exception()]
    print(f"  backup ran {t1 - t0:.2f} s; exit {rc}: {console_text(text)[:400]}")
    created = ledger["created"]
    pre = [r for r in created if r["acked"] < t0]
    during = [r for r in created if t0 <= r["acked"] <= t1]
    overlapping = [r for r in created if r["sent"] <= t1 and r["acked"] >= t0]
    post = [r for r in created if r["acked"] > t1]
    errors = ledger["create_errors"] + ledger["upload_errors"]
    errors_during = [e for e in errors if e[1] >= t0 and e[0] <= t1]
    print(f"  cases filed: {len(created)} ({len(pre)} before the backup started, {len(during)} while it ran, "
          f"{len(post)} after); errors: {len(errors)}")
    latencies = [r["acked"] - r["sent"] for r in during]
    if latencies:
        print(f"  create latency while the backup ran: max {1000 * max(latencies):.0f} ms")
    checks.check("`yiwang backup --output FILE` exits 0 while the load runs", rc == 0, f"exit {rc}: {text[-800:]}")
    header = open(output, "rb").read(16) if os.path.exists(output) else b""
    checks.check("the backup file is an SQLite database", header == b"SQLite format 3\x00", f"header {header!r}")
    checks.check("the load kept succeeding while the backup ran (creates in flight during it answered 201)", len(overlapping) > 0,
                 f"{len(overlapping)} creates overlapped the backup's {t1 - t0:.2f} s, {len(during)} answered within it")
    checks.check("no create or upload failed during the load", not errors and not crashed,
                 f"{len(errors)} errors ({len(errors_during)} while the backup ran): "
                 + " | ".join(e[2][:200] for e in errors[:5]) + (f"; worker crashed: {crashed}" if crashed else ""))
    checks.check("some cases were acknowledged before the backup started", len(pre) > 0, f"{len(pre)}")
    return ledger, output, t0, t1


def check_backup_refuses_existing(checks, server, work):
    existing = os.path.join(work, "existing.sqlite")
    with open(existing, "wb") as f:
        f.write(b"an existing file that backup must not overwrite\n")
    before = sha256_file(existing)
    rc, text = server.cli("backup", "--output", existing)
    checks.check("`yiwang backup --output <existing file>` is refused (non-zero exit)", rc != 0, f"exit {rc}: {text[-300:]}")
    after = sha256_file(existing)
    checks.check("... and leaves the existing file unchanged", after == before, f"sha256 {before[:16]} -> {after[:16]}")
    print(f"  refusal said: {console_text(text)[:300]}")


def check_restore(checks, first, binary, work, backup, extra_env, ledger, t0, t1):
    print("\nC'. restore into a second data folder (keys and materials copied, no database)")
    second_dir = os.path.join(work, "data2")
    os.mkdir(second_dir)
    shutil.copy2(os.path.join(first.data_dir, "keys.json"), os.path.join(second_dir, "keys.json"))
    materials = os.path.join(first.data_dir, "materials")
    if os.path.isdir(materials):
        shutil.copytree(materials, os.path.join(second_dir, "materials"))
    second = Server(binary, second_dir, work, "server-restored", extra_env)
    backup_sha = sha256_file(backup)
    rc, text = second.cli("restore", backup)
    print(f"  restore exit {rc}: {console_text(text)[:400]}")
    if not checks.check("`yiwang restore FILE` into the empty folder exits 0", rc == 0, f"exit {rc}: {text[-800:]}"):
        return second
    after_sha = sha256_file(backup)
    checks.check("restore leaves the backup file unchanged", after_sha == backup_sha, f"sha256 {backup_sha[:16]} -> {after_sha[:16]}")
    named = re.findall(r"原数据库保存在 (\S+?)。", text)
    checks.check("restore into a folder without a database names no kept original that does not exist",
                 all(os.path.exists(path) for path in named),
                 f"says 原数据库保存在 {named}; exists: {[os.path.exists(path) for path in named]}; folder: {sorted(os.listdir(second_dir))}")
    rc, text = second.cli("verify-audit")
    print(f"  verify-audit exit {rc}: {console_text(text)[:300]}")
    checks.check("`yiwang verify-audit` on the restored folder exits 0 and reports 完整", rc == 0 and "完整" in text,
                 f"exit {rc}: {text[-500:]}")

    second.start()
    rc, text = second.cli("restore", backup)
    checks.check("a second `yiwang restore` while serve runs on that folder is refused (non-zero exit)", rc != 0,
                 f"exit {rc}: {text[-500:]}")
    print(f"  refusal said: {console_text(text)[:300]}")
    status, _, _ = request(second.base, "GET", "/readyz")
    checks.check("the running server still answers /readyz 200 after the refused restore", status == 200, f"got {status}")

    citizen = second.token(ACCOUNT)
    pre = [r for r in ledger["created"] if r["acked"] < t0]
    post = [r for r in ledger["created"] if r["sent"] > t1]  # sent after the backup had exited: cannot be in it

    def fetch(rec):
        try:
            status, case, _ = request(second.base, "GET", "/api/v1/cases/" + rec["id"], headers=citizen)
        except OSError as err:
            return rec, None, repr(err)
        return rec, status, case

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(fetch, pre))
    missing = [f"{rec['id']} -> {status} {str(case)[:120]}" for rec, status, case in results if status != 200]
    checks.check(f"every case acknowledged before the backup started is there (GET 200, {len(pre)} cases)",
                 pre and not missing, f"{len(missing)} of {len(pre)} missing: " + " | ".join(missing[:5]))
    # Their PDFs acknowledged before the backup started: listed with the same hash, and downloadable.
    with_files = [(rec, case) for rec, status, case in results if status == 200 and rec.get("file_acked", t0) < t0 and "file" in rec]
    lost = []
    for rec, case in with_files:
        files = [f for m in case.get("materials", []) for f in m.get("files", []) if f.get("id") == rec["file"]]
        if not files or files[0].get("sha256") != rec["sha256"]:
            lost.append(f"{rec['id']}: file {rec['file']} not listed")
    for rec, _ in with_files[:25]:
        status, data, _ = request(second.base, "GET", f"/api/v1/cases/{rec['id']}/files/{rec['file']}", headers=citizen)
        got = hashlib.sha256(data).hexdigest() if isinstance(data, bytes) else data
        if status != 200 or got != rec["sha256"]:
            lost.append(f"{rec['id']}: download {rec['file']} -> {status} {str(got)[:80]}")
    checks.check(f"their PDFs acknowledged before the backup are listed ({len(with_files)}) and download intact "
                 f"({min(25, len(with_files))} fetched)", not lost, " | ".join(lost[:5]))
    # A snapshot: nothing acknowledged after the backup process had finished can be in it.
    sample = post[:: max(1, len(post) // 20)][:20]
    with ThreadPoolExecutor(8) as pool:
        later = list(pool.map(fetch, sample))
    present = [rec["id"] for rec, status, _ in later if status == 200]
    odd = [f"{rec['id']} -> {status}" for rec, status, _ in later if status not in (200, 404)]
    checks.check(f"cases filed after the backup finished are absent (404; {len(sample)} sampled)",
                 not present and not odd, f"present: {present[:5]} other: {odd[:5]}")
    return second


def check_rollback(checks, first, backup):
    """The everyday restore: the same folder, rolled back over its newer database."""
    print("\nC''. restore over the original folder (roll back to the backup; the server is stopped)")
    rc, text = first.cli("restore", backup)
    print(f"  restore exit {rc}: {console_text(text)[:300]}")
    named = re.findall(r"原数据库保存在 (\S+?)。", text)
    checks.check("`yiwang restore FILE` over the original folder exits 0 and keeps the replaced database",
                 rc == 0 and named and all(os.path.exists(path) for path in named), f"exit {rc}: {text[-500:]}")
    rc, text = first.cli("verify-audit")
    print(f"  verify-audit exit {rc}: {console_text(text)[:300]}")
    checks.check("`yiwang verify-audit` after rolling back exits 0 and reports 完整 (the newer checkpoints do not count as a cut)",
                 rc == 0 and "完整" in text, f"exit {rc}: {text[-500:]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default=os.environ.get("YIWANG_BIN", os.path.join(ROOT, ".build", "debug", "yiwang")))
    parser.add_argument("--seconds", type=float, default=6, help="length of the write load in part C")
    parser.add_argument("--workers", type=int, default=6)
    parser.add_argument("--wait-bin", type=float, default=300, help="how long to wait for a missing or changing binary")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    checks, began = Checks(), time.time()
    work = tempfile.mkdtemp(prefix="yiwang-ops-")
    servers, status = [], 0
    try:
        if text_string_to_metric_families is None:
            raise SetupError("prometheus_client is not installed (pip install -r scripts/requirements-ops.txt)")
        binary = stable_copy(os.path.abspath(args.bin), work, args.wait_bin)
        metrics_token = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
        extra_env = {"YIWANG_METRICS_ALLOW": "10.9.9.9", "YIWANG_METRICS_TOKEN": metrics_token, "YIWANG_LOG_FORMAT": "json"}
        first = Server(binary, os.path.join(work, "data"), work, "server", extra_env)
        os.mkdir(first.data_dir)
        servers.append(first)
        first.start()
        print(f"binary {args.bin} (copied to {binary})\nwork   {work}\nserver {first.base}, ready in "
              f"{first.ready_in:.1f} s")
        citizen = first.token(ACCOUNT)
        item = choose_item(first.base, citizen)
        print(f"item   {item[0]} {item[1]}, material #{item[3]}")

        families_a, _ = check_metrics(checks, first, metrics_token, citizen, item)
        ledger, backup, t0, t1 = load_with_backup(checks, first, citizen, item, work, args.seconds, args.workers)
        check_backup_refuses_existing(checks, first, work)
        if families_a is not None:
            check_metrics_after_load(checks, first, metrics_token, families_a, ledger)
        stopped = first.stop(signal.SIGTERM)
        checks.check("the server stops with exit 0 on SIGTERM", stopped == 0, f"exit {stopped}")
        check_logs(checks, first.logs, ACTORS)
        if os.path.exists(backup):
            second = check_restore(checks, first, binary, work, backup, extra_env, ledger, t0, t1)
            servers.append(second)
            if second.running():
                stopped = second.stop(signal.SIGTERM)
                checks.check("the restored server stops with exit 0 on SIGTERM", stopped == 0, f"exit {stopped}")
                check_logs(checks, second.logs, {"anonymous", "applicant"})
            check_rollback(checks, first, backup)
        else:
            checks.check("restore: a backup file to restore from", False, f"{backup} was not written")
    except SetupError as err:
        print(f"\nset-up failed: {err}", file=sys.stderr)
        checks.failed.append(("set-up", str(err)))
        status = 2
    finally:
        for server in servers:
            if server.running():
                server.stop(signal.SIGKILL)
    elapsed = time.time() - began
    if os.path.exists(os.path.join(work, "yiwang")):
        os.remove(os.path.join(work, "yiwang"))  # the copied binary: 200 MB not worth keeping
    if checks.failed:
        print(f"\nFAILED ({len(checks.failed)}; logs and data kept in {work}):")
        for name, detail in checks.failed:
            print(f"  - {name}: {detail}")
    elif not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nelapsed {elapsed:.1f} s")
    print(f"operations: {checks.passed} passed, {len(checks.failed)} failed")
    return status or (1 if checks.failed else 0)


if __name__ == "__main__":
    sys.exit(main())
