"""Browser journeys through electronic licences (电子证照) and the data-use log, against the demo
city (贵阳市): the holder's wallet and the licence as it prints, the public verification page its
QR code leads to, time-limited share links, a licence given as an application material (免证办),
the person's log of registry reads, and an accessibility smoke test of these pages.

The demo city issues licences while it seeds: 张明 holds a 食品经营许可证, and so does 贵阳云数科技有限公司
(he is its legal representative). The licence type, its face fields and the materials it stands for
are read from GET /api/v1/licence-types; the item applied for is found through GET /api/v1/items.

The server's YIWANG_PUBLIC_URL (default http://localhost:8080) is not the test server's address,
so links the pages print (the QR code, the share link) are compared by their path and opened on the
test server. Each journey signs in fresh; screenshots go to e2e/screenshots/ (60–79).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.select import Select

from conftest import DEMO_PASSWORD, SCREENSHOTS
from journeys import (
    LEAF_ERROR, all_items, api, assert_page_ok, body_text, case_error, click_and_wait_for_new_page, fill, response_status, version_status, wait,
    workflow_button, write_pdf,
)

MARKET_DEPARTMENT = "贵阳市市场监督管理局"

# Demo accounts (see DemoCity.applicantSeeds).
CITIZEN = "520102199003071236"  # 张明
CITIZEN_NAME = "张明"
CITIZEN_MASKED_NAME = "张*"
OTHER_CITIZEN = "520103198506120046"  # 李华
COMPANY = "贵阳云数科技有限公司"  # 张明 is its legal representative
COMPANY_CODE = "91520100MA6H00001R"
DISHONEST = "91520100MA6H000030"  # 贵阳示范失信商贸有限公司, on the credit list
MARKET_CLERK = "market.clerk"
CATALOG_ADMIN = "catalog.admin"

FOOD_LICENCE = "食品经营许可证"
RENEWAL_ITEM = "食品经营许可(延续)"  # asks for 原食品经营许可证, which a 食品经营许可证 stands for
IDENTIFIER_ROOT = "1.2.156.3005.2"
PHONE = (390, 844)

UUID_PATTERN = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
DATE_VALUE = "2026-11-20"
TEXT_VALUE = "测试"
DATA_USE_HEADERS = ["时间", "数据来源", "调取内容", "调取方", "用途", "结果"]

# The last case test_04/test_04b filled with a licence in place of a scan, for test_04c's phone check.
LICENCE_CASE: dict[str, str] = {}


# MARK: helpers: the public API


def licence_type(server: str, name: str) -> dict:
    types = [t for t in api(server, "/api/v1/licence-types") if t["name"] == name]
    assert types, f"GET /api/v1/licence-types has no type named {name}"
    return types[0]


def renewal_item(server: str) -> dict:
    """食品经营许可(延续) of the market department, with its full guide (form and materials)."""
    for summary in all_items(server):
        if summary["name"] == RENEWAL_ITEM and MARKET_DEPARTMENT in summary["department"]["name"]:
            return api(server, "/api/v1/items/" + urllib.parse.quote(summary["code"]))
    raise AssertionError(f"no published item {RENEWAL_ITEM} of {MARKET_DEPARTMENT}")


def licence_check_character(text: str) -> str:
    """ISO/IEC 7064 MOD 37,36 over 0-9A-Z: the last character of a GB/T 36904 licence identifier."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    product = 36
    for character in text:
        total = (product + alphabet.index(character)) % 36 or 36
        product = (2 * total) % 37
    return alphabet[(37 - product) % 36]


def split_identifier(identifier: str) -> list[str]:
    """[type code, issuer code, serial, version, check character] of a licence identifier."""
    assert identifier.startswith(IDENTIFIER_ROOT + "."), identifier
    parts = identifier[len(IDENTIFIER_ROOT) + 1:].split(".")
    assert len(parts) == 5, identifier
    return parts


def with_check_character(type_code: str, issuer: str, serial: str, version: str) -> str:
    check = licence_check_character(type_code + issuer + serial + version)
    return ".".join([IDENTIFIER_ROOT, type_code, issuer, serial, version, check])


# MARK: helpers: pages


def assert_path(driver, path: str, what: str):
    actual = urlparse(driver.current_url).path
    assert actual == path, f"{what}: expected {path} but the browser is on {driver.current_url}; page says {body_text(driver)[:300]!r}"


def sign_in_applicant(driver, server: str, account: str, password: str = DEMO_PASSWORD):
    """Signs in a citizen or company at /signin (fresh cookies) and lands on /me."""
    driver.delete_all_cookies()
    driver.get(server + "/signin")
    fill(driver, "account", account)
    fill(driver, "password", password)
    click_and_wait_for_new_page(driver, driver.find_element(By.CSS_SELECTOR, "main form.stacked button[type=submit]"))
    assert_path(driver, "/me", f"{account} signing in")


def sign_in_staff(driver, server: str, account: str, start: str = "/admin", password: str = DEMO_PASSWORD):
    """Signs in through the staff login page (fresh cookies), from a staff page that redirects there."""
    driver.delete_all_cookies()
    driver.get(server + start)
    wait(driver).until(EC.url_contains("/admin/login"))
    fill(driver, "account", account)
    fill(driver, "password", password)
    click_and_wait_for_new_page(driver, driver.find_element(By.CSS_SELECTOR, "main form.stacked button[type=submit]"))
    assert "/admin/login" not in driver.current_url, f"{account} did not get signed in: {body_text(driver)[:300]!r}"


def act_for_company(driver, company: str):
    """On /me, 代其办理 for a company the signed-in person may act for."""
    row = driver.find_element(By.XPATH, f"//section[h2[@id='companies-heading']]//tbody/tr[th[contains(., '{company}')]]")
    click_and_wait_for_new_page(driver, row.find_element(By.XPATH, ".//button[normalize-space()='代其办理']"))
    assert_path(driver, "/me", "after 代其办理")
    notices = " ".join(p.text for p in driver.find_elements(By.CSS_SELECTOR, "main .notice[role=status]"))
    assert f"您正在代 {company} 办理业务" in notices, notices


def wallet_cards(driver) -> list[dict]:
    """The cards of /me/licences: name, number line, status, link and identifier."""
    cards = []
    for card in driver.find_elements(By.CSS_SELECTOR, "#wallet li.licence-card"):
        link = card.find_element(By.TAG_NAME, "a")
        href = link.get_attribute("href")
        cards.append({
            "name": card.find_element(By.CSS_SELECTOR, ".licence-name").text.strip(),
            "status": card.find_element(By.CSS_SELECTOR, ".licence-status").text.strip(),
            "text": card.text,
            "link": link,
            "href": href,
            "identifier": urllib.parse.unquote(urlparse(href).path.rsplit("/", 1)[-1]),
        })
    return cards


def open_wallet_from_me(driver):
    """From /me, the 我的证照 link."""
    link = driver.find_element(By.ID, "my-licences-link")
    assert link.text.strip() == "我的证照", link.text
    click_and_wait_for_new_page(driver, link)
    assert_path(driver, "/me/licences", "after 我的证照")
    assert_page_ok(driver, "the wallet")
    assert driver.find_element(By.TAG_NAME, "h1").text == "我的证照"


def food_licence_card(driver) -> dict:
    cards = [card for card in wallet_cards(driver) if card["name"] == FOOD_LICENCE]
    assert cards, f"/me/licences lists no {FOOD_LICENCE}: {[c['text'] for c in wallet_cards(driver)]}; page says {body_text(driver)[:400]!r}"
    return cards[0]


def open_my_food_licence(driver, server: str) -> str:
    """Signs in as 张明 and opens his 食品经营许可证 from the wallet; returns its identifier."""
    sign_in_applicant(driver, server, CITIZEN)
    open_wallet_from_me(driver)
    card = food_licence_card(driver)
    click_and_wait_for_new_page(driver, card["link"])
    assert_page_ok(driver, "the licence page")
    return card["identifier"]


def face(driver) -> dict[str, str]:
    """The licence face (#licence-face) as label → value."""
    items = driver.find_elements(By.CSS_SELECTOR, "#licence-face > dt, #licence-face > dd")
    pairs, label = {}, None
    for element in items:
        if element.tag_name == "dt":
            label = element.text.strip()
        elif label is not None:
            pairs[label] = element.text.strip()
            label = None
    return pairs


def fits_width(driver) -> tuple[int, int]:
    return tuple(driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]"))


def too_wide(driver) -> list[str]:
    """The text on the page that reaches past the right edge of the window (outside a .table-scroll)."""
    return driver.execute_script("""
        const found = [];
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) {
          const node = walker.currentNode, parent = node.parentElement;
          if (!node.textContent.trim() || !parent || parent.closest('.table-scroll, script, style')) continue;
          const range = document.createRange();
          range.selectNodeContents(node);
          const right = range.getBoundingClientRect().right;
          if (right > window.innerWidth + 1) {
            found.push(parent.tagName.toLowerCase() + (parent.id ? '#' + parent.id : '') + ' to ' + Math.round(right) + 'px: ' + node.textContent.trim().slice(0, 50));
          }
        }
        return found;""")


def assert_fits_phone(driver, what: str):
    scroll_width, inner_width = fits_width(driver)
    assert scroll_width <= inner_width + 1, (
        f"{what} scrolls sideways at {inner_width}px: content is {scroll_width}px wide; too wide: {too_wide(driver)}")


def phone_screenshot(driver, screenshot, name: str, what: str, check_width: bool = True):
    """Reloads the page at 390×844, saves a screenshot, optionally checks there is no sideways scroll, and returns to 1280."""
    original = driver.get_window_size()
    driver.set_window_size(*PHONE)
    try:
        driver.refresh()
        wait(driver).until(lambda d: d.execute_script("return document.readyState") == "complete")
        screenshot(driver, name)
        if check_width:
            assert_fits_phone(driver, what)
        return fits_width(driver)
    finally:
        driver.set_window_size(original["width"], original["height"])


def decode_qr(element, path: Path) -> str:
    """Screenshots an element (the QR code) to PNG and decodes it with zbarimg; '' when nothing decodes."""
    path.write_bytes(element.screenshot_as_png)
    result = subprocess.run(["zbarimg", "--raw", "-q", str(path)], capture_output=True, text=True, timeout=30)
    return result.stdout.strip()


def fill_application(driver, item: dict, values: dict[str, str] | None = None):
    """Fills the apply form (ids f_<key>) from the item's schema; `values` overrides text fields by key."""
    values = values or {}
    for field in item["form"]["fields"]:
        element_id = "f_" + field["key"]
        elements = driver.find_elements(By.ID, element_id)
        assert elements, f"the form has no input #{element_id} for “{field['label']}”"
        element = elements[0]
        if driver.find_elements(By.ID, element_id + "-prefilled"):
            continue  # shown masked from the profile: left empty, the server takes it from there
        if field.get("visibleWhen") or not element.is_displayed():
            continue
        kind = field["type"]
        if kind == "select":
            options = [option.get_attribute("value") for option in Select(element).options if option.get_attribute("value")]
            Select(element).select_by_value(options[0])
        elif kind == "checkbox":
            if field.get("required") and not element.is_selected():
                element.click()
        elif kind == "date":
            driver.execute_script("arguments[0].value = arguments[1]", element, values.get(field["key"], DATE_VALUE))
        elif field["key"] in values:
            element.clear()
            element.send_keys(values[field["key"]])
        elif element.get_attribute("value"):
            continue
        elif kind == "number":
            element.send_keys(str(int(field.get("minimum") or 1)))
        elif kind == "phone":
            element.send_keys("13800000009")
        elif kind == "email":
            element.send_keys("ceshi@example.cn")
        elif field.get("required"):
            element.send_keys(TEXT_VALUE)


def start_application(driver, server: str, item: dict, values: dict[str, str] | None = None) -> str:
    """Opens the guide, 在线申报, fills the form and 保存并继续; returns the new draft's case id."""
    driver.get(server + f"/items/{item['code']}")
    assert_page_ok(driver, "the guide page")
    click_and_wait_for_new_page(driver, driver.find_element(By.ID, "apply-link"))
    assert_path(driver, f"/items/{item['code']}/apply", "after 在线申报")
    fill_application(driver, item, values)
    click_and_wait_for_new_page(driver, driver.find_element(By.XPATH, "//form[@id='apply-form']//button[normalize-space()='保存并继续']"))
    assert_page_ok(driver, "after 保存并继续")
    match = re.fullmatch(r"/me/cases/(" + UUID_PATTERN + r")", urlparse(driver.current_url).path)
    assert match, f"保存并继续 should open the new draft, but the browser is on {driver.current_url}; page says {body_text(driver)[:400]!r}"
    assert driver.find_element(By.ID, "case-state").text.strip() == "草稿"
    return match.group(1)


def material_row(driver, name: str):
    rows = driver.find_elements(By.XPATH, f"//table[@id='material-list']/tbody/tr[th[normalize-space()='{name}']]")
    assert rows, f"the material list has no row “{name}”: {driver.find_element(By.ID, 'material-list').text!r}"
    return rows[0]


def upload_missing(driver, item: dict, directory: Path, prefix: str) -> list[str]:
    """Uploads a PDF for every material row that has a file input and nothing yet; returns their names."""
    uploaded = []
    for index, material in enumerate(item["materials"]):
        row = material_row(driver, material["name"])
        inputs = row.find_elements(By.CSS_SELECTOR, "input[type=file]")
        if not inputs or not row.find_elements(By.CSS_SELECTOR, ".missing"):
            continue
        pdf = write_pdf(directory, f"{prefix}-{index + 1}")
        inputs[0].send_keys(str(pdf))
        click_and_wait_for_new_page(driver, row.find_element(By.XPATH, ".//button[normalize-space()='上传']"))
        assert_page_ok(driver, f"after uploading “{material['name']}”")
        assert not case_error(driver), f"uploading “{material['name']}” was refused: {case_error(driver)!r}"
        assert pdf.name in material_row(driver, material["name"]).text
        uploaded.append(material["name"])
    return uploaded


# MARK: helpers: the catalogue editor (for the 免证办 journey)


def publish_materials(driver, server: str, code: str, change) -> list[dict]:
    """As the signed-in catalogue admin: edits the item's 申请材料 JSON with `change`, saves a draft and
    runs 提交审核 → 审核通过 → 发布. Returns the materials as they were before."""
    driver.get(server + f"/admin/items/{code}")
    assert_page_ok(driver, "the item editor")
    textarea = driver.find_element(By.ID, "materials")
    before = json.loads(textarea.get_attribute("value"))
    after = change(json.loads(json.dumps(before)))
    driver.execute_script("arguments[0].value = arguments[1]", textarea, json.dumps(after, ensure_ascii=False, indent=2))
    click_and_wait_for_new_page(driver, driver.find_element(By.XPATH, "//form[contains(@class,'editor')]//button[normalize-space()='保存为草稿']"))
    summaries = driver.find_elements(By.ID, "error-summary")
    assert not summaries, f"saving the materials was refused: {summaries[0].text}"
    assert "草稿" in version_status(driver), version_status(driver)
    for label, state in (("提交审核", "已提交审核"), ("审核通过", "已审核通过"), ("发布", "已发布")):
        click_and_wait_for_new_page(driver, workflow_button(driver, label))
        alerts = driver.find_elements(By.CSS_SELECTOR, "[role=alert]")
        assert not alerts, f"{label} failed: {alerts[0].text}"
        assert state in version_status(driver), f"after {label}: {version_status(driver)}"
    return before


# MARK: helpers: accessibility

A11Y_SCRIPT = """
const problems = [];
const visible = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
const named = el => (el.getAttribute('aria-label') || '').trim() ||
  (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
    .map(id => document.getElementById(id)).filter(Boolean).map(e => e.textContent.trim()).join('');
const lang = document.documentElement.getAttribute('lang') || '';
if (!lang.toLowerCase().startsWith('zh')) problems.push('<html lang> is ' + JSON.stringify(lang));
if (!document.title.trim()) problems.push('the page has no <title>');
const h1s = document.querySelectorAll('h1');
if (h1s.length !== 1) problems.push(h1s.length + ' h1 headings');
for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
  const labelled = (el.labels && Array.from(el.labels).some(l => l.textContent.trim())) || named(el);
  if (!labelled) problems.push('no label: ' + el.outerHTML.slice(0, 160));
}
for (const el of document.querySelectorAll('button, a[href]')) {
  if (!visible(el)) continue;
  const text = (el.innerText || el.textContent || '').trim() || named(el) ||
    Array.from(el.querySelectorAll('img[alt], svg title')).map(e => e.getAttribute('alt') || e.textContent).join('').trim();
  if (!text) problems.push('no accessible name: ' + el.outerHTML.slice(0, 160));
}
for (const img of document.querySelectorAll('img')) {
  if (!img.hasAttribute('alt')) problems.push('img without alt: ' + img.outerHTML.slice(0, 160));
}
for (const svg of document.querySelectorAll('svg')) {
  if (svg.getAttribute('aria-hidden') === 'true' || svg.closest('[aria-hidden=true]')) continue;
  const title = svg.querySelector(':scope > title');
  if (!(title && title.textContent.trim()) && !named(svg)) problems.push('svg without a title: ' + svg.outerHTML.slice(0, 120));
  if (svg.getAttribute('role') !== 'img') problems.push('svg without role=img: ' + svg.outerHTML.slice(0, 120));
}
for (const th of document.querySelectorAll('table thead th')) {
  if (!th.getAttribute('scope')) problems.push('column header without scope: ' + th.outerHTML.slice(0, 120));
}
for (const table of document.querySelectorAll('table')) {
  if (!table.querySelector('caption') && !named(table)) problems.push('table without a caption: ' + (table.id || table.className));
}
const ids = {};
for (const el of document.querySelectorAll('[id]')) ids[el.id] = (ids[el.id] || 0) + 1;
for (const [id, n] of Object.entries(ids)) if (n > 1) problems.push('duplicate id ' + id + ' ×' + n);
for (const el of document.querySelectorAll('[aria-describedby]')) {
  for (const id of el.getAttribute('aria-describedby').split(/\\s+/)) {
    if (id && !document.getElementById(id)) problems.push('aria-describedby points nowhere: ' + id);
  }
}
return problems;
"""


def a11y_problems(driver) -> list[str]:
    return driver.execute_script(A11Y_SCRIPT)


def tab_until(driver, element_id: str, presses: int = 40) -> int:
    """Presses Tab from the top of the page until #element_id has focus; returns how many presses it took (0 if never)."""
    driver.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    for count in range(1, presses + 1):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        if driver.switch_to.active_element.get_attribute("id") == element_id:
            return count
    return 0


# MARK: 1. The wallet and the licence as it prints

def test_01_wallet_and_licence_page(server, driver, screenshot):
    kind = licence_type(server, FOOD_LICENCE)
    sign_in_applicant(driver, server, CITIZEN)
    assert driver.find_element(By.ID, "me-name").text == CITIZEN_NAME
    open_wallet_from_me(driver)
    assert CITIZEN_NAME in driver.find_element(By.CSS_SELECTOR, "main p.hint").text
    card = food_licence_card(driver)
    assert card["status"] == "有效", card["text"]
    assert re.search(r"编号 \S+", card["text"]) and MARKET_DEPARTMENT in card["text"] and "有效期至" in card["text"], card["text"]
    identifier = card["identifier"]
    type_code, issuer, serial, version, check = split_identifier(identifier)
    assert type_code == kind["code"], (identifier, kind["code"])
    assert check == licence_check_character(type_code + issuer + serial + version), f"{identifier}: wrong check character"
    assert urlparse(card["href"]).path == f"/me/licences/{identifier}"
    assert not any(COMPANY in c["text"] for c in wallet_cards(driver)), "the company's licence is not in 张明's own wallet"
    screenshot(driver, "60-wallet")
    phone_screenshot(driver, screenshot, "60b-phone-wallet", "/me/licences")

    click_and_wait_for_new_page(driver, food_licence_card(driver)["link"])
    assert_path(driver, f"/me/licences/{identifier}", "after opening the licence")
    assert_page_ok(driver, "the licence page")
    assert driver.find_element(By.ID, "licence-title").text == FOOD_LICENCE
    number = driver.find_element(By.ID, "licence-number").text.strip()
    assert number and f"编号 {number}" in card["text"], (number, card["text"])
    assert driver.find_element(By.ID, "licence-identifier").text == identifier
    shown = face(driver)
    assert shown.get("持证主体") == CITIZEN_NAME, shown
    masked = shown.get("居民身份证", "")
    assert masked.startswith(CITIZEN[:4]) and masked.endswith(CITIZEN[-4:]) and "*" in masked, shown
    for field in kind["faceFields"]:
        assert shown.get(field["label"]), f"the face lacks “{field['label']}”: {shown}"
    assert shown.get("颁发机构") == MARKET_DEPARTMENT, shown
    validity = shown.get("有效期", "")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} 至 (\d{4}-\d{2}-\d{2}|长期)", validity), validity
    if kind.get("validityYears"):
        start, end = validity.split(" 至 ")
        assert int(end[:4]) - int(start[:4]) == kind["validityYears"], validity
    assert driver.find_element(By.ID, "licence-status").text == "有效"
    assert shown.get("当前状态") == "有效", shown

    seal = driver.find_element(By.XPATH, "//footer[contains(@class,'licence-seal')]/p[strong='电子印章']").text
    assert MARKET_DEPARTMENT in seal and "SM2" in seal and "SM3" in seal, seal
    assert re.search(r"密钥标识 [0-9a-f]{16,}", seal) and re.search(r"证书序列号 [0-9A-F]{16,}", seal), seal
    assert re.search(r"有效期至 \d{4}-\d{2}-\d{2}，有效", seal), seal
    assert driver.find_elements(By.XPATH, "//footer[contains(@class,'licence-seal')]//a[@href='/api/v1/seals']")

    svg = driver.find_element(By.CSS_SELECTOR, "figure.licence-qr svg")
    assert svg.get_attribute("role") == "img"
    assert driver.execute_script("return arguments[0].querySelector('title').textContent", svg) == f"扫码核验：{FOOD_LICENCE}"
    assert svg.size["width"] >= 150 and svg.find_elements(By.CSS_SELECTOR, "path"), svg.size
    caption = driver.find_element(By.CSS_SELECTOR, "figure.licence-qr figcaption")
    assert "扫码核验真伪与状态" in caption.text
    assert urlparse(caption.find_element(By.TAG_NAME, "a").text).path == f"/verify/{identifier}"

    print_button = driver.find_element(By.XPATH, "//button[normalize-space()='打印证照']")
    assert print_button.get_attribute("data-print") is not None and print_button.is_displayed()
    # The holder's own panels: sharing and the log of uses, which starts with 制发.
    assert driver.find_element(By.ID, "share-heading").text == "分享给第三方"
    uses = driver.find_element(By.ID, "licence-uses").text
    assert "制发" in uses and MARKET_DEPARTMENT in uses, uses
    screenshot(driver, "61-licence")
    phone_screenshot(driver, screenshot, "61b-phone-licence", "the licence page", check_width=True)


def test_01b_licence_page_keeps_the_id_number_masked(server, driver):
    """docs/identity.md: personal numbers are masked by default on every page; LicencePageTests says
    'the ID number is masked even for the holder's page'."""
    identifier = open_my_food_licence(driver, server)
    leaks = [f"{label}: {value}" for label, value in face(driver).items() if CITIZEN in value]
    assert CITIZEN not in driver.page_source, f"/me/licences/{identifier} prints 张明's full ID number: {leaks}"


def test_01c_company_wallet(server, driver, screenshot):
    sign_in_applicant(driver, server, CITIZEN)
    act_for_company(driver, COMPANY)
    open_wallet_from_me(driver)
    assert COMPANY in driver.find_element(By.CSS_SELECTOR, "main p.hint").text
    card = food_licence_card(driver)
    assert card["status"] == "有效", card["text"]
    screenshot(driver, "62-company-wallet")
    click_and_wait_for_new_page(driver, card["link"])
    assert_page_ok(driver, "the company's licence")
    shown = face(driver)
    assert shown.get("持证主体") == COMPANY, shown
    assert shown.get("统一社会信用代码"), shown
    assert driver.find_element(By.ID, "licence-status").text == "有效"

    # As himself, 张明's licence is another one.
    sign_in_applicant(driver, server, CITIZEN)
    open_wallet_from_me(driver)
    assert card["identifier"] not in [c["identifier"] for c in wallet_cards(driver)]


# MARK: 2. The QR code and the public verification page

def test_02_qr_code_leads_to_the_verification_page(server, driver, screenshot, tmp_path):
    if not shutil.which("zbarimg"):
        pytest.skip("zbarimg (Debian zbar-tools) is not installed")
    identifier = open_my_food_licence(driver, server)
    shown_url = driver.find_element(By.CSS_SELECTOR, "figure.licence-qr figcaption a").text.strip()
    assert driver.find_element(By.CSS_SELECTOR, "figure.licence-qr figcaption a").get_attribute("href") == shown_url
    svg = driver.find_element(By.CSS_SELECTOR, "figure.licence-qr svg")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", svg)
    png = tmp_path / "qr.png"
    decoded = decode_qr(svg, png)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(png, SCREENSHOTS / "63-qr-code.png")
    assert decoded, f"zbarimg found no QR code in the element screenshot ({png.stat().st_size} bytes, saved as 63-qr-code.png)"
    assert decoded == shown_url, f"the QR code holds {decoded!r} but the page shows {shown_url!r}"
    path = urlparse(decoded).path
    assert path == f"/verify/{identifier}", decoded

    # The configured public address (YIWANG_PUBLIC_URL) is not the test server's: open the same path here.
    driver.delete_all_cookies()
    driver.get(server + path)
    assert_page_ok(driver, "the verification page")
    assert driver.find_element(By.TAG_NAME, "h1").text == "电子证照核验"
    verdict = driver.find_element(By.ID, "verdict")
    assert verdict.find_element(By.TAG_NAME, "h2").text == "核验结果：有效"
    assert driver.find_element(By.ID, "verdict-status").text == "有效"
    facts = dict(zip([dt.text for dt in verdict.find_elements(By.TAG_NAME, "dt")], [dd.text for dd in verdict.find_elements(By.TAG_NAME, "dd")]))
    assert facts.get("证照名称") == FOOD_LICENCE, facts
    assert facts.get("持证主体") == CITIZEN_MASKED_NAME, facts
    assert facts.get("颁发机构") == MARKET_DEPARTMENT, facts
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", facts.get("签发日期", "")), facts
    assert identifier in verdict.text
    source = driver.page_source
    assert CITIZEN_NAME not in source, "the verification page must not show the holder's full name"
    assert CITIZEN not in source and CITIZEN[-8:] not in source, "the verification page must not show the ID number"
    assert driver.find_element(By.ID, "identifier").get_attribute("value") == identifier
    screenshot(driver, "64-verify")
    phone_screenshot(driver, screenshot, "64b-phone-verify", "the verification page", check_width=False)


def test_02b_verification_page_errors_and_keyboard(server, driver, screenshot):
    driver.get(server + "/verify")
    assert_page_ok(driver, "the empty verification page")
    assert not driver.find_elements(By.ID, "verdict") and not driver.find_elements(By.ID, "verify-error")
    label = driver.find_element(By.CSS_SELECTOR, "label[for=identifier]").text
    assert label == "电子证照标识", label

    # Keyboard: Tab from the top reaches the identifier box, typing and Enter submits.
    presses = tab_until(driver, "identifier")
    assert presses, "Tab never reached the 电子证照标识 input on /verify"

    # A well-formed identifier that is in no wallet.
    kind = licence_type(server, FOOD_LICENCE)
    unknown = with_check_character(kind["code"], "11520100MB49540L81", "2026999999", "001")
    ActionChains(driver).send_keys(unknown).send_keys(Keys.ENTER).perform()
    wait(driver).until(EC.presence_of_element_located((By.ID, "verdict")))
    assert response_status(driver) == 200
    assert driver.find_element(By.ID, "verdict-status").text == "未找到该证照"
    assert "电子证照库中没有这个标识" in driver.find_element(By.ID, "verdict").text
    assert urllib.parse.parse_qs(urlparse(driver.current_url).query).get("identifier") == [unknown]
    screenshot(driver, "65-verify-unknown")

    # A wrong check character: a Chinese error tied to the input, status 400.
    type_code, issuer, serial, version, check = split_identifier(unknown)
    wrong = next(c for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c != check)
    bad = ".".join([IDENTIFIER_ROOT, type_code, issuer, serial, version, wrong])
    driver.get(server + "/verify?identifier=" + urllib.parse.quote(bad))
    assert response_status(driver) == 400, response_status(driver)
    error = driver.find_element(By.ID, "verify-error")
    assert error.get_attribute("role") == "alert"
    assert "校验位不正确" in error.text and re.search(r"[\u4e00-\u9fff]", error.text), error.text
    box = driver.find_element(By.ID, "identifier")
    assert box.get_attribute("aria-invalid") == "true" and box.get_attribute("aria-describedby") == "verify-error"
    assert box.get_attribute("value") == bad, "the typed identifier is kept for correction"
    assert not driver.find_elements(By.ID, "verdict")
    assert tab_until(driver, "identifier"), "Tab never reached the input on the error page"
    screenshot(driver, "65b-verify-error")

    # Not an identifier at all.
    driver.get(server + "/verify?identifier=abc")
    assert response_status(driver) == 400
    assert "1.2.156.3005.2" in driver.find_element(By.ID, "verify-error").text


def test_02c_verification_page_fits_a_phone(server, driver):
    identifier = food_licence_identifier(driver, server)
    driver.set_window_size(*PHONE)
    driver.delete_all_cookies()
    driver.get(server + f"/verify/{identifier}")
    assert_page_ok(driver, "the verification page")
    assert_fits_phone(driver, "/verify/<identifier>")


# MARK: 3. Sharing for a limited time

def test_03_share_link_and_withdrawal(server, driver, screenshot):
    identifier = open_my_food_licence(driver, server)
    number = driver.find_element(By.ID, "licence-number").text
    recipient = f"某银行网点{uuid.uuid4().hex[:6]}"
    fill(driver, "recipient", recipient)
    hours = Select(driver.find_element(By.ID, "hours"))
    assert hours.first_selected_option.text == "24小时"
    hours.select_by_visible_text("24小时")
    click_and_wait_for_new_page(driver, driver.find_element(By.XPATH, "//form[contains(@action,'/shares')]//button[normalize-space()='生成分享链接']"))
    assert_page_ok(driver, "after 生成分享链接")
    assert driver.find_element(By.ID, "share-link-heading").text == "分享链接已生成"
    assert "链接只显示这一次" in driver.find_element(By.XPATH, "//section[h2[@id='share-link-heading']]").text
    link = driver.find_element(By.ID, "share-link").get_attribute("value")
    path = urlparse(link).path
    assert re.fullmatch(r"/s/[A-Za-z0-9_-]{32,}", path), link
    row = driver.find_element(By.XPATH, f"//table[@id='licence-shares']/tbody/tr[td[1][normalize-space()='{recipient}']]")
    assert row.find_elements(By.XPATH, ".//button[normalize-space()='撤回']"), row.text
    screenshot(driver, "66-share-link")

    # Shown once: the licence page opened again has no link on it.
    driver.get(server + f"/me/licences/{identifier}")
    assert not driver.find_elements(By.ID, "share-link") and path not in driver.page_source

    # The link is public: anyone with it sees the licence, without signing in.
    with urllib.request.urlopen(server + path, timeout=15) as response:
        assert response.status == 200 and number in response.read().decode()

    # And in this browser.
    driver.get(server + path)
    assert_page_ok(driver, "the shared licence")
    notice = driver.find_element(By.CSS_SELECTOR, "main p.notice[role=status]").text
    assert "持证人通过限时链接向您出示此证照" in notice and recipient in notice and "有效至" in notice, notice
    assert driver.find_element(By.ID, "licence-title").text == FOOD_LICENCE
    assert driver.find_element(By.ID, "licence-number").text == number
    assert driver.find_element(By.ID, "licence-status").text == "有效"
    assert driver.find_elements(By.CSS_SELECTOR, "figure.licence-qr svg")
    screenshot(driver, "67-shared-licence")
    phone_screenshot(driver, screenshot, "67b-phone-shared-licence", "the shared licence", check_width=True)

    # Back on the licence page: the views are counted and logged; 撤回.
    driver.get(server + f"/me/licences/{identifier}")
    row = driver.find_element(By.XPATH, f"//table[@id='licence-shares']/tbody/tr[td[1][normalize-space()='{recipient}']]")
    assert int(row.find_elements(By.TAG_NAME, "td")[2].text) >= 2, row.text
    click_and_wait_for_new_page(driver, row.find_element(By.XPATH, ".//button[normalize-space()='撤回']"))
    assert_path(driver, f"/me/licences/{identifier}", "after 撤回")
    assert_page_ok(driver, "after 撤回")
    assert "分享已撤回，链接立即失效" in driver.find_element(By.CSS_SELECTOR, "main p.notice[role=status]").text
    row = driver.find_element(By.XPATH, f"//table[@id='licence-shares']/tbody/tr[td[1][normalize-space()='{recipient}']]")
    assert "已撤回" in row.text and not row.find_elements(By.TAG_NAME, "button"), row.text
    uses = [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#licence-uses li") if recipient in li.text]
    for kind in ("分享", "分享链接被查看", "撤回分享"):
        assert any(use.startswith(kind + " ") for use in uses), f"no “{kind}” use for {recipient}: {uses}"
    screenshot(driver, "68-share-withdrawn")

    # The withdrawn link: the Chinese not-found page, 404.
    driver.get(server + path)
    assert response_status(driver) == 404, response_status(driver)
    assert driver.find_element(By.TAG_NAME, "h1").text == "未找到"
    assert "分享链接无效、已过期或已被持证人撤回" in body_text(driver)
    assert number not in driver.page_source
    screenshot(driver, "69-share-gone")


def food_licence_identifier(driver, server: str) -> str:
    """张明's food licence identifier, read from his wallet."""
    sign_in_applicant(driver, server, CITIZEN)
    driver.get(server + "/me/licences")
    return food_licence_card(driver)["identifier"]


def shared_page(driver, server: str) -> tuple[str, str]:
    """Signs in as 张明, shares his food licence and opens the link signed out; returns (identifier, path)."""
    identifier = open_my_food_licence(driver, server)
    fill(driver, "recipient", "第三方核验")
    click_and_wait_for_new_page(driver, driver.find_element(By.XPATH, "//button[normalize-space()='生成分享链接']"))
    path = urlparse(driver.find_element(By.ID, "share-link").get_attribute("value")).path
    driver.delete_all_cookies()
    driver.get(server + path)
    assert_page_ok(driver, "the shared licence")
    return identifier, path


def test_03b_share_page_shows_no_full_id_number(server, driver):
    _, path = shared_page(driver, server)
    assert CITIZEN not in driver.page_source, f"{path} (public, for a third party) prints 张明's full ID number"


def test_03c_share_page_has_no_link_to_the_holders_case(server, driver):
    _, path = shared_page(driver, server)
    links = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "main a[href*='/me/']")]
    assert not links, f"{path} links the recipient to the holder's own pages: {links}"


def test_03d_share_page_hides_the_holders_panels_from_signed_in_visitors(server, driver):
    identifier, path = shared_page(driver, server)
    problems = {}
    for account, who in ((CITIZEN, "the holder"), (OTHER_CITIZEN, "another citizen (李华)")):
        sign_in_applicant(driver, server, account)
        driver.get(server + path)
        assert_page_ok(driver, f"the shared licence seen by {who}")
        shown = [heading.text for heading in driver.find_elements(By.CSS_SELECTOR, "#share-heading, #shares-heading, #uses-heading")]
        if shown:
            problems[who] = shown
    assert not problems, f"{path} shows the holder's panels of {identifier}: {problems}"


# MARK: 4. A licence given as an application material (免证办)

def choose_licence_for_material(driver, name: str, identifier: str, label: str) -> tuple:
    """On a draft's case page, gives the material `name` as the wallet licence `identifier`:
    for a material the applicant would upload, its radio “使用我的电子证照：…” and 上传; for one the
    platform fetches (电子证照), the button “确认使用我的电子证照：…”. Returns the button to press
    and which way it is (“radio” or “confirm”)."""
    row = material_row(driver, name)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", row)
    radios = row.find_elements(By.CSS_SELECTOR, f"input[type=radio][name=licence][value='{identifier}']")
    confirms = row.find_elements(By.XPATH, f".//form[input[@name='licence'][@value='{identifier}']]//button")
    if radios:
        text = radios[0].find_element(By.XPATH, "./ancestor::label[1]").text.strip()
        assert text == f"使用我的电子证照：{label}", text
        radios[0].click()
        button, way = row.find_element(By.XPATH, ".//button[normalize-space()='上传']"), "radio"
    else:
        assert confirms, f"the row “{name}” offers no 使用我的电子证照 for {identifier}: {row.text!r}"
        assert confirms[0].text.strip() == f"确认使用我的电子证照：{label}", confirms[0].text
        button, way = confirms[0], "confirm"
    return button, way


def licence_material_journey(driver, server: str, screenshot, item: dict, name: str, first: int, tmp_path: Path) -> str:
    """张明 applies for `item`, saves the draft, gives `name` as his 食品经营许可证, submits, and sees the
    use in the licence's 使用记录; returns the case id."""
    sign_in_applicant(driver, server, CITIZEN)
    open_wallet_from_me(driver)
    card = food_licence_card(driver)
    identifier = card["identifier"]
    number = re.search(r"编号 (\S+)", card["text"]).group(1)
    case_id = start_application(driver, server, item, {"licenceNo": number})

    label = f"{FOOD_LICENCE}(编号 {number}，{MARKET_DEPARTMENT})"
    button, way = choose_licence_for_material(driver, name, identifier, label)
    kind = licence_type(server, FOOD_LICENCE)
    for other in item["materials"]:
        if other["name"] not in kind["acceptedAs"]:
            assert "使用我的电子证照" not in material_row(driver, other["name"]).text, f"“{other['name']}” is offered a licence"
    screenshot(driver, f"{first}-licence-offer")
    click_and_wait_for_new_page(driver, button)
    assert_path(driver, f"/me/cases/{case_id}", "after choosing the licence")
    assert_page_ok(driver, "after choosing the licence")
    assert not case_error(driver), case_error(driver)
    assert f"已收到材料“{name}”" in driver.find_element(By.ID, "case-notice").text
    row = material_row(driver, name)
    assert "电子证照 已核验" in row.find_element(By.CSS_SELECTOR, ".badge.ok").text, row.text
    assert f"电子证照：{FOOD_LICENCE} {number}" in row.text and not row.find_elements(By.CSS_SELECTOR, ".missing"), row.text
    assert "使用我的电子证照" not in row.text, f"the licence is offered again once given: {row.text!r}"
    timeline = driver.find_element(By.ID, "case-timeline").text
    assert f"使用电子证照(已核验签章) {identifier}" in timeline, timeline
    screenshot(driver, f"{first + 1}-licence-material")
    phone_screenshot(driver, screenshot, f"{first + 1}b-phone-licence-material", "the case page", check_width=False)
    LICENCE_CASE.update(id=case_id, identifier=identifier, way=way)

    # The rest is uploaded, and the case submitted with the licence in place of a scan.
    upload_missing(driver, item, tmp_path, f"material-{first}")
    click_and_wait_for_new_page(driver, driver.find_element(By.ID, "submit-case"))
    assert_page_ok(driver, "after 提交申报")
    assert driver.find_element(By.ID, "case-state").text.strip() in ("已申报", "预审中"), case_error(driver)
    assert "电子证照 已核验" in material_row(driver, name).text

    # The licence's 使用记录 shows the use.
    driver.get(server + f"/me/licences/{identifier}")
    assert_page_ok(driver, "the licence after its use")
    uses = [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#licence-uses li")]
    assert any(use.startswith("作为申请材料使用") and f"作为“{name}”提交，免于上传" in use for use in uses), uses
    screenshot(driver, f"{first + 2}-licence-uses")

    # The clerk sees the licence verified and can open it.
    sign_in_staff(driver, server, MARKET_CLERK, start=f"/admin/cases/{case_id}")
    driver.get(server + f"/admin/cases/{case_id}")
    assert_page_ok(driver, "the clerk's view")
    row = material_row(driver, name)
    assert "电子证照 已核验" in row.text, row.text
    assert row.find_elements(By.CSS_SELECTOR, f"a[href='/admin/licences/{identifier}']"), row.text
    screenshot(driver, f"{first + 3}-clerk-licence-material")
    return case_id


def test_04_apply_with_a_licence_instead_of_an_upload(server, driver, screenshot, tmp_path):
    """食品经营许可(延续) as the demo city catalogues it: 原食品经营许可证 is fetched by the platform
    (电子证照), and the applicant confirms which licence from the wallet stands for it."""
    kind = licence_type(server, FOOD_LICENCE)
    item = renewal_item(server)
    names = [m["name"] for m in item["materials"] if m["name"] in kind["acceptedAs"]]
    assert names, f"{RENEWAL_ITEM} asks for none of {kind['acceptedAs']}"
    licence_material_journey(driver, server, screenshot, item, names[0], 70, tmp_path)


def test_04b_licence_instead_of_an_upload_when_the_applicant_gives_the_material(server, driver, screenshot, tmp_path):
    """The same journey once the catalogue asks the applicant to give 原食品经营许可证 (source
    applicant): the licence is offered beside the file input. catalog.admin publishes that version
    and, at the end, publishes the original materials again."""
    kind = licence_type(server, FOOD_LICENCE)
    item = renewal_item(server)
    code = item["code"]
    name = next(m["name"] for m in item["materials"] if m["name"] in kind["acceptedAs"])

    def ask_the_applicant(materials):
        for entry in materials:
            if entry["name"] == name:
                entry.update(source="applicant", originalCount=1)
        return materials

    sign_in_staff(driver, server, CATALOG_ADMIN)
    original = publish_materials(driver, server, code, ask_the_applicant)
    try:
        item = renewal_item(server)
        assert next(m for m in item["materials"] if m["name"] == name)["source"] == "applicant", item["materials"]
        licence_material_journey(driver, server, screenshot, item, name, 74, tmp_path)
        assert LICENCE_CASE["way"] == "radio", "an applicant-given material offers the licence beside the file input"
    finally:
        sign_in_staff(driver, server, CATALOG_ADMIN)
        publish_materials(driver, server, code, lambda _: original)


def test_04c_case_page_with_a_licence_fits_a_phone(server, driver):
    if not LICENCE_CASE:
        pytest.skip("needs a case test_04 or test_04b made")
    sign_in_applicant(driver, server, CITIZEN)
    driver.set_window_size(*PHONE)
    driver.get(server + f"/me/cases/{LICENCE_CASE['id']}")
    assert_page_ok(driver, "the case page")
    assert_fits_phone(driver, f"/me/cases/{LICENCE_CASE['id']}")


# MARK: 5. The data-use log

def test_05_data_use_log(server, driver, screenshot, tmp_path):
    item = renewal_item(server)
    sign_in_applicant(driver, server, CITIZEN)
    case_id = start_application(driver, server, item)
    upload_missing(driver, item, tmp_path, "data-use")
    click_and_wait_for_new_page(driver, driver.find_element(By.ID, "submit-case"))
    assert_page_ok(driver, "after 提交申报")
    assert driver.find_element(By.ID, "case-state").text.strip() in ("已申报", "预审中"), case_error(driver)

    driver.get(server + "/me")
    link = driver.find_element(By.ID, "my-data-uses-link")
    assert link.text.strip() == "我的数据使用记录"
    click_and_wait_for_new_page(driver, link)
    assert_path(driver, "/me/data-uses", "after 我的数据使用记录")
    assert_page_ok(driver, "the data-use log")
    assert driver.find_element(By.TAG_NAME, "h1").text == "我的数据使用记录"
    table = driver.find_element(By.ID, "data-uses")
    headers = [th.text.strip() for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    assert headers == DATA_USE_HEADERS, headers
    assert all(th.get_attribute("scope") == "col" for th in table.find_elements(By.CSS_SELECTOR, "thead th"))
    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
    caption = driver.execute_script("return arguments[0].caption ? arguments[0].caption.textContent : ''", table)
    assert f"共 {len(rows)} 条" in caption, (caption, len(rows))
    ours = [row for row in rows if row.find_elements(By.CSS_SELECTOR, f"a[href='/me/cases/{case_id}']")]
    assert len(ours) == 1, f"expected one registry read for the new case {case_id}: {[r.text for r in rows][:5]}"
    cells = [td.text.strip() for td in ours[0].find_elements(By.TAG_NAME, "td")]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", cells[0]), cells
    assert cells[1] == "信用库" and cells[2] == "失信记录", cells
    assert cells[4].startswith("办件信用核查") and "查看办件" in cells[4], cells
    assert cells[3] == "平台自动核查", f"the credit check at submission is the platform's: {cells}"
    assert cells[5] == "未查到", cells
    times = [row.find_element(By.TAG_NAME, "td").text for row in rows]
    assert times == sorted(times, reverse=True), f"newest first: {times}"
    checks = [row for row in rows if "办件信用核查" in row.text]
    assert len(checks) >= 2, "the demo city's earlier submissions are logged too"
    assert CITIZEN not in driver.page_source
    screenshot(driver, "78-data-uses")
    phone_screenshot(driver, screenshot, "78b-phone-data-uses", "/me/data-uses")

    # The company on the credit list sees its listing found.
    sign_in_applicant(driver, server, DISHONEST)
    driver.get(server + "/me/data-uses")
    assert_page_ok(driver, "the listed company's data-use log")
    rows = driver.find_elements(By.CSS_SELECTOR, "#data-uses tbody tr")
    found = [[td.text.strip() for td in row.find_elements(By.TAG_NAME, "td")] for row in rows]
    assert any(c[1] == "信用库" and c[4].startswith("办件信用核查") and c[5] == "已查到" for c in found), found
    screenshot(driver, "79-dishonest-data-uses")


# MARK: 6. Accessibility smoke test

def test_06_accessibility_smoke(server, driver, screenshot):
    identifier = open_my_food_licence(driver, server)
    pages = ["/me/licences", f"/me/licences/{identifier}", f"/verify/{identifier}", "/verify?identifier=1.2.156.3005.2.X", "/me/data-uses"]
    problems = {}
    for path in pages:
        driver.get(server + path)
        wait(driver).until(lambda d: d.execute_script("return document.readyState") == "complete")
        assert not LEAF_ERROR.search(driver.page_source), path
        found = a11y_problems(driver)
        if found:
            problems[path] = found
    # The share page, signed out.
    fill_path = f"/me/licences/{identifier}"
    driver.get(server + fill_path)
    fill(driver, "recipient", "无障碍检查")
    click_and_wait_for_new_page(driver, driver.find_element(By.XPATH, "//button[normalize-space()='生成分享链接']"))
    found = a11y_problems(driver)
    if found:
        problems[fill_path + " (after sharing)"] = found
    share = urlparse(driver.find_element(By.ID, "share-link").get_attribute("value")).path
    driver.delete_all_cookies()
    driver.get(server + share)
    found = a11y_problems(driver)
    if found:
        problems["/s/<token>"] = found
    assert not problems, "accessibility problems:\n" + "\n".join(f"{p}: {v}" for p, v in problems.items())

    # The skip link works on the licence page, as on every page.
    driver.get(server + f"/verify/{identifier}")
    ActionChains(driver).send_keys(Keys.TAB).perform()
    focused = driver.switch_to.active_element
    assert focused.text.strip() == "跳到主要内容", focused.text
