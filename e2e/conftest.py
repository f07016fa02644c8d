"""Fixtures for the browser journeys: one Yiwang server per test session, one browser per test.

The server is the already-built binary (``YIWANG_BIN``, default ``.build/debug/yiwang``), started
from the package root so it finds ``Resources/`` and ``Public/``, on a free loopback port, with its
data in a fresh temporary directory (so it migrates and loads the demo city).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

os.environ.setdefault("SE_AVOID_STATS", "true")

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
DEMO_PASSWORD = os.environ.get("YIWANG_DEMO_PASSWORD", "Yiwang-demo-2026")
CHROMIUM = os.environ.get("YIWANG_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("YIWANG_CHROMEDRIVER", "/usr/bin/chromedriver")
WINDOW = (1280, 900)
READY_TIMEOUT = 60
# Each running server's data directory, by its base URL: journeys read what the local SMS gateway
# "sent" (the applicant's handset) from its database there.
SERVER_DATA_DIRS: dict[str, Path] = {}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _binary() -> Path:
    configured = Path(os.environ.get("YIWANG_BIN", ".build/debug/yiwang"))
    return configured if configured.is_absolute() else REPO_ROOT / configured


@pytest.fixture(scope="session")
def server():
    """Starts the server, waits for /readyz, yields the base URL, stops it."""
    binary = _binary()
    if not binary.is_file():
        pytest.fail(f"Yiwang binary not found at {binary}; build it or set YIWANG_BIN")
    data_dir = tempfile.mkdtemp(prefix="yiwang-e2e-")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    SERVER_DATA_DIRS[base_url] = Path(data_dir)
    env = dict(os.environ)
    env.update({"YIWANG_DATA_DIR": data_dir, "YIWANG_PASSWORD_COST": env.get("YIWANG_PASSWORD_COST", "4")})
    # Every journey signs in from 127.0.0.1: allow more than a real address gets per minute.
    env.setdefault("YIWANG_SIGNINS_PER_MINUTE", "200")
    log_path = Path(data_dir) / "server.log"
    log = open(log_path, "wb")
    process = subprocess.Popen(
        [str(binary), "serve", "--hostname", "127.0.0.1", "--port", str(port)],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"server exited with {process.returncode}:\n{log_path.read_text(errors='replace')[-4000:]}")
            try:
                with urllib.request.urlopen(base_url + "/readyz", timeout=2) as response:
                    if response.status == 200:
                        json.loads(response.read())
                        break
            except (urllib.error.URLError, ConnectionError, OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server not ready within {READY_TIMEOUT}s:\n{log_path.read_text(errors='replace')[-4000:]}")
            time.sleep(0.5)
        yield base_url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        log.close()
        if os.environ.get("YIWANG_E2E_KEEP_DATA"):
            print(f"server data and log kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def driver():
    """A fresh headless Chromium (no cookies shared between tests)."""
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={WINDOW[0]},{WINDOW[1]}",
                     "--lang=zh-CN"):
        options.add_argument(argument)
    browser = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    browser.set_page_load_timeout(30)
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture(scope="session")
def screenshot():
    """screenshot(driver, "01-home", full_page=True) saves e2e/screenshots/01-home.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(browser, name: str, full_page: bool = True) -> Path:
        path = SCREENSHOTS / (re.sub(r"\.png$", "", name) + ".png")
        if full_page:
            original = browser.get_window_size()
            width = browser.execute_script("return window.innerWidth")
            height = browser.execute_script(
                "return Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0)")
            # The outer window may be a little larger than the viewport; grow it so the whole page fits.
            chrome_height = original["height"] - browser.execute_script("return window.innerHeight")
            browser.set_window_size(original["width"], min(int(height) + chrome_height, 16000))
            browser.save_screenshot(str(path))
            browser.set_window_size(original["width"], original["height"])
            _ = width
        else:
            browser.save_screenshot(str(path))
        assert path.stat().st_size > 0
        return path

    return save
