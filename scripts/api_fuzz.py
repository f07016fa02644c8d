#!/usr/bin/env python3
"""API fuzzing: the server answers as its own OpenAPI document (Resources/openapi.json) says.

Usage:
    python3 scripts/api_fuzz.py [--bin PATH] [--examples N] [--seed S] [--budget SECONDS]
                                [--runs tour,anonymous,citizen,system.admin,catalog.admin] [--keep]

Needs schemathesis 4: `python3 -m venv .venv-fuzz && .venv-fuzz/bin/pip install -r
scripts/requirements-fuzz.txt`. Run with any Python: without schemathesis it starts itself again
under .venv-fuzz/bin/python.

Every run starts `yiwang serve` on a fresh temporary data directory (the demo city and accounts),
so one run's changes (a disabled account, a lockout, a reset password) never reach the next, and
every answer is checked with exactly four schemathesis checks: not_a_server_error,
status_code_conformance, content_type_conformance and response_schema_conformance.

- tour: the main journeys that random data never reaches, one request at a time through
  schemathesis's Python API: registration, tokens, a company and its agent, a case filed, its
  form and files, downloaded, accepted, extended, reviewed, approved, delivered and closed, a
  case refused, one withdrawn, one filed at the window, staff accounts and grants, the audit
  trail, the calendar, a guide edited and published, lint, export and import.
- anonymous, citizen (520102199003071236), system.admin, catalog.admin: `schemathesis run`
  against /api/v1/openapi.json (examples, coverage, fuzzing and stateful phases, seed S, at most
  N generated cases per operation) without a token, then with each account's bearer token; the
  two staff accounts between them reach every staff operation.

Only what would end the fuzzer's own token is left out: DELETE /api/v1/auth/token,
POST /api/v1/me/sign-out-everywhere and POST /api/v1/password-reset/confirm in the signed-in
runs, and, through the before_call hook at the end of this file, a staff run disabling, resetting
the password of or revoking the grants of its own account.

The binary defaults to $YIWANG_BIN or .build/debug/yiwang; YIWANG_ROOT defaults to the repository
root (the server reads Resources/openapi.json from there at start-up). With --keep the JUnit
reports and server logs stay in the work folder. The last line is `api-fuzz: N passed, M failed`
(tour requests and fuzzed operations per run). Exit status: 0 no finding, 1 any finding (or the
time budget ran out), 2 the fuzzer could not be set up.
"""
import argparse, os, shutil, signal, subprocess, sys, tempfile, time
import xml.etree.ElementTree as ElementTree

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import yiwang_server  # noqa: E402
from yiwang_server import CITIZEN, DEMO_PASSWORD as PASSWORD, ROOT, Server, SetupError, default_binary, token  # noqa: E402

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
# Operations that end the caller's own token; excluded from every run that has one.
TOKEN_ENDERS = ["revokeToken", "signOutEverywhere", "confirmPasswordReset"]
RUNS = {"tour": None, "anonymous": None, "citizen": CITIZEN, "system.admin": "system.admin", "catalog.admin": "catalog.admin"}
OWN_ACCOUNT_ENV = "YIWANG_FUZZ_OWN_ACCOUNT"


def schemathesis_python():
    """This Python when it has schemathesis 4; else the script starts again under .venv-fuzz's."""
    try:
        import schemathesis
    except ImportError:
        venv = os.path.join(ROOT, ".venv-fuzz", "bin", "python")
        if os.path.exists(venv) and not os.environ.get("YIWANG_FUZZ_REEXEC"):
            os.environ["YIWANG_FUZZ_REEXEC"] = "1"
            sys.stdout.flush()
            os.execv(venv, [venv, os.path.abspath(__file__)] + sys.argv[1:])
        raise SetupError("schemathesis 4 not found: python3 -m venv .venv-fuzz && "
                         ".venv-fuzz/bin/pip install -r scripts/requirements-fuzz.txt")
    if not schemathesis.__version__.startswith("4."):
        raise SetupError(f"schemathesis {schemathesis.__version__} found; the script drives 4.x")
    return sys.executable, schemathesis.__version__


def junit_counts(path):
    """(passed, [failed operation names]) from a schemathesis JUnit report."""
    passed, failed = 0, []
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(case.get("name"))
        elif case.find("skipped") is None:
            passed += 1
    return passed, failed


def fuzz(python, server, name, account, args, work, seconds):
    """One schemathesis run; returns (passed, failed, ok)."""
    junit = os.path.join(work, f"junit-{name}.xml")
    command = [python, "-m", "schemathesis.cli", "run", server.base + "/api/v1/openapi.json",
               "--checks", CHECKS, "--phases", "examples,coverage,fuzzing,stateful",
               "--max-examples", str(args.examples), "--seed", str(args.seed), "--generation-database", "none",
               "--workers", str(args.workers), "--request-timeout", "30", "--no-color",
               "--suppress-health-check", "too_slow,filter_too_much,data_too_large,large_base_example",
               "--report", "junit", "--report-junit-path", junit,
               "--output-truncate", "false", "--warnings", "off"]
    env = dict(os.environ, SCHEMATHESIS_HOOKS=os.path.abspath(__file__))
    env.pop("SCHEMATHESIS_CONFIG", None)
    if account:
        command += ["-H", "Authorization: " + token(server.base, account)["Authorization"]]
        for operation in TOKEN_ENDERS:
            command += ["--exclude-operation-id", operation]
        env[OWN_ACCOUNT_ENV] = account
    print(f"\n==> {name}: schemathesis against {server.base}" + (f" as {account}" if account else " without a token"),
          flush=True)
    started = time.time()
    try:
        done = subprocess.run(command, env=env, cwd=work, timeout=seconds)
        code = done.returncode
    except subprocess.TimeoutExpired:
        print(f"api-fuzz: the {name} run went past its {seconds:.0f} s budget", flush=True)
        return 0, 1, False
    print(f"==> {name}: schemathesis exit {code} after {time.time() - started:.0f} s", flush=True)
    if not os.path.exists(junit):  # it never got to test: bad arguments, or the schema did not load
        raise SetupError(f"schemathesis exited with {code} and wrote no report in the {name} run")
    passed, failed = junit_counts(junit)
    if code != 0 and not failed:  # e.g. a schema or network error outside any operation
        failed = [f"{name}: schemathesis exit {code}"]
    for operation in failed:
        print(f"api-fuzz: FAILED [{name}] {operation}", flush=True)
    return passed, len(failed), code == 0



# ---------------------------------------------------------------------------------------------
# The tour: the happy paths a fuzzer cannot find on its own (a valid case form, an uploaded file,
# a staff member's next step), each answer checked with the same four checks by schemathesis.

def id_number(serial):
    """A made-up resident ID number (GB 11643) that passes its check digit."""
    body = "52010219900101" + f"{serial % 1000:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights)) % 11]


def credit_code(serial):
    """A made-up unified social credit code (GB 32100) that passes its check character."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    body = "91520102MA6T" + f"{serial % 100000:05d}"
    return body + alphabet[(31 - sum(alphabet.index(c) * w for c, w in zip(body, weights)) % 31) % 31]


class Tour:
    def __init__(self, base):
        import schemathesis
        from schemathesis.checks import not_a_server_error
        from schemathesis.core import NOT_SET
        from schemathesis.specs.openapi import checks
        self.base, self.NOT_SET = base, NOT_SET
        self.schema = schemathesis.openapi.from_url(base + "/api/v1/openapi.json")
        self.checks = [not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
                       checks.response_schema_conformance]
        self.tokens, self.passed, self.failed = {}, 0, []

    def call(self, who, method, path, expect, params=None, query=None, headers=None, body=None, media_type=None):
        """One request as `who` (None: anonymous); the answer is checked against the document."""
        headers = dict(headers or {})
        if who:
            headers["Authorization"] = "Bearer " + self.tokens[who]
        if body is not None and media_type is None:
            media_type = "application/json"
        label = f"{method} {path} as {who or 'anonymous'}"
        try:
            operation = self.schema[path][method]
        except LookupError:
            self.failed.append(label)
            print(f"api-fuzz: tour FAILED {label}: the operation is not in the document", flush=True)
            return None
        case = operation.Case(path_parameters=params or {}, query=query or {}, headers=headers,
                              body=self.NOT_SET if body is None else body, media_type=media_type)
        try:
            response = case.call(base_url=self.base, timeout=60)
        except Exception as err:  # nothing came back, or the request could not be made
            self.failed.append(label)
            print(f"api-fuzz: tour FAILED {label}: {err!r}", flush=True)
            return None
        problems = []
        try:
            case.validate_response(response, checks=self.checks)
        except BaseException as err:  # a FailureGroup (an exception group) of the checks that failed
            if isinstance(err, (KeyboardInterrupt, SystemExit)):
                raise
            for failure in getattr(err, "exceptions", None) or [err]:
                title = getattr(failure, "title", type(failure).__name__)
                problems.append(f"{getattr(failure, 'code', '')} {title}: {getattr(failure, 'message', failure)}".strip())
        if response.status_code not in ((expect,) if isinstance(expect, int) else expect):
            problems.append(f"answered {response.status_code}, the tour expected {expect}: {response.text[:400]}")
        if problems:
            kind = next((v[0] if isinstance(v, list) else v for k, v in response.headers.items() if k.lower() == "content-type"), "")
            problems.append(f"[{response.status_code}] {kind} {response.text[:300]!r}")
            problems.append("reproduce: " + case.as_curl_command(headers={"Authorization": "Bearer …"} if who else None))
        if problems:
            self.failed.append(label)
            print(f"api-fuzz: tour FAILED {label}\n    " + "\n    ".join("\n".join(problems).splitlines()), flush=True)
        else:
            self.passed += 1
        return response

    def json(self, *args, **kwargs):
        response = self.call(*args, **kwargs)
        try:
            return response.json() if response is not None else None
        except ValueError:
            return None

    def sign_in(self, who, account, acting_for=None):
        body = {"account": account, "password": PASSWORD}
        if acting_for:
            body["actingFor"] = acting_for
        answer = self.json(None, "POST", "/api/v1/auth/token", 201, body=body)
        if not answer or "token" not in answer:
            raise SetupError(f"the tour could not sign in as {account}")
        self.tokens[who] = answer["token"]


def choose_item(tour, department):
    """The department's first online item with a form the tour can fill and a file to upload."""
    page = tour.json(None, "GET", "/api/v1/items", 200, query={"department": department, "per": 100}) or {}
    guides = [tour.json(None, "GET", "/api/v1/items/{code}", 200, params={"code": summary["code"]}) or {}
              for summary in page.get("items", []) if summary.get("canApplyOnline")]
    # A 承诺件 first: its case goes through review and approval, where an extension can be asked for.
    for guide in sorted(guides, key=lambda guide: guide.get("processing") != "promised"):
        slots = yiwang_server.upload_slots(guide)
        if slots:
            return guide, yiwang_server.fill_form(guide), slots
    raise SetupError(f"the tour found no item of {department} to apply for online")


def run_tour(server):
    """Walks the API's main journeys on a fresh server; returns (passed, failed)."""
    market = "11520100MB49540L81"
    pdf = b"%PDF-1.4\n% yiwang api tour\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
    tour = Tour(server.base)
    get = lambda who, path, **kw: tour.json(who, "GET", path, 200, **kw)
    # Anyone.
    for path in ["/healthz", "/readyz", "/api/v1/openapi.json", "/api/v1/regions", "/api/v1/departments",
                 "/api/v1/item-types", "/api/v1/life-events", "/api/v1/calendar/years"]:
        get(None, path)
    get(None, "/api/v1/departments/{creditCode}", params={"creditCode": market})
    get(None, "/api/v1/items", query={"q": "食品经营", "page": 1, "per": 5})
    get(None, "/api/v1/calendar/years/{year}", params={"year": 2026})
    get(None, "/api/v1/calendar/deadline", query={"from": "2025-09-30", "workingDays": 3})
    person, agent = id_number(101), id_number(102)
    tour.call(None, "POST", "/api/v1/register/person", 201,
              body={"idNumber": person, "name": "王小明", "phone": "13912345678", "password": "Tour-Pass-2026!"})
    tour.call(None, "POST", "/api/v1/register/person", 201,
              body={"idNumber": agent, "name": "赵小红", "phone": "13912345679", "password": "Tour-Pass-2026!"})
    tour.call(None, "POST", "/api/v1/register/company", 201, body={
        "creditCode": credit_code(7), "name": "贵阳巡检科技有限公司", "password": "Tour-Pass-2026!",
        "legalRepresentative": {"idNumber": person, "name": "王小明", "phone": "13912345678"}})
    tour.call(None, "POST", "/api/v1/password-reset", 202, body={"account": person})
    # The citizen, for himself and for his company.
    tour.sign_in("citizen", CITIZEN)
    for path in ["/api/v1/me", "/api/v1/me/sign-ins", "/api/v1/me/inbox", "/api/v1/me/materials"]:
        get("citizen", path)
    companies = get("citizen", "/api/v1/me/companies") or []
    tour.call("citizen", "PUT", "/api/v1/me/email", 200, body={"email": "zhang.ming@example.cn"})
    if companies:
        tour.sign_in("company", CITIZEN, acting_for=companies[0]["id"])
        get("company", "/api/v1/me")
        get("company", "/api/v1/me/agents")
        granted = tour.json("company", "POST", "/api/v1/me/agents", 201,
                            body={"idNumber": agent, "name": "赵小红", "powers": ["apply", "viewCases"]}) or {}
        if "id" in granted:
            tour.call("company", "DELETE", "/api/v1/me/agents/{id}", 204, params={"id": granted["id"]})
    # A case: a draft, its form, a file, submitted; a second case reuses the file.
    guide, form, slots = choose_item(tour, market)
    code = guide["code"]
    key = {"Idempotency-Key": "tour-case-1"}
    draft = tour.json("citizen", "POST", "/api/v1/cases", 201, headers=key, body={"item": code, "form": {}, "submit": False}) or {}
    case_id = draft.get("id")
    if not case_id:
        raise SetupError("the tour could not file a case")
    tour.call("citizen", "POST", "/api/v1/cases", 200, headers=key, body={"item": code, "form": {}, "submit": False})
    tour.call("citizen", "PUT", "/api/v1/cases/{id}/form", 200, params={"id": case_id}, body={"form": form})
    file = tour.json("citizen", "PUT", "/api/v1/cases/{id}/materials/{index}", 201, params={"id": case_id, "index": slots[0]},
                     headers={"X-File-Name": "%E7%94%B3%E8%AF%B7%E4%B9%A6.pdf"}, body=pdf, media_type="application/octet-stream") or {}
    for slot in slots[1:]:  # every other file the applicant gives, so that the case can be accepted
        tour.call("citizen", "PUT", "/api/v1/cases/{id}/materials/{index}", 201, params={"id": case_id, "index": slot},
                  body=pdf + f"% material {slot}\n".encode(), media_type="application/octet-stream")
    if "id" in file:
        tour.call("citizen", "GET", "/api/v1/cases/{id}/files/{file}", 200, params={"id": case_id, "file": file["id"]})
    tour.call("citizen", "POST", "/api/v1/cases/{id}/transitions", 200, params={"id": case_id}, body={"action": "submit"})
    get("citizen", "/api/v1/cases")
    get("citizen", "/api/v1/cases/{id}", params={"id": case_id})
    second = tour.json("citizen", "POST", "/api/v1/cases", 201, headers={"Idempotency-Key": "tour-case-2"},
                       body={"item": code, "form": form, "submit": False}) or {}
    if "id" in second and "sha256" in file:
        tour.call("citizen", "POST", "/api/v1/cases/{id}/materials", 201, params={"id": second["id"]},
                  body={"material": slots[0], "reuse": file["sha256"]})
        get("citizen", "/api/v1/me/materials")
    # The window clerk and the approver take the case as far as it goes.
    tour.sign_in("clerk", "market.clerk")
    tour.sign_in("approver", "market.approver")
    applicant = tour.json("clerk", "POST", "/api/v1/applicants/lookup", 200, body={"identifier": CITIZEN}) or {}
    if "id" in applicant:
        tour.call("clerk", "POST", "/api/v1/applicants/{id}/reveal", 200, params={"id": applicant["id"]})
    get("clerk", "/api/v1/cases")
    acted, steps = set(), 0
    while steps < 8:
        steps += 1
        progressed = False
        for who in ("clerk", "approver"):
            view = get(who, "/api/v1/cases/{id}", params={"id": case_id}) or {}
            for action in ("accept", "review", "approve", "deliver", "close"):
                if action in view.get("allowedActions", []) and action not in acted:
                    if action == "approve" and "extension" not in acted:
                        acted.add("extension")
                        tour.call(who, "POST", "/api/v1/cases/{id}/extension", 200, params={"id": case_id},
                                  body={"workingDays": 2, "reason": "需要现场核查"})
                    body = {"action": action, "resultDocument": "黔食经〔2026〕1号"} if action in ("approve", "issueCertificate") \
                        else {"action": action}
                    tour.call(who, "POST", "/api/v1/cases/{id}/transitions", 200, params={"id": case_id}, body=body)
                    acted.add(action)
                    progressed = True
                    break
        if not progressed:
            if "accept" not in acted:
                print(f"api-fuzz: tour: the case stopped in {view.get('state')}, offering {view.get('allowedActions')}", flush=True)
            break
    # The second case is refused at acceptance; a third is withdrawn; the clerk files one at the window.
    if "id" in second:
        tour.call("citizen", "POST", "/api/v1/cases/{id}/transitions", 200, params={"id": second["id"]}, body={"action": "submit"})
        tour.call("clerk", "POST", "/api/v1/cases/{id}/transitions", 200, params={"id": second["id"]},
                  body={"action": "rejectAtAcceptance", "reason": "不属于本机关职权范围"})
        get("citizen", "/api/v1/cases/{id}", params={"id": second["id"]})
    third = tour.json("citizen", "POST", "/api/v1/cases", 201, headers={"Idempotency-Key": "tour-case-3"},
                      body={"item": code, "form": form, "submit": False}) or {}
    if "id" in third:
        tour.call("citizen", "POST", "/api/v1/cases/{id}/transitions", 200, params={"id": third["id"]}, body={"action": "withdraw"})
    if "id" in applicant:
        window = tour.json("clerk", "POST", "/api/v1/cases", 201, headers={"Idempotency-Key": "tour-window-1"},
                           body={"item": code, "form": form, "submit": False, "applicant": applicant["id"]}) or {}
        if "id" in window:
            tour.call("clerk", "PUT", "/api/v1/cases/{id}/materials/{index}", 201, params={"id": window["id"], "index": slots[0]},
                      body=pdf + b"% window\n", media_type="application/octet-stream")
            get("clerk", "/api/v1/cases/{id}", params={"id": window["id"]})
    print("api-fuzz: tour: the case went through " + ", ".join(a for a in ("extension", "accept", "review", "approve", "deliver", "close") if a in acted), flush=True)
    if "accept" not in acted:
        tour.failed.append("the case was never accepted")
        print("api-fuzz: tour FAILED the clerk was never offered accept", flush=True)
    get("citizen", "/api/v1/cases/{id}", params={"id": case_id})
    get("citizen", "/api/v1/me/inbox")
    # Staff accounts, the audit trail, notifications and the calendar.
    tour.sign_in("admin", "system.admin")
    get("admin", "/api/v1/staff")
    scope = {"departmentCreditCode": market}
    tour.call("admin", "POST", "/api/v1/staff", 201, body={
        "account": "tour.clerk", "displayName": "巡检窗口", "password": "Tour-Clerk-2026!",
        "grants": [{"role": "windowClerk", "scope": scope}]})
    staff = {"account": "tour.clerk"}
    get("admin", "/api/v1/staff/{account}", params=staff)
    tour.call("admin", "POST", "/api/v1/staff/{account}/grants", 200, params=staff, body={"role": "approver", "scope": scope})
    tour.call("admin", "POST", "/api/v1/staff/{account}/revocations", 200, params=staff, body={"role": "approver", "scope": scope})
    tour.call("admin", "POST", "/api/v1/staff/{account}/disable", 200, params=staff)
    tour.call("admin", "POST", "/api/v1/staff/{account}/enable", 200, params=staff)
    tour.call("admin", "POST", "/api/v1/staff/{account}/password-reset", 200, params=staff)
    tour.call("admin", "POST", "/api/v1/staff/{account}/password-reset", 200, params=staff, body={"password": "Tour-Clerk-2027!"})
    get("admin", "/api/v1/audit", query={"per": 20})
    get("admin", "/api/v1/audit/verify")
    get("admin", "/api/v1/audit/checkpoints")
    get("admin", "/api/v1/notifications/failed")
    year = get(None, "/api/v1/calendar/years/{year}", params={"year": 2026}) or {}
    if year:
        tour.call("admin", "PUT", "/api/v1/calendar/years/{year}", 200, params={"year": 2026},
                  body={k: year[k] for k in ("year", "source", "holidays") if k in year})
    # The catalog: a draft edited, reviewed and published; lint, export and import.
    tour.sign_in("catalog", "catalog.admin")
    item = {"code": code}
    entry = ("code", "baseCode", "department", "region", "exerciseLevel", "version", "state", "publishedAt")
    draft_doc = get("catalog", "/api/v1/items/{code}/draft", params=item) or {}
    if draft_doc:  # an ItemDocument: the entry's fields beside the guide's
        guide_body = {k: v for k, v in draft_doc.items() if k not in entry}
        guide_body["officeHours"] = (guide_body.get("officeHours") or "工作日") + "(巡检)"
        tour.call("catalog", "PUT", "/api/v1/items/{code}/draft", 200, params=item, body=guide_body)
        for action in ("submit", "approve", "publish"):
            tour.call("catalog", "POST", "/api/v1/items/{code}/workflow", 200, params=item, body={"action": action, "note": "巡检"})
    versions = (get("catalog", "/api/v1/items/{code}/history", params=item) or {}).get("versions") or [{"number": 1}]
    get("catalog", "/api/v1/items/{code}/diff", params=item, query={"from": versions[-1]["number"], "to": versions[0]["number"]})
    if draft_doc:
        tour.call("catalog", "POST", "/api/v1/items", (201, 409), body={
            "baseCode": draft_doc["baseCode"], "department": "11520102MB4798827C", "exerciseLevel": 4,
            "guide": {k: v for k, v in draft_doc.items() if k not in entry}})
    get("catalog", "/api/v1/lint")
    get("catalog", "/api/v1/lint", query={"includeDrafts": True})
    exported = get("catalog", "/api/v1/export")
    csv = tour.call("catalog", "GET", "/api/v1/export", 200, query={"format": "csv"})
    if exported:
        tour.call("catalog", "POST", "/api/v1/import", 200, body=exported)
    if csv is not None and csv.status_code == 200:
        tour.call("catalog", "POST", "/api/v1/import", 200, body=csv.content, media_type="text/csv")
    # Tokens end last.
    if "company" in tour.tokens:
        tour.call("company", "DELETE", "/api/v1/auth/token", 204)
    tour.call("citizen", "POST", "/api/v1/me/sign-out-everywhere", 204)
    tour.call("citizen", "GET", "/api/v1/me", 401)
    return tour.passed, tour.failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", default=default_binary())
    parser.add_argument("--examples", type=int, default=40, help="generated cases per operation and phase (default 40)")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--budget", type=float, default=900, help="wall-clock seconds for all runs (default 900)")
    parser.add_argument("--runs", default=",".join(RUNS), help="comma-separated, from: " + ", ".join(RUNS))
    parser.add_argument("--workers", type=int, default=1, help="schemathesis workers (default 1: its generator is not thread-safe)")
    parser.add_argument("--keep", action="store_true", help="keep the reports and server logs")
    args = parser.parse_args()
    runs = [run.strip() for run in args.runs.split(",") if run.strip()]
    try:
        python, version = schemathesis_python()  # may start this script again under .venv-fuzz
    except SetupError as err:
        print(f"api-fuzz: setup failed: {err}", file=sys.stderr, flush=True)
        return 2
    work = tempfile.mkdtemp(prefix="yiwang-fuzz-")
    started, passed, failed, servers = time.time(), 0, 0, []
    try:
        unknown = [run for run in runs if run not in RUNS]
        if unknown:
            raise SetupError(f"unknown runs: {', '.join(unknown)}")
        print(f"api-fuzz: schemathesis {version}, {args.examples} cases per operation, seed {args.seed}, "
              f"budget {args.budget:.0f} s, runs {', '.join(runs)}; work folder {work}", flush=True)
        for name in runs:
            left = args.budget - (time.time() - started)
            if left <= 0:
                print(f"api-fuzz: budget spent before the {name} run", flush=True)
                failed += 1
                continue
            data_dir = tempfile.mkdtemp(prefix=f"data-{name}-", dir=work)
            server = Server(args.bin, data_dir, work, name=f"server-{name}", isolate=True, env={
                "YIWANG_SIGNINS_PER_MINUTE": "10000", "YIWANG_REGISTRATIONS_PER_HOUR": "100000",
                "LOG_LEVEL": os.environ.get("LOG_LEVEL", "warning")})
            servers.append(server)
            server.start()
            try:
                if name == "tour":
                    print(f"\n==> tour: the main journeys against {server.base}", flush=True)
                    try:
                        ok_passed, tour_failed = run_tour(server)
                    except SetupError as err:  # a journey that cannot go on is a finding, not a set-up problem
                        print(f"api-fuzz: tour FAILED: {err}", flush=True)
                        ok_passed, tour_failed = 0, [str(err)]
                    n_failed = len(tour_failed)
                    print(f"==> tour: {ok_passed} answers as documented, {n_failed} not", flush=True)
                else:
                    ok_passed, n_failed, _ = fuzz(python, server, name, RUNS[name], args, work, left)
            finally:
                server.stop()
                shutil.rmtree(data_dir, ignore_errors=True)
            if server.proc.returncode not in (0, -signal.SIGTERM):
                print(f"api-fuzz: the server of the {name} run exited with {server.proc.returncode}; "
                      f"log {server.log}:\n{server.tail()}", flush=True)
                n_failed += 1
            passed, failed = passed + ok_passed, failed + n_failed
    except SetupError as err:
        print(f"api-fuzz: setup failed: {err}", file=sys.stderr, flush=True)
        for server in servers:
            server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        return 2
    except KeyboardInterrupt:
        for server in servers:
            server.stop()
        raise
    print(f"api-fuzz: {time.time() - started:.0f} s in all" + (f"; reports and logs in {work}" if args.keep else ""))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    print(f"api-fuzz: {passed} passed, {failed} failed")
    return 1 if failed else 0


# Loaded by schemathesis itself (SCHEMATHESIS_HOOKS=this file), before every request it sends:
# - a staff run never disables, resets or strips its own account, which would end or cripple the
#   token it fuzzes with (values learned from responses reach the path, so a filter is not enough:
#   the account is swapped for one that does not exist);
# - X-File-Name is sent percent-encoded, as the document says a client must (the stateful phase
#   copies material names such as 身份证.pdf into it, which HTTP headers cannot carry raw).
if __name__ != "__main__" and os.environ.get("SCHEMATHESIS_HOOKS"):
    import urllib.parse
    import schemathesis

    OWN_ACCOUNT_OPERATIONS = {"disableStaff", "resetStaffPassword", "revokeStaffRole"}

    @schemathesis.hook
    def before_call(context, case, kwargs):
        own = os.environ.get(OWN_ACCOUNT_ENV, "").lower()
        operation_id = (case.operation.definition.raw or {}).get("operationId")
        account = (case.path_parameters or {}).get("account")
        if own and operation_id in OWN_ACCOUNT_OPERATIONS and isinstance(account, str) and account.strip().lower() == own:
            case.path_parameters["account"] = "not-the-fuzzer"
        name = (case.headers or {}).get("X-File-Name")
        if isinstance(name, str) and not all(" " <= c <= "~" for c in name):
            case.headers["X-File-Name"] = urllib.parse.quote(name, safe="")


if __name__ == "__main__":
    sys.exit(main())
