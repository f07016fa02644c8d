"""Browser journeys through the public catalog and the staff pages, against the demo city (贵阳市).

Each journey drives headless Chromium through the real pages and saves screenshots to
e2e/screenshots/ (see conftest.py for the server and browser fixtures).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.select import Select

from conftest import DEMO_PASSWORD
from journeys import body_text, click_and_wait_for_new_page, version_status, wait, workflow_button

MARKET_DEPARTMENT = "贵阳市市场监督管理局"


# MARK: helpers

def summary_total(driver) -> int:
    """The N of “共找到 N 个事项” on a results page."""
    summary = driver.find_element(By.ID, "results-summary").text
    match = re.search(r"共找到\s*(\d+)\s*个事项", summary)
    assert match, f"results summary not understood: {summary!r}"
    return int(match.group(1))


def result_items(driver):
    return driver.find_elements(By.CSS_SELECTOR, "section.results li.result")


def sign_in(driver, server: str, account: str, password: str = DEMO_PASSWORD, start: str = "/admin"):
    """Signs in through the staff login page, starting from a staff page (which redirects there)."""
    driver.get(server + start)
    wait(driver).until(EC.url_contains("/admin/login"))
    driver.find_element(By.ID, "account").clear()
    driver.find_element(By.ID, "account").send_keys(account)
    driver.find_element(By.ID, "password").send_keys(password)
    click_and_wait_for_new_page(driver, driver.find_element(By.CSS_SELECTOR, "form.stacked button[type=submit]"))


def assert_signed_in_dashboard(driver, server: str, who: str):
    path = urlparse(driver.current_url).path
    page_text = body_text(driver)
    assert path == "/admin", (
        f"after signing in as {who} the browser should be on /admin, but it is on {driver.current_url}; "
        f"page says: {page_text[:300]!r}; cookies: {[c['name'] for c in driver.get_cookies()]}")
    assert driver.find_element(By.TAG_NAME, "h1").text == "事项管理"


def dashboard_rows(driver):
    """(name, code, department, version, state, public, lint) per row of the staff dashboard."""
    rows = []
    for row in driver.find_elements(By.CSS_SELECTOR, "table.admin-table tbody tr"):
        link = row.find_element(By.CSS_SELECTOR, "th a")
        cells = row.find_elements(By.TAG_NAME, "td")
        rows.append({
            "name": link.text.strip(),
            "href": link.get_attribute("href"),
            "code": row.find_element(By.CSS_SELECTOR, "th code").text.strip(),
            "department": cells[0].text.strip(),
            "version": cells[1].text.strip(),
            "state": cells[2].text.strip(),
            "public": cells[3].text.strip(),
            "errors": len(cells[4].find_elements(By.CSS_SELECTOR, ".bad")),
        })
    return rows




def test_01_home_search(server, driver, screenshot):
    driver.get(server + "/")
    assert "一网通办" in driver.title
    hero = driver.find_element(By.CSS_SELECTOR, ".hero .lead").text
    published = int(re.search(r"已发布\s*(\d+)", hero).group(1))
    assert published > 100, f"the demo city should have published items, home says {hero!r}"

    search_box = driver.find_element(By.ID, "q")
    label = driver.find_element(By.CSS_SELECTOR, "label[for=q]")
    assert label.text.strip(), "the search box must have a visible label"
    assert search_box.get_attribute("type") == "search"
    assert driver.find_element(By.CSS_SELECTOR, "form[role=search]").get_attribute("aria-label")
    screenshot(driver, "01-home")

    search_box.send_keys("营业执照")
    old_html = driver.find_element(By.TAG_NAME, "html")
    search_box.send_keys(Keys.ENTER)
    wait(driver).until(EC.staleness_of(old_html))
    wait(driver).until(EC.presence_of_element_located((By.ID, "results-summary")))

    url = urlparse(driver.current_url)
    assert url.path == "/items"
    assert parse_qs(url.query).get("q") == ["营业执照"]
    assert "共找到" in driver.find_element(By.ID, "results-summary").text
    total = summary_total(driver)
    assert total > 0
    assert driver.find_element(By.ID, "q").get_attribute("value") == "营业执照", "the query stays in the box"
    links = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "li.result h2 a")]
    assert links, "the results page lists results"
    assert any("营业执照" in text or "登记" in text for text in links), links
    screenshot(driver, "02-results")


# MARK: 2. Filters and paging

def test_02_filters_and_paging(server, driver, screenshot):
    driver.get(server + "/items")
    unfiltered = summary_total(driver)
    Select(driver.find_element(By.ID, "f-type")).select_by_visible_text("行政许可")
    zero = driver.find_element(By.ID, "f-zero")
    if not zero.is_selected():
        driver.find_element(By.CSS_SELECTOR, "label[for=f-zero]").click()
    assert zero.is_selected()
    click_and_wait_for_new_page(driver, driver.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]"))

    query = parse_qs(urlparse(driver.current_url).query)
    assert query.get("type") == ["license"]
    assert query.get("zeroVisit") == ["true"]
    # The filters stay set on the results page.
    assert Select(driver.find_element(By.ID, "f-type")).first_selected_option.text == "行政许可"
    assert driver.find_element(By.ID, "f-zero").is_selected()

    total = summary_total(driver)
    assert 0 < total < unfiltered
    results = result_items(driver)
    assert results
    assert len(results) <= 20
    for result in results:
        text = result.text
        assert "不见面办理" in text, f"a result without 不见面办理 in a zero-visit search: {text!r}"
        assert result.find_element(By.CSS_SELECTOR, ".meta .tag").text == "行政许可", text
    screenshot(driver, "02b-filtered")

    if total > 20:
        pager = driver.find_element(By.CSS_SELECTOR, "nav.pager")
        assert pager.find_element(By.CSS_SELECTOR, "[aria-current=page]").text == "1"
        page_two = pager.find_element(By.XPATH, ".//a[normalize-space()='2']")
        click_and_wait_for_new_page(driver, page_two)
        query = parse_qs(urlparse(driver.current_url).query)
        assert query.get("page") == ["2"]
        assert query.get("type") == ["license"] and query.get("zeroVisit") == ["true"], "paging keeps the filters"
        current = driver.find_element(By.CSS_SELECTOR, "nav.pager [aria-current=page]")
        assert current.text == "2"
        assert "第 2/" in driver.find_element(By.ID, "results-summary").text
        assert summary_total(driver) == total
        second = result_items(driver)
        assert second, "page 2 has results"
        assert len(second) == min(20, total - 20)
        for result in second:
            assert "不见面办理" in result.text
        previous = driver.find_elements(By.XPATH, "//nav[@class='pager']//a[normalize-space()='上一页']")
        assert previous, "page 2 links back to page 1"
    else:
        assert not driver.find_elements(By.CSS_SELECTOR, "nav.pager"), "no pager for a single page"


# MARK: 3. Guide, print view, blank application form

def test_03_guide_print_and_form(server, driver, screenshot):
    driver.get(server + "/items?q=" + "个体工商户设立登记")
    assert summary_total(driver) > 0
    link = driver.find_element(By.XPATH, "//li[contains(@class,'result')]//h2/a[contains(., '个体工商户设立登记')]")
    name = link.text.strip()
    click_and_wait_for_new_page(driver, link)
    code = urlparse(driver.current_url).path.rsplit("/", 1)[-1]
    assert re.fullmatch(r"[0-9A-Z]{31}", code), f"guide URL should end with the implementation code: {driver.current_url}"

    assert driver.find_element(By.ID, "guide-title").text == name
    assert "办事指南" in driver.title
    headings = [h.text for h in driver.find_elements(By.CSS_SELECTOR, "section.guide-section h2")]
    for wanted in ("基本信息", "设定依据", "申请材料", "办理流程"):
        assert wanted in headings, f"{wanted} missing from {headings}"

    materials = driver.find_elements(By.CSS_SELECTOR, "table.materials tbody tr")
    assert len(materials) > 0, "the materials table has rows"
    assert materials[0].find_element(By.CSS_SELECTOR, "th").text.strip()
    facts = driver.find_element(By.CSS_SELECTOR, "#s-basic + dl.facts-table")
    promised = facts.find_element(By.XPATH, "./dt[text()='承诺办结时限']/following-sibling::dd[1]").text
    assert re.search(r"\d+个工作日|即办", promised), promised
    basis = driver.find_elements(By.CSS_SELECTOR, "section[aria-labelledby=s-basis] li")
    assert basis and basis[0].text.strip(), "设定依据 lists at least one law"
    steps = driver.find_elements(By.CSS_SELECTOR, "section[aria-labelledby=s-process] ol.steps li")
    assert len(steps) > 0, "办理流程 lists steps"
    assert re.search(r"第\d+版", driver.find_element(By.CSS_SELECTOR, ".guide-header .meta").text)
    screenshot(driver, "03-guide")

    print_link = driver.find_element(By.LINK_TEXT, "打印办事指南")
    assert urlparse(print_link.get_attribute("href")).path == f"/items/{code}/print"
    click_and_wait_for_new_page(driver, print_link)
    assert urlparse(driver.current_url).path == f"/items/{code}/print"
    heading = driver.find_element(By.TAG_NAME, "h1").text
    assert "办事指南" in heading and name in heading
    assert not driver.find_elements(By.CSS_SELECTOR, ".site-header"), "the print view has no site header"
    assert not driver.find_elements(By.CSS_SELECTOR, "nav[aria-label=主导航]")
    assert "print-view" in driver.find_element(By.TAG_NAME, "body").get_attribute("class")
    assert len(driver.find_elements(By.CSS_SELECTOR, "table.materials tbody tr")) == len(materials)
    assert code in body_text(driver)
    screenshot(driver, "04-print")

    driver.get(server + f"/items/{code}/form-template")
    form_heading = driver.find_element(By.TAG_NAME, "h1").text
    assert "申请表" in form_heading and name in form_heading
    assert "申请表" in driver.title
    rows = driver.find_elements(By.CSS_SELECTOR, "table.form-template tbody tr")
    assert any("申请人签名" in row.text for row in rows)
    assert len(driver.find_elements(By.CSS_SELECTOR, "main ol li")) == len(materials), "the form lists the materials"
    screenshot(driver, "04b-form-template")


# MARK: 4. Large text (适老化)

def test_04_large_text_mode(server, driver, screenshot):
    driver.get(server + "/items")
    body = driver.find_element(By.TAG_NAME, "body")
    assert "large-text" not in (body.get_attribute("class") or "")
    before = float(driver.execute_script("return parseFloat(getComputedStyle(document.body).fontSize)"))

    click_and_wait_for_new_page(driver, driver.find_element(By.LINK_TEXT, "大字版(适老化)"))
    assert urlparse(driver.current_url).path == "/items", "switching text size returns to the same page"
    assert "large-text" in driver.find_element(By.TAG_NAME, "body").get_attribute("class").split()
    after = float(driver.execute_script("return parseFloat(getComputedStyle(document.body).fontSize)"))
    assert after > before, f"body font-size should grow: {before}px → {after}px"
    assert driver.find_elements(By.LINK_TEXT, "标准字号")
    assert not driver.find_elements(By.LINK_TEXT, "大字版(适老化)")
    screenshot(driver, "05-large-text")

    # The choice is remembered on other pages.
    driver.get(server + "/")
    assert "large-text" in driver.find_element(By.TAG_NAME, "body").get_attribute("class").split()

    click_and_wait_for_new_page(driver, driver.find_element(By.LINK_TEXT, "标准字号"))
    assert urlparse(driver.current_url).path == "/"
    assert "large-text" not in (driver.find_element(By.TAG_NAME, "body").get_attribute("class") or "").split()
    restored = float(driver.execute_script("return parseFloat(getComputedStyle(document.body).fontSize)"))
    assert restored == before
    assert driver.find_elements(By.LINK_TEXT, "大字版(适老化)")


def test_04b_large_text_returns_to_the_same_search(server, driver):
    """Switching text size mid-search must come back to the same results (query and page), not a blank search."""
    driver.get(server + "/items?q=营业执照&page=2")
    assert "第 2/" in driver.find_element(By.ID, "results-summary").text
    total = summary_total(driver)
    click_and_wait_for_new_page(driver, driver.find_element(By.LINK_TEXT, "大字版(适老化)"))
    assert "large-text" in driver.find_element(By.TAG_NAME, "body").get_attribute("class").split()
    url = urlparse(driver.current_url)
    query = parse_qs(url.query)
    assert url.path == "/items"
    assert query.get("q") == ["营业执照"] and query.get("page") == ["2"], (
        f"the large-text switch dropped the search: came back to {driver.current_url}")
    assert summary_total(driver) == total


# MARK: 5. Keyboard

def test_05_keyboard_skip_link(server, driver, screenshot):
    driver.get(server + "/")
    assert driver.execute_script("return document.activeElement === document.body")
    ActionChains(driver).send_keys(Keys.TAB).perform()
    focused = driver.switch_to.active_element
    assert focused.tag_name == "a"
    assert focused.text.strip() == "跳到主要内容"
    assert focused.get_attribute("href").endswith("#main")
    # The skip link becomes visible when focused (it sits off-screen otherwise).
    assert driver.execute_script("return arguments[0].getBoundingClientRect().left >= 0", focused)
    screenshot(driver, "05b-skip-link", full_page=False)

    ActionChains(driver).send_keys(Keys.ENTER).perform()
    wait(driver).until(lambda d: d.execute_script("return document.activeElement && document.activeElement.id") == "main")
    assert driver.switch_to.active_element.tag_name == "main"
    assert driver.current_url.endswith("#main")


# MARK: 6. Phone layout

def test_06_phone_layout(server, driver, screenshot):
    driver.set_window_size(390, 844)
    driver.get(server + "/")
    inner = driver.execute_script("return window.innerWidth")
    assert inner <= 390
    scroll_width = driver.execute_script("return document.documentElement.scrollWidth")
    assert scroll_width <= 390 + 1, f"home scrolls sideways on a phone: scrollWidth {scroll_width}"
    search = driver.find_element(By.ID, "q")
    assert search.is_displayed()
    assert search.rect["x"] >= 0 and search.rect["x"] + search.rect["width"] <= 390 + 1
    screenshot(driver, "06-phone")

    # The results and a guide page also fit.
    driver.get(server + "/items?q=营业执照")
    assert driver.execute_script("return document.documentElement.scrollWidth") <= 390 + 1
    first = driver.find_element(By.CSS_SELECTOR, "li.result h2 a")
    click_and_wait_for_new_page(driver, first)
    assert driver.execute_script("return document.documentElement.scrollWidth") <= 390 + 1
    screenshot(driver, "06b-phone-guide")


# MARK: 7. Staff: sign-in, dashboard, lint report, edit → review → publish

def test_07_staff_catalog_admin_workflow(server, driver, screenshot):
    driver.get(server + "/admin")
    assert urlparse(driver.current_url).path == "/admin/login", "/admin sends visitors to the sign-in page"
    assert parse_qs(urlparse(driver.current_url).query).get("next") == ["/admin"]
    assert driver.find_element(By.TAG_NAME, "h1").text == "工作人员登录"

    # A wrong password is refused with a generic message.
    driver.find_element(By.ID, "account").send_keys("catalog.admin")
    driver.find_element(By.ID, "password").send_keys("not-the-password")
    click_and_wait_for_new_page(driver, driver.find_element(By.CSS_SELECTOR, "form.stacked button[type=submit]"))
    alert = driver.find_element(By.CSS_SELECTOR, "[role=alert]")
    assert "账号或密码不正确" in alert.text
    assert driver.find_element(By.ID, "account").get_attribute("value") == "catalog.admin"

    # The right password.
    driver.find_element(By.ID, "password").send_keys(DEMO_PASSWORD)
    click_and_wait_for_new_page(driver, driver.find_element(By.CSS_SELECTOR, "form.stacked button[type=submit]"))
    assert_signed_in_dashboard(driver, server, "catalog.admin")
    assert "事项管理员" in driver.find_element(By.CSS_SELECTOR, ".header-tools .who").text

    rows = dashboard_rows(driver)
    assert len(rows) > 100
    states = {row["state"] for row in rows}
    assert "草稿" in states and "已发布" in states, states
    assert any(row["errors"] > 0 for row in rows), "the demo's flawed drafts show errors on the dashboard"
    screenshot(driver, "07-admin")

    # The lint report.
    driver.find_element(By.LINK_TEXT, "智能纠错报告").click()
    wait(driver).until(EC.url_contains("/admin/lint"))
    assert driver.find_element(By.TAG_NAME, "h1").text == "智能纠错报告"
    count = int(re.search(r"共发现\s*(\d+)\s*条问题", body_text(driver)).group(1))
    assert count > 0
    findings = [li.text for li in driver.find_elements(By.CSS_SELECTOR, "ul.findings li")]
    assert len(findings) == count
    assert any("承诺办结时限" in f and "超过法定办结时限" in f for f in findings), findings
    assert any("依据" in f for f in findings), findings
    rule_rows = {
        row.find_element(By.TAG_NAME, "code").text: row.find_elements(By.TAG_NAME, "td")
        for row in driver.find_elements(By.XPATH, "//section[h2='按规则']//tbody/tr")
    }
    assert int(rule_rows["promised-exceeds-statutory"][3].text) > 0
    assert int(rule_rows["proof-without-basis"][3].text) > 0
    assert "circular-proof" in rule_rows and rule_rows["circular-proof"][1].text == "循环证明"
    department_rows = driver.find_elements(By.XPATH, "//section[h2='按实施机构']//tbody/tr")
    assert department_rows
    screenshot(driver, "08-lint")

    # Pick a published item without lint errors whose promised limit can shrink.
    driver.get(server + "/admin?state=published")
    candidates = [row for row in dashboard_rows(driver) if row["errors"] == 0 and row["public"] == "已公开" and row["version"] == "第1版"]
    assert candidates, "published items without errors"
    chosen = None
    for row in candidates[:15]:
        driver.get(row["href"])
        limit = driver.find_element(By.ID, "promisedLimit").get_attribute("value").strip()
        if limit.isdigit() and int(limit) > 1:
            chosen = (row, int(limit))
            break
    assert chosen, "a published item with a promised limit above 1 day"
    row, old_limit = chosen
    code = row["code"]
    new_limit = old_limit - 1
    assert "最新第1版" in version_status(driver) and "已发布" in version_status(driver)

    field = driver.find_element(By.ID, "promisedLimit")
    field.clear()
    field.send_keys(str(new_limit))
    click_and_wait_for_new_page(driver, driver.find_element(By.XPATH, "//form[contains(@class,'editor')]//button[normalize-space()='保存为草稿']"))
    assert not driver.find_elements(By.ID, "error-summary"), driver.find_element(By.ID, "error-summary").text
    assert urlparse(driver.current_url).path == f"/admin/items/{code}"
    status = version_status(driver)
    assert "最新第2版" in status and "草稿" in status, status
    assert driver.find_element(By.ID, "promisedLimit").get_attribute("value") == str(new_limit)
    versions = [tr.text for tr in driver.find_elements(By.XPATH, "//section[h2='版本']//table/tbody/tr")]
    assert any(v.startswith("第2版") and "草稿" in v for v in versions), versions
    assert any(v.startswith("第1版") and "已发布" in v for v in versions), versions

    # The public guide still shows version 1 while the draft is under way.
    driver.get(server + f"/items/{code}")
    assert "第1版" in driver.find_element(By.CSS_SELECTOR, ".guide-header .meta").text
    driver.get(server + f"/admin/items/{code}")

    for label, state in (("提交审核", "已提交审核"), ("审核通过", "已审核通过"), ("发布", "已发布")):
        click_and_wait_for_new_page(driver, workflow_button(driver, label))
        errors = driver.find_elements(By.CSS_SELECTOR, "[role=alert]")
        assert not errors, f"{label} failed: {errors[0].text}"
        status = version_status(driver)
        assert "最新第2版" in status and state in status, f"after {label}: {status}"

    versions = [tr.text for tr in driver.find_elements(By.XPATH, "//section[h2='版本']//table/tbody/tr")]
    assert any(v.startswith("第1版") and "已停用" in v for v in versions), versions
    log = driver.find_element(By.CSS_SELECTOR, "ul.events-log").text
    # The change log names each workflow step in Chinese.
    for action in ("提交审核", "审核通过", "发布"):
        assert action in log, log

    driver.get(server + f"/items/{code}")
    meta = driver.find_element(By.CSS_SELECTOR, ".guide-header .meta").text
    assert "第2版" in meta, meta
    expected = f"{new_limit}个工作日"
    facts = driver.find_element(By.CSS_SELECTOR, "#s-basic + dl.facts-table")
    assert facts.find_element(By.XPATH, "./dt[text()='承诺办结时限']/following-sibling::dd[1]").text == expected
    assert f"承诺 {expected}" in driver.find_element(By.CSS_SELECTOR, ".guide-header .badges").text
    screenshot(driver, "09-published")

    # Search results show the new limit too.
    driver.get(server + "/items?q=" + row["name"])
    hit = driver.find_element(By.XPATH, f"//li[contains(@class,'result')][.//a[@href='/items/{code}']]")
    assert f"承诺时限：{expected}" in hit.text


def test_07b_sign_in_from_a_fresh_login_page(server, driver):
    """A staff member who opens /admin/login directly (bookmark, no cookie yet) can sign in."""
    driver.get(server + "/admin/login")
    assert driver.find_element(By.TAG_NAME, "h1").text == "工作人员登录"
    csrf = driver.find_element(By.CSS_SELECTOR, "form.stacked input[name=csrf]").get_attribute("value")
    assert csrf, "the sign-in form must carry a CSRF token on the first visit"
    driver.find_element(By.ID, "account").send_keys("catalog.admin")
    driver.find_element(By.ID, "password").send_keys(DEMO_PASSWORD)
    click_and_wait_for_new_page(driver, driver.find_element(By.CSS_SELECTOR, "form.stacked button[type=submit]"))
    assert_signed_in_dashboard(driver, server, "catalog.admin")


# MARK: 8. Department-scoped staff

def test_08_department_admin_sees_own_department(server, driver, screenshot):
    sign_in(driver, server, "market.admin")
    assert_signed_in_dashboard(driver, server, "market.admin")
    assert "市场监管局部门管理员" in driver.find_element(By.CSS_SELECTOR, ".header-tools .who").text
    rows = dashboard_rows(driver)
    assert rows, "the market department has items"
    others = [row for row in rows if row["department"] != MARKET_DEPARTMENT]
    assert not others, f"market.admin sees other departments' items: {others[:5]}"
    screenshot(driver, "10-market-admin")

    # Its lint report covers only its own department too.
    driver.get(server + "/admin/lint")
    departments = [tr.find_element(By.TAG_NAME, "th").text
                   for tr in driver.find_elements(By.XPATH, "//section[h2='按实施机构']//tbody/tr")]
    assert set(departments) <= {MARKET_DEPARTMENT}, departments

    # Another department's item is refused: take any published item of another department from the public search.
    other_code = None
    driver.get(server + "/items?zeroVisit=true")
    for result in result_items(driver):
        if MARKET_DEPARTMENT not in result.find_element(By.CSS_SELECTOR, ".meta").text:
            other_code = result.find_element(By.CSS_SELECTOR, "h2 a").get_attribute("href").rsplit("/", 1)[-1]
            break
    assert other_code
    driver.get(server + f"/admin/items/{other_code}")
    assert driver.find_elements(By.ID, "promisedLimit") == [], "market.admin must not get the editor of another department's item"
    text = body_text(driver)
    assert "没有权限" in text or "无权" in text or "禁止" in text or "权限" in text, text[:300]
