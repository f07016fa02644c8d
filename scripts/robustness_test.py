#!/usr/bin/env python3
"""Robustness test: odd requests never kill the server and never get a 5xx.

Usage:
    python3 scripts/robustness_test.py [--bin PATH] [--requests N] [--seed S] [--max-restarts R]
                                       [--verbose] [--keep]

Starts `yiwang serve` on a fresh temporary data directory and fires N requests (default 2500)
over raw sockets, one at a time, so that request lines go out exactly as written: `..`, `//`,
`/./`, `%2e%2e`, `%2F`, `%00` and raw NUL, control bytes, invalid UTF-8 escapes, raw and
percent-encoded Chinese, 10,000-character segments, long and repeated query strings, odd paging
(`page=99`, `page=-1`, `per=100000`, huge integers). Paths come from every route in
Sources/YiwangServer/routes.swift with `:id`/`:code`/... replaced by real demo values and odd ones,
plus random garbage. Every method (GET HEAD POST PUT PATCH DELETE OPTIONS TRACE and a made-up one),
with and without cookies (made-up, malformed and real signed-in sessions), bearer tokens (garbage,
malformed, real citizen and staff tokens) and bodies of every content type (JSON valid, invalid,
nested 10,000 deep, huge numbers, wrong types; forms; multipart with good and broken boundaries;
text; random bytes; XML; bad charsets; bodies longer and shorter than Content-Length; chunked).

The run opens with the known crashers (`GET /x/../healthz` with a made-up session cookie,
`GET /items?page=99`, ...) and every route once with its own method, then goes random; the same
--seed sends the same requests. The server runs with SWIFT_BACKTRACE=enable=no unless set, so a
crash ends the process at once (the runtime still logs its `Fatal error`/`Assertion failed` line).

A finding is: any 5xx answer, the process exiting (a crash: the request that was in flight is
named with the server log's fatal error line, the server is restarted on the same data and the
run goes on, so one run lists every crasher), /healthz not answering 200 at a checkpoint (every
100 requests and at the end), or a response that leaks a file from outside Public/. Timeouts and
connections closed without an answer while the server lives are noted, not counted.

The binary defaults to $YIWANG_BIN or .build/debug/yiwang; YIWANG_ROOT defaults to the repository
root. Standard library only. The last line reads `robustness: N passed, M failed`.
Exit status: 0 clean, 1 findings, 2 the test could not be set up.
"""
import argparse, http.client, json, os, random, re, shutil, signal, socket, subprocess, sys, tempfile, time
import urllib.parse, uuid
from collections import Counter, OrderedDict

import yiwang_server
from yiwang_server import CITIZEN, SetupError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "Yiwang-demo-2026"
# Chunked bodies with a trailer section: Vapor 4.122.3 asserts on them in its request decoder
# (HTTPServerRequestDecoder.swift:130), an `assert` that debug builds check and release builds
# drop. CI tests the debug binary, so it passes --no-trailers; a release binary is tested with them.
TRAILERS = True
STAFF = ("catalog.admin", "market.clerk", "supervisor")
METHODS = [b"GET", b"HEAD", b"POST", b"PUT", b"PATCH", b"DELETE", b"OPTIONS", b"TRACE", b"FROBNICATE"]
TIMEOUT, SHORT_TIMEOUT = 10.0, 1.0
CRASH_MARK = re.compile(r"Fatal error|Assertion failed|Precondition failed|Program crashed|Segmentation fault|"
                        r"Illegal instruction|Stack overflow|stack overflow|Aborted|Trace/breakpoint")
LOGGED_PROBLEM = re.compile(r"^\[ (?:WARNING|ERROR|CRITICAL) \] .*$", re.M)


def problem_lines(log_text):
    """Warnings and errors the server logged, without request ids and with long paths cut short."""
    lines = []
    for line in LOGGED_PROBLEM.findall(log_text):
        line = re.sub(r"\s*\[request-id: [^\]]*\]", "", line)
        line = re.sub(r"(about \\?').*(\\?'\.\")", r"\1<path>\2", line)  # FileMiddleware's stat errors
        lines.append(line if len(line) <= 240 else line[:240] + "...")
    return lines

LEAKS = (b"swift-tools-version", b"root:x:0:0", b"PRIVATE KEY")  # files that must never be served

# The route table as of writing; used only when routes.swift cannot be read.
FALLBACK_ROUTES = [("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/api/v1/items"), ("GET", "/api/v1/items/:code"),
                   ("POST", "/api/v1/auth/token"), ("GET", "/api/v1/cases"), ("GET", "/api/v1/cases/:id"),
                   ("GET", "/"), ("GET", "/items"), ("GET", "/items/:code"), ("GET", "/signin"), ("POST", "/signin"),
                   ("GET", "/me/cases/:id"), ("GET", "/admin"), ("GET", "/admin/cases/:id")]


# ---------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------


def http_request(base, method, path, body=None, headers=None, timeout=10):
    """A well-formed request for setup and checkpoints: (status, headers dict, body bytes)."""
    host, port = base.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        hdrs = dict(headers or {})
        if isinstance(body, dict):
            hdrs["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    except http.client.HTTPException as err:
        raise ConnectionError(repr(err)) from err
    finally:
        conn.close()


class Server(yiwang_server.Server):
    """The shared server, and what this test reads from its log after a crash."""

    def fatal_line(self):
        """The runtime's own account of the crash, e.g. `Fatal error: No SessionsMiddleware detected`."""
        try:
            with open(self.log, errors="replace") as f:
                lines = [line.rstrip() for line in f]
        except OSError:
            return "(no log)"
        hits = [line for line in lines if CRASH_MARK.search(line)]
        if hits:
            return hits[0][:300]
        return (lines[-1][:300] if lines else "(empty log)") + f" [exit status {self.proc.returncode}]"

    def crash_context(self, before=4):
        """The log lines leading up to the crash report, and the report's first line."""
        try:
            with open(self.log, errors="replace") as f:
                lines = [line.rstrip() for line in f]
        except OSError:
            return ""
        at = next((i for i, line in enumerate(lines) if CRASH_MARK.search(line)), len(lines))
        chosen = lines[max(0, at - before):at + 1] or lines[-before:]
        return "".join(f"        {line[:300]}\n" for line in chosen)


# ---------------------------------------------------------------------------------------------
# Credentials and demo values
# ---------------------------------------------------------------------------------------------


class Credentials:
    """Real bearer tokens and page sessions, renewed when a fuzzed request revoked them."""

    def __init__(self):
        self.tokens, self.cookies, self.problems = {}, {}, []

    def token(self, server, account):
        status, _, body = http_request(server.base, "POST", "/api/v1/auth/token",
                                       {"account": account, "password": PASSWORD})
        if status not in (200, 201):
            raise SetupError(f"POST /api/v1/auth/token as {account} -> {status} {body[:200]!r}")
        self.tokens[account] = json.loads(body)["token"]

    def session(self, server, account, staff):
        page, action = ("/admin/login", "/admin/login") if staff else ("/signin", "/signin")
        status, headers, body = http_request(server.base, "GET", page)
        cookie = re.search(r"yiwang_session=([^;]+)", headers.get("Set-Cookie") or "")
        csrf = re.search(rb'name="csrf" value="([^"]+)"', body)
        if status != 200 or not cookie or not csrf:
            raise SetupError(f"GET {page} -> {status}, no session cookie or csrf field")
        form = urllib.parse.urlencode({"account": account, "password": PASSWORD, "csrf": csrf.group(1).decode()})
        status, headers, body = http_request(server.base, "POST", action, form.encode(), {
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": "yiwang_session=" + cookie.group(1)})
        renewed = re.search(r"yiwang_session=([^;]+)", headers.get("Set-Cookie") or "")
        if status not in (302, 303) or (headers.get("Location") or "").startswith("/signin"):
            raise SetupError(f"POST {action} as {account} -> {status} {body[:200]!r}")
        self.cookies[account] = (renewed or cookie).group(1)

    def renew_all(self, server):
        for account in (CITIZEN,) + STAFF:
            self.token(server, account)
        self.session(server, CITIZEN, staff=False)
        self.session(server, "catalog.admin", staff=True)
        self.session(server, "supervisor", staff=True)

    def refresh(self, server):
        """Re-issues whatever a fuzzed request revoked (DELETE /auth/token, sign-out-everywhere, ...)."""
        for account, token in list(self.tokens.items()):
            try:
                if http_request(server.base, "GET", "/api/v1/me", headers={"Authorization": "Bearer " + token})[0] != 200:
                    self.token(server, account)
            except (OSError, SetupError) as err:
                self.problems.append(f"could not renew the token of {account}: {err}")
        for account, cookie in list(self.cookies.items()):
            try:
                status = http_request(server.base, "GET", "/api/v1/me", headers={"Cookie": "yiwang_session=" + cookie})[0]
                if status != 200:
                    self.session(server, account, staff=account != CITIZEN)
            except (OSError, SetupError) as err:
                self.problems.append(f"could not renew the session of {account}: {err}")


def demo_values(server, creds):
    """Real codes and ids to put in place of route parameters."""
    def get(path, account):
        try:
            status, _, body = http_request(server.base, "GET", path,
                                           headers={"Authorization": "Bearer " + creds.tokens[account]})
            return body.decode("utf-8", "replace") if status == 200 else ""
        except OSError:
            return ""
    items = get("/api/v1/items?per=30", CITIZEN)
    departments = get("/api/v1/departments", CITIZEN)
    cases = get("/api/v1/cases?per=100", CITIZEN) + get("/api/v1/cases?per=100", "market.clerk")
    uuid_re = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
    case_ids = sorted(set(re.findall(r'"id"\s*:\s*"(' + uuid_re + ')"', cases)))
    files = []
    for case_id in case_ids[:4]:
        files += re.findall(r'"files"\s*:\s*\[\s*\{[^{}]*?"id"\s*:\s*"(' + uuid_re + ')"', get("/api/v1/cases/" + case_id, CITIZEN))
    values = {
        "code": sorted(set(re.findall(r'"code"\s*:\s*"([0-9A-Za-z]{10,40})"', items)))[:12] or ["000000000000000000000000"],
        "creditCode": sorted(set(re.findall(r'"creditCode"\s*:\s*"([0-9A-Z]{18})"', departments)))[:8]
                      or ["11520100MB1234567X"],
        "id": case_ids[:12] or [str(uuid.UUID(int=1))],
        "file": sorted(set(files))[:6] or [str(uuid.UUID(int=2))],
        "account": list(STAFF) + ["system.admin", "market.admin", "hotline"],
        "year": ["2024", "2025", "2026"], "index": ["1", "2", "3"],
        "kind": ["receipt", "correction", "decision"],
        "operation": ["grant", "revoke", "disable", "enable", "reset"],
    }
    return values


def read_routes():
    """(method, '/path/:param') for every route in routes.swift, following `let x = y.grouped(...)`."""
    try:
        with open(os.path.join(ROOT, "Sources", "YiwangServer", "routes.swift"), encoding="utf-8") as f:
            src = re.sub(r"//[^\n]*", "", f.read())
    except OSError:
        return FALLBACK_ROUTES
    groups = {"app": ""}

    def balanced_back(j):  # src[j] == ")": index of its "("
        depth = 0
        for k in range(j, -1, -1):
            depth += {")": 1, "(": -1}.get(src[k], 0)
            if depth == 0:
                return k
        return -1

    def prefix_before(i):  # the path prefix of the receiver expression ending just before i
        strings = []
        while True:
            j = i
            while j > 0 and src[j - 1].isspace():
                j -= 1
            if j > 0 and src[j - 1] == ")":
                k = balanced_back(j - 1)
                grouped = re.search(r"\.\s*grouped\s*$", src[:k])
                if k < 0 or not grouped:
                    return None
                strings = re.findall(r'"([^"]*)"', src[k + 1:j - 1]) + strings
                i = grouped.start()
                continue
            name = re.search(r"(\w+)\s*$", src[:j])
            if not name or name.group(1) not in groups:
                return None
            return groups[name.group(1)] + "".join("/" + s for s in strings)

    routes = []
    for match in re.finditer(r"\blet\s+(\w+)\s*=\s*[^\n]*\bgrouped\([^\n]*\)[ \t]*\n|\.\s*(get|post|put|patch|delete|on)\s*\(", src):
        if match.group(1):
            prefix = prefix_before(match.end() - 1)
            if prefix is not None:
                groups[match.group(1)] = prefix
            continue
        prefix = prefix_before(match.start())
        if prefix is None:
            continue
        depth, k = 0, match.end() - 1
        for k in range(match.end() - 1, len(src)):
            depth += {"(": 1, ")": -1}.get(src[k], 0)
            if depth == 0:
                break
        args, verb = src[match.end():k], match.group(2)
        if verb == "on":
            method = re.match(r"\s*\.(\w+)\s*,?", args)
            if not method:
                continue
            verb, args = method.group(1), args[method.end():]
        segments = re.findall(r'"([^"]*)"', re.split(r"\buse:|\bbody:", args)[0])
        routes.append((verb.upper(), (prefix + "".join("/" + s for s in segments)) or "/"))
    return routes if len(routes) >= 20 else FALLBACK_ROUTES


# ---------------------------------------------------------------------------------------------
# Odd requests
# ---------------------------------------------------------------------------------------------


def pct(data):
    return b"".join(b"%%%02X" % c for c in data)

ODD_SEGMENTS = [b"..", b".", b"...", b"%2e%2e", b"%2E%2E", b"%2e", b".%2e", b"..%2f", b"..%2F..%2Fetc%2Fpasswd", b"%2F",
                b"a%2Fb", b"a%5Cb", b"..\\..", b"\\", b"%00", b"a%00b", b"%01", b"%1b%5b31m", b"%7f", b"%09",
                b"%0d%0aSet-Cookie:%20x=y", b"%ff%fe", b"%c0%af", b"%c0%ae%c0%ae", b"%e4%b8", b"%ed%a0%80", b"%",
                b"%zz", b"%%", b"%2", pct("营业执照".encode()), pct("办事指南".encode()).lower(), pct("\u202e".encode()),
                b"x" * 10000, b"A" * 300, b";jsessionid=1", b"~root", b"*", b"%20", b"+", b"null", b"undefined",
                b"%3Cscript%3E", b"'%20OR%201=1--", b"${jndi:ldap:x}", b"%25n%25s%25x", b"-1", b"0", b"00000000",
                b"99999999999999999999999999", b"1e999", b"NaN", b"true", b"[]", b"{}", b"?", b"#", b"%3F", b"%23",
                b"openapi.json", b"healthz", b"css", b"site.css", b"Package.swift"]
# Raw bytes the HTTP parser itself should refuse (a 400 or a closed connection, never a crash).
RAW_SEGMENTS = [b"\x00", b"a\x00b", b"\x01", b"\x1b[31m", b"\x7f", b"\t", "办事指南".encode(), "\u202e".encode(),
                "ｉｔｅｍｓ".encode(), b" ", b"\xff\xfe", b"\xc0\xaf", b"\r\n", b"\r", b"\n"]
QUERY_KEYS = ["q", "page", "per", "state", "department", "type", "target", "zeroVisit", "lifeEvent", "from", "to",
              "workingDays", "includeDrafts", "item", "format", "actor", "subject", "action", "next", "reset", "size",
              "kind", "mode", "applicant", "edit", "download", "back", "welcome", "verify", "uploaded", "saved",
              "created", "done", "extended", "email", "year", "code", "id"]
QUERY_VALUES = {
    "page": ["99", "-1", "abc", "0", "1", "2", "3", "5", "10", "50", "100000", "100001", "99999999999999999999",
             "-9223372036854775808", "9223372036854775807", "1e3", "1.5", "", "%00", "+5", "%EF%BC%91", "0x10", "NaN"],
    "per": ["100000", "0", "-1", "1", "100", "101", "abc", "99999999999999999999", "9223372036854775807", "", "1e2"],
    "state": ["draft", "submitted", "accepted", "approved", "bogus", "", "%ff"],
    "from": ["2025-09-30", "2025-02-30", "9999-99-99", "0000-01-01", "2025-13-01", "-2025-01-01", "20250930", "x" * 500],
    "to": ["2025-10-31", "1", "999999999999", "-5", "2026-12-31"],
    "workingDays": ["3", "-1", "0", "99999999", "1e9", "9223372036854775807", "abc"],
    "next": ["//evil.example", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "/me", "%2F%2Fevil", ""],
    "format": ["json", "csv", "xml", "", "JSON"],
    "includeDrafts": ["true", "false", "maybe", "1", ""],
    "q": [pct("营业执照".encode()).decode(), "营业执照", "%", "%%", "'", "\"", "*", "a" * 5000, "%ff%fe", "%00", "+++", "OR 1=1"],
}


class Request:
    __slots__ = ("method", "target", "version", "headers", "body", "label", "creds", "timeout", "note")

    def wire(self, port):
        host = [b"Host: 127.0.0.1:%d" % port] if not any(h.lower().startswith(b"host:") for h in self.headers) else []
        lines = [b"%s %s %s" % (self.method, self.target, self.version)] + host + self.headers
        return b"\r\n".join(lines) + b"\r\n\r\n" + self.body


class Generator:
    def __init__(self, rng, routes, values, creds):
        self.rng, self.routes, self.values, self.creds = rng, routes, values, creds

    # -- paths --------------------------------------------------------------------------------
    def odd(self):
        return self.rng.choice(RAW_SEGMENTS if self.rng.random() < 0.03 else ODD_SEGMENTS)

    def param(self, name):
        r = self.rng
        if r.random() < 0.45:
            return r.choice(self.values.get(name) or ["1"]).encode()
        choice = r.randrange(8)
        if choice == 0:
            return str(uuid.UUID(int=r.getrandbits(128), version=4)).encode()
        if choice == 1:
            return str(uuid.UUID(int=r.getrandbits(128), version=4)).upper().replace("-", "" if r.random() < 0.5 else "-").encode()
        if choice == 2:
            real = r.choice(self.values.get(name) or ["1"])
            return r.choice([real.lower(), real.upper(), real + "x", real[:-1], " " + real, real + "%00", "{" + real + "}",
                             pct(real.encode()).decode(), real + "/..", real * 50]).encode()
        if choice == 3:
            return b""
        return self.odd()

    def route_segments(self, template):
        return [self.param(s[1:]) if s.startswith(":") else s.encode() for s in template.strip("/").split("/") if s] \
            if template != "/" else []

    def mutate(self, segments):
        r = self.rng
        segments = list(segments)
        for _ in range(r.choice([0, 0, 1, 1, 1, 2, 3])):
            op, at = r.randrange(14), r.randint(0, len(segments))
            if op == 0:  # /x/../rest: a detour the server must not normalise into a crash
                segments[at:at] = [r.choice([b"x", b"items", b"api", b"%2e%2e"]), r.choice([b"..", b"%2e%2e", b".%2E"])]
            elif op == 1:
                segments[at:at] = [b""]  # an empty segment: `//`
            elif op == 2:
                segments[at:at] = [b"."]
            elif op in (3, 4, 5) and segments:
                segments[min(at, len(segments) - 1)] = self.odd()
            elif op in (6, 7):
                segments[at:at] = [self.odd()]
            elif op == 8 and segments:
                i = min(at, len(segments) - 1)
                segments[i] = pct(segments[i]) if r.random() < 0.5 else pct(segments[i]).lower()
            elif op == 9:
                segments.append(b"")  # trailing slash
            elif op == 10:
                segments = [s.upper() for s in segments]
            elif op == 11:
                segments[at:at] = [b"a"] * r.choice([100, 1000, 3000])
            elif op == 12:
                segments[at:at] = [b"..", b".."] * r.randint(1, 8) + [r.choice([b"etc", b"Package.swift", b"Sources"])]
            elif r.random() < 0.3:
                segments[at:at] = [bytes(r.randrange(1, 256) for _ in range(r.randint(1, 20))).replace(b"/", b"_")]
            else:
                segments[at:at] = [pct(bytes(r.randrange(0, 256) for _ in range(r.randint(1, 20))))]
        return segments

    def query(self):
        r = self.rng
        style = r.randrange(12)
        if style < 4:
            return b""
        if style == 4:
            return r.choice([b"?", b"?&&&", b"?=", b"?==&=", b"?%", b"?a=%zz", b"?a=%ff%fe", b"?;;", b"?a=1;b=2", b"?\x00=1",
                             b"?page", b"?page=", b"?+=+", b"?a[b]=1&a=2", b"?a[]=1&a[]=2&a[x]=3", b"?#frag"])
        if style == 5:  # nested brackets the form decoder has to walk
            return b"?" + r.choice([b"a", b"page"]) + b"[x]" * r.choice([100, 1000, 5000]) + b"=1"
        if style == 6:  # very long
            return b"?q=" + b"x" * r.choice([2000, 20000, 60000]) + b"&page=2"
        if style == 7:  # the same key many times
            key = r.choice(["page", "per", "q", "state"]).encode()
            return b"?" + b"&".join(key + b"=" + str(r.randint(-5, 200)).encode() for _ in range(r.choice([2, 50, 2000])))
        pairs = []
        for _ in range(r.randint(1, 5)):
            key = r.choice(QUERY_KEYS + ["page", "page", "per"])
            value = r.choice(QUERY_VALUES[key]).encode() if key in QUERY_VALUES and r.random() < 0.8 else \
                self.odd()
            pairs.append(key.encode() + b"=" + value if r.random() < 0.9 else value + b"=" + key.encode())
        return b"?" + b"&".join(pairs)

    def garbage_path(self):
        r = self.rng
        kind = r.choice([0, 0, 1, 2, 2, 3, 4, 4, 5, 5])  # raw bytes (1, 3) mostly stop at the HTTP parser
        if kind == 0:
            return r.choice([b"*", b"", b"healthz", b"http://127.0.0.1/healthz", b"https://evil.example/", b"//", b"///",
                             b"/%", b"/.", b"/..", b"/../../../../etc/passwd", b"/\\", b"\\healthz", b"/?", b"/#"])
        if kind == 1:
            return b"/" + bytes(r.randrange(0, 256) for _ in range(r.randint(1, 200)))
        if kind == 2:
            alphabet = b"abcz019/._-~%?&=#;:@!$'()*+,[]{}|\\^`\"<> "
            return b"/" + bytes(r.choice(alphabet) for _ in range(r.randint(1, 300)))
        if kind == 3:
            path = "/" + "/".join(r.choice(["政务", "办事", "事项", "%E4%BD%A0", "%e4%bd", "\u0000", "👍"])
                                  for _ in range(r.randint(1, 30)))
            return path.encode() if r.random() < 0.5 else pct(path.encode()).replace(b"%2F", b"/")
        if kind == 4:
            return b"/" + b"/".join(self.odd() for _ in range(r.randint(1, 6)))
        return b"/" + b"%" + b"%".join(b"%02x" % r.randrange(256) for _ in range(r.randint(1, 100)))

    def target(self):
        r = self.rng
        roll = r.random()
        if roll < 0.9:
            method, template = r.choice(self.routes)
            segments = self.route_segments(template)
            if r.random() < 0.6:
                segments = self.mutate(segments)
            path = b"/" + b"/".join(segments)
            if r.random() < 0.03:
                path = b"http://127.0.0.1" + path  # absolute-form request target
            return method.encode(), template, path + self.query()
        return None, "garbage", self.garbage_path() + (self.query() if r.random() < 0.3 else b"")

    # -- headers ------------------------------------------------------------------------------
    def cookie(self):
        r, c = self.rng, self.creds.cookies
        roll = r.random()
        if roll < 0.40:
            return None, "no cookie"
        if roll < 0.55:
            return b"Cookie: yiwang_session=" + r.choice([b"anything", b"x", b"0" * 32]), "made-up cookie"
        if roll < 0.80 and c:
            account = r.choice(sorted(c))
            extra = r.choice([b"", b"", b"; yw_kiosk=1", b"; yw_text=large", b"; other=1"])
            return b"Cookie: yiwang_session=" + c[account].encode() + extra, f"session of {account}"
        bad = r.choice([b"yiwang_session=", b"yiwang_session", b"yiwang_session=a; yiwang_session=b", b'yiwang_session="q"',
                        b"=;;;", b"yiwang_session=" + b"A" * 6000, b"yiwang_session=%00", b"yiwang_session=\xff\xfe",
                        b"yw_kiosk=1", b"yw_text=large", b"yiwang_session=..%2F..", b";", b"yiwang_session=\x01"])
        return b"Cookie: " + bad, "malformed cookie"

    def authorization(self):
        r, t = self.rng, self.creds.tokens
        roll = r.random()
        if roll < 0.35:
            return [], "no auth"
        if roll < 0.45:
            return [b"Authorization: Bearer garbage"], "bearer garbage"
        if roll < 0.60 and CITIZEN in t:
            return [b"Authorization: Bearer " + t[CITIZEN].encode()], "citizen token"
        if roll < 0.80 and t:
            account = r.choice([a for a in STAFF if a in t] or sorted(t))
            return [b"Authorization: Bearer " + t[account].encode()], f"{account} token"
        real = (t.get(CITIZEN) or "x").encode()
        bad = r.choice([[b"Authorization: Bearer"], [b"Authorization: Bearer "], [b"Authorization: Bearer  " + real],
                        [b"Authorization: bearer " + real], [b"Authorization: Basic Zm9vOmJhcg=="],
                        [b"Authorization: Basic !!!"], [b"Authorization: Bearer " + real + b"x"],
                        [b"Authorization: Bearer " + b"a" * 5000], [b"Authorization: Token abc"],
                        [b"Authorization: Bearer \xe4\xbd\xa0\xe5\xa5\xbd"], [b"Authorization: Bearer \x01\x02"],
                        [b"Authorization: Bearer a", b"Authorization: Bearer " + real], [b"Authorization: " + real],
                        [b"Authorization: Bearer " + real + b" extra"], [b"Authorization:"], [b"Authorization: Bearer %00"]])
        return bad, "malformed auth"

    def extra_headers(self):
        r = self.rng
        headers = []
        if r.random() < 0.5:
            headers.append(b"Accept: " + r.choice([b"text/html", b"application/json", b"*/*", b"application/problem+json",
                                                   b"text/html;q=0.1, application/json", b"garbage", b"", b";;;",
                                                   b"application/json; q=abc", b"\xe4\xbd\xa0/x"]))
        if r.random() < 0.15:
            headers.append(r.choice([b"X-Forwarded-For: ../../, \x00, 999.1.1.1", b"Idempotency-Key: " + b"k" * 3000,
                                     b"Idempotency-Key: ", b"X-File-Name: ../../etc/passwd", "X-File-Name: 营业执照.pdf".encode(),
                                     b"X-File-Name: \x00.pdf", b"Range: bytes=0-", b"Range: bytes=99999999999-",
                                     b"If-None-Match: *", b"Origin: https://evil.example", b"Accept-Language: zz;q=x",
                                     b"User-Agent: " + b"U" * 8000, b"Content-Encoding: gzip", b"Expect: 100-continue",
                                     b"X-Empty:", b"Accept-Encoding: gzip, deflate, br", b"X-Long: " + b"v" * 20000,
                                     b"Bad Header: space in name", b"NoColonHere", b" folded: continuation",
                                     b"X-Ctl: a\x01b", b"Referer: javascript:alert(1)", b"Forwarded: for=\"[::1"]))
        if r.random() < 0.03:
            headers.append(r.choice([b"Host:", b"Host: ../..", b"Host: a:b:c", b"Host: 127.0.0.1", b"Host: " + b"h" * 3000]))
        return headers

    # -- bodies -------------------------------------------------------------------------------
    def json_value(self, depth=0):
        r = self.rng
        kind = r.randrange(10 if depth < 3 else 7)
        if kind == 0:
            return r.choice(["营业执照", "", "a" * 3000, "\u0000", "\ud800", "../../etc", "<b>x</b>", "2025-02-30",
                             "13800000001", "a@b.cn", "91520100MA6H00001R", "draft", "submit", "approve"])
        if kind == 1:
            return r.choice([0, -1, 1, 2 ** 63, -2 ** 63 - 1, 10 ** 40, 99])
        if kind == 2:
            return r.choice([1.5, -0.0, 1e308, 1e-308])
        if kind in (3, 4):
            return r.choice([True, False, None])
        if kind in (5, 6):
            return str(r.randint(-5, 100000))
        if kind in (7, 8):
            keys = ["account", "password", "item", "form", "state", "action", "reason", "email", "days", "name", "role",
                    "department", "region", "code", "note", "materials", "file", "slot", "agent", "company", "actingFor",
                    "holidays", "workdays", "year", "versions", "items", "kind", "phone", "idNumber", "csrf"]
            return {r.choice(keys): self.json_value(depth + 1) for _ in range(r.randint(0, 6))}
        return [self.json_value(depth + 1) for _ in range(r.randint(0, 4))]

    def body(self):
        """(extra header lines, body bytes, label, timeout)."""
        r = self.rng
        kind = r.randrange(60)
        if kind >= 30:  # protocol-level oddities (22-28) get an eighth of the requests, not a quarter
            kind = r.choice(list(range(22)) + [29])
        ct = lambda value: [b"Content-Type: " + value]  # noqa: E731
        cl = lambda data: [b"Content-Length: %d" % len(data)]  # noqa: E731

        def with_type(value, data, label):
            return ct(value) + cl(data), data, label, TIMEOUT

        if kind < 7:
            return [], b"", "no body", TIMEOUT
        if kind == 7:
            return [b"Content-Length: 0"], b"", "empty body", TIMEOUT
        if kind in (8, 9):
            value = self.json_value(1) if r.random() < 0.8 else {"account": "nobody." + str(r.randrange(999)),
                                                                 "password": "wrong"}
            return with_type(b"application/json", json.dumps(value, ensure_ascii=r.random() < 0.5).encode("utf-8", "surrogatepass"),
                             "json")
        if kind == 10:
            data = r.choice([b'{"a":', b"[1,2", b"\xff\xfe{}", b'{"a":"\\ud800"}', b"{'a':1}", b'{"a":1}}', b"nul", b"",
                             b'{"a":1,"a":2}', b"\x00", b'{"a":NaN}', b'{"a":Infinity}', b"1" * 5000, b'"' + b"\\" * 999 + b'"'])
            return with_type(b"application/json", data, "invalid json")
        if kind == 11:
            n = r.choice([1000, 10000])
            data = b"[" * n + b"]" * n if r.random() < 0.5 else b'{"a":' * n + b"1" + b"}" * n
            return with_type(b"application/json", data, f"json nested {n} deep")
        if kind == 12:
            data = r.choice([b'{"page":1e999,"per":123456789012345678901234567890}', b"1" * 400,
                             b'{"account":12345678901234567890123,"password":-1e400}', b'{"item":"x","form":' + b"9" * 1000 + b"}",
                             b'[' + b",".join([b"1e308"] * 2000) + b"]"])
            return with_type(b"application/json", data, "json huge numbers")
        if kind == 13:  # wrong types for the fields handlers expect
            data = json.dumps(r.choice([{"account": [], "password": {}}, {"item": 1, "form": "x"}, [1, 2, 3], "string", 42,
                                        None, {"action": {"x": 1}}, {"email": 5}, {"days": "many"}, {"form": [[[]]]},
                                        {"roles": None, "grants": "all"}])).encode()
            return with_type(r.choice([b"application/json", b"application/json; charset=utf-8", b"application/problem+json"]),
                             data, "json wrong types")
        if kind in (14, 15):
            data = r.choice([b"account=nobody&password=x&csrf=forged", b"a=1&a=2&a[]=3", b"%zz=%ff", b"&&&==",
                             b"a" + b"[x]" * r.choice([100, 3000]) + b"=1", b"csrf=&next=//evil.example",
                             "q=营业执照&page=99".encode(), b"x=" + b"y" * 50000, b"\x00=\x00", b"=", b"a=%00&b=%0d%0a",
                             b"form[a][b][c]=1&form[]=2", b"role=x&department=%ff&region="])
            return with_type(b"application/x-www-form-urlencoded", data, "form")
        if kind in (16, 17):
            boundary = b"yiwangBoundary%d" % r.randrange(10 ** 6)
            good = (b"--" + boundary + b'\r\nContent-Disposition: form-data; name="csrf"\r\n\r\nforged\r\n--' + boundary +
                    b'\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
                    b"%PDF-1.4\n%%EOF\n\r\n--" + boundary + b"--\r\n")
            variant = r.randrange(8)
            header = b"multipart/form-data; boundary=" + boundary
            if variant == 0:
                data = good
            elif variant == 1:
                data = good[: len(good) // 2]  # cut off mid-part
            elif variant == 2:
                header, data = b"multipart/form-data", good  # no boundary parameter
            elif variant == 3:
                header, data = r.choice([b"multipart/form-data; boundary=", b'multipart/form-data; boundary=""',
                                         b"multipart/form-data; boundary= ", b"multipart/form-data; boundary=;"]), good
            elif variant == 4:
                header, data = b"multipart/form-data; boundary=" + b"b" * 5000, good
            elif variant == 5:
                data = good.replace(b"Content-Disposition", b"Content-Dispositio")
            elif variant == 6:
                data = b"--" + boundary + b"\r\n" * 5000
            else:
                data = good.replace(b'filename="a.pdf"', b'filename="../../\x00\xff.pdf"')
            return with_type(header, data, "multipart" if variant == 0 else "broken multipart")
        if kind == 18:
            return with_type(b"text/plain", "纯文本 plain text \x00".encode(), "text/plain")
        if kind == 19:
            data = bytes(r.randrange(256) for _ in range(r.choice([16, 1000, 20000])))
            return with_type(r.choice([b"application/octet-stream", b"application/pdf", b"image/png"]), data, "random bytes")
        if kind == 20:
            data = r.choice([b'<?xml version="1.0"?><a>1</a>',
                             b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>', b"<a"])
            return with_type(r.choice([b"application/xml", b"text/xml"]), data, "xml")
        if kind == 21:
            value = r.choice([b"application/json; charset=klingon", b"application/json; charset=", b"application/json;;;",
                              b"text/html; charset=utf-16", b"application/x-www-form-urlencoded; charset=latin1",
                              b"multipart/form-data; charset=utf-8", b"", b"/", b"application/", b"\xe4\xbd\xa0/\xe5\xa5\xbd",
                              b"application/json, text/plain", b"*/*"])
            return with_type(value, b'{"account":"nobody","password":"x"}', "odd content type")
        if kind == 22:
            data = b'{"a":1}'
            return ct(b"application/json") + [b"Content-Length: 3"], data + b"GARBAGE\r\n\r\n", "body longer than length", TIMEOUT
        if kind == 23:
            return ct(b"application/json") + [b"Content-Length: 500"], b'{"a":', "body shorter than length", SHORT_TIMEOUT
        if kind in (24, 25):
            chunks = r.choice([b'7\r\n{"a":1}\r\n0\r\n\r\n', b"3\r\nabc\r\n0\r\nTrailer: x\r\n\r\n" if TRAILERS else b"0\r\n\r\n", b"zz\r\nabc\r\n0\r\n\r\n",
                               b"ffffffffffffffffff\r\nabc\r\n0\r\n\r\n", b"-1\r\nabc\r\n0\r\n\r\n", b"0\r\n\r\n",
                               b"5;ext=1\r\nhello\r\n0\r\n\r\n", b"2\r\nabc\r\n0\r\n\r\n"])
            return ct(b"application/json") + [b"Transfer-Encoding: chunked"], chunks, "chunked", SHORT_TIMEOUT * 3
        if kind == 26:
            return ct(b"application/json") + [b"Content-Length: 7", b"Transfer-Encoding: chunked"], \
                b'7\r\n{"a":1}\r\n0\r\n\r\n', "length and chunked", SHORT_TIMEOUT * 3
        if kind == 27:
            value = r.choice([b"abc", b"-1", b"99999999999999999999", b"1e3", b" 7", b"7, 7", b""])
            return ct(b"application/json") + [b"Content-Length: " + value], b'{"a":1}', "invalid length", SHORT_TIMEOUT * 3
        if kind == 28:
            return ct(b"application/json") + [b"Content-Length: 7", b"Content-Length: 8"], b'{"a":1}', "two lengths", \
                SHORT_TIMEOUT * 3
        data = json.dumps({"item": r.choice(self.values["code"]), "form": self.json_value(2)}).encode()
        return with_type(b"application/json", data, "json case-shaped")

    def make(self):
        r = self.rng
        request = Request()
        route_method, template, request.target = self.target()
        request.method = route_method if route_method and r.random() < 0.45 else r.choice(METHODS)
        request.version = b"HTTP/1.1" if r.random() < 0.96 else r.choice([b"HTTP/1.0", b"HTTP/2.0", b"HTTP/9.9", b"http/1.1",
                                                                          b"HTTP/1.1 extra", b""])
        cookie, cookie_label = self.cookie()
        auth, auth_label = self.authorization()
        body_headers, request.body, body_label, request.timeout = self.body()
        request.headers = ([cookie] if cookie else []) + auth + self.extra_headers() + body_headers + [b"Connection: close"]
        request.label = template
        request.creds = f"{cookie_label}, {auth_label}, {body_label}"
        request.note = ""
        return request

    def fixed(self, method, target, cookie=None, auth=None, body=None, ctype=b"application/json", extra=(), label=None):
        """A hand-written request for the deterministic opening corpus."""
        request = Request()
        request.method, request.target, request.version = method, target, b"HTTP/1.1"
        request.headers = ([b"Cookie: " + cookie] if cookie else []) + ([b"Authorization: " + auth] if auth else [])
        request.headers += list(extra)
        request.body = body or b""
        if body is not None and not any(h.lower().startswith(b"transfer-encoding") for h in extra):
            request.headers += [b"Content-Type: " + ctype, b"Content-Length: %d" % len(body)]
        request.headers.append(b"Connection: close")
        request.label, request.timeout, request.note = label or target.decode("latin-1")[:60], TIMEOUT, ""
        request.creds = ", ".join([f"cookie {cookie.decode('latin-1')[:40]}" if cookie else "no cookie",
                                   "auth given" if auth else "no auth",
                                   f"{ctype.decode('latin-1')} body" if body is not None else "no body"])
        return request

    def opening(self):
        """Known crashers and every route once with its own method, before the random part."""
        t, c = self.creds.tokens, self.creds.cookies
        citizen = b"Bearer " + t[CITIZEN].encode()
        supervisor = b"Bearer " + t["supervisor"].encode()
        part = b'--b\r\nContent-Disposition: form-data; name="account"\r\n\r\nnobody\r\n--b--\r\n'
        fixed = [
            self.fixed(b"GET", b"/x/../healthz", cookie=b"yiwang_session=anything"),  # killed the server once
            self.fixed(b"GET", b"/x/../healthz"),
            self.fixed(b"GET", b"/items?page=99"),  # killed the server once (Range error)
            self.fixed(b"GET", b"/items?page=2"),
            self.fixed(b"GET", b"/api/v1/items?page=99"),
            self.fixed(b"GET", b"/api/v1/cases?page=99", auth=citizen),
            self.fixed(b"GET", b"/api/v1/cases?per=100000", auth=citizen),
            self.fixed(b"GET", b"/api/v1/audit?page=100000&per=100", auth=supervisor),
            self.fixed(b"GET", b"/admin/audit?page=99", cookie=b"yiwang_session=" + c["supervisor"].encode()),
            self.fixed(b"GET", b"/admin/cases?page=99", cookie=b"yiwang_session=" + c["catalog.admin"].encode()),
            self.fixed(b"GET", b"/me/cases?page=99", cookie=b"yiwang_session=" + c[CITIZEN].encode()),
            self.fixed(b"GET", b"/departments?page=99"),
            self.fixed(b"GET", b"/%ff%fe", cookie=b"yiwang_session=anything"),
            self.fixed(b"GET", b"/css/../../Package.swift"),
            self.fixed(b"POST", b"/api/v1/auth/token", body=b"[" * 10000 + b"]" * 10000),
            # Found by this test: a chunked body with a trailer section (Vapor asserts in debug builds),
            self.fixed(b"POST", b"/api/v1/auth/token", body=b'2\r\n{}\r\n0\r\nX-Trailer: 1\r\n\r\n' if TRAILERS else b'2\r\n{}\r\n0\r\n\r\n',
                       extra=[b"Content-Type: application/json", b"Transfer-Encoding: chunked"]),
            # a multipart body whose boundary is empty (MultipartKit's precondition),
            self.fixed(b"POST", b"/signin", body=part, ctype=b"multipart/form-data; boundary="),
            self.fixed(b"POST", b"/api/v1/auth/token", body=part, ctype=b'multipart/form-data; boundary=""'),
            # a path FileMiddleware cannot stat (a segment over 255 bytes, or over 4,095 bytes in all).
            self.fixed(b"GET", b"/" + b"x" * 256),
            self.fixed(b"GET", b"/a" * 2100),
        ]
        everything = []
        for method, template in self.routes:
            request = self.make()
            request.method = method.encode()
            request.target = b"/" + b"/".join(self.route_segments(template))
            request.label = template
            everything.append(request)
        return fixed + everything


# ---------------------------------------------------------------------------------------------
# Sending and judging
# ---------------------------------------------------------------------------------------------


def send(port, request):
    """(status or None, body head, outcome) where outcome is 'answered', 'timeout' or 'dropped'."""
    data, outcome = b"", "answered"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.settimeout(request.timeout)
            try:
                sock.sendall(request.wire(port))
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered early (413, 400) and closed; read what it said
            try:
                while len(data) < 1 << 20:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except socket.timeout:
                outcome = "timeout"
            except (ConnectionResetError, OSError):
                pass
    except (ConnectionRefusedError, socket.timeout, OSError):
        return None, b"", "refused"
    while True:  # skip interim answers (100 Continue)
        match = re.match(rb"HTTP/\d\.\d (\d{3})[^\r\n]*\r\n", data)
        if not match:
            return None, data[:200], outcome if outcome == "timeout" else "dropped"
        status = int(match.group(1))
        head, sep, rest = data.partition(b"\r\n\r\n")
        if 100 <= status < 200 and status != 101 and sep and rest.startswith(b"HTTP/"):
            data = rest
            continue
        return status, rest[:200], "answered"


def describe(request, status, body, extra=""):
    headers = [h.decode("latin-1") for h in request.headers if not h.lower().startswith((b"connection:", b"host:"))]
    headers = [h if len(h) <= 120 else h[:100] + f"...({len(h)} chars)" for h in headers]
    target = request.target if len(request.target) <= 200 else request.target[:180] + b"...(%d bytes)" % len(request.target)
    return (f"{request.method.decode('latin-1')} {target!r} {request.version.decode('latin-1')}  [route {request.label}; "
            f"{request.creds}]\n      headers: {headers}\n      body sent: {len(request.body)} bytes {request.body[:80]!r}\n"
            f"      -> {status} {body!r}{extra}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default=os.environ.get("YIWANG_BIN", os.path.join(ROOT, ".build", "debug", "yiwang")))
    parser.add_argument("--requests", type=int, default=2500)
    parser.add_argument("--seed", type=int, default=20260307)
    parser.add_argument("--max-restarts", type=int, default=40, help="give up after this many crashes")
    parser.add_argument("--verbose", action="store_true", help="list every finding, not one per kind")
    parser.add_argument("--keep", action="store_true", help="keep the data directory and server logs")
    parser.add_argument("--no-trailers", action="store_true",
                        help="send no chunked trailers (Vapor's debug build asserts on them; release builds do not)")
    args = parser.parse_args()
    if args.no_trailers:
        global TRAILERS
        TRAILERS = False
        print("note: chunked trailers not sent (--no-trailers): Vapor 4.122.3's debug build asserts on them; release builds ignore them")
    binary = os.path.abspath(args.bin)
    deadline = time.time() + 120  # a build may be replacing the binary right now
    while not os.access(binary, os.X_OK) and time.time() < deadline:
        time.sleep(5)
    if not os.access(binary, os.X_OK):
        print(f"no executable at {binary} (use --bin or YIWANG_BIN)", file=sys.stderr)
        print("robustness: 0 passed, 0 failed")
        return 2
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="yiwang-robust-")
    server = Server(binary, os.path.join(work, "data"), work)
    STARTED.append(server)
    os.mkdir(server.data_dir)
    began = time.time()
    routes = read_routes()
    creds = Credentials()
    try:
        server.start()
        creds.renew_all(server)
        values = demo_values(server, creds)
    except (SetupError, OSError, KeyError, ValueError) as err:
        print(f"setup failed: {err}", file=sys.stderr)
        server.stop(signal.SIGKILL)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        print("robustness: 0 passed, 0 failed")
        return 2
    print(f"binary {binary}\nseed   {args.seed}; {len(routes)} routes from routes.swift; started in {time.time() - began:.1f} s; "
          f"{len(values['code'])} item codes, {len(values['id'])} case ids, {len(values['file'])} file ids")

    gen = Generator(rng, routes, values, creds)
    queue = gen.opening()
    statuses, outcomes, findings, notes, warnings = Counter(), Counter(), [], [], Counter()
    bad_requests, sent, restarts, slowest = set(), 0, 0, []
    fuzz_began = time.time()

    def restart(why):
        nonlocal restarts
        restarts += 1
        server.stop(signal.SIGKILL)
        if restarts > args.max_restarts:
            return False
        try:
            server.start()
            creds.refresh(server)
        except SetupError as err:
            findings.append(("restart", "the server would not start again", str(err)))
            return False
        return True

    def checkpoint(upto):
        logged = server.new_log()
        warnings.update(problem_lines(logged))
        if CRASH_MARK.search(logged) or not server.alive():
            time.sleep(0.5)
            findings.append(("crash", server.fatal_line(), f"server exited ({server.proc.poll()}) between requests, "
                             f"last sent #{upto}\n      server log up to the crash:\n" + server.crash_context()))
            return restart("crash")
        if not server.healthy():
            findings.append(("not serving", "GET /healthz did not answer 200", f"after request #{upto}"))
            return restart("hung")
        creds.refresh(server)
        return True

    running, previous = True, None
    while sent < max(args.requests, 0) and running:
        request = queue.pop(0) if queue else gen.make()
        sent += 1
        t0 = time.time()
        status, body, outcome = send(server.port, request)
        elapsed = time.time() - t0
        slowest = sorted(slowest + [(elapsed, request.method, request.target[:80], status)], key=lambda x: -x[0])[:5]
        outcomes[outcome] += 1
        if status is not None:
            statuses[status] += 1
        logged = server.new_log()
        if status is not None and status >= 500 and not LOGGED_PROBLEM.search(logged):
            time.sleep(0.05)  # the log line may trail the answer
            logged += server.new_log()
        warnings.update(problem_lines(logged))
        crashed = bool(CRASH_MARK.search(logged))
        if crashed:  # give the runtime a moment to finish its report, then make sure it is gone
            deadline = time.time() + 3
            while time.time() < deadline and server.alive():
                time.sleep(0.02)
        elif outcome != "answered" and server.alive():
            # Closed without an answer: was that the process dying? A live server answers /healthz at once.
            deadline = time.time() + 2
            while time.time() < deadline and server.alive() and not server.healthy(timeout=1):
                time.sleep(0.02)
        if crashed or not server.alive():
            time.sleep(0.1)
            if outcome == "refused" and previous is not None:  # it died after answering the one before
                request, status, body = previous, "answered, then the process exited", b""
            findings.append(("crash", server.fatal_line(), f"request #{sent} ({outcome}): " + describe(request, status, body) +
                             f"\n      server log up to the crash (exit status {server.proc.poll()}):\n" +
                             server.crash_context()))
            bad_requests.add(sent)
            running, previous = restart("crash"), None
            continue
        if status is not None and status >= 500:
            causes = problem_lines(logged)
            key = f"{status}, server log: {causes[0]}" if causes else \
                f"{status}: {request.method.decode('latin-1')} {request.label} -> {body[:60]!r}"
            findings.append((f"{status}", key, f"request #{sent}: " + describe(request, status, body) +
                             "".join(f"\n      server log: {line}" for line in causes[:3])))
            bad_requests.add(sent)
        elif status is not None and any(leak in body for leak in LEAKS):
            findings.append(("leak", f"{request.label} served a private file", f"request #{sent}: " +
                             describe(request, status, body)))
            bad_requests.add(sent)
        elif outcome != "answered":
            notes.append(f"#{sent} {outcome} after {elapsed:.1f} s: {request.method.decode('latin-1')} "
                         f"{request.target[:100]!r} [{request.creds}]")
        previous = request
        if sent % 100 == 0:
            running = checkpoint(sent)
            previous = None
    if running:
        running = checkpoint(sent)
        # Refused before the body is read: an anonymous caller announcing 60 MB for every route
        # that takes a large body gets its 401 (or a redirect to sign in) after the first 64 KB
        # (Vapor hands a request on once its first body bytes arrive); a server that read the
        # whole body first would wait for the rest and never answer here.
        for target in (b"/api/v1/import", b"/api/v1/cases/" + str(uuid.uuid4()).encode() + b"/materials/1",
                       b"/me/cases/" + str(uuid.uuid4()).encode() + b"/materials",
                       b"/admin/cases/" + str(uuid.uuid4()).encode() + b"/materials"):
            method = b"PUT" if b"/api/v1/cases/" in target else b"POST"
            began_early = time.time()
            try:
                with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
                    sock.sendall(method + b" " + target + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                                 b"Content-Length: 62914560\r\nConnection: close\r\n\r\n" + b"\0" * 65536)
                    head = sock.recv(200)
                status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/1.1 ") else None
            except (OSError, ValueError, IndexError):
                status = None
            if status not in (401, 303):
                findings.append(("read before refusing", f"{method.decode()} {target.decode()} with 60 MB announced",
                                 f"answered {status} after {time.time() - began_early:.1f} s (want 401 or 303 before the body)"))
            else:
                print(f"refused before the body: {method.decode()} {target.decode()[:40]}… -> {status} "
                      f"in {time.time() - began_early:.2f} s")
        running = checkpoint(sent)
    fuzz_seconds = time.time() - fuzz_began
    exit_status = server.stop(signal.SIGTERM) if server.alive() else None

    # -- the summary -------------------------------------------------------------------------
    print(f"\n{sent} requests in {fuzz_seconds:.1f} s ({time.time() - began:.1f} s in all); server restarts after crashes: "
          f"{restarts}; exit on SIGTERM: {exit_status}")
    if restarts > args.max_restarts:
        print(f"stopped early: more than {args.max_restarts} crashes")
    print("status codes: " + ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items())))
    print("outcomes:     " + ", ".join(f"{kind}: {n}" for kind, n in sorted(outcomes.items())))
    print("slowest:      " + "; ".join(f"{s:.2f} s {m.decode('latin-1')} {t!r} -> {st}" for s, m, t, st in slowest[:3]))
    if notes:
        print(f"\nnoted, not counted ({len(notes)} without an answer while the server lived):")
        for line in notes if args.verbose else notes[:12]:
            print("  " + line)
        if len(notes) > 12 and not args.verbose:
            print(f"  ... {len(notes) - 12} more")
    if creds.problems:
        print(f"\ncredentials ({len(creds.problems)} renewals failed; later requests used stale ones):")
        for line in creds.problems[:5]:
            print("  " + line[:300])
    if warnings:
        print(f"\nserver warnings and errors logged ({sum(warnings.values())}; a 5xx among them is a finding below):")
        for line, n in warnings.most_common(10):
            print(f"  {n:4d} x {line}")
    if findings:
        kinds = OrderedDict()
        for kind, key, detail in findings:
            kinds.setdefault((kind, key), []).append(detail)
        print(f"\nFINDINGS: {len(findings)} ({len(kinds)} distinct)")
        for (kind, key), details in kinds.items():
            print(f"\n[{kind}] x{len(details)}: {key}")
            for detail in details if args.verbose else details[:2]:
                print("  " + detail.rstrip())
            if len(details) > 2 and not args.verbose:
                print(f"  ... {len(details) - 2} more like this (--verbose lists them)")
    if args.keep:
        print(f"\ndata and server logs kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    passed = sent - len(bad_requests)
    print(f"\nrobustness: {passed} passed, {len(findings)} failed")
    return 1 if findings else 0

STARTED = []  # the server, so that an interrupted run does not leave it behind

if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        for started in STARTED:
            if started.alive():
                started.stop(signal.SIGKILL)
