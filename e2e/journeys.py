"""Helpers every browser journey shares: explicit waits and page-change detection."""

from __future__ import annotations

import json
import sqlite3
import urllib.request
import re
from pathlib import Path

import pytest

from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import SERVER_DATA_DIRS

# What a page broken by its template shows instead of itself.
LEAF_ERROR = re.compile(r"LeafError|Leaf error|No exported|Fatal error")


def wait(driver, timeout: float = 15) -> WebDriverWait:
    return WebDriverWait(driver, timeout)


def body_text(driver) -> str:
    return driver.find_element(By.TAG_NAME, "body").text


def click_and_wait_for_new_page(driver, element, timeout: float = 15):
    """Clicks something that navigates, and waits until the old document is gone and the new one loaded."""
    old_html = driver.find_element(By.TAG_NAME, "html")
    element.click()

    def old_document_gone(_):
        # Chromium sometimes answers a query on a node of an unloaded document with an inspector
        # error ("Node … does not belong to the document") instead of a stale-element error: both mean gone.
        try:
            old_html.is_enabled()
            return False
        except (StaleElementReferenceException, WebDriverException):
            return True

    wait(driver, timeout).until(old_document_gone)
    wait(driver, timeout).until(lambda d: d.execute_script("return document.readyState") == "complete")


def write_pdf(directory: Path, name: str) -> Path:
    """A small valid PDF whose content is unique to its name (so each upload is a new file)."""
    path = directory / f"{name}.pdf"
    text = f"Yiwang e2e material {name}"
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    body, offsets = "%PDF-1.4\n", []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += f"{number} 0 obj\n{obj}\nendobj\n"
    xref = len(body)
    body += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n" + "".join(f"{offset:010d} 00000 n \n" for offset in offsets)
    body += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    path.write_bytes(body.encode("latin-1"))
    return path


def workflow_button(driver, label: str):
    buttons = driver.find_elements(By.CSS_SELECTOR, "form.workflow-form button[name=action]")
    for button in buttons:
        if button.text.strip() == label:
            return button
    raise AssertionError(f"no workflow button {label!r}; buttons are {[b.text for b in buttons]}")


def version_status(driver) -> str:
    """The “最新第N版：状态” line of the admin item page."""
    panel = driver.find_element(By.XPATH, "//section[contains(@class,'panel')][h2[text()='版本与流程']]")
    return panel.find_element(By.XPATH, ".//p[contains(., '最新第')]").text


# MARK: 1. Home and search


def api(server: str, path: str):
    with urllib.request.urlopen(server + path, timeout=15) as response:
        return json.loads(response.read())


def all_items(server: str) -> list[dict]:
    items, page = [], 1
    while True:
        answer = api(server, f"/api/v1/items?per=100&page={page}")
        items += answer["items"]
        if not answer["items"] or len(items) >= answer["total"]:
            return items
        page += 1


def response_status(driver) -> int:
    """The HTTP status of the document now shown (after any redirects), from the Navigation Timing API."""
    return int(driver.execute_script(
        "const entry = performance.getEntriesByType('navigation')[0]; return entry ? entry.responseStatus : 0"))


def assert_page_ok(driver, what: str):
    status = response_status(driver)
    text = body_text(driver)
    assert status < 400, f"{what}: {driver.current_url} answered {status}; page says {text[:400]!r}"
    assert not LEAF_ERROR.search(driver.page_source), f"{what}: template error on {driver.current_url}: {text[:400]!r}"


def fill(driver, element_id: str, text: str):
    field = driver.find_element(By.ID, element_id)
    field.clear()
    field.send_keys(text)


def case_error(driver) -> str:
    errors = driver.find_elements(By.ID, "case-error")
    return errors[0].text if errors else ""


def sms_sent(server: str) -> list[str]:
    """The texts the server's local SMS gateway has sent so far, oldest first. The gateway stands
    for the applicant's handset and logs what it sent (never a verification code) in `sms_log`;
    this reads it from the test server's SQLite database, read-only. Skips the test when the
    server keeps its data elsewhere (DATABASE_URL)."""
    data_dir = SERVER_DATA_DIRS.get(server)
    database = data_dir / "yiwang.sqlite" if data_dir else None
    if database is None or not database.is_file():
        pytest.skip("the SMS log is read from the test server's SQLite database, and there is none")
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)
    try:
        return [body for (body,) in connection.execute("SELECT body FROM sms_log ORDER BY sent_at, rowid")]
    finally:
        connection.close()
