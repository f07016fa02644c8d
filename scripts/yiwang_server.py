"""The Yiwang server as the test scripts run it: one `yiwang serve` on a data folder of its own.

Shared by crash_test.py, robustness_test.py, api_fuzz.py and operations_test.py (standard library
only). The server is the built binary (`--bin`, else $YIWANG_BIN, else .build/debug/yiwang),
started from the repository root (it reads Resources/ and Public/ there) on a free loopback port
with fast password hashing and rate limits out of the way, and waited for until /healthz and
/readyz answer. Its own command-line verbs (`verify-audit`, `backup`, `restore`) run with the same
environment through `cli`.
"""
import http.client, json, os, signal, socket, subprocess, time, urllib.error, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO_PASSWORD = os.environ.get("YIWANG_DEMO_PASSWORD", "Yiwang-demo-2026")
CITIZEN = "520102199003071236"  # 张明, the seeded demo citizen


class SetupError(Exception):
    """The test could not be set up (exit status 2), as opposed to a finding."""


def default_binary():
    return os.environ.get("YIWANG_BIN", os.path.join(ROOT, ".build", "debug", "yiwang"))


def fetch(base, method, path, body=None, headers=None, timeout=30):
    """(status, parsed JSON or raw bytes, response headers); raises OSError when no answer came back."""
    data = json.dumps(body, ensure_ascii=False).encode() if isinstance(body, (dict, list)) else body
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers or {})
    if isinstance(body, (dict, list)):
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, raw, answered = resp.status, resp.read(), resp.headers
    except urllib.error.HTTPError as err:
        status, raw, answered = err.code, err.read(), err.headers
    except http.client.HTTPException as err:  # e.g. IncompleteRead: the answer was cut off
        raise ConnectionError(repr(err)) from err
    kind = answered.get("Content-Type", "")
    return status, (json.loads(raw) if "json" in kind and raw else raw), answered


def request(base, method, path, body=None, headers=None, timeout=30):
    """(status, parsed JSON or raw bytes); raises OSError when no answer came back."""
    return fetch(base, method, path, body, headers, timeout)[:2]


# Values for the form fields a test must fill, by field type.
FILL = {"date": "2026-11-30", "idNumber": CITIZEN, "phone": "13800000001",
        "email": "a@b.cn", "creditCode": "91520100MA6H00001R", "checkbox": True}


def upload_slots(guide):
    """Positions (from 1) of the guide's materials an applicant gives as files."""
    return [i + 1 for i, m in enumerate(guide.get("materials", [])) if m["source"] in ("applicant", "issuingAuthority")]


def fill_form(guide):
    """Every required field of the guide's form that is showing, filled with a valid value."""
    form = {}
    for field in guide["form"]["fields"]:
        cond = field.get("visibleWhen")
        if not field["required"] or (cond and str(form.get(cond["field"])).lower() != cond["equals"]):
            continue
        kind = field["type"]
        form[field["key"]] = field["options"][0] if kind == "select" else \
            (field.get("minimum") or 1) if kind == "number" else FILL.get(kind, "测试")
    return form


def choose_item(base, auth):
    """The first online item with an applicant-supplied material and a form we can fill:
    (code, name, form, position of the material to upload)."""
    status, page = request(base, "GET", "/api/v1/items?per=100", headers=auth)
    for summary in page["items"] if status == 200 else []:
        if not summary.get("canApplyOnline"):
            continue
        guide = request(base, "GET", "/api/v1/items/" + summary["code"], headers=auth)[1]
        slots = upload_slots(guide)
        if slots:
            return summary["code"], summary["name"], fill_form(guide), slots[0]
    raise SetupError(f"no item to apply for online (GET /api/v1/items -> {status})")


def token(base, account, password=DEMO_PASSWORD):
    """A bearer token for a demo account, as request headers."""
    status, answer = request(base, "POST", "/api/v1/auth/token", {"account": account, "password": password})
    if status != 201 or not isinstance(answer, dict) or "token" not in answer:
        raise SetupError(f"no token for {account}: {status} {answer!r}"[:300])
    return {"Authorization": "Bearer " + answer["token"]}


class Server:
    """`yiwang serve` on one data folder; each start takes a fresh port and a fresh log file."""

    def __init__(self, binary, data_dir, log_dir, name="server", env=None, isolate=False):
        self.binary, self.data_dir, self.log_dir, self.name = binary, data_dir, log_dir, name
        self.proc, self.starts, self.logs, self.log, self.log_offset = None, 0, [], None, 0
        self.env = dict(os.environ, YIWANG_DATA_DIR=data_dir, YIWANG_PASSWORD_COST="4",
                        YIWANG_API_CALLS_PER_MINUTE="1000000", YIWANG_SIGNINS_PER_MINUTE="1000",
                        YIWANG_REGISTRATIONS_PER_HOUR="1000")
        if isolate:  # nothing from outside may point the server at another database or keys
            for key in ("DATABASE_URL", "YIWANG_MATERIALS_DIR", "YIWANG_DATA_KEYS", "YIWANG_INDEX_KEY",
                        "YIWANG_AUDIT_CHECKPOINTS", "YIWANG_ENV", "YIWANG_AUTO_SEED", "YIWANG_DEMO_PASSWORD"):
                self.env.pop(key, None)
        self.env.update(env or {})
        self.env.setdefault("YIWANG_ROOT", ROOT)
        # The Swift backtracer holds a crashing process for ~12 s while it symbolicates; without it
        # the runtime still prints its `Fatal error`/`Assertion failed` line and the process exits.
        self.env.setdefault("SWIFT_BACKTRACE", "enable=no")

    def start(self, ready_timeout=180, wait_for_binary=120):
        deadline = time.time() + wait_for_binary  # a rebuild may be replacing the binary right now
        while not os.access(self.binary, os.X_OK):
            if time.time() > deadline:
                raise SetupError(f"no executable at {self.binary}")
            time.sleep(2)
        with socket.socket() as s:  # a fresh free port each start: no waiting on the old socket
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.starts += 1
        self.log, self.log_offset = os.path.join(self.log_dir, f"{self.name}-{self.starts}.log"), 0
        self.logs.append(self.log)
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([self.binary, "serve", "--hostname", "127.0.0.1", "--port", str(self.port)],
                                         env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.env["YIWANG_ROOT"])
        self.base = f"http://127.0.0.1:{self.port}"
        launched, deadline = time.monotonic(), time.time() + ready_timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SetupError(f"{self.name} exited with {self.proc.returncode}; log {self.log}:\n{self.tail()}")
            try:
                if request(self.base, "GET", "/healthz", timeout=2)[0] == 200 and \
                        request(self.base, "GET", "/readyz", timeout=2)[0] == 200:
                    self.ready_in = time.monotonic() - launched
                    self.log_offset = os.path.getsize(self.log)  # start-up notices are no request's doing
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise SetupError(f"{self.name} not ready after {ready_timeout} s; log {self.log}:\n{self.tail()}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    running = alive

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Signals the server (`serve` runs in the foreground: the pid is the server) and waits."""
        if not self.alive():
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return f"no exit within {timeout} s (killed)"

    def healthy(self, timeout=5):
        try:
            return request(self.base, "GET", "/healthz", timeout=timeout)[0] == 200
        except OSError:
            return False

    def tail(self, n=20):
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except (OSError, TypeError):
            return ""

    def new_log(self):
        """What the server logged since the last look."""
        try:
            with open(self.log, "rb") as f:
                f.seek(self.log_offset)
                new = f.read()
        except (OSError, TypeError):
            return ""
        self.log_offset += len(new)
        return new.decode("utf-8", "replace")

    def cli(self, *args, timeout=120):
        """Runs `yiwang ARGS` with this server's environment: (exit status, stdout + stderr)."""
        try:
            done = subprocess.run([self.binary, *args], env=self.env, capture_output=True, text=True,
                                  timeout=timeout, cwd=self.env["YIWANG_ROOT"])
        except subprocess.TimeoutExpired:
            return None, f"`yiwang {' '.join(args)}` did not finish within {timeout} s"
        return done.returncode, (done.stdout + done.stderr).strip()

    def verify_audit(self):
        return self.cli("verify-audit")
