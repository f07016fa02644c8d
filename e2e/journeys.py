"""Helpers every browser journey shares: explicit waits and page-change detection."""

from __future__ import annotations

from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


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
