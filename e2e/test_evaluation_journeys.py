"""Browser journeys through 好差评 (evaluation), the rectification of a bad review, the supervision
board (电子监察) and the statistics pages, against the demo city (贵阳市):

1. 张明 rates a case from its page: a good review picked by keyboard, then a second try refused; a
   bad review whose reasons appear once 不满意 is picked, refused without a reason (the text kept),
   then accepted, with its rectification shown on the page;
2. a clerk accepts a fresh case, the SMS invitation reaches 张明's handset (the local gateway's
   log), and the link rates the case without signing in, once;
3. market.admin takes a bad review through 核实分类, 答复评价人 and 回访 to 整改办结 on time, and the
   supervisor upholds an appeal, which then leaves the statistics;
4. /statistics with its SVG charts and their tables, another period and grouping, the CSV,
   /statistics/screen, the supervision board's cards drilled down to a case, and the window's
   tablet rating a visit;
5. the accessibility smoke test (the licence journeys' checks) on every new page.

The demo city seeds reviews and rectifications in every state (see docs/evaluation.md). The journeys
pick what they act on by its state on the page, not by id. Screenshots go to e2e/screenshots/
(90–99); docs/screenshots/ holds copies under plain names (see e2e/README.md).
"""

from __future__ import annotations

import re
import time
import urllib.request
from datetime import date, timedelta
from urllib.parse import parse_qs, urlparse

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.select import Select

from journeys import (
    LEAF_ERROR, assert_page_ok, body_text, click_and_wait_for_new_page, fill, response_status, sms_sent, wait,
)
from test_case_journeys import (
    act, assert_state, choose_market_item, fill_application, save_application, sign_in_applicant, sign_in_staff, submit_case,
    upload_all_missing,
)
from test_licence_journeys import PHONE, a11y_problems, assert_fits_phone, phone_screenshot

CITIZEN = "520102199003071236"  # 张明
MARKET_CLERK = "market.clerk"
MARKET_ADMIN = "market.admin"
SUPERVISOR = "supervisor"
MARKET_DEPARTMENT = "贵阳市市场监督管理局"
TABLET_WINDOW = "A01"  # 综合窗口A01（市场监管）

# States in which a case has passed acceptance (or was refused it) and so can be rated.
RATEABLE_STATES = ("已受理", "不予受理", "准予许可", "不予许可", "已制证", "已送达", "已办结", "已归档", "已终止")
DATE_SHOWN = r"\d{4}-\d{2}-\d{2}"
LINK = re.compile(r"(https?://[^\s，,]+/e/([A-Za-z0-9_-]+))")

# What one journey leaves for the accessibility smoke test (paths to check).
VISITED: dict[str, str] = {}


# MARK: helpers


def level_radio(driver, form, value: int):
    return form.find_element(By.CSS_SELECTOR, f"input[name=level][value='{value}']")


def level_label(driver, form, value: int):
    radio = level_radio(driver, form, value)
    return form.find_element(By.CSS_SELECTOR, f"label[for='{radio.get_attribute('id')}']")


def reasons_box(form):
    return form.find_element(By.CSS_SELECTOR, "[data-review-reasons]")


def open_case_forms(driver, server: str, count: int) -> list[dict]:
    """The signed-in applicant's cases, past acceptance, whose page offers the 好差评 form: id,
    item name, state and the stage to rate (the first `count` found, from the top of 我的办件)."""
    driver.get(server + "/me/cases")
    assert_page_ok(driver, "我的办件")
    candidates = []
    for row in driver.find_elements(By.CSS_SELECTOR, "#my-cases tbody tr"):
        link = row.find_element(By.CSS_SELECTOR, "th a")
        state = row.find_elements(By.TAG_NAME, "td")[1].text.strip()
        if state in RATEABLE_STATES:
            candidates.append({"id": urlparse(link.get_attribute("href")).path.rsplit("/", 1)[-1], "item": link.text.strip(), "state": state})
    found = []
    for case in candidates:
        driver.get(server + f"/me/cases/{case['id']}")
        if driver.find_elements(By.ID, "review-form"):
            case["stage"] = driver.find_element(By.ID, "evaluation-form-heading").text.removeprefix("评价")
            found.append(case)
            if len(found) == count:
                break
    assert len(found) == count, (
        f"张明 should have {count} accepted or decided cases still open to rate; found {found} among {candidates}")
    return found


def open_case_from_list(driver, server: str, case_id: str):
    driver.get(server + "/me/cases")
    click_and_wait_for_new_page(driver, driver.find_element(By.CSS_SELECTOR, f"#my-cases a[href='/me/cases/{case_id}']"))
    assert urlparse(driver.current_url).path == f"/me/cases/{case_id}"
    assert_page_ok(driver, "the case page")


def review_entries(driver) -> list[str]:
    return [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#case-reviews > li")]


def wait_for_sms(server: str, before: set[str], *contains: str, timeout: float = 20) -> str:
    """The first text sent since `before` that contains every one of `contains` (the outbox
    delivers every 2 s)."""
    deadline = time.monotonic() + timeout
    while True:
        new = [text for text in sms_sent(server) if text not in before and all(part in text for part in contains)]
        if new:
            return new[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"no SMS containing {contains} within {timeout}s; the latest sent: {sms_sent(server)[-3:]}")
        time.sleep(0.5)


def filter_rectifications(driver, server: str, state_name: str):
    driver.get(server + "/admin/rectifications")
    assert_page_ok(driver, "差评整改")
    Select(driver.find_element(By.ID, "f-state")).select_by_visible_text(state_name)
    click_and_wait_for_new_page(driver, driver.find_element(By.XPATH, "//form[@action='/admin/rectifications']//button[normalize-space()='筛选']"))
    assert_page_ok(driver, f"差评整改 filtered by {state_name}")
    assert parse_qs(urlparse(driver.current_url).query).get("state"), driver.current_url


def rectification_rows(driver) -> list[dict]:
    rows = []
    for row in driver.find_elements(By.CSS_SELECTOR, "#rectification-list tbody tr"):
        cells = row.find_elements(By.XPATH, "./th|./td")
        link = row.find_element(By.CSS_SELECTOR, "th a")
        rows.append({
            "urgency": cells[0].text.strip(), "item": link.text.strip(), "level": cells[3].text.strip(), "state": cells[4].text.strip(),
            "kind": cells[5].text.strip(), "deadline": cells[6].text.strip(), "href": urlparse(link.get_attribute("href")).path, "text": row.text,
        })
    return rows


def facts(driver, list_id: str) -> dict[str, str]:
    """A <dl> as term → description."""
    pairs, term = {}, None
    for element in driver.find_elements(By.CSS_SELECTOR, f"#{list_id} > dt, #{list_id} > dd"):
        if element.tag_name == "dt":
            term = element.text.strip()
        elif term is not None:
            pairs[term] = element.text.strip()
            term = None
    return pairs


def rectification_step(driver, form_id: str, what: str):
    """Submits a step form of the rectification page and checks it was taken (notice, no error)."""
    click_and_wait_for_new_page(driver, driver.find_element(By.CSS_SELECTOR, f"#{form_id} button[type=submit]"))
    assert_page_ok(driver, f"after {what}")
    errors = driver.find_elements(By.ID, "rectification-error")
    assert not errors, f"{what} was refused: {errors[0].text}"
    assert driver.find_elements(By.ID, "rectification-notice"), f"{what}: no notice; page says {body_text(driver)[:400]!r}"


def svg_texts(svg) -> list[str]:
    return [text.get_attribute("textContent").strip() for text in svg.find_elements(By.CSS_SELECTOR, "text")]


def figure_table(section) -> tuple[list[str], list[list[str]]]:
    """The table beside a chart: its column headers and its rows (row header first)."""
    table = section.find_element(By.TAG_NAME, "table")
    headers = [th.get_attribute("textContent").strip() for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    rows = [[cell.get_attribute("textContent").strip() for cell in row.find_elements(By.XPATH, "./th|./td")]
            for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")]
    return headers, rows


def check_figures(driver) -> dict[str, dict]:
    """Every chart of /statistics: an SVG with role=img and a title, text labels and values in the
    drawing (so it reads without colour), and a captioned table with the same numbers beside it."""
    figures = {}
    sections = driver.find_elements(By.CSS_SELECTOR, "main section.figure")
    assert len(sections) >= 4, f"/statistics should draw at least four charts, not {len(sections)}"
    for section in sections:
        title = section.find_element(By.TAG_NAME, "h2").text.strip()
        svgs = section.find_elements(By.CSS_SELECTOR, "figure svg")
        assert len(svgs) == 1, f"“{title}” has {len(svgs)} charts"
        svg = svgs[0]
        assert svg.get_attribute("role") == "img", f"“{title}”: the SVG has no role=img"
        svg_title = driver.execute_script("const t = arguments[0].querySelector(':scope > title'); return t ? t.textContent : ''", svg)
        assert svg_title.strip() == title, (svg_title, title)
        texts = svg_texts(svg)
        headers, rows = figure_table(section)
        caption = section.find_element(By.CSS_SELECTOR, "table caption").get_attribute("textContent").strip()
        assert caption == f"{title}（数据表）", caption
        assert headers and rows, f"“{title}”: the table beside the chart is empty"
        figures[title] = {"section": section, "texts": texts, "headers": headers, "rows": rows, "svg": svg}
    return figures


def bars_unreadable(driver, figure: dict, value_column: int = 1) -> list[str]:
    """For a bar chart: the bars whose label and value are not both written beside them as text
    (a long label may wrap or be shortened with “…”, its full text in the bar's tooltip title), or whose
    figure is not in the table beside the chart. Empty when every bar reads without colour."""
    bars = driver.execute_script("""
        return Array.from(arguments[0].querySelectorAll('g')).filter(g => g.querySelector(':scope > rect'))
          .map(g => ({title: (g.querySelector(':scope > title') || {}).textContent || '',
                      texts: Array.from(g.querySelectorAll(':scope > text')).map(t => t.textContent.trim())}));""", figure["svg"])
    table = {row[0].replace("（差评）", ""): row[value_column] for row in figure["rows"]}
    problems = [] if bars else ["no bars"]
    labels = {bar["title"].rpartition("：")[0] for bar in bars}
    for bar in bars:
        label, _, value = bar["title"].rpartition("：")
        # The chart gathers the rows beyond its longest bars into one “其他N项” bar: its figure is the
        # sum of those N rows of the table.
        rest = re.fullmatch(r"其他(\d+)项", label)
        if rest:
            others = [row for name, row in table.items() if name not in labels]
            total = sum(float(row.rstrip("%")) for row in others if re.fullmatch(r"[\d.]+%?", row or ""))
            if len(others) != int(rest.group(1)) or value not in bar["texts"] or float(value.rstrip("%")) != total:
                problems.append(f"bar {bar['title']!r} is not the sum of the {len(others)} rows it gathers ({total})")
            continue
        # The label as written, possibly over two lines.
        written = "".join(t for t in bar["texts"] if t != value)
        shown = written == label or (written.endswith("…") and label.startswith(written[:-1]))
        if not label or value not in bar["texts"] or not shown:
            problems.append(f"bar {bar['title']!r} writes only {bar['texts']}")
        elif table.get(label) != value:
            problems.append(f"bar {bar['title']!r} is not in the table ({table.get(label)!r})")
    return problems


def viewport_screenshot(driver, screenshot, name: str, size: tuple[int, int], element_id: str | None = None):
    """A screenshot of exactly `size` of the page (the window made taller by what the browser
    keeps above the page), with #element_id scrolled to the top when given; the window is put
    back afterwards. (Headless Chromium reports an outer width of at least 500 px, so only the
    height is corrected.)"""
    original = driver.get_window_size()
    driver.set_window_size(*size)
    frame = driver.execute_script("return window.outerHeight - window.innerHeight")
    driver.set_window_size(size[0], size[1] + frame)
    try:
        driver.refresh()
        wait(driver).until(lambda d: d.execute_script("return document.readyState") == "complete")
        if element_id:
            driver.execute_script("document.getElementById(arguments[0]).scrollIntoView({block: 'start'})", element_id)
        screenshot(driver, name, full_page=False)
    finally:
        driver.set_window_size(original["width"], original["height"])


LABEL_IN_NAME_SCRIPT = """
const problems = [];
for (const el of document.querySelectorAll('a[href][aria-label], button[aria-label]')) {
  if (!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)) continue;
  const shown = (el.innerText || '').replace(/\\s+/g, '');
  const label = el.getAttribute('aria-label').replace(/\\s+/g, '');
  if (shown && !label.includes(shown)) problems.push('the name ' + JSON.stringify(el.getAttribute('aria-label')) + ' leaves out the visible ' + JSON.stringify(el.innerText.trim()));
}
return problems;
"""


def label_in_name_problems(driver) -> list[str]:
    """Links and buttons whose aria-label does not contain their visible text (WCAG 2.5.3): a
    figure that is a link must still be heard."""
    return driver.execute_script(LABEL_IN_NAME_SCRIPT)


def fetch(url: str) -> tuple[int, dict, bytes]:
    with urllib.request.urlopen(url, timeout=15) as response:
        return response.status, dict(response.headers), response.read()


# MARK: 1. Rating a case from its page


def test_01_rate_a_case_from_its_page(server, driver, screenshot):
    sign_in_applicant(driver, server, CITIZEN)
    good, bad = open_case_forms(driver, server, 2)

    # A good review, the level picked with the keyboard.
    open_case_from_list(driver, server, good["id"])
    heading = driver.find_element(By.ID, "evaluation-heading")
    assert heading.text.strip() == "评价本次服务（好差评）"
    form = driver.find_element(By.ID, "review-form")
    assert not reasons_box(form).is_displayed(), "the reasons of a bad review are hidden until a bad level is picked"
    page_url = driver.current_url
    # A second tab on the same page, as someone who rates twice would have.
    first_tab = driver.current_window_handle
    driver.switch_to.new_window("tab")
    driver.get(page_url)
    second_tab = driver.current_window_handle
    driver.switch_to.window(first_tab)

    form = driver.find_element(By.ID, "review-form")
    level_radio(driver, form, 5).send_keys(Keys.SPACE)
    ActionChains(driver).send_keys(Keys.ARROW_DOWN).perform()
    assert level_radio(driver, form, 4).is_selected(), "Space then ↓ in the level group should pick 满意 (4星)"
    assert driver.switch_to.active_element.get_attribute("value") == "4"
    assert not reasons_box(form).is_displayed(), "满意 is not a bad review: no reasons"
    questions = form.find_elements(By.CSS_SELECTOR, "fieldset.review-questions select")
    assert questions, "the national question set's items are offered"
    Select(questions[0]).select_by_visible_text("非常满意（5星）")
    fill(driver, "review-text", "网上申报一次通过，受理很快。")
    click_and_wait_for_new_page(driver, driver.find_element(By.ID, "review-submit"))
    assert_page_ok(driver, "after rating")
    assert urlparse(driver.current_url).path == f"/me/cases/{good['id']}"
    notice = driver.find_element(By.ID, "case-notice").text
    assert f"感谢您对{good['stage']}的评价" in notice, notice
    entries = review_entries(driver)
    assert any(good["stage"] in e and "满意" in e and "PC端" in e and "网上申报一次通过，受理很快。" in e for e in entries), entries
    assert not driver.find_elements(By.ID, "review-form"), "after rating, the stage is not offered again"
    assert f"您已评价过该办件的{good['stage']}" in driver.find_element(By.ID, "evaluation-note").text

    # The old tab submits again: refused, said in Chinese, nothing added.
    driver.switch_to.window(second_tab)
    form = driver.find_element(By.ID, "review-form")
    level_label(driver, form, 5).click()
    click_and_wait_for_new_page(driver, driver.find_element(By.ID, "review-submit"))
    assert response_status(driver) == 409, response_status(driver)
    error = driver.find_element(By.CSS_SELECTOR, "#evaluation [role=alert]").text
    assert f"您已评价过该办件的{good['stage']}" in error, error
    assert len(review_entries(driver)) == len(entries), "the refused try added nothing"
    driver.close()
    driver.switch_to.window(first_tab)

    # A bad review: the reasons appear once 不满意 is picked.
    open_case_from_list(driver, server, bad["id"])
    form = driver.find_element(By.ID, "review-form")
    reasons = reasons_box(form)
    assert not reasons.is_displayed()
    level_label(driver, form, 2).click()
    wait(driver, 5).until(lambda _: reasons.is_displayed())
    assert all(box.is_enabled() for box in reasons.find_elements(By.CSS_SELECTOR, "input[type=checkbox]"))
    typed = "补正告知写得不清楚，来回改了三次。"
    fill(driver, "review-text", typed)
    click_and_wait_for_new_page(driver, driver.find_element(By.ID, "review-submit"))
    assert response_status(driver) in (400, 422), response_status(driver)
    assert "评价内容有误" in driver.find_element(By.ID, "review-error").text
    assert driver.find_element(By.ID, "review-reasons-error").text.strip() == "“不满意”须至少选择一项差评原因。"
    form = driver.find_element(By.ID, "review-form")
    assert driver.find_element(By.ID, "review-text").get_attribute("value") == typed, "the typed text is kept"
    assert level_radio(driver, form, 2).is_selected(), "the level picked is kept"
    reasons = reasons_box(form)
    assert reasons.is_displayed(), "the reasons stay shown for the level kept"
    assert "review-reasons-error" in (reasons.get_attribute("aria-describedby") or "")
    screenshot(driver, "90a-bad-review-refused")

    first_reason = reasons.find_element(By.CSS_SELECTOR, "label.review-reason")
    reason_text = first_reason.text.strip()
    first_reason.click()
    click_and_wait_for_new_page(driver, driver.find_element(By.ID, "review-submit"))
    assert_page_ok(driver, "after the bad review")
    notice = driver.find_element(By.ID, "case-notice").text
    assert "您的差评已转交办理部门" in notice, notice
    bad_entries = driver.find_elements(By.CSS_SELECTOR, "#case-reviews > li.review-bad")
    assert bad_entries, review_entries(driver)
    entry = bad_entries[-1]
    assert "不满意" in entry.text and reason_text in entry.text and typed in entry.text, entry.text
    state = entry.find_element(By.CSS_SELECTOR, ".review-rectification-state").text
    assert re.fullmatch(rf"待核实 · 整改期限 {DATE_SHOWN}", state), state
    assert not driver.find_elements(By.ID, "review-form")
    VISITED["case"] = f"/me/cases/{bad['id']}"
    screenshot(driver, "90-case-evaluation")
    phone_screenshot(driver, screenshot, "90b-case-evaluation-phone-full", "the case page with its reviews")
    viewport_screenshot(driver, screenshot, "90b-case-evaluation-phone", PHONE, "evaluation")


# MARK: 2. Rating from the SMS link


def test_02_rate_from_the_sms_link(server, driver, screenshot, tmp_path):
    item = choose_market_item(server)
    sign_in_applicant(driver, server, CITIZEN)
    driver.get(server + f"/items/{item['code']}/apply")
    assert_page_ok(driver, "the apply page")
    fill_application(driver, item)
    case_id = save_application(driver)
    upload_all_missing(driver, item, tmp_path, "sms-link")
    submit_case(driver)
    assert_page_ok(driver, "after 提交申报")

    # The market clerk accepts it; the SMS invitation goes out with the acceptance.
    before = set(sms_sent(server))
    sign_in_staff(driver, server, MARKET_CLERK, start=f"/admin/cases/{case_id}")
    driver.get(server + f"/admin/cases/{case_id}")
    act(driver, "accept")
    assert_state(driver, "已受理", "after 受理")
    number = driver.find_element(By.ID, "case-number").text.strip()
    text = wait_for_sms(server, before, f"您申报的“{item['name']}”已受理", "欢迎评价本次服务（好差评）")
    match = LINK.search(text)
    assert match, f"the SMS carries no /e/ link: {text!r}"
    path = urlparse(match.group(1)).path

    # Opened on the phone, signed out.
    driver.delete_all_cookies()
    driver.get(server + path)
    assert_page_ok(driver, "the SMS link")
    assert driver.find_element(By.ID, "link-title").text == "评价本次服务（好差评）"
    shown = facts(driver, "link-case")
    assert shown.get("办理事项") == item["name"] and shown.get("受理编号") == number, shown
    assert shown.get("实施机构") == MARKET_DEPARTMENT and shown.get("评价环节") == "受理环节", shown
    assert "退出" not in driver.find_element(By.TAG_NAME, "header").text, "the link works without signing in"
    form = driver.find_element(By.CSS_SELECTOR, "form[data-review-form]")
    assert urlparse(form.get_attribute("action")).path == path
    screenshot(driver, "91-sms-link")
    VISITED["link"] = path
    level_label(driver, form, 5).click()
    driver.find_element(By.CSS_SELECTOR, "form[data-review-form] textarea[name=text]").send_keys("短信一点就能评，很方便。")
    click_and_wait_for_new_page(driver, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert_page_ok(driver, "after rating by the link")
    assert driver.find_element(By.ID, "thanks-heading").text == "感谢您的评价"
    assert driver.find_element(By.ID, "thanks-level").text == "非常满意"
    assert item["name"] in driver.find_element(By.ID, "thanks").text
    screenshot(driver, "91b-sms-thanks")
    VISITED["thanks"] = driver.current_url

    # The link is spent.
    driver.get(server + path)
    assert response_status(driver) == 409, response_status(driver)
    assert driver.find_element(By.TAG_NAME, "h1").text == "该评价链接已使用"
    assert driver.find_elements(By.CSS_SELECTOR, "#link-closed a[href='/me/cases']"), "the closed link says where else to rate"
    assert not driver.find_elements(By.CSS_SELECTOR, "form[data-review-form]")
    screenshot(driver, "91c-sms-link-used")

    # 张明 sees the review, by SMS, on his case page, and is not offered that stage again.
    sign_in_applicant(driver, server, CITIZEN)
    driver.get(server + f"/me/cases/{case_id}")
    assert_page_ok(driver, "the case rated by SMS")
    entries = review_entries(driver)
    assert any("受理环节" in e and "非常满意" in e and "短信" in e for e in entries), entries
    assert not driver.find_elements(By.ID, "review-form")


# MARK: 3. A bad review handled to the end, and an appeal upheld


def test_03_bad_review_handled_to_the_end(server, driver, screenshot):
    sign_in_staff(driver, server, MARKET_ADMIN, start="/admin/rectifications")
    filter_rectifications(driver, server, "待核实")
    rows = rectification_rows(driver)
    assert rows and all(row["state"] == "待核实" for row in rows), [row["text"] for row in rows]
    on_time = [row for row in rows if row["urgency"] == "正常"]
    assert on_time, f"the demo city has a bad review waiting for verification within its deadline: {[row['text'] for row in rows]}"
    assert any(row["urgency"] == "超期" for row in rows), "the demo city has an overdue one too (red)"
    row = on_time[0]
    click_and_wait_for_new_page(driver, driver.find_element(By.CSS_SELECTOR, f"#rectification-list a[href='{row['href']}']"))
    assert_page_ok(driver, "the rectification page")
    assert driver.find_element(By.ID, "rectification-state").text == "待核实"
    review = facts(driver, "rectification-review")
    assert review.get("评价等级", "").startswith(("不满意", "非常不满意")) and review.get("差评原因"), review
    deadline = facts(driver, "rectification-facts")["整改期限"]
    assert deadline.startswith(row["deadline"]), (deadline, row["deadline"])
    assert not driver.find_elements(By.ID, "form-decideAppeal"), "the department does not decide appeals"

    # 核实分类: 立行立改, with what was found.
    Select(driver.find_element(By.ID, "verify-kind")).select_by_visible_text("立行立改")
    fill(driver, "verify-text", "核实属实：服务指引与实际要求不一致，已当场更正并告知经办人员。")
    rectification_step(driver, "form-verify", "核实分类")
    shown = facts(driver, "rectification-facts")
    assert shown["处理方式"] == "立行立改" and shown["核实情况"] == "核实属实：服务指引与实际要求不一致，已当场更正并告知经办人员。", shown
    assert driver.find_element(By.ID, "rectification-state").text == "整改中"

    # 答复评价人.
    fill(driver, "reply-text", "您反映的问题已核实并整改，感谢您的监督。")
    rectification_step(driver, "form-reply", "答复评价人")
    assert driver.find_element(By.ID, "rectification-state").text == "已答复待回访"
    assert facts(driver, "rectification-facts")["答复评价人"] == "您反映的问题已核实并整改，感谢您的监督。"

    # 回访: reached, and the loop closes on time.
    reached = driver.find_element(By.CSS_SELECTOR, "#form-returnVisit input[name=reached][value=true]")
    reached.find_element(By.XPATH, "./ancestor::label[1]").click()
    assert reached.is_selected()
    fill(driver, "visit-text", "电话回访，评价人对整改结果表示满意。")
    rectification_step(driver, "form-returnVisit", "回访")
    assert driver.find_element(By.ID, "rectification-state").text == "整改办结"
    shown = facts(driver, "rectification-facts")
    assert shown["回访结果"] == "电话回访，评价人对整改结果表示满意。", shown
    assert re.fullmatch(rf"{DATE_SHOWN}（按期）", shown.get("办结日期", "")), shown
    timeline = driver.find_element(By.ID, "rectification-timeline").text
    for step in ("待核实", "整改中", "已答复待回访", "整改办结"):
        assert step in timeline, timeline
    for form_id in ("form-verify", "form-reply", "form-returnVisit"):
        assert not driver.find_elements(By.ID, form_id), f"{form_id} is offered on a closed rectification"
    VISITED["rectification"] = urlparse(driver.current_url).path
    screenshot(driver, "92-rectification")

    reviewer = facts(driver, "rectification-review").get("评价人", "")
    case_links = driver.find_elements(By.CSS_SELECTOR, "#rectification-review a[href^='/admin/cases/']")
    handled_case = urlparse(case_links[0].get_attribute("href")).path.rsplit("/", 1)[-1] if case_links else None

    filter_rectifications(driver, server, "整改办结")
    done = [r for r in rectification_rows(driver) if r["href"] == row["href"]]
    assert done and "按期办结" in done[0]["text"], [r["text"] for r in rectification_rows(driver)]

    # When the review handled was 张明's own (test_01's, listed first by its deadline), he sees
    # the outcome on his case page and rates the rectification: a new record after the first.
    if handled_case and reviewer.startswith("张明"):
        sign_in_applicant(driver, server, CITIZEN)
        driver.get(server + f"/me/cases/{handled_case}")
        assert_page_ok(driver, "the case whose bad review was put right")
        entry = driver.find_element(By.CSS_SELECTOR, "#case-reviews > li.review-bad")
        assert entry.find_element(By.CSS_SELECTOR, ".review-rectification-state").text.startswith("整改办结（立行立改）"), entry.text
        assert "您反映的问题已核实并整改，感谢您的监督。" in entry.text and "电话回访，评价人对整改结果表示满意。" in entry.text, entry.text
        rating = entry.find_element(By.CSS_SELECTOR, "form.rectification-rating")
        rating.find_element(By.XPATH, ".//label[normalize-space()='满意']").click()
        click_and_wait_for_new_page(driver, rating.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        assert_page_ok(driver, "after rating the rectification")
        assert "感谢您对整改结果的评价" in driver.find_element(By.ID, "case-notice").text
        entry = driver.find_element(By.CSS_SELECTOR, "#case-reviews > li.review-bad")
        assert "您对整改的评价" in entry.text and not entry.find_elements(By.CSS_SELECTOR, "form.rectification-rating"), entry.text

    # The supervisor upholds the demo city's appeal: kept on record, out of the statistics.
    driver.get(server + "/evaluations")
    excluded_before = int(re.search(r"申诉成立不计入\s*(\d+) 条", body_text(driver)).group(1))
    sign_in_staff(driver, server, SUPERVISOR, start="/admin/rectifications")
    filter_rectifications(driver, server, "申诉复核中")
    appealed = rectification_rows(driver)
    assert appealed, "the demo city has an appeal waiting for a supervisor"
    target = appealed[0]
    click_and_wait_for_new_page(driver, driver.find_element(By.CSS_SELECTOR, f"#rectification-list a[href='{target['href']}']"))
    assert driver.find_element(By.ID, "rectification-state").text == "申诉复核中"
    assert facts(driver, "rectification-facts")["处理方式"].startswith("申诉")
    upheld = driver.find_element(By.CSS_SELECTOR, "#form-decideAppeal input[name=upheld][value=true]")
    upheld.find_element(By.XPATH, "./ancestor::label[1]").click()
    fill(driver, "appeal-text", "核查叫号记录，同一号码当日连续差评且无具体内容，认定为恶意差评。")
    rectification_step(driver, "form-decideAppeal", "申诉复核")
    assert driver.find_element(By.ID, "rectification-state").text == "申诉成立"
    shown = facts(driver, "rectification-facts")
    assert shown.get("申诉复核意见") == "核查叫号记录，同一号码当日连续差评且无具体内容，认定为恶意差评。", shown
    assert facts(driver, "rectification-review").get("评价等级"), "the review stays on record"
    screenshot(driver, "92b-appeal-upheld")
    filter_rectifications(driver, server, "申诉成立")
    decided = [r for r in rectification_rows(driver) if r["href"] == target["href"]]
    assert decided and "不计入统计" in decided[0]["text"], [r["text"] for r in rectification_rows(driver)]
    driver.get(server + "/evaluations")
    excluded_after = int(re.search(r"申诉成立不计入\s*(\d+) 条", body_text(driver)).group(1))
    assert excluded_after == excluded_before + 1, (excluded_before, excluded_after)


# MARK: 4. Statistics, the big screen, the supervision board and the tablet


def test_04_statistics_page_and_charts(server, driver, screenshot):
    driver.get(server + "/statistics")
    assert_page_ok(driver, "/statistics")
    assert driver.find_element(By.TAG_NAME, "h1").text == "政务服务数据统计"
    to_value = driver.find_element(By.ID, "stat-to").get_attribute("value")
    from_value = driver.find_element(By.ID, "stat-from").get_attribute("value")
    assert re.fullmatch(DATE_SHOWN, to_value) and re.fullmatch(DATE_SHOWN, from_value), (from_value, to_value)
    tiles = {tile.find_element(By.CSS_SELECTOR, ".stat-label").text: tile.find_element(By.CSS_SELECTOR, ".stat-value").text
             for tile in driver.find_elements(By.CSS_SELECTOR, ".stat-tile")}
    for label in ("申报量", "受理量", "评价数", "网上可办率", "全程网办率", "按时办结率", "平均跑动次数", "零跑动事项占比", "最多跑一次事项占比", "材料精简率", "满意度指数", "差评率", "差评按期整改率"):
        assert label in tiles and tiles[label], f"the indicator {label} is missing: {tiles}"
    figures = check_figures(driver)
    by_department = figures.get("按部门统计的申报量")
    assert by_department, list(figures)
    assert by_department["headers"][0] == "部门"
    assert not bars_unreadable(driver, by_department), bars_unreadable(driver, by_department)
    assert any(row[0] == MARKET_DEPARTMENT for row in by_department["rows"])
    levels = figures.get("好差评各等级条数")
    assert levels, list(figures)
    assert [row[0] for row in levels["rows"]] == ["非常满意", "满意", "基本满意", "不满意（差评）", "非常不满意（差评）"], levels["rows"]
    assert sum(int(row[2]) for row in levels["rows"]) == int(tiles["评价数"]), (levels["rows"], tiles["评价数"])
    assert not bars_unreadable(driver, levels, value_column=2), bars_unreadable(driver, levels, value_column=2)
    regions = next((f for title, f in figures.items() if "区域" in title), None)
    assert regions, list(figures)
    region_value = regions["headers"].index("申报量")
    assert not bars_unreadable(driver, regions, value_column=region_value), bars_unreadable(driver, regions, value_column=region_value)
    first_chart = by_department["section"].get_attribute("id")
    screenshot(driver, "93-statistics")
    phone_screenshot(driver, screenshot, "93b-statistics-phone-full", "/statistics")
    viewport_screenshot(driver, screenshot, "93b-statistics-phone", (PHONE[0], 1200), first_chart)

    # Another period and grouping, through the form.
    new_from = (date.fromisoformat(to_value) - timedelta(days=59)).isoformat()
    driver.execute_script("arguments[0].value = arguments[1]", driver.find_element(By.ID, "stat-from"), new_from)
    Select(driver.find_element(By.ID, "stat-group")).select_by_visible_text("按事项")
    click_and_wait_for_new_page(driver, driver.find_element(By.XPATH, "//form[@action='/statistics']//button[normalize-space()='查看']"))
    assert_page_ok(driver, "/statistics by item")
    query = parse_qs(urlparse(driver.current_url).query)
    assert query.get("groupBy") == ["item"] and query.get("from") == [new_from] and query.get("to") == [to_value], query
    assert driver.find_element(By.ID, "stat-period").text == f"{new_from} 至 {to_value}（共 60 天）"
    assert Select(driver.find_element(By.ID, "stat-group")).first_selected_option.text == "按事项"
    figures = check_figures(driver)
    by_item = next((f for title, f in figures.items() if title.startswith("按事项")), None)
    assert by_item and by_item["headers"][0] == "事项", list(figures)
    assert not bars_unreadable(driver, by_item), bars_unreadable(driver, by_item)

    # The same figures as CSV.
    csv_link = driver.find_element(By.XPATH, "//a[normalize-space()='下载 CSV 数据']")
    href = csv_link.get_attribute("href")
    assert parse_qs(urlparse(href).query).get("groupBy") == ["item"], href
    status, headers, body = fetch(href)
    content_type = {k.lower(): v for k, v in headers.items()}["content-type"]
    assert status == 200 and content_type.startswith("text/csv"), (status, content_type)
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("分组,名称,申报量") and len(lines) >= 2, lines[:3]
    assert any(line.startswith(f"合计,{new_from} 至 {to_value},") for line in lines), lines
    first = by_item["rows"][0]  # the table's first item, with its 申报量, is a line of the CSV
    assert any(f",{first[0]},{first[1]}," in line for line in lines), (first, lines[:4])

    # A bad date is said in Chinese, never a 500.
    driver.get(server + "/statistics?from=2026-02-30")
    assert 400 <= response_status(driver) < 500, response_status(driver)
    assert driver.find_element(By.ID, "stat-error").text
    assert driver.find_element(By.ID, "stat-from").get_attribute("aria-invalid") == "true"

    # The hall's big screen refreshes itself.
    driver.get(server + "/statistics/screen")
    assert_page_ok(driver, "/statistics/screen")
    refresh = driver.find_elements(By.CSS_SELECTOR, "meta[http-equiv=refresh]")
    assert refresh and int(refresh[0].get_attribute("content").split(";")[0]) > 0, "the big screen refreshes itself"
    assert "今日申报" in body_text(driver) and "满意度指数" in body_text(driver)
    viewport_screenshot(driver, screenshot, "94-statistics-screen", (1920, 1080))


def test_05_supervision_board_drills_down_to_a_case(server, driver, screenshot):
    sign_in_staff(driver, server, SUPERVISOR, start="/admin/supervision")
    driver.get(server + "/admin/supervision")
    assert_page_ok(driver, "/admin/supervision")
    assert driver.find_element(By.TAG_NAME, "h1").text == "电子监察"
    assert "红黄牌规则" in driver.find_element(By.ID, "card-rule").text
    cards = driver.find_elements(By.CSS_SELECTOR, "li.dept-card")
    assert cards, "the demo city has departments with cards"
    words = {card.find_element(By.CSS_SELECTOR, ".card-word").text.strip() for card in cards}
    assert words <= {"红牌", "黄牌", "正常"} and "红牌" in words, f"each card says its colour in words: {words}"
    market = next(card for card in cards if MARKET_DEPARTMENT in card.find_element(By.TAG_NAME, "h3").text)
    assert re.search(r"红牌 \d+ 张 · 黄牌 \d+ 张", market.text), market.text
    screenshot(driver, "95-supervision")

    # From the number of overdue cases to the list, to the case.
    overdue = market.find_element(By.XPATH, ".//dt[normalize-space()='超期办件（红）']/following-sibling::dd[1]/a")
    count = int(overdue.text)
    assert count >= 1, "the demo city has an overdue case"
    click_and_wait_for_new_page(driver, overdue)
    assert_page_ok(driver, "the supervision list")
    assert urlparse(driver.current_url).path == "/admin/supervision/cases"
    links = driver.find_elements(By.CSS_SELECTOR, "main table a[href^='/admin/cases/']")
    assert len(links) == count, f"the list shows {len(links)} cases for the figure {count}: {body_text(driver)[:400]!r}"
    row_text = links[0].find_element(By.XPATH, "./ancestor::tr[1]").text
    assert "超期" in row_text, row_text
    VISITED["supervision-list"] = urlparse(driver.current_url).path + "?" + urlparse(driver.current_url).query
    case_path = urlparse(links[0].get_attribute("href")).path
    click_and_wait_for_new_page(driver, links[0])
    assert urlparse(driver.current_url).path == case_path
    assert_page_ok(driver, "the case from the board")
    number = driver.find_element(By.ID, "case-number").text.strip()
    assert number in row_text, (number, row_text)


def test_06_window_tablet_rates_a_visit(server, driver, screenshot):
    sign_in_staff(driver, server, MARKET_CLERK, start="/admin/window")
    driver.get(server + "/admin/window")
    assert_page_ok(driver, "/admin/window")
    Select(driver.find_element(By.ID, "visit-window")).select_by_value(TABLET_WINDOW)
    click_and_wait_for_new_page(driver, driver.find_element(By.CSS_SELECTOR, "#visit-window-form button[type=submit]"))
    assert_page_ok(driver, "after choosing the window")
    tablet_path = urlparse(driver.find_element(By.ID, "tablet-link").get_attribute("href")).path
    assert tablet_path == f"/hall/rate/{TABLET_WINDOW}", tablet_path
    if driver.find_elements(By.ID, "visit-end-form"):  # a visit left open earlier: end it first
        click_and_wait_for_new_page(driver, driver.find_element(By.CSS_SELECTOR, "#visit-end-form button[type=submit]"))
    click_and_wait_for_new_page(driver, driver.find_element(By.CSS_SELECTOR, "#visit-start-form button[type=submit]"))
    assert_page_ok(driver, "after 开始接待")
    assert driver.find_element(By.ID, "visit-open").text.startswith("正在接待")
    click_and_wait_for_new_page(driver, driver.find_element(By.CSS_SELECTOR, "#visit-end-form button[type=submit]"))
    assert_page_ok(driver, "after 结束接待")

    # The tablet beside the window (no session) shows the visit to rate.
    driver.delete_all_cookies()
    driver.get(server + tablet_path)
    assert_page_ok(driver, "the tablet")
    assert TABLET_WINDOW in driver.find_element(By.ID, "tablet-window").text
    assert driver.find_element(By.ID, "tablet-clerk").text.startswith("为您服务的工作人员：")
    form = driver.find_element(By.CSS_SELECTOR, "form[data-review-form]")
    assert not driver.find_elements(By.CSS_SELECTOR, "meta[http-equiv=refresh]"), "the form does not reload under the visitor's finger"
    original = driver.get_window_size()
    driver.set_window_size(1024, 768)  # a landscape tablet; the whole form
    try:
        screenshot(driver, "96-tablet")
    finally:
        driver.set_window_size(original["width"], original["height"])
    level_label(driver, form, 4).click()
    click_and_wait_for_new_page(driver, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert_page_ok(driver, "after rating at the tablet")
    thanks = driver.find_element(By.ID, "tablet-thanks").text
    assert "谢谢" in thanks and "满意" in thanks, thanks
    # Back to waiting: the visit is rated once.
    driver.get(server + tablet_path)
    assert driver.find_elements(By.ID, "tablet-waiting"), body_text(driver)[:300]
    assert not driver.find_elements(By.CSS_SELECTOR, "form[data-review-form]")


# MARK: 5. Accessibility smoke test


def test_07_accessibility_smoke(server, driver):
    """The licence journeys' checks (labels, names, SVG titles, captions, one h1, unique ids) and
    label-in-name on the pages of this issue, and no sideways scroll at 390 px on the public ones."""
    public = ["/statistics", "/statistics?groupBy=region", "/statistics/screen", "/evaluations", f"/hall/rate/{TABLET_WINDOW}"]
    driver.get(server + "/evaluations")
    departments = driver.find_elements(By.CSS_SELECTOR, "main table a[href^='/evaluations/departments/']")
    if departments:
        public.append(urlparse(departments[0].get_attribute("href")).path)
    if "link" in VISITED:
        public.append(VISITED["link"])  # spent: the closed-link page
    problems = {}

    def check(path: str):
        driver.get(server + path)
        wait(driver).until(lambda d: d.execute_script("return document.readyState") == "complete")
        assert not LEAF_ERROR.search(driver.page_source), path
        found = a11y_problems(driver) + label_in_name_problems(driver)
        if found:
            problems[path] = found

    for path in public:
        check(path)
    driver.set_window_size(*PHONE)
    try:
        for path in ("/statistics", "/statistics/screen", "/evaluations"):
            driver.get(server + path)
            assert_fits_phone(driver, path)
    finally:
        driver.set_window_size(1280, 900)

    sign_in_applicant(driver, server, CITIZEN)
    if "case" in VISITED:
        check(VISITED["case"])
    sign_in_staff(driver, server, MARKET_ADMIN, start="/admin/rectifications")
    check("/admin/rectifications")
    check("/admin/rectifications?state=awaitingVerification")
    driver.get(server + "/admin/rectifications")
    first = driver.find_elements(By.CSS_SELECTOR, "#rectification-list a")
    if first:
        check(urlparse(first[0].get_attribute("href")).path)
    check("/admin/evaluations")
    sign_in_staff(driver, server, SUPERVISOR, start="/admin/supervision")
    check("/admin/supervision")
    check(VISITED.get("supervision-list", "/admin/supervision/cases"))
    check("/admin/supervision/rectifications")
    assert not problems, "accessibility problems:\n" + "\n".join(f"{p}: {v}" for p, v in problems.items())

